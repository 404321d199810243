"""Judging check() test cells: the grader's decision from what a kernel showed, with no nbgrader in it.

:func:`judge_cell` decides one cell (probe data parsed by :mod:`dgmlab.probes.wire`, then
:func:`dgmlab.probes.judge`); :func:`judge_cells` a notebook's, a :class:`~.judge_records.JudgeRequest`
(:func:`judge_each` cell by cell, which is what :mod:`.judge_process` runs), into
:class:`~.judge_records.Verdict` records. :class:`Reference` gives hidden
tests the kit's own networks from the instructor's cells, :func:`keeper` lets them leave a file for the dashboard.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ... import probes
from ...probes import wire
from ...probes.points import hidden_lines, points_text
from .. import hidden as hidden_tests
from ..references.recorded import expected_at
from .judge_records import JudgeRequest, Verdict


def judge_cells(request: JudgeRequest) -> dict[str, Verdict]:
    """``{grade_id: Verdict}`` for the cells of ``request``, judged here."""
    return {verdict.gid: verdict for verdict in judge_each(request)}


def judge_each(request: JudgeRequest) -> Iterator[Verdict]:
    """The :class:`~.judge_records.Verdict` of each cell of ``request`` in order, as each is judged.

    ``request`` is all the judging reads (:class:`~.judge_records.JudgeRequest`, assembled by
    :class:`dgmlab.grading.preprocessors.judge_tests.JudgeTests`): a course's own ``checks`` and ``hidden`` are loaded
    from its text, the instructor's cells become :class:`Reference`, the handed-in ``files`` are read from their bytes.
    A verdict's ``kept`` holds what the cell's hidden tests kept (:func:`keeper`), for the grading worker to write."""
    if request.checks:  # a course's own homework: its checks.py from source/<hw>/, never the submission's
        probes.load_checks_text(request.hw, request.checks)
    if request.hw not in probes.KIT_HOMEWORKS:  # and its hidden.py, loaded as a module; none handed: none
        if request.hidden:
            hidden_tests.load_text(request.hw, request.hidden)
        else:
            hidden_tests.forget(request.hw)
        if request.checks:  # its cells' points: its tests' @points summed, as the build summed them into points.json
            try:
                probes.use_points(request.hw, probes.derive_points(
                    request.hw, lambda cell: hidden_tests.tests(request.hw, cell)))
            except probes.PlanError:  # an older checks.py giving points unlike its tests': each cell's plan says so
                pass
    reference = Reference(request.references.__getitem__) if request.references else None
    for cell in request.cells:
        kept: dict[str, bytes] = {}
        try:
            result = judge_cell(request.hw, cell.gid, cell.source, cell.outputs, request.seed,
                                handed=dict(request.files), seeds=dict(request.seeds), reference=reference,
                                keep=keeper(kept), delimiters=request.delimiters or None)
            yield Verdict(cell.gid, float(result.earned), tuple(str(x) for x in result.lines), dict(kept))
        except MemoryError:  # an answer whose checking needs more memory than the judge has
            yield Verdict(cell.gid, 0.0, (
                "0 points: checking this answer needed more memory than the grader allows (a huge number or "
                "expression); give it in a simpler form",))
        except Exception as exc:  # a bug of the grader's, not the student's: 0 points, said loudly
            traceback.print_exc()
            yield Verdict(cell.gid, 0.0, (f"this cell could not be graded ({type(exc).__name__}); tell your "
                                          "instructor",))


def handed_files(folder: str | Path | None, names: Iterable[str]) -> dict[str, bytes | str]:
    """``{name: its bytes, or why it was not read}`` of the handed-in files ``names`` in ``folder``, read here (the
    grading worker) for a judge that reads no folder (:func:`dgmlab.probes.read_handed_in`'s rules)."""
    out: dict[str, bytes | str] = {}
    for name in sorted(set(names)):
        try:
            out[name] = probes.read_handed_in(folder, name)
        except probes.TestFailure as exc:
            out[name] = str(exc)
    return out


KIT_MISSING = tuple(f"ModuleNotFoundError: No module named '{name}'" for name in ("homeworks", "dgmlab"))


def probe_data(outputs: Iterable[Mapping[str, Any]], gid: str) -> object:
    """The decoded probe data of a test cell's ``outputs``, or raises :class:`dgmlab.probes.wire.WireError`
    (with the reason a student reads) when there is not exactly one readable probe for this cell."""
    found, errors = [], []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "error":
            errors.append(f"{str(out.get('ename', ''))[:80]}: {str(out.get('evalue', ''))[:300]}")
        if kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            if probes.PROBE_MIME in data:
                found.append(data[probes.PROBE_MIME])
    if not found:
        why = f" ({errors[0]})" if errors else ""
        if any(e.startswith(KIT_MISSING) for e in errors):  # the kit itself: the grader's setup, not the notebook
            raise wire.WireError(f"the check did not run{why}: the grading kernel cannot import the kit, a fault of "
                                 "the grading setup, not of this notebook: the instructor must fix it and regrade")
        raise wire.WireError(f"the check did not run{why}: run the notebook from the top and fix the first error")
    if len(found) > 1:
        raise wire.WireError(f"the cell showed {len(found)} check results; only one is read")
    bundle = found[0]
    if not isinstance(bundle, dict) or set(bundle) != {"cell", "data"} or bundle["cell"] != gid \
            or not isinstance(bundle["data"], str):
        raise wire.WireError("the check's result is not one this cell's check() makes")
    return wire.loads(bundle["data"])


def handed_seeds(text: str) -> dict[str, int | str]:
    """``{file: seed or "refused: why"}`` from the JSON dgmlab autograde hands a grading (``""``: none)."""
    if not text:
        return {}
    out: dict[str, int | str] = {}
    for name, entry in json.loads(text).items():
        out[name] = f"refused: {entry['refused']}" if "refused" in entry else int(entry["seed"])
    return out


class Reference:
    """``reference(grade_id)``: the names the instructor's cell of that id defines (its source from the
    gradebook, run here in a namespace of its own), e.g. the kit's generator class to load handed-in
    weights into. Instructor code only; each cell runs once per grading."""

    def __init__(self, source_of: Callable[[str], str]) -> None:
        self._source_of = source_of
        self._cache: dict[str, dict[str, Any]] = {}

    def __call__(self, grade_id: str) -> dict[str, Any]:
        if grade_id not in self._cache:
            import numpy as np
            import torch

            source = self._source_of(grade_id)
            namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "math": math, "np": np}
            exec(compile(source, f"<the instructor's cell {grade_id}>", "exec"), namespace)
            self._cache[grade_id] = namespace
        return self._cache[grade_id]


