"""A hand grade written by `dgmlab grade` reaches every surface with one `dgmlab report`: the feedback is written
again with the rubric's comments, and grades.csv, the Canvas CSV, the dashboard, the terminal table and
the grade summary show the same final mark, where before they all showed the mark pending. The course is the demo
class's hw3 as autograding leaves it (tests/grading/hand/hand_graded_demo.py), its feedback written by nbgrader's
generate_feedback as dgmlab autograde writes it."""
import csv
import re

import pytest

from dgmlab import cli
from dgmlab.grading.autograde.nbgrader_run import run_feedback
from dgmlab.grading.hand import grade_by_question as G
from dgmlab.grading.report import current_feedback as CF
from grading.hand import hand_graded_demo as H

pytestmark = pytest.mark.slow  # nbgrader's generate_feedback, a gradebook, the dashboard

WHO, OTHER, CANVAS_ID = "demo_reference", "demo_amara", 77


def report(course, capsys):
    rc = cli.main(["--course", str(course.root), "report", H.HW, "--no-similarity", "--html", "--exports",
                   "--canvas-assignment", f"{H.HW}={CANVAS_ID}"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out


def shown(course, out) -> dict:
    """{surface: what it shows as WHO's mark}: the mark, or "" while there is none."""
    reports = course.root / "reports"
    with (course.root / "grades.csv").open(encoding="utf-8") as f:
        grades = next(r["score"] for r in csv.DictReader(f) if r["student_id"] == WHO)
    with (reports / "canvas.csv").open(encoding="utf-8") as f:
        canvas = next(r[f"{H.HW} ({CANVAS_ID})"] for r in csv.DictReader(f) if r["SIS User ID"] == WHO)
    page = (reports / "dashboard.html").read_text(encoding="utf-8")
    summary = (course.folder("feedback", H.HW, WHO) / "grade_summary.txt").read_text().splitlines()[0]
    table = re.search(rf"^{WHO} +(\S+)", out, re.M).group(1)
    return {"grades.csv": grades, "canvas.csv": canvas,
            "dashboard": re.search(rf'data-student="{WHO}" data-final="([\d.]*)"', page).group(1),
            "summary": re.match(rf"{H.HW}: ([\d.]+) /", summary).group(1) if " / " in summary else "",
            "table": "" if table == "pending" else table}


def test_a_hand_grade_changes_every_surface_and_the_feedback(tmp_path, capsys):
    course = H.build(tmp_path, pdf_student=None, only=[WHO, OTHER])
    for sid in (WHO, OTHER):  # the feedback dgmlab autograde writes, before any hand grade
        assert run_feedback(course.root, H.HW, sid).ok
    before = shown(course, report(course, capsys))
    assert set(before.values()) == {""}, before  # 4 written answers to grade: pending everywhere
    feedback = course.folder("feedback", H.HW, WHO) / f"{H.HW}.html"
    assert "(a) correct" not in feedback.read_text(encoding="utf-8")

    server = G.make_server(course, H.HW, anonymous=False)  # dgmlab grade's server writes each grade
    try:
        for q, question in server.site.grader.rubric.questions.items():
            server.site.act("/api/toggle", {"question": q, "student": WHO, "item": question.items[0].id})
    finally:
        server.server_close()

    out = report(course, capsys)
    assert f"feedback written again with the gradebook's hand grades and comments: 1 ({WHO} {H.HW})" in out
    html = feedback.read_text(encoding="utf-8")
    assert "(a) correct" in html and "Pointwise reduction of the integral" in html  # the rubric's, in the feedback
    assert (course.folder("feedback", H.HW, WHO) / f"{H.HW}.ipynb").is_file()  # the returned notebook, again
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        total = gb.find_submission(H.HW, WHO).score
    after = shown(course, out)
    assert after == {k: f"{total:.2f}" for k in after}, after
    summary = (course.folder("feedback", H.HW, OTHER) / "grade_summary.txt").read_text()
    assert summary.startswith(f"{H.HW}: pending: 4 answers still to grade by hand (q1_written, q2_written, "
                              "q3_written, q4_written)")
    assert CF.stale(course, [H.HW]) == []  # current now: the next report writes no feedback again
    for sid in (WHO, OTHER):  # dgmlab autograde --force writes both students' feedback again, from its own grading
        (course.folder("feedback", H.HW, sid) / f"{H.HW}.html").write_text("<p>autograded</p>", encoding="utf-8")
    assert [(hw, sid) for hw, sid, _ in CF.stale(course, [H.HW])] == [(H.HW, WHO)]  # only WHO has hand grades


def test_a_formatting_deduction_counts_in_the_first_reports_marks_and_in_the_late_reason(tmp_path, capsys):
    import datetime as dt

    from dgmlab.grading.hand import rubrics as RU
    from dgmlab.grading.lms import hand_in_names as HN

    course = H.build(tmp_path, pdf_student=None, only=[WHO])
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write(f"\nc.DgmlabHandIn.format_deductions = {{'hw3': 2}}\nc.DgmlabDeadlines.timezone = 'UTC'\n"
                f"c.DgmlabDeadlines.due = {{'{H.HW}': '2025-02-11 17:00'}}\n"
                f"c.DgmlabDeadlines.policies = {{'{H.HW}': 'ten_percent_2days'}}\n")
    with RU.gradebook(course) as gb:  # handed in a day late
        gb.find_submission(H.HW, WHO).timestamp = dt.datetime(2025, 2, 12, 16, 0)
        gb.db.commit()
    HN.record(course, H.HW, {WHO: "named hw3.ipynb, the homework asks for hw3_flows.ipynb"})  # as collect keeps it
    grader = RU.Grader(course, H.HW)
    for q, question in grader.rubric.questions.items():  # every written answer graded: the mark is final
        grader.toggle(q, WHO, question.items[0].id)
    out = report(course, capsys)  # the first report after hand grading takes the deduction
    with RU.gradebook(course) as gb:
        points = gb.find_submission(H.HW, WHO).score  # with the -2
    final = f"{points * 0.9:.2f}"
    after = shown(course, out)
    assert after == {k: final for k in after}, after
    with (course.root / "grades.csv").open(encoding="utf-8") as f:
        reason = next(r["late_reason"] for r in csv.DictReader(f) if r["student_id"] == WHO)
    assert f"{points:.2f} x 0.9 = {final}" in reason


def test_a_formatting_deduction_is_in_the_mark_push_sends_before_any_report(tmp_path, httpserver, monkeypatch):
    from canvas_fake import FakeCanvas
    from dgmlab.grading.hand import rubrics as RU
    from dgmlab.grading.lms import hand_in_names as HN
    from dgmlab.grading.lms import lms

    course = H.build(tmp_path, pdf_student=None, only=[WHO])
    canvas = FakeCanvas(httpserver, {"101": {"submitted_at": None, "score": None}})
    with RU.gradebook(course) as gb:
        gb.find_student(WHO).lms_user_id = "101"
        gb.db.commit()
        canvas.points_possible = gb.find_assignment(H.HW).max_score
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("\nc.DgmlabHandIn.format_deductions = {'hw3': 2}\n" + canvas.config(H.HW))
    HN.record(course, H.HW, {WHO: "named hw3.ipynb, the homework asks for hw3_flows.ipynb"})
    grader = RU.Grader(course, H.HW)
    for q, question in grader.rubric.questions.items():
        grader.toggle(q, WHO, question.items[0].id)
    with RU.gradebook(course) as gb:
        undeducted = gb.find_submission(H.HW, WHO).score
    monkeypatch.setenv(lms.TOKEN_ENV, "test-token")
    assert cli.main(["--course", str(course.root), "push", H.HW]) == 0  # no dgmlab report before it
    assert canvas.subs["101"]["score"] == pytest.approx(undeducted - 2)
