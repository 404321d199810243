"""Autograding as Dask distributed tasks: one code path for a laptop and a cluster.

``dgmlab autograde <hw>`` starts a :class:`distributed.LocalCluster` (one
process per worker, one thread each); ``--cluster ADDRESS`` uses a running
Dask scheduler instead (SLURM, Kubernetes: docs/cluster.md). Either way:

- **Workers only grade.** A task gets the homework's *bundle* (the course's
  ``nbgrader_config.py``, a gradebook holding only this homework's cells, the
  non-notebook files of ``source/<hw>/``) and one submission's files, builds a
  throw-away course in the worker's scratch folder, runs nbgrader's autograde
  (and generate_feedback) converters there in the worker's own process, the
  submission's kernel in the sandbox (:func:`run_autograde`), and returns
  the scores nbgrader computed, the autograded and feedback files, the
  status, reason and timings. Workers need no shared filesystem and never see
  the class's gradebook.
- **One writer.** Only this (the coordinating) process writes the course:
  ``gradebook.db`` (nbgrader's SQLite must have one writer), ``autograded/``,
  ``feedback/`` and the records ``.dgmlab/grading/<hw>/<student>.json``, one
  submission at a time as results arrive, the record last.
- **Nothing lost, nothing twice.** Each grading is keyed by a hash of the
  submission's files, the homework's source folder, the course config and
  dgmlab's version (:func:`grading_key`), stored in the record. A run that
  was interrupted grades again only submissions without a record of the same
  key. A worker that dies mid-grade has its submission re-run on another
  worker by Dask's scheduler; one whose grading kills its worker
  ``allowed_failures + 1`` times is reported ``failed`` (Dask's
  ``KilledWorker``), not retried forever.
- **Timings.** Each grading records its phases (:data:`PHASES`);
  :func:`phase_summary` gives median and p95 per phase.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from . import layout as C

# Phases of one grading, in order (seconds). Test cells are also kept one by one as "test:<grade_id>".
PHASES = [
    ("queue_wait", "submitted by the coordinator until a worker started it"),
    ("prepare", "writing the scratch course and the sandbox's kernelspec"),
    ("nbgrader_start", "nbgrader's converter set up in the worker, sanitizing, up to executing"),
    ("kernel_start", "starting the sandboxed kernel until it answers"),
    ("imports", "cells before the first answer cell (setup: dgmlab, torch)"),
    ("cells", "the other non-test cells (the student's answers and code)"),
    ("tests", "all graded test cells"),
    ("kernel_stop", "after the last cell until the kernel (and its sandbox) is gone"),
    ("save_grades", "then nbgrader saves scores and writes the autograded notebook"),
    ("feedback", "nbgrader's generate_feedback and the returned notebook"),
    ("collect", "reading the scores and files the worker sends back"),
    ("transfer", "worker finished until the coordinator had the result"),
    ("write_back", "the coordinator writing gradebook, files and record"),
    ("gradebook", "of which the gradebook rows (one SQLite transaction)"),
    ("total", "submitted until written back"),
]
MAX_SUBMISSION_BYTES = 512 * 1024 ** 2
# The working folder after grading (the submission's files, the source's and whatever its code wrote), counted by
# a walk that reads no file: over either cap only the graded notebooks and the feedback come back.
MAX_WORKDIR_FILES = 2000  # files, folders and links
MAX_WORKDIR_BYTES = 256 * 1024 ** 2  # bytes of its regular files
DEFAULT_ALLOWED_FAILURES = 2
FINAL = ("graded", "invalid", "failed", "timed out")


# ------------------------------------------------------------------ keys
def _files(folder: Path) -> dict:
    """``{relative posix path: bytes}`` of the regular files under ``folder`` (links skipped)."""
    out = {}
    if folder.is_dir():
        for p in sorted(folder.rglob("*")):
            if p.is_file() and not p.is_symlink():
                out[p.relative_to(folder).as_posix()] = p.read_bytes()
    return out


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, dict):
            for name in sorted(part):
                h.update(f"{name}\0{len(part[name])}\0".encode())
                h.update(part[name])
        else:
            data = part if isinstance(part, bytes) else str(part).encode()
            h.update(f"{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


def homework_digest(course: C.Course, hw: str, refuse_published: bool = True, published=None) -> str:
    """Hash of what grading ``hw`` depends on besides the submission: ``source/<hw>/``, the config, dgmlab, the
    draw key's fingerprint and, when copies of them are refused, the kit's published weights files (``published``:
    :func:`~dgmlab.grading.shared_weights.published_weights` when already read)."""
    from .. import __version__

    from . import draw_seeds as DS
    from .shared_weights import published_weights

    source = _files(course.root / "source" / hw)
    source = {k: v for k, v in source.items() if not _ignored(k)}
    if refuse_published:
        read = published_weights(course, hw) if published is None else published
        published = {rel: w.digest.encode() for rel, w in read}
    else:
        published = "published weights graded"  # the demo's grades are not a course's
    return _digest(f"dgmlab {__version__}", (course.root / "nbgrader_config.py").read_bytes(), source,
                   DS.fingerprint(DS.course_key(course)),  # a new draw key draws, and grades, anew
                   published)


def grading_key(course: C.Course, hw: str, student: str, hw_digest: str | None = None) -> str:
    """The key of grading ``student``'s ``hw``: same key, same grade (see module docstring)."""
    hw_digest = hw_digest or homework_digest(course, hw)
    return _digest(hw_digest, _files(course.root / "submitted" / student / hw))


