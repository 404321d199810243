"""The graded trained results on many keyed draws: does the kit's own trained run clear every bar on every draw, and
does a clearly worse run still fail?

    python benchmarks/trained_bars.py [HW ...] [--draws 200] [--worse-draws 50] [--record]

A cell graded from a handed-in file alone (its spec names files and no kernel values: hw1 Q3's samples, hw2 P5(g),
hw4 P2/P3's samples, hw5 P1/P2's weights) is judged in-process as ``dgmlab autograde``'s judge judges it
(:func:`dgmlab.grading.judge.cell_verdicts.judge_cell`), on ``--draws`` draws: each a random grading seed and a random
seed per file, as a course key gives them (``draw_seeds.seed`` is HMAC-SHA256 of a secret key, so any 31-bit seed is
a possible draw). The kit's run is each homework's ``PROOF_ARTIFACTS`` (its reference weights, tests/fixtures); the
clearly worse run is the same run stopped early (``EARLY_ARTIFACTS`` in the homework's proofs.py), where one exists.
``--record`` writes benchmarks/results/trained_bars.md. Exit status 1 when the kit's run loses a point on any draw
or the worse run earns full marks on any.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import homeworks

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "trained_bars.md"



def file_cells(hw: str) -> list:
    """The specs of ``hw`` graded from handed-in files alone (no value from the kernel)."""
    from dgmlab import probes

    return [s for s in probes.specs(hw).values() if s.files and not s.names]


def judge_draws(hw: str, builder, spec, folder: Path, seeds: list) -> list:
    """The points the cell earns on each ``(grading seed, {file: seed})`` draw, with the files in ``folder``."""
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import PROBE_MIME, wire

    sources = {c.metadata["nbgrader"]["grade_id"]: c.source for c in builder.build().nb.cells
               if c.metadata.get("nbgrader", {}).get("grade_id")}
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {PROBE_MIME: {"cell": spec.cell, "data": wire.dumps({})}}}]
    out = []
    for seed, file_seeds in seeds:
        result = cell_verdicts.judge_cell(hw, spec.cell, sources[spec.cell], shown, seed, folder=folder, seeds=file_seeds,
                                    reference=cell_verdicts.Reference(lambda gid: sources[gid]))
        out.append((float(result.earned), result.lines))
    return out


def draws(n: int, names: tuple, rng: random.Random) -> list:
    return [(rng.randrange(2**31), {name: rng.randrange(2**31) for name in names}) for _ in range(n)]


def run(hw: str, n: int, n_worse: int, rng: random.Random, cells=None) -> list:
    from dgmlab.authoring import homeworks as builders

    builder = builders(ROOT)[hw]
    rows = []
    for spec in file_cells(hw):
        if cells and spec.cell not in cells:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for name in spec.files:
                builder.PROOF_ARTIFACTS[name](folder)
            started = time.perf_counter()
            kit = judge_draws(hw, builder, spec, folder, draws(n, spec.files, rng))
            seconds = (time.perf_counter() - started) / max(n, 1)
            # the clearly worse run: the kit's run stopped early, per graded file (proofs.py's EARLY_ARTIFACTS)
            worse_files = {name: path for name, path in getattr(builder, "EARLY_ARTIFACTS", {}).items()
                           if name in spec.files}
            worse = []
            if worse_files:
                for name, src in worse_files.items():
                    shutil.copyfile(src, folder / name)
                worse = judge_draws(hw, builder, spec, folder, draws(n_worse, spec.files, rng))
        points = float(spec.points)
        lost = [lines for earned, lines in kit if earned < points]
        rows.append({"hw": hw, "cell": spec.cell, "points": points, "draws": n,
                     "kit_min": min(e for e, _ in kit), "kit_losing": len(lost),
                     "kit_example": next((ln for lines in lost for ln in lines if "expected" in ln), ""),
                     "worse_draws": len(worse), "worse_max": max((e for e, _ in worse), default=None),
                     "worse_full": sum(e >= points for e, _ in worse), "seconds_per_draw": seconds})
        print(rows[-1], file=sys.stderr, flush=True)
    return rows



def table(rows: list) -> str:
    lines = ["# Graded trained results on keyed draws", "",
             "`python benchmarks/trained_bars.py --record`: each cell graded from a handed-in file, judged as the "
             "autograder judges it on random keyed draws (a grading seed and a seed per file), with the kit's "
             "reference run (`PROOF_ARTIFACTS`) and with the same run stopped early (`EARLY_*`).", "",
             "| cell | points | kit's run: draws | lowest mark | draws losing a point | early run: draws | "
             "highest mark | draws at full marks | s per draw |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        worse = (f"{r['worse_draws']} | {r['worse_max']:g} | {r['worse_full']}" if r["worse_draws"]
                 else "— | — | —")
        lines.append(f"| {r['hw']} {r['cell']} | {r['points']:g} | {r['draws']} | {r['kit_min']:g} | "
                     f"{r['kit_losing']} | {worse} | {r['seconds_per_draw']:.2f} |")
    losing = [r for r in rows if r["kit_losing"]]
    if losing:
        lines += ["", "Draws on which the kit's run loses a point (first reason):", ""]
        lines += [f"- {r['hw']} {r['cell']}: {r['kit_losing']} of {r['draws']}: {r['kit_example']}" for r in losing]
    return "\n".join(lines) + "\n"


def main(argv) -> int:
    import os

    import torch

    parser = argparse.ArgumentParser(prog="python benchmarks/trained_bars.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("hw", nargs="*", help="default: every kit homework with a cell graded from files alone")
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--worse-draws", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20261127, help="where the random draws start (reproducible)")
    parser.add_argument("--cell", action="append", metavar="GRADE_ID",
                        help="judge only this cell (repeatable); a long run can go in chunks of draws")
    parser.add_argument("--record", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    a = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    rng = random.Random(a.seed)
    kit = a.hw or [hw for hw in homeworks.names() if file_cells(hw)]  # the homework folders
    rows = [row for hw in kit for row in run(hw, a.draws, a.worse_draws, rng, a.cell)]
    text = table(rows)
    print(text)
    if a.record:
        RESULTS.write_text(text, encoding="utf-8")
    bad = [r for r in rows if r["kit_losing"] or r["worse_full"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
