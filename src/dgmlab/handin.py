"""What each kit homework's handout asks to hand in, in one table, and what of it a student's folder still lacks.

:data:`HAND_IN` is keyed by homework id; a kit homework with no entry (its handout says nothing of a hand-in, e.g. a
new homework folder) gets :func:`default`. Each :class:`HandIn` says, as the homework's handout states it, where
the work goes (Canvas, Crowdmark), what the notebook file is called there, which files the notebook saves that
are handed in with it (the graded files of the homework's checks: ``tests/test_handin.py`` keeps the two lists
equal), and which PDFs: none, one report, or one per question (:func:`dgmlab.pdf.questions` finds the questions,
``dgmlab pdf <notebook>`` writes ``pdf/<notebook>_<Q>.pdf``). :func:`lines` is the list ``dgmlab.check()``
ends with: each item, then whether it is there, and for a file the homework's checks read as handed in (their
``HAND_IN_FILES``, ``{name: problems(bytes) -> [what it lacks]}``: hw4's results file), what it still lacks.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import homeworks

from . import probes, unfinished
from .pdf import questions, safe_name, shows

PDF_NONE, PDF_REPORT, PDF_PER_QUESTION = "none", "report", "per question"
PDF_INSTALL = "pip install playwright nh3 jupyter-server-mathjax && playwright install --with-deps chromium"


def pdf_command(notebook: Path) -> str:
    """How to make the PDFs of ``notebook``, in a Colab cell as in a terminal (the last cell of a release notebook
    and the student guide say the same)."""
    return (f"make them with `{PDF_INSTALL}` once, then `dgmlab pdf {shlex.quote(str(notebook))}` (in a Colab "
            f"cell, each command after a !)")


@dataclass(frozen=True)
class HandIn:
    """One homework's hand-in, as its handout states it."""

    where: str                 # where it is handed in ("Canvas", "Crowdmark"; "": the handout does not say)
    notebook: str              # the notebook's file name as the handout asks for it
    files: tuple = ()          # files the notebook saves in the homework folder, handed in with it
    pdfs: str = PDF_NONE       # PDF_NONE, PDF_REPORT (one PDF of the whole notebook) or PDF_PER_QUESTION
    report: str = ""           # PDF_REPORT: the report's file name as the handout asks for it
    report_note: str = ""      # PDF_REPORT: what the handout asks the report to hold (the hand-in cell says it)
    run_note: str = ""         # how the notebook is handed in, after its name ("with all the cells run")
    notes: tuple = field(default_factory=tuple)  # what else the handout asks, one sentence each
    stated: bool = True        # False: the handout says nothing of a hand-in, so this is the kit's default
    written_apart: bool = False  # the handout lets written answers be handed in apart from the notebook (handwritten)
    files_added: str = ""      # the handout does not list ``files``: why the course adds them ("": the handout does)


HAND_IN = {
    "hw1_wgan": HandIn("Canvas", "hw1_wgan.ipynb", ("generator_weights.pt",),
                       notes=("the notebook run top to bottom: its outputs hold the 100 samples, the MNIST "
                              "classifier score (the handout's Inception Score) and the interpolations the handout "
                              "asks for",)),
    "hw2_wgangp": HandIn("", "hw2_wgangp.ipynb", ("p5_generator_weights.pt",),
                         notes=("the notebook run top to bottom: its outputs hold the plots of your results the "
                                "handout asks for (the handout's models.py and two notebooks are this one "
                                "notebook here)",)),
    "hw3_flows": HandIn("", "hw3_flows.ipynb", stated=False,
                        notes=("the notebook run top to bottom, every answer filled in",)),
    "hw4_gans": HandIn("Canvas", "hw4_gans.ipynb",
                       ("baseline_generator_weights.pt", "baseline_training_record.pt", "cgan_generator_weights.pt",
                        "hw4_results.json"),
                       pdfs=PDF_REPORT, report="<your kerberos>.pdf", run_note="with all the cells run",
                       report_note="your answers to every question with the images and plots of your results and "
                                   "the code you wrote; the PDF of the whole notebook is one, renamed",
                       files_added="P0's results and P2's and P3's trained generators are scored from these "
                                   "files, not from the notebook"),
    "hw5_explicit": HandIn("Crowdmark", "<YourLastname>_<YourFirstname>_Assgn2.ipynb",
                           ("p1_pixelcnn_weights.pt", "p2_realnvp_weights.pt"), pdfs=PDF_PER_QUESTION, written_apart=True,
                           notes=("each question's PDF uploaded to its own field on Crowdmark; the notebook, run, "
                                  "attached to the last item",
                                  "written answers: typed in the notebook (then they are in the question's PDF), "
                                  "or handwritten as a .pdf, .jpg or .png uploaded to the question",
                                  "file names with your name as Quercus shows it")),
}


