"""Structure of homework 4 (fast: builds the notebook in memory, runs no kernel).

The graded behaviour itself is proven in tests/test_proofs.py (MUTANTS of tools/notebooks/hw4_gans.py).
"""
import re

import pytest

from conftest import homework_builders

BUILDER = homework_builders().get("hw4_gans")
pytestmark = pytest.mark.skipif(BUILDER is None, reason="no hw4_gans builder")

SEED_POINTS = {"P0": 1, "P1": 20, "P2": 15, "P3": 15, "P4": 20, "P5": 20}


def _cells():
    return BUILDER.build().nb.cells


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def test_points_per_problem_follow_the_seed():
    points, problem = {}, None
    for cell in _cells():
        if cell.cell_type == "markdown":
            m = re.match(r"##\s+(P\d)\b", cell.source)
            if m:
                problem = m.group(1)
        if _meta(cell).get("grade"):
            assert problem is not None, f"graded cell {_meta(cell)['grade_id']} comes before any problem heading"
            points[problem] = points.get(problem, 0) + _meta(cell).get("points", 0)
    assert points == SEED_POINTS


def test_every_test_cell_has_hidden_checks_and_ends_with_run_tests():
    for cell in _cells():
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("grade"):
            src = cell.source
            assert "### BEGIN HIDDEN TESTS" in src and "### END HIDDEN TESTS" in src, meta["grade_id"]
            assert src.rstrip().endswith("run_tests()"), meta["grade_id"]


def test_every_answer_cell_has_a_realistic_wrong_answer_and_partial_labels_exist():
    answers = {_meta(c)["grade_id"] for c in _cells() if c.cell_type == "code" and _meta(c).get("solution")}
    failing = {m.answer for m in BUILDER.MUTANTS if m.fails and "blank" not in m.label}
    assert answers <= failing, f"answer cells without a wrong-answer mutant: {sorted(answers - failing)}"
    labels = {m.label for m in BUILDER.MUTANTS}
    assert set(BUILDER.PARTIAL) <= labels


@pytest.mark.parametrize("needle", ["BatchNorm", "dropout in the generator", "sigmoid applied twice",
                                    "labels ignored", "dual constraint with the wrong sign"])
def test_the_issue_s_named_wrong_answers_are_mutants(needle):
    assert any(needle.lower() in m.label.lower() and m.fails for m in BUILDER.MUTANTS), needle


def test_no_absolute_paths_in_the_notebook():
    for cell in _cells():
        assert "/work/" not in cell.source and "/home/" not in cell.source
