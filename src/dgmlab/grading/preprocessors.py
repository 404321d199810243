"""nbgrader preprocessors the course config (nbgrader_config.py) plugs in."""
from __future__ import annotations

import ast
import json
import os
import re
import time
from urllib.parse import urlsplit

from nbgrader.preprocessors import DeduplicateIds as _NbgraderDeduplicateIds
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Enum, Integer, Unicode

INSTALL_LINE = re.compile(r'^DGMLAB_INSTALL = .*$', re.MULTILINE)
from ..testing import HIDDEN_BEGIN, HIDDEN_END  # noqa: E402  (one definition; nbgrader's own delimiters)
HIDDEN_NOTE = "# (hidden tests: not shown)"


class InstallSourceError(ValueError):
    """The course's install source cannot go into a release notebook; the message says how to set it."""


# `<org>`, `<your-repo>`, `<tag>`: a template value nobody filled in.
PLACEHOLDER = re.compile(r"<[^<>\s]*[A-Za-z][^<>\s]*>")
# Example values this kit once shipped, which name no real repository.
RETIRED = {"github.com/dgm-course/dgm-course": "a repository that does not exist (the kit's old example value)"}


def how_to_set() -> str:
    """How to set the install source: its setting, the three forms, and the local-only way out."""
    v = _version()
    return (
        "Set c.SetInstallSource.install_source in nbgrader_config.py to one fixed dgmlab version, in one of "
        "three forms:\n"
        f'    c.SetInstallSource.install_source = "dgmlab=={v}"  # a release on PyPI\n'
        f'    c.SetInstallSource.install_source = "dgmlab @ git+https://github.com/<org>/<repo>@v{v}"  # a Git tag\n'
        f'    c.SetInstallSource.install_source = "https://<host>/<path>/dgmlab-{v}-py3-none-any.whl"  # a wheel URL\n'
        "(replace every <...>; docs/publishing.md shows how to publish each). To release for local use only "
        "(the setup cell then tells Colab users to ask their instructor): `dgmlab release --local-only`, or for "
        "plain nbgrader --SetInstallSource.local_only=True or c.SetInstallSource.local_only = True.")


def install_source_problem(value: str) -> str | None:
    """Why ``value`` cannot be the install source of a release notebook, or ``None`` if it can.

    Accepted: a requirement pinning one version (``dgmlab==X.Y.Z``), ``dgmlab @ git+URL@REF``, a
    direct URL (``dgmlab @ https://...``), or a wheel of dgmlab by URL or path. Refused: nothing set,
    ``<...>`` placeholders, the kit's retired example, another package, and a bare or ranged name
    (``dgmlab``, ``dgmlab>=0.1``): it installs whatever is newest on the index the day each student
    runs the cell, so a class gets different helpers, none of them the one the release was tested with.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    value = value.strip()
    if not value:
        return "no install source is set"
    found = PLACEHOLDER.search(value)
    if found:
        return f"the install source {value!r} still holds the placeholder {found.group()}"
    for retired, why in RETIRED.items():
        if retired in value:
            return f"the install source {value!r} names {retired}, {why}"
    try:
        req = Requirement(value)
    except InvalidRequirement:
        if not value.endswith(".whl"):
            return (f"the install source {value!r} is neither a pip requirement for dgmlab nor the URL or path "
                    f"of a dgmlab wheel (.whl)")
        try:
            name = parse_wheel_filename(value.rsplit("/", 1)[-1])[0]
        except InvalidWheelFilename as exc:
            return f"the install source {value!r} does not end in a valid wheel file name ({exc})"
    else:
        name = req.name
        if req.url is None:
            pins = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
            if len(pins) != 1 or len(req.specifier) != 1:
                return (f"the install source {value!r} does not pin one dgmlab version: Colab would install "
                        f"whatever is newest on the index that day (write e.g. dgmlab=={_version()})")
        elif req.url.startswith("git+") and "@" not in urlsplit(req.url[4:]).path:
            return f"the install source {value!r} names no Git tag: end the URL with @<tag>, e.g. @v{_version()}"
    if canonicalize_name(name) != "dgmlab":
        return f"the install source {value!r} installs the package {name!r}, not dgmlab"
    return None


def _version() -> str:
    from dgmlab import __version__

    return __version__


class SetInstallSource(NbGraderPreprocessor):
    """Write the course's dgmlab install source into the release setup cell, or refuse to release.

    The setup cell (grade_id ``setup``) holds a line ``DGMLAB_INSTALL = "..."``
    that Colab passes to ``pip install``; this preprocessor replaces its value
    with :attr:`install_source` so one setting serves every homework. An
    unset or placeholder source raises :class:`InstallSourceError` (so plain
    ``nbgrader generate_assignment`` refuses too) unless :attr:`local_only`
    is set; a local-only release gets an empty value, on which the setup
    cell stops in Colab with a message for the student.
    """

    install_source = Unicode(
        "",
        help="pip requirement Colab installs dgmlab from, one fixed version: 'dgmlab==X.Y.Z', "
             "'dgmlab @ git+https://...@TAG', or a wheel URL. See docs/publishing.md.",
    ).tag(config=True)
    local_only = Bool(
        False,
        help="Release for local use only: write no install source (the setup cell then tells Colab "
             "users to ask the instructor) instead of refusing when install_source is unset.",
    ).tag(config=True)

    def problem(self) -> str | None:
        """The error to raise for this configuration (what is wrong and how to set it), or ``None``."""
        if self.local_only:
            return None
        why = install_source_problem(self.install_source)
        if why is None:
            return None
        return f"refusing to write release notebooks: {why}.\n{how_to_set()}"

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade_id") == "setup":
            if not INSTALL_LINE.search(cell.source):
                raise ValueError("the setup cell has no line 'DGMLAB_INSTALL = ...' to set; rebuild the notebook "
                                 "with dgmlab build")
            problem = self.problem()
            if problem:
                raise InstallSourceError(problem)
            if self.local_only:
                line = 'DGMLAB_INSTALL = ""  # local-only release: the course set no install source for Colab'
            else:
                value = self.install_source.strip().replace("\\", "\\\\").replace('"', '\\"')
                line = f'DGMLAB_INSTALL = "{value}"  # where Colab installs dgmlab from: set by the course'
            cell.source = INSTALL_LINE.sub(lambda _: line, cell.source)
        return cell, resources


def strip_hidden(source: str) -> str:
    """``source`` with every hidden-tests region replaced by one note line."""
    out, hiding = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            hiding = True
            out.append(line[: len(line) - len(line.lstrip())] + HIDDEN_NOTE)
            continue
        if HIDDEN_END in line:
            hiding = False
            continue
        if not hiding:
            out.append(line)
    return "\n".join(out)


class HideHiddenTests(NbGraderPreprocessor):
    """For feedback: drop hidden test source and shorten tracebacks of test cells.

    A test cell's error output keeps its name and message (``TestsFailed: 1 of
    3 checks failed: ...``) but loses the traceback frames, which could quote
    hidden lines.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        is_test = cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
        if is_test:
            if HIDDEN_BEGIN in cell.source:
                cell.source = strip_hidden(cell.source)
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources


