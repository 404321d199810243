"""The judge: a sandboxed process of its own, forked fresh for every submission, killed when a cell takes too long.

What the judge reads comes from a student's kernel. ``dgmlab.probes.wire`` bounds its size, but the grader's own work on it
(sympy's ``simplify``, ``subs`` and ``evalf``, a metric on a handed-in network) runs long C calls that no signal
interrupts, and a bug in that work could let data act as code. So :class:`dgmlab.grading.preprocessors.judge_tests.JudgeTests` hands each
notebook's check() cells to this process, which has only the rights judging needs:

- **Sandboxed** (``sandbox=True``, whenever the kernels are): under bubblewrap with the allow-list view of
  :func:`dgmlab.grading.isolation.bubblewrap.host_view` (the system, the Python environment and dgmlab, read-only), no writable
  folder at all, no network, new user, PID, IPC, UTS and cgroup namespaces, a cleared environment. It sees no course:
  its request carries all it reads (the probe data, the instructor's cells, the handed-in files' bytes) and its
  answers carry all it makes (verdicts, the files hidden tests keep); the grading worker alone writes the course.
- **Fresh per submission.** One process per worker, started on first use, imports what judging needs and then never
  judges: it forks a child per request (one notebook). The child closes the parent's pipes, enters a new user and PID
  namespace and forks the process that judges as that namespace's first process; when it ends, the kernel kills
  everything it left. Its answers go through a pipe of its own, which the parent copies out line by line and closes
  with an end line, so nothing from one submission's judging can reach the next's answers, its request or the
  parent's memory (the parent is not dumpable: no ptrace, no ``/proc/<pid>/mem``). A payload that patched the
  judge patches only its own copy.
- **Budgets.** Each cell has a budget of its own (:data:`CELL_CPU` seconds of CPU time of the request's processes,
  :data:`CELL_WALL` of wall time, within the notebook's ``timeout``): a cell not answered within it has the
  request's processes killed, earns 0 with the reason, and the cells after it are judged by a fresh fork. Only the
  time a cell takes counts against its budget, never the process's start (imports).

The protocol is JSON lines: the parent says ``{"ready": true}`` once its imports are done (or
``{"refused": why}`` and ends, under ``-O``: :data:`OPTIMIZED`, raised in the worker as :class:`JudgeRefused`; a judge
that ends or stays silent before it is ready is :class:`JudgeFailed`, with the tail of what it wrote to stderr, which
until then is only the grader's own imports: after it, stderr is ``/dev/null``); then for each request (one
line, a :class:`~dgmlab.grading.judge.judge_records.JudgeRequest` in wire form, which the request's child reads and
checks) it says ``{"start": token}``, copies one line per cell, in the request's order, each a
:class:`~dgmlab.grading.judge.judge_records.Verdict` in wire form (``{"gid": str, "earned": float, "lines": [str],
"kept": {name: base64}}``), and then ``{"end": token}``. The records are made from and turned into these lines only
here, at the process boundary (:func:`judge` in the worker, :func:`_judge_alone` in the judge). Anything the judged
code prints goes to stderr, never into the answers.
"""
from __future__ import annotations

import atexit
import ctypes
import json
import os
import resource
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from ..inert import terminal
from ..isolation import bubblewrap
from ..isolation.processes import kill_tree
from . import warm_imports
from .cell_verdicts import judge_each
from .judge_records import JudgeRequest, Verdict

