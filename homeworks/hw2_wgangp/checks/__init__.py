"""hw2_wgangp's graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw2_wgangp/hidden/``); they read the names below and the values
each probe returns. Nothing here answers a question: the probes call the
student's functions on inputs made from the seed (and on small fixed cases where a test needs exact
values) and keep what comes back; the visible tests ``test_x(v, ref)`` check form and easy cases, and compare values
with ``ref``, what the grader's references (``homeworks/hw2_wgangp/hidden/references.py``, not in the student package)
give on the same inputs: recorded for the working seed's draw (``dgmlab.probes.expected``), computed in the judge
when graded. The toy networks
the P5 probes drive the student's code with, the given ``ResidualBlock`` and the kit's given MNIST generator P5(g)
loads the handed-in weights into are the notebook's given code, not answers.
"""
from __future__ import annotations

import functools
import io
import math

from dgmlab import checks, wire
from dgmlab.testing import points
from dgmlab.probes import (
    WORKING_SEED, on_working, with_working, working, Answers, CheckSpec, TestFailure, attempt, remembered, usable,
    seeded_generator as _gen)
from dgmlab.probes import _np, _sp, _torch  # lazy imports


def symbols() -> dict:
    """The notebook's fixed symbols (its locked cell ``symbols``)."""
    sp = _sp()
    return {"t": sp.Symbol("t", real=True), "s": sp.Symbol("s", negative=True), "u": sp.Symbol("u", positive=True)}


def _rng(seed: int, salt: int):
    return _np().random.default_rng([int(seed) % 2**63, salt])


def normals(x):
    """The two 1-D Gaussians p, q of the P1(c)/P2(c) checks, from the inputs ``x``."""
    torch = _torch()
    f64 = dict(dtype=torch.float64)
    p = torch.distributions.Normal(torch.tensor(x["p_mean"], **f64), torch.tensor(x["p_std"], **f64))
    q = torch.distributions.Normal(torch.tensor(x["q_mean"], **f64), torch.tensor(x["q_std"], **f64))
    return p, q


def random_metric_problem(rng, n, zeros_in_r=0):
    """A random metric cost (distances between points in the plane) and three histograms p, q, r."""
    np = _np()
    pts = rng.normal(size=(n, 2))
    C = np.linalg.norm(pts[:, None] - pts[None, :], axis=-1)
    p, q, r = (rng.random(n) + 0.05 for _ in range(3))
    r[:zeros_in_r] = 0.0
    return C, p / p.sum(), q / q.sum(), r / r.sum()


@functools.lru_cache(maxsize=None)
def _toy_classes():
    torch = _torch()
    nn = torch.nn

    class ToyLinearCritic(nn.Module):
        """D(x) = <w, x> + b on flattened inputs (the notebook's toy, its weights given)."""

        def __init__(self, w):
            super().__init__()
            self.w = nn.Parameter(w.detach().clone())
            self.b = nn.Parameter(torch.zeros((), dtype=w.dtype))

        def forward(self, x):
            if x.dim() < 2 or x[0].numel() != self.w.numel():
                raise ValueError(f"the critic was given an input of shape {tuple(x.shape)}, not one of the images' "
                                 f"shape (N, ...) with {self.w.numel()} pixels each (one eps per sample, of shape "
                                 f"(N, 1, 1, 1), keeps x_hat the shape of x_real)")
            return x.flatten(1) @ self.w + self.b

    class ToyGenerator(nn.Module):
        """G(z) = z A + c reshaped to (N, 1, 3, 3) (the notebook's toy, its weights given)."""

        def __init__(self, A, c):
            super().__init__()
            self.A = nn.Parameter(A.detach().clone())
            self.c = nn.Parameter(c.detach().clone())

        def forward(self, z):
            return (z @ self.A + self.c).view(-1, 1, 3, 3)

    class BowlCritic(nn.Module):
        """D(x) = a/2 ||x - c||^2: its input gradient a (x - c) has norm a ||x - c||."""

        def __init__(self, a, c):
            super().__init__()
            self.a = nn.Parameter(torch.tensor(float(a)))
            self.c = c

        def forward(self, x):
            return 0.5 * self.a * ((x - self.c).flatten(1) ** 2).sum(1)

    class Recorder(nn.Module):
        """A critic that records the shape of each input it is given."""

        def __init__(self):
            super().__init__()
            self.seen, self.given = [], []

        def forward(self, x):
            self.seen.append(list(x.shape))
            self.given.append(x.detach().clone())
            return 0.5 * (x.flatten(1) ** 2).sum(1)

    return ToyLinearCritic, ToyGenerator, BowlCritic, Recorder


def toy_critic(w):
    return _toy_classes()[0](w)


def toy_generator(A, c):
    return _toy_classes()[1](A, c)


def toy_scores(w, x):
    """The toy linear critic's scores (its bias starts at 0): (N, *S) -> (N,)."""
    return x.flatten(1) @ w


def _direction(g, dim, norm):
    torch = _torch()
    w = torch.randn(dim, generator=g, dtype=torch.float32)
    return norm * w / w.norm()


def _randn(g, *shape):
    torch = _torch()
    return torch.randn(*shape, generator=g, dtype=torch.float32)


def _toy_gen_weights(g):
    return {"A": _randn(g, 3, 9) * 0.5, "c": _randn(g, 9) * 0.1}


# ------------------------------------------------------------------ the kit's MNIST generator (given code)
@functools.lru_cache(maxsize=None)
def _kit_networks():
    """The notebook's given ResidualBlock and Generator (locked cell p5_framework), for P5(g)'s preview in
    the student's kernel; the grader's hidden and visible tests load the weights into this copy, never into
    a class from the kernel (tests/probes/test_hw2_wgangp.py checks it is the locked cell's network)."""
    torch = _torch()
    nn, F = torch.nn, torch.nn.functional

    class ResidualBlock(nn.Module):
        def __init__(self, in_channels, out_channels=None, stride=1, batchnorm=True):
            super().__init__()
            out_channels = out_channels or in_channels
            self.stride, self.batchnorm = stride, batchnorm
            self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=not batchnorm)
            self.bn1 = nn.BatchNorm2d(out_channels) if batchnorm else nn.Identity()
            self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=not batchnorm)
            self.bn2 = nn.BatchNorm2d(out_channels) if batchnorm else nn.Identity()
            if stride == 1 and in_channels == out_channels:
                self.skip = nn.Identity()
            else:
                self.skip = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)

        def forward(self, x):
            h = F.relu(self.bn1(self.conv1(x)))
            h = self.bn2(self.conv2(h))
            return F.relu(h + self.skip(x))

    class Generator(nn.Module):
        def __init__(self, seed_dim=SEED_DIM, capacity=128):
            super().__init__()
            self.capacity = capacity
            self.embed = nn.Linear(seed_dim, capacity * 7 * 7, bias=False)
            self.embed_bn = nn.BatchNorm2d(capacity)
            self.blocks = nn.Sequential(*[ResidualBlock(capacity) for _ in range(3)])
            self.upsample = nn.Sequential(
                nn.Upsample(scale_factor=4, mode="bilinear", align_corners=False),
                nn.Conv2d(capacity, capacity, 3, padding=1, bias=False),
                nn.BatchNorm2d(capacity), nn.ReLU())
            self.to_image = nn.Conv2d(capacity, 1, 3, padding=1, bias=False)
            self.pixel_bias = nn.Parameter(torch.zeros(1, 28, 28))

        def forward(self, z):
            h = F.relu(self.embed_bn(self.embed(z).view(-1, self.capacity, 7, 7)))
            h = self.upsample(self.blocks(h))
            return torch.sigmoid(self.to_image(h) + self.pixel_bias)

    return ResidualBlock, Generator


SEED_DIM = 128


def given_mnist_generator(capacity=32):
    """The kit's MNIST Generator (the notebook's given network) at ``capacity``."""
    return _kit_networks()[1](capacity=capacity)


def context() -> dict:
    import numpy as np

    return {**symbols(), "sp": _sp(), "np": np, "torch": _torch(), "math": math, "checks": checks,
            "normals": normals, "toy_critic": toy_critic, "toy_generator": toy_generator, "toy_scores": toy_scores,
            "random_metric_problem": random_metric_problem, "dashboard_draw": dashboard_draw,
            "seeded_weights": seeded_weights, "roles": roles, "kit_residual_block": kit_residual_block,
            "NET_CAPACITY": NET_CAPACITY, "CRITIC_SALT": CRITIC_SALT, "GENERATOR_SALT": GENERATOR_SALT,
            "OPT_STEPS": OPT_STEPS}


def _modules_of(model, cls):
    return [m for m in model.modules() if isinstance(m, cls)]


# ------------------------------------------------------------------ visible tests: recorded values on the working seed
# Converted cells: dgmlab.probes.with_working, on_working and working (what their visible tests compare with).
def _on_working(probe):
    return on_working(probe, own_rng=True)  # see on_working: the kernel's random state is kept


# ------------------------------------------------------------------ P1(b), P2(b)
def _conjugate_inputs(seed, salt, low, high):
    rng = _rng(seed, salt)
    return {"points": [round(float(x), 6) for x in rng.uniform(low, high, size=3)]}


def _conjugate_at(expr, symbol, value, name):
    sp = _sp()
    found = checks.as_sympy(expr, name).subs(symbol, sp.Float(value, 15))
    assert not found.free_symbols, \
        (f"expected a number at {symbol} = {value:g}, found {found}: {name} still contains "
         f"{sorted(map(str, found.free_symbols))} (substitute the maximising u back into {symbol}*u - f(u))")
    return complex(sp.N(found))


@points(0.75)
def test_kl_conjugate_at_seeded_points(v, ref):
    # the conjugate at three points of the working seed against sup_u (t u - u log u), which the grader found
    # numerically (the definition) on those points
    checks.assert_sympy_expr(v.f_star_kl, "f_star_kl", symbols=[symbols()["t"]])
    t = symbols()["t"]
    wanted = ref["at_points"]
    for value, want in zip(v.inputs.working["points"], wanted, strict=True):
        got = _conjugate_at(v.f_star_kl, t, value, "f_star_kl")
        hint = ""
        if abs(got - math.exp(value)) < 1e-9:
            hint = ": the maximising u is off (recheck where the derivative of t*u - f(u) vanishes)"
        assert abs(got - want) < 1e-7 * max(1.0, abs(want)), \
            f"f_star_kl at t = {value:g} is {got.real:.6g}, not sup_u (t u - u log u) found numerically{hint}"


@points(0.75)
def test_rkl_conjugate_at_seeded_points(v, ref):
    # the conjugate at three negative points of the working seed against sup_u (s u + log u), which the grader
    # found numerically (the definition) on those points
    checks.assert_sympy_expr(v.f_star_rkl, "f_star_rkl", symbols=[symbols()["s"]])
    s = symbols()["s"]
    wanted = ref["at_points"]
    for value, want in zip(v.inputs.working["points"], wanted, strict=True):
        got = _conjugate_at(v.f_star_rkl, s, value, "f_star_rkl")
        hint = ": a complex number, the log of a negative number (s is negative)" if abs(got.imag) > 1e-9 else ""
        assert abs(got - want) < 1e-7 * max(1.0, abs(want)), \
            f"f_star_rkl at s = {value:g} is {got.real:.6g}, not sup_u (s u + log u) found numerically{hint}"


# ------------------------------------------------------------------ P1(c), P2(c)
MC_SAMPLES = 100_000


