"""nbgrader preprocessors the course config (nbgrader_config.py) plugs in."""
from __future__ import annotations

import ast
import re

from nbgrader.preprocessors import DeduplicateIds as _NbgraderDeduplicateIds
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

INSTALL_LINE = re.compile(r'^DGMLAB_INSTALL = .*$', re.MULTILINE)
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden tests: not shown)"


class SetInstallSource(NbGraderPreprocessor):
    """Write the course's dgmlab install source into the release setup cell.

    The setup cell (grade_id ``setup``) holds a line ``DGMLAB_INSTALL = "..."``
    that Colab passes to ``pip install``; this preprocessor replaces its value
    with :attr:`install_source` so one setting serves every homework.
    """

    install_source = Unicode(
        "dgmlab",
        help="pip requirement Colab installs dgmlab from: a package name, a wheel URL, "
             "or 'dgmlab @ git+https://...'.",
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade_id") == "setup":
            if not INSTALL_LINE.search(cell.source):
                raise ValueError("the setup cell has no line 'DGMLAB_INSTALL = ...' to set; rebuild the notebook "
                                 "with tools/build_notebooks.py")
            value = self.install_source.replace("\\", "\\\\").replace('"', '\\"')
            cell.source = INSTALL_LINE.sub(
                f'DGMLAB_INSTALL = "{value}"  # where Colab installs dgmlab from: set by the course', cell.source)
        return cell, resources


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


class DeduplicateIds(_NbgraderDeduplicateIds):
    """nbgrader's DeduplicateIds, fixed: a duplicated graded cell loses its nbgrader metadata entirely.

    nbgrader 0.9.6 leaves an empty ``nbgrader`` dict on the copy, which its own
    CheckCellMetadata then rejects as "an old version of the metadata format",
    failing the whole submission. A student who copied a test cell gets the
    original graded and the copy ignored instead.
    """

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if "nbgrader" in cell.get("metadata", {}) and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources


RAISES_TAG = "raises-exception"          # nbval (and nbclient) let a cell with this tag raise
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"    # tools/nbauthor.py puts it on the first line of a checked cell


def may_run_a_stub(source: str) -> bool:
    """Whether running a release answer cell's ``source`` may reach a ``raise NotImplementedError()`` stub.

    Only a raise or a call outside function bodies can (a cell that just defines functions,
    classes without calls in their bodies, and constants runs no student code); source that does
    not parse counts as True."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue                      # its body runs only when something calls it
        if isinstance(node, (ast.Raise, ast.Call)):
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


class TagAnswerDependentCells(NbGraderPreprocessor):
    """For CI's nbval run of a release notebook: tag the cells a blank release fails in.

    nbval (``pytest --nbval-lax``) fails a notebook at the first cell that raises, unless the
    cell carries the ``raises-exception`` tag; a tagged cell that does not raise passes too.
    The source notebook runs the same cells with the reference answers and must run clean,
    so the tag goes on release cells only. Runs after ClearSolutions and tags

    - every test cell (grade, not solution): it calls the student's code;
    - every answer cell that may run a stub when run itself (see :func:`may_run_a_stub`);
    - every cell the builder marked ``uses_answers=True`` (metadata ``dgmlab.uses_answers``).

    It also drops the builder's ``dgmlab`` metadata and the ``# NBVAL_CHECK_OUTPUT`` line:
    a release carries no outputs to check, and students need neither.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        meta = cell.get("metadata", {})
        nbgrader = meta.get("nbgrader", {})
        builder = meta.pop("dgmlab", None) or {}
        is_test = bool(nbgrader.get("grade")) and not nbgrader.get("solution")
        is_raising_answer = bool(nbgrader.get("solution")) and may_run_a_stub(cell.source)
        if is_test or is_raising_answer or builder.get("uses_answers"):
            tags = list(meta.get("tags", []))
            if RAISES_TAG not in tags:
                meta["tags"] = tags + [RAISES_TAG]
        first, _, rest = cell.source.partition("\n")
        if first.strip() == CHECK_MARKER:
            cell.source = rest
        return cell, resources
