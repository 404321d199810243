"""dgmlab.pdf_printer: Chromium started by Playwright through the printer's launcher script, in the sandbox it is
handed, and ended by a watchdog when a page outlasts its time (Playwright's printing has none of its own).

The test that prints needs what tests/grading/test_pdf.py's printing tests need and skips, saying what, without it."""
import json
import re
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


# hw4's careful student (trial HW4D): a one-line display equation lost its end ("- log 4") at the page's right edge
WIDE = (r"$$C(G)=\int_x p_{data}(x)\log\frac{p_{data}(x)}{p_{data}(x)+p_g(x)}\,dx+\int_x p_g(x)\log"
        r"\frac{p_g(x)}{p_{data}(x)+p_g(x)}\,dx=-\log 2\left(\int p_{data}+\int p_g\right)+\mathrm{KL}(p_{data}\|m)"
        r"+\mathrm{KL}(p_g\|m)=\mathrm{KL}(p_{data}\|m)+\mathrm{KL}(p_g\|m)-\log 4+\mathrm{WIDEEND}$$")
# nothing MathJax may break it at: one fraction wider than the page
UNBREAKABLE = r"$$\mathrm{SHRUNK}\frac{" + "a" * 70 + "}{" + "b" * 100 + r"}\mathrm{NARROWEND}$$"


@pytest.fixture(scope="module")
def wide_math(tmp_path_factory):
    """A notebook of two display equations wider than the page, its whole PDF printed once: (its words as (text,
    right edge in pt), the page's width in pt, the notes `dgmlab pdf` prints)."""
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    tools()
    tmp = tmp_path_factory.mktemp("wide")
    nbformat.write(new_notebook(cells=[new_markdown_cell("## P1 wide\n\n" + WIDE),
                                       new_markdown_cell("## P2 unbreakable\n\n" + UNBREAKABLE)]), tmp / "wide.ipynb")
    written = P.write_pdfs(tmp / "wide.ipynb", tmp / "pdf")
    bbox = subprocess.run(["pdftotext", "-bbox", str(written.whole), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = [(m.group(2), float(m.group(1))) for m in re.finditer(r'xMax="([\d.]+)"[^>]*>([^<]*)</word>', bbox)]
    return words, float(re.search(r'<page width="([\d.]+)"', bbox).group(1)), written.notes()


def _inside(words, width) -> list:
    """The words of ``words`` ending past the page's 0.5 in right margin (none, when nothing is cut off)."""
    return [(word, right) for word, right in words if right > width - 0.4 * 72]


@pytest.mark.slow
def test_a_display_equation_wider_than_the_page_is_broken_into_lines_inside_it(wide_math):
    words, width, _ = wide_math
    texts = [word for word, _ in words]
    assert "WIDEEND" in texts and "4" in texts, "the equation's end (- log 4 + WIDEEND) is missing"
    assert not _inside(words, width)


@pytest.mark.slow
def test_display_math_that_cannot_be_broken_is_shrunk_to_the_page_and_said(wide_math):
    words, width, notes = wide_math
    assert "NARROWEND" in [word for word, _ in words] and not _inside(words, width)
    shrunk = [note for note in notes if "display math too wide for the page" in note]
    assert len(shrunk) == 1 and "(cell 2)" in shrunk[0] and "SHRUNK" in shrunk[0], notes
