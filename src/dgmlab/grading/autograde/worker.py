"""A grading worker's task: one submission graded in a throw-away course in the worker's scratch folder, and
what comes back (scores, files, status, reason, timings); see :mod:`.cluster`.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from .. import layout as C
from .. import returned_notebooks
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
    try:
        from distributed import get_worker

        local = Path(get_worker().local_directory)
    except (ImportError, ValueError):
        local = Path(tempfile.gettempdir()) / "dgmlab-grading"
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


def _scores(root: Path, hw: str, student: str, config_cid: str) -> dict:
    """What nbgrader's autograde wrote into the scratch gradebook for ``student``."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", config_cid) as gb:
        sub = gb.find_submission(hw, student)
        scores, comments = [], []
        for nb in sub.notebooks:
            scores += [(nb.name, g.name, g.auto_score) for g in nb.grades]
            comments += [(nb.name, c.name, c.auto_comment) for c in nb.comments]
        return {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
                "scores": scores, "comments": comments}


def grade_task(bundle: dict, job: dict) -> dict:
    """:func:`grade_submission` as a Dask task: the bundle and the job in, the outcome out, in wire form
    (:mod:`.task_records`). A bundle of another dgmlab is refused before it is read (an ``infrastructure`` outcome)."""
    from ... import __version__

    version = bundle.get("version") if isinstance(bundle, dict) else None
    if version != __version__:
        worker = _worker_name()
        return Outcome(student=str(job.get("student", "")) if isinstance(job, dict) else "", worker=worker,
                       reason=f"worker {worker} runs dgmlab {__version__}, the coordinator {version}: install the "
                              f"same dgmlab on every worker", infrastructure=True, finished_at=time.time()).to_wire()
    return grade_submission(Bundle.from_wire(bundle), Job.from_wire(job)).to_wire()


