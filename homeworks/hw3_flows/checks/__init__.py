"""hw3_flows' graded test cells: what each hands the grader and its visible tests.

The hidden tests are in the instructor's notebook (``source/hw3_flows/``); they read the names below
(``context``) and the values each probe returns. Nothing here answers a question: the probes call the
student's functions on inputs and keep what comes back, the visible tests check form and easy cases and compare
values on inputs drawn from the working seed with what the grader's references
(``homeworks/hw3_flows/hidden/references.py``) gave on them, recorded with the kit (:func:`dgmlab.probes.expected`).
"""
from __future__ import annotations

import math

from dgmlab import checks
from dgmlab.checks import has_float, sympy_gap
from dgmlab.testing import points
from dgmlab.probes import (
    on_working, with_working, working, Answers, CheckSpec, TestFailure, attempt, expected,
    seeded_generator as _gen)
from dgmlab.probes import _sp, _torch  # lazy imports


def symbols() -> dict:
    """The notebook's fixed symbols (its locked cells q1_symbols, q3_symbols, q4_symbols)."""
    sp = _sp()
    z1, z2, z3 = sp.symbols("z1 z2 z3", real=True)
    x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)
    a, b, D = sp.symbols("a b D", positive=True)
    h = sp.symbols("h", real=True)
    return {"z1": z1, "z2": z2, "z3": z3, "x1": x1, "x2": x2, "x3": x3,
            "z": sp.Matrix([z1, z2, z3]), "x": sp.Matrix([x1, x2, x3]),
            "X_STAR": {x1: 0, x2: 1, x3: sp.Rational(1, 3)},
            "a": a, "b": b, "D": D, "alpha": sp.symbols("alpha", positive=True),
            "h": h, "sigma": 1 / (1 + sp.exp(-h))}


