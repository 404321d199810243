"""hw5_explicit's grader-only side: the hidden tests of each part and the references (:mod:`dgmlab.grading.hidden`)."""
from . import (
    p1_masked_cnn_inpainting,
    p2_real_nvp_mnist,
    q1_classifying_through_a_decoder,
    q2_data_to_latent_flows,
    q3_jensen_shannon_divergence,
    q4_frechet_distance,
)
from .references import EXPECTED

HIDDEN = {**q1_classifying_through_a_decoder.HIDDEN, **q2_data_to_latent_flows.HIDDEN,
          **q3_jensen_shannon_divergence.HIDDEN, **q4_frechet_distance.HIDDEN, **p1_masked_cnn_inpainting.HIDDEN,
          **p2_real_nvp_mnist.HIDDEN}
# Modules its judging imports on first use (POT, scipy's), imported by the judge once before it forks
# (dgmlab.grading.judge.warm_imports) rather than in every submission's fork; found with py-spy on a class.
JUDGE_IMPORTS = ("scipy.integrate", "sympy.codegen")
__all__ = ["EXPECTED", "HIDDEN", "JUDGE_IMPORTS"]
