"""The nbgrader steps run in a course: release, and autograde (through :mod:`dgmlab.grading.autograde`).

The course directory itself, results and the submission check are in :mod:`.layout` (re-exported
here for the commands and tests that use them as ``course.Course``).

Release runs nbgrader's ``GenerateAssignment`` converter in this process, configured as
``nbgrader generate_assignment <hw> --force`` run in the course root configures it, so plain
``nbgrader`` commands see exactly the same files and gradebook. Autograding runs nbgrader's
converters in grading workers (see :mod:`dgmlab.grading.autograde`): each submission's code runs
in a kernel of its own, so one that crashes, hangs or floods output is that kernel's problem alone.
"""
from __future__ import annotations

import ast
import dataclasses
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .. import syntax_tree
from ..probes import CHECKS_FILE, EXPECTED_FILE, POINTS_FILE
from . import nbgrader_app
from .autograde.cluster_platforms import on_this_machine
from .hand import audit_log
from .hidden import FILE
from .isolation import kernel_sandbox
from .layout import (  # noqa: F401
    HW_PATTERN,
    STATE,
    Course,
    CourseError,
    StepResult,
    SubmissionResult,
    check_submission,
    log_reason,
    log_tail,
    read_json,
)

if TYPE_CHECKING:
    from .autograde.options import RunOptions

log = logging.getLogger(__name__)  # warnings a user must read: `dgmlab` shows them on stderr (cli.log_to_stderr)


# ----------------------------------------------------------------- release
def install_source(course: Course, local_only: bool = False):
    """The :class:`~dgmlab.grading.preprocessors.SetInstallSource` that ``nbgrader_config.py`` configures.

    ``local_only=True`` turns a local-only release on whatever the file says.
    Its ``problem()`` is why release notebooks cannot be written (``None`` when they can).
    """
    from .preprocessors import SetInstallSource

    config = course.config()
    names = config.GenerateAssignment.get("preprocessors", [])
    if not any(getattr(n, "__name__", n).endswith("SetInstallSource") for n in names):
        raise CourseError("nbgrader_config.py's c.GenerateAssignment.preprocessors does not list "
                          "dgmlab.grading.preprocessors.install_source.SetInstallSource, so release notebooks would "
                          "not get the course's install source: add it before nbgrader.preprocessors.LockCells")
    pre = SetInstallSource(config=config)
    if local_only:
        pre.local_only = True
    return pre


def _generate_assignment(course: Course, hw: str, local_only: bool, no_db: bool = False) -> StepResult:
    """nbgrader's ``GenerateAssignment`` converter on ``hw``, in this process, configured as
    ``nbgrader generate_assignment <hw> --force [--no-db] [--SetInstallSource.local_only=True]`` run in the course
    root configures it from the course's ``nbgrader_config.py`` (its flags as the traits
    ``GenerateAssignmentApp`` maps them to)."""
    args = ["generate_assignment", hw, "--force"]
    config = nbgrader_app.nbgrader_config(course.root, hw)  # --force: BaseConverter.force
    if no_db:
        args.append("--no-db")
        config.SaveCells.enabled = False
        config.GenerateAssignment.no_database = True
    if local_only:
        args.append("--SetInstallSource.local_only=True")
        config.SetInstallSource.local_only = True
    with nbgrader_app.as_nbgrader_command(course.root):
        return nbgrader_app.generate_assignment(config, args)


CELLS_LOCKED = "Cannot add or remove cells"  # nbgrader's refusal: the gradebook holds submissions of the old cells
CELLS_CHANGED = ("\n{hw}'s source notebook adds or removes graded cells, but the gradebook holds submissions "
                 "graded on the old ones, so nbgrader will not change them; release/{hw}/ is kept as it was. A scratch "
                 "or demo course: `make clean-grading` (deletes gradebook.db, submitted/, autograded/, feedback/), "
                 "then release again. A real course: never add or remove a homework's graded cells once it was "
                 "handed in; release the changed homework under a new name.")


