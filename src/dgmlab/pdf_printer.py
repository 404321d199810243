"""The printer of ``dgmlab pdf``: a headless Chromium driven by Playwright (:class:`Chromium`), in a sandbox the
command hands in (:data:`Sandbox`) or without, that lets a page fetch only itself and MathJax's files and prints it,
once typeset, to a PDF headed by the student (:meth:`Chromium.print_pdf`) within the page budget (:data:`MAX_PAGES`)
and the time left.

Playwright starts the browser (this machine's Chromium, :func:`dgmlab.pdf_tools.find_chromium`: Debian's, or the one
``playwright install chromium`` brought) through a launcher script of this module's (:func:`launcher`), which puts it
in the sandbox and its profile in the sandbox's own tmpfs, and talks to it over the DevTools pipe
(``--remote-debugging-pipe``) it opens: no port, so ``--unshare-net`` holds."""
from __future__ import annotations

import html as html_text
import os
import re
import shlex
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .pdf_tools import PdfError, find_chromium, find_mathjax

PAGE_TIMEOUT = 120.0  # seconds to load, typeset and print one PDF
START_TIMEOUT = 30.0  # seconds for Chromium to start
MAX_PAGES = 60  # pages of one PDF; a longer one is cut after this many (hw3's reference prints 14 in all)
PAGES_INSIDE = "/page"  # where the sandboxed Chromium sees the folder of the pages it prints
PROFILE_INSIDE = "/var/tmp/profile"  # the sandboxed Chromium's profile, in the sandbox's own tmpfs
PLAYWRIGHT_INSTALL = "pip install playwright"
# what Chromium runs with besides Playwright's own switches (headless, the pipe, the profile, --no-sandbox where
# its own sandbox is off): nothing starts that fetches, and no host name resolves
FLAGS = ["--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-extensions", "--disable-sync", "--disable-background-networking", "--disable-component-update",
         "--mute-audio", "--host-resolver-rules=MAP * ~NOTFOUND"]

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


# The page is laid out (and MathJax breaks display math into lines) at the width it prints at: US Letter less the
# side margins, 7.5 in, in CSS pixels; at Playwright's 1280 px default a display equation was broken for a screen
# and its end cut off at the paper's right edge (a student's hw4 PDF lost "- log 4")
TEXT_WIDTH = 720
# After typesetting, each display equation still wider than the text (nothing MathJax may break it at) is scaled
# down to fit; resolves to [[its scale, its first characters], ...], one per equation scaled
FIT_JS = """
() => {
  const out = [];
  for (const d of document.querySelectorAll(".MathJax_Display, .MJXc-display, .MathJax_SVG_Display")) {
    const room = d.clientWidth;
    const inner = d.firstElementChild;
    const wide = Math.max(d.scrollWidth, inner ? inner.getBoundingClientRect().width : 0);
    if (room > 0 && wide > room + 1) {
      const scale = room / wide;
      d.style.zoom = scale;
      const tex = d.nextElementSibling;  // MathJax 2 keeps the TeX in the script after the display
      const text = tex && (tex.type || "").startsWith("math/tex") ? tex.textContent : d.textContent;
      out.push([scale, (text || "").trim().slice(0, 60)]);
    }
  }
  return out;
}
"""


Sandbox = Callable[[str, Path, Path], list]
"""What starts Chromium in a sandbox: (its binary, the folder of the pages, ``MathJax.js``) -> the wrapper's command
line up to the program (the grader's :func:`dgmlab.grading.isolation.printer_sandbox.argv`, which ``dgmlab pdf`` hands in)."""


