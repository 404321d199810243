"""hw2_wgangp's grader-only side: the hidden tests of each part and the references (:mod:`dgmlab.grading.hidden`)."""
from . import (
               p1_kl_as_supremum,
               p2_reverse_kl_divergence,
               p3_smoothing,
               p4_discrete_w1,
               p5_wgan_gp_mnist,
               p6_wgan_gp_cifar10,
)
from .references import EXPECTED

HIDDEN = {**p1_kl_as_supremum.HIDDEN, **p2_reverse_kl_divergence.HIDDEN, **p3_smoothing.HIDDEN,
          **p4_discrete_w1.HIDDEN, **p5_wgan_gp_mnist.HIDDEN, **p6_wgan_gp_cifar10.HIDDEN}
# Modules its judging imports on first use (POT, scipy's, torch._dynamo: its optimizers'), imported by the
# judge once before it forks (dgmlab.grading.judge.warm_imports) rather than in every submission's fork; found with
# py-spy on a class.
JUDGE_IMPORTS = ("ot", "scipy.optimize", "torch._dynamo")
__all__ = ["EXPECTED", "HIDDEN", "JUDGE_IMPORTS"]
