"""Networks compared by what they compute: a handed-in network loaded into the kit's own architecture and run on
fixed inputs, so that a copy whose hidden units were permuted, rescaled between ReLU layers, renamed or re-saved is
still the same network.

Weight similarity (:mod:`dgmlab.grading.copies.shared_weights`) misses a copy whose hidden units were permuted (with the
next layer's inputs): the weights then look unrelated while the network computes the same images. This module
compares outputs instead. Each weights file a homework grades is loaded the way its graded cell loads it (the
kit's ``Generator`` of hw1's locked ``wgan_networks`` cell, hw2's ``kit_generator``, hw4's ``mlp_generator``,
hw5's ``_KitPixelCNN``/``_KitRealNVP`` of its hidden tests (``homeworks/hw5_explicit/hidden/``);
``torch.load(weights_only=True)``, the graded cell's size limit) and run once on fixed inputs (:data:`N_INPUTS` of
them):

- a generator (hw1, hw2, hw4's baseline): the images it draws from fixed noise (hw4's conditional generator: with
  the labels 0-9 in turn);
- hw5's PixelCNN: each pixel's Bernoulli logit (given the pixels before it) on fixed binarized test digits;
- hw5's Real NVP: the latent vectors of fixed test digits (after the logit transform the grader uses).

Two files' outputs ``A`` and ``B`` (``N x D``, each centred on its own mean over the ``N`` inputs) have the
agreement ``2 <A, B> / (|A|^2 + |B|^2)``: 1 for the same function, about 0 for two networks whose outputs vary
independently (two GAN generators trained from their own seeds draw unrelated digits from the same noise), and
below 1 as soon as one output is larger than the other. Permuting hidden units, rescaling between ReLU layers,
renaming tensors (hw4 places them by shape), float16 rounding or re-saving leave it at 1 (up to rounding).

A file that does not load into the kit's architecture (other names or shapes, not a state dict, too large,
unreadable) gives no functional comparison; it does not earn the graded cell's points either, since the grader
loads it the same way. The thresholds come from ``benchmarks/calibrate_functional_copies.py`` (docs/novelty.md,
"Weights shared between students"): generators and PixelCNN are listed from :data:`THRESHOLD`; hw5's Real NVP only
from :data:`SAME`, since two flows trained independently on the same digits compute much the same latents
(agreement up to 0.83 measured), so only a copy that computes the same function is told apart from them there.

A handed-in file whose outputs agree with a published network's at least that network's :attr:`KitNetwork.refuse`
is refused under grading (``shared_weights.published_copy``): :data:`REFUSE_GENERATOR` for a generator, 0.4 above
the largest agreement of any independent pair of generators (0.10) and below every copy of a published generator
with noise added to its weights that still clears its homework's bar (0.71 and up); :data:`SAME` for hw5's
networks (independent PixelCNNs were measured only as short runs; Real NVPs agree up to 0.83).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
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


def agreement(a: Fingerprint, b: Fingerprint) -> float | None:
    """``2 <A, B> / (|A|^2 + |B|^2)`` of two files of the same kit network; None if they are of different ones or
    both compute constants."""
    if a.network.kind != b.network.kind or a.energy + b.energy <= 0:
        return None
    return 2 * float(a.outputs.double() @ b.outputs.double()) / (a.energy + b.energy)


def agreements(left: list, right: list | None = None) -> dict:
    """{(i, j): agreement} for every file i of ``left`` and j of ``right`` (``right`` None: every pair i < j of
    ``left``) whose fingerprints (or None) are of the same kit network; one matrix product per network."""
    import torch

    same = right is None
    right = left if same else right
    out = {}
    kinds = {f.network.kind for f in (*left, *right) if f is not None}
    for kind in sorted(kinds):
        li = [i for i, f in enumerate(left) if f is not None and f.network.kind == kind]
        rj = [j for j, f in enumerate(right) if f is not None and f.network.kind == kind]
        if not li or not rj:
            continue
        ml = torch.stack([left[i].outputs for i in li]).double()
        mr = ml if same else torch.stack([right[j].outputs for j in rj]).double()
        gram = (ml @ mr.T).numpy()
        el = [left[i].energy for i in li]
        er = [right[j].energy for j in rj]
        for a, i in enumerate(li):
            for b, j in enumerate(rj):
                if (same and j <= i) or el[a] + er[b] <= 0:
                    continue
                out[(i, j)] = 2 * float(gram[a, b]) / (el[a] + er[b])
    return out


def fingerprint(data: bytes, networks: list) -> Fingerprint | None:
    """The fingerprint of ``data`` under the first of ``networks`` it loads into (a homework's networks differ in
    architecture, so a file fits one at most), or None."""
    for net in networks:
        try:
            return net.fingerprint(data)
        except NoKitNetwork:
            continue
    return None


# ------------------------------------------------------------------ the kit's networks, as the graded cells load them
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


def _names(source: str | None, grade_id: str) -> dict | None:
    """The names the instructor's ``source`` defines (run as :class:`dgmlab.grading.judge.judging.Reference` runs it)."""
    if source is None:
        return None

    return Reference(lambda gid: source)(grade_id)