def grade_submission(bundle: Bundle, job: Job) -> Outcome:
    """Grade one submission in a scratch course on this worker and return what happened (never writes the course).
    """
    import warnings

    from ... import __version__
    from ..isolation import kernel_sandbox as S
    from . import draw_seeds as DS

    # nbgrader 0.9.6's gradebook warns on every submission under SQLAlchemy 2 (an autoflush mid-build): noise
    # on the instructor's terminal, where a worker's stderr goes, not a problem
    warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
    t_start = time.time()
    hw, student = bundle.hw, job.student
    timings = {"queue_wait": max(0.0, t_start - job.submitted_at)}
    out = {"student": student, "status": "failed", "reason": "", "seconds": 0.0, "timings": timings,
           "worker": _worker_name(), "scores": None, "autograded": {}, "feedback": {},
           "steps": [], "notebooks_run": []}
    if bundle.version != __version__:
        out["reason"] = (f"worker {out['worker']} runs dgmlab {__version__}, the coordinator {bundle.version}: "
                         f"install the same dgmlab on every worker")
        out["infrastructure"] = True
        return _outcome(out)
    # decided here, where the kernel runs: None (the course's default) sandboxes when this machine can and refuses
    # to grade when it cannot; only a course that allows it (sandbox False) grades without
    sandboxed = bundle.sandbox is not False
    if sandboxed:
        usable, why = S.available()
        if not usable:
            out["reason"] = (f"the sandbox is required but not available on worker {out['worker']}: {why}"
                             if bundle.sandbox else
                             f"worker {out['worker']} cannot build the sandbox ({why}) and the course does not allow "
                             f"grading without it (--no-sandbox, c.DgmlabAutograde.sandbox = False)")
            out["infrastructure"] = True
            return _outcome(out)
    base = _scratch_base()
    root = Path(tempfile.mkdtemp(prefix="course-", dir=base))
    try:
        (root / "nbgrader_config.py").write_text(bundle.config + TIMING_CONFIG, encoding="utf-8")
        (root / "gradebook.db").write_bytes(bundle.gradebook)
        scratch = C.Course(root)  # its folders are the ones the course's config names, as nbgrader reads them
        write_files(scratch.folder("source", hw), bundle.source)
        write_files(scratch.folder("submitted", hw, student), job.files)
        cid = bundle.course_id
        if job.extension:
            import datetime

            from nbgrader.api import Gradebook

            with Gradebook(f"sqlite:///{root / 'gradebook.db'}", cid) as gb:
                gb.update_or_create_student(student)
                gb.update_or_create_submission(hw, student, extension=datetime.timedelta(seconds=job.extension))
        timing_file = root / "timings.jsonl"
        t_prepared = time.time()
        with contextlib.ExitStack() as stack:
            box = None
            env = {DS.KEY_ENV: None, "PYTHONSAFEPATH": "1"}  # never the draw key; the kernel imports nothing from
            # the submission folder (a dgmlab/ handed in must not replace dgmlab)
            if sandboxed:
                box = stack.enter_context(S.Sandbox(scratch.folder("autograded", hw, student), bundle.limits,
                                                    env=env))
            t_prepared = time.time()
            res = run_autograde(root, hw, student, timeout=bundle.timeout, cell_timeout=bundle.cell_timeout,
                                box=box, timings_file=timing_file, env=env, probe_seed=job.probe_seed,
                                draw_seeds=json.dumps(job.draw_seeds, sort_keys=True))
        t_exit = time.time()
        timings["prepare"] = t_prepared - t_start
        lines = []
        if timing_file.exists():
            lines = [json.loads(x) for x in timing_file.read_text("utf-8").splitlines() if x.strip()]
        if lines:
            timings.update(_cell_phases(lines, t_prepared, t_exit))
        else:
            timings["nbgrader_start"] = t_exit - t_prepared
        out["steps"].append(res)
        out["seconds"] = res.seconds
        out["status"] = "graded"
        # only the notebooks handed in are graded, given feedback and returned: everything else the kernel left
        # in its working folder moves aside (a notebook it wrote would otherwise be taken as graded)
        graded = scratch.folder("autograded", hw, student)
        handed = sorted(rel for rel in job.files if "/" not in rel and rel.endswith(".ipynb")
                        and rel[:-len(".ipynb")] in bundle.notebooks)
        left = _set_aside(graded, root / "left_by_grading", handed)
        notes = []
        if res.timed_out:
            out["status"], out["reason"] = "timed out", f"grading took longer than {bundle.timeout:g} s"
        elif not res.ok:
            out["status"], out["reason"] = "failed", res.reason
        else:
            out["scores"] = _scores(root, hw, student, cid)
            if bundle.feedback:
                t_fb = time.time()
                fb = run_feedback(root, hw, student)
                out["steps"].append(fb)
                if not fb.ok:
                    out["reason"] = "graded, but feedback failed: " + fb.reason
                else:
                    try:
                        returned_notebooks.write_student_notebooks(scratch, student, hw)
                    except Exception as exc:  # the grade stands; only the returned copy is missing
                        out["reason"] = f"graded, but the returned notebook could not be written: {exc}"[:300]
                timings["feedback"] = time.time() - t_fb
        t_collect = time.time()
        out["notebooks_run"] = sorted(p.stem for p in graded.glob("*.ipynb"))
        out["autograded"] = folder_files(graded)
        from ..preprocessors.working_folder import left_folders

        for left in [left, *left_folders(graded)]:  # what the kernel left: SealWorkingFolder moved it aside
            if left is None:
                continue
            names, written, over = scan_working_folder(left)
            written = [w for w in written if w not in handed]  # the handed-in copy nbgrader ran is no news
            if written:
                notes.append(f"{len(written)} notebook(s) its code wrote while graded were neither graded nor kept: "
                             + ", ".join(written[:3]) + (", ..." if len(written) > 3 else ""))
            if over:
                notes.append(f"{over} after grading: only the graded notebook and the feedback came back")
            for rel in names or []:
                data = _read_regular(left / rel, MAX_WORKDIR_BYTES)
                if data is not None:
                    out["autograded"][rel] = data
        out["feedback"] = folder_files(scratch.folder("feedback", hw, student))
        out["kept"] = folder_files(scratch.kept_folder(hw, student))  # only the grader's hidden tests write there
        if notes:
            out["reason"] = "; ".join([out["reason"], *notes] if out["reason"] else notes)[:600]
        timings["collect"] = time.time() - t_collect
    except Exception as exc:  # a broken worker, not a broken submission: say what happened
        out["status"], out["reason"] = "failed", f"grading crashed on worker {out['worker']}: {exc!r}"[:300]
        out["infrastructure"] = True
    finally:
        shutil.rmtree(root, ignore_errors=True)
        out["finished_at"] = time.time()
    return _outcome(out)


def _outcome(found: dict) -> Outcome:
    """The record of what :func:`grade_submission` found, built up as a dict while it grades."""
    return Outcome(**{**found, "steps": tuple(found["steps"]), "notebooks_run": tuple(found["notebooks_run"])})


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
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return f.read(limit)


def _worker_name() -> str:
    """``host:pid`` of this worker, after the SLURM job it runs in (if any)."""
    job = os.environ.get("SLURM_JOB_ID", "")
    return (f"SLURM job {job} on " if job.isdigit() else "") + f"{socket.gethostname()}:{os.getpid()}"


def worker_info() -> dict:
    """What a worker reports before grading: its dgmlab and whether it can sandbox."""
    from ... import __version__
    from ..isolation import kernel_sandbox as S

    usable, why = S.available()
    return {"version": __version__, "sandbox": usable, "why": why, "python": sys.version.split()[0],
            "name": _worker_name()}
