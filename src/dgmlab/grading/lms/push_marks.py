"""The per-student loop of every LMS's ``dgmlab push`` (:func:`push_marks`) and what a push did (:class:`Pushed`).

Canvas (:mod:`.lms`), LTI 1.3 (:mod:`.lti`) and Moodle (:mod:`.moodle`) each bring an :class:`Lms`: the mark the
LMS shows for a user, and how to send one student's mark there. The loop keeps the rules they share, student by
student: no final mark, nothing is sent (LTI sends a mark still to grade by hand as pending), and the listing says
when the LMS still shows a mark an earlier push sent (it is not taken back); no user id on that LMS (the course's id
map, :func:`dgmlab.grading.lms.id_map.platform_ids`, for the LMS's ``platform``), the student is named with how to
give one; a mark changed in the LMS since the last push, or set there before any, is
kept unless ``force`` (:func:`changed_there`); a mark and comment the last push sent are not sent again; what was
sent goes into the push record (``.dgmlab/push/...json``) after each student, so a crash mid-push keeps it.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..inert import terminal
from ..marks import mark_text
from ..report import final_mark as final_mark_module


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
    notes: list = field(default_factory=list)  # what else the push did there (LTI: the grade column it made or took)

    def lines(self, force: bool = False) -> list:
        out = [f"pushed {len(self.sent)} marks of {self.hw} to {self.where}"
               + (f", {len(self.unchanged)} unchanged since the last push" if self.unchanged else "")]
        out += [terminal(note) for note in self.notes]
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


class Skip(Exception):
    """Raised by an :class:`Lms`'s ``shown`` or ``send``: this student is not pushed, for the reason it says."""


@dataclass
class Student:
    """One student on the way to the LMS, as :func:`push_marks` hands them to the LMS's ``send``."""

    sid: str
    uid: str  # their LMS user id
    mark: object  # its final mark (dgmlab.grading.report.final_mark.Mark)
    comment: str  # the grade summary, or (a pending mark) why it is pending
    theirs: float | None  # the mark the LMS shows (None: none)
    send_mark: bool = True  # False: the mark stays (a conflict not forced, or unchanged since the last push)


def now_seconds() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def same_mark_and_comment(last: dict, st: Student) -> bool:
    """Whether the last push (its record entry ``last``) sent ``st``'s mark and comment already."""
    return _same(last.get("score"), st.mark.number) and last.get("comment") == st.comment


@dataclass
class Lms:
    """What one LMS brings to :func:`push_marks`."""

    id_hint: str  # how to give a student their LMS user id ("{sid}": the student), for the message
    shown: Callable[[str], float | None]  # the mark the LMS shows for a user id (None: none), or raises Skip
    send: Callable[[Student], None]  # sends the mark where st.send_mark (and what goes beside it), or raises Skip
    unchanged: Callable[[dict, Student], bool] = same_mark_and_comment  # nothing to send since the last push
    pending_too: bool = False  # a mark still to grade by hand is sent as pending (LTI), not skipped
    beside: bool = False  # send is called for a student whose mark stays too (Moodle's feedback files)
    now: Callable[[], str] = now_seconds  # the record's pushed_at
    platform: str = ""  # whose ids (id_map.platform_ids): the kit's or a plug-in's name; "": nbgrader's lms_user_id


def read_record(path: Path) -> dict:
    """What earlier pushes sent, by student (``{}`` before the first)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_record(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")


def _still_there(where: str, last: dict | None) -> str:
    """What the LMS still shows of a student whose mark is not sent now (``last``: the record's entry): the mark
    an earlier push sent stays there, stale, until a final mark is pushed (``""`` when none was sent)."""
    if not last or last.get("score") is None:
        return ""
    when = str(last.get("pushed_at") or "")[:10]
    return (f"; {where} still shows the {mark_text(last['score'])} an earlier push sent"
            + (f" ({when})" if when else "") + ", until this mark is final and pushed")


def push_marks(course, data, subs, lms: Lms, out: Pushed, path: Path, record: dict | None = None,
               force: bool = False) -> None:
    """Push each of ``subs`` (one homework's submissions of ``data``, in order) to ``lms``: what happens is listed
    in ``out`` (whose ``where`` names the LMS), what was sent kept in the record at ``path`` (``record``: as read
    already, else read here) and written after each student."""
    from ..report import grade_summary
    from . import id_map

    record = read_record(path) if record is None else record
    ids = id_map.platform_ids(course, lms.platform) if lms.platform else None
    for sub in subs:
        sid, entry, mark = sub.student, data.roster.get(sub.student), final_mark_module.final_mark(sub)
        if not mark.final and not (lms.pending_too and mark.pending.startswith("pending")):
            out.skipped.append((sid, mark.pending + _still_there(out.where, record.get(sid))))  # nothing is sent
            continue
        uid = ids.get(sid) if ids is not None else (entry.lms_user_id if entry is not None else None)
        if not uid:
            where = f"no {id_map.label(lms.platform)} in {id_map.FILE}" if lms.platform else \
                "no LMS user id in nbgrader's student table"
            out.skipped.append((sid, f"{where} ({lms.id_hint.format(sid=sid)})"))
            continue
        uid = str(uid)
        try:
            theirs = lms.shown(uid)
        except Skip as why:
            out.skipped.append((sid, str(why)))
            continue
        last = record.get(sid)
        comment = grade_summary.summary_text(data, sub, grade_summary.rubric_lines(course, sub)) if mark.final else mark.pending
        st = Student(sid, uid, mark, comment, theirs)
        why = changed_there(out.where, theirs, mark.number, None if last is None else last.get("score"))
        if why:
            out.conflicts.append((sid, why + f"; dgmlab's mark is {mark.text}"))
            st.send_mark = force
        elif last is not None and lms.unchanged(last, st):
            out.unchanged.append(sid)
            st.send_mark = False
        if not st.send_mark and not lms.beside:
            continue
        try:
            lms.send(st)
        except Skip as why:
            out.skipped.append((sid, str(why)))
            continue
        if st.send_mark:
            record[sid] = {"score": mark.number, "comment": comment, "user_id": uid, "pushed_at": lms.now()}
            (out.sent.append((sid, mark.number)) if mark.final else out.pending.append((sid, mark.pending)))
            write_record(path, record)  # after each: a crash mid-push keeps what was sent


def check_maximum(where: str, hw: str, maximum, subs, fix: str) -> None:
    """Refuse, before any mark is sent, a column of the LMS ``where`` whose maximum (``maximum``: the points it grades
    ``hw`` out of; ``None`` or 0, none; negative, a scale) is not the homework's points (the final marks' maximum of
    ``subs``): each mark would read on the wrong scale there (20 of 20 as 32 % of 63, 100 of 63 as 159 %). ``fix``:
    where to set it in that LMS."""
    from ..layout import CourseError

    if not subs:
        return
    top = max(float(final_mark_module.final_mark(s).max_score) for s in subs)
    if maximum is not None and float(maximum) > 0 and abs(float(maximum) - top) < 1e-6:
        return
    has = ("no points maximum" if maximum is None or float(maximum) == 0 else "on a scale, not in points"
           if float(maximum) < 0 else f"out of {float(maximum):g} points")
    raise CourseError(f"{where} grades {hw} {has}, the homework is out of {top:g}: no mark was sent (each would "
                      f"read on the wrong scale there). {fix.format(points=f'{top:g}')}, then push again")
