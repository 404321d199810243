"""A tiny pytest-style runner for notebook test cells, with points per test.

A test cell defines ``test_*`` functions and ends with ``run_tests()``::

    from dgmlab.testing import points, run_tests

    @points(2)
    def test_returns_a_tensor():
        assert isinstance(out, torch.Tensor), "flow_log_prob must return a torch.Tensor"

    ### BEGIN HIDDEN TESTS
    def test_matches_torch_distributions():
        ...
    ### END HIDDEN TESTS

    run_tests(points=5, hidden=3)

``run_tests`` runs the ``test_*`` functions *defined in the calling cell* (in
source order, each after a fresh seed) and prints one line per test. The
functions are then removed from the namespace so the next cell starts clean.

**All or nothing** (``run_tests()``, no ``points``): if any test failed it raises
:class:`TestsFailed`, whose traceback is replaced by a short report (which check
failed and its message, never hidden source), so nbgrader gives the cell 0.
While grading, a cell whose tests all passed also shows a signed verdict (see
below): without it the grader gives the cell 0, so replacing ``run_tests`` with
a function that checks nothing earns nothing.

**Points per test** (``run_tests(points=P, hidden=H)``, the cell opts in): every
test runs, each line says its points, and the cell's result (its last
expression) is a :class:`Score`: a single number, the points earned, which
nbgrader reads as the cell's partial credit. ``P`` is the cell's points (the
builder checks it equals the nbgrader metadata) and ``H`` how many of them the
hidden tests decide. ``@points(w)`` gives a test ``w`` points; the tests without
it share what is left of their group (visible: ``P - H``, hidden: ``H``) equally.
:func:`plan` reads all this from the cell's source, so the kernel, the builder
and the grader compute the same weights. While grading, the score is signed
with a key made at the setup cell; the grader (``dgmlab.grading.preprocessors.
VerifyScores``) accepts only a signed score whose test list gives its number.
"""
from __future__ import annotations

import ast
import hashlib
import hmac
import inspect
import json
import linecache
import os
import sys
import warnings
from dataclasses import dataclass

from . import checks, integrity, runtime  # noqa: F401  (checks: recorded by the integrity snapshot)

MAX_MESSAGE = 600  # characters of one failure message shown to a student
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
SCORE_MIME = "application/vnd.dgmlab.score+json"      # the score bundle a points cell displays
SESSION_MIME = "application/vnd.dgmlab.session+json"  # the setup cell's signing key, while grading
VERDICT_MIME = "application/vnd.dgmlab.verdict+json"  # an all-or-nothing cell's signed "all passed", while grading
SELF_CHECK = "run dgmlab.check() in a cell (or `dgmlab check <notebook>` in a terminal)"


class TestsFailed(AssertionError):
    """Raised by :func:`run_tests` when a check fails; displays only the report."""

    __test__ = False  # not a pytest test class

    def __init__(self, report: str):
        super().__init__(report)
        self.report = report

    def _render_traceback_(self):  # IPython uses this instead of the traceback
        return [f"TestsFailed: {self.report}"]


class PlanError(ValueError):
    """A test cell's points do not add up (an authoring error); the message says what to change."""


def points(weight: float):
    """Decorator: this test is worth ``weight`` points of its cell (see :func:`plan`)."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        raise PlanError(f"@points({weight!r}): a test's points must be a positive number")

    def mark(fn):
        fn.__dgmlab_points__ = weight
        return fn
    return mark


# ---------------------------------------------------------------- the plan of a cell
@dataclass(frozen=True)
class TestSpec:
    name: str
    points: float
    hidden: bool

    __test__ = False


@dataclass(frozen=True)
class Plan:
    """A points cell: its points, the points hidden tests decide, and each test's share."""

    points: float
    hidden: float
    tests: tuple


def _number(node, what: str) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    raise PlanError(f"{what} must be a plain number written in the cell (found {ast.unparse(node)!r})")


def _hidden_lines(source: str) -> set:
    lines, hiding = set(), False
    for i, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN in line:
            hiding = True
        elif HIDDEN_END in line:
            hiding = False
        elif hiding:
            lines.add(i)
    return lines