def _objective_inputs(seed, salt):
    torch, g = _torch(), _gen(seed, salt)
    f64 = dict(dtype=torch.float64)
    x = {"p_mean": 0.0, "p_std": 1.0, "q_mean": 0.5, "q_std": 1.2}
    p, q = normals(x)
    x.update({"x100": torch.randn(100, generator=g, **f64), "grid": torch.linspace(-2, 2, 5, **f64),
              "x_p": x["p_mean"] + x["p_std"] * torch.randn(MC_SAMPLES, generator=g, **f64),
              "x_q": x["q_mean"] + x["q_std"] * torch.randn(MC_SAMPLES, generator=g, **f64)})
    x["critic_points"] = _critic_points(seed, salt)
    return x


def _critic_points(seed, salt):
    """Five points where the optimal critic is compared with the grader's d* (p and q are the cell's Gaussians)."""
    torch = _torch()
    return 2.5 * (2 * torch.rand(5, generator=_gen(seed, salt + 40), dtype=torch.float64) - 1)


def _objective_cell_inputs(salt):
    """P1(c)/P2(c)'s inputs, and under ``"working"`` the visible tests' own draw of the critic's points (the working
    seed's; when graded, the grading seed's: :func:`dgmlab.probes.make_inputs`)."""
    def inputs(seed):
        keys = ("p_mean", "p_std", "q_mean", "q_std")
        working = {k: v for k, v in _objective_inputs(WORKING_SEED, salt).items() if k in keys}
        return {**_objective_inputs(seed, salt), "working": {**working, "critic_points": _critic_points(WORKING_SEED, salt)}}
    return inputs


def _objective_probe(objective, optimal_critic, sign, x):
    """The student's objective and optimal critic on the inputs; ``sign``: +1 for the KL critic (positive),
    -1 for the reverse-KL one (negative)."""
    torch = _torch()
    p, q = normals(x)
    x_p, x_q = x["x_p"], x["x_q"]
    if sign > 0:
        constant, two = (lambda v: torch.ones_like(v)), torch.exp
        two_points = (torch.tensor([0.0, 1.0], dtype=torch.float64), torch.tensor([0.0, 0.0], dtype=torch.float64))
    else:
        constant, two = (lambda v: -torch.ones_like(v)), (lambda v: -torch.exp(v))
        two_points = (torch.tensor([0.0, 1.0], dtype=torch.float64), torch.tensor([0.0, 2.0], dtype=torch.float64))
    d_star = attempt(optimal_critic, p.log_prob, q.log_prob)

    def at(d):
        return float(objective(d, x_p, x_q))

    perturbed = [lambda v: 1.5 * d_star(v), lambda v: 0.6 * d_star(v), lambda v: d_star(v) * torch.exp(0.3 * v),
                 lambda v: sign * torch.ones_like(v)]
    w = x["working"]
    p_w, q_w = normals(w)
    at_points = attempt(lambda: optimal_critic(p_w.log_prob, q_w.log_prob)(w["critic_points"].clone()))
    return {"working": {"critic_at_points": at_points},
            "constant_critic": attempt(objective, constant, x["x100"].clone(), x["x100"].clone()),
            "two_points": attempt(lambda: float(objective(two, *two_points))),
            "critic_when_equal": attempt(lambda: optimal_critic(p.log_prob, p.log_prob)(x["grid"].clone())),
            "at_optimum": attempt(at, d_star),
            "perturbed": attempt(lambda: [at(d) for d in perturbed])}


def _kl_probe(o, x):
    return _objective_probe(o["kl_objective"], o["kl_optimal_critic"], 1, x)


def _rkl_probe(o, x):
    return _objective_probe(o["rkl_objective"], o["rkl_optimal_critic"], -1, x)


@points(0.25)
def test_constant_critic_gives_zero(v, ref):
    checks.assert_tensor(v.constant_critic, "kl_objective(...)", shape=())
    got = float(v.constant_critic)
    hint = ""
    if abs(got + 1) < 1e-9:
        hint = ": the constant 1 is missing"
    elif abs(got + 99) < 1e-6:
        hint = ": that is a sum over the 100 samples; the expectations are means"
    assert abs(got) < 1e-9, f"with d = 1 expected 1 + E_p[log 1] - E_q[1] = 0, found {got:.6g}{hint}"


@points(0.5)
def test_value_on_two_points(v, ref):
    got = v.two_points
    want = 1 + 0.5 - 1.0
    hint = ""
    if abs(got - (1 + 0.0 - (1 + math.e) / 2)) < 1e-9:
        hint = ": p and q are swapped (log d is averaged over the samples of p, d over those of q)"
    elif abs(got - (want - 1)) < 1e-9:
        hint = ": the constant 1 is missing"
    elif abs(got - (1 + 1.0 - 2.0)) < 1e-9:
        hint = ": that uses sums; the expectations are means"
    assert abs(got - want) < 1e-9, \
        (f"for d = exp, x_p = [0, 1], x_q = [0, 0] expected 1 + mean(x_p) - mean(exp(x_q)) = {want:g}, "
         f"found {got:.6g}{hint}")


@points(0.25)
def test_optimal_critic_is_one_when_p_equals_q(v, ref):
    out = v.critic_when_equal
    checks.assert_tensor(out, "d_star(x)", shape=(5,))
    hint = ": d* is 0 where p = q, so it is not a positive critic" if bool((out.abs() < 1e-9).all()) else ""
    assert bool(((out - 1).abs() < 1e-9).all()), \
        f"when p = q the optimal critic is 1 everywhere; found {[round(float(c), 4) for c in out]}{hint}"


def _critic_at_points(v, ref, name, inverted, why):
    """The student's d* at the working draw's points against the grader's; ``inverted``: what the usual slip (the
    density ratio upside down) computes, and ``why``: where the right ratio comes from."""
    w = working(v)
    got = w.critic_at_points
    checks.assert_tensor(got, f"{name}(log_p, log_q)(x)", shape=(5,))
    want = ref["critic_at_points"]
    if _allclose(got, want):
        return
    hint = f": that is {inverted}, the density ratio upside down ({why})" if _allclose(got, 1 / want) else ""
    raise AssertionError(f"at five points x (p = N(0, 1), q = N(0.5, 1.2^2)) {name}(log_p, log_q)(x) is not the "
                         f"critic that maximises the objective{hint}")


def _allclose(a, b):
    torch = _torch()
    a = torch.as_tensor(a, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b.to(torch.float64), rtol=1e-6, atol=1e-9))


@points(0.25)
def test_optimal_critic_maximises_the_objective(v, ref):
    _critic_at_points(v, ref, "kl_optimal_critic", "q/p",
                      "T* = f'(p/q) and T = 1 + log d: which density is on top?")


@points(0.25)
def test_rkl_optimal_critic_maximises_the_objective(v, ref):
    _critic_at_points(v, ref, "rkl_optimal_critic", "-p/q",
                      "T* = f'(p/q) with f(u) = -log u, and d = T: which density is on top?")


@points(0.25)
def test_rkl_constant_critic_gives_zero(v, ref):
    checks.assert_tensor(v.constant_critic, "rkl_objective(...)", shape=())
    got = float(v.constant_critic)
    hint = ""
    if math.isnan(got):
        hint = ": log of a negative critic; the objective takes log(-d)"
    elif abs(got + 1) < 1e-9:
        hint = ": the constant 1 is missing"
    elif abs(got + 99) < 1e-6:
        hint = ": that is a sum over the 100 samples; the expectations are means"
    assert abs(got) < 1e-9, f"with d = -1 expected 1 + E_p[-1] + E_q[log 1] = 0, found {got:.6g}{hint}"


@points(0.5)
def test_rkl_value_on_two_points(v, ref):
    got = v.two_points
    want = 1 - (1 + math.e) / 2 + 1.0
    hint = ""
    if math.isnan(got):
        hint = ": log of a negative critic; the objective takes log(-d)"
    elif abs(got - (1 - (1 + math.exp(2)) / 2 + 0.5)) < 1e-9:
        hint = ": p and q are swapped (d is averaged over the samples of p, log(-d) over those of q)"
    elif abs(got - (want - 1)) < 1e-9:
        hint = ": the constant 1 is missing"
    assert abs(got - want) < 1e-9, \
        (f"for d = -exp, x_p = [0, 1], x_q = [0, 2] expected 1 - mean(exp(x_p)) + mean(x_q) = {want:.6f}, "
         f"found {got:.6g}{hint}")


@points(0.25)
def test_optimal_critic_is_minus_one_when_p_equals_q(v, ref):
    out = v.critic_when_equal
    checks.assert_tensor(out, "d_star(x)", shape=(5,))
    hint = ": the reverse-KL critic is negative everywhere" if bool((out > 0).all()) else ""
    assert bool(((out + 1).abs() < 1e-9).all()), \
        f"when p = q the optimal critic is -1 everywhere; found {[round(float(c), 4) for c in out]}{hint}"


for _f, _name in ((test_rkl_constant_critic_gives_zero, "test_constant_critic_gives_zero"),
                  (test_rkl_value_on_two_points, "test_value_on_two_points"),
                  (test_rkl_optimal_critic_maximises_the_objective, "test_optimal_critic_maximises_the_objective")):
    _f.__name__ = _name  # the test names students saw before (the cell's report and the proofs read them)


# ------------------------------------------------------------------ P3(b)
def _costs_inputs(seed):
    np, rng = _np(), _rng(seed, 3)

    def p_sample(n, d):  # a lumpy, non-Gaussian p: a two-component mixture with a uniform factor
        centres = np.where(rng.random((n, 1)) < 0.3, -2.0, 1.5)
        return centres + rng.uniform(-0.5, 0.5, size=(n, d))

    x20 = rng.normal(size=(20, 2))
    emd_cases = []
    for d in range(1, 6):
        x = p_sample(150, d)
        emd_cases.append((x, 0.7 * rng.normal(size=(150, d))))
    jensen_cases = []
    for d in range(1, 6):
        x = p_sample(300, d)
        jensen_cases.append((x, 1.3 * rng.normal(size=(300, d))))
    return {"x20": x20, "two_x": np.array([[0.0, 0.0], [3.0, 0.0]]), "two_eps": np.array([[3.0, 4.0], [-3.0, 0.0]]),
            "emd_cases": emd_cases, "jensen_sigma": 1.3, "jensen_cases": jensen_cases}


def _costs_probe(o, x):
    np, fn = _np(), o["smoothing_costs"]
    out = attempt(fn, x["x20"].copy(), np.zeros_like(x["x20"]))
    form = out if isinstance(out, wire.Raised) else attempt(lambda: {"is_tuple": isinstance(out, tuple), "length": len(out),
                            "types": [type(c).__name__ for c in out], "floats": [isinstance(c, float) for c in out]})
    return {"zero_noise": out, "zero_noise_form": form,
            "two_points": attempt(fn, x["two_x"].copy(), x["two_eps"].copy()),
            "emd_cases": attempt(lambda: [list(fn(a.copy(), e.copy())) for a, e in x["emd_cases"]]),
            "jensen_cases": attempt(lambda: [list(fn(a.copy(), e.copy())) for a, e in x["jensen_cases"]])}


@points(0.5)
def test_returns_two_floats_and_zero_without_noise(v, ref):
    np, form = _np(), v.zero_noise_form
    assert form["is_tuple"] and form["length"] == 2, \
        f"expected a tuple (emd, identity_cost), found {form['length']} values ({', '.join(form['types'])})"
    assert all(form["floats"]), \
        f"expected two Python floats, found {form['types']} (wrap them with float(...))"
    checks.assert_close(np.array(v.zero_noise, dtype=np.float64), np.zeros(2), atol=1e-6, name="costs with eps = 0",
                        reveal=True)


