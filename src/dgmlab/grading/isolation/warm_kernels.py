"""Warm kernels: each grading worker keeps one zygote (:mod:`.zygote`) that has imported torch, numpy, sympy, the
student package and ipykernel once, and forks from it a kernel for each submission, as fresh and walled as a cold one.

A cold kernel is ``bwrap ... prlimit ... python`` running ipykernel (:mod:`.kernel_sandbox`): 4-5 s of a 5-10 s
grading go to its imports. A warm one is a fork of a process that made them already, walled by the fork itself
(:mod:`.zygote`): a new root of its own with fresh ``/tmp``, ``/var/tmp``, ``/dev/shm``, working and runtime folders,
its own PID (a ``/proc`` that shows only its processes), user, network, IPC, UTS, cgroup and mount namespaces, no
capability, ``no_new_privs``, the same limits and environment. It is used once and killed with everything it started;
the zygote never runs a cell nor reads a submission's files (they reach the kernel as file descriptors).

:class:`~.kernel_sandbox.Limits` ``warm`` asks for it; :func:`ready` starts this process's zygote (once: its imports
take as long as a cold kernel's) and says whether it can, else the grading uses a cold kernel and says why once.
:class:`.kernels.GradingKernelManager` starts a kernel whose command begins with :data:`WARM` through :func:`launch`.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ... import probes
from . import bubblewrap, zygote
from .processes import kill_group

WARM = "dgmlab-warm-kernel"  # kernel_argv[0] of a warm kernel; kernel_argv[1]: its spec (JSON)
ZYGOTE_SCRIPT = Path(zygote.__file__)
ZYGOTE_IN = "/.dgmlab-zygote/zygote.py"  # where the zygote's sandbox shows it (the student view hides its folder)
# what a kit notebook imports, and what ipykernel's start imports (its debugger: 0.35 s), loaded once by the zygote
PRELOAD = ("numpy", "scipy", "sympy", "torch", "torchvision", "matplotlib", "matplotlib.pyplot", "PIL", "tqdm.auto",
           "dgmlab", "dgmlab.checks", "dgmlab.probes", "dgmlab.probes.asserts", "IPython", "ipykernel.kernelapp",
           "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython.core.completerlib",
           "IPython.core.debugger", "IPython.core.oinspect", "IPython.extensions.storemagic", "sqlite3", "pdb",
           "tornado.platform.asyncio")
THREAD_ENV = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
START_TIMEOUT = 180.0  # seconds a zygote may take to load what it preloads
FORK_TIMEOUT = 30.0  # seconds a zygote may take to answer a request
MAX_FILES = zygote.MAX_FDS  # files at the top of a working folder that a warm kernel takes; more: a cold one
# address space a warm kernel must have left under its memory limit beyond the zygote's (about 4.1 GiB: torch, scipy,
# sympy, matplotlib... mapped): about what a cold kernel has left once it imported torch, sympy, numpy and scipy
# (3.7 GiB of 8 GiB, measured). A lower limit starts kernels cold: forked warm, they could not even start.
ROOM = 1024 ** 3

log = logging.getLogger(__name__)


def preload() -> list[str]:
    """:data:`PRELOAD` and the kit homeworks' checks (what ``dgmlab.probes.check`` loads)."""
    return [*PRELOAD, *(probes.checks_package(hw) for hw in probes.KIT_HOMEWORKS)]


class WarmUnavailable(RuntimeError):
    """The zygote cannot start or serve here (the grading then starts a cold kernel)."""


class Zygote:
    """This process's zygote: the bwrap process that runs :mod:`.zygote`, and the socket to it."""

    def __init__(self, argv: list[str], uid: int | None = None) -> None:
        self.argv = list(argv)
        self.lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [*self.argv, str(theirs.fileno()), ",".join(preload())]
        try:  # as the kernels' own host user (uid; None: the grader's), which every kernel it forks keeps
            self.proc = subprocess.Popen(command, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, **bubblewrap.as_user(uid))
        finally:
            theirs.close()
        self.channel = ours
        answer, fds = self._receive(START_TIMEOUT)
        if not answer.get("ready"):
            self.stop()
            raise WarmUnavailable(answer.get("refused") or "the zygote did not start")
        self.seconds = answer.get("seconds")
        self.address_space = int(answer.get("address_space", 0))

    def _receive(self, timeout: float) -> tuple[dict[str, Any], list[int]]:
        self.channel.settimeout(timeout)
        try:
            message, fds, _flags, _addr = socket.recv_fds(self.channel, 1 << 16, 1)
        except (TimeoutError, OSError) as exc:
            raise WarmUnavailable(f"the zygote did not answer ({exc!r})") from None
        if not message:
            raise WarmUnavailable(f"the zygote ended (exit status {self.proc.poll()})")
        return json.loads(message), fds

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, request: dict[str, Any], fds: list[int]) -> WarmProcess:
        """A new kernel for ``request``, with ``fds`` (its files): a :class:`WarmProcess`."""
        with self.lock:
            socket.send_fds(self.channel, [json.dumps(request).encode()], fds)
            answer, got = self._receive(FORK_TIMEOUT)
        if "pid" not in answer or len(got) != 1:
            for fd in got:
                os.close(fd)
            raise WarmUnavailable(answer.get("refused") or "the zygote gave no kernel")
        return WarmProcess(got[0])

    def stop(self) -> None:
        self.channel.close()
        if self.proc.poll() is None:
            kill_group(self.proc)
            self.proc.wait()


