"""This homework's grader-only side: the hidden tests of each part and the references (:mod:`dgmlab.grading.hidden`)."""
from . import q1_log_density, q2_gaussian_kl
from .references import EXPECTED

HIDDEN = {**q1_log_density.HIDDEN, **q2_gaussian_kl.HIDDEN}
__all__ = ["EXPECTED", "HIDDEN"]
