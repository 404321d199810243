"""hw1_wgan's graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw1_wgan/hidden/``); they read the names below
(``context``) and the values each probe returns. Nothing here answers a question: the probes call the
student's functions on inputs and keep what comes back (or the plain facts of what happened: raised,
changed a mode, kept a parameter object), the visible tests check form and easy cases. The flows, critics
and generators the probes drive the student's functions with are the notebook's given ones (or toys), never
an answer. The artifact cell (``q3_samples_quality_tests``) hands back nothing: the grader reads the
weights file as handed in, builds the kit's own ``Generator`` and scores its own draw.
"""
from __future__ import annotations

import math

from dgmlab import checks
from dgmlab.testing import points
from dgmlab.probes import (
    on_working, with_working, working, Answers, CheckSpec, TestFailure, attempt, remembered,
    seeded_generator as _gen)
from dgmlab.probes import _sp, _torch  # lazy imports


def _outcome(fn, *args, **kwargs) -> str:
    """What calling ``fn`` did: ``"returned"``, ``"ValueError"`` or ``"raised <type>: <message>"``."""
    try:
        fn(*args, **kwargs)
    except ValueError:
        return "ValueError"
    except Exception as exc:  # any other error is not the ValueError the statement asks for
        return f"raised {type(exc).__name__}: {str(exc)[:200]}"
    return "returned"


# ------------------------------------------------------------------ visible tests: recorded values on the working seed
# Converted cells: dgmlab.probes.with_working, on_working and working; their visible tests compare with ``ref``, the
# grader's references' values on the cell's draw (recorded with the kit for the working seed, dgmlab.probes.Ref).


# ------------------------------------------------------------------ Q1: the notebook's given flows
class AffineFlow:
    """x = f(z) = z @ A.T + b (the notebook's locked cell flow_classes)."""

    def __init__(self, A, b):
        torch = _torch()
        self.A, self.b = torch.as_tensor(A), torch.as_tensor(b)

    def forward(self, z):
        return z @ self.A.T + self.b

    def inverse(self, x):
        return (x - self.b) @ _torch().linalg.pinv(self.A).T

    def log_abs_det_jacobian(self, z):
        return _torch().linalg.slogdet(self.A)[1].expand(z.shape[0])


class ExpFlow:
    """x = f(z) = exp(z) elementwise."""

    def forward(self, z):
        return _torch().exp(z)

    def inverse(self, x):
        return _torch().log(x)

    def log_abs_det_jacobian(self, z):
        return z.sum(dim=-1)


class CubeFlow:
    """f(z) = z^3: invertible, but its Jacobian vanishes at z = 0."""

    def forward(self, z):
        return z ** 3

    def inverse(self, x):
        return _torch().sign(x) * x.abs() ** (1 / 3)

    def log_abs_det_jacobian(self, z):
        return _torch().log(3 * z ** 2).sum(-1)


class FoldFlow:
    """f(z) = |z|: not injective; its "inverse" is the identity."""

    def forward(self, z):
        return z.abs()

    def inverse(self, x):
        return x

    def log_abs_det_jacobian(self, z):
        return _torch().zeros(z.shape[0])


def standard_normal(d, loc=0.0, scale=1.0):
    """A diagonal Gaussian base density on R^d (event shape (d,))."""
    torch = _torch()
    D = torch.distributions
    return D.Independent(D.Normal(torch.full((d,), float(loc)), torch.full((d,), float(scale))), 1)


F32 = "float32"


def _flow_inputs(seed):
    torch, g = _torch(), _gen(seed, 1)
    f32 = torch.float32
    sign = 1.0 if float(torch.rand((), generator=g)) < 0.5 else -1.0
    return {"line": torch.randn(7, 1, generator=g, dtype=f32) * 3,
            "a": sign * (0.5 + 2.0 * float(torch.rand((), generator=g))), "c": float(torch.randn((), generator=g)),
            "A": torch.tensor([[2.0, 0.5], [0.3, 1.5]], dtype=f32) + 0.2 * torch.rand(2, 2, generator=g, dtype=f32),
            "b": torch.tensor([1.0, -2.0], dtype=f32) + torch.randn(2, generator=g, dtype=f32),
            "eleven": torch.randn(11, 2, generator=g, dtype=f32) * 2,
            "exp_1d": torch.rand(5, 1, generator=g, dtype=f32) * 6 + 0.05,
            "nine": torch.rand(9, 2, generator=g, dtype=f32) * 3 + 0.05,
            "exp_loc": (torch.randn(2, generator=g, dtype=f32) * 0.5).tolist(),
            "exp_scale": (0.5 + torch.rand(2, generator=g, dtype=f32)).tolist(),
            "five": torch.randn(5, 2, generator=g, dtype=f32),
            "four": torch.randn(4, 2, generator=g, dtype=f32)}


def diagonal_normal(loc, scale):
    """A diagonal Gaussian base density with per-coordinate ``loc`` and ``scale`` (event shape (d,))."""
    torch = _torch()
    D = torch.distributions
    return D.Independent(D.Normal(torch.tensor(loc, dtype=torch.float32), torch.tensor(scale, dtype=torch.float32)), 1)


def _flow_log_prob_probe(o, x):
    torch, flp = _torch(), o["flow_log_prob"]
    affine_1d = AffineFlow(torch.tensor([[x["a"]]]), torch.tensor([x["c"]]))

    def gradient():
        A = x["A"].clone().requires_grad_(True)
        out = flp(x["five"], AffineFlow(A, torch.zeros(2)), standard_normal(2)).sum()
        if not out.requires_grad:
            return {"requires_grad": False, "grad": None}
        out.backward()
        return {"requires_grad": True, "grad": A.grad}

    singular = AffineFlow(torch.tensor([[1.0, 2.0], [2.0, 4.0]]), torch.zeros(2))
    return {"on_1d_affine": attempt(flp, x["line"].clone(), affine_1d, standard_normal(1)),
            "on_2d_affine": attempt(flp, x["eleven"].clone(), AffineFlow(x["A"], x["b"]),
                                    standard_normal(2, loc=0.5, scale=0.7)),
            "on_1d_exp": attempt(flp, x["exp_1d"].clone(), ExpFlow(), standard_normal(1)),
            "on_2d_exp": attempt(flp, x["nine"].clone(), ExpFlow(), diagonal_normal(x["exp_loc"], x["exp_scale"])),
            "gradient": attempt(gradient),
            "on_a_singular_affine_map": _outcome(flp, x["four"].clone(), singular, standard_normal(2)),
            "on_the_cube_at_zero": _outcome(flp, torch.tensor([[0.0], [1.0]]), CubeFlow(), standard_normal(1)),
            "on_a_folding_map": _outcome(flp, torch.tensor([[-1.0], [0.5]]), FoldFlow(), standard_normal(1))}


@points(1.5)
def test_1d_affine_matches_torch_normal(v, ref):
    # f(z) = a z + c on a standard normal: x is N(c, a^2), whose density torch's Normal gives by another route
    torch, w = _torch(), working(v)
    x, out = w.inputs, w.on_1d_affine
    checks.assert_tensor(out, "flow_log_prob(x, flow, base)", shape=(7,))
    assert bool(torch.isfinite(out).all()), \
        (f"expected finite log-densities on an invertible affine flow, found NaN or inf: that usually means "
         f"log|det J| was taken of a negative or zero number (use log_abs_det_jacobian)")
    want = ref["on_1d_affine"]
    hint = ""
    if torch.allclose(out, want + 2 * math.log(abs(x.a)), atol=1e-4):
        hint = ": the log-determinant term has the wrong sign"
    checks.assert_close(out, want, rtol=1e-5, atol=1e-5, name=f"log-density of the 1-D flow a z + c{hint}")


