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
from dgmlab.probes.linprog import linprog_bounds, recording_linprog
from dgmlab.probes.points import points

from .common import paired, value


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


# ------------------------------------------------------------------ P5: the linear programs the student formulates
# ot_primal and ot_dual are asked to formulate their linear program and solve it with scipy.optimize.linprog: the
# probe records the last program each hands to linprog and reports how it treats plans (potentials) built from the
# instance itself, some in the feasible set the statement defines and some outside it, and whether its costs are the
# statement's. A library's solver (POT's ot.emd) formulates nothing: it earns the value's points, not these.
_PRIMAL_POINTS = {  # test plan -> whether the statement's constraints allow it, and what it breaks if not
    "product": (True, ""), "north_west": (True, ""), "shifted": (True, ""),
    "negative_entry": (False, "a plan with a negative entry (and the right marginals): the program needs T_ij >= 0"),
    "rows_off": (False, "a plan whose row sums are not v: the program needs sum_j T_ij = v_i for every i"),
    "columns_off": (False, "a plan whose column sums are not w: the program needs sum_i T_ij = w_j for every j"),
    "scaled": (False, "a plan of total mass 1.1: the marginal constraints must be equalities"),
    "shrunk": (False, "a plan of total mass 0.9: the marginal constraints must be equalities"),
}
_DUAL_POINTS = {
    "row_minima": (True, ""), "column_minima": (True, ""), "shifted_up": (True, ""), "shifted_down": (True, ""),
    "very_negative": (True, ""), "far_apart": (True, ""), "far_below": (True, ""),
    "phi_over": (False, "potentials with phi_i + psi_j > c_ij for some pair: the program needs phi_i + psi_j <= c_ij"),
    "psi_over": (False, "potentials with phi_i + psi_j > c_ij for some pair: the program needs phi_i + psi_j <= c_ij"),
}
_DUAL_SIGN = ("potentials of both signs: the statement's phi and psi are free in sign, and linprog's default bounds "
              "keep every variable at 0 or above")


def _violation(call, x):
    """How far ``x`` is from the feasible set of the recorded program ``call`` (0 inside it)."""
    import numpy as np

    worst = 0.0
    for A, b, eq in ((call["A_eq"], call["b_eq"], True), (call["A_ub"], call["b_ub"], False)):
        if A is None and b is None:
            continue
        r = np.atleast_2d(A) @ x - np.ravel(b)
        worst = max(worst, float(np.max(np.abs(r) if eq else np.maximum(r, 0), initial=0.0)))
    lower, upper = linprog_bounds(call["bounds"], len(x))
    return max(worst, float(np.max(np.maximum(lower - x, 0), initial=0.0)),
               float(np.max(np.maximum(x - upper, 0), initial=0.0)))


def _primal_points(v, w, C):
    """Plans built from the instance, by name (see :data:`_PRIMAL_POINTS`); those needing two rows or two columns
    only where the instance has them."""
    import numpy as np

    k1, k2 = C.shape
    P = np.outer(v, w)
    nw, a, b = np.zeros((k1, k2)), v.copy(), w.copy()
    i = j = 0
    while i < k1 and j < k2:  # the north-west corner rule: a vertex of the polytope, zeros in it
        m = min(a[i], b[j])
        nw[i, j], a[i], b[j] = m, a[i] - m, b[j] - m
        if a[i] <= b[j]:
            i += 1
        else:
            j += 1
    out = {"product": P, "north_west": nw, "scaled": 1.1 * P, "shrunk": 0.9 * P}
    if k1 >= 2 and k2 >= 2:
        cycle = np.zeros((k1, k2))
        cycle[0, 0] = cycle[1, 1] = 1.0
        cycle[0, 1] = cycle[1, 0] = -1.0
        out["shifted"] = P + 0.5 * min(P[0, 1], P[1, 0]) * cycle
        out["negative_entry"] = P + (P[0, 1] + 0.1) * cycle
    if k1 >= 2:
        t = 0.5 * min(v[0], v[1])
        out["rows_off"] = P + t * np.outer(np.eye(k1)[0] - np.eye(k1)[1], w)
    if k2 >= 2:
        t = 0.5 * min(w[0], w[1])
        out["columns_off"] = P + t * np.outer(v, np.eye(k2)[0] - np.eye(k2)[1])
    return out


