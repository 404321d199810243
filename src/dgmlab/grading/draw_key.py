"""The course's draw key: the secret every input the grader draws comes from, the graded draws' seeds
(:mod:`dgmlab.grading.autograde.draw_seeds`) and the copy check's inputs (:mod:`dgmlab.grading.copies.networks`).

It is ``.dgmlab/draw.key`` in the course (made on first use, like the pseudonym key) or ``DGMLAB_DRAW_KEY`` (hex)
where set: tests and the demo. It stays on the instructor's machine: grading workers get seeds drawn from it, never
the key, and nothing a student's notebook imports reads it (the kernel side never imports the grader), so neither
the release nor Colab can compute what the grader draws. Here, below both users, so that the copy check (a lower
layer than autograde) reads the same key.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os

from .layout import Course, CourseError

log = logging.getLogger(__name__)

KEY_NAME = "draw"  # .dgmlab/draw.key
KEY_ENV = "DGMLAB_DRAW_KEY"


def course_key(course: Course) -> bytes:
    """``DGMLAB_DRAW_KEY`` (hex) when set, else the course's ``.dgmlab/draw.key`` (made on first use)."""
    text = os.environ.get(KEY_ENV, "").strip()
    if not text:
        return course.secret(KEY_NAME, on_create=lambda path: log.warning(
            f"dgmlab: made {path}, the secret the graded draws' seeds come from: back it up with the gradebook "
            "and never hand it out (docs/autograder.md)"))
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise CourseError(f"{KEY_ENV} is not a key of at least 32 hex digits: set it to one (e.g. 64 hex digits) "
                          f"or unset it to use .dgmlab/{KEY_NAME}.key")
    return key


def derived(key: bytes, domain: bytes) -> bytes:
    """A key of its own for one use of the draw key (``domain`` names the use): 32 bytes that tell nothing of
    ``key`` or of another use's."""
    return hmac.new(key, domain, hashlib.sha256).digest()