def _pair(v, name):
    out = getattr(v, name)
    assert isinstance(out, list) and len(out) == 2, "expected smoothing_costs to return (emd, identity_cost)"
    return float(out[0]), float(out[1])


@points(0.5)
def test_emd_on_two_points(v, ref):
    emd, ident = _pair(v, "two_points")
    hint = ""
    if abs(emd - 8.0) < 1e-6:
        hint = (": that is the squared Euclidean cost, ot.dist's default metric; "
                "pass metric='euclidean'")
    elif abs(emd - 4.0) < 1e-6:
        hint = ": that is the identity-coupling cost; return (emd, identity_cost) in this order"
    assert abs(emd - 2.0) < 1e-6, \
        (f"expected an EMD of 2 (send x_1 to y_2 at cost 0 and x_2 to y_1 at cost 4, each with mass 1/2), "
         f"found {emd:.6g}{hint}")


@points(0.5)
def test_identity_cost_on_two_points(v, ref):
    emd, ident = _pair(v, "two_points")
    hint = ""
    if abs(ident - math.sqrt(17.0)) < 1e-6:
        hint = ": that is the root-mean-square length; the identity coupling costs the mean length"
    elif abs(ident - 8.0) < 1e-6:
        hint = ": that is the sum of the lengths; the empirical measures put mass 1/n on each point"
    elif abs(ident - 2.0) < 1e-6:
        hint = ": that is the EMD; return (emd, identity_cost) in this order"
    assert abs(ident - 4.0) < 1e-6, \
        f"expected an identity-coupling cost of (||(3, 4)|| + ||(-3, 0)||) / 2 = 4, found {ident:.6g}{hint}"


@points(0.75)
def test_identity_cost_is_the_mean_length_of_the_moves(v, ref):
    w = working(v)
    got, wanted = w.emd_cases, ref["identity_costs"]
    assert isinstance(got, list) and len(got) == len(w.inputs.emd_cases), "smoothing_costs was not run on every case"
    for (x, eps), out, want in zip(w.inputs.emd_cases, got, wanted, strict=True):
        assert isinstance(out, list) and len(out) == 2, "smoothing_costs should return (emd, identity_cost)"
        assert abs(float(out[1]) - want) < 1e-9, \
            f"d={x.shape[1]}: the identity-coupling cost is not the mean Euclidean length of the moves"


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
    return {"marginals": [attempt(_constraints_of, constraints, case["p"], case["q"]) for case in x["marginals"]],
            "to_itself": attempt(solve, x["self_p"], x["self_p"], x["self_C"]),
            "two_points": attempt(solve, p, q, C2),
            "problems": attempt(lambda: [solve(p_, q_, C_) for C_, p_, q_ in x["problems"]]),
            "asymmetric": attempt(solve, x["asym"][1], x["asym"][2], x["asym"][0])}


def _two_point_marginals():
    np = _np()
    return np.array([1.0, 0.0]), np.array([0.0, 1.0])


def _plan_array(plan, name):
    plan = usable(name, plan)
    assert hasattr(plan, "shape"), f"{name} is not an array (found {type(plan).__name__})"
    return plan


def _float_array(value, shape, name):
    """``value`` as a finite float64 array of ``shape``, or a failure naming what is wrong."""
    np = _np()
    assert isinstance(value, np.ndarray) and value.dtype.kind in "fiu", \
        f"{name} is not a numeric array (found {type(value).__name__})"
    assert value.shape == shape, f"expected {name} of shape {shape}, found {value.shape}"
    assert np.isfinite(value).all(), f"{name} has an entry that is not finite"
    return value.astype(np.float64)


def _constraints(got, p, q, what):
    """(A_eq, b_eq) from the kernel's data for (p, q), after the shape and b_eq checks every test shares."""
    np, n = _np(), len(p)
    got = usable(f"marginal_constraints(p, q) for {what}", got)
    assert isinstance(got, dict), "the data of marginal_constraints(p, q) is not a table of values"
    assert list(got.get("A_shape", [])) == [2 * n, n * n], \
        (f"{what}: expected A_eq of shape ({2 * n}, {n * n}) (n row sums and n column sums of the n*n entries, "
         f"n = {n}), found {tuple(got.get('A_shape', ()))}")
    assert list(got.get("b_shape", [])) == [2 * n], \
        f"{what}: expected b_eq of shape ({2 * n},), found {tuple(got.get('b_shape', ()))}"
    A = _float_array(got.get("A_eq"), (2 * n, n * n), "A_eq")
    b = _float_array(got.get("b_eq"), (2 * n,), "b_eq")
    assert np.allclose(b, np.concatenate([p, q]), rtol=0, atol=1e-12), \
        f"{what}: expected b_eq to be p followed by q"
    return A, b


def _marginal_checks(v):
    """[(case, A_eq, b_eq)] for the drawn (p, q), after the shape and b_eq checks."""
    w = working(v)
    found = usable("marginal_constraints on the drawn (p, q)", w.marginals)
    assert isinstance(found, list) and len(found) == len(w.inputs.marginals), \
        "marginal_constraints was not run on every drawn (p, q)"
    return [(case, *_constraints(got, case["p"], case["q"], f"the drawn (p, q) with n={len(case['p'])}"))
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
            assert np.allclose(product, b, rtol=0, atol=1e-10), f"n={n}: a coupling of (p, q) breaks A_eq x = b_eq"


@points(0.5)
def test_constraints_reject_a_wrong_row_sum(v, ref):
    np = _np()
    for case, A, b in _marginal_checks(v):
        n = len(case["p"])
        for X in case["wrong_rows"]:
            product = A @ X.reshape(-1)
            _sums_of(X, product, n, "a matrix with column sums q and other row sums")
            assert not np.allclose(product, b, rtol=0, atol=1e-10), \
                f"n={n}: a matrix whose row sums are not p meets A_eq x = b_eq: the row-sum constraints are missing"


@points(0.5)
def test_constraints_reject_a_wrong_column_sum(v, ref):
    np = _np()
    for case, A, b in _marginal_checks(v):
        n = len(case["p"])
        for X in case["wrong_cols"]:
            product = A @ X.reshape(-1)
            _sums_of(X, product, n, "a matrix with row sums p and other column sums")
            assert not np.allclose(product, b, rtol=0, atol=1e-10), \
                (f"n={n}: a matrix whose column sums are not q meets A_eq x = b_eq: the column-sum constraints are "
                 "missing")


def _solved(found, inputs, p, q, name):
    """(value, plan) of one w1_linprog call, after checking that the student's constraints for (p, q) are right on
    the drawn matrices and that the plan meets them (both computed here, from the kernel's A_eq and b_eq)."""
    np = _np()
    found = usable(name, found)
    assert isinstance(found, list) and len(found) == 3, f"{name}: the check's data is not (value, plan, constraints)"
    value, plan, constraints = found
    plan = _plan_array(plan, "the plan")
    n = len(p)
    # w1_linprog's points need marginal_constraints right for this (p, q), then a plan that meets them
    A, b = _constraints(constraints, p, q, f"{name} (marginal_constraints(p, q))")
    for X in inputs.trials[n]:
        _sums_of(X, A @ X.reshape(-1), n, f"a random positive matrix (marginal_constraints(p, q) of {name})")
    flat = np.asarray(plan, dtype=np.float64).reshape(-1)
    assert flat.shape == (n * n,), f"{name}: expected a plan with {n * n} entries, found {flat.size}"
    residual = A @ flat - b
    assert np.max(np.abs(residual)) < 1e-7, \
        (f"{name}: the plan w1_linprog returned does not meet A_eq @ plan.reshape(-1) = b_eq for (A_eq, b_eq) = "
         f"marginal_constraints(p, q): solve the LP with those constraints")
    return value, plan


@points(0.25)
def test_distance_to_itself_is_zero(v, ref):
    value, plan = _solved(v.to_itself, v.inputs, v.inputs.self_p, v.inputs.self_p, "W1(p, p)")
    assert isinstance(value, float), f"expected the value as a Python float, found {type(value).__name__}"
    assert plan.shape == (4, 4), f"expected a 4 x 4 plan, found shape {plan.shape}"
    checks.assert_close(value, 0.0, atol=1e-8, name="W1(p, p)", reveal=True)


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
    assert abs(value - 1.0) < 1e-8, f"expected W1 = C[0, 1] = 1, found {value:.6g}{hint}"
    assert plan.shape == (2, 2), f"expected a 2 x 2 plan, found shape {plan.shape}"
    got = np.round(plan, 6).tolist()
    assert np.allclose(plan, [[0.0, 1.0], [0.0, 0.0]], atol=1e-8), \
        f"expected the plan [[0, 1], [0, 0]] (row i sends mass to column j), found {got}"


@points(0.5)
def test_matches_pot_and_returns_a_valid_plan(v, ref):
    # the optimal transport cost the grader found by another route (POT's exact solver) on the working seed's problems
    np, w = _np(), working(v)
    problems, wanted = usable("w1_linprog on the seeded problems", w.problems), ref["problems"]
    assert len(problems) == len(w.inputs.problems), "w1_linprog was not run on every problem"
    for (C, p, q), found, want in zip(w.inputs.problems, problems, wanted, strict=True):
        n = len(p)
        value, plan = _solved(found, w.inputs, p, q, f"the problem with n={n}")
        assert abs(float(value) - want) < 1e-7, \
            f"n={n}: the LP value is not the optimal transport cost (check the marginal constraints)"
        checks.assert_coupling(np.asarray(plan), p, q, atol=1e-7, name="the returned plan")
        assert abs(float(np.sum(np.asarray(plan) * C)) - float(value)) < 1e-7, "the plan's cost is not the value"


@points(0.5)
def test_asymmetric_cost_orientation(v, ref):
    # with an asymmetric cost, swapping the roles of p and q changes the answer (the grader's value, working seed)
    w = working(v)
    _, pa, qa = w.inputs.asym
    value, _ = _solved(w.asymmetric, w.inputs, pa, qa, "the asymmetric problem")
    assert abs(float(value) - ref["asymmetric"]) < 1e-7, \
        "with a non-symmetric cost the LP value is wrong: are rows tied to p and columns to q?"


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
    assert np.allclose(kappa, np.diag(r), atol=1e-12), \
        f"gluing diag(r) with itself should give diag(r) = {np.diag(r).tolist()}, found {kappa.tolist()}{hint}"


@points(0.5)
def test_a_zero_in_r_gives_no_nan(v, ref):
    np = _np()
    r, kappa = np.array([0.6, 0.4, 0.0]), v.zero_in_r
    assert np.all(np.isfinite(kappa)), \
        f"expected a finite kappa when r has a zero, found {kappa.tolist()}: read 1/r_z as 0 where r_z = 0"
    assert np.allclose(kappa, np.diag(r), atol=1e-12), \
        f"gluing diag(r) with itself should give diag(r) = {np.diag(r).tolist()}, found {kappa.tolist()}"


@points(0.5)
def test_glued_plan_is_a_coupling_of_p_and_q(v, ref):
    # kappa glued from the seed's optimal plans: its rows must sum to p and its columns to q (P4(c)'s statement)
    np = _np()
    kappas = usable("glue_couplings on the seeded plans", v.valid)
    assert isinstance(kappas, list) and len(kappas) == len(v.inputs.valid), "glue_couplings was not run on every case"
    for case, kappa in zip(v.inputs.valid, kappas, strict=True):
        p, q, n = case["p"], case["q"], len(case["r"])
        kappa = np.asarray(kappa, dtype=np.float64)
        assert kappa.shape == (n, n), f"n={n}: expected kappa of shape ({n}, {n}), found {kappa.shape}"
        rows, cols = kappa.sum(axis=1), kappa.sum(axis=0)
        if np.allclose(rows, p, atol=1e-9) and np.allclose(cols, q, atol=1e-9) and (kappa >= -1e-12).all():
            continue
        hint = ""
        if np.allclose(rows, q, atol=1e-9) and np.allclose(cols, p, atol=1e-9):
            hint = (": kappa is transposed (its rows sum to q and its columns to p); kappa = pi_p diag(1/r) pi_q has "
                    "one row per point of p")
        raise AssertionError(f"n={n}: the glued plan kappa is not a coupling of (p, q): its rows should sum to p and "
                             f"its columns to q{hint}")


# ------------------------------------------------------------------ P5(a), P6(a): the networks
# The checks put weights drawn from the grader's seed into the student's network and compare what it computes with
# what the grader's own network computes from the same weights and inputs. Weights are assigned by role, not by
# attribute name: each residual block (in module order), then each other layer by its type and rank (the first
# Conv2d outside the blocks, the first Linear, ...), then the network's own parameters (a per-pixel bias). So a
# network built as the statement says gets the grader's weights whatever its attributes are called.
NET_CAPACITY = 8


def roles(model, block_cls=None) -> list:
    """``[(role, tensor)]``: every parameter and floating-point buffer of ``model`` with its role (see above)."""
    out, counts = [], {}

    def rank(kind):
        counts[kind] = counts.get(kind, 0) + 1
        return counts[kind] - 1

    def visit(module, top):
        if not top and block_cls is not None and isinstance(module, block_cls):
            k = rank("block")
            out.extend((f"block#{k}.{n}", t) for n, t in [*module.named_parameters(), *module.named_buffers()])
            return
        own = [*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]
        if own:
            kind = "net" if top else type(module).__name__
            k = rank(kind)
            out.extend((f"{kind}#{k}.{n}", t) for n, t in own)
        for child in module.children():
            visit(child, False)

    visit(model, True)
    return [(r, t) for r, t in out if t.is_floating_point()]


def _drawn(role: str, shape, seed: int, salt: int):
    import zlib

    torch = _torch()
    g = torch.Generator().manual_seed((int(seed) * 1_000_003 + salt * 7919 + zlib.crc32(role.encode())) % 2**63)
    name, z = role.rsplit(".", 1)[-1], torch.randn(*shape, generator=g)
    if name == "running_var":
        return 0.5 + torch.rand(*shape, generator=g)
    if name == "running_mean" or "bias" in name:
        return 0.2 * z
    if len(shape) >= 2:
        return z / math.sqrt(max(1, math.prod(shape[1:])))
    return 1.0 + 0.2 * z  # a normalisation layer's scale


def seeded_weights(model, seed: int, salt: int, block_cls=None):
    """``model`` with every parameter and floating-point buffer drawn from ``seed`` by its role; returns ``model``."""
    torch = _torch()
    with torch.no_grad():
        for role, t in roles(model, block_cls):
            t.copy_(_drawn(role, tuple(t.shape), seed, salt))
    return model


def kit_residual_block(*args, **kwargs):
    """The notebook's given ResidualBlock (locked cell p5_framework)."""
    return _kit_networks()[0](*args, **kwargs)


def _network_inputs(seed, channels, side):
    g = _gen(seed, 6 + channels)
    cap = NET_CAPACITY
    return {"seed": int(seed), "five": _torch().rand(5, channels, side, side, generator=g),
            "six": _torch().rand(6, channels, side, side, generator=g),
            "three": _torch().rand(3, channels, side, side, generator=g),
            "block_first": _randn(g, 2, cap, side, side), "block_rest": _randn(g, 2, cap, 8, 8)}


CRITIC_SALT, BLOCK_SALT = 61, 62


def _critic_probe(o, x, cls_name):
    torch = _torch()
    nn = torch.nn
    Critic, Block = o[cls_name], o["ResidualBlock"]
    seed = x["seed"]

    def made():
        return seeded_weights(Critic(capacity=NET_CAPACITY), seed, CRITIC_SALT, Block).train()

    def scores():
        with torch.no_grad():
            return made()(x["five"].clone())

    def batchnorm():
        return [n for n, m in Critic(capacity=NET_CAPACITY).named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]

    def per_sample():
        critic, batch = made(), x["six"].clone()
        with torch.no_grad():
            return critic(batch)[:2]

    def blocks():
        found = _modules_of(Critic(capacity=NET_CAPACITY), Block)
        out = []
        for i, block in enumerate(found):
            seeded_weights(block, seed, BLOCK_SALT + i)
            with torch.no_grad():
                out.append(block.eval()(x["block_first" if i == 0 else "block_rest"].clone()))
        return out

    def gradients():
        critic = made()
        inp = x["three"].clone().requires_grad_(True)
        critic(inp).sum().backward()
        return {"input": inp.grad, "parameters": {r: t.grad for r, t in roles(critic, Block) if isinstance(t, nn.Parameter)}}

    return {name: attempt(fn) for name, fn in (("scores", scores), ("batchnorm", batchnorm), ("per_sample", per_sample),
                                                ("blocks", blocks), ("gradients", gradients))}


def _fork(seed, fn, *args):
    """``fn(*args)`` with torch's global generator seeded from ``seed`` and put back afterwards: building the
    student's networks draws their initial weights from it, and the cells after this one must see the same state
    whatever was built here."""
    torch = _torch()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) % 2**63)
        return fn(*args)