def judge_cell(hw: str, gid: str, source: str, outputs: Iterable[Mapping[str, Any]], seed: int, *,
               folder: str | Path | None = None, handed: dict[str, bytes | str] | None = None,
               seeds: dict[str, int | str] | None = None, reference: Callable[[str], dict[str, Any]] | None = None,
               keep: Callable[[str, bytes], None] | None = None,
               delimiters: tuple[str, ...] | None = None) -> probes.Judgement:
    """Decide test cell ``gid`` of ``hw`` from the kernel's ``outputs``: its visible tests and the grader's hidden
    tests of the cell (:func:`dgmlab.grading.hidden.tests`; nothing of the instructor's ``source`` is run);
    ``folder``, ``handed``, ``seeds``, ``reference``, ``keep``: see :func:`dgmlab.probes.judge`. A cell whose hidden
    points have no hidden tests (a course's ``hidden.py`` missing) is judged on its visible tests alone, and says so
    (``delimiters``: the course's hidden-test markers, to say the cell still holds tests as text)."""
    spec = probes.spec_for(hw, gid)
    hidden: tuple[Any, ...] | None = hidden_tests.tests(hw, gid)  # the grader's test functions, never the cell's text
    missing = _missing_hidden(hw, spec, hidden, source, delimiters)
    if missing:
        hidden = None  # the visible tests alone decide; the hidden points are not given, and the lines say why
    refused = refused_files(spec, seeds)
    if refused:  # before anything of the kernel's is read: the file itself is not graded
        steps = probes.plan(spec, hidden=hidden)
        why = "; ".join(refused)
        return probes.Judgement(0.0, spec.points, [f"0 of {points_text(spec.points)}: {why}", *missing],  # type: ignore[arg-type]
                                [probes.JudgedTest(n, w, h, False, why) for n, w, h in steps])
    try:
        data = probe_data(outputs, gid)
    except wire.WireError as exc:
        steps = probes.plan(spec, hidden=hidden)
        return probes.Judgement(0.0, spec.points, [f"0 of {points_text(spec.points)}: {exc}", *missing],  # type: ignore[arg-type]
                                [probes.JudgedTest(n, w, h, False, str(exc)) for n, w, h in steps])

    result = probes.judge(hw, spec, data, seed, folder=folder, handed=handed,
                          seeds={**{n: 0 for n in spec.files}, **(seeds or {})}, reference=reference, keep=keep,
                          expected_at=expected_at, hidden=hidden)
    result.lines += missing
    return result


