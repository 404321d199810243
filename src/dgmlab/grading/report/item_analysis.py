"""Item analysis of a homework: how hard each check and rubric item is, and whether it separates the students who
did the homework well from those who did not; a check that does not (a broken test, a rubric item applied at
random) is flagged for the instructor to look at.

**Items.** Each autograded test (a ``test_*`` check of a test cell, as the judge's ``passed test_x`` / ``FAILED
test_x`` lines name it: 1 passed, 0 failed), or, for a cell whose checks are not named, the cell itself (its share of
the cell's points); each rubric item of a written answer (:mod:`dgmlab.grading.hand.rubrics`), oriented so that
higher is better: a credit item scores 1 where applied, a deduction (negative points) scores 1 where *not* applied
(the student did not lose those points); 0-point items (e.g. "no answer") give no points either way and are left
out. A written answer without a rubric is one item, its share of the cell's points.

**Who counts.** Graded submissions only (a mark in the gradebook). A check counts the students it judged: where it
printed no line (a blank answer, a cell that raised before its checks ran) it never saw the answer, and a 0 there
would credit the check with separating a blank submission from the rest (one blank submission in the demo's class
of twelve lifts every check's discrimination to about 0.9 and hides an inverted check). A rubric item counts the
students graded with the rubric on its question (any item applied); a student whose answer is still to grade is not
a 0.

**Difficulty** ``p``: the mean item score, the share of students who got it (1: everyone).

**Discrimination**: the corrected item-total correlation of classical test theory (Henrysson, S. (1963),
"Correction of item-total correlations in item analysis", Psychometrika 28, 211-218; Crocker & Algina (1986),
*Introduction to Classical and Modern Test Theory*, ch. 14): the Pearson correlation (the point-biserial for a
pass/fail item, :func:`scipy.stats.pearsonr`) between the item score and the student's *rest score*, the homework's
points without the item's own. The points a check earns are the judge's to split within its cell, so the rest score
leaves out the item's whole graded cell: exactly the item's own points where a cell holds one check, and otherwise
the checks graded with it too, which would inflate the correlation through the shared answer. A cell still to grade
by hand for any student compared is left out of every compared student's rest score (never counted as 0).

**Flags.** Every item below :data:`NEAR_ZERO` = 0.1 is flagged: "negative" below -0.1 (strong students fail the
item, weak ones pass it: an inverted or broken check, a wrong reference), "near zero" between -0.1 and 0.1 (the item
does not separate at all: a check that passes or fails at random, a flaky tolerance, a rubric item applied
inconsistently; a sign that small says nothing). Ebel's guidelines (Ebel &
Frisbie (1991), *Essentials of Educational Measurement*) call an item below 0.20 poor; the corrected correlation runs
lower than the uncorrected one Ebel rated and a class is small (the standard error of ``r`` is about 1/sqrt(n), 0.2
at 25 students), so only items under 0.1 are flagged: those that do not separate, not those merely marginal.
An item everyone or nobody gets is "no information" (nothing to correlate), never flagged; below
:data:`MIN_STUDENTS` students no discrimination is given at all ("too few students"): the standard error is then
1/3 or more, and a flag would be noise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..html_text import render as render_template
from ..inert import terminal
from .class_data import ClassData

MIN_STUDENTS = 10  # fewer: the correlation's standard error (about 1/sqrt(n)) is 1/3 or more, no flag is given
NEAR_ZERO = 0.1  # flagged below this, "negative" below minus this: see the module's docstring (Ebel: poor < 0.2)
NEGATIVE = "negative: strong students fail it, weak pass"
FLAT = "near zero: does not separate strong students from weak"
DOCS = "docs/dashboard.md, \"Item analysis\""


@dataclass(frozen=True)
class ItemResult:
    """One item of one homework: who it counted, its difficulty and discrimination, its flag and why."""

    hw: str
    cell: str  # the grade cell it belongs to
    item: str  # the test's name, the rubric item's id and text, or "" for the whole cell
    kind: str  # "test", "rubric" or "cell" (a cell scored by its points: no named checks, no rubric)
    n: int  # students counted
    difficulty: float | None  # mean item score, the share who got it; None with no student
    discrimination: float | None  # corrected item-total correlation; None where it says nothing (see note)
    flag: str = ""  # "negative" or "near zero" ("" when not flagged)
    note: str = ""  # why there is no discrimination, or what the flag means

    @property
    def label(self) -> str:
        return f"{self.cell} {self.item}" if self.item else self.cell

    @property
    def flagged(self) -> bool:
        return bool(self.flag)


def corrected_item_total(item, rest) -> float | None:
    """The Pearson correlation of ``item`` scores with the ``rest`` scores (each student's total without the item),
    or ``None`` where either does not vary (a correlation is then undefined)."""
    item, rest = np.asarray(item, dtype=float), np.asarray(rest, dtype=float)
    if item.size < 2 or np.ptp(item) == 0 or np.ptp(rest) == 0:
        return None
    return float(stats.pearsonr(item, rest).statistic)


def _judge(hw, cell, item, kind, scores: dict, rest: dict, min_students: int) -> ItemResult:
    """The result of one item from ``scores`` (student -> item score) and ``rest`` (student -> rest score)."""
    who = sorted(scores)
    n = len(who)
    x = np.array([scores[s] for s in who], dtype=float)
    p = float(np.mean(x)) if n else None
    base = dict(hw=hw, cell=cell, item=item, kind=kind, n=n, difficulty=p, discrimination=None)
    if n < min_students:
        return ItemResult(**base, note=f"too few students ({n} graded; {min_students} needed)")
    if np.ptp(x) == 0:
        what = "everyone got it" if p >= 1 else "nobody got it" if p <= 0 else "every student scored the same"
        return ItemResult(**base, note=f"no information: {what}")
    r = corrected_item_total(x, [rest[s] for s in who])
    if r is None:
        return ItemResult(**base, note="no information: the rest of the homework does not vary")
    base["discrimination"] = r
    if r < -NEAR_ZERO:
        return ItemResult(**base, flag="negative", note=NEGATIVE)
    if r < NEAR_ZERO:
        return ItemResult(**base, flag="near zero", note=FLAT)
    return ItemResult(**base)


def _rest(points: dict, layout: list, own: str, who) -> dict:
    """student -> the points of every cell but ``own`` graded for all of ``who`` (``points``: (student, cell) ->
    points, None while not graded)."""
    cells = [c for _, c, _, _ in layout if c != own and all(points.get((s, c)) is not None for s in who)]
    return {s: sum(points[(s, c)] for c in cells) for s in who}


def _test_names(results: list) -> list:
    """The checks the cell's results name, in the order first seen."""
    names = []
    for c in results:
        for n in [*c.visible, *c.hidden, *c.passed, *(name for name, _ in c.failed)]:
            if n not in names:
                names.append(n)
    return names


def _share(points: float, max_points: float) -> float:
    return points / max_points if max_points > 0 else 0.0


def _test_items(cell: str, max_points: float, results: list) -> list:
    """``[(item, kind, {student: score})]`` of an autograded cell: a 0/1 item per named check, over the students it
    judged (see the module's docstring: a check that did not run says nothing about the check), else the cell."""
    names = _test_names(results)
    if not names:
        return [("", "cell", {c.student: _share(c.points, max_points) for c in results})]
    items = []
    for name in names:
        scores = {}
        for c in results:
            if name in c.passed:
                scores[c.student] = 1.0
            elif name in {n for n, _ in c.failed}:
                scores[c.student] = 0.0
        items.append((name, "test", scores))
    return items


def _rubric_items(question, graded: set, names: dict) -> list:
    """``[(item, kind, {student: score})]`` of a rubric question, over the ``graded`` students it was applied to
    (``names``: real id -> the id ``data`` uses); higher is better, 0-point items left out."""
    applied = {names.get(s, s): set(a.items) for s, a in question.applied.items() if a.items}
    applied = {s: got for s, got in applied.items() if s in graded}
    items = []
    for it in question.items:
        if not it.points:
            continue
        credit = it.points > 0
        scores = {s: float((it.id in got) == credit) for s, got in applied.items()}
        points = f"+{it.points:g}" if credit else f"{it.points:g}"
        items.append((f"{it.id} ({points}) {it.text}", "rubric", scores))
    return items


def analyze(data: ClassData, hw: str, rubric=None, names: dict | None = None,
            min_students: int = MIN_STUDENTS) -> list:
    """Every item of ``hw`` (:class:`ItemResult`, in the homework's cell order): its tests from ``data``, and the
    items of ``rubric`` (a :class:`dgmlab.grading.hand.rubrics.Rubric`, its students' real ids; ``names`` maps them
    to the ids ``data`` uses when anonymized)."""
    graded = {s.student for s in data.graded(hw)}
    results = [c for c in data.cells_of(hw) if c.student in graded]
    points = {(c.student, c.cell): c.points for c in results}
    questions = rubric.questions if rubric is not None else {}
    out = []
    for _, cell, max_points, kind in data.cell_order.get(hw, []):
        mine = [c for c in results if c.cell == cell and c.points is not None]
        if kind == "manual" and cell in questions:
            items = _rubric_items(questions[cell], graded, names or {})
        elif kind == "manual":
            items = [("", "cell", {c.student: _share(c.points, max_points) for c in mine
                                   if not c.needs_manual})]
        else:
            items = _test_items(cell, max_points, mine)
        for item, item_kind, scores in items:
            rest = _rest(points, data.cell_order[hw], cell, scores)
            out.append(_judge(hw, cell, item, item_kind, scores, rest, min_students))
    return out


def for_course(course, data: ClassData, hw: str, names: dict | None = None) -> list:
    """:func:`analyze` with the homework's rubric file, when it has one (``rubrics/<hw>.json``)."""
    from ..hand import rubrics

    rubric = rubrics.load(course, hw, create=False) if rubrics.path(course, hw).exists() else None
    return analyze(data, hw, rubric, names)


def html_section(course, data: ClassData, hw: str, names: dict | None = None):
    """The dashboard's item analysis of ``hw`` (``templates/dashboard/item_analysis.html.j2``, autoescaped)."""
    results = for_course(course, data, hw, names)
    return render_template("item_analysis.html.j2", hw=hw, results=results, min_students=MIN_STUDENTS,
                           near_zero=NEAR_ZERO, flagged=sum(r.flagged for r in results))


def report_lines(course, data: ClassData) -> list:
    """``dgmlab report``'s block: the flagged items of every homework, and the homeworks with too few students for
    any discrimination; each line inert."""
    flagged, few = [], []
    for hw in data.hws:
        results = for_course(course, data, hw)
        if results and all(r.note.startswith("too few") for r in results):
            few.append(f"  {hw}: too few students for item analysis ({len(data.graded(hw))} graded; "
                       f"{MIN_STUDENTS} needed)")
        flagged += [r for r in results if r.flagged]
    groups: dict = {}  # the checks of one cell that the same students passed: one line
    for r in flagged:
        key = (r.hw, r.cell, r.kind, r.n, round(r.difficulty, 2), round(r.discrimination, 2), r.note)
        groups.setdefault(key, []).append(r.item)
    lines = [f"  {hw} {cell} {', '.join(items)} ({kind}): discrimination {r:.2f}, p {p:.2f}: {note}"
             for (hw, cell, kind, _, p, r, note), items in groups.items()]
    head = (f"\nitem analysis: {len(flagged)} item{'s' if len(flagged) != 1 else ''} flagged (a reason to look at "
            f"the check; {DOCS})")
    return [head] + [terminal(line) for line in lines + few]
