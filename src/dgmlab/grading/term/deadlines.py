"""Due dates, extensions and the late policy of each homework: ``c.DgmlabDeadlines`` in ``nbgrader_config.py``.

Times are wall-clock times in the course's time zone (``timezone``, an IANA name: daylight saving time
included). A due date written to the minute (``"2025-02-11 23:59"``) includes that whole minute, as an
LMS's "11:59 pm" does. An extension is a new due date or a length (``"2 days"``, ``"36 hours"``, ``"1 day 6
hours"``) added on the course's clock. Where the configuration sets none, nbgrader's own (the gradebook's
assignment due date, ``nbgrader db assignment add --duedate``, and ``Gradebook.grant_extension``) count.

The penalty is never stored as the truth: every total shown (``grades.csv``, the Canvas CSV, the Gradescope
export, the dashboard, the student's summary, the mark pushed to Canvas) is the policy applied to the
autograded plus hand-graded points when it is shown (:meth:`Deadlines.apply`), so a changed hand grade changes
the penalty with it. :func:`sync_gradebook` writes the same penalty into nbgrader's gradebook
(``late_submission_penalty``) so that nbgrader's own export and formgrader agree.
"""
from __future__ import annotations

import datetime as _dt
import re

from traitlets import Dict, Unicode
from traitlets.config import Configurable

from . import late as L
from ..layout import Course, CourseError

_LENGTH = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(weeks?|days?|hours?|minutes?|w|d|h|m)\s*", re.I)


class DgmlabDeadlines(Configurable):
    """When each homework is due, for whom later, and what lateness costs."""

    timezone = Unicode("UTC", help="The course's time zone, an IANA name (America/Toronto): due dates are "
                                   "wall-clock times there and days late are its calendar days.").tag(config=True)
    due = Dict(help="{homework: 'YYYY-MM-DD HH:MM'}: each homework's due date in the course's time zone "
                    "(to the minute: the whole minute counts as on time).").tag(config=True)
    extensions = Dict(help="{homework: {student: 'YYYY-MM-DD HH:MM' or '2 days'}}: a student's own due date, or "
                           "time added to the homework's.").tag(config=True)
    policy = Unicode("none", help="The late policy of every homework not in `policies`: none, zero, linear_7days, "
                                  "ten_percent_2days (dgmlab.grading.term.late), or 'module.name' of a course's own "
                                  "LatePolicy (a module beside nbgrader_config.py).").tag(config=True)
    policies = Dict(help="{homework: policy}: a homework's own late policy.").tag(config=True)


def parse_time(text, tz) -> _dt.datetime:
    """``text`` (ISO, ``'YYYY-MM-DD HH:MM[:SS][+offset]'``) as an aware time: without an offset, a wall-clock time
    in ``tz``; given to the minute, the end of that minute."""
    if isinstance(text, _dt.datetime):
        t = text
    else:
        t = _dt.datetime.fromisoformat(str(text).strip())
        if t.second == 0 and t.microsecond == 0 and str(text).strip().count(":") == 1:
            t = t.replace(second=59)
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


def _naive_utc(t: _dt.datetime | None) -> _dt.datetime | None:
    return None if t is None else t.astimezone(L.UTC).replace(tzinfo=None)


def from_gradebook(t: _dt.datetime | None) -> _dt.datetime | None:
    """nbgrader keeps UTC times without a zone."""
    if t is None:
        return None
    return t.replace(tzinfo=L.UTC) if t.tzinfo is None else t


