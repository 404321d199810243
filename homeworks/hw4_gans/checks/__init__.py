"""hw4_gans' graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw4_gans/hidden/``, :mod:`dgmlab.grading.hidden`); they read the
names below and the values each probe returns. The probes build the student's networks and run the
student's functions on inputs made from the seed, and keep what comes back (outputs with the grader's seeded
parameters, parameters after an update or a training run, returned losses and histories). Hidden tests compare
those with what the grader computes itself from its own copy of the inputs (the statement's networks, losses and
steps: ``dgmlab.grading.hidden.hw4_gans.references``, which this module never imports); the visible tests of the P1 cells,
make_gan and the conditional steps compare the values on the working seed's inputs with values recorded from those
references (:func:`recorded`), and the others with what this module computes. The two cells graded from
handed-in weights run in the grader: they read the file as handed in and draw from it with the statement's
generator, which only the grader holds (``dgmlab.grading.hidden.hw4_gans.references.mlp_generator``), never a class from
the student's kernel; in a student's self-check, where the grader is not installed, they draw with the notebook's
own generator class instead (:func:`_drawing`).
"""
from __future__ import annotations

import contextlib
import math
import types

from dgmlab import checks
from dgmlab.testing import points
from dgmlab.probes import CheckSpec, TestFailure, attempt, usable, working, seeded_generator as _gen
from dgmlab.probes import on_working as _on_working, with_working as _with_working
from dgmlab.probes import _torch  # lazy imports

EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")  # the statement's names
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


def value(v, what: str = "the value"):
    """``v``, or fails the test saying the student's code raised (a value nested in the probe's data)."""
    return usable(what, v)


def _params(module) -> list:
    """Copies of ``module``'s parameters, or of ``module`` itself when it is the list of Parameter objects captured
    before the student's code ran (so a step that strips the module of its parameters cannot empty the record)."""
    return [p.detach().clone() for p in _parameter_list(module)]


def _grads(module) -> list:
    return [None if p.grad is None else p.grad.detach().clone() for p in _parameter_list(module)]


def _parameter_list(module) -> list:
    return module if isinstance(module, list) else list(module.parameters())


def paired(got, want, what: str):
    """``zip(got, want, strict=True)`` once ``got`` is a list or tuple of exactly as many entries as ``want``: a short
    or empty record fails here, naming ``what``, instead of passing on the entries it has."""
    n = len(want)
    found = len(got) if isinstance(got, (list, tuple)) else type(got).__name__
    assert isinstance(got, (list, tuple)) and len(got) == n, f"expected {n} {what}, found {found}"
    return zip(got, want, strict=True)


# ------------------------------------------------------------------ trainable networks
# A network is graded only if it can be trained: a probe runs the student's network, built as the cell builds it,
# with gradients on, and records which of its parameters a gradient reaches from the output (a seeded weighted sum
# of it). Every test of a network's cell (visible and hidden) asks assert_trainable first, so a forward pass
# computed outside autograd (under torch.no_grad(), .detach(), .item() or a numpy round trip) earns nothing.
def _gradients(net, run) -> dict:
    """Which parameters of ``net`` a gradient reaches from ``run(net)``: ``{"n": how many parameters, "graph":
    whether the output carries a graph, "unreached": how many no (finite, nonzero) gradient reaches, "shapes": their
    shapes, as text}``."""
    torch = _torch()
    params = list(net.parameters())
    with torch.enable_grad():
        out = run(net)
    graph = isinstance(out, torch.Tensor) and out.is_floating_point() and out.requires_grad
    live = [p for p in params if p.requires_grad]
    grads = {}
    if graph and live:
        weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(7), dtype=out.dtype)
        found = torch.autograd.grad((out * weights).sum(), live, allow_unused=True)
        grads = {id(p): g for p, g in zip(live, found, strict=True)}
    reached = [g is not None and bool(torch.isfinite(g).all()) and bool((g != 0).any())
               for g in (grads.get(id(p)) for p in params)]
    without = [tuple(int(d) for d in p.shape) for p, ok in zip(params, reached, strict=True) if not ok]
    return {"n": len(params), "graph": bool(graph), "unreached": len(without),
            "shapes": ", ".join(str(shape) for shape in without[:4]) + (", ..." if len(without) > 4 else "")}


def assert_trainable(record, what: str) -> None:
    """Fails unless gradients reach every parameter of the student's network ``what`` from its output (the record
    of :func:`_gradients`): a network that cannot be trained earns none of its cell's points."""
    r = value(record, f"{what} run with gradients on")
    n, unreached = int(r["n"]), int(r["unreached"])
    assert n > 0, (f"{what} has no parameters, so training cannot change it: build its layers in __init__ "
                   "(nn.Linear, nn.Embedding) so they are the module's parameters")
    assert r["graph"], (f"{what} returns an output no gradient flows through, so the network cannot be trained: "
                        "compute forward with its layers, without torch.no_grad(), .detach(), .item() or numpy")
    assert unreached == 0, (f"no gradient reaches {unreached} of the {n} parameters of {what} from its output "
                            f"(shapes {r['shapes']}), so training would never change them: use every layer in "
                            "forward, without torch.no_grad(), .detach() or numpy in between")


def _moved(record, start, what: str, player: str) -> None:
    """Fails unless the step (its ``record``) left ``player``'s parameters other than ``start``: a step that never
    updates its player earns none of its cell's points."""
    torch = _torch()
    after = value(record, "the step")["after"]
    same = isinstance(after, (list, tuple)) and len(after) == len(start) and all(
        isinstance(p, torch.Tensor) and p.shape == w.shape and torch.equal(p, w)
        for p, w in zip(after, start, strict=True))
    assert not same, (f"expected {what} to change the {player}'s parameters (one step of its optimizer on the "
                      f"gradients of its loss), found them unchanged: is loss.backward() called before the "
                      "optimizer's step, on a loss computed with gradients on?")


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


def _named(name: str):
    """Give a visible test the name it has in its cell (two cells' tests may share a name)."""
    def rename(fn):
        fn.__name__ = fn.__qualname__ = name
        return fn
    return rename


def _seeded(seed: int, salt: int) -> dict:
    return {"torch_seed": int((int(seed) * 7919 + salt) % 2**31)}


# ------------------------------------------------------------------ visible tests: recorded values on the working seed
# A converted cell's inputs carry, under "working", the visible tests' own draw (dgmlab.probes.with_working), and its
# probe runs the student's code on both (on_working): hidden tests read the values on the grading seed's inputs and
# compare them with the grader's references (dgmlab.grading.hidden.hw4_gans.references); visible tests read the values
# on their own draw (working) and compare them with ref, the cell's reference values (dgmlab.probes.Ref): in a
# self-check what those references gave on the working seed's draw, recorded with the kit (dgmlab.probes.expected);
# graded, the references computed in the judge.


# ------------------------------------------------------------------ P1.1 the generator
# The networks are graded on the grader's seeded parameters: each tensor goes into the parameter of the student's
# network with its shape (unique in these MLPs), and the outputs on seeded inputs are compared with what the
# statement's network computes with them (the grader's mlp_forward, dgmlab.grading.hidden.hw4_gans.references, which it
# also draws from handed-in weights with; the student package holds only the shapes, dgmlab.artifacts.mlp_shapes).
def _param_shapes(in_dim, widths, out_dim, embedding=None):
    from dgmlab import artifacts

    return artifacts.mlp_shapes(in_dim, widths, out_dim, embedding)


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
            "trainable": attempt(_gradients_of, G, lambda g: g.train()(x["z16"][:4].clone()))}


def _gradients_of(make, run, **kwargs):
    """:func:`_gradients` of the student's network ``make(**kwargs)`` (its own starting weights)."""
    return _gradients(make(**kwargs), run)


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
def test_generator_is_the_statements_network(v, ref):
    assert_trainable(v.trainable, "Generator()")
    _generator_matches(working(v).out16, ref["out16"], "Generator()(z)")


@points(1)
def test_latent_dim_and_widths_are_used(v, ref):
    assert_trainable(v.trainable, "Generator()")
    found = v.latent_dim_7
    assert found == 7, f"expected Generator(latent_dim=7).latent_dim == 7, found {found!r}: keep the argument as self.latent_dim"
    _generator_matches(working(v).small_out, ref["small_out"],
                       "Generator(latent_dim=8, widths=(16, 32))(z)")