DEFAULT_NOTE = "the notebook run top to bottom, every answer filled in"


def default(hw: str) -> HandIn:
    """The kit's hand-in for a kit homework whose handout states none: the notebook ``<hw>.ipynb``, run, with the
    files its checks grade (each CheckSpec's ``files``), no PDF."""
    checks = probes.optional_module(probes.checks_package(hw))
    files = sorted({name for spec in getattr(checks, "CHECKS", ()) for name in spec.files})
    return HandIn("", f"{hw}.ipynb", tuple(files), stated=False, notes=(DEFAULT_NOTE,))


COLAB_NOTEBOOKS = "/content/drive/MyDrive/Colab Notebooks"  # where Colab saves a notebook opened from Drive


def markdown(hw: str) -> str:
    """The last cell of ``hw``'s notebook: what to hand in, as :data:`HAND_IN` says, and how to make the PDFs in Colab
    (the commands :func:`pdf_command` names, each in a cell)."""
    got = of(hw)
    own = "<" in got.notebook  # a name of the student's own
    items = [f"this notebook, saved as `{got.notebook}`" + (" (with your own name)" if own else "")
             + (f", {got.run_note}" if got.run_note else "")]
    files = ""
    if got.files:
        names = [f"`{name}`" for name in got.files]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        files = (f"{listed}, which the notebook saves in the homework folder (in Colab, download "
                 f"{'it' if len(names) == 1 else 'them'} from Google Drive, `MyDrive/dgm-course/{hw}/`)")
        if not got.files_added:
            items.append(files)
    if got.pdfs == PDF_PER_QUESTION:
        items.append("one PDF per question")
    if got.report_note:
        items.append(f"the report, named `{got.report}` as the handout asks: {got.report_note}")
    items += [*got.notes, "not `checkpoints/`"]
    asks = ((f"On {got.where}, as" if got.where else "As") + " the handout asks:" if got.stated else
            "The handout does not say what to hand in; the course asks for:")
    out = ["## What to hand in", "", asks, "",
           *[f"- {item};" for item in items[:-1]], f"- {items[-1]}."]
    if files and got.files_added:
        out += ["", f"The handout lists only these; this course also needs {files}, handed in with them: "
                    f"{got.files_added}."]
    if got.pdfs != PDF_NONE:
        what = "the PDF of the notebook" if got.pdfs == PDF_REPORT else "one PDF per question (and one of the whole)"
        out += ["", f"Make {what} with `dgmlab pdf`. In Colab, save the notebook, then run in a new cell (the first "
                    "line once per session: Colab has no `chromium` package, so Playwright brings its own)"
                    + (", with your notebook's name in the path" if own else "") + ":",
                "", "```", f"!{PDF_INSTALL}", f'!dgmlab pdf "{COLAB_NOTEBOOKS}/{got.notebook}"', "```", "",
                "The PDFs are written to `pdf/` beside the notebook; on your own machine run `dgmlab pdf <notebook>` "
                "in a terminal."]
    out += ["", "Before you hand in, run `dgmlab.check()` in a new cell: it runs the notebook's checks and ends with "
                "this list, saying what is still missing."]
    return "\n".join(out)


def of(hw: str | None) -> HandIn | None:
    """The hand-in of homework ``hw``: :data:`HAND_IN`'s, :func:`default` for another kit homework (a folder
    ``homeworks/<hw>/``), or ``None`` (a course's own homework: its handout says)."""
    if hw in HAND_IN:
        return HAND_IN[hw]
    return default(hw) if hw in homeworks.names() else None


def question_pdfs(nb, stem: str) -> list[tuple[str, str]]:
    """``[(question label, PDF file name)]`` that ``dgmlab pdf`` writes for notebook ``nb`` saved as ``stem``."""
    name = safe_name(stem)
    return [(q.label, f"{name}_{safe_name(q.label)}.pdf") for q in questions(nb)]


