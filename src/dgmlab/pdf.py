"""PDFs of a homework notebook, whole and one per question, made offline.

``dgmlab pdf <notebook>`` (a student, before handing in) writes ``<hw>.pdf`` and ``<hw>_<Q>.pdf`` for each
question; ``dgmlab pdf <hw>`` (the instructor, in the course directory) does the same for every collected
submission ``submitted/<student>/<hw>/<hw>.ipynb``, its questions those of the release notebook.

How: nbconvert's HTML (the lab template) with math typeset by a MathJax 2 installed on this machine (Debian's
``libjs-mathjax``, ``/usr/share/javascript/mathjax``; ``DGMLAB_MATHJAX`` names another ``MathJax.js``), printed
by a headless Chromium (Debian's ``chromium``; ``DGMLAB_CHROMIUM`` names another) that this module drives over
the DevTools protocol on a pipe (``--remote-debugging-pipe``, no extra Python package): each page is printed
once MathJax has typeset it and its fonts are loaded, with a header naming the student and page numbers.

A submission is untrusted, so the page is self-contained and the printer sees nothing else:

- The notebook's content (markdown's raw HTML, HTML outputs, every cell's rendering) goes through the ``nh3``
  sanitiser: no script, style, link, iframe, object, form or meta of the notebook's; an image only as a
  ``data:`` PNG, JPEG, GIF or WebP (the notebook's own attachments and outputs), never a file or a URL. The
  notebook's metadata is not used (a title or an output's file name could otherwise reach the page). MathJax,
  which typesets after the sanitiser, runs with its Safe extension allowing no link, style, class, id or
  ``\\require`` (:data:`SAFE_MATH`).
- The page's Content-Security-Policy allows scripts (MathJax's) and fonts only from ``file:``, images only as
  ``data:``, nothing else (no connection, frame or style sheet); and every request the page makes comes to this
  module first (DevTools ``Fetch``), which lets through only the page itself and the files of MathJax's folder
  (a policy cannot name a folder of ``file:`` URLs). The browser resolves no host name.
- With bubblewrap (``bwrap``), Chromium runs in a sandbox like the grading kernel's
  (:mod:`dgmlab.grading.printer_sandbox`, which the command hands in: a :data:`Sandbox`): an empty read-only root with only the system's programs, libraries and
  fonts (``/usr``), MathJax and the page's own folder read-only; no network (``--unshare-net``), its profile
  in a tmpfs of its own, no course folder, home or ``/tmp``. The instructor's ``dgmlab pdf <hw>`` uses it
  whenever bwrap works, a fresh browser per submission, and says loudly when it does not; ``dgmlab pdf
  <notebook>`` uses it where it works and otherwise does without (a student's own notebook, on Colab).
- Each notebook has a time budget (:data:`NOTEBOOK_BUDGET`) and each PDF a page budget (:data:`MAX_PAGES`):
  a longer PDF is cut there, and the command says so.
- Each image's pixels are read from its header before the page is built (:mod:`dgmlab.image_budget`): one over
  :data:`~dgmlab.image_budget.MAX_PIXELS`, or past :data:`~dgmlab.image_budget.MAX_PAGE_PIXELS` on one page, is
  left out with a note naming it and its size (a 100 KB PNG can decode to gigabytes in the printer).

Questions: in the instructor's ``dgmlab pdf <hw>`` they are the release notebook's (``release/<hw>/<hw>.ipynb``):
a question starts at the release's heading cell ``## Q1 ...`` / ``## P2 ...`` (a letter and a number), found in
the submission by its cell id and still holding that heading, and runs to the release's next ``#`` or ``##``
heading cell; a heading a student writes, in an answer or a cell of their own, is text of the question it is
in. A question whose heading cell is gone or changed gets no PDF of its own, and the command says so. In a
student's ``dgmlab pdf <notebook>``, the notebook's own headings decide (nbgrader solution cells' never do).
The text before the first question (the title, the setup) is in the whole PDF only.
"""
from __future__ import annotations

import base64
import copy
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

MATHJAX_ENV = "DGMLAB_MATHJAX"
CHROMIUM_ENV = "DGMLAB_CHROMIUM"
DEBIAN_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
PIP_MATHJAX = "jupyter_server_mathjax"  # the PyPI package (jupyter-server-mathjax) shipping a MathJax 2 in static/
MATHJAX_CONFIG = "TeX-AMS_HTML"
PAGE_TIMEOUT = 120.0  # seconds to load, typeset and print one PDF
NOTEBOOK_BUDGET = 300.0  # seconds for all the PDFs of one notebook (the whole one and each question's)
MAX_PAGES = 60  # pages of one PDF; a longer one is cut after this many (hw3's reference prints 14 in all)
PAGES_INSIDE = "/page"  # where the sandboxed Chromium sees the folder of the pages it prints
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")  # the only images a page shows, as data:
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)

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

# MathJax's Safe extension, allowing nothing of what TeX could add to the page after the sanitiser has run: no link
# (\href: a file: or javascript: link in the PDF), no class, id or style (\class, \cssId, \style: CSS url()
# fetches, hiding), no \require of another extension
# (and display math broken across lines where it would run past the page's margin: a student's hw2 PDF lost the end
# of a loss's formula at the right edge)
SAFE_MATH = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({extensions: ["Safe.js"],
  Safe: {allow: {URLs: "none", classes: "none", cssIDs: "none", styles: "none", require: "none"}},
  "HTML-CSS": {linebreaks: {automatic: true}}, CommonHTML: {linebreaks: {automatic: true}},
  SVG: {linebreaks: {automatic: true}}});
</script>"""

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
    import importlib.util

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


def _headings(source: str) -> list[str]:
    """The ``#`` and ``##`` heading lines of a markdown cell's ``source``, stripped, in order."""
    return [line.strip() for line in source.splitlines() if ENDING_HEADING.match(line)]


def _decides(source: str, current):
    """The question a markdown cell leaves open: its last ``#``/``##`` heading decides (a question's label, or None
    for another heading); ``current`` when it has none."""
    for line in source.splitlines():
        m = QUESTION_HEADING.match(line)
        if m:
            current = m.group(1)
        elif ENDING_HEADING.match(line):
            current = None
    return current


def questions(nb) -> list[Question]:
    """The notebook's questions in order, found by its own headings, each with the indices of its cells (its
    heading cell first; a cell holding a part's heading and then a question's belongs to the question). Two
    headings with one label make one question. For a student's own notebook; the instructor's PDFs take the
    questions of the release notebook (:func:`questions_as_released`)."""
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


@dataclass
class Boundary:
    """A heading cell of the release notebook: the question it opens (None: it ends the one before) and its
    heading lines, which the submission's cell of the same id must still hold."""
    label: str | None
    headings: list


def release_questions(release) -> tuple[list[Question], dict]:
    """The release notebook's questions (label and title, no cells) in order, and its heading cells by cell id
    (:class:`Boundary`). Only cells the instructor wrote count (not nbgrader solution cells)."""
    found: dict[str, Question] = {}
    bounds: dict[str, Boundary] = {}
    for cell in release.cells:
        if cell.cell_type != "markdown" or _student_cell(cell):
            continue
        heads = _headings(cell.source)
        if not heads:
            continue
        label = _decides(cell.source, None)
        for head in heads:
            m = QUESTION_HEADING.match(head)
            if m:
                found.setdefault(m.group(1), Question(m.group(1), head.lstrip("#").strip()))
        if cell.get("id"):
            bounds[cell.id] = Boundary(label, heads)
    return list(found.values()), bounds


def questions_as_released(release, nb) -> tuple[list[Question], dict]:
    """The release notebook's questions with the indices of ``nb``'s cells in each, and the labels of those whose
    heading cell ``nb`` lacks, each with why. A question starts at the release's heading cell, found in ``nb`` by
    its cell id (one cell of that id only) and still holding the release's heading lines, and ends at the next
    such heading cell; a cell ``nb`` adds, whatever headings it holds, is in the question it sits in. A heading
    cell whose id ``nb`` holds twice starts nothing (which one the instructor wrote cannot be told)."""
    from collections import Counter

    wanted, bounds = release_questions(release)
    found = {q.label: q for q in wanted}
    times = Counter(cell.get("id") for cell in nb.cells)
    current = None
    for i, cell in enumerate(nb.cells):
        bound = bounds.get(cell.get("id"))
        if bound is not None and times[cell.id] == 1 and cell.cell_type == "markdown":
            lines = {line.strip() for line in cell.source.splitlines()}
            if all(head in lines for head in bound.headings):
                current = bound.label
        if current is not None:
            found[current].cells.append(i)
    missing = {}
    for q in wanted:
        if not q.cells:
            ids = [key for key, b in bounds.items() if b.label == q.label]
            twice = [key for key in ids if times[key] > 1]
            why = (f"its heading cell's id {twice[0]} is on {times[twice[0]]} cells of the submission" if twice
                   else "it is deleted, or its heading changed")
            missing[q.label] = (f"the submission lacks its heading cell as released ({', '.join(ids) or 'no id'}: "
                                f"{q.title!r}): {why}; its cells are in the whole PDF")
    return [q for q in wanted if q.cells], missing


