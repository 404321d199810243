"""Regrade requests per question: asked, listed, answered with a reason the student reads, all on the record.

A request is a student's text about one question of a homework. It comes in two ways:

- a TA enters it (an e-mail, a word after class): ``dgmlab grade <hw> --request STUDENT QUESTION --text "..."``
  (:func:`request`);
- the student hands in ``regrade.md`` with their submission (``submitted/<student>/<hw>/regrade.md``, placed there
  by ``dgmlab collect``), one ``## <question id>`` section per question (:func:`read_files`, which ``dgmlab report``
  and ``dgmlab grade <hw> --requests`` run): read as text only, at most :data:`MAX_FILE` bytes and
  :data:`MAX_TEXT` characters a request; a section already entered is not entered again.

It is answered with a decision, ``kept`` or ``changed``, and a reason (:func:`answer`, ``dgmlab grade <hw>
--answer-request STUDENT QUESTION --decision kept --reason "..."``); a changed mark is changed as any other, on the
grading page or with a table. The answer's line (``regrade request: kept: <reason>``) joins the question's lines in
the student's feedback (:func:`feedback_lines`, through :func:`.rubrics.feedback_lines`), so the grade summary and
the next ``dgmlab push`` carry it. ``dgmlab report`` lists the requests still open (:func:`report_lines`).

Requests and answers are lines of the homework's audit log (:mod:`.audit_log`): appended, never edited; the
student's text is data there, in the terminal (:func:`dgmlab.grading.inert.terminal`) and in the feedback.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from ..inert import terminal
from ..layout import Course, CourseError
from . import audit_log
from .class_grades import gradebook, students

FILE = "regrade.md"  # the file a student hands in with their submission
MAX_FILE = 20_000  # bytes of regrade.md read
MAX_TEXT = 4_000  # characters of one request kept
MAX_REASON = 2_000
MAX_SECTIONS = 20  # sections of one regrade.md read (a homework has fewer questions)
DECISIONS = ("kept", "changed")
REQUESTED, ANSWERED = "regrade requested", "regrade answered"


@dataclass
class Answer:
    decision: str  # "kept" or "changed"
    reason: str
    who: str
    when: str


@dataclass
class Request:
    student: str
    question: str
    text: str
    when: str  # UTC, ISO
    source: str  # "ta" (entered by `who`) or "regrade.md"
    who: str
    seq: int  # its line in the audit log
    answered: Answer | None = None

    def to_json(self) -> dict:
        """The request as plain data (the grading page's answer), its answer a dict or ``None``."""
        return asdict(self)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bounded(text: str) -> str:
    """A request's text as it is kept: stripped, at most :data:`MAX_TEXT` characters (stripped again, so that a cut
    at a space keeps what a second reading keeps)."""
    return str(text).strip()[:MAX_TEXT].strip()


def _check(course: Course, hw: str, student: str, question: str) -> None:
    """Refuse a student without a submission of ``hw`` in the gradebook, or a question that is not one of its
    graded cells."""
    with gradebook(course) as gb:
        try:
            assignment = gb.find_assignment(hw)
        except Exception:  # nbgrader's MissingEntry
            raise CourseError(f"the gradebook has no {hw}: autograde it first (dgmlab autograde {hw})") from None
        cells = sorted({c.name for nb in assignment.notebooks for c in nb.grade_cells})
        if student not in {s.student.id for s in assignment.submissions}:
            raise CourseError(f"no submission of {hw} by {student!r} in the gradebook: give the student's id")
    if question not in cells:
        raise CourseError(f"{hw} has no graded question {question!r}: give one of {', '.join(cells)}")


def requests(course: Course, hw: str, question: str | None = None) -> list:
    """Every regrade request of ``hw`` (of ``question`` when given), oldest first, each with its answer or
    ``None`` while open."""
    out, open_ = [], {}
    for r in audit_log.records(course, hw):
        new = r.get("new") if isinstance(r.get("new"), dict) else {}
        key = (str(r.get("student")), str(r.get("question")))
        if r.get("what") == REQUESTED:
            req = Request(key[0], key[1], str(new.get("text", "")), str(r.get("when")), str(new.get("source", "")),
                          str(r.get("who")), int(r.get("seq", 0)))
            out.append(req)
            open_.setdefault(key, []).append(req)
        elif r.get("what") == ANSWERED:
            for req in open_.pop(key, []):
                req.answered = Answer(str(new.get("decision")), str(new.get("reason", "")), str(r.get("who")),
                                      str(r.get("when")))
    return [r for r in out if question is None or r.question == question]


def request(course: Course, hw: str, student: str, question: str, text: str, *, who: str | None = None,
            source: str = "ta") -> Request:
    """Enter ``student``'s request about ``question`` (its text bounded to :data:`MAX_TEXT` characters)."""
    _check(course, hw, student, question)
    text = bounded(text)
    if not text:
        raise CourseError("a regrade request needs its text: what the student asks (--text \"...\")")
    who = who or audit_log.default_who()
    lines, _ = audit_log.append(course, hw, [{"what": REQUESTED, "question": question, "student": student,
                                              "old": None, "new": {"text": text, "source": source},
                                              "sha256": _sha(text)}], who=who, via=source)
    return next(r for r in requests(course, hw) if r.seq == lines)


def answer(course: Course, hw: str, question: str, student: str, decision: str, reason: str,
           who: str | None = None) -> list:
    """Answer ``student``'s open requests about ``question``: ``decision`` ``kept`` or ``changed`` (change the
    mark itself on the grading page or with a table), and the ``reason`` the student reads in their feedback.
    Returns the requests answered."""
    if decision not in DECISIONS:
        raise CourseError(f"a regrade's decision is {' or '.join(DECISIONS)} (got {decision!r})")
    reason = " ".join(str(reason).split())[:MAX_REASON]
    if not reason:
        raise CourseError("a regrade's answer needs a reason: the student reads it with their feedback")
    waiting = [r for r in requests(course, hw, question) if r.student == student and r.answered is None]
    if not waiting:
        raise CourseError(f"{student} has no open regrade request about {question} of {hw}: enter it first "
                          f"(dgmlab grade {hw} --request {student} {question} --text \"...\")")
    audit_log.append(course, hw, [{"what": ANSWERED, "question": question, "student": student,
                                   "old": None, "new": {"decision": decision, "reason": reason},
                                   "requests": [r.seq for r in waiting]}],
                     who=who or audit_log.default_who(), via="answer")
    done = {r.seq for r in waiting}
    return [r for r in requests(course, hw, question) if r.seq in done]


def feedback_lines(course: Course, hw: str, student: str) -> dict:
    """question -> the lines of ``student``'s answered requests (``regrade request: kept: <reason>``)."""
    out = {}
    if not audit_log.path(course, hw).exists():
        return out
    for r in requests(course, hw):
        if r.student == student and r.answered is not None:
            line = f"regrade request: {r.answered.decision}: {r.answered.reason}"
            if line not in out.get(r.question, []):
                out.setdefault(r.question, []).append(line)
    return out


# ------------------------------------------------------------------ regrade.md in the submission
def sections(text: str) -> list:
    """``[(heading, body)]`` of a ``regrade.md``: each ``## <question id>`` heading and the text under it."""
    out, heading, body = [], None, []
    for line in text.splitlines():
        if line.startswith("## "):
            if heading is not None:
                out.append((heading, "\n".join(body).strip()))
            heading, body = line[3:].strip(), []
        elif heading is not None:
            body.append(line)
    if heading is not None:
        out.append((heading, "\n".join(body).strip()))
    return out


def read_files(course: Course, hw: str, who: str | None = None) -> tuple:
    """Enter the requests of every ``submitted/<student>/<hw>/regrade.md`` not entered yet; returns ``(requests
    entered, problems)``. At most :data:`MAX_SECTIONS` sections of a file are read; a heading that is no graded
    question, or a question the student already has an open request on, is said (one line a file), not entered."""
    records = audit_log.records(course, hw)
    seen = {(r.get("student"), r.get("question"), r.get("sha256")) for r in records if r.get("what") == REQUESTED}
    open_ = {(r.student, r.question) for r in requests(course, hw) if r.answered is None}
    graded = _graded_cells(course, hw)
    entered, problems = [], []
    for student in students(course, hw):
        p = course.folder("submitted", hw, student) / FILE
        if p.is_symlink() or not p.is_file():
            continue
        with open(p, "rb") as f:
            raw = f.read(MAX_FILE)
        skipped = []
        for heading, body in sections(raw.decode("utf-8", errors="replace"))[:MAX_SECTIONS]:
            text = bounded(body)
            if not text or (student, heading, _sha(text)) in seen:
                continue
            if heading not in graded or (student, heading) in open_:
                skipped.append(heading[:40])
                continue
            entered.append(request(course, hw, student, heading, text, who=who, source=FILE))
            seen.add((student, heading, _sha(text)))
            open_.add((student, heading))
        if skipped:
            problems.append(f"{student}'s {FILE}: {len(skipped)} section(s) not entered (no graded question of "
                            f"{hw}, or one with a request still open): {', '.join(sorted(set(skipped))[:5])}")
    return entered, problems


def _graded_cells(course: Course, hw: str) -> set:
    with gradebook(course) as gb:
        try:
            return {c.name for nb in gb.find_assignment(hw).notebooks for c in nb.grade_cells}
        except Exception:  # nbgrader's MissingEntry
            return set()


def report_lines(course: Course, hws: list) -> list:
    """``dgmlab report``'s lines: the regrade requests still open, per homework (inert); the ``regrade.md`` files
    read first."""

    out = []
    for hw in hws:
        try:
            students(course, hw)
        except CourseError:
            continue  # not autograded yet: nothing to request
        _, problems = read_files(course, hw)
        waiting = [r for r in requests(course, hw) if r.answered is None]
        if waiting:
            out.append(f"\nregrade requests open in {hw} (dgmlab grade {hw} --answer-request STUDENT QUESTION):")
            out += [terminal(f"  {r.student} {r.question} ({r.when[:10]}, {r.source}): {' '.join(r.text.split())[:200]}")
                    for r in waiting]
        out += [terminal(f"  {p}") for p in problems]
    return out
