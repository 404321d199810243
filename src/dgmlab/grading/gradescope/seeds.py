"""The graded draws' seeds of one Gradescope submission, its weights files checked against the kit's published ones
(:func:`dgmlab.grading.autograde.draw_seeds.seeds_for`: a copy of one is refused), with that check in a child process
that has ended before the kernel starts.

The check builds the course (the bundle's ``grader/``), loads torch and the published networks and runs them, a few
hundred MiB that the grader, alive through the whole grading, would otherwise hold beside the kernel and the judge in
Gradescope's container. Only a file under a published file's name is compared (a name a trained cell reads), so where
the zip carries no published file or none is handed in under such a name, nothing is compared and no child starts.
"""
from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import NamedTuple

from ..autograde import draw_seeds
from ..autograde.task_records import Job
from ..copies.shared_weights import published_weights
from ..inert import terminal
from ..layout import Course

log = logging.getLogger(__name__)  # shown on stdout by run.main, which Gradescope shows the instructor


class CheckFailed(RuntimeError):
    """The copy check's process died (out of memory, killed) before it answered: nothing is graded."""


def job(handed) -> Job:
    """The :class:`~dgmlab.grading.autograde.task_records.Job` of ``handed`` (a :class:`.handed.Handed`): its files
    with the graded draws' and check inputs' seeds from the course's key (which stays in this process), each weights
    file checked against the kit's published ones (:func:`seeds`). A refused file is logged for the instructor (the
    student reads it in the cell's output)."""
    drawn = seeds(handed.grader, handed.settings, handed.key, handed.files)
    for name, entry in drawn.files.items():
        if "refused" in entry:
            log.warning("%s", terminal(f"dgmlab: {name} is not graded, its graded cell earns 0: "
                                       f"{entry['refused'][:600]}"))
    return Job(student=handed.student, files=handed.files, submitted_at=time.time(), draw_seeds=drawn.files,
               probe_seed=drawn.probe)


def compared(files: dict, settings: dict) -> dict:
    """The handed-in files the copy check reads: top-level ``*weights.pt`` under a published file's name."""
    names = {path.rsplit("/", 1)[-1] for path in settings.get("published") or []}
    return {rel: data for rel, data in files.items() if "/" not in rel and rel.endswith("weights.pt")
            and rel in names}


class Seeds(NamedTuple):
    """A submission's seeds from the course's key: its notebook's check() inputs' (:func:`~dgmlab.grading.autograde.
    draw_seeds.probe_seed`) and ``{file name: {"sha256", "seed"[, "refused"]}}`` of its files' graded draws."""

    probe: int
    files: dict


def seeds(grader: Path, settings: dict, key: bytes, files: dict) -> Seeds:
    """The seeds of the submission's ``files`` (its notebook ``<hw>.ipynb`` among them), as ``dgmlab autograde``
    gives them with the course's published weights (``grader``: the bundle's folder, a course); see the module."""
    hw = settings["hw"]
    named = compared(files, settings)
    probe = draw_seeds.probe_seed(key, hw, files.get(f"{hw}.ipynb", b""))
    found = draw_seeds.file_seeds(key, hw, files)  # every file's seed; the files too big or unsafe to read refused
    checked = {rel: data for rel, data in named.items() if rel in found and "refused" not in found[rel]}
    if not checked:
        return Seeds(probe, found)
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of the grader's memory is copied
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            answer = pool.submit(published_seeds, str(grader), hw, key, checked).result()
    except BrokenProcessPool as exc:
        raise CheckFailed(f"the check of {', '.join(sorted(checked))} against the kit's published weights stopped "
                          f"before it answered (out of memory?): {exc}") from exc
    return Seeds(probe, {**found, **{rel: answer[rel] for rel in checked}})


def published_seeds(grader: str, hw: str, key: bytes, files: dict) -> dict:
    """In the child: :func:`~dgmlab.grading.autograde.draw_seeds.seeds_for` of ``files`` with the published weights of
    the course in ``grader`` (read only here)."""
    return draw_seeds.seeds_for(key, hw, files, lambda: published_weights(Course(Path(grader)), hw, key))
