"""The kernels of a grading: started as its sandbox says, recorded, and stopped when its time is up.

The grading worker runs nbgrader in its own process, so a grading's time limit cannot kill "the nbgrader
process": :func:`stop_kernels` kills the kernels that grading started, each with its whole process tree, and
lets it start no more. nbgrader's ``Execute`` (through dgmlab's ``TimedExecute``) starts every kernel with
:class:`GradingKernelManager`, named in ``nbgrader_config.py`` as ``c.TimedExecute.kernel_manager_class``;
:class:`.kernel_sandbox.Sandbox` configures it with the sandbox's command and runtime folder.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import channel_socket_types
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, Type, Unicode

from . import warm_kernels
from .bubblewrap import as_user, sandbox_root
from .kernel_cgroup import KernelCgroup
from .kernel_sandbox import RUNTIME_FILES, with_workdir_files
from .processes import kill_tree, wait_gone
from .tree_guard import MAX_THREADS, TreeGuard

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_KERNELS: dict[str, list[Any]] = {}  # grading id -> [psutil.Process of each kernel it started (bwrap, or ipykernel)]
_STOPPED: set[str] = set()  # grading ids whose time is up: they may start no more kernels
_GUARDS: dict[str, list[TreeGuard]] = {}  # grading id -> the guard of each kernel it started (memory_limit set)
_SAID: dict[str, str] = {}  # grading id -> why its kernels were stopped (stop_saying)
# bytes of one message from a kernel (a probe's data is at most 8 MiB of JSON, dgmlab.probes.wire.MAX_BYTES, sent
# inside a message's JSON; outputs past a cell's caps are dropped anyway)
MAX_MESSAGE_BYTES = 32 * 2**20
MAX_QUEUED = 16  # messages of one kernel's channel queued in the worker, unread (libzmq's default: 1,000)
MAX_SOCKET_PATH = 100  # bytes: a unix socket path must fit sockaddr_un (108 on Linux), with "-<n>" added
PROC_ROOT = len("/proc/4194304/root")  # the longest prefix through which the grader reaches a sandbox's sockets


class GradingStopped(RuntimeError):
    """A grading whose time limit has passed tried to start a kernel."""


KILL_WAIT = 30.0  # seconds a killed kernel's processes are waited for (a warm one's user is the next kernel's)


def _kill(proc: Any) -> None:
    """Kill the kernel ``proc`` with its whole tree and wait until its processes are gone: a warm kernel's host user is
    its zygote's, so the next kernel forked must not start while the last one still holds what Linux counts per user
    (an attacker's kernel held all its user's epoll watches, which take seconds to free)."""
    left = wait_gone(kill_tree(proc), KILL_WAIT)
    if left:
        log.warning("a killed grading kernel's processes %s were still there after %g s", [p.pid for p in left][:5],
                    KILL_WAIT)


def stop_kernels(grading_id: str) -> int:
    """Kill every kernel ``grading_id`` started, each with its whole process tree; no more may start.

    Returns how many kernels were still running."""
    with _LOCK:
        _STOPPED.add(grading_id)
        procs = list(_KERNELS.get(grading_id, []))
    running = 0
    for proc in procs:
        if proc.is_running():
            running += 1
            _kill(proc)
    return running


def forget(grading_id: str) -> None:
    with _LOCK:
        _STOPPED.discard(grading_id)
        _KERNELS.pop(grading_id, None)
        _SAID.pop(grading_id, None)
        guards = _GUARDS.pop(grading_id, [])
    for guard in guards:
        guard.stop()


def why_killed(grading_id: str) -> str:
    """Why a :class:`.tree_guard.TreeGuard`, or :func:`stop_saying`, killed one of ``grading_id``'s kernels ("" if
    none did)."""
    with _LOCK:
        guarded = next((guard.why() for guard in _GUARDS.get(grading_id, []) if guard.why()), "")
        return guarded or _SAID.get(grading_id, "")


def stop_saying(grading_id: str, why: str) -> None:
    """Kill ``grading_id``'s kernels (:func:`stop_kernels`), keeping ``why`` for :func:`why_killed`."""
    with _LOCK:
        _SAID.setdefault(grading_id, why)
    stop_kernels(grading_id)


