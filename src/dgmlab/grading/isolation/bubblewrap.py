"""What every bubblewrap sandbox of the grader is built from: a grading kernel's (:mod:`.kernel_sandbox`), the
judge's (:func:`dgmlab.grading.judge.judge_process.command`) and ``dgmlab pdf``'s Chromium's (:mod:`.printer_sandbox`).

- :func:`bwrap_command`: bwrap started through ``env -i``, so no secret of the grader's environment is inside.
- :func:`host_view`: the allow-list of this machine's folders a sandbox sees, all read-only: the system's programs
  and libraries (:data:`SYSTEM`, :data:`SYSTEM_FILES`), the Python environment that grades and dgmlab
  (:func:`environment_paths`; the judge's also the kit's hidden tests, :mod:`dgmlab.grading.hidden`), the kit's data
  folder. bwrap's root is an empty tmpfs, which :data:`SEAL` makes read-only once every mount is in place.
- :data:`NO_CAPABILITIES`; :func:`sandbox_root`, the path through which the grader sees inside a running sandbox;
  :func:`sandboxes_folder`, where the sandboxes' runtime folders live on this machine.
- :func:`kernel_uid`, :func:`zygote_uid` and :func:`as_user`: the host user a root grader's kernels run as,
  never root.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import homeworks
from dgmlab import probes

from ... import data as data_module
from .. import hidden

TMP_TMPFS = 1024 ** 2  # /tmp: room for the mount points made inside it (read-only once they are)
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # programs and libraries, read-only
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives",
                "/etc/fonts")  # of /etc, only what the dynamic loader, time zones and fonts read
def is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _outermost(paths: Iterable[str | Path | None]) -> list[Path]:
    """``paths`` (resolved, existing) without those inside another of them, shortest first."""
    found = sorted({Path(p).resolve() for p in paths if p and Path(p).exists()}, key=lambda p: len(p.parts))
    return [p for i, p in enumerate(found) if not any(is_inside(p, q) for q in found[:i])]


def environment_paths(grader: bool = False) -> list[Path]:
    """The Python environment that grades, as folders: this interpreter's prefixes (a venv and the Python it was
    made from), the folder of the real executable, dgmlab's own folder (``src/`` of an editable install) and the
    folder of each kit homework's checks (in a checkout ``homeworks/<hw>/checks/`` and the two ``__init__.py`` files
    above it, never the rest of ``homeworks/<hw>/``, which holds the solutions; in a wheel, in site-packages). With ``grader`` (the judge, never a kernel), in a
    checkout also each homework's hidden tests, ``homeworks/<hw>/hidden/`` (:mod:`dgmlab.grading.hidden`)."""
    dgmlab_root = Path(__file__).resolve().parents[3]  # dgmlab/grading/isolation/ in it: no import of dgmlab's face
    python = Path(os.path.realpath(sys.executable)).parent
    # homeworks.<hw>.checks with the two files that make it importable (homeworks/__init__.py and
    # homeworks/<hw>/__init__.py, descriptions only), never the rest of homeworks/<hw>/
    # in a wheel install homeworks.<hw> is a namespace package (no __init__.py, no origin): nothing of it to show
    specs = [importlib.util.find_spec(name) for hw in probes.KIT_HOMEWORKS
             for name in (homeworks.__name__, f"{homeworks.__name__}.{hw}", probes.checks_package(hw))]
    checks = [Path(spec.origin).resolve() for spec in specs if spec is not None and spec.origin]
    checks = [p.parent if p.parent.name == homeworks.CHECKS else p for p in checks]
    paths: list[str | Path | None] = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, python,
                                      dgmlab_root, *checks]
    if grader:
        paths += hidden.folders()
    return [p for p in _outermost(paths) if not any(is_inside(p, Path(s)) for s in SYSTEM if os.path.isdir(s))]


