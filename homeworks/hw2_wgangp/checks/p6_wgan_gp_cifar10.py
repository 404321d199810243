"""hw2_wgangp, p6_wgan_gp_cifar10: its test cells' inputs, probes, visible tests and specs (see __init__.py).

P6: the CIFAR-10 generator and critic, and the learning-rate schedule.
"""
from __future__ import annotations

from dgmlab.probes import (
    CheckSpec,
    _torch,  # lazy imports
    asserts,
    attempt,
    usable,
    with_working,
    working,
)
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import (
    BLOCK_SALT,
    NET_CAPACITY,
    SEED_DIM,
    _block_tests,
    _critic_probe,
    _fork,
    _modules_of,
    _network_inputs,
    _on_working,
    _randn,
    _rng,
    _scores_test,
    roles,
    seeded_weights,
)


def _cifar_critic_probe(o, x):
    return _fork(x["seed"], _critic_probe, o, x, "CifarCritic")
CIFAR_BLOCK_TESTS = (*_block_tests("p6_critic_tests", 0.5, 0.5), _scores_test("p6_critic_tests", 0.75, "CifarCritic"))


GENERATOR_SALT = 63


def _cifar_generator_inputs(seed):
    g = _gen(seed, 9)
    return {"seed": int(seed), "z4": _randn(g, 4, SEED_DIM), "z4_other": _randn(g, 4, SEED_DIM),
            "z2": _randn(g, 2, SEED_DIM), "block_in": _randn(g, 2, NET_CAPACITY, 8, 8),
            "image_weights": _torch().rand(4, 3, 32, 32, generator=g)}


def _cifar_generator_probe(o, x):
    return _fork(x["seed"], _cifar_generator_probe_unforked, o, x)


def _cifar_generator_probe_unforked(o, x):
    torch = _torch()
    nn = torch.nn
    Gen, Block = o["CifarGenerator"], o["ResidualBlock"]
    seed = x["seed"]

    def made():
        return seeded_weights(Gen(capacity=NET_CAPACITY), seed, GENERATOR_SALT, Block).train()

    def traced():
        # the images, what the first residual block is given (the seed map) and what the last convolution outside the
        # blocks gives (the image before its bias and squashing), in train mode (BatchNorm on the batch's statistics)
        gen, seen = made(), {}
        found = _modules_of(gen, Block)
        convs = [m for m in gen.modules() if isinstance(m, nn.Conv2d)
                 and not any(m is c for b in found for c in b.modules())]
        hooks = []
        if found:
            hooks.append(found[0].register_forward_pre_hook(lambda m, i: seen.setdefault("seed_map", i[0].detach())))
        if convs:
            hooks.append(convs[-1].register_forward_hook(lambda m, i, out: seen.__setitem__("last_conv", out.detach())))
        try:
            with torch.no_grad():
                images = gen(x["z4"].clone())
        finally:
            for h in hooks:
                h.remove()
        return {"images": images, "seed_map": seen.get("seed_map"), "last_conv": seen.get("last_conv")}

    def blocks():
        out = []
        for i, block in enumerate(_modules_of(Gen(capacity=NET_CAPACITY), Block)):
            seeded_weights(block, seed, BLOCK_SALT + i)
            with torch.no_grad():
                out.append(block.eval()(x["block_in"].clone()))
        return out

    def gradients():
        # every parameter's gradient norm for a seeded weighted sum of the images, by role, with the student's name
        gen = made()
        names = {id(t): n for n, t in gen.named_parameters()}
        images = gen(x["z4"].clone())
        shape = list(images.shape) if isinstance(images, torch.Tensor) else None
        if shape != list(x["image_weights"].shape):
            return {"images_shape": shape}
        if images.requires_grad:  # else no parameter gets a gradient
            (images * x["image_weights"]).sum().backward()
        return {"images_shape": shape, "norms": {r: [names.get(id(t), r), None if t.grad is None else float(t.grad.norm())]
                                                 for r, t in roles(gen, Block) if isinstance(t, nn.Parameter)},
                "shapes": {r: list(t.shape) for r, t in roles(gen, Block) if isinstance(t, nn.Parameter)}}

    return {name: attempt(fn) for name, fn in (("traced", traced), ("blocks", blocks), ("gradients", gradients))}