def standard_normal_log_prob(z):
    """log N(z; 0, I) row by row: (N, D) -> (N,) (the notebook's locked cell base_log_prob)."""
    return -0.5 * (z ** 2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


def context() -> dict:
    import itertools

    import numpy as np

    return {**symbols(), "sp": _sp(), "np": np, "torch": _torch(), "math": math, "itertools": itertools,
            "checks": checks, "sympy_gap": sympy_gap, "has_float": has_float,
            "standard_normal_log_prob": standard_normal_log_prob, **Q4}


def _randn(g, *shape):
    return _torch().randn(*shape, generator=g, dtype=_torch().float64)


def _is_matrix(value, name, shape, symbols_, sp):
    assert isinstance(value, sp.MatrixBase) and value.shape == shape, \
        (f"expected {name} to be a {shape[0]}x{shape[1]} sp.Matrix, found {type(value).__name__} "
         f"of shape {getattr(value, 'shape', None)}")
    checks.assert_sympy_expr(sp.Add(*value), name, symbols=symbols_)


# ------------------------------------------------------------------ visible tests: recorded values on the working seed
# Converted cells: dgmlab.probes.with_working, on_working and working (what their visible tests compare with).
def recorded(cell: str) -> dict:
    """What the grader's references gave on ``cell``'s working-seed inputs (or its fixed points), recorded with the
    kit."""
    return expected("hw3_flows", cell)


Z0 = ("1/2", "-1", "1/5")  # a latent point where the cube root's argument is positive
Z1 = ("1/2", "-1", "-1")  # one where it is negative (the real cube root matters)


def _exact(point, names):
    """``{symbol: exact number}`` for a point written as strings ("1/2", "-1")."""
    sp, s = _sp(), symbols()
    return dict(zip((s[n] for n in names), (sp.Rational(t) for t in point), strict=True))


# ------------------------------------------------------------------ Q1(a)
@points(0.5)
def test_f_is_a_3x1_matrix_in_z(v):
    sp, s = _sp(), symbols()
    _is_matrix(v.f, "f", (3, 1), [s["z1"], s["z2"], s["z3"]], sp)
    assert not has_float(v.f), \
        (f"expected exact numbers, found floats {sorted(v.f.atoms(sp.Float))[:3]} in f: "
         f"an exponent written 1/3 becomes 0.333...; write sp.Rational(1, 3) or use sp.real_root")


@points(0.5)
def test_f_inv_is_a_3x1_matrix_in_x(v):
    sp, s = _sp(), symbols()
    _is_matrix(v.f_inv, "f_inv", (3, 1), [s["x1"], s["x2"], s["x3"]], sp)
    assert not has_float(v.f_inv), \
        (f"expected exact numbers, found floats {sorted(v.f_inv.atoms(sp.Float))[:3]} "
         f"in f_inv: keep it exact (sp.Rational, not 1/3)")


@points(0.5)
def test_f_is_the_questions_map_at_one_point(v):
    # against the question's map at z = (1/2, -1, 1/5), evaluated by the grader (recorded), not against the student's f
    want = recorded("q1_f_and_inverse_tests")["f_at_z0"]
    assert sympy_gap(v.f, want, [_exact(Z0, ("z1", "z2", "z3"))]) < 1e-9, \
        "f at z = (1/2, -1, 1/5) is not the map the question defines"


@points(0.5)
def test_round_trip_at_one_point(v):
    # f_inv(x) against the point the question's map sends to x (the grader's root finding, recorded), so that
    # f(f_inv(x)) = x holds for the question's f, whatever the student's own f
    want = recorded("q1_f_and_inverse_tests")["f_inv_at_0_1_2"]
    assert sympy_gap(v.f_inv, want, [_exact(("0", "1", "2"), ("x1", "x2", "x3"))]) < 1e-25, \
        ("the question's f applied to f_inv(x) is not x at x = (0, 1, 2): a wrong last entry often means x3 was "
         "solved for in the wrong order")


@points(1)
def test_round_trip_with_negative_x3(v):
    # both maps against the question's (recorded) where the cube root's argument is negative: f at z = (1/2, -1, -1),
    # and f_inv at x = (1/2, -3/2, -2) against the point the question's map sends there
    want = recorded("q1_f_and_inverse_tests")
    assert sympy_gap(v.f, want["f_at_z1"], [_exact(Z1, ("z1", "z2", "z3"))]) < 1e-9, \
        ("f at z = (1/2, -1, -1), where z3 e^{-z1} + z1^2 < 0, is not the map the question defines: check which "
         "cube root f uses (the real one)")
    gap = sympy_gap(v.f_inv, want["f_inv_at_negative_x3"], [_exact(("1/2", "-3/2", "-2"), ("x1", "x2", "x3"))])
    assert gap < 1e-25, \
        ("the question's f applied to f_inv(x) is not x at x = (1/2, -3/2, -2), where x3 < 0: check the order in "
         "which you solved for z3")


# ------------------------------------------------------------------ Q1(b)
@points(1)
def test_J_f_is_3x3_in_z(v):
    s = symbols()
    _is_matrix(v.J_f, "J_f", (3, 3), [s["z1"], s["z2"], s["z3"]], _sp())


@points(0.5)
def test_det_is_an_expression_in_z(v):
    s = symbols()
    checks.assert_sympy_expr(v.det_J_f, "det_J_f", symbols=[s["z1"], s["z2"], s["z3"]])


@points(0.5)
def test_first_row_is_the_derivative_of_z1(v):
    sp = _sp()
    assert sympy_gap(v.J_f[0, :], sp.Matrix([[1, 0, 0]]), [{}]) == 0, \
        ("the first row of J_f is not the derivatives of f_1 = z1: rows are outputs and columns inputs; "
         "exp terms there often mean J_f was transposed or is the Jacobian of f_inv")


@points(0.5)
def test_det_is_the_determinant_of_J_f(v):
    # against the determinant of the grader's finite-difference Jacobian of the question's map (recorded; not the
    # student's J_f)
    sp, point = _sp(), _exact(Z0, ("z1", "z2", "z3"))
    want = recorded("q1_jacobian_tests")["det_at_z0"]
    if sympy_gap(v.det_J_f, want, [point]) < 1e-20:
        return
    hint = ""
    if sympy_gap(v.det_J_f, 1 / want, [point]) < 1e-20:
        hint = ": that is 1/det, the determinant of the Jacobian of f_inv"
    elif isinstance(v.J_f, sp.MatrixBase) and v.J_f.shape == (3, 3) and sympy_gap(v.det_J_f, v.J_f.det(), [point]) < 1e-25:
        hint = ": it is the determinant of your J_f, so J_f is off there too"
    raise AssertionError(f"det_J_f at z = (1/2, -1, 1/5) is not the determinant of the Jacobian of f{hint}")


@points(1)
def test_J_f_matches_finite_differences_at_one_point(v):
    # against the grader's finite differences of the question's map there (recorded)
    want = recorded("q1_jacobian_tests")["J_f_at_z1"]
    assert sympy_gap(v.J_f, want, [_exact(Z1, ("z1", "z2", "z3"))]) < 1e-20, \
        ("J_f at z = (1/2, -1, -1) differs from finite differences of f (with the real cube root): entry "
         "(i, j) is d f_i / d z_j (is it transposed, the Jacobian of f_inv, or another cube root?)")


# ------------------------------------------------------------------ Q1(c)
@points(0.5)
def test_p_x_is_an_expression_in_x(v):
    s = symbols()
    checks.assert_sympy_expr(v.p_x, "p_x", symbols=[s["x1"], s["x2"], s["x3"]])


@points(0.5)
def test_p_x_star_is_an_exact_positive_number(v):
    sp = _sp()
    checks.assert_sympy_expr(v.p_x_star, "p_x_star", symbols=[])
    assert not has_float(v.p_x_star), \
        (f"expected an exact number, found floats {sorted(v.p_x_star.atoms(sp.Float))[:3]} "
         f"in p_x_star: keep it exact")
    value = complex(sp.N(v.p_x_star, 30))
    assert value.imag == 0 and 0 < value.real < 1, \
        f"expected a density value in (0, 1) at x*, found {value:.6g}"


def number_digest(value) -> str | None:
    """SHA-256 of ``value`` (a sympy number) rounded to 22 decimal places, or None when it is no real number. p(x*)
    is one fixed number, the answer itself: the kit records its digest, never the value (the grader computes it)."""
    import decimal
    import hashlib

    sp = _sp()
    try:
        number = complex(sp.N(checks.as_sympy(value, "the value"), 40))
        text = str(sp.N(sp.re(checks.as_sympy(value, "the value")), 40))
        rounded = decimal.Decimal(text).quantize(decimal.Decimal("1e-22"), rounding=decimal.ROUND_HALF_EVEN)
    except (AssertionError, TypeError, ValueError, ZeroDivisionError, decimal.InvalidOperation):
        return None
    if abs(number.imag) > 1e-30 or not math.isfinite(number.real):
        return None
    return hashlib.sha256(f"{rounded:.22f}".encode()).hexdigest()


@points(0.5)
def test_p_x_star_is_p_x_at_x_star(v):
    # against the digest of the grader's p_Z(z*) / |det df/dz(z*)| at z* = f^{-1}(x*), found numerically from the
    # question's map (recorded as a digest: the number is the answer)
    s = symbols()
    want = recorded("q1_density_tests")["p_x_star_digest"]
    if number_digest(v.p_x_star) == want:
        return
    hint = " (check z* = f^{-1}(x*), the Gaussian normaliser and the determinant factor)"
    try:
        at_x_star = checks.as_sympy(v.p_x, "p_x").subs(s["X_STAR"])
    except (AssertionError, TypeError, ValueError, AttributeError):
        at_x_star = None
    if at_x_star is not None and number_digest(at_x_star) == want:
        hint = ": your p_x is right at x*, so evaluate it there again (p_x.subs(X_STAR), exactly)"
    elif at_x_star is not None and sympy_gap(v.p_x_star, at_x_star, [{}]) < 1e-30:
        hint = ": it is your p_x at x*, so p_x is off there too (see the change-of-variables check)"
    raise AssertionError(f"p_x_star is not the density of X at x* = (0, 1, 1/3){hint}")


@points(2)
def test_change_of_variables_at_one_point(v):
    # p_x at x = f(z) for z = (1/2, -1, -1) against the grader's p_Z(z) / |det df/dz(z)| there (recorded)
    sp, s = _sp(), symbols()
    want = recorded("q1_density_tests")
    det = want["det_at_z1"]
    at = dict(zip((s["x1"], s["x2"], s["x3"]), want["x_of_z1"], strict=True))
    try:
        got = complex(sp.N(v.p_x.subs(at), 40))
    except (TypeError, ValueError, ZeroDivisionError):
        raise AssertionError("p_x does not evaluate to a number at x = f(1/2, -1, -1)") from None
    ratio = got / float(want["p_x_at_x_of_z1"])
    if abs(ratio - float(det) ** 2) < 1e-9:
        hint = ": it looks multiplied by |det df/dz|, which should divide (or use |det df_inv/dx|)"
    elif abs(ratio - float(det)) < 1e-9:
        hint = ": the determinant factor seems to be missing"
    else:
        hint = " (check z = f_inv(x) in the Gaussian, its normaliser, and the determinant factor)"
    assert abs(ratio - 1) < 1e-12, f"p_x(f(z)) * |det df/dz(z)| is not p_Z(z) at z = (1/2, -1, -1){hint}"


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
            "A": torch.tensor(LINEAR_A, dtype=torch.float64)}


