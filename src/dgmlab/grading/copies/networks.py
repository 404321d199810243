"""What a homework declares to have its handed-in networks compared by what they compute
(:mod:`dgmlab.grading.copies.functional_copies`): one :class:`KitNetwork` per graded weights file, loaded into the
kit's architecture as the graded cell loads it and run on inputs drawn from the course key.

A kit homework declares them in its grader-only side, ``homeworks/<hw>/hidden/networks.py``: a function
``networks(course) -> list[KitNetwork]`` (``course``: the :class:`dgmlab.grading.layout.Course` graded, for a network
whose architecture is in the instructor's notebook: :func:`instructor_names`). A homework without that module grades
no network, or has its networks compared by their weights only (``dgmlab report`` says so). This module imports no
homework, so a homework's declaration imports it without a circle.

Every input a network is run on comes from the course's draw key (:mod:`dgmlab.grading.draw_key`, the secret the
graded draws come from), never from a public constant: :func:`noise` and :func:`pick` give inputs only inside
:meth:`KitNetwork.drawing`, and a network carries its course's :func:`inputs_key` (``functional_copies.kit_networks``
sets it). The red team's "NaN trap" (spare units that overflow on exactly one of the once-public noise vectors, so
the file was taken for no kit network and only its permuted weights were compared) has nothing to aim at; and a
network that gives NaN or inf on any input drawn is :class:`NotFinite`, refused for its cell, never skipped.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Callable

from ... import weights_files
from ...probes.points import hidden_lines
from ..draw_key import course_key, derived
from ..judge.cell_verdicts import Reference

N_INPUTS = 64  # inputs per network (noise vectors or digits), drawn from the course key; computed once per file
DOMAIN = b"dgmlab-copy-inputs/1"  # the copy check's use of the draw key (draw_key.derived)
THRESHOLD = 0.4  # two files at least this alike are listed (independent pairs <= 0.20, fine-tuned copies >= 0.69)
SAME = 0.99  # the same network (permuted, rescaled, re-saved: >= 0.9999): the listing and refusal bound of hw5's
# Real NVP, whose independent runs agree up to 0.83 (a fine-tuned copy 0.98)
REFUSE_GENERATOR = 0.5  # a generator (hw1, hw2, hw4) agreeing this much with a published one is refused:
# independent pairs <= 0.10, noisy copies of a published one that still clear their bar >= 0.71 (docs/novelty.md)
MAX_SOURCE_BYTES = 32 * 2**20  # the instructor's source notebook read for the kit's architectures


class NoKitNetwork(Exception):
    """The file does not load into the kit's architecture: no functional comparison."""


class NotFinite(ValueError):
    """The file's network gives NaN or inf on inputs the grader draws: refused for its cell (the message says on
    how many of which inputs, and what to do)."""


class NoInputsKey(RuntimeError):
    """A network run with no course key to draw its inputs from (a kit error: ``kit_networks`` sets the key)."""


def inputs_key(course) -> bytes:
    """The key the copy check draws its inputs from: the course's draw key (:func:`dgmlab.grading.draw_key.course_key`)
    for this use only; nothing public gives it."""
    return derived(course_key(course), DOMAIN)


@dataclass
class Drawing:
    """What :meth:`KitNetwork.drawing` hands :func:`noise` and :func:`pick`: the key, which draw, and the kinds of
    input drawn (for the refusal's message)."""

    key: bytes
    draw: int
    kinds: set = field(default_factory=set)


_DRAWING = contextvars.ContextVar("copy_inputs", default=None)