def _mnist_critic_probe(o, x):
    return _fork(x["seed"], _critic_probe, o, x, "Critic")


def _cifar_critic_probe(o, x):
    return _fork(x["seed"], _critic_probe, o, x, "CifarCritic")


def _block_outputs(v, count):
    found = v.batchnorm
    assert not found, \
        (f"expected no BatchNorm in the critic, found {found}: BatchNorm mixes the samples of a batch, so the "
         f"per-sample gradient penalty loses its meaning (use ResidualBlock(..., batchnorm=False))")
    out = v.blocks
    assert isinstance(out, list), "the check could not run the critic's residual blocks"
    assert len(out) == count, \
        (f"expected the critic to be built from {count} ResidualBlock modules, found {len(out)} (make the blocks "
         f"with the given ResidualBlock class)")
    return out


def _same_as_the_given_block(got, x, i, want, what):
    # ``want``: what the statement's block (the given ResidualBlock with its stride, no BatchNorm) gave with the
    # check's weights on the working seed's map, recorded by the grader
    torch = _torch()
    shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
    assert shape == tuple(want.shape), \
        (f"{what}: on a {tuple(x['block_first' if i == 0 else 'block_rest'].shape[-2:])} map it gives shape {shape}, "
         f"not {tuple(want.shape)} (its stride?)")
    checks.assert_close(got, want, rtol=1e-4, atol=1e-5,
                        name=f"{what} with the check's weights (its stride, batchnorm=False?)")


def _block_tests(cell: str, first: float, rest: float) -> tuple:
    """The visible tests of a critic cell (``cell``: P5's MNIST and P6's CIFAR-10 critics share them) whose residual
    blocks must give what the given blocks give: the first (stride 4), worth ``first`` points, and the three after it,
    worth ``rest``."""
    @points(first)
    def test_first_block_downsamples_by_four(v, ref):
        w = working(v)
        out, want = _block_outputs(w, 4), ref["blocks"]
        _same_as_the_given_block(out[0], w.inputs, 0, want[0], "the first residual block (stride 4, no BatchNorm)")

    @points(rest)
    def test_four_residual_blocks(v, ref):
        w = working(v)
        out, want = _block_outputs(w, 4), ref["blocks"]
        for i in (1, 2, 3):
            _same_as_the_given_block(out[i], w.inputs, i, want[i], f"residual block {i + 1} (stride 1, no BatchNorm)")

    return test_first_block_downsamples_by_four, test_four_residual_blocks


_CRITIC_SLIPS = (  # what a usual slip gives with the check's weights (recorded by the grader), and what to say
    ("mean_pool", "the head reads the mean over spatial positions; the statement's head reads their sum"),
    ("no_relu", "the ReLU after the first convolution is missing"),
    ("leaky_relu", "that is a leaky ReLU after the first convolution; the statement's is a ReLU"))


def _scores_test(cell: str, weight: float, network: str):
    """The visible test of a critic cell whose scores, with the check's weights, must be the statement's critic's."""
    @points(weight)
    def test_scores_with_the_checks_weights(v, ref):
        torch, w = _torch(), working(v)
        got, want = w.scores, ref
        checks.assert_tensor(got, f"the scores of {network}", shape=(5,))
        if bool(torch.allclose(got, want["scores"], rtol=1e-4, atol=1e-4)):
            return
        hint = next((f": {say}" for name, say in _CRITIC_SLIPS
                     if bool(torch.allclose(got, want[name], rtol=1e-4, atol=1e-4))), "")
        raise AssertionError(f"with the check's weights the scores of {network} on five images are not those of the "
                             f"critic described in the statement{hint}")

    return test_scores_with_the_checks_weights


MNIST_BLOCK_TESTS = (*_block_tests("p5_critic_tests", 0.75, 0.75), _scores_test("p5_critic_tests", 1, "Critic"))
CIFAR_BLOCK_TESTS = (*_block_tests("p6_critic_tests", 0.5, 0.5), _scores_test("p6_critic_tests", 0.75, "CifarCritic"))


GENERATOR_SALT = 63


def _cifar_generator_inputs(seed):
    g = _gen(seed, 9)
    return {"seed": int(seed), "z4": _randn(g, 4, SEED_DIM), "z4_other": _randn(g, 4, SEED_DIM),
            "z2": _randn(g, 2, SEED_DIM), "block_in": _randn(g, 2, NET_CAPACITY, 8, 8),
            "image_weights": _torch().rand(4, 3, 32, 32, generator=g)}


def _cifar_generator_probe(o, x):
    return _fork(x["seed"], _cifar_generator_probe_unforked, o, x)


def _cifar_generator_probe_unforked(o, x):
    torch = _torch()
    nn = torch.nn
    Gen, Block = o["CifarGenerator"], o["ResidualBlock"]
    seed = x["seed"]

    def made():
        return seeded_weights(Gen(capacity=NET_CAPACITY), seed, GENERATOR_SALT, Block).train()

    def traced():
        # the images, what the first residual block is given (the seed map) and what the last convolution outside the
        # blocks gives (the image before its bias and squashing), in train mode (BatchNorm on the batch's statistics)
        gen, seen = made(), {}
        found = _modules_of(gen, Block)
        convs = [m for m in gen.modules() if isinstance(m, nn.Conv2d)
                 and not any(m is c for b in found for c in b.modules())]
        hooks = []
        if found:
            hooks.append(found[0].register_forward_pre_hook(lambda m, i: seen.setdefault("seed_map", i[0].detach())))
        if convs:
            hooks.append(convs[-1].register_forward_hook(lambda m, i, out: seen.__setitem__("last_conv", out.detach())))
        try:
            with torch.no_grad():
                images = gen(x["z4"].clone())
        finally:
            for h in hooks:
                h.remove()
        return {"images": images, "seed_map": seen.get("seed_map"), "last_conv": seen.get("last_conv")}

    def blocks():
        out = []
        for i, block in enumerate(_modules_of(Gen(capacity=NET_CAPACITY), Block)):
            seeded_weights(block, seed, BLOCK_SALT + i)
            with torch.no_grad():
                out.append(block.eval()(x["block_in"].clone()))
        return out

    def gradients():
        # every parameter's gradient norm for a seeded weighted sum of the images, by role, with the student's name
        gen = made()
        names = {id(t): n for n, t in gen.named_parameters()}
        images = gen(x["z4"].clone())
        shape = list(images.shape) if isinstance(images, torch.Tensor) else None
        if shape != list(x["image_weights"].shape):
            return {"images_shape": shape}
        if images.requires_grad:  # else no parameter gets a gradient
            (images * x["image_weights"]).sum().backward()
        return {"images_shape": shape, "norms": {r: [names.get(id(t), r), None if t.grad is None else float(t.grad.norm())]
                                                 for r, t in roles(gen, Block) if isinstance(t, nn.Parameter)}}

    return {name: attempt(fn) for name, fn in (("traced", traced), ("blocks", blocks), ("gradients", gradients))}