class DeduplicateIds(_NbgraderDeduplicateIds):
    """nbgrader's DeduplicateIds, fixed: a duplicated graded cell loses its nbgrader metadata entirely.

    nbgrader 0.9.6 leaves an empty ``nbgrader`` dict on the copy, which its own
    CheckCellMetadata then rejects as "an old version of the metadata format",
    failing the whole submission. A student who copied a test cell gets the
    original graded and the copy ignored instead.
    """

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if "nbgrader" in cell.get("metadata", {}) and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources


RAISES_TAG = "raises-exception"          # nbval (and nbclient) let a cell with this tag raise
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"    # dgmlab.authoring puts it on the first line of a checked cell


def may_run_a_stub(source: str) -> bool:
    """Whether running a release answer cell's ``source`` may reach a ``raise NotImplementedError()`` stub.

    Only a raise or a call outside function bodies can (a cell that just defines functions,
    classes without calls in their bodies, and constants runs no student code); source that does
    not parse counts as True."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue                      # its body runs only when something calls it
        if isinstance(node, (ast.Raise, ast.Call)):
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


class TagAnswerDependentCells(NbGraderPreprocessor):
    """For CI's nbval run of a release notebook: tag the cells a blank release fails in.

    nbval (``pytest --nbval-lax``) fails a notebook at the first cell that raises, unless the
    cell carries the ``raises-exception`` tag; a tagged cell that does not raise passes too.
    The source notebook runs the same cells with the reference answers and must run clean,
    so the tag goes on release cells only. Runs after ClearSolutions and tags

    - every test cell (grade, not solution): it calls the student's code;
    - every answer cell that may run a stub when run itself (see :func:`may_run_a_stub`);
    - every cell the builder marked ``uses_answers=True`` (metadata ``dgmlab.uses_answers``).

    It also drops the builder's ``dgmlab`` metadata and the ``# NBVAL_CHECK_OUTPUT`` line:
    a release carries no outputs to check, and students need neither.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        meta = cell.get("metadata", {})
        nbgrader = meta.get("nbgrader", {})
        builder = meta.pop("dgmlab", None) or {}
        is_test = bool(nbgrader.get("grade")) and not nbgrader.get("solution")
        is_raising_answer = bool(nbgrader.get("solution")) and may_run_a_stub(cell.source)
        if is_test or is_raising_answer or builder.get("uses_answers"):
            tags = list(meta.get("tags", []))
            if RAISES_TAG not in tags:
                meta["tags"] = tags + [RAISES_TAG]
        first, _, rest = cell.source.partition("\n")
        if first.strip() == CHECK_MARKER:
            cell.source = rest
        return cell, resources


UNJUDGED = "NotJudgedByTheGrader"  # the error name a test cell the grader did not judge shows


