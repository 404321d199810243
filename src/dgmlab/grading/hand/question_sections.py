"""A question's grading page, section by section: which answers it shows, in which order, with what beside them.

The students come in the question's own order (:mod:`.grading_order`). A group of identical answers
(:mod:`.answer_groups`) is one section, its first member's, listing the others (each also has a section of its own,
hidden until the TA grades it apart); an answer offered a group's items comes right after that group's section.
Beside each answer: the hand grade the gradebook holds from outside the rubric, a course rule's points on the same
cell, the same problem's autograded cells (:func:`results`) and the student's regrade requests.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import adjustments as ADJ
from . import grading_order, regrades, rubrics

MAX_FAILED = 6  # failed checks listed per autograded cell beside an answer


@dataclass
class Answer:
    """One section of a question's page: a student's answer, or a group's (``members`` graded with it)."""

    student: str
    label: str  # what the page calls the student (a pseudonym unless --names)
    score: float | None = None
    applied: list = field(default_factory=list)
    note: str = ""
    graded: bool = False
    elsewhere: str = ""  # a hand grade the gradebook holds from outside the rubric
    adjustment: str = ""  # a course rule's points this cell also holds (.adjustments): the mark counts them too
    why: str = ""  # why there is no answer to show ("" when there is)
    group: str = ""  # the id of the group this section grades (identical answers), "" if none
    members: list = field(default_factory=list)  # [(label, score, follows the group, autograded, has a request)]
    proposed_for: str = ""  # a similar group's label whose items this answer is offered
    similarity: float = 0.0
    results: list = field(default_factory=list)  # the same problem's autograded cells: dicts
    requests: list = field(default_factory=list)  # regrade requests of this student on this question
    member_of: str = ""  # the label of the group's first answer, for a member shown only when graded apart

    @property
    def score_text(self) -> str:
        return "–" if self.score is None else rubrics.points_text(self.score)


def same_items(a: rubrics.Applied | None, b: rubrics.Applied | None) -> bool:
    """Whether two students have the same items (in any order): a group member follows its group while it does."""
    return sorted((a or rubrics.Applied()).items) == sorted((b or rubrics.Applied()).items)


@dataclass(frozen=True)
class _Class:
    """What the page knows of the whole class at one load."""

    grades: dict  # student -> {grade id: class_grades.Cell}
    left: set  # students whose answer is still to grade
    adjusted: dict  # student -> adjustments.Adjustment
    requests: list  # regrades.Request of the question


def results(site, grade_id: str, student: str, grades: dict) -> list:
    """The same problem's autograded cells for ``student``: points from the gradebook, the checks that failed and
    why from the autograded notebook (never from a notebook only handed in: its outputs are the student's)."""
    mine = grades.get(student, {})
    autograded = site.notebooks.path(student) == (site.course.folder("autograded", site.hw, student)
                                                  / f"{site.hw}.ipynb")
    outcomes = site.notebooks.get(student).outcomes if autograded else {}
    out = []
    for gid in site.related.get(grade_id, []):
        cell = mine.get(gid)
        if cell is None:
            continue
        _, failed, error = outcomes.get(gid, ([], [], ""))
        out.append({"cell": gid, "score": "–" if cell.score is None else rubrics.points_text(cell.score),
                    "max": rubrics.points_text(cell.max), "full": cell.score is not None and cell.score >= cell.max,
                    "failed": [f"{name}: {why}" if why else name for name, why in failed][:MAX_FAILED],
                    "error": error})
    return out


def _section(site, q: rubrics.Question, student: str, known: _Class) -> Answer:
    a = q.applied.get(student, rubrics.Applied())
    graded = student not in known.left
    out = Answer(student, site.labels[student], q.score(student) if graded else None, list(a.items), a.note,
                 graded=graded, results=results(site, q.grade_id, student, known.grades),
                 requests=[r for r in known.requests if r.student == student])
    cell = known.grades.get(student, {}).get(q.grade_id)
    if q.score(student) is None and cell is not None and cell.manual is not None:
        out.elsewhere = f"{rubrics.points_text(cell.manual)} points in the gradebook" + (
            f" ({cell.comment})" if cell.comment else "")
    adj = known.adjusted.get(student)
    if adj is not None and adj.cell == q.grade_id:
        out.adjustment = adj.line() + ("" if out.score is None else
                                       f": {rubrics.points_text(out.score + adj.points)} in the mark")
    nb = site.notebooks.get(student)
    if nb.why or q.grade_id not in nb.written:
        out.why = nb.why or f"{site.hw}.ipynb has no written answer {q.grade_id}"
    return out


def _autograded(answer: Answer) -> str:
    """The same problem's autograded points of a section's student, as ``12/18`` ("" with none)."""
    got = [(float(r["score"]), float(r["max"])) for r in answer.results if r["score"] != "–"]
    return f"{rubrics.points_text(sum(a for a, _ in got))}/{rubrics.points_text(sum(b for _, b in got))}" if got else ""


def _group_sections(site, q: rubrics.Question, g, grouping, known: _Class, position: dict) -> list:
    """A group's section, its members' (hidden until graded apart, or shown with a regrade request), then the
    groups offered its items."""
    head = _section(site, q, g.leader, known)
    head.group = g.id if len(g.members) > 1 else ""
    lead = q.applied.get(g.leader)
    out = [head]
    for m in g.members[1:]:
        score = q.score(m)
        apart = _section(site, q, m, known)
        apart.member_of = head.label
        head.members.append((site.labels[m], "–" if score is None or m in known.left else rubrics.points_text(score),
                             same_items(q.applied.get(m), lead), _autograded(apart), bool(apart.requests)))
        out.append(apart)
    for other, sim in sorted(g.proposed.items(), key=lambda kv: position[kv[0]]):
        offered = _group_sections(site, q, grouping.of[other], grouping, known, position)
        offered[0].proposed_for, offered[0].similarity = head.label, sim
        out.extend(offered)
    return out


def sections(site, grade_id: str) -> list:
    """The :class:`Answer` sections of question ``grade_id``'s page (see the module), the groups made afresh."""
    q = site.grader.question(grade_id)
    grouping = site.grouping(grade_id, fresh=True)
    order = grading_order.fair_order(site.course, site.hw, grade_id, site.grader.students)
    grades = site.grades()
    known = _Class(grades, site.to_grade(grades).get(grade_id, set()), ADJ.read(site.course, site.hw),
                   regrades.requests(site.course, site.hw, grade_id))
    position = {s: k for k, s in enumerate(order)}
    out = []
    for student in order:
        g = grouping.of.get(student)
        if g is None:  # no answer to show: a section saying why
            out.append(_section(site, q, student, known))
        elif g.leader == student and student not in grouping.proposal:
            out.extend(_group_sections(site, q, g, grouping, known, position))
    return out