@dataclass(frozen=True, eq=False)
class KitNetwork:
    """One network a homework grades: ``load(state) -> model`` (the kit's architecture, eval mode, or raises) and
    ``outputs(model) -> (N_INPUTS, D)`` float tensor on the inputs drawn (:meth:`drawing`)."""

    hw: str
    name: str  # the graded file's name, e.g. generator_weights.pt
    max_bytes: int  # the graded cell's size limit
    load: Callable
    outputs: Callable
    threshold: float = THRESHOLD  # agreement from which two files of it are listed (SAME for a density model)
    refuse: float = REFUSE_GENERATOR  # agreement with a published file of it from which a file is refused (graded 0)
    key: bytes = field(default=b"", repr=False)  # the course's inputs_key (kit_networks sets it): its inputs' source

    @property
    def kind(self) -> str:
        return f"{self.hw}/{self.name}"

    @property
    def inputs_id(self) -> str:
        """A public name of the inputs this network is run on (it tells nothing of them): the signature cache's."""
        return hmac.new(self.require_key(), b"name", hashlib.sha256).hexdigest()[:16]

    def require_key(self) -> bytes:
        if len(self.key) < 16:
            raise NoInputsKey(f"{self.kind}: no course key to draw the copy check's inputs from (take the networks "
                              "from functional_copies.kit_networks(course, hw), which sets it)")
        return self.key

    @contextlib.contextmanager
    def drawing(self, k: int = 0):
        """Within it, :func:`noise` and :func:`pick` give the ``k``-th draw of inputs from this network's key (0: the
        outputs' own; the hidden units' signatures take further ones); yields the :class:`Drawing`."""
        found = Drawing(self.require_key(), k)
        token = _DRAWING.set(found)
        try:
            yield found
        finally:
            _DRAWING.reset(token)

    def not_finite(self, bad: int, total: int, kinds: set) -> NotFinite:
        """The refusal of a file whose network gives NaN or inf on ``bad`` of the ``total`` inputs drawn."""
        what = " and ".join(sorted(kinds)) or "inputs"
        net = "generator" if kinds == {"noise vectors"} else "network"
        return NotFinite(f"{self.name}: the {net} gives NaN or inf on {bad:,} of the grader's {total:,} {what}, so "
                         "it is not graded (a network your training made gives finite outputs on every input). Check "
                         "it on fresh inputs (torch.isfinite) and hand in the file your training wrote")

    def fingerprint(self, data: bytes) -> "Fingerprint":
        """The outputs of the file ``data`` (its bytes) on the inputs drawn from the course key; NoKitNetwork if it
        does not load, :class:`NotFinite` if it gives NaN or inf on any of them."""
        import torch

        if len(data) > self.max_bytes:
            raise NoKitNetwork(f"{len(data):,} bytes, more than the {self.max_bytes:,} the graded cell reads")
        self.require_key()  # outside the try: a missing key is the kit's error, never "not a kit network"
        try:
            state = weights_files.load(data, self.name, self.max_bytes)  # a zip bomb is refused unread
            with torch.no_grad(), self.drawing() as drawn:
                out = self.outputs(self.load(state)).detach().double().reshape(N_INPUTS, -1)
        except Exception as exc:  # a student's file: not torch's, not tensors (UnpicklingError), another network
            raise NoKitNetwork(str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__) from None
        bad = int((~torch.isfinite(out)).any(dim=1).sum())
        if bad:  # a kit network all the same: refused, never skipped (the red team's NaN trap)
            raise self.not_finite(bad, N_INPUTS, drawn.kinds)
        centred = (out - out.mean(dim=0, keepdim=True)).reshape(-1)
        return Fingerprint(self, centred.float(), float((centred ** 2).sum()))


@dataclass(eq=False)
class Fingerprint:
    """A file's centred outputs on its kit network's inputs (drawn from the course key)."""

    network: KitNetwork
    outputs: object  # (N_INPUTS * D,) float32 tensor, centred over the inputs
    energy: float  # squared norm of the centred outputs (float64)


def _drawing(kind: str) -> Drawing:
    found = _DRAWING.get()
    if found is None:
        raise NoInputsKey("the copy check's inputs come from the course key: draw them inside KitNetwork.drawing "
                          "(no public inputs)")
    found.kinds.add(kind)
    return found


def _seed(drawing: Drawing, what: str) -> int:
    return int.from_bytes(hmac.new(drawing.key, f"{what}/{drawing.draw}".encode(), hashlib.sha256).digest()[:8],
                          "big") % 2**63


def noise(dim: int):
    """:data:`N_INPUTS` vectors of ``dim`` standard normals drawn from the course key (inside
    :meth:`KitNetwork.drawing`, that draw's own): what a generator is run on."""
    import torch

    seed = _seed(_drawing("noise vectors"), f"noise/{dim}")
    return torch.randn(N_INPUTS, dim, generator=torch.Generator().manual_seed(seed))


def pick(total: int, n: int = N_INPUTS, kind: str = "test digits"):
    """``n`` of the indices ``0 .. total - 1`` chosen by the course key (inside :meth:`KitNetwork.drawing`), for a
    network run on images the kit ships (hw5's digits: the key picks which); ``kind`` names them in a refusal."""
    import torch

    seed = _seed(_drawing(kind), f"pick/{total}")
    return torch.randperm(total, generator=torch.Generator().manual_seed(seed))[:n]


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
    :class:`dgmlab.grading.judge.cell_verdicts.Reference` runs it; only its hidden-tests region with ``hidden``), or None
    where the course has no such notebook or cell."""
    source = _cell(course, hw, grade_id, hidden)
    return None if source is None else Reference(lambda gid: source)(grade_id)


__all__ = ["N_INPUTS", "DOMAIN", "THRESHOLD", "SAME", "REFUSE_GENERATOR", "MAX_SOURCE_BYTES", "NoKitNetwork",
           "NotFinite", "NoInputsKey", "inputs_key", "Drawing", "KitNetwork", "Fingerprint", "noise", "pick",
           "instructor_names"]