class Deadlines:
    """The course's ``DgmlabDeadlines``, read and checked (:func:`deadlines`)."""

    def __init__(self, settings: DgmlabDeadlines, course: Course | None = None):
        self.settings, self.course = settings, course
        try:
            self.tz = L.zone(settings.timezone)
            self.due_dates = {hw: parse_time(t, self.tz) for hw, t in settings.due.items()}
            self.extensions = {hw: {sid: self._extension(v) for sid, v in (per or {}).items()}
                               for hw, per in settings.extensions.items()}
        except (ValueError, TypeError, AttributeError) as exc:
            raise CourseError(f"nbgrader_config.py: c.DgmlabDeadlines: {exc}") from exc
        self._policies = {}

    def _extension(self, value):
        try:
            return parse_time(value, self.tz)
        except (ValueError, TypeError):
            return parse_length(value)

    @property
    def configured(self) -> bool:
        """Whether the course sets a due date or a late policy here."""
        s = self.settings
        return bool(s.due or s.extensions or s.policies or s.policy != "none")

    def policy(self, hw: str) -> L.LatePolicy:
        name = self.settings.policies.get(hw, self.settings.policy)
        if name not in self._policies:
            self._policies[name] = load_policy(name, self.course)
        return self._policies[name]

    def due(self, hw: str, student: str | None = None, gradebook_due=None, gradebook_extension=None):
        """``student``'s due date of ``hw`` (aware), extension included; ``None``: no due date."""
        base = self.due_dates.get(hw) or from_gradebook(gradebook_due)
        ext = self.extensions.get(hw, {}).get(student) if student else None
        if ext is None:
            ext = gradebook_extension
        if isinstance(ext, _dt.datetime):
            return ext
        if base is None or not ext:
            return base
        local = base.astimezone(self.tz).replace(tzinfo=None) + ext  # on the course's clock
        return local.replace(tzinfo=self.tz)

    def apply(self, hw: str, student: str, mark: float, submitted=None, gradebook_due=None,
              gradebook_extension=None) -> L.LateResult:
        """The homework's policy on ``mark`` (autograded + hand-graded points) handed in at ``submitted``
        (aware, or naive UTC as nbgrader stores it)."""
        due = self.due(hw, student, gradebook_due, gradebook_extension)
        return self.policy(hw).apply(mark, from_gradebook(submitted), due, self.tz)

    def local(self, t: _dt.datetime) -> str:
        return t.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")


def load_policy(name: str, course: Course | None = None) -> L.LatePolicy:
    """A policy by name (:data:`dgmlab.grading.term.late.POLICIES`) or ``module.attr`` from the course folder."""
    if name in L.POLICIES:
        return L.POLICIES[name]
    if "." not in name and ":" not in name:
        raise CourseError(f"nbgrader_config.py: c.DgmlabDeadlines: unknown late policy {name!r} (known: "
                          f"{', '.join(L.POLICIES)}, or 'module.name' of a course's own)")
    from traitlets.utils.importstring import import_item

    from .. import nbgrader_app as N

    try:
        if course is not None:
            with N.as_nbgrader_command(course.root):
                item = import_item(name.replace(":", "."))
        else:
            item = import_item(name.replace(":", "."))
    except Exception as exc:
        raise CourseError(f"nbgrader_config.py: c.DgmlabDeadlines: late policy {name!r} cannot be imported "
                          f"({exc})") from exc
    if isinstance(item, type) and issubclass(item, L.LatePolicy):
        item = item()
    if not isinstance(item, L.LatePolicy):
        raise CourseError(f"nbgrader_config.py: c.DgmlabDeadlines: {name!r} is not a "
                          "dgmlab.grading.term.late.LatePolicy (e.g. a DailyPolicy)")
    return item


def deadlines(course: Course) -> Deadlines:
    """The course's due dates, extensions and late policies."""
    return Deadlines(course.settings(DgmlabDeadlines), course)


def sync_gradebook(course: Course, gb, hws=None) -> None:
    """Write the configured due dates and extensions into nbgrader's gradebook ``gb`` and, where the course
    sets a late policy of its own, each submission's ``late_submission_penalty`` from its final mark (spread over
    its notebooks as their scores are), so nbgrader's export and formgrader show the same number."""
    d = deadlines(course)
    if not d.configured:
        return
    for assignment in gb.assignments:
        hw = assignment.name
        if hws and hw not in hws:
            continue
        if hw in d.due_dates:
            assignment.duedate = _naive_utc(d.due_dates[hw])
        own_policy = hw in d.settings.policies or d.settings.policy != "none"
        for sub in assignment.submissions:
            ext = d.extensions.get(hw, {}).get(sub.student.id)
            if isinstance(ext, _dt.timedelta):
                sub.extension = ext
            elif isinstance(ext, _dt.datetime) and assignment.duedate is not None:
                sub.extension = _naive_utc(ext) - assignment.duedate
            if not own_policy:
                continue
            raw = sum(float(nb.score or 0.0) for nb in sub.notebooks)
            result = d.apply(hw, sub.student.id, raw, sub.timestamp, assignment.duedate, sub.extension)
            left = result.penalty
            notebooks = list(sub.notebooks)
            for i, nb in enumerate(notebooks):
                share = left if i == len(notebooks) - 1 else min(left, float(nb.score or 0.0))
                nb.late_submission_penalty = share if result.days else None
                left -= share
    gb.db.commit()
