"""Isolation for autograding: what a student's code can reach while nbgrader runs it.

nbgrader executes a submission as the instructor, in a Jupyter kernel it
starts itself. With bubblewrap (``bwrap``, Debian package ``bubblewrap``)
``dgmlab autograde`` adds two walls:

1. **No network.** The whole ``nbgrader autograde`` process for one
   submission runs in a fresh network namespace: loopback only, so nbgrader
   still talks to its kernel, and nothing else is reachable.
2. **A private file view for the kernel.** nbgrader is told to start the
   kernel through a kernelspec whose command is ``bwrap ... python -m
   ipykernel_launcher``. Inside, the machine is read-only; the course
   directory is replaced by an empty one except the submission's own
   ``autograded/<student>/<hw>/`` (writable) and, read-only, the Python
   environment and dgmlab if they live inside the course. So ``source/``,
   ``release/``, ``gradebook.db``, ``tools/`` and other students' folders
   are invisible. Everything else is read-only (``/tmp`` included: the
   kernel's connection file lives there); ``TMPDIR`` and ``HOME`` point at a
   private ``/var/tmp``; the environment is cleared (no inherited secrets),
   and PID/IPC namespaces are new.
3. **Limits.** The kernel runs under ``prlimit``: address space
   (``--memory``, default 8 GiB: torch alone maps about 4 GiB), largest file
   it may write (default 256 MiB), and the wall clock of the whole
   submission is enforced by the caller.

Not isolated: the rest of the machine's files stay readable (read-only), the
kernel runs as the same user, and CPU time is shared. Where ``bwrap`` is
missing or user namespaces are off, grading goes on unsandboxed and says so
loudly.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

KERNEL_NAME = "dgmlab-sandbox"
DEFAULT_MEMORY = 8 * 1024 ** 3
DEFAULT_FILE_SIZE = 256 * 1024 ** 2
PASSED_ENV = ("LANG", "LC_ALL", "DGMLAB_DATA", "DGMLAB_FAST", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
              "OMP_NUM_THREADS")


@dataclass
class Limits:
    memory: int = DEFAULT_MEMORY  # bytes of address space for the kernel
    file_size: int = DEFAULT_FILE_SIZE  # bytes: the largest file the kernel may write


def available() -> tuple[bool, str]:
    """Whether bubblewrap can build the sandbox here, and if not, why."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    if not shutil.which("prlimit"):
        return False, "prlimit (util-linux) is not installed"
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net",
                            "--unshare-pid", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return False, f"bwrap cannot create namespaces here ({probe.stderr.strip()[:200]})"
    return True, "bubblewrap sandbox"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def hidden_roots(course_root: Path, hide=()) -> list[Path]:
    """The folders the kernel sees as empty: the course it grades and ``hide`` (those that exist), outermost only."""
    roots = []
    for path in [Path(course_root), *map(Path, hide)]:
        if path.exists():
            roots.append(path.resolve())
    roots = sorted(set(roots), key=lambda p: len(p.parts))
    return [p for i, p in enumerate(roots) if not any(_inside(p, q) for q in roots[:i])]


def kernel_argv(course_root: Path, workdir: Path, runtime_dir: Path, limits: Limits, hide=()) -> list[str]:
    """The kernel command: ipykernel under prlimit inside bwrap (see module docstring).

    ``hide``: more folders the kernel must see empty (a grading worker hides the instructor's course
    and every worker's scratch folder, not only the scratch course it grades in).
    """
    course_root = course_root.resolve()
    roots = hidden_roots(course_root, hide)
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/var/tmp"]
    for root in roots:
        args += ["--tmpfs", str(root)]
    keep = {Path(sys.prefix).resolve()}
    import dgmlab

    dgmlab_root = Path(dgmlab.__file__).resolve().parent.parent  # src/ of an editable install
    keep.add(dgmlab_root)
    for path in sorted(keep):
        if any(_inside(path, root) for root in roots):
            args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(workdir.resolve()), str(workdir.resolve()),
             "--ro-bind", str(runtime_dir), str(runtime_dir),
             "--chdir", str(workdir.resolve()),
             "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--new-session", "--die-with-parent",
             "--clearenv",
             "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
             "--setenv", "HOME", "/var/tmp", "--setenv", "TMPDIR", "/var/tmp", "--setenv", "MPLBACKEND", "Agg",
             "--setenv", "MPLCONFIGDIR", "/var/tmp/matplotlib",
             "--setenv", "NBGRADER_EXECUTION", "autograde", "--setenv", "DGMLAB_SANDBOX", "1"]
    for name in PASSED_ENV:
        if name in os.environ:
            args += ["--setenv", name, os.environ[name]]
    if not _inside(dgmlab_root, Path(sys.prefix)):
        # the kernel must import the dgmlab that grades (a checkout on PYTHONPATH, not another install)
        args += ["--setenv", "PYTHONPATH", str(dgmlab_root)]
    args += ["--", "prlimit", f"--as={limits.memory}", f"--fsize={limits.file_size}", "--",
             sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return args


class Sandbox:
    """Per-submission sandbox files: a kernelspec and a runtime folder, removed on exit."""

    def __init__(self, course_root: Path, workdir: Path, limits: Limits | None = None, hide=()):
        self.course_root = Path(course_root)
        self.workdir = Path(workdir)
        self.limits = limits or Limits()
        self.hide = list(hide)

    def __enter__(self):
        self._tmp = Path(tempfile.mkdtemp(prefix="dgmlab-sandbox-"))
        runtime = self._tmp / "runtime"
        runtime.mkdir()
        spec_dir = self._tmp / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        # interrupt by message: a signal to bwrap's process group would not reach the kernel inside
        spec = {"argv": kernel_argv(self.course_root, self.workdir, runtime, self.limits, self.hide),
                "display_name": "dgmlab sandbox", "language": "python", "interrupt_mode": "message"}
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
        self.env = {"JUPYTER_PATH": str(self._tmp), "JUPYTER_RUNTIME_DIR": str(runtime)}
        self.nbgrader_args = [f"--Execute.kernel_name={KERNEL_NAME}"]
        return self

    def wrap(self, cmd: list[str]) -> list[str]:
        """``cmd`` run in a network namespace of its own (loopback only)."""
        return ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", "--", *cmd]

    def __exit__(self, *exc):
        shutil.rmtree(self._tmp, ignore_errors=True)