IGNORED_PARTS = (".ipynb_checkpoints", "__pycache__", "figures", "artifacts")


def _ignored(rel: str) -> bool:
    parts = rel.split("/")
    return any(p in IGNORED_PARTS for p in parts) or rel.endswith((".pyc", ".log"))


# ------------------------------------------------------------------ bundle
def _config(course: C.Course):
    from traitlets.config.loader import PyFileConfigLoader

    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    except Exception as exc:
        raise C.CourseError(f"could not read {course.root / 'nbgrader_config.py'}: {exc}") from exc


def db_url(course: C.Course, config=None) -> str:
    config = config if config is not None else _config(course)
    return config.CourseDirectory.get("db_url") or f"sqlite:///{course.root / 'gradebook.db'}"


def course_id(config) -> str:
    return config.CourseDirectory.get("course_id") or "default_course"


def template_gradebook(course: C.Course, hw: str, path: Path, config=None) -> Path:
    """A new gradebook at ``path`` holding only ``hw``'s definition (no student): what workers grade against."""
    from nbgrader.api import Gradebook

    config = config if config is not None else _config(course)
    cid = course_id(config)
    url = db_url(course, config)
    if url.startswith("sqlite:///") and Path(url[len("sqlite:///"):]).exists():
        # the schema version the course's gradebook has: nbgrader would otherwise run `alembic` to learn it
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(url[len("sqlite:///"):])) as src, closing(sqlite3.connect(path)) as dst:
            rows = src.execute("SELECT version_num FROM alembic_version").fetchall()
            dst.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            dst.executemany("INSERT INTO alembic_version (version_num) VALUES (?)", rows)
            dst.commit()
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old_path])  # nbgrader runs `alembic`
    try:
        with Gradebook(url, cid) as src, Gradebook(f"sqlite:///{path}", cid) as dst:
            _copy_assignment(src, dst, hw)
    finally:
        os.environ["PATH"] = old_path
    return path


def _copy_assignment(src, dst, hw: str) -> None:
    from nbgrader.api import MissingEntry

    try:
        a = src.find_assignment(hw)
    except MissingEntry:
        raise C.CourseError(f"{hw} is not in the gradebook: run `dgmlab release {hw}` first") from None
    dst.update_or_create_assignment(hw, duedate=a.duedate)
    for nb in a.notebooks:
        dst.update_or_create_notebook(nb.name, hw, kernelspec=nb.kernelspec)
        for c in nb.grade_cells:
            dst.update_or_create_grade_cell(c.name, nb.name, hw, max_score=c.max_score, cell_type=c.cell_type)
        for c in nb.solution_cells:
            dst.update_or_create_solution_cell(c.name, nb.name, hw)
        for c in nb.task_cells:
            dst.update_or_create_task_cell(c.name, nb.name, hw, max_score=c.max_score, cell_type=c.cell_type)
        for c in nb.source_cells:
            dst.update_or_create_source_cell(c.name, nb.name, hw, cell_type=c.cell_type, locked=c.locked,
                                             source=c.source, checksum=c.checksum)


