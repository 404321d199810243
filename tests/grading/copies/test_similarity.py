"""Answers alike (dgmlab.grading.copies.similarity): copies found through disguises, honest work and given code not.

Students are made from the calibration corpus (benchmarks/similarity_corpus/hw1_wgan/: independent solutions)
and its disguises (tests/fixtures/similarity_cases.py, which benchmarks/calibrate_similarity.py calibrates the
thresholds with), in a course holding the kit's real hw1 notebooks.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.copies import dashboard_copies as DC
from dgmlab.grading.copies import similarity as S
from dgmlab.grading.layout import Course
from dgmlab.grading.report import dashboard as D
from similarity_cases import corpus, disguise, kit_answers, notebook, prose_ids

HW = "hw1_wgan"


def make_course(root: Path) -> Course:
    """A course with the kit's hw1 instructor and release notebooks and its example reference submission."""
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    for folder in ("source", "release"):
        (root / folder / HW).mkdir(parents=True)
        shutil.copy(ROOT / folder / HW / f"{HW}.ipynb", root / folder / HW / f"{HW}.ipynb")
    (root / "examples" / "demo_reference" / HW).mkdir(parents=True)
    for name in (f"{HW}.ipynb", "generator_weights.pt"):
        shutil.copy(ROOT / "examples" / "demo_reference" / HW / name, root / "examples" / "demo_reference" / HW / name)
    return Course(root)


def hand_in(course: Course, student: str, answers: dict) -> Path:
    return notebook(HW, answers, course.root / "submitted" / student / HW / f"{HW}.ipynb")


def copy_of(answers: dict, rewrite_by: str, seed=0) -> dict:
    """``answers`` renamed, recommented, reordered, reworded, with q3_train_step rewritten by another author."""
    return disguise(answers, ("q3_train_step", corpus(HW)[rewrite_by]["q3_train_step"]), seed, prose_ids(HW))


@pytest.fixture(scope="module")
def authors():
    return corpus(HW)


@pytest.fixture
def course(tmp_path):
    return make_course(tmp_path)


def pairs(result, kind="student"):
    return {frozenset((m.student, m.other)) for m in result.matches if m.kind == kind}


def test_a_disguised_copy_of_a_classmate_matches_per_cell_and_notebook(course, authors):
    hand_in(course, "bruno", authors["ben"])
    hand_in(course, "carla", copy_of(authors["ben"], rewrite_by="chloe"))
    r = S.compare_homework(course, HW)
    where = {m.where: m.similarity for m in r.matches if m.kind == "student"}
    assert where["notebook"] >= S.NOTEBOOK_THRESHOLD
    assert {"q1_flow_log_prob", "q3_gradient_penalty", "q3_interpolate"} <= set(where)  # renamed, reordered
    assert "q3_train_step" not in where  # the one function rewritten by someone else
    assert pairs(r) == {frozenset({"bruno", "carla"})}


def test_functions_in_another_order_match_fully(course, authors):
    one, two = authors["ben"]["q1_flow_log_prob"], authors["ben"]["q3_interpolate"]
    bp = S._boilerplate(course.release_notebook(HW))
    a, b = (S._fingerprint(text, False, bp) for text in (f"{one}\n\n\n{two}", f"{two}\n\n\n{one}"))
    assert S._compare([(a, b)], S.MIN_CELL_TOKENS) == 1.0


def test_independent_solutions_are_not_alike(course, authors):
    for name, author in [("alice", "ana"), ("eddie", "eli"), ("dora", "dev")]:
        hand_in(course, name, authors[author])
    assert S.compare_homework(course, HW).matches == []


def test_the_release_notebook_counts_for_nothing(course):
    for name in ("blank1", "blank2"):
        hand_in(course, name, {})
    r = S.compare_homework(course, HW)
    assert r.matches == [] and r.skipped == []
    bp = S._boilerplate(course.release_notebook(HW))
    answers = S._answer_ids(course.release_notebook(HW))
    blank = S._answers("b", S._cells(course.root / "submitted" / "blank1" / HW / f"{HW}.ipynb", [], "b", answers), bp)
    assert sum(fp.token_coverage for fp in blank.cells.values()) == 0


def test_code_moved_to_a_cell_of_ones_own_still_matches_the_notebook(course, authors):
    hand_in(course, "bruno", authors["ben"])
    moved = dict(authors["ben"])
    moved_code = moved.pop("q3_train_step")
    path = hand_in(course, "carla", moved)
    nb = json.loads(path.read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": moved_code, "outputs": [],
                        "execution_count": None})
    path.write_text(json.dumps(nb))
    r = S.compare_homework(course, HW)
    nb_row = next(m for m in r.matches if m.where == "notebook")
    assert nb_row.similarity > 0.9 and "q3_train_step" not in {m.where for m in r.matches}


