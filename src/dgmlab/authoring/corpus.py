"""Answer corpora: answers written by someone who has not read the checks, graded as a student's would be.

A corpus is a JSON list of entries ``{"cell": answer grade_id, "label", "kind": "correct" | "mistake",
"requirement", "source": the whole answer cell}`` (tests/corpora/<hw>.json adds ``"expect"``, see :func:`outcome`).
:func:`grade_corpus` runs the homework's source notebook once in grading mode in one kernel, then for each entry puts
its source in place of the answer cell, reruns the cells up to the test cells that grade that answer, and judges each
of them in this process as the autograder does (:func:`dgmlab.grading.judge.cell_verdicts.judge_cell`) twice: on the working
draw (seed 0, what the student's self-check shows: the visible tests' points) and on a graded draw (every test, hidden
ones included: the points the student gets). The model answer is graded the same way first; an entry's
:func:`outcome` compares with it:

- ``full``: every point the model answer earns, visible and total;
- ``loses_visible``: fewer visible points than the model answer (the self-check shows the mistake);
- ``loses_hidden_only``: every visible point, fewer in total (the student sees "all visible checks pass" and loses
  points when graded).
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dgmlab import probes

from ..grading.judge.cell_verdicts import Reference, judge_cell
from .proofs import (
    PROOF_SEED,
    NotebookSession,
    _grade_id,
    _is_test,
    bound_names,
    downstream,
    graded_by,
    prepared,
    strip_solution_markers,
)

WORKING = probes.WORKING_SEED
KINDS = ("correct", "mistake")
HAND = "hand_graded"  # a written answer's outcome: the corpus cannot grade it


def load(path: Path) -> list[dict]:
    """The entries of the corpus at ``path``, each checked for the fields a corpus entry has."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: a corpus is a JSON list of entries")
    labels = set()
    for n, e in enumerate(entries):
        missing = [k for k in ("cell", "label", "kind", "source") if not isinstance(e.get(k), str)]
        if missing or e["kind"] not in KINDS:
            raise ValueError(f"{path}: entry {n} ({e.get('label')!r}) lacks {missing or 'a kind in ' + str(KINDS)}")
        if e["label"] in labels:
            raise ValueError(f"{path}: two entries are labelled {e['label']!r}; labels are unique in a corpus")
        labels.add(e["label"])
    return entries


@dataclass
class Graded:
    """One answer's grade: ``{test cell: (visible earned, visible points, total earned, total points)}``."""

    label: str
    cell: str
    kind: str
    cells: dict = field(default_factory=dict)
    failing: dict = field(default_factory=dict)  # {test cell: the tests that failed on the graded draw}
    error: str = ""  # the answer cell's own error, if it raised


def outcome(graded: Graded, reference: Graded) -> dict:
    """``{"outcome": "full" | "loses_visible" | "loses_hidden_only", "visible": lost, "total": lost}``: the points
    ``graded`` loses against ``reference`` on the same test cells (visible: on the self-check; total: when graded)."""
    lost_visible = sum(reference.cells[t][0] - v[0] for t, v in graded.cells.items())
    lost_total = sum(reference.cells[t][2] - v[2] for t, v in graded.cells.items())
    lost_visible, lost_total = round(max(lost_visible, 0.0), 6), round(max(lost_total, 0.0), 6)
    if lost_visible > 1e-9:
        kind = "loses_visible"
    elif lost_total > 1e-9:
        kind = "loses_hidden_only"
    else:
        kind = "full"
    return {"outcome": kind, "visible": lost_visible, "total": lost_total}


def _points(result) -> tuple:
    visible = [(w, ok) for _name, w, hidden, ok, _why in result.results if not hidden]
    return (sum(w for w, ok in visible if ok), sum(w for w, _ in visible), float(result.earned), float(result.points))


