"""The grading kernel as an unprivileged user: the wall where bubblewrap cannot run (a Gradescope container
that allows no user namespaces), see :mod:`dgmlab.grading.gradescope.boundary`.

nbgrader's ``Execute`` starts this module as root (``GradingKernelManager.kernel_argv``) in the kernel's working
folder. It copies the connection file into a fresh folder of the kernel user's own (which is also its ``HOME`` and
``TMPDIR``), gives that user the working folder, clears the environment down to what a kernel needs, drops every
group and both ids for good (no new privileges after, so no setuid program gives them back), and runs the kernel
under ``prlimit`` (address space, largest file). The kernel cannot read the grader's files (``/autograder/source``
and the grader's packages are root's, mode 700: ``setup.sh``), nor touch the grader's or the judge's processes,
which are root's.

    python -I <this file> --uid U --gid G --memory BYTES --file-size BYTES -- CONNECTION
"""
from __future__ import annotations

import argparse
import ctypes
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence

PR_SET_NO_NEW_PRIVS = 38  # linux/prctl.h
KEPT_ENV = ("LANG", "LC_ALL", "DGMLAB_DATA", "DGMLAB_FAST", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
            "OMP_NUM_THREADS")  # as the sandbox passes them (.kernel_sandbox.PASSED_ENV)
# The kernel's Python arguments: ``-m ipykernel_launcher``, but with pyzmq's garbage collector (a thread and a zmq
# context, what a large output's zero-copy send needs) started first. Started lazily at the first large output, after
# a cell that took all of the kernel's memory and kept it, libzmq cannot allocate it and aborts the kernel: the whole
# submission would fail instead of the cells that needed memory (a warm kernel starts it too: .zygote).
IPYKERNEL = ("-c", "from zmq.utils.garbage import gc; gc.start(); from ipykernel import kernelapp; "
                   "kernelapp.launch_new_instance()")


def kernel_env(environ: Mapping[str, str], home: str) -> dict[str, str]:
    """The kernel's environment: only :data:`KEPT_ENV` of ``environ`` (never a key or a token the grader holds),
    with the settings of a grading kernel."""
    env = {k: environ[k] for k in KEPT_ENV if k in environ}
    env.update({"PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin", "HOME": home,
                "TMPDIR": home, "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(home, "matplotlib"),
                "USER": "student", "NBGRADER_EXECUTION": "autograde", "PYTHONSAFEPATH": "1"})
    return env


def kernel_argv(args: argparse.Namespace, connection: str, extra: Iterable[str] = ()) -> list[str]:
    """ipykernel under prlimit; ``extra``: the arguments the kernel manager adds after the connection file
    (nbclient's ``--HistoryManager.hist_file=:memory:``)."""
    return ["prlimit", f"--as={args.memory}", f"--fsize={args.file_size}", "--", sys.executable, *IPYKERNEL,
            "-f", connection, *extra]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dgmlab.grading.isolation.user_kernel")
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--gid", type=int, required=True)
    parser.add_argument("--memory", type=int, required=True, help="bytes of address space")
    parser.add_argument("--file-size", type=int, required=True, help="bytes of the largest file written")
    parser.add_argument("connection", help="the kernel's connection file (root's, mode 600)")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="passed on to ipykernel")
    args = parser.parse_args(argv)
    if args.uid == 0 or args.gid == 0:
        sys.exit("dgmlab user_kernel: refusing to run a grading kernel as root")
    with open(args.connection, "rb") as f:
        connection = f.read()
    home = tempfile.mkdtemp(prefix="dgmlab-kernel-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
    copy = os.path.join(home, "kernel.json")
    with open(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        f.write(connection)
    for path in (home, copy, os.getcwd()):
        os.chown(path, args.uid, args.gid, follow_symlinks=False)
    os.chmod(os.getcwd(), 0o700)
    env = kernel_env(os.environ, home)
    os.setgroups([])
    os.setgid(args.gid)
    os.setuid(args.uid)
    if os.getuid() != args.uid or os.geteuid() != args.uid:
        sys.exit("dgmlab user_kernel: could not drop to the kernel user")
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    argv = kernel_argv(args, copy, args.extra)
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":
    main()
