"""The graded draws' seeds: 0 while a student works, the autograder's own (secret, bound to the file) when graded."""
import hashlib
import json
import os
import subprocess
import sys

import nbformat
import pytest
import torch

from conftest import ROOT
from dgmlab import artifacts, integrity, runtime
from dgmlab.grading import draw_seeds as DS
from dgmlab.grading.course import Course, CourseError

KEY = bytes(range(32))


def _course(root) -> Course:
    (root / "nbgrader_config.py").write_text("")
    return Course(root)


def _entry(data: bytes, hw="hw1_wgan", name="generator_weights.pt", key=KEY):
    digest = hashlib.sha256(data).hexdigest()
    return DS.seed(key, hw, name, digest)


def test_the_seed_is_fixed_by_key_homework_name_and_bytes():
    a = _entry(b"weights")
    assert a == _entry(b"weights") and 0 <= a < 2**31
    others = {_entry(b"weights!"), _entry(b"weights", hw="hw2_wgangp"), _entry(b"weights", name="other.pt"),
              _entry(b"weights", key=bytes(32)), a}
    assert len(others) == 5  # any change gives another seed


def test_seeds_cover_the_weights_files_at_the_top_of_a_submission():
    files = {"generator_weights.pt": b"w", "hw1_wgan.ipynb": b"{}", "checkpoints/wgan.pt": b"c", "x.pt": b"x"}
    seeds = DS.seeds_for(KEY, "hw1_wgan", files)
    assert sorted(seeds) == ["generator_weights.pt", "x.pt"]
    assert seeds["x.pt"] == {"sha256": hashlib.sha256(b"x").hexdigest(), "seed": _entry(b"x", name="x.pt")}


def test_the_course_key_is_made_once_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(DS.KEY_ENV, raising=False)
    course = _course(tmp_path)
    key = DS.course_key(course)
    path = tmp_path / ".dgmlab" / "draw.key"
    assert len(key) == 32 and path.stat().st_mode & 0o077 == 0
    assert DS.course_key(course) == key  # the same for the life of the course
    assert course.secret("pseudonym") != key


def test_the_key_can_come_from_the_environment_and_bad_keys_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(DS.KEY_ENV, "ab" * 32)
    course = _course(tmp_path)
    assert DS.course_key(course) == bytes([0xAB] * 32)
    assert not (tmp_path / ".dgmlab" / "draw.key").exists()
    monkeypatch.setenv(DS.KEY_ENV, "not hex")
    with pytest.raises(CourseError, match="DGMLAB_DRAW_KEY is not hex"):
        DS.course_key(course)
    monkeypatch.delenv(DS.KEY_ENV)
    (tmp_path / ".dgmlab").mkdir()
    (tmp_path / ".dgmlab" / "draw.key").write_text("zz")
    with pytest.raises(CourseError, match="restore it from a backup"):
        DS.course_key(course)


def test_a_student_draws_with_seed_0(tmp_path):
    path = tmp_path / "generator_weights.pt"
    path.write_bytes(b"w")
    assert runtime._draw_seeds_at_import() == "" and artifacts.draw_seed(path) == 0


def test_the_graded_seed_is_the_one_handed_to_the_kernel_and_needs_the_same_file(tmp_path, monkeypatch):
    path = tmp_path / "generator_weights.pt"
    path.write_bytes(b"w")
    seeds = DS.seeds_for(KEY, "hw1_wgan", {"generator_weights.pt": b"w"})
    monkeypatch.setattr(runtime, "_draw_seeds_at_import", runtime._held(json.dumps(seeds)))
    assert artifacts.draw_seed(path) == seeds["generator_weights.pt"]["seed"] != 0
    assert artifacts.draw_seed(tmp_path / "other.pt") == 0  # a file the autograder gave no seed
    path.write_bytes(b"tuned after the seed was known")
    with pytest.raises(AssertionError, match="is not the file handed in"):
        artifacts.draw_seed(path)


def test_the_seeds_are_read_once_at_import(tmp_path):
    """Notebook code that edits os.environ after the setup cell cannot choose the graded draw's seed."""
    (tmp_path / "w.pt").write_bytes(b"w")
    seeds = DS.seeds_for(KEY, "hw", {"w.pt": b"w"})
    code = ("import json, os\nfrom dgmlab import artifacts\n"
            "os.environ['DGMLAB_DRAW_SEEDS'] = json.dumps({'w.pt': {'sha256': 'x', 'seed': 0}})\n"
            "print(artifacts.draw_seed('w.pt'))\n")
    env = {**os.environ, "DGMLAB_DRAW_SEEDS": json.dumps(seeds), "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) == seeds["w.pt"]["seed"]


def test_replacing_the_seeds_the_kernel_holds_is_tampering(monkeypatch):
    integrity.snapshot()
    monkeypatch.setattr(runtime, "_draw_seeds_at_import", lambda: "{}")
    assert "dgmlab.runtime._draw_seeds_at_import" in integrity.tampered()
    monkeypatch.undo()
    assert integrity.tampered() == []


def test_the_sandboxed_kernel_gets_this_gradings_seeds(tmp_path):
    from dgmlab.grading import sandbox as S

    env = DS.environment({"w.pt": {"sha256": "ab", "seed": 7}})
    argv = S.kernel_argv(tmp_path, tmp_path, tmp_path, S.Limits(), env=env)
    i = argv.index(runtime.DRAW_SEEDS_ENV)
    assert argv[i - 1] == "--setenv" and json.loads(argv[i + 1]) == {"w.pt": {"sha256": "ab", "seed": 7}}
    assert argv.index("--clearenv") < i  # set after the environment is cleared


@pytest.mark.slow
def test_autograding_hands_each_submission_its_own_seeds(tmp_path, monkeypatch):
    """Through dgmlab autograde (Dask worker, sandbox when available): the kernel draws with the seed made from
    the course key and the file handed in; a notebook that rewrites the file while graded is refused."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_cluster import HW, make_course

    from dgmlab.grading import course as C

    monkeypatch.setenv(DS.KEY_ENV, KEY.hex())
    course = make_course(tmp_path, {"honest": "ref", "tuner": "ref"})
    probe = {"honest": "from dgmlab import artifacts\nprint('DRAW_SEED', artifacts.draw_seed('w.pt'))\n",
             "tuner": ("from dgmlab import artifacts\nopen('w.pt', 'wb').write(b'retuned')\n"
                       "try:\n    artifacts.draw_seed('w.pt')\nexcept AssertionError as e:\n    print('REFUSED', e)\n")}
    for student, code in probe.items():
        folder = tmp_path / "submitted" / student / HW
        (folder / "w.pt").write_bytes(student.encode())
        nb = nbformat.read(folder / f"{HW}.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(code))
        nbformat.write(nb, folder / f"{HW}.ipynb")
    results = C.autograde(course, HW, jobs=1, feedback=False)
    assert [r.status for r in results] == ["graded", "graded"], [r.reason for r in results]

    def printed(student):
        nb = nbformat.read(tmp_path / "autograded" / student / HW / f"{HW}.ipynb", as_version=4)
        return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))

    want = DS.seed(KEY, HW, "w.pt", hashlib.sha256(b"honest").hexdigest())
    assert f"DRAW_SEED {want}\n" in printed("honest") and want != 0
    assert "REFUSED w.pt is not the file handed in" in printed("tuner")
