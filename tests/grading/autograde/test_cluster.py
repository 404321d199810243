"""Grading as Dask tasks on the tiny fixture course: the same rows as plain nbgrader, a run that
resumes, a worker killed mid-grade, and a submission that kills its worker every time."""
import json
import os
import shutil
import signal
import sqlite3
import threading
import time

import nbformat
import psutil
import pytest

import tiny_homework as tiny
from conftest import ROOT
from dgmlab.authoring.examples import example_submissions
from dgmlab.grading import course as C
from dgmlab.grading.autograde.clients import client_for
from dgmlab.grading.autograde.keys import grading_key, read_homework
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.autograde.timings import phase_summary
from dgmlab.grading.records import load_records

HW = tiny.HW
pytestmark = pytest.mark.slow  # in make test (CI), but for the poison submission (e2e: its retries cost a minute)
EXPECTED = {"ref": 5, "partial": 3, "blank": 0}  # points of the example submissions (tests/grading/test_pipeline.py)


def make_course(root, students):
    """A released tiny course; ``students`` maps a student id to ``ref``, ``partial``, ``blank`` or a notebook."""
    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(text + "\nc.SetInstallSource.install_source = 'dgmlab==0.1.0'\n",
                                             encoding="utf-8")
    tiny.build(root)
    course = C.Course(root)
    C.release(course)
    examples = example_submissions(course.release_notebook(HW), course.source_notebook(HW), tiny.MUTANTS,
                                   tiny.PARTIAL)
    kinds = {"ref": examples["demo_reference"], "partial": examples["demo_partial"], "blank": examples["demo_blank"]}
    for student, kind in students.items():
        path = root / "submitted" / student / HW / f"{HW}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(kinds[kind] if isinstance(kind, str) else kind, path)
    return course


