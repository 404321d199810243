"""hw4_gans, p4_gan_objective: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import numpy as np
import sympy as sp
from scipy.special import xlogy

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw4_gans.checks import paired, symbols

d, p_data, p_g, pi_real = (symbols()[name] for name in ("d", "p_data", "p_g", "pi_real"))


# ------------------------------------------------------------------ p4a_tests
@points(0.25)
def test_pointwise_value(v, ref):
    asserts.assert_sympy_equal(v.V_point, p_data * sp.log(d) + p_g * sp.log(1 - d), "V_point")


@points(0.5)
def test_optimal_discriminator_with_its_general_form(v, ref):
    asserts.assert_sympy_equal(v.D_star, p_data / (p_data + p_g), "D_star")
    # D* is printed further down: its points come only with the general derivation done too
    want_pi = pi_real * p_data / (pi_real * p_data + (1 - pi_real) * p_g)
    if not asserts.sympy_equivalent(v.D_star_pi, want_pi):
        raise AssertionError(
            "D_star earns its points only together with a correct D_star_pi (the printed result alone earns nothing)")


@points(0.5)
def test_second_derivative_at_the_optimum(v, ref):
    asserts.assert_sympy_equal(v.second_derivative, -(p_data + p_g) ** 3 / (p_data * p_g), "second_derivative")


@points(1.75)
def test_optimal_discriminator_for_unbalanced_batches(v, ref):
    want = pi_real * p_data / (pi_real * p_data + (1 - pi_real) * p_g)
    asserts.assert_sympy_equal(v.D_star_pi, want, "D_star_pi")


# ------------------------------------------------------------------ p4b_tests
@points(0.25)
def test_c_point_is_the_substitution(v, ref):
    asserts.assert_sympy_equal(v.C_point, p_data * sp.log(p_data / (p_data + p_g)) + p_g * sp.log(p_g / (p_data + p_g)), "C_point")


@points(1)
def test_js_divergence_in_nats(v, ref):
    from scipy.spatial.distance import jensenshannon
    for (js, js_rev), (p, q) in paired(v.js_on_pairs, v.inputs.pairs, "results, one per pair"):
        asserts.assert_close(js, jensenshannon(p, q) ** 2, atol=1e-9, name="js_divergence")
        asserts.assert_close(js, js_rev, atol=1e-12, name="js_divergence symmetry")


@points(1)
def test_virtual_criterion_values(v, ref):
    for got, (p, q) in paired(v.vc_on_pairs, v.inputs.pairs, "results, one per pair"):
        expected = float(np.sum(xlogy(p, 2 * p / (p + q + (p + q == 0))) + xlogy(q, 2 * q / (p + q + (p + q == 0))))) - np.log(4)
        asserts.assert_close(got, expected, atol=1e-9, name="virtual_criterion")


@points(0.25)
def test_c_point_sums_to_the_criterion(v, ref):
    # lambdify writes the expression as Python source and runs it: only the two symbols' names may be in it
    asserts.assert_sympy_expr(v.C_point, "C_point", symbols=[p_data, p_g])
    f = sp.lambdify((p_data, p_g), v.C_point, "numpy")
    for got, (p, q) in paired(v.vc_on_pairs, v.inputs.pairs, "results, one per pair"):
        if np.all(p > 0) and np.all(q > 0):
            asserts.assert_close(float(np.sum(f(p, q))), got, atol=1e-9,
                                name="sum of C_point over the support versus virtual_criterion")


@points(0.5)
def test_minimum_only_at_equality(v, ref):
    for (equal, apart), (_, qs) in paired(v.vc_apart, v.inputs.apart, "results, one per distribution p"):
        asserts.assert_close(equal, -np.log(4), atol=1e-12, name="virtual_criterion(p, p)")
        for got, _ in paired(apart, qs, "values of virtual_criterion(p, q), one per q"):
            if not got > -np.log(4) + 1e-9:
                raise AssertionError("C(G) must exceed -log 4 when p_g differs from p_data")


HIDDEN = {
    'p4a_tests': (test_pointwise_value, test_optimal_discriminator_with_its_general_form, test_second_derivative_at_the_optimum, test_optimal_discriminator_for_unbalanced_batches),
    'p4b_tests': (test_c_point_is_the_substitution, test_js_divergence_in_nats, test_virtual_criterion_values, test_c_point_sums_to_the_criterion, test_minimum_only_at_equality),
}