def make_bundle(course: C.Course, hw: str, *, timeout, feedback, sandbox, limits, cell_timeout, config=None) -> dict:
    """What every worker needs to grade ``hw`` (sent once per worker)."""
    from .. import __version__

    config = config if config is not None else _config(course)
    from nbgrader.api import Gradebook

    with tempfile.TemporaryDirectory() as tmp:
        gradebook = template_gradebook(course, hw, Path(tmp) / "gradebook.db", config).read_bytes()
        with Gradebook(f"sqlite:///{Path(tmp) / 'gradebook.db'}", course_id(config)) as gb:
            notebooks = sorted(nb.name for nb in gb.find_assignment(hw).notebooks)  # the only ones graded
    source = {k: v for k, v in _files(course.root / "source" / hw).items()
              if not _ignored(k) and not k.endswith(".ipynb")}  # nbgrader copies these over the submission
    return {"hw": hw, "version": __version__, "config": (course.root / "nbgrader_config.py").read_text("utf-8"),
            "gradebook": gradebook, "notebooks": notebooks, "source": source, "timeout": timeout,
            "feedback": feedback, "sandbox": bool(sandbox), "memory": limits.memory, "file_size": limits.file_size,
            "tmpfs": limits.tmpfs,
            "cell_timeout": cell_timeout, "hide": [str(course.root)], "course_id": course_id(config)}


# ------------------------------------------------------------------ worker side
TIMING_CONFIG = '''

# -- added by dgmlab for this scratch grading only: time each cell and start kernels through
# dgmlab.grading.sandbox.GradingKernelManager (dgmlab.grading.preprocessors.TimedExecute)
from dgmlab.grading.preprocessors import timed_autograde_preprocessors as _timed
c.Autograde.autograde_preprocessors = _timed(c.Autograde.get("autograde_preprocessors"))
'''


def _scratch_base() -> tuple[Path, Path]:
    """``(where this worker builds scratch courses, the folder to hide from kernels)``."""
    try:
        from distributed import get_worker

        local = Path(get_worker().local_directory)
    except (ImportError, ValueError):
        local = Path(tempfile.gettempdir()) / "dgmlab-grading"
    base = local / "dgmlab-grading"
    base.mkdir(parents=True, exist_ok=True)
    # every worker of this machine keeps its scratch under dask-scratch-space/: hide all of them
    hide = local.parent if local.parent.name == "dask-scratch-space" else local
    return base, hide


def _write(folder: Path, files: dict) -> None:
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


# Seconds a grading's nbgrader code may still run after its time limit killed its kernels; past that
# the worker process exits (Dask then reports the submission as killing its worker).
STOP_GRACE = 60.0
# nbgrader's converters change the process's working folder and environment while they run: one at a
# time per worker process (a worker with several threads grades one submission after another).
_NBGRADER_LOCK = threading.Lock()


def _nbgrader_config(root: Path, hw: str, student: str):
    """The scratch course's nbgrader config, as ``nbgrader autograde <hw> --student <student> --force`` sees it."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.assignment_id = hw
    config.CourseDirectory.student_id = student
    config.BaseConverter.force = True
    return config


def _converter_log() -> logging.Logger:
    """The logger nbgrader's converters write to in a worker (capture_log reads it per run)."""
    log = logging.getLogger("dgmlab.grading.nbgrader")
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


def _run_converter(converter, args: list) -> C.StepResult:
    """``converter.start()`` as nbgrader's API does (its log captured), as a :class:`StepResult`."""
    from nbgrader.utils import capture_log

    t0 = time.monotonic()
    result = capture_log(converter)
    output = result.get("log", "") + result.get("error", "")
    return C.StepResult(args, 0 if result["success"] else 1, output, time.monotonic() - t0)


@contextlib.contextmanager
def temporary_environment(env: dict):
    """``os.environ`` with ``env`` set (``None``: removed; a kernel started meanwhile inherits it), as it was
    afterwards."""
    saved = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _in_dask_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
        return True
    except (ImportError, ValueError):
        return False


