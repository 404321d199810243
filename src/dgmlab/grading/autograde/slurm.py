"""``dgmlab autograde <hw> --cluster slurm``: the grading workers run as SLURM jobs (docs/cluster.md).

This process (on the login node) runs the Dask scheduler (dask-jobqueue's ``SLURMCluster``), submits
``c.DgmlabSlurm.jobs`` jobs of ``cores`` one-thread workers each, and grades through them exactly as
``dgmlab autograde`` does on one machine: the same ``c.DgmlabAutograde`` settings and flags. It watches the jobs
until a worker connects, and never waits silently: a job SLURM refuses, one that stays pending past
``pending_timeout``, one that ends, or one that runs ``start_timeout`` seconds without a worker reaching the
scheduler ends the run with a :class:`SlurmError` naming the cause and the job script (written to
``.dgmlab/slurm/<hw>-job.sh``, what ``cluster.job_script()`` gives). The jobs are cancelled when grading ends.

Whether a kernel is sandboxed is decided by each worker where it runs (see :func:`.worker.grade_submission`).

The scheduler, the workers and this client speak TLS with a certificate made for this run (:mod:`.security`): a
user of the cluster who reaches the scheduler's port cannot connect without it. The jobs read the certificate and
its key from files in a folder of their own, ``<hw>-tls-XXXXXXXX`` under ``c.DgmlabSlurm.certificates`` (a
filesystem the nodes share; default the course's ``.dgmlab/slurm``), the folder readable by the course's user only
(0700, files 0600), removed when the run ends.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from traitlets import Float, Integer, List, Unicode
from traitlets.config import Configurable

from ..inert import terminal
from ..layout import Course, CourseError
from .security import run_security

log = logging.getLogger(__name__)

SLURM = "slurm"  # the --cluster value (c.DgmlabAutograde.cluster) that grades through SLURM jobs
ENDED = {"BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
         "REVOKED", "SPECIAL_EXIT", "TIMEOUT"}


class SlurmError(CourseError):
    """The SLURM jobs could not give this run a worker: the cause, and the job script to check."""


class DgmlabSlurm(Configurable):
    """The SLURM jobs ``dgmlab autograde <hw> --cluster slurm`` submits (``c.DgmlabSlurm.<name>``)."""

    partition = Unicode("", help="Partition the jobs go to (sbatch -p; `sinfo` lists them); empty: the cluster's "
                                 "default. Flag: --partition.").tag(config=True)
    account = Unicode("", help="Account charged (sbatch -A); empty: none named. Flag: --account.").tag(config=True)
    jobs = Integer(1, help="SLURM jobs submitted. Flag: --slurm-jobs.").tag(config=True)
    cores = Integer(4, help="CPUs per job; a job runs that many one-thread workers, one grading each at a time."
                    ).tag(config=True)
    memory = Float(10.0, help="GiB per grading; a job asks for cores x memory (the sandbox lets a kernel map "
                              "c.DgmlabAutograde.memory GiB).").tag(config=True)
    walltime = Unicode("02:00:00", help="Time limit of each job (sbatch -t).").tag(config=True)
    prologue = List(Unicode(), help="Shell lines a job runs before its workers start: activate the environment "
                                    "(the same dgmlab as this process), export DGMLAB_DATA, load modules."
                    ).tag(config=True)
    python = Unicode("", help="The Python the workers run; empty: `python` when a prologue is set (the environment "
                              "it activates), else this process's (the same path must exist on the nodes)."
                     ).tag(config=True)
    local_directory = Unicode("${SLURM_TMPDIR:-/tmp}", help="Node-local disk for the scratch copy of each grading, "
                              "as the job's shell expands it; each job makes its own folder there (its TMPDIR), "
                              "removed when the job ends.").tag(config=True)
    directives = List(Unicode(), help="More #SBATCH lines, e.g. ['--qos=short']").tag(config=True)
    interface = Unicode("", help="Network interface the scheduler listens on, which the nodes must reach (e.g. "
                                 "ib0); empty: the address of this machine's hostname.").tag(config=True)
    certificates = Unicode("", help="Folder, on a filesystem the nodes share, where each run writes this run's TLS "
                                    "certificate and key for its jobs (a subfolder only the course's user can "
                                    "read, removed when the run ends); empty: the course's .dgmlab/slurm."
                           ).tag(config=True)
    dashboard = Unicode(":0", help="Address of the scheduler's dashboard (:0: a free port, printed).").tag(config=True)
    pending_timeout = Float(1800.0, help="Seconds the jobs may all stay pending before the run gives up, naming "
                                         "SLURM's reason.").tag(config=True)
    start_timeout = Float(300.0, help="Seconds a running job may take before one of its workers reaches the "
                                      "scheduler.").tag(config=True)


def slurm_options(course: Course, **flags) -> DgmlabSlurm:
    """The course's ``DgmlabSlurm`` settings, each flag not ``None`` put over its setting."""
    options = course.settings(DgmlabSlurm, **flags)
    if options.jobs < 1 or options.cores < 1 or options.memory <= 0:
        raise CourseError("c.DgmlabSlurm: jobs and cores must be at least 1, memory above 0")
    return options


