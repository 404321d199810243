"""nbgrader's apps run in this process as an instructor's ``nbgrader ...`` command would run them in the course
folder: its config (:func:`nbgrader_config`), one converter at a time with the command's environment
(:func:`as_nbgrader_command`), a converter's run and log as a step's result (:func:`run_converter`). Release, the
export, the deadlines' policies and autograding's worker (:mod:`.autograde.nbgrader_run`) all go through it.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from pathlib import Path

from . import layout

# nbgrader's converters change the process's working folder and environment while they run: one at a
# time per worker process (a worker with several threads grades one submission after another).
NBGRADER_LOCK = threading.Lock()


def nbgrader_config(root: Path, hw: str, student: str | None = None):
    """The course ``root``'s nbgrader config, as ``nbgrader autograde <hw> --student <student> --force`` sees it
    (without ``student``, as ``nbgrader generate_assignment <hw> --force`` does)."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.assignment_id = hw
    if student is not None:
        config.CourseDirectory.student_id = student
    config.BaseConverter.force = True
    return config


@contextlib.contextmanager
def as_nbgrader_command(root: Path):
    """What an instructor's ``python -m nbgrader ...`` run in the course ``root`` has, for nbgrader's API called in
    this process: one converter at a time (:data:`NBGRADER_LOCK`), ``NBGRADER_EXECUTION`` unset, this Python's
    ``bin/`` first on ``PATH`` (nbgrader runs ``alembic`` by name to make a gradebook) and ``root`` on ``sys.path``
    (last: a module the config names may live in the course folder, as nbgrader's apps import from theirs)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    added = str(root) not in sys.path
    with NBGRADER_LOCK, temporary_environment({"NBGRADER_EXECUTION": None, "PATH": path}):
        if added:
            sys.path.append(str(root))
        try:
            yield
        finally:
            if added and str(root) in sys.path:
                sys.path.remove(str(root))


def converter_log() -> logging.Logger:
    """The logger nbgrader's converters write to in a worker (capture_log reads it per run)."""
    log = logging.getLogger("dgmlab.grading.nbgrader")
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


def run_converter(converter, args: list, quiet: tuple = ()) -> layout.StepResult:
    """``converter.start()`` as nbgrader's API does (its log captured), as a :class:`StepResult` whose ``failure``
    says why a notebook failed, from the exception that failed it (nbgrader itself only logs it). ``quiet``: the
    exception types ``start()`` may end with whose traceback the output leaves out, as nbgrader's apps exit on
    their ``NbGraderException`` without one (the log already says why), so that the output ends as theirs does."""
    from nbgrader.utils import capture_log

    raised, stopped = [], []
    convert = converter.convert_single_notebook
    start = converter.start

    def keeping_the_failure(notebook_filename):
        try:
            return convert(notebook_filename)
        except Exception as exc:  # nbgrader catches it next and logs it; the reason is read from it here
            raised.append(exc)
            raise

    def noting_the_end():
        try:
            return start()
        except quiet as exc:
            stopped.append(exc)
            raise

    converter.convert_single_notebook = keeping_the_failure
    if quiet:
        converter.start = noting_the_end
    t0 = time.monotonic()
    result = capture_log(converter)
    output = result.get("log", "") + ("" if stopped else result.get("error", ""))
    failure = layout.failure_reason(raised[-1]) if raised and not result["success"] else None
    return layout.StepResult(args, 0 if result["success"] else 1, output, time.monotonic() - t0, failure=failure)


@contextlib.contextmanager
def temporary_environment(env: dict):
    """``os.environ`` with ``env`` set (``None``: removed; a kernel started meanwhile inherits it), as it was
    afterwards."""
    saved = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
