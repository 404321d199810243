"""A grading kernel's sandbox: what a student's code can reach while it is graded.

The student's code only ever runs in the Jupyter kernel that grading starts
(nbgrader's own code runs in the grading worker and never executes it). With
bubblewrap (``bwrap``, Debian package ``bubblewrap``) that kernel is started
by :class:`dgmlab.grading.isolation.kernels.GradingKernelManager` as ``bwrap ... prlimit ... python`` running
ipykernel's launcher (:data:`.user_kernel.IPYKERNEL`), which adds these walls:

1. **No network.** The kernel runs in a fresh network namespace
   (``--unshare-net``): it has its own loopback and nothing else, so it can
   reach neither the internet nor services on the grading machine's
   loopback. It talks to the grader over jupyter_client's ``ipc`` transport
   (unix sockets), which a network namespace does not cut. The sockets are
   made in the kernel's runtime folder, a tmpfs of :data:`RUNTIME_TMPFS`
   inside the sandbox holding its connection file read-only; the grader
   reaches them through ``/proc/<pid>/root`` of the sandbox's first process
   (:mod:`.kernels`). So the kernel writes no host folder.
2. **An allow-list, not a deny-list.** The sandbox's root is an empty tmpfs, read-only once built, into
   which only these are mounted (:func:`.bubblewrap.host_view`): the system's programs and libraries (``/usr`` and
   its links), the few files of ``/etc`` the dynamic loader, time zones and fonts read, the Python
   environment and dgmlab, and the kit's data folder (``DGMLAB_DATA``), all read-only, with the grader left out
   (:func:`student_view`: no ``dgmlab.grading``, ``dgmlab.authoring`` or nbgrader, as in Colab); then the working
   folder, a tmpfs of :attr:`Limits.tmpfs` bytes holding the submission's top-level files read-only
   (what the kernel writes there never reaches the grading machine's disk, and is gone with the kernel),
   the runtime folder, a private ``/var/tmp`` (``TMPDIR`` and ``HOME``) and ``/dev/shm``. Every other
   folder of the machine (the course and every other course, their gradebooks and keys, home folders,
   ``/root``, ``/tmp``, checkouts, other gradings' scratch) does not exist inside. The environment is
   cleared (no inherited secrets); user, PID, IPC, UTS and cgroup namespaces are new.
3. **Limits.** The kernel runs under ``prlimit``: address space
   (``--memory``, default 8 GiB: torch alone maps about 4 GiB), largest file
   it may write (default 256 MiB); the wall clock of the whole submission is
   enforced by the caller, which kills the kernel's whole process tree
   (:func:`.kernels.stop_kernels`). Files in a tmpfs are RAM outside the address-space
   limit, so every tmpfs has a size: ``/var/tmp`` and ``/dev/shm``
   :attr:`Limits.tmpfs` each (default 256 MiB), ``/tmp`` 1 MiB and read-only once
   the folders inside it are mounted; ``/dev`` and the root itself are read-only.

4. **A user of its own.** A root grader starts the sandbox as a host user that is neither root nor any account,
   drawn at random (:func:`kernel_user`; a warm kernel keeps its worker's zygote's): what Linux counts per user,
   machine-wide (epoll watches, inotify instances, queued signals), a kernel then takes from no one else. The user
   reaches only what the sandbox binds: the system, the Python environment and dgmlab (which must be readable by
   all users, else kernels run as root and the grader says why once), and a copy of the working folder's files and
   the connection file, made for it alone.

Not isolated: the system's programs and libraries are readable, an ordinary user's kernels run as that user
(mapped into their own user namespace, so they share its per-user counts), and CPU time is shared. Where ``bwrap``
is missing or user namespaces are off, grading goes on unsandboxed and says so loudly.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import homeworks

from . import bubblewrap, warm_kernels, zygote
from .processes import kill_group
from .user_kernel import IPYKERNEL

DEFAULT_MEMORY = 8 * 1024 ** 3
DEFAULT_FILE_SIZE = 256 * 1024 ** 2
DEFAULT_TMPFS = 256 * 1024 ** 2
WORKDIR_FILES = "{workdir_files}"  # in kernel_argv: replaced at launch by read-only binds of the working folder's files
RUNTIME_FILES = "{runtime_files}"  # in kernel_argv: replaced at launch by a read-only bind of the connection file
RUNTIME_TMPFS = 1024 ** 2  # the kernel's runtime folder: its ipc sockets (which take no space) and nothing much else
log = logging.getLogger(__name__)
PASSED_ENV = ("LANG", "LC_ALL", "DGMLAB_DATA", "DGMLAB_FAST", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
              "OMP_NUM_THREADS")


@dataclass
class Limits:
    memory: int = DEFAULT_MEMORY  # bytes of address space for the kernel
    file_size: int = DEFAULT_FILE_SIZE  # bytes: the largest file the kernel may write
    tmpfs: int = DEFAULT_TMPFS  # bytes each writable tmpfs (/var/tmp: HOME and TMPDIR; /dev/shm; the working
    # folder) may hold: RAM that the memory limit does not count
    warm: bool | None = None  # True: fork the kernel from the worker's zygote, its imports done (.warm_kernels); False:
    # start it cold; None: the run decides (dgmlab.grading.autograde.options.warm_pays), and a kernel alone starts cold


def available() -> tuple[bool, str]:
    """Whether bubblewrap can build the sandbox here, and if not, why."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    if not shutil.which("prlimit"):
        return False, "prlimit (util-linux) is not installed"
    probe = subprocess.run([bwrap, *_dev_and_tmp(Limits()), *bubblewrap.host_view(), *bubblewrap.SEAL, "--unshare-all",
                            *bubblewrap.NO_CAPABILITIES, sys.executable,
                            "-I", "-S", "-c", "pass"], capture_output=True, text=True)
    if probe.returncode != 0:
        usage = subprocess.run([bwrap, "--help"], capture_output=True, text=True)
        if "--size" not in usage.stdout + usage.stderr:
            return False, ("this bubblewrap cannot give a tmpfs a size (--size): install bubblewrap 0.6 or later "
                           f"({probe.stderr.strip()[:200]})")
        return False, f"bwrap cannot create namespaces here ({probe.stderr.strip()[:200]})"
    unreachable = _inside_unreachable(bwrap)
    if unreachable:
        return False, unreachable
    return True, "bubblewrap sandbox"


