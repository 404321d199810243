"""hw1_wgan, Q2 (Wasserstein distance vs KL and JS): its test cells' inputs, probes, visible tests and specs.

``symbols()`` and ``normal_pdf`` are the notebook's locked cells; the probes call the student's sympy KL, its limits,
the combined generator loss, the JS divergence and W1 on seeded points.
"""
from __future__ import annotations

import math

from dgmlab.probes import CheckSpec, _sp, _torch, asserts, attempt, on_working, with_working, working  # lazy imports
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points


# ------------------------------------------------------------------ Q2: the notebook's symbols
def symbols() -> dict:
    """The notebook's locked cell q2_symbols."""
    sp = _sp()
    x, theta, theta0 = sp.symbols("x theta theta_0", real=True)
    eps = sp.symbols("epsilon", positive=True)
    sigma_g, sigma_data = sp.symbols("sigma_g sigma_data", positive=True)
    return {"x": x, "theta": theta, "theta0": theta0, "eps": eps, "sigma_g": sigma_g, "sigma_data": sigma_data}


def normal_pdf(x, mean, std):
    """The N(mean, std^2) density as a sympy expression (the notebook's locked cell)."""
    sp = _sp()
    return sp.exp(-(x - mean) ** 2 / (2 * std ** 2)) / (std * sp.sqrt(2 * sp.pi))


@points(0.5)
def test_are_expressions_in_the_right_symbols(v, ref):
    s = symbols()
    x, theta, theta0, sigma_g, sigma_data, eps = (s[k] for k in ("x", "theta", "theta0", "sigma_g", "sigma_data",
                                                                 "eps"))
    asserts.assert_sympy_expr(v.kl_integrand, "kl_integrand", symbols=[x, theta, theta0, sigma_g, sigma_data])
    if x not in v.kl_integrand.free_symbols:
        raise AssertionError("expected kl_integrand to depend on x (it is integrated over x); found no x in it")
    asserts.assert_sympy_expr(v.kl_general, "kl_general", symbols=[theta, theta0, sigma_g, sigma_data])
    asserts.assert_sympy_expr(v.kl_gaussians, "kl_gaussians", symbols=[theta, theta0, eps])


@points(0.5)
def test_general_kl_vanishes_for_equal_distributions(v, ref):
    sp, s = _sp(), symbols()
    for t, sd in [(sp.Rational(-7, 5), sp.Rational(1, 2)), (0, 1), (sp.Rational(3, 4), sp.Rational(9, 5))]:
        same = asserts.sympy_number(v.kl_general, {s["theta"]: t, s["theta0"]: t, s["sigma_g"]: sd,
                                                   s["sigma_data"]: sd}, "kl_general")
        if not abs(same) < 1e-20:
            raise AssertionError(
                f"expected kl_general = 0 when theta = theta0 and sigma_g = sigma_data, found {same.real:.3g} at "
                f"theta = theta0 = {t}, sigma_g = sigma_data = {sd}: check that p_g and p_data use the same "
                f"normal_pdf and that the integral is over x")


@points(1)
def test_general_kl_is_positive_when_only_the_widths_differ(v, ref):
    s = symbols()
    value = asserts.sympy_number(v.kl_general, {s["theta"]: 0, s["theta0"]: 0, s["sigma_g"]: 1, s["sigma_data"]: 2},
                                 "kl_general")
    if not (abs(value.imag) < 1e-20 and value.real > 0):
        raise AssertionError(
            f"expected kl_general > 0 for equal means and widths sigma_g = 1, sigma_data = 2 (a KL between "
            f"different distributions is positive), found {value.real if abs(value.imag) < 1e-20 else value:.3g}: "
            f"a negative value means the log-ratio is "
            f"upside down (log p_data/p_g) or weighted by p_data; zero means the widths were lost (a form "
            f"guessed from the equal-width result?)")


