"""hw4_gans, p3_conditional_gan: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import torch
import torch.nn.functional as F
from torch import nn

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw4_gans.checks import LABELS as CGAN_LABELS
from homeworks.hw4_gans.checks import OTHER_LABELS as CGAN_OTHER_LABELS
from homeworks.hw4_gans.checks import assert_trainable, load_by_shape, paired, value

from .common import assert_one_sgd_step
from .references import either_order


# ------------------------------------------------------------------ p3_cond_generator_tests
def _assert_stated_order(out, params, z, labels, what, hint=""):
    # the statement's generator reads [z, e(y)], noise first (as the draw from the handed-in weights does): the same
    # layers reading [e(y), z] are another network, named in the message
    stated, swapped = either_order(params, z, labels)
    def gives(want):
        return isinstance(out, torch.Tensor) and out.shape == want.shape and torch.allclose(out, want, rtol=1e-4,
                                                                                             atol=1e-5)
    if gives(swapped):
        raise AssertionError(
            f"{what} gives what [e(y), z] gives, the embedding first: the statement "
            "concatenates [z, e_G(y)], noise first")
    if not gives(stated):
        raise AssertionError(f"{what} does not give the statement's network's images{hint}")


@points(0.5)
def test_one_image_at_a_time(v, ref):
    assert_trainable(v.trainable, "ConditionalGenerator()")
    # four (z, label) pairs one by one: each image as the statement's network gives it (no batch statistics)
    _assert_stated_order(v.one_at_a_time, v.inputs.g_params, v.inputs.z12[:4], torch.arange(4),
                         "ConditionalGenerator() on one (z, label) at a time")


@points(0.5)
def test_saturates_like_a_tanh(v, ref):
    assert_trainable(v.trainable, "ConditionalGenerator()")
    _assert_stated_order(v.saturated, [p * 20 for p in v.inputs.g_params], v.inputs.z12, torch.arange(12) % 10,
                         "ConditionalGenerator() with every parameter 20x larger", " (tanh?)")


# ------------------------------------------------------------------ p3_cond_discriminator_tests
def _kit_train_logits(v, ref, params):
    # the statement's conditional discriminator in training mode, dropout masks from the probe's seed
    embed = nn.Embedding(10, 10)
    layers, width_in = [], 794
    for width in (512, 256, 128):
        layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(0.3)]
        width_in = width
    net = nn.Sequential(*layers, nn.Linear(width_in, 1))
    holder = nn.ModuleDict({"embed": embed, "net": net})
    load_by_shape(holder, params, "the kit's network")
    h = torch.cat([v.inputs.x32, embed(torch.arange(32) % 10)], dim=1)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(v.inputs.dropout_seed)
        return net.train()(h)


@points(0.75)
def test_dropout_in_training_mode(v, ref):
    # dropout as stated, whichever order the inputs are read in (the visible test of the logits checks the order)
    assert_trainable(v.trainable, "ConditionalDiscriminator()")
    params = v.inputs.d_params
    swapped = [torch.cat([p[:, 10:], p[:, :10]], dim=1) if p.dim() == 2 and p.shape[1] == 794 else p for p in params]
    ok = any(v.train_out.shape == w.shape and torch.allclose(v.train_out, w, rtol=1e-4, atol=1e-5)
             for w in (_kit_train_logits(v, ref, params), _kit_train_logits(v, ref, swapped)))
    if not ok:
        raise AssertionError(
            "ConditionalDiscriminator() in training mode (dropout 0.3 after each hidden layer, same masks) differs")


# ------------------------------------------------------------------ p3_cgan_steps_tests
def _bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(target)))


def _d_loss(v, ref, g, d):
    # the grader's own conditional step: the batch's labels for the reals, the fakes and the judge alike
    y = torch.tensor(CGAN_LABELS)
    return _bce(d(v.inputs.real, y), 1) + _bce(d(g(v.inputs.z, y).detach(), y), 0)


def _g_loss(v, ref, g, d):
    y = torch.tensor(CGAN_OTHER_LABELS)
    return _bce(d(g(v.inputs.z_g, y), y), 1)


def _compare(v, ref, record, player, loss, name):
    assert_one_sgd_step(v, record, player, loss, "parameters after the step", name, n_classes=10)
    for p, w in paired(value(record, "the step")["other_after"], v.inputs.G0 if player == "D" else v.inputs.D0, "parameters of the other player"):
        asserts.assert_close(p, w, atol=0, rtol=0, name="the other player's parameters after the step (its seeded start)")


@points(0.75)
def test_discriminator_step_uses_the_batch_labels_everywhere(v, ref):
    _compare(v, ref, v.d_fresh, "D", lambda g, d: _d_loss(v, ref, g, d), "discriminator parameters after one conditional step from where they started")


@points(0.75)
def test_generator_step_uses_the_requested_labels(v, ref):
    _compare(v, ref, v.g_fresh, "G", lambda g, d: _g_loss(v, ref, g, d), "generator parameters after one conditional step from where they started")


@points(0.25)
def test_generator_step_clears_old_gradients(v, ref):
    _compare(v, ref, v.g_stale, "G", lambda g, d: _g_loss(v, ref, g, d),
             "generator parameters after a conditional step that follows an earlier one (old gradients cleared?)")


HIDDEN = {
    'p3_cond_generator_tests': (test_one_image_at_a_time, test_saturates_like_a_tanh),
    'p3_cond_discriminator_tests': (test_dropout_in_training_mode,),
    'p3_cgan_steps_tests': (test_discriminator_step_uses_the_batch_labels_everywhere, test_generator_step_uses_the_requested_labels, test_generator_step_clears_old_gradients),
}
