"""The sandbox ``dgmlab pdf <hw>`` prints each submission in: headless Chromium walled as a grading kernel is.

:func:`argv` is the ``bwrap`` command line (up to the program) that :class:`dgmlab.pdf.Chromium` is started under
(its ``sandbox``): of this machine, the system's programs, libraries and fonts (:data:`.bubblewrap.SYSTEM`,
MathJax among them), the files of ``/etc`` the loader and fonts read and Chromium's own settings, and the folder of
the pages it prints (at :data:`dgmlab.pdf.PAGES_INSIDE`), all read-only, in an empty root that is read-only once
built; ``/dev``, ``/proc`` and sized tmpfs ``/tmp``, ``/var/tmp`` (its ``HOME`` and profile) and ``/dev/shm`` of its
own. New namespaces (no network: ``--unshare-net``), no capability, a cleared environment, a user that is not root
inside (so that Chromium's own sandbox runs inside bubblewrap's). No course folder, home, ``/tmp`` or other
submission is there. The student package (``dgmlab.pdf``) never imports this: the command hands it in.
"""
from __future__ import annotations

import os
from pathlib import Path

from ...pdf import PAGES_INSIDE
from . import bubblewrap, kernel_sandbox

SANDBOX_UID = 1000  # Chromium's user inside: not root, so that Chromium's own sandbox starts there
CHROMIUM_FILES = ("/etc/chromium.d", "/etc/chromium")  # what Debian's chromium launcher script reads
TMPFS = kernel_sandbox.DEFAULT_TMPFS  # bytes each of its tmpfs /var/tmp (profile, cache) and /dev/shm may hold


def argv(binary: str, pages: Path, mathjax: Path) -> list[str]:
    """``bwrap ... --`` for Chromium ``binary`` printing the pages in ``pages`` with ``mathjax`` (``MathJax.js``);
    a binary or a MathJax outside the system's folders has its own folder bound in, read-only."""
    size = str(TMPFS)
    args = [*bubblewrap.bwrap_command(), "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
            "--proc", "/proc", *bubblewrap.read_only_proc_system(), "--size", size, "--tmpfs", "/var/tmp", "--size", str(bubblewrap.TMP_TMPFS), "--tmpfs", "/tmp"]
    for path in bubblewrap.SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in (*bubblewrap.SYSTEM_FILES, *CHROMIUM_FILES):
        args += ["--ro-bind-try", path, path]
    system = [Path(p) for p in bubblewrap.SYSTEM if os.path.isdir(p) and not os.path.islink(p)]
    for folder in sorted({Path(binary).resolve().parent, Path(mathjax).resolve().parent}):
        if not any(bubblewrap.is_inside(folder, p) for p in system):
            args += ["--ro-bind", str(folder), str(folder)]
    args += ["--ro-bind", str(Path(pages).resolve()), PAGES_INSIDE, *bubblewrap.SEAL, "--chdir", "/var/tmp",
             "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
             *bubblewrap.NO_CAPABILITIES, "--new-session", "--die-with-parent", "--clearenv",
             "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/var/tmp", "--setenv", "TMPDIR", "/var/tmp",
             "--setenv", "LANG", "C.UTF-8", "--"]
    return args


def available() -> tuple[bool, str]:
    """Whether bubblewrap can build the grading kernel's sandbox here (:func:`.kernel_sandbox.available`),
    and if not, why."""
    return kernel_sandbox.available()
