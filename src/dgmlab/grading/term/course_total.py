"""A student's course total from their homework marks: weights, excused homeworks, letter cutoffs.

Pure: the marks come in as :class:`Mark` (what the final-mark step said of one homework: a mark, excused,
pending, or missing), the rules as :class:`~dgmlab.grading.term.term_rules.TermRules`.

- Each homework counts as its mark over its maximum, times its weight; the total is in percent of the weights
  that count: ``100 * sum(w * mark / max) / sum(w)``. An excused homework is left out of both sums, so the
  other weights are renormalised over what counts (weights 1, 1, 2 with the first excused: 1/3 and 2/3).
- A missing homework (collected, but nothing from this student) counts 0.
- A pending homework (not graded yet, answers still to grade by hand, a grading that failed) makes the total
  pending: the registrar gets no number that would change.
- The total is rounded half up to ``precision`` decimals, and the letter is read from that rounded number, so
  the registrar never sees ``90.00`` beside a B.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

MARK, EXCUSED, PENDING, MISSING = "mark", "excused", "pending", "missing"


@dataclass(frozen=True)
class Mark:
    """One homework of one student, as the course total reads it."""

    status: str  # MARK, EXCUSED, PENDING or MISSING
    points: float | None = None  # the final mark (late policy applied) when status is MARK
    max_points: float = 0.0
    reason: str = ""  # why pending / missing, in words

    @property
    def counted_points(self) -> float | None:
        return 0.0 if self.status == MISSING else self.points


@dataclass
class Total:
    """A student's course total."""

    percent: Decimal | None  # rounded to the precision; None: pending
    letter: str  # "" when pending or when the course sets no letters
    pending: list = field(default_factory=list)  # (hw, reason) of the homeworks it waits for
    shares: dict = field(default_factory=dict)  # hw -> the weight it counted with, renormalised (sums to 1)

    def text(self, precision: int) -> str:
        return "pending" if self.percent is None else f"{self.percent:.{precision}f}"


def _exact(x) -> Fraction:
    """``x`` as the decimal number it prints as (0.1 is 1/10, not the binary float nearest to it)."""
    return x if isinstance(x, Fraction) else Fraction(repr(float(x)))


def round_half_up(x, precision: int) -> Decimal:
    """``x`` (a number, or an exact :class:`~fractions.Fraction`) to ``precision`` decimals, halves up (89.995 ->
    90.00 at 2), computed exactly, so that a total of exactly a half is never rounded down by float error."""
    q = _exact(x) * 10 ** precision
    whole = (q.numerator * 2 + q.denominator) // (2 * q.denominator)  # floor(q + 1/2): halves up (totals >= 0)
    return Decimal(whole).scaleb(-precision)


def letter(percent: Decimal | float, cutoffs) -> str:
    """The letter of ``percent``: the first of ``cutoffs`` (``[(lowest total, letter)]``, highest first) that it
    reaches; ``""`` without cutoffs."""
    for cutoff, name in cutoffs:
        if _exact(percent) >= _exact(cutoff):
            return name
    return ""


def course_total(marks: dict, weights: dict, cutoffs=(), precision: int = 2) -> Total:
    """The total of ``marks`` (``{hw: Mark}``) under ``weights`` (``{hw: weight}``; empty: every homework of
    ``marks`` weighs 1). A homework with a weight but no entry in ``marks`` is pending."""
    weights = weights or {hw: 1.0 for hw in marks}
    counted = {hw: float(w) for hw, w in weights.items() if w and marks.get(hw, Mark(PENDING)).status != EXCUSED}
    pending = [(hw, marks[hw].reason if hw in marks else "no mark yet") for hw in counted
               if hw not in marks or marks[hw].status == PENDING]
    whole = sum(counted.values())
    shares = {hw: w / whole for hw, w in counted.items()} if whole else {}
    if pending:
        return Total(None, "", pending, shares)
    if not counted:
        return Total(None, "", [("", "every homework that counts is excused")], shares)
    for hw in counted:
        if marks[hw].max_points <= 0:
            raise ValueError(f"{hw} has no points possible, so it cannot count in the total: give it weight 0")
    exact = {hw: _exact(w) for hw, w in counted.items()}
    fraction = sum(exact[hw] * _exact(marks[hw].counted_points) / _exact(marks[hw].max_points) for hw in counted)
    percent = round_half_up(100 * fraction / sum(exact.values()), precision)
    return Total(percent, letter(percent, cutoffs), [], shares)
