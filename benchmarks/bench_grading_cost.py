"""Cost of grading one submission against its floor (benchmarks/results/performance.md; runs logged in benchmarks/results/autograde_throughput.md).

Usage:
    python benchmarks/bench_grading_cost.py --hw hw3_flows --n 4 [--kernels warm] [--label after] [--out results.json]

A scratch course with N copies of the homework's example submissions (alternately demo_reference and
demo_partial) is graded by ``dgmlab autograde`` on one LocalCluster worker, sandboxed, twice: without
feedback, then with it (``force``: every submission graded each time). For each grading it takes the
worker's cost (submitted until written back, less the time it queued behind the others) and its floor:
kernel start + the setup cell's imports + the notebook's own cells and tests, from the same grading's
phases. Prints the medians and their ratio, the median phases, and the load average before and after.

Only ``dgmlab.grading.course.autograde`` and the results' ``timings`` are used, so the script also
measures an older dgmlab: run it with ``PYTHONPATH=<old checkout>/src`` and ``--label before``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from scratch_course import scratch_course  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FLOOR = ("kernel_start", "imports", "cells", "tests")
OWN = ("cells", "tests")  # the notebook's own work alone: the floor a warm kernel approaches


def measure(course, hw: str, feedback: bool, warm: bool = False) -> dict:
    from dgmlab.grading import course as C
    from dgmlab.grading.autograde.options import RunOptions
    from dgmlab.grading.isolation.kernel_sandbox import Limits
    from dgmlab.grading.report import report as R

    load = os.getloadavg()[0]
    t0 = time.monotonic()
    limits = Limits(warm=True) if warm else Limits()  # an older dgmlab's Limits has no `warm`
    results = C.autograde(course, hw, options=RunOptions(workers=1, force=True, feedback=feedback, sandbox=True,
                                                         limits=limits))
    wall = time.monotonic() - t0
    bad = [(r.student, r.status, r.reason) for r in results if r.status != "graded"]
    if bad:
        raise SystemExit(f"not graded: {bad}")
    cost = [r.timings["total"] - r.timings.get("queue_wait", 0.0) for r in results]
    floor = [sum(r.timings.get(p, 0.0) for p in FLOOR) for r in results]
    own = [sum(r.timings.get(p, 0.0) for p in OWN) for r in results]
    phases = sorted({k for r in results for k in r.timings if not k.startswith("test:")})
    return {
        "feedback": feedback, "n": len(results), "wall_s": round(wall, 2), "load_before": load,
        "load_after": os.getloadavg()[0],
        "cost_s": [round(x, 2) for x in cost], "floor_s": [round(x, 2) for x in floor],
        "cost_median_s": round(statistics.median(cost), 2), "floor_median_s": round(statistics.median(floor), 2),
        "ratio_median": round(statistics.median(c / f for c, f in zip(cost, floor)), 2),
        "cells_tests_median_s": round(statistics.median(own), 2),
        "ratio_to_cells_tests_median": round(statistics.median(c / f for c, f in zip(cost, own)), 2),
        "phase_medians": {p: round(statistics.median(r.timings.get(p, 0.0) for r in results), 2) for p in phases},
        "scores": {g.student: g.auto_score for g in R.grades(course, hws=[hw])},
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hw", default="hw3_flows")
    p.add_argument("--n", type=int, default=4)
    p.add_argument("--label", default="")
    p.add_argument("--kernels", choices=["cold", "warm"], default="cold",
                   help="kernels started cold, or forked warm from the worker's zygote (Limits.warm)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    import dgmlab

    course = scratch_course(args.hw, args.n, prefix="dgmlab-cost-")
    out = {"label": args.label, "hw": args.hw, "kernels": args.kernels, "dgmlab": str(Path(dgmlab.__file__).parent),
           "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    try:
        for feedback in (False, True):
            row = measure(course, args.hw, feedback, warm=args.kernels == "warm")
            out["feedback" if feedback else "no_feedback"] = row
            print(json.dumps({k: v for k, v in row.items() if k != "scores"}), flush=True)
    finally:
        shutil.rmtree(course.root, ignore_errors=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
