"""hw2_wgangp, P5(e): the critic's and the generator's training steps: their inputs, probes, visible tests and specs
(see __init__.py; P5(a)-(d) are in :mod:`.p5_wgan_gp_mnist`)."""
from __future__ import annotations

from dgmlab.probes import (
    CheckSpec,
    _torch,  # lazy imports
    asserts,
    attempt,
    with_working,
    working,
)
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import (
    STEP_LR,
    _direction,
    _on_working,
    _randn,
    _toy_gen_weights,
    toy_critic,
    toy_generator,
)
from .p5_wgan_gp_mnist import checks_usable
from .stand_ins import standing_in


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


def stand_in_critic_loss(critic, x_real, x_fake, lam=10.0):
    """Stands in for the notebook's critic_loss while critic_step runs (P5(c) is checked in its own cell): a loss of
    the critic's scores that no part of the homework asks for, the grader's step references descend it too."""
    weights = sum((p ** 2).sum() for p in critic.parameters())
    return 0.5 * ((critic(x_fake) - 1) ** 2).mean() - critic(x_real).mean() + 0.01 * lam * weights


def stand_in_generator_loss(critic, x_fake):
    """Stands in for the notebook's generator_loss while generator_step runs (P5(c) is checked in its own cell)."""
    return 0.5 * ((critic(x_fake) - 1) ** 2).mean()


STAND_INS = {"critic": {"critic_loss": stand_in_critic_loss}, "generator": {"generator_loss": stand_in_generator_loss}}


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
    with standing_in(step, STAND_INS[which]) as called:
        if which == "critic":
            loss = step(gen, critic, opt, case["x_real"].clone(), case["z"].clone())
        else:
            loss = step(gen, critic, opt, case["z"].clone())

    def grad_sizes(model):  # what the step left in each parameter's .grad (None: nothing)
        return {n: None if p.grad is None else float(p.grad.abs().sum()) for n, p in model.named_parameters()}

    return {"loss": loss, "generator": _params(gen), "critic": _params(critic), "generator_grads": grad_sizes(gen),
            "stood_in": bool(called)}


def _wanted(out, ref):
    """What the grader's step gave on the working draw: with the stand-in loss when the step called it (the
    notebook's loss function, stood in for), else with the statement's loss (a step that computes it itself)."""
    return ref["stand_in"] if out.get("stood_in") is True else ref


def _critic_step_probe(o, x):
    return {case: attempt(_step_probe, o["critic_step"], x[case], "critic") for case in ("moves", "batch", "fresh", "stale")}


def _generator_step_probe(o, x):
    return {case: attempt(_step_probe, o["generator_step"], x[case], "generator")
            for case in ("moves", "batch", "fresh", "stale")}


def _step_out(v, case):
    return checks_usable(getattr(v, case), f"the step on the {case} batch")


def _loss_as_a_float(out):
    loss = out["loss"]
    if not isinstance(loss, float):
        raise AssertionError(f"expected the loss as a Python float, found {type(loss).__name__} (use loss.item())")


@points(1.25)
def test_returns_the_critic_loss_of_the_batch(v, ref):
    # a linear critic has the same input gradient everywhere, so its penalty is not random; the grader computed
    # the loss of the working seed's batch
    out = _step_out(working(v), "batch")
    _loss_as_a_float(out)
    want = _wanted(out, ref)["batch"]
    wasserstein, loss = want.get("wasserstein"), want["loss"]
    got = float(out["loss"])
    hint = ""
    if wasserstein is not None and abs(got - wasserstein) < 1e-3:
        hint = ": that is E D(fake) - E D(real) alone; the gradient penalty (lambda = 10) is missing"
    elif abs(got + loss) < 1e-3:
        hint = ": the sign is flipped; the critic minimises L_D (ascending it is a sign error)"
    what = "what critic_loss gives" if out.get("stood_in") is True else "L_D = E D(fake) - E D(real) + 10 * penalty"
    if not abs(got - loss) < 1e-3:
        raise AssertionError(
            f"expected the critic loss, {what}, on this batch (computed before the update), found {got:.4f}, "
            f"{asserts.off_by(got, loss)}{hint}")