def run_autograde(root: Path, hw: str, student: str, *, timeout: float, cell_timeout=None, box=None,
                  timings_file: Path | None = None, env: dict | None = None, probe_seed: int = 0) -> C.StepResult:
    """nbgrader's autograde of ``student``'s ``hw`` in the scratch course ``root``, in this process.

    nbgrader, traitlets and nbconvert stay imported between gradings; only the kernel is a new
    process (through ``box``, the sandbox, when given). After ``timeout`` seconds a watchdog kills
    the kernels this grading started with their whole process trees and lets it start no other; the
    result is then ``timed_out``. Should nbgrader's own code still not return :data:`STOP_GRACE`
    seconds later, a grading worker exits (Dask reports the submission as killing its worker). ``env``: variables
    an unsandboxed kernel gets for this grading only (the graded draws' seeds; ``box`` was given them itself).
    ``probe_seed``: the seed of the inputs check() test cells are judged on (:mod:`dgmlab.grading.judge`).
    """
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from . import sandbox as S

    config = _nbgrader_config(root, hw, student)
    config.Autograde.create_student = True
    config.ProbeTests.seed = int(probe_seed)
    from .draw_seeds import DRAW_SEEDS_ENV

    config.JudgeTests.draw_seeds = (env or {}).get(DRAW_SEEDS_ENV) or ""  # the grader draws from handed-in files
    if cell_timeout:
        config.Execute.timeout = int(cell_timeout)
    grading_id = f"{student}-{uuid.uuid4().hex}"
    config.GradingKernelManager.grading_id = grading_id
    if timings_file is not None:
        config.TimedExecute.timings_file = str(timings_file)
    if box is not None:
        box.configure(config)
    log = _converter_log()
    done, fired = threading.Event(), threading.Event()

    def watchdog():
        if done.wait(timeout):
            return
        fired.set()
        S.stop_kernels(grading_id)
        if not done.wait(STOP_GRACE) and _in_dask_worker():
            log.error("grading %s did not stop %g s after its time limit: exiting this worker", grading_id,
                      STOP_GRACE)
            os._exit(70)

    guard = threading.Thread(target=watchdog, name=f"dgmlab-watchdog-{student}", daemon=True)
    args = ["autograde", hw, "--student", student, "--force"]
    with _NBGRADER_LOCK, temporary_environment(env or {}):
        try:
            guard.start()
            converter = Autograde(coursedir=CourseDirectory(config=config), config=config, log=log)
            res = _run_converter(converter, args)
        finally:
            done.set()
            S.stop_kernels(grading_id)  # nothing is left running, whatever happened
            S.forget(grading_id)
    res.timed_out = fired.is_set()
    return res