class ZeroUnjudgedTests(NbGraderPreprocessor):
    """Autograde, after ``JudgeTests``: a graded test cell the grader did not judge earns 0.

    nbgrader would read a test cell's score from what the kernel showed (an error: 0; a number:
    partial credit), and the kernel runs the student's code, which can show anything. So every
    graded test cell must be a ``check()`` cell (:mod:`dgmlab.grading.judge` decides those); any other
    gets an error output first, naming why, and nbgrader gives it 0. The course's author sees it in
    the log; a student reads the reason in the feedback.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if (cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
                and meta.get("grade_id") not in resources.get("dgmlab_judged", ())):
            from nbformat import from_dict

            why = ("this test cell does not call check(), so the grader cannot judge it; it earns 0 "
                   "(tell your instructor)")
            self.log.error("test cell %s earns 0: it is not a check() cell, and a score the kernel shows is never "
                           "trusted (write it as check(\"%s\", ...), see docs/authoring.md)",
                           meta.get("grade_id"), meta.get("grade_id"))
            cell.outputs = [from_dict({"output_type": "error", "ename": UNJUDGED, "evalue": why,
                                       "traceback": [f"{UNJUDGED}: {why}"]})]
        return cell, resources


# ------------------------------------------------------------------ timings
TIMINGS_ENV = "DGMLAB_TIMINGS_FILE"


class TimedExecute(Execute):
    """nbgrader's ``Execute``, also noting when the kernel was ready and when each code cell ran.

    The times (wall clock, seconds since the epoch) go, one JSON line per notebook, to
    :attr:`timings_file` (default ``$DGMLAB_TIMINGS_FILE``); without one this only executes. Its
    kernels are started by :class:`dgmlab.grading.sandbox.GradingKernelManager` (the sandbox's
    command, killed with their process tree when the grading's time is up). Only the scratch course
    a grading worker builds uses it (see :mod:`dgmlab.grading.cluster`).
    """

    timings_file = Unicode("", help="Append each notebook's timings here as a JSON line").tag(config=True)
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="'immediate' (default here): once the last cell has run, kill the kernel with its "
                                "process tree; a graceful exit (torch's teardown, atexit hooks) cost about 2 s "
                                "a grading and can change no grade").tag(config=True)

    max_cell_output = Integer(16 * 2**20, help="Bytes of output one cell may send while it runs; what comes after "
                                               "is dropped as it arrives, so a flood never piles up in the grader "
                                               "(errors are always kept; LimitOutputBytes then trims what is kept "
                                               "to its own caps). Above the largest probe (dgmlab.wire.MAX_BYTES)."
                              ).tag(config=True)
    max_notebook_output = Integer(64 * 2**20, help="The same for the whole notebook").tag(config=True)

    def __init__(self, *args, **kwargs):
        from .sandbox import GradingKernelManager

        kwargs.setdefault("kernel_manager_class", GradingKernelManager)  # nbgrader's Execute sets its own default
        super().__init__(*args, **kwargs)

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") != "error":
            size = len(content.get("text", "")) + sum(len(v) if isinstance(v, str) else len(json.dumps(v))
                                                      for v in content.get("data", {}).values())
            sizes = self._dgmlab_output
            sizes[cell_index] = sizes.get(cell_index, 0) + size
            sizes["all"] = sizes.get("all", 0) + size
            if sizes[cell_index] > self.max_cell_output or sizes["all"] > self.max_notebook_output:
                return None  # dropped on arrival
        return super().output(outs, msg, display_id, cell_index)

    def preprocess(self, nb, resources=None, km=None):
        self._dgmlab_output = {}
        self._dgmlab_timing = {"execute_start": time.time(), "kernel_ready": None, "cells": []}
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._dgmlab_timing["execute_end"] = time.time()
            path = self.timings_file or os.environ.get(TIMINGS_ENV)
            if path:
                with open(path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(self._dgmlab_timing) + "\n")

    def on_notebook_start(self, **kwargs):
        self._dgmlab_timing["kernel_ready"] = time.time()

    def on_cell_execute(self, **kwargs):
        self._dgmlab_cell_start = time.time()

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        meta = kwargs["cell"].metadata.get("nbgrader", {})
        kind = ("answer" if meta.get("solution") else "test" if meta.get("grade") else
                "locked" if meta.get("locked") else "other")
        self._dgmlab_timing["cells"].append({"index": kwargs["cell_index"], "grade_id": meta.get("grade_id"),
                                             "kind": kind, "start": self._dgmlab_cell_start, "end": time.time()})


def timed_autograde_preprocessors(current=None) -> list:
    """``Autograde.autograde_preprocessors`` (``current``, or nbgrader's default) with ``Execute`` timed."""
    from nbgrader.converters.autograde import Autograde

    if current is None:
        current = Autograde.class_traits()["autograde_preprocessors"].default()
    out = []
    for pre in current:
        name = pre if isinstance(pre, str) else f"{pre.__module__}.{pre.__name__}"
        out.append(TimedExecute if name in ("nbgrader.preprocessors.Execute", "nbgrader.preprocessors.execute.Execute")
                   else pre)
    return out
