"""A process of its own for the judge, killed when a cell takes too long.

What the judge reads comes from a student's kernel. ``dgmlab.wire`` bounds its size, but the grader's
own work on it (sympy's ``simplify``, ``subs`` and ``evalf``, a metric on a handed-in network) runs long
C calls (big integers, mpmath) that hold the interpreter and that no signal interrupts: judged inside the
grading worker, one crafted answer could keep the worker and its watchdog from running for hours. So
:class:`dgmlab.grading.judge.JudgeTests` hands each notebook's check() cells to this process, one per
worker process, started on first use and kept for the next grading. It answers cell by cell, and each
cell has a budget of its own (:data:`CELL_CPU` seconds of the process's CPU time, :data:`CELL_WALL` of wall
time, within the notebook's ``timeout``): a cell not answered within it has the process killed with
everything it started, earns 0 with the reason, and the cells after it are judged by a fresh process. Only
the time a cell takes counts against its budget, never the process's start (imports).

The protocol is JSON lines: the process says ``{"ready": true}`` once its imports are done; then for each
request (what :func:`dgmlab.grading.judging.judge_each` takes) it writes one line per cell, in the
request's order, ``{"gid": str, "earned": float, "lines": [str]}``. Anything the judged code prints
goes to stderr, never into the answers.
"""
from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time

MEMORY = 12 * 2**30  # address space of the judge process (torch alone maps about 4 GiB)
CELL_CPU = 60.0  # CPU seconds of the judge process one cell may take (hw1's graded draw takes about 11)
CELL_WALL = 150.0  # wall seconds one cell may take (the notebook has JudgeTests.timeout, 180 s, in all)
POLL = 0.25  # seconds between looks at the judge process's CPU time
START_TIMEOUT = 120.0  # seconds a new judge process may take to import what it judges with
MAX_LINE = 4 * 2**20  # bytes of one answer line
THREADS = 1  # torch threads of the judge process (a grading worker judges one submission at a time)
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): a signal this process gets when its parent exits
PARENT_POLL = 1.0  # seconds between the judge process's looks at whether its worker is still there

_LOCK = threading.Lock()
_PROCESS = None


