"""hw3_flows: change of variables, volume-preserving flows, the optimal discriminator, vanishing gradients.

Adapted from seed 002 (Sharif University of Technology, Deep Generative Models, Fall 2024, Assignment 3).
The seed gives no points; the split below (100 in all) is ours:

    Q1 change of variables       30  (written 7, f/f_inv 5, Jacobian 6, density 7, torch autograd 5)
    Q2 VP flows not universal    35  (written a-d 20, density 7, k 5, p(B)/max density 1, Pinsker bound 2)
    Q3 optimal discriminator     15  (sympy maximiser 5, numeric check 5, written proof 5)
    Q4 vanishing gradients       20  (saturating 4, non-saturating 3, torch losses 3, grad norms 5, written 5)

The notebook is this folder's percent files in order (intro.py, the q<N>_*.py, the p<N>_*.py:
dgmlab.authoring.percent.parts; that module says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs are in proofs.py.
"""