# -- HTML

def _sanitiser():
    try:
        import nh3
    except ImportError:
        raise PdfError("dgmlab pdf needs nh3 (the HTML sanitiser it prints through): pip install nh3") from None
    return nh3


def _data_image(uri: str) -> bytes | None:
    """The bytes of a ``data:image/...;base64,`` URI (:data:`DATA_IMAGE`)."""
    from .image_budget import decoded

    return decoded(uri.partition(",")[2])


def _kept(tag: str, attribute: str, value: str, budget=None):
    """nh3's attribute filter: an image only as a ``data:`` PNG, JPEG, GIF or WebP (within ``budget``, a
    :class:`dgmlab.image_budget.Budget`, when given); a link only to the web, mail or the page itself (never fetched
    when printing, but not a file either)."""
    if attribute == "src":
        if tag != "img" or not DATA_IMAGE.fullmatch(value.strip()):
            return None
        return value if budget is None or not budget.take(_data_image(value.strip())) else None
    if attribute == "href":
        return value if re.match(r"(#|https?:|mailto:)", value.strip(), re.IGNORECASE) else None
    if attribute in ("cite", "longdesc", "srcset", "usemap"):
        return None
    return value


def sanitised(fragment: str) -> str:
    """``fragment`` (HTML of a notebook's cells) through nh3: the tags and attributes of ordinary documents and
    nbconvert's layout (``class``, ``id``, ``data-*``), nothing that runs, styles, embeds or loads (script,
    style, link, meta, iframe, object, svg, form, ``style`` and ``on*`` attributes), images only as ``data:``, and
    those within one page's pixel budget (:mod:`dgmlab.image_budget`; :func:`printable` has already left out, with a
    note, every image it found over it: this is the backstop)."""
    from .image_budget import Budget

    nh3 = _sanitiser()
    budget = Budget()
    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = {"class", "id", "title", "lang", "dir", "tabindex", "role", "aria-label", "aria-hidden"}
    return nh3.clean(fragment, tags=set(nh3.ALLOWED_TAGS) | {"main", "section"},
                     clean_content_tags={"script", "style", "svg", "math", "template", "textarea", "iframe",
                                         "object", "noscript", "title"},
                     attributes=attributes, generic_attribute_prefixes={"data-"},
                     attribute_filter=lambda tag, attribute, value: _kept(tag, attribute, value, budget),
                     url_schemes={"http", "https", "mailto", "data"}, strip_comments=True)


