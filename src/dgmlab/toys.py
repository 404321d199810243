"""Small models whose outputs and gradients are known in closed form, for test cells and proofs.

A test of a gradient penalty or a training step needs a critic whose input
gradient it can state exactly; each homework used to type its own. These are
the shared ones (import them in a test cell: ``from dgmlab.toys import LinearCritic``).
"""
from __future__ import annotations

import torch
from torch import nn


class LinearCritic(nn.Module):
    """The critic D(x) = <w, flatten(x)> + b: its input gradient is w at every x, so its norm is |w|.

    ``weight``: the D numbers of w (any shape; flattened); ``bias``: b.
    forward(x (N, ...) with D numbers per row) -> (N,).
    Its parameters are an ``nn.Linear(D, 1)``'s, so an optimizer can train it.
    """

    def __init__(self, weight, bias: float = 0.0):
        super().__init__()
        weight = torch.as_tensor(weight, dtype=torch.float32).flatten()
        self.lin = nn.Linear(weight.numel(), 1)
        with torch.no_grad():
            self.lin.weight.copy_(weight.unsqueeze(0))
            self.lin.bias.fill_(float(bias))

    def forward(self, x):
        return self.lin(x.flatten(1)).squeeze(1)


__all__ = ["LinearCritic"]
