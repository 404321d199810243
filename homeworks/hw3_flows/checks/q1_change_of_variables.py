"""hw3_flows, Q1 (change of variables): the map f and its inverse, its Jacobian, the density of X at x* and a flow's
log-density in torch.

The part's test cells' inputs, probes, visible tests and ``CheckSpec``s.
"""
from __future__ import annotations

import math

from dgmlab.probes import WORKING_SEED, CheckSpec, _np, _sp, _torch, asserts, attempt, on_working, with_working, working
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.asserts import has_float, sympy_gap
from dgmlab.probes.points import points

from .common import _is_matrix, _randn, standard_normal_log_prob, symbols

Z0 = ("1/2", "-1", "1/5")  # a latent point where the cube root's argument is positive
Z1 = ("1/2", "-1", "-1")  # one where it is negative (the real cube root matters)
X_POS, X_NEG = ("0", "1", "2"), ("1/2", "-3/2", "-2")  # a point with x3 > 0, one with x3 < 0


def _rational(rng, low: int, high: int, den: int) -> str:
    """A rational k / den, k drawn in [low, high], written as a string ("-3/4")."""
    from fractions import Fraction

    return str(Fraction(int(rng.integers(low, high + 1)), den))


def _q1_points(seed):
    """Where Q1's sympy answers are compared with the grader's values: the working seed's are the points the messages
    name (:data:`Z0`, :data:`Z1`, :data:`X_POS`, :data:`X_NEG`); any other seed (graded) draws its own of the same
    kinds, so the values recorded for the working points answer nothing there: ``z_pos`` a latent point where the cube
    root's argument z3 e^{-z1} + z1^2 is positive (at least 1/10), ``z_neg`` one where it is at most -1/10, ``x_pos``
    and ``x_neg`` points with x3 > 0 and x3 < 0."""
    if int(seed) == WORKING_SEED:
        return {"z_pos": Z0, "z_neg": Z1, "x_pos": X_POS, "x_neg": X_NEG}
    from fractions import Fraction

    rng = _np().random.default_rng(int(seed) + 11)

    def latent(sign):
        while True:
            z = (_rational(rng, -6, 6, 4), _rational(rng, -6, 6, 3), _rational(rng, -30, 30, 5))
            z1, z3 = (float(Fraction(t)) for t in (z[0], z[2]))
            if sign * (z3 * math.exp(-z1) + z1 ** 2) >= 0.1:
                return z

    x_pos = (_rational(rng, -6, 6, 4), _rational(rng, -6, 6, 3), _rational(rng, 1, 15, 5))
    x_neg = (_rational(rng, -6, 6, 4), _rational(rng, -6, 6, 3), _rational(rng, -15, -1, 5))
    return {"z_pos": latent(1), "z_neg": latent(-1), "x_pos": x_pos, "x_neg": x_neg}


def _shown(point) -> str:
    return "(" + ", ".join(point) + ")"


def _exact(point, names):
    """``{symbol: exact number}`` for a point written as strings ("1/2", "-1")."""
    sp, s = _sp(), symbols()
    return dict(zip((s[n] for n in names), (sp.Rational(t) for t in point), strict=True))


# ------------------------------------------------------------------ Q1(a)
def _involves(value, name, names) -> None:
    """``value`` (a sympy object) depends on each symbol of ``names``: a constant, or a line in one coordinate, is no
    map of them."""
    missing = [n for n in names if symbols()[n] not in value.free_symbols]
    if missing:
        raise AssertionError(
            f"{name} does not involve {', '.join(missing)}: it is a function of ({', '.join(names)}), each entry as the "
            f"question defines it")


@points(0.5)
def test_f_is_a_3x1_matrix_in_z(v, ref):
    sp, s = _sp(), symbols()
    _is_matrix(v.f, "f", (3, 1), [s["z1"], s["z2"], s["z3"]], sp)
    _involves(v.f, "f", ("z1", "z2", "z3"))
    if has_float(v.f):
        raise AssertionError(
            f"expected exact numbers, found floats {sorted(v.f.atoms(sp.Float))[:3]} in f: "
            f"an exponent written 1/3 becomes 0.333...; write sp.Rational(1, 3) or use sp.real_root")


