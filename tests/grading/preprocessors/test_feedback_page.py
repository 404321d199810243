"""The feedback page's plug-ins (grading/preprocessors/feedback_page.py): an answer nbconvert cannot draw no longer
stops the whole page, the page says what was left out, and its scores are rounded as every export rounds a mark."""
import nbformat
import pytest
from nbconvert import HTMLExporter
from traitlets.config import Config

from dgmlab.grading.marks import mark_text
from dgmlab.grading.preprocessors.feedback_page import (
    LEFT_OUT,
    NOT_FINAL,
    ExactScores,
    LeaveOutBrokenParts,
    SayWhatIsPending,
    feedback_preprocessors,
    left_out,
)

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _page(nb, tmp_path, sanitize=True):
    c = Config()
    c.HTMLExporter.preprocessors = [LeaveOutBrokenParts]
    c.HTMLExporter.sanitize_html = sanitize  # as the course's nbgrader_config.py sets it for feedback
    body, _ = HTMLExporter(config=c).from_notebook_node(nb)
    page = tmp_path / "hw.html"
    page.write_text(body, encoding="utf-8")
    return page


def test_an_answer_with_a_missing_attachment_stops_nbconverts_page():
    nb = _notebook(nbformat.v4.new_markdown_cell("My derivation: ![photo](attachment:none)"))
    with pytest.raises(Exception, match="missing attachment: none"):
        HTMLExporter().from_notebook_node(nb)


