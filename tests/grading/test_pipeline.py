"""End to end on a tiny fixture course: release, autograde, feedback, report, bad input."""
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import tiny_homework as tiny
from conftest import ROOT
from dgmlab.authoring.examples import example_submissions
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.report import report as R

HW = tiny.HW
pytestmark = pytest.mark.slow
# The shipped nbgrader_config.py sets no install source (release refuses); these courses set one.
INSTALL_SOURCE = "dgmlab @ git+https://github.com/someone/dgm-homeworks@v0.1.0"


def copy_config(root, install_source=INSTALL_SOURCE):
    """The course's nbgrader_config.py in ``root``, with ``install_source`` set (None: as shipped)."""
    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    if install_source is not None:
        text += f"\nc.SetInstallSource.install_source = {install_source!r}\n"
    (root / "nbgrader_config.py").write_text(text, encoding="utf-8")


def dgmlab_cli(root, *args):
    return subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(root), *args],
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    copy_config(root)
    tiny.build(root)
    c = C.Course(root)
    C.release(c)
    for student, nb in example_submissions(c.release_notebook(HW), c.source_notebook(HW),
                                           tiny.MUTANTS, tiny.PARTIAL).items():
        path = root / "submitted" / student / HW / f"{HW}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    broken = root / "submitted" / "broken_json" / HW / f"{HW}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [', encoding="utf-8")
    results = C.autograde(c, HW, options=RunOptions(workers=2))
    return c, {r.student: r for r in results}


def scores(c):
    return {g.student: (g.auto_score, g.auto_max) for g in R.grades(c, hws=[HW])}


def test_release_has_stubs_and_no_solutions_or_hidden_tests(course):
    c, _ = course
    text = c.release_notebook(HW).read_text(encoding="utf-8")
    assert "# COMPLETE\\nraise NotImplementedError()" in text.replace('",\n    "', "")
    for secret in ["(x ** 2).mean()", "sp.diff(x ** 3, x)", "BEGIN SOLUTION", "HIDDEN TESTS",
                   "test_value_on_the_graders_input", "Exact symbolic equality"]:
        assert secret not in text, f"release leaks {secret!r}"
    assert "Write your answer here" in text


def test_release_setup_cell_carries_configured_install_source(course):
    c, _ = course
    nb = nbformat.read(c.release_notebook(HW), as_version=4)
    setup = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert f'DGMLAB_INSTALL = "{INSTALL_SOURCE}"  # where Colab installs dgmlab from' in setup.source


def test_plain_nbgrader_refuses_without_install_source(tmp_path):
    """The check is in the preprocessor, so `nbgrader generate_assignment` itself refuses."""
    copy_config(tmp_path, install_source=None)
    tiny.build(tmp_path)
    c = C.Course(tmp_path)
    res = c.nbgrader("generate_assignment", HW, "--force", "--no-db")
    assert not res.ok
    assert "InstallSourceError: refusing to write release notebooks: no install source is set" in res.output
    assert "c.SetInstallSource.install_source in nbgrader_config.py" in res.output
    assert not c.release_notebook(HW).exists()


def test_local_only_release_and_its_check(tmp_path):
    copy_config(tmp_path, install_source=None)
    tiny.build(tmp_path)
    c = C.Course(tmp_path)
    C.release(c, local_only=True)
    nb = nbformat.read(c.release_notebook(HW), as_version=4)
    setup = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert 'DGMLAB_INSTALL = ""  #' in setup.source
    assert C.release_is_local_only(c) and C.release_differences(c) == []
    copy_config(tmp_path)  # the instructor sets a source: the local-only release/ is now out of date
    assert not C.release_is_local_only(c) and C.release_differences(c) == [HW]


def test_reference_earns_every_autograded_point(course):
    c, _ = course
    got, maximum = scores(c)["demo_reference"]
    assert maximum == 5 and got == 5


def test_blank_release_earns_nothing(course):
    c, _ = course
    assert scores(c)["demo_blank"] == (0, 5)


def test_partial_submission_earns_only_its_correct_part(course):
    c, _ = course
    assert scores(c)["demo_partial"] == (3, 5)  # mean_square: its visible point of 3 (a sum is a 0-d tensor too)


def test_invalid_notebook_is_reported_and_others_still_graded(course):
    _, results = course
    assert results["broken_json"].status == "invalid"
    assert "not a valid notebook" in results["broken_json"].reason
    assert all(results[s].status == "graded" for s in ("demo_reference", "demo_blank", "demo_partial"))


def test_regrading_gives_the_same_grades(course):
    c, _ = course
    before = scores(c)
    results = C.autograde(c, HW, ["demo_partial", "demo_reference"], RunOptions(feedback=False, force=True))
    assert [r.skipped for r in results] == [False, False]
    assert scores(c) == before


def test_feedback_names_a_failed_hidden_test_but_shows_none_of_its_code(course):
    c, _ = course
    html = (c.root / "feedback" / "demo_partial" / HW / f"{HW}.html").read_text(encoding="utf-8")
    assert "assert_close(v.on_x, (v.inputs.x ** 2).mean()" not in html
    assert "FAILED test_value_on_the_graders_input: 0 of 2 points (hidden test)" in html


def test_no_folder_a_submission_ran_in_or_got_back_holds_hidden_py(course):
    """The course's hidden tests (source/<hw>/hidden.py) stay with the grader: nbgrader copies source/<hw>/'s other
    files over each submission, but CourseDirectory.ignore keeps hidden.py out of autograded/ and feedback/."""
    c, _ = course
    assert (c.folder("source", HW) / "hidden.py").is_file()
    for kind in ("autograded", "feedback"):
        assert not list((c.root / kind).rglob("hidden.py")), kind
    assert list((c.root / "autograded").rglob("checks.py"))  # the control: the visible checks are copied over


def test_autograde_refuses_a_config_under_which_nbgrader_would_copy_hidden_py(tmp_path):
    copy_config(tmp_path)
    with open(tmp_path / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write('\nc.CourseDirectory.ignore = ["__pycache__"]\n')
    tiny.build(tmp_path)
    with pytest.raises(C.CourseError, match=r"hidden\.py holds hw9_tiny's hidden tests.*nothing was graded"):
        C.autograde(C.Course(tmp_path), HW)
    assert not (tmp_path / "autograded").exists()


def test_returned_notebook_names_failed_hidden_tests_but_holds_none_of_their_code(course):
    c, _ = course
    autograded = (c.root / "autograded" / "demo_partial" / HW / f"{HW}.ipynb").read_text(encoding="utf-8")
    returned = (c.root / "feedback" / "demo_partial" / HW / f"{HW}.ipynb").read_text(encoding="utf-8")
    hidden_line = "assert_close(v.on_x, (v.inputs.x ** 2).mean()"
    assert hidden_line not in autograded and hidden_line not in returned
    assert "FAILED test_value_on_the_graders_input" in returned
    nb = nbformat.reads(returned, as_version=4)
    assert all(len(o.get("traceback", [])) <= 1 for cell in nb.cells for o in cell.get("outputs", [])
               if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata["nbgrader"].get("solution"))


def test_failing_to_write_the_returned_notebook_keeps_the_grade(course, monkeypatch):
    c, _ = course

    def broken(*args):
        raise OSError("disk full")

    from distributed import Client, LocalCluster

    from dgmlab.grading import returned_notebooks

    monkeypatch.setattr(returned_notebooks, "write_student_notebooks", broken)  # where the grading worker finds it
    # a worker thread in this process, so that it sees the patched function
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        (result,) = C.autograde(c, HW, ["demo_reference"], RunOptions(force=True), cluster=client)
    assert result.status == "graded" and "returned notebook could not be written: disk full" in result.reason
    assert scores(c)["demo_reference"] == (5, 5)


def test_csv_export_and_table(course):
    c, _ = course
    path = R.export_csv(c, "grades.csv")
    rows = path.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("assignment,") and any("demo_reference" in r for r in rows)
    text = R.table(R.grades(c, hws=[HW]))
    assert "demo_reference" in text and "5/5 auto" in text


def test_plain_nbgrader_commands_work_on_the_same_course(course):
    c, _ = course
    res = c.nbgrader("db", "student", "list")
    assert res.ok and "demo_reference" in res.output


def test_unknown_homework_is_a_clear_error(course):
    c, _ = course
    res = dgmlab_cli(c.root, "autograde", "hw7_nope")
    assert res.returncode == 2 and "unknown homework hw7_nope" in res.stderr and HW in res.stderr


def test_missing_submissions_folder_is_a_clear_error(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    tiny.build(tmp_path)
    res = dgmlab_cli(tmp_path, "autograde", HW)
    assert res.returncode == 2 and "no submissions folder" in res.stderr


def test_not_a_course_directory_is_a_clear_error(tmp_path):
    res = dgmlab_cli(tmp_path, "release")
    assert res.returncode == 2 and "not a course directory" in res.stderr


def test_non_utf8_submission_is_invalid(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_bytes(b'{"cells": "\xff\xfe"}')
    assert "not UTF-8" in C.check_submission(path)


def test_release_check_detects_hand_edits(course):
    c, _ = course
    assert C.release_differences(c) == []
    path = c.release_notebook(HW)
    original = path.read_text(encoding="utf-8")
    try:
        nb = json.loads(original)
        nb["cells"][0]["source"] = "edited by hand"
        path.write_text(json.dumps(nb), encoding="utf-8")
        assert C.release_differences(c) == [HW]
    finally:
        path.write_text(original, encoding="utf-8")


def course_with_one_submission(root, student, mean_square_source):
    """A fresh tiny course whose only submission is the reference with ``mean_square`` replaced."""
    copy_config(root)
    tiny.build(root)
    c = C.Course(root)
    C.release(c)
    nb = example_submissions(c.release_notebook(HW), c.source_notebook(HW))["demo_reference"]
    cell = next(x for x in nb.cells if x.metadata.get("nbgrader", {}).get("grade_id") == "mean_square")
    cell.source = mean_square_source
    path = root / "submitted" / student / HW / f"{HW}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return c


KERNELS = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])  # started, or forked from a zygote


@KERNELS
def test_hanging_submission_times_out_and_leaves_no_kernel(tmp_path, warm):
    import psutil

    from dgmlab.grading.isolation.kernel_sandbox import Limits

    student = f"looper_{tmp_path.name}"  # a name no other test's kernel runs under
    c = course_with_one_submission(tmp_path, student, "import time\nwhile True:\n    time.sleep(0.1)")
    (result,) = C.autograde(c, HW, [student], RunOptions(timeout=20, limits=Limits(warm=warm)))
    assert result.status == "timed out" and "20 s" in result.reason
    time.sleep(1)

    def ours(proc):  # this test's kernel runs in the worker's scratch copy: .../autograded/<student>/<hw>
        try:
            cmd, cwd = " ".join(proc.cmdline()), proc.cwd()
        except (psutil.Error, OSError):
            return False
        kernel = "ipykernel" in cmd or "nbgrader" in cmd or "zygote.py" in cmd  # a warm kernel: the zygote's fork
        return kernel and (f"/autograded/{student}/" in cwd or student in cmd)

    leftovers = [p for p in psutil.process_iter() if ours(p)]
    assert not leftovers, f"kernels left running: {leftovers}"


def test_a_graded_kernel_goes_with_every_process_it_started(tmp_path):
    """Once the last cell has run the grading kills its kernel at once (no graceful exit), and with it
    whatever the student's code started: here unsandboxed, where no pid namespace would catch it."""
    import psutil

    student = f"spawner_{tmp_path.name}"
    marker = "3017.25"  # a `sleep` nobody else runs
    c = course_with_one_submission(tmp_path, student, f"import subprocess\n_child = subprocess.Popen(['sleep', '{marker}'])\n"
                                                      "def mean_square(x):\n    return (x ** 2).mean()")
    (result,) = C.autograde(c, HW, [student], RunOptions(timeout=120, sandbox=False, feedback=False))
    assert result.status == "graded", result.reason
    assert result.timings["kernel_stop"] < 1.5, result.timings  # a graceful exit took about 2 s
    time.sleep(0.5)
    left = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", marker]]
    assert not left, f"a process the student's code started outlived the grading: {left}"


def test_a_kernel_that_shows_its_own_scores_earns_nothing(tmp_path):
    """A submission that replaces check() with a function that shows full marks: the grader reads no
    probe data from the cells, so it judges them 0 and writes their outputs itself."""
    forger = ("import dgmlab.probes\n"
              "def _full_marks(cell, *answers, **kwargs):\n"
              "    print('passed every test')\n"
              "    return 3\n"
              "dgmlab.probes.check = _full_marks\n"
              "def mean_square(x):\n    return (x ** 2).mean()")
    c = course_with_one_submission(tmp_path, "forger", forger)
    (result,) = C.autograde(c, HW, ["forger"], RunOptions(feedback=False))
    assert result.status == "graded", result.reason
    assert scores(c)["forger"] == (0, 5)


PROBE = '''import json, os, pathlib, socket
probe = {}
for name, rel in [("source", "../../../source"), ("gradebook", "../../../gradebook.db"),
                  ("submitted", "../../../submitted"), ("homeworks", "../../../homeworks"),
                  ("course_source", "COURSE/source"), ("course_gradebook", "COURSE/gradebook.db")]:
    probe[name] = pathlib.Path(rel).exists()
here = pathlib.Path.cwd().resolve()  # any file of the workers' scratch space besides this notebook's own folder
probe["other_gradings"] = any(p.is_file() and not p.resolve().is_relative_to(here)
                              for p in pathlib.Path("DASK_SCRATCH").rglob("*"))
try:  # a TCP server the test listens with on this machine's loopback
    socket.create_connection(("127.0.0.1", PORT), timeout=5).close()
    probe["network"] = True
except OSError:
    probe["network"] = False
try:
    pathlib.Path("../../../escaped.txt").write_text("x")
except OSError:
    pass
probe["secret_env"] = "DGMLAB_TEST_SECRET" in os.environ
probe["warm"] = b"zygote.py" in pathlib.Path("/proc/self/cmdline").read_bytes()  # forked from a zygote
print("PROBE", json.dumps(probe))
def mean_square(x):
    return (x ** 2).mean()'''


@KERNELS
def test_sandbox_hides_course_network_and_environment(tmp_path, monkeypatch, warm):
    from dgmlab.grading.isolation import kernel_sandbox as sandbox

    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    import tempfile

    monkeypatch.setenv("DGMLAB_TEST_SECRET", "instructor-token")
    import socket

    server = socket.create_server(("127.0.0.1", 0))  # reachable by any process of this machine's network
    port = server.getsockname()[1]
    # the kernel runs in a worker's scratch copy of the course: the real course and every worker's
    # scratch folder (other students' gradings) must be invisible too
    probe_source = PROBE.replace("COURSE", str(tmp_path)).replace(
        "DASK_SCRATCH", str(Path(tempfile.gettempdir()) / "dask-scratch-space")).replace("PORT", str(port))
    c = course_with_one_submission(tmp_path, "prober", probe_source)
    with server:
        (result,) = C.autograde(c, HW, ["prober"], RunOptions(sandbox=True, feedback=False,
                                                              limits=sandbox.Limits(warm=warm)))
    assert result.status == "graded", result.reason
    graded = nbformat.read(tmp_path / "autograded" / "prober" / HW / f"{HW}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    probe = json.loads(printed.split("PROBE ", 1)[1].splitlines()[0])
    assert probe == {"source": False, "gradebook": False, "submitted": False, "homeworks": False,
                     "course_source": False, "course_gradebook": False, "other_gradings": False,
                     "network": False, "secret_env": False, "warm": warm}
    assert not (tmp_path / "escaped.txt").exists()
    assert scores(c)["prober"] == (5, 5)  # sandboxed grading still grades


@KERNELS
def test_sandboxed_kernel_talks_over_ipc_and_cannot_reach_the_host(tmp_path, warm):
    """The kernel alone holds the network wall: started as grading starts it (GradingKernelManager with the
    sandbox's command), it answers over unix sockets, yet cannot open a TCP connection to a server
    listening on this machine's loopback."""
    import asyncio
    import socket

    from dgmlab.grading.isolation import bubblewrap, kernels, warm_kernels
    from dgmlab.grading.isolation import kernel_sandbox as sandbox

    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    work = tmp_path / "course" / "autograded" / "someone" / HW
    work.mkdir(parents=True)
    server = socket.create_server(("127.0.0.1", 0))
    code = ("import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {server.getsockname()[1]}), timeout=5).close()\n"
            "    result = 'connected'\nexcept OSError as exc:\n    result = type(exc).__name__\n")

    async def run(box):
        km = kernels.GradingKernelManager(kernel_argv=box.argv, runtime_dir=str(box.runtime), transport="ipc")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
            msg_id = kc.execute(code, user_expressions={"net": "result", "seen": "seen"})
            reply = await kc.get_shell_msg(timeout=120)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = await kc.get_shell_msg(timeout=120)
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        return km, reply

    limits = sandbox.Limits(warm=warm)
    with server, sandbox.Sandbox(work, limits) as box, sandbox.Sandbox(tmp_path / "other", limits) as other:
        code += (f"\nimport os\nseen = repr((os.path.exists({str(other.runtime)!r}), "
                 f"os.listdir({str(bubblewrap.sandboxes_folder())!r})))")
        km, reply = asyncio.run(run(box))
        assert other.runtime.exists()
        assert (box.argv[0] == warm_kernels.WARM) == warm  # warm: forked from this process's zygote
    assert km.get_connection_info()["transport"] == "ipc"
    assert reply["content"]["status"] == "ok", reply["content"]
    shown = {k: v["data"]["text/plain"] for k, v in reply["content"]["user_expressions"].items()}
    assert shown["net"] == "'ConnectionRefusedError'"  # its own loopback has no server
    # another grading's runtime folder (its connection file and sockets) is invisible; only its own is there
    assert shown["seen"] == repr(repr((False, [box.runtime.parent.name])))