def _kl_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 21)
    return {"points": [(round(float(rng.uniform(-2, 2)), 4), round(float(rng.uniform(-2, 2)), 4),
                        round(float(rng.uniform(0.4, 2.0)), 4), round(float(rng.uniform(0.4, 2.0)), 4))
                       for _ in range(3)]}


def _working_points(v) -> list:
    return v.inputs.working["points"]


@points(1)
def test_integrand_is_p_g_times_the_log_ratio(v, ref):
    sp, s = _sp(), symbols()
    points_ = _working_points(v)
    wants = ref["integrand"]
    if len(wants) != len(points_):
        raise AssertionError("the recorded values do not match this cell's points: reinstall dgmlab")
    for (t, t0, sg, sd), want in zip(points_, wants, strict=True):
        point = {s["x"]: sp.Rational(1, 3), s["theta"]: sp.Rational(str(t)), s["theta0"]: sp.Rational(str(t0)),
                 s["sigma_g"]: sp.Rational(str(sg)), s["sigma_data"]: sp.Rational(str(sd))}
        gap = asserts.sympy_gap(asserts.as_sympy(v.kl_integrand, "kl_integrand"), want, [point], digits=30)
        if not gap < 1e-20:
            raise AssertionError(
                "kl_integrand is not p_g(x) log(p_g(x) / p_data(x)) (which density weights the log-ratio?)")


@points(2)
def test_general_kl_matches_numerical_integration(v, ref):
    s = symbols()
    points_, wants = _working_points(v), ref["kl"]
    if len(wants) != len(points_):
        raise AssertionError("the recorded values do not match this cell's points: reinstall dgmlab")
    for (t, t0, sg, sd), want in zip(points_, wants, strict=True):
        got = asserts.sympy_number(v.kl_general, {s["theta"]: t, s["theta0"]: t0, s["sigma_g"]: sg,
                                                  s["sigma_data"]: sd}, "kl_general", digits=20)
        if not (abs(got.imag) < 1e-9 and abs(got.real - want) < 1e-6 * max(1.0, abs(want))):
            raise AssertionError(
                f"kl_general at theta={t}, theta0={t0}, sigma_g={sg}, sigma_data={sd} differs from the numerical "
                f"integral of the KL: "
                f"{asserts.off_by(got.real, want) if abs(got.imag) < 1e-9 else 'it has an imaginary part'}")


# Q2(b): kl_limits is driven by a quadratic divergence c (theta - theta0)^2 / eps^2 with a c of the seed's


def _limits_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 11)
    return {"c_num": int(rng.integers(1, 13)), "c_den": int(rng.integers(1, 9)),
            "a": int(rng.integers(1, 7)), "b": int(rng.integers(-5, 6)),
            "t": int(rng.integers(-2, 3)) * 2, "t0": int(rng.integers(-4, 5)) * 2 + 1, "same": int(rng.integers(-3, 4))}


def smooth_divergence(x):
    """a (theta - theta0)^2 (1 + eps) + b eps theta: an expression continuous at eps = 0."""
    s = symbols()
    return x["a"] * (s["theta"] - s["theta0"]) ** 2 * (1 + s["eps"]) + x["b"] * s["eps"] * s["theta"]


def _limits_probe(o, x):
    sp, s = _sp(), symbols()
    kl = sp.Rational(x["c_num"], x["c_den"]) * (s["theta"] - s["theta0"]) ** 2 / s["eps"] ** 2
    out = {key: attempt(o["kl_limits"], kl, t, t0) for key, (t, t0) in _limit_points().items()}
    out["at_equal_means"] = attempt(o["kl_limits"], kl, x["same"], x["same"])
    out["smooth"] = attempt(o["kl_limits"], smooth_divergence(x), x["t"], x["t0"])
    removable = x["a"] * (s["theta"] - s["theta0"]) ** 2 * sp.sin(s["eps"]) / s["eps"]  # 0/0 at eps = 0
    out["removable"] = attempt(o["kl_limits"], removable, x["t"], x["t0"])
    one_sided = x["a"] * (s["theta"] - s["theta0"]) ** 2 * (1 + sp.exp(-1 / s["eps"]))  # 0+ and 0- differ
    out["one_sided"] = attempt(o["kl_limits"], one_sided, x["t"], x["t0"])
    return out


