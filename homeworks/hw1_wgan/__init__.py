"""hw1_wgan: normalizing flows, Wasserstein distance vs KL/JS, and a Wasserstein GAN on MNIST.

Adapted from seed 000 (CSDS 600 Deep Generative Models, Homework 2, Case Western
Reserve University, instructor Yu Yin). Point split kept: Q1 20, Q2 35, Q3 45.

Build:  dgmlab build hw1_wgan
Prove:  .venv/bin/python -m pytest tests/probes/test_hw1_wgan.py -x -q
        (both it and tests/authoring/test_proofs.py -k hw1_wgan first write PROOF_ARTIFACTS,
        genuine generated samples, next to a copy of the notebook for the
        artifact-graded `samples_quality_tests`: see docs/hw1_wgan.md.)

The notebook is the percent files below, in this order (dgmlab.authoring.percent says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs and the constants
the tests read are in proofs.py.
"""
from pathlib import Path

from dgmlab.authoring.percent import build_homework

from .proofs import *  # noqa: F401,F403  (MUTANTS, PARTIAL, ... and the constants tests and benchmarks read)

HW = "hw1_wgan"
PARTS = [
    "intro.py",
    "q1_normalizing_flows.py",
    "q2_wasserstein_distance.py",
    "q3_wgan_on_mnist.py",
]


def build():
    return build_homework(HW, Path(__file__).parent, PARTS)
