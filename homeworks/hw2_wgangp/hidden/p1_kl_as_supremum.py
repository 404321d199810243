"""hw2_wgangp, p1_kl_as_supremum: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import math

import sympy as sp
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw2_wgangp.checks import normals, symbols

from .common import standard_error, test_other_critics_score_lower

t = symbols()["t"]


# ------------------------------------------------------------------ p1_conjugate_tests
@points(0.75)
def test_equals_the_convex_conjugate(v, ref):
    asserts.assert_sympy_equal(v.f_star_kl, sp.exp(t - 1), "f_star_kl")

@points(0.5)
def test_turns_one_plus_log_d_into_d(v, ref):
    d = sp.Symbol("d", positive=True)
    value = sp.simplify(asserts.subs_by_name(v.f_star_kl, {t: 1 + sp.log(d)}, "f_star_kl"))
    if not asserts.sympy_equivalent(value, d):
        raise AssertionError("f_star_kl(1 + log d) should simplify to d, as the proof uses")


# ------------------------------------------------------------------ p1_objective_tests
def _monte_carlo_spread(v, ref):
    # the standard error of the estimate at the true d* = p/q on the grader's samples
    p, q = normals(v.inputs)
    log_ratio = p.log_prob(v.inputs.x_p) - q.log_prob(v.inputs.x_p)
    ratio = torch.exp(p.log_prob(v.inputs.x_q) - q.log_prob(v.inputs.x_q))
    return standard_error(log_ratio, ratio)

@points(1.25)
def test_objective_at_optimum_matches_closed_form_kl(v, ref):
    p, q = normals(v.inputs)
    value = float(v.at_optimum)
    if not math.isfinite(value):
        raise AssertionError("the objective at d* is not finite")
    if not abs(value - float(torch.distributions.kl_divergence(p, q))) < 5 * _monte_carlo_spread(v, ref) + 1e-3:
        raise AssertionError("at d* the objective does not match D(p||q) of two Gaussians within Monte-Carlo error")

HIDDEN = {
    'p1_conjugate_tests': (test_equals_the_convex_conjugate, test_turns_one_plus_log_d_into_d),
    'p1_objective_tests': (test_objective_at_optimum_matches_closed_form_kl, test_other_critics_score_lower),
}
