"""nbgrader's gradebook (``nbgrader.api``), the one module of dgmlab that imports it: every other module opens a
course's ``gradebook.db`` here and names its tables and its "no such row" error here, so that an nbgrader upgrade
is checked in this module and its tests (``tests/grading/test_nbgrader_gradebook.py``, on a real gradebook).

- :func:`open_gradebook`, :func:`open_gradebook_file`: nbgrader's ``Gradebook`` (a context manager) at a database
  URL or on a course's ``gradebook.db``;
- :func:`instructor_cells`: the instructor's cell sources a notebook's gradebook rows hold (what the judge runs);
- ``MissingEntry`` (nbgrader's "no such row") and the tables the formgrader's queries join (``Student``,
  ``Grade`` ...): nbgrader's own, named here so that other modules import no nbgrader.

Importing this module loads nbgrader (sqlalchemy, ~1 s): a module that the CLI loads imports it inside the function
that opens a gradebook. The other two modules that import nbgrader: :mod:`dgmlab.grading.nbgrader_preprocessing`
(what dgmlab's plug-ins build on) and :mod:`dgmlab.grading.nbgrader_app` (nbgrader's converters and apps run in
this process).
"""
from __future__ import annotations

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