def _torch_density_probe(o, x):
    f_inv_torch, flow_log_prob = o["f_inv_torch"], o["flow_log_prob"]
    base, A = standard_normal_log_prob, x["A"]
    return {"on_two_points": attempt(flow_log_prob, x["small"], f_inv_torch, base),
            "under_identity": attempt(flow_log_prob, x["four"], lambda t: t, base),
            "at_x_star": attempt(flow_log_prob, x["x_star"], f_inv_torch, base),
            "f_inv_torch_values": attempt(f_inv_torch, x["three"]),
            "under_linear_map": attempt(flow_log_prob, x["six"], lambda t: t @ A.T, base),
            "under_nonlinear_map": attempt(flow_log_prob, x["five"], _g_inv, base)}


@points(0.5)
def test_shapes_and_dtype(v):
    torch = _torch()
    checks.assert_tensor(working(v).on_two_points, "flow_log_prob(x, ...)", shape=(2,), dtype=torch.float64)


@points(1)
def test_identity_map_gives_the_base_density(v):
    # the notebook's own base log-density (its locked cell base_log_prob) on the working inputs
    w = working(v)
    checks.assert_close(w.under_identity, standard_normal_log_prob(w.inputs["four"]),
                        name="log p_X under the identity map")


@points(0.5)
def test_f_of_f_inv_torch_is_the_identity(v):
    # f_inv_torch(x) against the points the question's f sends to x (the grader's inverse, recorded), so that
    # f(f_inv_torch(x)) = x
    torch = _torch()
    zb = checks.as_array(working(v).f_inv_torch_values, "f_inv_torch(x)")
    zb = torch.as_tensor(zb, dtype=torch.float64)
    assert zb.shape == (3, 3), f"f_inv_torch(x) has shape {tuple(zb.shape)} for x of shape (3, 3)"
    checks.assert_close(zb, recorded("q1_torch_density_tests")["f_inv_of_three"], rtol=1e-9, atol=1e-9,
                        name="f_inv_torch(x), against the point that the question's f sends to x")


