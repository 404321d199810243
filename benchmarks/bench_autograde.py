"""Autograding throughput: seconds per submission, serial vs --jobs N, vs plain nbgrader.

Usage:
    .venv/bin/python benchmarks/bench_autograde.py --hw hw3_flows --n 20 [--jobs 2] [--out docs/autograde_throughput.md]

Builds a scratch course in a temporary folder with N copies of the homework's
reference and partial example submissions (alternating), then grades them
three ways in one run: plain `nbgrader autograde <hw>` (serial, no sandbox),
`dgmlab autograde` serially (--jobs 1, sandboxed when bubblewrap is present),
and `dgmlab autograde --jobs N`. Checks the three give identical scores and
writes a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from dgmlab.grading import course as C  # noqa: E402
from dgmlab.grading import report as R  # noqa: E402
from dgmlab.grading import sandbox  # noqa: E402


def scratch_course(hw: str, n: int) -> C.Course:
    root = Path(tempfile.mkdtemp(prefix="dgmlab-bench-"))
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / hw, root / "source" / hw, ignore=shutil.ignore_patterns("figures", "*.pt"))
    course = C.Course(root)
    C.release(course, [hw])
    for i in range(n):
        example = ROOT / "examples" / ("demo_reference" if i % 2 == 0 else "demo_partial") / hw
        shutil.copytree(example, root / "submitted" / f"student{i:02d}" / hw)
    return course


def scores(course, hw):
    return {g.student: g.auto_score for g in R.grades(course, hws=[hw])}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hw", default="hw3_flows")
    p.add_argument("--n", type=int, default=20, help="number of submissions")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out", type=Path, default=None, help="write a Markdown report here")
    args = p.parse_args(argv)
    course = scratch_course(args.hw, args.n)
    rows = []

    t0 = time.monotonic()
    res = course.nbgrader("autograde", args.hw, "--force")
    plain = time.monotonic() - t0
    if not res.ok:
        raise SystemExit(f"plain nbgrader autograde failed:\n{res.output[-2000:]}")
    plain_scores = scores(course, args.hw)
    rows.append(("plain `nbgrader autograde` (serial, no sandbox)", plain))

    boxed = sandbox.available()[0]
    for jobs in (1, args.jobs):
        t0 = time.monotonic()
        results = C.autograde(course, args.hw, jobs=jobs, feedback=False)
        seconds = time.monotonic() - t0
        bad = [r for r in results if r.status != "graded"]
        if bad:
            raise SystemExit(f"not graded: {[(r.student, r.status, r.reason) for r in bad]}")
        if scores(course, args.hw) != plain_scores:
            raise SystemExit(f"--jobs {jobs} changed a grade")
        rows.append((f"`dgmlab autograde --jobs {jobs}`" + (" (sandboxed)" if boxed else " (no sandbox)"), seconds))

    lines = [f"Autograding {args.n} submissions of `{args.hw}` (half reference, half partial) on "
             f"{os.cpu_count()} cores; identical scores in all three runs.", "",
             "| how | wall time (s) | s per submission | speed-up vs serial dgmlab |", "|---|---|---|---|"]
    serial = rows[1][1]
    for name, seconds in rows:
        lines.append(f"| {name} | {seconds:.0f} | {seconds / args.n:.1f} | {serial / seconds:.2f}x |")
    lines += ["", f"Command: `.venv/bin/python benchmarks/bench_autograde.py --hw {args.hw} --n {args.n} "
              f"--jobs {args.jobs}`"]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    shutil.rmtree(course.root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
