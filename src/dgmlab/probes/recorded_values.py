"""The values a cell's visible tests compare with (:func:`expected`): recorded when a homework is built for a
self-check on the working seed, the grader's references on the grading seed's draw while a cell is judged
(:data:`_JUDGED`, set by :func:`dgmlab.probes.judgement.judge`), and where a kit homework's visible side is
(:data:`KIT_HOMEWORKS`, :func:`checks_package`). Below the registry (:mod:`dgmlab.probes`) and the decision
(:mod:`.judgement`), which both read it; it imports neither.
"""
from __future__ import annotations

import contextvars
import importlib
from importlib import resources
from types import ModuleType
from typing import Any, Callable, cast

import homeworks

from . import wire
from .cell_spec import WORKING_SEED, TestFailure


def _valid_name(hw: object) -> bool:
    return isinstance(hw, str) and hw.replace("_", "").isalnum()


def optional_module(name: str) -> ModuleType | None:
    """The module ``name``, or ``None`` when there is none (an import error inside it still raises)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


# The kit's homeworks, read from the folders of the package `homeworks`: each one's checks live beside its
# statement, in the package homeworks.<hw>.checks (homeworks/<hw>/checks/: the visible tests and the recorded values,
# expected.json), the only part of homeworks/<hw>/ the student package ships (the rest holds the solutions).
KIT_HOMEWORKS = homeworks.names()


def checks_package(hw: str) -> str:
    """The name of kit homework ``hw``'s visible tests: ``homeworks.<hw>.checks``."""
    return f"{homeworks.__name__}.{hw}.{homeworks.CHECKS}"


def _kit_module(hw: str) -> ModuleType | None:
    """The kit's ``homeworks.<hw>.checks``, or ``None`` when the kit has no such homework."""
    return optional_module(checks_package(hw)) if hw in KIT_HOMEWORKS else None


EXPECTED_FILE = "expected.json"  # in homeworks.<hw>.checks: the recorded values, dgmlab.probes.wire's JSON


def expected_file(hw: str) -> str:
    """Where ``hw``'s recorded values are, relative to this package (``<hw>/expected.json``)."""
    if not _valid_name(hw):
        raise KeyError(f"no homework {hw!r}")
    return f"{hw}/{EXPECTED_FILE}"


_expected_cache: dict[str, dict[str, Any]] = {}
_course_expected: dict[str, dict[str, Any]] = {}  # {hw: {cell: {name: value}}}: a course's own expected.json beside checks.py (load_checks)
# (seed, expected_at) while :func:`judge` decides a cell: ``expected_at(hw, cell, seed)``, the grader's references on
# that seed's draw, or None (then the references the grader handed over, use_references)
_JUDGED: contextvars.ContextVar[tuple[int, Callable[[str, str, int], dict[str, Any]] | None] | None] = contextvars.ContextVar(
    "dgmlab_judged_seed", default=None)


_REFERENCES: list[Callable[[str, str, int], dict[str, Any]]] = []  # [expected_at]: the grader's references, handed over by a caller (use_references)


def use_references(expected_at: Callable[[str, str, int], dict[str, Any]]) -> None:
    """Hand the protocol the grader's references: ``expected_at(hw, cell, seed)``, what visible tests compare with on
    a graded draw when a caller of :func:`judge` passes none (the kit's tests hand
    :func:`dgmlab.grading.references.recorded.expected_at` over in ``tests/conftest.py``). The grader's judge passes
    its own to :func:`judge` every time; importing the grader hands nothing over. A student's environment has none,
    and its self-check only ever decides the working seed. The protocol never imports the grader."""
    _REFERENCES[:] = [expected_at]


def expected(hw: str, cell: str) -> dict[str, Any]:
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
        _expected_cache[hw] = {} if text is None else cast("dict[str, Any]", wire.loads(text))
    found = _expected_cache[hw].get(cell)
    if not isinstance(found, dict):
        raise TestFailure(f"the kit has no recorded values for {cell} ({checks_package(hw)}'s {EXPECTED_FILE}): "
                          f"reinstall dgmlab; an author records them with tools/record_expected.py {hw}")
    return found