def _start() -> subprocess.Popen:
    # -P: the working folder (a scratch course) is not on the judge's import path
    proc = subprocess.Popen([sys.executable, "-P", "-m", "dgmlab.grading.judge_process", str(os.getpid())],
                            stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        resource.prlimit(proc.pid, resource.RLIMIT_AS, (MEMORY, MEMORY))
    except (ValueError, OSError):  # a lower hard limit already: keep it
        pass
    return proc


def stop() -> None:
    """Kill the judge process (and what it started), if one runs."""
    global _PROCESS
    proc, _PROCESS = _PROCESS, None
    if proc is not None and proc.poll() is None:
        import psutil

        from .processes import kill_tree

        try:
            kill_tree(psutil.Process(proc.pid))
        except psutil.NoSuchProcess:
            pass
        proc.wait()


WAITING = object()  # _Lines.next: no whole line yet at the deadline


class _Lines:
    """Lines from the judge process's stdout, each waited for with a deadline (raw reads: nothing sits
    in a buffer that ``select`` cannot see)."""

    def __init__(self, proc):
        self.fd, self.buffer = proc.stdout.fileno(), b""

    def next(self, deadline: float):
        """The next line, parsed; :data:`WAITING` at the deadline; ``None`` at the end of the stream or on a
        line that is not JSON (or longer than :data:`MAX_LINE`)."""
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return WAITING
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return WAITING
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return None


def _ready(deadline: float):
    """The running judge process, started if need be, once it is ready; ``None`` if it was not by ``deadline``."""
    global _PROCESS
    if _PROCESS is not None and _PROCESS.poll() is None:
        return _PROCESS, _PROCESS._dgmlab_lines
    _PROCESS = _start()
    _PROCESS._dgmlab_lines = _Lines(_PROCESS)
    if _PROCESS._dgmlab_lines.next(min(deadline, time.monotonic() + START_TIMEOUT)) != {"ready": True}:
        stop()
        return None
    return _PROCESS, _PROCESS._dgmlab_lines


def _cpu_seconds(proc) -> float:
    """CPU time the judge process has used (every thread; user and system)."""
    import psutil

    try:
        times = psutil.Process(proc.pid).cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def late(cell_cpu: float) -> dict:
    """The answer for a cell whose judging ran past its budget."""
    return {"earned": 0.0, "lines": [
        f"0 points: checking this answer took the grader more than {cell_cpu:g} s, so it was stopped (an expression "
        f"that grows too fast to evaluate, e.g. exp of exp of exp, or a huge one); give it in a simpler form"]}


def judge(request: dict, timeout: float, cell_cpu: float | None = None, cell_wall: float | None = None) -> dict:
    """``{grade_id: {"earned", "lines"}}`` for the cells of ``request``, judged in the judge process.

    Each cell has a budget of its own from when the process starts on it: ``cell_cpu`` seconds of the process's
    CPU time (default :data:`CELL_CPU`), which a busy machine does not shorten, and ``cell_wall`` seconds of wall
    time (default :data:`CELL_WALL`). A cell past either earns 0 (:func:`late`), the process is killed and the
    next cells go to a fresh one. The whole request ends ``timeout`` seconds after it began: the cells not judged
    by then are missing from the answer."""
    cell_cpu = CELL_CPU if cell_cpu is None else cell_cpu
    cell_wall = CELL_WALL if cell_wall is None else cell_wall
    end = time.monotonic() + timeout
    cells, answers = list(request["cells"]), {}
    with _LOCK:
        while cells and time.monotonic() < end:
            started = _ready(end)
            if started is None:
                break
            proc, lines = started
            try:
                proc.stdin.write((json.dumps({**request, "cells": cells}) + "\n").encode())
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                stop()
                break
            while cells:
                wall_end, cpu_end = min(end, time.monotonic() + cell_wall), _cpu_seconds(proc) + cell_cpu
                got = WAITING
                while got is WAITING and time.monotonic() < wall_end and _cpu_seconds(proc) < cpu_end:
                    got = lines.next(min(wall_end, time.monotonic() + POLL))
                if isinstance(got, dict) and got.get("gid") == cells[0]["gid"]:
                    answers[cells.pop(0)["gid"]] = {"earned": float(got["earned"]), "lines": list(got["lines"])}
                    continue
                stop()  # too slow, dead, or an answer out of order: the process goes, the cell earns 0
                if got is None:  # it died: that cell cannot be judged here
                    answers[cells.pop(0)["gid"]] = {"earned": 0.0, "lines": [
                        "0 points: this cell could not be graded (the grader stopped); tell your instructor"]}
                elif time.monotonic() < end:  # past the cell's own budget, not the notebook's
                    answers[cells.pop(0)["gid"]] = late(min(cell_cpu, cell_wall))
                break
    return answers


def _exit_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` (the grading worker) is gone, even in the middle of a cell: a worker
    that exits on a hung grading never leaves a judge computing on without it (red team F9: orphans ran on for
    minutes). Linux's parent-death signal covers work that holds the GIL (a big-integer power); a thread that
    watches the parent covers the rest, where that signal is not available."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent:  # gone before the signal was asked for
        os._exit(0)

    def watch():
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os._exit(0)

    threading.Thread(target=watch, name="dgmlab-judge-parent-watch", daemon=True).start()


def serve() -> None:
    """Say ready once imported, then answer requests from stdin, one line each, cell by cell, until stdin closes."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the judged code prints goes to stderr
    sys.stdout = sys.stderr
    _exit_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid())
    import numpy  # noqa: F401  what every cell's judging imports, loaded before any cell's time starts
    import sympy  # noqa: F401
    import torch

    torch.set_num_threads(THREADS)  # a cell's CPU budget then means the same on 2 cores and on 64
    from .judging import judge_each

    answers.write(json.dumps({"ready": True}) + "\n")
    answers.flush()
    for line in sys.stdin:
        for gid, answer in judge_each(json.loads(line)):
            answers.write(json.dumps({"gid": gid, **answer}) + "\n")
            answers.flush()


if __name__ == "__main__":
    serve()
