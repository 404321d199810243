"""Build source notebooks from their builders: what ``dgmlab build`` runs.

A course keeps one builder per homework in ``homeworks/``: a module ``<hw>.py``, or a folder
``<hw>/`` of percent files with an ``__init__.py`` (:mod:`.percent`); neither is part of the installed
package (builders hold the solutions). A builder defines ``build() -> Notebook`` and, for the
proofs, ``MUTANTS`` and optionally ``PARTIAL``, ``CLASS`` and ``EQUIVALENT_MUTANTS``.

A plain build keeps the recorded output of every checked cell whose source did not change; a
checked cell whose source changed loses it, and ``--check`` then fails until the homework is
recorded again (``--record-outputs``). A course's own homework's ``checks.py``, ``hidden.py`` and recorded values
(``expected.json``, ``--record-expected``: :mod:`.expected`) are copied beside the notebook; ``--check`` also fails
while a copy or the recorded values are stale.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import nbformat

import homeworks as kit_homeworks
from dgmlab import probes
from dgmlab.grading import hidden
from dgmlab.grading.references import recorded
from dgmlab.probes import CHECKS_FILE, EXPECTED_FILE, POINTS_FILE

from . import expected, signatures
from .errors import BuildError
from .notebook import CHECK_MARKER, HiddenTestsInCell, Notebook, is_checked
from .percent import build_homework

BUILDERS = Path("homeworks")  # where a course keeps its homeworks' sources (builders), relative to its directory


@dataclass
class Homework:
    """One homework's builder module, bound to the course directory it builds into.

    Attributes its proofs or the module define (``MUTANTS``, ``PARTIAL``, ``CLASS``, ...) read through."""

    hw: str
    module: ModuleType
    root: Path
    proofs: ModuleType | None = None  # a folder's proofs.py, when its __init__.py defines no build() of its own

    def build(self) -> Notebook:
        make = getattr(self.module, "build", None)
        try:
            nb = make() if make is not None else build_homework(self.hw, Path(self.module.__file__).parent)
        except HiddenTestsInCell as exc:  # a builder file's test cell: name the builder's line that made it

            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == self.module.__file__]
            raise BuildError((f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else "") + str(exc)) from None
        if not isinstance(nb, Notebook) or nb.hw != self.hw:
            raise BuildError(f"{self.module.__file__}: build() must return the Notebook of {self.hw!r}")
        nb.root = self.root
        return nb

    def __getattr__(self, name):
        if name.startswith("__") or name in ("module", "proofs"):  # copies and pickles probe before __init__
            raise AttributeError(name)
        if self.proofs is not None and name in getattr(self.proofs, "__all__", [n for n in vars(self.proofs)
                                                                              if not n.startswith("_")]):
            return getattr(self.proofs, name)
        return getattr(self.module, name)


def _import_name(hw: str, path: Path) -> str:
    """What a builder is imported as: ``homeworks.<hw>`` for a folder of the kit's package ``homeworks`` (the name its
    checks and hidden tests are imported by, so the homework is imported once), ``dgmlab_builder_<hw>`` for any other
    (a course's own homework, or a copy of a kit homework in another course directory, never taken for the kit's)."""
    if path.is_dir() and path.parent.resolve() in {Path(p).resolve() for p in kit_homeworks.__path__}:
        return f"{kit_homeworks.__name__}.{hw}"
    return f"dgmlab_builder_{hw}"


def _load(hw: str, path: Path) -> tuple[ModuleType, ModuleType | None]:
    """Import a builder, ``homeworks/<hw>.py`` or the package ``homeworks/<hw>/`` (folder form), under
    :func:`_import_name`, and its proofs. A folder's ``__init__.py`` only describes it: its notebook is its percent
    files (:func:`.percent.parts`) and its proofs are ``proofs.py``'s names (a folder whose ``__init__.py`` defines
    ``build()`` itself, as a course's homework made before 0.1.0 does, is used as it is)."""
    name = _import_name(hw, path)
    module = sys.modules.get(name) if name.startswith(f"{kit_homeworks.__name__}.") else None
    if module is None or Path(getattr(module, "__file__", None) or "").resolve() != (path / "__init__.py").resolve():
        if path.is_dir():
            spec = importlib.util.spec_from_file_location(name, path / "__init__.py",
                                                          submodule_search_locations=[str(path)])
        else:
            spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # a folder's proofs module is imported relatively, as {name}.proofs
        spec.loader.exec_module(module)
    if path.is_dir() and not hasattr(module, "build") and (path / "proofs.py").is_file():
        return module, importlib.import_module(f"{name}.proofs")
    return module, None


