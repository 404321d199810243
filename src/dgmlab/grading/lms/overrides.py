"""Per-student due dates from Canvas, the assignment's overrides (``dgmlab overrides <hw>``), or from Moodle, its
extensions (``dgmlab overrides --moodle <hw>``: :func:`fetch_moodle`).

Canvas keeps a student's own due date as an *assignment override*
(``GET /api/v1/courses/:course_id/assignments/:assignment_id/overrides``, read page by page through
``canvasapi``). :func:`fetch` reads the homework's overrides and saves the per-student ones in
``.dgmlab/canvas_overrides/<hw>.json`` (:mod:`dgmlab.grading.term.canvas_dates`), where every report's due
dates read them; a student is matched by their Canvas user id in the course's id map (:func:`.id_map.platform_ids`).

What is applied and what is not (each one not applied is listed, with why):

- An override naming students (``student_ids``) with a due date (``due_at``): that date is those students' due
  date of the homework (a student in two such overrides gets the later date, as Canvas does); set to the minute
  (``23:55:00``), the whole minute counts, as for the course's own due dates.
- An override of a section (``course_section_id``) with a due date: that date is the due date of each student the
  course's student enrollments place in the section (``GET /api/v1/courses/:course_id/enrollments`` with
  ``type[]=StudentEnrollment``, paged: each enrollment's ``user_id`` and ``course_section_id``; Canvas lists the
  active and invited ones), the later date where a student has several, as above. When the enrollments cannot be
  read (the token may not list them), no section's date is applied and each is listed with Canvas's answer.
- An override of a group (``group_id``) is not applied: set such a date per student in
  ``c.DgmlabDeadlines.extensions``.
- An override without ``due_at`` (it moves only the availability dates) changes no due date.
- A Canvas user whose id the course's id map gives no student is not applied (record it: ``dgmlab ids canvas``, or
  ``dgmlab ids import`` a CSV ``student,canvas``).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field

from ..inert import terminal
from ..layout import Course, CourseError
from ..term import canvas_dates
from ..term.times import whole_minute
from . import id_map, lms, moodle


@dataclass
class Fetched:
    hw: str
    due: dict = field(default_factory=dict)  # student -> aware due date
    not_applied: list = field(default_factory=list)  # (override, why)
    changed: list = field(default_factory=list)  # (student, before ISO or None, after ISO or None)
    source: str = "Canvas"  # where the dates came from

    def lines(self) -> list:
        out = [f"{self.hw}: {len(self.due)} per-student due date(s) from {self.source} saved in "
               f"{canvas_dates.FOLDER / (self.hw + '.json')}"]
        out += [terminal(f"  {sid}: {was or 'the homework’s'} -> {now or 'the homework’s'}")
                for sid, was, now in self.changed]
        if self.not_applied:
            out.append(f"not applied ({len(self.not_applied)}):")
            out += [terminal(f"  {what}: {why}") for what, why in self.not_applied]
        return out


def _students_by_lms_id(course: Course, platform: str = "canvas") -> dict:
    ids = id_map.platform_ids(course, platform)
    if not ids:
        raise CourseError(f"no student has a {platform.title()} user id in {id_map.FILE} (dgmlab ids {platform} reads "
                          f"them from {platform.title()}, dgmlab ids import from a CSV), so that its users can be "
                          "matched")
    return {uid: sid for sid, uid in ids.items()}


def _time(text) -> _dt.datetime:
    """Canvas's ``due_at``, set to the minute in Canvas's form, as the end of that minute, as the course's own due
    dates count (:func:`dgmlab.grading.term.times.whole_minute`)."""
    t = _dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return whole_minute(t)


def _field(o, key):
    return o.get(key) if isinstance(o, dict) else getattr(o, key, None)


def section_members(enrollments) -> dict:
    """``{section id: [Canvas user id, ...]}`` of Canvas's student ``enrollments`` (objects or dicts)."""
    out = {}
    for e in enrollments:
        section, user = _field(e, "course_section_id"), _field(e, "user_id")
        if section is not None and user is not None and _field(e, "type") in (None, "StudentEnrollment"):
            out.setdefault(str(section), []).append(str(user))
    return out


