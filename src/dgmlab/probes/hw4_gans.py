"""hw4_gans' graded test cells: what each hands the grader and its visible tests.

The hidden tests are in the instructor's notebook (``source/hw4_gans/``); they read the names below
(``context``) and the values each probe returns. Nothing here answers a question: the probes build the
student's networks and run the student's functions on inputs made from the seed, and keep what comes
back (which modules ran, with their measured slopes and dropout rates, outputs, parameters before and
after an update, losses); the visible tests check form and easy cases. The two cells graded from
handed-in weights run in the grader: they read the file as handed in and draw from it with the kit's own
generator (:func:`dgmlab.artifacts.mlp_generator`), never a class from the student's kernel.
"""
from __future__ import annotations

import contextlib
import copy
import math

from .. import checks
from ..testing import points
from . import CheckSpec, TestFailure, attempt, usable, seeded_generator as _gen
from . import _torch  # lazy imports

EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")  # the statement's names
P1_G = [(100, 128), (128, 256), (256, 512), (512, 784)]  # P1's generator, as the statement specifies it
P1_D = [(784, 512), (512, 256), (256, 128), (128, 1)]
BASELINE_FILE, CGAN_FILE, RESULTS_FILE = "baseline_generator_weights.pt", "cgan_generator_weights.pt", "hw4_results.json"
MAX_WEIGHTS_BYTES = 1_500_000
FULL_EPOCHS = 50


def _nn():
    return _torch().nn


def _randn(g, *shape):
    return _torch().randn(*shape, generator=g, dtype=_torch().float32)


def _uniform(g, *shape):
    """Uniform on [-1, 1), like pixels scaled to [-1, 1]."""
    return _torch().rand(*shape, generator=g, dtype=_torch().float32) * 2 - 1


def _seed_torch(x):
    _torch().manual_seed(x["torch_seed"])  # the networks' starting weights, the same on every run of the probe


# ------------------------------------------------------------------ what a network does when it runs
def _norm_layers():
    nn = _nn()
    return (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.LayerNorm, nn.GroupNorm,
            nn.LocalResponseNorm)


def _describe(m) -> dict:
    """One leaf module as plain data: its kind and, measured, what it does (slope, dropout rate)."""
    torch, nn = _torch(), _nn()
    if isinstance(m, _norm_layers()):
        return {"kind": "Norm"}
    if isinstance(m, nn.Linear):
        return {"kind": "Linear", "in": int(m.in_features), "out": int(m.out_features)}
    if isinstance(m, nn.LeakyReLU):
        probe = torch.tensor([-2.0, -0.5])
        with torch.no_grad():
            return {"kind": "LeakyReLU", "slope": float((m(probe) / probe).mean())}
    if isinstance(m, nn.Dropout):
        was_training = m.training
        with torch.no_grad():
            rate = float((m.train()(torch.ones(200_000)) == 0).float().mean())
        m.train(was_training)
        return {"kind": "Dropout", "rate": rate}
    if isinstance(m, nn.Embedding):
        return {"kind": "Embedding", "num": int(m.num_embeddings), "dim": int(m.embedding_dim)}
    for kind in ("Tanh", "Sigmoid", "ReLU", "Softmax"):
        if isinstance(m, getattr(nn, kind)):
            return {"kind": kind}
    return {"kind": "other", "type": type(m).__name__[:80]}


def calls_of(module, *inputs) -> list:
    """The leaf modules ``module(*inputs)`` runs (no gradients), in call order, each as :func:`_describe`."""
    torch = _torch()
    calls, hooks = [], []
    for m in module.modules():
        if not list(m.children()):
            hooks.append(m.register_forward_hook(lambda mod, args, out: calls.append(mod)))
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        for h in hooks:
            h.remove()
    return [_describe(m) for m in calls]


def layers_of(module) -> dict:
    """How many normalisation and dropout modules ``module`` holds (run or not)."""
    nn = _nn()
    mods = list(module.modules())
    return {"norm": sum(isinstance(m, _norm_layers()) for m in mods), "dropout": sum(isinstance(m, nn.Dropout) for m in mods)}


def linear_shapes(calls) -> list:
    """(in_features, out_features) of the nn.Linear calls of a :func:`calls_of` report."""
    return [(c["in"], c["out"]) for c in value(calls, "the network") if c.get("kind") == "Linear"]


def count_calls(calls, kind: str) -> int:
    return sum(c.get("kind") == kind for c in value(calls, "the network"))


def leaky_slopes(calls) -> list:
    return [c["slope"] for c in value(calls, "the network") if c.get("kind") == "LeakyReLU"]


def dropout_rates(calls) -> list:
    return [c["rate"] for c in value(calls, "the network") if c.get("kind") == "Dropout"]


def value(v, what: str = "the value"):
    """``v``, or fails the test saying the student's code raised (a value nested in the probe's data)."""
    return usable(what, v)


def _params(module) -> list:
    return [p.detach().clone() for p in module.parameters()]


def _grads(module) -> list:
    return [None if p.grad is None else p.grad.detach().clone() for p in module.parameters()]


# ------------------------------------------------------------------ stand-ins for testing update steps
def _tiny(n_classes=0):
    torch, nn, F = _torch(), _nn(), _torch().nn.functional

    class TinyGenerator(nn.Module):
        """z (N, 4) -> (N, 784) in (-1, 1)."""

        def __init__(self):
            super().__init__()
            self.latent_dim, self.n_classes = 4, n_classes
            self.fc = nn.Linear(4 + n_classes, 784)

        def forward(self, z, labels=None):
            if self.n_classes:
                z = torch.cat([z, F.one_hot(labels, self.n_classes).float()], dim=1)
            return torch.tanh(self.fc(z))

    class TinyDiscriminator(nn.Module):
        """(N, 784) -> logits (N, 1)."""

        def __init__(self):
            super().__init__()
            self.n_classes = n_classes
            self.fc = nn.Linear(784 + n_classes, 1)

        def forward(self, x, labels=None):
            x = x.reshape(len(x), -1)
            if self.n_classes:
                x = torch.cat([x, F.one_hot(labels, self.n_classes).float()], dim=1)
            return self.fc(x)

    return TinyGenerator(), TinyDiscriminator()


def _sgd(params, lr=0.1):
    return _torch().optim.SGD(params, lr=lr)


class _LoggingSGD:
    @staticmethod
    def make(params, tag, log, lr=0.01):
        torch = _torch()

        class LoggingSGD(torch.optim.SGD):
            def step(self, closure=None):
                log.append(tag)
                return super().step(closure)

        return LoggingSGD(params, lr=lr)


def _named(name: str):
    """Give a visible test the name it has in its cell (two cells' tests may share a name)."""
    def rename(fn):
        fn.__name__ = fn.__qualname__ = name
        return fn
    return rename


def _seeded(seed: int, salt: int) -> dict:
    return {"torch_seed": int((int(seed) * 7919 + salt) % 2**31)}


# ------------------------------------------------------------------ P1.1 the generator
# The networks are graded on the grader's seeded parameters: each tensor goes into the parameter of the student's
# network with its shape (unique in these MLPs), and the outputs on seeded inputs are compared with the kit's own
# network of the statement (dgmlab.artifacts.MLPGenerator, public: the grader loads handed-in weights into it).
def _param_shapes(in_dim, widths, out_dim, embedding=None):
    shapes, width_in = [], in_dim + (embedding[1] if embedding else 0)
    if embedding:
        shapes.append(tuple(embedding))
    for width in tuple(widths) + (out_dim,):
        shapes += [(width, width_in), (width,)]
        width_in = width
    return shapes


def _seeded_params(g, shapes):
    """One tensor per shape: weights (out, in) N(0, 2 / in), biases N(0, 0.1^2)."""
    torch = _torch()
    return [torch.randn(s, generator=g) * ((2.0 / s[1]) ** 0.5 if len(s) == 2 else 0.1) for s in shapes]


def load_by_shape(module, params, what):
    """``module`` with each tensor of ``params`` copied into its parameter of the same shape (else a ValueError
    naming what differs from the statement's network)."""
    torch = _torch()
    mine = list(module.parameters())
    want = sorted(tuple(p.shape) for p in params)
    got = sorted(tuple(p.shape) for p in mine)
    if got != want:
        raise ValueError(f"{what} has parameters of shapes {got}; the statement's network has {want}")
    by_shape = {tuple(p.shape): p for p in params}
    with torch.no_grad():
        for p in mine:
            p.copy_(by_shape[tuple(p.shape)])
    return module


