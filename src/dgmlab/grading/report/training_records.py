"""``dgmlab report``'s "needs a look" list: trained cells whose training record is missing or not one run.

The judge checks each graded weights file's training record (:mod:`dgmlab.grading.judge.training_record`) and keeps
its verdict, ``training_record.pt``, in the submission's kept folder. ``dgmlab autograde`` flags the cells a verdict
names (:func:`dgmlab.grading.judge.training_record.cells_to_look`): the submission's mark is pending until someone
gives each a hand score (the tests' points to accept the run, fewer if it is not the student's); never silently 0.
"""
from __future__ import annotations

from ..hand import trained_looks
from ..hand.class_grades import gradebook
from ..judge.training_record import ONE_RUN, kept_verdicts


def verdicts(course, hws) -> list:
    """``[(hw, student, verdict dict)]`` of every kept record verdict of ``hws``, each graded weights file's (one
    that cannot be read: a verdict saying so, never skipped)."""
    out = []
    for hw in hws:
        folder = course.kept_folder(hw, "_").parent
        for student in sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
            out += [(hw, student, v) for v in kept_verdicts(trained_looks.kept(course, hw, student))]
    return out


def waiting(course, hws) -> list:
    """``[(hw, student, verdict dict)]`` of the records that need a look and have not had one (:func:`_looked`)."""
    found = [(hw, sid, v) for hw, sid, v in verdicts(course, hws) if v.get("status") != ONE_RUN]
    return [(hw, sid, v) for hw, sid, v in found if not _looked(course, hw, sid, v.get("cells", ()))]


def reasons(verdict: dict) -> str:
    """A verdict's reasons in one line of at most 400 characters, as the judge gave them (not yet inert)."""
    return "; ".join(str(r) for r in verdict.get("reasons", []))[:400]


def report_lines(course, hws) -> list:
    """The report's block: one line per record that needs a look (reasons as the judge gave them; the caller makes
    them inert before a terminal), or none."""
    found = waiting(course, hws)
    if not found:
        return []
    lines = ["", f"trained results that need a look ({len(found)}): no training record, or not one run; each mark is "
             "pending until you have looked (dgmlab grade <hw> --looked STUDENT CELL --points N --reason ...):"]
    for hw, sid, v in found:
        cells = ", ".join(str(c) for c in v.get("cells", ()))
        lines.append(f"  {sid} {hw} {v.get('name', '?')}" + (f" ({cells})" if cells else "") + f": {reasons(v)}")
    return lines


def _looked(course, hw: str, student: str, cells) -> bool:
    """Whether every cell the verdict names has a hand score that stands (``dgmlab grade --looked``; a regrade that
    scores the cell anew flags it again)."""
    if not cells or not (course.root / "gradebook.db").exists():
        return False
    with gradebook(course) as gb:
        for cell in cells:
            try:
                grade = next(g for nb in gb.find_submission(hw, student).notebooks for g in nb.grades if g.name == cell)
            except Exception:  # noqa: BLE001 - no such submission or cell (nbgrader's MissingEntry, StopIteration)
                return False
            if grade.manual_score is None or grade.needs_manual_grade:
                return False
    return True