def homeworks(root: Path | str = ".") -> dict[str, Homework]:
    """``{hw: Homework}`` for every builder of the course at ``root``: ``homeworks/hw*.py``, or a
    folder ``homeworks/hw*/`` with an ``__init__.py`` (its percent files, see :mod:`.percent`)."""
    root = Path(root).resolve()
    folder = root / BUILDERS
    if not folder.is_dir():
        raise BuildError(f"{root} has no {BUILDERS}/ with homework builders; run from the course directory "
                         "or pass --course PATH")
    found = {}
    for path in sorted(folder.glob("hw*")):
        if path.is_dir() and not (path / "__init__.py").exists():
            raise BuildError(f"{path} has no __init__.py: a homework folder describes itself there "
                             "(docs/authoring.md)")
        if not (path.suffix == ".py" or path.is_dir()):
            continue
        hw = path.stem if path.suffix == ".py" else path.name
        if hw in found:
            raise BuildError(f"{hw} has both a builder file and a folder in {folder}: keep one")
        module, proofs = _load(hw, path)
        found[hw] = Homework(hw, module, root, proofs)
    return found


def select(all_homeworks: dict, wanted: list[str]) -> list[str]:
    """``wanted`` (default: every homework), checked against what exists."""
    unknown = [h for h in wanted if h not in all_homeworks]
    if unknown:
        raise BuildError(f"no builder for {unknown}; known: {sorted(all_homeworks)}")
    return list(wanted) or sorted(all_homeworks)


def _describe(nb, index: int) -> str:
    """``Cell N`` as nbval numbers it (code cells only, from 0), with its first line."""
    number = sum(c.cell_type == "code" for c in nb.cells[:index])
    lines = nb.cells[index].source.splitlines()
    first = next((line for line in lines if line.strip() != CHECK_MARKER), "")
    return f"Cell {number} ({first[:50]!r})"


def record_outputs(nb: Notebook, timeout: int = 600) -> dict:
    """Run ``nb`` in fast mode up to its last checked cell, in a temporary folder (with the homework's
    ``checks.py`` when it is a course's own), and return
    ``{source: (outputs, execution_count)}`` of its checked cells.

    Raises BuildError when a checked cell prints nothing, writes to stderr or shows an image:
    such output cannot be compared exactly (or would bloat the notebook)."""
    from nbclient import NotebookClient

    checked = [i for i, c in enumerate(nb.nb.cells) if is_checked(c)]
    if not checked:
        return {}
    run = nbformat.from_dict(nbformat.v4.new_notebook(metadata=nb.nb.metadata,
                                                      cells=list(nb.nb.cells[:checked[-1] + 1])))
    run = nbformat.from_dict(nbformat.reads(nbformat.writes(run), as_version=4))  # a deep copy
    env = {**os.environ, "DGMLAB_FAST": "1"}
    env.pop("NBGRADER_EXECUTION", None)
    shared = nb.root.parent / "shared" / "datasets"
    if "DGMLAB_DATA" not in env and (shared / "MNIST" / "raw").exists():
        env["DGMLAB_DATA"] = str(shared)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)   # the kernel inherits this process's environment
    try:
        with tempfile.TemporaryDirectory() as tmp:
            checks = getattr(nb, "_checks", None)  # a course's own homework: its checks.py (and recorded values)
            if checks is not None:                 # beside the notebook, as the release hands them out

                for name in (CHECKS_FILE, EXPECTED_FILE, POINTS_FILE):
                    if (Path(checks).parent / name).is_file():
                        (Path(tmp) / name).write_bytes((Path(checks).parent / name).read_bytes())
            NotebookClient(run, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": tmp}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    problems, recorded = [], {}
    for i in checked:
        cell = run.cells[i]
        kinds = {o.output_type for o in cell.outputs}
        if not cell.outputs:
            problems.append(f"{_describe(nb.nb, i)} printed nothing: show or print its exact result")
        elif any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs):
            problems.append(f"{_describe(nb.nb, i)} wrote to stderr (a warning?): silence it or do not check it")
        elif any(k.startswith("image/") for o in cell.outputs for k in o.get("data", {})):
            problems.append(f"{_describe(nb.nb, i)} shows an image: nbval does not compare images; "
                            "check a printed value instead")
        elif not kinds <= {"stream", "execute_result", "display_data"}:
            problems.append(f"{_describe(nb.nb, i)} has outputs of kind {sorted(kinds)}")
        recorded[cell.source] = (cell.outputs, cell.execution_count)
    if problems:
        raise BuildError(f"{nb.hw}: cannot record\n  " + "\n  ".join(problems))
    return recorded


