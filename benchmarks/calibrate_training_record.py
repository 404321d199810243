"""The training record's replay tolerance (docs/hw4_gans.md, "Training record"): honest hw4 baseline runs trained
with 1 and 2 threads (full mode: 1), each replayed from its replay states with 1 and 2 threads; how far each replay
lands from its landing (``landing_error``: RMS miss over the replay's own move), replayed with other noise too (what
a GPU's generator would draw), and how far a landing of another run is (a stitched record).

    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/calibrate_training_record.py fast /work/scratch/x
    DGMLAB_DATA=/work/shared/datasets OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/calibrate_training_record.py \\
        full /work/scratch/x
"""
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import training_runs  # noqa: E402
from dgmlab.checkpoint_record import Record  # noqa: E402
from dgmlab.grading.judge import training_record as record_check  # noqa: E402
from homeworks.hw4_gans.hidden import training_record as hw4_record  # noqa: E402

SETTINGS = {"fast": dict(n=640, source="sample", epochs=3, replay=(1, 2), steps=16),
            "full": dict(n=None, source="full", epochs=2, replay=(1,), steps=64)}


def train(mode, folder, seed, threads):
    s = SETTINGS[mode]
    torch.set_num_threads(threads)
    plan = Record(epochs=tuple(range(1, s["epochs"] + 1)), replay=s["replay"], steps=s["steps"], keep=("average",),
                  path=folder / "baseline_training_record.pt")
    training_runs.run(folder, seed=seed, epochs=s["epochs"], record=plan, n=s["n"], source=s["source"])
    return torch.load(folder / "baseline_training_record.pt", weights_only=True)


def errors(record, landings_of=None, other_noise=False):
    """The landing error of each replay state (against ``landings_of``'s landings: a stitched record; with
    ``other_noise``, the replay's noise drawn from another seed)."""
    out = []
    for entry in (e for e in record["entries"] if "state" in e):
        landing = entry["landing"]
        if landings_of is not None:
            landing = next(e for e in landings_of["entries"] if e["epoch"] == entry["epoch"])["landing"]
        if other_noise:
            entry = {**entry, "rng": {**entry["rng"], "torch": torch.Generator().manual_seed(12345).get_state()}}
        replayed, _ = hw4_record.replay(entry, record)
        start = {net: entry["state"][net] for net in landing["state"]}
        out.append(record_check.landing_error(start, replayed, landing["state"]))
    return out


def main(mode, root):
    root, rows = Path(root), []
    records = {}
    for seed in (0, 1):
        for threads in (1, 2) if mode == "fast" else (1,):
            t = time.perf_counter()
            records[seed, threads] = train(mode, root / f"{mode}_s{seed}_t{threads}", seed, threads)
            print(f"trained seed {seed} on {threads} thread(s) in {time.perf_counter() - t:.0f} s", flush=True)
    for (seed, trained), record in records.items():
        for threads in (1, 2):
            torch.set_num_threads(threads)
            t = time.perf_counter()
            honest, other_noise = errors(record), errors(record, other_noise=True)
            stitched = errors(record, records[1 - seed, trained])
            rows.append(dict(seed=seed, trained_threads=trained, replay_threads=threads, honest=honest,
                             other_noise=other_noise, stitched=stitched, seconds=round(time.perf_counter() - t, 1)))
            print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"mode": mode, "worst_honest": max(e for r in rows for e in r["honest"]),
                      "worst_other_noise": max(e for r in rows for e in r["other_noise"]),
                      "closest_stitched": min(e for r in rows for e in r["stitched"]),
                      "tolerance": hw4_record.TOLERANCE}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
