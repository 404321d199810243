"""One submission can never stop or swamp the class (issue 36, item 4): output capped in bytes, tmpfs mounts with
a size, the working folder capped before anything is read, files written while graded neither graded nor sent
back as feedback, and a result that cannot be recorded failing that submission alone."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import dgmlab
from conftest import ROOT
from dgmlab.grading.autograde import coordinator, worker
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.isolation import bubblewrap, kernels
from dgmlab.grading.isolation import kernel_sandbox as S
from dgmlab.grading.preprocessors.output_bytes import LimitOutputBytes

KIB = 1024


# ------------------------------------------------------------------ output capped in bytes
def _cell(*outputs, grade_id=None):
    meta = {"nbgrader": {"grade_id": grade_id, "grade": True, "solution": False, "points": 1}} if grade_id else {}
    cell = new_code_cell("pass", metadata=meta)
    cell.outputs = list(outputs)
    return cell


def _capped(*cells, **traits):
    nb = new_notebook(cells=list(cells))
    nb, _ = LimitOutputBytes(**traits).preprocess(nb, {})
    return nb


def _bytes(outputs) -> int:
    return len(json.dumps(outputs, ensure_ascii=False).encode())


def test_one_long_printed_line_is_cut_to_the_cells_stream_cap():
    line = "x" * (20 * KIB ** 2)  # one line: nbgrader's LimitOutput (200 lines) keeps it whole
    nb = _capped(_cell(new_output("stream", name="stdout", text=line),
                       new_output("stream", name="stdout", text="more\n")))
    (out,) = nb.cells[0].outputs  # the later stream is dropped
    assert 64 * KIB <= len(out.text.encode()) < 65 * KIB
    assert "output cut here: this cell printed more than 65,536 bytes" in out.text
    assert "LimitOutputBytes.max_stream_bytes" in out.text


def test_a_displayed_result_over_the_cell_cap_becomes_a_note_and_later_results_go():
    big = new_output("display_data", data={"text/html": "<p>" + "y" * (300 * KIB)})
    small = new_output("execute_result", data={"text/plain": "1"}, execution_count=1)
    nb = _capped(_cell(new_output("display_data", data={"text/plain": "kept"}), big, small))
    outs = nb.cells[0].outputs
    assert [o.output_type for o in outs] == ["display_data", "stream"]
    assert outs[0].data == {"text/plain": "kept"}
    assert "this cell displayed more than 262,144 bytes" in outs[1].text and "display_data of" in outs[1].text


def test_an_error_is_shortened_never_removed():
    error = new_output("error", ename="ValueError", evalue="v" * KIB ** 2, traceback=["t" * 4 * KIB] * 500)
    flood = new_output("display_data", data={"text/plain": "z" * (300 * KIB)})
    nb = _capped(_cell(flood, error, grade_id="q1_tests"))
    outs = nb.cells[0].outputs
    assert [o.output_type for o in outs] == ["stream", "error"]  # the flood is a note; the error stays
    assert outs[1].ename == "ValueError" and outs[1].evalue.startswith("vvv")
    assert _bytes(outs[1]) < 17 * KIB


def test_added_cells_share_the_notebook_cap_but_homework_cells_keep_their_own():
    printed = "p" * (60 * KIB)
    added = [_cell(new_output("stream", name="stdout", text=printed)) for _ in range(3)]
    verdict = new_output("display_data", data={"text/plain": "all tests passed"})
    test_cell = _cell(new_output("stream", name="stdout", text=printed), verdict, grade_id="q1_tests")
    nb = _capped(*added, test_cell, max_notebook_bytes=100 * KIB)
    kept = [len(c.outputs[0].text.encode()) for c in nb.cells[:3]]
    assert kept[0] == 60 * KIB and kept[1] < 41 * KIB and kept[2] < 300  # the third keeps only its note
    assert "max_notebook_bytes" in nb.cells[1].outputs[0].text
    assert nb.cells[3].outputs[0].text == printed and nb.cells[3].outputs[1] == verdict


def test_output_under_the_caps_is_unchanged():
    cells = [_cell(new_output("stream", name="stdout", text="hello\n"),
                   new_output("execute_result", data={"text/plain": "2.0"}, execution_count=3), grade_id="t"),
             _cell(new_output("error", ename="E", evalue="bad", traceback=["line 1", "line 2"]))]
    before = json.loads(json.dumps(cells))
    nb = _capped(*cells)
    assert json.loads(json.dumps(nb.cells)) == before


# what a hostile cell printed in a TA's trial: clear screen, red, a window title, a hyperlink, a bell
HOSTILE = "\x1b[2J\x1b[31mRED\x1b[0m\x1b]0;pwned-title\x07 \x1b]8;;http://evil/\x07link\x1b]8;;\x07\a done\n"
SHOWN = "\x1b[31mRED\x1b[0m link done\n"  # the colour kept (a notebook draws it), nothing else


def test_printed_text_keeps_its_colours_and_loses_every_other_escape():
    (out,) = _capped(_cell(new_output("stream", name="stdout", text=HOSTILE))).cells[0].outputs
    assert out.text == SHOWN


def test_an_errors_message_and_traceback_and_a_results_text_lose_them_too():
    error = new_output("error", ename="ValueError", evalue=HOSTILE, traceback=["\x1b[0;31mValueError\x1b[0m", HOSTILE])
    result = new_output("execute_result", data={"text/plain": HOSTILE, "text/html": "<b>x</b>"}, execution_count=1)
    error_out, result_out = _capped(_cell(error, result)).cells[0].outputs
    assert (error_out.evalue, error_out.traceback) == (SHOWN, ["\x1b[0;31mValueError\x1b[0m", SHOWN])
    assert result_out.data == {"text/plain": SHOWN, "text/html": "<b>x</b>"}


def test_the_course_caps_output_bytes_right_after_limit_output():
    from traitlets.config.loader import PyFileConfigLoader

    steps = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config().Autograde.autograde_preprocessors
    at = steps.index("nbgrader.preprocessors.LimitOutput")
    assert steps[at + 1] == "dgmlab.grading.preprocessors.output_bytes.LimitOutputBytes"


# ------------------------------------------------------------------ the sandbox's tmpfs mounts
def test_every_tmpfs_of_the_sandbox_has_a_size(tmp_path):
    runtime = tmp_path / "runtime"
    argv = S.kernel_argv(tmp_path, runtime, S.Limits(tmpfs=5 * KIB ** 2))
    mounts = [i for i, a in enumerate(argv) if a == "--tmpfs"]
    view = S.student_view()  # the read-only folders standing in for dgmlab's own and the grader's packages
    stand_ins = {view[i + 1] for i, a in enumerate(view) if a == "--tmpfs"}
    assert str(Path(dgmlab.__file__).resolve().parent) in stand_ins
    assert {argv[i + 1] for i in mounts} == {"/var/tmp", "/dev/shm", "/tmp", str(tmp_path.resolve()),
                                             str(runtime.resolve()), *stand_ins}
    assert str(runtime.resolve()) not in [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    for i in mounts:
        assert argv[i - 2] == "--size" and int(argv[i - 1]) <= 5 * KIB ** 2, argv[i - 2:i + 2]
    assert argv[argv.index("/dev/shm") + 1:argv.index("/dev/shm") + 3] == ["--remount-ro", "/dev"]
    assert argv[argv.index("--chdir") - 4:argv.index("--chdir")] == bubblewrap.SEAL  # the root and /tmp: read-only last


FILL = '''
import json, os
def fill(path, n):
    try:
        with open(path, "wb") as f:
            f.write(b"x" * n)
        return "written"
    except OSError as exc:
        return exc.strerror
print(json.dumps({"shm": fill("/dev/shm/a", 3 << 20), "var_tmp": fill("/var/tmp/a", 3 << 20),
                  "dev": fill("/dev/a", 10), "hidden": fill(HIDDEN + "/a", 10),
                  "root": fill("/a", 10), "tmp": fill("/tmp/a", 10), "small": fill("b", 10),
                  "work": fill("a", 3 << 20), "handed_in": fill("handed.pt", 10),
                  "handed_in_reads": open("handed.pt").read(), "runtime": fill(RUNTIME + "/a", 3 << 20)}))
'''


def test_a_sandboxed_kernel_cannot_fill_ram_or_disk_through_tmpfs(tmp_path):
    """/dev/shm, /var/tmp and the working folder hold at most Limits.tmpfs, the runtime folder (the kernel's ipc
    sockets) RUNTIME_TMPFS; /dev, /tmp, the root and the course around the working folder take no file at all; the files handed in are there
    read-only, and what the kernel writes never reaches the disk."""
    usable, why = S.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    course, work, runtime = tmp_path / "course", tmp_path / "course" / "autograded" / "s" / "hw", tmp_path / "rt"
    work.mkdir(parents=True)
    (work / "handed.pt").write_text("as handed in")
    runtime.mkdir()
    argv = S.with_workdir_files(S.kernel_argv(work, runtime, S.Limits(tmpfs=2 * KIB ** 2)))
    python = argv.index(sys.executable)  # run a script in the kernel's place, under the same walls
    argv = argv[:python + 1] + ["-c", FILL.replace("HIDDEN", repr(str(course.resolve())))
                                .replace("RUNTIME", repr(str(runtime.resolve())))]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout) == {"shm": "No space left on device", "var_tmp": "No space left on device",
                                      "dev": "Read-only file system", "hidden": "Read-only file system",
                                      "root": "Read-only file system", "tmp": "Read-only file system",
                                      "work": "No space left on device", "small": "written",
                                      "handed_in": "Read-only file system", "handed_in_reads": "as handed in",
                                      "runtime": "No space left on device"}
    assert sorted(p.name for p in work.iterdir()) == ["handed.pt"]  # nothing the kernel wrote is on the disk
    assert list(runtime.iterdir()) == []


# ------------------------------------------------------------------ the working folder, before anything is read
def _refuse_reading(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a file was opened")

    monkeypatch.setattr("builtins.open", refuse)
    monkeypatch.setattr(os, "open", refuse)


def test_a_working_folder_over_the_file_cap_is_refused_without_reading_it(tmp_path, monkeypatch):
    for i in range(30):
        (tmp_path / f"f{i}.txt").touch()
    _refuse_reading(monkeypatch)
    names, _, over = worker.scan_working_folder(tmp_path, max_files=20, max_bytes=KIB ** 2)
    assert names is None and over == "its working folder held more than 20 files"


def test_a_working_folder_over_the_byte_cap_is_refused_without_reading_it(tmp_path, monkeypatch):
    big = tmp_path / "big.bin"
    big.touch()
    os.truncate(big, 2 * KIB ** 2)  # sparse: its size, not its bytes
    _refuse_reading(monkeypatch)
    names, _, over = worker.scan_working_folder(tmp_path, max_files=20, max_bytes=KIB ** 2)
    assert names is None and over == "its working folder held more than 1 MiB"


def test_the_working_folder_returns_files_but_no_notebook_nor_link(tmp_path):
    (tmp_path / "sub").mkdir()
    for rel in ("notes.txt", "sub/plot.png", "extra.ipynb", "sub/deep.ipynb"):
        (tmp_path / rel).write_text("x")
    (tmp_path / "secret").symlink_to("/etc/hostname")
    names, notebooks, over = worker.scan_working_folder(tmp_path)
    assert names == ["notes.txt", "sub/plot.png"] and notebooks == ["extra.ipynb", "sub/deep.ipynb"] and over == ""


# ------------------------------------------------------------------ recording one result (no kernel: a stand-in task)
def _stand_in_grading(bundle, job):
    """A grading that runs nothing. Student ``stray`` reports a notebook the homework does not have, as the worker
    did for a notebook its code wrote: writing its gradebook rows raises."""
    hw = bundle["hw"]
    _stand_in_grading.calls.append(job["student"])
    return {"student": job["student"], "status": "graded", "reason": "", "seconds": 0.0, "timings": {},
            "scores": {"timestamp": None, "scores": [], "comments": []},
            "notebooks_run": [hw, "extra"] if job["student"] == "stray" else [hw],
            "autograded": {f"{hw}.ipynb": b"{}"}, "feedback": {}, "finished_at": time.time()}


_stand_in_grading.calls = []


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Three submissions through the coordinator, twice, with the stand-in grading on an in-process worker."""
    from distributed import Client, LocalCluster
    from test_cluster import HW, make_course

    course = make_course(tmp_path_factory.mktemp("recorded"), {"ok_a": "ref", "stray": "ref", "ok_b": "ref"})
    runs = []
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        for _ in range(2):
            _stand_in_grading.calls.clear()
            results = coordinator.run(course, HW, ["ok_a", "stray", "ok_b"], RunOptions(sandbox=False, feedback=False),
                            cluster=client, task=_stand_in_grading)
            runs.append(({r.student: r for r in results}, list(_stand_in_grading.calls)))
    return course, HW, runs


