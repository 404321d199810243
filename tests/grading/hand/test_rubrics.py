"""Rubrics for written answers (dgmlab.grading.hand.rubrics): scoring, re-scoring, the gradebook, feedback, dashboard.

Every score and comment is read back through nbgrader's own Gradebook API, as nbgrader's feedback and exports
read them. The course is the demo class's hw3 (tests/grading/hand/hand_graded_demo.py)."""
import re
import shutil

import hand_graded_demo as H
import pytest

from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.hand import rubrics as R
from dgmlab.grading.report import analysis as A
from dgmlab.grading.report import dashboard as D
from dgmlab.grading.report import grade_summary as GS

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader: make test, not make test-fast

Q = "q2_written"  # 20 points: (a) 5, (b) 6, (c) 6, (d) 3


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("template")
    H.build(root)
    return root


@pytest.fixture
def course(template, tmp_path):
    shutil.copytree(template, tmp_path / "course")
    return Course(tmp_path / "course")


def in_gradebook(course, student, grade_id=Q):
    with R.gradebook(course) as gb:
        g = gb.find_grade(grade_id, H.HW, H.HW, student)
        c = gb.find_comment(grade_id, H.HW, H.HW, student)
        return g.manual_score, bool(g.needs_manual_grade), c.manual_comment


def test_a_new_rubric_starts_from_the_homeworks_point_split(course):
    rubric = R.load(course, H.HW)
    assert [(i.points, i.text) for i in rubric.questions[Q].items] == [
        (5, "(a) correct"), (6, "(b) correct"), (6, "(c) correct"), (3, "(d) correct"), (0, "no answer")]
    assert set(rubric.questions) == {"q1_written", "q2_written", "q3_written", "q4_written"}


def test_without_a_split_in_the_statement_a_new_rubric_starts_from_the_model_answers(course):
    rubric = R.load(course, H.HW)
    # q3's statement splits no points; its model answer ends "**Points (5).** Pointwise reduction ... (1), ..."
    assert [(i.points, i.text) for i in rubric.questions["q3_written"].items] == [
        (1, "Pointwise reduction of the integral"), (1, "the stationary point"),
        (1, "concavity or another argument that it is the global maximiser"),
        (1, "the boundary cases $a = 0$ or $b = 0$"), (1, "the set where both densities vanish"), (0, "no answer")]
    # q1's is in parts, "(i) 3: ... (1), ... (iii) 1: volumes ...": each part's criteria, or the part as one
    q1 = [(i.points, i.text) for i in rubric.questions["q1_written"].items]
    assert [t.split()[0] for _, t in q1[:-1]] == ["(i)"] * 3 + ["(ii)"] * 3 + ["(iii)"]
    assert sum(p for p, _ in q1) == 7 and q1[-1] == (0, "no answer")


def test_a_model_split_that_does_not_add_up_to_the_cells_points_gives_one_item():
    cell = R.WrittenCell("q", 5.0, "Prove it.", "Proof.\n\n**Points (5).** the idea (2), the bound (2).")
    assert [(i.points, i.text) for i in R.starting_items(cell)] == [(5, "correct and complete"), (0, "no answer")]


def test_applied_items_write_the_hand_score_and_comment_into_the_gradebook(course):
    g = R.Grader(course, H.HW)
    assert in_gradebook(course, "demo_amara") == (None, True, None)
    g.toggle(Q, "demo_amara", "i1")
    g.toggle(Q, "demo_amara", "i2")
    assert in_gradebook(course, "demo_amara") == (11.0, False, "- +5: (a) correct\n- +6: (b) correct")
    assert in_gradebook(course, "demo_bilal") == (None, True, None)  # nobody else touched


def test_the_score_is_the_items_sum_clamped_to_zero_and_the_cells_points(course):
    g = R.Grader(course, H.HW)
    minus, _ = g.edit_item(Q, None, -3, "no bound on the KL")
    g.toggle(Q, "demo_chen", minus)
    assert in_gradebook(course, "demo_chen")[0] == 0.0
    bonus, _ = g.edit_item(Q, None, 5, "an elegant extra argument")
    for item in ["i1", "i2", "i3", "i4", bonus]:
        g.toggle(Q, "demo_dana", item)
    assert in_gradebook(course, "demo_dana")[0] == 20.0


def test_an_item_the_same_as_another_is_refused_saying_which(course):
    g = R.Grader(course, H.HW)
    g.edit_item(Q, None, -1, "sign slip")
    with pytest.raises(CourseError, match=r"already has this item \(i6: -1, 'sign slip'\): apply that one"):
        g.edit_item(Q, None, -1, "Sign  slip")
    with pytest.raises(CourseError, match="already has this item"):
        g.edit_item(Q, "i1", 6, "(b) correct")  # editing i1 into a copy of i2
    assert [i.text for i in R.load(course, H.HW).questions[Q].items].count("sign slip") == 1
    assert g.edit_item(Q, None, -2, "sign slip")[0]  # other points: another item


def test_editing_an_item_rescores_and_rewords_every_student_who_has_it(course):
    g = R.Grader(course, H.HW)
    for sid in ("demo_amara", "demo_bilal"):
        g.toggle(Q, sid, "i1")
        g.toggle(Q, sid, "i2")
    g.toggle(Q, "demo_chen", "i2")
    _, who = g.edit_item(Q, "i1", 3.5, "(a) right idea, bound not shown")
    assert sorted(who) == ["demo_amara", "demo_bilal"]
    for sid in ("demo_amara", "demo_bilal"):
        assert in_gradebook(course, sid) == (9.5, False, "- +3.5: (a) right idea, bound not shown\n- +6: (b) correct")
    assert in_gradebook(course, "demo_chen") == (6.0, False, "- +6: (b) correct")


