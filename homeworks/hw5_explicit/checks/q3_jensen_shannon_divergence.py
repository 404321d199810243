"""hw5_explicit Q3 (q3_jensen_shannon_divergence): KL and JS between Bernoullis and their minimisers; each cell's
inputs, probe, visible tests and CheckSpec."""
from __future__ import annotations

import math

from dgmlab.probes import CheckSpec, _np, _sp, asserts, attempt  # lazy imports
from dgmlab.probes.points import points

from .common import NotAsStated, _stated, as_stated, symbols


# ====================================================================== Q3
def _q3_inputs(seed):
    sp = _sp()
    rng = _np().random.default_rng(int(seed) + 31)
    # a pair whose two KL directions differ: a != b and a != 1 - b (KL(a||b) = KL(1-a||1-b) = KL(b||a) there)
    pairs = [(i, j) for i in range(1, 20) for j in range(1, 20) if i != j and i + j != 20]
    a, b = pairs[int(rng.integers(len(pairs)))]
    return {"a": sp.Rational(int(a), 20), "b": sp.Rational(int(b), 20), "t": sp.Rational(int(rng.integers(1, 100)), 100)}


KL_GRID = ((1, 20), (1, 5), (1, 2), (4, 5), (19, 20))  # Bernoulli parameters a, b of the visible bounds check

# What a divergence that comes out complex means, by function: sympy's log of a negative number is complex
COMPLEX_WHY = {
    "kl_bernoulli": "each log's argument should be a positive ratio of probabilities (a / b and (1 - a) / (1 - b))",
    "js_bernoulli": ("each KL term compares with the mixture M = (P + Q)/2, a Bernoulli whose parameter (a + b)/2 lies "
                     "in (0, 1); check that the mixture is normalised (its 1/2)"),
}


def _real(fn, name, a, b):
    """``float(fn(a, b))``; where the value is complex (a log of a negative number), a NotAsStated that says so
    and what to check, not the TypeError float() raises."""
    value = fn(a, b)
    try:
        return float(value)
    except TypeError:
        sp = _sp()
        try:
            z = complex(sp.N(value))
        except (TypeError, ValueError):  # not a number at all: float()'s own error says what it is
            raise TypeError(f"{name}({a}, {b}) is not a number: found {value}") from None
        raise NotAsStated(f"{name}({a}, {b}) = {z.real:.4g} + {z.imag:.4g} i is complex, so a log took a negative "
                          f"number: {COMPLEX_WHY[name]}") from None


def _q3_kl_probe(o, x):
    kl = o["kl_bernoulli"]
    sp = _sp()
    grid = [sp.Rational(k, d) for k, d in KL_GRID]
    return {"kl_PQ": o["kl_PQ"],
            "kl_grid": attempt(_stated, lambda: [[_real(kl, "kl_bernoulli", a, b) for b in grid] for a in grid]),
            "kl_forward": attempt(_stated, _real, kl, "kl_bernoulli", x["a"], x["b"]),
            "kl_backward": attempt(_stated, _real, kl, "kl_bernoulli", x["b"], x["a"])}


JS_GRID = tuple((k, 20) for k in range(1, 20))  # theta = k / 20


def _q3_js_probe(o, x):
    sp = _sp()
    js, kl = o["js_bernoulli"], o["kl_bernoulli"]
    grid = [sp.Rational(k, d) for k, d in JS_GRID]
    tenths = [sp.Rational(k, 10) for k in range(1, 10)]

    def pairs():
        return [[_real(js, "js_bernoulli", a, b), _real(js, "js_bernoulli", b, a)] for a in grid[::3] for b in grid[::4]]

    return {"js_PQ": o["js_PQ"], "js_pairs": attempt(_stated, pairs),
            "js_tenths": attempt(_stated, lambda: [[_real(js, "js_bernoulli", a, b) for b in tenths] for a in tenths]),
            "kl_tenths": attempt(_stated, lambda: [[_real(kl, "kl_bernoulli", a, b) for b in tenths] for a in tenths])}


def _depends_on_theta(value, name):
    theta = symbols()["theta"]
    asserts.assert_sympy_expr(value, name, symbols=[theta])
    if theta not in value.free_symbols:
        raise AssertionError(f"expected {name} as an expression in theta (P = Bern(theta)), found the constant {value}")


@points(0.25)
def test_kl_is_expression_in_theta(v, ref):
    _depends_on_theta(v.kl_PQ, "kl_PQ")


