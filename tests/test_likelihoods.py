"""dgmlab.likelihoods: hw5's grading digits and the two property checks (causal, log-det = Jacobian's)."""
import pytest
import torch
from torch import nn

from dgmlab import likelihoods


def test_grading_digits_are_the_shipped_test_digits_in_both_scales():
    binary, gray = likelihoods.grading_digits(100), likelihoods.grading_digits(100, scale="[0,1]")
    assert binary.shape == gray.shape == (100, 1, 28, 28)
    assert set(binary.unique().tolist()) == {0.0, 1.0} and torch.equal(binary, (gray > 0.5).float())
    assert torch.equal(likelihoods.grading_digits(200)[:100], binary)
    with pytest.raises(ValueError, match="between 1 and 200"):
        likelihoods.grading_digits(201)


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
    likelihoods.check_causal(_Previous())
    with pytest.raises(AssertionError, match=r"not causal: its logit at pixel \(10, 10\) depends on pixel \(10, 10\)"):
        likelihoods.check_causal(_SeesItself())


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
    x = likelihoods.grading_digits(1, scale="[0,1]")
    likelihoods.check_log_det(_Affine(), x)
    with pytest.raises(AssertionError, match=r"log-determinant is .* but the Jacobian.s log\|det\| is"):
        likelihoods.check_log_det(_Affine(flipped=True), x)
