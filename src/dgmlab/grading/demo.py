"""`dgmlab demo`: release every homework, grade the example submissions, report.

Copies ``examples/<student>/<hw>/`` into ``submitted/`` (a differing earlier
copy is moved to ``.dgmlab/backups/<time>/`` first, never overwritten),
autogrades each homework for the example students (feedback HTML too), grades their written answers with a TA's
marks file (``examples/<hw>_written_marks.csv``, applied as ``dgmlab grade <hw> --apply`` applies it:
:func:`apply_written_marks`) and its trained results that wait for a look with ``examples/<hw>_looks.csv``
(:func:`apply_looks`), writes the feedback again with those marks as ``dgmlab report`` does, writes
``grades.csv``, and says a student x homework table of final marks. What it says goes to ``say`` (``dgmlab demo``
prints it): this module prints nothing itself.

The graded draws of hw1, hw2 and hw4 use seeds made from a key (:mod:`dgmlab.grading.autograde.draw_seeds`). A course's
key is random and secret; the demo grades with :data:`DEMO_DRAW_KEY`, a public one, so that its table is the same
on every machine (unless ``DGMLAB_DRAW_KEY`` is set).
"""
from __future__ import annotations

import csv
import filecmp
import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Callable

from . import course as course_module
from . import draw_key
from .autograde.clients import client_for
from .autograde.options import RunOptions
from .hand import trained_looks
from .hand.rubric_table import apply_file
from .inert import terminal
from .nbgrader_app import temporary_environment
from .report import report as report_module

Say = Callable[[str], None]  # where a line the demo says goes (the command prints it)


def _quiet(line: str) -> None:
    pass


DEMO_DRAW_KEY = hashlib.sha256(b"dgmlab demo: a public key; a course's own key is random and secret").hexdigest()


def stage_examples(course: course_module.Course, hws, say: Say = _quiet) -> dict:
    """Copy example submissions into ``submitted/``; return ``{hw: [students]}``. Each earlier copy moved aside is
    said to ``say``."""
    examples = course.root / "examples"
    if not examples.is_dir():
        raise course_module.CourseError(f"no examples folder {examples}: run dgmlab examples")
    staged: dict[str, list] = {hw: [] for hw in hws}
    backup_root = course.root / ".dgmlab" / "backups" / time.strftime("%Y%m%d-%H%M%S")
    for student_dir in sorted(p for p in examples.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for hw in hws:
            src = student_dir / hw
            if not src.is_dir():
                continue
            dst = course.folder("submitted", hw, student_dir.name)
            if dst.exists() and not _same_tree(src, dst):
                backup = backup_root / dst.relative_to(course.root)
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(dst), str(backup))
                say(f"moved the earlier {dst.relative_to(course.root)} to {backup.relative_to(course.root)}")
            if not dst.exists():
                shutil.copytree(src, dst)
            staged[hw].append(student_dir.name)
    return staged


def marks_file(course: course_module.Course, hw: str) -> Path:
    """The TA's marks of ``hw``'s example written answers: ``examples/<hw>_written_marks.csv``, the table
    ``dgmlab grade <hw> --export`` writes, filled in (tests/grading/test_demo_marks.py checks it against the
    examples and the rubric)."""
    return course.root / "examples" / f"{hw}_written_marks.csv"


def apply_written_marks(course: course_module.Course, hws, say: Say = _quiet) -> list:
    """Grade the examples' written answers of ``hws`` as a TA does offline: each homework's :func:`marks_file`
    applied by :func:`.hand.rubric_table.apply_file`, the very path of ``dgmlab grade <hw> --apply``, without
    ``force``: marks this course already holds that the file would change are kept, and said. One line says what
    was applied; a file that cannot be applied is said and returned (its written answers stay pending)."""
    applied = unchanged = 0
    graded, without, problems = [], [], []
    for hw in hws:
        path = marks_file(course, hw)
        if not path.is_file():
            without.append(hw)
            continue
        try:
            done = apply_file(course, hw, path)
        except course_module.CourseError as exc:
            say(terminal(f"  {hw}: the marks file was not applied: {exc}"))
            problems.append(exc)
            continue
        if done.refused:
            say(terminal(f"  {hw}: {len(done.refused)} written answers already have other marks in this course: "
                         f"kept, nothing of {path.relative_to(course.root)} applied (dgmlab grade {hw} --apply "
                         f"{path.relative_to(course.root)} --force replaces them)"))
            continue
        graded.append(hw)
        applied, unchanged = applied + len(done.applied), unchanged + done.unchanged
    if graded or without:
        say(f"  written answers: a TA's marks, examples/<hw>_written_marks.csv, applied as dgmlab grade <hw> --apply "
            f"does ({', '.join(graded) or 'none'}): {applied} marks applied, {unchanged} unchanged"
            + (f"; no marks file for {', '.join(without)}" if without else ""))
    return problems


