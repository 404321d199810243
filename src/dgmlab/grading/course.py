"""The course directory and the nbgrader steps run in it.

Release steps are nbgrader's own command line (``python -m nbgrader ...``) run in
the course root, so plain ``nbgrader`` commands see exactly the same files and
gradebook. Autograding runs nbgrader's converters in grading workers (see
:mod:`dgmlab.grading.cluster`): each submission's code runs in a kernel of its
own, so one that crashes, hangs or floods output is that kernel's problem alone.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .processes import kill_group as _kill_group

HW_PATTERN = re.compile(r"hw[1-9][A-Za-z0-9_]*")


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

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@dataclass
class SubmissionResult:
    """What happened to one student's submission of one homework."""

    hw: str
    student: str
    status: str  # "graded", "invalid", "failed", "timed out"
    reason: str = ""
    seconds: float = 0.0
    steps: list = field(default_factory=list)
    key: str = ""  # the grading key (dgmlab.grading.cluster.grading_key)
    timings: dict = field(default_factory=dict)  # seconds per phase (dgmlab.grading.cluster.PHASES)
    worker: str = ""  # host:pid of the worker that graded it
    skipped: bool = False  # unchanged since a finished grading: not graded again


class Course:
    """An nbgrader course directory (the repository root)."""

    def __init__(self, root: Path | str = "."):
        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").exists():
            raise CourseError(f"{self.root} is not a course directory (no nbgrader_config.py); "
                              f"run from the repository root or pass --course PATH")

    # -- layout
    def source_notebook(self, hw: str) -> Path:
        return self.root / "source" / hw / f"{hw}.ipynb"

    def release_notebook(self, hw: str) -> Path:
        return self.root / "release" / hw / f"{hw}.ipynb"

    def homeworks(self) -> list[str]:
        """Homework ids with a source notebook ``source/<hw>/<hw>.ipynb``."""
        src = self.root / "source"
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
        """Every student with a folder ``submitted/<student>/``."""
        base = self.root / "submitted"
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []

    def submitted(self, hw: str) -> list[str]:
        """Students with a folder ``submitted/<student>/<hw>/``."""
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / hw).is_dir())

    # -- running nbgrader
    def nbgrader(self, *args, timeout: float | None = None, env: dict | None = None) -> StepResult:
        """Run ``nbgrader <args>`` in the course root; kill its whole process tree on timeout.

        ``env`` adds environment variables.
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


# ----------------------------------------------------------------- release
def install_source(course: Course, local_only: bool = False):
    """The :class:`~dgmlab.grading.preprocessors.SetInstallSource` that ``nbgrader_config.py`` configures.

    ``local_only=True`` turns a local-only release on whatever the file says.
    Its ``problem()`` is why release notebooks cannot be written (``None`` when they can).
    """
    from traitlets.config.loader import PyFileConfigLoader

    from .preprocessors import SetInstallSource

    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    except Exception as exc:
        raise CourseError(f"could not read {course.root / 'nbgrader_config.py'}: {exc}") from exc
    names = config.GenerateAssignment.get("preprocessors", [])
    if not any(getattr(n, "__name__", n).endswith("SetInstallSource") for n in names):
        raise CourseError("nbgrader_config.py's c.GenerateAssignment.preprocessors does not list "
                          "dgmlab.grading.preprocessors.SetInstallSource, so release notebooks would not get "
                          "the course's install source: add it before nbgrader.preprocessors.LockCells")
    pre = SetInstallSource(config=config)
    if local_only:
        pre.local_only = True
    return pre


def release(course: Course, hws=None, local_only: bool = False) -> list[StepResult]:
    """``nbgrader generate_assignment --force`` for each homework (all by default).

    Refuses (:class:`CourseError`, nothing written) when the course sets no usable
    install source, unless ``local_only``: then the setup cells name none.
    """
    hws = course.check_homeworks(hws)
    problem = install_source(course, local_only).problem()
    if problem:
        raise CourseError(problem)
    flags = ["--SetInstallSource.local_only=True"] if local_only else []
    results = []
    for hw in hws:
        res = course.nbgrader("generate_assignment", hw, "--force", *flags)
        if not res.ok:
            raise CourseError(f"generate_assignment {hw} failed:\n{_tail(res.output)}")
        extra = sorted(p.relative_to(course.root).as_posix() for p in (course.root / "release" / hw).rglob("*")
                       if p.is_file() and p.name != f"{hw}.ipynb")
        if extra:
            print(f"WARNING: release/{hw}/ also holds {', '.join(extra[:5])}: files next to the source notebook "
                  f"are released too; remove local outputs from source/{hw}/ and release again", file=sys.stderr)
        results.append(res)
    return results


def release_is_local_only(course: Course) -> bool:
    """Whether ``dgmlab release`` can only write a local-only release here (no usable install source set)."""
    pre = install_source(course)
    return pre.local_only or pre.problem() is not None


def release_differences(course: Course, hws=None, local_only: bool | None = None) -> list[str]:
    """Homeworks whose committed ``release/`` notebook differs from a fresh generate_assignment.

    ``local_only=None`` compares with what the config allows: the configured install
    source, or a local-only release when none is set.
    """
    hws = course.check_homeworks(hws)
    if local_only is None:
        local_only = release_is_local_only(course)
    flags = ["--SetInstallSource.local_only=True"] if local_only else []
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copy(course.root / "nbgrader_config.py", tmp / "nbgrader_config.py")
        for hw in hws:
            shutil.copytree(course.root / "source" / hw, tmp / "source" / hw,
                            ignore=shutil.ignore_patterns("figures", "*.pt", ".ipynb_checkpoints", "__pycache__"))
        scratch = Course(tmp)
        for hw in hws:
            res = scratch.nbgrader("generate_assignment", hw, "--force", "--no-db", *flags)
            if not res.ok:
                raise CourseError(f"generate_assignment {hw} failed:\n{_tail(res.output)}")
            fresh = scratch.release_notebook(hw)
            committed = course.release_notebook(hw)
            if not committed.exists() or _read_json(committed) != _read_json(fresh):
                stale.append(hw)
    return stale


def _read_json(path: Path) -> dict:
    """A notebook's JSON, so that formatting differences alone do not count as a change."""
    return json.loads(path.read_text(encoding="utf-8"))


