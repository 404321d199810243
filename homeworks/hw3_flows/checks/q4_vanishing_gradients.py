"""hw3_flows, Q4 (vanishing gradients): the derivatives of the saturating and non-saturating losses, the losses
in torch, and the generator's gradient norm through a saturated discriminator (the notebook's given pieces, ``Q4``).

The part's test cells' inputs, probes, visible tests and ``CheckSpec``s.
"""
from __future__ import annotations

import math

from dgmlab.probes import WORKING_SEED, CheckSpec, _np, _sp, _torch, asserts, attempt, on_working, with_working, working
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import _randn, symbols

# ------------------------------------------------------------------ Q4.1
H0 = "13/10"  # where the visible tests compare the derivatives with finite differences (graded: a drawn h)


def _h_inputs(seed):
    """The logit h where the derivatives are compared with the grader's finite differences: :data:`H0` for the working
    seed, drawn (k / 10 in [-4, 4]) from any other (graded), so the value recorded at H0 answers nothing there."""
    if int(seed) == WORKING_SEED:
        return {"h": H0}
    rng = _np().random.default_rng(int(seed) + 41)
    return {"h": f"{int(rng.integers(-40, 41))}/10"}


def _at(expr, name, h):
    sp, s = _sp(), symbols()
    try:
        return complex(sp.N(asserts.as_sympy(expr, name).subs(s["h"], sp.Rational(h)), 30))
    except (TypeError, ValueError, ZeroDivisionError):
        raise AssertionError(f"{name} does not evaluate to a number at h = {h}") from None


def _types(v, d_name, limit_name):
    s = symbols()
    asserts.assert_sympy_expr(getattr(v, d_name), d_name, symbols=[s["h"]])
    if s["h"] not in getattr(v, d_name).free_symbols:
        raise AssertionError(
            f"{d_name} is a constant: the derivative of the loss changes with the logit h, so it is an expression in h")
    asserts.assert_sympy_expr(getattr(v, limit_name), limit_name, symbols=[])


@points(0.5)
def test_saturating_types(v, ref):
    _types(v, "d_saturating", "limit_saturating")


@points(1.75)
def test_d_saturating_matches_a_finite_difference(v, ref):
    # against the grader's finite difference of log(1 - sigma(h)) at h = H0 (graded: the drawn h; recorded for H0)
    h = v.inputs.working["h"]
    got = _at(v.d_saturating, "d_saturating", h)
    if not abs(got - ref["d_at_h"]) < 1e-12:
        raise AssertionError(
            f"d_saturating at h = {h} differs from a finite difference of log(1 - sigma(h)) (check the sign)")


FAR = -60  # a logit deep in the perfect-discriminator regime: sigma(-60) is about 1e-26


def _limit_is_the_far_value(v, d_name, limit_name, derivative_test, ref):
    """The limit is where the derivative goes as h -> -oo: the student's own derivative at h = FAR, to 1e-12, once that
    derivative is right (a limit of a wrong derivative earns nothing)."""
    try:
        derivative_test(v, ref)
    except AssertionError:
        raise AssertionError(f"{limit_name} is checked once {d_name} is right (see the test above)") from None
    got = _at(getattr(v, d_name), d_name, str(FAR))
    limit = complex(_sp().N(asserts.as_sympy(getattr(v, limit_name), limit_name), 30))
    if not abs(got - limit) < 1e-12:
        raise AssertionError(
            f"{limit_name} is not where your {d_name} goes in the perfect-discriminator regime: there D(G(z)) -> 0, "
            f"i.e. h -> -oo, and {d_name} at h = {FAR} is far from it (which end is the limit taken at?)")


@points(0.75)
def test_saturating_limit_is_at_minus_infinity(v, ref):
    _limit_is_the_far_value(v, "d_saturating", "limit_saturating", test_d_saturating_matches_a_finite_difference, ref)


@points(0.75)
def test_non_saturating_limit_is_at_minus_infinity(v, ref):
    _limit_is_the_far_value(v, "d_non_saturating", "limit_non_saturating",
                            test_d_non_saturating_matches_a_finite_difference, ref)