MEMORY = 12 * 2**30  # address space of the judge process (torch alone maps about 4 GiB)
CELL_CPU = 60.0  # CPU seconds of the judge process one cell may take (hw1's graded draw takes about 11)
CELL_WALL = 150.0  # wall seconds one cell may take (the notebook has JudgeTests.timeout, 180 s, in all)
END_WAIT = 10.0  # seconds the parent may take to say a request ended once its processes were killed
POLL = 0.25  # seconds between looks at the request's CPU time
START_TIMEOUT = 120.0  # seconds a new judge process may take to import what it judges with
MAX_LINE = 4 * 2**20  # bytes of one answer line (a kept file is at most 2 MiB, base64 a third more)
THREADS = 1  # torch threads of the judge process (a grading worker judges one submission at a time)
# ... and of its native libraries, from their first import: the judge forks each request, and a fork is only safe
# from a process with one thread (numpy's OpenBLAS starts a thread per core at import unless told otherwise)
THREAD_ENV = {name: str(THREADS) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
PR_SET_PDEATHSIG = 1  # prctl options (linux/prctl.h): a signal this process gets when its parent exits;
PR_SET_DUMPABLE = 4  # whether same-user processes may ptrace it or read its memory;
PR_SET_CHILD_SUBREAPER = 36  # whether orphans of its descendants become its children
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNS = 0x10000000, 0x20000000, 0x00020000  # unshare flags (linux/sched.h)
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 0x4000, 1 << 18  # mount flags (linux/mount.h)
TMP_BYTES = 128 * 2**20  # the temporary folder of one request's judging (torch's compile machinery wants one)
TMP_ENV = "DGMLAB_JUDGE_TMP"  # where that folder is: an empty folder made per judge process (_start)
PARENT_POLL = 1.0  # seconds between the judge process's looks at whether its worker is still there
STDERR_TAIL = 1500  # characters of a judge's stderr that a failure to start quotes (the grader's imports' error)

_LOCK = threading.Lock()
_PROCESS = None


# The judge's user inside its sandbox: an ordinary one in a user namespace of its own, whoever starts it. Without
# capabilities, a judge left as uid 0 could not map itself into the namespaces each request enters (the kernel lets
# only a holder of CAP_SETFCAP map uid 0), and unmapped it could create no file in its temporary folder.
JUDGE_USER = ["--unshare-user", "--uid", "65534", "--gid", "65534"]


OPTIMIZED = ("the judge will not run under Python's -O or PYTHONOPTIMIZE (sys.flags.optimize is set): tests may use "
             "`assert`, which -O removes, so every such test would pass. Unset PYTHONOPTIMIZE and run without -O.")


class JudgeFailed(RuntimeError):
    """The judge could not judge: its process did not start (it crashed or stayed silent while importing the grader's
    tests), or it stopped without a verdict. The grader failed, not the submission: raised in the grading worker, it
    fails that notebook's grading with this message (never a 0 for the student); fix the cause and grade again."""


class JudgeRefused(JudgeFailed):
    """The judge process would not start: grading cannot be trusted in this environment (the message says why and
    what to change). Nothing is graded; no submission is at fault."""


class Crashed(Verdict):
    """A cell's verdict made here, in the grading worker, when the judge stopped without one (never read from the
    judge's answers): :class:`dgmlab.grading.preprocessors.judge_tests.JudgeTests` fails the grading on it."""


def command(sandbox: bool, tmp: str) -> list[str]:
    """The judge process's command: this Python on :mod:`dgmlab.grading.judge.judge_process`, inside bubblewrap when
    ``sandbox`` (see the module), ``tmp`` the folder each request mounts its temporary folder on. ``-P``: no
    working folder on the import path."""
    python = [sys.executable, "-P", "-m", "dgmlab.grading.judge.judge_process"]
    if not sandbox:
        return [*python, str(os.getpid())]

    # the temporary folder: empty, read-only; each request mounts a tmpfs of its own there (_own_namespaces)
    # a training record's replay takes the run's steps on its digits: the grader's MNIST, read-only, alone of the data
    mnist, data_env = bubblewrap.data_subfolder("MNIST")
    args = [*bubblewrap.bwrap_command(), *bubblewrap.host_view(data=False, grader=True), *mnist, "--dev", "/dev", "--proc", "/proc", *bubblewrap.read_only_proc_system(), "--dir", tmp,
            "--remount-ro", "/", "--chdir", "/",
            "--unshare-all", *bubblewrap.NO_CAPABILITIES, *JUDGE_USER, "--die-with-parent", "--new-session", "--clearenv",
            "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin", "--setenv", "HOME", "/nonexistent",
            "--setenv", "USER", "judge", "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", TMP_ENV, tmp]
    for name in ("LANG", "LC_ALL", "OPENBLAS_CORETYPE", warm_imports.HOMEWORKS_ENV, warm_imports.ONE_SUBMISSION_ENV):
        if name in os.environ:
            args += ["--setenv", name, os.environ[name]]
    for name, value in THREAD_ENV.items():
        args += ["--setenv", name, value]
    args += data_env

    roots = import_roots()
    if roots:
        args += ["--setenv", "PYTHONPATH", os.pathsep.join(roots)]
    # parent 0: the judge's parent inside the sandbox is bwrap's, which --die-with-parent ties to this worker
    return [*args, "--", "prlimit", f"--as={MEMORY}", "--", *python, "0"]


import_roots = bubblewrap.import_roots  # the judge's PYTHONPATH, the same as a grading kernel's


def _start(sandbox: bool = False) -> Any:
    tmp = tempfile.mkdtemp(prefix="dgmlab-judge-")  # stays empty here: the requests' tmpfs are their own
    env = {**os.environ, **THREAD_ENV, TMP_ENV: tmp}
    if not sandbox and import_roots():
        env["PYTHONPATH"] = os.pathsep.join([*import_roots(), *filter(None, [env.get("PYTHONPATH")])])
    err = tempfile.TemporaryFile()  # what it says on stderr before it is ready: the grader's imports only
    # working folder /: never a grading's scratch course, which is gone by the next submission
    proc: Any = subprocess.Popen(command(sandbox, tmp), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=err, start_new_session=True, cwd="/", env=env)
    proc._dgmlab_tmp, proc._dgmlab_err = tmp, err
    if not sandbox:
        try:
            resource.prlimit(proc.pid, resource.RLIMIT_AS, (MEMORY, MEMORY))
        except (ValueError, OSError):  # a lower hard limit already: keep it
            pass
    proc._dgmlab_sandbox = sandbox
    return proc


def stop() -> None:
    """Kill the judge process (and what it started), if one runs."""
    global _PROCESS
    proc, _PROCESS = _PROCESS, None
    if proc is not None and proc.poll() is None:
        import psutil

        try:
            kill_tree(psutil.Process(proc.pid))
        except psutil.NoSuchProcess:
            pass
        proc.wait()
    if proc is not None and getattr(proc, "_dgmlab_err", None):
        proc._dgmlab_err.close()
    if proc is not None and getattr(proc, "_dgmlab_tmp", None):
        try:
            os.rmdir(proc._dgmlab_tmp)
        except OSError:
            pass


atexit.register(stop)  # a worker that ends leaves no judge and no empty /tmp/dgmlab-judge-* folder behind


WAITING = object()  # _Lines.next: no whole line yet at the deadline


class _Lines:
    """Lines from the judge process's stdout, each waited for with a deadline (raw reads: nothing sits
    in a buffer that ``select`` cannot see)."""

    def __init__(self, proc: Any) -> None:
        self.fd, self.buffer = proc.stdout.fileno(), b""

    def next(self, deadline: float) -> Any:
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


def _ready(deadline: float, sandbox: bool) -> tuple[Any, _Lines] | None:
    """The running judge process, started if need be (again when ``sandbox`` changed), once it is ready; ``None``
    if the notebook's ``deadline`` came first. One that ended, said something else or stayed silent for
    :data:`START_TIMEOUT` seconds is :class:`JudgeFailed` (under ``-O``: :class:`JudgeRefused`)."""
    global _PROCESS
    if _PROCESS is not None and _PROCESS.poll() is None and _PROCESS._dgmlab_sandbox == sandbox:
        return _PROCESS, _PROCESS._dgmlab_lines
    stop()
    _PROCESS = _start(sandbox)
    _PROCESS._dgmlab_lines = _Lines(_PROCESS)
    start_end = time.monotonic() + START_TIMEOUT
    said = _PROCESS._dgmlab_lines.next(min(deadline, start_end))
    if isinstance(said, dict) and isinstance(said.get("refused"), str):
        stop()
        raise JudgeRefused(said["refused"])
    if said is WAITING and deadline < start_end:  # the notebook's time ran out first: its cells are not judged
        stop()
        return None
    if said != {"ready": True} \
            or _parent(_PROCESS) is None:  # found now, before any request's fork runs under the same command line
        why = _start_failure(_PROCESS, said)
        stop()
        raise JudgeFailed(why)
    return _PROCESS, _PROCESS._dgmlab_lines


def _start_failure(proc: Any, said: object) -> str:
    """Why the judge process ``proc`` did not get ready (it said ``said``), with the tail of its stderr: the grader's
    own imports' error (no submission's data has reached it yet), control characters removed."""
    try:
        code = None if said is WAITING else proc.wait(timeout=END_WAIT)
    except subprocess.TimeoutExpired:
        code = None
    how = (f"it was not ready within {START_TIMEOUT:g} s" if said is WAITING else "it said something else first"
           if code is None else "it ended with " + (f"signal {-code}" if code < 0 else f"status {code}"))
    lines = []
    if getattr(proc, "_dgmlab_err", None) is not None:
        proc._dgmlab_err.seek(0)
        lines = [x for x in map(str.strip, terminal(proc._dgmlab_err.read()[-4 * STDERR_TAIL:].decode(
            "utf-8", "replace"), newlines=True).splitlines()) if x]
    tail = " | ".join(lines[-1:] + lines[-12:-1])[:STDERR_TAIL]  # the error first: a one-line reason keeps it
    return (f"the grader's judge process could not start ({how}), so nothing was graded"
            + (f": {tail}" if tail else "") + ". It imports dgmlab and each homework's tests "
            "(homeworks.<hw>.checks, .hidden) as this Python does: fix that error (python -P -c \"import "
            "homeworks.<hw>.hidden\" shows it), then grade again with --force")


def _parent(proc: Any) -> Any:
    """The judge's parent process (psutil), which forks the requests: ``proc`` itself, or inside bwrap the first
    process that runs this module."""
    import psutil

    found = getattr(proc, "_dgmlab_parent", None)
    if found is not None:
        return found
    try:
        top = psutil.Process(proc.pid)
        for candidate in [top, *top.children(recursive=True)]:
            cmd = candidate.cmdline()
            if cmd and os.path.basename(cmd[0]) not in ("env", "bwrap", "prlimit") and "dgmlab.grading.judge.judge_process" in cmd:
                proc._dgmlab_parent = candidate
                return candidate
    except psutil.Error:
        pass
    return None


def _request_processes(proc: Any) -> list[Any]:
    """Every process of the request being judged: all the judge parent's descendants (psutil)."""
    import psutil

    parent = _parent(proc)
    try:
        return parent.children(recursive=True) if parent is not None else []
    except psutil.Error:
        return []


def _cpu_seconds(proc: Any) -> float:
    """CPU time the request's processes have used (every thread; user and system, their finished children too)."""
    import psutil

    total = 0.0
    for p in _request_processes(proc):
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def _finish(proc: Any, lines: _Lines, token: str) -> None:
    """Kill what is left of the request being judged and read up to the parent's end line for it; a parent that
    does not say so within :data:`END_WAIT` seconds is stopped (the next request starts a new one)."""
    for p in _request_processes(proc):
        kill_tree(p)
    deadline = time.monotonic() + END_WAIT
    while time.monotonic() < deadline:
        got = lines.next(deadline)
        if got is WAITING or (got is None and proc.poll() is not None):
            break
        if got == {"end": token}:
            return
    stop()


def late(gid: str, cell_cpu: float) -> Verdict:
    """The verdict for cell ``gid`` when its judging ran past its budget."""
    return Verdict(gid, 0.0, (
        f"0 points: checking this answer took the grader more than {cell_cpu:g} s, so it was stopped (an expression "
        f"that grows too fast to evaluate, e.g. exp of exp of exp, or a huge one); give it in a simpler form",))


def ungraded(gid: str, why: str = "it stopped") -> Crashed:
    """The verdict for cell ``gid`` when the judge stopped or said something else than its verdict (``why``)."""
    return Crashed(gid, 0.0, (f"this cell could not be graded: the grader's judge failed on it ({why}); not a mark "
                              "for your answer: tell your instructor",))


def judge(request: JudgeRequest, timeout: float, cell_cpu: float | None = None, cell_wall: float | None = None,
          sandbox: bool = False) -> dict[str, Verdict]:
    """``{grade_id: Verdict}`` for the cells of ``request``, judged in a fresh fork of the judge process (in the
    sandbox when ``sandbox``).

    Each cell has a budget of its own from when the judge starts on it: ``cell_cpu`` seconds of the request's CPU
    time (default :data:`CELL_CPU`), which a busy machine does not shorten, and ``cell_wall`` seconds of wall time
    (default :data:`CELL_WALL`). A cell past either earns 0 (:func:`late`), the request's processes are killed and
    the next cells go to a fresh fork. The whole request ends ``timeout`` seconds after it began: the cells not judged
    by then are missing from the answer. What comes back is only checked for its shape here; the caller bounds the
    points."""
    cell_cpu = CELL_CPU if cell_cpu is None else cell_cpu
    cell_wall = CELL_WALL if cell_wall is None else cell_wall
    end = time.monotonic() + timeout
    cells = list(request.cells)
    answers: dict[str, Verdict] = {}
    with _LOCK:
        while cells and time.monotonic() < end:
            started = _ready(end, sandbox)
            if started is None:
                break
            proc, lines = started
            try:
                proc.stdin.write((json.dumps(replace(request, cells=tuple(cells)).to_wire()) + "\n").encode())
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                stop()
                answers.update({cell.gid: ungraded(cell.gid, "it ended before it read the notebook") for cell in cells})
                break
            opened = lines.next(min(end, time.monotonic() + END_WAIT))
            token = opened.get("start") if isinstance(opened, dict) else None
            if not isinstance(token, str):  # it could not fork (out of memory, processes): nothing is judged
                stop()
                answers.update({cell.gid: ungraded(cell.gid, "it could not fork to judge the notebook")
                                for cell in cells})
                break
            while cells:
                wall_end, cpu_end = min(end, time.monotonic() + cell_wall), _cpu_seconds(proc) + cell_cpu
                got = WAITING
                while got is WAITING and time.monotonic() < wall_end and _cpu_seconds(proc) < cpu_end:
                    got = lines.next(min(wall_end, time.monotonic() + POLL))
                gid = cells[0].gid
                answer = _answer(got, gid)
                if answer is not None:
                    answers[cells.pop(0).gid] = answer
                    continue
                if got is not WAITING:  # it ended, died or said something else: that cell cannot be judged
                    answers[cells.pop(0).gid] = ungraded(gid, "it ended or wrote something else than a verdict")
                elif time.monotonic() < end:  # past the cell's own budget, not the notebook's
                    answers[cells.pop(0).gid] = late(gid, min(cell_cpu, cell_wall))
                break
            _finish(proc, lines, token)
    return answers


def _answer(got: object, gid: str) -> Verdict | None:
    """The answer line ``got`` (parsed JSON) as cell ``gid``'s :class:`Verdict`, or ``None`` if it is not one (another
    line, another cell's, or not a verdict's wire form)."""
    if not (isinstance(got, dict) and got.get("gid") == gid):
        return None
    try:
        return Verdict.from_wire(got)
    except ValueError:
        return None


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _exit_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` is gone, even in the middle of a cell: a worker that exits on a hung
    grading never leaves a judge computing on without it (red team F9: orphans ran on for minutes). Linux's
    parent-death signal covers work that holds the GIL (a big-integer power); where that signal is not available, a
    thread that watches the parent (on Linux none: this process forks each request, and forks from one thread)."""
    try:
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        signalled = True
    except (OSError, AttributeError):  # not Linux
        signalled = False
    if os.getppid() != parent:  # gone before the signal was asked for
        os._exit(0)
    if signalled:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os._exit(0)

    threading.Thread(target=watch, name="dgmlab-judge-parent-watch", daemon=True).start()


def _own_namespaces() -> bool:
    """Enter a new user, PID and mount namespace, with this process's user and group mapped to themselves and a
    tmpfs of :data:`TMP_BYTES` of its own on the judge's temporary folder (``$DGMLAB_JUDGE_TMP``, an empty folder
    made for this judge process; then ``TMPDIR``): what the request writes there (torch's compile caches, a hidden
    test's temporary file) is gone with it. Returns whether it entered the namespaces (else: nothing changed)."""
    libc = _libc()
    uid, gid = os.geteuid(), os.getegid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS) != 0:  # no mount namespace: the others at least
        return bool(libc.unshare(CLONE_NEWUSER | CLONE_NEWPID) == 0)
    try:
        for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        folder = os.environ.get(TMP_ENV, "")
        if not folder or not os.path.isdir(folder):
            return True
        libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
        if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0 or libc.mount(
                b"tmpfs", os.fsencode(folder), b"tmpfs", MS_NOSUID | MS_NODEV,
                f"size={TMP_BYTES},mode=1777".encode()) != 0:
            raise OSError(ctypes.get_errno(), "mount")
        os.environ["TMPDIR"] = folder
        tempfile.tempdir = None
    except OSError:  # the namespaces stand; only the temporary folder is missing
        pass
    return True


def _judge_alone(line: bytes, out_fd: int) -> None:
    """In the request's first child: leave the parent's pipes, enter namespaces of its own (:func:`_own_namespaces`)
    and judge ``line`` in the new PID namespace's first process, writing the answers to ``out_fd``; when that process
    ends, so does everything it started, and its temporary folder. Never returns."""
    try:
        parent = os.getppid()
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(0)
        nested = _own_namespaces()
        pid = os.fork()
        if pid == 0:
            _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            out = os.fdopen(out_fd, "w")

            try:
                request = JudgeRequest.from_wire(json.loads(line))
            except ValueError as exc:  # not a request this dgmlab makes: nothing is judged, each cell is ungraded
                print(f"dgmlab judge: the request is not one this judge reads: {exc}", file=sys.stderr, flush=True)
                os._exit(0)
            for verdict in judge_each(request):
                out.write(json.dumps(verdict.to_wire()) + "\n")
                out.flush()
            os._exit(0)
        os.close(out_fd)
        os.waitpid(pid, 0)
        if not nested:  # no namespace to end with it: its process group at least
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    finally:
        os._exit(0)


def _relay(fd: int, answers: IO[bytes]) -> None:
    """Copy whole lines of at most :data:`MAX_LINE` bytes from ``fd`` to ``answers`` until every writer closed it."""
    with os.fdopen(fd, "rb") as source:
        while True:
            line = source.readline(MAX_LINE + 1)
            if not line:
                return
            if not line.endswith(b"\n"):  # too long or cut short: dropped, up to the next line
                while line and not line.endswith(b"\n"):
                    line = source.readline(MAX_LINE + 1)
                continue
            answers.write(line)
            answers.flush()


NO_REQUEST = 3  # a request's child exits so when stdin had ended: the judge process then ends too


def _read_request() -> bytes:
    """One request line from stdin (fd 0), read unbuffered by the request's own child, so that no request's bytes
    ever sit in the judge process's memory, where a later request's fork would find them."""
    chunks: list[bytes] = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)


def _serve_request(answers: IO[bytes]) -> bool:
    """Judge the next request on stdin in a fresh fork, which reads it itself, and copy its answers out between a
    start and an end line that carry a token made after the fork, which the judged code cannot know or forge.
    Returns ``False`` when stdin had ended (no request)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.close(answers.fileno())  # the channel to the worker: only the parent writes it
        line = _read_request()
        if not line.strip():
            os._exit(NO_REQUEST)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the next requests are not this one's to read
        _judge_alone(line, write)
    os.close(write)
    token = secrets.token_hex(16)
    answers.write((json.dumps({"start": token}) + "\n").encode())
    answers.flush()
    _relay(read, answers)
    more = True
    while True:  # the child and, with this process the subreaper, whatever of the request was left to it
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if done == pid and os.WIFEXITED(status) and os.WEXITSTATUS(status) == NO_REQUEST:
            more = False
    answers.write((json.dumps({"end": token}) + "\n").encode())
    answers.flush()
    return more


def serve() -> None:
    """Say ready once imported, then judge each request from stdin (one line each) in a fresh fork, until stdin
    closes. This process never judges and never reads a request: it only imports, forks and copies answers out."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the judged code prints goes to stderr
    sys.stdout = sys.stderr
    if sys.flags.optimize:  # -O or PYTHONOPTIMIZE: an `assert` in a course's own tests would pass whatever it tests
        answers.write((json.dumps({"refused": OPTIMIZED}) + "\n").encode())
        answers.flush()
        return
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    _exit_with_parent(parent or os.getppid())
    # torch, the checks and hidden tests, then frozen: no fork copies their pages
    warm_imports.warm(THREADS, tmp=os.environ.get(TMP_ENV, ""))

    try:
        _libc().prctl(PR_SET_DUMPABLE, 0)  # no request's process may ptrace this one or read its memory
        _libc().prctl(PR_SET_CHILD_SUBREAPER, 1)  # what a request leaves behind stays below this process
    except (OSError, AttributeError):  # not Linux
        pass
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)  # from here on the judged code runs: nothing of it reaches the worker's record of stderr
    answers.write((json.dumps({"ready": True}) + "\n").encode())
    answers.flush()
    while True:  # the next request's fork reads it: this process only waits for one to come
        select.select([0], [], [])
        if not _serve_request(answers):
            return


if __name__ == "__main__":
    serve()