@points(1)
def test_linear_map_with_negative_determinant(v):
    # f_inv(x) = A x, det A = -3: against the grader's Gaussian log-density of covariance (A^T A)^{-1} (recorded)
    checks.assert_close(working(v).under_linear_map, recorded("q1_torch_density_tests")["under_linear_map"],
                        rtol=1e-9, atol=1e-9,
                        name="log p_X for f_inv(x) = A x with det A < 0 (the absolute value of the determinant?)")


# ------------------------------------------------------------------ Q2.1
def _counter_inputs(seed):
    torch, g = _torch(), _gen(seed, 2)
    sides = torch.tensor([[0.7, 0.1], [-0.7, 0.3], [0.2, 0.7], [-0.1, -0.75], [0.65, -0.6], [-0.75, -0.75],
                          [0.45, -0.45], [0.9, 0.0], [0.0, -0.95], [0.3, 0.79]], dtype=torch.float64)
    extra = torch.rand(6, 2, generator=g, dtype=torch.float64) * 2 - 1
    lin = torch.linspace(-1.5, 1.5, 61, dtype=torch.float64)
    inside = torch.rand(2, 2, generator=g, dtype=torch.float64) * 0.9 - 0.45      # in B
    far = (2 + 3 * torch.rand(1, 2, generator=g, dtype=torch.float64)) * torch.sign(_randn(g, 1, 2))  # beyond
    mirror = torch.rand(5, 2, generator=g, dtype=torch.float64) * 1.4 - 0.7
    order = torch.randperm(3, generator=g)
    return {"three": torch.cat([inside, far])[order], "three_inside": (order < 2),
            "sides": torch.cat([sides, extra]), "grid": torch.cartesian_prod(lin, lin), "mirror": mirror,
            # points all over B, the frame and beyond it (the hidden tests' seeded comparison), and their slope
            "scattered": torch.rand(60, 2, generator=g, dtype=torch.float64) * 2.4 - 1.2,
            "scattered_slope": float(2 + 4 * torch.rand(1, generator=g, dtype=torch.float64))}


def _counter_probe(o, x):
    p_counter = o["p_counter"]
    return {"on_three_points": attempt(p_counter, x["three"], 10.0),
            "on_the_sides": attempt(p_counter, x["sides"], 3.0),
            "on_a_grid": attempt(p_counter, x["grid"], 5.0),
            "on_scattered_points": attempt(p_counter, x["scattered"], x["scattered_slope"])}


@points(0.5)
def test_value_inside_B(v):
    # B is the only region where the printed density is a constant: 0.9 at the grader's seeded points in B
    out = v.on_three_points
    checks.assert_tensor(out, "p_counter(xy, k)", shape=(3,))
    inside = v.inputs.three_inside
    checks.assert_close(out[inside], [0.9, 0.9], name="p_counter at the seeded points inside B")


