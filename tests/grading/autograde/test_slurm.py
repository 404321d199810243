"""`dgmlab autograde <hw> --cluster slurm` (docs/cluster.md's SLURM section) on a real one-node SLURM.

The e2e tests start Debian's SLURM (slurm-wlm, munge: .ci/run installs them when it runs as root) on this machine:
a private munged, slurmctld and slurmd with a configuration written for this machine into a temporary folder
(SLURM_CONF), so a SLURM already installed here is never touched, and they stop only the daemons they started.
They grade three of the demo class's hw3 submissions on this machine, then through the SLURM section's settings and
command, and check that every grade and per-cell score is the local run's and that each grading ran in a SLURM
job; then that a refused job, a job left pending and a job whose workers never connect each end the run with the
cause and the job script. Without SLURM they are skipped, saying so. The unit tests run everywhere.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cluster_docs import site_settings

from conftest import ROOT, SHARED_DATA
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.isolation import kernel_sandbox as S
from dgmlab.grading.layout import CourseError

HW = "hw3_flows"
STUDENTS = ["demo_reference", "demo_partial", "demo_blank"]
DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


# ------------------------------------------------------------------ everywhere
def test_a_cluster_worker_that_cannot_sandbox_refuses_unless_the_course_allows_it(monkeypatch):
    from dgmlab import __version__
    from dgmlab.grading.autograde.task_records import Bundle, Job
    from dgmlab.grading.autograde.worker import grade_submission

    monkeypatch.setattr(S, "available", lambda: (False, "no bwrap on this node"))
    job = Job(student="s1", files={}, submitted_at=time.time())
    for setting, words in ((None, "does not allow grading without it"), (True, "the sandbox is required")):
        bundle = Bundle(hw=HW, version=__version__, config="", gradebook=b"", notebooks=(HW,), source={},
                        timeout=60, feedback=False, sandbox=setting)
        out = grade_submission(bundle, job)
        assert out.status == "failed" and out.infrastructure, out
        assert words in out.reason and "no bwrap on this node" in out.reason, out.reason


def test_a_remote_cluster_leaves_the_sandbox_to_its_workers(tmp_path, monkeypatch):
    from dgmlab.grading.autograde import coordinator

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "source" / HW).mkdir(parents=True)
    (tmp_path / "source" / HW / f"{HW}.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "submitted" / "s1" / HW).mkdir(parents=True)
    seen = {}

    def login_node_check():
        raise AssertionError("whether to sandbox was decided on the coordinator's machine")

    monkeypatch.setattr(S, "available", login_node_check)
    monkeypatch.setattr(coordinator, "run", lambda course, hw, students, options, **kw: seen.update(options=options) or [])
    for cluster in ("slurm", "tcp://10.0.0.1:8786"):
        C.autograde(C.Course(tmp_path), HW, cluster=cluster)
        assert seen["options"].sandbox is None, "the workers decide"
    C.autograde(C.Course(tmp_path), HW, options=RunOptions(sandbox=False), cluster="slurm")
    assert seen["options"].sandbox is False, "a course that allows grading without it says so to every worker"


@pytest.mark.slow
def test_slurm_flags_need_the_slurm_cluster(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "source" / HW).mkdir(parents=True)
    res = subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(tmp_path), "autograde", HW,
                          "--partition", "cpu"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "apply to --cluster slurm" in res.stderr, res.stderr


# ------------------------------------------------------------------ a real SLURM
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A one-node SLURM of this machine (partitions `grading` and `closed`, the latter down); yields its env."""
    missing = [d for d in DAEMONS if not shutil.which(d)]
    if missing:
        pytest.skip(f"SLURM is not installed here (no {', '.join(missing)}): apt-get install slurm-wlm munge, "
                    f"as .ci/run does when it runs as root")
    if os.geteuid() != 0:
        pytest.skip("a one-node SLURM needs root here: slurmd runs each job as its user")
    node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, timeout=60).stdout.splitlines()
    node = [line for line in node if line.startswith("NodeName=")]
    if not node:
        pytest.skip("slurmd -C does not describe this machine")
    name = node[0].split()[0].split("=", 1)[1]
    fields = dict(f.split("=", 1) for f in node[0].split()[1:] if "=" in f and not f.startswith("UpTime"))
    d = tmp_path_factory.mktemp("slurm")
    os.chmod(d, 0o755)  # munged wants its socket's folder searchable
    for sub in ("state", "spool"):
        (d / sub).mkdir()
    conf = d / "slurm.conf"
    conf.write_text(f"""ClusterName=dgmlab-e2e
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
AuthInfo=socket={d}/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName={name} NodeAddr=127.0.0.1 {' '.join(f'{k}={v}' for k, v in fields.items())} State=UNKNOWN
PartitionName=grading Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=closed Nodes=ALL MaxTime=INFINITE State=DOWN
""", encoding="utf-8")
    env = {**os.environ, "SLURM_CONF": str(conf)}
    started = []  # (pid file, program): only these are stopped
    old = os.environ.get("SLURM_CONF")
    try:
        subprocess.run(["mungekey", "-c", "-k", str(d / "munge.key")], check=True, capture_output=True, timeout=60)
        steps = [("munged.pid", ["munged", "-f", "-S", f"{d}/munge.sock", f"--key-file={d}/munge.key",
                                 f"--log-file={d}/munged.log", f"--pid-file={d}/munged.pid",
                                 f"--seed-file={d}/munged.seed"]),
                 ("slurmctld.pid", ["slurmctld"]), ("slurmd.pid", ["slurmd", "-N", name])]
        for pid_file, cmd in steps:
            subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=60)
            _wait(lambda: (d / pid_file).exists() and (d / pid_file).read_text().strip(), 30, cmd[0])
            started.append((d / pid_file, cmd[0]))

        def idle():
            out = subprocess.run(["sinfo", "-h", "-p", "grading", "-o", "%T"], env=env, capture_output=True,
                                 text=True, timeout=30).stdout
            return out.strip() == "idle"

        _wait(idle, 60, "the node to be idle")
        os.environ["SLURM_CONF"] = str(conf)  # for the gradings run in this process
        yield {"env": env, "dir": d, "name": name}
    finally:
        if started:
            subprocess.run(["scancel", "--user", "root"], env=env, capture_output=True, timeout=60)
        for pid_file, program in reversed(started):
            pid = int(pid_file.read_text().strip())
            try:
                if program in Path(f"/proc/{pid}/comm").read_text():
                    os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                pass
        if old is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = old


