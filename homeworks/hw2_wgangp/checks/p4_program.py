"""hw2_wgangp, p4_discrete_w1's P4(b): the linear program ``w1_linprog`` hands to ``scipy.optimize.linprog``.

The probe's helper :func:`_program_of` records that program in the kernel and hands it back as data; the visible test
:func:`test_w1_linprog_solves_the_stated_program` reads it in the judge (p4_discrete_w1.py holds P4(b)'s other
inputs, probe and tests).
"""
from __future__ import annotations

from dgmlab.probes import (
    _np,  # lazy imports
    attempt,
    usable,
    wire,
    working,
)
from dgmlab.probes.linprog import linprog_bounds, recording_linprog
from dgmlab.probes.points import points

# ------------------------------------------------------------------ P4(b): the linear program w1_linprog builds
# w1_linprog is asked to solve the LP with scipy.optimize.linprog. The probe records the last program it hands to
# linprog on each problem and hands it back as data (its costs, constraint arrays and bounds, at most 16 x 64 for a
# right one); the test asks in the judge which plans built from (p, q) that program allows. A transport library's
# solver (POT's ot.emd) formulates nothing: it earns the value and plan's points, not these.
_MAX_PROGRAM_ITEMS = 4096  # entries of one recorded array (a right A_eq for n = 8 has 16 * 64 = 1024)


def _program_of(fn, p, q, C):
    """The last program ``fn(p, q, C)`` hands to ``scipy.optimize.linprog`` (as the module's attribute or under
    any name in ``fn``'s globals), as data: ``{"c", "A_eq", "b_eq", "A_ub", "b_ub", "lower", "upper"}`` (float arrays,
    None where not given; infinite bounds as inf); what ``fn`` raised when it raised before any call; else None."""
    result, calls = recording_linprog(fn, p.copy(), q.copy(), C.copy(), max_items=_MAX_PROGRAM_ITEMS)
    if not calls and isinstance(result, wire.Raised):
        return result  # the error before any linprog call, which the test reports
    if not calls:
        return None
    call = {k: calls[-1][k] for k in ("c", "A_ub", "b_ub", "A_eq", "b_eq")}
    lower_upper = attempt(lambda: linprog_bounds(calls[-1]["bounds"], calls[-1]["n"]))
    call["lower"], call["upper"] = lower_upper if isinstance(lower_upper, tuple) else (lower_upper, lower_upper)
    return call


_PROGRAM_PLANS = {  # plan built from (p, q) -> whether P4(b)'s program allows it, and what it breaks if not
    "product": (True, ""), "north_west": (True, ""), "shifted": (True, ""),
    "negative_entry": (False, "a plan with a negative entry and the right marginals: x >= 0 belongs in the program, "
                              "as its bounds (linprog's default bounds, (0, None), are that)"),
    "rows_off": (False, "a plan whose row sums are not p: the program needs sum_j pi_ij = p_i for every i"),
    "columns_off": (False, "a plan whose column sums are not q: the program needs sum_i pi_ij = q_j for every j"),
    "scaled_up": (False, "a plan of total mass 1.1: the marginal constraints must be equalities"),
    "scaled_down": (False, "a plan of total mass 0.9: the marginal constraints must be equalities"),
}
_PROGRAM_NARROW = {
    "product": "the plan pi_ij = p_i q_j, which meets every constraint (which sums does A_eq take, and in which "
               "order does b_eq list p and q?)",
    "north_west": "a plan with zero entries that meets every constraint",
    "shifted": "a plan that meets every constraint",
}


def _program_plans(p, q):
    """Plans built from (p, q), by name (see :data:`_PROGRAM_PLANS`), each flattened row by row."""
    np = _np()
    n = len(p)
    P = np.outer(p, q)
    nw, a, b = np.zeros((n, n)), p.copy(), q.copy()
    i = j = 0
    while i < n and j < n:  # the north-west corner rule: a vertex of the transport polytope, zeros in it
        m = min(a[i], b[j])
        nw[i, j], a[i], b[j] = m, a[i] - m, b[j] - m
        if a[i] <= b[j]:
            i += 1
        else:
            j += 1
    cycle = np.zeros((n, n))
    cycle[0, 0] = cycle[1, 1] = 1.0
    cycle[0, 1] = cycle[1, 0] = -1.0
    plans = {"product": P, "north_west": nw, "shifted": P + 0.5 * min(P[0, 1], P[1, 0]) * cycle,
             "negative_entry": P + (P[0, 1] + 0.1) * cycle, "scaled_up": 1.1 * P, "scaled_down": 0.9 * P,
             "rows_off": P + 0.5 * min(p[0], p[1]) * np.outer(np.eye(n)[0] - np.eye(n)[1], q),
             "columns_off": P + 0.5 * min(q[0], q[1]) * np.outer(p, np.eye(n)[0] - np.eye(n)[1])}
    return {name: X.reshape(-1) for name, X in plans.items()}


