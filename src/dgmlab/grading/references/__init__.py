"""The grader's own answers: what hidden tests compare a student's work with.

Each module here holds the references of one homework (closed forms, reference likelihoods). They belong to the
grading side only: hidden tests import them explicitly, in the judge, which has the grading package; nothing in
the student package (``dgmlab`` outside ``dgmlab.grading`` and ``dgmlab.authoring``) imports them, and the visible
checks, which run in the student's kernel, never do.
"""
