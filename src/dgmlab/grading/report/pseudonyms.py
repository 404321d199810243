"""Stable pseudonyms for a class's data (the anonymized dashboard): a keyed hash of each student id."""
from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from ..layout import Course
from .class_data import CellResult, ClassData, RosterEntry, Submission

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


def anonymize(data: ClassData, names: dict) -> ClassData:
    """A copy of ``data`` with every student id replaced by ``names[id]`` and the roster's names dropped."""
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in sorted(names, key=len, reverse=True))
                         + r")(?![\w-])") if names else None

    def scrub(text):
        return pattern.sub(lambda m: names[m.group(0)], text) if (pattern and text) else text

    def cell(c):
        d = asdict(c)
        d.update(student=names[c.student], reason=scrub(c.reason),
                 failed=[(n, scrub(m)) for n, m in c.failed])
        return CellResult(**d)

    def sub(s):
        d = asdict(s)
        d.update(student=names[s.student], reason=scrub(s.reason), late=s.late)  # asdict made late a dict
        return Submission(**d)

    roster = {names[k]: RosterEntry(names[k]) for k in data.roster if k in names}
    return ClassData(data.hws, roster, [cell(c) for c in data.cells], [sub(s) for s in data.submissions],
                     data.cell_order, data.max_score, [scrub(p) for p in data.problems])
