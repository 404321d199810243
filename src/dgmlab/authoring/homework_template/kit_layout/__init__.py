"""A kit homework, made from the kit's template (`dgmlab new-homework <hw> --kit`): one code question, one derivation
graded by value and one written answer. Rename, rewrite, keep the shape (docs/authoring.md).

The homework id is the folder's name. The notebook is the folder's percent files in order (intro.py, then the
questions q<N>_*.py, then the problems p<N>_*.py); checks/ holds each part's visible tests (in the student wheel),
hidden/ its hidden tests and references (the grader's alone); the proofs are in proofs.py. A test's points are its
``@points(w)``: `make notebooks HW=<hw>` sums them into checks/points.json.
"""