def _squeue(env, *args) -> list[str]:
    res = subprocess.run(["squeue", "-h", *args], env=env, capture_output=True, text=True, timeout=30)
    return res.stdout.split()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course with three hw3 submissions of the demo class, released (local-only)."""
    root = tmp_path_factory.mktemp("course")
    for name in ("source", "release"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("figures", ".ipynb_checkpoints"))
    shutil.copy(ROOT / "nbgrader_config.py", root)
    C.release(C.Course(root), [HW], local_only=True)
    for student in STUDENTS:
        shutil.copytree(ROOT / "examples" / student / HW, root / "submitted" / student / HW)
    return root


def _cell_scores(root: Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "dgm") as gb:
        return {(sub.student_id, nb.name, g.name): g.auto_score for sub in gb.assignment_submissions(HW)
                for nb in sub.notebooks for g in nb.grades}


def _autograde(root, env, *flags):
    students = [a for s in STUDENTS for a in ("--student", s)]
    return subprocess.run([sys.executable, "-m", "dgmlab.cli", "autograde", HW, *students, *flags], cwd=root,
                          env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
@pytest.mark.e2e
def test_the_documented_recipe_grades_in_slurm_jobs_as_this_machine_does(slurm, course):
    from dgmlab.grading.records import load_records

    env = {**slurm["env"], **({"DGMLAB_DATA": str(SHARED_DATA)} if SHARED_DATA.is_dir() else {})}
    t0 = time.monotonic()
    local = _autograde(course, env, "--workers", "2")
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]
    local_scores = _cell_scores(course)
    assert {s for s, _, _ in local_scores} == set(STUDENTS)
    t_local = time.monotonic() - t0

    # docs/cluster/slurm_config.py with this machine's values, appended to nbgrader_config.py as the docs say
    venv = Path(sys.prefix)
    activate = (f"source {venv}/bin/activate" if (venv / "bin" / "activate").exists()
                else f"export PATH={Path(sys.executable).parent}:$PATH")
    site = {"partition": "grading", "account": "dgm-e2e", "jobs": 1, "cores": 2, "memory": 2.0,
            "walltime": "00:20:00",
            "prologue": [activate, f"export DGMLAB_DATA={env.get('DGMLAB_DATA', course / 'no-data')}"]}
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write("\n" + site_settings(site))
    t0 = time.monotonic()
    res = _autograde(course, env, "--cluster", "slurm", "--force")  # the docs' command, for three students
    t_slurm = time.monotonic() - t0
    print(f"local {t_local:.0f} s, SLURM {t_slurm:.0f} s")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "summary: 3 graded" in res.stdout, res.stdout[-2000:]
    assert _cell_scores(course) == local_scores, "a grade differs from the local run's"
    script = (course / ".dgmlab" / "slurm" / f"{HW}-job.sh").read_text(encoding="utf-8")
    assert "#SBATCH -p grading" in script and "#SBATCH -A dgm-e2e" in script and activate in script
    records = load_records(C.Course(course), HW)
    jobs = set()
    for student in STUDENTS:
        worker = records[student]["worker"]
        assert records[student]["status"] == "graded" and worker.startswith("SLURM job "), records[student]
        jobs.add(worker.split()[2])
    known = _squeue(slurm["env"], "--states=all", "-o", "%i")
    assert jobs <= set(known), f"gradings ran in jobs {jobs}; SLURM ran {known}"
    assert not _squeue(slurm["env"], "-t", "pending,running", "-o", "%i"), "a job was left running"
    assert "--tls-key" in script and not list((course / ".dgmlab" / "slurm").glob(f"{HW}-tls-*")), \
        "the jobs got this run's TLS certificate, removed after the run"


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("flags, cause", [
    ({"partition": "nosuch"}, "SLURM refused the job: sbatch: error: invalid partition specified: nosuch"),
    ({"partition": "closed", "pending_timeout": 4.0}, "pending for 4 s (reason: PartitionDown"),
    ({"prologue": ["sleep 300"], "start_timeout": 4.0}, "and no worker reached the scheduler at tls://"),
    ({"prologue": ["exit 3"]}, "ended (failed"),
], ids=["refused", "pending", "no-worker", "ended"])
def test_a_job_that_gives_no_worker_ends_the_run_with_its_cause(slurm, course, monkeypatch, flags, cause):
    monkeypatch.chdir(course)  # SLURM writes the job's output where it is submitted from
    site = {"partition": "grading", "cores": 1, "memory": 1.0, "walltime": "00:05:00", **flags}
    t0 = time.monotonic()
    with pytest.raises(CourseError) as err:
        C.autograde(C.Course(course), HW, ["demo_blank"], RunOptions(force=True, slurm=site), cluster="slurm")
    message = str(err.value)
    assert cause in message, message
    script = course / ".dgmlab" / "slurm" / f"{HW}-job.sh"
    assert f"Check the job script {script} (cluster.job_script())" in message and script.exists()
    assert time.monotonic() - t0 < 90, "it waited"
    assert not list(script.parent.glob(f"{HW}-tls-*")), "the run's TLS key stayed on disk"
    _wait(lambda: not _squeue(slurm["env"], "-t", "pending,running", "-o", "%i"), 30, "the jobs to be cancelled")
