"""hw4_gans' checks of P1 (p1_unconditional_gan.py): the generator, the discriminator, the losses and the update
steps; their inputs, probes, visible tests and ``CHECKS``.
"""
from __future__ import annotations

import math

from dgmlab.probes import (
    CheckSpec,
    TestFailure,
    _torch,  # lazy imports
    asserts,
    attempt,
    working,
)
from dgmlab.probes import on_working as _on_working
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes import with_working as _with_working
from dgmlab.probes.points import points

from . import players
from .activations import _activation, _activation_probe, _is_identity_at_one, slope_hint
from .common import (
    _from_the_seeded_start,
    _gradients_of,
    _moved,
    _named,
    _param_shapes,
    _randn,
    _returned_float,
    _seed_torch,
    _seeded,
    _seeded_params,
    _shown,
    _step_lr,
    _uniform,
    assert_trainable,
    dropout_stayed_on,
    load_by_shape,
    paired,
    value,
)


def _statement_mlp(params, in_dim, widths, out_dim, embedding=None, what="the kit's network"):
    """``params`` in the order the grader's network reads them: checked against the statement's shapes, in
    their order (the seeded parameters are drawn in that order)."""
    want = _param_shapes(in_dim, widths, out_dim, embedding)
    got = [tuple(p.shape) for p in params]
    if got != want:
        raise ValueError(f"{what} has parameters of shapes {got}; the statement's network has {want}")
    return list(params)


def _generator_inputs(seed):
    g = _gen(seed, 11)
    return {"z16": _randn(g, 16, 100), "z4_8": _randn(g, 4, 8),
            "params": _seeded_params(g, _param_shapes(100, (128, 256, 512), 784)),
            "small_params": _seeded_params(g, _param_shapes(8, (16, 32), 784)), **_seeded(seed, 11)}


def _generator_probe(o, x):
    torch, G = _torch(), o["Generator"]
    _seed_torch(x)

    def run(params, z, scale=1.0, **kwargs):
        g = load_by_shape(G(**kwargs), [p * scale for p in params], f"Generator({', '.join(f'{k}={v}' for k, v in kwargs.items())})")
        g.train()  # the generator has no dropout and no batch statistics: training mode changes nothing
        with torch.no_grad():
            return g(z.clone())

    return {"out16": attempt(run, x["params"], x["z16"]),
            "saturated": attempt(run, x["params"], x["z16"], 20.0),
            "one_at_a_time": attempt(lambda: torch.cat([run(x["params"], x["z16"][i:i + 1]) for i in range(4)])),
            "small_out": attempt(run, x["small_params"], x["z4_8"], latent_dim=8, widths=(16, 32)),
            "latent_dim_7": attempt(lambda: getattr(G(latent_dim=7), "latent_dim", None)),
            "trainable": attempt(_gradients_of, G, lambda g: g.train()(x["z16"][:4].clone())),
            "activation": attempt(_activation_probe, G, 100, (128, 256, 512), 784)}


def _generator_matches(out, want, what, activation=None):
    torch = _torch()
    asserts.assert_tensor(out, what, shape=tuple(want.shape), dtype=torch.float32)
    hint = slope_hint(activation, math.atanh)
    if not hint and float(out.min()) >= 0 and float(want.min()) < 0:
        hint = ": no negative outputs, so is the last step a sigmoid? The statement asks for a tanh"
    elif not hint and float(out.abs().max()) > 1:
        hint = ": outputs beyond (-1, 1), where the statement's generator keeps its pixels"
    if not torch.allclose(out, want, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            f"{what} should give what the statement's network gives with the same parameters (Linear + "
            f"LeakyReLU(0.2) per hidden width, Linear, tanh; no normalisation, no dropout); it is "
            f"{asserts.off_by(out, want)}{hint}")


@points(1.5)
def test_generator_is_the_statements_network(v, ref):
    assert_trainable(v.trainable, "Generator()")
    _generator_matches(working(v).out16, ref["out16"], "Generator()(z)", _activation(v))


