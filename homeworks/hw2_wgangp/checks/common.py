"""hw2_wgangp's checks: what several parts share (see __init__.py).

The notebook's symbols and toy networks (the P1-P5 probes drive the student's code with them), the kit's given
MNIST generator (P5(g) loads the handed-in weights into it), P1(c)/P2(c)'s objective probe, and P5(a)/P6(a)'s
networks with weights drawn by role.
"""
from __future__ import annotations

import functools
import math

from dgmlab.probes import WORKING_SEED, _np, _sp, _torch, asserts, attempt, on_working, usable, working  # lazy imports
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points


def symbols() -> dict:
    """The notebook's fixed symbols (its locked cell ``symbols``)."""
    sp = _sp()
    return {"t": sp.Symbol("t", real=True), "s": sp.Symbol("s", negative=True), "u": sp.Symbol("u", positive=True)}


def _rng(seed: int, salt: int):
    return _np().random.default_rng([int(seed) % 2**63, salt])


def normals(x):
    """The two 1-D Gaussians p, q of the P1(c)/P2(c) checks, from the inputs ``x``."""
    torch = _torch()
    f64 = dict(dtype=torch.float64)
    p = torch.distributions.Normal(torch.tensor(x["p_mean"], **f64), torch.tensor(x["p_std"], **f64))
    q = torch.distributions.Normal(torch.tensor(x["q_mean"], **f64), torch.tensor(x["q_std"], **f64))
    return p, q


def random_metric_problem(rng, n, zeros_in_r=0):
    """A random metric cost (distances between points in the plane) and three histograms p, q, r."""
    np = _np()
    pts = rng.normal(size=(n, 2))
    C = np.linalg.norm(pts[:, None] - pts[None, :], axis=-1)
    p, q, r = (rng.random(n) + 0.05 for _ in range(3))
    r[:zeros_in_r] = 0.0
    return C, p / p.sum(), q / q.sum(), r / r.sum()


@functools.lru_cache(maxsize=None)
def _toy_classes():
    torch = _torch()
    nn = torch.nn

    class ToyLinearCritic(nn.Module):
        """D(x) = <w, x> + b on flattened inputs (the notebook's toy, its weights given)."""

        def __init__(self, w):
            super().__init__()
            self.w = nn.Parameter(w.detach().clone())
            self.b = nn.Parameter(torch.zeros((), dtype=w.dtype))

        def forward(self, x):
            if x.dim() < 2 or x[0].numel() != self.w.numel():
                raise ValueError(f"the critic was given an input of shape {tuple(x.shape)}, not one of the images' "
                                 f"shape (N, ...) with {self.w.numel()} pixels each (one eps per sample, of shape "
                                 f"(N, 1, 1, 1), keeps x_hat the shape of x_real)")
            return x.flatten(1) @ self.w + self.b

    class ToyGenerator(nn.Module):
        """G(z) = z A + c reshaped to (N, 1, 3, 3) (the notebook's toy, its weights given)."""

        def __init__(self, A, c):
            super().__init__()
            self.A = nn.Parameter(A.detach().clone())
            self.c = nn.Parameter(c.detach().clone())

        def forward(self, z):
            return (z @ self.A + self.c).view(-1, 1, 3, 3)

    class BowlCritic(nn.Module):
        """D(x) = a/2 ||x - c||^2: its input gradient a (x - c) has norm a ||x - c||."""

        def __init__(self, a, c):
            super().__init__()
            self.a = nn.Parameter(torch.tensor(float(a)))
            self.c = c

        def forward(self, x):
            return 0.5 * self.a * ((x - self.c).flatten(1) ** 2).sum(1)

    class Recorder(nn.Module):
        """A critic that records the shape of each input it is given."""

        def __init__(self):
            super().__init__()
            self.seen, self.given = [], []

        def forward(self, x):
            self.seen.append(list(x.shape))
            self.given.append(x.detach().clone())
            return 0.5 * (x.flatten(1) ** 2).sum(1)

    return ToyLinearCritic, ToyGenerator, BowlCritic, Recorder


