"""nbgrader's gradebook (``nbgrader.api``), the one module of dgmlab that imports it: every other module opens a
course's ``gradebook.db`` here and names its tables and its "no such row" error here, so that an nbgrader upgrade
is checked in this module and its tests (``tests/grading/test_nbgrader_gradebook.py``, on a real gradebook).

- :func:`open_gradebook`, :func:`open_gradebook_file`: nbgrader's ``Gradebook`` (a context manager) at a database
  URL or on a course's ``gradebook.db``;
- :func:`instructor_cells`: the instructor's cell sources a notebook's gradebook rows hold (what the judge runs);
- :func:`grant_extension`, :func:`read_scores`: what a grading worker writes into its scratch gradebook before
  autograde and reads back after it;
- ``MissingEntry`` (nbgrader's "no such row") and the tables the formgrader's queries join (``Student``,
  ``Grade`` ...): nbgrader's own, named here so that other modules import no nbgrader.

Importing this module loads nbgrader (sqlalchemy, ~1 s): a module that the CLI loads imports it inside the function
that opens a gradebook. The other two modules that import nbgrader: :mod:`dgmlab.grading.nbgrader_preprocessing`
(what dgmlab's plug-ins build on) and :mod:`dgmlab.grading.nbgrader_app` (nbgrader's converters and apps run in
this process).
"""
from __future__ import annotations

import datetime
import warnings
from pathlib import Path

from nbgrader.api import (  # noqa: F401 (the tables and the error, for the modules that query the gradebook)
    Assignment,
    BaseCell,
    Comment,
    Grade,
    Gradebook,
    GradeCell,
    MissingEntry,
    Student,
    SubmittedAssignment,
    SubmittedNotebook,
)


def open_gradebook(url: str, course_id: str | None = None):
    """nbgrader's ``Gradebook`` at the database ``url`` (close it, or use it as a context manager); without
    ``course_id``, nbgrader's default course id."""
    return Gradebook(url) if course_id is None else Gradebook(url, course_id)


def open_gradebook_file(db: Path, course_id: str | None = None):
    """:func:`open_gradebook` on the SQLite file ``db`` (a course's ``gradebook.db``)."""
    return open_gradebook(f"sqlite:///{db}", course_id)


def instructor_cells(db_url: str, course_id: str, hw: str, notebook: str) -> dict:
    """``{grade_id: source}`` of every cell of the instructor's ``notebook`` of ``hw`` in the gradebook (what the
    judge's :class:`~dgmlab.grading.judge.cell_verdicts.Reference` runs), read by the grading worker for a judge that
    reads no gradebook."""
    with open_gradebook(db_url, course_id) as gb:
        return {cell.name: cell.source for cell in gb.find_notebook(notebook, hw).source_cells}


def points_to_grade_by_hand(db_url: str, course_id: str, hw: str, notebook: str, student: str) -> float:
    """The points of ``student``'s ``notebook`` of ``hw`` still waiting to be graded by hand (nbgrader's
    ``needs_manual_grade``); 0 where there is no such submission. Read where generate_feedback runs, whose stderr
    reaches the instructor: nbgrader 0.9.6's SQLAlchemy 2 warning is silenced, as in the grading worker."""
    with warnings.catch_warnings(), open_gradebook(db_url, course_id) as gb:
        warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
        try:
            nb = gb.find_submission_notebook(notebook, hw, student)
        except MissingEntry:
            return 0.0
        return float(sum(g.max_score or 0 for g in nb.grades if g.needs_manual_grade))


def grant_extension(url: str, course_id: str, hw: str, student: str, seconds: float) -> None:
    """Give ``student`` an extension of ``seconds`` on ``hw`` in the gradebook at ``url`` (before autograde runs,
    which then counts the submission late only past it)."""
    with open_gradebook(url, course_id) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(hw, student, extension=datetime.timedelta(seconds=seconds))


def read_scores(url: str, course_id: str, hw: str, student: str) -> dict:
    """What autograde wrote into the gradebook at ``url`` for ``student``: ``{"timestamp": ISO text or None,
    "scores": [(notebook, cell, auto score)], "comments": [(notebook, cell, auto comment)]}``. nbgrader 0.9.6
    gives the scores nowhere else: ``SaveAutoGrades`` writes them into the gradebook only, and
    ``Autograde.init_assignment`` writes the zeros of a notebook not handed in there too."""
    with open_gradebook(url, course_id) as gb:
        sub = gb.find_submission(hw, student)
        scores, comments = [], []
        for nb in sub.notebooks:
            scores += [(nb.name, g.name, g.auto_score) for g in nb.grades]
            comments += [(nb.name, c.name, c.auto_comment) for c in nb.comments]
        return {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
                "scores": scores, "comments": comments}
