"""The template homework (`dgmlab new-homework`), added to a course as a sixth homework beside the kit's five, as
docs/own_homework.md does it: copied, built with its outputs recorded, released with its checks.py, proven (the
reference earns every point, the blank release nothing, each mutant what it declares) and graded."""
import importlib.util
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

import homeworks
from conftest import ROOT
from dgmlab.authoring import build as B
from dgmlab.authoring import corpus, lottery, proofs
from dgmlab.authoring.examples import example_submissions
from dgmlab.authoring.proofs import prove
from dgmlab.authoring.template import new_homework
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.report import report as R

HW = "hw6_gauss"
KIT = homeworks.names()  # the kit's homework folders
INSTALL_SOURCE = "dgmlab @ git+https://github.com/someone/dgm-homeworks@v0.1.0"
pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # builds, releases and grades a homework (about 3 minutes)


def dgmlab_cli(root, *args):
    return subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(root), *args],
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The kit's five homeworks (sources and notebooks as committed) and the template as hw6_gauss, built and
    released through the command line."""
    root = tmp_path_factory.mktemp("course")
    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(text + f"\nc.SetInstallSource.install_source = {INSTALL_SOURCE!r}\n",
                                             encoding="utf-8")
    for hw in KIT:
        shutil.copytree(ROOT / "homeworks" / hw, root / "homeworks" / hw, ignore=shutil.ignore_patterns("__pycache__"))
        for kind in ("source", "release"):
            (root / kind / hw).mkdir(parents=True)
            shutil.copy(ROOT / kind / hw / f"{hw}.ipynb", root / kind / hw / f"{hw}.ipynb")
    made = dgmlab_cli(root, "new-homework", HW)
    assert made.returncode == 0, made.stderr
    built = dgmlab_cli(root, "build", "--record-expected", "--record-outputs", HW)
    assert built.returncode == 0, built.stderr[-3000:]
    released = dgmlab_cli(root, "release", HW)
    assert released.returncode == 0, released.stderr[-3000:]
    return C.Course(root), built, released


def test_the_template_is_a_sixth_homework_beside_the_kits_five(course):
    c, _, _ = course
    assert c.homeworks() == sorted([*KIT, HW])
    assert sorted(B.homeworks(c.root)) == sorted([*KIT, HW])


def test_a_kit_homework_id_or_an_existing_one_is_refused(course, tmp_path):
    c, _, _ = course
    for hw in ("hw3_flows", HW, "homework6"):
        with pytest.raises(B.BuildError):
            new_homework(c.root if hw == HW else tmp_path, hw)


def test_record_outputs_runs_beside_the_checks_file(course):
    c, _, _ = course
    text = c.source_notebook(HW).read_text(encoding="utf-8")
    assert "kl_gauss = mu**2/2 + sigma**2/2 - log(sigma) - 1/2" in text  # the checked cell's recorded output
    for name in ("checks.py", "hidden.py", "expected.json", "points.json"):  # and the cells' @points summed
        assert (c.folder("source", HW) / name).read_bytes() == (c.root / "homeworks" / HW / name).read_bytes()


def test_release_ships_the_checks_file_and_no_answer(course):
    c, _, released = course
    assert "WARNING" not in released.stderr
    files = sorted(p.name for p in c.folder("release", HW).iterdir() if p.is_file())
    assert files == ["checks.py", "expected.json", f"{HW}.ipynb", "points.json"]
    text = c.release_notebook(HW).read_text(encoding="utf-8")
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "(sigma ** 2 + mu ** 2 - 1) / 2", "math.log(2 * math.pi)",
                   "test_equals_the_closed_form_exactly", "proves equality"):
        assert secret not in text, f"the release leaks {secret!r}"
    checks = (c.folder("release", HW) / "checks.py").read_text(encoding="utf-8")
    assert "sp.log(sigma)" not in checks and "log_prob" not in checks  # no reference in what students get
    recorded = (c.folder("release", HW) / "expected.json").read_text(encoding="utf-8")
    for secret in ("expected_log_density", "test_values_on_a_fresh_draw", "Normal("):  # hidden.py's
        assert secret not in recorded and secret not in checks, f"the release holds {secret!r}"
    assert "def " not in recorded and "log_density" in recorded  # the values as data, not code


def test_the_template_is_proven(course, tmp_path):
    c, _, _ = course
    spec = importlib.util.spec_from_file_location("own_proofs", c.root / "homeworks" / HW / "proofs.py")
    proofs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(proofs)
    shutil.copytree(c.folder("source", HW), tmp_path / HW)
    reference, outcomes = prove(tmp_path / HW / f"{HW}.ipynb", proofs.MUTANTS)
    assert not {k: msg for k, (failed, msg) in reference.items() if failed}, reference
    wrong = [f"{o.mutant} -> {o.test}: expected {o.expected}, got {o.got} {o.message}" for o in outcomes if not o.ok]
    assert not wrong, "\n".join(wrong)
    blanks = {o.test: o.got for o in outcomes if o.mutant.endswith(": blank release stub")}
    assert blanks == {"q1_log_density_tests": "earn 0 of 4", "q2_gaussian_kl_tests": "earn 0 of 3"}, blanks


def test_the_templates_corpus_grades_each_answer_as_labelled(course, capsys):
    c, _, _ = course
    assert corpus.main([HW, "--course", str(c.root), "--corpus", str(c.root / "homeworks" / HW / "corpus.json")]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 correct answers earn full marks; 5 of 6 mistakes lose visible points" in out, out[-2000:]
    assert "6 of 6 lose points in total" in out


def test_a_corpus_template_starts_from_each_answers_model(course, capsys):
    c, _, _ = course
    assert corpus.main([HW, "--course", str(c.root), "--template"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [(e["cell"], e["kind"]) for e in entries] == [
        ("q1_log_density", "correct"), ("q1_log_density", "mistake"), ("q2_gaussian_kl", "correct"),
        ("q2_gaussian_kl", "mistake")]
    assert "BEGIN SOLUTION" not in entries[0]["source"] and "torch.exp(log_sigma)" in entries[0]["source"]


def test_the_reference_lottery_runs_on_the_courses_own_homework(course, capsys):
    c, _, _ = course
    assert lottery.main([HW, "--course", str(c.root), "--draws", "5"]) == 0
    out = capsys.readouterr().out
    assert f"{HW}: 5 graded draws" in out and "every correct answer earned every point on every draw" in out, out


def test_the_proofs_print_what_each_mutant_earns(course, capsys):
    c, _, _ = course
    assert proofs.main([HW, "--course", str(c.root), "--only", "q2_gaussian_kl", "--print-earns"]) == 0
    out = capsys.readouterr().out
    assert 'q2_gaussian_kl: the reverse KL, KL(N(0,1) || N(mu, sigma^2))\n    earns={"q2_gaussian_kl_tests": 1}\n' in out
    assert "declared" not in out and "q1_log_density" not in out


def test_reference_earns_every_autograded_point_and_blank_none(course):
    c, _, _ = course
    for student, nb in example_submissions(c.release_notebook(HW), c.source_notebook(HW)).items():
        path = c.root / "submitted" / student / HW / f"{HW}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    results = C.autograde(c, HW, options=RunOptions(workers=1))
    assert {r.student: r.status for r in results} == {"demo_reference": "graded", "demo_blank": "graded"}, results
    scores = {g.student: (g.auto_score, g.auto_max) for g in R.grades(c, hws=[HW])}
    assert scores["demo_reference"] == (7, 7) and scores["demo_blank"] == (0, 7)


def test_the_kits_own_tests_pass_with_the_template_as_a_sixth_homework(tmp_path):
    """A copy of the kit with the template added as the docs say (new-homework, build --record-outputs, release,
    examples): the kit's repository tests, its proofs and its nbval run of that homework pass with six homeworks."""
    kit = tmp_path / "kit"
    shutil.copytree(ROOT, kit, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".pytest_cache", ".import_linter_cache", "__pycache__", "gradebook.db", "autograded",
        "submitted", "feedback", "reports"))
    for step in (["new-homework", HW], ["build", "--record-expected", "--record-outputs", HW], ["release", "--local-only", HW],
                 ["examples", HW]):
        done = dgmlab_cli(kit, *step)
        assert done.returncode == 0, f"dgmlab {' '.join(step)}:\n{done.stderr[-3000:]}"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests/kit/test_repo.py", "tests/test_workspace.py",
         f"tests/authoring/test_proofs.py::test_graded_cells_are_proven[{HW}]",
         "tests/kit/test_notebooks_execute.py", "-k", f"not fast_mode or {HW}"],
        cwd=kit, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-5000:]
    for test in ("test_graded_cells_are_proven", "test_source_notebook_passes_nbval_in_fast_mode",
                 "test_release_notebook_passes_nbval_in_fast_mode"):
        assert f"{test}[{HW}] PASSED" in run.stdout, f"{test}[{HW}] did not run and pass"
    assert "test_every_graded_test_cell_is_a_check_cell_whose_visible_asserts_say_what_failed PASSED" in run.stdout
