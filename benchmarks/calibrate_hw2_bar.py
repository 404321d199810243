"""Calibrate hw2's graded artifact bar (``p5_mnist_samples_tests``) from the checkpoints of a reference run.

Reads ``generator_stepNNNNNN.pt`` (state dicts of the notebook's ``Generator(capacity=32)``) from ``RUN``,
draws 20 independent 100-sample sets (noise seeds 1000..1019, none of them the graded seed 0) from each with
the notebook's own ``sample(generator, 100, seed=...)``, scores each set the way the graded cell does
(``mnist_score(x, splits=1, scale="[0,1]")`` and the digit classes the classifier finds; the drawing and
scoring are ``calibrate_hw1_bar.draw_scores``), and proposes the bar: the largest multiple of 0.25 that at
least 19 of 20 draws clear at every one of the ``--late`` latest checkpoints (``calibrate_hw1_bar.propose_bar``).
It also reports how the early checkpoint (step 234, a quarter epoch) does against that bar, and with
``--fixtures`` writes the graded file (seed 0) of the latest and of the early checkpoint.

    mkdir -p /tmp/hw2c32 && cp /work/runs/hw2c32/generator_step*.pt /work/runs/hw2c32/log.json /tmp/hw2c32/
    DGMLAB_DATA=/work/shared/datasets nice -n 5 .venv/bin/python benchmarks/calibrate_hw2_bar.py /tmp/hw2c32 \\
        --json benchmarks/results/hw2_wgangp_bar.json --fixtures tests/fixtures
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

# the scripts beside this one: importable as run (python benchmarks/...) and under pytest (pyproject's pythonpath)
from bench_hw2_wgangp import load_reference
from calibrate_hw1_bar import DRAW_SEEDS, draw_scores, propose_bar

EARLY_STEP = 234
CAPACITY = 32


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="folder with generator_stepNNNNNN.pt (and log.json)")
    p.add_argument("--json", type=Path, required=True, help="where to write the calibration record")
    p.add_argument("--late", type=int, default=2, help="how many of the latest checkpoints the bar must hold at")
    p.add_argument("--fixtures", type=Path, help="write hw2_genuine_samples_100.pt (latest) and "
                                                 "hw2_early_samples_100.pt (step 234) here")
    args = p.parse_args(argv)

    import torch

    from dgmlab import metrics, novelty

    torch.set_num_threads(1)
    ns = load_reference("cpu")
    ns = {**ns, "sample_generator": lambda g, n, seed: ns["sample"](g, n, seed=seed)}
    steps = sorted(int(m.group(1)) for f in args.run.glob("generator_step*.pt")
                   if (m := re.fullmatch(r"generator_step(\d+)\.pt", f.name)))
    if not steps:
        raise SystemExit(f"no generator_stepNNNNNN.pt in {args.run}")

    def generator_at(step):
        g = ns["Generator"](capacity=CAPACITY)
        g.load_state_dict(torch.load(args.run / f"generator_step{step:06d}.pt", map_location="cpu",
                                     weights_only=True))
        return g.eval()

    draws = {s: draw_scores(ns, generator_at(s), scale="[0,1]") for s in steps}
    late = steps[-args.late:]
    bar = propose_bar([draws[s] for s in late])
    table = []
    for s in steps:
        scores = sorted(x for x, _ in draws[s])
        classes = sorted(c for _, c in draws[s])
        table.append({"step": s, "epochs": round(s / 937.5, 3), "min": round(scores[0], 3),
                      "second_lowest": round(scores[1], 3), "median": round(scores[10], 3),
                      "max": round(scores[-1], 3), "min_classes": classes[0], "second_fewest_classes": classes[1],
                      "draws_clearing_bar": sum(x >= bar for x in scores)})
        print(json.dumps(table[-1]), flush=True)
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
            file = args.fixtures / ("hw2_genuine_samples_100.pt" if name == "latest" else "hw2_early_samples_100.pt")
            torch.save(x.contiguous().clone(), file)
    log = args.run / "log.json"
    record = {"run": str(args.run), "capacity": CAPACITY, "steps": steps, "late_steps": late,
              "draw_seeds": [DRAW_SEEDS.start, DRAW_SEEDS.stop - 1], "proposed_bar": bar,
              "early_step": EARLY_STEP,
              "early_draws_clearing": next((t["draws_clearing_bar"] for t in table if t["step"] == EARLY_STEP), None),
              "calibration": table, "graded_seed0": graded,
              "log": json.loads(log.read_text()) if log.exists() else None}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1))
    print(json.dumps({"proposed_bar": bar, "late_steps": late, "early_draws_clearing": record["early_draws_clearing"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