@points(1)
def test_latent_dim_and_widths_are_used(v, ref):
    assert_trainable(v.trainable, "Generator()")
    found = v.latent_dim_7
    if found != 7:
        raise AssertionError(
            f"expected Generator(latent_dim=7).latent_dim == 7, found {found!r}: keep the argument as self.latent_dim")
    _generator_matches(working(v).small_out, ref["small_out"],
                       "Generator(latent_dim=8, widths=(16, 32))(z)", _activation(v))


@points(0.5)
def test_saturates_like_a_tanh(v, ref):
    assert_trainable(v.trainable, "Generator()")
    # the same network with every parameter 20x larger: the outputs reach -1 and 1 as a tanh's do
    _generator_matches(working(v).saturated, ref["saturated"],
                       "Generator()(z) with every parameter 20x larger", _activation(v))


# ------------------------------------------------------------------ P1.2 the discriminator
def _discriminator_inputs(seed):
    g = _gen(seed, 12)
    return {"images": _uniform(g, 10, 1, 28, 28), "x4": _randn(g, 4, 784), "x32": _randn(g, 32, 784),
            "params": _seeded_params(g, _param_shapes(784, (512, 256, 128), 1)),
            "small_params": _seeded_params(g, _param_shapes(784, (64, 32, 16, 8), 1)),
            "dropout_seed": int(_uniform(g, 1)[0] * 1e6), **_seeded(seed, 12)}


def _discriminator_probe(o, x):
    torch, D = _torch(), o["Discriminator"]
    _seed_torch(x)

    def run(params, xb, train=False, **kwargs):
        d = load_by_shape(D(**kwargs), params, f"Discriminator({', '.join(f'{k}={v}' for k, v in kwargs.items())})")
        d.train(train)
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(x["dropout_seed"])  # the dropout masks: the grader draws the same ones
            return d(xb.clone())

    return {"flat_out": attempt(run, x["params"], x["images"].reshape(10, 784)),
            "image_out": attempt(run, x["params"], x["images"]),
            "small_out": attempt(run, x["small_params"], x["x4"], widths=(64, 32, 16, 8)),
            "train_out": attempt(run, x["params"], x["x32"], True),
            "half_dropout_train_out": attempt(run, x["params"], x["x32"], True, dropout=0.5),
            "dropout_extremes": attempt(players.dropout_extremes, lambda p: D(dropout=p),
                                        lambda d: load_by_shape(d, x["params"], "Discriminator(dropout=...)"),
                                        lambda d: d(x["x32"].clone())),
            "trainable": attempt(_gradients_of, D, lambda d: d.eval()(x["x4"].clone())),
            "activation": attempt(_activation_probe, D, 784, (512, 256, 128), 1)}


def _logits_match(out, want, what, activation=None):
    torch = _torch()
    asserts.assert_tensor(out, what, shape=tuple(want.shape), dtype=torch.float32)
    hint = slope_hint(activation, float)
    if not hint and float(out.min()) >= 0 and float(want.min()) < 0 and not _is_identity_at_one(activation):
        hint = (": no negative outputs, so a sigmoid squashes the logit at the end (the P1.3 loss would apply it a "
                "second time)")
    if not torch.allclose(out, want, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            f"{what} should give the logits of the statement's network with the same parameters, in eval mode "
            f"(Linear + LeakyReLU(0.2) + dropout per hidden width, then Linear to one logit, no sigmoid, no "
            f"normalisation); they are {asserts.off_by(out, want)}{hint}")


@points(1.75)
def test_one_logit_per_image_for_both_input_shapes(v, ref):
    assert_trainable(v.trainable, "Discriminator()")
    w, want = working(v), ref["logits"]
    _logits_match(w.flat_out, want, "Discriminator().eval()(x) for (N, 784)", _activation(v))
    try:
        out = w.image_out
    except TestFailure as exc:
        raise AssertionError(f"expected (N, 1, 28, 28) images to be accepted, found an error ({str(exc)[:120]}): "
                             "flatten x to (N, 784) in forward") from None
    _logits_match(out, want, "Discriminator().eval()(x) for (N, 1, 28, 28)", _activation(v))


