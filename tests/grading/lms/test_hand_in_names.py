"""The notebook name a homework asks for (c.DgmlabCollect.notebook_names, dgmlab.grading.lms.hand_in_names), checked
and reported by dgmlab collect and dgmlab report, never refused; and collect's listing of which question each
handed-in PDF or photo went under. hw5's rule is its handout's: <Lastname>_<Firstname>_Assgn2.ipynb."""
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.course import Course
from dgmlab.grading.lms import hand_in_names as HN

HW = "hw5_explicit"
NB = f"{HW}.ipynb"
RULE = "<Lastname>_<Firstname>_Assgn2.ipynb"


# -- the rule itself

@pytest.mark.parametrize("named", ["Lovelace_Ada_Assgn2.ipynb", "lovelace_ada_assgn2.ipynb",
                                   "LOVELACE_ADA_ASSGN2.IPYNB"])
def test_the_asked_name_is_matched_whatever_its_case(named):
    assert HN.check(named, RULE, "Ada", "Lovelace") == ""


def test_a_name_with_spaces_may_be_written_with_or_without_them():
    assert HN.check("De Souza_Ana_Assgn2.ipynb", RULE, "Ana", "De Souza") == ""
    assert HN.check("DeSouza_Ana_Assgn2.ipynb", RULE, "Ana", "De Souza") == ""


@pytest.mark.parametrize("named", ["hw5_explicit.ipynb", "Ada_Lovelace_Assgn2.ipynb", "Lovelace_Ada_Assgn5.ipynb",
                                   "Babbage_Bob_Assgn2.ipynb"])
def test_another_name_says_what_it_is_and_what_is_asked(named):
    assert HN.check(named, RULE, "Ada", "Lovelace") == f"named {named}, the homework asks for Lovelace_Ada_Assgn2.ipynb"


def test_without_the_students_names_the_name_is_said_not_checked():
    assert "not checked" in HN.check("Lovelace_Ada_Assgn2.ipynb", RULE, "", "Lovelace")


def test_the_rule_is_found_by_homework_id_then_its_prefix():
    assert HN.rule_of({"hw5": RULE}, HW) == RULE
    assert HN.rule_of({"hw5": RULE, HW: "x_<Lastname>.ipynb"}, HW) == "x_<Lastname>.ipynb"
    assert HN.rule_of({"hw5": ""}, HW) is None  # set to "": no rule


def test_a_homework_without_an_entry_asks_for_its_own_notebooks_name():
    assert HN.rule_of({"hw5": RULE}, "hw3_flows") == "hw3_flows.ipynb"
    assert HN.check("HW3 Flows - Erin.ipynb", "hw3_flows.ipynb", None, None) == (
        "named HW3 Flows - Erin.ipynb, the homework asks for hw3_flows.ipynb")
    assert HN.check("HW3_FLOWS.ipynb", "hw3_flows.ipynb", None, None) == ""


def test_a_placeholder_other_than_the_names_is_a_clear_error():
    with pytest.raises(HN.NameRuleError, match=r"<Student ID> is not <Lastname> or <Firstname>"):
        HN.rule_of({"hw5": "<Lastname>_<Student ID>.ipynb"}, HW)


# -- through dgmlab collect, on a course whose roster is nbgrader's gradebook

@pytest.fixture(scope="module")
def gradebook(tmp_path_factory) -> Path:
    from nbgrader.api import Gradebook

    db = tmp_path_factory.mktemp("roster") / "gradebook.db"
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])  # nbgrader runs alembic
    try:
        with Gradebook(f"sqlite:///{db}") as gb:
            gb.add_student("ada", first_name="Ada", last_name="Lovelace", lms_user_id="101")
            gb.add_student("bob", first_name="Bob", last_name="Babbage", lms_user_id="102")
    finally:
        os.environ["PATH"] = saved
    return db


