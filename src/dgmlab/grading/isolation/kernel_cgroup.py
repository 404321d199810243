"""A grading kernel's own memory and pids cgroup: its processes held to their limits by Linux, not by a look.

:class:`.tree_guard.TreeGuard` counts what a kernel's processes hold every 0.25 s; an attacker's trial held 7-7.9 GiB
under a 6 GiB limit in memory no process holds (detached SysV shared memory, in-memory files in flight in a unix
socket's queue, socket buffers), and a fork faster than a look is not bounded. A memory cgroup charges each page to
the cgroup of the process that made it, wherever it is held afterwards, and kills inside it past its limit; a pids
cgroup refuses a fork or thread past its limit at the fork. Where the grader may make cgroups (root on cgroup v1, or
a cgroup v2 whose controllers it may enable), :meth:`KernelCgroup.make` gives each kernel one of its own, below the
grader's own cgroup (``dgmlab-kernels/<grader pid>-<id>``); elsewhere (a non-root grader, Gradescope's container)
it gives None and the tree guard alone holds the kernel, as before. Memory the kernel's processes held before they
were moved in (a warm fork's pages shared with its zygote, a cold kernel's start) stays charged where it was.
"""
from __future__ import annotations

import errno
import functools
import os
import threading
import time
import uuid
from pathlib import Path

from .tree_guard import tree

FOLDER = "dgmlab-kernels"  # made in the grader's own cgroup, holding one cgroup a kernel
CONTROLLERS = ("memory", "pids")
# where there is one, a cpu cgroup of its own too, at the default weight: a kernel's processes together get one
# kernel's share of the CPU, however many (an attacker's trial: 400 busy processes, each its own session, made another
# submission's grading take 95 s instead of 2-5 s)
SHARING = ("cpu",)
MOVE_PASSES = 50  # times the kernel's tree is listed again until every process of it is in (a fork between passes)


def _mounts() -> dict[str, tuple[Path, bool]]:
    """Each controller of :data:`CONTROLLERS` -> (its hierarchy's mount point, whether it is cgroup v2)."""
    found: dict[str, tuple[Path, bool]] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        kind, _, options = (right.split() + ["", "", ""])[:3]
        point = Path(left.split()[4])
        wanted = set(CONTROLLERS) | set(SHARING)
        if kind == "cgroup":
            for controller in set(options.split(",")) & wanted:
                found.setdefault(controller, (point, False))
        elif kind == "cgroup2":
            try:
                enabled = (point / "cgroup.controllers").read_text(encoding="ascii").split()
            except OSError:
                continue
            for controller in set(enabled) & wanted:
                found.setdefault(controller, (point, True))
    return found


def _own(controller: str, v2: bool) -> str:
    """This process's cgroup path in ``controller``'s hierarchy (``/proc/self/cgroup``)."""
    for line in Path("/proc/self/cgroup").read_text(encoding="ascii").splitlines():
        _, names, path = line.split(":", 2)
        if (v2 and names == "") or (not v2 and controller in names.split(",")):
            return path
    raise OSError(f"this process is in no {controller} cgroup")


@functools.lru_cache(maxsize=1)
def _parents() -> dict[str, tuple[Path, bool]] | None:
    """Each controller -> (the folder, made here once, in which this process makes its kernels' cgroups, v2), or
    None where the grader may not make them (no such hierarchy, not writable, controllers not delegated)."""
    mounts = _mounts()
    if not set(CONTROLLERS) <= set(mounts):
        return None
    parents: dict[str, tuple[Path, bool]] = {}
    for controller, (point, v2) in mounts.items():
        try:
            parents[controller] = (_parent(point, controller, v2), v2)
        except OSError:
            if controller in CONTROLLERS:
                return None
    return parents


def _parent(point: Path, controller: str, v2: bool) -> Path:
    """The folder :data:`FOLDER` in this process's own cgroup of ``controller``'s hierarchy, made once."""
    own = point / _own(controller, v2).lstrip("/")
    enable = " ".join(f"+{c}" for c in (*CONTROLLERS, *SHARING))
    if v2:  # enabled for FOLDER where the grader's cgroup may (it holds no process, or is the root)
        _write_if_there(own / "cgroup.subtree_control", enable, quiet=True)
    parent = own / FOLDER
    parent.mkdir(exist_ok=True)
    if v2:  # a v2 folder's children get a controller only where its parent enables it for them
        _write_if_there(parent / "cgroup.subtree_control", enable, quiet=True)
        if not set(CONTROLLERS) <= set((parent / "cgroup.subtree_control").read_text(encoding="ascii").split()):
            raise OSError(f"{parent}: its children get no memory and pids controllers")
    _sweep(parent)
    return parent


