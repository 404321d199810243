"""Graded test cells: the student's kernel computes, the grader judges.

A test cell in a homework notebook is one call::

    from dgmlab.probes import check
    check("q4_generator_losses_tests", saturating_loss, non_saturating_loss)

``check`` looks up the cell's :class:`CheckSpec` (``homeworks.<hw>.checks``, the homework the setup
cell named), runs its *probe*: the student's objects called on inputs made from a seed, what they
return kept as plain data (:mod:`dgmlab.probes.wire`), and then

- while a student works: runs the cell's visible tests on that data and prints each test's points
  and, when it fails, a hint that says what is wrong (never what the answer is);
- while the notebook is graded: only shows the data (``PROBE_MIME``). The grader
  (:mod:`dgmlab.grading.judge.judge`, in its own process) decodes it as untrusted input, makes the inputs
  again from its own seed, and runs the visible tests and the hidden tests (the grader's alone: a kit
  homework's in ``homeworks/<hw>/hidden/``, a course's own in its ``hidden.py``, both imported through
  :mod:`dgmlab.grading.hidden`; never in the kernel) to decide the cell's points.

:func:`judge` (:mod:`.judging`) is that decision; the kernel (visible tests only) and the grader (all) share it, so a
student's preview and the grade agree on the visible points. Each test carries its points, ``@points(w)``
(:func:`dgmlab.probes.points.points`): a cell is worth their sum, the hidden tests' share theirs (:data:`POINTS_FILE`,
a course's beside its ``checks.py``). An older course ``checks.py`` may give a spec's ``points`` and ``hidden`` (equal
to the sums); there a test without ``@points`` shares what is left of its group's equally.

The kit's homeworks keep their specs in ``homeworks.<hw>.checks`` (in the kit's repository ``homeworks/<hw>/checks/``,
beside the homework's statement: :data:`KIT_HOMEWORKS`). A course's own homework keeps them in
a file ``checks.py`` beside its notebook (``source/<hw>/checks.py``, released with it): the kernel
reads the copy in its folder, the grader only ever the course's (:func:`load_checks`).
"""
from __future__ import annotations

import ast
import contextvars
import dataclasses
import hashlib
import importlib
import json
import re
import sys
import types
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

import homeworks

from .. import runtime, workspace
from . import wire
from .points import PlanError, derive

PROBE_MIME = "application/vnd.dgmlab.probe+json"
MAX_REASON = 600  # characters of one failure reason


@dataclass(frozen=True)
class CheckSpec:
    """What one graded test cell hands the grader, and its visible tests.

    ``cell``: the test cell's grade_id; ``points``/``hidden``: the cell's points and how many of them
    hidden tests decide (left out: its tests' ``@points(w)`` are the one place they are written, and :func:`specs`
    fills in their sums from :data:`POINTS_FILE`; an older course ``checks.py`` may give them, equal to those
    sums: :func:`derive_points`); ``names``: the notebook objects
    ``check`` receives, in order;
    ``probe(objects, inputs) -> dict``: what the grader gets (default: the objects themselves, for
    values such as sympy expressions); ``inputs(seed) -> dict``: inputs made from the seed, the same in
    the kernel and the grader; ``visible``: test functions ``test_x(v, ref)``, ``v`` the decoded data;
    ``files``: names of handed-in files the cell grades. The grader reads them from the submission as
    it was handed in (the kernel never sends them); while a student works, from the homework folder.
    ``hidden_for``: the requirements the hidden points are for, which the cell's printed line names.
    """

    cell: str
    points: float | None = None  # None: its tests' @points, summed (a kit homework's POINTS_FILE)
    hidden: float | None = None  # None: with points, 0; without, its hidden tests' @points, summed
    names: tuple = ()
    visible: tuple = ()
    probe: Callable | None = None
    inputs: Callable | None = None
    files: tuple = ()  # files the student hands in that this cell grades (read by the grader, as handed in)
    hidden_for: str = ""  # what the hidden tests decide, in the statement's words (the cell's printed line says it)

    def __post_init__(self):
        if self.points is not None and self.hidden is None:  # a course's spec with no hidden tests
            object.__setattr__(self, "hidden", 0.0)


class TestFailure(AssertionError):
    """A test failed: its message is what the student reads."""

    __test__ = False