@points(1)
def test_widths_argument_is_used(v, ref):
    assert_trainable(v.trainable, "Discriminator()")
    _logits_match(working(v).small_out, ref["small_logits"],
                  "Discriminator(widths=(64, 32, 16, 8)).eval()(x)", _activation(v))


@points(0.25)
def test_dropout_after_each_hidden_layer_in_training_mode(v, ref):
    # in training mode, with the dropout masks drawn as the statement's network draws them (one per hidden layer)
    assert_trainable(v.trainable, "Discriminator()")
    torch, out, want = _torch(), working(v).train_out, ref["train_logits"]
    asserts.assert_tensor(out, "Discriminator().train()(x)", shape=tuple(want.shape), dtype=torch.float32)
    if not torch.allclose(out, want, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            "expected Discriminator() in training mode to give the logits of the statement's network in training mode "
            "with the same dropout masks (dropout 0.3 after each hidden layer's LeakyReLU, nowhere else); they are "
            f"{asserts.off_by(out, want)}")


@points(0.5)
def test_dropout_argument_sets_the_dropout(v, ref):
    # the docstring: dropout of probability `dropout` after each hidden layer; at 0 training mode is eval mode, at 1
    # the output layer reads zeros, so every input gets the same logit
    # (read once Discriminator() gives the statement's logits in eval mode)
    assert_trainable(v.trainable, "Discriminator()")
    _logits_match(working(v).flat_out, ref["logits"], "Discriminator().eval()(x) for (N, 784)", _activation(v))
    w = working(v)
    players.assert_dropout_argument_sets_dropout(w.dropout_extremes, "Discriminator", w.inputs.params[-1])


# ------------------------------------------------------------------ P1.3 the losses
def _losses_inputs(seed):
    g = _gen(seed, 13)
    return {"r5": _randn(g, 5, 1), "f5": _randn(g, 5, 1), "real": 3 * _uniform(g, 4, 1), "fake": 3 * _uniform(g, 4, 1),
            "r3": _randn(g, 3, 1), "f3": _randn(g, 3, 1), "signs": _uniform(g, 2, 4, 1)}


def _losses_probe(o, x):
    torch = _torch()
    DL, GL = o["discriminator_loss"], o["generator_loss"]
    big = torch.tensor([[30.0], [-30.0]])
    zero = torch.zeros(6, 1)

    def d_grads():
        # logits of both signs, 0.5 to 3 away from 0: a stable BCE written with max(x, 0) and |x| has kinks at 0, where
        # autograd's slope of either is 0 (BCE's slope in a logit has the same sign at every logit)
        r, f = (torch.where(t < 0, -1.0, 1.0) * (0.5 + 2.5 * t.abs()) for t in x["signs"].clone())
        r, f = r.requires_grad_(True), f.requires_grad_(True)
        DL(r, f).backward()
        return [None if r.grad is None else r.grad, None if f.grad is None else f.grad]

    def g_grad():
        f = torch.full((4, 1), -5.0, requires_grad=True)
        GL(f).backward()
        return f.grad

    return {"d_graph": attempt(lambda: DL(x["r5"].clone().requires_grad_(True), x["f5"].clone().requires_grad_(True))),
            "g_graph": attempt(lambda: GL(x["f5"].clone().requires_grad_(True))),
            "g_zero": attempt(lambda: float(GL(zero.clone()))),
            "d_zero": attempt(lambda: float(DL(zero.clone(), zero.clone()))),
            "d_values": attempt(lambda: DL(x["real"].clone(), x["fake"].clone())),
            "g_values": attempt(lambda: GL(x["fake"].clone())),
            "d_repeated": attempt(lambda: [DL(x["r3"].repeat(4, 1), x["f3"].repeat(4, 1)), DL(x["r3"].clone(), x["f3"].clone())]),
            "g_repeated": attempt(lambda: [GL(x["f3"].repeat(4, 1)), GL(x["f3"].clone())]),
            "g_big": attempt(lambda: GL(big.clone())),
            "d_big": attempt(lambda: DL(big.clone(), big.clone())),
            "d_grads": attempt(d_grads),
            "g_grad": attempt(g_grad)}


@points(0.5)
def test_scalar_tensors_that_keep_the_graph(v, ref):
    asserts.assert_tensor(v.d_graph, "discriminator_loss", shape=(), requires_grad=True)
    asserts.assert_tensor(v.g_graph, "generator_loss", shape=(), requires_grad=True)


def _softplus(t: float) -> float:
    return math.log1p(math.exp(t))


@points(1)
def test_zero_logits_give_log_two_per_term(v, ref):
    g, d = float(v.g_zero), float(v.d_zero)
    log2 = math.log(2)
    hint_g = {round(-log2, 4): ": that is -log 2, the saturating form log(1 - D(G(z))); use -log D(G(z))",
              round(_softplus(-0.5), 4): ": that is BCE of sigmoid(0) = 0.5 taken as a logit: "
                                         "the sigmoid is applied twice (pass logits, not probabilities)",
              round(6 * log2, 4): ": that is 6 log 2 for 6 logits, a sum over the batch; the loss is a mean"}
    if not abs(g - log2) < 1e-5:
        raise AssertionError(
            f"expected generator_loss(0) = log 2 = {log2:.4f}, found {g:.4f}" + hint_g.get(round(g, 4), ""))
    hint_d = (": that is half the sum; the statement asks for mean BCE(real) + mean BCE(fake)" if abs(d - log2) < 1e-4
              else ": BCE(sigmoid(0) = 0.5 taken as a logit) twice: pass logits, not probabilities"
              if abs(d - 2 * _softplus(-0.5)) < 1e-4 else
              ": that is 12 log 2 for 6 logits per term, sums over the batch; each term is a mean"
              if abs(d - 12 * log2) < 1e-4 else "")
    if not abs(d - 2 * log2) < 1e-5:
        raise AssertionError(
            f"expected discriminator_loss(0, 0) = 2 log 2 = {2 * log2:.4f} (log 2 per term), found {d:.4f}{hint_d}")


@points(0.5)
def test_real_logits_pushed_up_fake_logits_down(v, ref):
    # labels 1 for real and 0 for fake: a descent step on the loss raises every real logit and lowers every fake one
    torch = _torch()
    grads = value(v.d_grads, "discriminator_loss(real, fake).backward()")
    r, f = grads if isinstance(grads, list) and len(grads) == 2 else (None, None)
    if not (isinstance(r, torch.Tensor) and isinstance(f, torch.Tensor)):
        raise AssertionError("expected discriminator_loss(real, fake).backward() to give gradients in both the real "
                             "and the fake logits, found none in one of them")
    if bool((r > 0).all()) and bool((f < 0).all()):
        raise AssertionError("minimising discriminator_loss lowers the real logits and raises the fake ones: real and "
                             "fake labels are swapped (real images take label 1, fakes label 0)")
    if not (bool((r < 0).all()) and bool((f > 0).all())):
        raise AssertionError("expected minimising discriminator_loss to raise every real logit and lower every fake "
                             "one (labels 1 for real, 0 for fake); at logits of both signs, away from 0, a descent step "
                             f"fails to raise {int((r >= 0).sum())} of the {r.numel()} real logits and to lower "
                             f"{int((f <= 0).sum())} of the {f.numel()} fake ones")


