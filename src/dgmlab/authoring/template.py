"""``dgmlab new-homework <hw>``: copy the kit's template homework into a course as ``homeworks/<hw>/``.

The template (``homework_template/``, package data of this package) is a small homework of a course's own: one
code question (visible checks against recorded values, a hidden test on the grader's draw), one derivation graded
by exact sympy comparison, one written answer; its visible checks in ``checks.py``, its hidden tests in
``hidden.py`` (the grader's only), its proofs in ``proofs.py``. docs/own_homework.md builds, proves, releases and
grades it; ``dgmlab new-homework --help`` lists the files.

With ``--kit``, the same homework in the kit's own layout, for a kit checkout: the same percent files and proofs,
with the template's :data:`KIT_LAYOUT` folder in place of :data:`COURSE_ONLY` (``checks/`` and ``hidden/`` packages
with one module per part; every test carries ``@points(w)`` and the cells' totals are their sums). ``make notebooks
HW=<hw>`` builds it and ``pytest tests/authoring/test_proofs.py -k <hw>`` proves it (docs/authoring.md).
"""
from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import homeworks
from dgmlab.grading.layout import HW_PATTERN

from .build import BUILDERS, BuildError

TEMPLATE = "homework_template"
KIT_LAYOUT = "kit_layout"  # in the template: what the kit's layout has in place of COURSE_ONLY (checks/, hidden/)
COURSE_ONLY = ("__init__.py", "intro.py", "checks.py", "hidden.py", "corpus.json")  # the others: both layouts


def kit_next_steps(hw: str) -> str:
    """What to do after ``new-homework --kit <hw>``, in the order that works (the page's points table needs the points
    ``dgmlab build`` sums; ``make notebooks`` ends by writing the points tables, which need the page; the template's
    checked cell needs a recorded output)."""
    return "\n".join([
        "next, in a kit checkout (docs/authoring.md, CONTRIBUTING.md):",
        f"  1. write the questions in homeworks/{hw}/ (checks/, hidden/, proofs.py)",
        f"  2. dgmlab build {hw} (it sums each test cell's @points, which step 3 reads)",
        f"  3. write docs/{hw}.md with its '## Points' section (python tools/write_points_tables.py prints one to "
        f"start from), link it from docs/README.md and add a `{hw}` row to README.md's homework table",
        f"  4. make notebooks HW={hw}",
        f"  5. dgmlab build --record-outputs {hw} (the checked cells' outputs, which nbval compares)",
        f"  6. pytest tests/authoring/test_proofs.py -k {hw}; make check-notebooks HW={hw}",
        f"  7. the kit's tests of each homework: pytest -m 'not e2e' -k {hw} tests/ (a new homework's numbers need "
        "tolerances and float-noise measures, its code cells a library-shortcut audit; each failure says what to "
        "add)",
        "  8. its checks reach students in the student wheel: rebuild and publish it (docs/publishing.md) before "
        "the notebook goes out"])


def template_folder() -> Path:
    """The template's files, as shipped in :mod:`dgmlab.authoring` (the kit layout's own in its :data:`KIT_LAYOUT`)."""
    return Path(str(resources.files(__package__) / TEMPLATE))


def new_homework(root: Path | str, hw: str, kit: bool = False) -> Path:
    """Copy the template (the kit layout's with ``kit``) into ``root/homeworks/<hw>/`` and return that folder;
    refuses an id nbgrader's layout does not read, one the kit itself uses, and a homework that already has a
    source."""
    root = Path(root).resolve()
    if not HW_PATTERN.fullmatch(hw):
        raise BuildError(f"{hw!r} is not a homework id: write hw<digit><letters, digits or _>, e.g. hw6_vae")
    if hw in homeworks.names():
        raise BuildError(f"{hw} is one of the kit's own homeworks (its checks are homeworks.{hw}.checks): "
                         "give your homework another id, e.g. hw6_vae")
    folder = root / BUILDERS / hw
    taken = [p for p in (folder, root / BUILDERS / f"{hw}.py", root / "source" / hw) if p.exists()]
    if taken:
        raise BuildError(f"{taken[0]} already exists: choose a new homework id or remove it first")
    template, skipped = template_folder(), ("__pycache__", "*.pyc", KIT_LAYOUT)
    shutil.copytree(template, folder, ignore=shutil.ignore_patterns(*skipped, *(COURSE_ONLY if kit else ())))
    if kit:
        shutil.copytree(template / KIT_LAYOUT, folder, ignore=shutil.ignore_patterns(*skipped), dirs_exist_ok=True)
    return folder