@points(0.5)
def test_saturates_like_a_tanh(v, ref):
    assert_trainable(v.trainable, "Generator()")
    # the same network with every parameter 20x larger: the outputs reach -1 and 1 as a tanh's do
    _generator_matches(working(v).saturated, ref["saturated"],
                       "Generator()(z) with 20x the grader's parameters")


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
            "trainable": attempt(_gradients_of, D, lambda d: d.eval()(x["x4"].clone()))}


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
def test_one_logit_per_image_for_both_input_shapes(v, ref):
    assert_trainable(v.trainable, "Discriminator()")
    w, want = working(v), ref["logits"]
    _logits_match(w.flat_out, want, "Discriminator().eval()(x) for (N, 784)")
    try:
        out = w.image_out
    except TestFailure as exc:
        raise AssertionError(f"expected (N, 1, 28, 28) images to be accepted, found an error ({str(exc)[:120]}): "
                             "flatten x to (N, 784) in forward") from None
    _logits_match(out, want, "Discriminator().eval()(x) for (N, 1, 28, 28)")


@points(1)
def test_widths_argument_is_used(v, ref):
    assert_trainable(v.trainable, "Discriminator()")
    _logits_match(working(v).small_out, ref["small_logits"],
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
def test_scalar_tensors_that_keep_the_graph(v, ref):
    checks.assert_tensor(v.d_graph, "discriminator_loss", shape=(), requires_grad=True)
    checks.assert_tensor(v.g_graph, "generator_loss", shape=(), requires_grad=True)


def _softplus(t: float) -> float:
    return math.log1p(math.exp(t))


@points(1)
def test_zero_logits_give_log_two_per_term(v, ref):
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


@points(0.5)
def test_finite_and_right_at_logits_of_30(v, ref):
    # the statement warns that logits reach +-30: in float32 sigmoid(30) rounds to 1, so log(1 - sigmoid(30)) is -inf
    for name, got, want in (("generator_loss", v.g_big, 15.0), ("discriminator_loss", v.d_big, 30.0)):
        call = "generator_loss(f)" if name == "generator_loss" else "discriminator_loss(f, f)"
        found = value(got, name)
        found = float(found) if not isinstance(found, float) else found
        hint = ("" if abs(found - want) < 1e-4 * want else
                ": logits reach +-30 (the statement warns of it), where 1 - sigmoid(30) rounds to 0 in float32; work "
                "from the logits (binary_cross_entropy_with_logits, or softplus), not the log of a sigmoid")
        assert math.isfinite(found) and abs(found - want) < 1e-4 * want, \
            f"expected {call} with logits f = [[30], [-30]] to be {want:g}, found {found:.4g}{hint}"


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


def _step_lr(g) -> float:
    """The graded steps' SGD learning rate, drawn from the seed in [0.03, 0.3] (drawn last: the other inputs are
    those of a seed without it): a step that updates by hand instead of through its optimizer misses it."""
    return 0.03 + 0.27 * (float(_uniform(g, 1)[0]) + 1) / 2


def seeded_tiny(x, n_classes=0):
    """The stand-in networks with the seeded starting parameters ``x["G0"]``, ``x["D0"]`` (probe and grader alike)."""
    g, d = _tiny(n_classes)
    return load_by_shape(g, x["G0"], "the stand-in generator"), load_by_shape(d, x["D0"], "the stand-in discriminator")


def _planted(module, grads):
    for p, gr in zip(module.parameters(), grads, strict=True):
        p.grad = gr.clone()


def _from_the_seeded_start(x, player, take_step, stale=False, lr=None, real_from_g=False, n_classes=0):
    """The student's step ``take_step(g, d, opt, real)`` from the seeded start: what it returns, the player's
    parameters after it, the other player's parameters and gradients after it. The other player holds the grader's
    planted gradients before the step; with ``stale``, the player too (a step must clear its own, not the other's)."""
    torch = _torch()
    g, d = seeded_tiny(x, n_classes)
    mine, other = (g, d) if player == "G" else (d, g)
    _planted(other, x[("D" if player == "G" else "G") + "_grads"])
    if stale:
        for p in mine.parameters():
            p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
    # the Parameter objects, captured before the step: read after it whatever the step does to the modules
    mine_p, other_p = list(mine.parameters()), list(other.parameters())
    real = x["real"].clone()
    if real_from_g:  # a batch whose real images are the generator's own fakes for z
        with torch.no_grad():
            real = g(x["z"]).detach().clone()
    returned = take_step(g, d, _sgd(mine.parameters(), x["lr"] if lr is None else lr), real)
    return {"returned": returned, "after": _params(mine_p), "other_after": _params(other_p),
            "other_grads": _grads(other_p)}


def _d_step_probe(o, x):
    step = o["discriminator_step"]  # o["discriminator_loss"] is handed over but unused: the grader has its own
    _seed_torch(x)

    def take(g, d, opt, real):
        return step(g, d, opt, real, x["z"].clone())

    return {"fresh_step": attempt(_from_the_seeded_start, x, "D", take),
            "stale_step": attempt(_from_the_seeded_start, x, "D", take, True),
            "fakes_as_reals": attempt(_from_the_seeded_start, x, "D", take, lr=0.0, real_from_g=True)}


def _shown(out) -> str:
    return f"{out:.5f}" if isinstance(out, float) else f"a {type(out).__name__}"


def _returned_float(record, want, what, also=()):
    """Fails unless the step record's return value is a Python float equal to ``want`` (or one of ``also``)."""
    out = value(record, "the step")["returned"]
    assert isinstance(out, float), f"expected {what} to return the loss as a Python float, found {type(out).__name__} (use loss.item())"
    ok = any(abs(out - w) < 1e-5 * (1 + abs(w)) for w in (want, *also))
    assert ok, (f"expected {what} to return this batch's loss as a float, {want:.5f} (the statement's loss on the "
                f"grader's batch), found {out:.5f}")
    return out


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
    assert isinstance(out, float) and abs(out - want) < 1e-5 * (1 + abs(want)), \
        (f"expected the discriminator loss of the grader's batch before the update, {want:.5f}, found "
         f"{_shown(out)}{hint}")


def _grads_left(found, planted) -> bool:
    """Whether the other player's gradients after a step are the grader's planted ones (or were cleared)."""
    torch = _torch()
    return len(found) == len(planted) and all(
        f is None or bool((f == 0).all()) or (f.shape == p.shape and torch.allclose(f, p, rtol=0, atol=1e-7))
        for f, p in zip(found, planted, strict=True))


@points(0.25)
@_named('test_generator_untouched')
def test_d_step_leaves_the_generator_untouched(v, ref):
    _d_moved(v)
    torch, r = _torch(), value(v.fresh_step, "the step")
    assert len(r["other_after"]) == len(v.inputs.G0) and all(
        torch.equal(p, w) for p, w in zip(r["other_after"], v.inputs.G0, strict=True)), \
        "expected the generator's parameters unchanged by the discriminator step (the grader's seeded start), found them changed"
    assert _grads_left(r["other_grads"], v.inputs.G_grads), \
        ("expected the discriminator step to add no gradient to the generator, found its gradients changed: make the "
         "fakes under torch.no_grad() or .detach() them")


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
            "d_opt.zero_grad() before loss.backward() (each step clears old gradients)" if polluted else "")
    for p, r in paired(after, want, "discriminator parameters after the step"):
        assert p.shape == r.shape and torch.allclose(p, r, atol=1e-5, rtol=1e-4), \
            ("expected the discriminator's parameters after a step that follows an earlier one (its parameters "
             "holding gradients from that step) to be one SGD step on this batch's loss from the grader's start, "
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
    assert len(after) == len(want) and all(p.shape == w.shape for p, w in zip(after, want, strict=True)), \
        "expected the generator's parameters after its step, found other shapes"
    moved = torch.cat([(p - p0).flatten() for p, p0 in zip(after, x["G0"], strict=True)]).double()
    step = torch.cat([(w - p0).flatten() for w, p0 in zip(want, x["G0"], strict=True)]).double()
    cosine = float(moved @ step / (moved.norm() * step.norm() + 1e-30))
    assert float(moved.norm()) > 0, \
        ("expected the generator's parameters to change after its step, found them unchanged: is loss.backward() "
         "called, and the fake batch left attached, so that the gradient reaches the generator?")
    # downhill: a positive cosine with the grader's own step; a random move of these 3,920 parameters has a cosine
    # within +-0.05 of 0 with probability 99.9% (the saturating loss's step: 0.16 or more on 2,000 seeds)
    assert cosine > 0.05, \
        (f"expected the generator to move downhill on its loss (a positive cosine with the grader's own step), found "
         f"a move of cosine {cosine:.2f} with it")


@points(0.5)
def test_returns_the_non_saturating_loss_of_this_batch(v, ref):
    out = value(working(v).fresh_step, "the step")["returned"]
    want, saturating = ref["loss"], ref["saturating_loss"]
    hint = (": that is the saturating loss log(1 - D(G(z))); the generator minimises -log D(G(z))"
            if isinstance(out, float) and abs(out - saturating) < 1e-5 * (1 + abs(saturating)) else "")
    assert isinstance(out, float) and abs(out - want) < 1e-5 * (1 + abs(want)), \
        (f"expected the non-saturating generator loss of the grader's batch before the update, {want:.5f}, found "
         f"{_shown(out)}{hint}")


# ------------------------------------------------------------------ P2.1 make_gan
# Each experiment's two networks get the grader's seeded parameters of the statement's networks for that experiment
# (placed by shape, as in P1) and their outputs on seeded inputs are compared with those networks, built by the
# grader; d_steps is compared with the statement's number. The statement's experiments, as its text gives them:
STATEMENT_EXPERIMENTS = {  # name: (generator widths, discriminator widths, d_steps)
    "baseline": ((128, 256, 512), (512, 256, 128), 1),
    "wide_generator": ((256, 512, 1024), (512, 256, 128), 1),
    "deep_discriminator": ((128, 256, 512), (1024, 512, 256, 128), 1),
    "d_steps_10": ((128, 256, 512), (512, 256, 128), 10)}
UNKNOWN_NAMES = ("Baseline", "wide", "d_steps_1", "no_such_experiment", "deep_discriminator ", "baseline_", "")


def _make_gan_inputs(seed):
    g = _gen(seed, 21)
    x = {"z4": _randn(g, 4, 100), "x4": _randn(g, 4, 784), "x32": _randn(g, 32, 784),
         "dropout_seed": int(_uniform(g, 1)[0] * 1e6), **_seeded(seed, 21)}
    x["g_params"] = {w: _seeded_params(g, _param_shapes(100, w, 784)) for w in ((128, 256, 512), (256, 512, 1024))}
    x["d_params"] = {w: _seeded_params(g, _param_shapes(784, w, 1)) for w in ((512, 256, 128), (1024, 512, 256, 128))}
    # make_gan called on two "baseline"s and three unknown names, in an order drawn from the seed
    unknown = [UNKNOWN_NAMES[int(i)] for i in _torch().randperm(len(UNKNOWN_NAMES), generator=g)[:3]]
    x["names"] = [(["baseline"] * 2 + unknown)[int(i)] for i in _torch().randperm(5, generator=g)]
    return x


def _run_generator(g, x, params, what):
    load_by_shape(g, params, what)
    g.train()  # no dropout, no batch statistics in the statement's generator: training mode changes nothing
    with _torch().no_grad():
        return g(x["z4"].clone())


def _run_discriminator(d, x, params, what, train=False):
    torch = _torch()
    load_by_shape(d, params, what)
    d.train(train)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(x["dropout_seed"])  # the dropout masks: the grader draws the same ones
        return d((x["x32"] if train else x["x4"]).clone())


def _make_gan_probe(o, x):
    make_gan = o["make_gan"]
    _seed_torch(x)

    def triple(name):
        out = make_gan(name)
        if not (isinstance(out, tuple) and len(out) == 3):
            raise TypeError(f"make_gan({name!r}) returned {type(out).__name__[:80]}, not a tuple "
                            "(generator, discriminator, d_steps)")
        return out

    def one(name, x=x):
        g, d, k = triple(name)
        gw, dw, _ = STATEMENT_EXPERIMENTS[name]
        return {"g_out": attempt(_run_generator, g, x, x["g_params"][gw], f"make_gan({name!r})'s generator"),
                "d_out": attempt(_run_discriminator, d, x, x["d_params"][dw], f"make_gan({name!r})'s discriminator"),
                "d_train": attempt(_run_discriminator, d, x, x["d_params"][dw], f"make_gan({name!r})'s discriminator",
                                   True),
                "d_steps": k if type(k) is int else repr(k)[:80]}

    def on_working():
        # the visible tests' record: the baseline and the deep discriminator on the working seed's inputs (what the
        # recorded values are of)
        _seed_torch(x["working"])
        return {"experiments": {name: attempt(one, name, x["working"]) for name in ("baseline", "deep_discriminator")}}

    def fresh():
        # two calls: the first pair gets the grader's parameters, the second half of them; the first pair must keep its own
        g1, d1, _ = triple("baseline")
        load_by_shape(g1, x["g_params"][(128, 256, 512)], "make_gan('baseline')'s generator")
        load_by_shape(d1, x["d_params"][(512, 256, 128)], "make_gan('baseline')'s discriminator")
        g2, d2, _ = triple("baseline")
        load_by_shape(g2, [p * 0.5 for p in x["g_params"][(128, 256, 512)]], "a second make_gan('baseline')'s generator")
        load_by_shape(d2, [p * 0.5 for p in x["d_params"][(512, 256, 128)]], "a second make_gan('baseline')'s discriminator")
        with _torch().no_grad():
            return {"g_out": g1.train()(x["z4"].clone()), "d_out": d1.eval()(x["x4"].clone())}

    def called(name):
        try:
            g = triple(name)[0]
        except ValueError:
            return "raised ValueError"
        except Exception as exc:  # noqa: BLE001 - what the student's function raised
            return f"raised {type(exc).__name__}"[:120]
        return {"g_out": attempt(_run_generator, g, x, x["g_params"][(128, 256, 512)], f"make_gan({name!r})'s generator")}

    return {"experiments": {name: attempt(one, name) for name in EXPERIMENTS}, "fresh": attempt(fresh),
            "calls": [attempt(called, name) for name in x["names"]], "working": attempt(on_working)}


def experiment(experiments, name):
    """The probe's record of ``make_gan(name)``, or fails saying why there is none."""
    return value(value(experiments, "make_gan")[name], f"make_gan({name!r})")


def _outputs_match(out, want, what):
    torch = _torch()
    checks.assert_tensor(out, what, shape=tuple(want.shape), dtype=torch.float32)
    assert torch.allclose(out, want, rtol=1e-4, atol=1e-5), \
        f"{what} is off by up to {float((out - want).abs().max()):.3g}"


@points(0.25)
def test_baseline_generator_is_p1s(v, ref):
    info = experiment(working(v).experiments, "baseline")
    _outputs_match(value(info["g_out"], "make_gan('baseline')'s generator"), ref["g_out"],
                   "make_gan('baseline')'s generator with the grader's parameters, against P1's generator with hidden "
                   "widths (128, 256, 512),")


@points(0.5)
def test_baseline_discriminator_and_d_steps_are_p1s(v, ref):
    info, want = experiment(working(v).experiments, "baseline"), ref
    what = "make_gan('baseline')'s discriminator"
    _outputs_match(value(info["d_out"], what), want["d_out"],
                   f"{what} in eval mode with the grader's parameters, against P1's discriminator with hidden widths "
                   f"(512, 256, 128),")
    _outputs_match(value(info["d_train"], what), want["d_train"],
                   f"{what} in training mode (dropout 0.3 after each LeakyReLU, the grader's masks) with the grader's "
                   f"parameters, against P1's discriminator with hidden widths (512, 256, 128),")
    assert info["d_steps"] == 1, f"expected d_steps = 1 (an int) from make_gan('baseline'), found {info['d_steps']}"


@points(0.5)
def test_deep_discriminator_adds_a_layer(v, ref):
    # every hidden layer with its LeakyReLU and dropout: compared in training mode too, with the grader's masks
    name, widths = "deep_discriminator", STATEMENT_EXPERIMENTS["deep_discriminator"][1]
    info, want = experiment(working(v).experiments, name), ref["deep"]
    what = f"make_gan({name!r})'s discriminator"
    for key, mode in (("d_out", "in eval mode"), ("d_train", "in training mode (dropout 0.3 after each LeakyReLU, the "
                                                            "grader's masks)")):
        try:
            out = value(info[key], what)
        except TestFailure as exc:
            raise TestFailure(f"{exc} (the statement's deep discriminator has hidden widths {widths}, 1024 first and "
                              "128 last: four hidden layers)") from None
        _outputs_match(out, want[key], f"{what} {mode} with the grader's parameters, against P1's discriminator with "
                                       f"hidden widths {widths},")
    _outputs_match(value(info["g_out"], f"make_gan({name!r})'s generator"), want["g_out"],
                   f"make_gan({name!r})'s generator with the grader's parameters, against P1's generator with hidden "
                   "widths (128, 256, 512) (unchanged in this experiment),")
    assert info["d_steps"] == 1, f"expected d_steps = 1 (an int) from make_gan({name!r}), found {info['d_steps']}"


# ------------------------------------------------------------------ P2.2 train_gan
# train_gan runs with stand-ins for the notebook's two steps: each does a least-squares update (stand_in_d_step,
# stand_in_g_step: not P1's losses) with noise drawn from the grader's seed and returns a number drawn from the seed.
# From the seeded start (stand-in networks G0, D0), a seeded loader and plain SGD, the grader replays the statement's
# schedule (one D update per batch, a G update after every d_steps-th, D first) with the same updates and compares the parameters train_gan leaves and the history it
# returns with its own: the order and number of the updates show in the parameters, not in a log the kernel writes.
# (5, 2, 3): two epochs of 5 batches, d_steps 3: the statement counts discriminator updates across epochs (G after
# the 3rd, 6th, 9th: 3 G updates), a counter reset each epoch gives 2
RUNS = ((4, 1, 1), (3, 1, 1), (6, 2, 3), (6, 1, 2), (5, 2, 1), (10, 1, 10), (5, 2, 3))
VISIBLE_RUNS, HIDDEN_RUNS = RUNS[:2], RUNS[2:]
SPECIAL_RUNS = {"noise": (2, 1, 1), "frozen": (2, 1, 1), "devices": (2, 1, 1)}  # (n_batches, epochs, d_steps)
TRAIN_LR = 0.01


def _run_key(run) -> str:
    return run if isinstance(run, str) else "-".join(map(str, run))


def _train_gan_inputs(seed):
    torch = _torch()
    g = _gen(seed, 22)
    x = {**_seeded(seed, 22), "G0": [_randn(g, 784, 4) * 0.5, _randn(g, 784) * 0.1],
         "D0": [_randn(g, 1, 784) * 0.05, _randn(g, 1) * 0.1], "noise_seed": int(_uniform(g, 1)[0] * 1e6) + 10**6}
    loaders = {}
    for run in (*RUNS, *SPECIAL_RUNS):
        n_batches = SPECIAL_RUNS[run][0] if isinstance(run, str) else run[0]
        shape = (4, 784) if run == "frozen" else (6, 1, 28, 28)  # flattened batches in one run
        loaders[_run_key(run)] = [(_uniform(g, *shape), torch.zeros(shape[0], dtype=torch.long)) for _ in range(n_batches)]
    x["loaders"] = loaders
    return x


def _schedule(run):
    return SPECIAL_RUNS[run] if isinstance(run, str) else run


def _draw(x, key, player, k):
    # one generator per (run, player, step): the same numbers in the kernel's stand-ins and in the grader's replay
    index = sorted(x["loaders"]).index(key)
    return _torch().Generator().manual_seed(x["noise_seed"] * 1009 + index * 100_003 + 2 * k + (player == "G"))


def step_noise(x, key, player, k, shape):
    """The noise of ``player``'s ``k``-th step in run ``key``: drawn from the grader's seed, in probe and grader alike."""
    return _torch().randn(tuple(shape), generator=_draw(x, key, player, k))


def step_tag(x, key, player, k) -> float:
    """What ``player``'s ``k``-th stand-in step returns in run ``key``: a float drawn from the grader's seed."""
    return float(_torch().rand(1, generator=_draw(x, key, player, 10_000 + k))[0])


def step_tags(x, key, player, n) -> list:
    return [step_tag(x, key, player, k) for k in range(n)]


def stand_in_d_step(generator, discriminator, d_opt, real, z):
    """The update a stand-in discriminator step makes (in the kernel and in the grader's replay alike): one step of
    ``d_opt`` on a least-squares loss, the fakes made without gradients. Not P1's loss: what runs in the kernel
    answers no question of the homework; the replay only needs the same update as the probe's."""
    d_opt.zero_grad()
    with _torch().no_grad():
        fake = generator(z)
    (((discriminator(real) - 1) ** 2).mean() + (discriminator(fake) ** 2).mean()).backward()
    d_opt.step()


def stand_in_g_step(generator, discriminator, g_opt, z):
    """The stand-in generator step's update: one step of ``g_opt`` on a least-squares loss (see :func:`stand_in_d_step`)."""
    g_opt.zero_grad()
    ((discriminator(generator(z)) - 1) ** 2).mean().backward()
    g_opt.step()


def _stand_ins(x, key, mode):
    """The two steps train_gan calls in run ``key``. ``mode``: "statement" (noise of the statement's shape, batch by
    latent_dim), "noise" (noise of the shape the notebook's z has), "frozen" (each player against the other's
    seeded start, so neither depends on when the other moves), "devices" (networks on PyTorch's meta device, standing
    in for a GPU: a tensor elsewhere raises, as it would there; nothing is computed). The third value returned is
    the list the steps fill with each z they receive (the grader checks it is fresh standard normal noise)."""
    torch = _torch()
    count, frozen, received = {"D": 0, "G": 0}, seeded_tiny(x) if mode == "frozen" else None, []
    batch = len(x["loaders"][key][0][0])

    def noise(player, generator, z):
        if mode == "devices":
            where = next(generator.parameters()).device
            if any(t.device != where for t in z):
                raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                                   f"{where} and {[t.device for t in z if t.device != where][0]}!")
            return None
        if z[0].dim() != 2 or z[0].shape[1] != generator.latent_dim:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied: noise of shape {tuple(z[0].shape)} for a "
                               f"generator with latent_dim {generator.latent_dim}")
        received.append(z[0].detach().to("cpu", torch.float32).clone())
        return step_noise(x, key, player, count[player], z[0].shape if mode == "noise" else (batch, generator.latent_dim))

    def discriminator_step(generator, discriminator, d_opt, real, z):
        zz = noise("D", generator, (z, real))
        if zz is not None:
            stand_in_d_step(frozen[0] if frozen else generator, discriminator, d_opt, real, zz)
        count["D"] += 1
        return step_tag(x, key, "D", count["D"] - 1)

    def generator_step(generator, discriminator, g_opt, z):
        zz = noise("G", generator, (z,))
        if zz is not None:
            stand_in_g_step(generator, frozen[1] if frozen else discriminator, g_opt, zz)
        count["G"] += 1
        return step_tag(x, key, "G", count["G"] - 1)

    return discriminator_step, generator_step, received