@points(0.5)
def test_generator_loss_falls_as_fake_logits_rise(v, ref):
    # the generator wants D to take its fakes for real (label 1): its loss goes down as the fake logits go up
    torch = _torch()
    grad = value(v.g_grad, "generator_loss(fake).backward()")
    if not isinstance(grad, torch.Tensor):
        raise AssertionError("expected generator_loss(fake).backward() to give a gradient in the fake logits, found none")
    if bool((grad > 0).all()):
        raise AssertionError("minimising generator_loss lowers the fake logits: the generator's fakes take label 1 "
                             "(the generator wants D to call them real), not 0")
    if not bool((grad < 0).all()):
        raise AssertionError("expected minimising generator_loss to raise every fake logit (fakes take label 1 in the "
                             "generator's loss), found otherwise")


@points(0.5)
def test_finite_and_right_at_logits_of_30(v, ref):
    # the statement warns that logits reach +-30: in float32 sigmoid(30) rounds to 1, so log(1 - sigmoid(30)) is -inf
    for name, got, want in (("generator_loss", v.g_big, 15.0), ("discriminator_loss", v.d_big, 30.0)):
        call = "generator_loss(f)" if name == "generator_loss" else "discriminator_loss(f, f)"
        found = value(got, name)
        found = float(found) if not isinstance(found, float) else found
        hint = ("" if abs(found - want) < 1e-4 * want else
                ": twice the mean over these 2 logits, so a sum over the batch; the statement's losses are means"
                if abs(found - 2 * want) < 1e-4 * want else
                ": logits reach +-30 (the statement warns of it), where 1 - sigmoid(30) rounds to 0 in float32; work "
                "from the logits (binary_cross_entropy_with_logits, or softplus), not the log of a sigmoid"
                if not math.isfinite(found) or found > 2 * want else "")
        if not (math.isfinite(found) and abs(found - want) < 1e-4 * want):
            raise AssertionError(
                f"expected {call} with logits f = [[30], [-30]] to be {want:g}, found {found:.4g}{hint}")


# ------------------------------------------------------------------ P1.4 the update steps
# Every point compares what the student's step does from the grader's seeded start (stand-in networks with inputs G0,
# D0, the grader's batch) with what the grader computes itself from its own copy of those inputs: the loss of the
# batch with the statement's loss, one SGD step, the other player's seeded parameters and gradients.
def _step_inputs(salt):
    def make(seed):
        g = _gen(seed, salt)
        return {"real": _uniform(g, 8, 784), "z": _randn(g, 8, 4), **_seeded(seed, salt),
                # the stand-in networks' starting parameters for the graded step: the grader steps from the same
                "G0": [_randn(g, 784, 4) * 0.5, _randn(g, 784) * 0.1], "D0": [_randn(g, 1, 784) * 0.05, _randn(g, 1) * 0.1],
                # gradients left in the other player before the step: a step must leave them as they are
                "G_grads": [_randn(g, 784, 4), _randn(g, 784)], "D_grads": [_randn(g, 1, 784), _randn(g, 1)],
                "lr": _step_lr(g)}
    return make


def _d_step_probe(o, x):
    step = o["discriminator_step"]  # o["discriminator_loss"] is handed over but unused: the grader has its own
    _seed_torch(x)

    def take(g, d, opt, real):
        return step(g, d, opt, real, x["z"].clone())

    # the discriminator starts in eval mode (as after sampling): the step runs it in training mode itself
    return {"fresh_step": attempt(_from_the_seeded_start, x, "D", take, d_training=False),
            "stale_step": attempt(_from_the_seeded_start, x, "D", take, True),
            "fakes_as_reals": attempt(_from_the_seeded_start, x, "D", take, lr=0.0, real_from_g=True)}


def _d_moved(v):
    w = working(v)
    _moved(w.fresh_step, w.inputs.D0, "discriminator_step", "discriminator")


@points(0.25)
@_named('test_returns_a_float')
def test_d_step_returns_a_float(v, ref):
    _d_moved(v)
    # a batch whose real images are the generator's own fakes, and learning rate 0: the loss is the same whichever
    # way round real and fake go and before or after the update; the grader computed it with the statement's loss
    _returned_float(working(v).fakes_as_reals, ref["fakes_as_reals_loss"], "discriminator_step")