def _kept_on_failure(course: Course, hw: str, generate) -> StepResult:
    """``generate()`` (nbgrader's generate_assignment with ``--force``, which deletes ``release/<hw>/`` first), with
    ``release/<hw>/`` put back as it was when it fails: a failed release never loses the last one."""
    folder = course.folder("release", hw)
    with tempfile.TemporaryDirectory(prefix="dgmlab-release-") as kept:
        if folder.is_dir():
            shutil.copytree(folder, Path(kept) / hw, symlinks=True)
        res = generate()
        if not res.ok and (Path(kept) / hw).is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(Path(kept) / hw, folder, symlinks=True)
    return res


SECRET_MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "dgmlab.grading")  # never in a released checks.py


def checks_secret(course: Course, hw: str) -> str | None:
    """What is wrong with releasing ``source/<hw>/checks.py`` (a course's own homework's visible checks, which
    the release hands students with the notebook), or ``None``: it must hold no solution, no hidden test and no
    reference from the grader's package (docs/authoring.md, "Visible checks")."""
    checks = course.folder("source", hw) / CHECKS_FILE
    if not checks.is_file():
        return None
    found = [m for m in SECRET_MARKERS if m in checks.read_text(encoding="utf-8")]
    if not found:
        return None
    return (f"source/{hw}/{CHECKS_FILE} holds {', '.join(repr(m) for m in found)}, but it is released to "
            "students with the notebook: keep only visible checks there, and hidden tests and references in "
            f"homeworks/{hw}/hidden.py; nothing was released")


def values_unrecorded(course: Course, hw: str) -> str | None:
    """Why releasing ``hw`` would hand students visible checks with nothing to compare with, or ``None``: its
    ``source/<hw>/hidden.py`` records values (a top-level ``EXPECTED``) but ``source/<hw>/expected.json`` is missing,
    so every student's check of those values would fail. Read with :mod:`ast`, nothing of it run."""
    hidden = course.folder("source", hw) / FILE
    if not hidden.is_file() or (hidden.parent / EXPECTED_FILE).is_file():
        return None
    try:
        tree = syntax_tree.parse(hidden.read_text(encoding="utf-8"), filename=str(hidden))
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None  # the build reports a hidden.py it cannot read
    records = any(isinstance(node, (ast.Assign, ast.AnnAssign))
                  and any(isinstance(t, ast.Name) and t.id == "EXPECTED"
                          for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))
                  for node in tree.body)
    if not records:
        return None
    return (f"source/{hw}/{FILE} records values (EXPECTED) but source/{hw}/{EXPECTED_FILE} is missing, so every "
            f"student's visible check of them would fail: run dgmlab build --record-expected {hw}; nothing was "
            f"released")


def hidden_tests_copied(course: Course, hw: str) -> str | None:
    """Why nbgrader would copy ``source/<hw>/hidden.py`` (a course's own homework's hidden tests, for the grader only)
    into ``release/<hw>/`` and into the folder each submission runs in, or ``None``: the course's
    ``c.CourseDirectory.ignore`` must match it, as nbgrader matches the files it copies."""
    from . import nbgrader_preprocessing

    path = course.folder("source", hw) / FILE
    if not path.is_file():
        return None
    ignore = nbgrader_preprocessing.course_directory(course.config()).ignore
    if nbgrader_app.ignored_by_nbgrader(path, ignore):
        return None
    return (f"source/{hw}/{FILE} holds {hw}'s hidden tests, but nbgrader_config.py's c.CourseDirectory.ignore "
            f"({ignore}) does not list {FILE!r}, so nbgrader would copy them into release/{hw}/ and into the folder "
            f"each submission runs in: add {FILE!r} to c.CourseDirectory.ignore")


