"""hw1_wgan, Q1 (normalizing flows): its test cells' inputs, probes, visible tests and specs.

The probes drive the student's ``flow_log_prob`` and ``flow_sample`` with the notebook's given flows (``AffineFlow``,
``ExpFlow``) and base densities, and with two maps that are not invertible (``CubeFlow``, ``FoldFlow``).
"""
from __future__ import annotations

import math

from dgmlab.probes import (
    CheckSpec,
    _torch,  # lazy imports
    asserts,
    attempt,
    on_working,
    with_working,
    working,
)
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import _close_or_hint, _outcome


# ------------------------------------------------------------------ Q1: the notebook's given flows
class AffineFlow:
    """x = f(z) = z @ A.T + b (the notebook's locked cell flow_classes)."""

    def __init__(self, A, b):
        torch = _torch()
        self.A, self.b = torch.as_tensor(A), torch.as_tensor(b)

    def forward(self, z):
        return z @ self.A.T + self.b

    def inverse(self, x):
        return (x - self.b) @ _torch().linalg.pinv(self.A).T

    def log_abs_det_jacobian(self, z):
        return _torch().linalg.slogdet(self.A)[1].expand(z.shape[0])


class RoundingAffineFlow(AffineFlow):
    """The affine flow with a round trip f(f^-1(x)) that misses x by 5e-6, as a float32 flow's may: inside the
    statement's 1e-4 tolerance, outside torch.allclose's defaults at |x| < 0.5 (the probe's first row), so whether
    an answer accepts it does not hang on the machine's rounding."""

    def forward(self, z):
        return super().forward(z) + 5e-6


class ExpFlow:
    """x = f(z) = exp(z) elementwise."""

    def forward(self, z):
        return _torch().exp(z)

    def inverse(self, x):
        return _torch().log(x)

    def log_abs_det_jacobian(self, z):
        return z.sum(dim=-1)


class CubeFlow:
    """f(z) = z^3: invertible, but its Jacobian vanishes at z = 0."""

    def forward(self, z):
        return z ** 3

    def inverse(self, x):
        return _torch().sign(x) * x.abs() ** (1 / 3)

    def log_abs_det_jacobian(self, z):
        return _torch().log(3 * z ** 2).sum(-1)


class FoldFlow:
    """f(z) = |z|: not injective; its "inverse" is the identity."""

    def forward(self, z):
        return z.abs()

    def inverse(self, x):
        return x

    def log_abs_det_jacobian(self, z):
        return _torch().zeros(z.shape[0])


class OffByFlow:
    """f(z) = z + delta, its "inverse" the identity: the round trip f(f^-1(x)) misses x by delta."""

    def __init__(self, delta):
        self.delta = delta

    def forward(self, z):
        return z + self.delta

    def inverse(self, x):
        return x

    def log_abs_det_jacobian(self, z):
        return _torch().zeros(z.shape[0])


def standard_normal(d, loc=0.0, scale=1.0):
    """A diagonal Gaussian base density on R^d (event shape (d,))."""
    torch = _torch()
    D = torch.distributions
    return D.Independent(D.Normal(torch.full((d,), float(loc)), torch.full((d,), float(scale))), 1)


F32 = "float32"


def _flow_inputs(seed):
    torch, g = _torch(), _gen(seed, 1)
    f32 = torch.float32
    sign = 1.0 if float(torch.rand((), generator=g)) < 0.5 else -1.0
    return {"line": torch.randn(7, 1, generator=g, dtype=f32) * 3,
            "a": sign * (0.5 + 2.0 * float(torch.rand((), generator=g))), "c": float(torch.randn((), generator=g)),
            "A": torch.tensor([[2.0, 0.5], [0.3, 1.5]], dtype=f32) + 0.2 * torch.rand(2, 2, generator=g, dtype=f32),
            "b": torch.tensor([1.0, -2.0], dtype=f32) + torch.randn(2, generator=g, dtype=f32),
            "eleven": torch.cat([torch.tensor([[0.0, 0.25]]), torch.randn(11, 2, generator=g, dtype=f32)[1:] * 2]),
            "exp_1d": torch.rand(5, 1, generator=g, dtype=f32) * 6 + 0.05,
            "nine": torch.rand(9, 2, generator=g, dtype=f32) * 3 + 0.05,
            "exp_loc": (torch.randn(2, generator=g, dtype=f32) * 0.5).tolist(),
            "exp_scale": (0.5 + torch.rand(2, generator=g, dtype=f32)).tolist(),
            "five": torch.randn(5, 2, generator=g, dtype=f32),
            "four": torch.randn(4, 2, generator=g, dtype=f32)}