@points(1.25)
def test_2d_exp_flow_matches_independent_lognormals(v, ref):
    # exp of a Gaussian is log-normal: the grader's density comes from torch's LogNormal, by another route
    checks.assert_close(working(v).on_2d_exp, ref["on_2d_exp"], rtol=1e-5, atol=1e-5,
                        name="log-density of the 2-D exp flow with a non-standard base (base.log_prob at f^-1(x)?)")


def _sample_inputs(seed):
    return {"torch_seed": (int(seed) * 7919 + 17) % 2**31}


def _flow_sample_probe(o, x):
    torch, fs = _torch(), o["flow_sample"]
    A = torch.tensor([[2.0, 0.5], [0.3, 1.5]])
    b = torch.tensor([1.0, -2.0])
    torch.manual_seed(x["torch_seed"])  # base.sample draws from torch's global generator
    return {"five": attempt(fs, 5, AffineFlow(torch.eye(2), torch.zeros(2)), standard_normal(2)),
            "affine_40000": attempt(lambda: fs(40000, AffineFlow(A, b), standard_normal(2, loc=0.5, scale=0.7))),
            "exp_40000": attempt(lambda: fs(40000, ExpFlow(), standard_normal(1, loc=-0.5, scale=0.5)))}


@points(0.5)
def test_shape(v, ref):
    checks.assert_tensor(v.five, "flow_sample(5, flow, base)", shape=(5, 2))


@points(1)
def test_exp_flow_samples_follow_the_lognormal(v, ref):
    # exp(z) with z ~ N(-0.5, 0.5^2): its quantiles are exp of the Gaussian's quantiles
    torch = _torch()
    x = v.exp_40000.squeeze(1).double()
    q = torch.quantile(x, torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64))
    want = ref["exp_quantiles"]
    checks.assert_close(q, want, rtol=0.03, atol=0, name="quantiles of exp-flow samples (noise from base?)")


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
    checks.assert_sympy_expr(v.kl_integrand, "kl_integrand", symbols=[x, theta, theta0, sigma_g, sigma_data])
    assert x in v.kl_integrand.free_symbols, \
        "expected kl_integrand to depend on x (it is integrated over x); found no x in it"
    checks.assert_sympy_expr(v.kl_general, "kl_general", symbols=[theta, theta0, sigma_g, sigma_data])
    checks.assert_sympy_expr(v.kl_gaussians, "kl_gaussians", symbols=[theta, theta0, eps])


@points(0.5)
def test_general_kl_vanishes_for_equal_distributions(v, ref):
    sp, s = _sp(), symbols()
    same = sp.simplify(v.kl_general.subs({s["theta"]: s["theta0"], s["sigma_g"]: s["sigma_data"]}))
    assert same == 0, \
        (f"expected kl_general = 0 when theta = theta0 and sigma_g = sigma_data, found {same}: "
         f"check that p_g and p_data use the same normal_pdf and that the integral is over x")


@points(1)
def test_general_kl_is_positive_when_only_the_widths_differ(v, ref):
    sp, s = _sp(), symbols()
    value = sp.N(v.kl_general.subs({s["theta"]: 0, s["theta0"]: 0, s["sigma_g"]: 1, s["sigma_data"]: 2}))
    assert value.is_real and value > 0, \
        (f"expected kl_general > 0 for equal means and widths sigma_g = 1, sigma_data = 2 (a KL between "
         f"different distributions is positive), found {value}: a negative value means the log-ratio is "
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
    assert len(wants) == len(points_), "the recorded values do not match the check's points: reinstall dgmlab"
    for (t, t0, sg, sd), want in zip(points_, wants, strict=True):
        point = {s["x"]: sp.Rational(1, 3), s["theta"]: sp.nsimplify(t), s["theta0"]: sp.nsimplify(t0),
                 s["sigma_g"]: sp.nsimplify(sg), s["sigma_data"]: sp.nsimplify(sd)}
        gap = abs(complex(sp.N(v.kl_integrand.subs(point), 30) - want))
        assert gap < 1e-20, \
            "kl_integrand is not p_g(x) log(p_g(x) / p_data(x)) (which density weights the log-ratio?)"


@points(2)
def test_general_kl_matches_numerical_integration(v, ref):
    sp, s = _sp(), symbols()
    points_, wants = _working_points(v), ref["kl"]
    assert len(wants) == len(points_), "the recorded values do not match the check's points: reinstall dgmlab"
    for (t, t0, sg, sd), want in zip(points_, wants, strict=True):
        got = complex(sp.N(v.kl_general.subs({s["theta"]: t, s["theta0"]: t0, s["sigma_g"]: sg,
                                              s["sigma_data"]: sd}), 20))
        assert abs(got.imag) < 1e-9 and abs(got.real - want) < 1e-6 * max(1.0, abs(want)), \
            (f"kl_general at theta={t}, theta0={t0}, sigma_g={sg}, sigma_data={sd} differs from the numerical "
             f"integral of the KL by {abs(got - want):.3g}")


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
    return out


def _limit_points() -> dict:
    sp = _sp()
    return {"at_1_0": (1, 0), "at_minus_1_0": (-1, 0), "at_half_2": (sp.Rational(1, 2), 2)}


@points(0.5)
def test_returns_two_sympy_objects(v, ref):
    sp = _sp()
    out = v.at_1_0
    assert isinstance(out, (tuple, list)) and len(out) == 2, \
        (f"expected a pair (KL limit, derivative limit), found {type(out).__name__}"
         f"{' of length ' + str(len(out)) if isinstance(out, (tuple, list)) else ''}")
    assert all(isinstance(u, sp.Basic) for u in out), \
        (f"expected two sympy objects (e.g. sp.oo), found {[type(u).__name__ for u in out]}: "
         f"use sp.limit, not float arithmetic")


def _smooth_limits(v, ref):
    out = working(v).smooth
    assert isinstance(out, (tuple, list)) and len(out) == 2, "expected a pair (limit, derivative limit)"
    return out, tuple(ref["smooth"])


@points(1)
def test_limit_of_an_expression_continuous_at_zero(v, ref):
    sp = _sp()
    (got, _), (want, _) = _smooth_limits(v, ref)
    assert sp.simplify(checks.as_sympy(got, "the first limit kl_limits returns") - want) == 0, \
        (f"for a kl that is continuous at eps = 0 (a (theta - theta0)^2 (1 + eps) + b eps theta) the first limit "
         f"{got} is wrong: substitute theta and theta0, then take the limit eps -> 0+")


@points(1)
def test_derivative_limit_of_an_expression_continuous_at_zero(v, ref):
    sp = _sp()
    (_, got), (_, want) = _smooth_limits(v, ref)
    assert sp.simplify(checks.as_sympy(got, "the derivative limit kl_limits returns") - want) == 0, \
        (f"for a kl that is continuous at eps = 0 the derivative limit {got} is wrong: differentiate with respect "
         f"to theta before substituting theta")


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
            "on_a_batch": attempt(loss, x["batch"].clone()),
            "gradient": attempt(grad)}


