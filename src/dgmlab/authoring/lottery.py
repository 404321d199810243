"""The reference lottery: a homework's model answer and its proofs' correct variants graded on many graded draws.

:func:`dgmlab.authoring.proofs.prove` grades every answer on one draw. Every student is graded on another: the inputs
of a submission's check() cells come from a seed drawn from the course's secret key and the notebook handed in
(:func:`dgmlab.grading.autograde.draw_seeds.probe_seed`), and a handed-in weights file draws its samples from a seed of
the key and the file (:func:`~dgmlab.grading.autograde.draw_seeds.seed`). :func:`run_lottery` draws ``n`` such draws,
each from a course key of its own and a distinct notebook (as ``n`` students of ``n`` courses), runs the source
notebook once in grading mode in one kernel, then judges every check() cell on every draw, in this process, as the
autograder judges it (:func:`dgmlab.grading.judge.cell_verdicts.judge_cell`), first with the model answer, then with each
correct variant of the proofs (a ``Mutant`` with ``passes=[...]``) in place of its answer cell. A correct answer must
earn every point on every draw: :class:`Lottery` lists each point lost, naming the cell, the draw and the tests.

A draw's keys are random unless ``key`` is given (``DGMLAB_LOTTERY_KEY``, hex, in the test and the benchmark): every
run tries new draws, and a failure names its draw's key and seeds, so it can be graded again.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dgmlab import probes
from dgmlab.probes import judgement, wire

from ..grading.autograde import draw_seeds
from ..grading.judge.cell_verdicts import Reference, judge_cell
from .corpus import downstream
from .proofs import NotebookSession, _grade_id, _is_test, prepared, resolve

KEY_ENV = "DGMLAB_LOTTERY_KEY"


@dataclass(frozen=True)
class Draw:
    """One graded draw: the index, its course key (hex), the check() cells' seed and each weights file's seed."""

    index: int
    key: str
    seed: int
    files: tuple = ()  # ((file name, seed), ...)

    def __str__(self) -> str:
        files = "".join(f", {name} seed {s}" for name, s in self.files)
        return f"draw {self.index} (probe seed {self.seed}{files}; course key {self.key[:16]}...)"


@dataclass
class Loss:
    """A point a correct answer lost: ``answer`` (the model answer or a variant's label), its test cell, the draw."""

    answer: str
    test: str
    draw: Draw
    earned: float
    points: float
    failing: str

    def __str__(self) -> str:
        return (f"{self.answer} -> {self.test}: {self.earned:g} of {self.points:g} on {self.draw} "
                f"(lost {self.points - self.earned:g}; failing: {self.failing})")


@dataclass
class Lottery:
    """What :func:`run_lottery` found: the draws, how many cell gradings, the points lost, the time taken."""

    hw: str
    draws: list
    gradings: int = 0
    losses: list = field(default_factory=list)
    cells: dict = field(default_factory=dict)  # {(answer, test cell): (draws graded, seconds)}
    seconds: float = 0.0
    only: str | None = None  # the test cells graded (a regular expression), or every one

    @property
    def failed_draws(self) -> int:
        return len({loss.draw.index for loss in self.losses})

    def summary(self) -> str:
        lost = {}
        for loss in self.losses:
            lost.setdefault((loss.answer, loss.test), set()).add(loss.draw.index)
        line = (f"{self.hw}: {len(self.draws)} graded draws, {len(self.cells)} (answer, test cell) pairs, "
                f"{self.gradings} gradings in {self.seconds:.0f} s: ")
        if not lost:
            return line + "every correct answer earned every point on every draw"
        return line + f"{len(self.losses)} gradings lost points on {self.failed_draws} draws: " + "; ".join(
            f"{answer} -> {test} on {len(d)} of {len(self.draws)} draws" for (answer, test), d in sorted(lost.items()))


def course_keys(n: int, key: str | None = None) -> list[bytes]:
    """``n`` course keys: random, or derived from ``key`` (hex; ``DGMLAB_LOTTERY_KEY``) so a run can be repeated."""
    key = key if key is not None else os.environ.get(KEY_ENV, "").strip() or None
    if key is None:
        return [os.urandom(32) for _ in range(n)]
    master = bytes.fromhex(key)
    return [hmac.new(master, f"dgmlab-lottery/{i}".encode(), hashlib.sha256).digest() for i in range(n)]


def make_draws(hw: str, notebook: Path, n: int, key: str | None = None) -> list[Draw]:
    """``n`` graded draws of ``hw``, each as the autograder makes one for a distinct student's ``notebook`` under a
    course key of its own: the check() cells' seed from the notebook's bytes, each weights file's from its bytes."""
    nb = nbformat.read(notebook, as_version=4)
    folder = Path(notebook).parent
    files = {p.name: p.read_bytes() for p in sorted(folder.glob("*weights.pt"))}
    draws, seen = [], set()
    for i, k in enumerate(course_keys(n, key)):
        nb.metadata["dgmlab_lottery_student"] = f"student {i}"  # distinct notebooks: distinct bytes
        seed = draw_seeds.probe_seed(k, hw, nbformat.writes(nb).encode())
        if seed in seen:  # 2**31 seeds: a repeat is a one-in-millions chance, but a draw counts once
            continue
        seen.add(seed)
        file_seeds = tuple((name, entry["seed"]) for name, entry in draw_seeds.seeds_for(k, hw, files).items())
        draws.append(Draw(i, k.hex(), seed, file_seeds))
    return draws


def _judge(s: NotebookSession, i: int, draw: Draw, seen: dict):
    """Test cell ``i`` judged on ``draw`` as the autograder judges it: ``(earned, points, failing tests)``.

    ``seen`` keeps verdicts by what the judge read: the kernel's probe data, the draw's inputs and the seeds of the
    handed-in files its tests asked for (``v.seed_of``). A cell whose probe does not depend on the draw and whose tests
    read no file's seed (hw5's weights, graded on fixed digits) is judged once, not once per draw; one that draws
    from a handed-in file's seed (hw1, hw2, hw4's samples) is judged on each draw."""
    cell, trusted = s.nb.cells[i], s.reference[i]
    gid = _grade_id(cell)
    cell.source, cell.outputs = probes.grading_source(trusted, draw.seed), []
    try:
        s.client.execute_cell(cell, i)
        spec = probes.spec_for(s.hw, gid)
        try:
            shown = json.dumps([o.get("data", {}).get(probes.PROBE_MIME) for o in cell.outputs], sort_keys=True)
            inputs = hashlib.sha256(wire.dumps(probes.make_inputs(spec, draw.seed)).encode()).hexdigest()
            key = (gid, shown, inputs)
        except Exception:  # noqa: BLE001 - inputs the wire cannot write: judged every time
            key = None
        files = dict(draw.files)
        for read, verdict in seen.get(key, ()) if key is not None else ():
            if all(files.get(name, 0) == value for name, value in read):
                return verdict
        kit = Reference(lambda gid: s.reference[s.index[gid]])
        asked: set = set()
        seed_of = judgement.Answers.seed_of

        def watched(answers, name):  # which files' seeds the tests read
            asked.add(name)
            return seed_of(answers, name)

        judgement.Answers.seed_of = watched
        try:
            result = judge_cell(s.hw, gid, trusted, cell.outputs, draw.seed, folder=s.path.parent, seeds=files,
                                reference=kit)
        finally:
            judgement.Answers.seed_of = seed_of
    finally:
        cell.source = trusted
    failing = ", ".join(r[0] for r in result.results if not r[3]) or "; ".join(result.lines)[:300]
    verdict = float(result.earned), float(result.points), failing
    if key is not None:
        seen.setdefault(key, []).append((tuple((name, files.get(name, 0)) for name in sorted(asked)), verdict))
    return verdict


def _grade_on_draws(s, lottery, answer, test, draws, say=lambda text: None):
    i = s.index[test]
    started, seen = time.monotonic(), {}
    for draw in draws:
        earned, points, failing = _judge(s, i, draw, seen)
        lottery.gradings += 1
        if earned < points - 1e-9:
            lottery.losses.append(Loss(answer, test, draw, earned, points, failing))
            say(f"LOST {lottery.losses[-1]}")
    lottery.cells[(answer, test)] = (len(draws), time.monotonic() - started)


def run_lottery(notebook: Path, mutants, n: int = 50, key: str | None = None, timeout: int = 300,
                only: str | None = None, progress=None) -> Lottery:
    """Grade the model answer of ``notebook`` (a source notebook, in its folder with any handed-in files) and the
    correct variants among ``mutants`` on ``n`` graded draws (:func:`make_draws`); ``only``: a regular expression, the
    test cells whose grade id it finds (``re.search``). ``progress(text)`` is told each cell as it starts."""
    started = time.monotonic()
    notebook = Path(notebook)
    hw = notebook.stem
    draws = make_draws(hw, notebook, n, key)
    lottery = Lottery(hw, draws, only=only)
    say = progress or (lambda text: None)
    with NotebookSession(notebook, timeout=timeout) as s:
        variants = [m for m in resolve(mutants, s.nb) if m.passes]
        s.run_all()  # the model answer in place, every cell run once
        tests = [_grade_id(c) for c in s.nb.cells if _is_test(c)]
        for test in tests:
            if only and not re.search(only, test):
                continue
            say(f"model answer -> {test}")
            _grade_on_draws(s, lottery, "model answer", test, draws, say)
        for m in variants:
            wanted = [t for t in m.passes if not only or re.search(only, t)]
            if not wanted:
                continue
            start = s.index[m.answer]
            rerun = downstream(s, start, max(s.index[t] for t in wanted))  # the cells that read the answer
            s.forget(start)
            s.run_verdict(start, m.source)
            for i in sorted({*rerun, *(s.index[t] for t in wanted)}):
                if i in rerun:
                    s.run_verdict(i)
                else:
                    say(f"{m.answer}: {m.label} -> {_grade_id(s.nb.cells[i])}")
                    _grade_on_draws(s, lottery, f"{m.answer}: {m.label}", _grade_id(s.nb.cells[i]), draws, say)
            s.forget(start)
            for i in [start, *rerun]:  # the model answer back in place
                s.run_verdict(i)
    lottery.seconds = time.monotonic() - started
    return lottery


def main(argv=None) -> int:
    """``python -m dgmlab.authoring.lottery <hw>``: the reference lottery of a homework of the course in the current
    directory (or ``--course``), on a copy of its built ``source/<hw>/`` with its proofs' ``PROOF_ARTIFACTS``
    (:func:`dgmlab.authoring.proofs.prepared`): the model answer and the proofs' correct variants graded on
    ``--draws`` draws. Prints each point lost and the summary; exit status 1 when a correct answer lost a point."""
    p = argparse.ArgumentParser(prog="python -m dgmlab.authoring.lottery", description=main.__doc__)
    p.add_argument("hw")
    p.add_argument("--course", default=".", help="the course directory (default: here)")
    p.add_argument("--draws", type=int, default=50, help="graded draws (default 50)")
    p.add_argument("--only", help="a regular expression: only the test cells whose grade id it finds")
    p.add_argument("--key", help=f"hex: derive the draws' course keys from it (or ${KEY_ENV}), to repeat a run")
    args = p.parse_args(argv)
    with prepared(args.hw, args.course) as (notebook, builder):
        result = run_lottery(notebook, list(getattr(builder, "MUTANTS", [])), n=args.draws, key=args.key,
                             only=args.only, progress=lambda text: print(text, flush=True))
    print(result.summary())
    return 1 if result.losses else 0


if __name__ == "__main__":
    raise SystemExit(main())
