"""Check a homework notebook before handing it in, the way the autograder runs it.

``dgmlab check <notebook>`` (a terminal) or ``dgmlab.check()`` (a notebook cell) runs the saved
notebook (a copy, with copies of the files beside it or in the folder ``--files`` names, in a temporary
folder) top to bottom in a fresh kernel
(in the autograder's bubblewrap sandbox when this machine has it) in grading mode (``NBGRADER_EXECUTION=autograde``,
so nothing trains, as when graded) with the autograder's cell time limit, then reads each graded
test cell's visible checks the way the grader judges them (:func:`dgmlab.probes.judge`) and
prints, per question: the visible points earned of those available, each failing check with its
hint, the points only hidden tests decide and the files graded cells read (present or missing; their
shape, range and quality are checked by the cells themselves, which run here on your files). It ends with the
hand-in list of the homework as its handout states it (:mod:`dgmlab.handin`: the notebook's name, whether the saved
notebook was run and which written answers are blank (:mod:`dgmlab.unfinished`), the files, the PDFs) and what of it
is missing. It exits 1 when a visible check fails, a check cannot run, a graded file is missing or incomplete
(:func:`dgmlab.handin.incomplete`), a PDF handed in is older than the notebook (:func:`dgmlab.handin.stale_pdfs`),
a written answer is blank or the saved notebook ran in quick mode.

A ``dgmlab.check()`` cell in the notebook is never run again by the check's own run (nor by the autograder's):
while graded or checked, :func:`check` does nothing (grading mode). A cell that runs past the autograder's cell
time limit is interrupted, as the autograder interrupts it, and the report names it.

What it cannot do: run the hidden tests (they are not in your notebook) or restore cells you
edited that the autograder restores (locked cells).
"""
from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from . import handin, probes, runtime, unfinished, workspace
from .probes import wire
from .probes.points import fmt, points_text
from .runtime import GRADING_ENV
from .tex_text import plain

CELL_TIMEOUT = 120  # nbgrader_config.py's Execute.timeout
MAX_COPY = 200 * 2**20  # files beside the notebook larger than this are not copied (checkpoints)


@dataclass
class CellResult:
    grade_id: str
    question: str
    points: float
    visible_points: float   # what the visible checks can earn
    visible_earned: float
    hidden_points: float    # decided by hidden tests when graded
    failures: list = field(default_factory=list)  # lines "FAILED test_x: ..." or why the cell earns 0
    files: list = field(default_factory=list)  # (name, bytes or None when missing) of the files the cell grades

    @property
    def ok(self) -> bool:
        return not self.failures and all(size is not None for _, size in self.files)