def toy_critic(w):
    return _toy_classes()[0](w)


def toy_generator(A, c):
    return _toy_classes()[1](A, c)


def toy_scores(w, x):
    """The toy linear critic's scores (its bias starts at 0): (N, *S) -> (N,)."""
    return x.flatten(1) @ w


def _direction(g, dim, norm):
    torch = _torch()
    w = torch.randn(dim, generator=g, dtype=torch.float32)
    return norm * w / w.norm()


def _randn(g, *shape):
    torch = _torch()
    return torch.randn(*shape, generator=g, dtype=torch.float32)


def _toy_gen_weights(g):
    return {"A": _randn(g, 3, 9) * 0.5, "c": _randn(g, 9) * 0.1}


# ------------------------------------------------------------------ the kit's MNIST generator (given code)
@functools.lru_cache(maxsize=None)
def _kit_networks():
    """The notebook's given ResidualBlock and Generator (locked cell p5_framework), for P5(g)'s preview in
    the student's kernel; the grader's hidden and visible tests load the weights into this copy, never into
    a class from the kernel (tests/probes/test_hw2_wgangp.py checks it is the locked cell's network)."""
    torch = _torch()
    nn, F = torch.nn, torch.nn.functional

    class ResidualBlock(nn.Module):
        def __init__(self, in_channels, out_channels=None, stride=1, batchnorm=True):
            super().__init__()
            out_channels = out_channels or in_channels
            self.stride, self.batchnorm = stride, batchnorm
            self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=not batchnorm)
            self.bn1 = nn.BatchNorm2d(out_channels) if batchnorm else nn.Identity()
            self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=not batchnorm)
            self.bn2 = nn.BatchNorm2d(out_channels) if batchnorm else nn.Identity()
            if stride == 1 and in_channels == out_channels:
                self.skip = nn.Identity()
            else:
                self.skip = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)

        def forward(self, x):
            h = F.relu(self.bn1(self.conv1(x)))
            h = self.bn2(self.conv2(h))
            return F.relu(h + self.skip(x))

    class Generator(nn.Module):
        def __init__(self, seed_dim=SEED_DIM, capacity=128):
            super().__init__()
            self.capacity = capacity
            self.embed = nn.Linear(seed_dim, capacity * 7 * 7, bias=False)
            self.embed_bn = nn.BatchNorm2d(capacity)
            self.blocks = nn.Sequential(*[ResidualBlock(capacity) for _ in range(3)])
            self.upsample = nn.Sequential(
                nn.Upsample(scale_factor=4, mode="bilinear", align_corners=False),
                nn.Conv2d(capacity, capacity, 3, padding=1, bias=False),
                nn.BatchNorm2d(capacity), nn.ReLU())
            self.to_image = nn.Conv2d(capacity, 1, 3, padding=1, bias=False)
            self.pixel_bias = nn.Parameter(torch.zeros(1, 28, 28))

        def forward(self, z):
            h = F.relu(self.embed_bn(self.embed(z).view(-1, self.capacity, 7, 7)))
            h = self.upsample(self.blocks(h))
            return torch.sigmoid(self.to_image(h) + self.pixel_bias)

    return ResidualBlock, Generator


SEED_DIM = 128


def given_mnist_generator(capacity=32):
    """The kit's MNIST Generator (the notebook's given network) at ``capacity``."""
    return _kit_networks()[1](capacity=capacity)


def _modules_of(model, cls):
    return [m for m in model.modules() if isinstance(m, cls)]


# ------------------------------------------------------------------ visible tests: recorded values on the working seed
# Converted cells: dgmlab.probes.with_working, on_working and working (what their visible tests compare with).
def _on_working(probe):
    return on_working(probe, own_rng=True)  # see on_working: the kernel's random state is kept


