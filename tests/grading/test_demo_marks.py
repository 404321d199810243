"""The TA's marks of the demo's written answers (examples/<hw>_written_marks.csv, applied by `dgmlab demo` as
`dgmlab grade <hw> --apply` applies them) stay true to the tree: after `make notebooks` changes the examples or a
rubric, these say the marks file is stale. The rubric is the one a new course starts from (the source notebook's
point split), as in the demo's fresh course; the last tests apply one to a gradebook built without a kernel."""
import csv
import shutil

import nbformat
import pytest

from conftest import ROOT
from dgmlab.grading.course import Course
from dgmlab.grading.demo import apply_written_marks, marks_file
from dgmlab.grading.hand import rubric_table, rubrics
from grading.hand import hand_graded_demo

COURSE = Course(ROOT)
HWS = COURSE.homeworks()


def rows(hw) -> list:
    with open(marks_file(COURSE, hw), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def answers(hw) -> dict:
    """``{(student, grade_id): source}`` of every written answer of the examples of ``hw``."""
    written = {cell.grade_id for cell in rubrics.written_cells(COURSE, hw)}
    out = {}
    for path in sorted((ROOT / "examples").glob(f"*/{hw}/{hw}.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "markdown" and gid in written:
                out[(path.parent.parent.name, gid)] = cell.source.strip()
    return out


def starting_rubric(hw) -> dict:
    """grade_id -> the items a new rubric of that written question starts with."""
    return {cell.grade_id: rubrics.starting_items(cell) for cell in rubrics.written_cells(COURSE, hw)}


def prompts(hw) -> dict:
    """grade_id -> the release's text of each written answer cell: what a student who wrote nothing hands in."""
    nb = nbformat.read(COURSE.release_notebook(hw), as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c.source.strip() for c in nb.cells}


@pytest.mark.parametrize("hw", HWS)
def test_each_marks_file_has_the_columns_dgmlab_grade_exports(hw):
    with open(marks_file(COURSE, hw), newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == list(rubric_table.COLUMNS), f"{marks_file(COURSE, hw)}: not the export format"


@pytest.mark.parametrize("hw", HWS)
def test_each_marks_file_grades_every_written_answer_of_the_examples_once(hw):
    given = [(r["student"], r["question"]) for r in rows(hw)]
    assert sorted(given) == sorted(answers(hw)), (
        f"{marks_file(COURSE, hw)} is stale: its rows are not the examples' written answers; read the new ones "
        f"and give their marks (dgmlab grade {hw} --export on a graded course lists them)")


@pytest.mark.parametrize("hw", HWS)
def test_each_marks_files_items_are_in_the_rubric_a_new_course_starts_with(hw):
    rubric = starting_rubric(hw)
    unknown = [(r["student"], r["question"], i) for r in rows(hw) for i in r["items"].split()
               if i not in {it.id for it in rubric.get(r["question"], [])}]
    assert not unknown, f"{marks_file(COURSE, hw)} is stale: items the rubric has not: {unknown}"


@pytest.mark.parametrize("hw", HWS)
def test_exactly_the_blank_answers_get_no_answer(hw):
    rubric, blank, texts = starting_rubric(hw), prompts(hw), answers(hw)
    wrong = []
    for r in rows(hw):
        none = [it.id for it in rubric[r["question"]] if it.text == "no answer"]
        is_blank = texts[(r["student"], r["question"])] == blank[r["question"]]
        if (r["items"].split() == none) != is_blank:
            wrong.append((r["student"], r["question"], "blank" if is_blank else "answered", r["items"]))
    assert not wrong, f"{marks_file(COURSE, hw)} is stale (the answer changed since it was marked): {wrong}"


@pytest.mark.parametrize("hw", HWS)
def test_every_answer_marked_is_the_one_the_ta_read(hw):
    """The examples' written answers were blank or the model answer when the marks were chosen (most model
    answers earn every item; the file's notes say why some do not); any other answer is new and unread."""
    model = {cell.grade_id: cell.model.strip() for cell in rubrics.written_cells(COURSE, hw)}
    blank, texts = prompts(hw), answers(hw)
    unread = [key for key, text in texts.items() if text not in (blank[key[1]], model[key[1]])]
    assert not unread, (f"{marks_file(COURSE, hw)} is stale: these answers changed since they were marked: "
                        f"{unread}; read them, give their marks and update this test")


@pytest.mark.parametrize("hw", HWS)
def test_the_same_answer_gets_the_same_marks(hw):
    texts, marks = answers(hw), {}
    for r in rows(hw):
        marks.setdefault((r["question"], texts[(r["student"], r["question"])]), set()).add((r["items"], r["note"]))
    assert all(len(given) == 1 for given in marks.values()), f"{marks_file(COURSE, hw)}: one answer, two marks"


# ------------------------------------------------------------------ the demo applies them (the class's hw3)
@pytest.fixture
def hw3(tmp_path):
    course = hand_graded_demo.build(tmp_path, pdf_student=None)
    marks_file(course, hand_graded_demo.HW).parent.mkdir()
    shutil.copy(marks_file(COURSE, hand_graded_demo.HW), marks_file(course, hand_graded_demo.HW))
    return course


def hand_scores(course, grade_id="q2_written") -> dict:
    with rubrics.gradebook(course) as gb:
        return {s: gb.find_grade(grade_id, hand_graded_demo.HW, hand_graded_demo.HW, s).manual_score
                for s in ("demo_reference", "demo_blank")}


@pytest.mark.slow
def test_the_demo_applies_the_marks_file_as_dgmlab_grade_apply_does_and_says_so(hw3):
    said = []
    assert apply_written_marks(hw3, [hand_graded_demo.HW], said.append) == []
    assert hand_scores(hw3) == {"demo_reference": 20.0, "demo_blank": 0.0}
    assert said == ["  written answers: a TA's marks, examples/<hw>_written_marks.csv, applied as dgmlab grade <hw> "
                    "--apply does (hw3_flows): 48 marks applied, 0 unchanged"]


@pytest.mark.slow
def test_the_demo_keeps_marks_a_course_gave_and_says_so(hw3):
    rubrics.Grader(hw3, hand_graded_demo.HW).toggle("q2_written", "demo_blank", "i1")  # a TA's own mark
    said = []
    assert apply_written_marks(hw3, [hand_graded_demo.HW], said.append) == []
    assert hand_scores(hw3) == {"demo_reference": None, "demo_blank": 5.0}
    assert said[0].startswith("  hw3_flows: 1 written answers already have other marks in this course: kept")
