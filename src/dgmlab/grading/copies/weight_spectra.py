"""A generator's weight spectra, as :func:`weight_vectors.spectral_distance` compares them, taken from a canonical
form of the network that the changes which keep its function leave alone.

A file of one of the kit's generators (hw1's, hw2's, hw4's two: recognised by their tensor names) is first *folded*
into the network it computes in eval mode, the mode generators are sampled in: each batch norm into the layer
before it (``gamma / sqrt(var + eps)`` times that layer's output rows, and the bias it makes), hw4's label
embedding into the first layer's label columns. Then it is *balanced*: for every hidden unit before a (Leaky)ReLU
(a channel, for a convolution), the squared norm of everything scaled with it (its incoming weights and bias)
is made equal to that of everything it feeds (the next layers' columns), by multiplying the one by a positive
factor and dividing the other by it, layer after layer until no factor moves (Sinkhorn-style; this is the unique
point of least total squared weight over all such rescalings, a convex problem in the log factors). Any
positive per-unit rescaling across a ReLU (``W1 -> D W1, b1 -> D b1, W2 -> W2 D^-1``), and any rescaling a batch
norm undoes (a layer's rows with its running statistics, a batch norm's scale with its variance), gives the same
balanced network; rotating the noise (``W Q``) or permuting hidden units gives it rotated or permuted, and the
singular values do not change. Files of other shapes are taken as they are.
"""
from __future__ import annotations

import re

EPS = 1e-5  # torch's BatchNorm eps, the kit's generators' own
SPECTRUM_K = 16  # singular values compared per weight matrix, after its largest
MIN_NUMEL = 1000  # smaller matrices are not compared (weight_vectors.MIN_NUMEL, too noisy)
TOLERANCE = 1e-9  # balancing stops when no unit's factor moves by more than this (in log)
MAX_ROUNDS = 2000  # ... or after this many rounds over the layers


