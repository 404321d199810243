"""Dashboard and LMS exports, checked against a gradebook built with nbgrader's own API (no autograding: fast)."""
import csv
import os
import re
import shutil
import statistics
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.course import Course, CourseError, SubmissionResult
from dgmlab.grading.records import save_records
from dgmlab.grading.report import analysis as A
from dgmlab.grading.report import dashboard as D
from dgmlab.grading.report import exports as X

pytestmark = pytest.mark.slow  # builds a gradebook with nbgrader: make test, not make test-fast

HW = "hw1_tiny"  # an hw1 homework: the dashboard shows the 100 samples its graded cell drew (graded_draw_100.pt)
SECRET = "HIDDEN_BODY_MARKER_91"  # text only the hidden region of a test cell holds
# cell -> (kind, points possible)
CELLS = {"q_written": ("manual", 4.0), "f_tests": ("auto", 5.0), "g_tests": ("auto", 3.0),
         "q3_samples_quality_tests": ("auto", 2.0)}
ROSTER = {"ada": dict(first_name="Ada", last_name="Lovelace", email="ada@uni.edu", lms_user_id="101"),
          "bob": dict(first_name="Bob", last_name="Babbage", email="bob@uni.edu", lms_user_id="102"),
          "cy": {}}  # cy: added by nbgrader while grading, no roster data
# student -> cell -> (auto_score, manual_score, needs_manual, stdout of the test cell)
GRADES = {
    "ada": {"q_written": (None, 3.0, False, None), "f_tests": (5.0, None, False, "passed test_shape: 1 of 1 points\n"
                                                                                 "passed test_value: 4 of 4 points (hidden test)"),
            "g_tests": (3.0, None, False, "passed test_g"), "q3_samples_quality_tests": (2.0, None, False, "passed test_q")},
    "bob": {"q_written": (None, None, True, None),
            "f_tests": (0.0, None, False, "passed test_shape: 1 of 1 points\n"
                                          "FAILED test_value: 0 of 4 points (hidden test). value off by a sign"),
            "g_tests": (3.0, None, False, "passed test_g"),
            "q3_samples_quality_tests": (0.0, None, False, "FAILED test_q: classifier accuracy 0.12 < 0.80")},
    "cy": {"q_written": (0.0, None, False, None),
           "f_tests": (0.0, None, False, "FAILED test_shape: 0 of 1 points. wrong shape (3,)\n"
                                         "FAILED test_value: 0 of 4 points (hidden test). value off by a sign"),
           "g_tests": (0.0, None, False, "FAILED test_g: NotImplementedError"),
           "q3_samples_quality_tests": (0.0, None, False, "FAILED test_q: no generator_weights.pt in the homework folder")},
}
F_SOURCE = f"""check("f_tests", f)
### BEGIN HIDDEN TESTS
def test_value():
    assert "{SECRET}"
### END HIDDEN TESTS"""


def _nb(student):
    cells = [nbformat.v4.new_markdown_cell("answer", metadata={"nbgrader": {
        "grade": True, "solution": True, "grade_id": "q_written", "points": 4}})]
    for cell, (kind, pts) in CELLS.items():
        if kind == "manual":
            continue
        auto, _, _, stdout = GRADES[student][cell]
        src = F_SOURCE if cell == "f_tests" else f"check({cell!r}, answer)"
        c = nbformat.v4.new_code_cell(src, metadata={"nbgrader": {"grade": True, "solution": False,
                                                                    "grade_id": cell, "points": pts}})
        c.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stdout + "\n")]
        if "FAILED" in stdout:
            c.outputs.append(nbformat.v4.new_output("error", ename="TestsFailed", evalue="checks failed",
                                                    traceback=[f"{SECRET} in a traceback frame"]))
        cells.append(c)
    return nbformat.v4.new_notebook(cells=cells)


