"""Generated mutants: how many small edits of a reference solution do the graded tests catch?

The hand-written proofs (:mod:`dgmlab.authoring.proofs`) check the wrong answers an author thought of.
This module finds the ones nobody thought of: it edits the solution region of every answer cell
(between ``### BEGIN SOLUTION`` and ``### END SOLUTION``) one small change at a time, the classic
mutation operators, and runs the test cells that grade it. A mutant is *killed* when one of those test
cells loses points (or the answer cell itself fails); a mutant that earns full marks *survived*: either
the tests miss a real bug, or the edit changes nothing that matters (an *equivalent* mutant, listed with
its reason by the homework's builder).

Operators (each applied at every place it fits inside the solution region):

- ``arith``: ``+`` <-> ``-``, ``*`` <-> ``/``, ``**`` -> ``*``, ``@`` -> ``*``, ``//`` -> ``/``
- ``compare``: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``is`` <-> ``is not``, ``in`` <-> ``not in``
- ``constant``: an integer ``n`` -> ``n + 1``, a float ``x`` -> ``2x`` (``0.0`` -> ``1.0``), ``True`` <-> ``False``
- ``sign``: a unary minus removed (``-x`` -> ``x``)
- ``logic``: ``and`` <-> ``or``, ``not x`` -> ``x``
- ``args``: the first two positional arguments of a call swapped (when they differ)
- ``delete``: one statement replaced by ``pass`` (docstrings kept)

Sources are rewritten with :func:`ast.unparse`, so a mutant loses the cell's comments; identical
rewrites are generated once.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import resource
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import syntax_tree
from ..grading.isolation.kernel_sandbox import DEFAULT_MEMORY
from ..selfcheck import CELL_TIMEOUT
from .proofs import NotebookSession, _grade_id, _is_test, full_marks

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
         ast.MatMult: ast.Mult, ast.FloorDiv: ast.Div}
COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
           ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@",
          ast.FloorDiv: "//", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
          ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
          ast.And: "and", ast.Or: "or"}


@dataclass
class Generated:
    """One generated mutant of answer cell ``answer``."""

    answer: str
    operator: str
    line: int        # line of the edit in the cell's source (1-based)
    change: str      # e.g. "`a + b` -> `a - b`"
    source: str

    @property
    def label(self) -> str:
        return f"L{self.line} {self.operator}: {self.change}"


def solution_lines(source: str) -> range:
    """The lines (1-based) between the cell's BEGIN and END SOLUTION markers; empty if it has none."""
    lines = source.splitlines()
    begins = [i for i, line in enumerate(lines, 1) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines, 1) if line.strip() == END]
    if not begins or not ends:
        return range(0)
    return range(begins[0] + 1, ends[-1])


def _short(node) -> str:
    """One line of source for a label: the first line of a compound statement, at most 60 characters."""
    lines = ast.unparse(node).splitlines()
    text = lines[0] + (" ..." if len(lines) > 1 else "")
    return text if len(text) <= 60 else text[:57] + "..."


def _is_docstring(parent_body: list, stmt) -> bool:
    return (parent_body and parent_body[0] is stmt and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str))


