"""What the gradebook and the graded notebooks say about a class: per cell, per submission, per student.

Sources, all written by grading itself:

- nbgrader's ``gradebook.db`` (through :class:`nbgrader.api.Gradebook`): the
  roster (student table), every grade cell's points, hand-grading state and
  graders' comments;
- ``autograded/<student>/<hw>/<hw>.ipynb``: each test cell's output, where
  the grader's judge (:mod:`dgmlab.grading.judge.judge`) printed ``passed test_x`` / ``FAILED test_x:
  message`` (the short reasons students see in feedback), and the cell's
  source, read only to tell which ``test_*`` names sit inside the hidden-tests
  region (names only: no hidden source ever leaves this module);
- ``.dgmlab/grading/<hw>/<student>.json``: the outcome ``dgmlab autograde``
  recorded for the submission (graded / invalid / failed / timed out, reason,
  seconds), see :func:`dgmlab.grading.records.save_records`.

This module reads them (:func:`collect`); the parts, one job each: :mod:`.class_data` (what it returns),
:mod:`.graded_notebooks` (reading an autograded notebook), :mod:`.class_stats` (the statistics) and
:mod:`.pseudonyms` (the anonymized copy). Their names are re-exported here.
"""
from __future__ import annotations

import datetime as _dt

import nbformat
from nbgrader.api import Gradebook
from nbgrader.utils import is_grade

from ..layout import Course, CourseError, check_submission
from ..preprocessors.hidden_tests import hidden_delimiters
from ..records import load_records
from ..term.deadlines import deadlines, from_gradebook
from ..term.late import LateResult, NoPenalty
from .class_data import CellResult, ClassData, RosterEntry, Submission
from .class_stats import cell_stats, summary
from .final_mark import still_to_grade
from .graded_notebooks import CHECK_LINE, POINTS_PREFIX, TEST_DEF, cell_outcome, read_graded_notebook, test_names
from .pseudonyms import KEY_FILE, Pseudonyms, anonymize

__all__ = ["ARTIFACTS", "CHECK_LINE", "CellResult", "ClassData", "KEY_FILE", "POINTS_PREFIX", "Pseudonyms",
           "RosterEntry", "Submission", "TEST_DEF", "anonymize", "cell_outcome", "cell_stats", "collect",
           "read_graded_notebook", "summary", "test_names"]

# homework prefix -> (the samples file in autograded/<student>/<hw>/ the dashboard shows, the grade cell that scores
# them): the draw each cell makes from the handed-in generator weights and writes while autograding
ARTIFACTS = {"hw1": ("graded_draw_100.pt", "q3_samples_quality_tests"),
             "hw2": ("graded_draw_100.pt", "p5_mnist_samples_tests"),
             "hw4": ("graded_draw_100.pt", "p2_baseline_samples_tests")}


def _source_order(course: Course, hw: str) -> list:
    path = course.source_notebook(hw)
    if not path.exists():
        return []
    nb = nbformat.read(path, as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if is_grade(c) and c.metadata["nbgrader"].get("grade_id")]


def _reason(kind, points, max_points, needs_manual, outcome, comment) -> str:
    if kind == "manual":
        if needs_manual or points is None:
            return "awaiting hand grading"
        return (comment or "").strip()[:300]  # the grader's comment, if any
    if points is not None and points >= max_points - 1e-9:
        return ""
    if outcome is None:
        return "no graded notebook to read the reason from"
    _, failed, error, _, _ = outcome
    if failed:
        return "; ".join(f"{n}: {m}" if m else n for n, m in failed)[:600]
    return error or "lost points (the cell printed no failure message)"