def certificate_folder(base: Path, hw: str) -> Path:
    """A new folder under ``base`` that only this user can open (0700), for one run's TLS certificate and key."""
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{hw}-tls-", dir=base))  # mkdtemp makes it 0700
    os.chmod(folder, 0o700)
    return folder


def make_cluster(opts: DgmlabSlurm, scheduler_config: dict, certificates: Path):
    """dask-jobqueue's ``SLURMCluster`` for ``opts`` (no job submitted yet); its scheduler runs in this process and
    speaks only TLS, with a certificate made for this cluster, which its jobs read from files (0600) that
    dask-jobqueue writes into ``certificates`` (a folder only this user can open: :func:`certificate_folder`)."""
    import dask
    from distributed.core import Status

    try:
        from dask_jobqueue import SLURMCluster
        from dask_jobqueue.slurm import SLURMJob
    except ImportError:
        raise CourseError("--cluster slurm needs dask-jobqueue: pip install 'dgmlab[grading]'") from None

    class Job(SLURMJob):  # keeps sbatch's refusal for the watcher, which reports it
        async def start(self):
            try:
                await super().start()
            except Exception as exc:
                self.submit_error = exc
                self.status = Status.failed  # so that closing the cluster passes it by
                raise

        async def close(self):  # dask-jobqueue's scancels but leaves the status running, which closing asserts
            await super().close()
            self.status = Status.closed

    class Cluster(SLURMCluster):
        job_cls = Job

    python = opts.python or ("python" if opts.prologue else sys.executable)
    prologue = ["export OMP_NUM_THREADS=1", *opts.prologue,
                # a folder of its own on the node's disk: never the login node's TMPDIR, which sbatch passes on
                f'export TMPDIR="$(mktemp -d "{opts.local_directory}/dgmlab-$SLURM_JOB_ID.XXXXXX")"',
                'trap \'rm -rf "$TMPDIR"\' EXIT']
    scheduler = {"dashboard_address": opts.dashboard}
    with dask.config.set(scheduler_config):
        return Cluster(protocol="tls://", security=run_security(), shared_temp_directory=str(certificates),
                       queue=opts.partition or None, account=opts.account or None, cores=opts.cores,
                       processes=opts.cores, memory=f"{opts.cores * opts.memory:g}GiB", walltime=opts.walltime,
                       local_directory="$TMPDIR", job_script_prologue=prologue, python=python,
                       job_extra_directives=list(opts.directives), interface=opts.interface or None,
                       scheduler_options=scheduler, job_name="dgmlab-grading")


def _run(cmd: list) -> tuple[int, str]:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return res.returncode, (res.stdout + res.stderr).strip()


def job_states(ids) -> dict:
    """``{job id: (state, reason)}`` of the jobs SLURM still knows (``squeue``)."""
    if not ids:
        return {}
    rc, out = _run(["squeue", "-h", "--states=all", "-j", ",".join(ids), "-o", "%i|%T|%r"])
    states = {}
    for line in out.splitlines() if rc == 0 else []:
        parts = line.strip().split("|")
        if len(parts) == 3:
            states[parts[0]] = (parts[1], parts[2])
    return states


def job_output(job_id: str) -> str:
    """Where SLURM writes the job's output (``scontrol show job``), or how to find it."""
    rc, out = _run(["scontrol", "show", "job", job_id])
    for word in out.split() if rc == 0 else []:
        if word.startswith("StdOut="):
            return word[len("StdOut="):] + " (on the node that ran it)"
    return f"slurm-{job_id}.out in the folder it ran in"


