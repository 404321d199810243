"""Every rescaling that keeps a kit generator's eval-mode function (hw1's, hw2's, hw4's two), for tests and the
calibration of ``hidden_units``: the red team's finding (rescaled hidden units on top of a rotated noise and
permuted units) and more.

``rescaled_generator(state, seed, spread)`` multiplies, with factors ``exp(U(-spread, spread))``:

- each hidden unit (channel) before a (Leaky)ReLU by a factor, the next layer's inputs divided by it (a batch norm's
  scale and shift are multiplied; hw2's residual stream is one set of channels through every block);
- each layer a batch norm follows by a factor per output unit, with that norm's running mean and variance;
- each batch norm's scale by a factor, with its variance;
- hw4's conditional label embedding by an invertible matrix, the first layer's label columns by its inverse.
"""
from __future__ import annotations

import re

import torch

EPS = 1e-5


def _factors(n: int, g: torch.Generator, spread: float) -> torch.Tensor:
    return torch.exp(torch.empty(n, dtype=torch.float64).uniform_(-spread, spread, generator=g))


def _mul(s: dict, name: str, f: torch.Tensor, dim: int = 0, power: int = 1) -> None:
    t = s[name]
    shape = [1] * t.dim()
    shape[dim] = -1
    s[name] = t * (f ** power).repeat_interleave(t.shape[dim] // f.numel()).reshape(shape)


def _norm_rows(s: dict, layer: str, bn: str, f: torch.Tensor, dim: int = 0, bias: bool = True) -> None:
    """Output units of ``layer`` times ``f``, the batch norm ``bn`` after it told (mean times f, std times f)."""
    _mul(s, f"{layer}.weight", f, dim)
    if bias:
        _mul(s, f"{layer}.bias", f)
    _mul(s, f"{bn}.running_mean", f.repeat_interleave(s[f"{bn}.running_mean"].numel() // f.numel()))
    _norm_std(s, bn, f)


def _norm_std(s: dict, bn: str, f: torch.Tensor) -> None:
    f = f.repeat_interleave(s[f"{bn}.running_var"].numel() // f.numel())
    s[f"{bn}.running_var"] = f ** 2 * (s[f"{bn}.running_var"] + EPS) - EPS  # sqrt(var + eps) times f, exactly


def _across(s: dict, bn_or_layer: str, nxt: str, f: torch.Tensor, next_dim: int, with_bias: str = "bias") -> None:
    """A unit's output times ``f`` (a batch norm's scale and shift, or a layer's rows and bias), the next layer's
    inputs divided by it."""
    _mul(s, f"{bn_or_layer}.weight", f)
    _mul(s, f"{bn_or_layer}.{with_bias}", f)
    _mul(s, f"{nxt}.weight", f, next_dim, -1)


def rescaled_generator(state: dict, seed: int = 0, spread: float = 1.5) -> dict:
    """``state`` (a kit generator's) with every function-keeping rescaling above applied; the dtypes kept."""
    g = torch.Generator().manual_seed(seed)
    s = {k: v.double() if v.is_floating_point() else v.clone() for k, v in state.items()}
    keys = set(s)
    if "net.1.running_var" in keys:  # hw1
        for layer, bn, nxt, dim, next_dim in (("net.0", "net.1", "net.4", 0, 0), ("net.4", "net.5", "net.7", 1, 0),
                                              ("net.7", "net.8", "net.10", 1, 1)):  # ConvTranspose2d: (in, out, ...)
            _norm_rows(s, layer, bn, _factors(s[f"{bn}.weight"].numel(), g, spread), dim)
            q = _factors(s[f"{bn}.weight"].numel(), g, spread)
            _mul(s, f"{bn}.weight", q)
            _norm_std(s, bn, q)
            _across(s, bn, nxt, _factors(s[f"{nxt}.weight"].shape[next_dim], g, spread), next_dim)
    elif "embed_bn.running_var" in keys:  # hw2
        blocks = sorted({m[1] for k in keys if (m := re.fullmatch(r"(blocks\.\d+)\.conv1\.weight", k))})
        c = s["embed_bn.weight"].numel()
        _norm_rows(s, "embed", "embed_bn", _factors(c, g, spread), bias=False)
        for b in blocks:
            _norm_rows(s, f"{b}.conv1", f"{b}.bn1", _factors(c, g, spread), bias=False)
            _norm_rows(s, f"{b}.conv2", f"{b}.bn2", _factors(c, g, spread), bias=False)
            _across(s, f"{b}.bn1", f"{b}.conv2", _factors(c, g, spread), 1)
        _norm_rows(s, "upsample.1", "upsample.2", _factors(c, g, spread), bias=False)
        stream = _factors(c, g, spread)
        for bn in ["embed_bn"] + [f"{b}.bn2" for b in blocks]:
            _mul(s, f"{bn}.weight", stream)
            _mul(s, f"{bn}.bias", stream)
        for conv in [f"{b}.conv1" for b in blocks] + ["upsample.1"]:
            _mul(s, f"{conv}.weight", stream, 1, -1)
        _across(s, "upsample.2", "to_image", _factors(c, g, spread), 1)
    else:  # hw4
        layers = sorted(int(m[1]) for k in keys if (m := re.fullmatch(r"net\.(\d+)\.weight", k)))
        for a, b in zip(layers, layers[1:]):
            _across(s, f"net.{a}", f"net.{b}", _factors(s[f"net.{a}.bias"].numel(), g, spread), 1)
        if "embed.weight" in keys:
            e = s["embed.weight"]
            m = torch.linalg.qr(torch.randn(e.shape[1], e.shape[1], generator=g, dtype=torch.float64))[0] \
                * _factors(e.shape[1], g, spread)  # invertible: an orthogonal matrix, its columns scaled
            s["embed.weight"] = e @ m.T
            w = s["net.0.weight"]
            s["net.0.weight"] = torch.cat([w[:, :-e.shape[1]], w[:, -e.shape[1]:] @ torch.linalg.inv(m)], dim=1)
    return {k: v.to(state[k].dtype) for k, v in s.items()}
