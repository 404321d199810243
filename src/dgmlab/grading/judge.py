"""Judge graded test cells in the grader's process, never in the kernel that runs student code.

Two nbgrader preprocessors around ``Execute`` (``nbgrader_config.py``) for the test cells that call
``check("<grade_id>", ...)`` (:mod:`dgmlab.probes`):

- :class:`ProbeTests`, before execution: keeps each such cell's source as nbgrader restored it from
  the gradebook (the instructor's, hidden tests included) and gives the kernel only the probe call,
  with this grading's seed. The hidden tests never reach the kernel.
- :class:`JudgeTests`, after execution: reads the probe data the cell showed (untrusted: parsed by
  :mod:`dgmlab.wire` within its limits), makes the inputs again from its own seed, runs the visible
  and hidden tests here and writes the cell's outputs itself: the report a student reads and the
  points as the cell's one result, which nbgrader reads as partial credit. Whatever the kernel
  printed or displayed in that cell is dropped, so nothing it shows can be taken for a score.

A cell whose probe data is missing, repeated, malformed or over a limit earns 0 with the reason.
"""
from __future__ import annotations

import traceback

import json
import os

from nbformat import from_dict
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer, Unicode

from .. import probes, wire
from ..testing import score_text

RESOURCE = "dgmlab_probe_cells"  # resources key: {grade_id: the instructor's source of the test cell}


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def probe_cell(cell) -> bool:
    """Whether ``cell`` is a graded test cell that calls ``check(...)``."""
    if not is_test_cell(cell):
        return False
    try:
        return probes.cell_call(cell.source) is not None
    except Exception:
        return False


class ProbeTests(NbGraderPreprocessor):
    """Before execution: the kernel gets only each check() test cell's probe call (see the module)."""

    seed = Integer(0, help="Seed of the inputs the probes and the grader make; dgmlab autograde sets one per "
                           "submission from the course key (plain nbgrader: 0, the seed students see).").tag(config=True)

    def preprocess(self, nb, resources):
        resources[RESOURCE] = {"seed": int(self.seed), "cells": {}}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if probe_cell(cell):
            resources[RESOURCE]["cells"][_grade_id(cell)] = cell.source
            cell.source = probes.grading_source(cell.source, self.seed)
        return cell, resources


class JudgeTests(NbGraderPreprocessor):
    """After execution: decide each check() test cell in the grader and write its outputs (see the module).

    The cells are judged in a process of their own (:mod:`dgmlab.grading.judge_process`) that is killed
    after :attr:`timeout` seconds. A cell that grades handed-in files reads them from the submission as it
    was handed in (``submitted/<student>/<hw>/``: the kernel only ever sees a copy), and the kit's own
    networks from the instructor's cells in the gradebook."""

    draw_seeds = Unicode("", help="The graded draws' seeds as dgmlab autograde hands them to the grading "
                                  "(JSON {file: {seed, sha256[, refused]}}, dgmlab.grading.draw_seeds); empty: "
                                  "every file is drawn with seed 0, as while students work.").tag(config=True)
    timeout = Float(180.0, help="Seconds the grader may spend judging one notebook's check() cells; the cells not "
                                "judged by then earn 0, with the reason.").tag(config=True)
    isolate = Bool(True, help="Judge in a separate process killed at the timeout (False: in this process, with "
                              "no time limit; for tests).").tag(config=True)

    def preprocess(self, nb, resources):
        from nbgrader.coursedir import CourseDirectory

        meta = resources.get("nbgrader", {})
        hw = meta.get("assignment")
        state = resources.get(RESOURCE, {"seed": 0, "cells": {}})
        cells = [(i, _grade_id(c)) for i, c in enumerate(nb.cells)
                 if is_test_cell(c) and _grade_id(c) in state["cells"]]
        if not cells:
            return nb, resources
        coursedir = CourseDirectory(config=self.config)
        folder = keep = None
        if meta.get("student") and hw:
            folder = os.path.abspath(coursedir.format_path(coursedir.submitted_directory, meta["student"], hw))
            # what hidden tests leave for the dashboard goes to the autograded folder
            keep = os.path.abspath(coursedir.format_path(coursedir.autograded_directory, meta["student"], hw))
        request = {"hw": hw, "seed": state["seed"], "folder": folder, "keep": keep,
                   "seeds": handed_seeds(self.draw_seeds),
                   "gradebook": [meta.get("db_url"), coursedir.course_id, hw, meta.get("notebook")],
                   "cells": [{"gid": gid, "source": state["cells"][gid],
                              "outputs": [dict(o) for o in nb.cells[i].get("outputs", [])]} for i, gid in cells]}
        if self.isolate:
            from . import judge_process

            answers = judge_process.judge(request, self.timeout)
        else:
            answers = judge_cells(request)
        for i, gid in cells:
            cell = nb.cells[i]
            got = (answers or {}).get(gid)
            if got is None:
                self.log.error("cell %s was not judged within %g s", gid, self.timeout)
                earned, lines = 0.0, [f"0 points: this cell could not be judged within {self.timeout:g} s (an answer "
                                      f"that takes the grader too long to check, e.g. a huge expression)"]
            else:
                earned, lines = float(got["earned"]), list(got["lines"])
            cell.source = state["cells"][gid]  # the autograded notebook shows the instructor's cell
            cell.outputs = judged_outputs(earned, lines, cell.get("execution_count"))
            resources.setdefault("dgmlab_judged", set()).add(gid)
        return nb, resources


