"""The reference lottery of a homework: its model answer and its proofs' correct variants on many graded draws.

    python benchmarks/reference_lottery.py hw5_explicit [--draws 50] [--only q4_] [--key HEX] [--record]

Copies the homework's source notebook (and the PROOF_ARTIFACTS its proofs write) into a work folder, then
:func:`dgmlab.authoring.lottery.run_lottery`: every check() cell judged on ``--draws`` draws, each from a course key of
its own (random, or derived from ``--key`` / ``DGMLAB_LOTTERY_KEY``), as the autograder derives a student's draw. Prints
each point lost (cell, draw, tests) and a summary; ``--record`` writes benchmarks/results/lottery_<hw>.json and its row
of benchmarks/results/performance.md's table (:func:`performance_table`). Exit status 1 when a correct answer lost a point. tests/authoring/test_lottery.py runs the same on 50 draws.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prepare(hw: str, folder: Path) -> tuple[Path, list]:
    """The source notebook of ``hw`` copied into ``folder`` with its proofs' artifacts, and its MUTANTS."""
    from dgmlab.authoring import homeworks

    module = homeworks(ROOT)[hw]
    source = module.build().path
    shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("figures", "*.pt", ".ipynb_checkpoints"))
    for write in getattr(module, "PROOF_ARTIFACTS", {}).values():
        write(folder)
    return folder / source.name, list(getattr(module, "MUTANTS", []))


def lottery(hw: str, draws: int, key=None, only=None, workdir=None, progress=None):
    from dgmlab.authoring.lottery import run_lottery

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        notebook, mutants = prepare(hw, Path(tmp) / hw)
        return run_lottery(notebook, mutants, n=draws, key=key, only=only, progress=progress)


def record(result) -> Path:
    """Write benchmarks/results/lottery_<hw>.json."""
    out = ROOT / "benchmarks" / "results" / f"lottery_{result.hw}.json"
    only = f" --only '{result.only}'" if result.only else ""
    lost = {}
    for loss in result.losses:
        lost.setdefault(f"{loss.answer} -> {loss.test}", []).append(
            {"draw": loss.draw.index, "seed": loss.draw.seed, "files": dict(loss.draw.files),
             "key": loss.draw.key, "earned": loss.earned, "points": loss.points, "failing": loss.failing})
    out.write_text(json.dumps({
        "hw": result.hw, "date": date.today().isoformat(), "draws": len(result.draws),
        "cells": {f"{a} -> {t}": {"draws": n, "seconds": round(sec, 1)} for (a, t), (n, sec) in sorted(result.cells.items())},
        "gradings": result.gradings, "seconds": round(result.seconds), "failed_draws": result.failed_draws,
        "losses": lost, "only": result.only, "command": f"python benchmarks/reference_lottery.py {result.hw} --draws "
                                                         f"{len(result.draws)}{only} --record"}, indent=2) + "\n",
                   encoding="utf-8")
    return out


TABLE = re.compile(r"<!-- lottery and corpora:.*?<!-- end of lottery and corpora -->", re.S)


def performance_table() -> None:
    """The per-homework table of the latest lottery and corpus records in benchmarks/results/performance.md (added at its end
    the first time): benchmarks/results/lottery_<hw>.json and corpora_<hw>.json."""
    results = ROOT / "benchmarks" / "results"
    hws = sorted({p.stem.split("_", 1)[1] for p in [*results.glob("lottery_*.json"), *results.glob("corpora_*.json")]})
    rows = []
    for hw in hws:
        lot = results / f"lottery_{hw}.json"
        cor = results / f"corpora_{hw}.json"
        if lot.exists():
            d = json.loads(lot.read_text(encoding="utf-8"))
            lottery = (f"{d['draws']} draws, {len(d['cells'])} pairs, {d['gradings']} gradings in {d['seconds']} s: "
                       + (f"points lost on {d['failed_draws']} draws" if d["losses"] else "no point lost")
                       + (f", test cells `{d['only']}` only".replace("|", "\\|") if d.get("only") else "")
                       + f" ({d['date']}, [record]({lot.name}))")
        else:
            lottery = "not run"
        if cor.exists():
            c = json.loads(cor.read_text(encoding="utf-8"))
            corpus = (f"{c['size']} answers: {c['correct_full']}/{c['correct']} correct full, "
                      f"{c['mistakes_losing_visible']}/{c['mistakes']} mistakes lose visible points, "
                      f"{c['mistakes_losing_points']}/{c['mistakes']} lose points "
                      f"([table](corpora_{hw}.md))")
        else:
            corpus = "no corpus yet"
        rows.append(f"| `{hw}` | {lottery} | {corpus} |")
    table = "\n".join([
        "<!-- lottery and corpora: written by benchmarks/reference_lottery.py and run_corpus.py --record -->",
        "| homework | reference lottery (`python benchmarks/reference_lottery.py <hw> --record`) | answer corpus "
        "(`python benchmarks/run_corpus.py <hw> --record`) |", "|---|---|---|", *rows,
        "<!-- end of lottery and corpora -->"])
    page = ROOT / "benchmarks" / "results" / "performance.md"
    text = page.read_text(encoding="utf-8")
    if TABLE.search(text):
        text = TABLE.sub(lambda _m: table, text)
    else:
        text = text.rstrip("\n") + "\n\n## The reference lottery and the answer corpora\n\n" + table + "\n"
    page.write_text(text, encoding="utf-8")


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/reference_lottery.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("hw")
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--only", help="only the test cells whose grade id this regular expression finds")
    parser.add_argument("--key", help="derive the draws' course keys from this (hex) instead of at random")
    parser.add_argument("--workdir", help="where the notebook's copy is made (default: the system's temp folder)")
    parser.add_argument("--record", action="store_true", help="write the record and benchmarks/results/performance.md's table")
    a = parser.parse_args(argv)
    result = lottery(a.hw, a.draws, key=a.key, only=a.only, workdir=a.workdir,
                     progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True))
    for loss in result.losses:
        print(loss)
    print(result.summary())
    if a.record:
        print(f"wrote {record(result).relative_to(ROOT)}")
        performance_table()
    return 1 if result.losses else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
