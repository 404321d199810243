"""dgmlab.grading.hidden.hw5_explicit.references: the grader's Fréchet distance and its gradient, and the
likelihoods hw5's weights cells grade with, against closed forms, finite differences and torch.distributions."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from dgmlab import likelihoods
from dgmlab.grading.hidden.hw5_explicit import references


def _gaussian(rng, d):
    f = rng.normal(size=(200, d)) @ rng.normal(size=(d, d))
    return f.mean(axis=0), np.cov(f, rowvar=False)


def test_frechet_distance_is_the_closed_form_for_diagonal_covariances():
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 1.0])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    want = float(np.sum((mu1 - mu2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b)))
    assert references.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(want, rel=1e-12)


def test_frechet_distance_is_real_and_finite_for_singular_covariances():
    rng = np.random.default_rng(1)
    f, g = rng.normal(size=(5, 20)), rng.normal(size=(5, 20))
    d = references.frechet_distance(f.mean(0), np.cov(f, rowvar=False), g.mean(0), np.cov(g, rowvar=False))
    assert isinstance(d, float) and math.isfinite(d) and d > 0


def test_frechet_gradients_match_central_differences():
    rng = np.random.default_rng(0)
    (m1, c1), (m2, c2) = _gaussian(rng, 5), _gaussian(rng, 5)
    g_m1, g_c1, g_m2, g_c2 = references.frechet_gradients(m1, c1, m2, c2)
    h = 1e-6
    e = rng.normal(size=(5, 5))
    e = (e + e.T) / 2
    u = rng.normal(size=5)
    fd = references.frechet_distance
    assert (fd(m1 + h * u, c1, m2, c2) - fd(m1 - h * u, c1, m2, c2)) / (2 * h) == pytest.approx(g_m1 @ u, rel=1e-6)
    assert (fd(m1, c1, m2 + h * u, c2) - fd(m1, c1, m2 - h * u, c2)) / (2 * h) == pytest.approx(g_m2 @ u, rel=1e-6)
    assert (fd(m1, c1 + h * e, m2, c2) - fd(m1, c1 - h * e, m2, c2)) / (2 * h) == pytest.approx((g_c1 * e).sum(), rel=1e-5)
    assert (fd(m1, c1, m2, c2 + h * e) - fd(m1, c1, m2, c2 - h * e)) / (2 * h) == pytest.approx((g_c2 * e).sum(), rel=1e-5)


def test_the_student_package_keeps_no_likelihood_formula():
    assert not hasattr(likelihoods, "bernoulli_nll_nats") and not hasattr(likelihoods, "flow_bits_per_dim")


class _Logits(nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, x):
        return self.logits.expand_as(x)


def test_bernoulli_nll_matches_torch_distributions():
    x = likelihoods.grading_digits(20)
    logits = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    want = -torch.distributions.Bernoulli(logits=logits.expand_as(x)).log_prob(x).flatten(1).sum(1).mean()
    assert references.bernoulli_nll_nats(_Logits(logits), x, batch_size=7) == pytest.approx(float(want), rel=1e-5)
    assert references.bernoulli_nll_nats(_Logits(torch.zeros(1, 1, 28, 28)), x) == pytest.approx(784 * math.log(2))


class _Identity(nn.Module):
    def forward(self, v):
        return v, torch.zeros(len(v))


def test_flow_bits_per_dim_of_the_identity_flow_is_the_logit_gaussian_density():
    x = likelihoods.grading_digits(10, scale="[0,1]")
    alpha = 0.05
    g = torch.Generator().manual_seed(likelihoods.GRADING_SEED)
    y = (torch.round(x.flatten(1) * 255) + torch.rand((10, 784), generator=g)) / 256
    s = alpha + (1 - 2 * alpha) * y
    v = torch.log(s / (1 - s))
    log_p = (torch.distributions.Normal(0.0, 1.0).log_prob(v) + math.log(1 - 2 * alpha) - torch.log(s * (1 - s))).sum(1)
    want = float(((-log_p / 784 + math.log(256)) / math.log(2)).mean())
    got = references.flow_bits_per_dim(_Identity(), x, alpha=alpha, batch_size=3)
    assert got == pytest.approx(want, rel=1e-5)
    assert got == pytest.approx(references.flow_bits_per_dim(_Identity(), x, alpha=alpha), abs=5e-6)  # seeded noise
    assert got != pytest.approx(references.flow_bits_per_dim(_Identity(), x, alpha=alpha, seed=1), abs=1e-5)
