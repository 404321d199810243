"""The grading's Dask scheduler takes no stranger: the clusters autograde starts speak only TLS with a certificate
made for the run, and a scheduler given by address must be a tls:// one (docs/cluster.md, 'Who may connect').

A Dask client runs code in the scheduler (the coordinating process: course, gradebook, hidden tests) and in the
workers, so a client without the run's certificate must not connect at all."""
import asyncio
import stat
import time

import dask
import pytest
from distributed import Client, LocalCluster
from distributed.security import Security

from dgmlab.grading.autograde import slurm as S
from dgmlab.grading.autograde.clients import client_for, scheduler_config
from dgmlab.grading.autograde.security import external_security
from dgmlab.grading.layout import Course, CourseError


def _cannot_connect(address: str, security=None) -> float:
    """Seconds a client took to be turned away from ``address`` (fails the test if it got in).

    The client runs on this thread's own event loop: a synchronous ``Client`` starts an IO-loop thread and, on a
    loaded machine, distributed's own start-up assert fails before any connection is tried."""
    async def connect():
        client = await Client(address, timeout="5s", security=security, asynchronous=True)
        await client.close()

    t0 = time.monotonic()
    with pytest.raises((OSError, TypeError)):
        asyncio.run(connect())
    return time.monotonic() - t0


def _course(root, settings: str = "") -> Course:
    (root / "nbgrader_config.py").write_text("c = get_config()\n" + settings, encoding="utf-8")
    return Course(root)


@pytest.mark.slow  # starts a LocalCluster (a few seconds)
def test_a_client_without_the_runs_certificate_cannot_reach_the_local_cluster():
    with client_for(None, workers=1) as client:
        address = client.scheduler.address
        workers = list(client.scheduler_info()["workers"])
        assert address.startswith("tls://127.0.0.1:"), address
        assert workers and all(w.startswith("tls://127.0.0.1:") for w in workers), workers
        assert client.submit(sum, [1, 2]).result() == 3, "the run's own client grades through it"
        port = address.rsplit(":", 1)[1]
        for target, security in ((f"tcp://127.0.0.1:{port}", None),  # the attacker's probe
                                  (address, None),
                                  (address, Security.temporary()),  # a certificate of another authority
                                  (workers[0], None)):
            assert _cannot_connect(target, security) < 10, f"{target} took too long to refuse"


def test_a_plain_tcp_scheduler_address_is_refused_naming_what_to_configure(tmp_path):
    course = _course(tmp_path)
    for address in ("tcp://10.0.0.1:8786", "10.0.0.1:8786"):  # no scheme: Dask's default, tcp
        with pytest.raises(CourseError) as err, client_for(address, course=course, hw="hw"):
            pass
        message = str(err.value)
        for hint in ("tls://HOST:PORT", "c.DgmlabDask.tls_ca_file", "distributed.comm.tls",
                     "c.DgmlabDask.insecure_allow_plain_tcp"):
            assert hint in message, message


def test_a_course_may_opt_into_a_plain_tcp_scheduler_by_an_insecure_setting(tmp_path):
    course = _course(tmp_path, "c.DgmlabDask.insecure_allow_plain_tcp = True\n")
    assert external_security("tcp://10.0.0.1:8786", course) is None
    with pytest.raises(CourseError, match="refusing a inproc://"):  # only tcp is opted into
        external_security("inproc://10.0.0.1/1/2", course)


def test_a_tls_address_without_a_certificate_is_refused(tmp_path):
    with dask.config.set({"distributed.comm.tls.ca-file": None, "distributed.comm.tls.client.cert": None}), \
            pytest.raises(CourseError, match="c.DgmlabDask.tls_ca_file and c.DgmlabDask.tls_client_cert"):
        external_security("tls://10.0.0.1:8786", _course(tmp_path))


def test_a_tls_scheduler_is_reached_with_the_courses_certificate_and_refuses_others(tmp_path):
    run = Security.temporary()
    files = {}
    for name, pem in (("ca.pem", run.tls_ca_file), ("cert.pem", run.tls_client_cert),
                      ("key.pem", run.tls_client_key)):
        (tmp_path / name).write_text(pem, encoding="utf-8")
        files[name] = tmp_path / name
    course = _course(tmp_path, f"c.DgmlabDask.tls_ca_file = {str(files['ca.pem'])!r}\n"
                               f"c.DgmlabDask.tls_client_cert = {str(files['cert.pem'])!r}\n"
                               f"c.DgmlabDask.tls_client_key = {str(files['key.pem'])!r}\n")
    with LocalCluster(n_workers=0, processes=False, protocol="tls://", security=run, host="127.0.0.1",
                      dashboard_address=None) as admins:
        with client_for(admins.scheduler_address, course=course, hw="hw") as client:
            assert client.scheduler.address == admins.scheduler_address
        assert _cannot_connect(admins.scheduler_address) < 10


def test_the_slurm_scheduler_speaks_tls_and_its_jobs_read_a_private_certificate(tmp_path):
    pytest.importorskip("dask_jobqueue")
    opts = S.DgmlabSlurm(partition="cpu", cores=2)
    folder = S.certificate_folder(tmp_path / "slurm", "hw")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with S.make_cluster(opts, scheduler_config(), folder) as cluster:
        address, script = cluster.scheduler_address, cluster.job_script()
        assert address.startswith("tls://"), address
        [worker] = [line for line in script.splitlines() if "dask_worker" in line]
        assert f"dask_worker {address}" in worker and "--protocol tls://" in worker, worker
        for flag in ("--tls-ca-file", "--tls-cert", "--tls-key"):
            path = worker.split(flag + " ", 1)[1].split()[0]
            assert path.startswith(str(folder) + "/"), (flag, path)
            mode = stat.S_IMODE((folder / path.rsplit("/", 1)[1]).stat().st_mode)
            assert mode == 0o600, f"{flag} file is {oct(mode)}"
        assert _cannot_connect(address) < 10


def test_a_slurm_run_removes_its_certificates_whatever_happens(tmp_path, monkeypatch):
    SLURMCluster = pytest.importorskip("dask_jobqueue").SLURMCluster
    course = _course(tmp_path, f"c.DgmlabSlurm.certificates = {str(tmp_path / 'certs')!r}\n")
    seen = {}

    def no_jobs(cluster, client, opts, script):  # stands in for SLURM: look at what the jobs would read
        [folder] = (tmp_path / "certs").iterdir()
        seen["files"] = sorted(p.name for p in folder.iterdir())
        raise S.SlurmError("no SLURM here")

    monkeypatch.setattr(S, "wait_for_workers", no_jobs)
    monkeypatch.setattr(SLURMCluster, "scale", lambda *args, **kwargs: None)  # no sbatch
    with pytest.raises(S.SlurmError, match="no SLURM here"), \
            S.slurm_client(course, "hw", scheduler_config(), {"jobs": 1}):
        pass
    assert len(seen["files"]) == 3, seen  # ca, cert, key for the jobs
    assert list((tmp_path / "certs").iterdir()) == [], "the run's key stayed on disk"
