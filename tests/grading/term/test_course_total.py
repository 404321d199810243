"""The course total (term/course_total.py) under c.DgmlabTerm (term/term_rules.py): weights, excused homeworks,
letter cutoffs at their boundaries, and settings that make no sense refused with the setting's name."""
from decimal import Decimal

import pytest
from traitlets.config import Config

from dgmlab.grading.course import CourseError
from dgmlab.grading.term.course_total import EXCUSED, MARK, MISSING, PENDING, Mark, course_total
from dgmlab.grading.term.term_rules import DgmlabTerm, TermRules

LETTERS = {"A": 90, "B": 80, "C": 70, "F": 0}


def _rules(**settings) -> TermRules:
    c = Config()
    for k, v in settings.items():
        setattr(c.DgmlabTerm, k, v)
    return TermRules(DgmlabTerm(config=c))


def test_the_total_is_the_weighted_share_of_each_homeworks_points():
    marks = {"hw1": Mark(MARK, 15, 20), "hw2": Mark(MARK, 9, 10), "hw3": Mark(MARK, 40, 50)}
    # 100 * (1 * 0.75 + 1 * 0.9 + 2 * 0.8) / 4 = 81.25
    assert course_total(marks, {"hw1": 1, "hw2": 1, "hw3": 2}).percent == Decimal("81.25")


def test_an_excused_homework_is_left_out_and_the_other_weights_renormalised():
    marks = {"hw1": Mark(EXCUSED), "hw2": Mark(MARK, 9, 10), "hw3": Mark(MARK, 40, 50)}
    total = course_total(marks, {"hw1": 1, "hw2": 1, "hw3": 2})
    # 100 * (1 * 0.9 + 2 * 0.8) / 3 = 83.333...
    assert total.percent == Decimal("83.33")
    assert total.shares == pytest.approx({"hw2": 1 / 3, "hw3": 2 / 3})


def test_a_missing_homework_counts_zero_and_a_pending_one_leaves_the_total_pending():
    missing = course_total({"hw1": Mark(MISSING, None, 20), "hw2": Mark(MARK, 10, 10)}, {})
    assert missing.percent == Decimal("50.00")
    pending = course_total({"hw1": Mark(PENDING, reason="1 answer still to grade by hand"),
                            "hw2": Mark(MARK, 10, 10)}, {}, [(0, "F")])
    assert pending.percent is None and pending.letter == "" and pending.text(2) == "pending"
    assert pending.pending == [("hw1", "1 answer still to grade by hand")]


@pytest.mark.parametrize("points, letter, shown", [
    (90, "A", "90.00"), (89.995, "A", "90.00"),  # the letter of the rounded total the registrar sees
    (89.994, "B", "89.99"), (80, "B", "80.00"), (79.99, "C", "79.99"), (0, "F", "0.00")])
def test_a_letter_is_given_at_its_cutoff_and_not_below(points, letter, shown):
    rules = _rules(letters=LETTERS)
    total = course_total({"hw1": Mark(MARK, points, 100)}, {}, rules.letters, rules.precision)
    assert (total.letter, total.text(rules.precision)) == (letter, shown)


def test_the_precision_rounds_half_up():
    total = course_total({"hw1": Mark(MARK, 2, 16)}, {}, precision=1)  # 12.5 exactly
    assert total.text(1) == "12.5"
    assert course_total({"hw1": Mark(MARK, 1, 16)}, {}, precision=1).text(1) == "6.3"  # 6.25 -> 6.3


@pytest.mark.parametrize("settings, words", [
    ({"letters": {"A": 90, "B": 80}}, "c.DgmlabTerm.letters: the lowest cutoff is 80 (B)"),
    ({"letters": {"A": 120, "F": 0}}, "c.DgmlabTerm.letters['A'] is 120: write a number between 0 and 100"),
    ({"weights": {"hw1": -1}}, "c.DgmlabTerm.weights['hw1'] is -1"),
    ({"weights": {"hw1": 0}}, "c.DgmlabTerm.weights: every weight is 0"),
    ({"excused": {"hw1": "ada"}}, "c.DgmlabTerm.excused['hw1'] must be a list of student ids"),
    ({"accommodations": {"ada": "two days"}}, "c.DgmlabTerm.accommodations['ada']"),
    ({"late_days_for": {"ada": 1.5}}, "c.DgmlabTerm.late_days_for['ada'] is 1.5"),
])
def test_a_setting_that_makes_no_sense_is_refused_naming_it(settings, words):
    with pytest.raises(CourseError, match=None) as err:
        _rules(**settings)
    assert words in str(err.value)


def test_a_weight_for_a_homework_the_course_does_not_have_is_refused():
    with pytest.raises(CourseError, match=r"c.DgmlabTerm.weights names hw9_typo"):
        _rules(weights={"hw1": 1, "hw9_typo": 1}).check_homeworks(["hw1", "hw2"])


def test_a_misspelt_setting_is_refused_naming_the_real_ones(tmp_path):
    import shutil

    from conftest import ROOT
    from dgmlab.grading.course import Course
    from dgmlab.grading.term.term_rules import term_rules

    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    with (tmp_path / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("\nc.DgmlabTerm.late_day = 3\n")
    with pytest.raises(CourseError, match=r"c.DgmlabTerm has no setting late_day \(its settings: .*late_days"):
        term_rules(Course(tmp_path))
