"""Grades for an LMS: Canvas's gradebook import CSV, a long per-question CSV, Gradescope results.json.

All three are written from :class:`dgmlab.grading.report.analysis.ClassData` (the
gradebook plus the graded notebooks); names and ids come from nbgrader's
student table only. A student without a roster entry keeps just the id the
gradebook knows, and :attr:`ClassData.problems` says so. Every cell of the two
CSVs passes :func:`dgmlab.grading.inert.csv_cell`: a reason a submission's code
printed, or a name from the LMS, is never a spreadsheet formula.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from .analysis import ClassData
from ..inert import csv_row

# Canvas's gradebook import: these identity columns, then one column per assignment; the row after
# the header gives each assignment's points possible (Canvas's own export writes it the same way).
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
LONG_COLUMNS = ["student", "homework", "cell", "points", "max_points", "graded_by", "reason"]
LATE_ROW = "late_penalty"  # the per-question CSV's row (and Gradescope's test) for a late penalty
GRADESCOPE_VISIBILITY = "after_published"  # students see a test once grades are published


def _num(x) -> str:
    return "" if x is None else f"{round(float(x), 4):g}"


def canvas_csv(data: ClassData, path: Path) -> Path:
    """Canvas gradebook import CSV: one row per student in nbgrader's student table.

    Student = "Last, First" from the roster (the id when the roster has no
    name); ID = the roster's LMS user id (Canvas's numeric user id); SIS User
    ID = nbgrader's student id; SIS Login ID = the roster's email; Section is
    left empty (Canvas keeps the student's section). A homework column is
    empty for a student with no graded submission of it; else it is the final
    mark, the late policy applied (:mod:`dgmlab.grading.term.deadlines`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scores = {(s.student, s.hw): s.score for s in data.submissions}
    students = sorted(data.roster)  # a submission with no roster entry is in data.problems, not invented here
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(csv_row(CANVAS_COLUMNS + list(data.hws)))
        w.writerow(csv_row(["Points Possible", "", "", "", ""] + [_num(data.max_score[hw]) for hw in data.hws]))
        for sid in students:
            r = data.roster[sid]
            w.writerow(csv_row([r.display, r.lms_user_id or "", sid, r.email or "", ""]
                               + [_num(scores.get((sid, hw))) for hw in data.hws]))
    return path


def long_csv(data: ClassData, path: Path) -> Path:
    """One row per (student, homework, graded cell): points (empty while ungraded), max, auto/manual, reason."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(LONG_COLUMNS)
        late = {(s.student, s.hw): s for s in data.submissions if s.late_penalty or s.late_reason}
        for i, c in enumerate(data.cells):
            w.writerow(csv_row([c.student, c.hw, c.cell, _num(c.points), _num(c.max_points), c.kind, c.reason]))
            last = i + 1 == len(data.cells) or (data.cells[i + 1].student, data.cells[i + 1].hw) != (c.student, c.hw)
            s = late.get((c.student, c.hw)) if last else None
            if s is not None:  # the submission's rows then sum to its final mark
                w.writerow(csv_row([c.student, c.hw, LATE_ROW, _num(-s.late_penalty), "0", "late", s.late_reason]))
    return path


def gradescope_results(data: ClassData, hw: str, student: str) -> dict:
    """Gradescope's autograder ``results.json`` for one submission: one test per graded cell."""
    sub = next(s for s in data.submissions if s.hw == hw and s.student == student)
    tests = []
    for c in data.cells_of(hw, student=student):
        tests.append({"name": c.cell, "score": c.points or 0.0, "max_score": c.max_points,
                      "visibility": GRADESCOPE_VISIBILITY,
                      "output": c.reason if c.reason else ("passed" if c.full else "")})
    if sub.late_reason:
        tests.append({"name": LATE_ROW, "score": -sub.late_penalty, "max_score": 0.0,
                      "visibility": GRADESCOPE_VISIBILITY, "output": sub.late_reason})
    out = {"score": sub.score or 0.0, "output": f"{sub.status}" + (f": {sub.reason}" if sub.reason else "")
           + (f"\n{sub.late_reason}" if sub.late_reason else ""),
           "visibility": GRADESCOPE_VISIBILITY, "tests": tests}
    if sub.seconds is not None:
        out["execution_time"] = int(round(sub.seconds))
    return out


def gradescope_dir(data: ClassData, folder: Path) -> list[Path]:
    """``<folder>/<hw>/<student>/results.json`` for every submission in ``data``."""
    written = []
    for s in data.submissions:
        path = Path(folder) / s.hw / s.student / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_results(data, s.hw, s.student), indent=1), encoding="utf-8")
        written.append(path)
    return written
