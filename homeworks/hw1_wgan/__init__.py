"""hw1_wgan: normalizing flows, Wasserstein distance vs KL/JS, and a Wasserstein GAN on MNIST.

Adapted from seed 000 (CSDS 600 Deep Generative Models, Homework 2, Case Western
Reserve University, instructor Yu Yin). Point split kept: Q1 20, Q2 35, Q3 45.

Build:  dgmlab build hw1_wgan
Prove:  .venv/bin/python -m pytest tests/probes/test_hw1_wgan.py -x -q
        (both it and tests/authoring/test_proofs.py -k hw1_wgan first write PROOF_ARTIFACTS,
        genuine generated samples, next to a copy of the notebook for the
        artifact-graded `samples_quality_tests`: see docs/hw1_wgan.md.)

The notebook is this folder's percent files in order (intro.py, the q<N>_*.py, the p<N>_*.py:
dgmlab.authoring.percent.parts; that module says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs and the constants
the tests read are in proofs.py.
"""
