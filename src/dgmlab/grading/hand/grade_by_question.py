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
from urllib.parse import quote, unquote, urlsplit

import nbformat

from ...image_budget import too_large
from ..inert import terminal
from ..layout import Course, CourseError
from . import adjustments as ADJ
from . import grade_pages as P
from . import question_files as QF
from . import rubrics as R
from . import to_grade as TG
from .answers_html import answer_html, attachment, image_type, markdown_html

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MATHJAX_ENV = "DGMLAB_MATHJAX"  # as dgmlab pdf reads it
DEBIAN_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
MAX_BODY = 64 * 1024
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

PDF_CSP = "default-src 'none'; frame-ancestors 'self'"  # a handed-in PDF: shown in the answer's page, runs nothing
IMAGE_CSP = "default-src 'none'; sandbox"  # an image file on its own: nothing runs or loads
HANDED_IN = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
KINDS = {"application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image"}
KEPT = "private, max-age=31536000, immutable"  # an address keyed by its content's hash never changes content
DATA_ROUTES = ("a", "att", "file")  # a student's data: served to the server's own pages only


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
    student: str
    found: bool
    html: str = ""
    why: str = ""
    score: float | None = None
    applied: list = field(default_factory=list)
    note: str = ""
    files: list = field(default_factory=list)  # what handed_in gives
    elsewhere: str = ""  # a hand grade the gradebook holds from outside the rubric
    adjustment: str = ""  # a course rule's points this cell also holds (.adjustments): the mark counts them too

    @property
    def score_text(self) -> str:
        return "–" if self.score is None else R.points_text(self.score)


