"""hw1_wgan, Q3(a) (a WGAN on MNIST: its pieces): the losses, the gradient penalty, weight clipping and the training
step; their test cells' inputs, probes, visible tests and specs.

The probes drive the student's functions with toys (linear and tiny critics, a tiny generator) and, for the training
step, with the grader's batches and noise (``RUNS``, ``step_noise``). Q3's deliverables are in :mod:`.q3_deliverables`.
"""
from __future__ import annotations

import math

from dgmlab.probes import (
    CheckSpec,
    _torch,  # lazy imports
    asserts,
    attempt,
    on_working,
    with_working,
    working,
)
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import _close_or_hint


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
    asserts.assert_tensor(v.critic_at_zero, "critic_loss(...)", shape=())
    asserts.assert_tensor(v.generator_at_zero, "generator_loss(...)", shape=())


@points(0.5)
def test_critic_loss_sign_on_one_pair(v, ref):
    got, want = float(v.critic_one_pair), ref["critic_one_pair"]
    if not abs(got - want) < 1e-6:
        raise AssertionError(
            f"for a real score 1 and a fake score 0 expected critic_loss = {want:g}, found {got:g}"
            + (": a sign error (the critic minimises its loss, so it raises real scores)"
               if abs(got + want) < 1e-6 else ""))


@points(0.5)
def test_generator_loss_sign_on_one_score(v, ref):
    got, want = float(v.generator_one_score), ref["generator_one_score"]
    if not abs(got - want) < 1e-6:
        raise AssertionError(
            f"for a fake score 2 expected generator_loss = {want:g}, found {got:g}"
            + (": a sign error (the generator raises the critic's score of its samples)" if abs(got + want) < 1e-6
               else ""))


@points(1.5)
def test_critic_loss_with_unequal_batches(v, ref):
    asserts.assert_close(working(v).critic_unequal_batches, ref["critic_unequal_batches"],
                        name="critic_loss on batches of 4 real and 2 fake scores (a mean of each batch?)")


@points(0.75)
def test_generator_loss_on_a_batch(v, ref):
    asserts.assert_close(working(v).generator_batch, ref["generator_batch"],
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
            "linear_default_lam": attempt(lambda: gp(linear_critic(LINEAR_WEIGHT), x["lin_real"].clone(),
                                                     x["lin_fake"].clone())),
            "tiny_with_alpha": attempt(lambda: gp(tiny_critic(x["critic_seed"]), x["real7"].clone(),
                                                  x["fake7"].clone(), lam=10.0, alpha=x["alpha7"].clone()).detach()),
            "differentiable": attempt(differentiable)}


def _zero_for_a_unit_norm_linear_critic(v):
    out = v.unit_norm_linear
    asserts.assert_tensor(out, "gradient_penalty(...)", shape=())
    got = float(out)
    hint = ""
    if abs(got - 10.0) < 1e-3:
        hint = ": that is lam * ||grad||^2, the '- 1' is missing (penalise (||grad|| - 1)^2)"
    elif abs(got - 10.0 * (math.sqrt(6.0) - 1) ** 2) < 1e-3:
        hint = (": that is one norm over the whole batch of 6; take each sample's norm "
                "(grad.reshape(N, -1).norm(dim=1)), then average")
    if not abs(got) < 1e-5:
        raise AssertionError(
            f"a linear critic with weight norm 1 has gradient norm 1 everywhere, so expected a penalty of 0, "
            f"found {got:.6g}{hint}")


def _penalty_on_linear_critics(v, ref):
    # a linear critic's input gradient is its weight w, at every x_hat: the penalty is lam * (|w| - 1)^2
    _zero_for_a_unit_norm_linear_critic(v)  # takes points away only: 0 is also what a constant 0 gives
    want = ref["linear_per_lam"]
    asserts.assert_close(v.linear_lam_10, 10 * want, rtol=1e-5, name="penalty of a linear critic, lam=10")
    asserts.assert_close(v.linear_lam_2_5, 2.5 * want, rtol=1e-5, name="penalty of a linear critic, lam=2.5")


def _penalty_itself_wrong(v, ref) -> bool:
    """Whether the penalty is wrong on linear critics, whose gradient is the same at every x_hat (so no interpolation
    weight is to blame)."""
    try:
        _penalty_on_linear_critics(v, ref)
    except AssertionError:
        return True
    return False