def _noise(dim: int):
    import torch

    return torch.randn(N_INPUTS, dim, generator=torch.Generator().manual_seed(INPUT_SEED))


def _pixel_logits(model):
    """Each pixel's Bernoulli logit given the pixels before it, on fixed binarized digits. (Not its log-likelihood:
    that is dominated by the pixel's own value, the same for every model, and independent models agree 0.88 on it.)"""
    from homeworks.hw5_explicit.hidden.references import grading_digits

    return model(grading_digits(N_INPUTS, scale="binary")).float()


def _flow_latents(flow):
    """The latents of fixed digits, dequantized at the middle of each bin, through flow_bits_per_dim's logit."""
    import torch

    from homeworks.hw5_explicit.hidden.references import grading_digits

    alpha = 1e-6
    y = (torch.round(grading_digits(N_INPUTS, scale="[0,1]").reshape(N_INPUTS, -1) * 255) + 0.5) / 256
    s = alpha + (1 - 2 * alpha) * y
    z, _ = flow(torch.log(s) - torch.log1p(-s))
    return z


def kit_networks(course, hw: str) -> list[KitNetwork]:
    """The networks ``hw`` grades from handed-in weights, each loaded as its graded cell loads it; a network whose
    architecture the course does not hold (hw1's lives in the source notebook) is left out."""
    from ... import artifacts

    out = []
    if hw == "hw1_wgan":
        from homeworks.hw1_wgan import checks as P

        kit = _names(_cell(course, hw, "wgan_networks", hidden=False), "wgan_networks")
        if kit and "Generator" in kit:
            out.append(KitNetwork(hw, P.WEIGHTS_FILE, P.MAX_WEIGHTS_BYTES,
                                  lambda s: artifacts.load_weights(kit["Generator"](), s),
                                  lambda g: g(_noise(kit["Z_DIM"]))))
    elif hw == "hw2_wgangp":
        from homeworks.hw2_wgangp import checks as P

        out.append(KitNetwork(hw, P.WEIGHTS, P.MAX_WEIGHTS_BYTES,
                              lambda s: artifacts.load_weights(P.given_mnist_generator(capacity=32), s),
                              lambda g: g(_noise(P.SEED_DIM))))
    elif hw == "hw4_gans":
        import torch

        from homeworks.hw4_gans import checks as P
        from homeworks.hw4_gans.hidden.references import mlp_generator

        for name, conditional in (("baseline_generator_weights.pt", False), ("cgan_generator_weights.pt", True)):
            out.append(KitNetwork(
                hw, name, P.MAX_WEIGHTS_BYTES,
                lambda s, c=conditional: mlp_generator(s, in_dim=100, widths=(128, 256, 512),
                                                       embedding=(10, 10) if c else None),
                (lambda g: g(_noise(100), torch.arange(N_INPUTS) % 10)) if conditional else
                (lambda g: g(_noise(100)))))
    elif hw == "hw5_explicit":
        from homeworks.hw5_explicit import checks as P
        from homeworks.hw5_explicit.hidden import p1_masked_cnn_inpainting as p1
        from homeworks.hw5_explicit.hidden import p2_real_nvp_mnist as p2

        out.append(KitNetwork(hw, P.P1_WEIGHTS_FILE, p1.MAX_P1_BYTES,
                              lambda s: artifacts.load_weights(p1._KitPixelCNN(), s, constant_buffers=True),
                              _pixel_logits, refuse=SAME))
        out.append(KitNetwork(hw, P.P2_WEIGHTS_FILE, p2.MAX_P2_BYTES,
                              lambda s: artifacts.load_weights(p2._KitRealNVP(784, 256, 6), s, constant_buffers=True),
                              _flow_latents, SAME, SAME))
    return out


def read(path: Path, networks: list) -> Fingerprint | None:
    """:func:`fingerprint` of the file at ``path``, or None (unreadable, or no kit network it loads into)."""
    try:
        path = Path(path)
        if not networks or path.stat().st_size > max(n.max_bytes for n in networks):
            return None  # nothing to load it into, or larger than any graded file: not read
        return fingerprint(path.read_bytes(), networks)
    except OSError:
        return None


__all__ = ["N_INPUTS", "THRESHOLD", "SAME", "REFUSE_GENERATOR", "KitNetwork", "Fingerprint", "NoKitNetwork", "agreement", "agreements",
           "fingerprint", "kit_networks", "read"]
