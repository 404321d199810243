"""A homework's grading on the record: ``rubrics/<hw>.log.jsonl``, appended to, never rewritten.

Every grading action (an item applied or taken off, a note, an item added, edited or deleted, a table applied, a
regrade requested or answered) is one JSON line: who (the OS user unless the grader says otherwise), when (UTC,
ISO), what, by which way (``via``: ``page``, ``csv``, ``group g3``, ...), the question, the student and the
state before and after (``old``, ``new``). :mod:`.rubrics` writes the line *before* it saves the change, so no
change is ever unlogged; a crash in between leaves a logged change the rubric file does not have, which the next
:class:`~.rubrics.Grader` finds (the rubric file records how many lines it reflects, :func:`anchor`) and logs as
``not saved``.

**Tamper-evident.** This module offers :func:`append` and readers only: no function edits or removes a line.
Each line carries ``prev``, the SHA-256 of the line before it (of :data:`GENESIS` for the first), so an edited,
inserted or deleted line breaks the chain (:func:`verify`); the rubric file's anchor (line count and last line's
hash) shows a log cut short. A line is written with ``O_APPEND`` under an exclusive ``flock``, flushed and
``fsync``-ed before :func:`append` returns.

It is a record against mistakes and disputes, not against someone who can rewrite the course's files: they can
rebuild a whole chain. ``dgmlab grade <hw> --log`` prints it (:func:`lines_text`, inert) and says whether the chain
holds.
"""
from __future__ import annotations

import datetime as _dt
import fcntl
import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..inert import terminal
from ..layout import Course

GENESIS = "dgmlab audit log"  # what the first line's prev hashes
CHUNK = 1 << 16
# what changes the rubric file (the rest, regrade requests and answers, live in the log alone)
RUBRIC_CHANGES = frozenset({"toggle", "note", "set", "apply", "item added", "item edited", "item deleted"})


def path(course: Course, hw: str) -> Path:
    return course.root / "rubrics" / f"{hw}.log.jsonl"


def digest(line: bytes) -> str:
    """The SHA-256 (hex) of one line as stored, without its newline."""
    return hashlib.sha256(line).hexdigest()


GENESIS_HASH = digest(GENESIS.encode())


GRADER_ENV = "DGMLAB_GRADER"  # who grades, where not given (--grader sets it: dgmlab grade's page, autograde)


def default_who() -> str:
    """The OS user running the grader (``unknown`` where there is none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def grader(given: str | None = None) -> str:
    """Who a change is logged as: ``given``, else ``$DGMLAB_GRADER``, else the OS user; one line of 100 characters
    at most."""
    return " ".join(str(given or os.environ.get(GRADER_ENV) or default_who()).split())[:100]


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _tail(fd: int) -> tuple:
    """``(line count, last line, whether the file ends with a newline)`` read through ``fd`` (``(0, b"", True)``
    when empty). A last line without its newline (a write cut short) counts as a line."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, CHUNK):
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        return 0, b"", True
    ends = data.endswith(b"\n")
    body = data[:-1] if ends else data
    return body.count(b"\n") + 1, body.rsplit(b"\n", 1)[-1], ends