@points(0.5)
def test_f_inv_is_a_3x1_matrix_in_x(v, ref):
    sp, s = _sp(), symbols()
    _is_matrix(v.f_inv, "f_inv", (3, 1), [s["x1"], s["x2"], s["x3"]], sp)
    _involves(v.f_inv, "f_inv", ("x1", "x2", "x3"))
    if has_float(v.f_inv):
        raise AssertionError(
            f"expected exact numbers, found floats {sorted(v.f_inv.atoms(sp.Float))[:3]} "
            f"in f_inv: keep it exact (sp.Rational, not 1/3)")


@points(0.5)
def test_f_is_the_questions_map_at_one_point(v, ref):
    # against the question's map at z = (1/2, -1, 1/5) (graded: the grading seed's point), evaluated by the grader
    # (recorded for the working point), not against the student's f
    at = v.inputs.working["z_pos"]
    if not sympy_gap(v.f, ref["f_at_z_pos"], [_exact(at, ("z1", "z2", "z3"))]) < 1e-9:
        raise AssertionError(f"f at z = {_shown(at)} is not the map the question defines")


@points(0.5)
def test_round_trip_at_one_point(v, ref):
    # f_inv(x) against the point the question's map sends to x (the grader's root finding, recorded for the working
    # point), so that f(f_inv(x)) = x holds for the question's f, whatever the student's own f
    at = v.inputs.working["x_pos"]
    if not sympy_gap(v.f_inv, ref["f_inv_at_x_pos"], [_exact(at, ("x1", "x2", "x3"))]) < 1e-25:
        raise AssertionError(
            f"the question's f applied to f_inv(x) is not x at x = {_shown(at)}: a wrong last entry often means x3 was "
            "solved for in the wrong order")


@points(1)
def test_round_trip_with_negative_x3(v, ref):
    # both maps against the question's (recorded for the working points) where the cube root's argument is negative:
    # f at z = (1/2, -1, -1), and f_inv at x = (1/2, -3/2, -2) against the point the question's map sends there
    z_at, x_at = v.inputs.working["z_neg"], v.inputs.working["x_neg"]
    if not sympy_gap(v.f, ref["f_at_z_neg"], [_exact(z_at, ("z1", "z2", "z3"))]) < 1e-9:
        raise AssertionError(
            f"f at z = {_shown(z_at)}, where z3 e^{{-z1}} + z1^2 < 0, is not the map the question defines: check which "
            "cube root f uses (the real one)")
    point = _exact(x_at, ("x1", "x2", "x3"))
    if sympy_gap(v.f_inv, ref["f_inv_at_x_neg"], [point]) < 1e-25:
        return
    off = [i for i in range(3) if sympy_gap(v.f_inv[i, :], ref["f_inv_at_x_neg"][i, :], [point]) >= 1e-25]
    hint = ("solve x3 = (z3 e^{-z1} + z1^2)^(1/3) for z3 one step at a time (cube, subtract, then undo e^{-z1}), "
            "minding the order of the steps and the sign of each exponent") if off == [2] else \
        f"check entries {', '.join(str(i + 1) for i in off)} of f_inv (each undoes one entry of f)"
    raise AssertionError(f"the question's f applied to f_inv(x) is not x at x = {_shown(x_at)}, where x3 < 0: {hint}")


# ------------------------------------------------------------------ Q1(b)
def _not_constant(value, name) -> None:
    if not getattr(value, "free_symbols", None):
        raise AssertionError(
            f"{name} is a constant: the derivatives of f change with z, so {name} is an expression in z")


@points(1)
def test_J_f_is_3x3_in_z(v, ref):
    s = symbols()
    _is_matrix(v.J_f, "J_f", (3, 3), [s["z1"], s["z2"], s["z3"]], _sp())
    _not_constant(v.J_f, "J_f")


@points(0.5)
def test_det_is_an_expression_in_z(v, ref):
    s = symbols()
    asserts.assert_sympy_expr(v.det_J_f, "det_J_f", symbols=[s["z1"], s["z2"], s["z3"]])
    _not_constant(v.det_J_f, "det_J_f")