# ------------------------------------------------------------------ P1(b), P2(b)
def _conjugate_inputs(seed, salt, low, high):
    rng = _rng(seed, salt)
    return {"points": [round(float(x), 6) for x in rng.uniform(low, high, size=3)]}


def _conjugate_at(expr, symbol, value, name):
    sp = _sp()
    found = asserts.subs_by_name(expr, {symbol: sp.Float(value, 15)}, name)  # a fresh sp.Symbol("t") is t
    if found.free_symbols:
        raise AssertionError(
            f"expected a number at {symbol} = {value:g}, found {found}: {name} still contains "
            f"{sorted(map(str, found.free_symbols))} (substitute the maximising u back into {symbol}*u - f(u))")
    return complex(sp.N(found))


def _conjugate_at_points(v, ref, name, symbol, definition, slip):
    """The student's conjugate ``name`` (an expression in the notebook's symbol ``symbol``) at the working draw's
    points against the grader's numerical supremum ``definition``; ``slip(got, value)``: a hint for a usual slip,
    or ""."""
    expr, x = getattr(v, name), symbols()[symbol]
    asserts.assert_sympy_expr(expr, name, symbols=[x])
    for value, want in zip(v.inputs.working["points"], ref["at_points"], strict=True):
        got = _conjugate_at(expr, x, value, name)
        hint = slip(got, value)
        if not abs(got - want) < 1e-7 * max(1.0, abs(want)):
            raise AssertionError(
                f"{name} at {symbol} = {value:g} is {got.real:.6g}, not {definition} found numerically{hint}")


# ------------------------------------------------------------------ P1(c), P2(c)
MC_SAMPLES = 100_000


def _objective_inputs(seed, salt):
    torch, g = _torch(), _gen(seed, salt)
    f64 = dict(dtype=torch.float64)
    x = {"p_mean": 0.0, "p_std": 1.0, "q_mean": 0.5, "q_std": 1.2}
    p, q = normals(x)
    x.update({"x100": torch.randn(100, generator=g, **f64), "grid": torch.linspace(-2, 2, 5, **f64),
              "x_p": x["p_mean"] + x["p_std"] * torch.randn(MC_SAMPLES, generator=g, **f64),
              "x_q": x["q_mean"] + x["q_std"] * torch.randn(MC_SAMPLES, generator=g, **f64)})
    x["critic_points"] = _critic_points(seed, salt)
    return x


def _critic_points(seed, salt):
    """Five points where the optimal critic is compared with the grader's d* (p and q are the cell's Gaussians)."""
    torch = _torch()
    return 2.5 * (2 * torch.rand(5, generator=_gen(seed, salt + 40), dtype=torch.float64) - 1)


def _objective_cell_inputs(salt):
    """P1(c)/P2(c)'s inputs, and under ``"working"`` the visible tests' own draw of the critic's points (the working
    seed's; when graded, the grading seed's: :func:`dgmlab.probes.make_inputs`)."""
    def inputs(seed):
        keys = ("p_mean", "p_std", "q_mean", "q_std")
        working = {k: v for k, v in _objective_inputs(WORKING_SEED, salt).items() if k in keys}
        return {**_objective_inputs(seed, salt), "working": {**working, "critic_points": _critic_points(WORKING_SEED, salt)}}
    return inputs


