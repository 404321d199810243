"""Phases of one grading and their summary over a run (median and p95 per phase).
"""
from __future__ import annotations

import math
import statistics

from ..inert import terminal

# Phases of one grading, in order (seconds). Test cells are also kept one by one as "test:<grade_id>".
PHASES = [
    ("queue_wait", "submitted by the coordinator until a worker started it"),
    ("prepare", "writing the scratch course and the sandbox's kernelspec"),
    ("nbgrader_start", "nbgrader's converter set up in the worker, sanitizing, up to executing"),
    ("kernel_start", "starting the sandboxed kernel until it answers"),
    ("imports", "cells before the first answer cell (setup: dgmlab, torch)"),
    ("cells", "the other non-test cells (the student's answers and code)"),
    ("tests", "all graded test cells"),
    ("kernel_stop", "after the last cell until the kernel (and its sandbox) is gone"),
    ("save_grades", "then nbgrader saves scores and writes the autograded notebook"),
    ("feedback", "nbgrader's generate_feedback and the returned notebook"),
    ("collect", "reading the scores and files the worker sends back"),
    ("transfer", "worker finished until the coordinator had the result"),
    ("write_back", "the coordinator writing gradebook, files and record"),
    ("gradebook", "of which the gradebook rows (one SQLite transaction)"),
    ("total", "submitted until written back"),
    ("graded", "total less queue_wait: a grading's own seconds, from a worker starting it until written back"),
]


# ------------------------------------------------------------------ timings summary
def _p95(values: list) -> float:
    """The 95th percentile by nearest rank (the largest value when there are fewer than 20)."""
    values = sorted(values)
    return values[max(0, math.ceil(0.95 * len(values)) - 1)]


def phase_summary(results) -> list:
    """``[(phase, n, median, p95)]`` over the gradings this run did (skipped ones left out)."""
    return phase_rows([r.timings for r in results if r.timings and not r.skipped])


def phase_rows(timed: list) -> list:
    """``[(phase, n, median, p95)]`` over timing dicts, phases in :data:`PHASES` order, test cells last."""
    rows = []
    timed = [t for t in timed if t]
    names = [p for p, _ in PHASES]
    extra = sorted({k for t in timed for k in t if k not in names})
    for name in names + extra:
        values = [t[name] for t in timed if name in t]
        if values:
            rows.append((name, len(values), statistics.median(values), _p95(values)))
    return rows


def format_summary(rows) -> str:
    if not rows:
        return ""
    lines = [f"{'phase':<34} {'n':>4} {'median s':>9} {'p95 s':>8}"]
    for name, n, med, p95 in rows:
        label = f"  {name}" if name.startswith("test:") else name
        lines.append(f"{terminal(label):<34} {n:>4} {med:>9.2f} {p95:>8.2f}")
    return "\n".join(lines)
