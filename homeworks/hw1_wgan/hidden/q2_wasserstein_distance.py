"""hw1_wgan, q2_wasserstein_distance: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import math

import numpy as np
import sympy as sp
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw1_wgan.checks import symbols

_S = symbols()  # the notebook's locked cell q2_symbols
x, theta, theta0, eps, sigma_g, sigma_data = (_S[k] for k in ("x", "theta", "theta0", "eps", "sigma_g", "sigma_data"))


# ------------------------------------------------------------------ q2_kl_gaussians_tests
def _points():
    return [{x: a, theta: t, theta0: t0, sigma_g: sg, sigma_data: sd} for a, t, t0, sg, sd in [
        (sp.Rational(1, 3), 1, 0, 1, 1), (-2, sp.Rational(1, 2), 2, sp.Rational(3, 2), sp.Rational(2, 3)),
        (sp.Rational(7, 4), -1, sp.Rational(1, 5), 2, sp.Rational(1, 2)), (0, 3, -1, sp.Rational(1, 4), 3)]]

def _general_kl():
    return sp.log(sigma_data / sigma_g) + (sigma_g ** 2 + (theta - theta0) ** 2) / (2 * sigma_data ** 2) - sp.Rational(1, 2)

@points(2)
def test_general_kl_is_exact(v, ref):
    asserts.assert_sympy_equal(v.kl_general, _general_kl(), "kl_general")

@points(1)
def test_equal_widths_give_the_closed_form(v, ref):
    # the printed equal-width form earns nothing by itself: it counts as the specialisation of kl_general
    asserts.assert_sympy_equal(v.kl_general, _general_kl(), "kl_general (kl_gaussians is graded as its specialisation)")
    asserts.assert_sympy_equal(v.kl_gaussians, (theta - theta0) ** 2 / (2 * eps ** 2), "kl_gaussians")


# ------------------------------------------------------------------ q2_kl_limits_tests
@points(0.5)
def test_kl_diverges_to_plus_infinity(v, ref):
    for got in (v.at_1_0, v.at_minus_1_0, v.at_half_2):
        if got[0] is not sp.oo:
            raise AssertionError(
                "the KL limit is wrong for theta != theta0 (is the limit taken as eps -> 0 from above?)")

@points(0.5)
def test_derivative_diverges_with_the_sign_of_theta_minus_theta0(v, ref):
    why = " (differentiate with respect to theta, not eps or theta0)"
    if v.at_1_0[1] is not sp.oo:
        raise AssertionError("the derivative limit for theta > theta0 is wrong" + why)
    if v.at_minus_1_0[1] is not sp.oo * -1:
        raise AssertionError("the derivative limit for theta < theta0 is wrong" + why)
    if v.at_half_2[1] is not -sp.oo:
        raise AssertionError("the derivative limit for theta < theta0 is wrong" + why)

def _removable(v, ref):
    at = {theta: v.inputs.t, theta0: v.inputs.t0}
    f = v.inputs.a * (theta - theta0) ** 2 * sp.sin(eps) / eps
    return sp.limit(f.subs(at), eps, 0, "+"), sp.limit(sp.diff(f, theta).subs(at), eps, 0, "+")

@points(1)
def test_derivative_limit_where_eps_equal_zero_is_undefined(v, ref):
    got = v.removable
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise AssertionError("expected a pair")
    if sp.simplify(asserts.as_sympy(got[1], "the derivative limit") - _removable(v, ref)[1]) != 0:
        raise AssertionError("the derivative limit of a kl that is 0/0 at eps = 0 is wrong")

@points(0.5)
def test_equal_means_give_zero_and_zero(v, ref):
    got = v.at_equal_means
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise AssertionError("expected a pair")
    if not (asserts.as_sympy(got[0], "the limit") == 0 and asserts.as_sympy(got[1], "the derivative limit") == 0):
        raise AssertionError("the limits at theta = theta0 are wrong")


# ------------------------------------------------------------------ q2_combined_generator_loss_tests
@points(0.5)
def test_value_on_a_fixed_batch(v, ref):
    d = v.inputs.batch
    want = torch.log(1 - d).mean() - torch.log(d).mean()
    asserts.assert_close(v.on_a_batch, want, rtol=1e-9, atol=1e-12,
                        name="combined_generator_loss(d) on a batch of eight (batch means?)")

@points(1)
def test_gradient_with_respect_to_d(v, ref):
    if v.gradient is None:
        raise AssertionError("no gradient flows back to d (detached?)")
    dd = v.inputs.for_grad
    asserts.assert_close(v.gradient, (-1 / (1 - dd) - 1 / dd) / len(dd), rtol=1e-9, atol=1e-12,
                        name="d loss / d D(x_i)")


# ------------------------------------------------------------------ q2_js_divergence_tests
def _reference_js(t, t0, s):
    from scipy import integrate, stats
    p, q = stats.norm(t, s), stats.norm(t0, s)
    def f(v):
        lp, lq = p.logpdf(v), q.logpdf(v)
        lm = np.logaddexp(lp, lq) - np.log(2)
        return 0.5 * np.exp(lp) * (lp - lm) + 0.5 * np.exp(lq) * (lq - lm)
    lo, hi = min(t, t0) - 12 * s, max(t, t0) + 12 * s
    return integrate.quad(f, lo, hi, points=[t, t0], limit=200)[0]

@points(0.5)
def test_gradient_at_moderate_eps(v, ref):
    got = v.grad_at_eps_1["grad"]
    if got is None:
        raise AssertionError("no gradient reached theta (detached?)")
    fd = (_reference_js(1.0 + 1e-4, 0.0, 1.0) - _reference_js(1.0 - 1e-4, 0.0, 1.0)) / 2e-4
    asserts.assert_close(got, fd, rtol=1e-3, atol=1e-6, name="dJS/dtheta at eps=1")

@points(1.5)
def test_saturates_at_log2_with_vanishing_gradient(v, ref):
    for got in v.at_tiny_eps:
        asserts.assert_close(got["value"], math.log(2), atol=1e-6, name="JS as eps -> 0")
        if not (got["grad"] is not None and abs(got["grad"]) < 1e-6):
            raise AssertionError("dJS/dtheta should vanish as eps -> 0 (theta != theta0)")


# ------------------------------------------------------------------ q2_w1_distance_tests
@points(0.5)
def test_value_is_the_shift_whatever_eps(v, ref):
    if len(v.values) != len(v.inputs.cases):
        raise AssertionError("expected one value per call")
    for (t, t0, s), got in zip(v.inputs.cases, v.values, strict=True):
        asserts.assert_close(got, abs(t - t0), rtol=1e-6, atol=1e-9, name=f"W1 at theta={t}, theta0={t0}, eps={s}")

@points(0.5)
def test_gradient_keeps_unit_size_and_sign_as_eps_shrinks(v, ref):
    for (t, sign), got in zip([(1.0, 1.0), (-1.0, -1.0)], v.at_tiny_eps, strict=True):
        if got["grad"] is None:
            raise AssertionError("no gradient reached theta (detached?)")
        asserts.assert_close(got["grad"], sign, atol=1e-6, name=f"dW1/dtheta at theta={t}")


HIDDEN = {
    'q2_kl_gaussians_tests': (test_general_kl_is_exact, test_equal_widths_give_the_closed_form),
    'q2_kl_limits_tests': (test_kl_diverges_to_plus_infinity, test_derivative_diverges_with_the_sign_of_theta_minus_theta0, test_derivative_limit_where_eps_equal_zero_is_undefined, test_equal_means_give_zero_and_zero),
    'q2_combined_generator_loss_tests': (test_value_on_a_fixed_batch, test_gradient_with_respect_to_d),
    'q2_js_divergence_tests': (test_gradient_at_moderate_eps, test_saturates_at_log2_with_vanishing_gradient),
    'q2_w1_distance_tests': (test_value_is_the_shift_whatever_eps, test_gradient_keeps_unit_size_and_sign_as_eps_shrinks),
}
