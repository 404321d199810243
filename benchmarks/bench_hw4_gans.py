"""Quality and speed of homework 4's reference GANs in full mode (real MNIST), for docs/hw4_gans.md.

It runs the *reference solution* of source/hw4_gans/hw4_gans.ipynb: every code cell except test cells and
the notebook's own training cells is executed into one namespace (full mode), then the chosen experiments
are trained with the notebook's functions (``make_gan``, ``train_gan``, ``train_cgan``, ``sample``,
``score``, ``conditional_accuracy``, ``moving_average``), one epoch at a time, scoring every ``--eval-every``
epochs with the shipped MNIST classifier. As in the notebook, the scores are those of the average of the
generator's weights; the last trained weights' scores are under ``"trained"``. Results go to a JSON file (one
record per evaluation) as they come.

    DGMLAB_DATA=../shared/datasets nice -n 10 .venv/bin/python benchmarks/bench_hw4_gans.py \\
        --experiments baseline cgan --epochs 30 --eval-every 5 --out /tmp/hw4_bench_a.json
    .venv/bin/python benchmarks/bench_hw4_gans.py --table /tmp/hw4_bench_a.json ...   # Markdown table

Learning rate: constant ``LR``, as in the notebook, unless ``--lr-decay-from K`` is given: then ``LR`` for
K epochs and a linear fall to LR/(epochs - K + 1) in the last epoch, set at the start of each epoch, for
every experiment given (the probe in docs/hw4_gans.md). If the notebook ever defines ``LR_DECAY_FROM``,
it is the default for the P1/P2 GANs (not for cgan).

Note: training one epoch per ``train_gan`` call restarts its d_steps counter every epoch (937 batches of 64
leave 7 discriminator updates without a following generator update in ``d_steps_10``); the notebook does the
same since it checkpoints after every epoch.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "hw4_gans" / "hw4_gans.ipynb"


def load_notebook_namespace(threads: int) -> dict:
    """Execute the notebook's definitions (no tests, no training cells) in full mode; return the namespace."""
    os.environ.pop("DGMLAB_FAST", None)
    os.environ.pop("NBGRADER_EXECUTION", None)
    import torch

    torch.set_num_threads(threads)
    from dgmlab.authoring.reference import reference_namespace

    # every cell but the setup cell, test cells and the notebook's own training runs
    return reference_namespace(NOTEBOOK, None, {"__name__": "hw4_bench", "device": torch.device("cpu")})


def lr_factor(epoch: int, epochs: int, decay_from: int | None) -> float:
    """Learning-rate multiplier for 1-based ``epoch``: 1 up to ``decay_from``, then linear down to 1/(epochs - decay_from + 1)."""
    if decay_from is None or epoch <= decay_from:  # decay_from == epochs: a constant rate
        return 1.0
    return (epochs - epoch + 1) / (epochs - decay_from + 1)


