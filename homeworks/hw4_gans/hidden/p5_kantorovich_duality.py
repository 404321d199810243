"""hw4_gans, p5_kantorovich_duality: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import numpy as np

from dgmlab.grading.references.transport import discrete_w1
from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw4_gans.checks import paired


# ------------------------------------------------------------------ p5_ot_primal_tests
@points(1.5)
def test_value_is_optimal(v, ref):
    for (value, _), (p, q, C) in paired(v.instances, v.inputs.instances, "results, one per instance"):
        asserts.assert_close(value, discrete_w1(p, q, C), atol=1e-7, name=f"OT value ({len(p)}x{len(q)}) versus POT's ot.emd2")


# ------------------------------------------------------------------ p5_ot_dual_tests
@points(1)
def test_strong_duality(v, ref):
    for (value, _, _), (p, q, C) in paired(v.instances, v.inputs.instances, "results, one per instance"):
        asserts.assert_close(value, discrete_w1(p, q, C), atol=1e-7, name=f"dual value ({len(p)}x{len(q)}) versus POT's primal")


@points(0.5)
def test_complementary_slackness(v, ref):
    import ot
    for (_, phi, psi), (p, q, C) in paired(v.instances, v.inputs.instances, "results, one per instance"):
        T = ot.emd(p, q, C)
        gap = float(np.sum(T * (C - np.asarray(phi, float)[:, None] - np.asarray(psi, float)[None, :])))
        if not abs(gap) < 1e-7:
            raise AssertionError(
                "complementary slackness fails: mass moves along a pair whose dual constraint is not tight")


HIDDEN = {
    'p5_ot_primal_tests': (test_value_is_optimal,),
    'p5_ot_dual_tests': (test_strong_duality, test_complementary_slackness),
}
