"""This homework's graded test cells: what each hands the grader and its visible tests, one module per part (named
as its percent file). The hidden tests and references are the grader's (``hidden/``)."""
from . import q1_log_density, q2_gaussian_kl

CHECKS = [*q1_log_density.CHECKS, *q2_gaussian_kl.CHECKS]
__all__ = ["CHECKS"]