@points(1.5)
def test_nine_residual_blocks(v, ref):
    # each block against what the given Generator's block gave with the check's weights on the working seed's map
    out = working(v).blocks
    assert isinstance(out, list) and len(out) == 9, \
        f"expected nine residual blocks in the CIFAR-10 generator, found {len(out) if isinstance(out, list) else out}"
    for i, (got, want) in enumerate(zip(out, ref["blocks"], strict=True)):
        checks.assert_close(got, want, rtol=1e-4, atol=1e-5,
                            name=f"residual block {i + 1} with the check's weights (the given Generator's block, "
                                 f"with BatchNorm)")



@points(0.75)
def test_seed_map_is_eight_by_eight(v, ref):
    # what the first residual block is given: the seed map, c x 8 x 8 (the x4 upsampling then makes 32 x 32)
    torch = _torch()
    got, want = usable("CifarGenerator's seed map", working(v).traced)["seed_map"], ref
    shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
    assert shape is not None, "the check found no residual block in CifarGenerator (use the given ResidualBlock)"
    assert shape[1:] == tuple(want["seed_map"].shape[1:]), \
        (f"CifarGenerator gives its first residual block a map of shape {shape[1:]}, expected "
         f"{tuple(want['seed_map'].shape[1:])}: the seed map is capacity x 8 x 8 and the x4 upsampling is kept")
    checks.assert_close(got, want["seed_map"], rtol=1e-4, atol=1e-4,
                        name="CifarGenerator's seed map with the check's weights (the given Generator's, at 8 x 8)")


@points(0.5)
def test_every_generator_parameter_gets_its_gradient(v, ref):
    # a seeded weighted sum of the images is differentiated: each parameter's gradient norm against the grader's
    found = usable("the gradients of CifarGenerator's parameters", working(v).gradients)
    want = ref["gradient_norms"]
    assert isinstance(found, dict), "the check could not differentiate CifarGenerator's images"
    shape = found.get("images_shape")
    assert "norms" in found, \
        (f"CifarGenerator gives images of shape {tuple(shape) if shape else None}, not (4, 3, 32, 32) for 4 seeds: "
         f"three colours at 32 x 32")
    got = found["norms"]
    missing = [name for name, norm in got.values() if norm is None or norm == 0.0]
    assert not missing, \
        (f"{len(missing)} parameters of CifarGenerator get no gradient from its images (first: {missing[0]}): is the "
         f"output computed under torch.no_grad(), detached, or a layer unused?")
    assert set(got) == set(want), \
        (f"CifarGenerator has {len(got)} parameter tensors, the generator described in the statement "
         f"{len(want)}: keep the given Generator's layers, with nine residual blocks")
    for role, (name, norm) in got.items():
        assert abs(norm - want[role]) <= 1e-3 * max(1.0, want[role]), \
            f"the gradient of CifarGenerator's {name} differs from that of the generator described in the statement"


# ------------------------------------------------------------------ P5(b): the gradient penalty
SEGMENT_BATCH = 20_000


def _penalty_inputs(seed):
    torch, g = _torch(), _gen(seed, 10)
    signs = torch.where(torch.rand(SEGMENT_BATCH, 1, 1, 1, generator=g) < 0.5, -1.0, 1.0)
    return {"w_unit": _direction(g, 4, 1.0), "w_two": _direction(g, 4, 2.0), "w_three": _direction(g, 9, 3.0),
            "unit_real": _randn(g, 8, 1, 2, 2), "unit_fake": _randn(g, 8, 1, 2, 2),
            "two_real": _randn(g, 8, 1, 2, 2), "two_fake": _randn(g, 8, 1, 2, 2),
            "graph_real": _randn(g, 8, 1, 2, 2), "graph_fake": _randn(g, 8, 1, 2, 2),
            "three_real": _randn(g, 5, 1, 3, 3), "three_fake": _randn(g, 5, 1, 3, 3),
            # fake points all at c (away from the origin, so x_fake's own weight in x_hat matters), real points
            # at distance 2 from c along one direction with unequal pixel values: along a segment the gradient
            # norm of the bowl critic centred at c is 2 a eps
            "bowl_centre": torch.tensor([0.5, -0.5, 1.0, 0.25]).view(1, 1, 2, 2),
            "bowl_direction": torch.tensor([1.6, 1.2, 0.0, 0.0]).view(1, 1, 2, 2), "signs": signs,
            # gradient norms drawn from the seed for the linear critics of the visible checks
            "norm_b": round(float(1.5 + torch.rand((), generator=g)), 6),
            "norm_c": round(float(2.5 + torch.rand((), generator=g)), 6),
            # a batch whose x_hat the checks read: real and fake differ in every pixel
            "mix_real": _randn(g, 6, 1, 2, 2) + 3.0, "mix_fake": _randn(g, 6, 1, 2, 2) - 3.0}


def _penalty_probe(o, x):
    torch, gp = _torch(), o["gradient_penalty"]
    _, _, Bowl, Recorder = _toy_classes()

    def on(w, real, fake):
        return gp(toy_critic(x[w]), x[real].clone(), x[fake].clone())

    c, n = x["bowl_centre"], SEGMENT_BATCH
    real, fake = c + x["bowl_direction"] * x["signs"], c.expand(n, 1, 2, 2).clone()
    recorder = Recorder()
    recorded = attempt(lambda: gp(recorder, real[:3].clone(), fake[:3].clone()))
    # an x_hat broadcast to another shape (an eps of shape (N, 1, 1) makes it (N, N, 2, 2)) would make the batches
    # below tens of gigabytes: they run only when the critic was given x_hat of x_real's shape
    shapes_ok = not isinstance(recorded, wire.Raised) and bool(recorder.seen) and \
        all(s == [3, 1, 2, 2] for s in recorder.seen)

    def bowl_values():
        critic = Bowl(1.0, c)
        return [float(gp(critic, real, fake).detach()) for _ in range(4)]

    def bowl_half():
        critic = Bowl(0.5, c)
        out = gp(critic, real, fake)
        return {"requires_grad": bool(out.requires_grad), "value": float(out.detach())}

    def bowl_half_derivative():  # None: the penalty is not differentiable in the critic's parameters
        critic = Bowl(0.5, c)
        penalty = gp(critic, real, fake)
        if not (isinstance(penalty, torch.Tensor) and penalty.requires_grad):
            return None
        (g,) = torch.autograd.grad(penalty, critic.a, allow_unused=True)
        return None if g is None else float(g)

    skipped = wire.Raised("not evaluated: the critic was not given x_hat of the shape of x_real")
    def scaled(w, norm):
        return x[w] * (x[norm] / x[w].norm())

    def slope(w, norm, real, fake):
        return gp(toy_critic(scaled(w, norm)), x[real].clone(), x[fake].clone())

    def connected():  # None: the penalty is not differentiable in the critic's parameters
        critic = toy_critic(scaled("w_two", "norm_b"))
        penalty = gp(critic, x["graph_real"].clone(), x["graph_fake"].clone())
        if not (isinstance(penalty, torch.Tensor) and penalty.requires_grad):
            return None
        (g,) = torch.autograd.grad(penalty, critic.w, allow_unused=True)
        return g

    def interpolates():
        mixer = Recorder()
        gp(mixer, x["mix_real"].clone(), x["mix_fake"].clone())
        return mixer.given[0] if mixer.given else wire.Raised("gradient_penalty did not call the critic")

    out = {"unit_slope": attempt(on, "w_unit", "unit_real", "unit_fake"), "interpolates": attempt(interpolates),
           "slope_two": attempt(lambda: float(slope("w_two", "norm_b", "two_real", "two_fake"))),
           "connected": attempt(connected),
           "shapes_seen": recorder.seen,
           "bowl_values": attempt(bowl_values) if shapes_ok else skipped,
           "bowl_half": attempt(bowl_half) if shapes_ok else skipped,
           "bowl_half_derivative": attempt(bowl_half_derivative) if shapes_ok else skipped,
           "slope_three": attempt(lambda: slope("w_three", "norm_c", "three_real", "three_fake").detach())}
    return out


_LINEAR_MISTAKES = (  # what a common mistake gives for a linear critic (recorded by the grader), and what to say
    ("lambda_times", ": that is lambda times the penalty; return it without the factor lambda"),
    ("no_minus_one", ": that is E||grad||^2; the '- 1' is missing (penalise (||grad|| - 1)^2)"),
    ("batch_norm", ": that is one norm over the whole batch; take each sample's norm (grad.flatten(1).norm(dim=1))"),
    ("batch_sum", ": that is a sum over the batch; take the mean"))


def _linear_hint(got, case):
    # ``case``: the recorded values of a linear critic's penalty and of the common mistakes on it
    for name, hint in _LINEAR_MISTAKES:
        if case.get(name) is not None and abs(got - case[name]) < 1e-3:
            return hint
    return (": the norm is over all pixels of one sample (grad.flatten(1).norm(dim=1)), and (norm - 1)^2 "
            "is averaged over the batch")


def _zero_for_a_unit_slope_critic(v, ref):
    gp = v.unit_slope
    checks.assert_tensor(gp, "gradient_penalty(...)", shape=())
    got = float(gp)
    assert abs(got) < 1e-5, \
        (f"a linear critic with gradient norm 1 everywhere has penalty (1 - 1)^2 = 0, "
         f"found {got:.6g}{_linear_hint(got, ref['unit_slope'])}")


@points(1)
def test_one_epsilon_per_sample(v, ref):
    # the critic's input on a batch whose real and fake images differ in every pixel: x_hat - x_fake must be
    # eps * (x_real - x_fake) with one eps in [0, 1] per sample, not one per pixel and not one for the whole batch
    torch = _torch()
    real, fake = v.inputs.mix_real, v.inputs.mix_fake
    x_hat = usable("the critic's input in gradient_penalty", v.interpolates)
    shape = tuple(x_hat.shape) if isinstance(x_hat, torch.Tensor) else None
    assert shape == tuple(real.shape), \
        (f"gradient_penalty gave the critic an input of shape {shape}, not that of x_real {tuple(real.shape)}: "
         f"x_hat = eps * x_real + (1 - eps) * x_fake, with eps of shape (N, 1, 1, 1)")
    eps = ((x_hat.double() - fake.double()) / (real.double() - fake.double())).flatten(1)
    lo, hi = eps.min(dim=1).values, eps.max(dim=1).values
    if bool(((eps - 1).abs() < 1e-5).all()) or bool((eps.abs() < 1e-5).all()):
        which = "x_real" if bool(((eps - 1).abs() < 1e-5).all()) else "x_fake"
        raise AssertionError(f"the critic is evaluated at {which} itself, not at random points x_hat = eps * x_real "
                             f"+ (1 - eps) * x_fake between the real and generated images")
    assert bool(((hi - lo) < 1e-4).all()), \
        ("x_hat mixes the pixels of one sample with different epsilons: the statement draws one eps ~ U[0, 1] per "
         "sample, of shape (N, 1, 1, 1), broadcast over its pixels")
    assert bool((lo > -1e-5).all()) and bool((hi < 1 + 1e-5).all()), \
        "x_hat is not on the segment from x_fake to x_real: x_hat = eps * x_real + (1 - eps) * x_fake, eps in [0, 1]"
    assert float(lo.max() - lo.min()) > 1e-4, \
        "every sample got the same epsilon: the statement draws one eps ~ U[0, 1] per sample"


