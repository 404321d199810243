"""A course's own homework, made from the kit's template (`dgmlab new-homework <hw>`): one code question, one
derivation graded by exact sympy comparison and one written answer. Rename, rewrite, keep the shape.

The notebook is the percent files below, in this order; the visible checks are in checks.py (released to
students with the notebook), the hidden tests in hidden.py (the grader's alone: never released); the proofs are in
proofs.py. docs/own_homework.md walks through the cycle.
"""
from pathlib import Path

from dgmlab.authoring.percent import build_homework

from .proofs import MUTANTS, PARTIAL  # noqa: F401  (read by the proofs and the demo)

HW = Path(__file__).parent.name  # the homework id is the folder's name
PARTS = [
    "intro.py",
    "q1_log_density.py",
    "q2_gaussian_kl.py",
    "q3_written.py",
]


def build():
    return build_homework(HW, Path(__file__).parent, PARTS)