class CorpusSession(NotebookSession):
    """A :class:`NotebookSession` that grades an answer cell's test cells on the working and on a graded draw
    (an answer that runs past the time limit is interrupted: its cell shows the error, as a student's would)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client.interrupt_on_timeout = True
        self.seen: dict = {}  # {(test cell, seed, what the kernel showed): the judgement}: judged once

    def _judged_at(self, i: int, seed: int, kit):
        cell, trusted = self.nb.cells[i], self.reference[i]
        cell.source, cell.outputs = probes.grading_source(trusted, seed), []
        self.client.execute_cell(cell, i)
        # the same data on the same draw (the handed-in files do not change) is judged the same: a cell an answer
        # does not change (hw4's p0_tests and its measured weights) is judged once per draw, not once per answer
        key = (_grade_id(cell), seed, json.dumps([(o.get("output_type"), o.get("data", {}).get(probes.PROBE_MIME), o.get("ename"),
                                                   o.get("evalue")) for o in cell.outputs
                                                  if o.get("output_type") != "stream"], sort_keys=True, default=str))
        if key not in self.seen:
            self.seen[key] = judge_cell(self.hw, _grade_id(cell), trusted, cell.outputs, seed,
                                        folder=self.path.parent, reference=kit)
        return self.seen[key]

    def judge_both(self, i: int, graded_seed: int) -> tuple:
        """Test cell ``i`` judged on the working draw (its visible tests) and on ``graded_seed`` (all its tests):
        ``((visible earned, visible points, total earned, total points), failing tests when graded)``."""
        kit = Reference(lambda gid: self.reference[self.index[gid]])
        try:
            found = {seed: self._judged_at(i, seed, kit) for seed in (WORKING, graded_seed)}
        finally:
            self.nb.cells[i].source = self.reference[i]
        visible, graded = _points(found[WORKING]), _points(found[graded_seed])
        failing = ", ".join(r[0] for r in found[graded_seed].results if not r[3])
        return (visible[0], visible[1], graded[2], graded[3]), failing


def tests_of(s: NotebookSession, answer: str, named=()) -> list[str]:
    """The test cells that grade answer cell ``answer``: those ``named`` (its proofs' mutants name them) and each
    later check() cell whose call reads a name the answer's reference binds."""
    start = s.index[answer]
    binds = set(bound_names(s.reference[start]))
    out = set(named)
    for i in range(start + 1, len(s.nb.cells)):
        if _is_test(s.nb.cells[i]):
            call = probes.cell_call(s.reference[i])
            if call and binds & set(call[1]):
                out.add(_grade_id(s.nb.cells[i]))
    if not out:  # an answer no check() call names: the first test cell after it
        out.update([_grade_id(c) for c in s.nb.cells[start + 1:] if _is_test(c)][:1])
    return sorted(out, key=s.index.__getitem__)


def _grade(s: CorpusSession, label, cell, kind, source, tests, seed) -> Graded:
    start = s.index[cell]
    g = Graded(label, cell, kind)
    if source is not None:
        s.forget(start)  # the entry must not inherit the reference's names
    verdict, msg = s.run_verdict(start, source)
    if verdict == "fail":
        g.error = msg
    rerun = set(downstream(s, start, max(s.index[t] for t in tests)))
    for i in sorted(rerun | {s.index[t] for t in tests}):
        if i in rerun:
            s.run_verdict(i)
        else:
            g.cells[_grade_id(s.nb.cells[i])], g.failing[_grade_id(s.nb.cells[i])] = s.judge_both(i, seed)
    return g


def grade_corpus(notebook: Path, entries: list[dict], mutants=(), seed: int = PROOF_SEED, timeout: int = 120,
                 progress=None) -> tuple[dict, list]:
    """``({answer cell: the model answer's Graded}, [(entry, its Graded, its outcome)])`` for ``entries`` (see
    :func:`load`) against the source ``notebook``; ``mutants``: the homework's proofs (which test cells each answer's
    proofs name); ``seed``: the graded draw."""
    say = progress or (lambda text: None)
    named = graded_by(list(mutants))
    references, results = {}, []
    with CorpusSession(Path(notebook), timeout=timeout) as s:
        s.run_all()
        for n, e in enumerate(entries):
            if e["cell"] not in s.index:
                say(f"[{n + 1}/{len(entries)}] skipped {e['label']!r}: the notebook has no answer cell {e['cell']!r}")
                continue
            if s.nb.cells[s.index[e["cell"]]].cell_type != "code":  # a written answer: graded by hand
                results.append((e, Graded(e["label"], e["cell"], e["kind"]), {"outcome": HAND}))
                say(f"[{n + 1}/{len(entries)}] {e['cell']}: {e['label']} -> {HAND}")
                continue
            tests = tests_of(s, e["cell"], named.get(e["cell"], ()))
            if e["cell"] not in references:
                references[e["cell"]] = _grade(s, "model answer", e["cell"], "correct", None, tests, seed)
            started = time.monotonic()
            g = _grade(s, e["label"], e["cell"], e["kind"], e["source"], tests, seed)
            results.append((e, g, outcome(g, references[e["cell"]])))
            say(f"[{n + 1}/{len(entries)}] {e['cell']}: {e['label']} ({e['kind']}) -> "
                f"{results[-1][2]['outcome']} ({time.monotonic() - started:.1f} s)")
            start = s.index[e["cell"]]
            s.forget(start)
            for i in [start, *downstream(s, start, max(s.index[t] for t in tests))]:  # the model answer back
                s.run_verdict(i)
    return references, results


def summary(hw: str, results: list) -> dict:
    """Per homework: corpus size, correct answers full, mistakes losing visible points, mistakes losing points
    (written answers, graded by hand, counted apart)."""
    correct = [o for e, _g, o in results if e["kind"] == "correct" and o["outcome"] != HAND]
    mistakes = [o for e, _g, o in results if e["kind"] == "mistake" and o["outcome"] != HAND]
    return {"hw": hw, "size": len(results), "hand_graded": sum(o["outcome"] == HAND for _e, _g, o in results),
            "correct": len(correct),
            "correct_full": sum(o["outcome"] == "full" for o in correct), "mistakes": len(mistakes),
            "mistakes_losing_visible": sum(o["outcome"] == "loses_visible" for o in mistakes),
            "mistakes_losing_points": sum(o["outcome"] != "full" for o in mistakes)}


def report(hw: str, references: dict, results: list) -> str:
    """The corpus's summary and every entry's grade, as Markdown (benchmarks/results/corpora_<hw>.md)."""
    s = summary(hw, results)
    share = f"{100 * s['mistakes_losing_visible'] / s['mistakes']:.1f}%" if s["mistakes"] else "n/a"
    hand = f" ({s['hand_graded']} written answers, graded by hand, not counted)" if s["hand_graded"] else ""
    lines = [f"# {hw}: answer corpus graded", "",
             f"Corpus size {s['size']}{hand}: {s['correct_full']} of {s['correct']} correct answers earn full marks; "
             f"{s['mistakes_losing_visible']} of {s['mistakes']} mistakes lose visible points ({share}), "
             f"{s['mistakes_losing_points']} of {s['mistakes']} lose points in total.", "",
             "| cell | label | kind | outcome | visible (earned of) | total (earned of) | model answer | failing when graded |",
             "|---|---|---|---|---|---|---|---|"]
    for e, g, o in results:
        if o["outcome"] == HAND:
            lines.append(f"| {e['cell']} | {e['label']} | {e['kind']} | {HAND} | | | | |")
            continue
        ref = references[e["cell"]]
        vis = " + ".join(f"{v[0]:g}/{v[1]:g}" for v in g.cells.values())
        tot = " + ".join(f"{v[2]:g}/{v[3]:g}" for v in g.cells.values())
        model = " + ".join(f"{ref.cells[t][0]:g}, {ref.cells[t][2]:g}" for t in g.cells)
        flag = "" if (e["kind"] == "correct") == (o["outcome"] == "full") and o["outcome"] != "loses_hidden_only" \
            else " **!**"
        failing = "; ".join(f"{t}: {f}" for t, f in g.failing.items() if f).replace("|", "/")
        lines.append(f"| {e['cell']} | {e['label']} | {e['kind']} | {o['outcome']}{flag} | {vis} | {tot} | {model} | "
                     f"{failing[:200]} |")
    return "\n".join(lines) + "\n"


def template(notebook: Path) -> list[dict]:
    """A corpus to start from for the source ``notebook``: for each code answer cell, its model answer as a correct
    entry and, to be rewritten, a copy of it as a mistake (a mistake that loses no point fails the run, so each
    placeholder says what is left to do)."""
    nb = nbformat.read(notebook, as_version=4)
    entries = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution") or meta.get("grade"):
            continue
        gid, source = meta["grade_id"], strip_solution_markers(cell.source)
        entries += [{"cell": gid, "label": f"{gid}-model", "kind": "correct",
                     "requirement": "the model answer (add other correct forms a student may write)", "source": source},
                    {"cell": gid, "label": f"{gid}-mistake-1", "kind": "mistake",
                     "requirement": "REWRITE: one realistic mistake and the statement's requirement it breaks",
                     "source": source}]
    return entries


def main(argv=None) -> int:
    """``python -m dgmlab.authoring.corpus <hw> --corpus FILE``: grade an answer corpus of a homework of the course in
    the current directory (or ``--course``) on a copy of its built ``source/<hw>/``
    (:func:`dgmlab.authoring.proofs.prepared`); prints each entry's outcome and the summary, exit status 1 when a
    correct answer loses a point or a mistake loses none. ``--template``: print a corpus to start from instead."""
    p = argparse.ArgumentParser(prog="python -m dgmlab.authoring.corpus", description=main.__doc__)
    p.add_argument("hw")
    p.add_argument("--course", default=".", help="the course directory (default: here)")
    p.add_argument("--corpus", help="the corpus, a JSON list of entries (see dgmlab.authoring.corpus)")
    p.add_argument("--only", help="only the entries of this answer cell")
    p.add_argument("--template", action="store_true", help="print a corpus to start from (JSON) and stop")
    args = p.parse_args(argv)
    if not args.template and not args.corpus:
        p.error("give --corpus FILE (or --template to print one to start from)")
    with prepared(args.hw, args.course) as (notebook, builder):
        if args.template:
            print(json.dumps(template(notebook), indent=1))
            return 0
        entries = [e for e in load(Path(args.corpus)) if args.only in (None, e["cell"])]
        references, results = grade_corpus(notebook, entries, list(getattr(builder, "MUTANTS", [])),
                                           progress=lambda text: print(text, flush=True))
    print(report(args.hw, references, results))
    bad = [e["label"] for e, _g, o in results if o["outcome"] != HAND and (e["kind"] == "correct") != (o["outcome"] == "full")]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