_STAND_IN = "__dgmlab_stand_in_{}__"  # where a step's trampoline finds its stand-in, in the notebook's globals


def _trampoline(name):
    """The code of a function ``name(*args, **kwargs)`` that calls the stand-in of ``name`` in its globals."""
    source = f"def {name}(*args, **kwargs):\n    return {_STAND_IN.format(name)}(*args, **kwargs)\n"
    namespace = {}
    exec(compile(source, f"<stand-in for {name}>", "exec"), namespace)
    return namespace[name].__code__


@contextlib.contextmanager
def _notebook_steps(train_gan, d_step, g_step):
    """``d_step``, ``g_step`` as the notebook's discriminator_step and generator_step while train_gan runs: under
    those names in its globals, and, where they are the notebook's own functions, in place of their code, so that a
    train_gan reaching them another way (an alias, a default argument) calls the stand-ins too."""
    missing = object()
    steps = {"discriminator_step": d_step, "generator_step": g_step}
    saved = []  # (namespace, name, what it held)

    def put(ns, name, value):
        saved.append((ns, name, ns.get(name, missing)))
        ns[name] = value

    codes = []
    for name, stand_in in steps.items():
        own = train_gan.__globals__.get(name, missing)
        if isinstance(own, types.FunctionType) and not own.__code__.co_freevars:
            put(own.__globals__, _STAND_IN.format(name), stand_in)
            codes.append((own, own.__code__))
            own.__code__ = _trampoline(name)
        put(train_gan.__globals__, name, stand_in)
    try:
        yield
    finally:
        for own, code in codes:
            own.__code__ = code
        for ns, name, old in reversed(saved):
            if old is missing:
                ns.pop(name, None)
            else:
                ns[name] = old


