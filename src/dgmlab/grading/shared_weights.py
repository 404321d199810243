"""Trained weights two submissions share: a network handed in by two students, copied and perhaps trained further.

Every training cell starts its networks from a seed of the run's own (:func:`dgmlab.runtime.run_seed`), so the
networks two students train independently are unrelated: a layer's hidden units come out in an arbitrary order,
and the cosine between two such weight tensors is close to 0. A network copied from a classmate keeps a large
cosine with its source even after many more epochs of training. Measured (``benchmarks/calibrate_shared_weights.py``,
docs/novelty.md "Weights shared between students"): independent runs of hw1, hw4 and hw5 at most 0.05; a copy of
epoch 1 trained on to the end of the run (39 to 49 more epochs) at least 0.29.

For every file name at the top of two or more submissions (``submitted/<student>/<hw>/*.pt``), every pair of
students gets:

- ``identical``: the two files are the same bytes (whatever they hold);
- ``similarity``, for files holding a flat state dict: the median, over the weight matrices and kernels of both
  files (floating tensors of 2 or more dimensions and at least :data:`MIN_NUMEL` numbers, not binary masks;
  biases and normalization vectors look alike in any two runs), of each tensor's largest cosine with a tensor of
  the same shape in the other file. Names and order of the tensors do not matter; files with no shape in common
  give no similarity.

Pairs at or above :data:`THRESHOLD`, and identical files, are reported (``dgmlab report``, the dashboard). A report
is a reason to look, not a verdict, and it changes no grade: two students who each fixed the same seed by hand
and ran the same code start from the same weights too. When most pairs of a file are alike (a class that ran a
notebook from before ``run_seed``, or a hub that sets ``DGMLAB_SEED`` for everyone), the students share their
starting weights and the pairs say nothing: :attr:`FileComparison.common_start`. Permuting a copied network's
hidden units (with the next layer's inputs) hides it from this measure.
"""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from .course import Course

THRESHOLD = 0.1  # independent runs: <= 0.05; a copy trained 39-49 more epochs: >= 0.29 (see the docstring)
MIN_NUMEL = 1000  # smaller tensors are too noisy to compare (a cosine of random tensors is about 1/sqrt(numel))
SAMPLE = 16_384  # numbers compared per tensor at most, the same coordinates in every file (4,096: hw4 cGAN 0.075)
MAX_BYTES = 64 * 2**20  # larger .pt files are not read (a checkpoint, not a weights file)
COMMON_START = 0.5  # more than half of a file's pairs alike: the class shares its starting weights


@dataclass
class SharedPair:
    """Two students whose files of the same name hold related weights."""

    hw: str
    file: str
    students: tuple[str, str]
    similarity: float | None  # None: nothing comparable (identical is then the reason to report)
    identical: bool
    tensors: int  # weight tensors compared (both files together)


@dataclass
class FileComparison:
    """One file name of one homework, compared across the students who handed it in."""

    hw: str
    file: str
    students: int
    pairs: list = field(default_factory=list)  # the SharedPairs reported, most alike first

    @property
    def common_start(self) -> bool:
        """Most pairs alike: the students started from common weights, so the pairs do not single anyone out."""
        every = self.students * (self.students - 1) // 2
        return self.students >= 4 and len(self.pairs) > COMMON_START * every


@dataclass
class _Weights:
    digest: str
    tensors: list = field(default_factory=list)  # [(shape, float32 unit vector of the sampled coordinates)]


_COORDS: dict = {}


def _coords(numel: int):
    """The coordinates compared in every tensor of ``numel`` numbers: the same in every file, drawn once."""
    import torch

    if numel not in _COORDS:
        _COORDS[numel] = torch.randperm(numel, generator=torch.Generator().manual_seed(numel))[:SAMPLE]
    return _COORDS[numel]


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


def read_weights(path: Path) -> _Weights | None:
    """The file's digest and, for a flat state dict, its weight tensors as unit vectors; None if unreadable."""
    import torch

    try:
        data = path.read_bytes()
    except OSError:
        return None
    out = _Weights(hashlib.sha256(data).hexdigest())
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        if isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values()):
            out.tensors = [(tuple(t.shape), v) for t in state.values() if (v := _weight_vector(t)) is not None]
    except Exception:  # a student's file: not torch's, or odd tensors; still compared byte for byte
        pass
    return out


