"""grades.csv and an excused homework (c.DgmlabTerm.excused): no score and ``excused``, never nbgrader's 0 for a
homework the student handed nothing in for (the registrar leaves it out of the total, the Canvas CSV leaves it
blank)."""
import csv

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
