"""The value of a sympy expression at a point, in bounded time and precision: how checks compare derivations.

A derivation's answer can take any form sympy writes for it (``erf`` or ``erfc``, ``expint``, a ``Piecewise`` of
convergence conditions, ``sigma**(2*sigma**2)``, a log left unexpanded), so checks compare values at points, never
shapes. :func:`value_at` walks the expression itself and computes each node with mpmath at a fixed working
precision, never with sympy's exact arithmetic: a power of a power such as ``sigma**(2*sigma**2)`` costs one
``exp(y log x)`` at any point, and a value beyond ``2**MAX_EXPONENT_BITS`` in size counts as infinite (or zero)
instead of being computed. The precision doubles, up to :data:`MAX_DIGITS`, until two evaluations agree (terms that
cancel need more digits), and a 0/0 at the point (``theta/theta_0`` at ``theta_0 = 0``) is read as the limit from
nearby points. What cannot be evaluated raises :class:`NotEvaluable` with what to change, in the student's words.

:data:`FUNCTIONS` lists the sympy functions read (the wire accepts the same names: :mod:`dgmlab.probes.wire`).
"""
from __future__ import annotations

import math
import random
from typing import Any, Callable, Iterable

import mpmath

_Fn = Callable[..., Any]

MAX_DIGITS = 320          # the most significant digits one evaluation works with
MAX_EXPONENT_BITS = 2**22  # a value of more than 2**(2**22) in size counts as infinite, less than its inverse as zero
MAX_ARGUMENT = 2**64      # |x| of a sin, cos, tan, Bessel... argument evaluated (beyond it no digit of its value is known)
UNEVALUATED = ("Integral", "Sum", "Product", "Limit", "Derivative", "Subs")


class NotEvaluable(ValueError):
    """The expression has no number at the point: the message says why and what to change."""


def _real(x: Any) -> Any:
    return x.real if isinstance(x, mpmath.mpc) else x


def _big(x: Any) -> bool:
    """Whether |x| is beyond :data:`MAX_ARGUMENT` (or not finite)."""
    return not mpmath.isfinite(x) or abs(x) > MAX_ARGUMENT


def _guard(name: str) -> Callable[[_Fn], _Fn]:
    def wrapped(f: _Fn) -> _Fn:
        def call(*args: Any) -> Any:
            if any(_big(a) for a in args):
                raise NotEvaluable(f"{name}(...) of a value too large to evaluate")
            return f(*args)
        return call
    return wrapped


def _order(name: str, f: _Fn, at: int = 0) -> _Fn:
    """``f`` whose argument ``at`` is an order or degree (Bessel's nu, expint's n, polygamma's n, the incomplete
    gammas' a, LambertW's branch): beyond 1,000 in size mpmath may take hours, so it is refused."""
    def call(*args: Any) -> Any:
        if not mpmath.isfinite(args[at]) or abs(args[at]) > 1000:
            raise NotEvaluable(f"{name}(...) of an order too large to evaluate")
        return f(*args)
    return call


def _exp(z: Any) -> Any:
    re = _real(z)
    if mpmath.isnan(re):
        return mpmath.nan
    if re > MAX_EXPONENT_BITS:
        return mpmath.inf if not isinstance(z, mpmath.mpc) or z.imag == 0 else mpmath.mpc(mpmath.inf, mpmath.inf)
    if re < -MAX_EXPONENT_BITS:
        return mpmath.mpf(0)
    if isinstance(z, mpmath.mpc) and abs(z.imag) > MAX_ARGUMENT:
        raise NotEvaluable("exp(...) of an imaginary part too large to evaluate")
    return mpmath.exp(z)


def _log(z: Any, base: Any = None) -> Any:
    if z == 0:
        return -mpmath.inf
    out = mpmath.log(z)
    return out if base is None else out / mpmath.log(base)


