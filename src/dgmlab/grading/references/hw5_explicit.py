"""hw5_explicit's grader-side references: the formulas its hidden tests and artifact cells grade with.

They answer questions of the homework, so they live here, outside the student package:

- :func:`frechet_distance` and :func:`frechet_gradients`: Q4's Fréchet distance between two Gaussians in float64
  numpy, and its gradient in closed form with respect to the means and (positive definite) covariances.
- :func:`bernoulli_nll_nats`: P1's likelihood, the mean NLL in nats per image of binary images under the logits a
  model gives.
- :func:`flow_bits_per_dim`: P2's likelihood, mean bits per dimension of 8-bit images under "logit transform, then
  flow", with one dequantisation draw from a fixed seed.

``benchmarks/calibrate_hw5_bars.py`` uses the same functions, so the bars are calibrated on exactly what the
cells compute. The grading digits themselves are :func:`dgmlab.likelihoods.grading_digits` (data, not an answer).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ...likelihoods import GRADING_SEED


# ---------------------------------------------------------------------- Q4
def _sym_sqrt(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((c + c.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """|mu1 - mu2|^2 + tr(C1 + C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2) in float64: the square root's trace is the sum of
    the square roots of the (clipped) eigenvalues of the symmetric PSD middle matrix, so it is real for singular
    covariances too."""
    m1, m2, c1, c2 = (np.asarray(a, dtype=np.float64) for a in (mu1, mu2, cov1, cov2))
    r1 = _sym_sqrt(c1)
    middle = r1 @ c2 @ r1
    tr_sqrt = float(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum())
    d = m1 - m2
    return float(d @ d + np.trace(c1) + np.trace(c2) - 2 * tr_sqrt)


def frechet_gradients(mu1, cov1, mu2, cov2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The gradient of :func:`frechet_distance` with respect to (mu1, cov1, mu2, cov2), in closed form, for positive
    definite covariances: 2 (mu1 - mu2), I - T, -2 (mu1 - mu2), I - T^-1, with T = C1^-1/2 (C1^1/2 C2 C1^1/2)^1/2
    C1^-1/2 (the optimal transport map from N(0, C1) to N(0, C2)). The covariance gradients are symmetric: compare
    them with a function's along symmetric directions (a function may read a covariance's lower triangle only)."""
    m1, m2, c1, c2 = (np.asarray(a, dtype=np.float64) for a in (mu1, mu2, cov1, cov2))
    r1 = _sym_sqrt(c1)
    r1_inv = np.linalg.inv(r1)
    t = r1_inv @ _sym_sqrt(r1 @ c2 @ r1) @ r1_inv
    t = (t + t.T) / 2
    eye = np.eye(len(c1))
    d = m1 - m2
    return 2 * d, eye - t, -2 * d, eye - np.linalg.inv(t)


# ---------------------------------------------------------------------- P1, P2: likelihoods of handed-in weights
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


__all__ = ["bernoulli_nll_nats", "flow_bits_per_dim", "frechet_distance", "frechet_gradients"]
