"""Stable pseudonyms for a class's data (the anonymized dashboard): :class:`..student_pseudonyms.Pseudonyms`, and
:func:`anonymize` to put them in place of the ids."""
from __future__ import annotations

import re
from dataclasses import asdict

from ..student_pseudonyms import KEY_FILE, Pseudonyms
from .class_data import CellResult, ClassData, RosterEntry, Submission

__all__ = ["KEY_FILE", "Pseudonyms", "anonymize"]


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
