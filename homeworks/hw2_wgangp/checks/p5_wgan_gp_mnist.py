"""hw2_wgangp, p5_wgan_gp_mnist: its test cells' inputs, probes, visible tests and specs (see __init__.py).

P5(a)-(d): the MNIST critic, the gradient penalty, the losses and the optimisers; the two steps (e) are in
:mod:`.p5_training_steps`.
P5(g), graded from the handed-in weights, is in :mod:`.p5_deliverables`.
"""
from __future__ import annotations

import time

from dgmlab.probes import (
    CheckSpec,
    _torch,  # lazy imports
    asserts,
    attempt,
    usable,
    wire,
    with_working,
    working,
)
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import (
    OPT_STEPS,
    _block_tests,
    _critic_probe,
    _direction,
    _fork,
    _gradients_test,
    _network_inputs,
    _on_working,
    _randn,
    _scores_test,
    _toy_classes,
    _toy_gen_weights,
    toy_critic,
    toy_generator,
)
from .stand_ins import standing_in


def _mnist_critic_probe(o, x):
    return _fork(x["seed"], _critic_probe, o, x, "Critic")


MNIST_BLOCK_TESTS = (*_block_tests("p5_critic_tests", 0.75, 0.75), _scores_test("p5_critic_tests", 1, "Critic"),
                     _gradients_test(1, "Critic"))


# ------------------------------------------------------------------ P5(b): the gradient penalty
SEGMENT_BATCH = 20_000
# a penalty computed sample by sample (a loop calling the critic on batches of one: valid, as the critic has no
# BatchNorm) takes about 0.4 ms a sample: its bowl batches are 4,000 samples, where the check's tolerance (0.03) is
# still 6 standard errors of the mean of (2 eps - 1)^2 (sd 0.30)
LOOP_BATCH = 4_000
TIMED_BATCH = 500  # samples of the call that tells a penalty computed at once from one that loops (_fast)


def covers_the_batch(shapes, n, sample_shape) -> bool:
    """Whether the critic, given inputs of ``shapes`` (lists), saw ``n`` samples of ``sample_shape`` (a list): x_hat
    of x_real's shape in one call, or split into smaller batches (a loop over the samples)."""
    return bool(shapes) and all(len(s) == 1 + len(sample_shape) and list(s[1:]) == list(sample_shape) for s in shapes) \
        and sum(s[0] for s in shapes) == n


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


def _fast(gp, critic, c, x) -> bool:
    """Whether ``gp`` takes the whole batch at once: under 20 ms for :data:`TIMED_BATCH` samples (about 1 ms vectorised).
    A penalty taking each sample's gradient through the whole batch (autograd.grad per score: valid) costs the
    square of the batch: 20,000 samples took 117 s of a student's 120 s cell; it gets the loop's batch."""
    real, fake = c + x["bowl_direction"] * x["signs"][:TIMED_BATCH], c.expand(TIMED_BATCH, 1, 2, 2).clone()
    start = time.perf_counter()
    if isinstance(attempt(lambda: gp(critic, real, fake)), wire.Raised):
        return False
    return time.perf_counter() - start < 0.02


