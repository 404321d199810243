"""The training record's replay tolerance across devices (issue 71 item 2): hw4 baseline runs trained on a GPU with
the notebook's full plan (all 60,000 digits, snapshots at epochs 5-50, replay states at 10 and 30, 64-step
segments), each replayed on a CPU with 1 and 2 threads, as the grader replays a record made in Colab.

    # on the GPU machine (one process a seed; stops training at the deadline, the record as the last save left it):
    DGMLAB_DATA=... python benchmarks/calibrate_record_across_devices.py train DIR --seeds 0 1 2 --deadline 300
    # on any CPU (this machine, or the GPU machine's own CPU), beside the records:
    DGMLAB_DATA=... python benchmarks/calibrate_record_across_devices.py judge DIR --seeds 0 1 2

``judge`` (``--parallel`` on a many-core host) writes ``DIR/judged_<$JUDGE_LABEL or host>_s<seed>.json``: per replay state its landing error (honest: the run's own
landing; stitched: another seed's landing at the same epoch), per snapshot its score (hw4's ``Hooks.score``), and,
for a run that reached its last epoch, the grader's whole verdict. Results: benchmarks/results/hw4_gans_training_record.md.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import training_runs  # noqa: E402
from calibrate_training_record import errors  # noqa: E402
from dgmlab import weights_files  # noqa: E402
from dgmlab.checkpoint_record import Record  # noqa: E402
from dgmlab.grading.judge import training_record as record_check  # noqa: E402
from homeworks.hw4_gans.hidden import training_record as hw4_record  # noqa: E402

# the notebook's full plan (homeworks/hw4_gans/p2_three_ablations.py: RECORD_EPOCHS, REPLAY_EPOCHS, REPLAY_STEPS)
PLAN = dict(epochs=(5, 10, 20, 30, 40, 50), replay=(10, 30), steps=64)
EPOCHS, DATA = 50, dict(n=None, source="full")
if os.environ.get("CALIBRATE_SMOKE"):  # a try of the script itself: fast mode's sizes (640 digits, 3 epochs)
    PLAN, EPOCHS, DATA = dict(epochs=(1, 2, 3), replay=(1, 2), steps=8), 3, dict(n=640, source="sample")
RECORD, WEIGHTS = "baseline_training_record.pt", "baseline_generator_weights.pt"


def train_one(folder: Path, seed: int, device: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "epochs.jsonl").open("a")

    def logged(epoch, seconds):
        log.write(json.dumps({"epoch": epoch, "seconds": round(seconds, 2), "device": device}) + "\n")
        log.flush()

    plan = Record(keep=("average",), path=folder / RECORD, **PLAN)
    training_runs.run(folder, seed=seed, epochs=EPOCHS, record=plan, device=device, log=logged, **DATA)


def train(root: Path, seeds, device: str, deadline: float) -> None:
    """One process a seed, side by side; each stopped at ``deadline`` seconds (its record as its last save left it)."""
    procs = {s: subprocess.Popen([sys.executable, __file__, "train-one", str(root / f"s{s}"), str(s), device])
             for s in seeds}
    started = time.monotonic()
    for seed, proc in procs.items():
        try:
            proc.wait(timeout=max(1.0, deadline - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait()
        print(f"seed {seed}: exit {proc.returncode} after {time.monotonic() - started:.0f} s", flush=True)


def judge_one(root: Path, seed: int, seeds) -> dict:
    """Replay ``seed``'s record (honest, and stitched to each of ``seeds``' landings), score its trail, and judge it
    as the grader does when it is whole."""
    record = torch.load(root / f"s{seed}" / RECORD, map_location="cpu", weights_only=True)
    others = {s: torch.load(root / f"s{s}" / RECORD, map_location="cpu", weights_only=True) for s in seeds
              if s != seed and (root / f"s{s}" / RECORD).exists()}
    landed = [e for e in record["entries"] if "state" in e and e.get("landing") is not None]
    record["entries"] = [e for e in record["entries"] if "state" not in e or e.get("landing") is not None]
    out = {"seed": seed, "host": platform.node(), "cpu": platform.processor() or platform.machine(),
           "torch": torch.__version__, "trained_torch": record.get("torch"),
           "epochs": [e["epoch"] for e in record["entries"]], "replay_epochs": [e["epoch"] for e in landed],
           "replays": []}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        started = time.perf_counter()
        row = {"threads": threads, "honest": errors(record)}
        for other_seed, other in others.items():
            if {e["epoch"] for e in landed} <= {e["epoch"] for e in other["entries"] if e.get("landing") is not None}:
                row[f"stitched_s{other_seed}"] = errors(record, other)
        row["seconds"] = round(time.perf_counter() - started, 1)
        out["replays"].append(row)
        print(json.dumps(row), flush=True)
    hooks = hw4_record.Hooks(0)
    out["scores"] = [[e["epoch"], round(hooks.score(e["keep"]["average"]), 3)] for e in record["entries"]]
    if record["entries"][-1]["epoch"] == EPOCHS and (root / f"s{seed}" / WEIGHTS).exists():
        graded = weights_files.load((root / f"s{seed}" / WEIGHTS).read_bytes(), WEIGHTS)
        for key in (0, 1, 2):  # three keyed draws: each picks a replay state and scores on its own noise
            found = record_check.verdict(WEIGHTS, (root / f"s{seed}" / RECORD).read_bytes(), graded, key,
                                         hw4_record.Hooks(key))
            out.setdefault("verdicts", []).append(found.line())
    label = os.environ.get("JUDGE_LABEL") or platform.node()  # where it was judged: two hosts may share a name
    (root / f"judged_{label}_s{seed}.json").write_text(json.dumps(out, indent=1))
    return out


def judge(root: Path, seeds, parallel: bool) -> None:
    found = [s for s in seeds if (root / f"s{s}" / RECORD).exists()]  # each stitched to the next seed's landings
    cmds = [[sys.executable, __file__, "judge-one", str(root), str(s), str(found[(i + 1) % len(found)])]
            for i, s in enumerate(found)]
    if parallel:
        for proc in [subprocess.Popen(c) for c in cmds]:
            proc.wait()
    else:
        for c in cmds:
            subprocess.run(c, check=False)


def main() -> None:
    if sys.argv[1] == "train-one":
        return train_one(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    if sys.argv[1] == "judge-one":
        judge_one(Path(sys.argv[2]), int(sys.argv[3]), [int(s) for s in sys.argv[4:]])
        return None
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("train", "judge"))
    parser.add_argument("root", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds of training before each run stops")
    parser.add_argument("--parallel", action="store_true", help="judge the seeds side by side (a many-core host)")
    args = parser.parse_args()
    if args.mode == "train":
        return train(args.root, args.seeds, args.device, args.deadline)
    return judge(args.root, args.seeds, args.parallel)


if __name__ == "__main__":
    main()
