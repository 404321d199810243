"""Homework 5: explicit generative models (seed 004: ECE1508 Deep Generative Models, Assignment 2).

Written Q1 (15) latent Bayes classifiers, Q2 (10) flow direction, Q3 (15) JS divergence,
Q4 (10) Frechet distance; programming P1 (25) masked-CNN inpainting, P2 (25) Real NVP.
Each written question has autograded companions; the rest is graded by hand.

The notebook is this folder's percent files in order (intro.py, the q<N>_*.py, the p<N>_*.py:
dgmlab.authoring.percent.parts; that module says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs and the constants
the tests read are in proofs.py.
"""