@points(1)
def test_slope_two_critic_gives_one(v, ref):
    # a linear critic with a gradient norm n in [1.5, 2.5] (the working seed's) everywhere: the grader's penalty
    w = working(v)
    _zero_for_a_unit_slope_critic(w, ref)  # takes points away only: 0 is what a constant 0 gives too
    n, case = w.inputs.norm_b, ref["slope_two"]
    got = float(w.slope_two)
    assert abs(got - case["penalty"]) < 1e-4, \
        (f"a linear critic with gradient norm {n:g} everywhere has penalty {case['penalty']:.5f}, "
         f"found {got:.6g}{_linear_hint(got, case)}")


@points(1)
def test_no_lambda_inside_and_batch_mean(v, ref):
    w = working(v)
    n = w.inputs.norm_c
    checks.assert_close(w.slope_three, ref["slope_three"], atol=1e-4,
                        name=f"penalty of a linear critic with gradient norm {n:g} everywhere "
                             "(no lambda inside, a mean over the batch)")


@points(0.5)
def test_penalty_is_connected_to_the_critic(v, ref):
    # for a linear critic the penalty depends on its weights: the grader's gradient of it on the working seed's critic
    torch = _torch()
    got = working(v).connected
    assert isinstance(got, torch.Tensor), \
        ("gradient_penalty is not differentiable with respect to the critic's parameters, as the statement requires "
         "(it is part of the critic's loss): take the input gradient with create_graph=True, and do not detach it "
         "or call .item()")
    checks.assert_close(got, ref["connected"], rtol=1e-4, atol=1e-5,
                        name="the penalty's gradient in a linear critic's weights (create_graph=True, not detached?)")


# ------------------------------------------------------------------ P5(c): the losses
def _losses_inputs(seed):
    g = _gen(seed, 11)
    return {"w_unit": _direction(g, 4, 1.0), "w_mid": _direction(g, 4, 1.5), "w_two": _direction(g, 4, 2.0),
            "scalar_real": _randn(g, 8, 1, 2, 2), "scalar_fake": _randn(g, 8, 1, 2, 2),
            "zero_real": _randn(g, 8, 1, 2, 2) + 1.0, "zero_fake": _randn(g, 8, 1, 2, 2),
            "gen_fake": _randn(g, 8, 1, 2, 2),
            "sign_real": _randn(g, 6, 1, 2, 2) - 0.5, "sign_fake": _randn(g, 6, 1, 2, 2) + 2.0,
            "pen_real": _randn(g, 8, 1, 2, 2), "pen_fake": _randn(g, 8, 1, 2, 2),
            "lam_real": _randn(g, 8, 1, 2, 2), "lam_fake": _randn(g, 8, 1, 2, 2),
            "graph_fake": _randn(g, 8, 1, 2, 2)}


def _losses_probe(o, x):
    torch, critic_loss, generator_loss = _torch(), o["critic_loss"], o["generator_loss"]

    def crit(w, real, fake, **kw):
        return critic_loss(toy_critic(x[w]), x[real].clone(), x[fake].clone(), **kw)

    def graph():
        fake = x["graph_fake"].clone().requires_grad_(True)
        loss = generator_loss(toy_critic(x["w_mid"]), fake)
        grad = attempt(lambda: torch.autograd.grad(loss, fake, allow_unused=True)[0] is not None)
        return {"loss": loss, "grad_reaches_the_samples": grad}

    return {"scalar_critic": attempt(crit, "w_unit", "scalar_real", "scalar_fake"),
            "scalar_generator": attempt(lambda: generator_loss(toy_critic(x["w_unit"]), x["scalar_fake"].clone())),
            "zero_penalty": attempt(lambda: float(crit("w_unit", "zero_real", "zero_fake"))),
            "generator_value": attempt(lambda: float(generator_loss(toy_critic(x["w_mid"]), x["gen_fake"].clone()))),
            "value_and_sign": attempt(lambda: crit("w_unit", "sign_real", "sign_fake").detach()),
            "with_penalty": attempt(lambda: crit("w_two", "pen_real", "pen_fake").detach()),
            "with_lam": attempt(lambda: crit("w_two", "lam_real", "lam_fake", lam=0.5).detach()),
            "generator_graph": attempt(graph)}


def _scalars(v):
    checks.assert_tensor(v.scalar_critic, "critic_loss(...)", shape=())
    checks.assert_tensor(v.scalar_generator, "generator_loss(...)", shape=())


@points(1)
def test_critic_loss_when_the_penalty_is_zero(v, ref):
    w = working(v)
    _scalars(w)  # takes points away only
    # a critic with gradient norm 1 everywhere (penalty 0) on the working seed's batch: the grader's loss
    want = ref["zero_penalty"]
    got = float(w.zero_penalty)
    hint = ""
    if abs(got + want["loss"]) < 1e-4:
        hint = ": the sign is flipped (the critic minimises E D(fake) - E D(real))"
    elif abs(got - want["with_sums"]) < 1e-4:
        hint = ": that uses sums over the batch; take means"
    assert abs(got - want["loss"]) < 1e-4, \
        (f"for a critic with gradient norm 1 (penalty 0) expected E D(fake) - E D(real) = {want['loss']:.5f}, "
         f"found {got:.5f}{hint}")


@points(1)
def test_generator_loss_value(v, ref):
    w = working(v)
    _scalars(w)  # takes points away only
    want = ref["generator"]
    got = float(w.generator_value)
    hint = ""
    if abs(got + want["loss"]) < 1e-5:
        hint = ": the sign is flipped (the generator minimises -E D(G(z)))"
    elif abs(got - want["with_sums"]) < 1e-4:
        hint = ": that is a sum over the batch; take the mean"
    assert abs(got - want["loss"]) < 1e-5, f"expected -E D(fake) = {want['loss']:.5f}, found {got:.5f}{hint}"


@points(0.5)
def test_critic_loss_uses_lam(v, ref):
    # a critic whose penalty is exactly 1, called with lam=0.5 (the working seed's batch)
    checks.assert_close(working(v).with_lam, ref["with_lam"], atol=1e-3,
                        name="critic_loss with lam=0.5 when the penalty is 1")


# ------------------------------------------------------------------ P5(d): the optimisers
# The probe hands each optimiser gradients drawn from the seed and steps it; the grader compares the parameters after
# the step with its own. Adam's first step moves every parameter it holds by -lr * sign(gradient), whatever its betas
# (the bias correction makes m and v the gradient and its square), and leaves the others alone: the visible tests
# compare with that. Later steps depend on the betas: test_betas compares three steps with the course's Adam.
OPT_STEPS = 3


def _optimizers_inputs(seed):
    g = _gen(seed, 12)
    x = {**_toy_gen_weights(g), "w": _direction(g, 9, 1.0)}
    # one gradient per step for each of the four tensors (generator.A, generator.c, critic.w, critic.b)
    x["grads"] = [{"generator.A": _randn(g, 3, 9), "generator.c": _randn(g, 9), "critic.w": _randn(g, 9),
                   "critic.b": _randn(g, 1)[0]} for _ in range(OPT_STEPS)]
    return x


def _optimizers_probe(o, x):
    torch, make = _torch(), o["make_optimizers"]

    def nets():
        gen, critic = toy_generator(x["A"], x["c"]), toy_critic(x["w"])
        named = {f"generator.{n}": p for n, p in gen.named_parameters()}
        named.update({f"critic.{n}": p for n, p in critic.named_parameters()})
        return gen, critic, named

    def stepped(which, steps, **kwargs):
        # parameters of both networks after `steps` steps of optimiser `which` (0: opt_g, 1: opt_c), each step with
        # the seed's gradients on every parameter of both networks
        gen, critic, named = nets()
        opt = list(make(gen, critic, **kwargs))[which]
        after = []
        for k in range(steps):
            for n, p in named.items():
                p.grad = x["grads"][k][n].clone()
            opt.step()
            after.append({n: p.detach().clone() for n, p in named.items()})
        return after

    return {"opt_g_steps": attempt(stepped, 0, OPT_STEPS), "opt_c_steps": attempt(stepped, 1, OPT_STEPS),
            "opt_g_lr": attempt(stepped, 0, 1, lr=1e-3), "opt_c_lr": attempt(stepped, 1, 1, lr=1e-3)}


def _first_step(x, after, network, wanted, lr, what):
    """``after`` (the parameters after one step) against ``wanted`` (the grader's first Adam step, recorded on the
    working seed) on ``network``'s, the others unmoved."""
    torch = _torch()
    before = {"generator.A": x.A, "generator.c": x.c, "critic.w": x.w, "critic.b": torch.zeros(())}
    assert isinstance(after, dict) and set(after) == set(before), f"the check could not step {what}"
    assert isinstance(wanted, dict) and set(wanted) == set(before), "the recorded first step names other parameters"
    for n, b in before.items():
        want = wanted[n] if n.startswith(network) else b
        moved = not torch.equal(after[n], b)
        hint = ""
        if not n.startswith(network) and moved:
            hint = f": {what} holds {n}, a parameter of the other network"
        elif n.startswith(network) and not moved:
            hint = f": {what} does not hold {n}"
        checks.assert_close(after[n], want, rtol=0, atol=lr * 1e-3,
                            name=f"{n} after one step of {what} (Adam's first step is -lr * sign(gradient)){hint}")


@points(1)
def test_the_first_optimiser_holds_the_generator(v, ref):
    w, want = working(v), ref
    _first_step(w.inputs, w.opt_g_steps[0], "generator", want["default_lr"], 3e-4, "opt_g (the first optimiser returned)")


@points(1)
def test_the_second_optimiser_holds_the_critic(v, ref):
    w, want = working(v), ref
    _first_step(w.inputs, w.opt_c_steps[0], "critic", want["default_lr"], 3e-4, "opt_c (the second optimiser returned)")


@points(0.5)
def test_the_lr_argument_is_used(v, ref):
    w, want = working(v), ref
    _first_step(w.inputs, w.opt_g_lr[0], "generator", want["lr_1e-3"], 1e-3, "opt_g made with lr=1e-3")
    _first_step(w.inputs, w.opt_c_lr[0], "critic", want["lr_1e-3"], 1e-3, "opt_c made with lr=1e-3")


_ADAM_SLIPS = (("betas_default", "that is Adam's default betas (0.9, 0.999)"),
               ("betas_dcgan", "that is betas (0.5, 0.999), the DCGAN setting"))


