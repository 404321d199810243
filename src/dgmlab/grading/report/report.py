"""Grades out of the gradebook: nbgrader's CSV export and a student x homework table."""
from __future__ import annotations

import csv
import datetime as _dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from .. import nbgrader_app
from ..hand import trained_looks
from ..hand.to_grade import waits_for_a_look
from ..inert import neutralise_csv_file, terminal
from ..layout import Course, CourseError, check_submission
from ..records import load_records
from ..term import late_days as late_days_module
from .final_mark import PLACES, final_mark, late_points, still_to_grade


@dataclass
class Grade:
    student: str
    hw: str
    auto_score: float  # points from autograded test cells
    auto_max: float
    manual_max: float  # points of hand-graded cells (written answers)
    manual_score: float
    needs_manual_grade: bool
    late_penalty: float = 0.0  # the course's late policy on auto + manual points (dgmlab.grading.term.deadlines)
    late_reason: str = ""
    points: tuple = ()  # every grade cell's points (None: not graded yet), for final_mark
    ungraded: tuple = ()  # the hand-graded answers still to grade
    late: object = None  # the late policy's LateResult
    to_look: tuple = ()  # trained results whose training record waits for an instructor's look (dgmlab grade --looked)

    @property
    def final(self) -> float:
        return self.score - self.late_penalty

    @property
    def score(self) -> float:
        return self.auto_score + self.manual_score

    @property
    def max_score(self) -> float:
        return self.auto_max + self.manual_max


def grades(course: Course, students=None, hws=None) -> list[Grade]:
    """Grades of every (student, homework) submission in the gradebook (the mark to show: :func:`.final_mark`)."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        raise CourseError(f"no gradebook at {db}: autograde something first")
    from ..term.deadlines import deadlines

    dates = deadlines(course)
    dropped = course.dropped()  # c.DgmlabTerm.dropped: in no table or export
    out = []
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        for assignment in gb.assignments:
            if hws and assignment.name not in hws:
                continue
            solution = {(nb.name, c.name) for nb in assignment.notebooks for c in nb.solution_cells}
            for sub in assignment.submissions:
                sid = sub.student.id
                if (students and sid not in students) or sid in dropped:
                    continue
                auto = auto_max = manual = manual_max = 0.0
                points, ungraded, to_look = [], [], []
                looked_for = trained_looks.waiting(course, assignment.name, sid)
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        pts = grade.score or 0.0
                        hand = _is_manual(grade) or (nb.name, grade.name) in solution
                        if not hand:
                            auto += pts
                            auto_max += grade.max_score
                            waits = waits_for_a_look(grade.name in looked_for, grade.needs_manual_grade,
                                                     grade.manual_score)
                            points.append(None if waits else float(pts))
                            if waits:  # a trained result whose record needs a look
                                to_look.append(grade.name)
                        else:
                            manual += pts  # with its extra credit: an adjustment (.hand.adjustments) counts
                            manual_max += grade.max_score
                            todo = still_to_grade(True, grade.needs_manual_grade, grade.manual_score, grade.auto_score)
                            points.append(None if grade.manual_score is None and grade.auto_score is None
                                          else float(pts))
                            if todo:
                                ungraded.append(grade.name)
                late = dates.apply(assignment.name, sid, auto + manual, sub.timestamp, assignment.duedate,
                                   sub.extension)
                out.append(Grade(sid, assignment.name, auto, auto_max, manual_max, manual,
                                 bool(sub.needs_manual_grade), late.penalty, late.reason, tuple(points),
                                 tuple(ungraded), late, tuple(to_look)))
    return sorted(out, key=lambda g: (g.student, g.hw))


def not_in_gradebook(course: Course, hws=None) -> dict:
    """``{(hw, student): why there is no mark}`` of each submission collected, or with a grading record, that has no
    row in nbgrader's gradebook (collected, not autograded yet; a grading that failed): the pending text its final
    mark says (:func:`.final_mark`, as :func:`dgmlab.grading.report.analysis.collect` reads it), never a 0."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    seen = set()
    if db.exists():
        with nbgrader_gradebook.open_gradebook_file(db) as gb:
            seen = {(a.name, sub.student.id) for a in gb.assignments for sub in a.submissions}
    out, dropped = {}, course.dropped()
    for hw in hws or course.homeworks():
        records = load_records(course, hw)
        for sid in sorted((set(records) | set(course.submitted(hw))) - dropped):
            if (hw, sid) in seen:
                continue
            rec = records.get(sid) or {}
            status, why = rec.get("status"), rec.get("reason", "")
            if not status:
                why = check_submission(course.folder("submitted", hw, sid) / f"{hw}.ipynb")
                status, why = ("invalid", why) if why else ("not graded", f"collected, not autograded yet: "
                                                                          f"dgmlab autograde {hw}")
            out[(hw, sid)] = final_mark(SimpleNamespace(status=status, reason=why, points=None)).pending
    return out