def is_current(nb: Notebook) -> bool:
    """Whether the committed source notebook is exactly what ``nb`` would write."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = nb.save(Path(tmp) / "nb.ipynb").read_text(encoding="utf-8")
    return nb.path.exists() and nb.path.read_text(encoding="utf-8") == fresh


def points_text(nb: Notebook) -> tuple[Path, str] | None:
    """``(path, text)`` of a kit homework's points file (its test cells' points and hidden shares, their tests'
    ``@points`` summed: :func:`dgmlab.probes.derive_points`), one cell a line, or ``None``."""
    if nb.points_file is None:
        return None
    path, table = nb.points_file
    lines = [f" {json.dumps(cell)}: {json.dumps(table[cell])}" for cell in sorted(table)]
    return Path(path), "{\n" + ",\n".join(lines) + "\n}\n"


def _record_expected(hw: str, nb: Notebook) -> Path:
    """Record ``hw``'s visible values (``--record-expected``): a kit homework's from its grader's references, as
    ``tools/record_expected.py`` does (:func:`dgmlab.grading.references.recorded.write_expected`), a course's own
    into ``homeworks/<hw>/`` (:func:`.expected.record`)."""
    if hw in probes.KIT_HOMEWORKS:
        path = recorded.write_expected(hw)
        if path is None:
            raise BuildError(f"{hw} has no recorded values to write: its homeworks/{hw}/hidden/ package names no "
                             "EXPECTED (docs/authoring.md)")
        return path
    checks = getattr(nb, "_checks", None)
    if checks is None:
        raise BuildError(f"{hw} has no checks.py beside its percent files: nothing to record (docs/own_homework.md)")

    return expected.record(hw, Path(checks).parent)


def _course_files(hw: str, nb: Notebook, check: bool) -> list[str]:
    """A course's own homework: what is stale among its recorded values and, with ``check``, the copies in
    ``source/<hw>/`` of its checks.py, hidden.py and expected.json (:mod:`.expected`)."""
    checks = getattr(nb, "_checks", None)
    if checks is None:
        return []

    folder = Path(checks).parent
    found = [expected.stale_values(hw, folder)]
    if check:
        files = {probes.CHECKS_FILE: checks, hidden.FILE: getattr(nb, "_hidden", None),
                 probes.EXPECTED_FILE: folder / probes.EXPECTED_FILE, probes.POINTS_FILE: folder / probes.POINTS_FILE}
        found += expected.stale_copies(hw, files, nb.path.parent)
    return [f.replace(f"{nb.root}/", "") for f in found if f]  # paths as the course names them


def build(root: Path | str = ".", hws: list[str] = (), *, check: bool = False, record: bool = False,
          record_expected: bool = False, out=None, err=None) -> int:
    """Write (or with ``check``, compare) the source notebooks of ``hws`` (default: all); 1 when a
    committed notebook is stale, or with ``check`` when a checked cell has no recorded output or a course's own
    homework's files in ``source/<hw>/`` or its recorded values are stale. ``record_expected`` first records the
    values visible tests compare with (:mod:`.expected`)."""
    out, err = out or sys.stdout, err or sys.stderr
    if check and record_expected:
        raise BuildError("--check compares and writes nothing: run --record-expected without it")
    all_homeworks = homeworks(root)
    stale, unrecorded, files = [], [], []
    for hw in select(all_homeworks, list(hws)):
        nb = all_homeworks[hw].build()
        wrong = signatures.problems(hw)  # its checks and hidden tests are loaded now
        if wrong:
            raise BuildError(f"{hw}: every visible and hidden test is written test_x(v, ref):\n  " + "\n  ".join(wrong))
        points = points_text(nb)
        if not check and points and (not points[0].is_file()  # first: the kernels below read the cells' points
                                     or points[0].read_text(encoding="utf-8") != points[1]):
            points[0].write_text(points[1], encoding="utf-8")
            print(f"wrote {points[0].relative_to(nb.root)}", file=out)
        if record_expected:
            path = _record_expected(hw, nb)
            print(f"wrote {path.relative_to(nb.root) if path.is_relative_to(nb.root) else path}  "
                  f"(the values visible tests compare with)", file=out)
        if check:
            if not is_current(nb) or (points and (not points[0].is_file()
                                                  or points[0].read_text(encoding="utf-8") != points[1])):
                stale.append(hw)
        elif record:
            t0 = time.monotonic()
            path = nb.save(recorded=record_outputs(nb))
            print(f"wrote {path.relative_to(nb.root)}  ({nb.points():g} points, checked cells recorded "
                  f"in {time.monotonic() - t0:.0f} s)", file=out)
        else:
            print(f"wrote {nb.save().relative_to(nb.root)}  ({nb.points():g} points)", file=out)
        files += _course_files(hw, nb, check)
        if nb.unrecorded():
            unrecorded.append(f"  {hw}: " + ", ".join(_describe(nb.nb, i) for i in nb.unrecorded()))
    out.flush()  # what was written, before the warnings on stderr (never run into one line)
    if stale:
        print(f"out of date with their builders: {stale}; run dgmlab build", file=err)
    if files:
        print("\n".join(files), file=err)
    if unrecorded:
        print("checked cells (check_output=True) without a recorded output, which nbval would not check:\n"
              + "\n".join(unrecorded) + "\nrun dgmlab build --record-outputs <hw>", file=err)
    # a plain build only warns: the author records next; --check fails, so CI does
    return 1 if stale or ((unrecorded or files) and check) else 0
