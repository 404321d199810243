"""Answer groups on the written-answer corpus: how many answers a TA grades through a group, and how many group
decisions are wrong, at each similarity threshold.

    .venv/bin/python benchmarks/bench_answer_groups.py [--out benchmarks/results/answer_groups.md]

The corpus (``tests/corpora/written_answers/``) was written by someone who had read only the questions, the model
answers, the rubrics and the course handout, never the grouping code, with each answer's true rubric items. A TA is
simulated as the page lets one grade: a group's first answer gets its true items and every other member the same
(wrong when its true items differ: a **wrong identical decision**); a similar answer offered a group's items is
confirmed (``g``) when the TA, reading it, sees the same items, else graded apart (a **proposal declined**: no
wrong decision, but no time saved). Answers in the page's order for a course key fixed here.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpora" / "written_answers"
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def simulate(rows: list, threshold: float) -> dict:
    from dgmlab.grading.hand import answer_groups as AG

    order = sorted(rows, key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    true = {r["id"]: sorted(r["items"]) for r in rows}
    grouping = AG.group({r["id"]: r["answer"] for r in order}, threshold)
    wrong = sum(1 for g in grouping.groups for m in g.members[1:] if true[m] != true[g.leader])
    # a similar answer (with its own group's members) takes the offered group's items when the TA confirms it
    confirmed = sum(len(grouping.of[s].members) for s, (g, _) in grouping.proposal.items() if true[s] == true[g.leader])
    through = grouping.share()["identical"] + confirmed
    return {"threshold": threshold, "answers": len(rows), "identical": grouping.share()["identical"],
            "proposed": grouping.share()["proposed"], "confirmed": confirmed,
            "declined": grouping.share()["proposed"] - confirmed,
            "through_groups": through, "share": round(through / len(rows), 3), "wrong_identical": wrong}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "answer_groups.md"))
    args = ap.parse_args(argv)
    from dgmlab.grading.hand.answer_groups import SIMILAR

    lines = ["# Answer groups on the written-answer corpus", "",
             "Written by `python benchmarks/bench_answer_groups.py`; the corpus and the simulated TA: that script's "
             f"docstring. The page's threshold: {SIMILAR}.", "",
             "| question | threshold | answers | graded with an identical group | similar, offered | confirmed "
             "| declined | share graded through a group | wrong identical decisions |", "|---|---|---|---|---|---|---|---|---|"]
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for t in THRESHOLDS:
            r = simulate(data["answers"], t)
            mark = " (page)" if t == SIMILAR else ""
            lines.append(f"| {data['question']} | {t}{mark} | {r['answers']} | {r['identical']} | {r['proposed']} | "
                         f"{r['confirmed']} | {r['declined']} | {r['share']:.0%} | {r['wrong_identical']} |")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
