"""A homework's rubric choices as a table: written out for a TA to fill in offline (a spreadsheet, a grading
session on paper), read back and applied as the browser applies them (``dgmlab grade <hw> --export/--apply``).

One row per student and written question::

    student,question,items,note
    demo_amara,q2_written,i1 i2,see the margin
    demo_bilal,q2_written,,

``items`` is the rubric items applied, by id, separated by spaces (``rubrics/<hw>.json`` and the exported legend
name them); ``note`` the free comment. The score is the items' sum, as in the browser (:mod:`.rubrics`).

**Nothing is lost.** The whole table is checked before anything is written: an unknown student, question or item,
a row given twice or a missing column is refused, naming its line. A row that would change what a student already
has (other items, another note, or an empty row over given marks) is refused unless ``force``; an empty row for a
student with nothing is left alone; a row equal to what is there changes nothing. Each row applied is a line of
the homework's audit log (:mod:`.audit_log`), by ``csv <file>``, or ``csv <file> --force`` where it changed marks
already given.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..inert import FORMULA_START, csv_cell, terminal
from ..layout import Course, CourseError
from .grade_by_question import rubric_lock
from .rubrics import Applied, Grader, signed_points

COLUMNS = ("student", "question", "items", "note")


@dataclass
class Outcome:
    """What applying a table did: ``(question, student)`` pairs written, left as they were, and refused."""
    applied: list = field(default_factory=list)
    unchanged: int = 0
    refused: list = field(default_factory=list)


def export(grader: Grader, out: Path) -> Path:
    """Every student with a submission and every written question, with what each has now, to ``out``; the
    items' legend goes to ``out`` with ``.items.csv`` (question, item, points, text)."""
    rows = []
    for gid, q in grader.rubric.questions.items():
        for s in grader.students:
            a = q.applied.get(s, Applied())
            rows.append([s, gid, " ".join(a.items), a.note])
    _write(out, COLUMNS, rows)
    legend = [[gid, it.id, signed_points(it.points), it.text]
              for gid, q in grader.rubric.questions.items() for it in q.items]
    _write(out.with_suffix(".items.csv"), ("question", "item", "points", "text"), legend)
    return out


def _write(path: Path, header, rows) -> None:
    if path.exists():
        raise CourseError(f"{path} exists: give another file name, or move it away first (it is not overwritten)")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([[csv_cell(v) for v in row] for row in rows])


def read(grader: Grader, path: Path) -> dict:
    """``{(question, student): Applied}`` from the table at ``path``, every row checked against the rubric and the
    gradebook; the first problems refused together, each with its line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("student", "question", "items") if c not in (reader.fieldnames or ())]
            if missing:
                raise CourseError(f"{path} has no column {', '.join(missing)}: its first line must name "
                                  f"{','.join(COLUMNS)} (dgmlab grade <hw> --export writes one to start from)")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CourseError(f"cannot read {path} as a CSV table ({exc})") from None
    table, problems = {}, []
    for line, row in enumerate(rows, start=2):
        try:
            key, applied = _row(grader, row)
        except CourseError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if key in table:
            problems.append(f"line {line}: {key[0]} {key[1]} is given twice: keep one row")
        table[key] = applied
    if problems:
        raise CourseError(f"{path}: nothing applied:\n  " + "\n  ".join(terminal(p) for p in problems[:20]))
    return table


def _row(grader: Grader, row: dict) -> tuple:
    student, gid = (row.get("student") or "").strip(), (row.get("question") or "").strip()
    grader.check_student(student)
    q = grader.question(gid)
    items = (row.get("items") or "").split()
    for i in items:
        q.item(i)
    if len(set(items)) < len(items):
        raise CourseError(f"an item is given twice for {student}: give each once")
    return (gid, student), Applied(items, _note(row.get("note") or ""))


def _note(cell: str) -> str:
    """The note a cell holds: :func:`csv_cell`'s leading ``'`` before a formula's first character taken off, so
    that an exported table applies back unchanged."""
    text = cell.strip()
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def apply(grader: Grader, table: dict, force: bool = False, via: str = "csv") -> Outcome:
    """Apply ``table`` (:func:`read`): each changed row written to the rubric and the gradebook; a row that would
    change marks already given is refused without ``force``, and nothing of a refused table is written."""
    out = Outcome()
    for (gid, student), new in sorted(table.items()):
        old = grader.rubric.questions[gid].applied.get(student, Applied())
        if (old.items, old.note) == (new.items, new.note):
            out.unchanged += 1
        elif old.empty or force:
            out.applied.append((gid, student))
        else:
            out.refused.append(f"{gid} {student}: has {' '.join(old.items) or 'no item'}"
                               f"{' and a note' if old.note else ''}, the table gives "
                               f"{' '.join(new.items) or 'no item'}{' and a note' if new.note else ''}")
    if out.refused:
        return out
    for gid in sorted({gid for gid, _ in out.applied}):
        rows = [s for g, s in out.applied if g == gid]
        given = [s for s in rows if not grader.rubric.questions[gid].applied.get(s, Applied()).empty]
        fresh = [s for s in rows if s not in given]
        if fresh:
            grader.set_applied(gid, {s: table[(gid, s)] for s in fresh}, via=via)
        if given:  # only with force: marks already given, changed (logged as forced)
            grader.set_applied(gid, {s: table[(gid, s)] for s in given}, via=f"{via} --force")
    return out


def apply_file(course: Course, hw: str, path: Path, force: bool = False, who: str | None = None) -> Outcome:
    """:func:`read` then :func:`apply` the table at ``path`` to ``hw``'s rubric (the rubric lock held), logged as
    ``who`` (default: the OS user)."""
    lock = rubric_lock(course, hw)
    try:
        grader = Grader(course, hw, who=who)
        return apply(grader, read(grader, path), force, via=f"csv {Path(path).name}")
    finally:
        lock.close()