def _split(budget: float, tests: list, group: str, strict: bool) -> list:
    fixed = sum(w for _, w in tests if w is not None)
    free = [name for name, w in tests if w is None]
    if fixed > budget + 1e-9:
        raise PlanError(f"the {group} tests' @points add up to {fixed:g}, more than the {budget:g} points "
                        f"they share: lower them or change run_tests(points=..., hidden=...)")
    if not free and tests and abs(fixed - budget) > 1e-9 and strict:
        raise PlanError(f"the {group} tests' @points add up to {fixed:g}, not the {budget:g} points they share: "
                        f"make them add up or leave one test without @points")
    if strict and budget > 0 and not tests:
        raise PlanError(f"{budget:g} points go to {group} tests but the cell has none: "
                        f"change run_tests(points=..., hidden=...)")
    share = (budget - fixed) / len(free) if free else 0.0
    if free and share <= 0:
        raise PlanError(f"the {group} tests without @points get no points: lower the others' @points")
    return [(name, share if w is None else w) for name, w in tests]


def plan(source: str, *, strict: bool = False) -> Plan | None:
    """The points :class:`Plan` of a test cell's ``source``, or ``None`` for an all-or-nothing cell.

    The cell opts in with ``run_tests(points=P, hidden=H)`` (numbers written in the
    cell). Tests inside the hidden-tests markers are hidden. ``strict`` (the
    builder, on the instructor's source): the hidden points must go to hidden
    tests that are there. Raises :class:`PlanError` on points that cannot add up.
    """
    tree = ast.parse(source)
    call = None
    for node in tree.body:
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", getattr(node.value.func, "attr", None)) == "run_tests"):
            call = node.value
    if call is None:
        return None
    kw = {k.arg: k.value for k in call.keywords}
    if "points" not in kw:
        return None
    total = _number(kw["points"], "run_tests(points=...)")
    hidden_total = _number(kw["hidden"], "run_tests(hidden=...)") if "hidden" in kw else 0.0
    if total <= 0 or not 0 <= hidden_total <= total:
        raise PlanError(f"run_tests(points={total:g}, hidden={hidden_total:g}): need points > 0 and "
                        f"0 <= hidden <= points")
    hidden_lines = _hidden_lines(source)
    groups = {False: [], True: []}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        weight = None
        for dec in node.decorator_list:
            if isinstance(dec, ast.Call) and getattr(dec.func, "id", getattr(dec.func, "attr", None)) == "points":
                if len(dec.args) != 1 or dec.keywords:
                    raise PlanError(f"{node.name}: write @points(<number>)")
                weight = _number(dec.args[0], f"@points of {node.name}")
                if weight <= 0:
                    raise PlanError(f"@points of {node.name} must be positive")
        groups[node.lineno in hidden_lines].append((node.name, weight))
    specs = []
    visible = _split(total - hidden_total, groups[False], "visible", strict=True)
    hidden = _split(hidden_total, groups[True], "hidden", strict=strict or bool(groups[True]))
    names = [n for n, _ in visible + hidden]
    if len(set(names)) != len(names):
        raise PlanError(f"a test name is used twice in the cell: {sorted(n for n in names if names.count(n) > 1)}")
    specs = [TestSpec(n, w, False) for n, w in visible] + [TestSpec(n, w, True) for n, w in hidden]
    order = {n: i for i, n in enumerate(n.name for n in tree.body if isinstance(n, ast.FunctionDef))}
    specs.sort(key=lambda s: order[s.name])
    return Plan(points=total, hidden=hidden_total, tests=tuple(specs))


def tally(cell_plan: Plan, passed: list) -> float:
    """Points earned when the tests of ``cell_plan`` passed as ``passed`` says (four decimals, at most
    the cell's points; all passed with the hidden tests there: exactly the cell's points)."""
    if len(passed) != len(cell_plan.tests):
        raise ValueError("one pass/fail flag per test of the plan")
    if all(passed) and any(s.hidden for s in cell_plan.tests):
        return cell_plan.points
    return round(min(cell_plan.points, sum(s.points for s, ok in zip(cell_plan.tests, passed) if ok)), 4)


def fmt(x: float) -> str:
    """A number of points as students read it: ``2``, ``1.5``, ``0.33``."""
    return f"{round(x, 2):g}"


def score_text(x: float) -> str:
    """The text of a score nbgrader reads (four decimals)."""
    return f"{round(x, 4):g}"


# ---------------------------------------------------------------- signing (grading only)
class _Signer:
    """Signs score bundles with a key made at first import (the setup cell, before student code)."""

    def __init__(self):
        key = os.urandom(32)
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._announce = key.hex()
        self.seq = 0

    def announce(self) -> str | None:
        """The key, once (the setup cell shows it to the grader); ``None`` after that."""
        key, self._announce = self._announce, None
        return key

    def sign(self, payload: dict) -> str:
        mac = self._mac.copy()
        mac.update(canonical(payload))
        return mac.hexdigest()


