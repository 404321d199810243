"""What an autograded notebook's test cells say: which checks passed, which failed and why (as the grader's
judge printed them), and which ``test_*`` names sit in the hidden-tests region (names only: no hidden
source ever leaves this module)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from ...probes.points import hidden_lines
from ..cell_roles import is_graded, is_solution
from ..preprocessors.hidden_tests import hidden_delimiters
from ..test_outputs import CELL_REASON, CHECK_LINE, POINTS_PREFIX, cell_outcome

__all__ = ["CELL_REASON", "CHECK_LINE", "POINTS_PREFIX", "TEST_DEF", "cell_outcome", "read_graded_notebook", "test_names"]

TEST_DEF = re.compile(r"^\s*def (test_\w+)\s*\(")


def test_names(source: str, delimiters: tuple[str, str] | None = None) -> tuple[list, list]:
    """``(visible, hidden)`` names of the ``test_*`` functions a test cell defines (``delimiters``: the
    hidden-tests markers, see :func:`~dgmlab.grading.preprocessors.hidden_tests.hidden_delimiters`)."""
    region = hidden_lines(source, delimiters or hidden_delimiters())
    visible, hidden = [], []
    for i, line in enumerate(source.splitlines(), start=1):
        m = TEST_DEF.match(line)
        if m:
            (hidden if i in region else visible).append(m.group(1))
    return visible, hidden


def read_graded_notebook(path: Path, delimiters: tuple[str, str] | None = None, cells=None) -> dict:
    """``{grade_id: (passed, failed, error, visible, hidden)}`` for the test cells of an autograded notebook
    (``delimiters``: the hidden-tests markers, as for :func:`test_names`).

    ``cells``: the grade ids of the homework's test cells, from the gradebook: only cells holding one of them are
    read (the first of each), whatever else the notebook's metadata claims; without it, every test cell."""
    if not path.exists():
        return {}
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return {}
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(gid, str) or gid in out or (cells is not None and gid not in cells):
            continue
        if cell.cell_type == "code" and (cells is not None or (is_graded(cell) and not is_solution(cell))):
            passed, failed, error = cell_outcome(cell)
            visible, hidden = test_names(cell.source, delimiters)
            reported = [(m.group(2), "(hidden test)" in line) for out_ in cell.get("outputs", [])
                        if out_.get("output_type") == "stream" for line in out_.get("text", "").splitlines()
                        for m in [CHECK_LINE.match(line.strip())] if m]
            visible += [n for n, is_hidden in reported if not is_hidden and n not in visible]  # a check()
            hidden += [n for n, is_hidden in reported if is_hidden and n not in hidden]       # cell's, as judged
            out[gid] = (passed, failed, error, visible, hidden)
    return out

