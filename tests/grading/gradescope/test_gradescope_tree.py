"""`dgmlab gradescope`'s zip run as Gradescope runs it: unpacked into a fresh tree shaped like Gradescope's
(`<root>/autograder/source`, `submission`, `results`), `setup.sh` (offline: DGMLAB_GRADESCOPE_PYTHON names this
test's Python, which holds the grader), then `run_autograder`, whose results.json must give each graded cell what
`dgmlab autograde` gives the same notebook."""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, shared_data_env
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.draw_key import KEY_ENV, course_key
from dgmlab.grading.gradescope.autograder_zip import write_autograder
from dgmlab.grading.isolation import kernel_sandbox as sandbox

pytestmark = [pytest.mark.slow]
HW = "hw3_flows"  # no weights files: the fastest homework to grade
NOTEBOOKS = {"demo_reference": ROOT / "examples" / "demo_reference" / HW / f"{HW}.ipynb",
             "demo_blank": ROOT / "examples" / "demo_blank" / HW / f"{HW}.ipynb",
             "reads_instructor_files": ROOT / "tests" / "hostile" / "reads_instructor_files.ipynb"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"grading in the Gradescope-shaped tree needs the sandbox here: {why}")
    root = tmp_path_factory.mktemp("gradescope_course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write('\nc.DgmlabDeadlines.policy = "ten_percent_2days"\n')
    shutil.copytree(ROOT / "source" / HW, root / "source" / HW, ignore=shutil.ignore_patterns("figures", "*.pt"))
    kit = root / "examples" / "demo_kit" / HW / "kit_weights.pt"  # a file the kit publishes (c.PublishedWeights)
    kit.parent.mkdir(parents=True)
    kit.write_bytes(b"published weights")
    course = C.Course(root)
    C.release(course, [HW], local_only=True)
    return course


@pytest.fixture(scope="module")
def bundle(course):
    return write_autograder(course, HW, course.root / "gradescope" / f"{HW}.zip",
                            RunOptions(timeout=600, sandbox=None, cell_timeout=60))


def gradescope_tree(base, zip_path, notebook, metadata=None):
    """A fresh `autograder/` tree under ``base`` as Gradescope builds it: the zip unpacked (modes kept) into
    source/, run_autograder copied beside it, the submission and its metadata."""
    root = base / "autograder"
    for name in ("source", "submission", "results"):
        (root / name).mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = root / "source" / info.filename
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(info))
            target.chmod((info.external_attr >> 16) & 0o777)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    shutil.copy(notebook, root / "submission" / notebook.name)
    if metadata:
        (root / "submission_metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return root


def _env(root):
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    env.update(shared_data_env())
    env.update({"DGMLAB_GRADESCOPE_ROOT": str(root), "DGMLAB_GRADESCOPE_PYTHON": sys.executable})
    return env


def setup_and_run(base, zip_path, notebook, metadata=None):
    root = gradescope_tree(base, zip_path, notebook, metadata)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=_env(root), capture_output=True,
                           text=True, timeout=300)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]
    assert "grading wall: the kernel and the judge ran in the bubblewrap sandbox" in setup.stdout
    run = subprocess.run([str(root / "run_autograder")], cwd=root, env=_env(root), capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return root, json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference(bundle, tmp_path_factory):
    late = {"created_at": "2025-03-02T04:59:00+00:00",
            "assignment": {"due_date": "2025-03-01T23:59:00+00:00", "late_due_date": None}}
    return setup_and_run(tmp_path_factory.mktemp("gs_reference"), bundle, NOTEBOOKS["demo_reference"], late)


def test_the_zip_holds_the_scripts_and_the_homeworks_grading_files_and_no_submission(course, bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        key = zf.read("grader/draw.key").decode().strip()
    assert {"setup.sh", "run_autograder", "grader/settings.json", "grader/gradebook.db",
            "grader/nbgrader_config.py", "grader/draw.key"} <= names
    assert [n for n in names if n.endswith(".ipynb")] == [f"grader/source/{HW}/{HW}.ipynb"]  # the source's only
    assert not [n for n in names if "submitted" in n or "autograded" in n or "feedback" in n]
    assert f"grader/examples/demo_kit/{HW}/kit_weights.pt" in names  # a handed-in copy is refused, as by autograde
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert modes["grader/draw.key"] == modes["grader/gradebook.db"] == 0o600 and modes["grader/"] == 0o700
    assert key == course_key(course).hex()
    assert stat.S_IMODE(os.stat(bundle).st_mode) == 0o600  # the zip itself: the owner's alone (it holds the key)


def test_setup_leaves_the_grading_files_and_the_key_to_root_alone(reference):
    root, _ = reference
    for path in (root / "source", root / "source" / "grader"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    assert stat.S_IMODE((root / "source" / "grader" / "draw.key").stat().st_mode) == 0o600


def test_the_reference_earns_every_autograded_point_and_the_late_policy_applies(reference):
    _, res = reference
    auto, hand = res["tests"], res["extra_data"]["graded_by_hand"]
    assert auto and hand and not {t["name"] for t in auto} & set(hand)  # written answers: the outline's questions
    assert all(t["score"] == t["max_score"] > 0 for t in auto)
    assert all("passed test_" in t["output"] for t in auto)
    earned = sum(t["score"] for t in auto)
    assert res["extra_data"]["autograded_points"] == earned
    assert res["score"] == pytest.approx(0.9 * earned)  # 5 hours late, ten_percent_2days: x 0.9
    assert "Late: handed in 1 day late" in res["output"]
    assert "bubblewrap sandbox" in res["output"]
    phases = res["extra_data"]["timings_s"]  # where the seconds went: before the worker, its seeds, its phases
    assert {"read_and_wall", "seeds_and_copy_check", "kernel_start", "cells", "tests"} <= set(phases), phases
    assert sum(phases[k] for k in ("read_and_wall", "seeds_and_copy_check", "kernel_start")) <= res["execution_time"]


@pytest.mark.e2e
def test_each_cell_earns_what_dgmlab_autograde_gives_the_same_notebook(course, bundle, reference, tmp_path):
    for student, notebook in NOTEBOOKS.items():
        folder = course.folder("submitted", HW, student)
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / f"{HW}.ipynb")
    options = RunOptions(workers=1, sandbox=True, cell_timeout=60, timeout=600, feedback=False)
    results = C.autograde(course, HW, options=options)
    assert {r.student: r.status for r in results} == {s: "graded" for s in NOTEBOOKS}
    from nbgrader.api import Gradebook

    expected = {}
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        for student in NOTEBOOKS:
            nb = gb.find_submission_notebook(HW, HW, student)
            expected[student] = {g.name: g.auto_score or 0.0 for g in nb.grades}
    assert expected["demo_reference"] != expected["demo_blank"] != expected["reads_instructor_files"]
    for student, notebook in NOTEBOOKS.items():
        if student == "demo_reference":
            res = reference[1]
        else:
            res = setup_and_run(tmp_path / student, bundle, notebook)[1]
        got = {t["name"]: t["score"] for t in res["tests"]}
        hand = set(res["extra_data"].get("graded_by_hand", []))
        assert got == pytest.approx({k: v for k, v in expected[student].items() if k not in hand}), student


def test_no_autograder_is_written_where_nbgrader_would_copy_a_courses_hidden_py(tmp_path):
    """A course's own homework's hidden tests (source/<hw>/hidden.py) would reach the kernel's folder under a config
    whose CourseDirectory.ignore misses them: the zip is refused, as dgmlab release and autograde refuse."""
    import tiny_homework as tiny

    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (tmp_path / "nbgrader_config.py").write_text(text + '\nc.CourseDirectory.ignore = ["__pycache__"]\n',
                                                 encoding="utf-8")
    tiny.build(tmp_path)
    out = tmp_path / "gradescope" / f"{tiny.HW}.zip"
    with pytest.raises(C.CourseError, match=r"hidden\.py holds hw9_tiny's hidden tests.*no autograder was written"):
        write_autograder(C.Course(tmp_path), tiny.HW, out, RunOptions(timeout=600, sandbox=None, cell_timeout=60))
    assert not out.exists()
