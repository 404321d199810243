"""Late policies on the final mark: named, selectable, and a course's own in a few lines.

A policy turns a mark (autograded plus hand-graded points: the final mark, never the autograded part alone),
the moment a submission came in and its due date (a student's extension included) into the mark that counts,
and says why in words a student reads. It is pure: no gradebook, no configuration; :mod:`.deadlines` reads
those and asks the policy each time a total is shown, so a changed hand grade changes the penalty with it.

Days late are counted in the course's time zone, so a day across a change of daylight saving time is the
calendar day the course documents mean (23 or 25 hours), never 24 hours of UTC.

The policies, by name (:data:`POLICIES`):

- ``none``: nbgrader's "none": no penalty.
- ``zero``: nbgrader's "zero": a late submission earns 0 (here of the final mark).
- ``linear_7days`` (MIT 6.S978's problem sets: "If your Problem Set is submitted within 7 days of the original
  deadline, you will receive partial credit ... a multiplicative coefficient that linearly decreases from 1 to 0.5,
  step-wise on each day's 11:59pm cutoff"): late at all is day 1 (x ``1 - 0.5/7``), and each 11:59 pm cutoff (in
  the course's time zone) passed since the due time adds a day: day ``k`` keeps ``1 - 0.5 k / 7``, down to 0.5,
  which stays until 7 calendar days after the due time; later it earns 0. A due time at 11:59 pm is itself that
  day's cutoff (it adds no day); one at 17:00 has that evening's cutoff after it, so a submission at 00:00 the
  next day is day 2 (x 6/7: 75 of 87.5), and one 7 days and 30 minutes late earns 0.
- ``ten_percent_2days`` (Toronto ECE1508's assignments): 10% of the mark after grading per day of delay, at
  most two days (0.9, then 0.8); later submissions are not accepted (0). A day is a calendar day from the due
  time, in the course's time zone.

A course's own policy, e.g. in a ``late_policies.py`` beside ``nbgrader_config.py``::

    from dgmlab.grading.term.late import DailyPolicy
    five_a_day = DailyPolicy("five_a_day", [0.95, 0.90, 0.85], after=None)  # then refused

and ``c.DgmlabDeadlines.policy = "late_policies.five_a_day"`` (see :mod:`.deadlines`).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..marks import exact, mark_text
from ..marks import factor as exact_factor

UTC = _dt.timezone.utc


@dataclass(frozen=True)
class LateResult:
    """What a policy made of one mark."""

    raw: float  # the mark before the policy (autograded + hand-graded points)
    final: float  # the mark that counts
    days: int  # days late as the policy counts them (0: on time)
    factor: float  # the multiplier applied (0 when refused)
    refused: bool  # past the last day the policy accepts
    reason: str  # "" when on time; else why, in words a student reads
    lateness: str = ""  # how late, without the arithmetic (what a mark still pending shows)
    deduction: float | None = None  # points taken off instead of a factor (nbgrader's own late plugin)

    @property
    def penalty(self) -> float:
        return round(self.raw - self.final, 6)  # marks to a millionth: no 1.4000000000000004 in a CSV


def _utc(t: _dt.datetime) -> _dt.datetime:
    if t.tzinfo is None:
        raise ValueError(f"{t!r} has no time zone: give submission and due times as aware datetimes")
    return t.astimezone(UTC)


def _fmt_factor(f: float) -> str:
    return f"{f:.4f}".rstrip("0").rstrip(".")


class LatePolicy:
    """A late policy. Subclasses give :meth:`factor` (and :meth:`days_late` when days are counted otherwise)."""

    name = "none"
    description = "no penalty"

    def days_late(self, submitted: _dt.datetime, due: _dt.datetime, tz: _dt.tzinfo) -> int:
        """Days late: 0 on time; else the least ``k`` >= 1 with ``submitted`` no later than the due time ``k``
        calendar days on, in ``tz`` (so 23 or 25 hours across a change of daylight saving time)."""
        s, d = _utc(submitted), _utc(due)
        if s <= d:
            return 0
        local = d.astimezone(tz).replace(tzinfo=None)  # wall-clock time of the due date in the course's zone
        k = max(1, (s - d).days)  # within a day of the answer: a day is 23 to 25 hours
        while k > 1 and s <= _aware(local + _dt.timedelta(days=k - 1), tz):
            k -= 1
        while s > _aware(local + _dt.timedelta(days=k), tz):
            k += 1
        return k

    def factor(self, days: int) -> float | None:
        """The multiplier of a mark ``days`` days late (``days`` >= 1); ``None``: not accepted."""
        return 1.0

    def past_window(self, submitted: _dt.datetime, due: _dt.datetime, tz: _dt.tzinfo) -> bool:
        """Whether ``submitted`` is past the last moment this policy accepts (none by default: :meth:`factor`
        says by day)."""
        return False

    def step(self, days: int) -> int:
        """The day an accepted submission ``days`` late counts as (its factor's day)."""
        return days

    def lateness(self, days: int, submitted: _dt.datetime, due: _dt.datetime, tz: _dt.tzinfo) -> str:
        """How late, in words a student reads (the start of the reason)."""
        return (f"handed in {days} day{'s' if days != 1 else ''} late (due {_local(due, tz)}, "
                f"received {_local(submitted, tz)})")

    def apply(self, mark: float, submitted: _dt.datetime | None, due: _dt.datetime | None,
              tz: _dt.tzinfo = UTC) -> LateResult:
        """The final mark of ``mark`` handed in at ``submitted`` against ``due`` (aware datetimes; either
        ``None``: on time, nothing to compare)."""
        mark = float(mark)
        if submitted is None or due is None:
            return LateResult(mark, mark, 0, 1.0, False, "")
        days = self.days_late(submitted, due, tz)
        if days == 0:
            return LateResult(mark, mark, 0, 1.0, False, "")
        f = None if self.past_window(submitted, due, tz) else self.factor(days)
        when = self.lateness(days, submitted, due, tz)
        if f is None:
            return LateResult(mark, 0.0, days, 0.0, True, f"{when}: not accepted under the {self.name} policy "
                                                          f"({self.description}), so 0 of {mark_text(mark)}", when)
        final = round(max(0.0, mark * f), 6)
        return LateResult(mark, final, self.step(days), f, False,
                          f"{when}: {mark_text(mark)} x {_fmt_factor(f)} = "
                          f"{mark_text(exact(mark) * exact_factor(f))} under the {self.name} "
                          f"policy ({self.description})", when)


def _aware(naive: _dt.datetime, tz: _dt.tzinfo) -> _dt.datetime:
    """``naive`` wall-clock time in ``tz``, in UTC (a time skipped by a change to summer time moves forward)."""
    t = naive.replace(tzinfo=tz)
    return t.astimezone(UTC)


def _length(t: _dt.timedelta) -> str:
    days, rest = t.days, t.seconds
    if rest == 0:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{t.total_seconds() / 3600:g} hours"


def _local(t: _dt.datetime, tz: _dt.tzinfo) -> str:
    return _utc(t).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


class NoPenalty(LatePolicy):
    name, description = "none", "no penalty"


class Zero(LatePolicy):
    name, description = "zero", "a late submission earns 0"

    def factor(self, days: int) -> float | None:
        return 0.0


class DailyPolicy(LatePolicy):
    """A multiplier per day late: ``factors[k - 1]`` on day ``k``; after the last, ``after`` (a number, or
    ``None``: not accepted; ``"last"``: the last factor stays). Without ``cutoff`` a day is the calendar day from
    the due time. With ``cutoff`` (a local time of day, e.g. 23:59, at the end of whose minute each day ends), late
    at all is day 1 and each cutoff passed since the due time adds a day; a due time inside a cutoff's minute is
    that cutoff (it adds none). ``within``: a length on the course's clock (``timedelta(days=7)``) after the due
    time past which nothing is accepted; until then a day past the last factor keeps the last factor."""

    def __init__(self, name: str, factors, after="last", cutoff: _dt.time | None = None, description: str = "",
                 within: _dt.timedelta | None = None):
        self.name, self.factors, self.after, self.cutoff = name, [float(f) for f in factors], after, cutoff
        self.within = within
        if not self.factors or any(not 0 <= f <= 1 for f in self.factors):
            raise ValueError(f"{name}: factors must be numbers between 0 and 1, at least one")
        self.description = description or (
            "x " + ", ".join(_fmt_factor(f) for f in self.factors) + " on days 1 to "
            f"{len(self.factors)}" + (", not accepted later" if after is None else ""))

    def days_late(self, submitted, due, tz) -> int:
        if self.cutoff is None:
            return super().days_late(submitted, due, tz)
        s, d = _utc(submitted), _utc(due)
        if s <= d:
            return 0
        return 1 + self.cutoffs_passed(s, d, tz)

    def cutoffs_passed(self, submitted, due, tz) -> int:
        """How many cutoffs ``submitted`` is past that came after the due time (the due time's own cutoff, when
        it lies in a cutoff's minute, is the due time, not one after it)."""
        s, d = _utc(submitted), _utc(due)
        if s <= d:
            return 0
        local = d.astimezone(tz)
        at_cutoff = (local.hour, local.minute) == (self.cutoff.hour, self.cutoff.minute)
        return max(0, (self._day_of(s, tz) - self._day_of(d, tz)).days - (1 if at_cutoff else 0))

    def _day_of(self, t: _dt.datetime, tz) -> _dt.date:
        """The local date whose cutoff (its whole minute) is the first at or after ``t``."""
        date = t.astimezone(tz).date()
        end = _aware(_dt.datetime.combine(date, self.cutoff), tz) + _dt.timedelta(minutes=1)
        return date if t < end else date + _dt.timedelta(days=1)

    def past_window(self, submitted, due, tz) -> bool:
        if self.within is None:
            return False
        local = _utc(due).astimezone(tz).replace(tzinfo=None)
        return _utc(submitted) > _aware(local + self.within, tz)

    def lateness(self, days, submitted, due, tz) -> str:
        if self.cutoff is None:
            return super().lateness(days, submitted, due, tz)
        n = self.cutoffs_passed(submitted, due, tz)
        cut = (f"{n} {self.cutoff.strftime('%H:%M')} cutoff{'s' if n != 1 else ''} passed since the due time; due "
               f"{_local(due, tz)}, received {_local(submitted, tz)}")
        if self.past_window(submitted, due, tz):
            return f"handed in more than {_length(self.within)} after the due time ({cut})"
        return f"handed in late, day {self.step(days)} under the policy ({cut})"

    def step(self, days: int) -> int:
        return min(days, len(self.factors)) if self.within is not None else days

    def factor(self, days: int) -> float | None:
        if days <= len(self.factors):
            return self.factors[days - 1]
        if self.within is not None or self.after == "last":
            return self.factors[-1]
        return None if self.after is None else float(self.after)


LINEAR_7DAYS = DailyPolicy("linear_7days", [1 - 0.5 * k / 7 for k in range(1, 8)], after=None,
                           cutoff=_dt.time(23, 59), within=_dt.timedelta(days=7),
                           description="x (1 - 0.5 d/7) on day d late: day 1 once late, a day more at each 11:59 "
                                       "pm cutoff passed, at least 0.5, and 0 past 7 days")
TEN_PERCENT_2DAYS = DailyPolicy("ten_percent_2days", [0.9, 0.8], after=None,
                                description="10% of the mark per day late, at most 2 days, not accepted later")
POLICIES = {p.name: p for p in (NoPenalty(), Zero(), LINEAR_7DAYS, TEN_PERCENT_2DAYS)}


def zone(name: str) -> _dt.tzinfo:
    """The IANA time zone ``name`` (``America/Toronto``); ``ValueError`` when unknown."""
    try:
        return ZoneInfo(name)
    except Exception as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name, e.g. America/Toronto)") from exc