def gradebook_rows(course):
    """Every row autograding writes, as plain values: {(student, notebook, cell): (auto, manual, needs, comment)}."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", "dgm") as gb:
        for sub in gb.assignment_submissions(HW):
            rows[(sub.student_id, "timestamp")] = sub.timestamp
            for nb in sub.notebooks:
                rows[(sub.student_id, nb.name, "late")] = nb.late_submission_penalty
                for g in nb.grades:
                    rows[(sub.student_id, nb.name, g.name)] = (g.auto_score, g.manual_score, g.needs_manual_grade)
                for c in nb.comments:
                    rows[(sub.student_id, nb.name, c.name, "comment")] = c.auto_comment
    return rows


def auto_scores(course):
    with sqlite3.connect(course.root / "gradebook.db") as db:
        return dict(db.execute(
            "SELECT s.student_id, SUM(g.auto_score) FROM grade g JOIN submitted_notebook n ON g.notebook_id = n.id "
            "JOIN submitted_assignment s ON n.assignment_id = s.id GROUP BY s.student_id"))


def duplicate_rows(course):
    """Submissions or grades present more than once (nbgrader's schema should make this impossible)."""
    with sqlite3.connect(course.root / "gradebook.db") as db:
        subs = db.execute("SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id, assignment_id "
                          "HAVING COUNT(*) > 1").fetchall()
        grades = db.execute("SELECT notebook_id, cell_id, COUNT(*) FROM grade GROUP BY notebook_id, cell_id "
                            "HAVING COUNT(*) > 1").fetchall()
    return subs + grades


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The same three submissions graded by two Dask workers and, in a copy of the course, by plain nbgrader."""
    students = {"s_ref": "ref", "s_partial": "partial", "s_blank": "blank"}
    course = make_course(tmp_path_factory.mktemp("dask"), students)
    plain_root = tmp_path_factory.mktemp("plain")
    shutil.copytree(course.root, plain_root, dirs_exist_ok=True)
    plain = C.Course(plain_root)
    res = plain.nbgrader("autograde", HW, "--force")
    assert res.ok, res.output[-2000:]
    t0 = time.monotonic()
    results = C.autograde(course, HW, options=RunOptions(workers=2))
    return course, plain, {r.student: r for r in results}, time.monotonic() - t0


def test_two_workers_write_exactly_what_plain_nbgrader_writes(graded):
    course, plain, results, _ = graded
    assert all(r.status == "graded" and not r.skipped for r in results.values()), results
    assert gradebook_rows(course) == gradebook_rows(plain)
    assert auto_scores(course) == {"s_ref": 5, "s_partial": 3, "s_blank": 0}
    assert duplicate_rows(course) == []
    for student in results:
        assert (course.root / "feedback" / student / HW / f"{HW}.html").exists()
        assert (course.root / "autograded" / student / HW / f"{HW}.ipynb").exists()


def test_records_keep_key_and_phase_timings(graded):
    course, _, results, _ = graded
    records = load_records(course, HW)
    for student, r in results.items():
        assert records[student]["key"] == grading_key(read_homework(course, HW), course.submission(HW, student)) == r.key
        t = records[student]["timings"]
        for phase in ("queue_wait", "prepare", "nbgrader_start", "kernel_start", "imports", "tests",
                      "test:mean_square_tests", "test:derivative_tests", "kernel_stop", "save_grades", "feedback",
                      "write_back"):
            assert phase in t and t[phase] >= 0, (student, phase, t)
        assert t["total"] >= t["kernel_start"] + t["imports"] + t["tests"]
        assert abs(t["graded"] - (t["total"] - t["queue_wait"])) <= 0.002  # each rounded to 1 ms; a TA read `total` as one grading's time
    rows = {name: (n, med, p95) for name, n, med, p95 in phase_summary(results.values())}
    assert rows["tests"][0] == 3 and rows["tests"][1] <= rows["tests"][2]


def test_unchanged_submissions_are_not_graded_again(graded):
    course, _, _, _ = graded
    before = gradebook_rows(course)
    results = C.autograde(course, HW, options=RunOptions(workers=2))
    assert [r.skipped for r in results] == [True] * 3
    assert gradebook_rows(course) == before


def test_an_interrupted_run_resumes_with_only_what_is_missing(graded):
    """Both changed submissions are graded again; the run is stopped after the first; the next run grades the other."""
    course, _, _, _ = graded
    for student in ("s_ref", "s_partial"):  # a changed file: a new key (the grade stays the same)
        path = course.root / "submitted" / student / HW / f"{HW}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell("a note added after submitting"))
        nbformat.write(nb, path)
    done = []

    def stop_after_first(result):
        if not result.skipped:
            done.append(result.student)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        C.autograde(course, HW, options=RunOptions(workers=2, feedback=False), progress=stop_after_first)
    assert len(done) == 1
    [rest] = {"s_ref", "s_partial"} - set(done)
    results = {r.student: r for r in C.autograde(course, HW, options=RunOptions(workers=2, feedback=False))}
    assert [s for s, r in results.items() if not r.skipped] == [rest]
    assert results[rest].status == "graded"
    assert auto_scores(course) == {"s_ref": 5, "s_partial": 3, "s_blank": 0}
    assert duplicate_rows(course) == []


def test_a_worker_killed_mid_grade_changes_no_grade(tmp_path):
    students = {f"kw_{i}": kind for i, kind in enumerate(["ref", "partial", "blank", "ref"])}
    course = make_course(tmp_path, students)
    killed = {}
    with client_for(workers=2) as client:
        pids = client.run(os.getpid)

        def kill_one_grading_worker():
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                busy = [w for w, keys in client.processing().items() if keys]
                if busy:
                    time.sleep(1.5)  # mid-grade: starting the kernel and importing dgmlab alone take longer
                    killed["pid"] = pids[busy[0]]
                    os.kill(killed["pid"], signal.SIGKILL)
                    return
                time.sleep(0.1)

        killer = threading.Thread(target=kill_one_grading_worker)
        killer.start()
        results = C.autograde(course, HW, cluster=client)
        killer.join()
    assert "pid" in killed, "no worker was killed"
    assert {r.student: r.status for r in results} == {s: "graded" for s in students}
    assert all(not r.worker.endswith(f":{killed['pid']}") for r in results), "a result came from the killed worker"
    assert auto_scores(course) == {s: EXPECTED[kind] for s, kind in students.items()}
    assert duplicate_rows(course) == []
    time.sleep(1)
    leftovers = kernels_of(course, "kw_")
    assert not leftovers, f"a kernel was left running after its worker was killed: {leftovers}"


def kernels_of(course, prefix):
    """Processes of gradings of students named ``prefix...``: kernels (their working folder is the scratch
    course's autograded/<student>/) and nbgrader commands."""
    found = []
    for proc in psutil.process_iter():
        try:
            cmd, cwd = " ".join(proc.cmdline()), proc.cwd()
        except (psutil.Error, OSError):
            continue
        if f"--student {prefix}" in cmd or (f"/autograded/{prefix}" in cwd and "python" in cmd):
            found.append(proc)
    return found


KILL_MY_WORKER = '''import os, signal, psutil
for ancestor in psutil.Process().parents():  # kernel -> the Dask worker process
    if "multiprocessing" in " ".join(ancestor.cmdline()):
        os.kill(ancestor.pid, signal.SIGKILL)
        break
def mean_square(x):
    return (x ** 2).mean()'''


MY_PARENT = '''import json, pathlib, psutil
parent = psutil.Process().parent()  # the process that started this kernel
pathlib.Path("parent.json").write_text(json.dumps({"pid": parent.pid, "cmdline": parent.cmdline()}))
def mean_square(x):
    return (x ** 2).mean()'''


def with_answer(course, student, source):
    """Make ``student``'s submission the reference one with the answer cell ``mean_square`` replaced."""
    nb = nbformat.read(course.root / "submitted" / "honest" / HW / f"{HW}.ipynb", as_version=4)
    cell = next(x for x in nb.cells if x.metadata.get("nbgrader", {}).get("grade_id") == "mean_square")
    cell.source = source
    path = course.root / "submitted" / student / HW / f"{HW}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.mark.e2e
def test_a_submission_that_kills_its_worker_fails_after_bounded_retries(tmp_path):
    """Unsandboxed, so the kernel can reach its worker (in the sandbox it cannot: a new PID namespace).

    The honest submission's kernel notes which process started it: the worker itself, which grades
    in-process, not a new nbgrader process per submission."""
    course = make_course(tmp_path, {"honest": "ref"})
    with_answer(course, "poison", KILL_MY_WORKER)
    with_answer(course, "honest", MY_PARENT)
    options = RunOptions(workers=2, sandbox=False, feedback=False, allowed_failures=1)
    results = {r.student: r for r in C.autograde(course, HW, options=options)}
    assert results["poison"].status == "failed"
    assert "killed the worker process 2 times" in results["poison"].reason
    assert results["honest"].status == "graded"
    assert auto_scores(course) == {"honest": 5}
    assert load_records(course, HW)["poison"]["status"] == "failed"
    parent = json.loads((course.root / "autograded" / "honest" / HW / "parent.json").read_text())
    assert results["honest"].worker.endswith(f":{parent['pid']}"), (parent, results["honest"].worker)
    assert "nbgrader" not in " ".join(parent["cmdline"]), parent
    time.sleep(2)  # unsandboxed, the kernel notices its worker died (ipykernel polls its parent)
    leftovers = kernels_of(course, "poison")
    assert not leftovers, f"a kernel was left running after its worker was killed: {leftovers}"


def test_unreachable_cluster_is_a_clear_error_and_changes_nothing(graded, tmp_path):
    import dask
    from distributed.security import Security

    course, _, _, _ = graded
    before = gradebook_rows(course)
    tls = Security.temporary()  # a tls:// scheduler needs a certificate: here in Dask's config
    config = {}
    for name, pem in (("ca-file", tls.tls_ca_file), ("client.cert", tls.tls_client_cert),
                      ("client.key", tls.tls_client_key)):
        (tmp_path / name).write_text(pem, encoding="utf-8")
        config[f"distributed.comm.tls.{name}"] = str(tmp_path / name)
    with dask.config.set(config), \
            pytest.raises(C.CourseError, match="could not reach the Dask scheduler at tls://127.0.0.1:9"):
        C.autograde(course, HW, options=RunOptions(force=True, sandbox=False), cluster="tls://127.0.0.1:9")
    with pytest.raises(C.CourseError, match="refusing a tcp:// Dask scheduler"):
        C.autograde(course, HW, options=RunOptions(force=True, sandbox=False), cluster="tcp://127.0.0.1:9")
    assert gradebook_rows(course) == before


def test_only_a_worker_process_of_its_own_may_exit_on_a_hung_grading():
    """The watchdog exits a worker whose nbgrader code hangs past the grace: it must know, from the task's thread,
    that it runs in a Dask worker process of its own, and never in the coordinating process or another thread."""
    import threading

    from distributed import Client, LocalCluster

    from dgmlab.grading.autograde import nbgrader_run as R

    def from_another_thread():
        seen = []
        thread = threading.Thread(target=lambda: seen.append(R._in_dask_worker()))
        thread.start()
        thread.join()
        return seen[0]

    assert R._in_dask_worker() is False
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert client.submit(R._in_dask_worker, pure=False).result() is True
        assert client.submit(from_another_thread, pure=False).result() is False
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert client.submit(R._in_dask_worker, pure=False).result() is False  # the coordinator's own process


def _feedback_course(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    return tmp_path


def test_feedback_that_never_ends_is_killed_at_its_time_limit_with_the_reason(tmp_path):
    """generate_feedback runs in a child process: one that never returns (here its config never finishes loading)
    is killed at its time limit, with the reason."""
    from dgmlab.grading import layout
    from dgmlab.grading.autograde import nbgrader_run as R

    course = _feedback_course(tmp_path)
    (course / "nbgrader_config.py").write_text("while True:\n    pass\n")
    start = time.monotonic()
    res = R.run_feedback(course, HW, "someone", timeout=1)
    assert time.monotonic() - start < 10
    assert not res.ok and res.timed_out
    assert layout.log_reason(res.output) == "[ERROR] generating the feedback took longer than 1 s; it was stopped"
    assert R.FEEDBACK.pid is None  # killed, not left running


def test_feedback_runs_again_after_one_was_killed(tmp_path):
    from dgmlab.grading.autograde import nbgrader_run as R

    course = _feedback_course(tmp_path)
    (course / "nbgrader_config.py").write_text("while True:\n    pass\n")
    assert R.run_feedback(course, HW, "someone", timeout=1).timed_out
    _feedback_course(tmp_path)
    res = R.run_feedback(course, HW, "someone", timeout=60)  # nbgrader's own answer: there is nothing to render
    assert not res.timed_out and "No notebooks were matched" in res.reason


def test_one_feedback_process_serves_one_feedback_after_another(tmp_path):
    """Starting it costs seconds of CPU (nbgrader, nbconvert): it is kept between feedbacks."""
    from dgmlab.grading.autograde import nbgrader_run as R

    course = _feedback_course(tmp_path)
    R.run_feedback(course, HW, "someone", timeout=60)
    first = R.FEEDBACK.pid
    assert first is not None
    R.run_feedback(course, HW, "someone", timeout=60)
    assert R.FEEDBACK.pid == first


def test_what_a_course_config_prints_leaves_the_feedback_result_whole(tmp_path):
    from dgmlab.grading.autograde import nbgrader_run as R

    course = _feedback_course(tmp_path)
    (course / "nbgrader_config.py").write_text("print('{not json')\nc = get_config()\n")
    res = R.run_feedback(course, HW, "someone", timeout=60)
    assert not res.timed_out and "No notebooks were matched" in res.reason


def test_a_config_that_fails_fails_that_feedback_alone(tmp_path):
    from dgmlab.grading.autograde import nbgrader_run as R

    course = _feedback_course(tmp_path)
    (course / "nbgrader_config.py").write_text("raise RuntimeError('broken config')\n")
    res = R.run_feedback(course, HW, "someone", timeout=60)
    assert not res.ok and "broken config" in res.reason
    _feedback_course(tmp_path)
    assert "No notebooks were matched" in R.run_feedback(course, HW, "someone", timeout=60).reason


def test_a_cell_that_ignores_the_interrupt_at_its_limit_times_out_saying_so(tmp_path):
    """A cell that catches the interrupt sent at its time limit is the student's code running past its limit, as a
    notebook past --timeout: "timed out" with the reason, never "failed", which says the grader failed (TA trial)."""
    course = make_course(tmp_path, {"ref": "ref"})
    nb = nbformat.read(course.root / "submitted" / "ref" / HW / f"{HW}.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "mean_square"]
    cell.source = ("import time\nwhile True:\n    try:\n        time.sleep(1000)\n    except BaseException:\n"
                   "        pass")
    stuck = course.root / "submitted" / "stuck" / HW / f"{HW}.ipynb"
    stuck.parent.mkdir(parents=True)
    nbformat.write(nb, stuck)
    results = {r.student: r for r in C.autograde(course, HW, options=RunOptions(
        workers=1, sandbox=False, cell_timeout=8, timeout=300, feedback=False))}
    assert results["ref"].status == "graded"  # its cells well within 8 s, even on a loaded machine
    assert results["stuck"].status == "timed out", results["stuck"].reason
    assert "did not stop when interrupted" in results["stuck"].reason
    timings = results["stuck"].timings  # the stuck cell's seconds are its own, not the kernel's stop (TA trial)
    assert timings["cells"] >= 8 > timings["kernel_stop"], str(timings)


def test_a_kernel_whose_processes_hold_more_than_its_memory_together_fails_saying_so(tmp_path):
    """An attacker's trial held 4 GB in in-memory files under a kernel's 8 GiB, each process within its own limit:
    the kernel's processes together are held to it (dgmlab.grading.isolation.tree_guard), and the class goes on."""
    from dgmlab.grading.isolation import kernel_sandbox as sandbox

    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    course = make_course(tmp_path, {"ref": "ref"})
    nb = nbformat.read(course.root / "submitted" / "ref" / HW / f"{HW}.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "mean_square"]
    cell.source = ("import os, time\nchunk = b'x' * 2 ** 20\nfor _ in range(22):\n    fd = os.memfd_create('hoard')\n"
                   "    for _ in range(100):\n        os.write(fd, chunk)\ntime.sleep(60)")  # RAM, not address space
    hog = course.root / "submitted" / "hog" / HW / f"{HW}.ipynb"
    hog.parent.mkdir(parents=True)
    nbformat.write(nb, hog)
    limits = sandbox.Limits(memory=2 * 2 ** 30, warm=False)
    results = {r.student: r for r in C.autograde(course, HW, options=RunOptions(
        workers=1, sandbox=True, limits=limits, timeout=300, feedback=False))}
    assert results["ref"].status == "graded", results["ref"].reason
    assert results["hog"].status == "failed", results["hog"].reason
    assert "GiB together, more than the 2 GiB a kernel may" in results["hog"].reason, results["hog"].reason


def test_a_kernel_that_sends_a_message_over_the_cap_fails_saying_so(tmp_path):
    """A signed message over kernels.MAX_MESSAGE_BYTES is refused unread (an attacker's trial put 9 GiB in a worker
    with 256 MiB messages); nothing the kernel sends after can arrive, so the grading stops saying why."""
    from dgmlab.grading.isolation import kernel_sandbox as sandbox
    from dgmlab.grading.isolation import kernels

    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    course = make_course(tmp_path, {"ref": "ref"})
    nb = nbformat.read(course.root / "submitted" / "ref" / HW / f"{HW}.ipynb", as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell(
        "k = get_ipython().kernel\n"
        f"k.session.send(k.iopub_socket, 'stream', {{'name': 'stdout', 'text': 'x' * {kernels.MAX_MESSAGE_BYTES + 1}}},"
        " parent=k.get_parent('shell'))"))
    big = course.root / "submitted" / "big" / HW / f"{HW}.ipynb"
    big.parent.mkdir(parents=True)
    nbformat.write(nb, big)
    results = {r.student: r for r in C.autograde(course, HW, options=RunOptions(
        workers=1, sandbox=True, limits=sandbox.Limits(warm=False), timeout=300, feedback=False))}
    assert results["ref"].status == "graded", results["ref"].reason
    assert results["big"].status == "failed", results["big"].reason
    assert "sent a message over 32 MiB, which the grader refuses" in results["big"].reason, results["big"].reason


def test_a_run_with_warm_kernels_forks_each_kernel_from_the_zygote(tmp_path):
    """Warm kernels, asked for, are forked from the worker's zygote in a real run: their PID 1 is the zygote's fork,
    not bwrap (a trial found a check made before nbgrader wrote the working folder starting every kernel cold)."""
    from dgmlab.grading.isolation import kernel_sandbox as sandbox

    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    course = make_course(tmp_path, {"ref": "ref", "ref2": "ref"})
    for student in ("ref", "ref2"):
        path = course.root / "submitted" / student / HW / f"{HW}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(1, nbformat.v4.new_code_cell("print('PID1', open('/proc/1/cmdline').read().split(chr(0)))"))
        nbformat.write(nb, path)
    results = C.autograde(course, HW, options=RunOptions(workers=1, sandbox=True, limits=sandbox.Limits(warm=True),
                                                         timeout=300, feedback=False))
    assert {r.status for r in results} == {"graded"}, [r.reason for r in results]
    for student in ("ref", "ref2"):
        graded = nbformat.read(course.root / "autograded" / student / HW / f"{HW}.ipynb", as_version=4)
        [said] = [o["text"] for c in graded.cells for o in c.get("outputs", []) if "PID1" in o.get("text", "")]
        assert "zygote" in said and "bwrap" not in said, said
