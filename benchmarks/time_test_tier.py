"""Time one test tier and record it: benchmarks/results/test_tiers/<tier>-<UTC time>.json.

    python benchmarks/time_test_tier.py fast|test|e2e [--note "what ran beside it"]

Runs the tier's command as the Makefile does (``make test-fast``, ``make test``, ``make test-e2e``), reads pytest's
summary, and writes one record: the counts, the wall time, the CPU time of the tier's processes (user and system,
all of them: what the tier costs whatever else runs beside it), the tree (commit, and whether it had changes), the
machine's load before and after, the date. ``python tools/write_performance.py`` turns the latest record of each tier
into benchmarks/results/performance.md's table, so no figure there is typed by hand.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "test_tiers"
TIERS = {  # the Makefile's commands (make test-fast, make test, make test-e2e)
    "fast": ["-m", "not slow and not e2e", "-n", "2"],
    "test": ["-m", "not e2e", "-n", "2", "--dist", "loadgroup"],
    "e2e": ["-m", "e2e", "-n", "2", "--dist", "loadgroup"],
}
# The test that judges the committed records: a record's run leaves it out (inside it, it would judge the record before
# this one, so one failed record would fail every later one); `make test` and CI run it. The record names it.
JUDGES_THE_RECORDS = "tests/kit/test_release_figures.py::test_the_latest_fast_and_test_tier_records_have_no_failures"
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")


def counts(text: str) -> dict:
    """``{"passed": n, ...}`` from pytest's last summary line in ``text``."""
    line = next((ln for ln in reversed(text.splitlines()) if " in " in ln and SUMMARY.search(ln)), "")
    found = {}
    for n, what in SUMMARY.findall(line):
        found["errors" if what.startswith("error") else what] = int(n)
    return found


def _children_cpu() -> float:
    """User plus system CPU seconds of every finished child process (pytest and its workers, once reaped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _git(*args) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tier", choices=sorted(TIERS))
    parser.add_argument("--note", default="", help="what else ran on the machine, or anything a reader needs")
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "pytest", *TIERS[args.tier], "-q", "-p", "no:cacheprovider",
               "--deselect", JUDGES_THE_RECORDS]
    if "loadgroup" in TIERS[args.tier]:  # refresh the groups' seconds: the next runs' order (tests/longest_first.py)
        command.append("--record-group-seconds")
    load_before = os.getloadavg()[0]
    # the tree as the tests saw it: read before the run, which rewrites tests/group_seconds.json
    tree, changes = _git("rev-parse", "--short", "HEAD"), bool(_git("status", "--porcelain", "--untracked-files=no"))
    started, cpu_before = time.monotonic(), _children_cpu()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds, cpu = time.monotonic() - started, _children_cpu() - cpu_before
    found = counts(run.stdout)
    failures = [line for line in run.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    if failures:  # what failed, for the reader of the record and the terminal
        print("\n".join(failures), file=sys.stderr)
    if not found:
        print(run.stdout[-3000:] + run.stderr[-3000:], file=sys.stderr)
        print("no pytest summary found: nothing recorded", file=sys.stderr)
        return 2
    record = {"tier": args.tier, "command": " ".join(["pytest", *TIERS[args.tier]]), **found,
              "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "tree": tree, "changes": changes,
              "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1),
              "cores": os.cpu_count(), "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "exit": run.returncode, "failures": failures, "left_out": [JUDGES_THE_RECORDS],
              "note": args.note}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.tier}-{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}: {json.dumps(record)}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
