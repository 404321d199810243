"""hw4_gans' checks of P4 (p4_gan_objective.py): the GAN objective's symbols, inputs, probe, visible tests and
``CHECKS``.
"""
from __future__ import annotations

import math

from dgmlab.probes import (
    CheckSpec,
    asserts,
    attempt,
    usable,
    wire,
)
from dgmlab.probes.derivation_steps import chain_report
from dgmlab.probes.points import points


# ------------------------------------------------------------------ P4
def symbols() -> dict:
    """The notebook's locked cell p4_symbols."""
    import sympy as sp

    p_data, p_g, d = sp.symbols("p_data p_g d", positive=True)
    return {"p_data": p_data, "p_g": p_g, "d": d, "pi_real": sp.symbols("pi_real", positive=True)}


def statement_symbols(expr):
    """``expr`` with each free symbol named as one of the statement's replaced by the statement's own (positive)
    symbol: a student who declares ``p_data`` again without ``positive=True`` wrote the same answer."""
    import sympy as sp

    if not isinstance(expr, sp.Basic):
        return expr
    ours = symbols()
    return expr.xreplace({x: ours[x.name] for x in expr.free_symbols
                          if isinstance(x, sp.Symbol) and x.name in ours and x != ours[x.name]})


def _p4a_probe(o, x):
    return {name: statement_symbols(o[name]) for name in ("V_point", "D_star", "second_derivative", "D_star_pi")}


def test_expressions_and_symbols(v, ref):
    s = symbols()
    asserts.assert_sympy_expr(v.V_point, "V_point", symbols=[s["p_data"], s["p_g"], s["d"]])
    asserts.assert_sympy_expr(v.D_star, "D_star", symbols=[s["p_data"], s["p_g"]])
    asserts.assert_sympy_expr(v.second_derivative, "second_derivative", symbols=[s["p_data"], s["p_g"]])
    asserts.assert_sympy_expr(v.D_star_pi, "D_star_pi", symbols=[s["p_data"], s["p_g"], s["pi_real"]])
    if s["pi_real"] not in v.D_star_pi.free_symbols:
        raise AssertionError(f"expected D_star_pi to depend on pi_real (the share of real images), found {v.D_star_pi}")


def _stated():
    s = symbols()
    return s["p_data"] * _sp().log(s["d"]) + s["p_g"] * _sp().log(1 - s["d"])  # the integrand the statement prints


def _sp():
    import sympy as sp

    return sp


def _density_points(v, with_d=False):
    """The seeded densities ({p_data, p_g} as rationals), each with d = 1/3, 1/2 and 5/7 when ``with_d``."""
    sp, s = _sp(), symbols()
    pts = [{s["p_data"]: sp.Rational(a, b), s["p_g"]: sp.Rational(c, e)} for a, b, c, e in v.inputs.densities]
    return [{**p, s["d"]: t} for p in pts for t in (sp.Rational(1, 3), sp.Rational(1, 2), sp.Rational(5, 7))] if with_d else pts


@points(0.25)
def test_V_point_is_the_stated_integrand(v, ref):
    # V_point is the integrand the statement prints, compared by value at seeded densities and values of d
    gap = asserts.sympy_gap(asserts.as_sympy(v.V_point, "V_point"), _stated(), _density_points(v, True))
    if not gap < 1e-20:
        raise AssertionError(
            "expected V_point to be the integrand of V at one point, p_data log d + p_g log(1 - d) as the statement "
            f"writes it; at some values of p_data, p_g and d it is {gap:.3g} away from it")


@points(0.25)
def test_second_derivative_is_negative(v, ref):
    # D_star is a maximum: the second derivative there is negative for any positive densities, and it is the
    # stated integrand's second derivative in d at d = D_star (the D_star given, whatever it is)
    import numpy as np
    import sympy as sp

    s = symbols()
    second = asserts.as_sympy(v.second_derivative, "second_derivative")
    extra = sorted(str(x) for x in second.free_symbols - {s["p_data"], s["p_g"]})
    if extra:
        raise AssertionError(f"expected second_derivative to depend on p_data and p_g only (taken at d = D_star), "
                             f"found it depends on {', '.join(extra)} too: substitute D_star for d")
    at_d_star = sp.diff(_stated(), s["d"], 2).subs(s["d"], asserts.as_sympy(v.D_star, "D_star"))
    gap = asserts.sympy_gap(second, at_d_star, _density_points(v))
    if not gap < 1e-20:
        raise AssertionError(
            "expected second_derivative to be the second derivative in d of p_data log d + p_g log(1 - d), taken at "
            f"d = D_star; at some densities it is {gap:.3g} away from it")
    rng = np.random.default_rng(0)
    for a, b in rng.integers(1, 50, size=(12, 2)):
        found = complex(sp.N(second.subs({s["p_data"]: sp.Rational(int(a), 7), s["p_g"]: sp.Rational(int(b), 7)})))
        if not (abs(found.imag) < 1e-12 and found.real < 0):
            raise AssertionError(
                "expected second_derivative to be negative for positive densities (D_star is a maximum of the "
                "integrand), found a value that is not: is it the second derivative, with its sign?")


