"""HideHiddenTests (generate_feedback, and the notebook a student gets back): no hidden test source."""
from __future__ import annotations

from .. import nbgrader_preprocessing
from ..cell_roles import is_graded, is_solution

HIDDEN_NOTE = "# (hidden tests: not shown)"


def hidden_delimiters(config=None) -> tuple[str, str]:
    """``(begin, end)``: the markers of a hidden-tests region, nbgrader's ``ClearHiddenTests.begin_test_delimeter``
    and ``end_test_delimeter`` as ``config`` (the course's nbgrader config) sets them, nbgrader's defaults without
    one. Like nbgrader, a line holding the marker anywhere is a marker line. (The kernel side cannot import
    nbgrader: :data:`dgmlab.probes.points.HIDDEN_BEGIN` spells the default with its comment mark.)"""
    hider = nbgrader_preprocessing.ClearHiddenTests
    clear = hider() if config is None else hider(config=config)
    return clear.begin_test_delimeter, clear.end_test_delimeter


def strip_hidden(source: str, delimiters: tuple[str, str] | None = None) -> str:
    """``source`` with every hidden-tests region (``delimiters``: see :func:`hidden_delimiters`) replaced by one
    note line."""
    begin, end = delimiters or hidden_delimiters()
    out, hiding = [], False
    for line in source.splitlines():
        if begin in line:
            hiding = True
            out.append(line[: len(line) - len(line.lstrip())] + HIDDEN_NOTE)
            continue
        if end in line:
            hiding = False
            continue
        if not hiding:
            out.append(line)
    return "\n".join(out)


class HideHiddenTests(nbgrader_preprocessing.NbGraderPreprocessor):
    """For feedback: drop hidden test source and shorten tracebacks of test cells.

    A test cell's error output keeps its name and message (``TestsFailed: 1 of
    3 checks failed: ...``) but loses the traceback frames, which could quote
    hidden lines. The hidden regions are those nbgrader's ``ClearHiddenTests`` removes at release,
    with its delimiters as the course's config sets them.
    """

    def preprocess(self, nb, resources):
        self._delimiters = hidden_delimiters(self.config)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        is_test = cell.cell_type == "code" and is_graded(cell) and not is_solution(cell)
        if is_test:
            if getattr(self, "_delimiters", None) is None:  # preprocess_cell called on its own
                self._delimiters = hidden_delimiters(self.config)
            if self._delimiters[0] in cell.source:
                cell.source = strip_hidden(cell.source, self._delimiters)
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources

