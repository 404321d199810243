"""hw5_explicit's graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw5_explicit/hidden/``, never in the student package); they read
the values each probe returns as the visible tests do, ``test_x(v, ref)``. Nothing here answers a question: the
probes call the student's functions and classes on inputs (and on toy models and flows of their own that are not
answers), and keep what comes back; the visible tests check form and easy cases and compare values on the working
seed's inputs with ``ref``, what the grader's references gave on them, recorded with the kit.
"""
from __future__ import annotations

import math

from dgmlab import checks
from dgmlab.testing import points
from dgmlab.probes import (
    on_working, with_working, working, Answers, CheckSpec, TestFailure, attempt,
    seeded_generator as _gen)
from dgmlab.probes import _np, _sp, _torch  # lazy imports

P1_WEIGHTS_FILE = "p1_pixelcnn_weights.pt"
P2_WEIGHTS_FILE = "p2_realnvp_weights.pt"


def symbols() -> dict:
    """The notebook's fixed symbols (its locked cells q2_symbols, q3_symbols)."""
    sp = _sp()
    x_sym, z_sym = sp.symbols("x z", real=True)
    return {"x_sym": x_sym, "z_sym": z_sym, "standard_normal": sp.exp(-z_sym ** 2 / 2) / sp.sqrt(2 * sp.pi),
            "theta": sp.symbols("theta", positive=True)}


def context() -> dict:
    import io

    import numpy as np
    import torch

    from dgmlab import artifacts, likelihoods, metrics, runtime

    return {**symbols(), "sp": _sp(), "np": np, "torch": torch, "nn": torch.nn, "F": torch.nn.functional,
            "math": math, "io": io, "checks": checks, "artifacts": artifacts, "likelihoods": likelihoods,
            "metrics": metrics, "runtime": runtime, "as_stated": as_stated, "P1_WEIGHTS_FILE": P1_WEIGHTS_FILE,
            "P2_WEIGHTS_FILE": P2_WEIGHTS_FILE}


def _seeded(seed: int, salt: int):
    """A context that seeds torch's global generator (for a student's sampling) and restores it after."""
    import contextlib

    torch = _torch()

    @contextlib.contextmanager
    def scope():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed((int(seed) * 1_000_003 + salt) % 2**63)
            yield

    return scope()


# ---------------------------------------------------------------------- visible tests: recorded values
# Converted cells: dgmlab.probes.with_working, on_working and working (what their visible tests compare with: ref,
# what the grader's references gave on those inputs, recorded with the kit).
def _row(t):
    return "[" + ", ".join(f"{v:.4f}" for v in t.tolist()) + "]"


# The kit's loaders (the grader's parameters copied into the student's network) find a network without the stated
# parameters: that is what the hint says, not "your code raised" (the student's code raised nothing).
NOT_AS_STATED = "not_as_stated"


class NotAsStated(ValueError):
    """The student's network does not have the parameters its docstring states (found by the kit's loader)."""


def _stated(fn, *args):
    """``fn(*args)``, or ``{NOT_AS_STATED: why}`` when the kit's loader found the network not as stated."""
    try:
        return fn(*args)
    except NotAsStated as exc:
        return {NOT_AS_STATED: str(exc)}


def as_stated(value):
    """``value``; a failing test saying why when the probe found the network not as stated."""
    if isinstance(value, dict) and NOT_AS_STATED in value:
        raise AssertionError(str(value[NOT_AS_STATED]))
    return value


# ====================================================================== Q1: the discrete world
F_TABLE = (0, 1, 1, 2, 0, 2)          # K = 6 latents decode to X = 4 data points; none gives x = 3
PRIOR_Z = (0.1, 0.2, 0.1, 0.3, 0.2, 0.1)
PRIOR_Y = (0.5, 0.3, 0.2)
# the random worlds' decoders (fixed so that which x no latent reaches does not depend on the seed)
DISC_WORLDS = (((6, 4, 3), (2, 1, 0, 0, 1, 2)), ((9, 5, 4), (3, 0, 1, 2, 3, 2, 1, 0, 3)))
GEN_WORLDS = (((6, 4, 3), (1, 0, 2, 2, 0, 1)), ((10, 5, 4), (0, 2, 1, 2, 2, 0, 1, 1, 0, 2)))  # x = 3: no latent


def _world_inputs(seed, salt, worlds, prob_rows_first):
    torch = _torch()
    g = _gen(seed, salt)
    out = {"F": torch.tensor(F_TABLE), "prior_z": torch.tensor(PRIOR_Z, dtype=torch.float32),
           "prior_y": torch.tensor(PRIOR_Y, dtype=torch.float32), "x_example": torch.tensor([0, 1, 2, 3]),
           "p_y_given_z": torch.softmax(torch.randn(6, 3, generator=g), dim=1),
           "p_z_given_y": torch.softmax(torch.randn(3, 6, generator=g), dim=1), "worlds": []}
    for (K, X, C), table in worlds:
        probs = torch.rand(K if prob_rows_first else C, generator=g, dtype=torch.float64) + 0.1
        shape = (K, C) if prob_rows_first else (C, K)
        table_probs = torch.softmax(3 * torch.randn(*shape, generator=g, dtype=torch.float64), dim=1)
        out["worlds"].append({"F": torch.tensor(table), "prior": probs / probs.sum(), "probs": table_probs,
                              "x": torch.arange(X - 1), "C": C})
    return out


def _q1_disc_inputs(seed):
    return _world_inputs(seed, 11, DISC_WORLDS, True)


def _q1_gen_inputs(seed):
    return _world_inputs(seed, 12, GEN_WORLDS, False)


def _detached(t):
    return t.detach().clone() if isinstance(t, _torch().Tensor) else t


def _posterior_probe(fn, table, prior, x, zero_prior, q, wrt):
    # every value comes from a call on probabilities that require a gradient, and counts only with its graph: the
    # statement asks for tensor operations that keep the result differentiable, so a posterior computed elsewhere
    # (numpy, Python floats) or detached earns nothing (issue 54 finding 4)
    torch = _torch()

    def posterior(probs, *args):
        out = fn(probs.clone().requires_grad_(True), *args)
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            found = type(out).__name__ if not isinstance(out, torch.Tensor) else "a tensor without a gradient"
            raise NotAsStated(f"{q}(y|x) has no gradient with respect to {wrt} (found {found}): the statement asks for "
                            f"tensor operations that keep the result differentiable, since the training steps "
                            f"backpropagate through it; no .detach(), .numpy(), .item() or new tensors built from "
                            f"values (a value without a gradient earns nothing here)")
        return out

    def grad_total():
        probs = table.clone().requires_grad_(True)
        out = posterior(probs, x["F"], prior, x["x_example"][:3])
        (grad,) = torch.autograd.grad(out[:, 0].sum(), probs, allow_unused=True)
        return None if grad is None else float(grad.abs().sum())

    # a value without a gradient comes back as {NOT_AS_STATED: why}: the tests say so, not "your code raised"
    return {"rows": attempt(_stated, lambda: _detached(posterior(table, x["F"], prior, x["x_example"]))),
            "zero_prior_row": attempt(_stated, lambda: _detached(posterior(table, x["F"], zero_prior,
                                                                           torch.tensor([0]))[0])),
            "random_worlds": attempt(_stated, lambda: [_detached(posterior(w["probs"], w["F"], w["prior"], w["x"]))
                                                       for w in x["worlds"]]),
            "unreachable": attempt(_stated, lambda: _detached(posterior(table, x["F"], prior, torch.tensor([3, 0])))),
            "grad_total": attempt(_stated, grad_total)}


def _q1_disc_probe(o, x):
    prior = x["prior_z"].clone()
    prior[4] = 0.0
    return _posterior_probe(o["discriminative_posterior"], x["p_y_given_z"], x["prior_z"], x, prior / prior.sum(),
                            "Q", "P_w(y|z)")


def _q1_gen_probe(o, x):
    torch = _torch()
    return _posterior_probe(o["generative_posterior"], x["p_z_given_y"], x["prior_y"], x,
                            torch.tensor([0.5, 0.5, 0.0]), "Q'", "P_w(z|y)")


def _rows_are_distributions(v, name, q):
    torch = _torch()
    Q = as_stated(v.rows)
    checks.assert_tensor(Q, f"{name}(...)", shape=(4, 3))
    hint = ""
    if not torch.isfinite(Q[3]).all():
        hint = ": the row of x = 3, which no latent decodes to, is NaN or inf (return the uniform 1/C there)"
    assert torch.allclose(Q.sum(dim=1).double(), torch.ones(4, dtype=torch.float64), atol=1e-5), \
        f"expected every row of {q}(y|x) to sum to 1, found row sums {_row(Q.sum(dim=1))}{hint}"


@points(0.25)
def test_disc_rows_are_distributions(v, ref):
    _rows_are_distributions(v, "discriminative_posterior", "Q")


@points(0.5)
def test_a_latent_the_prior_never_draws_plays_no_role(v, ref):
    # latents 0 and 4 decode to x = 0; with P(z = 4) = 0 only latent 0 can have produced x = 0
    torch = _torch()
    got, pyz = as_stated(v.zero_prior_row), v.inputs.p_y_given_z
    checks.assert_tensor(got, "discriminative_posterior(...)[0]", shape=(3,))
    want = pyz[0]
    hint = ""
    if torch.allclose(got, (pyz[0] + pyz[4]) / 2, atol=1e-5):
        hint = ": latent 4 still counts, so the prior P(z) does not enter your Q"
    elif abs(float(got.sum()) - 1) > 1e-5:
        hint = ": the row does not sum to 1 (normalise over y)"
    assert torch.allclose(got, want, atol=1e-5), \
        (f"with P(z = 4) = 0, only latent 0 decodes to x = 0, so Q(y|x = 0) should be P_w(y|z = 0) = {_row(want)}; "
         f"found {_row(got)}{hint}")


def _unreachable_row_is_uniform(v, q):
    torch = _torch()
    row = as_stated(v.unreachable)[0]
    assert torch.isfinite(row).all(), f"{q}(y|x) has NaN or inf for an x that no latent decodes to"
    assert torch.allclose(row.double(), torch.full((3,), 1 / 3, dtype=torch.float64), atol=1e-6), \
        f"expected {q}(y|x) uniform (1/C each) for an x that no latent decodes to, found {_row(row)}"


def _differentiable(v, q, wrt):
    total = as_stated(v.grad_total)
    assert total is not None and total > 0, \
        f"{q}(y|x) must be differentiable with respect to {wrt} (no .detach(), no Python floats in between)"


@points(0.25)
def test_disc_unreachable_x_is_uniform(v, ref):
    _unreachable_row_is_uniform(v, "Q")


@points(0.25)
def test_disc_is_differentiable(v, ref):
    _differentiable(v, "Q", "P_w(y|z)")


@points(0.25)
def test_gen_unreachable_x_is_uniform(v, ref):
    _unreachable_row_is_uniform(v, "Q'")


@points(0.25)
def test_gen_is_differentiable(v, ref):
    _differentiable(v, "Q'", "P_w(z|y)")


@points(0.25)
def test_gen_rows_are_distributions(v, ref):
    _rows_are_distributions(v, "generative_posterior", "Q'")


@points(0.5)
def test_a_class_the_prior_never_draws_gets_no_mass(v, ref):
    # with P(y = 2) = 0, class 2 cannot have produced any x
    got = as_stated(v.zero_prior_row)
    checks.assert_tensor(got, "generative_posterior(...)[0]", shape=(3,))
    hint = ""
    if float(got[2]) > 1e-6:
        hint = ": class 2 still gets mass, so the class prior P(y) does not enter your Q'"
    elif abs(float(got.sum()) - 1) > 1e-5:
        hint = ": the row does not sum to 1 (normalise over y)"
    assert float(got[2]) <= 1e-6 and abs(float(got.sum()) - 1) <= 1e-5, \
        (f"with P(y = 2) = 0, Q'(y|x = 0) should give class 2 no mass and still sum to 1 over y; "
         f"found {_row(got)}{hint}")


# ---------------------------------------------------------------------- Q1 training steps
STEP_WORLD_F = (0, 1, 1, 2, 0, 2, 1)


def _q1_steps_inputs(seed):
    torch = _torch()
    g = _gen(seed, 13)
    out = {"F": torch.tensor(F_TABLE), "prior_z": torch.tensor(PRIOR_Z, dtype=torch.float32),
           "x_train": torch.tensor([0, 1, 2, 1, 0]), "y_train": torch.tensor([0, 2, 1, 2, 0])}
    for key in ("disc_world", "gen_world"):
        pz = torch.rand(7, generator=g, dtype=torch.float64) + 0.1
        out[key] = {"F": torch.tensor(STEP_WORLD_F), "prior_z": pz / pz.sum(),
                    "x": torch.randint(0, 3, (8,), generator=g), "y": torch.randint(0, 3, (8,), generator=g)}
    out["disc_world"]["W"] = torch.randn(7, 3, generator=g, dtype=torch.float64)
    out["gen_world"]["V"] = torch.randn(3, 7, generator=g, dtype=torch.float64)
    # a world whose decoder is one-to-one (F a permutation of the 4 latents): Q(y|x) = P_w(y|z(x)) and
    # P_w(x|y) = P_w(z(x)|y), so both losses are plain cross-entropies the grader computes itself
    pz = torch.rand(4, generator=g, dtype=torch.float64) + 0.1
    out["one_to_one"] = {"F": torch.randperm(4, generator=g), "prior_z": pz / pz.sum(),
                         "x": torch.randint(0, 4, (6,), generator=g), "y": torch.randint(0, 3, (6,), generator=g),
                         "W": torch.randn(4, 3, generator=g, dtype=torch.float64),
                         "V": torch.randn(3, 4, generator=g, dtype=torch.float64)}
    return out


def _step_result(out):
    """A step's (new parameters, loss) as plain values: the tensor, whether it is attached, the loss."""
    new, loss = out
    return {"new": _detached(new), "attached": bool(getattr(new, "requires_grad", False)), "loss": loss}