def _answer_cell(path: Path, grade_id: str):
    """The markdown cell with nbgrader grade id ``grade_id`` of the notebook at ``path`` (None if none)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id and cell.cell_type == "markdown":
            return cell
    return None


class Site:
    """What the server shows and changes for one homework."""

    def __init__(self, course: Course, hw: str):
        self.course = course
        self.grader = R.Grader(course, hw)
        self.hw = self.grader.hw
        self.cells = {c.grade_id: c for c in R.written_cells(course, self.hw)}
        self.questions = QF.homework_questions(course, self.hw)  # which handed-in file goes with which written cell
        self.token = secrets.token_urlsafe(32)
        self.mathjax = find_mathjax()
        self._rendered = {}  # (grade_id, student) -> (the notebook's path, mtime and size, Site.rendered's result)
        self._cell = (None, None)  # ((path, mtime, size, grade_id), the cell): the last one an attachment came from
        from jinja2 import DictLoader, Environment, select_autoescape

        self.env = Environment(loader=DictLoader({"base.html": P.BASE, "index.html": P.INDEX,
                                                  "question.html": P.QUESTION, "answer.html": P.ANSWER}),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        self.env.globals.update(token=self.token, course=course.root.name, mathjax=self.mathjax is not None,
                                signed=_signed, item_key=item_key)

    # -- what a page shows
    def notebook(self, student: str) -> Path | None:
        for step in ("autograded", "submitted"):
            p = self.course.folder(step, self.hw, student) / f"{self.hw}.ipynb"
            if p.is_file():
                return p
        return None

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

    def handed_in_file(self, student: str, name: str) -> tuple:
        """(path, type) of file ``name`` the student handed in, if it is served, else (None, why not)."""
        mime = self.handed_in_types(student).get(name) if student in self.grader.students else None
        if mime is None:
            return None, "not found"
        path = self.course.folder("submitted", self.hw, student) / name
        why = self._not_shown(path, mime)
        return (None, why) if why else (path, mime)

    def handed_in(self, student: str) -> list:
        """A line each for the files the student handed in: name, kind, address, and why it is not shown (or "")."""
        folder = self.course.folder("submitted", self.hw, student)
        return [{"name": name, "kind": KINDS[mime], "image": mime.startswith("image/"),
                 "url": f"/file/{_quote(student)}/{_quote(name)}", "why": self._not_shown(folder / name, mime)}
                for name, mime in self.handed_in_types(student).items()]

    def answer(self, grade_id: str, student: str) -> Answer:
        q = self.grader.question(grade_id)
        a = q.applied.get(student, R.Applied())
        out = Answer(student, False, score=q.score(student), applied=list(a.items), note=a.note,
                     files=[f for f in self.handed_in(student) if self.questions.shown_with(f["name"], grade_id)])
        adjusted = ADJ.read(self.course, self.hw).get(student)
        if adjusted is not None and adjusted.cell == grade_id:
            out.adjustment = adjusted.line() + ("" if out.score is None else
                                                f": {R.points_text(out.score + adjusted.points)} in the mark")
        path = self.notebook(student)
        if path is None:
            out.why = f"no notebook {self.hw}.ipynb in autograded/ or submitted/ for {student}"
            return out
        out.found, out.html, out.why = self.rendered(grade_id, student, path)
        return out

    def rendered(self, grade_id: str, student: str, path: Path) -> tuple:
        """(found, html, why) of ``student``'s answer ``grade_id`` in the notebook at ``path``, rendered once per
        version of that notebook (its modification time and size) while the server runs: a page is loaded again
        after every rubric change, and a long answer can take the markdown renderer a second."""
        try:
            st = path.stat()
            stamp = (str(path), st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        hit = self._rendered.get((grade_id, student))
        if stamp is not None and hit is not None and hit[0] == stamp:
            return hit[1]
        result = self._render(grade_id, student, path, whole=False)
        if stamp is not None:
            self._rendered[(grade_id, student)] = (stamp, result)
        return result

    def _render(self, grade_id: str, student: str, path: Path, whole: bool) -> tuple:
        """(found, html, why): ``student``'s answer as a question's page shows it (cut to size: :func:`answer_html`),
        or the ``whole`` of it."""
        try:
            cell = _answer_cell(path, grade_id)
        except Exception as exc:
            return False, "", f"{path.name} could not be read: {type(exc).__name__}"
        if cell is None:
            return False, "", f"{path.name} has no written answer {grade_id}"

        def src(img):
            return f"/att/{_quote(student)}/{_quote(grade_id)}/{img.sha256}/{_quote(img.name)}"
        if whole:
            return True, markdown_html(cell.source, cell.get("attachments"), src), ""
        return True, answer_html(cell.source, cell.get("attachments"), src, self.whole_url(grade_id, student)), ""

    @staticmethod
    def whole_url(grade_id: str, student: str) -> str:
        return f"/a/{_quote(grade_id)}/{_quote(student)}"

    def whole_answer_page(self, grade_id: str, student: str) -> str:
        """``student``'s whole answer ``grade_id`` on a page of its own (nothing cut; rendered at each request)."""
        self.grader.question(grade_id)  # a CourseError naming the written questions if it is none
        if student not in self.grader.students:
            raise CourseError(f"no student {student!r} in the gradebook")
        path = self.notebook(student)
        found, html, why = (self._render(grade_id, student, path, whole=True) if path is not None else
                            (False, "", f"no notebook {self.hw}.ipynb in autograded/ or submitted/ for {student}"))
        return self.env.get_template("answer.html").render(
            hw=self.hw, grade_id=grade_id, student=student, found=found, html=html, why=why,
            back=f"/q/{_quote(grade_id)}#s-{_quote(student)}")

    def attachment(self, student: str, grade_id: str, sha256: str, name: str):
        """The :class:`.answers_html.Image` attachment ``name`` of ``student``'s answer ``grade_id`` as its notebook
        holds it now, if its content's hash is ``sha256``, else None. The last cell read is kept (the images of one
        answer come one after another), no more."""
        if student not in self.grader.students or grade_id not in self.cells:
            return None
        path = self.notebook(student)
        if path is None:
            return None
        try:
            st = path.stat()
            key = (str(path), st.st_mtime_ns, st.st_size, grade_id)
            cell = self._cell[1] if self._cell[0] == key else _answer_cell(path, grade_id)
        except Exception:
            return None
        self._cell = (key, cell)
        img = attachment(cell.get("attachments"), name) if cell is not None else None
        return img if img is not None and img.sha256 == sha256 else None  # a hash, not a secret

    def gradebook_grades(self, grade_id: str) -> dict:
        """student -> (manual score, comment) as the gradebook has them now (the formgrader's, for instance)."""
        out = {}
        with R.gradebook(self.course) as gb:
            for student in self.grader.students:
                g = gb.find_grade(grade_id, self.hw, self.hw, student)
                c = gb.find_comment(grade_id, self.hw, self.hw, student)
                out[student] = (g.manual_score, c.manual_comment or "")
        return out

    def to_grade(self) -> dict:
        """``{grade id: {student, ...}}`` of the answers still to grade by hand, by the rule ``dgmlab report`` and
        ``push`` apply (:mod:`.to_grade`): never graded, or reopened by a regrade (the answer changed)."""
        with R.gradebook(self.course) as gb:
            left = TG.pending(gb, self.hw)
        out = {}
        for student, cells in left.items():
            for gid in cells:
                out.setdefault(gid, set()).add(student)
        return out

    def index_page(self) -> str:
        left = self.to_grade()
        qs = [{"grade_id": gid, "max": R.points_text(q.max),
               "graded": sum(1 for s in self.grader.students if s not in left.get(gid, ()))}
              for gid, q in self.grader.rubric.questions.items()]
        return self.env.get_template("index.html").render(
            hw=self.hw, questions=qs, n_students=len(self.grader.students),
            rubric_path=R.path(self.course, self.hw).relative_to(self.course.root).as_posix())

    def question_page(self, grade_id: str) -> str:
        q = self.grader.question(grade_id)
        ids = list(self.grader.rubric.questions)
        k = ids.index(grade_id)
        cell = self.cells.get(grade_id)
        answers = [self.answer(grade_id, s) for s in self.grader.students]
        elsewhere = self.gradebook_grades(grade_id)
        for a in answers:  # graded without the rubric (the formgrader): say so before the rubric writes over it
            score, comment = elsewhere.get(a.student, (None, ""))
            if a.score is None and score is not None:
                a.elsewhere = f"{R.points_text(score)} points in the gradebook" + (f" ({comment})" if comment else "")
        left = self.to_grade().get(grade_id, set())
        for a in answers:  # reopened by a regrade: shown ungraded, its rubric choices kept (apply an item to confirm)
            if a.student in left:
                a.score = None
        return self.env.get_template("question.html").render(
            hw=self.hw, q=q, counts=q.counts(), answers=answers,
            statement=markdown_html(cell.statement) if cell else "", model=markdown_html(cell.model) if cell else "",
            prev=ids[k - 1] if k > 0 else None, next=ids[k + 1] if k + 1 < len(ids) else None)

    def state(self, grade_id: str, student: str) -> dict:
        q = self.grader.question(grade_id)
        a = q.applied.get(student, R.Applied())
        score = q.score(student)
        return {"student": student, "score": score, "score_text": "–" if score is None else R.points_text(score),
                "items": list(a.items), "note": a.note, "counts": q.counts()}

    # -- what a POST changes
    def act(self, path: str, body: dict) -> dict:
        gid, student = str(body.get("question", "")), str(body.get("student", ""))
        if path == "/api/toggle":
            self.grader.toggle(gid, student, str(body.get("item", "")))
            return self.state(gid, student)
        if path == "/api/note":
            self.grader.set_note(gid, student, str(body.get("note", "")))
            return self.state(gid, student)
        if path == "/api/item":
            try:
                points = float(body.get("points"))
            except (TypeError, ValueError):
                raise CourseError(f"a rubric item's points must be a number (got {body.get('points')!r})") from None
            item, who = self.grader.edit_item(gid, str(body.get("item") or "") or None, points,
                                              str(body.get("text", "")))
            return {"item": item, "rescored": len(who)}
        if path == "/api/delete":
            return {"rescored": len(self.grader.delete_item(gid, str(body.get("item", ""))))}
        raise LookupError(path)


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


def make_server(course: Course, hw: str, port: int = 0) -> HTTPServer:
    """The server for ``hw`` on 127.0.0.1:``port`` (0: a free port), not yet serving; ``server.site`` is its
    :class:`Site`. One request at a time."""
    (hw,) = course.check_homeworks([hw])
    lock = rubric_lock(course, hw)
    try:
        site = Site(course, hw)
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
          say: Callable[[str], None]) -> int:
    """Run the server until Ctrl-C; says its address, the rubrics' file and the answers to grade again to ``say``
    (``dgmlab grade`` prints them), and opens the address in a browser with ``browser``."""
    server = make_server(course, hw, port)
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
