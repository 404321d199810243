"""Scaling figures for grading on Dask (benchmarks/results/performance.md; runs logged in benchmarks/results/autograde_throughput.md).

Usage:
    python benchmarks/bench_dask_autograde.py local --hw hw3_flows --n 10 [--out benchmarks/results/x.json]
    python benchmarks/bench_dask_autograde.py simulate --hw hw3_flows --n 1000 --slots 64 [--scale 0.1] [--out ...]

``local``: a scratch course with N copies of the homework's reference and partial example
submissions (alternating) is graded by plain ``nbgrader autograde`` (serial, unsandboxed), then by
``dgmlab autograde`` on a LocalCluster of 1 and of 2 workers (sandboxed when bubblewrap is present,
with feedback, every submission graded again). Stops if any way gives another grade. Reports wall
times, the speed-up, per-phase medians, and each submission's cost against its floor (kernel start
+ imports + the notebook's own cells and tests, measured in the same gradings).

``simulate``: a cluster of ``--slots`` one-thread workers (8 worker processes of slots/8 threads
each, on this machine) grades N submissions with a stand-in task that sleeps for a grading's
recorded worker time (times ``--scale``) and returns a real result (scores, the autograded notebook
and the feedback page of one real grading). The coordinator does its real work for each: the grading
key, the task, the gradebook transaction, the files, the record. Reports the coordinator's CPU time
per submission (this process, which also runs the Dask scheduler) and the gradebook write time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from dgmlab.grading import course as C
from dgmlab.grading.autograde import coordinator, worker
from dgmlab.grading.autograde.homework_bundle import make_bundle
from dgmlab.grading.autograde.keys import folder_files, read_homework
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.autograde.task_records import Job
from dgmlab.grading.autograde.timings import phase_summary
from dgmlab.grading.isolation import kernel_sandbox as sandbox
from dgmlab.grading.report import report as R
from scratch_course import scratch_course

ROOT = Path(__file__).resolve().parents[1]

FLOOR = ("kernel_start", "imports", "cells", "tests")


def scores(course, hw):
    return {g.student: g.auto_score for g in R.grades(course, hws=[hw])}


def medians(results) -> dict:
    return {name: round(med, 2) for name, n, med, p95 in phase_summary(results)}


def bench_local(hw: str, n: int, kernels: str = "cold") -> dict:
    course = scratch_course(hw, n)
    out = {"hw": hw, "n": n, "load_at_start": os.getloadavg()[0], "sandbox": sandbox.available()[0],
           "kernels": kernels}
    try:
        t0 = time.monotonic()
        res = course.nbgrader("autograde", hw, "--force")
        out["plain_s"] = time.monotonic() - t0
        if not res.ok:
            raise SystemExit(f"plain nbgrader autograde failed:\n{res.output[-2000:]}")
        plain = scores(course, hw)
        ways = [(w, k) for k in (("cold", "warm") if kernels == "both" else (kernels,)) for w in (1, 2)]
        for workers, kind in ways:
            name = f"workers{workers}" + ("_warm" if kind == "warm" and kernels == "both" else "")
            t0 = time.monotonic()
            results = C.autograde(course, hw, options=RunOptions(workers=workers, force=True,
                                                                 limits=sandbox.Limits(warm=kind == "warm")))
            wall = time.monotonic() - t0
            bad = [r for r in results if r.status != "graded"]
            if bad:
                raise SystemExit(f"not graded: {[(r.student, r.status, r.reason) for r in bad]}")
            if scores(course, hw) != plain:
                raise SystemExit(f"{workers} worker(s) gave other grades than plain nbgrader")
            per_sub = [sum(r.timings.get(p, 0) for p in FLOOR) for r in results]
            worker_s = [r.timings["total"] - r.timings.get("queue_wait", 0) for r in results]
            out[name] = {
                "wall_s": wall, "s_per_submission": wall / n, "phase_medians": medians(results),
                "floor_median_s": statistics.median(per_sub),
                "grading_median_s": statistics.median(worker_s),
                "ratio_to_floor": statistics.median(w / f for w, f in zip(worker_s, per_sub)),
                "vs_plain": wall / out["plain_s"], "load_after": os.getloadavg()[0],
            }
            print(json.dumps({name: out[name]}, indent=1), flush=True)
        out["speedup_2_over_1"] = out["workers1"]["wall_s"] / out["workers2"]["wall_s"]
        out["distinct_scores"] = sorted(set(plain.values()))
        return out
    finally:
        shutil.rmtree(course.root, ignore_errors=True)


# ------------------------------------------------------------------ simulation
def make_replay(template_path: str, sleep: float):
    """A stand-in grading task: sleep ``sleep`` s, return the recorded result in ``template_path`` (a pickle)."""

    def replay(bundle, job):
        import pickle
        import time as _time

        start = _time.time()
        with open(template_path, "rb") as f:
            result = pickle.load(f)
        _time.sleep(sleep)
        return {**result, "student": job["student"], "finished_at": _time.time(),
                "timings": {"queue_wait": max(0.0, start - job["submitted_at"]), "replayed": sleep}}

    return replay


def recorded_result(hw: str, warm: bool = False) -> tuple[dict, float]:
    """One real grading of the reference submission (sandboxed when possible, with feedback), run in this process.
    ``warm``: its kernel forked from this process's zygote; the zygote is started by a first grading, not timed."""
    course = scratch_course(hw, 1)
    try:
        options = RunOptions(timeout=900, feedback=True, sandbox=sandbox.available()[0],
                             limits=sandbox.Limits(warm=warm))
        bundle = make_bundle(read_homework(course, hw), options)
        for _ in range(2 if warm else 1):  # warm: the first grading starts the zygote (its imports: a cold start)
            job = Job(student="student0000", files=folder_files(course.root / "submitted" / "student0000" / hw),
                      submitted_at=time.time())
            t0 = time.time()
            raw = worker.grade_submission(bundle, job).to_wire()  # what the replayed task returns: the wire form
            worker_time = time.time() - t0
            if raw.get("status") != "graded":
                raise SystemExit(f"the recorded grading failed: {raw.get('reason')}")
        return {k: v for k, v in raw.items() if k not in ("timings", "finished_at", "steps")}, worker_time
    finally:
        shutil.rmtree(course.root, ignore_errors=True)


