"""hw3_flows, Q3 (the optimal discriminator): D*, its smoothed form, and the discriminator's loss on a discrete example.

The part's test cells' inputs, probes, visible tests and ``CheckSpec``s.
"""
from __future__ import annotations

import math

from dgmlab.probes import WORKING_SEED, CheckSpec, _sp, asserts, attempt, on_working, with_working, working
from dgmlab.probes.asserts import sympy_gap
from dgmlab.probes.points import points

from .common import symbols


# ------------------------------------------------------------------ Q3.1
@points(0.5)
def test_are_expressions_in_a_and_b(v, ref):
    s = symbols()
    asserts.assert_sympy_expr(v.D_star, "D_star", symbols=[s["a"], s["b"]])
    asserts.assert_sympy_expr(v.second_derivative_at_D_star, "second_derivative_at_D_star", symbols=[s["a"], s["b"]])
    asserts.assert_sympy_expr(v.D_star_smoothed, "D_star_smoothed", symbols=[s["a"], s["b"], s["alpha"]])
    _depends_on_a_and_b(v.D_star, "D_star")
    _depends_on_a_and_b(v.D_star_smoothed, "D_star_smoothed")


def _depends_on_a_and_b(value, name) -> None:
    s = symbols()
    missing = [n for n in ("a", "b") if s[n] not in asserts.as_sympy(value, name).free_symbols]
    if missing:
        raise AssertionError(
            f"{name} does not involve {' and '.join(missing)}: the maximiser of a log D + b log(1 - D) moves with both "
            f"weights")


def _d_star_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 31)
    return {"ab": [(int(rng.integers(1, 30)), int(rng.integers(1, 12)), int(rng.integers(1, 30)), int(rng.integers(1, 12)))
                   for _ in range(3)]}  # (a numerator, denominator, b numerator, denominator): the grader's (a, b)


@points(0.5)
def test_no_smoothing_gives_back_D_star(v, ref):
    # with alpha = 0, g_alpha is g: D_star_smoothed there against the statement's D* at the working seed's (a, b),
    # as the grader's reference gave it there (recorded; not against the student's D_star)
    sp, s = _sp(), symbols()
    a, b = s["a"], s["b"]
    pts = [{a: sp.Rational(p, q), b: sp.Rational(r, t)} for p, q, r, t in v.inputs.working["ab"]]
    want = ref
    smoothed = asserts.as_sympy(v.D_star_smoothed, "D_star_smoothed").subs(s["alpha"], 0)

    def gap_to(values):
        return max(sympy_gap(smoothed, value, [pt]) for pt, value in zip(pts, values, strict=True))

    gap = gap_to(want["D_star"])
    if gap < 1e-30:
        return
    hint = ""
    if gap_to(want["swapped"]) < 1e-30:
        hint = ": it is b / (a + b), so a and b are swapped (which term does the real data weigh?)"
    elif sympy_gap(smoothed, asserts.as_sympy(v.D_star, "D_star"), pts) < 1e-30:
        hint = ": it equals your D_star, so D_star is off too"
    raise AssertionError(f"expected D_star_smoothed with alpha = 0 to be the maximiser of g, D* = a / (a + b); found "
                         f"it different at some a, b > 0{hint}")


def _weights(v) -> list:
    """The (a, b) of the draw as exact sympy numbers, as {symbol: value} points."""
    sp, s = _sp(), symbols()
    return [{s["a"]: sp.Rational(p, q), s["b"]: sp.Rational(r, t)} for p, q, r, t in v.inputs.working["ab"]]


def _real(value, point, name) -> float:
    got = asserts.sympy_number(value, point, name)
    if not (got == got and abs(got.imag) <= 1e-20 * max(1.0, abs(got.real)) and math.isfinite(got.real)):
        raise AssertionError(f"{name} is not a finite real number at some a, b > 0")
    return got.real


@points(0.5)
def test_D_star_grows_with_a_and_falls_with_b(v, ref):
    # a weighs log D in g: the more weight on log D, the larger its maximiser (and the reverse for b); D_star's own
    # values at the draw's (a, b), doubled one at a time; no value is compared
    s = symbols()
    _depends_on_a_and_b(v.D_star, "D_star")
    for pt in _weights(v):
        at = _real(v.D_star, pt, "D_star")
        more_a = _real(v.D_star, {**pt, s["a"]: 2 * pt[s["a"]]}, "D_star")
        more_b = _real(v.D_star, {**pt, s["b"]: 2 * pt[s["b"]]}, "D_star")
        if not (more_a > at > more_b):
            raise AssertionError(
                "D_star does not grow with a and fall with b: a weighs log D in g(D) = a log D + b log(1 - D), so more "
                "weight on a pushes the maximiser towards 1 (are a and b swapped?)")