@points(0.5)
def test_zero_far_beyond_the_frame(v):
    # 0 at the grader's seeded point far beyond the frame and at every grid point beyond it (k = 5)
    out = v.on_three_points
    checks.assert_tensor(out, "p_counter(xy, k)", shape=(3,))
    checks.assert_close(out[~v.inputs.three_inside], [0.0], name="p_counter at the seeded point far from B")
    grid = checks.as_array(v.on_a_grid, "p_counter on a grid")
    assert grid.shape == (len(v.inputs.grid),), f"p_counter on a grid has shape {grid.shape}"
    outside = (v.inputs.grid.abs().amax(dim=1) > 0.5 + 0.9 / 5.0 + 1e-9).numpy()
    hint = " (negative values: clamp the frame at 0)" if float(grid[outside].min()) < 0 else ""
    assert float(abs(grid[outside]).max()) == 0.0, f"p_counter (k = 5) is non-zero beyond the frame{hint}"


# ------------------------------------------------------------------ Q2.2, Q2.3
def test_k_is_a_positive_number(v):
    sp = _sp()
    k_value = v.k_value
    if isinstance(k_value, sp.Basic):
        checks.assert_sympy_expr(k_value, "k_value", symbols=[])
    value = float(checks.as_array(float(k_value), "k_value"))
    assert value > 0, f"expected a positive slope k, found {value:.6g}"


def _as_float(value, name):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} must be a number (sympy or float), found {type(value).__name__}") from None


def test_are_numbers_between_zero_and_one(v):
    for name in ("p_B", "max_density_vp"):
        value = _as_float(getattr(v, name), name)
        assert 0 < value <= 1, f"expected {name} to be a number in (0, 1], found {value:.6g}"


def test_bounds_are_positive(v):
    for name in ("tv_lower_bound", "kl_lower_bound"):
        value = _as_float(getattr(v, name), name)
        assert value > 0, f"expected {name} > 0, found {value:.6g}"


# ------------------------------------------------------------------ Q3.1
@points(0.5)
def test_are_expressions_in_a_and_b(v):
    s = symbols()
    checks.assert_sympy_expr(v.D_star, "D_star", symbols=[s["a"], s["b"]])
    checks.assert_sympy_expr(v.second_derivative_at_D_star, "second_derivative_at_D_star", symbols=[s["a"], s["b"]])
    checks.assert_sympy_expr(v.D_star_smoothed, "D_star_smoothed", symbols=[s["a"], s["b"], s["alpha"]])


def _d_star_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 31)
    return {"ab": [(int(rng.integers(1, 30)), int(rng.integers(1, 12)), int(rng.integers(1, 30)), int(rng.integers(1, 12)))
                   for _ in range(3)]}  # (a numerator, denominator, b numerator, denominator): the grader's (a, b)


@points(0.5)
def test_no_smoothing_gives_back_D_star(v):
    # with alpha = 0, g_alpha is g: D_star_smoothed there against the statement's D* at the working seed's (a, b),
    # as the grader's reference gave it there (recorded; not against the student's D_star)
    sp, s = _sp(), symbols()
    a, b = s["a"], s["b"]
    pts = [{a: sp.Rational(p, q), b: sp.Rational(r, t)} for p, q, r, t in v.inputs.working["ab"]]
    want = recorded("q3_d_star_tests")
    smoothed = checks.as_sympy(v.D_star_smoothed, "D_star_smoothed").subs(s["alpha"], 0)

    def gap_to(values):
        return max(sympy_gap(smoothed, value, [pt]) for pt, value in zip(pts, values, strict=True))

    gap = gap_to(want["D_star"])
    if gap < 1e-30:
        return
    hint = ""
    if gap_to(want["swapped"]) < 1e-30:
        hint = ": it is b / (a + b), so a and b are swapped (which term does the real data weigh?)"
    elif sympy_gap(smoothed, checks.as_sympy(v.D_star, "D_star"), pts) < 1e-30:
        hint = ": it equals your D_star, so D_star is off too"
    raise AssertionError(f"expected D_star_smoothed with alpha = 0 to be the maximiser of g, D* = a / (a + b), at the "
                         f"check's (a, b); found it {gap:.3g} away{hint}")


@points(1)
def test_equal_weights_give_one_half(v):
    sp, s = _sp(), symbols()
    assert sympy_gap(v.D_star.subs({s["a"]: 1, s["b"]: 1}), sp.Rational(1, 2), [{}]) < 1e-30, \
        ("D_star is not 1/2 when a = b = 1 (both classes equally likely): another value often means the "
         "derivative of b log(1 - D) lost its minus sign")


# ------------------------------------------------------------------ Q3.2
P_DATA, P_G = (0.6, 0.3, 0.1), (0.1, 0.2, 0.7)


