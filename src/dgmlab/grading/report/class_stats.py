"""Statistics of a class's grades for the dashboard: score summaries and, per graded cell, pass rate, mean
points, failures grouped by reason and the visible-vs-hidden gap."""
from __future__ import annotations

import statistics

from .class_data import ClassData


def summary(values) -> dict:
    """n, mean, median, quartiles (statistics' 'inclusive' method), min and max of ``values``."""
    values = sorted(float(v) for v in values)
    if not values:
        return {"n": 0}
    q1, med, q3 = (statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1
                   else (values[0], values[0], values[0]))
    return {"n": len(values), "mean": statistics.fmean(values), "median": med, "q1": q1, "q3": q3,
            "min": values[0], "max": values[-1]}


def cell_stats(data: ClassData, hw: str) -> list[dict]:
    """Per graded cell: pass rate (full points), mean points, failures grouped, visible-vs-hidden gap."""
    rows = []
    for notebook, cell, max_points, kind in data.cell_order[hw]:
        results = [c for c in data.cells_of(hw, cell) if c.points is not None]
        groups: dict[str, list] = {}
        for c in data.cells_of(hw, cell):
            if c.kind == "auto" and not c.full:
                msgs = {m for _, m in c.failed}
                if len(c.failed) > 1 and len(msgs) == 1:  # e.g. a blank answer: every check raised the same
                    keys = [f"{len(c.failed)} checks: {msgs.pop() or 'failed'}"]
                else:
                    keys = [f"{n}: {m}" if m else n for n, m in c.failed] or [c.reason]
                for key in keys:
                    groups.setdefault(key, []).append(c.student)
        rows.append({
            "notebook": notebook, "cell": cell, "max": max_points, "kind": kind,
            "graded": len(results),
            "pending": sorted(c.student for c in data.cells_of(hw, cell) if c.kind == "manual"
                              and (c.needs_manual or c.points is None)),
            "pass_rate": (sum(c.full for c in results) / len(results)) if results else None,
            "mean": (statistics.fmean(c.points for c in results)) if results else None,
            "failures": sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])),
            "gap": sorted(c.student for c in data.cells_of(hw, cell) if c.hidden_gap),
            "has_checks": any(c.visible for c in data.cells_of(hw, cell)),
        })
    return rows

