"""hw1_wgan's grader-only side: the hidden tests of each part and the references (:mod:`dgmlab.grading.hidden`)."""
from . import q1_normalizing_flows, q2_wasserstein_distance, q3_wgan_on_mnist
from .references import EXPECTED

HIDDEN = {**q1_normalizing_flows.HIDDEN, **q2_wasserstein_distance.HIDDEN, **q3_wgan_on_mnist.HIDDEN}
# Modules its judging imports on first use (POT, scipy's, torch._dynamo: its optimizers'), imported by the
# judge once before it forks (dgmlab.grading.judge.warm_imports) rather than in every submission's fork; found with
# py-spy on a class.
JUDGE_IMPORTS = ("scipy.stats", "scipy.integrate", "torch._dynamo")
__all__ = ["EXPECTED", "HIDDEN", "JUDGE_IMPORTS"]
