"""hw4 P5: the formulation tests read the program of the function under test (fast: no kernel).

A function may call linprog more than once (trial4: a correct ot_dual that checks itself against ot_primal, or the
mirror case, lost the 3.5 formulation points because the last call was the other function's program).
"""
import numpy as np
import pytest
from scipy.optimize import linprog

from conftest import homework_builders

BUILDER = homework_builders().get("hw4_gans")
pytestmark = pytest.mark.skipif(BUILDER is None, reason="no hw4_gans builder")

FORMULATION = {"p5_ot_primal_tests": "test_primal_is_formulated_as_the_statement_s_program",
               "p5_ot_dual_tests": "test_dual_is_formulated_as_the_statement_s_program"}


def _kron_rows(k1, k2):
    return np.kron(np.eye(k1), np.ones((1, k2))), np.kron(np.ones((1, k1)), np.eye(k2))


def ot_primal(v, w, C, bounds=(0, None), check=False, inequalities=False):
    v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
    k1, k2 = C.shape
    A, b = np.vstack(_kron_rows(k1, k2)), np.concatenate([v, w])
    lp = dict(A_ub=A, b_ub=b) if inequalities else dict(A_eq=A, b_eq=b)
    res = linprog(C.ravel(), bounds=bounds, method="highs", **lp)
    if check and k1 * k2 < 400:  # a sanity check through the other program, before the return
        assert np.isclose(res.fun, ot_dual(v, w, C)[0])
    return float(res.fun), res.x.reshape(k1, k2)


def ot_dual(v, w, C, bounds=None, check=False):
    v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
    k1, k2 = C.shape
    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])
    res = linprog(-np.concatenate([v, w]), A_ub=A_ub, b_ub=C.ravel(),
                  bounds=bounds or [(None, None)] * (k1 + k2), method="highs")
    value = float(-res.fun)
    if check:  # the trial's sanity check: the primal's value, after the dual's program
        assert np.isclose(value, ot_primal(v, w, C)[0]), "duality gap"
    return value, res.x[:k1], res.x[k1:]


def _judged(cell, fn, seed=0):
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw4_gans", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, (fn,), seed)))
    return probes.judge("hw4_gans", spec, data, seed)


def _formulation(result, cell):
    return next((ok, why) for name, _, _, ok, why in result.results if name == FORMULATION[cell])


@pytest.mark.parametrize("cell, fn", [
    ("p5_ot_dual_tests", lambda v, w, C: ot_dual(v, w, C, check=True)),
    ("p5_ot_primal_tests", lambda v, w, C: ot_primal(v, w, C, check=True)),
], ids=["ot_dual checks itself with ot_primal", "ot_primal checks itself with ot_dual"])
@pytest.mark.parametrize("seed", [0, 987_654])
def test_a_sanity_check_through_the_other_program_keeps_every_visible_point(cell, fn, seed):
    result = _judged(cell, fn, seed)
    assert result.earned == result.points - 1.5, "\n".join(result.lines)  # 1.5: the hidden tests, not run here


def test_marginals_as_inequalities_lose_the_formulation_points():
    ok, why = _formulation(_judged("p5_ot_primal_tests", lambda v, w, C: ot_primal(v, w, C, inequalities=True)),
                           "p5_ot_primal_tests")
    assert not ok and "total mass 0.9" in why and "equalities" in why, why


def test_a_pinned_potential_loses_the_formulation_points_and_says_the_bounds_fix_it():
    def pinned(v, w, C):
        k1, k2 = np.shape(C)
        return ot_dual(v, w, C, bounds=[(None, None)] * (k1 + k2 - 1) + [(0, 0)])

    ok, why = _formulation(_judged("p5_ot_dual_tests", pinned), "p5_ot_dual_tests")
    assert not ok and "fix 1 of its unknowns" in why and "free in sign" in why, why


def test_the_primals_multipliers_as_potentials_are_told_the_program_is_the_primals():
    def marginals(v, w, C):
        v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
        k1, k2 = C.shape
        res = linprog(C.ravel(), A_eq=np.vstack(_kron_rows(k1, k2)), b_eq=np.concatenate([v, w]), method="highs")
        y = res.eqlin.marginals
        return float(res.fun), y[:k1], y[k1:]

    ok, why = _formulation(_judged("p5_ot_dual_tests", marginals), "p5_ot_dual_tests")
    assert not ok and "primal's" in why and "cannot read" not in why, why