class GradingKernelClient(AsyncKernelClient):
    """The client of a grading's kernel: jupyter_client's, but ready without a fixed wait.

    jupyter_client's ``wait_for_ready`` ends by draining IOPub until it has been quiet for 0.2 s: 0.2 s of every
    kernel start spent waiting (a tenth of a warm hw3 grading). Nothing needs that drain: nbclient reads on IOPub only
    the messages whose parent is a request it sent (the kernel_info status left there is skipped). So this client
    asks for kernel_info until the reply comes and IOPub is seen connected (a message on it: the reply's status), as
    jupyter_client does, then takes what IOPub already holds without waiting for more."""

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:  # IOPub connected: the reply's status message reached it
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:  # what IOPub holds already, without waiting for more
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                return

    wait_for_ready = _async_wait_for_ready

    def _create_connected_socket(self, channel: str, identity: bytes | None = None) -> Any:
        """jupyter_client's socket to the kernel, holding what the kernel sends to :data:`MAX_MESSAGE_BYTES` times
        :data:`MAX_QUEUED` in the grading worker. A kernel holds its session's key, so it can sign messages of any
        size and number, and each was queued, read and decoded in the worker before any output cap applied (an
        attacker's trial: 9 GiB in the worker from a kernel held to 5). A message over the size is refused unread
        and the kernel disconnected (``ZMQ_MAXMSGSIZE``: libzmq does not connect again, so the kernel's later output
        never arrives); past the count, the kernel's side waits (``ZMQ_RCVHWM``: its own queue, in its own memory)."""
        if self.curve_publickey is not None:  # not the kit's kernels: jupyter_client's own
            return super()._create_connected_socket(channel, identity)
        sock = self.context.socket(channel_socket_types[channel])
        sock.linger = 1000
        sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        sock.setsockopt(zmq.RCVHWM, MAX_QUEUED)
        if identity:
            sock.identity = identity
        monitor = sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        # (the monitor, a blocking view of it to poll from hooks that cannot await)
        self._dgmlab_monitors = [*getattr(self, "_dgmlab_monitors", []),
                                 (monitor, zmq.Socket.shadow(monitor.underlying))]
        sock.connect(self._make_url(channel))
        return sock

    def disconnected(self) -> bool:
        """Whether the kernel was disconnected from one of this client's sockets (a message over
        :data:`MAX_MESSAGE_BYTES`, or its end): nothing more it sends there arrives."""
        return any(view.poll(0) for _, view in getattr(self, "_dgmlab_monitors", []))

    def start_channels(self, shell: bool = True, iopub: bool = True, stdin: bool = True, hb: bool = True,
                       control: bool = True) -> None:
        """jupyter_client's, with no stdin channel: a grading answers no input (nbclient turns ``allow_stdin`` off),
        and a socket the grader holds but never reads is where a kernel parked its files past its end (an attacker's
        trial: the 5.5 M epoll watches of the user the next warm kernel runs as, sent there before the kill)."""
        super().start_channels(shell=shell, iopub=iopub, stdin=False, hb=hb, control=control)

    @property
    def stdin_channel(self) -> Any:
        """None connected (:meth:`start_channels`): jupyter_client's stop would otherwise connect one to stop it."""
        return _NO_CHANNEL

    def stop_channels(self) -> None:
        """jupyter_client's, then the sockets' monitors closed (a worker grades thousands of notebooks)."""
        super().stop_channels()
        for monitor, _ in getattr(self, "_dgmlab_monitors", []):
            monitor.close(linger=0)
        self._dgmlab_monitors = []


class _NoChannel:
    """A channel never connected: not alive, nothing to stop."""

    def is_alive(self) -> bool:
        return False

    def stop(self) -> None:
        pass


_NO_CHANNEL = _NoChannel()


