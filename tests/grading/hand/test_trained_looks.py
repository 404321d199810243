"""A trained result whose training record is missing or not one run waits for an instructor's look
(dgmlab.grading.hand.trained_looks): through the real ``dgmlab autograde`` on the tiny fixture homework, whose hidden
test keeps a "needs a look" verdict naming its cell as hw4's baseline cell does, the cell is flagged, the mark is
pending in the report's rule (never 0, never full), ``dgmlab grade --looked`` gives it a hand score with a logged
reason, and a regrade keeps that look."""
import json
import os
import subprocess
import sys

import nbformat
import pytest

import tiny_homework as tiny
from conftest import ROOT
from dgmlab.authoring.examples import example_submissions
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.hand import audit_log
from dgmlab.grading.hand import rubrics as R
from dgmlab.grading.report import analysis as A
from dgmlab.grading.report import final_mark as F
from dgmlab.grading.report import training_records

pytestmark = pytest.mark.slow  # releases and autogrades a course (nbgrader, kernels)

HW, CELL, STUDENT = tiny.HW, "mean_square_tests", "demo_reference"

KEEPS_A_VERDICT = '''

_graded = test_value_on_the_graders_input


@points(2)
def test_value_on_the_graders_input(v, ref):  # as hw4's baseline cell: the record's verdict kept, naming this cell
    from dgmlab.grading.judge.training_record import NEEDS_A_LOOK, RecordVerdict

    ref.keep("training_record.pt", RecordVerdict("weights.pt", NEEDS_A_LOOK, ["no training record (record.pt) was "
                                                                             "handed in"], cells=["mean_square_tests"]
                                                 ).to_bytes())
    _graded(v, ref)


HIDDEN = {**HIDDEN, "mean_square_tests": (test_value_on_the_graders_input,)}
'''


def _cli(root, *args):
    return subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(root), *args],
                          capture_output=True, text=True, timeout=900, env={**os.environ, "DGMLAB_GRADER": "ta1"})


def _cell(course):
    with R.gradebook(course) as gb:
        g = gb.find_grade(CELL, HW, HW, STUDENT)
        return g.auto_score, g.manual_score, bool(g.needs_manual_grade)


def _dashboard_list(course, names=None) -> list:
    """The dashboard's "trained results that need a look" items, as text."""
    import re
    from html import unescape

    from dgmlab.grading.report import dashboard

    page = dashboard.render(course, A.collect(course, [HW]), names=names)
    found = re.search(r'<ul data-hw="[^"]*" data-list="to_look">(.*?)</ul>', page, re.S)
    return [unescape(re.sub("<[^>]+>", "", li)) for li in re.findall(r"<li>(.*?)</li>", found.group(1))] if found \
        else []


def _mark(course):
    (sub,) = A.collect(course, [HW]).submissions
    return F.final_mark(sub)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("looks") / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text(encoding="utf-8"), "utf-8")
    tiny.build(root)
    hidden = root / "source" / HW / "hidden.py"
    hidden.write_text(hidden.read_text(encoding="utf-8") + KEEPS_A_VERDICT, "utf-8")
    course = C.Course(root)
    C.release(course, local_only=True)
    subs = example_submissions(course.release_notebook(HW), course.source_notebook(HW), tiny.MUTANTS, tiny.PARTIAL)
    path = root / "submitted" / STUDENT / HW / f"{HW}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(subs[STUDENT], path)
    (result,) = C.autograde(course, HW, options=RunOptions(workers=1))
    assert result.status == "graded", result
    return course


def test_a_trained_result_that_needs_a_look_is_flagged_and_its_mark_pending(course):
    auto, manual, flagged = _cell(course)
    assert auto == 3 and manual is None and flagged
    assert _mark(course).pending == ("pending: 1 answer still to grade by hand (why_sympy); 1 trained result whose "
                                     f"training record waits for a look ({CELL}: dgmlab grade --looked)")
    cell = next(c for c in A.collect(course, [HW]).cells if c.cell == CELL)  # its points wait too: neither 0 nor 3
    assert cell.points is None and cell.reason == "waits for a look at its training record (dgmlab report)"
    assert training_records.report_lines(course, [HW])[2] == (f"  {STUDENT} {HW} weights.pt ({CELL}): no training "
                                                              "record (record.pt) was handed in")
    assert _dashboard_list(course) == [f"{STUDENT} weights.pt ({CELL}): no training record (record.pt) was handed in"]
    assert _dashboard_list(course, names={STUDENT: "student-0001"})[0].startswith("student-0001 weights.pt")


def test_looked_refuses_a_cell_no_verdict_names_and_points_out_of_range(course):
    other = _cli(course.root, "grade", HW, "--looked", STUDENT, "derivative_tests", "--points", "2", "--reason", "ok")
    assert other.returncode == 2 and "not a trained result waiting for a look" in other.stderr
    too_many = _cli(course.root, "grade", HW, "--looked", STUDENT, CELL, "--points", "4", "--reason", "ok")
    assert too_many.returncode == 2 and "between 0 and 3" in too_many.stderr
    no_reason = _cli(course.root, "grade", HW, "--looked", STUDENT, CELL, "--points", "3")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    assert _cell(course) == (3, None, True)


def test_a_look_gives_the_hand_score_logged_and_a_regrade_keeps_it(course):
    done = _cli(course.root, "grade", HW, "--looked", STUDENT, CELL, "--points", "1.5", "--reason",
                "curves flat from the first epoch")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _cell(course) == (3, 1.5, False)
    assert _mark(course).pending == "pending: 1 answer still to grade by hand (why_sympy)"  # the written one only
    assert R.feedback_lines(course, HW, STUDENT)[CELL] == ["training record looked at: curves flat from the first "
                                                           "epoch"]  # the grade summary's line under the cell
    (line,) = [r for r in audit_log.verify(course, HW).records if r and r.get("what") == "trained result looked at"]
    assert (line["student"], line["question"], line["who"], line["new"]["points"]) == (STUDENT, CELL, "ta1", 1.5)
    again = _cli(course.root, "autograde", HW, "--force", "--workers", "1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _cell(course) == (3, 1.5, False) and CELL not in _mark(course).pending
    assert training_records.report_lines(course, [HW]) == [] and _dashboard_list(course) == []  # looked at
    assert json.loads(json.dumps(line))["old"] is None