@points(0.5)
def test_non_saturating_types(v, ref):
    _types(v, "d_non_saturating", "limit_non_saturating")


@points(0.75)
def test_d_non_saturating_matches_a_finite_difference(v, ref):
    # against the grader's finite difference of -log(sigma(h)) at h = H0 (graded: the drawn h; recorded for H0)
    h = v.inputs.working["h"]
    got = _at(v.d_non_saturating, "d_non_saturating", h)
    if not abs(got - ref["d_at_h"]) < 1e-12:
        raise AssertionError(
            f"d_non_saturating at h = {h} differs from a finite difference of -log(sigma(h)) (check the sign)")


# ------------------------------------------------------------------ Q4.2
def _logit_inputs(seed):
    torch, g = _torch(), _gen(seed, 4)
    fixed = torch.tensor([-20.0, -6.0, -1.5, 0.0, 0.7, 3.0, 5.0], dtype=torch.float64)
    return {"logits": torch.cat([fixed, 4 * _randn(g, 3)])}


def _losses_probe(o, x):
    torch = _torch()
    out = {}
    for key, fn in (("saturating", o["saturating_loss"]), ("non_saturating", o["non_saturating_loss"])):
        out[f"{key}_at_zero"] = attempt(fn, torch.zeros(3, dtype=torch.float64))
        out[f"{key}_on_logits"] = attempt(fn, x["logits"].clone())
        out[f"{key}_on_minus_logits"] = attempt(fn, -x["logits"].clone())
        out[f"{key}_gradient"] = attempt(_gradient, fn, x["logits"])
        out[f"{key}_on_large_logits"] = attempt(fn, _large_logits())
        out[f"{key}_keeps_the_graph"] = attempt(_keeps_the_graph, fn, x["logits"])
    return out


def _large_logits():
    """Logits of a confident discriminator, both ways: the losses must stay finite there."""
    return _torch().tensor([-800.0, -100.0, -40.0, 40.0, 100.0, 800.0], dtype=_torch().float64)


def _keeps_the_graph(fn, logits) -> bool:
    """Whether fn's value on logits that require a gradient is itself differentiable (has a graph back to them)."""
    torch = _torch()
    out = fn(logits.clone().requires_grad_(True))
    return bool(isinstance(out, torch.Tensor) and out.requires_grad and out.grad_fn is not None)


def _gradient(fn, logits):
    """d fn(logits) / d logits, by autograd through the student's function."""
    t = logits.clone().requires_grad_(True)
    return _torch().autograd.grad(fn(t), t)[0]


def _values_right_first(v, ref, what):
    """The tests below add to the losses' values: they are checked once both losses are right on a batch of logits (a
    constant or a sum is finite and keeps a graph, and earns nothing for it)."""
    try:
        test_scalar_outputs(v, ref)
        test_both_losses_on_a_batch_of_logits(v, ref)
    except AssertionError:
        raise AssertionError(f"{what} is checked once both losses give the right values (see the tests above)") from None


@points(0.5)
def test_losses_stay_right_for_large_logits(v, ref):
    # the statement: each loss's value for logits of any size (a perfect discriminator's are large), neither infinite
    # nor clamped; compared with the losses' own asymptotes, log(1 - sigma(h)) = -h - log(1 + e^-h) and
    # -log sigma(h) = log(1 + e^-h), computed stably, not with a recorded value
    _values_right_first(v, ref, "that the losses stay right for large logits")
    torch, w, large = _torch(), working(v), _large_logits()
    for name, got, naive, rounds_to, far, want in (
            ("saturating_loss", w.saturating_on_large_logits, "log(1 - sigmoid(h))", "1 (large h)",
             "about -h for large h: log(1 - sigmoid(800)) is -800", -torch.nn.functional.softplus(large).mean()),
            ("non_saturating_loss", w.non_saturating_on_large_logits, "-log(sigmoid(h))", "0 (very negative h)",
             "about -h for very negative h: -log(sigmoid(-800)) is 800", torch.nn.functional.softplus(-large).mean())):
        value = asserts.as_array(got, f"{name} on large logits")
        if not _np().isfinite(value).all():
            raise AssertionError(
                f"{name} is not finite on logits as large as +-800: {naive} takes the log of 0 once sigmoid(h) "
                f"rounds to {rounds_to}; torch.nn.functional.logsigmoid computes it stably")
        if not (value.shape == () and math.isclose(float(value), float(want), rel_tol=1e-9)):
            raise AssertionError(
                f"{name} is finite but wrong on logits as large as +-800: {naive} is {far}. A log of a clamped or "
                "rounded sigmoid loses that (binary_cross_entropy on probabilities clamps its log at -100); "
                "torch.nn.functional.logsigmoid computes it exactly")


