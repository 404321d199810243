"""What ``dgmlab grade``'s pages show and what their requests change, for one homework (:class:`Site`); the server
around it is :mod:`.grade_by_question`.

Students are named on the pages by a label: their pseudonym (:mod:`.grading_order`), or their id with ``--names``;
a request names a student by that label, never by anything else. The class is read once and kept while the server
runs (:mod:`.class_answers`: each notebook once per version), the gradebook in two queries at each page load
(:mod:`.class_grades`). Changes go through the rubric's :class:`.rubrics.Grader`, which logs each (:mod:`.audit_log`).
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import quote

import nbformat

from ...image_budget import too_large
from ..layout import Course, CourseError
from . import (
    answer_groups,
    class_answers,
    grade_pages,
    grading_order,
    question_files,
    question_sections,
    regrades,
    rubrics,
)
from . import class_grades as class_grades_module
from .answers_html import answer_html, attachment, defines_macros, image_type, markdown_html

MATHJAX_ENV = "DGMLAB_MATHJAX"  # as dgmlab pdf reads it
DEBIAN_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
MAX_BATCH = 40  # answers the page fetches in one request (those coming into view)
HANDED_IN = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
KINDS = {"application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image"}


def find_mathjax() -> Path | None:
    """The folder of an installed MathJax 2 (``$DGMLAB_MATHJAX``'s ``MathJax.js``, else Debian's
    ``libjs-mathjax``) that has the Safe extension the page needs (``extensions/Safe.js``), or None."""
    named = os.environ.get(MATHJAX_ENV)
    for p in ([Path(named)] if named else []) + [DEBIAN_MATHJAX]:
        if p.is_file() and (p.parent / "extensions" / "Safe.js").is_file():
            return p.parent.resolve()
    return None


def item_key(n: int) -> str:
    """The key that applies rubric item ``n`` (from 1) on a question's page: 1…9 and 0, then Shift with each
    (⇧1…⇧0) for items 11…20; "" past 20."""
    key = str(n % 10)
    return key if n <= 10 else f"\u21e7{key}" if n <= 20 else ""


class Site:
    """What the server shows and changes for one homework."""

    def __init__(self, course: Course, hw: str, anonymous: bool = True, who: str | None = None):
        self.course = course
        self.grader = rubrics.Grader(course, hw, who=who)
        self.hw = self.grader.hw
        self.anonymous = anonymous
        self.cells = {c.grade_id: c for c in rubrics.written_cells(course, self.hw)}
        source = nbformat.read(course.source_notebook(self.hw), as_version=4)
        self.related = class_answers.related_cells(source.cells)
        self.questions = question_files.homework_questions(course, self.hw)  # which handed-in file goes with which written cell
        self.notebooks = class_answers.ClassNotebooks(course, self.hw)
        for student in self.grader.students:  # read once now: the first page comes as fast as the next
            self.notebooks.get(student)
        self.labels = grading_order.labels(course, self.grader.students, anonymous)
        _, self.request_problems = regrades.read_files(course, self.hw, who=self.grader.who)  # regrade.md handed in
        self.by_label = {v: k for k, v in self.labels.items()}
        self.token = secrets.token_urlsafe(32)
        self.mathjax = find_mathjax()
        self._html = {}  # (grade_id, student) -> (the Notebook it was rendered from, its HTML)
        self._groups = {}  # grade_id -> the Grouping the page last showed
        from jinja2 import DictLoader, Environment, select_autoescape

        self.env = Environment(loader=DictLoader({"base.html": grade_pages.BASE, "index.html": grade_pages.INDEX,
                                                  "question.html": grade_pages.QUESTION, "answer.html": grade_pages.ANSWER}),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        self.env.globals.update(token=self.token, course=course.root.name, mathjax=self.mathjax is not None,
                                signed=rubrics.signed_points, item_key=item_key)

    # -- who is who
    def student(self, label: str) -> str:
        """The student the page calls ``label``."""
        sid = self.by_label.get(str(label))
        if sid is None:
            raise CourseError(f"no submission of {self.hw} by {label!r} on this page: reload it")
        return sid

    # -- handed-in files
    def handed_in_types(self, student: str) -> dict:
        """name -> type of the PDFs and photos the student handed in with the notebook
        (``submitted/<student>/<hw>/*.pdf``, ``*.png``, ``*.jpg``, ``*.jpeg``: :data:`HANDED_IN`), in name order."""
        folder = self.course.folder("submitted", self.hw, student)
        if not folder.is_dir():
            return {}
        return {p.name: HANDED_IN[p.suffix.lower()] for p in sorted(folder.iterdir())
                if p.suffix.lower() in HANDED_IN and not p.is_symlink() and p.is_file()}

    @staticmethod
    def _not_shown(path: Path, mime: str, where: bool = True) -> str:
        """Why the handed-in file at ``path`` of type ``mime`` (by its name) is not served, or "": an image whose
        bytes are not of its type (HTML, SVG or anything else named .png) is not, nor one whose header says more
        than :data:`dgmlab.image_budget.MAX_PIXELS` (or cannot be read): the TA's browser would decode it whole."""
        if mime == "application/pdf":
            return ""
        try:
            with path.open("rb") as f:
                head = f.read(2 ** 20)  # the header: a JPEG's size may follow its EXIF and colour profile
                if image_type(head) != mime:
                    return f"not shown: not a {KINDS[mime]} (its bytes are of another kind)"
                why = too_large(head)
                if why and len(head) == 2 ** 20:  # a longer header: the whole file (collect bounds its size)
                    why = too_large(head + f.read())
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        place = f" (open it as {'/'.join(path.parts[-4:])})" if where else " (open it from the course's folder)"
        return f"not shown: {why}{place}" if why else ""

    def handed_in_file(self, label: str, name: str) -> tuple:
        """(path, type) of file ``name`` the student the page calls ``label`` handed in, if it is served, else
        (None, why not)."""
        student = self.by_label.get(label)
        mime = self.handed_in_types(student).get(name) if student is not None else None
        if mime is None:
            return None, "not found"
        path = self.course.folder("submitted", self.hw, student) / name
        why = self._not_shown(path, mime, not self.anonymous)
        return (None, why) if why else (path, mime)

    def handed_in(self, student: str) -> list:
        """A line each for the files the student handed in: name, kind, address, and why it is not shown (or "")."""
        folder = self.course.folder("submitted", self.hw, student)
        return [{"name": name, "kind": KINDS[mime], "image": mime.startswith("image/"),
                 "url": f"/file/{quote_part(self.labels[student])}/{quote_part(name)}",
                 "why": self._not_shown(folder / name, mime, not self.anonymous)}
                for name, mime in self.handed_in_types(student).items()]

    # -- an answer's content, fetched by the page as it comes into view
    def answer_html(self, grade_id: str, student: str) -> tuple:
        """(found, html, why) of ``student``'s answer ``grade_id``, rendered once per version of the notebook (cut
        to size: :func:`answer_html`)."""
        nb = self.notebooks.get(student)
        hit = self._html.get((grade_id, student))
        if hit is not None and hit[0] is nb:
            return hit[1]
        result = self._render(grade_id, student, nb, whole=False)
        self._html[(grade_id, student)] = (nb, result)
        return result

    def _render(self, grade_id: str, student: str, nb, whole: bool) -> tuple:
        if nb.why:
            return False, "", nb.why
        got = nb.written.get(grade_id)
        if got is None:
            return False, "", f"{self.hw}.ipynb has no written answer {grade_id}"
        source, attachments = got
        label = self.labels[student]

        def src(img):
            return f"/att/{quote_part(label)}/{quote_part(grade_id)}/{img.sha256}/{quote_part(img.name)}"
        if whole:
            return True, markdown_html(source, attachments, src), ""
        return True, answer_html(source, attachments, src, self.whole_url(grade_id, label)), ""

    def contents(self, grade_id: str, labels: list) -> dict:
        """``{label: {"html", "why", "files"}}``: what the page shows of each answer as it comes into view."""
        self.grader.question(grade_id)
        out = {}
        for label in labels[:MAX_BATCH]:
            student = self.by_label.get(label)
            if student is None:
                continue
            found, html, why = self.answer_html(grade_id, student)
            source = self.notebooks.get(student).written.get(grade_id, ("", None))[0]
            out[label] = {"html": html if found else "", "why": why, "notex": defines_macros(source),
                          "files": [f for f in self.handed_in(student) if self.questions.shown_with(f["name"], grade_id)]}
        return out

    @staticmethod
    def whole_url(grade_id: str, label: str) -> str:
        return f"/a/{quote_part(grade_id)}/{quote_part(label)}"

    def whole_answer_page(self, grade_id: str, label: str) -> str:
        """The whole answer ``grade_id`` of the student the page calls ``label``, on a page of its own (nothing cut;
        rendered at each request)."""
        self.grader.question(grade_id)  # a CourseError naming the written questions if it is none
        student = self.student(label)
        found, html, why = self._render(grade_id, student, self.notebooks.get(student), whole=True)
        return self.env.get_template("answer.html").render(
            hw=self.hw, grade_id=grade_id, student=label, found=found, html=html, why=why,
            back=f"/q/{quote_part(grade_id)}#s-{quote_part(label)}")

    def attachment(self, label: str, grade_id: str, sha256: str, name: str):
        """The :class:`.answers_html.Image` attachment ``name`` of the answer ``grade_id`` of the student the page
        calls ``label``, as their notebook holds it now, if its content's hash is ``sha256``, else None."""
        student = self.by_label.get(label)
        if student is None or grade_id not in self.cells:
            return None
        got = self.notebooks.get(student).written.get(grade_id)
        img = attachment(got[1], name) if got is not None else None
        return img if img is not None and img.sha256 == sha256 else None  # a hash, not a secret

    # -- the gradebook
    def grades(self) -> dict:
        """``{student: {grade id: class_grades.Cell}}`` as the gradebook has them now."""
        with rubrics.gradebook(self.course) as gb:
            return class_grades_module.class_grades(gb, self.hw)

    def to_grade(self, grades: dict | None = None) -> dict:
        """``{grade id: {student, ...}}`` of the answers still to grade by hand, by the rule ``dgmlab report`` and
        ``push`` apply (:mod:`.to_grade`): never graded, or reopened by a regrade (the answer changed)."""
        grades = self.grades() if grades is None else grades
        return {gid: {s for s in self.grader.students if class_grades_module.still_to_grade(grades.get(s, {}).get(gid))}
                for gid in self.grader.rubric.questions}

    # -- pages
    def index_page(self) -> str:
        left = self.to_grade()
        asked = [r for r in regrades.requests(self.course, self.hw) if r.answered is None]
        qs = [{"grade_id": gid, "max": rubrics.points_text(q.max),
               "graded": sum(1 for s in self.grader.students if s not in left.get(gid, ())),
               "requests": sorted({self.labels[r.student] for r in asked if r.question == gid and r.student in
                                   self.labels})}
              for gid, q in self.grader.rubric.questions.items()]
        return self.env.get_template("index.html").render(
            hw=self.hw, questions=qs, n_students=len(self.grader.students), anonymous=self.anonymous,
            rubric_path=rubrics.path(self.course, self.hw).relative_to(self.course.root).as_posix())

    def grouping(self, grade_id: str, fresh: bool = False) -> answer_groups.Grouping:
        """The answer groups of ``grade_id`` the page shows (made at each load of the page, ``fresh``, and kept for
        its POSTs)."""
        if fresh or grade_id not in self._groups:
            order = grading_order.fair_order(self.course, self.hw, grade_id, self.grader.students)
            answers = self.notebooks.answers(grade_id, order)
            self._groups[grade_id] = answer_groups.group(answers, apart=[s for s in answers if self._more_than_text(grade_id, s)])
        return self._groups[grade_id]

    def _more_than_text(self, grade_id: str, student: str) -> bool:
        """Whether ``student``'s answer is more than its text: pasted images, or a file handed in shown with it."""
        got = self.notebooks.get(student).written.get(grade_id)
        return bool(got and got[1]) or any(self.questions.shown_with(name, grade_id)
                                           for name in self.handed_in_types(student))

    def question_page(self, grade_id: str) -> str:
        q = self.grader.question(grade_id)
        ids = list(self.grader.rubric.questions)
        k = ids.index(grade_id)
        cell = self.cells.get(grade_id)
        answers = question_sections.sections(self, grade_id)
        share = self.grouping(grade_id).share()
        return self.env.get_template("question.html").render(
            hw=self.hw, q=q, answers=answers, share=share, n_students=len(self.grader.students),
            rubric=json.dumps(self.rubric_state(grade_id)), anonymous=self.anonymous,
            statement=markdown_html(cell.statement) if cell else "", model=markdown_html(cell.model) if cell else "",
            prev=ids[k - 1] if k > 0 else None, next=ids[k + 1] if k + 1 < len(ids) else None)

    def rubric_state(self, grade_id: str) -> dict:
        q = self.grader.question(grade_id)
        return {"max": q.max, "counts": q.counts(),
                "items": [{"id": it.id, "points": it.points, "text": it.text, "signed": rubrics.signed_points(it.points),
                           "key": item_key(n)} for n, it in enumerate(q.items, 1)]}

    def state(self, grade_id: str, student: str) -> dict:
        q = self.grader.question(grade_id)
        a = q.applied.get(student, rubrics.Applied())
        score = q.score(student)
        return {"student": self.labels[student], "score": score,
                "score_text": "–" if score is None else rubrics.points_text(score), "items": list(a.items),
                "note": a.note, "counts": q.counts()}

    # -- what a POST changes
    def _followers(self, grade_id: str, student: str, group: bool) -> list:
        """``student``, and with ``group`` the other members of the group they lead that still have its items."""
        if not group:
            return [student]
        g = self.grouping(grade_id).of.get(student)
        if g is None or g.leader != student:
            return [student]
        q = self.grader.question(grade_id)
        lead = q.applied.get(student)
        return [student] + [m for m in g.members[1:] if question_sections.same_items(q.applied.get(m), lead)]

    def _set(self, grade_id: str, who: list, items: list, via: str) -> dict:
        q = self.grader.question(grade_id)
        for i in items:
            q.item(i)
        choices = {s: rubrics.Applied(list(items), q.applied.get(s, rubrics.Applied()).note) for s in who}
        self.grader.set_applied(grade_id, choices, via=via)
        return {"states": [self.state(grade_id, s) for s in who], "counts": q.counts()}

    def act(self, path: str, body: dict) -> dict:
        gid = str(body.get("question", ""))
        label = str(body.get("student", ""))
        group = bool(body.get("group"))
        if path == "/api/toggle":
            student = self.student(label)
            q = self.grader.question(gid)
            item = q.item(str(body.get("item", ""))).id
            self.grader.check_student(student)
            who = self._followers(gid, student, group)
            items = list(q.applied.get(student, rubrics.Applied()).items)
            items = [i for i in items if i != item] if item in items else items + [item]
            g = self.grouping(gid).of.get(student)
            return self._set(gid, who, items, f"group {g.id}" if len(who) > 1 and g else "page")
        if path == "/api/set":
            student = self.student(label)
            items = [str(i) for i in body.get("items", []) if isinstance(i, str)]
            via = str(body.get("via", "page"))[:40]
            g = self.grouping(gid).of.get(student)
            who = self._followers(gid, student, group)
            return self._set(gid, who, items, f"{via}, group {g.id}" if len(who) > 1 and g else via)
        if path == "/api/note":
            student = self.student(label)
            self.grader.set_note(gid, student, str(body.get("note", "")), via="page")
            return {"states": [self.state(gid, student)], "counts": self.grader.question(gid).counts()}
        if path == "/api/item":
            return self._edit_item(gid, body)
        if path == "/api/delete":
            who = self.grader.delete_item(gid, str(body.get("item", "")), via="page")
            return {"rescored": len(who), "rubric": self.rubric_state(gid),
                    "states": [self.state(gid, s) for s in who]}
        if path == "/api/regrade":
            student = self.student(label)
            regrades.answer(self.course, self.hw, gid, student, str(body.get("decision", "")),
                            str(body.get("reason", "")), who=self.grader.who)
            mine = [r for r in regrades.requests(self.course, self.hw, gid) if r.student == student]
            return {"answered": sum(1 for r in mine if r.answered is not None), "open": sum(1 for r in mine
                                                                                      if r.answered is None)}
        raise LookupError(path)

    def _edit_item(self, gid: str, body: dict) -> dict:
        """A new item or an item changed; an item that answers have is changed only with ``confirm`` (the page
        asks, naming how many answers it re-scores). A new item is applied where ``apply`` says: ``"item:<id>"``
        every answer that has that item, ``"student:<label>"`` that answer (and its group's followers)."""
        try:
            points = float(body.get("points"))
        except (TypeError, ValueError):
            raise CourseError(f"a rubric item's points must be a number (got {body.get('points')!r})") from None
        q = self.grader.question(gid)
        item_id = str(body.get("item") or "") or None
        if item_id:
            it = q.item(item_id)
            n = q.counts()[it.id]
            if n and it.points != points and not body.get("confirm"):
                raise CourseError(f"changing {it.id}'s points from {rubrics.signed_points(it.points)} to {rubrics.signed_points(points)} "
                                  f"re-scores {n} answer{'s' if n != 1 else ''}: confirm it")
        item, who = self.grader.edit_item(gid, item_id, points, str(body.get("text", "")), via="page")
        applied = []
        target = str(body.get("apply") or "")
        if not item_id and target.startswith("item:"):
            have = q.item(target[5:]).id
            applied = [s for s, a in q.applied.items() if have in a.items]
        elif not item_id and target.startswith("student:"):
            student = self.student(target[8:])
            applied = self._followers(gid, student, True)
        if applied:
            self.grader.apply_item(gid, item, applied, on=True, via="page: new item applied")
        touched = list(dict.fromkeys(list(who) + applied))
        return {"item": item, "rescored": len(touched), "rubric": self.rubric_state(gid),
                "states": [self.state(gid, s) for s in touched]}


def quote_part(text: str) -> str:
    """``text`` as one part of a URL's path (every ``/`` quoted too)."""
    return quote(text, safe="")
