"""hw2_wgangp, p4_discrete_w1: its test cells' inputs, probes, visible tests and specs (see __init__.py).

P4(b), P4(c): W1 as a linear program (its constraints, its value and plan), and glued couplings.
"""
from __future__ import annotations

import functools

from dgmlab.probes import (
    CheckSpec,
    _np,  # lazy imports
    asserts,
    attempt,
    usable,
    with_working,
    working,
)
from dgmlab.probes.points import points

from .common import _on_working, _rng, random_metric_problem
from .p4_program import _program_of, test_w1_linprog_solves_the_stated_program

# ------------------------------------------------------------------ P4(b)
# marginal_constraints is checked on matrices drawn here, never against a matrix: A_eq @ X.reshape(-1) must be X's row
# sums then its column sums. The draws: couplings of (p, q) (the product p q^T, and it plus a matrix whose rows and
# columns sum to 0), matrices with the right column sums but a wrong row sum (a coupling plus a b^T with sum(a) = 0,
# sum(b) != 0) and the other way round, and for each size a w1_linprog problem has, random positive matrices. The
# kernel hands back A_eq and b_eq themselves (data: at most 16 x 64 here); the tests compute every product in the judge,
# so nothing the kernel computes from A_eq is taken on trust. The value and plan points count only when the student's
# constraints for that (p, q) are right on the draws and the plan meets them.
_TRIAL_SIZES = (2, 3, 4, 5, 8)  # the sizes of w1_linprog's problems: two_points, problems, to_itself, asymmetric


def _marginal_cases(rng):
    np = _np()
    cases = []
    for n in (3, int(rng.integers(4, 7))):
        p, q = rng.random(n) + 0.1, rng.random(n) + 0.1
        p, q = p / p.sum(), q / q.sum()
        product = np.outer(p, q)

        def centred():
            a = rng.normal(size=n)
            return a - a.mean()

        def off_sum():
            b = rng.random(n) + 0.5
            return b / b.sum()

        def nudged(D):  # the product plus D, scaled so that every entry stays positive
            return product + 0.5 * product.min() * D / np.abs(D).max()

        couplings = [product, nudged(np.outer(centred(), centred()))]
        wrong_rows = [nudged(np.outer(centred(), off_sum())) for _ in range(2)]
        wrong_cols = [nudged(np.outer(off_sum(), centred())) for _ in range(2)]
        cases.append({"p": p, "q": q, "couplings": couplings, "wrong_rows": wrong_rows, "wrong_cols": wrong_cols})
    return cases


def _trial_matrices(rng):
    """{n: three random positive n x n matrices}: a right A_eq gives each one's row sums then its column sums."""
    return {n: [rng.random((n, n)) + 0.1 for _ in range(3)] for n in _TRIAL_SIZES}


def _linprog_inputs(seed):
    np = _np()
    rng = _rng(seed, 4)
    C, p, _, _ = random_metric_problem(rng, 4)
    problems = [random_metric_problem(rng, n)[:3] for n in (3, 5, 8)]
    n = 5
    Ca = rng.random((n, n))
    np.fill_diagonal(Ca, 0.0)
    pa, qa = rng.random(n), rng.random(n)
    return {"self_C": C, "self_p": p, "problems": problems, "asym": (Ca, pa / pa.sum(), qa / qa.sum()),
            "marginals": _marginal_cases(_rng(seed, 14)), "trials": _trial_matrices(_rng(seed, 16))}


def _constraints_of(constraints, p, q):
    """The student's (A_eq, b_eq) for (p, q) as data: their shapes, and each array when its shape is the stated one
    ((2n, n*n) and (2n,), so at most 16 x 64 here); the tests apply A_eq in the judge."""
    np = _np()
    n = len(p)
    A, b = constraints(p.copy(), q.copy())
    A, b = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return {"A_shape": list(A.shape), "b_shape": list(b.shape),
            "A_eq": A if A.shape == (2 * n, n * n) else None, "b_eq": b if b.shape == (2 * n,) else None}


def _value_and_plan(fn, constraints, p, q, C):
    """[value, plan, the student's constraints for (p, q) as _constraints_of gives them]."""
    np = _np()
    value, plan = fn(p.copy(), q.copy(), C.copy())
    plan = attempt(lambda: np.asarray(plan, dtype=np.float64))
    return [value, plan, attempt(_constraints_of, constraints, p, q)]