@points(0.5)
def test_first_row_is_the_derivative_of_z1(v, ref):
    sp = _sp()
    _not_constant(v.J_f, "J_f")
    if sympy_gap(v.J_f[0, :], sp.Matrix([[1, 0, 0]]), [{}]) != 0:
        raise AssertionError(
            "the first row of J_f is not the derivatives of f_1 = z1: rows are outputs and columns inputs; "
            "exp terms there often mean J_f was transposed or is the Jacobian of f_inv")


@points(0.5)
def test_det_is_the_determinant_of_J_f(v, ref):
    # against the determinant of the grader's finite-difference Jacobian of the question's map (recorded for the
    # working point; not the student's J_f)
    at = v.inputs.working["z_pos"]
    sp, point = _sp(), _exact(at, ("z1", "z2", "z3"))
    want = ref["det_at_z_pos"]
    if sympy_gap(v.det_J_f, want, [point]) < 1e-20:
        return
    hint = ""
    if sympy_gap(v.det_J_f, 1 / want, [point]) < 1e-20:
        hint = ": that is 1/det, the determinant of the Jacobian of f_inv"
    elif isinstance(v.J_f, sp.MatrixBase) and v.J_f.shape == (3, 3) and sympy_gap(v.det_J_f, v.J_f.det(), [point]) < 1e-25:
        hint = ": it is the determinant of your J_f, so J_f is off there too"
    raise AssertionError(f"det_J_f at z = {_shown(at)} is not the determinant of the Jacobian of f{hint}")


@points(1)
def test_J_f_matches_finite_differences_at_one_point(v, ref):
    # against the grader's finite differences of the question's map there (recorded for the working point)
    at = v.inputs.working["z_neg"]
    if not sympy_gap(v.J_f, ref["J_f_at_z_neg"], [_exact(at, ("z1", "z2", "z3"))]) < 1e-20:
        raise AssertionError(
            f"J_f at z = {_shown(at)} differs from finite differences of f (with the real cube root): entry "
            "(i, j) is d f_i / d z_j (is it transposed, the Jacobian of f_inv, or another cube root?)")


# ------------------------------------------------------------------ Q1(c)
@points(0.5)
def test_p_x_is_an_expression_in_x(v, ref):
    s = symbols()
    asserts.assert_sympy_expr(v.p_x, "p_x", symbols=[s["x1"], s["x2"], s["x3"]])
    _involves(v.p_x, "p_x", ("x1", "x2", "x3"))


@points(0.5)
def test_p_x_star_is_an_exact_positive_number(v, ref):
    sp = _sp()
    asserts.assert_sympy_expr(v.p_x_star, "p_x_star", symbols=[])
    if has_float(v.p_x_star):
        raise AssertionError(
            f"expected an exact number, found floats {sorted(v.p_x_star.atoms(sp.Float))[:3]} "
            f"in p_x_star: keep it exact")
    value = asserts.sympy_number(v.p_x_star, {}, "p_x_star")
    if not (value.imag == 0 and 0 < value.real < 1):
        raise AssertionError(f"expected a density value in (0, 1) at x*, found {value:.6g}")
    try:
        own = asserts.as_sympy(v.p_x, "p_x").subs(symbols()["X_STAR"])
    except (AssertionError, TypeError, ValueError, AttributeError):
        own = None
    if not (own is not None and sympy_gap(v.p_x_star, own, [{}]) < 1e-30):
        raise AssertionError(
            "p_x_star is not your p_x at x* = (0, 1, 1/3): evaluate p_x there (p_x.subs(X_STAR), exactly)")


def number_digest(value) -> str | None:
    """SHA-256 of ``value`` (a sympy number) rounded to 22 decimal places, or None when it is no real number. p(x*)
    is one fixed number, the answer itself: the kit records its digest, never the value (the grader computes it)."""
    import decimal
    import hashlib

    sp = _sp()
    try:
        number = complex(sp.N(asserts.as_sympy(value, "the value"), 40))
        text = str(sp.N(sp.re(asserts.as_sympy(value, "the value")), 40))
        rounded = decimal.Decimal(text).quantize(decimal.Decimal("1e-22"), rounding=decimal.ROUND_HALF_EVEN)
    except (AssertionError, TypeError, ValueError, ZeroDivisionError, decimal.InvalidOperation):
        return None
    if abs(number.imag) > 1e-30 or not math.isfinite(number.real):
        return None
    return hashlib.sha256(f"{rounded:.22f}".encode()).hexdigest()