def _pow(x: Any, y: Any) -> Any:
    if x == 0:
        re = _real(y)
        return mpmath.mpf(1) if y == 0 else mpmath.inf if re < 0 else mpmath.mpf(0) if re > 0 else mpmath.nan
    if mpmath.isinf(_real(y)) or not mpmath.isfinite(x) or not mpmath.isfinite(y):
        return _exp(y * _log(x))
    if not isinstance(y, mpmath.mpc) and abs(y) <= 2**20 and y == int(y):  # an integer power: repeated squaring,
        if abs(y) * abs(mpmath.log(abs(x), 2)) > MAX_EXPONENT_BITS:     # with a negative base's sign exact
            return _exp(y * _log(x)) if _real(x) > 0 else mpmath.nan
        return mpmath.power(x, int(y))
    return _exp(y * _log(x))  # sympy's x**y for non-integer y: exp(y log x), the principal branch


def _sign(z: Any) -> Any:
    if z == 0:
        return mpmath.mpf(0)
    return z / abs(z)


def _heaviside(x: Any, h0: Any = None) -> Any:
    x = _real(x)
    if x == 0:
        return mpmath.mpf(0.5) if h0 is None else h0
    return mpmath.mpf(1 if x > 0 else 0)


def _dirac(x: Any, k: Any = 0) -> Any:
    return mpmath.inf if x == 0 else mpmath.mpf(0)


def _max(*a: Any) -> Any:
    return max(a, key=_real)


def _min(*a: Any) -> Any:
    return min(a, key=_real)


def _factorial(n: Any) -> Any:
    if _real(n) > 10**6:
        return mpmath.inf
    return mpmath.factorial(n)


def _gamma_like(f: _Fn) -> _Fn:
    def call(*a: Any) -> Any:
        if any(_real(x) > 10**9 for x in a):
            return mpmath.inf
        return f(*a)
    return call


# sympy function name -> mpmath function of the evaluated arguments
FUNCTIONS: dict[str, _Fn] = {
    "exp": _exp, "exp_polar": _exp, "log": _log, "Abs": abs, "sign": _sign, "re": _real,
    "im": lambda z: z.imag if isinstance(z, mpmath.mpc) else mpmath.mpf(0), "arg": mpmath.arg,
    "conjugate": mpmath.conj, "polar_lift": lambda z: z,
    "periodic_argument": lambda z, period: mpmath.arg(z), "principal_branch": lambda z, period: z,
    "Max": _max, "Min": _min, "floor": _guard("floor")(lambda x: mpmath.floor(_real(x))),
    "ceiling": _guard("ceiling")(lambda x: mpmath.ceil(_real(x))),
    "sin": _guard("sin")(mpmath.sin), "cos": _guard("cos")(mpmath.cos), "tan": _guard("tan")(mpmath.tan),
    "cot": _guard("cot")(mpmath.cot), "sec": _guard("sec")(mpmath.sec), "csc": _guard("csc")(mpmath.csc),
    "asin": mpmath.asin, "acos": mpmath.acos, "atan": mpmath.atan, "acot": mpmath.acot, "asec": mpmath.asec,
    "acsc": mpmath.acsc, "atan2": lambda y, x: mpmath.atan2(_real(y), _real(x)),
    "sinh": lambda z: (_exp(z) - _exp(-z)) / 2, "cosh": lambda z: (_exp(z) + _exp(-z)) / 2,
    "tanh": mpmath.tanh, "coth": mpmath.coth, "sech": mpmath.sech, "csch": mpmath.csch,
    "asinh": mpmath.asinh, "acosh": mpmath.acosh, "atanh": mpmath.atanh, "acoth": mpmath.acoth,
    "erf": mpmath.erf, "erfc": mpmath.erfc, "erfi": mpmath.erfi, "erf2": lambda a, b: mpmath.erf(b) - mpmath.erf(a),
    "erfinv": mpmath.erfinv, "erfcinv": lambda x: mpmath.erfinv(1 - x),
    "fresnels": mpmath.fresnels, "fresnelc": mpmath.fresnelc,
    "expint": _order("expint", _guard("expint")(mpmath.expint)), "Ei": _guard("Ei")(mpmath.ei),
    "Si": _guard("Si")(mpmath.si), "Ci": _guard("Ci")(mpmath.ci), "Shi": _guard("Shi")(mpmath.shi),
    "Chi": _guard("Chi")(mpmath.chi), "li": _guard("li")(mpmath.li),
    "Li": _guard("Li")(lambda x: mpmath.li(x) - mpmath.li(2)),
    "gamma": _gamma_like(mpmath.gamma), "loggamma": _guard("loggamma")(mpmath.loggamma),
    "lowergamma": _order("lowergamma", _guard("lowergamma")(lambda a, x: mpmath.gammainc(a, 0, x))),
    "uppergamma": _order("uppergamma", _guard("uppergamma")(lambda a, x: mpmath.gammainc(a, x, mpmath.inf))),
    "polygamma": _order("polygamma", _guard("polygamma")(lambda n, z: mpmath.polygamma(n, z))), "digamma": _guard("digamma")(mpmath.digamma),
    "beta": _gamma_like(mpmath.beta), "factorial": _factorial, "binomial": _gamma_like(mpmath.binomial),
    "LambertW": _order("LambertW", _guard("LambertW")(lambda x, k=0: mpmath.lambertw(x, int(k))), at=-1),
    "besselj": _order("besselj", _guard("besselj")(mpmath.besselj)),
    "bessely": _order("bessely", _guard("bessely")(mpmath.bessely)),
    "besseli": _order("besseli", _guard("besseli")(mpmath.besseli)),
    "besselk": _order("besselk", _guard("besselk")(mpmath.besselk)),
    "sinc": _guard("sinc")(mpmath.sinc), "Heaviside": _heaviside, "DiracDelta": _dirac,
}
CONSTANTS: dict[str, Callable[[], Any]] = {"Pi": lambda: +mpmath.pi, "Exp1": lambda: +mpmath.e, "EulerGamma": lambda: +mpmath.euler,
             "Catalan": lambda: +mpmath.catalan, "GoldenRatio": lambda: +mpmath.phi,
             "ImaginaryUnit": lambda: mpmath.mpc(0, 1), "Infinity": lambda: mpmath.inf,
             "NegativeInfinity": lambda: -mpmath.inf, "ComplexInfinity": lambda: mpmath.mpc(mpmath.inf, mpmath.inf),
             "NaN": lambda: mpmath.nan}