def read(overrides, students: dict, dropped=frozenset(), sections: dict | str | None = None) -> tuple[dict, list]:
    """``({student: due}, [(override, why not applied)])`` of Canvas's ``overrides`` (objects or dicts with
    Canvas's fields), ``students``: ``{Canvas user id: nbgrader id}``; ``sections``: :func:`section_members`, or why
    they could not be read (then no section's date is applied)."""
    due, skipped = {}, []
    for o in overrides:
        get = o.get if isinstance(o, dict) else (lambda k, _o=o: getattr(_o, k, None))
        what = f"override {get('id')}" + (f" ({get('title')})" if get("title") else "")
        section = get("course_section_id")
        if section is not None and get("due_at") and not isinstance(sections, dict):
            skipped.append((what, f"a section's date (section {section}), not applied: the section's students "
                                  f"could not be read from Canvas ({sections or 'not asked'}); set the date in "
                                  "c.DgmlabDeadlines.extensions per student, or run dgmlab overrides again"))
            continue
        if section is not None and get("due_at") and not sections.get(str(section)):
            skipped.append((what, f"section {section} has no active or invited student in Canvas: no one's date"))
            continue
        if get("group_id") is not None:
            skipped.append((what, f"a group's date (group {get('group_id')}): set it per student in "
                                  "c.DgmlabDeadlines.extensions"))
            continue
        if not get("due_at"):
            skipped.append((what, "no due date (it moves only when the homework opens or closes)"))
            continue
        ids = sections[str(section)] if section is not None else (get("student_ids") or [])
        try:
            when = _time(get("due_at"))
        except (ValueError, TypeError) as exc:
            skipped.append((what, f"due_at {get('due_at')!r} is not a time ({exc})"))
            continue
        for uid in ids:
            sid = students.get(str(uid))
            if sid is None:
                skipped.append((what, f"Canvas user {uid} is no student's in lms_ids.csv (dgmlab ids canvas, or "
                                      f"dgmlab ids import a row student,canvas with <their id>,{uid})"))
            elif sid not in dropped:
                due[sid] = max(when, due.get(sid, when))
    return due, skipped


def _sections(target) -> dict | str:
    """:func:`section_members` of the course of ``target`` (a canvasapi Assignment), or why it could not be read."""
    from canvasapi.course import Course as CanvasCourse

    try:
        canvas_course = CanvasCourse(target._requester, {"id": target.course_id})  # as canvasapi makes its own
        return section_members(canvas_course.get_enrollments(type=["StudentEnrollment"]))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def fetch(course: Course, hw: str, token: str | None = None) -> Fetched:
    """Read ``hw``'s overrides from Canvas and save its per-student due dates (see the module's docstring)."""
    (hw,) = course.check_homeworks([hw])
    target = lms.assignment(course, hw, token)
    try:
        overrides = list(target.get_overrides())
    except Exception as exc:
        raise CourseError(f"Canvas: could not read the overrides of assignment {target.id} ({type(exc).__name__}: "
                          f"{exc})") from exc
    sections = None
    if any(_field(o, "course_section_id") is not None and _field(o, "due_at") for o in overrides):
        sections = _sections(target)
    due, skipped = read(overrides, _students_by_lms_id(course), course.dropped(), sections)
    return _save(course, hw, target.id, due, skipped)


def fetch_moodle(course: Course, hw: str, session=None) -> Fetched:
    """Read ``hw``'s extensions from Moodle (:func:`.moodle.extensions`: a student's extension is their due date of
    the homework, the whole minute when set to one) and save them as :func:`fetch` saves Canvas's overrides; a Moodle
    user the id map gives no student is listed, not applied."""
    (hw,) = course.check_homeworks([hw])
    aid, granted = moodle.extensions(course, hw, session)
    students, dropped = _students_by_lms_id(course, "moodle"), course.dropped()
    due, skipped = {}, []
    for uid, when in sorted(granted.items()):
        sid = students.get(uid)
        if sid is None:
            skipped.append((f"extension of Moodle user {uid}", "no student's in lms_ids.csv (dgmlab ids moodle, or "
                                                                f"dgmlab ids import a row student,moodle with <their id>,{uid})"))
        elif sid not in dropped:
            due[sid] = whole_minute(when)
    return _save(course, hw, aid, due, skipped, "Moodle")


def _save(course: Course, hw: str, source_id, due: dict, skipped: list, source: str = "Canvas") -> Fetched:
    path = canvas_dates.path(course, hw)
    before = canvas_dates.read(course).get(hw, {})
    out = Fetched(hw, due, skipped, source=source)
    for sid in sorted(set(before) | set(due)):
        was, now = before.get(sid), due.get(sid)
        if was != now:
            out.changed.append((sid, was and was.isoformat(), now and now.isoformat()))
    fetched = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    record = {"assignment_id": source_id, "fetched_at": fetched,
              "due": {sid: t.isoformat() for sid, t in sorted(due.items())},
              "not_applied": [{"override": w, "why": y} for w, y in skipped]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, path)  # whole or not at all
    return out
