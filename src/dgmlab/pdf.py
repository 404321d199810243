"""PDFs of a homework notebook, whole and one per question, made offline.

``dgmlab pdf <notebook>`` (a student, before handing in) writes ``<hw>.pdf`` and ``<hw>_<Q>.pdf`` for each
question; ``dgmlab pdf <hw>`` (the instructor, in the course directory) does the same for every collected
submission ``submitted/<student>/<hw>/<hw>.ipynb``, its questions those of the release notebook.

How: nbconvert's HTML (the lab template) with math typeset by a MathJax 2 installed on this machine (Debian's
``libjs-mathjax``, ``/usr/share/javascript/mathjax``; ``DGMLAB_MATHJAX`` names another ``MathJax.js``), printed
by a headless Chromium (Debian's ``chromium``; ``DGMLAB_CHROMIUM`` names another) that :mod:`dgmlab.pdf_printer` drives with
Playwright (``pip install playwright``; the browser stays this machine's): each page is printed once MathJax has
typeset it and its fonts are loaded, with a header naming the student and page numbers. The page is laid out at the
paper's text width, so MathJax breaks a long display equation into lines there; one it cannot break is shrunk to
fit, and the command says so.

A submission is untrusted, so the page is self-contained and the printer sees nothing else:

- The notebook's content (markdown's raw HTML, HTML outputs, every cell's rendering) goes through the ``nh3``
  sanitiser: no script, style, link, iframe, object, form or meta of the notebook's; an image only as a
  ``data:`` PNG, JPEG, GIF or WebP (the notebook's own attachments and outputs), never a file or a URL. The
  notebook's metadata is not used (a title or an output's file name could otherwise reach the page). MathJax,
  which typesets after the sanitiser, runs with its Safe extension allowing no link, style, class, id or
  ``\\require`` (:data:`SAFE_MATH`).
- The page's Content-Security-Policy allows scripts (MathJax's) and fonts only from ``file:``, images only as
  ``data:``, nothing else (no connection, frame or style sheet); and every request the page makes comes to this
  module first (Playwright's ``page.route``), which lets through only the page itself and the files of MathJax's folder
  (a policy cannot name a folder of ``file:`` URLs). The browser resolves no host name.
- With bubblewrap (``bwrap``), Chromium runs in a sandbox like the grading kernel's
  (:mod:`dgmlab.grading.isolation.printer_sandbox`, which the command hands in: a :data:`Sandbox`): an empty read-only root with only the system's programs, libraries and
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

Here the notebooks to PDFs (:func:`write_pdfs`, :func:`write_class_pdfs`); the parts are modules of their own:
:mod:`dgmlab.pdf_tools` (MathJax and Chromium found on the machine), :mod:`dgmlab.pdf_questions` (the questions and
their cells), :mod:`dgmlab.pdf_page` (the sanitised HTML page) and :mod:`dgmlab.pdf_printer` (the browser).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import pdf_printer, pdf_tools

# what this module uses of its parts, and the names of theirs that the command, the hand-in list, the grader's
# printer sandbox and the tests read as dgmlab.pdf.<name>
# (not MAX_PAGES: pdf_printer's is the one that counts, and Written.notes reads it there)
from .pdf_page import load_sanitiser, notebook_html, sanitised, section  # noqa: F401
from .pdf_printer import PAGES_INSIDE, Chromium, Sandbox, header_footer  # noqa: F401
from .pdf_questions import ENDING_HEADING, QUESTION_HEADING, questions, questions_as_released  # noqa: F401
from .pdf_tools import (  # noqa: F401
    CHROMIUM_ENV,
    MATHJAX_CONFIG,
    MATHJAX_ENV,
    PIP_MATHJAX,
    PdfError,
    find_chromium,
    find_mathjax,
    mathjax_config,
    playwright_chromiums,
)

NOTEBOOK_BUDGET = 300.0  # seconds for all the PDFs of one notebook (the whole one and each question's)


def safe_name(text: str) -> str:
    """``text`` as one file-name part: letters, digits, ``_ . -`` only, no leading dot, never empty."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("._")
    return name[:80] or "_"


# -- notebooks to PDFs

@dataclass
class Written:
    notebook: Path
    whole: Path
    questions: dict  # label -> Path
    missing: dict = field(default_factory=dict)  # label -> why the submission has no PDF of that question
    cut: list = field(default_factory=list)  # PDFs longer than the page budget, cut after it
    merged: dict = field(default_factory=dict)  # PDF written -> the handed-in PDFs merged at its end
    unmerged: list = field(default_factory=list)  # (handed-in PDF, why it was not merged: open it where it is)
    fitted: list = field(default_factory=list)  # (scale, TeX's start, its cell's number or None) of each display
    # equation the whole PDF shrinks

    def notes(self) -> list[str]:
        out = [f"{label}: no PDF: {why}" for label, why in self.missing.items()]
        out += [f"{pdf.name}: {', '.join(p.name for p in parts)} handed in, merged at its end"
                for pdf, parts in self.merged.items()]
        out += [f"{path}: not merged ({why}); open the student's own file there, in a viewer with scripts off"
                for path, why in self.unmerged]
        out += [f"{pdf.name}: cut after {pdf_printer.MAX_PAGES} pages (the page budget of one PDF)" for pdf in self.cut]
        out += [f"{self.whole.name}: display math too wide for the page"
                + (f" (cell {cell})" if cell else "") + f", printed at {scale:.0%} of its size to fit: $${tex}...$$ "
                "(break it into lines, e.g. with \\begin{aligned}, if that is too small to read)"
                for scale, tex, cell in self.fitted]
        return out


# -- which notebook a PDF shows: `dgmlab pdf <notebook>` notes it in the PDFs' folder, and `dgmlab check` reads it
# when the notebook was saved after its PDF (:func:`shows`)

PRINTED = ".dgmlab_printed.json"  # {sha256 of a PDF's bytes: content_digest of the notebook it shows}
MAX_PRINTED = 200  # PDFs one folder's note remembers, the latest
_PDF_OR_CHECK = re.compile(r"dgmlab(\s+|\.)(pdf|check)\b|playwright\s+install")  # also the PDF tools' install