def _q1_steps_probe(o, x):
    torch = _torch()
    disc, gen = o["discriminative_step"], o["generative_step"]
    F, pz, xt, yt = x["F"], x["prior_z"], x["x_train"], x["y_train"]

    def lowers():  # the new parameters only: the grader computes the losses before and after
        w = x["one_to_one"]
        return {"disc": _detached(disc(w["W"].clone(), w["F"], w["prior_z"], w["x"], w["y"], lr=0.1)[0]),
                "gen": _detached(gen(w["V"].clone(), w["F"], w["x"], w["y"], lr=0.1)[0])}

    dw, gw = x["disc_world"], x["gen_world"]
    return {"disc_at_zero": attempt(lambda: _step_result(disc(torch.zeros(6, 3), F, pz, xt, yt, lr=0.5))),
            "gen_at_zero": attempt(lambda: _step_result(gen(torch.zeros(3, 6), F, xt, yt, lr=0.5))),
            "small_steps": attempt(lowers),
            "disc_world_step": attempt(lambda: _step_result(disc(dw["W"].clone(), dw["F"], dw["prior_z"], dw["x"],
                                                                 dw["y"], lr=0.3))),
            "gen_world_step": attempt(lambda: _step_result(gen(gw["V"].clone(), gw["F"], gw["x"], gw["y"], lr=0.3)))}


@points(0.25)
def test_steps_return_tensor_and_float(v, ref):
    for name, out, shape in (("W_new", v.disc_at_zero, (6, 3)), ("V_new", v.gen_at_zero, (3, 6))):
        assert not out["attached"], \
            f"expected {name} detached from the graph (requires_grad False), found it attached: return (...).detach()"
        checks.assert_tensor(out["new"], name, shape=shape, requires_grad=False)
        loss = out["loss"]
        assert isinstance(loss, float), \
            f"expected the loss as a Python float, found {type(loss).__name__} (use .item())"


@points(0.25)
def test_loss_at_zero_logits_is_log_3(v, ref):
    # zero logits: P_w(y|z) = 1/3, so Q(y|x) = 1/3; P_w(z|y) = 1/6 and each x_j has 2 codes, so P_w(x|y) = 1/3
    for name, out in (("discriminative", v.disc_at_zero), ("generative", v.gen_at_zero)):
        loss = float(out["loss"])
        hint = ""
        if abs(loss - 5 * math.log(3)) < 1e-4:
            hint = ": that is the sum over the 5 examples, not the mean"
        elif abs(loss + math.log(3)) < 1e-4:
            hint = ": that is the log-likelihood; the loss is its negative"
        assert abs(loss - math.log(3)) < 1e-5, \
            f"expected the {name} loss at zero logits to be log 3 = {math.log(3):.5f}, found {loss:.5f}{hint}"


@points(0.5)
def test_a_small_step_lowers_the_loss(v, ref):
    # the grader's own loss, not the one the step reports: in the one-to-one world both losses are cross-entropies
    # (of the rows W[z(x)] against y, of V[y] against z(x)), whose gradient at the start the grader's references
    # recorded; one small step (lr = 0.1) lowers such a loss when it moves against that gradient
    w, want = working(v), ref
    for name, key, letter in (("discriminative", "disc", "W"), ("generative", "gen", "V")):
        start = w.inputs.one_to_one[letter]
        new = w.small_steps[key]
        checks.assert_tensor(new, f"{letter}_new", shape=tuple(start.shape))
        slope = float((want[f"{key}_gradient"] * (new.double() - start)).sum())
        assert slope < 0, \
            (f"expected one step with lr = 0.1 to lower the {name} loss (the loss the statement defines, where each "
             f"x has one latent), so to move against its gradient; {letter}_new - {letter} has inner product "
             f"{slope:+.3g} with dL/d{letter}: step against the gradient, {letter} - lr * dL/d{letter}")


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


@points(0.25)
def test_is_expression_in_x(v, ref):
    checks.assert_sympy_expr(v.affine, "flow_density(q, f)", symbols=[symbols()["x_sym"]])


@points(0.5)
def test_density_of_an_affine_flow_integrates_to_one(v, ref):
    from scipy.integrate import quad

    # z = f(x) = 2x + 1 with Q = N(0, 1): P_w is a density on the real line. lambdify prints the expression as
    # Python and runs it: only the grader's symbol and dgmlab.wire's whitelisted functions may be in it
    checks.assert_sympy_expr(v.affine, "flow_density(q, f)", symbols=[symbols()["x_sym"]])
    p = _sp().lambdify(symbols()["x_sym"], v.affine, "math")
    total = quad(p, -20, 20)[0]
    hint = ""
    if abs(total - 0.5) < 1e-6:
        hint = ": the Jacobian factor is missing"
    elif abs(total - 0.25) < 1e-6:
        hint = ": the Jacobian factor enters the wrong way round (here the flow maps data to latent)"
    assert abs(total - 1) < 1e-6, \
        f"for f(x) = 2x + 1 and Q = N(0, 1), P_w(x) should integrate to 1 over x; it integrates to {total:.6f}{hint}"


@points(0.5)
def test_density_of_an_exp_flow_integrates_to_one(v, ref):
    from scipy.integrate import quad

    # an Exp(1) latent and the flow f(x) = exp(x), which maps the real line onto (0, inf) (checked before lambdify
    # as above)
    checks.assert_sympy_expr(v.exp_latent, "flow_density(q, f)", symbols=[symbols()["x_sym"]])
    p = _sp().lambdify(symbols()["x_sym"], v.exp_latent, "math")
    total = quad(p, -30, 10)[0]
    assert abs(total - 1) < 1e-6, \
        f"for f(x) = exp(x) and an Exp(1) latent, P_w(x) should integrate to 1; it integrates to {total:.6f}"


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

    return {"identity_on_zeros": attempt(lambda: _detached(risk(identity, _std_normal_log_q, torch.zeros(4, 2)))),
            "log_det_shift": attempt(lambda: [float(risk(f, _std_normal_log_q, torch.zeros(3, 1)))
                                              for f in (halve, shifted)]),
            "affine_risk": attempt(lambda: _detached(risk(affine, _std_normal_log_q, x["x"].clone()))),
            "differentiable": attempt(has_grad)}


@points(0.5)
def test_identity_flow_on_zeros(v, ref):
    risk = v.identity_on_zeros
    checks.assert_tensor(risk, "flow_empirical_risk(...)", shape=())
    want = math.log(2 * math.pi)
    hint = ""
    if abs(float(risk) - 4 * want) < 1e-4:
        hint = ": that is the sum over the 4 points; the risk is a mean"
    elif abs(float(risk) + want) < 1e-4:
        hint = ": that is the mean log-likelihood; the risk is its negative"
    assert abs(float(risk) - want) < 1e-5, \
        (f"for the identity flow and N(0, I) in 2-D at x = 0 expected the risk log(2 pi) = {want:.5f}, "
         f"found {float(risk):.5f}{hint}")


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
    assert abs(change + 1) < 1e-5, \
        (f"when the flow's log|det| grows by 1 at every point, the risk should change by 1 (one sign, once per "
         f"point, averaged); it changed by {change:+.5f}{hint}")


@points(0.5)
def test_risk_is_differentiable(v, ref):
    assert v.differentiable is True, \
        "the risk must be differentiable through the flow's parameters (no .item(), float() or new tensors)"


# ====================================================================== Q3
def _q3_inputs(seed):
    sp = _sp()
    rng = _np().random.default_rng(int(seed) + 31)
    # a pair whose two KL directions differ: a != b and a != 1 - b (KL(a||b) = KL(1-a||1-b) = KL(b||a) there)
    pairs = [(i, j) for i in range(1, 20) for j in range(1, 20) if i != j and i + j != 20]
    a, b = pairs[int(rng.integers(len(pairs)))]
    return {"a": sp.Rational(int(a), 20), "b": sp.Rational(int(b), 20), "t": sp.Rational(int(rng.integers(1, 100)), 100)}


KL_GRID = ((1, 20), (1, 5), (1, 2), (4, 5), (19, 20))  # Bernoulli parameters a, b of the visible bounds check


def _q3_kl_probe(o, x):
    kl = o["kl_bernoulli"]
    sp = _sp()
    grid = [sp.Rational(k, d) for k, d in KL_GRID]
    return {"kl_PQ": o["kl_PQ"],
            "kl_grid": attempt(lambda: [[float(kl(a, b)) for b in grid] for a in grid]),
            "kl_forward": attempt(lambda: float(kl(x["a"], x["b"]))),
            "kl_backward": attempt(lambda: float(kl(x["b"], x["a"])))}


JS_GRID = tuple((k, 20) for k in range(1, 20))  # theta = k / 20


def _q3_js_probe(o, x):
    sp = _sp()
    js, kl = o["js_bernoulli"], o["kl_bernoulli"]
    grid = [sp.Rational(k, d) for k, d in JS_GRID]
    tenths = [sp.Rational(k, 10) for k in range(1, 10)]

    def pairs():
        return [[float(js(a, b)), float(js(b, a))] for a in grid[::3] for b in grid[::4]]

    return {"js_PQ": o["js_PQ"], "js_pairs": attempt(pairs),
            "js_tenths": attempt(lambda: [[float(js(a, b)) for b in tenths] for a in tenths]),
            "kl_tenths": attempt(lambda: [[float(kl(a, b)) for b in tenths] for a in tenths])}


@points(0.25)
def test_kl_is_expression_in_theta(v, ref):
    checks.assert_sympy_expr(v.kl_PQ, "kl_PQ", symbols=[symbols()["theta"]])


@points(0.5)
def test_kl_lies_between_two_known_bounds(v, ref):
    # for any two distributions, 2 TV^2 <= KL(P || Q) <= log(1 + chi^2(P || Q)) (Pinsker; Jensen on the ratio);
    # for Bern(a) and Bern(b): TV = |a - b| and chi^2 = (a - b)^2 / (b (1 - b)); KL = 0 when a = b
    grid = [k / d for k, d in KL_GRID]
    got = v.kl_grid
    assert len(got) == len(grid) and all(len(row) == len(grid) for row in got), \
        "kl_bernoulli did not answer on every pair"
    for i, a in enumerate(grid):
        for j, b in enumerate(grid):
            kl = got[i][j]
            if i == j:
                assert abs(kl) < 1e-12, f"expected kl_bernoulli({a:g}, {a:g}) = 0 (equal distributions), found {kl:.6g}"
                continue
            low, high = 2 * (a - b) ** 2, math.log1p((a - b) ** 2 / (b * (1 - b)))
            assert low - 1e-12 <= kl <= high + 1e-12, \
                (f"kl_bernoulli({a:g}, {b:g}) = {kl:.6g} cannot be D_KL(Bern({a:g}) || Bern({b:g})): that lies between "
                 f"2 (a - b)^2 = {low:.6g} (Pinsker) and log(1 + chi^2) = {high:.6g}; check the argument order and the log's base")


@points(0.25)
def test_js_is_expression_in_theta(v, ref):
    checks.assert_sympy_expr(v.js_PQ, "js_PQ", symbols=[symbols()["theta"]])


@points(0.75)
def test_zero_exactly_for_equal_distributions(v, ref):
    tenths = [k / 10 for k in range(1, 10)]
    assert len(v.js_tenths) == 9 and len(v.kl_tenths) == 9, "a divergence did not answer on every pair"
    for i in range(9):
        for j in range(9):
            js, kl = v.js_tenths[i][j], v.kl_tenths[i][j]
            pair = f"Bern({tenths[i]:.1f}) and Bern({tenths[j]:.1f})"
            if i == j:
                assert abs(js) < 1e-14 and abs(kl) < 1e-14, \
                    f"expected both divergences 0 between {pair}, found JS {js:.3g}, KL {kl:.3g}"
            else:
                assert js > 1e-6 and kl > 1e-6, \
                    f"expected both divergences positive between {pair}, found JS {js:.3g}, KL {kl:.3g}"


@points(0.5)
def test_js_is_symmetric_and_within_its_bounds(v, ref):
    # for any two distributions, with TV their total variation distance: TV^2 / 2 <= JS <= TV log 2 (in nats: Pinsker
    # on each of JS's two terms, and Lin's bound), and JS(P || Q) = JS(Q || P) (written part 3)
    grid_a, grid_b = [k / d for k, d in JS_GRID[::3]], [k / d for k, d in JS_GRID[::4]]
    pairs = v.js_pairs
    assert len(pairs) == len(grid_a) * len(grid_b), "js_bernoulli did not answer on every pair"
    for (ab, ba), (a, b) in zip(pairs, [(a, b) for a in grid_a for b in grid_b], strict=True):
        assert abs(ab - ba) < 1e-12, \
            (f"expected js_bernoulli({a:g}, {b:g}) = js_bernoulli({b:g}, {a:g}) (D_JS is symmetric), found {ab:.6g} "
             f"and {ba:.6g}: each distribution is compared with the mixture M = (P + Q)/2")
        tv = abs(a - b)
        low, high = tv * tv / 2, tv * math.log(2)
        hint = ""
        if ab > high + 1e-12:
            hint = ("; above it, check the weights 1/2 on each KL term and the log's base (natural logarithms, "
                    "nats, as the statement asks)")
        assert low - 1e-12 <= ab <= high + 1e-12, \
            (f"js_bernoulli({a:g}, {b:g}) = {ab:.6g} cannot be D_JS(Bern({a:g}) || Bern({b:g})): that lies between "
             f"TV^2 / 2 = {low:.6g} and TV log 2 = {high:.6g} (TV = |a - b|){hint}")


@points(0.5)
def test_are_floats_in_unit_interval(v, ref):
    np = _np()
    for name in ("theta_star_kl", "theta_star_js"):
        value = getattr(v, name)
        assert isinstance(value, (float, int, np.floating)) and not isinstance(value, bool), \
            f"expected {name} to be a Python float, found {type(value).__name__} (convert with float(...))"
        assert 0 < float(value) < 1, f"expected {name} in (0, 1), found {float(value)}"


THETA_STEP = 0.002  # the minimiser check's step either side of theta*