def _p4a_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 43)
    # (p_data numerator, denominator, p_g numerator, denominator): the grader's densities at three points
    return {"densities": [tuple(int(k) for k in rng.integers(1, (40, 12, 40, 12))) for _ in range(3)]}


def test_D_star_is_a_stationary_point_of_V_point(v, ref):
    # d/dd of the integrand the statement prints, p_data log d + p_g log(1 - d) (the grader's, not the student's
    # V_point), at d = D_star and the grader's seeded densities
    import sympy as sp

    s = symbols()
    p_data, p_g, d = s["p_data"], s["p_g"], s["d"]  # sp.diff and subs would sympify a string: values checked first
    D_star = asserts.as_sympy(v.D_star, "D_star")
    pts = [{p_data: sp.Rational(a, b), p_g: sp.Rational(c, e)} for a, b, c, e in v.inputs.densities]
    stated = p_data * sp.log(d) + p_g * sp.log(1 - d)
    gap = asserts.sympy_gap(sp.diff(stated, d).subs(d, D_star), sp.S.Zero, pts)
    if gap < 1e-25:
        return
    hint = ""
    V_point = asserts.as_sympy(v.V_point, "V_point")
    if asserts.sympy_gap(sp.diff(V_point, d).subs(d, D_star), sp.S.Zero, pts) < 1e-25:
        hint = " (it is a stationary point of your V_point, which is not the stated integrand)"
    raise AssertionError(f"expected the derivative in d of the integrand p_data log d + p_g log(1 - d) to vanish at "
                         f"d = D_star (D_star is its stationary point); at some densities it is {gap:.3g} away from "
                         f"0{hint}")


def test_D_star_pi_tends_to_one_when_every_image_is_real(v, ref):
    # read by value at pi_real = 1 - 10^-12 and a few densities (the kit's bounded evaluation, which takes a
    # Piecewise or a 0/0 as it comes), never through sp.limit, which cannot handle a Piecewise guard such as
    # Ne(pi_real p_data + (1 - pi_real) p_g, 0)
    import sympy as sp

    s = symbols()
    D_star_pi = statement_symbols(asserts.as_sympy(v.D_star_pi, "D_star_pi"))  # as_sympy never sympifies a string
    near = 1 - sp.Rational(1, 10**12)
    for a, b in ((3, 7), (1, 40), (40, 1), (5, 5)):
        found = asserts.sympy_number(D_star_pi, {s["p_data"]: sp.Rational(a, 7), s["p_g"]: sp.Rational(b, 7),
                                                 s["pi_real"]: near}, "D_star_pi")
        if not (math.isfinite(found.real) and abs(found - 1) < 1e-6):
            value = f"{found.real:.4g}" if math.isfinite(found.real) and abs(found.imag) < 1e-12 else "no real number"
            raise AssertionError(
                f"expected D_star_pi -> 1 as pi_real -> 1 (a discriminator that only sees real images calls "
                f"everything real), found {value} at pi_real = 1 - 10^-12")
    # balanced batches, pi_real = 1/2: the objective is half the statement's integrand, so D_star_pi is its
    # stationary point there, as D_star is
    half = D_star_pi.xreplace({s["pi_real"]: sp.Rational(1, 2)})
    gap = asserts.sympy_gap(sp.diff(_stated(), s["d"]).subs(s["d"], half), sp.S.Zero, _density_points(v))
    if not gap < 1e-25:
        raise AssertionError(
            "expected D_star_pi at pi_real = 1/2 (balanced batches, where the objective is half of p_data log d + "
            "p_g log(1 - d)) to be the balanced optimum, where the derivative in d of that integrand vanishes; at some "
            f"densities it is {gap:.3g} away from 0")


for _f in (test_expressions_and_symbols, test_D_star_is_a_stationary_point_of_V_point,
           test_D_star_pi_tends_to_one_when_every_image_is_real):
    points(0.5)(_f)


def _p4b_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 4)
    pairs = [(rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))) for k in (2, 5, 50)]
    pairs += [(np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.2, 0.3, 0.5])),  # zeros on both sides
              (np.array([1.0, 0.0]), np.array([0.0, 1.0]))]                      # disjoint supports
    apart = [(p, [rng.dirichlet(np.ones(k)) for _ in range(5)]) for k in (3, 10) for p in [rng.dirichlet(np.ones(k))]]
    return {"pairs": pairs, "apart": apart}


