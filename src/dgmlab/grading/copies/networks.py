"""What a homework declares to have its handed-in networks compared by what they compute
(:mod:`dgmlab.grading.copies.functional_copies`): one :class:`KitNetwork` per graded weights file, loaded into the
kit's architecture as the graded cell loads it and run on fixed inputs.

A kit homework declares them in its grader-only side, ``homeworks/<hw>/hidden/networks.py``: a function
``networks(course) -> list[KitNetwork]`` (``course``: the :class:`dgmlab.grading.layout.Course` graded, for a network
whose architecture is in the instructor's notebook: :func:`instructor_names`). A homework without that module grades
no network, or has its networks compared by their weights only (``dgmlab report`` says so). This module imports no
homework, so a homework's declaration imports it without a circle.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
from dataclasses import dataclass
from typing import Callable

from ... import weights_files
from ...probes.points import hidden_lines
from ..judge.judging import Reference

N_INPUTS = 64  # fixed inputs per network (noise vectors or digits); computed once per file
INPUT_SEED = 20261125  # the fixed noise: public, like the rest of the kit (it is not the graded draw)
THRESHOLD = 0.4  # two files at least this alike are listed (independent pairs <= 0.20, fine-tuned copies >= 0.69)
SAME = 0.99  # the same network (permuted, rescaled, re-saved: >= 0.9999): the listing and refusal bound of hw5's
# Real NVP, whose independent runs agree up to 0.83 (a fine-tuned copy 0.98)
REFUSE_GENERATOR = 0.5  # a generator (hw1, hw2, hw4) agreeing this much with a published one is refused:
# independent pairs <= 0.10, noisy copies of a published one that still clear their bar >= 0.71 (docs/novelty.md)
MAX_SOURCE_BYTES = 32 * 2**20  # the instructor's source notebook read for the kit's architectures


class NoKitNetwork(Exception):
    """The file does not load into the kit's architecture: no functional comparison."""


@dataclass(frozen=True, eq=False)
class KitNetwork:
    """One network a homework grades: ``load(state) -> model`` (the kit's architecture, eval mode, or raises) and
    ``outputs(model) -> (N_INPUTS, D)`` float tensor on the fixed inputs."""

    hw: str
    name: str  # the graded file's name, e.g. generator_weights.pt
    max_bytes: int  # the graded cell's size limit
    load: Callable
    outputs: Callable
    threshold: float = THRESHOLD  # agreement from which two files of it are listed (SAME for a density model)
    refuse: float = REFUSE_GENERATOR  # agreement with a published file of it from which a file is refused (graded 0)

    @property
    def kind(self) -> str:
        return f"{self.hw}/{self.name}"

    def fingerprint(self, data: bytes) -> "Fingerprint":
        """The outputs of the file ``data`` (its bytes) on the fixed inputs; NoKitNetwork if it does not load."""
        import torch

        if len(data) > self.max_bytes:
            raise NoKitNetwork(f"{len(data):,} bytes, more than the {self.max_bytes:,} the graded cell reads")
        try:
            state = weights_files.load(data, self.name, self.max_bytes)  # a zip bomb is refused unread
            with torch.no_grad():
                out = self.outputs(self.load(state)).detach().double().reshape(N_INPUTS, -1)
        except Exception as exc:  # a student's file: not torch's, not tensors (UnpicklingError), another network
            raise NoKitNetwork(str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__) from None
        if not bool(torch.isfinite(out).all()):
            raise NoKitNetwork("outputs that are not finite")
        centred = (out - out.mean(dim=0, keepdim=True)).reshape(-1)
        return Fingerprint(self, centred.float(), float((centred ** 2).sum()))


@dataclass(eq=False)
class Fingerprint:
    """A file's centred outputs on its kit network's fixed inputs."""

    network: KitNetwork
    outputs: object  # (N_INPUTS * D,) float32 tensor, centred over the inputs
    energy: float  # squared norm of the centred outputs (float64)


_DRAW = contextvars.ContextVar("noise_draw", default=0)


def noise(dim: int):
    """The fixed noise a generator is run on: :data:`N_INPUTS` vectors of ``dim`` standard normals (inside
    :func:`noise_draw`, that draw's own fixed ones)."""
    import torch

    return torch.randn(N_INPUTS, dim, generator=torch.Generator().manual_seed(INPUT_SEED + _DRAW.get()))


@contextlib.contextmanager
def noise_draw(k: int):
    """Within it, :func:`noise` gives the k-th of further fixed draws (0: the outputs' own noise); for the hidden
    units' signatures (:mod:`.hidden_units`), which need many draws."""
    token = _DRAW.set(k)
    try:
        yield
    finally:
        _DRAW.reset(token)


def _cell(course, hw: str, grade_id: str, hidden: bool) -> str | None:
    """The source of the instructor's cell ``grade_id`` of ``hw`` (only its hidden-tests region with ``hidden``),
    or None where the course has no such notebook or cell."""
    from ..preprocessors.hidden_tests import hidden_delimiters

    path = course.source_notebook(hw)
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for cell in nb.get("cells", []):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            source = "".join(cell.get("source", ""))
            if not hidden:
                return source
            keep = hidden_lines(source, hidden_delimiters(course.config()))
            return "\n".join(line if i in keep else "" for i, line in enumerate(source.splitlines(), start=1))
    return None


def instructor_names(course, hw: str, grade_id: str, hidden: bool = False) -> dict | None:
    """The names the instructor's cell ``grade_id`` of ``hw`` defines (its source notebook's, run as
    :class:`dgmlab.grading.judge.judging.Reference` runs it; only its hidden-tests region with ``hidden``), or None
    where the course has no such notebook or cell."""
    source = _cell(course, hw, grade_id, hidden)
    return None if source is None else Reference(lambda gid: source)(grade_id)


__all__ = ["N_INPUTS", "INPUT_SEED", "THRESHOLD", "SAME", "REFUSE_GENERATOR", "MAX_SOURCE_BYTES", "NoKitNetwork",
           "KitNetwork", "Fingerprint", "noise", "noise_draw", "instructor_names"]