@pytest.fixture()
def course(tmp_path, gradebook) -> Course:
    root = tmp_path / "course"
    (root / "source" / HW).mkdir(parents=True)
    shutil.copy(ROOT / "source" / HW / NB, root / "source" / HW / NB)  # its headings give the questions
    (root / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    shutil.copy(gradebook, root / "gradebook.db")
    return Course(root)


def _collect(course: Course, tmp_path: Path, files: dict) -> int:
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return cli.main(["--course", str(course.root), "collect", HW, str(tmp_path / "s.zip")])


@pytest.mark.slow  # nbgrader makes the roster's gradebook with alembic (once for the module)
def test_a_misnamed_notebook_is_placed_and_reported_by_collect_and_report(course, tmp_path, capsys):
    assert _collect(course, tmp_path, {"babbagebob_102_7_hw5 final (1).ipynb": b"bob's"}) == 0
    assert (course.folder("submitted", HW, "bob") / NB).read_bytes() == b"bob's"
    out = capsys.readouterr().out
    assert "  bob: named hw5 final.ipynb, the homework asks for Babbage_Bob_Assgn2.ipynb" in out
    assert HN.report_lines(course, [HW])[1:] == [
        f"  {HW} bob: named hw5 final.ipynb, the homework asks for Babbage_Bob_Assgn2.ipynb"]


@pytest.mark.slow
def test_a_hand_written_timestamp_nbgrader_misreads_is_reported_with_what_to_write(course, tmp_path, capsys):
    assert _collect(course, tmp_path, {"lovelaceada_101_5_LOVELACE_Ada_Assgn2.ipynb": b"ada's"}) == 0
    assert HN.report_lines(course, [HW]) == []  # collect's own timestamp.txt (none here) is never flagged
    (course.folder("submitted", HW, "ada") / "timestamp.txt").write_text("2026-11-21 10:00:00.000000 -0500")
    lines = HN.report_lines(course, [HW])
    assert lines[0].startswith("submission times nbgrader misreads (timestamp.txt; dgmlab autograde grades none")
    assert lines[1].startswith(f"  {HW} ada: ") and "write 2026-11-21T15:00:00+00:00 in its place" in lines[1]


@pytest.mark.slow
def test_a_rightly_named_notebook_is_not_reported(course, tmp_path, capsys):
    assert _collect(course, tmp_path, {"lovelaceada_101_5_LOVELACE_Ada_Assgn2.ipynb": b"ada's"}) == 0
    out = capsys.readouterr().out
    assert "asks for" not in out and "not checked" not in out
    assert HN.report_lines(course, [HW]) == []


@pytest.mark.slow
def test_collecting_a_renamed_notebook_again_clears_the_report(course, tmp_path, capsys):
    _collect(course, tmp_path, {"lovelaceada_101_5_hw5_explicit.ipynb": b"ada's"})
    assert len(HN.report_lines(course, [HW])) == 2
    _collect(course, tmp_path, {"lovelaceada_101_6_Lovelace_Ada_Assgn2.ipynb": b"ada's again"})
    assert HN.report_lines(course, [HW]) == []


@pytest.mark.slow
def test_collect_lists_the_question_each_upload_went_under_keeping_its_name(course, tmp_path, capsys):
    assert _collect(course, tmp_path, {"lovelaceada_101_5_Lovelace_Ada_Assgn2.ipynb": b"nb",
                                       "lovelaceada_101_5_hw5_explicit_Q3.pdf": b"%PDF",
                                       "lovelaceada_101_5_q4-page2.png": b"png",
                                       "lovelaceada_101_5_Q1 and Q2.jpg": b"jpg",
                                       "lovelaceada_101_5_Q9.pdf": b"%PDF"}) == 0
    out = capsys.readouterr().out
    assert f"ada/{HW}/hw5_explicit_Q3.pdf <- lovelaceada_101_5_hw5_explicit_Q3.pdf (under Q3)" in out
    assert f"ada/{HW}/q4-page2.png <- lovelaceada_101_5_q4-page2.png (under Q4)" in out
    assert f"ada/{HW}/Q1_and_Q2.jpg <- lovelaceada_101_5_Q1 and Q2.jpg (names Q1 and Q2: shown with every " \
           "question)" in out
    assert f"ada/{HW}/Q9.pdf <- lovelaceada_101_5_Q9.pdf (names no question of the homework" in out


@pytest.mark.slow
def test_a_homework_without_a_set_rule_lists_a_notebook_not_named_as_its_own(course, tmp_path, capsys):
    hw = "hw3_flows"
    (course.root / "source" / hw).mkdir(parents=True)
    shutil.copy(ROOT / "source" / hw / f"{hw}.ipynb", course.root / "source" / hw / f"{hw}.ipynb")
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as z:
        z.writestr("lovelaceada_101_5_HW3 Flows - Ada (1).ipynb", b"ada's")
        z.writestr("babbagebob_102_7_hw3_flows-2.ipynb", b"bob's")
    assert cli.main(["--course", str(course.root), "collect", hw, str(tmp_path / "s.zip")]) == 0
    assert (course.folder("submitted", hw, "ada") / f"{hw}.ipynb").read_bytes() == b"ada's"
    assert HN.report_lines(course, [hw])[1:] == [
        f"  {hw} ada: named HW3 Flows - Ada.ipynb, the homework asks for {hw}.ipynb"]
