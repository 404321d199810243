"""A weights file as :mod:`dgmlab.grading.copies.shared_weights` compares it: its digest, its learned weight tensors as
sampled unit vectors, and what it computes in the kit's network for its homework (:mod:`functional_copies`); and
the median best same-shape cosine between two such files. Every file is read through :mod:`dgmlab.weights_files`.
"""
from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ... import weights_files
from . import functional_copies, hidden_units

MIN_NUMEL = 1000  # smaller tensors are too noisy (a cosine of random tensors is about 1/sqrt(numel))
SAMPLE = 16_384  # numbers compared per tensor at most, the same coordinates in every file (4,096: hw4 cGAN 0.075)
MAX_BYTES = weights_files.MAX_BYTES  # larger .pt files are not read (a checkpoint, not a weights file)
UNITS_COPY = 0.09  # hidden-unit distance (hidden_units.distance) up to which two generators have the same units
# (benchmarks/results/copies_calibration.md, 2,048 draws, maps aligned by up to 2 px: every disguised copy, drawn
# 1 px over too, <= 0.053, the kit's other runs >= 0.148, the one independent full run 0.158)


@dataclass
class Weights:
    digest: str
    tensors: list = field(default_factory=list)  # [(shape, float32 unit vector of the sampled coordinates)]
    function: object = None  # its functional_copies.Fingerprint, where it loads into one of the kit's networks
    unread: str | None = None  # why it was not unpickled (weights_files.RefusedFile), if it was refused
    not_finite: str | None = None  # why it is refused: NaN or inf on the grader's inputs (networks.NotFinite)
    units: list = field(default_factory=list)  # a generator's hidden units' signatures (hidden_units), per layer
    units_of: tuple | None = field(default=None, repr=False)  # (network, state) whose signatures are not taken yet
    cache: Path | None = field(default=None, repr=False)  # the folder its signatures are kept in (a course's)


@functools.lru_cache(maxsize=256)  # tensor sizes met in one report: a few per network; each entry SAMPLE indices
def _coords(numel: int):
    """The coordinates compared in every tensor of ``numel`` numbers: the same in every file, drawn once (a copy of
    the permutation's first SAMPLE, so the whole permutation is not kept)."""
    import torch

    return torch.randperm(numel, generator=torch.Generator().manual_seed(numel))[:SAMPLE].clone()


def _weight_vector(t):
    """A learned weight tensor as a sampled unit vector, or None (too small, a bias, a mask, not finite)."""
    import torch

    if not (t.layout == torch.strided and t.is_floating_point() and t.dim() >= 2 and t.numel() >= MIN_NUMEL):
        return None
    v = t.detach().reshape(-1)
    if v.numel() > SAMPLE:
        v = v[_coords(v.numel())]
    v = v.float()
    if bool(((v == 0) | (v == 1)).all()) or bool(v.min() == v.max()):  # a 0/1 mask (PixelCNN's) or a constant:
        return None  # the same in every student's file, not learned
    norm = v.norm()
    return v / norm if torch.isfinite(norm) and norm > 0 else None


def unit_distance(a: Weights, b: Weights, aligned: bool = True) -> float | None:
    """How far apart two generators' hidden units are (:func:`hidden_units.distance`: what each unit draws, whatever
    the weights, names, scales, order of units or rotation of the noise; with ``aligned``, its images shifted by a
    pixel or two too, 25 times the work); None where either is not a generator of the kit or they are of two
    networks."""
    if a.function is None or b.function is None or a.function.network.kind != b.function.network.kind:
        return None
    shift = hidden_units.SHIFT if aligned else 0
    return hidden_units.distance(units(a), units(b), shift) if units(a) and units(b) else None


def units(w: Weights) -> list:
    """``w``'s hidden units' signatures, taken now if they were left for later (``weights_of(lazy=True)``)."""
    if w.units_of is not None:
        network, state = w.units_of
        try:
            taken = hidden_units.signatures(network, state) if w.cache is None else \
                hidden_units.cached_signatures(network, state, w.digest, w.cache)
        except functional_copies.NotFinite as exc:  # NaN or inf on one of the many draws: refused, said (Weights.not_finite)
            taken, w.not_finite = [], str(exc)
        w.units, w.units_of = taken, None
    return w.units


