"""hw3_flows: change of variables, volume-preserving flows, the optimal discriminator, vanishing gradients.

Adapted from seed 002 (Sharif University of Technology, Deep Generative Models, Fall 2024, Assignment 3).
The seed gives no points; the split below (100 in all) is ours:

    Q1 change of variables       30  (written 7, f/f_inv 5, Jacobian 6, density 7, torch autograd 5)
    Q2 VP flows not universal    35  (written a-d 18, density 5, k 5, p(B)/max density 3, Pinsker bound 4)
    Q3 optimal discriminator     15  (sympy maximiser 5, numeric check 5, written proof 5)
    Q4 vanishing gradients       20  (saturating 4, non-saturating 3, torch losses 3, grad norms 5, written 5)
"""
from dgmlab.authoring import Notebook

from dgmlab.grading.proofs import Mutant

HW = "hw3_flows"


def build() -> Notebook:
    nb = Notebook(HW)
    _intro(nb)
    _q1_f_and_inverse(nb)
    _q1_jacobian(nb)
    _q1_density(nb)
    _q1_torch_density(nb)
    _q1_written(nb)
    _q2_counter_density(nb)
    _q2_normalising_k(nb)
    _q2_vp_bound(nb)
    _q2_vp_flow_demo(nb)
    _q2_proof(nb)
    _q3_d_star(nb)
    _q3_discrete(nb)
    _q3_proof(nb)
    _q4_logit_derivatives(nb)
    _q4_generator_losses(nb)
    _q4_grad_norm(nb)
    _q4_written(nb)
    nb.fill_point_totals()
    return nb


# --------------------------------------------------------------------------- intro
def _intro(nb):
    nb.md(r'''
        # Homework 3: change of variables, volume-preserving flows, and the GAN discriminator

        This homework is adapted from Assignment 3 of *Deep Generative Models* (Fall 2024, Dr. S. Amini,
        Electrical Engineering Department, Sharif University of Technology). The facts and formulas are theirs;
        the wording, the code, the tests and the point split (theirs gives none) are ours.

        | Problem | Topic | Points |
        |---|---|---|
        | Q1 | Change of variables for a 3-D triangular map | 30 |
        | Q2 | Volume-preserving flows are not universal approximators | 35 |
        | Q3 | The optimal GAN discriminator | 15 |
        | Q4 | A perfect discriminator makes the generator's gradient vanish | 20 |
        | | **Total** | **100** |

        **How this notebook works.** Code answers go where a cell says `# COMPLETE`; derivations are built as
        `sympy` expressions so they can be checked exactly. Written answers (marked *written*) are graded by
        hand: write them in Markdown with LaTeX. Run the setup cell first.

        **Points per check, and hidden tests.** Each graded test cell runs its visible checks, prints the
        points each one earns (with a hint when it fails) and shows the cell's points as its result. Hidden
        tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} autograded points; each
        test cell says how many of its own. Passing every visible check does not guarantee those.
        **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw3_flows.ipynb`
        in a terminal): it runs every visible check the way the autograder does and lists, per question, the
        visible points earned, the points hidden tests decide, and written answers still empty.

        Modes: with `DGMLAB_FAST=1` the short training run in Q2 uses a few dozen steps; while the notebook
        is graded nothing is trained.
    ''')
    nb.setup()
    nb.code('''
        import math
        import numpy as np
        import sympy as sp
        import torch
        import matplotlib.pyplot as plt
        from pathlib import Path
        from tqdm.auto import tqdm

        torch.set_default_dtype(torch.float64)  # derivations are checked to many digits
        if dgmlab.runtime.is_fast():
            torch.set_num_threads(1)  # tiny tensors: one thread is faster on a shared CPU
        FIGURES = Path("figures")
        dgmlab.integrity.protect(globals(), "math", "np", "sp", "torch")  # the tests use these: keep them
        ''', locked=True, grade_id="imports")
    nb.md(r'''
        The tests below compare sympy expressions by evaluating them exactly (to 40 significant digits) at a
        set of fixed points. This helper does that; you may use it yourself.
    ''')
    nb.code('''
        def sympy_gap(value, reference, points, digits=40):
            """Largest |value - reference| over ``points``, evaluated to ``digits`` significant digits.

            value, reference: sympy expressions or matrices of the same shape.
            points: list of dicts {symbol: exact number}. Complex parts count as error.
            Returns a float; ``inf`` when a value does not evaluate to a number (a leftover symbol,
            a division by zero) or the shapes differ.
            """
            A = value if isinstance(value, sp.MatrixBase) else sp.Matrix([value])
            B = reference if isinstance(reference, sp.MatrixBase) else sp.Matrix([reference])
            if A.shape != B.shape:
                return math.inf
            worst = 0.0
            for point in points:
                for a, b in zip(A, B):
                    try:
                        gap = abs(complex(sp.N((sp.sympify(a) - b).subs(point), digits)))
                    except (TypeError, ValueError, ZeroDivisionError):
                        return math.inf
                    if not math.isfinite(gap):
                        return math.inf
                    worst = max(worst, gap)
            return worst


        def has_float(expr):
            """Whether a sympy expression (or matrix) contains a floating-point number such as 0.333..."""
            return bool(sp.sympify(expr).atoms(sp.Float))


        dgmlab.integrity.protect(globals(), "sympy_gap", "has_float")  # the tests use these: keep them
        ''', locked=True, grade_id="helpers")


# --------------------------------------------------------------------------- Q1
def _q1_f_and_inverse(nb):
    """Q1 (30 points) and Q1(a): the flow f and its inverse in sympy."""
    nb.md(r'''
        ## Q1. Change of variables (30 points)

        Let $Z \sim \mathcal N_3(0, I)$ and push it through $f:\mathbb R^3\to\mathbb R^3$,
        $$
        X = f(Z) = \Big(z_1,\; z_2\, e^{z_1},\; \big(z_3\, e^{-z_1} + z_1^2\big)^{1/3}\Big),
        $$
        where $t^{1/3}$ is the **real** cube root (for $t<0$ it is negative: $(-8)^{1/3} = -2$).
        For an invertible, differentiable $f$ the density of $X$ is
        $$
        p_X(x) = p_Z\big(f^{-1}(x)\big)\,\Big|\det \tfrac{\partial f^{-1}}{\partial x}(x)\Big|
               = \frac{p_Z(z)}{\big|\det \tfrac{\partial f}{\partial z}(z)\big|}\Bigg|_{z = f^{-1}(x)}.
        $$
        You will (a) decide whether $f$ is invertible and write $f^{-1}$, (b) compute the Jacobian of $f$ and
        its determinant, (c) find $p_X$ exactly at $x^\star = (0,\,1,\,1/3)$, and (d) check the number with
        torch autograd and with Monte Carlo.

        The symbols are fixed below: use `z1, z2, z3` for the latent point and `x1, x2, x3` for the data point.
        In sympy, `u ** sp.Rational(1, 3)` is the *principal* (complex) cube root; `sp.real_root(u, 3)` is the
        real one.
    ''')
    nb.code('''
        z1, z2, z3 = sp.symbols("z1 z2 z3", real=True)
        x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)
        z = sp.Matrix([z1, z2, z3])
        x = sp.Matrix([x1, x2, x3])
        X_STAR = {x1: 0, x2: 1, x3: sp.Rational(1, 3)}
        ''', locked=True, grade_id="q1_symbols")
    nb.md(r'''
        ### Q1(a) (5 points): $f$ and $f^{-1}$ in sympy

        Write $f$ as a $3\times 1$ `sp.Matrix` in `z1, z2, z3`, its inverse $f^{-1}$ as a $3\times 1$ `sp.Matrix`
        in `x1, x2, x3`, and set `f_is_invertible` to `True` or `False`. Solve for $z$ one coordinate at a time:
        the map is triangular. Keep numbers exact (`sp.Rational(1, 3)`, never `1/3`).
    ''')
    nb.answer("q1_f_and_inverse", '''
        # f: 3x1 sp.Matrix in z1, z2, z3;  f_inv: 3x1 sp.Matrix in x1, x2, x3;  f_is_invertible: bool
        ### BEGIN SOLUTION
        f = sp.Matrix([z1, z2 * sp.exp(z1), sp.real_root(z3 * sp.exp(-z1) + z1 ** 2, 3)])
        f_inv = sp.Matrix([x1, x2 * sp.exp(-x1), (x3 ** 3 - x1 ** 2) * sp.exp(x1)])
        f_is_invertible = True
        ### END SOLUTION
        ''')
    nb.tests("q1_f_and_inverse_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.5)
        def test_f_is_a_3x1_matrix_in_z():
            assert isinstance(f, sp.MatrixBase) and f.shape == (3, 1), \\
                (f"expected f to be a 3x1 sp.Matrix, found {type(f).__name__} "
                 f"of shape {getattr(f, 'shape', None)}")
            checks.assert_sympy_expr(sp.Add(*f), "f", symbols=[z1, z2, z3])
            assert not has_float(f), \\
                (f"expected exact numbers, found floats {sorted(sp.sympify(f).atoms(sp.Float))[:3]} in f: "
                 f"an exponent written 1/3 becomes 0.333...; write sp.Rational(1, 3) or use sp.real_root")

        @points(0.5)
        def test_f_inv_is_a_3x1_matrix_in_x():
            assert isinstance(f_inv, sp.MatrixBase) and f_inv.shape == (3, 1), \\
                (f"expected f_inv to be a 3x1 sp.Matrix, found {type(f_inv).__name__} "
                 f"of shape {getattr(f_inv, 'shape', None)}")
            checks.assert_sympy_expr(sp.Add(*f_inv), "f_inv", symbols=[x1, x2, x3])
            assert not has_float(f_inv), \\
                (f"expected exact numbers, found floats {sorted(sp.sympify(f_inv).atoms(sp.Float))[:3]} "
                 f"in f_inv: keep it exact (sp.Rational, not 1/3)")

        @points(1)
        def test_round_trip_at_one_point():
            back = f_inv.subs({x1: 0, x2: 1, x3: 2})
            zz = {z1: back[0], z2: back[1], z3: back[2]}
            got = f.subs(zz, simultaneous=True)
            assert sympy_gap(got, sp.Matrix([0, 1, 2]), [{}]) < 1e-25, \\
                (f"expected f(f_inv(x)) = [0, 1, 2] at x = (0, 1, 2), found {list(got)}: a wrong last "
                 f"entry often means x3 was solved for in the wrong order (cube first, then subtract "
                 f"x1^2 and rescale)")

        ### BEGIN HIDDEN TESTS
        def _x_points():
            return [{x1: a, x2: b, x3: c} for a, b, c in [
                (0, 1, sp.Rational(1, 3)), (sp.Rational(1, 2), -sp.Rational(3, 2), -2), (-1, 2, sp.Rational(5, 4)),
                (2, sp.Rational(1, 3), -sp.Rational(1, 2)), (-sp.Rational(3, 2), -1, -3), (1, 0, sp.Rational(7, 10))]]

        def _z_points():
            return [{z1: a, z2: b, z3: c} for a, b, c in [
                (0, 1, sp.Rational(1, 27)), (sp.Rational(1, 2), -2, -3), (-1, sp.Rational(1, 3), 2),
                (1, 2, -5), (-sp.Rational(1, 2), -1, -sp.Rational(1, 3)), (0, 0, -8)]]

        def test_f_of_f_inv_is_identity_including_negative_x3():
            fx = f.subs({z1: f_inv[0], z2: f_inv[1], z3: f_inv[2]}, simultaneous=True)
            assert sympy_gap(fx, x, _x_points()) < 1e-25, \\
                ("f(f_inv(x)) differs from x at some points (negative x3 among them): check the order in which "
                 "you solved for z3, and which cube root f uses")

        def test_f_inv_of_f_is_identity():
            zf = f_inv.subs({x1: f[0], x2: f[1], x3: f[2]}, simultaneous=True)
            assert sympy_gap(zf, z, _z_points()) < 1e-25, "f_inv(f(z)) differs from z at some points"

        def test_invertibility_decision():
            assert f_is_invertible is True, "f_is_invertible: reconsider whether every x has exactly one preimage"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3)
        ''')


def _q1_jacobian(nb):
    """Q1(b): the Jacobian of f and its determinant."""
    nb.md(r'''
        ### Q1(b) (6 points): the Jacobian of $f$ and its determinant

        Build `J_f`, the $3\times 3$ matrix $\big[\partial f_i/\partial z_j\big]$ in `z1, z2, z3` (the Jacobian of
        $f$, not of $f^{-1}$), and `det_J_f`, its determinant. `sp.Matrix.jacobian` helps. With the real cube
        root, sympy may produce `DiracDelta` and `sign(...)**2` factors: they equal $0$ and $1$ wherever the
        argument of the cube root is non-zero (the only place $f$ is differentiable), so you may drop or
        simplify them, e.g. with `expr.replace(sp.DiracDelta, lambda *args: 0)`.
    ''')
    nb.answer("q1_jacobian", '''
        # J_f: 3x3 sp.Matrix in z1, z2, z3;  det_J_f: sympy expression in z1, z2, z3
        ### BEGIN SOLUTION
        J_f = f.jacobian(z).replace(sp.DiracDelta, lambda *args: sp.S.Zero)
        det_J_f = J_f.det()
        ### END SOLUTION
        ''')
    nb.tests("q1_jacobian_tests", points=6, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(1)
        def test_J_f_is_3x3_in_z():
            assert isinstance(J_f, sp.MatrixBase) and J_f.shape == (3, 3), \\
                (f"expected J_f to be a 3x3 sp.Matrix, found {type(J_f).__name__} "
                 f"of shape {getattr(J_f, 'shape', None)}")
            checks.assert_sympy_expr(sp.Add(*J_f), "J_f", symbols=[z1, z2, z3])

        @points(0.5)
        def test_det_is_an_expression_in_z():
            checks.assert_sympy_expr(det_J_f, "det_J_f", symbols=[z1, z2, z3])

        @points(0.5)
        def test_first_row_is_the_derivative_of_z1():
            assert sympy_gap(J_f[0, :], sp.Matrix([[1, 0, 0]]), [{}]) == 0, \\
                (f"expected the first row of J_f to be [1, 0, 0] (the derivatives of f_1 = z1), found "
                 f"{list(J_f[0, :])}: rows are outputs and columns inputs; a first row with exp terms "
                 f"often means J_f was transposed or is the Jacobian of f_inv")

        ### BEGIN HIDDEN TESTS
        def _reference_jacobian():
            cbrt_sq = sp.Abs(z3 * sp.exp(-z1) + z1 ** 2) ** sp.Rational(2, 3)
            return sp.Matrix([[1, 0, 0], [z2 * sp.exp(z1), sp.exp(z1), 0],
                              [(2 * z1 - z3 * sp.exp(-z1)) / (3 * cbrt_sq), 0, sp.exp(-z1) / (3 * cbrt_sq)]])

        def _z_points():
            return [{z1: a, z2: b, z3: c} for a, b, c in [
                (0, 1, sp.Rational(1, 27)), (sp.Rational(1, 2), -2, -3), (-1, sp.Rational(1, 3), 2),
                (1, 2, -5), (-sp.Rational(1, 2), -1, -sp.Rational(1, 3)), (0, 0, -8), (2, sp.Rational(1, 2), 1)]]

        def test_J_f_is_the_jacobian_of_f():
            assert sympy_gap(J_f, _reference_jacobian(), _z_points()) < 1e-25, \\
                ("J_f differs from the Jacobian of f at some points: check rows vs columns, that it is the "
                 "Jacobian of f (not f_inv), and the cube root for negative arguments")

        def test_det_J_f():
            assert sympy_gap(det_J_f, _reference_jacobian().det(), _z_points()) < 1e-25, \\
                "det_J_f differs from the determinant of the Jacobian of f at some points"
        ### END HIDDEN TESTS

        run_tests(points=6, hidden=4)
        ''')


