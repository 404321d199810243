"""hw4_gans' checks of P3 (p3_conditional_gan.py): the conditional networks and steps and the cGAN's handed-in
weights; their inputs, probes, visible tests and ``CHECKS``.
"""
from __future__ import annotations

from dgmlab.probes import (
    CheckSpec,
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
from .common import (
    BAR_ACCURACY,
    CGAN_FILE,
    FILE_POINT_ACCURACY,
    N_DRAWN,
    _gradients_of,
    _grads,
    _moved,
    _no_file_in_fast_mode,
    _param_shapes,
    _params,
    _randn,
    _returned_float,
    _seed_torch,
    _seeded,
    _seeded_params,
    _sgd,
    _shown,
    _step_lr,
    _uniform,
    assert_trainable,
    dropout_stayed_on,
    graded_draw,
    load_by_shape,
    own_draw,
    own_draw_probe,
    seeded_tiny,
    value,
)


# ------------------------------------------------------------------ P3.1, P3.2 the conditional networks
# As in P1: the grader's seeded parameters placed by shape, outputs compared with the statement's network
# (the grader's mlp_forward with the label embedding). The statement concatenates [z, e(y)] (and [x, e(y)]); a network
# that puts the embedding first is the same network with the first layer's columns in the other order, and is
# accepted.
def _cond_inputs(seed):
    g = _gen(seed, 31)
    return {"z12": _randn(g, 12, 100), "z1": _randn(g, 1, 100), "images": _uniform(g, 6, 1, 28, 28),
            "x1": _uniform(g, 1, 784), "x32": _randn(g, 32, 784),
            "g_params": _seeded_params(g, _param_shapes(100, (128, 256, 512), 784, (10, 10))),
            "d_params": _seeded_params(g, _param_shapes(784, (512, 256, 128), 1, (10, 10))),
            "dropout_seed": int(_uniform(g, 1)[0] * 1e6), **_seeded(seed, 31)}


def _cond_generator_probe(o, x):
    torch, G = _torch(), o["ConditionalGenerator"]
    _seed_torch(x)

    def run(z, labels, scale=1.0):
        g = load_by_shape(G(), [p * scale for p in x["g_params"]], "ConditionalGenerator()").train()
        with torch.no_grad():
            return g(z.clone(), labels)

    return {"out12": attempt(run, x["z12"], torch.arange(12) % 10),
            "per_label": attempt(run, x["z1"].repeat(10, 1), torch.arange(10)),
            "one_at_a_time": attempt(lambda: torch.cat([run(x["z12"][i:i + 1], torch.tensor([i])) for i in range(4)])),
            "saturated": attempt(run, x["z12"], torch.arange(12) % 10, 20.0),
            "trainable": attempt(_gradients_of, G, lambda g: g.train()(x["z12"].clone(), torch.arange(12) % 10)),
            "other_sizes": attempt(_other_sizes, lambda: G(latent_dim=8, n_classes=5, embed_dim=3, widths=(16, 32)),
                                   lambda g: g(torch.zeros(5, 8), torch.arange(5)))}


OTHER_SIZES = {"ConditionalGenerator": ((8, (16, 32), 784, (5, 3)), "latent_dim=8, n_classes=5, embed_dim=3, widths=(16, 32)"),
               "ConditionalDiscriminator": ((784, (64, 32), 1, (5, 3)), "n_classes=5, embed_dim=3, widths=(64, 32)")}


def _other_sizes(make, run):
    """The parameter shapes of the network ``make()`` builds with other sizes than the defaults, and the shape of
    its output on five inputs (labels 0 to 4)."""
    net = make()
    with _torch().no_grad():
        out = run(net.eval())
    return {"shapes": sorted(tuple(int(k) for k in p.shape) for p in net.parameters()), "out": list(out.shape)}


def _assert_sizes_from_the_arguments(record, name):
    # the statement: the arguments set the sizes (the embedding's n_classes x embed_dim, the hidden widths, the
    # noise's latent_dim), the defaults giving the networks above
    (in_dim, widths, out_dim, embedding), args = OTHER_SIZES[name]
    call = f"{name}({args})"
    r = value(record, call)
    want = sorted(_param_shapes(in_dim, widths, out_dim, embedding))
    if r["shapes"] != [list(s) for s in want] and [tuple(s) for s in r["shapes"]] != want:
        raise AssertionError(
            f"expected {call} to be the statement's network with those sizes, found parameters of other shapes: do "
            "the embedding and every layer take their sizes from the arguments?")
    if r["out"] != [5, out_dim]:
        raise AssertionError(f"expected {call} to give an output of shape (5, {out_dim}) for 5 inputs, found {tuple(r['out'])}")


def _cond_matches(out, wants, what, generator=True, either_order=False):
    """Fails unless ``out`` is ``wants[0]``, the statement's network's outputs ([inputs, e(y)] read by the first
    layer); ``wants[1]``, with [e(y), inputs] read, names the swapped order in the message (``either_order``: passes
    too, for a test of another property)."""
    torch = _torch()
    n = wants[0].shape[0]
    asserts.assert_tensor(out, what, shape=(n, 784) if generator else (n, 1), dtype=torch.float32)
    # the statement's networks read [z, e_G(y)] and [x, e_D(y)]: the embedding second (the trained generator is
    # drawn from in that order too)
    swapped = out.shape == wants[1].shape and torch.allclose(out, wants[1], rtol=1e-4, atol=1e-5)
    if swapped and either_order:
        return
    if swapped:
        first, second = ("z", "e_G(y)") if generator else ("x", "e_D(y)")
        raise AssertionError(
            f"{what} gives what [{second}, {first}] gives, the embedding first: the statement concatenates "
            f"[{first}, {second}], the embedding second")
    if not (out.shape == wants[0].shape and torch.allclose(out, wants[0], rtol=1e-4, atol=1e-5)):
        raise AssertionError(
            f"{what} should give what the statement's network gives with the same parameters: "
            + ("[z, e(y)] with one nn.Embedding(10, 10), then P1's layers (LeakyReLU(0.2), tanh; no normalisation, no "
               "dropout)" if generator else
               "[x, e(y)] with one nn.Embedding(10, 10), then P1's layers (LeakyReLU(0.2), dropout, one raw logit)")
            + "; it does not (does the label feed the network? the widths, slopes and last layer as stated?)")


@points(1.5)
def test_conditional_generator_is_the_statements_network(v, ref):
    assert_trainable(v.trainable, "ConditionalGenerator()")
    _cond_matches(working(v).out12, ref["out12"],
                  "ConditionalGenerator()(z, labels) in training mode")


@points(0.5)
def test_sizes_come_from_the_arguments(v, ref):
    # (read once ConditionalGenerator() is the statement's network at the default sizes, [z, e_G(y)] as the graded
    # file is drawn from)
    test_conditional_generator_is_the_statements_network(v, ref)
    _assert_sizes_from_the_arguments(working(v).other_sizes, "ConditionalGenerator")


@points(1)
def test_the_label_changes_the_image(v, ref):
    assert_trainable(v.trainable, "ConditionalGenerator()")
    # one z, the ten labels: each image as the statement's network draws it for that label
    _cond_matches(working(v).per_label, ref["per_label"],
                  "ConditionalGenerator()(z, labels) for one z and the ten labels")


def _cond_discriminator_probe(o, x):
    torch, D = _torch(), o["ConditionalDiscriminator"]
    _seed_torch(x)
    y32 = torch.arange(32) % 10

    def run(xb, labels, train=False, **kwargs):
        d = load_by_shape(D(**kwargs), x["d_params"], "ConditionalDiscriminator()")
        d.train(train)
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(x["dropout_seed"])
            return d(xb.clone(), labels)

    return {"flat_out": attempt(run, x["images"].reshape(6, 784), torch.arange(6)),
            "image_out": attempt(run, x["images"], torch.arange(6)),
            "per_label": attempt(run, x["x1"].repeat(10, 1), torch.arange(10)),
            "train_out": attempt(run, x["x32"], y32, True),
            "trainable": attempt(_gradients_of, D, lambda d: d.eval()(x["x32"].clone(), y32)),
            "other_sizes": attempt(_other_sizes, lambda: D(n_classes=5, embed_dim=3, widths=(64, 32)),
                                   lambda d: d(torch.zeros(5, 784), torch.arange(5))),
            "dropout_extremes": attempt(players.dropout_extremes, lambda p: D(dropout=p),
                                        lambda d: load_by_shape(d, x["d_params"], "ConditionalDiscriminator(dropout=...)"),
                                        lambda d: d(x["x32"].clone(), y32))}


@points(1.5)
def test_one_logit_per_image(v, ref):
    assert_trainable(v.trainable, "ConditionalDiscriminator()")
    w, want = working(v), ref["logits"]
    _cond_matches(w.flat_out, want, "ConditionalDiscriminator().eval()(x, labels) for flattened x", generator=False)
    _cond_matches(w.image_out, want, "ConditionalDiscriminator().eval()(x, labels) for (N, 1, 28, 28)",
                  generator=False)


def _default_discriminator(v, ref):
    assert_trainable(v.trainable, "ConditionalDiscriminator()")
    _cond_matches(working(v).flat_out, ref["logits"], "ConditionalDiscriminator().eval()(x, labels) for flattened x",
                  generator=False, either_order=True)


@points(0.25)
def test_discriminator_sizes_come_from_the_arguments(v, ref):
    # (read once ConditionalDiscriminator() is the statement's network at the default sizes, in either order)
    _default_discriminator(v, ref)
    _assert_sizes_from_the_arguments(working(v).other_sizes, "ConditionalDiscriminator")


@points(0.5)
def test_dropout_argument_sets_the_dropout(v, ref):
    # P1's discriminator layers: dropout of probability `dropout` after each hidden layer (at 0 training mode is eval
    # mode; at 1 the output layer reads zeros, so every input gets the same logit)
    # (read once ConditionalDiscriminator() is the statement's network at the default sizes, in either order)
    _default_discriminator(v, ref)
    w = working(v)
    players.assert_dropout_argument_sets_dropout(w.dropout_extremes, "ConditionalDiscriminator", w.inputs.d_params[-1])


@points(1)
def test_the_label_changes_the_logit(v, ref):
    assert_trainable(v.trainable, "ConditionalDiscriminator()")
    _cond_matches(working(v).per_label, ref["per_label"],
                  "ConditionalDiscriminator().eval()(x, labels) for one image and the ten labels", generator=False,
                  either_order=True)


# ------------------------------------------------------------------ P3.3 the conditional steps
LABELS = (3, 1, 4, 1, 5, 9, 2, 6)
OTHER_LABELS = (0, 7, 7, 2, 8, 5, 1, 3)
PLANTED_GRAD = 0.5  # every entry of the gradients the other player holds before a conditional step


def _cgan_inputs(seed):
    g = _gen(seed, 33)
    return {"real": _uniform(g, 8, 784), "z": _randn(g, 8, 4), "z_g": _randn(g, 8, 4), **_seeded(seed, 33),
            # the stand-in networks' seeded start for the graded steps (the grader steps from the same)
            "G0": [_randn(g, 784, 14) * 0.5, _randn(g, 784) * 0.1], "D0": [_randn(g, 1, 794) * 0.05, _randn(g, 1) * 0.1],
            "lr": _step_lr(g)}


def label_blind(x):
    """``x`` with the stand-in networks' label columns zeroed: from this start no loss depends on the labels."""
    g0, d0 = [p.clone() for p in x["G0"]], [p.clone() for p in x["D0"]]
    g0[0][:, 4:] = 0
    d0[0][:, 784:] = 0
    return {**x, "G0": g0, "D0": d0}


def _cgan_probe(o, x):
    torch = _torch()
    d_step, g_step = o["cgan_discriminator_step"], o["cgan_generator_step"]  # the losses handed over are unused
    _seed_torch(x)
    y, y2 = torch.tensor(LABELS), torch.tensor(OTHER_LABELS)

    def run(start, player, stale=False, lr=None, d_training=True):
        lr = x["lr"] if lr is None else lr
        g, d = seeded_tiny(start, 10)
        d.train(d_training)  # the discriminator's own step finds it in eval mode (as after sampling) in d_fresh
        mine, other = (g, d) if player == "G" else (d, g)
        mine_p, other_p = list(mine.parameters()), list(other.parameters())  # read after the step, whatever it does
        d_modes = []  # the discriminator's mode (training or not) at each pass through it during the step
        d.register_forward_pre_hook(lambda module, args: d_modes.append(bool(module.training)))
        for p in other_p:
            p.grad = torch.full_like(p, PLANTED_GRAD)  # gradients left in the other player: a step must leave them
        if stale:
            for p in mine_p:
                p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
        _seed_torch(x)  # whatever a step draws, it draws the same with and without stale gradients
        if player == "D":
            returned = d_step(g, d, _sgd(d.parameters(), lr), x["real"].clone(), y.clone(), x["z"].clone())
        else:
            returned = g_step(g, d, _sgd(g.parameters(), lr), x["z_g"].clone(), y2.clone())
        return {"returned": returned, "after": _params(mine_p), "other_after": _params(other_p),
                "other_grads": _grads(other_p), "d_passes": len(d_modes), "d_eval_passes": d_modes.count(False),
                "d_training_after": bool(d.training), "left": players.state(other, other_p)}

    blind = label_blind(x)
    return {"d_blind": attempt(run, blind, "D", lr=0.0), "g_blind": attempt(run, blind, "G", lr=0.0),
            "d_fresh": attempt(run, x, "D", d_training=False), "d_stale": attempt(run, x, "D", True),
            "g_fresh": attempt(run, x, "G"), "g_stale": attempt(run, x, "G", True)}


def _cgan_moved(v):
    w = working(v)
    _moved(w.d_fresh, w.inputs.D0, "cgan_discriminator_step", "discriminator")
    _moved(w.g_fresh, w.inputs.G0, "cgan_generator_step", "generator")


@points(0.5)
def test_each_step_clears_old_gradients(v, ref):
    # "the same two steps as in P1": each clears old gradients first, so a step taken while the player still holds
    # gradients from an earlier one moves it exactly as the same step taken fresh (read once both steps return the
    # statement's losses)
    test_return_floats(v, ref)
    torch, w = _torch(), working(v)
    for player, fresh, stale, call, start in (("discriminator", w.d_fresh, w.d_stale, "d_opt", w.inputs.D0),
                                              ("generator", w.g_fresh, w.g_stale, "g_opt", w.inputs.G0)):
        a, b = value(fresh, "the step")["after"], value(stale, "the step")["after"]
        if not (len(a) == len(b) == len(start) and all(p.shape == q.shape and torch.allclose(p, q, atol=1e-6, rtol=1e-5)
                                         for p, q in zip(a, b, strict=True))):
            raise AssertionError(
                f"expected the conditional {player} step to move the {player} the same way whether or not it still "
                f"holds gradients from an earlier step, found it does not: call {call}.zero_grad() before "
                "loss.backward() (each step clears old gradients)")


@points(0.25)
def test_dropout_on_while_the_conditional_discriminator_learns(v, ref):
    # "the same two steps as in P1": the discriminator learns in training mode (dropout on), during its step and after
    _cgan_moved(v)
    dropout_stayed_on(working(v).d_fresh, "cgan_discriminator_step")


@points(0.25)
def test_return_floats(v, ref):
    _cgan_moved(v)
    # from a start where the labels have no weight (so any labelling gives the same loss), learning rate 0: each
    # step returns the loss the grader computed with the statement's losses
    w, want = working(v), ref
    _returned_float(w.d_blind, want["d_blind_loss"], "cgan_discriminator_step")
    _returned_float(w.g_blind, want["g_blind_loss"], "cgan_generator_step")


def _no_gradient_into_the_generator(v):
    """Fails unless cgan_discriminator_step left the generator's gradients as they were (the planted ones)."""
    torch = _torch()
    found = value(working(v).d_fresh, "the step")["other_grads"]
    tensors = isinstance(found, (list, tuple)) and len(found) == 2 and all(isinstance(g, torch.Tensor) for g in found)
    if tensors and all(bool((g == PLANTED_GRAD).all()) for g in found):
        return
    if isinstance(found, (list, tuple)) and all(g is None or (isinstance(g, torch.Tensor) and bool((g == 0).all()))
                                                for g in found):
        raise AssertionError(
            "expected cgan_discriminator_step to leave the generator's gradients as it found them, found them "
            "cleared: each step changes only its own player, the other player's gradients included (as in P1)")
    raise AssertionError(
        "expected cgan_discriminator_step to add no gradient to the generator, found its gradients changed: the "
        "discriminator's fakes must not pass gradients to the generator, as in P1")


@points(0.25)
def test_each_step_leaves_the_other_player_as_it_found_it(v, ref):
    # as in P1: each step changes only its own player (its parameters, training mode and requires_grad flags; the
    # discriminator's step, the generator's gradients too)
    _cgan_moved(v)
    torch, w = _torch(), working(v)
    _no_gradient_into_the_generator(v)
    for record, start, step, other in ((w.d_fresh, w.inputs.G0, "cgan_discriminator_step", "generator"),
                                       (w.g_fresh, w.inputs.D0, "cgan_generator_step", "discriminator")):
        r = value(record, "the step")
        if not (len(r["other_after"]) == len(start) and all(
                torch.equal(p, q) for p, q in zip(r["other_after"], start, strict=True))):
            raise AssertionError(f"expected the {other}'s parameters unchanged by {step}, found them changed")
        players.assert_left_as_found(r, step, other)


@points(0.5)
def test_discriminator_loss_uses_the_batch_labels(v, ref):
    _cgan_moved(v)
    _no_gradient_into_the_generator(v)
    out = value(working(v).d_fresh, "the step")["returned"]
    want = ref["d_loss"]
    if not (isinstance(out, float) and abs(out - want) < 1e-5 * (1 + abs(want))):
        raise AssertionError(
            f"expected the conditional discriminator loss of this batch before the update, found {_shown(out)}"
            f"{', ' + asserts.off_by(out, want) if isinstance(out, float) else ''}: fakes are generated for the batch's labels and judged with those same labels")


@points(0.5)
def test_generator_loss_uses_the_requested_labels(v, ref):
    _cgan_moved(v)
    out = value(working(v).g_fresh, "the step")["returned"]
    want = ref["g_loss"]
    if not (isinstance(out, float) and abs(out - want) < 1e-5 * (1 + abs(want))):
        raise AssertionError(
            f"expected the conditional generator loss of this batch before the update, found {_shown(out)}"
            f"{', ' + asserts.off_by(out, want) if isinstance(out, float) else ''}: the generator draws digits for the given labels and is judged with the same labels")


_CGAN_MADE_BY = "the training cell of the conditional GAN"


def _cgan_labels():
    return _torch().arange(10).repeat_interleave(N_DRAWN // 10)  # (1000,): 0 x100, 1 x100, ..., 9 x100


@points(1)
def test_saved_generator_draws_1000_new_labelled_images(v, ref):
    from dgmlab import metrics

    _no_file_in_fast_mode(v, CGAN_FILE)
    y = _cgan_labels()
    x, report = graded_draw(v.files, v.seed_of, CGAN_FILE, made_by=_CGAN_MADE_BY, labels=y, own=own_draw(v))
    print("near-copy check:", report.summary())
    correct = int((metrics.mnist_predict(x, scale="[-1,1]") == y).sum())
    if not correct >= FILE_POINT_ACCURACY * len(y):
        raise AssertionError(
            f"{correct} of the {N_DRAWN:,} new images show the digit they were drawn for, fewer than "
            f"{FILE_POINT_ACCURACY:.0%} (an untrained generator: about 10%): hand in the weights your full training run "
            f"writes, trained with [z, e(y)], noise first")


@points(2)
def test_conditional_accuracy_above_the_bar(v, ref):
    from dgmlab import metrics

    _no_file_in_fast_mode(v, CGAN_FILE)
    y = _cgan_labels()
    x, _ = graded_draw(v.files, v.seed_of, CGAN_FILE, made_by=_CGAN_MADE_BY, labels=y, own=own_draw(v))
    # a count over N_DRAWN, exact: a float32 mean would read 89 of 100 as 0.8899999, below a bar of 0.89
    accuracy = int((metrics.mnist_predict(x, scale="[-1,1]") == y).sum()) / len(y)
    print(f"conditional accuracy of the {N_DRAWN:,} samples: {accuracy:.1%} (bar {BAR_ACCURACY:.0%})")
    if not accuracy >= BAR_ACCURACY:
        raise AssertionError(
            f"expected a conditional accuracy of at least {BAR_ACCURACY:.0%}, found {accuracy:.1%}: below the bar "
            "(a full 50-epoch run clears it, a run stopped early may not; the generator reads [z, e_G(y)], noise "
            "first, as the statement says)")


CHECKS = [
    CheckSpec("p3_cond_generator_tests", hidden_for="one (z, label) at a time, and the tanh", names=("ConditionalGenerator",),
              visible=(test_conditional_generator_is_the_statements_network, test_the_label_changes_the_image,
                       test_sizes_come_from_the_arguments),
              probe=_on_working(_cond_generator_probe), inputs=_with_working(_cond_inputs)),
    CheckSpec("p3_cond_discriminator_tests", hidden_for="dropout in training mode", names=("ConditionalDiscriminator",),
              visible=(test_one_logit_per_image, test_the_label_changes_the_logit,
                       test_discriminator_sizes_come_from_the_arguments, test_dropout_argument_sets_the_dropout),
              probe=_on_working(_cond_discriminator_probe), inputs=_with_working(_cond_inputs)),
    CheckSpec("p3_cgan_steps_tests", hidden_for="the labels each step uses, the update itself",
              names=("cgan_discriminator_step", "cgan_generator_step", "discriminator_loss", "generator_loss"),
              visible=(test_return_floats, test_discriminator_loss_uses_the_batch_labels,
                       test_generator_loss_uses_the_requested_labels, test_each_step_clears_old_gradients,
                       test_dropout_on_while_the_conditional_discriminator_learns,
                       test_each_step_leaves_the_other_player_as_it_found_it),
              probe=_on_working(_cgan_probe), inputs=_with_working(_cgan_inputs)),
    CheckSpec("p3_cgan_samples_tests", names=(),
              visible=(test_saved_generator_draws_1000_new_labelled_images, test_conditional_accuracy_above_the_bar),
              probe=own_draw_probe(CGAN_FILE, made_by=_CGAN_MADE_BY, labels=_cgan_labels), files=(CGAN_FILE,)),
]
