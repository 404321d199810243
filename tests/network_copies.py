"""Disguised copies of the kit's networks for tests and calibration: the same function, other weights.

``permuted_copy(state)`` permutes the hidden units of a state dict of one of the kit's graded networks (hw1's
``Generator``, hw2's (the channels inside each residual block), hw4's MLP generators, hw5's PixelCNN and Real
NVP), moving each unit's incoming weights, bias, batch-norm
parameters and statistics and the next layer's inputs with it; ``rescaled_copy(state)`` multiplies each hidden
unit before a ReLU (LeakyReLU) by a positive factor and divides the next layer's inputs by it. Both compute the
same outputs as ``state`` (up to float rounding) while their weights look unrelated to it. ``rotated_copy(state)``
rotates a generator's noise (``G(Qz)``, ``Q`` orthogonal: the same images drawn, other outputs on fixed noise).
"""
from __future__ import annotations

import io
import re

import pytest
import torch


def _perm(n: int, seed: int) -> torch.Tensor:
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))


def _factors(n: int, seed: int) -> torch.Tensor:
    return torch.exp(torch.empty(n).uniform_(-1.0, 1.0, generator=torch.Generator().manual_seed(seed)))  # e^[-1, 1]


def _groups(state: dict) -> list:
    """[(n units, block, [(name, dim) the units are the outputs of], [(name, dim) they are the inputs of])] of the
    hidden layers of a known kit network, by its tensor names."""
    keys = set(state)
    if {"net.0.weight", "net.1.running_mean", "net.4.weight", "net.7.weight", "net.10.weight"} <= keys:  # hw1
        channels = state["net.4.weight"].shape[0]
        bn = ["weight", "bias", "running_mean", "running_var"]
        return [(channels, state["net.0.weight"].shape[0] // channels,
                 [("net.0.weight", 0), ("net.0.bias", 0)] + [(f"net.1.{p}", 0) for p in bn], [("net.4.weight", 0)]),
                (state["net.4.weight"].shape[1], 1,
                 [("net.4.weight", 1), ("net.4.bias", 0)] + [(f"net.5.{p}", 0) for p in bn], [("net.7.weight", 0)]),
                (state["net.7.weight"].shape[1], 1,
                 [("net.7.weight", 1), ("net.7.bias", 0)] + [(f"net.8.{p}", 0) for p in bn], [("net.10.weight", 1)])]
    if "embed_bn.running_mean" in keys and "blocks.0.conv1.weight" in keys:  # hw2: inside each residual block
        bn = ["weight", "bias", "running_mean", "running_var"]
        return [(state[f"{b}.conv1.weight"].shape[0], 1, [(f"{b}.conv1.weight", 0)] + [(f"{b}.bn1.{p}", 0) for p in bn],
                 [(f"{b}.conv2.weight", 1)])
                for b in sorted({k.rsplit(".", 2)[0] for k in keys if k.endswith(".conv1.weight")})]
    chains = {}  # prefix -> layer indices of a Sequential of Linear or Conv2d layers (hw4, hw5's s_net/t_net, PixelCNN)
    for k in keys:
        m = re.fullmatch(r"(.*?)(\d+)\.weight", k)
        if m and state[k].dim() in (2, 4) and f"{m[1]}{m[2]}.bias" in keys:
            chains.setdefault(m[1], []).append(int(m[2]))
    out = []
    for prefix, idx in chains.items():
        idx.sort()
        for a, b in zip(idx, idx[1:]):
            wa, wb = f"{prefix}{a}.weight", f"{prefix}{b}.weight"
            if state[wa].shape[0] == state[wb].shape[1]:
                out.append((state[wa].shape[0], 1, [(wa, 0), (f"{prefix}{a}.bias", 0)], [(wb, 1)]))
    if not out:
        raise ValueError("not a state dict of a network permuted_copy knows (the kit's graded networks: hw1's and "
                         "hw2's generators, hw4's MLP generators, hw5's PixelCNN and Real NVP)")
    return out


def _before_batch_norm(name: str, state: dict) -> bool:
    """Whether ``name`` belongs to a layer a batch norm follows (hw1's net.0/4/7, hw2's conv1)."""
    m = re.fullmatch(r"net\.(\d+)\.(weight|bias)", name)
    return bool(m and f"net.{int(m[1]) + 1}.running_mean" in state) or name.endswith(".conv1.weight")


def permuted_copy(state: dict, seed: int = 0) -> dict:
    """``state`` with every hidden layer's units in another order (the same network, unrelated-looking weights)."""
    out = {k: v.clone() for k, v in state.items()}
    for g, (n, block, outputs, inputs) in enumerate(_groups(state)):
        p = _perm(n, seed * 1000 + g)
        index = (p[:, None] * block + torch.arange(block)).reshape(-1)
        for name, dim in outputs + inputs:
            out[name] = out[name].index_select(dim, index if out[name].shape[dim] == n * block else p)
    return out


def rescaled_copy(state: dict, seed: int = 0) -> dict:
    """``state`` with each hidden unit multiplied by a factor in [1/e, e] before its (Leaky)ReLU and the next
    layer's inputs divided by it (hw1: its batch norm's scale and shift are multiplied). Keeps the dtypes."""
    out = {k: v.clone() for k, v in state.items()}
    for g, (n, block, outputs, inputs) in enumerate(_groups(state)):
        f = _factors(n, seed * 1000 + g).double()
        for names, power in ((outputs, 1), (inputs, -1)):
            for name, dim in names:
                if "running_" in name or (power == 1 and _before_batch_norm(name, state)):
                    continue  # a batch norm follows this layer and undoes any scale: its own scale and shift are scaled
                t = out[name]
                shape = [1] * t.dim()
                shape[dim] = -1
                factor = (f ** power).repeat_interleave(block if t.shape[dim] == n * block else 1).reshape(shape)
                out[name] = (t.double() * factor).to(t.dtype)
    return out


__all__ = ["permuted_copy", "rescaled_copy"]


def rotated_copy(state: dict, seed: int = 0) -> dict:
    """A generator's ``state`` (hw1's, hw2's, hw4's) with its noise input rotated by a random orthogonal ``Q``: the
    first layer's noise columns times ``Q`` (the red team's disguise, with :func:`permuted_copy`). Keeps the dtypes."""
    first = "embed.weight" if "embed_bn.running_mean" in state else "net.0.weight"
    w = state[first].float()
    noise = w.shape[1] - (state["embed.weight"].shape[1] if first != "embed.weight" and "embed.weight" in state else 0)
    q, _ = torch.linalg.qr(torch.randn(noise, noise, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    w = torch.cat([w[:, :noise] @ q.float(), w[:, noise:]], dim=1)
    return {**state, first: w.to(state[first].dtype)}


def saved(state: dict) -> bytes:
    """``state`` as the bytes of a handed-in ``.pt`` file."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


@pytest.fixture
def one_thread():
    """One torch thread, as grading workers run (two threads on the loaded 2-core CI machine contend): import it
    into a test module and mark the module ``pytest.mark.usefixtures("one_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