def _objective_probe(objective, optimal_critic, sign, x):
    """The student's objective and optimal critic on the inputs; ``sign``: +1 for the KL critic (positive),
    -1 for the reverse-KL one (negative)."""
    torch = _torch()
    p, q = normals(x)
    x_p, x_q = x["x_p"], x["x_q"]
    if sign > 0:
        constant, two = (lambda v: torch.ones_like(v)), torch.exp
        two_points = (torch.tensor([0.0, 1.0], dtype=torch.float64), torch.tensor([0.0, 0.0], dtype=torch.float64))
    else:
        constant, two = (lambda v: -torch.ones_like(v)), (lambda v: -torch.exp(v))
        two_points = (torch.tensor([0.0, 1.0], dtype=torch.float64), torch.tensor([0.0, 2.0], dtype=torch.float64))
    d_star = attempt(optimal_critic, p.log_prob, q.log_prob)

    def at(d):
        return float(objective(d, x_p, x_q))

    perturbed = [lambda v: 1.5 * d_star(v), lambda v: 0.6 * d_star(v), lambda v: d_star(v) * torch.exp(0.3 * v),
                 lambda v: sign * torch.ones_like(v)]
    w = x["working"]
    p_w, q_w = normals(w)
    at_points = attempt(lambda: optimal_critic(p_w.log_prob, q_w.log_prob)(w["critic_points"].clone()))
    return {"working": {"critic_at_points": at_points},
            "constant_critic": attempt(objective, constant, x["x100"].clone(), x["x100"].clone()),
            "two_points": attempt(lambda: float(objective(two, *two_points))),
            "critic_when_equal": attempt(lambda: optimal_critic(p.log_prob, p.log_prob)(x["grid"].clone())),
            "at_optimum": attempt(at, d_star),
            "perturbed": attempt(lambda: [at(d) for d in perturbed])}


def _critic_at_points(v, ref, name, inverted, why):
    """The student's d* at the working draw's points against the grader's; ``inverted``: what the usual slip (the
    density ratio upside down) computes, and ``why``: where the right ratio comes from."""
    w = working(v)
    got = w.critic_at_points
    asserts.assert_tensor(got, f"{name}(log_p, log_q)(x)", shape=(5,))
    want = ref["critic_at_points"]
    if _allclose(got, want):
        return
    hint = f": that is {inverted}, the density ratio upside down ({why})" if _allclose(got, 1 / want) else ""
    raise AssertionError(f"at five points x (p = N(0, 1), q = N(0.5, 1.2^2)) {name}(log_p, log_q)(x) is not the "
                         f"critic that maximises the objective{hint}")


def _allclose(a, b):
    torch = _torch()
    a = torch.as_tensor(a, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b.to(torch.float64), rtol=1e-6, atol=1e-9))


# ------------------------------------------------------------------ P5(a), P6(a): the networks
# The checks put weights drawn from the grader's seed into the student's network and compare what it computes with
# what the grader's own network computes from the same weights and inputs. Weights are assigned by role, not by
# attribute name: each residual block (in module order), then each other layer by its type and rank (the first
# Conv2d outside the blocks, the first Linear, ...), then the network's own parameters (a per-pixel bias). So a
# network built as the statement says gets the grader's weights whatever its attributes are called.
NET_CAPACITY = 8


def roles(model, block_cls=None) -> list:
    """``[(role, tensor)]``: every parameter and floating-point buffer of ``model`` with its role (see above)."""
    out, counts = [], {}

    def rank(kind):
        counts[kind] = counts.get(kind, 0) + 1
        return counts[kind] - 1

    def visit(module, top):
        if not top and block_cls is not None and isinstance(module, block_cls):
            k = rank("block")
            out.extend((f"block#{k}.{n}", t) for n, t in [*module.named_parameters(), *module.named_buffers()])
            return
        own = [*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]
        if own:
            kind = "net" if top else type(module).__name__
            k = rank(kind)
            out.extend((f"{kind}#{k}.{n}", t) for n, t in own)
        for child in module.children():
            visit(child, False)

    visit(model, True)
    return [(r, t) for r, t in out if t.is_floating_point()]


def _drawn(role: str, shape, seed: int, salt: int):
    import zlib

    torch = _torch()
    g = torch.Generator().manual_seed((int(seed) * 1_000_003 + salt * 7919 + zlib.crc32(role.encode())) % 2**63)
    name, z = role.rsplit(".", 1)[-1], torch.randn(*shape, generator=g)
    if name == "running_var":
        return 0.5 + torch.rand(*shape, generator=g)
    if name == "running_mean" or "bias" in name:
        return 0.2 * z
    if len(shape) >= 2:
        return z / math.sqrt(max(1, math.prod(shape[1:])))
    return 1.0 + 0.2 * z  # a normalisation layer's scale


