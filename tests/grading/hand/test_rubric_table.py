"""Rubric choices as a table (dgmlab.grading.hand.rubric_table, `dgmlab grade <hw> --export/--apply`): filled in
offline, applied as the browser applies them, nothing lost. Scores are read back through nbgrader's Gradebook API.
The course is the demo class's hw3 (tests/grading/hand/hand_graded_demo.py)."""
import csv
import shutil

import hand_graded_demo as H
import pytest

from dgmlab import cli
from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.hand import rubric_table as T
from dgmlab.grading.hand import rubrics as R
from dgmlab.grading.hand.grade_by_question import rubric_lock

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader: make test, not make test-fast

Q = "q2_written"  # 20 points: (a) 5, (b) 6, (c) 6, (d) 3; items i1..i4, i5 "no answer"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("template")
    H.build(root)
    return root


@pytest.fixture
def course(template, tmp_path):
    shutil.copytree(template, tmp_path / "course")
    return Course(tmp_path / "course")


def table(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(T.COLUMNS)
        w.writerows(rows)
    return path


def in_gradebook(course, student, grade_id=Q):
    with R.gradebook(course) as gb:
        g = gb.find_grade(grade_id, H.HW, H.HW, student)
        c = gb.find_comment(grade_id, H.HW, H.HW, student)
        return g.manual_score, bool(g.needs_manual_grade), c.manual_comment


def grade(course, *args):
    return cli.main(["--course", str(course.root), "grade", H.HW, *args])


def test_an_applied_table_scores_as_the_same_choices_made_in_the_browser(course, tmp_path):
    R.Grader(course, H.HW).toggle(Q, "demo_bilal", "i1")
    R.Grader(course, H.HW).toggle(Q, "demo_bilal", "i2")
    R.Grader(course, H.HW).set_note(Q, "demo_bilal", "see the margin")
    assert grade(course, "--apply", str(table(tmp_path / "t.csv", [["demo_amara", Q, "i1 i2", "see the margin"]]))) == 0
    assert in_gradebook(course, "demo_amara") == in_gradebook(course, "demo_bilal") == (
        11.0, False, "- +5: (a) correct\n- +6: (b) correct\n- note: see the margin")
    assert R.load(course, H.HW).questions[Q].applied["demo_amara"].items == ["i1", "i2"]


def test_the_exported_table_lists_every_student_and_question_with_what_they_have(course, tmp_path):
    R.Grader(course, H.HW).toggle(Q, "demo_amara", "i3")
    assert grade(course, "--export", str(tmp_path / "marks.csv")) == 0
    rows = list(csv.DictReader(open(tmp_path / "marks.csv")))
    assert len(rows) == 4 * len(R.students(course, H.HW))
    assert {"student": "demo_amara", "question": Q, "items": "i3", "note": ""} in rows
    legend = list(csv.DictReader(open(tmp_path / "marks.items.csv")))
    assert {"question": Q, "item": "i3", "points": "+6", "text": "(c) correct"} in legend


def test_exporting_over_an_existing_file_is_refused(course, tmp_path):
    (tmp_path / "marks.csv").write_text("mine\n")
    with pytest.raises(CourseError, match="not overwritten"):
        T.export(R.Grader(course, H.HW), tmp_path / "marks.csv")
    assert (tmp_path / "marks.csv").read_text() == "mine\n"


def test_a_row_that_changes_marks_already_given_is_refused_and_nothing_is_written(course, tmp_path):
    R.Grader(course, H.HW).toggle(Q, "demo_amara", "i1")
    path = table(tmp_path / "t.csv", [["demo_bilal", Q, "i2", ""], ["demo_amara", Q, "i4", ""]])
    assert grade(course, "--apply", str(path)) == 1
    assert in_gradebook(course, "demo_amara")[0] == 5.0
    assert in_gradebook(course, "demo_bilal") == (None, True, None)  # the table's other row waits too
    assert grade(course, "--apply", str(path), "--force") == 0
    assert in_gradebook(course, "demo_amara")[0] == 3.0 and in_gradebook(course, "demo_bilal")[0] == 6.0


def test_an_empty_row_leaves_an_ungraded_answer_waiting_for_a_hand_grade(course, tmp_path):
    assert grade(course, "--apply", str(table(tmp_path / "t.csv", [["demo_amara", Q, "", ""]]))) == 0
    assert in_gradebook(course, "demo_amara") == (None, True, None)


@pytest.mark.parametrize("row, says", [
    (["nobody", Q, "i1", ""], "line 3: no submission of hw3_flows by 'nobody'"),
    (["demo_amara", "q9_written", "i1", ""], "line 3: hw3_flows has no written question 'q9_written'"),
    (["demo_amara", Q, "i1 i99", ""], "line 3: q2_written has no rubric item 'i99'"),
    (["demo_amara", Q, "i1 i1", ""], "line 3: an item is given twice"),
])
def test_a_table_with_a_bad_row_is_refused_naming_its_line(course, tmp_path, row, says):
    path = table(tmp_path / "t.csv", [["demo_bilal", Q, "i1", ""], row])
    with pytest.raises(CourseError, match="nothing applied") as refused:
        T.apply_file(course, H.HW, path)
    assert says in str(refused.value)
    assert in_gradebook(course, "demo_bilal") == (None, True, None)


def test_a_student_given_twice_is_refused(course, tmp_path):
    path = table(tmp_path / "t.csv", [["demo_amara", Q, "i1", ""], ["demo_amara", Q, "i2", ""]])
    with pytest.raises(CourseError, match="line 3: q2_written demo_amara is given twice"):
        T.apply_file(course, H.HW, path)


def test_a_table_without_the_columns_says_which_are_missing(course, tmp_path):
    (tmp_path / "t.csv").write_text("name,score\ndemo_amara,5\n")
    with pytest.raises(CourseError, match="no column student, question, items.*--export writes one"):
        T.apply_file(course, H.HW, tmp_path / "t.csv")


def test_a_table_is_not_applied_while_the_browser_grades_the_homework(course, tmp_path):
    lock = rubric_lock(course, H.HW)
    try:
        with pytest.raises(CourseError, match="another dgmlab grade hw3_flows is running"):
            T.apply_file(course, H.HW, table(tmp_path / "t.csv", [["demo_amara", Q, "i1", ""]]))
    finally:
        lock.close()


def test_a_note_a_spreadsheet_would_run_is_exported_inert(course, tmp_path):
    R.Grader(course, H.HW).set_note(Q, "demo_amara", "=HYPERLINK(\"http://x\")")
    T.export(R.Grader(course, H.HW), tmp_path / "marks.csv")
    rows = list(csv.DictReader(open(tmp_path / "marks.csv")))
    assert [r["note"] for r in rows if r["student"] == "demo_amara" and r["question"] == Q] == [
        "'=HYPERLINK(\"http://x\")"]


def test_an_exported_table_applied_back_changes_nothing(course, tmp_path):
    R.Grader(course, H.HW).toggle(Q, "demo_amara", "i2")
    R.Grader(course, H.HW).set_note(Q, "demo_amara", "-1 for the sign")
    T.export(R.Grader(course, H.HW), tmp_path / "marks.csv")
    done = T.apply_file(course, H.HW, tmp_path / "marks.csv")
    assert (done.applied, done.refused) == ([], []) and done.unchanged == 4 * len(R.students(course, H.HW))