@points(1.5)
def test_linear_critic_value_and_lambda(v, ref):
    _penalty_on_linear_critics(v, ref)
    # lam's stated default only takes points away
    asserts.assert_close(v.linear_default_lam, 10 * ref["linear_per_lam"], rtol=1e-5,
                         name="penalty of a linear critic with lam left at its default (the signature's lam=10.0)")


def _bowl_hint(v, ref, got, want):
    """What the bowl critic's penalty can tell: the '- 1' left out (E(2 alpha)^2 = E(2 alpha - 1)^2 + 1), a penalty
    wrong on a linear critic too (its gradient is the same at every x_hat, so no interpolation weight is to blame),
    else the interpolation weights."""
    if abs(got - (want + 1.0)) < 0.03:
        return "that is E(2 alpha)^2: the '- 1' is missing (penalise (||grad|| - 1)^2)"
    if _penalty_itself_wrong(v, ref):
        return ("the penalty is wrong on a linear critic too, whose gradient is the same at every x_hat: fix the "
                "penalty itself first (the test above)")
    return "x_hat must use ONE uniform interpolation weight per sample, shared by all its pixels"


@points(1)
def test_one_alpha_per_sample_between_real_and_fake(v, ref):
    got = float(v.bowl)
    want = ref["bowl"]
    if not abs(got - want) < 0.03:
        raise AssertionError(
            f"on a critic whose gradient norm changes along the segment from fake to real (1/2 ||x - c||^2, fake points "
            f"at c, real ones at distance 2, lam = 1) expected E(2 alpha - 1)^2 = {want:.4f} over alpha ~ U[0, 1], found "
            f"{got:.4f}: {_bowl_hint(v, ref, got, want)}")


@points(2)
def test_differentiable_with_respect_to_the_critic(v, ref):
    # a small tanh critic, alpha given: the penalty's gradient with respect to the critic's parameters
    out = working(v).differentiable
    if not out["requires_grad"]:
        raise AssertionError(
            "the penalty does not depend on the critic's parameters, so training the critic on it changes nothing: "
            "keep it differentiable (torch.autograd.grad(..., create_graph=True))")
    got, want = out["grads"], ref["tiny_grads"]
    if len(got) != len(want):
        raise AssertionError("expected a gradient for each critic parameter")
    why = ("the penalty itself is wrong on a linear critic too (the first test): fix it first" if
           _penalty_itself_wrong(v, ref) else "x_hat = alpha real + (1 - alpha) fake?")
    for g, w in zip(got, want, strict=True):
        if g is None:
            raise AssertionError("a critic parameter gets no gradient from the penalty (create_graph=True?)")
        asserts.assert_close(g, w, rtol=1e-4, atol=1e-6,
                            name=f"the penalty's gradient with respect to a small tanh critic's parameters, alpha given "
                                 f"({why})")


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

    def by_default():
        net = small_net(x["scale"])
        returned = clip(net)
        return {"returned": type(returned).__name__, "widest": max(float(p.abs().max()) for p in net.parameters())}

    return {"clipped_at_0_05": attempt(clipped, 0.05), "clipped_at_c": attempt(clipped, x["c"]),
            "in_place": attempt(in_place), "by_default": attempt(by_default)}


ZERO_TO_C = "that is clamped to [0, c]; clamp to [-c, c], which keeps each value's sign"
NOT_IN_PLACE = ("the parameters were not changed in place (a new tensor assigned to p leaves the network's "
                "parameter as it was)")


def _same(a, b) -> bool:
    torch = _torch()
    return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(a, b, atol=1e-7, rtol=0)


def _unchanged(params, scale) -> bool:
    """Whether ``params`` are still the parameters of ``small_net(scale)`` as built: nothing was clipped in place."""
    before = dict(small_net(scale).named_parameters())
    return set(params) == set(before) and all(_same(p, before[k].detach()) for k, p in params.items())