def _dual_points(v, w, C):
    """Potentials ``(phi, psi)`` built from the instance, by name (see :data:`_DUAL_POINTS`)."""
    import numpy as np

    k1, k2 = C.shape
    rows, cols = C.min(axis=1), C.min(axis=0)
    return {"row_minima": (rows, np.zeros(k2)), "column_minima": (np.zeros(k1), cols),
            "shifted_up": (rows + 3.0, np.full(k2, -3.0)), "shifted_down": (rows - 3.0, np.full(k2, 3.0)),
            "very_negative": (np.full(k1, -10.0), np.full(k2, -10.0)),
            # far from 0 either way: free in sign means no bound at any size (a box of +-1000 is a bound)
            "far_apart": (rows + 1e6, np.full(k2, -1e6)), "far_below": (np.full(k1, -1e6), np.full(k2, -1e6)),
            "phi_over": (rows + 0.01, np.zeros(k2)), "psi_over": (np.zeros(k1), cols + 0.01)}


def _lp_report(call, costs, points):
    """For each way of laying the unknowns out as linprog's vector (``costs`` and ``points``: ``{layout: the costs
    the statement's program has}``, ``{layout: {name: that vector}}``): how far the program's costs are from the
    statement's, and each test point's violation of its constraints."""
    import numpy as np

    out = {}
    for layout, want in costs.items():
        try:
            c = np.ravel(call["c"]).astype(float)
            # a positive factor on the costs leaves the program's solutions as they are: the gap is to the nearest
            # positive multiple of the statement's costs, in the statement's units (inf for none)
            factor = float(c @ want / (want @ want)) if c.shape == want.shape and want @ want > 0 else 0.0
            cost_gap = float(np.max(np.abs(c / factor - want))) if factor > 0 else float("inf")
            lower, upper = linprog_bounds(call["bounds"], c.size)
            out[layout] = {"cost_gap": cost_gap, "pinned": int(np.sum(lower == upper)),
                           "violation": {name: _violation(call, x) for name, x in points[layout].items()}}
        except Exception as exc:  # a program linprog itself would refuse (shapes that do not fit)
            out[layout] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return out


def _program_of(calls, n):
    """The program the function under test formulates among the ``calls`` it makes to linprog: the last one over its
    ``n`` unknowns (k1*k2 for the primal, k1 + k2 for the dual), so a sanity check that also solves the other program
    is not read as it; ``None`` when no call has ``n`` unknowns."""
    import numpy as np

    mine = [call for call in calls if call["c"] is not None and np.size(call["c"]) == n]
    return mine[-1] if mine else None


def _unknowns(calls, n, shape):
    """The report of a function none of whose linprog calls is over its ``n`` unknowns: how many each call had, and
    the instance's ``shape`` (k1, k2)."""
    import numpy as np

    return {"unknowns": {"want": int(n), "found": sorted({int(np.size(c["c"])) for c in calls if c["c"] is not None}),
                         "shape": [int(k) for k in shape]}}


def _primal_formulation(ot_primal, inst):
    v, w, C = _copies(*inst)
    _, calls = recording_linprog(ot_primal, v.copy(), w.copy(), C.copy())
    if not calls:
        return None
    call = _program_of(calls, C.size)
    if call is None:
        return _unknowns(calls, C.size, C.shape)
    plans = _primal_points(v, w, C)
    return _lp_report(call, {"row by row": C.ravel(), "column by column": C.T.ravel()},
                      {"row by row": {k: T.ravel() for k, T in plans.items()},
                       "column by column": {k: T.T.ravel() for k, T in plans.items()}})