class GradingKernelManager(AsyncKernelManager):
    """The kernel manager of a grading (nbgrader's ``Execute`` through dgmlab's ``TimedExecute``).

    - ``kernel_argv`` set (the sandbox): that command starts the kernel, whatever kernel the
      notebook names; ``runtime_dir``: where its connection file and ``ipc`` sockets go.
    - ``grading_id``: every kernel started is recorded so that :func:`stop_kernels` can kill it
      with its whole process tree when the grading's time is up; after that none may start.
    """

    kernel_argv = List(Unicode(), help="The command that starts the kernel ({connection_file} filled in); "
                                       "empty: the notebook's kernelspec").tag(config=True)
    runtime_dir = Unicode("", help="Folder for the connection file and ipc sockets (default: jupyter's)"
                          ).tag(config=True)
    grading_id = Unicode("", help="The grading this kernel belongs to (see stop_kernels)").tag(config=True)
    cold_kernel_argv = List(Unicode(), help="A warm kernel_argv's cold twin: what starts the kernel where a fork "
                                            "cannot take its working folder (more than warm_kernels.MAX_FILES files)"
                            ).tag(config=True)
    memory_limit = Integer(0, help="Bytes the kernel's processes may hold together, in-memory files included "
                                   "(its own cgroup where the grader may make one, .kernel_cgroup, and .tree_guard: "
                                   "killed past it); 0: no such limit (the sandbox sets its own)"
                           ).tag(config=True)
    kernel_uid = Integer(-1, help="The host user a cold kernel's bwrap starts as (the sandbox's kernel_user: never "
                                  "root); its connection file and a copy of its working folder's files are made "
                                  "readable to it; -1: the grader's own user").tag(config=True)
    client_factory = Type(GradingKernelClient, klass=AsyncKernelClient)  # what client() makes

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.runtime_dir:
            name = uuid.uuid4().hex[:8]
            self.connection_file = os.path.join(self.runtime_dir, f"kernel-{name}.json")
            if self.transport == "ipc":
                self.ip = os.path.join(self.runtime_dir, f"k{name}")
                if len(os.fsencode(self.ip)) + PROC_ROOT > MAX_SOCKET_PATH:
                    raise ValueError(f"the sandbox's runtime folder {self.runtime_dir} is too long a path for unix "
                                     f"sockets: set TMPDIR to a shorter folder (e.g. /tmp) on the grading worker")

    @property
    def kernel_spec(self) -> KernelSpec | None:
        if self.kernel_argv:
            # interrupt by message: a signal to bwrap would not reach the kernel inside
            return KernelSpec(argv=list(self.kernel_argv), display_name="dgmlab sandbox", language="python",
                              interrupt_mode="message")
        return super().kernel_spec

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        import psutil

        with _LOCK:
            if self.grading_id in _STOPPED:
                raise GradingStopped("the grading's time limit has passed: no new kernel is started")
        # Cell output goes over the kernel's sockets; its own standard streams hold nothing the grading needs
        # (stdout: ipykernel's "To connect another client ..." banner, the sandbox clearing JPY_PARENT_PID) and must
        # not be the grader's: a kernel holding the worker's stderr, often the instructor's terminal, could read what
        # is typed there, stop its output (and the whole run with it) or rewrite the grader's log (attacker's trial).
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        kw.setdefault("stdin", subprocess.DEVNULL)
        warm = bool(self.kernel_argv) and self.kernel_argv[0] == warm_kernels.WARM
        if warm and self.cold_kernel_argv and not warm_kernels.takes_files(json.loads(kernel_cmd[1])["workdir"]):
            # more files than a fork takes (an attacker's trial: 300 failed the grading): its cold twin, with the
            # arguments jupyter_client added after the command (extra_arguments)
            warm, extra = False, kernel_cmd[len(self.kernel_argv):]
            kernel_cmd = [a.replace("{connection_file}", self.connection_file) for a in self.cold_kernel_argv] + extra
        if warm:  # forked from this worker's zygote, walled by the fork (.warm_kernels)
            warm_kernels.launch(self, kernel_cmd)
        else:
            copies = None
            if self.kernel_uid >= 0:  # started as the kernel's own user, which may read only what is made for it
                kw.update(as_user(self.kernel_uid))
                if os.path.isfile(self.connection_file):
                    os.chown(self.connection_file, self.kernel_uid, self.kernel_uid, follow_symlinks=False)
                copies = Path(tempfile.mkdtemp(prefix="files-", dir=self.runtime_dir or None))  # 700
                os.chown(copies, self.kernel_uid, self.kernel_uid, follow_symlinks=False)
            await super()._async_launch_kernel(with_workdir_files(kernel_cmd, copies, self.kernel_uid), **kw)
        proc = psutil.Process(self.provisioner.pid)  # type: ignore[union-attr]
        self._process = proc
        if (warm or RUNTIME_FILES in kernel_cmd) and self.transport == "ipc":
            # the kernel makes its sockets in the sandbox's own runtime folder: connect through its root
            root = f"/proc/{proc.pid}/root" if warm else sandbox_root(proc)
            if root is not None:
                self.ip = root + self.ip
        guard = None
        if self.memory_limit:  # its own cgroup where the grader may make one, moved in before any cell runs
            cgroup = KernelCgroup.make(self.memory_limit, MAX_THREADS)
            if cgroup is not None:
                try:
                    cgroup.hold(proc.pid)
                except OSError:
                    cgroup.remove()
                    _kill(proc)
                    raise
            guard = TreeGuard(proc.pid, self.memory_limit, lambda: _kill(proc), cgroup=cgroup)
        with _LOCK:
            _KERNELS.setdefault(self.grading_id, []).append(proc)
            if guard is not None:
                _GUARDS.setdefault(self.grading_id, []).append(guard.start())
            stopped = self.grading_id in _STOPPED
        if stopped:  # the time limit passed while it started
            _kill(proc)

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        """Kill the kernel with its whole process tree (the sandbox, a data loader's workers), then let
        jupyter_client tidy up. A grading stops its kernel this way once the last cell has run
        (``TimedExecute.shutdown_kernel``), so nothing the student started outlives the grading."""
        proc = getattr(self, "_process", None)
        if proc is not None:
            await asyncio.to_thread(_kill, proc)  # its wait for the processes to go blocks no other task
        await super()._async_kill_kernel(restart=restart)

    async def _async_wait(self, pollinterval: float = 0.005) -> None:
        """jupyter_client's wait for the killed kernel to end, looking every 5 ms rather than every 100 (a killed
        kernel is gone within a few: 0.1 s of every grading was spent waiting for the next look)."""
        await super()._async_wait(pollinterval)
