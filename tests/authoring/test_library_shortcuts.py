"""The library-call audit (issue 62, item 4): each shortcut the student environment installs (POT, scipy, torch,
numpy) written as the answer of a cell it could answer (tests/authoring/library_shortcuts.json), graded as a student's
answer is (benchmarks/library_shortcuts.py, through dgmlab.authoring.corpus), earns at most what the cell's statement
lets a library answer earn, and benchmarks/results/library_shortcuts.md lists what each earns."""
import pytest

import homeworks
from conftest import ROOT, load_script

AUDIT = load_script(ROOT / "benchmarks" / "library_shortcuts.py")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return AUDIT.grade_all(AUDIT.load(), workdir=tmp_path_factory.mktemp("shortcuts"))


def test_every_shortcut_names_a_cell_and_a_library_call():
    entries = AUDIT.load()
    assert len({e["label"] for e in entries}) == len(entries), "two shortcuts share a label"
    assert all(e["kind"] in ("correct", "mistake") for e in entries)
    assert {e["hw"] for e in entries} <= set(homeworks.names()), "a shortcut names no homework of the kit"


def test_every_code_answer_cell_is_audited_or_says_why_no_library_answers_it():
    found = AUDIT.uncovered(AUDIT.load(), AUDIT.scope(), AUDIT.answer_cells())
    assert not found, "\n".join([*found, (
        f"for each cell, add a shortcut (a library call answering it) to {AUDIT.ENTRIES.relative_to(ROOT)}, or the "
        f"reason no library answers it to {AUDIT.SCOPE.relative_to(ROOT)} ({{hw: {{cell: why}}}}), not both")])


@pytest.mark.slow
def test_the_model_answer_earns_every_point_where_the_shortcuts_are_graded(graded):
    assert not AUDIT.model_losses(graded), "\n".join(AUDIT.model_losses(graded))


@pytest.mark.slow
def test_no_library_shortcut_earns_more_than_its_statement_allows(graded):
    assert not AUDIT.too_much(graded), "\n".join(AUDIT.too_much(graded))


@pytest.mark.slow
def test_the_shortcut_table_lists_what_each_earns(graded):
    assert AUDIT.TABLE.read_text(encoding="utf-8") == AUDIT.table(graded), (
        "benchmarks/results/library_shortcuts.md is stale: python benchmarks/library_shortcuts.py --record")