def _linprog_probe(o, x):
    np, fn, constraints = _np(), o["w1_linprog"], o["marginal_constraints"]
    p, q = _two_point_marginals()
    C2 = np.array([[0.0, 1.0], [3.0, 0.0]])
    solve = functools.partial(_value_and_plan, fn, constraints)
    asym = (x["asym"][1], x["asym"][2], x["asym"][0])
    return {"marginals": [attempt(_constraints_of, constraints, case["p"], case["q"]) for case in x["marginals"]],
            "to_itself": attempt(solve, x["self_p"], x["self_p"], x["self_C"]),
            "two_points": attempt(solve, p, q, C2),
            "problems": attempt(lambda: [solve(p_, q_, C_) for C_, p_, q_ in x["problems"]]),
            "asymmetric": attempt(solve, *asym),
            "programs": attempt(lambda: [_program_of(fn, p_, q_, C_) for p_, q_, C_ in
                                         [*((p_, q_, C_) for C_, p_, q_ in x["problems"]), asym]])}


def _two_point_marginals():
    np = _np()
    return np.array([1.0, 0.0]), np.array([0.0, 1.0])


def _plan_array(plan, name):
    plan = usable(name, plan)
    if not hasattr(plan, "shape"):
        raise AssertionError(f"{name} is not an array (found {type(plan).__name__})")
    return plan


def _float_array(value, shape, name):
    """``value`` as a finite float64 array of ``shape``, or a failure naming what is wrong."""
    np = _np()
    if not (isinstance(value, np.ndarray) and value.dtype.kind in "fiu"):
        raise AssertionError(f"{name} is not a numeric array (found {type(value).__name__})")
    if value.shape != shape:
        raise AssertionError(f"expected {name} of shape {shape}, found {value.shape}")
    if not np.isfinite(value).all():
        raise AssertionError(f"{name} has an entry that is not finite")
    return value.astype(np.float64)


def _constraints(got, p, q, what):
    """(A_eq, b_eq) from the kernel's data for (p, q), after the shape and b_eq checks every test shares."""
    np, n = _np(), len(p)
    got = usable(f"marginal_constraints(p, q) for {what}", got)
    if not isinstance(got, dict):
        raise AssertionError("the data of marginal_constraints(p, q) is not a table of values")
    if list(got.get("A_shape", [])) != [2 * n, n * n]:
        raise AssertionError(
            f"{what}: expected A_eq of shape ({2 * n}, {n * n}) (n row sums and n column sums of the n*n entries, "
            f"n = {n}), found {tuple(got.get('A_shape', ()))}")
    if list(got.get("b_shape", [])) != [2 * n]:
        raise AssertionError(f"{what}: expected b_eq of shape ({2 * n},), found {tuple(got.get('b_shape', ()))}")
    A = _float_array(got.get("A_eq"), (2 * n, n * n), "A_eq")
    b = _float_array(got.get("b_eq"), (2 * n,), "b_eq")
    if not np.allclose(b, np.concatenate([p, q]), rtol=0, atol=1e-12):
        raise AssertionError(f"{what}: expected b_eq to be p followed by q")
    return A, b


def _marginal_checks(v):
    """[(case, A_eq, b_eq)] for the drawn (p, q), after the shape and b_eq checks."""
    w = working(v)
    found = usable("marginal_constraints on random (p, q)", w.marginals)
    if not (isinstance(found, list) and len(found) == len(w.inputs.marginals)):
        raise AssertionError("marginal_constraints did not return a result for every (p, q)")
    return [(case, *_constraints(got, case["p"], case["q"], f"a random (p, q) with n={len(case['p'])}"))
            for case, got in zip(w.inputs.marginals, found, strict=True)]


def _sums_of(X, product, n, what):
    # the usual causes when A_eq @ X.reshape(-1) is not X's row sums then its column sums
    np = _np()
    rows, cols = X.sum(axis=1), X.sum(axis=0)
    if np.allclose(product, np.concatenate([rows, cols]), rtol=0, atol=1e-10):
        return
    hint = ""
    if np.allclose(product, np.concatenate([cols, rows]), rtol=0, atol=1e-10):
        hint = (": it gives the column sums first, then the row sums; with x = pi.reshape(-1) row-major, "
                "x[i*n + j] = pi[i, j] (check the kron order or the flattening order)")
    elif np.allclose(product[:n], rows, rtol=0, atol=1e-10):
        hint = ": the row sums are right but the last n entries are not the column sums"
    elif np.allclose(product[n:], cols, rtol=0, atol=1e-10):
        hint = ": the column sums are right but the first n entries are not the row sums"
    raise AssertionError(f"n={n}: for {what}, A_eq @ X.reshape(-1) should be X's n row sums then its n column "
                         f"sums{hint}")