@dataclass
class Report:
    path: Path
    cells: list
    empty_written: list  # (question, grade_id)
    hand_points: float
    files_folder: Path | None = None  # where the graded files were read (None: beside the notebook)
    errors: list = field(default_factory=list)  # (cell number, first line, what it raised) of cells not graded
    hand_in: list = field(default_factory=list)  # the hand-in list's lines (dgmlab.handin.lines)
    unfinished: unfinished.Unfinished | None = None  # whether the saved notebook was run, its blank written answers
    hw: str | None = None  # the homework the setup cell names

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.cells)


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _questions(nb) -> dict:
    """``{cell index: the title of the last '## ' heading above it}``, as plain text (no ``$`` or LaTeX)."""
    title, out = "", {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    title = plain(line[3:])
        out[i] = title
    return out


def _graded_files(hw, grade_id) -> tuple:
    """The files test cell ``grade_id`` grades (its spec's ``files``), read from beside the notebook."""
    try:
        return probes.spec_for(hw, grade_id).files
    except KeyError:
        return ()


def _size(path: Path):
    return path.stat().st_size if path.is_file() else None


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _probe_result(cell, hw, question, folder=None) -> CellResult:
    """A check() test cell: judged here on its visible tests as the grader judges them (a run of this
    module shows the probe's data), or read from the grader's report (an autograded notebook)."""
    meta = _meta(cell)
    points = float(meta.get("points", 0))
    gid = meta.get("grade_id", "?")
    spec = probes.spec_for(hw, gid)
    visible_points = spec.points - spec.hidden
    shown = [o.get("data", {}).get(probes.PROBE_MIME) for o in cell.get("outputs", [])
             if o.get("output_type") in ("display_data", "execute_result")]
    shown = [b for b in shown if b is not None]
    if not shown:  # judged by the grader: its report says which visible tests passed
        lines = _stdout(cell).splitlines()
        weights = {name: w for name, w, hidden in probes.plan(spec)}
        earned = sum(w for name, w in weights.items() if any(line.startswith(f"passed {name}:") for line in lines))
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        failures = [line.strip() for line in lines if line.startswith("FAILED ") and "(hidden test)" not in line]
        if errors and not lines:
            failures.append("the cell earns 0: " + "; ".join(f"{e.get('ename')}: {str(e.get('evalue', ''))[:300]}"
                                                             for e in errors))
        return CellResult(gid, question, points, visible_points, round(earned, 4), spec.hidden, failures)
    if len(shown) > 1 or not isinstance(shown[0], dict) or shown[0].get("cell") != gid:
        return CellResult(gid, question, points, visible_points, 0.0, spec.hidden,
                          ["the cell earns 0: it showed more than one check result, or another cell's"])
    try:
        data = wire.loads(shown[0].get("data"))
    except wire.WireError as exc:
        return CellResult(gid, question, points, visible_points, 0.0, spec.hidden, [f"the cell earns 0: {exc}"])
    result = probes.judge(hw, spec, data, 0, folder=folder)
    failures = [line for line in result.lines if line.startswith("FAILED ")]
    return CellResult(gid, question, points, visible_points, result.earned, spec.hidden, failures)


def cell_result(cell, question="", hw: str | None = None, folder=None) -> CellResult:
    """What one executed graded test cell earned from its visible checks (see :class:`CellResult`);
    ``hw``: the homework (see :func:`dgmlab.probes.homework_of`); ``folder``: where the files a cell
    grades are (beside the notebook)."""
    meta = _meta(cell)
    points = float(meta.get("points", 0))
    if probes.cell_call(cell.source) is not None:
        return _probe_result(cell, hw, question, folder)
    return CellResult(meta.get("grade_id", "?"), question, points, 0.0, 0.0, points,
                      ["the cell earns 0: it does not call check(), so the grader cannot judge it (tell your "
                       "instructor)"])


def _sandboxed_kernel(stack, root: Path, folder: Path, sandbox: bool | None):
    """A kernel manager that starts the kernel in the grading sandbox (entered on ``stack``), which sees of this
    machine only what :func:`dgmlab.grading.isolation.bubblewrap.host_view` shows and ``folder`` (nothing else of ``root``), or ``None`` (a plain kernel) when ``sandbox``
    is False or, for ``None``, unavailable (as where the grader, which has the sandbox, is not installed)."""
    if sandbox is False:
        return None
    try:
        from .grading.isolation import kernel_sandbox
    except ImportError:  # a student's environment: the student package only
        if sandbox:
            raise ValueError("the sandbox was asked for, but it comes with the grader (dgmlab-grader), which is "
                             "not installed here") from None
        return None
    usable, why = kernel_sandbox.available()
    if sandbox is False or (sandbox is None and not usable):
        return None
    if not usable:
        raise ValueError(f"the sandbox was asked for but is not available here: {why}")
    from traitlets.config import Config

    box = stack.enter_context(kernel_sandbox.Sandbox(folder))
    config = Config()
    box.configure(config)
    from .grading.isolation.kernels import GradingKernelManager

    km = GradingKernelManager(config=config)
    stack.callback(_shut_down, km)  # before the sandbox's folders go: nbclient stops only a kernel it made itself
    return km


def _shut_down(km) -> None:
    """Stop ``km``'s kernel, if it started one, and every process of it (else each check leaves one running)."""
    from nbclient.util import run_sync

    if km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)


def visible_points(executed_nb) -> dict:
    """``{test cell grade id: visible points earned}`` read from an executed notebook (the autograder's
    output, or a check's), the way :func:`check_notebook` reads them."""
    hw = probes.homework_of(executed_nb)
    out = {}
    for cell in executed_nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"]] = cell_result(cell, hw=hw).visible_earned
    return out


def graded_files_folder(path) -> Path:
    """Where the files of the saved notebook at ``path`` are, when no folder is named: beside it, but in Colab, for a
    notebook kept outside its homework folder (``MyDrive/Colab Notebooks/``), the homework folder on Drive
    (``MyDrive/<course>/<hw>/``, where its setup cell saves every file) when that folder exists."""
    path = Path(path)
    if not workspace.in_colab():
        return path.parent
    try:
        hw = probes.homework_of(_read(path))
        drive = workspace.course_folder() / hw if hw else None
    except (OSError, ValueError):
        return path.parent
    if drive is None or not drive.is_dir() or drive.resolve() == path.parent.resolve():
        return path.parent
    return drive


