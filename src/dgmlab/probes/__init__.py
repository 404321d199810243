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

:func:`judge` (:mod:`.judgement`) is that decision; the kernel (visible tests only) and the grader (all) share it, so a
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
import dataclasses
import hashlib
import json
import re
import sys
import types
from importlib import resources
from pathlib import Path
from typing import Any, Callable, cast

from .. import runtime, syntax_tree, workspace
from . import wire
from .cell_spec import MAX_REASON, WORKING_SEED, CheckSpec, NotAsAsked, TestFailure, make_inputs
from .judgement import (
    MAX_FILE_BYTES,
    Answers,
    HandedIn,
    JudgedTest,
    Judgement,
    Ref,
    judge,
    plan,
    read_handed_in,
    takes_ref,
    usable,
)
from .points import CellPoints, derive
from .points import PlanError as PlanError  # re-exported: the grader's judge names it dgmlab.probes.PlanError
from .recorded_values import (
    EXPECTED_FILE,
    KIT_HOMEWORKS,
    _course_expected,
    _kit_module,
    checks_package,
    expected,
    expected_file,
    optional_module,
    use_references,
)
from .recorded_values import _valid_name as _valid_name  # re-exported: dgmlab.grading.hidden checks names with it

PROBE_MIME = "application/vnd.dgmlab.probe+json"

# ------------------------------------------------------------------ the registry
CHECKS_FILE = "checks.py"  # a course's own homework: its specs, beside its notebook
_course_checks: dict[str, tuple[str, types.ModuleType]] = {}  # {hw: (sha256 of its checks.py, module)}: load_checks


def remembered(cache: dict[Any, Any], size: int, key: object, make: Callable[[], Any],
               errors: type[BaseException] | tuple[type[BaseException], ...] = (AssertionError,)) -> Any:
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


def load_checks(hw: str, folder: str | Path) -> bool:
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
        _course_expected[hw] = cast("dict[str, Any]", wire.loads(recorded.read_text(encoding="utf-8")))
    else:
        _course_expected.pop(hw, None)
    summed = Path(folder) / POINTS_FILE  # its cells' points, its tests' @points summed by dgmlab build
    if summed.is_file():
        use_points(hw, json.loads(summed.read_text(encoding="utf-8")))
    else:  # an older homework's checks.py gives each CheckSpec's points itself
        use_points(hw, {})
    return load_checks_text(hw, path.read_text(encoding="utf-8"), str(path))


def course_module(name: str, text: str, filename: str) -> types.ModuleType:
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


def _module(hw: str) -> types.ModuleType:
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
_points: dict[str, dict[str, CellPoints]] = {}  # {hw: {test cell: {"points": total, "hidden": share}}}
_specs_cache: dict[str, tuple[Any, dict[str, CheckSpec]]] = {}  # {hw: (the CHECKS list, {cell: CheckSpec})}


def cell_points(hw: str) -> dict[str, CellPoints]:
    """``{test cell: {"points": total, "hidden": share}}`` of kit homework ``hw``, its tests' ``@points`` summed
    (``dgmlab build`` records them in :data:`POINTS_FILE`; while it builds, :func:`use_points`)."""
    if hw not in _points:
        try:
            text = resources.files(checks_package(hw)).joinpath(POINTS_FILE).read_text(encoding="utf-8")
        except (FileNotFoundError, ModuleNotFoundError):
            text = "{}"
        _points[hw] = _read_points(json.loads(text))
    return _points[hw]


def _read_points(table: dict[str, Any]) -> dict[str, CellPoints]:
    return {str(k): {"points": float(v["points"]), "hidden": float(v["hidden"])} for k, v in table.items()}


def use_points(hw: str, table: dict[str, Any]) -> None:
    """Take ``table`` (``{test cell: {"points": total, "hidden": share}}``, :func:`derive_points` of the homework
    being built) as ``hw``'s points."""
    _points[hw] = _read_points(table)
    _specs_cache.pop(hw, None)


def derive_points(hw: str, hidden_of: Callable[[str], Any]) -> dict[str, CellPoints]:
    """``{test cell: {"points": total, "hidden": share}}`` of homework ``hw`` from its tests' ``@points``
    (:func:`dgmlab.probes.points.derive`); ``hidden_of(cell)``: the cell's hidden tests
    (:func:`dgmlab.grading.hidden.tests`). Raises :class:`PlanError` naming a cell whose points are not all there.
    A course's own ``checks.py`` may still give a CheckSpec's ``points``/``hidden``: kept when they equal the sums
    (or when some test has no ``@points`` to sum), a PlanError saying to delete them when not."""
    out: dict[str, CellPoints] = {}
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


def specs(hw: str) -> dict[str, CheckSpec]:
    """``{test cell grade_id: CheckSpec}`` of homework ``hw`` (``homeworks.<hw>.checks``, or the course's
    ``checks.py`` that :func:`load_checks` loaded), each with its points."""
    checks = _module(hw).CHECKS
    cached = _specs_cache.get(hw)
    if cached is not None and cached[0] is checks:
        return dict(cached[1])
    out: dict[str, CheckSpec] = {}
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
def _np() -> Any:
    import numpy as np

    return np


def _sp() -> Any:
    import sympy as sp

    return sp


def _torch() -> Any:
    import torch

    return torch