@points(0.5)
def test_returns_a_scalar(v, ref):
    checks.assert_tensor(v.at_four_halves, "combined_generator_loss(d)", shape=())


@points(0.5)
def test_value_at_a_single_output(v, ref):
    got = float(v.at_a_quarter)
    want = ref["at_a_quarter"]
    hint = ": the two terms are swapped (a sign error)" if abs(got + want) < 1e-6 else ""
    assert abs(got - want) < 1e-9, f"for D(x) = 0.25 expected log 3 = {want:.6f}, found {got:.6f}{hint}"


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
            "at_tiny_eps": attempt(lambda: [_value_and_grad(js, t, 0.0, 1e-3) for t in (1.0, -1.0)])}


@points(1.5)
def test_value_at_moderate_eps(v, ref):
    # against the JS the grader computed on the working points by a Riemann sum of its definition
    w = working(v)
    got, wants = w.at_moderate_eps, ref["moderate"]
    assert len(got) == len(w.inputs.moderate) == len(wants), "expected one value per call"
    for (t, t0, s), value, want in zip(w.inputs.moderate, got, wants, strict=True):
        checks.assert_close(value, want, rtol=1e-5, atol=1e-7, name=f"JS at theta={t}, eps={s}")


@points(1)
def test_zero_for_equal_means(v, ref):
    out = v.at_equal_means
    checks.assert_tensor(out, "js_divergence(...)", shape=())
    got = float(out)
    hint = ""
    if abs(got + math.log(2)) < 1e-4:
        hint = ": that is -log 2, the mixture lost its 1/2 (m = (p_g + p_data) / 2)"
    assert abs(got) < 1e-8, f"expected JS = 0 for two identical Gaussians, found {got:.6g}{hint}"


def _w1_inputs(seed):
    torch, g = _torch(), _gen(seed, 5)
    u = torch.rand(3, generator=g, dtype=torch.float64)
    return {"cases": [(1.0, 0.0, 1.0), (-2.0, 0.5, 1e-3), (0.3, -0.2, 5.0),
                      (round(float(4 * u[0] - 2), 6), round(float(2 * u[1] - 1), 6), round(float(0.01 + 2 * u[2]), 6))]}


def _w1_probe(o, x):
    w1 = o["w1_distance"]
    return {"at_equal_means": attempt(w1, _t(0.4), _t(0.4), 0.1),
            "values": attempt(lambda: [w1(_t(t), _t(t0), s) for t, t0, s in x["cases"]]),
            "at_tiny_eps": attempt(lambda: [_value_and_grad(w1, t, 0.0, 1e-3) for t in (1.0, -1.0)])}


@points(0.5)
def test_w1_zero_for_equal_means(v, ref):
    checks.assert_close(v.at_equal_means, 0.0, atol=1e-12, reveal=True,
                        name="W1 of two identical Gaussians (expected 0)")


test_w1_zero_for_equal_means.__name__ = "test_zero_for_equal_means"  # the cell's test name (JS's has it too)


# ------------------------------------------------------------------ Q3(a): losses
def _losses_inputs(seed):
    torch, g = _torch(), _gen(seed, 6)
    f32 = torch.float32
    return {"real": torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=f32) + torch.randn(4, generator=g, dtype=f32),
            "fake": torch.tensor([-1.0, 0.5], dtype=f32) + torch.randn(2, generator=g, dtype=f32),
            "three": torch.tensor([1.0, 2.0, 6.0], dtype=f32) + torch.randn(3, generator=g, dtype=f32),
            "real_2": torch.randn(2, generator=g, dtype=f32), "fake_4": torch.randn(4, generator=g, dtype=f32),
            "fake_2": torch.randn(2, generator=g, dtype=f32)}


def _losses_probe(o, x):
    torch, cl, gl = _torch(), o["critic_loss"], o["generator_loss"]

    def grads():
        real = x["real_2"].clone().requires_grad_(True)
        fake = x["fake_4"].clone().requires_grad_(True)
        cl(real, fake).backward()
        f2 = x["fake_2"].clone().requires_grad_(True)
        gl(f2).backward()
        return {"real": real.grad, "fake": fake.grad, "generator": f2.grad}

    return {"critic_at_zero": attempt(cl, torch.zeros(3), torch.zeros(3)),
            "generator_at_zero": attempt(gl, torch.zeros(3)),
            "critic_one_pair": attempt(cl, torch.tensor([1.0]), torch.tensor([0.0])),
            "generator_one_score": attempt(gl, torch.tensor([2.0])),
            "critic_unequal_batches": attempt(cl, x["real"].clone(), x["fake"].clone()),
            "generator_batch": attempt(gl, x["three"].clone()),
            "gradients": attempt(grads)}


@points(0.5)
def test_scalars(v, ref):
    checks.assert_tensor(v.critic_at_zero, "critic_loss(...)", shape=())
    checks.assert_tensor(v.generator_at_zero, "generator_loss(...)", shape=())


@points(0.5)
def test_critic_loss_sign_on_one_pair(v, ref):
    got, want = float(v.critic_one_pair), ref["critic_one_pair"]
    assert abs(got - want) < 1e-6, \
        (f"for a real score 1 and a fake score 0 expected critic_loss = {want:g}, found {got:g}"
         + (": a sign error (the critic minimises its loss, so it raises real scores)"
            if abs(got + want) < 1e-6 else ""))


@points(0.5)
def test_generator_loss_sign_on_one_score(v, ref):
    got, want = float(v.generator_one_score), ref["generator_one_score"]
    assert abs(got - want) < 1e-6, \
        (f"for a fake score 2 expected generator_loss = {want:g}, found {got:g}"
         + (": a sign error (the generator raises the critic's score of its samples)" if abs(got + want) < 1e-6
            else ""))


@points(1.5)
def test_critic_loss_with_unequal_batches(v, ref):
    checks.assert_close(working(v).critic_unequal_batches, ref["critic_unequal_batches"],
                        name="critic_loss on batches of 4 real and 2 fake scores (a mean of each batch?)")


@points(0.75)
def test_generator_loss_on_a_batch(v, ref):
    checks.assert_close(working(v).generator_batch, ref["generator_batch"],
                        name="generator_loss on a batch of three scores (a batch mean?)")


# ------------------------------------------------------------------ Q3(a): gradient penalty
def linear_critic(weight, bias=0.0):
    from dgmlab.toys import LinearCritic

    return LinearCritic(weight, bias=bias)


def tiny_critic(seed):
    """A small tanh critic on (N, 1, 2, 2) images, its parameters made from ``seed`` (float32)."""
    torch = _torch()
    nn = torch.nn
    g = _gen(seed, 7)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 1), nn.Flatten(0))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_((torch.rand(p.shape, generator=g, dtype=torch.float32) * 2 - 1) * 0.9)
    return net