def import_roots() -> list[str]:
    """The ``PYTHONPATH`` of every sandbox that imports the kit (a grading kernel, the judge): the parent folders of
    ``dgmlab`` and ``homeworks`` as imported here, where not inside this Python's environment (a checkout: ``src/``
    and the checkout). Else the sandbox could import another checkout's, one this Python's editable install names,
    which it cannot see (every import of the kit failed). It binds nothing: of the checkout a sandbox sees only what
    :func:`environment_paths` binds. A namespace package (the wheels') has no ``__file__``."""
    roots = [str(Path(__file__).resolve().parents[3])]  # dgmlab's: this file is dgmlab/grading/isolation/bubblewrap.py
    roots += [str(Path(homeworks.__file__).resolve().parent.parent)] if getattr(homeworks, "__file__", 0) else []
    return [r for i, r in enumerate(roots) if r not in roots[:i] and not is_inside(Path(r), Path(sys.prefix))]


def host_view(data: bool = True, grader: bool = False) -> list[str]:
    """bwrap arguments that show a sandbox only what it may see of this machine, all read-only: the system's
    programs and libraries (:data:`SYSTEM`, :data:`SYSTEM_FILES`), the Python environment and dgmlab
    (:func:`environment_paths`) and, with ``data``, the kit's data folder (``DGMLAB_DATA``). Everything else
    (home folders, ``/root``, ``/tmp``, ``/work``, every course and checkout) does not exist there: bwrap's root
    is an empty tmpfs, which :data:`SEAL` makes read-only once every mount is in place."""
    args = []
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in SYSTEM_FILES:
        args += ["--ro-bind-try", path, path]
    for bound in environment_paths(grader):
        args += ["--ro-bind", str(bound), str(bound)]
    folder = os.environ.get(data_module.DATA_ENV)
    if data and folder and os.path.isdir(folder):
        args += ["--ro-bind", str(Path(folder).resolve()), str(Path(folder).resolve())]
    return args


def data_subfolder(name: str) -> tuple[list[str], list[str]]:
    """``(binds, env)``: bwrap arguments that show ``$DGMLAB_DATA/<name>`` read-only and nothing else of the data
    folder, and those that set ``DGMLAB_DATA`` inside to its parent; both empty where there is no such folder (what
    reads it then says the grader has no copy)."""
    folder = os.environ.get(data_module.DATA_ENV)
    found = Path(folder).resolve() / name if folder else None
    if found is None or not found.is_dir():
        return [], []
    return ["--ro-bind", str(found), str(found)], ["--setenv", data_module.DATA_ENV, str(found.parent)]


# /proc's folders that change the machine, not the sandbox: bwrap covers them only where it finds them writable by
# its own check, which a root grader's sandbox passed (an attacker's cold kernel, the machine's root, set
# kernel.core_pattern and had the host run a program as root). The host's, bound read-only over the sandbox's.
PROC_SYSTEM = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")


def read_only_proc_system() -> list[str]:
    """bwrap's arguments, after its ``--proc``, that make that ``/proc``'s :data:`PROC_SYSTEM` read-only (not the
    zygote's: Linux mounts each warm kernel's proc only where no mount covers part of one; the zygote covers them in
    each kernel itself)."""
    return [arg for path in PROC_SYSTEM for arg in ("--ro-bind-try", path, path)]


SEAL = ["--remount-ro", "/tmp", "--remount-ro", "/"]  # last: nothing but the sized tmpfs mounts may be written
# No capability inside, whoever starts the sandbox: bwrap started by root (a container, a CI machine, a SLURM node's
# root) otherwise leaves the sandbox root's capabilities, with which a cell unmounts the student view (the grader's
# references appear) or remounts a bound folder read-write (the venv, dgmlab's source: code the grader then runs).
NO_CAPABILITIES = ["--cap-drop", "ALL"]


