"""hw4_gans' graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw4_gans/hidden/``, :mod:`dgmlab.grading.hidden`); they read the
names below and the values each probe returns. The probes build the student's networks and run the
student's functions on inputs made from the seed, and keep what comes back (outputs with the grader's seeded
parameters, parameters after an update or a training run, returned losses and histories). Hidden tests compare
those with what the grader computes itself from its own copy of the inputs (the statement's networks, losses and
steps: ``homeworks.hw4_gans.hidden.references``, which this module never imports); the visible tests of the P1 cells,
make_gan and the conditional steps compare the values on the working seed's inputs with values recorded from those
references (:func:`recorded`), and the others with what this module computes. The two cells graded from
handed-in weights run in the grader: they read the file as handed in and draw from it with the statement's
generator, which only the grader holds (``homeworks.hw4_gans.hidden.references.mlp_generator``), never a class from
the student's kernel; in a student's self-check, where the grader is not installed, they draw with the notebook's
own generator class instead (:func:`_drawing`).

One module per part, named as its percent file (its inputs, probes, visible tests and ``CHECKS``), the helpers
several parts use in :mod:`.common`; this package assembles ``CHECKS`` in the notebook's order and re-exports the
names other code reads from ``homeworks.hw4_gans.checks``.
"""
from __future__ import annotations

from . import (
    p0_runs_top_to_bottom,
    p1_unconditional_gan,
    p2_three_ablations,
    p3_conditional_gan,
    p4_gan_objective,
    p5_kantorovich_duality,
)

# what the hidden tests, the references and the kit's tests read from homeworks.hw4_gans.checks
from .common import (  # noqa: F401
    BASELINE_FILE,
    CGAN_FILE,
    EXPERIMENTS,
    FULL_EPOCHS,
    MAX_WEIGHTS_BYTES,
    MEASURE_N,
    RESULTS_FILE,
    _drawing,
    _params,
    _sgd,
    assert_trainable,
    graded_draw,
    graded_generator,
    keep_graded_draw,
    load_by_shape,
    measured_results,
    paired,
    seeded_tiny,
    value,
)
from .p1_unconditional_gan import _statement_mlp  # noqa: F401
from .p2_three_ablations import (  # noqa: F401
    HIDDEN_RUNS,
    RUNS,
    SPECIAL_RUNS,
    STATEMENT_EXPERIMENTS,
    TRAIN_LR,
    _outputs_match,
    _run_key,
    _schedule,
    experiment,
    history_matches,
    parameters_match,
    run_of,
    stand_in_d_step,
    stand_in_g_step,
    step_noise,
    step_tags,
)
from .p3_conditional_gan import LABELS, OTHER_LABELS, label_blind  # noqa: F401
from .p4_gan_objective import _p4b_probe, symbols  # noqa: F401
from .replay import assert_fresh_standard_noise  # noqa: F401

HAND_IN_FILES = p0_runs_top_to_bottom.HAND_IN_FILES  # what dgmlab check reads in a handed-in file (dgmlab.handin)
# the parts' test cells, in the notebook's order
CHECKS = [*p1_unconditional_gan.CHECKS, *p2_three_ablations.CHECKS, *p3_conditional_gan.CHECKS,
          *p4_gan_objective.CHECKS, *p5_kantorovich_duality.CHECKS, *p0_runs_top_to_bottom.CHECKS]
