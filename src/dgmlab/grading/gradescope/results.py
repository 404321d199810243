"""Gradescope's ``results.json`` from one grading (what :func:`dgmlab.grading.autograde.worker.grade_submission`
returns): one test per graded cell of the homework, in the notebook's order.

Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/): a ``tests`` list whose
entries carry ``name``, ``score``, ``max_score``, ``visibility``, ``output`` and ``execution_time``, and at the top
``score`` (which, when given, is the submission's score), ``output``, ``execution_time``, ``stdout_visibility``
and ``extra_data``. An autograded cell's output is what the grader's judge printed for it (the feedback's reasons);
a cell graded by hand is listed at 0 of its points with a note: its points are given in Gradescope's own grading
of a manually graded question, never here.
"""
from __future__ import annotations

import json
from typing import NamedTuple

from ..inert import terminal
from ..isolation.processes import SURVIVED

VISIBILITY = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's values
MAX_OUTPUT = 8000  # characters of one test's output (the judge's lines; a traceback's first line)
HAND_NOTE = ("{n} question(s) graded by hand, {points} points in all, are not tests here: they are this "
             "assignment's manually graded questions in Gradescope's outline: {names}.")
LATE_RULE = "the late policy on the autograded points only (the course: on the final mark)"


class GraderFailure(RuntimeError):
    """The grader, not the submission, could not grade: no results.json is written, so Gradescope reports the
    autograder as failed (never a score of 0) and the instructor reruns it once the cause is fixed."""


# jupyter_client's words when a kernel never answered: it could not start (the wall, the image), which no
# submission causes (the kernel runs nothing of it before it answers, and imports nothing from its folder)
KERNEL_NOT_STARTED = ("Kernel died before replying to kernel_info", "Kernel didn't respond in")
JUDGE_FAILED = ("JudgeFailed: ", "JudgeRefused: ")  # the grading's reason when the judge did not start or crashed


def grader_fault(graded) -> None:
    """Raise :class:`GraderFailure` where the grading failed for the grader's sake, not the submission's: a broken
    worker, or a kernel that could not start. Never a 0 for the student then."""
    if graded.infrastructure:
        raise GraderFailure(f"the grader failed: {graded.reason}")
    if graded.status == "failed" and any(words in (graded.reason or "") for words in KERNEL_NOT_STARTED):
        raise GraderFailure(f"the kernel could not start, so nothing was graded: {graded.reason}")

    if graded.status == "failed" and (graded.reason or "").startswith(JUDGE_FAILED):  # judge_process.JudgeFailed
        raise GraderFailure(f"the judge could not judge, so nothing was graded: {graded.reason}")
    if graded.status == "failed" and SURVIVED in (graded.reason or ""):  # the wall could not end the kernel
        raise GraderFailure(f"the kernel's user could not be stopped, so nothing was graded: {graded.reason}")


