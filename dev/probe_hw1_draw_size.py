"""How well hw1's graded score separates an early generator from a finished one, by the size of the graded file.

The graded cell scores the student's samples with ``mnist_score(x, splits=1)``. On 100 samples the score of
one generator varies by about 1.0 from draw to draw, so the bar (8.0) that a finished run clears in 19 of 20
draws is also cleared by 2-3 of 20 draws of an epoch-5 generator. This probe measures, for each checkpoint
given, 20 independent draws (noise seeds 1000-1019, as ``calibrate_hw1_bar.py``) at each file size, so a
larger graded file can be judged on numbers before anything is changed.

Usage (a few minutes on a CPU):

    .venv/bin/python dev/probe_hw1_draw_size.py --sizes 100 1000 \\
        --checkpoint "epoch 5=/work/runs/hw1deep/generator_epoch05.pt" ... --json OUT.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from calibrate_hw1_bar import DRAW_SEEDS, load_reference


def summary(scores: list[float]) -> dict:
    s = sorted(scores)
    return {"min": round(s[0], 3), "second_lowest": round(s[1], 3), "median": round(s[len(s) // 2], 3),
            "second_highest": round(s[-2], 3), "max": round(s[-1], 3)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", action="append", required=True, metavar="LABEL=PATH",
                   help="a generator state dict written by bench_hw1_wgan.py (generator_epochNN.pt); repeat")
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="samples per graded file")
    p.add_argument("--copies", action="store_true",
                   help="also count near-copies of MNIST digits (dgmlab.novelty) in each draw of the largest size")
    p.add_argument("--json", type=Path, required=True)
    args = p.parse_args(argv)

    import torch

    from dgmlab import metrics, novelty

    torch.set_num_threads(1)
    ns = load_reference(torch.device("cpu"))
    record = {"command": "probe_hw1_draw_size.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "draw_seeds": [DRAW_SEEDS.start, DRAW_SEEDS.stop - 1], "score": "mnist_score(x, splits=1)",
              "checkpoints": {}}
    for item in args.checkpoint:
        label, _, path = item.partition("=")
        if not path:
            raise SystemExit(f"--checkpoint {item!r}: write it as LABEL=PATH")
        generator = ns["Generator"]()
        generator.load_state_dict(torch.load(path, weights_only=True))
        generator.eval()
        scores, copies = {n: [] for n in args.sizes}, []
        for seed in DRAW_SEEDS:
            x = ns["sample_generator"](generator, n=max(args.sizes), seed=seed)
            for n in args.sizes:  # the first n of one draw: each size sees the same noise
                scores[n].append(float(metrics.mnist_score(x[:n], splits=1, scale="[-1,1]")[0]))
            if args.copies:
                copies.append(novelty.find_copies(x, scale="[-1,1]").n_copies)
        out = {str(n): summary(scores[n]) for n in args.sizes}
        if args.copies:
            out["near_copies_per_draw"] = {"samples": max(args.sizes), "counts": copies}
        record["checkpoints"][label] = {"path": path, **out}
        print(label, json.dumps(out), flush=True)
    args.json.write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
