"""What grading costs against an older tree of the kit, in one run (issue 36 item 8: grading in the grader
against grading in the kernel; issue 45 item 8: the judge sandboxed and forked per submission, the kernel's
allow-list).

Usage:
    python benchmarks/bench_judge_cost.py --old /path/to/old/checkout --old-python /path/to/old/venv/bin/python \\
        [--hw hw3_flows] [--n 20] [--rounds 2] [--out benchmarks/results/judge_cost_hw3_n20.json]
    python benchmarks/bench_judge_cost.py --compare-with 495ea70 [--worktree /tmp/dgmlab-baseline] \\
        [--new-commit HEAD] [--rounds 3] [--out benchmarks/results/judge_sandbox_cost_hw3_n20.json]

``--compare-with COMMIT``: the old tree is a git worktree of COMMIT (made if missing, removed at the end if
made here), run with this venv's python and ``PYTHONPATH=<worktree>/src``, so its dgmlab is the one imported
by the coordinator, the Dask workers, the kernels and the judge; each round records the PYTHONPATH that every
worker, kernel and judge process it saw had (``dgmlab_paths``) and stops if one is not the round's own tree.
The worktree's sources are compiled first (a sandboxed kernel cannot write ``__pycache__``). ``--new-commit
COMMIT`` measures a worktree of COMMIT (made and removed the same way) in place of this checkout.

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
import inspect, json, shutil, sys, threading, time
import psutil
sys.path.insert(0, "benchmarks")
from scratch_course import scratch_course
import dgmlab
from dgmlab.grading import course as C
from dgmlab.grading.report import report as R
from dgmlab.grading.autograde import timings as T
hw, n = sys.argv[1], int(sys.argv[2])
seen, done = {}, threading.Event()

def kind(cmd):
    text = " ".join(cmd)
    if "ipykernel_launcher" in text:
        return "kernel"
    if "dgmlab.grading.judge.judge_process" in text:
        return "judge"
    if "multiprocessing" in text or "distributed" in text:
        return "dask_worker"
    return None

def pythonpath(proc, cmd):
    if cmd and cmd[0].endswith("bwrap") and "PYTHONPATH" in cmd:  # a sandbox: the path it sets inside
        return cmd[cmd.index("PYTHONPATH") + 1]
    try:
        return proc.environ().get("PYTHONPATH", "")
    except (psutil.Error, OSError):
        return None  # not readable (the sandboxed judge is not dumpable): its bwrap's command line tells

def watch():  # which dgmlab every worker, kernel and judge process of this round imports
    me = psutil.Process()
    while not done.is_set():
        for proc in me.children(recursive=True):
            if proc.pid in seen:
                continue
            try:
                cmd = proc.cmdline()
            except psutil.Error:
                continue
            k = kind(cmd)
            if k:
                seen[proc.pid] = (k, "bwrap" if cmd[0].endswith("bwrap") else "python", pythonpath(proc, cmd))
        time.sleep(0.2)

course = scratch_course(hw, n)
threading.Thread(target=watch, daemon=True).start()
t0 = time.monotonic()
if "options" in inspect.signature(C.autograde).parameters:  # options travel whole (issue 55)
    from dgmlab.grading.autograde.options import RunOptions
    results = C.autograde(course, hw, options=RunOptions(workers=2, sandbox=True, feedback=True, force=True))
else:  # an older tree: its keyword arguments
    results = C.autograde(course, hw, jobs=2, sandbox=True, feedback=True, force=True)
wall = time.monotonic() - t0
done.set()
grades = {g.student: g.auto_score for g in R.grades(course, hws=[hw])}
phases = {name: round(med, 3) for name, _, med, _ in T.phase_summary(results) if not name.startswith("test:")}
paths = {}
for k, how, path in seen.values():
    if path is not None:
        paths.setdefault(f"{k} ({how})", set()).add(path)
shutil.rmtree(course.root, ignore_errors=True)
print(json.dumps({"wall_s": wall, "statuses": sorted({r.status for r in results}), "grades": grades,
                  "phase_medians_s": phases, "dgmlab_here": dgmlab.__file__,
                  "dgmlab_paths": {k: sorted(v) for k, v in sorted(paths.items())}}))
"""


