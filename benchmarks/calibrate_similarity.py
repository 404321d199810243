"""Calibrate dgmlab.grading.copies.similarity's thresholds: independent correct solutions against disguised copies.

Independent (what honest students hand in; a flag among them is a false positive):
- five solutions per homework written for the purpose, each in its own style
  (benchmarks/similarity_corpus/<hw>/<author>.py: ``#### cell: <grade id>`` then the cell), each a student whose
  other answer cells are left as released;
- the proofs' correct variants (homeworks/<hw>/proofs.py, those written whole, not as edits of the
  reference), each compared cell by cell with the kit's notebooks and the five authors' same cell.

Disguised copies (a missed one is a false negative), of each author and of the kit's instructor notebook:
identifiers renamed, comments removed and others added, functions (and a class's methods) in reverse order,
spacing changed, written answers' sentences in reverse order with some words swapped, and the largest
answer cell replaced by another author's (one function rewritten); two copies of each source, rewriting
different cells. A copy counts as caught when the report flags it with its source (the classmate, or any kit
notebook). Partial copies: each author's own notebook with the next author's two largest code cells put in,
disguised the same way (caught when flagged with that author). The corpus reader, the notebooks and the disguises
are tests/fixtures/similarity_cases.py, which tests/grading/copies/test_similarity.py builds its classes from too.

Usage (about 30 s a run on the shared 2-core machine; five runs):

    .venv/bin/python benchmarks/calibrate_similarity.py --json benchmarks/results/similarity_calibration.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))  # the corpus, kit answers and disguises tests build classes from

import homeworks  # noqa: E402
from dgmlab.grading.copies import similarity as S  # noqa: E402
from dgmlab.grading.layout import Course  # noqa: E402
from similarity_cases import CORPUS, corpus, disguise, kit_answers, notebook, prose_ids  # noqa: E402

HWS = list(homeworks.names())  # the kit's homework folders


# ------------------------------------------------------------------ inputs
def proof_variants(hw: str) -> dict:
    """{grade id: [correct variant's source]}: the proofs' correct variants written whole."""
    from dgmlab.authoring.build import homeworks

    out: dict = {}
    for m in homeworks(ROOT)[hw].MUTANTS:
        if m.source and m.passes and not m.earns and not m.fails:
            out.setdefault(m.answer, []).append(m.source)
    return out


# ------------------------------------------------------------------ copies
def copies(hw: str, authors: dict, kit: dict, per_source: int = 2) -> dict:
    """{copy name: (source name, answers)}: disguised copies of each author and of the kit's reference, each with
    one of its largest code answers (one the authors wrote too) rewritten by another author."""
    prose = prose_ids(hw)
    sources = {**{a: ans for a, ans in authors.items()}, "kit": kit}
    out = {}
    for k, (name, answers) in enumerate(sources.items()):
        others = [a for a in authors if a != name]
        code_ids = sorted((g for g in answers if g not in prose and any(g in authors[o] for o in others)),
                          key=lambda g: -len(answers[g]))
        for i in range(per_source):
            gid = code_ids[i % len(code_ids)]
            by = [o for o in others if gid in authors[o]][(k + i) % len([o for o in others if gid in authors[o]])]
            out[f"copy{i}_of_{name}"] = (name, disguise(answers, (gid, authors[by][gid]), seed=1000 * k + i,
                                                        prose_ids=prose))
    return out


def partial_copies(hw: str, authors: dict) -> dict:
    """{name: (source author, answers)}: each author's own answers with the two largest code cells of the next
    author put in their place, disguised (a student who copied part of a classmate's work)."""
    prose = prose_ids(hw)
    names = list(authors)
    out = {}
    for k, src in enumerate(names):
        dst = names[(k + 1) % len(names)]
        ids = sorted((g for g in authors[src] if g not in prose and g in authors[dst]), key=lambda g: -len(authors[src][g]))
        taken = disguise({g: authors[src][g] for g in ids[:2]}, None, seed=500 + k, prose_ids=prose)
        out[f"part_of_{src}_in_{dst}"] = (src, {**authors[dst], **taken})
    return out


# ------------------------------------------------------------------ measuring
def fingerprints(hw: str, notebooks: dict) -> tuple:
    """({student: _Answers}, [kit _Answers]) as the report computes them."""
    course = Course(ROOT)
    bp = S._boilerplate(course.release_notebook(hw))
    ids = S._answer_ids(course.release_notebook(hw))
    students = {s: S._answers(s, S._cells(p, [], s, ids), bp) for s, p in notebooks.items()}
    kit = [S._answers(p.relative_to(ROOT).as_posix(), S._cells(p, [], p.name, ids), bp)
           for p in S.kit_notebooks(course, hw)]
    return students, kit


def raw(x, y) -> dict:
    """Similarities of two answer sets without thresholds: notebook and per shared cell (None: too small)."""
    out = {"notebook": S._compare(list(zip(x.notebook, y.notebook)), S.MIN_NOTEBOOK_TOKENS)}
    for gid in sorted(set(x.cells) & set(y.cells)):
        out[gid] = S._compare([(x.cells[gid], y.cells[gid])], S.MIN_CELL_TOKENS)
    return out


def _top(values: list, n=8):
    return sorted(values, key=lambda r: -r["similarity"])[:n]


def calibrate(hw: str, work: Path) -> dict:
    authors, kit_src, variants = corpus(hw), kit_answers(hw), proof_variants(hw)
    if len(authors) < 5:
        raise SystemExit(f"{CORPUS / hw} holds {len(authors)} solutions; at least 5 are needed")
    nbs = {a: notebook(hw, ans, work / hw / a / f"{hw}.ipynb") for a, ans in authors.items()}
    nbs["proofs"] = notebook(hw, {g: v[0] for g, v in variants.items()}, work / hw / "proofs" / f"{hw}.ipynb")
    made = copies(hw, authors, kit_src)
    parts = partial_copies(hw, authors)
    for name, (_, ans) in {**made, **parts}.items():
        nbs[name] = notebook(hw, ans, work / hw / name / f"{hw}.ipynb")
    students, kit = fingerprints(hw, nbs)
    honest = [*authors, "proofs"]
    # the hw3 demo class hands in proof variants: those example notebooks publish them, so not independent of them
    published = {k.owner for k in kit for g, v in variants.items() if g in k.cells
                 and any(k.cells[g].raw_code.strip() == x.strip() for x in v)}

    # independent: every pair of honest students, each against the kit
    rows, flagged = [], set()
    for i, a in enumerate(honest):
        for b in honest[i + 1:]:
            rows += [{"pair": [a, b], "where": w, "similarity": round(s, 3)} for w, s in
                     raw(students[a], students[b]).items() if s is not None]
            if S._pair(hw, students[a], students[b], "student"):
                flagged |= {a, b}
        for k in kit:
            if a == "proofs" and k.owner in published:
                continue
            rows += [{"pair": [a, k.owner], "where": w, "similarity": round(s, 3)} for w, s in
                     raw(students[a], k).items() if s is not None]
            if S._pair(hw, students[a], k, "kit"):
                flagged.add(a)
    nb_rows = [r for r in rows if r["where"] == "notebook"]
    cell_rows = [r for r in rows if r["where"] != "notebook"]

    # the proofs' other correct variants (cell level): against the kit's notebooks and the authors' same cell
    bp = S._boilerplate(Course(ROOT).release_notebook(hw))
    var_rows, var_flagged, var_compared = [], 0, 0
    for gid, sources in variants.items():
        for j, src in enumerate(sources):
            fp = S._answers(f"variant {gid}#{j}", [(gid, False, src)], bp).cells[gid]
            sims = [(o.owner, S._compare([(fp, o.cells[gid])], S.MIN_CELL_TOKENS))
                    for o in kit + [students[a] for a in authors] if gid in o.cells and o.owner not in published]
            sims = [(o, s) for o, s in sims if s is not None]
            var_compared += bool(sims)
            var_flagged += any(s >= S.CELL_THRESHOLD for _, s in sims)
            var_rows += [{"variant": f"{gid}#{j}", "other": o, "similarity": round(s, 3)} for o, s in sims]

    # copies: caught when flagged with their source
    caught, missed, copy_rows = 0, [], []
    for name, (source, _) in made.items():
        others = kit if source == "kit" else [students[source]]
        matches = [m for o in others for m in S._pair(hw, students[name], o, "kit" if source == "kit" else "student")]
        sims = [raw(students[name], o) for o in others]
        best_nb = max((s["notebook"] or 0) for s in sims)
        best_cell = max((v or 0) for s in sims for w, v in s.items() if w != "notebook")
        copy_rows.append({"copy": name, "notebook": round(best_nb, 3), "best_cell": round(best_cell, 3),
                          "flagged_rows": len(matches)})
        if matches:
            caught += 1
        else:
            missed.append(name)
    n_copies = len(made)
    part_rows = []
    for name, (source, _) in parts.items():
        sims = raw(students[name], students[source])
        part_rows.append({"copy": name, "notebook": round(sims["notebook"] or 0, 3),
                          "best_cell": round(max((v or 0) for w, v in sims.items() if w != "notebook"), 3),
                          "caught": bool(S._pair(hw, students[name], students[source], "student"))})
    best = {a: {"cell": max([r["similarity"] for r in cell_rows if a in r["pair"]], default=0),
                "notebook": max([r["similarity"] for r in nb_rows if a in r["pair"]], default=0)} for a in honest}
    sweep = {f"cell {c} notebook {n}": {
        "false_positives": int(sum(b["cell"] >= c or b["notebook"] >= n for b in best.values())),
        "false_negatives": int(sum(not (r["best_cell"] >= c or r["notebook"] >= n) for r in copy_rows))}
        for c in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95) for n in (0.3, 0.4, 0.5, 0.6)}
    return {
        "partial_copies": {"made": len(part_rows), "caught": sum(r["caught"] for r in part_rows),
                           "best_cell_min": min(r["best_cell"] for r in part_rows), "each": part_rows},
        "sweep": sweep, "published_proof_variants_in": sorted(published),
        "authors": list(authors), "kit_notebooks": [k.owner for k in kit],
        "independent": {
            "students": len(honest), "flagged": sorted(flagged), "false_positive_rate": round(len(flagged) / len(honest), 3),
            "notebook_pairs": len(nb_rows), "notebook_max": max((r["similarity"] for r in nb_rows), default=None),
            "cell_pairs": len(cell_rows), "cell_max": max((r["similarity"] for r in cell_rows), default=None),
            "top_notebook": _top(nb_rows), "top_cells": _top(cell_rows)},
        "proof_variants": {"compared": var_compared, "flagged": var_flagged,
                           "false_positive_rate": round(var_flagged / var_compared, 3) if var_compared else None,
                           "max": max((r["similarity"] for r in var_rows), default=None), "top": _top(var_rows)},
        "copies": {"made": n_copies, "caught": caught, "false_negative_rate": round(1 - caught / n_copies, 3),
                   "missed": missed, "notebook_min": min(r["notebook"] for r in copy_rows),
                   "best_cell_min": min(r["best_cell"] for r in copy_rows), "each": copy_rows},
    }


def one_run(hws) -> dict:
    out = {"thresholds": {"cell": S.CELL_THRESHOLD, "notebook": S.NOTEBOOK_THRESHOLD, "k": S.K, "prose_k": S.PROSE_K,
                          "window": S.WINDOW, "min_cell_tokens": S.MIN_CELL_TOKENS,
                          "min_notebook_tokens": S.MIN_NOTEBOOK_TOKENS}, "homeworks": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for hw in hws:
            out["homeworks"][hw] = calibrate(hw, Path(tmp))
    return out


def summary(run: dict) -> dict:
    """{hw: the figures the docs quote} of one run."""
    return {hw: {"fp": len(r["independent"]["flagged"]), "honest": r["independent"]["students"],
                 "variants_flagged": r["proof_variants"]["flagged"], "variants": r["proof_variants"]["compared"],
                 "fn": r["copies"]["made"] - r["copies"]["caught"], "copies": r["copies"]["made"],
                 "independent_notebook_max": r["independent"]["notebook_max"],
                 "independent_cell_max": max(r["independent"]["cell_max"] or 0, r["proof_variants"]["max"] or 0),
                 "copy_notebook_min": r["copies"]["notebook_min"], "copy_best_cell_min": r["copies"]["best_cell_min"],
                 "partial_missed": r["partial_copies"]["made"] - r["partial_copies"]["caught"],
                 "partial": r["partial_copies"]["made"], "partial_best_cell_min": r["partial_copies"]["best_cell_min"]}
            for hw, r in run["homeworks"].items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hw", nargs="*", default=HWS)
    p.add_argument("--runs", type=int, default=5,
                   help="runs, each with its own PYTHONHASHSEED (copydetect hashes k-grams with Python's salted "
                        "hash, so winnowing keeps other k-grams in each process): figures move by a few hundredths")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    start = time.time()
    if args.one_run:
        args.json.write_text(json.dumps(one_run(args.hw)), encoding="utf-8")
        return 0
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.runs):
            path = Path(tmp) / f"{seed}.json"
            subprocess.run([sys.executable, __file__, "--one-run", "--json", str(path), "--hw", *args.hw], check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)})
            runs.append(json.loads(path.read_text(encoding="utf-8")))
    sums = [summary(r) for r in runs]
    worst = {}
    for hw in args.hw:
        each = [s[hw] for s in sums]
        worst[hw] = {"false_positives_max": max(e["fp"] for e in each), "honest_students": each[0]["honest"],
                     "proof_variants_flagged_max": max(e["variants_flagged"] for e in each),
                     "proof_variants_compared": each[0]["variants"],
                     "false_negatives_max": max(e["fn"] for e in each), "copies": each[0]["copies"],
                     "independent_notebook_max": max(e["independent_notebook_max"] for e in each),
                     "independent_cell_max": max(e["independent_cell_max"] for e in each),
                     "copy_notebook_min": min(e["copy_notebook_min"] for e in each),
                     "copy_best_cell_min": min(e["copy_best_cell_min"] for e in each),
                     "partial_copies_missed_max": max(e["partial_missed"] for e in each), "partial_copies": each[0]["partial"],
                     "partial_best_cell_min": min(e["partial_best_cell_min"] for e in each)}
        w = worst[hw]
        print(f"{hw}: over {args.runs} runs, honest students flagged at most {w['false_positives_max']}/"
              f"{w['honest_students']}, proof variants {w['proof_variants_flagged_max']}/{w['proof_variants_compared']}, "
              f"copies missed at most {w['false_negatives_max']}/{w['copies']}; independent max notebook "
              f"{w['independent_notebook_max']}, cell {w['independent_cell_max']}; copies min notebook "
              f"{w['copy_notebook_min']}, best cell {w['copy_best_cell_min']}; partial copies missed at most "
              f"{w['partial_copies_missed_max']}/{w['partial_copies']} (best cell min {w['partial_best_cell_min']})")
    out = {"command": "benchmarks/calibrate_similarity.py --json benchmarks/results/similarity_calibration.json",
           "thresholds": runs[0]["thresholds"], "runs": args.runs, "worst_over_runs": worst,
           "per_run": sums, "first_run_detail": runs[0]["homeworks"], "seconds": round(time.time() - start, 1)}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
