"""Per-student due dates that Canvas holds (its assignment overrides), as ``dgmlab overrides`` saved them.

``dgmlab overrides <hw>`` (:mod:`dgmlab.grading.lms.overrides`) reads the homework's overrides from Canvas and
writes ``.dgmlab/canvas_overrides/<hw>.json``: ``{"due": {student: ISO time with offset}, ...}``. The due
dates read here (one saved as ``:00``, set to the minute, counts to that minute's end, as every due date does)
replace the homework's due date for those students (:meth:`Deadlines.due
<dgmlab.grading.term.deadlines.Deadlines.due>`); an extension of the course's configuration then counts on top
(a length is added to it, a date replaces it), and a course-wide accommodation on top of that. Reading a saved
file, not Canvas, keeps every report offline and the same until the next ``dgmlab overrides``.
"""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from ..layout import Course, CourseError
from .times import whole_minute

FOLDER = Path(".dgmlab") / "canvas_overrides"


def path(course: Course, hw: str) -> Path:
    return course.root / FOLDER / f"{hw}.json"


def read(course: Course | None) -> dict:
    """``{hw: {student: aware due date}}`` of every saved file (``{}`` without a course or files)."""
    if course is None:
        return {}
    folder = course.root / FOLDER
    out = {}
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            due = json.loads(file.read_text(encoding="utf-8"))["due"]
            out[file.stem] = {str(sid): whole_minute(_dt.datetime.fromisoformat(t)) for sid, t in due.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CourseError(f"{file} is not a file dgmlab overrides wrote ({type(exc).__name__}: {exc}): run "
                              f"`dgmlab overrides {file.stem}` again, or delete it") from exc
        if any(t.tzinfo is None for t in out[file.stem].values()):
            raise CourseError(f"{file}: a due date without a time zone: run `dgmlab overrides {file.stem}` again")
    return out
