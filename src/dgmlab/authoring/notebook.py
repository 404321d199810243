"""Author an nbgrader source notebook cell by cell: the one place nbgrader metadata is made.

A homework's source folder ``homeworks/<hw>/`` is read by :mod:`.percent`, which calls the
functions below for each cell (a single Python builder ``homeworks/<hw>.py`` may call them
itself); ``dgmlab build`` writes every ``source/<hw>/<hw>.ipynb``, and ``dgmlab build --check`` (run
by tests/kit/test_repo.py) fails when a committed notebook differs from its source.

Cell kinds and the nbgrader metadata they carry:

- ``md`` / ``code``: plain cells (read-only when ``locked=True``); ``setup`` is the standard first
  code cell (it installs dgmlab in Colab and enters the homework's folder).
- ``answer``: autograded code the student writes: ``### BEGIN SOLUTION`` ..
  ``### END SOLUTION`` inside; nbgrader's release replaces the region with a stub.
- ``tests``: a locked, graded test cell worth ``points``: one ``check("<grade_id>", names...)`` call
  (:mod:`dgmlab.probes`: the cell's spec holds its visible tests and points). Its hidden tests are functions
  in the grader's side, never text in the cell (a cell holding hidden-test markers is refused): the kit's
  ``homeworks/<hw>/hidden/``, a course's own homework's ``hidden.py`` (:meth:`Notebook.hidden_file`). The
  specs are the kit's ``dgmlab.probes.<hw>``, or for a course's own homework a ``checks.py`` beside the
  notebook (:meth:`Notebook.checks_file`).
- ``written``: a hand-graded markdown answer cell worth ``points``; the source notebook keeps
  the model answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``.

Two options serve CI's nbval runs (``pytest --nbval-lax``, see docs/authoring.md):

- ``check_output=True`` (``code`` and ``answer``) puts nbval's ``# NBVAL_CHECK_OUTPUT``
  marker on the cell's first line: the output recorded in the source notebook
  (``dgmlab build --record-outputs <hw>``) must come out again, exactly. Only for exact,
  stable output (sympy results, LP optima, printed exact values), never floats a BLAS or
  CPU could change.
- ``uses_answers=True`` (``code``) says the cell calls something a student
  writes, so it fails in a blank release; the release gets nbval's
  ``raises-exception`` tag on it (``dgmlab.grading.preprocessors.TagAnswerDependentCells``),
  as on every test cell and every answer cell whose stub raises at top level.
"""
from __future__ import annotations

import copy
import re
import shutil
import tempfile
import textwrap
from pathlib import Path

import nbformat

from dgmlab import probes
from dgmlab.grading import hidden
from dgmlab.grading.cell_roles import is_graded, is_solution
from dgmlab.probes.points import HIDDEN_BEGIN, HIDDEN_END, PlanError, fmt, number

SCHEMA = 3
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"   # nbval compares this cell's output with the stored one

SETUP_SOURCE = '''\
# Setup: run this cell first. In Colab it installs the course package `dgmlab`
# (and picks the GPU); on your own machine it only checks dgmlab is installed.
import importlib.util, subprocess, sys
DGMLAB_INSTALL = ""  # where Colab installs dgmlab from: set by the course (nbgrader_config.py)
if importlib.util.find_spec("dgmlab") is None:
    if "google.colab" in sys.modules:
        if not DGMLAB_INSTALL:
            raise RuntimeError("This notebook does not say where to install dgmlab from, so Colab cannot set "
                               "it up. Ask your instructor for a dgmlab wheel (.whl): upload it to Colab, run "
                               "!pip install followed by its file name, then run this cell again.")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", DGMLAB_INSTALL], check=True)
    else:
        raise ModuleNotFoundError("dgmlab is not installed here: " + (
            f'run: pip install "{DGMLAB_INSTALL}"' if DGMLAB_INSTALL else "pip install the dgmlab wheel (.whl) "
            "your instructor hands out") + " (the student guide, \\"Colab, step by step\\")")
import dgmlab
# Your files (figures, checkpoints, files to submit) go to the homework folder: in Colab MyDrive/dgm-course/{hw}/
# on Google Drive, which survives a disconnect (Colab asks once for access); elsewhere this notebook's folder.
device = dgmlab.setup("{hw}")'''


MOVE_HIDDEN = "move these tests to hidden.py as test_x(v, ref) functions; see docs/authoring.md"


class HiddenTestsInCell(ValueError):
    """A test cell holds hidden tests as text (between hidden-test markers), which the grader never runs."""


