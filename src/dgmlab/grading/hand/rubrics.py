"""Rubrics for the written answers: items with points and a comment, applied per student, scored into nbgrader.

A homework's rubrics live with the course in ``rubrics/<hw>.json``, one per written (hand-graded) cell::

    {"hw": "hw3_flows", "questions": {"q2_written": {
        "max": 20,
        "items": [{"id": "i1", "points": 5, "text": "(a) correct"}, {"id": "i5", "points": -1, "text": "sign slip"}],
        "applied": {"demo_amara": {"items": ["i1", "i5"], "note": "see the margin"}}}}}

**Scoring.** Items add up from zero: a student's hand score is the sum of the points of the items applied to
them, clamped to ``[0, max]``. A positive item gives credit for what is there, a negative one takes off for a
mistake. A new rubric starts from the homework's point split: one item per part the statement gives points to
(``**(b) (6 points)**``), else one per criterion of the split the model answer states (``**Points (5).** the
stationary point (1), ...``, ``Marks: 1.5 per part.``, :mod:`.model_splits`), else one "correct and complete" for all,
plus a 0-point item "no answer" so that a blank answer can be graded too.

**Into nbgrader.** Applying an item, or writing a note, writes the student's ``manual_score`` and
``manual_comment`` (the applied items' points and texts, then the note, as a markdown list) through nbgrader's
:class:`~nbgrader.api.Gradebook`, as the formgrader does; changing an item's points or text re-scores and
re-words every student who has it. A student with no item and no note is left as nbgrader has them.

**On the record.** Each change is appended to the homework's audit log (:mod:`.audit_log`: who, when, by which
way, old -> new) before the rubric file is saved; the file records the log line it reflects (``"log"``).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..layout import Course, CourseError
from . import adjustments, audit_log, model_splits, regrades, trained_looks
from .class_grades import gradebook, students
from .class_grades import rows as class_rows

FOLDER = "rubrics"
GRADER_ENV = audit_log.GRADER_ENV  # who grades, where not given (dgmlab grade --grader sets it for the page)
# "(b) (6 points)", "**(a) (5 points)**", "(ii) (2 pts)"
PART = re.compile(r"\(\s*([a-z]|[ivx]+)\s*\)\**\s*\(\s*(\d+(?:\.\d+)?)\s*(?:points?|pts?)\s*\)", re.I)


def points_text(x) -> str:
    """A number of points as the pages print it: up to 4 decimals, no trailing zeros (``1.5``, ``2``)."""
    return f"{round(float(x), 4):g}"


def signed_points(x) -> str:
    return ("+" if x > 0 else "") + points_text(x) if x else "0"


@dataclass
class Item:
    id: str
    points: float
    text: str

    def line(self) -> str:
        return f"{signed_points(self.points)}: {self.text}"


@dataclass
class Applied:
    items: list = field(default_factory=list)  # item ids, in the order applied
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.items and not self.note.strip()


@dataclass
class Question:
    grade_id: str
    max: float
    items: list = field(default_factory=list)  # Item
    applied: dict = field(default_factory=dict)  # student -> Applied

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise CourseError(f"{self.grade_id} has no rubric item {item_id!r}")

    def score(self, student: str) -> float | None:
        """The hand score of ``student``: the applied items' points summed, clamped to ``[0, max]``; ``None``
        when no item is applied."""
        a = self.applied.get(student)
        if a is None or not a.items:
            return None
        total = sum(self.item(i).points for i in a.items)
        return float(min(max(total, 0.0), self.max))

    def lines(self, student: str) -> list:
        """What ``student``'s feedback says: each applied item's points and text, then the note."""
        a = self.applied.get(student)
        if a is None:
            return []
        out = [self.item(i).line() for i in a.items]
        if a.note.strip():
            out.append(f"note: {a.note.strip()}")
        return out

    def comment(self, student: str) -> str | None:
        """The gradebook's comment: :meth:`lines` as a markdown list (nbgrader's feedback renders comments as
        markdown: one item a line)."""
        lines = self.lines(student)
        return "\n".join(f"- {line}" for line in lines) if lines else None

    def counts(self) -> dict:
        """item id -> how many students have it."""
        got = {it.id: 0 for it in self.items}
        for a in self.applied.values():
            for i in a.items:
                if i in got:
                    got[i] += 1
        return got

    def new_id(self) -> str:
        used = [int(it.id[1:]) for it in self.items if re.fullmatch(r"i\d+", it.id)]
        return f"i{max(used, default=0) + 1}"


@dataclass
class Rubric:
    hw: str
    questions: dict = field(default_factory=dict)  # grade_id -> Question
    log: dict = field(default_factory=dict)  # the audit log's {"lines": n, "sha256": h} this file reflects

    def to_json(self) -> dict:
        return {"hw": self.hw, **({"log": dict(self.log)} if self.log else {}), "questions": {
            gid: {"max": q.max, "items": [{"id": it.id, "points": it.points, "text": it.text} for it in q.items],
                  "applied": {s: {"items": list(a.items), "note": a.note} for s, a in sorted(q.applied.items())
                              if not a.empty}}
            for gid, q in self.questions.items()}}


# ------------------------------------------------------------------ the homework's written cells
@dataclass
class WrittenCell:
    grade_id: str
    points: float
    statement: str  # the markdown cells before the answer, from the question's heading
    model: str  # the source notebook's answer, solution markers removed


def written_cells(course: Course, hw: str) -> list:
    """The hand-graded markdown cells of ``hw``'s source notebook, in order."""
    path = course.source_notebook(hw)
    if not path.exists():
        raise CourseError(f"no source notebook {path}: the rubrics start from it (dgmlab build {hw})")
    nb = nbformat.read(path, as_version=4)
    out = []
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "markdown" or not meta.get("grade") or not meta.get("grade_id"):
            continue
        before = []
        for prev in reversed(nb.cells[:i]):
            if prev.cell_type != "markdown" or prev.metadata.get("nbgrader", {}).get("grade"):
                break
            before.insert(0, prev.source)
            if prev.source.lstrip().startswith("#"):
                break
        model = "\n".join(ln for ln in cell.source.splitlines()
                          if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
        out.append(WrittenCell(meta["grade_id"], float(meta.get("points", 0)), "\n\n".join(before), model))
    return out


def model_split(cell: WrittenCell) -> list:
    """``[(points, what)]``: the marking split the model answer states (:func:`.model_splits.split`: ``**Points
    (5).** the stationary point (1), ...``, ``Marking: ... (2)``, ``Grading: Lagrangian 2, ...``, ``Marks: 1.5 per
    part.``), when it adds up to the cell's points; else ``[]``."""
    return model_splits.split(cell.statement, cell.model, cell.points)


def starting_items(cell: WrittenCell) -> list:
    """The items a new rubric of ``cell`` starts with: its statement's point split (``(b) (6 points)``), else the
    split its model answer ends with (:func:`model_split`), else one item for all; then "no answer" (0)."""
    parts = [(m.group(1), float(m.group(2))) for m in PART.finditer(cell.statement)]
    seen, split = set(), []
    for name, pts in parts:
        if name.lower() not in seen:
            seen.add(name.lower())
            split.append((name, pts))
    if len(split) > 1 and abs(sum(p for _, p in split) - cell.points) < 1e-9:
        items = [Item(f"i{k}", pts, f"({name}) correct") for k, (name, pts) in enumerate(split, 1)]
    elif model := model_split(cell):
        items = [Item(f"i{k}", pts, what) for k, (pts, what) in enumerate(model, 1)]
    else:
        items = [Item("i1", cell.points, "correct and complete")]
    items.append(Item(f"i{len(items) + 1}", 0.0, "no answer"))
    return items


# ------------------------------------------------------------------ the file
def path(course: Course, hw: str) -> Path:
    return course.root / FOLDER / f"{hw}.json"


def load(course: Course, hw: str, create: bool = True) -> Rubric:
    """``rubrics/<hw>.json``, with a starting rubric for each written cell it does not have yet (``create``);
    without ``create``, only what the file holds (an empty rubric without a file)."""
    p = path(course, hw)
    rubric = Rubric(hw)
    if p.exists():
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
            rubric.log = dict(raw["log"]) if isinstance(raw.get("log"), dict) else {}
            for gid, q in raw.get("questions", {}).items():
                rubric.questions[gid] = Question(
                    gid, float(q["max"]),
                    [Item(str(it["id"]), float(it["points"]), str(it["text"])) for it in q.get("items", [])],
                    {str(s): Applied([str(i) for i in a.get("items", [])], str(a.get("note", "")))
                     for s, a in q.get("applied", {}).items()})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CourseError(f"{p} is not a rubric file ({type(exc).__name__}: {exc}): restore it from a backup "
                              f"or move it away to start the rubric again") from exc
    if create:
        for cell in written_cells(course, hw):
            if cell.grade_id not in rubric.questions:
                rubric.questions[cell.grade_id] = Question(cell.grade_id, cell.points, starting_items(cell))
    return rubric


def save(course: Course, rubric: Rubric) -> Path:
    """Write ``rubrics/<hw>.json`` whole or not at all."""
    p = path(course, rubric.hw)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{rubric.hw}-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(rubric.to_json(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, p)
    return p


# ------------------------------------------------------------------ into the gradebook
def write_grades(gb, hw: str, question: Question, adjusted: dict) -> None:
    """Each student of ``adjusted``'s manual score and comment of ``question`` into the gradebook ``gb`` (nbgrader's
    models, as the formgrader writes them): the rubric's score and lines, then ``adjusted[student]`` (the lines of
    the adjustments the cell holds: :mod:`.adjustments`); with nothing applied, no manual score. The grade and
    comment rows are read in one query each (by 500) and committed once: a rubric change re-scores a class of 500
    in well under a second (a query and a commit a student took seconds)."""
    from .. import nbgrader_gradebook

    BaseCell, Comment = nbgrader_gradebook.BaseCell, nbgrader_gradebook.Comment
    Grade, Student = nbgrader_gradebook.Grade, nbgrader_gradebook.Student

    def rows(model, some):
        return class_rows(gb, hw, model, BaseCell, Student.id, model).filter(BaseCell.name == question.grade_id,
                                                                              Student.id.in_(some))

    who = list(adjusted)
    for k in range(0, len(who), 500):
        some = who[k:k + 500]
        grades, comments = dict(rows(Grade, some)), dict(rows(Comment, some))
        for s in some:
            if s not in grades or s not in comments:
                raise CourseError(f"the gradebook has no {question.grade_id} of {hw} for {s}: autograde {hw} again")
            grade, comment = grades[s], comments[s]
            grade.manual_score = question.score(s)
            grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
            lines = [question.comment(s)] if question.comment(s) else []
            comment.manual_comment = "\n".join(lines + [f"- {line}" for line in adjusted[s]]) or None
    gb.db.commit()


class Grader:
    """Applies and edits a homework's rubric: each change logged (:mod:`.audit_log`, as ``who``, default the OS
    user or ``$DGMLAB_GRADER``), then saved to ``rubrics/<hw>.json`` and written to the gradebook for every student
    it touches. One instance is the only writer (the server runs one request at a time). Each changing method
    takes ``via``: what made the change (``"page"``, ``"csv"``, ``"full credit"``, ``"group g3"``), for the log.
    A change logged by an earlier grader that never reached the rubric file (a crash between the two) is logged as
    ``not saved`` when this one starts."""

    def __init__(self, course: Course, hw: str, who: str | None = None):
        (self.hw,) = course.check_homeworks([hw])
        self.course = course
        self.who = audit_log.grader(who)
        self.rubric = load(course, self.hw)
        self.students = students(course, self.hw)
        self._logged_not_saved()

    def question(self, grade_id: str) -> Question:
        q = self.rubric.questions.get(grade_id)
        if q is None:
            raise CourseError(f"{self.hw} has no written question {grade_id!r}: it has "
                              f"{', '.join(self.rubric.questions) or 'none'}")
        return q

    def check_student(self, student: str) -> None:
        if student not in self.students:
            raise CourseError(f"no submission of {self.hw} by {student!r} in the gradebook")

    # -------------------------------------------------------------- the log, then the file and the gradebook
    @staticmethod
    def state(q: Question, student: str) -> dict:
        """What ``student`` has of ``q``, as the log records it: items, note, score."""
        a = q.applied.get(student, Applied())
        return {"items": list(a.items), "note": a.note, "score": q.score(student)}

    def _logged_not_saved(self) -> None:
        """At the start: a broken chain (problems not logged before) and changes logged but never saved, each
        said in the log itself, so the next save's anchor does not hide them."""
        checked = audit_log.verify(self.course, self.hw, self.rubric.log)
        said = {p for r in checked.records if r and r.get("what") == "chain broken" for p in r.get("problems", [])}
        events = [{"what": "chain broken", "problems": new}] if (
            new := [p for p in checked.problems if p not in said]) else []
        lost = audit_log.unsaved(checked, self.rubric.log)
        if lost:
            events.append({"what": "not saved", "lines": lost, "detail": "logged, but the rubric file never had "
                           "these changes (the grader stopped before saving): they did not happen"})
        if events:
            self._log(events, "start")
            save(self.course, self.rubric)

    def _log(self, events: list, via: str) -> None:
        try:
            lines, sha = audit_log.append(self.course, self.hw, events, who=self.who, via=via)
        except OSError as exc:
            self.rubric = load(self.course, self.hw)  # the change is dropped: none goes unlogged
            raise CourseError(f"cannot write the grading log {audit_log.path(self.course, self.hw)} ({exc}): "
                              "nothing was changed; free the disk or fix its permissions, then again") from None
        self.rubric.log = {"lines": lines, "sha256": sha}

    def _commit(self, q: Question, events: list, via: str, who) -> None:
        """Log ``events``, then save the rubric and write ``who``'s grades of ``q``; an error in the save is logged
        as ``not saved`` and the rubric read back."""
        if events:
            self._log(events, via)
            try:
                save(self.course, self.rubric)
            except OSError as exc:
                last = self.rubric.log["lines"]
                self.rubric = load(self.course, self.hw)
                self._log([{"what": "not saved", "lines": list(range(last - len(events) + 1, last + 1)),
                            "detail": f"the save failed: {exc}"}], via)
                raise CourseError(f"cannot save {path(self.course, self.hw)} ({exc}): nothing was changed") from None
        self._write(q, who)

    def _write(self, q: Question, who) -> None:
        who = list(who)
        if not who:
            return
        adjusted = adjustments.read(self.course, self.hw)
        with gradebook(self.course) as gb:
            write_grades(gb, self.hw, q, {s: [a.line(markdown=True)] if (a := adjusted.get(s)) is not None
                                          and a.cell == q.grade_id else [] for s in who})

    def _event(self, what: str, q: Question, student: str, old: dict, **extra) -> dict | None:
        new = self.state(q, student)
        return None if new == old else {"what": what, "question": q.grade_id, "student": student, "old": old,
                                        "new": new, **extra}

    # -------------------------------------------------------------- one student
    def toggle(self, grade_id: str, student: str, item_id: str, *, via: str = "page") -> bool:
        """Apply ``item_id`` to ``student`` or take it off; returns whether it is applied now."""
        q = self.question(grade_id)
        self.check_student(student)
        q.item(item_id)
        old = self.state(q, student)
        a = q.applied.setdefault(student, Applied())
        on = item_id not in a.items
        if on:
            a.items.append(item_id)
        else:
            a.items.remove(item_id)
        self._commit(q, [self._event("toggle", q, student, old, item=item_id, on=on)], via, [student])
        return on

    def set_note(self, grade_id: str, student: str, note: str, *, via: str = "page") -> None:
        q = self.question(grade_id)
        self.check_student(student)
        old = self.state(q, student)
        q.applied.setdefault(student, Applied()).note = str(note)[:2000]
        self._commit(q, [e for e in [self._event("note", q, student, old)] if e], via, [student])

    # -------------------------------------------------------------- many students at once
    def set_applied(self, grade_id: str, choices: dict, *, via: str = "csv") -> list:
        """Give each student of ``choices`` (``{student: Applied}``) exactly those items and that note of
        ``grade_id``, saved and written to the gradebook once (:mod:`.rubric_table`); one log line per student
        changed. Returns the students changed."""
        q = self.question(grade_id)
        for student, a in choices.items():
            self.check_student(student)
            for i in a.items:
                q.item(i)
        old = {s: self.state(q, s) for s in choices}
        q.applied.update({s: Applied(list(a.items), str(a.note)[:2000]) for s, a in choices.items()})
        events = [e for s in choices if (e := self._event("set", q, s, old[s]))]
        self._commit(q, events, via, list(choices))
        return [e["student"] for e in events]

    def set_items(self, grade_id: str, student_items: dict, *, via: str) -> list:
        """Give each student of ``student_items`` (``{student: [item ids]}``) exactly those items of ``grade_id``,
        their notes kept: :meth:`set_applied`. Returns the students changed."""
        q = self.question(grade_id)
        return self.set_applied(grade_id, {s: Applied(list(items), q.applied.get(s, Applied()).note)
                                           for s, items in student_items.items()}, via=via)

    def apply_item(self, grade_id: str, item_id: str, students, on: bool = True, *, via: str) -> list:
        """Apply ``item_id`` to each of ``students`` (``on``), or take it off them: a group's decision, a "full
        credit" or "no answer" key. One save, one log line per student changed; returns the students changed
        (those who had it already, or had it not, are left)."""
        q = self.question(grade_id)
        students = list(dict.fromkeys(students))
        for s in students:
            self.check_student(s)
        q.item(item_id)
        events = []
        for s in students:
            old = self.state(q, s)
            a = q.applied.setdefault(s, Applied())
            if on and item_id not in a.items:
                a.items.append(item_id)
            elif not on and item_id in a.items:
                a.items.remove(item_id)
            if e := self._event("apply", q, s, old, item=item_id, on=on):
                events.append(e)
        changed = [e["student"] for e in events]
        self._commit(q, events, via, changed)
        return changed

    # -------------------------------------------------------------- the rubric's items
    def edit_item(self, grade_id: str, item_id: str | None, points: float, text: str, *,
                  via: str = "page") -> tuple:
        """Change an item's points and text (a new item when ``item_id`` is empty) and re-score every student who
        has it; returns ``(item id, students re-scored)``, logged with the item's old and new points and text and
        each student's old and new score. An item the same as another of the question (its points, and its text
        but for case and spaces) is refused: it would count twice when both are applied."""
        q = self.question(grade_id)
        text = " ".join(str(text).split())[:300]
        if not text:
            raise CourseError("a rubric item needs a text (what the student did or missed)")
        points = float(points)
        if points != points or abs(points) > 1000:  # NaN or absurd
            raise CourseError(f"a rubric item's points must be a number (got {points})")
        same = [it for it in q.items if it.id != item_id and it.points == points
                and it.text.casefold() == text.casefold()]
        if same:
            raise CourseError(f"{grade_id} already has this item ({same[0].id}: {signed_points(points)}, "
                              f"{same[0].text!r}): apply that one, or change this one's text or points")
        if item_id:
            it = q.item(item_id)
            old = {"points": it.points, "text": it.text}
            if old == {"points": points, "text": text}:
                return it.id, []
            who = [s for s, a in q.applied.items() if it.id in a.items]
            before = {s: q.score(s) for s in who}
            it.points, it.text = points, text
        else:
            it, old, who, before = Item(q.new_id(), points, text), None, [], {}
            q.items.append(it)
        event = {"what": "item edited" if old else "item added", "question": grade_id, "item": it.id, "old": old,
                 "new": {"points": points, "text": text}, "rescored": len(who), "students": who,
                 "scores": {s: [before[s], q.score(s)] for s in who}}
        self._commit(q, [event], via, who)
        return it.id, who

    def delete_item(self, grade_id: str, item_id: str, *, via: str = "page") -> list:
        """Remove an item from the rubric and from every student who has it (re-scored, logged with each one's old
        and new score); returns them."""
        q = self.question(grade_id)
        it = q.item(item_id)
        who = [s for s, a in q.applied.items() if it.id in a.items]
        before = {s: q.score(s) for s in who}
        q.items.remove(it)
        for s in who:
            q.applied[s].items.remove(it.id)
        event = {"what": "item deleted", "question": grade_id, "item": it.id,
                 "old": {"points": it.points, "text": it.text}, "new": None, "rescored": len(who), "students": who,
                 "scores": {s: [before[s], q.score(s)] for s in who}}
        self._commit(q, [event], via, who)
        return who


# ------------------------------------------------------------------ feedback and the dashboard
def feedback_lines(course: Course, hw: str, student: str) -> dict:
    """grade_id -> the lines ``student``'s feedback shows for each written answer graded with the rubric, then
    those of the adjustments the cell holds (:mod:`.adjustments`), then the answers to their regrade requests
    (:mod:`.regrades`) and the looks at their trained results (:mod:`.trained_looks`)."""
    out = {}
    if path(course, hw).exists():
        rubric = load(course, hw, create=False)
        out = {gid: q.lines(student) for gid, q in rubric.questions.items() if q.lines(student)}
    for gid in {a.cell for a in adjustments.read(course, hw).values()}:
        if lines := adjustments.lines(course, hw, student, gid):
            out[gid] = out.get(gid, []) + lines
    for source in (regrades.feedback_lines, trained_looks.feedback_lines):
        for gid, lines in source(course, hw, student).items():
            out[gid] = out.get(gid, []) + lines
    return out


def item_counts(course: Course, hw: str) -> list:
    """``[(grade_id, [(item, students who have it)], students graded)]`` of each question with a rubric file."""
    if not path(course, hw).exists():
        return []
    rubric = load(course, hw, create=False)
    out = []
    for gid, q in rubric.questions.items():
        counts = q.counts()
        out.append((gid, [(it, counts[it.id]) for it in q.items],
                    sum(1 for a in q.applied.values() if a.items)))
    return out
