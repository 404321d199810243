"""What a grading task takes and gives back, as records (:mod:`.coordinator` hands them out, :mod:`.worker` grades).

- :class:`Bundle`: the homework, once per run: the course's config, a gradebook holding only this homework's cells,
  the files of ``source/<hw>/`` nbgrader copies over a submission, and how to grade it (the time allowed, feedback,
  the sandbox and its :class:`~dgmlab.grading.isolation.kernel_sandbox.Limits`, whole).
- :class:`Job`: one submission: its files, its grading key, its graded draws' seeds, when it was handed out.
- :class:`Outcome`: what came back: status and reason, the scores nbgrader wrote, the files for the course, timings.

Inside a process they are these frozen records. Between processes (a Dask task's arguments and result) they travel in
wire form, a dict of bytes, strings, numbers, lists and dicts (:meth:`~Bundle.to_wire`, :meth:`~Bundle.from_wire`):
a worker that runs another dgmlab than the coordinator reads the version from it and says so
(:func:`dgmlab.grading.autograde.worker.grade_task`), where a record of another dgmlab could fail to load at all. A
wire form with a key the record does not have is refused, naming it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..isolation.kernel_sandbox import Limits
from ..layout import StepResult


def _known(cls, wire: dict) -> dict:
    """``wire`` (a dict) checked against ``cls``'s fields: a key it does not have is a ValueError naming it."""
    if not isinstance(wire, dict):
        raise ValueError(f"a {cls.__name__} travels as a dict, not {type(wire).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(wire) - names)
    if unknown:
        raise ValueError(f"a {cls.__name__} has no {', '.join(unknown)} (it has {', '.join(sorted(names))}): "
                         "the coordinator and the worker must run the same dgmlab")
    return dict(wire)


@dataclass(frozen=True)
class Bundle:
    """What every worker needs to grade one homework (:func:`dgmlab.grading.autograde.homework_bundle.make_bundle`)."""

    hw: str
    version: str  # dgmlab's, on the coordinator: a worker running another refuses to grade
    config: str  # the course's nbgrader_config.py
    gradebook: bytes  # a gradebook holding only this homework's definition
    notebooks: tuple  # the notebooks of the homework (the only ones graded)
    source: dict  # {relative path: bytes}: the non-notebook files of source/<hw>/, copied over a submission
    timeout: float  # seconds per submission
    feedback: bool  # write the feedback (HTML, returned notebook)
    sandbox: bool | None  # True: required; False: not used; None: where the worker can, else it refuses
    limits: Limits = field(default_factory=Limits)  # the kernel's address space, file size and tmpfs
    cell_timeout: float | None = None  # overrides the course's c.Execute.timeout
    course_id: str = "default_course"

    def to_wire(self) -> dict:
        return {**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)},
                "notebooks": list(self.notebooks), "limits": dataclasses.asdict(self.limits)}

    @classmethod
    def from_wire(cls, wire: dict) -> Bundle:
        wire = _known(cls, wire)
        return cls(**{**wire, "notebooks": tuple(wire.get("notebooks", ())),
                      "limits": Limits(**wire.get("limits", {}))})


@dataclass(frozen=True)
class Job:
    """One submission to grade."""

    student: str
    files: dict  # {relative path: bytes}: the submission folder as handed in
    key: str = ""  # its grading key (dgmlab.grading.autograde.keys.grading_key)
    draw_seeds: dict = field(default_factory=dict)  # {file: {seed, sha256[, refused]}} (draw_seeds.seeds_for)
    probe_seed: int = 0  # the seed of the inputs its check() cells are judged on
    submitted_at: float = 0.0  # the coordinator's clock when it was handed out
    extension: float | None = None  # seconds of extension, from the gradebook

    def to_wire(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_wire(cls, wire: dict) -> Job:
        return cls(**_known(cls, wire))


@dataclass(frozen=True)
class Outcome:
    """What one grading gave back (never written by the worker: the coordinator writes the course)."""

    student: str
    status: str = "failed"  # "graded", "invalid", "failed", "timed out"
    reason: str = ""
    seconds: float = 0.0  # of nbgrader's autograde step
    timings: dict = field(default_factory=dict)  # seconds per phase (dgmlab.grading.autograde.timings.PHASES)
    worker: str = ""  # host:pid (and SLURM job) of the worker
    scores: dict | None = None  # what nbgrader wrote: {"timestamp", "scores": [(nb, cell, score)], "comments"}
    autograded: dict = field(default_factory=dict)  # {relative path: bytes} for autograded/<student>/<hw>/
    feedback: dict = field(default_factory=dict)  # {relative path: bytes} for feedback/<student>/<hw>/
    kept: dict = field(default_factory=dict)  # {name: bytes}: what its hidden tests kept for the dashboard
    steps: tuple = ()  # the nbgrader steps run (dgmlab.grading.layout.StepResult)
    notebooks_run: tuple = ()  # the notebooks graded
    infrastructure: bool = False  # the machinery failed, not the submission: it keeps no key, so it is graded again
    finished_at: float | None = None  # the worker's clock
    key: str = ""  # the grading key it is recorded under (set by the coordinator)

    def to_wire(self) -> dict:
        return {**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)},
                "steps": [dataclasses.asdict(s) for s in self.steps], "notebooks_run": list(self.notebooks_run)}

    @classmethod
    def from_wire(cls, wire: dict) -> Outcome:
        wire = _known(cls, wire)
        steps = tuple(s if isinstance(s, StepResult) else StepResult(**s) for s in wire.get("steps", ()))
        return cls(**{**wire, "steps": steps, "notebooks_run": tuple(wire.get("notebooks_run", ()))})
