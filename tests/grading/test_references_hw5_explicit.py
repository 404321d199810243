"""homeworks.hw5_explicit.hidden.references: the grader's Fréchet distance and its gradient, and the
likelihoods hw5's weights cells grade with, against closed forms, finite differences and torch.distributions; the
grading digits and the two properties a graded file must have (causal, log-det = Jacobian's)."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from homeworks.hw5_explicit.hidden import references


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


def test_the_student_package_keeps_no_likelihood_formula_nor_the_grading_digits():
    """issue 54: dgmlab.likelihoods named the digits the weights files are graded on (a student could tune on them)
    and held the printed logit transform; all of it is the grader's now."""
    import importlib.util

    from homeworks.hw5_explicit import checks as hw5_explicit

    assert importlib.util.find_spec("dgmlab.likelihoods") is None
    assert not hasattr(hw5_explicit, "grading_digits") and not hasattr(hw5_explicit.common, "grading_digits")


def test_grading_digits_are_the_shipped_test_digits_in_both_scales():
    from dgmlab.data import load_sample

    binary, gray = references.grading_digits(100), references.grading_digits(100, scale="[0,1]")
    assert binary.shape == gray.shape == (100, 1, 28, 28)
    assert set(binary.unique().tolist()) == {0.0, 1.0} and torch.equal(binary, (gray > 0.5).float())
    assert torch.equal(references.grading_digits(200)[:100], binary)
    assert torch.equal(gray * 255, torch.from_numpy(load_sample(train=False)[0][:100]).float())
    with pytest.raises(ValueError, match="between 1 and 200"):
        references.grading_digits(201)


class _SeesItself(nn.Module):
    """A 1x1 convolution: the logit at each pixel depends on that pixel (not causal)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1)

    def forward(self, x):
        return self.conv(x)


class _Previous(nn.Module):
    """The logit at each pixel is the pixel before it in raster order (causal)."""

    def forward(self, x):
        flat = x.flatten(1)
        return torch.cat([torch.zeros_like(flat[:, :1]), flat[:, :-1]], dim=1).view_as(x)


def test_check_causal_refuses_a_model_that_sees_the_pixel_it_predicts():
    references.check_causal(_Previous())
    with pytest.raises(AssertionError, match=r"not causal: its logit at pixel \(10, 10\) depends on pixel \(10, 10\)"):
        references.check_causal(_SeesItself())


class _Affine(nn.Module):
    """z = a * v elementwise; log|det| = sum log|a|, or its negative when ``flipped``."""

    def __init__(self, flipped=False):
        super().__init__()
        self.a = nn.Parameter(torch.linspace(0.5, 2.0, 784))
        self.flipped = flipped

    def forward(self, v):
        ld = torch.log(self.a.abs()).sum().expand(len(v))
        return v * self.a, -ld if self.flipped else ld


def test_check_log_det_refuses_a_flipped_log_determinant():
    x = references.grading_digits(1, scale="[0,1]")
    references.check_log_det(_Affine(), x)
    with pytest.raises(AssertionError, match=r"log-determinant is .* but the Jacobian.s log\|det\| is"):
        references.check_log_det(_Affine(flipped=True), x)


class _Logits(nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, x):
        return self.logits.expand_as(x)


def test_bernoulli_nll_matches_torch_distributions():
    x = references.grading_digits(20)
    logits = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    want = -torch.distributions.Bernoulli(logits=logits.expand_as(x)).log_prob(x).flatten(1).sum(1).mean()
    assert references.bernoulli_nll_nats(_Logits(logits), x, batch_size=7) == pytest.approx(float(want), rel=1e-5)
    assert references.bernoulli_nll_nats(_Logits(torch.zeros(1, 1, 28, 28)), x) == pytest.approx(784 * math.log(2))


class _Identity(nn.Module):
    def forward(self, v):
        return v, torch.zeros(len(v))


def test_flow_bits_per_dim_of_the_identity_flow_is_the_logit_gaussian_density():
    x = references.grading_digits(10, scale="[0,1]")
    alpha = 0.05
    g = torch.Generator().manual_seed(references.GRADING_SEED)
    y = (torch.round(x.flatten(1) * 255) + torch.rand((10, 784), generator=g)) / 256
    s = alpha + (1 - 2 * alpha) * y
    v = torch.log(s / (1 - s))
    log_p = (torch.distributions.Normal(0.0, 1.0).log_prob(v) + math.log(1 - 2 * alpha) - torch.log(s * (1 - s))).sum(1)
    want = float(((-log_p / 784 + math.log(256)) / math.log(2)).mean())
    got = references.flow_bits_per_dim(_Identity(), x, alpha=alpha, batch_size=3)
    assert got == pytest.approx(want, rel=1e-5)
    assert got == pytest.approx(references.flow_bits_per_dim(_Identity(), x, alpha=alpha), abs=5e-6)  # seeded noise
    assert got != pytest.approx(references.flow_bits_per_dim(_Identity(), x, alpha=alpha, seed=1), abs=1e-5)