def _read(path: Path):
    """The notebook at ``path``, read without nbformat's warnings about what it repairs (a cell the student added
    in Colab has no id: nbformat gives it one and would say so on every check)."""
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.read(path, as_version=4)


def check_notebook(path, timeout: int = CELL_TIMEOUT, kernel_name: str = "python3",
                   sandbox: bool | None = None, files=None) -> Report:
    """Run the notebook at ``path`` (a copy, in a temporary folder beside copies of its files) in
    grading mode and read its graded cells; see the module docstring.

    ``files``: the folder holding the files the notebook wrote (the homework folder; in Colab it is
    not the notebook's folder); default: the notebook's folder. ``sandbox``: run the kernel in the
    autograder's bubblewrap sandbox (no network, only the copy's folder writable); ``None`` (default):
    when this machine has it, as the autograder does."""
    from nbclient import NotebookClient

    if os.environ.get(GRADING_ENV):  # a check (or `!dgmlab check`) in a notebook being graded or checked
        raise ValueError(SKIPPED_IN_GRADING)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: give the path of your saved notebook (.ipynb)")
    files_dir = Path(files) if files is not None else path.parent
    if not files_dir.is_dir():
        raise FileNotFoundError(f"the folder of graded files {files_dir} does not exist: give the homework folder "
                                f"the notebook saved its files in")
    try:
        nb = _read(path)
    except Exception as exc:  # not JSON, not UTF-8, not a notebook
        raise ValueError(f"{path} is not a readable notebook ({exc}); the autograder would reject it too") from None
    saved = unfinished.of(nb)  # the saved file as it is, before the run below fills in its outputs
    with tempfile.TemporaryDirectory(prefix="dgmlab-check-") as scratch:
        # the copy sits one folder down: the sandbox hides and makes read-only its course root (scratch), and
        # binds only the notebook's folder writable inside it, as the autograder's does
        tmp = os.path.join(scratch, "notebook")
        os.mkdir(tmp)
        for item in files_dir.iterdir():  # the files the notebook wrote (what graded cells read), copied so
            if (item.is_file() and item.name != path.name and not item.name.startswith(".")  # the run never
                    and item.stat().st_size <= MAX_COPY):                                   # writes over yours
                shutil.copy(item, Path(tmp) / item.name)
        shutil.copy(path, Path(tmp) / path.name)
        own_checks = path.parent / "checks.py"  # a course's own homework: its checks beside the notebook
        if own_checks.is_file() and not (Path(tmp) / "checks.py").exists():
            shutil.copy(own_checks, Path(tmp) / "checks.py")
        env_before = dict(os.environ)
        os.environ["NBGRADER_EXECUTION"] = "autograde"  # the kernel inherits it: grading mode
        try:
            with contextlib.ExitStack() as stack:
                client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name=kernel_name,
                                        interrupt_on_timeout=True,  # as nbgrader_config.py's Execute
                                        resources={"metadata": {"path": tmp}},
                                        km=_sandboxed_kernel(stack, Path(scratch), Path(tmp), sandbox))
                started = {}
                client.on_cell_execute = lambda cell, cell_index: started.update(last=(cell_index, time.monotonic()))
                client.on_cell_executed = lambda cell, cell_index, execute_reply: _note_timeout(
                    cell, started.get("last"), timeout)
                # the kernel's own log (its "running over TCP" warning first of all) is not the report: kept aside,
                # and shown only when the kernel stopped
                kernel_log = stack.enter_context(tempfile.TemporaryFile(mode="w+", encoding="utf-8"))
                try:
                    client.execute(stderr=kernel_log)
                except Exception as exc:  # the kernel died or stopped answering: say which cell, not a traceback
                    kernel_log.seek(0)
                    said = KERNEL_TCP_WARNING.sub("", kernel_log.read()).strip()[-2000:]
                    raise ValueError(_stopped(exc, started.get("last"), nb, timeout)
                                     + (f"\nthe kernel said:\n{said}" if said else "")) from None
        finally:
            os.environ.clear()
            os.environ.update(env_before)

    hw = probes.homework_of(nb)
    if hw:
        probes.load_checks(hw, files_dir if (files_dir / "checks.py").is_file() else path.parent)  # a course's
        # own homework: its checks.py, with the files or beside the notebook
    titles = _questions(nb)
    cells, empty, hand, errors = [], [], 0.0, []
    for i, cell in enumerate(nb.cells):
        meta = _meta(cell)
        if cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
            raised = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if raised:
                errors.append((i + 1, _first_line(cell.source), _raised(raised[0])))
        if not meta.get("grade"):
            continue
        if cell.cell_type == "code" and not meta.get("solution"):
            result = cell_result(cell, titles[i], hw=hw, folder=files_dir)
            result.files = [(name, _size(files_dir / name)) for name in _graded_files(hw, meta.get("grade_id"))]
            cells.append(result)
        elif cell.cell_type == "markdown":
            hand += float(meta.get("points", 0))
            if unfinished.is_blank(cell.source):
                empty.append((titles[i], meta.get("grade_id", "?")))

    return Report(path, cells, empty, hand, None if files_dir.resolve() == path.parent.resolve() else files_dir,
                  errors, handin.lines(hw, path, nb, files_dir, handin.failing_files(cells), saved), saved, hw)


