"""Prove a notebook's graded cells: reference passes, blanks and wrong answers fail, variants pass.

A homework's proofs module (``homeworks/<hw>/proofs.py``) lists :class:`Mutant` s:
replacement sources for one answer cell, each with the test cells it must
fail (a realistic wrong answer) or pass (a correct variant). :func:`prove`
runs the source notebook once in grading mode in one kernel, then for each
mutant and each test cell it names executes the mutant in the answer cell's
place, the cells after it that read what it binds (directly or through
another such cell: :func:`downstream`) and the test
cell, records pass/fail, and restores the reference the same way (the
other cells' state does not depend on the answer, and a test cell's probe
call changes nothing a later cell reads, so neither is run again).
The blank release stub of every answer cell is checked the same way against
the test cells its mutants name (:func:`graded_by`), or, when it has no
mutant, against the first test cell after it.

A mutant is written either as a whole cell (``source``) or, better, as
``edits`` of the reference answer: ``(old, new)`` pairs applied to the answer
cell of the source notebook with its solution markers removed, each ``old``
found there exactly once (:func:`apply_edits`). An edited mutant is the
reference with one mistake in it, so fixing the reference fixes its mutants,
and a reference change that removes an edited line makes the proofs stop
with the mutant named instead of proving a stale copy. :func:`resolve`
turns edits into sources against a notebook.

Every test cell is a ``check()`` cell, judged as the autograder judges it (the kernel runs only the
probe call, :func:`dgmlab.grading.judge.cell_verdicts.judge_cell` decides here) and read as ``earn E of P``: the
reference earns every point, a blank stub 0, a mutant with ``earns={test cell: points}`` exactly those
points, any other mutant named in ``fails`` strictly less than the cell's points.
"""
from __future__ import annotations

import argparse
import ast
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from dgmlab import probes, syntax_tree

from ..grading import hidden
from ..grading.cell_roles import is_graded, is_solution
from ..grading.judge.cell_verdicts import Reference, judge_cell
from . import signatures
from .build import homeworks

STUB = "# COMPLETE\nraise NotImplementedError()"


@dataclass
class Mutant:
    """A replacement for answer cell ``answer``: ``fails`` must fail and ``passes`` must pass.

    Give either ``source`` (the whole cell) or ``edits`` (``(old, new)`` pairs
    applied to the reference answer; see the module docstring), not both.
    """

    answer: str
    label: str
    source: str = ""
    fails: list = field(default_factory=list)
    passes: list = field(default_factory=list)
    earns: dict = field(default_factory=dict)  # {points test cell: the points this answer still earns there}
    edits: tuple = ()  # ((old, new), ...): the reference answer with each old (found exactly once) made new
    says: dict = field(default_factory=dict)  # {test cell: text its FAILED lines must contain} (a 0-point note's)

    def __post_init__(self):
        if not self.fails and not self.passes and not self.earns:
            raise ValueError(f"mutant {self.label!r} names no test cell to fail, pass or earn points in")
        both = set(self.earns) & set(self.passes)
        if both:
            raise ValueError(f"mutant {self.label!r}: {sorted(both)} in both passes and earns")
        if bool(self.source) == bool(self.edits):
            raise ValueError(f"mutant {self.label!r}: give either source (the whole cell) or edits, not "
                             f"{'both' if self.source else 'neither'}")
        for edit in self.edits:
            if not (isinstance(edit, tuple) and len(edit) == 2 and all(isinstance(t, str) for t in edit)):
                raise ValueError(f"mutant {self.label!r}: each edit is an (old, new) pair of strings, got {edit!r}")

    def against(self, reference_answer: str) -> "Mutant":
        """This mutant with ``source`` made from ``reference_answer`` (the answer cell's source) by its edits."""
        if not self.edits:
            return self
        source = apply_edits(strip_solution_markers(reference_answer), self.edits, f"{self.answer}: {self.label}")
        return replace(self, source=source, edits=())


SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
PROOF_SEED = 20261125  # the inputs check() cells are proven on: not the students' 0, as when graded


