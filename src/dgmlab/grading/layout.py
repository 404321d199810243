"""The course directory and what a grading produces: the bottom layer of dgmlab.grading.

:class:`Course` (its folders, homeworks, students, secrets, and nbgrader's command line run in it),
the results of a step and of a submission's grading, the check that a submission is a readable
notebook, and the student's copy of a graded notebook. Everything else in the grader imports this;
it imports nothing of the grader but :mod:`.isolation.processes` and the record :mod:`.submission`.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .isolation.processes import kill_group as _kill_group
from .submission import Submission

HW_PATTERN = re.compile(r"hw[1-9][A-Za-z0-9_]*")
STATE = Path(".dgmlab")  # the grader's own state in a course, beside nbgrader's folders
RECORDS = STATE / "grading"  # <hw>/<student>.json: each submission's last grading (dgmlab.grading.records)
ANSWERS = STATE / "answers"  # <hw>/<student>.json: the answers its hand grades were given on (autograde.hand_grades)


class CourseError(RuntimeError):
    """Bad input to a grading command; the message says what to fix."""


@dataclass
class StepResult:
    """One nbgrader invocation."""

    args: list
    returncode: int
    output: str
    seconds: float
    timed_out: bool = False
    failure: str | None = None  # why it failed, from the exception nbgrader's converter raised (failure_reason)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def reason(self) -> str:
        """Why the step failed: :attr:`failure`, else the last error line of its log."""
        return self.failure or log_reason(self.output)


@dataclass
class SubmissionResult:
    """What happened to one student's submission of one homework."""

    hw: str
    student: str
    status: str  # "graded", "invalid", "failed", "timed out"
    reason: str = ""
    seconds: float = 0.0
    steps: list = field(default_factory=list)
    key: str = ""  # the grading key (dgmlab.grading.autograde.keys.grading_key)
    timings: dict = field(default_factory=dict)  # seconds per phase (dgmlab.grading.autograde.timings.PHASES)
    worker: str = ""  # host:pid of the worker that graded it
    skipped: bool = False  # unchanged since a finished grading: not graded again
    reopened: tuple = ()  # ((cell, its hand score, why), ...): cells graded by hand this grading reopened