def _p4b_probe(o, x):
    import numpy as np

    vc, js = o["virtual_criterion"], o["js_divergence"]
    p4 = np.array([0.1, 0.2, 0.3, 0.4])
    return {"C_point": statement_symbols(o["C_point"]),
            "types": attempt(lambda: {"vc": attempt(vc, np.array([0.5, 0.5]), np.array([0.25, 0.75])),
                                      "js": attempt(js, np.array([0.5, 0.5]), np.array([0.25, 0.75]))}),
            "js_equal": attempt(js, p4.copy(), p4.copy()),
            "vc_equal": attempt(vc, p4.copy(), p4.copy()),
            "js_disjoint": attempt(js, np.array([1.0, 0.0]), np.array([0.0, 1.0])),
            "vc_disjoint": attempt(vc, np.array([1.0, 0.0]), np.array([0.0, 1.0])),
            "js_on_pairs": attempt(lambda: [[js(p.copy(), q.copy()), js(q.copy(), p.copy())] for p, q in x["pairs"]]),
            "vc_on_pairs": attempt(lambda: [vc(p.copy(), q.copy()) for p, q in x["pairs"]]),
            "vc_apart": attempt(lambda: [[vc(p.copy(), p.copy()), [vc(p.copy(), q.copy()) for q in qs]]
                                         for p, qs in x["apart"]])}


@points(0.5)
def test_types(v, ref):
    s = symbols()
    asserts.assert_sympy_expr(v.C_point, "C_point", symbols=[s["p_data"], s["p_g"]])
    vc, js = (usable(n, v.types[k]) for n, k in (("virtual_criterion", "vc"), ("js_divergence", "js")))
    if not isinstance(vc, float):
        raise AssertionError(f"expected virtual_criterion to return a Python float, found {type(vc).__name__}")
    if not isinstance(js, float):
        raise AssertionError(f"expected js_divergence to return a Python float, found {type(js).__name__}")


@points(0.5)
def test_equal_distributions(v, ref):
    asserts.assert_close(v.js_equal, 0.0, atol=1e-12, name="js_divergence(p, p)", reveal=True)
    asserts.assert_close(v.vc_equal, -math.log(4), atol=1e-12,
                        name="virtual_criterion(p, p), which the statement says is -log 4,", reveal=True)


@points(0.5)
def test_disjoint_supports_give_log_two(v, ref):
    import numpy as np

    # disjoint supports: D* is 1 where p lives and 0 where q lives, so C = log 1 + log 1 = 0; p log(p / (p + q)) at an
    # entry where p = 0 is 0 log 0 = 0, which np.log makes nan
    vc = float(usable("virtual_criterion", v.vc_disjoint))
    if not (np.isfinite(vc) and abs(vc) < 1e-9):
        raise AssertionError(
            "expected virtual_criterion(p, q) with p = [1, 0], q = [0, 1] (zero entries) to be 0 (D* is 1 where p "
            "lives and 0 where q lives), "
            f"found {vc:.4g}" + ("" if np.isfinite(vc) else
                                 ": the statement says use 0 log 0 = 0 at zero entries, and np.log(0) is -inf "
                                 "(scipy.special.xlogy handles the zeros)"))
    js = float(v.js_disjoint)
    hints = {round(1.0, 4): ": that is 1 bit; give the divergence in nats (natural logarithms)",
             round(2 * np.log(2), 4): ": that is twice log 2: the two KL terms each need their weight 1/2",
             round(np.sqrt(np.log(2)), 4): ": that is the square root of log 2; the divergence is the statement's "
                                           "weighted sum of the two KL terms, with no root taken"}
    found = f"{js:.4f}" if np.isfinite(js) else f"{js} (0 log 0 must count as 0: scipy.special.xlogy)"
    if not (np.isfinite(js) and abs(js - np.log(2)) < 1e-9):
        raise AssertionError(
            f"expected js_divergence of two distributions on disjoint supports to be log 2 = {np.log(2):.4f} nats, "
            f"found {found}" + (hints.get(round(js, 4), "") if np.isfinite(js) else ""))


@points(0.5)
def test_c_point_vanishes_where_only_one_density_is_positive(v, ref):
    import sympy as sp

    # where only p_data is positive D* is 1, where only p_g is, 0: both terms of the integrand are log 1 = 0 or weigh
    # 0 there (read as a limit: one density 10^-12, the other 1)
    s = symbols()
    asserts.assert_sympy_expr(v.C_point, "C_point", symbols=[s["p_data"], s["p_g"]])
    tiny = sp.Rational(1, 10**12)
    for where, at in (("only p_data", {s["p_data"]: 1, s["p_g"]: tiny}), ("only p_g", {s["p_data"]: tiny, s["p_g"]: 1})):
        try:
            found = complex(v.C_point.subs(at).evalf(30))
        except (TypeError, ValueError):
            found = complex("nan")
        if not (math.isfinite(found.real) and abs(found) < 1e-9):
            raise AssertionError(
                f"expected C_point to vanish where {where} is positive (the other density 10^-12 there), found "
                f"{found.real:.4g}: D* is 1 where only p_data lives and 0 where only p_g does, so each term of V with "
                "D* substituted for d is log 1 or weighs 0 there")