def one_round(python: str, checkout: Path, hw: str, n: int, pythonpath: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": pythonpath}
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
    src = str(checkout / "src")
    if not out["dgmlab_here"].startswith(src + os.sep):
        raise SystemExit(f"{checkout}: the round imported {out['dgmlab_here']}, not its own dgmlab")
    # every worker, kernel and judge imports this tree's dgmlab: PYTHONPATH is it, or (no pythonpath given) unset,
    # so the venv's install of this checkout is imported, or this checkout's src/ (a sandbox sets it)
    allowed = {pythonpath} if pythonpath else {"", src}
    wrong = {k: v for k, v in out["dgmlab_paths"].items() if not set(v) <= allowed}
    missing = {"kernel", "judge", "dask_worker"} - {k.split()[0] for k in out["dgmlab_paths"]}
    if wrong or missing:
        raise SystemExit(f"{checkout}: processes with another dgmlab: {wrong}, not seen: {missing}")
    return out


def wait_for_load(limit: float, max_wait: float) -> tuple[float, float]:
    """Wait until the 1-minute load average is at most ``limit`` or ``max_wait`` s passed: (load, seconds waited)."""
    t0 = time.monotonic()
    while os.getloadavg()[0] > limit and time.monotonic() - t0 < max_wait:
        time.sleep(5)
    return os.getloadavg()[0], time.monotonic() - t0


def worktree(commit: str, path: Path | None) -> tuple[Path, bool]:
    """A git worktree of ``commit`` (at ``path``, made if missing) with its sources compiled; (path, made here)."""
    path = path or ROOT.parent / f"dgmlab-bench-{commit}"  # not under /tmp: the sandbox mounts its own /tmp
    made = not path.exists()
    if made:
        subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=ROOT, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True).stdout.strip()
    want = subprocess.run(["git", "rev-parse", commit], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    if head != want:
        raise SystemExit(f"{path} is at {head[:7]}, not {commit}")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(path / "src")], check=True)
    return path, made


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--old", type=Path, help="a checkout of the kit before the change (with --old-python)")
    p.add_argument("--old-python", help="the python of a venv with that checkout installed")
    p.add_argument("--compare-with", metavar="COMMIT",
                   help="the old tree: a worktree of COMMIT run with this venv and PYTHONPATH=<worktree>/src")
    p.add_argument("--worktree", type=Path,
                   help="where that worktree is (default ../dgmlab-bench-<COMMIT> beside this checkout)")
    p.add_argument("--new-commit", metavar="COMMIT",
                   help="measure a worktree of COMMIT as the new tree (same venv, PYTHONPATH), not this checkout: "
                        "a checkout others commit in changes under a long run")
    p.add_argument("--hw", default="hw3_flows")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--load-limit", type=float, default=1.5, help="a round waits for this 1-minute load average")
    p.add_argument("--max-wait", type=float, default=180.0, help="seconds a round waits for it at most")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    made, new, new_python, new_path, made_new = False, ROOT, sys.executable, "", False
    if args.new_commit:
        new, made_new = worktree(args.new_commit, None)
        new_path = str(new.resolve() / "src")
    if args.compare_with:
        args.old, made = worktree(args.compare_with, args.worktree)
        old_python, old_path = sys.executable, str(args.old.resolve() / "src")
    elif args.old and args.old_python:
        old_python, old_path = args.old_python, ""
    else:
        p.error("give --compare-with COMMIT, or --old and --old-python")
    runs = {"old": [], "new": []}
    try:
        for r in range(args.rounds):
            for name, python, checkout, path in (("old", old_python, args.old, old_path),
                                                 ("new", new_python, new, new_path)):
                load, waited = wait_for_load(args.load_limit, args.max_wait)
                started = time.strftime("%H:%M:%S")
                got = one_round(python, checkout.resolve(), args.hw, args.n, path)
                got["load_at_start"], got["waited_for_load_s"] = round(load, 2), round(waited)
                got["started"] = started
                runs[name].append(got)
                print(f"round {r + 1} {name}: {got['wall_s']:.1f} s ({got['wall_s'] / args.n:.2f} s a submission), "
                      f"grades {got['reference_grade']}/{got['partial_grade']}, load {load:.1f} "
                      f"(waited {waited:.0f} s)", flush=True)
        commit = {name: subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=where, capture_output=True,
                                       text=True).stdout.strip() for name, where in (("old", args.old), ("new", new))}
    finally:
        for tree, made_here in ((args.old, made), (new, made_new)):
            if made_here:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    ratio = statistics.median(n["wall_s"] / o["wall_s"] for n, o in zip(runs["new"], runs["old"]))
    grades = [got.pop("grades") for name in ("old", "new") for got in runs[name]]
    summary = {"hw": args.hw, "n": args.n, "workers": 2, "sandbox": True, "feedback": True,
               "when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "command": "python " + " ".join(["benchmarks/bench_judge_cost.py", *(argv or sys.argv[1:])]),
               "old_checkout": commit["old"], "new_checkout": commit["new"],
               "old_pythonpath": old_path or None, "new_pythonpath": new_path or None,
               "order": "old, new, old, new, ...",
               "runs": runs, "grades_identical_in_every_round": all(g == grades[0] for g in grades),
               "grades": grades[0],
               "median_wall_s": {name: round(statistics.median(g["wall_s"] for g in runs[name]), 1)
                                 for name in runs},
               "ratio_new_over_old_by_round": [round(n["wall_s"] / o["wall_s"], 3)
                                               for n, o in zip(runs["new"], runs["old"])],
               "median_ratio_new_over_old": round(ratio, 3)}
    print(f"new / old wall time (median of {args.rounds} rounds): {ratio:.3f}; "
          f"grades identical: {summary['grades_identical_in_every_round']}")
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0 if summary["grades_identical_in_every_round"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
