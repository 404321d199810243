"""JudgeTests (autograde, after ``Execute``): each check() test cell decided in the grader, its outputs written here.

It reads the probe data the cell showed (untrusted: parsed by :mod:`dgmlab.probes.wire` within its limits), hands it with
what the judging reads to the judge (:mod:`dgmlab.grading.judge`), which makes the inputs again from its own seed and
runs the visible and hidden tests, and writes the cell's outputs itself: the report a student reads and the points as
the cell's one result, which nbgrader reads as partial credit. Whatever the kernel printed or displayed in that cell
is dropped, so nothing it shows can be taken for a score. A cell whose probe data is missing, repeated, malformed or
over a limit earns 0 with the reason.
"""
from __future__ import annotations

import os
from typing import NamedTuple

from traitlets import Bool, Float, Unicode

from ... import probes
from .. import hidden as hidden_tests
from .. import nbgrader_gradebook, nbgrader_preprocessing
from ..inert import terminal
from ..judge import judge_process
from ..judge.cell_verdicts import handed_files, handed_seeds, judge_cells
from ..judge.judge import RESOURCE, bounded, files_of, grade_id, is_test_cell, judged_outputs, write_kept_files
from ..judge.judge_records import CellToJudge, JudgeRequest
from ..layout import Course
from .hidden_tests import hidden_delimiters


class JudgeTests(nbgrader_preprocessing.NbGraderPreprocessor):
    """After execution: decide each check() test cell in the grader and write its outputs (see the module).

    The cells are judged in a process of their own (:mod:`dgmlab.grading.judge.judge_process`): forked fresh for
    this notebook, sandboxed like the kernel when :attr:`sandbox`, and killed after :attr:`timeout` seconds. It reads
    nothing but its request, which this process assembles: the probe data, the instructor's cells from the gradebook
    (the kit's own networks), the course's ``checks.py`` and ``hidden.py`` (a course's own homework), and the bytes of
    the handed-in files the cells grade, read from the submission as it was handed in (``submitted/<student>/<hw>/``:
    the kernel only ever sees a copy). What its hidden tests keep comes back in the answers and is written here; the
    points are bounded here by the cell's."""

    draw_seeds = Unicode("", help="The graded draws' seeds as dgmlab autograde hands them to the grading "
                                  "(JSON {file: {seed, sha256[, refused]}}, dgmlab.grading.autograde.draw_seeds); empty: "
                                  "every file is drawn with seed 0, as while students work.").tag(config=True)
    timeout = Float(180.0, help="Seconds the grader may spend judging one notebook's check() cells; the cells not "
                                "judged by then earn 0, with the reason.").tag(config=True)
    isolate = Bool(True, help="Judge in a separate process killed at the timeout (False: in this process, with "
                              "no time limit; for tests).").tag(config=True)
    sandbox = Bool(False, help="Judge inside bubblewrap, seeing no course and writing nothing "
                               "(dgmlab.grading.isolation.kernel_sandbox.Sandbox.configure sets it wherever kernels "
                               "are sandboxed).").tag(config=True)

    def preprocess(self, nb, resources):
        meta = resources.get("nbgrader", {})
        hw = meta.get("assignment")
        state = resources.get(RESOURCE, {"seed": 0, "cells": {}})
        cells = [(i, grade_id(c)) for i, c in enumerate(nb.cells)
                 if is_test_cell(c) and grade_id(c) in state["cells"]]
        if not cells:
            return nb, resources
        coursedir = nbgrader_preprocessing.course_directory(self.config)
        course = _course_side(coursedir, hw, meta)
        handed = _handed_side(coursedir, hw, meta, cells)
        request = JudgeRequest(
            hw=hw, seed=state["seed"], references=course.references, checks=course.checks, hidden=course.hidden,
            files=handed.files, seeds=handed_seeds(self.draw_seeds), delimiters=tuple(hidden_delimiters(self.config)),
            cells=tuple(CellToJudge(gid, state["cells"][gid], tuple(dict(o) for o in nb.cells[i].get("outputs", [])))
                        for i, gid in cells))
        answers = self._judge(request)
        stopped = interrupted_cell(nb)
        for i, gid in cells:
            self._write_cell(nb.cells[i], hw, gid, answers.get(gid), state["cells"][gid], handed.keep)
            if stopped is not None and stopped[0] < i:
                self._say_stopped(nb.cells[i], stopped)
            resources.setdefault("dgmlab_judged", set()).add(gid)
        return nb, resources

    def _say_stopped(self, cell, stopped: tuple) -> None:
        """Where a check did not run after a cell was interrupted (nbgrader's ``Execute`` interrupts a cell at its time
        limit), the check's report says so: its NameError is that cell's doing, not this one's."""
        for out in cell.outputs:
            if out.get("output_type") == "stream" and "the check did not run" in out.get("text", ""):
                limit = self.config.Execute.get("timeout", None)
                out["text"] += (f"An earlier cell (cell {stopped[0] + 1}: {stopped[1]!r}) was interrupted, as the "
                                f"grader interrupts a cell at its time limit"
                                + (f" of {limit:g} s" if isinstance(limit, (int, float)) else "")
                                + ": what it should have defined is missing here. Make that cell faster.\n")
                return

    def _judge(self, request: JudgeRequest) -> dict:
        """The judge's answers by grade id (in its own process when :attr:`isolate`); a crash fails the notebook."""
        if self.isolate:
            answers = judge_process.judge(request, self.timeout, sandbox=self.sandbox)
        else:
            answers = judge_cells(request)
        answers = answers or {}
        crashed = {gid: got.lines[0] for gid, got in answers.items() if isinstance(got, judge_process.Crashed)}
        if crashed:  # the grader failed, not the answers: no 0 is written for them (grading this notebook fails)
            raise judge_process.JudgeFailed(
                f"the grader's judge stopped without a verdict for {', '.join(sorted(crashed))}, so nothing of this "
                f"notebook was graded ({next(iter(crashed.values()))}); find the cause in the grading's log, then grade "
                "again with --force")
        return answers

    def _write_cell(self, cell, hw, gid: str, got, source: str, keep: str | None) -> None:
        """One judged cell's outputs: its points and report, or 0 where the notebook's time ran out before it."""
        if got is None:  # the notebook's time ran out (judge_process.judge): on this cell or an earlier one
            self.log.error("cell %s was not judged: the notebook's %g s ran out", gid, self.timeout)
            earned, lines = 0.0, [f"0 points: the grader's {self.timeout:g} s for this notebook ran out before "
                                  f"this cell was judged (an answer that takes too long to check, e.g. a huge "
                                  f"expression)"]
        else:
            earned, lines = bounded(hw, gid, got), list(got.lines)
            write_kept_files(keep, got.kept, self.log)
        cell.source = source  # the autograded notebook shows the instructor's cell
        cell.outputs = judged_outputs(earned, lines, cell.get("execution_count"))


