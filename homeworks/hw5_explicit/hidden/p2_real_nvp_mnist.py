"""hw5_explicit, p2_real_nvp_mnist: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import io
import math

import torch
from torch import nn

from dgmlab import artifacts, runtime
from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw5_explicit.checks import P2_WEIGHTS_FILE, as_stated

from .references import (
    check_log_det,
    flow_bits_per_dim,
    grading_digits,
    printed_log_det,
    stated_masks,
    statement_coupling,
    statement_flow,
)


# ------------------------------------------------------------------ p2_logit_tests
@points(1)
def test_log_det_equals_the_jacobian_of_the_printed_transform(v, ref):
    if len(v.transformed) != 2:
        raise AssertionError("logit_transform did not answer for both alphas")
    for (_, log_det), alpha in zip(v.transformed, (0.05, 1e-6), strict=True):
        asserts.assert_close(log_det, printed_log_det(v.inputs.y45, alpha), rtol=1e-8, atol=1e-8,
                            name=f"log_det of the logit transform (alpha = {alpha:g})")


@points(0.5)
def test_dequantize_fresh_uniform_noise(v, ref):
    y1, y2 = v.dequantized
    k = torch.round(v.inputs.pixels * 255)
    if torch.equal(y1, y2):
        raise AssertionError("dequantisation must add fresh uniform noise on each call")
    if not abs(float((y1 * 256 - k).mean()) - 0.5) < 0.05:
        raise AssertionError("the dequantisation noise must be uniform on [0, 1)")


# ------------------------------------------------------------------ p2_coupling_tests
# CouplingLayer(7, 8, mask) with the grader's parameters, against the map the statement prints (computed here)
@points(0.75)
def test_inverse_of_another_layer(v, ref):
    case = v.inputs.other
    again, _ = statement_coupling(case["params"], case["mask"], as_stated(v.other_inverse))
    asserts.assert_close(again, case["z"], rtol=1e-8, atol=1e-8,
                        name="the statement's map applied to inverse(z) of another layer (it should give back z)")


@points(0.75)
def test_log_det_equals_the_jacobian_of_the_statements_map(v, ref):
    case = v.inputs.other
    want_z, _ = statement_coupling(case["params"], case["mask"], case["x"])
    asserts.assert_close(as_stated(v.other_forward)["z"], want_z, rtol=1e-8, atol=1e-8, name="z of another layer")
    for n in range(case["x"].shape[0]):
        J = torch.autograd.functional.jacobian(
            lambda r: statement_coupling(case["params"], case["mask"], r[None])[0][0], case["x"][n])
        asserts.assert_close(as_stated(v.other_forward)["log_det"][n], torch.linalg.slogdet(J)[1], rtol=1e-8, atol=1e-8,
                            name="log_det of another layer")


# ------------------------------------------------------------------ p2_realnvp_tests
# RealNVP(6, 16, 4) and RealNVP(9, 8, 3) (checkerboard masks) with the grader's parameters, against the stated
# stack of the statement's coupling maps (computed here)
def _stated(case):
    dim, _, n = case["args"]
    return statement_flow(case["params"], stated_masks(dim, n), case["x"])


@points(0.5)
def test_invertible(v, ref):
    case = v.inputs.square
    again, _ = statement_flow(case["params"], stated_masks(9, 3), as_stated(v.square_inverse))
    asserts.assert_close(again, case["z"], rtol=1e-8, atol=1e-8,
                        name="the stated flow applied to RealNVP(9, 8, 3).inverse(z) (it should give back z)")


@points(1)
def test_log_det_is_the_stated_flows(v, ref):
    for name, out in (("main", as_stated(v.main_forward)), ("square", as_stated(v.square_forward))):
        case = v.inputs[name]
        want_z, want = _stated(case)
        asserts.assert_close(out["z"], want_z, rtol=1e-8, atol=1e-8, name=f"z of RealNVP{case['args']}")
        asserts.assert_close(out["log_det"], want, rtol=1e-8, atol=1e-8, name=f"log_det of RealNVP{case['args']}")


# ------------------------------------------------------------------ p2_log_prob_tests
@points(1.5)
def test_matches_change_of_variables(v, ref):
    a, b, y = v.inputs.a, v.inputs.b, v.inputs.y65
    for alpha, got in zip((0.05, 1e-6), v.affine, strict=True):
        s = alpha + (1 - 2 * alpha) * y
        u = torch.log(s / (1 - s))  # the logit transform's output (not the student's values v)
        du_dy = (1 - 2 * alpha) / (s * (1 - s))
        expected = torch.distributions.Normal(b, a).log_prob(u).sum(1) + torch.log(du_dy).sum(1)
        asserts.assert_close(got, expected, rtol=1e-8, atol=1e-8,
                            name="log p(y) of an affine flow after the logit transform")


# ------------------------------------------------------------------ p2_bpd_tests
@points(1.5)
def test_fixed_values(v, ref):
    log_p = v.inputs.log_p
    for D, got in zip((784, 100), v.values, strict=True):
        expected = (D * math.log(256) - log_p) / (D * math.log(2))
        asserts.assert_close(got, expected, rtol=1e-10, name="bits_per_dim")


# ------------------------------------------------------------------ p2_weights_tests
P2_BAR_BITS = 1.95  # at most this many bits per dimension on the grading digits earns the 2 points
MAX_P2_BYTES = 24000000


def _kit_alternating_mask(dim):
    side = math.isqrt(dim)
    if side * side == dim:
        i, j = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
        return ((i + j) % 2).flatten().float()
    return (torch.arange(dim) % 2).float()


class _KitCouplingLayer(nn.Module):
    """The kit's own coupling layer (the grader's copy: the file is loaded into it, never into a class
    from the student's kernel)."""

    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())

        def mlp():
            return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, dim))
        self.s_net, self.t_net = mlp(), mlp()

    def forward(self, x):
        m = self.mask
        s = torch.tanh(self.s_net(x * m)) * (1 - m)
        t = self.t_net(x * m) * (1 - m)
        return x * m + (1 - m) * (x * torch.exp(s) + t), s.sum(dim=1)


