"""The coordinating process: submits one task per submission, writes each result (gradebook, files, record) as it
arrives, one writer for the course (see :mod:`.cluster`).
"""
from __future__ import annotations

import dataclasses
import logging
import shutil
import time
import uuid

from .. import layout as C
from ..inert import terminal
from . import hand_grades as RG
from .bundle import course_id, db_url, make_bundle
from .clients import client_for
from .keys import FINAL, digest_of, folder_bytes, folder_files, homework_digest
from .options import RunOptions
from .task_records import Bundle, Job, Outcome
from .worker import MAX_SUBMISSION_BYTES, grade_task, worker_info, write_files

log = logging.getLogger(__name__)

LARGE_GRAPH_BYTES = 2 * MAX_SUBMISSION_BYTES  # Dask warns of a graph past this: a bundle or a submission, sent once


def _too_big(folder) -> str:
    return (f"the submission folder {folder.name}/ holds more than {MAX_SUBMISSION_BYTES // 1024 ** 2} MiB: hand in "
            f"the notebook and the graded files only, not checkpoints or data")


# ------------------------------------------------------------------ coordinator side
class Writer:
    """The only writer of the course: gradebook rows, autograded/ and feedback/ files, records."""

    def __init__(self, course: C.Course, hw: str, config=None):
        from nbgrader.api import Gradebook
        from nbgrader.preprocessors import AssignLatePenalties

        self.course, self.hw = course, hw
        self.config = config if config is not None else course.config()
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

    def gradebook(self, student: str, scores: dict, notebooks_run, before=None, after=None) -> list:
        """What nbgrader's autograde writes (init_assignment, SaveAutoGrades, AssignLatePenalties), from ``scores``,
        but every hand grade kept, and kept graded unless what it graded changed (:mod:`.hand_grades`: ``before``
        and ``after``, the answers of the autograded notebooks this grading replaces and writes). Returns
        ``[(notebook, cell, hand score, why)]`` of the cells reopened for hand grading."""
        import datetime
        import warnings

        from sqlalchemy.exc import SAWarning

        t0 = time.perf_counter()
        gb, hw = self.gb, self.hw
        reopened = []
        try:
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission autoflushes mid-build
            gb.update_or_create_student(student)
            kwargs = {}
            if scores["timestamp"]:
                kwargs["timestamp"] = datetime.datetime.fromisoformat(scores["timestamp"])
            sub = gb.update_or_create_submission(hw, student, **kwargs)
            for nb_name, cell, auto_score in scores["scores"]:
                grade = gb.find_grade(cell, nb_name, hw, student)
                why = "" if grade.manual_score is None else RG.why_reopened(grade, auto_score, before or {},
                                                                             after or {}, nb_name)
                if why and not grade.needs_manual_grade:
                    reopened.append((nb_name, cell, grade.manual_score, why))
                grade.needs_manual_grade = RG.needs_grading(grade, auto_score, why)
                grade.auto_score = auto_score
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
        return reopened

    def files(self, kind: str, student: str, files: dict) -> None:
        """Replace ``<kind>/<student>/<hw>/`` with ``files`` (as nbgrader's ``--force`` does)."""
        dest = self.course.folder(kind, self.hw, student)
        tmp = dest.parent / f".{self.hw}.incoming-{uuid.uuid4().hex[:8]}"
        try:
            write_files(tmp, files)
            tmp.mkdir(parents=True, exist_ok=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)

    def kept(self, student: str, files: dict) -> None:
        """Replace what the grader kept for the dashboard from ``student``'s last grading (none: nothing kept)."""
        dest = self.course.kept_folder(self.hw, student)
        if dest.exists():
            shutil.rmtree(dest)
        if files:
            write_files(dest, files)


def _write_back(writer: Writer, hw: str, job: Job, got: Outcome, received: float) -> C.SubmissionResult:
    """Write one grading's result into the course (files, then gradebook rows); the record is the caller's."""
    # a failure of the machinery, not of the submission, keeps no key: the next run grades it again
    timings = dict(got.timings)
    got = dataclasses.replace(got, key="" if got.infrastructure else job.key, timings=timings)
    if got.finished_at is not None:
        timings["transfer"] = max(0.0, received - got.finished_at)
    t_write = time.time()
    before = None
    if got.status == "graded":  # the answers the hand grades were given on, before their notebooks are replaced
        before = RG.graded_answers(writer.course, hw, job.student, list(got.notebooks_run))
    if got.scores is not None or got.autograded:
        writer.files("autograded", job.student, got.autograded)
        writer.kept(job.student, got.kept)
    if got.feedback:
        writer.files("feedback", job.student, got.feedback)
    if got.status == "graded":  # last: a grade in the gradebook only with its files in place
        after = RG.new_answers(got.autograded, list(got.notebooks_run))
        reopened = writer.gradebook(job.student, got.scores, list(got.notebooks_run), before, after)
        timings["gradebook"] = writer.seconds[-1]
        RG.save_answers(writer.course, hw, job.student, after)
        _tell_reopened(hw, job.student, reopened)
    timings["write_back"] = time.time() - t_write
    timings["total"] = time.time() - job.submitted_at
    return _result(hw, got)


