"""hw5_explicit, q2_data_to_latent_flows: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import sympy as sp
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw5_explicit.checks import symbols

_SYMBOLS = symbols()  # the notebook's fixed symbols (its locked cell q2_symbols)
x_sym, z_sym, standard_normal = _SYMBOLS["x_sym"], _SYMBOLS["z_sym"], _SYMBOLS["standard_normal"]


# ------------------------------------------------------------------ q2_density_tests
@points(0.75)
def test_exact_for_increasing_flows(v, ref):
    flows = [x_sym ** 3 + x_sym, sp.sinh(x_sym), v.inputs.a * x_sym + v.inputs.b]
    if len(v.increasing) != len(flows):
        raise AssertionError("flow_density did not answer for every flow")
    for got, f in zip(v.increasing, flows, strict=True):
        expected = standard_normal.subs(z_sym, f) * sp.diff(f, x_sym)
        asserts.assert_sympy_equal(got, expected, "P_w(x) for an increasing flow")


# ------------------------------------------------------------------ q2_risk_tests
@points(0.75)
def test_affine_flow_matches_torch_distributions(v, ref):
    expected = -torch.distributions.Normal(v.inputs.b, v.inputs.a).log_prob(v.inputs.x).sum(dim=1).mean()
    if not (isinstance(v.affine_risk, torch.Tensor) and v.affine_risk.dtype == torch.float64):
        raise AssertionError("the risk of float64 data must stay a float64 tensor computed from the flow's outputs")
    asserts.assert_close(v.affine_risk, expected, rtol=1e-8, name="the empirical risk of an affine flow")


HIDDEN = {
    'q2_density_tests': (test_exact_for_increasing_flows,),
    'q2_risk_tests': (test_affine_flow_matches_torch_distributions,),
}
