"""How long the similarity report takes for a class of n students on one homework, and how it grows with n.

The synthetic class is made from the calibration solutions (benchmarks/similarity_corpus/<hw>/ and the proofs'
correct variants): each student answers each corpus cell with a random author's answer (or leaves it blank, one
time in six) and the whole notebook is disguised (renamed, recommented, reordered, reworded) with the student's own
seed. With only five or six answers per cell many pairs share cells, so far more pairs overlap than in a real
class: the comparisons take their slow path more often (a pessimistic measure).

    .venv/bin/python benchmarks/bench_similarity.py --hw hw1_wgan --sizes 75 150 300 \\
        --json benchmarks/results/similarity_scaling.json
"""
from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from calibrate_similarity import ROOT, corpus, disguise, notebook, proof_variants, prose_ids
from dgmlab.grading.copies import similarity as S
from dgmlab.grading.layout import Course


def synthetic_class(hw: str, n: int, folder: Path, seed: int = 0) -> dict:
    """{student: notebook path} of ``n`` students made from the corpus."""
    authors, variants, prose = corpus(hw), proof_variants(hw), prose_ids(hw)
    cells = sorted({g for a in authors.values() for g in a})
    rng = random.Random(seed)
    out = {}
    for i in range(n):
        answers = {}
        for gid in cells:
            choices = [a[gid] for a in authors.values() if gid in a] + variants.get(gid, [])[:1]
            if rng.random() >= 1 / 6:
                answers[gid] = rng.choice(choices)
        sid = f"s{i:03d}"
        out[sid] = notebook(hw, disguise(answers, None, seed=i, prose_ids=prose), folder / sid / hw / f"{hw}.ipynb")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hw", default="hw1_wgan")
    p.add_argument("--sizes", type=int, nargs="+", default=[75, 150, 300])
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    course = Course(ROOT)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            nbs = synthetic_class(args.hw, n, Path(tmp) / str(n))
            start = time.perf_counter()
            cpu = time.process_time()
            r = S.compare_homework(course, args.hw, nbs)
            S.write_csv([r], Path(tmp) / f"{n}.csv")
            row = {"students": n, "pairs": n * (n - 1) // 2, "seconds": round(time.perf_counter() - start, 1),
                   "cpu_seconds": round(time.process_time() - cpu, 1), "rows": len(r.matches),
                   "flagged_students": len(r.flagged())}
            rows.append(row)
            print(row, flush=True)
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        growth = (b["cpu_seconds"] / a["cpu_seconds"]) / (b["pairs"] / a["pairs"]) if a["cpu_seconds"] else None
        print(f"cpu time x{b['cpu_seconds'] / a['cpu_seconds']:.1f} for pairs x{b['pairs'] / a['pairs']:.1f}")
    else:
        growth = None
    if args.json:
        args.json.write_text(json.dumps({
            "command": f"benchmarks/bench_similarity.py --hw {args.hw} --sizes {' '.join(map(str, args.sizes))}",
            "machine": f"{os.cpu_count()} cores, shared with other jobs (one process: the report is single-threaded)",
            "loadavg_at_end": os.getloadavg()[0], "hw": args.hw, "runs": rows,
            "cpu_per_pair_ratio_last_to_first": round(growth, 2) if growth else None}, indent=1) + "\n",
            encoding="utf-8")
        print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
