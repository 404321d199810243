"""What autograding does with nbgrader's gradebook and late penalty, in one module: an nbgrader upgrade is checked
here and in ``tests/grading/autograde/test_nbgrader_adapter.py``, which pins what this module relies on in nbgrader
:data:`PINNED`. It imports no nbgrader itself: the gradebook comes from :mod:`dgmlab.grading.nbgrader_gradebook`, the
late penalty's preprocessor from :mod:`dgmlab.grading.nbgrader_preprocessing` (tests/kit/test_nbgrader_imports.py);
autograde's modules open a gradebook by this module's name for it (:func:`open_gradebook`, the gradebook adapter's).

- The gradebook: the homework's definition copied into a worker's scratch gradebook (:func:`copy_assignment`) and
  the rows autograde wrote there (read back by the worker: :func:`dgmlab.grading.nbgrader_gradebook.read_scores`)
  written into the course's gradebook by its one writer (:func:`write_scores`).
- The late penalty: what nbgrader's ``AssignLatePenalties`` gives a late notebook (:class:`LatePenalty`), through
  the course's ``c.AssignLatePenalties.plugin_class``, clamped as nbgrader 0.9.6 clamps it (never below 0 nor above
  the notebook's score) without its private ``_check_late_penalty``.

nbgrader's converters that :mod:`.nbgrader_run` runs are :mod:`dgmlab.grading.nbgrader_app`'s.
"""
from __future__ import annotations

import datetime
import warnings
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.exc import SAWarning

from ..nbgrader_gradebook import MissingEntry, open_gradebook  # noqa: F401 (open_gradebook: autograde's modules)
from ..nbgrader_preprocessing import AssignLatePenalties

PINNED = "0.9.6"  # the nbgrader whose behaviour the tests of this module pin


def has_assignment(gb, hw: str) -> bool:
    try:
        gb.find_assignment(hw)
        return True
    except MissingEntry:
        return False


def submissions(gb, hw: str) -> dict:
    """``{student: seconds of extension, 0.0 without one}`` of every submission of ``hw`` that ``gb`` holds."""
    if not has_assignment(gb, hw):
        return {}
    return {sub.student_id: sub.extension.total_seconds() if sub.extension else 0.0
            for sub in gb.assignment_submissions(hw)}


def notebook_names(gb, hw: str) -> tuple:
    """The names of ``hw``'s notebooks in ``gb``, sorted."""
    return tuple(sorted(nb.name for nb in gb.find_assignment(hw).notebooks))


def copy_assignment(src, dst, hw: str) -> tuple:
    """Copy ``hw``'s definition (due date, notebooks, cells; no student) from ``src`` into ``dst``; returns the names
    of its notebooks, sorted (:func:`notebook_names`). Raises :class:`LookupError` when ``src`` has no ``hw``."""
    try:
        a = src.find_assignment(hw)
    except MissingEntry:
        raise LookupError(hw) from None
    dst.update_or_create_assignment(hw, duedate=a.duedate)
    for nb in a.notebooks:
        dst.update_or_create_notebook(nb.name, hw, kernelspec=nb.kernelspec)
        for c in nb.grade_cells:
            dst.update_or_create_grade_cell(c.name, nb.name, hw, max_score=c.max_score, cell_type=c.cell_type)
        for c in nb.solution_cells:
            dst.update_or_create_solution_cell(c.name, nb.name, hw)
        for c in nb.task_cells:
            dst.update_or_create_task_cell(c.name, nb.name, hw, max_score=c.max_score, cell_type=c.cell_type)
        for c in nb.source_cells:
            dst.update_or_create_source_cell(c.name, nb.name, hw, cell_type=c.cell_type, locked=c.locked,
                                             source=c.source, checksum=c.checksum)
    return notebook_names(dst, hw)


class LatePenalty:
    """nbgrader's late penalty as ``AssignLatePenalties`` assigns it, with the course's configured plug-in."""

    def __init__(self, config):
        late = AssignLatePenalties(config=config)
        late.init_plugin()
        self.plugin = late.plugin_inst
        self.log = late.log

    def of(self, student: str, score: float, seconds_late: float) -> float | None:
        """The penalty of a notebook scoring ``score`` handed in ``seconds_late`` seconds late (``None``: none)."""
        if seconds_late <= 0:
            return None
        penalty = self.plugin.late_submission_penalty(student, score, seconds_late)
        if penalty is None:
            return None
        if penalty < 0 or penalty > score:  # as nbgrader 0.9.6's AssignLatePenalties._check_late_penalty
            clamped = 0 if penalty < 0 else score
            self.log.warning(f"(Penalty {'< 0' if penalty < 0 else '> score'}) Adjusting late submission penalty "
                             f"from {penalty} to {clamped}.")
            return clamped
        return penalty


@dataclass(frozen=True)
class GradeRow:
    """One autograded cell's gradebook row before a regrade writes it, as :func:`write_scores`'s policy sees it
    (the attributes it reads of nbgrader's ``Grade``)."""

    notebook: str
    name: str  # the cell's
    auto_score: float | None  # the one the gradebook holds (the regrade's is the policy's second argument)
    manual_score: float | None
    needs_manual_grade: bool


def write_scores(gb, hw: str, student: str, scores: dict, notebooks_run, late: LatePenalty,
                 policy: Callable[[GradeRow, float | None], bool]) -> None:
    """Write what autograde found (``scores``, as :func:`read_scores` gives it) into ``gb`` as nbgrader's autograde
    would (the student, the submission and its timestamp, each cell's auto score and comment, each graded notebook's
    late penalty). ``policy(row, auto_score)`` gives each cell's ``needs_manual_grade`` before its new ``auto_score``
    is written. Rolls back and raises on any error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission autoflushes mid-build
            _write_rows(gb, hw, student, scores, notebooks_run, late, policy)
    except Exception:
        gb.db.rollback()
        raise


def _write_rows(gb, hw, student, scores, notebooks_run, late, policy) -> None:
    gb.update_or_create_student(student)
    kwargs = {}
    if scores["timestamp"]:
        kwargs["timestamp"] = datetime.datetime.fromisoformat(scores["timestamp"])
    sub = gb.update_or_create_submission(hw, student, **kwargs)
    for nb_name, cell, auto_score in scores["scores"]:
        grade = gb.find_grade(cell, nb_name, hw, student)
        grade.needs_manual_grade = policy(GradeRow(nb_name, cell, grade.auto_score, grade.manual_score,
                                                   bool(grade.needs_manual_grade)), auto_score)
        grade.auto_score = auto_score
    for nb_name, cell, auto_comment in scores["comments"]:
        gb.find_comment(cell, nb_name, hw, student).auto_comment = auto_comment
    gb.db.commit()
    for nb_name in notebooks_run:
        notebook = gb.find_submission_notebook(nb_name, hw, student)
        notebook.late_submission_penalty = late.of(student, notebook.score, sub.total_seconds_late)
    gb.db.commit()
