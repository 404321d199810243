"""The printer of ``dgmlab pdf``: a headless Chromium driven over the DevTools protocol on a pipe
(:class:`Chromium`), in a sandbox the command hands in (:data:`Sandbox`) or without, that lets a page fetch only
itself and MathJax's files and prints it, once typeset, to a PDF headed by the student (:meth:`Chromium.print_pdf`)
within the page budget (:data:`MAX_PAGES`)."""
from __future__ import annotations

import base64
import fcntl
import html as html_text
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .pdf_tools import PdfError, find_chromium, find_mathjax

PAGE_TIMEOUT = 120.0  # seconds to load, typeset and print one PDF
MAX_PAGES = 60  # pages of one PDF; a longer one is cut after this many (hw3's reference prints 14 in all)
PAGES_INSIDE = "/page"  # where the sandboxed Chromium sees the folder of the pages it prints

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


Sandbox = Callable[[str, Path, Path], list]
"""What starts Chromium in a sandbox: (its binary, the folder of the pages, ``MathJax.js``) -> the wrapper's command
line up to the program (the grader's :func:`dgmlab.grading.isolation.printer_sandbox.argv`, which ``dgmlab pdf`` hands in)."""


class Chromium:
    """A headless Chromium driven over ``--remote-debugging-pipe`` (the DevTools protocol, JSON messages ending in
    NUL on file descriptors 3 and 4), one tab reused for every page. Use as a context manager.

    With ``sandbox`` (a :data:`Sandbox`), it runs in that wrapper and sees, of this machine's folders, what it
    shows (the system's and :attr:`pages`, where the pages to print are written). Its own sandbox runs inside when it
    can start there, else it runs with ``--no-sandbox`` inside the wrapper's (:attr:`own_sandbox` says which)."""

    def __init__(self, binary: str | None = None, timeout: float = PAGE_TIMEOUT, sandbox: Sandbox | None = None,
                 mathjax: Path | None = None, guard: bool = True):
        self.binary = binary or find_chromium()
        self.timeout = timeout
        self.sandbox = sandbox
        self.guard = guard  # False: no request is stopped (only to test the sandbox's walls on their own)
        self.blocked: list = []  # the URLs a page asked for and did not get (:meth:`_answer`)
        self._page_url = None
        self._tmp = tempfile.TemporaryDirectory(prefix="dgmlab-pdf-")
        self.pages = Path(self._tmp.name) / "pages"
        self.pages.mkdir()
        self._proc = None
        self._log = None
        self._write = self._read = -1
        attempts = [True, False] if sandbox else [os.geteuid() != 0]
        for i, own_sandbox in enumerate(attempts):
            try:
                self._start(own_sandbox, mathjax or find_mathjax())
                self.own_sandbox = own_sandbox
                return
            except PdfError:
                if i == len(attempts) - 1:
                    self._tmp.cleanup()
                    raise

    def _start(self, own_sandbox: bool, mathjax: Path) -> None:
        self._next = 0
        self._buffer = b""
        self._events: list = []
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # numbers above 3 and 4, so that the shell's redirections cannot clobber one another (bash: dash's
        # redirections take one digit)
        child_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        profile = "/var/tmp/profile" if self.sandbox else f"{self._tmp.name}/profile"
        flags = ["--headless", "--remote-debugging-pipe", "--no-first-run", "--no-default-browser-check",
                 "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--mute-audio",
                 "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}"]
        if not own_sandbox:  # Chromium refuses to start its sandbox as root (bubblewrap's, when used, still holds)
            flags.append("--no-sandbox")
        flags += os.environ.get("DGMLAB_CHROMIUM_FLAGS", "").split()
        wrapper = self.sandbox(self.binary, self.pages, mathjax) if self.sandbox else []
        if self._log is not None:
            self._log.close()
        self._log = open(Path(self._tmp.name) / "chromium.log", "wb")
        script = f'exec "$0" "$@" 3<&{child_r} 4>&{child_w} {child_r}<&- {child_w}>&-'
        command = [*wrapper, self.binary, *flags]
        self._proc = subprocess.Popen([shutil.which("bash") or "/bin/bash", "-c", script, *command],
                                      stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                      pass_fds=(child_r, child_w), start_new_session=True)
        os.close(child_r)
        os.close(child_w)
        self._write, self._read = to_chrome_w, from_chrome_r
        try:
            target = self._call("Target.createTarget", {"url": "about:blank"}, timeout=30)["targetId"]
            self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self._call("Page.enable", session=True)
            self._mathjax_folder = mathjax.resolve().parent.as_uri() + "/"
            if self.guard:  # every request the page makes comes to _answer first
                self._call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=True)
        except BaseException:
            self._stop()
            raise

    def url(self, page: Path) -> str:
        """The URL at which Chromium reads ``page``, a file in :attr:`pages`."""
        if self.sandbox:
            return f"file://{PAGES_INSIDE}/{Path(page).name}"
        return Path(page).resolve().as_uri()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._send("Browser.close", {}, None)
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self._proc.pid, 9)  # its own session (start_new_session): bwrap, Chromium's children
                except ProcessLookupError:
                    pass
                self._proc.wait()
        for fd in (self._write, self._read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._write = self._read = -1

    def close(self) -> None:
        self._stop()
        if self._log is not None:
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
        """The next message from Chromium but a paused request, which is answered here (:meth:`_answer`)."""
        while True:
            message = self._message(deadline)
            if message.get("method") != "Fetch.requestPaused":
                return message
            self._answer(message["params"])

    def _answer(self, paused: dict) -> None:
        """Let a request through when it is the page being printed or a file of MathJax's folder (its scripts and
        fonts), else fail it: Chromium's Content-Security-Policy cannot name a folder of ``file:`` URLs, this can."""
        url = paused["request"]["url"]
        inside = url.startswith(self._mathjax_folder) and ".." not in url and "%2e" not in url.lower()
        if url == self._page_url or inside:
            self._send("Fetch.continueRequest", {"requestId": paused["requestId"]}, True)
        else:
            self.blocked.append(url)
            self._send("Fetch.failRequest", {"requestId": paused["requestId"], "errorReason": "BlockedByClient"},
                       True)

    def _message(self, deadline: float) -> dict:
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

    def print_pdf(self, html: Path, pdf: Path, who: str = "", what: str = "", deadline: float | None = None,
                  max_pages: int | None = None) -> "Printed":
        """Load ``html`` (a file in :attr:`pages`), wait until MathJax has typeset it, print it to ``pdf`` (US Letter,
        backgrounds printed, ``who`` and ``what`` atop every page and its number at the foot), at most ``max_pages``
        pages (default :data:`MAX_PAGES`; a longer one is cut there), by ``deadline`` (``time.monotonic()``; default
        :attr:`timeout` from now)."""
        max_pages = max_pages or MAX_PAGES
        start = time.monotonic()
        deadline = min(deadline or start + self.timeout, start + self.timeout)

        def left() -> float:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._died("ran out of the time to print")
            return remaining

        self._events.clear()
        self._page_url = self.url(html)
        self._call("Page.navigate", {"url": self._page_url}, session=True, timeout=left())
        self._event("Page.loadEventFired", deadline)
        got = self._call("Runtime.evaluate", {"expression": WAIT_JS, "awaitPromise": True, "returnByValue": True,
                                              "timeout": int(left() * 1000)}, session=True, timeout=left())
        state = got.get("result", {}).get("value")
        if state != "typeset":
            raise PdfError(f"MathJax did not run in {html} ({state or got}): is {find_mathjax()} a MathJax 2?")
        header, footer = header_footer(who, what)
        params = {"printBackground": True, "paperWidth": 8.5, "paperHeight": 11, "marginTop": 0.6,
                  "marginBottom": 0.6, "marginLeft": 0.5, "marginRight": 0.5, "displayHeaderFooter": True,
                  "headerTemplate": header, "footerTemplate": footer}
        data = base64.b64decode(self._call("Page.printToPDF", params, session=True, timeout=left())["data"])
        pages = page_count(data)
        if pages > max_pages:
            params["pageRanges"] = f"1-{max_pages}"
            data = base64.b64decode(self._call("Page.printToPDF", params, session=True, timeout=left())["data"])
        pdf = Path(pdf)
        pdf.parent.mkdir(parents=True, exist_ok=True)
        partial = pdf.with_name(pdf.name + ".part")
        partial.write_bytes(data)
        partial.replace(pdf)
        return Printed(pdf, min(pages, max_pages), pages > max_pages)


@dataclass
class Printed:
    pdf: Path
    pages: int
    cut: bool  # longer than the page budget, so cut after it


def page_count(data: bytes) -> int:
    """Pages of a PDF that Chromium printed (its page objects, which it writes uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))


def header_footer(who: str, what: str) -> tuple[str, str]:
    """Chromium's header and footer templates: ``who`` (the student) and ``what`` (the homework, the question) atop
    every page, its number at the foot; both inert text (escaped)."""
    style = "font: 8pt sans-serif; color: #222; width: 100%; margin: 0 0.5in; display: flex;"
    header = (f'<div style="{style} justify-content: space-between;"><span>{html_text.escape(who)}</span>'
              f'<span>{html_text.escape(what)}</span></div>')
    footer = (f'<div style="{style} justify-content: center;"><span class="pageNumber"></span>&nbsp;/&nbsp;'
              '<span class="totalPages"></span></div>')
    return header, footer