@points(1.25)
def test_returns_the_generator_loss_of_the_batch(v, ref):
    out = _step_out(working(v), "batch")
    _loss_as_a_float(out)
    want = _wanted(out, ref)["batch_loss"]
    got = float(out["loss"])
    hint = ": the sign is flipped; the generator minimises L_G = -E D(G(z))" if abs(got + want) < 1e-4 else ""
    if not abs(got - want) < 1e-4:
        raise AssertionError(
            f"expected L_G = -E D(G(z)) on this batch (before the update), found {got:.4f}, "
            f"{asserts.off_by(got, want)}{hint}")


@points(2.5)
def test_update_descends_the_critic_loss_and_leaves_the_generator(v, ref):
    _critic_update_descends(v, ref)


def _critic_update_descends(v, ref):
    # a fresh Adam moves every parameter by -lr * sign(gradient): the grader's step on the working seed's toys
    torch, w = _torch(), working(v)
    case, out = w.inputs.fresh, _step_out(w, "fresh")
    for n in ("A", "c"):
        if not torch.equal(out["generator"][n], case[n]):
            raise AssertionError("critic_step changed the generator")
    want = _wanted(out, ref)["fresh_critic"]
    for n in ("w", "b"):
        asserts.assert_close(out["critic"][n], want[n], atol=2e-4,
                            name=f"critic parameter {n} after one Adam step (sign of the gradient of L_D, "
                                 "fresh gradients, penalty included?)")


def _ignores_stale_gradients(v, ref, network, params, opt):
    # the step runs with stale values in its optimiser's gradients (as the other network's step can leave): the
    # update must be the fresh step's, which the grader computed
    torch, w = _torch(), working(v)
    case, out = w.inputs.stale, _step_out(w, "stale")
    other = "critic" if network == "generator" else "generator"
    if not all(torch.equal(out[other][n], case[n]) for n in out[other] if n in case):
        raise AssertionError(f"{'generator' if network == 'critic' else 'critic'}_step changed the {other}")
    want = _wanted(out, ref)
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
    if left:
        raise AssertionError(
            "critic_step left gradients in the generator's parameters: the fakes it scores carried a graph to the "
            "generator (make them under torch.no_grad() or detach them; the statement: the critic step leaves no "
            "gradient in the generator)")


@points(1.5)
def test_update_descends_the_generator_loss_and_leaves_the_critic(v, ref):
    torch, w = _torch(), working(v)
    case, out = w.inputs.fresh, _step_out(w, "fresh")
    if not (torch.equal(out["critic"]["w"], case["w"]) and float(out["critic"]["b"]) == 0.0):
        raise AssertionError("generator_step changed the critic")
    want = _wanted(out, ref)["fresh_generator"]
    for n in ("A", "c"):
        asserts.assert_close(out["generator"][n], want[n], atol=2e-4,
                            name=f"generator parameter {n} after one Adam step (sign of the gradient of L_G, "
                                 "fresh gradients, graph through the generator?)")


CHECKS = [
    CheckSpec("p5_critic_step_tests", names=("critic_step",),
              visible=(test_returns_the_critic_loss_of_the_batch, test_update_descends_the_critic_loss_and_leaves_the_generator,
                       test_update_ignores_stale_gradients, test_leaves_no_gradient_in_the_generator),
              probe=_on_working(_critic_step_probe), inputs=with_working(_critic_step_inputs)),
    CheckSpec("p5_generator_step_tests", names=("generator_step",),
              visible=(test_returns_the_generator_loss_of_the_batch,
                       test_update_descends_the_generator_loss_and_leaves_the_critic,
                       test_generator_update_ignores_stale_gradients),
              probe=_on_working(_generator_step_probe), inputs=with_working(_generator_step_inputs)),
]
