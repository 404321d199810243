"""The library-call audit (issue 62, item 4): what each shortcut the student environment installs earns, graded as a
student's answer is.

    python benchmarks/library_shortcuts.py [--only HW] [--record]

The shortcuts are corpus entries (tests/authoring/library_shortcuts.json: ``hw``, ``cell``, ``label``, ``call`` (the
library call), ``kind`` ("correct" or "mistake"), ``source``, and ``allowed``: ``{test cell: the points its statement
lets a library answer earn there}``; a test cell not named there allows all its points). Each is graded as tests/corpora's entries are
(:mod:`dgmlab.authoring.corpus`: the answer cell replaced, its test cells judged on the working draw and on a graded
draw), in one kernel per homework that runs only the cells the audited answers and their tests read (the setup cell,
the imports, the helpers they name), not the whole notebook. ``--record`` writes the table to
benchmarks/results/library_shortcuts.md; tests/authoring/test_library_shortcuts.py holds each entry to its ``allowed``
and the table to what the entries earn. Exit status 1 when a shortcut earns more than its statement allows.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = ROOT / "tests" / "authoring" / "library_shortcuts.json"
SCOPE = ROOT / "tests" / "authoring" / "library_shortcuts_scope.json"  # {hw: {answer cell: why no library answers it}}
TABLE = ROOT / "benchmarks" / "results" / "library_shortcuts.md"
sys.path.insert(0, str(ROOT / "benchmarks"))

from reference_lottery import prepare  # noqa: E402


def load(path: Path = ENTRIES) -> list[dict]:
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    for e in entries:
        missing = [k for k in ("hw", "cell", "label", "call", "kind", "source") if not isinstance(e.get(k), str)]
        if missing:
            raise ValueError(f"{path}: entry {e.get('label')!r} lacks {missing}")
    return entries


# Test cells that grade the notebook run from top to bottom, not one answer: the audit, which runs only the cells its
# answers read, leaves them out (what they give depends on which cells ran before).
WHOLE_NOTEBOOK = {"hw4_gans": {"p0_tests"}}


def scope(path: Path = SCOPE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def answer_cells() -> dict:
    """``{hw: [the grade ids of its code answer cells]}`` from each homework's committed source notebook."""
    import nbformat
    from nbgrader.utils import is_solution

    from dgmlab.authoring import homeworks

    out = {}
    for hw in sorted(homeworks(ROOT)):
        nb = nbformat.read(ROOT / "source" / hw / f"{hw}.ipynb", as_version=4)
        out[hw] = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.cell_type == "code" and is_solution(c)]
    return out


def uncovered(entries: list[dict], reasons: dict, cells: dict) -> list[str]:
    """Each code answer cell neither audited (``entries``) nor given a reason no library answers it (``reasons``),
    and each reason for a cell that is not a code answer cell or is audited too, as a line."""
    audited = {(e["hw"], e["cell"]) for e in entries}
    out = [f"{hw} {cell}: neither audited nor given a reason" for hw, ids in cells.items() for cell in ids
           if (hw, cell) not in audited and cell not in reasons.get(hw, {})]
    out += [f"{hw} {cell}: a reason for a cell that is not one of its code answer cells" for hw, why in reasons.items()
            for cell in why if cell not in cells.get(hw, [])]
    out += [f"{hw} {cell}: audited and given a reason" for hw, cell in sorted(audited) if cell in reasons.get(hw, {})]
    return out


def _needed(s, targets: set[int]) -> list[int]:
    """The code cells before the last of ``targets`` to run first: the setup cell, any cell whose code does not
    parse, and every other cell (answer cells with their model answer) binding a name the targets, or a cell already
    needed, read."""
    from dgmlab.authoring.proofs import _is_test, _names_read, bound_names

    wanted, out = set(), set()
    for i in targets:
        wanted |= _names_read(s.reference[i]) or set()
    for i in range(max(targets), -1, -1):
        cell = s.nb.cells[i]
        if i in targets or cell.cell_type != "code" or _is_test(cell):
            continue
        read = _names_read(s.reference[i])
        if read is None or "dgmlab.setup(" in s.reference[i] or set(bound_names(s.reference[i])) & wanted:
            out.add(i)
            wanted |= read or set()
    return sorted(out)