@pytest.mark.slow
def test_a_result_that_cannot_be_recorded_fails_that_submission_alone(recorded):
    from dgmlab.grading.autograde.keys import grading_key, read_homework
    from dgmlab.grading.records import load_records

    course, hw, [(results, _), _] = recorded
    assert {s: r.status for s, r in results.items()} == {"ok_a": "graded", "stray": "failed", "ok_b": "graded"}
    assert "its result could not be recorded (MissingEntry" in results["stray"].reason
    assert f"dgmlab autograde {hw} --student stray --force" in results["stray"].reason
    records = load_records(course, hw)
    assert {s: records[s]["status"] for s in results} == {"ok_a": "graded", "stray": "failed", "ok_b": "graded"}
    assert records["stray"]["key"] == grading_key(read_homework(course, hw), course.submission(hw, "stray"))
    assert not list((course.root / "autograded" / "stray").glob(".*incoming*"))


@pytest.mark.slow
def test_a_rerun_does_not_grade_again_a_result_that_could_not_be_recorded(recorded):
    _, _, [_, (results, graded)] = recorded
    assert graded == []
    assert {s: (r.status, r.skipped) for s, r in results.items()} == {
        "ok_a": ("graded", True), "stray": ("failed", True), "ok_b": ("graded", True)}


