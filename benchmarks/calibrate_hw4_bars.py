"""Calibrate homework 4's graded artifact bars (baseline samples, conditional samples) on real MNIST.

Two steps:

``train``: trains one reference model of source/hw4_gans/hw4_gans.ipynb (``baseline`` or ``cgan``) in full mode
with the notebook's own functions and settings (seed 0, ``EPOCHS``, ``BATCH_SIZE``, ``LR``, ``BETAS``; one
``train_gan``/``train_cgan`` call per epoch, as the notebook's checkpointed runner does) and saves after every
epoch the generator's state dict as ``RUN/<name>_epochNN.pt`` and that of the notebook's average of it
(``moving_average``, what the notebook samples, scores and saves) as ``RUN/<name>_average_epochNN.pt``, with a
log line per epoch in ``RUN/<name>_log.jsonl``. Probes (issue 15, docs/hw4_gans.md): ``--ema D [D ...]`` also
keeps exponential moving averages with those decays per generator update (``RUN/<name>_emaD_epochNN.pt``),
``--epochs``, ``--lr-decay-from`` and ``--seed`` change the run.

``calibrate``: reads those checkpoints (the averaged generator where the run saved one, as the notebook grades
it), draws 20 independent 100-sample sets (noise seeds 1000..1019, none of
them the notebook's) from the final and from an early checkpoint, scores each set exactly as the graded
cells do (``dgmlab.grading.hw4`` via the notebook's graded cells: MNIST classifier score of the 100 baseline
samples with one split; conditional accuracy of 10 samples per digit), scores 5,000 samples of the final
models (and of the run's other generators: the last trained weights, the probes' averages), proposes each bar (the largest multiple of 0.25 / 0.01 that at least 19 of the 20 final draws
reach) and writes the record.

    DGMLAB_DATA=/work/shared/datasets nice -n 15 .venv/bin/python benchmarks/calibrate_hw4_bars.py train baseline /tmp/hw4cal
    DGMLAB_DATA=/work/shared/datasets nice -n 15 .venv/bin/python benchmarks/calibrate_hw4_bars.py train cgan /tmp/hw4cal
    .venv/bin/python benchmarks/calibrate_hw4_bars.py calibrate /tmp/hw4cal --json benchmarks/results/hw4_gans_bars.json
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

from bench_hw4_gans import load_notebook_namespace, lr_factor

DRAW_SEEDS = range(1000, 1020)
EARLY_EPOCH = 5  # a run stopped far too early (at epoch 2 the 2-epoch average is still one grey blob, not digits)


def train(name: str, run: Path, ema_decays: list[float], epochs: int | None = None,
          decay_from: int | None = None, seed: int = 0) -> None:
    import numpy as np
    import torch

    ns = load_notebook_namespace(threads=1)
    run.mkdir(parents=True, exist_ok=True)
    data = ns["load_training_data"]()
    ns["seed_everything"](seed)
    if name == "cgan":
        generator, discriminator, d_steps = ns["ConditionalGenerator"](ns["LATENT_DIM"]), ns["ConditionalDiscriminator"](), 1
    else:
        generator, discriminator, d_steps = ns["make_gan"](name, ns["LATENT_DIM"])
    g_opt = torch.optim.Adam(generator.parameters(), lr=ns["LR"], betas=ns["BETAS"])
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=ns["LR"], betas=ns["BETAS"])
    loader = data.loader(ns["BATCH_SIZE"])
    epochs = epochs or ns["EPOCHS"]
    # the notebook's own average (what its runners sample, score and save), then the probes' extra decays
    averages = {"average": ns["moving_average"](generator, g_opt, updates_per_epoch=len(loader) // d_steps).module}
    for d in ema_decays:
        shadow = copy.deepcopy(generator).requires_grad_(False)  # never fed back into training

        def follow(opt, args, kwargs, shadow=shadow, d=d):
            with torch.no_grad():
                for e, p in zip(shadow.parameters(), generator.parameters()):
                    e.lerp_(p, 1 - d)

        g_opt.register_step_post_hook(follow)
        averages[f"ema{d}"] = shadow
    log = run / f"{name}_log.jsonl"
    for epoch in range(1, epochs + 1):
        lr = ns["LR"] * lr_factor(epoch, epochs, decay_from)
        for opt in (g_opt, d_opt):
            for group in opt.param_groups:
                group["lr"] = lr
        t0 = time.perf_counter()
        if name == "cgan":
            h = ns["train_cgan"](generator, discriminator, g_opt, d_opt, loader, 1, progress=False)
        else:
            h = ns["train_gan"](generator, discriminator, g_opt, d_opt, loader, 1, d_steps=d_steps, progress=False)
        seconds = time.perf_counter() - t0
        torch.save(generator.state_dict(), run / f"{name}_epoch{epoch:02d}.pt")
        for tag, g in averages.items():
            torch.save(g.state_dict(), run / f"{name}_{tag}_epoch{epoch:02d}.pt")
        rec = {"epoch": epoch, "lr": lr, "seconds": round(seconds, 1), "d_loss": float(np.mean(h["d_loss"][-50:])),
               "g_loss": float(np.mean(h["g_loss"][-50:])), "time": time.strftime("%H:%M:%S")}
        with log.open("a") as f:
            f.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)


def propose_bar(late_values: list[list[float]], step: float, need: int = 19) -> float:
    """Largest multiple of ``step`` that ``need`` of every late checkpoint's 20 draws reach."""
    worst = min(sorted(v)[len(v) - need] for v in late_values)
    return round(math.floor(worst / step + 1e-9) * step, 4)


