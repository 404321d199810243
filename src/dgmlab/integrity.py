"""Detect monkeypatching of the functions graded tests rely on.

A submission runs in the same kernel as the tests, so it could replace
``torch.allclose`` or ``dgmlab.checks.assert_close`` with something that
always agrees. :func:`snapshot` records the originals when dgmlab is first
imported (the setup cell, before any student code); :func:`tampered` lists
what has been replaced since, or was defined in the notebook itself
(``__module__ == "__main__"``, which also catches a patch made before the
setup cell), and :func:`restore` puts the recorded functions back.
:func:`dgmlab.testing.run_tests` fails a test cell when anything was
replaced, naming it.

This catches the common tricks; it is not a proof against a determined
attacker who rewrites dgmlab itself in memory (see the sandbox notes).
"""
from __future__ import annotations

import builtins
import importlib
import math
import operator

_WATCHED = {
    "builtins": ["isinstance", "abs", "all", "any", "len", "float", "int", "bool", "max", "min", "sum", "round",
                 "type", "getattr", "hasattr", "callable", "print"],
    "math": ["isclose", "isfinite", "isnan"],
    "operator": ["eq", "ne", "lt", "le", "gt", "ge"],
    "numpy": ["allclose", "isclose", "array_equal", "asarray", "array", "abs", "all", "any", "isfinite"],
    "numpy.testing": ["assert_allclose", "assert_array_equal", "assert_equal", "assert_almost_equal"],
    "torch": ["allclose", "isclose", "equal", "eq", "is_tensor", "all", "any", "abs", "isfinite", "as_tensor",
              "tensor"],
    "torch.Tensor": ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__",
                     "item", "tolist", "numpy", "detach", "allclose", "equal", "all", "any", "abs"],
    "numpy.ndarray": ["__eq__", "__ne__", "__bool__", "all", "any", "astype"],
    "sympy": ["simplify", "Eq", "nsimplify", "N", "sympify"],
    "dgmlab.checks": None,  # every public function
    "dgmlab.testing": ["run_tests", "collect"],
}
_originals: dict = {}


def _resolve(name: str):
    if name == "builtins":
        return builtins
    if name == "math":
        return math
    if name == "operator":
        return operator
    if name == "torch.Tensor":
        import torch

        return torch.Tensor
    if name == "numpy.ndarray":
        import numpy

        return numpy.ndarray
    return importlib.import_module(name)


def _names(owner, wanted):
    if wanted is not None:
        return wanted
    return [n for n in vars(owner) if not n.startswith("_") and callable(getattr(owner, n))]


def snapshot() -> None:
    """Record the watched functions (idempotent: the first snapshot wins)."""
    for owner_name, wanted in _WATCHED.items():
        try:
            owner = _resolve(owner_name)
        except ImportError:
            continue
        for attr in _names(owner, wanted):
            key = (owner_name, attr)
            if key not in _originals and hasattr(owner, attr):
                _originals[key] = getattr(owner, attr)


def tampered() -> list[str]:
    """Watched functions that are no longer the recorded originals."""
    replaced = []
    for (owner_name, attr), original in _originals.items():
        try:
            current = getattr(_resolve(owner_name), attr)
        except (ImportError, AttributeError):
            replaced.append(f"{owner_name}.{attr}")
            continue
        defined_in_notebook = getattr(current, "__module__", None) == "__main__"
        if (current is not original and current != original) or defined_in_notebook:
            replaced.append(f"{owner_name}.{attr}")
    return sorted(replaced)


def restore() -> None:
    """Put every recorded original back."""
    for (owner_name, attr), original in _originals.items():
        try:
            setattr(_resolve(owner_name), attr, original)
        except (ImportError, AttributeError, TypeError):
            pass
