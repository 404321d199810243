"""A process of its own for the judge, killed when it takes too long.

What the judge reads comes from a student's kernel. ``dgmlab.wire`` bounds its size, but the grader's
own work on it (sympy's ``simplify`` and ``subs``, a metric on a handed-in network) runs long C calls
that hold the interpreter: judged inside the grading worker, one crafted answer could keep the worker
and its watchdog from running for hours. So :class:`dgmlab.grading.judge.JudgeTests` hands each
notebook's check() cells to this process, one per worker process, started on first use and kept for
the next grading; it answers within ``timeout`` seconds or is killed with everything it started, the
cells it did not judge earn 0 with the reason, and the next grading starts a new one.

The protocol is one JSON line each way: the request (what :func:`dgmlab.grading.judge.judge_cells`
takes, :func:`dgmlab.grading.judging.judge_cells`), then ``{grade_id: {"earned": float, "lines": [str]}}``. Anything the judged code prints goes
to stderr, never into the answer.
"""
from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import threading

MEMORY = 12 * 2**30  # address space of the judge process (torch alone maps about 4 GiB)

_LOCK = threading.Lock()
_PROCESS = None


def _start() -> subprocess.Popen:
    # -P: the working folder (a scratch course) is not on the judge's import path
    proc = subprocess.Popen([sys.executable, "-P", "-m", "dgmlab.grading.judge_process"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
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


def judge(request: dict, timeout: float) -> dict | None:
    """The judge process's answer to ``request``, or ``None`` when it gave none within ``timeout`` seconds
    (it is then killed) or died."""
    global _PROCESS
    with _LOCK:
        if _PROCESS is None or _PROCESS.poll() is not None:
            _PROCESS = _start()
        proc = _PROCESS
        try:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], timeout)
            line = proc.stdout.readline() if ready else ""
        except (BrokenPipeError, OSError, ValueError):
            line = ""
        if not line:
            stop()
            return None
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            stop()
            return None


def serve() -> None:
    """Answer requests from stdin, one line each, until stdin closes."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the judged code prints goes to stderr
    sys.stdout = sys.stderr
    from .judging import judge_cells

    for line in sys.stdin:
        answers.write(json.dumps(judge_cells(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