def _q1_density(nb):
    """Q1(c): the density p_X and its exact value at x*."""
    nb.md(r'''
        ### Q1(c) (7 points): the density $p_X$ and its exact value at $x^\star$

        With a standard normal base $p_Z(z) = (2\pi)^{-3/2} e^{-\|z\|^2/2}$, build `p_x`, the density of $X$ as
        a sympy expression in `x1, x2, x3`, and `p_x_star`, its exact value at $x^\star = (0, 1, 1/3)$
        (`X_STAR` holds that point). Remember the absolute value of the determinant.
    ''')
    nb.answer("q1_density", '''
        # p_x: sympy expression in x1, x2, x3;  p_x_star: exact sympy number (no floats)
        ### BEGIN SOLUTION
        p_z_of_x = (2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-f_inv.dot(f_inv) / 2)
        p_x = p_z_of_x * sp.Abs(f_inv.jacobian(x).det())
        p_x_star = sp.simplify(p_x.subs(X_STAR))
        ### END SOLUTION
        print("p_x_star =", p_x_star)
        ''', check_output=True)
    nb.tests("q1_density_tests", points=7, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def test_p_x_is_an_expression_in_x():
            checks.assert_sympy_expr(p_x, "p_x", symbols=[x1, x2, x3])

        def test_p_x_star_is_an_exact_positive_number():
            checks.assert_sympy_expr(p_x_star, "p_x_star", symbols=[])
            assert not has_float(p_x_star), \\
                (f"expected an exact number, found floats "
                 f"{sorted(sp.sympify(p_x_star).atoms(sp.Float))[:3]} in p_x_star: keep it exact")
            assert 0 < float(p_x_star) < 1, \\
                (f"expected a density value in (0, 1) at x*, found {float(p_x_star):.6g}: a value above "
                 f"1 often means |det J_f| multiplied the Gaussian instead of dividing it")

        ### BEGIN HIDDEN TESTS
        def _reference_p_x():
            zx = sp.Matrix([x1, x2 * sp.exp(-x1), (x3 ** 3 - x1 ** 2) * sp.exp(x1)])
            return (2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-zx.dot(zx) / 2) * 3 * x3 ** 2

        def test_p_x_star_exact_value():
            assert sympy_gap(p_x_star, _reference_p_x().subs(X_STAR), [{}]) < 1e-35, \\
                ("p_x_star is not the density at x*: check the preimage z*, the Gaussian normaliser, and that "
                 "the determinant factor belongs to f_inv (or is 1/|det J_f|)")

        def test_p_x_matches_at_many_points():
            points = [{x1: a, x2: b, x3: c} for a, b, c in [
                (0, 1, sp.Rational(1, 3)), (sp.Rational(1, 2), -sp.Rational(3, 2), -1), (-1, 2, sp.Rational(5, 4)),
                (sp.Rational(1, 4), sp.Rational(1, 3), -sp.Rational(1, 2)), (-sp.Rational(1, 2), -1, sp.Rational(3, 5))]]
            assert sympy_gap(p_x, _reference_p_x(), points) < 1e-30, \\
                "p_x differs from the density of X at some points (some with negative x3)"
        ### END HIDDEN TESTS

        run_tests(points=7, hidden=5)
        ''')


def _q1_torch_density(nb):
    """Q1(d): the same density with torch autograd, and a Monte Carlo cross-check."""
    nb.md(r'''
        ### Q1(d) (5 points): the same density with torch autograd

        Symbolic Jacobians do not scale to neural networks; autograd does. Write `f_inv_torch`, $f^{-1}$ acting
        on a batch of rows, and `flow_log_prob`, which computes
        $\log p_X(x) = \log p_Z(f^{-1}(x)) + \log\big|\det \partial f^{-1}/\partial x\big|$ for **any** invertible
        `f_inv` with the Jacobian from autograd (`torch.autograd.functional.jacobian` or `torch.func.jacrev`),
        one row at a time is fine. Some maps have a negative determinant: keep the absolute value.
    ''')
    nb.code('''
        def standard_normal_log_prob(z):
            """log N(z; 0, I) row by row. z: float64 tensor (N, D) -> float64 tensor (N,)."""
            return -0.5 * (z ** 2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
        ''', locked=True, grade_id="base_log_prob")
    nb.answer("q1_torch_density", '''
        def f_inv_torch(x):
            """f^{-1} applied to each row. x: float64 tensor (N, 3) -> z: float64 tensor (N, 3)."""
            ### BEGIN SOLUTION
            x1_, x2_, x3_ = x[:, 0], x[:, 1], x[:, 2]
            return torch.stack([x1_, x2_ * torch.exp(-x1_), (x3_ ** 3 - x1_ ** 2) * torch.exp(x1_)], dim=1)
            ### END SOLUTION


        def flow_log_prob(x, f_inv, base_log_prob):
            """log p_X(x) by the change of variables, with the Jacobian of f_inv from autograd.

            x: float64 tensor (N, D); f_inv: callable mapping a (N, D) tensor to a (N, D) tensor row by row;
            base_log_prob: callable mapping (N, D) -> (N,). Returns a float64 tensor (N,).
            """
            ### BEGIN SOLUTION
            z = f_inv(x)
            log_dets = []
            for row in x:
                J = torch.autograd.functional.jacobian(lambda v: f_inv(v[None])[0], row)
                log_dets.append(torch.log(torch.abs(torch.det(J))))
            return base_log_prob(z) + torch.stack(log_dets)
            ### END SOLUTION
        ''')
    nb.tests("q1_torch_density_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def test_shapes_and_dtype():
            out = flow_log_prob(torch.tensor([[0.0, 1.0, 0.5], [0.3, -0.2, 1.1]]), f_inv_torch,
                                standard_normal_log_prob)
            checks.assert_tensor(out, "flow_log_prob(x, ...)", shape=(2,), dtype=torch.float64)

        def test_identity_map_gives_the_base_density():
            xs = torch.randn(4, 3)
            checks.assert_close(flow_log_prob(xs, lambda v: v, standard_normal_log_prob),
                                standard_normal_log_prob(xs), name="log p_X under the identity map")

        ### BEGIN HIDDEN TESTS
        def test_value_at_x_star():
            exact = -1.5 * math.log(2 * math.pi) - 365 / 729 - math.log(3)
            out = flow_log_prob(torch.tensor([[0.0, 1.0, 1.0 / 3.0]]), f_inv_torch, standard_normal_log_prob)
            checks.assert_close(out, torch.tensor([exact]), rtol=1e-9, atol=1e-9, name="log p_X(x*)")

        def test_f_inv_torch_matches_f_inv():
            xs = torch.tensor([[0.5, -1.5, -2.0], [-1.0, 2.0, 1.25], [2.0, 0.3, -0.5]])
            want = torch.stack([xs[:, 0], xs[:, 1] * torch.exp(-xs[:, 0]),
                                (xs[:, 2] ** 3 - xs[:, 0] ** 2) * torch.exp(xs[:, 0])], dim=1)
            checks.assert_close(f_inv_torch(xs), want, rtol=1e-10, name="f_inv_torch(x)")

        def test_linear_map_with_negative_determinant():
            A = torch.tensor([[0.0, 2.0], [1.5, 0.5]])  # det = -3: f_inv(x) = A x
            xs = torch.randn(6, 2)
            cov = torch.linalg.inv(A.T @ A)
            want = torch.distributions.MultivariateNormal(torch.zeros(2), covariance_matrix=cov).log_prob(xs)
            checks.assert_close(flow_log_prob(xs, lambda v: v @ A.T, standard_normal_log_prob), want,
                                rtol=1e-9, atol=1e-9,
                                name="log p_X for a linear f_inv with a negative determinant")

        def test_nonlinear_map_in_two_dimensions():
            def g_inv(v):  # triangular, det = -(1 + 3 v1^2) exp(v0) < 0
                return torch.stack([-v[:, 0], (v[:, 1] + v[:, 1] ** 3) * torch.exp(v[:, 0])], dim=1)
            xs = torch.randn(5, 2)
            z_ = g_inv(xs)
            want = standard_normal_log_prob(z_) + torch.log(1 + 3 * xs[:, 1] ** 2) + xs[:, 0]
            checks.assert_close(flow_log_prob(xs, g_inv, standard_normal_log_prob), want, rtol=1e-9,
                                atol=1e-9, name="log p_X for a nonlinear f_inv")
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3)
        ''')
    nb.md(r'''
        **Monte Carlo cross-check** (not graded). Sample $z\sim\mathcal N(0,I)$, push it through $f$ (with the real
        cube root), and count how many samples land in a small cube around $x^\star$: the fraction divided by the
        cube's volume estimates $p_X(x^\star)$.
    ''')
    nb.code('''
        def f_torch(zb):
            """f applied to each row. zb: float64 tensor (N, 3) -> float64 tensor (N, 3) (real cube root)."""
            u = zb[:, 2] * torch.exp(-zb[:, 0]) + zb[:, 0] ** 2
            return torch.stack([zb[:, 0], zb[:, 1] * torch.exp(zb[:, 0]), torch.sign(u) * u.abs() ** (1 / 3)], dim=1)


        if not dgmlab.runtime.is_grading():
            dgmlab.runtime.seed_everything(0)
            n_mc, half = dgmlab.runtime.pick(full=20_000_000, fast=2_000_000), 0.05
            hits = 0
            for start in tqdm(range(0, n_mc, 1_000_000), desc="Monte Carlo"):
                xs = f_torch(torch.randn(min(1_000_000, n_mc - start), 3))
                hits += int(((xs - torch.tensor([0.0, 1.0, 1 / 3])).abs() <= half).all(dim=1).sum())
            mc = hits / n_mc / (2 * half) ** 3
            mc_se = math.sqrt(hits) / n_mc / (2 * half) ** 3  # Poisson standard error of the count
            autograd = float(flow_log_prob(torch.tensor([[0.0, 1.0, 1 / 3]]), f_inv_torch,
                                           standard_normal_log_prob).exp())
            print(f"exact p_X(x*) = {float(p_x_star):.5f}   autograd = {autograd:.5f}   "
                  f"Monte Carlo ({n_mc:,} samples, cube of side {2 * half}) = {mc:.5f} +- {mc_se:.5f}")
        ''', uses_answers=True)


def _q1_written(nb):
    """Q1(e), written: invertibility and the determinant."""
    nb.md(r'''
        ### Q1(e) (7 points, written): invertibility and the determinant

        Justify your answer to Q1(a): is $f$ a bijection of $\mathbb R^3$, and what goes wrong with the principal
        complex cube root? Give $\det \partial f/\partial z$ in closed form, say where $f$ fails to be
        differentiable, and explain why the change-of-variables formula still gives the density of $X$. Finally,
        explain why the formula needs $|\det|$ rather than $\det$ (give a map where it matters).
    ''')
    nb.written("q1_written", points=7, model_answer=r'''
        **Invertible.** Given any $x\in\mathbb R^3$ the equations $x = f(z)$ have exactly one solution, solved one
        coordinate at a time because the map is triangular: $z_1 = x_1$; $z_2 = x_2 e^{-x_1}$ (since $e^{z_1}>0$);
        and $x_3^3 = z_3 e^{-z_1} + z_1^2$ gives $z_3 = (x_3^3 - x_1^2)\,e^{x_1}$. Cubing is a bijection of
        $\mathbb R$ whose inverse is the *real* cube root, so $f$ is a bijection of $\mathbb R^3$ with
        $f^{-1}(x) = \big(x_1,\; x_2 e^{-x_1},\; (x_3^3 - x_1^2)e^{x_1}\big)$. With the principal complex root,
        $f$ sends points with $u = z_3e^{-z_1}+z_1^2 < 0$ to complex numbers, so it is not even a map into
        $\mathbb R^3$ there and $f(f^{-1}(x)) \neq x$ when $x_3 < 0$.

        **Determinant.** $J_f$ is lower triangular with diagonal $1,\; e^{z_1},\; \tfrac13 |u|^{-2/3} e^{-z_1}$, so
        $\det J_f = \tfrac13 |u|^{-2/3} = \dfrac{1}{3x_3^2}$ at $x = f(z)$; equivalently
        $\det J_{f^{-1}}(x) = 3x_3^2$. $f$ is not differentiable on the surface $u = 0$ (i.e. $x_3 = 0$), where
        the cube root has a vertical tangent. That set has Lebesgue measure zero, and $f^{-1}$ is smooth
        everywhere, so the formula $p_X(x) = p_Z(f^{-1}(x))\,|\det J_{f^{-1}}(x)|$ holds for almost every $x$,
        which is all a density needs. At $x^\star$: $z^\star = (0,1,1/27)$ and
        $p_X(x^\star) = (2\pi)^{-3/2}\exp\!\big(-\tfrac12(1 + \tfrac1{729})\big)\cdot\tfrac13 \approx 0.01283$.

        **Why $|\det|$.** Probability mass is $p\,dV$ and volumes are non-negative; $\det$ also records whether
        the map flips orientation. Here $\det J_{f^{-1}} = 3x_3^2 \ge 0$ so the sign never matters, but for the
        reflection $f(z) = -z$ in one dimension $\det = -1$ and dropping $|\cdot|$ would give a negative
        "density" (and a NaN log-density).
        ''')


# --------------------------------------------------------------------------- Q2
def _q2_counter_density(nb):
    """Q2 (35 points) and Q2.1: the target density in torch."""
    nb.md(r'''
        ## Q2. Volume-preserving flows are not universal (35 points)

        A normalizing flow models $p_\theta(x) = p_Z\big(f_\theta^{-1}(x)\big)\,\big|\det \partial f_\theta^{-1}/\partial x\big|$.
        It is **volume-preserving** (VP) when $|\det \partial f_\theta/\partial z| = 1$ everywhere: it can move
        probability mass around but never compress or stretch it. A family of densities is a *universal
        approximator* (for a chosen divergence) if every target density is the limit of a sequence in the family.
        We show that VP flows with base $p_Z = \mathcal N(0, I_2)$ are **not** universal under the KL divergence,
        using Pinsker's inequality
        $$
        \delta(p, q) = \sup_{E} |p(E) - q(E)| \;\le\; \sqrt{\tfrac12 D_{\mathrm{KL}}(p\,\|\,q)}
        \qquad (E \text{ ranging over measurable events}).
        $$

        **The target.** Let $r = \max(|x|, |y|)$ and, for a slope $k > 0$,
        $$
        p(x, y) = \begin{cases}
        0.9 & r \le 0.5 \quad\text{(the square } B = [-0.5, 0.5]^2\text{)},\\
        0.9 - k\,(r - 0.5) & 0.5 \le r \le 0.5 + 0.9/k,\\
        0 & \text{otherwise.}
        \end{cases}
        $$
        This is the course's case-by-case definition written with $r$: on the strip $|x| \ge 0.5$, $|y| \le |x|$
        we have $r = |x|$, and symmetrically for $y$. The density falls linearly from $0.9$ to $0$ on a thin frame
        around $B$. (The original handout writes the outer edge as $0.9k + 0.5$; we read it as $0.5 + 0.9/k$,
        where the density reaches zero, so that $p \ge 0$ and $p$ is continuous.)

        Throughout, $\varepsilon > 0$,
        $A = \{x : p_\theta(x) \ge 0.9 - \varepsilon\}$ and $\bar A = B \setminus A$.
    ''')
    nb.md(r'''
        ### Q2.1 (5 points): the target density in torch

        Implement `p_counter(xy, k)`. Be careful with the signs of $x$ and $y$ and with the region beyond the frame.
    ''')
    nb.answer("q2_counter_density", '''
        def p_counter(xy, k):
            """The target density p(x, y) with slope k.

            xy: float tensor (N, 2) of points (x, y); k: positive float.
            Returns a float tensor (N,) (same dtype as xy), the density at each point.
            """
            ### BEGIN SOLUTION
            r = xy.abs().amax(dim=1)
            frame = torch.clamp(0.9 - k * (r - 0.5), min=0.0)
            return torch.where(r <= 0.5, torch.full_like(r, 0.9), frame)
            ### END SOLUTION
        ''')
    nb.tests("q2_counter_density_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def test_shape_and_value_inside_B():
            out = p_counter(torch.tensor([[0.0, 0.0], [0.2, -0.4], [5.0, 5.0]]), 10.0)
            checks.assert_tensor(out, "p_counter(xy, k)", shape=(3,))
            checks.assert_close(out[:2], torch.tensor([0.9, 0.9]), name="p_counter inside B")
            checks.assert_close(out[2], 0.0, name="p_counter far away")

        ### BEGIN HIDDEN TESTS
        def test_values_on_all_four_sides_and_corners():
            pts = torch.tensor([[0.7, 0.1], [-0.7, 0.3], [0.2, 0.7], [-0.1, -0.75], [0.65, -0.6],
                                [-0.75, -0.75], [0.45, -0.45], [0.9, 0.0], [0.0, -0.95], [0.3, 0.79]])
            r = pts.abs().amax(dim=1)
            want = torch.where(r <= 0.5, torch.full_like(r, 0.9), torch.clamp(0.9 - 3.0 * (r - 0.5), min=0.0))
            checks.assert_close(p_counter(pts, 3.0), want, atol=1e-9,
                                name="p_counter(xy, k=3) at points on each side of B, corners included")

        def test_non_negative_and_zero_beyond_the_frame():
            g = torch.linspace(-1.5, 1.5, 61)
            grid = torch.cartesian_prod(g, g)
            out = p_counter(grid, 5.0)
            assert float(out.min()) >= 0.0, "p_counter takes negative values somewhere"
            outside = grid.abs().amax(dim=1) > 0.5 + 0.9 / 5.0 + 1e-9
            assert float(out[outside].abs().max()) == 0.0, "p_counter is non-zero beyond the frame"
            assert float(out.max()) <= 0.9 + 1e-12, "p_counter exceeds 0.9 somewhere"

        def test_mass_is_one_for_the_normalising_slope():
            k_ref = 8.1 + 0.9 * math.sqrt(93)
            n = 1201
            g = (torch.arange(n) + 0.5) / n * 1.2 - 0.6  # midpoints on [-0.6, 0.6]
            mass = float(p_counter(torch.cartesian_prod(g, g), k_ref).sum()) * (1.2 / n) ** 2
            assert abs(mass - 1.0) < 2e-3, "p_counter does not integrate to 1 for the normalising slope"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3)
        ''')


def _q2_normalising_k(nb):
    """Q2.2: the normalising slope k."""
    nb.md(r'''
        ### Q2.2 (5 points): the normalising slope $k$

        Find the $k > 0$ for which $p$ integrates to 1. Hint: $B$ holds mass $0.9$, and $p$ depends on $(x, y)$
        only through $r$, whose level set $\{r = s\}$ is the boundary of a square of side $2s$: integrate over
        $r$. Put the value in `k_value`, exact from sympy if you can (a float from numerical integration is
        accepted if it is accurate to about six digits).
    ''')
    nb.answer("q2_normalising_k", '''
        # k_value: the normalising slope, a sympy number (or a float accurate to ~1e-6)
        ### BEGIN SOLUTION
        k_sym, s_sym = sp.symbols("k s", positive=True)
        frame_mass = sp.integrate((sp.Rational(9, 10) - k_sym * (s_sym - sp.Rational(1, 2))) * 8 * s_sym,
                                  (s_sym, sp.Rational(1, 2), sp.Rational(1, 2) + sp.Rational(9, 10) / k_sym))
        k_value = sp.solve(sp.Eq(sp.Rational(9, 10) + frame_mass, 1), k_sym)[0]
        ### END SOLUTION
        print("k_value =", k_value)
        ''', check_output=True)
    nb.tests("q2_normalising_k_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def test_k_is_a_positive_number():
            if isinstance(k_value, sp.Basic):
                checks.assert_sympy_expr(k_value, "k_value", symbols=[])
            value = float(checks.as_array(float(k_value), "k_value"))
            assert value > 0, f"expected a positive slope k, found {value:.6g}"

        ### BEGIN HIDDEN TESTS
        def test_total_mass_is_one():
            k_ = float(k_value)
            t = 0.9 / k_
            mass = 0.9 + 1.2 * t ** 2 + 1.8 * t
            assert abs(mass - 1.0) < 1e-6, \\
                "with this k the density does not integrate to 1 (count all four sides of the frame, and B)"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=4)
        ''')


