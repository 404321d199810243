"""Rebuild source notebooks from their builders in tools/notebooks/.

Usage:
    python tools/build_notebooks.py            # every homework
    python tools/build_notebooks.py hw1_wgan   # one (or several)
    python tools/build_notebooks.py --check    # exit 1 if a committed notebook differs from its builder
    python tools/build_notebooks.py --record-outputs hw3_flows
        # rebuild, run the notebook in fast mode (in a temporary folder) and store the outputs
        # of its `check_output=True` cells, which CI's nbval run then compares exactly

A plain rebuild keeps the recorded output of every checked cell whose source did
not change; a checked cell whose source changed loses it, and --check then fails
until the homework is recorded again.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from nbauthor import CHECK_MARKER, is_checked  # noqa: E402


def builders() -> dict:
    """``{hw: module}`` for every ``tools/notebooks/hw*.py``."""
    found = {}
    for path in sorted((HERE / "notebooks").glob("hw*.py")):
        spec = importlib.util.spec_from_file_location(f"nbbuilder_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem] = module
    return found


def _describe(nb, index: int) -> str:
    """``Cell N`` as nbval numbers it (code cells only, from 0), with its first line."""
    number = sum(c.cell_type == "code" for c in nb.cells[:index])
    lines = nb.cells[index].source.splitlines()
    first = next((line for line in lines if line.strip() != CHECK_MARKER), "")
    return f"Cell {number} ({first[:50]!r})"


def record_outputs(nb, timeout: int = 600) -> dict:
    """Run ``nb`` (a built :class:`nbauthor.Notebook`) in fast mode up to its last checked cell, in a
    temporary folder, and return ``{source: (outputs, execution_count)}`` of its checked cells.

    Raises RuntimeError when a checked cell prints nothing, writes to stderr or shows an image:
    such output cannot be compared exactly (or would bloat the notebook)."""
    import nbformat
    from nbclient import NotebookClient

    checked = [i for i, c in enumerate(nb.nb.cells) if is_checked(c)]
    if not checked:
        return {}
    run = nbformat.from_dict(nbformat.v4.new_notebook(metadata=nb.nb.metadata,
                                                      cells=list(nb.nb.cells[:checked[-1] + 1])))
    run = nbformat.from_dict(nbformat.reads(nbformat.writes(run), as_version=4))  # a deep copy
    env = {**os.environ, "DGMLAB_FAST": "1"}
    env.pop("NBGRADER_EXECUTION", None)
    shared = ROOT.parent / "shared" / "datasets"
    if "DGMLAB_DATA" not in env and (shared / "MNIST" / "raw").exists():
        env["DGMLAB_DATA"] = str(shared)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)   # the kernel inherits this process's environment
    try:
        with tempfile.TemporaryDirectory() as tmp:
            NotebookClient(run, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": tmp}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    problems, recorded = [], {}
    for i in checked:
        cell = run.cells[i]
        kinds = {o.output_type for o in cell.outputs}
        if not cell.outputs:
            problems.append(f"{_describe(nb.nb, i)} printed nothing: show or print its exact result")
        elif any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs):
            problems.append(f"{_describe(nb.nb, i)} wrote to stderr (a warning?): silence it or do not check it")
        elif any(k.startswith("image/") for o in cell.outputs for k in o.get("data", {})):
            problems.append(f"{_describe(nb.nb, i)} shows an image: nbval does not compare images; "
                            "check a printed value instead")
        elif not kinds <= {"stream", "execute_result", "display_data"}:
            problems.append(f"{_describe(nb.nb, i)} has outputs of kind {sorted(kinds)}")
        recorded[cell.source] = (cell.outputs, cell.execution_count)
    if problems:
        raise RuntimeError(f"{nb.hw}: cannot record\n  " + "\n  ".join(problems))
    return recorded


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hw", nargs="*", help="homework ids (default: all)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare instead of writing")
    mode.add_argument("--record-outputs", action="store_true",
                      help="also run each notebook in fast mode and store its checked cells' outputs")
    args = p.parse_args(argv)
    all_builders = builders()
    unknown = [h for h in args.hw if h not in all_builders]
    if unknown:
        p.error(f"no builder for {unknown}; known: {sorted(all_builders)}")
    stale, unrecorded = [], []
    for hw in args.hw or sorted(all_builders):
        nb = all_builders[hw].build()
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                fresh = nb.save(Path(tmp) / "nb.ipynb").read_text(encoding="utf-8")
            committed = nb.path.read_text(encoding="utf-8") if nb.path.exists() else None
            if fresh != committed:
                stale.append(hw)
        elif args.record_outputs:
            t0 = time.monotonic()
            try:
                recorded = record_outputs(nb)
            except RuntimeError as err:
                print(err, file=sys.stderr)
                return 1
            path = nb.save(recorded=recorded)
            print(f"wrote {path.relative_to(ROOT)}  ({nb.points():g} points, "
                  f"{len(recorded)} checked cells recorded in {time.monotonic() - t0:.0f} s)")
        else:
            print(f"wrote {nb.save().relative_to(ROOT)}  ({nb.points():g} points)")
        if nb.unrecorded():
            unrecorded.append(f"  {hw}: " + ", ".join(_describe(nb.nb, i) for i in nb.unrecorded()))
    if stale:
        print(f"out of date with their builders: {stale}; run python tools/build_notebooks.py", file=sys.stderr)
    if unrecorded:
        print("checked cells (check_output=True) without a recorded output, which nbval would not check:\n"
              + "\n".join(unrecorded) + "\nrun python tools/build_notebooks.py --record-outputs <hw>", file=sys.stderr)
    # a plain rebuild only warns: the author records next; --check fails, so CI does
    return 1 if stale or (unrecorded and args.check) else 0


if __name__ == "__main__":
    raise SystemExit(main())
