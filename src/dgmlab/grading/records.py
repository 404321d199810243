"""The outcome ``dgmlab autograde`` records for each submission: ``.dgmlab/grading/<hw>/<student>.json``
(status, reason, seconds, the grading key, phase timings, the worker), written last, whole or not at all."""
from __future__ import annotations

import json
import time
from pathlib import Path

from .layout import RECORDS, Course


def save_record(path: Path, r) -> Path:
    """Keep the :class:`~dgmlab.grading.layout.SubmissionResult` ``r`` at ``path`` (its submission's
    :attr:`~dgmlab.grading.submission.Submission.record`), whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"hw": r.hw, "student": r.student, "status": r.status, "reason": r.reason,
              "seconds": round(r.seconds, 2), "recorded": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if getattr(r, "key", ""):
        record["key"] = r.key  # the grading key: a re-run skips a submission whose key is unchanged
    if getattr(r, "timings", None):
        record["timings"] = {k: round(v, 3) for k, v in r.timings.items()}
    if getattr(r, "worker", ""):
        record["worker"] = r.worker
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    tmp.replace(path)  # a record is whole or absent, even if grading is interrupted here
    return path


def save_records(course: Course, results) -> list[Path]:
    """Keep each :class:`~dgmlab.grading.layout.SubmissionResult` as ``.dgmlab/grading/<hw>/<student>.json``."""
    return [save_record(course.submission(r.hw, r.student).record, r) for r in results]


def load_record(path: Path) -> dict | None:
    """The record kept at ``path`` (a submission's :attr:`~dgmlab.grading.submission.Submission.record`); ``None``
    when there is none or it is damaged (the submission then falls back to what its files say)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return record if isinstance(record, dict) and "student" in record else None
    except (OSError, ValueError):
        return None


def load_records(course: Course, hw: str) -> dict:
    """``{student: record}`` of every record of ``hw`` kept in ``course``."""
    folder = course.root / RECORDS / hw
    records = [load_record(path) for path in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return {record["student"]: record for record in records if record is not None}
