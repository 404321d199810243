"""Every visible and hidden test is written ``test_x(v, ref)``: the one form, checked by the build and the proofs.

The judge calls each test by position with ``v``, the student's values (``v.<name>``, ``v.inputs``), and ``ref``,
the grader's (``ref.<name>``, ``ref.cell``, ``ref.keep``). A test written ``test_x(v)`` or with other names would run
too, but a homework reads the same everywhere only in one form, so the build stops at any other, naming the test
and what to write. A module that binds ``v`` or ``ref`` itself (a sympy symbol ``v``) is refused as well: inside
the test that name is the argument, not the module's.
"""
from __future__ import annotations

import inspect
from pathlib import Path

from dgmlab import probes

from ..grading import hidden

FORM = ("v", "ref")


def _file(fn) -> str:
    """The file ``fn`` is written in, as an author names it: ``checks/q1.py``, ``hidden/q1.py``, ``checks.py``."""
    path = Path(fn.__code__.co_filename)
    return "/".join(path.parts[-2:]) if path.parent.name in ("checks", "hidden") else path.name


def problems(hw: str) -> list[str]:
    """One line for each test of ``hw`` (its checks and hidden tests as loaded) not written ``test_x(v, ref)``, or
    whose module binds ``v`` or ``ref``; ``[]`` when every test is."""
    found = []
    for cell, spec in probes.specs(hw).items():
        for fn in (*spec.visible, *hidden.tests(hw, cell)):
            where = f"{cell}: {fn.__name__} in {_file(fn)}"
            names = tuple(inspect.signature(fn).parameters)
            if names != FORM:
                found.append(f"{where} takes ({', '.join(names)}): write it `def {fn.__name__}(v, ref):` (v: the "
                             "student's values, ref: the grader's; every visible and hidden test takes both)")
            found += [f"{where}: its module binds {p!r} ({type(fn.__globals__[p]).__name__}), which the test's "
                      f"argument {p!r} hides: rename the module's {p!r} (e.g. {p}_sym)"
                      for p in FORM if p in getattr(fn, "__globals__", {})]
    return found
