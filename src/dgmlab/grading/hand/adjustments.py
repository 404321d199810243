"""Named adjustments: points a course rule adds to or takes from a whole submission, never silently.

A handout may announce a deduction that belongs to no question: ECE1508's hw5 says "failure to meet the formatting
can lead to mark deduction". Such a deduction is an *adjustment* with a name (``hand-in formatting``), its points
(``-2``) and why (``named hw5.ipynb, the homework asks for Lovelace_Ada_Assgn2.ipynb``). It is written into
nbgrader's gradebook as the ``extra_credit`` of the homework's first written (hand-graded) cell, so that every
surface that adds a submission's points (the final mark, the exports, ``push``) counts it, and its line goes into
that cell's comment and the student's grade summary (:func:`lines`, read by :func:`.rubrics.feedback_lines` and
:func:`.rubrics.write_grade`), so the student sees what was taken off and why. nbgrader adds extra credit only to a
graded cell, so the adjustment counts once the cell is graded (until then the mark is pending anyway).

Each homework's adjustments are kept in ``.dgmlab/adjustments/<hw>.json`` (``{student: {name, points, why,
cell}}``): :func:`apply` makes the gradebook match what a rule now asks, adding, changing or taking off each one,
and says each change in a line. An extra credit the gradebook holds that no adjustment put there (given by hand in
nbgrader's formgrader) is never overwritten: that student's adjustment is refused, saying so.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ..layout import Course, CourseError

MARKDOWN_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # CommonMark's backslash-escapable ASCII punctuation


@dataclass(frozen=True)
class Adjustment:
    name: str  # "hand-in formatting"
    points: float  # negative: taken off
    why: str
    cell: str  # the grade cell whose extra credit holds it

    def line(self, markdown: bool = False) -> str:
        """``-2: hand-in formatting (why)``; ``markdown``: for a gradebook comment, which nbgrader's feedback
        renders as markdown: the reason (it may hold a file name the student chose) with every ASCII punctuation
        mark backslash-escaped, so it shows as the text it is, never as a link, an image or HTML."""
        pts = f"{round(self.points, 4):g}"
        why = MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", self.why) if markdown else self.why
        return f"{'+' if self.points > 0 else ''}{pts}: {self.name} ({why})"


def path(course: Course, hw: str) -> Path:
    return course.root / ".dgmlab" / "adjustments" / f"{hw}.json"


def read(course: Course, hw: str) -> dict:
    """``{student: Adjustment}`` of ``hw`` (``{}`` without a record)."""
    p = path(course, hw)
    if not p.exists():
        return {}
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
        return {str(s): Adjustment(str(a["name"]), float(a["points"]), str(a["why"]), str(a["cell"]))
                for s, a in raw.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CourseError(f"{p} is not a record of adjustments ({type(exc).__name__}: {exc}): restore it from a "
                          "backup, or delete it and take the extra credit it held off in nbgrader's formgrader") from exc


def _save(course: Course, hw: str, record: dict) -> None:
    p = path(course, hw)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({s: asdict(a) for s, a in sorted(record.items())}, indent=1, ensure_ascii=True),
                   encoding="utf-8")
    os.replace(tmp, p)


def lines(course: Course, hw: str, student: str, cell: str | None = None, markdown: bool = False) -> list:
    """The lines of ``student``'s adjustments of ``hw`` (those held by ``cell``, when given; ``markdown``: as a
    gradebook comment has them, :meth:`Adjustment.line`)."""
    a = read(course, hw).get(student)
    return [a.line(markdown)] if a is not None and (cell is None or a.cell == cell) else []


def _comment(gb, hw: str, cell: str, student: str, old, new) -> None:
    """The cell's comment with ``old``'s line taken out and ``new``'s put at the end."""
    c = gb.find_comment(cell, hw, hw, student)
    gone = None if old is None else f"- {old.line(markdown=True)}"
    kept = [ln for ln in (c.manual_comment or "").split("\n") if ln.strip() and ln != gone]
    if new is not None:
        kept.append(f"- {new.line(markdown=True)}")
    c.manual_comment = "\n".join(kept) or None


def apply(course: Course, hw: str, cell: str, name: str, points: float, wanted: dict) -> list:
    """Make ``hw``'s adjustment called ``name`` worth ``points``, held by the grade cell ``cell``, for each student
    of ``wanted`` (``{student: why}``) and for no one else with a submission; returns a line per change (added,
    changed, taken off, or refused because the gradebook holds an extra credit given by hand). A student has at
    most one adjustment per homework: another name's is left alone."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        raise CourseError(f"no gradebook at {db}: autograde the homework first (dgmlab autograde {hw})")
    record = read(course, hw)
    out = []
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        try:
            students = sorted(s.student.id for s in gb.find_assignment(hw).submissions)
        except Exception as exc:  # nbgrader's MissingEntry
            raise CourseError(f"the gradebook has no {hw}: autograde it first (dgmlab autograde {hw})") from exc
        for sid in students:
            have = record.get(sid)
            want = Adjustment(name, float(points), wanted[sid], cell) if sid in wanted and points else None
            if want == have:
                continue
            old = have if have is not None and have.name == name else None
            if have is not None and old is None:
                continue  # another rule's adjustment: not this one's to change
            grade = gb.find_grade(cell, hw, hw, sid)
            ours = None if old is None else old.points
            if grade.extra_credit not in (None, 0.0, ours):
                out.append(f"{hw} {sid}: {name} not applied: {cell} holds an extra credit of {grade.extra_credit:g} "
                           "given by hand (nbgrader's formgrader); take it off there, or leave the adjustment out")
                continue
            grade.extra_credit = None if want is None else want.points
            _comment(gb, hw, old.cell if old else cell, sid, old, want)
            if want is None:
                del record[sid]
                out.append(f"{hw} {sid}: {name} taken off ({old.line()} no longer applies)")
            else:
                record[sid] = want
                out.append(f"{hw} {sid}: {want.line()}, on {cell}")
        gb.db.commit()
    _save(course, hw, record)
    return out
