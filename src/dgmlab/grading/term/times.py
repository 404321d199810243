"""Times and lengths as a course's configuration writes them: ``'2025-02-11 23:59'`` (a wall-clock time in the
course's time zone; to the minute, the whole minute: :func:`whole_minute`) and ``'2 days'``, ``'36 hours'``, ``'1 day 6 hours'``.
:mod:`dgmlab.grading.term.deadlines` and :mod:`dgmlab.grading.term.term_rules` read their settings with these."""
from __future__ import annotations

import datetime as _dt
import re

_TO_THE_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?:Z|[+-]\d{2}(?::?\d{2})?)?", re.I)
_LENGTH = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(weeks?|days?|hours?|minutes?|w|d|h|m)\s*", re.I)


def whole_minute(t: _dt.datetime) -> _dt.datetime:
    """A due time set to the minute, as its last second: the one rule for every due date, whichever way it came
    (a course's ``'23:55'``, or Canvas's ``due_at``, which Canvas's form sets to the minute and sends as ``:00``;
    its own "11:59 pm" it already sends as ``23:59:59``). So a student with a Canvas date has the same grace
    within the minute as the rest."""
    return t.replace(second=59) if t.second == 0 and t.microsecond == 0 else t


def parse_time(text, tz) -> _dt.datetime:
    """``text`` (ISO, ``'YYYY-MM-DD HH:MM[:SS][+offset]'``) as an aware time: with an offset (``+03:30``, ``Z``),
    that time; without one, a wall-clock time in ``tz``; given to the minute (an offset or not), the end of that
    minute (:func:`whole_minute`)."""
    if isinstance(text, _dt.datetime):
        t = text
    else:
        t = _dt.datetime.fromisoformat(str(text).strip())
        if _TO_THE_MINUTE.fullmatch(str(text).strip()):  # an offset's colon is not a time's seconds
            t = whole_minute(t)
    return t if t.tzinfo is not None else t.replace(tzinfo=tz)


def parse_length(text) -> _dt.timedelta:
    """``'2 days'``, ``'36 hours'``, ``'1 day 6 hours'``, ``'90m'``, or a number of days."""
    if isinstance(text, (int, float)):
        return _dt.timedelta(days=float(text))
    text, total, pos = str(text), _dt.timedelta(), 0
    units = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
    for m in _LENGTH.finditer(text):
        if m.start() != pos:
            break
        total += _dt.timedelta(**{units[m.group(2)[0].lower()]: float(m.group(1))})
        pos = m.end()
    if pos != len(text) or not text.strip():
        raise ValueError(f"{text!r} is neither a due date nor a length such as '2 days' or '36 hours'")
    return total