def _fill_gradebook(root: Path):
    """Assignment, graded cells, roster and grades through nbgrader's Gradebook API."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.add_assignment(HW)
        gb.add_notebook(HW, HW)
        for cell, (kind, pts) in CELLS.items():
            gb.add_grade_cell(cell, HW, HW, max_score=pts, cell_type="markdown" if kind == "manual" else "code")
        gb.add_solution_cell("q_written", HW, HW)
        for sid, info in ROSTER.items():
            gb.add_student(sid, **info)
            gb.add_submission(HW, sid)
            for cell, (auto, manual, needs, _) in GRADES[sid].items():
                g = gb.find_grade(cell, HW, HW, sid)
                g.auto_score, g.manual_score, g.needs_manual_grade = auto, manual, needs
            gb.db.commit()
        c = gb.find_comment("q_written", HW, HW, "ada")
        c.manual_comment = "misses the Lipschitz constant"
        gb.db.commit()


def build_course(root: Path) -> Course:
    """A graded course: gradebook.db, autograded notebooks, a samples file, grading records, a broken submission."""
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    # nbgrader creates the database by running alembic by name: this Python's bin/ goes first on PATH
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        _fill_gradebook(root)
    finally:
        os.environ["PATH"] = saved
    (root / "source" / HW).mkdir(parents=True)
    nbformat.write(_nb("ada"), root / "source" / HW / f"{HW}.ipynb")
    for sid in ROSTER:
        folder = root / "autograded" / sid / HW
        folder.mkdir(parents=True)
        nbformat.write(_nb(sid), folder / f"{HW}.ipynb")
        (root / "submitted" / sid / HW).mkdir(parents=True)
    # the draw the grader kept for ada; bob handed in a file of the same name, which lands in autograded/ with
    # his other files and must not be shown as what the grader drew (red team F7)
    kept = Course(root).kept_folder(HW, "ada")
    kept.mkdir(parents=True)
    torch.save(torch.rand(100, 1, 28, 28), kept / "graded_draw_100.pt")
    torch.save(torch.rand(100, 1, 28, 28), root / "autograded" / "bob" / HW / "graded_draw_100.pt")
    # handed-in weights: bob's are ada's trained on (her matrix plus as much again of its own: cosine 0.71)
    g = torch.Generator().manual_seed(0)
    ada = torch.randn(64, 32, generator=g)
    for sid, w in {"ada": ada, "bob": ada + torch.randn(64, 32, generator=g),
                   "cy": torch.randn(64, 32, generator=g)}.items():
        torch.save({"net.0.weight": w, "net.0.bias": torch.zeros(64)},
                   root / "submitted" / sid / HW / "generator_weights.pt")
    # cy's network is the one the course kit publishes as its example submission's (the kit is public)
    (root / "examples" / "demo_reference" / HW).mkdir(parents=True)
    shutil.copy(root / "submitted" / "cy" / HW / "generator_weights.pt",
                root / "examples" / "demo_reference" / HW / "generator_weights.pt")
    # and a file bob copied from ada with her id in its name: the anonymized page must not show it
    for sid in ("ada", "bob"):
        (root / "submitted" / sid / HW / "ada_samples.pt").write_bytes(b"the same bytes")
    (root / "submitted" / "dee" / HW).mkdir(parents=True)
    (root / "submitted" / "dee" / HW / f"{HW}.ipynb").write_text('{"cells": [', encoding="utf-8")
    course = Course(root)
    save_records(course, [SubmissionResult(HW, "ada", "graded", seconds=12.5,
                                             timings={"kernel_start": 2.0, "tests": 1.0, "test:f_tests": 0.5}),
                            SubmissionResult(HW, "bob", "graded", seconds=14.0,
                                             timings={"kernel_start": 4.0, "tests": 3.0, "test:f_tests": 2.5}),
                            SubmissionResult(HW, "eve", "timed out", "grading took longer than 900 s", 900.0)])
    return course


def gradebook_truth(root):
    """Scores straight from nbgrader's API, independent of dgmlab's reading of it."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        a = gb.find_assignment(HW)
        return {"max": a.max_score,
                "total": {s.student.id: s.score for s in a.submissions},
                "cell": {(s.student.id, g.name): g.score for s in a.submissions for n in s.notebooks
                         for g in n.grades}}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return build_course(tmp_path_factory.mktemp("report_course"))


