"""results.json from one grading (dgmlab.grading.gradescope.results), as Gradescope's specification has it
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): one test per autograded cell, in the notebook's
order, with the judge's reasons; cells graded by hand left to the outline's manual questions; the late policy on
the autograded points, saying how the course's rule differs."""
import datetime as dt
import json

import pytest

from dgmlab.grading.autograde.task_records import Outcome
from dgmlab.grading.gradescope import results as R
from dgmlab.grading.term import late as L

CELLS = [{"notebook": "hw", "grade_id": "q1_tests", "max_score": 5, "manual": False},
         {"notebook": "hw", "grade_id": "q1_written", "max_score": 7, "manual": True},
         {"notebook": "hw", "grade_id": "q2_tests", "max_score": 3, "manual": False}]


def _notebook(outputs: dict) -> bytes:
    cells = [{"cell_type": "code", "source": "", "metadata": {"nbgrader": {"grade_id": gid, "grade": True}},
              "outputs": outs} for gid, outs in outputs.items()]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def _graded(**kw):
    nb = _notebook({"q1_tests": [{"output_type": "stream", "name": "stdout",
                                  "text": "passed test_a: 2 of 2 points\nFAILED test_b: 0 of 3 points. wrong sign\n"}],
                    "q2_tests": [{"output_type": "error", "ename": "NameError", "evalue": "name 'f' is not defined"}]})
    out = {"status": "graded", "reason": "", "scores": {"scores": [("hw", "q1_tests", 2.0), ("hw", "q1_written", None),
                                                                   ("hw", "q2_tests", 0.0)]},
           "autograded": {"hw.ipynb": nb}, "timings": {"test:q1_tests": 0.25}}
    out.update(kw)
    return Outcome(student="student", **out)


def test_each_autograded_cell_is_a_test_with_its_score_max_and_the_judges_reasons():
    res = R.build(CELLS, _graded(), visibility="after_published")
    tests = {t["name"]: t for t in res["tests"]}
    assert [t["name"] for t in res["tests"]] == ["q1_tests", "q2_tests"]
    assert (tests["q1_tests"]["score"], tests["q1_tests"]["max_score"]) == (2.0, 5.0)
    assert "FAILED test_b: 0 of 3 points. wrong sign" in tests["q1_tests"]["output"]
    assert tests["q2_tests"]["output"] == "NameError: name 'f' is not defined"
    assert res["score"] == 2.0


def test_the_visibility_is_set_on_the_results_and_on_each_test():
    res = R.build(CELLS, _graded(), visibility="after_published")
    assert res["visibility"] == "after_published"
    assert {t["visibility"] for t in res["tests"]} == {"after_published"}


def test_results_hold_only_the_keys_of_gradescopes_specification():
    res = R.build(CELLS, _graded(), seconds=3.0, peak_memory=2 ** 20)
    assert set(res) <= {"score", "execution_time", "output", "output_format", "test_output_format",
                        "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
    for test in res["tests"]:
        assert set(test) <= {"score", "max_score", "status", "name", "name_format", "number", "output",
                             "output_format", "tags", "visibility", "extra_data"}, test


def test_the_gradings_phases_are_in_extra_data_in_seconds():
    res = R.build(CELLS, _graded(), timings={"read_and_wall": 0.123, "kernel_start": 1.5, "note": "not a number"})
    assert res["extra_data"]["timings_s"] == {"read_and_wall": 0.12, "kernel_start": 1.5}
    assert "timings_s" not in R.build(CELLS, _graded())["extra_data"]  # none given: none said


def test_cells_graded_by_hand_are_no_tests_and_the_output_names_them_with_their_points():
    res = R.build(CELLS, _graded())
    assert "q1_written" not in {t["name"] for t in res["tests"]}
    assert sum(t["max_score"] for t in res["tests"]) == 8.0  # the autograded points alone
    assert "q1_written (7)" in res["output"] and "manually graded questions" in res["output"]
    assert res["extra_data"]["graded_by_hand"] == ["q1_written"]


def test_a_submission_not_graded_scores_zero_and_says_why():
    res = R.build(CELLS, Outcome(student="student", status="invalid",
                                 reason="hand in one notebook, hw.ipynb (found: none)"))
    assert res["score"] == 0.0
    assert all(t["score"] == 0.0 for t in res["tests"]) and len(res["tests"]) == 2
    assert "hand in one notebook" in res["output"] and "invalid" in res["tests"][0]["output"]


def test_the_late_policy_on_the_autograded_points_sets_the_score_and_says_how_the_course_differs():
    policy = L.POLICIES["ten_percent_2days"]
    due = dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.timezone.utc)
    late = policy.apply(2.0, due + dt.timedelta(hours=5), due)
    res = R.build(CELLS, _graded(), late=late)
    assert res["score"] == pytest.approx(1.8)
    assert res["extra_data"]["late_penalty"] == pytest.approx(0.2)
    assert res["extra_data"]["late_factor"] == pytest.approx(0.9)
    assert "Late:" in res["output"] and "autograded points only" in res["output"]
    assert "take 0.1 x the hand-graded points off" in res["output"]


def test_control_characters_from_a_submission_never_reach_the_output():
    nb = _notebook({"q1_tests": [{"output_type": "stream", "name": "stdout", "text": "\x1b[31mred\x1b[0m\x07 ok\n"}]})
    res = R.build(CELLS, _graded(autograded={"hw.ipynb": nb}))
    assert res["tests"][0]["output"] == "red ok"


def test_an_unknown_visibility_is_refused():
    with pytest.raises(ValueError, match="after_due_date"):
        R.build(CELLS, _graded(), visibility="later")


def test_a_due_date_other_than_the_courses_is_said_in_the_output():
    res = R.build(CELLS, _graded(), dates="Due date: graded against the assignment's due date in Gradescope")
    assert "Due date: graded against" in res["output"] and res["extra_data"]["due_dates_differ"] is True


def test_the_peaks_parts_are_in_extra_data():
    res = R.build(CELLS, _graded(), peak_memory=3 * 2 ** 20, memory_parts={"grader": 2 ** 20, "judge": 2 * 2 ** 20})
    assert res["extra_data"]["peak_memory_parts_mib"] == {"grader": 1.0, "judge": 2.0}
