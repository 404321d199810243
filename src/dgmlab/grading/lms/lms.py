"""Canvas through its REST API (``canvasapi``): submission times in, final marks and comments out.

Configured as ``c.DgmlabCanvas`` in ``nbgrader_config.py``: the Canvas address, the course's id and each
homework's assignment id. The API token is read from the environment (``CANVAS_API_TOKEN``) or a file outside the
course (``c.DgmlabCanvas.token_file``, mode 600), never from a file in the course. Students are matched by
nbgrader's ``lms_user_id`` (Canvas's user id).

``dgmlab push <hw>`` (:func:`push`) sends each graded student's final mark
(:func:`dgmlab.grading.report.final_mark.final_mark`: autograded + hand-graded points, the late policy applied,
2 decimals: the number every export shows; nothing while an answer is still to grade by hand) and, as a comment,
their grade summary (:mod:`dgmlab.grading.report.grade_summary`). It keeps what it pushed in ``.dgmlab/push/<hw>.json``; a mark
that someone changed in Canvas since (or set there before any push) is not overwritten unless ``force``, and is
listed; its comment and grade summary (which say dgmlab's mark) are not sent either. A student excused from the
homework (``c.DgmlabTerm.excused``) has their submission marked excused (``submission[excuse]``), no mark.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field

from traitlets import Dict, Integer, Unicode
from traitlets.config import Configurable

from ..layout import Course, CourseError
from ..marks import mark_text
from . import lms_secrets

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


@dataclass
class Pushed:
    hw: str
    sent: list = field(default_factory=list)  # (student, mark)
    unchanged: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)  # (student, why)
    skipped: list = field(default_factory=list)  # (student, why)
    where: str = "Canvas"  # the LMS, as its messages name it
    pending: list = field(default_factory=list)  # (student, why): sent as pending (LTI), no mark
    excused: list = field(default_factory=list)  # students marked excused there (c.DgmlabTerm.excused)

    def lines(self, force: bool = False) -> list:
        from ..inert import terminal

        out = [f"pushed {len(self.sent)} marks of {self.hw} to {self.where}"
               + (f", {len(self.unchanged)} unchanged since the last push" if self.unchanged else "")]
        out += [terminal(f"  {s}: {mark_text(m)}") for s, m in self.sent]
        if self.excused:
            out.append(f"marked excused in {self.where} ({len(self.excused)}): " + terminal(", ".join(self.excused)))
        if self.pending:
            out.append(f"marked pending in {self.where} ({len(self.pending)}):")
            out += [terminal(f"  {s}: {why}") for s, why in self.pending]
        if self.conflicts:
            out.append(("OVERWRITTEN" if force else f"NOT OVERWRITTEN (changed in {self.where}; no mark, comment or "
                                                    "grade summary sent; --force sends them)")
                       + f" ({len(self.conflicts)}):")
            out += [terminal(f"  {s}: {why}") for s, why in self.conflicts]
        if self.skipped:
            out.append(f"not pushed ({len(self.skipped)}):")
            out += [terminal(f"  {s}: {why}") for s, why in self.skipped]
        return out


def _record_path(course: Course, hw: str):
    return course.root / ".dgmlab" / "push" / f"{hw}.json"


def _same(a, b) -> bool:
    return a is not None and b is not None and abs(float(a) - float(b)) < 1e-6


def changed_there(where: str, theirs, final, last) -> str | None:
    """Why the mark ``theirs`` the LMS ``where`` shows must not be overwritten with ``final`` (``None`` when it may):
    it was changed there since the last push (``last``: the score that push sent, or ``None`` if none did), or set
    there before any push. A mark the LMS already shows is no conflict. Every LMS's push keeps this rule."""
    if _same(theirs, final):
        return None
    if last is not None and not _same(theirs, last):
        return f"{where} has {theirs}, the last push sent {mark_text(last)} (changed in {where} since)"
    if last is None and theirs is not None:
        return f"{where} has {theirs}, set there, not by dgmlab push"
    return None


def push(course: Course, hw: str, force: bool = False, token: str | None = None, data=None) -> Pushed:
    """Send ``hw``'s final marks and grade summaries to Canvas (see the module's docstring)."""
    from ..report import analysis as A
    from ..report import grade_summary as GS
    from ..report.final_mark import final_mark
    from ..term.term_rules import term_rules

    data = data if data is not None else A.collect(course, [hw])
    target = assignment(course, hw, token)
    in_canvas = {str(s.user_id): s for s in target.get_submissions()}
    path = _record_path(course, hw)
    record = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    out = Pushed(hw)
    rules = term_rules(course)
    _excuse(rules, data, hw, in_canvas, record, out, path)
    for sub in sorted(data.submissions, key=lambda s: s.student):
        if sub.hw != hw or rules.is_excused(hw, sub.student):  # marked excused above, never given a mark
            continue
        sid = sub.student
        entry = data.roster.get(sid)
        mark = final_mark(sub)
        if not mark.final:  # pending, or no mark at all: nothing is sent
            out.skipped.append((sid, mark.pending))
            continue
        if entry is None or not entry.lms_user_id:
            out.skipped.append((sid, "no LMS user id in nbgrader's student table (nbgrader db student add "
                                     f"{sid} --lms-user-id <Canvas user id>)"))
            continue
        theirs = in_canvas.get(str(entry.lms_user_id))
        if theirs is None:
            out.skipped.append((sid, f"Canvas has no submission record for user {entry.lms_user_id} in this "
                                     "assignment (not enrolled?)"))
            continue
        final = mark.number
        comment = GS.summary_text(data, sub, GS.rubric_lines(course, sub))
        canvas_score = getattr(theirs, "score", None)
        last = record.get(sid)
        why = changed_there("Canvas", canvas_score, final, None if last is None else last["score"])
        if why:
            out.conflicts.append((sid, why + f"; dgmlab's mark is {mark.text}"))
            if not force:
                continue
        elif last is not None and _same(last["score"], final) and last.get("comment") == comment:
            out.unchanged.append(sid)
            continue
        try:
            theirs.edit(submission={"posted_grade": final}, comment={"text_comment": comment})
        except Exception as exc:
            out.skipped.append((sid, f"Canvas refused the mark ({type(exc).__name__}: {exc})"))
            continue
        record[sid] = {"score": final, "comment": comment, "user_id": str(entry.lms_user_id),
                       "pushed_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        out.sent.append((sid, final))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")  # after each: a crash
        # mid-push keeps what was sent
    return out


def _excuse(rules, data, hw: str, in_canvas: dict, record: dict, out: Pushed, path) -> None:
    """Mark excused in Canvas (``submission[excuse]``) the submission of each rostered student excused from ``hw``
    (``c.DgmlabTerm.excused``) not marked so by an earlier push; what cannot be is listed in ``out.skipped``."""
    for sid in sorted(data.roster):
        if not rules.is_excused(hw, sid) or (record.get(sid) or {}).get("excused"):
            continue
        entry = data.roster[sid]
        theirs = in_canvas.get(str(entry.lms_user_id)) if entry.lms_user_id else None
        if theirs is None:
            out.skipped.append((sid, "excused, but not marked so in Canvas: no Canvas submission for this student "
                                     "(no LMS user id, or not enrolled)"))
            continue
        try:
            theirs.edit(submission={"excuse": True})
        except Exception as exc:
            out.skipped.append((sid, f"Canvas refused to mark it excused ({type(exc).__name__}: {exc})"))
            continue
        record[sid] = {"score": None, "excused": True, "user_id": str(entry.lms_user_id),
                       "pushed_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        out.excused.append(sid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