def _dual_formulation(ot_dual, inst):
    import numpy as np

    v, w, C = _copies(*inst)
    _, calls = recording_linprog(ot_dual, v.copy(), w.copy(), C.copy())
    if not calls:
        return None
    call = _program_of(calls, sum(C.shape))
    if call is None:
        return _unknowns(calls, sum(C.shape), C.shape)
    pots = _dual_points(v, w, C)
    return _lp_report(call, {"phi first": -np.concatenate([v, w]), "psi first": -np.concatenate([w, v])},
                      {"phi first": {k: np.concatenate([a, b]) for k, (a, b) in pots.items()},
                       "psi first": {k: np.concatenate([b, a]) for k, (a, b) in pots.items()}})


def _layout_fails(layout, table, function, costs, too_narrow):
    """Why one layout of a recorded program is not the statement's program, or "" when it is."""
    if "error" in layout:
        return f"linprog cannot read the program {function} builds ({layout['error']})"
    if not layout["cost_gap"] <= 1e-9:
        return f"the costs of the linear program {function} builds are not {costs}"
    for name, (allowed, why) in table.items():
        found = layout["violation"].get(name)
        if found is None or (found <= 1e-9) == allowed:
            continue
        if allowed and layout.get("pinned"):
            return (f"the linear program {function} builds is too narrow: its bounds fix {layout['pinned']} of its "
                    f"unknowns (lower bound = upper bound), so it leaves out {too_narrow['pinned']}")
        if allowed:
            return f"the linear program {function} builds is too narrow: {too_narrow.get(name, name)}"
        return f"the linear program {function} builds allows {why}"
    return ""


def _wrong_unknowns(unknowns, function, what):
    """Why a function whose linear programs all have the wrong number of unknowns is not the statement's program."""
    found = " and ".join(str(n) for n in unknowns["found"]) or "no"
    variables = ("one per entry T_ij of the plan, k1*k2" if what == "primal" else
                 "the potentials phi and psi, k1 + k2")
    k1, k2 = unknowns.get("shape") or (0, 0)
    counts = set(unknowns["found"])
    head = f"the linear program {function} builds has {found} unknowns, not {unknowns['want']}"
    if what == "dual" and k1 * k2 + k1 + k2 in counts:  # phi, psi and a slack per pair: the standard form
        return (f"{head}: {k1} + {k2} + {k1}*{k2} are phi, psi and a slack per pair (phi_i + psi_j + s_ij = c_ij, "
                "s_ij >= 0), but the statement asks for (phi, psi) alone stacked into one vector, with one inequality "
                "phi_i + psi_j <= c_ij per pair (A_ub, b_ub): leave the slacks out")
    other = (k1 + k2, "dual") if what == "primal" else (k1 * k2, "primal")
    if other[0] in counts:
        return (f"{head}: the {what}'s unknowns are {variables} (a program over {other[0]} unknowns is the "
                f"{other[1]}'s, which the statement does not ask {function} to formulate)")
    return f"{head}: the {what}'s unknowns are {variables}, and no others"


def _formulation_fails(reports, table, function, what, costs, too_narrow):
    """Why the recorded programs (one report per instance) are not the statement's, or "" when they are: a program
    passes in any of the layouts it was read in; the message is the stated layout's (the first)."""
    if any(r is None for r in reports):
        return (f"{function} solves no linear program with scipy.optimize.linprog: the statement asks you to formulate "
                f"the {what} as a linear program and solve it with linprog (a library's transport solver earns the "
                "value's points, not the formulation's)")
    for report in reports:
        if "unknowns" in report:
            return _wrong_unknowns(report["unknowns"], function, what)
        why = [_layout_fails(layout, table, function, costs, too_narrow) for layout in report.values()]
        if all(why):
            return why[0]
    return ""


