"""The values visible tests compare with, recorded from the grader's references.

A visible test runs in the student's kernel, so it may hold no reference: in a self-check it compares what the
student's code gives on inputs drawn from the working seed (:data:`dgmlab.probes.WORKING_SEED`) with what the
grader's references gave on those inputs, recorded when the kit is built: ``homeworks/<hw>/checks/expected.json``
(:mod:`dgmlab.probes.wire`'s JSON, data and no code), which :func:`dgmlab.probes.expected` reads. When graded, the same
visible tests read the student's values on the grading seed's draw and compare them with :func:`expected_at`,
computed in the judge (the working draw and its values are public, so a kernel could hand those back). Hidden tests
read the grading seed's draw too and compute their references in the judge.

A homework's hidden package (``homeworks/<hw>/hidden/``; a course's own homework: its ``hidden.py``) lists in
``EXPECTED`` ``{test cell: fn(inputs) -> {name: value}}``; :func:`record_expected` runs each on the cell's
working-seed inputs. ``tools/record_expected.py <hw>`` writes the file (:func:`write_expected`);
``tests/grading/test_references.py`` fails when it is stale.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from ... import probes
from ...probes import recorded_values, wire
from ...runtime import seed_everything
from .. import hidden


def reference_module(hw: str):
    """Where ``hw``'s ``EXPECTED`` is: its hidden package (``homeworks/<hw>/hidden/``, :mod:`dgmlab.grading.hidden`; a
    course's own homework: its ``hidden.py``); ``None`` when it has none."""
    found = hidden.module(hw) or hidden.course_module(hw)
    return found if found is not None and hasattr(found, "EXPECTED") else None


def record_expected(hw: str) -> dict:
    """``{test cell: {name: value}}``: what ``hw``'s references give on each converted cell's working-seed inputs."""
    module = reference_module(hw)
    recorders = getattr(module, "EXPECTED", {}) if module is not None else {}
    specs = probes.specs(hw)
    out = {}
    for cell, make in sorted(recorders.items()):
        if cell not in specs:
            raise KeyError(f"{module.__name__}.EXPECTED names {cell!r}, which is no test cell of {hw}")
        seed_everything(0)  # as the visible tests run (dgmlab.probes.judge)
        out[cell] = make(probes.make_inputs(specs[cell], probes.WORKING_SEED))
    return out


def expected_at(hw: str, cell: str, seed: int) -> dict:
    """What ``hw``'s references give on test cell ``cell``'s draw for ``seed``: what its visible tests compare with
    when graded (:func:`dgmlab.probes.expected`), where the working seed's public recorded values must not decide."""
    module = reference_module(hw)
    make = getattr(module, "EXPECTED", {}).get(cell) if module is not None else None
    if make is None:
        raise probes.TestFailure(f"the grader has no reference values for {cell} of {hw}")
    seed_everything(0)  # as the visible tests run (dgmlab.probes.judge), and as record_expected records
    return make(probes.make_inputs(probes.specs(hw)[cell], seed))


def expected_path(hw: str) -> Path:
    """Where the student package keeps ``hw``'s recorded values (in this checkout)."""
    return Path(importlib.import_module(probes.checks_package(hw)).__file__).parent / probes.EXPECTED_FILE


def write_expected(hw: str) -> Path | None:
    """Record ``hw``'s values into the student package (:func:`expected_path`); ``None`` when it has no references
    to record."""
    values = record_expected(hw)
    if not values:
        return None
    path = expected_path(hw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(wire.dumps(values) + "\n", encoding="utf-8")
    recorded_values._expected_cache.pop(hw, None)
    return path
