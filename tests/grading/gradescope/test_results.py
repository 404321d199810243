"""results.json from one grading (dgmlab.grading.gradescope.results): one Gradescope test per graded cell, in the
notebook's order, with the judge's reasons; cells graded by hand at 0 of their points with a note; the late policy
on the autograded points."""
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


def test_each_graded_cell_is_a_test_with_its_score_max_and_the_judges_reasons():
    res = R.build(CELLS, _graded(), visibility="after_published")
    tests = {t["name"]: t for t in res["tests"]}
    assert [t["name"] for t in res["tests"]] == ["q1_tests", "q1_written", "q2_tests"]
    assert (tests["q1_tests"]["score"], tests["q1_tests"]["max_score"]) == (2.0, 5.0)
    assert "FAILED test_b: 0 of 3 points. wrong sign" in tests["q1_tests"]["output"]
    assert tests["q2_tests"]["output"] == "NameError: name 'f' is not defined"
    assert tests["q1_tests"]["execution_time"] == 0.25
    assert {t["visibility"] for t in res["tests"]} == {"after_published"}
    assert res["score"] == 2.0


def test_a_cell_graded_by_hand_is_listed_at_zero_of_its_points_with_a_note():
    hand = {t["name"]: t for t in R.build(CELLS, _graded())["tests"]}["q1_written"]
    assert (hand["score"], hand["max_score"]) == (0.0, 7.0)
    assert "manually graded question" in hand["output"] and "dgmlab pdf" in hand["output"]


def test_a_submission_not_graded_scores_zero_and_says_why():
    res = R.build(CELLS, Outcome(student="student", status="invalid",
                                 reason="hand in one notebook, hw.ipynb (found: none)"))
    assert res["score"] == 0.0
    assert all(t["score"] == 0.0 for t in res["tests"])
    assert "hand in one notebook" in res["output"] and "invalid" in res["tests"][0]["output"]


def test_the_late_policy_on_the_autograded_points_sets_the_score_and_says_why():
    policy = L.POLICIES["ten_percent_2days"]
    due = dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.timezone.utc)
    late = policy.apply(2.0, due + dt.timedelta(hours=5), due)
    res = R.build(CELLS, _graded(), late=late)
    assert res["score"] == pytest.approx(1.8)
    assert res["extra_data"]["late_penalty"] == pytest.approx(0.2)
    assert "Late:" in res["output"]


def test_control_characters_from_a_submission_never_reach_the_output():
    nb = _notebook({"q1_tests": [{"output_type": "stream", "name": "stdout", "text": "\x1b[31mred\x1b[0m\x07 ok\n"}]})
    res = R.build(CELLS, _graded(autograded={"hw.ipynb": nb}))
    assert res["tests"][0]["output"] == "red ok"


def test_an_unknown_visibility_is_refused():
    with pytest.raises(ValueError, match="after_due_date"):
        R.build(CELLS, _graded(), visibility="later")