def _strings(value):
    """Every string in a config value (a traitlets ``Config``, a dict, a list), however nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from _strings(v)


def check_grader_names(config) -> None:
    """Each ``"dgmlab.grading.<module>.<Name>"`` that ``config`` names (a preprocessor, a plugin) can be imported;
    one that cannot is a :class:`CourseError` naming where it is now: the module that defines a class of that name,
    else a module of that name (the grader's modules sit in a package per command, its nbgrader plug-ins in
    ``preprocessors/``: docs/autograder.md, "The grader's packages")."""
    for name in sorted({s for s in _strings(config) if s.startswith("dgmlab.grading.")}):
        module, _, attr = name.rpartition(".")
        try:
            if hasattr(importlib.import_module(module), attr):
                continue
        except ImportError:
            pass
        stem = module.rpartition(".")[2]
        grading = Path(__file__).parent
        defines = re.compile(rf"^class {re.escape(attr)}\b", re.M)
        files = sorted(grading.rglob("*.py"))
        where = ([p for p in files if defines.search(p.read_text(encoding="utf-8", errors="replace"))]
                 or [p for p in files if p.stem == stem])
        found = [".".join(("dgmlab", "grading", *p.relative_to(grading).with_suffix("").parts, attr)) for p in where]
        now = f": write {' or '.join(found)}" if found else ": name a class dgmlab.grading has"
        raise CourseError(f"nbgrader_config.py names {name}, which dgmlab.grading does not have{now} (the grader's "
                          "modules sit in a package per command: docs/autograder.md, \"The grader's packages\")")


class Course:
    """An nbgrader course directory (the repository root)."""

    def __init__(self, root: Path | str = "."):
        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").exists():
            raise CourseError(f"{self.root} is not a course directory (no nbgrader_config.py); "
                              f"run from the repository root or pass --course PATH")
        self._directory = None

    def config(self):
        """The course's ``nbgrader_config.py``, read (a traitlets ``Config``)."""
        from traitlets.config.loader import PyFileConfigLoader

        try:
            config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        except Exception as exc:
            raise CourseError(f"could not read {self.root / 'nbgrader_config.py'}: {exc}") from exc
        check_grader_names(config)
        return config

    def settings(self, cls, **flags):
        """``cls`` (one of dgmlab's traitlets ``Configurable`` classes, e.g. ``DgmlabAutograde``) configured from the
        course's ``nbgrader_config.py``, each flag that is not ``None`` put over its setting; a setting of the wrong
        type is a :class:`CourseError` naming the class."""
        from traitlets import TraitError

        try:
            settings = cls(config=self.config())
        except TraitError as exc:
            raise CourseError(f"nbgrader_config.py: a c.{cls.__name__} setting has the wrong type: {exc}") from exc
        for name, value in flags.items():
            if value is not None:
                setattr(settings, name, value)
        return settings

    # -- layout
    @property
    def directory(self):
        """nbgrader's :class:`~nbgrader.coursedir.CourseDirectory` of this course, rooted here: its folder names
        (``c.CourseDirectory.source_directory`` ...) as ``nbgrader_config.py`` sets them."""
        if self._directory is None:
            from . import nbgrader_preprocessing

            config = self.config()
            config.CourseDirectory.root = str(self.root)  # the file's own root is relative to where it is run
            directory = nbgrader_preprocessing.course_directory(config)
            # dgmlab lists students and homeworks as folders <step>/<student>/<hw>/ (and a grading worker builds
            # its scratch course so): nbgrader's default structure, which this kit does not let a course change
            default = nbgrader_preprocessing.default_directory_structure()
            if directory.directory_structure != default:
                raise CourseError(f"nbgrader_config.py sets c.CourseDirectory.directory_structure to "
                                  f"{directory.directory_structure!r}; dgmlab works with nbgrader's default "
                                  f"{default!r} only: remove the setting")
            self._directory = directory
        return self._directory

    def folder(self, step: str, hw: str = "", student: str = ".") -> Path:
        """``<step>/<student>/<hw>/`` (nbgrader's ``CourseDirectory.format_path``): ``step`` is ``source``,
        ``release``, ``submitted``, ``autograded`` or ``feedback``, the folder the course's
        ``CourseDirectory.<step>_directory`` names; ``source`` and ``release`` have no student (``.``, as in
        nbgrader); without ``hw``, the folder of ``student``'s homeworks (without either, the step's folder)."""
        directory = self.directory
        return Path(directory.format_path(getattr(directory, f"{step}_directory"), student, hw))

    def kept_folder(self, hw: str, student: str) -> Path:
        """``.dgmlab/kept/<hw>/<student>/``: the files the grader's hidden tests keep for the dashboard (e.g. the
        graded draw ``graded_draw_100.pt``). Only the grader writes there; nothing handed in or left by a kernel
        ever reaches it, so what the dashboard shows next to a score is what the grader drew."""
        return self.root / STATE / "kept" / hw / student

    def submission(self, hw: str, student: str) -> Submission:
        """``student``'s submission of ``hw`` as a record (:class:`~dgmlab.grading.submission.Submission`): its
        folders and files in this course, worked out here once and handed along by the steps of a grading."""
        return Submission(hw, student, submitted=self.folder("submitted", hw, student),
                          autograded=self.folder("autograded", hw, student),
                          feedback=self.folder("feedback", hw, student), kept=self.kept_folder(hw, student),
                          record=self.root / RECORDS / hw / f"{student}.json",
                          answers=self.root / ANSWERS / hw / f"{student}.json")

    def source_notebook(self, hw: str) -> Path:
        return self.folder("source", hw) / f"{hw}.ipynb"

    def release_notebook(self, hw: str) -> Path:
        return self.folder("release", hw) / f"{hw}.ipynb"

    def homeworks(self) -> list[str]:
        """Homework ids with a source notebook ``source/<hw>/<hw>.ipynb``."""
        src = self.folder("source")
        if not src.is_dir():
            return []
        return sorted(p.name for p in src.iterdir()
                      if p.is_dir() and HW_PATTERN.fullmatch(p.name) and self.source_notebook(p.name).exists())

    def check_homeworks(self, hws) -> list[str]:
        known = self.homeworks()
        hws = list(hws) if hws else known
        unknown = [h for h in hws if h not in known]
        if unknown:
            raise CourseError(f"unknown homework {', '.join(unknown)}: the course has {', '.join(known) or 'none'} "
                              f"(a homework is a folder source/<hw>/ holding <hw>.ipynb)")
        return hws

    def secret(self, name: str, on_create=None) -> bytes:
        """The course's secret ``name``: 32 random bytes in ``.dgmlab/<name>.key`` (hex), made on first use and
        readable by its owner only. It stays the same for the life of the course; never hand it out.
        ``on_create(path)`` is called when this call is the one that made the file."""
        path = self.root / ".dgmlab" / f"{name}.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-")  # mode 600
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)  # whole or not at all, and never over a key made meanwhile by another command
            except FileExistsError:
                pass
            else:
                if on_create is not None:
                    on_create(path)
            finally:
                os.unlink(tmp)
        try:
            key = bytes.fromhex(path.read_text().strip())
        except ValueError:
            key = b""
        if len(key) < 16:
            raise CourseError(f"{path} does not hold a key (64 hex digits): restore it from a backup (deleting it "
                              "changes every pseudonym and every graded draw of the course)")
        return key

    def students(self) -> list[str]:
        """Every student with a folder ``submitted/<student>/``, but a dropped one (:meth:`dropped`)."""
        base = self.folder("submitted")
        if not base.is_dir():
            return []
        dropped = self.dropped()
        return sorted(p.name for p in base.iterdir() if p.is_dir() and p.name not in dropped)

    def submitted(self, hw: str) -> list[str]:
        """Students with a folder ``submitted/<student>/<hw>/``, but a dropped one (:meth:`dropped`)."""
        base = self.folder("submitted")
        if not base.is_dir():
            return []
        dropped = self.dropped()
        return sorted(p.name for p in base.iterdir() if (p / hw).is_dir() and p.name not in dropped)

    def dropped(self) -> frozenset:
        """The students ``c.DgmlabTerm.dropped`` names (:mod:`dgmlab.grading.term.term_rules`): left out of every
        listing of students, so out of grading and the exports; their folders stay as they are."""
        config = self.config()
        value = config.DgmlabTerm.get("dropped", []) if "DgmlabTerm" in config else []
        if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(s, str) for s in value):
            raise CourseError(f"nbgrader_config.py: c.DgmlabTerm.dropped must be a list of student ids (nbgrader's "
                              f"ids, e.g. ['ada', 'bob']), not {value!r}")
        return frozenset(value)

    # -- running nbgrader
    def nbgrader(self, *args, timeout: float | None = None, env: dict | None = None) -> StepResult:
        """Run ``nbgrader <args>`` in the course root; kill its whole process tree on timeout.

        ``env`` adds environment variables. dgmlab itself runs nbgrader's API in-process (release, export,
        autograde); this is plain nbgrader's command line, which the tests and benchmarks compare dgmlab with.
        """
        cmd = [sys.executable, "-m", "nbgrader", *map(str, args)]
        env = {**{k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}, **(env or {})}
        # nbgrader runs helper programs (alembic) by name: put this Python's bin/ first on PATH
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", env=env, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, _ = proc.communicate()
            timed_out = True
        return StepResult(list(args), proc.returncode, out or "", time.monotonic() - start, timed_out)


