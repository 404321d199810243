"""Time and memory of one Gradescope submission through the zip, on a clean image: benchmarks/results/gradescope/.

    DGMLAB_GRADESCOPE_WHEELHOUSE=<wheels> python benchmarks/bench_gradescope.py [--hw hw3_flows hw5_explicit]
        [--runs 2] [--boundary user|bubblewrap] [--cpu 0] [--update-measured]

For each homework: a throw-away course holding the kit's source/<hw>, the zip written as `dgmlab gradescope` writes
it (its build time: the wheels of this checkout included), then tests/fixtures/gradescope_image.py's clean image
(setup.sh once, offline from the folder of wheels) and `run_autograder` on the reference submission `--runs` times.
Per submission: the wall time, the peak resident memory of the grader with the kernel and the judge together
(results.json's extra_data.peak_memory_mib, sampled every 0.2 s) and the largest single process's (GNU time's
maximum resident set). ``--cpu N``: the image (setup.sh and every submission) runs on that one core only
(``taskset -c N``), as Gradescope's default container has one. ``--update-measured``: the peaks and times become
src/dgmlab/grading/gradescope/measured.py's (what `dgmlab gradescope` says of a homework that needs more than
Gradescope's default memory). One record per run: benchmarks/results/gradescope/<UTC time>.json. Needs root (namespaces).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "gradescope"
sys.path[:0] = [str(ROOT / "tests" / "fixtures")]


def course_for(hw: str, base: Path):
    from dgmlab.grading import course as C

    root = base / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / hw, root / "source" / hw, ignore=shutil.ignore_patterns("figures"))
    course = C.Course(root)
    C.release(course, [hw], local_only=True)
    return course


def bench(hw: str, runs: int, boundary: str, wheelhouse: Path, base: Path) -> dict:
    from dgmlab.grading.autograde.options import RunOptions
    from dgmlab.grading.gradescope.autograder_zip import write_autograder
    from gradescope_image import run_image

    course = course_for(hw, base)
    t0 = time.time()
    zip_path = write_autograder(course, hw, base / f"{hw}.zip", RunOptions(timeout=900, sandbox=None))
    build = time.time() - t0
    folder = ROOT / "examples" / "demo_reference" / hw
    subs = {f"run{i}": (folder, None) for i in range(runs)}
    env = {"DGMLAB_GRADESCOPE_BOUNDARY": "user"} if boundary == "user" else {}
    found = run_image(base / "image", zip_path, wheelhouse, subs, env)
    if found["rc"] != 0:
        raise SystemExit(f"{hw}: the image failed: {found['stdout'][-2000:]}{found['stderr'][-2000:]}"
                         f"{found['setup_log'][-2000:]}")
    per = []
    for name in subs:
        res = found[name]["results"] or {}
        extra = res.get("extra_data", {})
        seconds, rc = found["times"][name]
        per.append({"seconds": round(seconds, 2), "rc": rc, "score": res.get("score"),
                    "peak_memory_mib": extra.get("peak_memory_mib"),
                    "peak_memory_parts_mib": extra.get("peak_memory_parts_mib"),
                    "largest_process_mib": round(found[name]["maxrss_kib"] / 1024, 1)
                    if found[name]["maxrss_kib"] else None, "boundary": extra.get("boundary", ""),
                    "timings_s": extra.get("timings_s")})  # where the seconds went (results.json's extra_data)
    return {"hw": hw, "zip_build_seconds": round(build, 1), "zip_mib": round(zip_path.stat().st_size / 2 ** 20, 2),
            "setup_seconds": round(found.get("setup_seconds", float("nan")), 1), "submissions": per}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hw", nargs="+", default=["hw3_flows", "hw5_explicit"])
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--boundary", choices=["user", "bubblewrap"], default="user")
    p.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    p.add_argument("--cpu", type=int, default=None, help="run the image on this one core (taskset -c CPU)")
    p.add_argument("--update-measured", action="store_true", help="write the peaks and times into measured.py")
    args = p.parse_args(argv)
    from gradescope_image import WHEELHOUSE_ENV, WHEELHOUSE_HELP, usable

    wheelhouse = os.environ.get(WHEELHOUSE_ENV, "")
    if not wheelhouse:
        raise SystemExit(WHEELHOUSE_HELP)
    why = usable()
    if why:
        raise SystemExit(f"no clean image here: {why}")
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})  # inherited by the image's every process
    load = os.getloadavg()
    records = []
    for hw in args.hw:
        with tempfile.TemporaryDirectory(prefix=f"bench-gradescope-{hw}-",
                                         dir=os.environ.get("DGMLAB_BENCH_TMP")) as tmp:
            records.append(bench(hw, args.runs, args.boundary, Path(wheelhouse), Path(tmp)))
        print(json.dumps(records[-1], indent=1), flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    now = dt.datetime.now(dt.timezone.utc)
    out = {"date": now.isoformat(timespec="seconds"), "commit": commit, "boundary": args.boundary,
           "cpus": os.cpu_count(),
           "pinned_cpu": args.cpu, "load_before": [round(x, 2) for x in load],
           "load_after": [round(x, 2) for x in os.getloadavg()], "note": args.note, "homeworks": records}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")
    if args.update_measured:
        update_measured(path.relative_to(ROOT).as_posix(), records)
    return 0


MEASURED = ROOT / "src" / "dgmlab" / "grading" / "gradescope" / "measured.py"


def update_measured(record: str, records: list) -> None:
    """Rewrite measured.py's block between its markers: ``RECORD`` and ``MEASURED`` from this run (the other
    homeworks' rows kept)."""
    import re

    text = MEASURED.read_text(encoding="utf-8")
    head, rest = text.split("# -- written by benchmarks/bench_gradescope.py --update-measured\n")
    block, tail = rest.split("# -- end\n")
    rows = dict(re.findall(r'^    "(\w+)": (\([^)]*\)),$', block, flags=re.M))
    for rec in records:
        subs = [s for s in rec["submissions"] if s["peak_memory_mib"] is not None]
        if subs:
            rows[rec["hw"]] = f"({max(s['peak_memory_mib'] for s in subs)}, {max(s['seconds'] for s in subs):.1f})"
    lines = [f'RECORD = "{record}"', "MEASURED = {  # hw: (peak MiB, seconds a submission), the most over the "
             "record's runs", *(f'    "{hw}": {row},' for hw, row in sorted(rows.items())), "}"]
    MEASURED.write_text(head + "# -- written by benchmarks/bench_gradescope.py --update-measured\n"
                        + "\n".join(lines) + "\n# -- end\n" + tail, encoding="utf-8")
    print(f"wrote {MEASURED.relative_to(ROOT)}")


if __name__ == "__main__":
    raise SystemExit(main())
