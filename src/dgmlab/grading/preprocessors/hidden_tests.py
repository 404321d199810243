"""HideHiddenTests (generate_feedback, and the notebook a student gets back): no hidden test source."""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from ...testing import HIDDEN_BEGIN, HIDDEN_END  # one definition (nbgrader's own delimiters)

HIDDEN_NOTE = "# (hidden tests: not shown)"


def strip_hidden(source: str) -> str:
    """``source`` with every hidden-tests region replaced by one note line."""
    out, hiding = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            hiding = True
            out.append(line[: len(line) - len(line.lstrip())] + HIDDEN_NOTE)
            continue
        if HIDDEN_END in line:
            hiding = False
            continue
        if not hiding:
            out.append(line)
    return "\n".join(out)


class HideHiddenTests(NbGraderPreprocessor):
    """For feedback: drop hidden test source and shorten tracebacks of test cells.

    A test cell's error output keeps its name and message (``TestsFailed: 1 of
    3 checks failed: ...``) but loses the traceback frames, which could quote
    hidden lines.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        is_test = cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
        if is_test:
            if HIDDEN_BEGIN in cell.source:
                cell.source = strip_hidden(cell.source)
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources

