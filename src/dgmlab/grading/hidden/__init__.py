"""The kit's hidden tests and references, one package per homework, in the grader only.

Each kit homework keeps its grader-only side in ``homeworks/<hw>/hidden/``, a sibling of its ``checks/`` (the visible
side, shipped to students as ``dgmlab.probes.<hw>``), one module per part named as the part's percent file. A part's
module defines its hidden tests as the visible ones are written, ``test_x(v, ref)`` with ``@points(w)``
(:class:`dgmlab.probes.Ref`), and lists them by test cell in ``HIDDEN``; the package's ``__init__.py`` gathers the
parts' ``HIDDEN`` and ``EXPECTED`` (what the visible tests compare with, :mod:`dgmlab.grading.references.recorded`).

The grader's wheel ships each as ``dgmlab.grading.hidden.<hw>`` (grader/pyproject.toml); in a checkout a finder
imports that name from the homework folder. The student package never has them, and a kernel's sandbox
never shows them (:func:`dgmlab.grading.sandbox.environment_paths`).
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path

from ... import probes

FOLDER = "hidden"  # homeworks/<hw>/hidden/


def checkout_folder(hw: str) -> Path | None:
    """``homeworks/<hw>/hidden/`` of the checkout this package runs from, or ``None`` (an installed grader)."""
    root = Path(__file__).resolve().parents[4] / "homeworks"
    folder = root / hw / FOLDER
    return folder if (folder / "__init__.py").is_file() else None


class _CheckoutFinder(importlib.abc.MetaPathFinder):
    """Finds ``dgmlab.grading.hidden.<hw>`` in the checkout's ``homeworks/<hw>/hidden/`` (the grader's wheel has it
    in place, and is asked first)."""

    def find_spec(self, fullname, path=None, target=None):
        parent, _, hw = fullname.rpartition(".")
        if parent != __name__ or hw not in probes.KIT_HOMEWORKS or (folder := checkout_folder(hw)) is None:
            return None
        return importlib.util.spec_from_file_location(fullname, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])


if not any(isinstance(f, _CheckoutFinder) for f in sys.meta_path):
    sys.meta_path.append(_CheckoutFinder())


def module(hw: str):
    """``hw``'s hidden package (``dgmlab.grading.hidden.<hw>``), or ``None`` when the homework has none."""
    if hw not in probes.KIT_HOMEWORKS:
        return None
    return probes.optional_module(f"{__name__}.{hw}")


def tests(hw: str, cell: str) -> tuple | None:
    """The hidden test functions of ``hw``'s test cell ``cell``, in order (``()``: it has none), or ``None`` when
    ``hw`` keeps its hidden tests in its instructor's notebook (a course's own homework)."""
    found = module(hw)
    if found is None:
        return None
    return tuple(found.HIDDEN.get(cell, ()))


def folders() -> list[Path]:
    """The checkout's hidden folders of the kit's homeworks (what the judge's sandbox shows it; none when
    installed)."""
    return [f for hw in probes.KIT_HOMEWORKS if (f := checkout_folder(hw)) is not None]