def _limit_points() -> dict:
    sp = _sp()
    return {"at_1_0": (1, 0), "at_minus_1_0": (-1, 0), "at_half_2": (sp.Rational(1, 2), 2)}


@points(0.5)
def test_returns_two_sympy_objects(v, ref):
    sp = _sp()
    out = v.at_1_0
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise AssertionError(
            f"expected a pair (KL limit, derivative limit), found {type(out).__name__}"
            f"{' of length ' + str(len(out)) if isinstance(out, (tuple, list)) else ''}")
    if not all(isinstance(u, sp.Basic) for u in out):
        raise AssertionError(
            f"expected two sympy objects (e.g. sp.oo), found {[type(u).__name__ for u in out]}: "
            f"use sp.limit, not float arithmetic")


def _smooth_limits(v, ref):
    out = working(v).smooth
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise AssertionError("expected a pair (limit, derivative limit)")
    return out, tuple(ref["smooth"])


@points(1)
def test_limit_of_an_expression_continuous_at_zero(v, ref):
    sp = _sp()
    (got, _), (want, _) = _smooth_limits(v, ref)
    if sp.simplify(asserts.as_sympy(got, "the first limit kl_limits returns") - want) != 0:
        raise AssertionError(
            f"for a kl that is continuous at eps = 0 (a (theta - theta0)^2 (1 + eps) + b eps theta) the first limit "
            f"{got} is wrong: substitute theta and theta0, then take the limit eps -> 0+")


@points(1)
def test_derivative_limit_of_an_expression_continuous_at_zero(v, ref):
    sp = _sp()
    (_, got), (_, want) = _smooth_limits(v, ref)
    got = asserts.as_sympy(got, "the derivative limit kl_limits returns")
    hint = ("that is the derivative with respect to theta0; take it with respect to theta, the generator's "
            "parameter" if want != 0 and sp.simplify(got + want) == 0 else
            "take the derivative with respect to theta (not theta0 or eps)")
    if sp.simplify(got - want) != 0:
        raise AssertionError(
            f"for a kl that is continuous at eps = 0 the derivative limit {got} is wrong: {hint}, then substitute the "
            f"values of theta and theta0")


@points(1)
def test_limits_of_expressions_undefined_at_zero(v, ref):
    # a (theta - theta0)^2 sin(eps) / eps and a (theta - theta0)^2 (1 + exp(-1/eps)) have the limits at 0+ of the
    # continuous a (theta - theta0)^2 (1 + eps) + b eps theta
    sp = _sp()
    w_ = working(v)
    want = tuple(ref["smooth"])
    smooth = w_.smooth if isinstance(w_.smooth, (tuple, list)) and len(w_.smooth) == 2 else (None, None)
    for key, expr, why in (
            ("removable", "a (theta - theta0)^2 sin(eps) / eps",
             "setting eps = 0 gives 0/0 there; the limit eps -> 0+ must be taken, not eps = 0 substituted"),
            ("one_sided", "a (theta - theta0)^2 (1 + exp(-1/eps))",
             "its limits from above and from below differ; take eps -> 0+ (from above)")):
        out = getattr(w_, key)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise AssertionError("expected a pair (limit, derivative limit)")
        for got, w, s_got, what in zip(out, want, smooth, ("the limit", "the derivative limit"), strict=True):
            got = asserts.as_sympy(got, f"{what} kl_limits returns")
            if got.has(sp.nan, sp.zoo) or sp.simplify(got - w) != 0:
                # the same limit wrong for the continuous kl too: the mistake is not about eps = 0 (the tests above)
                wrong_there = not (isinstance(s_got, sp.Basic) and sp.simplify(s_got - w) == 0)
                raise AssertionError(f"for the kl {expr} {what} {got} is wrong: " + (
                    f"{what} is wrong for the continuous kl too; fix that first (the tests above)" if wrong_there
                    else why))