@points(0.5)
def test_p_x_star_is_p_x_at_x_star(v, ref):
    # against the digest of the grader's p_Z(z*) / |det df/dz(z*)| at z* = f^{-1}(x*), found numerically from the
    # question's map (recorded as a digest: the number is the answer)
    s = symbols()
    want = ref["p_x_star_digest"]
    if number_digest(v.p_x_star) == want:
        return
    hint = " (check z* = f^{-1}(x*), the Gaussian normaliser and the determinant factor)"
    try:
        at_x_star = asserts.as_sympy(v.p_x, "p_x").subs(s["X_STAR"])
    except (AssertionError, TypeError, ValueError, AttributeError):
        at_x_star = None
    if at_x_star is not None and number_digest(at_x_star) == want:
        hint = ": your p_x is right at x*, so evaluate it there again (p_x.subs(X_STAR), exactly)"
    elif at_x_star is not None and sympy_gap(v.p_x_star, at_x_star, [{}]) < 1e-30:
        hint = ": it is your p_x at x*, so p_x is off there too (see the change-of-variables test)"
    raise AssertionError(f"p_x_star is not the density of X at x* = (0, 1, 1/3){hint}")


@points(2)
def test_change_of_variables_at_one_point(v, ref):
    # p_x at x = f(z) for z = (1/2, -1, -1) (graded: the grading seed's point) against the grader's
    # p_Z(z) / |det df/dz(z)| there (recorded for the working point)
    s = symbols()
    want, z_at = ref, v.inputs.working["z_neg"]
    det = want["det_at_z_neg"]
    at = dict(zip((s["x1"], s["x2"], s["x3"]), want["x_of_z_neg"], strict=True))
    try:
        got = asserts.sympy_number(v.p_x, at, "p_x", digits=40)
    except (TypeError, ValueError, ZeroDivisionError):
        raise AssertionError(f"p_x does not evaluate to a number at x = f{_shown(z_at)}") from None
    ratio = got / float(want["p_x_at_x_of_z_neg"])
    if abs(ratio - float(det) ** 2) < 1e-9:
        hint = ": it looks multiplied by |det df/dz|, which should divide (or use |det df_inv/dx|)"
    elif abs(ratio - float(det)) < 1e-9:
        hint = ": the determinant factor seems to be missing"
    else:
        hint = " (check z = f_inv(x) in the Gaussian, its normaliser, and the determinant factor)"
    if not abs(ratio - 1) < 1e-12:
        raise AssertionError(f"p_x(f(z)) * |det df/dz(z)| is not p_Z(z) at z = {_shown(z_at)}{hint}")


# ------------------------------------------------------------------ Q1(d)
def _g_inv(t):
    """A triangular map of the plane with a negative Jacobian determinant everywhere."""
    torch = _torch()
    return torch.stack([-t[:, 0], (t[:, 1] + t[:, 1] ** 3) * torch.exp(t[:, 0])], dim=1)


LINEAR_A = ((0.0, 2.0), (1.5, 0.5))  # det = -3


def _torch_density_inputs(seed):
    torch, g = _torch(), _gen(seed, 1)
    return {"small": torch.tensor([[0.0, 1.0, 0.5], [0.3, -0.2, 1.1]], dtype=torch.float64),
            "four": _randn(g, 4, 3), "three": _randn(g, 3, 3), "six": _randn(g, 6, 2), "five": _randn(g, 5, 2),
            "x_star": torch.tensor([[0.0, 1.0, 1.0 / 3.0]], dtype=torch.float64) + 0.05 * _randn(g, 1, 3),
            "A": torch.tensor(LINEAR_A, dtype=torch.float64),
            "rows": 1.5 * _randn(g, 5, 2), "scales": 0.5 + torch.rand(2, generator=g, dtype=torch.float64)}


