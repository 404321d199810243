"""What ``dgmlab pdf`` needs on this machine, found: a MathJax 2 to typeset math offline (:func:`find_mathjax`, and
the configuration it ships, :func:`mathjax_config`) and a Chromium to print with (:func:`find_chromium`); each one
missing is a :class:`PdfError` naming how to install it (on Colab too)."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

MATHJAX_ENV = "DGMLAB_MATHJAX"
CHROMIUM_ENV = "DGMLAB_CHROMIUM"
DEBIAN_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
PIP_MATHJAX = "jupyter_server_mathjax"  # the PyPI package (jupyter-server-mathjax) shipping a MathJax 2 in static/
MATHJAX_CONFIG = "TeX-AMS_HTML"


class PdfError(RuntimeError):
    """What stops a PDF, worded for the person at the terminal (a missing package names its install)."""


def find_mathjax() -> Path:
    """``MathJax.js`` of an installed MathJax 2: ``$DGMLAB_MATHJAX``, else Debian's ``libjs-mathjax``, else the one the
    PyPI package ``jupyter-server-mathjax`` ships (where apt has no libjs-mathjax, or on Colab:
    ``pip install jupyter-server-mathjax``)."""
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

    spec = importlib.util.find_spec(PIP_MATHJAX)  # found, not imported (it would load jupyter_server)
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        shipped = Path(folder) / "static" / "MathJax.js"
        if shipped.is_file():
            return shipped.resolve()
    raise PdfError("no MathJax on this machine, so math cannot be typeset offline: pip install "
                   "jupyter-server-mathjax (on Colab too), or install Debian's libjs-mathjax (apt-get install "
                   f"libjs-mathjax), or set {MATHJAX_ENV} to a MathJax 2 MathJax.js")


def mathjax_config(mathjax: Path) -> str:
    """The combined configuration the page asks ``mathjax`` for: :data:`MATHJAX_CONFIG` where that MathJax has it
    (Debian's), else the one of the full ones it ships (``jupyter-server-mathjax`` ships only
    ``TeX-AMS-MML_HTMLorMML-full``)."""
    configs = Path(mathjax).parent / "config"
    if (configs / f"{MATHJAX_CONFIG}.js").is_file():
        return MATHJAX_CONFIG
    for other in ("TeX-AMS_HTML-full", "TeX-AMS-MML_HTMLorMML-full", "TeX-AMS-MML_HTMLorMML"):
        if (configs / f"{other}.js").is_file():
            return other
    return MATHJAX_CONFIG


def playwright_chromiums() -> list[Path]:
    """The Chromium binaries Playwright installed (``playwright install chromium``: under ``$PLAYWRIGHT_BROWSERS_PATH``,
    default ``~/.cache/ms-playwright``, as ``chromium-<revision>/chrome-linux*/chrome``), newest revision first."""
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright").expanduser()

    def revision(path: Path) -> int:
        digits = path.parent.parent.name.rpartition("-")[2]
        return int(digits) if digits.isdigit() else -1

    found = [p for p in root.glob("chromium-*/chrome-linux*/chrome") if p.is_file() and os.access(p, os.X_OK)]
    return sorted(found, key=revision, reverse=True)


def find_chromium() -> str:
    """A Chromium or Chrome binary: ``$DGMLAB_CHROMIUM``, else ``chromium``, ``chromium-browser`` or ``google-chrome``
    on the PATH, else the Chromium Playwright installed (:func:`playwright_chromiums`: on Colab, whose Ubuntu has no
    chromium package, ``pip install playwright && playwright install --with-deps chromium``)."""
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
    installed = playwright_chromiums()
    if installed:
        return str(installed[0])
    raise PdfError("no Chromium on this machine to print the PDFs: pip install playwright && playwright install "
                   "--with-deps chromium (on Colab, whose Ubuntu has no chromium package), or install Debian's "
                   f"chromium (apt-get install chromium), or set {CHROMIUM_ENV} to a Chromium or Chrome binary")


MERGE_TIMEOUT = 60.0  # seconds for poppler's pdfunite to merge one PDF with the ones handed in beside it


def _run(command: list, timeout: float, what: str) -> str:
    """Run ``command`` (no input or output) within ``timeout``: ``""``, or why it failed."""
    try:
        subprocess.run(command, check=True, timeout=timeout, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    except subprocess.TimeoutExpired:
        return f"{what} took longer than {timeout:.0f} s"
    except (OSError, subprocess.CalledProcessError) as exc:
        err = (getattr(exc, "stderr", b"") or b"").decode("utf-8", "replace").strip()
        return f"{what} failed: " + (err.splitlines()[-1][:200] if err else str(exc))
    return ""


def merge_pdfs(target: Path, parts, timeout: float = MERGE_TIMEOUT) -> tuple:
    """``target`` with the pages of each of ``parts`` (PDFs a student handed in) added at its end, in order, by
    poppler's ``pdfunite`` (Debian's poppler-utils); ``(True, "")``, or ``(False, why)`` with ``target`` unchanged
    (no pdfunite or pypdf, a part that is not a PDF, or a step failing or taking longer than ``timeout``). Each
    part is first rewritten without actions, scripts or embedded files (:mod:`dgmlab.pdf_scrub`, a child process
    with a memory limit): a TA's viewer opens the merged PDF, and Acrobat runs a page's JavaScript."""
    tool = shutil.which("pdfunite")
    if tool is None:
        return False, "no pdfunite on this machine: apt-get install poppler-utils"
    if importlib.util.find_spec("pypdf") is None:
        return False, "pypdf is not installed (it removes a handed-in PDF's scripts before merging): pip install pypdf"
    for part in parts:
        with open(part, "rb") as f:
            if not f.read(1024).lstrip().startswith(b"%PDF"):
                return False, f"{Path(part).name} is not a PDF"
    target = Path(target)
    tmp = target.with_name(f".{target.stem}.merged.pdf")
    clean = [target.with_name(f".{target.stem}.part{k}.pdf") for k in range(len(parts))]
    try:
        for part, out in zip(parts, clean):
            why = _run([sys.executable, "-m", "dgmlab.pdf_scrub", str(part), str(out)], timeout,
                       f"removing {Path(part).name}'s scripts")
            if why:
                return False, why
        why = _run([tool, str(target), *map(str, clean), str(tmp)], timeout, "pdfunite")
        if why:
            return False, why
        os.replace(tmp, target)
        return True, ""
    finally:
        for path in (*clean, tmp):
            path.unlink(missing_ok=True)