def grade_homework(hw: str, entries: list[dict], workdir=None, progress=None) -> list[tuple]:
    """``[(entry, its Graded, the model answer's Graded)]`` for the entries of ``hw``."""
    from dgmlab.authoring.corpus import CorpusSession, _grade, downstream, tests_of
    from dgmlab.authoring.proofs import PROOF_SEED, graded_by

    say = progress or (lambda text: None)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        notebook, mutants = prepare(hw, Path(tmp) / hw)
        named = graded_by(mutants)
        out, references = [], {}
        with CorpusSession(notebook, timeout=120) as s:
            skip = WHOLE_NOTEBOOK.get(hw, set())
            tests = {e["cell"]: [t for t in tests_of(s, e["cell"], named.get(e["cell"], ())) if t not in skip]
                     for e in entries}
            targets = set()
            for cell, ts in tests.items():
                start, last = s.index[cell], max(s.index[t] for t in ts)
                targets |= {start, *downstream(s, start, last), *(s.index[t] for t in ts)}
            for i in _needed(s, targets):
                s.run_verdict(i)
            for e in entries:
                cell, start = e["cell"], s.index[e["cell"]]
                if cell not in references:
                    references[cell] = _grade(s, "model answer", cell, "correct", None, tests[cell], PROOF_SEED)
                g = _grade(s, e["label"], cell, e["kind"], e["source"], tests[cell], PROOF_SEED)
                out.append((e, g, references[cell]))
                say(f"{hw} {cell}: {e['label']} earns {earned(g):g} of {points(g):g}")
                s.forget(start)
                for i in [start, *downstream(s, start, max(s.index[t] for t in tests[cell]))]:
                    s.run_verdict(i)  # the model answer back
    return out


def earned(g) -> float:
    return round(sum(v[2] for v in g.cells.values()), 6)


def points(g) -> float:
    return round(sum(v[3] for v in g.cells.values()), 6)


def allowed(e: dict, g) -> float:
    """The points the statements let the shortcut earn in its test cells (``e["allowed"]``, else all of a cell's)."""
    share = e.get("allowed", {})
    return round(sum(float(share.get(t, v[3])) for t, v in g.cells.items()), 6)


def too_much(results: list[tuple]) -> list[str]:
    """The shortcuts that earn more than their statement allows, each as a line."""
    return [f"{e['hw']} {e['cell']}: {e['label']} ({e['call']}) earns {earned(g):g}, the statement allows "
            f"{allowed(e, g):g}" for e, g, _ref in results if earned(g) > allowed(e, g) + 1e-9]


def model_losses(results: list[tuple]) -> list[str]:
    """The audited cells whose model answer loses a point in the audit's session (then the session, not the answer, is
    wrong: a cell it should have run first), each as a line."""
    seen = {(e["hw"], e["cell"]): ref for e, _g, ref in results}
    return [f"{hw} {cell}: the model answer earns {earned(ref):g} of {points(ref):g}" for (hw, cell), ref in seen.items()
            if earned(ref) < points(ref) - 1e-9]


def table(results: list[tuple]) -> str:
    lines = ["# Library calls as answers", "",
             "Generated by `python benchmarks/library_shortcuts.py --record` from "
             "[tests/authoring/library_shortcuts.json](../../tests/authoring/library_shortcuts.json); "
             "tests/authoring/test_library_shortcuts.py fails when a shortcut earns more than its statement allows or "
             "this table is stale. Points as graded (every test, hidden ones included, on one graded draw); visible: "
             "what the self-check shows.", "",
             "A mistake marked **!** loses no point: the checks do not see what is wrong with it (the requirement column "
             "of the entries says what is).", "",
             "| homework | cell | library call | kind | visible (earned of) | total (earned of) | the statement allows |",
             "|---|---|---|---|---|---|---|"]
    for e, g, _ref in results:
        visible = sum(v[0] for v in g.cells.values()), sum(v[1] for v in g.cells.values())
        flag = " **!**" if e["kind"] == "mistake" and earned(g) >= points(g) - 1e-9 else ""
        lines.append(f"| {e['hw']} | {e['cell']} | `{e['call']}` ({e['label']}) | {e['kind']}{flag} | "
                     f"{visible[0]:g} of {visible[1]:g} | {earned(g):g} of {points(g):g} | {allowed(e, g):g} |")
    lines += ["", "## Cells no installed library answers", "",
              f"Every other code answer cell, with the reason ({SCOPE.relative_to(ROOT)}); the test fails when a cell "
              "is neither audited nor listed here.", "", "| homework | cell | why |", "|---|---|---|"]
    lines += [f"| {hw} | {cell} | {why} |" for hw, cells in sorted(scope().items()) for cell, why in cells.items()]
    return "\n".join(lines) + "\n"


def grade_all(entries: list[dict], workdir=None, progress=None) -> list[tuple]:
    results = []
    for hw in dict.fromkeys(e["hw"] for e in entries):
        results += grade_homework(hw, [e for e in entries if e["hw"] == hw], workdir, progress)
    return results


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/library_shortcuts.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="only this homework's entries")
    parser.add_argument("--record", action="store_true", help=f"write {TABLE.relative_to(ROOT)}")
    a = parser.parse_args(argv)
    entries = [e for e in load() if not a.only or e["hw"] == a.only]
    results = grade_all(entries, progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True))
    text = table(results)
    print(text)
    if a.record:
        TABLE.write_text(text, encoding="utf-8")
    wrong = too_much(results)
    print("\n".join(wrong) or "no shortcut earns more than its statement allows")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