def _tell_reopened(hw: str, student: str, reopened: list) -> None:
    """Tell the TA which of ``student``'s cells graded by hand a regrade reopened, and why (their hand scores,
    comments and rubric choices are kept)."""
    for _, cell, score, why in reopened:
        log.warning(terminal(f"dgmlab: {student}'s {hw} {cell} is to grade by hand again: {why}; its hand score "
                             f"({score:g} points), comment and rubric choices are kept (dgmlab grade {hw})"))


def _unrecorded(hw: str, job: Job, got: Outcome | None, exc: Exception) -> C.SubmissionResult:
    """The ``failed`` result of a grading whose result could not be read or written into the course (``exc``): it
    keeps the grading's key, so that the next run does not grade it (and fail on it) again unless forced."""
    reason = (f"its result could not be recorded ({type(exc).__name__}: {str(exc)[:300]}); fix the cause, then grade "
              f"it again with `dgmlab autograde {hw} --student {job.student} --force`")
    timings = got.timings if got is not None and isinstance(got.timings, dict) else {}
    return C.SubmissionResult(hw, job.student, "failed", reason,
                              key="" if got is not None and got.infrastructure else job.key,
                              timings={k: v for k, v in timings.items() if isinstance(v, (int, float))},
                              worker=str(got.worker) if got is not None else "")


def _result(hw: str, got: Outcome) -> C.SubmissionResult:
    return C.SubmissionResult(hw, got.student, got.status, got.reason, got.seconds, list(got.steps), key=got.key,
                              timings=got.timings, worker=got.worker)


def _identity(value):
    return value


