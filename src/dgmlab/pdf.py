"""PDFs of a homework notebook, whole and one per question, made offline.

``dgmlab pdf <notebook>`` (a student, before handing in) writes ``<hw>.pdf`` and ``<hw>_<Q>.pdf`` for each
question; ``dgmlab pdf <hw>`` (the instructor, in the course directory) does the same for every collected
submission ``submitted/<student>/<hw>/<hw>.ipynb``.

How: nbconvert's HTML (the lab template) with math typeset by a MathJax 2 installed on this machine (Debian's
``libjs-mathjax``, ``/usr/share/javascript/mathjax``; ``DGMLAB_MATHJAX`` names another ``MathJax.js``), printed
by a headless Chromium (Debian's ``chromium``; ``DGMLAB_CHROMIUM`` names another) that this module drives over
the DevTools protocol on a pipe (``--remote-debugging-pipe``, no extra Python package): each page is printed
once MathJax has typeset it and its fonts are loaded. Nothing is fetched from the web: the template's CDN
scripts are dropped, the page's Content-Security-Policy allows scripts only from ``file:`` (MathJax), the
browser resolves no host name, and a notebook's own ``<script>`` tags are shown as text, never run (a
submission is untrusted). Code and text outputs wrap long lines instead of running off the page.

A question starts at a markdown heading ``## Q1 ...`` / ``## P2 ...`` (a letter and a number, as the release
notebooks mark them) and runs to the next ``#`` or ``##`` heading; headings in cells a student writes (nbgrader
solution cells) do not count, so an answer cannot start or end a question. The text before the first
question (the title, the setup) is in the whole PDF only.
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MATHJAX_ENV = "DGMLAB_MATHJAX"
CHROMIUM_ENV = "DGMLAB_CHROMIUM"
DEBIAN_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
MATHJAX_CONFIG = "TeX-AMS_HTML"
PAGE_TIMEOUT = 120.0  # seconds to load, typeset and print one PDF

QUESTION_HEADING = re.compile(r"^##\s+([A-Z][0-9]+)(?![0-9A-Za-z])")
ENDING_HEADING = re.compile(r"^#{1,2}\s")

CSS = """
/* dgmlab pdf: long lines wrap instead of running off the page */
pre, .jp-InputArea pre, .jp-OutputArea pre, .jp-RenderedText pre, .highlight pre, code {
  white-space: pre-wrap !important; overflow-wrap: anywhere !important; word-break: normal;
}
.jp-InputArea-editor, .jp-OutputArea-output, .jp-RenderedText, .highlight, .jp-CodeMirrorEditor {
  overflow: visible !important; max-width: 100%;
}
.jp-InputArea-editor { overflow-x: hidden !important; }
img { max-width: 100% !important; height: auto !important; break-inside: avoid; }
.MathJax_Display, .MathJax { overflow-wrap: normal !important; }
/* no scroll bars on paper */
.MathJax_Display, .jp-RenderedHTMLCommon, .jp-Notebook { overflow: visible !important; }
.jp-Notebook { padding: 0 !important; }
body { margin: 0 !important; padding: 0 !important; overflow: visible !important; }
/* code colours with WCAG AA contrast (4.5:1) on the cell's grey, where JupyterLab's light theme has less */
:root {
  --jp-mirror-editor-comment-color: #2e5e5e; --jp-mirror-editor-number-color: #006400;
  --jp-mirror-editor-operator-color: #8a14d6; --jp-mirror-editor-meta-color: #8a14d6;
  --jp-mirror-editor-atom-color: #3d3dcc; --jp-mirror-editor-variable-3-color: #006644;
  --jp-mirror-editor-bracket-color: #6b6b4f; --jp-mirror-editor-quote-color: #007a00;
  --jp-mirror-editor-error-color: #cc0000;
}
/* ANSI colours (a traceback's) the same, also on an error's pink; 256-colour and RGB ones (inline styles) go */
.jp-RenderedText pre .ansi-black-fg, .jp-RenderedText pre .ansi-black-intense-fg { color: #3e424d; }
.jp-RenderedText pre .ansi-red-fg, .jp-RenderedText pre .ansi-red-intense-fg { color: #9b1c22; }
.jp-RenderedText pre .ansi-green-fg, .jp-RenderedText pre .ansi-green-intense-fg { color: #006020; }
.jp-RenderedText pre .ansi-yellow-fg, .jp-RenderedText pre .ansi-yellow-intense-fg { color: #7a5600; }
.jp-RenderedText pre .ansi-blue-fg, .jp-RenderedText pre .ansi-blue-intense-fg { color: #0b57a4; }
.jp-RenderedText pre .ansi-magenta-fg, .jp-RenderedText pre .ansi-magenta-intense-fg { color: #8b1e8b; }
.jp-RenderedText pre .ansi-cyan-fg, .jp-RenderedText pre .ansi-cyan-intense-fg { color: #0b6464; }
.jp-RenderedText pre .ansi-white-fg, .jp-RenderedText pre .ansi-white-intense-fg { color: #595959; }
.jp-RenderedText pre span[style] { color: inherit !important; background-color: transparent !important; }
"""

# Resolves once MathJax has typeset the page (its startup, then the template's queued Typeset) and the page's
# fonts are loaded; the string says which.
WAIT_JS = """
new Promise((resolve) => {
  const fonts = () => (document.fonts ? document.fonts.ready : Promise.resolve());
  const done = (how) => fonts().then(() => resolve(how));
  if (!window.MathJax || !window.MathJax.Hub) { done("no-mathjax"); return; }
  // (braces: a hook that returns MathJax's callback makes the signal wait on the queue, which waits on it)
  MathJax.Hub.Register.StartupHook("End", () => { MathJax.Hub.Queue(() => { done("typeset"); }); });
})
"""


class PdfError(RuntimeError):
    """What stops a PDF, worded for the person at the terminal (a missing package names its install)."""


# -- what is needed on the machine

def find_mathjax() -> Path:
    """``MathJax.js`` of an installed MathJax 2: ``$DGMLAB_MATHJAX``, else Debian's ``libjs-mathjax``."""
    named = os.environ.get(MATHJAX_ENV)
    if named:
        path = Path(named).expanduser()
        if path.is_dir():
            path = path / "MathJax.js"
        if not path.is_file():
            raise PdfError(f"{MATHJAX_ENV}={named}: no MathJax.js there")
        return path.resolve()
    if DEBIAN_MATHJAX.is_file():
        return DEBIAN_MATHJAX
    raise PdfError("no MathJax on this machine, so math cannot be typeset offline: install Debian's libjs-mathjax "
                   f"(apt-get install libjs-mathjax), or set {MATHJAX_ENV} to a MathJax 2 MathJax.js")


def find_chromium() -> str:
    """A Chromium or Chrome binary: ``$DGMLAB_CHROMIUM``, else ``chromium``, ``chromium-browser`` or ``google-chrome``
    on the PATH."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        found = shutil.which(named)
        if not found:
            raise PdfError(f"{CHROMIUM_ENV}={named}: no such program")
        return found
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise PdfError("no Chromium on this machine to print the PDFs: install Debian's chromium "
                   f"(apt-get install chromium), or set {CHROMIUM_ENV} to a Chromium or Chrome binary")


def safe_name(text: str) -> str:
    """``text`` as one file-name part: letters, digits, ``_ . -`` only, no leading dot, never empty."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("._")
    return name[:80] or "_"


# -- questions

@dataclass
class Question:
    label: str  # "Q1", "P2"
    title: str  # the heading line without its hashes
    cells: list = field(default_factory=list)  # indices into the notebook's cells


def _student_cell(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def questions(nb) -> list[Question]:
    """The notebook's questions in order, each with the indices of its cells (its heading cell first; a cell
    holding a part's heading and then a question's belongs to the question). Two headings with one label make one
    question."""
    found: dict[str, Question] = {}
    current = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and not _student_cell(cell):
            for line in cell.source.splitlines():  # the cell's last '#'/'##' heading decides
                m = QUESTION_HEADING.match(line)
                if m:
                    current = found.setdefault(m.group(1), Question(m.group(1), line.lstrip("#").strip()))
                elif ENDING_HEADING.match(line):
                    current = None
        if current is not None:
            current.cells.append(i)
    return list(found.values())


# -- HTML

def notebook_html(nb, mathjax: Path, title: str = "") -> str:
    """One self-contained HTML page of ``nb`` (images inline), math left to the local ``mathjax``, no web
    resources, the notebook's own scripts shown as text."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input_prompt=True, exclude_output_prompt=True,
                            mathjax_url=f"{mathjax.as_uri()}?config={MATHJAX_CONFIG}")
    nb = nbformat.from_dict(nb)
    # widget state would pull its manager from a CDN
    nb.metadata.pop("widgets", None)
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    head, sep, body = html.partition("<body")
    if not sep:
        raise PdfError("nbconvert's page has no <body>")
    # the notebook's content: no script of its own runs (a text/x-mathjax-config would run as MathJax's
    # config; a <script> in markdown or an HTML output as the page's)
    body = re.sub(r"<(/?)script", r"&lt;\1script", body, flags=re.IGNORECASE)
    # the template's scripts from the web (require.js, mermaid) are not needed and could not load offline
    head = re.sub(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', "", head)
    policy = ("default-src 'none'; script-src file: 'unsafe-eval'; style-src 'unsafe-inline' file:; "
              "img-src data: file:; font-src data: file:")
    head = head.replace("<head>", f'<head>\n<meta http-equiv="Content-Security-Policy" content="{policy}">', 1)
    head = head.replace("</head>", f"<style>{CSS}</style>\n</head>", 1)
    return head + sep + body


def section(nb, cells):
    """A copy of ``nb`` holding only ``cells`` (indices)."""
    import copy

    part = copy.deepcopy(nb)
    part.cells = [part.cells[i] for i in cells]
    return part


# -- the browser

class Chromium:
    """A headless Chromium driven over ``--remote-debugging-pipe`` (the DevTools protocol, JSON messages ending in
    NUL on file descriptors 3 and 4), one tab reused for every page. Use as a context manager."""

    def __init__(self, binary: str | None = None, timeout: float = PAGE_TIMEOUT):
        self.binary = binary or find_chromium()
        self.timeout = timeout
        self._next = 0
        self._buffer = b""
        self._events: list = []
        self._tmp = tempfile.TemporaryDirectory(prefix="dgmlab-pdf-")
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # numbers above 3 and 4, so that the shell's redirections cannot clobber one another (bash: dash's
        # redirections take one digit)
        child_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        flags = ["--headless", "--remote-debugging-pipe", "--no-first-run", "--no-default-browser-check",
                 "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--mute-audio",
                 "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={self._tmp.name}/profile"]
        if os.geteuid() == 0:  # Chromium refuses to start its sandbox as root
            flags.append("--no-sandbox")
        flags += os.environ.get("DGMLAB_CHROMIUM_FLAGS", "").split()
        self._log = open(Path(self._tmp.name) / "chromium.log", "wb")
        script = f'exec "$0" "$@" 3<&{child_r} 4>&{child_w} {child_r}<&- {child_w}>&-'
        self._proc = subprocess.Popen([shutil.which("bash") or "/bin/bash", "-c", script, self.binary, *flags], stdin=subprocess.DEVNULL,
                                      stdout=self._log, stderr=subprocess.STDOUT, pass_fds=(child_r, child_w),
                                      start_new_session=True)
        os.close(child_r)
        os.close(child_w)
        self._write, self._read = to_chrome_w, from_chrome_r
        try:
            target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self._call("Page.enable", session=True)
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._send("Browser.close", {}, None)
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        for fd in (self._write, self._read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        self._tmp.cleanup()

    def _died(self, what: str) -> PdfError:
        log = (Path(self._tmp.name) / "chromium.log").read_text(errors="replace")[-1500:]
        return PdfError(f"Chromium ({self.binary}) {what}" + (f"; its last output:\n{log}" if log.strip() else ""))

    def _send(self, method: str, params: dict, session) -> int:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        return self._next

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._read], [], [], left)
            if ready:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise self._died("exited")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def _call(self, method: str, params: dict | None = None, session: bool = False, timeout: float | None = None):
        deadline = time.monotonic() + (timeout or self.timeout)
        wanted = self._send(method, params or {}, session)
        try:
            while True:
                message = self._receive(deadline)
                if message.get("id") == wanted:
                    if "error" in message:
                        raise PdfError(f"Chromium: {method}: {message['error'].get('message')}")
                    return message.get("result", {})
                if "method" in message:
                    self._events.append(message)
        except TimeoutError:
            raise self._died(f"did not answer {method} in {timeout or self.timeout:.0f} s") from None

    def _event(self, method: str, deadline: float) -> dict:
        while True:
            for i, message in enumerate(self._events):
                if message["method"] == method and message.get("sessionId") == self._session:
                    return self._events.pop(i)
            try:
                message = self._receive(deadline)
            except TimeoutError:
                raise self._died(f"sent no {method} in {self.timeout:.0f} s") from None
            if "method" in message:
                self._events.append(message)

    def print_pdf(self, html: Path, pdf: Path) -> str:
        """Load ``html``, wait until MathJax has typeset it, print it to ``pdf`` (US Letter, backgrounds printed);
        returns how the wait ended (``typeset``)."""
        start = time.monotonic()
        deadline = start + self.timeout
        self._events.clear()
        self._call("Page.navigate", {"url": Path(html).resolve().as_uri()}, session=True)
        self._event("Page.loadEventFired", deadline)
        left = max(1.0, deadline - time.monotonic())
        got = self._call("Runtime.evaluate", {"expression": WAIT_JS, "awaitPromise": True, "returnByValue": True,
                                              "timeout": int(left * 1000)}, session=True, timeout=left)
        state = got.get("result", {}).get("value")
        if state != "typeset":
            raise PdfError(f"MathJax did not run in {html} ({state or got}): is {find_mathjax()} a MathJax 2?")
        left = max(1.0, deadline - time.monotonic())
        printed = self._call("Page.printToPDF", {"printBackground": True, "paperWidth": 8.5, "paperHeight": 11,
                                                 "marginTop": 0.5, "marginBottom": 0.5, "marginLeft": 0.5,
                                                 "marginRight": 0.5}, session=True, timeout=left)
        pdf = Path(pdf)
        pdf.parent.mkdir(parents=True, exist_ok=True)
        partial = pdf.with_name(pdf.name + ".part")
        partial.write_bytes(base64.b64decode(printed["data"]))
        partial.replace(pdf)
        return state


# -- notebooks to PDFs

@dataclass
class Written:
    notebook: Path
    whole: Path
    questions: dict  # label -> Path


def write_pdfs(notebook, out_dir, browser: Chromium | None = None, name: str | None = None) -> Written:
    """``<out_dir>/<name>.pdf`` (the whole notebook) and ``<out_dir>/<name>_<Q>.pdf`` per question; ``name``
    defaults to the notebook's file name without ``.ipynb``."""
    try:
        import nbconvert  # noqa: F401 - what notebook_html needs, checked before any browser starts
        import nbformat
    except ImportError:
        raise PdfError("dgmlab pdf needs nbconvert (it comes with Jupyter): pip install nbconvert") from None

    notebook = Path(notebook)
    if not notebook.is_file():
        raise PdfError(f"no notebook {notebook}")
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as exc:  # noqa: BLE001 - a notebook nbformat cannot read, whatever the reason
        raise PdfError(f"{notebook} is not a notebook nbformat can read: {exc}") from None
    mathjax = find_mathjax()
    name = safe_name(name or notebook.stem)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    own = browser is None
    browser = browser or Chromium()
    try:
        with tempfile.TemporaryDirectory(prefix="dgmlab-pdf-html-") as tmp:
            def one(part, title, pdf):
                html = Path(tmp) / (pdf.stem + ".html")
                html.write_text(notebook_html(part, mathjax, title), encoding="utf-8")
                browser.print_pdf(html, pdf)
                return pdf

            whole = one(nb, name, out_dir / f"{name}.pdf")
            each = {q.label: one(section(nb, q.cells), f"{name} {q.label}", out_dir / f"{name}_{safe_name(q.label)}.pdf")
                    for q in questions(nb)}
    finally:
        if own:
            browser.close()
    return Written(notebook, whole, each)


@dataclass
class ClassPdfs:
    written: list = field(default_factory=list)  # Written
    failed: list = field(default_factory=list)   # (student, message)

    def lines(self) -> list[str]:
        out = [f"{w.whole.parent}: {w.whole.name} and {len(w.questions)} question PDFs" for w in self.written]
        out += [f"{student}: no PDF: {message}" for student, message in self.failed]
        return out


def write_class_pdfs(course, hw: str, out_dir, students=None) -> ClassPdfs:
    """The PDFs of each collected ``submitted/<student>/<hw>/<hw>.ipynb`` in ``<out_dir>/<hw>/<student>/``, one
    browser for the class; a submission that cannot be printed is listed, and the others still are."""
    from .grading.course import CourseError

    students = list(students) if students else course.submitted(hw)
    if not students:
        raise CourseError(f"no submissions of {hw}: expected folders submitted/<student>/{hw}/ (dgmlab collect)")
    find_mathjax()
    got = ClassPdfs()
    browser = None
    try:
        for student in students:
            notebook = course.folder("submitted", hw, student) / f"{hw}.ipynb"
            if not notebook.is_file():
                got.failed.append((student, f"no {notebook}"))
                continue
            browser = browser or Chromium()
            try:
                got.written.append(write_pdfs(notebook, Path(out_dir) / safe_name(hw) / safe_name(student),
                                              browser=browser, name=hw))
            except PdfError as exc:
                got.failed.append((student, str(exc)))
                browser.close()  # a page that hung it: the next student gets a fresh one
                browser = None
    finally:
        if browser is not None:
            browser.close()
    return got