def saved_tags(run: Path, name: str) -> set[str]:
    """The generators a run saved besides the trained one: ``average`` (the notebook's), ``emaD`` (probes)."""
    return {f.name[len(name) + 1:].split("_epoch")[0] for f in run.glob(f"{name}_*_epoch*.pt")}


def graded_tag(run: Path, name: str, epoch: int) -> str:
    """The generator the notebook grades: its average when the run kept one, else the trained weights ("")."""
    return "average" if (run / f"{name}_average_epoch{epoch:02d}.pt").exists() else ""


def load_generator(ns: dict, run: Path, name: str, epoch: int, tag: str):
    """The ``tag`` generator (``""``: the trained weights) that ``run`` saved after ``epoch``, in eval mode."""
    import torch

    g = ns["ConditionalGenerator"](ns["LATENT_DIM"]) if name == "cgan" else ns["make_gan"]("baseline", ns["LATENT_DIM"])[0]
    g.load_state_dict(torch.load(run / f"{name}{'_' + tag if tag else ''}_epoch{epoch:02d}.pt", weights_only=True))
    return g.eval()


def score_5000(ns: dict, name: str, g) -> dict:
    """5,000 samples (noise seed 12345) scored as the notebook's score(); the cGAN's also by conditional_accuracy()."""
    import torch

    torch.manual_seed(12345)
    if name != "cgan":
        return ns["score"](ns["sample"](g, 5000))
    big = ns["score_conditional"](g, 5000)
    torch.manual_seed(12345)
    return {**big, "conditional_accuracy": ns["conditional_accuracy"](g, 500)}


def calibrate(run: Path, out: Path, fixtures: Path | None, last: int, shown: list[int],
              models: tuple[str, ...] = ("baseline", "cgan")) -> dict:
    import torch

    from dgmlab import artifacts, metrics, novelty

    ns = load_notebook_namespace(threads=1)
    rows = torch.arange(10).repeat_interleave(10)  # the labels the notebook's cGAN file asks for

    def generator_at(name, epoch):
        """The generator the notebook grades, saved after ``epoch``."""
        return load_generator(ns, run, name, epoch, graded_tag(run, name, epoch))

    def draw(name, g, seed):
        torch.manual_seed(seed)
        return ns["sample"](g, 100, rows) if name == "cgan" else ns["sample"](g, 100)

    def graded_value(name, x):
        """What the graded cell measures: (score, classes) of baseline samples, accuracy of cGAN samples."""
        if name == "cgan":
            # a count over 100, as the graded cell computes it (a float32 mean makes 89/100 read 0.8899999)
            return int((metrics.mnist_predict(x, scale="[-1,1]") == rows).sum()) / len(rows)
        score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
        return float(score), int(metrics.mnist_predict(x, scale="[-1,1]").unique().numel())

    record = {"run": str(run), "draw_seeds": [DRAW_SEEDS.start, DRAW_SEEDS.stop - 1], "early_epoch": EARLY_EPOCH,
              "log": {n: [json.loads(line) for line in (run / f"{n}_log.jsonl").read_text().splitlines()]
                      for n in models}}
    for name in models:
        epochs = sorted(int(f.stem[-2:]) for f in run.glob(f"{name}_epoch*.pt"))
        final = epochs[-1]
        late = [e for e in epochs if e > final - last]
        table, values = [], {}
        for e in sorted({*late, *[e for e in shown if e in epochs], EARLY_EPOCH}):
            g = generator_at(name, e)
            vals = [graded_value(name, draw(name, g, s)) for s in DRAW_SEEDS]
            values[e] = vals
            row = {"epoch": e}
            if name == "cgan":
                acc = sorted(vals)
                row.update(min=acc[0], second_lowest=acc[1], median=acc[10], max=acc[-1])
            else:
                sc = sorted(v for v, _ in vals)
                row.update(min=round(sc[0], 3), second_lowest=round(sc[1], 3), median=round(sc[10], 3),
                           max=round(sc[-1], 3), min_classes=min(c for _, c in vals),
                           second_lowest_classes=sorted(c for _, c in vals)[1])
            if e == final:  # genuine final draws must not look like copies of MNIST digits
                row["max_near_copies"] = max(novelty.find_copies(draw(name, g, s), scale="[-1,1]").n_copies
                                             for s in DRAW_SEEDS)
            table.append(row)
            print(name, json.dumps(row), flush=True)
        if name == "cgan":
            bar = propose_bar([values[e] for e in late], step=0.01)
            for row in table:
                row["draws_clearing_bar"] = sum(v >= bar for v in values[row["epoch"]])
            bars = {"accuracy_bar": bar}
        else:
            bar = propose_bar([[v for v, _ in values[e]] for e in late], step=0.25)
            classes_bar = min(9, min(sorted(c for _, c in values[e])[1] for e in late))
            for row in table:
                row["draws_clearing_bar"] = sum(v >= bar and c >= classes_bar for v, c in values[row["epoch"]])
            bars = {"score_bar": bar, "classes_bar": classes_bar}
        # the final model on 5,000 samples, scored as the notebook's score() / conditional_accuracy() do
        graded = graded_tag(run, name, final)
        big = score_5000(ns, name, generator_at(name, final))
        # the same run's other generators: the trained weights, and the probes' averages with other decays
        for tag in sorted((saved_tags(run, name) | {""}) - {graded}):
            key = tag or "trained"
            big[key] = {}
            for e in [e for e in sorted({10, 20, 25, 30, 40, 50, final}) if e in epochs]:
                big[key][e] = score_5000(ns, name, load_generator(ns, run, name, e, tag))
                print(name, key, e, json.dumps(big[key][e]), flush=True)
        record[name] = {"final_epoch": final, "late_epochs": late, "graded_generator": graded or "trained", **bars,
                        "early_epoch_draws_clearing": next(r["draws_clearing_bar"] for r in table if r["epoch"] == EARLY_EPOCH),
                        "calibration": table, "final_5000": big}
        print(name, json.dumps({k: v for k, v in record[name].items() if k != "calibration"}), flush=True)
        if fixtures is not None:  # the graded file a correct run writes (float16 weights), and an early checkpoint's
            fixtures.mkdir(parents=True, exist_ok=True)
            artifacts.save_weights(generator_at(name, final), fixtures / f"hw4_genuine_{name}_generator_f16.pt")
            artifacts.save_weights(generator_at(name, EARLY_EPOCH), fixtures / f"hw4_early_{name}_generator_f16.pt")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    return record