def similarity(a: _Weights, b: _Weights) -> tuple[float | None, int]:
    """The median best same-shape cosine over both files' weight tensors, and how many tensors took part."""
    return _pair_values([a, b])[(0, 1)]


def _pair_values(weights: list[_Weights]) -> dict:
    """{(i, j): (median, tensors compared)} for every pair i < j of ``weights``, one matrix product per shape."""
    import numpy as np
    import torch

    n = len(weights)
    best, owners = [], []  # per tensor of every file: its best cosine with each file's same-shape tensors (NaN: none)
    for shape in sorted({s for w in weights for s, _ in w.tensors}, key=str):
        rows = [(i, v) for i, w in enumerate(weights) for s, v in w.tensors if s == shape]
        owner = torch.tensor([i for i, _ in rows])
        m = torch.stack([v for _, v in rows])  # (R, d): R tensors of this shape, as unit vectors
        gram = m @ m.T  # (R, R) cosines
        top = torch.full((len(rows), n), float("-inf")).scatter_reduce(
            1, owner.expand(len(rows), -1), gram, reduce="amax")  # (R, n) best cosine with each file's tensors
        best.append(top.masked_fill(top == float("-inf"), float("nan")).numpy())
        owners.append(owner.numpy())
    if not best:
        return {(i, j): (None, 0) for i in range(n) for j in range(i + 1, n)}
    best, owners = np.concatenate(best), np.concatenate(owners)  # (T, n), (T,)
    rows_of = [np.flatnonzero(owners == i) for i in range(n)]
    out = {}
    for i in range(n):
        for j in range(i + 1, n):
            values = np.concatenate((best[rows_of[i], j], best[rows_of[j], i]))
            values = values[~np.isnan(values)]
            out[(i, j)] = (float(np.median(values)) if values.size else None, int(values.size))
    return out


def weight_files(course: Course, hw: str) -> dict[str, dict[str, Path]]:
    """{file name: {student: path}} for the ``.pt`` files at the top of each ``submitted/<student>/<hw>/``."""
    files: dict[str, dict[str, Path]] = {}
    for student in course.submitted(hw):
        for path in sorted((course.root / "submitted" / student / hw).glob("*.pt")):
            if path.is_file() and path.stat().st_size <= MAX_BYTES:
                files.setdefault(path.name, {})[student] = path
    return files


def _printable(name: str) -> str:
    """A file name as text any page or terminal can show (undecodable bytes replaced)."""
    return os.fsencode(name).decode("utf-8", "replace")


def compare(course: Course, hws, threshold: float = THRESHOLD) -> list[FileComparison]:
    """For each homework and file name handed in by two or more students, the pairs identical or at least
    ``threshold`` alike, most alike first."""
    out = []
    for hw in hws:
        for name, paths in sorted(weight_files(course, hw).items()):
            loaded = {s: w for s, p in sorted(paths.items()) if (w := read_weights(p)) is not None}
            if len(loaded) < 2:
                continue
            students, weights = list(loaded), list(loaded.values())
            found = FileComparison(hw, _printable(name), len(students))
            for (i, j), (sim, n) in _pair_values(weights).items():
                identical = weights[i].digest == weights[j].digest
                if identical or (sim is not None and sim >= threshold):
                    found.pairs.append(SharedPair(hw, found.file, (students[i], students[j]),
                                                  None if sim is None else round(sim, 3), identical, n))
            found.pairs.sort(key=lambda p: (not p.identical, -(p.similarity or 0), p.students))
            out.append(found)
    return out


def shared_pairs(course: Course, hws, threshold: float = THRESHOLD) -> list[SharedPair]:
    """Every reported pair of every homework's files (see :func:`compare`)."""
    return [p for f in compare(course, hws, threshold) for p in f.pairs]


def format_report(files: list[FileComparison]) -> str:
    """One line per pair (or per file whose students share their starting weights), for the terminal."""
    lines = []
    for f in files:
        if f.common_start:
            lines.append(f"  {f.hw} {f.file}: {len(f.pairs)} of {f.students * (f.students - 1) // 2} pairs alike: "
                         "these students started from common weights (a notebook from before run_seed, or "
                         "DGMLAB_SEED set for all), so the pairs say nothing about copying")
            continue
        lines += [f"  {p.hw} {p.file}: {p.students[0]} and {p.students[1]}: "
                  + ("identical files" if p.identical else f"weight similarity {p.similarity:.2f}") for p in f.pairs]
    return "\n".join(lines)