def _is_manual(grade) -> bool:
    """Hand-graded cells are the solution+grade (written answer) cells."""
    try:
        return bool(grade.cell.cell_type == "markdown")
    except Exception:
        return False


class _Export:
    """What ``nbgrader export`` does once configured (``ExportApp.start``): the plugin exports the gradebook."""

    def __init__(self, plugin, db_url: str, course_id: str):
        self.plugin, self.db_url, self.course_id = plugin, db_url, course_id
        self.log = plugin.log

    def start(self) -> None:
        from .. import nbgrader_gradebook

        self.log.info("Using exporter: %s", type(self.plugin).__name__)
        with nbgrader_gradebook.open_gradebook(self.db_url, self.course_id) as gb:
            self.plugin.export(gb)


def export_csv(course: Course, path: Path | str = "grades.csv") -> Path:
    """Write nbgrader's grade export (one row per student and homework) to ``path``: its export plugin
    (``c.ExportApp.plugin_class``, by default ``CsvExportPlugin``) run in this process on the course's gradebook,
    as ``nbgrader export --to <path>`` runs it."""
    from .. import nbgrader_preprocessing
    from ..term.deadlines import deadlines, sync_gradebook

    path = Path(path)
    target = path if path.is_absolute() else course.root / path
    config = course.config()
    dates = deadlines(course)
    if dates.configured and (course.root / "gradebook.db").exists():  # the penalty of the final mark, as of now
        from .. import nbgrader_gradebook

        with nbgrader_gradebook.open_gradebook_file(course.root / 'gradebook.db') as gb:
            sync_gradebook(course, gb)
    config.ExportPlugin.to = str(target)  # --to
    config.CourseDirectory.root = str(course.root)  # the file's own root is relative to where it is run
    directory = nbgrader_preprocessing.course_directory(config)
    named = nbgrader_app.export_plugin_named(config)
    with nbgrader_app.as_nbgrader_command(course.root):  # a plugin the config names may live in the course folder
        try:
            plugin_class = nbgrader_app.export_plugin_class(named)
        except Exception as exc:
            raise CourseError(f"nbgrader_config.py's c.ExportApp.plugin_class = {named!r} cannot be imported "
                              f"({exc}): name an nbgrader.plugins.ExportPlugin class, or remove the setting") from exc
        if not nbgrader_app.is_export_plugin(plugin_class):
            raise CourseError(f"nbgrader_config.py's c.ExportApp.plugin_class = {named!r} is not an "
                              "nbgrader.plugins.ExportPlugin class: name one, or remove the setting")
        plugin = plugin_class(config=config, log=nbgrader_app.converter_log())
        res = nbgrader_app.start_logged(_Export(plugin, directory.db_url, directory.course_id))
    if not res["success"] or not target.exists():
        output = res.get("log", "") + res.get("error", "")
        raise CourseError(f"nbgrader export failed:\n{output[-2000:]}")
    if nbgrader_app.is_nbgrader_csv(plugin_class):  # nbgrader's own: no cell a spreadsheet runs (a name from the LMS)
        _final_marks(course, target, late_reasons=dates.configured)
        neutralise_csv_file(target)
    return target


PENDING_COLUMN = "pending"  # grades.csv: why a submission has no final mark yet ("" when it has one), or "excused"


def _final_marks(course: Course, path: Path, late_reasons: bool) -> None:
    """nbgrader's CSV with each submission's ``score`` the final mark (:func:`.final_mark`: empty while an answer
    is still to grade by hand), a column ``pending`` saying why, and, where the course sets deadlines, a last
    column ``late_reason``: why its late_submission_penalty, which is the raw score less the final mark exactly
    (:func:`.late_points`: ``9.82``, not nbgrader's unrounded ``9.821429``), so the row adds up. A homework the
    student is excused from (``c.DgmlabTerm.excused``) and handed nothing in for has no score (nbgrader writes 0)
    and ``excused``. ``duedate`` is the student's own due date (:func:`student_due`), in ISO 8601 with its UTC
    offset, not nbgrader's unlabelled UTC time of the homework's; ``timestamp`` (when it was handed in) is too, in
    the same time zone (:func:`_labelled`), so the two read alike."""
    from ..term.deadlines import deadlines
    from ..term.term_rules import term_rules

    by = {(g.hw, g.student): g for g in grades(course)}
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    head = rows[0]
    a, s, score = head.index("assignment"), head.index("student_id"), head.index("score")
    penalty = head.index("late_submission_penalty") if "late_submission_penalty" in head else None  # a plugin's own
    due_at = head.index("duedate") if "duedate" in head else None
    own_due = _own_due_dates(course) if due_at is not None else {}
    handed = head.index("timestamp") if "timestamp" in head else None
    raw = head.index("raw_score") if "raw_score" in head else None
    tz = deadlines(course).tz
    out = [head + [PENDING_COLUMN] + (["late_reason"] if late_reasons else [])]
    dropped = course.dropped()  # c.DgmlabTerm.dropped: nbgrader exports every student of the gradebook
    rules = term_rules(course)
    ungraded = not_in_gradebook(course, sorted({r[a] for r in rows[1:] if r}))  # handed in, no gradebook row
    for r in rows[1:]:
        if not r or r[s] in dropped:
            continue
        g = by.get((r[a], r[s]))
        mark = final_mark(g) if g is not None else None
        if mark is not None:
            r[score] = mark.cell
            if mark.final and g.late_reason and penalty is not None:
                r[penalty] = late_points(g, mark).removeprefix("-")
        if due_at is not None and (r[a], r[s]) in own_due:
            r[due_at] = own_due[(r[a], r[s])]
        if handed is not None:
            r[handed] = _labelled(r[handed], tz)
        why = mark.pending if mark is not None else ""
        if mark is None and rules.is_excused(r[a], r[s]):  # not a 0: left out of the course total
            r[score], why = "", "excused"
        elif mark is None and (r[a], r[s]) in ungraded:
            r[score], why = "", ungraded[(r[a], r[s])]
            if raw is not None:
                r[raw] = ""
        elif mark is None and re.fullmatch(r"\d+(\.\d+)?", r[score]):  # nbgrader's 0.0: as every mark is written
            r[score] = f"{Decimal(r[score]):.{PLACES}f}"
        out.append(r + [why]
                   + ([g.late_reason if g is not None else ""] if late_reasons else []))
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(out)


