"""Regrade requests (dgmlab.grading.hand.regrades): entered by a TA or handed in as regrade.md, listed by
`dgmlab report` while open, answered with a reason the student's feedback carries; the student's text inert
everywhere. The course is the demo class's hw3 (tests/grading/hand/hand_graded_demo.py)."""
import json
import shutil

import hand_graded_demo as H
import pytest

from dgmlab import cli
from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.hand import audit_log as L
from dgmlab.grading.hand import regrades as RG
from dgmlab.grading.hand import rubrics as R
from dgmlab.grading.report import analysis as A
from dgmlab.grading.report import grade_summary as GS

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader: make test, not make test-fast

Q = "q2_written"
HOSTILE = "\x1b]0;owned\x07\x1b[2J<script>alert(1)</script> =HYPERLINK(\"http://x\") \x9b31m please"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("template")
    H.build(root, only={"demo_amara", "demo_bilal"})
    return root


@pytest.fixture
def course(template, tmp_path):
    shutil.copytree(template, tmp_path / "course")
    return Course(tmp_path / "course")


def grade(course, *args):
    return cli.main(["--course", str(course.root), "grade", H.HW, *args])


def test_a_request_entered_is_listed_open_with_who_and_source(course):
    RG.request(course, H.HW, "demo_amara", Q, "part (b) is on page 2", who="ta_kim")
    (r,) = RG.requests(course, H.HW, Q)
    assert (r.student, r.question, r.text, r.source, r.who, r.answered) == (
        "demo_amara", Q, "part (b) is on page 2", "ta", "ta_kim", None)
    assert RG.requests(course, H.HW, "q1_written") == []


def test_report_lists_a_request_until_it_is_answered(course):
    RG.request(course, H.HW, "demo_amara", Q, "part (b) is on page 2")
    assert any("demo_amara q2_written" in line and "part (b) is on page 2" in line
               for line in RG.report_lines(course, [H.HW]))
    RG.answer(course, H.HW, Q, "demo_amara", "kept", "page 2 has no bound", who="ta_kim")
    assert RG.report_lines(course, [H.HW]) == []


def test_the_answers_reason_is_in_the_students_feedback_and_grade_summary(course):
    R.Grader(course, H.HW).toggle(Q, "demo_amara", "i1")
    RG.request(course, H.HW, "demo_amara", Q, "part (b) is on page 2")
    done = RG.answer(course, H.HW, Q, "demo_amara", "changed", "(b) found on page 2: +6", who="ta_kim")
    assert [(r.answered.decision, r.answered.who) for r in done] == [("changed", "ta_kim")]
    assert R.feedback_lines(course, H.HW, "demo_amara")[Q][-1] == "regrade request: changed: (b) found on page 2: +6"
    assert Q not in R.feedback_lines(course, H.HW, "demo_bilal")
    GS.write_summaries(course, A.collect(course, [H.HW]))
    text = (course.folder("feedback", H.HW, "demo_amara") / "grade_summary.txt").read_text(encoding="utf-8")
    assert "  - regrade request: changed: (b) found on page 2: +6" in text


def test_a_request_and_its_answer_are_lines_of_the_audit_log(course):
    RG.request(course, H.HW, "demo_amara", Q, "please look again", who="ta_kim")
    RG.answer(course, H.HW, Q, "demo_amara", "kept", "as marked", who="prof_o")
    checked = L.verify(course, H.HW)
    assert checked.holds
    assert [(r["what"], r["who"]) for r in checked.records] == [("regrade requested", "ta_kim"),
                                                                ("regrade answered", "prof_o")]


def test_a_request_about_no_such_question_or_student_is_refused(course):
    with pytest.raises(CourseError, match="no graded question 'q9'"):
        RG.request(course, H.HW, "demo_amara", "q9", "text")
    with pytest.raises(CourseError, match="no submission of hw3_flows by 'nobody'"):
        RG.request(course, H.HW, "nobody", Q, "text")


def test_an_answer_without_an_open_request_is_refused(course):
    with pytest.raises(CourseError, match="no open regrade request"):
        RG.answer(course, H.HW, Q, "demo_amara", "kept", "why")
    RG.request(course, H.HW, "demo_amara", Q, "look again")
    with pytest.raises(CourseError, match="kept or changed"):
        RG.answer(course, H.HW, Q, "demo_amara", "maybe", "why")


def test_a_regrade_md_handed_in_is_entered_once_per_section(course):
    (course.folder("submitted", H.HW, "demo_bilal") / RG.FILE).write_text(
        "Dear TA,\n\n## q2_written\nMy bound in (c) is right.\n\n## q9_nope\nhello\n\n## q1_written\n\n", "utf-8")
    entered, problems = RG.read_files(course, H.HW)
    assert [(r.student, r.question, r.text, r.source) for r in entered] == [
        ("demo_bilal", Q, "My bound in (c) is right.", "regrade.md")]
    assert len(problems) == 1 and "q9_nope" in problems[0]
    assert RG.read_files(course, H.HW)[0] == [] and len(RG.requests(course, H.HW)) == 1


def test_a_large_regrade_md_is_read_bounded(course):
    (course.folder("submitted", H.HW, "demo_bilal") / RG.FILE).write_text(
        "## q2_written\n" + "x" * (RG.MAX_FILE * 5), "utf-8")
    (r,), _ = RG.read_files(course, H.HW)
    assert len(r.text) == RG.MAX_TEXT


