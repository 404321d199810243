"""Generators compared by the set of images they draw, not by what they draw from a given noise vector: the
evidence a distillation cannot escape (issue 71).

A generator distilled onto a published one at a rotated noise (``G'(z) ~ G(Qz)``, minutes of regression) draws
other images than ``G`` from the same noise (outputs agreement about 0) and has other hidden units, yet the *set*
of images it draws is ``G``'s, since ``Qz`` is distributed as ``z``. Two generators trained independently draw
sets that differ (other modes, other artefacts). So each handed-in generator of a homework's calibrated networks
(:data:`THRESHOLDS`) draws :data:`SAMPLES` images from noise drawn from the course key
(:meth:`networks.KitNetwork.drawing`, draws of its own: :data:`FIRST_DRAW`), and two image sets are compared by
the maximum mean discrepancy (MMD, a kernel two-sample statistic) of a Gaussian kernel on the pixels,
approximated by :data:`FEATURES` random Fourier features (Rahimi & Recht) whose frequencies are drawn from the
course key too: a set is the mean of its images' features (and their mean squared norm), and the distance of
two sets the unbiased estimate of their squared MMD (0 in expectation for one distribution, negative at times).
At 2,048 images the sampling noise hid an independent run; at :data:`SAMPLES` it is about 0.3e-4.

A handed-in file at most the threshold from a published file (``shared_weights.published_files``) or from a
classmate's of the same name is listed by ``dgmlab report`` as "needs a look", with the distance and the
threshold: a reason to look, never a grade. So is one whose set lies farther from MNIST's digits (the 1,000 the kit
ships, :data:`FAR_FROM_DIGITS`) than honest full runs' sets do: a generator trained briefly, or a plain distillation
(one regressed until it draws its source's set is near that source's). A distillation that also minimises this
distance to the digits passes both (an attacker's trial: 88 CPU seconds): a reason to look, never a proof. The
thresholds are calibrated in ``benchmarks/calibrate_image_sets.py`` (benchmarks/results/image_sets_calibration.md).
A file whose draw holds NaN or inf is :class:`networks.NotFinite` and listed too. A file's set (its mean features)
is cached per file digest and course key under ``.dgmlab/cache/image_sets`` (numpy, no pickle); files are read
through ``weights_files`` (``weights_only``).
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy
from markupsafe import Markup

from ... import data, weights_files
from ..inert import terminal
from . import functional_copies, networks, shared_weights

SAMPLES = 8192  # images drawn per file (128 draws of networks.N_INPUTS noise vectors)
FIRST_DRAW = 1000  # the key's draws used here: FIRST_DRAW .. + SAMPLES / N_INPUTS (hidden units take 1 .. 32)
FEATURES = 4096  # random Fourier features of the Gaussian kernel
BANDWIDTH = 0.25  # the kernel's width per sqrt(pixel): 7 on hw4's 784 pixels in [-1, 1] (a third of the median
# distance of two published images, 20.2; 0.15 and 0.35 separate less: benchmarks/results/image_sets_calibration.md)
THRESHOLDS = {  # network kind: the distance up to which two files' sets are listed (calibrated kinds only)
    "hw4_gans/baseline_generator_weights.pt": 0.8e-4,  # provisional: copies <= 0.36e-4, seed-2 run 1.4e-4
}
FAR_FROM_DIGITS = {  # network kind: the distance to MNIST's digits (:func:`digits`) above which a file is listed
    # (generators of 784 pixels in [-1, 1]); provisional, from 5 honest full runs at 6.4-8.2e-4 (one at epoch 20:
    # 9.9e-4, at epoch 10: 31e-4): benchmarks/results/image_sets_calibration.md, "Far from the digits"
    "hw4_gans/baseline_generator_weights.pt": 12e-4,
}
CACHE = ("cache", "image_sets")  # under the course's .dgmlab


@dataclass
class Look:
    """A handed-in file whose image set is close to another's: a published file's (``source``) or a classmate's
    (``other``); far from MNIST's digits (``far``: ``distance`` to the digits, ``threshold`` the least listed); or
    one that draws NaN or inf (``not_finite``: the reason)."""

    hw: str
    file: str
    student: str
    distance: float | None
    threshold: float
    other: str | None = None  # a classmate
    source: str | None = None  # a published file, relative to the course
    not_finite: str | None = None
    far: bool = False


@dataclass
class ImageSet:
    """The mean random features of the ``n`` images one file draws (float64, ``FEATURES``) and the mean squared
    norm of an image's features (the unbiased estimate's correction), stored as the last entry."""

    network: networks.KitNetwork
    mean: numpy.ndarray = field(repr=False)
    n: int = SAMPLES


def _seed(key: bytes, what: str) -> int:
    return int.from_bytes(hmac.new(key, what.encode(), hashlib.sha256).digest()[:8], "big") % 2**63


def features(key: bytes, pixels: int):
    """The random Fourier map's frequencies ``(pixels, FEATURES)`` and phases, drawn from ``key``."""
    import torch

    gen = torch.Generator().manual_seed(_seed(key, f"image-set-features/{pixels}/{FEATURES}"))
    width = BANDWIDTH * math.sqrt(pixels)
    freqs = torch.randn(pixels, FEATURES, generator=gen, dtype=torch.float64) / width
    phases = torch.rand(FEATURES, generator=gen, dtype=torch.float64) * 2 * math.pi
    return freqs, phases


