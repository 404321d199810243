"""A grading worker's task: one submission graded in a throw-away course in the worker's scratch folder, and
what comes back (scores, files, status, reason, timings); see :mod:`dgmlab.grading.autograde`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import socket
import stat
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ... import __version__
from .. import layout, nbgrader_gradebook, returned_notebooks
from ..draw_key import KEY_ENV
from ..isolation import kernel_sandbox
from ..nbgrader_app import CELL_STUCK
from ..preprocessors.working_folder import left_folders
from ..submission import Submission
from .keys import folder_files
from .nbgrader_run import run_autograde, run_feedback
from .task_records import Bundle, Job, Outcome

MAX_SUBMISSION_BYTES = 512 * 1024 ** 2
# The working folder after grading (the submission's files, the source's and whatever its code wrote), counted by
# a walk that reads no file: over either cap only the graded notebooks and the feedback come back.
MAX_WORKDIR_FILES = 2000  # files, folders and links
MAX_WORKDIR_BYTES = 256 * 1024 ** 2  # bytes of its regular files


# ------------------------------------------------------------------ worker side
TIMING_CONFIG = '''

# -- added by dgmlab for this scratch grading only: time each cell and start kernels through
# dgmlab.grading.isolation.kernels.GradingKernelManager (dgmlab.grading.preprocessors.TimedExecute)
from dgmlab.grading.preprocessors import timed_autograde_preprocessors as _timed
c.Autograde.autograde_preprocessors = _timed(c.Autograde.get("autograde_preprocessors"))
'''


def _scratch_base() -> Path:
    """Where this worker builds scratch courses (a kernel sees none of them:
    :func:`dgmlab.grading.isolation.bubblewrap.host_view`)."""
    local = Path(tempfile.gettempdir()) / "dgmlab-grading"
    if "distributed" in sys.modules:  # a Dask worker has imported it; not imported only to ask (Gradescope: 12 MiB)
        from distributed import get_worker

        with contextlib.suppress(ValueError):
            local = Path(get_worker().local_directory)
    base = local / "dgmlab-grading"
    base.mkdir(parents=True, exist_ok=True)
    return base


def write_files(folder: Path, files: dict) -> None:
    for rel, data in files.items():
        path = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise ValueError(f"refusing a file outside its folder: {rel}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _cell_phases(lines: list, t_launch: float, t_exit: float) -> dict:
    """Phases from the TimedExecute records of each notebook (see :data:`PHASES`)."""
    out = {"nbgrader_start": 0.0, "kernel_start": 0.0, "imports": 0.0, "cells": 0.0, "tests": 0.0,
           "kernel_stop": 0.0}
    if not lines:
        return out
    out["nbgrader_start"] = lines[0]["execute_start"] - t_launch
    for rec in lines:
        ready = rec.get("kernel_ready") or rec.get("execute_end")
        out["kernel_start"] += ready - rec["execute_start"]
        seen_answer = False
        for cell in rec["cells"]:
            seconds = cell["end"] - cell["start"]
            seen_answer = seen_answer or cell["kind"] == "answer"
            if cell["kind"] == "test":
                out["tests"] += seconds
                name = f"test:{cell['grade_id']}"
                out[name] = out.get(name, 0.0) + seconds
            elif not seen_answer:
                out["imports"] += seconds
            else:
                out["cells"] += seconds
        last = rec["cells"][-1]["end"] if rec["cells"] else ready
        out["kernel_stop"] += rec["execute_end"] - last
    out["save_grades"] = t_exit - lines[-1]["execute_end"]
    return out


def grade_task(bundle: dict, job: dict) -> dict:
    """:func:`grade_submission` as a Dask task: the bundle and the job in, the outcome out, in wire form
    (:mod:`.task_records`). A bundle of another dgmlab is refused before it is read (an ``infrastructure`` outcome)."""
    version = bundle.get("version") if isinstance(bundle, dict) else None
    if version != __version__:
        worker = _worker_name()
        return Outcome(student=str(job.get("student", "")) if isinstance(job, dict) else "", worker=worker,
                       reason=f"worker {worker} runs dgmlab {__version__}, the coordinator {version}: install the "
                              f"same dgmlab on every worker", infrastructure=True, finished_at=time.time()).to_wire()
    return grade_submission(Bundle.from_wire(bundle), Job.from_wire(job)).to_wire()


@dataclass(frozen=True)
class Scratch:
    """A submission laid out in a throw-away course, ready for nbgrader (:func:`_prepare`)."""

    root: Path
    course: layout.Course
    sub: Submission  # the submission's folders in the scratch course
    timings_file: Path  # where TimedExecute writes each cell's times
    started: float  # the worker's clock when the grading began


@dataclass(frozen=True)
class Ran:
    """What nbgrader's steps gave in the scratch course (:func:`_run`)."""

    status: str  # "graded", "failed", "timed out"
    reason: str
    steps: tuple  # StepResult of autograde (and generate_feedback)
    scores: dict | None  # what autograde wrote (nbgrader_gradebook.read_scores), when graded
    handed: tuple  # the notebooks handed in, the only ones graded and returned
    set_aside: Path | None  # the working folder as the kernel left it, less those notebooks
    timings: dict