def _plain(name: str) -> str:
    """A student's name for a file as inert text in a note (no markdown, HTML or TeX)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name))[:80]


def _inline_images(text: str, budget, where: str, notes: list) -> str:
    """``text`` (markdown or HTML) with each ``data:`` image over ``budget`` replaced by ``left-out-image`` (a
    broken image the sanitiser drops) and a note for it in ``notes``."""
    def one(m):
        why = budget.take(_data_image(m.group(0)))
        if not why:
            return m.group(0)
        notes.append(f"[image left out: {where}, {m.group(1).lower()} image {len(notes) + 1}: {why}]")
        return "left-out-image"

    return DATA_IMAGE.sub(one, text)


def printable(nb):
    """A copy of ``nb`` holding only what a page shows: cells and their outputs, without the notebook's metadata
    (a title, widget state), an output's file names, SVG, PDF or JavaScript outputs, or attachments that are not
    PNG, JPEG, GIF or WebP. An image over the page's pixel budget (:class:`dgmlab.image_budget.Budget`, in cell
    order) is replaced by a note naming it and its size."""
    import nbformat

    from .image_budget import Budget, decoded

    budget = Budget()
    nb = copy.deepcopy(nbformat.from_dict(nb))
    nb.metadata = nbformat.from_dict({"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    for number, cell in enumerate(nb.cells, start=1):
        number = (cell.get("metadata") or {}).get(CELL_NUMBER, number)  # in the whole notebook (section's)
        where, notes = f"cell {int(number) if isinstance(number, int) else '?'}", []
        if "attachments" in cell:  # (an attachment with no image left is dropped: nbconvert fails on an empty one)
            kept = {}
            for name, bundle in (cell.attachments or {}).items():
                images = {t: v for t, v in (bundle or {}).items() if t in IMAGE_TYPES}
                for t, v in list(images.items()):
                    why = budget.take(decoded(v))
                    if why:
                        notes.append(f"[image left out: {where}, attachment {_plain(name)} ({t}): {why}]")
                        del images[t]
                kept[name] = images
            cell.attachments = {name: bundle for name, bundle in kept.items() if bundle}
        if cell.cell_type == "markdown":  # a reference to an attachment not kept is a broken image, not an error
            kept_names = set(cell.get("attachments") or {})
            cell.source = re.sub(r"attachment:([^\s)\"'>]*)",
                                 lambda m: m.group(0) if m.group(1) in kept_names else "left-out-attachment",
                                 cell.source)
            cell.source = _inline_images(cell.source, budget, where, notes)
            if notes:
                cell.source += "\n\n" + "\n\n".join(f"*{n}*" for n in notes)
        for output in cell.get("outputs", []):
            if "data" in output:
                output.data = {t: v for t, v in output.data.items()
                               if t in IMAGE_TYPES or t.startswith("text/") and t != "text/javascript"}
                left = []
                for t in [t for t in output.data if t in IMAGE_TYPES]:
                    why = budget.take(decoded(output.data[t]))
                    if why:
                        left.append(f"[image left out: {where}, output image ({t}): {why}]")
                        del output.data[t]
                for t in ("text/html", "text/markdown"):
                    if isinstance(output.data.get(t), (str, list)):
                        text = "".join(output.data[t]) if isinstance(output.data[t], list) else output.data[t]
                        own = []
                        output.data[t] = _inline_images(text, budget, f"{where}, output ({t})", own)
                        if own:
                            output.data[t] += "".join(f"<p>{html_text.escape(n)}</p>" if t == "text/html"
                                                      else f"\n\n{n}" for n in own)
                if left:
                    output.data["text/plain"] = "\n".join(left)
            if "metadata" in output:
                output.metadata = {t: m for t, m in (output.metadata or {}).items() if t in ("image/png", "image/jpeg")
                                   and isinstance(m, dict) and set(m) <= {"width", "height"}}
    return nb


def policy(mathjax: Path) -> str:
    """The page's Content-Security-Policy: scripts (MathJax's) and fonts from ``file:`` only, images only inline,
    nothing else (no connection, frame, form or style sheet). Chromium's policies cannot name a folder of ``file:``
    URLs (they have no host): which files are there is the sandbox's to limit (:data:`Sandbox`), and no
    script of the notebook's reaches the page (:func:`sanitised`)."""
    return ("default-src 'none'; script-src file: 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; "
            "font-src file: data:; base-uri 'none'; form-action 'none'")