def kit_generator(params, latent_dim=100, widths=(128, 256, 512), embedding=None):
    """The kit's own generator of the statement (``dgmlab.artifacts.MLPGenerator``) with ``params`` in it."""
    from .. import artifacts

    return load_by_shape(artifacts.MLPGenerator(latent_dim, widths, 784, embedding), params, "the kit's generator")


def kit_logits(params, x, widths=(512, 256, 128)):
    """The statement's discriminator in eval mode (dropout is the identity there): Linear + LeakyReLU(0.2) per
    hidden width, then Linear to one logit, computed with the kit's public MLP (its final tanh left out)."""
    from .. import artifacts

    net = load_by_shape(artifacts.MLPGenerator(784, widths, 1), params, "the kit's discriminator").net
    with _torch().no_grad():
        return net[:-1](x.reshape(x.shape[0], -1))


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
            "latent_dim_7": attempt(lambda: getattr(G(latent_dim=7), "latent_dim", None))}


def _generator_matches(out, want, what):
    torch = _torch()
    checks.assert_tensor(out, what, shape=tuple(want.shape), dtype=torch.float32)
    hint = ""
    if float(out.min()) >= 0 and float(want.min()) < 0:
        hint = ": no negative outputs, so is the last step a sigmoid? The statement asks for a tanh"
    elif float(out.abs().max()) > 1:
        hint = ": outputs beyond (-1, 1), so the last layer needs a tanh"
    assert torch.allclose(out, want, rtol=1e-4, atol=1e-5), \
        (f"{what} with the grader's parameters should give what the statement's network gives (Linear + "
         f"LeakyReLU(0.2) per hidden width, Linear, tanh; no normalisation, no dropout); it is off by up to "
         f"{float((out - want).abs().max()):.3g}{hint}")


@points(1.5)
def test_generator_is_the_statements_network(v):
    with _torch().no_grad():
        want = kit_generator(v.inputs.params)(v.inputs.z16)
    _generator_matches(v.out16, want, "Generator()(z)")


@points(1)
def test_latent_dim_and_widths_are_used(v):
    found = v.latent_dim_7
    assert found == 7, f"expected Generator(latent_dim=7).latent_dim == 7, found {found!r}: keep the argument as self.latent_dim"
    with _torch().no_grad():
        want = kit_generator(v.inputs.small_params, 8, (16, 32))(v.inputs.z4_8)
    _generator_matches(v.small_out, want, "Generator(latent_dim=8, widths=(16, 32))(z)")


@points(0.5)
def test_saturates_like_a_tanh(v):
    # the same network with every parameter 20x larger: the outputs reach -1 and 1 as a tanh's do
    with _torch().no_grad():
        want = kit_generator([p * 20 for p in v.inputs.params])(v.inputs.z16)
    _generator_matches(v.saturated, want, "Generator()(z) with 20x the grader's parameters")


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
            "half_dropout_train_out": attempt(run, x["params"], x["x32"], True, dropout=0.5)}


def _logits_match(out, want, what):
    torch = _torch()
    checks.assert_tensor(out, what, shape=tuple(want.shape), dtype=torch.float32)
    hint = ""
    if float(out.min()) >= 0 and float(want.min()) < 0:
        hint = (": no negative outputs, so a sigmoid squashes the logit at the end (the P1.3 loss would apply it a "
                "second time)")
    assert torch.allclose(out, want, rtol=1e-4, atol=1e-5), \
        (f"{what} with the grader's parameters should give the logits of the statement's network in eval mode "
         f"(Linear + LeakyReLU(0.2) + dropout per hidden width, then Linear to one logit, no sigmoid, no "
         f"normalisation); they are off by up to {float((out - want).abs().max()):.3g}{hint}")


@points(1.75)
def test_one_logit_per_image_for_both_input_shapes(v):
    want = kit_logits(v.inputs.params, v.inputs.images)
    _logits_match(v.flat_out, want, "Discriminator().eval()(x) for (N, 784)")
    try:
        out = v.image_out
    except TestFailure as exc:
        raise AssertionError(f"expected (N, 1, 28, 28) images to be accepted, found an error ({str(exc)[:120]}): "
                             "flatten x to (N, 784) in forward") from None
    _logits_match(out, want, "Discriminator().eval()(x) for (N, 1, 28, 28)")


@points(1)
def test_widths_argument_is_used(v):
    _logits_match(v.small_out, kit_logits(v.inputs.small_params, v.inputs.x4, (64, 32, 16, 8)),
                  "Discriminator(widths=(64, 32, 16, 8)).eval()(x)")


# ------------------------------------------------------------------ P1.3 the losses
def _losses_inputs(seed):
    g = _gen(seed, 13)
    return {"r5": _randn(g, 5, 1), "f5": _randn(g, 5, 1), "real": 3 * _uniform(g, 4, 1), "fake": 3 * _uniform(g, 4, 1),
            "r3": _randn(g, 3, 1), "f3": _randn(g, 3, 1)}


def _losses_probe(o, x):
    torch = _torch()
    DL, GL = o["discriminator_loss"], o["generator_loss"]
    big = torch.tensor([[30.0], [-30.0]])
    zero = torch.zeros(6, 1)

    def d_grads():
        r = torch.zeros(4, 1, requires_grad=True)
        f = torch.zeros(4, 1, requires_grad=True)
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
def test_scalar_tensors_that_keep_the_graph(v):
    checks.assert_tensor(v.d_graph, "discriminator_loss", shape=(), requires_grad=True)
    checks.assert_tensor(v.g_graph, "generator_loss", shape=(), requires_grad=True)


def _softplus(t: float) -> float:
    return math.log1p(math.exp(t))


@points(1)
def test_zero_logits_give_log_two_per_term(v):
    g, d = float(v.g_zero), float(v.d_zero)
    log2 = math.log(2)
    hint_g = {round(-log2, 4): ": that is -log 2, the saturating form log(1 - D(G(z))); use -log D(G(z))",
              round(_softplus(-0.5), 4): ": that is BCE of sigmoid(0) = 0.5 taken as a logit: "
                                         "the sigmoid is applied twice (pass logits, not probabilities)"}
    assert abs(g - log2) < 1e-5, \
        f"expected generator_loss(0) = log 2 = {log2:.4f}, found {g:.4f}" + hint_g.get(round(g, 4), "")
    hint_d = (": that is half the sum; the statement asks for mean BCE(real) + mean BCE(fake)" if abs(d - log2) < 1e-4
              else ": BCE(sigmoid(0) = 0.5 taken as a logit) twice: pass logits, not probabilities"
              if abs(d - 2 * _softplus(-0.5)) < 1e-4 else "")
    assert abs(d - 2 * log2) < 1e-5, \
        f"expected discriminator_loss(0, 0) = 2 log 2 = {2 * log2:.4f} (log 2 per term), found {d:.4f}{hint_d}"


# ------------------------------------------------------------------ P1.4 the update steps
def _step_inputs(salt):
    def make(seed):
        g = _gen(seed, salt)
        return {"real": _uniform(g, 8, 784), "z": _randn(g, 8, 4), **_seeded(seed, salt),
                # the stand-in networks' starting parameters for the graded step: the grader steps from the same
                "G0": [_randn(g, 784, 4) * 0.5, _randn(g, 784) * 0.1], "D0": [_randn(g, 1, 784) * 0.05, _randn(g, 1) * 0.1]}
    return make


def seeded_tiny(x, n_classes=0):
    """The stand-in networks with the seeded starting parameters ``x["G0"]``, ``x["D0"]`` (probe and grader alike)."""
    g, d = _tiny(n_classes)
    return load_by_shape(g, x["G0"], "the stand-in generator"), load_by_shape(d, x["D0"], "the stand-in discriminator")


def reference_sgd_step(x, player, loss_of, n_classes=0):
    """What one SGD step (lr 0.1) on ``loss_of(g, d)`` gives ``player``'s parameters from the seeded start: the
    grader's own step, with the loss its hidden test gives."""
    torch = _torch()
    g, d = seeded_tiny(x, n_classes)
    params = list((g if player == "G" else d).parameters())
    grads = torch.autograd.grad(loss_of(g, d), params)
    return [(p - 0.1 * gr).detach() for p, gr in zip(params, grads)]


