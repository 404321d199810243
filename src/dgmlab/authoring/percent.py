"""Notebook source as jupytext percent text: a question read top to bottom as the student sees it.

A homework in folder form lives in ``homeworks/<hw>/``:

- one percent file per part (``intro.py``, ``q1_change_of_variables.py``, ...): the statement, the
  solution, the tests and the written answers of that part, in notebook order. Each file is plain
  text that Jupyter opens (jupytext), editors and linters read as Python, and LaTeX needs no escapes
  (markdown lines are comments);
- ``proofs.py``: the proofs' ``MUTANTS`` (and ``PARTIAL``, ``CLASS``, ``EQUIVALENT_MUTANTS``, ...);
- ``__init__.py``: the homework's description (a docstring; it imports nothing, so that ``homeworks.<hw>.checks``
  imports light). The notebook's parts are found, not listed: :func:`parts`.

What a cell is comes from its ``# %%`` header (jupytext's ``key=value`` cell metadata, values in JSON)::

    # %% [markdown]                                   a locked statement (nb.md)
    # %% [markdown] kind="written" grade_id="q1a" points=4   a hand-graded answer; the text is the model answer
    # %%                                              a plain code cell the student runs (nb.code)
    # %% locked=true grade_id="q2_symbols"            a locked code cell (also check_output=true, uses_answers=true)
    # %% kind="setup"                                 the standard setup cell (its body stays empty)
    # %% kind="answer" grade_id="q1_jacobian"         an answer cell with ### BEGIN/END SOLUTION markers
    # %% kind="tests" grade_id="q1_jacobian_tests"   a graded test cell: its check() call

A test cell's points are its tests' (``@points(w)``, summed: :func:`dgmlab.probes.points.derive`), a course's own
homework's those its ``CheckSpec`` gives; a course's header may repeat them (``points=6``), checked equal.

The converter only calls :class:`~dgmlab.authoring.notebook.Notebook`, so nbgrader metadata is still
made in one place. A course's own homework keeps its check specs in ``checks.py`` in the same folder
(:meth:`~dgmlab.authoring.notebook.Notebook.checks_file`) and its hidden tests in ``hidden.py``
(:meth:`~dgmlab.authoring.notebook.Notebook.hidden_file`); the kit's are in ``checks/`` and ``hidden/``. A test
cell holding hidden-test markers stops the build, naming the file and the line.
"""
from __future__ import annotations

import re
from pathlib import Path

from dgmlab import handin, probes
from dgmlab.grading import hidden
from dgmlab.grading.hidden import FILE as HIDDEN_FILE
from dgmlab.probes import CHECKS_FILE
from dgmlab.probes.points import PlanError

from . import headings
from .errors import BuildError
from .notebook import MOVE_HIDDEN, Notebook, hidden_marker_line

FORMAT = "py:percent"
# jupytext's own cell metadata (spacing, titles): not ours, ignored when read
JUPYTEXT_KEYS = {"lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker"}
# what each kind of cell accepts in its header: {(cell type, kind): (required keys, optional keys)}
KINDS = {
    ("markdown", None): (set(), {"grade_id", "locked"}),
    ("markdown", "written"): ({"grade_id", "points"}, set()),
    ("code", None): (set(), {"grade_id", "locked", "check_output", "uses_answers"}),
    ("code", "setup"): (set(), set()),
    ("code", "answer"): ({"grade_id"}, {"check_output"}),
    ("code", "tests"): ({"grade_id"}, {"points"}),  # points: a course's own homework's, checked against its spec
}


class PercentError(BuildError, ValueError):
    """A percent source that cannot be read; the message names the file, the line and the fix
    (``dgmlab build`` prints it without a traceback)."""


def _header_lines(text: str) -> list[int]:
    """1-based line numbers of the ``# %%`` cell markers of ``text``."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("# %%")]


def read_cells(path: Path) -> list[tuple[int, str, dict, str]]:
    """``[(line, cell_type, metadata, source)]`` of the percent file at ``path``."""
    import jupytext

    text = Path(path).read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt=FORMAT)
    lines = _header_lines(text)
    if len(nb.cells) != len(lines):
        first = lines[0] if lines else "its end"
        raise PercentError(f"{path}: text before the first '# %%' marker (line {first}): start every cell "
                           "with '# %%' (code) or '# %% [markdown]'")
    return [(line, c.cell_type, {k: v for k, v in c.metadata.items() if k not in JUPYTEXT_KEYS}, c.source)
            for line, c in zip(lines, nb.cells)]


def _check(path, line, cell_type, meta) -> str | None:
    kind = meta.get("kind")
    where = f"{path}:{line}"
    if (cell_type, kind) not in KINDS:
        known = sorted(k for t, k in KINDS if t == cell_type and k)
        raise PercentError(f"{where}: unknown kind={kind!r} for a {cell_type} cell; use one of {known} or none")
    required, optional = KINDS[(cell_type, kind)]
    keys = set(meta) - {"kind"}
    if required - keys:
        raise PercentError(f"{where}: a {kind} cell needs {', '.join(sorted(required - keys))} in its header, "
                           f'e.g. # %% kind="{kind}" ' + " ".join(f"{k}=..." for k in sorted(required)))
    if keys - required - optional:
        raise PercentError(f"{where}: {', '.join(sorted(keys - required - optional))} not allowed on a "
                           f"{kind or 'plain ' + cell_type} cell (allowed: {sorted(required | optional) or 'nothing'})")
    if "points" in meta and not isinstance(meta["points"], (int, float)):
        raise PercentError(f"{where}: points={meta['points']!r} must be a number, e.g. points=6")
    return kind


def _refuse_hidden_text(path: Path, line: int) -> None:
    """Stop the build when the cell whose header is at ``line`` of ``path`` holds a hidden-test marker."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()[line:]
    body = lines[:next((i for i, text in enumerate(lines) if text.startswith("# %%")), len(lines))]
    found = hidden_marker_line("\n".join(body))
    if found is not None:
        raise PercentError(f"{path}:{line + found}: a hidden-test marker in a test cell; {MOVE_HIDDEN}")