def _first_line(source: str) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return first if len(first) <= 70 else first[:67] + "..."


def _raised(error) -> str:
    """What an error output says, in one line: ``ValueError: ...``, or the time limit for an interrupted cell."""
    if error.get("dgmlab_timeout"):
        return error["dgmlab_timeout"]
    text = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".strip().rstrip(":")
    return text if len(text) <= 300 else text[:297] + "..."


def _note_timeout(cell, started, timeout) -> None:
    """Marks the error of a cell interrupted at the time limit (nbclient leaves a KeyboardInterrupt) as such."""
    if started is None or time.monotonic() - started[1] < timeout:
        return
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            out["dgmlab_timeout"] = (f"it ran longer than the autograder's limit of {timeout} s for one cell and was "
                                     f"interrupted: when graded it is interrupted too (skip long training while "
                                     f"graded: see the homework's training cells)")


def _stopped(exc, started, nb, timeout) -> str:
    """Why the run stopped at a cell, for the student: which cell, and what happened."""
    where = "the notebook"
    if started is not None:
        i = started[0]
        where = f"cell {i + 1} ({_first_line(nb.cells[i].source)!r})"
    name = type(exc).__name__
    if name == "DeadKernelError":
        what = "the kernel died (out of memory, or the code ended the process)"
    elif "Timeout" in name:
        what = f"it did not finish within {timeout} s and could not be interrupted"
    else:
        what = f"{name}: {str(exc).strip()[:300]}"
    return f"the check stopped at {where}: {what}; the autograder would stop there too. Fix that cell and check again."


def _noun(x: float) -> str:
    return "point" if fmt(x) == "1" else "points"


def _are(x: float) -> str:
    return "is" if fmt(x) == "1" else "are"


def asked(report: Report, question: str | None = None) -> list:
    """The report's cells whose question or grade id starts with ``question`` (all of them when it is None)."""
    return [c for c in report.cells if question is None or c.question.lower().startswith(question.lower())
            or c.grade_id.startswith(question)]


def format_report(report: Report, question: str | None = None) -> str:
    """The report as students read it (``question``: only cells whose question or grade id starts with it)."""
    cells = asked(report, question)
    if question is not None and not cells:  # "0 of 0 visible points ... all pass" would say a wrong name passed
        headings = sorted({c.question.split()[0].rstrip(".:") for c in report.cells if c.question})
        return (f"{report.path.name}: no question or test cell starts with {question!r}: give one of "
                f"{', '.join(headings) or 'its test cells grade ids'} (or a test cell's grade id)")
    earned = sum(c.visible_earned for c in cells)
    available = sum(c.visible_points for c in cells)
    hidden = sum(c.hidden_points for c in cells)
    lines = [f"{report.path.name}: {fmt(earned)} of {fmt(available)} visible {_noun(available)}; "
             f"{points_text(hidden).replace(' point', ' more point')} {_are(hidden)} decided by hidden tests when "
             f"graded" + (f"; {points_text(report.hand_points)} {_are(report.hand_points)} graded by hand"
                          if question is None else "") + "."]
    where = "beside the notebook" if report.files_folder is None else f"in {report.files_folder}"
    if report.files_folder is not None:
        lines.append(f"graded files read from {report.files_folder}")
    current = None
    for c in cells:
        if c.question != current:
            current = c.question
            lines.append(f"\n{current or '(no question heading)'}")
        extra = f"+{fmt(c.hidden_points)} decided by hidden tests"
        mark = "ok" if c.ok else "!!"
        lines.append(f"  {mark} {c.grade_id}: {fmt(c.visible_earned)} of {fmt(c.visible_points)} visible "
                     f"{_noun(c.visible_points)} ({extra})")
        lines += [f"       {f}" for f in c.failures]
        lines += [f"       graded file {name}: " + (f"present ({size:,} bytes)" if size is not None else
                                                     f"MISSING {where}: this cell earns 0 without it; "
                                                     "save it there and submit it with the notebook")
                  for name, size in c.files]
    if report.errors:
        lines.append("\ncells that raised an error when run top to bottom in grading mode (what the graded cells "
                     "after them see):")
        lines += [f"  !! cell {n} ({first!r}): {what}" for n, first, what in report.errors]
    lines.append("\nall visible checks pass" if all(c.ok for c in cells) else
                 "\nsome visible checks fail or graded files are missing: see the lines marked !!")
    if report.hand_in:  # it says whether the notebook was run and which written answers are blank
        lines += ["", *report.hand_in]
    elif report.unfinished is not None:
        lines += ["", *unfinished.lines(report.unfinished)[0]]
    return "\n".join(lines)


