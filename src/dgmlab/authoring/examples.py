"""Write the demo's example submissions: what ``dgmlab examples`` runs.

Each homework's examples (``examples/<student>/<hw>/<hw>.ipynb``) are made from its release and
source notebooks and its builder's ``MUTANTS``, ``PARTIAL`` and ``CLASS``
(:func:`dgmlab.grading.examples.example_submissions`), so run it after ``dgmlab release``.
Other files in an example folder (e.g. the saved samples a homework grades) are left as they are.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from ..grading.examples import example_submissions
from .build import homeworks, select


def write_examples(root: Path | str = ".", hws: list[str] = (), *, check: bool = False,
                   out=None, err=None) -> int:
    """Write (or with ``check``, compare) the example notebooks of ``hws`` (default: all); 1 when stale."""
    out, err = out or sys.stdout, err or sys.stderr
    root = Path(root).resolve()
    all_homeworks = homeworks(root)
    stale = []
    for hw in select(all_homeworks, list(hws)):
        builder = all_homeworks[hw]
        examples = example_submissions(root / "release" / hw / f"{hw}.ipynb", root / "source" / hw / f"{hw}.ipynb",
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
