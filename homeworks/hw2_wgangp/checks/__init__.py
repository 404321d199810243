"""hw2_wgangp's graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw2_wgangp/hidden/``); they read the names below and the values
each probe returns. Nothing here answers a question: the probes call the
student's functions on inputs made from the seed (and on small fixed cases where a test needs exact
values) and keep what comes back; the visible tests ``test_x(v, ref)`` check form and easy cases, and compare values
with ``ref``, what the grader's references (``homeworks/hw2_wgangp/hidden/references.py``, not in the student package)
give on the same inputs: recorded for the working seed's draw (``dgmlab.probes.expected``), computed in the judge
when graded. The toy networks
the P5 probes drive the student's code with, the given ``ResidualBlock`` and the kit's given MNIST generator P5(g)
loads the handed-in weights into are the notebook's given code, not answers.

One module per part, named as its percent file (``p1_kl_as_supremum.py`` to ``p6_wgan_gp_cifar10.py``: the part's
inputs, probes, visible tests and specs; P5's last cell, graded from the handed-in weights, in ``p5_deliverables.py``),
and ``common.py``, what several parts share. This module gathers the specs in the notebook's order and keeps the names
other code imports from ``homeworks.hw2_wgangp.checks``.
"""
from __future__ import annotations

from . import (
    p1_kl_as_supremum,
    p2_reverse_kl_divergence,
    p3_smoothing,
    p4_discrete_w1,
    p5_deliverables,
    p5_training_steps,
    p5_wgan_gp_mnist,
    p6_wgan_gp_cifar10,
)
from .common import (
    BLOCK_SALT,
    CRITIC_SALT,
    NET_CAPACITY,
    OPT_STEPS,
    SEED_DIM,
    STEP_LR,
    given_mnist_generator,
    kit_residual_block,
    normals,
    random_metric_problem,
    roles,
    seeded_weights,
    symbols,
    toy_critic,
    toy_generator,
    toy_scores,
)
from .p4_discrete_w1 import _constraints_of, _value_and_plan
from .p5_deliverables import (
    MAX_DRAWS,
    MAX_WEIGHTS_BYTES,
    WEIGHTS,
    _score_of_the_draw,
    dashboard_draw,
    drawn_samples,
    graded_samples,
    test_mnist_classifier_score_of_a_full_run,
    test_saved_generator_draws_1000_new_images,
)
from .p6_wgan_gp_cifar10 import GENERATOR_SALT

__all__ = [
    "BLOCK_SALT", "CHECKS", "CRITIC_SALT", "GENERATOR_SALT", "MAX_DRAWS", "MAX_WEIGHTS_BYTES", "NET_CAPACITY",
    "OPT_STEPS", "SEED_DIM", "STEP_LR", "WEIGHTS", "dashboard_draw", "drawn_samples",
    "given_mnist_generator", "graded_samples", "kit_residual_block", "normals", "random_metric_problem", "roles",
    "seeded_weights", "symbols", "test_mnist_classifier_score_of_a_full_run",
    "test_saved_generator_draws_1000_new_images", "toy_critic", "toy_generator", "toy_scores",
    # private, read by tests/probes/test_hw2_wgangp.py and by proofs.py's forged answer (which patches them here)
    "_constraints_of", "_score_of_the_draw", "_value_and_plan"]


CHECKS = [*p1_kl_as_supremum.CHECKS, *p2_reverse_kl_divergence.CHECKS, *p3_smoothing.CHECKS, *p4_discrete_w1.CHECKS,
          *p5_wgan_gp_mnist.CHECKS, *p5_training_steps.CHECKS, *p5_deliverables.CHECKS, *p6_wgan_gp_cifar10.CHECKS]
