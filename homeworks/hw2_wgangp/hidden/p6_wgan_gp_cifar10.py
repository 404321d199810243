"""hw2_wgangp, p6_wgan_gp_cifar10: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw2_wgangp.checks import kit_residual_block, roles
from homeworks.hw2_wgangp.checks.common import has_embed_bias

from .common import assert_input_gradient_of, assert_scores_of
from .references import reference_cifar_generator, reference_critic


# ------------------------------------------------------------------ p6_generator_tests
# The grader's own CIFAR-10 generator (the statement's), with the check's weights (drawn from the seed by role, as the
# probe drew them into yours), in train mode as the probe ran it.
def _reference_trace(v, ref):
    with torch.no_grad():
        return reference_cifar_generator(v.inputs.seed)(v.inputs.z4.clone())

def _traced(v, ref, name, what):
    got = v.traced[name]
    want = _reference_trace(v, ref)[name]
    shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
    if shape != tuple(want.shape):
        raise AssertionError(f"{what} has the wrong shape ({shape})")
    asserts.assert_close(got, want, rtol=1e-4, atol=1e-4, name=f"{what}, given the same weights as the given Generator")

@points(0.75)
def test_blocks_work_on_an_eight_by_eight_map(v, ref):
    _traced(v, ref, "seed_map", "the map the first residual block is given")

@points(1.5)
def test_three_colour_channels_at_32_by_32(v, ref):
    _traced(v, ref, "last_conv", "the last convolution's output (before the per-pixel bias)")

@points(1)
def test_images_with_a_learned_per_pixel_bias_and_sigmoid(v, ref):
    _traced(v, ref, "images", "the images (a per-pixel bias per colour channel, then a sigmoid; pixels in (0, 1), shape (N, 3, 32, 32))")


# ------------------------------------------------------------------ p6_critic_tests
# The grader's own CIFAR-10 critic (the statement's), with the check's weights, drawn from the seed by role as the probe
# drew them into yours.
def _reference_critic(v, ref):
    return reference_critic(v.inputs.seed, 3, embed_bias=has_embed_bias(v.embed_bias))

@points(0.75)
def test_scores_of_colour_images(v, ref):
    assert_scores_of(_reference_critic(v, ref), v, "the critic does not return one score per colour image, shape (N,) "
                                                   "(does its first convolution read 3 channels?)")

@points(0.75)
def test_every_colour_channel_matters(v, ref):
    assert_input_gradient_of(_reference_critic(v, ref), v,
                             "the gradient of the scores with respect to the three colour channels")

@points(0.75)
def test_every_parameter_gets_its_gradient(v, ref):
    critic = _reference_critic(v, ref)
    critic(v.inputs.three.clone()).sum().backward()
    want = {r: t.grad for r, t in roles(critic, type(kit_residual_block(1))) if isinstance(t, torch.nn.Parameter)}
    got = v.gradients["parameters"]
    if not (set(got) == set(want) and all(got[r] is not None for r in want)):
        raise AssertionError(
            "some critic parameters get no gradient from the score (unused layers?), or the critic has other layers")
    for r in want:
        asserts.assert_close(got[r], want[r], rtol=1e-4, atol=1e-5, name="the gradient of a critic parameter")


# ------------------------------------------------------------------ p6_schedule_tests
@points(0.5)
def test_cut_after_eighty_epochs(v, ref):
    want = [3e-4, 3e-4, 3e-4, 3e-5, 3e-5, 3e-5]
    if not (len(v.around_the_cut) == len(want) and all(abs(float(g) - w) < 1e-15 for g, w in zip(v.around_the_cut, want, strict=True))):
        raise AssertionError(
            "the 100-epoch schedule is wrong around the cut (80 epochs at the initial rate, then the low one)")
    for epoch, (got, _) in zip(v.inputs.epochs, v.random_epochs, strict=True):
        if not abs(float(got) - (3e-4 if epoch < 80 else 3e-5)) < 1e-15:
            raise AssertionError("the 100-epoch schedule is wrong (80 epochs at the initial rate, then the low one)")


HIDDEN = {
    'p6_generator_tests': (test_blocks_work_on_an_eight_by_eight_map, test_three_colour_channels_at_32_by_32, test_images_with_a_learned_per_pixel_bias_and_sigmoid),
    'p6_critic_tests': (test_scores_of_colour_images, test_every_colour_channel_matters, test_every_parameter_gets_its_gradient),
    'p6_schedule_tests': (test_cut_after_eighty_epochs,),
}
