"""How long ``dgmlab report`` spends comparing a class's weights files (``dgmlab.grading.shared_weights``).

Writes a course of ``--students`` submissions, each holding one hw1-shaped generator state dict in float16
(1.5 million numbers, about 3 MB, as the notebook saves it; random, so no pair is related), then times
``shared_pairs`` over it: reading every file, and comparing every pair.

Usage:

    .venv/bin/python benchmarks/bench_shared_weights.py --students 100 300
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import torch

from dgmlab.grading import shared_weights as SW
from dgmlab.grading.course import Course

ROOT = Path(__file__).resolve().parents[1]
SHAPES = [(12544, 64), (12544,), (256, 128, 4, 4), (128,), (128, 64, 4, 4), (64,), (1, 64, 3, 3), (1,)]  # hw1


def make_course(root: Path, students: int) -> Course:
    shutil.copy(ROOT / "nbgrader_config.py", root)
    g = torch.Generator().manual_seed(0)
    for i in range(students):
        folder = root / "submitted" / f"s{i:04d}" / "hw1_wgan"
        folder.mkdir(parents=True)
        torch.save({f"t{j}": torch.randn(s, generator=g).half() for j, s in enumerate(SHAPES)},
                   folder / "generator_weights.pt")
    return Course(root)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, nargs="+", default=[100, 300])
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    for n in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            course = make_course(Path(tmp), n)
            t0 = time.perf_counter()
            pairs = SW.shared_pairs(course, ["hw1_wgan"])
            seconds = time.perf_counter() - t0
        print(f"{n} students ({n * (n - 1) // 2} pairs): {seconds:.1f} s, {len(pairs)} pairs reported")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
