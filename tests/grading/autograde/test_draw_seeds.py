"""The graded draws' seeds: 0 while a student works, the autograder's own (secret, bound to the file) when graded."""
import hashlib
import json
import os
import shutil
import sys

import nbformat
import pytest
import torch

from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.autograde import draw_seeds as DS
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.course import Course, CourseError
from dgmlab.grading.draw_key import KEY_ENV, course_key

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
    monkeypatch.delenv(KEY_ENV, raising=False)
    cli.log_to_stderr()  # as the command does: the grader's log on stderr
    course = _course(tmp_path)
    key = course_key(course)
    path = tmp_path / ".dgmlab" / "draw.key"
    assert f"made {path}" in capsys.readouterr().err  # once, with the advice to back it up
    course_key(course)
    assert capsys.readouterr().err == ""
    assert len(key) == 32 and path.stat().st_mode & 0o077 == 0
    assert course_key(course) == key  # the same for the life of the course
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
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    course = _course(tmp_path)
    assert course_key(course) == bytes([0xAB] * 32)
    assert not (tmp_path / ".dgmlab" / "draw.key").exists()
    for bad in ("not hex", "00"):  # not hex; far too short to be secret
        monkeypatch.setenv(KEY_ENV, bad)
        with pytest.raises(CourseError, match="DGMLAB_DRAW_KEY is not a key"):
            course_key(course)
    monkeypatch.delenv(KEY_ENV)
    (tmp_path / ".dgmlab").mkdir()
    for bad in ("zz", ""):  # damaged; empty (a crash while it was written)
        (tmp_path / ".dgmlab" / "draw.key").write_text(bad)
        with pytest.raises(CourseError, match="restore it from a backup"):
            course_key(course)


def test_a_new_key_grades_every_submission_anew(tmp_path, monkeypatch):
    from dgmlab.grading.autograde import keys as K

    course = _course(tmp_path)
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    first = K.read_homework(course, "hw1_wgan").digest
    monkeypatch.setenv(KEY_ENV, "cd" * 32)
    assert K.read_homework(course, "hw1_wgan").digest != first


def _weights_file(folder, name="generator_weights.pt", value=1.0):
    path = folder / name
    torch.save({"w": torch.full((2, 2), value)}, path)
    return path


def test_a_copy_of_the_kits_published_weights_is_refused_not_graded(tmp_path, monkeypatch):
    from dgmlab.grading.copies import shared_weights as SW

    monkeypatch.chdir(tmp_path)
    published = _weights_file(tmp_path, name="published.pt")  # the kit's own, public: anyone can download it
    copy = tmp_path / "generator_weights.pt"
    shutil.copy(published, copy)  # the same bytes, handed in
    own = _weights_file(tmp_path, name="other_weights.pt", value=2.0)
    kit = [("examples/demo_reference/hw1_wgan/generator_weights.pt", SW.read_weights(published))]
    seeds = DS.seeds_for(KEY, "hw1_wgan", {p.name: p.read_bytes() for p in (copy, own)}, kit)
    assert "refused" not in seeds[own.name] and "examples/demo_reference" in seeds[copy.name]["refused"]
    assert "only weights you trained are graded" in seeds[copy.name]["refused"]
    assert DS.seeds_for(KEY, "hw1_wgan", {copy.name: copy.read_bytes()}) == {
        copy.name: {k: v for k, v in seeds[copy.name].items() if k != "refused"}}  # without the kit's files: drawn


def test_a_published_network_resaved_under_other_names_is_refused_and_one_trained_on_is_graded(tmp_path):
    from dgmlab.grading.copies import shared_weights as SW

    fixtures = ROOT / "tests" / "fixtures"
    kit = [("examples/demo_reference/hw4_gans/baseline_generator_weights.pt",
            SW.read_weights(fixtures / "hw4_genuine_baseline_generator_f16.pt"))]
    state = torch.load(fixtures / "hw4_genuine_baseline_generator_f16.pt", weights_only=True)
    torch.save({f"layer{i}": t.float() for i, t in enumerate(state.values())}, tmp_path / "resaved.pt")
    files = {"baseline_generator_weights.pt": (tmp_path / "resaved.pt").read_bytes(),  # float32, renamed: the same
             "cgan_generator_weights.pt": (fixtures / "hw4_early_baseline_generator_f16.pt").read_bytes()}  # related
    seeds = DS.seeds_for(KEY, "hw4_gans", files, kit)
    assert "demo_reference/hw4_gans/baseline" in seeds["baseline_generator_weights.pt"]["refused"]
    assert "refused" not in seeds["cgan_generator_weights.pt"]  # the dashboard lists it; the grade stands


def test_the_kits_files_and_whether_copies_are_refused_are_part_of_the_grading_key(tmp_path, monkeypatch):
    from dgmlab.grading.autograde import keys as K

    monkeypatch.setenv(KEY_ENV, KEY.hex())
    course = _course(tmp_path)
    before, before_demo = (K.read_homework(course, "hw1_wgan", refuse).digest for refuse in (True, False))
    (tmp_path / "examples" / "demo_reference" / "hw1_wgan").mkdir(parents=True)
    _weights_file(tmp_path / "examples" / "demo_reference" / "hw1_wgan")  # the kit publishes another network
    after, after_demo = (K.read_homework(course, "hw1_wgan", refuse).digest for refuse in (True, False))
    assert after != before  # a course grades anew against the kit's new files
    assert after_demo == before_demo and after_demo not in (before, after)  # the demo's grades are its own


