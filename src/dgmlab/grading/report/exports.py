"""Grades for an LMS: Canvas's gradebook import CSV and a long per-question CSV. (No Gradescope file: Gradescope
imports no scores; a course grading there uses the autograder zip, ``dgmlab gradescope``.)

Both are written from :class:`dgmlab.grading.report.analysis.ClassData` (the
gradebook plus the graded notebooks); names and ids come from nbgrader's
student table only. A student without a roster entry keeps just the id the
gradebook knows, and :attr:`ClassData.problems` says so. Every cell of the two
CSVs passes :func:`dgmlab.grading.inert.csv_cell`: a reason a submission's code
printed, or a name from the LMS, is never a spreadsheet formula. The mark each
shows is :func:`dgmlab.grading.report.final_mark.final_mark`'s: the final mark, or
none while an answer is still to grade by hand (with the reason).
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..inert import csv_row
from ..layout import CourseError
from .analysis import ClassData
from .final_mark import final_mark, late_points, mark_text

# Canvas's gradebook import: these identity columns, then one column per assignment headed "<name> (<Canvas
# assignment id>)", which Canvas matches to the assignment by the id; the row after the header gives each
# assignment's points possible (Canvas's own export writes it the same way). Canvas matches a student by ID (its
# user id), else SIS User ID, else SIS Login ID; an empty mark leaves the gradebook's cell as it is.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
LONG_COLUMNS = ["student", "homework", "cell", "points", "max_points", "graded_by", "reason"]
LATE_ROW = "late_penalty"  # the per-question CSV's row for a late penalty
FINAL_ROW = "final_mark"  # the per-question CSV's last row of a submission: its final mark, or why none yet


def _num(x) -> str:
    return "" if x is None else f"{round(float(x), 4):g}"


def canvas_column(hw: str, assignment_id) -> str:
    """The header Canvas's gradebook import matches to an assignment: ``'hw4_gans (12345)'``."""
    return f"{hw} ({assignment_id})"


def canvas_assignments(hws, ids: dict) -> dict:
    """``{hw: Canvas assignment id}`` of each homework in ``hws`` from ``ids``; a :class:`CourseError` naming
    each homework whose id is not known and how to give it."""
    missing = [hw for hw in hws if not str(ids.get(hw) or "").strip()]
    if missing:
        raise CourseError("the Canvas CSV needs each homework's Canvas assignment id (Canvas's import matches a "
                          "column by it), not known for " + ", ".join(missing) + ": set c.DgmlabCanvas.assignments"
                          " = {" + ", ".join(f'"{hw}": <id>' for hw in missing) + "} in nbgrader_config.py, or give "
                          + " ".join(f"--canvas-assignment {hw}=<id>" for hw in missing)
                          + " (the id is the number in the assignment's Canvas address)")
    bad = [f"{hw}={ids[hw]!r}" for hw in hws if not str(ids[hw]).strip().isdigit()]
    if bad:
        raise CourseError(f"a Canvas assignment id is a number (the one in the assignment's address), not "
                          f"{', '.join(bad)}")
    return {hw: int(str(ids[hw]).strip()) for hw in hws}


EXCUSED_CELL = "EX"  # Canvas's gradebook (and its import) takes EX for an excused submission


