"""What a notebook cell's ``nbgrader`` metadata makes it: graded, a solution, locked. Read here from the cell's
metadata, as ``nbgrader.utils`` 0.9.6 reads it (``tests/grading/test_cell_roles.py`` compares the two on each kind
of cell), so that the judge and the authoring tools, which import no nbgrader, ask the same questions.

Each returns the metadata's own value as nbgrader does (``True``, ``False``, or what a hand-edited notebook wrote),
and, as nbgrader, raises ``AttributeError`` when the ``nbgrader`` metadata is not a mapping.
"""
from __future__ import annotations

from typing import Any


def is_graded(cell: Any) -> Any:
    """The cell's ``grade`` flag: it is a graded cell (an autograded test, or a manually graded answer)."""
    if "nbgrader" not in cell.metadata:
        return False
    return cell.metadata["nbgrader"].get("grade", False)


def is_solution(cell: Any) -> Any:
    """The cell's ``solution`` flag: it holds the student's answer."""
    if "nbgrader" not in cell.metadata:
        return False
    return cell.metadata["nbgrader"].get("solution", False)


def is_locked(cell: Any) -> Any:
    """Whether nbgrader overwrites the cell's source with the instructor's: a graded cell that is no solution, or
    one marked ``locked``."""
    if "nbgrader" not in cell.metadata:
        return False
    if is_solution(cell):
        return False
    if is_graded(cell):
        return True
    return cell.metadata["nbgrader"].get("locked", False)