# ----------------------------------------------------------------- autograde
def check_submission(path: Path) -> str | None:
    """``None`` if ``path`` is a readable notebook, else the reason it is not."""
    if not path.exists():
        return f"no notebook {path.name} in the submission folder"
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})"
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # json errors, schema errors
        return f"{path.name} is not a valid notebook: {str(exc).splitlines()[0][:200]}"
    if not nb.cells:
        return f"{path.name} has no cells"
    return None


def autograde(course: Course, hw: str, students=None, timeout: float = 900, feedback: bool = True,
              jobs: int = 1, progress=None, sandbox: bool | None = None, limits=None,
              cell_timeout: int | None = None, cluster=None, force: bool = False,
              allowed_failures: int | None = None, refuse_published: bool = True) -> list[SubmissionResult]:
    """Autograde ``submitted/<student>/<hw>/`` for each student (all by default), as Dask tasks.

    Each submission is graded by nbgrader in a Dask worker, in a scratch copy of
    the course, with its own kernel and a wall-clock ``timeout``; only this process
    writes the gradebook, ``autograded/``, ``feedback/`` and the records (see
    :mod:`dgmlab.grading.cluster`). An invalid, failing or hanging submission
    is reported and the others are graded regardless. ``cluster``: a Dask
    scheduler address or a ``distributed.Client``; without it a LocalCluster of
    ``jobs`` worker processes grades on this machine. A submission whose key
    (its files, the homework, dgmlab's version) matches its last finished
    grading is not graded again unless ``force``.
    ``sandbox``: ``True`` requires the bubblewrap sandbox (see
    :mod:`dgmlab.grading.sandbox`), ``False`` skips it, ``None`` uses it when
    the machine allows and warns loudly when it does not. ``cell_timeout``
    overrides the course's per-cell limit (``Execute.timeout``). A weights file
    that copies one the course kit publishes (its examples' and test fixtures')
    is not graded unless ``refuse_published`` is False (the demo grades the
    kit's own examples).
    """
    from . import cluster as K
    from . import sandbox as S

    (hw,) = course.check_homeworks([hw])
    usable, why = S.available()
    if sandbox is None:
        sandbox = usable
        if not usable:
            print(f"WARNING: grading WITHOUT a sandbox: {why}. Student code runs as you, can read source/ "
                  f"and the gradebook, and can use the network.", file=sys.stderr)
    elif sandbox and not usable and not isinstance(cluster, str):  # a remote cluster's workers check themselves
        raise CourseError(f"the sandbox was required but is not available: {why}")
    base = course.root / "submitted"
    if not base.is_dir():
        raise CourseError(f"no submissions folder {base}: collect submissions first "
                          f"(nbgrader collect, or copy them to submitted/<student>/{hw}/{hw}.ipynb)")
    students = list(students) if students else course.submitted(hw)
    if not students:
        raise CourseError(f"no submissions of {hw}: expected folders submitted/<student>/{hw}/")
    if jobs < 1:
        raise CourseError(f"--workers must be at least 1 (got {jobs})")
    return K.run(course, hw, students, cluster=cluster, workers=jobs, force=force, timeout=timeout,
                 feedback=feedback, sandbox=sandbox, limits=limits, cell_timeout=cell_timeout, progress=progress,
                 allowed_failures=K.DEFAULT_ALLOWED_FAILURES if allowed_failures is None else allowed_failures,
                 refuse_published=refuse_published)


