"""nbgrader's autograde and generate_feedback converters (:mod:`..nbgrader_app`) on a scratch course: autograde in
the grading worker's own process, with a watchdog that kills the grading's kernels at its time limit; generate_feedback
in a child process (:mod:`.feedback_process`), killed at its time limit (see :mod:`dgmlab.grading.autograde`).
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
import threading
import uuid
from pathlib import Path

from .. import layout
from ..judge import judge_process
from ..nbgrader_app import (
    NBGRADER_LOCK,
    autograde_converter,
    converter_log,
    nbgrader_config,
    run_converter,
    temporary_environment,
)
from ..preprocessors import trusted_sanitize_preprocessors
from .feedback_process import FEEDBACK_TEMPLATES, FeedbackProcess, feedback_template  # noqa: F401 (tests import them here)

# Seconds a grading's nbgrader code may still run after its time limit killed its kernels; past that
# the worker process exits (Dask then reports the submission as killing its worker).
STOP_GRACE = 60.0


def _exit_worker() -> None:
    """Exit this grading worker at once (a hung grading): its judge process goes with it, never left running."""
    judge_process.stop()
    os._exit(70)


def _in_dask_worker() -> bool:
    """Whether this is a Dask worker process of its own (which may exit: Dask then retries or fails the task).
    Call it in the task's thread: ``get_worker()`` fails in any other. A worker inside the coordinating process
    (an in-process LocalCluster) is not one: exiting would end the coordinator."""
    if "distributed" not in sys.modules:  # a Dask worker has imported it; not imported only to ask (Gradescope)
        return False
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return multiprocessing.parent_process() is not None


def run_autograde(root: Path, hw: str, student: str, *, timeout: float, cell_timeout=None, box=None,
                  timings_file: Path | None = None, env: dict | None = None, probe_seed: int = 0,
                  draw_seeds: str = "") -> layout.StepResult:
    """nbgrader's autograde of ``student``'s ``hw`` in the scratch course ``root``, in this process.

    nbgrader, traitlets and nbconvert stay imported between gradings; only the kernel is a new
    process (through ``box``, the sandbox, when given). After ``timeout`` seconds a watchdog kills
    the kernels this grading started with their whole process trees and lets it start no other; the
    result is then ``timed_out``. Should nbgrader's own code still not return :data:`STOP_GRACE`
    seconds later, a grading worker exits (Dask reports the submission as killing its worker). ``env``: variables
    set (``None``: removed) for an unsandboxed kernel of this grading only (``box`` was given them itself).
    ``probe_seed``: the seed of the inputs check() test cells are judged on (:mod:`dgmlab.grading.judge.judge`);
    ``draw_seeds``: the graded draws' seeds as JSON, for the judge (never the kernel).
    """
    from ..isolation import kernels

    grading_id = f"{student}-{uuid.uuid4().hex}"
    config = _autograde_config(root, hw, student, grading_id, cell_timeout, box, timings_file, probe_seed, draw_seeds)
    log = converter_log()
    done, fired = threading.Event(), threading.Event()

    exit_on_hang = _in_dask_worker()  # here, in the task's thread (the watchdog's thread cannot tell)

    def watchdog():
        if done.wait(timeout):
            return
        fired.set()
        kernels.stop_kernels(grading_id)
        if not done.wait(STOP_GRACE) and exit_on_hang:
            log.error("grading %s did not stop %g s after its time limit: exiting this worker", grading_id,
                      STOP_GRACE)
            _exit_worker()

    guard = threading.Thread(target=watchdog, name=f"dgmlab-watchdog-{student}", daemon=True)
    args = ["autograde", hw, "--student", student, "--force"]
    with NBGRADER_LOCK, temporary_environment(env or {}):
        try:
            guard.start()
            res = run_converter(autograde_converter(config, log), args)
        finally:
            done.set()
            kernels.stop_kernels(grading_id)  # nothing is left running, whatever happened
            killed = kernels.why_killed(grading_id)
            kernels.forget(grading_id)
    res.timed_out = fired.is_set()
    if killed and not res.ok:  # the kernel's processes passed its limits together: say so, not "it died"
        res.failure = f"{killed}, so it was stopped and the notebook not graded"
    return res


def _autograde_config(root: Path, hw: str, student: str, grading_id: str, cell_timeout, box, timings_file,
                      probe_seed: int, draw_seeds: str):
    """The nbgrader config of one grading (:func:`run_autograde`'s arguments)."""
    config = nbgrader_config(root, hw, student)
    config.Autograde.create_student = True
    # every cell's nbgrader metadata from the gradebook, never the submission's, even where the course's
    # nbgrader_config.py predates TrustSourceCells (dgmlab.grading.preprocessors.trusted_cells)
    config.Autograde.sanitize_preprocessors = trusted_sanitize_preprocessors(
        config.Autograde.get("sanitize_preprocessors"))
    config.ProbeTests.seed = int(probe_seed)
    config.JudgeTests.draw_seeds = draw_seeds  # the grader draws from the files as handed in
    if cell_timeout:
        config.Execute.timeout = int(cell_timeout)
    config.GradingKernelManager.grading_id = grading_id
    if timings_file is not None:
        config.TimedExecute.timings_file = str(timings_file)
    if box is not None:
        box.configure(config)
    return config


FEEDBACK_TIMEOUT = 120.0  # seconds generate_feedback may take for one submission (it takes about 1 s)


FEEDBACK = FeedbackProcess()  # this process's feedback child, kept from one feedback to the next
atexit.register(FEEDBACK.stop)


def run_feedback(root: Path, hw: str, student: str, *, timeout: float = FEEDBACK_TIMEOUT) -> layout.StepResult:
    """nbgrader's generate_feedback of ``student``'s ``hw`` in the scratch course ``root``, in a child process
    (:mod:`.feedback_process`) killed with its process group after ``timeout`` seconds: the result then fails with the
    reason and ``timed_out``, and the grade stands."""
    return FEEDBACK.run(root, hw, student, timeout)