def diagonal_normal(loc, scale):
    """A diagonal Gaussian base density with per-coordinate ``loc`` and ``scale`` (event shape (d,))."""
    torch = _torch()
    D = torch.distributions
    return D.Independent(D.Normal(torch.tensor(loc, dtype=torch.float32), torch.tensor(scale, dtype=torch.float32)), 1)


def _flow_log_prob_probe(o, x):
    torch, flp = _torch(), o["flow_log_prob"]
    affine_1d = AffineFlow(torch.tensor([[x["a"]]]), torch.tensor([x["c"]]))

    def gradient():
        A = x["A"].clone().requires_grad_(True)
        out = flp(x["five"], AffineFlow(A, torch.zeros(2)), standard_normal(2)).sum()
        if not out.requires_grad:
            return {"requires_grad": False, "grad": None}
        out.backward()
        return {"requires_grad": True, "grad": A.grad}

    singular = AffineFlow(torch.tensor([[1.0, 2.0], [2.0, 4.0]]), torch.zeros(2))
    return {"on_1d_affine": attempt(flp, x["line"].clone(), affine_1d, standard_normal(1)),
            "on_2d_affine": attempt(flp, x["eleven"].clone(), RoundingAffineFlow(x["A"], x["b"]),
                                    standard_normal(2, loc=0.5, scale=0.7)),
            "on_1d_exp": attempt(flp, x["exp_1d"].clone(), ExpFlow(), standard_normal(1)),
            "on_2d_exp": attempt(flp, x["nine"].clone(), ExpFlow(), diagonal_normal(x["exp_loc"], x["exp_scale"])),
            "gradient": attempt(gradient),
            "on_a_singular_affine_map": _outcome(flp, x["four"].clone(), singular, standard_normal(2)),
            "on_the_cube_at_zero": _outcome(flp, torch.tensor([[0.0], [1.0]]), CubeFlow(), standard_normal(1)),
            "on_a_folding_map": _outcome(flp, torch.tensor([[-1.0], [0.5]]), FoldFlow(), standard_normal(1)),
            # round trips off by 8e-6 (within the statement's 1e-4, beyond torch.allclose's default tolerances
            # at |x| <= 0.5) and by 1e-3 (beyond 1e-4)
            "off_by_8e_6": _outcome(flp, torch.tensor([[0.5], [-0.25]]), OffByFlow(8e-6), standard_normal(1)),
            "off_by_1e_3": _outcome(flp, torch.tensor([[0.5], [-0.25]]), OffByFlow(1e-3), standard_normal(1))}


@points(1.5)
def test_1d_affine_matches_torch_normal(v, ref):
    # f(z) = a z + c on a standard normal: x is N(c, a^2), whose density torch's Normal gives by another route
    torch, w = _torch(), working(v)
    x, out = w.inputs, w.on_1d_affine
    asserts.assert_tensor(out, "flow_log_prob(x, flow, base)", shape=(7,))
    if not bool(torch.isfinite(out).all()):
        raise AssertionError(
            "expected finite log-densities on an invertible affine flow, found NaN or inf: that usually means "
            "log|det J| was taken of a negative or zero number (use log_abs_det_jacobian)")
    want = ref["on_1d_affine"]
    hint = ""
    if torch.allclose(out, want + 2 * math.log(abs(x.a)), atol=1e-4):
        hint = ": the log-determinant term has the wrong sign"
    _close_or_hint(out, want, hint, rtol=1e-5, atol=1e-5, name="log-density of the 1-D flow a z + c")


@points(1.25)
def test_2d_exp_flow_matches_independent_lognormals(v, ref):
    # exp of a Gaussian is log-normal: the grader's density comes from torch's LogNormal, by another route
    torch, w = _torch(), working(v)
    out, want = w.on_2d_exp, ref["on_2d_exp"]
    name = "log-density of the 2-D exp flow with a non-standard base"
    # exp's log|det J| at z = log x is the sum of log x: added instead of subtracted, the density is off by twice that
    flipped = torch.as_tensor(want, dtype=torch.float64) + 2 * torch.log(w.inputs.nine.double()).sum(1)
    if isinstance(out, torch.Tensor) and out.shape == flipped.shape and \
            torch.allclose(out.double(), flipped, atol=1e-4):
        _close_or_hint(out, want, ": the log-determinant term has the wrong sign", rtol=1e-5, atol=1e-5, name=name)
    # exp's log|det J| taken at x instead of z = log x: sum(x) subtracted instead of sum(log x)
    nine = w.inputs.nine.double()
    at_x = torch.as_tensor(want, dtype=torch.float64) + torch.log(nine).sum(1) - nine.sum(1)
    if isinstance(out, torch.Tensor) and out.shape == at_x.shape and torch.allclose(out.double(), at_x, atol=1e-4):
        _close_or_hint(out, want, ": log|det J| was evaluated at x; evaluate it at z = f^-1(x)", rtol=1e-5, atol=1e-5,
                       name=name)
    asserts.assert_close(out, want, rtol=1e-5, atol=1e-5,
                         name=f"{name} (base.log_prob and log|det J| both at z = f^-1(x)?)")


