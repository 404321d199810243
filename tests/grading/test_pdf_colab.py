"""`dgmlab pdf` where Colab's Ubuntu leaves a student: no chromium package (Ubuntu's is a snap, which does not run in
Colab) and no libjs-mathjax, only what pip and Playwright install (`pip install playwright nh3
jupyter-server-mathjax && playwright install --with-deps chromium`).

The stand-in: Debian's chromium and MathJax hidden (PATH holds only this Python's folder, the Debian MathJax path
points nowhere, no DGMLAB_CHROMIUM or DGMLAB_MATHJAX), a Playwright-layout Chromium in a fake home
(``~/.cache/ms-playwright/chromium-<revision>/chrome-linux/chrome``, a link to this machine's Chromium binary,
as Playwright's own download cannot be fetched here) and the MathJax 2 of the PyPI package jupyter-server-mathjax
(pyproject's dev extra)."""
import importlib.util
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from dgmlab import cli, pdf_tools
from dgmlab import pdf as P
from grading.test_pdf import RAW_TEX, text, two_questions


def _playwright_layout(home: Path, revision: int, binary: str) -> Path:
    chrome = home / ".cache" / "ms-playwright" / f"chromium-{revision}" / "chrome-linux" / "chrome"
    chrome.parent.mkdir(parents=True)
    chrome.symlink_to(binary)
    return chrome


def test_the_newest_chromium_playwright_installed_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAYWRIGHT_BROWSERS_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    old = _playwright_layout(tmp_path, 1150, sys.executable)
    new = _playwright_layout(tmp_path, 1187, sys.executable)
    assert P.playwright_chromiums() == [new, old]


def test_playwright_browsers_path_is_where_its_chromium_is_looked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    browsers = tmp_path / "browsers"
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(browsers))
    chrome = browsers / "chromium-1187" / "chrome-linux" / "chrome"
    chrome.parent.mkdir(parents=True)
    chrome.symlink_to(sys.executable)
    assert P.playwright_chromiums() == [chrome]


def test_without_any_chromium_the_error_says_how_to_install_one_in_colab(tmp_path, monkeypatch):
    monkeypatch.delenv(P.CHROMIUM_ENV, raising=False)
    monkeypatch.delenv("PLAYWRIGHT_BROWSERS_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(P.PdfError, match=r"playwright install --with-deps chromium"):
        P.find_chromium()


def test_a_mathjax_without_the_debian_configuration_gets_one_it_ships(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "TeX-AMS-MML_HTMLorMML-full.js").write_text("")
    assert P.mathjax_config(tmp_path / "MathJax.js") == "TeX-AMS-MML_HTMLorMML-full"
    (tmp_path / "config" / f"{P.MATHJAX_CONFIG}.js").write_text("")
    assert P.mathjax_config(tmp_path / "MathJax.js") == P.MATHJAX_CONFIG


@pytest.fixture
def colab(tmp_path, monkeypatch):
    """Debian's chromium and MathJax hidden; Playwright's Chromium and pip's MathJax in their places."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium binary to stand in for Playwright's: install Debian's chromium (apt-get install "
                    "chromium; .ci/run does this as root)")
    binary = "/usr/lib/chromium/chromium" if Path("/usr/lib/chromium/chromium").is_file() else found
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("no Playwright, which drives Chromium: pip install -e '.[grading]' (or pip install playwright)")
    if importlib.util.find_spec(P.PIP_MATHJAX) is None:
        pytest.skip("jupyter-server-mathjax is not installed: pip install -e '.[dev]'")
    if not shutil.which("pdftotext"):
        pytest.skip("no pdftotext: install Debian's poppler-utils (apt-get install poppler-utils)")
    pdftotext = shutil.which("pdftotext")
    for name in (P.CHROMIUM_ENV, P.MATHJAX_ENV, "PLAYWRIGHT_BROWSERS_PATH", "DGMLAB_CHROMIUM_FLAGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pdf_tools, "DEBIAN_MATHJAX", tmp_path / "no-libjs-mathjax" / "MathJax.js")
    home = tmp_path / "home"
    chrome = _playwright_layout(home, 1187, binary)
    monkeypatch.setenv("HOME", str(home))
    bin_dir = tmp_path / "bin"  # this Python and pdftotext (to read the PDFs back), no chromium, no bwrap
    bin_dir.mkdir()
    (bin_dir / "pdftotext").symlink_to(pdftotext)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{bin_dir}")
    assert shutil.which("chromium") is None and shutil.which("google-chrome") is None
    return chrome


@pytest.mark.slow  # prints PDFs with Chromium
def test_dgmlab_pdf_works_with_playwrights_chromium_and_pips_mathjax_only(colab, tmp_path):
    assert P.find_chromium() == str(colab)
    assert P.find_mathjax().parts[-3:] == (P.PIP_MATHJAX, "static", "MathJax.js")
    nb = tmp_path / "hw_t.ipynb"
    nbformat.write(two_questions(), nb)
    assert cli.main(["pdf", str(nb)]) == 0
    printed = tmp_path / "pdf"
    assert sorted(p.name for p in printed.glob("*.pdf")) == ["hw_t.pdf", "hw_t_Q1.pdf", "hw_t_Q2.pdf"]
    for pdf in printed.glob("*.pdf"):
        left = RAW_TEX.findall(text(pdf))
        assert not left, f"{pdf.name}: math not typeset: {left}"
    assert "∑" in text(printed / "hw_t_Q1.pdf")  # what MathJax drew
