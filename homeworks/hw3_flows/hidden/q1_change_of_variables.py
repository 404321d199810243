"""hw3_flows, q1_change_of_variables: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import sympy as sp
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw3_flows.checks import standard_normal_log_prob, symbols, sympy_gap

_S = symbols()  # the notebook's symbols, as its locked cells define them
X_STAR, x, x1, x2, x3 = _S['X_STAR'], _S['x'], _S['x1'], _S['x2'], _S['x3']
z, z1, z2, z3 = _S['z'], _S['z1'], _S['z2'], _S['z3']


# ------------------------------------------------------------------ q1_f_and_inverse_tests
def _x_points():
    return [{x1: a, x2: b, x3: c} for a, b, c in [
        (0, 1, sp.Rational(1, 3)), (sp.Rational(1, 2), -sp.Rational(3, 2), -2), (-1, 2, sp.Rational(5, 4)),
        (2, sp.Rational(1, 3), -sp.Rational(1, 2)), (-sp.Rational(3, 2), -1, -3), (1, 0, sp.Rational(7, 10))]]

def _z_points():
    return [{z1: a, z2: b, z3: c} for a, b, c in [
        (0, 1, sp.Rational(1, 27)), (sp.Rational(1, 2), -2, -3), (-1, sp.Rational(1, 3), 2),
        (1, 2, -5), (-sp.Rational(1, 2), -1, -sp.Rational(1, 3)), (0, 0, -8)]]

@points(0.75)
def test_f_of_f_inv_is_identity_including_negative_x3(v, ref):
    _is_the_questions_f(v, ref)
    fx = v.f.subs({z1: v.f_inv[0], z2: v.f_inv[1], z3: v.f_inv[2]}, simultaneous=True)
    if not sympy_gap(fx, x, _x_points()) < 1e-25:
        raise AssertionError(
            "f(f_inv(x)) differs from x at some points (negative x3 among them): check the order in which "
            "you solved for z3, and which cube root f uses")

def _is_the_questions_f(v, ref):
    # where the cube root's argument is positive every cube root agrees, so this holds any correct f (and a
    # float exponent), not a pair of maps that merely undo each other
    u = z3 * sp.exp(-z1) + z1 ** 2
    points = [p_ for p_ in _z_points() if u.subs(p_) > 0]
    question = sp.Matrix([z1, z2 * sp.exp(z1), u ** sp.Rational(1, 3)])
    if not sympy_gap(v.f, question, points) < 1e-9:
        raise AssertionError("f is not the map the question defines")

@points(0.75)
def test_f_inv_of_f_is_identity(v, ref):
    _is_the_questions_f(v, ref)
    zf = v.f_inv.subs({x1: v.f[0], x2: v.f[1], x3: v.f[2]}, simultaneous=True)
    if not sympy_gap(zf, z, _z_points()) < 1e-25:
        raise AssertionError("f_inv(f(z)) differs from z at some points")

@points(0.5)
def test_invertibility_decision(v, ref):
    _is_the_questions_f(v, ref)
    if v.f_is_invertible is not True:
        raise AssertionError("f_is_invertible: reconsider whether every x has exactly one preimage")


# ------------------------------------------------------------------ q1_jacobian_tests
def _reference_jacobian():
    cbrt_sq = sp.Abs(z3 * sp.exp(-z1) + z1 ** 2) ** sp.Rational(2, 3)
    return sp.Matrix([[1, 0, 0], [z2 * sp.exp(z1), sp.exp(z1), 0],
                      [(2 * z1 - z3 * sp.exp(-z1)) / (3 * cbrt_sq), 0, sp.exp(-z1) / (3 * cbrt_sq)]])

def _z_points_2():
    return [{z1: a, z2: b, z3: c} for a, b, c in [
        (0, 1, sp.Rational(1, 27)), (sp.Rational(1, 2), -2, -3), (-1, sp.Rational(1, 3), 2),
        (1, 2, -5), (-sp.Rational(1, 2), -1, -sp.Rational(1, 3)), (0, 0, -8), (2, sp.Rational(1, 2), 1)]]

@points(1.25)
def test_J_f_is_the_jacobian_of_f(v, ref):
    if not sympy_gap(v.J_f, _reference_jacobian(), _z_points_2()) < 1e-25:
        raise AssertionError(
            "J_f differs from the Jacobian of f at some points: check rows vs columns, that it is the "
            "Jacobian of f (not f_inv), and the cube root for negative arguments")

@points(1.25)
def test_det_J_f(v, ref):
    if not sympy_gap(v.det_J_f, _reference_jacobian().det(), _z_points_2()) < 1e-25:
        raise AssertionError("det_J_f differs from the determinant of the Jacobian of f at some points")


# ------------------------------------------------------------------ q1_density_tests
def _reference_p_x():
    zx = sp.Matrix([x1, x2 * sp.exp(-x1), (x3 ** 3 - x1 ** 2) * sp.exp(x1)])
    return (2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-zx.dot(zx) / 2) * 3 * x3 ** 2

@points(1.75)
def test_p_x_star_exact_value(v, ref):
    if not sympy_gap(v.p_x_star, _reference_p_x().subs(X_STAR), [{}]) < 1e-35:
        raise AssertionError(
            "p_x_star is not the density at x*: check the preimage z*, the Gaussian normaliser, and that "
            "the determinant factor belongs to f_inv (or is 1/|det J_f|)")

@points(1.75)
def test_p_x_matches_at_many_points(v, ref):
    points = [{x1: a, x2: b, x3: c} for a, b, c in [
        (0, 1, sp.Rational(1, 3)), (sp.Rational(1, 2), -sp.Rational(3, 2), -1), (-1, 2, sp.Rational(5, 4)),
        (sp.Rational(1, 4), sp.Rational(1, 3), -sp.Rational(1, 2)), (-sp.Rational(1, 2), -1, sp.Rational(3, 5))]]
    if not sympy_gap(v.p_x, _reference_p_x(), points) < 1e-30:
        raise AssertionError("p_x differs from the density of X at some points (some with negative x3)")


# ------------------------------------------------------------------ q1_torch_density_tests
@points(0.75)
def test_value_at_x_star(v, ref):
    xs = v.inputs.x_star  # x* moved by a little noise from the grader's seed
    zs = torch.stack([xs[:, 0], xs[:, 1] * torch.exp(-xs[:, 0]), (xs[:, 2] ** 3 - xs[:, 0] ** 2) * torch.exp(xs[:, 0])], 1)
    exact = standard_normal_log_prob(zs) + torch.log(3 * xs[:, 2] ** 2)
    asserts.assert_close(v.at_x_star, exact, rtol=1e-9, atol=1e-9, name="log p_X near x*")

@points(0.5)
def test_f_inv_torch_matches_f_inv(v, ref):
    xs = v.inputs.three
    want = torch.stack([xs[:, 0], xs[:, 1] * torch.exp(-xs[:, 0]),
                        (xs[:, 2] ** 3 - xs[:, 0] ** 2) * torch.exp(xs[:, 0])], dim=1)
    asserts.assert_close(v.f_inv_torch_values, want, rtol=1e-10, name="f_inv_torch(x)")

@points(0.75)
def test_nonlinear_map_in_two_dimensions(v, ref):
    xs = v.inputs.five  # g_inv is triangular, det = -(1 + 3 v1^2) exp(v0) < 0
    z_ = torch.stack([-xs[:, 0], (xs[:, 1] + xs[:, 1] ** 3) * torch.exp(xs[:, 0])], dim=1)
    want = standard_normal_log_prob(z_) + torch.log(1 + 3 * xs[:, 1] ** 2) + xs[:, 0]
    asserts.assert_close(v.under_nonlinear_map, want, rtol=1e-9, atol=1e-9, name="log p_X for a nonlinear f_inv")


HIDDEN = {
    'q1_f_and_inverse_tests': (test_f_of_f_inv_is_identity_including_negative_x3, test_f_inv_of_f_is_identity, test_invertibility_decision),
    'q1_jacobian_tests': (test_J_f_is_the_jacobian_of_f, test_det_J_f),
    'q1_density_tests': (test_p_x_star_exact_value, test_p_x_matches_at_many_points),
    'q1_torch_density_tests': (test_value_at_x_star, test_f_inv_torch_matches_f_inv, test_nonlinear_map_in_two_dimensions),
}