@points(0.25)
def test_losses_are_differentiable_in_the_logits(v, ref):
    _values_right_first(v, ref, "that the losses are differentiable")
    w = working(v)
    for name, kept in (("saturating_loss", w.saturating_keeps_the_graph),
                       ("non_saturating_loss", w.non_saturating_keeps_the_graph)):
        if kept is not True:
            raise AssertionError(
                f"{name}(logits) is not differentiable in the logits: return the 0-d tensor itself, with its graph "
                f"(no .detach(), .item() or numpy)")


@points(0.75)
def test_scalar_outputs(v, ref):
    w = working(v)
    asserts.assert_tensor(w.saturating_at_zero, "saturating_loss(logits)", shape=())
    asserts.assert_tensor(w.non_saturating_at_zero, "non_saturating_loss(logits)", shape=())
    asserts.assert_close(w.saturating_at_zero, -math.log(2), name="saturating_loss at logit 0")
    asserts.assert_close(w.non_saturating_at_zero, math.log(2), name="non_saturating_loss at logit 0")


@points(0.5)
def test_both_losses_on_a_batch_of_logits(v, ref):
    # the grader's own values at the negated working batch (recorded); rtol 1e-8: log(1 - sigmoid(h)) computed naively
    # (a correct answer) is about 1e-9 off in relative terms at h = 20
    w, rec = working(v), ref
    for name, got, want in (("saturating_loss", w.saturating_on_minus_logits, rec["saturating_on_minus_logits"]),
                            ("non_saturating_loss", w.non_saturating_on_minus_logits,
                             rec["non_saturating_on_minus_logits"])):
        asserts.assert_close(got, want, rtol=1e-8, atol=1e-12,
                            name=f"{name} on a batch of logits (a sign, or a sum where the mean belongs?)")


# ------------------------------------------------------------------ Q4.3
# The probe's own losses of the logits (not the answers of Q4.2): one whose gradient vanishes as the
# logits go to -oo like the saturating loss's, one whose gradient never does. Both rise with the logits, as no
# generator loss does: -logits.mean() was WGAN's generator loss (hw1 Q3, 1.25 of 5 when put in its place) and
# hw4 P1's in part; the norm of the gradient, all the probe measures, is the same either way.
def vanishing_loss(logits):
    return _torch().exp(logits).mean()


def linear_loss(logits):
    return logits.mean()


W_DISC, OFFSETS = (1.5, -0.5), (0.0, -2.0, -4.0, -8.0, -12.0, -16.0)


def make_discriminator(c):
    """A fixed linear discriminator h(x) = w.x + c on 2-D samples: (N, 2) -> (N,) logits."""
    w = _torch().tensor(W_DISC, dtype=_torch().float64)
    return lambda xb: xb @ w + c


def make_generator(seed=0):
    """A tiny generator G(z) = A z + b (float64), its parameters made from ``seed``."""
    torch = _torch()
    g = _gen(seed, 5)
    gen = torch.nn.Linear(2, 2, dtype=torch.float64)
    with torch.no_grad():
        gen.weight.copy_(torch.rand(2, 2, generator=g, dtype=torch.float64) * 2 - 1)
        gen.bias.copy_(torch.rand(2, generator=g, dtype=torch.float64) * 2 - 1)
    return gen


Q4 = {"vanishing_loss": vanishing_loss, "linear_loss": linear_loss, "make_discriminator": make_discriminator,
      "make_generator": make_generator, "OFFSETS": OFFSETS,
      "REPEATED_OFFSETS": (0.0, -3.0, 2.0)}