def test_the_key_counts_the_kits_weights_by_their_bytes_with_no_network_loaded(tmp_path, monkeypatch):
    from dgmlab.grading.autograde import keys as K
    from dgmlab.grading.copies import functional_copies as FC
    from dgmlab.grading.copies import shared_weights as SW

    monkeypatch.setenv(KEY_ENV, KEY.hex())
    course = _course(tmp_path)
    (tmp_path / "examples" / "demo_reference" / "hw1_wgan").mkdir(parents=True)
    _weights_file(tmp_path / "examples" / "demo_reference" / "hw1_wgan")
    read = tuple((rel, w.digest) for rel, w in SW.published_weights(course, "hw1_wgan"))
    monkeypatch.setattr(FC, "kit_networks", lambda *a: pytest.fail("the key loaded the kit's networks"))
    assert read and K.read_homework(course, "hw1_wgan").published == read  # the digests the weights read give


def test_only_files_under_a_published_name_are_compared_however_many_others(monkeypatch):
    """ATTACK4: 64 generator-shaped files under names no trained cell reads each cost seconds of the copy check,
    taken before the next submission is sent: the class waited on one student."""
    compared = []
    monkeypatch.setattr(DS, "published_copy", lambda data, published, rel: compared.append(rel))
    kit = [("examples/demo_reference/hw1_wgan/generator_weights.pt", None)]
    files = {f"r{i:02d}_weights.pt": _weights_bytes() for i in range(64)} | {"generator_weights.pt": _weights_bytes()}
    seeds = DS.seeds_for(KEY, "hw1_wgan", files, kit)
    assert compared == ["generator_weights.pt"] and len(seeds) == DS.MAX_FILES


def test_the_kits_weights_are_asked_for_only_when_a_weights_file_is_compared():
    asked = []

    def published():
        asked.append(1)
        return []

    DS.seeds_for(KEY, "hw1_wgan", {"hw1_wgan.ipynb": b"{}", "notes/generator_weights.pt": b"w"}, published)
    assert not asked
    DS.seeds_for(KEY, "hw1_wgan", {"generator_weights.pt": _weights_bytes()}, published)
    assert asked == [1]


def _weights_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    torch.save({"w": torch.full((2, 2), 1.0)}, buf)
    return buf.getvalue()


@pytest.mark.slow
def test_the_judge_gets_each_files_seed_and_the_kernel_neither_seeds_nor_key(tmp_path, monkeypatch):
    """Through dgmlab autograde (a Dask worker in this process, the sandbox when available): the grader's judge
    gets the seed made from the course key and the file handed in; the kernel that runs the student's code gets
    neither the seeds nor the key, and packages handed in with the notebook (a dgmlab/, a sympy/) are not what it
    imports."""
    from distributed import Client, LocalCluster

    sys.path.insert(0, str(ROOT / "tests"))
    from test_cluster import HW, auto_scores, make_course

    from dgmlab.grading import course as C
    from dgmlab.grading.autograde import worker

    monkeypatch.setenv(KEY_ENV, KEY.hex())
    course = make_course(tmp_path, {"shadow": "ref"})
    folder = tmp_path / "submitted" / "shadow" / HW
    data = _weights_file(folder, name="w_weights.pt").read_bytes()
    nb = nbformat.read(folder / f"{HW}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import os, dgmlab\nprint('DRAW ENV', sorted(k for k in os.environ if k.startswith('DGMLAB_DRAW')))\n"
        "print('DGMLAB FROM', dgmlab.__file__)\n"))
    nbformat.write(nb, folder / f"{HW}.ipynb")
    for package in ("dgmlab", "sympy"):  # dgmlab may resolve through an editable install's finder; sympy does not
        (folder / package).mkdir()
        (folder / package / "__init__.py").write_text(
            f"raise SystemExit('a {package} handed in with the notebook was imported')\n")
    handed, real = [], worker.run_autograde

    def spy(*args, **kwargs):
        handed.append(kwargs.get("draw_seeds"))
        return real(*args, **kwargs)
    monkeypatch.setattr(worker, "run_autograde", spy)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        (result,) = C.autograde(course, HW, options=RunOptions(feedback=False), cluster=client)
    assert result.status == "graded", result.reason
    assert auto_scores(course) == {"shadow": 5}  # the reference's answers
    digest = hashlib.sha256(data).hexdigest()
    assert json.loads(handed[0]) == {"w_weights.pt": {"sha256": digest, "seed": DS.seed(KEY, HW, "w_weights.pt", digest)}}
    nb = nbformat.read(tmp_path / "autograded" / "shadow" / HW / f"{HW}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "DRAW ENV []" in printed
    assert f"DGMLAB FROM {ROOT / 'src' / 'dgmlab' / '__init__.py'}" in printed
    assert "handed in with the notebook was imported" not in printed


def test_a_zip_bomb_is_refused_with_its_reason_and_the_other_files_are_drawn(tmp_path):
    """The coordinator never unpickles it (it would expand to gigabytes in a process nothing limits): the graded
    cell says what is wrong with the file, with or without the kit's files to compare with."""
    from dgmlab.grading.copies import shared_weights as SW
    from test_weights_files import make_bomb

    make_bomb(tmp_path / "generator_weights.pt", 2**24)
    own = _weights_file(tmp_path, name="other_weights.pt", value=2.0)
    kit = [("examples/demo_reference/hw1_wgan/generator_weights.pt", SW.read_weights(own))]
    files = {"generator_weights.pt": (tmp_path / "generator_weights.pt").read_bytes(), "w_weights.pt": b"x"}
    for published in (kit, ()):
        seeds = DS.seeds_for(KEY, "hw1_wgan", files, published)
        assert "generator_weights.pt: entry 'archive/data/0' is compressed" in seeds["generator_weights.pt"]["refused"]
        assert "refused" not in seeds["w_weights.pt"]  # not torch's: its cell says so itself
