"""Killing a process with every process it started (a grading kernel, an nbgrader subprocess)."""
from __future__ import annotations

import os
import signal
import subprocess


def kill_group(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and every descendant: its process group, and kernels that started sessions of their own."""
    import psutil

    try:
        kill_tree(psutil.Process(proc.pid))
    except psutil.NoSuchProcess:
        pass


def kill_tree(proc) -> None:
    """Kill ``proc`` (a :class:`psutil.Process`) and every descendant: its process group too.

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