PIXEL_BIAS = "net#0.pixel_bias"  # the role (see roles) of the generator's own parameter, its per-pixel bias


@points(1.5)
def test_nine_residual_blocks(v, ref):
    # each block against what the given Generator's block gave with the check's weights on the working seed's map
    out = working(v).blocks
    if not (isinstance(out, list) and len(out) == 9):
        raise AssertionError(
            f"expected nine residual blocks in the CIFAR-10 generator, found {len(out) if isinstance(out, list) else out}")
    for i, (got, want) in enumerate(zip(out, ref["blocks"], strict=True)):
        asserts.assert_close(got, want, rtol=1e-4, atol=1e-5,
                            name=f"residual block {i + 1}, given the same weights as the given Generator's block "
                                 f"(with BatchNorm)")



@points(0.75)
def test_seed_map_is_eight_by_eight(v, ref):
    # what the first residual block is given: the seed map, c x 8 x 8 (the x4 upsampling then makes 32 x 32)
    torch = _torch()
    got, want = usable("CifarGenerator's seed map", working(v).traced)["seed_map"], ref
    shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
    if shape is None:
        raise AssertionError("CifarGenerator calls no ResidualBlock (use the given ResidualBlock)")
    if shape[1:] != tuple(want["seed_map"].shape[1:]):
        raise AssertionError(
            f"CifarGenerator gives its first residual block a map of shape {shape[1:]}, expected "
            f"{tuple(want['seed_map'].shape[1:])}: the seed map is capacity x 8 x 8 and the x4 upsampling is kept")
    asserts.assert_close(got, want["seed_map"], rtol=1e-4, atol=1e-4,
                        name="CifarGenerator's seed map, given the same weights as the given Generator (at 8 x 8)")


@points(0.5)
def test_every_generator_parameter_gets_its_gradient(v, ref):
    # a seeded weighted sum of the images is differentiated: each parameter's gradient norm against the grader's
    found = usable("the gradients of CifarGenerator's parameters", working(v).gradients)
    want = ref["gradient_norms"]
    if not isinstance(found, dict):
        raise AssertionError("CifarGenerator's images could not be differentiated with respect to its parameters")
    shape = found.get("images_shape")
    if "norms" not in found:
        raise AssertionError(
            f"CifarGenerator gives images of shape {tuple(shape) if shape else None}, not (4, 3, 32, 32) for 4 seeds: "
            f"three colours at 32 x 32")
    got = found["norms"]
    missing = [name for name, norm in got.values() if norm is None or norm == 0.0]
    if missing:
        raise AssertionError(
            f"{len(missing)} parameters of CifarGenerator get no gradient from its images (first: {missing[0]}): is the "
            f"output computed under torch.no_grad(), detached, or a layer unused?")
    if set(got) != set(want):
        raise AssertionError(
            f"CifarGenerator has {len(got)} parameter tensors, the generator described in the statement "
            f"{len(want)}: keep the given Generator's layers, with nine residual blocks")
    shapes = found.get("shapes") or {}
    for role, (name, norm) in got.items():
        hint = ""
        if role == PIXEL_BIAS and list(shapes.get(role, [])) != [3, 32, 32]:
            hint = (f": {name} has shape {tuple(shapes.get(role, ()))}, and the per-pixel bias holds one value per "
                    f"pixel and per colour channel of the 3 x 32 x 32 image")
        if not abs(norm - want[role]) <= 1e-3 * max(1.0, want[role]):
            raise AssertionError(
                f"the gradient of CifarGenerator's {name} differs from that of the generator described in the "
                f"statement{hint}")


# ------------------------------------------------------------------ P6(b): the schedule
def _schedule_inputs(seed):
    rng = _rng(seed, 15)
    custom = [(int(rng.integers(0, 10)), int(rng.integers(1, 10)), round(float(rng.uniform(0.1, 1.0)), 6),
               round(float(rng.uniform(0.001, 0.05)), 6)) for _ in range(4)]
    custom[0] = (custom[0][1], *custom[0][1:])  # one call exactly at its cut
    return {"epochs": [int(e) for e in rng.integers(0, 200, size=6)], "custom": custom}


SCHEDULE_CALLS = {"around_the_cut": [(e,) for e in (0, 40, 79, 80, 81, 99)], "long": [(199, 200), (200, 200)]}


