"""The coordinating process: reads the homework once (:func:`.keys.read_homework`), submits one task per submission,
writes each result (gradebook, files, record) as it arrives, one writer for the course (see :mod:`dgmlab.grading.autograde`).
"""
from __future__ import annotations

import collections
import dataclasses
import itertools
import logging
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field

from .. import layout
from ..copies.shared_weights import published_weights
from ..inert import terminal
from ..judge.training_record import cells_to_look
from ..records import load_record, save_record
from ..submission import Submission
from ..term import timestamp_file
from . import draw_seeds as draw_seeds_module
from . import hand_grades, nbgrader_adapter
from .clients import client_for
from .homework_bundle import make_bundle
from .keys import FINAL, Homework, digest_of, folder_bytes, folder_files, read_homework
from .options import RunOptions, warm_pays
from .task_records import Bundle, Job, Outcome
from .timings import PHASES
from .worker import MAX_SUBMISSION_BYTES, grade_task, worker_info, write_files

log = logging.getLogger(__name__)
# a grading's phases in the worker, in order, that `--log-level debug` says: .timings.PHASES from prepare to feedback
_NAMES = [name for name, _ in PHASES]
SAID_PHASES = tuple(_NAMES[_NAMES.index("prepare"):_NAMES.index("feedback") + 1])

LARGE_GRAPH_BYTES = 2 * MAX_SUBMISSION_BYTES  # Dask warns of a graph past this: a bundle or a submission, sent once
IN_FLIGHT_PER_THREAD = 2  # jobs handed out ahead per worker thread (Handout): one running, one waiting its turn
CAPACITY_EVERY = 5.0  # seconds between asking the scheduler how many worker threads it has (Capacity)


def _too_big(folder) -> str:
    return (f"the submission folder {folder.name}/ holds more than {MAX_SUBMISSION_BYTES // 1024 ** 2} MiB: hand in "
            f"the notebook and the graded files only, not checkpoints or data")


# ------------------------------------------------------------------ coordinator side
class Writer:
    """The only writer of the course: gradebook rows, autograded/ and feedback/ files, records."""

    def __init__(self, home: Homework):
        self.hw = home.hw
        self.gb = nbgrader_adapter.open_gradebook(home.db_url, home.course_id)
        self.late = nbgrader_adapter.LatePenalty(home.config)
        self.submitted = nbgrader_adapter.submissions(self.gb, home.hw)  # {student: extension}, read once
        self.seconds = []  # gradebook write time per graded submission

    def close(self):
        self.gb.close()

    def extensions(self, students) -> dict:
        """``{student: seconds}`` of extensions the gradebook held for this homework when the run began."""
        return {student: self.submitted[student] for student in students if self.submitted.get(student)}

    def has_submission(self, student: str) -> bool:
        """Whether the gradebook held ``student``'s submission of this homework when the run began."""
        return student in self.submitted

    def gradebook(self, student: str, scores: dict, notebooks_run, hand: hand_grades.Regrade) -> None:
        """What nbgrader's autograde writes (init_assignment, SaveAutoGrades, AssignLatePenalties), from ``scores``,
        but every hand grade kept, and kept graded unless what it graded changed (``hand``'s policy, which keeps
        the cells it reopened)."""
        t0 = time.perf_counter()
        nbgrader_adapter.write_scores(self.gb, self.hw, student, scores, notebooks_run, self.late, hand.needs_grading)
        self.seconds.append(time.perf_counter() - t0)

    def replace_folders(self, folders: dict) -> None:
        """Replace each of a submission's folders, ``{folder: {relative path: bytes}}``, as nbgrader's ``--force``
        does: its files written beside it, then swapped in whole. ``None`` in place of files: the folder is removed
        (what the grader kept for the dashboard, from a grading that kept nothing)."""
        for dest, files in folders.items():
            tmp = dest.parent / f".{dest.name}.incoming-{uuid.uuid4().hex[:8]}"
            try:
                if files is not None:
                    write_files(tmp, files)
                    tmp.mkdir(parents=True, exist_ok=True)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            if dest.exists():
                shutil.rmtree(dest)
            if files is not None:
                tmp.rename(dest)