def apply_looks(course: course_module.Course, hws, say: Say = _quiet) -> None:
    """The TA's looks at the examples' trained results that wait for one (``examples/<hw>_looks.csv``: student,
    cell, points, reason; the reference's weights come without their 45 MB training record), given as
    ``dgmlab grade <hw> --looked`` gives them; a cell no longer waiting is left as it is."""
    for hw in hws:
        path = course.root / "examples" / f"{hw}_looks.csv"
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["cell"] in trained_looks.waiting(course, hw, r["student"])]
        for r in rows:
            trained_looks.look(course, hw, r["student"], r["cell"], float(r["points"]), r["reason"], who="demo TA")
        say(f"  trained results: {len(rows)} look(s) of {path.relative_to(course.root)} given, as dgmlab grade "
            f"{hw} --looked gives them")


def _same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(_same_tree(a / d, b / d) for d in cmp.common_dirs)


def grade_written_answers(course, hws: list, say: Say) -> list:
    """The TA's marks files applied to ``hws`` (:func:`apply_written_marks`), then each feedback page written again
    so that it shows them; returns what went wrong."""
    from .autograde.nbgrader_run import run_feedback
    from .report import current_feedback

    problems = apply_written_marks(course, hws, say)
    apply_looks(course, hws, say)
    renewed = current_feedback.renew(course, hws, run_feedback)  # the marks shown
    for line in renewed.lines():
        say(f"  {line}")
    return problems + renewed.failed


def run_demo(root=".", jobs: int = 2, timeout: float = 900, csv: str = "grades.csv", *, say: Say) -> int:
    """Release every homework, grade the example submissions, export and report; each step and result said to
    ``say``. Returns 1 when a submission was not graded or the dashboard not written, else 0."""
    t0 = time.monotonic()
    course = course_module.Course(root)
    hws = course.homeworks()
    if not hws:
        raise course_module.CourseError(f"no homework in {course.folder('source')}")
    say(f"course: {course.root}\nhomeworks: {', '.join(hws)}")
    # The demo runs on this machine, so a course that has not set where Colab installs dgmlab from
    # (as this kit ships) gets a local-only release instead of the refusal `dgmlab release` gives.
    local_only = course_module.release_is_local_only(course)
    say("1/4 generating release/ (nbgrader generate_assignment" + (", local-only" if local_only else "") + ") ...")
    if local_only:
        say("  nbgrader_config.py sets no install source for Colab: releasing for local use only "
            "(docs/publishing.md says how to set one)")
    course_module.release(course, hws, local_only=local_only)
    say("2/4 staging example submissions into submitted/ ...")
    staged = stage_examples(course, hws, say)
    say("3/4 autograding (nbgrader autograde + generate_feedback) ...")
    problems = []

    # the examples are the kit's own: demo_reference hands in the very weights the kit publishes
    options = RunOptions(timeout=timeout, workers=jobs, refuse_published=False)
    demo_key = {} if os.environ.get(draw_key.KEY_ENV) else {draw_key.KEY_ENV: DEMO_DRAW_KEY}  # a course's own key is random
    with client_for(workers=jobs) as client, temporary_environment(demo_key):  # one local Dask cluster grades all
        for hw in hws:
            if not staged[hw]:
                say(f"  {hw}: no example submissions")
                continue

            def show(r, hw=hw):
                note = "" if r.status == "graded" and not r.reason else f" ({r.reason})"
                how = "unchanged since its last grading" if r.skipped else f"in {r.seconds:.0f} s"
                say(terminal(f"  {hw} / {r.student}: {r.status} {how}{note}"))

            results = course_module.autograde(course, hw, staged[hw], options, cluster=client, progress=show)
            problems += [r for r in results if r.status != "graded"]
    problems += grade_written_answers(course, [hw for hw in hws if staged[hw]], say)
    say("4/4 exporting grades ...")
    csv_path = report_module.export_csv(course, csv)
    students = sorted({s for v in staged.values() for s in v})
    rows = report_module.grades(course, students=students, hws=hws)
    say("")
    say(report_module.table(rows))
    say("")
    say(f"release notebooks:    {course.folder('release')}\nautograded notebooks: {course.folder('autograded')}\n"
        f"feedback (HTML):      {course.folder('feedback')}\ngrades CSV:           {csv_path}")
    try:
        from .report.dashboard import write as write_dashboard

        dash, _ = write_dashboard(course, "reports/dashboard.html", hws)
        say(f"dashboard (HTML):     {dash}  (instructor only; dgmlab report --html --anonymize to share)")
    except Exception as exc:  # the grades stand; only the page is missing
        say(f"dashboard not written: {exc}")
        problems.append(exc)
    say(f"done in {time.monotonic() - t0:.0f} s")
    return 1 if problems else 0