# ------------------------------------------------------------------ collect
def collect(course: Course, hws=None) -> ClassData:
    """Read the gradebook, the autograded notebooks and the grading records of ``hws`` (all by default)."""
    db = course.root / "gradebook.db"
    if not db.exists():
        raise CourseError(f"no gradebook at {db}: autograde something first (dgmlab autograde <hw>)")
    cells, subs, order, maxes, roster, problems = [], [], {}, {}, {}, []
    delimiters = hidden_delimiters(course.config())
    dates = deadlines(course)
    dropped = course.dropped()  # c.DgmlabTerm.dropped: out of every report and export, their rows kept
    with Gradebook(f"sqlite:///{db}") as gb:
        for st in gb.students:
            if st.id in dropped:
                continue
            roster[st.id] = RosterEntry(st.id, st.first_name, st.last_name, st.email, st.lms_user_id)
        known = [a.name for a in gb.assignments]
        if hws:
            unknown = [h for h in hws if h not in known]
            if unknown:
                raise CourseError(f"no grades for {', '.join(unknown)} in the gradebook (it has "
                                  f"{', '.join(known) or 'none'}): autograde it first")
        hws = [h for h in known if not hws or h in hws]
        for assignment in gb.assignments:
            hw = assignment.name
            if hw not in hws:
                continue
            rank = {name: i for i, name in enumerate(_source_order(course, hw))}
            layout = []
            for nb in assignment.notebooks:
                solution = {c.name for c in nb.solution_cells}
                for gc in nb.grade_cells:
                    kind = "manual" if (gc.cell_type == "markdown" or gc.name in solution) else "auto"
                    layout.append((nb.name, gc.name, float(gc.max_score), kind))
            layout.sort(key=lambda t: (rank.get(t[1], len(rank)), t[1]))
            order[hw] = layout
            maxes[hw] = sum(t[2] for t in layout)
            kinds = {(t[0], t[1]): t[3] for t in layout}
            records = load_records(course, hw)
            seen = set()
            for sub in assignment.submissions:
                sid = sub.student.id
                seen.add(sid)
                if sid in dropped:
                    continue
                auto = manual = 0.0
                pending, points, ungraded = 0, [], []
                for snb in sub.notebooks:
                    graded = course.folder("autograded", hw, sid) / f"{snb.name}.ipynb"
                    tests = {n for (b, n), k in kinds.items() if b == snb.name and k == "auto"}  # the gradebook's
                    outcomes = read_graded_notebook(graded, delimiters, cells=tests)
                    comments = {c.name: c.manual_comment for c in snb.comments}
                    for g in snb.grades:
                        kind = kinds.get((snb.name, g.name), "auto")
                        needs = bool(g.needs_manual_grade)
                        comment = comments.get(g.name)
                        if kind == "manual":
                            pts = None if (g.manual_score is None and g.auto_score is None) else float(g.score)
                            if g.manual_score is None and g.auto_score is not None and not needs:
                                comment = "answer left as released: nbgrader gave it 0 without hand grading"
                            if still_to_grade(True, needs, g.manual_score, g.auto_score):
                                pending += 1
                                ungraded.append(g.name)
                            manual += pts or 0.0
                        else:
                            pts = float(g.score)
                            auto += pts
                        points.append(pts)
                        out = outcomes.get(g.name)
                        cr = CellResult(sid, hw, snb.name, g.name, pts, float(g.max_score), kind, needs,
                                        _reason(kind, pts, float(g.max_score), needs, out, comment))
                        if out:
                            cr.passed, cr.failed, _, cr.visible, cr.hidden = out
                        cells.append(cr)
                rec = records.get(sid, {})
                status = rec.get("status", "graded")
                late = _late(dates, assignment, sub, auto + manual)
                subs.append(Submission(sid, hw, status, rec.get("reason", ""), rec.get("seconds"), late.final,
                                       maxes[hw], auto, manual, pending, rec.get("timings") or {}, late,
                                       tuple(points), tuple(sorted(ungraded, key=lambda n: rank.get(n, len(rank)))),
                                       _due_text(dates, assignment, sub)))
            # submissions that never reached the gradebook: recorded outcomes, else what the files say
            folder = course.folder("submitted")
            on_disk = set(course.submitted(hw)) if folder.is_dir() else set()
            for sid in sorted((set(records) | on_disk) - seen - dropped):
                rec = records.get(sid)
                if rec:
                    subs.append(Submission(sid, hw, rec["status"], rec.get("reason", ""), rec.get("seconds"),
                                           None, maxes[hw]))
                else:
                    why = check_submission(course.folder("submitted", hw, sid) / f"{hw}.ipynb")
                    subs.append(Submission(sid, hw, "invalid" if why else "not graded",
                                           why or f"collected, not autograded yet: dgmlab autograde {hw}", None,
                                           None, maxes[hw]))
    cells.sort(key=lambda c: (c.hw, c.student, _pos(order[c.hw], c.cell)))
    subs.sort(key=lambda s: (s.hw, s.student))
    for sid in sorted({s.student for s in subs}):
        entry = roster.get(sid)
        if entry is None:
            problems.append(f"{sid}: submitted but not in nbgrader's student table (add them: "
                            f"nbgrader db student add {sid} --first-name ... --last-name ..., their LMS ids with "
                            "dgmlab ids import)")
        elif not entry.named and not entry.lms_user_id and not entry.email:
            problems.append(f"{sid}: no name, email or LMS id in nbgrader's student table (nbgrader added them "
                            f"while grading); set them with nbgrader db student add {sid} --first-name ... "
                            f"--last-name ... (their LMS ids: dgmlab ids import)")
    return ClassData(hws, roster, cells, subs, order, maxes, problems)