def judge_cells(request: dict) -> dict:
    """``{grade_id: {"earned", "lines"}}`` for the cells of ``request`` (see :class:`JudgeTests`), judged here."""
    reference = Reference.from_gradebook(*request["gradebook"]) if request.get("gradebook") else None
    keep = keeper(request["keep"]) if request.get("keep") else None
    out = {}
    for cell in request["cells"]:
        try:
            result = judge_cell(request["hw"], cell["gid"], cell["source"], cell["outputs"], request["seed"],
                                folder=request.get("folder"), seeds=request.get("seeds"), reference=reference,
                                keep=keep)
            out[cell["gid"]] = {"earned": float(result.earned), "lines": [str(x) for x in result.lines]}
        except Exception as exc:  # a bug of the grader's, not the student's: 0 points, said loudly
            traceback.print_exc()
            out[cell["gid"]] = {"earned": 0.0, "lines": [
                f"this cell could not be graded ({type(exc).__name__}); tell your instructor"]}
    return out


def probe_data(outputs, gid: str):
    """The decoded probe data of a test cell's ``outputs``, or raises :class:`dgmlab.wire.WireError`
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
        raise wire.WireError(f"the check did not run{why}: run the notebook from the top and fix the first error")
    if len(found) > 1:
        raise wire.WireError(f"the cell showed {len(found)} check results; only one is read")
    bundle = found[0]
    if not isinstance(bundle, dict) or set(bundle) != {"cell", "data"} or bundle["cell"] != gid \
            or not isinstance(bundle["data"], str):
        raise wire.WireError("the check's result is not one this cell's check() makes")
    return wire.loads(bundle["data"])


def handed_seeds(text: str) -> dict:
    """``{file: seed or "refused: why"}`` from the JSON dgmlab autograde hands a grading (``""``: none)."""
    if not text:
        return {}
    out = {}
    for name, entry in json.loads(text).items():
        out[name] = f"refused: {entry['refused']}" if "refused" in entry else int(entry["seed"])
    return out


class Reference:
    """``reference(grade_id)``: the names the instructor's cell of that id defines (its source from the
    gradebook, run here in a namespace of its own), e.g. the kit's generator class to load handed-in
    weights into. Instructor code only; each cell runs once per grading."""

    def __init__(self, source_of):
        self._source_of, self._cache = source_of, {}

    @classmethod
    def from_gradebook(cls, db_url, course_id, hw, notebook) -> "Reference":
        def source_of(grade_id):
            from nbgrader.api import Gradebook

            with Gradebook(db_url, course_id) as gb:
                return gb.find_source_cell(grade_id, notebook, hw).source
        return cls(source_of)

    def __call__(self, grade_id: str) -> dict:
        if grade_id not in self._cache:
            import math

            import numpy as np
            import torch

            source = self._source_of(grade_id)
            namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "math": math, "np": np}
            exec(compile(source, f"<the instructor's cell {grade_id}>", "exec"), namespace)
            self._cache[grade_id] = namespace
        return self._cache[grade_id]


def judge_cell(hw: str, gid: str, source: str, outputs, seed: int, *, folder=None, seeds=None,
               reference=None, keep=None) -> probes.Judgement:
    """Decide test cell ``gid`` of ``hw`` (the instructor's ``source``) from the kernel's ``outputs``;
    ``folder``, ``seeds``, ``reference``, ``keep``: see :func:`dgmlab.probes.judge`."""
    spec = probes.spec_for(hw, gid)
    try:
        data = probe_data(outputs, gid)
    except wire.WireError as exc:
        steps = probes.plan(spec, source)
        return probes.Judgement(0.0, spec.points, [f"0 of {spec.points:g} points: {exc}"],
                                [(n, w, h, False, str(exc)) for n, w, h in steps])
    return probes.judge(hw, spec, data, seed, hidden_source=source, folder=folder,
                        seeds={**{n: 0 for n in spec.files}, **(seeds or {})}, reference=reference, keep=keep)


MAX_KEPT_BYTES = 2 * 2**20  # one file a hidden test leaves for the dashboard


def keeper(folder):
    """``keep(name, data)`` for hidden tests: writes ``data`` (bytes, at most :data:`MAX_KEPT_BYTES`) as the plain
    file ``name`` (no folder part; ``.pt``) in ``folder``, the submission's autograded folder, where the dashboard
    reads it (e.g. ``graded_draw_100.pt``). The grader writes it after the kernel ran, so it replaces any file of
    that name the kernel left."""
    import re
    from pathlib import Path

    def keep(name: str, data: bytes) -> None:
        if not (isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,80}\.pt", name) and ".." not in name):
            raise ValueError(f"keep: {name!r} is not a plain .pt file name")
        if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_KEPT_BYTES:
            raise ValueError(f"keep: {name} must be at most {MAX_KEPT_BYTES} bytes")
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{name}.{os.getpid()}.tmp")
        scratch.unlink(missing_ok=True)
        with open(scratch, "xb") as out:  # a new file, so never through a link the kernel left
            out.write(bytes(data))
        os.replace(scratch, path)  # replaces the name, whatever it was (a link included), never writes through it
    return keep


def judged_outputs(earned: float, lines: list, execution_count=None) -> list:
    """The outputs the grader writes for a judged cell: the report, then the points as its one result."""
    return [from_dict({"output_type": "stream", "name": "stdout", "text": "\n".join(lines) + "\n"}),
            from_dict({"output_type": "execute_result", "execution_count": execution_count, "metadata": {},
                       "data": {"text/plain": score_text(earned)}})]
