"""Write the demo's example submissions to examples/<student>/<hw>/<hw>.ipynb.

Usage: python tools/make_examples.py [--check] [hw ...]

Run after `dgmlab release` (the examples are built from release/ and
source/ notebooks and the PARTIAL and CLASS mutants of tools/notebooks/<hw>.py). Other
files in an example folder (e.g. saved samples a homework grades) are left as
they are.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from build_notebooks import builders  # noqa: E402
from dgmlab.grading.examples import example_submissions  # noqa: E402


def build(hw: str, module) -> dict:
    return example_submissions(ROOT / "release" / hw / f"{hw}.ipynb", ROOT / "source" / hw / f"{hw}.ipynb",
                               getattr(module, "MUTANTS", []), getattr(module, "PARTIAL", []),
                               getattr(module, "CLASS", {}))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hw", nargs="*")
    p.add_argument("--check", action="store_true", help="exit 1 if examples/ is out of date")
    args = p.parse_args(argv)
    all_builders = builders()
    stale = []
    for hw in args.hw or sorted(all_builders):
        for student, nb in build(hw, all_builders[hw]).items():
            path = ROOT / "examples" / student / hw / f"{hw}.ipynb"
            text = nbformat.writes(nb) + "\n"
            if args.check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    stale.append(f"{student}/{hw}")
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"examples out of date: {stale}; run python tools/make_examples.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
