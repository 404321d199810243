"""What a cluster plug-in is: where ``dgmlab autograde --cluster NAME`` runs the gradings (docs/plugins.md).

A cluster is a subclass of :class:`ClusterPlatform` registered under the entry-point group ``dgmlab.clusters``
(:mod:`dgmlab.grading.plugins`); the kit's own are ``local`` (a :class:`distributed.LocalCluster` on this machine, the
default) and ``slurm`` (workers submitted as SLURM jobs, :mod:`.slurm`), registered in the kit's pyproject files like
any other. A running scheduler's address (``tls://host:8786``: Kubernetes, a Dask Gateway) needs no plug-in
(:func:`is_address`). Whatever the cluster, the coordinator sends it the same tasks (:mod:`.coordinator`); a plug-in
only gives the :class:`distributed.Client` and takes it down. Its settings are its own ``Configurable`` in
``nbgrader_config.py`` (``c.DgmlabSlurm``).
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, contextmanager

from .. import layout, plugins

LOCAL = "local"


class ClusterPlatform(ABC):
    """Where gradings run: the registry sets ``name`` (the entry point's)."""

    name: str = ""
    on_this_machine: bool = False  # the submissions' kernels run here: whether they are sandboxed is decided here

    @abstractmethod
    def client(self, course, hw: str, scheduler: dict, *, workers: int = 1,
               flags: dict | None = None) -> AbstractContextManager:
        """A context manager giving a :class:`distributed.Client` whose workers grade ``hw`` of ``course``, and taking
        its workers down on the way out. ``scheduler``: the Dask settings grading needs (one grading per worker
        process, how often a grading may kill its worker: :func:`.clients.scheduler_config`), for a scheduler it
        starts; ``workers``: ``--workers``; ``flags``: the command line's values for this cluster (SLURM's
        ``--partition``, ``--account``, ``--slurm-jobs``), over the course's settings."""


class Local(ClusterPlatform):
    """A LocalCluster on this machine: one process per worker, one thread each, TLS on loopback."""

    on_this_machine = True

    @contextmanager
    def client(self, course, hw, scheduler, *, workers=1, flags=None):
        import dask
        from distributed import Client, LocalCluster

        from .security import run_security

        security = run_security()  # TLS on loopback: another local user cannot connect without this run's key
        with dask.config.set(scheduler):
            # Dask's dashboard on a free loopback port: a fixed one (8787) warns whenever another cluster holds it
            with LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                              protocol="tls://", security=security, dashboard_address="127.0.0.1:0",
                              silence_logs=logging.ERROR, memory_limit=0) as local, \
                    Client(local, security=security) as client:
                yield client


class Slurm(ClusterPlatform):
    """Workers submitted as SLURM jobs (:mod:`.slurm`, ``c.DgmlabSlurm``)."""

    @contextmanager
    def client(self, course, hw, scheduler, *, workers=1, flags=None):
        from .slurm import slurm_client

        if course is None:
            raise layout.CourseError("--cluster slurm needs the course (its c.DgmlabSlurm settings)")
        with slurm_client(course, hw, scheduler, flags) as client:
            yield client


def is_address(value: str) -> bool:
    """Whether a ``--cluster`` value is a running scheduler's address (``tls://host:8786``, ``host:8786``), not a
    plug-in's name."""
    return ":" in value or "/" in value


def installed() -> list:
    """The names of the installed cluster plug-ins."""
    return plugins.names(plugins.CLUSTERS)


def cluster(name: str) -> ClusterPlatform:
    """The installed cluster plug-in ``name`` (a CourseError listing the installed ones when none is)."""
    return plugins.load(plugins.CLUSTERS, name, ClusterPlatform, "cluster")


def on_this_machine(value: str | None) -> bool:
    """Whether ``--cluster value`` grades on this machine (none: the local one)."""
    if not value:
        return True
    return not is_address(value) and cluster(value).on_this_machine