def markdown_table(records: list[dict]) -> str:
    """One Markdown row per evaluation record (the table in docs/hw4_gans.md)."""
    lines = ["| experiment | epoch | G updates | s/epoch | MNIST classifier score | MNIST classifier Fréchet distance "
             "| conditional accuracy | D loss (last 50) | G loss (last 50) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        acc = f"{100 * r['conditional_accuracy']:.1f}%" if r.get("conditional_accuracy") is not None else ""
        g_loss = f"{r['final_g_loss']:.3f}" if r["final_g_loss"] is not None else ""
        lines.append(f"| {r['experiment']} | {r['epoch']} | {r['generator_updates']} | {r['seconds_per_epoch']:.1f} "
                     f"| {r['mnist_score']:.2f} ± {r['mnist_score_std']:.2f} | {r['mnist_fd']:.1f} | {acc} "
                     f"| {r['final_d_loss']:.3f} | {g_loss} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--experiments", nargs="+", default=["baseline", "wide_generator", "deep_discriminator", "d_steps_10", "cgan"])
    p.add_argument("--epochs", type=int, default=None, help="default: the notebook's full-mode EPOCHS")
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--minutes", type=float, default=None, help="stop an experiment after this wall time (recorded)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=None, help="default: the notebook's full-mode BATCH_SIZE")
    p.add_argument("--lr", type=float, default=None, help="default: the notebook's LR (both players)")
    p.add_argument("--lr-decay-from", type=int, default=None,
                   help="train this many epochs at --lr, then let the rate fall linearly, reaching LR/(decay epochs + 1) in the "
                        "last epoch, for every experiment given (default: the notebook's LR_DECAY_FROM for the P1/P2 "
                        "GANs and a constant rate for cgan, as the notebook does; set it to --epochs for a constant rate)")
    p.add_argument("--out", type=Path, help="JSON file the records are appended to (required unless --table)")
    p.add_argument("--table", type=Path, nargs="+", metavar="JSON",
                   help="print the records of these --out files as a Markdown table, train nothing")
    p.add_argument("--figures", type=Path, default=None, help="save final loss curves and sample grids here")
    args = p.parse_args(argv)
    if args.table:
        print(markdown_table([r for f in args.table for r in json.loads(f.read_text())]))
        return 0
    if args.out is None:
        p.error("--out is required to train (or pass --table to summarise earlier runs)")

    ns = load_notebook_namespace(args.threads)
    import numpy as np
    import torch

    epochs = args.epochs or ns["EPOCHS"]
    if args.batch_size:
        ns["BATCH_SIZE"] = args.batch_size
    if args.lr:
        ns["LR"] = args.lr
    decay_from = args.lr_decay_from if args.lr_decay_from is not None else ns.get("LR_DECAY_FROM")
    if decay_from is not None and not 0 <= decay_from <= epochs:
        p.error(f"--lr-decay-from must be in [0, {epochs}] for {epochs} epochs (= {epochs}: constant rate), got {decay_from}")
    data = ns["load_training_data"]()
    print(f"{len(data)} training digits ({data.source}), batch {ns['BATCH_SIZE']}, {epochs} epochs, "
          f"N_EVAL {ns['N_EVAL']}, threads {torch.get_num_threads()}", flush=True)
    records = json.loads(args.out.read_text()) if args.out.exists() else []
    for name in args.experiments:
        ns["seed_everything"](0)
        if name == "cgan":
            generator = ns["ConditionalGenerator"](ns["LATENT_DIM"])
            discriminator = ns["ConditionalDiscriminator"]()
            d_steps = 1
        else:
            generator, discriminator, d_steps = ns["make_gan"](name, ns["LATENT_DIM"])
        g_opt = torch.optim.Adam(generator.parameters(), lr=ns["LR"], betas=ns["BETAS"])
        d_opt = torch.optim.Adam(discriminator.parameters(), lr=ns["LR"], betas=ns["BETAS"])
        loader = data.loader(ns["BATCH_SIZE"])
        # the notebook's runners sample, score and save an average of the generator's weights (moving_average)
        average = ns["moving_average"](generator, g_opt, updates_per_epoch=len(loader) // d_steps).module
        history = {"d_loss": [], "g_loss": []}
        train_seconds, start = 0.0, time.perf_counter()
        # the notebook decays the learning rate of the P1/P2 GANs only (run_experiment), not the conditional GAN's
        decay = decay_from if (name != "cgan" or args.lr_decay_from is not None) else None
        for epoch in range(1, epochs + 1):
            lr = ns["LR"] * lr_factor(epoch, epochs, decay)
            for opt in (g_opt, d_opt):
                for group in opt.param_groups:
                    group["lr"] = lr
            t0 = time.perf_counter()
            if name == "cgan":
                h = ns["train_cgan"](generator, discriminator, g_opt, d_opt, loader, 1, progress=False)
            else:
                h = ns["train_gan"](generator, discriminator, g_opt, d_opt, loader, 1, d_steps=d_steps, progress=False)
            train_seconds += time.perf_counter() - t0
            for k in history:
                history[k] += h[k]
            out_of_time = args.minutes is not None and time.perf_counter() - start > 60 * args.minutes
            if epoch % args.eval_every == 0 or epoch == epochs or out_of_time:
                def scored(g):
                    if name != "cgan":
                        return ns["score"](ns["sample"](g, ns["N_EVAL"]))
                    return {**ns["score_conditional"](g, ns["N_EVAL"]),
                            "conditional_accuracy": ns["conditional_accuracy"](g, ns["N_EVAL"] // 10)}

                scores = {**scored(average), "trained": scored(generator)}  # as the notebook reports, then the last weights
                rec = {"experiment": name, "epoch": epoch, "seconds_per_epoch": train_seconds / epoch,
                       "d_steps": d_steps, "generator_updates": len(history["g_loss"]), "data": data.source,
                       "batch_size": ns["BATCH_SIZE"], "lr": ns["LR"],
                       "lr_decay_from": decay, "lr_last_epoch": lr, "betas": list(ns["BETAS"]), "n_eval": ns["N_EVAL"], "threads": torch.get_num_threads(),
                       "final_d_loss": float(np.mean(history["d_loss"][-50:])),
                       "final_g_loss": float(np.mean(history["g_loss"][-50:])) if history["g_loss"] else None,
                       "stopped_by_time_limit": bool(out_of_time and epoch < epochs), **scores}
                records.append(rec)
                args.out.write_text(json.dumps(records, indent=1))
                print(json.dumps(rec), flush=True)
            if out_of_time:
                break
        if args.figures is not None:
            import matplotlib
            matplotlib.use("Agg")
            import dgmlab.plots

            args.figures.mkdir(parents=True, exist_ok=True)
            g = np.repeat(history["g_loss"], d_steps)
            dgmlab.plots.loss_curves({"discriminator": history["d_loss"], "generator": g}, title=f"{name}: losses",
                                     xlabel="discriminator update", smooth=50, save=args.figures / f"hw4_{name}_losses.png")
            if name == "cgan":
                grid = ns["sample"](average, 100, torch.arange(10).repeat_interleave(10))
                title = "conditional GAN: row k shows digit k"
            else:
                grid, title = ns["sample"](average, 100), f"{name}: samples"
            dgmlab.plots.image_grid(grid, nrow=10, title=title, save=args.figures / f"hw4_{name}_samples.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