@points(1)
def test_maps_that_are_not_invertible_raise_value_error(v, ref):
    w = working(v)
    asserts.assert_close(w.on_1d_affine, ref["on_1d_affine"], rtol=1e-5, atol=1e-5,
                         name="log-density of the 1-D flow a z + c")  # what earns; the rest only takes away
    cases = {"on_a_folding_map": "f(z) = |z|, whose round trip f(f^-1(x)) misses x < 0",
             "on_the_cube_at_zero": "f(z) = z^3 at x = 0, where log|det J| is -inf",
             "on_a_singular_affine_map": "an affine map with a singular matrix"}
    if w.off_by_8e_6 != "returned":
        raise AssertionError(
            "a round trip off by 8e-6 is within the statement's tolerance (1e-4 absolute and relative), yet "
            f"flow_log_prob {'raised ValueError' if w.off_by_8e_6 == 'ValueError' else w.off_by_8e_6} "
            "(torch.allclose's default tolerances are tighter)")
    cases["off_by_1e_3"] = "a map whose round trip misses x by 1e-3, beyond the 1e-4 tolerance"
    for key, what in cases.items():
        if getattr(w, key) != "ValueError":
            found = "it returned" if getattr(w, key) == "returned" else getattr(w, key)
            raise AssertionError(f"expected ValueError on {what}; {found}")


@points(0.5)
def test_gradient_reaches_the_flows_parameters(v, ref):
    out = working(v).gradient
    if not out["requires_grad"]:
        raise AssertionError(
            "flow_log_prob's output is detached from the flow's parameters: keep everything in torch (no .detach(), "
            ".item() or numpy step)")
    asserts.assert_close(out["grad"], ref["gradient"], rtol=1e-3, atol=1e-4,
                         name="the gradient of the summed log-densities with respect to an affine flow's matrix")


def _sample_inputs(seed):
    return {"torch_seed": (int(seed) * 7919 + 17) % 2**31}


def _flow_sample_probe(o, x):
    torch, fs = _torch(), o["flow_sample"]
    A = torch.tensor([[2.0, 0.5], [0.3, 1.5]])
    b = torch.tensor([1.0, -2.0])
    torch.manual_seed(x["torch_seed"])  # base.sample draws from torch's global generator
    return {"five": attempt(fs, 5, AffineFlow(torch.eye(2), torch.zeros(2)), standard_normal(2)),
            "affine_40000": attempt(lambda: fs(40000, AffineFlow(A, b), standard_normal(2, loc=0.5, scale=0.7))),
            "exp_40000": attempt(lambda: fs(40000, ExpFlow(), standard_normal(1, loc=-0.5, scale=0.5)))}


@points(0.5)
def test_shape(v, ref):
    asserts.assert_tensor(v.five, "flow_sample(5, flow, base)", shape=(5, 2))


@points(1)
def test_exp_flow_samples_follow_the_lognormal(v, ref):
    # exp(z) with z ~ N(-0.5, 0.5^2): its quantiles are exp of the Gaussian's quantiles
    torch = _torch()
    x = v.exp_40000.squeeze(1).double()
    q = torch.quantile(x, torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64))
    want = ref["exp_quantiles"]
    asserts.assert_close(q, want, rtol=0.03, atol=0, name="quantiles of exp-flow samples (noise from base?)")


CHECKS = [
    CheckSpec("q1_flow_log_prob_tests", hidden_for="the densities of other affine and exp flows",
              names=("flow_log_prob",),
              visible=(test_1d_affine_matches_torch_normal, test_2d_exp_flow_matches_independent_lognormals,
                       test_maps_that_are_not_invertible_raise_value_error, test_gradient_reaches_the_flows_parameters),
              probe=on_working(_flow_log_prob_probe), inputs=with_working(_flow_inputs)),
    CheckSpec("q1_flow_sample_tests", names=("flow_sample",),
              visible=(test_shape, test_exp_flow_samples_follow_the_lognormal),
              probe=_flow_sample_probe, inputs=_sample_inputs),
]
