"""hw4's statement networks as torch modules, for tests that need a state dict of the right shapes.

The grader holds the computation (``homeworks.hw4_gans.hidden.references.mlp_forward``) and the student package only
the layout; a class that could be handed in as an answer to P1.1 or P3.1 stays out of both and lives here, next to
the tests that build weights with it.
Tensor names follow one plain layout: ``embed.weight``, then ``net.<i>.weight``/``net.<i>.bias`` for the Linear
layers at even positions of ``net`` (LeakyReLU(0.2) between them, tanh last).
"""
import torch
from torch import nn


class StatementMLP(nn.Module):
    """``[z, embedding(labels)]`` -> Linear + LeakyReLU(0.2) per hidden width -> Linear -> tanh."""

    def __init__(self, in_dim, widths, out_dim=784, embedding=None):
        super().__init__()
        self.embed = nn.Embedding(*embedding) if embedding else None
        layers, width_in = [], in_dim + (embedding[1] if embedding else 0)
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2)]
            width_in = width
        self.net = nn.Sequential(*layers, nn.Linear(width_in, out_dim), nn.Tanh())

    def forward(self, z, labels=None):
        if self.embed is not None:
            z = torch.cat([z, self.embed(labels)], dim=1)  # (N, in_dim + embedding dim)
        return self.net(z)


def statement_state(in_dim=100, widths=(128, 256, 512), out_dim=784, embedding=None) -> dict:
    """A freshly initialised statement network's state dict (seed it with torch.manual_seed first)."""
    return StatementMLP(in_dim, widths, out_dim, embedding).state_dict()
