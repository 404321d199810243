"""Calibrate the bars of hw5's two artifact-graded cells (the saved PixelCNN and Real NVP weights).

Reads the state dicts a run of ``bench_hw5_explicit.py --save-dir RUN --save-every N`` wrote
(``RUN/<model>_stepNNNNNN.pt``, listed in ``RUN/index.jsonl``), rounds each to float16 (the file the
notebook writes and the cell grades), loads it into the reference architecture with the notebook's
full-mode settings (``PixelCNN()``; ``RealNVP(784, 256, 6)``) through ``dgmlab.artifacts.load_weights``
and computes, with the graded cells' own functions (``homeworks.hw5_explicit.hidden.references``):

- the value on the grading set (the first ``--subset-size`` shipped test digits, what the cell uses:
  by default 100 for the PixelCNN and 200 for the Real NVP, the cells' own sizes);
- the value on 20 disjoint subsets of the same size of the real MNIST test set (permutation seed 0).

Then, for a bar (``--bar``, or proposed: the second-worst of the last checkpoint's 20 subsets, rounded
outward to ``--round``), how many of the 20 subsets of each checkpoint clear it. The rule: a correct full
run clears it on at least 19 of 20, an early checkpoint (about a tenth of the run) fails it.
Lower is better for both numbers (nats per image; bits per dimension).

    DGMLAB_DATA=/work/shared/datasets nice -n 5 .venv/bin/python benchmarks/calibrate_hw5_bars.py \\
        realnvp /work/runs/rnvp256 --json benchmarks/results/hw5_realnvp_bar.json
    DGMLAB_DATA=/work/shared/datasets nice -n 5 .venv/bin/python benchmarks/calibrate_hw5_bars.py \\
        pixelcnn /work/runs/pcnn64 --steps 50 150 --subset-size 100 --json benchmarks/results/hw5_pixelcnn_bar.json

``--fixture STEP PATH`` also writes that checkpoint's float16 state dict to PATH (tests/fixtures).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

from bench_hw5_explicit import reference_namespace

N_SUBSETS = 20
FULL = {"pixelcnn": dict(channels=64, n_layers=5, kernel_size=7), "realnvp": dict(dim=784, hidden=256, n_coupling=6)}
# how many shipped test digits each graded cell scores (p1_weights_tests / p2_weights_tests): the subsets must be
# of that size, or the bar is calibrated for a spread the cell does not have (a 200-digit calibration of the
# PixelCNN proposed 64 nats, which its final checkpoint clears on only 18 of 20 100-digit subsets)
GRADED_DIGITS = {"pixelcnn": 100, "realnvp": 200}


def half(state: dict) -> dict:
    """The state dict as the notebook saves it: floating tensors in float16."""
    return {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()) for k, v in state.items()}


def build(model: str, ns: dict) -> torch.nn.Module:
    if model == "pixelcnn":
        return ns["PixelCNN"](**FULL["pixelcnn"])
    c = FULL["realnvp"]
    return ns["RealNVP"](c["dim"], c["hidden"], c["n_coupling"])


def value(model: str, net, x) -> float:
    from homeworks.hw5_explicit.hidden.references import bernoulli_nll_nats, flow_bits_per_dim

    return bernoulli_nll_nats(net, x) if model == "pixelcnn" else flow_bits_per_dim(net, x)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", choices=sorted(FULL))
    p.add_argument("run", type=Path, help="folder of <model>_stepNNNNNN.pt files and index.jsonl")
    p.add_argument("--steps", type=int, nargs="*", help="only these steps (default: every saved one)")
    p.add_argument("--subset-size", type=int, help="images per subset and in the grading set (default: the cell's, "
                                                  + ", ".join(f"{m} {n}" for m, n in GRADED_DIGITS.items()) + ")")
    p.add_argument("--bar", type=float, help="the bar to count (default: proposed from the last checkpoint)")
    p.add_argument("--round", type=float, help="propose the bar on this grid (default 1 nat / 0.01 bit)")
    p.add_argument("--fixture", nargs=2, metavar=("STEP", "PATH"), help="write that step's float16 state dict")
    p.add_argument("--json", type=Path, help="write the record here")
    args = p.parse_args(argv)

    from dgmlab import artifacts, data
    from homeworks.hw5_explicit.hidden.references import grading_digits

    torch.set_num_threads(1)  # as under grading
    ns = reference_namespace()
    index = {}
    for line in (args.run / "index.jsonl").read_text().splitlines():
        rec = json.loads(line)
        index[rec["step"]] = rec  # an epoch's end may repeat a step: one record each
    steps = sorted(index) if not args.steps else sorted(args.steps)
    missing = [s for s in steps if s not in index]
    if missing:
        sys.exit(f"no checkpoint for steps {missing} in {args.run}/index.jsonl (there: {sorted(index)})")

    scale = "binary" if args.model == "pixelcnn" else "[0,1]"
    n = args.subset_size or GRADED_DIGITS[args.model]
    grading = grading_digits(n, scale=scale)
    test = data.mnist(train=False, scale=scale).images
    if len(test) < N_SUBSETS * n:
        sys.exit(f"the test set has {len(test)} images, fewer than {N_SUBSETS} x {n}: set DGMLAB_DATA to real MNIST")
    perm = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))
    subsets = [test[perm[i * n:(i + 1) * n]] for i in range(N_SUBSETS)]

    rows = []
    for s in steps:
        t0 = time.monotonic()
        state = torch.load(args.run / index[s]["file"], map_location="cpu", weights_only=True)
        net = artifacts.load_weights(build(args.model, ns), half(state), constant_buffers=True)
        row = {"step": s, "epoch": index[s]["epoch"], "grading_set": round(value(args.model, net, grading), 4),
               "subsets": [round(value(args.model, net, x), 4) for x in subsets]}
        row["seconds"] = round(time.monotonic() - t0, 1)
        rows.append(row)
        print(f"step {s} (epoch {row['epoch']}): grading set {row['grading_set']}, subsets "
              f"{min(row['subsets'])}-{max(row['subsets'])} ({row['seconds']} s)", flush=True)
        if args.fixture and int(args.fixture[0]) == s:
            out = Path(args.fixture[1])
            torch.save(half(state), out)
            print(f"fixture written: {out} ({out.stat().st_size:,} bytes)")

    grid = args.round or (1.0 if args.model == "pixelcnn" else 0.01)
    last = sorted(rows[-1]["subsets"])
    proposed = math.ceil(last[N_SUBSETS - 2] / grid - 1e-9) * grid  # 19 of 20 at or below it
    bar = args.bar if args.bar is not None else round(proposed, 6)
    for row in rows:
        row["clear"] = sum(v <= bar for v in row["subsets"])
        row["grading_set_clears"] = row["grading_set"] <= bar
        print(f"step {row['step']:>6} epoch {row['epoch']:>6}: grading set {row['grading_set']:.4f} "
              f"({'clears' if row['grading_set_clears'] else 'fails'}), {row['clear']}/{N_SUBSETS} subsets clear {bar}")
    record = {"model": args.model, "architecture": FULL[args.model], "run": str(args.run),
              "weights": "float16 (as saved by the notebook)", "subset_size": n, "n_subsets": N_SUBSETS,
              "metric": "nats per image" if args.model == "pixelcnn" else "bits per dimension (alpha 1e-6, seed 0)",
              "bar": bar, "proposed_bar": round(proposed, 6), "torch_threads": 1, "checkpoints": rows,
              "command": "calibrate_hw5_bars.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    if args.json:
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
