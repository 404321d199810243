"""What the student wrote is data, never structure (issue 45, item 4): a cell's grade id, points and kind come from
the gradebook, never from the submission's metadata, and every string from a submission is inert where the
instructor reads it (a CSV cell, a terminal line, the dashboard's HTML)."""
import copy
import csv
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.copies import dashboard_copies as DC
from dgmlab.grading.copies import similarity as S
from dgmlab.grading.inert import csv_cell, neutralise_csv_file, terminal, visible
from dgmlab.grading.layout import SubmissionResult
from dgmlab.grading.report import dashboard as D
from dgmlab.grading.report import exports as X
from dgmlab.grading.report.class_data import CellResult, ClassData, RosterEntry, Submission

# a spreadsheet formula that opens a link, then escape codes that clear the instructor's terminal and retitle it
EVIL = '=HYPERLINK("http://x","click")\x1b[2J\x1b]0;owned\x07<script>alert(1)</script>'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cells_of_csv(path: Path) -> list:
    return [v for row in csv.reader(path.open(encoding="utf-8", newline="")) for v in row]


def _live_formula(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


# ------------------------------------------------------------------ the helpers
@pytest.mark.parametrize("text", [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1"])
def test_csv_cell_quotes_a_formula_so_a_spreadsheet_shows_text(text):
    assert csv_cell(text) == "'" + visible(text)


# a roster name from an LMS a student can edit: retitles the terminal that cats the CSV, then reverses the text
ESCAPED_NAME = "Love\x1b]0;pwn\x07lace\u202eecal\x9b2J"


def test_csv_cell_writes_control_characters_and_bidi_overrides_as_their_codes():
    assert csv_cell(ESCAPED_NAME) == "Love\\x1b]0;pwn\\x07lace\\u202eecal\\x9b2J"
    assert csv_cell("\r=1") == "\\x0d=1"  # no longer a carriage return, nor a formula
    assert csv_cell("line 1\nline\t2") == "line 1\nline\t2"


def test_grades_csv_shows_an_escape_in_a_roster_name_as_text(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text(f"assignment,student_id,last_name,score\nhw1,ada,{ESCAPED_NAME},3\n", encoding="utf-8")
    neutralise_csv_file(path)
    data = path.read_text(encoding="utf-8")
    assert not any(ch in data for ch in "\x1b\x07\x9b\u202e") and "Love\\x1b]0;pwn\\x07lace" in data


@pytest.mark.parametrize("value", [-1.5, 3, "-1.5", "+2", "-0.25e-3", "", "hw1_wgan", "q1_tests", None])
def test_csv_cell_keeps_numbers_and_plain_text(value):
    assert csv_cell(value) == ("" if value is None else value)


def test_terminal_removes_escape_sequences_and_control_characters():
    text = terminal("a\x1b[2Jb\x1b]0;title\x07c\x9b31md\x07e\x00f\rg\u202eh\ni\tj")
    assert text == "abcdefgh i j"
    assert terminal("line 1\nline\t2\x1b[1A", newlines=True) == "line 1\nline\t2"


def test_grades_csv_export_is_neutralised_in_place(tmp_path):
    path = tmp_path / "grades.csv"  # as nbgrader's CsvExportPlugin writes it: no quoting, "\n" endings
    path.write_text("assignment,student_id,last_name,score\nhw1,ada,=HYPERLINK(\"x\"),-1.5\n", encoding="utf-8")
    neutralise_csv_file(path)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert rows == [["assignment", "student_id", "last_name", "score"], ["hw1", "ada", "'=HYPERLINK(\"x\")", "-1.5"]]
    assert path.read_bytes().endswith(b"\n") and b"\r\n" not in path.read_bytes()


# ------------------------------------------------------------------ CSVs, terminal and dashboard
def _class_data() -> ClassData:
    """A class whose submission-derived strings (a failure reason, the LMS's name) are hostile."""
    roster = {"ada": RosterEntry("ada", "=cmd|' /C calc'!A0", "@Lovelace", "ada@uni.edu", "101")}
    cells = [CellResult("ada", "hw1_tiny", "hw1_tiny", "f_tests", -0.0, 5.0, "auto", reason=EVIL)]
    subs = [Submission("ada", "hw1_tiny", "failed", EVIL, 3.0, 0.0, 5.0)]
    return ClassData(["hw1_tiny"], roster, cells, subs, {"hw1_tiny": [("hw1_tiny", "f_tests", 5.0, "auto")]},
                     {"hw1_tiny": 5.0})


def test_canvas_and_per_question_exports_hold_no_live_formula(tmp_path):
    data = _class_data()
    for path in (X.canvas_csv(data, tmp_path / "canvas.csv", {"hw1_tiny": 1}), X.long_csv(data, tmp_path / "q.csv")):
        values = _cells_of_csv(path)
        assert not [v for v in values if _live_formula(v) and not v.lstrip("+-").replace(".", "").isdigit()], path
    assert "'" + visible(EVIL) in _cells_of_csv(tmp_path / "q.csv")


def test_canvas_and_per_question_exports_show_escapes_as_text(tmp_path):
    data = _class_data()
    data.roster["ada"] = RosterEntry("ada", "Ada", ESCAPED_NAME, "ada@uni.edu", "101")
    for path in (X.canvas_csv(data, tmp_path / "canvas.csv", {"hw1_tiny": 1}), X.long_csv(data, tmp_path / "q.csv")):
        text = path.read_text(encoding="utf-8")
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e"), path
    assert "Love\\x1b]0;pwn\\x07lace" in (tmp_path / "canvas.csv").read_text(encoding="utf-8")


def test_similarity_csv_holds_no_live_formula(tmp_path):
    result = S.HomeworkSimilarity("hw1_tiny", 2, [S.Match("hw1_tiny", "ada", "bob", EVIL, 0.95, "student"),
                                                  S.Match("hw1_tiny", "ada", "-cmd", "an added cell", 1.0, "kit code")])
    values = _cells_of_csv(S.write_csv([result], tmp_path / "similarity.csv"))
    assert "'" + visible(EVIL) in values and "'-cmd" in values
    assert not [v for v in values if _live_formula(v)]


def test_the_similarity_report_prints_no_escape_codes():
    result = S.HomeworkSimilarity("hw1_tiny", 2, [S.Match("hw1_tiny", "ada", "bob", EVIL, 0.95, "student")],
                                  skipped=[f"ada: {EVIL} not read"])
    text = S.format_report([result])
    assert "\x1b" not in text and "\x07" not in text and "HYPERLINK" in text


def test_autograde_prints_no_escape_codes_from_a_reason(tmp_path, monkeypatch, capsys):
    from dgmlab.grading import course as C

    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    (tmp_path / "source" / "hw1_tiny").mkdir(parents=True)
    (tmp_path / "submitted" / "ada" / "hw1_tiny").mkdir(parents=True)
    monkeypatch.setattr(C.Course, "check_homeworks", lambda self, hws: list(hws))

    def autograde(course, hw, students=None, options=None, *, cluster=None, progress=None, grader=None):
        results = [SubmissionResult(hw, "ada", "failed", f"NameError: {EVIL}\r\x1b[1Aover", 1.0)]
        for r in results:
            progress(r)
        return results

    monkeypatch.setattr(C, "autograde", autograde)
    code = cli.main(["--course", str(tmp_path), "autograde", "hw1_tiny", "--no-sandbox"])
    out = capsys.readouterr()
    assert code == 1 and "HYPERLINK" in out.out
    assert not any(ch in out.out + out.err for ch in "\x1b\x07\x9b"), (out.out + out.err)[-500:]


def test_the_dashboard_shows_submission_text_escaped(tmp_path):
    data = _class_data()
    page = D.student_section(data, "ada")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    result = S.HomeworkSimilarity("hw1_tiny", 2, [S.Match("hw1_tiny", "ada", "bob", EVIL, 0.95, "student")])
    page = DC.similarity_html("hw1_tiny", [result], texts=False)
    assert "<script>" not in page and 'data-stat="where">=HYPERLINK(&#34;http://x&#34;' in page


HOSTILE_ID = 'x"><script>alert(1)</script>{{ 7*7 }}'


def test_the_dashboard_page_prints_a_hostile_student_id_and_answer_as_inert_text(tmp_path):
    from dgmlab.grading.layout import Course

    roster = {HOSTILE_ID: RosterEntry(HOSTILE_ID, "Ada", "Lovelace", "ada@uni.edu", "101")}
    cells = [CellResult(HOSTILE_ID, "hw1_tiny", "hw1_tiny", "f_tests", 0.0, 5.0, "auto", reason=HOSTILE_ID)]
    subs = [Submission(HOSTILE_ID, "hw1_tiny", "graded", HOSTILE_ID, 3.0, 0.0, 5.0)]
    data = ClassData(["hw1_tiny"], roster, cells, subs, {"hw1_tiny": [("hw1_tiny", "f_tests", 5.0, "auto")]},
                     {"hw1_tiny": 5.0})
    similar = [S.HomeworkSimilarity("hw1_tiny", 2, [S.Match("hw1_tiny", HOSTILE_ID, "bob", HOSTILE_ID, 0.95,
                                                            "student")])]
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    page = D.render(Course(tmp_path), data, names={}, similar=similar)
    inert = 'x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}'
    assert "<script>" not in page and "{{ 49 }}" not in page and ">49<" not in page
    assert page.count(inert) >= 6, page  # the id and reason in the outcomes, cells, student and similarity rows


# ------------------------------------------------------------------ structure from the gradebook
def _hostile_copy(nb, renamed: str | None = None):
    """``nb`` with an added code cell carrying nbgrader metadata whose grade id is :data:`EVIL` (worth 100 points),
    cells whose metadata is a string or lacks a grade id, and (``renamed``) an answer cell renamed to EVIL."""
    nb = copy.deepcopy(nb)
    added = nbformat.v4.new_code_cell("def helper(x):\n    return 2 * x\n")
    added.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "grade_id": EVIL, "points": 100,
                                  "schema_version": 3}
    odd = [nbformat.v4.new_code_cell("y = 1"), nbformat.v4.new_code_cell("z = 2")]
    odd[0].metadata["nbgrader"] = {"grade_id": ["a", "list"], "grade": True, "points": 5}
    odd[1].metadata["nbgrader"] = {"grade": True, "points": 9}
    nb.cells[3:3] = [added, *odd]
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if renamed and meta.get("grade_id") == renamed:
            meta["grade_id"] = EVIL
    return nb


def test_trust_source_cells_rebuilds_metadata_from_the_gradebook(tmp_path):
    from nbgrader.api import Gradebook

    from dgmlab.grading.preprocessors import TrustSourceCells, trusted_sanitize_preprocessors

    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])  # nbgrader runs alembic
    try:
        with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
            gb.add_assignment("hw1_tiny")
            gb.add_notebook("hw1_tiny", "hw1_tiny")
            gb.add_grade_cell("f_tests", "hw1_tiny", "hw1_tiny", max_score=3, cell_type="code")
            gb.add_solution_cell("f", "hw1_tiny", "hw1_tiny")
            for name, locked in (("f", False), ("f_tests", True)):
                gb.add_source_cell(name, "hw1_tiny", "hw1_tiny", cell_type="code", locked=locked, source="x",
                                   checksum=f"sum-{name}")
    finally:
        os.environ["PATH"] = saved
    cells = [nbformat.v4.new_code_cell("def f(): pass"), nbformat.v4.new_code_cell("check('f_tests', f)"),
             nbformat.v4.new_code_cell("mine = 1"), nbformat.v4.new_markdown_cell("notes"),
             nbformat.v4.new_code_cell("theirs = 2")]
    cells[0].metadata["nbgrader"] = {"grade_id": "f", "solution": False, "grade": True, "points": 50}  # flags flipped
    cells[1].metadata["nbgrader"] = {"grade_id": "f_tests", "grade": False, "points": 1000, "schema_version": 99}
    cells[2].metadata["nbgrader"] = {"grade_id": EVIL, "grade": True, "points": 100, "solution": False}
    cells[3].metadata["nbgrader"] = "not a mapping"
    cells[4].metadata["nbgrader"] = {"grade_id": 7, "solution": True}
    nb = nbformat.v4.new_notebook(cells=cells)
    resources = {"nbgrader": {"db_url": f"sqlite:///{tmp_path / 'gradebook.db'}", "notebook": "hw1_tiny",
                              "assignment": "hw1_tiny"}}
    nb, _ = TrustSourceCells().preprocess(nb, resources)
    metas = [c.metadata.get("nbgrader") for c in nb.cells]
    assert metas[0] == {"grade_id": "f", "cell_type": "code", "locked": False, "checksum": "sum-f", "grade": False,
                        "solution": True, "task": False, "schema_version": 3}
    assert metas[1] == {"grade_id": "f_tests", "cell_type": "code", "locked": True, "checksum": "sum-f_tests",
                        "grade": True, "solution": False, "task": False, "schema_version": 3, "points": 3.0}
    assert metas[2:] == [None, None, None]
    assert [c.source for c in nb.cells][2:] == ["mine = 1", "notes", "theirs = 2"]  # kept, as the student's own
    names = [getattr(p, "__name__", p) for p in trusted_sanitize_preprocessors(["nbgrader.preprocessors.ClearOutput",
                                                                                "nbgrader.preprocessors.OverwriteCells"])]
    assert names == ["nbgrader.preprocessors.ClearOutput", "TrustSourceCells", "nbgrader.preprocessors.OverwriteCells"]


def test_similarity_names_only_the_release_grade_ids(tmp_path):
    from grading.copies.test_similarity import hand_in, make_course
    from similarity_cases import corpus

    course = make_course(tmp_path)
    ben = corpus("hw1_wgan")["ben"]
    for sid in ("bruno", "carla"):
        path = hand_in(course, sid, ben)
        nb = _hostile_copy(nbformat.read(path, as_version=4), renamed="q3_interpolate")
        nbformat.write(nb, path)
    r = S.compare_homework(course, "hw1_wgan")
    release = S._answer_ids(course.release_notebook("hw1_wgan"))
    assert r.matches and {m.where for m in r.matches} <= set(release) | {"notebook", "an added cell"}
    assert "q3_interpolate" not in {m.where for m in r.matches}  # renamed away: now a cell the student added
    assert not [v for v in _cells_of_csv(S.write_csv([r], tmp_path / "s.csv")) if _live_formula(v)]


@pytest.mark.slow
def test_a_formula_grade_id_gets_the_grade_its_answers_earn_and_autograde_exits_0(tmp_path):
    """A submission with an added cell whose grade id is a formula with escape codes, an answer cell renamed to it,
    and cells with odd nbgrader metadata is graded as its answers deserve (the class exits 0); nothing it wrote
    reaches the terminal as an escape code or a CSV as a formula."""
    from test_pipeline import copy_config, dgmlab_cli

    import tiny_homework as tiny
    from dgmlab.authoring.examples import example_submissions
    from dgmlab.grading import course as C
    from dgmlab.grading.report import report as R

    copy_config(tmp_path)
    tiny.build(tmp_path)
    course = C.Course(tmp_path)
    C.release(course)
    ref = example_submissions(course.release_notebook(tiny.HW), course.source_notebook(tiny.HW), [], [])[
        "demo_reference"]
    for sid, nb in {"honest": ref, "formula": _hostile_copy(ref, renamed="mean_square")}.items():
        path = tmp_path / "submitted" / sid / tiny.HW / f"{tiny.HW}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    res = dgmlab_cli(tmp_path, "autograde", tiny.HW, "--no-sandbox", "--workers", "2")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert "summary: 2 graded" in res.stdout and "\x1b" not in res.stdout + res.stderr
    # dgmlab autograde's table: no mark while the written answer waits for a hand grade, and why
    assert re.search(r"^honest +pending \(5/5 auto, 0/1 by hand\)", res.stdout, re.M), res.stdout[-2000:]
    assert f"  honest {tiny.HW}: pending: 1 answer still to grade by hand (why_sympy)" in res.stdout
    grades = {g.student: g for g in R.grades(course, hws=[tiny.HW])}
    assert grades["formula"].auto_score == grades["honest"].auto_score == grades["honest"].auto_max > 0
    record = json.loads((tmp_path / ".dgmlab" / "grading" / tiny.HW / "formula.json").read_text(encoding="utf-8"))
    assert record["status"] == "graded"
    graded = nbformat.read(course.folder("autograded", tiny.HW, "formula") / f"{tiny.HW}.ipynb", as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in graded.cells]
    assert EVIL not in ids and "mean_square_tests" in ids
    res = dgmlab_cli(tmp_path, "report", "--exports", "exports", "--canvas-assignment", f"{tiny.HW}=1")
    assert res.returncode == 0 and "\x1b" not in res.stdout + res.stderr, res.stderr[-2000:]
    for path in (tmp_path / "reports" / "similarity.csv", tmp_path / "exports" / "questions.csv",
                 tmp_path / "exports" / "canvas.csv", tmp_path / "grades.csv"):
        assert not [v for v in _cells_of_csv(path) if _live_formula(v) and v.strip("+-.0123456789")], path
