"""A homework's reference code, run in this process: what benchmarks and tests train and measure.

The source notebook (``source/<hw>/<hw>.ipynb``) holds every reference solution; running its cells
is the one way benchmarks and tests get that code, so they measure exactly what students are
given and what the solutions do (solution markers are comments, so the cells run as they are).
"""
from __future__ import annotations

import ast
import linecache
import re
from pathlib import Path

import nbformat

from .. import syntax_tree
from ..grading.cell_roles import is_graded

TRAINING_GUARD = re.compile(r"^\s*if not (\w+\.)*is_grading\(\)")  # the notebook's own training runs


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _defines(source: str) -> set[str]:
    """Top-level function and class names a cell defines."""
    try:
        tree = syntax_tree.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _is_default(cell) -> bool:
    return not (is_graded(cell) or _grade_id(cell) == "setup" or TRAINING_GUARD.match(cell.source))


def reference_cells(notebook: Path | str, cells: list[str] | None = None) -> list:
    """The code cells of ``notebook`` to run, in notebook order.

    ``cells``: each item names a cell by its grade id or by a function or class it defines
    (``"train_wgan"`` for the cell with ``def train_wgan(``); every item must match one cell.
    Default: every code cell but the setup cell (it enters the homework's folder), test cells and
    the notebook's own training runs (cells that start with ``if not ...is_grading():``)."""
    nb = nbformat.read(Path(notebook), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if cells is None:
        return [c for c in code if _is_default(c)]
    chosen, missing = [], []
    for name in cells:
        found = [c for c in code if _grade_id(c) == name] or [c for c in code if name in _defines(c.source)]
        if len(found) != 1:
            missing.append(f"{name!r} ({len(found)} cells)")
        else:
            chosen.append(found[0])
    if missing:
        raise KeyError(f"{notebook}: no single code cell with grade id or definition {', '.join(missing)}")
    return sorted({id(c): c for c in chosen}.values(), key=code.index)


def reference_namespace(notebook: Path | str, cells: list[str] | None = None, namespace: dict | None = None) -> dict:
    """Run the :func:`reference_cells` of ``notebook`` in ``namespace`` (default: a new one) and return it."""
    ns = {"__name__": f"reference_{Path(notebook).stem}"} if namespace is None else namespace
    for cell in reference_cells(notebook, cells):
        label = _grade_id(cell) or next(iter(sorted(_defines(cell.source))), "cell")
        filename = f"<{Path(notebook).stem}:{label}>"
        # as IPython does for a cell: tracebacks show its lines, and inspect (checkpoint fingerprints) finds them
        linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
        exec(compile(cell.source, filename, "exec"), ns)
    return ns