def _sinh_inv(t):
    """An elementwise map whose Jacobian changes from row to row: f_inv(x) = sinh(x), log|det| = sum log cosh(x)."""
    return _torch().sinh(t)


def _scale_gradient(flow_log_prob, x, scales):
    """d/ds of sum_n flow_log_prob(x_n) for f_inv(x) = s * x (a learnable scale per coordinate): whether the
    log-density stays differentiable in f_inv's parameters, the log-determinant's share included."""
    torch = _torch()
    s = scales.clone().requires_grad_(True)
    out = flow_log_prob(x.clone(), lambda t: t * s, standard_normal_log_prob)
    if not (isinstance(out, torch.Tensor) and out.requires_grad):
        return torch.zeros_like(scales)  # no graph back to s at all
    return torch.autograd.grad(out.sum(), s, allow_unused=True)[0]


def _torch_density_probe(o, x):
    f_inv_torch, flow_log_prob = o["f_inv_torch"], o["flow_log_prob"]
    base, A = standard_normal_log_prob, x["A"]
    return {"on_two_points": attempt(flow_log_prob, x["small"], f_inv_torch, base),
            "under_identity": attempt(flow_log_prob, x["four"], lambda t: t, base),
            "at_x_star": attempt(flow_log_prob, x["x_star"], f_inv_torch, base),
            "f_inv_torch_values": attempt(f_inv_torch, x["three"]),
            "under_linear_map": attempt(flow_log_prob, x["six"], lambda t: t @ A.T, base),
            "under_nonlinear_map": attempt(flow_log_prob, x["five"], _g_inv, base),
            "under_sinh": attempt(flow_log_prob, x["rows"], _sinh_inv, base),
            "scale_gradient": attempt(_scale_gradient, flow_log_prob, x["rows"], x["scales"])}


@points(0.5)
def test_jacobian_taken_row_by_row(v, ref):
    # f_inv(x) = sinh(x) elementwise: each row's Jacobian is diag(cosh(x_n)), so log p_X(x_n) = log N(sinh(x_n)) +
    # sum_i log cosh(x_ni), a different determinant in every row (not the homework's map)
    torch = _torch()
    w = working(v)
    rows = w.inputs["rows"]
    want = standard_normal_log_prob(torch.sinh(rows)) + torch.log(torch.cosh(rows)).sum(dim=1)
    asserts.assert_close(w.under_sinh, want, rtol=1e-9, atol=1e-9,
                         name="log p_X for f_inv(x) = sinh(x) elementwise (whose Jacobian differs from row to row: is "
                              "each row's own Jacobian used?)")


@points(0.25)
def test_differentiable_in_the_parameters_of_f_inv(v, ref):
    # f_inv(x) = s * x with a learnable scale s per coordinate: log p_X = log N(s * x) + sum_i log|s_i|, so the
    # gradient in s is -s_i sum_n x_ni^2 + N / s_i, the log-determinant's share N / s_i included (not the homework's map)
    w = working(v)
    rows, s = w.inputs["rows"], w.inputs["scales"]
    want = -s * (rows ** 2).sum(dim=0) + len(rows) / s
    asserts.assert_close(w.scale_gradient, want, rtol=1e-9, atol=1e-9,
                         name="the gradient of sum(flow_log_prob(x, f_inv, ...)) in a parameter of f_inv (does the "
                              "log-determinant keep its graph? torch.autograd.functional.jacobian needs "
                              "create_graph=True)")


@points(0.25)
def test_shapes_and_dtype(v, ref):
    torch = _torch()
    asserts.assert_tensor(working(v).on_two_points, "flow_log_prob(x, ...)", shape=(2,), dtype=torch.float64)


@points(0.5)
def test_identity_map_gives_the_base_density(v, ref):
    # the notebook's own base log-density (its locked cell base_log_prob) on the working inputs
    w = working(v)
    asserts.assert_close(w.under_identity, standard_normal_log_prob(w.inputs["four"]),
                        name="log p_X under the identity map")


