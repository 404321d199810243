"""The rule that gives a handed-in PDF or photo its question from its name (dgmlab.grading.hand.question_files), and
which written cell of a homework belongs to which question."""
import nbformat
import pytest

from conftest import ROOT
from dgmlab.grading.hand import question_files as QF

HW5 = ["Q1", "Q2", "Q3", "Q4", "P1", "P2"]  # hw5_explicit's question labels, as its headings have them


@pytest.mark.parametrize("name, question", [
    ("hw5_explicit_Q3.pdf", "Q3"),  # what dgmlab pdf writes
    ("Q3.jpg", "Q3"),
    ("q3-page2.png", "Q3"),
    ("P2 answer.pdf", "P2"),
    ("P2_answer.pdf", "P2"),  # collect's safe name of "P2 answer.pdf"
    ("Lovelace_Ada_Assgn2_Q4.pdf", "Q4"),
    ("q04.png", "Q4"),
    ("Q1a.jpg", "Q1"),
    ("scan Q2 (1).jpeg", "Q2"),
    ("Q3_q3.png", "Q3"),  # one question named twice is still one question
    ("hw5_explicit.pdf", None),  # the whole notebook
    ("Lovelace_Ada_Assgn2.pdf", None),
    ("derivations.pdf", None),
    ("page2.png", None),
])
def test_a_file_name_gives_the_one_question_it_names(name, question):
    assert QF.question_of(name, HW5) == question


@pytest.mark.parametrize("name", ["Q1 and Q2.pdf", "q1-q3.png", "hw5_explicit_P1_P2.pdf"])
def test_a_name_claiming_two_questions_belongs_to_none(name):
    assert QF.question_of(name, HW5) is None
    assert "shown with every question" in QF.where(name, HW5) and " and " in QF.where(name, HW5)


@pytest.mark.parametrize("name", ["Q9.pdf", "P3.png", "Q30.jpg", "aQ3.pdf", "X3.png"])
def test_a_label_not_in_the_homework_gives_no_question(name):
    assert QF.question_of(name, HW5) is None
    assert QF.where(name, HW5) == "names no question of the homework: shown with every question"


@pytest.mark.parametrize("name", ["\uff31\uff13.png",  # full-width Q3
                                  "\u04202.pdf",  # Cyrillic Er, a look-alike of P, then 2
                                  "Q\u0663.jpg",  # an Arabic-Indic digit three
                                  "\u216d3.png"])  # Roman numeral one hundred, a look-alike of C
def test_a_unicode_look_alike_is_not_a_label(name):
    assert QF.question_of(name, HW5 + ["C3"]) is None


def test_a_look_alike_beside_a_real_label_leaves_the_real_one():
    assert QF.question_of("\u0420\u0032 Q3.png", HW5) == "Q3"  # Cyrillic "Р2", then a real Q3


def test_hw5s_written_cells_belong_to_the_question_whose_heading_comes_before_them():
    nb = nbformat.read(ROOT / "source" / "hw5_explicit" / "hw5_explicit.ipynb", as_version=4)
    got = QF.written_questions(nb)
    assert got.labels == HW5
    assert got.written == {"q1_written": "Q1", "q2_written": "Q2", "q3_written": "Q3", "q4_written": "Q4",
                           "p1_results": "P1", "p2_results": "P2"}


def test_a_file_of_a_question_without_a_written_cell_is_shown_with_every_written_cell():
    qs = QF.HomeworkQuestions(["Q1", "Q2", "P1"], {"q1_written": "Q1", "q2_written": "Q2"})
    assert qs.shown_with("Q1.png", "q1_written") and not qs.shown_with("Q1.png", "q2_written")
    assert qs.shown_with("P1.pdf", "q1_written") and qs.shown_with("P1.pdf", "q2_written")
    assert qs.shown_with("notes.pdf", "q1_written") and qs.shown_with("notes.pdf", "q2_written")
