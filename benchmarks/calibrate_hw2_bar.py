"""Calibrate hw2's graded artifact bar (``p5_mnist_samples_tests``) from the checkpoints of a reference run.

Reads ``generator_stepNNNNNN.pt`` (state dicts of the notebook's ``Generator(capacity=32)``) from ``RUN``,
draws 20 independent 100-sample sets (noise seeds 1000..1019, none of them the graded seed 0) from each with
the notebook's own ``sample(generator, 100, seed=...)``, scores each set the way the graded cell does
(``mnist_score(x, splits=1, scale="[0,1]")`` and the digit classes the classifier finds; the drawing and
scoring are ``calibrate_hw1_bar.draw_scores``), and proposes the bar: the largest multiple of 0.25 that at
least 19 of 20 draws clear at every one of the ``--late`` latest checkpoints (``calibrate_hw1_bar.propose_bar``).
It also reports how the early checkpoint (step 234, a quarter epoch) does against that bar, and with
``--fixtures`` writes the graded file (the generator's weights in float16, as the notebook saves them) of the latest
and of the early checkpoint, and the latest one's graded draw (seed 0).

    mkdir -p /tmp/hw2c32 && cp /work/runs/hw2c32/generator_step*.pt /work/runs/hw2c32/log.json /tmp/hw2c32/
    DGMLAB_DATA=/work/shared/datasets nice -n 5 .venv/bin/python benchmarks/calibrate_hw2_bar.py /tmp/hw2c32 \\
        --json benchmarks/results/hw2_wgangp_bar.json --fixtures tests/fixtures

``--checkpoint FILE`` (repeatable) adds the generator of a notebook training checkpoint (``checkpoints/mnist.pt``,
``dgmlab.checkpoint``'s file), counted at the steps its history holds. Its state dict is read from the file
directly (``data["state"]["generator"]``), not through ``Checkpoint.resume``, which refuses a file written under
another Python version (it fingerprints the training code by its bytecode). ``--final-n N`` also scores N samples
of the latest generator the way the notebook's ``p5_scores`` cell does (10 splits, the classifier Fréchet
distance, the predicted digit counts; noise from ``torch.manual_seed(0)``), and ``--early-samples FILE`` scores a
saved graded file of an early run against the proposed bar when the early checkpoint itself is not at hand:

    DGMLAB_DATA=/work/shared/datasets nice -n 5 .venv/bin/python benchmarks/calibrate_hw2_bar.py \\
        --checkpoint /work/runs/gpu2/hw2_wgangp/mnist.pt --checkpoint /work/runs/gpu3/hw2_wgangp/mnist.pt --late 1 \\
        --final-n 10000 --early-samples EARLY_RUN_GRADED_DRAW.pt \\
        --json benchmarks/results/hw2_mnist_gpu_full_epoch39.json --fixtures tests/fixtures
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

# the scripts beside this one: importable as run (python benchmarks/...) and under pytest (pyproject's pythonpath)
from bench_hw2_wgangp import load_reference
from calibrate_hw1_bar import DRAW_SEEDS, draw_scores, propose_bar

DRAW_SIZE = 100  # samples in hw2's graded file, p5_mnist_samples_100.pt

EARLY_STEP = 234
CAPACITY = 32
STEPS_PER_EPOCH = 60_000 // 64  # full mode: batches of 64, the last incomplete one dropped (40 epochs = 37,480)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, nargs="?", help="folder with generator_stepNNNNNN.pt (and log.json)")
    p.add_argument("--checkpoint", type=Path, action="append", default=[],
                   help="a notebook training checkpoint (dgmlab.checkpoint file) whose generator to add (repeatable)")
    p.add_argument("--final-n", type=int, default=0,
                   help="also score this many samples of the latest generator as the p5_scores cell does")
    p.add_argument("--early-samples", type=Path,
                   help="a saved graded file (100 samples) of an early run, scored against the proposed bar")
    p.add_argument("--json", type=Path, required=True, help="where to write the calibration record")
    p.add_argument("--late", type=int, default=2, help="how many of the latest checkpoints the bar must hold at")
    p.add_argument("--fixtures", type=Path, help="write hw2_genuine_generator_f16.pt and hw2_genuine_samples_100.pt "
                                                 "(latest) and hw2_early_generator_f16.pt (step 234) here")
    args = p.parse_args(argv)

    import torch

    from dgmlab import artifacts, checkpoint, metrics, novelty

    torch.set_num_threads(1)
    ns = load_reference("cpu")
    ns = {**ns, "sample_generator": lambda g, n, seed: ns["sample"](g, n, seed=seed)}
    files = {}  # step -> (a file holding the generator's state dict, the key path to it inside)
    if args.run is not None:
        files.update({int(m.group(1)): (f, ()) for f in args.run.glob("generator_step*.pt")
                      if (m := re.fullmatch(r"generator_step(\d+)\.pt", f.name))})
    checkpoints = {}
    for file in args.checkpoint:
        data = torch.load(file, map_location="cpu", weights_only=True)
        if not isinstance(data, dict) or data.get("format") != checkpoint.FORMAT:
            raise SystemExit(f"{file} is not a dgmlab training checkpoint")
        step = len(data["history"]["critic loss"])
        files[step] = (file, ("state", "generator"))
        seconds = [float(x) for x in data.get("epoch_seconds", [])]
        checkpoints[step] = {"file": str(file), "epoch": int(data["epoch"]), "epochs": int(data["epochs"]),
                             "steps": step, "saved_at": data.get("saved_at"), "torch": data.get("torch"),
                             "epoch_seconds": [round(x, 2) for x in seconds]}
    steps = sorted(files)
    if not steps:
        raise SystemExit(f"no generator_stepNNNNNN.pt in {args.run} and no --checkpoint")

    def generator_at(step):
        file, keys = files[step]
        state = torch.load(file, map_location="cpu", weights_only=True)
        for key in keys:
            state = state[key]
        g = ns["Generator"](capacity=CAPACITY)
        g.load_state_dict(state)
        return g.eval()

    draws = {s: draw_scores(ns, generator_at(s), n=DRAW_SIZE, scale="[0,1]") for s in steps}
    late = steps[-args.late:]
    bar = propose_bar([draws[s] for s in late])
    table = []
    for s in steps:
        scores = sorted(x for x, _ in draws[s])
        classes = sorted(c for _, c in draws[s])
        table.append({"step": s, "epochs": round(s / STEPS_PER_EPOCH, 3), "min": round(scores[0], 3),
                      "second_lowest": round(scores[1], 3), "median": round(scores[10], 3),
                      "max": round(scores[-1], 3), "min_classes": classes[0], "second_fewest_classes": classes[1],
                      "draws_clearing_bar": sum(x >= bar for x in scores),
                      "draws": [[round(x, 3), c] for x, c in draws[s]]})
        print(json.dumps({k: v for k, v in table[-1].items() if k != "draws"}), flush=True)
    graded = {}
    for name, s in [("latest", steps[-1]), ("early", EARLY_STEP)]:
        if s not in steps:
            continue
        x = ns["sample"](generator_at(s), 100, seed=0)
        graded[name] = {"step": s, "score": round(float(metrics.mnist_score(x, splits=1, scale="[0,1]")[0]), 3),
                        "classes": int(metrics.mnist_predict(x, scale="[0,1]").unique().numel()),
                        "near_copies": novelty.find_copies(x, scale="[0,1]").summary()}
        print(json.dumps(graded[name]), flush=True)
        if args.fixtures:
            artifacts.save_weights(generator_at(s), args.fixtures / f"hw2_{'genuine' if name == 'latest' else name}"
                                                                    "_generator_f16.pt")
            if name == "latest":
                torch.save(x.contiguous().clone(), args.fixtures / "hw2_genuine_samples_100.pt")
    early_file = None
    if args.early_samples:
        x = torch.load(args.early_samples, map_location="cpu", weights_only=True)
        score = float(metrics.mnist_score(x, splits=1, scale="[0,1]")[0])
        early_file = {"file": str(args.early_samples), "score": round(score, 3),
                      "classes": int(metrics.mnist_predict(x, scale="[0,1]").unique().numel()),
                      "clears_bar": score >= bar}
        print(json.dumps({"early_samples": early_file}), flush=True)
    final = None
    if args.final_n:  # the p5_scores cell: sample(G, n) (unseeded there), mnist_score with 10 splits, Frechet distance
        import dgmlab.data

        torch.manual_seed(0)
        x = ns["sample"](generator_at(steps[-1]), args.final_n)
        real = dgmlab.data.mnist(train=False, scale="[0,1]", n=args.final_n).images
        score, spread = metrics.mnist_score(x)
        final = {"step": steps[-1], "n": args.final_n, "mnist_score": round(float(score), 3),
                 "mnist_score_std": round(float(spread), 3),
                 "frechet_distance": round(float(metrics.mnist_frechet_distance(x)), 2),
                 "real_test_score": round(float(metrics.mnist_score(real)[0]), 3),
                 "predicted_counts": torch.bincount(metrics.mnist_predict(x), minlength=10).tolist()}
        print(json.dumps({"final": final}), flush=True)
    log = args.run / "log.json" if args.run is not None else None
    record = {"run": None if args.run is None else str(args.run), "capacity": CAPACITY, "steps": steps,
              "late_steps": late,
              "draw_seeds": [DRAW_SEEDS.start, DRAW_SEEDS.stop - 1], "proposed_bar": bar,
              "early_step": EARLY_STEP,
              "early_draws_clearing": next((t["draws_clearing_bar"] for t in table if t["step"] == EARLY_STEP), None),
              "calibration": table, "graded_seed0": graded,
              "log": json.loads(log.read_text()) if log is not None and log.exists() else None}
    if checkpoints:
        record.update(checkpoints=[checkpoints[s] for s in sorted(checkpoints)])
    if early_file is not None:
        record.update(early_samples=early_file)
    if final is not None:
        record.update(final=final)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1))
    print(json.dumps({"proposed_bar": bar, "late_steps": late, "early_draws_clearing": record["early_draws_clearing"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