def _after_one_step(take_step, player_of, loss_of, stale, x=None):
    """One step from fresh stand-in networks (the seeded start when ``x`` is given): the updated player's starting
    parameters, the gradient of the student's loss there (autograd on a copy), and the parameters after the
    student's step."""
    torch = _torch()
    g, d = _tiny() if x is None else seeded_tiny(x)
    nets = {"G": g, "D": d}
    ref = {"G": copy.deepcopy(g), "D": copy.deepcopy(d)}
    player = player_of
    grads = torch.autograd.grad(loss_of(ref["G"], ref["D"]), list(ref[player].parameters()))
    start = _params(ref[player])
    if stale:
        for p in nets[player].parameters():
            p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
    other = "D" if player == "G" else "G"
    other_before = _params(nets[other])
    take_step(g, d)
    return {"start": start, "grads": [gr.detach() for gr in grads], "after": _params(nets[player]),
            "other_before": other_before, "other_after": _params(nets[other])}


def _d_step_probe(o, x):
    torch = _torch()
    step, loss = o["discriminator_step"], o["discriminator_loss"]
    _seed_torch(x)
    real, z = x["real"], x["z"]

    def returned():
        g, d = _tiny()
        return step(g, d, _sgd(d.parameters()), real.clone(), z.clone())

    def this_batch():
        g, d = _tiny()
        with torch.no_grad():
            fake = g(z)
            want = float(loss(d(real), d(fake)))
            swapped = float(loss(d(fake), d(real)))
        got = step(g, d, _sgd(d.parameters()), real.clone(), z.clone())
        return {"want": want, "swapped": swapped, "got": got}

    def untouched():
        g, d = _tiny()
        before = _params(g)
        step(g, d, _sgd(d.parameters()), real.clone(), z.clone())
        return {"before": before, "after": _params(g), "grads": _grads(g)}

    def one_step(stale):
        def loss_of(g, d):
            with torch.no_grad():
                fake = g(z)
            return loss(d(real), d(fake))  # your P1.3 loss: graded there, not here
        return _after_one_step(lambda g, d: step(g, d, _sgd(d.parameters()), real.clone(), z.clone()), "D", loss_of, stale,
                               x)

    return {"returned": attempt(returned), "this_batch": attempt(this_batch), "untouched": attempt(untouched),
            "fresh_step": attempt(one_step, False), "stale_step": attempt(one_step, True)}


@points(0.25)
@_named('test_returns_a_float')
def test_d_step_returns_a_float(v):
    out = v.returned
    assert isinstance(out, float), \
        f"expected discriminator_step to return a Python float, found {type(out).__name__} (use loss.item())"


@points(0.5)
@_named('test_returns_the_loss_of_this_batch')
def test_d_step_returns_the_loss_of_this_batch(v):
    r = v.this_batch
    out, want, swapped = float(r["got"]), r["want"], r["swapped"]
    hint = ": that is the loss with real and fake swapped (reals go first)" if abs(out - swapped) < 1e-5 * (1 + abs(swapped)) else ""
    assert abs(out - want) < 1e-5 * (1 + abs(want)), \
        f"expected the discriminator loss of this batch before the update, {want:.5f}, found {out:.5f}{hint}"


@points(0.25)
@_named('test_generator_untouched')
def test_d_step_leaves_the_generator_untouched(v):
    torch, r = _torch(), v.untouched
    assert all(torch.equal(p, b) for p, b in zip(r["after"], r["before"])), \
        "expected the generator's parameters unchanged by the discriminator step, found them changed"
    leaked = [gr for gr in r["grads"] if gr is not None and gr.abs().sum() > 0]
    assert not leaked, \
        (f"expected no gradient in the generator after the discriminator step, found gradients in {len(leaked)} of its "
         "parameter tensors: make the fakes under torch.no_grad() or .detach() them")


def _g_step_probe(o, x):
    torch = _torch()
    step, loss = o["generator_step"], o["generator_loss"]
    _seed_torch(x)
    z = x["z"]

    def returned():
        g, d = _tiny()
        return step(g, d, _sgd(g.parameters()), z.clone())

    def moves():
        g, d = _tiny()
        before = _params(g)
        step(g, d, _sgd(g.parameters()), z.clone())
        return {"before": before, "after": _params(g)}

    def this_batch():
        g, d = _tiny()
        with torch.no_grad():
            logits = d(g(z))
            want = float(loss(logits))  # your P1.3 loss: graded there, not here
        got = step(g, d, _sgd(g.parameters()), z.clone())
        return {"want": want, "logits": logits, "got": got}

    def one_step(stale):
        return _after_one_step(lambda g, d: step(g, d, _sgd(g.parameters()), z.clone()), "G",
                               lambda g, d: loss(d(g(z))), stale, x)

    return {"returned": attempt(returned), "moves": attempt(moves), "this_batch": attempt(this_batch),
            "fresh_step": attempt(one_step, False), "stale_step": attempt(one_step, True)}


@points(0.25)
@_named('test_returns_a_float')
def test_g_step_returns_a_float(v):
    out = v.returned
    assert isinstance(out, float), \
        f"expected generator_step to return a Python float, found {type(out).__name__} (use loss.item())"


@points(0.25)
def test_moves_the_generator(v):
    torch, r = _torch(), v.moves
    assert any(not torch.equal(p, b) for p, b in zip(r["after"], r["before"])), \
        ("expected the generator's parameters to change after its step, found them unchanged: "
         "is the fake batch detached, so no gradient reaches the generator?")


@points(0.5)
def test_returns_the_non_saturating_loss_of_this_batch(v):
    torch, r = _torch(), v.this_batch
    out, want = float(r["got"]), r["want"]
    saturating = float(-torch.nn.functional.softplus(r["logits"]).mean())
    hint = (": that is the saturating loss log(1 - D(G(z))); the generator minimises -log D(G(z))"
            if abs(out - saturating) < 1e-5 * (1 + abs(saturating)) else "")
    assert abs(out - want) < 1e-5 * (1 + abs(want)), \
        f"expected the non-saturating generator loss of this batch before the update, {want:.5f}, found {out:.5f}{hint}"


# ------------------------------------------------------------------ P2.1 make_gan
def _make_gan_inputs(seed):
    g = _gen(seed, 21)
    return {"z2": _randn(g, 2, 100), "x2": _randn(g, 2, 784), **_seeded(seed, 21)}


def _make_gan_probe(o, x):
    nn, make_gan = _nn(), o["make_gan"]
    _seed_torch(x)

    def one(name):
        out = make_gan(name)
        info = {"triple": isinstance(out, tuple) and len(out) == 3, "type": type(out).__name__[:80]}
        if not info["triple"]:
            return info
        g, d, k = out
        info.update(g_module=isinstance(g, nn.Module), d_module=isinstance(d, nn.Module),
                    g_type=type(g).__name__[:80], d_type=type(d).__name__[:80], k=k if isinstance(k, int) else repr(k)[:80],
                    k_is_int=isinstance(k, int))
        if info["g_module"] and info["d_module"]:
            info["g_calls"] = attempt(calls_of, g, x["z2"].clone())
            info["d_calls"] = attempt(lambda: calls_of(d.eval(), x["x2"].clone()))
            info["norm"] = attempt(lambda: layers_of(g)["norm"] + layers_of(d)["norm"])
        return info

    def fresh():
        return make_gan("baseline")[0] is not make_gan("baseline")[0]

    def unknown():
        try:
            make_gan("no_such_experiment")
        except ValueError:
            return "raised ValueError"
        except Exception as exc:  # noqa: BLE001 - what the student's function raised
            return f"raised {type(exc).__name__}"[:120]
        return "returned"

    return {"experiments": {name: attempt(one, name) for name in EXPERIMENTS}, "fresh": attempt(fresh),
            "unknown": attempt(unknown)}


def experiment(experiments, name):
    """The probe's record of ``make_gan(name)``, or fails saying why there is none."""
    info = value(value(experiments, "make_gan")[name], f"make_gan({name!r})")
    assert info["triple"], f"expected make_gan({name!r}) to return (generator, discriminator, d_steps), found {info['type']}"
    return info


@points(0.25)
def test_returns_networks_and_an_int(v):
    for name in EXPERIMENTS:
        info = experiment(v.experiments, name)
        assert info["g_module"] and info["d_module"], \
            f"expected two nn.Modules first from make_gan({name!r}), found {info['g_type']}, {info['d_type']}"
        assert info["k_is_int"] and info["k"] >= 1, f"expected d_steps as a positive int from make_gan({name!r}), found {info['k']}"


@points(0.5)
def test_baseline_is_p1(v):
    info = experiment(v.experiments, "baseline")
    gs, ds, k = linear_shapes(info["g_calls"]), linear_shapes(info["d_calls"]), info["k"]
    assert gs == P1_G, f"expected the baseline generator's linear layers {P1_G} (P1), found {gs}"
    assert ds == P1_D, f"expected the baseline discriminator's linear layers {P1_D} (P1), found {ds}"
    assert k == 1, f"expected d_steps = 1 for the baseline (one D update per G update), found {k}"


# ------------------------------------------------------------------ P2.2 train_gan
RUNS = ((4, 1, 1), (3, 1, 1), (6, 2, 3), (6, 1, 2), (5, 2, 1), (10, 1, 10))


def _train_gan_inputs(seed):
    return _seeded(seed, 22)


def _loader(g, n_batches, shape=(6, 1, 28, 28)):
    torch = _torch()
    return [(_uniform(g, *shape), torch.zeros(shape[0], dtype=torch.long)) for _ in range(n_batches)]


def _train_gan_probe(o, x):
    torch, train_gan = _torch(), o["train_gan"]
    _seed_torch(x)
    data = _gen(x["torch_seed"], 1)

    def run(n_batches, epochs, d_steps):
        log = []
        g, d = _tiny()
        hist = train_gan(g, d, _LoggingSGD.make(g.parameters(), "G", log), _LoggingSGD.make(d.parameters(), "D", log),
                         _loader(data, n_batches), epochs, d_steps=d_steps, progress=False)
        return {"hist": hist, "log": "".join(log)}

    @contextlib.contextmanager
    def with_steps(record):
        """The notebook's discriminator_step/generator_step wrapped by ``record`` while train_gan runs."""
        ns = train_gan.__globals__
        d_step, g_step = ns["discriminator_step"], ns["generator_step"]
        ns["discriminator_step"], ns["generator_step"] = record(d_step, "D"), record(g_step, "G")
        try:
            yield
        finally:
            ns["discriminator_step"], ns["generator_step"] = d_step, g_step

    def noise_shapes():
        import inspect

        shapes = []

        def record(step, player):
            def recorded(*args, **kwargs):
                z = inspect.signature(step).bind(*args, **kwargs).arguments["z"]
                shapes.append([player, list(z.shape)])
                return step(*args, **kwargs)
            return recorded

        with with_steps(record):
            g, d = _tiny()  # latent_dim 4, batches of 6
            train_gan(g, d, _sgd(g.parameters(), 0.01), _sgd(d.parameters(), 0.01), _loader(data, 2), 1, d_steps=1,
                      progress=False)
        return shapes

    def devices():
        seen = []

        def record(step, player):
            def stand_in(*args, **kwargs):
                seen.extend([player, a.device.type] for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor))
                return 0.0
            return stand_in

        with with_steps(record):  # networks on PyTorch's "meta" device stand in for a GPU
            g, d = (m.to("meta") for m in _tiny())
            train_gan(g, d, _sgd(g.parameters(), 0.01), _sgd(d.parameters(), 0.01), _loader(data, 2), 1, d_steps=1,
                      progress=False)
        return seen

    def both_learn():
        log = []
        g, d = _tiny()
        g0, d0 = _params(g), _params(d)
        train_gan(g, d, _LoggingSGD.make(g.parameters(), "G", log), _LoggingSGD.make(d.parameters(), "D", log),
                  _loader(data, 2, (4, 784)), 1, d_steps=1, progress=False)
        return {"g_before": g0, "g_after": _params(g), "d_before": d0, "d_after": _params(d)}

    return {"runs": {"-".join(map(str, r)): attempt(run, *r) for r in RUNS}, "noise_shapes": attempt(noise_shapes),
            "devices": attempt(devices), "both_learn": attempt(both_learn)}


def run_of(runs, n_batches, epochs, d_steps):
    """The probe's record of train_gan on ``n_batches`` batches, ``epochs`` epochs, ``d_steps``: {hist, log}."""
    return value(value(runs, "train_gan")[f"{n_batches}-{epochs}-{d_steps}"], "train_gan")


@points(0.5)
def test_history_lists_per_update(v):
    r = run_of(v.runs, 4, 1, 1)
    hist = r["hist"]
    assert isinstance(hist, dict) and set(hist) >= {"d_loss", "g_loss"}, \
        f"expected train_gan to return a dict with keys d_loss and g_loss, found {type(hist).__name__}"
    n_d, n_g = len(hist["d_loss"]), len(hist["g_loss"])
    assert n_d == 4 and n_g == 4, \
        f"expected 4 discriminator and 4 generator losses for 4 batches with d_steps=1, found {n_d} and {n_g}"
    kinds = sorted({type(x).__name__ for x in hist["d_loss"] + hist["g_loss"]})
    assert kinds == ["float"], f"expected the losses as Python floats, found {kinds}"


@points(0.5)
def test_players_alternate_discriminator_first(v):
    order = run_of(v.runs, 3, 1, 1)["log"]
    hint = ": the generator moves first; each batch starts with the discriminator" if order.startswith("G") else ""
    assert order == "DG" * 3, \
        f"expected the optimizer steps DGDGDG for 3 batches with d_steps=1, found {order or 'none'}{hint}"


# ------------------------------------------------------------------ P3.1, P3.2 the conditional networks
# As in P1: the grader's seeded parameters placed by shape, outputs compared with the statement's network (the kit's
# public MLPGenerator with its embedding). The statement concatenates [z, e(y)] (and [x, e(y)]); a network that puts
# the embedding first is the same network with the first layer's columns in the other order, and is accepted.
def _cond_inputs(seed):
    g = _gen(seed, 31)
    return {"z12": _randn(g, 12, 100), "z1": _randn(g, 1, 100), "images": _uniform(g, 6, 1, 28, 28),
            "x1": _uniform(g, 1, 784), "x32": _randn(g, 32, 784),
            "g_params": _seeded_params(g, _param_shapes(100, (128, 256, 512), 784, (10, 10))),
            "d_params": _seeded_params(g, _param_shapes(784, (512, 256, 128), 1, (10, 10))),
            "dropout_seed": int(_uniform(g, 1)[0] * 1e6), **_seeded(seed, 31)}


def _first_columns_swapped(params, first, embed_dim=10):
    """The parameters that make the statement's network ([first, embedding] read by the first layer) compute what
    ``params`` compute in a network that reads [embedding, first]: the first layer's columns moved accordingly."""
    torch = _torch()
    out = []
    for p in params:
        if p.dim() == 2 and p.shape[1] == first + embed_dim and p.shape != (embed_dim, embed_dim):
            p = torch.cat([p[:, embed_dim:], p[:, :embed_dim]], dim=1)
        out.append(p)
    return out


def kit_conditional(params, inputs, labels, generator=True, widths=None):
    """The statement's conditional network (eval mode) on ``inputs`` with ``params``: generator images, or
    discriminator logits, for [inputs, e(labels)]."""
    from .. import artifacts

    torch = _torch()
    if generator:
        net = load_by_shape(artifacts.MLPGenerator(100, widths or (128, 256, 512), 784, (10, 10)), params, "the kit's network")
        with torch.no_grad():
            return net(inputs, labels)
    net = load_by_shape(artifacts.MLPGenerator(784, widths or (512, 256, 128), 1, (10, 10)), params, "the kit's network")
    with torch.no_grad():
        return net.net[:-1](torch.cat([inputs.reshape(inputs.shape[0], -1), net.embed(labels)], dim=1))


def matches_either_order(out, params, inputs, labels, generator=True):
    """Whether ``out`` is the statement's network's output with [inputs, e(y)] or with [e(y), inputs] read by the
    first layer (the same network, its columns in the other order)."""
    torch = _torch()
    first = inputs.reshape(inputs.shape[0], -1).shape[1]
    for ps in (params, _first_columns_swapped(params, first)):
        want = kit_conditional(ps, inputs, labels, generator)
        if isinstance(out, torch.Tensor) and out.shape == want.shape and torch.allclose(out, want, rtol=1e-4, atol=1e-5):
            return True
    return False


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
            "saturated": attempt(run, x["z12"], torch.arange(12) % 10, 20.0)}


def _cond_matches(out, params, inputs, labels, what, generator=True):
    torch = _torch()
    n = inputs.shape[0]
    checks.assert_tensor(out, what, shape=(n, 784) if generator else (n, 1), dtype=torch.float32)
    assert matches_either_order(out, params, inputs, labels, generator), \
        (f"{what} with the grader's parameters should give what the statement's network gives: "
         + ("[z, e(y)] with one nn.Embedding(10, 10), then P1's layers (LeakyReLU(0.2), tanh; no normalisation, no "
            "dropout)" if generator else
            "[x, e(y)] with one nn.Embedding(10, 10), then P1's layers (LeakyReLU(0.2), dropout, one raw logit)")
         + "; it does not (does the label feed the network? the widths, slopes and last layer as stated?)")


@points(1.5)
def test_conditional_generator_is_the_statements_network(v):
    _cond_matches(v.out12, v.inputs.g_params, v.inputs.z12, _torch().arange(12) % 10,
                  "ConditionalGenerator()(z, labels) in training mode")


@points(1)
def test_the_label_changes_the_image(v):
    # one z, the ten labels: each image as the statement's network draws it for that label
    _cond_matches(v.per_label, v.inputs.g_params, v.inputs.z1.repeat(10, 1), _torch().arange(10),
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
            "train_out": attempt(run, x["x32"], y32, True)}


@points(1.5)
def test_one_logit_per_image(v):
    torch = _torch()
    images = v.inputs.images
    _cond_matches(v.flat_out, v.inputs.d_params, images.reshape(6, 784), torch.arange(6),
                  "ConditionalDiscriminator().eval()(x, labels) for flattened x", generator=False)
    _cond_matches(v.image_out, v.inputs.d_params, images, torch.arange(6),
                  "ConditionalDiscriminator().eval()(x, labels) for (N, 1, 28, 28)", generator=False)


@points(1)
def test_the_label_changes_the_logit(v):
    _cond_matches(v.per_label, v.inputs.d_params, v.inputs.x1.repeat(10, 1), _torch().arange(10),
                  "ConditionalDiscriminator().eval()(x, labels) for one image and the ten labels", generator=False)


# ------------------------------------------------------------------ P3.3 the conditional steps
LABELS = (3, 1, 4, 1, 5, 9, 2, 6)
OTHER_LABELS = (0, 7, 7, 2, 8, 5, 1, 3)


def _cgan_inputs(seed):
    g = _gen(seed, 33)
    return {"real": _uniform(g, 8, 784), "z": _randn(g, 8, 4), "z_g": _randn(g, 8, 4), **_seeded(seed, 33),
            # the stand-in networks' seeded start for the graded steps (the grader steps from the same)
            "G0": [_randn(g, 784, 14) * 0.5, _randn(g, 784) * 0.1], "D0": [_randn(g, 1, 794) * 0.05, _randn(g, 1) * 0.1]}


def _cgan_probe(o, x):
    torch = _torch()
    d_step, g_step = o["cgan_discriminator_step"], o["cgan_generator_step"]
    d_loss, g_loss = o["discriminator_loss"], o["generator_loss"]
    _seed_torch(x)
    real, z, y = x["real"], x["z"], torch.tensor(LABELS)

    def returned():
        g, d = _tiny(10)
        a = attempt(d_step, g, d, _sgd(d.parameters()), real.clone(), y.clone(), z.clone())
        b = attempt(g_step, g, d, _sgd(g.parameters()), z.clone(), y.clone())
        return {"d": a, "g": b}

    def d_batch():
        g, d = _tiny(10)
        with torch.no_grad():
            want = float(d_loss(d(real, y), d(g(z, y), y)))
        return {"want": want, "got": d_step(g, d, _sgd(d.parameters()), real.clone(), y.clone(), z.clone())}

    def g_batch():
        g, d = _tiny(10)
        with torch.no_grad():
            want = float(g_loss(d(g(z, y), y)))
        return {"want": want, "got": g_step(g, d, _sgd(g.parameters()), z.clone(), y.clone())}

    def d_one_step(stale):
        g, d = seeded_tiny(x, 10)
        ref = copy.deepcopy(d)
        with torch.no_grad():
            fake = g(z, y)
        grads = torch.autograd.grad(d_loss(ref(real, y), ref(fake, y)), list(ref.parameters()))  # your P1.3 loss
        start, g_before = _params(ref), _params(g)
        if stale:
            for p in d.parameters():
                p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
        d_step(g, d, _sgd(d.parameters()), real.clone(), y.clone(), z.clone())
        return {"start": start, "grads": [gr.detach() for gr in grads], "after": _params(d), "other_before": g_before,
                "other_after": _params(g)}

    def g_one_step(stale):
        g, d = seeded_tiny(x, 10)
        y2, z2 = torch.tensor(OTHER_LABELS), x["z_g"]
        ref_g, ref_d = copy.deepcopy(g), copy.deepcopy(d)
        grads = torch.autograd.grad(g_loss(ref_d(ref_g(z2, y2), y2)), list(ref_g.parameters()))  # your P1.3 loss
        start, d_before = _params(ref_g), _params(d)
        if stale:
            for p in g.parameters():
                p.grad = torch.ones_like(p)
        g_step(g, d, _sgd(g.parameters()), z2.clone(), y2.clone())
        return {"start": start, "grads": [gr.detach() for gr in grads], "after": _params(g), "other_before": d_before,
                "other_after": _params(d)}

    return {"returned": attempt(returned), "d_batch": attempt(d_batch), "g_batch": attempt(g_batch),
            "d_fresh": attempt(d_one_step, False), "d_stale": attempt(d_one_step, True),
            "g_fresh": attempt(g_one_step, False), "g_stale": attempt(g_one_step, True)}


@points(0.5)
def test_return_floats(v):
    r = v.returned
    a, b = r["d"], r["g"]
    assert isinstance(a, float) and isinstance(b, float), \
        f"expected both steps to return Python floats, found {type(a).__name__} and {type(b).__name__} (use loss.item())"


@points(0.5)
def test_discriminator_loss_uses_the_batch_labels(v):
    r = v.d_batch
    out, want = float(r["got"]), r["want"]
    assert abs(out - want) < 1e-5 * (1 + abs(want)), \
        (f"expected the conditional discriminator loss of this batch before the update, {want:.5f}, found {out:.5f}: "
         "fakes are generated for the batch's labels and judged with those same labels")


@points(0.5)
def test_generator_loss_uses_the_requested_labels(v):
    r = v.g_batch
    out, want = float(r["got"]), r["want"]
    assert abs(out - want) < 1e-5 * (1 + abs(want)), \
        (f"expected the conditional generator loss of this batch before the update, {want:.5f}, found {out:.5f}: "
         "the generator draws digits for the given labels and is judged with the same labels")


def stepped(record):
    """``[(parameter after the step, what one SGD step of lr 0.1 on the student's loss gives)]`` of a step record."""
    r = value(record, "the step")
    return [(p, p0 - 0.1 * gr) for p, p0, gr in zip(r["after"], r["start"], r["grads"])]


def untouched(record) -> bool:
    torch, r = _torch(), value(record, "the step")
    return all(torch.equal(p, b) for p, b in zip(r["other_after"], r["other_before"]))


# ------------------------------------------------------------------ P4
def symbols() -> dict:
    """The notebook's locked cell p4_symbols."""
    import sympy as sp

    p_data, p_g, d = sp.symbols("p_data p_g d", positive=True)
    return {"p_data": p_data, "p_g": p_g, "d": d, "pi_real": sp.symbols("pi_real", positive=True)}


def test_expressions_and_symbols(v):
    s = symbols()
    checks.assert_sympy_expr(v.V_point, "V_point", symbols=[s["p_data"], s["p_g"], s["d"]])
    checks.assert_sympy_expr(v.D_star, "D_star", symbols=[s["p_data"], s["p_g"]])
    checks.assert_sympy_expr(v.second_derivative, "second_derivative", symbols=[s["p_data"], s["p_g"]])
    checks.assert_sympy_expr(v.D_star_pi, "D_star_pi", symbols=[s["p_data"], s["p_g"], s["pi_real"]])
    assert s["pi_real"] in v.D_star_pi.free_symbols, \
        f"expected D_star_pi to depend on pi_real (the share of real images), found {v.D_star_pi}"


def test_D_star_is_a_stationary_point_of_V_point(v):
    import sympy as sp

    d = symbols()["d"]
    slope = sp.simplify(sp.diff(v.V_point, d).subs(d, v.D_star))
    assert slope == 0, \
        (f"expected dV_point/dd = 0 at d = D_star, found {slope}: solve sp.diff(V_point, d) = 0 for d "
         "(a sign slip in the derivative swaps p_data and p_g)")


def test_D_star_pi_tends_to_one_when_every_image_is_real(v):
    import sympy as sp

    pi_real = symbols()["pi_real"]
    limit = sp.simplify(sp.limit(v.D_star_pi, pi_real, 1))
    assert limit == 1, \
        (f"expected D_star_pi -> 1 as pi_real -> 1 (a discriminator that only sees real images calls everything "
         f"real), found {limit}: pi_real weighs the p_data term, 1 - pi_real the p_g term")


for _f in (test_expressions_and_symbols, test_D_star_is_a_stationary_point_of_V_point,
           test_D_star_pi_tends_to_one_when_every_image_is_real):
    points(0.5)(_f)


def _p4b_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 4)
    pairs = [(rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))) for k in (2, 5, 50)]
    pairs += [(np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.2, 0.3, 0.5])),  # zeros on both sides
              (np.array([1.0, 0.0]), np.array([0.0, 1.0]))]                      # disjoint supports
    apart = [(p, [rng.dirichlet(np.ones(k)) for _ in range(5)]) for k in (3, 10) for p in [rng.dirichlet(np.ones(k))]]
    return {"pairs": pairs, "apart": apart}


def _p4b_probe(o, x):
    import numpy as np

    vc, js = o["virtual_criterion"], o["js_divergence"]
    p4 = np.array([0.1, 0.2, 0.3, 0.4])
    return {"C_point": o["C_point"],
            "types": attempt(lambda: {"vc": attempt(vc, np.array([0.5, 0.5]), np.array([0.25, 0.75])),
                                      "js": attempt(js, np.array([0.5, 0.5]), np.array([0.25, 0.75]))}),
            "js_equal": attempt(js, p4.copy(), p4.copy()),
            "vc_equal": attempt(vc, p4.copy(), p4.copy()),
            "js_disjoint": attempt(js, np.array([1.0, 0.0]), np.array([0.0, 1.0])),
            "js_on_pairs": attempt(lambda: [[js(p.copy(), q.copy()), js(q.copy(), p.copy())] for p, q in x["pairs"]]),
            "vc_on_pairs": attempt(lambda: [vc(p.copy(), q.copy()) for p, q in x["pairs"]]),
            "vc_apart": attempt(lambda: [[vc(p.copy(), p.copy()), [vc(p.copy(), q.copy()) for q in qs]]
                                         for p, qs in x["apart"]])}


@points(0.5)
def test_types(v):
    s = symbols()
    checks.assert_sympy_expr(v.C_point, "C_point", symbols=[s["p_data"], s["p_g"]])
    vc, js = (usable(n, v.types[k]) for n, k in (("virtual_criterion", "vc"), ("js_divergence", "js")))
    assert isinstance(vc, float), f"expected virtual_criterion to return a Python float, found {type(vc).__name__}"
    assert isinstance(js, float), f"expected js_divergence to return a Python float, found {type(js).__name__}"


@points(0.5)
def test_equal_distributions(v):
    checks.assert_close(v.js_equal, 0.0, atol=1e-12, name="js_divergence(p, p)", reveal=True)
    checks.assert_close(v.vc_equal, -math.log(4), atol=1e-12,
                        name="virtual_criterion(p, p), which the statement says is -log 4,", reveal=True)


@points(0.5)
def test_disjoint_supports_give_log_two(v):
    import numpy as np

    js = float(v.js_disjoint)
    hints = {round(1.0, 4): ": that is 1 bit; give the divergence in nats (natural logarithms)",
             round(2 * np.log(2), 4): ": that is twice log 2: the two KL terms each need their weight 1/2"}
    found = f"{js:.4f}" if np.isfinite(js) else f"{js} (0 log 0 must count as 0: scipy.special.xlogy)"
    assert np.isfinite(js) and abs(js - np.log(2)) < 1e-9, \
        (f"expected js_divergence of two distributions on disjoint supports to be log 2 = {np.log(2):.4f} nats, "
         f"found {found}" + (hints.get(round(js, 4), "") if np.isfinite(js) else ""))


# ------------------------------------------------------------------ P5
def _instances_primal(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 11)
    out = []
    for k1, k2 in [(3, 3), (4, 7), (8, 5), (1, 4)]:
        v, w = rng.dirichlet(np.ones(k1)), rng.dirichlet(np.ones(k2))
        C = np.abs(rng.normal(size=(k1, 1)) - rng.normal(size=(1, k2))) + rng.uniform(0, 0.5, (k1, k2))
        out.append((v, w, C))
    return {"instances": out}


def _instances_dual(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 23)
    out = []
    for k1, k2 in [(3, 3), (5, 2), (6, 9), (2, 1)]:
        v, w = rng.dirichlet(np.ones(k1)), rng.dirichlet(np.ones(k2))
        a, b = rng.normal(size=(k1, 2)), rng.normal(size=(k2, 2))
        out.append((v, w, np.linalg.norm(a[:, None] - b[None], axis=-1)))
    return {"instances": out}


def _copies(*arrays):
    return [a.copy() for a in arrays]


def _primal_probe(o, x):
    import numpy as np

    ot_primal = o["ot_primal"]
    half = np.array([0.5, 0.5])
    return {"small": attempt(lambda: list(ot_primal(half.copy(), half.copy(), np.array([[0.0, 1.0], [1.0, 0.0]])))),
            "instances": attempt(lambda: [list(ot_primal(*_copies(*inst))) for inst in x["instances"]])}


def _optimum(v, w, C):
    """The optimal transport cost, by the grader's own route: POT's network simplex (``checks.discrete_w1``), not
    the linear program the statement asks for."""
    return checks.discrete_w1(v, w, C)


def _primal_hint(v):
    """Why a primal that is not optimal may be wrong, read off the fixed 2x2 example (a hint, never the points)."""
    try:
        value_ = float(v.small[0])
    except Exception:
        return ""
    if abs(value_ - 1) < 1e-6:
        return ": on identical two-point marginals with zero cost on the diagonal it gives 1, the most expensive plan; linprog minimises, so pass the costs themselves"
    return ""


@points(3)
def test_plan_is_an_optimal_coupling(v):
    import numpy as np

    # on the grader's seeded instances: a coupling of v and w whose cost sum C * T is the optimum, computed here
    for (vv, w, C), (_, T) in zip(v.inputs.instances, v.instances):
        name = f"the {len(vv)}x{len(w)} plan"
        checks.assert_coupling(T, vv, w, atol=1e-8, name=name)
        cost, best = float(np.sum(C * np.asarray(T, float))), _optimum(vv, w, C)
        assert abs(cost - best) <= 1e-7, \
            (f"{name} is a coupling, but its cost sum C*T = {cost:.6f} is above the optimum {best:.6f}: "
             f"a feasible plan is not enough, solve the linear program{_primal_hint(v)}")


@points(1.5)
def test_value_is_the_optimum(v):
    for (vv, w, C), (value_, _) in zip(v.inputs.instances, v.instances):
        assert isinstance(value_, float), f"expected ot_primal to return the value as a float, found {type(value_).__name__}"
        checks.assert_close(value_, _optimum(vv, w, C), atol=1e-7,
                            name=f"the OT value ({len(vv)}x{len(w)}){_primal_hint(v)}")


def _dual_probe(o, x):
    import numpy as np

    ot_dual = o["ot_dual"]
    half = np.array([0.5, 0.5])
    return {"shapes": attempt(lambda: list(ot_dual(np.array([0.2, 0.8]), np.array([0.1, 0.3, 0.6]),
                                                   np.arange(6.0).reshape(2, 3)))),
            "small": attempt(lambda: list(ot_dual(half.copy(), half.copy(), np.array([[1.0, 3.0], [2.0, 1.0]])))),
            "instances": attempt(lambda: [list(ot_dual(*_copies(*inst))) for inst in x["instances"]])}


def _dual_hint(v):
    """Hints read off the fixed examples (never the points)."""
    try:
        value_ = float(v.small[0])
    except Exception:
        return ""
    hints = {-1.0: ": the sign is flipped; linprog minimises, so minimise minus the objective and negate the result",
             2.5: ": that is the cost of the most expensive plan; the constraints are phi_i + psi_j <= c_ij"}
    return hints.get(round(value_, 6), "")


@points(2.5)
def test_potentials_are_optimal(v):
    import numpy as np

    # on the grader's seeded instances: feasible potentials whose objective v.phi + w.psi, computed here from
    # them, reaches the optimal transport cost the grader computes by another route (strong duality)
    for (vv, w, C), (_, phi, psi) in zip(v.inputs.instances, v.instances):
        k1, k2 = C.shape
        assert np.shape(phi) == (k1,) and np.shape(psi) == (k2,), \
            f"expected phi with k1 = {k1} entries and psi with k2 = {k2}, found shapes {np.shape(phi)} and {np.shape(psi)}"
        phi, psi = np.asarray(phi, float), np.asarray(psi, float)
        slack = C - phi[:, None] - psi[None, :]
        assert slack.min() > -1e-8, "the potentials violate a dual constraint phi_i + psi_j <= c_ij"
        objective, best = float(vv @ phi + w @ psi), _optimum(vv, w, C)
        assert abs(objective - best) <= 1e-7, \
            (f"the {k1}x{k2} potentials are feasible, but their objective v.phi + w.psi = {objective:.6f} is below "
             f"the optimal transport cost {best:.6f}: feasible potentials are not enough, maximise{_dual_hint(v)}")