def _penalty_probe(o, x):
    torch, gp = _torch(), o["gradient_penalty"]
    _, _, Bowl, Recorder = _toy_classes()

    def on(w, real, fake):
        return gp(toy_critic(x[w]), x[real].clone(), x[fake].clone())

    c = x["bowl_centre"]
    recorder = Recorder()
    recorded = attempt(lambda: gp(recorder, (c + x["bowl_direction"] * x["signs"][:3]).clone(),
                                  c.expand(3, 1, 2, 2).clone()))
    # an x_hat broadcast to another shape (an eps of shape (N, 1, 1) makes it (N, N, 2, 2)) would make the batches
    # below tens of gigabytes: they run only when the critic was given x_hat of x_real's shape (whole or by samples)
    shapes_ok = not isinstance(recorded, wire.Raised) and covers_the_batch(recorder.seen, 3, [1, 2, 2])
    n = SEGMENT_BATCH if recorder.seen == [[3, 1, 2, 2]] and shapes_ok and _fast(gp, Bowl(1.0, c), c, x) else LOOP_BATCH
    real, fake = c + x["bowl_direction"] * x["signs"][:n], c.expand(n, 1, 2, 2).clone()

    def bowl_values():
        critic = Bowl(1.0, c)
        return [float(gp(critic, real, fake).detach()) for _ in range(4)]

    def bowl_half():
        critic = Bowl(0.5, c)
        out = gp(critic, real, fake)
        return {"requires_grad": bool(out.requires_grad), "value": float(out.detach())}

    def bowl_half_derivative():  # four draws (one eps for the batch must not land near -2/3 by luck); None: the
        derivatives = []         # penalty is not differentiable in the critic's parameters
        for _ in range(4):
            critic = Bowl(0.5, c)
            penalty = gp(critic, real, fake)
            if not (isinstance(penalty, torch.Tensor) and penalty.requires_grad):
                return None
            (g,) = torch.autograd.grad(penalty, critic.a, allow_unused=True)
            derivatives.append(None if g is None else float(g))
        return derivatives

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

    def interpolates():  # what the critic was given, its batches (one, or one per sample) put back together
        mixer = Recorder()
        gp(mixer, x["mix_real"].clone(), x["mix_fake"].clone())
        if not mixer.given:
            return wire.Raised("gradient_penalty did not call the critic")
        whole = covers_the_batch(mixer.seen, len(x["mix_real"]), list(x["mix_real"].shape[1:]))
        return torch.cat(mixer.given) if whole and len(mixer.given) > 1 else mixer.given[0]

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
    asserts.assert_tensor(gp, "gradient_penalty(...)", shape=())
    got = float(gp)
    if not abs(got) < 1e-5:
        raise AssertionError(
            f"a linear critic with gradient norm 1 everywhere has penalty (1 - 1)^2 = 0, "
            f"found {got:.6g}{_linear_hint(got, ref['unit_slope'])}")


@points(1)
def test_one_epsilon_per_sample(v, ref):
    # the critic's input on a batch whose real and fake images differ in every pixel: x_hat - x_fake must be
    # eps * (x_real - x_fake) with one eps in [0, 1] per sample, not one per pixel and not one for the whole batch
    torch = _torch()
    real, fake = v.inputs.mix_real, v.inputs.mix_fake
    x_hat = usable("the critic's input in gradient_penalty", v.interpolates)
    shape = tuple(x_hat.shape) if isinstance(x_hat, torch.Tensor) else None
    if shape != tuple(real.shape):
        raise AssertionError(
            f"gradient_penalty gave the critic an input of shape {shape}, not that of x_real {tuple(real.shape)}: "
            f"x_hat = eps * x_real + (1 - eps) * x_fake, with eps of shape (N, 1, 1, 1)")
    eps = ((x_hat.double() - fake.double()) / (real.double() - fake.double())).flatten(1)
    lo, hi = eps.min(dim=1).values, eps.max(dim=1).values
    if bool(((eps - 1).abs() < 1e-5).all()) or bool((eps.abs() < 1e-5).all()):
        which = "x_real" if bool(((eps - 1).abs() < 1e-5).all()) else "x_fake"
        raise AssertionError(f"the critic is evaluated at {which} itself, not at random points x_hat = eps * x_real "
                             f"+ (1 - eps) * x_fake between the real and generated images")
    if not bool(((hi - lo) < 1e-4).all()):
        raise AssertionError(
            "x_hat mixes the pixels of one sample with different epsilons: the statement draws one eps ~ U[0, 1] per "
            "sample, of shape (N, 1, 1, 1), broadcast over its pixels")
    if not (bool((lo > -1e-5).all()) and bool((hi < 1 + 1e-5).all())):
        raise AssertionError(
            "x_hat is not on the segment from x_fake to x_real: x_hat = eps * x_real + (1 - eps) * x_fake, eps in [0, 1]")
    if not float(lo.max() - lo.min()) > 1e-4:
        raise AssertionError("every sample got the same epsilon: the statement draws one eps ~ U[0, 1] per sample")


