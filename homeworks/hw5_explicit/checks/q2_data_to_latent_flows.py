"""hw5_explicit Q2 (q2_data_to_latent_flows): a flow's density and empirical risk; each cell's inputs, probe,
visible tests and CheckSpec."""
from __future__ import annotations

import math

from dgmlab.probes import CheckSpec, _np, _sp, _torch, asserts, attempt  # lazy imports
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import _detached, symbols


# ====================================================================== Q2
def _q2_density_inputs(seed):
    rng = _np().random.default_rng(int(seed) + 21)
    return {"a": int(rng.integers(2, 6)), "b": int(rng.integers(-3, 4))}


def _q2_density_probe(o, x):
    sp, s = _sp(), symbols()
    fn, xs, zs, q = o["flow_density"], s["x_sym"], s["z_sym"], s["standard_normal"]
    flows = [xs ** 3 + xs, sp.sinh(xs), x["a"] * xs + x["b"]]
    return {"affine": attempt(fn, q, 2 * xs + 1),
            "increasing": attempt(lambda: [fn(q, f) for f in flows]),
            "exp_latent": attempt(fn, sp.exp(-zs) * sp.Heaviside(zs), sp.exp(xs))}


NONNEGATIVE_AT = (-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0)  # the x where the visible check reads the density's sign


@points(0.25)
def test_is_a_nonnegative_expression_in_x(v, ref):
    # a density: an expression in x that is nowhere negative (its values by substitution: nothing is run)
    x = symbols()["x_sym"]
    asserts.assert_sympy_expr(v.affine, "flow_density(q, f)", symbols=[x])
    values = {t: v.affine.subs(x, _sp().Float(t)).evalf() for t in NONNEGATIVE_AT}
    negative = [t for t, y in values.items() if y.is_real and float(y) < 0]
    if negative:
        raise AssertionError(
            f"for f(x) = 2x + 1 and Q = N(0, 1), flow_density(q, f) is negative at x = {negative[0]:g} "
            f"({float(values[negative[0]]):.4g}), and a density is nowhere negative")


@points(0.5)
def test_density_of_an_affine_flow_integrates_to_one(v, ref):
    from scipy.integrate import quad

    # z = f(x) = 2x + 1 with Q = N(0, 1): P_w is a density on the real line. lambdify prints the expression as
    # Python and runs it: only the grader's symbol and dgmlab.probes.wire's whitelisted functions may be in it
    asserts.assert_sympy_expr(v.affine, "flow_density(q, f)", symbols=[symbols()["x_sym"]])
    p = _sp().lambdify(symbols()["x_sym"], v.affine, "math")
    total = quad(p, -20, 20)[0]
    hint = ""
    if abs(total - 0.5) < 1e-6:
        hint = ": the Jacobian factor is missing"
    elif abs(total - 0.25) < 1e-6:
        hint = ": the Jacobian factor enters the wrong way round (here the flow maps data to latent)"
    if not abs(total - 1) < 1e-6:
        raise AssertionError(
            f"for f(x) = 2x + 1 and Q = N(0, 1), P_w(x) should integrate to 1 over x; it integrates to {total:.6f}{hint}")


@points(0.5)
def test_density_of_an_exp_flow_integrates_to_one(v, ref):
    from scipy.integrate import quad

    # an Exp(1) latent and the flow f(x) = exp(x), which maps the real line onto (0, inf) (checked before lambdify
    # as above)
    asserts.assert_sympy_expr(v.exp_latent, "flow_density(q, f)", symbols=[symbols()["x_sym"]])
    p = _sp().lambdify(symbols()["x_sym"], v.exp_latent, "math")
    total = quad(p, -30, 10)[0]
    if not abs(total - 1) < 1e-6:
        raise AssertionError(
            f"for f(x) = exp(x) and an Exp(1) latent, P_w(x) should integrate to 1; it integrates to {total:.6f}")


# ---------------------------------------------------------------------- Q2 risk
def _std_normal_log_q(z):
    return _torch().distributions.Normal(0.0, 1.0).log_prob(z).sum(dim=1)


def _q2_risk_inputs(seed):
    torch, g = _torch(), _gen(seed, 22)
    return {"a": torch.rand(3, generator=g, dtype=torch.float64) * 2 + 0.2,   # scales (not 1: the Jacobian matters)
            "b": torch.randn(3, generator=g, dtype=torch.float64),
            "x": torch.randn(7, 3, generator=g, dtype=torch.float64) * 2,
            "x_grad": torch.randn(5, 2, generator=g)}


