"""Networks compared by what they compute: a handed-in network loaded into the kit's own architecture and run on
inputs drawn from the course key, so that a copy whose hidden units were permuted, rescaled between ReLU layers, renamed or re-saved is
still the same network.

Weight similarity (:mod:`dgmlab.grading.copies.shared_weights`) misses a copy whose hidden units were permuted (with the
next layer's inputs): the weights then look unrelated while the network computes the same images. This module
compares outputs instead. Each weights file a homework grades is loaded the way its graded cell loads it, as the
homework declares in ``homeworks/<hw>/hidden/networks.py`` (:mod:`dgmlab.grading.copies.networks`; the kit's
``Generator`` of hw1's locked ``wgan_networks`` cell, hw2's ``kit_generator``, hw4's ``mlp_generator``, hw5's
``_KitPixelCNN``/``_KitRealNVP`` of its hidden tests; ``torch.load(weights_only=True)``, the graded cell's size
limit; a homework that declares none is not compared by function) and run once on :data:`N_INPUTS` inputs drawn
from the course's draw key (:func:`networks.inputs_key`: nothing public decides the check):

- a generator (hw1, hw2, hw4's baseline): the images it draws from the keyed noise (hw4's conditional generator: with
  the labels 0-9 in turn);
- hw5's PixelCNN: each pixel's Bernoulli logit (given the pixels before it) on fixed binarized test digits;
- hw5's Real NVP: the latent vectors of fixed test digits (after the logit transform the grader uses).

Two files' outputs ``A`` and ``B`` (``N x D``, each centred on its own mean over the ``N`` inputs) have the
agreement ``2 <A, B> / (|A|^2 + |B|^2)``: 1 for the same function, about 0 for two networks whose outputs vary
independently (two GAN generators trained from their own seeds draw unrelated digits from the same noise), and
below 1 as soon as one output is larger than the other. Permuting hidden units, rescaling between ReLU layers,
renaming tensors (hw4 places them by shape), float16 rounding or re-saving leave it at 1 (up to rounding).

A file that loads but gives NaN or inf on any of those inputs raises :class:`NotFinite` (refused for its cell, and
listed by the report: never taken for "not a kit network"). A file that does not load into the kit's architecture
(other names or shapes, not a state dict, too large, unreadable) gives no functional comparison; it does not earn the graded cell's points either, since the grader
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

import dataclasses
from pathlib import Path

from ... import probes
from .. import hidden
from ..draw_key import derived
from .networks import (
    DOMAIN,
    MAX_SOURCE_BYTES,
    N_INPUTS,
    REFUSE_GENERATOR,
    SAME,
    THRESHOLD,
    Fingerprint,
    KitNetwork,
    NoKitNetwork,
    NotFinite,
    inputs_key,
)

DECLARED = "networks"  # homeworks/<hw>/hidden/networks.py: networks(course) -> [KitNetwork] (.networks)


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
    architecture, so a file fits one at most), or None; raises :class:`NotFinite` where that network gives NaN or
    inf on the inputs drawn."""
    for net in networks:
        try:
            return net.fingerprint(data)
        except NoKitNetwork:
            continue
    return None


# ------------------------------------------------------------------ the networks each homework declares
def declared(hw: str):
    """``hw``'s declaration of the networks it grades, ``homeworks/<hw>/hidden/networks.py``
    (:mod:`dgmlab.grading.copies.networks`), or None where it has none (or no hidden side)."""
    if hidden.module(hw) is None:
        return None
    return probes.optional_module(f"{hidden.package(hw)}.{DECLARED}")


def kit_networks(course, hw: str, key: bytes | None = None) -> list[KitNetwork]:
    """The networks ``hw`` grades from handed-in weights, each loaded as its graded cell loads it: what its
    ``hidden/networks.py`` declares (``networks(course)``; a network whose architecture the course does not hold,
    such as hw1's in the source notebook, is left out); none for a homework that declares none. Each draws its
    inputs from the course's draw key (``key``, where the caller holds it apart from the course: the Gradescope
    bundle's), the same for every file of the course."""
    found = declared(hw)
    if found is None:
        return []
    inputs = inputs_key(course) if key is None else derived(key, DOMAIN)
    return [dataclasses.replace(net, key=inputs) for net in found.networks(course)]


def read(path: Path, networks: list) -> Fingerprint | None:
    """:func:`fingerprint` of the file at ``path``, or None (unreadable, or no kit network it loads into)."""
    try:
        path = Path(path)
        if not networks or path.stat().st_size > max(n.max_bytes for n in networks):
            return None  # nothing to load it into, or larger than any graded file: not read
        return fingerprint(path.read_bytes(), networks)
    except OSError:
        return None


__all__ = ["N_INPUTS", "THRESHOLD", "SAME", "REFUSE_GENERATOR", "MAX_SOURCE_BYTES", "KitNetwork",
           "Fingerprint", "NoKitNetwork", "NotFinite", "agreement", "agreements", "fingerprint", "declared", "kit_networks", "read"]