@points(0.5)
def test_minimises_your_divergences(v, ref):
    # each theta* against your own kl_PQ and js_PQ (graded in their own cells), a step of 0.002 on either side: a
    # minimiser found to about 3 decimals is no higher there than at its two neighbours
    sp, theta = _sp(), symbols()["theta"]
    for div_name, div, name, value in (("kl_PQ", v.kl_PQ, "theta_star_kl", v.theta_star_kl),
                                       ("js_PQ", v.js_PQ, "theta_star_js", v.theta_star_js)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise AssertionError(f"expected {name} to be a number, found {type(value).__name__}") from None
        assert 0 < value < 1, f"expected {name} in (0, 1), found {value}"
        checks.assert_sympy_expr(div, div_name, symbols=[theta])

        def at(t, div=div):
            return complex(div.subs(theta, sp.Float(t, 30)).evalf(30)).real

        here = at(value)
        neighbours = [t for t in (value - THETA_STEP, value + THETA_STEP) if 0 < t < 1]
        lowest = min(neighbours, key=at)
        hint = ": that looks like a maximiser (argmax) rather than a minimiser" \
            if all(at(t) < here for t in neighbours) else ": find the minimiser to at least 3 decimals"
        assert here <= at(lowest) + 1e-12, \
            (f"expected {name} = {value:.4f} to minimise your {div_name}: it is {here:.6g} there but {at(lowest):.6g} "
             f"at theta = {lowest:.4f}{hint}")


# ====================================================================== Q4
# Both answers are torch functions that autograd differentiates: each probe calls them on leaf tensors that require
# a gradient and hands back the values (detached) and, separately, the gradients autograd finds.
def _q4_stats_inputs(seed):
    np, torch = _np(), _torch()
    rng = np.random.default_rng(int(seed) + 41)
    return {"gauss50": torch.from_numpy(rng.normal(size=(50, 4))),
            "three": torch.tensor([[0.0, 1.0], [2.0, 5.0], [4.0, 0.0]], dtype=torch.float64),
            "small": torch.from_numpy(rng.normal(size=(6, 3)) * [1.0, 2.0, 0.5] + [1.0, -2.0, 3.0]),
            "torch32": torch.randn(20, 5, generator=_gen(seed, 42)),
            "a": torch.from_numpy(rng.normal(size=4)), "w": torch.from_numpy(rng.normal(size=(4, 4)))}


def _graph_output(t, what):
    torch = _torch()
    if not isinstance(t, torch.Tensor) or not t.requires_grad:
        raise TypeError(f"{what} has no gradient with respect to the inputs (found "
                        f"{type(t).__name__ if not isinstance(t, torch.Tensor) else 'a tensor without a graph'}): "
                        f"use torch operations throughout, with no .detach(), .item(), .numpy() or torch.no_grad()")
    return t


def _without_gradient(module, output):
    """The names of ``module``'s parameters that ``output`` (a tensor, or a tuple of tensors) has no gradient for; a
    TypeError when it has no graph at all (computed outside autograd)."""
    torch = _torch()
    outs = output if isinstance(output, (tuple, list)) else (output,)
    total = sum(_graph_output(t, "the output").double().sum() for t in outs)
    named = list(module.named_parameters())
    found = torch.autograd.grad(total, [p for _, p in named], allow_unused=True)
    return [name for (name, _), g in zip(named, found, strict=True) if g is None]


def _gradients_reach(missing, what, trained):
    missing = as_stated(missing)
    assert isinstance(missing, list), f"the check could not read which parameters of {what} get a gradient"
    assert not missing, \
        (f"{what}: no gradient reaches {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}; training "
         f"changes {trained} by their gradients, so compute the forward pass with torch operations on them (no "
         f"torch.no_grad(), .detach() or new tensors)")


def _stats(fn, f):
    # every value comes from a call on features that require a gradient, and counts only with its graph: statistics
    # computed elsewhere (numpy, dgmlab.metrics) or detached are not what the statement asks for
    out = fn(f.clone().requires_grad_(True))
    if not isinstance(out, tuple) or len(out) != 2:
        return [_detached(t) for t in out] if isinstance(out, tuple) else out  # the shape test says what differs
    return [_detached(_graph_output(t, what)) for t, what in zip(out, ("mu", "cov"), strict=True)]


def _stats_grad(fn, f, a, w):
    torch = _torch()
    leaf = f.clone().requires_grad_(True)
    mu, cov = fn(leaf)
    loss = (_graph_output(mu, "mu") * a).sum() + (_graph_output(cov, "cov") * w).sum()
    (grad,) = torch.autograd.grad(loss, leaf)
    return grad.detach()


def _q4_stats_probe(o, x):
    fn = o["feature_statistics"]
    torch = _torch()
    out = {name: attempt(_stats, fn, x[name]) for name in ("gauss50", "three", "small", "torch32")}
    out["grad_gauss50"] = attempt(_stats_grad, fn, x["gauss50"], x["a"], x["w"])
    out["grad_three"] = attempt(_stats_grad, fn, x["three"], torch.tensor([1.0, 0.0], dtype=torch.float64),
                                torch.tensor([[0.0, 1.0], [0.0, 0.0]], dtype=torch.float64))
    return out


@points(0.5)
def test_shapes_and_dtype(v, ref):
    torch = _torch()
    out = v.gauss50
    assert isinstance(out, list) and len(out) == 2, "expected feature_statistics to return a tuple (mu, cov)"
    mu, cov = out
    checks.assert_tensor(mu, "mu for 50 samples of dimension 4", shape=(4,))
    hint = " (one row per sample: a (50, 50) covariance means rows and columns were swapped)" \
        if isinstance(cov, torch.Tensor) and tuple(cov.shape) == (50, 50) else ""
    assert isinstance(cov, torch.Tensor) and tuple(cov.shape) == (4, 4), \
        f"expected cov as a torch tensor of shape (4, 4), found {type(cov).__name__} {tuple(getattr(cov, 'shape', ()))}{hint}"
    assert mu.dtype == torch.float64 and cov.dtype == torch.float64, \
        f"expected mu and cov in float64, found {mu.dtype} and {cov.dtype}"
    out32 = v.torch32
    found = [getattr(t, "dtype", type(t).__name__) for t in out32] if isinstance(out32, list) else type(out32).__name__
    assert isinstance(out32, list) and len(out32) == 2 and all(getattr(t, "dtype", None) == torch.float64 for t in out32), \
        f"expected mu and cov in float64 for float32 features too (the statement: in float64), found {found}"


@points(0.5)
def test_values_on_three_points(v, ref):
    torch = _torch()
    mu, cov = v.three
    checks.assert_tensor(mu, "mu", shape=(2,))
    checks.assert_tensor(cov, "cov")
    want = torch.tensor([[4.0, -1.0], [-1.0, 7.0]], dtype=torch.float64)
    hint = ""
    if tuple(cov.shape) == (2, 2) and torch.allclose(cov.double(), want * 2 / 3):
        hint = ": that divides by n = 3; the unbiased estimate divides by n - 1 = 2"
    elif tuple(cov.shape) == (3, 3):
        hint = ": a (3, 3) matrix is the covariance of the rows; each row is one sample"
    assert torch.allclose(mu.double(), torch.tensor([2.0, 2.0], dtype=torch.float64)), \
        f"expected mu = [2, 2] for the points (0, 1), (2, 5), (4, 0), found {mu.tolist()}"
    assert tuple(cov.shape) == (2, 2) and torch.allclose(cov.double(), want), \
        f"expected cov = {want.tolist()} for the points (0, 1), (2, 5), (4, 0), found {cov.double().round(decimals=4).tolist()}{hint}"


@points(0.25)
def test_gradient_reaches_the_features(v, ref):
    # the statement asks for statistics autograd can differentiate: d(mu[0] + cov[0, 1]) / d features for the points
    # (0, 1), (2, 5), (4, 0): 1/3 on each first coordinate, plus the other coordinate's deviation from its mean / (n - 1)
    want = [[-1 / 6, -1.0], [11 / 6, 0.0], [-2 / 3, 1.0]]
    got = v.grad_three
    checks.assert_tensor(got, "the gradient of mu[0] + cov[0, 1] with respect to the features", shape=(3, 2))
    found = got.double().tolist()
    assert all(abs(g - w) < 1e-9 for row, wrow in zip(found, want, strict=True) for g, w in zip(row, wrow, strict=True)), \
        (f"expected the gradient of mu[0] + cov[0, 1] with respect to the points (0, 1), (2, 5), (4, 0) to be "
         f"[[-1/6, -1], [11/6, 0], [-2/3, 1]], autograd found {[[round(g, 4) for g in row] for row in found]}")


def _q4_frechet_inputs(seed):
    np = _np()
    rng = np.random.default_rng(int(seed) + 43)

    def stats(n, d):
        f = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
        return f.mean(axis=0), np.cov(f, rowvar=False)

    def symmetric(d):
        e = rng.normal(size=(d, d))
        return (e + e.T) / 2

    return {"diag_a": rng.uniform(0.2, 9.0, size=3), "diag_b": rng.uniform(0.2, 9.0, size=3),
            "mu1": rng.normal(size=3), "mu2": rng.normal(size=3),
            "general1": stats(200, 6), "general2": stats(200, 6),
            # 5 samples in 20 dimensions (rank 4): round-off leaves eigenvalues that should be 0 slightly negative, so
            # a square root without a clamp gives NaN (drawn from the seed: a fixed pair's distance would be a constant
            # to type in)
            "singular1": stats(5, 20), "singular2": stats(5, 20),
            "directions": [symmetric(6) for _ in range(3)]}


def _q4_frechet_probe(o, x):
    np, torch, fn = _np(), _torch(), o["frechet_gaussian"]

    def tensors(args, grad=False):
        return [torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64).requires_grad_(grad) for a in args]

    def call(leaves):
        try:
            return fn(*leaves)
        except torch.linalg.LinAlgError as exc:
            raise ValueError(f"frechet_gaussian stopped in torch.linalg ({(str(exc).splitlines() or [''])[0][:120]}): "
                             f"a NaN reached an eigen-decomposition; round-off makes eigenvalues that should be 0 "
                             f"slightly negative, so clamp them at 0 before each square root") from None

    (m1, c1), (m2, c2) = x["general1"], x["general2"]
    disagreement = []

    def gradient_agrees():
        # a distance with a graph can still have a piece computed without one (scipy.linalg.sqrtm on .numpy()): then
        # autograd's derivative along a direction is not how the value changes; checked once, on the general pair
        if not disagreement:
            disagreement.append(_gradient_disagreement(call, tensors, (m1, c1, m2, c2), x["directions"]))
        if disagreement[0]:
            raise NotAsStated(disagreement[0])

    def value(*args):
        # counted only with its graph, and a graph that gives its derivative: a distance computed elsewhere (numpy,
        # scipy, dgmlab.metrics), detached, or with a piece detached is not what the statement asks for
        gradient_agrees()
        d = _graph_output(call(tensors(args, grad=True)), "the distance")
        if d.is_complex():
            raise TypeError(f"the distance came out as a complex tensor ({d.dtype}); it is a real number: take the "
                            f"trace of the square root from a symmetric positive semi-definite matrix (see the hint)")
        return _detached(d)

    def grads(*args):
        gradient_agrees()
        leaves = tensors(args, grad=True)
        d = _graph_output(call(leaves), "the distance")
        found = torch.autograd.grad(d.real if d.is_complex() else d, leaves, allow_unused=True)
        return [torch.zeros_like(leaf) if g is None else g.detach() for g, leaf in zip(found, leaves, strict=True)]

    (s1, t1), (s2, t2) = x["singular1"], x["singular2"]
    mu, cov = np.zeros(3), np.diag([1.0, 2.0, 3.0])
    # a distance whose gradient disagrees with its values comes back as {NOT_AS_STATED: why} (the tests say so)
    return {"identical": attempt(_stated, value, mu, cov, mu, cov),
            "one_dimensional": attempt(_stated, value, [0.0], [[1.0]], [2.0], [[4.0]]),
            "one_dimensional_grads": attempt(_stated, grads, [0.0], [[1.0]], [2.0], [[4.0]]),
            "diagonal": attempt(_stated, value, x["mu1"], np.diag(x["diag_a"]), x["mu2"], np.diag(x["diag_b"])),
            "general_12": attempt(_stated, value, m1, c1, m2, c2), "general_21": attempt(_stated, value, m2, c2, m1, c1),
            "general_grads": attempt(_stated, grads, m1, c1, m2, c2),
            "singular": attempt(_stated, value, s1, t1, s2, t2)}


FD_STEP = 1e-6  # the central difference's step along a direction (float64, full-rank covariances: error ~1e-9)


def _gradient_disagreement(call, tensors, args, directions):
    """``None`` when autograd's derivative of the distance at ``args`` along one direction (each mean and covariance
    moved together, the covariances along symmetric matrices) matches the central difference of its values; else why
    not. ``None`` too when the distance cannot be computed there (the tests then say what differs)."""
    torch = _torch()
    try:
        leaves = tensors(args, grad=True)
        d = call(leaves)
        if not isinstance(d, torch.Tensor) or not d.requires_grad or d.is_complex() or d.numel() != 1:
            return None
        found = torch.autograd.grad(d.reshape(()), leaves, allow_unused=True)
        (e1, e2, _) = [torch.tensor(e, dtype=torch.float64) for e in directions]
        dm = torch.linspace(-1.0, 1.0, leaves[0].shape[0], dtype=torch.float64)
        steps = (dm, e1, -dm, e2)
        by_autograd = sum(float((g * e).sum()) for g, e in zip(found, steps, strict=True) if g is not None)
        with torch.no_grad():
            moved = [[a.detach() + sign * FD_STEP * e for a, e in zip(leaves, steps, strict=True)] for sign in (1, -1)]
            up, down = (float(call(m).real.reshape(())) for m in moved)
        by_values = (up - down) / (2 * FD_STEP)
    except Exception:  # noqa: BLE001 - the student's code raised: the tests report it
        return None
    if math.isfinite(by_values) and abs(by_autograd - by_values) > 1e-4 * max(1.0, abs(by_values)):
        return (f"part of the distance has no gradient: along a direction its value changes at {by_values:.4g}, but "
                f"autograd's derivative is {by_autograd:.4g}, so a piece of it was computed outside torch (numpy, "
                f"scipy.linalg.sqrtm, .detach(), .item()); the statement asks for torch operations from input to "
                f"output, and a value without a gradient earns nothing here")
    return None