def test_the_page_is_made_without_the_missing_image_and_says_so(tmp_path):
    ok = nbformat.v4.new_markdown_cell("Part (a): ![mine](attachment:a.png)")
    ok.attachments = {"a.png": {"image/png": PNG}}
    nb = _notebook(nbformat.v4.new_markdown_cell("# Q1"), nbformat.v4.new_markdown_cell(
        "My derivation: ![photo](attachment:none) and the rest of my answer"), ok)
    page = _page(nb, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "the rest of my answer" in text and 'no attachment "none"' in text
    assert f"data:image/png;base64,{PNG}" in text  # the attachment it holds is drawn
    assert left_out(page) == 'cell 2: the image "attachment:none" (the notebook holds no such attachment)'


def test_an_attachment_holding_no_image_is_left_out_too(tmp_path):
    cell = nbformat.v4.new_markdown_cell("![scan](attachment:scan.jpg)\n\n[ref]: attachment:gone")
    cell.attachments = {"scan.jpg": {}}
    page = _page(_notebook(cell), tmp_path)
    assert 'attachment:scan.jpg' in left_out(page)


def test_a_whole_page_says_nothing_was_left_out(tmp_path):
    page = _page(_notebook(nbformat.v4.new_markdown_cell("all fine")), tmp_path)
    assert left_out(page) == "" and LEFT_OUT not in page.read_text(encoding="utf-8")


def test_scores_are_rounded_half_up_as_every_export_rounds_a_mark():
    cell = nbformat.v4.new_markdown_cell("answer")
    cell.metadata.nbgrader = {"grade": True, "grade_id": "q", "points": 60, "score": 58.275}
    resources = {"nbgrader": {"score": 58.275, "max_score": 60.0, "late_penalty": 0}}
    assert round(58.275, 2) == 58.27  # what nbgrader's page showed (Jinja's round on a binary float)
    nb, resources = ExactScores().preprocess(_notebook(cell), resources)
    assert resources["nbgrader"]["score"] == 58.28 and nb.cells[0].metadata.nbgrader["score"] == 58.28
    assert f"{round(resources['nbgrader']['score'], 2):.2f}" == mark_text(58.275) == "58.28"


def test_the_late_penalty_nbgrader_gives_is_taken_off_the_exact_total():
    cells = []
    for name, score in (("a", 10.125), ("b", 3.6)):
        cell = nbformat.v4.new_markdown_cell(name)
        cell.metadata.nbgrader = {"grade": True, "grade_id": name, "points": 20, "score": score}
        cells.append(cell)
    resources = {"nbgrader": {"score": 13.725 - 1.0, "max_score": 40.0, "late_penalty": 1.0}}
    _, resources = ExactScores().preprocess(_notebook(*cells), resources)
    assert resources["nbgrader"]["score"] == 12.73  # 12.725 exactly, half up


def test_the_course_configs_list_gets_the_plug_ins_once():
    got = feedback_preprocessors(["dgmlab.grading.preprocessors.hidden_tests.HideHiddenTests",
                                  "nbgrader.preprocessors.GetGrades"])
    assert got[0] is LeaveOutBrokenParts and got[-2:] == [ExactScores, SayWhatIsPending] and len(got) == 5
    assert feedback_preprocessors(got) == got


@pytest.mark.slow  # nbgrader's gradebook (alembic) and generate_feedback
def test_generate_feedback_makes_the_page_and_shows_the_final_mark_as_the_exports_do(tmp_path):
    from dgmlab.grading.autograde.nbgrader_run import run_feedback
    from dgmlab.grading.report import analysis as A
    from dgmlab.grading.report.final_mark import final_mark
    from grading.hand import hand_graded_demo as H

    course = H.build(tmp_path, pdf_student=None, only=["demo_amara"])
    path = course.root / "autograded" / "demo_amara" / H.HW / f"{H.HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    written = next(c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade"))
    written.source += "\n\nMy derivation: ![photo](attachment:none)"
    nbformat.write(nb, path)
    assert run_feedback(course.root, H.HW, "demo_amara").ok
    page = course.folder("feedback", H.HW, "demo_amara") / f"{H.HW}.html"
    assert NOT_FINAL in page.read_text(encoding="utf-8")  # written answers not graded yet: the page says so
    with nbformat_gradebook(course) as gb:  # every written answer graded: 3.125 in all, a mark with a half
        for i, g in enumerate(g for g in gb.find_submission_notebook(H.HW, H.HW, "demo_amara").grades
                              if g.needs_manual_grade):
            g.manual_score, g.needs_manual_grade = (3.125 if i == 0 else 0.0), False
        gb.db.commit()
    assert run_feedback(course.root, H.HW, "demo_amara").ok  # nbconvert stopped on the missing attachment before
    page = course.folder("feedback", H.HW, "demo_amara") / f"{H.HW}.html"
    assert left_out(page).endswith('the image "attachment:none" (the notebook holds no such attachment)')
    mark = final_mark(next(s for s in A.collect(course, [H.HW]).submissions if s.student == "demo_amara"))
    assert mark.text == "3.13" and f"(Score: {mark.text} / " in page.read_text(encoding="utf-8")
    assert NOT_FINAL not in page.read_text(encoding="utf-8")



@pytest.mark.slow  # nbgrader's gradebook (alembic) and generate_feedback
def test_report_lists_a_feedback_page_made_without_part_of_it_and_exits_1(tmp_path, capsys):
    from dgmlab import cli
    from dgmlab.grading.autograde.nbgrader_run import run_feedback
    from grading.hand import hand_graded_demo as H

    course = H.build(tmp_path, pdf_student=None, only=["demo_amara", "demo_chen"])
    for sid in ("demo_amara", "demo_chen"):
        assert run_feedback(course.root, H.HW, sid).ok
    assert cli.main(["--course", str(course.root), "report", "--no-similarity"]) == 0  # every page whole
    path = course.root / "autograded" / "demo_amara" / H.HW / f"{H.HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("My scan: ![photo](attachment:none)"))
    nbformat.write(nb, path)
    assert run_feedback(course.root, H.HW, "demo_amara").ok
    capsys.readouterr()
    assert cli.main(["--course", str(course.root), "report", "--no-similarity"]) == 1
    err = capsys.readouterr().err
    assert f"feedback of demo_amara {H.HW}: {H.HW}.html was made without part of it: cell " in err
    assert 'the image "attachment:none"' in err and "feedback of demo_chen" not in err


def nbformat_gradebook(course):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course.root / 'gradebook.db'}")