def seeded_weights(model, seed: int, salt: int, block_cls=None):
    """``model`` with every parameter and floating-point buffer drawn from ``seed`` by its role; returns ``model``."""
    torch = _torch()
    with torch.no_grad():
        for role, t in roles(model, block_cls):
            t.copy_(_drawn(role, tuple(t.shape), seed, salt))
    return model


def kit_residual_block(*args, **kwargs):
    """The notebook's given ResidualBlock (locked cell p5_framework)."""
    return _kit_networks()[0](*args, **kwargs)


def _network_inputs(seed, channels, side):
    g = _gen(seed, 6 + channels)
    cap = NET_CAPACITY
    return {"seed": int(seed), "five": _torch().rand(5, channels, side, side, generator=g),
            "six": _torch().rand(6, channels, side, side, generator=g),
            "three": _torch().rand(3, channels, side, side, generator=g),
            "block_first": _randn(g, 2, cap, side, side), "block_rest": _randn(g, 2, cap, 8, 8)}


CRITIC_SALT, BLOCK_SALT = 61, 62
# The role of the critic's embedding convolution's bias (the first Conv2d outside the blocks): the statement leaves it
# optional (the given Generator's convolutions have none, each followed by BatchNorm), so a critic with it and one
# without are each compared with the statement's critic built the same way.
EMBED_BIAS = "Conv2d#0.bias"


def has_embed_bias(found) -> bool:
    """Whether the probe found a bias in the critic's embedding convolution (``found``: its ``embed_bias`` value;
    anything but False, such as the record of a constructor that raised, counts as the statement's default)."""
    return found is not False


def _critic_probe(o, x, cls_name):
    torch = _torch()
    nn = torch.nn
    Critic, Block = o[cls_name], o["ResidualBlock"]
    seed = x["seed"]

    def made():
        return seeded_weights(Critic(capacity=NET_CAPACITY), seed, CRITIC_SALT, Block).train()

    def scores():
        with torch.no_grad():
            return made()(x["five"].clone())

    def one_image():
        # a batch of one keeps its batch dimension: scores (1,)
        with torch.no_grad():
            return made()(x["five"][:1].clone())

    def batchnorm():
        return [n for n, m in Critic(capacity=NET_CAPACITY).named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]

    def embed_bias():
        return any(r == EMBED_BIAS for r, _ in roles(Critic(capacity=NET_CAPACITY), Block))

    def per_sample():
        critic, batch = made(), x["six"].clone()
        with torch.no_grad():
            return critic(batch)[:2]

    def blocks():
        found = _modules_of(Critic(capacity=NET_CAPACITY), Block)
        out = []
        for i, block in enumerate(found):
            seeded_weights(block, seed, BLOCK_SALT + i)
            with torch.no_grad():
                out.append(block.eval()(x["block_first" if i == 0 else "block_rest"].clone()))
        return out

    def gradients():
        critic = made()
        inp = x["three"].clone().requires_grad_(True)
        critic(inp).sum().backward()
        return {"input": inp.grad, "parameters": {r: t.grad for r, t in roles(critic, Block) if isinstance(t, nn.Parameter)}}

    return {name: attempt(fn) for name, fn in (("scores", scores), ("one_image", one_image),
                                                ("batchnorm", batchnorm), ("per_sample", per_sample),
                                                ("blocks", blocks), ("gradients", gradients),
                                                ("embed_bias", embed_bias))}


def _fork(seed, fn, *args):
    """``fn(*args)`` with torch's global generator seeded from ``seed`` and put back afterwards: building the
    student's networks draws their initial weights from it, and the cells after this one must see the same state
    whatever was built here."""
    torch = _torch()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) % 2**63)
        return fn(*args)