LOGIC = ("And", "Or", "Not", "BooleanTrue", "BooleanFalse", "StrictLessThan", "LessThan", "StrictGreaterThan",
         "GreaterThan", "Equality", "Unequality")


def _number(value: Any) -> Any:
    """A point's value (int, float, Fraction, sympy number) as an mpmath number at the working precision."""
    import sympy as sp

    if isinstance(value, (mpmath.mpf, mpmath.mpc)):
        return value
    if isinstance(value, sp.Basic):
        if value.is_Rational:
            return mpmath.mpf(int(value.p)) / int(value.q)
        if value.is_Float:
            return mpmath.mpf(value._mpf_)
        raise NotEvaluable(f"a point's value {value} is not a number")
    if isinstance(value, complex):
        return mpmath.mpc(value.real, value.imag)
    if hasattr(value, "numerator") and hasattr(value, "denominator"):  # Fraction, int
        return mpmath.mpf(int(value.numerator)) / int(value.denominator)
    return mpmath.mpf(float(value))


class _Evaluator:
    def __init__(self, point: dict[Any, Any]) -> None:
        self.point = {getattr(k, "name", k): v for k, v in point.items()}  # by name, whatever the assumptions

    def truth(self, cond: Any) -> bool:
        name = type(cond).__name__
        if name == "BooleanTrue":
            return True
        if name == "BooleanFalse":
            return False
        if name == "And":
            return all(self.truth(c) for c in cond.args)
        if name == "Or":
            return any(self.truth(c) for c in cond.args)
        if name == "Not":
            return not self.truth(cond.args[0])
        if name in ("Equality", "Unequality"):
            a, b = (self.value(x) for x in cond.args)
            scale = max(abs(a), abs(b), 1)
            same = abs(a - b) <= scale * mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))
            return bool(same) if name == "Equality" else not same
        if name in ("StrictLessThan", "LessThan", "StrictGreaterThan", "GreaterThan"):
            a, b = (self.value(x) for x in cond.args)
            a, b = _real(a), _real(b)
            return bool({"StrictLessThan": a < b, "LessThan": a <= b, "StrictGreaterThan": a > b,
                         "GreaterThan": a >= b}[name])
        raise NotEvaluable(f"a condition sympy writes as {name}, which the checks do not read")

    def value(self, expr: Any) -> Any:
        import sympy as sp

        name = type(expr).__name__
        if isinstance(expr, sp.Symbol):
            if expr.name in self.point:
                return _number(self.point[expr.name])
            raise NotEvaluable(f"it still holds the symbol {expr.name}, which has no value here (a symbol the "
                               f"answer should not depend on?)")
        if isinstance(expr, sp.Rational):
            return mpmath.mpf(int(expr.p)) / int(expr.q)
        if isinstance(expr, sp.Float):
            return mpmath.mpf(expr._mpf_)
        if name in CONSTANTS:
            return CONSTANTS[name]()
        if name == "Add":
            return mpmath.fsum(self.value(a) for a in expr.args)
        if name == "Mul":
            out = mpmath.mpf(1)
            for a in expr.args:
                out *= self.value(a)
            return out
        if name == "Pow":
            return _pow(self.value(expr.args[0]), self.value(expr.args[1]))
        if name == "Piecewise":
            for piece in expr.args:
                if self.truth(piece.cond):
                    return self.value(piece.expr)
            return mpmath.nan  # no piece holds: undefined here, as sympy says
        if name in UNEVALUATED and name not in ("Integral", "Sum", "Product"):  # Derivative, Subs, Limit
            raise NotEvaluable(f"it holds an unevaluated {name}: sympy did not compute it; call .doit() on it "
                               "(then sp.simplify)")
        if name in UNEVALUATED:
            raise NotEvaluable(f"it holds an unevaluated {name}: sympy did not compute it (for an integral, try "
                               f"expanding the integrand first, e.g. sp.expand or sp.expand_log(..., force=True), or "
                               f"conds=\"none\"; otherwise call .doit())")
        if name in FUNCTIONS:
            args = [self.value(a) for a in expr.args]
            try:
                return FUNCTIONS[name](*args)
            except (ZeroDivisionError, OverflowError):
                return mpmath.nan
            except (ValueError, TypeError, mpmath.libmp.NoConvergence) as exc:
                if isinstance(exc, NotEvaluable):
                    raise
                return mpmath.nan
        if name in LOGIC:
            return mpmath.mpf(1 if self.truth(expr) else 0)
        raise NotEvaluable(f"it uses sympy's {name}, which the checks do not evaluate: write it with the functions "
                           f"sympy.simplify or .rewrite(sp.exp) give (exp, log, powers, erf, erfc, gamma, ...)")