@pytest.fixture(scope="module")
def data(course):
    return A.collect(course)


def test_collect_reads_points_reasons_outcomes_and_roster_problems(course, data):
    truth = gradebook_truth(course.root)
    assert {(c.student, c.cell): c.points for c in data.cells if c.points is not None} == \
        {k: v for k, v in truth["cell"].items() if k != ("bob", "q_written")}
    bob = {c.cell: c for c in data.cells_of(HW, student="bob")}
    assert bob["q_written"].points is None and bob["q_written"].reason == "awaiting hand grading"
    assert bob["f_tests"].reason == "test_value: value off by a sign" and bob["f_tests"].hidden_gap
    cy = {c.cell: c for c in data.cells_of(HW, student="cy")}
    assert not cy["f_tests"].hidden_gap  # its visible check failed too
    assert "left as released" in cy["q_written"].reason
    ada = {c.cell: c for c in data.cells_of(HW, student="ada")}
    assert ada["q_written"].reason == "misses the Lipschitz constant"
    subs = {s.student: s for s in data.submissions}
    assert (subs["ada"].status, subs["ada"].seconds) == ("graded", 12.5)
    assert subs["eve"].status == "timed out" and subs["eve"].score is None
    assert subs["dee"].status == "invalid" and "not a valid notebook" in subs["dee"].reason
    assert subs["bob"].pending_manual == 1
    problems = "\n".join(data.problems)
    assert "cy: no name" in problems and "dee: submitted but not in nbgrader's student table" in problems
    assert "ada" not in problems


def test_cell_stats_pass_rate_failures_and_gap(data):
    rows = {r["cell"]: r for r in A.cell_stats(data, HW)}
    assert rows["f_tests"]["pass_rate"] == pytest.approx(1 / 3) and rows["f_tests"]["mean"] == pytest.approx(5 / 3)
    assert rows["f_tests"]["gap"] == ["bob"]
    assert rows["f_tests"]["failures"][0] == ("test_value: value off by a sign", ["bob", "cy"])  # largest first
    assert rows["q_written"]["pending"] == ["bob"] and rows["q_written"]["graded"] == 2