def _fail(cause: str, script: Path) -> SlurmError:
    return SlurmError(f"{cause}. Check the job script {script} (cluster.job_script()) and the c.DgmlabSlurm "
                      f"settings in nbgrader_config.py (docs/cluster.md)")


def wait_for_workers(cluster, client, opts: DgmlabSlurm, script: Path, poll: float = 2.0) -> None:
    """Return once a worker has reached the scheduler; raise :class:`SlurmError` with the cause when none will."""
    t0 = time.monotonic()
    running_since: dict = {}
    said = ""
    while not client.nthreads():
        jobs = list(cluster.workers.values())
        refused = [j for j in jobs if getattr(j, "submit_error", None) is not None]
        if jobs and len(refused) == len(jobs):
            err = str(refused[0].submit_error)
            lines = [x for x in err.splitlines() if "error" in x.lower() and not x.startswith("Command")]
            raise _fail(f"SLURM refused the job: {'; '.join(lines) or err[-600:]}", script)
        ids = [j.job_id for j in jobs if j.job_id]
        states = job_states(ids)
        now = time.monotonic()
        for jid in ids:
            state, reason = states.get(jid, ("GONE", ""))
            if state in ENDED or state == "GONE":
                why = state.lower() + (f", {reason}" if reason not in ("", "None") else "")
                raise _fail(f"SLURM job {jid} ended ({why}) before any worker reached the scheduler at "
                            f"{cluster.scheduler_address}; its output: {job_output(jid)}", script)
            if state == "RUNNING":
                running_since.setdefault(jid, now)
                if now - running_since[jid] > opts.start_timeout:
                    raise _fail(f"SLURM job {jid} has run {opts.start_timeout:g} s and no worker reached the "
                                f"scheduler at {cluster.scheduler_address} (the environment in the prologue, the "
                                f"network between node and this machine: c.DgmlabSlurm.interface); its output: "
                                f"{job_output(jid)}", script)
        pending = {jid: states[jid][1] for jid in ids if states.get(jid, ("",))[0] == "PENDING"}
        if ids and len(pending) == len(ids) and now - t0 > opts.pending_timeout:
            reasons = ", ".join(sorted(set(pending.values())))
            raise _fail(f"SLURM kept job(s) {', '.join(ids)} pending for {opts.pending_timeout:g} s (reason: "
                        f"{reasons}; `squeue -j {ids[0]}` and `sinfo` tell more)", script)
        if not jobs and now - t0 > opts.start_timeout:
            raise _fail("no SLURM job was submitted", script)
        line = ", ".join(f"{jid} {states.get(jid, ('?', ''))[0].lower()}" for jid in ids)
        if line and line != said:
            log.info(terminal(f"dgmlab: SLURM jobs: {line}"))
            said = line
        time.sleep(poll)


@contextmanager
def slurm_client(course: Course, hw: str, scheduler_config: dict, flags: dict | None = None):
    """A ``distributed.Client`` whose workers are SLURM jobs (see the module's docstring); the jobs are cancelled
    on the way out, whatever happens."""
    from distributed import Client

    opts = slurm_options(course, **(flags or {}))
    script = course.root / ".dgmlab" / "slurm" / f"{hw}-job.sh"
    script.parent.mkdir(parents=True, exist_ok=True)
    certificates = certificate_folder(Path(opts.certificates) if opts.certificates else script.parent, hw)
    cluster = None
    try:
        with make_cluster(opts, scheduler_config, certificates) as cluster, \
                Client(cluster, security=cluster.security) as client:
            script.write_text(cluster.job_script(), encoding="utf-8")
            log.info(terminal(f"dgmlab: submitting {opts.jobs} SLURM job(s) of {opts.cores} grading worker(s) "
                              f"(job script: {script}; dashboard: {cluster.dashboard_link})"))
            cluster.scale(jobs=opts.jobs)
            wait_for_workers(cluster, client, opts, script)
            yield client  # leaving the cluster cancels its jobs (scancel)
    finally:
        for part in ("ca_file", "cert", "key"):  # dask-jobqueue's open temporary files, each unlinked on close
            getattr(getattr(cluster, f"_job_{part}", None), "close", lambda: None)()
        shutil.rmtree(certificates, ignore_errors=True)  # the run's key: no longer on disk once its jobs are gone