@points(1)
def test_dual_value_is_the_optimum(v):
    for (vv, w, C), (value_, _, _) in zip(v.inputs.instances, v.instances):
        assert isinstance(value_, float), f"expected ot_dual to return the value as a float, found {type(value_).__name__}"
        checks.assert_close(value_, _optimum(vv, w, C), atol=1e-7,
                            name=f"the dual value ({len(vv)}x{len(w)}){_dual_hint(v)}")


# ------------------------------------------------------------------ P0
P0_NAMES = ("Generator", "Discriminator", "discriminator_loss", "generator_loss", "discriminator_step",
            "generator_step", "make_gan", "train_gan", "ConditionalGenerator", "ConditionalDiscriminator",
            "cgan_discriminator_step", "cgan_generator_step", "V_point", "D_star", "second_derivative", "D_star_pi",
            "C_point", "virtual_criterion", "js_divergence", "ot_primal", "ot_dual")


def _p0_inputs(seed):
    return _seeded(seed, 40)


def _p0_probe(o, x):
    import numpy as np

    torch = _torch()
    _seed_torch(x)

    def pieces():
        with torch.no_grad():
            img = o["Generator"]()(torch.randn(2, 100))
            o["Discriminator"]().eval()(img)
            cond = o["ConditionalGenerator"]()(torch.randn(2, 100), torch.arange(2))
            o["ConditionalDiscriminator"]().eval()(cond, torch.arange(2))
        for name in EXPERIMENTS:
            o["make_gan"](name)
        p = np.array([0.5, 0.5])
        float(o["virtual_criterion"](p, p))
        float(o["js_divergence"](p, p))
        o["ot_primal"](p, p, np.eye(2))
        o["ot_dual"](p, p, np.eye(2))
        return True

    return {"defined": len(o), "pieces": attempt(pieces)}


@points(0.25)
def test_everything_is_defined(v):
    assert v.defined == len(P0_NAMES), \
        f"expected every answer defined, found {v.defined} of {len(P0_NAMES)} (run every cell in order)"


# ------------------------------------------------------------------ graded from handed-in weights (in the grader)
def _absent_in_fast_mode(v, name) -> bool:
    from .. import runtime

    # fast mode (CI's smoke run) writes only a throw-away copy under artifacts/: nothing to grade here
    return runtime.mode() == "fast" and name not in v.files


def graded_generator(files, seed_of, name, *, made_by, conditional=False):
    """``(the kit's own generator with the handed-in weights ``name`` in it, the draw's seed)``, read by the grader
    from the file as handed in; else an :class:`dgmlab.artifacts.ArtifactError` saying why it earns 0."""
    import io

    from .. import artifacts

    torch = _torch()
    if name not in files:
        raise artifacts.ArtifactError(
            f"no {name} in the homework folder, so this test earns 0 points: train in full mode, run {made_by} "
            f"(it writes {name}) and submit {name} together with the notebook")
    data = files[name]
    if len(data) > MAX_WEIGHTS_BYTES:
        raise artifacts.ArtifactError(f"{name} is {len(data):,} bytes, more than the {MAX_WEIGHTS_BYTES:,} a file of "
                                      f"this kind can be; submit the file {made_by} writes, unchanged")
    seed = seed_of(name)  # 0 while you work; under dgmlab autograde, the autograder's own for this file
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file, or one holding objects other than tensors
        why = (str(exc).splitlines() or [""])[0][:160] or type(exc).__name__
        raise artifacts.ArtifactError(f"{name} could not be read with torch.load(weights_only=True) (save tensors "
                                      f"with torch.save, as {made_by} does): {why}") from None
    generator = artifacts.mlp_generator(
        state, in_dim=100, widths=(128, 256, 512), embedding=(10, 10) if conditional else None,
        name=f"the weights in {name}",
        spec=("P3's conditional generator ([z, embedding] 110 -> 128 -> 256 -> 512 -> 784)" if conditional
              else "P1's generator (100 -> 128 -> 256 -> 512 -> 784)"))
    return generator, seed


def graded_draw(files, seed_of, name, *, made_by, labels=None):
    """The 100 images the grader draws from the handed-in weights ``name`` with the kit's own generator (P1's, or
    P3's conditional one when ``labels`` are given) and their near-copy report, once the file passes every check
    but the bar (else an :class:`dgmlab.artifacts.ArtifactError` saying why it earns 0)."""
    from .. import artifacts

    torch = _torch()
    conditional = labels is not None
    generator, seed = graded_generator(files, seed_of, name, made_by=made_by, conditional=conditional)
    z = torch.randn(100, 100, generator=torch.Generator().manual_seed(seed))  # (100, 100)
    with torch.no_grad():
        out = generator(z, labels) if conditional else generator(z)
    x = artifacts.samples(out, name=f"the images drawn from {name}")
    return x, artifacts.require_new(x)


DASHBOARD_DRAW = "graded_draw_100.pt"  # the class dashboard shows it (dgmlab.grading.analysis.ARTIFACTS)


def keep_graded_draw(files, seed_of, keep) -> None:
    """Leave the grader's draw of 100 images from the handed-in baseline weights (the graded draw, copies or not)
    for the class dashboard through the judge's ``keep(name, bytes)``; nothing where the judge offers no ``keep``
    or the file cannot be drawn from (the cell's tests say why). Never raises: it decides no points."""
    import io

    if keep is None:
        return
    try:
        from .. import artifacts

        torch = _torch()
        generator, seed = graded_generator(files, seed_of, BASELINE_FILE, made_by="the training cell of the P1 baseline")
        with torch.no_grad():
            x = artifacts.samples(generator(torch.randn(100, 100, generator=torch.Generator().manual_seed(seed))),
                                  name=f"the images drawn from {BASELINE_FILE}")
        buf = io.BytesIO()
        torch.save(x.clone(), buf)
        keep(DASHBOARD_DRAW, buf.getvalue())
    except Exception:  # noqa: BLE001 - an unusable file is the tests' business, not the dashboard's
        return


MEASURE_N = 2000  # images the grader draws to measure a handed-in generator's results (scored in splits of 500)


