"""What a student reads says what to hand in and what each check means, never how grading works.

Checked on the release notebooks (what students get), markdown and code alike, of every kit homework."""
import re

import nbformat
import pytest

import homeworks
from conftest import ROOT

HOMEWORKS = homeworks.names()  # the kit's homework folders
MACHINERY = {
    "a tally of the points hidden tests decide": re.compile(r"decide \d+(\.\d+)? of the \d+ autograded points"),
    "the grader loading or drawing": re.compile(r"\bthe grader (loads|draws|reads)\b", re.I),
    "checks' own weights put into the student's networks": re.compile(r"weights of their own", re.I),
    "the grader's own networks": re.compile(r"\bthe grader's (critic|networks|own)\b", re.I),
    "the grader's inputs": re.compile(r"\bthe grader's (batch|start|densities|seed|points|draw)\b", re.I),
    "a graded draw": re.compile(r"\bgraded draws?\b", re.I),
    "checks that run only at grading": re.compile(r"\bmore checks run when\b", re.I),
    "what a function hands to linprog": re.compile(r"\bhands (no linear program )?to `?linprog\b", re.I),
    "the wire's errors": re.compile(r"\bWireError\b"),
}


def machinery_in(text: str) -> list:
    """The names of the grading-machinery phrases in ``text``."""
    return [name for name, pattern in MACHINERY.items() if pattern.search(" ".join(text.split()))]


def test_machinery_detection_finds_each_phrase_and_passes_plain_statements():
    assert machinery_in("Hidden tests decide 35.5 of the 74 autograded points") == [
        "a tally of the points hidden tests decide"]
    assert machinery_in("The grader loads `x.pt` into the Generator") == ["the grader loading or drawing"]
    assert machinery_in("the checks put weights of their\nown into your critic") == [
        "checks' own weights put into the student's networks"]
    assert machinery_in("Hand in `generator_weights.pt`: it is graded alone, by 1,000 samples.") == []
    assert machinery_in("it prints a graded draw: score 1.0") == ["a graded draw"]
    assert machinery_in("the program `ot_primal` hands to `linprog`") == ["what a function hands to linprog"]
    assert machinery_in("more checks run when the notebook is graded") == ["checks that run only at grading"]
    assert machinery_in("the grader's batch") == ["the grader's inputs"]
    assert machinery_in("the linear program you build, solved with `linprog`") == []


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_release_notebook_says_nothing_of_grading_machinery(hw):
    nb = nbformat.read(ROOT / "release" / hw / f"{hw}.ipynb", as_version=4)
    found = [(index, name) for index, cell in enumerate(nb.cells) for name in machinery_in(cell.source)]
    assert not found, f"release/{hw}: cells (index, what) describe grading machinery: {found}"
