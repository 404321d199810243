"""A grading kernel's processes held to its limits together, not one by one.

The sandbox's memory limit (``RLIMIT_AS``) bounds each process's address space, and its sized tmpfs folders bound
the files it writes; neither bounds what a kernel's children hold together, nor its in-memory files (``memfd``),
which are RAM outside both: an attacker's trial held 4 GB in memfds, and 7.9 GB in two children, under a kernel's
8 GiB. :class:`TreeGuard` looks at one kernel's process tree every :data:`EVERY` seconds and kills it where its
processes hold more than the limit together (each one's proportional set size, so pages shared with the zygote or a
parent count once, and each in-memory file they hold open, once) or run more than :data:`MAX_THREADS` threads. The
kernel then dies as one whose memory ran out does: its notebook fails with the reason :meth:`TreeGuard.why` gives.

What it cannot see: memory held between two looks (at most what the tree allocates in :data:`EVERY` seconds), memory
no process holds (detached SysV shared memory, a socket's queue) and a fork faster than it looks: where the grader may
make cgroups, the kernel's own (:mod:`.kernel_cgroup`) bounds those, and the guard kills the whole tree once Linux has
killed one of its processes for memory.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

EVERY = 0.25  # seconds between looks at a kernel's processes
MAX_THREADS = 512  # threads a kernel's processes may run at once (a process is one at least; a trial ran 414 in one)


def children(pid: int) -> list[int]:
    """The process ids of ``pid``'s children (``/proc/<pid>/task/<tid>/children``: no scan of every process)."""
    found: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                    found += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return found


def tree(pid: int, limit: int) -> list[int]:
    """``pid`` and its descendants, at most ``limit`` + 1 of them (enough to tell that there are too many)."""
    found: list[int] = []
    todo = [pid]
    while todo and len(found) <= limit:
        one = todo.pop()
        found.append(one)
        todo += children(one)
    return found


def proportional_size(pid: int) -> int:
    """Bytes of ``pid``'s proportional set size (``Pss`` of ``/proc/<pid>/smaps_rollup``), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def in_memory_files(pid: int, seen: set[tuple[int, int]]) -> int:
    """Bytes of the in-memory files (``memfd``) ``pid`` holds open that are not in ``seen`` (which they join)."""
    held = 0
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        path = f"/proc/{pid}/fd/{fd}"
        try:
            if not os.readlink(path).startswith("/memfd:"):
                continue
            info = os.stat(path)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) not in seen:  # its pages written, not its size (which costs nothing)
            seen.add((info.st_dev, info.st_ino))
            held += info.st_blocks * 512
    return held


def mapped_memory_files(pid: int, seen: set[tuple[int, int]]) -> int:
    """Bytes of the in-memory files ``pid`` has mapped, descriptor closed or not, not in ``seen`` (which they join):
    a one-page mapping keeps a whole memfd alive (a second trial's 7.9 GiB). Read through ``/proc/<pid>/map_files``,
    which needs the grader to run as root (else 0: what is open is still counted, :func:`in_memory_files`)."""
    held = 0
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
            lines = [line for line in f if "/memfd:" in line]
    except OSError:
        return 0
    for line in lines:
        try:
            info = os.stat(f"/proc/{pid}/map_files/{line.split()[0]}")
        except OSError:
            continue
        if (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            held += info.st_blocks * 512
    return held


def threads(pids: list[int]) -> int:
    """How many threads the processes ``pids`` run (``/proc/<pid>/task``)."""
    count = 0
    for pid in pids:
        try:
            count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return count


def held(pids: list[int]) -> int:
    """Bytes the processes ``pids`` hold together (:func:`proportional_size`, :func:`in_memory_files`)."""
    seen: set[tuple[int, int]] = set()
    return sum(proportional_size(pid) + in_memory_files(pid, seen) + mapped_memory_files(pid, seen) for pid in pids)


class TreeGuard:
    """Watches the process tree of ``pid`` (a kernel, or the sandbox holding it) in a thread of its own until it ends
    or :meth:`stop`; where it holds more than ``memory`` bytes together or runs more than ``threads`` threads,
    calls ``kill()`` once (which kills the tree) and keeps why (:meth:`why`)."""

    def __init__(self, pid: int, memory: int, kill: Callable[[], Any], threads: int = MAX_THREADS,
                 every: float = EVERY, cgroup: Any = None) -> None:
        self.pid, self.memory, self.threads, self.every, self._kill = pid, memory, threads, every, kill
        self.cgroup = cgroup  # the kernel's .kernel_cgroup.KernelCgroup (removed when the tree ends), or None
        self._done = threading.Event()
        self._why = ""
        self._thread = threading.Thread(target=self._watch, daemon=True, name=f"dgmlab-tree-guard-{pid}")

    def start(self) -> TreeGuard:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()

    def why(self) -> str:
        """Why the tree was killed ("" if it was not), by this guard or by its cgroup's memory limit."""
        if not self._why and self.cgroup is not None and self.cgroup.oom_kills():
            return self._too_much(self.cgroup.peak())
        return self._why

    def _too_much(self, together: int) -> str:
        return (f"the kernel's processes held {together / 2 ** 30:.2f} GiB together, more than the "
                f"{self.memory / 2 ** 30:.3g} GiB a kernel may (its children and in-memory files count)")

    def _watch(self) -> None:
        try:
            while not self._done.wait(self.every) and not self._look():
                pass
        finally:
            if self.cgroup is not None:
                self.cgroup.remove()

    def _look(self) -> bool:
        """One look at the tree: True once it has ended or been killed."""
        gone = not os.path.exists(f"/proc/{self.pid}")
        if self.cgroup is not None and self.cgroup.oom_kills():  # Linux killed one of them: the rest go too
            self._stop(self._too_much(self.cgroup.peak()))
            return True
        if gone:
            return True
        pids = tree(self.pid, self.threads)
        if len(pids) > self.threads or threads(pids) > self.threads:
            self._stop(f"the kernel ran more than {self.threads} threads at once")
            return True
        together = held(pids)
        if together > self.memory:
            self._stop(self._too_much(together))
            return True
        return False

    def _stop(self, why: str) -> None:
        self._why = why
        self._kill()
