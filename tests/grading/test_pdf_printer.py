"""dgmlab.pdf_printer: Chromium started by Playwright through the printer's launcher script, in the sandbox it is
handed, and ended by a watchdog when a page outlasts its time (Playwright's printing has none of its own).

The test that prints needs what tests/grading/test_pdf.py's printing tests need and skips, saying what, without it."""
import json
import subprocess
import sys
import time

import pytest

from dgmlab import pdf as P
from dgmlab import pdf_printer
from grading.test_pdf import tools

PLAYWRIGHTS_ARGS = ["--headless", "--user-data-dir=/tmp/playwright_chromiumdev_profile-x", "--remote-debugging-pipe"]
ECHO = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))"]  # a wrapper that shows its argv


def test_without_playwright_the_printer_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails as where it is not installed
    (tmp_path / "MathJax.js").write_text("")
    with pytest.raises(P.PdfError, match=r"drives Chromium with Playwright, which is not installed: pip install "
                                         r"playwright"):
        P.Chromium(binary=sys.executable, mathjax=tmp_path / "MathJax.js")


def test_in_a_sandbox_the_launcher_moves_the_profile_into_the_sandboxs_tmpfs(tmp_path):
    script = pdf_printer.launcher(tmp_path, "CHROMIUM", ECHO, tmp_path / "pid")
    ran = subprocess.run([str(script), *PLAYWRIGHTS_ARGS], capture_output=True, text=True, check=True)
    assert json.loads(ran.stdout) == ["CHROMIUM", "--headless", f"--user-data-dir={pdf_printer.PROFILE_INSIDE}",
                                      "--remote-debugging-pipe"]


def test_without_a_sandbox_the_launcher_passes_playwrights_arguments_as_they_are(tmp_path):
    script = pdf_printer.launcher(tmp_path, sys.executable, [], tmp_path / "pid")
    args = ["-c", "import json, sys; print(json.dumps(sys.argv[1:]))", *PLAYWRIGHTS_ARGS]
    ran = subprocess.run([str(script), *args], capture_output=True, text=True, check=True)
    assert json.loads(ran.stdout) == PLAYWRIGHTS_ARGS


def test_the_launcher_notes_the_process_the_watchdog_ends(tmp_path):
    script = pdf_printer.launcher(tmp_path, sys.executable, [], tmp_path / "pid")
    ran = subprocess.run([str(script), "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                         check=True)
    assert (tmp_path / "pid").read_text().strip() == ran.stdout.strip()  # the script's own id, which exec keeps


@pytest.mark.slow
def test_a_page_that_hangs_the_printer_is_ended_at_its_deadline(tmp_path):
    """A page whose script never returns once printing starts: Playwright's printing would wait for ever."""
    tools()
    mathjax = P.find_mathjax()
    with P.Chromium(mathjax=mathjax, timeout=5) as chromium:
        page = chromium.pages / "hang.html"
        page.write_text(f'<html><head><script src="{mathjax.as_uri()}?config={P.MATHJAX_CONFIG}"></script>'
                        '<script>addEventListener("beforeprint", () => { while (true) {} })</script></head>'
                        '<body><p>HANG</p></body></html>')
        started = time.monotonic()
        with pytest.raises(P.PdfError, match=r"ran out of the time to print hang.html \(5 s\)"):
            chromium.print_pdf(page, tmp_path / "hang.pdf")
        assert time.monotonic() - started < 25
    assert not (tmp_path / "hang.pdf").exists()
