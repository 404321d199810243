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
from pathlib import Path

from traitlets import Dict, Unicode
from traitlets.config import Configurable
from traitlets.utils.importstring import import_item

from .. import nbgrader_app
from ..layout import Course, CourseError
from . import canvas_dates, late
from . import late_days as late_days_module
from .term_rules import TermRules, term_rules
from .times import parse_length, parse_time  # noqa: F401 (read here as deadlines.parse_time too)


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


def _naive_utc(t: _dt.datetime | None) -> _dt.datetime | None:
    return None if t is None else t.astimezone(late.UTC).replace(tzinfo=None)


def from_gradebook(t: _dt.datetime | None) -> _dt.datetime | None:
    """nbgrader keeps UTC times without a zone."""
    if t is None:
        return None
    return t.replace(tzinfo=late.UTC) if t.tzinfo is None else t


class Deadlines:
    """The course's ``DgmlabDeadlines``, read and checked (:func:`deadlines`)."""

    def __init__(self, settings: DgmlabDeadlines, course: Course | None = None, rules: TermRules | None = None,
                 canvas_due: dict | None = None, submissions: dict | None = None):
        """``rules`` (the course's ``c.DgmlabTerm``), ``canvas_due`` (``{hw: {student: due}}``, Canvas's
        per-student dates) and ``submissions`` (``{(hw, student): (submitted, gradebook due, gradebook
        extension)}``, what a bank of late days is spent on) are read from ``course`` when not given."""
        self.settings, self.course = settings, course
        self.rules = rules if rules is not None else term_rules(course) if course is not None else TermRules()
        self.canvas_due = canvas_due if canvas_due is not None else canvas_dates.read(course)
        self._submissions, self._spent = submissions, {}
        try:
            self.tz = late.zone(settings.timezone)
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

    def policy(self, hw: str) -> late.LatePolicy:
        name = self.settings.policies.get(hw, self.settings.policy)
        if name not in self._policies:
            self._policies[name] = load_policy(name, self.course.root if self.course else None)
        return self._policies[name]

    def due(self, hw: str, student: str | None = None, gradebook_due=None, gradebook_extension=None):
        """``student``'s due date of ``hw`` (aware); ``None``: no due date. Canvas's date for the student
        (:mod:`.canvas_dates`) replaces the homework's; an extension is added to that (a date replaces it); the
        student's course-wide accommodation (``c.DgmlabTerm.accommodations``) is added last."""
        base = self.due_dates.get(hw) or from_gradebook(gradebook_due)
        base = self.canvas_due.get(hw, {}).get(student, base) if student else base
        ext = self.extensions.get(hw, {}).get(student) if student else None
        if ext is None:
            ext = gradebook_extension
        due = ext if isinstance(ext, _dt.datetime) else self._later(base, ext)
        return self._later(due, self.rules.accommodation(student) if student else None)

    def _later(self, due, length):
        if due is None or not length:
            return due
        local = due.astimezone(self.tz).replace(tzinfo=None) + length  # on the course's clock
        return local.replace(tzinfo=self.tz)

    def apply(self, hw: str, student: str, mark: float, submitted=None, gradebook_due=None,
              gradebook_extension=None) -> late.LateResult:
        """The homework's policy on ``mark`` (autograded + hand-graded points) handed in at ``submitted``
        (aware, or naive UTC as nbgrader stores it)."""
        due = self.due(hw, student, gradebook_due, gradebook_extension)
        spent, left = self.late_days(hw, student)
        return late_days_module.apply(self.policy(hw), mark, from_gradebook(submitted), due, self.tz, spent, left)

    def late_days(self, hw: str, student: str) -> tuple:
        """``(days spent on hw, days left after it)`` of ``student``'s bank of free late days
        (:mod:`.late_days`); ``(0, None)`` when the course gives none."""
        if not student or not self.rules.banks_late_days:
            return 0, None
        if student not in self._spent:
            if self._submissions is None:
                self._submissions = _submissions(self.course)
            order, times = [], {}
            for (h, sid), (submitted, gb_due, gb_ext) in self._submissions.items():
                if sid != student or self.rules.is_excused(h, sid) or submitted is None:
                    continue
                due = self.due(h, sid, gb_due, gb_ext)
                if due is None:
                    continue
                days = late_days_module.needed(self.policy(h), from_gradebook(submitted), due, self.tz)
                order.append(((self.due_dates.get(h) or from_gradebook(gb_due) or due), h, days))
                times[h] = (from_gradebook(submitted), due)
            order.sort(key=lambda t: (t[0], t[1]))
            kept = None
            if self.rules.late_days_rule == "where_it_changes_the_mark":
                def kept(h, k):
                    return late_days_module.kept(self.policy(h), *times[h], self.tz, k)
            self._spent[student] = list(late_days_module.spend(self.rules.bank(student), [(h, d) for _, h, d in order],
                                                 kept).items())
        left = self.rules.bank(student)
        for h, n in self._spent[student]:
            left -= n
            if h == hw:
                return n, left
        return 0, left

    def local(self, t: _dt.datetime) -> str:
        return t.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")


def _submissions(course: Course | None) -> dict:
    """``{(hw, student): (submitted, due, extension)}`` of every submission nbgrader's gradebook holds."""
    if course is None or not (course.root / "gradebook.db").exists():
        return {}
    from .. import nbgrader_gradebook

    with nbgrader_gradebook.open_gradebook_file(course.root / 'gradebook.db') as gb:
        return {(a.name, sub.student.id): (sub.timestamp, a.duedate, sub.extension)
                for a in gb.assignments for sub in a.submissions}


def load_policy(name: str, folder: Path | None = None) -> late.LatePolicy:
    """A policy by name (:data:`dgmlab.grading.term.late.POLICIES`) or ``module.attr``, imported as an nbgrader command
    run in ``folder`` would import it (a course's root, or a Gradescope bundle's folder: a course's own policy lives
    there)."""
    if name in late.POLICIES:
        return late.POLICIES[name]
    if "." not in name and ":" not in name:
        raise CourseError(f"nbgrader_config.py: c.DgmlabDeadlines: unknown late policy {name!r} (known: "
                          f"{', '.join(late.POLICIES)}, or 'module.name' of a course's own)")

    try:
        if folder is not None:
            with nbgrader_app.as_nbgrader_command(folder):
                item = import_item(name.replace(":", "."))
        else:
            item = import_item(name.replace(":", "."))
    except Exception as exc:
        raise CourseError(f"nbgrader_config.py: c.DgmlabDeadlines: late policy {name!r} cannot be imported "
                          f"({exc})") from exc
    if isinstance(item, type) and issubclass(item, late.LatePolicy):
        item = item()
    if not isinstance(item, late.LatePolicy):
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
