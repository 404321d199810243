"""The name a homework asks the handed-in notebook to have, checked at ``dgmlab collect`` and reported, never refused.

Every homework asks for its own notebook's name, ``<hw>.ipynb``, unless the course says otherwise: hw5's handout
(Toronto, Crowdmark) asks for ``<Lastname>_<Firstname>_Assgn2.ipynb``, the names as the LMS shows
them. The rule of each homework is the course setting ``c.DgmlabCollect.notebook_names`` (:mod:`.intake`): a
pattern in which ``<Lastname>`` and ``<Firstname>`` stand for the student's names in nbgrader's student table.
``dgmlab collect`` compares the name the student gave their notebook (the LMS's ``-1``/`` (1)`` of a repeated
upload dropped) with the pattern filled in, case-insensitively (a name's spaces may also be left out:
``De Souza`` as ``DeSouza``). The notebook is placed as ``<hw>.ipynb`` whatever its name; a name that differs is
listed by collect ("named X, the homework asks for Y") and kept in ``.dgmlab/hand_in_names/<hw>.json`` (the
students of the latest collect of each), which ``dgmlab report`` lists (:func:`report_lines`).
"""
from __future__ import annotations

import re

from ..inert import terminal
from ..term import timestamp_file
from . import hand_in_records as HIR

PLACEHOLDER = re.compile(r"<([^<>]*)>")
FIELDS = {"lastname": "last", "yourlastname": "last", "firstname": "first", "yourfirstname": "first"}


class NameRuleError(ValueError):
    """A ``notebook_names`` pattern with a placeholder other than ``<Lastname>`` and ``<Firstname>``."""


def rule_of(names: dict, hw: str) -> str | None:
    """The pattern ``names`` (``c.DgmlabCollect.notebook_names``) gives homework ``hw``: by its id, else by the
    id's prefix before ``_`` (``hw5`` for ``hw5_explicit``), else the homework's own notebook name ``<hw>.ipynb``
    (the name the release notebook has and ``dgmlab.check()`` tells students); None (no rule) when it is set
    to ``""``."""
    pattern = names.get(hw, names.get(hw.split("_")[0], f"{hw}.ipynb"))
    if not pattern:
        return None
    bad = [m.group(0) for m in PLACEHOLDER.finditer(pattern) if re.sub(r"[\s_-]", "", m.group(1).lower()) not in FIELDS]
    if bad:
        raise NameRuleError(f"c.DgmlabCollect.notebook_names[{hw!r}] = {pattern!r}: {', '.join(bad)} is not "
                            "<Lastname> or <Firstname>: fix it in nbgrader_config.py")
    return pattern


def asked_names(pattern: str, first: str, last: str) -> list:
    """The names ``pattern`` asks of a student called ``first`` ``last``: the first is the one to show; the others
    leave a name's spaces out."""
    def fill(drop_spaces: bool) -> str:
        def one(m):
            value = {"first": first, "last": last}[FIELDS[re.sub(r"[\s_-]", "", m.group(1).lower())]]
            return value.replace(" ", "") if drop_spaces else value
        return PLACEHOLDER.sub(one, pattern)
    return list(dict.fromkeys([fill(False), fill(True)]))


def check(named: str, pattern: str, first: str | None, last: str | None) -> str:
    """``""`` when the notebook name ``named`` is what ``pattern`` asks of the student ``first`` ``last``, else
    what differs, in words (a pattern with ``<Lastname>`` or ``<Firstname>`` needs the names in the roster:
    without them it says the name was not checked)."""
    if PLACEHOLDER.search(pattern) and not (first and last):
        return (f"named {named}; the homework asks for {pattern}, not checked: nbgrader's student table has no first "
                "and last name for this student")
    asked = asked_names(pattern, (first or "").strip(), (last or "").strip())
    if named.casefold() in {a.casefold() for a in asked}:
        return ""
    return f"named {named}, the homework asks for {asked[0]}"


