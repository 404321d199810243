"""hw1_wgan, q1_normalizing_flows: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import torch
import torch.distributions as D

from dgmlab.probes import asserts
from dgmlab.probes.points import points


# ------------------------------------------------------------------ q1_flow_log_prob_tests
@points(0.5)
def test_2d_affine_with_non_standard_base_matches_multivariate_normal(v, ref):
    A, b = v.inputs.A.double(), v.inputs.b.double()
    want = D.MultivariateNormal(A @ torch.full((2,), 0.5, dtype=torch.float64) + b, 0.49 * A @ A.T).log_prob(
        v.inputs.eleven.double())
    asserts.assert_close(v.on_2d_affine, want, rtol=1e-4, atol=1e-4,
                        name="log-density of a 2-D affine flow with a non-standard base (base.log_prob?)")

@points(0.25)
def test_1d_exp_flow_matches_torch_lognormal(v, ref):
    want = D.LogNormal(0.0, 1.0).log_prob(v.inputs.exp_1d.squeeze(1))
    asserts.assert_close(v.on_1d_exp, want, rtol=1e-5, atol=1e-5,
                        name="log-density of the 1-D exp flow (log|det J| at z = f^-1(x)?)")


# ------------------------------------------------------------------ q1_flow_sample_tests
@points(1.5)
def test_2d_affine_samples_have_the_right_mean_and_covariance(v, ref):
    A = torch.tensor([[2.0, 0.5], [0.3, 1.5]], dtype=torch.float64)
    b = torch.tensor([1.0, -2.0], dtype=torch.float64)
    x = v.affine_40000.double()
    mean = A @ torch.full((2,), 0.5, dtype=torch.float64) + b
    asserts.assert_close(x.mean(0), mean, atol=0.04, rtol=0,
                        name="sample mean of the affine flow (noise from base, pushed through flow.forward?)")
    asserts.assert_close(torch.cov(x.T), 0.49 * A @ A.T, atol=0.08, rtol=0,
                        name="sample covariance of the affine flow")


HIDDEN = {
    'q1_flow_log_prob_tests': (test_2d_affine_with_non_standard_base_matches_multivariate_normal, test_1d_exp_flow_matches_torch_lognormal),
    'q1_flow_sample_tests': (test_2d_affine_samples_have_the_right_mean_and_covariance,),
}