def _block_outputs(v, count):
    found = v.batchnorm
    if found:
        raise AssertionError(
            f"expected no BatchNorm in the critic, found {found}: BatchNorm mixes the samples of a batch, so the "
            f"per-sample gradient penalty loses its meaning (use ResidualBlock(..., batchnorm=False))")
    out = v.blocks
    if not isinstance(out, list):
        raise AssertionError("the critic's residual blocks could not be run on a batch of images")
    if len(out) != count:
        raise AssertionError(
            f"expected the critic to be built from {count} ResidualBlock modules, found {len(out)} (make the blocks "
            f"with the given ResidualBlock class)")
    return out


def _same_as_the_given_block(got, x, i, want, what):
    # ``want``: what the statement's block (the given ResidualBlock with its stride, no BatchNorm) gave with the
    # check's weights on the working seed's map, recorded by the grader
    torch = _torch()
    shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
    if shape != tuple(want.shape):
        raise AssertionError(
            f"{what}: on a {tuple(x['block_first' if i == 0 else 'block_rest'].shape[-2:])} map it gives shape {shape}, "
            f"not {tuple(want.shape)} (its stride?)")
    asserts.assert_close(got, want, rtol=1e-4, atol=1e-5,
                        name=f"{what}, given the same weights as the given block (its stride, batchnorm=False?)")


def _block_tests(cell: str, first: float, rest: float) -> tuple:
    """The visible tests of a critic cell (``cell``: P5's MNIST and P6's CIFAR-10 critics share them) whose residual
    blocks must give what the given blocks give: the first (stride 4), worth ``first`` points, and the three after it,
    worth ``rest``."""
    @points(first)
    def test_first_block_downsamples_by_four(v, ref):
        w = working(v)
        out, want = _block_outputs(w, 4), ref["blocks"]
        _same_as_the_given_block(out[0], w.inputs, 0, want[0], "the first residual block (stride 4, no BatchNorm)")

    @points(rest)
    def test_four_residual_blocks(v, ref):
        w = working(v)
        out, want = _block_outputs(w, 4), ref["blocks"]
        for i in (1, 2, 3):
            _same_as_the_given_block(out[i], w.inputs, i, want[i], f"residual block {i + 1} (stride 1, no BatchNorm)")

    return test_first_block_downsamples_by_four, test_four_residual_blocks


_CRITIC_SLIPS = (  # what a usual slip gives with the check's weights (recorded by the grader), and what to say
    ("mean_pool", "the head reads the mean over spatial positions; the statement's head reads their sum"),
    ("no_relu", "the ReLU after the first convolution is missing"),
    ("leaky_relu", "that is a leaky ReLU after the first convolution; the statement's is a ReLU"))


def _scores_test(cell: str, weight: float, network: str):
    """The visible test of a critic cell whose scores, with the check's weights, must be the statement's critic's."""
    @points(weight)
    def test_scores_given_the_same_weights(v, ref):
        torch, w = _torch(), working(v)
        got, want = w.scores, stated_critic(w, ref)
        asserts.assert_tensor(got, f"the scores of {network}", shape=(5,))
        # the statement's (N,) holds for every N: a batch of one image gives one score, of shape (1,)
        asserts.assert_tensor(w.one_image, f"the scores of {network} on a batch of one image (N = 1)", shape=(1,))
        if bool(torch.allclose(got, want["scores"], rtol=1e-4, atol=1e-4)):
            return
        hint = next((f": {say}" for name, say in _CRITIC_SLIPS
                     if bool(torch.allclose(got, want[name], rtol=1e-4, atol=1e-4))), "")
        raise AssertionError(f"given the same weights, the scores of {network} on five images are not those of the "
                             f"critic described in the statement{hint}")

    return test_scores_given_the_same_weights