@points(0.5)
def test_constraints_hold_for_couplings(v, ref):
    np = _np()
    for case, A, b in _marginal_checks(v):
        n = len(case["p"])
        for X in case["couplings"]:
            product = A @ X.reshape(-1)
            _sums_of(X, product, n, "a coupling of (p, q)")
            if not np.allclose(product, b, rtol=0, atol=1e-10):
                raise AssertionError(f"n={n}: a coupling of (p, q) breaks A_eq x = b_eq")


@points(0.5)
def test_constraints_reject_a_wrong_row_sum(v, ref):
    np = _np()
    for case, A, b in _marginal_checks(v):
        n = len(case["p"])
        for X in case["wrong_rows"]:
            product = A @ X.reshape(-1)
            _sums_of(X, product, n, "a matrix with column sums q and other row sums")
            if np.allclose(product, b, rtol=0, atol=1e-10):
                raise AssertionError(
                    f"n={n}: a matrix whose row sums are not p meets A_eq x = b_eq: the row-sum constraints are missing")


@points(0.5)
def test_constraints_reject_a_wrong_column_sum(v, ref):
    np = _np()
    for case, A, b in _marginal_checks(v):
        n = len(case["p"])
        for X in case["wrong_cols"]:
            product = A @ X.reshape(-1)
            _sums_of(X, product, n, "a matrix with row sums p and other column sums")
            if np.allclose(product, b, rtol=0, atol=1e-10):
                raise AssertionError(
                    f"n={n}: a matrix whose column sums are not q meets A_eq x = b_eq: the column-sum constraints are "
                    "missing")


def _solved(found, inputs, p, q, name):
    """(value, plan) of one w1_linprog call, after checking that the student's constraints for (p, q) are right on
    the drawn matrices and that the plan meets them (both computed here, from the kernel's A_eq and b_eq)."""
    np = _np()
    found = usable(name, found)
    if not (isinstance(found, list) and len(found) == 3):
        raise AssertionError(f"{name}: w1_linprog did not return (value, plan)")
    value, plan, constraints = found
    plan = _plan_array(plan, "the plan")
    n = len(p)
    # w1_linprog's points need marginal_constraints right for this (p, q), then a plan that meets them
    A, b = _constraints(constraints, p, q, f"{name} (marginal_constraints(p, q))")
    for X in inputs.trials[n]:
        _sums_of(X, A @ X.reshape(-1), n, f"a random positive matrix (marginal_constraints(p, q) of {name})")
    flat = np.asarray(plan, dtype=np.float64).reshape(-1)
    if flat.shape != (n * n,):
        raise AssertionError(f"{name}: expected a plan with {n * n} entries, found {flat.size}")
    residual = A @ flat - b
    if not np.max(np.abs(residual)) < 1e-7:
        raise AssertionError(
            f"{name}: the plan w1_linprog returned does not meet A_eq @ plan.reshape(-1) = b_eq for (A_eq, b_eq) = "
            f"marginal_constraints(p, q): solve the LP with those constraints")
    return value, plan


@points(0.25)
def test_distance_to_itself_is_zero(v, ref):
    value, plan = _solved(v.to_itself, v.inputs, v.inputs.self_p, v.inputs.self_p, "W1(p, p)")
    if not isinstance(value, float):
        raise AssertionError(f"expected the value as a Python float, found {type(value).__name__}")
    if plan.shape != (4, 4):
        raise AssertionError(f"expected a 4 x 4 plan, found shape {plan.shape}")
    asserts.assert_close(value, 0.0, atol=1e-8, name="W1(p, p)", reveal=True)