def release(course: Course, hws=None, local_only: bool = False) -> list[StepResult]:
    """nbgrader's ``generate_assignment --force`` for each homework (all by default).

    Refuses (:class:`CourseError`, nothing written) when the course sets no usable
    install source, unless ``local_only``: then the setup cells name none; when a course's own
    homework's ``checks.py`` (released with it) holds a solution, a hidden test or a grader reference; and when
    nbgrader would copy its ``hidden.py`` into the release (:func:`hidden_tests_copied`); and when its hidden.py
    records values but they were not recorded (:func:`values_unrecorded`).
    """
    hws = course.check_homeworks(hws)
    problem = install_source(course, local_only).problem()
    if problem:
        raise CourseError(problem)
    for hw in hws:
        problem = checks_secret(course, hw) or hidden_tests_copied(course, hw) or values_unrecorded(course, hw)
        if problem:
            raise CourseError(problem if problem.endswith("nothing was released") else
                              f"{problem}; nothing was released")
    results = []
    for hw in hws:
        res = _kept_on_failure(course, hw, lambda hw=hw: _generate_assignment(course, hw, local_only))
        if not res.ok:
            raise CourseError(f"generate_assignment {hw} failed:\n{log_tail(res.output)}"
                              + (CELLS_CHANGED.format(hw=hw) if CELLS_LOCKED in res.output else ""))
        shipped = {f"{hw}.ipynb"}
        checks = course.folder("source", hw) / CHECKS_FILE
        if checks.is_file():  # a course's own homework: its checks, which the student's check() reads
            shipped.add(CHECKS_FILE)
            if (checks.parent / EXPECTED_FILE).is_file():  # and the values they compare with (--record-expected)
                shipped.add(EXPECTED_FILE)
            if (checks.parent / POINTS_FILE).is_file():  # and each cell's points (its tests' @points summed)
                shipped.add(POINTS_FILE)
        extra = sorted(p.relative_to(course.root).as_posix() for p in course.folder("release", hw).rglob("*")
                       if p.is_file() and p.relative_to(course.folder("release", hw)).as_posix() not in shipped)
        if extra:
            log.warning("WARNING: release/%s/ also holds %s: files next to the source notebook are released too; "
                        "remove local outputs from source/%s/ and release again", hw, ", ".join(extra[:5]), hw)
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
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copy(course.root / "nbgrader_config.py", tmp / "nbgrader_config.py")
        scratch = Course(tmp)
        for hw in hws:
            shutil.copytree(course.folder("source", hw), scratch.folder("source", hw),
                            ignore=shutil.ignore_patterns("figures", "*.pt", ".ipynb_checkpoints", "__pycache__"))
        for hw in hws:
            res = _generate_assignment(scratch, hw, local_only, no_db=True)
            if not res.ok:
                raise CourseError(f"generate_assignment {hw} failed:\n{log_tail(res.output)}")
            fresh = scratch.release_notebook(hw)
            committed = course.release_notebook(hw)
            if not committed.exists() or read_json(committed) != read_json(fresh):
                stale.append(hw)
    return stale


def autograde(course: Course, hw: str, students=None, options: RunOptions | None = None, *, cluster=None,
              progress=None, grader: str | None = None) -> list[SubmissionResult]:
    """Autograde ``submitted/<student>/<hw>/`` for each student (all by default), as Dask tasks, as ``options``
    says (:class:`~dgmlab.grading.autograde.options.RunOptions`, whose defaults are the only ones).

    Each submission is graded by nbgrader in a Dask worker, in a scratch copy of
    the course, with its own kernel and a wall-clock ``options.timeout``; only this process
    writes the gradebook, ``autograded/``, ``feedback/`` and the records (see
    :mod:`dgmlab.grading.autograde`). An invalid, failing or hanging submission
    is reported and the others are graded regardless. ``cluster``: a Dask
    scheduler address, a ``distributed.Client``, or ``"slurm"`` (SLURM jobs as the
    course's ``c.DgmlabSlurm`` says, ``options.slurm``'s values over it: :mod:`dgmlab.grading.autograde.slurm`);
    without it a LocalCluster of ``options.workers`` worker processes grades on this machine. ``progress`` is
    called with each result as it is written. A submission whose key (its files, the homework, dgmlab's version)
    matches its last finished grading is not graded again unless ``options.force``.
    ``options.sandbox``: ``True`` requires the bubblewrap sandbox (see
    :mod:`dgmlab.grading.isolation.kernel_sandbox`), ``False`` skips it, ``None`` uses it when
    the machine allows: on this machine (a LocalCluster) it warns loudly when
    not; a cluster's worker that cannot build it refuses to grade. ``options.cell_timeout``
    overrides the course's per-cell limit (``Execute.timeout``). A weights file
    that copies one the course kit publishes (its examples' and test fixtures')
    is not graded unless ``options.refuse_published`` is False (the demo grades the
    kit's own examples). The homework's audit log (``rubrics/<hw>.log.jsonl``) gets a line, as ``grader``'s (default:
    ``$DGMLAB_GRADER``, else the OS user), for each submission graded again with ``options.force`` and for each cell
    graded by hand that a grading reopened (:func:`_logged`).
    """
    from .autograde import coordinator
    from .autograde.options import RunOptions

    options = options or RunOptions()
    (hw,) = course.check_homeworks([hw])
    problem = hidden_tests_copied(course, hw)
    if problem:
        raise CourseError(f"{problem}; nothing was graded")
    dropped = sorted(set(students or ()) & course.dropped())
    if dropped:
        raise CourseError(f"{', '.join(dropped)} dropped the course (c.DgmlabTerm.dropped in nbgrader_config.py): "
                          "not graded; their files are kept (take them out of the setting to grade them)")
    if _on_this_machine(cluster):  # the kernels run here: decide here, as each worker would
        options = _sandbox_or_why_not(course, options)
    # elsewhere each worker decides where its kernels run: None sandboxes there, or refuses to grade there
    base = course.folder("submitted")
    if not base.is_dir():
        raise CourseError(f"no submissions folder {base}: collect submissions first "
                          f"(nbgrader collect, or copy them to submitted/<student>/{hw}/{hw}.ipynb)")
    students = list(students) if students else course.submitted(hw)
    if not students:
        raise CourseError(f"no submissions of {hw}: expected folders submitted/<student>/{hw}/")
    if options.workers < 1:
        raise CourseError(f"--workers must be at least 1 (got {options.workers})")
    return coordinator.run(course, hw, students, options, cluster=cluster,
                           progress=_logged(course, hw, options.force, grader, progress))