def _edits(node, parent_body):
    """``[(operator, description, apply)]`` for one node; ``apply(node)`` mutates a copy of it in place
    (or, for ``delete``, returns the replacement statement)."""
    out = []
    if isinstance(node, ast.BinOp) and type(node.op) in ARITH:
        new = ARITH[type(node.op)]
        out.append(("arith", f"{SYMBOL[type(node.op)]} -> {SYMBOL[new]}", lambda n, new=new: setattr(n, "op", new())))
    elif isinstance(node, ast.AugAssign) and type(node.op) in ARITH:
        new = ARITH[type(node.op)]
        out.append(("arith", f"{SYMBOL[type(node.op)]}= -> {SYMBOL[new]}=",
                    lambda n, new=new: setattr(n, "op", new())))
    elif isinstance(node, ast.Compare):
        for k, op in enumerate(node.ops):
            if type(op) in COMPARE:
                new = COMPARE[type(op)]

                def swap(n, k=k, new=new):
                    n.ops[k] = new()
                out.append(("compare", f"{SYMBOL[type(op)]} -> {SYMBOL[new]}", swap))
    elif isinstance(node, ast.Constant) and not isinstance(node.value, str):
        v = node.value
        if isinstance(v, bool):
            out.append(("constant", f"{v} -> {not v}", lambda n: setattr(n, "value", not n.value)))
        elif isinstance(v, int):
            out.append(("constant", f"{v} -> {v + 1}", lambda n: setattr(n, "value", n.value + 1)))
        elif isinstance(v, float):
            new = 1.0 if v == 0 else 2 * v
            out.append(("constant", f"{v!r} -> {new!r}", lambda n, new=new: setattr(n, "value", new)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        out.append(("sign", "unary minus removed", None))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(("logic", "not removed", None))
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        out.append(("logic", f"{SYMBOL[type(node.op)]} -> {SYMBOL[new]}", lambda n, new=new: setattr(n, "op", new())))
    elif isinstance(node, ast.Call) and len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]) \
            and ast.dump(node.args[0]) != ast.dump(node.args[1]):
        def swap_args(n):
            n.args[0], n.args[1] = n.args[1], n.args[0]
        out.append(("args", "first two arguments swapped", swap_args))
    if isinstance(node, ast.stmt) and parent_body is not None and not isinstance(node, ast.Pass) \
            and not _is_docstring(parent_body, node):
        out.append(("delete", "statement deleted", "delete"))
    return out


def _sites(tree, region: range):
    """``[(index in ast.walk order, operator, description, apply)]`` of the edits inside ``region``."""
    parents = {}
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list):
                for stmt in body:
                    parents[id(stmt)] = body
    sites = []
    for i, node in enumerate(ast.walk(tree)):
        line, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if line is None or line not in region or end not in region:
            continue
        for op, desc, apply in _edits(node, parents.get(id(node))):
            sites.append((i, op, desc, apply))
    return sites


def _replace_child(tree, target, new) -> None:
    """Put ``new`` where ``target`` is in ``tree`` (one field or list slot of its parent)."""
    for node in ast.walk(tree):
        for name, value in ast.iter_fields(node):
            if value is target:
                setattr(node, name, new)
                return
            if isinstance(value, list):
                for k, item in enumerate(value):
                    if item is target:
                        value[k] = new
                        return
    raise ValueError("node not found in its tree")


def generate(answer: str, source: str) -> list[Generated]:
    """Every mutant of ``source``'s solution region (see the module docstring), deduplicated."""
    region = solution_lines(source)
    if not region:
        return []
    tree = syntax_tree.parse(source)
    original = ast.unparse(tree)
    seen, out = {original}, []
    for index, op, desc, apply in _sites(tree, region):
        mutant = copy.deepcopy(tree)
        node = list(ast.walk(mutant))[index]
        before = _short(node)
        line = node.lineno
        if apply == "delete":
            _replace_child(mutant, node, ast.Pass())
            change = f"`{before}` deleted"
        elif apply is None:  # drop a unary operator: keep its operand
            _replace_child(mutant, node, node.operand)
            change = f"`{before}` -> `{_short(node.operand)}`"
        else:
            apply(node)
            change = f"`{before}` -> `{_short(node)}` ({desc})"
        text = ast.unparse(ast.fix_missing_locations(mutant))
        if text in seen:
            continue
        seen.add(text)
        out.append(Generated(answer, op, line, change, text))
    return out


# ------------------------------------------------------------------ running them
MEMORY_ERRORS = re.compile(r"MemoryError|can't allocate memory|not enough memory|out of memory|bad_alloc")


