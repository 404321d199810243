"""The red team's third round of disguises (/work/scratch/ATTACK3, finding 1), for tests and the calibration of
``hidden_units``: a kit generator that still draws what it drew, with parameters its function does not use made
to dominate its weights.

- ``constant_units(state, seed)`` (hw4's MLPs, the kit's names): one unit of each hidden layer made constant
  (incoming row 0, bias -4: LeakyReLU gives -0.8), its outgoing column large (+-5), the next bias undoing the
  constant exactly;
- ``dead_channel(state, seed)`` (hw1's generator: one channel of net.4/net.5/net.7; hw2's: one inner channel of
  each residual block): batch norm shift -30000 (dead in eval and train mode), its incoming kernels +-10, its
  outgoing ones +-100;
- ``renamed(state)``: every tensor under another name (hw4's loader places tensors by shape).

Each keeps the dtypes; the unit or channel is drawn from ``seed`` (the red team took the least used one).
"""
from __future__ import annotations

import torch

SLOPE = 0.2  # hw4's LeakyReLU


def _signs(shape, g: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=g, dtype=torch.float64).sign()


def constant_units(state: dict, seed: int = 0, low: float = 4.0, out: float = 5.0) -> dict:
    """hw4: one unit per hidden layer constant at ``-SLOPE * low``, its outgoing column ``+-out``, compensated."""
    g = torch.Generator().manual_seed(seed)
    s = {k: v.double().clone() if v.is_floating_point() else v for k, v in state.items()}
    layers = sorted(int(k.split(".")[1]) for k in s if k.startswith("net.") and k.endswith(".weight"))
    for a, b in zip(layers, layers[1:]):
        j = int(torch.randint(s[f"net.{a}.weight"].shape[0], (1,), generator=g))
        s[f"net.{a}.weight"][j] = 0
        s[f"net.{a}.bias"][j] = -low
        v = out * _signs(s[f"net.{b}.weight"].shape[0], g)
        s[f"net.{b}.weight"][:, j] = v
        s[f"net.{b}.bias"] += SLOPE * low * v  # the constant -SLOPE * low times v, undone
    return {k: v.to(state[k].dtype) for k, v in s.items()}


def _kill(s: dict, bn: str, c: int) -> None:
    for name, value in (("weight", 1.0), ("running_var", 1.0), ("running_mean", 0.0), ("bias", -30000.0)):
        s[f"{bn}.{name}"][c] = value


def dead_channel(state: dict, seed: int = 0, size: float = 10.0) -> dict:
    """hw1: one channel of net.4/net.5/net.7 dead with large kernels; hw2: one inner channel per residual block."""
    g = torch.Generator().manual_seed(seed)
    s = {k: v.double().clone() if v.is_floating_point() else v for k, v in state.items()}
    if "net.5.running_var" in s:  # hw1: ConvTranspose2d weights are (in, out, k, k)
        c = int(torch.randint(s["net.4.weight"].shape[1], (1,), generator=g))
        s["net.4.weight"][:, c] = size * _signs(s["net.4.weight"][:, c].shape, g)
        s["net.4.bias"][c] = 0
        s["net.7.weight"][c] = 10 * size * _signs(s["net.7.weight"][c].shape, g)
        _kill(s, "net.5", c)
    else:  # hw2
        for b in sorted({k.split(".")[1] for k in s if k.startswith("blocks.") and k.endswith(".conv1.weight")}):
            c = int(torch.randint(s[f"blocks.{b}.conv1.weight"].shape[0], (1,), generator=g))
            s[f"blocks.{b}.conv1.weight"][c] = size * _signs(s[f"blocks.{b}.conv1.weight"][c].shape, g)
            s[f"blocks.{b}.conv2.weight"][:, c] = 10 * size * _signs(s[f"blocks.{b}.conv2.weight"][:, c].shape, g)
            _kill(s, f"blocks.{b}.bn1", c)
    return {k: v.to(state[k].dtype) if v.is_floating_point() else v for k, v in s.items()}


def renamed(state: dict) -> dict:
    """Every tensor under a name of no network's (``t0``, ``t1``, ...), in reverse order."""
    return {f"t{i}": v for i, v in enumerate(reversed(list(state.values())))}
