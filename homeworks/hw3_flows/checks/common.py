"""hw3_flows' checks: what more than one part uses (the notebook's symbols, its base
log-density, the recorded values visible tests compare with).
"""
from __future__ import annotations

import math

from dgmlab.probes import _sp, _torch, asserts

DIGEST_SALT, DIGEST_ROUNDS = b"dgmlab hw3_flows", 100_000  # about 0.1 s a digest: guessing by the digest is slow


def symbols() -> dict:
    """The notebook's fixed symbols (its locked cells q1_symbols, q3_symbols, q4_symbols)."""
    sp = _sp()
    z1, z2, z3 = sp.symbols("z1 z2 z3", real=True)
    x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)
    a, b, D = sp.symbols("a b D", positive=True)
    h = sp.symbols("h", real=True)
    return {"z1": z1, "z2": z2, "z3": z3, "x1": x1, "x2": x2, "x3": x3,
            "z": sp.Matrix([z1, z2, z3]), "x": sp.Matrix([x1, x2, x3]),
            "X_STAR": {x1: 0, x2: 1, x3: sp.Rational(1, 3)},
            "a": a, "b": b, "D": D, "alpha": sp.symbols("alpha", positive=True),
            "h": h, "sigma": 1 / (1 + sp.exp(-h))}


def standard_normal_log_prob(z):
    """log N(z; 0, I) row by row: (N, D) -> (N,) (the notebook's locked cell base_log_prob)."""
    return -0.5 * (z ** 2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


def slow_digest(value, decimals: int) -> str | None:
    """A slow salted digest (PBKDF2-SHA256) of ``value``, a real number, written with ``decimals`` decimals; None when it
    is no finite real number. Where a visible test decides a single number that is the answer itself, the kit records
    this digest, never the number: trying candidate numbers against it takes about 0.1 s each."""
    import hashlib

    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number):
        return None
    text = f"{number:.{int(decimals)}f}".encode()
    return hashlib.pbkdf2_hmac("sha256", text, DIGEST_SALT, DIGEST_ROUNDS).hex()


def _randn(g, *shape):
    return _torch().randn(*shape, generator=g, dtype=_torch().float64)


def _is_matrix(value, name, shape, symbols_, sp):
    if not (isinstance(value, sp.MatrixBase) and value.shape == shape):
        raise AssertionError(
            f"expected {name} to be a {shape[0]}x{shape[1]} sp.Matrix, found {type(value).__name__} "
            f"of shape {getattr(value, 'shape', None)}")
    asserts.assert_sympy_expr(sp.Add(*value), name, symbols=symbols_)


# Converted cells: dgmlab.probes.with_working, on_working and working; their visible tests read the recorded values
# through ref (dgmlab.probes.Ref).