def strip_solution_markers(source: str) -> str:
    """``source`` without its solution-marker lines: the reference answer as a student would write it."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def apply_edits(source: str, edits, who: str = "a mutant") -> str:
    """``source`` with each ``(old, new)`` of ``edits`` applied in order; each ``old`` must occur exactly once."""
    for old, new in edits:
        found = source.count(old)
        if found != 1:
            where = "is not in" if not found else f"occurs {found} times in"
            raise ValueError(f"{who}: the edit's text {old!r} {where} the reference answer; edit the mutant to "
                             "match the reference (with enough context to be unique)")
        source = source.replace(old, new)
    return source


def resolve(mutants, nb) -> list:
    """``mutants`` with every edited one turned into a whole-cell source against notebook ``nb``'s answers."""
    cells = {_grade_id(c): c.source for c in nb.cells if c.get("metadata", {}).get("nbgrader")}
    out = []
    for m in mutants:
        if m.edits and m.answer not in cells:
            raise KeyError(f"mutant {m.label!r}: no cell with grade_id {m.answer!r}")
        out.append(m.against(cells[m.answer]) if m.edits else m)
    return out


@dataclass
class Outcome:
    mutant: str
    test: str
    expected: str  # "fail", "pass" or "earn N" (a points cell)
    got: str       # "fail", "pass", or "earn N" for a points cell
    message: str = ""
    hints: tuple = ()  # the test cell's "FAILED <test>: ..." lines, as the student reads them (tests/hints.py)
    says: str = ""  # text the FAILED lines must contain (Mutant.says)

    @property
    def ok(self) -> bool:
        if self.says and self.says not in " ".join(self.hints):
            return False
        if self.expected == self.got or (self.expected == "earn 0" and self.got == "fail"):  # "fail": a 0-point cell
            return True
        if self.got.startswith("earn "):
            earned, full = (float(x) for x in self.got[5:].split(" of "))
            if self.expected == "fail":
                return earned < full - 1e-9
            if self.expected == "pass":
                return abs(earned - full) < 1e-9
            if self.expected.startswith("earn "):
                return abs(earned - float(self.expected[5:])) < 1e-9
        return False


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_test(cell):
    return cell.cell_type == "code" and is_graded(cell) and not is_solution(cell)


def _failed(cell) -> tuple[bool, str]:
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return True, f"{out.ename}: {out.evalue}"[:300]
        if out.output_type == "stream" and out.name == "stderr":
            return True, "stderr: " + out.text[:300]
    return False, ""


def bound_names(source: str) -> list[str]:
    """Names a cell binds at top level (defs, classes, assignments, imports)."""
    try:
        tree = syntax_tree.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return sorted(set(names))


