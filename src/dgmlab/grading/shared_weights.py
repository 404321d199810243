"""Trained weights two submissions share: a network handed in by two students, copied and perhaps trained further.

Every training cell starts its networks from a seed of the run's own (:func:`dgmlab.runtime.run_seed`), so the
networks two students train independently are unrelated: a layer's hidden units come out in an arbitrary order,
and the cosine between two such weight tensors is about 0 (within 1/sqrt(size)). A network copied from a
classmate keeps a large cosine with its source even after many more epochs of training. Measured
(``benchmarks/calibrate_shared_weights.py``, docs/novelty.md "Weights shared between students"): independent
runs of hw1 and hw4 at most 0.01; the same run 39 epochs apart (a copy of epoch 1 trained to epoch 40) at least
0.28.

For every weights file name at the top of two or more submissions (``submitted/<student>/<hw>/*.pt`` holding a
flat state dict), every pair of students gets:

- ``similarity``: the median, over the weight matrices and kernels of both files (floating tensors of 2 or
  more dimensions and at least :data:`MIN_NUMEL` numbers; biases and normalization vectors look alike in any
  two runs), of each tensor's largest cosine with a tensor of the same shape in the other file. Names and
  order of the tensors do not matter; a file with no shape in common with the other gives no similarity;
- ``identical``: the two files are the same bytes.

Pairs at or above :data:`THRESHOLD`, and identical files, are reported (``dgmlab report``, the dashboard). A
report is a reason to look, not a verdict, and it changes no grade: two students who each fixed the same seed
by hand and ran the same code start from the same weights too. Permuting a copied network's hidden units
(with the next layer's inputs) hides it from this measure.
"""
from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from .course import Course

THRESHOLD = 0.1  # independent runs: <= 0.01; a copy trained 39 more epochs: >= 0.28 (calibration in the docstring)
MIN_NUMEL = 1000  # smaller tensors are too noisy to compare (a cosine of random tensors is about 1/sqrt(numel))
SAMPLE = 65_536  # numbers compared per tensor at most: the same random coordinates in every file (error ~0.004)
MAX_BYTES = 64 * 2**20  # larger .pt files are not read (a checkpoint, not a weights file)


@dataclass
class SharedPair:
    """Two students whose files of the same name hold related weights."""

    hw: str
    file: str
    students: tuple[str, str]
    similarity: float | None  # None: no weight tensor in common (identical is then the reason to report)
    identical: bool
    tensors: int  # weight tensors compared (both files together)


@dataclass
class _Weights:
    digest: str
    tensors: list = field(default_factory=list)  # [(shape, unit vector of the sampled coordinates)]


_COORDS: dict = {}


def _coords(numel: int):
    """The coordinates compared in every tensor of ``numel`` numbers: the same in every file, drawn once."""
    import torch

    if numel not in _COORDS:
        _COORDS[numel] = torch.randperm(numel, generator=torch.Generator().manual_seed(numel))[:SAMPLE]
    return _COORDS[numel]


def read_weights(path: Path) -> _Weights | None:
    """The file's digest and its weight tensors as unit vectors, or None when it holds no flat state dict."""
    import torch

    data = path.read_bytes()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # a student's file: unreadable is grading's business (the graded cell says why), not ours
        return None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        return None
    out = _Weights(hashlib.sha256(data).hexdigest())
    for t in state.values():
        if t.is_floating_point() and t.dim() >= 2 and t.numel() >= MIN_NUMEL:
            v = t.detach().reshape(-1).float()
            if v.numel() > SAMPLE:
                v = v[_coords(v.numel())]
            norm = v.norm()
            if torch.isfinite(norm) and norm > 0:
                out.tensors.append((tuple(t.shape), v / norm))
    return out


def similarity(a: _Weights, b: _Weights) -> tuple[float | None, int]:
    """The median best same-shape cosine over both files' weight tensors, and how many tensors took part."""
    best = []
    for mine, theirs in ((a, b), (b, a)):
        for shape, v in mine.tensors:
            cos = [float(v @ w) for s, w in theirs.tensors if s == shape]
            if cos:
                best.append(max(cos))
    return (statistics.median(best) if best else None), len(best)


def weight_files(course: Course, hw: str) -> dict[str, dict[str, Path]]:
    """{file name: {student: path}} for the ``.pt`` files at the top of each ``submitted/<student>/<hw>/``."""
    files: dict[str, dict[str, Path]] = {}
    for student in course.submitted(hw):
        for path in sorted((course.root / "submitted" / student / hw).glob("*.pt")):
            if path.is_file() and path.stat().st_size <= MAX_BYTES:
                files.setdefault(path.name, {})[student] = path
    return files


def shared_pairs(course: Course, hws, threshold: float = THRESHOLD) -> list[SharedPair]:
    """Every pair of students whose same-named weights files are identical or at least ``threshold`` alike,
    most alike first."""
    pairs = []
    for hw in hws:
        for name, paths in sorted(weight_files(course, hw).items()):
            if len(paths) < 2:
                continue
            weights = {s: w for s, p in paths.items() if (w := read_weights(p)) is not None}
            students = sorted(weights)
            for i, a in enumerate(students):
                for b in students[i + 1:]:
                    sim, n = similarity(weights[a], weights[b])
                    identical = weights[a].digest == weights[b].digest
                    if identical or (sim is not None and sim >= threshold):
                        pairs.append(SharedPair(hw, name, (a, b), None if sim is None else round(sim, 3),
                                                identical, n))
    return sorted(pairs, key=lambda p: (p.hw, not p.identical, -(p.similarity or 0), p.file, p.students))


def format_pairs(pairs: list[SharedPair]) -> str:
    """One line per pair, for the terminal."""
    return "\n".join(f"  {p.hw} {p.file}: {p.students[0]} and {p.students[1]}: "
                     + ("identical files" if p.identical else f"weight similarity {p.similarity:.2f}")
                     for p in pairs)
