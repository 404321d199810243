"""The one final mark (dgmlab.grading.report.final_mark): exact decimals rounded half up, pending while an answer
is still to grade by hand, the late policy on the whole mark."""
import datetime as dt
from decimal import Decimal

import pytest

from dgmlab.grading.report.class_data import Submission
from dgmlab.grading.report.final_mark import final_mark, late_points, round_half_up, still_to_grade
from dgmlab.grading.term import late as L
from dgmlab.grading.term.deadlines import parse_time

NY = L.zone("America/New_York")


def sub(points, ungraded=(), late=None, max_score=100.0, status="graded"):
    return Submission("ada", "hw3", status, points=tuple(points), ungraded=tuple(ungraded), late=late,
                      max_score=max_score)


def test_a_half_cent_rounds_up_on_the_decimal_value_not_the_binary_float():
    assert f"{67.725:.2f}" == "67.72"  # what a float gives
    assert round_half_up(67.725) == Decimal("67.73")
    assert final_mark(sub([60.0, 7.725])).text == "67.73"


def test_points_add_as_the_decimals_they_were_written_as():
    assert final_mark(sub([0.1, 0.2, 0.005])).text == "0.31"  # 0.1 + 0.2 + 0.005 is 0.305 exactly


def test_an_answer_still_to_grade_makes_the_mark_pending_with_the_reason():
    m = final_mark(sub([63.0, None], ungraded=["q2_written"]))
    assert (m.final, m.value, m.cell, m.number) == (False, None, "", None)
    assert m.text == "pending: 1 answer still to grade by hand (q2_written)"


def test_the_late_factor_applies_exactly_to_the_whole_mark():
    due = parse_time("2025-02-11 17:00", NY)
    late = L.POLICIES["linear_7days"].apply(87.5, dt.datetime(2025, 2, 12, 0, 0, tzinfo=NY), due, NY)
    m = final_mark(sub([50.0, 37.5], late=late))
    assert m.text == "75.00" and late_points(sub([50.0, 37.5], late=late), m) == "-12.50"


def test_a_refused_submission_is_zero():
    due = parse_time("2025-02-11 17:00", NY)
    late = L.POLICIES["linear_7days"].apply(87.5, dt.datetime(2025, 2, 18, 17, 30, tzinfo=NY), due, NY)
    assert final_mark(sub([87.5], late=late)).text == "0.00"


def test_a_submission_grading_gave_no_points_has_no_mark_and_says_why():
    s = Submission("eve", "hw3", "timed out", "grading took longer than 900 s", max_score=14.0)
    assert final_mark(s).text == "no mark: timed out (grading took longer than 900 s)"


def test_a_deduction_from_nbgraders_plugin_is_taken_off_the_points():
    late = L.LateResult(10.0, 8.5, 1, 0.85, False, "late: 1.5 points", "late", deduction=1.5)
    assert final_mark(sub([10.0], late=late)).text == "8.50"


@pytest.mark.parametrize("manual, needs, manual_score, auto_score, todo", [
    (True, True, None, None, True), (True, False, None, None, True), (True, False, 3.0, None, False),
    (True, False, None, 0.0, False),  # left as released: nbgrader's automatic 0
    (False, True, None, None, False)])
def test_still_to_grade_is_a_hand_graded_cell_flagged_or_without_any_score(manual, needs, manual_score, auto_score,
                                                                           todo):
    assert still_to_grade(manual, needs, manual_score, auto_score) is todo


def test_the_canvas_csv_refuses_a_homework_without_its_canvas_assignment_id():
    from dgmlab.grading.layout import CourseError
    from dgmlab.grading.report.exports import canvas_assignments

    assert canvas_assignments(["hw3"], {"hw3": "12345"}) == {"hw3": 12345}
    with pytest.raises(CourseError, match=r'not known for hw4: set c.DgmlabCanvas.assignments = \{"hw4": <id>\}.*'
                                          r"--canvas-assignment hw4=<id>"):
        canvas_assignments(["hw3", "hw4"], {"hw3": 12345})
    with pytest.raises(CourseError, match="is a number"):
        canvas_assignments(["hw3"], {"hw3": "Problem Set 3"})


def test_the_late_penalty_shown_makes_the_points_add_up_to_the_final_mark():
    late = L.LateResult(13.725, 12.3525, 1, 0.9, False, "a day late")
    s = sub([6.0, 7.725], late=late)
    assert (final_mark(s).text, late_points(s)) == ("12.35", "-1.375")  # 13.725 - 1.375 = 12.35