def _train_gan_probe(o, x):
    train_gan = o["train_gan"]
    _seed_torch(x)

    def run(run_id, mode="statement", x=x):
        key = _run_key(run_id)
        n_batches, epochs, d_steps = _schedule(run_id)
        g, d = seeded_tiny(x)
        if mode == "devices":
            g, d = g.to("meta"), d.to("meta")
        g_p, d_p = list(g.parameters()), list(d.parameters())  # read after train_gan, whatever it does to g and d
        d_stand_in, g_stand_in, received = _stand_ins(x, key, mode)
        with _notebook_steps(train_gan, d_stand_in, g_stand_in):
            hist = train_gan(g, d, _sgd(g.parameters(), TRAIN_LR), _sgd(d.parameters(), TRAIN_LR),
                             [(a.clone(), b.clone()) for a, b in x["loaders"][key]], epochs, d_steps=d_steps,
                             progress=False)
        if mode == "devices":
            return {"hist": hist}
        return {"hist": hist, "G": _params(g_p), "D": _params(d_p), "z": received}

    def on_working():
        # the visible tests' runs on the working seed's inputs (what the recorded values are of)
        _seed_torch(x["working"])
        return {"runs": {_run_key(r): attempt(run, r, x=x["working"]) for r in RUNS}}

    return {"runs": {_run_key(r): attempt(run, r) for r in RUNS},
            **{f"{name}_run": attempt(run, name, name) for name in SPECIAL_RUNS}, "working": attempt(on_working)}


