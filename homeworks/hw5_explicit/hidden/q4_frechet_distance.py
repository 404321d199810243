"""hw5_explicit, q4_frechet_distance: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import numpy as np
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points

from .references import frechet_gradients


# ------------------------------------------------------------------ q4_stats_tests
@points(0.25)
def test_values_on_small_sample(v, ref):
    mu, cov = v.small
    f = v.inputs.small.numpy()
    asserts.assert_tensor(mu, "mu", shape=(3,), dtype=torch.float64)
    asserts.assert_tensor(cov, "cov", shape=(3, 3), dtype=torch.float64)
    asserts.assert_close(mu.numpy(), f.mean(axis=0), rtol=1e-12, name="the mean")
    asserts.assert_close(cov.numpy(), np.cov(f, rowvar=False), rtol=1e-10, atol=1e-12,
                        name="the covariance (unbiased, one row per sample)")


@points(0.25)
def test_float32_features_give_float64_statistics(v, ref):
    mu, cov = v.torch32
    asserts.assert_tensor(mu, "mu for float32 features", dtype=torch.float64)
    asserts.assert_tensor(cov, "cov for float32 features", dtype=torch.float64)
    asserts.assert_close(cov.numpy(), np.cov(v.inputs.torch32.double().numpy(), rowvar=False), rtol=1e-6, atol=1e-8,
                        name="the covariance")


@points(0.25)
def test_gradient_with_respect_to_the_features(v, ref):
    # d/dX of a . mu + <W, cov> = 1 a^T / n + Xc (W + W^T) / (n - 1), Xc the centred features
    x = v.inputs.gauss50
    a, w = v.inputs.a, v.inputs.w
    centred = x - x.mean(dim=0)
    want = a.expand_as(x) / len(x) + centred @ (w + w.T) / (len(x) - 1)
    got = v.grad_gauss50
    asserts.assert_tensor(got, "the gradient with respect to the features", shape=tuple(x.shape))
    asserts.assert_close(got.double().numpy(), want.numpy(), rtol=1e-8, atol=1e-10,
                        name="the gradient of a . mu + <W, cov> with respect to the features")


# ------------------------------------------------------------------ q4_frechet_tests
@points(0.25)
def test_gradient_with_respect_to_the_means(v, ref):
    (mu1, c1), (mu2, c2) = v.inputs.general1, v.inputs.general2
    g_mu1, _, g_mu2, _ = v.general_grads
    want_mu1, _, want_mu2, _ = frechet_gradients(mu1, c1, mu2, c2)
    asserts.assert_close(g_mu1.double().numpy(), want_mu1, rtol=1e-6, atol=1e-8, name="d D_F / d mu1")
    asserts.assert_close(g_mu2.double().numpy(), want_mu2, rtol=1e-6, atol=1e-8, name="d D_F / d mu2")


@points(0.75)
def test_gradient_with_respect_to_the_covariances(v, ref):
    # along symmetric directions E (a covariance stays symmetric): <grad, E> against the closed form I - T
    (mu1, c1), (mu2, c2) = v.inputs.general1, v.inputs.general2
    _, g_c1, _, g_c2 = v.general_grads
    _, want_c1, _, want_c2 = frechet_gradients(mu1, c1, mu2, c2)
    for got, want, name in ((g_c1, want_c1, "cov1"), (g_c2, want_c2, "cov2")):
        got = got.double().numpy()
        for e in v.inputs.directions:
            asserts.assert_close(float((got * e).sum()), float((want * e).sum()), rtol=1e-5, atol=1e-7,
                                name=f"the derivative of D_F with respect to {name} along a symmetric direction")


HIDDEN = {
    'q4_stats_tests': (test_values_on_small_sample, test_float32_features_give_float64_statistics,
                       test_gradient_with_respect_to_the_features),
    'q4_frechet_tests': (test_gradient_with_respect_to_the_means, test_gradient_with_respect_to_the_covariances),
}
