"""Notebook source as jupytext percent text: a question read top to bottom as the student sees it.

A homework in folder form lives in ``tools/notebooks/<hw>/``:

- one percent file per part (``intro.py``, ``q1_change_of_variables.py``, ...): the statement, the
  solution, the tests and the written answers of that part, in notebook order. Each file is plain
  text that Jupyter opens (jupytext), editors and linters read as Python, and LaTeX needs no escapes
  (markdown lines are comments);
- ``proofs.py``: the proofs' ``MUTANTS`` (and ``PARTIAL``, ``CLASS``, ``EQUIVALENT_MUTANTS``, ...);
- ``__init__.py``: ``PARTS`` (the files in order), ``build()`` (:func:`build_homework`) and the proofs.

What a cell is comes from its ``# %%`` header (jupytext's ``key=value`` cell metadata, values in JSON)::

    # %% [markdown]                                   a locked statement (nb.md)
    # %% [markdown] kind="written" grade_id="q1a" points=4   a hand-graded answer; the text is the model answer
    # %%                                              a plain code cell the student runs (nb.code)
    # %% locked=true grade_id="q2_symbols"            a locked code cell (also check_output=true, uses_answers=true)
    # %% kind="setup"                                 the standard setup cell (its body stays empty)
    # %% kind="answer" grade_id="q1_jacobian"         an answer cell with ### BEGIN/END SOLUTION markers
    # %% kind="tests" grade_id="q1_jacobian_tests" points=6   a graded test cell, hidden tests inline

The converter only calls :class:`~dgmlab.authoring.notebook.Notebook`, so nbgrader metadata is still
made in one place. :func:`export` writes these files from a builder's part functions (the migration).
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

from .build import BuildError
from .notebook import Notebook, clean_source

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
    ("code", "tests"): ({"grade_id", "points"}, set()),
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


def add_part(nb: Notebook, path: Path) -> None:
    """Add the cells of the percent file at ``path`` to ``nb``, in order."""
    for line, cell_type, meta, source in read_cells(path):
        kind = _check(path, line, cell_type, meta)
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
                nb.tests(meta["grade_id"], meta["points"], source)
            else:
                nb.code(source, locked=meta.get("locked", False), grade_id=meta.get("grade_id"),
                        check_output=meta.get("check_output", False), uses_answers=meta.get("uses_answers", False))
        except PercentError:
            raise
        except ValueError as exc:  # the Notebook's own checks (markers, points, duplicate ids)
            raise PercentError(f"{path}:{line}: {exc}") from None


def build_homework(hw: str, folder: Path | str, parts: list[str]) -> Notebook:
    """The Notebook of ``hw`` from the percent files ``parts`` (names in ``folder``), point totals filled."""
    folder = Path(folder)
    nb = Notebook(hw)
    for name in parts:
        if not (folder / name).is_file():
            raise PercentError(f"{folder}/__init__.py lists {name!r} in PARTS, but {folder / name} does not exist")
        add_part(nb, folder / name)
    nb.fill_point_totals()
    return nb


# -- migration: a builder's part functions -> percent files -------------------------------------------

class _Recorder(Notebook):
    """A Notebook that also records each call, to write it back as a percent cell."""

    def __init__(self, hw):
        super().__init__(hw)
        self.calls: list[tuple[str, dict, str]] = []  # (cell_type, header metadata, source)

    def md(self, text, locked=True, grade_id=None):
        meta = {**({"grade_id": grade_id} if grade_id else {}), **({} if locked else {"locked": False})}
        self.calls.append(("markdown", meta, clean_source(text)))
        return super().md(text, locked, grade_id)

    def code(self, src, locked=False, grade_id=None, *, check_output=False, uses_answers=False):
        if grade_id != "setup":
            meta = {k: v for k, v in [("locked", locked), ("grade_id", grade_id), ("check_output", check_output),
                                      ("uses_answers", uses_answers)] if v}
            self.calls.append(("code", meta, clean_source(src)))
        return super().code(src, locked, grade_id, check_output=check_output, uses_answers=uses_answers)

    def setup(self):
        self.calls.append(("code", {"kind": "setup"}, ""))
        return super().setup()

    def answer(self, grade_id, src, *, check_output=False):
        meta = {"kind": "answer", "grade_id": grade_id, **({"check_output": True} if check_output else {})}
        self.calls.append(("code", meta, clean_source(src)))
        return super().answer(grade_id, src, check_output=check_output)

    def tests(self, grade_id, points, src):
        self.calls.append(("code", {"kind": "tests", "grade_id": grade_id, "points": points}, clean_source(src)))
        return super().tests(grade_id, points, src)

    def written(self, grade_id, points, model_answer):
        self.calls.append(("markdown", {"kind": "written", "grade_id": grade_id, "points": points},
                           clean_source(model_answer)))
        return super().written(grade_id, points, model_answer)


def part_functions(module) -> list[str]:
    """The names of the part functions ``module.build()`` calls with ``nb``, in order."""
    import inspect

    tree = ast.parse(inspect.getsource(module.build))
    return [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id.startswith("_") and len(n.args) == 1]


def to_percent(calls) -> str:
    """The percent text of recorded ``calls``."""
    import jupytext
    import nbformat

    nb = nbformat.v4.new_notebook()
    for cell_type, meta, source in calls:
        make = nbformat.v4.new_markdown_cell if cell_type == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(make(source, metadata=dict(meta)))
    nb.metadata["jupytext"] = {"notebook_metadata_filter": "-all", "cell_metadata_filter": "all"}
    return jupytext.writes(nb, fmt=FORMAT)


def export(module, hw: str, folder: Path, part_of) -> list[str]:
    """Write a builder's notebook as percent files in ``folder``, one per part; return their names in order.

    ``module.build()`` runs on a recording Notebook; ``part_of(function name)`` names the file a part
    function's cells go to (``None``: the file before it); cells ``build()`` makes itself go to the
    current file (``intro.py`` at the start). The written files build the same notebook (check with
    ``dgmlab build <hw> --check``). The proofs are moved by hand."""
    rec = _Recorder(hw)
    marks = [(0, "intro.py")]
    originals = {fn: getattr(module, fn) for fn in part_functions(module)}

    def marked(fn):
        def run(nb):
            name = part_of(fn)
            if name and name != marks[-1][1]:
                marks.append((len(rec.calls), name))
            return originals[fn](nb)
        return run

    saved_notebook = module.Notebook
    try:
        module.Notebook = lambda name: rec
        for fn in originals:
            setattr(module, fn, marked(fn))
        module.build()
    finally:
        module.Notebook = saved_notebook
        for fn, original in originals.items():
            setattr(module, fn, original)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for (start, name), (end, _) in zip(marks, marks[1:] + [(len(rec.calls), None)]):
        if name in names:
            raise ValueError(f"{hw}: part {name!r} comes back after another part; name the parts apart")
        (folder / name).write_text(to_percent(rec.calls[start:end]), encoding="utf-8")
        names.append(name)
    return names


def _main(argv=None) -> int:
    """``python -m dgmlab.authoring.percent export <hw> [--course DIR]``: a builder's parts as percent files."""
    import argparse
    import re

    from .build import homeworks

    p = argparse.ArgumentParser(description=_main.__doc__)
    p.add_argument("action", choices=["export"])
    p.add_argument("hw")
    p.add_argument("--course", default=".")
    p.add_argument("--out", default=None, help="folder to write (default: tools/notebooks/<hw>.percent/, beside the builder)")
    args = p.parse_args(argv)
    module = homeworks(args.course)[args.hw].module

    def part_of(fn):  # _q1_jacobian -> q1.py; a function without a q<N>/p<N> prefix joins the part before it
        m = re.match(r"_([qp]\d+)", fn)
        return f"{m.group(1)}.py" if m else None

    out = Path(args.out or Path(args.course) / "tools" / "notebooks" / f"{args.hw}.percent")
    print(json.dumps({"wrote": export(module, args.hw, out, part_of), "folder": str(out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
