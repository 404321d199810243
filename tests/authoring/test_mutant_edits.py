"""Mutants written as edits of the reference answer (dgmlab.authoring.proofs): applied exactly once, or refused."""
import pytest

import tiny_homework as tiny
from dgmlab.authoring.proofs import Mutant, apply_edits, resolve, strip_solution_markers

REFERENCE = '''def mean_square(x):
    ### BEGIN SOLUTION
    return (x ** 2).mean()
    ### END SOLUTION'''


def test_markers_are_removed_and_nothing_else():
    assert strip_solution_markers(REFERENCE) == "def mean_square(x):\n    return (x ** 2).mean()"


def test_edits_apply_in_order():
    assert apply_edits("a = 1\nb = 2", [("a = 1", "a = 3"), ("a = 3\nb", "c")]) == "c = 2"


def test_an_edit_whose_text_is_missing_names_the_mutant():
    with pytest.raises(ValueError, match=r"mean_square: typo: the edit's text '\.sum\(\)' is not in the reference"):
        apply_edits("return x.mean()", [(".sum()", ".mean()")], "mean_square: typo")


def test_an_edit_whose_text_is_ambiguous_is_refused():
    with pytest.raises(ValueError, match="occurs 2 times"):
        apply_edits("x = 1\ny = 1", [("= 1", "= 2")])


@pytest.mark.parametrize("kwargs, reason", [
    ({}, "neither"),
    ({"source": "def f(): pass", "edits": [("a", "b")]}, "both"),
    ({"edits": ["a -> b"]}, "an \\(old, new\\) pair"),
])
def test_a_mutant_has_either_a_source_or_edits(kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        Mutant("mean_square", "bad", fails=["mean_square_tests"], **kwargs)


def test_an_edited_mutant_becomes_the_reference_with_its_mistake():
    m = Mutant("mean_square", "sum", edits=[(".mean()", ".sum()")], fails=["mean_square_tests"])
    resolved = m.against(REFERENCE)
    assert resolved.source == "def mean_square(x):\n    return (x ** 2).sum()" and resolved.edits == ()
    assert (resolved.answer, resolved.label, resolved.fails) == (m.answer, m.label, m.fails)


def test_resolve_uses_the_notebooks_answer_cells_and_keeps_whole_sources():
    nb = tiny.build().nb
    by_label = {m.label: m for m in resolve(tiny.MUTANTS, nb)}
    assert "return (x ** 2).sum()" in by_label["sum instead of mean"].source
    assert "d_cube = 3 * x ** 3" in by_label["power rule slip"].source
    assert by_label["correct variant: x*x"].source == "def mean_square(x):\n    return torch.mean(x * x)"
    with pytest.raises(KeyError, match="no cell with grade_id 'nowhere'"):
        resolve([Mutant("nowhere", "x", edits=[("a", "b")], fails=["t"])], nb)
