"""A student's bank of free late days (``c.DgmlabTerm.late_days``), spent over the term.

The rule: the homeworks are taken in order (by their due date, then name). A late homework spends whole days
from the bank: each day spent moves the student's due date of that homework one day later on the course's clock
(as an extension of ``'1 day'`` does), and it spends the fewest days that make it on time, or every day left
when that is not enough; the homework's late policy then applies, unchanged, against the moved due date. The
student's due date here is their own: extensions, a course-wide accommodation and Canvas's per-student date
count first. An excused homework, one late under a policy that costs nothing (``none``), or one without a due
date or a submission time, spends nothing. Days spent on
a homework stay spent: a later homework never takes them back, so what a student was told stays true.

``c.DgmlabTerm.late_days_rule = "where_it_changes_the_mark"`` spends days only where they change the mark: a
homework the days left cannot make on time spends the fewest days that keep the most of it under its policy, and
none where that is no more than without them (under ``zero``, or too late even for the last day
``ten_percent_2days`` accepts); the days stay for a later homework. The rule reads the policy's share of the mark
kept, not the points, so a hand grade given later never moves a day. The default, ``"every_late"``, is the rule
above.

Pure: :func:`needed` and :func:`spend` decide the days, :func:`apply` applies the policy with them;
:class:`dgmlab.grading.term.deadlines.Deadlines` reads the submissions and calls them.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt

from . import late

_MOST = 366  # no bank is longer than a year


def shift(due: _dt.datetime, days: int, tz) -> _dt.datetime:
    """``due`` moved ``days`` days later on the course's clock (``tz``: the same wall-clock time)."""
    local = due.astimezone(tz).replace(tzinfo=None) + _dt.timedelta(days=days)
    return local.replace(tzinfo=tz)


def needed(policy: late.LatePolicy, submitted: _dt.datetime, due: _dt.datetime, tz) -> int:
    """The fewest whole days that, added to ``due``, make ``submitted`` on time under ``policy`` (0: on time, or
    late under a policy that takes nothing for it, such as ``none``: no day is spent where none is needed)."""
    if policy.days_late(submitted, due, tz) == 0 or policy.apply(1.0, submitted, due, tz).final >= 1.0:
        return 0
    low, high = 0, max(1, (submitted - due).days + 1)
    while high < _MOST and policy.days_late(submitted, shift(due, high, tz), tz):
        high *= 2
    high = min(high, _MOST)
    while high - low > 1:  # the least k with days_late(due + k) == 0: lateness falls as the due date moves
        mid = (low + high) // 2
        if policy.days_late(submitted, shift(due, mid, tz), tz):
            low = mid
        else:
            high = mid
    return high


def spend(bank: int, days_needed, kept=None) -> dict:
    """``{hw: days spent}`` of a bank of ``bank`` days over ``days_needed`` (``[(hw, days)]`` in homework
    order; :func:`needed`). ``kept(hw, days)``, the share of the mark the policy keeps with ``days`` spent on
    ``hw``: given (rule ``where_it_changes_the_mark``), a homework the days left cannot make on time spends the
    fewest days that keep the most, none where no day keeps more than none."""
    left, out = int(bank), {}
    for hw, days in days_needed:
        used = max(0, min(int(days), left))
        if kept is not None and 0 < used < int(days):
            shares = [kept(hw, k) for k in range(used + 1)]
            used = shares.index(max(shares))  # the fewest days that keep the most (0: the days change nothing)
        out[hw] = used
        left -= used
    return out


def kept(policy: late.LatePolicy, submitted: _dt.datetime, due: _dt.datetime, tz, days: int) -> float:
    """The share of a mark ``policy`` keeps of a homework handed in at ``submitted`` with ``days`` spent on it."""
    return policy.apply(1.0, submitted, shift(due, days, tz), tz).final


def apply(policy: late.LatePolicy, mark: float, submitted, due, tz, spent: int = 0, left: int | None = None
          ) -> late.LateResult:
    """``policy`` on ``mark`` handed in at ``submitted`` against ``due`` moved by the ``spent`` days of the bank
    (``left``: the days the bank has after this homework, said in the reason)."""
    if not spent or submitted is None or due is None:
        return policy.apply(mark, submitted, due, tz)
    moved = shift(due, spent, tz)
    result = policy.apply(mark, submitted, moved, tz)
    note = (f"{spent} late day{'s' if spent != 1 else ''} from your bank moved your due date to "
            f"{moved.astimezone(tz).strftime('%Y-%m-%d %H:%M %Z')}"
            + (f" ({left} left)" if left is not None else ""))
    return dataclasses.replace(result, reason=f"{note}; {result.reason}" if result.reason else note)
