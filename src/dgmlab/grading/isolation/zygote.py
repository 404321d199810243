"""The warm kernels' zygote: one process per grading worker that imports what a kernel needs once, then forks a fresh,
walled kernel for each submission (:mod:`.warm_kernels` starts it and talks to it).

It runs inside bubblewrap with the kernel's own view (:func:`.kernel_sandbox.kernel_argv`'s host view, student view
and cleared environment) and one capability, ``CAP_SYS_ADMIN`` in bwrap's user namespace, which it needs to build
each kernel's walls and which no kernel keeps. It is started as a script (``python zygote.py FD``) because the
student view hides ``dgmlab.grading``: this file uses the standard library only. It imports the modules it is told,
with every native library held to one thread, checks that it has one thread, and then serves requests on the unix
socket ``FD`` (``SOCK_SEQPACKET``): one JSON message with the submission's files as file descriptors (never read
here: no submission's bytes ever sit in the zygote's memory, which every later kernel inherits), answered with a
pidfd of the kernel's first process. It never runs a cell.

Each kernel, in its own fork (:func:`_kernel_first`):

1. closes every descriptor but those of the request, enters a new mount namespace and builds a new root: a fresh
   tmpfs into which the zygote's view is bound again mount by mount (read-only as it was), with its own sized
   ``/tmp``, ``/var/tmp``, ``/dev/shm``, working folder (the submission's files copied in, then bound read-only, as
   the cold sandbox binds them), runtime folder (its connection file; its ipc sockets) and no ``/proc`` yet; it pivots
   into it, so the zygote's own root (and this script) is gone;
2. enters a new PID namespace and forks its first process (:func:`_kernel_init`), which mounts a ``/proc`` that
   shows only the kernel's own processes, then enters new user, network, IPC, UTS and cgroup namespaces, drops every
   capability and the bounding set, sets ``no_new_privs``, the address-space and file-size limits, a new session and
   the kernel's environment, and forks the kernel (:func:`_start_kernel`), reaping orphans as PID 1 until it ends;
   when PID 1 ends, every process of the namespace is killed with it.

The grader kills the first fork with its whole tree at the time limit (:func:`.kernels.stop_kernels`).
"""
from __future__ import annotations

import ctypes
import fcntl
import gc
import importlib
import importlib.util
import json
import os
import random
import resource
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Collection, Iterable
from typing import Any

from zmq.utils import garbage as zmq_garbage

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 8, 32, 4096, 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPABILITY_VERSION_3 = 0x20080522
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217}.get(os.uname().machine)
# the machines whose kernels get the seccomp filter (kernel_seccomp: no user namespace, no keyring); elsewhere the
# zygote starts no kernel (its answer says why), and kernels start cold
SECCOMP_SYSCALLS = {  # (audit arch, unshare, clone, clone3, (add_key, request_key, keyctl), OTHERS_REFUSED's)
    "x86_64": (0xC000003E, 272, 56, 435, (248, 249, 250), (101, 310, 311, 253, 294, 300, 425, 426, 427)),
    "aarch64": (0xC00000B7, 97, 220, 435, (217, 218, 219), (117, 270, 271, 26, 262, 425, 426, 427)),
}.get(os.uname().machine)
# the other calls a kernel is refused (EPERM), by name: another process's memory (a cold sandbox's PID 1, before
# --as-pid-1, was bwrap, unfiltered: an attacker's kernel made its calls through it), the notification instances
# whose limits count per user across the machine (a kernel whose user is root held all 128 of root's), and io_uring
# (as Docker's default profile): its registered files held 96,000 open files past the 1,024 a process may open
OTHERS_REFUSED = ("ptrace", "process_vm_readv", "process_vm_writev", "inotify_init (x86_64)", "inotify_init1",
                  "fanotify_init", "io_uring_setup", "io_uring_enter", "io_uring_register")
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
SIOCSIFFLAGS, IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x8914, 0x1, 0x8, 0x40
NEW_ROOT = "/.dgmlab-zygote/root"  # an empty folder of the zygote's view, where each kernel builds its root
# never bound from the zygote's view (its /proc is, so that the kernel's own may be mounted over it: Linux mounts a
# proc in a user namespace only where one is fully visible already)
FRESH = ("/tmp", "/var/tmp", "/dev/shm", "/.dgmlab-zygote")
MAX_REQUEST = 1 << 20  # bytes of one request message
# descriptors each process of a kernel may hold (soft and hard): with pids.max 512 (.kernel_cgroup), at most about
# 0.5 M of the machine's file table (fs.file-max, 2.4 M on a 24 GiB machine), which an attacker's trial filled with
# 140 processes (another submission's bwrap then failed: "Too many open files in system")
MAX_OPEN_FILES = 1024
PROC_SYSTEM = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")  # read-only (.bubblewrap.PROC_SYSTEM)
# queued signals: the count is per user across the machine, the limit each process's; a kernel whose user is root
# queued 96,000 and every root process's timer_create failed meanwhile (an attacker's trial): it stops at this many
MAX_QUEUED_SIGNALS = 1024
MAX_FDS = 250  # descriptors of one request (SCM_RIGHTS carries at most 253)
LOAD_FAILED = 71  # exit status of a kernel whose walls could not be built


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