@points(0.5)
def test_second_derivative_is_negative_and_scales_with_the_weights(v, ref):
    # at a maximiser g'' < 0; g is linear in (a, b) and its maximiser depends only on a / b, so g'' at the maximiser
    # doubles when a and b both double; the student's own values at the draw's (a, b)
    s = symbols()
    name = "second_derivative_at_D_star"
    for pt in _weights(v):
        at = _real(getattr(v, name), pt, name)
        doubled = _real(getattr(v, name), {s["a"]: 2 * pt[s["a"]], s["b"]: 2 * pt[s["b"]]}, name)
        if not at < 0:
            raise AssertionError(f"{name} is not negative at some a, b > 0, but D* is a maximiser of g (the second "
                                 f"derivative of g, not of the loss -g, nor the first derivative)")
        if not abs(doubled - 2 * at) <= 1e-12 * abs(at):
            raise AssertionError(
                f"{name} does not double when a and b both double, as g = a log D + b log(1 - D) and its maximiser "
                f"say it must: check the powers in g''(D*)")


@points(0.5)
def test_smoothed_maximiser_in_two_limits(v, ref):
    # with no fakes (b -> 0) the maximiser of g_alpha is the real images' target 1 - alpha; with alpha = 1 real images
    # are trained towards 0 like the fakes, so the maximiser is 0. The student's D_star_smoothed at the draw's a, a tiny
    # b, and alpha = 1/4 or 1; no value of D* is compared
    sp, s = _sp(), symbols()
    name = "D_star_smoothed"
    for pt in _weights(v):
        quarter = sp.Rational(1, 4)
        no_fakes = _real(v.D_star_smoothed, {s["a"]: pt[s["a"]], s["b"]: sp.Rational(1, 10 ** 30), s["alpha"]: quarter},
                         name)
        if not abs(no_fakes - (1 - quarter)) <= 1e-20:
            raise AssertionError(
                f"{name} as b -> 0 (no fakes) is not the target 1 - alpha that one-sided smoothing gives real images "
                f"(which term of g_alpha carries alpha, and does b?)")
        all_zero = _real(v.D_star_smoothed, {**pt, s["alpha"]: sp.S.One}, name)
        if not abs(all_zero) <= 1e-20:
            raise AssertionError(
                f"{name} with alpha = 1 is not 0: then real images are trained towards 0, as fakes are (one-sided "
                f"smoothing moves the real images' target only)")


@points(0.5)
def test_equal_weights_give_one_half(v, ref):
    sp, s = _sp(), symbols()
    _depends_on_a_and_b(v.D_star, "D_star")
    if not sympy_gap(v.D_star.subs({s["a"]: 1, s["b"]: 1}), sp.Rational(1, 2), [{}]) < 1e-30:
        raise AssertionError(
            "D_star is not 1/2 when a = b = 1 (both classes equally likely): another value often means the "
            "derivative of b log(1 - D) lost its minus sign")


# ------------------------------------------------------------------ Q3.2
P_DATA, P_G = (0.6, 0.3, 0.1), (0.1, 0.2, 0.7)


def _discrete_inputs(seed):
    """D drawn from the seed; (p_data, p_g) the statement's for the working seed, drawn from any other (graded), so the
    loss at D* recorded for the statement's pair answers nothing there."""
    import numpy as np

    rng = np.random.default_rng(int(seed) + 3)
    D = rng.uniform(0.05, 0.95, size=3)
    if int(seed) == WORKING_SEED:
        p_data, p_g = np.array(P_DATA), np.array(P_G)
    else:
        p_data, p_g = (w / w.sum() for w in rng.uniform(0.1, 1.0, size=(2, 3)))
    return {"D": D, "p_data": p_data, "p_g": p_g, "grid": np.linspace(0.04, 0.96, 24)}


