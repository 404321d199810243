r"""hw2_wgangp on a CPU: seconds per WGAN-GP iteration, and a reduced MNIST run with its score trend.

The networks and the reference WGAN-GP steps are taken from the source notebook
(source/hw2_wgangp/hw2_wgangp.ipynb), so this measures exactly what a student runs.

    DGMLAB_DATA=/work/shared/datasets nice -n 10 .venv/bin/python benchmarks/bench_hw2_wgangp.py \
        speed --capacity 128 --batch 64 --iters 3 --threads 1 2
    DGMLAB_DATA=/work/shared/datasets nice -n 10 .venv/bin/python benchmarks/bench_hw2_wgangp.py \
        train --capacity 32 --batch 64 --steps 1874 --eval-every 234 --threads 1 --out /tmp/hw2_train32.json \
        --grid docs/figures/hw2_mnist_capacity32.png

One "iteration" = one critic step (with the gradient penalty) + one generator step.
Results are recorded by hand in docs/hw2_wgangp.md.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HW = "hw2_wgangp"


def load_reference(device: str = "cpu", also=()) -> dict:
    """Execute the notebook's framework and reference-solution cells (``REFERENCE_CELLS`` of
    homeworks/hw2_wgangp/proofs.py, which the tests run too) and the cells named in ``also``; return their namespace."""
    from dgmlab.authoring import homeworks

    proofs = homeworks(ROOT)[HW]
    return proofs.reference_namespace(device, (*proofs.REFERENCE_CELLS, *also))


def speed(args) -> dict:
    import torch

    out = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        ns = load_reference()
        torch.manual_seed(0)
        G, D = ns["Generator"](capacity=args.capacity), ns["Critic"](capacity=args.capacity)
        opt_g, opt_c = ns["make_optimizers"](G, D)
        x = torch.rand(args.batch, 1, 28, 28)
        times = []
        for i in range(args.iters + 1):  # the first iteration is a warm-up
            t0 = time.perf_counter()
            ns["critic_step"](G, D, opt_c, x, torch.randn(args.batch, ns["SEED_DIM"]))
            ns["generator_step"](G, D, opt_g, torch.randn(args.batch, ns["SEED_DIM"]))
            if i:
                times.append(time.perf_counter() - t0)
        key = f"capacity={args.capacity} batch={args.batch} threads={threads}"
        out[key] = {"sec_per_iter": sum(times) / len(times), "iters": len(times),
                    "params_G": sum(p.numel() for p in G.parameters()),
                    "params_D": sum(p.numel() for p in D.parameters())}
        print(key, json.dumps(out[key]), flush=True)
    return out


def train(args) -> dict:
    import torch

    import dgmlab.data
    from dgmlab import metrics, runtime

    torch.set_num_threads(args.threads[0])
    ns = load_reference()
    runtime.seed_everything(0)
    mnist = dgmlab.data.mnist(train=True, scale="[0,1]", source="full")
    G, D = ns["Generator"](capacity=args.capacity), ns["Critic"](capacity=args.capacity)
    opt_g, opt_c = ns["make_optimizers"](G, D)
    loader = mnist.loader(batch_size=args.batch, shuffle=True, seed=0)
    log = {"capacity": args.capacity, "batch": args.batch, "threads": args.threads[0], "evals": []}
    step, t_start = 0, time.perf_counter()

    def evaluate():
        samples = ns["sample"](G, args.eval_samples)
        score, spread = metrics.mnist_score(samples)
        fd = metrics.mnist_frechet_distance(samples)
        row = {"step": step, "epochs": step * args.batch / len(mnist), "seconds": time.perf_counter() - t_start,
               "mnist_classifier_score": score, "score_std": spread, "mnist_frechet_distance": fd}
        log["evals"].append(row)
        print(json.dumps(row), flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps(log, indent=1))
        if args.save_dir:  # the generator at this step, for calibrating the graded samples' bar
            folder = Path(args.save_dir)
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f"generator_step{step:06d}.pt.tmp"
            torch.save({k: v.detach().cpu() for k, v in G.state_dict().items()}, tmp)
            tmp.replace(folder / tmp.name[:-4])
        if args.grid:  # overwritten at every evaluation, so an interrupted run still leaves its latest grid
            from dgmlab import plots

            plots.image_grid(samples[:100], nrow=10, save=args.grid,
                             title=f"capacity {args.capacity}, {step} iterations ({row['epochs']:.2f} epochs)")
        return samples

    G.train(), D.train()
    while step < args.steps:
        for x, _ in loader:
            ns["critic_step"](G, D, opt_c, x, torch.randn(len(x), ns["SEED_DIM"]))
            ns["generator_step"](G, D, opt_g, torch.randn(len(x), ns["SEED_DIM"]))
            step += 1
            if step % args.eval_every == 0 or step == args.steps:
                evaluate()
            if step >= args.steps:
                break
    log["sec_per_iter"] = (time.perf_counter() - t_start) / step
    if args.out:
        Path(args.out).write_text(json.dumps(log, indent=1))
    return log


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["speed", "train"])
    p.add_argument("--capacity", type=int, default=128)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--iters", type=int, default=3, help="speed: timed iterations")
    p.add_argument("--steps", type=int, default=1000, help="train: iterations")
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--eval-samples", type=int, default=1000)
    p.add_argument("--threads", type=int, nargs="+", default=[1])
    p.add_argument("--out", default=None, help="train: JSON log path (outside the repo or an ignored path)")
    p.add_argument("--grid", default=None, help="train: PNG of 100 final samples")
    p.add_argument("--save-dir", default=None, help="train: save the generator's state dict at every evaluation here")
    args = p.parse_args(argv)
    print(json.dumps(speed(args) if args.what == "speed" else train(args), indent=1))


if __name__ == "__main__":
    main()