def assert_fresh_standard_noise(runs, noise_run):
    """Fails unless the z's the two steps received in each run (the statement's runs and the "noise" run) are fresh
    draws of N(0, 1): no two alike (the generator's z is not the discriminator's), pooled mean and std near 0 and 1
    (wide bounds: over a thousand draws in all)."""
    torch = _torch()
    records = [value(r, "train_gan") for r in value(runs, "train_gan").values()] + [value(noise_run, "train_gan")]
    pooled = []
    for record in records:
        zs = record.get("z") if isinstance(record, dict) else None
        assert isinstance(zs, list) and zs and all(isinstance(z, torch.Tensor) for z in zs), \
            "expected train_gan to hand each step its noise z as a tensor"
        flat = [z.double().flatten() for z in zs]
        for i, a in enumerate(flat):
            assert not any(a.shape == b.shape and torch.equal(a, b) for b in flat[:i]), \
                ("expected fresh noise for every update, found the same z handed to two steps (draw a new z for the "
                 "generator's step)")
        pooled += flat
    draws = torch.cat(pooled)
    mean, std = float(draws.mean()), float(draws.std()) if draws.numel() > 1 else 0.0
    assert draws.numel() >= 100 and abs(mean) < 0.3 and 0.8 < std < 1.2, \
        (f"expected standard normal noise (torch.randn), found mean {mean:.2f} and standard deviation {std:.2f} over "
         f"{draws.numel()} draws")


def run_of(runs, run):
    """The probe's record of train_gan with the schedule ``run`` (one of RUNS): {hist, G, D}."""
    return value(value(runs, "train_gan")[_run_key(run)], "train_gan")


def history_matches(record, want, run):
    """Fails unless the history train_gan returned in ``run`` (its ``record``) is ``want`` (``{d_loss, g_loss}``: what
    the steps returned, in order, one per update of the statement's schedule, as the grader's replay lists them)."""
    hist = value(record, "train_gan")["hist"]
    n_batches, epochs, d_steps = _schedule(run)
    setting = f"{n_batches} batches, {epochs} epoch(s), d_steps={d_steps}"
    assert isinstance(hist, dict) and {"d_loss", "g_loss"} <= set(hist), \
        f"expected train_gan to return a dict with keys d_loss and g_loss, found {type(hist).__name__}"
    for name, player in (("d_loss", "discriminator"), ("g_loss", "generator")):
        got = hist[name]
        assert isinstance(got, list) and len(got) == len(want[name]), \
            (f"expected {len(want[name])} {player} losses ({setting}: one per {player} update), found "
             f"{len(got) if isinstance(got, list) else type(got).__name__}")
        kinds = sorted({type(h).__name__ for h in got})
        assert not got or kinds == ["float"], f"expected the {player} losses as Python floats, found {kinds}"
        assert got == want[name], \
            f"expected history[{name!r}] to list, in order, what each {player} step returned ({setting}); it does not"


def parameters_match(record, want, what):
    """Fails unless the parameters train_gan leaves (its ``record``) are ``want`` (``{G, D}``: where the grader's replay
    of the statement's schedule ends); ``what`` says what that schedule is."""
    torch, r = _torch(), value(record, "train_gan")
    for player, name in (("D", "discriminator"), ("G", "generator")):
        got = r[player]
        ok = len(got) == len(want[player]) and all(
            isinstance(p, torch.Tensor) and p.shape == w.shape and torch.allclose(p, w, rtol=1e-4, atol=1e-6)
            for p, w in zip(got, want[player], strict=True))
        assert ok, f"expected the {name}'s parameters after train_gan to be the grader's replay of {what}; they are not"


@points(0.5)
def test_history_lists_per_update(v, ref):
    history_matches(run_of(working(v).runs, (4, 1, 1)), ref["history_4_1_1"], (4, 1, 1))


@points(0.5)
def test_players_alternate_discriminator_first(v, ref):
    parameters_match(run_of(working(v).runs, (3, 1, 1)), ref["parameters_3_1_1"],
                     "3 batches, each one discriminator update then one generator update (D G D G D G)")


@points(0.5)
def test_generator_update_follows_d_steps_discriminator_updates(v, ref):
    # the step schedule for d_steps > 1: a generator update right after the d_steps-th, 2 d_steps-th, ...
    # discriminator update (not after the 1st, d_steps + 1-th, ...), the count running on across epochs
    want = ref["parameters_of"]
    for n_batches, epochs, d_steps in HIDDEN_RUNS:
        parameters_match(run_of(working(v).runs, (n_batches, epochs, d_steps)), want[_run_key((n_batches, epochs, d_steps))],
                         f"{n_batches} batches, {epochs} epoch(s), d_steps={d_steps}: a generator update right after "
                         f"the {d_steps}-th, {2 * d_steps}-th, ... discriminator update (the count running on across "
                         "epochs), not after the 1st")


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
            "trainable": attempt(_gradients_of, G, lambda g: g.train()(x["z12"].clone(), torch.arange(12) % 10))}


def _cond_matches(out, wants, what, generator=True):
    """Fails unless ``out`` is one of ``wants`` (the statement's network's outputs with [inputs, e(y)] and with
    [e(y), inputs] read by the first layer, recorded from the grader's references); a generator's only the first."""
    torch = _torch()
    n = wants[0].shape[0]
    checks.assert_tensor(out, what, shape=(n, 784) if generator else (n, 1), dtype=torch.float32)
    if generator:  # the statement, and the grader drawing from the handed-in weights, read [z, e(y)]: noise first
        swapped = out.shape == wants[1].shape and torch.allclose(out, wants[1], rtol=1e-4, atol=1e-5)
        assert not swapped, \
            (f"{what} with the grader's parameters gives what [e(y), z] gives, the embedding first: the statement "
             "concatenates [z, e_G(y)], noise first, and the grader reads your weights file in that order")
        wants = wants[:1]
    assert any(out.shape == w.shape and torch.allclose(out, w, rtol=1e-4, atol=1e-5) for w in wants), \
        (f"{what} with the grader's parameters should give what the statement's network gives: "
         + ("[z, e(y)] with one nn.Embedding(10, 10), then P1's layers (LeakyReLU(0.2), tanh; no normalisation, no "
            "dropout)" if generator else
            "[x, e(y)] with one nn.Embedding(10, 10), then P1's layers (LeakyReLU(0.2), dropout, one raw logit)")
         + "; it does not (does the label feed the network? the widths, slopes and last layer as stated?)")


@points(1.5)
def test_conditional_generator_is_the_statements_network(v, ref):
    assert_trainable(v.trainable, "ConditionalGenerator()")
    _cond_matches(working(v).out12, ref["out12"],
                  "ConditionalGenerator()(z, labels) in training mode")


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
            "trainable": attempt(_gradients_of, D, lambda d: d.eval()(x["x32"].clone(), y32))}


@points(1.5)
def test_one_logit_per_image(v, ref):
    assert_trainable(v.trainable, "ConditionalDiscriminator()")
    w, want = working(v), ref["logits"]
    _cond_matches(w.flat_out, want, "ConditionalDiscriminator().eval()(x, labels) for flattened x", generator=False)
    _cond_matches(w.image_out, want, "ConditionalDiscriminator().eval()(x, labels) for (N, 1, 28, 28)",
                  generator=False)


@points(1)
def test_the_label_changes_the_logit(v, ref):
    assert_trainable(v.trainable, "ConditionalDiscriminator()")
    _cond_matches(working(v).per_label, ref["per_label"],
                  "ConditionalDiscriminator().eval()(x, labels) for one image and the ten labels", generator=False)


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

    def run(start, player, stale=False, lr=None):
        lr = x["lr"] if lr is None else lr
        g, d = seeded_tiny(start, 10)
        mine, other = (g, d) if player == "G" else (d, g)
        mine_p, other_p = list(mine.parameters()), list(other.parameters())  # read after the step, whatever it does
        for p in other_p:
            p.grad = torch.full_like(p, PLANTED_GRAD)  # gradients left in the other player: a step must leave them
        if stale:
            for p in mine_p:
                p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
        if player == "D":
            returned = d_step(g, d, _sgd(d.parameters(), lr), x["real"].clone(), y.clone(), x["z"].clone())
        else:
            returned = g_step(g, d, _sgd(g.parameters(), lr), x["z_g"].clone(), y2.clone())
        return {"returned": returned, "after": _params(mine_p), "other_after": _params(other_p),
                "other_grads": _grads(other_p)}

    blind = label_blind(x)
    return {"d_blind": attempt(run, blind, "D", lr=0.0), "g_blind": attempt(run, blind, "G", lr=0.0),
            "d_fresh": attempt(run, x, "D"), "d_stale": attempt(run, x, "D", True),
            "g_fresh": attempt(run, x, "G"), "g_stale": attempt(run, x, "G", True)}