def _sweep(parent: Path) -> None:
    """Remove the empty cgroups that graders no longer running left in ``parent`` (a worker killed mid-grading)."""
    for folder in parent.iterdir():
        pid = folder.name.partition("-")[0]
        if folder.is_dir() and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            try:
                folder.rmdir()
            except OSError:  # processes still in it: left for the grader that runs next
                pass


def available() -> bool:
    """Whether this process may give its kernels cgroups of their own."""
    return _parents() is not None


class KernelCgroup:
    """One kernel's cgroup in each of the memory, pids and (where there is one) cpu hierarchies (one folder where
    they are cgroup v2)."""

    def __init__(self, folders: dict[str, Path], v2: bool) -> None:
        self.folders, self.v2 = folders, v2

    @classmethod
    def make(cls, memory: int, tasks: int) -> KernelCgroup | None:
        """A new cgroup whose processes may hold ``memory`` bytes together (no swap) and run ``tasks`` threads,
        or None where this process may not make one."""
        parents = _parents()
        if parents is None:
            return None
        name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        folders = {controller: parent / name for controller, (parent, _) in parents.items()}
        v2 = parents["memory"][1]
        made = cls(folders, v2)
        try:
            for folder in dict.fromkeys(folders.values()):
                folder.mkdir()
            made._limit(memory, tasks)
        except OSError:
            made.remove()
            return None
        return made

    def _limit(self, memory: int, tasks: int) -> None:
        mem, pids = self.folders["memory"], self.folders["pids"]
        if self.v2:
            (mem / "memory.max").write_text(str(memory))
            _write_if_there(mem / "memory.swap.max", "0")
            _write_if_there(mem / "memory.oom.group", "1")  # one process past the limit: the whole kernel killed
        else:
            (mem / "memory.limit_in_bytes").write_text(str(memory))
            _write_if_there(mem / "memory.memsw.limit_in_bytes", str(memory))  # with swap accounting: none
        (pids / "pids.max").write_text(str(tasks))

    def members(self) -> set[int]:
        """The process ids in the memory cgroup."""
        try:
            return {int(x) for x in (self.folders["memory"] / "cgroup.procs").read_text(encoding="ascii").split()}
        except OSError:
            return set()

    def hold(self, pid: int) -> None:
        """Move ``pid`` and every process it started into this cgroup, listing its tree again until all are in (a
        process forked while its parent was moved stays where its parent was). Called before the kernel runs any
        cell: nothing of the submission's has run yet."""
        for _ in range(MOVE_PASSES):
            inside = self.members()
            missing = [one for one in tree(pid, 4096) if one not in inside]
            if not missing:
                return
            for one in missing:
                for folder in dict.fromkeys(self.folders.values()):
                    try:
                        (folder / "cgroup.procs").write_text(str(one))
                    except OSError as e:
                        if e.errno != errno.ESRCH:  # it ended meanwhile
                            raise
        raise OSError(f"process {pid}'s tree kept forking while it was moved into its cgroup")

    def oom_kills(self) -> int:
        """How many of its processes Linux killed for going past the memory limit."""
        name = "memory.events" if self.v2 else "memory.oom_control"
        try:
            lines = (self.folders["memory"] / name).read_text(encoding="ascii").splitlines()
        except OSError:
            return 0
        return next((int(line.split()[1]) for line in lines if line.startswith("oom_kill ")), 0)

    def peak(self) -> int:
        """The most bytes its processes have held together (0 where Linux does not say)."""
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        try:
            return int((self.folders["memory"] / name).read_text(encoding="ascii"))
        except (OSError, ValueError):
            return 0

    def remove(self) -> None:
        """Kill what is left in it and remove it, in a thread of its own (a killed process leaves its cgroup only
        once it is reaped)."""
        threading.Thread(target=self._remove, daemon=True, name="dgmlab-kernel-cgroup-remove").start()

    def _remove(self, wait: float = 120.0, every: float = 0.05) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for pid in self.members():
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            for folder in dict.fromkeys(self.folders.values()):
                try:
                    folder.rmdir()
                except FileNotFoundError:
                    pass
                except OSError:
                    break
            else:
                return
            time.sleep(every)


def _write_if_there(path: Path, value: str, quiet: bool = False) -> None:
    try:
        if path.exists():
            path.write_text(value)
    except OSError:
        if not quiet:
            raise
