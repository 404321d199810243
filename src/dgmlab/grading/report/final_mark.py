"""The final mark of a submission, or why there is none yet: the one answer every surface shows.

grades.csv, the Canvas CSV, the Gradescope results, the dashboard, the terminal tables (``dgmlab report``,
``dgmlab autograde``, the demo), each student's grade summary and ``dgmlab push`` all call :func:`final_mark`
and print what it returns, so they agree to the last digit:

- while any hand-graded answer is still to grade (:func:`still_to_grade`), there is no final mark: the mark is
  *pending*, with the reason (which answers), and no number is shown as the mark (the Canvas CSV leaves the
  cell blank, which Canvas's import leaves unchanged; ``push`` sends nothing);
- otherwise the final mark is the autograded plus hand-graded points with the late policy applied
  (:mod:`dgmlab.grading.term.late`), computed exactly on the decimal values the points were written as and
  rounded half up to :data:`PLACES` decimals (67.725 is 67.73, never the 67.72 a binary float rounds to).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

# the one rule of what is still to grade by hand, the grading page's too (dgmlab grade): defined below the report
from ..hand.to_grade import still_to_grade  # noqa: F401
from ..marks import PLACES, exact, factor, mark_text, round_half_up  # noqa: F401 (mark_text: for the surfaces)


@dataclass(frozen=True)
class Mark:
    """A submission's final mark (``value``), or ``None`` and why there is none (``pending``)."""

    value: Decimal | None
    max_score: Decimal
    # why there is no final mark ("" when there is one): "pending: 1 answer still to grade by hand (q2_written)",
    # or for a submission grading gave no points, "no mark: timed out (grading took longer than 900 s)"
    pending: str = ""

    @property
    def final(self) -> bool:
        return self.value is not None

    @property
    def number(self) -> float | None:
        """The final mark as a number (JSON, the Canvas API); ``None`` while pending."""
        return None if self.value is None else float(self.value)

    @property
    def text(self) -> str:
        """``'67.73'``, or why there is no final mark."""
        return f"{self.value:.{PLACES}f}" if self.value is not None else self.pending

    @property
    def cell(self) -> str:
        """For a CSV an LMS imports: the mark, or empty while pending (an import leaves an empty cell alone)."""
        return "" if self.value is None else f"{self.value:.{PLACES}f}"

    @property
    def out_of(self) -> str:
        """``'67.73 / 100.00'``, or why there is no final mark."""
        return f"{self.text} / {self.max_score:.{PLACES}f}" if self.final else self.text

    def __str__(self) -> str:
        return self.text


def _late_factor(late) -> Fraction | None:
    """The policy's multiplier as the small fraction it is (13/14, 9/10), or ``None`` for a deduction."""
    if late is None or (not late.days and not late.refused and not getattr(late, "deduction", None)):
        return Fraction(1)
    if late.refused:
        return Fraction(0)
    if getattr(late, "deduction", None) is not None:
        return None
    return factor(late.factor)


def final_mark(sub) -> Mark:
    """The final mark of ``sub`` or why there is none: the one function every surface calls.

    ``sub`` is a :class:`dgmlab.grading.report.class_data.Submission` or a
    :class:`dgmlab.grading.report.report.Grade`: its ``points`` (each grade cell's points, ``None`` for one not
    graded), ``ungraded`` (the hand-graded answers still to grade), ``to_look`` (the trained results whose
    training record waits for an instructor's look), ``late`` (the late policy's
    :class:`~dgmlab.grading.term.late.LateResult`, or ``None``), ``max_score``, and, for a submission that never
    reached the gradebook, ``status`` and ``reason``."""
    out_of = round_half_up(getattr(sub, "max_score", 0.0) or 0.0)
    ungraded = list(getattr(sub, "ungraded", ()) or ())
    to_look = list(getattr(sub, "to_look", ()) or ())
    if ungraded or to_look:
        n, k = len(ungraded), len(to_look)
        why = ([f"{n} answer{'s' if n != 1 else ''} still to grade by hand ({', '.join(ungraded)})"] if n else []) + (
            [f"{k} trained result{'s' if k != 1 else ''} whose training record waits for a look "
             f"({', '.join(to_look)}: dgmlab grade --looked)"] if k else [])
        return Mark(None, out_of, "pending: " + "; ".join(why))
    points = getattr(sub, "points", None)
    if points is None or (not points and getattr(sub, "status", "graded") != "graded"):
        status = getattr(sub, "status", "not graded")
        why = getattr(sub, "reason", "")
        return Mark(None, out_of, f"no mark: {status}" + (f" ({why})" if why else ""))
    raw = sum((exact(p) for p in points if p is not None), Fraction(0))
    late = getattr(sub, "late", None)
    f = _late_factor(late)
    final = raw * f if f is not None else max(Fraction(0), raw - exact(late.deduction))
    return Mark(round_half_up(final), out_of)


def late_points(sub, mark: Mark | None = None) -> str:
    """The late penalty as the final mark takes it: the final mark less the points, exactly (``'-4.50'``,
    ``'-1.375'`` for 13.725 points made 12.35), so that the points and it add up to the final mark; empty while
    there is no final mark."""
    mark = mark if mark is not None else final_mark(sub)
    if not mark.final:
        return ""
    raw = sum((exact(p) for p in sub.points or () if p is not None), Fraction(0))
    d = exact(mark.value) - raw  # a finite decimal: both are
    text = str(Decimal(d.numerator) / Decimal(d.denominator))
    return text if "." in text and len(text.split(".")[1]) >= PLACES else f"{Decimal(text):.{PLACES}f}"
