"""hw4_gans' grader-side references: what its hidden tests compare a student's work with, and what the visible
tests' recorded values (``dgmlab/probes/expected/hw4_gans.json``) are made from.

They answer questions of the homework (P1's losses and one SGD step of each player), so they live here, outside the
student package. The probes' helpers they build on (the stand-in networks from the seeded start, the statement's
MLP forward pass) stay in :mod:`dgmlab.probes.hw4_gans`, which the kernel needs to run a student's code.

:data:`EXPECTED` says, for each converted test cell, what its visible tests compare with: a function of the cell's
inputs drawn from the working seed (:data:`dgmlab.probes.WORKING_SEED`);
:func:`dgmlab.grading.references.recorded.record_expected` records what they give.
"""
from __future__ import annotations

import torch

from ...probes.hw4_gans import (  # noqa: F401  the statement's networks and losses: P2 and P3's probes still use them
    _bce_mean, batch_loss, kit_generator, kit_logits, seeded_tiny, statement_d_loss, statement_g_loss)


# ------------------------------------------------------------------ P1.3, P1.4: the losses and one step of each player
def saturating_g_loss(fake_logits):
    """log(1 - D(G(z))) as a loss to minimise, in float64: the minimax form the statement sets aside."""
    return -_bce_mean(fake_logits, 0)


def reference_sgd_step(x, player, loss_of, n_classes=0):
    """What one SGD step (learning rate ``x["lr"]``, the seed's) on ``loss_of(g, d)`` gives ``player``'s parameters
    from the seeded start: the grader's own step, with the loss its hidden test gives."""
    g, d = seeded_tiny(x, n_classes)
    params = list((g if player == "G" else d).parameters())
    grads = torch.autograd.grad(loss_of(g, d), params)
    return [(p - float(x["lr"]) * gr).detach() for p, gr in zip(params, grads, strict=True)]


def d_loss_of(x, real_from_g=False, swapped=False):
    """The statement's discriminator loss on the batch of inputs ``x`` as a function of the two networks: the fakes
    detached; ``real_from_g``: the generator's own fakes as the real images; ``swapped``: real and fake the wrong way
    round (the mistake a hint names)."""
    def loss_of(g, d):
        fake = g(x["z"]).detach()
        real = fake if real_from_g else x["real"]
        return statement_d_loss(d(fake), d(real)) if swapped else statement_d_loss(d(real), d(fake))
    return loss_of


def g_loss_of(x, loss=None):
    """The generator's loss (the statement's non-saturating one, or ``loss``) on the batch's noise ``x["z"]``."""
    return lambda g, d: (loss or statement_g_loss)(d(g(x["z"])))


# ------------------------------------------------------------------ what the visible tests compare with
def _expected_generator(x) -> dict:
    with torch.no_grad():
        return {"out16": kit_generator(x["params"])(x["z16"]),
                "small_out": kit_generator(x["small_params"], 8, (16, 32))(x["z4_8"]),
                "saturated": kit_generator([p * 20 for p in x["params"]])(x["z16"])}


def _expected_discriminator(x) -> dict:
    return {"logits": kit_logits(x["params"], x["images"]),
            "small_logits": kit_logits(x["small_params"], x["x4"], (64, 32, 16, 8))}


def _expected_d_step(x) -> dict:
    return {"loss": batch_loss(x, d_loss_of(x)), "swapped_loss": batch_loss(x, d_loss_of(x, swapped=True)),
            "fakes_as_reals_loss": batch_loss(x, d_loss_of(x, real_from_g=True))}


def _expected_g_step(x) -> dict:
    return {"loss": batch_loss(x, g_loss_of(x)), "saturating_loss": batch_loss(x, g_loss_of(x, saturating_g_loss)),
            "sgd_step": reference_sgd_step(x, "G", g_loss_of(x))}


EXPECTED = {"p1_generator_tests": _expected_generator, "p1_discriminator_tests": _expected_discriminator,
            "p1_d_step_tests": _expected_d_step, "p1_g_step_tests": _expected_g_step}
