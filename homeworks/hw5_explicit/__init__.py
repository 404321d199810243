"""Homework 5: explicit generative models (seed 004: ECE1508 Deep Generative Models, Assignment 2).

Written Q1 (15) latent Bayes classifiers, Q2 (10) flow direction, Q3 (15) JS divergence,
Q4 (10) Frechet distance; programming P1 (25) masked-CNN inpainting, P2 (25) Real NVP.
Each written question has autograded companions; the rest is graded by hand.

The notebook is the percent files below, in this order (dgmlab.authoring.percent says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs and the constants
the tests read are in proofs.py.
"""
from pathlib import Path

from dgmlab.authoring.percent import build_homework

from .proofs import *  # noqa: F401,F403  (MUTANTS, PARTIAL, ... and the constants tests and benchmarks read)

HW = "hw5_explicit"
PARTS = [
    "intro.py",
    "q1_classifying_through_a_decoder.py",
    "q2_data_to_latent_flows.py",
    "q3_jensen_shannon_divergence.py",
    "q4_frechet_distance.py",
    "p1_masked_cnn_inpainting.py",
    "p2_real_nvp_mnist.py",
]


def build():
    return build_homework(HW, Path(__file__).parent, PARTS)