@points(0.5)
def test_kl_lies_between_two_known_bounds(v, ref):
    # for any two distributions, 2 TV^2 <= KL(P || Q) <= log(1 + chi^2(P || Q)) (Pinsker; Jensen on the ratio);
    # for Bern(a) and Bern(b): TV = |a - b| and chi^2 = (a - b)^2 / (b (1 - b)); KL = 0 when a = b
    grid = [k / d for k, d in KL_GRID]
    got = as_stated(v.kl_grid)
    if not (len(got) == len(grid) and all(len(row) == len(grid) for row in got)):
        raise AssertionError("kl_bernoulli did not answer on every pair")
    for i, a in enumerate(grid):
        for j, b in enumerate(grid):
            kl = got[i][j]
            if i == j:
                if not abs(kl) < 1e-12:
                    raise AssertionError(
                        f"expected kl_bernoulli({a:g}, {a:g}) = 0 (equal distributions), found {kl:.6g}")
                continue
            low, high = 2 * (a - b) ** 2, math.log1p((a - b) ** 2 / (b * (1 - b)))
            if not low - 1e-12 <= kl <= high + 1e-12:
                raise AssertionError(
                    f"kl_bernoulli({a:g}, {b:g}) = {kl:.6g} cannot be D_KL(Bern({a:g}) || Bern({b:g})): that lies between "
                    f"2 (a - b)^2 = {low:.6g} (Pinsker) and log(1 + chi^2) = {high:.6g}; check the argument order and the log's base")


@points(0.25)
def test_js_is_expression_in_theta(v, ref):
    _depends_on_theta(v.js_PQ, "js_PQ")


@points(0.75)
def test_zero_exactly_for_equal_distributions(v, ref):
    tenths = [k / 10 for k in range(1, 10)]
    js_tenths, kl_tenths = as_stated(v.js_tenths), as_stated(v.kl_tenths)
    if not (len(js_tenths) == 9 and len(kl_tenths) == 9):
        raise AssertionError("a divergence did not answer on every pair")
    for i in range(9):
        for j in range(9):
            js, kl = js_tenths[i][j], kl_tenths[i][j]
            pair = f"Bern({tenths[i]:.1f}) and Bern({tenths[j]:.1f})"
            if i == j:
                if not (abs(js) < 1e-14 and abs(kl) < 1e-14):
                    raise AssertionError(f"expected both divergences 0 between {pair}, found JS {js:.3g}, KL {kl:.3g}")
            else:
                if not (js > 1e-6 and kl > 1e-6):
                    raise AssertionError(
                        f"expected both divergences positive between {pair}, found JS {js:.3g}, KL {kl:.3g}")


@points(0.5)
def test_js_is_symmetric_and_within_its_bounds(v, ref):
    # for any two distributions, with TV their total variation distance: TV^2 / 2 <= JS <= TV log 2 (in nats: Pinsker
    # on each of JS's two terms, and Lin's bound), and JS(P || Q) = JS(Q || P) (written part 3)
    grid_a, grid_b = [k / d for k, d in JS_GRID[::3]], [k / d for k, d in JS_GRID[::4]]
    pairs = as_stated(v.js_pairs)
    if len(pairs) != len(grid_a) * len(grid_b):
        raise AssertionError("js_bernoulli did not answer on every pair")
    for (ab, ba), (a, b) in zip(pairs, [(a, b) for a in grid_a for b in grid_b], strict=True):
        if not abs(ab - ba) < 1e-12:
            raise AssertionError(
                f"expected js_bernoulli({a:g}, {b:g}) = js_bernoulli({b:g}, {a:g}) (D_JS is symmetric), found {ab:.6g} "
                f"and {ba:.6g}: each distribution is compared with the mixture M = (P + Q)/2")
        tv = abs(a - b)
        low, high = tv * tv / 2, tv * math.log(2)
        hint = ""
        if ab > high + 1e-12:
            hint = ("; above it, check the weights 1/2 on each KL term and the log's base (natural logarithms, "
                    "nats, as the statement asks)")
        if not low - 1e-12 <= ab <= high + 1e-12:
            raise AssertionError(
                f"js_bernoulli({a:g}, {b:g}) = {ab:.6g} cannot be D_JS(Bern({a:g}) || Bern({b:g})): that lies between "
                f"TV^2 / 2 = {low:.6g} and TV log 2 = {high:.6g} (TV = |a - b|){hint}")


# ---------------------------------------------------------------------- theta*
def _q3_theta_star_inputs(seed):
    # two other Bernoulli parameters b = k/40 (k odd, between 0.175 and 0.825: off every grid of step 0.01 or 0.1)
    rng = _np().random.default_rng(int(seed) + 33)
    ks = rng.choice(range(7, 34, 2), size=2, replace=False)
    return {"b": [_sp().Rational(int(k), 40) for k in ks]}


def other_divergences(inputs):
    """Divergences in theta, each with its one minimum in (0, 1), that the statement does not ask for: the squared
    Hellinger distance between Bern(theta) and Bern(b1), and chi^2(Bern(b2) || Bern(theta))."""
    sp, theta = _sp(), symbols()["theta"]
    b1, b2 = inputs["b"]
    return [("the squared Hellinger distance to Bern(b)",
             (sp.sqrt(theta) - sp.sqrt(b1)) ** 2 + (sp.sqrt(1 - theta) - sp.sqrt(1 - b1)) ** 2),
            ("chi^2(Bern(b) || Bern(theta))", (theta - b2) ** 2 / (theta * (1 - theta)))]