def _q2_vp_bound(nb):
    """Q2.3: how far a volume-preserving flow can get."""
    nb.md(r'''
        ### Q2.3 (3 + 4 points): how far can a VP flow get?

        Compute, as numbers (sympy or float):
        - `p_B`: the mass $p(B)$ the target puts on the square $B$;
        - `max_density_vp`: the largest value **any** VP flow density $p_\theta$ with base $\mathcal N(0, I_2)$ can
          take anywhere (since $|\det| = 1$, $p_\theta(x)$ is a value of the base density);
        - `tv_lower_bound`: the lower bound on $|p(B) - p_\theta(B)|$ that these two give (the area of $B$ is 1);
        - `kl_lower_bound`: the resulting lower bound on $D_{\mathrm{KL}}(p\,\|\,p_\theta)$ from Pinsker's inequality.
    ''')
    nb.answer("q2_vp_bound", '''
        # p_B, max_density_vp, tv_lower_bound, kl_lower_bound: sympy numbers or floats
        ### BEGIN SOLUTION
        p_B = sp.Rational(9, 10)
        max_density_vp = 1 / (2 * sp.pi)
        tv_lower_bound = p_B - max_density_vp * 1
        kl_lower_bound = 2 * tv_lower_bound ** 2
        ### END SOLUTION
        print(f"p_B = {p_B}, max density = {max_density_vp}, TV >= {tv_lower_bound}, KL >= {kl_lower_bound}")
        ''', check_output=True)
    nb.tests("q2_vp_bound_tests", points=3, src='''
        from dgmlab.testing import points, run_tests

        def test_are_numbers_between_zero_and_one():
            for name, v in [("p_B", p_B), ("max_density_vp", max_density_vp)]:
                assert 0 < float(v) <= 1, f"expected {name} to be a number in (0, 1], found {float(v):.6g}"

        ### BEGIN HIDDEN TESTS
        def test_mass_of_B():
            assert abs(float(p_B) - 0.9) < 1e-9, "p_B is not the mass of the unit square under p"

        def test_largest_vp_density():
            assert abs(float(max_density_vp) - 1 / (2 * math.pi)) < 1e-9, \\
                "max_density_vp is not the peak of a VP flow density with a 2-D standard normal base"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')
    nb.tests("q2_pinsker_tests", points=4, src='''
        from dgmlab.testing import points, run_tests

        def test_bounds_are_positive():
            assert float(tv_lower_bound) > 0, f"expected tv_lower_bound > 0, found {float(tv_lower_bound):.6g}"
            assert float(kl_lower_bound) > 0, f"expected kl_lower_bound > 0, found {float(kl_lower_bound):.6g}"

        ### BEGIN HIDDEN TESTS
        def test_total_variation_bound():
            assert abs(float(tv_lower_bound) - (0.9 - 1 / (2 * math.pi))) < 1e-9, \\
                "tv_lower_bound is not p(B) minus the most mass a VP flow can put on B"

        def test_pinsker_kl_bound():
            tv = 0.9 - 1 / (2 * math.pi)
            assert abs(float(kl_lower_bound) - 2 * tv ** 2) < 1e-9, \\
                "kl_lower_bound does not follow from Pinsker's inequality (solve delta <= sqrt(KL/2) for KL)"
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=3)
        ''')


def _q2_vp_flow_demo(nb):
    """Seeing the gap: a small volume-preserving flow (not graded)."""
    nb.md(r'''
        ### Seeing the gap: a small volume-preserving flow (not graded)

        Additive coupling layers (NICE) are volume-preserving: each shifts one coordinate by a neural function of
        the other, so its Jacobian is triangular with ones on the diagonal. We fit a stack of them to samples of
        $p$ by maximum likelihood and compare. Whatever the training, the learned density should stay below the
        ceiling you computed as `max_density_vp`, while $p$ is $0.9$ on all of $B$, and the Monte Carlo estimate of
        $D_{\mathrm{KL}}(p\,\|\,p_\theta)$ should stay above the bound you derived. (Full mode trains for a few thousand
        steps; fast mode only checks the code runs.)
    ''')
    nb.code('''
        def sample_counter(n, k, generator=None):
            """n samples of p_counter(., k) by rejection from the bounding square: float64 tensor (n, 2)."""
            edge = 0.5 + 0.9 / k
            out = []
            while sum(len(o) for o in out) < n:
                cand = (torch.rand(2 * n, 2, generator=generator) * 2 - 1) * edge
                keep = torch.rand(2 * n, generator=generator) * 0.9 < p_counter(cand, k)
                out.append(cand[keep])
            return torch.cat(out)[:n]


        class AdditiveCoupling(torch.nn.Module):
            """x_b = z_b + m(z_a) on one coordinate, the other unchanged: |det J| = 1 exactly."""

            def __init__(self, shift_second, hidden=64):
                super().__init__()
                self.shift_second = shift_second
                self.m = torch.nn.Sequential(torch.nn.Linear(1, hidden), torch.nn.Tanh(),
                                             torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                                             torch.nn.Linear(hidden, 1))

            def inverse(self, xb):
                """(N, 2) data-side points -> (N, 2) latent-side points."""
                a, b = (xb[:, :1], xb[:, 1:]) if self.shift_second else (xb[:, 1:], xb[:, :1])
                b = b - self.m(a)
                return torch.cat([a, b], 1) if self.shift_second else torch.cat([b, a], 1)


        class VolumePreservingFlow(torch.nn.Module):
            def __init__(self, n_layers=8, hidden=64):
                super().__init__()
                self.layers = torch.nn.ModuleList([AdditiveCoupling(i % 2 == 0, hidden) for i in range(n_layers)])

            def log_prob(self, xb):
                """log p_theta(x) = log N(f^{-1}(x)); the log-determinant is exactly 0. (N, 2) -> (N,)."""
                zb = xb
                for layer in reversed(self.layers):
                    zb = layer.inverse(zb)
                return standard_normal_log_prob(zb)
        ''')
    nb.code('''
        if not dgmlab.runtime.is_grading():
            dgmlab.runtime.seed_everything(0)
            K = float(k_value)
            steps = dgmlab.runtime.pick(full=3000, fast=40)
            flow = VolumePreservingFlow(n_layers=dgmlab.runtime.pick(full=8, fast=4))
            opt = torch.optim.Adam(flow.parameters(), lr=2e-3)
            losses = []
            for step in tqdm(range(steps), desc="VP flow"):
                batch = sample_counter(512, K)
                loss = -flow.log_prob(batch).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())

            g = torch.linspace(-0.8, 0.8, 161)
            grid = torch.cartesian_prod(g, g)
            with torch.no_grad():
                learned = flow.log_prob(grid).exp().reshape(161, 161)
                target = p_counter(grid, K).reshape(161, 161)
                test = sample_counter(20_000, K)
                kl_mc = float((p_counter(test, K).log() - flow.log_prob(test)).mean())
            fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
            for ax, img, title in [(axes[0], target, "target p"), (axes[1], learned, "VP flow p_theta")]:
                im = ax.imshow(img.T.numpy(), origin="lower", extent=(-0.8, 0.8, -0.8, 0.8), vmin=0, vmax=0.9)
                ax.set_title(title)
            fig.colorbar(im, ax=axes[:2].tolist())
            axes[2].plot(losses)
            axes[2].set_xlabel("step")
            axes[2].set_ylabel("negative log-likelihood")
            FIGURES.mkdir(exist_ok=True)
            fig.savefig(FIGURES / "vp_flow_vs_target.png", dpi=100, bbox_inches="tight")
            dgmlab.workspace.saved(FIGURES / "vp_flow_vs_target.png", what="figure saved")
            plt.show()
            print(f"max learned density {float(learned.max()):.3f} (your ceiling max_density_vp = "
                  f"{float(max_density_vp):.3f}); target max 0.9")
            print(f"Monte Carlo KL(p || p_theta) = {kl_mc:.3f}  >=  Pinsker bound {float(kl_lower_bound):.3f}")
        ''', uses_answers=True)


def _q2_proof(nb):
    """Q2.4, written: the proof."""
    nb.md(r'''
        ### Q2.4 (18 points, written): the proof

        Answer each part in the cell below, with $p_\theta$ any VP flow with base $\mathcal N(0, I_2)$.

        **(a) (5 points)** Suppose $A = \emptyset$. Show that $\bar A$ is an event with $|p_\theta(\bar A) - p(\bar A)| > 0$,
        and use Pinsker's inequality to get a positive lower bound on $D_{\mathrm{KL}}(p\,\|\,p_\theta)$ for a suitable
        $\varepsilon > 0$. For which $\varepsilon$ is $A$ necessarily empty?

        **(b) (5 points)** Map $A$ back to latent space: describe $C = f_\theta^{-1}(A)$, compare its area with that of
        $A$ using the change of variables, compute that area, and give a simple upper bound for it.

        **(c) (5 points)** Now suppose $A \neq \emptyset$. Find an event $E$ with $|p_\theta(E) - p(E)| > 0$ and again a
        positive lower bound on the KL divergence for some $\varepsilon > 0$.

        **(d) (3 points)** Explain briefly why (a)-(c) show that VP flows with a Gaussian base are not universal
        approximators under KL.
    ''')
    nb.written("q2_written", points=18, model_answer=r'''
        Since $|\det \partial f_\theta/\partial z| = 1$, $p_\theta(x) = \mathcal N\big(f_\theta^{-1}(x); 0, I_2\big)$, so
        $p_\theta(x) \le \max_z \mathcal N(z) = \tfrac1{2\pi} \approx 0.159$ for every $x$ and every $\theta$.
        Also $p = 0.9$ on $B$, $|B| = 1$, so $p(B) = 0.9$.

        **(a)** If $A = \emptyset$ then $p_\theta < 0.9 - \varepsilon$ everywhere and $\bar A = B$. Hence
        $p_\theta(\bar A) = \int_B p_\theta \le (0.9 - \varepsilon)\,|B| = 0.9 - \varepsilon$ while $p(\bar A) = 0.9$,
        so $\delta(p, p_\theta) \ge |p(\bar A) - p_\theta(\bar A)| \ge \varepsilon > 0$ and, by Pinsker,
        $D_{\mathrm{KL}}(p\,\|\,p_\theta) \ge 2\delta^2 \ge 2\varepsilon^2 > 0$. $A$ is empty for every VP flow as soon as
        $0.9 - \varepsilon > \tfrac1{2\pi}$, i.e. $\varepsilon < 0.9 - \tfrac1{2\pi} \approx 0.741$; letting $\varepsilon$ approach
        that value gives $D_{\mathrm{KL}} \ge 2(0.9 - \tfrac1{2\pi})^2 \approx 1.098$ nats. (Full marks need: the
        choice $E = \bar A = B$, the two masses, Pinsker solved for KL, and a valid range of $\varepsilon$.)

        **(b)** $C = f_\theta^{-1}(A) = \{z : \mathcal N(z) \ge 0.9 - \varepsilon\}$ because $p_\theta(f_\theta(z)) = \mathcal N(z)$.
        By the change of variables, $|A| = \int_C |\det \partial f_\theta/\partial z|\,dz = |C|$: the flow preserves area.
        $\mathcal N(z) = \tfrac1{2\pi}e^{-\|z\|^2/2} \ge 0.9-\varepsilon$ iff $\|z\|^2 \le \rho^2 = 2\ln\frac{1}{2\pi(0.9-\varepsilon)}$, so $C$
        is a disc and $|A| = |C| = \pi\rho^2 = 2\pi\ln\frac{1}{2\pi(0.9-\varepsilon)}$ when $0.9 - \varepsilon \le \frac1{2\pi}$
        (and $0$ otherwise). A simple bound that needs no formula: $1 \ge \int_C \mathcal N \ge (0.9-\varepsilon)|C|$, so
        $|A| = |C| \le \frac{1}{0.9-\varepsilon}$.

        **(c)** $A \ne \emptyset$ forces $0.9 - \varepsilon \le \frac1{2\pi}$. Take $E = \bar A = B\setminus A$: there
        $p = 0.9$ and $p_\theta < 0.9 - \varepsilon$, so $p(\bar A) - p_\theta(\bar A) \ge \varepsilon\,|\bar A| \ge \varepsilon\,(1 - |C|)$,
        which is positive whenever $|C| < 1$, i.e. $0.9 - \varepsilon > e^{-1/(2\pi)}/(2\pi) \approx 0.136$; e.g. $\varepsilon = 0.75$
        gives $|C| \approx 0.37$, $\delta \ge 0.47$ and $D_{\mathrm{KL}} \ge 2\cdot 0.47^2 \approx 0.44$. More simply, $E = B$
        always works: $p_\theta(B) \le \frac1{2\pi}|B|$, so $\delta \ge 0.9 - \frac1{2\pi}$ and
        $D_{\mathrm{KL}} \ge 2(0.9 - \frac1{2\pi})^2 \approx 1.098$.

        **(d)** The bound $D_{\mathrm{KL}}(p\,\|\,p_\theta) \ge 2(0.9 - \tfrac1{2\pi})^2 > 0$ holds for every $\theta$, so
        no sequence of VP flows $p_{\theta_n}$ can have $D_{\mathrm{KL}}(p\,\|\,p_{\theta_n}) \to 0$: the family cannot
        approximate $p$. The reason is that a VP flow cannot concentrate mass: its density is capped by the base
        density's peak, and $p$ exceeds that cap on a set of positive area. (Any constant $|\det| = c$ only moves the
        cap to $\frac{1}{2\pi c}$, and a target with a higher plateau defeats it the same way.)
        ''')


# --------------------------------------------------------------------------- Q3
def _q3_d_star(nb):
    """Q3 (15 points) and Q3.1: the optimal discriminator in sympy."""
    nb.md(r'''
        ## Q3. The optimal discriminator (15 points)

        For a fixed generator with density $p_\theta$, the discriminator $D_\phi : \mathcal X \to (0, 1)$ is trained
        to minimise
        $$
        \mathcal L(\phi;\theta) = -\,\mathbb E_{x\sim p_{\text{data}}}\big[\log D_\phi(x)\big]
                                  -\,\mathbb E_{x\sim p_\theta}\big[\log\big(1 - D_\phi(x)\big)\big].
        $$
        We show that the minimiser is $D^*(x) = \dfrac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_\theta(x)}$.
        The loss is an integral over $x$ of $-\big(a \log D + b \log(1-D)\big)$ with $a = p_{\text{data}}(x)$,
        $b = p_\theta(x)$, $D = D_\phi(x)$, so it is enough to study that one-variable function.

        ### Q3.1 (5 points): the pointwise maximiser in sympy

        With the positive symbols `a, b, D` below, build `D_star`, the maximiser over $D\in(0,1)$ of
        $g(D) = a\log D + b\log(1-D)$, and `second_derivative_at_D_star`, $g''$ evaluated at `D_star`.

        Then derive a case the statement above does not print: **one-sided label smoothing** (Salimans et al.,
        2016, "Improved Techniques for Training GANs") trains the discriminator towards the target $1 - \alpha$
        on real images instead of $1$ (the symbol `alpha`, $0 < \alpha < 1$), while generated images keep the
        target $0$. The pointwise objective becomes
        $g_\alpha(D) = a\big[(1-\alpha)\log D + \alpha\log(1-D)\big] + b\log(1-D)$. Put its maximiser in
        `D_star_smoothed`, an expression in `a`, `b` and `alpha`. (`D_star` is printed above and earns nothing
        by itself; the grade checks the smoothed case too.)
    ''')
    nb.code('''
        a, b, D = sp.symbols("a b D", positive=True)
        alpha = sp.symbols("alpha", positive=True)  # the label-smoothing amount of Q3.1
        ''', locked=True, grade_id="q3_symbols")
    nb.answer("q3_d_star", '''
        # D_star: sympy expression in a, b;  second_derivative_at_D_star: sympy expression in a, b
        # D_star_smoothed: sympy expression in a, b, alpha (the maximiser of g_alpha)
        ### BEGIN SOLUTION
        g = a * sp.log(D) + b * sp.log(1 - D)
        D_star = sp.solve(sp.diff(g, D), D)[0]
        second_derivative_at_D_star = sp.simplify(sp.diff(g, D, 2).subs(D, D_star))
        g_alpha = a * ((1 - alpha) * sp.log(D) + alpha * sp.log(1 - D)) + b * sp.log(1 - D)
        D_star_smoothed = sp.solve(sp.diff(g_alpha, D), D)[0]
        ### END SOLUTION
        print("D_star =", D_star, "   second derivative there:", second_derivative_at_D_star)
        ''', check_output=True)
    nb.tests("q3_d_star_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.5)
        def test_are_expressions_in_a_and_b():
            checks.assert_sympy_expr(D_star, "D_star", symbols=[a, b])
            checks.assert_sympy_expr(second_derivative_at_D_star, "second_derivative_at_D_star", symbols=[a, b])
            checks.assert_sympy_expr(D_star_smoothed, "D_star_smoothed", symbols=[a, b, alpha])

        @points(0.5)
        def test_no_smoothing_gives_back_D_star():
            gap = sympy_gap(D_star_smoothed.subs(alpha, 0), D_star, [{a: 2, b: 3}, {a: sp.Rational(1, 3), b: 5}])
            assert gap < 1e-30, f"expected D_star_smoothed with alpha = 0 to equal D_star; they differ by {gap:.3g}"

        @points(1)
        def test_equal_weights_give_one_half():
            assert sympy_gap(D_star.subs({a: 1, b: 1}), sp.Rational(1, 2), [{}]) < 1e-30, \\
                (f"expected D_star = 1/2 when a = b = 1 (both classes equally likely), found "
                 f"{D_star.subs({a: 1, b: 1})}: another value often means the derivative of "
                 f"b log(1 - D) lost its minus sign")

        ### BEGIN HIDDEN TESTS
        def test_D_star_is_the_stationary_point():
            checks.assert_sympy_equal(D_star, a / (a + b), "D_star")

        def test_second_derivative_is_negative_and_correct():
            g_ = a * sp.log(D) + b * sp.log(1 - D)
            want = sp.diff(g_, D, 2).subs(D, a / (a + b))
            pts = [{a: sp.Rational(p), b: sp.Rational(q)} for p, q in [(1, 1), (1, 3), ("2/7", "5/11"), (9, "1/10")]]
            assert sympy_gap(second_derivative_at_D_star, want, pts) < 1e-25, \\
                "second_derivative_at_D_star is not g'' at the maximiser (sign? loss vs objective?)"
            assert all(float(second_derivative_at_D_star.subs(p)) < 0 for p in pts), \\
                "second_derivative_at_D_star should be negative at a maximiser"

        def test_smoothed_maximiser():
            pts = [{a: sp.Rational(p), b: sp.Rational(q), alpha: sp.Rational(r)}
                   for p, q, r in [(1, 1, "1/10"), (1, 3, "1/5"), ("2/7", "5/11", "1/2"), (9, "1/10", "3/4")]]
            assert sympy_gap(D_star_smoothed, (1 - alpha) * a / (a + b), pts) < 1e-25, \\
                "D_star_smoothed is not the maximiser of g_alpha (which target do real images get?)"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3)
        ''')


