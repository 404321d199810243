"""Judging a test cell: its tests run on the probe's decoded values (the kernel: the visible ones, while a student
works; the grader: all of them), each worth its share of the cell's points.

:func:`judge` is that decision; :func:`plan` the points each test is worth. A test is ``test_x(v, ref)``: ``v`` the
student's values (:class:`Answers`), ``ref`` the grader's (:class:`Ref`). See :mod:`dgmlab.probes`.
"""
from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

from .. import runtime
from . import wire
from .cell_spec import MAX_REASON, CheckSpec, NotAsAsked, TestFailure, make_inputs
from .points import SELF_CHECK, _split, fmt, points_text, tally
from .recorded_values import _JUDGED, expected

MAX_FILE_BYTES = 64 * 2**20  # a handed-in file a cell grades


def read_handed_in(folder: str | Path | None, name: str) -> bytes:
    """The bytes of the handed-in file ``name`` in ``folder``; fails the test when it is missing, a link or too large."""
    path = None if folder is None else Path(folder) / name
    if path is None or not path.is_file() or path.is_symlink():
        raise TestFailure(f"{name} was not handed in: save it in the homework folder and hand it in with "
                          f"the notebook")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise TestFailure(f"{name} holds {size} bytes, more than the {MAX_FILE_BYTES // 2**20} MiB graded")
    return path.read_bytes()


class HandedIn:
    """The files a cell grades, by name: ``files["x.pt"]`` is its bytes, or fails the test saying the
    file is missing or too large. ``folder`` is where they are read from (``None``: no file at all); or
    ``contents``, ``{name: bytes, or why it cannot be graded}``, read already (the judge reads no folder)."""

    def __init__(self, folder: str | Path | None, names: tuple[str, ...],
                 contents: dict[str, bytes | str] | None = None) -> None:
        self._folder, self._names, self._contents = folder, tuple(names), contents

    def __contains__(self, name: str) -> bool:
        if name not in self._names:
            raise TestFailure(f"{name} is not a file this cell grades")
        if self._contents is not None:
            return isinstance(self._contents.get(name), bytes)

        return self._folder is not None and (Path(self._folder) / name).is_file()

    def __getitem__(self, name: str) -> bytes:
        if name not in self._names:
            raise TestFailure(f"{name} is not a file this cell grades")
        if self._contents is None:
            return read_handed_in(self._folder, name)
        found = self._contents.get(name)
        if isinstance(found, bytes):
            return found
        raise TestFailure(found if isinstance(found, str) else f"{name} was not handed in: save it in the homework "
                          f"folder and hand it in with the notebook")


class Answers:
    """The decoded probe data as attributes (``v.f_inv``) plus ``v.inputs``, ``v.files`` (the files the
    cell grades, :class:`HandedIn`) and ``v.seeds`` (each graded file's draw seed); reading a value the
    student's code raised on, or could not hand back, fails the test with that reason."""

    def __init__(self, data: dict[str, Any], inputs: dict[str, Any], files: HandedIn | None = None,
                 seeds: dict[str, int | str] | None = None) -> None:
        self._data, self.inputs = data, _Inputs(inputs)
        self.files, self.seeds = files or HandedIn(None, ()), dict(seeds or {})

    def seed_of(self, name: str) -> int:
        """The seed to draw from handed-in file ``name`` with; fails the test when the file is refused."""
        seed = self.seeds.get(name, 0)
        if isinstance(seed, str):
            raise TestFailure(seed.removeprefix("refused: "))
        return int(seed)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._data:
            raise TestFailure(f"the check has no value {name!r} (was check() called with every answer?)")
        return usable(name, self._data[name])


class _Inputs(dict[str, Any]):
    __getattr__ = dict.__getitem__


# errors torch raises whose words do not say what to change in the student's code, and what to say besides
_DTYPE_HINT = ("a float64 tensor met a float32 one: keep the dtype of the inputs you are given (no torch.float64 "
               "or numpy in between, or .to(x.dtype) at the end)")
TORCH_HINTS = (("betas must be either both floats or both Tensors", "write each of Adam's betas as a float (0.0, "
                "not 0)"), ("Double did not match Float", _DTYPE_HINT), ("Float did not match Double", _DTYPE_HINT),
               ("expected scalar type Float but found Double", _DTYPE_HINT),
               ("expected scalar type Double but found Float", _DTYPE_HINT))


def torch_hint(message: str) -> str:
    """``": what to change"`` where ``message`` is one of torch's errors of :data:`TORCH_HINTS`, else ``""``."""
    return next((f": {said}" for words, said in TORCH_HINTS if words in message), "")