def _grad_norm_inputs(seed):
    g = _gen(seed, 6)
    return {"z8": _randn(g, 8, 2), "z32": _randn(g, 32, 2), "z64": _randn(g, 64, 2), "generator_seed": int(seed) % 1000}


def _grad_norm_probe(o, x):
    norm = o["generator_grad_norm"]
    gs = x["generator_seed"]
    gen0 = make_generator(gs)
    first = attempt(norm, gen0, make_discriminator(0.0), x["z8"].clone(), vanishing_loss)
    again = attempt(norm, gen0, make_discriminator(0.0), x["z8"].clone(), vanishing_loss)
    gen = make_generator(gs + 1)

    def repeated():
        return [norm(gen, make_discriminator(c), x["z32"].clone(), fn)
                for c in Q4["REPEATED_OFFSETS"] for fn in (vanishing_loss, linear_loss)]

    def over_offsets(fn):
        g2 = make_generator(gs + 2)
        return [norm(g2, make_discriminator(c), x["z64"].clone(), fn) for c in OFFSETS]

    return {"first_call": first, "second_call": again, "repeated_calls": attempt(repeated),
            "vanishing_over_offsets": attempt(over_offsets, vanishing_loss),
            "linear_over_offsets": attempt(over_offsets, linear_loss)}


def _matches_finite_differences(g, want, which):
    if not isinstance(g, float):
        raise AssertionError(
            f"expected the {which} call to return a Python float, found {type(g).__name__}: a tensor norm becomes a "
            f"float with float(...) or .item()")
    hint = ""
    if want > 0 and abs(g - want * want) <= 1e-6 * want * want:
        hint = ": that is the squared norm (take the square root)"
    elif abs(g - 2 * want) <= 1e-6 * want:
        hint = ": that is twice the norm, so a gradient from the earlier call is left over (zero it first)"
    if not abs(g - want) <= 1e-6 * want:
        raise AssertionError(
            f"on the {which} call generator_grad_norm gives {g:.6g}, the norm of a finite-difference gradient is "
            f"{want:.6g}{hint}")


@points(2)
def test_matches_finite_differences(v, ref):
    # against the grader's gradient norm by central differences on every parameter, on the working inputs (recorded)
    _matches_finite_differences(working(v).first_call, ref["fd_norm"], "first")


@points(1.5)
def test_a_second_call_matches_finite_differences_too(v, ref):
    # the same generator again: a gradient left over from the first call must not count
    _matches_finite_differences(working(v).second_call, ref["fd_norm"], "second")


CHECKS = [
    CheckSpec("q4_saturating_tests", hidden_for="the derivative at more logits, the limit's value", names=("d_saturating", "limit_saturating"),
              visible=(test_saturating_types, test_d_saturating_matches_a_finite_difference,
                       test_saturating_limit_is_at_minus_infinity),
              inputs=with_working(_h_inputs)),
    CheckSpec("q4_non_saturating_tests", hidden_for="the derivative at more logits, the limit's value", names=("d_non_saturating", "limit_non_saturating"),
              visible=(test_non_saturating_types, test_d_non_saturating_matches_a_finite_difference,
                       test_non_saturating_limit_is_at_minus_infinity),
              inputs=with_working(_h_inputs)),
    CheckSpec("q4_generator_losses_tests", hidden_for="both losses' values and gradients on another batch", names=("saturating_loss", "non_saturating_loss"),
              visible=(test_scalar_outputs, test_both_losses_on_a_batch_of_logits, test_losses_stay_right_for_large_logits,
                       test_losses_are_differentiable_in_the_logits),
              probe=on_working(_losses_probe), inputs=with_working(_logit_inputs)),
    CheckSpec("q4_grad_norm_tests", hidden_for="repeated calls, and the norms as the discriminator grows certain", names=("generator_grad_norm",),
              visible=(test_matches_finite_differences, test_a_second_call_matches_finite_differences_too),
              probe=on_working(_grad_norm_probe), inputs=with_working(_grad_norm_inputs)),
]