# ------------------------------------------------------------------ through dgmlab autograde (Dask, sandbox)
STRAY = '''import json, pathlib
pathlib.Path("extra.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
pathlib.Path("notes.txt").write_text("written while graded")
print("x" * 5_000_000)  # one line
def mean_square(x):
    return (x ** 2).mean()'''

SWAMP = '''import pathlib
folder = pathlib.Path("many")
folder.mkdir()
for i in range(3000):
    (folder / f"{i}.txt").write_text("x")
def mean_square(x):
    return (x ** 2).mean()'''


# links its notebook and a file to a file of the grader's machine: nbgrader, which writes the graded notebook
# from outside the sandbox, must not write (or chmod) through them (found by a red-team run: the course's
# gradebook.db was overwritten this way)
LINKER = '''import os
for name in ("{hw}.ipynb", "notes.txt"):
    if os.path.lexists(name):
        os.remove(name)
    os.symlink({canary!r}, name)
def mean_square(x):
    return (x ** 2).mean()'''


@pytest.fixture(scope="module")
def swamped(tmp_path_factory):
    """An honest submission, one whose code writes a notebook and a file and prints a 5 MB line, one whose code
    writes 3000 files, and one that links its notebook to a file outside, each with the reference answers: graded
    by two workers without the sandbox (in it, what the kernel writes stays in its working folder's tmpfs and never
    comes back: test_a_sandboxed_kernel_cannot_fill_ram_or_disk_through_tmpfs), so the caps on what comes back are
    what is tested here."""
    from test_cluster import HW, make_course, with_answer

    from dgmlab.grading import course as C

    course = make_course(tmp_path_factory.mktemp("swamped"), {"honest": "ref"})
    canary = tmp_path_factory.mktemp("outside") / "canary.txt"
    canary.write_text("intact")
    canary.chmod(0o600)
    with_answer(course, "stray", STRAY)
    with_answer(course, "swamp", SWAMP)
    with_answer(course, "linker", LINKER.format(hw=HW, canary=str(canary)))
    results = {r.student: r for r in C.autograde(course, HW, options=RunOptions(workers=2, sandbox=False))}
    return course, HW, results, canary


