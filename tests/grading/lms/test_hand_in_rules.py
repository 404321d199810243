"""Hand-in rules the handouts state beyond the notebook's name (dgmlab.grading.lms.hand_in_rules): MIT's hw4 report
PDF, `<kerberos>.pdf`, checked at collect and listed by report."""
import zipfile

from dgmlab.grading.course import Course
from dgmlab.grading.lms import hand_in_names as HN
from dgmlab.grading.lms import hand_in_rules as HR
from dgmlab.grading.lms import intake as I

HW = "hw4_gans"
ROSTER = I.index_of([("ada", "Ada", "Lovelace", "101"), ("bob", "Bob", "Babbage", "102"), ("cy", "Cy", "Young", "103")])


def _course(tmp_path, extra="") -> Course:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + extra, encoding="utf-8")
    (tmp_path / "source" / HW).mkdir(parents=True)
    (tmp_path / "source" / HW / f"{HW}.ipynb").write_text("{}", encoding="utf-8")
    return Course(tmp_path)


def _zip(tmp_path, files: dict):
    path = tmp_path / "submissions.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


ZIP = {"lovelaceada_101_5001_hw4_gans.ipynb": b"nb", "lovelaceada_101_5001_ADA-1.pdf": b"%PDF report",
       "babbagebob_102_5002_hw4_gans.ipynb": b"nb", "babbagebob_102_5002_report.pdf": b"%PDF report",
       "youngcy_103_5003_hw4_gans.ipynb": b"nb"}


def test_the_report_is_named_by_the_students_id_or_email_name_case_and_reupload_aside():
    assert HR.check_report(["ADA.pdf"], "<kerberos>.pdf", "ada") == ""
    assert HR.check_report(["alove.pdf"], "<kerberos>.pdf", "s1234", "alove@mit.edu") == ""


def test_a_missing_or_misnamed_report_says_what_the_homework_asks():
    assert HR.check_report([], "<kerberos>.pdf", "bob") == "no report PDF; the homework asks for bob.pdf"
    assert HR.check_report(["report.pdf"], "<kerberos>.pdf", "s9", "bb@mit.edu") == (
        "report named report.pdf, the homework asks for s9.pdf or bb.pdf")


def test_collect_lists_each_hw4_submission_without_its_kerberos_pdf_and_places_it_all_the_same(tmp_path):
    course = _course(tmp_path)
    got = I.collect(course, HW, _zip(tmp_path, ZIP), roster=ROSTER)
    assert dict(got.no_report) == {"bob": "report named report.pdf, the homework asks for bob.pdf",
                                   "cy": "no report PDF; the homework asks for cy.pdf"}
    assert (course.folder("submitted", HW, "bob") / "report.pdf").exists()
    assert "report PDFs not as hw4_gans asks (2); listed, not refused:" in got.lines()


def test_report_lists_what_collect_found_and_a_later_right_hand_in_clears_it(tmp_path):
    course = _course(tmp_path)
    I.collect(course, HW, _zip(tmp_path, ZIP), roster=ROSTER)
    lines = HN.report_lines(course, [HW])
    assert "  hw4_gans bob: report named report.pdf, the homework asks for bob.pdf" in lines
    I.collect(course, HW, _zip(tmp_path, {**ZIP, "babbagebob_102_5002_report.pdf": b"x", "babbagebob_102_5002_bob.pdf": b"y",
                                          "youngcy_103_5003_cy.pdf": b"z"}), roster=ROSTER)
    assert HR.read(course, HW) == {"ada": "", "bob": "", "cy": ""} and HN.report_lines(course, [HW]) == []


def test_a_course_can_turn_the_report_rule_off(tmp_path):
    course = _course(tmp_path, "c.DgmlabHandIn.report_names = {'hw4': ''}\n")
    assert I.collect(course, HW, _zip(tmp_path, ZIP), roster=ROSTER).no_report == []


def test_a_students_pdf_name_is_inert_in_the_listing(tmp_path):
    course = _course(tmp_path)
    got = I.collect(course, HW, _zip(tmp_path, {"lovelaceada_101_5001_\x1b[2Jx.pdf": b"%PDF"}), roster=ROSTER)
    assert got.no_report and not any("\x1b" in line for line in got.lines())
