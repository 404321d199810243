"""``run_autograder``: grade the one submission in ``/autograder/submission`` and write
``/autograder/results/results.json`` (Gradescope's layout; ``DGMLAB_GRADESCOPE_ROOT`` or ``--root`` moves it).

The submission is graded by :func:`dgmlab.grading.autograde.worker.grade_submission`, the code every
``dgmlab autograde`` worker runs: a throw-away course holding the bundle's nbgrader_config.py, gradebook and source
files, the kernel behind the wall :mod:`.boundary` chose, the judge apart from it, with the graded draws' and
check inputs' seeds from the course's key (which stays in this process). So a notebook earns here what it earns
under ``dgmlab autograde`` with the same key.

    python -m dgmlab.grading.gradescope.run [--root /autograder]
    python -m dgmlab.grading.gradescope.run --check [--root ...]    # setup.sh's check: imports, boundary
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ... import __version__
from ..inert import terminal
from ..isolation.kernel_sandbox import Limits
from ..isolation.processes import SURVIVED
from ..judge.warm_imports import HOMEWORKS_ENV, ONE_SUBMISSION_ENV
from . import boundary as boundary_module
from . import results as results_module
from .late_policy import late_result

ROOT_ENV = "DGMLAB_GRADESCOPE_ROOT"
log = logging.getLogger(__name__)  # shown on stdout by main (log_to_stdout), which Gradescope shows the instructor
STUDENT = "student"  # the submission's folder name in the throw-away course


def grader_dir(root: Path) -> Path:
    return root / "source" / "grader"


def load_settings(root: Path) -> dict:
    path = grader_dir(root) / "settings.json"
    if not path.is_file():
        raise SystemExit(f"dgmlab: {path} is missing: upload the zip `dgmlab gradescope <hw>` wrote, unchanged")
    return json.loads(path.read_text("utf-8"))


def submission_files(folder: Path, hw: str, max_bytes: int) -> tuple[dict, str]:
    """``({relative path: bytes}, problem)`` of the submission: ``<hw>.ipynb`` at its top, or else its only
    notebook (Gradescope keeps the uploaded file's name), taken as ``<hw>.ipynb``; with the other files at its top
    (weights files). ``problem``: why it cannot be graded ("" when it can)."""
    from ..autograde.keys import folder_bytes, folder_files

    if not folder.is_dir():
        return {}, f"no submission folder {folder}"
    if folder_bytes(folder) > max_bytes:
        return {}, (f"the submission holds more than {max_bytes // 2 ** 20} MiB: hand in the notebook and the graded "
                    f"files only, not checkpoints or data")
    found = {rel: data for rel, data in folder_files(folder).items() if ".ipynb_checkpoints" not in rel}
    files = {rel: data for rel, data in found.items() if "/" not in rel}
    name = f"{hw}.ipynb"
    if name not in files:
        notebooks = sorted(rel for rel in found if rel.endswith(".ipynb"))
        if len(notebooks) != 1:
            return files, f"hand in one notebook, {name} (found: {', '.join(notebooks[:5]) or 'none'})"
        files = {k: v for k, v in files.items() if k != notebooks[0]}
        files[name] = found[notebooks[0]]
    return files, ""


@dataclass(frozen=True)
class Handed:
    """The one submission Gradescope handed this container and the bundle it is graded with, read once
    (:func:`handed_in`) and handed along: the bundle's settings, Gradescope's metadata, the files (``<hw>.ipynb``
    and the files at its top), why they cannot be graded (``""`` when they can), the course's draw key and what a
    worker takes for the homework."""

    root: Path  # Gradescope's /autograder
    settings: dict  # the bundle's settings.json
    meta: dict  # submission_metadata.json (read_metadata)
    files: dict  # {relative path: bytes}
    problem: str
    key: bytes = dataclasses.field(repr=False)  # the course's draw key (stays in this process)
    bundle: object = dataclasses.field(repr=False)  # worker_bundle: the task_records.Bundle, before the wall

    @property
    def hw(self) -> str:
        return self.settings["hw"]

    @property
    def grader(self) -> Path:
        return grader_dir(self.root)


def handed_in(root: Path, max_bytes: int) -> Handed:
    """The submission in ``root`` with the bundle's settings and Gradescope's metadata (read before any kernel
    starts: then root's alone); its notebook checked as it came (:func:`dgmlab.grading.layout.notebook_problem`)."""
    from .. import layout

    settings = load_settings(root)
    meta = read_metadata(root)
    name = f"{settings['hw']}.ipynb"
    files, problem = submission_files(root / "submission", settings["hw"], max_bytes)
    grader = grader_dir(root)
    key = bytes.fromhex((grader / "draw.key").read_text("utf-8").strip())
    return Handed(root, settings, meta, files, problem or layout.notebook_problem(files[name], name) or "", key,
                  worker_bundle(grader, settings))


def worker_bundle(grader: Path, settings: dict):
    """What :func:`~dgmlab.grading.autograde.worker.grade_submission` takes for the homework, read from the bundle's
    folder ``grader`` (as :func:`dgmlab.grading.autograde.homework_bundle.make_bundle` makes it in a course); the
    wall is added by :func:`walled`."""
    from ..autograde.keys import folder_files
    from ..autograde.task_records import Bundle

    return Bundle(hw=settings["hw"], version=__version__, config=(grader / "nbgrader_config.py").read_text("utf-8"),
                  gradebook=(grader / "gradebook.db").read_bytes(), notebooks=tuple(settings["notebooks"]),
                  source={k: v for k, v in folder_files(grader / settings["source_folder"]).items()
                          if not k.endswith(".ipynb")}, timeout=settings["timeout"], feedback=False, sandbox=None,
                  limits=Limits(memory=settings["memory"], file_size=settings["file_size"], tmpfs=settings["tmpfs"]),
                  cell_timeout=settings["cell_timeout"], course_id=settings["course_id"])


def walled(bundle, wall):
    """``bundle`` graded behind ``wall`` (:func:`.boundary.choose`): its sandbox, and its config lines added."""
    config = bundle.config
    if wall.config_lines:
        config += "\n# -- added by dgmlab's Gradescope autograder: the kernel's wall (boundary.py)\n"
        config += "\n".join(wall.config_lines) + "\n"
    return dataclasses.replace(bundle, config=config, sandbox=wall.sandbox)


METADATA = "submission_metadata.json"


def read_metadata(root: Path) -> dict:
    """Gradescope's ``/autograder/submission_metadata.json``, read once, before any kernel starts, and then made
    root's alone (mode 600): its ``previous_submissions[].results`` may hold the student's earlier results, hidden
    tests' included, which a kernel run as the unprivileged user (:mod:`.boundary`) must not read. ``{}`` when
    there is none (or it is not JSON)."""
    path = root / METADATA
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        meta = {}
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    path.chmod(0o600)
    return meta if isinstance(meta, dict) else {}


class GraderFailure(RuntimeError):
    """The grader, not the submission, could not grade: no results.json is written, so Gradescope reports the
    autograder as failed (never a score of 0) and the instructor reruns it once the cause is fixed."""


# jupyter_client's words when a kernel never answered: it could not start (the wall, the image), which no
# submission causes (the kernel runs nothing of it before it answers, and imports nothing from its folder)
KERNEL_NOT_STARTED = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")
JUDGE_FAILED = ("JudgeFailed: ", "JudgeRefused: ")  # the grading's reason when the judge did not start or crashed


def grader_fault(graded) -> None:
    """Raise :class:`GraderFailure` where the grading failed for the grader's sake, not the submission's: a broken
    worker, or a kernel that could not start. Never a 0 for the student then."""
    if graded.infrastructure:
        raise GraderFailure(f"the grader failed: {graded.reason}")
    if graded.status == "failed" and any(words in (graded.reason or "") for words in KERNEL_NOT_STARTED):
        raise GraderFailure(f"the kernel could not start, so nothing was graded: {graded.reason}")

    if graded.status == "failed" and (graded.reason or "").startswith(JUDGE_FAILED):  # judge_process.JudgeFailed
        raise GraderFailure(f"the judge could not judge, so nothing was graded: {graded.reason}")
    if graded.status == "failed" and SURVIVED in (graded.reason or ""):  # the wall could not end the kernel
        raise GraderFailure(f"the kernel's user could not be stopped, so nothing was graded: {graded.reason}")


JUDGE_COMMAND = "dgmlab.grading.judge.judge_process"  # in the command line of the judge and of its forks
CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")  # which cgroup this process is in: "0::<path>" (v2), "<n>:memory:<path>" (v1)
CGROUP_FILES = {2: ("memory.max", "memory.current", "inactive_file"),  # limit, usage, inactive file cache in .stat
                1: ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")}
CONTAINER_ENV = "DGMLAB_GRADESCOPE_CONTAINER_MIB"  # the container's memory where no cgroup says it (a local run)
HEADROOM = 64 * 2 ** 20  # bytes below the container's memory at which the kernel is stopped: the grader's room to finish


def memory_cgroup() -> tuple[Path, int] | None:
    """The folder of this process's memory cgroup and its version (2 or 1), or None where there is none to read.
    In a container with its own cgroup namespace the path is ``/``: the container's own."""
    try:
        lines = SELF_CGROUP.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        version = 2 if controllers == "" else 1 if "memory" in controllers.split(",") else 0
        if version:
            base = CGROUP_ROOT if version == 2 else CGROUP_ROOT / "memory"
            for folder in (base / path.lstrip("/"), base):  # the path may not be mounted where it is named
                if (folder / CGROUP_FILES[version][0]).exists():
                    return folder, version
    return None


def _number(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and int(text) < 2 ** 60 else None  # "max" or a huge number: no limit


def container_working_set(found: tuple[Path, int] | None = None) -> int | None:
    """The bytes this process's memory cgroup (``found``, as :func:`memory_cgroup` gives it; looked up when not given)
    holds less its inactive file cache (what the OOM killer cannot reclaim; as kubelet and ``docker stats`` count it),
    None where no cgroup says."""
    found = found or memory_cgroup()
    if found is None:
        return None
    folder, version = found
    _, usage, inactive = CGROUP_FILES[version]
    held = _number(folder / usage)
    if held is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        for line in (folder / "memory.stat").read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(" ")
            if name == inactive:
                held -= int(value)
    return max(held, 0)


def container_memory() -> int | None:
    """The bytes the container may hold (its memory cgroup's limit; else :data:`CONTAINER_ENV`, in MiB), None when
    unlimited."""
    found = memory_cgroup()
    limit = _number(found[0] / CGROUP_FILES[found[1]][0]) if found else None
    if limit is None and os.environ.get(CONTAINER_ENV):
        limit = int(float(os.environ[CONTAINER_ENV]) * 2 ** 20)
    return limit


class PeakMemory:
    """The most memory this process and its descendants (kernel, judge and the judge's forks) held together, sampled
    every 50 ms: each one's proportional set size (a page shared by n processes counts 1/n to each, so the judge's
    copy-on-write forks are not counted again; the container's limit counts a page once too), its resident size
    where that cannot be read. ``parts``: at that peak, how much was the grader's (this process), the judge's (its
    process and forks) and the kernel's (the rest), in bytes.

    ``limit`` (bytes; None: no limit): where the tree, or the container's cgroup where it says, holds ``limit`` less
    :data:`HEADROOM`, the kernel's processes are killed, so the kernel dies with its cells' outputs kept and the grader
    writes the results, instead of the container's OOM killer ending the grader ("Killed", no feedback). ``stopped``:
    the bytes held then, or None."""

    def __init__(self, every: float = 0.05, pid: int | None = None, limit: int | None = None):
        #: every: seconds between samples; pid: the root of the measured tree (this process by default).
        self.every, self.pid, self.peak, self.parts, self._done = every, pid, 0, {}, threading.Event()
        self.limit, self.stopped = limit, None
        self._cgroup = memory_cgroup() if limit is not None else None  # looked up once, read at each sample

    def _sample(self):
        import psutil

        me = psutil.Process(self.pid)
        while not self._done.is_set():
            parts = {"grader": 0, "kernel": 0, "judge": 0}
            kernel = []
            for proc in [me, *me.children(recursive=True)]:
                try:
                    part = "grader" if proc.pid == me.pid else "judge" if JUDGE_COMMAND in proc.cmdline() else "kernel"
                    parts[part] += _proportional_size(proc)
                    if part == "kernel":
                        kernel.append(proc)
                except psutil.Error:
                    pass
            if sum(parts.values()) > self.peak:
                self.peak, self.parts = sum(parts.values()), parts
            if self.limit is not None and self.stopped is None and kernel:
                held = max(sum(parts.values()), (container_working_set(self._cgroup) if self._cgroup else 0) or 0)
                if held >= self.limit - HEADROOM:
                    self.stopped = held
                    for proc in kernel:
                        with contextlib.suppress(psutil.Error):
                            proc.kill()
            self._done.wait(self.every)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True, name="dgmlab-peak-memory")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()


def _proportional_size(proc) -> int:
    """``proc``'s proportional set size, its resident size where that cannot be read (psutil errors propagate)."""
    import psutil

    try:
        return proc.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):
        return proc.memory_info().rss


def grade(root: Path) -> dict:
    """Grade ``root/submission`` and return results.json's content (never raises for a submission's fault):
    :func:`handed_in`, the wall (:func:`.boundary.choose`), :func:`graded`, then the course's late policy."""
    from ..autograde.worker import MAX_SUBMISSION_BYTES

    t0 = time.time()
    handed = handed_in(root, MAX_SUBMISSION_BYTES)
    settings = handed.settings
    wall = boundary_module.choose(settings["sandbox"], handed.grader, settings["memory"], settings["file_size"])
    log.info("dgmlab: isolation: %s", wall.why)
    before = time.time() - t0
    got, mem = graded(handed, wall)
    peak, parts = (mem.peak, mem.parts) if mem else (None, None)
    stopped = (mem.stopped, mem.limit) if mem and mem.stopped else None
    points = sum(s or 0.0 for _, _, s in (got.scores or {}).get("scores", []))
    late, dates = late_result(handed.grader, settings, points, handed.meta) if got.status == "graded" else (None, "")
    timings = {"read_and_wall": before, **(got.timings or {})}  # the worker's phases (autograde.timings.PHASES)
    return results_module.build(settings["cells"], got, visibility=settings["visibility"], boundary=wall.why,
                                late=late, seconds=time.time() - t0, peak_memory=peak, memory_parts=parts,
                                dates=dates, stopped=stopped, timings=timings)


def graded(handed: Handed, wall) -> tuple:
    """``(outcome, the memory it took: PeakMemory, None without a kernel)`` of grading ``handed`` behind ``wall``, by the code every
    ``dgmlab autograde`` worker runs (:func:`~dgmlab.grading.autograde.worker.grade_submission`); a submission that
    cannot be graded is ``invalid`` without a kernel. Raises :class:`GraderFailure` where the grader failed."""
    from ..autograde.task_records import Outcome
    from ..autograde.worker import grade_submission

    if handed.problem:
        return Outcome(student=STUDENT, status="invalid", reason=handed.problem), None
    if not wall.kind:
        raise GraderFailure(f"not graded: {wall.why}")
    bundle = walled(handed.bundle, wall)
    started = time.time()
    job = submission_job(handed)
    seeded = time.time() - started  # the draws' seeds and the published-copy check's process
    os.environ[HOMEWORKS_ENV] = handed.hw  # the judge loads this homework's tests alone (judge.warm_imports)
    os.environ[ONE_SUBMISSION_ENV] = "1"  # and nothing ahead for forks to come: there is one
    with PeakMemory(limit=container_memory()) as mem:
        got = grade_submission(bundle, job)
    if wall.kind == "user":
        boundary_module.stop_user_processes(wall.uid, wall.gid)
    grader_fault(got)
    return dataclasses.replace(got, timings={"seeds_and_copy_check": seeded, **(got.timings or {})}), mem


def submission_job(handed: Handed):
    """The :class:`~dgmlab.grading.autograde.task_records.Job` of ``handed``: its files with the graded draws' and
    check inputs' seeds from the course's key (which stays in this process), each weights file checked against the
    kit's published ones in a process of its own that ends before the kernel starts (:mod:`.seeds`)."""
    from ..autograde import draw_seeds
    from ..autograde.task_records import Job
    from . import seeds as seeds_module

    probe_seed = draw_seeds.probe_seed(handed.key, handed.hw, handed.files[f"{handed.hw}.ipynb"])
    try:
        seeds = seeds_module.seeds(handed.grader, handed.settings, handed.key, handed.files)
    except seeds_module.CheckFailed as exc:
        raise GraderFailure(str(exc)) from exc
    for name, entry in seeds.items():
        if "refused" in entry:  # the student reads it in the cell's output, the instructor here
            log.warning("%s", terminal(f"dgmlab: {name} is not graded, its graded cell earns 0: "
                                       f"{entry['refused'][:600]}"))
    return Job(student=STUDENT, files=handed.files, submitted_at=time.time(), draw_seeds=seeds,
               probe_seed=probe_seed)


def check(root: Path) -> int:
    """setup.sh's last step: the grader imports, the bundle reads, and which wall grading would take here; 1 (setup.sh
    fails, and Gradescope with it, at upload) where none would, as none is grade-able."""
    settings = load_settings(root)
    if settings["version"] != __version__:
        print(f"dgmlab: this bundle was written by dgmlab {settings['version']} but dgmlab {__version__} is "
              f"installed: install the same version (setup.sh's package source)", file=sys.stderr)
        return 1
    wall = boundary_module.choose(settings["sandbox"], grader_dir(root), settings["memory"], settings["file_size"])
    head = f"dgmlab {__version__}, {settings['hw']}: "
    if wall.kind:
        print(head + f"grading wall: {wall.why}", flush=True)
        return 0
    # every submission would fail: fail the build, so that Gradescope shows it on uploading the zip
    fix = (f"Rebuild the zip without --sandbox (`dgmlab gradescope {settings['hw']}`: where bubblewrap cannot run, "
           "the kernel runs as an unprivileged user), or use an image where bubblewrap runs"
           if settings["sandbox"] is True else "Fix what it says, then upload the zip again")
    print(head + f"ERROR: nothing would be graded here: {wall.why}. {fix}", flush=True)
    return 1


SKIPPED_IMPORTS = ("rfc3987_syntax",)  # optional modules that cost seconds at import and that grading never uses


def skip_slow_imports() -> None:
    """Keep :data:`SKIPPED_IMPORTS` out of this process (``None`` in ``sys.modules``: importing them fails, which their
    importers allow): jsonschema, nbformat's validator, builds rfc3987_syntax's IRI grammar when it is installed, about
    1.5 s of one core per submission, for a string format that no notebook's schema uses."""
    for name in SKIPPED_IMPORTS:
        sys.modules.setdefault(name, None)


def log_to_stdout() -> None:
    """The grader's messages (the ``dgmlab`` loggers, INFO and up) on stdout, the message alone, as Gradescope shows
    ``run_autograder``'s output to the instructor. Once a process."""
    top = logging.getLogger("dgmlab")
    if not any(getattr(h, "dgmlab_gradescope", False) for h in top.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.dgmlab_gradescope = True
        handler.setFormatter(logging.Formatter("%(message)s"))
        top.addHandler(handler)
    top.setLevel(logging.INFO)
    top.propagate = False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dgmlab.grading.gradescope.run",
                                     description="Gradescope's run_autograder for a dgmlab homework")
    parser.add_argument("--root", default=os.environ.get(ROOT_ENV, "/autograder"),
                        help="the autograder's folder (Gradescope's /autograder)")
    parser.add_argument("--check", action="store_true", help="check the installation and say which wall holds")
    args = parser.parse_args(argv)
    log_to_stdout()
    skip_slow_imports()
    root = Path(args.root)
    if args.check:
        return check(root)
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        results = grade(root)
    except GraderFailure as exc:
        print(f"dgmlab: {exc}", file=sys.stderr)
        return 1
    tmp = out.with_name(".results.json.tmp")
    tmp.write_text(json.dumps(results, indent=1), encoding="utf-8")
    tmp.replace(out)
    print(f"dgmlab: {results.get('extra_data', {}).get('status')}: {results['score']:g} points "
          f"({len(results['tests'])} tests) -> {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
