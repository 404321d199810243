"""A throw-away course for the grading benchmarks: one released homework and N example submissions."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def scratch_course(hw: str, n: int, prefix: str = "dgmlab-bench-"):
    """A course in a new temporary folder: this repository's nbgrader_config.py, ``source/<hw>`` released
    (``--local-only``: the shipped config sets no install source), and ``n`` submissions ``student0000``...,
    alternately the example reference and partial answers."""
    from dgmlab.grading import course as C

    root = Path(tempfile.mkdtemp(prefix=prefix))
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / hw, root / "source" / hw, ignore=shutil.ignore_patterns("figures", "*.pt"))
    course = C.Course(root)
    C.release(course, [hw], local_only=True)
    for i in range(n):
        example = ROOT / "examples" / ("demo_reference" if i % 2 == 0 else "demo_partial") / hw
        shutil.copytree(example, root / "submitted" / f"student{i:04d}" / hw)
    return course