def test_canvas_csv_matches_gradebook_and_canvas_columns(course, data, tmp_path):
    truth = gradebook_truth(course.root)
    rows = list(csv.reader(X.canvas_csv(data, tmp_path / "canvas.csv", {HW: 4242}).open(encoding="utf-8")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{HW} (4242)"]
    assert rows[1][0] == "Points Possible" and float(rows[1][5]) == truth["max"] == 14
    body = {r[2]: r for r in rows[2:]}
    assert set(body) == set(ROSTER)  # dee and eve have no roster entry: reported, not invented
    assert body["ada"][:5] == ["Lovelace, Ada", "101", "ada", "ada@uni.edu", ""]
    assert body["cy"][:5] == ["cy", "", "cy", "", ""]
    for sid, total in truth["total"].items():  # bob's written answer is still to grade: no mark, not his 3 points
        assert body[sid][5] == ("" if sid == "bob" else f"{total:.2f}")


def test_long_csv_has_a_row_per_graded_cell(course, data, tmp_path):
    truth = gradebook_truth(course.root)
    rows = list(csv.DictReader(X.long_csv(data, tmp_path / "q.csv").open(encoding="utf-8")))
    finals = {r["student"]: (r["points"], r["reason"]) for r in rows if r["cell"] == X.FINAL_ROW}
    assert finals == {"ada": ("13.00", ""), "bob": ("", "pending: 1 answer still to grade by hand (q_written)"),
                      "cy": ("0.00", "")}
    rows = [r for r in rows if r["cell"] != X.FINAL_ROW]
    assert list(rows[0]) == X.LONG_COLUMNS and len(rows) == len(truth["cell"])
    for r in rows:
        want = truth["cell"][(r["student"], r["cell"])]
        assert (float(r["points"]) if r["points"] else 0.0) == pytest.approx(want)
        assert r["graded_by"] == CELLS[r["cell"]][0] and float(r["max_points"]) == CELLS[r["cell"]][1]
    bob_q = next(r for r in rows if r["student"] == "bob" and r["cell"] == "q3_samples_quality_tests")
    assert bob_q["reason"] == "test_q: classifier accuracy 0.12 < 0.80"


def test_no_gradescope_files_are_written_gradescope_imports_no_scores(course, capsys):
    rc = cli.main(["--course", str(course.root), "report", HW, "--exports", "--no-similarity",
                   "--canvas-assignment", f"{HW}=4242"])
    assert rc == 0, capsys.readouterr().err
    assert not (course.root / "reports" / "gradescope").exists()  # grade there with `dgmlab gradescope`'s zip


def _stat(page, key):
    return float(re.search(rf'data-hw="{HW}" data-stat="{key}">([^<]+)<', page).group(1))


def test_dashboard_numbers_privacy_and_offline(course, tmp_path):
    truth = gradebook_truth(course.root)
    path, _ = D.write(course, tmp_path / "dash.html")
    page = path.read_text(encoding="utf-8")
    totals = [t for sid, t in truth["total"].items() if sid != "bob"]  # bob's mark is pending: not a mark
    assert _stat(page, "mean") == pytest.approx(statistics.mean(totals), abs=0.01)
    assert _stat(page, "median") == pytest.approx(statistics.median(totals), abs=0.01)
    assert _stat(page, "n") == 2 and _stat(page, "pending") == 1 and _stat(page, "manual_left") == 1
    f_row = re.search(r'data-cell="f_tests">.*?data-stat="pass_rate">([\d.]+)%', page).group(1)
    assert float(f_row) == pytest.approx(100 / 3, abs=0.1)
    assert 'id="instructor-only">INSTRUCTOR ONLY' in page
    # no hidden-test source, not even from a traceback; the failing hidden check's name and message are shown
    assert SECRET not in page and "BEGIN HIDDEN" not in page and "def test_" not in page
    assert "test_value: value off by a sign" in page
    # self-contained: no script, nothing fetched, charts inline
    assert "<script" not in page.lower() and not re.search(r'(src|href)="(https?:)?//', page)
    assert page.count('src="data:image/svg+xml;base64,') == 3
    assert re.search(r'data-student="ada"><img class="samples" alt="The first 100 samples in graded_draw_100.pt[^"]*" '
                     r'src="data:image/png;base64,', page)
    assert re.search(r'data-student="bob"><figcaption>.*?the grader kept no graded_draw_100.pt', page)
    assert "Lovelace, Ada" in page and "timed out" in page
    # per-phase grading times from the records: median and p95 (nearest rank) of ada's and bob's
    kernel = re.search(r'data-phase="kernel_start">.*?data-stat="median">([\d.]+)<.*?data-stat="p95">([\d.]+)<', page)
    assert kernel and (float(kernel.group(1)), float(kernel.group(2))) == (3.0, 4.0)
    assert 'data-phase="test:f_tests"' in page
    # weights shared between students: ada's and bob's, not cy's
    shared = re.findall(r'data-file="generator_weights.pt">.*?data-stat="students">([^<]+)<.*?'
                        r'data-stat="similarity">([^<]+)<', page)
    assert [(who, round(float(sim), 1)) for who, sim in shared] == [("ada and bob", 0.7)]
    # and cy's is the kit's published example: named with its source, nobody else's is
    published = re.findall(r'data-stat="published">.*?data-stat="student">([^<]+)<.*?<code>([^<]+)</code>', page)
    assert published == [("cy", f"examples/demo_reference/{HW}/generator_weights.pt")]
    assert 'data-stat="published_count">1 handed in weights the course kit itself publishes' in page
    assert re.search(r'data-stat="published">.*?<td class="bad" data-stat="refused">yes</td>', page)


def test_anonymized_dashboard_has_stable_pseudonyms_and_no_names(course, tmp_path):
    p1, d1 = D.write(course, tmp_path / "a1.html", anonymize=True)
    p2, _ = D.write(course, tmp_path / "a2.html", anonymize=True)
    page = p1.read_text(encoding="utf-8")
    ids = sorted({s.student for s in d1.submissions})
    assert all(re.fullmatch(r"student-[0-9a-f]{4,}", s) for s in ids) and len(ids) == 5
    # embedded sample grids are base64 PNGs: three-letter names occur in them by chance
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,...", page)
    text = re.sub(r"student-[0-9a-f]{4,}", "student-x", text)  # a pseudonym's hex digits can spell "ada" or "dee"
    for secret in ["ada", "bob", "Lovelace", "Babbage", "uni.edu", '"cy"', " cy", "dee", "eve"]:
        assert secret not in text, f"anonymized page shows {secret!r}"
    assert sorted(re.findall(r"student-[0-9a-f]{4,}", page)) == sorted(
        re.findall(r"student-[0-9a-f]{4,}", p2.read_text(encoding="utf-8")))
    assert _stat(page, "mean") == _stat(D.render(course, A.collect(course)), "mean")
    names = A.Pseudonyms.for_course(course).mapping(course.students())
    shared = re.findall(r'data-file="([^"]+)">.*?data-stat="students">([^<]+)<', page)
    assert shared == [(f"{names['ada']}_samples.pt", f"{names['ada']} and {names['bob']}"),
                      ("generator_weights.pt", f"{names['ada']} and {names['bob']}")]
    assert re.findall(r'data-stat="published">.*?data-stat="student">([^<]+)<', page) == [names["cy"]]
    key = course.root / A.KEY_FILE
    assert key.stat().st_mode & 0o077 == 0


def test_pseudonyms_lengthen_on_collision():
    p = A.Pseudonyms(b"k")
    ids = [f"s{i}" for i in range(1500)]  # 1500 ids in 65536 four-hex-digit values: ~17 colliding pairs expected
    names = p.mapping(ids)
    assert len(set(names.values())) == len(ids) and max(len(v) for v in names.values()) > len("student-0000")
    assert p.mapping(["s1"])["s1"] == "student-" + p.digest("s1")[:4]


def test_report_cli_writes_everything(course, capsys):
    rc = cli.main(["--course", str(course.root), "report", HW, "--html", "--exports", "--canvas-assignment",
                   f"{HW}=4242"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    for name in ["dashboard.html", "canvas.csv", "questions.csv"]:
        assert (course.root / "reports" / name).exists(), name
    assert "roster: cy: no name" in out.err and "dashboard (INSTRUCTOR ONLY)" in out.out
    assert re.search(r"^ada +13\.00 / 14\.00 \(10/10 auto, 3/4 by hand\)", out.out, re.M)  # the terminal table
    assert re.search(r"^bob +pending \(", out.out, re.M)
    assert "  bob hw1_tiny: pending: 1 answer still to grade by hand (q_written)" in out.out
    assert f"{HW} generator_weights.pt: ada and bob: weight similarity 0.7" in out.out
    assert f"{HW} ada_samples.pt: ada and bob: identical files" in out.out
    assert (f"{HW} generator_weights.pt: cy's is the kit's published examples/demo_reference/{HW}/generator_weights.pt: "
            "dgmlab autograde does not grade it (not a network the student trained)") in out.out


def test_report_cli_errors_clearly(course, tmp_path, capsys):
    assert cli.main(["--course", str(course.root), "report", "hw9_nope", "--html"]) == 2
    assert "unknown homework hw9_nope" in capsys.readouterr().err
    assert cli.main(["--course", str(course.root), "report", "--anonymize"]) == 2
    assert "add --html" in capsys.readouterr().err
    assert cli.main(["--course", str(course.root), "report", HW, "--no-similarity", "--exports",
                     str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "Canvas import CSV not written: the Canvas CSV needs each homework's Canvas assignment id" in err
    assert f"--canvas-assignment {HW}=<id>" in err and not (tmp_path / "x" / "canvas.csv").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", empty)
    with pytest.raises(CourseError, match="no gradebook"):
        A.collect(Course(empty))


# ----------------------------------------------------------------- nbgrader's CSV export, in this process
def test_csv_export_has_nbgraders_columns_and_the_gradebooks_scores(course, tmp_path):
    from dgmlab.grading.report import report as R

    path = R.export_csv(course, tmp_path / "grades.csv")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                             "raw_score", "late_submission_penalty", "score", "max_score", "pending"]
    truth = gradebook_truth(course.root)
    assert {r["student_id"]: r["score"] for r in rows} == {s: "" if s == "bob" else f"{t:.2f}"
                                                           for s, t in truth["total"].items()}
    assert {r["student_id"]: r["pending"] for r in rows}["bob"] == "pending: 1 answer still to grade by hand (q_written)"
    assert {r["assignment"] for r in rows} == {HW} and {float(r["max_score"]) for r in rows} == {truth["max"]}


def test_csv_export_runs_the_plugin_the_course_config_names_from_the_course_folder(course, tmp_path):
    from dgmlab.grading.report import report as R

    (tmp_path / "names_export_plugin.py").write_text(
        "from nbgrader.plugins import ExportPlugin\n\n"
        "class Names(ExportPlugin):\n"
        "    def export(self, gradebook):\n"
        "        with open(self.to, 'w') as f:\n"
        "            f.write(','.join(sorted(s.id for s in gradebook.students)))\n", encoding="utf-8")
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.ExportApp.plugin_class = "names_export_plugin.Names"\n', encoding="utf-8")
    shutil.copy(course.root / "gradebook.db", tmp_path / "gradebook.db")
    path = R.export_csv(Course(tmp_path), "names.txt")
    assert path == tmp_path.resolve() / "names.txt" and path.read_text(encoding="utf-8") == "ada,bob,cy"
    assert str(tmp_path.resolve()) not in sys.path  # the course folder was on it for the export only


@pytest.mark.parametrize("plugin_class, why", [("no_such_module.Exporter", "cannot be imported"),
                                               ("collections.OrderedDict", "is not an nbgrader.plugins.ExportPlugin")])
def test_csv_export_refuses_a_plugin_class_that_is_not_an_export_plugin(tmp_path, plugin_class, why):
    from dgmlab.grading.report import report as R

    (tmp_path / "nbgrader_config.py").write_text(f'c = get_config()\nc.ExportApp.plugin_class = "{plugin_class}"\n')
    with pytest.raises(CourseError, match=f"c.ExportApp.plugin_class = '{plugin_class}' {why}"):
        R.export_csv(Course(tmp_path))


def test_a_failed_csv_export_says_what_nbgrader_said(course, tmp_path):
    from dgmlab.grading.report import report as R

    with pytest.raises(CourseError, match=r"(?s)nbgrader export failed:.*No such file or directory"):
        R.export_csv(course, tmp_path / "no_such_folder" / "grades.csv")


def test_report_lists_a_notebook_collect_found_misnamed(course, capsys):
    from dgmlab.grading.lms import hand_in_names as HN

    HN.record(course, HW, {"ada": "", "bob": "named hw1 (2).ipynb, the homework asks for Babbage_Bob_Assgn2.ipynb"})
    assert cli.main(["--course", str(course.root), "report", HW, "--no-similarity"]) == 0
    out = capsys.readouterr().out
    assert f"  {HW} bob: named hw1 (2).ipynb, the homework asks for Babbage_Bob_Assgn2.ipynb" in out
    assert f"{HW} ada:" not in out