def failing_files(cells) -> dict:
    """``{file: the first test cell whose visible checks fail on it}`` for the graded files present: a cell that fails
    only because another of its files is missing (P0 without its results file) fails none of those present."""
    out = {}
    for c in cells:
        if c.failures:
            for name, size in c.files:
                if size is not None:
                    out.setdefault(name, c.grade_id)
    return out


MAX_READ = 2**20  # a handed-in file read for what it lacks: at most this much (the checks refuse far less)


def file_problems(hw: str, path: Path) -> list[str]:
    """What the handed-in file ``path`` still lacks, as ``hw``'s checks say it (their ``HAND_IN_FILES``), each said
    after the file's name; ``[]`` when they read no such file or it lacks nothing."""
    problems = getattr(probes.optional_module(probes.checks_package(hw)), "HAND_IN_FILES", {}).get(path.name)
    if problems is None:
        return []
    with open(path, "rb") as f:
        return problems(f.read(MAX_READ + 1))


def incomplete(hw: str | None, folder) -> list[str]:
    """The files of ``hw``'s hand-in present in ``folder`` that still lack something (:func:`file_problems`)."""
    got = of(hw)
    paths = [Path(folder) / name for name in (got.files if got else ())]
    return [path.name for path in paths if path.is_file() and file_problems(hw, path)]


def _found(name: str, folders) -> Path | None:
    for folder in folders:
        path = Path(folder) / name
        if path.is_file():
            return path
    return None


def _renamed_report(stem: str, folders) -> Path | None:
    """The report renamed as the handout asks (``<your kerberos>.pdf``): the newest PDF in ``folders`` that is
    not named after the notebook or a homework (``dgmlab pdf``'s PDFs, a handout's ``hw4.pdf``), or ``None``."""
    taken = (safe_name(stem), *homeworks.names())
    found = [path for folder in dict.fromkeys(Path(f) for f in folders) if folder.is_dir()
             for path in folder.glob("*.pdf") if path.is_file() and not path.stem.startswith(taken)
             and not re.match(r"hw\d", path.stem, re.I)]
    return max(found, key=lambda path: path.stat().st_mtime, default=None)


def _pdf_folders(notebook: Path, files_folder: Path) -> list[Path]:
    return [notebook.parent / "pdf", files_folder / "pdf", files_folder, notebook.parent]


def _report(stem: str, folders) -> tuple[Path | None, bool]:
    """The report PDF found in ``folders``: (its path, whether it is the notebook's PDF under dgmlab pdf's name
    rather than one renamed as the handout asks), or ``(None, False)``."""
    found = _found(f"{safe_name(stem)}.pdf", folders)
    return (found, True) if found else (_renamed_report(stem, folders), False)


def stale_pdfs(hw: str | None, notebook, files_folder, nb=None) -> list[Path]:
    """The PDFs of ``hw``'s hand-in found for the saved ``notebook`` (read: ``nb``, for its questions) that are
    older than it and do not show it as it is (:func:`dgmlab.pdf.shows`): made before the notebook was last run
    or changed, so they may not show the work handed in."""
    got = of(hw)
    if got is None or got.pdfs == PDF_NONE:
        return []
    notebook, files_folder = Path(notebook).resolve(), Path(files_folder).resolve()
    if not notebook.is_file():
        return []
    folders = _pdf_folders(notebook, files_folder)
    if got.pdfs == PDF_REPORT:
        found = [_report(notebook.stem, folders)[0]]
    else:
        if nb is None:
            import nbformat

            try:
                nb = nbformat.read(notebook, as_version=4)
            except Exception:  # noqa: BLE001 - a notebook nbformat cannot read names no question PDF
                return []
        found = [_found(name, folders) for _, name in question_pdfs(nb, notebook.stem)]
    return [path for path in found if path is not None and not shows(path, notebook, folders)]


def _older(notebook: Path) -> str:
    return (f"older than the notebook (saved after it), so it may not show your last run or changes: make it again "
            f"with `dgmlab pdf {shlex.quote(str(notebook))}`")


