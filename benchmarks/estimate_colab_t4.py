r"""Estimate every homework's full-mode training time on a Colab T4 from FLOPs and ops counted on this CPU.

For each full-mode training run (hw1's conv WGAN-GP, hw2's MNIST and CIFAR-10 WGAN-GP, hw4's five GANs,
hw5's masked CNN and Real NVP) it builds the *reference* models the way the benchmarks do (executing the
source notebooks' or builders' reference cells), then for one real training step on a random batch of
the real shape:

- counts FLOPs with ``torch.utils.flop_counter.FlopCounterMode`` (forward + backward, including the
  gradient penalty's double backward; it counts matrix multiplications and convolutions only, which
  dominate here; element-wise ops are not counted);
- counts the ATen ops the step dispatches (a ``TorchDispatchMode``), leaving out pure view ops, as a
  proxy for GPU kernel launches; Adam is switched to its ``foreach`` (multi-tensor) form for the count,
  which is what PyTorch uses by default on CUDA;
- times the step on this CPU with one torch thread: the median over ``--repeats`` steps of the CPU time
  the process used (``time.process_time``, which on a shared, loaded machine is close to what the step
  takes on an idle core; the wall time is recorded too), and the wall time of one DataLoader batch.

The T4 model (an ESTIMATE, not a measurement):

    host = ops * t_op + batches * t_batch        (Python, dispatcher and kernel launches, data loading)
    gpu  = FLOP / (f * 8.1e12)                   (the matrix products and convolutions)
    t_step = max(host, gpu)

with the T4's fp32 peak of 8.1 TFLOP/s (NVIDIA T4 datasheet), an achieved fraction f of 50% (low
estimate) to 20% (high), a per-op launch/dispatch overhead t_op of 39 us (low) to 60 us (high), measured
on an H100's host and scaled for Colab's slower one (see ``T_OP``), and t_batch the DataLoader time per
batch measured here. CUDA kernel launches are asynchronous: the host queues a step's kernels while the GPU
runs the earlier ones, and the loops wait for the GPU only at a few points (each update's ``loss.item()``;
also hw1's copy of a real batch mid-step and hw5's scaler check), so the slower of the two sets the pace. The
whole step's max is right when every stretch between waits is host-bound (hw2's are); the wait for the last
queued kernels and the element-wise kernels' GPU time are left out (benchmarks/results/full_mode.md).
``serial`` (host + gpu, as if nothing overlapped) is recorded beside it: the bound for no overlap at all,
not a strict upper bound (the element-wise kernels are still left out). A step with a GPU-bound stretch
between waits takes longer than the max (hw1 split at its mid-step copy: 15.3 T4 minutes, not 14.1). Steps are
multiplied by the full run's number of steps. Evaluation (scoring samples, test sets) is not included.
``--rows-from`` re-estimates the rows of earlier ``--out`` files without counting again.

    DGMLAB_DATA=/work/shared/datasets PYTHONPATH=src nice -n 10 /work/main/.venv/bin/python \
        benchmarks/estimate_colab_t4.py --out benchmarks/results/colab_t4_estimate.json \
        --markdown /tmp/full_mode_table.md
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

T4_FP32_PEAK = 8.1e12          # FLOP/s, NVIDIA T4 datasheet
FRACTION = (0.5, 0.2)          # achieved fraction of peak: (low estimate, high estimate)
# seconds of launch/dispatch overhead per op: (low, high). Was (10e-6, 20e-6), taken from write-ups. The H100
# runs of 2026-11-24 measured it: hw1 and hw2, whose steps are launch-bound there (their FLOPs take a few ms at
# most, hidden behind the launches), took 30.3 and 25.4 ms for 746 and 649 ops: 41 and 39 us per op
# (benchmarks/results/full_mode_log.md, "The host's cost per op, measured"). Low: 39 us (a Colab host is no faster than that
# server's; 35 us until the model overlapped host and GPU, when the FLOPs were taken off first); high: 60 us
# (1.5x, for Colab's slower host CPU: an assumption).
T_OP = (39e-6, 60e-6)
COLAB_LIMIT_MIN = 60


# ----------------------------------------------------------------------------- counting

def count_step(step, repeats: int) -> dict:
    """FLOPs and non-view ops of one call of ``step()``, and its median CPU time over ``repeats`` calls."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode

    class OpCounter(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = 0
            self.views = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if getattr(func, "is_view", False):
                self.views += 1
            else:
                self.ops += 1
            return func(*args, **(kwargs or {}))

    class GlobalOnly:
        """Stands in for FlopCounterMode's module tracker, whose backward hooks break torch.autograd.grad
        (the gradient penalty); all FLOPs are then counted under "Global"."""
        parents = {"Global"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    step()  # warm-up (lazy optimizer state, allocator)
    flops = FlopCounterMode(display=False)
    flops.mod_tracker = GlobalOnly()
    with flops:
        step()
    counter = OpCounter()
    with counter:
        step()
    cpu, wall = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"flop": int(flops.get_total_flops()), "ops": counter.ops, "view_ops": counter.views,
            "cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall)}


def foreach_adam(*opts):
    """Use Adam's multi-tensor (foreach) kernels, PyTorch's default on CUDA, so the op count matches a GPU."""
    for opt in opts:
        for group in opt.param_groups:
            group["foreach"] = True


def time_loader(loader, n: int = 20) -> float:
    """Median seconds to fetch one batch from ``loader`` (the host-side cost a GPU run still pays)."""
    it = iter(loader)
    next(it)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        next(it)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ----------------------------------------------------------------------------- homeworks

def hw1(repeats):
    """hw1: conv WGAN-GP, 40 epochs of 60,000 digits, batch 64, 2 critic steps per generator step."""
    import torch

    import bench_hw1_wgan
    ns = bench_hw1_wgan.load_reference(torch.device("cpu"))
    torch.manual_seed(0)
    generator, critic = ns["Generator"](), ns["Critic"]()
    g_opt = torch.optim.Adam(generator.parameters(), lr=3e-4, betas=(0.0, 0.9))
    c_opt = torch.optim.Adam(critic.parameters(), lr=3e-4, betas=(0.0, 0.9))
    foreach_adam(g_opt, c_opt)
    images = torch.rand(4096, 1, 28, 28) * 2 - 1
    loader = torch.utils.data.DataLoader(images, batch_size=64, shuffle=True, drop_last=True)

    def step():
        batches = iter([torch.rand(64, 1, 28, 28) * 2 - 1 for _ in range(2)])
        ns["wgan_train_step"](generator, critic, g_opt, c_opt, batches, n_critic=2, lipschitz="gp")

    c = count_step(step, repeats)
    steps_per_epoch = (60_000 // 64) // 2
    return [dict(homework="hw1", run="conv WGAN-GP (2 critic + 1 generator update per step)", epochs=40,
                 steps_per_epoch=steps_per_epoch, batches_per_step=2, batch_s=time_loader(loader), **c)]


def hw2(repeats, capacity=32):
    """hw2: WGAN-GP on MNIST (capacity 32, 40 epochs, batch 64) and CIFAR-10 (capacity 32, 100 epochs, batch 128).

    ``capacity`` other than the notebook's full-mode 32 is for sizing a proposal; its rows are labelled as such.
    The batch sizes are the notebook's full mode (``p5_train``, ``p6_train``)."""
    import torch

    import bench_hw2_wgangp
    ns = bench_hw2_wgangp.load_reference("cpu", also=["p6_models"])
    rows = []
    for name, make_g, make_d, shape, n_train, epochs, batch in (
            (f"MNIST WGAN-GP, capacity {capacity}, batch 64", ns["Generator"], ns["Critic"], (1, 28, 28), 60_000,
             40, 64),
            (f"CIFAR-10 WGAN-GP, capacity {capacity}, 9 residual blocks, batch 128", ns["CifarGenerator"],
             ns["CifarCritic"], (3, 32, 32), 50_000, 100, 128)):
        torch.manual_seed(0)
        generator, critic = make_g(capacity=capacity), make_d(capacity=capacity)
        opt_g, opt_c = ns["make_optimizers"](generator, critic)
        foreach_adam(opt_g, opt_c)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.rand(4096, *shape),
                                                                            torch.zeros(4096, dtype=torch.long)),
                                             batch_size=batch, shuffle=True, drop_last=True)

        def step(generator=generator, critic=critic, opt_g=opt_g, opt_c=opt_c, shape=shape, batch=batch):
            x = torch.rand(batch, *shape)
            ns["critic_step"](generator, critic, opt_c, x, torch.randn(batch, ns["SEED_DIM"]))
            ns["generator_step"](generator, critic, opt_g, torch.randn(batch, ns["SEED_DIM"]))

        c = count_step(step, max(1, repeats // 3))
        label = "hw2" if capacity == 32 else f"hw2 at capacity {capacity} (not the notebook's full mode)"
        rows.append(dict(homework=label, run=name + " (1 critic + 1 generator update per step)", epochs=epochs,
                         steps_per_epoch=n_train // batch, batches_per_step=1, batch_s=time_loader(loader), **c))
    return rows


def hw4(repeats):
    """hw4: the baseline, three ablations and the conditional GAN; one D update per batch, G every d_steps."""
    import torch

    import bench_hw4_gans
    ns = bench_hw4_gans.load_notebook_namespace(threads=1)
    epochs, batch, lr, betas = ns["EPOCHS"], ns["BATCH_SIZE"], ns["LR"], ns["BETAS"]
    data = torch.utils.data.TensorDataset(torch.rand(4096, 1, 28, 28) * 2 - 1, torch.zeros(4096, dtype=torch.long))
    batch_s = time_loader(torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, drop_last=True))
    rows = []
    for name in ("baseline", "wide_generator", "deep_discriminator", "d_steps_10", "cgan"):
        torch.manual_seed(0)
        if name == "cgan":
            generator, discriminator, d_steps = ns["ConditionalGenerator"](ns["LATENT_DIM"]), ns["ConditionalDiscriminator"](), 1
        else:
            generator, discriminator, d_steps = ns["make_gan"](name, ns["LATENT_DIM"])
        g_opt = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
        d_opt = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas)
        foreach_adam(g_opt, d_opt)
        ns["moving_average"](generator, g_opt, updates_per_epoch=(60_000 // batch) // d_steps)  # as the runners do

        # one "step" = d_steps discriminator updates and one generator update, as train_gan schedules them
        def step(generator=generator, discriminator=discriminator, g_opt=g_opt, d_opt=d_opt, d_steps=d_steps,
                 conditional=name == "cgan"):
            for _ in range(d_steps):
                real, z = torch.rand(batch, 1, 28, 28) * 2 - 1, torch.randn(batch, ns["LATENT_DIM"])
                if conditional:
                    ns["cgan_discriminator_step"](generator, discriminator, d_opt, real, torch.randint(0, 10, (batch,)), z)
                else:
                    ns["discriminator_step"](generator, discriminator, d_opt, real, z)
            z = torch.randn(batch, ns["LATENT_DIM"])
            if conditional:
                ns["cgan_generator_step"](generator, discriminator, g_opt, z, torch.randint(0, 10, (batch,)))
            else:
                ns["generator_step"](generator, discriminator, g_opt, z)

        c = count_step(step, repeats)
        rows.append(dict(homework="hw4", run=f"{name} ({d_steps} D + 1 G update per step)", epochs=epochs,
                         steps_per_epoch=(60_000 // batch) / d_steps, batches_per_step=d_steps, batch_s=batch_s, **c))
    return rows


def hw5(repeats):
    """hw5: masked CNN (PixelCNN, full settings) and Real NVP (full settings) on MNIST."""
    import torch

    import bench_hw5_explicit
    from dgmlab import runtime
    from dgmlab.authoring.reference import reference_namespace
    ns = bench_hw5_explicit.reference_namespace()
    cfg_ns = reference_namespace(ROOT / "source" / "hw5_explicit" / "hw5_explicit.ipynb", ["p1_config", "p2_config"],
                                 {"runtime": runtime})
    p1, p2 = cfg_ns["P1"], cfg_ns["P2"]
    rows = []

    torch.manual_seed(0)
    model = ns["PixelCNN"](p1["channels"], p1["n_layers"], p1["kernel_size"])
    opt = torch.optim.Adam(model.parameters(), lr=p1["lr"])
    foreach_adam(opt)

    def step_p1():
        xb = (torch.rand(p1["batch_size"], 1, 28, 28) > 0.5).float()
        loss = ns["bernoulli_nll"](model(xb), xb).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    data = torch.utils.data.TensorDataset(torch.rand(4096, 1, 28, 28), torch.zeros(4096, dtype=torch.long))
    batch_s = time_loader(torch.utils.data.DataLoader(data, batch_size=p1["batch_size"], shuffle=True, drop_last=True))
    c = count_step(step_p1, max(1, repeats // 3))
    rows.append(dict(homework="hw5", run=f"masked CNN: {p1['channels']} channels, {p1['n_layers']} mask-B "
                     f"{p1['kernel_size']}x{p1['kernel_size']} layers, batch {p1['batch_size']}", epochs=p1["epochs"],
                     steps_per_epoch=60_000 // p1["batch_size"], batches_per_step=1, batch_s=batch_s, **c))

    torch.manual_seed(0)
    flow = ns["RealNVP"](784, p2["hidden"], p2["n_coupling"])
    opt2 = torch.optim.Adam(flow.parameters(), lr=p2["lr"], weight_decay=1e-6)
    foreach_adam(opt2)

    def step_p2():
        xb = torch.rand(p2["batch_size"], 784)
        loss = ns["bits_per_dim"](ns["log_prob_data"](flow, ns["dequantize"](xb), p2["alpha"]), 784).mean()
        opt2.zero_grad()
        loss.backward()
        opt2.step()

    flat = torch.rand(4096, 784)
    batch_s = time_loader(torch.utils.data.DataLoader(flat, batch_size=p2["batch_size"], shuffle=True, drop_last=True))
    c = count_step(step_p2, repeats)
    rows.append(dict(homework="hw5", run=f"Real NVP: {p2['n_coupling']} couplings, hidden {p2['hidden']}, "
                     f"batch {p2['batch_size']}", epochs=p2["epochs"], steps_per_epoch=60_000 // p2["batch_size"],
                     batches_per_step=1, batch_s=batch_s, **c))
    return rows


# ----------------------------------------------------------------------------- model and table

def estimate(row: dict) -> dict:
    """The row with its T4 seconds per step and minutes for the whole run: overlapped (the estimate) and serial."""
    steps = row["epochs"] * row["steps_per_epoch"]
    host = [row["ops"] * t_op + row["batches_per_step"] * row["batch_s"] for t_op in T_OP]
    gpu = [row["flop"] / (f * T4_FP32_PEAK) for f in FRACTION]
    per_step = [max(h, g) for h, g in zip(host, gpu)]
    serial = [h + g for h, g in zip(host, gpu)]
    return {**row, "steps": steps, "cpu_s_per_epoch": row["cpu_s"] * row["steps_per_epoch"],
            "t4_host_s_per_step": host, "t4_gpu_s_per_step": gpu,
            "t4_s_per_step": per_step, "t4_minutes": [s * steps / 60 for s in per_step],
            "t4_serial_minutes": [s * steps / 60 for s in serial]}


def markdown(rows: list[dict]) -> str:
    out = ["| homework | full-mode run | steps | GFLOP / step | ops / step | CPU s/step (measured) "
           "| CPU s/epoch (measured) | T4 min (estimate, low-high) | T4 min if nothing overlapped (high) |",
           "|---|---|---|---|---|---|---|---|---|"]
    totals: dict[str, list[float]] = {}
    for r in rows:
        lo, hi = r["t4_minutes"]
        t = totals.setdefault(r["homework"], [0.0, 0.0])
        t[0] += lo
        t[1] += hi
        out.append(f"| {r['homework']} | {r['run']} | {r['steps']:,.0f} | {r['flop'] / 1e9:.2f} | {r['ops']} "
                   f"| {r['cpu_s']:.3f} | {r['cpu_s_per_epoch']:,.0f} | {lo:.1f}-{hi:.1f} | {r['t4_serial_minutes'][1]:.1f} |")
    out.append("")
    out.append("| homework | all full-mode training, T4 minutes (estimate, low-high) | fits 1 h? |")
    out.append("|---|---|---|")
    for hw, (lo, hi) in totals.items():
        verdict = ("no" if lo > COLAB_LIMIT_MIN else "only at the low end" if hi > COLAB_LIMIT_MIN
                   else "at the limit at the high end" if hi > 0.9 * COLAB_LIMIT_MIN else "yes")
        out.append(f"| {hw} | {lo:.0f}-{hi:.0f} | {verdict} |")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--homeworks", nargs="+", default=["hw1", "hw2", "hw4", "hw5"], choices=["hw1", "hw2", "hw4", "hw5"])
    p.add_argument("--hw2-capacity", type=int, default=32,
                   help="size hw2's networks at this capacity instead of the notebook's full-mode 32 (to size a proposal)")
    p.add_argument("--repeats", type=int, default=5, help="timed CPU steps per run (median; hw5's CNN gets a third)")
    p.add_argument("--out", type=Path, help="write the rows and the model's constants as JSON here")
    p.add_argument("--markdown", type=Path, help="write the Markdown table here (it is always printed)")
    p.add_argument("--rows-from", type=Path, nargs="+", metavar="JSON",
                   help="re-estimate the counted rows of earlier --out files with today's time model instead of "
                        "counting again (a later file's row replaces an earlier one of the same run)")
    args = p.parse_args(argv)
    if args.rows_from:
        rows = [estimate(row) for row in rows_from(args.rows_from)]
        return report(rows, args, argv, torch_version="(rows counted earlier, see each file)")
    os.environ.pop("DGMLAB_FAST", None)
    os.environ.pop("NBGRADER_EXECUTION", None)
    import torch

    torch.set_num_threads(1)
    rows = []
    for hw in args.homeworks:
        t0 = time.perf_counter()
        runs = hw2(args.repeats, args.hw2_capacity) if hw == "hw2" else globals()[hw](args.repeats)
        for row in runs:
            rows.append(estimate(row))
            print(json.dumps(rows[-1]), flush=True)
        print(f"{hw}: counted in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return report(rows, args, argv, torch_version=torch.__version__)


def rows_from(paths: list[Path]) -> list[dict]:
    """The counted rows of earlier result files, the latest per run ("hw2 MNIST WGAN-GP" at any capacity)."""
    counted = ("homework", "run", "epochs", "steps_per_epoch", "batches_per_step", "batch_s", "flop", "ops",
               "view_ops", "cpu_s", "wall_s")
    rows: dict[tuple, dict] = {}
    for path in paths:
        for row in json.loads(path.read_text())["rows"]:
            run = row["run"].split(",")[0].split("(")[0].strip()
            rows.pop((row["homework"], run), None)  # keeps the order of the latest files
            rows[(row["homework"], run)] = {**{k: row[k] for k in counted}, "counted_in": str(path)}
    return sorted(rows.values(), key=lambda r: r["homework"])


def report(rows: list[dict], args, argv, torch_version: str) -> int:
    table = markdown(rows)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.out:
        args.out.write_text(json.dumps({
            "model": {"t4_fp32_peak_flop_s": T4_FP32_PEAK, "achieved_fraction_low_high": FRACTION,
                      "seconds_per_op_low_high": T_OP, "formula": "max(ops*t_op + batches*t_batch, FLOP/(f*peak)); serial: their sum",
                      "flop_counter": "torch.utils.flop_counter.FlopCounterMode (matmul/conv only)",
                      "ops": "non-view ATen ops dispatched per step, Adam in foreach mode"},
            "torch": torch_version, "threads": 1,
            "command": "benchmarks/estimate_colab_t4.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