REGRADED, REOPENED = "graded again (--force)", "reopened by a regrade"  # the audit log's "what" for autograde's lines


def _logged(course: Course, hw: str, forced: bool, grader: str | None, progress):
    """``progress`` that first logs each result in ``hw``'s audit log, as it arrives (a run stopped midway keeps
    the lines of what it wrote): a submission graded again because ``forced``, and each cell graded by hand that
    its grading reopened (its hand score kept, why it is to grade again)."""
    who = audit_log.grader(grader)

    def log_then_tell(result: SubmissionResult) -> None:
        events = [{"what": REGRADED, "student": result.student, "new": {"status": result.status}}] \
            if forced and not result.skipped else []
        events += [{"what": REOPENED, "question": cell, "student": result.student, "old": score, "new": {"why": why}}
                   for cell, score, why in result.reopened]
        if events:
            audit_log.append(course, hw, events, who=who, via="autograde")
        if progress:
            progress(result)
    return log_then_tell


SANDBOXED = "sandboxed"  # in the course's .dgmlab/: its kernels have run sandboxed on this machine before


def _sandbox_or_why_not(course: Course, options):
    """``options`` with ``sandbox`` decided for kernels on this machine: left unset, sandboxed where bubblewrap can
    build the sandbox, else unsandboxed with a loud warning, unless this course's kernels ran sandboxed here before:
    then a sandbox that fails now is refused, not given up silently (an attacker's trial used up the machine's user
    namespaces from one kernel, and two gradings started meanwhile ran unsandboxed)."""
    usable, why = kernel_sandbox.available()
    marker = course.root / STATE / SANDBOXED
    if options.sandbox is None and not usable and marker.exists():
        raise CourseError(f"this course's kernels ran sandboxed here before, but the sandbox fails now: {why}. Fix "
                          "that (or wait for what holds the machine's namespaces to end), or grade unsandboxed on "
                          f"purpose with --no-sandbox (then delete {marker} to make that the default)")
    if options.sandbox is None:
        options = dataclasses.replace(options, sandbox=usable)
        if not usable:
            log.warning("WARNING: grading WITHOUT a sandbox: %s. Student code runs as you, can read source/ "
                        "and the gradebook, and can use the network.", why)
    elif options.sandbox and not usable:
        raise CourseError(f"the sandbox was required but is not available: {why}")
    if options.sandbox:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    return options


def _on_this_machine(cluster) -> bool:
    """Whether ``cluster`` grades on this machine: none given (a LocalCluster is started), a plug-in that grades here,
    or a client of a LocalCluster."""
    if cluster is None or isinstance(cluster, str):  # an address, or a cluster plug-in (local, slurm, a course's)

        return on_this_machine(cluster)
    from distributed import LocalCluster

    return isinstance(getattr(cluster, "cluster", None), LocalCluster)


