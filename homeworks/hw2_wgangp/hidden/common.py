"""hw2_wgangp's hidden tests: what several parts share (the grader's alone, never a student's).

P1(c)/P2(c)'s Monte-Carlo error and the test that perturbed critics score lower; P5(a)/P6(a)'s comparison of the
student's critic with the grader's on the check's weights.
"""
import math

import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points


# ------------------------------------------------------------------ p1_objective_tests, p2_objective_tests
def standard_error(on_p, on_q):
    """The standard error of mean(on_p) - mean(on_q), two means over independent samples."""
    return math.sqrt(float(on_p.var()) / len(on_p) + float(on_q.var()) / len(on_q))

@points(0.5)
def test_other_critics_score_lower(v, ref):
    best = float(v.at_optimum)
    if len(v.perturbed) != 4:
        raise AssertionError("the objective was not evaluated at every perturbed critic")
    for k, value in enumerate(v.perturbed):
        if not float(value) < best:
            raise AssertionError(
                f"a perturbed critic (number {k}) scores at least as high as d*: check the objective and d*")


# ------------------------------------------------------------------ p5_critic_tests, p6_critic_tests
def assert_scores_of(critic, v, wrong_shape):
    """The student's scores of the check's five images, and of two of them inside a batch of six, against the grader's
    ``critic``; ``wrong_shape``: what to say when they are not one score per image."""
    with torch.no_grad():
        want, first_two = critic(v.inputs.five), critic(v.inputs.six[:2])
    if not (isinstance(v.scores, torch.Tensor) and tuple(v.scores.shape) == (5,)):
        raise AssertionError(wrong_shape)
    asserts.assert_close(v.scores, want, rtol=1e-4, atol=1e-4, name="the critic's scores, given the same weights")
    asserts.assert_close(v.per_sample, first_two, rtol=1e-4, atol=1e-4,
                        name="the scores of two images computed inside a larger batch (no BatchNorm?)")

def assert_input_gradient_of(critic, v, name):
    """The gradient of the student's scores of the check's three images with respect to them against the grader's
    ``critic``'s (``name``: what the gradient is, for the message)."""
    x = v.inputs.three.clone().requires_grad_(True)
    critic(x).sum().backward()
    asserts.assert_close(v.gradients["input"], x.grad, rtol=1e-4, atol=1e-5, name=name)