def _cgan_moved(v):
    w = working(v)
    _moved(w.d_fresh, w.inputs.D0, "cgan_discriminator_step", "discriminator")
    _moved(w.g_fresh, w.inputs.G0, "cgan_generator_step", "generator")


@points(0.5)
def test_return_floats(v, ref):
    _cgan_moved(v)
    # from a start where the labels have no weight (so any labelling gives the same loss), learning rate 0: each
    # step returns the loss the grader computed with the statement's losses
    w, want = working(v), ref
    _returned_float(w.d_blind, want["d_blind_loss"], "cgan_discriminator_step")
    _returned_float(w.g_blind, want["g_blind_loss"], "cgan_generator_step")


def _no_gradient_into_the_generator(v):
    """Fails unless cgan_discriminator_step left the generator's gradients as they were (planted, or cleared)."""
    torch = _torch()
    found = value(working(v).d_fresh, "the step")["other_grads"]
    left = isinstance(found, (list, tuple)) and len(found) == 2 and all(
        g is None or bool((g == 0).all()) or bool((g == PLANTED_GRAD).all())
        for g in found if g is None or isinstance(g, torch.Tensor))
    assert left and all(g is None or isinstance(g, torch.Tensor) for g in found), \
        ("expected cgan_discriminator_step to add no gradient to the generator, found its gradients changed: make the "
         "fakes under torch.no_grad() or .detach() them, as in P1")


@points(0.5)
def test_discriminator_loss_uses_the_batch_labels(v, ref):
    _cgan_moved(v)
    _no_gradient_into_the_generator(v)
    out = value(working(v).d_fresh, "the step")["returned"]
    want = ref["d_loss"]
    assert isinstance(out, float) and abs(out - want) < 1e-5 * (1 + abs(want)), \
        (f"expected the conditional discriminator loss of the grader's batch before the update, {want:.5f}, found "
         f"{_shown(out)}: fakes are generated for the batch's labels and judged with those same labels")


@points(0.5)
def test_generator_loss_uses_the_requested_labels(v, ref):
    _cgan_moved(v)
    out = value(working(v).g_fresh, "the step")["returned"]
    want = ref["g_loss"]
    assert isinstance(out, float) and abs(out - want) < 1e-5 * (1 + abs(want)), \
        (f"expected the conditional generator loss of the grader's batch before the update, {want:.5f}, found "
         f"{_shown(out)}: the generator draws digits for the given labels and is judged with the same labels")


# ------------------------------------------------------------------ P4
def symbols() -> dict:
    """The notebook's locked cell p4_symbols."""
    import sympy as sp

    p_data, p_g, d = sp.symbols("p_data p_g d", positive=True)
    return {"p_data": p_data, "p_g": p_g, "d": d, "pi_real": sp.symbols("pi_real", positive=True)}


def test_expressions_and_symbols(v, ref):
    s = symbols()
    checks.assert_sympy_expr(v.V_point, "V_point", symbols=[s["p_data"], s["p_g"], s["d"]])
    checks.assert_sympy_expr(v.D_star, "D_star", symbols=[s["p_data"], s["p_g"]])
    checks.assert_sympy_expr(v.second_derivative, "second_derivative", symbols=[s["p_data"], s["p_g"]])
    checks.assert_sympy_expr(v.D_star_pi, "D_star_pi", symbols=[s["p_data"], s["p_g"], s["pi_real"]])
    assert s["pi_real"] in v.D_star_pi.free_symbols, \
        f"expected D_star_pi to depend on pi_real (the share of real images), found {v.D_star_pi}"


def _p4a_inputs(seed):
    import numpy as np

    rng = np.random.default_rng(int(seed) + 43)
    # (p_data numerator, denominator, p_g numerator, denominator): the grader's densities at three points
    return {"densities": [tuple(int(k) for k in rng.integers(1, (40, 12, 40, 12))) for _ in range(3)]}


def test_D_star_is_a_stationary_point_of_V_point(v, ref):
    # d/dd of the integrand the statement prints, p_data log d + p_g log(1 - d) (the grader's, not the student's
    # V_point), at d = D_star and the grader's seeded densities
    import sympy as sp

    s = symbols()
    p_data, p_g, d = s["p_data"], s["p_g"], s["d"]  # sp.diff and subs would sympify a string: values checked first
    D_star = checks.as_sympy(v.D_star, "D_star")
    pts = [{p_data: sp.Rational(a, b), p_g: sp.Rational(c, e)} for a, b, c, e in v.inputs.densities]
    stated = p_data * sp.log(d) + p_g * sp.log(1 - d)
    gap = checks.sympy_gap(sp.diff(stated, d).subs(d, D_star), sp.S.Zero, pts)
    if gap < 1e-25:
        return
    hint = "(a sign slip in the derivative swaps p_data and p_g)"
    V_point = checks.as_sympy(v.V_point, "V_point")
    if checks.sympy_gap(sp.diff(V_point, d).subs(d, D_star), sp.S.Zero, pts) < 1e-25:
        hint = ("(it is a stationary point of your V_point, so V_point is not the stated integrand "
                "p_data log d + p_g log(1 - d): are the densities swapped?)")
    raise AssertionError(f"expected the derivative of the integrand p_data log d + p_g log(1 - d) to vanish at "
                         f"d = D_star; at the grader's densities it is {gap:.3g} away from 0: solve "
                         f"sp.diff(V_point, d) = 0 for d {hint}")


def test_D_star_pi_tends_to_one_when_every_image_is_real(v, ref):
    import sympy as sp

    pi_real = symbols()["pi_real"]
    limit = sp.simplify(sp.limit(checks.as_sympy(v.D_star_pi, "D_star_pi"), pi_real, 1))  # sp.limit sympifies a string
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
            "vc_disjoint": attempt(vc, np.array([1.0, 0.0]), np.array([0.0, 1.0])),
            "js_on_pairs": attempt(lambda: [[js(p.copy(), q.copy()), js(q.copy(), p.copy())] for p, q in x["pairs"]]),
            "vc_on_pairs": attempt(lambda: [vc(p.copy(), q.copy()) for p, q in x["pairs"]]),
            "vc_apart": attempt(lambda: [[vc(p.copy(), p.copy()), [vc(p.copy(), q.copy()) for q in qs]]
                                         for p, qs in x["apart"]])}


@points(0.5)
def test_types(v, ref):
    s = symbols()
    checks.assert_sympy_expr(v.C_point, "C_point", symbols=[s["p_data"], s["p_g"]])
    vc, js = (usable(n, v.types[k]) for n, k in (("virtual_criterion", "vc"), ("js_divergence", "js")))
    assert isinstance(vc, float), f"expected virtual_criterion to return a Python float, found {type(vc).__name__}"
    assert isinstance(js, float), f"expected js_divergence to return a Python float, found {type(js).__name__}"


@points(0.5)
def test_equal_distributions(v, ref):
    checks.assert_close(v.js_equal, 0.0, atol=1e-12, name="js_divergence(p, p)", reveal=True)
    checks.assert_close(v.vc_equal, -math.log(4), atol=1e-12,
                        name="virtual_criterion(p, p), which the statement says is -log 4,", reveal=True)


@points(0.5)
def test_disjoint_supports_give_log_two(v, ref):
    import numpy as np

    # C(G) = -log 4 + 2 JSD = 0 here; p log(p / (p + q)) at an entry where p = 0 is 0 log 0 = 0, which np.log makes nan
    vc = float(usable("virtual_criterion", v.vc_disjoint))
    assert np.isfinite(vc) and abs(vc) < 1e-9, \
        ("expected virtual_criterion(p, q) with p = [1, 0], q = [0, 1] (zero entries) to be -log 4 + 2 log 2 = 0, "
         f"found {vc:.4g}" + ("" if np.isfinite(vc) else
                              ": the statement says use 0 log 0 = 0 at zero entries, and np.log(0) is -inf "
                              "(scipy.special.xlogy handles the zeros)"))
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


def _optima(ref):
    """The optimal transport costs of the working seed's instances, recorded from the grader's own route (POT's
    network simplex, not the linear program the statement asks for)."""
    return ref["optima"]


