"""MNIST classifier score of real MNIST test digits at the sample sizes and splits hw1 prints.

    DGMLAB_DATA=../shared/datasets .venv/bin/python benchmarks/real_digit_scores.py

hw1 states what real digits score next to a student's figure: Q3(b)'s ``evaluate_samples`` scores
1,000 samples (200 in fast mode) with ``mnist_score``'s default 10 splits, the graded file's cell
scores 1,000 samples as one split. This draws ``--draws`` random subsets of the 10,000 test digits
for each setting and writes the range to benchmarks/results/real_digit_scores.json.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

import numpy as np
import torch

from dgmlab import data, metrics

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "real_digit_scores.json"
COMMAND = "DGMLAB_DATA=../shared/datasets .venv/bin/python benchmarks/real_digit_scores.py"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=20, help="random subsets per setting")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    test = data.mnist(train=False, scale="[-1,1]", source="full")
    x = test.images
    mean, std = metrics.mnist_score(x, scale="[-1,1]")
    settings = {}
    for n, splits in [(1000, 1), (1000, 10), (200, 10)]:
        vals = []
        for seed in range(args.draws):
            idx = np.random.default_rng(seed).permutation(len(x))[:n]
            vals.append(float(metrics.mnist_score(x[idx], splits=splits, scale="[-1,1]")[0]))
        settings[f"n{n}_splits{splits}"] = {"n": n, "splits": splits, "draws": args.draws, "min": min(vals),
                                            "max": max(vals), "mean": float(np.mean(vals))}
    record = {"command": COMMAND, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": platform.platform(), "cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0],
              "all_10000_splits10": {"mean": float(mean), "std": float(std)}, "subsets": settings}
    OUT.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=1))
    return record


if __name__ == "__main__":
    main()
