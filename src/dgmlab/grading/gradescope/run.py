"""``run_autograder``: grade the one submission in ``/autograder/submission`` and write
``/autograder/results/results.json`` (Gradescope's layout; ``DGMLAB_GRADESCOPE_ROOT`` or ``--root`` moves it).

The submission is graded by :func:`dgmlab.grading.autograde.worker.grade_submission`, the code every
``dgmlab autograde`` worker runs: a throw-away course holding the bundle's nbgrader_config.py, gradebook and source
files, the kernel behind the wall :mod:`.boundary` chose, the judge apart from it, with the graded draws' and
check inputs' seeds from the course's key (which stays in this process). So a notebook earns here what it earns
under ``dgmlab autograde`` with the same key.

    python -m dgmlab.grading.gradescope.run [--root /autograder]
    python -m dgmlab.grading.gradescope.run --check [--root ...]    # setup.sh's check: imports, boundary
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path

from ... import __version__
from ..judge.warm_imports import HOMEWORKS_ENV, ONE_SUBMISSION_ENV
from . import boundary as boundary_module
from . import results as results_module
from .late_policy import late_result
from .memory import PeakMemory, container_memory
from .results import GraderFailure

ROOT_ENV = "DGMLAB_GRADESCOPE_ROOT"
log = logging.getLogger(__name__)  # shown on stdout by main (log_to_stdout), which Gradescope shows the instructor


def grade(root: Path) -> dict:
    """Grade ``root/submission`` and return results.json's content (never raises for a submission's fault):
    :func:`graded`, then the course's late policy and the results (:func:`.results.build`, which raises
    :class:`GraderFailure` where the grader, not the submission, failed)."""
    t0 = time.time()
    handed, got, mem = graded(root)
    peak, parts = (mem.peak, mem.parts) if mem else (None, None)
    stopped = (mem.stopped, mem.limit) if mem and mem.stopped else None
    points = sum(s or 0.0 for _, _, s in (got.scores or {}).get("scores", []))
    graded_ok = got.status == "graded" and not got.infrastructure
    late, dates = late_result(handed.grader, handed.settings, points, handed.meta) if graded_ok else (None, "")
    settings = handed.settings
    return results_module.build(settings["cells"], got, visibility=settings["visibility"], boundary=handed.wall.why,
                                late=late, seconds=time.time() - t0, peak_memory=peak, memory_parts=parts,
                                dates=dates, stopped=stopped, timings=got.timings)


def graded(root: Path) -> tuple:
    """``(handed, outcome, the memory it took: PeakMemory, None without a kernel)``: the submission in ``root`` read
    (:func:`.handed.handed_in`) and graded behind its wall by the code every ``dgmlab autograde`` worker runs
    (:func:`~dgmlab.grading.autograde.worker.grade_submission`); a submission that cannot be graded is ``invalid``
    without a kernel. Raises :class:`GraderFailure` where nothing could be graded (no wall, the copy check died)."""
    from ..autograde.task_records import Outcome  # after skip_slow_imports: these load nbformat
    from ..autograde.worker import MAX_SUBMISSION_BYTES, grade_submission
    from . import seeds as seeds_module
    from .handed import handed_in

    started = time.time()
    handed = handed_in(root, MAX_SUBMISSION_BYTES)
    log.info("dgmlab: isolation: %s", handed.wall.why)
    timings = {"read_and_wall": time.time() - started}
    if handed.problem:
        return handed, Outcome(student=handed.student, status="invalid", reason=handed.problem, timings=timings), None
    if not handed.wall.kind:
        raise GraderFailure(f"not graded: {handed.wall.why}")
    try:
        job = seeds_module.job(handed)
    except seeds_module.CheckFailed as exc:
        raise GraderFailure(str(exc)) from exc
    timings["seeds_and_copy_check"] = time.time() - started - timings["read_and_wall"]  # and its process
    os.environ[HOMEWORKS_ENV] = handed.hw  # the judge loads this homework's tests alone (judge.warm_imports)
    os.environ[ONE_SUBMISSION_ENV] = "1"  # and nothing ahead for forks to come: there is one
    with handed.wall.kept(), PeakMemory(limit=container_memory()) as mem:
        got = grade_submission(handed.bundle, job)
    return handed, dataclasses.replace(got, timings={**timings, **(got.timings or {})}), mem


def check(root: Path) -> int:
    """setup.sh's last step: the grader imports, the bundle reads, and which wall grading would take here; 1 (setup.sh
    fails, and Gradescope with it, at upload) where none would, as none is grade-able."""
    from .handed import grader_dir, load_settings

    settings = load_settings(root)
    if settings["version"] != __version__:
        print(f"dgmlab: this bundle was written by dgmlab {settings['version']} but dgmlab {__version__} is "
              f"installed: install the same version (setup.sh's package source)", file=sys.stderr)
        return 1
    wall = boundary_module.choose(settings["sandbox"], grader_dir(root), settings["memory"], settings["file_size"])
    head = f"dgmlab {__version__}, {settings['hw']}: "
    if wall.kind:
        print(head + f"grading wall: {wall.why}", flush=True)
        return 0
    # every submission would fail: fail the build, so that Gradescope shows it on uploading the zip
    fix = (f"Rebuild the zip without --sandbox (`dgmlab gradescope {settings['hw']}`: where bubblewrap cannot run, "
           "the kernel runs as an unprivileged user), or use an image where bubblewrap runs"
           if settings["sandbox"] is True else "Fix what it says, then upload the zip again")
    print(head + f"ERROR: nothing would be graded here: {wall.why}. {fix}", flush=True)
    return 1


SKIPPED_IMPORTS = ("rfc3987_syntax",)  # optional modules that cost seconds at import and that grading never uses


def skip_slow_imports() -> None:
    """Keep :data:`SKIPPED_IMPORTS` out of this process (``None`` in ``sys.modules``: importing them fails, which their
    importers allow): jsonschema, nbformat's validator, builds rfc3987_syntax's IRI grammar when it is installed, about
    1.5 s of one core per submission, for a string format that no notebook's schema uses."""
    for name in SKIPPED_IMPORTS:
        sys.modules.setdefault(name, None)


def log_to_stdout() -> None:
    """The grader's messages (the ``dgmlab`` loggers, INFO and up) on stdout, the message alone, as Gradescope shows
    ``run_autograder``'s output to the instructor. Once a process."""
    top = logging.getLogger("dgmlab")
    if not any(getattr(h, "dgmlab_gradescope", False) for h in top.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.dgmlab_gradescope = True
        handler.setFormatter(logging.Formatter("%(message)s"))
        top.addHandler(handler)
    top.setLevel(logging.INFO)
    top.propagate = False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dgmlab.grading.gradescope.run",
                                     description="Gradescope's run_autograder for a dgmlab homework")
    parser.add_argument("--root", default=os.environ.get(ROOT_ENV, "/autograder"),
                        help="the autograder's folder (Gradescope's /autograder)")
    parser.add_argument("--check", action="store_true", help="check the installation and say which wall holds")
    args = parser.parse_args(argv)
    log_to_stdout()
    skip_slow_imports()
    root = Path(args.root)
    if args.check:
        return check(root)
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        results = grade(root)
    except GraderFailure as exc:
        print(f"dgmlab: {exc}", file=sys.stderr)
        return 1
    tmp = out.with_name(".results.json.tmp")
    tmp.write_text(json.dumps(results, indent=1), encoding="utf-8")
    tmp.replace(out)
    print(f"dgmlab: {results.get('extra_data', {}).get('status')}: {results['score']:g} points "
          f"({len(results['tests'])} tests) -> {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
