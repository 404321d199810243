"""hw2_wgangp, p3_smoothing: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import math

import numpy as np

from dgmlab.grading.references.transport import discrete_w1
from dgmlab.probes.points import points


# ------------------------------------------------------------------ p3_costs_tests
def _pairs(cases, got):
    if len(got) != len(cases):
        raise AssertionError("smoothing_costs was not run on every dimension")
    for (x, eps), out in zip(cases, got, strict=True):
        if len(out) != 2:
            raise AssertionError("smoothing_costs should return (emd, identity_cost)")
        yield x, eps, float(out[0]), float(out[1])

@points(1.5)
def test_emd_is_exact_and_below_identity_cost(v, ref):
    for x, eps, emd, ident in _pairs(v.inputs.emd_cases, v.emd_cases):
        n, d = x.shape
        w = np.full(n, 1 / n)
        cost = np.linalg.norm(x[:, None, :] - (x + eps)[None, :, :], axis=-1)
        if not abs(emd - discrete_w1(w, w, cost)) < 1e-6:
            raise AssertionError(f"d={d}: the EMD is not the exact optimal transport cost with Euclidean ground cost")
        if not emd <= np.linalg.norm(eps, axis=1).mean() + 1e-9:
            raise AssertionError(f"d={d}: the EMD exceeds the cost of a feasible coupling")

@points(1.25)
def test_identity_cost_obeys_jensen(v, ref):
    sigma = v.inputs.jensen_sigma
    for x, eps, emd, ident in _pairs(v.inputs.jensen_cases, v.jensen_cases):
        n, d = x.shape
        mean_norm = sigma * math.sqrt(2) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2))
        spread = sigma * math.sqrt(d - (mean_norm / sigma) ** 2) / math.sqrt(n)
        if not ident < sigma * math.sqrt(d) + 3 * spread:
            raise AssertionError(f"d={d}: the identity cost is above sigma*sqrt(d)")
        if not abs(ident - mean_norm) < 4 * spread:
            raise AssertionError(
                f"d={d}: the identity cost is not close to E||eps||, which sits below sigma*sqrt(d) by Jensen's gap")


HIDDEN = {
    'p3_costs_tests': (test_emd_is_exact_and_below_identity_cost, test_identity_cost_obeys_jensen),
}
