"""The one submission Gradescope hands a container, read once into a :class:`Handed` record before any kernel
starts: the bundle's settings (``/autograder/source/grader``, as ``dgmlab gradescope`` wrote it), Gradescope's metadata
(then made root's alone), the submission's files, the course's draw key, and the wall its kernel is graded behind
(:mod:`.boundary`). :mod:`.run` grades it.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ... import __version__
from .. import layout
from ..autograde.keys import folder_bytes, folder_files
from ..autograde.task_records import Bundle
from ..isolation.kernel_sandbox import Limits
from . import boundary


def grader_dir(root: Path) -> Path:
    return root / "source" / "grader"


def load_settings(root: Path) -> dict:
    path = grader_dir(root) / "settings.json"
    if not path.is_file():
        raise SystemExit(f"dgmlab: {path} is missing: upload the zip `dgmlab gradescope <hw>` wrote, unchanged")
    return json.loads(path.read_text("utf-8"))


def submission_files(folder: Path, hw: str, max_bytes: int) -> tuple[dict, str]:
    """``({relative path: bytes}, problem)`` of the submission: ``<hw>.ipynb`` at its top, or else its only
    notebook (Gradescope keeps the uploaded file's name), taken as ``<hw>.ipynb``; with the other files at its top
    (weights files). ``problem``: why it cannot be graded ("" when it can)."""
    if not folder.is_dir():
        return {}, f"no submission folder {folder}"
    if folder_bytes(folder) > max_bytes:
        return {}, (f"the submission holds more than {max_bytes // 2 ** 20} MiB: hand in the notebook and the graded "
                    f"files only, not checkpoints or data")
    found = {rel: data for rel, data in folder_files(folder).items() if ".ipynb_checkpoints" not in rel}
    files = {rel: data for rel, data in found.items() if "/" not in rel}
    name = f"{hw}.ipynb"
    if name not in files:
        notebooks = sorted(rel for rel in found if rel.endswith(".ipynb"))
        if len(notebooks) != 1:
            return files, f"hand in one notebook, {name} (found: {', '.join(notebooks[:5]) or 'none'})"
        files = {k: v for k, v in files.items() if k != notebooks[0]}
        files[name] = found[notebooks[0]]
    return files, ""


@dataclass(frozen=True)
class Handed:
    """The one submission Gradescope handed this container and what it is graded with, read once (:func:`handed_in`)
    and handed along: the bundle's settings, Gradescope's metadata, the files (``<hw>.ipynb`` and the files at its
    top), why they cannot be graded (``""`` when they can), the course's draw key, the wall the kernel runs behind
    and what a worker takes for the homework, behind that wall."""

    root: Path  # Gradescope's /autograder
    settings: dict  # the bundle's settings.json
    meta: dict  # submission_metadata.json (read_metadata)
    files: dict  # {relative path: bytes}
    problem: str
    key: bytes = dataclasses.field(repr=False)  # the course's draw key (stays in this process)
    wall: boundary.Boundary = dataclasses.field(repr=False)  # boundary.choose; kind "": none holds, nothing is graded
    bundle: Bundle = dataclasses.field(repr=False)  # worker_bundle, behind the wall (Boundary.around)
    student: str = "student"  # the submission's folder name in the throw-away course

    @property
    def hw(self) -> str:
        return self.settings["hw"]

    @property
    def grader(self) -> Path:
        return grader_dir(self.root)


def handed_in(root: Path, max_bytes: int) -> Handed:
    """The submission in ``root`` with the bundle's settings, Gradescope's metadata and the wall chosen for its kernel
    (read before any kernel starts: then root's alone); its notebook checked as it came
    (:func:`dgmlab.grading.layout.notebook_problem`)."""
    settings = load_settings(root)
    meta = read_metadata(root)
    grader = grader_dir(root)
    key = bytes.fromhex((grader / "draw.key").read_text("utf-8").strip())
    files, problem = submission_files(root / "submission", settings["hw"], max_bytes)
    source = folder_files(grader / settings["source_folder"])  # the homework's files beside its notebooks
    bundle = worker_bundle(grader, settings, source)
    name = f"{settings['hw']}.ipynb"
    problem = problem or layout.notebook_problem(files[name], name) or ""
    wall = boundary.choose(settings["sandbox"], grader, settings["memory"], settings["file_size"])
    return Handed(root, settings, meta, files, problem, key, wall, wall.around(bundle))


def worker_bundle(grader: Path, settings: dict, source: dict) -> Bundle:
    """What :func:`~dgmlab.grading.autograde.worker.grade_submission` takes for the homework, read from the bundle's
    folder ``grader`` (as :func:`dgmlab.grading.autograde.homework_bundle.make_bundle` makes it in a course) and its
    source folder's files ``source`` (``{relative path: bytes}``; its notebooks are left out); the wall is added by
    :meth:`.boundary.Boundary.around`."""
    return Bundle(hw=settings["hw"], version=__version__, config=(grader / "nbgrader_config.py").read_text("utf-8"),
                  gradebook=(grader / "gradebook.db").read_bytes(), notebooks=tuple(settings["notebooks"]),
                  source={k: v for k, v in source.items() if not k.endswith(".ipynb")}, timeout=settings["timeout"],
                  feedback=False, sandbox=None,
                  limits=Limits(memory=settings["memory"], file_size=settings["file_size"], tmpfs=settings["tmpfs"]),
                  cell_timeout=settings["cell_timeout"], course_id=settings["course_id"])


METADATA = "submission_metadata.json"


def read_metadata(root: Path) -> dict:
    """Gradescope's ``/autograder/submission_metadata.json``, read once, before any kernel starts, and then made
    root's alone (mode 600): its ``previous_submissions[].results`` may hold the student's earlier results, hidden
    tests' included, which a kernel run as the unprivileged user (:mod:`.boundary`) must not read. ``{}`` when
    there is none (or it is not JSON)."""
    path = root / METADATA
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        meta = {}
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    path.chmod(0o600)
    return meta if isinstance(meta, dict) else {}