LIBC = _libc()
LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
LIBC.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _encoded(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(LIBC.mount(_encoded(source), _encoded(target), _encoded(fstype), flags, _encoded(data)),
           f"mount {target}")


def unshare(flags: int) -> None:
    _check(LIBC.unshare(flags), f"unshare {flags:#x}")


def tmpfs(target: str, size: int, mode: str = "0755") -> None:
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size)},mode={mode}")


def remount(target: str, flags: int) -> None:
    mount(None, target, None, MS_REMOUNT | MS_BIND | flags, None)


# ------------------------------------------------------------------ the new root
def _unescape(field: str) -> str:
    """A path as /proc/self/mountinfo writes it (space, tab, newline and backslash octal-escaped)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


MOUNT_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}


def top_mounts() -> list[tuple[str, int]]:
    """``[(mount point, flags)]`` of the mounts right on the zygote's root (each with what is mounted below it)."""
    rows = [line.split() for line in open("/proc/self/mountinfo", encoding="utf-8").read().splitlines()]
    root_id = next(row[0] for row in rows if _unescape(row[4]) == "/")
    found = []
    for row in rows:
        point = _unescape(row[4])
        if row[1] != root_id or row[0] == root_id or any(point == f or point.startswith(f + "/") for f in FRESH):
            continue
        flags = sum(MOUNT_FLAGS.get(opt, 0) for opt in row[5].split(","))
        found.append((point, flags))
    return found


def _copy_skeleton(base: str) -> None:
    """The zygote root's own folders and links (bwrap's ``--symlink`` ones: ``/bin -> usr/bin``) in ``base``."""
    device = os.lstat("/").st_dev
    todo = ["/"]
    while todo:
        folder = todo.pop()
        for entry in os.scandir(folder):
            if any(entry.path == f or entry.path.startswith(f + "/") for f in FRESH):
                continue
            info = entry.stat(follow_symlinks=False)
            if info.st_dev != device:
                continue
            target = base + entry.path
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
            elif entry.is_dir(follow_symlinks=False):
                os.makedirs(target, exist_ok=True)
                todo.append(entry.path)


def _mount_point(target: str, like: str) -> None:
    """Make ``target`` (a folder, or an empty file where ``like`` is not a folder) with its parents."""
    if os.path.lexists(target):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.isdir(like):
        os.mkdir(target)
    else:
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))


def _bind_view(base: str) -> None:
    """Bind every top mount of the zygote's view into ``base`` again, with what is below it (a bind keeps each mount's
    flags: read-only stays read-only)."""
    for point, _flags in top_mounts():
        target = base + point
        _mount_point(target, point)
        mount(point, target, None, MS_BIND | MS_REC)


def _copy_in(fd: int, path: str) -> None:
    with os.fdopen(fd, "rb") as source, open(path, "wb") as dest:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                return
            dest.write(chunk)


def _working_folder(base: str, request: dict[str, Any], fds: list[int]) -> None:
    """The working folder: a sized tmpfs with each of the request's files copied in (into a tmpfs of their own, not
    counted against the folder's size, as the cold sandbox's binds are not) and bound there read-only."""
    workdir = base + request["workdir"]
    _mount_point(workdir, "/")
    tmpfs(workdir, request["tmpfs"])
    stage = base + "/.dgmlab-files"
    os.mkdir(stage)
    tmpfs(stage, request["files_bytes"] + (1 << 20) * (1 + len(fds)), "0700")
    for name, fd in zip(request["files"], fds):
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"not a file name: {name!r}")
        _copy_in(fd, f"{stage}/{name}")
        os.close(os.open(f"{workdir}/{name}", os.O_CREAT | os.O_WRONLY, 0o644))
        mount(f"{stage}/{name}", f"{workdir}/{name}", None, MS_BIND)
        remount(f"{workdir}/{name}", MS_RDONLY | MS_NOSUID | MS_NODEV)
    _check(LIBC.umount2(os.fsencode(stage), MNT_DETACH), "umount the files' stage")
    os.rmdir(stage)


