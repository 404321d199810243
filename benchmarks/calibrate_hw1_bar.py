"""Calibrate hw1's graded artifact bar and write the figures of a finished hw1 benchmark run.

Reads the checkpoints ``generator_epochNN.pt`` and ``results.json`` that
``bench_hw1_wgan.py --eval-every 1`` wrote into ``RUN`` and

- draws 20 independent sets the size of the graded file (1,000 samples; ``--draw-size``), with noise
  seeds 1000..1019 (none of them the graded seed 0), from every checkpoint and scores each set the way
  the graded cell does (``mnist_score(x, splits=1)`` and the number of digit classes the classifier finds);
- scores 10,000 samples of the final generator (MNIST classifier score with 10 splits,
  Fréchet distance in the classifier's features, classes);
- proposes the bar: the largest multiple of 0.25 that at least 19 of 20 draws clear at every one of
  the last five checkpoints (so the bar allows for the run-to-run wobble of late training, not only
  for the draw), and reports how often the epoch-5 checkpoint clears it;
- with ``--average-last K``, does the same for the generator the notebook grades: the mean of the saved
  generators of the last K epochs (``train_wgan(..., average=)`` keeps that mean while training; computed
  here from the per-epoch checkpoints, which gives the same weights up to rounding), recorded under
  ``"average"``; the graded-samples figure and the interpolation strip then show the average;
- writes the per-epoch curve, the samples of every fifth epoch and the interpolation strip.

Usage (a few minutes on a CPU):

    .venv/bin/python benchmarks/calibrate_hw1_bar.py /tmp/hw1_conv40 \\
        --json benchmarks/results/hw1_wgan_conv40.json --figures docs/figures
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from bench_hw1_wgan import load_reference

DRAW_SEEDS = range(1000, 1020)
DRAW_SIZE = 1000  # samples in the graded file, samples_1000.pt
EARLY_EPOCH = 5


def draw_scores(ns, generator, *, n, seeds=DRAW_SEEDS, scale="[-1,1]"):
    """[(score, classes)] of ``n``-sample draws (the graded file's size), scored as a graded cell scores its file.

    ``ns["sample_generator"](generator, n=, seed=)`` draws them; ``scale`` is the generator's output range.
    """
    from dgmlab import metrics

    out = []
    for seed in seeds:
        x = ns["sample_generator"](generator, n=n, seed=seed)
        score, _ = metrics.mnist_score(x, splits=1, scale=scale)
        out.append((float(score), int(metrics.mnist_predict(x, scale=scale).unique().numel())))
    return out


def mean_state(states: list[dict]) -> dict:
    """The entry-wise mean of state dicts (weights and batch-norm statistics); integer entries from the first."""
    return {k: sum(s[k] for s in states) / len(states) if v.is_floating_point() else v for k, v in states[0].items()}


def propose_bar(late_draws: list[list[tuple[float, int]]], step: float = 0.25, need: int = 19) -> float:
    """Largest multiple of ``step`` that ``need`` of every checkpoint's 20 draws reach."""
    worst = min(sorted(s for s, _ in draws)[len(draws) - need] for draws in late_draws)
    return math.floor(worst / step) * step


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="the --out folder of bench_hw1_wgan.py")
    p.add_argument("--json", type=Path, required=True, help="where to write the calibration record")
    p.add_argument("--figures", type=Path, required=True, help="folder for hw1_*.png")
    p.add_argument("--final-n", type=int, default=10_000)
    p.add_argument("--draw-size", type=int, default=DRAW_SIZE,
                   help="samples per draw (the graded file's size; 100 gives the old file's calibration)")
    p.add_argument("--epochs", type=int, nargs="+", metavar="E",
                   help="calibrate only these saved epochs (e.g. 5 36 37 38 39 40); by default every one saved")
    p.add_argument("--ema", action="store_true",
                   help="calibrate the moving average of the generator (generator_ema_epochNN.pt, written by "
                        "bench_hw1_wgan.py --ema) instead of the trained generator itself")
    p.add_argument("--average-last", type=int, default=None, metavar="K",
                   help="also calibrate the mean of the last K epochs' generators (the notebook grades K=5)")
    args = p.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from dgmlab import metrics, plots

    torch.set_num_threads(1)
    ns = load_reference(torch.device("cpu"), also=["q3_interpolate"])  # the strip below uses interpolate() too
    run = json.loads((args.run / "results.json").read_text())
    prefix = "generator_ema_epoch" if args.ema else "generator_epoch"
    epochs = sorted(int(f.stem[-2:]) for f in args.run.glob(f"{prefix}[0-9][0-9].pt"))
    if args.epochs:
        missing = sorted(set(args.epochs) - set(epochs))
        if missing:
            raise SystemExit(f"--epochs {missing}: no {prefix}NN.pt for them in {args.run} (saved: {epochs})")
        epochs = sorted(set(args.epochs))
    if not epochs:
        raise SystemExit(f"no {prefix}NN.pt in {args.run}: run bench_hw1_wgan.py with --eval-every 1"
                         + (" --ema 0.999" if args.ema else ""))

    def generator_at(epoch):
        g = ns["Generator"]()
        g.load_state_dict(torch.load(args.run / f"{prefix}{epoch:02d}.pt", weights_only=True))
        return g.eval()

    averaged = []
    if args.average_last:
        averaged = list(range(epochs[-1] - args.average_last + 1, epochs[-1] + 1))
        missing = [e for e in averaged if not (args.run / f"{prefix}{e:02d}.pt").exists()]
        if missing or averaged[0] < 1:
            raise SystemExit(f"--average-last {args.average_last}: no {prefix}NN.pt for epochs {missing or averaged} "
                             f"in {args.run}")

    draws = {e: draw_scores(ns, generator_at(e), n=args.draw_size) for e in epochs}
    late = [e for e in epochs if e > epochs[-1] - 5]
    bar = propose_bar([draws[e] for e in late])
    table = []
    for e in epochs:
        scores = sorted(s for s, _ in draws[e])
        table.append({"epoch": e, "min": round(scores[0], 3), "second_lowest": round(scores[1], 3),
                      "median": round(scores[10], 3), "max": round(scores[-1], 3),
                      "min_classes": min(c for _, c in draws[e]),
                      "draws_clearing_bar": sum(s >= bar for s in scores)})
        print(json.dumps(table[-1]), flush=True)

    def final_scores(g):
        x = ns["sample_generator"](g, n=args.final_n, seed=12345)
        mean, std = metrics.mnist_score(x, scale="[-1,1]")
        counts = torch.bincount(metrics.mnist_predict(x, scale="[-1,1]"), minlength=10).tolist()
        graded = ns["sample_generator"](g, n=args.draw_size, seed=0)
        return graded, {
            "n": args.final_n, "mnist_score": round(mean, 3), "mnist_score_std": round(std, 3),
            "mnist_frechet": round(metrics.mnist_frechet_distance(x, scale="[-1,1]"), 2), "class_counts": counts,
            "graded_n": args.draw_size,
            "graded_score": round(metrics.mnist_score(graded, splits=1, scale="[-1,1]")[0], 3),
            "graded_classes": int(metrics.mnist_predict(graded, scale="[-1,1]").unique().numel())}

    final_g = generator_at(epochs[-1])
    graded, final = final_scores(final_g)
    final = {"epoch": epochs[-1], **final}
    print(json.dumps(final), flush=True)
    average = None
    if averaged:
        final_g = ns["Generator"]()
        final_g.load_state_dict(mean_state([torch.load(args.run / f"{prefix}{e:02d}.pt", weights_only=True)
                                            for e in averaged]))
        final_g.eval()
        scores = sorted(s for s, _ in draw_scores(ns, final_g, n=args.draw_size))
        graded, average = final_scores(final_g)
        average = {"epochs": averaged, **average, "draws": {
            "min": round(scores[0], 3), "second_lowest": round(scores[1], 3), "median": round(scores[10], 3),
            "max": round(scores[-1], 3), "clearing_bar": sum(s >= bar for s in scores)}}
        print(json.dumps({"average": average}), flush=True)
    record = {"run": str(args.run), "args": run.get("args"), "generator": "moving average" if args.ema else "trained", "seconds_per_epoch": [r["seconds"] for r in run["epochs"]],
              "draw_seeds": [DRAW_SEEDS.start, DRAW_SEEDS.stop - 1], "draw_size": args.draw_size,
              "late_epochs": late, "proposed_bar": bar,
              "early_epoch_draws_clearing": next((t["draws_clearing_bar"] for t in table if t["epoch"] == EARLY_EPOCH),
                                                 None),
              "calibration": table, "final": final, "average": average, "per_epoch": run["epochs"]}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1))

    # figures: per-epoch curve, samples every fifth epoch, interpolation strip
    args.figures.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    rows = [{**r, **r["ema"]} if args.ema else r for r in run["epochs"] if not args.ema or "ema" in r]
    ax.plot([r["epoch"] for r in rows], [r["mnist_score_1000"] for r in rows], label="1,000 samples, 10 splits")
    ax.plot(epochs, [sorted(s for s, _ in draws[e])[10] for e in epochs], marker="o",
            label=f"{args.draw_size:,} samples, 1 split (median of 20 draws at each saved epoch; graded)")
    ax.fill_between(epochs, [min(s for s, _ in draws[e]) for e in epochs],
                    [max(s for s, _ in draws[e]) for e in epochs], alpha=0.2)
    ax.axhline(bar, ls="--", c="gray", label=f"graded bar {bar}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MNIST classifier score")
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(args.figures / "hw1_score_by_epoch.png", dpi=100, bbox_inches="tight")
    plt.close(fig)

    fixed_z = torch.randn(16, ns["Z_DIM"], generator=torch.Generator().manual_seed(1))
    shown = [e for e in epochs if e % 5 == 0] or epochs[-1:]
    with torch.no_grad():
        rows_img = torch.stack([generator_at(e)(fixed_z) for e in shown])
    plots.interpolation_strip(rows_img, title="rows: epochs " + ", ".join(map(str, shown)) + " (same noise)",
                              save=args.figures / "hw1_samples_by_epoch.png")
    plt.close("all")
    plots.image_grid(graded[:100], nrow=10,
                     title=f"the first 100 graded samples after {epochs[-1]} epochs"
                           + (f" (mean of epochs {averaged[0]}-{averaged[-1]})" if averaged else ""),
                     save=args.figures / "hw1_samples_100.png")
    plt.close("all")
    g = torch.Generator().manual_seed(7)
    ends = [(torch.randn(ns["Z_DIM"], generator=g), torch.randn(ns["Z_DIM"], generator=g)) for _ in range(3)]
    with torch.no_grad():
        strips = torch.stack([final_g(ns["interpolate"](a, b, steps=10, method=m))
                              for a, b in ends for m in ("linear", "slerp")])
    plots.interpolation_strip(strips, title="rows: linear / slerp for 3 pairs of latent vectors",
                              save=args.figures / "hw1_interpolations.png")
    plt.close("all")
    print(json.dumps({"proposed_bar": bar, "early_epoch_draws_clearing": record["early_epoch_draws_clearing"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