def _penalty_inputs(seed):
    torch, g = _torch(), _gen(seed, 8)
    f32 = torch.float32

    def imgs(n, scale=1.0, shift=0.0):
        return torch.randn(n, 1, 2, 2, generator=g, dtype=f32) * scale + shift

    return {"unit_real": imgs(6), "unit_fake": imgs(6), "lin_real": imgs(6), "lin_fake": imgs(6),
            "real7": imgs(7, 3.0), "fake7": imgs(7, 3.0),
            "alpha7": torch.linspace(0.05, 0.95, 7, dtype=f32)[torch.randperm(7, generator=g)],
            "spy_real": imgs(8, 1.0, 5.0), "spy_fake": imgs(8, 1.0, -5.0), "critic_seed": int(seed) % 100_000,
            "signs": torch.where(torch.rand(BOWL_BATCH, 1, 1, 1, generator=g) < 0.5, -1.0, 1.0),
            "torch_seed": (int(seed) * 31 + 5) % 2**31}


UNIT_WEIGHT = tuple(v / math.sqrt(30.0) for v in (1.0, 2.0, 3.0, 4.0))  # norm exactly 1
# the bowl critic D(x) = 1/2 ||x - c||^2 with fake points at c and real points at distance 2 from c: at the
# interpolate alpha real + (1 - alpha) fake its gradient norm is 2 alpha, so with alpha ~ U[0, 1] drawn per sample the
# penalty (lam = 1) is E (2 alpha - 1)^2 (the grader records its integral; a batch of 20,000 is within 0.01 of it)
BOWL_BATCH = 20_000
BOWL_CENTRE, BOWL_DIRECTION = (0.5, -0.5, 1.0, 0.25), (1.0, 1.0, 1.0, 1.0)


def bowl_critic():
    torch = _torch()
    c = torch.tensor(BOWL_CENTRE).view(1, 1, 2, 2)

    class Bowl(torch.nn.Module):
        def forward(self, x):
            return 0.5 * ((x - c).flatten(1) ** 2).sum(1)

    return Bowl()
LINEAR_WEIGHT = (0.5, 1.0, 1.5, 2.0)


def _penalty_probe(o, x):
    torch, gp = _torch(), o["gradient_penalty"]
    nn = torch.nn
    torch.manual_seed(x["torch_seed"])  # the alpha the student draws comes from torch's global generator

    def linear(lam):
        return gp(linear_critic(LINEAR_WEIGHT), x["lin_real"].clone(), x["lin_fake"].clone(), lam=lam)

    def differentiable():
        crit = tiny_critic(x["critic_seed"])
        out = gp(crit, x["real7"].clone(), x["fake7"].clone(), lam=10.0, alpha=x["alpha7"].clone())
        if not out.requires_grad:
            return {"requires_grad": False, "grads": None}
        weights = [crit[1].weight, crit[1].bias, crit[3].weight]
        return {"requires_grad": True, "grads": list(torch.autograd.grad(out, weights, allow_unused=True))}

    def bowl():
        c = torch.tensor(BOWL_CENTRE).view(1, 1, 2, 2)
        real = c + torch.tensor(BOWL_DIRECTION).view(1, 1, 2, 2) * x["signs"]
        return float(gp(bowl_critic(), real, c.expand(BOWL_BATCH, 1, 2, 2).clone(), lam=1.0).detach())

    return {"bowl": attempt(bowl), "unit_norm_linear": attempt(gp, linear_critic(UNIT_WEIGHT), x["unit_real"].clone(),
                                        x["unit_fake"].clone()),
            "linear_lam_10": attempt(linear, 10.0), "linear_lam_2_5": attempt(linear, 2.5),
            "tiny_with_alpha": attempt(lambda: gp(tiny_critic(x["critic_seed"]), x["real7"].clone(),
                                                  x["fake7"].clone(), lam=10.0, alpha=x["alpha7"].clone()).detach()),
            "differentiable": attempt(differentiable)}


def _zero_for_a_unit_norm_linear_critic(v):
    out = v.unit_norm_linear
    checks.assert_tensor(out, "gradient_penalty(...)", shape=())
    got = float(out)
    hint = ""
    if abs(got - 10.0) < 1e-3:
        hint = ": that is lam * ||grad||^2, the '- 1' is missing (penalise (||grad|| - 1)^2)"
    elif abs(got - 10.0 * (math.sqrt(6.0) - 1) ** 2) < 1e-3:
        hint = (": that is one norm over the whole batch of 6; take each sample's norm "
                "(grad.reshape(N, -1).norm(dim=1)), then average")
    assert abs(got) < 1e-5, \
        (f"a linear critic with weight norm 1 has gradient norm 1 everywhere, so expected a penalty of 0, "
         f"found {got:.6g}{hint}")


@points(1.5)
def test_linear_critic_value_and_lambda(v, ref):
    # a linear critic's input gradient is its weight w, at every x_hat: the penalty is lam * (|w| - 1)^2
    _zero_for_a_unit_norm_linear_critic(v)  # takes points away only: 0 is also what a constant 0 gives
    want = ref["linear_per_lam"]
    checks.assert_close(v.linear_lam_10, 10 * want, rtol=1e-5, name="penalty of a linear critic, lam=10")
    checks.assert_close(v.linear_lam_2_5, 2.5 * want, rtol=1e-5, name="penalty of a linear critic, lam=2.5")


@points(1)
def test_one_alpha_per_sample_between_real_and_fake(v, ref):
    got = float(v.bowl)
    want = ref["bowl"]
    assert abs(got - want) < 0.03, \
        (f"on a critic whose gradient norm changes along the segment from fake to real (1/2 ||x - c||^2, fake points "
         f"at c, real ones at distance 2, lam = 1) expected E(2 alpha - 1)^2 = {want:.4f} over alpha ~ U[0, 1], found "
         f"{got:.4f}: x_hat must use ONE uniform interpolation weight per sample, shared by all its pixels")


# ------------------------------------------------------------------ Q3(a): weight clipping
def small_net(scale=1.0):
    """Linear(3, 4), ReLU, Linear(4, 1) with parameters spread evenly over [-0.2, 0.2] * scale."""
    torch = _torch()
    nn = torch.nn
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.linspace(-0.2, 0.2, p.numel()).view_as(p) * scale)
    return net


def _clip_inputs(seed):
    torch, g = _torch(), _gen(seed, 9)
    return {"scale": round(float(0.8 + 0.6 * torch.rand(1, generator=g, dtype=torch.float64)), 6),
            "c": round(float(0.03 + 0.04 * torch.rand(1, generator=g, dtype=torch.float64)), 6),
            "batch": torch.randn(2, 3, generator=g, dtype=torch.float32)}


def _clip_probe(o, x):
    torch, clip = _torch(), o["clip_weights"]

    def clipped(c):
        net = small_net(x["scale"])
        clip(net, c=c)
        return {name: p.detach().clone() for name, p in net.named_parameters()}

    def in_place():
        # clip, then one SGD step of the optimizer made before clipping: the parameters it moves must be the network's
        net = small_net(x["scale"])
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        clip(net, c=x["c"])
        net(x["batch"].clone()).sum().backward()
        opt.step()
        return {name: p.detach().clone() for name, p in net.named_parameters()}

    return {"clipped_at_0_05": attempt(clipped, 0.05), "clipped_at_c": attempt(clipped, x["c"]),
            "in_place": attempt(in_place)}


@points(1)
def test_all_parameters_within_bounds(v, ref):
    params = working(v).clipped_at_0_05
    assert isinstance(params, dict) and params, "clip_weights left the network without parameters"
    for name, want in ref["clipped_at_0_05"].items():
        assert name in params, f"the clipped network has no parameter {name}"
        p = params[name]
        checks.assert_tensor(p, name)
        assert float(p.abs().max()) <= 0.05 + 1e-7, \
            (f"expected every parameter in [-0.05, 0.05] after clip_weights(net, c=0.05), found {name} "
             f"reaching {float(p.abs().max()):.3g}"
             + (": biases are parameters too (critic.parameters())" if name.endswith("bias") else ""))
        checks.assert_close(p, want, atol=1e-7, name=f"{name} clipped at c = 0.05")


