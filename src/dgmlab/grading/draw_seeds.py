"""The noise seeds of the graded draws: secret until grading, and bound to the file handed in.

hw1, hw2 and hw4 grade a generator by drawing samples from its weights (``dgmlab.artifacts.draw_seed``). While a
student works the draw uses noise seed 0, so the score they see is the one anyone can repeat. A public seed lets
a student tune the weights so that exactly that noise gives chosen images (the best of their generator's, say),
or retrain until that one draw is lucky. So ``dgmlab autograde`` draws with another seed: for each ``.pt`` file
at the top of the submission folder,

    seed = first 4 bytes of HMAC-SHA256(course key, "dgmlab-draw/1" | homework | file name | SHA-256 of the file)

(modulo 2**31), with the course's secret key ``.dgmlab/draw.key`` (made on first use, like the pseudonym key; or
``DGMLAB_DRAW_KEY``, hex, where set: tests and the demo). Without the key the seed cannot be known in advance,
and any change to the file gives another, unrelated seed, so neither tuning nor choosing among files helps.
Regrading the same file gives the same seed, so a grade is repeatable.

The seeds travel to the grading kernel as ``DGMLAB_DRAW_SEEDS`` (JSON ``{file name: {"sha256", "seed"}}``, the
key never leaves this machine), which ``dgmlab.runtime`` reads once at import, in the setup cell before any
student code. The bars were calibrated on draws with seeds other than 0 (19 of 20 draws of a correct run clear
them), which is what the graded draw now is.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os

from ..runtime import DRAW_SEEDS_ENV
from .course import Course, CourseError

KEY_NAME = "draw"  # .dgmlab/draw.key
KEY_ENV = "DGMLAB_DRAW_KEY"
DOMAIN = b"dgmlab-draw/1"


def course_key(course: Course) -> bytes:
    """``DGMLAB_DRAW_KEY`` (hex) when set, else the course's ``.dgmlab/draw.key`` (made on first use)."""
    text = os.environ.get(KEY_ENV, "").strip()
    if not text:
        return course.secret(KEY_NAME)
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise CourseError(f"{KEY_ENV} is not hex: set it to a hex string (e.g. 64 hex digits) or unset it to use "
                          f".dgmlab/{KEY_NAME}.key") from None


def seed(key: bytes, hw: str, name: str, digest: str) -> int:
    """The graded draw's seed for the file ``name`` (its SHA-256 ``digest``) of homework ``hw``."""
    msg = b"\0".join([DOMAIN, hw.encode(), name.encode("utf-8", "surrogateescape"), digest.encode()])
    return int.from_bytes(hmac.new(key, msg, hashlib.sha256).digest()[:4], "big") % 2**31


def seeds_for(key: bytes, hw: str, files: dict) -> dict:
    """``{file name: {"sha256", "seed"}}`` for the ``.pt`` files at the top of a submission (``files``: its
    ``{relative path: bytes}``)."""
    out = {}
    for rel, data in files.items():
        if "/" not in rel and rel.endswith(".pt"):
            digest = hashlib.sha256(data).hexdigest()
            out[rel] = {"sha256": digest, "seed": seed(key, hw, rel, digest)}
    return out


def environment(seeds: dict) -> dict:
    """The environment entry that hands ``seeds`` to the grading kernel."""
    return {DRAW_SEEDS_ENV: json.dumps(seeds, sort_keys=True)}
