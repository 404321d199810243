"""Killing a process with every process it started (a grading kernel, an nbgrader subprocess)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
import warnings
from typing import Any


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc`` and every descendant: its process group, and kernels that started sessions of their own."""
    import psutil

    try:
        kill_tree(psutil.Process(proc.pid))
    except psutil.NoSuchProcess:
        pass


def kill_tree(proc: Any) -> list[Any]:
    """Kill ``proc`` (a :class:`psutil.Process`) and every descendant: its process group too. Returns them all (to
    wait for: :func:`wait_gone`).

    The descendants are listed before anything is killed (a killed parent's children are re-parented and
    could no longer be found); psutil refuses to signal a process id that was reused meanwhile.
    """
    import psutil

    try:
        family = proc.children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    try:
        if proc.is_running() and os.getpgid(proc.pid) == proc.pid:  # it leads its own group: kill the group
            os.killpg(proc.pid, signal.SIGKILL)
        proc.kill()
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass
    for child in family:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    return [proc, *family]


def wait_gone(procs: list[Any], timeout: float) -> list[Any]:
    """Wait up to ``timeout`` seconds for the killed ``procs`` to have exited (what they held freed: a kernel that
    took all of its user's epoll watches gives them back only as it exits, 5 s for 5.5 M); those still running. A
    zombie has exited: it holds nothing but its process id, which whoever reaps it frees (an orphan's, the
    machine's init, in its own time)."""
    end = time.monotonic() + timeout
    left = [proc for proc in procs if running(proc)]
    while left and time.monotonic() < end:
        time.sleep(0.005)
        left = [proc for proc in left if running(proc)]
    return left


def user_processes(uid: int) -> list[Any]:
    """The processes whose real, effective or saved user id is ``uid`` (as :mod:`psutil` lists them)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["uids"]):
        uids = proc.info.get("uids")
        if uids is not None and uid in (uids.real, uids.effective, uids.saved):
            found.append(proc)
    return found


SURVIVED = "the kernel's user kept processes running"  # kill_user's failure, which no grade may follow


def kill_user(uid: int, gid: int, tries: int = 20) -> int:
    """Kill every process of the user ``uid`` (never root), whatever process tree or session it left: a double
    forked ``setsid`` process included. Each round a child of this process takes that user's ids and sends
    ``SIGKILL`` to ``-1``: every process the user may signal, in one pass of the kernel's, so none forks out of it
    (the sender itself is spared, and exits). Rounds go on until none of the user's processes is left. Returns how
    many there were; raises :class:`RuntimeError` if some outlive every round (the caller must then not touch what
    that user could write)."""
    if uid <= 0 or gid <= 0:
        raise ValueError("refusing to kill root's processes")
    first = len(live_user_processes(uid))
    for _ in range(tries):
        if not live_user_processes(uid):
            return first
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: the child only makes syscalls
            pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.05)
    left = [p.pid for p in live_user_processes(uid)]
    if left:
        raise RuntimeError(f"{SURVIVED}: processes {left[:5]} of user {uid} outlived {tries} rounds of SIGKILL")
    return first


def live_user_processes(uid: int) -> list[Any]:
    """:func:`user_processes` less the dead ones not yet reaped."""
    return [proc for proc in user_processes(uid) if running(proc)]


def running(proc: Any) -> bool:
    """Whether the :class:`psutil.Process` ``proc`` still runs: not ended, and not a zombie (a zombie keeps its ids,
    and runs nothing)."""
    import psutil

    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
