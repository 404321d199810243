"""How every mark is written: :data:`PLACES` decimals, rounded half up on the exact decimal value.

One place for the arithmetic, below every package that shows a mark (the late policies write it in their reasons,
:mod:`dgmlab.grading.report.final_mark` in every export): points are taken as the decimals they were written as
(``0.1`` is one tenth, not the binary float nearest it), a late policy's factor as the small fraction it is
(``13/14``), and the result rounded once, so ``67.725`` is ``67.73`` everywhere (a binary float would give
``67.72``).
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

PLACES = 2  # decimals of every mark shown


def exact(x) -> Fraction:
    """The decimal value ``x`` was written as, exactly."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (int, Decimal)):
        return Fraction(x)
    return Fraction(Decimal(repr(float(x))))


def factor(f) -> Fraction:
    """A late policy's multiplier as the fraction it stands for (``0.9285714285714286`` is ``13/14``)."""
    return f if isinstance(f, Fraction) else Fraction(float(f)).limit_denominator(10 ** 6)


def round_half_up(x, places: int = PLACES) -> Decimal:
    """``x`` rounded to ``places`` decimals, halves away from zero, on its exact value."""
    q = exact(x) * 10 ** places
    n = math.floor(abs(q) + Fraction(1, 2))
    return Decimal(-n if q < 0 else n).scaleb(-places)


def mark_text(x) -> str:
    """``x`` as a mark is written everywhere: ``'67.73'``."""
    return f"{round_half_up(x):.{PLACES}f}"