def _q2_risk_probe(o, x):
    torch, risk = _torch(), o["flow_empirical_risk"]
    identity = lambda t: (t, torch.zeros(t.shape[0]))  # noqa: E731
    halve = lambda t: (t / 2, torch.full((t.shape[0],), -math.log(2.0)))  # noqa: E731
    shifted = lambda t: (t / 2, torch.full((t.shape[0],), 1 - math.log(2.0)))  # noqa: E731
    a, b = x["a"], x["b"]
    affine = lambda t: ((t - b) / a, -torch.log(a).sum().expand(t.shape[0]))  # noqa: E731

    def has_grad():
        s = torch.tensor([2.0, 0.5], requires_grad=True)
        flow = lambda t: (t / s, -torch.log(s).sum().expand(t.shape[0]))  # noqa: E731
        risk(flow, _std_normal_log_q, x["x_grad"].clone()).backward()
        return s.grad is not None

    c = x["b"][:2].float()
    centred = lambda t: (t - c, torch.zeros(t.shape[0]))  # noqa: E731
    return {"identity_on_zeros": attempt(lambda: _detached(risk(identity, _std_normal_log_q, torch.zeros(4, 2)))),
            "shift_to_zero": attempt(lambda: _detached(risk(centred, _std_normal_log_q, c.expand(4, 2).clone()))),
            "log_det_shift": attempt(lambda: [float(risk(f, _std_normal_log_q, torch.zeros(3, 1)))
                                              for f in (halve, shifted)]),
            "affine_risk": attempt(lambda: _detached(risk(affine, _std_normal_log_q, x["x"].clone()))),
            "differentiable": attempt(has_grad)}


@points(0.5)
def test_identity_flow_on_zeros(v, ref):
    risk = v.identity_on_zeros
    asserts.assert_tensor(risk, "flow_empirical_risk(...)", shape=())
    want = math.log(2 * math.pi)
    hint = ""
    if abs(float(risk) - 4 * want) < 1e-4:
        hint = ": that is the sum over the 4 points; the risk is a mean"
    elif abs(float(risk) + want) < 1e-4:
        hint = ": that is the mean log-likelihood; the risk is its negative"
    if not abs(float(risk) - want) < 1e-5:
        raise AssertionError(
            f"for the identity flow and N(0, I) in 2-D at x = 0 expected the risk log(2 pi) = {want:.5f}, "
            f"found {float(risk):.5f}{hint}")


@points(0.25)
def test_the_latent_density_is_read_where_the_flow_sends_x(v, ref):
    # the shift z = x - c (log-det 0) on a batch of 4 copies of c: every latent is 0, so P_w(x) = Q(0) at each point
    risk = v.shift_to_zero
    asserts.assert_tensor(risk, "flow_empirical_risk(...)", shape=())
    want = math.log(2 * math.pi)
    if not abs(float(risk) - want) < 1e-5:
        raise AssertionError(
            f"for the flow z = x - c on a batch whose every point is c (so every z is 0, log-det 0) and N(0, I) in "
            f"2-D, expected the risk log(2 pi) = {want:.5f}, found {float(risk):.5f}: log_q reads the latents the "
            f"flow returns")


@points(1)
def test_the_log_det_counts_once_per_point_with_its_sign(v, ref):
    # two flows with the same latent z = x / 2 whose log-dets differ by 1 at each of 3 points
    before, after = v.log_det_shift
    change = after - before
    hint = ""
    if abs(change - 1) < 1e-4:
        hint = ": the log-determinant enters with the wrong sign"
    elif abs(change) < 1e-4:
        hint = ": the log-determinant the flow returns was left out"
    elif abs(abs(change) - 3) < 1e-4:
        hint = ": the log-determinants are summed over the 3 points; the risk is a mean"
    if not abs(change + 1) < 1e-5:
        raise AssertionError(
            f"when the flow's log|det| grows by 1 at every point, the risk should change by 1 (one sign, once per "
            f"point, averaged); it changed by {change:+.5f}{hint}")


@points(0.5)
def test_risk_is_differentiable(v, ref):
    if v.differentiable is not True:
        raise AssertionError(
            "the risk must be differentiable through the flow's parameters (no .item(), float() or new tensors)")


CHECKS = [
    CheckSpec("q2_density_tests", names=("flow_density",),
              visible=(test_is_a_nonnegative_expression_in_x, test_density_of_an_affine_flow_integrates_to_one,
                       test_density_of_an_exp_flow_integrates_to_one),
              probe=_q2_density_probe, inputs=_q2_density_inputs),
    CheckSpec("q2_risk_tests", names=("flow_empirical_risk",),
              visible=(test_identity_flow_on_zeros, test_the_latent_density_is_read_where_the_flow_sends_x,
                       test_the_log_det_counts_once_per_point_with_its_sign, test_risk_is_differentiable),
              probe=_q2_risk_probe, inputs=_q2_risk_inputs),
]
