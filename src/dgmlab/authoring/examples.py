"""The demo's example submissions, made from a homework's release and source notebooks, and
``dgmlab examples``, which writes them.

- ``reference``: the release notebook with every answer cell filled with the source's solution (solution
  markers removed) and every written answer with the model answer. It must earn every autograded point.
- ``blank``: the release notebook untouched. It must earn none.
- ``partial``: the reference with a few realistic wrong answers (the builder's ``PARTIAL`` mutants) in
  place. It earns some points.
- a class: each of the builder's ``CLASS`` students (``{student id: [mutant labels]}``) is the reference
  with those mutants in place, so a homework can show an instructor's dashboard a class with different and
  shared mistakes.

Each homework's examples (``examples/<student>/<hw>/<hw>.ipynb``) are made from its release and
source notebooks and its builder's ``MUTANTS``, ``PARTIAL`` and ``CLASS``
(:func:`example_submissions`), so run it after ``dgmlab release``.
Other files in an example folder (e.g. the saved samples a homework grades) are left as they are.
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat

from ..grading.cell_roles import is_solution
from ..grading.layout import Course
from .build import homeworks, select
from .proofs import _grade_id as _gid
from .proofs import resolve, strip_solution_markers


def write_examples(root: Path | str = ".", hws: list[str] = (), *, check: bool = False,
                   out=None, err=None) -> int:
    """Write (or with ``check``, compare) the example notebooks of ``hws`` (default: all); 1 when stale."""
    out, err = out or sys.stdout, err or sys.stderr
    root = Path(root).resolve()
    course = Course(root)
    all_homeworks = homeworks(root)
    stale = []
    for hw in select(all_homeworks, list(hws)):
        builder = all_homeworks[hw]
        examples = example_submissions(course.release_notebook(hw), course.source_notebook(hw),
                                       getattr(builder, "MUTANTS", []), getattr(builder, "PARTIAL", []),
                                       getattr(builder, "CLASS", {}))
        for student, nb in examples.items():
            path = root / "examples" / student / hw / f"{hw}.ipynb"
            text = nbformat.writes(nb) + "\n"
            if check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    stale.append(f"{student}/{hw}")
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(root)}", file=out)
    if stale:
        print(f"examples out of date: {stale}; run dgmlab examples", file=err)
        return 1
    return 0

def reference_submission(release_nb, source_nb):
    """A copy of ``release_nb`` whose solution cells hold the source's solutions."""
    solutions = {_gid(c): strip_solution_markers(c.source) for c in source_nb.cells if is_solution(c)}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        gid = _gid(cell)
        if gid in solutions:
            cell.source = solutions[gid]
    return nb


def with_answers(nb, replacements: dict):
    """A copy of ``nb`` with answer cells replaced: ``{grade_id: source}``."""
    nb = copy.deepcopy(nb)
    found = set()
    for cell in nb.cells:
        gid = _gid(cell)
        if gid in replacements:
            cell.source = replacements[gid]
            found.add(gid)
    missing = set(replacements) - found
    if missing:
        raise KeyError(f"no answer cells {sorted(missing)} in the notebook")
    return nb


def with_mutants(reference, mutants, labels, who: str):
    """``reference`` with the answers of the mutants named by ``labels`` in place."""
    by_label = {m.label: m for m in mutants}
    unknown = [label for label in labels if label not in by_label]
    if unknown:
        raise KeyError(f"{who} names unknown mutants {unknown}")
    answers = [by_label[label].answer for label in labels]
    twice = sorted({a for a in answers if answers.count(a) > 1})
    if twice:
        raise ValueError(f"{who} gives answer cells {twice} more than one mutant; name one per cell")
    chosen = resolve([by_label[label] for label in labels], reference)
    return with_answers(reference, {m.answer: m.source for m in chosen})


def example_submissions(release_path: Path, source_path: Path, mutants=(), partial_labels=(),
                        classmates=None) -> dict:
    """``{student id: notebook}`` for the example students and the ``classmates`` (see module docstring)."""
    release_nb = nbformat.read(release_path, as_version=4)
    source_nb = nbformat.read(source_path, as_version=4)
    reference = reference_submission(release_nb, source_nb)
    out = {"demo_reference": reference, "demo_blank": copy.deepcopy(release_nb)}
    if partial_labels:
        out["demo_partial"] = with_mutants(reference, mutants, partial_labels, "PARTIAL")
    for student, labels in (classmates or {}).items():
        if student in out:
            raise ValueError(f"CLASS student {student!r} clashes with an example student's name")
        out[student] = with_mutants(reference, mutants, labels, f"CLASS student {student!r}")
    return out