class NotebookSession:
    """One kernel executing a notebook cell by cell (grading mode, cwd = the notebook's folder)."""

    def __init__(self, path: Path, timeout: int = 300, env: dict | None = None, seed: int = PROOF_SEED):
        from nbclient import NotebookClient

        self.path = Path(path)
        self.hw, self.seed = self.path.stem, seed
        probes.load_checks(self.hw, self.path.parent)  # a course's own homework: its checks.py beside the notebook

        hidden.load(self.hw, self.path.parent)  # and its hidden.py, as the grader reads them from source/<hw>/
        self.nb = nbformat.read(self.path, as_version=4)
        self.reference = [c.source for c in self.nb.cells]
        self.index = {_grade_id(c): i for i, c in enumerate(self.nb.cells) if _grade_id(c)}
        self._env = {**os.environ, "NBGRADER_EXECUTION": "autograde", **(env or {})}
        self.client = NotebookClient(self.nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                     resources={"metadata": {"path": str(self.path.parent)}})
        self.hints: list = []  # the "FAILED ..." lines of the test cell run last (run_verdict)

    def __enter__(self):
        self._old_env = dict(os.environ)
        os.environ.update(self._env)  # the kernel inherits the environment
        self._ctx = self.client.setup_kernel()
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        try:
            self._ctx.__exit__(*exc)
        finally:
            os.environ.clear()
            os.environ.update(self._old_env)

    def forget(self, i: int) -> None:
        """Delete from the kernel the names the reference source of cell ``i`` binds."""
        names = [n for n in bound_names(self.reference[i]) if n not in ("torch", "np", "sp", "dgmlab")]
        if names:
            first = self.nb.cells[0]  # nbclient stores the cell it runs at the index given: put ours back
            self.client.execute_cell(new_code_cell(f"for _n in {names!r}:\n    globals().pop(_n, None)"), 0)
            self.nb.cells[0] = first

    def run(self, i: int, source: str | None = None) -> tuple[bool, str]:
        """Execute cell ``i`` (with ``source`` in place of the reference); ``(failed, message)``,
        where a test cell failed unless it earned full marks as the autograder reads it."""
        got, msg = self.run_verdict(i, source)
        return not full_marks(got), msg

    def run_verdict(self, i: int, source: str | None = None) -> tuple[str, str]:
        """Execute cell ``i``; ``("earn E of P", message)`` for a test cell (judged, see :meth:`_judged`),
        ``("fail"|"pass", message)`` for any other."""
        self.hints = []
        cell = self.nb.cells[i]
        if cell.cell_type != "code":
            return "pass", ""
        if _is_test(cell):
            if source is not None or not probes.cell_call(self.reference[i]):
                raise ValueError(f"test cell {_grade_id(cell)!r} is not a check() cell: the grader gives it 0, "
                                 f"so there is nothing to prove")
            return self._judged(i)
        cell.source = self.reference[i] if source is None else source
        cell.outputs = []
        self.client.execute_cell(cell, i)
        failed, msg = _failed(cell)
        return ("fail" if failed else "pass"), msg

    def _judged(self, i: int) -> tuple[str, str]:
        """A check() test cell as the autograder grades it: the kernel runs only the probe call, the
        grader's judge (here, in this process) decides from what it showed."""
        cell, trusted = self.nb.cells[i], self.reference[i]
        cell.source, cell.outputs = probes.grading_source(trusted, self.seed), []
        self.client.execute_cell(cell, i)
        # handed-in files are those beside the notebook; the kit's networks come from this source notebook
        kit = Reference(lambda gid: self.reference[self.index[gid]])
        result = judge_cell(self.hw, _grade_id(cell), trusted, cell.outputs, self.seed, folder=self.path.parent,
                            reference=kit)
        failing = ", ".join(r[0] for r in result.results if not r[3])
        self.hints = [line for line in result.lines if line.startswith("FAILED ")]
        cell.source = trusted
        if result.points == 0:  # a note for the TA (no points): it passes or fails, saying why
            return ("fail" if failing else "pass"), "; ".join(self.hints)
        return f"earn {result.earned:g} of {result.points:g}", f"failing: {failing}" if failing else ""

    def run_all(self, verdicts: bool = False) -> dict:
        """Execute every code cell; return ``{test grade_id: (failed, message)}``
        (``verdicts``: ``(got, message)`` as :meth:`run_verdict` gives them)."""
        results = {}
        for i, cell in enumerate(self.nb.cells):
            got = self.run_verdict(i)
            if _is_test(cell):
                results[_grade_id(cell)] = got if verdicts else (not full_marks(got[0]), got[1])
        return results


def graded_by(mutants) -> dict:
    """``{answer grade_id: [test cells]}``: the test cells the hand-written ``mutants`` of each answer name
    (what :func:`prove` checks that answer's blank stub against)."""
    out: dict = {}
    for m in mutants:
        out.setdefault(m.answer, set()).update(m.fails + m.passes + list(m.earns))
    return {answer: sorted(tests) for answer, tests in out.items()}


def full_marks(got: str) -> bool:
    """Whether a test cell's ``got`` (see :meth:`NotebookSession.run_verdict`) is full marks."""
    if got.startswith("earn "):
        earned, full = (float(x) for x in got[5:].split(" of "))
        return abs(earned - full) < 1e-9
    return got == "pass"