def _solved(wv, function: str, dual: bool):
    """The student's results on the instances (``wv.instances``), or a failure that says what a ``None`` from linprog
    means: ``res.fun`` and ``res.x`` are None when the linear program is infeasible (status 2) or unbounded (status 3),
    and ``float(None)`` is the TypeError the student's code then raises."""
    try:
        return wv.instances
    except TestFailure as exc:
        if "NoneType" not in str(exc):
            raise
        likely = ("unbounded (status 3) usually means the objective's sign is wrong: linprog minimises, so minimise "
                  "minus v.phi + w.psi (and negate the result); infeasible (status 2), that the constraint matrix "
                  "does not give phi_i + psi_j <= c_ij" if dual else
                  "infeasible (status 2) usually means the constraint matrix is built wrong: A_eq @ T.ravel() must "
                  "give T's row sums (= v) and column sums (= w) for T flattened row by row (check the order of the "
                  "np.kron factors); unbounded (status 3), that the objective's sign is wrong")
        raise TestFailure(f"{exc}. linprog returns None in res.fun and res.x when it finds no optimum: print "
                          f"res.status and res.message in {function}. An LP that is {likely}") from None


def _primal_hint(v):
    """Why a primal that is not optimal may be wrong, read off the fixed 2x2 example (a hint, never the points)."""
    try:
        value_ = float(v.small[0])
    except Exception:
        return ""
    if abs(value_ - 1) < 1e-6:
        return ("; on identical two-point marginals with zero cost on the diagonal it gives 1, the most expensive "
                "plan: linprog minimises, so pass the costs themselves")
    return ""


def _close_or_hint(value_, best, name, hint):
    """``checks.assert_close(value_, best, atol=1e-7)``, the hint (a full clause or "") after its message."""
    try:
        checks.assert_close(value_, best, atol=1e-7, name=name)
    except checks.CheckError as exc:
        raise checks.CheckError(f"{exc}{hint}") from None


@points(3)
def test_plan_is_an_optimal_coupling(v, ref):
    import numpy as np

    # on the seeded instances: a coupling of v and w whose cost sum C * T is the optimum (recorded from the grader's)
    wv = working(v)
    for ((_, T), (vv, w, C)), best in zip(paired(_solved(wv, "ot_primal", False), wv.inputs.instances,
                                                 "plans, one per instance"),
                                        _optima(ref), strict=True):
        name = f"the {len(vv)}x{len(w)} plan"
        checks.assert_coupling(T, vv, w, atol=1e-8, name=name)
        cost = float(np.sum(C * np.asarray(T, float)))
        assert abs(cost - best) <= 1e-7, \
            (f"{name} is a coupling, but its cost sum C*T = {cost:.6f} is above the optimum {best:.6f}: "
             f"a feasible plan is not enough, solve the linear program{_primal_hint(wv)}")


@points(1.5)
def test_value_is_the_optimum(v, ref):
    wv = working(v)
    for ((value_, _), (vv, w, C)), best in zip(paired(_solved(wv, "ot_primal", False), wv.inputs.instances,
                                                      "results, one per instance"),
                                             _optima(ref), strict=True):
        assert isinstance(value_, float), f"expected ot_primal to return the value as a float, found {type(value_).__name__}"
        _close_or_hint(value_, best, f"the OT value of the {len(vv)}x{len(w)} instance", _primal_hint(wv))


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
    hints = {-1.0: "; on a fixed 2x2 example it gives -1, minus the optimum: the sign is flipped (linprog minimises, "
                   "so minimise minus the objective and negate the result)",
             2.5: "; on a fixed 2x2 example it gives 2.5, the cost of the most expensive plan: the constraints are "
                  "phi_i + psi_j <= c_ij"}
    return hints.get(round(value_, 6), "")


@points(2.5)
def test_potentials_are_optimal(v, ref):
    import numpy as np

    # on the seeded instances: feasible potentials whose objective v.phi + w.psi, computed here from them, reaches
    # the optimal transport cost the grader computed by another route (strong duality; recorded)
    wv = working(v)
    for ((_, phi, psi), (vv, w, C)), best in zip(paired(_solved(wv, "ot_dual", True), wv.inputs.instances,
                                                        "results, one per instance"),
                                               _optima(ref), strict=True):
        k1, k2 = C.shape
        assert np.shape(phi) == (k1,) and np.shape(psi) == (k2,), \
            f"expected phi with k1 = {k1} entries and psi with k2 = {k2}, found shapes {np.shape(phi)} and {np.shape(psi)}"
        phi, psi = np.asarray(phi, float), np.asarray(psi, float)
        slack = C - phi[:, None] - psi[None, :]
        assert slack.min() > -1e-8, "the potentials violate a dual constraint phi_i + psi_j <= c_ij"
        objective = float(vv @ phi + w @ psi)
        assert abs(objective - best) <= 1e-7, \
            (f"the {k1}x{k2} potentials are feasible, but their objective v.phi + w.psi = {objective:.6f} is below "
             f"the optimal transport cost {best:.6f}: feasible potentials are not enough, maximise{_dual_hint(wv)}")


@points(1)
def test_dual_value_is_the_optimum(v, ref):
    wv = working(v)
    for ((value_, _, _), (vv, w, C)), best in zip(paired(_solved(wv, "ot_dual", True), wv.inputs.instances,
                                                         "results, one per instance"),
                                                _optima(ref), strict=True):
        assert isinstance(value_, float), f"expected ot_dual to return the value as a float, found {type(value_).__name__}"
        _close_or_hint(value_, best, f"the dual value of the {len(vv)}x{len(w)} instance", _dual_hint(wv))


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
def test_everything_is_defined(v, ref):
    assert v.defined == len(P0_NAMES), \
        f"expected every answer defined, found {v.defined} of {len(P0_NAMES)} (run every cell in order)"


# ------------------------------------------------------------------ graded from handed-in weights (in the grader)
def _no_file_in_fast_mode(v, name) -> bool:
    """Fails, earning 0, when fast mode left no ``name`` to read (it writes only a throw-away copy under artifacts/):
    these points come from the file alone, so a self-check without it must not show them earned."""
    from dgmlab import runtime

    if runtime.mode() == "fast" and name not in v.files:
        raise TestFailure(f"no {name} yet: fast mode writes none, so this test earns 0 here; train in full mode "
                          "(without DGMLAB_FAST) to write the file, then run this cell again")
    return False


def graded_generator(files, seed_of, name, *, made_by, conditional=False):
    """``(the kit's own generator with the handed-in weights ``name`` in it, the draw's seed)``, read by the grader
    from the file as handed in; else an :class:`dgmlab.artifacts.ArtifactError` saying why it earns 0."""
    import io

    from dgmlab import artifacts

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
    layout = dict(in_dim=100, widths=(128, 256, 512), embedding=(10, 10) if conditional else None,
                  name=f"the weights in {name}",
                  spec=("P3's conditional generator ([z, embedding] 110 -> 128 -> 256 -> 512 -> 784)" if conditional
                        else "P1's generator (100 -> 128 -> 256 -> 512 -> 784)"))
    return _drawing(state, layout, conditional), seed


def _drawing(state, layout: dict, conditional: bool):
    """A function of ``z`` (and ``labels``) drawing from the handed-in ``state``: graded, the grader's statement
    generator (``dgmlab.grading.hidden.hw4_gans.references.mlp_generator``, found only where the grader is installed, as
    :func:`dgmlab.probes.expected` finds the grader's references); in a student's self-check the tensors, checked
    and placed by shape, in the notebook's own ``Generator`` (``ConditionalGenerator``): the student package holds
    the layout, never the network's computation."""
    import importlib

    from dgmlab import artifacts

    try:
        grader = importlib.import_module("dgmlab.grading.hidden.hw4_gans.references")
    except ImportError:
        grader = None
    if grader is not None:
        return grader.mlp_generator(state, **layout)
    tensors = artifacts.mlp_tensors(state, **layout)
    import __main__

    kind = "ConditionalGenerator" if conditional else "Generator"
    cls = getattr(__main__, kind, None)
    if cls is None:
        raise artifacts.ArtifactError(f"run the cell that defines {kind} first: this check draws from "
                                      f"{layout['name']} with your {kind} (graded, with the statement's)")
    net = load_by_shape(cls(), tensors, f"your {kind}()").eval()
    return (lambda z, labels: net(z, labels)) if conditional else (lambda z: net(z))


def graded_draw(files, seed_of, name, *, made_by, labels=None):
    """The 100 images the grader draws from the handed-in weights ``name`` with the kit's own generator (P1's, or
    P3's conditional one when ``labels`` are given) and their near-copy report, once the file passes every check
    but the bar (else an :class:`dgmlab.artifacts.ArtifactError` saying why it earns 0)."""
    from dgmlab import artifacts

    torch = _torch()
    conditional = labels is not None
    generator, seed = graded_generator(files, seed_of, name, made_by=made_by, conditional=conditional)
    z = torch.randn(100, 100, generator=torch.Generator().manual_seed(seed))  # (100, 100)
    with torch.no_grad():
        out = generator(z, labels) if conditional else generator(z)
    x = artifacts.samples(out, name=f"the images drawn from {name}")
    return x, artifacts.require_new(x)


