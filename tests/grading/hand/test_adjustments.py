"""The formatting deduction a handout announces (ECE1508's hw5: "failure to meet the formatting can lead to mark
deduction"), applied by `dgmlab report` as the named adjustment "hand-in formatting" (dgmlab.grading.hand.adjustments,
dgmlab.grading.lms.hand_in_names). The course is the demo class's hw3 with a gradebook
(tests/grading/hand/hand_graded_demo.py); scores and comments are read back through nbgrader's Gradebook API."""
import shutil

import hand_graded_demo as H
import pytest

from dgmlab.grading.course import Course
from dgmlab.grading.hand import adjustments as ADJ
from dgmlab.grading.hand import rubrics as R
from dgmlab.grading.lms import hand_in_names as HN

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader: make test, not make test-fast

CELL = "q1_written"  # hw3's first written cell: it holds the adjustment
NAMED = "named hw3.ipynb, the homework asks for hw3_flows.ipynb"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("template")
    H.build(root)
    with (root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("\nc.DgmlabHandIn.format_deductions = {'hw3': 2}\n")
    return root


@pytest.fixture
def course(template, tmp_path):
    shutil.copytree(template, tmp_path / "course")
    return Course(tmp_path / "course")


def grade(course, student):
    with R.gradebook(course) as gb:
        g = gb.find_grade(CELL, H.HW, H.HW, student)
        return g.extra_credit, gb.find_comment(CELL, H.HW, H.HW, student).manual_comment


def test_a_breach_of_the_naming_rule_takes_the_set_points_off_as_a_named_adjustment_and_says_so(course):
    HN.record(course, H.HW, {"demo_amara": NAMED, "demo_bilal": ""})
    lines = HN.deduct(course, [H.HW])
    assert f"  {H.HW} demo_amara: -2: hand-in formatting ({NAMED}), on {CELL}" in lines
    assert grade(course, "demo_amara") == (-2.0, "- -2: hand-in formatting (named hw3\\.ipynb\\, the homework asks "
                                                 "for hw3\\_flows\\.ipynb)")
    assert grade(course, "demo_bilal") == (None, None)


def test_the_adjustment_counts_in_the_score_and_stays_in_the_comment_when_the_answer_is_graded(course):
    HN.record(course, H.HW, {"demo_amara": NAMED})
    HN.deduct(course, [H.HW])
    R.Grader(course, H.HW).toggle(CELL, "demo_amara", "i1")
    with R.gradebook(course) as gb:
        g = gb.find_grade(CELL, H.HW, H.HW, "demo_amara")
        assert g.score == pytest.approx(g.manual_score - 2)
    comment = grade(course, "demo_amara")[1].split("\n")
    assert comment[-1] == "- " + ADJ.read(course, H.HW)["demo_amara"].line(markdown=True) and len(comment) == 2
    assert R.feedback_lines(course, H.HW, "demo_amara")[CELL][-1] == f"-2: hand-in formatting ({NAMED})"
    from dgmlab.grading.report import analysis as A

    cell = next(c for c in A.collect(course, [H.HW]).cells_of(H.HW, student="demo_amara") if c.cell == CELL)
    assert cell.points == pytest.approx(R.load(course, H.HW).questions[CELL].score("demo_amara") - 2)  # the report's


def test_a_name_that_could_not_be_checked_is_never_deducted(course):
    HN.record(course, H.HW, {"demo_chen": "named x.ipynb; the homework asks for <Lastname>.ipynb, not checked: no name"})
    assert HN.report_lines(course, [H.HW])[-1].startswith("  hw3_flows demo_chen: named x.ipynb")  # listed only
    assert HN.deduct(course, [H.HW]) == []
    assert grade(course, "demo_chen") == (None, None)


def test_a_later_right_hand_in_takes_the_adjustment_off_and_a_second_report_changes_nothing(course):
    HN.record(course, H.HW, {"demo_amara": NAMED})
    HN.deduct(course, [H.HW])
    assert not [ln for ln in HN.deduct(course, [H.HW]) if "hand-in formatting (" in ln]  # applied once
    HN.record(course, H.HW, {"demo_amara": ""})
    lines = HN.deduct(course, [H.HW])
    assert any(ln.startswith(f"  {H.HW} demo_amara: hand-in formatting taken off") for ln in lines)
    assert grade(course, "demo_amara") == (None, None) and ADJ.read(course, H.HW) == {}


def test_an_extra_credit_given_by_hand_is_never_overwritten(course):
    with R.gradebook(course) as gb:
        gb.find_grade(CELL, H.HW, H.HW, "demo_bilal").extra_credit = 1.0
        gb.db.commit()
    HN.record(course, H.HW, {"demo_bilal": NAMED})
    lines = HN.deduct(course, [H.HW])
    assert any("demo_bilal: hand-in formatting not applied: q1_written holds an extra credit of 1" in ln
               for ln in lines)
    assert grade(course, "demo_bilal")[0] == 1.0 and ADJ.read(course, H.HW) == {}


def test_without_an_amount_set_a_breach_is_listed_and_nothing_is_taken_off(tmp_path):
    course = H.build(tmp_path)
    HN.record(course, H.HW, {"demo_amara": NAMED})
    assert HN.deduct(course, [H.HW]) == []
    assert HN.report_lines(course, [H.HW]) == [
        "notebooks not named as the homework asks (dgmlab collect checked them; each was graded as <hw>.ipynb):",
        f"  {H.HW} demo_amara: {NAMED}"]
    assert grade(course, "demo_amara") == (None, None)


def test_a_file_name_the_student_chose_is_plain_text_in_the_feedbacks_markdown():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    hostile = ADJ.Adjustment("hand-in formatting", -2, "named <img src=x onerror=alert(1)>[a](javascript:x).ipynb",
                             CELL)
    html = markdown2html_mistune("- " + hostile.line(markdown=True))
    assert "<img" not in html and "<a" not in html and "&lt;img src=x onerror=alert(1)&gt;[a](javascript:x)" in html


def test_the_grading_page_shows_the_adjustment_its_answer_holds_and_the_points_it_leaves(course):
    import html

    from dgmlab.grading.hand import grade_by_question as G

    HN.record(course, H.HW, {"demo_amara": NAMED})
    HN.deduct(course, [H.HW])
    R.Grader(course, H.HW).toggle(CELL, "demo_amara", "i1")
    score = R.load(course, H.HW).questions[CELL].score("demo_amara")
    server = G.make_server(course, H.HW)
    try:
        page = html.unescape(server.site.question_page(CELL))
    finally:
        server.server_close()
    assert f"outside the rubric: -2: hand-in formatting ({NAMED}): {R.points_text(score - 2)} in the mark" in page
    assert page.count("hand-in formatting (") == 1  # demo_amara's answer only


def test_a_deduction_set_for_a_homework_not_autograded_yet_is_left_for_later(course):
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("\nc.DgmlabHandIn.format_deductions = {'hw3': 2, 'hw5': 2}\n")
    HN.record(course, H.HW, {"demo_amara": NAMED})
    lines = HN.deduct(course, [H.HW, "hw5_explicit"])  # hw5: in the term, not in the gradebook yet
    assert [ln for ln in lines if "hw5" in ln] == [] and grade(course, "demo_amara")[0] == -2.0