def test_a_disguised_copy_of_the_kit_is_reported_once_per_place_against_the_kit(course, authors):
    hand_in(course, "dmitri", copy_of(kit_answers(HW), rewrite_by="dev"))
    r = S.compare_homework(course, HW)
    kit = [m for m in r.matches if m.kind == "kit"]
    assert {m.student for m in kit} == {"dmitri"}
    assert {m.other for m in kit} <= {f"source/{HW}/{HW}.ipynb", f"examples/demo_reference/{HW}/{HW}.ipynb"}
    places = [m.where for m in kit]
    assert len(places) == len(set(places)) and "notebook" in places and "q3_train_step" not in places


def test_giant_notebooks_and_cells_are_skipped_and_said(course, authors, monkeypatch):
    hand_in(course, "bruno", authors["ben"])
    big = dict(authors["ben"])
    big["q3_interpolate"] += "\n" + "x = 1\n" * 2000
    hand_in(course, "carla", big)
    monkeypatch.setattr(S, "MAX_CELL_CHARS", 10_000)
    r = S.compare_homework(course, HW)
    assert any(s.startswith("carla: a cell of") and "not compared" in s for s in r.skipped)
    assert "q3_interpolate" not in {m.where for m in r.matches} and r.matches  # the other cells still compared
    monkeypatch.setattr(S, "MAX_ANSWER_CHARS", 3000)
    r = S.compare_homework(course, HW)
    assert any(s.startswith("bruno:") and "characters of answers" in s for s in r.skipped) and r.matches == []
    monkeypatch.setattr(S, "MAX_NOTEBOOK_BYTES", 1000)
    r = S.compare_homework(course, HW)
    assert any(s.startswith("bruno:") and "over the" in s for s in r.skipped) and r.matches == []


@pytest.mark.slow
def test_an_unreadable_notebook_is_skipped_and_the_rest_compared(course, authors):
    hand_in(course, "bruno", authors["ben"])
    hand_in(course, "carla", copy_of(authors["ben"], rewrite_by="chloe"))
    (course.root / "submitted" / "zed" / HW).mkdir(parents=True)
    (course.root / "submitted" / "zed" / HW / f"{HW}.ipynb").write_bytes(b'\xff{"cells": [')
    r = S.compare_homework(course, HW)
    assert r.skipped == [f"zed: {HW}.ipynb not read (UnicodeDecodeError: not a notebook)"]
    assert pairs(r) == {frozenset({"bruno", "carla"})}


def test_no_release_notebook_means_no_comparison_and_says_so(course, authors):
    hand_in(course, "bruno", authors["ben"])
    course.release_notebook(HW).unlink()
    r = S.compare_homework(course, HW)
    assert r.matches == [] and "dgmlab release hw1_wgan" in r.skipped[0]


def test_student_text_is_escaped_on_the_dashboard(course, authors):
    attack = dict(authors["ben"])
    attack["q3_interpolate"] = attack["q3_interpolate"].replace(
        "    rows = []", '    rows = []  # </pre><script>alert(1)</script><img src=x onerror=alert(2)>', 1)
    assert "<script>" in attack["q3_interpolate"]
    hand_in(course, "bruno", attack)
    hand_in(course, "carla", attack)
    page = DC.similarity_html(HW, [S.compare_homework(course, HW)])
    assert "<mark>" in page and "&lt;/pre&gt;&lt;script&gt;" in page
    assert "<script" not in page and "<img" not in page


def test_the_csv_has_one_row_per_match_in_the_documented_columns(course, authors, tmp_path):
    hand_in(course, "bruno", authors["ben"])
    hand_in(course, "carla", copy_of(authors["ben"], rewrite_by="chloe"))
    r = S.compare_homework(course, HW)
    rows = list(csv.reader(S.write_csv([r], tmp_path / "s.csv").open(encoding="utf-8")))
    assert rows[0] == ["homework", "student", "other", "where", "similarity", "kind"]
    assert len(rows) == 1 + len(r.matches) and all(row[0] == HW and row[5] == "student" for row in rows[1:])


def _gradebook(root: Path, students):
    """The assignment and its submissions in nbgrader's gradebook (nothing graded: dgmlab report reads it)."""
    from nbgrader.api import Gradebook

    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])  # nbgrader runs alembic by name
    try:
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            gb.add_assignment(HW)
            gb.add_notebook(HW, HW)
            for sid in students:
                gb.add_student(sid, first_name=sid.title(), last_name="Test", email=f"{sid}@uni.edu", lms_user_id=sid)
                gb.add_submission(HW, sid)
    finally:
        os.environ["PATH"] = saved


