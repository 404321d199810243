"""hw4_gans' hidden tests: what several parts share (the grader's alone, never a student's).

P1.4's and P3.3's comparison of the parameters a student's step leaves with the grader's own SGD step.
"""
from dgmlab.probes import asserts
from homeworks.hw4_gans.checks import paired, value

from .references import reference_sgd_step


def assert_one_sgd_step(v, record, player, loss, what, name, n_classes=0):
    """The parameters the student's step left ``player`` ("G" or "D") with, in the probe's ``record`` of it, against
    one SGD step of the grader's on ``loss(g, d)`` from the same seeded start (``n_classes``: the stand-in networks'
    labels, 0 unconditional); ``what``: the parameters, if their count is off; ``name``: the step, in the message."""
    for p, w in paired(value(record, "the step")["after"], reference_sgd_step(v.inputs, player, loss, n_classes), what):
        asserts.assert_close(p, w, atol=1e-5, rtol=1e-4, name=name)