class _Driver:
    """Playwright's driver, one per process: its sync API runs one at a time in a thread, so the browsers share it
    (:func:`playwright_session` holds it across browsers, the last user stops it)."""

    playwright = None
    users = 0

    @classmethod
    def acquire(cls):
        if cls.users == 0:
            try:
                # optional (the grading extra; a student's own dgmlab pdf asks for it): imported where it is used
                from playwright.sync_api import sync_playwright
            except ImportError:
                raise PdfError("dgmlab pdf drives Chromium with Playwright, which is not installed: "
                               f"{PLAYWRIGHT_INSTALL} (the Chromium may stay this machine's)") from None
            try:
                cls.playwright = sync_playwright().start()
            except Exception as exc:  # noqa: BLE001 - Playwright's own error, worded for the terminal
                raise PdfError(f"Playwright did not start: {exc} (run dgmlab pdf from a terminal or a `!` cell, "
                               "not inside a running asyncio loop)") from None
        cls.users += 1
        return cls.playwright

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users == 0 and cls.playwright is not None:
            cls.playwright.stop()
            cls.playwright = None


@contextmanager
def playwright_session():
    """Keep one Playwright driver running for the browsers started inside (a class's submissions, a browser each)."""
    _Driver.acquire()
    try:
        yield
    finally:
        _Driver.release()


def launcher(folder: Path, binary: str, wrapper: list, pid_file: Path) -> Path:
    """``folder/chromium``, the program Playwright starts as the browser: it notes its process id in ``pid_file`` (the
    watchdog's, :meth:`Chromium.print_pdf`), then runs ``binary`` in ``wrapper`` (a :data:`Sandbox`'s command line,
    or none); in a wrapper, Playwright's ``--user-data-dir`` (a folder of this machine, which the sandbox does not
    show) becomes :data:`PROFILE_INSIDE`."""
    profile = f'--user-data-dir=*) set -- "$@" --user-data-dir={PROFILE_INSIDE};; ' if wrapper else ""
    script = folder / "chromium"
    script.write_text("#!/bin/sh\n# written by dgmlab.pdf_printer: Chromium as Playwright starts it\n"
                      f"echo $$ > {shlex.quote(str(pid_file))}\n"
                      f'for a; do shift; case "$a" in {profile}*) set -- "$@" "$a";; esac; done\n'
                      f'exec {shlex.join([*wrapper, binary])} "$@"\n')
    script.chmod(0o700)
    return script


