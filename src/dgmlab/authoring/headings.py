"""The points a statement's headings state, checked against the graded cells they cover.

A homework's points are typed once, in its folder: a test cell is worth its tests' ``@points`` summed
(``checks/points.json``, :func:`dgmlab.probes.derive_points`), a written cell its header's ``points=``. The statement
repeats them for the student, in headings (``## Q1. Change of variables (30 points)``, ``### Q1(a) (5 points):
...``) and in lead-ins, emphasis that opens a paragraph (``**(a) (4 points)** ...``, ``*Losses (5 points).*``).
:func:`problems` checks each such number against the cells it covers, so a changed ``@points`` fails the build
naming the heading instead of building a notebook whose statement says otherwise:

- a heading covers its section, the graded cells up to the next heading of its level or above, or up to a
  lead-in met once their points reach its number (a part of its own, as a written report after a ``###`` section);
- a lead-in covers the graded cells after it until their points reach its number; a heading ends it sooner;
- lead-ins that each state less than the graded cell after them are its parts (a written answer's (a), (b), ...):
  together they state its points.

``(3 + 5 points)`` states 8. Numbers in running prose, and in a written cell's model answer, are not checked (the
introduction's totals are filled in from the cells: ``{AUTO}``, ``{HIDDEN}``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from dgmlab.probes.points import fmt

HEADING = re.compile(r"^(#{1,6})\s")
CLAIM = re.compile(r"\((\d+(?:\.\d+)?(?:\s*\+\s*\d+(?:\.\d+)?)*)\s+points?\b[^)]*\)")
LEAD_IN = re.compile(r"^(\*\*?)(?!\s)(.+?)\1")  # the emphasised words that open a paragraph: **(a) (4 points)**
EPS = 1e-9


@dataclass
class Claim:
    """A heading or lead-in stating points: where it is, its text, its level (lead-ins below every heading)."""

    where: str
    text: str
    level: int
    says: float
    cells: list = field(default_factory=list)  # (grade_id, points) of the graded cells it covers


def _says(text: str) -> float | None:
    found = CLAIM.search(text)
    return None if found is None else sum(float(term) for term in found[1].split("+"))


def _events(cells, origins) -> list:
    """The notebook as a list of headings (``Claim``, ``says`` None when it states no points), lead-ins
    (``Claim``, level 7: emphasis opening a paragraph of a statement cell) and graded cells (``(grade_id, points)``),
    in order."""
    events = []
    for index, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            events.append((meta["grade_id"], meta.get("points", 0)))
            continue
        if cell.cell_type != "markdown":
            continue
        path, line = origins[index] if index < len(origins) and origins[index] else (f"cell {index}", None)
        lines = cell.source.splitlines()
        for k, text in enumerate(lines):
            where = f"{path}:{line + 1 + k}" if line is not None else path
            heading = HEADING.match(text)
            if heading:
                events.append(Claim(where, text.strip(), len(heading[1]), _says(text)))
            elif (k == 0 or not lines[k - 1].strip()) and (lead := LEAD_IN.match(text)) and _says(lead[2]) is not None:
                events.append(Claim(where, lead[0], 7, _says(lead[2])))
    return events


def _part_of(events: list, i: int) -> int | None:
    """The index of the graded cell lead-in ``i`` is a part of: the first graded cell after it, when that is worth more
    than the lead-in says (a written answer's (a), (b), ...); ``None`` when a heading comes first or it is not."""
    for j in range(i + 1, len(events)):
        if isinstance(events[j], Claim):
            if events[j].level < 7:
                return None
            continue
        return j if events[j][1] > events[i].says + EPS else None
    return None


def _cover(claim: Claim, after: list) -> None:
    """Give ``claim`` the graded cells it covers among the events ``after`` it."""
    total = 0.0
    for event in after:
        if isinstance(event, Claim):
            if event.level <= min(claim.level, 6):  # a heading ends a section of its level or below, and any lead-in
                return
            if event.level == 7 and total >= claim.says - EPS:  # a lead-in once they are reached: the next part
                return
            continue
        claim.cells.append(event)
        total += event[1]
        if claim.level == 7 and total >= claim.says - EPS:
            return


def _parts_problem(events: list, i: int, cell: int, parts: list) -> str | None:
    """Whether the lead-ins ``parts`` (from ``i`` on) of graded cell ``cell`` add up to it."""
    says, (grade_id, worth) = sum(events[j].says for j in parts), events[cell]
    if abs(says - worth) <= EPS:
        return None
    return (f"{events[i].where}: {', '.join(repr(events[j].text) for j in parts)}, parts of {grade_id}, say "
            f"{' + '.join(fmt(events[j].says) for j in parts)} = {fmt(says)} points; {grade_id} is worth {fmt(worth)}: "
            f"make the parts add up to {fmt(worth)}, or change its points")


def claims(cells, origins=()) -> list[Claim]:
    """The headings and lead-ins of ``cells`` that state points, in order (``origins``: as :func:`problems`)."""
    return [event for event in _events(cells, origins) if isinstance(event, Claim) and event.says is not None]


def problems(cells, origins=()) -> list[str]:
    """What is wrong with the points the headings and lead-ins of ``cells`` state, one message each (none: all
    agree). ``origins[i]``: ``(file, line of the cell's header)`` of cell ``i``, to name where a heading is."""
    events = _events(cells, origins)
    found, done = [], set()
    for i, claim in enumerate(events):
        if not isinstance(claim, Claim) or claim.says is None or i in done:
            continue
        cell = _part_of(events, i) if claim.level == 7 else None
        parts = [j for j in range(i, cell or i) if isinstance(events[j], Claim) and _part_of(events, j) == cell]
        if len(parts) > 1:  # a written answer's (a), (b), ...: one cell's points between them
            done.update(parts)
            found.append(_parts_problem(events, i, cell, parts))
            continue
        _cover(claim, events[i + 1:])
        worth = sum(points for _, points in claim.cells)
        if abs(worth - claim.says) > EPS:
            covered = ", ".join(f"{grade_id} {fmt(points)}" for grade_id, points in claim.cells) or "no graded cell"
            found.append(f"{claim.where}: {claim.text!r} says {fmt(claim.says)} points; the cells it covers are worth "
                         f"{fmt(worth)} ({covered}): write {fmt(worth)} there, or change the points of those cells "
                         "(their tests' @points, a written cell's points=)")
    return [message for message in found if message]