class _KitRealNVP(nn.Module):
    def __init__(self, dim, hidden, n_coupling):
        super().__init__()
        self.dim = dim
        m = _kit_alternating_mask(dim)
        self.layers = nn.ModuleList(_KitCouplingLayer(dim, hidden, m if i % 2 == 0 else 1 - m)
                                    for i in range(n_coupling))

    def forward(self, x):
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det


def _absent_in_fast_mode(v):
    # fast mode trains a tiny model and saves no weights: nothing to grade there
    return runtime.mode() == "fast" and P2_WEIGHTS_FILE not in v.files


def _graded_model(v):
    """The kit's RealNVP(784, 256, 6) with the handed-in weights in it, once they fit (else why this earns 0)."""
    data = v.files[P2_WEIGHTS_FILE]  # the bytes handed in
    if len(data) > MAX_P2_BYTES:
        raise artifacts.ArtifactError(
            f"{P2_WEIGHTS_FILE} is {len(data):,} bytes, far more than the weights of RealNVP(784, 256, 6) take; "
            "submit the file the P2 training cell writes, unchanged")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file, or one holding objects other than tensors
        raise artifacts.ArtifactError(
            f"{P2_WEIGHTS_FILE} could not be read with torch.load(weights_only=True) (the P2 training cell "
            f"saves it with torch.save): {(str(exc).splitlines() or [''])[0][:160]}") from None
    return artifacts.load_weights(_KitRealNVP(784, 256, 6), state, name=f"the weights in {P2_WEIGHTS_FILE}",
                                  constant_buffers=True)


@points(2)
def test_held_in_bits_per_dim_of_a_full_run(v, ref):
    if _absent_in_fast_mode(v):
        return
    model = _graded_model(v)  # a file that does not fit earns nothing here either
    # a likelihood that is not one earns nothing
    check_log_det(model, grading_digits(1, scale="[0,1]"))
    value = flow_bits_per_dim(model, grading_digits(200, scale="[0,1]"), alpha=1e-6)
    if not value <= P2_BAR_BITS:
        raise AssertionError(
            f"the flow in the file gives {value:.3f} bits/dim on 200 test digits, where a run of the training cell with "
            "the full settings gives about 1.89 after its 20 epochs (1.96 after 10): train with the full settings for "
            "all 20 epochs and hand in the file the training cell writes")


HIDDEN = {
    'p2_logit_tests': (test_log_det_equals_the_jacobian_of_the_printed_transform, test_dequantize_fresh_uniform_noise),
    'p2_coupling_tests': (test_inverse_of_another_layer, test_log_det_equals_the_jacobian_of_the_statements_map),
    'p2_realnvp_tests': (test_invertible, test_log_det_is_the_stated_flows),
    'p2_log_prob_tests': (test_matches_change_of_variables,),
    'p2_bpd_tests': (test_fixed_values,),
    'p2_weights_tests': (test_held_in_bits_per_dim_of_a_full_run,),
}
