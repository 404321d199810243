"""Kill rates of generated mutants, per homework (issue 19 item 6).

For every answer cell of a source notebook, :mod:`dgmlab.authoring.mutation` makes one small edit at a
time in the solution region (operators swapped, constants changed, a statement deleted, a sign dropped,
arguments swapped) and runs, in one grading-mode kernel, the test cells that grade that answer: the ones
the hand-written MUTANTS of the homework's proofs.py name for it (the cells its blank stub is proven against), else the
test cells that follow it. A mutant is killed when one of them loses points. Survivors are either gaps
in the tests or *equivalent* mutants, which proofs.py lists with a reason in ``EQUIVALENT_MUTANTS``
(``{answer grade_id: {mutant label: reason}}``); the kill rate counts only the others.

The kernel has a grading sandbox's limits: 8 GiB of address space (``--memory``) and the autograder's 120 s per
cell (``--timeout``). A mutant that runs out of memory, kills its kernel or runs over the time is killed, as
the autograder would give it 0, and listed under ``killed_by_limits`` with how; the kernel is restarted for
the next one.

    DGMLAB_DATA=/work/shared/datasets nice -n 10 .venv/bin/python benchmarks/mutation_kill_rates.py hw3_flows \\
        --json benchmarks/results/mutation_hw3_flows.json

Slow by nature (every mutant re-runs its tests): minutes to an hour per homework on one CPU core,
so it is a benchmark, not part of ``make test``. ``--answers`` and ``--limit`` narrow a run.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from dgmlab.grading.isolation.kernel_sandbox import DEFAULT_MEMORY  # the address space a grading's kernel may map
from dgmlab.selfcheck import CELL_TIMEOUT  # the autograder's limit on one cell (nbgrader_config.py)

ROOT = Path(__file__).resolve().parents[1]


def builder(hw: str):
    from dgmlab.authoring import homeworks

    found = homeworks(ROOT)
    if hw not in found:
        raise SystemExit(f"no builder for {hw!r}; known: {', '.join(sorted(found))}")
    return found[hw]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hw", help="homework id, e.g. hw3_flows")
    p.add_argument("--json", type=Path, help="write the per-answer record here")
    p.add_argument("--answers", nargs="*", help="only these answer cells (grade ids)")
    p.add_argument("--limit", type=int, help="at most this many mutants per answer cell")
    p.add_argument("--timeout", type=int, default=CELL_TIMEOUT,
                   help="seconds per cell before a mutant counts as killed (its kernel is then restarted); "
                        "default %(default)s, the autograder's")
    p.add_argument("--memory", type=float, default=DEFAULT_MEMORY / 2**30,
                   help="GiB of address space for the kernel, as a grading's sandbox gives it (default %(default)g; "
                        "0: no limit); a mutant that runs out of it, or whose kernel dies, counts as killed")
    args = p.parse_args(argv)

    from dgmlab.authoring import mutation
    from dgmlab.authoring.proofs import graded_by

    module = builder(args.hw)
    source = ROOT / "source" / args.hw / f"{args.hw}.ipynb"
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / args.hw
        shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("figures", "*.pt", ".ipynb_checkpoints",
                                                                             "checkpoints"))
        for write in getattr(module, "PROOF_ARTIFACTS", {}).values():
            write(folder)

        def progress(answer, m, killed, how):
            print(f"{answer}: {'killed  ' if killed else 'SURVIVED'} {m.label}{f' [{how}]' if how else ''}", flush=True)

        reports = mutation.run(folder / source.name, tests_for=graded_by(getattr(module, "MUTANTS", [])),
                               equivalent=getattr(module, "EQUIVALENT_MUTANTS", {}), answers=args.answers,
                               limit=args.limit, timeout=args.timeout, progress=progress,
                               memory=None if args.memory == 0 else int(args.memory * 2**30))
    rate = mutation.kill_rate(reports)
    record = {"homework": args.hw, "command": " ".join(["benchmarks/mutation_kill_rates.py", *(argv or sys.argv[1:])]),
              "seconds": round(time.perf_counter() - t0, 1), "kill_rate": rate,
              "generated": sum(r.generated for r in reports), "killed": sum(r.killed for r in reports),
              "equivalent": sum(len(r.equivalent) for r in reports),
              "memory_limit_bytes": None if args.memory == 0 else int(args.memory * 2**30),
              "cell_timeout_s": args.timeout,
              "killed_by_limits": sum(len(r.limited) for r in reports),
              "answers": [{"answer": r.answer, "tests": r.tests, "generated": r.generated, "killed": r.killed,
                           "equivalent": [{"label": label, "reason": why} for label, why in r.equivalent],
                           "killed_by_limits": [{"label": label, "killed": how} for label, how in r.limited],
                           "survivors": r.survivors, "seconds": r.seconds} for r in reports]}
    print(f"\n{args.hw}: {record['killed']} of {record['generated'] - record['equivalent']} non-equivalent mutants "
          f"killed ({'n/a' if rate is None else f'{100 * rate:.1f}%'}); {record['equivalent']} equivalent; "
          f"{record['seconds']:.0f} s")
    for r in reports:
        for label, how in r.limited:
            print(f"  killed by the kernel's limits {r.answer}: {label}: {how}")
        for label in r.survivors:
            print(f"  survivor {r.answer}: {label}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