DASHBOARD_DRAW = "graded_draw_100.pt"  # the class dashboard shows it (dgmlab.grading.report.analysis.ARTIFACTS)


def keep_graded_draw(files, seed_of, keep) -> None:
    """Leave the grader's draw of 100 images from the handed-in baseline weights (the graded draw, copies or not)
    for the class dashboard through the judge's ``keep(name, bytes)``; nothing where the judge offers no ``keep``
    or the file cannot be drawn from (the cell's tests say why). Never raises: it decides no points."""
    import io

    if keep is None:
        return
    try:
        from dgmlab import artifacts

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
    from dgmlab import metrics

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
def test_saved_generator_draws_100_new_images(v, ref):
    from dgmlab import metrics

    keep_graded_draw(v.files, v.seed_of, ref.keep)  # graded: the class dashboard's copy (nothing kept while you work)
    _no_file_in_fast_mode(v, BASELINE_FILE)
    x, report = graded_draw(v.files, v.seed_of, BASELINE_FILE, made_by="the training cell of the P1 baseline")
    print("near-copy check:", report.summary())
    score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
    assert score >= FILE_POINT_SCORE, \
        (f"the 100 new images score {score:.2f} on the MNIST classifier, below {FILE_POINT_SCORE:g} (an untrained "
         f"generator scores 1.0): hand in the weights your full training run writes")


@points(2)
def test_mnist_classifier_score_above_the_bar(v, ref):
    from dgmlab import metrics

    _no_file_in_fast_mode(v, BASELINE_FILE)
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
def test_saved_generator_draws_100_new_labelled_images(v, ref):
    from dgmlab import metrics

    _no_file_in_fast_mode(v, CGAN_FILE)
    y = _cgan_labels()
    x, report = graded_draw(v.files, v.seed_of, CGAN_FILE, made_by="the training cell of the conditional GAN", labels=y)
    print("near-copy check:", report.summary())
    correct = int((metrics.mnist_predict(x, scale="[-1,1]") == y).sum())
    assert correct >= FILE_POINT_ACCURACY * len(y), \
        (f"{correct} of the 100 new images show the digit they were drawn for, fewer than "
         f"{FILE_POINT_ACCURACY:.0%} (an untrained generator: about 10%): hand in the weights your full training run "
         f"writes, trained with [z, e(y)], noise first")


@points(2)
def test_conditional_accuracy_above_the_bar(v, ref):
    from dgmlab import metrics

    _no_file_in_fast_mode(v, CGAN_FILE)
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
            "json": json, "xlogy": xlogy, "checks": checks, "EXPERIMENTS": EXPERIMENTS, "FULL_EPOCHS": FULL_EPOCHS,
            "RESULTS_FILE": RESULTS_FILE, "value": value, "BASELINE_FILE": BASELINE_FILE, "CGAN_FILE": CGAN_FILE,
            "measured_results": measured_results, "keep_graded_draw": keep_graded_draw, "MEASURE_N": MEASURE_N,
            "load_by_shape": load_by_shape, "assert_trainable": assert_trainable,
            
            "paired": paired, "CGAN_LABELS": LABELS, "CGAN_OTHER_LABELS": OTHER_LABELS,
            # P2.1: each experiment's networks against the statement's, built by the grader
            "STATEMENT_EXPERIMENTS": STATEMENT_EXPERIMENTS,
            # P2.2: train_gan's history and parameters against the grader's replay of the statement's schedule
            "HIDDEN_RUNS": HIDDEN_RUNS, "run_of": run_of, "assert_fresh_standard_noise": assert_fresh_standard_noise}


CHECKS = [
    CheckSpec("p1_generator_tests", 5, 2, ("Generator",),
              visible=(test_generator_is_the_statements_network, test_latent_dim_and_widths_are_used,
                       test_saturates_like_a_tanh),
              probe=_on_working(_generator_probe), inputs=_with_working(_generator_inputs)),
    CheckSpec("p1_discriminator_tests", 5, 2.25, ("Discriminator",),
              visible=(test_one_logit_per_image_for_both_input_shapes, test_widths_argument_is_used),
              probe=_on_working(_discriminator_probe), inputs=_with_working(_discriminator_inputs)),
    CheckSpec("p1_losses_tests", 4, 2, ("discriminator_loss", "generator_loss"),
              visible=(test_scalar_tensors_that_keep_the_graph, test_zero_logits_give_log_two_per_term,
                       test_finite_and_right_at_logits_of_30),
              probe=_losses_probe, inputs=_losses_inputs),
    CheckSpec("p1_d_step_tests", 3, 1.25, ("discriminator_step", "discriminator_loss"),
              visible=(test_d_step_returns_a_float, test_d_step_returns_the_loss_of_this_batch,
                       test_d_step_leaves_the_generator_untouched, test_old_gradients_cleared),
              probe=_on_working(_d_step_probe), inputs=_with_working(_step_inputs(14))),
    CheckSpec("p1_g_step_tests", 3, 2, ("generator_step", "generator_loss"),
              visible=(test_g_step_returns_a_float, test_moves_the_generator,
                       test_returns_the_non_saturating_loss_of_this_batch),
              probe=_on_working(_g_step_probe), inputs=_with_working(_step_inputs(15))),
    CheckSpec("p2_make_gan_tests", 3, 1.75, ("make_gan",),
              visible=(test_baseline_generator_is_p1s, test_baseline_discriminator_and_d_steps_are_p1s,
                       test_deep_discriminator_adds_a_layer),
              probe=_make_gan_probe, inputs=_with_working(_make_gan_inputs)),
    CheckSpec("p2_train_gan_tests", 3, 1.5, ("train_gan",),
              visible=(test_history_lists_per_update, test_players_alternate_discriminator_first,
                       test_generator_update_follows_d_steps_discriminator_updates),
              probe=_train_gan_probe, inputs=_with_working(_train_gan_inputs)),
    CheckSpec("p2_baseline_samples_tests", 3, 0, (),
              visible=(test_saved_generator_draws_100_new_images, test_mnist_classifier_score_above_the_bar),
              files=(BASELINE_FILE,)),
    CheckSpec("p3_cond_generator_tests", 4, 1.5, ("ConditionalGenerator",),
              visible=(test_conditional_generator_is_the_statements_network, test_the_label_changes_the_image),
              probe=_on_working(_cond_generator_probe), inputs=_with_working(_cond_inputs)),
    CheckSpec("p3_cond_discriminator_tests", 4, 1.5, ("ConditionalDiscriminator",),
              visible=(test_one_logit_per_image, test_the_label_changes_the_logit),
              probe=_on_working(_cond_discriminator_probe), inputs=_with_working(_cond_inputs)),
    CheckSpec("p3_cgan_steps_tests", 4, 2.5,
              ("cgan_discriminator_step", "cgan_generator_step", "discriminator_loss", "generator_loss"),
              visible=(test_return_floats, test_discriminator_loss_uses_the_batch_labels,
                       test_generator_loss_uses_the_requested_labels),
              probe=_on_working(_cgan_probe), inputs=_with_working(_cgan_inputs)),
    CheckSpec("p3_cgan_samples_tests", 3, 0, (),
              visible=(test_saved_generator_draws_100_new_labelled_images, test_conditional_accuracy_above_the_bar),
              files=(CGAN_FILE,)),
    CheckSpec("p4a_tests", 5, 3.5, ("V_point", "D_star", "second_derivative", "D_star_pi"),
              visible=(test_expressions_and_symbols, test_D_star_is_a_stationary_point_of_V_point,
                       test_D_star_pi_tends_to_one_when_every_image_is_real), inputs=_p4a_inputs),
    CheckSpec("p4b_tests", 5, 3.5, ("C_point", "virtual_criterion", "js_divergence"),
              visible=(test_types, test_equal_distributions, test_disjoint_supports_give_log_two),
              probe=_p4b_probe, inputs=_p4b_inputs),
    CheckSpec("p5_ot_primal_tests", 7, 2.5, ("ot_primal",),
              visible=(test_plan_is_an_optimal_coupling, test_value_is_the_optimum),
              probe=_on_working(_primal_probe), inputs=_with_working(_instances_primal)),
    CheckSpec("p5_ot_dual_tests", 7, 3.5, ("ot_dual",),
              visible=(test_potentials_are_optimal, test_dual_value_is_the_optimum),
              probe=_on_working(_dual_probe), inputs=_with_working(_instances_dual)),
    CheckSpec("p0_tests", 1, 0.75, P0_NAMES, visible=(test_everything_is_defined,), probe=_p0_probe,
              inputs=_p0_inputs, files=(RESULTS_FILE, BASELINE_FILE, CGAN_FILE)),
]