@points(0.25)
def test_moving_all_mass_from_the_first_point_to_the_second(v, ref):
    # p = delta_1, q = delta_2 and an asymmetric cost: the only plan sends mass 1 from 1 to 2, at cost C[0, 1] = 1
    np = _np()
    value, plan = _solved(v.two_points, v.inputs, *_two_point_marginals(), "the two-point case")
    value = float(value)
    hint = ""
    if abs(value) < 1e-8:
        hint = ": 0 means some marginal is not enforced (both row sums and column sums are equality constraints)"
    elif abs(value - 3.0) < 1e-8:
        hint = (": 3 is the cost of the transposed plan; rows of the plan must sum to p and columns to q "
                "(check the kron order against how reshape flattens the plan)")
    if not abs(value - 1.0) < 1e-8:
        raise AssertionError(f"expected W1 = C[0, 1] = 1, found {value:.6g}{hint}")
    if plan.shape != (2, 2):
        raise AssertionError(f"expected a 2 x 2 plan, found shape {plan.shape}")
    got = np.round(plan, 6).tolist()
    if not np.allclose(plan, [[0.0, 1.0], [0.0, 0.0]], atol=1e-8):
        raise AssertionError(f"expected the plan [[0, 1], [0, 0]] (row i sends mass to column j), found {got}")


@points(0.25)
def test_value_and_plan_are_optimal(v, ref):
    # the optimal transport cost (found by POT's exact solver, another route) on random metric problems, then on a
    # problem whose cost is not symmetric, where swapping the roles of p and q changes the answer
    np, w = _np(), working(v)
    problems, wanted = usable("w1_linprog on random problems", w.problems), ref["problems"]
    if len(problems) != len(w.inputs.problems):
        raise AssertionError("w1_linprog was not run on every problem")
    for (C, p, q), found, want in zip(w.inputs.problems, problems, wanted, strict=True):
        n = len(p)
        value, plan = _solved(found, w.inputs, p, q, f"the problem with n={n}")
        if not abs(float(value) - want) < 1e-7:
            raise AssertionError(
                f"n={n}: the LP value is not the optimal transport cost (check the marginal constraints)")
        asserts.assert_coupling(np.asarray(plan), p, q, atol=1e-7, name="the returned plan")
        if not abs(float(np.sum(np.asarray(plan) * C)) - float(value)) < 1e-7:
            raise AssertionError("the plan's cost is not the value")
    _, pa, qa = w.inputs.asym
    value, _ = _solved(w.asymmetric, w.inputs, pa, qa, "the asymmetric problem")
    if not abs(float(value) - ref["asymmetric"]) < 1e-7:
        raise AssertionError("with a non-symmetric cost the LP value is wrong: are rows tied to p and columns to q?")


# ------------------------------------------------------------------ P4(c)
def _glue_inputs(seed):
    import ot

    rng = _rng(seed, 5)
    cases = {}
    for group, shapes in (("valid", [(4, 0), (7, 0)]), ("zeros", [(6, 1), (9, 3)]),
                          ("bounds", [(4, 0), (6, 1), (9, 3)])):
        cases[group] = []
        for n, zeros in shapes:
            C, p, q, r = random_metric_problem(rng, n, zeros_in_r=zeros)
            cases[group].append({"C": C, "p": p, "q": q, "r": r, "zeros": zeros,
                                 "pi_p": ot.emd(p, r, C), "pi_q": ot.emd(r, q, C)})
    return cases


def _glue_probe(o, x):
    np, fn = _np(), o["glue_couplings"]

    def glued(pi_p, pi_q, r):
        return np.asarray(fn(pi_p.copy(), pi_q.copy(), r.copy()), dtype=np.float64)

    half, zero = np.array([0.5, 0.5]), np.array([0.6, 0.4, 0.0])
    out = {"diagonal": attempt(glued, np.diag(half), np.diag(half), half),
           "zero_in_r": attempt(glued, np.diag(zero), np.diag(zero), zero)}
    for group, cases in x.items():
        out[group] = attempt(lambda: [glued(c["pi_p"], c["pi_q"], c["r"]) for c in cases])
    return out


@points(0.5)
def test_diagonal_plans_glue_to_a_diagonal_plan(v, ref):
    np = _np()
    r, kappa = np.array([0.5, 0.5]), v.diagonal
    hint = ""
    if np.allclose(kappa, np.diag(r ** 2)):
        hint = ": that is pi_p pi_q without the diag(1/r) in between"
    elif np.allclose(kappa, np.diag(r ** 3)):
        hint = ": that is pi_p diag(r) pi_q; the middle factor is diag(1/r)"
    if not np.allclose(kappa, np.diag(r), atol=1e-12):
        raise AssertionError(
            f"gluing diag(r) with itself should give diag(r) = {np.diag(r).tolist()}, found {kappa.tolist()}{hint}")


