"""Rebuild source notebooks from their builders in tools/notebooks/.

Usage:
    python tools/build_notebooks.py            # every homework
    python tools/build_notebooks.py hw1_wgan   # one (or several)
    python tools/build_notebooks.py --check    # exit 1 if a committed notebook differs from its builder
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def builders() -> dict:
    """``{hw: module}`` for every ``tools/notebooks/hw*.py``."""
    found = {}
    for path in sorted((HERE / "notebooks").glob("hw*.py")):
        spec = importlib.util.spec_from_file_location(f"nbbuilder_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem] = module
    return found


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hw", nargs="*", help="homework ids (default: all)")
    p.add_argument("--check", action="store_true", help="compare instead of writing")
    args = p.parse_args(argv)
    all_builders = builders()
    unknown = [h for h in args.hw if h not in all_builders]
    if unknown:
        p.error(f"no builder for {unknown}; known: {sorted(all_builders)}")
    stale = []
    for hw in args.hw or sorted(all_builders):
        nb = all_builders[hw].build()
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                fresh = nb.save(Path(tmp) / "nb.ipynb").read_text(encoding="utf-8")
            committed = nb.path.read_text(encoding="utf-8") if nb.path.exists() else None
            if fresh != committed:
                stale.append(hw)
        else:
            print(f"wrote {nb.save().relative_to(HERE.parent)}  ({nb.points():g} points)")
    if stale:
        print(f"out of date with their builders: {stale}; run python tools/build_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