def _distance(d, what):
    d = as_stated(d)
    checks.assert_tensor(d, what, shape=())
    assert not d.is_complex(), f"{what} is a complex tensor; the distance is real: return a real float64 tensor"
    return float(d)


def _simple_cases_differ(v) -> bool:
    """Whether the distance is already wrong for identical Gaussians or in 1-D, where no matrix square root or clamp
    is at stake: a general case's hint then points there (the cross term, the trace formula), not at the root."""
    try:
        return abs(float(as_stated(v.identical))) > 1e-8 or abs(float(as_stated(v.one_dimensional)) - 5.0) > 1e-8
    except Exception:  # noqa: BLE001 - a value that cannot be read is those tests' to report
        return True


FORMULA_FIRST = ("the distance already differs for identical Gaussians or in 1-D (see those tests): check the "
                 "formula ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)) term by term, the cross term's "
                 "factor 2 and its sign included, before the matrix square root")


@points(0.5)
def test_zero_for_identical_gaussians(v, ref):
    d = _distance(v.identical, "the distance (a 0-dimensional tensor)")
    hint = ": that is tr(S) + tr(S) - tr(S), the cross term without its factor 2" if abs(d - 6.0) < 1e-6 else ""
    assert abs(d) < 1e-8, f"expected 0 for two identical Gaussians, found {d:.3g}{hint}"


@points(0.5)
def test_one_dimensional_case(v, ref):
    # N(0, 1) against N(2, 4): |0 - 2|^2 + (1 + 4 - 2 sqrt(1 * 4)) = 4 + 1
    d = _distance(v.one_dimensional, "the distance")
    hint = ""
    if abs(d - 7.0) < 1e-6:
        hint = ": that is the cross term without its factor 2 (tr(S1 + S2 - 2 (S1 S2)^(1/2)))"
    elif abs(d - 3.0) < 1e-6:
        hint = ": that uses |mu1 - mu2| where the formula has its square"
    elif abs(d - 13.0) < 1e-6:
        hint = ": that is the trace term with a plus sign before 2 (S1 S2)^(1/2)"
    assert abs(d - 5.0) < 1e-8, f"expected D_F(N(0, 1), N(2, 4)) = 4 + 1 = 5, found {d:.6g}{hint}"


@points(0.5)
def test_one_dimensional_gradient(v, ref):
    # D = (m1 - m2)^2 + s1 + s2 - 2 sqrt(s1 s2) at m1 = 0, s1 = 1, m2 = 2, s2 = 4: dD/dm1 = -4, dD/ds1 = 1 - sqrt(s2 / s1)
    # = -1, dD/dm2 = 4, dD/ds2 = 1 - sqrt(s1 / s2) = 1/2
    grads = as_stated(v.one_dimensional_grads)
    want = (-4.0, -1.0, 4.0, 0.5)
    for g, w, name in zip(grads, want, ("mu1", "cov1", "mu2", "cov2"), strict=True):
        got = float(g.flatten()[0])
        assert abs(got - w) < 1e-8, \
            (f"expected dD_F/d{name} = {w:g} for N(0, 1) against N(2, 4) (differentiate (m1 - m2)^2 + s1 + s2 - "
             f"2 sqrt(s1 s2)), autograd found {got:.6g}")


@points(0.5)
def test_general_covariances(v, ref):
    # two Gaussians with full covariances (200 samples in 6 dimensions), both ways round, against the grader's
    # distance on them (recorded with the kit)
    want = ref["general"]
    w = working(v)
    d12, d21 = _distance(w.general_12, "the distance"), _distance(w.general_21, "the distance")
    hint = ""
    if abs(d12 - d21) > 1e-8 * max(1.0, abs(d12)):
        hint = f" (and {d21:.6f} with the two Gaussians swapped: D_F is symmetric)"
    why = FORMULA_FIRST if _simple_cases_differ(v) else \
        ("(S1 S2)^(1/2) is a matrix square root (the element-wise square root agrees only for diagonal covariances); "
         "see the hint")
    assert abs(d12 - want) <= 1e-6 * max(1.0, abs(want)) and not hint, \
        f"expected {want:.6f} for two Gaussians with full covariances, found {d12:.6f}{hint}: {why}"


@points(0.5)
def test_nearly_singular_covariances(v, ref):
    # 5 samples in 20 dimensions each: nearly singular covariances, on which a matrix square root taken naively comes
    # out complex or NaN; against the grader's distance on them (recorded with the kit)
    want = ref["singular"]
    d = _distance(working(v).singular, "the distance for nearly singular covariances")
    why = FORMULA_FIRST if math.isfinite(d) and _simple_cases_differ(v) else \
        ("the distance must stay real and finite there; round-off makes eigenvalues that should be 0 slightly "
         "negative, so clamp them at 0 before the square root")
    assert math.isfinite(d) and abs(d - want) <= 1e-5 * max(1.0, abs(want)), \
        f"expected {want:.4f} for two nearly singular covariances (5 samples in 20 dimensions), found {d:.6g}: {why}"


@points(0.5)
def test_diagonal_covariances(v, ref):
    # two Gaussians with diagonal covariances, against the grader's distance on them (recorded with the kit)
    want = ref["diagonal"]
    d = _distance(working(v).diagonal, "the distance")
    why = f": {FORMULA_FIRST}" if _simple_cases_differ(v) else ""
    assert abs(d - want) <= 1e-10 * max(1.0, abs(want)), \
        f"expected {want:.6f} for two Gaussians with diagonal covariances, found {d:.6f}{why}"


# ====================================================================== P1: masked convolution
# The visible checks compare the 5x5 layers with what the convolutions with the statement's printed masks gave on
# the working inputs (recorded with the kit); every other size (3x3, 7x7) is the hidden tests' to compare.
CONV_CASES = (("A", 3), ("B", 3), ("A", 5), ("B", 5), ("A", 7), ("B", 7))


def _p1_conv_inputs(seed):
    """Grader-seeded weights for a layer of each (mask type, size), two sets each (the second is loaded after a first
    forward pass: the mask must act on weights that change), and a 3-channel image batch."""
    torch, g = _torch(), _gen(seed, 51)
    out = {"x": torch.randn(2, 3, 9, 9, generator=g)}
    for kind, k in CONV_CASES:
        out[f"w_{kind}{k}"] = [torch.randn(2, 3, k, k, generator=g) / k for _ in range(2)]
        out[f"b_{kind}{k}"] = torch.randn(2, generator=g)
    return out


def _load_conv(layer, weight, bias):
    torch = _torch()
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


def _p1_conv_probe(o, x):
    """The student's MaskedConv2d(kind, 3, 2, k) with the grader's weights and bias in it, on the grader's images:
    its output, then its output once the second set of weights is copied in (same layer)."""
    torch, cls = _torch(), o["MaskedConv2d"]

    def outputs(kind, k):
        first, second = x[f"w_{kind}{k}"]
        layer = _load_conv(cls(kind, 3, 2, k), first, x[f"b_{kind}{k}"])
        with torch.no_grad():
            before = _detached(layer(x["x"].clone()))
            _load_conv(layer, second, x[f"b_{kind}{k}"])
            return [before, _detached(layer(x["x"].clone()))]

    def without_gradient():
        layer = _load_conv(cls("B", 3, 2, 5), x["w_B5"][0], x["b_B5"])
        return _without_gradient(layer, layer(x["x"].clone()))

    return {**{f"out_{kind}{k}": attempt(outputs, kind, k) for kind, k in CONV_CASES},
            "without_gradient": attempt(_stated, without_gradient)}


def _conv_matches(v, ref, kind, which):
    torch, w = _torch(), working(v)
    got = getattr(w, f"out_{kind}5")
    assert isinstance(got, list) and len(got) == 2, f"MaskedConv2d('{kind}', 3, 2, 5) did not answer twice"
    out = got[which]
    checks.assert_tensor(out, f"MaskedConv2d('{kind}', 3, 2, 5)(x) (pad by kernel_size // 2)", shape=(2, 2, 9, 9))
    want = ref[f"out_{kind}5"][which]
    if torch.allclose(out, want, rtol=1e-4, atol=1e-5):
        return
    x = w.inputs
    plain = torch.nn.functional.conv2d(x.x, x[f"w_{kind}5"][which], x[f"b_{kind}5"], padding=2)
    hint = ""
    if torch.allclose(out, plain, rtol=1e-4, atol=1e-5):
        hint = (": it equals the unmasked convolution, so the mask does not act on these weights (multiply the "
                "weight by the mask in forward, not once at construction)")
    step = "after new weights were copied into the same layer, " if which else ""
    assert False, (f"{step}MaskedConv2d('{kind}', 3, 2, 5) with the grader's weights and bias should give the "
                   f"convolution with the statement's 5x5 mask {kind} on every (out, in) channel pair; it is off by "
                   f"up to {float((out - want).abs().max()):.3g}{hint}")


@points(1)
def test_type_A_5x5_as_printed(v, ref):
    _conv_matches(v, ref, "A", 0)


@points(1)
def test_type_B_5x5_as_printed(v, ref):
    _conv_matches(v, ref, "B", 0)


@points(1)
def test_the_mask_acts_on_new_weights(v, ref):
    # the layer keeps its mask when its weights change (as they do in training), and training can change them: the
    # output has a gradient with respect to the weight and the bias
    _conv_matches(v, ref, "A", 1)
    _conv_matches(v, ref, "B", 1)
    _gradients_reach(working(v).without_gradient, "MaskedConv2d('B', 3, 2, 5)", "the weight and the bias")


# ---------------------------------------------------------------------- P1 model
# The graded networks get grader-seeded parameters, copied in the order model.parameters() gives them (the
# order the docstring's layers register theirs); their logits on seeded images are compared with the grader's.
P1_SMALL = (4, 2, 3)   # PixelCNN(channels, n_layers, kernel_size) of the small checks


def stated_pixelcnn_shapes(channels=64, n_layers=5, kernel_size=7):
    """The parameter shapes of PixelCNN(channels, n_layers, kernel_size) as its docstring states the layers, in order."""
    shapes = [(channels, 1, 7, 7), (channels,)]
    for _ in range(n_layers):
        shapes += [(channels, channels, kernel_size, kernel_size), (channels,)]
    return shapes + [(1, channels, 1, 1), (1,)]


