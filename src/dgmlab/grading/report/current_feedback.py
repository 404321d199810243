"""Feedback kept current with the gradebook: which students' feedback predates their hand grades, and its renewal.

``dgmlab autograde`` writes each student's feedback (``feedback/<student>/<hw>/<notebook>.html``) from the
grading's own gradebook, before anyone grades the written answers; ``dgmlab grade`` (or nbgrader's formgrader)
then writes hand scores and rubric comments into the course's gradebook. ``dgmlab report`` asks
:func:`stale` which feedback no longer shows what the gradebook holds and has :func:`renew` write it again
(nbgrader's ``generate_feedback --force`` for that student, the returned notebook with it), before it writes the
grade summaries beside it. So feedback shows the rubric comments without anyone running nbgrader by hand.

What the feedback was written from is kept in ``.dgmlab/feedback/<hw>/<student>.json``: a digest of every grade
and comment of the submission in the gradebook (:func:`gradebook_state`) and of the HTML written. Feedback is
stale when the gradebook's digest differs from the recorded one, or when the HTML is no longer the one recorded
(``dgmlab autograde`` wrote it again) while the submission has hand grades; feedback with no record is stale once
the submission has any hand grade or comment (autograding wrote it before them). Only feedback that exists is
renewed: a course that autogrades with ``--no-feedback`` gets none.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .. import nbgrader_gradebook
from ..inert import terminal
from ..layout import Course
from ..returned_notebooks import write_student_notebooks


def _record(course: Course, hw: str, student: str) -> Path:
    return course.root / ".dgmlab" / "feedback" / hw / f"{student}.json"


def _html_digest(course: Course, hw: str, student: str) -> str:
    h = hashlib.sha256()
    for path in sorted(course.folder("feedback", hw, student).glob("*.html")):
        if path.stem.startswith("grade_summary"):
            continue
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _has_feedback(course: Course, hw: str, student: str, notebooks) -> bool:
    folder = course.folder("feedback", hw, student)
    return any((folder / f"{nb}.html").is_file() for nb in notebooks)


def gradebook_state(submission) -> tuple[str, bool]:
    """A digest of what nbgrader's feedback shows of an nbgrader ``SubmittedAssignment`` (every grade's scores
    and every comment), and whether it holds any hand grade or comment."""
    rows, hand = [], False
    for nb in sorted(submission.notebooks, key=lambda n: n.name):
        rows.append(("late", nb.name, nb.late_submission_penalty))
        for g in sorted(nb.grades, key=lambda g: g.name):
            rows.append(("grade", nb.name, g.name, g.auto_score, g.manual_score, g.extra_credit,
                         bool(g.needs_manual_grade)))
            hand = hand or g.manual_score is not None
        for c in sorted(nb.comments, key=lambda c: c.name):
            rows.append(("comment", nb.name, c.name, c.auto_comment, c.manual_comment))
            hand = hand or bool(c.manual_comment)
    digest = hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()
    return digest, hand


def stale(course: Course, hws) -> list[tuple[str, str, str]]:
    """``[(hw, student, gradebook digest)]`` of each submission whose feedback no longer shows its gradebook."""
    db = course.root / "gradebook.db"
    if not db.exists():
        return []
    out = []
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        for assignment in gb.assignments:
            if assignment.name not in hws:
                continue
            notebooks = [nb.name for nb in assignment.notebooks]
            for sub in assignment.submissions:
                hw, sid = assignment.name, sub.student.id
                if not _has_feedback(course, hw, sid, notebooks):
                    continue
                digest, hand = gradebook_state(sub)
                path = _record(course, hw, sid)
                record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
                if record is None:
                    old = not hand
                else:
                    old = record.get("gradebook") == digest and (
                        record.get("html") == _html_digest(course, hw, sid) or not hand)
                if not old:
                    out.append((hw, sid, digest))
    return out


@dataclass
class Renewed:
    """What :func:`renew` did."""

    written: list  # (hw, student)
    failed: list  # (hw, student, why)

    def lines(self) -> list:
        out = []
        if self.written:
            out.append(f"feedback written again with the gradebook's hand grades and comments: {len(self.written)} "
                       "(" + ", ".join(terminal(f"{s} {hw}") for hw, s in self.written[:5])
                       + (", ..." if len(self.written) > 5 else "") + ")")
        out += [terminal(f"feedback of {s} {hw} NOT written again: {why}") for hw, s, why in self.failed]
        return out


def renew(course: Course, hws, render) -> Renewed:
    """Write again the feedback of every :func:`stale` submission of ``hws``: ``render(root, hw, student)`` is
    nbgrader's ``generate_feedback --force`` for one student (``dgmlab.grading.autograde.nbgrader_run.run_feedback``,
    which returns a :class:`~dgmlab.grading.layout.StepResult`), then the returned notebook is written again
    beside it and what the feedback was written from is recorded. A failure is listed; the old feedback may be
    gone then (nbgrader empties the folder first), so the grade summary written next is the student's account."""
    out = Renewed([], [])
    for hw, sid, digest in stale(course, list(hws)):
        res = render(course.root, hw, sid)
        if not res.ok:
            out.failed.append((hw, sid, res.reason or "nbgrader's generate_feedback failed"))
            continue
        try:
            write_student_notebooks(course, sid, hw)
        except Exception as exc:  # the feedback stands; only the returned copy is missing
            out.failed.append((hw, sid, f"the returned notebook could not be written: {exc}"[:300]))
        path = _record(course, hw, sid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"gradebook": digest, "html": _html_digest(course, hw, sid),
                                    "written_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")},
                                   indent=1), encoding="utf-8")
        out.written.append((hw, sid))
    return out