def lines(hw: str | None, notebook: Path, nb, files_folder: Path, failing: dict | None = None,
          saved=None) -> list[str]:
    """The hand-in list of ``hw`` for the saved ``notebook`` (read: ``nb``) whose files are in ``files_folder``,
    each item marked present or MISSING (or, for a file in ``failing``, ``{file: test cell}``, present but failing
    that cell's visible checks; ``saved``: :func:`dgmlab.unfinished.of` the saved notebook, whether it was run and
    which written answers are blank), then one line naming what is missing; ``[]`` for a homework without an entry
    in :data:`HAND_IN`."""
    got = of(hw)
    if got is None:
        return []
    notebook, files_folder = Path(notebook).resolve(), Path(files_folder).resolve()
    pdf_folders = _pdf_folders(notebook, files_folder)
    out = [(f"Hand in on {got.where}, as" if got.where else "Hand in, as") + f" the handout of {hw} asks"
           + (", with the files this course adds:" if got.files_added else ":") if got.stated else f"Hand in (the handout of {hw} does not say; the course asks for):"]
    missing = []
    run = f", {got.run_note}" if got.run_note else ""
    if "<" in got.notebook:  # a name of the student's own
        out.append(f"  ok the notebook {notebook.name}{run}, named {got.notebook} when you upload it")
    elif notebook.name == got.notebook:
        out.append(f"  ok the notebook {got.notebook}{run}")
    else:  # Colab's "Copy of hw1_wgan.ipynb", a download's "hw1_wgan (1).ipynb"
        out.append(f"  !! the notebook {got.notebook}{run}: yours is saved as {notebook.name}, and the "
                   f"{'handout' if got.stated else 'course'} asks for {got.notebook}. Rename it before you hand it in "
                   "(in Colab: File > Rename; elsewhere, rename the file), then check the renamed notebook")
        missing.append(f"the notebook's name {got.notebook} (yours is {notebook.name})")
    if saved is not None:
        said, lacking = unfinished.lines(saved, on_paper=got.written_apart)
        out += said
        missing += lacking
    for name in got.files:
        path = files_folder / name
        if path.is_file() and name in (failing or {}):
            out.append(f"  !! {name} ({path.stat().st_size:,} bytes, in {files_folder}): handed in like this it fails "
                       f"the visible checks of {failing[name]} (above): save it again as the notebook says")
            missing.append(f"{name} (failing its checks)")
        elif path.is_file() and (lacks := file_problems(hw, path)):
            out.append(f"  !! {name} ({path.stat().st_size:,} bytes, in {files_folder}) is not ready to hand in: it "
                       + "; it ".join(lacks))
            missing.append(f"{name} (incomplete)")
        elif path.is_file():
            out.append(f"  ok {name} ({path.stat().st_size:,} bytes, in {files_folder})")
        else:
            out.append(f"  !! {name}: MISSING in {files_folder}")
            missing.append(name)
    stale = stale_pdfs(hw, notebook, files_folder, nb)
    if got.pdfs == PDF_REPORT:
        whole = f"{safe_name(notebook.stem)}.pdf"
        found, own_name = _report(notebook.stem, pdf_folders)
        if found and stale:
            out.append(f"  !! the report {got.report}: {found} is {_older(notebook)}"
                       + (", then rename it" if own_name else " and rename it as before"))
            missing.append(f"{got.report} (older than the notebook)")
        elif found and own_name:
            out.append(f"  ok the report {got.report}: the notebook's PDF is {found} (rename it)")
        elif found:
            out.append(f"  ok the report {got.report}: {found} (hand in the PDF of the whole notebook)")
        else:
            out.append(f"  !! the report {got.report}: no PDF of the notebook yet ({whole} in "
                       f"{notebook.parent / 'pdf'}); {pdf_command(notebook)}")
            missing.append(got.report)
    elif got.pdfs == PDF_PER_QUESTION:
        each = question_pdfs(nb, notebook.stem)
        lacking = [(label, name) for label, name in each if _found(name, pdf_folders) is None]
        out.append(f"  {'!!' if lacking else 'ok'} one PDF per question ({len(each)}): "
                   + ", ".join(f"{label} {name}" + (" MISSING" if (label, name) in lacking else "")
                               for label, name in each))
        if lacking:
            where = " and ".join(dict.fromkeys(str(f) for f in (notebook.parent / "pdf", files_folder / "pdf")))
            out.append(f"     looked in {where}; {pdf_command(notebook)}")
            missing += [name for _, name in lacking]
        if stale:
            out.append(f"  !! {', '.join(path.name for path in stale)}: {_older(notebook)}")
            missing += [f"{path.name} (older than the notebook)" for path in stale]
    out += [f"  also: {note}" for note in got.notes]
    out.append("missing from the hand-in: " + (", ".join(missing) if missing else "nothing"))
    return out