def score_run(run: Path, out: Path, epochs: list[int], name: str = "baseline") -> dict:
    """Score 5,000 samples (noise seed 12345) of every generator a probe run saved at each of ``epochs``: the
    trained weights and each average (``_average``, ``_emaD``), as :func:`score_5000` does."""
    ns = load_notebook_namespace(threads=1)
    log = [json.loads(line) for line in (run / f"{name}_log.jsonl").read_text().splitlines()]
    record = {"run": str(run), "model": name, "noise_seed": 12345, "n": 5000, "log": log, "scores": {}}
    for tag in sorted(saved_tags(run, name) | {""}):
        record["scores"][tag or "trained"] = rows = {}
        for e in epochs:
            if not (run / f"{name}{'_' + tag if tag else ''}_epoch{e:02d}.pt").exists():
                continue
            rows[e] = score_5000(ns, name, load_generator(ns, run, name, e, tag))
            print(tag or "trained", e, json.dumps(rows[e]), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    return record


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train one reference model, a generator checkpoint per epoch")
    t.add_argument("name", choices=["baseline", "cgan"])
    t.add_argument("run", type=Path)
    t.add_argument("--ema", type=float, nargs="*", default=[],
                   help="also keep an EMA of the generator with each of these decays (per generator update)")
    t.add_argument("--epochs", type=int, default=None, help="default: the notebook's full-mode EPOCHS")
    t.add_argument("--seed", type=int, default=0, help="seed_everything before building the networks (the notebook: 0)")
    t.add_argument("--lr-decay-from", type=int, default=None,
                   help="constant LR up to this epoch, then linear down to LR/(epochs - K + 1) (bench_hw4_gans.lr_factor)")
    c = sub.add_parser("calibrate", help="score 20 draws per checkpoint, propose the bars, write fixtures")
    c.add_argument("run", type=Path)
    c.add_argument("--json", type=Path, required=True)
    c.add_argument("--fixtures", type=Path, default=None, help="write the genuine and early generator weights (the graded files) here")
    c.add_argument("--last", type=int, default=5, help="the bar must hold at each of this many last epochs")
    c.add_argument("--epochs", type=int, nargs="*", default=[1, 3, 5, 10, 20], help="more epochs to tabulate")
    c.add_argument("--models", nargs="+", choices=["baseline", "cgan"], default=["baseline", "cgan"],
                   help="calibrate only these (a probe run trains only the baseline)")
    sc = sub.add_parser("score", help="score 5,000 samples of every generator a (probe) run saved, at chosen epochs")
    sc.add_argument("run", type=Path)
    sc.add_argument("--json", type=Path, required=True)
    sc.add_argument("--epochs", type=int, nargs="+", default=[10, 20, 30, 40, 50])
    sc.add_argument("--model", choices=["baseline", "cgan"], default="baseline")
    args = p.parse_args(argv)
    if args.cmd == "score":
        score_run(args.run, args.json, args.epochs, args.model)
    elif args.cmd == "train":
        train(args.name, args.run, args.ema, args.epochs, args.lr_decay_from, args.seed)
    else:
        calibrate(args.run, args.json, args.fixtures, args.last, args.epochs, tuple(args.models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
