"""hw4_gans's grader-only side: the hidden tests of each part and the references (:mod:`dgmlab.grading.hidden`)."""
from . import (
    p0_runs_top_to_bottom,
    p1_unconditional_gan,
    p2_three_ablations,
    p3_conditional_gan,
    p4_gan_objective,
    p5_kantorovich_duality,
    training_record,  # noqa: F401 - the record check the baseline's cell runs when graded (grader_side)
)
from .references import EXPECTED

HIDDEN = {**p0_runs_top_to_bottom.HIDDEN, **p1_unconditional_gan.HIDDEN, **p2_three_ablations.HIDDEN,
          **p3_conditional_gan.HIDDEN, **p4_gan_objective.HIDDEN, **p5_kantorovich_duality.HIDDEN}
# Modules its judging imports on first use (POT, scipy's, torch._dynamo: its optimizers'), imported by the
# judge once before it forks (dgmlab.grading.judge.warm_imports) rather than in every submission's fork; found with
# py-spy on a class.
JUDGE_IMPORTS = ("ot", "scipy.spatial", "torch._dynamo")
__all__ = ["EXPECTED", "HIDDEN", "JUDGE_IMPORTS"]
