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
import shutil
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from ..inert import terminal
from ..layout import Course, CourseError
from . import grade_pages, rubrics
from .grade_script import JS
from .grading_site import DEBIAN_MATHJAX, MATHJAX_ENV, Site, find_mathjax, item_key, quote_part

__all__ = ["DEBIAN_MATHJAX", "MATHJAX_ENV", "Site", "find_mathjax", "item_key", "make_server", "serve", "url"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY = 64 * 1024
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

PDF_CSP = "default-src 'none'; frame-ancestors 'self'"  # a handed-in PDF: shown in the answer's page, runs nothing
IMAGE_CSP = "default-src 'none'; sandbox"  # an image file on its own: nothing runs or loads
KEPT = "private, max-age=31536000, immutable"  # an address keyed by its content's hash never changes content
DATA_ROUTES = ("a", "att", "file", "answers")  # a student's data: served to the server's own pages only


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


STATIC = {"grade.js": (JS, "text/javascript; charset=utf-8"), "grade.css": (grade_pages.CSS, "text/css; charset=utf-8"),
          "mathjax-config.js": (grade_pages.MATHJAX_CONFIG, "text/javascript; charset=utf-8")}


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

    path = rubrics.path(course, hw).with_name(f".{hw}.lock")
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
    return f"http://{host}:{port}/" + (f"q/{quote_part(grade_id)}" if grade_id else "")


def reopened_lines(site: Site) -> list:
    """One line per written question with answers a regrade reopened (a hand score in the gradebook, but still to
    grade: the answer changed since it was graded): the TA's list to look at again. Scores and rubric choices are
    kept; applying an item (or taking one off and on) grades it again."""
    out, grades = [], site.grades()
    for gid, students in sorted(site.to_grade(grades).items()):
        again = [s for s in students if getattr(grades.get(s, {}).get(gid), "manual", None) is not None]
        if again:
            out.append(terminal(f"{gid}: to grade again, the answer changed since it was graded (score and rubric "
                                f"choices kept): {', '.join(sorted(site.labels[s] for s in again))}"))
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
    say(f"rubrics: {rubrics.path(course, server.site.hw)}")
    for problem in server.site.request_problems:
        say(terminal(f"regrade.md: {problem}"))
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