@dataclass
class AnswerReport:
    answer: str
    tests: list
    generated: int = 0
    killed: int = 0
    equivalent: list = field(default_factory=list)   # [(label, reason)]
    survivors: list = field(default_factory=list)    # labels
    limited: list = field(default_factory=list)      # [(label, how)]: killed by the kernel's limits, not by a test
    seconds: float = 0.0

    @property
    def non_equivalent(self) -> int:
        return self.generated - len(self.equivalent)


def kill_rate(reports) -> float | None:
    """Share of non-equivalent mutants killed over ``reports``; None when there are none."""
    total = sum(r.non_equivalent for r in reports)
    return None if total == 0 else sum(r.killed for r in reports) / total


def _gib(n: int) -> str:
    return f"{n / 2**30:g} GiB"


class _Kernel:
    """The benchmark's grading-mode kernel, under an address-space limit, restarted when it dies or hangs.

    ``session`` is a :class:`~dgmlab.authoring.proofs.NotebookSession` that has run the whole reference
    notebook (the state every mutant starts from)."""

    def __init__(self, path: Path, timeout: int, memory: int | None):
        self.path, self.timeout, self.memory = path, timeout, memory
        self.session = None

    def start(self) -> dict:
        s = NotebookSession(self.path, timeout=self.timeout)
        # a cell over the timeout raises (the kernel is then restarted): an interrupt may never stop C code
        s.client.interrupt_on_timeout = False
        s.client.shutdown_kernel = "immediate"
        s.__enter__()
        self.session = s
        if self.memory is not None:  # the limit a grading's sandbox puts on its kernel (prlimit --as)
            pid = s.client.km.provisioner.process.pid
            try:
                resource.prlimit(pid, resource.RLIMIT_AS, (self.memory, self.memory))
            except ValueError:  # a lower hard limit already (inherited from this process): keep it
                pass
        s.client.timeout = max(self.timeout, 600)  # the reference is trusted: the time limit is for mutants
        reference = s.run_all(verdicts=True)
        s.client.timeout = self.timeout
        broken = {t: got for t, (got, _) in reference.items() if not full_marks(got)}
        if broken:
            limit = f" under a memory limit of {_gib(self.memory)}" if self.memory is not None else ""
            raise RuntimeError(f"the reference does not earn full marks{limit} in {sorted(broken)}: fix it first")
        return reference

    def death(self) -> str:
        """How the kernel ended: ``"kernel died (SIGKILL)"``, ``"kernel died (exit code 1)"``."""
        process = getattr(self.session.client.km.provisioner, "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return "kernel died"
        if code < 0:
            try:
                return f"kernel died ({signal.Signals(-code).name})"
            except ValueError:
                return f"kernel died (signal {-code})"
        return f"kernel died (exit code {code})"

    def stop(self) -> None:
        s, self.session = self.session, None
        if s is not None:
            try:
                s.__exit__(None, None, None)
            except Exception:  # a dead kernel's shutdown may complain; it is gone either way
                pass

    def restart(self) -> None:
        self.stop()
        self.start()


def run(path: Path, tests_for: dict | None = None, equivalent: dict | None = None, answers=None,
        limit: int | None = None, timeout: int = CELL_TIMEOUT, progress=None,
        memory: int | None = DEFAULT_MEMORY) -> list[AnswerReport]:
    """Run the generated mutants of the notebook at ``path`` (a source notebook, in grading mode).

    ``tests_for``: ``{answer grade_id: [test grade_ids]}`` that grade it (default: the test cells
    following it up to the next answer cell). ``equivalent``: ``{answer: {label: reason}}``, mutants
    that survive because they change nothing that matters. ``limit``: at most this many mutants per
    answer (the first ones, for a quick look). ``progress(answer, mutant, killed, how)`` is called after
    each mutant.

    The kernel runs under the limits of a grading's sandbox, and a mutant that breaks them is killed,
    as the autograder would give it 0: ``memory`` bytes of address space (default that of
    :class:`dgmlab.grading.isolation.kernel_sandbox.Limits`; None: no limit), and ``timeout`` seconds per cell (default the
    autograder's, ``Execute.timeout`` in the course's ``nbgrader_config.py``). A kernel
    that dies or runs over the time is restarted (and the reference notebook run again) for the next
    mutant; such mutants, and those whose code ran out of memory, are listed in the report's ``limited``
    with how (``"kernel died (SIGKILL)"``, ``"timed out (over 120 s in one cell)"``, ``"out of memory
    (MemoryError under the 8 GiB limit)"``).
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    reports = []
    equivalent = equivalent or {}
    kernel = _Kernel(Path(path), timeout, memory)

    def broke(exc) -> str:
        """Restart the kernel after ``exc`` (a dead or hung kernel); say how the mutant broke it."""
        how = kernel.death() if isinstance(exc, DeadKernelError) else f"timed out (over {timeout} s in one cell)"
        kernel.restart()
        return how

    def judged(m: Generated, start: int, stop: int, tests: list) -> tuple[bool, str | None]:
        """Run mutant ``m`` in place of cell ``start``, then the cells up to ``stop``: ``(killed, how)``, where
        ``how`` says it ran out of memory (None: killed by its tests or the answer cell's error, or survived)."""
        s, killed, how = kernel.session, False, None
        s.forget(start)
        for i in range(start, stop + 1):
            got, _ = s.run_verdict(i, m.source if i == start else None)
            if (i == start and got == "fail") or (_grade_id(s.nb.cells[i]) in tests and not full_marks(got)):
                killed = True
            if memory is not None and MEMORY_ERRORS.search(json.dumps(s.nb.cells[i].get("outputs", []))):
                how = f"out of memory (MemoryError under the {_gib(memory)} limit)"
        return killed, how if killed else None

    def restored(start: int, stop: int, tests: list) -> bool:
        """Run the reference cells ``start..stop`` again; whether its tests earn full marks (a mutant may
        have left the kernel unfit, e.g. short of memory or with a module changed)."""
        s = kernel.session
        try:
            return all(full_marks(s.run_verdict(i)[0]) or _grade_id(s.nb.cells[i]) not in tests
                       for i in range(start, stop + 1))
        except (CellTimeoutError, DeadKernelError):
            return False

    try:
        kernel.start()
        cells = kernel.session.nb.cells
        index = kernel.session.index
        order = [gid for gid, i in sorted(index.items(), key=lambda kv: kv[1])
                 if cells[i].cell_type == "code" and cells[i].metadata["nbgrader"].get("solution")]
        for gid in order:
            if answers and gid not in answers:
                continue
            start = index[gid]
            tests = (tests_for or {}).get(gid)
            if not tests:
                tests = []
                for c in cells[start + 1:]:
                    if _grade_id(c) in order:
                        break
                    if _is_test(c):
                        tests.append(_grade_id(c))
            report = AnswerReport(gid, tests)
            reports.append(report)
            if not tests:
                continue
            stop = max(index[t] for t in tests)
            known = equivalent.get(gid, {})
            mutants = generate(gid, kernel.session.reference[start])[:limit]
            t0 = time.perf_counter()
            for m in mutants:
                report.generated += 1
                try:
                    killed, how = judged(m, start, stop, tests)
                except (CellTimeoutError, DeadKernelError) as exc:
                    killed, how = True, broke(exc)
                else:
                    if not restored(start, stop, tests):
                        kernel.restart()
                if killed:
                    report.killed += 1
                    if how:
                        report.limited.append((m.label, how))
                elif m.label in known:
                    report.equivalent.append((m.label, known[m.label]))
                else:
                    report.survivors.append(m.label)
                if progress:
                    progress(gid, m, killed, how)
            report.seconds = round(time.perf_counter() - t0, 1)
    finally:
        kernel.stop()
    return reports
