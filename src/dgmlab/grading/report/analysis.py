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
from typing import NamedTuple

import nbformat

from .. import nbgrader_gradebook
from ..cell_roles import is_graded
from ..hand import trained_looks
from ..hand.to_grade import waits_for_a_look
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
            if is_graded(c) and c.metadata["nbgrader"].get("grade_id")]


def _reason(kind, points, max_points, needs_manual, outcome, comment) -> str:
    if kind == "manual":
        if needs_manual or points is None:
            return "awaiting hand grading"
        return (comment or "").strip()[:300]  # the grader's comment, if any
    if points is None:  # a trained result waiting for a look (its comment says so)
        return comment or "not graded yet"
    if points >= max_points - 1e-9:
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
    cells, subs, order, maxes = [], [], {}, {}
    delimiters = hidden_delimiters(course.config())
    dates = deadlines(course)
    dropped = course.dropped()  # c.DgmlabTerm.dropped: out of every report and export, their rows kept
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        roster = {st.id: RosterEntry(st.id, st.first_name, st.last_name, st.email, st.lms_user_id)
                  for st in gb.students if st.id not in dropped}
        hws = _chosen(gb, hws)
        for assignment in gb.assignments:
            if assignment.name not in hws:
                continue
            home = _homework(course, assignment)
            order[home.hw], maxes[home.hw] = home.layout, home.max_points
            seen = set()
            for sub in assignment.submissions:
                seen.add(sub.student.id)
                if sub.student.id in dropped:
                    continue
                graded = _graded_submission(course, home, sub, delimiters, dates)
                cells += graded.cells
                subs.append(graded.submission)
            subs += _not_in_gradebook(course, home, seen | dropped)
    cells.sort(key=lambda c: (c.hw, c.student, _pos(order[c.hw], c.cell)))
    subs.sort(key=lambda s: (s.hw, s.student))
    return ClassData(hws, roster, cells, subs, order, maxes, _roster_problems(roster, subs))


def _chosen(gb: nbgrader_gradebook.Gradebook, hws) -> list:
    """The gradebook's homeworks among ``hws`` (all of them where none is named), in its order; one it lacks is
    refused."""
    known = [a.name for a in gb.assignments]
    if hws:
        unknown = [h for h in hws if h not in known]
        if unknown:
            raise CourseError(f"no grades for {', '.join(unknown)} in the gradebook (it has "
                              f"{', '.join(known) or 'none'}): autograde it first")
    return [h for h in known if not hws or h in hws]


class _Homework(NamedTuple):
    """One homework as the gradebook lays it out: its grade cells ``(notebook, cell, max points, kind)`` in the
    source notebook's order, each cell's kind, its points in all and the grading records of its submissions."""
    hw: str
    assignment: object
    rank: dict
    layout: list
    kinds: dict
    max_points: float
    records: dict


def _homework(course: Course, assignment) -> _Homework:
    hw = assignment.name
    rank = {name: i for i, name in enumerate(_source_order(course, hw))}
    layout = []
    for nb in assignment.notebooks:
        solution = {c.name for c in nb.solution_cells}
        for gc in nb.grade_cells:
            kind = "manual" if (gc.cell_type == "markdown" or gc.name in solution) else "auto"
            layout.append((nb.name, gc.name, float(gc.max_score), kind))
    layout.sort(key=lambda t: (rank.get(t[1], len(rank)), t[1]))
    return _Homework(hw, assignment, rank, layout, {(t[0], t[1]): t[3] for t in layout}, sum(t[2] for t in layout),
                     load_records(course, hw))


class _Graded(NamedTuple):
    """One submission in the gradebook: its cells' results and its row."""
    cells: list
    submission: Submission


class _NotebookMarks(NamedTuple):
    """One submitted notebook's cells: their results in order, the hand-graded cells still to grade, and the trained
    results waiting for a look at their training record."""
    cells: list
    ungraded: list
    to_look: list