def _discrete_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 3)
    return {"D": rng.uniform(0.05, 0.95, size=3), "p_data": np.array(P_DATA), "p_g": np.array(P_G),
            "grid": np.linspace(0.04, 0.96, 24)}


def _discrete_probe(o, x):
    import itertools

    import numpy as np

    loss, optimal = o["discriminator_loss"], o["optimal_discriminator"]
    half = np.array([0.5, 0.5])
    d_star = attempt(optimal, x["p_data"], x["p_g"])
    return {"loss_at_one_half": attempt(loss, half.copy(), half.copy(), half.copy()),
            "loss_value": attempt(loss, x["D"], x["p_data"], x["p_g"]),
            "optimal_values": d_star,
            "loss_at_optimal": attempt(lambda: loss(np.asarray(d_star, dtype=np.float64), x["p_data"], x["p_g"])),
            "loss_on_grid": attempt(lambda: [loss(np.array(c), x["p_data"], x["p_g"])
                                             for c in itertools.product(x["grid"], repeat=3)])}


@points(1)
def test_half_everywhere_gives_two_log_two(v):
    checks.assert_close(v.loss_at_one_half, 2 * math.log(2), name="discriminator_loss(1/2, p, p)")


@points(1.5)
def test_loss_at_the_optimum_is_two_log_two_minus_twice_the_jsd(v):
    # the statement's (p_data, p_g), fixed: against the grader's 2 log 2 - 2 JSD(p_data, p_g) (recorded)
    checks.assert_close(v.loss_at_optimal, recorded("q3_discrete_discriminator_tests")["loss_at_optimal"], rtol=1e-9,
                        name="discriminator_loss at optimal_discriminator, against 2 log 2 - 2 JSD(p_data, p_g)")


# ------------------------------------------------------------------ Q4.1
H0 = "13/10"  # where the visible tests compare the derivatives with finite differences


def _at_h0(expr, name):
    sp, s = _sp(), symbols()
    try:
        return complex(sp.N(checks.as_sympy(expr, name).subs(s["h"], sp.Rational(H0)), 30))
    except (TypeError, ValueError, ZeroDivisionError):
        raise AssertionError(f"{name} does not evaluate to a number at h = {H0}") from None


@points(0.5)
def test_saturating_types(v):
    s = symbols()
    checks.assert_sympy_expr(v.d_saturating, "d_saturating", symbols=[s["h"]])
    checks.assert_sympy_expr(v.limit_saturating, "limit_saturating", symbols=[])


@points(2)
def test_d_saturating_matches_a_finite_difference(v):
    # against the grader's finite difference of log(1 - sigma(h)) at h = H0 (recorded)
    want = recorded("q4_saturating_tests")["d_at_h0"]
    got = _at_h0(v.d_saturating, "d_saturating")
    assert abs(got - want) < 1e-12, \
        f"d_saturating at h = {H0} differs from a finite difference of log(1 - sigma(h)) (check the sign)"


@points(0.5)
def test_non_saturating_types(v):
    s = symbols()
    checks.assert_sympy_expr(v.d_non_saturating, "d_non_saturating", symbols=[s["h"]])
    checks.assert_sympy_expr(v.limit_non_saturating, "limit_non_saturating", symbols=[])


@points(1)
def test_d_non_saturating_matches_a_finite_difference(v):
    # against the grader's finite difference of -log(sigma(h)) at h = H0 (recorded)
    want = recorded("q4_non_saturating_tests")["d_at_h0"]
    got = _at_h0(v.d_non_saturating, "d_non_saturating")
    assert abs(got - want) < 1e-12, \
        f"d_non_saturating at h = {H0} differs from a finite difference of -log(sigma(h)) (check the sign)"


# ------------------------------------------------------------------ Q4.2
def _logit_inputs(seed):
    torch, g = _torch(), _gen(seed, 4)
    fixed = torch.tensor([-20.0, -6.0, -1.5, 0.0, 0.7, 3.0, 5.0], dtype=torch.float64)
    return {"logits": torch.cat([fixed, 4 * _randn(g, 3)])}


def _losses_probe(o, x):
    torch = _torch()
    out = {}
    for key, fn in (("saturating", o["saturating_loss"]), ("non_saturating", o["non_saturating_loss"])):
        out[f"{key}_at_zero"] = attempt(fn, torch.zeros(3, dtype=torch.float64))
        out[f"{key}_on_logits"] = attempt(fn, x["logits"].clone())
        out[f"{key}_on_minus_logits"] = attempt(fn, -x["logits"].clone())
        out[f"{key}_gradient"] = attempt(_gradient, fn, x["logits"])
    return out


