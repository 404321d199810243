"""Which wall keeps a submission's kernel from the grader in a Gradescope container, decided per submission.

1. **bubblewrap** (:mod:`dgmlab.grading.isolation.kernel_sandbox`), where the container lets it build its namespaces: the kernel and
   the judge as under ``dgmlab autograde``.
2. **An unprivileged user**, where bubblewrap cannot run but the grader runs as root (Gradescope runs
   ``run_autograder`` as root): the kernel runs as :data:`KERNEL_USER` (``setup.sh`` makes it; else ``nobody``)
   through :mod:`dgmlab.grading.isolation.user_kernel`, with the address-space and file-size limits, in a working folder of its own. It
   cannot read ``/autograder/source`` (the bundle's grading files and the course's draw key: root's, mode 700) nor
   the grader's packages (``dgmlab.grading``, its references and hidden tests' helpers, ``dgmlab.authoring`` and
   nbgrader: mode 700 once ``setup.sh`` ran), and cannot signal or trace the grader or the judge (root's
   processes). The judge runs apart from it, as its own process, unsandboxed. Once its last cell has run, every
   process of that user is killed by user id, a double-forked ``setsid`` one included, before root takes its
   working folder back and empties it (``SealWorkingFolder``, configured here with the user's ids): so no link is
   left for nbgrader to write through. Gradescope's ``/autograder/submission_metadata.json`` (earlier results in
   ``previous_submissions``) is read by root and made root's alone before the kernel starts
   (:func:`.handed.read_metadata`). Not walled off here: the network, and the machine's world-readable files. The
   wall's line (build log, run log, results) ends with bubblewrap's own error where bubblewrap could not run.
3. **None**, only where the course allows grading without the sandbox (``c.DgmlabAutograde.sandbox = False``, or
   ``dgmlab gradescope --no-sandbox``). Otherwise a container with neither wall grades nothing and says why.

``DGMLAB_GRADESCOPE_BOUNDARY=user`` takes the second wall even where bubblewrap runs (to try it).
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import pwd
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..inert import terminal
from ..isolation import kernel_sandbox, user_kernel
from ..isolation.processes import kill_user

KERNEL_USER = "dgmlab-kernel"
FALLBACK_USER = "nobody"
FORCE_ENV = "DGMLAB_GRADESCOPE_BOUNDARY"
HIDDEN_PACKAGES = ("dgmlab.grading", "dgmlab.authoring", "nbgrader")  # what the kernel user must not read


@dataclass
class Boundary:
    kind: str  # "bubblewrap", "user" or "none"; "" when no wall could be had (then nothing is graded)
    why: str  # in words, for the results' output and the log
    uid: int = -1
    gid: int = -1
    config_lines: list = field(default_factory=list)  # nbgrader_config.py lines that start the kernel so

    @property
    def sandbox(self) -> bool:
        return self.kind == "bubblewrap"

    def around(self, bundle):
        """``bundle`` (a :class:`~dgmlab.grading.autograde.task_records.Bundle`) graded behind this wall: its sandbox,
        and its config lines added."""
        config = bundle.config
        if self.config_lines:
            config += "\n# -- added by dgmlab's Gradescope autograder: the kernel's wall (boundary.py)\n"
            config += "\n".join(self.config_lines) + "\n"
        return dataclasses.replace(bundle, config=config, sandbox=self.sandbox)

    @contextlib.contextmanager
    def kept(self):
        """Around a grading behind this wall: on leaving, however the grading ended, every process of the kernel user
        is killed (the user wall: :func:`stop_user_processes`), a double-forked ``setsid`` one included."""
        try:
            yield self
        finally:
            if self.kind == "user":
                stop_user_processes(self.uid, self.gid)


HIDDEN_SUBFOLDERS = ("homeworks", "hidden")  # and every homeworks/<hw>/hidden/ installed (a homework's hidden tests)


def package_folders() -> list:
    """The folders of :data:`HIDDEN_PACKAGES` that are installed, and each homework's ``hidden/`` installed under
    the package ``homeworks`` (:data:`HIDDEN_SUBFOLDERS`)."""
    found = []
    for name in HIDDEN_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # its parent package is not installed
            spec = None
        found += [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    top, sub = HIDDEN_SUBFOLDERS
    spec = importlib.util.find_spec(top)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found += sorted(p for p in Path(folder).glob(f"*/{sub}") if p.is_dir())
    return found


def readable_by_others(path: Path, uid: int) -> bool:
    """Whether a user ``uid`` (not root, not in the owner's group) could read or list ``path``."""
    st = path.stat()
    return st.st_uid == uid or bool(st.st_mode & (stat.S_IROTH | stat.S_IXOTH))


def kernel_paths() -> list:
    """What the kernel user must reach to start a kernel: this Python (its real file) and the environment's folder."""
    return [Path(os.path.realpath(sys.executable)), Path(sys.prefix)]


def reachable_by_others(path: Path, uid: int) -> bool:
    """Whether a user ``uid`` (not root, not in the owners' groups) can reach ``path``: every folder above it
    searchable by others, and ``path`` itself searchable or runnable by them."""
    return blocking_folder(path, uid) is None


def blocking_folder(path: Path, uid: int) -> Path | None:
    """The first of ``path``'s folders (or ``path`` itself) that a user ``uid`` (not root, not in the owners' groups)
    cannot search or run, from the top; ``None``: it reaches ``path``."""
    for part in [*reversed(path.parents), path]:
        st = part.stat()
        if st.st_uid != uid and not st.st_mode & stat.S_IXOTH:
            return part
    return None


def kernel_user() -> pwd.struct_passwd | None:
    for name in (KERNEL_USER, FALLBACK_USER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return entry
    return None


def user_boundary(grader_dir: Path, memory: int, file_size: int) -> Boundary:
    """The unprivileged-user wall, or why it cannot hold here (``kind`` empty)."""
    if os.geteuid() != 0:
        return Boundary("", "the grader does not run as root, so it cannot run the kernel as another user")
    user = kernel_user()
    if user is None:
        return Boundary("", f"neither a {KERNEL_USER} nor a {FALLBACK_USER} user exists to run the kernel as")
    blocked = {p: blocking_folder(p, user.pw_uid) for p in kernel_paths()}
    blocked = {p: folder for p, folder in blocked.items() if folder is not None}
    if blocked:
        path, folder = next(iter(blocked.items()))
        return Boundary("", f"the kernel user {user.pw_name} cannot reach {path}, so its kernel could not start: "
                            f"{folder} is closed to other users (mode {stat.S_IMODE(folder.stat().st_mode):o}); "
                            f"open it to them (chmod o+x {folder}; setup.sh opens /opt and /opt/dgmlab) "
                            f"or install the grader elsewhere")
    config = grader_dir / "nbgrader_config.py"
    if config.is_file() and "SealWorkingFolder" not in config.read_text("utf-8"):
        return Boundary("", "the course's nbgrader_config.py does not run dgmlab's SealWorkingFolder after Execute, "
                            "which kills the kernel user's processes before root writes into its folder: add it to "
                            "c.Autograde.autograde_preprocessors as the kit's nbgrader_config.py does")
    exposed = [str(p) for p in [grader_dir, *package_folders()] if readable_by_others(p, user.pw_uid)]
    if exposed:
        return Boundary("", f"the kernel user {user.pw_name} could read {', '.join(exposed[:3])}: run the bundle's "
                            f"setup.sh, which makes them root's alone (mode 700)")

    # the launcher by its path: it imports nothing of dgmlab (and nbgrader_config.py's names of dgmlab.grading are
    # checked as classes)
    argv = [sys.executable, "-I", str(Path(user_kernel.__file__).resolve()), "--uid", str(user.pw_uid),
            "--gid", str(user.pw_gid), "--memory", str(int(memory)), "--file-size", str(int(file_size)), "--",
            "{connection_file}"]
    return Boundary("user", f"the kernel ran as the unprivileged user {user.pw_name}, unable to read the grading "
                            f"files, Gradescope's metadata or the grader's packages; the judge ran apart from it "
                            f"(bubblewrap could not run here, so the kernel had the network and the machine's "
                            f"world-readable files)",
                    user.pw_uid, user.pw_gid, [f"c.GradingKernelManager.kernel_argv = {argv!r}",
                                               f"c.SealWorkingFolder.kernel_uid = {user.pw_uid}",
                                               f"c.SealWorkingFolder.kernel_gid = {user.pw_gid}"])


def choose(setting, grader_dir: Path, memory: int, file_size: int) -> Boundary:
    """The wall for this submission: ``setting`` is the course's ``sandbox`` (True: bubblewrap only; None: the
    best wall here; False: none needed)."""
    forced = os.environ.get(FORCE_ENV, "")
    usable, why = kernel_sandbox.available()
    if usable and forced != "user":
        return Boundary("bubblewrap", "the kernel and the judge ran in the bubblewrap sandbox (no network, none "
                                      "of the grader's files)")
    if setting is False:
        return Boundary("none", f"no sandbox: the course grades without it ({why})")
    if setting is True:
        return Boundary("", f"the course requires the bubblewrap sandbox, which cannot run here: {why}")
    user = user_boundary(grader_dir, memory, file_size)
    if not user.kind:
        user.why = (f"{FORCE_ENV}=user" if usable else f"bubblewrap cannot run here ({bwrap_error(why)})") + \
            f" and {user.why}"
    elif not usable:
        user.why += f"; bubblewrap's error: {bwrap_error(why)}"
    else:  # bubblewrap runs here, but FORCE_ENV asked for this wall
        user.why = user.why.replace("bubblewrap could not run here", f"{FORCE_ENV}=user chose this wall")
    return user


def bwrap_error(why: str) -> str:
    """Why bubblewrap cannot run (:func:`dgmlab.grading.isolation.kernel_sandbox.available`: its words and bwrap's
    own error) on one line, its first, with control characters and escape sequences removed (it goes into the
    build log, the run's log and results.json)."""
    lines = [line for line in why.strip().splitlines() if line.strip()]
    return terminal(lines[0] if lines else "no reason given")[:300]


def stop_user_processes(uid: int, gid: int | None = None) -> int:
    """Kill every process of the kernel user ``uid`` (``gid``: its group, default its account's), by user id (a
    process that left the kernel's process tree and session too): :func:`dgmlab.grading.isolation.processes.kill_user`."""
    return kill_user(uid, pwd.getpwuid(uid).pw_gid if gid is None else gid)