def run_feedback(root: Path, hw: str, student: str) -> C.StepResult:
    """nbgrader's generate_feedback of ``student``'s ``hw`` in the scratch course ``root``, in this process."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    config = _nbgrader_config(root, hw, student)
    with _NBGRADER_LOCK:
        converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config, log=_converter_log())
        return _run_converter(converter, ["generate_feedback", hw, "--student", student, "--force"])


def grade_submission(bundle: dict, job: dict) -> dict:
    """Grade one submission in a scratch course on this worker and return what happened (never writes the course).

    ``job``: ``student``, ``files`` (the submission folder, ``{relative path: bytes}``),
    ``submitted_at`` (coordinator's clock), ``extension`` (seconds, or None).
    """
    from .. import __version__
    from . import draw_seeds as DS
    from . import sandbox as S

    t_start = time.time()
    hw, student = bundle["hw"], job["student"]
    timings = {"queue_wait": max(0.0, t_start - job["submitted_at"])}
    out = {"student": student, "status": "failed", "reason": "", "seconds": 0.0, "timings": timings,
           "worker": f"{socket.gethostname()}:{os.getpid()}", "scores": None, "autograded": {}, "feedback": {},
           "steps": [], "notebooks_run": []}
    if bundle["version"] != __version__:
        out["reason"] = (f"worker {out['worker']} runs dgmlab {__version__}, the coordinator {bundle['version']}: "
                         f"install the same dgmlab on every worker")
        out["infrastructure"] = True
        return out
    if bundle["sandbox"]:
        usable, why = S.available()
        if not usable:
            out["reason"] = f"the sandbox is required but not available on worker {out['worker']}: {why}"
            out["infrastructure"] = True
            return out
    base, hide = _scratch_base()
    root = Path(tempfile.mkdtemp(prefix="course-", dir=base))
    try:
        (root / "nbgrader_config.py").write_text(bundle["config"] + TIMING_CONFIG, encoding="utf-8")
        (root / "gradebook.db").write_bytes(bundle["gradebook"])
        _write(root / "source" / hw, bundle["source"])
        _write(root / "submitted" / student / hw, job["files"])
        cid = bundle["course_id"]
        if job.get("extension"):
            import datetime

            from nbgrader.api import Gradebook

            with Gradebook(f"sqlite:///{root / 'gradebook.db'}", cid) as gb:
                gb.update_or_create_student(student)
                gb.update_or_create_submission(hw, student, extension=datetime.timedelta(seconds=job["extension"]))
        scratch = C.Course(root)
        timing_file = root / "timings.jsonl"
        limits = S.Limits(memory=bundle["memory"], file_size=bundle["file_size"], tmpfs=bundle["tmpfs"])
        t_prepared = time.time()
        with contextlib.ExitStack() as stack:
            box = None
            env = {**DS.environment(job["draw_seeds"]), "PYTHONSAFEPATH": "1"}  # the kernel imports nothing from
            # the submission folder (a dgmlab/ handed in must not replace dgmlab)
            if bundle["sandbox"]:
                box = stack.enter_context(S.Sandbox(root, root / "autograded" / student / hw, limits,
                                                    hide=[*bundle["hide"], str(hide)], env=env))
            t_prepared = time.time()
            res = run_autograde(root, hw, student, timeout=bundle["timeout"], cell_timeout=bundle["cell_timeout"],
                                box=box, timings_file=timing_file, env=env, probe_seed=job.get("probe_seed", 0))
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
        graded = root / "autograded" / student / hw
        handed = sorted(rel for rel in job["files"] if "/" not in rel and rel.endswith(".ipynb")
                        and rel[:-len(".ipynb")] in bundle["notebooks"])
        left = _set_aside(graded, root / "left_by_grading", handed)
        notes = []
        if res.timed_out:
            out["status"], out["reason"] = "timed out", f"grading took longer than {bundle['timeout']:g} s"
        elif not res.ok:
            out["status"], out["reason"] = "failed", C._reason(res.output)
        else:
            out["scores"] = _scores(root, hw, student, cid)
            if bundle["feedback"]:
                t_fb = time.time()
                fb = run_feedback(root, hw, student)
                out["steps"].append(fb)
                if not fb.ok:
                    out["reason"] = "graded, but feedback failed: " + C._reason(fb.output)
                else:
                    try:
                        C.write_student_notebooks(scratch, student, hw)
                    except Exception as exc:  # the grade stands; only the returned copy is missing
                        out["reason"] = f"graded, but the returned notebook could not be written: {exc}"[:300]
                timings["feedback"] = time.time() - t_fb
        t_collect = time.time()
        out["notebooks_run"] = sorted(p.stem for p in graded.glob("*.ipynb"))
        out["autograded"] = _files(graded)
        from .workdir import left_folders

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
        out["feedback"] = _files(root / "feedback" / student / hw)
        if notes:
            out["reason"] = "; ".join([out["reason"], *notes] if out["reason"] else notes)[:600]
        timings["collect"] = time.time() - t_collect
    except Exception as exc:  # a broken worker, not a broken submission: say what happened
        out["status"], out["reason"] = "failed", f"grading crashed on worker {out['worker']}: {exc!r}"[:300]
        out["infrastructure"] = True
    finally:
        shutil.rmtree(root, ignore_errors=True)
        out["finished_at"] = time.time()
    return out


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


def worker_info() -> dict:
    """What a worker reports before grading: its dgmlab and whether it can sandbox."""
    from .. import __version__
    from . import sandbox as S

    usable, why = S.available()
    return {"version": __version__, "sandbox": usable, "why": why, "python": sys.version.split()[0]}


# ------------------------------------------------------------------ coordinator side
class Writer:
    """The only writer of the course: gradebook rows, autograded/ and feedback/ files, records."""

    def __init__(self, course: C.Course, hw: str, config=None):
        from nbgrader.api import Gradebook
        from nbgrader.preprocessors import AssignLatePenalties

        self.course, self.hw = course, hw
        self.config = config if config is not None else _config(course)
        self.gb = Gradebook(db_url(course, self.config), course_id(self.config))
        late = AssignLatePenalties(config=self.config)
        late.init_plugin()
        self.late = late
        self.seconds = []  # gradebook write time per graded submission

    def close(self):
        self.gb.close()

    def extensions(self, students) -> dict:
        """``{student: seconds}`` of extensions the gradebook holds for this homework."""
        out = {}
        for sub in self.gb.assignment_submissions(self.hw) if self._has_assignment() else []:
            if sub.extension and sub.student_id in students:
                out[sub.student_id] = sub.extension.total_seconds()
        return out

    def _has_assignment(self) -> bool:
        from nbgrader.api import MissingEntry

        try:
            self.gb.find_assignment(self.hw)
            return True
        except MissingEntry:
            return False

    def has_submission(self, student: str) -> bool:
        from nbgrader.api import MissingEntry

        try:
            self.gb.find_submission(self.hw, student)
            return True
        except MissingEntry:
            return False

    def gradebook(self, student: str, scores: dict, notebooks_run) -> None:
        """What nbgrader's autograde writes (init_assignment, SaveAutoGrades, AssignLatePenalties), from ``scores``."""
        import datetime

        import warnings

        from sqlalchemy.exc import SAWarning

        t0 = time.perf_counter()
        gb, hw = self.gb, self.hw
        try:
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission autoflushes mid-build
            gb.update_or_create_student(student)
            kwargs = {}
            if scores["timestamp"]:
                kwargs["timestamp"] = datetime.datetime.fromisoformat(scores["timestamp"])
            sub = gb.update_or_create_submission(hw, student, **kwargs)
            for nb_name, cell, auto_score in scores["scores"]:
                grade = gb.find_grade(cell, nb_name, hw, student)
                grade.auto_score = auto_score
                grade.needs_manual_grade = grade.manual_score is not None or auto_score is None
            for nb_name, cell, auto_comment in scores["comments"]:
                gb.find_comment(cell, nb_name, hw, student).auto_comment = auto_comment
            gb.db.commit()
            for nb_name in notebooks_run:
                notebook = gb.find_submission_notebook(nb_name, hw, student)
                notebook.late_submission_penalty = None
                if sub.total_seconds_late > 0:
                    penalty = self.late.plugin_inst.late_submission_penalty(student, notebook.score,
                                                                            sub.total_seconds_late)
                    if penalty is not None:
                        notebook.late_submission_penalty = self.late._check_late_penalty(notebook, penalty)
            gb.db.commit()
        except Exception:
            gb.db.rollback()
            raise
        self.seconds.append(time.perf_counter() - t0)

    def files(self, kind: str, student: str, files: dict) -> None:
        """Replace ``<kind>/<student>/<hw>/`` with ``files`` (as nbgrader's ``--force`` does)."""
        dest = self.course.root / kind / student / self.hw
        tmp = dest.parent / f".{self.hw}.incoming-{uuid.uuid4().hex[:8]}"
        try:
            _write(tmp, files)
            tmp.mkdir(parents=True, exist_ok=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)


def _write_back(writer: Writer, hw: str, job: dict, raw: dict, received: float) -> C.SubmissionResult:
    """Write one grading's result into the course (files, then gradebook rows); the record is the caller's."""
    # a failure of the machinery, not of the submission, keeps no key: the next run grades it again
    raw["key"] = "" if raw.get("infrastructure") else job["key"]
    timings = raw.setdefault("timings", {})
    if "finished_at" in raw:
        timings["transfer"] = max(0.0, received - raw["finished_at"])
    t_write = time.time()
    if raw.get("scores") is not None or raw.get("autograded"):
        writer.files("autograded", job["student"], raw["autograded"])
    if raw.get("feedback"):
        writer.files("feedback", job["student"], raw["feedback"])
    if raw["status"] == "graded":  # last: a grade in the gradebook only with its files in place
        writer.gradebook(job["student"], raw["scores"], raw["notebooks_run"])
        timings["gradebook"] = writer.seconds[-1]
    timings["write_back"] = time.time() - t_write
    timings["total"] = time.time() - job["submitted_at"]
    return _result(hw, raw)


def _unrecorded(hw: str, job: dict, raw, exc: Exception) -> C.SubmissionResult:
    """The ``failed`` result of a grading whose result could not be written into the course (``exc``): it keeps
    the grading's key, so that the next run does not grade it (and fail on it) again unless forced."""
    raw = raw if isinstance(raw, dict) else {}
    reason = (f"its result could not be recorded ({type(exc).__name__}: {str(exc)[:300]}); fix the cause, then grade "
              f"it again with `dgmlab autograde {hw} --student {job['student']} --force`")
    timings = raw.get("timings") if isinstance(raw.get("timings"), dict) else {}
    return C.SubmissionResult(hw, job["student"], "failed", reason, key="" if raw.get("infrastructure") else job["key"],
                              timings={k: v for k, v in timings.items() if isinstance(v, (int, float))},
                              worker=str(raw.get("worker", "")))


def _result(hw: str, raw: dict) -> C.SubmissionResult:
    return C.SubmissionResult(hw, raw["student"], raw["status"], raw["reason"], raw.get("seconds", 0.0),
                              raw.get("steps", []), key=raw.get("key", ""), timings=raw.get("timings", {}),
                              worker=raw.get("worker", ""))


@contextmanager
def client_for(cluster=None, workers: int = 1, allowed_failures: int = DEFAULT_ALLOWED_FAILURES):
    """A :class:`distributed.Client`: ``cluster`` as given (a Client, or a scheduler address), else a LocalCluster."""
    from distributed import Client, LocalCluster
    import dask

    if cluster is not None and not isinstance(cluster, str):
        yield cluster  # a Client the caller owns
        return
    if cluster:
        try:
            client = Client(cluster, timeout="10s")
        except OSError as exc:
            raise C.CourseError(f"could not reach the Dask scheduler at {cluster}: {exc} (start one, or leave "
                                f"out --cluster to grade on this machine)") from exc
        with client:
            yield client
        return
    # one grading per worker process at a time; a grading that kills its worker allowed_failures+1 times is failed
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures,
                          "distributed.scheduler.worker-saturation": 1.0}):
        with LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR, memory_limit=0) as local, Client(local) as client:
            yield client