@functools.cache
def no_user_namespaces() -> list[str]:
    """bwrap's arguments that let nothing in the sandbox make a user namespace (bubblewrap 0.8 and later): there a
    process is root of its own and may mount a tmpfs with no size, RAM no limit counts (an attacker's trial, the
    grader running as an ordinary user). ``[]`` where this bwrap cannot, or cannot here."""
    flags = ["--unshare-user", "--disable-userns"]
    try:  # tried, not only read from --help: a container may refuse what this bwrap offers
        tried = subprocess.run([shutil.which("bwrap") or "bwrap", "--ro-bind", "/", "/", *flags, "true"],
                               capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return flags if tried.returncode == 0 else []


def bwrap_command() -> list[str]:
    """How every sandbox starts bwrap: through ``env -i``, with no environment at all. ``--clearenv`` clears only
    the environment of the program bwrap runs; inside the sandbox ``/proc/1/environ`` is the environment bwrap
    itself was started with, so the grader's own (an LMS token, a key) must never be in it. What the sandbox's
    program needs is set with ``--setenv``."""
    return [shutil.which("env") or "/usr/bin/env", "-i", shutil.which("bwrap") or "bwrap"]


def sandbox_root(proc: Any, timeout: float = 10.0) -> str | None:
    """``/proc/<pid>/root`` of the first process inside the sandbox that ``proc`` (bwrap) starts: the path
    through which the grader sees the sandbox's own mounts (its runtime folder's sockets); ``None`` when bwrap
    made none within ``timeout`` seconds (it failed: the kernel never answers, as without the sandbox)."""
    import psutil

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            children = proc.children()
        except psutil.NoSuchProcess:
            return None
        if children:
            return f"/proc/{children[0].pid}/root"
        time.sleep(0.005)
    return None


def sandboxes_folder() -> Path:
    """The folder that holds every sandbox's runtime folder on this machine (hidden from every kernel). Others may
    pass through it (mode 711: a root grader's kernel user reaches its own sandbox's files by their random names),
    never list it; a folder of that name another user made first is refused (they could swap what is in it)."""
    base = Path(tempfile.gettempdir()) / "dgmlab-sandboxes"
    base.mkdir(mode=0o711, exist_ok=True)
    owner = os.lstat(base).st_uid
    if owner != os.geteuid() or base.is_symlink():
        raise RuntimeError(f"{base} belongs to user {owner}, not to this grader's: another user made it. Remove it, "
                           f"or point TMPDIR at a folder of the grader's own")
    os.chmod(base, 0o711)
    return base


# Linux counts some of a process's resources per host user, machine-wide, and a user namespace does not separate
# them: epoll watches (an attacker's kernel, run as root by a root grader, took all 5.5 M of root's, and every zmq
# socket of root's aborted meanwhile, the grader's and the machine's services), inotify instances, queued signals,
# processes. So a root grader starts each sandbox as a host user of its own, drawn at random from a range Linux
# distributions leave unused (systemd's "UID and GID ranges": 1879048192 up to its foreign range), never an account
# of this machine. Drawn, not derived from a process id: two graders in containers have workers of the same pid (an
# attacker's trial: one course's kernel took every epoll watch of another's).
KERNEL_UIDS = range(0x7000_0000, 0x7FFE_0000)


def kernel_uid() -> int | None:
    """A host user id for one sandbox, drawn anew at each call from :data:`KERNEL_UIDS` (none an account here holds),
    when the grader is root; ``None`` for an ordinary user (bwrap maps that user into the sandbox, so its kernels
    count as the grader), or where no draw is free."""
    if os.geteuid() != 0:
        return None
    for _ in range(16):
        uid = KERNEL_UIDS.start + secrets.randbelow(len(KERNEL_UIDS))
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    return None


@functools.cache
def zygote_uid() -> int | None:
    """This process's warm kernels' host user (:func:`kernel_uid`, drawn once: every kernel its zygote forks keeps
    the zygote's)."""
    return kernel_uid()


os.register_at_fork(after_in_child=zygote_uid.cache_clear)  # a forked worker draws its own


def as_user(uid: int | None) -> dict[str, Any]:
    """``subprocess.Popen``'s arguments that start a sandbox as the host user ``uid`` (its group too, no other
    group); ``{}`` for ``None``, the grader's own user."""
    return {} if uid is None else {"user": uid, "group": uid, "extra_groups": []}