# ------------------------------------------------------------------ P4(b)'s chain of steps (no points: for the TA)
def _steps_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 44)
    # pairs of positive distributions on 2 and 3 points, (numerators, numerators): each normalised to sum to 1
    return {"pairs": [tuple(tuple(int(n) for n in rng.integers(1, 10, size=k)) for _ in range(2)) for k in (2, 3, 3)]}


def _steps_probe(o, x):
    steps = attempt(o["derivation_steps"])
    if isinstance(steps, wire.Raised) and steps.message.startswith("NotImplementedError"):
        steps = None  # the release stub: the cell is optional
    if isinstance(steps, (list, tuple)):
        steps = [statement_symbols(s) for s in steps]
    return {"steps": steps}


def _distributions(v):
    """The seeded pairs of distributions as exact rationals: ``[(p_data vector, p_g vector)]``."""
    sp = _sp()
    return [tuple(tuple(sp.Rational(n, sum(w)) for n in w) for w in pair) for pair in v.inputs.pairs]


def _constant_and_integrand(expr):
    """``(constant, integrand)`` of a step: its terms with neither density are a number, the others are integrated
    over x (products distributed first, so log 2 (p_data + p_g - 2) is a term of each kind)."""
    sp, s = _sp(), symbols()
    terms = []
    for term in sp.Add.make_args(expr):
        sums = [len(sp.Add.make_args(f)) for f in sp.Mul.make_args(term)]
        terms.append(sp.expand_mul(term) if math.prod(sums) <= 64 else term)
    return sp.Add(*terms).as_independent(s["p_data"], s["p_g"], as_Add=True)


def _integrated(expr, pair):
    """A step's value for the distributions ``pair``: its constant plus its integrand summed over their points."""
    s = symbols()
    constant, integrand = _constant_and_integrand(expr)
    total = asserts.sympy_number(constant, {}, "a step")
    for a, b in zip(*pair, strict=True):
        total += asserts.sympy_number(integrand, {s["p_data"]: a, s["p_g"]: b}, "a step")
    return total


def _where(pair):
    return "p_data = ({}), p_g = ({})".format(*(", ".join(str(t) for t in w) for w in pair))


def _chain_ends():
    """C(G) as P4(b) defines it (the integrand of V with D* substituted) and -log 4 + 2 JSD (JSD's integrand)."""
    sp, s = _sp(), symbols()
    p, q = s["p_data"], s["p_g"]
    m = (p + q) / 2
    start = p * sp.log(p / (p + q)) + q * sp.log(q / (p + q))
    return start, -sp.log(4) + 2 * (p * sp.log(p / m) + q * sp.log(q / m)) / 2


@points(0)
def test_each_step_equals_the_next(v, ref):
    # worth no points: the TA reads the first step that does not hold beside the written P4(b) derivation
    s = symbols()
    start, end = _chain_ends()
    holds, message = chain_report(
        v.steps, start=start, end=end, points=_distributions(v), evaluate=_integrated,
        where=_where, start_name="C(G)", end_name="-log 4 + 2 JSD", symbols=(s["p_data"], s["p_g"]),
        parts=_constant_and_integrand)
    if not holds:
        raise AssertionError(message)


CHECKS = [
    CheckSpec("p4a_tests", hidden_for="V_point, D_star, the second derivative and D_star_pi at other densities", names=("V_point", "D_star", "second_derivative", "D_star_pi"),
              visible=(test_expressions_and_symbols, test_D_star_is_a_stationary_point_of_V_point,
                       test_D_star_pi_tends_to_one_when_every_image_is_real, test_second_derivative_is_negative,
                       test_V_point_is_the_stated_integrand),
              probe=_p4a_probe, inputs=_p4a_inputs),
    CheckSpec("p4b_tests", hidden_for="C_point, the JSD and the criterion on other distributions, its minimum", names=("C_point", "virtual_criterion", "js_divergence"),
              visible=(test_types, test_equal_distributions, test_disjoint_supports_give_log_two,
                       test_c_point_vanishes_where_only_one_density_is_positive),
              probe=_p4b_probe, inputs=_p4b_inputs),
    CheckSpec("p4b_steps_tests", names=("derivation_steps",), visible=(test_each_step_equals_the_next,),
              probe=_steps_probe, inputs=_steps_inputs),
]