def _finite(v: Any) -> bool:
    return bool(mpmath.isfinite(v))


def _at(expr: Any, point: dict[Any, Any], dps: int) -> Any:
    with mpmath.workdps(dps):
        v = _Evaluator(point).value(expr)
        return mpmath.mpc(v) if isinstance(v, mpmath.mpc) else mpmath.mpf(v)


def _close(a: Any, b: Any, digits: int) -> bool:
    if not (_finite(a) and _finite(b)):
        return bool(mpmath.isinf(a) and mpmath.isinf(b) and _real(a) * _real(b) > 0) if not (
            mpmath.isnan(a) or mpmath.isnan(b)) else False
    return bool(abs(a - b) <= mpmath.mpf(10) ** (-digits) * max(abs(b), 1))


def _converged(expr: Any, point: dict[Any, Any], digits: int) -> Any:
    dps = digits + 10
    prev = _at(expr, point, dps)
    while True:
        dps *= 2
        if dps > MAX_DIGITS:
            raise NotEvaluable(f"it cancels more than {MAX_DIGITS - digits} digits here and cannot be evaluated "
                               f"reliably: simplify it first (sp.simplify)")
        cur = _at(expr, point, dps)
        if _close(prev, cur, digits) or mpmath.isnan(cur) and mpmath.isnan(prev):
            return cur
        prev = cur