COLAB_NOTEBOOKS = "Colab Notebooks"  # the folder of MyDrive where Colab saves the notebooks it opens
MAX_NOTEBOOK_READ = 20 * 2**20  # notebooks larger than this are not opened to see which homework they are
MAX_DRIVE_FOLDERS = 3000  # folders of MyDrive searched for the notebook at most (a Drive is slow to list)
SKIPPED_FOLDERS = {"checkpoints", "pdf", "__pycache__", "figures", "data", "MNIST", "cifar-10-batches-py"}
SKIPPED_IN_GRADING = ("dgmlab.check() does nothing while the notebook is graded or checked (it would run the whole "
                      "notebook again): run it in your own session, outside the graded run.")


def _places(hw: str | None) -> list:
    """``[(folder, what it is)]`` where :func:`find_notebook` looks, in that order, without repeats."""
    places = [(workspace.folder(), "the homework folder")]
    if workspace.in_colab() and not runtime.is_grading():
        places.append((workspace.drive_mount() / "MyDrive" / COLAB_NOTEBOOKS, "where Colab saves notebooks"))
        if hw is not None:
            try:
                places.append((workspace.course_folder() / hw, "the homework folder on Google Drive"))
            except ValueError:  # a course folder name the setup cell would reject too
                pass
    seen, out = set(), []
    for folder, what in places:
        key = Path(folder).resolve()
        if key not in seen:
            seen.add(key)
            out.append((Path(folder), what))
    return out


def _is_homework(path: Path, hw: str) -> bool:
    """Whether the notebook at ``path`` is homework ``hw``: its name says so, or its setup cell does."""
    if hw in path.name:
        return True
    try:
        if path.stat().st_size > MAX_NOTEBOOK_READ:
            return False
        import nbformat

        return probes.homework_of(nbformat.read(path, as_version=4)) == hw
    except Exception:  # unreadable, not a notebook: not this homework
        return False


def find_notebook(hw: str | None = None) -> tuple[Path, list]:
    """The saved notebook :func:`check` checks when given no path, and the other candidates it found.

    ``hw`` (default: the homework the setup cell named) picks the notebooks of that homework. It looks
    in the homework folder (the working directory the setup cell entered) and, in Colab, in
    ``MyDrive/Colab Notebooks/`` (where Colab keeps a notebook opened or copied to Drive) and in the
    homework folder on Drive (``MyDrive/<course>/<hw>/``). Of several candidates it takes the one saved
    last. Raises :class:`FileNotFoundError` listing where it looked when it finds none."""
    hw = hw if hw is not None else workspace.current_homework()
    places = _places(hw)
    found = []
    for folder, what in places:
        if not folder.is_dir():
            continue
        notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.name.startswith("."))
        if what == "where Colab saves notebooks":  # every notebook of the student's Drive: only this homework's
            notebooks = [p for p in notebooks if hw is not None and _is_homework(p, hw)]
        elif hw is not None and len(notebooks) > 1:
            notebooks = [p for p in notebooks if _is_homework(p, hw)] or notebooks
        found += notebooks
    searched = None
    if not found and hw is not None and workspace.in_colab():  # saved in another folder of the Drive
        found, searched = _search_drive(hw, {p.resolve() for p, _ in places})
    if not found:
        looked = "\n".join(f"  {folder} ({what}{'' if folder.is_dir() else ': no such folder'})"
                            for folder, what in places)
        if searched is not None:
            root, count, whole = searched
            looked += (f"\n  every folder of {root} ({count} folders, "
                       + ("all of them" if whole else f"the first {count}: the Drive has more") + ")")
        which = f" of homework {hw}" if hw else ""
        named = f" (named {hw}..., or whose setup cell names {hw})" if hw else ""
        raise FileNotFoundError(
            f"dgmlab.check() found no saved notebook{which}{named}. It looked in:\n{looked}\n"
            f"Save the notebook (File > Save) and run dgmlab.check() again, or give its path, e.g. "
            f"dgmlab.check(path='/content/drive/MyDrive/{COLAB_NOTEBOOKS}/{hw or 'hw1_wgan'}.ipynb')")
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found[0], found[1:]


