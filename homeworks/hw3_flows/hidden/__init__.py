"""hw3_flows's grader-only side: the hidden tests of each part and the references (:mod:`dgmlab.grading.hidden`)."""
from . import q1_change_of_variables, q2_volume_preserving_flows, q3_optimal_discriminator, q4_vanishing_gradients
from .references import EXPECTED

HIDDEN = {**q1_change_of_variables.HIDDEN, **q2_volume_preserving_flows.HIDDEN, **q3_optimal_discriminator.HIDDEN,
          **q4_vanishing_gradients.HIDDEN}
# Modules its judging imports on first use (POT, scipy's), imported by the judge once before it forks
# (dgmlab.grading.judge.warm_imports) rather than in every submission's fork; found with py-spy on a class.
JUDGE_IMPORTS = ()
__all__ = ["EXPECTED", "HIDDEN", "JUDGE_IMPORTS"]
