"""hw1_wgan's graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw1_wgan/hidden/``); they read the names below
(``context``) and the values each probe returns. Nothing here answers a question: the probes call the
student's functions on inputs and keep what comes back (or the plain facts of what happened: raised,
changed a mode, kept a parameter object), the visible tests check form and easy cases. The flows, critics
and generators the probes drive the student's functions with are the notebook's given ones (or toys), never
an answer. The artifact cell (``q3_samples_quality_tests``) hands back nothing: the grader reads the
weights file as handed in, builds the kit's own ``Generator`` and scores its own draw.

One module per part, named as its percent file (Q3's deliverables apart, :mod:`.q3_deliverables`), each with its
test cells' inputs, probes, visible tests and ``CheckSpec``s; :mod:`.common` what several parts use. Here:
``context()``, ``CHECKS`` in notebook order, and the names other code imports from ``dgmlab.probes.hw1_wgan``.
"""
from __future__ import annotations

import math

from dgmlab import checks
from dgmlab.probes import _sp  # lazy imports

from . import q1_normalizing_flows, q2_wasserstein_distance, q3_deliverables, q3_wgan_on_mnist

# what other code imports from dgmlab.probes.hw1_wgan (the references, the hidden tests, the grader, tests)
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
from .q3_wgan_on_mnist import (
    CRITIC_BIAS,
    CRITIC_WEIGHT,
    LINEAR_WEIGHT,
    RUNS,
    STEP_LR,
    linear_critic,
    small_net,
    step_noise,
    tiny_critic,
    tiny_generator,
)


def context() -> dict:
    import numpy as np
    import torch

    from dgmlab import artifacts, metrics, novelty, runtime

    return {**symbols(), "sp": _sp(), "np": np, "torch": torch, "nn": torch.nn, "D": torch.distributions,
            "math": math, "checks": checks, "normal_pdf": normal_pdf, "AffineFlow": AffineFlow, "ExpFlow": ExpFlow,
            "standard_normal": standard_normal, "linear_critic": linear_critic, "tiny_critic": tiny_critic,
            "LINEAR_WEIGHT": LINEAR_WEIGHT, "small_net": small_net, "tiny_generator": tiny_generator,
            "linear_critic_of_the_step": lambda: linear_critic(CRITIC_WEIGHT, bias=CRITIC_BIAS),
            "step_noise": step_noise, "STEP_LR": STEP_LR, "RUNS": RUNS, "CRITIC_WEIGHT": CRITIC_WEIGHT,
            "CRITIC_BIAS": CRITIC_BIAS,
            "tiny_sample_generator": tiny_sample_generator, "tiny_batchnorm_generator": tiny_batchnorm_generator,
            "real_digits": real_digits, "artifacts": artifacts,
            "metrics": metrics, "novelty": novelty, "runtime": runtime, "WEIGHTS_FILE": WEIGHTS_FILE,
            "MAX_WEIGHTS_BYTES": MAX_WEIGHTS_BYTES}


CHECKS = [*q1_normalizing_flows.CHECKS, *q2_wasserstein_distance.CHECKS, *q3_wgan_on_mnist.CHECKS,
          *q3_deliverables.CHECKS]

__all__ = [  # the names above other code imports, with context() and CHECKS
    "AffineFlow", "CHECKS", "CRITIC_BIAS", "CRITIC_WEIGHT", "ExpFlow", "LINEAR_WEIGHT", "MAX_DRAWS",
    "MAX_WEIGHTS_BYTES", "RUNS", "STEP_LR", "WEIGHTS_FILE", "Z_DIM", "context", "drawn_samples", "linear_critic",
    "normal_pdf", "real_digits", "small_net", "smooth_divergence", "standard_normal", "step_noise", "symbols",
    "tiny_batchnorm_generator", "tiny_critic", "tiny_generator", "tiny_sample_generator", "wgan_networks_generator"]
