"""The Canvas import CSV (dgmlab.grading.report.exports.canvas_csv) never leaves an earlier run's marks in place."""
import csv

import pytest

from dgmlab.grading.report import exports as X
from dgmlab.grading.report.class_data import ClassData, RosterEntry, Submission


def _data():
    subs = [Submission("ada", "hw3", "graded", score=82.93, max_score=100.0, auto_score=60.0, manual_score=22.93,
                       points=(60.0, 22.93)),
            Submission("ada", "hw5", "graded", score=94.0, max_score=100.0, auto_score=94.0, points=(94.0,))]
    return ClassData(["hw3", "hw5"], {"ada": RosterEntry("ada", "Ada", "Doe", lms_user_id="101")}, [], subs, {},
                     {"hw3": 100.0, "hw5": 100.0})


def test_a_homework_without_a_canvas_id_is_left_out_and_the_csv_written_for_the_others(tmp_path):
    path = tmp_path / "canvas.csv"
    path.write_text("Student,ID,SIS User ID,SIS Login ID,Section,hw3 (42)\nDoe, Ada,101,ada,,80.36\n")  # a run before
    with pytest.raises(X.CanvasColumnsLeftOut, match="without hw5: .*not known for hw5") as got:
        X.canvas_csv(_data(), path, {"hw3": 42})
    assert got.value.path == path and got.value.left_out == ["hw5"]
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0][5:] == ["hw3 (42)"] and rows[2][2:] == ["ada", "", "", "82.93"]


def test_an_excused_homework_is_ex_in_the_canvas_csv(tmp_path):
    data = _data()
    data.submissions = [s for s in data.submissions if s.hw == "hw5"]  # nothing handed in for hw3
    path = X.canvas_csv(data, tmp_path / "canvas.csv", {"hw3": 42, "hw5": 43}, lambda hw, sid: hw == "hw3")
    assert list(csv.reader(path.open(encoding="utf-8")))[2][5:] == ["EX", "94.00"]


def test_the_sis_user_id_column_holds_the_recorded_sis_id_else_the_nbgrader_id(tmp_path):
    data = _data()
    data.roster["bo"] = RosterEntry("bo", "Bo", "Li", lms_user_id="102")
    path = X.canvas_csv(data, tmp_path / "canvas.csv", {"hw3": 42, "hw5": 43}, sis_ids={"ada": "1009234"})
    rows = {r["Student"]: r["SIS User ID"] for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert (rows["Doe, Ada"], rows["Li, Bo"]) == ("1009234", "bo")
