"""hw4_gans' checks of P5 (p5_kantorovich_duality.py): the optimal transport instances, probes, visible tests and
``CHECKS``.
"""
from __future__ import annotations

from dgmlab.probes import (
    CheckSpec,
    TestFailure,
    asserts,
    attempt,
    working,
)
from dgmlab.probes import on_working as _on_working
from dgmlab.probes import with_working as _with_working
from dgmlab.probes.points import points

from .common import paired


# ------------------------------------------------------------------ P5
def _instances_primal(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 11)
    out = []
    for k1, k2 in [(3, 3), (4, 7), (8, 5), (1, 4)]:
        v, w = rng.dirichlet(np.ones(k1)), rng.dirichlet(np.ones(k2))
        C = np.abs(rng.normal(size=(k1, 1)) - rng.normal(size=(1, k2))) + rng.uniform(0, 0.5, (k1, k2))
        out.append((v, w, C))
    return {"instances": out}


def _instances_dual(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 23)
    out = []
    for k1, k2 in [(3, 3), (5, 2), (6, 9), (2, 1)]:
        v, w = rng.dirichlet(np.ones(k1)), rng.dirichlet(np.ones(k2))
        a, b = rng.normal(size=(k1, 2)), rng.normal(size=(k2, 2))
        out.append((v, w, np.linalg.norm(a[:, None] - b[None], axis=-1)))
    return {"instances": out}


def _copies(*arrays):
    return [a.copy() for a in arrays]


def _primal_probe(o, x):
    import numpy as np

    ot_primal = o["ot_primal"]
    half = np.array([0.5, 0.5])
    return {"small": attempt(lambda: list(ot_primal(half.copy(), half.copy(), np.array([[0.0, 1.0], [1.0, 0.0]])))),
            "instances": attempt(lambda: [list(ot_primal(*_copies(*inst))) for inst in x["instances"]])}


def _optima(ref):
    """The optimal transport costs of the working seed's instances, recorded from the grader's own route (POT's
    network simplex, not the linear program the statement asks for)."""
    return ref["optima"]


def _solved(wv, function: str, dual: bool):
    """The student's results on the instances (``wv.instances``), or a failure that says what a ``None`` from linprog
    means: ``res.fun`` and ``res.x`` are None when the linear program is infeasible (status 2) or unbounded (status 3),
    and ``float(None)`` is the TypeError the student's code then raises."""
    try:
        return wv.instances
    except TestFailure as exc:
        if "NoneType" not in str(exc):
            raise
        likely = ("unbounded (status 3) usually means the objective's sign is wrong: linprog minimises, so minimise "
                  "minus v.phi + w.psi (and negate the result); infeasible (status 2), that the constraint matrix "
                  "does not give phi_i + psi_j <= c_ij" if dual else
                  "infeasible (status 2) usually means the constraint matrix is built wrong: A_eq @ T.ravel() must "
                  "give T's row sums (= v) and column sums (= w) for T flattened row by row (check the order of the "
                  "np.kron factors); unbounded (status 3), that the objective's sign is wrong")
        raise TestFailure(f"{exc}. linprog returns None in res.fun and res.x when it finds no optimum: print "
                          f"res.status and res.message in {function}. An LP that is {likely}") from None


def _per_instance(wv, ref, function: str, dual: bool, what: str):
    """``((the student's result, (v, w, C)), the optimum)`` for each seeded instance, in order (``what``: the
    results, if their count is off)."""
    return zip(paired(_solved(wv, function, dual), wv.inputs.instances, what), _optima(ref), strict=True)


def _primal_hint(v):
    """Why a primal that is not optimal may be wrong, read off the fixed 2x2 example (a hint, never the points)."""
    try:
        value_ = float(v.small[0])
    except Exception:
        return ""
    if abs(value_ - 1) < 1e-6:
        return ("; on identical two-point marginals with zero cost on the diagonal it gives 1, the most expensive "
                "plan: linprog minimises, so pass the costs themselves")
    return ""


def _close_or_hint(value_, best, name, hint):
    """``asserts.assert_close(value_, best, atol=1e-7)``, the hint (a full clause or "") after its message."""
    try:
        asserts.assert_close(value_, best, atol=1e-7, name=name)
    except asserts.CheckError as exc:
        raise asserts.CheckError(f"{exc}{hint}") from None