def draw(network: networks.KitNetwork, model):
    """The ``(SAMPLES, pixels)`` float64 images ``model`` draws from the key's noise; :class:`networks.NotFinite`
    where any is NaN or inf."""
    import torch

    images, kinds = [], set()
    with torch.no_grad():
        for batch in range(FIRST_DRAW, FIRST_DRAW + SAMPLES // networks.N_INPUTS):
            with network.drawing(batch) as drawn:
                images.append(network.outputs(model).detach().double().reshape(networks.N_INPUTS, -1))
            kinds |= drawn.kinds
    x = torch.cat(images)
    bad = int((~torch.isfinite(x)).any(dim=1).sum())
    if bad:
        raise network.not_finite(bad, x.shape[0], kinds)
    return x


def embed(network: networks.KitNetwork, images) -> numpy.ndarray:
    """The mean of ``images``' random Fourier features (the kernel mean embedding of the set)."""
    import torch

    freqs, phases = features(network.require_key(), images.shape[1])
    found = torch.cos(images @ freqs + phases) * math.sqrt(2 / FEATURES)
    return torch.cat([found.mean(dim=0), (found * found).sum(dim=1).mean().reshape(1)]).numpy()


def image_set(data: bytes, network: networks.KitNetwork, name: str | None = None) -> ImageSet | None:
    """The image set of the weights file ``data`` under ``network``; None where it does not load into it;
    :class:`networks.NotFinite` where it draws NaN or inf."""
    if len(data) > network.max_bytes:
        return None
    network.require_key()
    try:
        model = network.load(weights_files.load(data, name or network.name, network.max_bytes))
    except Exception:  # a student's file: not the kit's network (it earns nothing in the graded cell either)
        return None
    try:
        images = draw(network, model)
    except networks.NotFinite:
        raise
    except Exception:
        return None
    return ImageSet(network, embed(network, images))


def distance(a: ImageSet, b: ImageSet) -> float | None:
    """The unbiased squared MMD of two image sets of one kit network; None for different networks."""
    if a.network.kind != b.network.kind or a.mean.shape != b.mean.shape:
        return None

    def own(found):  # the unbiased estimate of |mu|^2: pairs of distinct images only
        mu, square = found.mean[:-1], found.mean[-1]
        return (found.n * float(mu @ mu) - square) / (found.n - 1)

    return own(a) + own(b) - 2 * float(a.mean[:-1] @ b.mean[:-1])


def read(path: Path, nets: list, cache: Path | None = None) -> ImageSet | None:
    """:func:`image_set` of the file at ``path`` under the first of ``nets`` it loads into, cached in ``cache``
    per file digest and course key (``.npy``, read with ``allow_pickle=False``)."""
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    for net in nets:
        stored = None if cache is None else cache / f"{net.inputs_id}-{hashlib.sha256(net.kind.encode()).hexdigest()[:8]}-{digest}.npy"
        if stored is not None and stored.is_file():
            try:
                return ImageSet(net, numpy.load(stored, allow_pickle=False))
            except (OSError, ValueError):
                pass
        found = image_set(data, net, Path(path).name)
        if found is not None:
            if stored is not None:
                stored.parent.mkdir(parents=True, exist_ok=True)
                numpy.save(stored, found.mean, allow_pickle=False)
            return found
    return None


def _sets(paths: dict, nets: list, cache: Path) -> tuple[dict, list]:
    """{student: ImageSet} of the files that load, and the (student, reason) of those that draw NaN or inf."""
    found, bad = {}, []
    for student, path in sorted(paths.items()):
        try:
            if (s := read(path, nets, cache)) is not None:
                found[student] = s
        except networks.NotFinite as exc:
            bad.append((student, str(exc)))
        except OSError:
            continue
    return found, bad


def digits(network: networks.KitNetwork) -> ImageSet:
    """The image set of MNIST's digits under ``network``'s features: the 1,000 training digits the kit ships
    (``dgmlab.data``'s sample, so every grader has them), in [-1, 1]."""
    images = data.mnist(train=True, scale="[-1,1]", source="sample").images
    return ImageSet(network, embed(network, images.reshape(images.shape[0], -1).double()), n=images.shape[0])


def _far(hw: str, name: str, mine: dict, real: dict) -> list[Look]:
    """The files of ``mine`` ({student: ImageSet}) whose sets lie farther from MNIST's digits than
    :data:`FAR_FROM_DIGITS` allows their network; ``real``: the digits' sets by network kind, filled as needed (one
    per comparison, not per file name)."""
    looks = []
    for student, found in mine.items():
        bound = FAR_FROM_DIGITS.get(found.network.kind)
        if bound is None:
            continue
        if found.network.kind not in real:
            real[found.network.kind] = digits(found.network)
        d = distance(found, real[found.network.kind])
        if d is not None and d > bound:
            looks.append(Look(hw, name, student, float(f"{d:.3g}"), bound, far=True))
    return looks


def compare(course, hws) -> list[Look]:
    """For each homework's calibrated generators: the handed-in files whose image set is at most the threshold
    from a published file's (the closest named) or a classmate's, those farther from MNIST's digits than
    :data:`FAR_FROM_DIGITS`, and those that draw NaN or inf."""
    looks, real = [], {}
    cache = course.root / ".dgmlab" / Path(*CACHE)
    for hw in hws:
        nets = [n for n in functional_copies.kit_networks(course, hw) if n.kind in THRESHOLDS]
        if not nets:
            continue
        published, _ = _sets({p.relative_to(course.root).as_posix(): p
                              for p in shared_weights.published_files(course, hw)}, nets, cache)
        for name, paths in sorted(shared_weights.weight_files(course, hw).items()):
            mine, bad = _sets(paths, nets, cache)
            looks += [Look(hw, name, s, None, 0.0, not_finite=why) for s, why in bad] + _far(hw, name, mine, real)
            students = list(mine)
            for i, student in enumerate(students):
                bound = THRESHOLDS[mine[student].network.kind]
                near = [(d, src) for src, s in published.items()
                        if (d := distance(mine[student], s)) is not None and d <= bound]
                if near:
                    d, src = min(near)
                    looks.append(Look(hw, name, student, float(f"{d:.3g}"), bound, source=src))
                looks += [Look(hw, name, student, float(f"{d:.3g}"), bound, other=other) for other in students[i + 1:]
                          if (d := distance(mine[student], mine[other])) is not None and d <= bound]
    return looks


def anonymize(looks: list, names: dict) -> list[Look]:
    """``looks`` with every student id replaced by its pseudonym, sorted by pseudonym."""
    return sorted((replace(look, student=names[look.student], other=names.get(look.other, look.other))
                   for look in looks), key=lambda look: (look.hw, look.file, look.student, look.other or ""))


def line(look: Look) -> str:
    """One "needs a look" line (untrusted names made inert by the caller)."""
    head = f"{look.hw} {look.file}: {look.student}'s"
    if look.not_finite:
        return f"{head} image set needs a look: {look.not_finite}"
    if look.far:
        return (f"{head} images needs a look: drawn as a set, their squared MMD to MNIST's digits is "
                f"{look.distance:.2e} (listed from {look.threshold:.1e} up; honest full runs are nearer): trained "
                f"briefly, or distilled?")
    with_what = f"the kit's published {look.source}" if look.source else f"{look.other}'s"
    return (f"{head} images needs a look: drawn as a set, their squared MMD to {with_what} is {look.distance:.2e} "
            f"(listed from {look.threshold:.1e} down; an independent run is farther): distilled or copied?")


def format_report(looks: list) -> str:
    """The terminal's lines, one a look."""
    return "\n".join(terminal("  " + line(look)) for look in looks)


def html(hw: str, looks: list) -> Markup:
    """The dashboard's "needs a look" list of ``hw`` (every text escaped), or nothing."""
    mine = [look for look in looks if look.hw == hw]
    if not mine:
        return Markup("")
    items = Markup("").join(Markup("<li>{}</li>").format(line(look)) for look in mine)
    return Markup("<h3>Image sets: needs a look</h3><p>Each generator's images drawn from the course "
                  "key's noise, compared as a set with the others' and with MNIST's digits (a distilled copy draws "
                  "its source's set from other noise, or stays far from the digits). A reason to look, not a grade."
                  "</p><ul>{}</ul>").format(items)


__all__ = ["SAMPLES", "FEATURES", "BANDWIDTH", "THRESHOLDS", "FAR_FROM_DIGITS", "Look", "ImageSet", "features", "draw",
           "embed", "image_set", "distance", "digits", "read", "compare", "anonymize", "line", "format_report", "html"]