def canonical(payload: dict) -> bytes:
    """The bytes a score bundle's signature covers (everything but ``mac``)."""
    body = {k: v for k, v in payload.items() if k != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def verify(payload: dict, key_hex: str) -> bool:
    """Whether ``payload['mac']`` is the signature of ``payload`` under the key ``key_hex``."""
    try:
        key = bytes.fromhex(key_hex)
    except (TypeError, ValueError):
        return False
    want = hmac.new(key, canonical(payload), hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, str(payload.get("mac", "")))


def cell_digest(source: str) -> str:
    """What a score bundle says about the cell that made it: a hash of its source (stripped)."""
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()


_signer = _Signer()


def _grading_display():
    """IPython's ``display`` while grading in a kernel; ``None`` otherwise (nothing to show then)."""
    if not runtime.is_grading():
        return None
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return None
    return display if get_ipython() is not None else None


def announce_session() -> None:
    """While grading in a kernel, show the signing key in the setup cell's output (once, for the grader)."""
    display = _grading_display()
    if display is None:
        return
    key = _signer.announce()
    if key:
        display({SESSION_MIME: {"key": key}}, raw=True)


def _show_verdict(source: str, names: list) -> None:
    """While grading, show that this all-or-nothing cell's tests all passed, signed (a display, not a
    result: nbgrader reads no number from it). The grader requires it (``scores.score_problem``)."""
    display = _grading_display()
    if display is None:
        return
    _signer.seq += 1
    bundle = {"v": 1, "passed": True, "seq": _signer.seq, "cell": cell_digest(source), "tests": list(names)}
    bundle["mac"] = _signer.sign(bundle)
    display({VERDICT_MIME: bundle}, raw=True)


class Score(float):
    """A points cell's result: displays as one number (nbgrader's partial credit) plus the signed bundle."""

    def __new__(cls, earned: float, bundle: dict):
        obj = super().__new__(cls, earned)
        obj.bundle = bundle
        return obj

    def __repr__(self):
        return score_text(float(self))

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": score_text(float(self)), SCORE_MIME: self.bundle}


# ---------------------------------------------------------------- running
def _describe(exc: BaseException) -> str:
    try:
        msg = str(exc).strip()
    except Exception:  # a student's exception whose __str__ fails
        msg = ""
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


def _check_integrity(namespace, tests) -> None:
    tampered, ipython_tampered, restore = _GUARD  # bound at import: patching dgmlab.integrity changes nothing here
    replaced = tampered() + ipython_tampered()
    if integrity._originals is not _ORIGINALS or _ORIGINALS != _ORIGINALS_COPY:
        replaced.append("dgmlab.integrity's record of the originals")
        _ORIGINALS.clear()
        _ORIGINALS.update(_ORIGINALS_COPY)
        integrity._originals = _ORIGINALS
    if integrity._protected is not _PROTECTED or any(
            _PROTECTED.get(k) is not v for k, v in _PROTECTED_SHADOW.items()):
        replaced.append("dgmlab.integrity's record of protected notebook names")
        integrity._protected = _PROTECTED
        _PROTECTED.update(_PROTECTED_SHADOW)
    if replaced:
        restore()
        for name, test in tests:
            if namespace.get(name) is test:
                del namespace[name]
        raise TestsFailed(f"functions the tests rely on were replaced by code in this notebook: "
                          f"{', '.join(replaced[:8])}. Remove the code that patches them and rerun.")


def _run_one(test, seed: int) -> str | None:
    """Run one test; ``None`` if it passed, else the short reason."""
    runtime.seed_everything(seed)
    try:
        test()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit too: a test must not end the kernel
        return _describe(exc)
    return None


def run_tests(namespace: dict | None = None, *, seed: int = 0, quiet: bool = False,
              points: float | None = None, hidden: float = 0, source: str | None = None):
    """Run the calling cell's ``test_*`` functions.

    Without ``points`` (all or nothing): raise :class:`TestsFailed` if any fails, and return
    ``None`` (nbgrader would read a displayed number as a partial-credit score).
    With ``points`` (see the module docstring): return the :class:`Score` earned.
    Raises ``RuntimeError`` when the cell defines no test (a test cell that checks nothing must
    not pass), :class:`TestsFailed` when code in the notebook replaced what the tests rely on.
    ``source`` is the cell's text (default: read from the calling cell).
    """
    caller = sys._getframe(1)
    filename = None
    if namespace is None:
        namespace = caller.f_globals
        filename = caller.f_code.co_filename
    tests = collect(namespace, filename)
    if not tests:
        raise RuntimeError("run_tests() found no test_* function in this cell")
    _check_integrity(namespace, tests)
    if source is None:
        source = "".join(linecache.getlines(filename)) if filename else ""
    if points is None:
        _all_or_nothing(namespace, tests, seed, quiet)
        _show_verdict(source, [name for name, _ in tests])
        return None
    try:
        cell_plan = plan(source)
    except (SyntaxError, PlanError) as exc:
        raise RuntimeError(f"run_tests(points=...) cannot read this cell's points: {exc}") from None
    if cell_plan is None or abs(cell_plan.points - points) > 1e-9 or abs(cell_plan.hidden - hidden) > 1e-9:
        raise RuntimeError("run_tests(points=...) must be called with numbers written in the test cell itself")
    return _with_points(namespace, tests, cell_plan, source, seed, quiet)


def _all_or_nothing(namespace, tests, seed, quiet):
    failures, lines = [], []
    try:
        for name, test in tests:
            reason = _run_one(test, seed)
            if reason is None:
                lines.append(f"passed {name}")
            else:
                failures.append((name, reason))
                lines.append(f"FAILED {name}: {reason}")
    finally:
        for name, test in tests:
            if namespace.get(name) is test:
                del namespace[name]
    _check_integrity(namespace, [])  # a student function the tests called may have patched something
    if not quiet:
        print("\n".join(lines))
    if failures:
        report = f"{len(failures)} of {len(tests)} checks failed:\n" + "\n".join(
            f"  - {name}: {msg}" for name, msg in failures)
        raise TestsFailed(report)


def _with_points(namespace, tests, cell_plan, source, seed, quiet):
    found = dict(tests)
    results, lines = [], []
    try:
        for spec in cell_plan.tests:
            test = found.get(spec.name)
            with warnings.catch_warnings():  # a warning on stderr would zero the cell in nbgrader
                warnings.simplefilter("ignore")
                reason = "this test was not defined" if test is None else _run_one(test, seed)
            results.append((spec, reason))
    finally:
        for name, test in tests:
            if namespace.get(name) is test:
                del namespace[name]
    _check_integrity(namespace, [])  # a student function the tests called may have patched something
    earned = tally(cell_plan, [reason is None for _, reason in results])
    visible_earned = sum(s.points for s, r in results if r is None and not s.hidden)
    hidden_present = any(s.hidden for s in cell_plan.tests)
    for spec, reason in results:
        tag = " (hidden test)" if spec.hidden else ""
        if reason is None:
            lines.append(f"passed {spec.name}: {fmt(spec.points)} of {fmt(spec.points)} points{tag}")
        else:
            lines.append(f"FAILED {spec.name}: 0 of {fmt(spec.points)} points{tag}. {reason}")
    visible_total = cell_plan.points - cell_plan.hidden
    if hidden_present:
        lines.append(f"{fmt(earned)} of {fmt(cell_plan.points)} points "
                     f"({fmt(visible_earned)} of {fmt(visible_total)} visible, "
                     f"{fmt(earned - visible_earned)} of {fmt(cell_plan.hidden)} hidden)")
    else:
        more = (f"; {fmt(cell_plan.hidden)} more points are decided by hidden tests when graded"
                if cell_plan.hidden else "")
        lines.append(f"{fmt(visible_earned)} of {fmt(visible_total)} visible points{more}. "
                     f"Self-check the whole notebook: {SELF_CHECK}.")
    if not quiet:
        print("\n".join(lines))
    _signer.seq += 1
    bundle = {"v": 1, "points": cell_plan.points, "earned": earned, "seq": _signer.seq,
              "cell": cell_digest(source),
              "tests": [{"name": s.name, "points": s.points, "hidden": s.hidden, "passed": r is None}
                        for s, r in results]}
    bundle["mac"] = _signer.sign(bundle)
    return Score(earned, bundle)


integrity.snapshot()  # on first import (the setup cell), before any student code runs
_GUARD = (integrity.tampered, integrity.ipython_tampered, integrity.restore)
_ORIGINALS = integrity._originals
_ORIGINALS_COPY = dict(_ORIGINALS)
_PROTECTED = integrity._protected
_PROTECTED_SHADOW = integrity._shadow  # what integrity.protect recorded, held here too (bound at import)
