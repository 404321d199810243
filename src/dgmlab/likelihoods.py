"""The grading digits of hw5's weights cells, and two property checks a trained model must pass.

hw5 grades the student's saved PixelCNN and Real NVP weights by the likelihood they give a fixed set of digits.
The likelihood formulas answer questions of the homework (the Bernoulli NLL, the logit transform's log-det,
bits per dimension), so they are the grader's (``dgmlab.grading.hidden.hw5_explicit.references``), not here. What
stays answers nothing and a student may use while working:

- :func:`grading_digits`: the first ``n`` of the 200 MNIST test digits shipped inside dgmlab
  (:func:`dgmlab.data.load_sample`), binarised at 0.5 (the notebook's P1 data) or in [0, 1].
- :func:`check_causal`: a PixelCNN's logit at a pixel does not depend on that pixel or a later one.
- :func:`check_log_det`: a flow's reported log-determinant is autograd's (``slogdet`` of the full Jacobian).
"""
from __future__ import annotations

import copy

import torch

GRADING_SEED = 0  # the grader's dequantisation noise and check_causal's input, fixed so a grade is reproducible


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


__all__ = ["GRADING_SEED", "grading_digits", "check_causal", "check_log_det"]