def content_digest(nb) -> str:
    """sha256 of what a PDF of ``nb`` shows: each cell's type, source, attachments and outputs (no execution counts
    or metadata), less the code cells that run ``dgmlab pdf``, its tools' install or the check: run in the notebook
    itself (Colab), they change it after its PDF is made, and Colab's autosave saves it after its PDF."""
    kept = []
    for cell in nb.cells:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "code" and _PDF_OR_CHECK.search(source):
            continue
        outputs = [{k: v for k, v in out.items() if k not in ("execution_count", "metadata", "transient")}
                   for out in cell.get("outputs", [])]
        kept.append([cell.get("cell_type"), source, cell.get("attachments", {}), outputs])
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _printed(folder: Path) -> dict:
    try:
        got = json.loads((Path(folder) / PRINTED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return got if isinstance(got, dict) else {}


def note_printed(pdfs, digest: str) -> None:
    """Note in each PDF's folder (:data:`PRINTED`) that ``pdfs`` show the notebook of :func:`content_digest`
    ``digest``; a folder that cannot be written is left without (:func:`shows` then goes by the files' times)."""
    folders = {}
    for pdf in pdfs:
        folders.setdefault(Path(pdf).parent, []).append(Path(pdf))
    for folder, mine in folders.items():
        notes = _printed(folder)
        for pdf in mine:
            key = _file_digest(pdf)
            notes.pop(key, None)
            notes[key] = digest
        notes = dict(list(notes.items())[-MAX_PRINTED:])
        partial = folder / (PRINTED + ".part")
        try:
            partial.write_text(json.dumps(notes, indent=0), encoding="utf-8")
            os.replace(partial, folder / PRINTED)
        except OSError:
            partial.unlink(missing_ok=True)


def shows(pdf, notebook, folders=()) -> bool:
    """Whether ``pdf`` shows the saved ``notebook`` as it is: made after it was saved (its modification time, which
    Google Drive keeps too), or noted by ``dgmlab pdf`` (in the PDF's folder or one of ``folders``) as made from the
    same content (a notebook saved after its PDF only for the cell that made it, or the check's)."""
    pdf, notebook = Path(pdf), Path(notebook)
    if pdf.stat().st_mtime >= notebook.stat().st_mtime:
        return True
    key = _file_digest(pdf)
    noted = [n[key] for folder in dict.fromkeys([pdf.parent, *map(Path, folders)]) if key in (n := _printed(folder))]
    if not noted:
        return False
    try:
        import nbformat

        return content_digest(nbformat.read(notebook, as_version=4)) in noted
    except Exception:  # noqa: BLE001 - a notebook nbformat cannot read shows in no PDF
        return False


def read_notebook(notebook) -> "object":
    try:
        import nbconvert  # noqa: F401 - what notebook_html needs, checked before any browser starts
        import nbformat
    except ImportError:
        raise PdfError("dgmlab pdf needs nbconvert (it comes with Jupyter): pip install nbconvert") from None
    load_sanitiser()
    notebook = Path(notebook)
    if not notebook.is_file():
        raise PdfError(f"no notebook {notebook}")
    try:
        return nbformat.read(notebook, as_version=4)
    except Exception as exc:  # noqa: BLE001 - a notebook nbformat cannot read, whatever the reason
        raise PdfError(f"{notebook} is not a notebook nbformat can read: {exc}") from None


def write_pdfs(notebook, out_dir, browser: Chromium | None = None, name: str | None = None, release=None,
               who: str = "", budget: float | None = None, sandbox: Sandbox | None = None,
               whole_name: str | None = None, extra: dict | None = None, note: bool = False) -> Written:
    """``<out_dir>/<name>.pdf`` (the whole notebook; ``<whole_name>.pdf`` when given) and ``<out_dir>/<name>_<Q>.pdf``
    per question; ``name`` defaults to the notebook's file name without ``.ipynb``. ``extra``: ``{label: [cells]}``
    added at the end of that question (in its PDF and in the whole one), ``{None: [cells]}`` at the end of the whole
    one (the instructor's: a student's photos handed in beside the notebook, as markdown cells with the photo
    attached, printed like any pasted image). With ``release`` (the release notebook, read), the
    questions are the release's (:func:`questions_as_released`), else the notebook's own headings'
    (:func:`questions`). ``who`` heads every page; all the PDFs must be printed within ``budget`` seconds (default
    :data:`NOTEBOOK_BUDGET`). Without ``browser``, one is started for it (:func:`own_browser`: in ``sandbox`` if it
    starts there). ``note``: note which notebook the PDFs show in their folder (:func:`note_printed`; a student's
    own, which `dgmlab check` compares with the notebook)."""
    budget = budget or NOTEBOOK_BUDGET
    nb = read_notebook(notebook)
    digest = content_digest(nb) if note else None  # of the notebook as read, before it is cut into parts
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
    cut, fitted = [], []
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
            if what == name:  # the whole notebook: each question's PDF shrinks the same equations
                fitted.extend((scale, tex, _cell_of(nb, tex)) for scale, tex in printed.fitted)
            return pdf

        extra = extra or {}
        whole = one(_with_extra(nb, range(len(nb.cells)), parts, extra, whole=True), name,
                    out_dir / f"{safe_name(whole_name or name)}.pdf")
        each = {q.label: one(_with_extra(nb, q.cells, [q], extra), f"{name} {q.label}",
                             out_dir / f"{name}_{safe_name(q.label)}.pdf")
                for q in parts}
    finally:
        if own:
            browser.close()
    if note:
        note_printed([whole, *each.values()], digest)
    return Written(notebook, whole, each, missing, cut, fitted=fitted)


def _cell_of(nb, tex: str) -> int | None:
    """The number (from 1) of the first cell of ``nb`` whose source holds the start of ``tex``, or ``None``."""
    start = " ".join(tex.split())[:40]
    found = (i + 1 for i, cell in enumerate(nb.cells) if start and start in " ".join(str(cell.get("source", "")).split()))
    return next(found, None)


def _with_extra(nb, cells, parts, extra: dict, whole: bool = False):
    """:func:`section` of ``cells`` with each of ``parts``' ``extra`` cells after its last cell (the whole
    notebook's also ``extra[None]`` at its end)."""
    cells = list(cells)
    part = section(nb, cells)
    if not extra:
        return part
    after = {max(q.cells): extra.get(q.label, []) for q in parts if q.cells and extra.get(q.label)}
    out = []
    for i, cell in zip(cells, part.cells):
        out.append(cell)
        out += after.get(i, [])
    part.cells = out + (list(extra.get(None, [])) if whole else [])
    return part


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
                     unsandboxed_why: str = "no sandbox given", plan=None) -> ClassPdfs:
    """The PDFs of each collected ``submitted/<student>/<hw>/<hw>.ipynb`` in ``<out_dir>/<hw>/<student>/``, their
    questions the release notebook's, each page headed by the student's id (a previous run's PDFs there are
    removed first), a fresh browser for each, in
    ``sandbox`` (without one, the result says ``unsandboxed_why``); a submission that cannot be printed is listed, and
    the others still are. ``course`` is a :class:`dgmlab.grading.layout.Course` (its submissions, its release
    notebook). ``plan``: ``plan(student) -> Plan``: the PDFs' names the handout asks for, and the photos and PDFs the
    student handed in beside the notebook, by question (the grader's :mod:`dgmlab.grading.lms.hand_in_pdfs`);
    without it, ``<hw>.pdf`` and ``<hw>_<Q>.pdf`` of the notebook alone."""
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
    with pdf_printer.playwright_session():  # one Playwright for the class, a browser per submission
        for student in students:
            _print_submission(course, hw, student, Path(out_dir), release, mathjax, sandbox, got,
                              plan(student) if plan else Plan(hw))
    return got


@dataclass
class Plan:
    """One submission's PDFs as its handout asks for them."""

    name: str  # the question PDFs are <name>_<Q>.pdf
    whole: str = ""  # the whole notebook's PDF is <whole>.pdf (default: <name>.pdf)
    extra: dict = field(default_factory=dict)  # label (None: no question) -> markdown cells added (photos)
    attach: dict = field(default_factory=dict)  # label (None: no question) -> handed-in PDFs merged at the end


def _print_submission(course, hw: str, student: str, out_dir: Path, release, mathjax: Path,
                      sandbox: Sandbox | None, got: ClassPdfs, plan: Plan) -> None:
    """``student``'s PDFs of ``hw`` in ``out_dir/<hw>/<student>/``, named and completed as ``plan`` says, added to
    ``got`` (or why not)."""
    notebook = course.folder("submitted", hw, student) / f"{hw}.ipynb"
    if not notebook.is_file():
        got.failed.append((student, f"no {notebook}"))
        return
    folder = Path(out_dir) / safe_name(hw) / safe_name(student)
    # this run's PDFs replace a previous run's (a question PDF the submission no longer has must not stay)
    for stale in folder.glob("*.pdf") if folder.is_dir() else ():  # the folder is this command's: all its PDFs
        stale.unlink(missing_ok=True)
    try:
        # a browser per submission, as a kernel: what one page did to it cannot reach another's PDFs
        with Chromium(sandbox=sandbox, mathjax=mathjax) as browser:
            written = write_pdfs(notebook, folder, browser=browser, name=plan.name, release=release, who=student,
                                 whole_name=plan.whole or None, extra=plan.extra)
    except PdfError as exc:
        got.failed.append((student, str(exc)))
        return
    for label, pdfs in plan.attach.items():
        target = (written.questions.get(label) if label is not None else None) or written.whole
        merged, why = pdf_tools.merge_pdfs(target, pdfs)
        if merged:
            written.merged[target] = [Path(p) for p in pdfs]
        else:
            # not copied beside: a PDF the scrubber could not rewrite keeps whatever scripts it holds
            written.unmerged += [(Path(path), why) for path in pdfs]
    got.written.append(written)
