"""A tiny pytest-style runner for notebook test cells.

A test cell defines ``test_*`` functions and ends with ``run_tests()``::

    from dgmlab.testing import run_tests

    def test_returns_a_tensor():
        assert isinstance(out, torch.Tensor), "flow_log_prob must return a torch.Tensor"

    ### BEGIN HIDDEN TESTS
    def test_matches_torch_distributions():
        ...
    ### END HIDDEN TESTS

    run_tests()

``run_tests`` runs the ``test_*`` functions *defined in the calling cell* (in
source order, each after a fresh seed), prints one line per test, and, if any
failed, raises :class:`TestsFailed`. Its traceback is replaced by that short
report, so a student sees which check failed and its message, never the
source lines of hidden tests. The functions are then removed from the
namespace so the next cell starts clean.
"""
from __future__ import annotations

import inspect
import sys
import traceback

from . import checks, integrity, runtime  # noqa: F401  (checks: recorded by the integrity snapshot)

MAX_MESSAGE = 600  # characters of one failure message shown to a student


class TestsFailed(AssertionError):
    """Raised by :func:`run_tests` when a check fails; displays only the report."""

    __test__ = False  # not a pytest test class

    def __init__(self, report: str):
        super().__init__(report)
        self.report = report

    def _render_traceback_(self):  # IPython uses this instead of the traceback
        return [f"TestsFailed: {self.report}"]


def _describe(exc: BaseException) -> str:
    msg = str(exc).strip()
    name = type(exc).__name__
    if isinstance(exc, AssertionError):
        text = msg or "an assertion failed (no message)"
    else:
        text = f"{name}: {msg}" if msg else name
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + " ..."
    return text


def collect(namespace: dict, filename: str | None = None) -> list:
    """``(name, function)`` for the ``test_*`` functions of ``namespace``, in source order.

    With ``filename``, only those defined in that file (the calling cell).
    """
    tests = []
    for name, obj in list(namespace.items()):
        if not name.startswith("test_") or not inspect.isfunction(obj):
            continue
        code = obj.__code__
        if filename is not None and code.co_filename != filename:
            continue
        tests.append((name, obj))
    return sorted(tests, key=lambda item: item[1].__code__.co_firstlineno)


def run_tests(namespace: dict | None = None, *, seed: int = 0, quiet: bool = False) -> None:
    """Run the calling cell's ``test_*`` functions; raise :class:`TestsFailed` if any fails.

    Returns ``None`` on purpose: nbgrader would read a number displayed as a
    test cell's result as a partial-credit score. Raises ``RuntimeError``
    when the cell defines no test (a test cell that checks nothing must not pass).
    """
    caller = sys._getframe(1)
    filename = None
    if namespace is None:
        namespace = caller.f_globals
        filename = caller.f_code.co_filename
    tests = collect(namespace, filename)
    if not tests:
        raise RuntimeError("run_tests() found no test_* function in this cell")
    replaced = integrity.tampered()
    if replaced:
        integrity.restore()
        for name, test in tests:
            if namespace.get(name) is test:
                del namespace[name]
        raise TestsFailed(f"functions the tests rely on were replaced by code in this notebook: "
                          f"{', '.join(replaced[:8])}. Remove the code that patches them and rerun.")
    failures, lines = [], []
    try:
        for name, test in tests:
            runtime.seed_everything(seed)
            try:
                test()
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # SystemExit too: a test must not end the kernel
                failures.append((name, _describe(exc)))
                lines.append(f"FAILED {name}: {_describe(exc)}")
            else:
                lines.append(f"passed {name}")
    finally:
        for name, test in tests:
            if namespace.get(name) is test:
                del namespace[name]
    if not quiet:
        print("\n".join(lines))
    if failures:
        report = f"{len(failures)} of {len(tests)} checks failed:\n" + "\n".join(
            f"  - {name}: {msg}" for name, msg in failures)
        raise TestsFailed(report)


def format_exception_short(exc: BaseException) -> str:
    """One line naming an exception, for reports outside IPython."""
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


integrity.snapshot()  # on first import (the setup cell), before any student code runs