def _listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.mark.slow
def test_a_notebook_written_while_graded_is_not_graded_and_the_class_is_recorded(swamped):
    from test_cluster import auto_scores

    course, hw, results, _ = swamped
    assert {s: r.status for s, r in results.items()} == {"honest": "graded", "stray": "graded", "swamp": "graded",
                                                         "linker": "graded"}
    assert auto_scores(course) == {"honest": 5, "stray": 5, "swamp": 5, "linker": 5}
    assert "extra.ipynb" in results["stray"].reason and "neither graded nor kept" in results["stray"].reason
    for kind in ("autograded", "feedback"):
        assert not (course.root / kind / "stray" / hw / "extra.ipynb").exists(), kind


@pytest.mark.slow
def test_feedback_holds_only_the_feedback_of_the_notebook_handed_in(swamped):
    course, hw, _, _ = swamped
    assert _listing(course.root / "feedback" / "stray" / hw) == [f"{hw}.html", f"{hw}.ipynb"]
    assert (course.root / "autograded" / "stray" / hw / "notes.txt").read_text() == "written while graded"


@pytest.mark.slow
def test_a_printed_flood_is_cut_in_every_copy_of_the_notebook(swamped):
    course, hw, _, _ = swamped
    copies = [course.root / "autograded" / "stray" / hw / f"{hw}.ipynb",
              course.root / "feedback" / "stray" / hw / f"{hw}.html",
              course.root / "feedback" / "stray" / hw / f"{hw}.ipynb"]
    sizes = {p.relative_to(course.root).as_posix(): p.stat().st_size for p in copies}
    assert all(size < 1024 ** 2 for size in sizes.values()), sizes  # the line alone was 5 MB
    assert "output cut here: this cell printed more than 65,536 bytes" in copies[0].read_text()


