"""nbgrader's autograde and generate_feedback converters, run in a grading worker's own process on a scratch
course, with a watchdog that kills the grading's kernels at its time limit (see :mod:`.cluster`).
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

from .. import layout as C
from ..nbgrader_app import NBGRADER_LOCK, converter_log, nbgrader_config, run_converter, temporary_environment

# Seconds a grading's nbgrader code may still run after its time limit killed its kernels; past that
# the worker process exits (Dask then reports the submission as killing its worker).
STOP_GRACE = 60.0


def _exit_worker() -> None:
    """Exit this grading worker at once (a hung grading): its judge process goes with it, never left running."""
    from ..judge import judge_process

    judge_process.stop()
    os._exit(70)


def _in_dask_worker() -> bool:
    """Whether this is a Dask worker process of its own (which may exit: Dask then retries or fails the task).
    Call it in the task's thread: ``get_worker()`` fails in any other. A worker inside the coordinating process
    (an in-process LocalCluster) is not one: exiting would end the coordinator."""
    import multiprocessing

    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return multiprocessing.parent_process() is not None


def run_autograde(root: Path, hw: str, student: str, *, timeout: float, cell_timeout=None, box=None,
                  timings_file: Path | None = None, env: dict | None = None, probe_seed: int = 0,
                  draw_seeds: str = "") -> C.StepResult:
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
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from ..isolation import kernels as K
    from ..preprocessors import trusted_sanitize_preprocessors

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
    grading_id = f"{student}-{uuid.uuid4().hex}"
    config.GradingKernelManager.grading_id = grading_id
    if timings_file is not None:
        config.TimedExecute.timings_file = str(timings_file)
    if box is not None:
        box.configure(config)
    log = converter_log()
    done, fired = threading.Event(), threading.Event()

    exit_on_hang = _in_dask_worker()  # here, in the task's thread (the watchdog's thread cannot tell)

    def watchdog():
        if done.wait(timeout):
            return
        fired.set()
        K.stop_kernels(grading_id)
        if not done.wait(STOP_GRACE) and exit_on_hang:
            log.error("grading %s did not stop %g s after its time limit: exiting this worker", grading_id,
                      STOP_GRACE)
            _exit_worker()

    guard = threading.Thread(target=watchdog, name=f"dgmlab-watchdog-{student}", daemon=True)
    args = ["autograde", hw, "--student", student, "--force"]
    with NBGRADER_LOCK, temporary_environment(env or {}):
        try:
            guard.start()
            converter = Autograde(coursedir=CourseDirectory(config=config), config=config, log=log)
            res = run_converter(converter, args)
        finally:
            done.set()
            K.stop_kernels(grading_id)  # nothing is left running, whatever happened
            K.forget(grading_id)
    res.timed_out = fired.is_set()
    return res


FEEDBACK_TIMEOUT = 120.0  # seconds generate_feedback may take for one submission (it takes about 1 s)


class FeedbackTimeoutError(BaseException):
    """Raised in the thread running generate_feedback when its time is up (a BaseException, so that no
    ``except Exception`` on the way swallows it)."""


def _raise_in(thread_id: int, exc) -> None:
    """Schedule ``exc`` (a class; ``None``: cancel a scheduled one) in the Python thread ``thread_id``."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               None if exc is None else ctypes.py_object(exc))


FEEDBACK_TEMPLATES = Path(__file__).parents[1] / "templates"  # dgmlab_feedback/: nbgrader's feedback page, accessible


def _feedback_template(config):
    """``config`` with the feedback page drawn by dgmlab's ``dgmlab_feedback`` template (nbgrader's ``feedback``
    with a language, landmarks, a level-one heading, unique ids, readable contrast and a text alternative for every
    image: docs/dashboard.md, "Accessibility"), unless the course's nbgrader_config.py names a template of its own;
    and always with the page plug-ins of :mod:`dgmlab.grading.preprocessors.feedback_page` (a page made without what
    nbconvert cannot draw, saying so; scores rounded as every export rounds them), even where the course's
    nbgrader_config.py predates them."""
    import nbgrader

    from ..preprocessors.feedback_page import feedback_preprocessors

    config.GenerateFeedback.preprocessors = feedback_preprocessors(config.GenerateFeedback.get("preprocessors"))
    if {"template_name", "template_file", "extra_template_basedirs"} & set(config.HTMLExporter):
        return config
    config.HTMLExporter.template_name = "dgmlab_feedback"
    config.HTMLExporter.template_file = "feedback.html.j2"  # it extends nbgrader's index.html.j2
    config.HTMLExporter.extra_template_basedirs = [
        str(FEEDBACK_TEMPLATES), str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")]
    return config


def run_feedback(root: Path, hw: str, student: str, *, timeout: float = FEEDBACK_TIMEOUT) -> C.StepResult:
    """nbgrader's generate_feedback of ``student``'s ``hw`` in the scratch course ``root``, in this process.

    It runs no student code, but it renders what the kernel left (outputs, Markdown) into HTML. After ``timeout``
    seconds a watchdog raises :class:`FeedbackTimeoutError` in it (again every second until it stops): the result
    then fails with the reason and ``timed_out``, and the grade stands. Work in one long C call (a regular
    expression) is not interrupted that way: should it not stop :data:`STOP_GRACE` seconds later, a grading
    worker exits, as for autograde."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    config = _feedback_template(nbgrader_config(root, hw, student))
    args = ["generate_feedback", hw, "--student", student, "--force"]
    log = converter_log()
    target = threading.get_ident()
    done, fired, state = threading.Event(), threading.Event(), threading.Lock()
    exit_on_hang = _in_dask_worker()

    def watchdog():
        if done.wait(timeout):
            return
        fired.set()
        end = time.monotonic() + STOP_GRACE
        while True:
            with state:  # never once the converter has returned
                if done.is_set():
                    return
                _raise_in(target, FeedbackTimeoutError)
            if done.wait(1.0):
                return
            if time.monotonic() > end and exit_on_hang:
                log.error("feedback of %s did not stop %g s after its time limit: exiting this worker", student,
                          STOP_GRACE)
                _exit_worker()

    t0, res = time.monotonic(), None
    with NBGRADER_LOCK:
        threading.Thread(target=watchdog, name=f"dgmlab-feedback-watchdog-{student}", daemon=True).start()
        while not done.is_set():  # an exception the watchdog raised just as the converter returned lands here
            try:
                if res is None:
                    converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config, log=log)
                    res = run_converter(converter, args)
                with state:
                    done.set()
                    _raise_in(target, None)  # one scheduled just before is dropped
            except FeedbackTimeoutError:  # raised outside nbgrader's own catch-all
                if res is None:
                    res = C.StepResult(args, 1, "", time.monotonic() - t0)
    if fired.is_set():
        res = C.StepResult(args, 1, f"[ERROR] generating the feedback took longer than {timeout:g} s; "
                                    "it was stopped", time.monotonic() - t0, timed_out=True)
    return res
