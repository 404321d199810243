"""The instructor's per-question PDFs (dgmlab.grading.lms.hand_in_pdfs, dgmlab.pdf): each student's named as the
handout asks, with the photos and PDFs they handed in beside the notebook merged in question order. The printing
test reads the PDFs back with poppler (pdftotext, pdfimages), as tests/grading/test_pdf.py does."""
import base64
import os
import sys
from pathlib import Path

import pytest

from dgmlab import pdf as P
from dgmlab.grading.course import Course
from dgmlab.grading.lms import hand_in_pdfs as HP
from grading.test_pdf import Q1_FIGURE, images, png, scratch_course, text, tools, two_questions
from pdf_files import one_page_pdf as tiny_pdf

HW = "hw5_explicit"  # its notebook name is the handout's <Lastname>_<Firstname>_Assgn2.ipynb
PHOTO = (150, 120)  # pixels: told apart from the notebook's figures by pdfimages


def course_with_uploads(root) -> Course:
    release = two_questions()
    scratch_course(root, release, {"ada": release}, hw=HW)  # the release's cells, ids and all
    folder = root / "submitted" / "ada" / HW
    (folder / "q2-photo.png").write_bytes(base64.b64decode(png(PHOTO)))
    (folder / "Q1_scan.pdf").write_bytes(tiny_pdf("SCANMARK"))
    (folder / "fake.png").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    from nbgrader.api import Gradebook

    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])  # nbgrader runs alembic
    try:
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            gb.add_student("ada", first_name="Ada", last_name="De Lovelace")
    finally:
        os.environ["PATH"] = saved
    return Course(root)


def test_the_plan_names_the_pdfs_as_the_handout_asks_and_sorts_the_uploads_by_question(tmp_path):
    plan = HP.planner(course_with_uploads(tmp_path), HW)
    got = plan("ada")
    assert got.name == "DeLovelace_Ada_Assgn2" and got.whole == ""
    assert list(got.extra) == ["Q2"] and "attachment:photo.png" in got.extra["Q2"][0].source
    assert {k: [p.name for p in v] for k, v in got.attach.items()} == {"Q1": ["Q1_scan.pdf"]}
    assert plan.notes == ["ada: fake.png left out of the PDFs: not the PNG or JPEG image its name says"]


def test_a_report_rule_names_the_whole_pdf_and_a_homework_without_names_uses_the_students_id(tmp_path):
    root = scratch_course(tmp_path, two_questions(), {"ada": two_questions()}, hw="hw4_gans")
    got = HP.planner(Course(root), "hw4_gans")("ada")
    assert (got.name, got.whole) == ("ada_hw4_gans", "ada")  # <kerberos>.pdf, the id as the kerberos


@pytest.mark.slow
def test_each_question_pdf_holds_the_students_photo_and_scanned_pages_of_that_question(tmp_path):
    tools()
    course = course_with_uploads(tmp_path)
    plan = HP.planner(course, HW)
    got = P.write_class_pdfs(course, HW, tmp_path / "out", plan=plan)
    folder = tmp_path / "out" / HW / "ada"
    assert sorted(p.name for p in folder.iterdir()) == [
        "DeLovelace_Ada_Assgn2.pdf", "DeLovelace_Ada_Assgn2_Q1.pdf", "DeLovelace_Ada_Assgn2_Q2.pdf"]
    q1, q2 = folder / "DeLovelace_Ada_Assgn2_Q1.pdf", folder / "DeLovelace_Ada_Assgn2_Q2.pdf"
    assert text(q1).index("FIRSTSTATEMENT") < text(q1).index("SCANMARK")  # the scan after the notebook's Q1
    assert "SCANMARK" not in text(q2) and PHOTO in images(q2) and PHOTO not in images(q1)
    assert Q1_FIGURE in images(q1)
    whole = folder / "DeLovelace_Ada_Assgn2.pdf"
    assert PHOTO in images(whole) and text(whole).index("SECONDSTATEMENT") < text(whole).index("CLOSINGNOTE")
    assert any("Q1_scan.pdf handed in, merged at its end" in line for line in got.lines())


@pytest.mark.slow
def test_a_handed_in_pdf_that_cannot_be_merged_is_listed_where_it_is_not_copied_beside(tmp_path):
    # a copy beside the question PDFs would keep whatever scripts the file holds: the TA opens the student's own
    tools()
    course = course_with_uploads(tmp_path)
    scan = course.root / "submitted" / "ada" / HW / "Q1_scan.pdf"
    scan.write_bytes(b"%PDF-1.4\nnot a PDF after all\n")
    got = P.write_class_pdfs(course, HW, tmp_path / "out", plan=HP.planner(course, HW))
    folder = tmp_path / "out" / HW / "ada"
    assert sorted(p.name for p in folder.iterdir()) == [
        "DeLovelace_Ada_Assgn2.pdf", "DeLovelace_Ada_Assgn2_Q1.pdf", "DeLovelace_Ada_Assgn2_Q2.pdf"]
    assert any(f"{scan}: not merged" in line for line in got.lines()), got.lines()