def _names_read(source: str) -> set | None:
    """The names a cell's code reads or binds (``None`` when it does not parse: IPython magics)."""
    try:
        tree = syntax_tree.parse(source)
    except SyntaxError:
        return None
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def downstream(s: NotebookSession, start: int, last: int) -> list[int]:
    """The code cells after answer cell ``start`` up to ``last`` (test cells left out) that read, directly or through
    a cell that does, a name the answer's reference binds: the cells to rerun with another answer in place (the
    others' state in the kernel does not depend on it). A cell that does not parse is rerun."""
    tainted = set(bound_names(s.reference[start]))
    out = []
    for i in range(start + 1, last + 1):
        c = s.nb.cells[i]
        if c.cell_type != "code" or _is_test(c):
            continue
        read = _names_read(s.reference[i])
        if read is None or read & tainted:
            out.append(i)
            tainted.update(bound_names(s.reference[i]))
    return out


def prove(path: Path, mutants: list, timeout: int = 300) -> tuple[dict, list]:
    """Return ``(reference results, outcomes)`` for the notebook at ``path``; a reference result
    is ``(failed, message)``, failed unless the cell earned full marks."""
    outcomes: list[Outcome] = []
    with NotebookSession(path, timeout=timeout) as s:
        wrong = signatures.problems(s.hw)  # before any cell runs
        if wrong:
            raise ValueError("every test is written test_x(v, ref):\n" + "\n".join(wrong))
        mutants = resolve(mutants, s.nb)
        reference = s.run_all()
        answers = [gid for gid, i in s.index.items()
                   if is_solution(s.nb.cells[i]) and s.nb.cells[i].cell_type == "code"]
        tests_for = graded_by(mutants)
        blanks = []
        for gid in answers:
            named = tests_for.get(gid, [])
            if not named:
                start = s.index[gid]
                named = [_grade_id(c) for c in s.nb.cells[start + 1:] if _is_test(c)][:1]
            blanks.append(Mutant(answer=gid, label="blank release stub", source=STUB, earns={t: 0.0 for t in named}))
        for m in blanks + list(mutants):
            if m.answer not in s.index:
                raise KeyError(f"mutant {m.label!r}: no cell with grade_id {m.answer!r}")
            start = s.index[m.answer]
            wanted = ([(t, "fail") for t in m.fails if t not in m.earns] + [(t, "pass") for t in m.passes]
                      + [(t, f"earn {p:g}") for t, p in m.earns.items()])
            for test, expected in wanted:
                if test not in s.index:
                    raise KeyError(f"mutant {m.label!r}: no test cell {test!r}")
                stop = s.index[test]
                if stop < start:
                    raise ValueError(f"mutant {m.label!r}: test {test!r} comes before answer {m.answer!r}")
                s.forget(start)  # a blank or broken answer must not inherit the reference's names
                s.run_verdict(start, m.source)
                for i in downstream(s, start, stop):
                    s.run_verdict(i)
                got, msg = s.run_verdict(stop)
                outcomes.append(Outcome(f"{m.answer}: {m.label}", test, expected, got, msg, tuple(s.hints),
                                        m.says.get(test, "")))
            last = max([s.index[t] for t in m.fails + m.passes + list(m.earns)] + [start])
            for i in [start, *downstream(s, start, last)]:  # the reference back (test cells change no state)
                s.run(i)
    return reference, outcomes


# ---------------------------------------------------------------------- running the proofs from the shell
def earned(outcomes) -> dict:
    """``{mutant: {test cell: points earned}}`` from ``outcomes`` (:func:`prove`'s), in their order: what each
    answer earns when it is run, for writing its ``earns=``."""
    out: dict = {}
    for o in outcomes:
        if o.got.startswith("earn "):
            got, _full = (float(x) for x in o.got[5:].split(" of "))
            out.setdefault(o.mutant, {})[o.test] = got
    return out