def _gradient(fn, logits):
    """d fn(logits) / d logits, by autograd through the student's function."""
    t = logits.clone().requires_grad_(True)
    return _torch().autograd.grad(fn(t), t)[0]


@points(1)
def test_scalar_outputs(v):
    w = working(v)
    checks.assert_tensor(w.saturating_at_zero, "saturating_loss(logits)", shape=())
    checks.assert_tensor(w.non_saturating_at_zero, "non_saturating_loss(logits)", shape=())
    checks.assert_close(w.saturating_at_zero, -math.log(2), name="saturating_loss at logit 0")
    checks.assert_close(w.non_saturating_at_zero, math.log(2), name="non_saturating_loss at logit 0")


@points(0.5)
def test_both_losses_on_a_batch_of_logits(v):
    # the grader's own values at the negated working batch (recorded); rtol 1e-8: log(1 - sigmoid(h)) computed naively
    # (a correct answer) is about 1e-9 off in relative terms at h = 20
    w, rec = working(v), recorded("q4_generator_losses_tests")
    for name, got, want in (("saturating_loss", w.saturating_on_minus_logits, rec["saturating_on_minus_logits"]),
                            ("non_saturating_loss", w.non_saturating_on_minus_logits,
                             rec["non_saturating_on_minus_logits"])):
        checks.assert_close(got, want, rtol=1e-8, atol=1e-12,
                            name=f"{name} on a batch of logits (a sign, or a sum where the mean belongs?)")


# ------------------------------------------------------------------ Q4.3
# The probe's own losses of the logits (not the answers of Q4.2): one whose gradient vanishes as the
# logits go to -oo like the saturating loss's, one whose gradient never does.
def vanishing_loss(logits):
    return _torch().exp(logits).mean()


def linear_loss(logits):
    return -logits.mean()


W_DISC, OFFSETS = (1.5, -0.5), (0.0, -2.0, -4.0, -8.0, -12.0, -16.0)


def make_discriminator(c):
    """A fixed linear discriminator h(x) = w.x + c on 2-D samples: (N, 2) -> (N,) logits."""
    w = _torch().tensor(W_DISC, dtype=_torch().float64)
    return lambda xb: xb @ w + c


def make_generator(seed=0):
    """A tiny generator G(z) = A z + b (float64), its parameters made from ``seed``."""
    torch = _torch()
    g = _gen(seed, 5)
    gen = torch.nn.Linear(2, 2, dtype=torch.float64)
    with torch.no_grad():
        gen.weight.copy_(torch.rand(2, 2, generator=g, dtype=torch.float64) * 2 - 1)
        gen.bias.copy_(torch.rand(2, generator=g, dtype=torch.float64) * 2 - 1)
    return gen


Q4 = {"vanishing_loss": vanishing_loss, "linear_loss": linear_loss, "make_discriminator": make_discriminator,
      "make_generator": make_generator, "OFFSETS": OFFSETS,
      "REPEATED_OFFSETS": (0.0, -3.0, 2.0)}


def _grad_norm_inputs(seed):
    g = _gen(seed, 6)
    return {"z8": _randn(g, 8, 2), "z32": _randn(g, 32, 2), "z64": _randn(g, 64, 2), "generator_seed": int(seed) % 1000}


def _grad_norm_probe(o, x):
    norm = o["generator_grad_norm"]
    gs = x["generator_seed"]
    gen0 = make_generator(gs)
    first = attempt(norm, gen0, make_discriminator(0.0), x["z8"].clone(), vanishing_loss)
    again = attempt(norm, gen0, make_discriminator(0.0), x["z8"].clone(), vanishing_loss)
    gen = make_generator(gs + 1)

    def repeated():
        return [norm(gen, make_discriminator(c), x["z32"].clone(), fn)
                for c in Q4["REPEATED_OFFSETS"] for fn in (vanishing_loss, linear_loss)]

    def over_offsets(fn):
        g2 = make_generator(gs + 2)
        return [norm(g2, make_discriminator(c), x["z64"].clone(), fn) for c in OFFSETS]

    return {"first_call": first, "second_call": again, "repeated_calls": attempt(repeated),
            "vanishing_over_offsets": attempt(over_offsets, vanishing_loss),
            "linear_over_offsets": attempt(over_offsets, linear_loss)}


def _matches_finite_differences(g, want, which):
    assert isinstance(g, float), \
        (f"expected the {which} call to return a Python float, found {type(g).__name__}: a tensor norm becomes a "
         f"float with float(...) or .item()")
    hint = ""
    if want > 0 and abs(g - want * want) <= 1e-6 * want * want:
        hint = ": that is the squared norm (take the square root)"
    elif abs(g - 2 * want) <= 1e-6 * want:
        hint = ": that is twice the norm, so a gradient from the earlier call is left over (zero it first)"
    assert abs(g - want) <= 1e-6 * want, \
        (f"on the {which} call generator_grad_norm gives {g:.6g}, the norm of a finite-difference gradient is "
         f"{want:.6g}{hint}")