@points(0.5)
@_named('test_returns_the_loss_of_this_batch')
def test_d_step_returns_the_loss_of_this_batch(v, ref):
    _d_moved(v)
    out = value(working(v).fresh_step, "the step")["returned"]
    want, swapped = ref["loss"], ref["swapped_loss"]
    hint = (": that is the loss with real and fake swapped (reals go first)"
            if isinstance(out, float) and abs(out - swapped) < 1e-5 * (1 + abs(swapped)) else "")
    if not (isinstance(out, float) and abs(out - want) < 1e-5 * (1 + abs(want))):
        raise AssertionError(
            f"expected the discriminator loss of this batch before the update, found {_shown(out)}"
            f"{', ' + asserts.off_by(out, want) if isinstance(out, float) else ''}{hint}")


def _grads_left(found, planted) -> str:
    """"" when the other player's gradients after a step are the planted ones; else "cleared" or "changed"."""
    torch = _torch()
    if len(found) == len(planted) and all(f is not None and f.shape == p.shape and torch.allclose(f, p, rtol=0, atol=1e-7)
                                          for f, p in zip(found, planted, strict=True)):
        return ""
    return "cleared" if all(f is None or bool((f == 0).all()) for f in found) else "changed"


@points(0.25)
@_named('test_generator_untouched')
def test_d_step_leaves_the_generator_untouched(v, ref):
    _d_moved(v)
    torch, r = _torch(), value(v.fresh_step, "the step")
    if not (len(r["other_after"]) == len(v.inputs.G0) and all(
        torch.equal(p, w) for p, w in zip(r["other_after"], v.inputs.G0, strict=True))):
        raise AssertionError(
            "expected the generator's parameters unchanged by the discriminator step, found them changed")
    how = _grads_left(r["other_grads"], v.inputs.G_grads)
    if how == "changed":
        raise AssertionError(
            "expected the discriminator step to add no gradient to the generator, found its gradients changed: the "
            "discriminator's fakes must not pass gradients to the generator")
    if how:
        raise AssertionError(
            "expected the discriminator step to leave the generator's gradients as it found them, found them cleared: "
            "each step changes only its own player, the other player's gradients included")
    players.assert_left_as_found(r, "the discriminator step", "generator")


@points(0.25)
def test_dropout_on_while_the_discriminator_learns(v, ref):
    # the statement: the discriminator learns with its dropout on, in training mode for the whole step and after it
    _d_moved(v)
    dropout_stayed_on(working(v).fresh_step)


@points(0.75)
def test_old_gradients_cleared(v, ref):
    # the discriminator holds a stale gradient (all ones) from an earlier step before this one: the statement's step
    # clears old gradients first, so it moves the parameters exactly as a fresh step does (the grader's SGD step)
    torch, w = _torch(), working(v)
    after, want = value(w.stale_step, "the step")["after"], ref["sgd_step"]
    fresh = value(w.fresh_step, "the step")["after"]
    polluted = len(after) == len(fresh) == len(want) and all(
        f.shape == p.shape == r.shape and torch.allclose(f, r, atol=1e-5, rtol=1e-4) and not torch.allclose(p, r, atol=1e-5, rtol=1e-4)
        for f, p, r in zip(fresh, after, want, strict=True))
    hint = (": a fresh step is right, so the gradients left from an earlier step were added to this one's; call "
            "d_opt.zero_grad() before loss.backward() (each step clears old gradients)" if polluted
            else ": a step without earlier gradients lands there too, so they are cleared; the update itself is not "
                 "the statement's (the other tests of this cell say how)" if len(after) == len(fresh) and all(
                     f.shape == p.shape and torch.allclose(f, p, atol=1e-5, rtol=1e-4)
                     for f, p in zip(fresh, after, strict=True)) else "")
    for p, r in paired(after, want, "discriminator parameters after the step"):
        if not (p.shape == r.shape and torch.allclose(p, r, atol=1e-5, rtol=1e-4)):
            raise AssertionError(
                "expected the discriminator's parameters after a step that follows an earlier one (its parameters "
                "holding gradients from that step) to be one SGD step on this batch's loss from where they were, "
                f"found them off by up to {float((p - r).abs().max()) if p.shape == r.shape else float('nan'):.3g}{hint}")