def _identity(value):
    return value


def run(course: C.Course, hw: str, students, *, cluster=None, workers: int = 1, force: bool = False,
        timeout: float = 900, feedback: bool = True, sandbox: bool = True, limits=None, cell_timeout=None,
        progress=None, allowed_failures: int = DEFAULT_ALLOWED_FAILURES, task=None, refuse_published=True) -> list:
    """Grade ``students`` (checked by :func:`dgmlab.grading.course.autograde`) and write the results back.

    ``task`` replaces :func:`grade_submission` (benchmarks replay recorded gradings with it).
    ``refuse_published``: a weights file that copies one the kit publishes is not graded (see
    :func:`dgmlab.grading.draw_seeds.seeds_for`); the demo, which grades the kit's own examples, turns it off.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    from . import sandbox as S
    from .analysis import load_records, save_records

    from . import draw_seeds as DS
    from .shared_weights import published_weights

    limits = limits or S.Limits()
    config = _config(course)
    published = published_weights(course, hw) if refuse_published else []  # read once: for the key and the seeds
    hw_digest = homework_digest(course, hw, refuse_published, published)
    draw_key = DS.course_key(course)  # stays here: workers get each file's seed, never the key
    records = {} if force else load_records(course, hw)
    base = course.root / "submitted"
    results, pending = [], []
    writer = Writer(course, hw, config)

    def finish(result: C.SubmissionResult):
        try:
            save_records(course, [result])  # last: a result without its record is graded again next time
        except Exception as exc:
            print(f"dgmlab: could not write the record of {result.student}'s {hw} ({exc}): it is graded again "
                  f"next run", file=sys.stderr)
        results.append(result)
        if progress:
            progress(result)

    try:
        for student in students:
            folder = base / student / hw
            if not folder.is_dir():
                finish(C.SubmissionResult(hw, student, "invalid", f"no folder submitted/{student}/{hw}/"))
                continue
            key = ""
            try:
                files = _files(folder)
                key = _digest(hw_digest, files)
                rec = records.get(student)
                if (rec and rec.get("key") == key and rec.get("status") in FINAL
                        and (rec["status"] != "graded" or writer.has_submission(student))):
                    result = C.SubmissionResult(hw, student, rec["status"], rec.get("reason", ""),
                                                rec.get("seconds") or 0.0, key=key, timings=rec.get("timings", {}),
                                                skipped=True)
                    results.append(result)
                    if progress:
                        progress(result)
                    continue
                problem = C.check_submission(folder / f"{hw}.ipynb")
                if not problem and sum(len(v) for v in files.values()) > MAX_SUBMISSION_BYTES:
                    problem = f"the submission folder holds more than {MAX_SUBMISSION_BYTES // 1024 ** 2} MiB"
                if problem:
                    finish(C.SubmissionResult(hw, student, "invalid", problem, key=key))
                    continue
                seeds = DS.seeds_for(draw_key, hw, files, published)
            except Exception as exc:  # this submission alone: the class is still graded
                finish(C.SubmissionResult(hw, student, "failed", f"could not be prepared for grading "
                                          f"({type(exc).__name__}: {str(exc)[:300]})", key=key))
                continue
            for name, entry in seeds.items():
                if "refused" in entry:  # the instructor hears it now, the student in the feedback
                    print(f"dgmlab: {student}'s {name} is a copy of the course kit's published weights: its graded "
                          "cell earns 0 (docs/novelty.md)", file=sys.stderr)
            pending.append({"student": student, "files": files, "key": key, "draw_seeds": seeds,
                            "probe_seed": DS.probe_seed(draw_key, hw, files.get(f"{hw}.ipynb", b""))})
        if not pending:
            return results
        extensions = writer.extensions({j["student"] for j in pending})
        bundle = make_bundle(course, hw, timeout=timeout, feedback=feedback, sandbox=sandbox, limits=limits,
                             cell_timeout=cell_timeout, config=config)
        with client_for(cluster, workers, allowed_failures) as client:
            _check_workers(client, bundle)
            # the homework's bundle as a task, not scattered data: if every worker holding it dies (a
            # submission that kills its workers), Dask recomputes it instead of cancelling every grading
            bundle_f = client.submit(_identity, bundle, pure=False, key=f"dgmlab-bundle-{hw}-{uuid.uuid4().hex[:8]}")
            futures = {}
            for job in pending:
                job = {**job, "submitted_at": time.time(), "extension": extensions.get(job["student"])}
                fut = client.submit(task or grade_submission, bundle_f, job, pure=False,
                                    key=f"dgmlab-grade-{hw}-{job['student']}-{uuid.uuid4().hex[:8]}")
                futures[fut] = job
            for fut in as_completed(list(futures)):
                job = futures.pop(fut)
                received = time.time()
                try:
                    raw = fut.result()
                except KilledWorker:
                    raw = {"student": job["student"], "status": "failed", "timings": {},
                           "reason": f"its grading killed the worker process {allowed_failures + 1} times "
                                     f"(the code exits or kills its grader, or the machine ran out of memory); "
                                     f"not retried again"}
                except Exception as exc:  # an error of the task itself (the task reports grading errors)
                    raw = {"student": job["student"], "status": "failed", "timings": {}, "infrastructure": True,
                           "reason": f"grading could not run: {exc!r}"[:300]}
                finally:
                    fut.release()
                try:
                    result = _write_back(writer, hw, job, raw, received)
                except Exception as exc:  # this submission alone fails; the others are still recorded
                    result = _unrecorded(hw, job, raw, exc)
                finish(result)
    finally:
        writer.close()
    return results


def _check_workers(client, bundle: dict, wait: float = 120) -> None:
    """Refuse a cluster whose workers run another dgmlab, or cannot sandbox when the sandbox is required.

    Workers that join later are checked by each task (a mismatch fails that grading, without a key).
    """
    try:
        client.wait_for_workers(1, timeout=wait)
    except (TimeoutError, OSError):
        raise C.CourseError(f"the Dask cluster has had no worker for {wait:g} s: start some, then run again") from None
    info = client.run(worker_info)
    wrong = {w: i["version"] for w, i in info.items() if i["version"] != bundle["version"]}
    if wrong:
        raise C.CourseError(f"workers run another dgmlab than this coordinator ({bundle['version']}): "
                            + ", ".join(f"{w}: {v}" for w, v in sorted(wrong.items())[:5]))
    if bundle["sandbox"]:
        bare = {w: i["why"] for w, i in info.items() if not i["sandbox"]}
        if bare:
            raise C.CourseError("the sandbox is required but these workers cannot build it: "
                                + "; ".join(f"{w}: {why}" for w, why in sorted(bare.items())[:5])
                                + " (install bubblewrap there, or pass --no-sandbox)")


# ------------------------------------------------------------------ timings summary
def _p95(values: list) -> float:
    """The 95th percentile by nearest rank (the largest value when there are fewer than 20)."""
    values = sorted(values)
    return values[max(0, math.ceil(0.95 * len(values)) - 1)]


def phase_summary(results) -> list:
    """``[(phase, n, median, p95)]`` over the gradings this run did (skipped ones left out)."""
    return phase_rows([r.timings for r in results if r.timings and not r.skipped])


def phase_rows(timed: list) -> list:
    """``[(phase, n, median, p95)]`` over timing dicts, phases in :data:`PHASES` order, test cells last."""
    rows = []
    timed = [t for t in timed if t]
    names = [p for p, _ in PHASES]
    extra = sorted({k for t in timed for k in t if k not in names})
    for name in names + extra:
        values = [t[name] for t in timed if name in t]
        if values:
            rows.append((name, len(values), statistics.median(values), _p95(values)))
    return rows


def format_summary(rows) -> str:
    if not rows:
        return ""
    lines = [f"{'phase':<34} {'n':>4} {'median s':>9} {'p95 s':>8}"]
    for name, n, med, p95 in rows:
        label = f"  {name}" if name.startswith("test:") else name
        lines.append(f"{label:<34} {n:>4} {med:>9.2f} {p95:>8.2f}")
    return "\n".join(lines)
