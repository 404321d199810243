"""SealWorkingFolder (autograde): seal the kernel's working folder before nbgrader writes into it.

The grading kernel runs in ``autograded/<student>/<hw>/`` (the sandbox's one writable folder), and
nbgrader then writes the graded notebook into that same folder from the grader's process, which can
reach the course. A kernel that left a link there (``hw.ipynb -> <course>/gradebook.db``) would have
nbgrader write, and chmod, through it. So :class:`SealWorkingFolder`, right after ``Execute`` (the
kernel is dead then, with every process it started), moves everything in the folder (files, links,
folders, without following any) into a new sibling folder nobody writes into,
``.<hw>.left-by-kernel-<random>``, and nbgrader writes into an empty folder. What the kernel left is returned or reported from there
(:func:`dgmlab.grading.autograde.worker.grade_submission`), never read through a link.
"""
from __future__ import annotations

import os
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

LEFT_SUFFIX = ".left-by-kernel"


def left_folders(workdir: Path) -> list:
    """The folders :func:`seal` made beside ``workdir`` (one per grading of it)."""
    return sorted(Path(workdir).parent.glob(f".{Path(workdir).name}{LEFT_SUFFIX}-*"))


def seal(workdir: Path) -> Path | None:
    """Move every entry of ``workdir`` into a new folder beside it (see :func:`left_folders`); returns that
    folder, or ``None`` when ``workdir`` is not a real folder (then nothing is touched)."""
    import tempfile

    workdir = Path(workdir)
    if workdir.is_symlink() or not workdir.is_dir():
        return None
    dest = Path(tempfile.mkdtemp(prefix=f".{workdir.name}{LEFT_SUFFIX}-", dir=workdir.parent))
    for entry in os.scandir(workdir):
        os.rename(entry.path, dest / entry.name)  # moves a link as a link
    return dest


class SealWorkingFolder(NbGraderPreprocessor):
    """After execution: the notebook's folder is emptied into :func:`left_folders` (see the module)."""

    def preprocess(self, nb, resources):
        from nbgrader.coursedir import CourseDirectory

        meta = resources.get("nbgrader", {})
        if meta.get("student") and meta.get("assignment"):
            coursedir = CourseDirectory(config=self.config)
            workdir = Path(coursedir.format_path(coursedir.autograded_directory, meta["student"],
                                                 meta["assignment"]))
            sealed = seal(workdir)
            if sealed is not None:
                resources["dgmlab_left_by_kernel"] = str(sealed)
        return nb, resources
