"""hw4_gans' grader-side references: what its hidden tests compare a student's work with, and what the visible
tests' recorded values (``homeworks/hw4_gans/checks/expected.json``) are made from.

They answer questions of the homework (P1's networks as a computation, :func:`mlp_forward`, its losses and one SGD
step of each player, the statement's networks for each P2 experiment, P3's conditional losses), so they live here,
outside the student package. The probes' helpers they build on (the stand-in networks from the seeded start,
parameters placed by shape, the shapes of the statement's MLPs: :func:`dgmlab.artifacts.mlp_shapes`) stay in
:mod:`homeworks.hw4_gans.checks` and :mod:`dgmlab.artifacts`, which the kernel needs to run a student's code.

:data:`EXPECTED` says, for each converted test cell, what its visible tests compare with: a function of the cell's
inputs drawn from the working seed (:data:`dgmlab.probes.WORKING_SEED`);
:func:`dgmlab.grading.references.recorded.record_expected` records what they give.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from dgmlab import artifacts
from dgmlab.grading.references.transport import discrete_w1
from homeworks.hw4_gans.checks import (
    HIDDEN_RUNS,
    LABELS,
    OTHER_LABELS,
    STATEMENT_EXPERIMENTS,
    TRAIN_LR,
    _outputs_match,
    _params,
    _run_key,
    _schedule,
    _sgd,
    _statement_mlp,
    experiment,
    history_matches,
    label_blind,
    parameters_match,
    seeded_tiny,
    stand_in_d_step,
    stand_in_g_step,
    step_noise,
    step_tags,
    value,
)


# ------------------------------------------------------------------ P1.1, P1.2: the statement's networks
def mlp_forward(tensors, x, labels=None, *, tanh: bool = True, dropout: float = 0.0) -> torch.Tensor:
    """What the statement's MLP computes with ``tensors`` (in :func:`dgmlab.artifacts.mlp_shapes` order) on ``x``.

    ``[x, embedding(labels)]`` -> Linear + LeakyReLU(0.2) per hidden width (then dropout with masks from torch's
    global generator, if ``dropout``) -> Linear -> tanh (left out when ``tanh`` is False, a discriminator's logit).
    Evaluated without autograd on detached tensors: the grader's reference for comparing outputs and drawing from
    handed-in weights.
    """
    tensors = [t.detach() for t in tensors]
    with torch.no_grad():
        h = x.detach().reshape(x.shape[0], -1)  # (N, in_dim)
        if labels is not None:
            embed, tensors = tensors[0], tensors[1:]
            h = torch.cat([h, F.embedding(labels, embed)], dim=1)  # (N, in_dim + dim): the input first, as specified
        layers = list(zip(tensors[0::2], tensors[1::2], strict=True))  # [(weight, bias)] per Linear
        for weight, bias in layers[:-1]:
            h = F.leaky_relu(F.linear(h, weight, bias), 0.2)
            if dropout:
                h = F.dropout(h, dropout, training=True)
        h = F.linear(h, *layers[-1])  # (N, out_dim)
        return torch.tanh(h) if tanh else h


def mlp_generator(state, *, in_dim: int = 100, widths=(128, 256, 512), out_dim: int = 784, embedding=None,
                  name: str = "the saved weights", spec: str = "the specified generator"):
    """The grader's draw from the statement's generator with the tensors of the state dict ``state`` (checked and
    placed by shape by :func:`dgmlab.artifacts.mlp_tensors`, which raises an ``ArtifactError`` saying why a file does
    not fit): a function of ``z`` (and, with an embedding, of ``labels``) returning :func:`mlp_forward`'s images."""
    tensors = artifacts.mlp_tensors(state, in_dim=in_dim, widths=widths, out_dim=out_dim, embedding=embedding,
                                    name=name, spec=spec)

    def draw(z, labels=None):
        if (labels is None) != (embedding is None):
            raise TypeError(f"{spec} takes " + ("(z, labels)" if embedding else "(z) only"))
        return mlp_forward(tensors, z, labels)

    return draw


def kit_generator(params, latent_dim=100, widths=(128, 256, 512), embedding=None):
    """The statement's generator with ``params``: a function of ``z`` (and ``labels`` with an embedding)."""
    tensors = _statement_mlp(params, latent_dim, widths, 784, embedding, "the kit's generator")
    return lambda z, labels=None: mlp_forward(tensors, z, labels)


def kit_logits(params, x, widths=(512, 256, 128)):
    """The statement's discriminator in eval mode (dropout is the identity there): Linear + LeakyReLU(0.2) per
    hidden width, then Linear to one logit."""
    return mlp_forward(_statement_mlp(params, 784, widths, 1, what="the kit's discriminator"), x, tanh=False)


def kit_train_logits(params, x, widths, seed, dropout=0.3):
    """The statement's discriminator in training mode: the kit's eval-mode network with dropout after each
    LeakyReLU, its masks drawn from ``seed`` in the order the layers run."""
    tensors = _statement_mlp(params, 784, widths, 1, what="the kit's discriminator")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return mlp_forward(tensors, x, tanh=False, dropout=dropout)


# ------------------------------------------------------------------ P3.1, P3.2: the statement's conditional networks
def _first_columns_swapped(params, first, embed_dim=10):
    """The parameters that make the statement's network ([first, embedding] read by the first layer) compute what
    ``params`` compute in a network that reads [embedding, first]: the first layer's columns moved accordingly."""
    out = []
    for p in params:
        if p.dim() == 2 and p.shape[1] == first + embed_dim and p.shape != (embed_dim, embed_dim):
            p = torch.cat([p[:, embed_dim:], p[:, :embed_dim]], dim=1)
        out.append(p)
    return out


def kit_conditional(params, inputs, labels, generator=True, widths=None):
    """The statement's conditional network (eval mode) on ``inputs`` with ``params``: generator images, or
    discriminator logits, for [inputs, e(labels)]."""
    if generator:
        return mlp_forward(_statement_mlp(params, 100, widths or (128, 256, 512), 784, (10, 10)), inputs,
                                     labels)
    return mlp_forward(_statement_mlp(params, 784, widths or (512, 256, 128), 1, (10, 10)), inputs, labels,
                                 tanh=False)


def either_order(params, inputs, labels, generator=True) -> list:
    """The statement's network's outputs with [inputs, e(y)] and with [e(y), inputs] read by the first layer (the same
    layers, its columns in the other order): a generator must give the first (the statement's order); a discriminator
    may give either."""
    first = inputs.reshape(inputs.shape[0], -1).shape[1]
    with torch.no_grad():
        return [kit_conditional(ps, inputs, labels, generator) for ps in (params, _first_columns_swapped(params, first))]


# ------------------------------------------------------------------ P1.3: the statement's losses
def _bce_mean(logits, target: int):
    """mean BCE of ``logits`` against the label ``target`` (1 or 0), in float64 (as softplus(-l) and softplus(l):
    binary_cross_entropy_with_logits takes milliseconds a call on a busy CPU with several threads, softplus
    microseconds)."""
    logits = logits.double()
    return F.softplus(-logits if target == 1 else logits).mean()


def statement_d_loss(real_logits, fake_logits):
    return _bce_mean(real_logits, 1) + _bce_mean(fake_logits, 0)


def statement_g_loss(fake_logits):
    return _bce_mean(fake_logits, 1)


def batch_loss(x, loss_of, n_classes=0, start=None):
    """The grader's loss ``loss_of(g, d)`` (a float) at the seeded start (or at ``start(g, d)``), gradients off."""
    g, d = seeded_tiny(x, n_classes)
    if start is not None:
        start(g, d)
    with torch.no_grad():
        return float(loss_of(g, d))


# ------------------------------------------------------------------ P1.3, P1.4: the losses and one step of each player
def saturating_g_loss(fake_logits):
    """log(1 - D(G(z))) as a loss to minimise, in float64: the minimax form the statement sets aside."""
    return -_bce_mean(fake_logits, 0)


def reference_sgd_step(x, player, loss_of, n_classes=0):
    """What one SGD step (learning rate ``x["lr"]``, the seed's) on ``loss_of(g, d)`` gives ``player``'s parameters
    from the seeded start: the grader's own step, with the loss its hidden test gives."""
    g, d = seeded_tiny(x, n_classes)
    params = list((g if player == "G" else d).parameters())
    grads = torch.autograd.grad(loss_of(g, d), params)
    return [(p - float(x["lr"]) * gr).detach() for p, gr in zip(params, grads, strict=True)]


def d_loss_of(x, real_from_g=False, swapped=False):
    """The statement's discriminator loss on the batch of inputs ``x`` as a function of the two networks: the fakes
    detached; ``real_from_g``: the generator's own fakes as the real images; ``swapped``: real and fake the wrong way
    round (the mistake a hint names)."""
    def loss_of(g, d):
        fake = g(x["z"]).detach()
        real = fake if real_from_g else x["real"]
        return statement_d_loss(d(fake), d(real)) if swapped else statement_d_loss(d(real), d(fake))
    return loss_of


def g_loss_of(x, loss=None):
    """The generator's loss (the statement's non-saturating one, or ``loss``) on the batch's noise ``x["z"]``."""
    return lambda g, d: (loss or statement_g_loss)(d(g(x["z"])))


# ------------------------------------------------------------------ P2.1: each experiment's networks as stated
def assert_generator_as_stated(out, x, widths, what):
    """``out``: a generator's output on ``x["z4"]`` with parameters set by the check for ``widths``; fails unless it is the
    statement's generator's (P1's layers with those hidden widths)."""
    with torch.no_grad():
        want = kit_generator(x["g_params"][tuple(widths)], 100, tuple(widths))(x["z4"])
    _outputs_match(value(out, what), want, f"{what}, against P1's generator with hidden "
                                            f"widths {tuple(widths)},")


def assert_discriminator_as_stated(out, x, widths, what, train=False):
    """``out``: a discriminator's logits with parameters set by the check for ``widths`` (eval mode on ``x["x4"]``, or
    training mode on ``x["x32"]`` with the grader's dropout masks); fails unless they are the statement's."""
    params = x["d_params"][tuple(widths)]
    want = (kit_train_logits(params, x["x32"], tuple(widths), x["dropout_seed"]) if train
            else kit_logits(params, x["x4"], tuple(widths)))
    mode = "in training mode (dropout 0.3 after each LeakyReLU, the same dropout masks)" if train else "in eval mode"
    _outputs_match(value(out, what), want, f"{what} {mode}, against P1's discriminator "
                                            f"with hidden widths {tuple(widths)},")


def assert_made_as_stated(experiments, inputs, name, parts=("generator", "discriminator", "training mode", "d_steps")):
    """Fails unless ``make_gan(name)``'s ``parts`` (in its probe record among ``experiments``) are the statement's for
    that experiment."""
    info = experiment(experiments, name)
    gw, dw, k = STATEMENT_EXPERIMENTS[name]
    if "generator" in parts:
        assert_generator_as_stated(info["g_out"], inputs, gw, f"make_gan({name!r})'s generator")
    if "discriminator" in parts:
        assert_discriminator_as_stated(info["d_out"], inputs, dw, f"make_gan({name!r})'s discriminator")
    if "training mode" in parts:
        assert_discriminator_as_stated(info["d_train"], inputs, dw, f"make_gan({name!r})'s discriminator", True)
    if "d_steps" in parts:
        if info["d_steps"] != k:
            raise AssertionError(f"expected d_steps = {k} (an int) from make_gan({name!r}), found {info['d_steps']}")


# ------------------------------------------------------------------ P2.2: the statement's schedule, replayed
def replay_train_gan(x, run) -> dict:
    """The grader's own training for ``run`` (a schedule of RUNS, or "noise"/"frozen"/"devices"): from the seeded start
    and loader, one stand-in D update per batch and a stand-in G update after every d_steps-th, D first, with the
    seeded noise; the parameters it ends with and the history it returns."""
    key = _run_key(run)
    n_batches, epochs, d_steps = _schedule(run)
    g, d = seeded_tiny(x)
    frozen = seeded_tiny(x) if run == "frozen" else None
    g_opt, d_opt = _sgd(g.parameters(), TRAIN_LR), _sgd(d.parameters(), TRAIN_LR)
    n_d = n_g = 0
    for _ in range(epochs):
        for real, _labels in x["loaders"][key]:
            if run != "devices":
                stand_in_d_step(generator=frozen[0] if frozen else g, discriminator=d, d_opt=d_opt, real=real,
                                z=step_noise(x, key, "D", n_d, (len(real), 4)))
            n_d += 1
            if n_d % d_steps == 0:
                if run != "devices":
                    stand_in_g_step(generator=g, discriminator=frozen[1] if frozen else d, g_opt=g_opt,
                                    z=step_noise(x, key, "G", n_g, (len(real), 4)))
                n_g += 1
    return {"G": _params(g), "D": _params(d), "d_loss": step_tags(x, key, "D", n_d), "g_loss": step_tags(x, key, "G", n_g)}


def assert_history_as_stated(record, inputs, run):
    """Fails unless the history train_gan returned in ``run`` (its ``record``) is the grader's replay's."""
    want = replay_train_gan(inputs, run)
    history_matches(record, {"d_loss": want["d_loss"], "g_loss": want["g_loss"]}, run)


def assert_parameters_as_stated(record, inputs, run, what):
    """Fails unless the parameters train_gan leaves in ``run`` (its ``record``) are where the grader's replay ends."""
    want = replay_train_gan(inputs, run)
    parameters_match(record, {"G": want["G"], "D": want["D"]}, what)


# ------------------------------------------------------------------ P3.3: the conditional losses
def cgan_d_loss(x):
    """The grader's conditional discriminator loss on the batch: its labels for the reals, the fakes and the judge."""
    y = torch.tensor(LABELS)
    return lambda g, d: statement_d_loss(d(x["real"], y), d(g(x["z"], y).detach(), y))


def cgan_g_loss(x):
    """The grader's conditional generator loss: fakes drawn for the requested labels, judged with the same labels."""
    y = torch.tensor(OTHER_LABELS)
    return lambda g, d: statement_g_loss(d(g(x["z_g"], y), y))


# ------------------------------------------------------------------ what the visible tests compare with
def _expected_generator(x) -> dict:
    with torch.no_grad():
        return {"out16": kit_generator(x["params"])(x["z16"]),
                "small_out": kit_generator(x["small_params"], 8, (16, 32))(x["z4_8"]),
                "saturated": kit_generator([p * 20 for p in x["params"]])(x["z16"])}


def _expected_discriminator(x) -> dict:
    return {"logits": kit_logits(x["params"], x["images"]),
            "small_logits": kit_logits(x["small_params"], x["x4"], (64, 32, 16, 8)),
            "train_logits": kit_train_logits(x["params"], x["x32"], (512, 256, 128), x["dropout_seed"])}


def _expected_d_step(x) -> dict:
    return {"loss": batch_loss(x, d_loss_of(x)), "swapped_loss": batch_loss(x, d_loss_of(x, swapped=True)),
            "fakes_as_reals_loss": batch_loss(x, d_loss_of(x, real_from_g=True)),
            "sgd_step": reference_sgd_step(x, "D", d_loss_of(x))}


def _expected_g_step(x) -> dict:
    return {"loss": batch_loss(x, g_loss_of(x)), "saturating_loss": batch_loss(x, g_loss_of(x, saturating_g_loss)),
            "sgd_step": reference_sgd_step(x, "G", g_loss_of(x))}


def _expected_make_gan(x) -> dict:
    """The baseline's, the deep discriminator experiment's and the wide generator experiment's networks, as the
    statement gives them (what the visible tests check)."""
    def networks(name):
        gw, dw, _ = STATEMENT_EXPERIMENTS[name]
        with torch.no_grad():
            return {"g_out": kit_generator(x["g_params"][gw], 100, gw)(x["z4"]),
                    "d_out": kit_logits(x["d_params"][dw], x["x4"], dw),
                    "d_train": kit_train_logits(x["d_params"][dw], x["x32"], dw, x["dropout_seed"])}
    return {**networks("baseline"), "deep": networks("deep_discriminator"), "wide": networks("wide_generator")}


def _expected_train_gan(x) -> dict:
    history, parameters = replay_train_gan(x, (4, 1, 1)), replay_train_gan(x, (3, 1, 1))
    return {"history_4_1_1": {"d_loss": history["d_loss"], "g_loss": history["g_loss"]},
            "parameters_3_1_1": {"G": parameters["G"], "D": parameters["D"]},
            "parameters_of": {_run_key(run): {"G": replayed["G"], "D": replayed["D"]}
                              for run in HIDDEN_RUNS for replayed in [replay_train_gan(x, run)]}}


def _expected_cond_generator(x) -> dict:
    return {"out12": either_order(x["g_params"], x["z12"], torch.arange(12) % 10),
            "per_label": either_order(x["g_params"], x["z1"].repeat(10, 1), torch.arange(10))}


def _expected_cond_discriminator(x) -> dict:
    return {"logits": either_order(x["d_params"], x["images"].reshape(6, 784), torch.arange(6), False),
            "per_label": either_order(x["d_params"], x["x1"].repeat(10, 1), torch.arange(10), False)}


def _expected_cgan_steps(x) -> dict:
    blind = label_blind(x)
    return {"d_blind_loss": batch_loss(blind, cgan_d_loss(blind), 10),
            "g_blind_loss": batch_loss(blind, cgan_g_loss(blind), 10),
            "d_loss": batch_loss(x, cgan_d_loss(x), 10), "g_loss": batch_loss(x, cgan_g_loss(x), 10)}


def _expected_optima(x) -> dict:
    """P5: the optimal transport cost of each seeded instance, by POT's network simplex (not the statement's LP)."""
    return {"optima": [discrete_w1(v, w, C) for v, w, C in x["instances"]]}


EXPECTED = {"p1_generator_tests": _expected_generator, "p1_discriminator_tests": _expected_discriminator,
            "p1_d_step_tests": _expected_d_step, "p1_g_step_tests": _expected_g_step,
            "p2_make_gan_tests": _expected_make_gan, "p2_train_gan_tests": _expected_train_gan,
            "p3_cond_generator_tests": _expected_cond_generator,
            "p3_cond_discriminator_tests": _expected_cond_discriminator, "p3_cgan_steps_tests": _expected_cgan_steps,
            "p5_ot_primal_tests": _expected_optima, "p5_ot_dual_tests": _expected_optima}
