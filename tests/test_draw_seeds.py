"""The graded draws' seeds: 0 while a student works, the autograder's own (secret, bound to the file) when graded."""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
import torch

from conftest import ROOT
from dgmlab import artifacts, runtime
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
    files = {"generator_weights.pt": b"w", "hw1_wgan.ipynb": b"{}", "checkpoints/wgan_weights.pt": b"c",
             "x_weights.pt": b"x", "samples.pt": b"s"}
    seeds = DS.seeds_for(KEY, "hw1_wgan", files)
    assert sorted(seeds) == ["generator_weights.pt", "x_weights.pt"]
    assert seeds["x_weights.pt"] == {"sha256": hashlib.sha256(b"x").hexdigest(),
                                     "seed": _entry(b"x", name="x_weights.pt")}
    many = DS.seeds_for(KEY, "hw", {f"{i:03d}_weights.pt": b"w" for i in range(200)})
    assert len(many) == DS.MAX_FILES and len(json.dumps(many)) < 16_000  # the environment variable stays small


def test_the_course_key_is_made_once_readable_by_its_owner_only(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(DS.KEY_ENV, raising=False)
    course = _course(tmp_path)
    key = DS.course_key(course)
    path = tmp_path / ".dgmlab" / "draw.key"
    assert f"made {path}" in capsys.readouterr().err  # once, with the advice to back it up
    DS.course_key(course)
    assert capsys.readouterr().err == ""
    assert len(key) == 32 and path.stat().st_mode & 0o077 == 0
    assert DS.course_key(course) == key  # the same for the life of the course
    assert course.secret("pseudonym") != key
    assert sorted(p.name for p in path.parent.iterdir()) == ["draw.key", "pseudonym.key"]  # no temporary left


def test_a_key_made_meanwhile_by_another_command_is_kept_and_not_announced(tmp_path, monkeypatch):
    course = _course(tmp_path)
    theirs = "cd" * 32
    real_link = os.link

    def link_after_another_command(src, dst):  # the other command's key lands between exists() and link()
        with open(dst, "w") as f:
            f.write(theirs)
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", link_after_another_command)
    made = []
    assert course.secret("draw", on_create=made.append) == bytes.fromhex(theirs)  # theirs, not overwritten
    assert made == []  # only the command that made the key tells to back it up
    assert sorted(p.name for p in (tmp_path / ".dgmlab").iterdir()) == ["draw.key"]  # no temporary left


def test_the_key_can_come_from_the_environment_and_bad_keys_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(DS.KEY_ENV, "ab" * 32)
    course = _course(tmp_path)
    assert DS.course_key(course) == bytes([0xAB] * 32)
    assert not (tmp_path / ".dgmlab" / "draw.key").exists()
    for bad in ("not hex", "00"):  # not hex; far too short to be secret
        monkeypatch.setenv(DS.KEY_ENV, bad)
        with pytest.raises(CourseError, match="DGMLAB_DRAW_KEY is not a key"):
            DS.course_key(course)
    monkeypatch.delenv(DS.KEY_ENV)
    (tmp_path / ".dgmlab").mkdir()
    for bad in ("zz", ""):  # damaged; empty (a crash while it was written)
        (tmp_path / ".dgmlab" / "draw.key").write_text(bad)
        with pytest.raises(CourseError, match="restore it from a backup"):
            DS.course_key(course)


def test_a_new_key_grades_every_submission_anew(tmp_path, monkeypatch):
    from dgmlab.grading import cluster as K

    course = _course(tmp_path)
    monkeypatch.setenv(DS.KEY_ENV, "ab" * 32)
    first = K.homework_digest(course, "hw1_wgan")
    monkeypatch.setenv(DS.KEY_ENV, "cd" * 32)
    assert K.homework_digest(course, "hw1_wgan") != first


def _weights_file(folder, name="generator_weights.pt", value=1.0):
    path = folder / name
    torch.save({"w": torch.full((2, 2), value)}, path)
    return path


def _handed(monkeypatch, seeds: dict):
    """As if dgmlab autograde had started this kernel with ``seeds``."""
    monkeypatch.setattr(runtime, "_draw_seeds_at_import", runtime._held(json.dumps(seeds)))


def test_a_student_draws_with_seed_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _weights_file(tmp_path)
    state, seed = artifacts.load_for_draw(path.name, max_bytes=10_000)
    assert runtime._draw_seeds_at_import() == "" and seed == 0 and torch.equal(state["w"], torch.ones(2, 2))


def test_plain_nbgrader_draws_with_seed_0_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert artifacts.load_for_draw(_weights_file(tmp_path).name, max_bytes=10_000)[1] == 0
    assert "drawn with noise seed 0 (this grading did not come from dgmlab autograde)" in capsys.readouterr().out


def test_the_graded_seed_is_the_one_handed_to_the_kernel_for_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _weights_file(tmp_path)
    seeds = DS.seeds_for(KEY, "hw1_wgan", {path.name: path.read_bytes()})
    _handed(monkeypatch, seeds)
    state, seed = artifacts.load_for_draw(path.name, max_bytes=10_000)
    assert seed == seeds[path.name]["seed"] != 0 and torch.equal(state["w"], torch.ones(2, 2))
    _weights_file(tmp_path, value=2.0)  # tuned once the seed was known
    with pytest.raises(AssertionError, match="is not the file handed in"):
        artifacts.load_for_draw(path.name, max_bytes=10_000)


def test_a_file_the_autograder_gave_no_seed_is_refused_not_drawn_with_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    handed = _weights_file(tmp_path)
    _handed(monkeypatch, DS.seeds_for(KEY, "hw1_wgan", {handed.name: handed.read_bytes()}))
    other = _weights_file(tmp_path, name="other_weights.pt")  # written by the notebook while graded
    (tmp_path / "sub").mkdir()
    moved = _weights_file(tmp_path / "sub")  # the graded name, elsewhere (the notebook changed folder)
    for path in (other.name, moved):
        with pytest.raises(AssertionError, match="not a file handed in at the top of the submission folder"):
            artifacts.load_for_draw(path, max_bytes=10_000)
    _handed(monkeypatch, {})  # dgmlab autograde, and nothing handed in: no seed 0 either
    with pytest.raises(AssertionError, match="not a file handed in"):
        artifacts.load_for_draw(handed.name, max_bytes=10_000)


def test_a_copy_of_the_kits_published_weights_is_refused_not_graded(tmp_path, monkeypatch):
    from dgmlab.grading import shared_weights as SW

    monkeypatch.chdir(tmp_path)
    published = _weights_file(tmp_path, name="published.pt")  # the kit's own, public: anyone can download it
    copy = tmp_path / "generator_weights.pt"
    shutil.copy(published, copy)  # the same bytes, handed in
    own = _weights_file(tmp_path, name="other_weights.pt", value=2.0)
    kit = [("examples/demo_reference/hw1_wgan/generator_weights.pt", SW.read_weights(published))]
    seeds = DS.seeds_for(KEY, "hw1_wgan", {p.name: p.read_bytes() for p in (copy, own)}, kit)
    assert "refused" not in seeds[own.name] and "examples/demo_reference" in seeds[copy.name]["refused"]
    _handed(monkeypatch, seeds)
    for read in (lambda p: artifacts.load_for_draw(p, max_bytes=10_000), lambda p: artifacts.load(p, max_bytes=10_000)):
        with pytest.raises(AssertionError, match="holds the same network as the course kit's published .*only "
                                                 "weights you trained are graded"):
            read(copy.name)
        read(own.name)  # the student's own network is graded as before
    assert DS.seeds_for(KEY, "hw1_wgan", {copy.name: copy.read_bytes()}) == {
        copy.name: {k: v for k, v in seeds[copy.name].items() if k != "refused"}}  # without the kit's files: drawn


def test_a_published_network_resaved_under_other_names_is_refused_and_one_trained_on_is_graded(tmp_path):
    from dgmlab.grading import shared_weights as SW

    fixtures = ROOT / "tests" / "fixtures"
    kit = [("tests/fixtures/hw4_genuine_baseline_generator_f16.pt",
            SW.read_weights(fixtures / "hw4_genuine_baseline_generator_f16.pt"))]
    state = torch.load(fixtures / "hw4_genuine_baseline_generator_f16.pt", weights_only=True)
    torch.save({f"layer{i}": t.float() for i, t in enumerate(state.values())}, tmp_path / "resaved.pt")
    files = {"baseline_generator_weights.pt": (tmp_path / "resaved.pt").read_bytes(),  # float32, renamed: the same
             "cgan_generator_weights.pt": (fixtures / "hw4_early_baseline_generator_f16.pt").read_bytes()}  # related
    seeds = DS.seeds_for(KEY, "hw4_gans", files, kit)
    assert "tests/fixtures/hw4_genuine" in seeds["baseline_generator_weights.pt"]["refused"]
    assert "refused" not in seeds["cgan_generator_weights.pt"]  # the dashboard lists it; the grade stands


def test_the_kits_files_and_whether_copies_are_refused_are_part_of_the_grading_key(tmp_path, monkeypatch):
    from dgmlab.grading import cluster as K

    monkeypatch.setenv(DS.KEY_ENV, KEY.hex())
    course = _course(tmp_path)
    before, before_demo = (K.homework_digest(course, "hw1_wgan", refuse) for refuse in (True, False))
    (tmp_path / "examples" / "demo_reference" / "hw1_wgan").mkdir(parents=True)
    _weights_file(tmp_path / "examples" / "demo_reference" / "hw1_wgan")  # the kit publishes another network
    after, after_demo = (K.homework_digest(course, "hw1_wgan", refuse) for refuse in (True, False))
    assert after != before  # a course grades anew against the kit's new files
    assert after_demo == before_demo and after_demo not in (before, after)  # the demo's grades are its own


def test_under_dgmlab_autograde_load_takes_only_a_file_handed_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    handed = _weights_file(tmp_path, name="p1_pixelcnn_weights.pt")
    _handed(monkeypatch, DS.seeds_for(KEY, "hw5_explicit", {handed.name: handed.read_bytes()}))
    assert torch.equal(artifacts.load(handed.name, max_bytes=10_000)["w"], torch.ones(2, 2))
    _weights_file(tmp_path, name="p1_pixelcnn_weights.pt", value=3.0)  # swapped for a stashed file while graded
    with pytest.raises(AssertionError, match="is not the file handed in"):
        artifacts.load(handed.name, max_bytes=10_000)
    with pytest.raises(AssertionError, match="not a file handed in at the top of the submission folder"):
        artifacts.load(_weights_file(tmp_path, name="p2_realnvp_weights.pt").name, max_bytes=10_000)


def test_unreadable_seeds_are_a_setup_problem_not_the_students(monkeypatch):
    monkeypatch.setattr(runtime, "_draw_seeds_at_import", runtime._held("{not json"))
    with pytest.raises(AssertionError, match="a grading setup problem, not yours"):
        artifacts.handed_seeds()


def test_the_seeds_are_read_once_at_import_and_leave_the_environment(tmp_path):
    """Notebook code that edits os.environ after the setup cell cannot choose the graded draw's seed."""
    path = _weights_file(tmp_path)
    seeds = DS.seeds_for(KEY, "hw", {path.name: path.read_bytes()})
    code = ("import json, os\nfrom dgmlab import artifacts\n"
            "assert 'DGMLAB_DRAW_SEEDS' not in os.environ\n"
            "os.environ['DGMLAB_DRAW_SEEDS'] = json.dumps({})\n"
            "print(artifacts.load_for_draw('generator_weights.pt', max_bytes=10_000)[1])\n")
    env = {**os.environ, "DGMLAB_DRAW_SEEDS": json.dumps(seeds), "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) == seeds[path.name]["seed"]


def test_the_kernel_gets_the_seeds_and_never_the_key(tmp_path, monkeypatch):
    from dgmlab.grading import cluster as K
    from dgmlab.grading import sandbox as S

    env = DS.environment({"w_weights.pt": {"sha256": "ab", "seed": 7}})
    argv = S.kernel_argv(tmp_path, tmp_path, tmp_path, S.Limits(), env=env)
    i = argv.index(runtime.DRAW_SEEDS_ENV)
    assert argv[i - 1] == "--setenv" and json.loads(argv[i + 1]) == {"w_weights.pt": {"sha256": "ab", "seed": 7}}
    assert argv.index("--clearenv") < i and DS.KEY_ENV not in argv  # set after the environment is cleared
    # unsandboxed, the kernel inherits the grading process's environment: the key is out of it meanwhile
    monkeypatch.setenv(DS.KEY_ENV, "ab" * 32)
    with K.temporary_environment(env):
        assert DS.KEY_ENV not in os.environ and runtime.DRAW_SEEDS_ENV in os.environ
    assert os.environ[DS.KEY_ENV] == "ab" * 32 and runtime.DRAW_SEEDS_ENV not in os.environ


@pytest.mark.slow
def test_autograding_hands_each_submission_its_own_seeds(tmp_path, monkeypatch):
    """Through dgmlab autograde (Dask worker, sandbox when available): the kernel draws with the seed made from
    the course key and the file handed in; a notebook that rewrites the file while graded is refused; packages
    handed in with the notebook (a dgmlab/, a sympy/) are not what the kernel imports."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_cluster import HW, auto_scores, make_course

    from dgmlab.grading import course as C

    monkeypatch.setenv(DS.KEY_ENV, KEY.hex())
    course = make_course(tmp_path, {"honest": "ref", "tuner": "ref", "shadow": "ref", "downloader": "ref"})
    load = "artifacts.load_for_draw('w_weights.pt', max_bytes=10_000)"
    probe = {"honest": f"from dgmlab import artifacts\nprint('DRAW_SEED', {load}[1])\n",
             "tuner": ("from dgmlab import artifacts\nimport torch\ntorch.save({'w': torch.zeros(2)}, 'w_weights.pt')\n"
                       f"try:\n    {load}\nexcept AssertionError as e:\n    print('REFUSED', e)\n"),
             "shadow": "import dgmlab\nprint('DGMLAB FROM', dgmlab.__file__)\n",
             "downloader": f"from dgmlab import artifacts\ntry:\n    {load}\nexcept AssertionError as e:\n    print('REFUSED', e)\n"}
    for student, code in probe.items():
        folder = tmp_path / "submitted" / student / HW
        _weights_file(folder, name="w_weights.pt", value=len(student))
        nb = nbformat.read(folder / f"{HW}.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(code))
        nbformat.write(nb, folder / f"{HW}.ipynb")
    # the downloader hands in the weights the course kit publishes as its example submission's
    (tmp_path / "examples" / "demo_reference" / HW).mkdir(parents=True)
    shutil.copy(tmp_path / "submitted" / "downloader" / HW / "w_weights.pt",
                tmp_path / "examples" / "demo_reference" / HW / "w_weights.pt")
    for package in ("dgmlab", "sympy"):  # dgmlab may resolve through an editable install's finder; sympy does not
        fake = tmp_path / "submitted" / "shadow" / HW / package
        fake.mkdir()
        (fake / "__init__.py").write_text(f"raise SystemExit('a {package} handed in with the notebook was imported')\n")
    results = C.autograde(course, HW, jobs=1, feedback=False)
    assert [r.status for r in results] == ["graded"] * 4, [r.reason for r in results]
    assert auto_scores(course) == {"honest": 5, "tuner": 5, "shadow": 5, "downloader": 5}  # the reference's answers

    def printed(student):
        nb = nbformat.read(tmp_path / "autograded" / student / HW / f"{HW}.ipynb", as_version=4)
        return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))

    data = (tmp_path / "submitted" / "honest" / HW / "w_weights.pt").read_bytes()
    want = DS.seed(KEY, HW, "w_weights.pt", hashlib.sha256(data).hexdigest())
    assert f"DRAW_SEED {want}\n" in printed("honest") and want != 0
    assert "REFUSED w_weights.pt is not the file handed in" in printed("tuner")
    assert f"DGMLAB FROM {ROOT / 'src' / 'dgmlab' / '__init__.py'}" in printed("shadow")
    assert "handed in with the notebook was imported" not in printed("shadow")
    assert (f"REFUSED w_weights.pt holds the same network as the course kit's published examples/demo_reference/{HW}/"
            "w_weights.pt") in printed("downloader")
