"""What grading in the grader costs against grading in the kernel (issue 36 item 8), in one run.

Usage:
    python benchmarks/bench_judge_cost.py --old /path/to/old/checkout --old-python /path/to/old/venv/bin/python \\
        [--hw hw3_flows] [--n 20] [--rounds 2] [--out benchmarks/results/judge_cost_hw3_n20.json]

Grades the same N submissions (alternately the example reference and partial answers of the checkout
being measured) with ``dgmlab autograde`` on 2 local workers, sandboxed, with feedback, first with the
old checkout (its own venv: test cells decided in the kernel) and then with this one (check() cells
judged in the grader), ``--rounds`` times in turn so both see the same machine load. Each round is a
fresh process running that checkout's benchmarks/scratch_course.py. Reports each wall time, the
seconds per submission and the median ratio new/old; stops if a grade is not what its checkout's
reference or partial earns.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ROUND = r"""
import json, sys, time
sys.path.insert(0, "benchmarks")
from scratch_course import scratch_course
from dgmlab.grading import course as C
from dgmlab.grading import report as R
hw, n = sys.argv[1], int(sys.argv[2])
course = scratch_course(hw, n)
t0 = time.monotonic()
results = C.autograde(course, hw, jobs=2, sandbox=True, feedback=True, force=True)
wall = time.monotonic() - t0
grades = {g.student: g.auto_score for g in R.grades(course, hws=[hw])}
print(json.dumps({"wall_s": wall, "statuses": sorted({r.status for r in results}), "grades": grades}))
"""


def one_round(python: str, checkout: Path, hw: str, n: int) -> dict:
    env = {**os.environ, "PYTHONPATH": ""}
    res = subprocess.run([python, "-c", ROUND, hw, str(n)], cwd=checkout, env=env, capture_output=True, text=True,
                         timeout=3600)
    if res.returncode != 0:
        raise SystemExit(f"{checkout}: the round failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    if out["statuses"] != ["graded"]:
        raise SystemExit(f"{checkout}: not every submission was graded: {out['statuses']}")
    reference = {s: g for s, g in out["grades"].items() if int(s[-4:]) % 2 == 0}
    partial = {s: g for s, g in out["grades"].items() if int(s[-4:]) % 2 == 1}
    if len(set(reference.values())) != 1 or len(set(partial.values())) != 1:
        raise SystemExit(f"{checkout}: the same submission got different grades: {out['grades']}")
    out["reference_grade"], out["partial_grade"] = next(iter(reference.values())), next(iter(partial.values()))
    del out["grades"]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--old", type=Path, required=True, help="a checkout of the kit before the change")
    p.add_argument("--old-python", required=True, help="the python of a venv with that checkout installed")
    p.add_argument("--hw", default="hw3_flows")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    runs = {"old": [], "new": []}
    for r in range(args.rounds):
        for name, python, checkout in (("old", args.old_python, args.old), ("new", sys.executable, ROOT)):
            load = os.getloadavg()[0]
            got = one_round(python, checkout.resolve(), args.hw, args.n)
            got["load_at_start"] = round(load, 2)
            runs[name].append(got)
            print(f"round {r + 1} {name}: {got['wall_s']:.1f} s ({got['wall_s'] / args.n:.2f} s a submission), "
                  f"grades {got['reference_grade']}/{got['partial_grade']}, load {load:.1f}", flush=True)
    ratio = statistics.median(n["wall_s"] / o["wall_s"] for n, o in zip(runs["new"], runs["old"]))
    summary = {"hw": args.hw, "n": args.n, "workers": 2, "sandbox": True, "feedback": True,
               "when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "old_checkout": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.old,
                                              capture_output=True, text=True).stdout.strip(),
               "new_checkout": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                              capture_output=True, text=True).stdout.strip(),
               "runs": runs, "median_ratio_new_over_old": round(ratio, 3)}
    print(f"new / old wall time (median of {args.rounds} rounds): {ratio:.3f}")
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