# ------------------------------------------------------------------ Q2(c)
def _combined_inputs(seed):
    torch, g = _torch(), _gen(seed, 3)
    f64 = torch.float64
    return {"batch": torch.cat([torch.tensor([0.1, 0.3, 0.6, 0.95], dtype=f64),
                                torch.rand(4, generator=g, dtype=f64) * 0.9 + 0.05]),
            "for_grad": torch.cat([torch.tensor([0.2, 0.4, 0.7], dtype=f64),
                                   torch.rand(2, generator=g, dtype=f64) * 0.9 + 0.05])}


def _combined_probe(o, x):
    torch, loss = _torch(), o["combined_generator_loss"]

    def grad():
        d = x["for_grad"].clone().requires_grad_(True)
        loss(d).backward()
        return d.grad

    return {"at_four_halves": attempt(loss, torch.full((4,), 0.5)),
            "at_a_quarter": attempt(loss, torch.tensor([0.25], dtype=torch.float64)),
            "at_four_quarters": attempt(loss, torch.full((4,), 0.25, dtype=torch.float64)),
            "at_exp_minus_120": attempt(loss, torch.tensor([math.exp(-120.0)], dtype=torch.float64)),
            "on_a_batch": attempt(loss, x["batch"].clone()),
            "gradient": attempt(grad)}


@points(0.5)
def test_returns_a_scalar(v, ref):
    asserts.assert_tensor(v.at_four_halves, "combined_generator_loss(d)", shape=())


@points(0.5)
def test_value_at_a_single_output(v, ref):
    got = float(v.at_a_quarter)
    want = ref["at_a_quarter"]
    hint = ": the two terms are swapped (a sign error)" if abs(got + want) < 1e-6 else ""
    if not abs(got - want) < 1e-9:
        raise AssertionError(f"for D(x) = 0.25 expected log 3 = {want:.6f}, found {got:.6f}{hint}")
    tiny = float(v.at_exp_minus_120)
    if not abs(tiny - 120.0) < 1e-6:  # log(1 - D) - log D at D = exp(-120): 120 to 50 digits
        raise AssertionError(
            f"for D(x) = exp(-120) expected log(1 - D) - log D = 120, found {tiny:.6g}: take the logarithms of D "
            "itself (a library loss may clamp them)")


@points(0.5)
def test_a_batch_of_equal_outputs_gives_the_loss_of_one(v, ref):
    got, want = v.at_four_quarters, ref["at_a_quarter"]
    asserts.assert_tensor(got, "combined_generator_loss(d)", shape=())
    if not abs(float(got) - want) < 1e-9:
        hint = (": that is four times the loss of one output; take batch means, not sums"
                if abs(float(got) - 4 * want) < 1e-6 else "")
        raise AssertionError(f"a batch of four outputs D(x) = 0.25 has the loss of one such output, found "
                             f"{float(got):.6f}{hint}")


# ------------------------------------------------------------------ Q2(d)
def _js_inputs(seed):
    torch, g = _torch(), _gen(seed, 4)
    u = torch.rand(3, generator=g, dtype=torch.float64)
    return {"moderate": [(1.0, 0.0, 1.0), (-0.7, 0.0, 0.5), (2.0, 0.0, 1.5),
                         (round(float(0.3 + 1.7 * u[0]) * (1 if u[2] < 0.5 else -1), 6), 0.0,
                          round(float(0.5 + u[1]), 6))]}


def _t(value, grad=False):
    torch = _torch()
    return torch.tensor(float(value), dtype=torch.float64, requires_grad=grad)


def _value_and_grad(fn, t, t0, s):
    th = _t(t, grad=True)
    out = fn(th, _t(t0), s)
    value = out.detach().clone() if isinstance(out, _torch().Tensor) else out
    out.backward()
    return {"value": value, "grad": None if th.grad is None else float(th.grad)}