def _schedule_probe(o, x):
    fn = o["lr_at_epoch"]

    def call(args):
        keys = ("epoch", "cut_epoch", "lr", "lr_low")
        return fn(args[0], **dict(zip(keys[1:], args[1:], strict=False)))  # the arguments a call names

    out = {name: attempt(lambda: [call(a) for a in SCHEDULE_CALLS[name]]) for name in ("around_the_cut", "long")}
    out["custom"] = attempt(lambda: [call(a) for a in x["custom"]])
    out["defaults"] = attempt(lambda: [[fn(e, cut_epoch=1000), fn(e, cut_epoch=0)] for e in x["epochs"]])
    out["random_epochs"] = attempt(lambda: [[fn(e), fn(e, cut_epoch=100 + e % 7)] for e in x["epochs"]])
    return out


@points(0.5)
def test_default_rates(v, ref):
    # before a cut that never comes, the default lr; after a cut at 0, the default lr_low (seeded epochs)
    for epoch, (before, after) in zip(v.inputs.epochs, v.defaults, strict=True):
        if not isinstance(before, float):
            raise AssertionError(f"expected a Python float, found {type(before).__name__}")
        if not abs(before - 3e-4) < 1e-15:
            raise AssertionError(
                f"expected the initial rate 3e-4 at epoch {epoch} with cut_epoch=1000, found {before:g}")
        if not abs(float(after) - 3e-5) < 1e-15:
            raise AssertionError(f"expected the low rate 3e-5 at epoch {epoch} with cut_epoch=0, found {after:g}")


@points(1)
def test_custom_rates(v, ref):
    w = working(v)
    got, wanted = w.custom, ref["custom"]
    if not (isinstance(got, list) and len(got) == len(w.inputs.custom)):
        raise AssertionError("lr_at_epoch was not run on every call")
    for (epoch, cut, lr, lr_low), value, want in zip(w.inputs.custom, got, wanted, strict=True):
        if not abs(float(value) - want) < 1e-12:
            raise AssertionError(
                f"lr_at_epoch({epoch}, cut_epoch={cut}, lr={lr:g}, lr_low={lr_low:g}) gave {float(value):g}: are lr and "
                f"lr_low used, and does the cut start at epoch cut_epoch?")


@points(2)
def test_schedule_for_other_cuts(v, ref):
    w = working(v)
    before, after = w.long
    starts = ("the cut starts at epoch cut_epoch: epochs 0 .. cut_epoch-1 use lr, and epoch cut_epoch itself already "
              "uses lr_low")
    late = abs(float(before) - 3e-4) < 1e-15 and abs(float(after) - 3e-4) < 1e-15
    if not (abs(float(before) - 3e-4) < 1e-15 and abs(float(after) - 3e-5) < 1e-15):
        raise AssertionError(
            f"with cut_epoch=200, epoch 199 must use lr and epoch 200 lr_low, found {float(before):g} and "
            f"{float(after):g}: " + (f"the cut comes one epoch late; {starts}" if late else
                                     "is the cut placed at cut_epoch, the argument, for every cut_epoch?"))
    wanted = ref["random_epochs"]
    for epoch, (_, got), want in zip(w.inputs.epochs, w.random_epochs, wanted, strict=True):
        cut = 100 + epoch % 7
        if not abs(float(got) - want) < 1e-15:
            raise AssertionError(
                f"with cut_epoch={cut}, epoch {epoch} got the rate {float(got):g}, which is wrong: {starts}")


CHECKS = [
    CheckSpec("p6_generator_tests", names=("CifarGenerator", "ResidualBlock"),
              visible=(test_nine_residual_blocks, test_seed_map_is_eight_by_eight,
                       test_every_generator_parameter_gets_its_gradient),
              probe=_on_working(_cifar_generator_probe), inputs=with_working(_cifar_generator_inputs)),
    CheckSpec("p6_critic_tests", names=("CifarCritic", "ResidualBlock"),
              visible=CIFAR_BLOCK_TESTS,
              probe=_on_working(_cifar_critic_probe), inputs=with_working(lambda seed: _network_inputs(seed, 3, 32))),
    CheckSpec("p6_schedule_tests", names=("lr_at_epoch",),
              visible=(test_default_rates, test_custom_rates, test_schedule_for_other_cuts),
              probe=_on_working(_schedule_probe), inputs=with_working(_schedule_inputs)),
]
