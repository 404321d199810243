"""hw3_flows, q3_optimal_discriminator: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import itertools

import numpy as np
import sympy as sp

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw3_flows.checks import symbols, sympy_gap

_S = symbols()  # the notebook's symbols, as its locked cells define them
D, a, alpha, b = _S['D'], _S['a'], _S['alpha'], _S['b']


# ------------------------------------------------------------------ q3_d_star_tests
@points(0.5)
def test_D_star_is_the_stationary_point(v, ref):
    asserts.assert_sympy_equal(v.D_star, a / (a + b), "D_star")

@points(0.75)
def test_second_derivative_is_negative_and_correct(v, ref):
    g_ = a * sp.log(D) + b * sp.log(1 - D)
    want = sp.diff(g_, D, 2).subs(D, a / (a + b))
    pts = [{a: sp.Rational(p), b: sp.Rational(q)} for p, q in [(1, 1), (1, 3), ("2/7", "5/11"), (9, "1/10")]]
    if not sympy_gap(v.second_derivative_at_D_star, want, pts) < 1e-25:
        raise AssertionError("second_derivative_at_D_star is not g'' at the maximiser (sign? loss vs objective?)")
    if not all(float(v.second_derivative_at_D_star.subs(p)) < 0 for p in pts):
        raise AssertionError("second_derivative_at_D_star should be negative at a maximiser")

@points(0.75)
def test_smoothed_maximiser(v, ref):
    pts = [{a: sp.Rational(p), b: sp.Rational(q), alpha: sp.Rational(r)}
           for p, q, r in [(1, 1, "1/10"), (1, 3, "1/5"), ("2/7", "5/11", "1/2"), (9, "1/10", "3/4")]]
    if not sympy_gap(v.D_star_smoothed, (1 - alpha) * a / (a + b), pts) < 1e-25:
        raise AssertionError("D_star_smoothed is not the maximiser of g_alpha (which target do real images get?)")


# ------------------------------------------------------------------ q3_discrete_discriminator_tests
@points(1)
def test_loss_value(v, ref):
    D_, p_data, p_g = v.inputs.D, v.inputs.p_data, v.inputs.p_g
    want = -(p_data * np.log(D_)).sum() - (p_g * np.log(1 - D_)).sum()
    asserts.assert_close(v.loss_value, want, rtol=1e-10, name="discriminator_loss on a 3-point example")

@points(1)
def test_optimal_discriminator_values(v, ref):
    asserts.assert_close(v.optimal_values, v.inputs.p_data / (v.inputs.p_data + v.inputs.p_g), rtol=1e-10,
                        name="optimal_discriminator on a 3-point example")

@points(0.5)
def test_no_grid_discriminator_beats_D_star(v, ref):
    losses = asserts.as_array(v.loss_on_grid, "discriminator_loss on a grid of discriminators")
    best = float(asserts.as_array(v.loss_at_optimal, "discriminator_loss at D*"))
    grid = np.array(list(itertools.product(v.inputs.grid, repeat=3)))
    want = -(np.log(grid) @ v.inputs.p_data) - (np.log(1 - grid) @ v.inputs.p_g)
    asserts.assert_close(losses, want, rtol=1e-9, name="discriminator_loss on a grid of discriminators")
    if not best <= losses.min() + 1e-12:
        raise AssertionError("a discriminator on the grid has lower loss than D*")


HIDDEN = {
    'q3_d_star_tests': (test_D_star_is_the_stationary_point, test_second_derivative_is_negative_and_correct, test_smoothed_maximiser),
    'q3_discrete_discriminator_tests': (test_loss_value, test_optimal_discriminator_values, test_no_grid_discriminator_beats_D_star),
}
