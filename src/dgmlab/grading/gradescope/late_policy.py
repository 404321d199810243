"""The course's late policy on the one submission Gradescope grades, in one place: the due date from Gradescope's
submission metadata under the course's rule for a due time set to the minute, the policy the bundle's settings name
(a course's own imported from the bundle's folder, as a course's command would import it from the course's), and a
note where Gradescope's due date is not the course's (``c.DgmlabDeadlines.due``), so that `dgmlab report` can agree.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ..term.late import zone
from ..term.times import whole_minute


def due_date(meta: dict) -> tuple[_dt.datetime | None, str]:
    """``(due time, whose)`` from Gradescope's submission metadata, under the course's rule for a due time set to
    the minute (that whole minute is on time: :func:`dgmlab.grading.term.times.whole_minute`): the student's own
    due date where every submitter's ``users[].assignment.due_date`` gives one (an extension; the latest of a
    group), else the assignment's."""
    own = [(u.get("assignment") or {}).get("due_date") for u in meta.get("users") or [] if isinstance(u, dict)]
    if own and all(own):
        return whole_minute(max(_dt.datetime.fromisoformat(t) for t in own)), "the student's own due date"
    due = (meta.get("assignment") or {}).get("due_date")
    return (whole_minute(_dt.datetime.fromisoformat(due)), "the assignment's due date") if due else (None, "")


def late_result(grader: Path, settings: dict, points: float, meta: dict) -> tuple:
    """``(late, dates)``: the course's late policy (``settings``: the bundle's; a course's own is imported from its
    folder ``grader``, as a course's command would from the course's: no course is built for it) on ``points``, from Gradescope's submission time and due date (``meta``, the submission's
    metadata; :func:`due_date`), ``None`` without both or without a policy; ``dates``: which due date that was, and
    the course's own where it differs (:func:`dates_note`), "" otherwise."""
    from ..term.deadlines import load_policy

    name = settings.get("late_policy") or "none"
    if name == "none" or not meta:
        return None, ""
    created = meta.get("created_at")
    due, whose = due_date(meta)
    if not created or due is None:
        return None, ""
    course_due = whole_minute(_dt.datetime.fromisoformat(settings["course_due"])) if settings.get("course_due") else None
    tz = zone(settings.get("timezone") or "UTC")
    policy = load_policy(name, grader)  # a course's own (module.attr) is imported from the bundle's folder
    submitted = _dt.datetime.fromisoformat(created)
    late = policy.apply(points, submitted, due, tz)
    return late, dates_note(settings["hw"], policy, points, submitted, (due, whose), course_due, tz)


def dates_note(hw: str, policy, points: float, submitted, applied: tuple, course_due, tz) -> str:
    """"" where Gradescope's due date (``applied``: ``(due, whose)``) is the course's (``course_due``, from
    ``c.DgmlabDeadlines.due``: the bundle's ``course_due``) or the course gives none; else the date applied and what
    the course's gives."""
    due, whose = applied
    if course_due is None or course_due == due:
        return ""
    mine = policy.apply(points, submitted, course_due, tz)
    said = f"late: {mine.reason}" if mine.reason else "on time"
    return (f"Due date: graded against {whose} in Gradescope, {_local(due, tz)}; the course's due date for "
            f"{hw} (c.DgmlabDeadlines.due) differs, {_local(course_due, tz)}, under which this "
            f"submission is {said}. Set Gradescope's due date to the course's, or grant the extension in "
            f"c.DgmlabDeadlines.extensions too, so that `dgmlab report` agrees.")


def _local(t: _dt.datetime, tz) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
