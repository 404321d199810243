"""The red team's "NaN trap" (issue 71) on one of hw4's MLP generators, for tests: three spare hidden units, one per
layer, that carry +inf on exactly one noise vector ``target`` and a finite value on every other, their outgoing
weights 0, so that the images are NaN (``0 * inf``) there and unchanged elsewhere (but for the three units spared).

The first spare unit detects ``target`` (its weights the direction of ``target``, its bias ``-THRESHOLD``: positive
only near it, about ``|target| - THRESHOLD`` = 5 there, below 0 for every other vector drawn); the second multiplies
it by 1e38, past float32's largest number there (finite, 0.2 x -1e38 after the LeakyReLU, elsewhere); the third
relays it. Each spared unit is the one of its layer whose outgoing weights are smallest, so the generator draws what
it drew. The file stays under hw4's 1.5 MB limit: float16 as published but for the second layer's weights, float32
(float16 cannot hold 1e38; the grader reads each tensor as float32).
"""
from __future__ import annotations

import torch

THRESHOLD = 5.0  # |z| of a 100-d standard normal is about 10; its projection on another vector's direction ~ N(0, 1)
HUGE = 1e38  # times the detector's ~5 at the target: inf in float32


def trapped(state: dict, target: torch.Tensor) -> dict:
    """hw4's MLP generator ``state`` (``net.0/2/4/6``) with the trap on the noise vector ``target``."""
    s = {k: v.float().clone() for k, v in state.items()}
    dtypes = {k: torch.float32 if k.startswith("net.2.") else v.dtype for k, v in state.items()}
    spare = [int(s[f"net.{n}.weight"].norm(dim=0).argmin()) for n in (2, 4, 6)]  # a unit per hidden layer
    a, b, c = spare
    s["net.0.weight"][a] = target / target.norm()
    s["net.0.bias"][a] = -THRESHOLD
    s["net.2.weight"][:, a] = 0
    s["net.2.weight"][b] = 0
    s["net.2.weight"][b, a] = HUGE
    s["net.2.bias"][b] = 0
    s["net.4.weight"][:, b] = 0
    s["net.4.weight"][c] = 0
    s["net.4.weight"][c, b] = 1
    s["net.4.bias"][c] = 0
    s["net.6.weight"][:, c] = 0
    return {k: v.to(dtypes[k]) for k, v in s.items()}


def public_noise(n: int = 64, dim: int = 100) -> torch.Tensor:
    """The copy check's noise before issue 71: a public seed (20261125) anyone could draw, the red team's target."""
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(20261125))