def _graded_submission(course: Course, home: _Homework, sub, delimiters, dates) -> _Graded:
    """``sub``'s cells and its row: its points, the late policy on them, its recorded outcome, its due date."""
    sid, hw, rank = sub.student.id, home.hw, home.rank
    marks = [_notebook_marks(course, home, sid, snb, delimiters) for snb in sub.notebooks]
    cells, ungraded = [c for m in marks for c in m.cells], [n for m in marks for n in m.ungraded]
    auto = sum((c.points or 0.0 for c in cells if c.kind == "auto"), 0.0)  # in the cells' order, as nbgrader adds
    manual = sum((c.points or 0.0 for c in cells if c.kind == "manual"), 0.0)
    rec = home.records.get(sid, {})
    late = _late(dates, home.assignment, sub, auto + manual)
    row = Submission(sid, hw, rec.get("status", "graded"), rec.get("reason", ""), rec.get("seconds"), late.final,
                     home.max_points, auto, manual, len(ungraded), rec.get("timings") or {}, late,
                     tuple(c.points for c in cells),
                     tuple(sorted(ungraded, key=lambda n: rank.get(n, len(rank)))),
                     _due_text(dates, home.assignment, sub), tuple(n for m in marks for n in m.to_look))
    return _Graded(cells, row)


def _notebook_marks(course: Course, home: _Homework, sid: str, snb, delimiters) -> _NotebookMarks:
    """Each grade of one submitted notebook, with the reason its autograded notebook gives for lost points."""
    hw, kinds = home.hw, home.kinds
    graded = course.folder("autograded", hw, sid) / f"{snb.name}.ipynb"
    tests = {n for (b, n), k in kinds.items() if b == snb.name and k == "auto"}  # the gradebook's
    outcomes = read_graded_notebook(graded, delimiters, cells=tests)
    comments = {c.name: c.manual_comment for c in snb.comments}
    cells, ungraded, to_look = [], [], []
    looked_for = trained_looks.waiting(course, hw, sid)  # trained results whose record needs a look
    for g in snb.grades:
        kind = kinds.get((snb.name, g.name), "auto")
        needs = bool(g.needs_manual_grade)
        comment = comments.get(g.name)
        if kind == "manual":
            pts = None if (g.manual_score is None and g.auto_score is None) else float(g.score)
            if g.manual_score is None and g.auto_score is not None and not needs:
                comment = "answer left as released: nbgrader gave it 0 without hand grading"
            if still_to_grade(True, needs, g.manual_score, g.auto_score):
                ungraded.append(g.name)
        elif waits_for_a_look(g.name in looked_for, needs, g.manual_score):  # a trained result's record
            pts, comment = None, "waits for a look at its training record (dgmlab report)"
            to_look.append(g.name)
        else:
            pts = float(g.score)
        out = outcomes.get(g.name)
        cr = CellResult(sid, hw, snb.name, g.name, pts, float(g.max_score), kind, needs,
                        _reason(kind, pts, float(g.max_score), needs, out, comment))
        if out:
            cr.passed, cr.failed, _, cr.visible, cr.hidden = out
        cells.append(cr)
    return _NotebookMarks(cells, ungraded, to_look)


def _not_in_gradebook(course: Course, home: _Homework, left_out: set) -> list:
    """Rows for the submissions that never reached the gradebook (none of ``left_out``): recorded outcomes, else
    what the files say."""
    hw, records, subs = home.hw, home.records, []
    folder = course.folder("submitted")
    on_disk = set(course.submitted(hw)) if folder.is_dir() else set()
    for sid in sorted((set(records) | on_disk) - left_out):
        rec = records.get(sid)
        if rec:
            subs.append(Submission(sid, hw, rec["status"], rec.get("reason", ""), rec.get("seconds"),
                                   None, home.max_points))
        else:
            why = check_submission(course.folder("submitted", hw, sid) / f"{hw}.ipynb")
            subs.append(Submission(sid, hw, "invalid" if why else "not graded",
                                   why or f"collected, not autograded yet: dgmlab autograde {hw}", None,
                                   None, home.max_points))
    return subs


def _roster_problems(roster: dict, subs: list) -> list:
    """What nbgrader's student table lacks for the students who submitted: a row, or any name, email or LMS id."""
    problems = []
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
    return problems


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

