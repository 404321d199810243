"""The course's gradebook as hand grading reads it: opened (:func:`gradebook`), the students of a homework
(:func:`students`), and every grade and comment of one homework for the whole class in two queries.

A question's page shows, for each student, the hand score the gradebook holds (given outside the rubric, by the
formgrader for instance), whether the answer is still to grade (:mod:`.to_grade`'s rule) and the points of the
same problem's autograded cells. Asked student by student through :class:`nbgrader.api.Gradebook` that is a few
queries an answer (seconds for a class of 500); here it is one query for the grades and one for the comments,
through nbgrader's own models.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..layout import Course, CourseError
from . import to_grade


def gradebook(course: Course):
    """nbgrader's Gradebook of the course (a context manager)."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        raise CourseError(f"no gradebook at {db}: autograde the homework first (dgmlab autograde <hw>)")
    return nbgrader_gradebook.open_gradebook_file(db)


def students(course: Course, hw: str) -> list:
    """Students with a submission of ``hw`` in the gradebook (the ones that can be graded), sorted."""
    with gradebook(course) as gb:
        try:
            return sorted(s.student.id for s in gb.find_assignment(hw).submissions)
        except Exception as exc:  # nbgrader's MissingEntry
            raise CourseError(f"the gradebook has no {hw}: autograde it first (dgmlab autograde {hw})") from exc


@dataclass(frozen=True)
class Cell:
    auto: float | None
    manual: float | None
    max: float
    needs_manual: bool
    comment: str = ""

    @property
    def score(self) -> float | None:
        return self.manual if self.manual is not None else self.auto


def rows(gb, hw: str, model, cell, *columns):
    """The query of ``columns`` over every ``model`` row (nbgrader's ``Grade`` or ``Comment``) of ``hw``'s
    submissions, joined to its student (``Student``) and its cell (``cell``: ``GradeCell`` or ``BaseCell``)."""
    from .. import nbgrader_gradebook

    Assignment, Student = nbgrader_gradebook.Assignment, nbgrader_gradebook.Student
    SubmittedAssignment, SubmittedNotebook = nbgrader_gradebook.SubmittedAssignment, nbgrader_gradebook.SubmittedNotebook

    return (gb.db.query(*columns).select_from(Student)
            .join(SubmittedAssignment, SubmittedAssignment.student_id == Student.id)
            .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
            .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(model, model.notebook_id == SubmittedNotebook.id)
            .join(cell, cell.id == model.cell_id)
            .filter(Assignment.name == hw))


def class_grades(gb, hw: str) -> dict:
    """``{student: {grade id: Cell}}`` of homework ``hw`` in the Gradebook ``gb``."""
    from .. import nbgrader_gradebook

    BaseCell, Comment, Grade = nbgrader_gradebook.BaseCell, nbgrader_gradebook.Comment, nbgrader_gradebook.Grade
    GradeCell, Student = nbgrader_gradebook.GradeCell, nbgrader_gradebook.Student

    grades = rows(gb, hw, Grade, GradeCell, Student.id, GradeCell.name, Grade.auto_score, Grade.manual_score,
                  GradeCell.max_score, Grade.needs_manual_grade)
    said = {(sid, name): text or "" for sid, name, text in
            rows(gb, hw, Comment, BaseCell, Student.id, BaseCell.name, Comment.manual_comment)}
    out: dict = {}
    for sid, name, auto, manual, top, needs in grades:
        out.setdefault(sid, {})[name] = Cell(auto, manual, float(top or 0), bool(needs), said.get((sid, name), ""))
    return out


def still_to_grade(cell: Cell | None) -> bool:
    """Whether a hand-graded cell is still to grade by :func:`.to_grade.still_to_grade`'s rule."""
    return cell is None or to_grade.still_to_grade(True, cell.needs_manual, cell.manual, cell.auto)