def _inside_unreachable(bwrap: str, timeout: float = 10.0, uid: int | None = None) -> str | None:
    """None when this process can read a file made in a sandbox's own tmpfs through ``/proc/<pid>/root``, as the
    grader reaches a kernel's ipc sockets (:mod:`.kernels`); else why not. A setuid ``bwrap`` makes
    the sandbox's processes unreadable to their user, and every kernel would then go unanswered. ``uid``: the
    sandbox started as that host user (:func:`kernel_user`)."""
    import psutil

    with tempfile.TemporaryDirectory(prefix="probe-", dir=bubblewrap.sandboxes_folder()) as tmp:
        os.chmod(tmp, 0o711)
        inner = Path(tmp) / "runtime"
        inner.mkdir()
        proc = subprocess.Popen([bwrap, "--ro-bind", "/", "/", *_dev_and_tmp(Limits()), "--tmpfs", str(inner),
                                 "--unshare-pid", "sh", "-c", f"touch '{inner}/made' && sleep {timeout:g}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **bubblewrap.as_user(uid))
        try:
            root, end = bubblewrap.sandbox_root(psutil.Process(proc.pid), timeout), time.monotonic() + timeout
            while root is not None and time.monotonic() < end:
                if os.path.exists(f"{root}{inner}/made"):
                    return None
                time.sleep(0.01)
        finally:
            kill_group(proc)  # the sandbox's shell too: the user it ran as may be a kernel's next
            proc.wait()
    return ("the grader cannot reach files inside the sandbox through /proc/<pid>/root (a setuid bwrap makes its "
            "processes unreadable): use a bubblewrap that is not setuid, on a kernel with unprivileged user "
            "namespaces enabled")


def kernel_user(zygote: bool = False, view: list[str] | None = None) -> int | None:
    """The host user a sandbox starts as: a fresh one each call (:func:`.bubblewrap.kernel_uid`: never root), or with
    ``zygote`` this process's warm kernels' (:func:`.bubblewrap.zygote_uid`), where bwrap started as such a user
    builds a kernel's sandbox of ``view`` (default :func:`kernel_view`) here; ``None`` (the grader's own user) for an
    ordinary user's grader, or where it cannot (the Python environment, dgmlab or the data folder closed to other
    users): said once, with what to open."""
    uid = bubblewrap.zygote_uid() if zygote else bubblewrap.kernel_uid()
    if uid is None:
        return None
    probed = [*_dev_and_tmp(Limits()), *bubblewrap.read_only_proc_system(), *(kernel_view() if view is None else view)]
    return uid if _users_can_sandbox(tuple(probed), uid) else None


def _users_can_sandbox(view: tuple[str, ...], uid: int) -> bool:
    """Whether bwrap started as ``uid``, one of the users :func:`.bubblewrap.kernel_uid` draws (all alike: no account,
    no group), builds a sandbox of ``view``: asked once a view (:data:`_ASKED`), as the first such user."""
    if view not in _ASKED:
        _ASKED[view] = _user_builds(view, uid)
    return _ASKED[view]


_ASKED: dict[tuple[str, ...], bool] = {}


def _user_builds(view: tuple[str, ...], uid: int) -> bool:
    """The probe: a kernel's view and a file bound from a sandbox's folder as a cold kernel's copies are (the
    sandboxes folder lies in TMPDIR, which a SLURM job makes mode 700: a user cannot pass through it to bind)."""
    bwrap = shutil.which("bwrap") or "bwrap"
    try:
        with tempfile.TemporaryDirectory(prefix="probe-", dir=bubblewrap.sandboxes_folder()) as tmp:
            os.chmod(tmp, 0o711)
            copy = _copy(__file__, Path(tmp), uid)
            probe = subprocess.run([bwrap, *view, "--ro-bind", copy, "/.dgmlab-probe", *bubblewrap.SEAL,
                                    "--unshare-all", *bubblewrap.no_user_namespaces(), *bubblewrap.NO_CAPABILITIES,
                                    "--as-pid-1", sys.executable, "-I", "-S", "-c", "open('/.dgmlab-probe').read()"],
                                   capture_output=True, text=True, timeout=60, **bubblewrap.as_user(uid))
        why = probe.stderr.strip()[-300:] if probe.returncode != 0 else _inside_unreachable(bwrap, uid=uid)
    except (OSError, subprocess.SubprocessError) as exc:  # e.g. a container whose user namespace maps no such user
        why = repr(exc)[:300]
    if not why:
        return True
    log.warning("grading kernels run as root, the grader's user: bwrap started as an unprivileged user cannot build "
                "their sandbox here (%s). Open the Python environment, dgmlab, DGMLAB_DATA and TMPDIR to all users "
                "(chmod o+rX on them and o+x on the folders above) so that a kernel takes nothing Linux counts per "
                "user from root (epoll watches, inotify instances, queued signals)", why)
    return False


GRADER_PARTS = ("grading", "authoring")  # dgmlab's subpackages that are the grader's, not the student package
GRADER_ONLY = ("nbgrader",)  # distributions the grader needs and a student's environment (Colab) does not have
VIEW_TMPFS = 1024 ** 2  # the folder that stands in for dgmlab's own (it holds only mount points)
ABSENT = Path(__file__).with_name("absent.py")  # the __init__.py of a GRADER_ONLY package in the sandbox: it raises


def student_view() -> list[str]:
    """bwrap arguments, after :func:`.bubblewrap.host_view`, that leave a kernel the student package and what a
    student's environment has, not the grader: dgmlab's folder is replaced by a read-only one holding every entry of
    it but :data:`GRADER_PARTS` (so ``import dgmlab.grading`` fails there as it does in Colab), each kit homework's
    ``homeworks/<hw>/hidden/`` is an empty folder (``import homeworks.<hw>.hidden`` fails), and each of
    :data:`GRADER_ONLY` that is installed is replaced by a folder whose ``__init__.py`` raises ImportError."""
    package = Path(__file__).resolve().parents[2]  # dgmlab/, this file in its grading/isolation/
    args = ["--size", str(VIEW_TMPFS), "--tmpfs", str(package)]
    for entry in sorted(package.iterdir()):
        if entry.name not in GRADER_PARTS:
            args += ["--ro-bind", str(entry), str(entry)]
    args += ["--remount-ro", str(package)]

    shown = bubblewrap.environment_paths()
    for root in homeworks.__path__:  # an installed grader's homeworks.<hw>.hidden sits beside the student's checks
        for hidden in sorted(Path(root).glob(f"*/{homeworks.HIDDEN}")):  # in site-packages; a checkout's is not shown
            if any(bubblewrap.is_inside(hidden.resolve(), p) for p in shown):
                args += ["--size", str(VIEW_TMPFS), "--tmpfs", str(hidden.resolve()), "--remount-ro",
                         str(hidden.resolve())]
    for name in GRADER_ONLY:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for where in spec.submodule_search_locations:
                args += ["--size", str(VIEW_TMPFS), "--tmpfs", where, "--ro-bind", str(ABSENT),
                         str(Path(where) / "__init__.py"), "--remount-ro", where]
    return args


def _dev_and_tmp(limits: Limits) -> list[str]:
    """``/dev`` (read-only but for a sized ``/dev/shm``), ``/proc``, a sized ``/var/tmp`` and a small ``/tmp``
    (read-only once sealed: :data:`SEAL`)."""
    size = str(int(limits.tmpfs))
    return ["--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev", "--proc", "/proc",
            "--size", size, "--tmpfs", "/var/tmp", "--size", str(bubblewrap.TMP_TMPFS), "--tmpfs", "/tmp"]


def kernel_view() -> list[str]:
    """What a kernel sees of this machine: :func:`.bubblewrap.host_view`, then :func:`student_view` over it."""
    return [*bubblewrap.host_view(), *student_view()]


def kernel_argv(workdir: Path, runtime_dir: Path, limits: Limits, env: dict[str, str] | None = None,
                view: list[str] | None = None) -> list[str]:
    """The kernel command: ipykernel under prlimit inside bwrap (see module docstring). Of this machine's folders
    it sees ``view`` (default :func:`kernel_view`) and, writable, the working folder and the runtime folder, each a
    tmpfs of its own."""
    # the tmpfs mounts first: a Python environment, dgmlab or data folder under /tmp or /var/tmp is bound over them
    args = [*bubblewrap.bwrap_command(), *_dev_and_tmp(limits), *bubblewrap.read_only_proc_system(),
            *(kernel_view() if view is None else view)]
    # the working folder: a sized tmpfs, with the files there when the kernel starts bound in read-only
    args += ["--size", str(int(limits.tmpfs)), "--tmpfs", str(workdir.resolve()), WORKDIR_FILES]
    # the runtime folder: a small tmpfs of the sandbox's own, where the kernel creates its ipc sockets (the grader
    # connects to them through /proc/<pid>/root), with the connection file bound in read-only
    args += ["--size", str(RUNTIME_TMPFS), "--tmpfs", str(Path(runtime_dir).resolve()), RUNTIME_FILES]
    args += [*bubblewrap.SEAL, "--chdir", str(workdir.resolve()), "--unshare-all", *bubblewrap.no_user_namespaces(),
             *bubblewrap.NO_CAPABILITIES, "--new-session", "--die-with-parent", "--clearenv", "--as-pid-1"]
    for name, value in kernel_environment(env).items():
        args += ["--setenv", name, value]
    # the interpreter installs the kernels' seccomp filter (no user namespace, no keyring) before anything else
    flag, code = IPYKERNEL
    args += ["--", "prlimit", f"--as={limits.memory}", f"--fsize={limits.file_size}",
             f"--nofile={zygote.MAX_OPEN_FILES}", f"--sigpending={zygote.MAX_QUEUED_SIGNALS}",
             "--", sys.executable, flag, zygote.seccomp_prelude() + code, "-f", "{connection_file}"]
    return args


def kernel_environment(env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """A grading kernel's whole environment: the grader's settings, :data:`PASSED_ENV` of this process's, ``env``
    (this grading's own; ``None``: not set) and the ``PYTHONPATH`` that finds the kit that grades."""
    found = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": "/var/tmp",
             "TMPDIR": "/var/tmp", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/var/tmp/matplotlib", "USER": "student",
             "NBGRADER_EXECUTION": "autograde", "DGMLAB_SANDBOX": "1"}
    found.update({name: os.environ[name] for name in PASSED_ENV if name in os.environ})
    found.update({name: value for name, value in (env or {}).items() if value is not None})
    roots = bubblewrap.import_roots()  # the dgmlab and homeworks that grade (a checkout: src/ and the checkout), not
    if roots:  # another checkout an editable install names; of the checkout the kernel sees only what host_view binds
        found["PYTHONPATH"] = os.pathsep.join(roots)
    return found


def with_workdir_files(argv: list[str], copies: Path | None = None, uid: int = -1) -> list[str]:
    """``argv`` with :data:`WORKDIR_FILES` replaced by a read-only bind of each regular file at the top of the
    working folder (``--chdir``) as it is now, when the kernel starts (links and folders are left out), and
    :data:`RUNTIME_FILES` by a read-only bind of the kernel's connection file (the ``-f`` argument) when it
    exists. With ``copies`` (an empty folder of the kernel's host user ``uid``: :func:`kernel_user`), each file is
    bound from a copy made there for that user alone: the working folder itself lies in the grader's folders, closed
    to it."""
    argv = list(argv)
    if WORKDIR_FILES in argv:
        workdir = Path(argv[argv.index("--chdir") + 1])
        binds = []
        for entry in sorted(os.scandir(workdir), key=lambda e: e.name) if workdir.is_dir() else []:
            if entry.is_file(follow_symlinks=False):
                binds += ["--ro-bind", _copy(entry.path, copies, uid) if copies else entry.path, entry.path]
        i = argv.index(WORKDIR_FILES)
        argv = argv[:i] + binds + argv[i + 1:]
    if RUNTIME_FILES in argv:
        i = argv.index(RUNTIME_FILES)
        found = argv[len(argv) - 1 - argv[::-1].index("-f") + 1] if "-f" in argv else ""
        binds = ["--ro-bind", found, found] if found and os.path.isfile(found) else []
        argv = argv[:i] + binds + argv[i + 1:]
    return argv


def _copy(path: str, folder: Path, uid: int) -> str:
    """A copy of the file ``path`` (never followed if a link) in ``folder``, the host user ``uid``'s alone to read
    (mode 400: its path is in bwrap's command line, which every user of the machine can read)."""
    copy = folder / os.path.basename(path)
    with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb") as source, \
            open(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o400), "wb") as dest:
        os.fchmod(dest.fileno(), 0o400)  # whatever the grader's umask
        os.fchown(dest.fileno(), uid, uid)
        shutil.copyfileobj(source, dest, 1 << 20)
    return str(copy)


class Sandbox:
    """One submission's sandbox: a private runtime folder and the kernel command, removed on exit.

    :meth:`configure` points a grading's nbgrader config at them: nbgrader's ``Execute`` then starts
    the kernel through :class:`.kernels.GradingKernelManager` with this command, over ``ipc`` sockets in the
    runtime folder (the kernel has no network to use TCP on).
    """

    def __init__(self, workdir: Path, limits: Limits | None = None, env: dict[str, str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.limits = limits or Limits()
        self.env = dict(env or {})  # variables for this kernel only, on top of PASSED_ENV

    def __enter__(self) -> Sandbox:
        # Every sandbox's runtime folder lives under one base folder, of which each kernel sees only its own
        # (bubblewrap.host_view): a kernel must not find another grading's connection file and ipc sockets (it could
        # connect to them, since they are files, and run code in another student's kernel).
        self._tmp = Path(tempfile.mkdtemp(prefix="sandbox-", dir=bubblewrap.sandboxes_folder()))
        self.runtime = self._tmp / "runtime"
        self.runtime.mkdir()
        view = kernel_view()  # built once a submission (30 ms): the probe, the cold command and the zygote's share it
        self.uid = kernel_user(view=view)  # a root grader's kernel passes through these two, by name, to its files
        zygote_uid = kernel_user(zygote=True, view=view) if self.limits.warm else None
        if self.uid is not None:
            for folder in (self._tmp, self.runtime):
                os.chmod(folder, 0o711)
        self.argv = self.cold_argv = kernel_argv(self.workdir, self.runtime, self.limits, env=self.env, view=view)
        # forked from this worker's zygote, whose view and environment are a cold kernel's (the cold command kept: a
        # working folder of more files than a fork takes starts cold, which only its launch can tell)
        if self.limits.warm:
            zygote = warm_kernels.zygote_argv([*_dev_and_tmp(self.limits), *view], kernel_environment())
            if warm_kernels.ready(zygote, self.limits.memory, zygote_uid):
                self.argv = warm_kernels.kernel_spec(zygote, self.workdir, self.runtime, self.limits,
                                                     kernel_environment(self.env), RUNTIME_TMPFS, zygote_uid)
        return self

    def configure(self, config: Any) -> None:
        """Set ``config`` (a traitlets Config) to start this sandbox's kernel, and to judge in a sandbox too."""
        config.GradingKernelManager.kernel_argv = list(self.argv)
        config.GradingKernelManager.cold_kernel_argv = list(self.cold_argv)
        config.GradingKernelManager.runtime_dir = str(self.runtime)
        config.GradingKernelManager.transport = "ipc"
        config.GradingKernelManager.memory_limit = int(self.limits.memory)  # its processes together (.tree_guard)
        config.GradingKernelManager.kernel_uid = -1 if self.uid is None else self.uid
        config.JudgeTests.sandbox = True  # the judge too (dgmlab.grading.judge.judge_process)

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