def hidden_marker_line(source: str) -> int | None:
    """The number (from 1) of the first line of ``source`` that holds a hidden-test marker, or ``None``."""
    for i, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN.lstrip("# ") in line or HIDDEN_END.lstrip("# ") in line:
            return i
    return None


def clean_source(text: str) -> str:
    """``text`` dedented, without leading or trailing blank lines (how builders write cells)."""
    return textwrap.dedent(text).strip("\n")


def is_checked(cell) -> bool:
    """Whether nbval compares ``cell``'s output: a code cell whose first line is the marker."""
    return cell.cell_type == "code" and cell.source.split("\n", 1)[0].strip() == CHECK_MARKER


def _with_marker(src: str, check_output: bool) -> str:
    if CHECK_MARKER in src:
        raise ValueError(f"write check_output=True instead of {CHECK_MARKER!r} in the cell source")
    return f"{CHECK_MARKER}\n{src}" if check_output else src


def _coalesce_streams(outputs) -> list:
    """A copy of ``outputs`` with consecutive stream outputs of one name joined (how they flush varies)."""
    merged = []
    for out in outputs:
        out = nbformat.from_dict(copy.deepcopy(dict(out)))
        if (merged and out.output_type == "stream" and merged[-1].output_type == "stream"
                and merged[-1].name == out.name):
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


def recorded_outputs(nb) -> dict:
    """``{source: (outputs, execution_count)}`` of the checked cells of ``nb`` that hold outputs."""
    return {c.source: (c.outputs, c.execution_count) for c in nb.cells
            if is_checked(c) and c.get("outputs") and c.get("execution_count") is not None}


