"""hw2_wgangp: f-GAN estimates of KL, two properties of W1, and WGAN-GP with residual networks.

Adapted from seed 001 (CSE 599i Generative Models, Homework 3). Points (100):
analysis 40 (written 19, autograded 21), implementation 60 (autograded 48, written 12).
P5's trained MNIST generator is graded from the file it saves (`p5_mnist_samples_tests`; the builder's
PROOF_ARTIFACTS put genuine samples next to the notebook for the proofs; see docs/hw2_wgangp.md).

The notebook is the percent files below, in this order (dgmlab.authoring.percent says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs and the constants
the tests read are in proofs.py.
"""
from pathlib import Path

from dgmlab.authoring.percent import build_homework

from .proofs import *  # noqa: F401,F403  (MUTANTS, PARTIAL, ... and the constants tests and benchmarks read)

HW = "hw2_wgangp"
PARTS = [
    "intro.py",
    "p1_kl_as_supremum.py",
    "p2_reverse_kl_divergence.py",
    "p3_smoothing.py",
    "p4_discrete_w1.py",
    "p5_wgan_gp_mnist.py",
    "p6_wgan_gp_cifar10.py",
]


def build():
    return build_homework(HW, Path(__file__).parent, PARTS)