def _js_probe(o, x):
    js = o["js_divergence"]
    return {"at_equal_means": attempt(js, _t(0.3), _t(0.3), 1.0),
            "at_moderate_eps": attempt(lambda: [js(_t(t), _t(t0), s) for t, t0, s in x["moderate"]]),
            "grad_at_eps_1": attempt(_value_and_grad, js, 1.0, 0.0, 1.0),
            "grad_at_drawn": attempt(_value_and_grad, js, *x["moderate"][-1]),
            "at_tiny_eps": attempt(lambda: [_value_and_grad(js, t, 0.0, 1e-3) for t in (1.0, -1.0)])}


@points(1.5)
def test_value_at_moderate_eps(v, ref):
    # against the JS the grader computed on the working points by a Riemann sum of its definition
    w = working(v)
    got, wants = w.at_moderate_eps, ref["moderate"]
    if not len(got) == len(w.inputs.moderate) == len(wants):
        raise AssertionError("expected one value per call")
    for (t, t0, s), value, want in zip(w.inputs.moderate, got, wants, strict=True):
        asserts.assert_close(value, want, rtol=1e-5, atol=1e-7, name=f"JS at theta={t}, eps={s}")


@points(1)
def test_zero_for_equal_means(v, ref):
    out = v.at_equal_means
    asserts.assert_tensor(out, "js_divergence(...)", shape=())
    got = float(out)
    hint = ""
    if abs(got + math.log(2)) < 1e-4:
        hint = ": that is -log 2, the mixture lost its 1/2 (m = (p_g + p_data) / 2)"
    if not abs(got) < 1e-8:
        raise AssertionError(f"expected JS = 0 for two identical Gaussians, found {got:.6g}{hint}")


@points(0.5)
def test_differentiable_in_theta(v, ref):
    w = working(v)
    (t, _t0, s), got = w.inputs.moderate[-1], w.grad_at_drawn
    asserts.assert_close(got["value"], ref["moderate"][-1], rtol=1e-5, atol=1e-7, name=f"JS at theta={t}, eps={s}")
    if got["grad"] is None or not math.isfinite(got["grad"]):
        raise AssertionError(
            f"no gradient reached theta at theta={t}, eps={s}: keep theta a tensor through the computation "
            "(no float(), .item() or numpy), so that the result is differentiable in theta")


def _w1_inputs(seed):
    torch, g = _torch(), _gen(seed, 5)
    u = torch.rand(3, generator=g, dtype=torch.float64)
    m = torch.rand(3, generator=g, dtype=torch.float64)
    return {"cases": [(1.0, 0.0, 1.0), (-2.0, 0.5, 1e-3), (0.3, -0.2, 5.0),
                      (round(float(4 * u[0] - 2), 6), round(float(2 * u[1] - 1), 6), round(float(0.01 + 2 * u[2]), 6))],
            # three means in increasing order, for the triangle inequality
            "three_means": [round(float(-2 + m[0]), 6), round(float(-0.5 + m[1]), 6), round(float(1 + m[2]), 6)],
            "eps": round(float(0.05 + 0.5 * m[0]), 6)}


def _w1_probe(o, x):
    w1 = o["w1_distance"]
    a, b, c = x["three_means"]
    pairs = [(a, c), (a, b), (b, c), (c, a)]
    return {"at_equal_means": attempt(w1, _t(0.4), _t(0.4), 0.1),
            "pairs": attempt(lambda: [_value_and_grad(w1, t, t0, x["eps"]) for t, t0 in pairs]),
            "grad_at_equal_means": attempt(_value_and_grad, w1, 0.4, 0.4, 0.1),
            "values": attempt(lambda: [w1(_t(t), _t(t0), s) for t, t0, s in x["cases"]]),
            "at_tiny_eps": attempt(lambda: [_value_and_grad(w1, t, 0.0, 1e-3) for t in (1.0, -1.0)])}


@points(0.5)
def test_w1_zero_for_equal_means(v, ref):
    asserts.assert_close(v.at_equal_means, 0.0, atol=1e-12, reveal=True,
                        name="W1 of two identical Gaussians (expected 0)")


