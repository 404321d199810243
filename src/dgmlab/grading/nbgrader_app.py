"""nbgrader's apps run in this process as an instructor's ``nbgrader ...`` command would run them in the course
folder: its config (:func:`nbgrader_config`), one converter at a time with the command's environment
(:func:`as_nbgrader_command`), a converter's run and log as a step's result (:func:`run_converter`), why a notebook
failed (:func:`failure_reason`). Release, the export, the deadlines' policies and autograding's worker
(:mod:`.autograde.nbgrader_run`) all go through it.

One of the three modules of dgmlab that import nbgrader (tests/kit/test_nbgrader_imports.py), each import inside the
function that needs it (the CLI imports this module): nbgrader's converters (:func:`generate_assignment`,
:func:`autograde_converter`, :func:`feedback_converter`), its export plugins (:func:`export_plugin_class`), its log
capture (:func:`start_logged`), and the few readings its apps make that dgmlab must make alike: a ``timestamp.txt``
(:func:`nbgrader_utc`), the files a converter copies (:func:`ignored_by_nbgrader`), its feedback page's templates
(:func:`formgrader_templates`). The other two: :mod:`.nbgrader_gradebook` and :mod:`.nbgrader_preprocessing`.
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
    result = start_logged(converter)
    output = result.get("log", "") + ("" if stopped else result.get("error", ""))
    failure = failure_reason(raised[-1]) if raised and not result["success"] else None
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


def start_logged(app) -> dict:
    """``app.start()`` with its log captured, as nbgrader's ``capture_log`` runs it: ``{"success": bool, "log":
    text (if any), "error": traceback (on failure)}``."""
    from nbgrader.utils import capture_log

    return capture_log(app)


# failure_reason's words for a cell that ran past its limit and went on when interrupted (one that catches
# KeyboardInterrupt or BaseException, or never returns to Python): the student's code, so the grading is "timed out"
CELL_STUCK = "a cell ran past its time limit and did not stop when interrupted (does it catch KeyboardInterrupt?)"


def failure_reason(exc: BaseException) -> str:
    """A one-line, readable cause of a notebook's failed conversion, from the exception that failed it: the failures
    a grading knows (from nbclient and nbgrader) by their type, any other as its type and first line."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbgrader.api import MissingEntry
    from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError
    from nbgrader.preprocessors.execute import UnresponsiveKernelError

    if isinstance(exc, DeadKernelError):
        return "the kernel died while running the notebook (os._exit, a crash, or running out of memory)"
    if isinstance(exc, (CellTimeoutError, TimeoutError, UnresponsiveKernelError)):
        return CELL_STUCK
    if isinstance(exc, (SchemaTooOldError, SchemaTooNewError)):
        return ("the notebook's nbgrader cell metadata is damaged (a graded cell was copied or edited outside "
                "Jupyter)")
    if isinstance(exc, MissingEntry):
        return "the notebook does not match this homework's release (wrong notebook submitted?)"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__


def generate_assignment(config, args: list) -> layout.StepResult:
    """nbgrader's ``GenerateAssignment`` converter configured by ``config``, run (:func:`run_converter`) as the
    command ``args`` (``nbgrader generate_assignment ...``) runs it: its ``NbGraderException`` ends the output as
    the app's does, without a traceback. Call it inside :func:`as_nbgrader_command`."""
    from nbgrader.converters import GenerateAssignment, NbGraderException
    from nbgrader.coursedir import CourseDirectory

    converter = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config, log=converter_log())
    return run_converter(converter, args, quiet=(NbGraderException,))


def autograde_converter(config, log):
    """nbgrader's autograde converter for ``config`` (run it with :func:`run_converter`)."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    return Autograde(coursedir=CourseDirectory(config=config), config=config, log=log)


def feedback_converter(config, log):
    """nbgrader's generate_feedback converter for ``config``."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    return GenerateFeedback(coursedir=CourseDirectory(config=config), config=config, log=log)


def formgrader_templates() -> Path:
    """Where nbgrader keeps its templates, among them feedback/index.html.j2, which dgmlab's feedback page extends."""
    import nbgrader

    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


def export_plugin_named(config):
    """What ``config``'s ``c.ExportApp.plugin_class`` names (a class or its dotted name), nbgrader's
    ``CsvExportPlugin`` when unset, as ``nbgrader export`` reads it."""
    from nbgrader.plugins import CsvExportPlugin

    return config.ExportApp.get("plugin_class", CsvExportPlugin)


def export_plugin_class(named):
    """The class ``named`` (:func:`export_plugin_named`): a dotted name imported the way nbgrader's apps import it;
    raises what importing it raises."""
    from traitlets.utils.importstring import import_item

    return import_item(named) if isinstance(named, str) else named


def is_export_plugin(plugin_class) -> bool:
    """Whether ``plugin_class`` is an ``nbgrader.plugins.ExportPlugin`` class (what ``nbgrader export`` runs)."""
    from nbgrader.plugins import ExportPlugin

    return isinstance(plugin_class, type) and issubclass(plugin_class, ExportPlugin)


def is_nbgrader_csv(plugin_class) -> bool:
    """Whether ``plugin_class`` is nbgrader's own ``CsvExportPlugin`` (whose CSV dgmlab completes)."""
    from nbgrader.plugins import CsvExportPlugin

    return plugin_class is CsvExportPlugin


def nbgrader_utc(text: str):
    """The naive UTC ``datetime`` nbgrader's autograde reads a ``timestamp.txt`` holding ``text`` as (its
    ``parse_utc``); raises what it raises on text it cannot read."""
    from nbgrader.utils import parse_utc

    return parse_utc(text)


def ignored_by_nbgrader(path: Path, globs) -> bool:
    """Whether nbgrader's converters leave the file ``path`` out of what they copy, by the course's
    ``c.CourseDirectory.ignore`` ``globs`` (matched on its name, as nbgrader's ``is_ignored`` matches)."""
    from nbgrader.utils import is_ignored

    return is_ignored(str(path), globs)