def read_weights(path: Path, networks=(), lazy: bool = False, cache: Path | None = None) -> Weights | None:
    """The file's digest and, for a flat state dict, its weight tensors as unit vectors and its outputs in the first
    of the kit's ``networks`` (:func:`functional_copies.kit_networks`) it loads into (a generator's hidden units
    too: ``lazy``, when first compared, :func:`units`; kept in ``cache``, :func:`hidden_units.cached_signatures`);
    None if unreadable."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    w = weights_of(data, networks, printable(path.name), lazy=True)
    w.cache = cache
    if not lazy:
        units(w)
    return w


def weights_of(data: bytes, networks=(), name: str = "the file", lazy: bool = False) -> Weights:
    """:func:`read_weights` of a file's bytes (``name`` for the reason it is not read, :attr:`Weights.unread`; why
    its network is refused, NaN or inf on the grader's inputs, :attr:`Weights.not_finite`)."""
    import torch

    out = Weights(hashlib.sha256(data).hexdigest())
    try:  # through weights_files: never more memory than the file's own size (a zip bomb is refused unread)
        state = weights_files.load(data, name, MAX_BYTES)
    except weights_files.RefusedFile as exc:  # nothing of it is unpickled, by this or by functional_copies
        out.unread = str(exc)
        return out
    except Exception:  # a student's file: not torch's, or odd tensors; still compared byte for byte
        state = None
    try:
        out.function = functional_copies.fingerprint(data, networks) if networks else None
    except functional_copies.NotFinite as exc:  # a kit network that gives NaN or inf on the grader's inputs: refused, said
        out.not_finite = str(exc)
    try:
        if isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values()):
            out.tensors = [(tuple(t.shape), v) for t in state.values() if (v := _weight_vector(t)) is not None]
            if out.function is not None and out.function.network.refuse == functional_copies.REFUSE_GENERATOR:
                out.units_of = (out.function.network, state)
                if not lazy:
                    units(out)
    except Exception:  # odd tensors: compared byte for byte only
        pass
    return out


def similarity(a: Weights, b: Weights) -> tuple[float | None, int]:
    """The median best same-shape cosine over both files' weight tensors, and how many tensors took part."""
    return pair_values([a, b])[(0, 1)]


def pair_values(weights: list[Weights]) -> dict:
    """{(i, j): (median, tensors compared)} for every pair i < j of ``weights``, one matrix product per shape."""
    return cross_values(weights, weights)


def cross_values(left: list[Weights], right: list[Weights]) -> dict:
    """{(i, j): (median, tensors compared)} for every file i of ``left`` and j of ``right``: the median, over the
    weight tensors of both files, of each one's best cosine with a same-shape tensor of the other."""
    import numpy as np
    import torch

    def rows(files, shape):
        found = [(i, v) for i, w in enumerate(files) for s, v in w.tensors if s == shape]
        if not found:
            return torch.zeros(0, dtype=torch.long), None
        return torch.tensor([i for i, _ in found]), torch.stack([v for _, v in found])  # (R,), (R, d) unit vectors

    def best_per_file(gram, owner, n):  # (R, R'), owners of the R' columns -> (R, n) best cosine per file (NaN: none)
        top = torch.full((gram.shape[0], n), float("-inf")).scatter_reduce(
            1, owner.expand(gram.shape[0], -1), gram, reduce="amax")
        return top.masked_fill(top == float("-inf"), float("nan")).numpy()

    n_left, n_right = len(left), len(right)
    best_l, own_l, best_r, own_r = [], [], [], []
    for shape in sorted({s for w in (*left, *right) for s, _ in w.tensors}, key=str):
        (owner_l, m_l), (owner_r, m_r) = rows(left, shape), rows(right, shape)
        if m_l is None or m_r is None:
            continue  # a shape only one side has: nothing to compare it with
        gram = m_l @ m_r.T  # (R_left, R_right) cosines
        best_l.append(best_per_file(gram, owner_r, n_right))
        best_r.append(best_l[-1] if left is right else best_per_file(gram.T, owner_l, n_left))  # symmetric: once
        own_l.append(owner_l.numpy())
        own_r.append(owner_r.numpy())
    if not best_l:
        return {(i, j): (None, 0) for i in range(n_left) for j in range(i + 1 if left is right else 0, n_right)}
    best_l, own_l = np.concatenate(best_l), np.concatenate(own_l)  # (T_left, n_right), (T_left,)
    best_r, own_r = np.concatenate(best_r), np.concatenate(own_r)  # (T_right, n_left), (T_right,)
    rows_l = [np.flatnonzero(own_l == i) for i in range(n_left)]
    rows_r = [np.flatnonzero(own_r == j) for j in range(n_right)]
    out = {}
    for i in range(n_left):
        for j in range(i + 1 if left is right else 0, n_right):  # a set against itself: each pair once
            values = np.concatenate((best_l[rows_l[i], j], best_r[rows_r[j], i]))
            values = values[~np.isnan(values)]
            out[(i, j)] = (float(np.median(values)) if values.size else None, int(values.size))
    return out


def printable(name: str) -> str:
    """A file name as text any page or terminal can show (undecodable bytes replaced)."""
    return os.fsencode(name).decode("utf-8", "replace")