@points(0.5)
def test_f_of_f_inv_torch_is_the_identity(v, ref):
    # f_inv_torch(x) against the points the question's f sends to x (the grader's inverse, recorded), so that
    # f(f_inv_torch(x)) = x
    torch = _torch()
    zb = asserts.as_array(working(v).f_inv_torch_values, "f_inv_torch(x)")
    zb = torch.as_tensor(zb, dtype=torch.float64)
    if zb.shape != (3, 3):
        raise AssertionError(f"f_inv_torch(x) has shape {tuple(zb.shape)} for x of shape (3, 3)")
    try:
        asserts.assert_close(zb, ref["f_inv_of_three"], rtol=1e-9, atol=1e-9, name="f_inv_torch(x)")
    except AssertionError as exc:
        raise AssertionError(f"{exc}. f_inv_torch(x) should be the z that the question's f sends to x: your sympy "
                             f"f_inv, row by row") from None


@points(1)
def test_linear_map_with_negative_determinant(v, ref):
    # f_inv(x) = A x, det A = -3: against the grader's Gaussian log-density of covariance (A^T A)^{-1} (recorded)
    w = working(v)
    try:
        asserts.assert_close(w.under_linear_map, ref["under_linear_map"], rtol=1e-9, atol=1e-9,
                            name="log p_X for f_inv(x) = A x with det A < 0")
    except AssertionError as exc:
        raise AssertionError(f"{exc}{_linear_map_hint(w, ref['under_linear_map'])}") from None


def _linear_map_hint(w, want) -> str:
    """What the usual mistakes give for f_inv(x) = A x, named when the student's values are one of them."""
    torch = _torch()
    try:
        got = torch.as_tensor(asserts.as_array(w.under_linear_map, "log p_X"), dtype=torch.float64)
    except AssertionError:
        return ""
    log_det = math.log(abs(float(torch.linalg.det(w.inputs["A"]))))
    if got.shape != want.shape:
        return ""
    if torch.isnan(got).any():
        return ": the logarithm of a negative determinant is NaN (the absolute value of the determinant?)"
    if torch.allclose(got, want - 2 * log_det, rtol=1e-9, atol=1e-9):
        return (": the log-determinant is subtracted; for the inverse map it is added, "
                "log p_X(x) = log p_Z(f_inv(x)) + log|det J_f_inv(x)|")
    if torch.allclose(got, standard_normal_log_prob(w.inputs["six"]) + log_det, rtol=1e-9, atol=1e-9):
        return ": that is the base density at x itself; evaluate it at z = f_inv(x)"
    return ""


CHECKS = [
    CheckSpec("q1_f_and_inverse_tests", hidden_for="f and f_inv at more points, and whether f is invertible", names=("f", "f_inv", "f_is_invertible"),
              visible=(test_f_is_a_3x1_matrix_in_z, test_f_inv_is_a_3x1_matrix_in_x,
                       test_f_is_the_questions_map_at_one_point, test_round_trip_at_one_point,
                       test_round_trip_with_negative_x3), inputs=with_working(_q1_points)),
    CheckSpec("q1_jacobian_tests", hidden_for="J_f and det_J_f at more points", names=("J_f", "det_J_f"),
              visible=(test_J_f_is_3x3_in_z, test_det_is_an_expression_in_z, test_first_row_is_the_derivative_of_z1,
                       test_det_is_the_determinant_of_J_f, test_J_f_matches_finite_differences_at_one_point),
              inputs=with_working(_q1_points)),
    CheckSpec("q1_density_tests", hidden_for="the exact p_X(x*), and p_x at more points", names=("p_x", "p_x_star"),
              visible=(test_p_x_is_an_expression_in_x, test_p_x_star_is_an_exact_positive_number,
                       test_p_x_star_is_p_x_at_x_star, test_change_of_variables_at_one_point),
              inputs=with_working(_q1_points)),
    CheckSpec("q1_torch_density_tests", hidden_for="log p_X near x*, f_inv_torch's values, another nonlinear map", names=("f_inv_torch", "flow_log_prob"),
              visible=(test_shapes_and_dtype, test_identity_map_gives_the_base_density,
                       test_f_of_f_inv_torch_is_the_identity, test_linear_map_with_negative_determinant,
                       test_jacobian_taken_row_by_row, test_differentiable_in_the_parameters_of_f_inv),
              probe=on_working(_torch_density_probe), inputs=with_working(_torch_density_inputs)),
]