class WarmProcess:
    """The process that jupyter_client's provisioner holds for a warm kernel: the kernel's first fork (the zygote's
    child, not this process's), through a pidfd (never a reused process id). Killing it ends the kernel's PID
    namespace, every process of the submission with it."""

    stdin = stdout = stderr = None

    def __init__(self, pidfd: int) -> None:
        self.pidfd = pidfd
        self.pid = pidfd_pid(pidfd)
        self.returncode: int | None = None
        self._signal = 0

    def poll(self) -> int | None:
        if self.returncode is None and self.pidfd >= 0 and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = -self._signal if self._signal else 0
            os.close(self.pidfd)
            self.pidfd = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.pidfd >= 0:
            select.select([self.pidfd], [], [], timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired(WARM, timeout)  # type: ignore[arg-type]  # None: waited without a limit
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.pidfd >= 0:
            self._signal = self._signal or signum
            try:
                signal.pidfd_send_signal(self.pidfd, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def pidfd_pid(pidfd: int) -> int:
    """The process id, as this process sees it, of the process ``pidfd`` refers to."""
    with open(f"/proc/self/fdinfo/{pidfd}", encoding="ascii") as f:
        for line in f:
            if line.startswith("Pid:"):
                return int(line.split()[1])
    raise WarmUnavailable("this Linux does not say whose a pidfd is (5.3 or later needed)")


def zygote_argv(view: list[str], env: dict[str, str]) -> list[str]:
    """The zygote's command: bwrap with the kernel's ``view`` (bwrap arguments: /dev and the tmpfs folders, the host
    and student views) and environment ``env``, the zygote script, a folder where each kernel builds its root, no
    network, and ``CAP_SYS_ADMIN`` in bwrap's user namespace (``CAP_SETFCAP`` too: mapping root needs it)."""
    args = [*bubblewrap.bwrap_command(), *view, "--dir", zygote.NEW_ROOT, "--ro-bind", str(ZYGOTE_SCRIPT), ZYGOTE_IN,
            *bubblewrap.SEAL, "--chdir", "/", "--unshare-all", "--cap-drop", "ALL", "--cap-add", "CAP_SYS_ADMIN",
            "--cap-add", "CAP_SETFCAP", "--new-session", "--die-with-parent", "--clearenv"]
    quiet = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}  # debugpy's warning at import, once a worker: not the kernels'
    for name, value in {**env, **THREAD_ENV, "PYTHONSAFEPATH": "1", **quiet}.items():
        args += ["--setenv", name, value]
    return [*args, "--", sys.executable, ZYGOTE_IN]


_LOCK = threading.Lock()
_ZYGOTES: dict[str, Zygote] = {}  # tuple(zygote_argv) -> Zygote: this process's (one, unless the limits or the kit changed)
_REFUSED: dict[str, str] = {}  # tuple(zygote_argv) -> why it could not start (said once; cold kernels then)
_TOO_SMALL: dict[str, int] = {}  # tuple(zygote_argv) -> the memory limit too small for its kernels, said last


def _stop_all() -> None:
    with _LOCK:
        for one in _ZYGOTES.values():
            one.stop()
        _ZYGOTES.clear()


atexit.register(_stop_all)


def zygote_id(argv: list[str], uid: int | None = None) -> str:
    return hashlib.sha256("\0".join([*argv, str(uid)]).encode()).hexdigest()[:16]


def zygote_for(argv: list[str], uid: int | None = None) -> Zygote:
    """This process's zygote started with ``argv`` as the host user ``uid`` (``None``: the grader's) (started now if
    it is not running); :class:`WarmUnavailable` if it cannot start here."""
    key = zygote_id(argv, uid)
    with _LOCK:
        if key in _REFUSED:
            raise WarmUnavailable(_REFUSED[key])
        found = _ZYGOTES.get(key)
        if found is not None and found.alive():
            return found
        for other in _ZYGOTES.values():  # one zygote a worker: another's is of other limits or another kit
            other.stop()
        _ZYGOTES.clear()
        try:
            _ZYGOTES[key] = Zygote(argv, uid)
        except (WarmUnavailable, OSError) as exc:
            _REFUSED[key] = str(exc)
            raise WarmUnavailable(str(exc)) from None
        return _ZYGOTES[key]


def ready(argv: list[str], memory: int, uid: int | None = None) -> bool:
    """Whether a zygote started with ``argv`` as the host user ``uid`` can be had here (started now if need be) and
    leaves a kernel limited to ``memory`` bytes of address space :data:`ROOM` to work in; if not, why is logged once
    and the grading starts its kernel cold."""
    try:
        held = zygote_for(argv, uid).address_space
    except WarmUnavailable as exc:
        log.warning("warm kernels are not available here, kernels start cold: %s", exc)
        return False
    if memory >= held + ROOM:
        return True
    key = zygote_id(argv, uid)
    with _LOCK:
        said = _TOO_SMALL.get(key) == memory
        _TOO_SMALL[key] = memory
    if not said:
        log.warning("warm kernels need a memory limit of at least %.1f GiB (the zygote's imports hold %.1f GiB of "
                    "address space, and a kernel needs %.1f GiB more): with %.1f GiB (--memory, "
                    "c.DgmlabAutograde.memory) kernels start cold", (held + ROOM) / 1024 ** 3, held / 1024 ** 3,
                    ROOM / 1024 ** 3, memory / 1024 ** 3)
    return False


def kernel_spec(zygote_argv: list[str], workdir: Path, runtime_dir: Path, limits: Any, env: dict[str, str],
                runtime_tmpfs: int, uid: int | None = None) -> list[str]:
    """The ``kernel_argv`` of a warm kernel forked by the zygote of ``zygote_argv`` run as the host user ``uid``:
    :data:`WARM`, its spec (JSON: its folders, limits and environment ``env``), and the connection file."""
    spec = {"zygote": list(zygote_argv), "uid": uid, "workdir": str(Path(workdir).resolve()),
            "runtime": str(Path(runtime_dir).resolve()), "tmpfs": int(limits.tmpfs), "memory": int(limits.memory),
            "file_size": int(limits.file_size), "runtime_tmpfs": int(runtime_tmpfs),
            "tmp_tmpfs": bubblewrap.TMP_TMPFS, "env": {**env, **THREAD_ENV}}
    return [WARM, json.dumps(spec), "-f", "{connection_file}"]


def takes_files(workdir: str | Path) -> bool:
    """Whether a warm kernel can take the files at the top of ``workdir`` (at most :data:`MAX_FILES`; else the
    grading starts a cold kernel), counted without opening any."""
    try:
        with os.scandir(workdir) as entries:
            return sum(entry.is_file(follow_symlinks=False) for entry in entries) <= MAX_FILES
    except OSError:
        return False


def _open_files(workdir: str) -> tuple[list[str], list[int], int]:
    """``(names, descriptors, bytes)`` of the regular files at the top of ``workdir`` (links and folders left out,
    as the cold sandbox leaves them), opened here, read only by the kernel's fork."""
    names, fds, size = [], [], 0
    try:
        for entry in sorted(os.scandir(workdir), key=lambda e: e.name):
            if not entry.is_file(follow_symlinks=False):
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            names.append(entry.name)
            fds.append(fd)
            size += os.fstat(fd).st_size
            if len(fds) > MAX_FILES:
                raise WarmUnavailable(f"more than {MAX_FILES} files in the working folder")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return names, fds, size


def launch(manager: Any, cmd: list[str]) -> WarmProcess:
    """Fork the kernel ``cmd`` (:func:`kernel_spec`, filled in by jupyter_client) from this process's zygote and give
    it to ``manager``'s provisioner as its process."""
    spec, rest = json.loads(cmd[1]), list(cmd[2:])
    connection = rest[rest.index("-f") + 1]
    with open(connection, encoding="utf-8") as f:
        request = {**spec, "connection_file": connection, "connection": f.read(), "argv": rest}
    names, fds, size = _open_files(spec["workdir"])
    try:
        process = zygote_for(spec.pop("zygote"), spec.pop("uid", None)).fork(
            {**request, "files": names, "files_bytes": size}, fds)
    finally:
        for fd in fds:
            os.close(fd)
    provisioner = manager.provisioner
    provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, None
    provisioner.cwd = spec["workdir"]
    manager._reconcile_connection_info(provisioner.connection_info)
    return process