def earns_lines(outcomes) -> list[str]:
    """One line per mutant, ``<answer>: <label>``, and under it the ``earns={...}`` that running it gave; where that
    is not what the mutant declares, the declared outcome of each test cell follows (``expected``)."""
    lines = []
    for name, got in earned(outcomes).items():
        text = ", ".join(f'"{test}": {points:g}' for test, points in got.items())
        mine = [o for o in outcomes if o.mutant == name]
        wrong = "; ".join(f"{o.test}: {o.expected}" for o in mine if not o.ok)
        lines.append(f"{name}\n    earns={{{text}}}" + (f"    (declared: {wrong})" if wrong else ""))
    return lines


@contextmanager
def prepared(hw: str, course: Path | str = ".", workdir: Path | str | None = None):
    """``(notebook, builder)``: a copy of the course's built ``source/<hw>/`` (notebook, ``checks.py``, ``hidden.py``,
    ``expected.json``) with its builder's ``PROOF_ARTIFACTS`` written beside it, in a temporary folder of ``workdir``
    (default: the course directory, which the kernels can read), removed afterwards; ``builder``: the homework's
    builder (``MUTANTS``, ...). What the proofs, the lottery and the corpus run on, for the kit's homeworks and a
    course's own alike."""
    root = Path(course).resolve()
    builders = homeworks(root)
    if hw not in builders:
        raise SystemExit(f"no homework {hw!r} in {root / 'homeworks'}; known: {', '.join(sorted(builders))}")
    source = root / "source" / hw / f"{hw}.ipynb"
    if not source.is_file():
        raise SystemExit(f"{source} does not exist: build it first (dgmlab build {hw})")
    with tempfile.TemporaryDirectory(dir=workdir or root, prefix=".dgmlab-") as tmp:
        folder = Path(tmp) / hw
        shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("figures", "*.pt", ".ipynb_checkpoints"))
        for write in getattr(builders[hw], "PROOF_ARTIFACTS", {}).values():
            write(folder)
        yield folder / source.name, builders[hw]


def main(argv=None) -> int:
    """``python -m dgmlab.authoring.proofs <hw>``: prove a homework of the course in the current directory (or
    ``--course``) on a copy of its built ``source/<hw>/`` (:func:`prepared`); print each outcome that is not as
    declared and exit 1 if any. ``--print-earns``: print what each mutant earns in each test cell it names, as the
    ``earns={...}`` to write in its ``Mutant``. ``--only <answer cell>``: only that cell's mutants."""
    p = argparse.ArgumentParser(prog="python -m dgmlab.authoring.proofs", description=main.__doc__)
    p.add_argument("hw")
    p.add_argument("--course", default=".", help="the course directory (default: here)")
    p.add_argument("--only", help="only the mutants of this answer cell (its grade id)")
    p.add_argument("--print-earns", action="store_true", help="print what each mutant earns, as its earns={...}")
    args = p.parse_args(argv)
    with prepared(args.hw, args.course) as (notebook, builder):
        mutants = [m for m in getattr(builder, "MUTANTS", []) if args.only in (None, m.answer)]
        if args.only and not mutants:
            raise SystemExit(f"no mutant of {args.hw}'s proofs replaces answer cell {args.only!r}")
        reference, outcomes = prove(notebook, mutants)
    failing = {k: msg for k, (failed, msg) in reference.items() if failed}
    for test, msg in failing.items():
        print(f"reference fails {test}: {msg}")
    if args.only:  # the blank stubs of the other answers ran too (prove() runs every blank): not asked for
        outcomes = [o for o in outcomes if o.mutant.startswith(f"{args.only}: ")]
    if args.print_earns:
        print("\n".join(earns_lines(outcomes)))
        return 1 if failing else 0
    wrong = [o for o in outcomes if not o.ok]
    for o in wrong:
        print(f"{o.mutant} -> {o.test}: expected {o.expected}, got {o.got} {o.message}")
    print(f"{len(outcomes) - len(wrong)} of {len(outcomes)} outcomes as declared")
    return 1 if failing or wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
