"""``dgmlab grade <hw>``: grade the written answers one question at a time, with a rubric, in the browser.

A small HTTP server on 127.0.0.1 (this machine only) serves, for each written (hand-graded) cell, one page with
every student's answer one after another (markdown rendered inert with math by the machine's MathJax, pasted
images shown: :mod:`.answers_html`), a line for each PDF or photo (``.png``, ``.jpg``) the student handed in beside
the notebook, shown beside the answer only when the grader asks, the question and the model answer from the source
notebook, and the question's rubric (:mod:`.rubrics`). A handed-in file whose name names one of the homework's
questions (``Q3.jpg``, ``hw5_explicit_Q3.pdf``: the rule of :mod:`.question_files`) is listed on that question's
written cells' pages only; any other on every written cell's page. Items are applied with a
click or a key; each change is saved to ``rubrics/<hw>.json`` and written to nbgrader's gradebook at once, and the
rubric's count of students who have each item follows it (no reload).

Math: each answer, and each list of rubric items (their texts hold TeX where the model answer's split did), is
typeset on its own, with MathJax's TeX definitions put back after it, so one student's
``\\def`` or ``\\newcommand`` changes no other answer's math; MathJax's Safe extension drops ``\\href``, ``\\class``,
``\\cssId``, ``\\require`` and positioning styles (:data:`.grade_pages.MATHJAX_CONFIG`). Answers are rendered once per
version of the student's notebook while the server runs; one too long to render is shown as text (:mod:`.answers_html`).

Size: a page grows with what the students wrote, not with how often they refer to it. A pasted image is served at
its own address (``/att/<student>/<question>/<sha256>/<name>``, kept by the browser: one fetch however many times the
answer shows it); an answer shows at most :data:`.answers_html.MAX_IMAGES` images and
:data:`.answers_html.MAX_ANSWER_HTML` bytes of HTML, and says what it cut, with a link to the whole answer on its own
page (``/a/<question>/<student>``); a handed-in file is one line (a button) until the grader opens it.

Safety: the server answers only requests whose ``Host`` is this machine's loopback name (no DNS rebinding), and
changes something only for a JSON ``POST`` carrying the page's random per-server token in ``X-Dgmlab-Token``
(no other site can make the browser send one). It handles one request at a time, so it is the gradebook's
only writer while it runs. Pages allow scripts from the server only (no inline script), images from the server
and ``data:``, and nothing from elsewhere. A student's file (an attachment, a PDF, a photo) is served only with its
own type (an image only when its bytes are of that type: never HTML or SVG), under a policy that runs nothing, and
only to the server's own pages (a request another site's page makes, ``Sec-Fetch-Site: cross-site``, gets 403).
"""
from __future__ import annotations

import hmac
import json
import logging
import mimetypes
import os
import secrets
import shutil
import webbrowser
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

import nbformat

from ...image_budget import too_large
from ..inert import terminal
from ..layout import Course, CourseError
from . import adjustments as ADJ
from . import answer_groups as AG
from . import class_answers as CA
from . import class_grades as CG
from . import grade_pages as P
from . import grading_order as GO
from . import question_files as QF
from . import rubrics as R
from .answers_html import answer_html, attachment, image_type, markdown_html

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MATHJAX_ENV = "DGMLAB_MATHJAX"  # as dgmlab pdf reads it
DEBIAN_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
MAX_BODY = 64 * 1024
MAX_BATCH = 40  # answers the page fetches in one request (those coming into view)
MAX_FAILED = 6  # failed checks listed per autograded cell beside an answer
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

PDF_CSP = "default-src 'none'; frame-ancestors 'self'"  # a handed-in PDF: shown in the answer's page, runs nothing
IMAGE_CSP = "default-src 'none'; sandbox"  # an image file on its own: nothing runs or loads
HANDED_IN = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
KINDS = {"application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image"}
KEPT = "private, max-age=31536000, immutable"  # an address keyed by its content's hash never changes content
DATA_ROUTES = ("a", "att", "file", "answers")  # a student's data: served to the server's own pages only


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