def write(writer: Writer, sub: Submission, job: Job, got: Outcome, received: float) -> layout.SubmissionResult:
    """Write one grading's result into the course (files, then gradebook rows); the record is the caller's."""
    got = _keyed(job, got, received)
    t_write = time.time()
    # the answers the hand grades were given on, read before their notebooks are replaced, and this grading's
    hand = (hand_grades.regrade(sub, got.autograded, got.notebooks_run, cells_to_look(got.kept))
            if got.status == "graded" else None)
    folders = {}
    if got.scores is not None or got.autograded:
        folders = {sub.autograded: got.autograded, sub.kept: got.kept or None}
    if got.feedback:
        folders[sub.feedback] = got.feedback
    writer.replace_folders(folders)
    if hand is not None:  # last: a grade in the gradebook only with its files in place
        _grade(writer, sub, got, hand)
    got.timings["write_back"] = time.time() - t_write
    got.timings["total"] = time.time() - job.submitted_at
    got.timings["graded"] = got.timings["total"] - got.timings.get("queue_wait", 0.0)
    reopened = tuple((cell, score, why) for _, cell, score, why in hand.reopened) if hand is not None else ()
    return dataclasses.replace(_result(sub.hw, got), reopened=reopened)


def _keyed(job: Job, got: Outcome, received: float) -> Outcome:
    """``got`` under ``job``'s key (a failure of the machinery, not of the submission, keeps none: the next run grades
    it again), with timings of its own that the transfer back is added to."""
    timings = dict(got.timings)
    if got.finished_at is not None:
        timings["transfer"] = max(0.0, received - got.finished_at)
    return dataclasses.replace(got, key="" if got.infrastructure else job.key, timings=timings)


def _grade(writer: Writer, sub: Submission, got: Outcome, hand: hand_grades.Regrade) -> None:
    """The gradebook rows of a graded submission, then the answers they were given on; the TA told of the cells a
    regrade reopened."""
    writer.gradebook(sub.student, got.scores, list(got.notebooks_run), hand)
    got.timings["gradebook"] = writer.seconds[-1]
    hand.save()
    _tell_reopened(sub.hw, sub.student, hand.reopened)


def _tell_reopened(hw: str, student: str, reopened: list) -> None:
    """Tell the TA which of ``student``'s cells graded by hand a regrade reopened, and why (their hand scores,
    comments and rubric choices are kept)."""
    for _, cell, score, why in reopened:
        log.warning(terminal(f"dgmlab: {student}'s {hw} {cell} is to grade by hand again: {why}; its hand score "
                             f"({score:g} points), comment and rubric choices are kept (dgmlab grade {hw})"))


def _unrecorded(hw: str, job: Job, got: Outcome | None, exc: Exception) -> layout.SubmissionResult:
    """The ``failed`` result of a grading whose result could not be read or written into the course (``exc``): it
    keeps the grading's key, so that the next run does not grade it (and fail on it) again unless forced."""
    reason = (f"its result could not be recorded ({type(exc).__name__}: {str(exc)[:300]}); fix the cause, then grade "
              f"it again with `dgmlab autograde {hw} --student {job.student} --force`")
    timings = got.timings if got is not None and isinstance(got.timings, dict) else {}
    return layout.SubmissionResult(hw, job.student, "failed", reason,
                              key="" if got is not None and got.infrastructure else job.key,
                              timings={k: v for k, v in timings.items() if isinstance(v, (int, float))},
                              worker=str(got.worker) if got is not None else "")


def _result(hw: str, got: Outcome) -> layout.SubmissionResult:
    return layout.SubmissionResult(hw, got.student, got.status, got.reason, got.seconds, list(got.steps), key=got.key,
                              timings=got.timings, worker=got.worker)


def _identity(value):
    return value


@dataclass(frozen=True)
class Plan:
    """What a run does (:func:`plan`): the submissions to hand out, and the results known without grading them
    (graded before with the same key, invalid, or not prepared), in the students' order."""

    jobs: tuple  # Job, without their seeds yet (submit draws them)
    known: tuple  # layout.SubmissionResult
    submissions: dict = field(default_factory=dict)  # {student: Submission}: each one's folders, built once
    weights: bool = False  # whether a job hands in a weights file (the kit's published ones are then read)