def cell_text(cell) -> str:
    """What a graded test cell's outputs say (its stream text, an error's name and first line), plain text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text = out.get("text", "")
            parts.append(text if isinstance(text, str) else "".join(text))
        elif out.get("output_type") == "error":
            value = str(out.get("evalue", "")).strip().splitlines()
            parts.append(f"{out.get('ename', 'Error')}: {value[0] if value else ''}")
    text = terminal("\n".join(p.rstrip("\n") for p in parts if p), newlines=True)
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + "\n... (cut)"


def cell_outputs(notebook: bytes | None) -> dict:
    """``{grade_id: output text}`` of the code cells of an autograded notebook (the first cell of each id)."""
    if not notebook:
        return {}
    try:
        nb = json.loads(notebook.decode("utf-8"))
        cells = nb.get("cells", [])
    except (ValueError, UnicodeDecodeError, AttributeError):
        return {}
    out = {}
    for cell in cells if isinstance(cells, list) else []:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if isinstance(gid, str) and gid not in out and cell.get("cell_type") == "code":
            out[gid] = cell_text(cell)
    return out


def build(cells: list, graded, *, visibility: str = "visible", boundary: str = "", late=None,
          seconds: float = 0.0, peak_memory: int | None = None, memory_parts: dict | None = None,
          dates: str = "", stopped: tuple | None = None, timings: dict | None = None) -> dict:
    """results.json for one submission; raises :class:`GraderFailure` where the grading failed for the grader's sake
    (:func:`grader_fault`), so that none is written.

    ``cells``: the homework's graded cells in order, ``{"notebook", "grade_id", "max_score", "manual"}`` (the
    bundle's settings); ``graded``: what ``grade_submission`` returned (an
    :class:`~dgmlab.grading.autograde.task_records.Outcome`); ``late``: the late policy's
    :class:`~dgmlab.grading.term.late.LateResult` on the autograded points (``None``: on time or no policy);
    ``boundary``: which wall kept the kernel from the grader, said in the output; ``peak_memory``: bytes, and
    ``memory_parts`` (``{"grader", "kernel", "judge"}``, bytes) what each held at that peak;
    ``dates``: which due date the late policy took where the course's differs (``late_policy.dates_note``);
    ``stopped``: ``(bytes held, the container's bytes)`` where the kernel was stopped for memory (``memory.PeakMemory``);
    ``timings``: seconds per phase of this grading (``extra_data.timings_s``, for the instructor and the benchmark)."""
    if visibility not in VISIBILITY:
        raise ValueError(f"visibility {visibility!r} is not one of Gradescope's: {', '.join(VISIBILITY)}")
    grader_fault(graded)
    listed = _tests(cells, graded, visibility, graded.reason or "")
    said = _summary(graded.status, graded.reason or "", listed, late=late, dates=dates, boundary=boundary)
    if stopped:
        held, limit = (round(b / 2 ** 20) for b in stopped)
        note = (f"The notebook's kernel was stopped when the grading held {held:,} MiB of the container's {limit:,} "
                "MiB: cells after that point did not run. Use less memory (smaller batches, free large tensors), or "
                "ask the instructor whether the autograder needs more.")
        said = said._replace(output=f"{said.output}\n{note}")
        said.extra["kernel_stopped_for_memory_mib"] = held
    if peak_memory is not None:
        said.extra["peak_memory_mib"] = round(peak_memory / 2 ** 20, 1)
    if memory_parts:
        said.extra["peak_memory_parts_mib"] = {k: round(v / 2 ** 20, 1) for k, v in memory_parts.items()}
    if timings:
        said.extra["timings_s"] = {str(k): round(float(v), 2) for k, v in timings.items() if isinstance(v, (int, float))}
    for test in listed.tests:  # the grading's reason is the submission's words too: inert where it is shown
        test["output"] = terminal(test["output"], newlines=True)
    return {"score": round(said.score, 6), "execution_time": round(seconds, 1),
            "output": terminal(said.output, newlines=True), "visibility": visibility, "stdout_visibility": "hidden",
            "tests": listed.tests, "extra_data": said.extra}


class _Listed(NamedTuple):
    """The tests of one results.json, the autograded points they earned, and the cells graded by hand instead."""
    tests: list
    earned: float
    manual: list


def _tests(cells: list, graded, visibility: str, reason: str) -> _Listed:
    """One test per autograded cell, in order (``Not graded`` with the reason when the grading did not finish);
    a cell graded by hand is set aside, never a test here."""
    status = graded.status
    scores = {(nb, gid): s for nb, gid, s in (graded.scores or {}).get("scores", [])}
    texts = {}
    for cell in cells:
        if cell["notebook"] not in texts:
            texts[cell["notebook"]] = cell_outputs(graded.autograded.get(f"{cell['notebook']}.ipynb"))
    tests, earned, manual = [], 0.0, []
    for cell in cells:
        key = (cell["notebook"], cell["grade_id"])
        score = scores.get(key)
        if cell["manual"] or (status == "graded" and key in scores and score is None):
            manual.append(cell)  # a manually graded question of the outline, never a test here
            continue
        entry = {"name": cell["grade_id"], "score": 0.0, "max_score": float(cell["max_score"]),
                 "visibility": visibility}
        if status != "graded":
            entry["output"] = f"Not graded: {status}" + (f" ({reason})" if reason else "")
        else:
            entry["score"] = float(score or 0.0)
            entry["output"] = texts[cell["notebook"]].get(cell["grade_id"], "")
            earned += entry["score"]
        entry["status"] = "passed" if entry["score"] >= entry["max_score"] else "failed"
        tests.append(entry)
    return _Listed(tests, earned, manual)


class _Summary(NamedTuple):
    """The top of one results.json: the submission's score, the output's text and ``extra_data``."""
    score: float
    output: str
    extra: dict


def _summary(status: str, reason: str, listed: _Listed, *, late, dates: str, boundary: str) -> _Summary:
    """The status and reason, then the late policy, the due dates, the hand-graded questions and the isolation; the
    score is the late policy's final where it applied, else the autograded points."""
    lines = [f"dgmlab autograder: {status}" + (f": {reason}" if reason and status != "graded" else "")]
    if status == "graded" and reason:
        lines.append(reason)
    extra = {"status": status, "autograded_points": round(listed.earned, 6), "boundary": boundary}
    total = listed.earned
    if late is not None and late.reason:
        total = late.final
        lines.append(late_note(late))
        extra.update({"late_penalty": late.penalty, "late_factor": late.factor, "late_rule": LATE_RULE})
    if dates:
        lines.append(dates)
        extra["due_dates_differ"] = True
    manual = listed.manual
    if manual:
        hand_points = sum(float(c["max_score"]) for c in manual)
        lines.append(HAND_NOTE.format(n=len(manual), points=f"{hand_points:g}",
                                      names=", ".join(f"{c['grade_id']} ({float(c['max_score']):g})"
                                                      for c in manual)))
        extra["graded_by_hand"] = [c["grade_id"] for c in manual]
        extra["hand_points_possible"] = hand_points
    if boundary:
        lines.append(f"Isolation: {boundary}.")
    return _Summary(total, "\n".join(lines), extra)


def late_note(late) -> str:
    """What the late policy did here, and how the course's own rule (the policy on the final mark, hand-graded
    points included) differs: said in the output, since the autograder cannot see Gradescope's manual grades."""
    if late.refused:
        return (f"Late: {late.reason}. The course's mark for this homework is 0: give 0 in the manually graded "
                f"questions too.")
    keep = f"{late.factor:g}"
    return (f"Late: {late.reason}. Applied here to the autograded points only; the course applies it to the final "
            f"mark, autograded plus hand-graded points (x {keep} of both, as `dgmlab report` gives): take "
            f"{1 - late.factor:g} x the hand-graded points off in the manually graded questions to match.")
