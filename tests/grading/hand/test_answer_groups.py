"""Answer groups (dgmlab.grading.hand.answer_groups): which answers are one, which are offered a group's items, and
what that does on the written-answer corpus (written by a helper who had not read the grouping code)."""
import json
from pathlib import Path

import pytest

from conftest import ROOT, load_script
from dgmlab.grading.hand import answer_groups as AG

CORPUS = sorted((Path(__file__).resolve().parents[2] / "corpora" / "written_answers").glob("*.json"))


@pytest.mark.parametrize("a, b", [
    ("The Jacobian is $\\tfrac{1}{3}|u|^{-2/3}$.", "the jacobian is  $\\frac{1}{3} |u|^{-2/3}$."),
    ("$x^{2} + y_{i}$", "$x^2+y_i$"),
    ("$$\\left( a \\right)$$", "$(a)$"),
    ("**Bijective**: solve for $z$", "Bijective: solve for $z$"),
])
def test_answers_that_read_alike_are_one_text(a, b):
    assert AG.normalized(a) == AG.normalized(b)


@pytest.mark.parametrize("a, b", [
    ("$\\det J = 1/(3x_1^2)$", "$\\det J = -1/(3x_1^2)$"),  # a sign
    ("$x^{2y}$", "$x^2y$"),  # a different exponent
    ("$e^{-z_1}$", "$e^{z_1}$"),
    ("the density of $X$ at $x$", "the density of $x$ at $x$"),  # case matters in math
])
def test_answers_that_differ_in_a_sign_or_an_exponent_are_not(a, b):
    assert AG.normalized(a) != AG.normalized(b)


def test_identical_answers_make_one_group_led_by_the_first_in_the_pages_order():
    g = AG.group({"s3": "Same  answer.", "s1": "other", "s2": "same answer."})
    assert [grp.members for grp in g.groups] == [["s3", "s2"], ["s1"]]
    assert g.of["s2"].leader == "s3" and g.share()["identical"] == 1


def test_blank_and_placeholder_answers_are_one_group_but_a_todo_is_an_answer():
    from dgmlab.unfinished import TEXT_STUB

    g = AG.group({"a": "", "b": "YOUR ANSWER HERE", "c": "TODO", "d": "\n", "e": TEXT_STUB})
    blank = [grp for grp in g.groups if grp.blank]
    assert len(blank) == 1 and sorted(blank[0].members) == ["a", "b", "d", "e"] and g.of["c"] not in blank


def test_a_similar_answer_is_offered_the_larger_groups_items_never_applied():
    long = "The map is a bijection because each coordinate can be solved in turn, and its Jacobian is triangular. "
    g = AG.group({"a": long, "b": long, "c": long + "So det J = 1/3.", "d": "Something else entirely here."})
    assert g.proposal["c"][0].leader == "a" and g.proposal["c"][1] >= AG.SIMILAR
    assert "d" not in g.proposal and g.of["c"].members == ["c"]  # offered, not a member


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_on_the_corpus_no_identical_group_holds_answers_a_ta_grades_apart(path):
    simulate = load_script(ROOT / "benchmarks" / "bench_answer_groups.py").simulate
    rows = json.loads(path.read_text(encoding="utf-8"))["answers"]
    assert len(rows) >= 60
    got = simulate(rows, AG.SIMILAR)
    assert got["wrong_identical"] == 0
    assert got["through_groups"] >= 6  # identical and confirmed similar answers (benchmarks/results/answer_groups.md)


def test_an_answer_that_is_more_than_its_text_is_never_grouped_or_offered():
    photo = "![image.png](attachment:image.png)"  # every pasted photo has this text
    g = AG.group({"a": photo, "b": photo, "c": photo, "d": "See my PDF.", "e": "see my pdf"}, apart={"a", "b", "d"})
    assert all(g.of[s].apart and g.of[s].members == [s] for s in "abd")  # the same text, different work
    assert g.of["c"].members == ["c"] and g.of["e"].members == ["e"] and not g.proposal


def test_an_answer_too_long_to_compare_stands_alone():
    long = "x" * (AG.MAX_GROUPED + 1)
    g = AG.group({"a": long, "b": long})
    assert len(g.groups) == 2 and all(grp.apart for grp in g.groups)


@pytest.mark.parametrize("a, b", [
    ("$\\frac{1}{2}$", "$\\fr ac{1}{2}$"),  # a space inside a command: TeX shows something else
    ("$x$", "$ x $"),  # a space just inside a dollar may leave it text
    ("$\\alpha b$", "$\\alphab$"),
])
def test_spaces_that_tex_reads_are_kept(a, b):
    assert AG.normalized(a) != AG.normalized(b)