@points(1)
def test_all_parameters_within_bounds(v, ref):
    w = working(v)
    params = w.clipped_at_0_05
    if not (isinstance(params, dict) and params):
        raise AssertionError("clip_weights left the network without parameters")
    unchanged = _unchanged(params, w.inputs.scale)
    before = dict(small_net(w.inputs.scale).named_parameters())
    for name, want in ref["clipped_at_0_05"].items():
        if name not in params:
            raise AssertionError(f"the clipped network has no parameter {name}")
        p = params[name]
        asserts.assert_tensor(p, name)
        if not float(p.abs().max()) <= 0.05 + 1e-7:
            raise AssertionError(
                f"expected every parameter in [-0.05, 0.05] after clip_weights(net, c=0.05), found {name} "
                f"reaching {float(p.abs().max()):.3g}"
                + (f": {NOT_IN_PLACE}" if unchanged else
                   ": biases are parameters too (critic.parameters())" if name.endswith("bias") else ""))
        hint = (f": {ZERO_TO_C}"
                if name in before and _same(p, before[name].detach().clamp(0, 0.05)) else "")
        _close_or_hint(p, want, hint, atol=1e-7, name=f"{name} clipped at c = 0.05")
    # what clip_weights(net) returns and does with its default c only takes points away
    default = w.by_default
    if default["returned"] != "NoneType":
        raise AssertionError(f"clip_weights returned a {default['returned']}: it changes the critic in place and "
                             "returns None")
    if not default["widest"] <= 0.01 + 1e-7:
        raise AssertionError(f"clip_weights(net) with its default c left a parameter at {default['widest']:.3g}: the "
                             "default is c = 0.01")


@points(1.25)
def test_values_inside_the_bounds_are_kept_and_signs_preserved(v, ref):
    w = working(v)
    clipped = w.clipped_at_c
    c, unchanged = w.inputs.c, isinstance(clipped, dict) and _unchanged(clipped, w.inputs.scale)
    before = dict(small_net(w.inputs.scale).named_parameters())
    for name, want in ref["clipped_at_c"].items():
        if name not in clipped:
            raise AssertionError(f"the clipped network has no parameter {name}")
        got, start = clipped[name], before[name].detach()
        hint = ""
        if unchanged:
            hint = f": {NOT_IN_PLACE}"
        elif _same(got, start.clamp(0, c)):
            hint = f": {ZERO_TO_C}"
        elif _same(got, start) and name.endswith("bias"):
            hint = ": biases are parameters too (critic.parameters())"
        _close_or_hint(got, want, hint, atol=1e-7, name=f"{name} after clip_weights(net, c={c:g})")


@points(0.75)
def test_in_place_so_the_optimizer_still_sees_the_parameters(v, ref):
    # clip, then one SGD step of an optimizer made before clipping: it moves the network's parameters only if they
    # are the tensors it holds
    w_ = working(v)
    got, want = w_.in_place, ref["in_place"]
    clipped = w_.clipped_at_c
    clips_right = isinstance(clipped, dict) and all(
        k in clipped and _same(clipped[k], c) for k, c in ref["clipped_at_c"].items())
    why = ("clamped in place, so the optimizer still holds the parameters?" if clips_right else
           "the clipping itself is wrong: see the tests above")
    for name, w in want.items():
        if name not in got:
            raise AssertionError("the clipped network lost a parameter")
        asserts.assert_close(got[name], w, rtol=1e-5, atol=1e-6,
                            name=f"{name} after clipping and one step of an optimizer made before ({why})")


CHECKS = [
    CheckSpec("q3_wgan_losses_tests", names=("critic_loss", "generator_loss"),
              visible=(test_scalars, test_critic_loss_sign_on_one_pair, test_generator_loss_sign_on_one_score,
                       test_critic_loss_with_unequal_batches, test_generator_loss_on_a_batch),
              probe=on_working(_losses_probe), inputs=with_working(_losses_inputs)),
    CheckSpec("q3_gradient_penalty_tests", hidden_for="the penalty's value on a small tanh critic",
              names=("gradient_penalty",),
              visible=(test_linear_critic_value_and_lambda, test_one_alpha_per_sample_between_real_and_fake,
                       test_differentiable_with_respect_to_the_critic),
              probe=on_working(_penalty_probe), inputs=with_working(_penalty_inputs)),
    CheckSpec("q3_clip_weights_tests", names=("clip_weights",),
              visible=(test_all_parameters_within_bounds, test_values_inside_the_bounds_are_kept_and_signs_preserved,
                       test_in_place_so_the_optimizer_still_sees_the_parameters),
              probe=on_working(_clip_probe), inputs=with_working(_clip_inputs)),
]
