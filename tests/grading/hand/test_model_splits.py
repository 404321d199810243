"""A new rubric's items from the split a model answer states (dgmlab.grading.hand.model_splits), in each form the
kit's homeworks use, and from the homeworks' own source notebooks (hw1, hw2, hw4, hw5)."""
from pathlib import Path

import pytest

from conftest import ROOT
from dgmlab.grading.hand import model_splits as M
from dgmlab.grading.hand import rubrics as R


def test_bracketed_criteria_after_marking_give_one_item_each():
    model = "Answer.\nMarking: maximum likelihood / NLL (2), the change-of-variables formula with the\nsign (2)."
    assert M.split("", model, 4) == [(2, "maximum likelihood / NLL"), (2, "the change-of-variables formula with the sign")]


def test_a_bracketed_number_inside_math_is_part_of_the_criterion():
    model = "Grading: the bound $(2)$ on $x$ (1), the rest (1)."
    assert M.split("", model, 2) == [(1, "the bound $(2)$ on $x$"), (1, "the rest")]


def test_criteria_each_followed_by_its_points_after_grading_give_one_item_each():
    model = "Proof.\n\nGrading: substitution with $m$ 2, the $-\\log 4$ constant 1, JSD $\\ge 0$ 2.\nMore words 3."
    assert M.split("", model, 5) == [(2, "substitution with $m$"), (1, "the $-\\log 4$ constant"), (2, "JSD $\\ge 0$")]


def test_points_per_thing_split_into_each_bold_bullet_and_criterion():
    model = ("* **Wide** no gain.\n* **Deep** better.\n* Keep: deep.\n\n"
             "Grading: 2 points per ablation (observation: 1; explanation: 1).")
    assert M.split("", model, 4) == [(1, "Wide: observation"), (1, "Wide: explanation"),
                                     (1, "Deep: observation"), (1, "Deep: explanation")]


def test_marks_per_part_give_one_item_per_numbered_part_of_the_statement():
    statement = "**Written (3 points).**\n1. Derive $Q$.\n2. (1.5) Compare the\n   costs.\n"
    model = "Marks: 1.5 per part.\n\n1. $Q = 1$.\n2. Cheaper."
    assert M.split(statement, model, 3) == [(1.5, "part 1: Derive $Q$"), (1.5, "part 2: Compare the costs")]


def test_listed_marks_follow_the_parts_and_a_parts_own_split_divides_it():
    statement = "1. Derive $Q$.\n2. Compare.\n"
    model = "Marks: 1.5, 1.\n\n1. $Q = 1$, so\n   done. (0.5 posterior, 1 normalising $z$.)\n2. Cheaper."
    assert M.split(statement, model, 2.5) == [(0.5, "part 1: posterior"), (1, "part 1: normalising $z$"),
                                              (1, "part 2: Compare")]


def test_marks_that_do_not_match_the_number_of_parts_give_no_split():
    assert M.split("1. A.\n2. B.\n", "Marks: 1, 1, 1.\n", 3) == []


def test_without_a_marker_criteria_ending_sentences_give_the_split_and_counts_in_brackets_do_not():
    model = "Grid attached (2). The generator's channels (3) and bias change (2)."
    assert M.split("", model, 4) == [(2, "Grid attached"), (2, "The generator's channels (3) and bias change")]


def test_a_long_criterion_is_cut_outside_math():
    text = M._short("word " * 35 + "$" + "x" * 100 + "$ end")
    assert text.endswith("…") and text.count("$") % 2 == 0 and len(text) <= M.TEXT_MAX


def test_a_split_that_does_not_add_up_gives_none():
    assert M.split("", "Marking: the idea (2), the bound (2).", 5) == []


class _Course:
    @staticmethod
    def source_notebook(hw) -> Path:
        return ROOT / "source" / hw / f"{hw}.ipynb"


@pytest.mark.parametrize("hw", ["hw1_wgan", "hw2_wgangp", "hw4_gans", "hw5_explicit"])
def test_every_written_answer_of_the_homework_starts_from_its_model_answers_split(hw):
    for cell in R.written_cells(_Course, hw):
        items = R.starting_items(cell)
        assert items[-1].text == "no answer" and len(items) > 2, (cell.grade_id, items)
        assert sum(it.points for it in items) == pytest.approx(cell.points), cell.grade_id


def test_hw5s_marks_per_part_and_hw4s_per_ablation_read_from_the_source_notebooks():
    cells = {c.grade_id: c for hw in ("hw4_gans", "hw5_explicit") for c in R.written_cells(_Course, hw)}
    q2 = [(it.points, it.text.split(":")[0]) for it in R.starting_items(cells["q2_written"])]
    assert q2 == [(1.5, "part 1"), (1, "part 2"), (1, "part 3"), (1.5, "part 4"), (0, "no answer")]
    p2 = [it.text for it in R.starting_items(cells["p2_comparison"])]
    assert p2[:2] == ["Wide generator: observation with evidence from table/curves/samples",
                      "Wide generator: sound explanation"] and len(p2) == 7