def _seeded_params(g, shapes, upper_only):
    """One tensor per shape: weights N(0, 1/fan_in), biases N(0, 0.1^2). ``upper_only``: the k x k weights are zero
    from the centre row down (taps every mask of either type keeps, so the logits need no mask to compute)."""
    torch = _torch()
    out = []
    for shape in shapes:
        if len(shape) == 1:
            out.append(torch.randn(shape, generator=g) * 0.1)
            continue
        w = torch.randn(shape, generator=g) * (2.0 / (shape[1] * shape[2] * shape[3])) ** 0.5
        if upper_only and shape[-1] > 1:
            w[..., shape[-2] // 2:, :] = 0.0
        out.append(w)
    return out


def _p1_model_inputs(seed):
    torch, g = _torch(), _gen(seed, 53)

    def coin(*shape):
        return torch.bernoulli(torch.full(shape, 0.5), generator=g)

    return {"x_small": coin(2, 1, 10, 10), "x_default": coin(1, 1, 12, 12), "seed": int(seed) % 100_000,
            "small_upper": _seeded_params(g, stated_pixelcnn_shapes(*P1_SMALL), True),
            "default_upper": _seeded_params(g, stated_pixelcnn_shapes(), True),
            "small_full": _seeded_params(g, stated_pixelcnn_shapes(*P1_SMALL), False),
            "default_full": _seeded_params(g, stated_pixelcnn_shapes(), False)}


def _load_params(model, params, what):
    torch = _torch()
    mine = list(model.parameters())
    got, want = [tuple(p.shape) for p in mine], [tuple(p.shape) for p in params]
    if got != want:
        raise NotAsStated(f"{what} has parameters of shapes {got[:4]}{' ...' if len(got) > 4 else ''} "
                         f"({len(got)} tensors); the layers the docstring states have {want[:4]}"
                         f"{' ...' if len(want) > 4 else ''} ({len(want)}), registered in that order")
    with torch.no_grad():
        for p, value in zip(mine, params, strict=True):
            p.copy_(value)
    return model


def _p1_model_probe(o, x):
    """The student's PixelCNN, small and default, with each set of grader-seeded parameters: its logits."""
    torch, cls = _torch(), o["PixelCNN"]

    def logits(args, params, images):
        what = f"PixelCNN{tuple(args) if args else '()'}"
        model = _load_params(cls(*args), params, what)
        with torch.no_grad():
            return _detached(model(images.clone()))

    def later_changed():
        # the student's own PixelCNN(4, 2, 3), as constructed (every tap its own random weight): its logits on
        # x_small, then on x_small with every pixel at and after each of CAUSAL_PIXELS flipped
        with _seeded(x["seed"], 54):
            model = cls(*P1_SMALL)
        images = x["x_small"].clone()
        with torch.no_grad():
            outs = [_detached(model(images.clone()))]
            for i, j in CAUSAL_PIXELS:
                flipped = images.clone().flatten(1)
                flipped[:, i * 10 + j:] = 1 - flipped[:, i * 10 + j:]
                outs.append(_detached(model(flipped.view_as(images))))
        return outs

    def without_gradient():
        model = _load_params(cls(*P1_SMALL), x["small_upper"], f"PixelCNN{P1_SMALL}")
        return _without_gradient(model, model(x["x_small"].clone()))

    return {"without_gradient": attempt(_stated, without_gradient),
            "small_upper": attempt(_stated, logits, P1_SMALL, x["small_upper"], x["x_small"]),
            "default_upper": attempt(_stated, logits, (), x["default_upper"], x["x_default"]),
            "small_full": attempt(_stated, logits, P1_SMALL, x["small_full"], x["x_small"]),
            "default_full": attempt(_stated, logits, (), x["default_full"], x["x_default"]),
            "later_changed": attempt(later_changed)}


def _stack_matches(v, ref, key, image_key, args):
    torch, w = _torch(), working(v)
    out = as_stated(getattr(w, key))
    shape = tuple(w.inputs[image_key].shape)
    checks.assert_tensor(out, f"PixelCNN{args}(x) (one logit per pixel)", shape=shape)
    want = ref[key]
    assert torch.allclose(out, want, rtol=1e-4, atol=1e-5), \
        (f"PixelCNN{args} with the grader's parameters (its k x k taps above the centre row only, which every mask "
         f"keeps) should give the logits of the docstring's stack: MaskedConv2d('A', 1, channels, 7), ReLU, n_layers "
         f"x [MaskedConv2d('B', ...), ReLU], MaskedConv2d('B', channels, 1, 1); they are off by up to "
         f"{float((out - want).abs().max()):.3g} (the layers, their order, the ReLUs or the padding differ)")


@points(1)
def test_small_stack_as_stated(v, ref):
    _stack_matches(v, ref, "small_upper", "x_small", P1_SMALL)
    _gradients_reach(working(v).without_gradient, "PixelCNN(4, 2, 3)", "every layer's weights")


@points(1)
def test_default_stack_as_stated(v, ref):
    _stack_matches(v, ref, "default_upper", "x_default", "()")


@points(1.25)
def test_masks_of_the_stack_as_stated(v, ref):
    # PixelCNN(4, 2, 3) with the grader's parameters on every tap: the masks decide the logits, mask A in the first
    # layer and mask B in every later one (against the grader's logits, recorded with the kit)
    torch, w = _torch(), working(v)
    out = as_stated(w.small_full)
    checks.assert_tensor(out, "PixelCNN(4, 2, 3)(x) (one logit per pixel)", shape=tuple(w.inputs.x_small.shape))
    want = ref["small_full"]
    assert torch.allclose(out, want, rtol=1e-4, atol=1e-5), \
        (f"PixelCNN(4, 2, 3) with the grader's parameters on every tap should give the logits of the stated stack, "
         f"mask A in the first layer and mask B in every later one (the 1x1 output layer included); they are off by "
         f"up to {float((out - want).abs().max()):.3g}")


CAUSAL_PIXELS = ((0, 0), (3, 2), (6, 7), (9, 9))  # on the 10 x 10 images of x_small


@points(0.5)
def test_causal_as_a_whole(v, ref):
    # PixelCNN(4, 2, 3) as your constructor builds it: flipping the pixels at and after (i, j) in raster order must
    # leave the logits at every pixel up to (i, j) as they were
    torch = _torch()
    outs = v.later_changed
    base = outs[0]
    checks.assert_tensor(base, "PixelCNN(4, 2, 3)(x) (one logit per pixel)", shape=(2, 1, 10, 10))
    scale = 1e-5 * (1.0 + float(base.abs().max()))
    for (i, j), out in zip(CAUSAL_PIXELS, outs[1:], strict=True):
        t = i * 10 + j
        moved = (out.flatten(1)[:, :t + 1] - base.flatten(1)[:, :t + 1]).abs().amax(dim=0)
        if float(moved.max()) > scale:
            k = int(torch.nonzero(moved > scale)[0])
            at = "that pixel itself" if k == t else f"pixel ({i}, {j}), after it"
            raise AssertionError(
                f"PixelCNN(4, 2, 3) is not causal as a whole: its logit at pixel ({k // 10}, {k % 10}) changed when "
                f"the pixels from {at} on (raster order) changed; a logit may depend only on the pixels strictly "
                f"before its own (mask A in the first layer, every later layer masked)")


# ---------------------------------------------------------------------- P1 NLL
def _p1_nll_inputs(seed):
    torch, g = _torch(), _gen(seed, 57)
    return {"logits": torch.rand(5, 1, 6, 6, generator=g) * 10 - 5,   # moderate: the confident ones are below
            "x": torch.bernoulli(torch.full((5, 1, 6, 6), 0.4), generator=g),
            "confident_logits": torch.tensor([[[[120.0, -120.0], [30.0, -30.0]]]]),
            "confident_x": torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]])}


def _p1_nll_probe(o, x):
    torch, fn = _torch(), o["bernoulli_nll"]
    return {"uniform": attempt(lambda: _detached(fn(torch.zeros(3, 1, 4, 4), torch.ones(3, 1, 4, 4)))),
            "random": attempt(lambda: _detached(fn(x["logits"].clone(), x["x"].clone()))),
            "confident": attempt(lambda: _detached(fn(x["confident_logits"].clone(), x["confident_x"].clone())))}


@points(0.5)
def test_one_value_per_image(v, ref):
    checks.assert_tensor(v.uniform, "bernoulli_nll(logits, x) (one NLL per image: sum over C, H, W)", shape=(3,))


@points(0.75)
def test_uniform_logits_cost_log2_per_pixel(v, ref):
    nll = v.uniform.flatten()
    want = 16 * math.log(2)
    got = float(nll[0])
    hint = ""
    if abs(got - math.log(2)) < 1e-4:
        hint = ": that is the mean over the 16 pixels; sum them"
    elif abs(got + want) < 1e-4:
        hint = ": that is the log-likelihood; the NLL is its negative"
    elif abs(got - 16 * 100) < 1e-2 or not math.isfinite(got):
        hint = (": the logits were read as probabilities (logit 0 is p = 1/2, not p = 0); "
                "use binary_cross_entropy_with_logits")
    assert abs(got - want) < 1e-4, \
        (f"expected 16 log 2 = {want:.4f} nats for a 4x4 image under logit 0 (p = 1/2 per pixel), "
         f"found {got:.4f}{hint}")


@points(1)
def test_finite_for_very_large_logits(v, ref):
    # logits 120, -120, 30, -30 on pixels 0, 1, 1, 0: the first two confidently wrong (120 nats each), the last two
    # confidently right (about 1e-13 each); sigmoid(120) rounds to 1 in float32, so log(1 - p) would be -inf
    got = v.confident
    checks.assert_tensor(got, "bernoulli_nll(logits, x) for one 2x2 image", shape=(1,))
    value = float(got[0])
    hint = ""
    if not math.isfinite(value):
        hint = (": the statement asks for an NLL finite even for very large |logits|; sigmoid then log overflows, "
                "work from the logits (binary_cross_entropy_with_logits, or softplus)")
    assert math.isfinite(value) and abs(value - 240.0) < 1e-3, \
        f"expected 120 + 120 = 240 nats for logits (120, -120, 30, -30) on pixels (0, 1, 1, 0), found {value:.6g}{hint}"


# ---------------------------------------------------------------------- P1 inpainting
class CopyPrevious:
    """A causal toy model: pixel t is (almost surely) equal to pixel t - 1 in raster order."""

    def __call__(self, x):
        torch = _torch()
        flat = x.flatten(1)
        prev = torch.cat([torch.zeros_like(flat[:, :1]), flat[:, :-1]], dim=1)
        return (40.0 * (2 * prev - 1)).view_as(x)


class CoinFlip:
    """A toy model: every pixel is a fair coin."""

    def __call__(self, x):
        return _torch().zeros_like(x)


class Leaning:
    """A toy model: every pixel is 1 with probability 0.8 (logit log 4)."""

    def __call__(self, x):
        return _torch().full_like(x, math.log(4.0))


class PeekNext:
    """A toy model that is not causal: pixel t is (almost surely) equal to pixel t + 1 in raster order. Inpainting
    with it shows whether the hidden pixels of x reach the canvas."""

    def __call__(self, x):
        torch = _torch()
        flat = x.flatten(1)
        nxt = torch.cat([flat[:, 1:], torch.zeros_like(flat[:, :1])], dim=1)
        return (40.0 * (2 * nxt - 1)).view_as(x)