def _labelled(text: str, tz) -> str:
    """nbgrader's unlabelled UTC time (``2024-12-02 21:30:00``) in ISO 8601 in ``tz``, with its offset
    (``2024-12-03T01:00:00+03:30``); an empty cell stays empty, one already with an offset is only moved, and one
    that is no time (a course's own export plugin's) is left as it is."""
    try:
        t = _dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    t = t if t.tzinfo is not None else t.replace(tzinfo=_dt.timezone.utc)
    return t.astimezone(tz).isoformat()


def student_due(dates, hw: str, student: str, gradebook_due=None, gradebook_extension=None):
    """``student``'s own due date of ``hw`` (aware, in the course's time zone; ``None``: none): the homework's,
    with Canvas's per-student date, an extension, an accommodation (:meth:`Deadlines.due`) and the late days the
    student's bank spent on it (:mod:`dgmlab.grading.term.late_days`)."""
    due = dates.due(hw, student, gradebook_due, gradebook_extension)
    if due is None:
        return None
    spent, _ = dates.late_days(hw, student)
    return (late_days_module.shift(due, spent, dates.tz) if spent else due).astimezone(dates.tz)


def _own_due_dates(course: Course) -> dict:
    """``{(hw, student): ISO 8601 due date with its UTC offset}`` of every student in nbgrader's gradebook and
    every homework (a student's own: :func:`student_due`)."""
    from .. import nbgrader_gradebook
    from ..term.deadlines import deadlines

    dates = deadlines(course)
    out = {}
    with nbgrader_gradebook.open_gradebook_file(course.root / 'gradebook.db') as gb:
        subs = {(a.name, sub.student.id): sub.extension for a in gb.assignments for sub in a.submissions}
        for a in gb.assignments:
            for st in gb.students:
                due = student_due(dates, a.name, st.id, a.duedate, subs.get((a.name, st.id)))
                if due is not None:
                    out[(a.name, st.id)] = due.isoformat(timespec="seconds")
    return out


def table(rows: list[Grade]) -> str:
    """A plain-text table: one line per student, one column per homework: the final mark (:func:`.final_mark`)
    or ``pending``, with its parts; then why each pending mark is pending."""
    if not rows:
        return "(no grades)"
    hws = sorted({g.hw for g in rows})
    students = sorted({g.student for g in rows})
    cell = {(g.student, g.hw): g for g in rows}
    header = ["student"] + hws
    lines, pending = [header], []
    for s in students:
        line = [s]
        for hw in hws:
            g = cell.get((s, hw))
            if g is None:
                line.append("-")
                continue
            mark = final_mark(g)
            parts = f"{g.auto_score:g}/{g.auto_max:g} auto" + (
                f", {g.manual_score:g}/{g.manual_max:g} by hand" if g.manual_max else "")
            if g.late is not None and (g.late.days or g.late.refused):
                parts += ", late"
            line.append(f"{mark.out_of if mark.final else 'pending'} ({parts})")
            if not mark.final:
                pending.append(f"  {s} {hw}: {mark.pending}")
        lines.append([terminal(v) for v in line])
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    fmt = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths))  # noqa: E731
    out = [fmt(lines[0]), "  ".join("-" * w for w in widths)] + [fmt(r) for r in lines[1:]]
    if pending:
        out += ["", "pending (no final mark until every answer is graded by hand):"] + [terminal(p) for p in pending]
    return "\n".join(out)
