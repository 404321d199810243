"""Each student's grade summary: the final mark (or why none yet), the due date and any extension, its parts and
the late penalty with its reason.

``dgmlab report`` writes it beside the student's feedback (``feedback/<student>/<hw>/grade_summary.html``
and ``.txt``) every time it runs, so it follows the hand grades, and ``dgmlab push`` sends the same text to
Canvas as the submission's comment. Its numbers are :func:`dgmlab.grading.report.analysis.collect`'s, the ones every
export shows. A written answer graded with a rubric (``dgmlab grade``, :mod:`dgmlab.grading.hand.rubrics`) is
listed with the items applied to it, their points and comments, and the grader's note, full marks or not.
"""
from __future__ import annotations

from pathlib import Path

from ..hand.rubrics import feedback_lines
from ..inert import html, terminal
from ..layout import Course
from .class_data import ClassData, Submission
from .final_mark import final_mark, late_points

FILE = "grade_summary"


def _n(x) -> str:
    return f"{round(float(x), 4):g}"


def summary_text(data: ClassData, sub: Submission, rubric_lines: dict | None = None) -> str:
    """The summary of one submission, plain text: its final mark (:func:`.final_mark`) or why there is none yet,
    when it was due for this student (an extension included), its parts and any late penalty; ``rubric_lines``
    (grade id -> lines, :func:`rubric_lines`) lists what each written answer's rubric items say."""
    mark = final_mark(sub)
    if sub.points is None:
        return f"{sub.hw}: {mark.text}"
    lines = [f"{sub.hw}: {mark.out_of}"]
    if sub.due_text:
        lines.append(sub.due_text)
    lines.append(f"autograded {_n(sub.auto_score)}, graded by hand {_n(sub.manual_score)}"
                 + (f" so far ({len(sub.ungraded)} answer{'s' if len(sub.ungraded) != 1 else ''} still to grade by "
                    "hand)" if sub.ungraded else ""))
    if sub.late_reason:
        if mark.final:
            lines.append(f"late penalty {late_points(sub, mark)}: {sub.late_reason}")
        else:
            lines.append(f"late: {sub.late.lateness}; the late policy will apply to the final mark")
    rubric_lines = rubric_lines or {}
    for c in data.cells_of(sub.hw, student=sub.student):
        if c.points is None:
            continue
        items = rubric_lines.get(c.cell)
        if items:  # why, item by item (the gradebook's comment is the same lines)
            lines.append(f"{c.cell}: {_n(c.points)} / {_n(c.max_points)}")
            lines += [ITEM + terminal(item) for item in items]
        elif not c.full:
            lines.append(f"{c.cell}: {_n(c.points)} / {_n(c.max_points)}" + (f" - {c.reason}" if c.reason else ""))
    return "\n".join(terminal(line) for line in lines)


ITEM = "  - "  # a rubric item's line under its answer


def rubric_lines(course: Course, sub: Submission) -> dict:
    """grade id -> the rubric lines of each of ``sub``'s written answers graded with ``dgmlab grade``."""
    return feedback_lines(course, sub.hw, sub.student)


def summary_html(data: ClassData, sub: Submission, rubric_lines: dict | None = None) -> str:
    body, items = [], []
    for line in summary_text(data, sub, rubric_lines).split("\n") + [""]:
        if line.startswith(ITEM):
            items.append(f"<li>{html(line[len(ITEM):])}</li>")
            continue
        if items:
            body.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line:
            body.append(f"<p>{html(line)}</p>")
    body = "".join(body)
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">"
            f"<title>{html(sub.hw)}: grade summary</title></head><body>{body}</body></html>")


def write_summaries(course: Course, data: ClassData) -> list[Path]:
    """``feedback/<student>/<hw>/grade_summary.{txt,html}`` of every graded submission in ``data``."""
    written = []
    for sub in data.submissions:
        if sub.points is None:  # not in the gradebook: no feedback folder to write in
            continue
        folder = course.folder("feedback", sub.hw, sub.student)
        folder.mkdir(parents=True, exist_ok=True)
        why = rubric_lines(course, sub)
        (folder / f"{FILE}.txt").write_text(summary_text(data, sub, why) + "\n", encoding="utf-8")
        (folder / f"{FILE}.html").write_text(summary_html(data, sub, why), encoding="utf-8")
        written.append(folder / f"{FILE}.html")
    return written