# ------------------------------------------------------------------ the registry
CHECKS_FILE = "checks.py"  # a course's own homework: its specs, beside its notebook
_course_checks: dict = {}  # {hw: (sha256 of its checks.py, module)} loaded by load_checks


def _valid_name(hw) -> bool:
    return isinstance(hw, str) and hw.replace("_", "").isalnum()


def optional_module(name: str):
    """The module ``name``, or ``None`` when there is none (an import error inside it still raises)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def remembered(cache: dict, size: int, key, make: Callable, errors=(AssertionError,)):
    """``make()``, kept in ``cache`` under ``key`` with the ``size`` last used (a judge lives on from one grading to the
    next, and a handed-in file's draw is read by several tests): what it returned, or, when it raised one of
    ``errors``, that failure raised again (as AssertionError) on every later use of ``key``."""
    if key not in cache:
        try:
            cache[key] = make()
        except errors as exc:
            cache[key] = str(exc)
        while len(cache) > size:
            cache.pop(next(iter(cache)))  # the least recently used
    found = cache[key] = cache.pop(key)
    if isinstance(found, str):
        raise AssertionError(found)
    return found


# The kit's homeworks, read from the folders of the package `homeworks`: each one's checks live beside its
# statement, in the package homeworks.<hw>.checks (homeworks/<hw>/checks/: the visible tests and the recorded values,
# expected.json), the only part of homeworks/<hw>/ the student package ships (the rest holds the solutions).
KIT_HOMEWORKS = homeworks.names()


def checks_package(hw: str) -> str:
    """The name of kit homework ``hw``'s visible tests: ``homeworks.<hw>.checks``."""
    return f"{homeworks.__name__}.{hw}.{homeworks.CHECKS}"


def _kit_module(hw: str):
    """The kit's ``homeworks.<hw>.checks``, or ``None`` when the kit has no such homework."""
    return optional_module(checks_package(hw)) if hw in KIT_HOMEWORKS else None


def load_checks(hw: str, folder) -> bool:
    """Use ``folder/checks.py`` as the specs of ``hw``, a course's own homework (the kit's homeworks
    always use ``homeworks.<hw>.checks``); returns whether ``hw`` now has specs. The file is run as Python
    (the course's own code: the grader loads it from ``source/<hw>/``, never from a submission), and
    again when it changed."""
    if not _valid_name(hw):
        raise KeyError(f"no homework {hw!r}")
    if _kit_module(hw) is not None:
        return True
    path = Path(folder) / CHECKS_FILE
    if not path.is_file():
        return hw in _course_checks
    recorded = Path(folder) / EXPECTED_FILE  # its recorded values, what a self-check's visible tests compare with
    if recorded.is_file():
        _course_expected[hw] = wire.loads(recorded.read_text(encoding="utf-8"))
    else:
        _course_expected.pop(hw, None)
    summed = Path(folder) / POINTS_FILE  # its cells' points, its tests' @points summed by dgmlab build
    if summed.is_file():
        use_points(hw, json.loads(summed.read_text(encoding="utf-8")))
    else:  # an older homework's checks.py gives each CheckSpec's points itself
        use_points(hw, {})
    return load_checks_text(hw, path.read_text(encoding="utf-8"), str(path))


def course_module(name: str, text: str, filename: str):
    """A module ``name`` made by running ``text``, a file of the course's own (its ``checks.py`` or ``hidden.py``,
    read by the grader from ``source/<hw>/``, never from a submission), registered in ``sys.modules``."""
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module  # dataclasses and pickling look their module up by name
    # the instructor's code, never a submission's; optimize=0 keeps its `assert`s under -O or PYTHONOPTIMIZE
    exec(compile(text, filename, "exec", optimize=0), module.__dict__)
    return module


def load_checks_text(hw: str, text: str, filename: str | None = None) -> bool:
    """:func:`load_checks` from the text of the course's ``checks.py`` (what the judge is handed: it reads no
    course folder); run again only when the text changed."""
    if not _valid_name(hw):
        raise KeyError(f"no homework {hw!r}")
    if _kit_module(hw) is not None:
        return True
    stamp = hashlib.sha256(text.encode()).hexdigest()
    if _course_checks.get(hw, (None,))[0] != stamp:
        filename = filename or f"source/{hw}/{CHECKS_FILE}"
        module = course_module(f"dgmlab_course_checks_{hw}", text, filename)
        if not isinstance(getattr(module, "CHECKS", None), (list, tuple)):
            raise ValueError(f"{filename} defines no CHECKS: list the homework's CheckSpec objects in CHECKS")
        _course_checks[hw] = (stamp, module)
    return True


def _module(hw: str):
    if not _valid_name(hw):
        raise KeyError(f"no homework {hw!r}")
    module = _kit_module(hw)
    if module is None and hw in _course_checks:
        module = _course_checks[hw][1]
    if module is None:
        raise KeyError(f"homework {hw!r} has no checks: the kit has no {checks_package(hw)} and no {CHECKS_FILE} "
                       f"beside its notebook was loaded")
    return module


# in homeworks.<hw>.checks: {test cell: {"points": total, "hidden": share}}, its tests' @points summed
# (points.derive), written by dgmlab build: the student package has no hidden tests to sum
POINTS_FILE = "points.json"
_points: dict = {}  # {hw: {test cell: {"points": total, "hidden": share}}}
_specs_cache: dict = {}  # {hw: (the CHECKS list, {cell: CheckSpec})}


def cell_points(hw: str) -> dict:
    """``{test cell: {"points": total, "hidden": share}}`` of kit homework ``hw``, its tests' ``@points`` summed
    (``dgmlab build`` records them in :data:`POINTS_FILE`; while it builds, :func:`use_points`)."""
    if hw not in _points:
        try:
            text = resources.files(checks_package(hw)).joinpath(POINTS_FILE).read_text(encoding="utf-8")
        except (FileNotFoundError, ModuleNotFoundError):
            text = "{}"
        _points[hw] = _read_points(json.loads(text))
    return _points[hw]


def _read_points(table: dict) -> dict:
    return {str(k): {"points": float(v["points"]), "hidden": float(v["hidden"])} for k, v in table.items()}


def use_points(hw: str, table: dict) -> None:
    """Take ``table`` (``{test cell: {"points": total, "hidden": share}}``, :func:`derive_points` of the homework
    being built) as ``hw``'s points."""
    _points[hw] = _read_points(table)
    _specs_cache.pop(hw, None)


def derive_points(hw: str, hidden_of: Callable) -> dict:
    """``{test cell: {"points": total, "hidden": share}}`` of homework ``hw`` from its tests' ``@points``
    (:func:`dgmlab.probes.points.derive`); ``hidden_of(cell)``: the cell's hidden tests
    (:func:`dgmlab.grading.hidden.tests`). Raises :class:`PlanError` naming a cell whose points are not all there.
    A course's own ``checks.py`` may still give a CheckSpec's ``points``/``hidden``: kept when they equal the sums
    (or when some test has no ``@points`` to sum), a PlanError saying to delete them when not."""
    out = {}
    for spec in _module(hw).CHECKS:
        given = spec.points is not None or spec.hidden is not None
        if given and hw not in _course_checks:
            raise PlanError(f"test cell {spec.cell!r}: its CheckSpec in homeworks.{hw}.checks gives points or hidden, "
                            f"but a kit homework's are its tests' @points summed: remove them from the CheckSpec")
        tests = (*spec.visible, *hidden_of(spec.cell))
        if spec.points is not None and any(getattr(f, "__dgmlab_points__", None) is None for f in tests):
            out[spec.cell] = {"points": spec.points, "hidden": spec.hidden or 0}  # an older course checks.py: its
            continue                                                # tests without @points share what it gives
        out[spec.cell] = derive(spec.cell, spec.visible, tuple(hidden_of(spec.cell)))
        summed = out[spec.cell]
        if given and (spec.points is None or abs(spec.points - summed["points"]) > 1e-9
                      or abs((spec.hidden or 0) - summed["hidden"]) > 1e-9):  # an older course checks.py, not agreeing
            written = ", ".join(f"{k}={v:g}" for k, v in (("points", spec.points), ("hidden", spec.hidden))
                                if v is not None)
            raise PlanError(f"test cell {spec.cell!r}: its CheckSpec in {CHECKS_FILE} gives {written}, but its tests' "
                            f"@points add up to {summed['points']:g} ({summed['hidden']:g} hidden): delete points= and "
                            "hidden= from the CheckSpec (a cell is worth its tests' @points), or correct the @points")
    return out


def specs(hw: str) -> dict:
    """``{test cell grade_id: CheckSpec}`` of homework ``hw`` (``homeworks.<hw>.checks``, or the course's
    ``checks.py`` that :func:`load_checks` loaded), each with its points."""
    checks = _module(hw).CHECKS
    cached = _specs_cache.get(hw)
    if cached is not None and cached[0] is checks:
        return dict(cached[1])
    out = {}
    for spec in checks:
        if spec.points is None:
            table = cell_points(hw)
            if spec.cell not in table:
                raise KeyError(f"{hw} has no points for {spec.cell}: its tests' @points are summed by "
                               f"`dgmlab build {hw}` into {POINTS_FILE}")
            if spec.hidden is not None:
                raise PlanError(f"test cell {spec.cell!r}: CheckSpec(hidden=...) without points: a kit homework's "
                                f"hidden share is its hidden tests' @points summed, so remove hidden=")
            spec = dataclasses.replace(spec, **table[spec.cell])
        out[spec.cell] = spec
    _specs_cache[hw] = (checks, out)
    return dict(out)


def spec_for(hw: str, cell: str) -> CheckSpec:
    found = specs(hw).get(cell)
    if found is None:
        raise KeyError(f"homework {hw!r} has no check {cell!r}")
    return found


# ------------------------------------------------------------------ lazy imports the homework modules share
# (the registry imports a homework's module without paying for torch or sympy until a probe or test needs them)
def _np():
    import numpy as np

    return np


def _sp():
    import sympy as sp

    return sp


def _torch():
    import torch

    return torch


# ------------------------------------------------------------------ kernel side: probing
def attempt(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, or :class:`dgmlab.probes.wire.Raised` with the error when it raises."""
    try:
        return fn(*args, **kwargs)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit too: a student's function must not end the probe
        return wire.Raised(wire.describe_exception(exc))


def seeded_generator(seed: int, salt: int):
    """A ``torch.Generator`` for one cell's inputs: from the grading's seed and the cell's own ``salt``, so
    two cells of a notebook never draw the same numbers."""
    import torch

    return torch.Generator().manual_seed((int(seed) * 1_000_003 + salt) % 2**63)


def make_inputs(spec: CheckSpec, seed: int) -> dict:
    """The inputs of ``spec``'s probe for ``seed``. A converted cell's inputs carry its visible tests' own draw
    under ``"working"``: the working seed's in a self-check (what the recorded values are for), but when graded
    (any other seed) the grading seed's, because the working draw and its recorded values are public and a kernel
    could hand them back; the judge then computes what they are compared with (:func:`expected`)."""
    out = dict(spec.inputs(int(seed))) if spec.inputs else {}
    if "working" in out and int(seed) != WORKING_SEED:
        out["working"] = {k: v for k, v in out.items() if k != "working"}
    return out


# ------------------------------------------------------------------ recorded values (what visible tests compare with)
WORKING_SEED = 0  # visible tests read inputs drawn from this seed in a student's self-check (graded: make_inputs)
EXPECTED_FILE = "expected.json"  # in homeworks.<hw>.checks: the recorded values, dgmlab.probes.wire's JSON


def expected_file(hw: str) -> str:
    """Where ``hw``'s recorded values are, relative to this package (``<hw>/expected.json``)."""
    if not _valid_name(hw):
        raise KeyError(f"no homework {hw!r}")
    return f"{hw}/{EXPECTED_FILE}"


_expected_cache: dict = {}
_course_expected: dict = {}  # {hw: {cell: {name: value}}}: a course's own expected.json beside checks.py (load_checks)
# (seed, expected_at) while :func:`judge` decides a cell: ``expected_at(hw, cell, seed)``, the grader's references on
# that seed's draw, or None (then the references the grader handed over, use_references)
_JUDGED = contextvars.ContextVar("dgmlab_judged_seed", default=None)


_REFERENCES: list = []  # [expected_at]: the grader's references, handed over by a caller (use_references)


def use_references(expected_at: Callable) -> None:
    """Hand the protocol the grader's references: ``expected_at(hw, cell, seed)``, what visible tests compare with on
    a graded draw when a caller of :func:`judge` passes none (the kit's tests hand
    :func:`dgmlab.grading.references.recorded.expected_at` over in ``tests/conftest.py``). The grader's judge passes
    its own to :func:`judge` every time; importing the grader hands nothing over. A student's environment has none,
    and its self-check only ever decides the working seed. The protocol never imports the grader."""
    _REFERENCES[:] = [expected_at]


_GRADER_SIDE: dict = {}  # {hw: its hidden package}, handed over by the grader (use_grader_side)


def use_grader_side(hw: str, package) -> None:
    """Hand kit homework ``hw``'s checks the grader's side of it, ``homeworks.<hw>.hidden`` (its references: the
    networks a handed-in file is loaded into when graded). The grader does it when it imports the package
    (:func:`dgmlab.grading.hidden.module`); checks never import it, so a kernel, which cannot, never tries."""
    _GRADER_SIDE[hw] = package


def grader_side(hw: str):
    """What :func:`use_grader_side` handed over for ``hw``, or ``None`` (a student's environment, a self-check)."""
    return _GRADER_SIDE.get(hw)


def expected(hw: str, cell: str) -> dict:
    """What the grader's references give on the visible tests' inputs of test cell ``cell``: ``{name: value}``. In a
    self-check (the working seed) the values recorded when the homework is built (data, not code: the references stay
    with the grader, ``dgmlab.grading.references``); when graded, what the grader's references give on the grading
    seed's draw, computed in the judge. Visible tests compare a probe's values on those inputs with these."""
    judged = _JUDGED.get()
    if judged is not None and _kit_module(hw) is None:  # a course's own homework: its hidden.py's EXPECTED gives
        seed, expected_at = judged                      # them in the grader, recorded beside checks.py for a self-check
        if int(seed) == WORKING_SEED and (hw in _course_expected or expected_at is None):  # None: a self-check
            found = _course_expected.get(hw, {}).get(cell)
            if not isinstance(found, dict):
                raise TestFailure(f"no recorded values for {cell}: {EXPECTED_FILE}, handed out with checks.py, is "
                                  f"missing or lacks them (its author records them: dgmlab build --record-expected {hw})")
            return found
        expected_at = expected_at or next(iter(_REFERENCES), None)
        if expected_at is None:
            raise TestFailure(f"{hw} records no values for {cell}: what it is compared with is the grader's")
        return expected_at(hw, cell, seed)
    if judged is not None and int(judged[0]) != WORKING_SEED:
        seed, expected_at = judged
        expected_at = expected_at or next(iter(_REFERENCES), None)
        if expected_at is None:
            raise TestFailure(f"{cell} was drawn from seed {seed}, not the working seed: what it is compared with "
                              "is the grader's to compute, and the grader is not installed here")
        return expected_at(hw, cell, seed)
    if hw not in _expected_cache:
        try:
            text = resources.files(checks_package(hw)).joinpath(EXPECTED_FILE).read_text(encoding="utf-8")
        except (FileNotFoundError, ModuleNotFoundError):
            text = None
        _expected_cache[hw] = {} if text is None else wire.loads(text)
    found = _expected_cache[hw].get(cell)
    if not isinstance(found, dict):
        raise TestFailure(f"the kit has no recorded values for {cell} ({checks_package(hw)}'s {EXPECTED_FILE}): "
                          f"reinstall dgmlab; an author records them with tools/record_expected.py {hw}")
    return found


# A converted cell (one whose visible tests compare with recorded values) wraps its inputs with with_working and its
# probe with on_working: the student's code also runs on the visible tests' own draw, under "working", which the
# visible tests read through working(v); hidden tests read the values on the grading seed's draw.
def with_working(make: Callable) -> Callable:
    """A converted cell's ``inputs``: ``make(seed)``, and under ``"working"`` the visible tests' draw,
    ``make(WORKING_SEED)`` (when graded :func:`make_inputs` puts the grading seed's in its place)."""
    def inputs(seed):
        return {**make(seed), "working": make(WORKING_SEED)}
    return inputs


def on_working(probe: Callable, own_rng: bool = False) -> Callable:
    """A converted cell's probe: ``probe`` on the inputs and, under ``"working"``, on the visible tests' draw. With
    ``own_rng`` the second run draws from torch's generator seeded with :data:`WORKING_SEED` and leaves the kernel's
    as the first run left it (a probe whose values depend on what it draws, e.g. a penalty's eps)."""
    def both(o, x):
        out = probe(o, x)
        if not own_rng:
            return {**out, "working": attempt(probe, o, x["working"])}
        torch = _torch()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(WORKING_SEED)
            return {**out, "working": attempt(probe, o, x["working"])}
    return both


def working(v) -> "Answers":
    """The probe's values on a converted cell's own draw, read as ``v``'s are (``.inputs``: those inputs)."""
    data = v.working
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise TestFailure("the check's data on the working inputs is not a table of values")
    return Answers(data, v.inputs.working)


def run_probe(spec: CheckSpec, objects: tuple, seed: int) -> dict:
    """What the grader gets from this cell: ``{name: plain value}`` (a value the student's code raised
    on is :class:`dgmlab.probes.wire.Raised`)."""
    if len(objects) != len(spec.names):
        missing = ", ".join(spec.names)
        return {n: wire.Raised(f"check() needs {len(spec.names)} objects ({missing}), got {len(objects)}")
                for n in spec.names}
    named = dict(zip(spec.names, objects, strict=True))
    if spec.probe is None:
        return named
    out = attempt(spec.probe, named, make_inputs(spec, seed))
    if isinstance(out, wire.Raised):
        return {n: out for n in spec.names}
    return out


def check(cell: str, *objects, seed: int = 0) -> None:
    """Check this test cell's answers (see the module docstring); prints, returns nothing."""
    hw = workspace.current_homework()
    if hw is None:
        raise RuntimeError("run the setup cell first (it names the homework these checks belong to)")
    if not load_checks(hw, workspace.folder()):
        raise FileNotFoundError(
            f"{CHECKS_FILE} of {hw} is missing: this homework's checks come in the file {CHECKS_FILE} handed out "
            f"with the notebook; put it in {workspace.folder()} (the folder of {hw}.ipynb) and run this cell again")
    spec = spec_for(hw, cell)
    data = run_probe(spec, objects, seed)
    text = wire.dumps(data)
    if runtime.is_grading():
        _show({PROBE_MIME: {"cell": cell, "data": text}})
        return None
    try:
        data = wire.loads(text)
    except wire.WireError as exc:  # the cell as a whole cannot be read: what the grader would say, not a traceback
        print(f"0 of {spec.points:g} points: {exc}")
        return None
    result = judge(hw, spec, data, seed, folder=workspace.folder(), seeds={n: 0 for n in spec.files})
    print("\n".join(result.lines))
    return None


def _show(bundle: dict) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - grading runs in IPython
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(bundle, raw=True)


# ------------------------------------------------------------------ reading a test cell's source
_SETUP_CALL = re.compile(r"""dgmlab\.setup\(\s*["']([A-Za-z0-9_]+)["']""")


def homework_of(nb) -> str | None:
    """The homework a notebook's setup cell names (``dgmlab.setup("hw3_flows")``), or ``None``."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup":
            found = _SETUP_CALL.search(cell.source)
            return found.group(1) if found else None
    return None


def cell_call(source: str) -> tuple[str, tuple] | None:
    """``(grade_id, argument names)`` of the ``check("...", a, b)`` call a test cell makes, or ``None``
    when the cell makes none (the grader gives such a test cell 0: its score would come from the kernel)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "check"):
            call = node.value
            if (call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
                    and all(isinstance(a, ast.Name) for a in call.args[1:]) and not call.keywords):
                return call.args[0].value, tuple(a.id for a in call.args[1:])
            raise PlanError("a test cell calls check(\"<its grade_id>\", <names>...) with nothing else")
    return None


def grading_source(source: str, seed: int) -> str:
    """What the kernel runs for a test cell while graded: only the probe call, with the grader's seed
    (the hidden tests and everything else in the cell stay with the grader)."""
    found = cell_call(source)
    if found is None:
        raise PlanError("not a check() cell")
    cell, names = found
    args = ", ".join((repr(cell), *names))
    return f"from dgmlab.probes import check\ncheck({args}, seed={int(seed)})"


# what judging.py defines, importable from here as before (it imports the registry and recorded values above)
from .judging import (  # noqa: E402
    MAX_FILE_BYTES,
    Answers,
    HandedIn,
    Judgement,
    Ref,
    judge,
    plan,
    read_handed_in,
    takes_ref,
    usable,
)

__all__ = [
    "MAX_FILE_BYTES", "PROBE_MIME", "Answers", "CheckSpec", "HandedIn", "Judgement", "Ref", "TestFailure",
    "attempt", "cell_call", "check", "expected", "grading_source", "homework_of", "judge",
    "load_checks", "make_inputs", "on_working", "plan", "read_handed_in", "run_probe", "seeded_generator", "spec_for",
    "specs", "takes_ref", "usable", "with_working", "working",
]
