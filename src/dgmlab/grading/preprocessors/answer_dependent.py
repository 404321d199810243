"""TagAnswerDependentCells (generate_assignment): the release cells a blank notebook fails in, tagged for nbval."""
from __future__ import annotations

import ast

from ... import syntax_tree
from .. import nbgrader_preprocessing
from ..cell_roles import is_graded, is_solution

RAISES_TAG = "raises-exception"          # nbval (and nbclient) let a cell with this tag raise
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"    # dgmlab.authoring puts it on the first line of a checked cell


def may_run_a_stub(source: str) -> bool:
    """Whether running a release answer cell's ``source`` may reach a ``raise NotImplementedError()`` stub.

    Only a raise or a call outside function bodies can (a cell that just defines functions,
    classes without calls in their bodies, and constants runs no student code); source that does
    not parse counts as True."""
    try:
        tree = syntax_tree.parse(source)
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


class TagAnswerDependentCells(nbgrader_preprocessing.NbGraderPreprocessor):
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
        builder = meta.pop("dgmlab", None) or {}
        is_test = bool(is_graded(cell)) and not is_solution(cell)
        is_raising_answer = bool(is_solution(cell)) and may_run_a_stub(cell.source)
        if is_test or is_raising_answer or builder.get("uses_answers"):
            tags = list(meta.get("tags", []))
            if RAISES_TAG not in tags:
                meta["tags"] = tags + [RAISES_TAG]
        first, _, rest = cell.source.partition("\n")
        if first.strip() == CHECK_MARKER:
            cell.source = rest
        return cell, resources

