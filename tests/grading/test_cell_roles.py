"""dgmlab.grading.cell_roles answers what nbgrader 0.9.6's ``nbgrader.utils`` answers of every kind of cell: the judge
and the authoring tools read a cell's role themselves, and must read it as nbgrader's converters do."""
import nbformat
import pytest
from nbgrader import utils

from dgmlab.grading import cell_roles


def _cell(meta, kind="code"):
    cell = nbformat.v4.new_code_cell("x = 1") if kind == "code" else nbformat.v4.new_markdown_cell("x")
    if meta is not None:
        cell.metadata["nbgrader"] = meta
    return cell


CELLS = {
    "no nbgrader metadata": _cell(None),
    "a test cell": _cell({"grade": True, "solution": False, "grade_id": "t", "points": 1}),
    "an answer cell": _cell({"grade": False, "solution": True, "grade_id": "a"}),
    "a manually graded answer": _cell({"grade": True, "solution": True, "grade_id": "m", "points": 2}, "markdown"),
    "a locked cell": _cell({"grade": False, "solution": False, "locked": True, "grade_id": "l"}),
    "an empty mapping": _cell({}),
    "flags a notebook wrote as strings": _cell({"grade": "yes", "solution": "", "locked": 1}),
}
PAIRS = [(cell_roles.is_graded, utils.is_grade), (cell_roles.is_solution, utils.is_solution),
         (cell_roles.is_locked, utils.is_locked)]


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=["graded", "solution", "locked"])
@pytest.mark.parametrize("kind", sorted(CELLS))
def test_each_role_is_the_one_nbgrader_reads(ours, theirs, kind):
    cell = CELLS[kind]
    assert ours(cell) == theirs(cell) and type(ours(cell)) is type(theirs(cell))


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=["graded", "solution", "locked"])
@pytest.mark.parametrize("meta", ["a string", ["a", "list"]], ids=["string", "list"])
def test_nbgrader_metadata_that_is_no_mapping_raises_as_in_nbgrader(ours, theirs, meta):
    cell = _cell(meta)
    with pytest.raises(AttributeError):
        theirs(cell)
    with pytest.raises(AttributeError):
        ours(cell)


def test_a_graded_cell_that_is_no_solution_is_locked_whatever_its_locked_flag_says():
    assert cell_roles.is_locked(_cell({"grade": True, "solution": False, "locked": False})) is True