@dataclass(frozen=True)
class Handed:
    """What :func:`submit` handed out: ``{future: job}``, and the results of the jobs it could not prepare."""

    futures: dict
    failed: tuple  # layout.SubmissionResult


def run(course: layout.Course, hw: str, students, options: RunOptions | None = None, *, cluster=None, progress=None,
        task=None) -> list:
    """Grade ``students`` (checked by :func:`dgmlab.grading.course.autograde`) as ``options`` says (defaults:
    :class:`~.options.RunOptions`) and write the results back: :func:`plan`, :func:`submit`, :func:`write`, each
    result's record last (:func:`_recorded`). ``cluster``: a Dask scheduler address, a client, or ``"slurm"``;
    ``None``: a local cluster of ``options.workers`` processes.

    ``task`` replaces :func:`~.worker.grade_task` (benchmarks replay recorded gradings with it): it takes the
    bundle and a job and returns an outcome, each in wire form (:mod:`.task_records`).
    ``options.refuse_published``: a weights file that copies one the kit publishes is not graded (see
    :func:`dgmlab.grading.autograde.draw_seeds.seeds_for`); the demo, which grades the kit's own examples, turns it off.
    """
    options = options or RunOptions()
    home = read_homework(course, hw, options.refuse_published)
    submissions = {student: course.submission(hw, student) for student in students}
    writer = Writer(home)
    try:
        planned = plan(home, submissions, options, writer)
        log.debug("dgmlab: %s: %d submission(s) to grade, %d known without grading (unchanged since graded, "
                  "invalid or not prepared)", hw, len(planned.jobs), len(planned.known))
        graded = _graded(course, home, planned, options, writer, cluster, task) if planned.jobs else ()
        return [_recorded(planned.submissions[result.student], result, progress)
                for result in itertools.chain(planned.known, graded)]
    finally:
        writer.close()


def _recorded(sub: Submission, result: layout.SubmissionResult, progress) -> layout.SubmissionResult:
    """``result``, its record written (last: a result without its record is graded again next time) and told to
    ``progress``."""
    if not result.skipped:
        try:
            save_record(sub.record, result)
        except Exception as exc:
            log.error(terminal(f"dgmlab: could not write the record of {sub.student}'s {sub.hw} ({exc}): it is "
                               f"graded again next run"))
    if log.isEnabledFor(logging.DEBUG):  # the line is built only when it is shown
        log.debug("%s", _said(result))
    if progress:
        progress(result)
    return result


def _said(r: layout.SubmissionResult) -> str:
    """A result in one inert line for ``--log-level debug``: its outcome, time, the worker's phases of at least 0.05 s
    (:data:`SAID_PHASES`) and worker."""
    if r.skipped:
        return terminal(f"dgmlab: {r.hw} / {r.student}: {r.status}, unchanged since graded: not graded again")
    timings = ", ".join(f"{phase} {r.timings[phase]:.1f} s" for phase in SAID_PHASES if r.timings.get(phase, 0) >= 0.05)
    return terminal(f"dgmlab: {r.hw} / {r.student}: {r.status}, nbgrader's autograde step {r.seconds:.1f} s"
                    + (f"; phases: {timings}" if timings else "")
                    + (f"; worker {r.worker}" if r.worker else "") + (f": {r.reason}" if r.reason else ""))


def plan(home: Homework, submissions: dict, options: RunOptions, writer: Writer) -> Plan:
    """Which of ``submissions`` (``{student: Submission}``) of ``home`` to grade, each with its key; no kit network
    is loaded (the published weights count in the key by their bytes' digest). The jobs hold no files: each
    submission is read here once to digest it, then again when its job goes out (:func:`loaded`), so that the
    coordinator holds the files of the jobs in flight only, not of the class."""
    hw_digest = home.digest
    jobs, known, weights = [], [], False
    for sub in submissions.values():
        got = _prepared(sub, hw_digest, options.force, writer)
        if isinstance(got, Job):
            weights = weights or _has_weights(got)
            jobs.append(dataclasses.replace(got, files={}))
        else:
            known.append(got)
    return Plan(tuple(jobs), tuple(known), submissions, weights)