@points(1)
def test_slope_two_critic_gives_one(v, ref):
    # a linear critic with a gradient norm n in [1.5, 2.5] (the working seed's) everywhere: the grader's penalty
    w = working(v)
    _zero_for_a_unit_slope_critic(w, ref)  # takes points away only: 0 is what a constant 0 gives too
    n, case = w.inputs.norm_b, ref["slope_two"]
    got = float(w.slope_two)
    if not abs(got - case["penalty"]) < 1e-4:
        raise AssertionError(
            f"a linear critic with gradient norm {n:.3g} everywhere: its penalty is {asserts.off_by(got, case['penalty'])}, "
            f"found {got:.6g}{_linear_hint(got, case)}")


@points(1)
def test_no_lambda_inside_and_batch_mean(v, ref):
    w = working(v)
    n = w.inputs.norm_c
    asserts.assert_close(w.slope_three, ref["slope_three"], atol=1e-4,
                        name=f"penalty of a linear critic with gradient norm {n:g} everywhere "
                             "(no lambda inside, a mean over the batch)")


@points(0.5)
def test_penalty_is_connected_to_the_critic(v, ref):
    # for a linear critic the penalty depends on its weights: the grader's gradient of it on the working seed's critic
    torch = _torch()
    got = working(v).connected
    if not isinstance(got, torch.Tensor):
        raise AssertionError(
            "gradient_penalty is not differentiable with respect to the critic's parameters, as the statement requires "
            "(it is part of the critic's loss): take the input gradient with create_graph=True, and do not detach it "
            "or call .item()")
    asserts.assert_close(got, ref["connected"], rtol=1e-4, atol=1e-5,
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
        # the notebook's gradient_penalty stood in for by this toy critic's exact penalty (its input gradient is w
        # everywhere): P5(b) is checked in its own cell. The stand-in knows only this critic, so it answers nothing.
        critic = toy_critic(x[w])

        def penalty_of_this_critic(of, *args, **kwargs):
            if of is not critic:
                raise RuntimeError("the probe's stand-in knows only the probe's own critic")
            return (critic.w.norm() - 1) ** 2

        with standing_in(critic_loss, {"gradient_penalty": penalty_of_this_critic}):
            return critic_loss(critic, x[real].clone(), x[fake].clone(), **kw)

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
    asserts.assert_tensor(v.scalar_critic, "critic_loss(...)", shape=())
    asserts.assert_tensor(v.scalar_generator, "generator_loss(...)", shape=())


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
    if not abs(got - want["loss"]) < 1e-4:
        raise AssertionError(
            f"for a critic with gradient norm 1 (penalty 0) expected E D(fake) - E D(real), found {got:.5f}, "
            f"{asserts.off_by(got, want['loss'])}{hint}")


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
    if not abs(got - want["loss"]) < 1e-5:
        raise AssertionError(f"expected -E D(fake), found {got:.5f}, {asserts.off_by(got, want['loss'])}{hint}")


@points(0.5)
def test_critic_loss_uses_lam(v, ref):
    # a critic whose penalty is exactly 1, called with lam=0.5 (the working seed's batch)
    got = working(v).with_lam
    try:  # the penalty weighed by 10, the default, whatever lam says (LAMBDA or 10 written in)
        fixed = abs(float(got) - float(ref["with_lam"]) - (10 - 0.5)) < 1e-3
    except (TypeError, ValueError, RuntimeError):
        fixed = False
    if fixed:
        raise AssertionError("critic_loss with lam=0.5 weighs a penalty of 1 by 10: use the lam argument, not a "
                             "fixed weight")
    asserts.assert_close(got, ref["with_lam"], atol=1e-3, name="critic_loss with lam=0.5 when the penalty is 1")


# ------------------------------------------------------------------ P5(d): the optimisers
# The probe hands each optimiser gradients drawn from the seed and steps it; the grader compares the parameters after
# the step with its own. Adam's first step moves every parameter it holds by -lr * sign(gradient), whatever its betas
# (the bias correction makes m and v the gradient and its square), and leaves the others alone: the visible tests
# compare with that. Later steps depend on the betas: test_betas compares three steps with the course's Adam.
def _optimizers_inputs(seed):
    g = _gen(seed, 12)
    x = {**_toy_gen_weights(g), "w": _direction(g, 9, 1.0)}
    # one gradient per step for each of the four tensors (generator.A, generator.c, critic.w, critic.b)
    x["grads"] = [{"generator.A": _randn(g, 3, 9), "generator.c": _randn(g, 9), "critic.w": _randn(g, 9),
                   "critic.b": _randn(g, 1)[0]} for _ in range(OPT_STEPS)]
    return x


def _optimizers_probe(o, x):
    make = o["make_optimizers"]

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
    if not (isinstance(after, dict) and set(after) == set(before)):
        raise AssertionError(f"{what} could not take a step on the parameters it was given")
    if not (isinstance(wanted, dict) and set(wanted) == set(before)):
        raise AssertionError("the recorded first step names other parameters")
    for n, b in before.items():
        want = wanted[n] if n.startswith(network) else b
        moved = not torch.equal(after[n], b)
        if not n.startswith(network) and moved:
            raise AssertionError(f"one step of {what} moved {n}, a parameter of the other network: it should hold "
                                 f"the {network}'s parameters alone")
        if n.startswith(network) and not moved:
            raise AssertionError(f"one step of {what} left {n} where it was: it should hold the {network}'s "
                                 f"parameters")
        asserts.assert_close(after[n], want, rtol=0, atol=lr * 1e-3,
                            name=f"{n} after one step of {what} (Adam's first step is -lr * sign(gradient))")


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
        if not (isinstance(after, list) and len(after) == OPT_STEPS):
            raise AssertionError(f"{what} could not take {OPT_STEPS} steps on the parameters it was given")
        names = [n for n in want["betas"] if n.startswith(network)]

        def close(key):
            return all(bool(torch.allclose(after[-1][n], want[key][n], rtol=0, atol=3e-7)) for n in names)

        if close("betas"):
            continue
        hint = next((f": {say}" for key, say in _ADAM_SLIPS if close(key)), "")
        raise AssertionError(f"after {OPT_STEPS} steps {what} has not moved the {network}'s parameters as Adam with "
                             f"the course's settings does (beta1 = 0, beta2 = 0.9){hint}")


def checks_usable(value, name):
    return usable(name, value)


CHECKS = [
    CheckSpec("p5_critic_tests", names=("Critic", "ResidualBlock"),
              visible=MNIST_BLOCK_TESTS,
              probe=_on_working(_mnist_critic_probe), inputs=with_working(lambda seed: _network_inputs(seed, 1, 28))),
    CheckSpec("p5_gradient_penalty_tests", names=("gradient_penalty",),
              visible=(test_slope_two_critic_gives_one, test_penalty_is_connected_to_the_critic,
                       test_no_lambda_inside_and_batch_mean, test_one_epsilon_per_sample),
              probe=_on_working(_penalty_probe), inputs=with_working(_penalty_inputs)),
    CheckSpec("p5_losses_tests", names=("critic_loss", "generator_loss"),
              visible=(test_critic_loss_when_the_penalty_is_zero, test_generator_loss_value, test_critic_loss_uses_lam),
              probe=_on_working(_losses_probe), inputs=with_working(_losses_inputs)),
    CheckSpec("p5_optimizers_tests", names=("make_optimizers",),
              visible=(test_the_first_optimiser_holds_the_generator, test_the_second_optimiser_holds_the_critic,
                       test_the_lr_argument_is_used, test_betas),
              probe=_on_working(_optimizers_probe), inputs=with_working(_optimizers_inputs)),
]