def _fold(w, bn: dict, prefix: str, dim: int, bias=None):
    """The layer ``w`` (its output units along ``dim``, a block of consecutive ones per channel of the norm) and the
    batch norm ``prefix`` after it, as one layer: (weight, bias) with the norm's eval-mode scale in the weight."""
    import torch

    scale = bn[f"{prefix}.weight"] / torch.sqrt(bn[f"{prefix}.running_var"] + EPS)
    shape = [1] * w.dim()
    shape[dim] = -1
    b = bias if bias is not None else torch.zeros_like(bn[f"{prefix}.running_mean"])
    folded = w * scale.repeat_interleave(w.shape[dim] // scale.numel()).reshape(shape)
    return folded, bn[f"{prefix}.bias"] + scale * (b - bn[f"{prefix}.running_mean"])


def _hw1(s: dict):
    """hw1's Generator: Linear-BN1d-ReLU, Unflatten, (ConvT-BN2d-ReLU) x 2, Conv2d."""
    t = {}
    t["w0"], t["b0"] = _fold(s["net.0.weight"], s, "net.1", 0, s["net.0.bias"])
    t["w4"], t["b4"] = _fold(s["net.4.weight"], s, "net.5", 1, s["net.4.bias"])  # ConvTranspose2d: (in, out, k, k)
    t["w7"], t["b7"] = _fold(s["net.7.weight"], s, "net.8", 1, s["net.7.bias"])
    t["w10"] = s["net.10.weight"]
    groups = [[("w0", 0), ("b0", 0)], [("w4", 0)]], [[("w4", 1), ("b4", 0)], [("w7", 0)]], \
        [[("w7", 1), ("b7", 0)], [("w10", 1)]]
    return t, list(groups), {"net.0.weight": "w0", "net.4.weight": "w4", "net.7.weight": "w7", "net.10.weight": "w10"}


def _hw2(s: dict):
    """hw2's Generator: Linear-BN2d-ReLU, residual blocks (conv-BN-ReLU-conv-BN, + skip, ReLU), upsample conv-BN-ReLU,
    conv to the image. The residual stream's channels scale together through every block."""
    t, names = {}, {}
    t["e"], t["be"] = _fold(s["embed.weight"], s, "embed_bn", 0)  # rows c * 49 ... : channel c (view(-1, C, 7, 7))
    names["embed.weight"] = "e"
    stream_in, stream_out, groups = [("e", 0), ("be", 0)], [], []
    blocks = sorted({m[1] for k in s if (m := re.fullmatch(r"(blocks\.\d+)\.conv1\.weight", k))})
    for i, b in enumerate(blocks):
        t[f"a{i}"], t[f"ba{i}"] = _fold(s[f"{b}.conv1.weight"], s, f"{b}.bn1", 0)
        t[f"c{i}"], t[f"bc{i}"] = _fold(s[f"{b}.conv2.weight"], s, f"{b}.bn2", 0)
        names[f"{b}.conv1.weight"], names[f"{b}.conv2.weight"] = f"a{i}", f"c{i}"
        groups.append([[(f"a{i}", 0), (f"ba{i}", 0)], [(f"c{i}", 1)]])  # inside the block
        stream_in += [(f"c{i}", 0), (f"bc{i}", 0)]
        stream_out.append((f"a{i}", 1))
    t["u"], t["bu"] = _fold(s["upsample.1.weight"], s, "upsample.2", 0)
    t["o"] = s["to_image.weight"]
    names["upsample.1.weight"], names["to_image.weight"] = "u", "o"
    groups += [[stream_in, stream_out + [("u", 1)]], [[("u", 0), ("bu", 0)], [("o", 1)]]]
    return t, groups, names


def _hw4(s: dict):
    """hw4's MLP generators: (Linear-LeakyReLU) x 3, Linear; the conditional one's label embedding folded into the
    first layer's label columns (any invertible change of the embedding's basis is undone)."""
    import torch

    layers = sorted(int(m[1]) for k in s if (m := re.fullmatch(r"net\.(\d+)\.weight", k)))
    t = {f"w{i}": s[f"net.{i}.weight"] for i in layers} | {f"b{i}": s[f"net.{i}.bias"] for i in layers}
    if "embed.weight" in s:
        w, e = t[f"w{layers[0]}"], s["embed.weight"]
        noise = w.shape[1] - e.shape[1]
        t[f"w{layers[0]}"] = torch.cat([w[:, :noise], w[:, noise:] @ e.T], dim=1)  # (out, noise + classes)
    groups = [[[(f"w{a}", 0), (f"b{a}", 0)], [(f"w{b}", 1)]] for a, b in zip(layers, layers[1:])]
    return t, groups, {f"net.{i}.weight": f"w{i}" for i in layers}


def _structure(state: dict):
    """(folded tensors, [[scaled up, scaled down]] per hidden layer, {file's tensor name: folded name}), or None."""
    keys = set(state)
    if {"net.0.weight", "net.1.running_var", "net.4.weight", "net.7.weight", "net.10.weight"} <= keys:
        return _hw1(state)
    if {"embed.weight", "embed_bn.running_var", "upsample.1.weight", "to_image.weight"} <= keys:
        return _hw2(state)
    if {"net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"} <= keys and "net.1.running_var" not in keys \
            and all(state[k].dim() == 2 for k in keys if k.startswith("net.") and k.endswith(".weight")):
        return _hw4(state)
    return None


def _squares(t, out: tuple | None, into: tuple | None):
    """``t``'s squared entries summed down to (its output units, its input units), each a unit of a group (a
    channel may span a block of consecutive indices); a vector where only one of them is scaled."""
    kept = [x for x in (out, into) if x is not None]
    dims = [dim for _, dim, _ in kept]
    sq = t.pow(2).permute(*dims, *[d for d in range(t.dim()) if d not in dims])
    sq = sq.reshape(*(t.shape[d] for d in dims), -1).sum(-1)
    for axis, (_, _, units) in enumerate(kept):
        sq = sq.reshape(*sq.shape[:axis], units, -1, *sq.shape[axis + 1:]).sum(axis + 1)
    return sq


def balance(t: dict, groups: list) -> int:
    """Rescale ``t`` in place, one factor per unit of each group, until each unit's scaled-up and scaled-down
    squared norms are equal (Sinkhorn-style, group after group, on the tensors' squares summed down to units);
    the rounds it took."""
    import torch

    size = [t[down[0][0]].shape[down[0][1]] for _, down in groups]
    out, into = {}, {}  # tensor name -> (group, dim, units)
    for g, (up, down) in enumerate(groups):
        out.update({name: (g, dim, size[g]) for name, dim in up})
        into.update({name: (g, dim, size[g]) for name, dim in down})
    squares = {name: _squares(t[name], out.get(name), into.get(name)) for name in {*out, *into}}
    d = [torch.ones(n, dtype=torch.float64) for n in size]
    for rounds in range(1, MAX_ROUNDS + 1):
        moved = 0.0
        for g, (up, down) in enumerate(groups):
            a = sum(squares[name] @ d[into[name][0]] ** -2 if name in into else squares[name] for name, _ in up)
            b = sum(squares[name].T @ d[out[name][0]] ** 2 if name in out else squares[name] for name, _ in down)
            new = torch.where((a > 0) & (b > 0), (b / a.clamp_min(1e-300)) ** 0.25, d[g])  # d^2 a = b / d^2
            moved = max(moved, float((new / d[g]).log().abs().max()))
            d[g] = new
        if moved < TOLERANCE:
            break
    for name in {*out, *into}:
        for (g, dim, n), power in [(x, p) for x, p in ((out.get(name), 1), (into.get(name), -1)) if x is not None]:
            shape = [1] * t[name].dim()
            shape[dim] = -1
            t[name] = t[name] * (d[g] ** power).repeat_interleave(t[name].shape[dim] // n).reshape(shape)
    return rounds


def spectrum(m) -> list:
    """``log(s_i / s_1)`` for the :data:`SPECTRUM_K` singular values after the largest, ``s_1``, of ``m`` as a
    matrix (its first dimension by the rest): unchanged by rotating its columns, permuting its rows or columns, or
    scaling it as a whole."""
    import numpy as np
    import torch

    s = torch.linalg.svdvals(m.detach().double().reshape(m.shape[0], -1))[:SPECTRUM_K + 1]
    s = s[s > 0]
    return np.log((s[1:] / s[0]).numpy()) if s.numel() > 1 else np.zeros(0)


def spectra(state: dict, balanced: bool = True) -> list:
    """[(shape, :func:`spectrum`)] of the file's weight matrices of :data:`MIN_NUMEL` numbers or more, each from the
    folded and balanced network where the file is one of the kit's generators, as it is otherwise (``balanced=False``:
    always as it is, the kit's signature before 2026-11-27, for benchmarks/calibrate_spectra.py's comparison)."""
    import torch

    state = {k: v.detach().double() for k, v in state.items()
             if isinstance(v, torch.Tensor) and v.is_floating_point()}
    kept = [k for k, v in state.items() if v.dim() >= 2 and v.numel() >= MIN_NUMEL and bool(torch.isfinite(v).all())]
    try:
        found = _structure(state) if balanced else None
        if found is not None and all(bool(torch.isfinite(v).all()) for v in found[0].values()):
            t, groups, names = found
            balance(t, groups)
            return [(tuple(state[k].shape), spectrum(t[names[k]] if k in names else state[k])) for k in kept]
    except (KeyError, RuntimeError, IndexError, ValueError, ZeroDivisionError):  # a generator's names, not its shapes
        pass
    return [(tuple(state[k].shape), spectrum(state[k])) for k in kept]