def read_json(path: Path) -> dict:
    """A notebook's JSON, so that formatting differences alone do not count as a change."""
    return json.loads(path.read_text(encoding="utf-8"))


# ----------------------------------------------------------------- autograde
def check_submission(path: Path) -> str | None:
    """``None`` if ``path`` is a readable notebook, else the reason it is not."""
    if not path.exists():
        return f"no notebook {path.name} in the submission folder"
    return notebook_problem(path.read_bytes(), path.name)


def notebook_problem(data: bytes, name: str) -> str | None:
    """``None`` if ``data``, the bytes of the notebook ``name`` handed in, is a readable notebook, else the reason it
    is not (read as they came: nothing is written to disk to check them)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start})"
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # json errors, schema errors
        return f"{name} is not a valid notebook: {str(exc).splitlines()[0][:200]}"
    if not nb.cells:
        return f"{name} has no cells"
    return None


GENERIC = ("Please see the", "There was an error processing")


def log_reason(output: str) -> str:
    """The last error line of a failed nbgrader step's log (where no exception says why:
    :func:`.nbgrader_app.failure_reason`)."""
    lines = [ln.strip() for ln in output.splitlines()
             if ("ERROR" in ln or "Error" in ln) and not any(g in ln for g in GENERIC)]
    return (lines[-1] if lines else log_tail(output, 3)).strip()[:300]


def log_tail(text: str, n: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-n:])