def canvas_csv(data: ClassData, path: Path, assignment_ids: dict, excused=None, user_ids: dict | None = None,
               hws: list | None = None, sis_ids: dict | None = None) -> Path:
    """Canvas gradebook import CSV: one row per student in nbgrader's student table.

    Student = "Last, First" from the roster (the id when the roster has no
    name); ID = the student's Canvas user id (``user_ids``: ``{student: Canvas user id}``, the course's id map's,
    :func:`dgmlab.grading.lms.id_map.platform_ids`; by default the roster's LMS user id); SIS User
    ID = the student's SIS id (``sis_ids``: the id map's ``sis`` column), else nbgrader's student id (the id map's
    own rule, :func:`dgmlab.grading.lms.id_map.sis_owner`); SIS Login ID = the roster's email; Section is
    left empty (Canvas keeps the student's section). Each homework's column is
    headed with its name and Canvas assignment id (``assignment_ids``, see
    :func:`canvas_assignments`) and holds the final mark (:func:`.final_mark`), empty while the mark is
    pending or there is no graded submission (an empty cell changes nothing in
    Canvas), and ``EX`` where the student is excused from the homework
    (``excused(hw, student)``, e.g. the course's ``TermRules.is_excused``: Canvas marks it excused). A homework whose id is not known gets no column: the file is written for the others and then
    :class:`CanvasColumnsLeftOut` names those left out (``hws``: the homeworks graded in Canvas, by default all of
    ``data``'s: a homework graded in another LMS is not one left out); when no homework has an id, or an id is not a
    number,
    nothing is written and an earlier file at ``path`` is removed (a :class:`CourseError` says so).
    """
    path = Path(path)
    wanted = [hw for hw in data.hws if hws is None or hw in hws]
    hws = [hw for hw in wanted if str(assignment_ids.get(hw) or "").strip()]
    left_out = [hw for hw in wanted if hw not in hws]
    try:
        if not hws:
            canvas_assignments(wanted or data.hws, assignment_ids)
        ids = canvas_assignments(hws, assignment_ids)
    except CourseError as exc:  # never leave an earlier run's file to be imported as if it were this run's
        stale = path.exists()
        path.unlink(missing_ok=True)
        raise CourseError(f"{exc}" + (f"; the earlier {path} was removed (its marks are out of date)" if stale
                                      else "")) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    marks = {(s.student, s.hw): final_mark(s) for s in data.submissions}
    students = sorted(data.roster)  # a submission with no roster entry is in data.problems, not invented here
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(csv_row(CANVAS_COLUMNS + [canvas_column(hw, ids[hw]) for hw in hws]))
        w.writerow(csv_row(["Points Possible", "", "", "", ""] + [mark_text(data.max_score[hw]) for hw in hws]))
        for sid in students:
            r = data.roster[sid]
            uid = user_ids.get(sid) if user_ids is not None else r.lms_user_id
            w.writerow(csv_row([r.display, uid or "", (sis_ids or {}).get(sid) or sid, r.email or "", ""]
                               + [EXCUSED_CELL if excused is not None and excused(hw, sid)
                                  else m.cell if (m := marks.get((sid, hw))) else "" for hw in hws]))
    if left_out:
        try:
            canvas_assignments(left_out, {})
        except CourseError as exc:
            raise CanvasColumnsLeftOut(path, left_out, f"{path} written without {', '.join(left_out)}: {exc}") \
                from None
    return path


class CanvasColumnsLeftOut(CourseError):
    """The Canvas CSV was written (``path``) with only the homeworks whose Canvas assignment id is known; those
    in ``left_out`` have no column."""

    def __init__(self, path: Path, left_out: list, message: str):
        super().__init__(message)
        self.path, self.left_out = path, left_out


def long_csv(data: ClassData, path: Path) -> Path:
    """One row per (student, homework, graded cell): points (empty while ungraded), max, auto/manual, reason;
    then the late penalty, if any, and the final mark (empty while pending, with the reason)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    subs = {(s.student, s.hw): s for s in data.submissions}
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(LONG_COLUMNS)
        for i, c in enumerate(data.cells):
            w.writerow(csv_row([c.student, c.hw, c.cell, _num(c.points), _num(c.max_points), c.kind, c.reason]))
            last = i + 1 == len(data.cells) or (data.cells[i + 1].student, data.cells[i + 1].hw) != (c.student, c.hw)
            s = subs.get((c.student, c.hw)) if last else None
            if s is None:
                continue
            mark = final_mark(s)
            if s.late_reason:
                why = s.late_reason if mark.final else f"{s.late.lateness}: the late policy applies to the final mark"
                w.writerow(csv_row([c.student, c.hw, LATE_ROW, late_points(s, mark), "0", "late", why]))
            w.writerow(csv_row([c.student, c.hw, FINAL_ROW, mark.cell, mark_text(s.max_score), "final",
                                mark.pending]))
    return path