def test_a_request_cut_at_a_space_is_entered_once_however_often_it_is_read(course):
    (course.folder("submitted", H.HW, "demo_bilal") / RG.FILE).write_text(
        "## q2_written\n" + "y" * (RG.MAX_TEXT - 1) + " tail", "utf-8")  # the cut falls on the space
    assert len(RG.read_files(course, H.HW)[0]) == 1
    RG.answer(course, H.HW, Q, "demo_bilal", "kept", "as graded")
    assert RG.read_files(course, H.HW)[0] == [] and [r.answered for r in RG.requests(course, H.HW)][0]


def test_a_flood_of_sections_enters_one_request_a_question_and_says_so_in_one_line(course):
    text = "".join(f"## q9_{k}\nhello\n" for k in range(500)) + "".join(f"## {Q}\nplea {k}\n" for k in range(50))
    (course.folder("submitted", H.HW, "demo_bilal") / RG.FILE).write_text(text[:RG.MAX_FILE], "utf-8")
    entered, problems = RG.read_files(course, H.HW)
    assert len(entered) <= 1 and len(problems) == 1 and "not entered" in problems[0]
    more = "".join(f"## {Q}\nplea {k}\n" for k in range(50))
    (course.folder("submitted", H.HW, "demo_bilal") / RG.FILE).write_text(more, "utf-8")
    entered, problems = RG.read_files(course, H.HW)
    assert len(entered) + len(RG.requests(course, H.HW)) <= 2  # one open request a question at a time
    assert len([r for r in RG.requests(course, H.HW) if r.answered is None]) == 1


def test_a_hostile_request_stays_inert_in_the_terminal_the_log_and_the_summary(course, capsys):
    RG.request(course, H.HW, "demo_amara", Q, HOSTILE)
    lines = "\n".join(RG.report_lines(course, [H.HW]))
    assert grade(course, "--requests") == 0
    out = capsys.readouterr().out + lines
    assert not any(c in out for c in "\x1b\x07\x9b") and "<script>alert(1)</script>" in out and "please" in out
    assert L.path(course, H.HW).read_bytes().isascii()
    assert json.loads(L.path(course, H.HW).read_text().splitlines()[0])["new"]["text"] == HOSTILE
    RG.answer(course, H.HW, Q, "demo_amara", "kept", "you wrote <script>alert(1)</script> \x1b[2J")
    R.Grader(course, H.HW).toggle(Q, "demo_amara", "i1")
    GS.write_summaries(course, A.collect(course, [H.HW]))
    folder = course.folder("feedback", H.HW, "demo_amara")
    assert "&lt;script&gt;" in (folder / "grade_summary.html").read_text(encoding="utf-8")
    assert "\x1b" not in (folder / "grade_summary.txt").read_text(encoding="utf-8")


def test_the_cli_enters_lists_and_answers_a_request(course, capsys):
    assert grade(course, "--request", "demo_amara", Q, "--text", "look at (d)", "--grader", "ta_kim") == 0
    assert grade(course, "--answer-request", "demo_amara", Q, "--decision", "kept") == 2  # no reason
    assert grade(course, "--answer-request", "demo_amara", Q, "--decision", "kept", "--reason", "(d) is blank") == 0
    capsys.readouterr()
    assert grade(course, "--requests") == 0
    out = capsys.readouterr().out
    assert "demo_amara q2_written (ta, ta_kim): look at (d) -> kept by" in out and "(d) is blank" in out


def test_collect_places_a_regrade_md_from_the_lms_download(tmp_path):
    import zipfile

    from dgmlab.grading.lms import intake as I

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "source" / H.HW).mkdir(parents=True)
    (tmp_path / "source" / H.HW / f"{H.HW}.ipynb").write_text("{}", encoding="utf-8")
    course = Course(tmp_path)
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as z:
        z.writestr(f"lovelaceada_101_5001_{H.HW}.ipynb", b"nb")
        z.writestr("lovelaceada_101_5001_Regrade.md", b"## q2_written\nsee page 2\n")
    got = I.collect(course, H.HW, tmp_path / "d.zip", roster=I.index_of([("ada", "Ada", "Lovelace", "101")]))
    assert not got.unplaced
    assert (course.folder("submitted", H.HW, "ada") / RG.FILE).read_bytes() == b"## q2_written\nsee page 2\n"


def test_a_regrade_md_handed_in_alone_later_joins_the_submission_collected_before(tmp_path):
    import zipfile

    from dgmlab.grading.lms import intake as I

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "source" / H.HW).mkdir(parents=True)
    (tmp_path / "source" / H.HW / f"{H.HW}.ipynb").write_text("{}", encoding="utf-8")
    course, roster = Course(tmp_path), I.index_of([("ada", "Ada", "Lovelace", "101")])
    for n, (name, data) in enumerate([(f"{H.HW}.ipynb", b"nb"), ("regrade.md", b"## q2_written\nsee p. 2\n")]):
        with zipfile.ZipFile(tmp_path / f"{n}.zip", "w") as z:
            z.writestr(f"lovelaceada_101_500{n}_{name}", data)
        got = I.collect(course, H.HW, tmp_path / f"{n}.zip", roster=roster)
    ada = course.folder("submitted", H.HW, "ada")
    assert sorted(p.name for p in ada.iterdir()) == [f"{H.HW}.ipynb", RG.FILE]
    assert (ada / f"{H.HW}.ipynb").read_bytes() == b"nb" and not got.unplaced and not got.replaced
