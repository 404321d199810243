"""What refusing copies of the kit's published weights costs the grading coordinator, per handed-in file.

``dgmlab autograde`` compares each submission's ``*weights.pt`` with the kit's own files of the homework
(``shared_weights.published_copy``) before it hands the submission to a worker. hw5's files are the largest a
homework hands in, so this times them against hw5's published fixtures, one torch thread (docs/novelty.md):

    .venv/bin/python benchmarks/bench_published_copy.py
"""
from __future__ import annotations

import time
from pathlib import Path

import torch

from dgmlab.grading.copies import shared_weights as SW

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def main() -> int:
    torch.set_num_threads(1)
    published = [(p.name, SW.read_weights(p)) for p in sorted(FIXTURES.glob("hw5_*.pt"))]
    for name in ("hw5_genuine_realnvp_256_f16.pt", "hw5_genuine_pixelcnn_64_f16.pt"):
        data = (FIXTURES / name).read_bytes()
        if SW.published_copy(data, published) != name:  # warm-up, and the file is found
            raise SystemExit(f"{name} is not found among the published weights")
        t0 = time.perf_counter()
        for _ in range(10):
            SW.published_copy(data, published)
        print(f"{name} ({len(data) / 2**20:.1f} MiB): {(time.perf_counter() - t0) / 10:.3f} s per file")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
