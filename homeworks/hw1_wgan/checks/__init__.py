"""hw1_wgan's graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw1_wgan/hidden/``); they import the names below
and read the values each probe returns. Nothing here answers a question: the probes call the
student's functions on inputs and keep what comes back (or the plain facts of what happened: raised,
changed a mode, kept a parameter object), the visible tests check form and easy cases. The flows, critics
and generators the probes drive the student's functions with are the notebook's given ones (or toys), never
an answer. The artifact cell (``q3_samples_quality_tests``) hands back nothing: the grader reads the
weights file as handed in, builds the kit's own ``Generator`` and scores its own draw.

One module per part, named as its percent file (Q3's training step and deliverables apart, :mod:`.q3_train_step`, :mod:`.q3_deliverables`), each with its
test cells' inputs, probes, visible tests and ``CheckSpec``s; :mod:`.common` what several parts use. Here:
``CHECKS`` in notebook order, and the names other code imports from ``homeworks.hw1_wgan.checks``.
"""
from __future__ import annotations

from . import q1_normalizing_flows, q2_wasserstein_distance, q3_deliverables, q3_train_step, q3_wgan_on_mnist

# what other code imports from homeworks.hw1_wgan.checks (the references, the hidden tests, the grader, tests)
from .common import DRAW_CHUNK, generate_in_chunks
from .q1_normalizing_flows import AffineFlow, ExpFlow, standard_normal
from .q2_wasserstein_distance import normal_pdf, smooth_divergence, symbols
from .q3_deliverables import (
    MAX_DRAWS,
    MAX_WEIGHTS_BYTES,
    WEIGHTS_FILE,
    Z_DIM,
    drawn_samples,
    real_digits,
    tiny_batchnorm_generator,
    tiny_sample_generator,
    wgan_networks_generator,
)
from .q3_train_step import CRITIC_BIAS, CRITIC_WEIGHT, RUNS, STEP_LR, noise_run, step_noise, tiny_generator
from .q3_wgan_on_mnist import LINEAR_WEIGHT, linear_critic, small_net, tiny_critic

CHECKS = [*q1_normalizing_flows.CHECKS, *q2_wasserstein_distance.CHECKS, *q3_wgan_on_mnist.CHECKS,
          *q3_train_step.CHECKS, *q3_deliverables.CHECKS]

__all__ = [  # the names above other code imports, with CHECKS
    "AffineFlow", "CHECKS", "CRITIC_BIAS", "CRITIC_WEIGHT", "DRAW_CHUNK", "ExpFlow", "LINEAR_WEIGHT", "MAX_DRAWS",
    "MAX_WEIGHTS_BYTES", "RUNS", "STEP_LR", "WEIGHTS_FILE", "Z_DIM", "drawn_samples", "generate_in_chunks", "linear_critic",
    "noise_run", "normal_pdf", "real_digits", "small_net", "smooth_divergence", "standard_normal", "step_noise", "symbols",
    "tiny_batchnorm_generator", "tiny_critic", "tiny_generator", "tiny_sample_generator", "wgan_networks_generator"]
