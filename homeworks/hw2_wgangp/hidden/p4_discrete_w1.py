"""hw2_wgangp, p4_discrete_w1: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import numpy as np

from dgmlab.grading.references.transport import discrete_w1
from dgmlab.probes import asserts
from dgmlab.probes.points import points

# ------------------------------------------------------------------ p4_linprog_tests
# No hidden test: the visible tests apply A_eq (handed back as data) in the judge to matrices drawn from the grading
# seed when graded, and compare the LP's value with POT's exact solver on the grading seed's problems.


# ------------------------------------------------------------------ p4_glue_tests
def _glued(v, ref, group, kappas):
    cases = v.inputs[group]
    if len(kappas) != len(cases):
        raise AssertionError("glue_couplings was not run on every case")
    for case, kappa in zip(cases, kappas, strict=True):
        kappa = np.asarray(kappa, dtype=np.float64)
        if not np.all(np.isfinite(kappa)):
            raise AssertionError(f"n={len(case['r'])}: kappa has NaN or inf (zeros in r: {case['zeros']})")
        yield case, kappa

@points(0.5)
def test_valid_coupling_of_optimal_plans(v, ref):
    for case, kappa in _glued(v, ref, "valid", v.valid):
        asserts.assert_coupling(kappa, case["p"], case["q"], atol=1e-9, name="kappa")

@points(0.5)
def test_valid_coupling_with_zeros_in_r(v, ref):
    for case, kappa in _glued(v, ref, "zeros", v.zeros):
        asserts.assert_coupling(kappa, case["p"], case["q"], atol=1e-9, name=f"kappa with {case['zeros']} zeros in r")

@points(0.5)
def test_cost_between_the_two_bounds(v, ref):
    for case, kappa in _glued(v, ref, "bounds", v.bounds):
        C, p, q, r = case["C"], case["p"], case["q"], case["r"]
        cost = float(np.sum(kappa * C))
        if not cost <= discrete_w1(p, r, C) + discrete_w1(r, q, C) + 1e-9:
            raise AssertionError(f"n={len(r)}: <kappa, c> exceeds W1(p, r) + W1(r, q)")
        if not cost >= discrete_w1(p, q, C) - 1e-9:
            raise AssertionError(f"n={len(r)}: <kappa, c> is below W1(p, q)")


HIDDEN = {
    'p4_linprog_tests': (),
    'p4_glue_tests': (test_valid_coupling_of_optimal_plans, test_valid_coupling_with_zeros_in_r, test_cost_between_the_two_bounds),
}