def loaded(sub: Submission, job: Job, hw_digest: str, writer: Writer):
    """``job`` with its submission's files, read now, as it goes out; a submission that changed since :func:`plan`
    is checked again (the result known without grading it, if that is what it now is) and graded under its new key."""
    if folder_bytes(sub.submitted) > MAX_SUBMISSION_BYTES:  # before reading any of it into this process
        return layout.SubmissionResult(sub.hw, sub.student, "invalid", _too_big(sub.submitted), key=job.key)
    files = folder_files(sub.submitted)
    if digest_of(hw_digest, files) == job.key:
        return dataclasses.replace(job, files=files)
    del files
    got = _prepared(sub, hw_digest, True, writer)
    return dataclasses.replace(job, files=got.files, key=got.key) if isinstance(got, Job) else got


def _prepared(sub: Submission, hw_digest: str, force: bool, writer: Writer):
    """``sub`` as a :class:`~.task_records.Job` to grade, or the result known without grading it: graded before
    with the same key (its record, unless ``force``), invalid, or not prepared."""
    hw, student = sub.hw, sub.student
    record = None if force else load_record(sub.record)
    if not sub.submitted.is_dir():
        return layout.SubmissionResult(hw, student, "invalid", f"no folder submitted/{student}/{hw}/")
    key = ""
    try:
        if folder_bytes(sub.submitted) > MAX_SUBMISSION_BYTES:  # before reading any of it into this process
            return layout.SubmissionResult(hw, student, "invalid", _too_big(sub.submitted))
        files = folder_files(sub.submitted)
        key = digest_of(hw_digest, files)
        if (record and record.get("key") == key and record.get("status") in FINAL
                and (record["status"] != "graded" or writer.has_submission(student))):
            return layout.SubmissionResult(hw, student, record["status"], record.get("reason", ""),
                                           record.get("seconds") or 0.0, key=key, timings=record.get("timings", {}),
                                           skipped=True)
        problem = layout.check_submission(sub.notebook) or timestamp_file.problem(sub.submitted)  # no time misread
        if not problem and sum(len(v) for v in files.values()) > MAX_SUBMISSION_BYTES:  # grew meanwhile
            problem = _too_big(sub.submitted)
        if problem:
            return layout.SubmissionResult(hw, student, "invalid", problem, key=key)
        return Job(student=student, files=files, key=key)
    except Exception as exc:  # this submission alone: the class is still graded
        return _not_prepared(hw, student, key, exc)


def _not_prepared(hw: str, student: str, key: str, exc: Exception) -> layout.SubmissionResult:
    return layout.SubmissionResult(hw, student, "failed", f"could not be prepared for grading "
                                   f"({type(exc).__name__}: {str(exc)[:300]})", key=key)


def _graded(course: layout.Course, home: Homework, planned: Plan, options: RunOptions, writer: Writer, cluster,
            task):
    """Each of ``planned.jobs``' results as :func:`write` recorded it in the course, in the order they arrive."""
    from distributed import as_completed  # heavy (Dask), and only a run that grades needs it

    hw = home.hw
    published = _Published(course, home, home.published is not None and planned.weights)
    extensions = writer.extensions({j.student for j in planned.jobs})
    bundle = make_bundle(home, options)
    with client_for(cluster, options.workers, options.allowed_failures, course=course, hw=hw,
                    slurm=options.slurm) as client:
        workers = _check_workers(client, bundle)
        bundle = _warm_or_cold(bundle, len(planned.jobs), options.workers if cluster is None else workers)
        jobs = [dataclasses.replace(job, extension=extensions.get(job.student)) for job in planned.jobs]

        def ready(job):  # the job with its files and seeds, as it goes out
            got = loaded(planned.submissions[job.student], job, home.digest, writer)
            return _seeded(home.draw_key, hw, got, published) if isinstance(got, Job) else got

        handout = Handout(client, bundle, jobs, ready, Capacity(client, workers), task)
        yield from handout.top_up()
        arriving = as_completed(list(handout.futures))
        for fut in arriving:
            job = handout.futures.pop(fut)
            received = time.time()
            got = _received(fut, job, options.allowed_failures)
            try:
                yield write(writer, planned.submissions[job.student], job, got, received)
            except Exception as exc:  # this submission alone fails; the others are still recorded
                yield _unrecorded(hw, job, got, exc)
            yield from handout.top_up(arriving)