def _primal_probe(o, x):
    import numpy as np

    ot_primal = o["ot_primal"]
    half = np.array([0.5, 0.5])
    return {"small": attempt(lambda: list(ot_primal(half.copy(), half.copy(), np.array([[0.0, 1.0], [1.0, 0.0]])))),
            "instances": attempt(lambda: [list(ot_primal(*_copies(*inst))) for inst in x["instances"]]),
            "dtypes": attempt(lambda: [str(getattr(r, "dtype", type(r).__name__)) for r in ot_primal(*_copies(*x["instances"][0]))]),
            "formulation": attempt(lambda: [_primal_formulation(ot_primal, inst) for inst in x["instances"]])}


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
        likely = ("unbounded (status 3) usually means the program's objective goes the wrong way: the dual "
                  "maximises v.phi + w.psi, and linprog minimises its objective; infeasible (status 2), that the "
                  "constraints are not the statement's phi_i + psi_j <= c_ij" if dual else
                  "infeasible (status 2) usually means the constraints are not the statement's: each marginal "
                  "constraint sums one row of T (= v_i) or one column (= w_j), with T laid out as the program's "
                  "vector is; unbounded (status 3), that the objective decreases without end: its sign, or the "
                  "bounds (the statement's T_ij >= 0)")
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
                "plan: the primal minimises the total cost")
    return ""


def _close_or_hint(value_, best, name, hint):
    """``asserts.assert_close(value_, best, atol=1e-7)``, the hint (a full clause or "") after its message."""
    try:
        asserts.assert_close(value_, best, atol=1e-7, name=name)
    except asserts.CheckError as exc:
        raise asserts.CheckError(f"{exc}{hint}") from None


_PRIMAL_NARROW = {
    "product": "it leaves out the plan T_ij = v_i w_j, which meets every constraint (which sums does A_eq take, and "
               "in which order does b_eq list v and w?)",
    "north_west": "it leaves out a plan with zero entries that meets every constraint",
    "shifted": "it leaves out a plan that meets every constraint",
    "pinned": "plans that meet every constraint: T_ij >= 0 is the only bound",
}
_DUAL_NARROW = {
    "row_minima": "it leaves out phi_i = min_j c_ij, psi = 0, which meets every constraint phi_i + psi_j <= c_ij",
    "column_minima": "it leaves out phi = 0, psi_j = min_i c_ij, which meets every constraint phi_i + psi_j <= c_ij",
    "shifted_up": f"it leaves out {_DUAL_SIGN}",
    "shifted_down": f"it leaves out {_DUAL_SIGN}",
    "very_negative": f"it leaves out {_DUAL_SIGN}",
    "far_apart": ("it leaves out feasible potentials of size 10^6: the statement's phi and psi are free in sign, so "
                  "its program bounds none of them, neither above nor below"),
    "far_below": ("it leaves out feasible potentials of size 10^6: the statement's phi and psi are free in sign, so "
                  "its program bounds none of them, neither above nor below"),
    "pinned": ("potentials that meet every constraint: the statement's phi and psi are all free in sign, so its program "
               "allows every shift (phi + t, psi - t) of feasible potentials; fixing one potential removes that "
               "freedom from the program (its optimal value stays the same, but the program is not the dual's)"),
}


@points(3.5)
def test_primal_is_formulated_as_the_statement_s_program(v, ref):
    # the last program ot_primal hands to linprog, on each instance: its costs are C up to a positive factor (T
    # flattened row by row, or column by column throughout), and of plans built from v and w it allows exactly those the constraints allow
    wv = working(v)
    reports = [r for r, _ in paired(value(wv.formulation, "ot_primal"), wv.inputs.instances, "programs, one per instance")]
    why = _formulation_fails(reports, _PRIMAL_POINTS, "ot_primal", "primal",
                             "C flattened as T is (or a positive multiple of it)", _PRIMAL_NARROW)
    if why:
        raise AssertionError(why)


@points(1.5)
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


