"""hw3_flows, q4_vanishing_gradients: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import sympy as sp
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw3_flows.checks import (
    OFFSETS,
    Q4,
    linear_loss,
    make_discriminator,
    make_generator,
    symbols,
    sympy_gap,
    vanishing_loss,
)

REPEATED_OFFSETS = Q4['REPEATED_OFFSETS']
h, sigma = symbols()['h'], symbols()['sigma']


# ------------------------------------------------------------------ q4_saturating_tests
def _h_points():
    return [{h: v} for v in (-7, -2, 0, sp.Rational(1, 3), 4)]

@points(0.25)
def test_derivative_of_log_one_minus_sigmoid(v, ref):
    if not sympy_gap(v.d_saturating, sp.diff(sp.log(1 - sigma), h), _h_points()) < 1e-30:
        raise AssertionError("d_saturating is not the derivative of log(1 - sigma(h)) (check the sign)")

@points(0.75)
def test_limit_in_the_perfect_discriminator_regime(v, ref):
    # the limit of the derivative: a guessed constant with no derivative behind it is no answer, so the derivative
    # must be right first
    test_derivative_of_log_one_minus_sigmoid(v, ref)
    if not (v.limit_saturating.is_number and sympy_gap(v.limit_saturating, sp.S.Zero, [{}]) < 1e-30):
        raise AssertionError(
            "limit_saturating is not the limit where the discriminator rejects fakes (which end, h -> +oo or -oo?)")


# ------------------------------------------------------------------ q4_non_saturating_tests
@points(0.25)
def test_derivative_of_minus_log_sigmoid(v, ref):
    if not sympy_gap(v.d_non_saturating, sp.diff(-sp.log(sigma), h), _h_points()) < 1e-30:
        raise AssertionError("d_non_saturating is not the derivative of -log(sigma(h)) (check the sign)")

@points(0.75)
def test_limit_does_not_vanish(v, ref):
    test_derivative_of_minus_log_sigmoid(v, ref)  # as for the saturating limit
    if not (v.limit_non_saturating.is_number and sympy_gap(v.limit_non_saturating, -sp.S.One, [{}]) < 1e-30):
        raise AssertionError("limit_non_saturating is not the limit where the discriminator rejects fakes")


# ------------------------------------------------------------------ q4_generator_losses_tests
@points(0.25)
def test_saturating_values(v, ref):
    asserts.assert_close(v.saturating_on_logits, -torch.nn.functional.softplus(v.inputs.logits).mean(),
                        rtol=1e-9, atol=1e-12, name="saturating_loss on a batch of logits")

@points(0.25)
def test_non_saturating_values(v, ref):
    asserts.assert_close(v.non_saturating_on_logits, torch.nn.functional.softplus(-v.inputs.logits).mean(),
                        rtol=1e-9, atol=1e-12, name="non_saturating_loss on a batch of logits")

@points(0.5)
def test_losses_are_differentiable(v, ref):
    s = torch.sigmoid(v.inputs.logits) / len(v.inputs.logits)
    for name, grad, want in (("saturating_loss", v.saturating_gradient, -s),
                             ("non_saturating_loss", v.non_saturating_gradient, s - 1 / len(v.inputs.logits))):
        asserts.assert_close(grad, want, rtol=1e-8, atol=1e-12,
                            name=f"the gradient of {name} (does it keep the graph, or is it detached?)")


# ------------------------------------------------------------------ q4_grad_norm_tests
def reference_grad_norm(gen, disc, zz, loss_fn):
    grads = torch.autograd.grad(loss_fn(disc(gen(zz))), list(gen.parameters()))
    return float(torch.sqrt(sum((g_ ** 2).sum() for g_ in grads)))

@points(0.5)
def test_matches_autograd_on_repeated_calls(v, ref):
    got = asserts.as_array(v.repeated_calls, "generator_grad_norm over repeated calls")
    gs = v.inputs.generator_seed + 1
    want = [reference_grad_norm(make_generator(gs), make_discriminator(c), v.inputs.z32, fn)
            for c in REPEATED_OFFSETS for fn in (vanishing_loss, linear_loss)]
    asserts.assert_close(got, want, rtol=1e-8, atol=1e-14,
                        name="generator_grad_norm (called several times on one generator)")

def _over_offsets(v, ref, fn):
    gen = make_generator(v.inputs.generator_seed + 2)
    return [reference_grad_norm(gen, make_discriminator(c), v.inputs.z64, fn) for c in OFFSETS]

@points(0.5)
def test_gradient_vanishes_monotonically(v, ref):
    norms = asserts.as_array(v.vanishing_over_offsets, "generator_grad_norm over offsets")
    asserts.assert_close(norms, _over_offsets(v, ref, vanishing_loss), rtol=1e-8, atol=1e-14,
                        name="generator_grad_norm as the discriminator grows certain (a loss that saturates)")
    if not (all(n1 < n0 for n0, n1 in zip(norms, norms[1:], strict=False)) and norms[-1] < 1e-4 * norms[0]):
        raise AssertionError(
            "the gradient norm of a saturating-like loss should shrink towards zero as the discriminator grows certain")

@points(0.5)
def test_gradient_survives(v, ref):
    norms = asserts.as_array(v.linear_over_offsets, "generator_grad_norm over offsets")
    asserts.assert_close(norms, _over_offsets(v, ref, linear_loss), rtol=1e-8, atol=1e-14,
                        name="generator_grad_norm as the discriminator grows certain (a loss linear in the logits)")
    if not norms[-1] > 0.5 * norms[0]:
        raise AssertionError("the gradient norm of a loss linear in the logits should not vanish")


HIDDEN = {
    'q4_saturating_tests': (test_derivative_of_log_one_minus_sigmoid, test_limit_in_the_perfect_discriminator_regime),
    'q4_non_saturating_tests': (test_derivative_of_minus_log_sigmoid, test_limit_does_not_vanish),
    'q4_generator_losses_tests': (test_saturating_values, test_non_saturating_values, test_losses_are_differentiable),
    'q4_grad_norm_tests': (test_matches_autograd_on_repeated_calls, test_gradient_vanishes_monotonically, test_gradient_survives),
}
