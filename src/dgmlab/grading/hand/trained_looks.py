"""An instructor's look at a trained result: ``dgmlab grade <hw> --looked STUDENT CELL --points N --reason ...``.

A trained cell whose training record is missing or not one run (:mod:`dgmlab.grading.judge.training_record`) is
flagged by ``dgmlab autograde`` (:mod:`dgmlab.grading.autograde.hand_grades`): its points wait, and the student's
mark is pending, until someone has looked at the run (the notebook's curves, the record's reasons in ``dgmlab
report``). The look gives the cell a hand score: its tests' points to accept the run, fewer (0 included) where the
weights are not the student's own, with the reason the student reads in their feedback's grade summary
(:func:`feedback_lines`). It is logged in the homework's audit log (``rubrics/<hw>.log.jsonl``) as every hand change
is. A regrade keeps it unless the cell's
tests score the submission differently (then it is flagged again and the TA told).
"""
from __future__ import annotations

from ..judge.training_record import cells_to_look, is_kept_verdict
from ..layout import Course, CourseError
from . import audit_log
from .class_grades import gradebook

LOOKED = "trained result looked at"  # the audit log's "what"
MAX_REASON = 2000  # characters of the reason kept


def kept(course: Course, hw: str, student: str) -> dict[str, bytes]:
    """The training-record verdicts the grader kept for ``student``'s ``hw`` (file name -> bytes; none: ``{}``)."""
    folder = course.kept_folder(hw, student)
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in folder.iterdir() if is_kept_verdict(p.name) and p.is_file()}


def waiting(course: Course, hw: str, student: str) -> set[str]:
    """The cells of ``student``'s ``hw`` whose kept training-record verdicts are not one run."""
    return cells_to_look(kept(course, hw, student))


def look(course: Course, hw: str, student: str, cell: str, points: float, reason: str, *, who: str) -> float | None:
    """Give ``student``'s trained ``cell`` of ``hw`` the hand score ``points`` for ``reason``, logged as ``who``'s.
    Returns the hand score it had before (None: none). Refuses a cell no verdict of the student's names, points
    outside 0 to the cell's, and a reason left empty."""
    reason = " ".join(str(reason or "").split())[:MAX_REASON]
    if not reason:
        raise CourseError("--looked needs --reason: what you saw of the run (the student reads it)")
    if cell not in waiting(course, hw, student):
        raise CourseError(f"{student}'s {cell} of {hw} is not a trained result waiting for a look (dgmlab report "
                          "lists those under \"trained results that need a look\"; other scores: dgmlab grade or "
                          "nbgrader's formgrader)")
    with gradebook(course) as gb:
        try:
            grade = gb.find_grade(cell, _notebook_of(gb, cell, hw), hw, student)
        except Exception:  # noqa: BLE001 - nbgrader's MissingEntry
            raise CourseError(f"no submission of {hw} by {student!r} in the gradebook: give the student's id") from None
        top = float(grade.max_score)
        if not 0 <= points <= top:
            raise CourseError(f"--points must be between 0 and {top:g}, {cell}'s points")
        old = grade.manual_score
        grade.manual_score, grade.needs_manual_grade = float(points), False
        gb.db.commit()
    audit_log.append(course, hw, [{"what": LOOKED, "question": cell, "student": student, "old": old,
                                   "new": {"points": float(points), "reason": reason}}], who=who, via="looked")
    return old


def feedback_lines(course: Course, hw: str, student: str) -> dict[str, list[str]]:
    """cell -> the line ``student``'s feedback shows for each look at their trained results (the last one given)."""
    out: dict[str, list[str]] = {}
    for r in audit_log.records(course, hw):
        if r.get("what") == LOOKED and r.get("student") == student and isinstance(r.get("new"), dict):
            out[str(r.get("question"))] = [f"training record looked at: {r['new'].get('reason', '')}"]
    return out


def _notebook_of(gb, cell: str, hw: str) -> str:
    """The notebook of ``hw`` that holds the grade cell ``cell``."""
    for nb in gb.find_assignment(hw).notebooks:
        if cell in {c.name for c in nb.grade_cells}:
            return nb.name
    raise CourseError(f"the gradebook has no grade cell {cell} in {hw}: autograde {hw} first")