KIND = "hand_in_names"


def record(course, hw: str, results: dict) -> None:
    """Keep ``{student: what differs ("" when the name is right)}`` of one collect (:mod:`.hand_in_records`)."""
    HIR.record(course, KIND, hw, results)


def read(course, hw: str) -> dict:
    return HIR.read(course, KIND, hw)


FORMATTING = "hand-in formatting"  # the adjustment's name (dgmlab.grading.hand.adjustments)


def breaches(course, hw: str) -> dict:
    """``{student: what breaks hw's hand-in rules}`` as the latest collect found them: the notebook's name (one
    that could not be checked is not a breach) and the report PDF (:mod:`.hand_in_rules`)."""
    from . import hand_in_rules

    out: dict = {}
    for source in (read(course, hw), hand_in_rules.read(course, hw)):
        for sid, why in source.items():
            if why and not re.search(r"\bnot checked\b", why):
                out.setdefault(sid, []).append(why)
    return {sid: "; ".join(whys) for sid, whys in out.items()}


def _in_gradebook(course) -> set:
    """The homeworks nbgrader's gradebook has (none without one)."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        return set()
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        return {a.name for a in gb.assignments}


def apply_deductions(course, hws, deductions: dict) -> list:
    """Each homework of ``hws`` with an amount in ``deductions`` (``c.DgmlabHandIn.format_deductions``, by id or
    prefix) gets its :data:`FORMATTING` adjustment (on its first written cell) made to match :func:`breaches`, and
    one without an amount loses any it had; returns a line per change (inert for a terminal), under a heading."""
    from ..hand import adjustments as ADJ
    from ..hand.rubrics import written_cells

    out, graded = [], _in_gradebook(course)
    for hw in hws:
        amount = deductions.get(hw, deductions.get(hw.split("_")[0]))
        if hw not in graded or (not amount and not ADJ.read(course, hw)):
            continue  # a homework not autograded yet has no mark to take points from
        cells = written_cells(course, hw)
        if not cells:
            out.append(f"{hw}: no written (hand-graded) cell to hold the {FORMATTING} deduction: none taken")
            continue
        out += ADJ.apply(course, hw, cells[0].grade_id, FORMATTING, -abs(float(amount or 0)), breaches(course, hw))
    return (["hand-in formatting deductions (c.DgmlabHandIn.format_deductions, as the handout announces them):"]
            + [terminal(f"  {line}") for line in out]) if out else []


def report_lines(course, hws) -> list:
    """``dgmlab report``'s hand-in lines: one per student whose notebook of one of ``hws`` was not named as the
    homework asks (made inert for a terminal), with a heading; each submission whose ``timestamp.txt`` nbgrader
    misreads (:mod:`dgmlab.grading.term.timestamp_file`); then the report PDFs not handed in as asked
    (:mod:`.hand_in_rules`). Lists only: :func:`deduct` applies the deductions."""
    from . import hand_in_rules

    out = []
    for hw in hws:
        for student, why in read(course, hw).items():
            if why:
                out.append(terminal(f"  {hw} {student}: {why}"))
    out = (["notebooks not named as the homework asks (dgmlab collect checked them; each was graded as "
            "<hw>.ipynb):"] + out) if out else []
    times = [terminal(f"  {hw} {sid}: {why}") for hw, sid, why in timestamp_file.problems(course, hws)]
    if times:
        out += ["submission times nbgrader misreads (timestamp.txt; dgmlab autograde grades none of these):"] + times
    return out + hand_in_rules.report_lines(course, hws)


def deduct(course, hws) -> list:
    """``dgmlab report``'s step before the marks are read: the formatting deductions the course sets
    (``c.DgmlabHandIn.format_deductions``) applied to ``hws`` by :func:`apply_deductions`; its lines."""
    from . import hand_in_rules

    return apply_deductions(course, hws, dict(course.settings(hand_in_rules.DgmlabHandIn).format_deductions))