@points(2)
def test_matches_finite_differences(v):
    # against the grader's gradient norm by central differences on every parameter, on the working inputs (recorded)
    _matches_finite_differences(working(v).first_call, recorded("q4_grad_norm_tests")["fd_norm"], "first")


@points(1.5)
def test_a_second_call_matches_finite_differences_too(v):
    # the same generator again: a gradient left over from the first call must not count
    _matches_finite_differences(working(v).second_call, recorded("q4_grad_norm_tests")["fd_norm"], "second")


CHECKS = [
    CheckSpec("q1_f_and_inverse_tests", 5, 2, ("f", "f_inv", "f_is_invertible"),
              visible=(test_f_is_a_3x1_matrix_in_z, test_f_inv_is_a_3x1_matrix_in_x,
                       test_f_is_the_questions_map_at_one_point, test_round_trip_at_one_point,
                       test_round_trip_with_negative_x3)),
    CheckSpec("q1_jacobian_tests", 6, 2.5, ("J_f", "det_J_f"),
              visible=(test_J_f_is_3x3_in_z, test_det_is_an_expression_in_z, test_first_row_is_the_derivative_of_z1,
                       test_det_is_the_determinant_of_J_f, test_J_f_matches_finite_differences_at_one_point)),
    CheckSpec("q1_density_tests", 7, 3.5, ("p_x", "p_x_star"),
              visible=(test_p_x_is_an_expression_in_x, test_p_x_star_is_an_exact_positive_number,
                       test_p_x_star_is_p_x_at_x_star, test_change_of_variables_at_one_point)),
    CheckSpec("q1_torch_density_tests", 5, 2, ("f_inv_torch", "flow_log_prob"),
              visible=(test_shapes_and_dtype, test_identity_map_gives_the_base_density,
                       test_f_of_f_inv_torch_is_the_identity, test_linear_map_with_negative_determinant),
              probe=on_working(_torch_density_probe), inputs=with_working(_torch_density_inputs)),
    CheckSpec("q2_counter_density_tests", 7, 6, ("p_counter",),
              visible=(test_value_inside_B, test_zero_far_beyond_the_frame),
              probe=_counter_probe, inputs=_counter_inputs),
    CheckSpec("q2_normalising_k_tests", 5, 4, ("k_value",), visible=(test_k_is_a_positive_number,)),
    CheckSpec("q2_vp_bound_tests", 1, 0.5, ("p_B", "max_density_vp"), visible=(test_are_numbers_between_zero_and_one,)),
    CheckSpec("q2_pinsker_tests", 2, 1.5, ("tv_lower_bound", "kl_lower_bound"), visible=(test_bounds_are_positive,)),
    CheckSpec("q3_d_star_tests", 5, 3, ("D_star", "second_derivative_at_D_star", "D_star_smoothed"),
              visible=(test_are_expressions_in_a_and_b, test_no_smoothing_gives_back_D_star,
                       test_equal_weights_give_one_half), inputs=with_working(_d_star_inputs)),
    CheckSpec("q3_discrete_discriminator_tests", 5, 2.5, ("discriminator_loss", "optimal_discriminator"),
              visible=(test_half_everywhere_gives_two_log_two, test_loss_at_the_optimum_is_two_log_two_minus_twice_the_jsd),
              probe=_discrete_probe, inputs=_discrete_inputs),
    CheckSpec("q4_saturating_tests", 4, 1.5, ("d_saturating", "limit_saturating"),
              visible=(test_saturating_types, test_d_saturating_matches_a_finite_difference)),
    CheckSpec("q4_non_saturating_tests", 3, 1.5, ("d_non_saturating", "limit_non_saturating"),
              visible=(test_non_saturating_types, test_d_non_saturating_matches_a_finite_difference)),
    CheckSpec("q4_generator_losses_tests", 3, 1.5, ("saturating_loss", "non_saturating_loss"),
              visible=(test_scalar_outputs, test_both_losses_on_a_batch_of_logits),
              probe=on_working(_losses_probe), inputs=with_working(_logit_inputs)),
    CheckSpec("q4_grad_norm_tests", 5, 1.5, ("generator_grad_norm",),
              visible=(test_matches_finite_differences, test_a_second_call_matches_finite_differences_too),
              probe=on_working(_grad_norm_probe), inputs=with_working(_grad_norm_inputs)),
]
