"""Judge graded test cells in the grader's process, never in the kernel that runs student code.

What the two nbgrader plug-ins around ``Execute`` (``nbgrader_config.py``) call for the test cells that call
``check("<grade_id>", ...)`` (:mod:`dgmlab.probes`); the plug-ins themselves are in
:mod:`dgmlab.grading.preprocessors`:

- :class:`~dgmlab.grading.preprocessors.probe_tests.ProbeTests`, before execution: keeps each such cell's source
  as nbgrader restored it from the gradebook (the instructor's) and gives the kernel only the probe call, with this
  grading's seed. The hidden tests (:mod:`dgmlab.grading.hidden`) never reach the kernel.
- :class:`~dgmlab.grading.preprocessors.judge_tests.JudgeTests`, after execution: reads the probe data the cell
  showed (untrusted: parsed by :mod:`dgmlab.probes.wire` within its limits), makes the inputs again from its own seed,
  runs the visible and hidden tests here and writes the cell's outputs itself (:func:`judged_outputs`): the report a
  student reads and the points as the cell's one result, which nbgrader reads as partial credit. Whatever the kernel
  printed or displayed in that cell is dropped, so nothing it shows can be taken for a score.

A cell whose probe data is missing, repeated, malformed or over a limit earns 0 with the reason.
"""
from __future__ import annotations

import math
from typing import Any

from nbformat import from_dict

from ... import probes
from ...probes.points import score_text
from ..cell_roles import is_graded, is_solution
from .cell_verdicts import (  # noqa: F401
    MAX_KEPT_BYTES,
    Reference,
    handed_files,
    handed_seeds,
    judge_cell,
    judge_cells,
    keeper,
    probe_data,
    write_kept,
)
from .judge_records import Verdict

RESOURCE = "dgmlab_probe_cells"  # resources key: {grade_id: the instructor's source of the test cell}


def grade_id(cell: Any) -> Any:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_test_cell(cell: Any) -> bool:
    return cell.cell_type == "code" and bool(is_graded(cell)) and not is_solution(cell)


def probe_cell(cell: Any) -> bool:
    """Whether ``cell`` is a graded test cell that calls ``check(...)``."""
    if not is_test_cell(cell):
        return False
    try:
        return probes.cell_call(cell.source) is not None
    except Exception:
        return False


def files_of(hw: str, gid: str) -> tuple[str, ...]:
    """The handed-in files cell ``gid`` grades (none when ``hw`` has no such cell: it is judged 0 there)."""
    try:
        return tuple(probes.spec_for(hw, gid).files)
    except KeyError:
        return ()


def bounded(hw: str, gid: str, verdict: Verdict) -> float:
    """The points of a :class:`~.judge_records.Verdict`, within 0 and the cell's points (whatever the judge said)."""
    earned = float(verdict.earned)
    try:
        most = float(probes.spec_for(hw, gid).points)  # type: ignore[arg-type]  # specs() gave it its points
    except KeyError:
        most = 0.0
    return min(max(earned, 0.0), most) if math.isfinite(earned) else 0.0


def write_kept_files(folder: Any, kept: dict[str, bytes], log: Any) -> None:
    """Write what a cell's hidden tests kept (a :class:`~.judge_records.Verdict`'s ``kept``, bytes by name) into
    ``folder``; a name or size out of bounds is logged and left out."""
    if folder is None:
        return
    for name, data in kept.items():
        try:
            write_kept(folder, name, data)
        except (ValueError, TypeError) as exc:
            log.error("a kept file was left out: %s", str(exc)[:200])


def judged_outputs(earned: float, lines: list[str], execution_count: int | None = None) -> list[Any]:
    """The outputs the grader writes for a judged cell: the report, then the points as its one result."""
    return [from_dict({"output_type": "stream", "name": "stdout", "text": "\n".join(lines) + "\n"}),
            from_dict({"output_type": "execute_result", "execution_count": execution_count, "metadata": {},
                       "data": {"text/plain": score_text(earned)}})]