def lower_half_hidden(n, H, W):
    visible = _torch().ones(n, 1, H, W, dtype=_torch().bool)
    visible[:, :, H // 2:] = False
    return visible


def _p1_inpaint_inputs(seed):
    torch, g = _torch(), _gen(seed, 58)

    def coin(*shape):
        return torch.bernoulli(torch.full(shape, 0.5), generator=g)

    kept_visible = lower_half_hidden(4, 6, 6)
    kept_visible[2:, :, :5] = True          # images 0 and 1 hide their lower half, images 2 and 3 their last row
    raster = coin(4, 1, 6, 6)
    raster[:2, 0, 2, 5] = 1.0               # last visible pixel on
    raster[2:, 0, 2, 5] = 0.0               # last visible pixel off
    return {"binary_x": coin(2, 1, 6, 6), "kept_x": coin(4, 1, 6, 6), "kept_visible": kept_visible,
            "irregular_x": coin(8, 1, 7, 7), "irregular_visible": torch.rand(8, 1, 7, 7, generator=g) < 0.6,
            "raster_x": raster, "seed": int(seed) % 100_000}


def _p1_inpaint_probe(o, x):
    torch, fn = _torch(), o["inpaint"]

    def run(model, xs, visible, salt):
        with _seeded(x["seed"], salt):
            return _detached(fn(model, xs.clone(), visible.clone()))

    return {"binary_out": attempt(run, CoinFlip(), x["binary_x"], lower_half_hidden(2, 6, 6), 1),
            "kept_out": attempt(run, CoinFlip(), x["kept_x"], x["kept_visible"], 2),
            "irregular_out": attempt(lambda: [run(m, x["irregular_x"], x["irregular_visible"], 3 + k)
                                              for k, m in enumerate((CoinFlip(), CopyPrevious()))]),
            "raster_out": attempt(run, CopyPrevious(), x["raster_x"], lower_half_hidden(4, 6, 6), 5),
            # the same images twice, their hidden pixels flipped the second time, with a model that peeks ahead
            "peek_out": attempt(lambda: [run(PeekNext(), xs, lower_half_hidden(4, 6, 6), 8) for xs in (
                x["raster_x"], torch.where(lower_half_hidden(4, 6, 6), x["raster_x"], 1 - x["raster_x"]))]),
            "coin_out": attempt(run, CoinFlip(), torch.zeros(64, 1, 8, 8), lower_half_hidden(64, 8, 8), 6),
            "leaning_out": attempt(run, Leaning(), torch.zeros(64, 1, 8, 8), lower_half_hidden(64, 8, 8), 7)}


@points(0.5)
def test_shape_and_binary_values(v, ref):
    out = v.binary_out
    checks.assert_tensor(out, "inpaint(...)", shape=(2, 1, 6, 6))
    values = sorted(set(out.unique().tolist()))
    assert set(values) <= {0.0, 1.0}, \
        f"expected a binary image (values 0 and 1 only), found values {values[:6]} (sample with torch.bernoulli)"


@points(1)
def test_visible_pixels_are_kept(v, ref):
    # images 0 and 1 hide their lower half, images 2 and 3 only their last row
    out, x, visible = v.kept_out, v.inputs.kept_x, v.inputs.kept_visible
    checks.assert_tensor(out, "inpaint(...)", shape=(4, 1, 6, 6))
    changed = int((out[visible] != x[visible]).sum())
    assert changed == 0, \
        (f"expected every visible pixel copied unchanged, found {changed} of {int(visible.sum())} changed: "
         f"a pixel hidden in one image may be visible in another, so write a sample only where "
         f"visible is False for that image")


@points(0.5)
def test_visible_pixels_never_change(v, ref):
    x, visible = v.inputs.irregular_x, v.inputs.irregular_visible          # irregular holes
    for out in v.irregular_out:
        assert out.shape == x.shape and _torch().equal(out[visible], x[visible]), \
            "with irregular holes (a different set per image) inpainting changed a visible pixel"


@points(0.5)
def test_hidden_pixels_are_samples(v, ref):
    # every pixel is 1 with probability 0.8 under the toy model: the 2,048 hidden pixels are Bernoulli(0.8) draws
    # (about 80% ones); a threshold at 1/2 makes them all 1
    torch = _torch()
    out = v.leaning_out
    checks.assert_tensor(out, "inpaint(...)", shape=(64, 1, 8, 8))
    assert torch.equal(out[:, :, :4], torch.zeros_like(out[:, :, :4])), \
        "the visible upper halves (all 0) changed: only the hidden pixels are sampled"
    share = float(out[:, :, 4:].mean())
    hint = ": every hidden pixel is 1, as a threshold at 1/2 gives; draw each with torch.bernoulli" if share == 1.0 else ""
    assert 0.74 < share < 0.86, \
        (f"with a model that gives every pixel probability 0.8 of being 1, about 80% of the hidden pixels should "
         f"be 1 (each a Bernoulli draw); found {share:.1%}{hint}")


@points(2.5)
def test_sequential_conditioning_in_raster_order(v, ref):
    # the toy model copies the previous pixel (raster order): hidden pixels sampled one at a time, each
    # conditioned on the pixels before it, all repeat the last visible one
    torch, H = _torch(), 6
    out = v.raster_out
    checks.assert_tensor(out, "inpaint(...)", shape=(4, 1, H, H))
    hidden = out[:, 0, H // 2:]
    assert torch.equal(hidden[:2], torch.ones_like(hidden[:2])) and torch.equal(hidden[2:], torch.zeros_like(hidden[2:])), \
        ("with a model that copies the previous pixel, every hidden pixel should repeat the last visible one: "
         "sample one pixel at a time in raster order, each from the model run on the canvas so far "
         "(known pixels and those already sampled, never the hidden pixels of x)")
    # the statement: the hidden pixels of x must play no role. With a model that reads the next pixel, inpainting the
    # same images with their hidden pixels flipped must give the same result
    first, second = v.peek_out
    assert torch.equal(first, second), \
        ("inpaint's result changed when only the hidden pixels of x changed (with a model that reads later pixels): "
         "the hidden pixels of x must play no role, as a real user would not have them; start the canvas from the "
         "visible pixels only (the hidden ones at 0, say)")


# ====================================================================== P2: logit transform
# v, the inverse and the log-det are each compared with what the grader's references (the printed transform, its
# inverse, autograd's log-det of it) gave on the working inputs, recorded with the kit: no check compares two of the
# student's functions with each other (an identity "transform" with log_det 0 and an identity inverse agree with each
# other and earn nothing).
def _p2_logit_inputs(seed):
    torch, g = _torch(), _gen(seed, 61)
    return {"y35": torch.rand(3, 5, generator=g) * 0.98 + 0.01,
            "y45": torch.rand(4, 5, generator=g, dtype=torch.float64) * 0.98 + 0.01,
            "v64": torch.randn(6, 4, generator=g, dtype=torch.float64) * 4,
            "pixels": torch.randint(0, 256, (200, 10), generator=g).float() / 255, "seed": int(seed) % 100_000}


ALPHAS = (0.05, 1e-6)
TINY_Y = ((0.5, 0.2),)


def _p2_logit_probe(o, x):
    torch = _torch()
    deq, lt, inv = o["dequantize"], o["logit_transform"], o["inverse_logit_transform"]

    def shapes():
        v, log_det = lt(x["y35"].clone(), 0.05)
        return [_detached(v), _detached(log_det)]

    def transformed():
        return [[_detached(t) for t in lt(x["y45"].clone(), alpha)] for alpha in ALPHAS]

    def dequantized():
        with _seeded(x["seed"], 62):
            return [_detached(deq(x["pixels"].clone())), _detached(deq(x["pixels"].clone()))]

    return {"shapes": attempt(shapes), "transformed": attempt(transformed),
            "tiny": attempt(lambda: _detached(lt(torch.tensor(TINY_Y, dtype=torch.float64), 0.05)[1])),
            "inverse": attempt(lambda: [_detached(inv(x["v64"].clone(), a)) for a in ALPHAS]),
            "dequantized": attempt(dequantized)}


@points(0.75)
def test_v_is_the_printed_transform(v, ref):
    torch, w = _torch(), working(v)
    out, log_det = w.shapes
    checks.assert_tensor(out, "v", shape=(3, 5))
    checks.assert_tensor(log_det, "log_det (one value per image: sum over the coordinates)", shape=(3,))
    y = w.inputs.y45
    for (got, _), want, alpha in zip(w.transformed, ref["v"], ALPHAS, strict=True):
        checks.assert_tensor(got, "v", shape=tuple(y.shape))
        assert torch.allclose(got.double(), want, rtol=1e-8, atol=1e-8), \
            (f"expected v = logit(alpha + (1 - 2 alpha) y) elementwise (alpha = {alpha:g}); found it off by up to "
             f"{float((got.double() - want).abs().max()):.3g}")


@points(0.75)
def test_inverse_undoes_the_printed_transform(v, ref):
    # the y that the printed transform sends to v (float64), recorded with the change of y per unit of v: your
    # inverse may be off from it by at most what moves v by 1e-6 (of its scale)
    torch, w = _torch(), working(v)
    v64, want = w.inputs.v64, ref
    for back, y, slope, alpha in zip(w.inverse, want["inverse"], want["inverse_slope"], ALPHAS, strict=True):
        checks.assert_tensor(back, "inverse_logit_transform(v)", shape=tuple(v64.shape))
        gap = float(((back.double() - y).abs() / slope).max())
        hint = ""
        if torch.allclose(back.double(), torch.sigmoid(v64), atol=1e-9):
            hint = ": the inverse returns alpha + (1 - 2 alpha) y; undo the squashing too"
        assert gap < 1e-6 * max(1.0, float(v64.abs().max())), \
            (f"expected inverse_logit_transform(v) to be the y that logit(alpha + (1 - 2 alpha) y) sends to v in "
             f"float64 (alpha = {alpha:g}); sent through the printed transform it is off from v by about {gap:.3g}"
             f"{hint}")


@points(0.5)
def test_log_det_on_a_tiny_case(v, ref):
    # v acts coordinate by coordinate, so log|det dv/dy| is the sum of log|dv_i/dy_i|, which the grader read off
    # the printed transform by autograd
    want = ref
    got, first = float(working(v).tiny.flatten()[0]), want["tiny_first_term"]
    want = want["tiny_log_det"]
    hint = ""
    if abs(got + want) < 1e-4:
        hint = ": the log-det has the wrong sign"
    elif abs(got - want - 2 * math.log(1 / 0.9)) < 1e-4:
        hint = ": a constant factor of dv/dy is left out of the log-det"
    elif abs(got - first) < 1e-4:
        hint = ": that is one coordinate's term; sum the log-derivatives over the coordinates"
    assert abs(got - want) < 1e-6, \
        (f"log_det should be log|det dv/dy| of v = logit(alpha + (1 - 2 alpha) y), which autograd gives as "
         f"{want:.5f} at y = (1/2, 1/5), alpha = 0.05; found {got:.5f}{hint}")


@points(0.5)
def test_dequantized_values_stay_in_their_bin(v, ref):
    x = v.inputs.pixels
    y, k = v.dequantized[0], _torch().round(x * 255)
    assert y.shape == x.shape, "dequantize changed the shape"
    assert ((y >= k / 256) & (y <= (k + 1) / 256)).all(), \
        "a dequantised value left its bin: pixel value k/255 must become a value in [k/256, (k+1)/256)"
    # the docstring: u ~ Uniform[0, 1) drawn per pixel, so two calls on the same pixels differ
    again = v.dequantized[1]
    assert not _torch().equal(y, again), \
        ("dequantize gave the same values twice for the same pixels: y = (255 x + u) / 256 with u ~ Uniform[0, 1) "
         "drawn afresh per pixel on each call (torch.rand_like), not a fixed offset")


# ---------------------------------------------------------------------- P2 coupling layer
# The coupling and Real NVP checks put grader-seeded parameters into the student's networks by the names the
# docstrings state (s_net and t_net, each nn.Sequential(Linear, ReLU, Linear, ReLU, Linear), in self.layers for the
# flow) and hand back what they compute on the grader's inputs. The grader compares those outputs with the map the
# statement prints, evaluated on the same parameters (dgmlab.grading.hidden.hw5_explicit.references): the visible tests
# with what it gave on the working inputs, recorded with the kit (the inverse with the x it sends to z). No check
# compares two values of the student's code with each other, so a layer that ignores its networks (a constant scale
# and shift) earns nothing.
def stated_coupling_shapes(dim, hidden, prefix=""):
    """``{name: shape}`` of the parameters a CouplingLayer(dim, hidden, mask) has as its docstring states them."""
    shapes = {}
    for net in ("s_net", "t_net"):
        for i, (rows, cols) in zip((0, 2, 4), ((hidden, dim), (hidden, hidden), (dim, hidden)), strict=True):
            shapes[f"{prefix}{net}.{i}.weight"] = (rows, cols)
            shapes[f"{prefix}{net}.{i}.bias"] = (rows,)
    return shapes


def _seeded_named(g, shapes):
    """One float64 tensor per name: weights N(0, 1/fan_in), biases N(0, 0.2^2)."""
    torch = _torch()
    return {name: torch.randn(shape, generator=g, dtype=torch.float64)
            * ((1.0 / shape[1]) ** 0.5 if len(shape) == 2 else 0.2) for name, shape in shapes.items()}


def load_named(module, params, what):
    """``module`` (made float64) with each tensor of ``params`` copied into its parameter of that name; a
    NotAsStated error naming what differs when its parameters are not the stated ones."""
    torch = _torch()
    module = module.double()
    mine = dict(module.named_parameters())
    got = {n: tuple(p.shape) for n, p in mine.items()}
    want = {n: tuple(t.shape) for n, t in params.items()}
    if got != want:
        extra = sorted(set(got) - set(want))
        missing = sorted(set(want) - set(got))
        wrong = sorted(n for n in set(got) & set(want) if got[n] != want[n])
        detail = "; ".join(part for part in (
            f"not stated: {', '.join(extra[:4])}{' ...' if len(extra) > 4 else ''}" if extra else "",
            f"missing: {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}" if missing else "",
            f"other shapes: {', '.join(f'{n} {got[n]} (stated {want[n]})' for n in wrong[:3])}" if wrong else "") if part)
        raise NotAsStated(f"{what} does not have the parameters its docstring states ({detail}): s and t are "
                         f"self.s_net and self.t_net, each nn.Sequential(Linear(dim, hidden), ReLU, "
                         f"Linear(hidden, hidden), ReLU, Linear(hidden, dim))")
    with torch.no_grad():
        for name, p in mine.items():
            p.copy_(params[name])
    return module


def alternating_mask(dim):
    """The notebook's given mask helper (locked cell p2_mask_helper): a checkerboard if dim is a square, else parity."""
    torch = _torch()
    side = math.isqrt(dim)
    if side * side == dim:
        i, j = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
        return ((i + j) % 2).flatten().float()
    return (torch.arange(dim) % 2).float()


def _coupling_case(g, dim, hidden, mask, n):
    torch = _torch()
    return {"dim": dim, "hidden": hidden, "mask": mask, "params": _seeded_named(g, stated_coupling_shapes(dim, hidden)),
            "x": torch.randn(n, dim, generator=g, dtype=torch.float64),
            "z": torch.randn(n, dim, generator=g, dtype=torch.float64)}


def _random_mask(g, dim):
    """A 0/1 mask with at least one of each, drawn from ``g``."""
    torch = _torch()
    perm = torch.randperm(dim, generator=g)
    mask = torch.zeros(dim)
    mask[perm[: 1 + int(torch.randint(0, dim - 1, (1,), generator=g))]] = 1.0
    return mask


def _p2_coupling_inputs(seed):
    """Three layers with grader-seeded parameters: CouplingLayer(6, 16, mask) with a drawn mask, the D = 2 case with
    mask (1, 0), and CouplingLayer(7, 8, mask) (the hidden tests'); inputs x for forward and z for inverse."""
    torch, g = _torch(), _gen(seed, 63)
    return {"main": _coupling_case(g, 6, 16, _random_mask(g, 6), 8),
            "tiny": _coupling_case(g, 2, 4, torch.tensor([1.0, 0.0]), 4),
            "other": _coupling_case(g, 7, 8, _random_mask(g, 7), 5)}


def _p2_coupling_probe(o, x):
    """The student's CouplingLayer with each case's parameters: (z, log_det) of forward on x, and inverse on z."""
    torch, cls = _torch(), o["CouplingLayer"]

    def layer(case):
        c = x[case]
        return load_named(cls(c["dim"], c["hidden"], c["mask"].clone()), c["params"],
                          f"CouplingLayer({c['dim']}, {c['hidden']}, mask)")

    def forward(case):
        with torch.no_grad():
            z, log_det = layer(case)(x[case]["x"].clone())
        return {"z": _detached(z), "log_det": _detached(log_det)}

    def inverse(case):
        with torch.no_grad():
            return _detached(layer(case).inverse(x[case]["z"].clone()))

    def without_gradient():
        net = layer("main")
        return _without_gradient(net, net(x["main"]["x"].clone()))

    out = {"without_gradient": attempt(_stated, without_gradient)}
    for case in ("main", "tiny", "other"):
        out[f"{case}_forward"] = attempt(_stated, forward, case)
        out[f"{case}_inverse"] = attempt(_stated, inverse, case)
    return out


def _close(a, b, tol=1e-6):
    torch = _torch()
    return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(a.double(), b.double(), atol=tol,
                                                                                 rtol=tol)


def _returned(out, name):
    out = as_stated(out)
    assert isinstance(out, dict) and set(out) == {"z", "log_det"}, f"{name} did not return (z, log_det)"
    return out["z"], out["log_det"]


@points(1.5)
def test_forward_is_the_statements_map(v, ref):
    # CouplingLayer(6, 16, mask) with the grader's parameters in s_net, t_net: z is the map the statement prints
    w, want = working(v), ref
    case = w.inputs.main
    z, _ = _returned(w.main_forward, "forward(x)")
    x, keep = case["x"], case["mask"].bool()
    checks.assert_tensor(z, "z", shape=tuple(x.shape))
    if _close(z, want["z"]):
        _gradients_reach(w.without_gradient, "CouplingLayer(6, 16, mask)", "s_net and t_net")
        return
    hint = ""
    if not _torch().allclose(z[:, keep], x[:, keep], atol=1e-12):
        hint = ": a coordinate with mask 1 was changed (those pass through)"
    elif (z[:, ~keep] - x[:, ~keep]).abs().max() < 1e-9:
        hint = ": a coordinate with mask 0 was left unchanged"
    elif _close(z, want["z_unmasked_input"]):
        hint = ": s and t see the unmasked coordinates too; feed them m * x"
    elif _close(z, want["z_no_tanh"]):
        hint = ": s has no tanh at its end"
    assert False, \
        (f"CouplingLayer(6, 16, mask) with the grader's parameters in s_net and t_net should give "
         f"z = m x + (1 - m)(x exp(s(m x)) + t(m x)) with s = tanh(s_net(.)); it is off by up to "
         f"{float((z - want['z']).abs().max()):.3g}{hint}")


@points(1)
def test_log_det_is_the_statements(v, ref):
    # log|det dz/dx| = sum_i (1 - m_i) s_i(m x); for D = 2, mask (1, 0), that is s_1(x_0) alone
    w, recorded_values = working(v), ref
    for key, case, what in (("main", w.inputs.main, "CouplingLayer(6, 16, mask)"),
                            ("tiny", w.inputs.tiny, "for D = 2 with mask (1, 0), CouplingLayer(2, 4, mask)")):
        _, log_det = _returned(getattr(w, f"{key}_forward"), "forward(x)")
        n = case["x"].shape[0]
        checks.assert_tensor(log_det, "log_det (one value per example: sum over the coordinates)", shape=(n,))
        want = recorded_values[f"{key}_log_det"]
        if _close(log_det, want):
            continue
        hint = ""
        if _close(log_det, -want):
            hint = ": that is minus the answer (sign error: the forward map's log-det is +sum of s)"
        elif _close(log_det, recorded_values[f"{key}_log_det_masked_sum"]):
            hint = ": that sums s over the masked coordinates; the log-det sums it over those with mask 0"
        assert False, \
            (f"{what} with the grader's parameters should give log_det = sum over the coordinates with mask 0 of "
             f"s(m x); it is off by up to {float((log_det - want).abs().max()):.3g}{hint}")


@points(1)
def test_inverse_undoes_the_statements_map(v, ref):
    # your inverse must give back the x that the statement's map sends to z (with the grader's parameters)
    w = working(v)
    back, z, want = as_stated(w.main_inverse), w.inputs.main["z"], ref["inverse"]
    checks.assert_tensor(back, "inverse(z)", shape=tuple(z.shape))
    gap = float((back.double() - want).abs().max())
    assert gap < 1e-6, \
        (f"expected inverse(z) to be the x that the statement's map sends to z (with the grader's parameters); "
         f"it is off from that x by up to {gap:.3g} (the inverse subtracts t, then multiplies by exp(-s), with s "
         f"and t computed from the masked coordinates, which z shares with x)")


# ---------------------------------------------------------------------- P2 Real NVP
REALNVP_CASES = {"main": (6, 16, 4), "square": (9, 8, 3)}  # RealNVP(dim, hidden, n_coupling): parity, checkerboard


def stated_realnvp_shapes(dim, hidden, n_coupling):
    shapes = {}
    for l in range(n_coupling):
        shapes.update(stated_coupling_shapes(dim, hidden, prefix=f"layers.{l}."))
    return shapes


def _p2_realnvp_inputs(seed):
    """RealNVP(6, 16, 4) (parity masks) and RealNVP(9, 8, 3) (checkerboard masks; the hidden tests') with
    grader-seeded parameters in every layer's s_net, t_net; inputs x for forward and log_prob, z for inverse."""
    torch, g = _torch(), _gen(seed, 71)
    out = {}
    for case, (dim, hidden, n) in REALNVP_CASES.items():
        out[case] = {"args": (dim, hidden, n), "params": _seeded_named(g, stated_realnvp_shapes(dim, hidden, n)),
                     "x": torch.randn(5, dim, generator=g, dtype=torch.float64),
                     "z": torch.randn(5, dim, generator=g, dtype=torch.float64)}
    return out


def _p2_realnvp_probe(o, x):
    """The student's RealNVP with each case's parameters: forward, inverse, log_prob; its layers' masks and its
    layers' inverses taken in forward order (for the hints only)."""
    torch, cls = _torch(), o["RealNVP"]

    def flow(case):
        c = x[case]
        return load_named(cls(*c["args"]), c["params"], f"RealNVP{c['args']}")

    def forward(case):
        with torch.no_grad():
            z, log_det = flow(case)(x[case]["x"].clone())
        return {"z": _detached(z), "log_det": _detached(log_det)}

    def inverse(case):
        with torch.no_grad():
            return _detached(flow(case).inverse(x[case]["z"].clone()))

    def log_prob(case):
        with torch.no_grad():
            return _detached(flow(case).log_prob(x[case]["x"].clone()))

    def forward_order():  # the layers' inverses applied in forward order: a common slip, for the hint
        f, z = flow("main"), x["main"]["z"].clone()
        with torch.no_grad():
            for layer in f.layers:
                z = layer.inverse(z)
        return _detached(z)

    def without_gradient():
        f = flow("main")
        return _without_gradient(f, f(x["main"]["x"].clone()))

    out = {"masks": attempt(lambda: [_detached(layer.mask) for layer in cls(*x["main"]["args"]).layers]),
           "forward_order": attempt(_stated, forward_order), "without_gradient": attempt(_stated, without_gradient)}
    for case in REALNVP_CASES:
        out[f"{case}_forward"] = attempt(_stated, forward, case)
        out[f"{case}_inverse"] = attempt(_stated, inverse, case)
        out[f"{case}_log_prob"] = attempt(_stated, log_prob, case)
    return out


def _maybe(v, name):
    """A value the probe handed back for a hint only: None when the student's code raised on it."""
    try:
        return getattr(v, name)
    except Exception:
        return None


def _mask_hint(masks, n):
    torch = _torch()
    if not isinstance(masks, list):
        return ""
    if len(masks) != n:
        return f": RealNVP(6, 16, 4) should hold 4 CouplingLayers in self.layers, found {len(masks)}"
    for a, b in zip(masks, masks[1:], strict=False):
        if not torch.equal(a + b, torch.ones_like(a)):
            return ": two consecutive coupling layers do not use complementary masks"
    if not torch.equal(masks[0].float(), alternating_mask(6)):
        return ": the first layer should use alternating_mask(dim), the second its complement"
    return ""


@points(1.25)
def test_flow_is_the_stated_stack(v, ref):
    # RealNVP(6, 16, 4) with the grader's parameters in every layer: z of the docstring's stack of coupling layers
    w = working(v)
    case = w.inputs.main
    z, log_det = _returned(w.main_forward, "RealNVP.forward(x)")
    checks.assert_tensor(z, "z", shape=(5, 6))
    checks.assert_tensor(log_det, "log_det (one value per example)", shape=(5,))
    want = ref["z"]
    if _close(z, want):
        _gradients_reach(w.without_gradient, "RealNVP(6, 16, 4)", "every layer's s_net and t_net")
        return
    hint = _mask_hint(_maybe(w, "masks"), 4)
    if not hint and ((z - case["x"]).abs().max(dim=0).values < 1e-6).any():
        hint = ": some coordinates pass through every layer unchanged"
    assert False, \
        (f"RealNVP(6, 16, 4) with the grader's parameters should give the z of its 4 CouplingLayers in order, "
         f"layer l with alternating_mask(6) if l is even and its complement if odd; it is off by up to "
         f"{float((z - want).abs().max()):.3g}{hint}")


@points(1.25)
def test_flow_inverse_undoes_the_stated_flow(v, ref):
    torch, w = _torch(), working(v)
    back, want = as_stated(w.main_inverse), ref["inverse"]
    checks.assert_tensor(back, "flow.inverse(z)", shape=(5, 6))
    gap = float((back.double() - want).abs().max())
    hint = ""
    other = _maybe(w, "forward_order")
    if gap >= 1e-6 and isinstance(other, torch.Tensor) and other.shape == back.shape \
            and torch.allclose(back, other, atol=1e-9):
        hint = ": the layers were undone in forward order; undo the last layer first (reversed)"
    assert gap < 1e-6, \
        (f"expected flow.inverse(z) to be the x that the stated flow (the grader's parameters) sends to z; it is "
         f"off from that x by up to {gap:.3g}{hint}")


@points(1)
def test_log_prob_is_the_change_of_variables(v, ref):
    # RealNVP(6, 16, 4) with the grader's parameters: log_prob(x) = log N(z; 0, I) + log|det dz/dx|, the Gaussian's
    # normaliser -D/2 log(2 pi) included
    w = working(v)
    got, want = as_stated(w.main_log_prob), ref["log_prob"]
    checks.assert_tensor(got, "flow.log_prob(x) (one value per example)", shape=(5,))
    gap = float((got.double() - want).abs().max())
    hint = ""
    if gap >= 1e-6 and float((got.double() - want - 3 * math.log(2 * math.pi)).abs().max()) < 1e-6:
        hint = ": that leaves out the standard normal's normaliser -D/2 log(2 pi) (D = 6)"
    assert gap < 1e-6, \
        (f"expected RealNVP(6, 16, 4).log_prob(x) with the grader's parameters to be log N(z; 0, I) + log|det dz/dx| "
         f"of the stated flow; it is off by up to {gap:.3g}{hint}")


# ---------------------------------------------------------------------- P2 log-likelihood, bits/dim
def _p2_log_prob_inputs(seed):
    torch, g = _torch(), _gen(seed, 81)
    return {"y43": torch.rand(4, 3, generator=g),
            "a": torch.rand(5, generator=g, dtype=torch.float64) + 0.5,
            "b": torch.randn(5, generator=g, dtype=torch.float64),
            "y65": torch.rand(6, 5, generator=g, dtype=torch.float64) * 0.98 + 0.01}


def _p2_log_prob_probe(o, x):
    torch, fn = _torch(), o["log_prob_data"]
    identity = lambda t: (t, torch.zeros(t.shape[0], dtype=t.dtype))  # noqa: E731
    double = lambda t: (2 * t, torch.full((t.shape[0],), math.log(2.0), dtype=t.dtype))  # noqa: E731
    a, b = x["a"], x["b"]
    affine = lambda t: ((t - b) / a, -torch.log(a).sum().expand(t.shape[0]))  # noqa: E731
    half = torch.full((1, 1), 0.5)
    return {"shape": attempt(lambda: _detached(fn(identity, x["y43"].clone(), 0.05))),
            "tiny": attempt(lambda: _detached(fn(double, half.clone(), 0.05))),
            "affine": attempt(lambda: [_detached(fn(affine, x["y65"].clone(), alpha)) for alpha in ALPHAS])}


@points(0.5)
def test_log_prob_shape(v, ref):
    checks.assert_tensor(v.shape, "log_prob_data(...)", shape=(4,))


@points(1)
def test_tiny_case(v, ref):
    # y = 1/2 in 1-D, alpha = 0.05: v = logit(1/2) = 0, so z = 0 for the flow z = 2 v (log-det log 2); the logit
    # transform's log-det is the printed transform's (what the grader's reference gave at y = 1/2, recorded with the
    # kit), as in the hidden tests, not the one your logit_transform reports
    got = float(checks.as_array(v.tiny, "log_prob_data(...)").flatten()[0])
    log_normal_0, log_2 = -0.5 * math.log(2 * math.pi), math.log(2.0)
    logit_log_det = ref["logit_log_det_at_half"]
    want = log_normal_0 + log_2 + logit_log_det
    assert abs(got - want) < 1e-5, \
        (f"log_prob_data is wrong for y = 1/2, alpha = 0.05 and the flow z = 2 v: expected {want:.5f}, found "
         f"{got:.5f}{_log_prob_hint(got - want, logit_log_det)}")


# What log_prob_data's usual mistakes add to log p(y) in test_tiny_case (D = 1, alpha = 0.05, the flow z = 2 v), and
# how the hint names each, in the statement's words: one or two of them explain the difference found.
def _log_prob_offsets(logit_log_det):
    alpha = 0.05
    return (
        (0.5 * math.log(2 * math.pi), "log N(z; 0, I) is off by the constant D/2 log 2 pi (here D = 1): the standard "
                                      "normal's normalising constant is missing"),
        (-logit_log_det, "the logit transform's log-det is missing; it is part of the model"),
        (-2 * logit_log_det, "the logit transform's log-det enters with the wrong sign (is your logit_transform's "
                             "log|dv/dy|?)"),
        (-math.log(1 - 2 * alpha), "the logit transform's log-det is off by log(1 - 2 alpha), the constant factor of "
                                   "dv/dy (your logit_transform's log-det is used here)"),
        (-2 * math.log(2.0), "the flow's log-det enters with the wrong sign"),
        (-math.log(2.0), "the flow's log-det is missing"),
    )


def _log_prob_hint(diff, logit_log_det):
    offsets = _log_prob_offsets(logit_log_det)
    for k, (a, why) in enumerate(offsets):
        if abs(diff - a) < 1e-4:
            return f": {why}"
        for b, why_b in offsets[k + 1:]:
            if abs(diff - a - b) < 1e-4:
                return f": {why}; and {why_b}"
    return (f" (off by {diff:+.5f}: check each term of log N(z; 0, I) + log|det dz/dv| + log|det dv/dy| against the "
            f"statement)")


def _p2_bpd_inputs(seed):
    torch, g = _torch(), _gen(seed, 82)
    return {"log_p": (torch.rand(3, generator=g, dtype=torch.float64) * 6000 - 3000)}


def _p2_bpd_probe(o, x):
    torch, fn = _torch(), o["bits_per_dim"]
    return {"uniform": attempt(lambda: _detached(fn(torch.zeros(2), 784))),
            "values": attempt(lambda: [_detached(fn(x["log_p"].clone(), D)) for D in (784, 100)])}


@points(1)
def test_uniform_density_is_eight_bits(v, ref):
    got = v.uniform
    checks.assert_tensor(got, "bits_per_dim(log_p_y, D)", shape=(2,))
    value = float(got[0])
    hint = ""
    if abs(value) < 1e-6:
        hint = ": the + D log 256 term (the dequantisation bins of width 1/256) is missing"
    elif abs(value - 8 * math.log(2)) < 1e-4:
        hint = ": that is nats per dimension; divide by log 2 for bits"
    elif abs(value - 784 * 8) < 1e-2:
        hint = ": that is for the whole image; divide by the number of dimensions D"
    assert abs(value - 8.0) < 1e-5, \
        f"expected 8 bits per dimension for log p(y) = 0 (the uniform density on [0, 1)^D), found {value:.5g}{hint}"


# ====================================================================== the two weights files
def _file_from_full_mode(v, name):
    """Fail the test, earning 0, when fast mode (CI's smoke run, a student's quick check) wrote no ``name``: a cell
    whose graded file does not exist earns nothing, in the kernel as in the grader (issue 54 finding 1)."""
    from dgmlab import runtime

    if runtime.mode() == "fast" and name not in v.files:
        raise TestFailure(f"no {name} yet: train in full mode (fast mode writes no file) and save it beside the "
                          f"notebook; this cell earns 0 without it")


def _layout_pixelcnn(channels=64, n_layers=5, kernel_size=7) -> dict:
    """``{name: shape}`` of the state dict of the PixelCNN the docstring states (self.net: the convolutions at 0, 2,
    ..., each with its weight, bias and (1, 1, k, k) ``mask`` buffer). Names and shapes only: the network that computes
    with them is the grader's (``file_pixelcnn`` of ``dgmlab.grading.hidden.hw5_explicit.references``) or, in a
    self-check, yours."""
    sizes = [(1, channels, 7)] + [(channels, channels, kernel_size)] * n_layers + [(channels, 1, 1)]
    layout = {}
    for k, (cin, cout, size) in enumerate(sizes):
        layout.update({f"net.{2 * k}.weight": (cout, cin, size, size), f"net.{2 * k}.bias": (cout,),
                       f"net.{2 * k}.mask": (1, 1, size, size)})
    return layout


def _layout_realnvp(dim=784, hidden=256, n_coupling=6) -> dict:
    """``{name: shape}`` of the state dict of the RealNVP the docstrings state (self.layers, each with its (dim,)
    ``mask`` buffer and s_net, t_net). Names and shapes only, as :func:`_layout_pixelcnn`."""
    layout = {}
    for l in range(n_coupling):
        layout[f"layers.{l}.mask"] = (dim,)
        layout.update(stated_coupling_shapes(dim, hidden, prefix=f"layers.{l}."))
    return layout


FILE_NETWORKS = {P1_WEIGHTS_FILE: ("PixelCNN", (), "file_pixelcnn", _layout_pixelcnn),
                 P2_WEIGHTS_FILE: ("RealNVP", (784, 256, 6), "file_realnvp", _layout_realnvp)}


def _network_for(name):
    """The network a handed-in file is loaded into: the grader's stand-in where the grader is installed (graded), else
    the notebook's own class (a student's self-check), as the docstring's arguments build it. The kit holds no network
    that computes (a forward pass would answer the homework)."""
    from dgmlab.probes import optional_module

    cls_name, args, maker, _ = FILE_NETWORKS[name]
    graded = optional_module("dgmlab.grading.hidden.hw5_explicit.references")
    if graded is not None:
        return getattr(graded, maker)()
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - a self-check runs in the notebook's kernel
        get_ipython = None
    shell = get_ipython() if get_ipython is not None else None
    cls = None if shell is None else shell.user_ns.get(cls_name)
    if cls is None:
        raise TestFailure(f"this check loads {name} into your {cls_name}{args or '()'}: run the cells that define "
                          f"{cls_name} first")
    return cls(*args)


def _file_network(v, name, made_by):
    from dgmlab import artifacts

    state = artifacts.load_bytes(v.files[name], name=name, max_bytes=MAX_FILE_BYTES, made_by=made_by)
    layout = FILE_NETWORKS[name][3]()
    if isinstance(state, dict) and {k: tuple(getattr(t, "shape", ())) for k, t in state.items()} != layout:
        # the names and shapes the docstrings state, checked before any network is built
        got = {k: tuple(getattr(t, "shape", ())) for k, t in state.items()}
        missing, extra = sorted(set(layout) - set(got)), sorted(set(got) - set(layout))
        wrong = sorted(k for k in set(got) & set(layout) if got[k] != layout[k])
        detail = "; ".join(part for part in (
            f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}" if missing else "",
            f"not in the stated network: {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}" if extra else "",
            ", ".join(f"{k} has shape {got[k]} (stated {layout[k]})" for k in wrong[:3])) if part)
        raise TestFailure(f"the weights in {name} are not those of the stated network ({detail}): hand in the file "
                          f"{made_by} writes with the full settings, unchanged")
    return artifacts.load_weights(_network_for(name), state, name=f"the weights in {name}")


MAX_FILE_BYTES = 64 * 2**20  # what a cell reads at all (dgmlab.probes.MAX_FILE_BYTES); the hidden tests are stricter
# The visible point's bars: a point for a file that has been trained, computed here from the file alone and with no
# likelihood formula (those answer P1 and P2; the grader's likelihood bars are in the hidden tests). The grading
# digits' pixels a PixelCNN predicts right (logit > 0 exactly where the pixel is 1) given the pixels before them:
# untrained, or every pixel black, 86.7%; copying the pixel above or to the left 93.3-93.7%; one epoch 96.4%, the
# full run 96.8%. A Real NVP on the grading digits after the printed logit transform (mid-bin values): the mean
# square of z's coordinates (a standard normal latent gives 1; untrained 34-86, 30 steps 4.4, the full run 0.27) and
# its log-determinant per dimension (the full run -0.23; a flow that only shrinks its input pays here).
P1_VISIBLE_BAR_ACCURACY = 0.95
P2_VISIBLE_BAR_Z2 = 2.0
P2_VISIBLE_BAR_LOG_DET = -1.0


def pixel_accuracy(net, x) -> float:
    """The share of the pixels of binary images ``x`` where ``net(x)``'s logit is > 0 exactly where the pixel is 1."""
    torch = _torch()
    net.eval()
    with torch.no_grad():
        logits = net(x)
    return float(((logits > 0).float() == x).float().mean())


def flow_on_digits(flow, x):
    """``(mean z_i^2, mean log|det| per dimension)`` of ``flow`` on images ``x`` (8-bit values / 255) at the middle of
    their dequantisation bins, sent through torch.logit: the printed transform without its alpha (which moves v by at
    most 6e-4 there, for alpha = 1e-6; the grader's likelihood uses the printed transform itself)."""
    torch = _torch()
    flow.eval()
    y = (torch.round(x.reshape(len(x), -1) * 255) + 0.5) / 256
    with torch.no_grad():
        z, log_det = flow(torch.logit(y))
    return float((z ** 2).mean()), float(log_det.mean()) / y.shape[1]


@points(1)
def test_p1_file_is_a_trained_pixelcnn(v, ref):
    # the file in the stated PixelCNN() (its own masks): causal, and at least 95% of the grading digits' pixels
    # predicted right from the pixels before them
    from dgmlab import likelihoods

    _file_from_full_mode(v, P1_WEIGHTS_FILE)
    net = _file_network(v, P1_WEIGHTS_FILE, "the P1 training cell")
    likelihoods.check_causal(net)
    share = pixel_accuracy(net, likelihoods.grading_digits(100, scale="binary"))
    assert share >= P1_VISIBLE_BAR_ACCURACY, \
        (f"the network in {P1_WEIGHTS_FILE} predicts {share:.1%} of the grading digits' pixels from the pixels before "
         f"them (logit > 0 exactly where the pixel is 1), less than {P1_VISIBLE_BAR_ACCURACY:.0%} (untrained: about "
         f"87%, the share of black pixels; trained: about 96.5%): hand in the file the full training run writes")


@points(1)
def test_p2_file_is_a_trained_realnvp(v, ref):
    # the file in the printed flow RealNVP(784, 256, 6) (its own masks): log-det = Jacobian's, and the grading digits
    # sent to a latent of about unit scale without shrinking
    from dgmlab import likelihoods

    _file_from_full_mode(v, P2_WEIGHTS_FILE)
    net = _file_network(v, P2_WEIGHTS_FILE, "the P2 training cell")
    likelihoods.check_log_det(net, likelihoods.grading_digits(1, scale="[0,1]"))
    z2, log_det = flow_on_digits(net, likelihoods.grading_digits(200, scale="[0,1]"))
    assert z2 <= P2_VISIBLE_BAR_Z2, \
        (f"the flow in {P2_WEIGHTS_FILE} sends the grading digits to z with a mean square of {z2:.2f} per coordinate, "
         f"more than {P2_VISIBLE_BAR_Z2:g} (a standard normal latent gives 1; untrained: 30-90): hand in the file the "
         f"full training run writes")
    assert log_det >= P2_VISIBLE_BAR_LOG_DET, \
        (f"the flow in {P2_WEIGHTS_FILE} has a log-determinant of {log_det:.2f} per dimension on the grading digits, "
         f"below {P2_VISIBLE_BAR_LOG_DET:g}: it shrinks its input toward 0 rather than modelling it (the full "
         f"training run gives about -0.2)")


CHECKS = [
    CheckSpec("q1_discriminative_tests", 2, 0.75, ("discriminative_posterior",),
              visible=(test_disc_rows_are_distributions, test_a_latent_the_prior_never_draws_plays_no_role,
                       test_disc_unreachable_x_is_uniform, test_disc_is_differentiable),
              probe=_q1_disc_probe, inputs=_q1_disc_inputs),
    CheckSpec("q1_generative_tests", 2, 0.75, ("generative_posterior",),
              visible=(test_gen_rows_are_distributions, test_a_class_the_prior_never_draws_gets_no_mass,
                       test_gen_unreachable_x_is_uniform, test_gen_is_differentiable),
              probe=_q1_gen_probe, inputs=_q1_gen_inputs),
    CheckSpec("q1_steps_tests", 2, 1, ("discriminative_step", "generative_step"),
              visible=(test_steps_return_tensor_and_float, test_loss_at_zero_logits_is_log_3,
                       test_a_small_step_lowers_the_loss),
              probe=on_working(_q1_steps_probe), inputs=with_working(_q1_steps_inputs)),
    CheckSpec("q2_density_tests", 2, 0.75, ("flow_density",),
              visible=(test_is_expression_in_x, test_density_of_an_affine_flow_integrates_to_one,
                       test_density_of_an_exp_flow_integrates_to_one),
              probe=_q2_density_probe, inputs=_q2_density_inputs),
    CheckSpec("q2_risk_tests", 3, 1, ("flow_empirical_risk",),
              visible=(test_identity_flow_on_zeros, test_the_log_det_counts_once_per_point_with_its_sign,
                       test_risk_is_differentiable),
              probe=_q2_risk_probe, inputs=_q2_risk_inputs),
    CheckSpec("q3_kl_tests", 2, 1.25, ("kl_PQ", "kl_bernoulli"),
              visible=(test_kl_is_expression_in_theta, test_kl_lies_between_two_known_bounds),
              probe=_q3_kl_probe, inputs=_q3_inputs),
    CheckSpec("q3_js_tests", 3, 1.5, ("js_PQ", "js_bernoulli", "kl_bernoulli"),
              visible=(test_js_is_expression_in_theta, test_zero_exactly_for_equal_distributions,
                       test_js_is_symmetric_and_within_its_bounds),
              probe=_q3_js_probe, inputs=_q3_inputs),
    CheckSpec("q3_theta_star_tests", 2, 1, ("theta_star_kl", "theta_star_js", "kl_PQ", "js_PQ"),
              visible=(test_are_floats_in_unit_interval, test_minimises_your_divergences)),
    CheckSpec("q4_stats_tests", 2, 0.75, ("feature_statistics",),
              visible=(test_shapes_and_dtype, test_values_on_three_points, test_gradient_reaches_the_features),
              probe=_q4_stats_probe, inputs=_q4_stats_inputs),
    CheckSpec("q4_frechet_tests", 4, 1, ("frechet_gaussian",),
              visible=(test_zero_for_identical_gaussians, test_one_dimensional_case, test_one_dimensional_gradient,
                       test_diagonal_covariances, test_general_covariances, test_nearly_singular_covariances),
              probe=on_working(_q4_frechet_probe), inputs=with_working(_q4_frechet_inputs)),
    CheckSpec("p1_masked_conv_tests", 5, 2, ("MaskedConv2d",),
              visible=(test_type_A_5x5_as_printed, test_type_B_5x5_as_printed, test_the_mask_acts_on_new_weights),
              probe=on_working(_p1_conv_probe), inputs=with_working(_p1_conv_inputs)),
    CheckSpec("p1_model_tests", 5, 1.25, ("PixelCNN",),
              visible=(test_small_stack_as_stated, test_default_stack_as_stated, test_masks_of_the_stack_as_stated,
                       test_causal_as_a_whole),
              probe=on_working(_p1_model_probe), inputs=with_working(_p1_model_inputs)),
    CheckSpec("p1_nll_tests", 4, 1.75, ("bernoulli_nll",),
              visible=(test_one_value_per_image, test_uniform_logits_cost_log2_per_pixel,
                       test_finite_for_very_large_logits),
              probe=_p1_nll_probe, inputs=_p1_nll_inputs),
    CheckSpec("p1_inpaint_tests", 6, 1, ("inpaint",),
              visible=(test_shape_and_binary_values, test_visible_pixels_are_kept, test_visible_pixels_never_change,
                       test_hidden_pixels_are_samples, test_sequential_conditioning_in_raster_order),
              probe=_p1_inpaint_probe, inputs=_p1_inpaint_inputs),
    CheckSpec("p1_weights_tests", 3, 2, (), visible=(test_p1_file_is_a_trained_pixelcnn,), files=(P1_WEIGHTS_FILE,)),
    CheckSpec("p2_logit_tests", 4, 1.5, ("dequantize", "logit_transform", "inverse_logit_transform"),
              visible=(test_v_is_the_printed_transform, test_inverse_undoes_the_printed_transform,
                       test_log_det_on_a_tiny_case, test_dequantized_values_stay_in_their_bin),
              probe=on_working(_p2_logit_probe), inputs=with_working(_p2_logit_inputs)),
    CheckSpec("p2_coupling_tests", 5, 1.5, ("CouplingLayer",),
              visible=(test_forward_is_the_statements_map, test_log_det_is_the_statements,
                       test_inverse_undoes_the_statements_map),
              probe=on_working(_p2_coupling_probe), inputs=with_working(_p2_coupling_inputs)),
    CheckSpec("p2_realnvp_tests", 5, 1.5, ("RealNVP", "CouplingLayer"),
              visible=(test_flow_is_the_stated_stack, test_flow_inverse_undoes_the_stated_flow,
                       test_log_prob_is_the_change_of_variables),
              probe=on_working(_p2_realnvp_probe), inputs=with_working(_p2_realnvp_inputs)),
    CheckSpec("p2_log_prob_tests", 3, 1.5, ("log_prob_data", "logit_transform"),
              visible=(test_log_prob_shape, test_tiny_case), probe=_p2_log_prob_probe, inputs=_p2_log_prob_inputs),
    CheckSpec("p2_bpd_tests", 3, 2, ("bits_per_dim",), visible=(test_uniform_density_is_eight_bits,),
              probe=_p2_bpd_probe, inputs=_p2_bpd_inputs),
    CheckSpec("p2_weights_tests", 3, 2, (), visible=(test_p2_file_is_a_trained_realnvp,), files=(P2_WEIGHTS_FILE,)),
]