def add_part(nb: Notebook, path: Path) -> list[tuple[Path, int]]:
    """Add the cells of the percent file at ``path`` to ``nb``, in order; ``[(path, line of its header)]`` of each."""
    cells = read_cells(path)
    for line, cell_type, meta, source in cells:
        kind = _check(path, line, cell_type, meta)
        if kind == "tests":
            _refuse_hidden_text(path, line)
            if "points" in meta and nb.points_file is not None and not (path.parent / CHECKS_FILE).is_file():
                raise PercentError(f"{path}:{line}: points= in a kit homework's test cell header: remove it (the "
                                   f"cell is worth its tests' @points, summed into checks/points.json)")
        try:
            if cell_type == "markdown" and kind == "written":
                nb.written(meta["grade_id"], meta["points"], model_answer=source)
            elif cell_type == "markdown":
                nb.md(source, locked=meta.get("locked", True), grade_id=meta.get("grade_id"))
            elif kind == "setup":
                if source.strip():
                    raise PercentError(f"{path}:{line}: the setup cell is made by dgmlab; leave its body empty")
                nb.setup()
            elif kind == "answer":
                nb.answer(meta["grade_id"], source, check_output=meta.get("check_output", False))
            elif kind == "tests":
                nb.tests(meta["grade_id"], meta.get("points"), source)
            else:
                nb.code(source, locked=meta.get("locked", False), grade_id=meta.get("grade_id"),
                        check_output=meta.get("check_output", False), uses_answers=meta.get("uses_answers", False))
        except PercentError:
            raise
        except ValueError as exc:  # the Notebook's own checks (markers, points, duplicate ids)
            raise PercentError(f"{path}:{line}: {exc}") from None
    return [(path, line) for line, *_ in cells]


PART = re.compile(r"([qp])([0-9]+)_\w+\.py")  # a question's (q) or problem's (p) percent file: q1_change_of_variables.py


def parts(folder: Path | str) -> list[str]:
    """A homework folder's percent files in notebook order: ``intro.py``, then its questions ``q<N>_*.py``, then
    its problems ``p<N>_*.py``, each by number (what the handouts do: ECE1508's written Q1-Q4 come before its
    programming P1-P2)."""
    folder = Path(folder)
    found = sorted((("qp".index(m[1]), int(m[2]), m[0]) for path in folder.glob("*.py")
                    if (m := PART.fullmatch(path.name))))
    numbers = [(kind, number) for kind, number, _ in found]
    if len(set(numbers)) != len(numbers):
        twice = sorted({name for kind, number, name in found if numbers.count((kind, number)) > 1})
        raise PercentError(f"{folder}: two parts have one number ({', '.join(twice)}): number each part once")
    return (["intro.py"] if (folder / "intro.py").is_file() else []) + [name for _, _, name in found]


def build_homework(hw: str, folder: Path | str, parts: list[str] | None = None) -> Notebook:
    """The Notebook of ``hw`` from the percent files ``parts`` (names in ``folder``; default: :func:`parts`),
    point totals filled."""
    folder = Path(folder)
    parts = globals()["parts"](folder) if parts is None else parts
    nb = Notebook(hw)
    if (folder / CHECKS_FILE).is_file():
        nb.checks_file(folder / CHECKS_FILE)
    if (folder / HIDDEN_FILE).is_file():
        if not (folder / CHECKS_FILE).is_file():
            raise PercentError(f"{folder / HIDDEN_FILE}: hidden tests need the cells' specs in {folder / CHECKS_FILE} "
                               "(docs/own_homework.md)")
        nb.hidden_file(folder / HIDDEN_FILE)
    for name in parts:
        if not (folder / name).is_file():
            raise PercentError(f"{folder} has no part {name!r} ({folder / name} does not exist)")
    if (folder / "checks").is_dir():  # a kit homework: its test cells' points are their tests' @points, summed

        try:
            table = probes.derive_points(hw, lambda cell: hidden.tests(hw, cell))
        except PlanError as exc:
            raise PercentError(f"{folder}: {exc}") from None
        probes.use_points(hw, table)
        nb.points_file = (folder / "checks" / probes.POINTS_FILE, table)
    elif (folder / CHECKS_FILE).is_file():  # a course's own: the same sums, points.json beside checks.py (released)
        try:
            table = probes.derive_points(hw, lambda cell: hidden.tests(hw, cell))
        except PlanError as exc:
            raise PercentError(f"{folder / CHECKS_FILE}: {exc}") from None
        probes.use_points(hw, table)
        nb.points_file = (folder / probes.POINTS_FILE, table)
    origins = [origin for name in parts for origin in add_part(nb, folder / name)]
    wrong = headings.problems(nb.nb.cells, origins)  # a statement's "(N points)" against the cells' points
    if wrong:
        raise PercentError(f"{hw}: a heading's points differ from its cells':\n  " + "\n  ".join(wrong))

    if handin.of(hw) is not None:  # a kit homework ends with its hand-in list and how to make its PDFs in Colab
        nb.md(handin.markdown(hw))
    nb.fill_point_totals()
    return nb
