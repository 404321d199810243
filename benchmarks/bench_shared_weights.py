"""How long ``dgmlab report`` spends comparing a class's weights files (``dgmlab.grading.copies.shared_weights``).

Writes a course of ``--students`` submissions, each holding a state dict shaped like each ``--like`` file (random
numbers in float16, as the notebooks save weights, so no pair is related), then times ``compare`` over it: reading
every file, and comparing every pair. The default files are hw1's generator (8 tensors, 1.5 million numbers) and
hw5's Real NVP (the largest handed in: 84 tensors, 36 of them matrices, 12 of each shape).

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

from dgmlab.grading.copies import shared_weights as SW
from dgmlab.grading.course import Course

ROOT = Path(__file__).resolve().parents[1]
LIKE = [ROOT / "tests" / "fixtures" / "hw1_generator_epoch27_f16.pt",
        ROOT / "tests" / "fixtures" / "hw5_genuine_realnvp_256_f16.pt"]


def make_course(root: Path, students: int, like: Path) -> Course:
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shapes = [tuple(t.shape) for t in torch.load(like, weights_only=True).values()]
    g = torch.Generator().manual_seed(0)
    for i in range(students):
        folder = root / "submitted" / f"s{i:04d}" / "hw"
        folder.mkdir(parents=True)
        torch.save({f"t{j}": torch.randn(s, generator=g).half() for j, s in enumerate(shapes)}, folder / like.name)
    return Course(root)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, nargs="+", default=[100, 300])
    p.add_argument("--like", type=Path, nargs="+", default=LIKE, help="state dicts whose shapes the files copy")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    for like in args.like:
        for n in args.students:
            with tempfile.TemporaryDirectory() as tmp:
                course = make_course(Path(tmp), n, like)
                t0 = time.perf_counter()
                (found,) = SW.compare(course, ["hw"])
                seconds = time.perf_counter() - t0
            print(f"{like.name}: {n} students ({n * (n - 1) // 2} pairs): {seconds:.1f} s, "
                  f"{len(found.pairs)} pairs reported", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