class Notebook:
    """An nbgrader source notebook being built, cell by cell."""

    def __init__(self, hw: str, root: Path | str | None = None):
        if not re.fullmatch(r"hw[1-9][a-z0-9_]*", hw):
            raise ValueError(f"homework id {hw!r} must look like 'hw1' or 'hw1_wgan'")
        self.hw = hw
        self.root = Path(root) if root is not None else None  # the course directory (set by dgmlab.authoring.build)
        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        self._ids: set[str] = set()
        self._auto = 0
        self._checks: Path | None = None  # a course's own homework: its checks.py (checks_file)
        self._hidden: Path | None = None  # and its hidden.py (hidden_file)
        # a kit homework: (homeworks/<hw>/checks/points.json, {test cell: {"points", "hidden"}}, its tests' @points
        # summed), which the build writes beside the checks: the student package knows each cell's points, and has
        # no hidden tests to sum (dgmlab.probes.cell_points)
        self.points_file: tuple | None = None

    # -- helpers
    def _id(self, grade_id: str | None, prefix: str) -> str:
        if grade_id is None:
            self._auto += 1
            grade_id = f"{prefix}_{self._auto:02d}"
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", grade_id):
            raise ValueError(f"grade_id {grade_id!r}: use letters, digits, '_' and '-'")
        if grade_id in self._ids:
            raise ValueError(f"grade_id {grade_id!r} is used twice in {self.hw}")
        self._ids.add(grade_id)
        return grade_id

    @staticmethod
    def _meta(grade_id, *, grade, solution, locked, points=None, task=False):
        meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
                "solution": solution, "task": task}
        if points is not None:
            meta["points"] = points
        return {"nbgrader": meta}

    def _add(self, cell):
        self.nb.cells.append(cell)
        return cell

    # -- cells
    def md(self, text: str, locked: bool = True, grade_id: str | None = None):
        cell = nbformat.v4.new_markdown_cell(clean_source(text))
        if locked:
            cell.metadata = self._meta(self._id(grade_id, "text"), grade=False, solution=False, locked=True)
        return self._add(cell)

    def code(self, src: str, locked: bool = False, grade_id: str | None = None, *,
             check_output: bool = False, uses_answers: bool = False):
        """A plain cell. ``check_output``: nbval checks its output (see the module docstring);
        ``uses_answers``: it calls student code, so a blank release may fail here."""
        cell = nbformat.v4.new_code_cell(_with_marker(clean_source(src), check_output))
        if locked:
            cell.metadata = self._meta(self._id(grade_id, "code"), grade=False, solution=False, locked=True)
        if uses_answers:
            cell.metadata["dgmlab"] = {"uses_answers": True}
        return self._add(cell)

    def setup(self):
        """The standard first code cell (locked, grade_id ``setup``); it enters this homework's folder."""
        return self.code(SETUP_SOURCE.replace("{hw}", self.hw), locked=True, grade_id="setup")

    def answer(self, grade_id: str, src: str, *, check_output: bool = False):
        src = clean_source(src)
        if "### BEGIN SOLUTION" not in src or "### END SOLUTION" not in src:
            raise ValueError(f"answer cell {grade_id!r} needs ### BEGIN SOLUTION / ### END SOLUTION")
        cell = nbformat.v4.new_code_cell(_with_marker(src, check_output))
        cell.metadata = self._meta(self._id(grade_id, "answer"), grade=False, solution=True, locked=False)
        return self._add(cell)

    def tests(self, grade_id: str, points: float | None, src: str):
        """A graded test cell: ``check("<grade_id>", names...)``, matching the cell's spec and hidden tests
        (:meth:`_probe_cell`); hidden tests written in the cell between hidden-test markers are refused. ``points``:
        ``None``, its spec's (a kit homework's: its tests' ``@points`` summed), or a number that must equal them."""
        src = clean_source(src)
        marker = hidden_marker_line(src)
        if marker is not None:
            raise HiddenTestsInCell(f"test cell {grade_id!r} holds hidden tests between hidden-test markers (its line "
                             f"{marker}), which the grader never runs: {MOVE_HIDDEN}")
        spec = self._probe_cell(grade_id, points, src)
        if spec is None:
            raise ValueError(f"test cell {grade_id!r} must call check({grade_id!r}, <the answers it tests>): the "
                             f"grader judges only check() cells and gives any other test cell 0")
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata = self._meta(self._id(grade_id, "tests"), grade=True, solution=False, locked=True,
                                   points=number(spec.points) if points is None else points)
        return self._add(cell)

    def _probe_cell(self, grade_id: str, points: float | None, src: str):
        """The cell's spec when ``src`` is a ``check("<grade_id>", ...)`` cell (``dgmlab.probes``), else ``None``;
        raises when it is one that does not match its spec (name, objects, points, hidden tests that add up)."""
        try:
            found = probes.cell_call(src)
            if found is None:
                return None
            cell_id, names = found
            if cell_id != grade_id:
                raise PlanError(f"it calls check({cell_id!r}, ...): the name must be the cell's grade_id")
            spec = probes.spec_for(self.hw, grade_id)
            if names != spec.names:
                raise PlanError(f"check() gets {', '.join(names)}; homeworks.{self.hw}.checks expects "
                                f"{', '.join(spec.names)}")
            if points is not None and abs(spec.points - points) > 1e-9:  # a course's header may repeat its spec's
                raise PlanError(f"the cell is worth {points:g} points, its spec in homeworks.{self.hw}.checks "
                                f"{spec.points:g}: make them equal")

            # the kit's homeworks/<hw>/hidden/, a course's hidden.py (:meth:`hidden_file`)
            probes.plan(spec, hidden=hidden.tests(self.hw, grade_id))
        except (PlanError, KeyError, SyntaxError) as exc:
            where = "" if self.hw in probes.KIT_HOMEWORKS or self._hidden is not None else (
                " (this homework has no hidden.py: write its hidden tests there, docs/authoring.md)")
            raise ValueError(f"test cell {grade_id!r}: {exc}{where}") from None
        return spec

    def written(self, grade_id: str, points: float, model_answer: str):
        """A hand-graded markdown answer; the source keeps the model answer."""
        body = "### BEGIN SOLUTION\n" + clean_source(model_answer) + "\n### END SOLUTION"
        cell = nbformat.v4.new_markdown_cell(body)
        cell.metadata = self._meta(self._id(grade_id, "written"), grade=True, solution=True, locked=False,
                                   points=points)
        return self._add(cell)

    # -- output
    @property
    def path(self) -> Path:
        """``source/<hw>/<hw>.ipynb`` in the course directory."""
        if self.root is None:
            raise ValueError(f"{self.hw}: no course directory; load builders with dgmlab.authoring.homeworks(root)")
        return self.root / "source" / self.hw / f"{self.hw}.ipynb"

    def unrecorded(self) -> list[int]:
        """Indices of checked cells that hold no recorded output (nbval would skip their check)."""
        return [i for i, c in enumerate(self.nb.cells) if is_checked(c) and not c.outputs]

    def keep_outputs(self, recorded: dict) -> None:
        """Give each checked cell the outputs ``recorded`` (see :func:`recorded_outputs`) holds for
        its exact source; a cell whose source changed keeps none until it is recorded again."""
        for cell in self.nb.cells:
            if is_checked(cell) and cell.source in recorded:
                outputs, _ = recorded[cell.source]
                cell.outputs = _coalesce_streams(outputs)
                # nbval checks only cells with an execution count; one fixed value keeps rebuilds stable
                cell.execution_count = 1
                for out in cell.outputs:
                    if "execution_count" in out:
                        out["execution_count"] = 1

    def save(self, path: Path | None = None, recorded: dict | None = None) -> Path:
        """Write the notebook (default: ``source/<hw>/<hw>.ipynb``). Checked cells get the outputs
        ``recorded`` holds for their source (default: those of the committed source notebook)."""
        path = Path(path) if path else self.path
        if recorded is None:
            committed = self.path if self.root is not None else None
            recorded = (recorded_outputs(nbformat.read(committed, as_version=4))
                        if committed is not None and committed.exists() else {})
        self.keep_outputs(recorded)
        path.parent.mkdir(parents=True, exist_ok=True)
        for i, cell in enumerate(self.nb.cells):
            cell["id"] = f"{self.hw}-{i:03d}"
        nbformat.validate(self.nb)
        text = nbformat.writes(self.nb) + ("" if nbformat.writes(self.nb).endswith("\n") else "\n")
        path.write_text(text, encoding="utf-8")
        if self._checks is not None:
            (path.parent / probes.CHECKS_FILE).write_bytes(self._checks.read_bytes())
            # its recorded values (dgmlab build --record-expected), released with checks.py for self-checks
            for name in (probes.EXPECTED_FILE, probes.POINTS_FILE):  # and each cell's points (@points summed)
                recorded = self._checks.parent / name
                if recorded.is_file():
                    (path.parent / name).write_bytes(recorded.read_bytes())
                else:
                    (path.parent / name).unlink(missing_ok=True)
            # its hidden tests, for the grader only (nbgrader's CourseDirectory.ignore keeps them out of release/ and
            # of a submission's folder); a hidden.py left by an earlier build of a homework that has none goes
            if self._hidden is not None:
                (path.parent / hidden.FILE).write_bytes(self._hidden.read_bytes())
            else:
                (path.parent / hidden.FILE).unlink(missing_ok=True)
        return path

    def hidden_points(self) -> float:
        """Points of this notebook's test cells that hidden tests decide."""
        total = 0.0
        for c in self.nb.cells:
            if c.cell_type == "code" and is_graded(c) and not is_solution(c):
                total += probes.spec_for(self.hw, probes.cell_call(c.source)[0]).hidden
        return total

    def checks_file(self, path: Path | str) -> None:
        """A course's own homework: ``path`` is its checks module (``CHECKS``: its cells' specs, see
        :mod:`dgmlab.probes`). Test cells are checked against it from now on, and :meth:`save` writes a
        copy named ``checks.py`` beside the notebook, which the release gives students and the grader
        reads from ``source/<hw>/``, with the ``expected.json`` recorded beside ``path`` (:mod:`.expected`). The kit's homeworks use ``dgmlab.probes.<hw>`` instead."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such checks module")
        self._checks = path
        with tempfile.TemporaryDirectory() as tmp:  # loaded under its released name, as the grader loads it
            shutil.copy(path, Path(tmp) / probes.CHECKS_FILE)
            probes.load_checks(self.hw, tmp)

        hidden.forget(self.hw)  # none until hidden_file() names them
        self._hidden = None

    def hidden_file(self, path: Path | str) -> None:
        """A course's own homework: ``path`` is its hidden tests' module (``HIDDEN = {"<test cell>": (test_a, ...)}``,
        tests ``test_x(v, ref)`` with ``@points(w)``, :mod:`dgmlab.grading.hidden`); call it after
        :meth:`checks_file`. Test cells are checked against it from now on, and :meth:`save` writes a copy named
        ``hidden.py`` beside the notebook, which the grader reads from ``source/<hw>/`` and the release never
        gives students. The kit's homeworks keep theirs in ``homeworks/<hw>/hidden/``."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such hidden tests module")
        if self._checks is None:
            raise ValueError(f"{path}: call checks_file() before hidden_file() (a course's own homework has both)")
        hidden.load_text(self.hw, path.read_text(encoding="utf-8"), str(path))
        self._hidden = path

    def fill_point_totals(self) -> None:
        """Write the notebook's totals into its first cell (the introduction): ``{AUTO}`` becomes the
        autograded points, ``{HIDDEN}`` the points hidden tests decide. A builder calls it last."""
        auto = sum(c.metadata["nbgrader"]["points"] for c in self.nb.cells if c.cell_type == "code" and is_graded(c))
        intro = self.nb.cells[0]
        intro.source = intro.source.replace("{HIDDEN}", fmt(self.hidden_points())).replace("{AUTO}", fmt(auto))

    def points(self) -> float:
        return sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in self.nb.cells)
