"""Stable pseudonyms ``student-7f3a`` for the course's students: the anonymized dashboard and the grading pages
call each student by one, the same everywhere."""
from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from pathlib import Path

from .layout import Course

KEY_FILE = Path(".dgmlab") / "pseudonym.key"


class Pseudonyms:
    """Stable pseudonyms ``student-7f3a``: a keyed hash (HMAC-SHA256) of the student id.

    The key lives in ``.dgmlab/pseudonym.key`` (made on first use, readable by
    you only), so the same student gets the same pseudonym in every report of
    the course and nobody without the key can recompute it from a roster.
    """

    def __init__(self, key: bytes):
        self.key = key

    @classmethod
    def for_course(cls, course: Course) -> "Pseudonyms":
        return cls(course.secret("pseudonym"))  # KEY_FILE

    def digest(self, sid: str) -> str:
        return hmac.new(self.key, sid.encode("utf-8"), hashlib.sha256).hexdigest()

    def mapping(self, ids) -> dict:
        """``{id: pseudonym}``: 4 hex digits, more for ids whose first digits collide."""
        ids = sorted(set(ids))
        full = {sid: self.digest(sid) for sid in ids}
        out, n = {}, 4
        while len(out) < len(ids):
            counts = Counter(h[:n] for h in full.values())
            for sid in ids:
                if sid not in out and counts[full[sid][:n]] == 1:
                    out[sid] = f"student-{full[sid][:n]}"
            n += 2
        return out