class Chromium:
    """A headless Chromium started and driven by Playwright, one tab reused for every page. Use as a context manager.

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
        self._browser = None
        mathjax = mathjax or find_mathjax()
        self._mathjax_folder = mathjax.resolve().parent.as_uri() + "/"
        self._tmp = tempfile.TemporaryDirectory(prefix="dgmlab-pdf-")
        self.pages = Path(self._tmp.name) / "pages"
        self.pages.mkdir()
        self._pid_file = Path(self._tmp.name) / "chromium.pid"
        wrapper = sandbox(self.binary, self.pages, mathjax) if sandbox else []
        program = launcher(Path(self._tmp.name), self.binary, wrapper, self._pid_file)
        try:
            playwright = _Driver.acquire()
        except PdfError:
            self._tmp.cleanup()
            raise
        attempts = [True, False] if sandbox else [os.geteuid() != 0]  # Chromium's own sandbox refuses root
        for i, own_sandbox in enumerate(attempts):
            try:
                self._start(playwright, program, own_sandbox)
                self.own_sandbox = own_sandbox
                return
            except PdfError:
                if i == len(attempts) - 1:
                    self._tmp.cleanup()
                    _Driver.release()
                    raise

    def _start(self, playwright, program: Path, own_sandbox: bool) -> None:
        from playwright.sync_api import Error

        flags = FLAGS + os.environ.get("DGMLAB_CHROMIUM_FLAGS", "").split()
        try:
            self._browser = playwright.chromium.launch(executable_path=program, args=flags,
                                                       chromium_sandbox=own_sandbox, timeout=START_TIMEOUT * 1000)
            context = self._browser.new_context(accept_downloads=False, service_workers="block",
                                                viewport={"width": TEXT_WIDTH, "height": 960})
            self._page = context.new_page()
            if self.guard:  # every request the page makes comes to _answer first
                self._page.route("**/*", self._answer)
        except Error as exc:
            self._stop()
            raise PdfError(f"Chromium ({self.binary}) did not start: {_said(exc, 1500)}") from None

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
        if self._browser is not None:
            try:
                self._browser.close()
            except Exception:  # noqa: BLE001 - already gone (the watchdog's kill): nothing left to close
                pass
            self._browser = None

    def close(self) -> None:
        if self._tmp is None:
            return
        self._stop()
        _Driver.release()
        self._tmp.cleanup()
        self._tmp = None

    def _kill(self) -> None:
        """The watchdog's: end Chromium (its process group, which Playwright started it in), whatever it is doing."""
        try:
            os.killpg(int(self._pid_file.read_text()), signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def _answer(self, route) -> None:
        """Let a request through when it is the page being printed or a file of MathJax's folder (its scripts and
        fonts), else fail it: Chromium's Content-Security-Policy cannot name a folder of ``file:`` URLs, this can."""
        url = route.request.url
        inside = url.startswith(self._mathjax_folder) and ".." not in url and "%2e" not in url.lower()
        if url == self._page_url or inside:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def print_pdf(self, html: Path, pdf: Path, who: str = "", what: str = "", deadline: float | None = None,
                  max_pages: int | None = None) -> "Printed":
        """Load ``html`` (a file in :attr:`pages`), wait until MathJax has typeset it, print it to ``pdf`` (US Letter,
        backgrounds printed, ``who`` and ``what`` atop every page and its number at the foot), at most ``max_pages``
        pages (default :data:`MAX_PAGES`; a longer one is cut there), by ``deadline`` (``time.monotonic()``; default
        :attr:`timeout` from now): past it, a watchdog ends Chromium (Playwright's printing has no time limit)."""
        from playwright.sync_api import Error

        max_pages = max_pages or MAX_PAGES
        start = time.monotonic()
        deadline = min(deadline or start + self.timeout, start + self.timeout)
        if self._browser is None:
            raise PdfError(f"Chromium ({self.binary}) is no longer running")
        watchdog = threading.Timer(max(deadline - start, 0), self._kill)
        watchdog.start()

        def left() -> float:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PdfError(f"Chromium ({self.binary}) ran out of the time to print")
            return remaining * 1000

        self._page_url = self.url(html)
        header, footer = header_footer(who, what)
        options = {"format": "Letter", "print_background": True, "display_header_footer": True,
                   "header_template": header, "footer_template": footer,
                   "margin": {"top": "0.6in", "bottom": "0.6in", "left": "0.5in", "right": "0.5in"}}
        try:
            self._page.goto(self._page_url, wait_until="load", timeout=left())
            state = self._page.wait_for_function(WAIT_JS, timeout=left()).json_value()
            if state != "typeset":
                raise PdfError(f"MathJax did not run in {html} ({state}): is {find_mathjax()} a MathJax 2?")
            fitted = self._page.evaluate(FIT_JS)
            left()
            data = self._page.pdf(**options)
            pages = page_count(data)
            if pages > max_pages:
                left()
                data = self._page.pdf(**options, page_ranges=f"1-{max_pages}")
        except Error as exc:
            if time.monotonic() >= deadline:
                self._stop()
                raise PdfError(f"Chromium ({self.binary}) ran out of the time to print {html.name} "
                               f"({deadline - start:.0f} s)") from None
            raise PdfError(f"Chromium ({self.binary}): {_said(exc, 1500)}") from None
        finally:
            watchdog.cancel()
        pdf = Path(pdf)
        pdf.parent.mkdir(parents=True, exist_ok=True)
        partial = pdf.with_name(pdf.name + ".part")
        partial.write_bytes(data)
        partial.replace(pdf)
        return Printed(pdf, min(pages, max_pages), pages > max_pages,
                       [(float(scale), str(tex)) for scale, tex in fitted])


def _said(exc, most: int) -> str:
    """Playwright's message: its first line, then the end of what follows (the browser's log) up to ``most``."""
    first, _, rest = exc.message.partition("\n")
    return first + (f"; the end of its log:\n{rest[-most:]}" if rest.strip() else "")


@dataclass
class Printed:
    pdf: Path
    pages: int
    cut: bool  # longer than the page budget, so cut after it
    fitted: list = field(default_factory=list)  # (scale, its TeX's start) of each display equation scaled to fit


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
