"""hw4_gans, p1_unconditional_gan: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import torch
import torch.nn.functional as F
from torch import nn

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw4_gans.checks import assert_trainable, load_by_shape

from .common import assert_one_sgd_step
from .references import kit_generator


# ------------------------------------------------------------------ p1_generator_tests
@points(1)
def test_one_image_at_a_time(v, ref):
    assert_trainable(v.trainable, "Generator()")
    # four noise vectors one by one: each image as the statement's network gives it (no batch statistics)
    with torch.no_grad():
        want = kit_generator(v.inputs.params)(v.inputs.z16[:4])
    asserts.assert_close(v.one_at_a_time, want, rtol=1e-4, atol=1e-5,
                        name="Generator() on one noise vector at a time, with the same parameters")


@points(1)
def test_training_mode_changes_nothing(v, ref):
    assert_trainable(v.trainable, "Generator()")
    # out16 ran in training mode: no dropout, no batch statistics, the statement's network exactly
    with torch.no_grad():
        want = kit_generator(v.inputs.params)(v.inputs.z16)
    asserts.assert_close(v.out16, want, rtol=1e-4, atol=1e-5,
                        name="Generator() in training mode, with the same parameters")


# ------------------------------------------------------------------ p1_discriminator_tests
def _kit_train_logits(v, ref, dropout):
    # the statement's discriminator in training mode, its dropout masks drawn from the seed the probe used
    layers, width_in = [], 784
    for width in (512, 256, 128):
        layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
        width_in = width
    net = load_by_shape(nn.Sequential(*layers, nn.Linear(width_in, 1)), v.inputs.params, "the kit's discriminator").train()
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(v.inputs.dropout_seed)
        return net(v.inputs.x32)


@points(1)
def test_dropout_in_training_mode(v, ref):
    assert_trainable(v.trainable, "Discriminator()")
    asserts.assert_close(v.train_out, _kit_train_logits(v, ref, 0.3), rtol=1e-4, atol=1e-5,
                        name="Discriminator() in training mode (dropout 0.3 after each hidden layer), same masks")


@points(0.5)
def test_dropout_argument_is_used(v, ref):
    assert_trainable(v.trainable, "Discriminator()")
    asserts.assert_close(v.half_dropout_train_out, _kit_train_logits(v, ref, 0.5), rtol=1e-4, atol=1e-5,
                        name="Discriminator(dropout=0.5) in training mode, same masks")


# ------------------------------------------------------------------ p1_losses_tests
@points(0.25)
def test_values_on_fixed_logits(v, ref):
    real, fake = v.inputs.real.double(), v.inputs.fake.double()
    want_d = (-torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()).item()
    want_g = (-torch.log(torch.sigmoid(fake)).mean()).item()
    asserts.assert_close(v.d_values, want_d, rtol=1e-5, name="discriminator_loss on fixed logits")
    asserts.assert_close(v.g_values, want_g, rtol=1e-5, name="generator_loss on fixed logits")


@points(0.25)
def test_batch_mean_not_sum(v, ref):
    asserts.assert_close(v.d_repeated[0], v.d_repeated[1], rtol=1e-5, name="discriminator_loss of a repeated batch")
    asserts.assert_close(v.g_repeated[0], v.g_repeated[1], rtol=1e-5, name="generator_loss of a repeated batch")


@points(0.5)
def test_generator_gradient_does_not_saturate(v, ref):
    if not (v.g_grad is not None and (v.g_grad < -0.2).all()):
        raise AssertionError(
            "the generator loss must keep a strong gradient when D confidently rejects fakes (non-saturating form)")


# ------------------------------------------------------------------ p1_d_step_tests
def _d_loss(v, ref, g, d):
    # the grader's own step: P1.3's discriminator loss on this batch, the fakes detached
    real, fake = d(v.inputs.real), d(g(v.inputs.z).detach())
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


@points(1)
def test_one_sgd_step_on_the_discriminator_loss(v, ref):
    assert_one_sgd_step(v, v.fresh_step, "D", lambda g, d: _d_loss(v, ref, g, d), "discriminator parameters after the step",
                        "discriminator parameters after one step from where they started (one SGD step on the discriminator loss)")


# ------------------------------------------------------------------ p1_g_step_tests
def _g_loss(v, ref, g, d):
    # the grader's own step: P1.3's non-saturating generator loss on this batch
    fake = d(g(v.inputs.z))
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


@points(1.25)
def test_one_sgd_step_on_the_non_saturating_loss(v, ref):
    assert_one_sgd_step(v, v.fresh_step, "G", lambda g, d: _g_loss(v, ref, g, d), "generator parameters after the step",
                        "generator parameters after one step from where they started (one SGD step on the non-saturating loss)")



HIDDEN = {
    'p1_generator_tests': (test_one_image_at_a_time, test_training_mode_changes_nothing),
    'p1_discriminator_tests': (test_dropout_in_training_mode, test_dropout_argument_is_used),
    'p1_losses_tests': (test_values_on_fixed_logits, test_batch_mean_not_sum, test_generator_gradient_does_not_saturate),
    'p1_d_step_tests': (test_one_sgd_step_on_the_discriminator_loss,),
    'p1_g_step_tests': (test_one_sgd_step_on_the_non_saturating_loss,),
}
