r"""Run a homework's source notebook in full mode, cell by cell in this process: what a student's run costs.

Made for a lent GPU machine (benchmarks/results/full_mode_log.md), where Jupyter is not installed: the
code cells run in order in one namespace, as a kernel would run them, with only dgmlab's own
requirements. The notebook's folder is copied to ``--workdir`` once; later runs reuse it, so the
notebook's own checkpoints (written after every epoch) let a run that was stopped resume, exactly as a
student's re-run in Colab does. Each cell's time goes to ``timings.json`` and everything the cells print
to ``log.txt`` in ``--out``; the notebook's training cells print their epochs and metrics.

    DGMLAB_DATA=/path/to/datasets python benchmarks/run_full_mode.py hw5_explicit --out /tmp/full_hw5
    DGMLAB_DATA=... python benchmarks/run_full_mode.py hw2_wgangp --until p6_data --out /tmp/full_hw2

``--until GRADE_ID`` stops before that cell (hw2's CIFAR-10 part needs data this kit cannot ship);
``--budget-minutes`` starts no new cell after that long (a cell already running is not cut: stop it
from outside, e.g. with ``timeout``; its checkpoints keep the finished epochs). ``--fast`` is the smoke
run (fast mode, seconds on a CPU) that checks the runner itself.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import linecache
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class _Tee(io.TextIOBase):
    """Write to the terminal and to the log at once, flushing both (a killed run keeps its log)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for s in self.streams:
            s.write(text)
            s.flush()
        return len(text)

    def flush(self):
        for s in self.streams:
            s.flush()


def code_cells(notebook: Path) -> list[tuple[str, str]]:
    """``[(label, source)]`` of the notebook's code cells; the label is the grade id, else ``cell<N>``."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    out = []
    for n, cell in enumerate(cells):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        out.append((cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell{n}", source))
    return out


def prepare_workdir(hw: str, workdir: Path) -> Path:
    """A copy of ``source/<hw>/`` at ``workdir`` (made once; a later run keeps its checkpoints)."""
    if not (workdir / f"{hw}.ipynb").exists():
        shutil.copytree(ROOT / "source" / hw, workdir, dirs_exist_ok=True)
    return workdir / f"{hw}.ipynb"


def _device_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


def run(hw: str, workdir: Path, out: Path, until: str | None = None, budget_minutes: float | None = None,
        fast: bool = False) -> dict:
    """Run the cells; return (and write to ``out/timings.json``) each cell's seconds and how the run ended.

    ``fast``: the smoke run (``DGMLAB_FAST=1`` must then be set): checks the runner, measures nothing."""
    import torch

    if os.environ.get("NBGRADER_EXECUTION") or bool(os.environ.get("DGMLAB_FAST")) != fast:
        raise SystemExit("run_full_mode: unset NBGRADER_EXECUTION and DGMLAB_FAST to measure the full mode "
                         "(or pass --fast for a smoke run)")
    notebook = prepare_workdir(hw, workdir)
    cells = code_cells(notebook)
    if until and until not in [label for label, _ in cells]:
        raise SystemExit(f"run_full_mode: {hw} has no code cell with grade id {until!r}")
    out.mkdir(parents=True, exist_ok=True)
    result = {"hw": hw, "mode": "fast" if fast else "full", "device": _device_name(), "torch": torch.__version__, "until": until, "cells": [],
              "ended": "all cells ran"}
    namespace = {"__name__": "__main__"}
    start, cwd = time.monotonic(), os.getcwd()
    os.chdir(workdir)  # where the notebook's setup cell keeps its files, as Jupyter would start it
    try:
        with open(out / "log.txt", "a", encoding="utf-8") as log, \
                contextlib.redirect_stdout(_Tee(sys.__stdout__, log)), \
                contextlib.redirect_stderr(_Tee(sys.__stderr__, log)):
            for label, source in cells:
                if label == until:
                    result["ended"] = f"stopped before {until} (--until)"
                    break
                if budget_minutes is not None and time.monotonic() - start > 60 * budget_minutes:
                    result["ended"] = f"budget of {budget_minutes} minutes spent before {label}"
                    break
                print(f"=== {hw} {label}", flush=True)
                t0 = time.monotonic()
                filename = f"<{hw}:{label}>"
                # as IPython does: the cell's text stays readable (tracebacks)
                linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
                try:
                    exec(compile(source, filename, "exec"), namespace)
                except BaseException as exc:  # KeyboardInterrupt too: record where the run stopped
                    traceback.print_exc()
                    result["cells"].append({"cell": label, "seconds": round(time.monotonic() - t0, 2), "ok": False})
                    result["ended"] = f"{type(exc).__name__} in {label}"
                    break
                result["cells"].append({"cell": label, "seconds": round(time.monotonic() - t0, 2), "ok": True})
                _write(out, result, start)
    finally:
        os.chdir(cwd)
        _write(out, result, start)
    return result


def _write(out: Path, result: dict, start: float) -> None:
    result["seconds"] = round(time.monotonic() - start, 1)
    tmp = out / "timings.json.tmp"
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    tmp.replace(out / "timings.json")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hw", help="homework name, e.g. hw5_explicit")
    p.add_argument("--workdir", type=Path, default=None,
                   help="copy of source/<hw>/ to run in and keep checkpoints (default: /tmp/dgmlab_full/<hw>)")
    p.add_argument("--out", type=Path, required=True, help="folder for timings.json and log.txt")
    p.add_argument("--until", default=None, help="stop before the code cell with this grade id")
    p.add_argument("--budget-minutes", type=float, default=None, help="start no new cell after this long")
    p.add_argument("--fast", action="store_true", help="smoke run in fast mode (sets DGMLAB_FAST=1): measures nothing")
    args = p.parse_args(argv)
    if args.fast:
        os.environ["DGMLAB_FAST"] = "1"
    workdir = args.workdir or Path("/tmp/dgmlab_full") / args.hw
    result = run(args.hw, workdir, args.out, args.until, args.budget_minutes, fast=args.fast)
    print(json.dumps({k: v for k, v in result.items() if k != "cells"}))
    return 0 if result["ended"] == "all cells ran" or result["ended"].startswith(("stopped", "budget")) else 1


if __name__ == "__main__":
    sys.exit(main())
