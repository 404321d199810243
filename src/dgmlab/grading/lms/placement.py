"""A plug-in LMS's download placed by the kit's rules: what a course's own platform's ``collect`` hands over.

The kit reads Canvas's and Moodle's zips itself (:mod:`.intake`). A platform whose download is something else (an
export, an API's files) reads it, finds each file's student (by the user id its LMS gives, in the course's id map:
:func:`dgmlab.grading.lms.id_map.platform_ids` of its name) and hands the files to :func:`place`, which holds them
to the same rules as a zip's entries: the notebook placed as ``<hw>.ipynb``, the homework's graded files, PDFs and
images under safe names, the latest upload of a name kept, ``c.DgmlabCollect``'s limits per student and per file,
everything staged before any folder changes, a replaced folder moved to ``.dgmlab/replaced/``, the submission time
into ``timestamp.txt``, the notebook's name and the report PDF checked against the hand-in rules. Every file not
placed is listed with why, never dropped silently. The plug-in's files are read, never moved or changed.
"""
from __future__ import annotations

import datetime as _dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..layout import Course, CourseError
from . import intake
from .download_names import Entry
from .roster_match import roster_names

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")  # a folder name under submitted/, nothing else


@dataclass(frozen=True)
class HandedIn:
    """One file a student handed in on the plug-in's LMS."""

    student: str  # the nbgrader id the plug-in found for the LMS's user
    name: str  # the file's name as the student gave it (the LMS's "-1" or " (1)" of a repeated upload is read)
    path: Path  # where the plug-in saved it (read only)
    attempt: int = 0  # of two uploads of one name, the higher attempt is placed


@dataclass(frozen=True)
class _Size:
    """What the intake's steps read of a file: its name and size (as they read a zip entry's ``ZipInfo``)."""

    filename: str
    file_size: int


def _sorted(files: list, limits: intake.DgmlabCollect, where: str, roster: dict | None,
            out: intake.Collected) -> dict:
    """``{student: [(Entry, _Size)]}`` of ``files``; a file that is no plain file, is over the per-file limit or
    names no valid student id (one of ``roster``, nbgrader's student table, when there is one) is listed in
    ``out.unplaced``."""
    per_student: dict = {}
    for f in files:
        shown = f"{f.student}/{Path(f.name).name}"
        path = Path(f.path)
        if not STUDENT_ID.fullmatch(str(f.student)):
            out.unplaced.append((shown, f"{str(f.student)[:40]!r} is not a student id dgmlab places (letters, digits, "
                                        "._@+-): check the plug-in's id map column"))
        elif roster is not None and f.student not in roster:
            out.unplaced.append((shown, f"{f.student} is not in nbgrader's student table: add them (nbgrader db "
                                        "student add) or fix their id in lms_ids.csv, then collect again"))
        elif path.is_symlink() or not path.is_file():
            out.unplaced.append((shown, f"{path} is not a plain file, not placed"))
        elif path.stat().st_size > limits.max_file_bytes:
            out.unplaced.append((shown, f"{path.stat().st_size} bytes: over c.DgmlabCollect.max_file_bytes = "
                                        f"{limits.max_file_bytes}, not placed"))
        else:
            entry = Entry(path=shown, lms=where, name=f.student, user=f.student, submission=f.attempt,
                          original=Path(f.name).name)
            per_student.setdefault(f.student, []).append((entry, _Size(str(path), path.stat().st_size)))
    return per_student


def _copy(chosen: dict, stage: Path) -> None:
    """Each chosen file copied into ``stage/<student>/<name>``; one that changed size since it was listed is a
    :class:`CourseError` (nothing placed)."""
    for sid, files in chosen.items():
        (stage / sid).mkdir()
        for name, (_, size) in files.items():  # size.filename: where the plug-in saved the file
            shutil.copyfile(size.filename, stage / sid / name)
            if (stage / sid / name).stat().st_size != size.file_size:
                raise CourseError(f"{size.filename} changed while it was collected: nothing was placed; collect again")


def _stamp(chosen: dict, times: dict, stage: Path, out: intake.Collected) -> None:
    for sid in chosen:
        when = times.get(sid)
        if when is None:
            out.no_time.append(sid)
        else:
            (stage / sid / "timestamp.txt").write_text(when.astimezone(_dt.timezone.utc).isoformat(), encoding="utf-8")


def place(course: Course, hw: str, files: list, *, times: dict | None = None, where: str = "",
          unmatched: dict | None = None) -> intake.Collected:
    """Place ``files`` (:class:`HandedIn`) of ``hw`` in ``submitted/<student>/<hw>/`` by the kit's rules and return
    what was placed and what was not (``lines()``, ``unplaced``: what ``dgmlab collect`` prints and exits 1 on).
    ``times``: ``{student: aware time}`` of each submission (late penalties read them); ``where``: the LMS, as the
    listing names it; ``unmatched``: ``{what the LMS calls a submission: why it matches no student}``, listed with
    the rest. With a gradebook, a student not in nbgrader's student table is listed, not placed."""
    rules = intake.rules_of(course, hw, None)
    out = intake.Collected(rules.hw, where)
    out.unplaced += [(str(label), str(why)) for label, why in (unmatched or {}).items()]
    roster = roster_names(course) if (course.root / "gradebook.db").exists() else None
    per_student = _sorted(files, rules.limits, where, roster, out)
    chosen = {sid: intake.choose(rules.hw, sid, per_student[sid], list(rules.graded), rules.limits, out)
              for sid in sorted(per_student)}
    chosen = {sid: placed for sid, placed in chosen.items() if placed}
    readable = tuple(size for placed in chosen.values() for _, size in placed.values())
    stage = intake.staging(course, rules.hw, f"{where or 'the plug-in'}'s download", readable)
    try:
        _copy(chosen, stage)
        _stamp(chosen, times or {}, stage, out)
        intake.place(course, rules.hw, chosen, stage, out)  # every file copied: only now does submitted/ change
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    intake.after_placing(course, rules, roster, chosen, out)
    return out