test_w1_zero_for_equal_means.__name__ = "test_zero_for_equal_means"  # the cell's test name (JS's has it too)


@points(0.5)
def test_a_distance_differentiable_in_theta(v, ref):
    # W1 is a distance between distributions: positive between different ones, symmetric, and it satisfies the
    # triangle inequality; the statement asks for a value differentiable in theta
    (a, b, c), s = v.inputs.three_means, v.inputs.eps
    got = v.pairs
    if not (isinstance(got, list) and len(got) == 4):
        raise AssertionError("expected one value per call")
    ac, ab, bc, ca = (float(r["value"]) for r in got)
    if not min(ac, ab, bc, ca) > 0:
        raise AssertionError(f"W1 between N({a}, eps^2) and N({c}, eps^2) (eps={s}) or another such pair is not "
                             "positive: a distance between two different distributions is positive (an absolute "
                             "value missing?)")
    if not abs(ac - ca) <= 1e-9 * max(1.0, abs(ac)):
        raise AssertionError(f"W1 is not symmetric: swapping theta and theta0 ({a} and {c}, eps={s}) changes it")
    if not ac <= ab + bc + 1e-9 * max(1.0, ac):
        raise AssertionError(
            f"W1 breaks the triangle inequality for the means {a} < {b} < {c} (eps={s}): W1 of the outer pair "
            "exceeds the sum over the middle one, which no distance does (the cost of moving a point x to y is |x - y|)")
    if any(r["grad"] is None or not math.isfinite(r["grad"]) for r in got):
        raise AssertionError("no gradient reached theta: keep theta a tensor through the computation (no float(), "
                             ".item() or numpy), so that the result is differentiable in theta")
    at_equal = v.grad_at_equal_means["grad"]
    if at_equal is None or not math.isfinite(at_equal):
        raise AssertionError("the gradient with respect to theta at theta = theta0 is not a number: a generator that "
                             "reaches theta0 would get NaN parameters (the derivative of sqrt(u^2) is 0/0 at u = 0)")


CHECKS = [
    CheckSpec("q2_kl_gaussians_tests", names=("kl_integrand", "kl_general", "kl_gaussians"),
              visible=(test_are_expressions_in_the_right_symbols, test_general_kl_vanishes_for_equal_distributions,
                       test_general_kl_is_positive_when_only_the_widths_differ,
                       test_integrand_is_p_g_times_the_log_ratio, test_general_kl_matches_numerical_integration),
              inputs=with_working(_kl_inputs)),
    CheckSpec("q2_kl_limits_tests", hidden_for="the Gaussian KL's limits at other means",
              names=("kl_limits",),
              visible=(test_returns_two_sympy_objects, test_limit_of_an_expression_continuous_at_zero,
                       test_derivative_limit_of_an_expression_continuous_at_zero,
                       test_limits_of_expressions_undefined_at_zero),
              probe=on_working(_limits_probe), inputs=with_working(_limits_inputs)),
    CheckSpec("q2_combined_generator_loss_tests", hidden_for="the value on a batch of other outputs, "
              "its gradient", names=("combined_generator_loss",),
              visible=(test_returns_a_scalar, test_value_at_a_single_output,
                       test_a_batch_of_equal_outputs_gives_the_loss_of_one),
              probe=_combined_probe, inputs=_combined_inputs),
    CheckSpec("q2_js_divergence_tests", hidden_for="the gradient's value; JS as eps -> 0",
              names=("js_divergence",),
              visible=(test_zero_for_equal_means, test_value_at_moderate_eps, test_differentiable_in_theta),
              probe=on_working(_js_probe), inputs=with_working(_js_inputs)),
    CheckSpec("q2_w1_distance_tests", hidden_for="W1's value and gradient", names=("w1_distance",),
              visible=(test_w1_zero_for_equal_means, test_a_distance_differentiable_in_theta),
              probe=_w1_probe, inputs=_w1_inputs),
]
