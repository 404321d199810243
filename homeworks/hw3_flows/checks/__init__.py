"""hw3_flows' graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw3_flows/hidden/``); they import the names below
and read the values each probe returns. Nothing here answers a question: the probes call the
student's functions on inputs and keep what comes back, the visible tests check form and easy cases and compare
values on inputs drawn from the working seed with what the grader's references
(``homeworks/hw3_flows/hidden/references.py``) gave on them, recorded with the kit (:func:`dgmlab.probes.expected`).

One module per part, named as its percent file, each with its test cells' inputs, probes, visible tests and
``CheckSpec``s; :mod:`.common` what several parts use. Here: ``CHECKS`` in notebook order, and the
names other code imports from ``homeworks.hw3_flows.checks``.
"""
from __future__ import annotations

from dgmlab.probes.asserts import sympy_gap

from . import q1_change_of_variables, q2_volume_preserving_flows, q3_optimal_discriminator, q4_vanishing_gradients

# what other code imports from homeworks.hw3_flows.checks (the references, the hidden tests, tests)
from .common import slow_digest, standard_normal_log_prob, symbols
from .q1_change_of_variables import Z0, Z1, number_digest
from .q2_volume_preserving_flows import K_DECIMALS
from .q3_optimal_discriminator import P_DATA, P_G
from .q4_vanishing_gradients import H0, OFFSETS, Q4, linear_loss, make_discriminator, make_generator, vanishing_loss

CHECKS = [*q1_change_of_variables.CHECKS, *q2_volume_preserving_flows.CHECKS, *q3_optimal_discriminator.CHECKS,
          *q4_vanishing_gradients.CHECKS]

__all__ = [  # the names above other code imports, with CHECKS
    "CHECKS", "H0", "K_DECIMALS", "OFFSETS", "P_DATA", "P_G", "Q4", "Z0", "Z1", "linear_loss", "make_discriminator",
    "make_generator", "number_digest", "slow_digest", "standard_normal_log_prob", "symbols", "sympy_gap",
    "vanishing_loss"]
