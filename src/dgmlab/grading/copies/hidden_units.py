"""A generator's hidden units as what they do: each unit's correlation with the images the generator draws, over
many noise draws from the course key (:meth:`networks.KitNetwork.drawing`; a file that draws NaN or inf on any of
them is :class:`networks.NotFinite`, refused). Two generators compare unit by unit (:func:`distance`), whatever their weights look like.

The file is loaded into the kit's architecture the way its graded cell loads it (:class:`networks.KitNetwork`:
hw4's tensors placed by shape, whatever their names) and run on :data:`DRAWS` noise vectors. Every hidden layer's
activations are read as the network computes them, at each (Leaky)ReLU (a convolution's channel averaged over its
positions; a layer of more than :data:`MAX_UNITS` units is left out). A unit's *signature* is the correlation of
its activation with each pixel of the drawn images, as a unit vector.

What it is blind to, by construction:

- renamed tensors, float16, permuted units: a unit's signature does not depend on where or how it is stored;
- a positive rescaling of a unit (and of the next layer's inputs by its inverse), or a batch norm's statistics
  with its layer: a correlation does not see a unit's scale;
- a rotated noise, ``G(Qz)``: ``Qz`` is distributed as ``z``, so every signature is the same up to sampling
  (2,048 draws: disguised copies at most 0.056 apart, benchmarks/results/copies_calibration.md);
- units the function does not use: a dead or constant unit has no variance and no signature; a sacrificed unit
  (any weights in, none out) is one signature of hundreds, and two generators compare by the *median* over all
  units of each one's best cosine with a unit of the same layer of the other, so a handful of units cannot move it;
- images translated by a few pixels (red team, fourth round: a copy whose output layer draws each image 1 pixel
  over): every signature moves with the image, so :func:`distance` compares the maps at the best of the integer
  shifts up to :data:`SHIFT` pixels, one shift for the whole pair of files (not one per unit, which would bring
  independent runs closer), each map then averaged :data:`POOL` x :data:`POOL` (less sampling noise).

Two independently trained generators learn other units: hw4's seed-2 run is 0.158 from the published one, the
kit's early checkpoints and memorizers at least 0.148; copies, translated ones too, at most 0.046
(weight_vectors.UNITS_COPY: 0.09; benchmarks/results/copies_calibration.md).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ... import __version__
from . import networks

DRAWS = 32  # batches of networks.N_INPUTS noise vectors (2,048 draws), each batch its own draw of the course key
POOL = 2  # each unit's correlation map is averaged POOL x POOL when compared (784 -> 196: less sampling noise)
SHIFT = 2  # the maps are compared at the best integer translation of up to SHIFT pixels in each axis
MAX_UNITS = 4096  # wider layers (hw1's first, 12,544 features of 256 channels) are left out (memory, time)
RELATIVE_SPREAD = 1e-9  # a unit whose activation spreads less than this times its own largest value has none
# (its own: a layer's widest unit would let one sacrificed unit of huge spread silence all the others)


def _activations():
    """A torch function mode that keeps, per (Leaky)ReLU call in order, its output averaged over the positions
    of a convolution's channel: ``mode.found[i]`` the list of (N, units) float64 tensors of the i-th call."""
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    kinds = {F.relu, F.relu_, F.leaky_relu, F.leaky_relu_, torch.relu, torch.relu_}

    class Activations(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.found, self.calls = {}, 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if func in kinds and isinstance(out, torch.Tensor) and out.dim() >= 2:
                x = out.detach().double()
                x = x.mean(dim=tuple(range(2, x.dim()))) if x.dim() > 2 else x.clone()
                if x.shape[1] <= MAX_UNITS:
                    self.found.setdefault(self.calls, []).append(x)
                self.calls += 1
            return out

    return Activations()


def signatures(network, state: dict) -> list:
    """Per hidden layer, in the order the network runs them, the (live units, pixels) unit vectors of each live
    unit's correlation with the drawn images' pixels; [] where the file does not run; raises
    :class:`networks.NotFinite` where it draws NaN or inf on any of the noise vectors."""
    import torch

    network.require_key()  # outside the try: a missing key is the kit's error
    try:
        model = network.load(state)
        mode, images, kinds = _activations(), [], set()
        with torch.no_grad():
            for batch in range(1, DRAWS + 1):
                mode.calls = 0
                with network.drawing(batch) as drawn, mode:
                    images.append(network.outputs(model).detach().double().reshape(networks.N_INPUTS, -1))
                kinds |= drawn.kinds
    except Exception:  # a student's file: it earns nothing in the graded cell either
        return []
    x = torch.cat(images)
    bad = int((~torch.isfinite(x)).any(dim=1).sum())
    if bad:  # refused, never skipped: the red team's NaN trap made the file "no kit network"
        raise network.not_finite(bad, x.shape[0], kinds)
    return [s for found in mode.found.values() if (s := _unit_vectors(torch.cat(found), x)) is not None]


def _unit_vectors(h, x):
    """The correlations of the live columns of ``h`` (N, units: finite, not constant) with those of ``x`` (N,
    pixels), each row a unit vector (float32); None where no unit is live or the layer did not run on every draw."""
    import torch

    if h.shape[0] != x.shape[0]:
        return None
    finite = torch.isfinite(h).all(dim=0)
    h = torch.where(finite, h, torch.zeros(()))
    size = h.abs().max(dim=0).values
    h, x = h - h.mean(0), x - x.mean(0)
    spread, pixels = h.pow(2).mean(0).sqrt(), x.pow(2).mean(0).sqrt()
    live = finite & (spread > 0) & (spread > RELATIVE_SPREAD * size)
    if not bool(live.any()):
        return None
    r = (h[:, live] / spread[live]).T @ (x / pixels.clamp_min(1e-12)) / h.shape[0]  # (live, pixels) correlations
    return (r / r.norm(dim=1, keepdim=True).clamp_min(1e-12)).float()


def distance(a: list, b: list, shift: int = SHIFT) -> float | None:
    """1 minus the median, over every unit of both generators, of its largest cosine with a unit of the same layer
    of the other, ``b``'s maps translated by the one shift of up to ``shift`` pixels (:data:`SHIFT`) that makes it
    least (square images only; 0: not translated, 1/25 of the work, for students' files compared with each other) and every map averaged :data:`POOL` x :data:`POOL`: 0 for the same units (up to sampling), larger
    for other ones; None where either has no units or their layers differ in number or in pixels."""
    import torch

    if not a or not b or len(a) != len(b) or any(x.shape[1] != y.shape[1] for x, y in zip(a, b)):
        return None
    side = round(a[0].shape[1] ** 0.5)
    if not all(x.shape[1] == side * side for x in a):  # not square images: no translation
        return 1.0 - float(torch.cat([g for x, y in zip(a, b) for gram in [x @ y.T]
                                      for g in (gram.max(dim=1).values, gram.max(dim=0).values)]).median())
    shifts = (2 * shift + 1) ** 2
    per_shift = [[] for _ in range(shifts)]
    for x, y in zip(a, b):
        gram = torch.einsum("up,svp->suv", _pooled(x, side), _shifted(y, side, shift))  # (shifts, a's, b's units)
        for s in range(shifts):
            per_shift[s] += [gram[s].max(dim=1).values, gram[s].max(dim=0).values]
    return 1.0 - max(float(torch.cat(found).median()) for found in per_shift)


def _shifted(x, side: int, shift: int = SHIFT):
    """The (units, side * side) maps ``x`` translated by every (dy, dx) of up to ``shift`` pixels, zeros shifted in,
    each averaged POOL x POOL as a unit vector: (shifts, units, pooled pixels)."""
    import torch

    m = torch.zeros(x.shape[0], side + 2 * shift, side + 2 * shift, dtype=x.dtype)
    m[:, shift:shift + side, shift:shift + side] = x.reshape(-1, side, side)
    windows = [m[:, dy:dy + side, dx:dx + side] for dy in range(2 * shift + 1) for dx in range(2 * shift + 1)]
    return _pooled(torch.cat(windows), side).reshape(len(windows), x.shape[0], -1)


def _pooled(x, side: int):
    """The maps ``x`` ((units, side * side) or (units, side, side)) averaged POOL x POOL, each row a unit vector."""
    import torch.nn.functional as F

    m = x.reshape(x.shape[0], 1, side, side)
    if POOL > 1:
        m = F.avg_pool2d(m, POOL)
    m = m.reshape(x.shape[0], -1)
    return m / m.norm(dim=1, keepdim=True).clamp_min(1e-12)


def cached_signatures(network, state: dict, digest: str, folder) -> list:
    """:func:`signatures`, kept in ``folder`` (a course's ``.dgmlab/cache/units``) under the file's ``digest`` and
    what the signature depends on (the inputs by their public name, ``KitNetwork.inputs_id``), so that each ``dgmlab report`` takes a file's signatures once (hw1: seconds a
    file). Read back with ``torch.load(weights_only=True)``: tensors only; a damaged entry is taken again."""
    import torch

    kind = "".join(c if c.isalnum() or c in "._" else "_" for c in str(network.kind))
    key = f"{digest}-{kind}-{__version__}-{DRAWS}-{POOL}-s{SHIFT}-{MAX_UNITS}-{RELATIVE_SPREAD:g}-{networks.N_INPUTS}-{network.inputs_id}.pt"
    path = Path(folder) / key
    try:
        found = torch.load(path, weights_only=True)
        if isinstance(found, list) and all(isinstance(t, torch.Tensor) for t in found):
            return found
    except Exception:  # absent or damaged: taken again
        pass
    found = signatures(network, state)
    if not found:  # none: the file does not run, or taking them failed (memory): not kept, taken again
        return found
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        torch.save(found, f)
    os.replace(tmp, path)
    return found
