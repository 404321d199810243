"""grades.csv (dgmlab report): an excused homework (c.DgmlabTerm.excused) has no score and says ``excused``, never
nbgrader's 0 for a homework the student handed nothing in for (the registrar leaves it out of the total, the Canvas
CSV leaves it blank); a late row's penalty is the raw score less the final mark, so the row adds up."""
import csv
from fractions import Fraction

import nbformat
import pytest

from grading.term.test_late_everywhere import CONFIG, HW, _make

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic


def _rows(tmp_path, excused):
    from nbgrader.api import Gradebook

    from dgmlab.grading.report import report as R

    course = _make(tmp_path, CONFIG + f'\nc.DgmlabTerm.excused = {{"{HW}": {excused!r}}}\n')
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_student("eve", first_name="Eve", last_name="Doe")  # in the roster, handed nothing in
    with R.export_csv(course, "grades.csv").open(encoding="utf-8", newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def test_an_excused_homework_with_nothing_handed_in_has_no_score_and_says_excused(tmp_path):
    rows = _rows(tmp_path, ["eve"])
    assert (rows["eve"]["score"], rows["eve"]["pending"]) == ("", "excused")
    assert (rows["ada"]["score"], rows["ada"]["pending"]) == ("14.00", "")


def test_nothing_handed_in_without_an_excuse_keeps_nbgraders_zero(tmp_path):
    rows = _rows(tmp_path, [])
    assert (float(rows["eve"]["score"]), rows["eve"]["pending"]) == (0.0, "")


def test_every_score_is_written_to_two_places_nbgraders_zero_too(tmp_path):
    rows = _rows(tmp_path, [])  # eve handed nothing in: nbgrader writes 0.0
    assert (rows["eve"]["score"], rows["ada"]["score"]) == ("0.00", "14.00")


def test_a_submission_collected_but_not_autograded_is_pending_not_zero(tmp_path):
    (tmp_path / "submitted" / "eve" / HW).mkdir(parents=True)  # dgmlab collect placed it; no gradebook row yet
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), tmp_path / "submitted" / "eve" / HW / f"{HW}.ipynb")
    eve = _rows(tmp_path, [])["eve"]
    assert (eve["score"], eve["raw_score"]) == ("", "")
    assert eve["pending"] == f"no mark: not graded (collected, not autograded yet: dgmlab autograde {HW})"


def test_a_late_rows_penalty_is_the_raw_score_less_the_final_mark(tmp_path):
    from nbgrader.api import Gradebook

    from dgmlab.grading.report import report as R

    # MIT's rule: bob, due 02-11 17:00 and in at 16:00 on 02-12, passed one 11:59 pm cutoff: day 2, x 6/7
    course = _make(tmp_path, CONFIG.replace("ten_percent_2days", "linear_7days"))
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.find_grade("f_tests", HW, HW, "bob").auto_score = 8.5  # 14.5 x 6/7 = 12.4285...: 12.43
        gb.db.commit()
    with R.export_csv(course, "grades.csv").open(encoding="utf-8", newline="") as f:
        bob = {r["student_id"]: r for r in csv.DictReader(f)}["bob"]
    assert (bob["raw_score"], bob["late_submission_penalty"], bob["score"]) == ("14.5", "2.07", "12.43")
    assert Fraction(bob["raw_score"]) - Fraction(bob["late_submission_penalty"]) == Fraction(bob["score"])


def test_the_duedate_column_is_the_students_own_due_date_with_its_utc_offset(tmp_path):
    rows = _rows(tmp_path, [])  # dee has a 3-day extension (CONFIG)
    assert rows["dee"]["duedate"].startswith("2025-02-14T17:00:") and rows["dee"]["duedate"].endswith("-05:00")
    assert rows["ada"]["duedate"].startswith("2025-02-11T17:00:") and rows["ada"]["duedate"].endswith("-05:00")


def test_the_timestamp_column_is_the_hand_in_time_with_its_utc_offset_in_the_duedates_zone(tmp_path):
    rows = _rows(tmp_path, [])  # nbgrader's export: bob's 2025-02-12 21:00 UTC, without an offset
    assert rows["bob"]["timestamp"] == "2025-02-12T16:00:00-05:00"
    assert rows["eve"]["timestamp"] == ""  # handed nothing in