def _search_drive(hw: str, done: set) -> tuple[list, tuple]:
    """The notebooks of ``hw`` anywhere in ``MyDrive`` (at most :data:`MAX_DRIVE_FOLDERS` folders, hidden and
    :data:`SKIPPED_FOLDERS` left out; ``done``: folders already searched), and ``(MyDrive, folders searched,
    whether that was all of them)``."""
    root = workspace.drive_mount() / "MyDrive"
    found, count, whole = [], 0, True
    for folder, subfolders, names in os.walk(root):
        count += 1
        if count > MAX_DRIVE_FOLDERS:
            count, whole = MAX_DRIVE_FOLDERS, False
            break
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        if Path(folder).resolve() in done:
            continue
        found += [Path(folder) / n for n in sorted(names) if n.endswith(".ipynb") and not n.startswith(".")
                  and _is_homework(Path(folder) / n, hw)]
    return found, (root, count, whole)


# what ipykernel logs on every start over TCP (the check's kernel talks to it on this machine only): noise for a student
KERNEL_TCP_WARNING = re.compile(r"^\[IPKernelApp\] WARNING \| Kernel is running over TCP without encryption\..*$\n?",
                                re.M)


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (a notebook, Colab), where a cell shows what its last line returns."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def check(question: str | None = None, path=None, files=None) -> bool | None:
    """In a notebook: check the *saved* notebook (save it first) and print the report.

    ``path`` defaults to the notebook :func:`find_notebook` finds: in the homework folder the setup cell
    entered or, in Colab, in ``MyDrive/Colab Notebooks/`` (the one saved last, when there are several).
    ``files``: the folder of the files the notebook wrote, default the homework folder the setup cell
    entered (:func:`dgmlab.workspace.folder`), or, given a ``path`` before any setup cell ran, the
    notebook's folder. Runs in a separate process, so this kernel is left as it is. Returns whether every
    visible check passed (``None`` in a notebook, which would show a bare ``True`` or ``False`` under the report);
    prints what went wrong when the check could not run. While graded or checked (grading mode) it does nothing
    and returns ``None``: the check's own run and the autograder's never run it."""
    ok = _check(question, path, files)
    return None if ok is None or _in_notebook() else ok


def _check(question, path, files) -> bool | None:
    if runtime.is_grading():
        print(SKIPPED_IN_GRADING)
        return None

    entered = workspace._folder is not None  # the setup cell chose the homework folder
    if path is None:
        try:
            path, others = find_notebook()
        except FileNotFoundError as exc:
            print(exc)
            return False
        if others:
            print(f"dgmlab.check(): {len(others) + 1} saved notebooks of this homework; checking the one saved last. "
                  f"Others: {', '.join(str(p) for p in others)} (give path=... to check another)")
    elif files is None and not entered:
        files = Path(path).expanduser().parent
    files = Path(files) if files is not None else workspace.folder()
    print(f"checking the saved copy of {path} (save the notebook first), with the files in {files}; "
          f"this takes a minute ...", flush=True)
    args = ([sys.executable, "-m", "dgmlab.cli", "check", str(path), "--files", str(files)]
            + (["--question", question] if question else []))
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    res = subprocess.run(args, capture_output=True, text=True, env=env)
    if res.stdout.strip():
        print(res.stdout.rstrip())
    said = KERNEL_TCP_WARNING.sub("", res.stderr).strip()
    if res.returncode != 0 and said:  # why it could not check, or what went wrong while it did
        print(("dgmlab check said:\n" if res.returncode == 1 else "") + (said if len(said) <= 4000 else
                                                                          "...\n" + said[-4000:]))
    if res.returncode not in (0, 1) and not said and not res.stdout.strip():
        print(f"dgmlab check ended with exit code {res.returncode} and said nothing: run "
              f"!python -m {shlex.join(args[2:])} in a cell to see more")
    return res.returncode == 0
