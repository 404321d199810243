"""The registrar's export: one row per student with the course total, its letter and each homework's mark.

``dgmlab registrar`` (:func:`write`) writes ``registrar.csv``: ``student_id``, ``name`` (the roster's "Last,
First"), ``total`` (percent, to ``c.DgmlabTerm.precision`` decimals, or ``pending``), ``letter`` (empty while
pending), then one column per homework that counts: its final mark (points, the late policy applied), ``excused``
or ``pending``. A homework that was collected but holds nothing from a student is a mark of 0 once the student's
own due date (extensions and accommodations included) has passed, and listed on the terminal as missing; before
it, pending. The total and the letter follow :mod:`dgmlab.grading.term.course_total`; dropped students
(``c.DgmlabTerm.dropped``) have no row. Every cell passes :func:`dgmlab.grading.inert.csv_cell`: a name from the
roster is data, never a spreadsheet formula.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from ..inert import terminal, write_csv
from ..layout import Course
from ..term import course_total as course_total_module
from ..term.deadlines import deadlines
from ..term.term_rules import TermRules, term_rules
from . import final_mark as final_mark_module


@dataclass
class Registrar:
    """What :func:`rows` made: the rows (the header first) and what the instructor should know."""

    rows: list
    totals: dict  # student -> course_total.Total
    missing: list = field(default_factory=list)  # (student, hw): counted 0
    problems: list = field(default_factory=list)  # in words


def final_mark(data, student: str, hw: str, due: _dt.datetime | None = None, now: _dt.datetime | None = None
               ) -> course_total_module.Mark:
    """``student``'s final mark of ``hw`` from the class's data (:func:`dgmlab.grading.report.analysis.collect`):
    a mark (auto + hand points, the late policy applied), pending (with why) or missing (nothing handed in, and
    ``due``, the student's own due date, has passed: else pending). The one place the registrar reads a final
    mark."""
    subs = [s for s in data.submissions if s.student == student and s.hw == hw]
    if hw not in data.hws:
        return course_total_module.Mark(course_total_module.PENDING, reason="not graded yet: no grades of it in the gradebook")
    top = data.max_score.get(hw, 0.0)
    if not subs:
        if due is not None and due > (now or _dt.datetime.now(_dt.timezone.utc)):
            return course_total_module.Mark(course_total_module.PENDING, None, top, f"not due yet for them (due {due.isoformat(timespec='minutes')})")
        return course_total_module.Mark(course_total_module.MISSING, None, top, "nothing handed in")
    mark = final_mark_module.final_mark(subs[0])  # the number every other surface shows, or why there is none
    if not mark.final:
        return course_total_module.Mark(course_total_module.PENDING, None, top, mark.pending.removeprefix("pending: "))
    return course_total_module.Mark(course_total_module.MARK, mark.value, float(mark.max_score) or top)


def _cell(mark: course_total_module.Mark) -> str:
    if mark.status in (course_total_module.EXCUSED, course_total_module.PENDING):
        return mark.status
    return final_mark_module.mark_text(mark.counted_points)


def rows(data, rules: TermRules, homeworks=None, due=None, now=None) -> Registrar:
    """The registrar's rows of ``data`` under ``rules``; ``homeworks``: the columns (default: the weighted
    homeworks, or every graded one when no weights are set); ``due(hw, student)``: the student's own due date
    (extensions and accommodations included), so that nothing handed in before it is pending, not 0."""
    hws = list(homeworks) if homeworks else (list(rules.weights) or list(data.hws))
    students = sorted((set(data.roster) | {s.student for s in data.submissions}) - rules.dropped)
    head = ["student_id", "name", "total", "letter"]
    head += [f"{hw} (of {data.max_score[hw]:g})" if hw in data.max_score else hw for hw in hws]
    out = Registrar([head], {}, problems=list(data.problems))
    for sid in students:
        marks = {hw: (course_total_module.Mark(course_total_module.EXCUSED) if rules.is_excused(hw, sid)
                      else final_mark(data, sid, hw, due(hw, sid) if due else None, now)) for hw in hws}
        out.missing += [(sid, hw) for hw, m in marks.items() if m.status == course_total_module.MISSING]
        total = course_total_module.course_total(marks, {hw: rules.weights.get(hw, 1.0) for hw in hws} if rules.weights else {},
                               rules.letters, rules.precision)
        out.totals[sid] = total
        entry = data.roster.get(sid)
        name = entry.display if entry is not None else sid
        out.rows.append([sid, name, total.text(rules.precision), total.letter] + [_cell(marks[hw]) for hw in hws])
    return out


def collect(course: Course):
    """The class's data, read as every report reads it."""
    from . import analysis

    return analysis.collect(course)


def write(course: Course, path: Path | str = "registrar.csv") -> tuple[Path, Registrar]:
    """Write the registrar's CSV of ``course`` at ``path`` (relative: in the course folder)."""
    rules = term_rules(course)
    rules.check_homeworks(course.homeworks())

    dates = deadlines(course)
    got = rows(collect(course), rules, due=lambda hw, sid: dates.due(hw, sid))
    path = Path(path)
    target = path if path.is_absolute() else course.root / path
    return write_csv(target, got.rows), got


def lines(got: Registrar) -> list:
    """What the terminal shows of ``got``: the totals' count, each pending total with why, each missing mark."""
    pending = {sid: t for sid, t in got.totals.items() if t.percent is None}
    out = [f"{len(got.totals)} students, {len(got.totals) - len(pending)} with a total, {len(pending)} pending"]
    for sid, t in sorted(pending.items()):
        why = "; ".join(f"{hw}: {reason}" if hw else reason for hw, reason in t.pending)
        out.append(terminal(f"  pending {sid}: {why}"))
    if got.missing:
        out.append(f"counted as 0, nothing handed in ({len(got.missing)}):")
        out += [terminal(f"  {sid}: {hw}") for sid, hw in got.missing]
    out += [terminal(f"roster: {p}") for p in got.problems]
    return out