class Capacity:
    """How many jobs to keep in flight on ``client``'s cluster: :data:`IN_FLIGHT_PER_THREAD` per worker thread
    (one running, one queued behind it, so that a worker never waits for the coordinator), asked of the scheduler
    at most every :data:`CAPACITY_EVERY` seconds (workers join and leave: SLURM, a dying worker)."""

    def __init__(self, client, threads: int):
        self._client, self._threads, self._asked = client, max(1, threads), time.monotonic()

    def __call__(self) -> int:
        if time.monotonic() - self._asked > CAPACITY_EVERY:
            self._asked = time.monotonic()
            try:
                self._threads = max(1, sum(self._client.nthreads().values()))
            except Exception:  # the scheduler busy or gone: the last count stands, the run's own errors say why
                pass
        return IN_FLIGHT_PER_THREAD * self._threads


class Handout:
    """Hands out ``jobs`` in their order, at most ``capacity()`` in flight (:class:`Capacity`), so that the coordinator and the scheduler
    hold the files of those only (a class of hw5's 12 MB weights files held whole was 2 GB for 60 students, and
    nothing was graded until all had gone out). ``ready(job)``: the job with its files and seeds, read and drawn
    just before it goes (:func:`loaded`, :func:`_seeded`), or the result known without grading it; a job that
    cannot be made ready fails alone. ``task`` replaces :func:`~.worker.grade_task` (benchmarks).

    ``futures``: ``{future: job}`` in flight, the job without its files (they went with the task)."""

    def __init__(self, client, bundle: Bundle, jobs, ready, capacity, task=None):
        self.futures, self._client, self._bundle, self._ready, self._task = {}, client, bundle, ready, task
        self._waiting = collections.deque(jobs)
        self._capacity = capacity
        # the homework's bundle as a task, not scattered data: if every worker holding it dies (a submission that
        # kills its workers), Dask recomputes it instead of cancelling every grading. It is sent once per homework
        # and shared by every grading (hw5's holds 13 MB of the kit's weights), and each grading's task carries its
        # submission's files (up to MAX_SUBMISSION_BYTES, hw5's weights files about 12 MB), each sent once: Dask's
        # large-graph warning, meant for data repeated in a graph, is moved past those sizes
        with _large_graphs():
            self._bundle_f = client.submit(_identity, bundle.to_wire(), pure=False,
                                           key=f"dgmlab-bundle-{bundle.hw}-{uuid.uuid4().hex[:8]}")

    def top_up(self, arriving=None):
        """Hand out jobs until ``capacity()`` are in flight (each new future added to ``arriving``, an
        ``as_completed``); yields the result of each job that could not be made ready."""
        while self._waiting and len(self.futures) < self._capacity():
            job = self._waiting.popleft()
            try:
                ready = self._ready(job)
            except Exception as exc:  # this submission alone: the class is still graded
                yield _not_prepared(self._bundle.hw, job.student, job.key, exc)
                continue
            if not isinstance(ready, Job):
                yield ready
                continue
            ready = dataclasses.replace(ready, submitted_at=time.time())
            with _large_graphs():
                fut = self._client.submit(self._task or grade_task, self._bundle_f, ready.to_wire(), pure=False,
                                          key=f"dgmlab-grade-{self._bundle.hw}-{job.student}-{uuid.uuid4().hex[:8]}")
            self.futures[fut] = dataclasses.replace(ready, files={})
            if arriving is not None:
                arriving.add(fut)


def _large_graphs():
    """Dask's large-graph warning moved past what one task carries here (see :class:`Handout`)."""
    import dask  # heavy, as distributed

    return dask.config.set({"distributed.admin.large-graph-warning-threshold": LARGE_GRAPH_BYTES})


def _has_weights(job: Job) -> bool:
    return any("/" not in rel and rel.endswith("weights.pt") for rel in job.files)