def stated_critic(w, ref):
    """What the statement's critic gave on the working draw (``ref``), built with or without the embedding's bias as
    the student's is (``w``: the probe's working values)."""
    return ref if has_embed_bias(w.embed_bias) else ref["without_embed_bias"]


_LAYERS = {"Conv2d#0": "the first convolution", "Linear#0": "the linear head"}  # roles outside the blocks, in words


def _layers_differ(network: str, got: set, want: set) -> str:
    """Why ``network``'s parameter roles ``got`` are not the statement's critic's ``want``: a bias named when that is
    the difference."""
    missing, extra = sorted(want - got), sorted(got - want)
    biases = [r for r in missing + extra if r.endswith(".bias") and r.rsplit(".", 1)[0] in _LAYERS]
    if biases and len(biases) == len(missing) + len(extra):
        layer = _LAYERS[biases[0].rsplit(".", 1)[0]]
        if biases[0] in missing:
            return f"{layer} of the critic described here has a bias and that of {network} has none (bias=False?)"
        return f"{layer} of {network} has a bias and that of the critic described here has none"
    return (f"{network} has {len(got)} parameter tensors, the critic described here {len(want)}: use exactly these "
            f"layers (the residual blocks in this order, the convolution, the linear layer)")


_SAME_GRADIENTS = ("given the same weights, your critic must give the scores, and the gradients, of the critic "
                   "described here")  # the statement's words (P5(a))


def _gradients_test(weight: float, network: str):
    """The visible test of a critic cell whose parameters' gradients, with the check's weights, must be the statement's
    critic's (its cell's recorded ``gradient_norms``)."""
    @points(weight)
    def test_every_parameter_gets_the_stated_gradient(v, ref):
        # the gradient of the scores' sum on three images with respect to each parameter (by role), with the check's
        # weights, against the statement's critic's: the norms the grader computed on the same draw
        found = usable(f"the gradients of {network}'s parameters", working(v).gradients)
        got = found.get("parameters") if isinstance(found, dict) else None
        if not isinstance(got, dict):
            raise AssertionError(f"the scores of {network} could not be differentiated with respect to its parameters")
        want = stated_critic(working(v), ref)["gradient_norms"]
        missing = sorted(role for role, grad in got.items() if grad is None)
        if missing:
            raise AssertionError(
                f"{len(missing)} parameters of {network} get no gradient from its scores (first: {missing[0]}): "
                f"{_SAME_GRADIENTS} (a layer defined but not used, or features detached?)")
        if set(got) != set(want):
            raise AssertionError(_layers_differ(network, set(got), set(want)))
        for role, grad in sorted(got.items()):
            norm = float(grad.norm())
            if not abs(norm - want[role]) <= 1e-3 * max(1.0, want[role]):
                raise AssertionError(
                    f"given the same weights, the gradient of the scores of {network} in {role} differs: {_SAME_GRADIENTS}")

    return test_every_parameter_gets_the_stated_gradient


# ------------------------------------------------------------------ P5(d), P5(e): what the grader's references share
OPT_STEPS = 3  # the steps the optimisers' probe takes (P5(d)); the references take as many
STEP_LR = 1e-2  # the learning rate of the steps' probe (P5(e)); the references step with it too


DRAW_CHUNK = 100  # rows the generator, then the MNIST classifier, run on at once for a graded file's 1,000
# samples: the same results as all at once, with less memory (500 at once in the classifier: up to 130 MB more)


def generate_in_chunks(generator, z, chunk: int = DRAW_CHUNK):
    """``generator(z)`` computed ``chunk`` rows of ``z`` at a time and concatenated: the same images (the graded
    generator is in eval mode, so each row's image depends on that row alone; the grader's tests check the two agree
    bit for bit), with a tenth of the intermediate activations of 1,000 rows at once (about 300 MiB for hw2's
    Generator(capacity=32)), which kept a grading above Gradescope's default memory."""
    torch = _torch()
    return torch.cat([generator(z[i:i + chunk]) for i in range(0, len(z), chunk)])