@points(0.5)
def test_value_is_the_optimum(v, ref):
    wv = working(v)
    for ((value_, _), (vv, w, C)), best in _per_instance(wv, ref, "ot_primal", False, "results, one per instance"):
        if not isinstance(value_, float):
            raise AssertionError(f"expected ot_primal to return the value as a float, found {type(value_).__name__}")
        if not (len(wv.dtypes) == 2 and wv.dtypes[0] in ("float", "float64") and wv.dtypes[1] == "float64"):
            raise AssertionError(f"expected ot_primal to return a float64 value and plan (its docstring), found "
                                 f"{' and '.join(map(str, wv.dtypes))}")
        _close_or_hint(value_, best, f"the OT value of the {len(vv)}x{len(w)} instance", _primal_hint(wv))


def _dual_probe(o, x):
    import numpy as np

    ot_dual = o["ot_dual"]
    half = np.array([0.5, 0.5])
    return {"shapes": attempt(lambda: list(ot_dual(np.array([0.2, 0.8]), np.array([0.1, 0.3, 0.6]),
                                                   np.arange(6.0).reshape(2, 3)))),
            "small": attempt(lambda: list(ot_dual(half.copy(), half.copy(), np.array([[1.0, 3.0], [2.0, 1.0]])))),
            "instances": attempt(lambda: [list(ot_dual(*_copies(*inst))) for inst in x["instances"]]),
            "formulation": attempt(lambda: [_dual_formulation(ot_dual, inst) for inst in x["instances"]])}


def _dual_hint(v):
    """Hints read off the fixed examples (never the points)."""
    try:
        value_ = float(v.small[0])
    except Exception:
        return ""
    hints = {-1.0: "; on a fixed 2x2 example it gives -1, minus the optimum: the value returned has the wrong sign "
                   "(the dual's value is the maximum of v.phi + w.psi)",
             2.5: "; on a fixed 2x2 example it gives 2.5, the cost of the most expensive plan: the constraints are "
                  "phi_i + psi_j <= c_ij"}
    return hints.get(round(value_, 6), "")


@points(3.5)
def test_dual_is_formulated_as_the_statement_s_program(v, ref):
    # the last program ot_dual hands to linprog, on each instance: it minimises -(v.phi + w.psi) (times any positive
    # factor) over (phi, psi)
    # stacked (or psi first), and of potentials built from C it allows exactly those with phi_i + psi_j <= c_ij
    wv = working(v)
    reports = [r for r, _ in paired(value(wv.formulation, "ot_dual"), wv.inputs.instances, "programs, one per instance")]
    why = _formulation_fails(reports, _DUAL_POINTS, "ot_dual", "dual",
                             "minus (v, w), or a positive multiple of it (linprog minimises)", _DUAL_NARROW)
    if why:
        raise AssertionError(why)


@points(1.5)
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


@points(0.5)
def test_dual_value_is_the_optimum(v, ref):
    wv = working(v)
    for ((value_, _, _), (vv, w, C)), best in _per_instance(wv, ref, "ot_dual", True, "results, one per instance"):
        if not isinstance(value_, float):
            raise AssertionError(f"expected ot_dual to return the value as a float, found {type(value_).__name__}")
        _close_or_hint(value_, best, f"the dual value of the {len(vv)}x{len(w)} instance", _dual_hint(wv))


CHECKS = [
    CheckSpec("p5_ot_primal_tests", hidden_for="the optimal value on other instances", names=("ot_primal",),
              visible=(test_primal_is_formulated_as_the_statement_s_program, test_plan_is_an_optimal_coupling,
                       test_value_is_the_optimum),
              probe=_on_working(_primal_probe), inputs=_with_working(_instances_primal)),
    CheckSpec("p5_ot_dual_tests", hidden_for="strong duality and complementary slackness", names=("ot_dual",),
              visible=(test_dual_is_formulated_as_the_statement_s_program, test_potentials_are_optimal,
                       test_dual_value_is_the_optimum),
              probe=_on_working(_dual_probe), inputs=_with_working(_instances_dual)),
]
