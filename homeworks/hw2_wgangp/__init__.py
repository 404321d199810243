"""hw2_wgangp: f-GAN estimates of KL, two properties of W1, and WGAN-GP with residual networks.

Adapted from seed 001 (CSE 599i Generative Models, Homework 3). Points (100):
analysis 40 (written 19, autograded 21), implementation 60 (autograded 48, written 12).
P5's trained MNIST generator is graded from the file it saves (`p5_mnist_samples_tests`; the builder's
PROOF_ARTIFACTS put genuine samples next to the notebook for the proofs; see docs/hw2_wgangp.md).

The notebook is this folder's percent files in order (intro.py, the q<N>_*.py, the p<N>_*.py:
dgmlab.authoring.percent.parts; that module says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs and the constants
the tests read are in proofs.py.
"""
