"""hw2_wgangp, p2_reverse_kl_divergence: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import math

import numpy as np
import sympy as sp
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw2_wgangp.checks import normals, symbols

from .common import standard_error, test_other_critics_score_lower

s = symbols()["s"]


# ------------------------------------------------------------------ p2_conjugate_tests
@points(0.75)
def test_equals_the_convex_conjugate(v, ref):
    asserts.assert_sympy_equal(v.f_star_rkl, -1 - sp.log(-s), "f_star_rkl")

@points(0.5)
def test_is_the_supremum_of_s_u_minus_f(v, ref):
    # the conjugate must dominate s*u - f(u) for every u > 0, with equality somewhere
    for s0 in (-0.3, -1.0, -4.0):
        value = asserts.sympy_number(v.f_star_rkl, {s: s0}, "f_star_rkl")
        if not abs(value.imag) < 1e-12:
            raise AssertionError("f_star_rkl(s) is not real for s < 0")
        gaps = [value.real - (s0 * u0 + math.log(u0)) for u0 in np.geomspace(0.01, 20, 3000)]
        if not min(gaps) > -1e-9:
            raise AssertionError("f_star_rkl(s) is below s*u - f(u) for some u: it is not the supremum")
        if not min(gaps) < 1e-3:
            raise AssertionError("f_star_rkl(s) is strictly above every s*u - f(u): it is not the supremum")


# ------------------------------------------------------------------ p2_objective_tests
def _monte_carlo_spread(v, ref):
    # the standard error of the estimate at the true d* = -q/p on the grader's samples
    p, q = normals(v.inputs)
    ratio = torch.exp(q.log_prob(v.inputs.x_p) - p.log_prob(v.inputs.x_p))
    log_ratio = q.log_prob(v.inputs.x_q) - p.log_prob(v.inputs.x_q)
    return standard_error(ratio, log_ratio)

@points(1.25)
def test_objective_at_optimum_matches_closed_form_reverse_kl(v, ref):
    p, q = normals(v.inputs)
    value = float(v.at_optimum)
    if not math.isfinite(value):
        raise AssertionError("the objective at d* is not finite")
    target = float(torch.distributions.kl_divergence(q, p))
    if not abs(value - target) < 5 * _monte_carlo_spread(v, ref) + 1e-3:
        raise AssertionError("at d* the objective does not match D(q||p) of two Gaussians within Monte-Carlo error")

HIDDEN = {
    'p2_conjugate_tests': (test_equals_the_convex_conjugate, test_is_the_supremum_of_s_u_minus_f),
    'p2_objective_tests': (test_objective_at_optimum_matches_closed_form_reverse_kl, test_other_critics_score_lower),
}