def usable(name: str, value: Any) -> Any:
    """``value``, or a :class:`TestFailure` saying why it cannot be tested."""
    if isinstance(value, wire.Raised):
        finding = value.message.removeprefix(f"{NotAsAsked.__name__}: ")
        if finding != value.message:  # the probe's own finding (cell_spec.NotAsAsked), not an error of the answer's
            raise TestFailure(finding)
        raise TestFailure(f"your code raised {value.message}{torch_hint(value.message)}")
    if isinstance(value, wire.Unreadable):
        raise TestFailure(f"{name} cannot be checked: {value.message}")
    if isinstance(value, wire.Unsupported):
        raise TestFailure(f"{name} is a {value.type_name}, which the checks cannot read")
    return value


class JudgedTest(NamedTuple):
    """One test of a judged cell: its name, its points, whether it is hidden, whether it passed, and why not."""

    name: str
    points: float
    hidden: bool
    passed: bool
    reason: str | None


@dataclass
class Judgement:
    earned: float
    points: float
    lines: list[str] = field(default_factory=list)
    results: list[JudgedTest] = field(default_factory=list)


def _weight(fn: Callable[..., Any]) -> float | None:
    return getattr(fn, "__dgmlab_points__", None)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() if isinstance(exc, AssertionError) else wire.describe_exception(exc)
    text = (text + torch_hint(text)) if text else "an assertion failed (no message)"  # a student's value met torch
    return text if len(text) <= MAX_REASON else text[:MAX_REASON] + " ..."


def _run(fn: Callable[..., Any], *args: Any) -> str | None:
    runtime.seed_everything(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args)
    except Exception as exc:  # the tests' own failures, and errors on odd student values
        return _reason(exc)
    return None


def _shares(spec: CheckSpec) -> tuple[float, float]:
    """``(points, hidden)`` of a spec whose points are filled in (:func:`dgmlab.probes.specs` fills them)."""
    if spec.points is None or spec.hidden is None:
        raise TypeError(f"test cell {spec.cell!r} has no points yet: read its spec with dgmlab.probes.specs")
    return spec.points, spec.hidden


def plan(spec: CheckSpec, *,
         hidden: tuple[Callable[..., Any], ...] | None = None) -> list[tuple[str, float, bool]]:
    """``[(name, points, hidden)]`` of a cell: the spec's visible tests, then, when given, its ``hidden`` tests (the
    grader's test functions of the cell: :func:`dgmlab.grading.hidden.tests`)."""
    total, hidden_share = _shares(spec)
    visible = _split(total - hidden_share, [(f.__name__, _weight(f)) for f in spec.visible],
                     "visible", strict=True)
    out = [(n, w, False) for n, w in visible]
    if hidden is not None:
        tests = [(f.__name__, _weight(f)) for f in hidden]
        out += [(n, w, True) for n, w in _split(hidden_share, tests, "hidden", strict=True)]
    return out


class Ref:
    """A test's second argument, ``ref``: what the student's values ``v`` are compared with.

    ``ref.name`` (or ``ref["name"]``) is the grader's reference value ``name`` for this cell's draw: recorded when the
    kit is built for the working seed (a self-check), computed by the judge on the grading seed's draw when graded
    (:func:`expected`). Only the grader's tests may use the rest: ``ref.cell(grade_id)``, the names the instructor's
    cell of that id defines (the kit's own networks), and ``ref.keep(name, data)``, a small file of bytes kept for the
    class dashboard."""

    def __init__(self, hw: str, cell: str, reference: Callable[[str], dict[str, Any]] | None = None,
                 keep: Callable[[str, bytes], None] | None = None) -> None:
        self._hw, self._cell = hw, cell
        self._reference, self._keep = reference or _no_reference, keep or _keep_nothing
        self._values: dict[str, Any] | None = None

    def _table(self) -> dict[str, Any]:
        if self._values is None:
            self._values = expected(self._hw, self._cell)
        return self._values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        table = self._table()
        if name not in table:
            raise TestFailure(f"the kit has no reference value {name!r} for {self._cell}: reinstall dgmlab")
        return table[name]

    def __contains__(self, name: object) -> bool:
        return name in self._table()

    def cell(self, grade_id: str) -> dict[str, Any]:
        """The names the instructor's cell ``grade_id`` defines (grader only)."""
        return self._reference(grade_id)

    def keep(self, name: str, data: bytes) -> None:
        """Keep ``data`` as the file ``name`` for the class dashboard (grader only; elsewhere nothing is kept)."""
        self._keep(name, data)


def takes_ref(fn: Callable[..., Any]) -> bool:
    """Whether the test ``fn`` is written ``test_x(v, ref)`` (the kit's convention) rather than ``test_x(v)``."""
    return len(inspect.signature(fn).parameters) >= 2