@points(1.25)
def test_values_inside_the_bounds_are_kept_and_signs_preserved(v, ref):
    clipped = working(v).clipped_at_c
    for name, want in ref["clipped_at_c"].items():
        assert name in clipped, f"the clipped network has no parameter {name}"
        checks.assert_close(clipped[name], want, atol=1e-7,
                            name="clipped parameter values (clamped to [-c, c], not [0, c]?)")


# ------------------------------------------------------------------ Q3(a): the training step
def tiny_generator(seed):
    """Linear(3, 4), Tanh, Unflatten to (1, 2, 2): the step's toy generator, its parameters from ``seed``."""
    torch = _torch()
    nn = torch.nn
    g = _gen(seed, 10)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Unflatten(1, (1, 2, 2)))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_((torch.rand(p.shape, generator=g, dtype=torch.float32) * 2 - 1) * 0.6)
    return net


CRITIC_WEIGHT, CRITIC_BIAS = (-0.8, -0.1333333, 0.5333333, 1.2), 0.3
# the runs the probe makes: name -> (lipschitz, optimizer, keyword arguments of the step, preset generator grads)
RUNS = {
    "returns": ("gp", "sgd", {}, False),
    "first_critic_step": ("clip", "sgd", {"n_critic": 1, "lipschitz": "clip", "clip": 10.0}, False),
    "n_critic_2": ("gp", "sgd", {}, False),
    "n_critic_3": ("gp", "sgd", {"n_critic": 3}, False),
    "gp": ("gp", "sgd", {"lipschitz": "gp"}, False),
    "stale_generator_grads": ("gp", "sgd", {"lipschitz": "gp"}, True),
    "clip": ("clip", "adam", {"lipschitz": "clip", "clip": 0.05}, False),
}


def _step_inputs(seed):
    torch, g = _torch(), _gen(seed, 11)
    return {"batches": [torch.randn(5, 1, 2, 2, generator=g, dtype=torch.float32) + 0.5 * i for i in range(8)],
            "generator_seed": int(seed) % 100_000, "torch_seed": (int(seed) * 13 + 11) % 2**31,
            "noise_seed": (int(seed) * 17 + 5) % 2**31}


STEP_LR = {"sgd": 0.05, "adam": 0.1}


def _clone_all(params):
    return [p.detach().clone() for p in params]


def step_noise(x, run: int, k: int, shape):
    """The noise the generator is given at the ``k``-th new noise batch of run number ``run``: drawn from the
    grader's seed, in the shape the step drew its own."""
    torch = _torch()
    g = torch.Generator().manual_seed((x["noise_seed"] + 1009 * run + k) % 2**63)
    return torch.randn(*shape, generator=g, dtype=torch.float32)


