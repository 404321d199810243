"""Grade an answer corpus through the self-check and the judge: per entry, visible and total points against the model's.

    python benchmarks/run_corpus.py hw3_flows [--corpus PATH] [--only CELL] [--record] [--pin]

``--corpus``: a JSON list of entries (dgmlab.authoring.corpus; default tests/corpora/<hw>.json). Prints each entry's
outcome (full, loses_visible, loses_hidden_only) and the homework's summary; ``--record`` writes it to
benchmarks/results/corpora_<hw>.md and its row of benchmarks/results/performance.md's table, ``--pin`` writes the corpus with each entry's outcome as its ``expect`` to
tests/corpora/<hw>.json (what tests/authoring/test_corpora.py holds it to). Exit status 1 when a correct answer loses
a point or a mistake loses none.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from reference_lottery import performance_table, prepare  # noqa: E402


def grade(hw: str, entries: list, workdir=None, progress=None):
    from dgmlab.authoring.corpus import grade_corpus

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        notebook, mutants = prepare(hw, Path(tmp) / hw)
        return grade_corpus(notebook, entries, mutants, progress=progress)


def pinned(entries: list, results: list) -> list:
    """``entries`` each with ``expect``: its outcome and the points it loses, visible and in total."""
    by_label = {e["label"]: o for e, _g, o in results}
    return [{**{k: v for k, v in e.items() if k != "expect"}, "expect": by_label[e["label"]]} for e in entries
            if e["label"] in by_label]


def main(argv) -> int:
    from dgmlab.authoring.corpus import load, report, summary

    parser = argparse.ArgumentParser(prog="python benchmarks/run_corpus.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("hw")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--only", help="only the entries of this answer cell")
    parser.add_argument("--workdir", help="where the notebook's copy is made (default: the system's temp folder)")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/corpora_<hw>.md")
    parser.add_argument("--pin", action="store_true", help="write tests/corpora/<hw>.json with each outcome")
    a = parser.parse_args(argv)
    path = a.corpus or ROOT / "tests" / "corpora" / f"{a.hw}.json"
    entries = [e for e in load(path) if not a.only or e["cell"] == a.only]
    references, results = grade(a.hw, entries, a.workdir,
                                progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True))
    text = report(a.hw, references, results)
    print(text)
    print(json.dumps(summary(a.hw, results)))
    if a.record:
        (ROOT / "benchmarks" / "results" / f"corpora_{a.hw}.md").write_text(text, encoding="utf-8")
        (ROOT / "benchmarks" / "results" / f"corpora_{a.hw}.json").write_text(
            json.dumps(summary(a.hw, results), indent=1) + "\n", encoding="utf-8")
        performance_table()
    if a.pin:
        out = ROOT / "tests" / "corpora" / f"{a.hw}.json"
        out.parent.mkdir(exist_ok=True)
        fresh = {e["label"]: e for e in pinned(entries, results)}
        kept = [fresh.pop(e["label"], e) for e in (load(out) if out.exists() and a.only else [])]
        out.write_text(json.dumps(kept + list(fresh.values()), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    wrong = [e for e, _g, o in results if o["outcome"] != "hand_graded" and (e["kind"] == "correct") != (o["outcome"] == "full")]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