@pytest.mark.slow
def test_a_working_folder_over_the_file_cap_sends_back_only_the_graded_notebook(swamped):
    course, hw, results, _ = swamped
    assert _listing(course.root / "autograded" / "swamp" / hw) == [f"{hw}.ipynb"]
    assert f"its working folder held more than {worker.MAX_WORKDIR_FILES:,} files after grading" in results["swamp"].reason
    assert _listing(course.root / "feedback" / "swamp" / hw) == [f"{hw}.html", f"{hw}.ipynb"]


@pytest.mark.slow
def test_a_rerun_grades_none_of_them_again(swamped):
    from dgmlab.grading import course as C

    course, hw, _, _ = swamped
    results = C.autograde(course, hw, options=RunOptions(workers=2, sandbox=False))
    assert {r.student: (r.status, r.skipped) for r in results} == {
        s: ("graded", True) for s in ("honest", "stray", "swamp", "linker")}


@pytest.mark.slow
def test_nothing_is_written_through_a_link_the_kernel_left(swamped):
    course, hw, results, canary = swamped
    assert canary.read_text() == "intact" and canary.stat().st_mode & 0o777 == 0o600
    graded = course.root / "autograded" / "linker" / hw / f"{hw}.ipynb"
    assert graded.is_file() and not graded.is_symlink() and '"nbformat"' in graded.read_text()
    assert not any(p.is_symlink() for p in (course.root / "autograded" / "linker" / hw).rglob("*"))


DISPLAYS_300 = "from IPython.display import display\nfor i in range(300):\n    display(i)"


def executed(tmp_path, cells, kernel_manager_class="jupyter_client.manager.KernelManager", **limits):
    """``cells`` (sources) run as a grading runs them, by TimedExecute with ``limits`` (errors allowed, 60 s a
    cell); the notebook as it comes back."""
    from dgmlab.grading.preprocessors import TimedExecute

    ex = TimedExecute(timeout=60, allow_errors=True, kernel_manager_class=kernel_manager_class, **limits)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    return ex.preprocess(nb, {"metadata": {"path": str(tmp_path)}})[0]


@pytest.mark.slow
def test_output_past_the_cap_is_dropped_as_it_arrives(tmp_path):
    """(found by a red-team run: 1 GiB printed by one cell was held whole in the grading worker before any cap)"""
    nb = executed(tmp_path, ["import sys\nfor i in range(200):\n    print('x' * 99, flush=True)",
                             "raise ValueError('kept')"], max_cell_output=2_000, max_notebook_output=100_000)
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    note = "characters of output dropped: past the grader's 2,000 a cell"
    assert 0 < len(printed.split("\n... ")[0]) <= 2_000 + 100
    assert note in printed  # the cell says why its output stops (TA trial: a 20 MB write vanished silently)
    assert nb.cells[1].outputs[-1].output_type == "error" and note not in str(nb.cells[1].outputs)