def notebook_html(nb, mathjax: Path, title: str = "") -> str:
    """One self-contained HTML page of ``nb`` (:func:`printable`; images inline), its cells' HTML sanitised
    (:func:`sanitised`), math left to the local ``mathjax``, no web resources (:func:`policy`)."""
    from nbconvert import HTMLExporter

    nh3 = _sanitiser()
    exporter = HTMLExporter(template_name="lab", exclude_input_prompt=True, exclude_output_prompt=True,
                            mathjax_url=f"{mathjax.as_uri()}?config={mathjax_config(mathjax)}")
    try:
        page, _ = exporter.from_notebook_node(printable(nb), resources={"metadata": {"name": nh3.clean_text(title)}})
    except Exception as exc:  # noqa: BLE001 - whatever in a submission nbconvert cannot render
        raise PdfError(f"nbconvert cannot render this notebook: {type(exc).__name__}: {exc}") from None
    head, sep, body = page.partition("<body")
    opening, _, content = body.partition(">")
    content, _, _ = content.rpartition("</body>")
    if not sep or not content:
        raise PdfError("nbconvert's page has no <body>")
    # the template's scripts from the web (require.js, mermaid) are not needed and could not load offline
    head = re.sub(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', "", head)
    head = head.replace("<head>", f'<head>\n<meta http-equiv="Content-Security-Policy" content="{policy(mathjax)}">',
                        1)
    head = head.replace("<head>", f"<head>\n{SAFE_MATH}", 1)
    head = head.replace("</head>", f"<style>{CSS}</style>\n</head>", 1)
    return head + sep + opening + ">" + sanitised(content) + "</body>\n</html>\n"


CELL_NUMBER = "dgmlab_cell_number"  # a cell's number in the whole notebook, which :func:`section` writes in its metadata


def section(nb, cells):
    """A copy of ``nb`` holding only ``cells`` (indices), each cell's number in ``nb`` (from 1) in its metadata
    (:data:`CELL_NUMBER`, for the notes of :func:`printable`; whatever the notebook had there is replaced)."""
    import copy

    part = copy.deepcopy(nb)
    part.cells = [part.cells[i] for i in cells]
    for i, cell in zip(cells, part.cells):
        cell.setdefault("metadata", {})[CELL_NUMBER] = i + 1
    return part


# -- the browser

Sandbox = Callable[[str, Path, Path], list]
"""What starts Chromium in a sandbox: (its binary, the folder of the pages, ``MathJax.js``) -> the wrapper's command
line up to the program (the grader's :func:`dgmlab.grading.printer_sandbox.argv`, which ``dgmlab pdf`` hands in)."""


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


# -- notebooks to PDFs

@dataclass
class Written:
    notebook: Path
    whole: Path
    questions: dict  # label -> Path
    missing: dict = field(default_factory=dict)  # label -> why the submission has no PDF of that question
    cut: list = field(default_factory=list)  # PDFs longer than the page budget, cut after it

    def notes(self) -> list[str]:
        out = [f"{label}: no PDF: {why}" for label, why in self.missing.items()]
        out += [f"{pdf.name}: cut after {MAX_PAGES} pages (the page budget of one PDF)" for pdf in self.cut]
        return out


def read_notebook(notebook) -> "object":
    try:
        import nbconvert  # noqa: F401 - what notebook_html needs, checked before any browser starts
        import nbformat
    except ImportError:
        raise PdfError("dgmlab pdf needs nbconvert (it comes with Jupyter): pip install nbconvert") from None
    _sanitiser()
    notebook = Path(notebook)
    if not notebook.is_file():
        raise PdfError(f"no notebook {notebook}")
    try:
        return nbformat.read(notebook, as_version=4)
    except Exception as exc:  # noqa: BLE001 - a notebook nbformat cannot read, whatever the reason
        raise PdfError(f"{notebook} is not a notebook nbformat can read: {exc}") from None


def write_pdfs(notebook, out_dir, browser: Chromium | None = None, name: str | None = None, release=None,
               who: str = "", budget: float | None = None, sandbox: Sandbox | None = None) -> Written:
    """``<out_dir>/<name>.pdf`` (the whole notebook) and ``<out_dir>/<name>_<Q>.pdf`` per question; ``name``
    defaults to the notebook's file name without ``.ipynb``. With ``release`` (the release notebook, read), the
    questions are the release's (:func:`questions_as_released`), else the notebook's own headings'
    (:func:`questions`). ``who`` heads every page; all the PDFs must be printed within ``budget`` seconds (default
    :data:`NOTEBOOK_BUDGET`). Without ``browser``, one is started for it (:func:`own_browser`: in ``sandbox`` if it
    starts there)."""
    budget = budget or NOTEBOOK_BUDGET
    nb = read_notebook(notebook)
    notebook = Path(notebook)
    mathjax = find_mathjax()
    name = safe_name(name or notebook.stem)
    if release is not None:
        parts, missing = questions_as_released(release, nb)
    else:
        parts, missing = questions(nb), {}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    own = browser is None
    browser = browser or own_browser(mathjax, sandbox)
    deadline = time.monotonic() + budget
    cut = []
    try:
        def one(part, what, pdf):
            page = browser.pages / (pdf.stem + ".html")
            page.write_text(notebook_html(part, mathjax, what), encoding="utf-8")
            try:
                printed = browser.print_pdf(page, pdf, who=who, what=what, deadline=deadline)
            except PdfError as exc:
                if time.monotonic() >= deadline:
                    raise PdfError(f"{notebook}: its PDFs took longer than the time budget of one notebook "
                                   f"({budget:.0f} s); nothing more of it is printed") from exc
                raise
            finally:
                page.unlink(missing_ok=True)
            if printed.cut:
                cut.append(pdf)
            return pdf

        whole = one(section(nb, range(len(nb.cells))), name, out_dir / f"{name}.pdf")
        each = {q.label: one(section(nb, q.cells), f"{name} {q.label}", out_dir / f"{name}_{safe_name(q.label)}.pdf")
                for q in parts}
    finally:
        if own:
            browser.close()
    return Written(notebook, whole, each, missing, cut)


def own_browser(mathjax: Path, sandbox: Sandbox | None = None) -> Chromium:
    """The browser of a ``dgmlab pdf <notebook>``: in ``sandbox`` where one is given and Chromium starts in it (an
    instructor printing one submission is walled as for a class), else without (a student's own notebook, on Colab
    or a laptop)."""
    if sandbox is not None:
        try:
            return Chromium(sandbox=sandbox, mathjax=mathjax)
        except PdfError:
            pass
    return Chromium(mathjax=mathjax)


@dataclass
class ClassPdfs:
    written: list = field(default_factory=list)  # Written
    failed: list = field(default_factory=list)   # (student, message)
    sandboxed: bool = False  # whether Chromium ran in bubblewrap
    unsandboxed_why: str = ""  # when not, why

    def lines(self) -> list[str]:
        out = []
        for w in self.written:
            out.append(f"{w.whole.parent}: {w.whole.name} and {len(w.questions)} question PDFs")
            out += [f"{w.whole.parent}: {note}" for note in w.notes()]
        out += [f"{student}: no PDF: {message}" for student, message in self.failed]
        return out

    @property
    def incomplete(self) -> bool:
        return bool(self.failed or any(w.missing or w.cut for w in self.written))


UNSANDBOXED = ("WARNING: Chromium prints the submissions WITHOUT the sandbox ({why}): a submission's page is "
               "sanitised and its policy allows no file or web fetch, but the browser itself can read every file "
               "this user can. Install bubblewrap (apt-get install bubblewrap) with unprivileged user namespaces, "
               "as autograding needs.")


def write_class_pdfs(course, hw: str, out_dir, students=None, sandbox: Sandbox | None = None,
                     unsandboxed_why: str = "no sandbox given") -> ClassPdfs:
    """The PDFs of each collected ``submitted/<student>/<hw>/<hw>.ipynb`` in ``<out_dir>/<hw>/<student>/``, their
    questions the release notebook's, each page headed by the student's id (a previous run's PDFs there are
    removed first), a fresh browser for each, in
    ``sandbox`` (without one, the result says ``unsandboxed_why``); a submission that cannot be printed is listed, and
    the others still are. ``course`` is a :class:`dgmlab.grading.layout.Course` (its submissions, its release
    notebook)."""
    students = list(students) if students else course.submitted(hw)
    if not students:
        raise PdfError(f"no submissions of {hw}: expected folders submitted/<student>/{hw}/ (dgmlab collect)")
    released = Path(course.release_notebook(hw))
    if not released.is_file():
        raise PdfError(f"no release notebook {released}: the questions are the release's (run dgmlab release "
                       f"{hw} first)")
    release = read_notebook(released)
    mathjax = find_mathjax()
    got = ClassPdfs()
    got.sandboxed = sandbox is not None
    got.unsandboxed_why = "" if got.sandboxed else unsandboxed_why
    for student in students:
        notebook = course.folder("submitted", hw, student) / f"{hw}.ipynb"
        if not notebook.is_file():
            got.failed.append((student, f"no {notebook}"))
            continue
        folder = Path(out_dir) / safe_name(hw) / safe_name(student)
        # this run's PDFs replace a previous run's (a question PDF the submission no longer has must not stay)
        for stale in [*folder.glob(f"{safe_name(hw)}_*.pdf"), folder / f"{safe_name(hw)}.pdf"]:
            stale.unlink(missing_ok=True)
        try:
            # a browser per submission, as a kernel: what one page did to it cannot reach another's PDFs
            with Chromium(sandbox=sandbox, mathjax=mathjax) as browser:
                got.written.append(write_pdfs(notebook, folder, browser=browser, name=hw, release=release,
                                              who=student))
        except PdfError as exc:
            got.failed.append((student, str(exc)))
    return got