def judge(hw: str, spec: CheckSpec, data: object, seed: int, *, folder: str | Path | None = None,
          handed: dict[str, bytes | str] | None = None, seeds: dict[str, int | str] | None = None,
          reference: Callable[[str], dict[str, Any]] | None = None, keep: Callable[[str, bytes], None] | None = None,
          expected_at: Callable[[str, str, int], dict[str, Any]] | None = None,
          hidden: tuple[Callable[..., Any], ...] | None = None) -> Judgement:
    """Decide a test cell from its decoded probe ``data``: the visible tests, and when graded its ``hidden`` tests,
    the grader's test functions ``test_x(v, ref)`` of the cell (:func:`dgmlab.grading.hidden.tests`: a kit
    homework's ``homeworks/<hw>/hidden/``, a course's own ``hidden.py``); ``None``: not graded, the visible tests
    only (a student's self-check). Every test is a function called with ``v`` and ``ref``: no text of a cell is
    run and no name is handed in. Inputs are made here from ``seed``, never taken from the data. ``folder``: where
    the cell's handed-in files are read, or ``handed``: their contents (:class:`HandedIn`); ``seeds``: the draw
    seed of each graded file (``{name: int}``, or ``{name: "refused: why"}``); ``reference``:
    ``reference(grade_id) -> dict``, the names the instructor's cell of that id defines (``ref.cell``);
    ``keep(name, data)``: where hidden tests may leave a small file of bytes for the class dashboard
    (``ref.keep``; by default nothing is kept); ``expected_at(hw, cell, seed)``: the grader's references on
    ``seed``'s draw, what visible tests compare with off the working seed (:func:`expected`; default: the
    references handed over with :func:`dgmlab.probes.use_references`, if any). The lines are what the student reads."""
    token = _JUDGED.set((seed, expected_at))
    try:
        return _judge(hw, spec, data, seed, folder, handed, seeds, reference, keep, hidden)
    finally:
        _JUDGED.reset(token)


def _judge(hw: str, spec: CheckSpec, data: object, seed: int, folder: str | Path | None,
           handed: dict[str, bytes | str] | None, seeds: dict[str, int | str] | None,
           reference: Callable[[str], dict[str, Any]] | None, keep: Callable[[str, bytes], None] | None,
           hidden: tuple[Callable[..., Any], ...] | None) -> Judgement:
    inputs = make_inputs(spec, seed)
    total, _ = _shares(spec)
    results: list[JudgedTest] = []
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        data = {n: wire.Raised("the check's data is not a table of values") for n in spec.names}
    answers = Answers(data, inputs, HandedIn(folder, spec.files, handed), seeds)
    ref = Ref(hw, spec.cell, reference, keep)
    graded = hidden is not None
    tests = {f.__name__: f for f in (*spec.visible, *(hidden or ()))}
    for name, weight, is_hidden in plan(spec, hidden=hidden):
        fn = tests[name]
        reason = _run(fn, answers, ref) if takes_ref(fn) else _run(fn, answers)
        results.append(JudgedTest(name, weight, is_hidden, reason is None, reason))
    if graded:
        earned = tally(total, [(w, h, ok) for _, w, h, ok, _ in results])
    else:
        earned = round(sum(w for _, w, _, ok, _ in results if ok), 4)
    return Judgement(earned, total, _lines(spec, results, earned, graded), results)


def _keep_nothing(name: str, data: bytes) -> None:
    """``keep`` where nothing is kept (while a student works, in proofs, under plain ``judge``)."""


def _no_reference(grade_id: str) -> dict[str, Any]:
    raise TestFailure(f"the instructor's cell {grade_id!r} is not available to this judge")


def _noun(x: float) -> str:
    return "point" if fmt(x) == "1" else "points"


def _lines(spec: CheckSpec, results: list[JudgedTest], earned: float, graded: bool) -> list[str]:
    total, hidden_share = _shares(spec)
    lines = []
    for name, weight, hidden, ok, reason in results:
        tag = " (hidden test)" if hidden else ""
        lines.append(f"passed {name}: {fmt(weight)} of {points_text(weight)}{tag}" if ok
                     else f"FAILED {name}: 0 of {points_text(weight)}{tag}. {reason}")
    visible_total = total - hidden_share
    visible_earned = sum(w for _, w, hidden, ok, _ in results if ok and not hidden)
    if graded:
        lines.append(f"{fmt(earned)} of {points_text(total)} ({fmt(visible_earned)} of "
                     f"{fmt(visible_total)} visible, {fmt(earned - visible_earned)} of {fmt(hidden_share)} hidden)")
    else:
        more = (f"; {fmt(hidden_share)} more {'point is' if fmt(hidden_share) == '1' else 'points are'} decided by "
                f"hidden tests when graded" + (f" ({spec.hidden_for})" if spec.hidden_for else "") if hidden_share else "")
        lines.append(f"{fmt(visible_earned)} of {fmt(visible_total)} visible {_noun(visible_total)}{more}. "
                     f"Self-check the whole notebook: {SELF_CHECK}.")
    return lines