def _g_step_probe(o, x):
    step = o["generator_step"]  # o["generator_loss"] is handed over but unused: the grader has its own
    _seed_torch(x)

    def take(g, d, opt, real):
        return step(g, d, opt, x["z"].clone())

    return {"fresh_step": attempt(_from_the_seeded_start, x, "G", take),
            "stale_step": attempt(_from_the_seeded_start, x, "G", take, True),
            "no_move": attempt(_from_the_seeded_start, x, "G", take, lr=0.0)}


@points(0.25)
@_named('test_returns_a_float')
def test_g_step_returns_a_float(v, ref):
    # learning rate 0, so the loss is the same before and after the update; either generator loss of the statement
    # counts here (the next test checks which)
    want = ref
    _returned_float(working(v).no_move, want["loss"], "generator_step", also=(want["saturating_loss"],))


@points(0.25)
def test_moves_the_generator(v, ref):
    torch, w = _torch(), working(v)
    x, after = w.inputs, value(w.fresh_step, "the step")["after"]
    want = ref["sgd_step"]
    if not (len(after) == len(want) and all(p.shape == w.shape for p, w in zip(after, want, strict=True))):
        raise AssertionError("expected the generator's parameters after its step, found other shapes")
    moved = torch.cat([(p - p0).flatten() for p, p0 in zip(after, x["G0"], strict=True)]).double()
    step = torch.cat([(w - p0).flatten() for w, p0 in zip(want, x["G0"], strict=True)]).double()
    cosine = float(moved @ step / (moved.norm() * step.norm() + 1e-30))
    if not float(moved.norm()) > 0:
        raise AssertionError(
            "expected the generator's parameters to change after its step, found them unchanged: is loss.backward() "
            "called, and the fake batch left attached, so that the gradient reaches the generator?")
    # downhill: a positive cosine with the grader's own step; a random move of these 3,920 parameters has a cosine
    # within +-0.05 of 0 with probability 99.9% (the saturating loss's step: 0.16 or more on 2,000 seeds)
    if not cosine > 0.05:
        raise AssertionError(
            f"expected the generator to move downhill on its loss (a positive cosine with a descent step on the non-saturating loss), found "
            f"a move of cosine {cosine:.2f} with it")


@points(0.5)
def test_returns_the_non_saturating_loss_of_this_batch(v, ref):
    out = value(working(v).fresh_step, "the step")["returned"]
    want, saturating = ref["loss"], ref["saturating_loss"]
    hint = (": that is the saturating loss log(1 - D(G(z))); the generator minimises -log D(G(z))"
            if isinstance(out, float) and abs(out - saturating) < 1e-5 * (1 + abs(saturating)) else "")
    if not (isinstance(out, float) and abs(out - want) < 1e-5 * (1 + abs(want))):
        raise AssertionError(
            f"expected the non-saturating generator loss of this batch before the update, found {_shown(out)}"
            f"{', ' + asserts.off_by(out, want) if isinstance(out, float) else ''}{hint}")


@points(0.25)
def test_leaves_the_discriminator_as_it_found_it(v, ref):
    # each step changes only its own player: the discriminator's parameters, its training mode and its requires_grad
    # flags are as the step found them (the generator's gradient passes through it, so its gradients may change)
    torch, r = _torch(), value(working(v).fresh_step, "the step")
    if not (len(r["other_after"]) == len(v.inputs.D0) and all(
            torch.equal(p, w) for p, w in zip(r["other_after"], v.inputs.D0, strict=True))):
        raise AssertionError("expected the discriminator's parameters unchanged by the generator step, found them changed")
    players.assert_left_as_found(r, "the generator step", "discriminator")


