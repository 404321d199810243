"""The Dask client a grading runs through: a LocalCluster on this machine, a running scheduler's address, or SLURM
jobs (:mod:`.slurm`); see :mod:`.cluster`. Every one speaks TLS with certificates no stranger holds
(:mod:`.security`): a scheduler's client runs code in the scheduler and the workers.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager

from .. import layout as C

DEFAULT_ALLOWED_FAILURES = 2


def scheduler_config(allowed_failures: int = DEFAULT_ALLOWED_FAILURES) -> dict:
    """The scheduler settings grading needs: one grading per worker process at a time; a grading that kills its
    worker ``allowed_failures + 1`` times is failed."""
    return {"distributed.scheduler.allowed-failures": allowed_failures,
            "distributed.scheduler.worker-saturation": 1.0}


@contextmanager
def client_for(cluster=None, workers: int = 1, allowed_failures: int = DEFAULT_ALLOWED_FAILURES, *, course=None,
               hw: str = "", slurm: dict | None = None):
    """A :class:`distributed.Client`: ``cluster`` as given (a Client, or a scheduler address), SLURM jobs for
    ``"slurm"`` (:mod:`.slurm`, with ``slurm``'s flags over the course's ``c.DgmlabSlurm``), else a LocalCluster."""
    import dask
    from distributed import Client, LocalCluster

    if cluster is not None and not isinstance(cluster, str):
        yield cluster  # a Client the caller owns
        return
    from .security import external_security, run_security
    from .slurm import SLURM, slurm_client

    if cluster == SLURM:
        if course is None:
            raise C.CourseError("--cluster slurm needs the course (its c.DgmlabSlurm settings)")
        with slurm_client(course, hw, scheduler_config(allowed_failures), slurm) as client:
            yield client
        return
    if cluster:
        security = external_security(cluster, course)  # a tls:// address and the course's certificate
        try:
            client = Client(cluster, timeout="10s", security=security)
        except OSError as exc:
            raise C.CourseError(f"could not reach the Dask scheduler at {cluster}: {exc} (start one, or leave "
                                f"out --cluster to grade on this machine)") from exc
        with client:
            yield client
        return
    # one grading per worker process at a time; a grading that kills its worker allowed_failures+1 times is failed
    security = run_security()  # TLS on loopback: another local user cannot connect without this run's key
    with dask.config.set(scheduler_config(allowed_failures)):
        # Dask's dashboard on a free loopback port: a fixed one (8787) warns whenever another cluster holds it
        with LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                          protocol="tls://", security=security, dashboard_address="127.0.0.1:0",
                          silence_logs=logging.ERROR, memory_limit=0) as local, \
                Client(local, security=security) as client:
            yield client
