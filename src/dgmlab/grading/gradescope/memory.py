"""How much memory a Gradescope grading holds, and the kernel stopped before the container's limit: the memory
cgroup this process is in (v2 or v1; :data:`CONTAINER_ENV` where none says), and :class:`PeakMemory`, which samples the
grader, the kernel and the judge together every 50 ms while :mod:`.run` grades.
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

JUDGE_COMMAND = "dgmlab.grading.judge.judge_process"  # in the command line of the judge and of its forks
CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")  # which cgroup this process is in: "0::<path>" (v2), "<n>:memory:<path>" (v1)
CGROUP_FILES = {2: ("memory.max", "memory.current", "inactive_file"),  # limit, usage, inactive file cache in .stat
                1: ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")}
CONTAINER_ENV = "DGMLAB_GRADESCOPE_CONTAINER_MIB"  # the container's memory where no cgroup says it (a local run)
HEADROOM = 64 * 2 ** 20  # bytes below the container's memory at which the kernel is stopped: the grader's room to finish


def memory_cgroup() -> tuple[Path, int] | None:
    """The folder of this process's memory cgroup and its version (2 or 1), or None where there is none to read.
    In a container with its own cgroup namespace the path is ``/``: the container's own."""
    try:
        lines = SELF_CGROUP.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        version = 2 if controllers == "" else 1 if "memory" in controllers.split(",") else 0
        if version:
            base = CGROUP_ROOT if version == 2 else CGROUP_ROOT / "memory"
            for folder in (base / path.lstrip("/"), base):  # the path may not be mounted where it is named
                if (folder / CGROUP_FILES[version][0]).exists():
                    return folder, version
    return None


def _number(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and int(text) < 2 ** 60 else None  # "max" or a huge number: no limit


def container_working_set(found: tuple[Path, int] | None = None) -> int | None:
    """The bytes this process's memory cgroup (``found``, as :func:`memory_cgroup` gives it; looked up when not given)
    holds less its inactive file cache (what the OOM killer cannot reclaim; as kubelet and ``docker stats`` count it),
    None where no cgroup says."""
    found = found or memory_cgroup()
    if found is None:
        return None
    folder, version = found
    _, usage, inactive = CGROUP_FILES[version]
    held = _number(folder / usage)
    if held is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        for line in (folder / "memory.stat").read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(" ")
            if name == inactive:
                held -= int(value)
    return max(held, 0)


def limiting_cgroup() -> tuple[Path, int] | None:
    """:func:`memory_cgroup` where it has a memory limit (the container's own), else None: a cgroup without one (a
    local run's, which other processes of the host share) says nothing of the container's memory."""
    found = memory_cgroup()
    return found if found and _number(found[0] / CGROUP_FILES[found[1]][0]) is not None else None


def container_memory() -> int | None:
    """The bytes the container may hold (its memory cgroup's limit; else :data:`CONTAINER_ENV`, in MiB), None when
    unlimited."""
    found = limiting_cgroup()
    limit = _number(found[0] / CGROUP_FILES[found[1]][0]) if found else None
    if limit is None and os.environ.get(CONTAINER_ENV):
        limit = int(float(os.environ[CONTAINER_ENV]) * 2 ** 20)
    return limit


class PeakMemory:
    """The most memory this process and its descendants (kernel, judge and the judge's forks) held together, sampled
    every 50 ms: each one's proportional set size (a page shared by n processes counts 1/n to each, so the judge's
    copy-on-write forks are not counted again; the container's limit counts a page once too), its resident size
    where that cannot be read. ``parts``: at that peak, how much was the grader's (this process), the judge's (its
    process and forks) and the kernel's (the rest), in bytes.

    ``limit`` (bytes; None: no limit): where the tree, or the container's cgroup where it says, holds ``limit`` less
    :data:`HEADROOM`, the kernel's processes are killed, so the kernel dies with its cells' outputs kept and the grader
    writes the results, instead of the container's OOM killer ending the grader ("Killed", no feedback). ``stopped``:
    the bytes held then, or None."""

    def __init__(self, every: float = 0.05, pid: int | None = None, limit: int | None = None):
        #: every: seconds between samples; pid: the root of the measured tree (this process by default).
        self.every, self.pid, self.peak, self.parts, self._done = every, pid, 0, {}, threading.Event()
        self.limit, self.stopped = limit, None
        # looked up once, read at each sample; only a cgroup with a limit of its own is the container's: a local run
        # under CONTAINER_ENV shares its cgroup with the host's other processes, which are not the grading's
        self._cgroup = limiting_cgroup() if limit is not None else None

    def _sample(self):
        import psutil

        me = psutil.Process(self.pid)
        while not self._done.is_set():
            parts = {"grader": 0, "kernel": 0, "judge": 0}
            kernel = []
            for proc in [me, *me.children(recursive=True)]:
                try:
                    part = "grader" if proc.pid == me.pid else "judge" if JUDGE_COMMAND in proc.cmdline() else "kernel"
                    parts[part] += _proportional_size(proc)
                    if part == "kernel":
                        kernel.append(proc)
                except psutil.Error:
                    pass
            if sum(parts.values()) > self.peak:
                self.peak, self.parts = sum(parts.values()), parts
            if self.limit is not None and self.stopped is None and kernel:
                held = max(sum(parts.values()), (container_working_set(self._cgroup) if self._cgroup else 0) or 0)
                if held >= self.limit - HEADROOM:
                    self.stopped = held
                    for proc in kernel:
                        with contextlib.suppress(psutil.Error):
                            proc.kill()
            self._done.wait(self.every)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True, name="dgmlab-peak-memory")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()


def _proportional_size(proc) -> int:
    """``proc``'s proportional set size, its resident size where that cannot be read (psutil errors propagate)."""
    import psutil

    try:
        return proc.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):
        return proc.memory_info().rss