@points(3)
def test_plan_is_an_optimal_coupling(v, ref):
    import numpy as np

    # on the seeded instances: a coupling of v and w whose cost sum C * T is the optimum (recorded from the grader's)
    wv = working(v)
    for ((_, T), (vv, w, C)), best in _per_instance(wv, ref, "ot_primal", False, "plans, one per instance"):
        name = f"the {len(vv)}x{len(w)} plan"
        asserts.assert_coupling(T, vv, w, atol=1e-8, name=name)
        cost = float(np.sum(C * np.asarray(T, float)))
        if not abs(cost - best) <= 1e-7:
            raise AssertionError(
                f"{name} is a coupling, but its cost sum C*T = {cost:.6f} is above the optimum {best:.6f}: "
                f"a feasible plan is not enough, solve the linear program{_primal_hint(wv)}")


@points(1.5)
def test_value_is_the_optimum(v, ref):
    wv = working(v)
    for ((value_, _), (vv, w, C)), best in _per_instance(wv, ref, "ot_primal", False, "results, one per instance"):
        if not isinstance(value_, float):
            raise AssertionError(f"expected ot_primal to return the value as a float, found {type(value_).__name__}")
        _close_or_hint(value_, best, f"the OT value of the {len(vv)}x{len(w)} instance", _primal_hint(wv))


def _dual_probe(o, x):
    import numpy as np

    ot_dual = o["ot_dual"]
    half = np.array([0.5, 0.5])
    return {"shapes": attempt(lambda: list(ot_dual(np.array([0.2, 0.8]), np.array([0.1, 0.3, 0.6]),
                                                   np.arange(6.0).reshape(2, 3)))),
            "small": attempt(lambda: list(ot_dual(half.copy(), half.copy(), np.array([[1.0, 3.0], [2.0, 1.0]])))),
            "instances": attempt(lambda: [list(ot_dual(*_copies(*inst))) for inst in x["instances"]])}


def _dual_hint(v):
    """Hints read off the fixed examples (never the points)."""
    try:
        value_ = float(v.small[0])
    except Exception:
        return ""
    hints = {-1.0: "; on a fixed 2x2 example it gives -1, minus the optimum: the sign is flipped (linprog minimises, "
                   "so minimise minus the objective and negate the result)",
             2.5: "; on a fixed 2x2 example it gives 2.5, the cost of the most expensive plan: the constraints are "
                  "phi_i + psi_j <= c_ij"}
    return hints.get(round(value_, 6), "")


@points(2.5)
def test_potentials_are_optimal(v, ref):
    import numpy as np

    # on the seeded instances: feasible potentials whose objective v.phi + w.psi, computed here from them, reaches
    # the optimal transport cost the grader computed by another route (strong duality; recorded)
    wv = working(v)
    for ((_, phi, psi), (vv, w, C)), best in _per_instance(wv, ref, "ot_dual", True, "results, one per instance"):
        k1, k2 = C.shape
        if not (np.shape(phi) == (k1,) and np.shape(psi) == (k2,)):
            raise AssertionError(
                f"expected phi with k1 = {k1} entries and psi with k2 = {k2}, found shapes {np.shape(phi)} and {np.shape(psi)}")
        phi, psi = np.asarray(phi, float), np.asarray(psi, float)
        slack = C - phi[:, None] - psi[None, :]
        if not slack.min() > -1e-8:
            raise AssertionError("the potentials violate a dual constraint phi_i + psi_j <= c_ij")
        objective = float(vv @ phi + w @ psi)
        if not abs(objective - best) <= 1e-7:
            raise AssertionError(
                f"the {k1}x{k2} potentials are feasible, but their objective v.phi + w.psi = {objective:.6f} is below "
                f"the optimal transport cost {best:.6f}: feasible potentials are not enough, maximise{_dual_hint(wv)}")


@points(1)
def test_dual_value_is_the_optimum(v, ref):
    wv = working(v)
    for ((value_, _, _), (vv, w, C)), best in _per_instance(wv, ref, "ot_dual", True, "results, one per instance"):
        if not isinstance(value_, float):
            raise AssertionError(f"expected ot_dual to return the value as a float, found {type(value_).__name__}")
        _close_or_hint(value_, best, f"the dual value of the {len(vv)}x{len(w)} instance", _dual_hint(wv))


CHECKS = [
    CheckSpec("p5_ot_primal_tests", hidden=2.5, names=("ot_primal",),
              visible=(test_plan_is_an_optimal_coupling, test_value_is_the_optimum),
              probe=_on_working(_primal_probe), inputs=_with_working(_instances_primal)),
    CheckSpec("p5_ot_dual_tests", hidden=3.5, names=("ot_dual",),
              visible=(test_potentials_are_optimal, test_dual_value_is_the_optimum),
              probe=_on_working(_dual_probe), inputs=_with_working(_instances_dual)),
]
