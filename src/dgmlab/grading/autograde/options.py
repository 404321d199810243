"""``dgmlab autograde``'s settings, configured as nbgrader's own are: ``c.DgmlabAutograde.<name>`` in the
course's ``nbgrader_config.py``. A flag given to the command overrides its setting for that run.

The limit on one cell is nbgrader's ``c.Execute.timeout`` (``--cell-timeout`` overrides it), so it is not
repeated here. :class:`RunOptions` is one run's options as a record, built once where they come from (the command's
settings and flags: :func:`run_options`; the demo; a test) and passed whole to
:func:`dgmlab.grading.course.autograde`, the coordinator and the homework's bundle, or to the Gradescope autograder.
Its defaults are the only ones: the settings below default to them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Configurable

from ..isolation.kernel_sandbox import DEFAULT_MEMORY, Limits
from ..layout import Course
from .clients import DEFAULT_ALLOWED_FAILURES

GIB = 1024 ** 3  # bytes in the GiB that --memory counts
# Submissions a worker from which warm kernels pay for their zygote (its imports, once a worker: about 6 s): a grading
# saves 5.7 s of imports (benchmarks/results/autograde_throughput.md, "Warm kernels, measured quiet").
WARM_FROM = 3


def warm_pays(submissions: int, workers: int) -> bool:
    """Whether a run grading ``submissions`` on ``workers`` workers forks its kernels warm when its limits leave it to
    the run (``Limits.warm`` None): from :data:`WARM_FROM` submissions a worker."""
    return submissions >= WARM_FROM * max(1, workers)


@dataclass(frozen=True)
class RunOptions:
    """How one run grades (:func:`dgmlab.grading.course.autograde`, :func:`dgmlab.grading.autograde.coordinator.run`).
    Where the submissions are graded (a cluster) and what hears of each result (a progress callback) are not
    options of the grading: they are the caller's objects, passed beside it."""

    timeout: float = 900.0  # seconds per submission
    feedback: bool = True  # write the feedback (HTML, returned notebook)
    sandbox: bool | None = None  # True: required; False: not used; None: used where the kernel runs when that
    # machine can (on this machine: a loud warning when not; a cluster's worker that cannot refuses to grade)
    limits: Limits = field(default_factory=Limits)  # the kernel's address space, file size and tmpfs
    cell_timeout: float | None = None  # overrides the course's c.Execute.timeout
    workers: int = 1  # processes of the local cluster, at least 1 (ignored with a cluster)
    force: bool = False  # grade again submissions unchanged since their last grading
    allowed_failures: int = DEFAULT_ALLOWED_FAILURES  # worker deaths one grading may cause before it is failed
    refuse_published: bool = True  # a weights file copying one the kit publishes is not graded
    slurm: dict | None = None  # c.DgmlabSlurm values put over the course's (cluster "slurm")


class DgmlabAutograde(Configurable):
    """What ``dgmlab autograde`` does when its command line does not say."""

    workers = Integer(None, allow_none=True,
                      help="Worker processes of the local Dask cluster, one submission each at a time (None: one per "
                           "CPU core; ignored with a cluster). Flag: --workers.").tag(config=True)
    cluster = Unicode("", help="Grade on the Dask cluster whose scheduler is at this address (tls://host:8786: TLS, c.DgmlabDask; see "
                               "docs/cluster.md) instead of a local one; 'slurm': on workers submitted as SLURM jobs "
                               "(c.DgmlabSlurm); another name: that installed cluster plug-in (docs/plugins.md); empty: a local "
                               "cluster. Flag: --cluster.").tag(config=True)
    force = Bool(RunOptions.force, help="Grade again submissions unchanged since their last grading (False: skip them). "
                             "Flag: --force.").tag(config=True)
    timeout = Float(RunOptions.timeout, help="Seconds allowed per submission. Flag: --timeout.").tag(config=True)
    feedback = Bool(RunOptions.feedback, help="Write feedback (the HTML and the returned notebook). Flag: --no-feedback."
                    ).tag(config=True)
    sandbox = Bool(RunOptions.sandbox, allow_none=True,
                   help="True: require the bubblewrap sandbox; False: grade without it; None: use it where the "
                        "kernel runs when that machine allows; when it does not, warn (this machine) or refuse "
                        "(a cluster's worker). Flags: --sandbox, --no-sandbox.").tag(config=True)
    memory = Float(DEFAULT_MEMORY / GIB, help="GiB of address space per kernel (sandbox only). Flag: --memory.").tag(config=True)
    warm_kernels = Bool(RunOptions().limits.warm, allow_none=True,
                        help="True: fork each submission's kernel from a process per worker that imported torch, numpy "
                             "and sympy once (dgmlab.grading.isolation.warm_kernels), walled as a cold one and used "
                             "once; where that process cannot start, kernels start cold, said once. False: start each "
                             f"kernel cold. None: warm when the run grades at least {WARM_FROM} submissions a worker, "
                             "where it pays (benchmarks/results/autograde_throughput.md). Sandbox only."
                        ).tag(config=True)
    grade_published = Bool(not RunOptions.refuse_published, help="Grade weights files that copy the kit's own published ones (False: their "
                                       "cells earn 0; docs/novelty.md). Flag: --grade-published.").tag(config=True)


def autograde_options(course: Course, **flags) -> DgmlabAutograde:
    """The course's ``DgmlabAutograde`` settings, each flag not ``None`` put over its setting."""
    return course.settings(DgmlabAutograde, **flags)


def run_options(settings: DgmlabAutograde, *, cell_timeout: float | None = None,
                slurm: dict | None = None) -> RunOptions:
    """One run's :class:`RunOptions` from the course's settings (flags already put over them, as
    :func:`autograde_options` does) and the flags that have no setting: ``cell_timeout`` (``--cell-timeout``) and
    ``slurm`` (``--partition``, ``--account``, ``--slurm-jobs``). ``workers`` None is one per CPU core."""
    return RunOptions(timeout=settings.timeout, feedback=settings.feedback, sandbox=settings.sandbox,
                      limits=Limits(memory=int(settings.memory * GIB), warm=settings.warm_kernels),
                      cell_timeout=cell_timeout,
                      workers=settings.workers if settings.workers is not None else (os.cpu_count() or 1),
                      force=settings.force, refuse_published=not settings.grade_published, slurm=slurm)