def bench_simulated(hw: str, n: int, slots: int, scale: float, kernels: str = "cold") -> dict:
    import pickle

    import dask
    from distributed import Client, LocalCluster

    if kernels == "both":
        raise SystemExit("simulate replays one grading: --kernels cold or warm")
    result, worker_time = recorded_result(hw, warm=kernels == "warm")
    sleep = worker_time * scale
    course = scratch_course(hw, n)
    processes = min(8, slots)
    template = Path(tempfile.mkdtemp(prefix="dgmlab-replay-")) / "result.pickle"
    template.write_bytes(pickle.dumps(result))
    try:
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            with LocalCluster(n_workers=processes, threads_per_worker=slots // processes, processes=True,
                              dashboard_address=None, memory_limit=0) as cluster, Client(cluster) as client:
                client.wait_for_workers(processes)
                cpu0 = time.process_time()
                t0 = time.monotonic()
                results = coordinator.run(course, hw, course.submitted(hw), RunOptions(sandbox=False, limits=sandbox.Limits()),
                                cluster=client, task=make_replay(str(template), sleep))
                wall = time.monotonic() - t0
                cpu = time.process_time() - cpu0
        bad = [r for r in results if r.status != "graded"]
        if bad:
            raise SystemExit(f"simulated gradings not written: {bad[:3]}")
        gradebook = sorted(r.timings["gradebook"] for r in results)
        write_back = sorted(r.timings["write_back"] for r in results)
        return {"hw": hw, "n": n, "slots": slots, "worker_processes": processes, "scale": scale, "kernels": kernels,
                "recorded_grading_s": worker_time, "replayed_grading_s": sleep,
                "result_bytes": len(template.read_bytes()),
                "wall_s": wall, "ideal_wall_s": sleep * -(-n // slots),
                "coordinator_cpu_s": cpu, "coordinator_cpu_per_submission_ms": 1000 * cpu / n,
                "gradebook_write_median_ms": 1000 * statistics.median(gradebook),
                "gradebook_write_p95_ms": 1000 * gradebook[max(0, -(-95 * n // 100) - 1)],
                "write_back_median_ms": 1000 * statistics.median(write_back),
                "write_back_p95_ms": 1000 * write_back[max(0, -(-95 * n // 100) - 1)],
                "gradebook_submissions": len(R.grades(course, hws=[hw])),
                "load_at_start": os.getloadavg()[0]}
    finally:
        shutil.rmtree(course.root, ignore_errors=True)
        shutil.rmtree(template.parent, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["local", "simulate"])
    p.add_argument("--hw", default="hw3_flows")
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--slots", type=int, default=64, help="simulate: concurrent gradings (one-thread workers)")
    p.add_argument("--scale", type=float, default=1.0, help="simulate: replayed grading time = recorded x scale")
    p.add_argument("--kernels", choices=["cold", "warm", "both"], default="cold",
                   help="kernels started cold, or forked warm from each worker's zygote; local: or both in one run; "
                        "simulate: the replayed grading's")
    p.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = p.parse_args(argv)
    if args.mode == "local":
        out = bench_local(args.hw, args.n, args.kernels)
    else:
        out = bench_simulated(args.hw, args.n, args.slots, args.scale, args.kernels)
    out["machine"] = f"{platform.node()}: {os.cpu_count()} cores"
    out["measured"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, indent=1))
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
