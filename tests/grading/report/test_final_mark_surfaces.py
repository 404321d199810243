"""Each surface shows the one final mark (dgmlab.grading.report.final_mark) or, while an answer is still to grade
by hand, no mark and why: grades.csv, the Canvas CSV, the per-question CSV, the dashboard, the grade
summary and the terminal table (a gradebook built with nbgrader's API: no autograding)."""
import pytest

from grading.term.test_late_everywhere import CANVAS_ID, EXPECTED, HW, _everywhere, _make

pytestmark = pytest.mark.slow  # nbgrader makes a gradebook with alembic

SURFACES = ["collect", "grades.csv", "canvas.csv", "questions.csv", "dashboard", "summary", "table"]
PENDING = "pending: 1 answer still to grade by hand (q_written)"


@pytest.fixture(scope="module")
def shown(tmp_path_factory):
    """Every surface of a class where bob's written answer is still to grade by hand."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("surfaces")
    course = _make(root)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        g = gb.find_grade("q_written", HW, HW, "bob")
        g.manual_score, g.needs_manual_grade = None, True
        gb.db.commit()
    return _everywhere(course, tmp_path_factory.mktemp("exports"))


@pytest.mark.parametrize("surface", SURFACES)
def test_a_graded_submission_shows_its_final_mark_to_two_decimals(shown, surface):
    assert shown[surface]["ada"][0] == EXPECTED["ada"] == "14.00"


@pytest.mark.parametrize("surface", SURFACES)
def test_a_submission_with_an_answer_to_grade_by_hand_shows_no_mark_but_why(shown, surface):
    mark, why = shown[surface]["bob"]
    assert mark == ""  # never the autograded points alone (8)
    assert why == (None if surface == "canvas.csv" else PENDING)


def test_the_canvas_csv_is_headed_for_canvass_gradebook_import(tmp_path):
    import csv

    from dgmlab.grading.report import analysis as A
    from dgmlab.grading.report import exports as X

    data = A.collect(_make(tmp_path))
    with X.canvas_csv(data, tmp_path / "canvas.csv", {HW: str(CANVAS_ID)}).open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{HW} ({CANVAS_ID})"]
    assert rows[1] == ["Points Possible", "", "", "", "", "20.00"]
    assert rows[2][:3] == ["Doe, Ada", "101", "ada"]
