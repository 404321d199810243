"""The Dask client a grading runs through: a running scheduler's address, or a cluster plug-in (:mod:`.clusters`: a
LocalCluster on this machine, SLURM jobs from :mod:`.slurm`, a course's own); see :mod:`dgmlab.grading.autograde`. Every one speaks
TLS with certificates no stranger holds (:mod:`.security`): a scheduler's client runs code in the scheduler and the workers.
"""
from __future__ import annotations

from contextlib import contextmanager

from .. import layout
from .cluster_platforms import LOCAL, is_address
from .cluster_platforms import cluster as plugin

DEFAULT_ALLOWED_FAILURES = 2


def scheduler_config(allowed_failures: int = DEFAULT_ALLOWED_FAILURES) -> dict:
    """The scheduler settings grading needs: one grading per worker process at a time; a grading that kills its
    worker ``allowed_failures + 1`` times is failed."""
    return {"distributed.scheduler.allowed-failures": allowed_failures,
            "distributed.scheduler.worker-saturation": 1.0}


@contextmanager
def client_for(cluster=None, workers: int = 1, allowed_failures: int = DEFAULT_ALLOWED_FAILURES, *, course=None,
               hw: str = "", slurm: dict | None = None):
    """A :class:`distributed.Client`: ``cluster`` as given (a Client, or a scheduler address), else the cluster
    plug-in of that name (:mod:`.clusters`: ``"slurm"``, with ``slurm``'s flags over the course's ``c.DgmlabSlurm``;
    ``None``: ``"local"``, a LocalCluster of ``workers`` processes)."""
    if cluster is not None and not isinstance(cluster, str):
        yield cluster  # a Client the caller owns
        return
    if cluster and is_address(cluster):
        from distributed import Client

        from .security import external_security

        security = external_security(cluster, course)  # a tls:// address and the course's certificate
        try:
            client = Client(cluster, timeout="10s", security=security)
        except OSError as exc:
            raise layout.CourseError(f"could not reach the Dask scheduler at {cluster}: {exc} (start one, or leave "
                                f"out --cluster to grade on this machine)") from exc
        with client:
            yield client
        return
    with plugin(cluster or LOCAL).client(course, hw, scheduler_config(allowed_failures), workers=workers,
                                         flags=slurm) as client:
        yield client