def _missing_hidden(hw: str, spec: probes.CheckSpec, hidden: tuple[Any, ...] | None, source: str | None,
                    delimiters: tuple[str, ...] | None) -> list[str]:
    """The lines (also logged) saying that cell ``spec`` of ``hw`` has hidden points but no hidden tests, or that its
    instructor's cell still holds hidden tests as text (never run): ``[]`` when neither."""
    text_tests = bool(hidden_lines(source or "", delimiters))
    if hidden or (spec.hidden <= 0 and not text_tests):  # type: ignore[operator]  # specs() gave it its points
        return []
    where = ("its instructor's cell still holds hidden tests between the hidden-test markers, which the grader "
             "never runs" if text_tests else "the grader has no hidden tests for it")
    fix = (f"write the cell's hidden tests in homeworks/{hw}/hidden.py as test_x(v, ref) functions listed in HIDDEN "
           f"(docs/authoring.md), run dgmlab build {hw} and grade again")
    logging.getLogger(__name__).error("%s %s: %s; %s", hw, spec.cell, where, fix)
    if spec.hidden <= 0:  # type: ignore[operator]  # no point depends on them: the student loses nothing
        return []
    return [f"the {points_text(spec.hidden)} of hidden tests were not graded: {where}; "  # type: ignore[arg-type]
            "tell your instructor"]


def refused_files(spec: probes.CheckSpec, seeds: Mapping[str, int | str] | None) -> list[str]:
    """Why each handed-in file of ``spec`` that ``dgmlab autograde`` refused (``seeds``: :func:`handed_seeds`, a
    ``"refused: why"`` entry) is not graded: a copy of the kit's published weights, or a file that is not unpickled
    (:func:`dgmlab.grading.autograde.draw_seeds.seeds_for`). A cell grading any of them earns 0, whatever its tests
    read of it: the one place every homework's refusal is decided into points, in the judge."""
    seeds = seeds or {}
    return [str(seeds[name]).removeprefix("refused: ") for name in spec.files
            if isinstance(seeds.get(name), str)]


MAX_KEPT_BYTES = 2 * 2**20  # one file a hidden test leaves for the dashboard


def keeper(kept: dict[str, bytes]) -> Callable[[str, bytes], None]:
    """``keep(name, data)`` for hidden tests: puts ``data`` (bytes, at most :data:`MAX_KEPT_BYTES`) in ``kept`` as the
    plain file name ``name`` (no folder part; ``.pt``), for the grading worker to write with :func:`write_kept` into
    the submission's kept folder, where the dashboard reads it (e.g. ``graded_draw_100.pt``)."""
    def keep(name: str, data: bytes) -> None:
        _check_kept(name, data)
        kept[name] = bytes(data)
    return keep


def _check_kept(name: object, data: object) -> None:
    if not (isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,80}\.pt", name) and ".." not in name):
        raise ValueError(f"keep: {name!r} is not a plain .pt file name")
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_KEPT_BYTES:
        raise ValueError(f"keep: {name} must be at most {MAX_KEPT_BYTES} bytes")


def write_kept(folder: str | Path, name: str, data: bytes) -> None:
    """Write a kept file (:func:`keeper`) as the plain file ``name`` in ``folder``. The grader writes it after the
    kernel ran, so it replaces any file of that name there (a link included), never writing through it."""
    _check_kept(name, data)
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{name}.{os.getpid()}.tmp")
    scratch.unlink(missing_ok=True)
    with open(scratch, "xb") as out:  # a new file, so never through a link the kernel left
        out.write(bytes(data))
    os.replace(scratch, path)