def run(course: C.Course, hw: str, students, options: RunOptions | None = None, *, cluster=None, progress=None,
        task=None) -> list:
    """Grade ``students`` (checked by :func:`dgmlab.grading.course.autograde`) as ``options`` says (defaults:
    :class:`~.options.RunOptions`) and write the results back. ``cluster``: a Dask scheduler address, a client, or
    ``"slurm"``; ``None``: a local cluster of ``options.workers`` processes.

    ``task`` replaces :func:`~.worker.grade_task` (benchmarks replay recorded gradings with it): it takes the
    bundle and a job and returns an outcome, each in wire form (:mod:`.task_records`).
    ``options.refuse_published``: a weights file that copies one the kit publishes is not graded (see
    :func:`dgmlab.grading.autograde.draw_seeds.seeds_for`); the demo, which grades the kit's own examples, turns it off.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    from ..copies.shared_weights import published_weights
    from ..records import load_records, save_records
    from . import draw_seeds as DS

    options = options or RunOptions()
    allowed_failures = options.allowed_failures
    config = course.config()
    published = published_weights(course, hw) if options.refuse_published else []  # read once: key and seeds
    hw_digest = homework_digest(course, hw, options.refuse_published, published)
    draw_key = DS.course_key(course)  # stays here: workers get each file's seed, never the key
    records = {} if options.force else load_records(course, hw)
    results, pending = [], []
    writer = Writer(course, hw, config)

    def finish(result: C.SubmissionResult):
        try:
            save_records(course, [result])  # last: a result without its record is graded again next time
        except Exception as exc:
            log.error(terminal(f"dgmlab: could not write the record of {result.student}'s {hw} ({exc}): it is "
                               f"graded again next run"))
        results.append(result)
        if progress:
            progress(result)

    try:
        for student in students:
            folder = course.folder("submitted", hw, student)
            if not folder.is_dir():
                finish(C.SubmissionResult(hw, student, "invalid", f"no folder submitted/{student}/{hw}/"))
                continue
            key = ""
            try:
                if folder_bytes(folder) > MAX_SUBMISSION_BYTES:  # before reading any of it into this process
                    finish(C.SubmissionResult(hw, student, "invalid", _too_big(folder)))
                    continue
                files = folder_files(folder)
                key = digest_of(hw_digest, files)
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
                if not problem and sum(len(v) for v in files.values()) > MAX_SUBMISSION_BYTES:  # grew meanwhile
                    problem = _too_big(folder)
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
                    log.warning(terminal(f"dgmlab: {student}'s {name} is not graded, its graded cell earns 0: "
                                         f"{str(entry['refused'])[:300]} (docs/novelty.md)"))
            pending.append(Job(student=student, files=files, key=key, draw_seeds=seeds,
                               probe_seed=DS.probe_seed(draw_key, hw, files.get(f"{hw}.ipynb", b""))))
        if not pending:
            return results
        extensions = writer.extensions({j.student for j in pending})
        bundle = make_bundle(course, hw, options, config=config)
        import dask

        with client_for(cluster, options.workers, allowed_failures, course=course, hw=hw,
                        slurm=options.slurm) as client:
            _check_workers(client, bundle)
            # the homework's bundle as a task, not scattered data: if every worker holding it dies (a
            # submission that kills its workers), Dask recomputes it instead of cancelling every grading.
            # It is sent once per homework and shared by every grading (hw5's holds 13 MB of the kit's
            # weights), and each grading's task carries its submission's files (up to MAX_SUBMISSION_BYTES,
            # hw5's weights files about 12 MB), each sent once: Dask's large-graph warning, meant for data
            # repeated in a graph, is moved past those sizes
            futures = {}
            with dask.config.set({"distributed.admin.large-graph-warning-threshold": LARGE_GRAPH_BYTES}):
                bundle_f = client.submit(_identity, bundle.to_wire(), pure=False,
                                         key=f"dgmlab-bundle-{hw}-{uuid.uuid4().hex[:8]}")
                for job in pending:
                    job = dataclasses.replace(job, submitted_at=time.time(), extension=extensions.get(job.student))
                    fut = client.submit(task or grade_task, bundle_f, job.to_wire(), pure=False,
                                        key=f"dgmlab-grade-{hw}-{job.student}-{uuid.uuid4().hex[:8]}")
                    futures[fut] = job
            for fut in as_completed(list(futures)):
                job = futures.pop(fut)
                received = time.time()
                got = None
                try:
                    got = Outcome.from_wire(fut.result())
                except KilledWorker:
                    got = Outcome(student=job.student, reason=f"its grading killed the worker process "
                                  f"{allowed_failures + 1} times (the code exits or kills its grader, or the machine "
                                  f"ran out of memory); not retried again")
                except Exception as exc:  # an error of the task itself (the task reports grading errors)
                    got = Outcome(student=job.student, infrastructure=True,
                                  reason=f"grading could not run: {exc!r}"[:300])
                finally:
                    fut.release()
                try:
                    result = _write_back(writer, hw, job, got, received)
                except Exception as exc:  # this submission alone fails; the others are still recorded
                    result = _unrecorded(hw, job, got, exc)
                finish(result)
    finally:
        writer.close()
    return results


def _check_workers(client, bundle: Bundle, wait: float = 120) -> None:
    """Refuse a cluster whose workers run another dgmlab, or cannot sandbox when the sandbox is required.

    Workers that join later are checked by each task (a mismatch fails that grading, without a key).
    """
    try:
        client.wait_for_workers(1, timeout=wait)
    except (TimeoutError, OSError):
        raise C.CourseError(f"the Dask cluster has had no worker for {wait:g} s: start some, then run again") from None
    info = client.run(worker_info)
    wrong = {w: i["version"] for w, i in info.items() if i["version"] != bundle.version}
    if wrong:
        raise C.CourseError(f"workers run another dgmlab than this coordinator ({bundle.version}): "
                            + ", ".join(f"{w}: {v}" for w, v in sorted(wrong.items())[:5]))
    if bundle.sandbox is not False:  # None: each worker sandboxes when it can, and refuses to grade when not
        bare = {w: i["why"] for w, i in info.items() if not i["sandbox"]}
        if bare:
            raise C.CourseError(("the sandbox is required but these workers cannot build it: " if bundle.sandbox
                                 else "these workers cannot build the sandbox: ")
                                + "; ".join(f"{w}: {why}" for w, why in sorted(bare.items())[:5])
                                + " (install bubblewrap there, or allow grading without it: --no-sandbox, "
                                  "c.DgmlabAutograde.sandbox = False)")