def interrupted_cell(nb) -> tuple[int, str] | None:
    """``(index, first line)`` of the first code cell whose run was interrupted (a ``KeyboardInterrupt`` error), or
    None."""
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and any(o.get("output_type") == "error" and o.get("ename") == "KeyboardInterrupt"
                                                   for o in cell.get("outputs", [])):
            first = next((line for line in str(cell.get("source", "")).splitlines() if line.strip()), "")
            return i, terminal(first[:80])
    return None


class _CourseSide(NamedTuple):
    """What the judging reads from the course: its ``checks.py`` and ``hidden.py`` texts, the gradebook's cells."""
    checks: str
    hidden: str
    references: dict


class _HandedSide(NamedTuple):
    """What the judging reads from the submission: the handed-in files' bytes, and where hidden tests keep theirs."""
    files: dict
    keep: str | None


def _course_side(coursedir, hw: str | None, meta: dict) -> _CourseSide:
    """The course's ``checks.py`` (loaded here too: which files its cells grade), its own ``hidden.py`` (a course's
    homework only) and the instructor's cells from the gradebook."""
    checks_text, hidden_text, references = "", "", {}
    if not hw:
        return _CourseSide(checks_text, hidden_text, references)
    checks = os.path.join(os.path.abspath(coursedir.format_path(coursedir.source_directory, ".", hw)),
                          probes.CHECKS_FILE)
    if os.path.isfile(checks):
        with open(checks, encoding="utf-8") as f:
            checks_text = f.read()
        probes.load_checks(hw, os.path.dirname(checks))  # here too (and its points.json): which files its cells grade

    course_hidden = os.path.join(os.path.dirname(checks), hidden_tests.FILE)  # its hidden tests, which
    if hw not in probes.KIT_HOMEWORKS and os.path.isfile(course_hidden):  # nbgrader never copies for the kernel
        with open(course_hidden, encoding="utf-8") as f:
            hidden_text = f.read()
    if meta.get("db_url") and meta.get("notebook"):
        references = nbgrader_gradebook.instructor_cells(meta["db_url"], coursedir.course_id, hw, meta["notebook"])
    return _CourseSide(checks_text, hidden_text, references)


def _handed_side(coursedir, hw: str | None, meta: dict, cells: list) -> _HandedSide:
    """The bytes of the handed-in files the cells grade, read from the submission as handed in, and the folder
    (only the grader's) where the hidden tests' kept files go; nothing without a student."""
    if not (meta.get("student") and hw):
        return _HandedSide({}, None)
    folder = os.path.abspath(coursedir.format_path(coursedir.submitted_directory, meta["student"], hw))
    names = [n for _, gid in cells for n in files_of(hw, gid)]
    # what hidden tests keep for the dashboard goes where only the grader writes (never autograded/,
    # which holds the handed-in files too: red team F7)
    keep = os.path.abspath(Course(coursedir.root).kept_folder(hw, meta["student"]))
    return _HandedSide(handed_files(folder, names), keep)