# ------------------------------------------------------------------ kernel side: probing
def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or :class:`dgmlab.probes.wire.Raised` with the error when it raises."""
    try:
        return fn(*args, **kwargs)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit too: a student's function must not end the probe
        return wire.Raised(wire.describe_exception(exc))


def seeded_generator(seed: int, salt: int) -> Any:
    """A ``torch.Generator`` for one cell's inputs: from the grading's seed and the cell's own ``salt``, so
    two cells of a notebook never draw the same numbers."""
    import torch

    return torch.Generator().manual_seed((int(seed) * 1_000_003 + salt) % 2**63)



# ------------------------------------------------------------------ the grader's side of a kit homework
_GRADER_SIDE: dict[str, Any] = {}  # {hw: its hidden package}, handed over by the grader (use_grader_side)


def use_grader_side(hw: str, package: Any) -> None:
    """Hand kit homework ``hw``'s checks the grader's side of it, ``homeworks.<hw>.hidden`` (its references: the
    networks a handed-in file is loaded into when graded). The grader does it when it imports the package
    (:func:`dgmlab.grading.hidden.module`); checks never import it, so a kernel, which cannot, never tries."""
    _GRADER_SIDE[hw] = package


def grader_side(hw: str) -> Any:
    """What :func:`use_grader_side` handed over for ``hw``, or ``None`` (a student's environment, a self-check)."""
    return _GRADER_SIDE.get(hw)


# A converted cell (one whose visible tests compare with recorded values) wraps its inputs with with_working and its
# probe with on_working: the student's code also runs on the visible tests' own draw, under "working", which the
# visible tests read through working(v); hidden tests read the values on the grading seed's draw.
def with_working(make: Callable[[int], dict[str, Any]]) -> Callable[[int], dict[str, Any]]:
    """A converted cell's ``inputs``: ``make(seed)``, and under ``"working"`` the visible tests' draw,
    ``make(WORKING_SEED)`` (when graded :func:`make_inputs` puts the grading seed's in its place)."""
    def inputs(seed: int) -> dict[str, Any]:
        return {**make(seed), "working": make(WORKING_SEED)}
    return inputs


def on_working(probe: Callable[[Any, Any], dict[str, Any]],
               own_rng: bool = False) -> Callable[[Any, Any], dict[str, Any]]:
    """A converted cell's probe: ``probe`` on the inputs and, under ``"working"``, on the visible tests' draw. With
    ``own_rng`` the second run draws from torch's generator seeded with :data:`WORKING_SEED` and leaves the kernel's
    as the first run left it (a probe whose values depend on what it draws, e.g. a penalty's eps)."""
    def both(o: Any, x: Any) -> dict[str, Any]:
        out = probe(o, x)
        if not own_rng:
            return {**out, "working": attempt(probe, o, x["working"])}
        torch = _torch()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(WORKING_SEED)
            return {**out, "working": attempt(probe, o, x["working"])}
    return both


def working(v: Any) -> Answers:
    """The probe's values on a converted cell's own draw, read as ``v``'s are (``.inputs``: those inputs)."""
    data = v.working
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise TestFailure("the check's data on the working inputs is not a table of values")
    return Answers(data, v.inputs.working)


def run_probe(spec: CheckSpec, objects: tuple[Any, ...], seed: int) -> dict[str, Any]:
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
    return cast("dict[str, Any]", out)


def check(cell: str, *objects: Any, seed: int = 0) -> None:
    """Check this test cell's answers (see the module docstring); prints, returns nothing."""
    hw = workspace.current_homework()
    if hw is None:
        raise RuntimeError("run the setup cell first (it names the homework these checks belong to)")
    if not load_checks(hw, workspace.folder()):
        raise FileNotFoundError(
            f"{CHECKS_FILE} of {hw} is missing: this homework's checks come in the file {CHECKS_FILE} handed out "
            f"with the notebook; put it in {workspace.folder()} (the folder of {hw}.ipynb) and run this cell again")
    spec = spec_for(hw, cell)
    text = wire.dumps(run_probe(spec, objects, seed))
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


def _show(bundle: dict[str, Any]) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - grading runs in IPython
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(bundle, raw=True)  # type: ignore[no-untyped-call]


# ------------------------------------------------------------------ reading a test cell's source
_SETUP_CALL = re.compile(r"""dgmlab\.setup\(\s*["']([A-Za-z0-9_]+)["']""")


def homework_of(nb: Any) -> str | None:
    """The homework a notebook's setup cell names (``dgmlab.setup("hw3_flows")``), or ``None``."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup":
            found = _SETUP_CALL.search(cell.source)
            return found.group(1) if found else None
    return None


def cell_call(source: str) -> tuple[str, tuple[str, ...]] | None:
    """``(grade_id, argument names)`` of the ``check("...", a, b)`` call a test cell makes, or ``None``
    when the cell makes none (the grader gives such a test cell 0: its score would come from the kernel)."""
    try:
        tree = syntax_tree.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "check"):
            call = node.value
            if (call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
                    and all(isinstance(a, ast.Name) for a in call.args[1:]) and not call.keywords):
                return call.args[0].value, tuple(a.id for a in call.args[1:] if isinstance(a, ast.Name))
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


__all__ = [
    "Answers", "CheckSpec", "EXPECTED_FILE", "HandedIn", "JudgedTest", "Judgement", "KIT_HOMEWORKS", "MAX_FILE_BYTES",
    "MAX_REASON", "NotAsAsked", "PROBE_MIME", "Ref", "TestFailure", "WORKING_SEED", "attempt", "cell_call", "check",
    "checks_package", "expected", "expected_file", "grading_source", "homework_of", "judge", "load_checks",
    "make_inputs", "on_working", "optional_module", "plan", "read_handed_in", "run_probe", "seeded_generator",
    "spec_for", "specs", "takes_ref", "usable", "use_references", "with_working", "working",
]
