"""hw3_flows: change of variables, volume-preserving flows, the optimal discriminator, vanishing gradients.

Adapted from seed 002 (Sharif University of Technology, Deep Generative Models, Fall 2024, Assignment 3).
The seed gives no points; the split below (100 in all) is ours:

    Q1 change of variables       30  (written 7, f/f_inv 5, Jacobian 6, density 7, torch autograd 5)
    Q2 VP flows not universal    35  (written a-d 20, density 7, k 5, p(B)/max density 1, Pinsker bound 2)
    Q3 optimal discriminator     15  (sympy maximiser 5, numeric check 5, written proof 5)
    Q4 vanishing gradients       20  (saturating 4, non-saturating 3, torch losses 3, grad norms 5, written 5)

The notebook is the percent files below, in this order (dgmlab.authoring.percent says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs are in proofs.py.
"""
from pathlib import Path

from dgmlab.authoring.percent import build_homework

from .proofs import CLASS, EQUIVALENT_MUTANTS, MUTANTS, PARTIAL  # noqa: F401  (read by the proofs and the demo)

HW = "hw3_flows"
PARTS = [
    "intro.py",
    "q1_change_of_variables.py",
    "q2_volume_preserving_flows.py",
    "q3_optimal_discriminator.py",
    "q4_vanishing_gradients.py",
]


def build():
    return build_homework(HW, Path(__file__).parent, PARTS)
