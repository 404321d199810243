"""Assertions for notebook tests: sympy equivalence, tensor closeness, couplings.

Messages say *what* is wrong in form (type, shape, symbols, the error's size relative to the expected value to a
power of ten) and never print the expected answer, nor a number it follows from, unless asked (``reveal=True``), so
visible tests and hidden ones can use them without giving a solution or the grader's value away. Nothing here computes an answer: the exact
transport cost and LP solves the hidden tests compare with are the grader's
(``dgmlab.grading.references.transport``).

Every check converts the student's value to a plain number type first, so a
returned object cannot pass by overriding ``__eq__`` or ``__bool__``.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterable

import numpy as np

from .wire import Unreadable


class CheckError(AssertionError):
    """A check failed; the message says what to fix."""


# ----------------------------------------------------------------- sympy
def as_sympy(value: Any, name: str = "the answer") -> Any:
    """``value`` as a sympy object, without ever parsing text: a sympy expression or matrix as it is, a plain
    ``bool``, ``int``, ``float``, ``complex`` or ``Fraction`` (numpy's too) through sympy's own constructors.

    Anything else, a ``str`` above all, raises :class:`CheckError`: ``sympify`` of a string is Python's ``eval``,
    and the grader never evaluates what a kernel hands back (tests/grading/test_no_evaluator.py).
    """
    import sympy as sp

    if isinstance(value, (sp.Basic, sp.MatrixBase)):
        return value
    if isinstance(value, Unreadable):
        raise CheckError(f"{name} cannot be checked: {value.message}")
    if isinstance(value, (bool, np.bool_)):
        return sp.true if value else sp.false
    if isinstance(value, (int, np.integer)):
        return sp.Integer(int(value))
    if isinstance(value, (float, np.floating)):
        return sp.Float(float(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, (complex, np.complexfloating)):
        return sp.Float(value.real) + sp.I * sp.Float(value.imag)
    raise CheckError(f"expected {name} to be a sympy expression, got {type(value).__name__}"
                     + (" (a string is never evaluated: return the sympy object itself)" if isinstance(value, str) else ""))


def assert_sympy_expr(value: Any, name: str = "the answer", symbols: Iterable[Any] | None = None) -> None:
    """``value`` is a sympy expression whose free symbols are among ``symbols``."""
    import sympy as sp

    as_sympy(value, name)  # an answer the wire could not read says why, and what to change
    if not isinstance(value, sp.Basic) or isinstance(value, (sp.logic.boolalg.Boolean,)) and not isinstance(value, sp.Expr):
        raise CheckError(f"{name} must be a sympy expression, got {type(value).__name__}")
    if symbols is not None:
        allowed = {str(s) for s in symbols}
        extra = sorted(str(s) for s in value.free_symbols if str(s) not in allowed)
        if extra:
            raise CheckError(f"{name} uses symbols {extra}; only {sorted(allowed)} are allowed")


def sympy_equivalent(a: Any, b: Any, points: Any = None, rtol: float = 1e-12) -> bool:
    """Whether two sympy expressions are equal as functions of their symbols: by value (to ``rtol``) at ``points``
    ({symbol or name: number}; default :func:`dgmlab.probes.sympy_values.points_for` of their symbols, five points in
    each symbol's domain), in bounded time and precision (:mod:`dgmlab.probes.sympy_values`), so every form sympy
    writes for the same function (erf or erfc, a Piecewise, a power of a power, a log left unexpanded) is equal.
    Symbols are matched by name, whatever their assumptions. ``b`` is the reference: points where it is not a finite
    number are skipped. Matrices are compared entry by entry."""
    import sympy as sp

    from . import sympy_values

    a, b = as_sympy(a, "the first expression"), as_sympy(b, "the second expression")
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.shape != b.shape:
            return False
        return all(sympy_equivalent(x, y, points, rtol) for x, y in zip(a, b, strict=True))
    if points is None:
        by_name = {s.name: s for s in a.free_symbols | b.free_symbols}
        for s in b.free_symbols:  # the reference's assumptions say where the symbol lives
            by_name[s.name] = s
        points = [{s.name: v for s, v in point.items()} for point in sympy_values.points_for(by_name.values())]
    try:
        return sympy_values.equal_at(a, b, points, rtol=rtol)
    except sympy_values.NotEvaluable:
        return False


def assert_sympy_equal(value: Any, expected: Any, name: str = "the answer", reveal: bool = False) -> None:
    """``value`` is a sympy expression equivalent to ``expected``."""
    import sympy as sp

    as_sympy(value, name)  # an answer the wire could not read says why, and what to change
    if not isinstance(value, sp.Basic):
        raise CheckError(f"{name} must be a sympy expression, got {type(value).__name__}")
    value_syms = {str(s) for s in value.free_symbols}
    expected_syms = {str(s) for s in as_sympy(expected, "the expected value").free_symbols}
    if value_syms != expected_syms and not sympy_equivalent(value, expected):
        raise CheckError(f"{name} depends on {sorted(value_syms)}, but the expected result depends on "
                         f"{sorted(expected_syms)}" + (f" (expected {expected})" if reveal else ""))
    if not sympy_equivalent(value, expected):
        raise CheckError(f"{name} is not equivalent to the expected expression"
                         + (f": got {value}, expected {expected}" if reveal else ""))


def sympy_gap(value: Any, reference: Any, points: Iterable[dict[Any, Any]], digits: int = 40) -> float:
    """Largest |value - reference| over ``points``, evaluated to ``digits`` significant digits (by value, in bounded
    time and precision: :mod:`dgmlab.probes.sympy_values`).

    value, reference: sympy expressions or matrices of the same shape; points: list of dicts
    {symbol: exact number}. Complex parts count as error. ``inf`` when a value does not evaluate to a
    number (a leftover symbol, a division by zero) or the shapes differ.
    """
    import sympy as sp

    from . import sympy_values

    value, reference = as_sympy(value, "the value"), as_sympy(reference, "the reference")  # sp.Matrix([str]) evaluates it
    A = value if isinstance(value, sp.MatrixBase) else sp.Matrix([value])
    B = reference if isinstance(reference, sp.MatrixBase) else sp.Matrix([reference])
    if A.shape != B.shape:
        return math.inf
    worst = 0.0
    for point in points:
        for a, b in zip(A, B, strict=True):
            try:
                gap = sympy_values.gap(a, b, point, digits)
            except sympy_values.NotEvaluable:
                return math.inf
            if not math.isfinite(gap):
                return math.inf
            worst = max(worst, gap)
    return worst


def sympy_number(value: Any, point: dict[Any, Any], name: str = "the answer", digits: int = 30) -> complex:
    """The value of sympy ``value`` at ``point`` ({symbol or name: number}) as a ``complex``, computed in bounded
    time and precision whatever form sympy wrote it in (:func:`dgmlab.probes.sympy_values.value_at`: a 0/0 of the form
    at the point is its limit); ``nan`` where it is undefined. Raises :class:`CheckError` (what to change) when it
    cannot be evaluated."""
    from . import sympy_values

    value = as_sympy(value, name)
    try:
        return sympy_values.number(value, point, digits)
    except sympy_values.NotEvaluable as exc:
        raise CheckError(f"{name} cannot be checked: {exc}") from None


def subs_by_name(value: Any, point: dict[Any, Any], name: str = "the answer") -> Any:
    """sympy ``value`` with each free symbol named as a key of ``point`` ({symbol or name: value}) replaced, whatever
    its assumptions: an answer written in a fresh ``sp.Symbol("t")`` is the same answer as one in the notebook's
    ``t`` (the symbols are matched by name, as :func:`sympy_equivalent` matches them)."""
    value = as_sympy(value, name)
    named = {str(k): v for k, v in point.items()}
    return value.subs({s: named[str(s)] for s in value.free_symbols if str(s) in named})


def has_float(expr: Any) -> bool:
    """Whether a sympy expression (or matrix) contains a floating-point number such as 0.333..."""
    import sympy as sp

    return bool(as_sympy(expr, "the expression").atoms(sp.Float))


# ----------------------------------------------------------------- tensors
def as_array(value: Any, name: str = "the answer") -> np.ndarray[Any, np.dtype[np.float64]]:
    """``value`` (torch tensor, numpy array, number, or a list of them) as a float64 numpy array.

    Rejects anything else by type, so an object with a rigged ``__eq__`` fails.
    """
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None  # type: ignore[assignment]
    if torch is not None and isinstance(value, torch.Tensor):
        if value.is_complex():
            raise CheckError(f"{name} is complex; a real tensor was expected")
        return value.detach().cpu().to(torch.float64).numpy()
    if isinstance(value, np.ndarray):
        if np.iscomplexobj(value):
            raise CheckError(f"{name} is complex; a real array was expected")
        return value.astype(np.float64)
    if type(value) in (bool, int, float) or isinstance(value, (np.integer, np.floating)):
        return np.asarray(float(value), dtype=np.float64)
    if isinstance(value, (list, tuple)) and len(value) <= 10**6:
        items = [as_array(v, f"{name}[{i}]") for i, v in enumerate(value)]
        if len({a.shape for a in items}) > 1:
            raise CheckError(f"{name} is a list of values of different shapes")
        return np.stack(items) if items else np.zeros(0)
    raise CheckError(f"{name} must be a torch.Tensor, numpy array, number or list of them, got {type(value).__name__}")


def _at(flat: int, shape: tuple[int, ...]) -> str:
    """Where element ``flat`` of an array of ``shape`` is, as a student writes it: `` at index (2, 3)`` in plain
    integers (never ``np.int64(2)``), or nothing for a single number (a 0-d tensor has no index to name)."""
    return f" at index {tuple(int(i) for i in np.unravel_index(flat, shape))}" if shape else ""


def assert_close(value: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-6,
                 name: str = "the answer", shape: tuple[int, ...] | None = None, reveal: bool = False) -> None:
    """``value`` has the expected shape, is finite, and is close to ``expected`` elementwise."""
    got = as_array(value, name)
    want = np.asarray(as_array(expected, "expected"), dtype=np.float64)
    target_shape = tuple(shape) if shape is not None else want.shape
    if got.shape != target_shape:
        said = "is a single number" if got.shape == () else f"has shape {tuple(got.shape)}"
        raise CheckError(f"{name} {said}, expected " + ("a single number" if target_shape == () else
                                                         f"shape {target_shape}"))
    if not np.all(np.isfinite(got)):
        raise CheckError(f"{name} contains NaN or inf")
    if not np.all(np.isfinite(want)):  # fail closed: NaN or inf would make every comparison below pass
        raise CheckError(f"{name} cannot be checked: the value to compare it with contains NaN or inf")
    if got.shape != want.shape:
        want = np.broadcast_to(want, got.shape)
    err = np.abs(got - want)
    bound = atol + rtol * np.abs(want)
    if not np.all(err <= bound):
        if reveal:
            worst = int(np.argmax(err - bound))
            raise CheckError(f"{name} is not close to the expected value: largest error {err.flat[worst]:.3g} "
                             f"(tolerance {bound.flat[worst]:.3g}){_at(worst, got.shape)}; "
                             f"got {got.flat[worst]:.6g}, expected {want.flat[worst]:.6g}")
        # The error relative to the expected magnitude, to a power of ten, and the tolerance as its parameters:
        # never the absolute error nor atol + rtol*|want|, from which |want| follows (zeros make the error |want|).
        # The entry named is the first failing one in the largest such power of ten, so that rounding does not pick it.
        relative = np.full(err.shape, np.inf)
        np.divide(err, np.abs(want), out=relative, where=want != 0)
        with np.errstate(divide="ignore"):
            decade = np.where(err <= bound, -np.inf, np.floor(np.log10(np.minimum(relative, 1.0))))
        worst = int(np.argmax(decade))
        raise CheckError(f"{name} is not close to the expected value{_at(worst, got.shape)}: "
                         f"{_relative_error_text(float(relative.flat[worst]))} "
                         f"(allowed: rtol={rtol:g}, atol={atol:g})")


def off_by(got: Any, want: Any) -> str:
    """How far ``got`` is from ``want`` (numbers or arrays of one shape), as the largest error relative to the
    expected entry's size and only to a power of ten: "off by 1% to 10% of the expected value". What a failure
    message may say of a value compared with the grader's; never the value itself nor the absolute error, from
    which an answer of zeros would read it."""
    err = np.abs(as_array(got, "the value") - as_array(want, "the expected value"))
    want = np.abs(as_array(want, "the expected value"))
    relative = np.full(np.broadcast(err, want).shape, np.inf)
    np.divide(err, want, out=relative, where=np.broadcast_to(want != 0, relative.shape))
    relative[np.broadcast_to(err == 0, relative.shape)] = 0.0
    worst = float(relative.max()) if relative.size else 0.0
    return "equal to the expected value" if worst == 0 else _relative_error_text(worst)


def _relative_error_text(relative: float) -> str:
    """An entry's error relative to its expected value, said as a range between powers of ten and nothing finer, so
    that a failure message is no oracle for the expected value."""
    if not relative < 1:  # 1 or more, or inf where the expected entry is 0: an answer of zeros always lands here
        return "off by as much as the expected value itself or more"
    low = math.floor(math.log10(relative))
    if low >= -3:
        return f"off by {10 ** (low + 2)}% to {10 ** (low + 3)}% of the expected value"
    return f"off by 1e{low} to 1e{low + 1} times the expected value's size"


def assert_tensor(value: Any, name: str = "the answer", shape: tuple[int | None, ...] | None = None, dtype: Any = None,
                  requires_grad: bool | None = None) -> None:
    """``value`` is a torch tensor with the given shape (``None`` entries match anything), dtype, grad flag."""
    import torch

    if not isinstance(value, torch.Tensor):
        raise CheckError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if shape is not None:
        ok = len(value.shape) == len(shape) and all(s is None or s == v for s, v in zip(shape, value.shape, strict=True))
        if not ok:
            raise CheckError(f"{name} has shape {tuple(value.shape)}, expected {tuple(shape)}")
    if dtype is not None and value.dtype != dtype:
        raise CheckError(f"{name} has dtype {value.dtype}, expected {dtype}")
    if requires_grad is not None and value.requires_grad != requires_grad:
        hint = " (was it detached, or computed under torch.no_grad()?)" if requires_grad else ""
        raise CheckError(f"{name}.requires_grad is {value.requires_grad}, expected {requires_grad}{hint}")


# ----------------------------------------------------------------- couplings
def assert_coupling(plan: Any, a: Any, b: Any, *, atol: float = 1e-8, name: str = "the coupling") -> None:
    """``plan`` is non-negative with row sums ``a`` and column sums ``b``."""
    P = as_array(plan, name)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if P.shape != (a.size, b.size):
        raise CheckError(f"{name} has shape {P.shape}, expected {(a.size, b.size)}")
    if np.any(P < -atol):
        raise CheckError(f"{name} has negative entries (smallest {P.min():.3g})")
    if not np.allclose(P.sum(axis=1), a, atol=atol * 10):
        raise CheckError(f"the row sums of {name} do not match the first marginal")
    if not np.allclose(P.sum(axis=0), b, atol=atol * 10):
        raise CheckError(f"the column sums of {name} do not match the second marginal")