def grade_submission(bundle: Bundle, job: Job) -> Outcome:
    """Grade one submission in a scratch course on this worker and return what happened (never writes the course):
    :func:`_prepare`, :func:`_run`, :func:`_collect`."""
    # nbgrader 0.9.6's gradebook warns on every submission under SQLAlchemy 2 (an autoflush mid-build): noise
    # on the instructor's terminal, where a worker's stderr goes, not a problem
    warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
    started, worker = time.time(), _worker_name()
    waited = {"queue_wait": max(0.0, started - job.submitted_at)}
    refused = _refusal(bundle, worker)
    if refused:
        return Outcome(student=job.student, reason=refused, timings=waited, worker=worker, infrastructure=True,
                       finished_at=time.time())
    root = Path(tempfile.mkdtemp(prefix="course-", dir=_scratch_base()))
    try:
        scratch = _prepare(root, bundle, job, started)
        got = _collect(scratch, _run(scratch, bundle, job))
        got = dataclasses.replace(got, worker=worker, timings={**waited, **got.timings})
    except Exception as exc:  # a broken worker, not a broken submission: say what happened
        got = Outcome(student=job.student, reason=f"grading crashed on worker {worker}: {exc!r}"[:300],
                      timings=waited, worker=worker, infrastructure=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return dataclasses.replace(got, finished_at=time.time())


def _refusal(bundle: Bundle, worker: str) -> str:
    """Why this worker will not grade for ``bundle`` (``""``: it will): another dgmlab, or no sandbox where one is
    needed. Decided here, where the kernel runs: ``sandbox`` None (the course's default) sandboxes when this machine
    can and refuses to grade when it cannot; only a course that allows it (``sandbox`` False) grades without."""
    if bundle.version != __version__:
        return (f"worker {worker} runs dgmlab {__version__}, the coordinator {bundle.version}: install the same "
                "dgmlab on every worker")
    if bundle.sandbox is False:
        return ""
    usable, why = kernel_sandbox.available()
    if usable:
        return ""
    if bundle.sandbox:
        return f"the sandbox is required but not available on worker {worker}: {why}"
    return (f"worker {worker} cannot build the sandbox ({why}) and the course does not allow grading without it "
            "(--no-sandbox, c.DgmlabAutograde.sandbox = False)")


def _prepare(root: Path, bundle: Bundle, job: Job, started: float) -> Scratch:
    """The scratch course in ``root``: the course's config (with dgmlab's cell timings), the homework's gradebook
    (with the student's extension), its source files and the submission.

    The scratch gradebook is not a round trip that could be skipped: nbgrader 0.9.6's autograde needs one. Its
    ``Autograde.init_assignment`` finds the assignment and its notebooks there and writes the student, the
    submission (with ``timestamp.txt``'s time) and a zero for each notebook not handed in; the sanitize
    preprocessors (``OverwriteCells``, ``OverwriteKernelspec``, dgmlab's ``TrustSourceCells``) read each cell's
    definition from it; ``SaveAutoGrades`` computes each cell's score and writes it there only (the autograded
    notebook holds no score); ``AssignLatePenalties`` and generate_feedback's ``GetGrades`` read them back from it.
    So the scores exist only in this gradebook, and :func:`_run` reads them from it
    (:func:`dgmlab.grading.nbgrader_gradebook.read_scores`) to hand the course's one gradebook writer (the coordinator)."""
    (root / "nbgrader_config.py").write_text(bundle.config + TIMING_CONFIG, encoding="utf-8")
    (root / "gradebook.db").write_bytes(bundle.gradebook)
    scratch = layout.Course(root)  # its folders are the ones the course's config names, as nbgrader reads them
    sub, source = scratch.submission(bundle.hw, job.student), scratch.folder("source", bundle.hw)
    write_files(source, bundle.source)
    write_files(sub.submitted, job.files)
    if job.extension:
        nbgrader_gradebook.grant_extension(_db(root), bundle.course_id, sub.hw, sub.student, job.extension)
    return Scratch(root, scratch, sub, root / "timings.jsonl", started)


def _db(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def _run(scratch: Scratch, bundle: Bundle, job: Job) -> Ran:
    """nbgrader's autograde of the submission (in the sandbox unless the course allows none); graded, its scores
    and (when the bundle asks) the feedback. Everything the kernel left in the working folder but the notebooks
    handed in is first set aside (a notebook it wrote would otherwise be taken as graded)."""
    hw, student, graded = scratch.sub.hw, scratch.sub.student, scratch.sub.autograded
    with contextlib.ExitStack() as stack:
        # never the draw key; the kernel imports nothing from the submission folder (a dgmlab/ handed in must not
        # replace dgmlab)
        env = {KEY_ENV: None, "PYTHONSAFEPATH": "1"}
        box = (None if bundle.sandbox is False else
               stack.enter_context(kernel_sandbox.Sandbox(graded, bundle.limits, env=env)))
        t_prepared = time.time()
        res = run_autograde(scratch.root, hw, student, timeout=bundle.timeout, cell_timeout=bundle.cell_timeout,
                            box=box, timings_file=scratch.timings_file, env=env, probe_seed=job.probe_seed,
                            draw_seeds=json.dumps(job.draw_seeds, sort_keys=True))
    timings = {"prepare": t_prepared - scratch.started, **_phases(scratch.timings_file, t_prepared, time.time())}
    handed = tuple(sorted(rel for rel in job.files if "/" not in rel and rel.endswith(".ipynb")
                          and rel[:-len(".ipynb")] in bundle.notebooks))
    aside = _set_aside(graded, scratch.root / "left_by_grading", handed)
    if res.timed_out:
        return Ran("timed out", f"grading took longer than {bundle.timeout:g} s", (res,), None, handed, aside,
                   timings)
    if res.failure == CELL_STUCK:  # the student's code, not the grader: as a notebook past --timeout
        return Ran("timed out", CELL_STUCK, (res,), None, handed, aside, timings)
    if not res.ok:
        return Ran("failed", res.reason, (res,), None, handed, aside, timings)
    scores = nbgrader_gradebook.read_scores(_db(scratch.root), bundle.course_id, hw, student)
    if not bundle.feedback:
        return Ran("graded", "", (res,), scores, handed, aside, timings)
    t_fb = time.time()
    fb, reason = _feedback(scratch)
    return Ran("graded", reason, (res, fb), scores, handed, aside, {**timings, "feedback": time.time() - t_fb})


def _phases(timings_file: Path, t_prepared: float, t_exit: float) -> dict:
    """The autograde step's phases from TimedExecute's records (:func:`_cell_phases`)."""
    lines = []
    if timings_file.exists():
        lines = [json.loads(x) for x in timings_file.read_text("utf-8").splitlines() if x.strip()]
    return _cell_phases(lines, t_prepared, t_exit) if lines else {"nbgrader_start": t_exit - t_prepared}


def _feedback(scratch: Scratch) -> tuple:
    """``(generate_feedback's step, why the feedback or the returned notebook is missing, or "")``: the grade
    stands either way."""
    fb = run_feedback(scratch.root, scratch.sub.hw, scratch.sub.student)
    if not fb.ok:
        return fb, "graded, but feedback failed: " + fb.reason
    try:
        returned_notebooks.write_student_notebooks(scratch.course, scratch.sub.student, scratch.sub.hw)
    except Exception as exc:  # the grade stands; only the returned copy is missing
        return fb, f"graded, but the returned notebook could not be written: {exc}"[:300]
    return fb, ""


def _collect(scratch: Scratch, ran: Ran) -> Outcome:
    """What goes back to the coordinator: the graded notebooks and what the kernel left that may come back, the
    feedback, what the hidden tests kept, and the notes on what did not come back."""
    t_collect = time.time()
    sub = scratch.sub
    graded = sub.autograded
    autograded, notes = folder_files(graded), []
    for left in [ran.set_aside, *left_folders(graded)]:  # what the kernel left: SealWorkingFolder moved it aside
        if left is not None:
            files, note = _left_behind(left, ran.handed)
            autograded.update(files)
            notes += note
    reason = "; ".join([ran.reason, *notes] if ran.reason else notes)[:600] if notes else ran.reason
    return Outcome(student=sub.student, status=ran.status, reason=reason, seconds=ran.steps[0].seconds,
                   timings={**ran.timings, "collect": time.time() - t_collect}, scores=ran.scores,
                   autograded=autograded, feedback=folder_files(sub.feedback),
                   kept=folder_files(sub.kept),  # only the hidden tests write there
                   steps=ran.steps, notebooks_run=tuple(sorted(p.stem for p in graded.glob("*.ipynb"))))


def _left_behind(left: Path, handed) -> tuple:
    """``({relative path: bytes}, notes)``: the files the kernel left in ``left`` that come back, and what did not."""
    names, written, over = scan_working_folder(left)
    written = [w for w in written if w not in handed]  # the handed-in copy nbgrader ran is no news
    notes = []
    if written:
        notes.append(f"{len(written)} notebook(s) its code wrote while graded were neither graded nor kept: "
                     + ", ".join(written[:3]) + (", ..." if len(written) > 3 else ""))
    if over:
        notes.append(f"{over} after grading: only the graded notebook and the feedback came back")
    files = {}
    for rel in names or []:
        data = _read_regular(left / rel, MAX_WORKDIR_BYTES)
        if data is not None:
            files[rel] = data
    return files, notes


def _set_aside(graded: Path, dest: Path, keep) -> Path | None:
    """Move the working folder ``graded`` to ``dest``, then back into ``graded`` only the notebooks ``keep`` (regular
    files that nbgrader wrote); returns ``dest``, or ``None`` when there was no working folder."""
    if not graded.is_dir() or graded.is_symlink():
        return None
    dest.parent.mkdir(parents=True, exist_ok=True)
    graded.rename(dest)
    graded.mkdir()
    for name in keep:
        path = dest / name
        if path.is_file() and not path.is_symlink():
            path.rename(graded / name)
    return dest


def scan_working_folder(folder: Path, max_files: int | None = None, max_bytes: int | None = None):
    """``(files to return, notebooks written, why none are returned)`` of ``folder``, from a walk that reads no file.

    Files to return: the relative paths of its regular files (links and notebooks left out), or ``None`` when the
    folder holds more than ``max_files`` entries (files, folders, links) or ``max_bytes`` bytes of regular files
    (defaults :data:`MAX_WORKDIR_FILES`, :data:`MAX_WORKDIR_BYTES`); the walk stops as soon as a cap is passed."""
    max_files = MAX_WORKDIR_FILES if max_files is None else max_files
    max_bytes = MAX_WORKDIR_BYTES if max_bytes is None else max_bytes
    names, notebooks = [], []
    count = size = 0
    todo = [folder]
    while todo:
        current = todo.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            count += 1
            if count > max_files:
                return None, sorted(notebooks), f"its working folder held more than {max_files:,} files"
            rel = Path(entry.path).relative_to(folder).as_posix()
            try:
                if entry.is_dir(follow_symlinks=False):
                    todo.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    size += entry.stat(follow_symlinks=False).st_size
                    if size > max_bytes:
                        return None, sorted(notebooks), (f"its working folder held more than "
                                                         f"{max_bytes / 1024 ** 2:g} MiB")
                    (notebooks if rel.endswith(".ipynb") else names).append(rel)
            except OSError:
                continue
    return sorted(names), sorted(notebooks), ""


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is (still) a regular file, at most ``limit`` of them; never follows a link nor
    waits on a pipe."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return f.read(limit)


def _worker_name() -> str:
    """``host:pid`` of this worker, after the SLURM job it runs in (if any)."""
    job = os.environ.get("SLURM_JOB_ID", "")
    return (f"SLURM job {job} on " if job.isdigit() else "") + f"{socket.gethostname()}:{os.getpid()}"


def worker_info() -> dict:
    """What a worker reports before grading: its dgmlab and whether it can sandbox."""
    usable, why = kernel_sandbox.available()
    return {"version": __version__, "sandbox": usable, "why": why, "python": sys.version.split()[0],
            "name": _worker_name()}