def write_student_notebooks(course: Course, student: str, hw: str) -> list[Path]:
    """Copy ``autograded/<student>/<hw>/*.ipynb`` into ``feedback/<student>/<hw>/``, hidden tests removed.

    The autograded notebook holds the restored hidden tests; this copy (what a
    student may be given back to rerun) has each hidden region replaced by a
    note and test-cell tracebacks cut to their message, like the feedback HTML.
    """
    from .preprocessors import HideHiddenTests

    src = course.root / "autograded" / student / hw
    dest = course.root / "feedback" / student / hw
    written = []
    for path in sorted(src.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nb, _ = HideHiddenTests().preprocess(nb, {})
        dest.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest / path.name)
        written.append(dest / path.name)
    return written


KNOWN_FAILURES = [
    ("DeadKernelError", "the kernel died while running the notebook (os._exit, a crash, or running out of memory)"),
    ("Kernel died", "the kernel died while running the notebook (os._exit, a crash, or running out of memory)"),
    ("CellTimeoutError", "a cell ran past the time limit and could not be interrupted"),
    ("TimeoutError", "a cell ran past the time limit and could not be interrupted"),
    ("old version", "the notebook's nbgrader cell metadata is damaged (a graded cell was copied or edited outside Jupyter)"),
    ("MissingEntry", "the notebook does not match this homework's release (wrong notebook submitted?)"),
]
GENERIC = ("Please see the", "There was an error processing")


def _reason(output: str) -> str:
    """A one-line, readable cause of a failed nbgrader step."""
    for needle, text in KNOWN_FAILURES:
        if needle in output:
            return text
    lines = [ln.strip() for ln in output.splitlines()
             if ("ERROR" in ln or "Error" in ln) and not any(g in ln for g in GENERIC)]
    return (lines[-1] if lines else _tail(output, 3)).strip()[:300]


def _tail(text: str, n: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-n:])