def _recorded(program, key):
    """One recorded array of the program (None when not given), or a failure saying linprog cannot read it."""
    np = _np()
    found = program.get(key)
    if found is None:
        return None
    found = usable(f"the {key} handed to linprog", found)
    if isinstance(found, dict) and "shape" in found:
        raise AssertionError(f"the {key} of the linear program w1_linprog builds has shape {tuple(found['shape'])}: far more "
                             "entries than a program in the n*n entries of pi needs")
    if not (isinstance(found, np.ndarray) and found.dtype.kind == "f"):
        raise AssertionError(f"linprog cannot read the {key} w1_linprog hands it (found {type(found).__name__})")
    return found


def _violation(program, x):
    """How far the flattened plan ``x`` is from the feasible set of the recorded program (0 inside it)."""
    np = _np()
    n_vars, worst = len(x), 0.0
    for A_key, b_key, equality in (("A_eq", "b_eq", True), ("A_ub", "b_ub", False)):
        A, b = _recorded(program, A_key), _recorded(program, b_key)
        if A is None and b is None:
            continue
        if A is None or b is None:
            raise AssertionError(f"w1_linprog hands linprog {A_key if A is not None else b_key} without "
                                 f"{b_key if A is not None else A_key}")
        A = np.atleast_2d(A)
        if A.shape[1:] != (n_vars,) or b.reshape(-1).shape != (A.shape[0],):
            raise AssertionError(f"linprog cannot read the program w1_linprog builds: {A_key} of shape {A.shape} "
                                 f"and {b_key} of shape {b.shape} for {n_vars} unknowns (pi has n*n entries)")
        r = A @ x - b.reshape(-1)
        worst = max(worst, float(np.max(np.abs(r) if equality else np.maximum(r, 0.0), initial=0.0)))
    lower, upper = _recorded(program, "lower"), _recorded(program, "upper")
    if lower is None or lower.shape != (n_vars,) or upper is None or upper.shape != (n_vars,):
        raise AssertionError("linprog cannot read the bounds w1_linprog hands it: give one (lower, upper) pair for "
                             "every entry of pi, or one pair for all")
    return max(worst, float(np.max(np.maximum(lower - x, 0.0), initial=0.0)),
               float(np.max(np.maximum(x - upper, 0.0), initial=0.0)))


def _program_fails(program, p, q, C):
    """Why the recorded program for (p, q, C) is not P4(b)'s, or "" when it is."""
    np = _np()
    n = len(p)
    if program is None:
        return ("w1_linprog solves no linear program with scipy.optimize.linprog: P4(b) asks you to build the "
                "program and solve it with linprog (a transport solver such as POT's ot.emd gives the value and plan "
                "without building it)")
    program = usable("the linear program w1_linprog builds", program)
    if not isinstance(program, dict):
        raise AssertionError("the linear program w1_linprog builds is not a table of arrays")
    c = _recorded(program, "c")
    if c is None or c.reshape(-1).shape != (n * n,):
        return (f"n={n}: the costs of the linear program w1_linprog builds are not C.reshape(-1) ({n * n} entries, one per entry "
                f"of pi)")
    c, want = c.reshape(-1), C.reshape(-1)
    if not np.allclose(c, want, rtol=1e-9, atol=1e-12):
        hint = ""
        if np.allclose(c, C.T.reshape(-1), rtol=1e-9, atol=1e-12):
            hint = ": they are C transposed, so pi_ij is charged c(j, i); flatten C as x = pi.reshape(-1) is (row by row)"
        elif np.allclose(c, -want, rtol=1e-9, atol=1e-12):
            hint = ": they are minus C; linprog minimises, and W1 is a minimum, so pass the costs themselves"
        return f"n={n}: the costs of the linear program w1_linprog builds are not C.reshape(-1){hint}"
    for name, x in _program_plans(p, q).items():
        allowed, why = _PROGRAM_PLANS[name]
        if (_violation(program, x) <= 1e-9) == allowed:
            continue
        if allowed:
            return f"n={n}: the linear program w1_linprog builds is too narrow: it leaves out {_PROGRAM_NARROW[name]}"
        return f"n={n}: the linear program w1_linprog builds allows {why}"
    return ""


@points(0.75)
def test_w1_linprog_solves_the_stated_program(v, ref):
    # the last program w1_linprog hands to linprog on each problem: its costs are C.reshape(-1), and of plans built
    # from p and q it allows exactly those with row sums p, column sums q and no negative entry
    w = working(v)
    programs = usable("w1_linprog's programs", w.programs)
    problems = [(p, q, C) for C, p, q in w.inputs.problems] + [(w.inputs.asym[1], w.inputs.asym[2], w.inputs.asym[0])]
    if not (isinstance(programs, list) and len(programs) == len(problems)):
        raise AssertionError("w1_linprog was not run on every problem")
    for program, (p, q, C) in zip(programs, problems, strict=True):
        why = _program_fails(program, p, q, C)
        if why:
            raise AssertionError(why)