def _seeded(draw_key: bytes, hw: str, job: Job, published) -> Job:
    """``job`` with its seeds, all drawn here from the course's key: its weights files' graded draws
    (:func:`~.draw_seeds.seeds_for`; a file refused is told to the instructor now, the student hears it in the
    feedback) and its check() cells' inputs (:func:`~.draw_seeds.probe_seed` of its notebook)."""
    probe_seed = draw_seeds_module.probe_seed(draw_key, hw, job.files.get(f"{hw}.ipynb", b""))
    seeds = draw_seeds_module.seeds_for(draw_key, hw, job.files, published)
    for name, entry in seeds.items():
        if "refused" in entry:
            log.warning(terminal(f"dgmlab: {job.student}'s {name} is not graded, its graded cell earns 0: "
                                 f"{str(entry['refused'])[:600]} (docs/novelty.md)"))
    return dataclasses.replace(job, draw_seeds=seeds, probe_seed=probe_seed)


class _Published:
    """The kit's published weights for ``home`` (:func:`~dgmlab.grading.copies.shared_weights.published_weights`:
    its networks load with torch, seconds, and run on inputs from its draw key), read in a thread of their own from
    when the run needs them, so that reading them overlaps the cluster's start; called, it waits for them.
    ``needed`` False: none (nothing to compare)."""

    def __init__(self, course: layout.Course, home: Homework, needed: bool):
        self._thread, self._got = None, {}
        if needed:
            self._thread = threading.Thread(target=self._read, args=(course, home), daemon=True,
                                            name=f"dgmlab-published-{home.hw}")
            self._thread.start()

    def _read(self, course, home):
        try:
            self._got["weights"] = published_weights(course, home.hw, home.draw_key)
        except Exception as exc:  # raised again where a submission needs them
            self._got["error"] = exc

    def __call__(self) -> list:
        if self._thread is None:
            return []
        self._thread.join()
        if "error" in self._got:
            raise self._got["error"]
        return self._got["weights"]


def _received(fut, job: Job, allowed_failures: int) -> Outcome:
    """The outcome a grading task gave back, or why it gave none."""
    from distributed.scheduler import KilledWorker  # heavy, as as_completed

    try:
        return Outcome.from_wire(fut.result())
    except KilledWorker:
        return Outcome(student=job.student, reason=f"its grading killed the worker process {allowed_failures + 1} "
                       "times (the code exits or kills its grader, or the machine ran out of memory); not retried "
                       "again")
    except Exception as exc:  # an error of the task itself (the task reports grading errors)
        return Outcome(student=job.student, infrastructure=True, reason=f"grading could not run: {exc!r}"[:300])
    finally:
        fut.release()


def _warm_or_cold(bundle: Bundle, jobs: int, workers: int) -> Bundle:
    """``bundle`` with its kernels warm or cold, where its limits leave that to the run (:func:`.options.warm_pays`)."""
    if bundle.limits.warm is not None:
        return bundle
    warm = warm_pays(jobs, workers)
    log.debug("dgmlab: %s: %d submission(s) on %d worker(s): kernels start %s", bundle.hw, jobs, workers,
              "warm" if warm else "cold")
    return dataclasses.replace(bundle, limits=dataclasses.replace(bundle.limits, warm=warm))


def _check_workers(client, bundle: Bundle, wait: float = 120) -> int:
    """Refuse a cluster whose workers run another dgmlab, or cannot sandbox when the sandbox is required; the number of
    workers it has now.

    Workers that join later are checked by each task (a mismatch fails that grading, without a key).
    """
    try:
        client.wait_for_workers(1, timeout=wait)
    except (TimeoutError, OSError):
        raise layout.CourseError(f"the Dask cluster has had no worker for {wait:g} s: start some, then run again") from None
    info = client.run(worker_info)
    wrong = {w: i["version"] for w, i in info.items() if i["version"] != bundle.version}
    if wrong:
        raise layout.CourseError(f"workers run another dgmlab than this coordinator ({bundle.version}): "
                            + ", ".join(f"{w}: {v}" for w, v in sorted(wrong.items())[:5]))
    if bundle.sandbox is not False:  # None: each worker sandboxes when it can, and refuses to grade when not
        bare = {w: i["why"] for w, i in info.items() if not i["sandbox"]}
        if bare:
            raise layout.CourseError(("the sandbox is required but these workers cannot build it: " if bundle.sandbox
                                 else "these workers cannot build the sandbox: ")
                                + "; ".join(f"{w}: {why}" for w, why in sorted(bare.items())[:5])
                                + " (install bubblewrap there, or allow grading without it: --no-sandbox, "
                                  "c.DgmlabAutograde.sandbox = False)")
    return len(info)