def _q3_theta_star_probe(o, x):
    fn = o["divergence_minimiser"]
    return {**{name: o[name] for name in ("theta_star_kl", "theta_star_js", "kl_PQ", "js_PQ")},
            "others": [attempt(lambda d=d: float(fn(d))) for _what, d in other_divergences(x)]}


@points(0.25)
def test_are_floats_in_unit_interval(v, ref):
    np = _np()
    for name in ("theta_star_kl", "theta_star_js"):
        value = getattr(v, name)
        if not (isinstance(value, (float, int, np.floating)) and not isinstance(value, bool)):
            raise AssertionError(
                f"expected {name} to be a Python float, found {type(value).__name__} (convert with float(...))")
        if not 0 < float(value) < 1:
            raise AssertionError(f"expected {name} in (0, 1), found {float(value)}")


THETA_STEP = 0.002  # the minimiser check's step either side of theta*


def _check_minimiser(div, div_name, name, value):
    """``value`` (called ``name``) is no higher on ``div`` than THETA_STEP either side of it."""
    sp, theta = _sp(), symbols()["theta"]

    def at(t):
        return asserts.sympy_number(div, {theta: sp.Float(t, 30)}, div_name).real

    here = at(value)
    neighbours = [t for t in (value - THETA_STEP, value + THETA_STEP) if 0 < t < 1]
    lowest = min(neighbours, key=at)
    if not here <= at(lowest) + 1e-12:
        raise AssertionError(
            f"expected {name} = {value:.4f} to minimise {div_name}: it is {here:.6g} there but {at(lowest):.6g} "
            f"at theta = {lowest:.4f}{_minimiser_hint(at, value, here, neighbours)}")


def _minimiser_hint(at, value, here, neighbours):
    """What a theta that does not minimise the divergence ``at`` most likely is: the lowest value itself (what an
    optimiser returns beside the minimiser), a maximiser, or a minimiser found too roughly."""
    lowest_value = min(at(t / 200) for t in range(1, 200))
    if abs(value - lowest_value) <= 0.01 * max(1.0, abs(lowest_value)):
        return (f": {value:.4f} is the divergence's lowest value (about {lowest_value:.4f}), not the theta where it is "
                f"reached: return the minimiser (an optimiser's x, not its fun)")
    if all(at(t) < here for t in neighbours):
        return ": that looks like a maximiser (argmax) rather than a minimiser"
    return ": find the minimiser to at least 3 decimals"


@points(0.5)
def test_finds_the_minimiser_of_other_divergences(v, ref):
    # divergence_minimiser on divergences the statement does not ask for, each with one minimum in (0, 1)
    for (what, div), got in zip(other_divergences(v.inputs), v.others, strict=True):
        name = f"divergence_minimiser({what})"
        if isinstance(got, bool) or not isinstance(got, (float, int)):
            raise AssertionError(f"expected {name} to be a Python float, found {type(got).__name__}")
        if not 0 < got < 1:
            raise AssertionError(f"expected {name} in (0, 1), found {got}")
        _check_minimiser(div, what, name, float(got))


@points(0.25)
def test_minimises_your_divergences(v, ref):
    # each theta* against your own kl_PQ and js_PQ (graded in their own cells), a step of 0.002 on either side: a
    # minimiser found to about 3 decimals is no higher there than at its two neighbours
    theta = symbols()["theta"]
    for div_name, div, name, value in (("kl_PQ", v.kl_PQ, "theta_star_kl", v.theta_star_kl),
                                       ("js_PQ", v.js_PQ, "theta_star_js", v.theta_star_js)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise AssertionError(f"expected {name} to be a number, found {type(value).__name__}") from None
        if not 0 < value < 1:
            raise AssertionError(f"expected {name} in (0, 1), found {value}")
        asserts.assert_sympy_expr(div, div_name, symbols=[theta])
        _check_minimiser(div, f"your {div_name}", name, value)


CHECKS = [
    CheckSpec("q3_kl_tests", names=("kl_PQ", "kl_bernoulli"),
              visible=(test_kl_is_expression_in_theta, test_kl_lies_between_two_known_bounds),
              probe=_q3_kl_probe, inputs=_q3_inputs),
    CheckSpec("q3_js_tests", names=("js_PQ", "js_bernoulli", "kl_bernoulli"),
              visible=(test_js_is_expression_in_theta, test_zero_exactly_for_equal_distributions,
                       test_js_is_symmetric_and_within_its_bounds),
              probe=_q3_js_probe, inputs=_q3_inputs),
    CheckSpec("q3_theta_star_tests",
              names=("divergence_minimiser", "theta_star_kl", "theta_star_js", "kl_PQ", "js_PQ"),
              visible=(test_are_floats_in_unit_interval, test_minimises_your_divergences,
                       test_finds_the_minimiser_of_other_divergences),
              probe=_q3_theta_star_probe, inputs=_q3_theta_star_inputs),
]
