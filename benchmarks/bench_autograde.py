"""Autograding throughput: seconds per submission, serial vs --jobs N, vs plain nbgrader.

Usage:
    .venv/bin/python benchmarks/bench_autograde.py --hw hw3_flows --n 20 [--jobs 2] [--out table.md [--append]]

For each homework, builds a scratch course in a temporary folder with N copies
of the homework's reference and partial example submissions (alternating), then
grades them three ways in one run: plain `nbgrader autograde <hw>` (serial, no
sandbox), `dgmlab autograde` serially (--jobs 1, sandboxed when bubblewrap is
present) and `dgmlab autograde --jobs N`, without feedback; with --unsandboxed
also `dgmlab autograde --jobs 1 --no-sandbox`. Stops if the three
disagree on any grade; prints a Markdown table row per homework.
"""
from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.isolation import kernel_sandbox as sandbox
from dgmlab.grading.report import report as R
from scratch_course import scratch_course

ROOT = Path(__file__).resolve().parents[1]


def scores(course, hw):
    return {g.student: g.auto_score for g in R.grades(course, hws=[hw])}


def bench_homework(hw: str, n: int, jobs: int, unsandboxed: bool = False) -> dict:
    """Grade n submissions of hw three ways (four with ``unsandboxed``); return wall times, checking grades agree."""
    course = scratch_course(hw, n)
    try:
        t0 = time.monotonic()
        res = course.nbgrader("autograde", hw, "--force")
        times = {"plain": time.monotonic() - t0}
        if not res.ok:
            raise SystemExit(f"plain nbgrader autograde of {hw} failed:\n{res.output[-2000:]}")
        plain_scores = scores(course, hw)
        ways = [("serial", 1, None), ("parallel", jobs, None)] + ([("bare", 1, False)] if unsandboxed else [])
        for label, j, box in ways:
            t0 = time.monotonic()
            results = C.autograde(course, hw, options=RunOptions(workers=j, feedback=False, sandbox=box, force=True))
            times[label] = time.monotonic() - t0
            bad = [r for r in results if r.status != "graded"]
            if bad:
                raise SystemExit(f"{hw}: not graded: {[(r.student, r.status, r.reason) for r in bad]}")
            if scores(course, hw) != plain_scores:
                raise SystemExit(f"{hw}: dgmlab autograde ({label}) gave other grades than plain nbgrader")
        times["grades"] = sorted(set(plain_scores.values()))
        return times
    finally:
        shutil.rmtree(course.root, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hw", nargs="+", default=["hw3_flows"], help="homeworks to benchmark, one after another")
    p.add_argument("--n", type=int, default=20, help="submissions per homework")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out", type=Path, default=None, help="write (or, with --append, add) a Markdown table here")
    p.add_argument("--append", action="store_true", help="add rows to the table in --out instead of replacing it")
    p.add_argument("--unsandboxed", action="store_true",
                   help="also time `dgmlab autograde --jobs 1 --no-sandbox` (what the sandbox costs)")
    args = p.parse_args(argv)
    boxed = "sandboxed" if sandbox.available()[0] else "NO sandbox"
    header = ["| homework | submissions | load avg at start | plain `nbgrader autograde`: s (s/sub) "
              f"| `dgmlab autograde --jobs 1` ({boxed}): s (s/sub) | `--jobs {args.jobs}`: s (s/sub) "
              f"| speed-up of `--jobs {args.jobs}` over `--jobs 1` | over plain nbgrader "
              "| `--jobs 1 --no-sandbox`: s (s/sub) | distinct scores |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    rows = []
    for hw in args.hw:
        load = os.getloadavg()[0]
        t = bench_homework(hw, args.n, args.jobs, args.unsandboxed)
        n = args.n
        bare = f"{t['bare']:.0f} ({t['bare'] / n:.1f})" if "bare" in t else "not run"
        rows.append(f"| {hw} | {n} | {load:.2f} | {t['plain']:.0f} ({t['plain'] / n:.1f}) "
                    f"| {t['serial']:.0f} ({t['serial'] / n:.1f}) | {t['parallel']:.0f} ({t['parallel'] / n:.1f}) "
                    f"| {t['serial'] / t['parallel']:.2f}x | {t['plain'] / t['parallel']:.2f}x | {bare} "
                    f"| {', '.join(f'{s:g}' for s in t['grades'])} |")
        print(rows[-1], flush=True)
    if args.out:
        if args.append and args.out.exists():
            text = args.out.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(rows) + "\n"
        else:
            text = "\n".join(header + rows) + "\n"
        args.out.write_text(text, encoding="utf-8")
    print("\n".join(header + rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