def value_at(expr: Any, point: dict[Any, Any], digits: int = 30) -> Any:
    """The value of sympy ``expr`` at ``point`` ({symbol or its name: number}), correct to about ``digits``
    significant digits (absolute below 1), as an mpmath ``mpf`` or ``mpc``: ``inf`` for a value beyond
    ``2**(2**22)``, ``nan`` where it is undefined. A 0/0 at the point is read as the limit from nearby points."""
    import sympy as sp

    if isinstance(expr, (bool, int, float)):  # a plain Python number
        expr = sp.Float(expr) if isinstance(expr, float) else sp.Integer(int(expr))
    out = _converged(expr, point, digits)
    if not mpmath.isnan(out):
        return out
    # 0/0 (a removable singularity of the written form at this point): the limit from nearby points, if they agree
    near = []
    for direction in (1, -1):
        with mpmath.workdps(3 * digits):  # each coordinate by its own step, so theta - theta_0 = 0 moves too
            moved: dict[Any, Any] = {}
            for i, (k, v) in enumerate(point.items()):
                step = direction * mpmath.mpf(10) ** -(digits + 8) * (1 + mpmath.mpf(i) * 37 / 100)
                moved[k] = _number(v) * (1 + step) + step
        near.append(_converged(expr, moved, digits))
    if all(_finite(v) for v in near) and _close(near[0], near[1], digits // 2):
        return near[0]
    return mpmath.nan


def number(expr: Any, point: dict[Any, Any], digits: int = 30) -> complex:
    """:func:`value_at` as a Python ``complex`` (``nan``/``inf`` parts where it is not a finite number)."""
    v = value_at(expr, point, digits)
    return complex(v)


def points_for(symbols: Iterable[Any], n: int = 5, seed: int = 20261127) -> list[dict[Any, Any]]:
    """``n`` exact points ({symbol: Rational}) at which expressions in ``symbols`` are compared: a symbol declared
    positive (or nonnegative) takes values in [0.35, 2.6], negative ones their opposites, an integer 1 to 4, any
    other real value in ±[0.2, 2.4]; always the same points for the same names."""
    import sympy as sp

    rng = random.Random(seed)
    out = []
    ordered = sorted(symbols, key=lambda s: s.name)
    for _ in range(n):
        point: dict[Any, Any] = {}
        for s in ordered:
            if s.is_integer:
                v = sp.Integer(rng.randint(1, 4)) * (-1 if s.is_negative else 1)
            else:
                v = sp.Rational(round(rng.uniform(0.35 if s.is_nonnegative or s.is_negative else 0.2, 2.6), 4))
                if s.is_negative or (not s.is_nonnegative and rng.random() < 0.5):
                    v = -v
            point[s] = v
        out.append(point)
    return out


def _is_real(v: Any) -> bool:
    return not isinstance(v, mpmath.mpc) or bool(abs(v.imag) <= 1e-25 * max(abs(v), 1))


def equal_at(a: Any, b: Any, points: Iterable[dict[Any, Any]], rtol: float = 1e-12, digits: int = 30) -> bool:
    """Whether ``a`` and ``b`` have the same value (to ``rtol``, absolute below 1) at every point where ``b`` is a
    finite real number (at every point where it is finite, when it is real at none: a branch of log or sqrt outside
    the domain, log(p/(1-p)) at p > 1, may differ by 2*pi*i between forms that are equal on it); ``False`` when ``a``
    is not a finite number there, or when ``b`` is finite at no point."""
    refs = [(point, value_at(b, point, digits)) for point in points]
    finite = [(point, vb) for point, vb in refs if _finite(vb)]
    compared = [(point, vb) for point, vb in finite if _is_real(vb)] or finite
    for point, vb in compared:
        va = value_at(a, point, digits)
        if not _finite(va) or abs(va - vb) > rtol * max(abs(vb), 1):
            return False
    return bool(compared)


def gap(a: Any, b: Any, point: dict[Any, Any], digits: int = 30) -> float:
    """|a - b| at ``point`` as a float (``inf`` when either is not a finite number there)."""
    va, vb = value_at(a, point, digits), value_at(b, point, digits)
    if not (_finite(va) and _finite(vb)):
        return math.inf
    return float(abs(va - vb))
