"""A course's own homework, made from the kit's template (`dgmlab new-homework <hw>`): one code question, one
derivation graded by exact sympy comparison and one written answer. Rename, rewrite, keep the shape.

The homework id is the folder's name. The notebook is the folder's percent files in order (intro.py, then the
questions q<N>_*.py, then the problems p<N>_*.py); the visible checks are in checks.py (released to students with
the notebook), the hidden tests in hidden.py (the grader's alone: never released); the proofs are in proofs.py.
docs/own_homework.md walks through the cycle.
"""
