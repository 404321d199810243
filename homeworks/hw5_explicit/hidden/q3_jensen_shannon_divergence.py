"""hw5_explicit, q3_jensen_shannon_divergence: the hidden tests of its test cells (the grader's alone, never a
student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import math

import sympy as sp

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw5_explicit.checks import as_stated, symbols

theta = symbols()["theta"]  # the notebook's fixed symbol (its locked cell q3_symbols)


def _real_at_one_half(value, name: str) -> float:
    """``value`` at theta = 1/2, by value whatever form sympy wrote it in; fails when it is not real there."""
    got = asserts.sympy_number(value, {theta: sp.Rational(1, 2)}, name)
    if not abs(got.imag) < 1e-12:
        raise AssertionError(f"{name} is not a real number at theta = 1/2")
    return got.real


# ------------------------------------------------------------------ q3_kl_tests
def _kl(a, b):
    return a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))


@points(0.5)
def test_kl_at_one_half(v, ref):
    got = _real_at_one_half(v.kl_PQ, "kl_PQ")
    want = _kl(0.5, 0.3)
    hint = ""
    if abs(got - _kl(0.3, 0.5)) < 1e-9:
        hint = ": that is D_KL(Q || P); the arguments are in the wrong order"
    elif abs(got - want / math.log(2)) < 1e-9:
        hint = ": that is in bits (log base 2); use the natural log"
    if not abs(got - want) < 1e-9:
        raise AssertionError(f"kl_PQ has the wrong value at theta = 1/2{hint}")


@points(0.5)
def test_kl_values(v, ref):
    for t in [sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(9, 10), sp.Rational(3, 10), v.inputs.t]:
        got = float(v.kl_PQ.subs(theta, t).evalf(30))
        if not abs(got - _kl(float(t), 0.3)) < 1e-12:
            raise AssertionError("kl_PQ has the wrong value at some theta")


@points(0.25)
def test_kl_is_not_symmetric(v, ref):
    a, b = float(v.inputs.a), float(v.inputs.b)
    why = "kl_bernoulli(a, b) must be D_KL(Bern(a) || Bern(b)) (order matters)"
    if not abs(float(as_stated(v.kl_forward)) - _kl(a, b)) < 1e-12:
        raise AssertionError(why)
    if not abs(float(as_stated(v.kl_backward)) - _kl(b, a)) < 1e-12:
        raise AssertionError(why)


# ------------------------------------------------------------------ q3_js_tests
def _js(a, b):
    m = (a + b) / 2
    return 0.5 * _kl(a, m) + 0.5 * _kl(b, m)


@points(0.75)
def test_js_at_one_half(v, ref):
    got = _real_at_one_half(v.js_PQ, "js_PQ")
    want = _js(0.5, 0.3)
    hint = ""
    if abs(got - 2 * want) < 1e-9:
        hint = ": that is twice the answer; each KL term carries a weight 1/2"
    elif abs(got - (_kl(0.5, 0.3) + _kl(0.3, 0.5)) / 2) < 1e-9:
        hint = ": that is the symmetrised KL between P and Q; JS compares each with the mixture M = (P + Q)/2"
    elif abs(got - _kl(0.5, 0.4)) < 1e-9:
        hint = ": that is D_KL(P || M) alone; add D_KL(Q || M) and halve"
    elif abs(got - want / math.log(2)) < 1e-9:
        hint = ": that is in bits (log base 2); use the natural log"
    if not abs(got - want) < 1e-9:
        raise AssertionError(f"js_PQ has the wrong value at theta = 1/2{hint}")


@points(0.5)
def test_js_values(v, ref):
    for t in [sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(9, 10), v.inputs.t]:
        got = float(v.js_PQ.subs(theta, t).evalf(30))
        if not abs(got - _js(float(t), 0.3)) < 1e-12:
            raise AssertionError("js_PQ has the wrong value at some theta")


JS_PAIRS = [(i / 20, j / 20) for i in range(1, 20, 3) for j in range(1, 20, 4)]  # the probe's js_pairs, in order


@points(0.25)
def test_js_symmetric_positive_bounded(v, ref):
    # symmetric, 0 only for equal distributions, and no more than log 2 (a divergence that is 0 everywhere fails)
    pairs = as_stated(v.js_pairs)
    if len(pairs) != len(JS_PAIRS):
        raise AssertionError("js_bernoulli did not answer on every pair")
    for (ab, ba), (a, b) in zip(pairs, JS_PAIRS, strict=True):
        if not abs(ab - ba) < 1e-12:
            raise AssertionError("js_bernoulli is not symmetric in its arguments")
        if not -1e-15 <= ab <= math.log(2) + 1e-12:
            raise AssertionError("js_bernoulli leaves [0, log 2]")
        if (ab > 1e-6) != (a != b):
            raise AssertionError("js_bernoulli is not positive exactly where the two distributions differ")


# ------------------------------------------------------------------ q3_theta_star_tests
@points(0.25)
def test_kl_minimiser(v, ref):
    if not abs(float(v.theta_star_kl) - 0.3) < 1e-4:
        raise AssertionError("theta_star_kl is not the minimiser of D_KL(P||Q)")


@points(0.25)
def test_js_minimiser(v, ref):
    if not abs(float(v.theta_star_js) - 0.3) < 1e-4:
        raise AssertionError("theta_star_js is not the minimiser of D_JS(P||Q)")


@points(0.5)
def test_minimiser_of_other_divergences(v, ref):
    # both divergences of checks.other_divergences have their one minimum at their b
    for got, b in zip(v.others, v.inputs.b, strict=True):
        if isinstance(got, bool) or not isinstance(got, (float, int)) or not abs(got - float(b)) < 1e-4:
            raise AssertionError("divergence_minimiser misses the minimiser of a divergence with one minimum in (0, 1)")


HIDDEN = {
    'q3_kl_tests': (test_kl_at_one_half, test_kl_values, test_kl_is_not_symmetric),
    'q3_js_tests': (test_js_at_one_half, test_js_values, test_js_symmetric_positive_bounded),
    'q3_theta_star_tests': (test_kl_minimiser, test_js_minimiser, test_minimiser_of_other_divergences),
}