def _discrete_probe(o, x):
    import itertools

    import numpy as np

    loss, optimal = o["discriminator_loss"], o["optimal_discriminator"]
    half = np.array([0.5, 0.5])
    d_star = attempt(optimal, x["p_data"], x["p_g"])
    return {"loss_at_one_half": attempt(loss, half.copy(), half.copy(), half.copy()),
            "loss_value": attempt(loss, x["D"], x["p_data"], x["p_g"]),
            "optimal_values": d_star,
            "loss_at_optimal": attempt(lambda: loss(np.asarray(d_star, dtype=np.float64), x["p_data"], x["p_g"])),
            "loss_on_grid": attempt(lambda: [loss(np.array(c), x["p_data"], x["p_g"])
                                             for c in itertools.product(x["grid"], repeat=3)])}


@points(1)
def test_half_everywhere_gives_two_log_two(v, ref):
    w = working(v)
    try:
        asserts.assert_close(w.loss_at_one_half, 2 * math.log(2), name="discriminator_loss(1/2, p, p)")
    except AssertionError as exc:
        got = float(asserts.as_array(w.loss_at_one_half, "discriminator_loss"))
        hint = (": that is half of it, as a mean over x gives; the loss is a sum over x weighted by p_data and p_g"
                if abs(got - math.log(2)) < 1e-9 else
                ": that is its negative; the loss is minus the expected log-likelihood, so it is positive"
                if abs(got + 2 * math.log(2)) < 1e-9 else "")
        raise AssertionError(f"{exc}{hint}") from None
    # a loss that does not move with D is no loss of D: at another D and at D* it must differ
    at_d, at_optimal = (float(asserts.as_array(x, "discriminator_loss")) for x in (w.loss_value, w.loss_at_optimal))
    if not abs(at_d - at_optimal) > 1e-9:
        raise AssertionError(
            "discriminator_loss gives the same value at two different D (one in (0, 1)^3 and your "
            "optimal_discriminator's): it must be computed from D, p_data and p_g")


@points(1.5)
def test_loss_at_the_optimum_is_two_log_two_minus_twice_the_jsd(v, ref):
    # the statement's (p_data, p_g) (graded: the grading seed's): against the grader's 2 log 2 - 2 JSD(p_data, p_g)
    # (recorded for the statement's)
    import numpy as np

    w = working(v)
    try:
        asserts.assert_close(w.loss_at_optimal, ref["loss_at_optimal"], rtol=1e-9,
                             name="discriminator_loss at optimal_discriminator, against 2 log 2 - 2 JSD(p_data, p_g)")
    except AssertionError as exc:
        p_data, p_g = (np.asarray(v.inputs.working[k], dtype=np.float64) for k in ("p_data", "p_g"))
        try:
            d_star = np.asarray(asserts.as_array(w.optimal_values, "optimal_discriminator"), dtype=np.float64)
        except AssertionError:
            raise exc from None
        hint = (": optimal_discriminator gives p_g / (p_data + p_g), so the two distributions are swapped (D(x) is "
                "the probability that x is real)" if d_star.shape == p_g.shape
                and np.allclose(d_star, p_g / (p_data + p_g), rtol=1e-9) else
                ": optimal_discriminator's values do not sum with 1 - D to a distribution of 'real' and 'fake' at "
                "each x; D*(x) must lie in (0, 1)" if d_star.shape == p_g.shape
                and not ((d_star > 0) & (d_star < 1)).all() else "")
        raise AssertionError(f"{exc}{hint}") from None


CHECKS = [
    CheckSpec("q3_d_star_tests", hidden_for="the three expressions themselves", names=("D_star", "second_derivative_at_D_star", "D_star_smoothed"),
              visible=(test_are_expressions_in_a_and_b, test_no_smoothing_gives_back_D_star,
                       test_equal_weights_give_one_half, test_D_star_grows_with_a_and_falls_with_b,
                       test_second_derivative_is_negative_and_scales_with_the_weights,
                       test_smoothed_maximiser_in_two_limits), inputs=with_working(_d_star_inputs)),
    CheckSpec("q3_discrete_discriminator_tests", hidden_for="the loss and D* on another example; no discriminator on a grid beats D*", names=("discriminator_loss", "optimal_discriminator"),
              visible=(test_half_everywhere_gives_two_log_two, test_loss_at_the_optimum_is_two_log_two_minus_twice_the_jsd),
              probe=on_working(_discrete_probe), inputs=with_working(_discrete_inputs)),
]
