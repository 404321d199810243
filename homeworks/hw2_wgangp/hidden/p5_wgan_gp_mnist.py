"""hw2_wgangp, p5_wgan_gp_mnist: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw2_wgangp.checks import toy_scores
from homeworks.hw2_wgangp.checks.common import has_embed_bias
from homeworks.hw2_wgangp.checks.p5_wgan_gp_mnist import covers_the_batch

from .common import assert_input_gradient_of, assert_scores_of
from .references import reference_critic


# ------------------------------------------------------------------ p5_critic_tests
# The grader's own critic (the statement's), with the check's weights, drawn from the seed by role as the probe drew
# them into yours.
def _reference_critic(v, ref):
    return reference_critic(v.inputs.seed, 1, embed_bias=has_embed_bias(v.embed_bias))

@points(1)
def test_scores_of_the_critic(v, ref):
    assert_scores_of(_reference_critic(v, ref), v,
                     "the critic does not return one score per image, shape (N,) (squeeze the head's last dimension)")

@points(1.5)
def test_input_gradient_of_the_critic(v, ref):
    assert_input_gradient_of(_reference_critic(v, ref), v, "the gradient of the scores with respect to the images")


# ------------------------------------------------------------------ p5_gradient_penalty_tests
# On a bowl critic D(x) = a/2 ||x - c||^2, fake points at c and real points at distance 2 from c, the
# gradient norm at x_hat is 2 a eps: the penalty is E(2 a eps - 1)^2 over eps ~ U[0, 1].
def _given_x_hat_of_the_shape_of_x_real(v, ref):
    # x_hat whole, or split into batches (a loop over the samples: valid, as the critic has no BatchNorm)
    if not covers_the_batch(v.shapes_seen, 3, [1, 2, 2]):
        raise AssertionError(
            "the critic is not given x_hat of the shape of x_real (one eps per sample, broadcast over its pixels)")

@points(2.5)
def test_evaluated_at_random_interpolates(v, ref):
    _given_x_hat_of_the_shape_of_x_real(v, ref)
    if len(v.bowl_values) != 4:
        raise AssertionError("the penalty was not evaluated four times")
    for gp in v.bowl_values:
        if not abs(float(gp) - 1 / 3) < 0.03:
            raise AssertionError(
                "on a critic whose gradient norm changes along the segment from fake to "
                "real, the penalty is off: evaluate it at x_hat = eps*x + (1-eps)*G(z) "
                "with one eps ~ U[0,1] per sample, norm over all pixels, mean over the batch")

@points(2)
def test_derivative_in_the_critic_parameters(v, ref):
    # at a = 1/2 every interpolate has gradient norm below 1, so only the two-sided penalty has a derivative here
    _given_x_hat_of_the_shape_of_x_real(v, ref)
    if not v.bowl_half["requires_grad"]:
        raise AssertionError(
            "gradient_penalty is not differentiable with respect to the critic's parameters: "
            "was the input gradient taken with create_graph=True, and not detached?")
    # four draws: E 4 eps (eps - 1) = -2/3 to 10 standard errors at 4,000 samples; one eps for the whole batch lands
    # within 0.05 of it in 9% of draws, in all four in 6 of 100,000
    derivatives = v.bowl_half_derivative
    if not (isinstance(derivatives, list) and len(derivatives) == 4
            and all(d is not None and abs(float(d) + 2 / 3) < 0.05 for d in derivatives)):
        raise AssertionError("the penalty's derivative with respect to the critic's parameters is wrong")


# ------------------------------------------------------------------ p5_losses_tests
def _wasserstein(w, real, fake):
    return toy_scores(w, fake).mean() - toy_scores(w, real).mean()

@points(0.5)
def test_critic_loss_value_and_sign(v, ref):
    want = _wasserstein(v.inputs.w_unit, v.inputs.sign_real, v.inputs.sign_fake)
    asserts.assert_close(v.value_and_sign, want, atol=1e-4,
                        name="critic_loss of a 1-Lipschitz linear critic (penalty 0): sign or mean?")

@points(1.25)
def test_critic_loss_includes_the_penalty_times_lambda(v, ref):
    base = _wasserstein(v.inputs.w_two, v.inputs.pen_real, v.inputs.pen_fake)   # a critic whose penalty is exactly 1
    asserts.assert_close(v.with_penalty, base + 10.0, atol=1e-3,
                        name="critic_loss with the default lambda when the penalty is 1")

@points(0.75)
def test_generator_loss_keeps_the_graph_to_the_samples(v, ref):
    loss = v.generator_graph["loss"]
    asserts.assert_close(loss, -toy_scores(v.inputs.w_mid, v.inputs.graph_fake).mean(), atol=1e-5,
                        name="generator_loss (sign? mean?)")
    if not (isinstance(loss, torch.Tensor) and loss.requires_grad):
        raise AssertionError("generator_loss must stay differentiable with respect to the fake images")
    if v.generator_graph["grad_reaches_the_samples"] is not True:
        raise AssertionError("generator_loss must stay differentiable with respect to the fake images")


# ------------------------------------------------------------------ p5_optimizers_tests
# No hidden test: the visible tests step each optimiser with the grading seed's gradients when graded and compare
# with the course's Adam (betas (0.0, 0.9)) run in the judge.


# ------------------------------------------------------------------ p5_critic_step_tests
# No hidden test: the visible tests run the step on the grading seed's toys when graded (fresh and stale gradients)
# and compare with the grader's step computed in the judge.


# ------------------------------------------------------------------ p5_generator_step_tests
# No hidden test: the visible tests run the step on the grading seed's toys when graded (fresh and stale gradients)
# and compare with the grader's step computed in the judge.


# ------------------------------------------------------------------ p5_mnist_samples_tests
# No hidden test: both tests are visible (the rule is stated). The grader leaves its draw, made from the file as
# handed in, in the submission's autograded folder for the class dashboard through ref.keep in the first visible test
# (checks/p5_deliverables.py's _keep_the_draw): a hidden test must earn points, and the draw decides none.


HIDDEN = {
    'p5_critic_tests': (test_scores_of_the_critic, test_input_gradient_of_the_critic),
    'p5_gradient_penalty_tests': (test_evaluated_at_random_interpolates, test_derivative_in_the_critic_parameters),
    'p5_losses_tests': (test_critic_loss_value_and_sign, test_critic_loss_includes_the_penalty_times_lambda, test_generator_loss_keeps_the_graph_to_the_samples),
    'p5_optimizers_tests': (),
    'p5_critic_step_tests': (),
    'p5_generator_step_tests': (),
    'p5_mnist_samples_tests': (),
}