@pytest.mark.slow
def test_a_displays_metadata_counts_against_the_cap(tmp_path):
    """(an attacker's trial: display_data with empty data and 30 MB of metadata counted as 0 and was kept, 10.7 GB in
    the worker for 20 of them)"""
    nb = executed(tmp_path, ["from IPython.display import publish_display_data\n"
                             "for i in range(5):\n    publish_display_data({}, metadata={'pad': ['x' * 99] * 10})"],
                  max_cell_output=2_000, max_notebook_output=100_000)
    kept = [o for o in nb.cells[0].outputs if o.output_type == "display_data"]
    assert len(kept) == 1, kept  # about 1,100 characters each: the second is past the cell's 2,000
    assert "characters of output dropped" in str(nb.cells[0].outputs)


@pytest.mark.slow
def test_updates_of_a_display_and_widget_messages_count_against_the_cap_or_are_not_kept(tmp_path):
    """(an attacker's trial: 40 updates of displays, 25 MiB each, counted as 0, put 1.2 GB in the worker; 40 widget
    messages of 25 MiB put 4.3 GB in it and 1 GB in each notebook written)"""
    nb = executed(tmp_path, ["from IPython.display import display\n"
                             "from ipykernel.comm import Comm\n"
                             "handles = [display('small', display_id=True) for i in range(3)]\n"
                             "for h in handles:\n    h.update('y' * 1_500)\n"
                             "Comm(target_name='jupyter.widget', data={'state': {'pad': 'z' * 5_000}})"
                             ".send({'pad': 'z' * 5_000})"], max_cell_output=2_000, max_notebook_output=100_000)
    kept = [o for o in nb.cells[0].outputs if o.output_type == "display_data"]
    assert len(kept) == 3 and sum("y" * 1_500 in str(o.data) for o in kept) == 1, kept  # one update of 1,500 fits
    assert "characters of output dropped" in str(nb.cells[0].outputs)
    assert "z" * 5_000 not in nbformat.writes(nb)  # no widget state kept


@pytest.mark.slow
def test_a_kernel_past_its_output_messages_is_stopped(tmp_path):
    """(an attacker's trial: 208,000 small displays in 60 s kept the grading worker at 0.8 of a core, outside the
    kernel's CPU share, and slowed another grading from 32 s to 60 s)"""
    from nbclient.exceptions import DeadKernelError

    with pytest.raises(DeadKernelError, match="over 100 output messages in cell 1"):
        executed(tmp_path, ["for i in range(40):\n    print(i, flush=True)", DISPLAYS_300], max_messages=100)
    assert kernels.why_killed("") == ""  # no grading id: nothing marked stopped for the process's later kernels


@pytest.mark.slow
def test_a_graded_kernel_past_its_output_messages_fails_its_grading_saying_why(tmp_path):
    from nbclient.exceptions import DeadKernelError

    class Manager(kernels.GradingKernelManager):
        grading_id = "messages-test"

    try:
        with pytest.raises(DeadKernelError):
            executed(tmp_path, [DISPLAYS_300], kernel_manager_class=Manager, max_messages=100)
        assert kernels.why_killed("messages-test").startswith("the kernel sent more than 100 output messages")
    finally:
        kernels.forget("messages-test")


@pytest.mark.slow
def test_an_error_is_kept_but_shortened_as_it_arrives_and_every_field_counts(tmp_path):
    """(an attacker's trial: 40 raw error messages of 25 MiB put 1.2 GB in the worker, the attacker keeping full
    marks; a stream whose text is a list counted as 1 byte)"""
    nb = executed(tmp_path, ["import sys\nk = get_ipython().kernel\n"
                             "for i in range(3):\n"
                             "    k.session.send(k.iopub_socket, 'error', {'ename': 'E' * 50_000, 'evalue': 'v' * 50_000, "
                             "'traceback': ['t' * 50_000] * 4}, parent=k.get_parent('shell'))\n"
                             "k.session.send(k.iopub_socket, 'stream', {'name': 'stdout', 'text': ['x' * 3_000]}, "
                             "parent=k.get_parent('shell'))"], max_cell_output=20_000, max_notebook_output=100_000)
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(errors) == 3 and all(len(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        outputs=[e])]))) < 20_000 for e in errors)  # kept, each about 16 KiB at most
    assert "x" * 3_000 not in str(nb.cells[0].outputs)  # the list-typed text counted: past the cell's 20,000