@pytest.mark.slow
def test_a_small_class_flags_exactly_the_copies(tmp_path, authors, capsys):
    """alice is honest, carla copied her classmate bruno's code, dmitri the kit's reference, both disguised, and
    erin (her own code) handed in the kit's published generator with its hidden units permuted. The answers report
    lists exactly the two code copies (with bruno, carla's source), the weights report exactly erin."""
    import torch

    from network_copies import permuted_copy

    course = make_course(tmp_path)
    hand_in(course, "alice", authors["ana"])
    hand_in(course, "bruno", authors["ben"])
    hand_in(course, "carla", copy_of(authors["ben"], rewrite_by="chloe", seed=3))
    hand_in(course, "dmitri", copy_of(kit_answers(HW), rewrite_by="dev", seed=4))
    hand_in(course, "erin", authors["eli"])
    published = torch.load(ROOT / "examples" / "demo_reference" / HW / "generator_weights.pt", weights_only=True)
    torch.save(permuted_copy(published, seed=5), course.root / "submitted" / "erin" / HW / "generator_weights.pt")
    _gradebook(tmp_path, ["alice", "bruno", "carla", "dmitri", "erin"])
    assert cli.main(["--course", str(tmp_path), "report", HW, "--html"]) == 0
    out = capsys.readouterr().out

    rows = list(csv.DictReader((tmp_path / "reports" / "similarity.csv").open(encoding="utf-8")))
    assert {frozenset((r["student"], r["other"])) for r in rows if r["kind"] == "student"} == {frozenset({"bruno", "carla"})}
    assert {r["student"] for r in rows if r["kind"] == "kit"} == {"dmitri"}
    assert {(r["kind"], r["where"]) for r in rows if r["where"] == "notebook"} == {("student", "notebook"), ("kit", "notebook")}
    assert all(float(r["similarity"]) >= S.CELL_THRESHOLD for r in rows if r["where"] != "notebook")

    flagged = re.findall(rf"^{HW}: (\w+): ", out, flags=re.M)
    assert sorted(flagged) == ["bruno", "carla", "dmitri"]
    page = (tmp_path / "reports" / "dashboard.html").read_text(encoding="utf-8")
    shown = {(m.group(1), m.group(2)) for m in re.finditer(
        r'data-stat="similar"><td data-stat="student">([^<]+)</td><td data-stat="other">([^<]+)</td>', page)}
    assert {s for pair in shown for s in pair if not s.startswith(("source/", "examples/"))} == {"bruno", "carla", "dmitri"}
    assert page.count('data-stat="similar_lines"') == min(len(rows), DC.SIMILAR_TEXTS) and "<mark>" in page
    assert re.search(rf'data-hw="{HW}" data-stat="similar_students">3<', page)
    # the permuted copy of the published weights: on the weights report (refused when graded), not the answers'
    assert re.findall(r'data-stat="published">.*?data-stat="student">([^<]+)<', page) == ["erin"]
    assert re.search(r'data-stat="published">.*?<td class="bad" data-stat="refused">yes</td>', page)
    assert f"generator_weights.pt: erin's is the kit's published examples/demo_reference/{HW}/generator_weights.pt" in out

    # the pseudonymized page lists the pairs but shows no student text
    anon = D.write(course, tmp_path / "anon.html", [HW], anonymize=True)[0].read_text(encoding="utf-8")
    assert "carla" not in anon and 'data-stat="similar_lines"' not in anon and anon.count('data-stat="similar"') == len(rows)


def test_the_same_notebooks_give_the_same_similarity_in_every_process(tmp_path, authors):
    # copydetect hashes k-grams with Python's hash, salted afresh in each process: winnowing then kept other k-grams
    # and a similarity moved by a hundredth or two between two reports of the same notebooks
    a = authors[sorted(authors)[0]]["q3_train_step"]
    b = disguise({"q3_train_step": a}, None, 1, set())["q3_train_step"]
    (tmp_path / "a.py").write_text(a, encoding="utf-8")
    (tmp_path / "b.py").write_text(b, encoding="utf-8")
    script = ("import sys, numpy as np; from dgmlab.grading.copies import similarity as S; "
              "t = [open(sys.argv[i], encoding='utf-8').read() for i in (1, 2)]; e = (np.array([]), np.array([])); "
              "fa, fb = (S._fingerprint(x, False, e) for x in t); "
              "print(sorted(int(h) for h in fa.hashes)[:5], S._compare([(fa, fb)], 1))")
    seen = set()
    for seed in ("1", "2", "3"):
        run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "a.py"), str(tmp_path / "b.py")],
                             capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
        seen.add(run.stdout)
    assert len(seen) == 1, seen