def measured_results(files, seed_of) -> dict:
    """What the grader measures from the two handed-in generators, as the notebook's runners record it in
    ``hw4_results.json``: the baseline's MNIST classifier score (splits of 500 images, as 5,000 in 10 splits) and
    the conditional GAN's conditional accuracy (the same number of images per digit)."""
    from .. import metrics

    torch = _torch()
    out = {}
    generator, seed = graded_generator(files, seed_of, BASELINE_FILE, made_by="the training cell of the P1 baseline")
    with torch.no_grad():
        x = generator(torch.randn(MEASURE_N, 100, generator=torch.Generator().manual_seed(seed)))
    out["baseline"] = float(metrics.mnist_score(x, splits=MEASURE_N // 500, scale="[-1,1]")[0])
    generator, seed = graded_generator(files, seed_of, CGAN_FILE, made_by="the training cell of the conditional GAN",
                                       conditional=True)
    y = torch.arange(10).repeat_interleave(MEASURE_N // 10)
    with torch.no_grad():
        x = generator(torch.randn(MEASURE_N, 100, generator=torch.Generator().manual_seed(seed)), y)
    out["cgan"] = int((metrics.mnist_predict(x, scale="[-1,1]") == y).sum()) / len(y)
    return out


# The file points' loose bars (red team F2: an untrained generator's 100 new images earned the point): far below the
# graded bars (7.5, 95%), far above an untrained generator (score 1.0, accuracy 10%); the reference run after 5 of 50
# epochs reaches 4.78 and 79%.
FILE_POINT_SCORE, FILE_POINT_ACCURACY = 3.0, 0.5


@points(1)
def test_saved_generator_draws_100_new_images(v):
    from .. import metrics

    if _absent_in_fast_mode(v, BASELINE_FILE):
        print(f"no {BASELINE_FILE} yet (the full training run writes it), so nothing is graded here")
        return
    x, report = graded_draw(v.files, v.seed_of, BASELINE_FILE, made_by="the training cell of the P1 baseline")
    print("near-copy check:", report.summary())
    score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
    assert score >= FILE_POINT_SCORE, \
        (f"the 100 new images score {score:.2f} on the MNIST classifier, below {FILE_POINT_SCORE:g} (an untrained "
         f"generator scores 1.0): hand in the weights your full training run writes")


@points(2)
def test_mnist_classifier_score_above_the_bar(v):
    from .. import metrics

    if _absent_in_fast_mode(v, BASELINE_FILE):
        return
    # weights that fail the checks above earn nothing here either
    x, _ = graded_draw(v.files, v.seed_of, BASELINE_FILE, made_by="the training cell of the P1 baseline")
    score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
    classes = metrics.mnist_predict(x, scale="[-1,1]").unique().numel()
    print(f"MNIST classifier score of the 100 samples: {score:.2f} (bar 7.5), digits recognised: {classes} (need 9)")
    assert score >= 7.5, \
        (f"expected an MNIST classifier score of at least 7.5, found {score:.2f}: below the bar "
         "(a full 50-epoch run clears it; a run stopped early may not)")
    assert classes >= 9, \
        (f"expected at least 9 of the 10 digit classes among the samples, found {classes}: "
         "the generator covers too few digits (mode collapse)")


def _cgan_labels():
    return _torch().arange(10).repeat_interleave(10)  # (100,): 0 x10, 1 x10, ..., 9 x10


@points(1)
def test_saved_generator_draws_100_new_labelled_images(v):
    from .. import metrics

    if _absent_in_fast_mode(v, CGAN_FILE):
        print(f"no {CGAN_FILE} yet (the full training run writes it), so nothing is graded here")
        return
    y = _cgan_labels()
    x, report = graded_draw(v.files, v.seed_of, CGAN_FILE, made_by="the training cell of the conditional GAN", labels=y)
    print("near-copy check:", report.summary())
    correct = int((metrics.mnist_predict(x, scale="[-1,1]") == y).sum())
    assert correct >= FILE_POINT_ACCURACY * len(y), \
        (f"{correct} of the 100 new images show the digit they were drawn for, fewer than "
         f"{FILE_POINT_ACCURACY:.0%} (an untrained generator: about 10%): hand in the weights your full training run "
         f"writes, trained with [z, e(y)], noise first")


@points(2)
def test_conditional_accuracy_above_the_bar(v):
    from .. import metrics

    if _absent_in_fast_mode(v, CGAN_FILE):
        return
    y = _cgan_labels()
    x, _ = graded_draw(v.files, v.seed_of, CGAN_FILE, made_by="the training cell of the conditional GAN", labels=y)
    # a count over 100, exact: a float32 mean would read 89 of 100 as 0.8899999, below a bar of 0.89
    accuracy = int((metrics.mnist_predict(x, scale="[-1,1]") == y).sum()) / len(y)
    print(f"conditional accuracy of the 100 samples: {accuracy:.0%} (bar 95%)")
    assert accuracy >= 0.95, \
        (f"expected a conditional accuracy of at least 95%, found {accuracy:.0%}: below the bar "
         "(a full 50-epoch run clears it, a run stopped early may not; and the grader feeds [z, e(y)], noise "
         "first, as specified)")


# ------------------------------------------------------------------ the hidden tests' names
def context() -> dict:
    import json

    import numpy as np
    import sympy as sp
    import torch
    from scipy.special import xlogy

    return {**symbols(), "torch": torch, "nn": torch.nn, "F": torch.nn.functional, "np": np, "sp": sp, "math": math,
            "json": json, "xlogy": xlogy, "checks": checks, "EXPERIMENTS": EXPERIMENTS, "P1_G": P1_G, "P1_D": P1_D,
            "FULL_EPOCHS": FULL_EPOCHS, "RESULTS_FILE": RESULTS_FILE, "linear_shapes": linear_shapes,
            "count_calls": count_calls, "leaky_slopes": leaky_slopes, "dropout_rates": dropout_rates, "value": value,
            "experiment": experiment, "run_of": run_of, "stepped": stepped, "untouched": untouched,
            "BASELINE_FILE": BASELINE_FILE, "CGAN_FILE": CGAN_FILE, "measured_results": measured_results,
            "keep_graded_draw": keep_graded_draw,
            "MEASURE_N": MEASURE_N, "kit_generator": kit_generator, "load_by_shape": load_by_shape,
            "matches_either_order": matches_either_order, "kit_conditional": kit_conditional,
            "reference_sgd_step": reference_sgd_step, "CGAN_LABELS": LABELS, "CGAN_OTHER_LABELS": OTHER_LABELS}


CHECKS = [
    CheckSpec("p1_generator_tests", 5, 2, ("Generator",),
              visible=(test_generator_is_the_statements_network, test_latent_dim_and_widths_are_used,
                       test_saturates_like_a_tanh),
              probe=_generator_probe, inputs=_generator_inputs),
    CheckSpec("p1_discriminator_tests", 5, 2.25, ("Discriminator",),
              visible=(test_one_logit_per_image_for_both_input_shapes, test_widths_argument_is_used),
              probe=_discriminator_probe, inputs=_discriminator_inputs),
    CheckSpec("p1_losses_tests", 4, 2.5, ("discriminator_loss", "generator_loss"),
              visible=(test_scalar_tensors_that_keep_the_graph, test_zero_logits_give_log_two_per_term),
              probe=_losses_probe, inputs=_losses_inputs),
    CheckSpec("p1_d_step_tests", 3, 2, ("discriminator_step", "discriminator_loss"),
              visible=(test_d_step_returns_a_float, test_d_step_returns_the_loss_of_this_batch,
                       test_d_step_leaves_the_generator_untouched),
              probe=_d_step_probe, inputs=_step_inputs(14)),
    CheckSpec("p1_g_step_tests", 3, 2, ("generator_step", "generator_loss"),
              visible=(test_g_step_returns_a_float, test_moves_the_generator,
                       test_returns_the_non_saturating_loss_of_this_batch),
              probe=_g_step_probe, inputs=_step_inputs(15)),
    CheckSpec("p2_make_gan_tests", 3, 2.25, ("make_gan",), visible=(test_returns_networks_and_an_int, test_baseline_is_p1),
              probe=_make_gan_probe, inputs=_make_gan_inputs),
    CheckSpec("p2_train_gan_tests", 3, 2, ("train_gan",),
              visible=(test_history_lists_per_update, test_players_alternate_discriminator_first),
              probe=_train_gan_probe, inputs=_train_gan_inputs),
    CheckSpec("p2_baseline_samples_tests", 3, 0, (),
              visible=(test_saved_generator_draws_100_new_images, test_mnist_classifier_score_above_the_bar),
              files=(BASELINE_FILE,)),
    CheckSpec("p3_cond_generator_tests", 4, 1.5, ("ConditionalGenerator",),
              visible=(test_conditional_generator_is_the_statements_network, test_the_label_changes_the_image),
              probe=_cond_generator_probe, inputs=_cond_inputs),
    CheckSpec("p3_cond_discriminator_tests", 4, 1.5, ("ConditionalDiscriminator",),
              visible=(test_one_logit_per_image, test_the_label_changes_the_logit),
              probe=_cond_discriminator_probe, inputs=_cond_inputs),
    CheckSpec("p3_cgan_steps_tests", 4, 2.5,
              ("cgan_discriminator_step", "cgan_generator_step", "discriminator_loss", "generator_loss"),
              visible=(test_return_floats, test_discriminator_loss_uses_the_batch_labels,
                       test_generator_loss_uses_the_requested_labels),
              probe=_cgan_probe, inputs=_cgan_inputs),
    CheckSpec("p3_cgan_samples_tests", 3, 0, (),
              visible=(test_saved_generator_draws_100_new_labelled_images, test_conditional_accuracy_above_the_bar),
              files=(CGAN_FILE,)),
    CheckSpec("p4a_tests", 5, 3.5, ("V_point", "D_star", "second_derivative", "D_star_pi"),
              visible=(test_expressions_and_symbols, test_D_star_is_a_stationary_point_of_V_point,
                       test_D_star_pi_tends_to_one_when_every_image_is_real)),
    CheckSpec("p4b_tests", 5, 3.5, ("C_point", "virtual_criterion", "js_divergence"),
              visible=(test_types, test_equal_distributions, test_disjoint_supports_give_log_two),
              probe=_p4b_probe, inputs=_p4b_inputs),
    CheckSpec("p5_ot_primal_tests", 7, 2.5, ("ot_primal",),
              visible=(test_plan_is_an_optimal_coupling, test_value_is_the_optimum),
              probe=_primal_probe, inputs=_instances_primal),
    CheckSpec("p5_ot_dual_tests", 7, 3.5, ("ot_dual",),
              visible=(test_potentials_are_optimal, test_dual_value_is_the_optimum),
              probe=_dual_probe, inputs=_instances_dual),
    CheckSpec("p0_tests", 1, 0.75, P0_NAMES, visible=(test_everything_is_defined,), probe=_p0_probe,
              inputs=_p0_inputs, files=(RESULTS_FILE, BASELINE_FILE, CGAN_FILE)),
]
