"""Calibrate ``dgmlab.grading.copies.shared_weights.THRESHOLD``: how alike independent runs' weights are, and copies'.

Reads training runs that saved their generator after every epoch (files matching ``--pattern`` in each run
folder, epoch number last in the name) and measures the similarity ``dgmlab report`` flags:

- independent: every saved epoch of one run against every saved epoch of another run started from another
  seed (what two honest students hand in, at whatever epochs they stopped);
- copied: epoch k of a run against its last epoch (a student who copied a classmate's network at epoch k and
  trained it on to the end).

Usage (seconds):

    .venv/bin/python benchmarks/calibrate_shared_weights.py --label hw1 --pattern 'generator_epoch*.pt' \\
        /work/runs/hw1cpu40 /work/runs/hw1cpu40s1 --json benchmarks/results/shared_weights_calibration.json
"""
from __future__ import annotations

import argparse
import itertools
import json
import re
from pathlib import Path

from dgmlab.grading.copies.shared_weights import THRESHOLD, read_weights, similarity


def epochs(run: Path, pattern: str) -> dict[int, Path]:
    """{epoch: file} of one run folder (the last number in each file name)."""
    out = {int(re.findall(r"\d+", f.stem)[-1]): f for f in run.glob(pattern)}
    if not out:
        raise SystemExit(f"no file matching {pattern!r} in {run}")
    return dict(sorted(out.items()))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", type=Path, nargs="+", help="run folders, each trained from its own seed")
    p.add_argument("--label", required=True, help="the record's name in the JSON file (e.g. hw1)")
    p.add_argument("--pattern", required=True, help="glob of the per-epoch weights files in each run folder")
    p.add_argument("--json", type=Path, required=True, help="JSON file the record is written into (by label)")
    args = p.parse_args(argv)

    runs = {str(r): {e: read_weights(f) for e, f in epochs(r, args.pattern).items()} for r in args.runs}
    independent = []
    for (ra, wa), (rb, wb) in itertools.combinations(runs.items(), 2):
        for (ea, a), (eb, b) in itertools.product(wa.items(), wb.items()):
            independent.append({"runs": [ra, rb], "epochs": [ea, eb], "similarity": round(similarity(a, b)[0], 4)})
    copied = []
    for run, w in runs.items():
        last = max(w)
        for e in w:
            if e != last:
                copied.append({"run": run, "copied_at": e, "trained_to": last,
                               "similarity": round(similarity(w[e], w[last])[0], 4)})
    values = sorted(r["similarity"] for r in independent)
    record = {"pattern": args.pattern, "runs": list(runs), "threshold": THRESHOLD,
              "independent_max": values[-1] if values else None, "independent_pairs": len(independent),
              "independent_quantiles": {q: values[min(len(values) - 1, int(q * len(values)))]
                                        for q in (0.5, 0.9, 0.99)} if values else {},
              "independent_top": sorted(independent, key=lambda r: -r["similarity"])[:20],  # all: thousands
              "copied_min": min((r["similarity"] for r in copied), default=None), "copied_pairs": len(copied),
              "copied": copied}
    print(f"{args.label}: {len(independent)} independent pairs, largest similarity {record['independent_max']}; "
          f"{len(copied)} copies trained on to the last epoch, smallest {record['copied_min']}; "
          f"threshold {THRESHOLD}")
    for r in sorted(copied, key=lambda r: (r["run"], r["copied_at"])):
        if r["copied_at"] in (1, 2, 5, 10, 20, 30) or r["trained_to"] - r["copied_at"] <= 1:
            print(f"  {Path(r['run']).name}: epoch {r['copied_at']:>2} vs {r['trained_to']}: {r['similarity']:.3f}")
    old = json.loads(args.json.read_text()) if args.json.exists() else {}
    old[args.label] = record
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(old, indent=1) + "\n")  # the copied rows (tens per run) and a summary
    bad = (record["independent_max"] or 0) >= THRESHOLD or (record["copied_min"] or 1) < THRESHOLD
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
