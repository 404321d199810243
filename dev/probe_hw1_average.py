"""What averaging the generator over the last epochs does to hw1's score on 10,000 samples, over several noise seeds.

For a finished ``bench_hw1_wgan.py --eval-every 1`` run, it scores the last epoch's generator and the mean of
the generators saved at the end of the last K epochs (each K of ``--windows``; the notebook grades K = 5), each
on 10,000 samples drawn with every seed of ``--seeds``: MNIST classifier score (10 splits), Fréchet distance in
the classifier's features, and the score's two factors, exp(H(p(y))) (how evenly the digits are spread; at most
10) and exp(E H(p(y|x))) (how unsure the classifier is of each sample; at least 1), whose ratio is the score
up to the splits.

Usage (about 40 s per generator and seed on a CPU):

    .venv/bin/python dev/probe_hw1_average.py /work/runs/hw1cpu40 --windows 5 \\
        --json benchmarks/results/hw1_cpu40_average_seeds.json
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from calibrate_hw1_bar import load_reference, mean_state


def scores(ns, generator, seed: int, n: int) -> dict:
    """The 10,000-sample figures of one draw (noise ``seed``) and the score's two factors."""
    import torch

    from dgmlab import metrics

    x = ns["sample_generator"](generator, n=n, seed=seed)
    mean, std = metrics.mnist_score(x, scale="[-1,1]")
    p = metrics.mnist_probs(x, scale="[-1,1]").double()  # (n, 10)
    marginal = p.mean(0)
    spread = math.exp(float(-(marginal * marginal.clamp_min(1e-30).log()).sum()))
    unsure = math.exp(float(-(p * p.clamp_min(1e-30).log()).sum(1).mean()))
    return {"seed": seed, "mnist_score": round(mean, 3), "mnist_score_std": round(std, 3),
            "mnist_frechet": round(metrics.mnist_frechet_distance(x, scale="[-1,1]"), 2),
            "exp_entropy_of_digit_spread": round(spread, 3), "exp_mean_entropy_per_sample": round(unsure, 3),
            "class_counts": torch.bincount(p.argmax(1), minlength=10).tolist()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="the --out folder of bench_hw1_wgan.py (generator_epochNN.pt files)")
    p.add_argument("--windows", type=int, nargs="+", default=[5], metavar="K", help="average the last K epochs")
    p.add_argument("--seeds", type=int, nargs="+", default=[12345, 1, 2, 3, 4])
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--json", type=Path, required=True)
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    ns = load_reference(torch.device("cpu"))
    saved = sorted(int(f.stem[-2:]) for f in args.run.glob("generator_epoch[0-9][0-9].pt"))
    if not saved:
        raise SystemExit(f"no generator_epochNN.pt in {args.run}: run bench_hw1_wgan.py with --eval-every 1")
    last = saved[-1]

    def state(epoch):
        return torch.load(args.run / f"generator_epoch{epoch:02d}.pt", weights_only=True)

    candidates = {f"epoch {last}": state(last)}
    for k in args.windows:
        window = range(last - k + 1, last + 1)
        missing = [e for e in window if e not in saved]
        if missing:
            raise SystemExit(f"--windows {k}: no generator_epochNN.pt for epochs {missing} in {args.run}")
        candidates[f"mean of epochs {window[0]}-{last}"] = mean_state([state(e) for e in window])
    record = {"run": str(args.run), "n": args.n, "seeds": args.seeds, "generators": {}}
    for label, weights in candidates.items():
        g = ns["Generator"]()
        g.load_state_dict(weights)
        rows = [scores(ns, g.eval(), seed, args.n) for seed in args.seeds]
        for row in rows:
            print(json.dumps({"generator": label, **row}), flush=True)
        values = [r["mnist_score"] for r in rows]
        record["generators"][label] = {"mean_score": round(sum(values) / len(values), 3), "min_score": min(values),
                                       "max_score": max(values), "draws": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1))
    print(json.dumps({k: {m: v[m] for m in ("mean_score", "min_score", "max_score")}
                      for k, v in record["generators"].items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
