"""run_autograder's rules (dgmlab.grading.gradescope.run): the due time from Gradescope's submission metadata under the
course's minute rule, and a kernel that cannot start failing the autograder, never scoring 0."""
import datetime as dt
import time

import pytest

from dgmlab.grading.autograde.task_records import Outcome
from dgmlab.grading.gradescope import run
from dgmlab.grading.term import late as L

DUE = "2025-03-01T23:59:00.000000-05:00"


def test_a_submission_within_the_due_minute_is_on_time_as_in_the_course():
    due, _ = run.due_date({"assignment": {"due_date": DUE}})
    submitted = dt.datetime.fromisoformat("2025-03-01T23:59:30.123456-05:00")
    assert L.POLICIES["ten_percent_2days"].apply(10.0, submitted, due).final == 10.0
    assert L.POLICIES["ten_percent_2days"].apply(10.0, submitted + dt.timedelta(seconds=30), due).final == 9.0


def test_the_students_own_due_date_in_the_metadata_is_taken_over_the_assignments():
    meta = {"assignment": {"due_date": DUE},
            "users": [{"id": 1, "assignment": {"due_date": "2025-03-03T23:59:00-05:00"}},
                      {"id": 2, "assignment": {"due_date": "2025-03-02T23:59:00-05:00"}}]}
    due, whose = run.due_date(meta)
    assert due == dt.datetime.fromisoformat("2025-03-03T23:59:59-05:00") and "own" in whose


def test_without_the_students_own_date_the_assignments_counts():
    due, whose = run.due_date({"assignment": {"due_date": DUE}, "users": [{"id": 1, "email": "a@b"}]})
    assert due == dt.datetime.fromisoformat("2025-03-01T23:59:59-05:00") and "assignment" in whose


def test_a_kernel_that_never_answered_is_a_grader_failure_not_a_zero():
    graded = Outcome(student="student", status="failed", reason="RuntimeError: Kernel died before replying to "
                                                                 "kernel_info")
    with pytest.raises(run.GraderFailure, match="kernel could not start"):
        run.grader_fault(graded)


def test_a_kernel_killed_by_the_submission_is_the_submissions_failure():
    graded = Outcome(student="student", status="failed", reason="the kernel died while running the notebook "
                                                                 "(os._exit, a crash, or running out of memory)")
    run.grader_fault(graded)  # graded as failed: 0, with the reason


def test_a_grader_failure_writes_no_results_so_gradescope_shows_a_failed_autograder(monkeypatch, tmp_path):
    def fail(root):
        raise run.GraderFailure("the kernel could not start")

    monkeypatch.setattr(run, "grade", fail)
    assert run.main(["--root", str(tmp_path)]) == 1
    assert not (tmp_path / "results" / "results.json").exists()


def test_a_kernel_user_that_could_not_be_stopped_is_a_grader_failure():
    from dgmlab.grading.isolation.processes import SURVIVED

    graded = Outcome(student="student", status="failed", reason=f"RuntimeError: {SURVIVED}: processes [12] of user "
                                                                 "999 outlived 20 rounds of SIGKILL")
    with pytest.raises(run.GraderFailure, match="could not be stopped"):
        run.grader_fault(graded)


def test_peak_memory_counts_pages_a_fork_shares_once():
    """The judge forks a child per notebook: their shared pages are the container's once, not once a process."""
    import subprocess
    import sys

    import psutil

    size = 200 * 2 ** 20
    # A fresh interpreter (not this test worker, whose other children would count) writes `size` bytes, so they are
    # resident, forks a child that shares them, and says so.
    script = (f"import os, sys, time\ndata = b'x' * {size}\n"
              "if os.fork() == 0:\n    time.sleep(30); os._exit(0)\n"
              "print('ready', flush=True); time.sleep(30)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        tree = [psutil.Process(parent.pid), *psutil.Process(parent.pid).children(recursive=True)]
        assert len(tree) == 2
        rss_sum = sum(p.memory_info().rss for p in tree)
        with run.PeakMemory(every=0.05, pid=parent.pid) as mem:
            time.sleep(0.5)
    finally:
        for p in psutil.Process(parent.pid).children(recursive=True):
            p.kill()
        parent.kill()
        parent.wait()
    assert size < mem.peak < 0.75 * rss_sum
