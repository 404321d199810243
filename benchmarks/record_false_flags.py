"""How often the training-record check flags an honest run (issue 71 item 3, the honest side): ``N`` independent
fast-mode hw4 baseline runs (seeds 0..N-1, trained on 1 and 2 threads in turn), each judged as the grader judges the
handed-in record (:func:`dgmlab.grading.judge.training_record.verdict` with hw4's hooks, the graded draw's seed and so
the replayed state keyed per run, replayed on 1 and 2 threads in turn). Writes
benchmarks/results/hw4_record_false_flags.json: each run's verdict, and the flagged count with its 95% upper bound.

    OMP_NUM_THREADS=2 nice .venv/bin/python benchmarks/record_false_flags.py 20 /work/scratch/flags
"""
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import training_runs  # noqa: E402
from dgmlab import weights_files  # noqa: E402
from dgmlab.grading.judge import training_record as record_check  # noqa: E402
from homeworks.hw4_gans.hidden import training_record as hw4_record  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "hw4_record_false_flags.json"


def upper_bound(flagged: int, n: int, confidence: float = 0.95) -> float:
    """The one-sided Clopper-Pearson upper bound on the flag rate after ``flagged`` of ``n``."""
    from scipy.stats import beta

    return 1.0 if flagged >= n else float(beta.ppf(confidence, flagged + 1, n - flagged))


def one_run(folder: Path, seed: int, train_threads: int, judge_threads: int) -> dict:
    torch.set_num_threads(train_threads)
    t = time.perf_counter()
    record_path, weights_path = training_runs.run(folder, seed=seed, epochs=3)
    trained = time.perf_counter() - t
    torch.set_num_threads(judge_threads)
    draw_seed = 7_000_003 * (seed + 1)  # the graded draw's keyed seed: which replay state is replayed comes from it
    graded = weights_files.load(weights_path.read_bytes(), weights_path.name)
    t = time.perf_counter()
    found = record_check.verdict(weights_path.name, record_path.read_bytes(), graded, draw_seed,
                                 hw4_record.Hooks(draw_seed))
    return {"seed": seed, "train_threads": train_threads, "judge_threads": judge_threads, "status": found.status,
            "reasons": found.reasons, "scores": found.scores, "replay": found.replay, "train_seconds": round(trained, 1),
            "judge_seconds": round(time.perf_counter() - t, 1)}


def write(rows: list) -> dict:
    """The results so far, written (after each run: a stopped benchmark keeps what it measured)."""
    flagged = sum(r["status"] != record_check.ONE_RUN for r in rows)
    out = {"homework": "hw4_gans", "mode": "fast (640 digits, 3 epochs, replay states at epochs 1 and 2)",
           "runs": len(rows), "flagged": flagged, "upper_bound_95": round(upper_bound(flagged, len(rows)), 4),
           "date": time.strftime("%Y-%m-%d", time.gmtime()), "rows": rows}
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return out


def main(n: int, root: str) -> None:
    rows = []
    for seed in range(n):
        rows.append(one_run(Path(root) / f"run{seed}", seed, 1 + seed % 2, 1 + (seed // 2) % 2))
        print(json.dumps(rows[-1]), flush=True)
        out = write(rows)
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
