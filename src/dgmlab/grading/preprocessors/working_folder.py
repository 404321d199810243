"""SealWorkingFolder (autograde): seal the kernel's working folder before nbgrader writes into it.

The grading kernel runs in ``autograded/<student>/<hw>/`` (the sandbox's one writable folder), and
nbgrader then writes the graded notebook into that same folder from the grader's process, which can
reach the course. A kernel that left a link there (``hw.ipynb -> <course>/gradebook.db``) would have
nbgrader write, and chmod, through it. So :class:`SealWorkingFolder`, right after ``Execute`` (the
kernel is dead then, with every process it started), moves everything in the folder (files, links,
folders, without following any) into a new sibling folder nobody writes into,
``.<hw>.left-by-kernel-<random>``, and nbgrader writes into an empty folder. What the kernel left is returned or reported from there
(:func:`dgmlab.grading.autograde.worker.grade_submission`), never read through a link.

Where the kernel ran as an unprivileged user instead (Gradescope's user wall, ``kernel_uid`` set: a process of
that user may outlive the kernel's process tree, a double-forked ``setsid`` one, and re-plant links after the
folder is emptied), every process of that user is killed first, by user id
(:func:`dgmlab.grading.isolation.processes.kill_user`), and the folder is made root's again, mode 700, before it
is emptied: nbgrader then writes into a folder no running process but root's can write.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from traitlets import Integer

from .. import nbgrader_preprocessing
from ..isolation.processes import kill_user

LEFT_SUFFIX = ".left-by-kernel"


def left_folders(workdir: Path) -> list:
    """The folders :func:`seal` made beside ``workdir`` (one per grading of it)."""
    return sorted(Path(workdir).parent.glob(f".{Path(workdir).name}{LEFT_SUFFIX}-*"))


def seal(workdir: Path, kernel_uid: int = -1, kernel_gid: int = -1) -> Path | None:
    """Move every entry of ``workdir`` into a new folder beside it (see :func:`left_folders`); returns that
    folder, or ``None`` when ``workdir`` is not a real folder (then nothing is touched). ``kernel_uid``: the user
    the kernel ran as (the user wall), whose every process is killed, and from whom the folder is taken back, first."""
    workdir = Path(workdir)
    if kernel_uid > 0:
        kill_user(kernel_uid, kernel_gid)  # raises if one survives: then nothing here is touched
        if not workdir.is_symlink() and workdir.is_dir():
            os.chown(workdir, 0, 0, follow_symlinks=False)
            os.chmod(workdir, 0o700, follow_symlinks=False)
    if workdir.is_symlink() or not workdir.is_dir():
        return None
    dest = Path(tempfile.mkdtemp(prefix=f".{workdir.name}{LEFT_SUFFIX}-", dir=workdir.parent))
    for entry in os.scandir(workdir):
        os.rename(entry.path, dest / entry.name)  # moves a link as a link
    return dest


class SealWorkingFolder(nbgrader_preprocessing.NbGraderPreprocessor):
    """After execution: the notebook's folder is emptied into :func:`left_folders` (see the module)."""

    kernel_uid = Integer(-1, help="The user the kernel ran as (Gradescope's user wall): its every process is "
                                  "killed before the folder is touched; -1: none (the sandbox)").tag(config=True)
    kernel_gid = Integer(-1, help="That user's group").tag(config=True)

    def preprocess(self, nb, resources):
        meta = resources.get("nbgrader", {})
        if meta.get("student") and meta.get("assignment"):
            coursedir = nbgrader_preprocessing.course_directory(self.config)
            workdir = Path(coursedir.format_path(coursedir.autograded_directory, meta["student"],
                                                 meta["assignment"]))
            sealed = seal(workdir, self.kernel_uid, self.kernel_gid)
            if sealed is not None:
                resources["dgmlab_left_by_kernel"] = str(sealed)
        return nb, resources