def _runtime_folder(base: str, request: dict[str, Any]) -> None:
    """The runtime folder: a small tmpfs holding the connection file, read-only; the kernel makes its sockets there."""
    runtime = base + request["runtime"]
    _mount_point(runtime, "/")
    tmpfs(runtime, request["runtime_tmpfs"])
    connection = base + request["connection_file"]
    with open(os.open(connection, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600), "w", encoding="utf-8") as f:
        f.write(request["connection"])
    mount(connection, connection, None, MS_BIND)
    remount(connection, MS_RDONLY | MS_NOSUID | MS_NODEV)


def build_root(request: dict[str, Any], fds: list[int]) -> None:
    """In a new mount namespace, a new root of this kernel's own (see the module, step 1), and pivot into it."""
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    base = NEW_ROOT
    tmpfs(base, 1 << 20)
    _copy_skeleton(base)
    _bind_view(base)
    for folder, size in (("/tmp", request["tmp_tmpfs"]), ("/var/tmp", request["tmpfs"]),
                         ("/dev/shm", request["tmpfs"])):
        _mount_point(base + folder, "/")
        tmpfs(base + folder, size, "1777")
    _working_folder(base, request, fds)
    _runtime_folder(base, request)
    remount(base + "/tmp", MS_RDONLY | MS_NOSUID | MS_NODEV)
    remount(base, MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(base)
    _check(LIBC.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(LIBC.umount2(b".", MNT_DETACH), "umount the zygote's root")
    os.chdir("/")


# ------------------------------------------------------------------ the kernel's other walls
def _own_proc() -> None:
    """A ``/proc`` of the new PID namespace (only the kernel's processes), its system folders read-only."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for folder in PROC_SYSTEM:
        if os.path.exists(folder):
            mount(folder, folder, None, MS_BIND | MS_REC)
            remount(folder, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _own_user() -> None:
    """New user, network, IPC, UTS and cgroup namespaces: this user mapped to itself, a loopback of its own."""
    uid, gid = os.geteuid(), os.getegid()
    unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)
    for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as f:
            f.write(text)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING))


def drop_capabilities() -> None:
    """No capability left, none to gain: the bounding and ambient sets emptied, then every set; ``no_new_privs``."""
    last = int(open("/proc/sys/kernel/cap_last_cap", encoding="ascii").read())
    for cap in range(last + 1):
        _check(LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"drop capability {cap} from the bounding set")
    _check(LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear the ambient capabilities")
    header = struct.pack("Ii", CAPABILITY_VERSION_3, 0)
    _check(LIBC.capset(ctypes.c_char_p(header), ctypes.c_char_p(bytes(24))), "capset")
    _check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def kernel_filter(arch: int, unshare_nr: int, clone_nr: int, clone3_nr: int, *refused: Iterable[int]) -> bytes:
    """A seccomp program (``struct sock_filter[]``): ``unshare`` and ``clone`` asking for a new user namespace fail
    with EPERM; ``clone3``, whose flags a filter cannot read, fails with ENOSYS (glibc then uses ``clone``, as under
    Docker's default profile); the calls of each group ``refused`` fail with EPERM (the kernel keyrings: a kernel whose
    user is the machine's root reached root's own keyrings, kernel memory no cgroup counts, kept after the grading and
    read by the next submission's kernel: an attacker's trial; :data:`OTHERS_REFUSED`); another arch's calls (i386's through ``int 0x80``, whose
    numbers differ) and on x86_64 the x32 calls fail; everything else is allowed."""
    ld, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    Op = tuple[str, int, int, str, str]  # (its label, code, k, where to go if true, if false; "" is the next)
    program: list[Op] = [
        ("", ld, 4, "", ""),                             # arch
        ("", jeq, arch, "", "enosys"),                   # another arch (i386's int 0x80): refused
        ("", ld, 0, "", ""),                             # the syscall's number
        ("", jset, 0x40000000, "eperm", ""),             # an x32 call
        ("", jeq, clone3_nr, "enosys", ""),
        *(("", jeq, nr, "eperm", "") for group in refused for nr in group),
        ("", jeq, unshare_nr, "flags", ""),
        ("", jeq, clone_nr, "flags", "allow"),
        ("flags", ld, 16, "", ""),                       # the low half of the first argument (flags, little-endian)
        ("", jset, CLONE_NEWUSER, "eperm", "allow"),
        ("allow", ret, allow, "", ""),
        ("eperm", ret, eperm, "", ""),
        ("enosys", ret, enosys, "", ""),
    ]
    where = {label: i for i, (label, *_) in enumerate(program) if label}
    out = []
    for i, (_, code, k, yes, no) in enumerate(program):
        jt, jf = (where[label] - i - 1 if label else 0 for label in (yes, no))
        out.append(struct.pack("HBBI", code, jt, jf, k))
    return b"".join(out)


def kernel_seccomp() -> None:
    """Install :func:`kernel_filter` on this process and all it starts (``no_new_privs`` set here: it needs it).
    A kernel that is to make no user namespace and reach no keyring runs it before any of a submission's code."""
    if SECCOMP_SYSCALLS is None:
        raise OSError(f"no seccomp filter for {os.uname().machine}")
    program = kernel_filter(*SECCOMP_SYSCALLS)
    _check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    buffer = ctypes.create_string_buffer(program)
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _check(LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp filter")


def seccomp_prelude() -> str:
    """Python (standard library only) that installs :func:`kernel_filter` on the process that runs it, or exits saying
    why: what a cold kernel's interpreter runs first (:func:`.kernel_sandbox.kernel_argv`), before any of a
    submission's code, as a warm kernel's first process does with :func:`kernel_seccomp`."""
    if SECCOMP_SYSCALLS is None:
        return f"raise SystemExit('dgmlab: no seccomp filter for {os.uname().machine}')\n"
    program = kernel_filter(*SECCOMP_SYSCALLS).hex()
    return ("import ctypes as _c, struct as _s\n"
            "_l = _c.CDLL(None, use_errno=True)\n"
            f"_b = _c.create_string_buffer(bytes.fromhex('{program}'))\n"
            f"_f = _s.pack('@HP', {len(program) // 16}, _c.addressof(_b))\n"
            f"if _l.prctl({PR_SET_NO_NEW_PRIVS}, 1, 0, 0, 0) or _l.prctl({PR_SET_SECCOMP}, {SECCOMP_MODE_FILTER}, "
            "_f, 0, 0):\n"
            "    raise SystemExit('dgmlab: the kernel could not install its seccomp filter: ' + __import__('os')"
            ".strerror(_c.get_errno()))\n"
            "del _c, _s, _l, _b, _f\n")


def _die_with_parent() -> None:
    parent = os.getppid()
    _check(LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "parent-death signal")
    if os.getppid() != parent:
        os._exit(0)


def _only_fds(keep: Collection[int]) -> None:
    """Close every descriptor but 0, 1, 2 and ``keep``."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _where(exc: BaseException) -> str:
    """Where ``exc`` was raised: ``function:line``."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_name}:{tb.tb_lineno}" if tb is not None else "?"


def _report(text: str) -> None:
    """Say ``text`` on the zygote's standard error (the grading worker's), its control characters escaped: it may
    quote a submission's file names."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    try:
        os.write(2, f"dgmlab warm kernel: {text}\n".encode(errors="backslashreplace"))
    except OSError:
        pass


def _no_grader_streams() -> None:
    """Standard input, output and error on /dev/null. The zygote's standard error is the grading worker's, often
    the instructor's terminal: a kernel holding it could read what is typed there, stop the terminal's output (and
    with it the whole class's run) or rewrite the grader's log (an attacker's trial did all three)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


# ------------------------------------------------------------------ the processes of one kernel
def _kernel_first(message: bytes, fds: list[int]) -> None:
    """The request's first fork (the process the grader holds and kills): its root, a new PID namespace, and there
    the kernel's first process (:func:`_kernel_init`), whose exit status it takes. Never returns."""
    code = LOAD_FAILED
    try:
        _die_with_parent()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _only_fds(set(fds))
        request = json.loads(message)
        build_root(request, fds)
        unshare(CLONE_NEWPID)
        pid = os.fork()
        if pid == 0:
            _kernel_init(request)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
    except BaseException as exc:  # noqa: BLE001 (a kernel that cannot be walled never starts: say why)
        _report(f"the kernel's walls could not be built, so it was not started: {exc!r} ({_where(exc)})")
    finally:
        os._exit(code if code >= 0 else 128 - code)


def _kernel_init(request: dict[str, Any]) -> None:
    """PID 1 of the kernel's namespace: its ``/proc``, the other namespaces, no capability, the limits; then the
    kernel in a fork of its own, whose orphans it reaps until the kernel ends. Never returns."""
    code = LOAD_FAILED
    try:
        _die_with_parent()
        _own_proc()
        _own_user()
        drop_capabilities()
        kernel_seccomp()
        for limit, value in ((resource.RLIMIT_AS, request["memory"]), (resource.RLIMIT_FSIZE, request["file_size"]),
                             (resource.RLIMIT_NOFILE, MAX_OPEN_FILES), (resource.RLIMIT_SIGPENDING, MAX_QUEUED_SIGNALS)):
            resource.setrlimit(limit, (value, value))
        os.setsid()
        _die_with_parent()  # entering the user namespace cleared it
        _no_grader_streams()  # from here on nothing in the kernel's namespace holds the grader's (this one neither)
        pid = os.fork()
        if pid == 0:
            _start_kernel(request)
        while True:
            done, status = os.wait()
            if done == pid:
                code = os.waitstatus_to_exitcode(status)
                break
    except BaseException as exc:  # noqa: BLE001
        _report(f"the kernel's walls could not be built, so it was not started: {exc!r} ({_where(exc)})")
    finally:
        os._exit(code if code >= 0 else 128 - code)


def _zmq_collector() -> None:
    """Start pyzmq's garbage collector in the kernel before any cell runs, as a cold kernel does
    (``user_kernel.IPYKERNEL`` says why)."""
    if not zmq_garbage.gc.is_alive():
        zmq_garbage.gc.start()


def fresh_random() -> None:
    """Seed every generator the zygote imported from the system's entropy, as a kernel started cold is: else every
    kernel forked from it would draw the same numbers."""
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.seed()


def _start_kernel(request: dict[str, Any]) -> None:
    """The kernel: its working folder, environment and standard streams, then ipykernel's app with the connection
    file, as ``python -m ipykernel_launcher -f ...`` would start it. Never returns."""
    code = 0
    try:
        os.chdir(request["workdir"])
        os.environ.clear()
        os.environ.update(request["env"])
        _only_fds(())  # its standard streams are /dev/null already (_kernel_init)
        _zmq_collector()
        fresh_random()
        tempfile.tempdir = None
        kernelapp = sys.modules.get("ipykernel.kernelapp") or importlib.import_module("ipykernel.kernelapp")
        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin,  # type: ignore[union-attr,list-item]
                    *request["argv"]]
        kernelapp.launch_new_instance()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001
        _report(f"the kernel stopped: {exc!r}")
        code = 1
    finally:
        os._exit(code)


# ------------------------------------------------------------------ the zygote
def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def address_space() -> int:
    """Bytes of address space this process holds (``VmSize``): what a kernel forked from it starts with, counted
    against its memory limit (``RLIMIT_AS``)."""
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))


def warm(modules: Iterable[str]) -> None:
    """Import ``modules`` (those that are installed), torch with one thread, then keep what was made out of the
    garbage collector's reach, so that a fork copies fewer pages."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 (a kernel imports it itself, as a cold one does)
            _report(f"{name} was not loaded ahead: {exc!r}")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    gc.collect()
    gc.freeze()


def _answer(channel: socket.socket, answer: dict[str, Any], fds: Iterable[int] = ()) -> None:
    socket.send_fds(channel, [json.dumps(answer).encode()], list(fds))


def serve(channel: socket.socket) -> None:
    """Fork a kernel for each request (see the module) until the channel closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernels' first forks: nobody here waits for them
    while True:
        message, fds, _flags, _addr = socket.recv_fds(channel, MAX_REQUEST, MAX_FDS)
        if not message:
            return
        if threads() != 1:
            for fd in fds:
                os.close(fd)
            _answer(channel, {"refused": f"the zygote has {threads()} threads: it forks from one only"})
            continue
        pid = os.fork()
        if pid == 0:
            _kernel_first(message, fds)
        del message
        for fd in fds:
            os.close(fd)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as exc:
            _answer(channel, {"refused": f"the kernel's first process ended at once ({exc})"})
            continue
        _answer(channel, {"pid": pid}, [pidfd])
        os.close(pidfd)


def main(argv: list[str] | None = None) -> None:
    """``zygote.py FD MODULES``: load ``MODULES`` (comma-separated), say ready on the socket ``FD``, then serve."""
    argv = sys.argv[1:] if argv is None else argv
    channel = socket.socket(fileno=int(argv[0]))
    if SYS_PIVOT_ROOT is None or SECCOMP_SYSCALLS is None:
        _answer(channel, {"refused": f"the zygote does not know pivot_root's or seccomp's numbers on "
                                     f"{os.uname().machine}"})
        return
    start = time.monotonic()
    warm([name for name in argv[1].split(",") if name])
    if threads() != 1:
        _answer(channel, {"refused": f"the zygote has {threads()} threads after its imports: it forks from one only"})
        return
    _answer(channel, {"ready": True, "seconds": round(time.monotonic() - start, 3), "address_space": address_space()})
    serve(channel)


if __name__ == "__main__":
    main()
