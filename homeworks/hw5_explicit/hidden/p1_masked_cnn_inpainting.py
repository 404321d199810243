"""hw5_explicit, p1_masked_cnn_inpainting: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import io

import torch
import torch.nn.functional as F
from torch import nn

from dgmlab import artifacts, runtime
from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw5_explicit.checks import P1_WEIGHTS_FILE, as_stated

from .references import bernoulli_nll_nats, check_causal, grading_digits


# ------------------------------------------------------------------ p1_masked_conv_tests
def _expected(k, kind):
    m = torch.zeros(k, k)
    c = k // 2
    m[:c] = 1
    m[c, :c + (kind == "B")] = 1
    return m


def _same_as_the_kit(v, kind, out_3, out_7):
    # the student's layer with the grader's two weight sets (the second copied in after a forward pass) against
    # the convolution with the kit's mask, computed here from the same seeded weights and images
    for k, got in ((3, out_3), (7, out_7)):
        for which in (0, 1):
            want = F.conv2d(v.inputs.x, v.inputs[f"w_{kind}{k}"][which] * _expected(k, kind), v.inputs[f"b_{kind}{k}"],
                            padding=k // 2)
            asserts.assert_close(got[which], want, rtol=1e-4, atol=1e-5,
                                name=f"MaskedConv2d('{kind}', 3, 2, {k}) with weights copied in (set {which + 1})")


@points(1)
def test_mask_A(v, ref):
    _same_as_the_kit(v, "A", v.out_A3, v.out_A7)


@points(1)
def test_mask_B(v, ref):
    _same_as_the_kit(v, "B", v.out_B3, v.out_B7)


# ------------------------------------------------------------------ p1_model_tests
class _KitMaskedConv2d(nn.Conv2d):
    """The kit's own masked convolution (the grader's copy: the grader's parameters and the handed-in file are loaded
    into it, never into a class from the student's kernel)."""

    def __init__(self, mask_type, in_channels, out_channels, kernel_size):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        k, c = kernel_size, kernel_size // 2
        mask = torch.ones(k, k)
        mask[c, c + (1 if mask_type == "B" else 0):] = 0
        mask[c + 1:, :] = 0
        self.register_buffer("mask", mask[None, None])

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


def _kit_logits(params, x, channels=64, n_layers=5, kernel_size=7):
    layers = [_KitMaskedConv2d("A", 1, channels, 7), nn.ReLU()]
    for _ in range(n_layers):
        layers += [_KitMaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]
    layers.append(_KitMaskedConv2d("B", channels, 1, 1))
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for p, value in zip(net.parameters(), params, strict=True):
            p.copy_(value)
        return net(x)


@points(1.25)
def test_default_model_with_every_tap(v, ref):
    asserts.assert_close(as_stated(v.default_full), _kit_logits(v.inputs.default_full, v.inputs.x_default),
                        rtol=1e-4, atol=1e-5, name="PixelCNN() with parameters copied onto every tap")


# ------------------------------------------------------------------ p1_nll_tests
@points(1.25)
def test_matches_torch_distributions(v, ref):
    expected = -torch.distributions.Bernoulli(logits=v.inputs.logits).log_prob(v.inputs.x).flatten(1).sum(1)
    asserts.assert_close(v.random, expected, rtol=1e-5, atol=1e-5, name="bernoulli_nll")


@points(0.5)
def test_finite_for_confident_logits(v, ref):
    if not torch.isfinite(v.confident).all():
        raise AssertionError("bernoulli_nll is not finite for large |logits|")
    asserts.assert_close(v.confident, torch.tensor([240.0]), rtol=1e-4, name="bernoulli_nll for confident wrong logits")


# ------------------------------------------------------------------ p1_inpaint_tests
@points(1)
def test_samples_rather_than_thresholds(v, ref):
    if v.coin_out.shape != (64, 1, 8, 8):
        raise AssertionError("inpaint returned the wrong shape")
    mean = float(v.coin_out[:, :, 4:].mean())
    if not 0.44 < mean < 0.56:
        raise AssertionError("with p = 1/2 the hidden pixels should be fair coin flips: sample, do not threshold")


# ------------------------------------------------------------------ p1_weights_tests
P1_BAR_NATS = 65.0  # at most this many nats per image on the grading digits earns the 2 points
MAX_P1_BYTES = 5000000


class _KitPixelCNN(nn.Module):
    def __init__(self, channels=64, n_layers=5, kernel_size=7):
        super().__init__()
        layers = [_KitMaskedConv2d("A", 1, channels, 7), nn.ReLU()]
        for _ in range(n_layers):
            layers += [_KitMaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]
        layers.append(_KitMaskedConv2d("B", channels, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def _absent_in_fast_mode(v):
    # fast mode trains a tiny model and saves no weights: nothing to grade there
    return runtime.mode() == "fast" and P1_WEIGHTS_FILE not in v.files


def _graded_model(v):
    """The kit's PixelCNN() with the handed-in weights in it, once they fit (else why this earns 0)."""
    data = v.files[P1_WEIGHTS_FILE]  # the bytes handed in
    if len(data) > MAX_P1_BYTES:
        raise artifacts.ArtifactError(
            f"{P1_WEIGHTS_FILE} is {len(data):,} bytes, far more than the weights of PixelCNN() take; "
            "submit the file the P1 training cell writes, unchanged")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file, or one holding objects other than tensors
        raise artifacts.ArtifactError(
            f"{P1_WEIGHTS_FILE} could not be read with torch.load(weights_only=True) (the P1 training cell "
            f"saves it with torch.save): {(str(exc).splitlines() or [''])[0][:160]}") from None
    return artifacts.load_weights(_KitPixelCNN(), state, name=f"the weights in {P1_WEIGHTS_FILE}",
                                  constant_buffers=True)


@points(2)
def test_held_in_nats_of_a_full_run(v, ref):
    if _absent_in_fast_mode(v):
        return
    model = _graded_model(v)  # a file that does not fit earns nothing here either
    check_causal(model)  # a model whose likelihood is not one earns nothing here
    value = bernoulli_nll_nats(model, grading_digits(100, scale="binary"))
    if not value <= P1_BAR_NATS:
        raise AssertionError(
            f"the network in the file gives {value:.1f} nats per image on 100 test digits, where a run of the training "
            "cell with the full settings gives about 61.5 after its 10 epochs (69.5 after one): train with the full "
            "settings to the end and hand in the file the training cell writes")


HIDDEN = {
    'p1_masked_conv_tests': (test_mask_A, test_mask_B),
    'p1_model_tests': (test_default_model_with_every_tap,),
    'p1_nll_tests': (test_matches_torch_distributions, test_finite_for_confident_logits),
    'p1_inpaint_tests': (test_samples_rather_than_thresholds,),
    'p1_weights_tests': (test_held_in_nats_of_a_full_run,),
}