@points(0.5)
def test_betas(v, ref):
    # three steps with the seed's gradients against the course's Adam (beta1 = 0, beta2 = 0.9), which the grader ran
    torch, w, want = _torch(), working(v), ref
    for network, steps, what in (("generator", w.opt_g_steps, "opt_g"), ("critic", w.opt_c_steps, "opt_c")):
        after = usable(f"{what} stepped {OPT_STEPS} times", steps)
        assert isinstance(after, list) and len(after) == OPT_STEPS, f"the check could not step {what} {OPT_STEPS} times"
        names = [n for n in want["betas"] if n.startswith(network)]

        def close(key):
            return all(bool(torch.allclose(after[-1][n], want[key][n], rtol=0, atol=3e-7)) for n in names)

        if close("betas"):
            continue
        hint = next((f": {say}" for key, say in _ADAM_SLIPS if close(key)), "")
        raise AssertionError(f"after {OPT_STEPS} steps {what} has not moved the {network}'s parameters as Adam with "
                             f"the course's settings does (beta1 = 0, beta2 = 0.9, written betas=(0.0, 0.9)){hint}")


def checks_usable(value, name):
    return usable(name, value)


# ------------------------------------------------------------------ P5(e): the steps
STEP_LR = 1e-2


def _step_inputs(seed, salt, critic_norm):
    g = _gen(seed, salt)
    out = {}
    for case in ("moves", "batch", "fresh", "stale"):
        out[case] = {**_toy_gen_weights(g), "w": _direction(g, 9, critic_norm),
                     "x_real": _randn(g, 16, 1, 3, 3) + 0.5, "z": _randn(g, 16, 3)}
    out["stale"]["stale_gen"] = {"A": 100.0 * _randn(g, 3, 9), "c": 100.0 * _randn(g, 9)}
    out["stale"]["stale_critic"] = {"w": 100.0 * _randn(g, 9), "b": 100.0 * _randn(g, 1)[0]}
    return out


def _critic_step_inputs(seed):
    return _step_inputs(seed, 13, 3.0)


def _generator_step_inputs(seed):
    return _step_inputs(seed, 14, 1.0)


def _params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def _step_probe(step, case, which):
    """Run the student's ``step`` once on fresh toys made from ``case``; what it returned and the parameters after."""
    torch = _torch()
    gen, critic = toy_generator(case["A"], case["c"]), toy_critic(case["w"])
    opt = torch.optim.Adam((critic if which == "critic" else gen).parameters(), lr=STEP_LR, betas=(0.0, 0.9))
    for model, key in ((gen, "stale_gen"), (critic, "stale_critic")):
        for n, p in model.named_parameters():
            if key in case and (which == "critic") == (model is critic):  # stale gradients, as the other step leaves
                p.grad = case[key][n].clone()
    if which == "critic":
        loss = step(gen, critic, opt, case["x_real"].clone(), case["z"].clone())
    else:
        loss = step(gen, critic, opt, case["z"].clone())
    def grad_sizes(model):  # what the step left in each parameter's .grad (None: nothing)
        return {n: None if p.grad is None else float(p.grad.abs().sum()) for n, p in model.named_parameters()}

    return {"loss": loss, "generator": _params(gen), "critic": _params(critic), "generator_grads": grad_sizes(gen)}


def _critic_step_probe(o, x):
    return {case: attempt(_step_probe, o["critic_step"], x[case], "critic") for case in ("moves", "batch", "fresh", "stale")}


def _generator_step_probe(o, x):
    return {case: attempt(_step_probe, o["generator_step"], x[case], "generator")
            for case in ("moves", "batch", "fresh", "stale")}


def _step_out(v, case):
    return checks_usable(getattr(v, case), f"the step on the {case} batch")


def _loss_as_a_float(out):
    loss = out["loss"]
    assert isinstance(loss, float), \
        f"expected the loss as a Python float, found {type(loss).__name__} (use loss.item())"


@points(1.25)
def test_returns_the_critic_loss_of_the_batch(v, ref):
    # a linear critic has the same input gradient everywhere, so its penalty is not random; the grader computed
    # the loss of the working seed's batch
    out = _step_out(working(v), "batch")
    _loss_as_a_float(out)
    want = ref["batch"]
    wasserstein, loss = want["wasserstein"], want["loss"]
    got = float(out["loss"])
    hint = ""
    if abs(got - wasserstein) < 1e-3:
        hint = ": that is E D(fake) - E D(real) alone; the gradient penalty (lambda = 10) is missing"
    elif abs(got + loss) < 1e-3:
        hint = ": the sign is flipped; the critic minimises L_D (ascending it is a sign error)"
    assert abs(got - loss) < 1e-3, \
        (f"expected the critic loss L_D = E D(fake) - E D(real) + 10 * penalty = {loss:.4f} on this batch "
         f"(computed before the update), found {got:.4f}{hint}")


@points(1.25)
def test_returns_the_generator_loss_of_the_batch(v, ref):
    out = _step_out(working(v), "batch")
    _loss_as_a_float(out)
    want = ref["batch_loss"]
    got = float(out["loss"])
    hint = ": the sign is flipped; the generator minimises L_G = -E D(G(z))" if abs(got + want) < 1e-4 else ""
    assert abs(got - want) < 1e-4, \
        f"expected L_G = -E D(G(z)) = {want:.4f} on this batch (before the update), found {got:.4f}{hint}"


@points(2.5)
def test_update_descends_the_critic_loss_and_leaves_the_generator(v, ref):
    _critic_update_descends(v, ref)


def _critic_update_descends(v, ref):
    # a fresh Adam moves every parameter by -lr * sign(gradient): the grader's step on the working seed's toys
    torch, w = _torch(), working(v)
    case, out = w.inputs.fresh, _step_out(w, "fresh")
    for n in ("A", "c"):
        assert torch.equal(out["generator"][n], case[n]), "critic_step changed the generator"
    want = ref["fresh_critic"]
    for n in ("w", "b"):
        checks.assert_close(out["critic"][n], want[n], atol=2e-4,
                            name=f"critic parameter {n} after one Adam step (sign of the gradient of L_D, "
                                 "fresh gradients, penalty included?)")


def _ignores_stale_gradients(v, ref, network, params, opt):
    # the step runs with stale values in its optimiser's gradients (as the other network's step can leave): the
    # update must be the fresh step's, which the grader computed
    torch, w = _torch(), working(v)
    case, out = w.inputs.stale, _step_out(w, "stale")
    other = "critic" if network == "generator" else "generator"
    assert all(torch.equal(out[other][n], case[n]) for n in out[other] if n in case), \
        f"{'generator' if network == 'critic' else 'critic'}_step changed the {other}"
    want = ref
    got = out[network]
    if all(bool(torch.allclose(got[n], want[f"stale_{network}"][n], atol=2e-4)) for n in params):
        return
    polluted = all(bool(torch.allclose(got[n], want["stale_kept"][n], atol=2e-4)) for n in params)
    hint = f": it added this step's gradients to those left over; call {opt}.zero_grad() before backward" \
        if polluted else ""
    raise AssertionError(f"with gradients left over in the {network}'s parameters, the step did not update the "
                         f"{network} as one step on fresh gradients does (the statement: a step must not be polluted "
                         f"by gradients left over from the other network's step){hint}")


@points(1.75)
def test_update_ignores_stale_gradients(v, ref):
    _ignores_stale_gradients(v, ref, "critic", ("w", "b"), "opt_c")


@points(1.25)
def test_generator_update_ignores_stale_gradients(v, ref):
    _ignores_stale_gradients(v, ref, "generator", ("A", "c"), "opt_g")


test_generator_update_ignores_stale_gradients.__name__ = "test_update_ignores_stale_gradients"


@points(0.5)
def test_leaves_no_gradient_in_the_generator(v, ref):
    _critic_update_descends(v, ref)  # takes points away only: a step that does not train the critic earns nothing here
    out = _step_out(working(v), "fresh")
    left = [n for n, size in out["generator_grads"].items() if size]
    assert not left, \
        ("critic_step left gradients in the generator's parameters: the fakes it scores carried a graph to the "
         "generator (make them under torch.no_grad() or detach them; the statement: the critic step leaves no "
         "gradient in the generator)")


@points(1.5)
def test_update_descends_the_generator_loss_and_leaves_the_critic(v, ref):
    torch, w = _torch(), working(v)
    case, out = w.inputs.fresh, _step_out(w, "fresh")
    assert torch.equal(out["critic"]["w"], case["w"]) and float(out["critic"]["b"]) == 0.0, \
        "generator_step changed the critic"
    want = ref["fresh_generator"]
    for n in ("A", "c"):
        checks.assert_close(out["generator"][n], want[n], atol=2e-4,
                            name=f"generator parameter {n} after one Adam step (sign of the gradient of L_G, "
                                 "fresh gradients, graph through the generator?)")


# ------------------------------------------------------------------ P5(g): graded from the handed-in weights
WEIGHTS = "p5_generator_weights.pt"
MAX_WEIGHTS_BYTES = 1_000_000
SCORE_BAR, CLASSES_BAR = 8.25, 9
# the first 0.5 points: a trained generator's draw (a quarter epoch scores 2.5-2.9, the kit's untrained Generator with its
# weights scaled up 10-30x 1.3-2.9; one epoch is far above)
LOW_SCORE_BAR, LOW_CLASSES_BAR = 5.0, 8
_DRAWS: dict = {}  # (step, sha256 of the file, seed) -> what the step gave, or the reason it earns 0; the last used
MAX_DRAWS = 8  # last (two steps a file): the judge process lives on from one grading to the next


def _absent_in_fast_mode(v):
    # fast mode (CI's smoke run, a student's quick check) trains too little to write the graded file
    from dgmlab import runtime

    return runtime.mode() == "fast" and WEIGHTS not in v.files


def drawn_samples(data: bytes, seed: int):
    """The 100 samples drawn with noise ``seed`` from the handed-in weights ``data`` put into the kit's own
    Generator(capacity=32), once they are 100 well-formed images (else raises with the reason)."""
    import hashlib

    from dgmlab import artifacts

    torch = _torch()

    def draw():
        state = artifacts.load_bytes(data, name=WEIGHTS, max_bytes=MAX_WEIGHTS_BYTES, made_by="the P5 training cell")
        generator = artifacts.load_weights(given_mnist_generator(capacity=32), state,
                                           name=f"the weights in {WEIGHTS}")  # full mode's capacity; eval mode
        z = torch.randn(100, SEED_DIM, generator=torch.Generator().manual_seed(int(seed)))
        with torch.no_grad():
            return artifacts.samples(generator(z).float(), name=f"the samples drawn from {WEIGHTS}", value_range=(0, 1))

    return remembered(_DRAWS, MAX_DRAWS, ("draw", hashlib.sha256(data).hexdigest(), int(seed)), draw)


def graded_samples(data: bytes, seed: int):
    """``(samples, near-copy report)``: :func:`drawn_samples` once they are new images (at most 3 near-copies of
    MNIST digits); raises with the reason the cell earns 0 otherwise. The draw and the near-copy look-up run once
    per file and seed."""
    import hashlib

    from dgmlab import artifacts

    x = drawn_samples(data, seed)
    key = ("new", hashlib.sha256(data).hexdigest(), int(seed))
    return remembered(_DRAWS, MAX_DRAWS, key, lambda: (x, artifacts.require_new(x, scale="[0,1]")))


def dashboard_draw(data: bytes, seed: int) -> bytes:
    """The graded draw as the file the class dashboard shows (``graded_draw_100.pt``: torch.save of the 100
    images), for the grader to leave in the submission's autograded folder."""
    buffer = io.BytesIO()
    _torch().save(drawn_samples(data, seed).clone(), buffer)
    return buffer.getvalue()