def _signed(x) -> str:
    return R.signed_points(x)


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
    members: list = field(default_factory=list)  # [(label, score text, follows the group)] after the first
    proposed_for: str = ""  # a similar group's label whose items this answer is offered
    similarity: float = 0.0
    results: list = field(default_factory=list)  # the same problem's autograded cells: dicts
    requests: list = field(default_factory=list)  # regrade requests of this student on this question
    member_of: str = ""  # the label of the group's first answer, for a member shown only when graded apart

    @property
    def score_text(self) -> str:
        return "–" if self.score is None else R.points_text(self.score)


def _same(a: R.Applied | None, b: R.Applied | None) -> bool:
    return sorted((a or R.Applied()).items) == sorted((b or R.Applied()).items)


class Site:
    """What the server shows and changes for one homework."""

    def __init__(self, course: Course, hw: str, anonymous: bool = True, who: str | None = None):
        self.course = course
        self.grader = R.Grader(course, hw, who=who)
        self.hw = self.grader.hw
        self.anonymous = anonymous
        self.cells = {c.grade_id: c for c in R.written_cells(course, self.hw)}
        source = nbformat.read(course.source_notebook(self.hw), as_version=4)
        self.related = CA.related_cells(source.cells)
        self.questions = QF.homework_questions(course, self.hw)  # which handed-in file goes with which written cell
        self.notebooks = CA.ClassNotebooks(course, self.hw)
        for student in self.grader.students:  # read once now: the first page comes as fast as the next
            self.notebooks.get(student)
        self.labels = GO.labels(course, self.grader.students, anonymous)
        self.by_label = {v: k for k, v in self.labels.items()}
        self.token = secrets.token_urlsafe(32)
        self.mathjax = find_mathjax()
        self._html = {}  # (grade_id, student) -> (the Notebook it was rendered from, its HTML)
        self._groups = {}  # grade_id -> the Grouping the page last showed
        from jinja2 import DictLoader, Environment, select_autoescape

        self.env = Environment(loader=DictLoader({"base.html": P.BASE, "index.html": P.INDEX,
                                                  "question.html": P.QUESTION, "answer.html": P.ANSWER}),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        self.env.globals.update(token=self.token, course=course.root.name, mathjax=self.mathjax is not None,
                                signed=_signed, item_key=item_key)

    # -- who is who
    def student(self, label: str) -> str:
        """The student the page calls ``label``."""
        sid = self.by_label.get(str(label))
        if sid is None:
            raise CourseError(f"no submission of {self.hw} by {label!r} on this page: reload it")
        return sid

    def notebook(self, student: str) -> Path | None:
        return self.notebooks.path(student)

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
    def _not_shown(path: Path, mime: str) -> str:
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
        return f"not shown: {why} (open it as {'/'.join(path.parts[-4:])})" if why else ""

    def handed_in_file(self, label: str, name: str) -> tuple:
        """(path, type) of file ``name`` the student the page calls ``label`` handed in, if it is served, else
        (None, why not)."""
        student = self.by_label.get(label)
        mime = self.handed_in_types(student).get(name) if student is not None else None
        if mime is None:
            return None, "not found"
        path = self.course.folder("submitted", self.hw, student) / name
        why = self._not_shown(path, mime)
        return (None, why) if why else (path, mime)

    def handed_in(self, student: str) -> list:
        """A line each for the files the student handed in: name, kind, address, and why it is not shown (or "")."""
        folder = self.course.folder("submitted", self.hw, student)
        return [{"name": name, "kind": KINDS[mime], "image": mime.startswith("image/"),
                 "url": f"/file/{_quote(self.labels[student])}/{_quote(name)}",
                 "why": self._not_shown(folder / name, mime)}
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
            return f"/att/{_quote(label)}/{_quote(grade_id)}/{img.sha256}/{_quote(img.name)}"
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
            out[label] = {"html": html if found else "", "why": why,
                          "files": [f for f in self.handed_in(student) if self.questions.shown_with(f["name"], grade_id)]}
        return out

    @staticmethod
    def whole_url(grade_id: str, label: str) -> str:
        return f"/a/{_quote(grade_id)}/{_quote(label)}"

    def whole_answer_page(self, grade_id: str, label: str) -> str:
        """The whole answer ``grade_id`` of the student the page calls ``label``, on a page of its own (nothing cut;
        rendered at each request)."""
        self.grader.question(grade_id)  # a CourseError naming the written questions if it is none
        student = self.student(label)
        found, html, why = self._render(grade_id, student, self.notebooks.get(student), whole=True)
        return self.env.get_template("answer.html").render(
            hw=self.hw, grade_id=grade_id, student=label, found=found, html=html, why=why,
            back=f"/q/{_quote(grade_id)}#s-{_quote(label)}")

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
        with R.gradebook(self.course) as gb:
            return CG.class_grades(gb, self.hw)

    def gradebook_grades(self, grade_id: str) -> dict:
        """student -> (manual score, comment) as the gradebook has them now (the formgrader's, for instance)."""
        grades = self.grades()
        out = {}
        for s in self.grader.students:
            cell = grades.get(s, {}).get(grade_id)
            out[s] = (None, "") if cell is None else (cell.manual, cell.comment)
        return out

    def to_grade(self, grades: dict | None = None) -> dict:
        """``{grade id: {student, ...}}`` of the answers still to grade by hand, by the rule ``dgmlab report`` and
        ``push`` apply (:mod:`.to_grade`): never graded, or reopened by a regrade (the answer changed)."""
        grades = self.grades() if grades is None else grades
        return {gid: {s for s in self.grader.students if CG.still_to_grade(grades.get(s, {}).get(gid))}
                for gid in self.grader.rubric.questions}

    # -- pages
    def index_page(self) -> str:
        left = self.to_grade()
        qs = [{"grade_id": gid, "max": R.points_text(q.max),
               "graded": sum(1 for s in self.grader.students if s not in left.get(gid, ()))}
              for gid, q in self.grader.rubric.questions.items()]
        return self.env.get_template("index.html").render(
            hw=self.hw, questions=qs, n_students=len(self.grader.students), anonymous=self.anonymous,
            rubric_path=R.path(self.course, self.hw).relative_to(self.course.root).as_posix())

    def grouping(self, grade_id: str) -> AG.Grouping:
        """The answer groups of ``grade_id`` the page shows (made at each load of the page, kept for its POSTs)."""
        if grade_id not in self._groups:
            order = GO.fair_order(self.course, self.hw, grade_id, self.grader.students)
            self._groups[grade_id] = AG.group(self.notebooks.answers(grade_id, order))
        return self._groups[grade_id]

    def _results(self, grade_id: str, student: str, grades: dict) -> list:
        """The same problem's autograded cells for ``student``: points from the gradebook, the checks that failed
        and why from the autograded notebook (never from a notebook only handed in: its outputs are the student's)."""
        mine = grades.get(student, {})
        autograded = self.notebooks.path(student) == (self.course.folder("autograded", self.hw, student)
                                                      / f"{self.hw}.ipynb")
        outcomes = self.notebooks.get(student).outcomes if autograded else {}
        out = []
        for gid in self.related.get(grade_id, []):
            cell = mine.get(gid)
            if cell is None:
                continue
            passed, failed, error = outcomes.get(gid, ([], [], ""))
            out.append({"cell": gid, "score": "–" if cell.score is None else R.points_text(cell.score),
                        "max": R.points_text(cell.max), "full": cell.score is not None and cell.score >= cell.max,
                        "failed": [f"{name}: {why}" if why else name for name, why in failed][:MAX_FAILED],
                        "error": error})
        return out

    def sections(self, grade_id: str) -> list:
        """The question's page, section by section: the students in the question's order (:mod:`.grading_order`),
        a group of identical answers as one section (its first member's) with the others listed in it, and each
        answer proposed for a group's items right after that group's section."""
        q = self.grader.question(grade_id)
        self._groups.pop(grade_id, None)
        grouping = self.grouping(grade_id)
        order = GO.fair_order(self.course, self.hw, grade_id, self.grader.students)
        grades = self.grades()
        left = self.to_grade(grades).get(grade_id, set())
        adjusted = ADJ.read(self.course, self.hw)
        try:
            from . import regrades
            requests = regrades.requests(self.course, self.hw, grade_id)
        except ImportError:  # pragma: no cover - the regrade module lands with the audit log
            requests = []

        def section(student: str) -> Answer:
            a = q.applied.get(student, R.Applied())
            graded = student not in left
            out = Answer(student, self.labels[student], q.score(student) if graded else None, list(a.items), a.note,
                         graded=graded, results=self._results(grade_id, student, grades),
                         requests=[r for r in requests if r.student == student])
            cell = grades.get(student, {}).get(grade_id)
            if q.score(student) is None and cell is not None and cell.manual is not None:
                out.elsewhere = f"{R.points_text(cell.manual)} points in the gradebook" + (
                    f" ({cell.comment})" if cell.comment else "")
            adj = adjusted.get(student)
            if adj is not None and adj.cell == grade_id:
                out.adjustment = adj.line() + ("" if out.score is None else
                                               f": {R.points_text(out.score + adj.points)} in the mark")
            nb = self.notebooks.get(student)
            if nb.why or grade_id not in nb.written:
                out.why = nb.why or f"{self.hw}.ipynb has no written answer {grade_id}"
            return out

        placed, out = set(), []
        position = {s: k for k, s in enumerate(order)}
        for student in order:
            if student in placed:
                continue
            g = grouping.of.get(student)
            if g is not None and student in grouping.proposal:
                continue  # shown after the group it is proposed for
            if g is None or g.leader != student:
                if g is None:
                    placed.add(student)
                    out.append(section(student))
                continue
            head = section(student)
            head.group = g.id
            lead = q.applied.get(student)
            for m in g.members[1:]:
                follows = _same(q.applied.get(m), lead)
                head.members.append((self.labels[m], "–" if q.score(m) is None or m in left
                                     else R.points_text(q.score(m)), follows))
            placed.update(g.members)
            out.append(head)
            for m in g.members[1:]:  # each member's own section, hidden until the TA grades it apart
                apart = section(m)
                apart.member_of = head.label
                out.append(apart)
            for other, sim in sorted(g.proposed.items(), key=lambda kv: position[kv[0]]):
                offered = section(other)
                offered.proposed_for, offered.similarity = head.label, sim
                placed.add(other)
                out.append(offered)
        return out

    def question_page(self, grade_id: str) -> str:
        q = self.grader.question(grade_id)
        ids = list(self.grader.rubric.questions)
        k = ids.index(grade_id)
        cell = self.cells.get(grade_id)
        answers = self.sections(grade_id)
        share = self.grouping(grade_id).share()
        return self.env.get_template("question.html").render(
            hw=self.hw, q=q, answers=answers, share=share, n_students=len(self.grader.students),
            rubric=json.dumps(self.rubric_state(grade_id)), anonymous=self.anonymous,
            statement=markdown_html(cell.statement) if cell else "", model=markdown_html(cell.model) if cell else "",
            prev=ids[k - 1] if k > 0 else None, next=ids[k + 1] if k + 1 < len(ids) else None)

    def rubric_state(self, grade_id: str) -> dict:
        q = self.grader.question(grade_id)
        return {"max": q.max, "counts": q.counts(),
                "items": [{"id": it.id, "points": it.points, "text": it.text, "signed": _signed(it.points),
                           "key": item_key(n)} for n, it in enumerate(q.items, 1)]}

    def state(self, grade_id: str, student: str) -> dict:
        q = self.grader.question(grade_id)
        a = q.applied.get(student, R.Applied())
        score = q.score(student)
        return {"student": self.labels[student], "score": score,
                "score_text": "–" if score is None else R.points_text(score), "items": list(a.items),
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
        return [student] + [m for m in g.members[1:] if _same(q.applied.get(m), lead)]

    def _set(self, grade_id: str, who: list, items: list, via: str) -> dict:
        q = self.grader.question(grade_id)
        for i in items:
            q.item(i)
        choices = {s: R.Applied(list(items), q.applied.get(s, R.Applied()).note) for s in who}
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
            items = list(q.applied.get(student, R.Applied()).items)
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
            from . import regrades

            student = self.student(label)
            regrades.answer(self.course, self.hw, gid, student, str(body.get("decision", "")),
                            str(body.get("reason", "")), who=self.grader.who)
            return {"requests": [r.to_json() for r in regrades.requests(self.course, self.hw, gid)
                                 if r.student == student]}
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
                raise CourseError(f"changing {it.id}'s points from {_signed(it.points)} to {_signed(points)} "
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


def _quote(text: str) -> str:
    return quote(text, safe="")


class Handler(BaseHTTPRequestHandler):
    site: Site  # set on the class made by make_server
    server_version = "dgmlab-grade"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the terminal shows the URL and errors only
        pass

    # -- answers
    def _headers(self, code: int, length: int, ctype: str, extra: dict | None = None) -> None:
        extra = dict(extra or {})
        policy = extra.pop("csp", CSP)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Content-Security-Policy", policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", extra.pop("Cache-Control", "no-store"))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()

    def _send(self, code: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self._headers(code, len(body), ctype, extra)
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the page went away (reloaded, closed) meanwhile
                pass

    def _send_file(self, path: Path, ctype: str, extra: dict) -> None:
        """The file at ``path``, copied a block at a time (a large PDF is never all in memory)."""
        with path.open("rb") as f:
            self._headers(200, os.fstat(f.fileno()).st_size, ctype, extra)
            if self.command != "HEAD":
                try:
                    shutil.copyfileobj(f, self.wfile)
                except (BrokenPipeError, ConnectionResetError):
                    pass

    def _json(self, code: int, data: dict) -> None:
        self._send(code, json.dumps(data).encode(), "application/json")

    def _text(self, code: int, text: str) -> None:
        self._send(code, text.encode(), "text/plain; charset=utf-8")

    def _host_ok(self) -> bool:
        port = self.server.server_address[1]
        return self.headers.get("Host", "") in (f"{HOST}:{port}", f"localhost:{port}")

    # -- GET
    def do_GET(self):
        if not self._host_ok():
            return self._text(403, "dgmlab grade answers requests to 127.0.0.1 only")
        parts = [unquote(p) for p in urlsplit(self.path).path.split("/")[1:]]
        site = self.site
        if parts[0] in DATA_ROUTES and self.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return self._text(403, "dgmlab grade shows a student's work to its own pages only")
        try:
            if parts == [""]:
                return self._send(200, site.index_page().encode(), "text/html; charset=utf-8")
            if len(parts) == 2 and parts[0] == "q":
                return self._send(200, site.question_page(parts[1]).encode(), "text/html; charset=utf-8")
            if len(parts) == 2 and parts[0] == "static" and parts[1] in STATIC:
                body, ctype = STATIC[parts[1]]
                return self._send(200, body.encode(), ctype)
            if len(parts) == 2 and parts[0] == "answers":
                wanted = parse_qs(urlsplit(self.path).query).get("s", [])
                return self._json(200, site.contents(parts[1], wanted))
            if len(parts) == 3 and parts[0] == "a":
                return self._send(200, site.whole_answer_page(parts[1], parts[2]).encode(), "text/html; charset=utf-8")
            if len(parts) == 5 and parts[0] == "att":
                img = site.attachment(parts[1], parts[2], parts[3], parts[4])
                if img is not None:
                    return self._send(200, img.data, img.mime, {"csp": IMAGE_CSP, "Cache-Control": KEPT})
            if len(parts) == 3 and parts[0] == "file":
                path, mime = site.handed_in_file(parts[1], parts[2])
                if path is not None:
                    return self._send_file(path, mime, {"Content-Disposition": "inline", "csp": PDF_CSP
                                                        if mime == "application/pdf" else IMAGE_CSP})
            if len(parts) >= 2 and parts[0] == "mathjax" and site.mathjax is not None:
                target = (site.mathjax / "/".join(parts[1:])).resolve()
                if target.is_file() and target.is_relative_to(site.mathjax):
                    ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                    return self._send(200, target.read_bytes(), ctype, {"Cache-Control": "max-age=3600"})
        except CourseError as exc:
            return self._text(404, str(exc))
        return self._text(404, "not found")

    def do_HEAD(self):
        return self.do_GET()

    # -- POST
    def do_POST(self):
        if not self._host_ok():
            return self._json(403, {"error": "dgmlab grade answers requests to 127.0.0.1 only"})
        if not hmac.compare_digest(self.headers.get("X-Dgmlab-Token", ""), self.site.token):
            return self._json(403, {"error": "missing or wrong token: reload the page from dgmlab grade's address"})
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return self._json(415, {"error": "send JSON"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return self._json(413, {"error": f"a request body of at most {MAX_BODY} bytes"})
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            return self._json(400, {"error": f"not JSON: {exc}"})
        try:
            return self._json(200, self.site.act(urlsplit(self.path).path, body))
        except LookupError:
            return self._json(404, {"error": "no such action"})
        except CourseError as exc:
            return self._json(400, {"error": str(exc)})


STATIC = {"grade.js": (P.JS, "text/javascript; charset=utf-8"), "grade.css": (P.CSS, "text/css; charset=utf-8"),
          "mathjax-config.js": (P.MATHJAX_CONFIG, "text/javascript; charset=utf-8")}


def make_server(course: Course, hw: str, port: int = 0, anonymous: bool = True, who: str | None = None) -> HTTPServer:
    """The server for ``hw`` on 127.0.0.1:``port`` (0: a free port), not yet serving; ``server.site`` is its
    :class:`Site`: students shown by pseudonym (``anonymous``) or id; ``who`` grades (the audit log's name; the
    OS user by default). One request at a time."""
    (hw,) = course.check_homeworks([hw])
    lock = rubric_lock(course, hw)
    try:
        site = Site(course, hw, anonymous=anonymous, who=who)
        handler = type("SiteHandler", (Handler,), {"site": site})
        server = LockedServer((HOST, port), handler)
    except OSError as exc:
        lock.close()
        raise CourseError(f"cannot listen on {HOST}:{port} ({exc.strerror}): pick another --port") from exc
    except BaseException:
        lock.close()
        raise
    server.site, server.lock = site, lock
    return server


class LockedServer(HTTPServer):
    """One request at a time; holds the homework's rubric lock until closed."""

    lock = None

    def server_close(self):
        super().server_close()
        if self.lock is not None:
            self.lock.close()
            self.lock = None


def rubric_lock(course: Course, hw: str):
    """``rubrics/.<hw>.lock``, held (an exclusive ``flock``) while a server grades ``hw`` or a table is applied
    (:mod:`.rubric_table`): a second writer would write over the first one's rubric."""
    import fcntl

    path = R.path(course, hw).with_name(f".{hw}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise CourseError(f"another dgmlab grade {hw} is running on this course (it holds {path}): grade in that "
                          "one, or stop it first") from None
    return f


def url(server: HTTPServer, grade_id: str | None = None) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/" + (f"q/{_quote(grade_id)}" if grade_id else "")


def reopened_lines(site: Site) -> list:
    """One line per written question with answers a regrade reopened (a hand score in the gradebook, but still to
    grade: the answer changed since it was graded): the TA's list to look at again. Scores and rubric choices are
    kept; applying an item (or taking one off and on) grades it again."""
    out = []
    for gid, students in sorted(site.to_grade().items()):
        scored = site.gradebook_grades(gid)
        again = sorted(s for s in students if scored.get(s, (None, ""))[0] is not None)
        if again:
            out.append(terminal(f"{gid}: to grade again, the answer changed since it was graded (score and rubric "
                                f"choices kept): {', '.join(again)}"))
    return out


def serve(course: Course, hw: str, question: str | None = None, port: int = 0, browser: bool = True, *,
          say: Callable[[str], None], anonymous: bool = True, who: str | None = None) -> int:
    """Run the server until Ctrl-C; says its address, the rubrics' file and the answers to grade again to ``say``
    (``dgmlab grade`` prints them), and opens the address in a browser with ``browser``."""
    server = make_server(course, hw, port, anonymous=anonymous, who=who)
    if question is not None:
        try:
            server.site.grader.question(question)
        except CourseError:
            server.server_close()
            raise
    address = url(server, question)
    say(f"grading {server.site.hw} by question at {address}  (this machine only; Ctrl-C stops)")
    say(f"rubrics: {R.path(course, server.site.hw)}")
    reopened = reopened_lines(server.site)
    if reopened:
        say("\n".join(reopened))
    if server.site.mathjax is None:
        log.warning("no MathJax 2 with its Safe extension (extensions/Safe.js) on this machine: math is shown as TeX "
                    "(apt-get install libjs-mathjax)")
    if browser:
        webbrowser.open(address)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