class _SeededNoise:
    """Wraps a generator module: each batch of noise the step draws is replaced by one drawn from the grader's seed
    (the same batch drawn again, the same replacement), so the grader knows every image the generator makes."""

    def __new__(cls, inner, x, run):
        torch = _torch()

        class SeededNoise(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = inner
                self.seen = {}

            def forward(self, z):
                key = (tuple(z.shape), z.detach().cpu().contiguous().numpy().tobytes())
                if key not in self.seen:
                    self.seen[key] = step_noise(x, run, len(self.seen), tuple(z.shape))
                return self.inner(self.seen[key].to(device=z.device, dtype=z.dtype))

        return SeededNoise()


def _one_run(step, x, run):
    """Run the student's step once on the toys, its noise replaced by the grader's; what it returned and the two
    networks' parameters afterwards."""
    import warnings

    torch = _torch()
    lipschitz, opt, kwargs, preset = RUNS[run]
    gen = _SeededNoise(tiny_generator(x["generator_seed"]), x, list(RUNS).index(run))
    crit = linear_critic(CRITIC_WEIGHT, bias=CRITIC_BIAS)
    make = torch.optim.SGD if opt == "sgd" else torch.optim.Adam
    g_opt, c_opt = make(gen.parameters(), lr=STEP_LR[opt]), make(crit.parameters(), lr=STEP_LR[opt])
    taken = []

    def batches():
        for i, b in enumerate(x["batches"]):
            taken.append(i)
            yield b.clone()

    if preset:  # a gradient left over from an earlier step: the update must not add to it
        for p in gen.parameters():
            p.grad = torch.full_like(p, 7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = step(gen, crit, g_opt, c_opt, batches(), z_dim=3, **kwargs)
    return {"out": out if isinstance(out, dict) else {"not a dict": type(out).__name__},
            "returned_type": type(out).__name__, "batches_taken": len(taken),
            "generator_end": _clone_all(gen.inner.parameters()), "critic_end": _clone_all(crit.parameters())}


def _step_probe(o, x):
    torch = _torch()
    out = {}
    for i, run in enumerate(RUNS):
        torch.manual_seed(x["torch_seed"] + i)  # the step's own draws; the generator is given the grader's noise
        out[run] = attempt(_one_run, o["wgan_train_step"], x, run)
    return out


def _ran(v, run):
    rec = getattr(v, run)
    assert rec["returned_type"] == "dict", f"expected wgan_train_step to return a dict, found {rec['returned_type']}"
    return rec


@points(2)
def test_first_critic_update_descends_the_critic_loss(v, ref):
    # with clipping (no penalty) and a linear critic f(x) = w.x + b, the weight gradient of the critic's loss
    # is the difference of the batch means of the fake and the real images
    torch = _torch()
    rec, want = _ran(working(v), "first_critic_step"), ref["first_critic_step"]
    got = rec["critic_end"]
    assert len(got) == 2, "expected the critic's two parameter tensors back"
    start = torch.tensor(CRITIC_WEIGHT).unsqueeze(0)
    hint = ""
    if torch.allclose(got[0], 2 * start - want["critic"][0], atol=1e-5):
        hint = ": the opposite sign, so the critic is trained to lower real scores (critic_loss(real, fake) argument order?)"
    elif torch.equal(got[0], start):
        hint = ": the critic did not move (c_opt.step()?)"
    checks.assert_close(got[0], want["critic"][0], rtol=1e-4, atol=1e-5,
                        name="the critic's weight after one critic update with n_critic=1 (SGD, lr 0.05): w - lr * "
                             f"(mean(fake) - mean(real)) on the first real batch and a batch of fresh noise{hint}")
    checks.assert_close(got[1], want["critic"][1], rtol=1e-4, atol=1e-5, name="the critic's bias after that update")


@points(1.5)
def test_then_one_generator_update_through_the_updated_critic(v, ref):
    rec, want = _ran(working(v), "first_critic_step"), ref["first_critic_step"]
    got = rec["generator_end"]
    assert len(got) == len(want["generator"]), "expected the generator's parameter tensors back"
    for g, w in zip(got, want["generator"], strict=True):
        checks.assert_close(g, w, rtol=1e-4, atol=1e-6,
                            name="the generator's parameters after the step (one SGD update descending "
                                 "-mean D(G(z)) through the updated critic, on fresh noise, gradients zeroed?)")


# ------------------------------------------------------------------ Q3 deliverable (a): samples
def tiny_sample_generator(seed):
    """Linear(8, 784), tanh, as (N, 1, 28, 28) images: the probe's toy generator, its parameters from ``seed``."""
    torch = _torch()
    nn = torch.nn
    g = _gen(seed, 12)

    class TinyGen(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(8, 784)
            with torch.no_grad():
                self.lin.weight.copy_((torch.rand(784, 8, generator=g) * 2 - 1) * 0.35)
                self.lin.bias.copy_((torch.rand(784, generator=g) * 2 - 1) * 0.35)

        def forward(self, z):
            return torch.tanh(self.lin(z)).view(-1, 1, 28, 28)

    return TinyGen()


def tiny_batchnorm_generator(seed):
    """Linear(8, 784), BatchNorm1d(784) with running statistics of its own, tanh, as (N, 1, 28, 28) images: a toy whose
    images differ between train mode (the batch's statistics) and eval mode (the running ones)."""
    torch = _torch()
    nn = torch.nn
    g = _gen(seed, 14)
    net = nn.Sequential(nn.Linear(8, 784), nn.BatchNorm1d(784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
    with torch.no_grad():
        net[0].weight.copy_((torch.rand(784, 8, generator=g) * 2 - 1) * 0.35)
        net[0].bias.copy_((torch.rand(784, generator=g) * 2 - 1) * 0.35)
        net[1].running_mean.copy_(torch.randn(784, generator=g) * 0.3)
        net[1].running_var.copy_(0.5 + torch.rand(784, generator=g))
    return net


def _samples_inputs(seed):
    torch, g = _torch(), _gen(seed, 13)
    s1 = int(torch.randint(1, 10_000, (1,), generator=g))
    return {"generator_seed": int(seed) % 100_000, "seed_a": s1, "seed_b": s1 + 1,
            "to_save": torch.rand(100, 1, 28, 28, generator=g, dtype=torch.float32) * 2 - 1,
            "z_after": torch.randn(6, 8, generator=g, dtype=torch.float32)}


SAVE_PATH = "figures/_test_samples.pt"


def _samples_probe(o, x):
    from pathlib import Path

    torch, sample, save = _torch(), o["sample_generator"], o["save_samples"]

    def modes():
        g = tiny_batchnorm_generator(x["generator_seed"]).train()
        out = sample(g, n=6, z_dim=8, seed=x["seed_a"])
        with torch.no_grad():
            after = g(x["z_after"].clone())  # in the mode sample_generator left it in
        return {"samples": out.detach() if isinstance(out, torch.Tensor) else out,
                "requires_grad": bool(getattr(out, "requires_grad", False)), "after": after}

    def seeded():
        g = tiny_sample_generator(x["generator_seed"])
        a = sample(g, n=6, z_dim=8, seed=x["seed_a"])
        torch.randn(100)
        b = sample(g, n=6, z_dim=8, seed=x["seed_a"])
        c = sample(g, n=6, z_dim=8, seed=x["seed_b"])
        return {"first": a, "again": b, "other_seed": c}

    def saved():
        xs = x["to_save"].clone().requires_grad_(True)
        p = save(xs, SAVE_PATH)
        try:
            exists = p is not None and Path(p).exists()
            return {"exists": exists, "loaded": torch.load(p, weights_only=True) if exists else None}
        finally:
            Path(SAVE_PATH).unlink(missing_ok=True)

    return {"ten": attempt(sample, tiny_sample_generator(x["generator_seed"]), n=10, z_dim=8, seed=x["seed_b"]),
            "modes": attempt(modes), "seeded": attempt(seeded), "saved": attempt(saved)}


@points(1)
def test_shape_and_range(v, ref):
    out = working(v).ten
    torch = _torch()
    checks.assert_tensor(out, "sample_generator(tiny generator, n=10, z_dim=8)", shape=(10, 1, 28, 28),
                         dtype=torch.float32)
    assert out.min() >= -1 and out.max() <= 1, \
        (f"expected samples in [-1, 1] (the generator ends in tanh), found values in "
         f"[{float(out.min()):.3g}, {float(out.max()):.3g}]: return the generator's output unscaled")
    checks.assert_close(out, ref["ten"], rtol=1e-5, atol=1e-6,
                        name="the generator's images of the noise torch.randn(n, z_dim) drawn from a torch.Generator "
                             "seeded with seed")


@points(1)
def test_seeded(v, ref):
    w, want = working(v), ref
    seeded, x = w.seeded, w.inputs
    checks.assert_close(seeded["first"], seeded["again"], atol=0, rtol=0, name="samples drawn twice with the same seed")
    for got, seed, images in ((seeded["first"], x.seed_a, want["six_of_seed_a"]),
                              (seeded["other_seed"], x.seed_b, want["six_of_seed_b"])):
        checks.assert_close(got, images, rtol=1e-5, atol=1e-6,
                            name=f"the samples of seed {seed} (noise from a torch.Generator seeded with it)")


@points(1)
def test_save_round_trip(v, ref):
    torch = _torch()
    saved = v.saved
    assert saved["exists"], "save_samples must write the file and return its path"
    y = saved["loaded"]
    assert isinstance(y, torch.Tensor), "save a torch tensor (torch.save), not another type"
    checks.assert_tensor(y, "the saved samples", shape=(100, 1, 28, 28), dtype=torch.float32, requires_grad=False)
    checks.assert_close(y, v.inputs.to_save, atol=0, rtol=0, name="the saved samples")


# ------------------------------------------------------------------ Q3 deliverable (b): scores
def real_digits(n=200):
    """The first ``n`` MNIST test digits of dgmlab's bundled sample, in [-1, 1]."""
    from dgmlab import data

    return data.mnist(train=False, scale="[-1,1]", source="sample").images[:n]


def _evaluate_inputs(seed):
    torch, g = _torch(), _gen(seed, 14)
    pool = 200  # dgmlab's bundled sample of test digits
    return {"rows_200": torch.randperm(pool, generator=g)[:200].tolist(),
            "rows_100": torch.randperm(pool, generator=g)[:100].tolist(),
            "inception_mean": round(float(1 + 9 * torch.rand(1, generator=g, dtype=torch.float64)), 4)}


def _evaluate_probe(o, x):
    torch, evaluate = _torch(), o["evaluate_samples"]
    from dgmlab import metrics

    digits = real_digits(200)
    note = "no Inception-v3 weights in this check"

    def with_inception(fake):  # inception_metrics as it behaves with and without Inception-v3 weights
        real_inception = metrics.inception_metrics
        metrics.inception_metrics = fake
        try:
            return evaluate(digits[:20].clone())
        finally:
            metrics.inception_metrics = real_inception

    def unavailable(images, **kwargs):
        raise metrics.MetricUnavailable(note)

    mean = x["inception_mean"]
    return {"on_100": attempt(evaluate, digits[torch.tensor(x["rows_100"])].clone()),
            "on_200": attempt(evaluate, digits[torch.tensor(x["rows_200"])].clone()),
            "without_inception": attempt(with_inception, unavailable),
            "with_inception": attempt(with_inception, lambda images, **kwargs: {"inception_score_mean": mean,
                                                                                 "inception_score_std": 0.5})}


@points(1)
def test_keys_and_types(v, ref):
    out = v.on_100
    assert isinstance(out, dict), f"expected evaluate_samples to return a dict, found {type(out).__name__}"
    for k in ["mnist_score", "mnist_score_std", "mnist_frechet"]:
        assert isinstance(out.get(k), float), \
            (f"expected {k!r} to be a Python float, found {type(out.get(k)).__name__}"
             + (" (the key is missing)" if k not in out else ": convert with float(...)"))
    assert out.get("inception_score") is None or isinstance(out["inception_score"], float), \
        f"expected 'inception_score' to be a float or None, found {type(out.get('inception_score')).__name__}"
    assert isinstance(out.get("inception_note"), str), \
        f"expected 'inception_note' to be a string, found {type(out.get('inception_note')).__name__}"


@points(0.75)
def test_inception_unavailable_is_reported_not_raised(v, ref):
    out = v.without_inception
    assert out["inception_score"] is None, "with no Inception weights, 'inception_score' must be None"
    assert "no Inception-v3 weights in this check" in out["inception_note"], \
        "'inception_note' must give the reason MetricUnavailable states"
    assert v.with_inception["inception_score"] == v.inputs.inception_mean, \
        "when inception_metrics answers, 'inception_score' must be its 'inception_score_mean'"


# ------------------------------------------------------------------ Q3 deliverable (c): interpolation
def _interpolate_inputs(seed):
    torch, g = _torch(), _gen(seed, 15)
    f64 = torch.float64
    z0, z1 = torch.randn(8, generator=g, dtype=f64), torch.randn(8, generator=g, dtype=f64)
    return {"a0": torch.randn(5, generator=g), "a1": torch.randn(5, generator=g),
            "b0": torch.randn(6, generator=g, dtype=f64), "b1": torch.randn(6, generator=g, dtype=f64),
            "s0": z0, "s1": z1 * z0.norm() / z1.norm(),  # equal norms: slerp then moves at a constant angular speed
            "radius": round(float(1 + 4 * torch.rand(1, generator=g, dtype=f64)), 6)}


def _interpolate_probe(o, x):
    torch, interp = _torch(), o["interpolate"]
    f64 = torch.float64
    r = x["radius"]
    z0 = torch.tensor([3.0, 4.0], dtype=f64)
    return {"linear_7": attempt(interp, x["a0"].clone(), x["a1"].clone(), steps=7),
            "linear_9": attempt(interp, x["b0"].clone(), x["b1"].clone(), steps=9, method="linear"),
            "slerp_6": attempt(interp, x["s0"].clone(), x["s1"].clone(), steps=6, method="slerp"),
            "slerp_orthogonal": attempt(interp, torch.tensor([r, 0.0, 0.0], dtype=f64),
                                        torch.tensor([0.0, r, 0.0], dtype=f64), steps=5, method="slerp"),
            "slerp_parallel": attempt(lambda: [interp(z0.clone(), z1, steps=3, method="slerp")
                                               for z1 in (z0.clone(), 2 * z0)]),
            "unknown_method": _outcome(interp, torch.zeros(2), torch.ones(2), steps=3, method="cubic")}


@points(1)
def test_shape_and_endpoints_linear(v, ref):
    out, z0, z1 = v.linear_7, v.inputs.a0, v.inputs.a1
    checks.assert_tensor(out, "interpolate(z0, z1, 7)", shape=(7, 5))
    checks.assert_close(out[0], z0, atol=1e-6, name="the first row (expected z0)", reveal=True)
    gap = float((out[-1] - z1).norm())
    assert gap < 1e-5, \
        (f"expected the last row to be z1, found it {gap:.3g} away from z1: t must run from 0 to 1 "
         f"inclusive (torch.linspace(0, 1, steps) includes both ends)")


@points(1)
def test_linear_is_evenly_spaced_on_the_segment(v, ref):
    out = working(v).linear_9
    checks.assert_close(out[1:] - out[:-1], ref["linear_9_steps"], atol=1e-9,
                        name="consecutive differences of the linear path")


@points(1.5)
def test_slerp_endpoints_and_constant_angular_speed(v, ref):
    # against the grader's endpoints, their norm and the angle omega between them (not the path's own mean angle):
    # slerp between vectors of equal norm keeps that norm and turns by omega / 5 at each of its 5 steps; steps that
    # add up to omega put every row on the short great-circle arc from z0 to z1
    torch, w = _torch(), working(v)
    z0, z1, out = w.inputs.s0, w.inputs.s1, w.slerp_6
    checks.assert_tensor(out, "interpolate(..., method='slerp')", shape=(6, 8))
    checks.assert_close(out[0], z0, atol=1e-8, name="first slerp row")
    checks.assert_close(out[-1], z1, atol=1e-8, name="last slerp row")
    checks.assert_close(out.norm(dim=1), z0.norm().expand(6), atol=1e-8,
                        name="norms along a slerp between vectors of equal norm (slerp keeps it; a straight line does not)")
    u = out / out.norm(dim=1, keepdim=True)
    ang = torch.arccos((u[1:] * u[:-1]).sum(1).clamp(-1, 1))
    checks.assert_close(ang, ref["slerp_6_angles"], atol=1e-6,
                        name="angles between consecutive slerp steps (each a fifth of the angle between z0 and z1)")


@points(0.5)
def test_unknown_method_raises(v, ref):
    got = v.unknown_method
    assert got == "ValueError", "an unknown method must raise ValueError" + ("" if got == "returned" else f" ({got})")


# ------------------------------------------------------------------ the artifact cell: nothing from the kernel
WEIGHTS_FILE = "generator_weights.pt"
MAX_WEIGHTS_BYTES = 4_000_000  # the graded file is ~3.05 MB (1.5 M float16 parameters); anything bigger is not read
Z_DIM = 64


def wgan_networks_generator():
    """The kit's Generator (the notebook's locked cell wgan_networks), never one from the notebook."""
    torch = _torch()
    nn = torch.nn
    w = 64

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(Z_DIM, 4 * w * 7 * 7), nn.BatchNorm1d(4 * w * 7 * 7), nn.ReLU(),
                nn.Unflatten(1, (4 * w, 7, 7)),
                nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
                nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
                nn.Conv2d(w, 1, 3, padding=1), nn.Tanh())

        def forward(self, z):
            return self.net(z)

    return Generator()


_DRAWS: dict = {}  # (sha256 of the file, seed) -> (samples, near-copy report), or why the file earns 0; the last used
MAX_DRAWS = 4  # last (3 MB each): the judge process lives on from one grading to the next


def drawn_samples(data: bytes, seed: int):
    """The 1,000 samples drawn with noise ``seed`` from the handed-in weights ``data`` in the kit's Generator,
    with their near-copy report, once they are 1,000 new images (else raises with the reason)."""
    import hashlib

    from dgmlab import artifacts

    def draw():
        torch = _torch()
        state = artifacts.load_bytes(data, name=WEIGHTS_FILE, max_bytes=MAX_WEIGHTS_BYTES,
                                     made_by="the cell after deliverable (a)")
        generator = artifacts.load_weights(wgan_networks_generator(), state, name=f"the weights in {WEIGHTS_FILE}")
        z = torch.randn(1000, Z_DIM, generator=torch.Generator().manual_seed(int(seed)))
        with torch.no_grad():
            x = artifacts.samples(generator(z).float(), n=1000, name=f"the samples drawn from {WEIGHTS_FILE}")
        return x, artifacts.require_new(x)

    return remembered(_DRAWS, MAX_DRAWS, (hashlib.sha256(data).hexdigest(), int(seed)), draw,
                      (AssertionError, artifacts.ArtifactError))


def _absent_in_fast_mode(v):
    from dgmlab import runtime

    # fast mode trains too little to write the graded file: nothing to score there
    return runtime.mode() == "fast" and WEIGHTS_FILE not in v.files


# the visible 2 points need a trained generator, not only weights that load and draw new images: the kit's untrained
# Generator, its weights scaled up 10-30x (a red-team file), scores 1.0 with one class; the reference run at epoch 5
# scores 7.7-7.9 with all ten
LOW_SCORE_BAR, LOW_CLASSES_BAR = 5.0, 8


@points(2)
def test_saved_generator_draws_1000_new_images(v, ref):
    if _absent_in_fast_mode(v):
        return
    from dgmlab import metrics

    x, _ = drawn_samples(v.files[WEIGHTS_FILE], v.seed_of(WEIGHTS_FILE))
    score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
    classes = int(metrics.mnist_predict(x, scale="[-1,1]").unique().numel())
    assert float(score) >= LOW_SCORE_BAR and classes >= LOW_CLASSES_BAR, (
        f"expected a trained generator: an MNIST classifier score of at least {LOW_SCORE_BAR} with at least "
        f"{LOW_CLASSES_BAR} digit classes on the 1,000 drawn samples, found {float(score):.2f} with {classes} classes "
        "(weights that load but were barely trained earn nothing)")


def context() -> dict:
    import numpy as np
    import torch

    from dgmlab import artifacts, metrics, novelty, runtime

    return {**symbols(), "sp": _sp(), "np": np, "torch": torch, "nn": torch.nn, "D": torch.distributions,
            "math": math, "checks": checks, "normal_pdf": normal_pdf, "AffineFlow": AffineFlow, "ExpFlow": ExpFlow,
            "standard_normal": standard_normal, "linear_critic": linear_critic, "tiny_critic": tiny_critic,
            "LINEAR_WEIGHT": LINEAR_WEIGHT, "small_net": small_net, "tiny_generator": tiny_generator,
            "linear_critic_of_the_step": lambda: linear_critic(CRITIC_WEIGHT, bias=CRITIC_BIAS),
            "step_noise": step_noise, "STEP_LR": STEP_LR, "RUNS": RUNS, "CRITIC_WEIGHT": CRITIC_WEIGHT,
            "CRITIC_BIAS": CRITIC_BIAS,
            "tiny_sample_generator": tiny_sample_generator, "tiny_batchnorm_generator": tiny_batchnorm_generator,
            "real_digits": real_digits, "artifacts": artifacts,
            "metrics": metrics, "novelty": novelty, "runtime": runtime, "WEIGHTS_FILE": WEIGHTS_FILE,
            "MAX_WEIGHTS_BYTES": MAX_WEIGHTS_BYTES}


CHECKS = [
    CheckSpec("q1_flow_log_prob_tests", 5, 2.25, ("flow_log_prob",),
              visible=(test_1d_affine_matches_torch_normal, test_2d_exp_flow_matches_independent_lognormals),
              probe=on_working(_flow_log_prob_probe), inputs=with_working(_flow_inputs)),
    CheckSpec("q1_flow_sample_tests", 3, 1.5, ("flow_sample",),
              visible=(test_shape, test_exp_flow_samples_follow_the_lognormal),
              probe=_flow_sample_probe, inputs=_sample_inputs),
    CheckSpec("q2_kl_gaussians_tests", 8, 3, ("kl_integrand", "kl_general", "kl_gaussians"),
              visible=(test_are_expressions_in_the_right_symbols, test_general_kl_vanishes_for_equal_distributions,
                       test_general_kl_is_positive_when_only_the_widths_differ,
                       test_integrand_is_p_g_times_the_log_ratio, test_general_kl_matches_numerical_integration),
              inputs=with_working(_kl_inputs)),
    CheckSpec("q2_kl_limits_tests", 6, 3.5, ("kl_limits",),
              visible=(test_returns_two_sympy_objects, test_limit_of_an_expression_continuous_at_zero,
                       test_derivative_limit_of_an_expression_continuous_at_zero),
              probe=on_working(_limits_probe), inputs=with_working(_limits_inputs)),
    CheckSpec("q2_combined_generator_loss_tests", 3, 2, ("combined_generator_loss",),
              visible=(test_returns_a_scalar, test_value_at_a_single_output),
              probe=_combined_probe, inputs=_combined_inputs),
    CheckSpec("q2_js_divergence_tests", 5, 2.5, ("js_divergence",),
              visible=(test_zero_for_equal_means, test_value_at_moderate_eps),
              probe=on_working(_js_probe), inputs=with_working(_js_inputs)),
    CheckSpec("q2_w1_distance_tests", 2, 1.5, ("w1_distance",), visible=(test_w1_zero_for_equal_means,),
              probe=_w1_probe, inputs=_w1_inputs),
    CheckSpec("q3_wgan_losses_tests", 5, 1.25, ("critic_loss", "generator_loss"),
              visible=(test_scalars, test_critic_loss_sign_on_one_pair, test_generator_loss_sign_on_one_score,
                       test_critic_loss_with_unequal_batches, test_generator_loss_on_a_batch),
              probe=on_working(_losses_probe), inputs=with_working(_losses_inputs)),
    CheckSpec("q3_gradient_penalty_tests", 6, 3.5, ("gradient_penalty",),
              visible=(test_linear_critic_value_and_lambda, test_one_alpha_per_sample_between_real_and_fake),
              probe=_penalty_probe, inputs=_penalty_inputs),
    CheckSpec("q3_clip_weights_tests", 3, 0.75, ("clip_weights",),
              visible=(test_all_parameters_within_bounds, test_values_inside_the_bounds_are_kept_and_signs_preserved),
              probe=on_working(_clip_probe), inputs=with_working(_clip_inputs)),
    CheckSpec("q3_train_step_tests", 9, 5.5, ("wgan_train_step",),
              visible=(test_first_critic_update_descends_the_critic_loss,
                       test_then_one_generator_update_through_the_updated_critic),
              probe=on_working(_step_probe), inputs=with_working(_step_inputs)),
    CheckSpec("q3_samples_tests", 4, 1, ("sample_generator", "save_samples"),
              visible=(test_shape_and_range, test_seeded, test_save_round_trip),
              probe=on_working(_samples_probe), inputs=with_working(_samples_inputs)),
    CheckSpec("q3_evaluate_samples_tests", 3, 1.25, ("evaluate_samples",),
              visible=(test_keys_and_types, test_inception_unavailable_is_reported_not_raised),
              probe=_evaluate_probe, inputs=_evaluate_inputs),
    CheckSpec("q3_interpolate_tests", 5, 1, ("interpolate",),
              visible=(test_shape_and_endpoints_linear, test_linear_is_evenly_spaced_on_the_segment,
                       test_slerp_endpoints_and_constant_angular_speed, test_unknown_method_raises),
              probe=on_working(_interpolate_probe), inputs=with_working(_interpolate_inputs)),
    CheckSpec("q3_samples_quality_tests", 7, 5, (), visible=(test_saved_generator_draws_1000_new_images,),
              files=(WEIGHTS_FILE,)),
]