def _keep_the_draw(v, ref):
    # The grader leaves its draw, made from the file as handed in, in the submission's autograded folder for the class
    # dashboard (ref.keep: dgmlab.grading.judge; nothing is kept while you work). It decides no point.
    try:
        ref.keep("graded_draw_100.pt", dashboard_draw(v.files[WEIGHTS], v.seed_of(WEIGHTS)))
    except Exception:  # no file, a refused or unusable one, or a judge that keeps nothing: nothing to show
        pass


def _score_of_the_draw(v):
    from dgmlab import metrics

    x, _ = graded_samples(v.files[WEIGHTS], v.seed_of(WEIGHTS))  # weights that fail the checks above earn nothing
    score, _ = metrics.mnist_score(x, splits=1, scale="[0,1]")
    return float(score), int(metrics.mnist_predict(x, scale="[0,1]").unique().numel())


@points(0.5)
def test_saved_generator_draws_100_new_images(v, ref):
    if _absent_in_fast_mode(v):
        return  # nothing to score in fast mode
    _keep_the_draw(v, ref)
    score, classes = _score_of_the_draw(v)
    assert score >= LOW_SCORE_BAR and classes >= LOW_CLASSES_BAR, (
        f"expected a trained generator: an MNIST classifier score of at least {LOW_SCORE_BAR} with at least "
        f"{LOW_CLASSES_BAR} digit classes on the 100 drawn samples, found {score:.2f} with {classes} classes (weights "
        f"that load but were barely trained earn nothing)")


@points(1.5)
def test_mnist_classifier_score_above_the_bar(v, ref):
    if _absent_in_fast_mode(v):
        return
    score, classes = _score_of_the_draw(v)
    assert score >= SCORE_BAR, (
        f"expected an MNIST classifier score of at least {SCORE_BAR}, found {score:.2f} on the 100 drawn "
        f"samples: below the bar (a full 40-epoch run clears it; a run stopped early may not)")
    assert classes >= CLASSES_BAR, \
        (f"expected at least {CLASSES_BAR} of the 10 digit classes among the drawn samples, found {classes}: "
         "the generator covers too few digits (mode collapse)")


# ------------------------------------------------------------------ P6(b): the schedule
def _schedule_inputs(seed):
    rng = _rng(seed, 15)
    custom = [(int(rng.integers(0, 10)), int(rng.integers(1, 10)), round(float(rng.uniform(0.1, 1.0)), 6),
               round(float(rng.uniform(0.001, 0.05)), 6)) for _ in range(4)]
    custom[0] = (custom[0][1], *custom[0][1:])  # one call exactly at its cut
    return {"epochs": [int(e) for e in rng.integers(0, 200, size=6)], "custom": custom}


SCHEDULE_CALLS = {"around_the_cut": [(e,) for e in (0, 40, 79, 80, 81, 99)], "long": [(199, 200), (200, 200)]}


def _schedule_probe(o, x):
    fn = o["lr_at_epoch"]

    def call(args):
        keys = ("epoch", "cut_epoch", "lr", "lr_low")
        return fn(args[0], **dict(zip(keys[1:], args[1:], strict=False)))  # the arguments a call names

    out = {name: attempt(lambda: [call(a) for a in SCHEDULE_CALLS[name]]) for name in ("around_the_cut", "long")}
    out["custom"] = attempt(lambda: [call(a) for a in x["custom"]])
    out["defaults"] = attempt(lambda: [[fn(e, cut_epoch=1000), fn(e, cut_epoch=0)] for e in x["epochs"]])
    out["random_epochs"] = attempt(lambda: [[fn(e), fn(e, cut_epoch=100 + e % 7)] for e in x["epochs"]])
    return out


@points(0.5)
def test_default_rates(v, ref):
    # before a cut that never comes, the default lr; after a cut at 0, the default lr_low (seeded epochs)
    for epoch, (before, after) in zip(v.inputs.epochs, v.defaults, strict=True):
        assert isinstance(before, float), f"expected a Python float, found {type(before).__name__}"
        assert abs(before - 3e-4) < 1e-15, \
            f"expected the initial rate 3e-4 at epoch {epoch} with cut_epoch=1000, found {before:g}"
        assert abs(float(after) - 3e-5) < 1e-15, \
            f"expected the low rate 3e-5 at epoch {epoch} with cut_epoch=0, found {after:g}"


@points(1)
def test_custom_rates(v, ref):
    w = working(v)
    got, wanted = w.custom, ref["custom"]
    assert isinstance(got, list) and len(got) == len(w.inputs.custom), "lr_at_epoch was not run on every call"
    for (epoch, cut, lr, lr_low), value, want in zip(w.inputs.custom, got, wanted, strict=True):
        assert abs(float(value) - want) < 1e-12, \
            (f"lr_at_epoch({epoch}, cut_epoch={cut}, lr={lr:g}, lr_low={lr_low:g}) gave {float(value):g}: are lr and "
             f"lr_low used, and does the cut start at epoch cut_epoch?")


@points(2)
def test_schedule_for_other_cuts(v, ref):
    w = working(v)
    before, after = w.long
    assert abs(float(before) - 3e-4) < 1e-15 and abs(float(after) - 3e-5) < 1e-15, \
        "with cut_epoch=200, epoch 199 must use lr and epoch 200 lr_low: is cut_epoch used?"
    wanted = ref["random_epochs"]
    for epoch, (_, got), want in zip(w.inputs.epochs, w.random_epochs, wanted, strict=True):
        cut = 100 + epoch % 7
        assert abs(float(got) - want) < 1e-15, \
            f"the rate at epoch {epoch} with cut_epoch={cut} is wrong: is cut_epoch used?"


CHECKS = [
    CheckSpec("p1_conjugate_tests", 2, 1.25, ("f_star_kl",), visible=(test_kl_conjugate_at_seeded_points,),
              inputs=with_working(lambda seed: _conjugate_inputs(seed, 16, -2.0, 2.0))),
    CheckSpec("p1_objective_tests", 3, 1.75, ("kl_objective", "kl_optimal_critic"),
              visible=(test_constant_critic_gives_zero, test_value_on_two_points,
                       test_optimal_critic_is_one_when_p_equals_q, test_optimal_critic_maximises_the_objective),
              probe=_kl_probe, inputs=_objective_cell_inputs(1)),
    CheckSpec("p2_conjugate_tests", 2, 1.25, ("f_star_rkl",), visible=(test_rkl_conjugate_at_seeded_points,),
              inputs=with_working(lambda seed: _conjugate_inputs(seed, 17, -3.0, -0.2))),
    CheckSpec("p2_objective_tests", 3, 1.75, ("rkl_objective", "rkl_optimal_critic"),
              visible=(test_rkl_constant_critic_gives_zero, test_rkl_value_on_two_points,
                       test_optimal_critic_is_minus_one_when_p_equals_q, test_rkl_optimal_critic_maximises_the_objective),
              probe=_rkl_probe, inputs=_objective_cell_inputs(2)),
    CheckSpec("p3_costs_tests", 5, 2.75, ("smoothing_costs",),
              visible=(test_returns_two_floats_and_zero_without_noise, test_emd_on_two_points,
                       test_identity_cost_on_two_points, test_identity_cost_is_the_mean_length_of_the_moves),
              probe=_on_working(_costs_probe), inputs=with_working(_costs_inputs)),
    CheckSpec("p4_linprog_tests", 3, 0, ("marginal_constraints", "w1_linprog"),
              visible=(test_constraints_hold_for_couplings, test_constraints_reject_a_wrong_row_sum,
                       test_constraints_reject_a_wrong_column_sum, test_distance_to_itself_is_zero,
                       test_moving_all_mass_from_the_first_point_to_the_second,
                       test_matches_pot_and_returns_a_valid_plan, test_asymmetric_cost_orientation),
              probe=_on_working(_linprog_probe), inputs=with_working(_linprog_inputs)),
    CheckSpec("p4_glue_tests", 3, 1.5, ("glue_couplings",),
              visible=(test_diagonal_plans_glue_to_a_diagonal_plan, test_a_zero_in_r_gives_no_nan,
                       test_glued_plan_is_a_coupling_of_p_and_q),
              probe=_glue_probe, inputs=_glue_inputs),
    CheckSpec("p5_critic_tests", 6, 3.5, ("Critic", "ResidualBlock"),
              visible=MNIST_BLOCK_TESTS,
              probe=_on_working(_mnist_critic_probe), inputs=with_working(lambda seed: _network_inputs(seed, 1, 28))),
    CheckSpec("p5_gradient_penalty_tests", 8, 4.5, ("gradient_penalty",),
              visible=(test_slope_two_critic_gives_one, test_penalty_is_connected_to_the_critic,
                       test_no_lambda_inside_and_batch_mean, test_one_epsilon_per_sample),
              probe=_on_working(_penalty_probe), inputs=with_working(_penalty_inputs)),
    CheckSpec("p5_losses_tests", 5, 2.5, ("critic_loss", "generator_loss"),
              visible=(test_critic_loss_when_the_penalty_is_zero, test_generator_loss_value, test_critic_loss_uses_lam),
              probe=_on_working(_losses_probe), inputs=with_working(_losses_inputs)),
    CheckSpec("p5_optimizers_tests", 3, 0, ("make_optimizers",),
              visible=(test_the_first_optimiser_holds_the_generator, test_the_second_optimiser_holds_the_critic,
                       test_the_lr_argument_is_used, test_betas),
              probe=_on_working(_optimizers_probe), inputs=with_working(_optimizers_inputs)),
    CheckSpec("p5_critic_step_tests", 6, 0, ("critic_step",),
              visible=(test_returns_the_critic_loss_of_the_batch, test_update_descends_the_critic_loss_and_leaves_the_generator,
                       test_update_ignores_stale_gradients, test_leaves_no_gradient_in_the_generator),
              probe=_on_working(_critic_step_probe), inputs=with_working(_critic_step_inputs)),
    CheckSpec("p5_generator_step_tests", 4, 0, ("generator_step",),
              visible=(test_returns_the_generator_loss_of_the_batch,
                       test_update_descends_the_generator_loss_and_leaves_the_critic,
                       test_generator_update_ignores_stale_gradients),
              probe=_on_working(_generator_step_probe), inputs=with_working(_generator_step_inputs)),
    CheckSpec("p5_mnist_samples_tests", 2, 0, (),
              visible=(test_saved_generator_draws_100_new_images, test_mnist_classifier_score_above_the_bar),
              files=(WEIGHTS,)),
    CheckSpec("p6_generator_tests", 6, 3.25, ("CifarGenerator", "ResidualBlock"),
              visible=(test_nine_residual_blocks, test_seed_map_is_eight_by_eight,
                       test_every_generator_parameter_gets_its_gradient),
              probe=_on_working(_cifar_generator_probe), inputs=with_working(_cifar_generator_inputs)),
    CheckSpec("p6_critic_tests", 4, 2.25, ("CifarCritic", "ResidualBlock"),
              visible=CIFAR_BLOCK_TESTS,
              probe=_on_working(_cifar_critic_probe), inputs=with_working(lambda seed: _network_inputs(seed, 3, 32))),
    CheckSpec("p6_schedule_tests", 4, 0.5, ("lr_at_epoch",),
              visible=(test_default_rates, test_custom_rates, test_schedule_for_other_cuts),
              probe=_on_working(_schedule_probe), inputs=with_working(_schedule_inputs)),
]
