"""Held-in likelihoods of trained explicit models, as hw5's artifact-graded cells compute them.

hw5 grades the student's saved PixelCNN and Real NVP weights by the likelihood they give a fixed set
of digits. The formulas live here, not in the student's answers, so that a wrong ``bernoulli_nll`` or
``bits_per_dim`` cannot move that grade; ``benchmarks/calibrate_hw5_bars.py`` uses the same functions,
so the bars are calibrated on exactly what the cells compute.

- :func:`grading_digits`: the first ``n`` of the 200 MNIST test digits shipped inside dgmlab
  (:func:`dgmlab.data.load_sample`), binarised at 0.5 (the notebook's P1 data) or in [0, 1].
- :func:`bernoulli_nll_nats`: mean NLL in nats per image of binary images under the logits a model gives.
- :func:`flow_bits_per_dim`: mean bits per dimension of 8-bit images under "logit transform, then
  flow", with one dequantisation draw from a fixed seed.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F

GRADING_SEED = 0  # the dequantisation noise of flow_bits_per_dim, fixed so a grade is reproducible


def grading_digits(n: int = 200, scale: str = "binary") -> torch.Tensor:
    """The first ``n`` (<= 200) shipped MNIST test digits, ``(n, 1, 28, 28)`` float32.

    ``scale="binary"``: pixels > 0.5 become 1 (as ``dgmlab.data.mnist(scale="binary")``);
    ``scale="[0,1]"``: 8-bit values divided by 255.
    """
    from .data import load_sample

    if scale not in ("binary", "[0,1]"):
        raise ValueError(f"scale must be 'binary' or '[0,1]', got {scale!r}")
    x, _ = load_sample(train=False)
    if not 1 <= n <= len(x):
        raise ValueError(f"n must be between 1 and {len(x)} (the shipped test digits), got {n}")
    x = torch.from_numpy(x[:n].astype("float32") / 255.0).reshape(n, 1, 28, 28)
    return (x > 0.5).float() if scale == "binary" else x


@torch.no_grad()
def bernoulli_nll_nats(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 100) -> float:
    """Mean over images of -log p(x) in nats, pixels independent Bernoulli given ``model(x)``'s logits.

    ``x``: ``(N, 1, H, W)`` in {0, 1}; ``model(x)`` must return logits of the same shape.
    """
    model.eval()
    total = 0.0
    for k in range(0, len(x), batch_size):
        xb = x[k:k + batch_size]
        logits = model(xb)
        if not isinstance(logits, torch.Tensor) or logits.shape != xb.shape:
            raise AssertionError(f"expected the model to return logits of shape {tuple(xb.shape)}, found "
                                 f"{tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__}")
        total += float(F.binary_cross_entropy_with_logits(logits.float(), xb, reduction="sum"))
    return total / len(x)


@torch.no_grad()
def flow_bits_per_dim(flow: torch.nn.Module, x: torch.Tensor, alpha: float = 1e-6,
                      seed: int = GRADING_SEED, batch_size: int = 200) -> float:
    """Mean bits per dimension of images ``x`` (8-bit values / 255, any shape ``(N, ...)``) under the flow.

    y = (255 x + u) / 256 with u ~ U[0, 1) from ``torch.Generator().manual_seed(seed)``;
    v = logit(alpha + (1 - 2 alpha) y); ``flow(v)`` -> (z, log|det dz/dv|); latent N(0, I);
    bits/dim = (-log p(y) / D + log 256) / log 2.
    """
    flow.eval()
    x = x.reshape(len(x), -1)
    dim = x.shape[1]
    g = torch.Generator().manual_seed(seed)
    total = 0.0
    for k in range(0, len(x), batch_size):
        xb = x[k:k + batch_size]
        y = (torch.round(xb * 255) + torch.rand(xb.shape, generator=g)) / 256
        s = alpha + (1 - 2 * alpha) * y
        v = torch.log(s) - torch.log1p(-s)
        log_det_logit = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)
        out = flow(v)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise AssertionError("expected flow(v) to return (z, log_det), as RealNVP.forward does")
        z, log_det = out
        log_p = -0.5 * (z ** 2).sum(dim=1) - 0.5 * dim * math.log(2 * math.pi) + log_det + log_det_logit
        total += float(((-log_p / dim + math.log(256)) / math.log(2)).sum())
    return total / len(x)




def check_causal(model: torch.nn.Module, positions=((10, 10), (20, 5)), shape=(1, 1, 28, 28)) -> None:
    """Raise ``AssertionError`` unless the logit at each (i, j) of ``positions`` has zero gradient with
    respect to the pixels at and after (i, j) in raster order: otherwise the NLL is not a likelihood
    (a model that sees the pixel it predicts scores near 0 nats)."""
    model.eval()
    x = torch.bernoulli(torch.full(shape, 0.5), generator=torch.Generator().manual_seed(GRADING_SEED))
    x.requires_grad_(True)
    logits = model(x)
    H, W = shape[-2:]
    for i, j in positions:
        (grad,) = torch.autograd.grad(logits[0, 0, i, j], x, retain_graph=True)
        later = grad[0, 0].flatten()[i * W + j:]
        if later.abs().max() > 0:
            k = int(later.abs().argmax()) + i * W + j
            raise AssertionError(f"the model is not causal: its logit at pixel ({i}, {j}) depends on pixel "
                                 f"({k // W}, {k % W}), at or after it in raster order, so its NLL is not a likelihood")


def check_log_det(flow: torch.nn.Module, x: torch.Tensor, alpha: float = 1e-6, tol: float = 0.05) -> None:
    """Raise ``AssertionError`` unless ``flow(v)``'s log-determinant matches ``slogdet`` of autograd's full
    Jacobian dz/dv (float64) for the first image of ``x``, within ``tol`` nats: otherwise the bits/dim
    computed from it is not a likelihood."""
    flow.eval()
    y = (torch.round(x[:1].reshape(1, -1) * 255) + 0.5) / 256
    s = alpha + (1 - 2 * alpha) * y
    v = (torch.log(s) - torch.log1p(-s)).double()
    flow64 = copy.deepcopy(flow).double()
    jac = torch.autograd.functional.jacobian(lambda u: flow64(u.unsqueeze(0))[0][0], v[0], vectorize=True)
    sign, want = torch.linalg.slogdet(jac)
    with torch.no_grad():
        got = float(flow64(v)[1][0])
    if sign <= 0 or abs(got - float(want)) > tol:
        raise AssertionError(f"the flow's log-determinant is {got:.2f} on a grading digit, but the Jacobian's "
                             f"log|det| is {float(want):.2f}: with a wrong log-determinant bits/dim is not a likelihood")


__all__ = ["GRADING_SEED", "grading_digits", "bernoulli_nll_nats", "flow_bits_per_dim", "check_causal", "check_log_det"]