def _late(dates, assignment, sub, raw: float):
    """The homework's late policy on the final mark ``raw`` (computed now, so a changed hand grade counts); a
    homework under the default policy keeps a penalty nbgrader's own plugin recorded (c.LateSubmissionPlugin)."""
    hw, sid = assignment.name, sub.student.id
    result = dates.apply(hw, sid, raw, sub.timestamp, assignment.duedate, sub.extension)
    stored = float(sub.late_submission_penalty or 0.0)
    if dates.policy(hw).name == "none" and stored > 0:
        due = dates.due(hw, sid, assignment.duedate, sub.extension)
        days = NoPenalty().days_late(from_gradebook(sub.timestamp), due, dates.tz) if due and sub.timestamp else 0
        final = max(0.0, raw - stored)
        return LateResult(raw, final, days, final / raw if raw else 0.0, False,
                          f"late: {stored:g} points taken by nbgrader's late submission plugin",
                          "late (nbgrader's late submission plugin)", deduction=stored)
    return result


def _due_text(dates, assignment, sub) -> str:
    """When ``sub`` was due, in the course's time zone, and what made it the student's own: Canvas's date for
    them, an extension, an accommodation (``c.DgmlabTerm.accommodations``), each named as what it is: what the
    grade summary shows (the release notebook promises it)."""
    hw, sid = assignment.name, sub.student.id
    base = dates.due(hw, None, assignment.duedate)
    own = dates.due(hw, sid, assignment.duedate, sub.extension)
    if own is None:
        return ""
    if base is None or own == base:
        return f"due {dates.local(own)}"
    given = []
    canvas = dates.canvas_due.get(hw, {}).get(sid)
    if canvas is not None:
        given.append(f"your own due date in Canvas, {dates.local(canvas)}")
    ext = dates.extensions.get(hw, {}).get(sid)
    ext = sub.extension if ext is None else ext  # nbgrader's own (Gradebook.grant_extension)
    if isinstance(ext, _dt.datetime):
        given.append(f"an extension to {dates.local(ext)}")
    elif ext:
        given.append(f"an extension of {_length(ext)}")
    accommodation = dates.rules.accommodation(sid)
    if accommodation:
        given.append(f"an accommodation of {_length(accommodation)}")
    return f"due {dates.local(own)} for you: {' and '.join(given)} (the homework was due {dates.local(base)})"


def _length(t) -> str:
    """``timedelta(days=3)`` as ``'3 days'``, ``timedelta(hours=36)`` as ``'1 day 12 hours'``."""
    days, hours, minutes = t.days, t.seconds // 3600, t.seconds % 3600 // 60
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((days, "day"), (hours, "hour"),
                                                                 (minutes, "minute")) if n]
    return " ".join(parts) or "0 minutes"


def _pos(layout, cell):
    for i, t in enumerate(layout):
        if t[1] == cell:
            return i
    return len(layout)