def append(course: Course, hw: str, events: list, *, who: str, via: str = "") -> tuple:
    """Append ``events`` (dicts: ``what``, ``question``, ``student``, ``old``, ``new``, ...) to ``hw``'s log,
    each with ``who``, ``via``, the time and its ``seq`` and ``prev`` (the chain); durable (``fsync``) when this
    returns. Returns ``(line count, last line's hash)`` after them."""
    p = path(course, hw)
    p.parent.mkdir(parents=True, exist_ok=True)
    new = not p.exists()
    fd = os.open(p, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        count, last, ends = _tail(fd)
        prev = digest(last) if count else GENESIS_HASH
        out = b"" if ends else b"\n"  # a line cut short stays a line of its own (verify names it)
        when = now()
        for event in events:
            count += 1
            record = {"seq": count, "when": when, "who": str(who), "via": str(via), **event, "prev": prev}
            line = json.dumps(record, ensure_ascii=True).encode("ascii")  # ASCII: `cat` shows no escape
            out += line + b"\n"
            prev = digest(line)
        os.write(fd, out)
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the flock
    if new:  # the file's name durable too
        folder = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return count, prev


@dataclass
class Checked:
    """What :func:`verify` found: the records in order (a line that is not one: ``None``) and each problem."""
    records: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    head: tuple = (0, GENESIS_HASH)  # (line count, last line's hash)

    @property
    def holds(self) -> bool:
        return not self.problems


def verify(course: Course, hw: str, anchor: dict | None = None) -> Checked:
    """Read ``hw``'s log and check its chain: each line's ``prev`` is the hash of the line before, its ``seq`` its
    line number; ``anchor`` (the rubric file's ``{"lines": n, "sha256": h}``) says the log had at least ``n``
    lines, the ``n``-th hashing to ``h``."""
    out = Checked()
    p = path(course, hw)
    raw = p.read_bytes() if p.exists() else b""
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        out.problems.append(f"line {len(lines)} has no newline: a write was cut short")
    prev = GENESIS_HASH
    for n, line in enumerate(lines, start=1):
        try:
            record = json.loads(line.decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except ValueError:
            out.records.append(None)
            out.problems.append(f"line {n} is not a log record")
        else:
            out.records.append(record)
            if record.get("prev") != prev:
                out.problems.append(f"line {n} does not follow line {n - 1} (its prev hash differs): a line was "
                                    "edited, inserted or deleted there")
            if record.get("seq") != n:
                out.problems.append(f"line {n} says it is line {record.get('seq')!r}: lines were inserted or "
                                    "deleted")
        prev = digest(line)
    out.head = (len(lines), prev)
    if anchor:
        n, h = int(anchor.get("lines", 0)), str(anchor.get("sha256", ""))
        if n > len(lines):
            out.problems.append(f"the rubric file was saved after line {n}, the log has {len(lines)}: lines were "
                                "cut off its end")
        elif n and digest(lines[n - 1]) != h:
            out.problems.append(f"line {n} is not the line the rubric file was saved after: it was changed")
    return out


_READ: dict = {}  # log path -> ((mtime, size), records): feedback for a whole class reads the log once


def records(course: Course, hw: str) -> list:
    """The records of ``hw``'s log (:func:`verify`'s, those it could read), read again only once the file changed."""
    p = path(course, hw)
    try:
        st = p.stat()
    except FileNotFoundError:
        return []
    key = (st.st_mtime_ns, st.st_size)
    if _READ.get(p, (None,))[0] != key:
        _READ[p] = (key, [r for r in verify(course, hw).records if r])
    return _READ[p][1]


def unsaved(checked: Checked, anchor: dict | None) -> list:
    """The line numbers of rubric changes logged after the rubric file's ``anchor`` (so never saved: a crash
    between the log and the save) that no later ``not saved`` line names already."""
    after = int((anchor or {}).get("lines", 0))
    named = {n for r in checked.records[after:] if r and r.get("what") == "not saved" for n in r.get("lines", [])}
    return [n for n, r in enumerate(checked.records, start=1)
            if n > after and r and r.get("what") in RUBRIC_CHANGES and n not in named]


def _short(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + " ".join(_short(v) for v in value) + "]"
    return str(value)


def line_text(record: dict | None) -> str:
    """One record as a terminal line: every string from it made inert (:func:`dgmlab.grading.inert.terminal`)."""
    if record is None:
        return "(not a log record)"
    who = record.get("student") or " ".join(record.get("students") or [])
    text = (f"{record.get('seq')} {record.get('when')} {record.get('who')} [{record.get('via')}] "
            f"{record.get('what')} {record.get('question') or ''} {who}: {_short(record.get('old'))} -> "
            f"{_short(record.get('new'))}")
    extra = {k: v for k, v in record.items() if k not in
             ("seq", "when", "who", "via", "what", "question", "student", "students", "old", "new", "prev")}
    if extra:
        text += f" ({_short(extra)})"
    return terminal(text)


def lines_text(checked: Checked, question: str | None = None, student: str | None = None) -> list:
    """The records of ``checked`` (of ``question``, of ``student``, when given) as inert lines, then whether the
    chain holds."""
    out = []
    for record in checked.records:
        if record is not None and question and record.get("question") != question:
            continue
        if record is not None and student and student != record.get("student") and \
                student not in (record.get("students") or ()) and student not in (record.get("scores") or {}):
            continue
        out.append(line_text(record))
    n = checked.head[0]
    out.append(f"chain holds: {n} line{'s' if n != 1 else ''}, last {checked.head[1][:16]}" if checked.holds else
               "CHAIN BROKEN:\n  " + "\n  ".join(terminal(p) for p in checked.problems))
    return out