@points(0.5)
def test_a_zero_in_r_gives_no_nan(v, ref):
    np = _np()
    r, kappa = np.array([0.6, 0.4, 0.0]), v.zero_in_r
    if not np.all(np.isfinite(kappa)):
        raise AssertionError(
            f"expected a finite kappa when r has a zero, found {kappa.tolist()}: read 1/r_z as 0 where r_z = 0")
    if not np.allclose(kappa, np.diag(r), atol=1e-12):
        raise AssertionError(
            f"gluing diag(r) with itself should give diag(r) = {np.diag(r).tolist()}, found {kappa.tolist()}")


def _inverse_or_zero(r):
    np = _np()
    inv = np.zeros_like(r)
    inv[r > 0] = 1.0 / r[r > 0]
    return inv


@points(0.5)
def test_glued_plan_is_a_coupling_of_p_and_q(v, ref):
    # kappa glued from the seed's optimal plans: its rows must sum to p and its columns to q (P4(c)'s statement)
    np = _np()
    kappas = usable("glue_couplings on optimal plans of random problems", v.valid)
    if not (isinstance(kappas, list) and len(kappas) == len(v.inputs.valid)):
        raise AssertionError("glue_couplings was not run on every case")
    for case, kappa in zip(v.inputs.valid, kappas, strict=True):
        p, q, n = case["p"], case["q"], len(case["r"])
        kappa = np.asarray(kappa, dtype=np.float64)
        if kappa.shape != (n, n):
            raise AssertionError(f"n={n}: expected kappa of shape ({n}, {n}), found {kappa.shape}")
        rows, cols = kappa.sum(axis=1), kappa.sum(axis=0)
        if np.allclose(rows, p, atol=1e-9) and np.allclose(cols, q, atol=1e-9) and (kappa >= -1e-12).all():
            continue
        if np.allclose(rows, q, atol=1e-9) and np.allclose(cols, p, atol=1e-9):
            raise AssertionError(f"n={n}: the glued plan kappa is not a coupling of (p, q): it is transposed (its rows "
                                 "sum to q and its columns to p); kappa = pi_p diag(1/r) pi_q has one row per point "
                                 "of p")
        off = [f"its {what} sums differ from {want} by up to {float(np.abs(got - target).max()):.3g}"
               for what, got, target, want in (("row", rows, p, "p"), ("column", cols, q, "q"))
               if not np.allclose(got, target, atol=1e-9)]
        if (kappa < -1e-12).any():
            off.append(f"it has negative entries (down to {float(kappa.min()):.3g})")
        hint = ""
        if np.allclose(kappa, case["pi_p"].T @ np.diag(_inverse_or_zero(case["r"])) @ case["pi_q"].T, atol=1e-9):
            hint = ("; that is pi_p^T diag(1/r) pi_q^T: pi_p's rows are the points of p and pi_q's columns the points "
                    "of q, so no factor is transposed")
        raise AssertionError(f"n={n}: the glued plan kappa is not a coupling of (p, q): {' and '.join(off)} (its rows "
                             f"must sum to p and its columns to q){hint}")


CHECKS = [
    CheckSpec("p4_linprog_tests", names=("marginal_constraints", "w1_linprog"),
              visible=(test_constraints_hold_for_couplings, test_constraints_reject_a_wrong_row_sum,
                       test_constraints_reject_a_wrong_column_sum, test_w1_linprog_solves_the_stated_program,
                       test_distance_to_itself_is_zero, test_moving_all_mass_from_the_first_point_to_the_second,
                       test_value_and_plan_are_optimal),
              probe=_on_working(_linprog_probe), inputs=with_working(_linprog_inputs)),
    CheckSpec("p4_glue_tests", names=("glue_couplings",),
              visible=(test_diagonal_plans_glue_to_a_diagonal_plan, test_a_zero_in_r_gives_no_nan,
                       test_glued_plan_is_a_coupling_of_p_and_q),
              probe=_glue_probe, inputs=_glue_inputs),
]
