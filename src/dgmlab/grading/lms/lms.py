"""Canvas through its REST API (``canvasapi``): submission times in, final marks and comments out.

Configured as ``c.DgmlabCanvas`` in ``nbgrader_config.py``: the Canvas address, the course's id and each
homework's assignment id. The API token is read from the environment (``CANVAS_API_TOKEN``) or a file outside the
course (``c.DgmlabCanvas.token_file``, mode 600), never from a file in the course. Students are matched by their
Canvas user id in the course's id map (:func:`dgmlab.grading.lms.id_map.platform_ids`).

``dgmlab push <hw>`` (:func:`push`) sends each graded student's final mark
(:func:`dgmlab.grading.report.final_mark.final_mark`: autograded + hand-graded points, the late policy applied,
2 decimals: the number every export shows; nothing while an answer is still to grade by hand; nothing at all
when the assignment's ``points_possible`` is not the homework's points) and, as a comment,
their grade summary (:mod:`dgmlab.grading.report.grade_summary`). It keeps what it pushed in
``.dgmlab/push/<hw>.json``; a mark that someone changed in Canvas since (or set there before any push) is not
overwritten unless ``force``, and is listed; its comment and grade summary (which say dgmlab's mark) are not sent
either (the loop of :func:`dgmlab.grading.lms.push_marks.push_marks`, which every LMS's push shares). A student
excused from the homework (``c.DgmlabTerm.excused``) has their submission marked excused (``submission[excuse]``),
no mark.
"""
from __future__ import annotations

import datetime as _dt

from traitlets import Dict, Integer, Unicode
from traitlets.config import Configurable

from ..layout import Course, CourseError
from ..term.term_rules import term_rules
from . import id_map, lms_secrets
from .push_marks import Lms, Pushed, Skip, Student, check_maximum, now_seconds, push_marks, read_record, write_record

TOKEN_ENV = "CANVAS_API_TOKEN"


class DgmlabCanvas(Configurable):
    """Where the course's Canvas is and which assignment is which homework."""

    url = Unicode("", help="The Canvas address, e.g. https://canvas.university.edu (no /api/v1).").tag(config=True)
    course_id = Integer(0, help="The Canvas course's id (the number in its address).").tag(config=True)
    assignments = Dict(help="{homework: Canvas assignment id}").tag(config=True)
    token_file = Unicode("", help=f"A file outside the course (mode 600) holding the API token, where {TOKEN_ENV} "
                                  "is not set").tag(config=True)


def settings(course: Course) -> DgmlabCanvas:
    return course.settings(DgmlabCanvas)


def assignment(course: Course, hw: str, token: str | None = None):
    """The Canvas assignment of ``hw`` (a ``canvasapi`` Assignment)."""
    from canvasapi import Canvas

    s = settings(course)
    missing = [n for n, v in (("url", s.url), ("course_id", s.course_id)) if not v]
    if hw not in s.assignments:
        missing.append(f'assignments["{hw}"]')
    if missing:
        raise CourseError(f"set c.DgmlabCanvas.{', c.DgmlabCanvas.'.join(missing)} in nbgrader_config.py "
                          "(docs/instructor_guide.md, 'Canvas')")
    token = token or lms_secrets.token(course, TOKEN_ENV, s.token_file, "c.DgmlabCanvas.token_file",
                                       "Canvas API token (Canvas: Account > Settings > New access token)")
    try:
        return Canvas(s.url.rstrip("/"), token).get_course(s.course_id).get_assignment(s.assignments[hw])
    except Exception as exc:
        raise CourseError(f"Canvas at {s.url}: could not read course {s.course_id}'s assignment "
                          f"{s.assignments[hw]} ({type(exc).__name__}: {exc})") from exc


def _time(text):
    if not text:
        return None
    return _dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def submission_times(course: Course, hw: str, token: str | None = None) -> dict:
    """``{Canvas user id: aware time}`` of each submission of ``hw`` Canvas holds (its latest attempt's)."""
    out = {}
    for sub in assignment(course, hw, token).get_submissions():
        when = _time(getattr(sub, "submitted_at", None))
        if when is not None:
            out[str(sub.user_id)] = when
    return out


def _record_path(course: Course, hw: str):
    return course.root / ".dgmlab" / "push" / f"{hw}.json"


def push(course: Course, hw: str, force: bool = False, token: str | None = None, data=None) -> Pushed:
    """Send ``hw``'s final marks and grade summaries to Canvas (see the module's docstring)."""
    from ..report import analysis

    data = data if data is not None else analysis.collect(course, [hw])
    target = assignment(course, hw, token)
    check_maximum("Canvas", hw, getattr(target, "points_possible", None), [s for s in data.submissions if s.hw == hw],
                  "Set the assignment's Points to {points} in Canvas (the assignment's Edit page)")
    in_canvas = {str(s.user_id): s for s in target.get_submissions()}
    path = _record_path(course, hw)
    record = read_record(path)
    out = Pushed(hw)
    rules = term_rules(course)
    _excuse(rules, data, hw, in_canvas, record, out, path, id_map.platform_ids(course, "canvas"))
    subs = sorted((s for s in data.submissions if s.hw == hw and not rules.is_excused(hw, s.student)),
                  key=lambda s: s.student)  # the excused: marked excused above, never given a mark

    def shown(uid: str):
        if uid not in in_canvas:
            raise Skip(f"Canvas has no submission record for user {uid} in this assignment (not enrolled?)")
        return getattr(in_canvas[uid], "score", None)

    def send(st: Student) -> None:
        try:
            in_canvas[st.uid].edit(submission={"posted_grade": st.mark.number}, comment={"text_comment": st.comment})
        except Exception as exc:
            raise Skip(f"Canvas refused the mark ({type(exc).__name__}: {exc})") from None

    canvas = Lms(id_hint="dgmlab ids canvas reads it from Canvas; or dgmlab ids import CSV, columns student,canvas",
                 shown=shown, send=send, platform="canvas")
    push_marks(course, data, subs, canvas, out, path, record, force)
    return out


def _excuse(rules, data, hw: str, in_canvas: dict, record: dict, out: Pushed, path, ids: dict) -> None:
    """Mark excused in Canvas (``submission[excuse]``) the submission of each rostered student excused from ``hw``
    (``c.DgmlabTerm.excused``) not marked so by an earlier push (``ids``: their Canvas user ids); what cannot be is
    listed in ``out.skipped``."""
    for sid in sorted(data.roster):
        if not rules.is_excused(hw, sid) or (record.get(sid) or {}).get("excused"):
            continue
        uid = ids.get(sid)
        theirs = in_canvas.get(uid) if uid else None
        if theirs is None:
            out.skipped.append((sid, "excused, but not marked so in Canvas: no Canvas submission for this student "
                                     f"(no Canvas user id in {id_map.FILE}, or not enrolled)"))
            continue
        try:
            theirs.edit(submission={"excuse": True})
        except Exception as exc:
            out.skipped.append((sid, f"Canvas refused to mark it excused ({type(exc).__name__}: {exc})"))
            continue
        record[sid] = {"score": None, "excused": True, "user_id": uid, "pushed_at": now_seconds()}
        out.excused.append(sid)
        write_record(path, record)
