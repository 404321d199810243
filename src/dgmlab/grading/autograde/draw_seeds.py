"""The noise seeds of the graded draws: secret until grading, and bound to the file handed in.

hw1, hw2 and hw4 grade a generator by drawing samples from its handed-in weights, in the grader
(:mod:`dgmlab.grading.judge.judge`: a hidden test draws with ``seed_of(name)``). While a student works the draw uses noise
seed 0, so the score they see is the one anyone can repeat. A public seed lets
a student tune the weights so that exactly that noise gives chosen images (the best of their generator's, say),
or retrain until that one draw is lucky. So ``dgmlab autograde`` draws with another seed: for each weights file
(``*weights.pt``) at the top of the submission folder,

    seed = first 4 bytes of HMAC-SHA256(course key, "dgmlab-draw/1" | homework | file name | SHA-256 of the file)

(modulo 2**31), with the course's secret key ``.dgmlab/draw.key`` (made on first use, like the pseudonym key; or
``DGMLAB_DRAW_KEY``, hex, where set: tests and the demo). Without the key the seed cannot be known in advance,
and any change to the file gives another, unrelated seed, so neither tuning nor choosing among files helps.
Regrading the same file gives the same seed, so a grade is repeatable; the key's fingerprint is part of every
grading's key (:func:`.keys.homework_digest`), so a new key grades anew.

The seeds travel to the grading worker's judge (``JudgeTests.draw_seeds``, JSON ``{file name: {"sha256", "seed"}}``;
the key never leaves this machine), never to the kernel that runs the student's code. The bars were calibrated on draws with seeds other than 0 (19 of 20 draws of a correct run clear
them), which is what the graded draw now is. docs/autograder.md, "The graded draws' seeds".
"""
from __future__ import annotations

import hashlib
import hmac

from ... import weights_files
from ..copies.networks import NotFinite
from ..copies.shared_weights import MAX_BYTES, published_copy

DOMAIN = b"dgmlab-draw/1"


def fingerprint(key: bytes) -> str:
    """A public name of ``key`` (it reveals nothing of it): part of every grading's key, so a new key regrades."""
    return hmac.new(key, DOMAIN + b"\0fingerprint", hashlib.sha256).hexdigest()[:16]


def seed(key: bytes, hw: str, name: str, digest: str) -> int:
    """The graded draw's seed for the file ``name`` (its SHA-256 ``digest``) of homework ``hw``."""
    msg = b"\0".join([DOMAIN, hw.encode(), name.encode("utf-8", "surrogateescape"), digest.encode()])
    return int.from_bytes(hmac.new(key, msg, hashlib.sha256).digest()[:4], "big") % 2**31


def probe_seed(key: bytes, hw: str, notebook: bytes) -> int:
    """The seed of the inputs a submission's check() test cells are judged on (:mod:`dgmlab.grading.judge.judge`):
    unknown before grading without the key, the same on every regrade of the same notebook."""
    return seed(key, hw, "check-inputs", hashlib.sha256(notebook).hexdigest())


MAX_FILES = 64  # weights files given a seed per submission at most (the environment variable stays small)


def seeds_for(key: bytes, hw: str, files: dict, published=()) -> dict:
    """``{file name: {"sha256", "seed"}}`` for the weights files (``*weights.pt``) at the top of a submission
    (``files``: its ``{relative path: bytes}``; the first :data:`MAX_FILES` by name).

    A file under the name of one of the weights the course kit publishes (the names its trained cells read; only
    those are compared, so that a submission of many other ``*weights.pt`` files costs the class nothing) that is a
    copy of one of them (``published``, from
    :func:`dgmlab.grading.copies.shared_weights.published_weights`, or a function giving them, called only when a
    file is to be compared with them): the same bytes, the same weights, or a network that
    computes the same outputs (hidden units permuted or rescaled; :func:`~dgmlab.grading.copies.shared_weights.published_copy`)
    also gets ``"refused"``: the reason its graded cell gives instead of grading it, since it is not a network the
    student trained.

    A file this process will not unpickle (:mod:`dgmlab.weights_files`: a zip bomb, a view that repeats a
    few numbers into gigabytes) gets ``"refused"`` with what is wrong with it: only that file's cells earn nothing,
    and nothing of it is unpickled here. So does one whose network gives NaN or inf on any input the copy check
    draws from the course key (:class:`~dgmlab.grading.copies.networks.NotFinite`: the message names the inputs),
    where it is compared with the kit's files."""
    return copies_refused(file_seeds(key, hw, files), files, published)


def file_seeds(key: bytes, hw: str, files: dict) -> dict:
    """``{file name: {"sha256", "seed"[, "refused"]}}`` for the weights files at the top of a submission (the first
    :data:`MAX_FILES` by name), with ``"refused"`` for a file this process will not unpickle: the seeds alone, no
    file compared with the kit's (:func:`copies_refused` does that)."""
    out = {}
    for rel, data in sorted(files.items()):
        if "/" not in rel and rel.endswith("weights.pt") and len(out) < MAX_FILES:
            digest = hashlib.sha256(data).hexdigest()
            out[rel] = {"sha256": digest, "seed": seed(key, hw, rel, digest)}
            if len(data) > MAX_BYTES:
                continue  # not read here: the graded cell refuses it by its own, smaller size limit
            try:
                weights_files.check(data, rel, MAX_BYTES)  # cheap, nothing unpickled: with or without the kit's files
            except weights_files.RefusedFile as exc:
                out[rel]["refused"] = str(exc)
    return out


def copies_refused(seeds: dict, files: dict, published) -> dict:
    """``seeds`` (:func:`file_seeds` of ``files``) with ``"refused"`` added to each file under a published file's name
    that copies it, or whose network gives NaN or inf on the copy check's inputs (see :func:`seeds_for`);
    ``published`` is called, when a function, only once a file is to be compared."""
    out = {rel: dict(entry) for rel, entry in seeds.items()}
    for rel, entry in out.items():
        if "refused" in entry or len(files[rel]) > MAX_BYTES:
            continue
        try:
            if callable(published):
                published = published()
            graded = rel in {p.rsplit("/", 1)[-1] for p, _ in published}  # a name a trained cell reads
            source = published_copy(files[rel], published, rel) if graded else None
        except (weights_files.RefusedFile, NotFinite) as exc:  # not unpickled, or NaN or inf on the grader's inputs
            entry["refused"] = str(exc)
            continue
        if source is not None:
            entry["refused"] = refusal(rel, source)
    return out


def refusal(name: str, source: str) -> str:
    """What the graded cell says of a handed-in file that copies the kit's published ``source``."""
    return (f"{name} holds the course kit's published {source} or a network made from it, not one your training "
            "made from its own start: "
            f"only weights you trained are graded. Train in full mode and hand in the {name} it writes (if your own "
            "run made this file, for example with DGMLAB_SEED set to the kit's seed, tell your instructor)")