def test_deleting_an_item_takes_it_off_every_student(course):
    g = R.Grader(course, H.HW)
    g.toggle(Q, "demo_amara", "i1")
    g.toggle(Q, "demo_amara", "i3")
    assert g.delete_item(Q, "i1") == ["demo_amara"]
    assert in_gradebook(course, "demo_amara") == (6.0, False, "- +6: (c) correct")


def test_taking_every_item_off_returns_the_answer_to_hand_grading(course):
    g = R.Grader(course, H.HW)
    g.toggle(Q, "demo_amara", "i1")
    g.toggle(Q, "demo_amara", "i1")
    assert in_gradebook(course, "demo_amara") == (None, True, None)


def test_a_note_goes_after_the_items_and_alone_gives_no_score(course):
    g = R.Grader(course, H.HW)
    g.set_note(Q, "demo_bilal", "see me about (c)")
    assert in_gradebook(course, "demo_bilal") == (None, True, "- note: see me about (c)")
    g.toggle(Q, "demo_bilal", "i4")
    assert in_gradebook(course, "demo_bilal") == (3.0, False, "- +3: (d) correct\n- note: see me about (c)")


def test_the_rubric_is_saved_with_the_course_and_read_back(course):
    g = R.Grader(course, H.HW)
    item, _ = g.edit_item(Q, None, -1, "sign slip")
    g.toggle(Q, "demo_amara", item)
    assert (course.root / "rubrics" / f"{H.HW}.json").is_file()
    again = R.Grader(course, H.HW).question(Q)
    assert again.item(item).text == "sign slip" and again.applied["demo_amara"].items == [item]


def test_unknown_question_student_or_item_is_refused_with_what_exists(course):
    g = R.Grader(course, H.HW)
    with pytest.raises(CourseError, match="q1_written"):
        g.toggle("q9_written", "demo_amara", "i1")
    with pytest.raises(CourseError, match="no submission"):
        g.toggle(Q, "nobody", "i1")
    with pytest.raises(CourseError, match="no rubric item"):
        g.toggle(Q, "demo_amara", "i99")
    with pytest.raises(CourseError, match="needs a text"):
        g.edit_item(Q, None, 1, "   ")


def test_the_grade_summary_lists_each_applied_item_with_points_and_comment(course):
    g = R.Grader(course, H.HW)
    g.toggle(Q, "demo_amara", "i1")
    minus, _ = g.edit_item(Q, None, -2, "<b>no</b> bound on the KL")
    g.toggle(Q, "demo_amara", minus)
    g.set_note(Q, "demo_amara", "good start")
    for item in ["i1", "i2", "i3", "i4"]:  # full marks: the summary says why as well
        g.toggle(Q, "demo_reference", item)
    GS.write_summaries(course, A.collect(course, [H.HW]))
    folder = course.folder("feedback", H.HW, "demo_amara")
    text = (folder / "grade_summary.txt").read_text(encoding="utf-8")
    assert "q2_written: 3 / 20\n  - +5: (a) correct\n  - -2: <b>no</b> bound on the KL\n  - note: good start" in text
    page = (folder / "grade_summary.html").read_text(encoding="utf-8")
    assert "<li>-2: &lt;b&gt;no&lt;/b&gt; bound on the KL</li>" in page
    ref = (course.folder("feedback", H.HW, "demo_reference") / "grade_summary.txt").read_text(encoding="utf-8")
    assert "q2_written: 20 / 20\n  - +5: (a) correct\n  - +6: (b) correct" in ref


def test_nbgraders_feedback_page_lists_the_items_of_a_written_answer(course):
    from dgmlab.grading.autograde.nbgrader_run import run_feedback

    g = R.Grader(course, H.HW)
    g.toggle(Q, "demo_amara", "i1")
    minus, _ = g.edit_item(Q, None, -2, "no bound on the KL")
    g.toggle(Q, "demo_amara", minus)
    assert run_feedback(course.root, H.HW, "demo_amara").ok
    page = (course.folder("feedback", H.HW, "demo_amara") / f"{H.HW}.html").read_text(encoding="utf-8")
    assert "(Score: 3.0 / 20.0)" in page
    assert re.search(r"<li>\s*\+5: \(a\) correct\s*</li>\s*<li>\s*-2: no bound on the KL\s*</li>", page)


def test_the_dashboard_counts_the_students_who_got_each_item(course):
    g = R.Grader(course, H.HW)
    for sid in ("demo_amara", "demo_bilal", "demo_chen"):
        g.toggle(Q, sid, "i1")
    g.toggle(Q, "demo_chen", "i2")
    page = D.rubric_counts_html(course, H.HW)
    assert f'data-cell="{Q}" data-item="i1"><td>{Q}</td><td class="num">+5</td><td>(a) correct</td>' \
           '<td class="num" data-stat="count">3</td>' in page
    assert 'data-item="i2"><td>q2_written</td><td class="num">+6</td><td>(b) correct</td>' \
           '<td class="num" data-stat="count">1</td>' in page
    assert "q1_written" not in page  # a question nobody was graded on yet is left out
