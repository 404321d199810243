"""The grader's own answers: what visible and hidden tests compare a student's work with.

:mod:`.recorded` computes and records the values visible tests compare with (from each homework's hidden package,
``homeworks/<hw>/hidden/``, or a course's own ``hidden.py``); :mod:`.transport` holds the exact optimal-transport
answers hidden tests import. They belong to the grading side only: nothing in the student package (``dgmlab`` outside
``dgmlab.grading`` and ``dgmlab.authoring``) imports them, and the visible checks, which run in the student's kernel,
never do.
"""
