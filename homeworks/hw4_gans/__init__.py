"""Homework 4: an MLP GAN and its ablations, a conditional GAN, GAN theory, Kantorovich duality.

Adapted from MIT CSAIL 6.S978 Deep Generative Models (Fall 2024), Problem Set 3
(seed ../shared/seeds/003_*.txt). Points as in the seed: P0 1, P1 20, P2 15, P3 15, P4 20, P5 20.

    dgmlab build hw4_gans
    .venv/bin/python -m pytest tests/authoring/test_proofs.py -k hw4 -x -q

The notebook is the percent files below, in this order (dgmlab.authoring.percent says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs and the constants
the tests read are in proofs.py.
"""
from pathlib import Path

from dgmlab.authoring.percent import build_homework

from .proofs import *  # noqa: F401,F403  (MUTANTS, PARTIAL, ... and the constants tests and benchmarks read)

HW = "hw4_gans"
PARTS = [
    "intro.py",
    "p1_unconditional_gan.py",
    "p2_three_ablations.py",
    "p3_conditional_gan.py",
    "p4_gan_objective.py",
    "p5_kantorovich_duality.py",
    "p0_runs_top_to_bottom.py",
]


def build():
    return build_homework(HW, Path(__file__).parent, PARTS)