@points(0.5)
@_named('test_old_gradients_cleared')
def test_g_step_clears_old_gradients(v, ref):
    # the generator holds a stale gradient (all ones) from an earlier step: each step clears old gradients first, so
    # it moves the parameters exactly as a fresh step does
    torch, w = _torch(), working(v)
    after, want = value(w.stale_step, "the step")["after"], ref["sgd_step"]
    fresh = value(w.fresh_step, "the step")["after"]

    def same(a, b):
        return len(a) == len(b) and all(p.shape == q.shape and torch.allclose(p, q, atol=1e-5, rtol=1e-4)
                                        for p, q in zip(a, b, strict=True))

    hint = (": a fresh step is right, so the gradients left from an earlier step were added to this one's; call "
            "g_opt.zero_grad() before loss.backward() (each step clears old gradients)" if same(fresh, want)
            else ": a step without earlier gradients lands there too, so they are cleared; the update itself is not "
                 "the statement's (the other tests of this cell say how)" if same(fresh, after) else "")
    for p, r in paired(after, want, "generator parameters after the step"):
        if not (p.shape == r.shape and torch.allclose(p, r, atol=1e-5, rtol=1e-4)):
            raise AssertionError(
                "expected the generator's parameters after a step that follows an earlier one (its parameters holding "
                f"gradients from that step) to be one SGD step on this batch's loss from where they were, found them "
                f"elsewhere{hint}")


CHECKS = [
    CheckSpec("p1_generator_tests", hidden_for="one noise vector at a time and training mode give the same images", names=("Generator",),
              visible=(test_generator_is_the_statements_network, test_latent_dim_and_widths_are_used,
                       test_saturates_like_a_tanh),
              probe=_on_working(_generator_probe), inputs=_with_working(_generator_inputs)),
    CheckSpec("p1_discriminator_tests", hidden_for="dropout in training mode on other inputs, and the dropout argument", names=("Discriminator",),
              visible=(test_one_logit_per_image_for_both_input_shapes, test_widths_argument_is_used,
                       test_dropout_after_each_hidden_layer_in_training_mode, test_dropout_argument_sets_the_dropout),
              probe=_on_working(_discriminator_probe), inputs=_with_working(_discriminator_inputs)),
    CheckSpec("p1_losses_tests", hidden_for="the values on other logits, batch means, the non-saturating gradient", names=("discriminator_loss", "generator_loss"),
              visible=(test_scalar_tensors_that_keep_the_graph, test_zero_logits_give_log_two_per_term,
                       test_real_logits_pushed_up_fake_logits_down, test_generator_loss_falls_as_fake_logits_rise,
                       test_finite_and_right_at_logits_of_30),
              probe=_losses_probe, inputs=_losses_inputs),
    CheckSpec("p1_d_step_tests", hidden_for="the update: one optimizer step on this batch's loss", names=("discriminator_step", "discriminator_loss"),
              visible=(test_d_step_returns_a_float, test_d_step_returns_the_loss_of_this_batch,
                       test_d_step_leaves_the_generator_untouched, test_dropout_on_while_the_discriminator_learns,
                       test_old_gradients_cleared),
              probe=_on_working(_d_step_probe), inputs=_with_working(_step_inputs(14))),
    CheckSpec("p1_g_step_tests", hidden_for="the update on the non-saturating loss", names=("generator_step", "generator_loss"),
              visible=(test_g_step_returns_a_float, test_moves_the_generator,
                       test_returns_the_non_saturating_loss_of_this_batch, test_g_step_clears_old_gradients,
                       test_leaves_the_discriminator_as_it_found_it),
              probe=_on_working(_g_step_probe), inputs=_with_working(_step_inputs(15))),
]