def _q3_discrete(nb):
    """Q3.2: a numerical check on discrete distributions."""
    nb.md(r'''
        ### Q3.2 (5 points): a numerical check on discrete distributions

        On a finite set the expectations are weighted sums. Implement the loss for a discriminator given by its
        values `D` on the points, and the optimal discriminator. The test then checks on two discrete
        distributions that no discriminator on a grid does better than $D^*$.
    ''')
    nb.answer("q3_discrete_discriminator", '''
        def discriminator_loss(D, p_data, p_g):
            """L = -E_{p_data}[log D] - E_{p_g}[log(1 - D)] on a finite set.

            D, p_data, p_g: float64 numpy arrays (K,); D in (0, 1), p_data and p_g sum to 1. Returns a float.
            """
            ### BEGIN SOLUTION
            return float(-(p_data * np.log(D)).sum() - (p_g * np.log(1 - D)).sum())
            ### END SOLUTION


        def optimal_discriminator(p_data, p_g):
            """D*(x) = p_data(x) / (p_data(x) + p_g(x)). p_data, p_g: float64 arrays (K,) -> float64 array (K,)."""
            ### BEGIN SOLUTION
            return p_data / (p_data + p_g)
            ### END SOLUTION
        ''')
    nb.tests("q3_discrete_discriminator_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks
        import itertools

        def test_half_everywhere_gives_two_log_two():
            p = np.array([0.5, 0.5])
            checks.assert_close(discriminator_loss(np.array([0.5, 0.5]), p, p), 2 * math.log(2),
                                name="discriminator_loss(1/2, p, p)")

        ### BEGIN HIDDEN TESTS
        def _distributions():
            return np.array([0.6, 0.3, 0.1]), np.array([0.1, 0.2, 0.7])

        @points(1.5)
        def test_loss_value():
            _P_DATA, _P_G = _distributions()
            D_ = np.array([0.3, 0.8, 0.45])
            want = -(_P_DATA * np.log(D_)).sum() - (_P_G * np.log(1 - D_)).sum()
            checks.assert_close(discriminator_loss(D_, _P_DATA, _P_G), want, rtol=1e-10,
                                name="discriminator_loss on a 3-point example")

        @points(1.5)
        def test_optimal_discriminator_values():
            _P_DATA, _P_G = _distributions()
            checks.assert_close(optimal_discriminator(_P_DATA, _P_G), _P_DATA / (_P_DATA + _P_G), rtol=1e-10,
                                name="optimal_discriminator on a 3-point example")

        def test_no_grid_discriminator_beats_D_star():
            _P_DATA, _P_G = _distributions()
            best = discriminator_loss(optimal_discriminator(_P_DATA, _P_G), _P_DATA, _P_G)
            grid = np.linspace(0.04, 0.96, 24)
            losses = [discriminator_loss(np.array(c), _P_DATA, _P_G) for c in itertools.product(grid, repeat=3)]
            assert best <= min(losses) + 1e-12, "a discriminator on the grid has lower loss than D*"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=4)
        ''')


def _q3_proof(nb):
    """Q3.3, written: the proof."""
    nb.md(r'''
        ### Q3.3 (5 points, written): the proof

        Prove that $D^*$ minimises $\mathcal L(\phi;\theta)$ over all discriminators (assume $D_\phi$ can be any
        measurable function into $(0,1)$). Say what happens where $p_{\text{data}}(x) + p_\theta(x) = 0$.
    ''')
    nb.written("q3_written", points=5, model_answer=r'''
        Write both expectations as one integral:
        $\mathcal L = -\int \big[p_{\text{data}}(x)\log D(x) + p_\theta(x)\log(1 - D(x))\big]\,dx$. Because $D$ may be
        chosen freely at every $x$, $\mathcal L$ is minimised by maximising the integrand pointwise. Fix $x$ with
        $a = p_{\text{data}}(x)$, $b = p_\theta(x)$, $a + b > 0$, and let $g(D) = a\log D + b\log(1-D)$ on $(0,1)$.
        Then $g'(D) = \frac aD - \frac b{1-D}$, which vanishes only at $D = \frac a{a+b}$, and
        $g''(D) = -\frac a{D^2} - \frac b{(1-D)^2} < 0$, so $g$ is strictly concave and that stationary point is its
        unique global maximiser (at it $g'' = -(a+b)^3/(ab)$). If $b = 0 < a$, $g$ increases towards $D \to 1$,
        consistent with $D^* = 1$; symmetrically $D^* = 0$ if $a = 0 < b$. Hence
        $D^*(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_\theta(x)}$ maximises the integrand at every $x$ and so
        minimises $\mathcal L$. Where $p_{\text{data}} + p_\theta = 0$ the integrand is $0$ for every $D$: $D^*$ is
        arbitrary there (a null set under both distributions), and the minimum is unaffected.
        ''')


# --------------------------------------------------------------------------- Q4
def _q4_logit_derivatives(nb):
    """Q4 (20 points) and Q4.1: the derivatives of the two losses in the logit."""
    nb.md(r'''
        ## Q4. A perfect discriminator makes the generator's gradient vanish (20 points)

        Write the discriminator as $D_\phi(x) = \sigma\big(h_\phi(x)\big)$ with logits $h_\phi$ and the sigmoid
        $\sigma(t) = 1/(1+e^{-t})$. In the original minimax game the generator's parameters $\theta$ get their
        gradient from
        $$
        L_G(\theta;\phi) = \mathbb E_{z\sim\mathcal N(0, I)}\Big[\log\Big(1 - \sigma\big(h_\phi(G_\theta(z))\big)\Big)\Big],
        $$
        which the generator minimises (the *saturating* loss). A perfect discriminator says "fake" with certainty on
        generated samples: $D_\phi(G_\theta(z)) \to 0$, i.e. $h_\phi(G_\theta(z)) \to -\infty$. We show that
        $\nabla_\theta L_G \to 0$ then, and that the *non-saturating* loss $-\mathbb E_z\big[\log\sigma(h_\phi(G_\theta(z)))\big]$
        does not suffer from it.

        ### Q4.1 (4 + 3 points): the derivative with respect to the logit

        With the real symbol `h`, build `d_saturating` $= \frac{d}{dh}\log(1 - \sigma(h))$ and `limit_saturating`,
        its limit in the perfect-discriminator regime; then `d_non_saturating` $= \frac{d}{dh}\big(-\log\sigma(h)\big)$
        and `limit_non_saturating`, its limit in the same regime. Use `sp.limit` with `sp.oo`.
    ''')
    nb.code('''
        h = sp.symbols("h", real=True)
        sigma = 1 / (1 + sp.exp(-h))
        ''', locked=True, grade_id="q4_symbols")
    nb.answer("q4_logit_derivatives", '''
        # d_saturating, d_non_saturating: sympy expressions in h;  limit_saturating, limit_non_saturating: sympy numbers
        ### BEGIN SOLUTION
        d_saturating = sp.diff(sp.log(1 - sigma), h)
        limit_saturating = sp.limit(d_saturating, h, -sp.oo)
        d_non_saturating = sp.diff(-sp.log(sigma), h)
        limit_non_saturating = sp.limit(d_non_saturating, h, -sp.oo)
        ### END SOLUTION
        print(f"limits as h -> -oo: saturating {limit_saturating}, non-saturating {limit_non_saturating}")
        ''', check_output=True)
    nb.tests("q4_saturating_tests", points=4, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def test_types():
            checks.assert_sympy_expr(d_saturating, "d_saturating", symbols=[h])
            checks.assert_sympy_expr(limit_saturating, "limit_saturating", symbols=[])

        ### BEGIN HIDDEN TESTS
        def _h_points():
            return [{h: v} for v in (-7, -2, 0, sp.Rational(1, 3), 4)]

        def test_derivative_of_log_one_minus_sigmoid():
            assert sympy_gap(d_saturating, sp.diff(sp.log(1 - sigma), h), _h_points()) < 1e-30, \\
                "d_saturating is not the derivative of log(1 - sigma(h)) (check the sign)"

        def test_limit_in_the_perfect_discriminator_regime():
            assert limit_saturating.is_number and sympy_gap(limit_saturating, sp.S.Zero, [{}]) < 1e-30, \\
                "limit_saturating is not the limit where the discriminator rejects fakes (which end, h -> +oo or -oo?)"
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=3)
        ''')
    nb.tests("q4_non_saturating_tests", points=3, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def test_types():
            checks.assert_sympy_expr(d_non_saturating, "d_non_saturating", symbols=[h])
            checks.assert_sympy_expr(limit_non_saturating, "limit_non_saturating", symbols=[])

        ### BEGIN HIDDEN TESTS
        def _h_points():
            return [{h: v} for v in (-7, -2, 0, sp.Rational(1, 3), 4)]

        def test_derivative_of_minus_log_sigmoid():
            assert sympy_gap(d_non_saturating, sp.diff(-sp.log(sigma), h), _h_points()) < 1e-30, \\
                "d_non_saturating is not the derivative of -log(sigma(h)) (check the sign)"

        def test_limit_does_not_vanish():
            assert limit_non_saturating.is_number and sympy_gap(limit_non_saturating, -sp.S.One, [{}]) < 1e-30, \\
                "limit_non_saturating is not the limit where the discriminator rejects fakes"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')


def _q4_generator_losses(nb):
    """Q4.2: the two generator losses in torch."""
    nb.md(r'''
        ### Q4.2 (3 points): the two generator losses in torch

        Both take the discriminator's logits on a batch of generated samples and return the mean loss the generator
        minimises. Write them in a numerically stable way if you can (`torch.nn.functional.logsigmoid`).
    ''')
    nb.answer("q4_generator_losses", '''
        def saturating_loss(logits):
            """mean of log(1 - sigmoid(logits)). logits: float tensor (N,) -> 0-d tensor (differentiable)."""
            ### BEGIN SOLUTION
            return torch.nn.functional.logsigmoid(-logits).mean()
            ### END SOLUTION


        def non_saturating_loss(logits):
            """mean of -log(sigmoid(logits)). logits: float tensor (N,) -> 0-d tensor (differentiable)."""
            ### BEGIN SOLUTION
            return -torch.nn.functional.logsigmoid(logits).mean()
            ### END SOLUTION
        ''')
    nb.tests("q4_generator_losses_tests", points=3, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def test_scalar_outputs():
            t = torch.zeros(3)
            checks.assert_tensor(saturating_loss(t), "saturating_loss(logits)", shape=())
            checks.assert_tensor(non_saturating_loss(t), "non_saturating_loss(logits)", shape=())
            checks.assert_close(saturating_loss(t), -math.log(2), name="saturating_loss at logit 0")

        ### BEGIN HIDDEN TESTS
        def _logits():
            return torch.tensor([-20.0, -6.0, -1.5, 0.0, 0.7, 3.0, 5.0])

        def test_saturating_values():
            checks.assert_close(saturating_loss(_logits()), -torch.nn.functional.softplus(_logits()).mean(),
                                rtol=1e-9, atol=1e-12, name="saturating_loss on a batch of logits")

        def test_non_saturating_values():
            checks.assert_close(non_saturating_loss(_logits()), torch.nn.functional.softplus(-_logits()).mean(),
                                rtol=1e-9, atol=1e-12, name="non_saturating_loss on a batch of logits")

        @points(0.5)
        def test_losses_are_differentiable():
            t = _logits().requires_grad_(True)
            for fn in (saturating_loss, non_saturating_loss):
                out = fn(t)
                assert out.requires_grad, f"{fn.__name__} does not keep the graph (detached?)"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')


def _q4_grad_norm(nb):
    """Q4.3: the generator's gradient as the discriminator gets perfect."""
    nb.md(r'''
        ### Q4.3 (5 points): the generator's gradient as the discriminator gets perfect

        Write `generator_grad_norm`: the Euclidean norm of $\nabla_\theta$ of `loss_fn(discriminator_logits(generator(z)))`
        over all the generator's parameters. It must not depend on earlier calls (no gradient left over from a previous
        `.backward()`). Below, a fixed linear discriminator $h(x) = w^\top x + c$ is made more and more certain that fakes
        are fake by lowering its bias $c$.
    ''')
    nb.answer("q4_grad_norm", '''
        def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
            """||grad_theta loss_fn(discriminator_logits(generator(z)))||_2 over generator.parameters().

            generator: torch.nn.Module mapping (N, d_z) -> (N, d_x); discriminator_logits: callable (N, d_x) -> (N,);
            z: float64 tensor (N, d_z); loss_fn: callable (N,) logits -> 0-d tensor. Returns a Python float.
            """
            ### BEGIN SOLUTION
            params = [p for p in generator.parameters() if p.requires_grad]
            loss = loss_fn(discriminator_logits(generator(z)))
            grads = torch.autograd.grad(loss, params)
            return float(torch.sqrt(sum((g ** 2).sum() for g in grads)))
            ### END SOLUTION
        ''')
    nb.code('''
        W_DISC = torch.tensor([1.5, -0.5])
        OFFSETS = [0.0, -2.0, -4.0, -8.0, -12.0, -16.0]  # lower bias = more certain that fakes are fake


        def make_discriminator(c):
            """A fixed linear discriminator h(x) = w.x + c on 2-D samples: (N, 2) -> (N,) logits."""
            return lambda xb: xb @ W_DISC + c


        def make_generator(seed=0):
            """A tiny generator G_theta(z) = A z + b on 2-D noise (float64)."""
            torch.manual_seed(seed)
            return torch.nn.Linear(2, 2)
        ''', locked=True, grade_id="q4_setup")
    nb.tests("q4_grad_norm_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def _ref_sat(l):
            return -torch.nn.functional.softplus(l).mean()

        def _ref_ns(l):
            return torch.nn.functional.softplus(-l).mean()

        def test_returns_a_positive_float():
            g = generator_grad_norm(make_generator(), make_discriminator(0.0), torch.randn(8, 2), _ref_sat)
            assert isinstance(g, float) and g > 0, \\
                (f"expected a positive Python float, found {type(g).__name__} {g!r}: a tensor norm "
                 f"becomes a float with float(...) or .item()")

        ### BEGIN HIDDEN TESTS
        def _reference_norm(gen, disc, zz, loss_fn):
            grads = torch.autograd.grad(loss_fn(disc(gen(zz))), list(gen.parameters()))
            return float(torch.sqrt(sum((g_ ** 2).sum() for g_ in grads)))

        @points(2)
        def test_matches_autograd_on_repeated_calls():
            gen, zz = make_generator(1), torch.randn(32, 2)
            for c in (0.0, -3.0, 2.0):
                for fn in (_ref_sat, _ref_ns):
                    got = generator_grad_norm(gen, make_discriminator(c), zz, fn)
                    want = _reference_norm(gen, make_discriminator(c), zz, fn)
                    checks.assert_close(got, want, rtol=1e-8, atol=1e-14,
                                        name="generator_grad_norm (called several times on one generator)")

        def test_saturating_gradient_vanishes_monotonically():
            gen, zz = make_generator(2), torch.randn(64, 2)
            norms = [generator_grad_norm(gen, make_discriminator(c), zz, _ref_sat) for c in OFFSETS]
            assert all(n1 < n0 for n0, n1 in zip(norms, norms[1:])), \\
                "the saturating gradient norm should shrink as the discriminator grows certain"
            assert norms[-1] < 1e-4 * norms[0], "the saturating gradient norm does not approach zero"

        def test_non_saturating_gradient_survives():
            gen, zz = make_generator(2), torch.randn(64, 2)
            norms = [generator_grad_norm(gen, make_discriminator(c), zz, _ref_ns) for c in OFFSETS]
            assert norms[-1] > 0.5 * norms[0], "the non-saturating gradient norm should not vanish"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=4)
        ''')
    nb.md(r'''
        The plot below uses your functions: the saturating loss's gradient decays like $\sigma(h) \approx e^{h}$, while
        the non-saturating one levels off.
    ''')
    nb.code('''
        if not dgmlab.runtime.is_grading():
            dgmlab.runtime.seed_everything(0)
            gen, zz = make_generator(0), torch.randn(256, 2)
            offsets = np.linspace(0, -16, 17)
            sat = [generator_grad_norm(gen, make_discriminator(c), zz, saturating_loss) for c in offsets]
            ns = [generator_grad_norm(gen, make_discriminator(c), zz, non_saturating_loss) for c in offsets]
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.semilogy(offsets, sat, "o-", label="saturating: log(1 - D(G(z)))")
            ax.semilogy(offsets, ns, "s-", label="non-saturating: -log D(G(z))")
            ax.invert_xaxis()
            ax.set_xlabel("discriminator bias c (more negative = more certain fakes are fake)")
            ax.set_ylabel("||grad_theta L_G||")
            ax.legend()
            ax.grid(alpha=0.3)
            FIGURES.mkdir(exist_ok=True)
            fig.savefig(FIGURES / "vanishing_gradient.png", dpi=100, bbox_inches="tight")
            dgmlab.workspace.saved(FIGURES / "vanishing_gradient.png", what="figure saved")
            plt.show()
        ''', uses_answers=True)


def _q4_written(nb):
    """Q4.4, written: why the gradient vanishes."""
    nb.md(r'''
        ### Q4.4 (5 points, written): why the gradient vanishes

        Use the chain rule to write $\nabla_\theta L_G$ in terms of $\sigma(h_\phi(G_\theta(z)))$, and show it tends to $0$
        when the discriminator is perfect on the generator's samples. State what you assume about
        $\nabla_x h_\phi$ and $\partial G_\theta/\partial\theta$. Then explain why the non-saturating loss keeps a useful
        gradient in that regime.
    ''')
    nb.written("q4_written", points=5, model_answer=r'''
        Let $h = h_\phi(G_\theta(z))$. Since $\frac{d}{dh}\log(1-\sigma(h)) = -\sigma(h)$, the chain rule gives
        $$
        \nabla_\theta L_G = \mathbb E_z\Big[-\sigma(h)\;\big(\partial_\theta G_\theta(z)\big)^{\!\top}\nabla_x h_\phi\big(G_\theta(z)\big)\Big].
        $$
        A perfect discriminator has $D_\phi(G_\theta(z)) = \sigma(h) \to 0$, i.e. $h \to -\infty$, for (almost) every $z$.
        If $\|\nabla_x h_\phi\|\,\|\partial_\theta G_\theta\|$ stays bounded (or even grows more slowly than $e^{-h}$,
        e.g. polynomially, as when the logits are scaled up), then the integrand is bounded in norm by
        $\sigma(h)\cdot C \approx e^{h} C \to 0$, and by dominated convergence $\nabla_\theta L_G \to 0$: the generator
        receives no signal exactly when it is worst. The non-saturating loss $-\mathbb E_z[\log\sigma(h)]$ pushes the
        generator the same way (both losses decrease as $h$ grows), but $\frac{d}{dh}(-\log\sigma(h)) = -(1-\sigma(h)) \to -1$,
        so its gradient is
        $-\mathbb E_z\big[(1-\sigma(h))(\partial_\theta G)^\top\nabla_x h\big] \approx -\mathbb E_z\big[(\partial_\theta G)^\top\nabla_x h\big]$,
        which does not vanish as the discriminator becomes confident. The torch experiment shows both: the saturating norm
        decays like $e^{c}$ as the bias $c$ decreases, the non-saturating norm levels off.
        ''')


# --------------------------------------------------------------------------- proofs
# A wrong answer that is the reference with one mistake is written as edits=[(old, new)] of the reference answer
# (each old found exactly once in the answer cell, solution markers dropped), so a fix to a solution reaches it;
# so is a correct variant that is the reference with a harmless change. source= stays for a genuinely different
# implementation (most correct variants), a hand-derived or typed-in result (issue 19) and a rewrite of the
# whole answer, where an edit would be no clearer than the copy.
#
# Every graded cell gives points per test, so a wrong answer names in earns= the points it still gets:
# those of the tests its mistake leaves passing (tests/test_proofs.py checks the exact number).
_REAL_ROOT, _U = "sp.real_root(z3 * sp.exp(-z1) + z1 ** 2, 3)", "z3 * sp.exp(-z1) + z1 ** 2"
_J_F = "f.jacobian(z).replace(sp.DiracDelta, lambda *args: sp.S.Zero)"
_LIMIT_SAT, _LIMIT_NON = "sp.limit(d_saturating, h, -sp.oo)", "sp.limit(d_non_saturating, h, -sp.oo)"

MUTANTS = [
    # Q1(a)
    Mutant("q1_f_and_inverse", "principal complex cube root in f", edits=[
        (_REAL_ROOT, f"({_U}) ** sp.Rational(1, 3)")], earns={"q1_f_and_inverse_tests": 4}),
    Mutant("q1_f_and_inverse", "cube root taken with sp.cbrt (also principal)", edits=[(_REAL_ROOT, f"sp.cbrt({_U})")],
           earns={"q1_f_and_inverse_tests": 4}),
    Mutant("q1_f_and_inverse", "inverse solves x3 in the wrong order (x3^3 e^{x1} - x1^2)", edits=[
        ("(x3 ** 3 - x1 ** 2) * sp.exp(x1)", "x3 ** 3 * sp.exp(x1) - x1 ** 2")], earns={"q1_f_and_inverse_tests": 3}),
    Mutant("q1_f_and_inverse", "decides f is not invertible", edits=[
        ("f_is_invertible = True", "f_is_invertible = False")], earns={"q1_f_and_inverse_tests": 4}),
    Mutant("q1_f_and_inverse", "cube root as 1/3 float exponent", edits=[
        (_REAL_ROOT, f"sp.sign({_U}) * sp.Abs({_U}) ** (1 / 3)")], earns={"q1_f_and_inverse_tests": 4.5}),
    Mutant("q1_f_and_inverse", "correct variant: sign(u)|u|^(1/3) and expanded inverse", '''
_u = z3 * sp.exp(-z1) + z1 ** 2
f = sp.Matrix([z1, z2 * sp.exp(z1), sp.sign(_u) * sp.Abs(_u) ** sp.Rational(1, 3)])
f_inv = sp.Matrix([x1, x2 / sp.exp(x1), x3 ** 3 * sp.exp(x1) - x1 ** 2 * sp.exp(x1)])
f_is_invertible = True
''', passes=["q1_f_and_inverse_tests"]),
    # Q1(b)
    Mutant("q1_jacobian", "Jacobian of the inverse used instead of f", edits=[(_J_F, "f_inv.jacobian(x)")],
           earns={"q1_jacobian_tests": 0.5}),
    Mutant("q1_jacobian", "Jacobian of f_inv rewritten in z (the inverse matrix)", edits=[
        (_J_F, "f_inv.jacobian(x).subs({x1: f[0], x2: f[1], x3: f[2]}, simultaneous=True)")],
        earns={"q1_jacobian_tests": 2}),
    Mutant("q1_jacobian", "transposed Jacobian, determinant right", edits=[(_J_F, _J_F + ".T")],
           earns={"q1_jacobian_tests": 3.5}),
    Mutant("q1_jacobian", "principal cube root differentiated", '''
_fp = sp.Matrix([z1, z2 * sp.exp(z1), (z3 * sp.exp(-z1) + z1 ** 2) ** sp.Rational(1, 3)])
J_f = _fp.jacobian(z)
det_J_f = J_f.det()
''', earns={"q1_jacobian_tests": 2}),
    Mutant("q1_jacobian", "correct variant: DiracDelta terms kept, hand-written determinant", '''
J_f = f.jacobian(z)
det_J_f = 1 / (3 * sp.Abs(z3 * sp.exp(-z1) + z1 ** 2) ** sp.Rational(2, 3))
''', passes=["q1_jacobian_tests"]),
    # Q1(c)
    Mutant("q1_density", "multiplies by |det J_f| instead of dividing", edits=[
        ("p_z_of_x * sp.Abs(", "p_z_of_x / sp.Abs(")], earns={"q1_density_tests": 2}),
    Mutant("q1_density", "forgets the Jacobian factor", edits=[(" * sp.Abs(f_inv.jacobian(x).det())", "")],
           earns={"q1_density_tests": 2}),
    Mutant("q1_density", "Gaussian evaluated at x instead of z = f^{-1}(x)", edits=[
        ("-f_inv.dot(f_inv) / 2", "-x.dot(x) / 2")], earns={"q1_density_tests": 2}),
    Mutant("q1_density", "1-D normaliser (2 pi)^(-1/2)", edits=[("sp.Rational(-3, 2)", "sp.Rational(-1, 2)")],
           earns={"q1_density_tests": 2}),
    Mutant("q1_density", "float value at x*", edits=[("sp.simplify(p_x.subs(X_STAR))", "sp.N(p_x.subs(X_STAR))")],
           earns={"q1_density_tests": 3.5}),
    Mutant("q1_density", "correct variant: no Abs (here det J_{f^-1} = 3 x3^2 >= 0, so it is still right)", edits=[
        ("sp.Abs(f_inv.jacobian(x).det())", "f_inv.jacobian(x).det()")], passes=["q1_density_tests"]),
    Mutant("q1_density", "correct variant: 1/|det J_f| at z = f^{-1}(x), hand-written value", '''
_zx = {z1: f_inv[0], z2: f_inv[1], z3: f_inv[2]}
p_x = (2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-(f_inv.T * f_inv)[0] / 2) / sp.Abs(det_J_f.subs(_zx, simultaneous=True))
p_x_star = sp.exp(-sp.Rational(365, 729)) / (3 * (2 * sp.pi) ** sp.Rational(3, 2))
''', passes=["q1_density_tests"]),
    # Q1(d)
    Mutant("q1_torch_density", "missing |det| absolute value", edits=[
        ("torch.log(torch.abs(torch.det(J)))", "torch.log(torch.det(J))")], earns={"q1_torch_density_tests": 3.5}),
    Mutant("q1_torch_density", "sign error on log|det|", edits=[
        ("base_log_prob(z) + torch.stack", "base_log_prob(z) - torch.stack")], earns={"q1_torch_density_tests": 2.75}),
    Mutant("q1_torch_density", "base density evaluated at x instead of f_inv(x)", edits=[
        ("base_log_prob(z)", "base_log_prob(x)")], earns={"q1_torch_density_tests": 2.75}),
    Mutant("q1_torch_density", "correct variant: torch.func.jacrev + slogdet", '''
def f_inv_torch(x):
    a, b, c = x.unbind(1)
    return torch.stack([a, b / torch.exp(a), c ** 3 * torch.exp(a) - a ** 2 * torch.exp(a)], dim=1)

def flow_log_prob(x, f_inv, base_log_prob):
    J = torch.func.vmap(torch.func.jacrev(lambda v: f_inv(v[None])[0]))(x)
    return base_log_prob(f_inv(x)) + torch.linalg.slogdet(J).logabsdet
''', passes=["q1_torch_density_tests"]),
    # Q2.1
    Mutant("q2_counter_density", "forgets |x|, |y| (only the positive sides)", edits=[
        ("xy.abs().amax(dim=1)", "xy.amax(dim=1)")], earns={"q2_counter_density_tests": 2}),
    Mutant("q2_counter_density", "no clamp: negative beyond the frame", edits=[
        ("torch.clamp(0.9 - k * (r - 0.5), min=0.0)", "0.9 - k * (r - 0.5)")], earns={"q2_counter_density_tests": 0}),
    Mutant("q2_counter_density", "rectangular strips |y| <= 0.5 instead of wedges |y| <= |x|", '''
def p_counter(xy, k):
    ax, ay = xy[:, 0].abs(), xy[:, 1].abs()
    side_x = torch.where(ay <= 0.5, torch.clamp(0.9 - k * (ax - 0.5), min=0.0), torch.zeros_like(ax))
    side_y = torch.where(ax <= 0.5, torch.clamp(0.9 - k * (ay - 0.5), min=0.0), torch.zeros_like(ay))
    inside = (ax <= 0.5) & (ay <= 0.5)
    return torch.where(inside, torch.full_like(ax, 0.9), torch.maximum(side_x, side_y))
''', earns={"q2_counter_density_tests": 3}),
    Mutant("q2_counter_density", "L1 radius |x| + |y| instead of max", edits=[
        ("xy.abs().amax(dim=1)", "xy.abs().sum(dim=1)")], earns={"q2_counter_density_tests": 1}),
    Mutant("q2_counter_density", "correct variant: the handout's case-by-case definition", '''
def p_counter(xy, k):
    ax, ay = xy[:, 0].abs(), xy[:, 1].abs()
    edge = 0.5 + 0.9 / k
    out = torch.zeros_like(ax)
    out = torch.where((ax <= 0.5) & (ay <= 0.5), torch.full_like(ax, 0.9), out)
    out = torch.where((ax >= 0.5) & (ax <= edge) & (ay <= ax), 0.9 - k * (ax - 0.5), out)
    out = torch.where((ay >= 0.5) & (ay <= edge) & (ax <= ay), 0.9 - k * (ay - 0.5), out)
    return out
''', passes=["q2_counter_density_tests"]),
    # Q2.2
    Mutant("q2_normalising_k", "frame alone normalised to 1 (forgets B's mass)", edits=[
        ("sp.Eq(sp.Rational(9, 10) + frame_mass, 1)", "sp.Eq(frame_mass, 1)")], earns={"q2_normalising_k_tests": 1}),
    Mutant("q2_normalising_k", "one of the four sides only", edits=[("* 8 * s_sym", "* 2 * s_sym")],
           earns={"q2_normalising_k_tests": 1}),
    Mutant("q2_normalising_k", "outer edge read literally as 0.5 + 0.9k", edits=[
        ("sp.Rational(9, 10) / k_sym))", "sp.Rational(9, 10) * k_sym))"),
        ("sp.solve(sp.Eq(sp.Rational(9, 10) + frame_mass, 1), k_sym)[0]",
         "sp.nsolve(sp.Rational(9, 10) + frame_mass - 1, k_sym, 0.03)")], earns={"q2_normalising_k_tests": 1}),
    Mutant("q2_normalising_k", "correct variant: numerical root (float)", '''
import scipy.optimize
k_value = scipy.optimize.brentq(lambda kk: 0.9 + 1.2 * (0.9 / kk) ** 2 + 1.8 * (0.9 / kk) - 1.0, 1.0, 100.0, xtol=1e-12)
''', passes=["q2_normalising_k_tests"]),
    # Q2.3
    Mutant("q2_vp_bound", "1-D normal peak 1/sqrt(2 pi) as the 2-D ceiling", edits=[
        ("max_density_vp = 1 / (2 * sp.pi)", "max_density_vp = 1 / sp.sqrt(2 * sp.pi)")],
        earns={"q2_vp_bound_tests": 2, "q2_pinsker_tests": 1}),
    Mutant("q2_vp_bound", "Pinsker solved the wrong way (KL >= delta^2 / 2)", edits=[
        ("kl_lower_bound = 2 * tv_lower_bound ** 2", "kl_lower_bound = tv_lower_bound ** 2 / 2")],
        earns={"q2_pinsker_tests": 2.5}, passes=["q2_vp_bound_tests"]),
    Mutant("q2_vp_bound", "mass of B taken as 1", edits=[("p_B = sp.Rational(9, 10)", "p_B = 1")],
           earns={"q2_vp_bound_tests": 2, "q2_pinsker_tests": 1}),
    Mutant("q2_vp_bound", "Pinsker without the square (KL >= 2 delta)", edits=[
        ("kl_lower_bound = 2 * tv_lower_bound ** 2", "kl_lower_bound = 2 * tv_lower_bound")],
        earns={"q2_pinsker_tests": 2.5}, passes=["q2_vp_bound_tests"]),
    Mutant("q2_vp_bound", "correct variant: floats", '''
p_B = 0.9
max_density_vp = 1 / (2 * math.pi)
tv_lower_bound = 0.9 - 1 / (2 * math.pi)
kl_lower_bound = 2 * (0.9 - 1 / (2 * math.pi)) ** 2
''', passes=["q2_vp_bound_tests", "q2_pinsker_tests"]),
    # Q3.1
    Mutant("q3_d_star", "swapped a and b", '''
D_star = b / (a + b)
second_derivative_at_D_star = sp.diff(a * sp.log(D) + b * sp.log(1 - D), D, 2).subs(D, D_star)
D_star_smoothed = (1 - alpha) * b / (a + b)
''', earns={"q3_d_star_tests": 2}),
    Mutant("q3_d_star", "second derivative of the loss (sign flipped)", edits=[
        ("second_derivative_at_D_star = sp.simplify(", "second_derivative_at_D_star = -sp.simplify(")],
        earns={"q3_d_star_tests": 4}),
    Mutant("q3_d_star", "second derivative left as a function of D", edits=[
        ("sp.diff(g, D, 2).subs(D, D_star)", "sp.diff(g, D, 2)")], earns={"q3_d_star_tests": 3.5}),
    # the printed D* copied in earns nothing (issue 19): reused for the smoothed case, or the target misread
    Mutant("q3_d_star", "copied D* from the statement and reused it for label smoothing", '''
D_star = a / (a + b)
second_derivative_at_D_star = sp.diff(a * sp.log(D) + b * sp.log(1 - D), D, 2).subs(D, D_star)
D_star_smoothed = a / (a + b) + 0 * alpha
''', earns={"q3_d_star_tests": 4}),
    Mutant("q3_d_star", "copied D* and scaled it by the smoothing amount alpha instead of 1 - alpha", '''
D_star = a / (a + b)
second_derivative_at_D_star = sp.diff(a * sp.log(D) + b * sp.log(1 - D), D, 2).subs(D, D_star)
D_star_smoothed = alpha * a / (a + b)
''', earns={"q3_d_star_tests": 3.5}),
    Mutant("q3_d_star", "correct variant: hand-written forms", '''
D_star = 1 / (1 + b / a)
second_derivative_at_D_star = -(a + b) ** 3 / (a * b)
D_star_smoothed = (1 - alpha) / (1 + b / a)
''', passes=["q3_d_star_tests"]),
    # Q3.2
    Mutant("q3_discrete_discriminator", "mean over points instead of expectation", edits=[
        ("-(p_data * np.log(D)).sum() - (p_g * np.log(1 - D)).sum()", "-np.log(D).mean() - np.log(1 - D).mean()")],
        earns={"q3_discrete_discriminator_tests": 2.5}),
    Mutant("q3_discrete_discriminator", "D* with p_g on top", edits=[
        ("return p_data / (p_data + p_g)", "return p_g / (p_data + p_g)")],
        earns={"q3_discrete_discriminator_tests": 2.5}),
    Mutant("q3_discrete_discriminator", "sign error in the loss", edits=[
        ("-(p_data * np.log(D)).sum() - (p_g", "(p_data * np.log(D)).sum() + (p_g")],
        earns={"q3_discrete_discriminator_tests": 1.5}),
    Mutant("q3_discrete_discriminator", "correct variant: dot products", '''
def discriminator_loss(D, p_data, p_g):
    return -float(np.dot(p_data, np.log(D)) + np.dot(p_g, np.log1p(-D)))

def optimal_discriminator(p_data, p_g):
    return 1.0 / (1.0 + p_g / p_data)
''', passes=["q3_discrete_discriminator_tests"]),
    # Q4.1
    Mutant("q4_logit_derivatives", "wrong sign of the limit (h -> +oo)", edits=[
        (_LIMIT_SAT, _LIMIT_SAT.replace("-sp.oo", "sp.oo")), (_LIMIT_NON, _LIMIT_NON.replace("-sp.oo", "sp.oo"))],
        earns={"q4_saturating_tests": 2.5, "q4_non_saturating_tests": 2}),
    Mutant("q4_logit_derivatives", "derivative of log(sigma) instead of log(1 - sigma)", edits=[
        ("sp.diff(sp.log(1 - sigma), h)", "sp.diff(sp.log(sigma), h)")],
        earns={"q4_saturating_tests": 1}, passes=["q4_non_saturating_tests"]),
    Mutant("q4_logit_derivatives", "non-saturating loss without its minus sign", edits=[
        ("sp.diff(-sp.log(sigma), h)", "sp.diff(sp.log(sigma), h)")],
        earns={"q4_non_saturating_tests": 1}, passes=["q4_saturating_tests"]),
    Mutant("q4_logit_derivatives", "correct variant: hand-simplified forms", '''
d_saturating = -sp.exp(h) / (1 + sp.exp(h))
limit_saturating = sp.Integer(0)
d_non_saturating = sigma - 1
limit_non_saturating = sp.Integer(-1)
''', passes=["q4_saturating_tests", "q4_non_saturating_tests"]),
    # Q4.2
    Mutant("q4_generator_losses", "sum instead of mean", edits=[
        ("logsigmoid(-logits).mean()", "logsigmoid(-logits).sum()"),
        ("logsigmoid(logits).mean()", "logsigmoid(logits).sum()")],
        earns={"q4_generator_losses_tests": 0.5}),
    Mutant("q4_generator_losses", "saturating loss uses log(sigma) (sign of the logit)", edits=[
        ("logsigmoid(-logits)", "logsigmoid(logits)")], earns={"q4_generator_losses_tests": 2.25}),
    Mutant("q4_generator_losses", "detached logits", edits=[
        ("logsigmoid(-logits)", "logsigmoid(-logits.detach())"), ("logsigmoid(logits)", "logsigmoid(logits.detach())")],
        earns={"q4_generator_losses_tests": 2.5}),
    Mutant("q4_generator_losses", "correct variant: naive log(1 - sigmoid)", '''
def saturating_loss(logits):
    return torch.log(1 - torch.sigmoid(logits)).mean()

def non_saturating_loss(logits):
    return -torch.log(torch.sigmoid(logits)).mean()
''', passes=["q4_generator_losses_tests"]),
    # Q4.3
    Mutant("q4_grad_norm", "accumulates .grad across calls", '''
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    loss_fn(discriminator_logits(generator(z))).backward()
    return float(torch.sqrt(sum((p.grad ** 2).sum() for p in generator.parameters())))
''', earns={"q4_grad_norm_tests": 2}),
    # a different implementation: it tolerates the unused parameters the detach leaves, so it returns 0, not an error
    Mutant("q4_grad_norm", "generator output detached", '''
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    params = list(generator.parameters())
    loss = loss_fn(discriminator_logits(generator(z).detach()))
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return float(sum(0.0 if g is None else (g ** 2).sum() for g in grads) ** 0.5)
''', earns={"q4_grad_norm_tests": 0}),
    Mutant("q4_grad_norm", "squared norm (no square root)", edits=[
        ("float(torch.sqrt(sum((g ** 2).sum() for g in grads)))", "float(sum((g ** 2).sum() for g in grads))")],
        earns={"q4_grad_norm_tests": 3}),
    Mutant("q4_grad_norm", "correct variant: zero_grad + backward", '''
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    generator.zero_grad(set_to_none=True)
    loss_fn(discriminator_logits(generator(z))).backward()
    flat = torch.cat([p.grad.reshape(-1) for p in generator.parameters()])
    return torch.linalg.vector_norm(flat).item()
''', passes=["q4_grad_norm_tests"]),
]

PARTIAL = [
    "principal complex cube root in f",
    "missing |det| absolute value",
    "Pinsker solved the wrong way (KL >= delta^2 / 2)",
    "wrong sign of the limit (h -> +oo)",
]

# A class for the demo's dashboard (dgmlab examples): each student is the reference with these
# mutants in place; some mistakes are shared, as in a real class, so the dashboard groups them.
CLASS = {
    "demo_amara": ["missing |det| absolute value"],
    "demo_bilal": ["forgets the Jacobian factor", "sign error on log|det|"],
    "demo_chen": ["forgets the Jacobian factor", "swapped a and b"],
    "demo_dana": ["multiplies by |det J_f| instead of dividing", "Pinsker solved the wrong way (KL >= delta^2 / 2)"],
    "demo_emil": ["copied D* from the statement and reused it for label smoothing", "sum instead of mean"],
    "demo_farah": ["forgets |x|, |y| (only the positive sides)", "frame alone normalised to 1 (forgets B's mass)"],
    "demo_goran": ["sign error on log|det|", "detached logits", "accumulates .grad across calls"],
    "demo_hana": ["correct variant: torch.func.jacrev + slogdet", "wrong sign of the limit (h -> +oo)"],
    "demo_ines": ["forgets the Jacobian factor", "mean over points instead of expectation",
                  "squared norm (no square root)"],
}

# Generated mutants (benchmarks/mutation_kill_rates.py) that survive because they change nothing a grade
# should notice; each with its reason. tests/test_mutation.py checks every label is still generated.
EQUIVALENT_MUTANTS = {
    "q1_jacobian": {
        "L3 args: `f.jacobian(z).replace(sp.DiracDelta, lambda *args: sp.S.Z...` -> `f.jacobian(z).replace(lambda "
        "*args: sp.S.Zero, sp.DiracDe...` (first two arguments swapped)":
            "the swapped replace() matches nothing, so J_f keeps DiracDelta terms of real_root's derivative; they "
            "vanish wherever z3 e^-z1 + z1^2 != 0, i.e. almost everywhere, so J_f and det J_f are the same function",
    },
    "q2_counter_density": {
        "L10 compare: `r <= 0.5` -> `r < 0.5` (<= -> <)":
            "at r = 0.5 both branches give 0.9 (the frame starts at 0.9 - k * 0): the density is continuous there",
    },
    "q2_normalising_k": {
        "L7 args: `sp.Eq(sp.Rational(9, 10) + frame_mass, 1)` -> `sp.Eq(1, sp.Rational(9, 10) + frame_mass)` "
        "(first two arguments swapped)": "an equation with its sides swapped has the same solutions",
    },
    "q2_vp_bound": {
        "L6 arith: `max_density_vp * 1` -> `max_density_vp / 1` (* -> /)": "x * 1 == x / 1",
    },
}
