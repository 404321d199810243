"""hw5_explicit P1 (p1_masked_cnn_inpainting): masked convolutions, the PixelCNN, its NLL, inpainting and the
trained weights file; each cell's inputs, probe, visible tests and CheckSpec."""
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

from .common import (
    P1_WEIGHTS_FILE,
    NotAsStated,
    _assert_causal,
    _assert_names,
    _detached,
    _file_from_full_mode,
    _file_network,
    _gradients_reach,
    _maybe,
    _seeded,
    _state_names,
    _stated,
    _training_digits,
    _without_gradient,
    as_stated,
    pixel_accuracy,
)

# ====================================================================== P1: masked convolution
# The visible checks compare the 5x5 layers with what the convolutions with the statement's printed masks gave on
# the working inputs (recorded with the kit); every other size (3x3, 7x7) is the hidden tests' to compare.
CONV_CASES = (("A", 3), ("B", 3), ("A", 5), ("B", 5), ("A", 7), ("B", 7))


def _p1_conv_inputs(seed):
    """Grader-seeded weights for a layer of each (mask type, size), two sets each (the second is loaded after a first
    forward pass: the mask must act on weights that change), and a 3-channel image batch."""
    torch, g = _torch(), _gen(seed, 51)
    out = {"x": torch.randn(2, 3, 9, 9, generator=g)}
    for kind, k in CONV_CASES:
        out[f"w_{kind}{k}"] = [torch.randn(2, 3, k, k, generator=g) / k for _ in range(2)]
        out[f"b_{kind}{k}"] = torch.randn(2, generator=g)
    return out


def _load_conv(layer, weight, bias):
    torch = _torch()
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


def _p1_conv_probe(o, x):
    """The student's MaskedConv2d(kind, 3, 2, k) with the grader's weights and bias in it, on the grader's images:
    its output, then its output once the second set of weights is copied in (same layer)."""
    torch, cls = _torch(), o["MaskedConv2d"]

    def outputs(kind, k):
        first, second = x[f"w_{kind}{k}"]
        layer = _load_conv(cls(kind, 3, 2, k), first, x[f"b_{kind}{k}"])
        with torch.no_grad():
            before = _detached(layer(x["x"].clone()))
            _load_conv(layer, second, x[f"b_{kind}{k}"])
            return [before, _detached(layer(x["x"].clone()))]

    def without_gradient():
        layer = _load_conv(cls("B", 3, 2, 5), x["w_B5"][0], x["b_B5"])
        return _without_gradient(layer, layer(x["x"].clone()))

    return {**{f"out_{kind}{k}": attempt(outputs, kind, k) for kind, k in CONV_CASES},  # state: what a file holds
            "without_gradient": attempt(_stated, without_gradient), "state": attempt(lambda: _state_names(cls("B", 3, 2, 5)))}


def _conv_matches(v, ref, kind, which):
    torch, w = _torch(), working(v)
    got = getattr(w, f"out_{kind}5")
    if not (isinstance(got, list) and len(got) == 2):
        raise AssertionError(f"MaskedConv2d('{kind}', 3, 2, 5) did not answer twice")
    out = got[which]
    asserts.assert_tensor(out, f"MaskedConv2d('{kind}', 3, 2, 5)(x) (pad by kernel_size // 2)", shape=(2, 2, 9, 9))
    want = ref[f"out_{kind}5"][which]
    if torch.allclose(out, want, rtol=1e-4, atol=1e-5):
        return
    x = w.inputs
    plain = torch.nn.functional.conv2d(x.x, x[f"w_{kind}5"][which], x[f"b_{kind}5"], padding=2)
    # masks A and B differ only at the centre tap: the convolution with that tap alone (1x1, no bias) tells them apart
    centre = torch.nn.functional.conv2d(x.x, x[f"w_{kind}5"][which][:, :, 2:3, 2:3])
    other = "B" if kind == "A" else "A"
    hint = ""
    if torch.allclose(out, plain, rtol=1e-4, atol=1e-5):
        hint = (": it equals the unmasked convolution, so the mask does not act on these weights (multiply the "
                "weight by the mask in forward, not once at construction)")
    elif torch.allclose(out, want + centre if kind == "A" else want - centre, rtol=1e-4, atol=1e-5):
        hint = (f": it equals the convolution with mask {other}, which {'keeps' if kind == 'A' else 'zeroes'} the "
                f"centre tap; mask A (first layer) zeroes the centre so that a pixel does not see itself, mask B "
                f"(later layers) keeps it: are the two types swapped?")
    step = "after new weights were copied into the same layer, " if which else ""
    if not False:
        raise AssertionError(
            f"{step}MaskedConv2d('{kind}', 3, 2, 5) with weights and bias copied in should give the "
            f"convolution with the statement's 5x5 mask {kind} on every (out, in) channel pair; it is off by "
            f"up to {float((out - want).abs().max()):.3g}{hint}")


@points(1)
def test_type_A_5x5_as_printed(v, ref):
    _conv_matches(v, ref, "A", 0)


@points(1)
def test_type_B_5x5_as_printed(v, ref):
    _conv_matches(v, ref, "B", 0)


@points(1)
def test_the_mask_acts_on_new_weights(v, ref):
    # the layer keeps its mask when its weights change (as they do in training), and training can change them: the
    # output has a gradient with respect to the weight and the bias
    _conv_matches(v, ref, "A", 1)
    _conv_matches(v, ref, "B", 1)
    _gradients_reach(working(v).without_gradient, "MaskedConv2d('B', 3, 2, 5)", "the weight and the bias")
    # the mask is a buffer named mask: it is saved with the weights and follows the layer in .to(device)
    _assert_names(working(v).state, ("weight", "bias", "mask"),
                  "MaskedConv2d('B', 3, 2, 5)", "keep the mask in a buffer (register_buffer) named mask, of shape "
                  "(1, 1, kernel_size, kernel_size), so that it is saved and loaded with the weights and moves with "
                  "the layer in .to(device)")


# ---------------------------------------------------------------------- P1 model
# The graded networks get grader-seeded parameters, copied in the order model.parameters() gives them (the
# order the docstring's layers register theirs); their logits on seeded images are compared with the grader's.
P1_SMALL = (4, 2, 3)   # PixelCNN(channels, n_layers, kernel_size) of the small checks


def stated_pixelcnn_shapes(channels=64, n_layers=5, kernel_size=7):
    """The parameter shapes of PixelCNN(channels, n_layers, kernel_size) as its docstring states the layers, in order."""
    shapes = [(channels, 1, 7, 7), (channels,)]
    for _ in range(n_layers):
        shapes += [(channels, channels, kernel_size, kernel_size), (channels,)]
    return shapes + [(1, channels, 1, 1), (1,)]


def _seeded_params(g, shapes, upper_only):
    """One tensor per shape: weights N(0, 1/fan_in), biases N(0, 0.1^2). ``upper_only``: the k x k weights are zero
    from the centre row down (taps every mask of either type keeps, so the logits need no mask to compute)."""
    torch = _torch()
    out = []
    for shape in shapes:
        if len(shape) == 1:
            out.append(torch.randn(shape, generator=g) * 0.1)
            continue
        w = torch.randn(shape, generator=g) * (2.0 / (shape[1] * shape[2] * shape[3])) ** 0.5
        if upper_only and shape[-1] > 1:
            w[..., shape[-2] // 2:, :] = 0.0
        out.append(w)
    return out


def _p1_model_inputs(seed):
    torch, g = _torch(), _gen(seed, 53)

    def coin(*shape):
        return torch.bernoulli(torch.full(shape, 0.5), generator=g)

    return {"x_small": coin(2, 1, 10, 10), "x_default": coin(1, 1, 12, 12), "seed": int(seed) % 100_000,
            "small_upper": _seeded_params(g, stated_pixelcnn_shapes(*P1_SMALL), True),
            "default_upper": _seeded_params(g, stated_pixelcnn_shapes(), True),
            "small_full": _seeded_params(g, stated_pixelcnn_shapes(*P1_SMALL), False),
            "default_full": _seeded_params(g, stated_pixelcnn_shapes(), False)}


def _load_params(model, params, what):
    torch = _torch()
    mine = list(model.parameters())
    got, want = [tuple(p.shape) for p in mine], [tuple(p.shape) for p in params]
    if got != want:
        raise NotAsStated(f"{what} has parameters of shapes {got[:4]}{' ...' if len(got) > 4 else ''} "
                         f"({len(got)} tensors); the layers the docstring states have {want[:4]}"
                         f"{' ...' if len(want) > 4 else ''} ({len(want)}), registered in that order")
    with torch.no_grad():
        for p, value in zip(mine, params, strict=True):
            p.copy_(value)
    return model


def _p1_model_probe(o, x):
    """The student's PixelCNN, small and default, with each set of grader-seeded parameters: its logits."""
    torch, cls = _torch(), o["PixelCNN"]

    def logits(args, params, images):
        what = f"PixelCNN{tuple(args) if args else '()'}"
        model = _load_params(cls(*args), params, what)
        with torch.no_grad():
            return _detached(model(images.clone()))

    def later_changed():
        # the student's own PixelCNN(4, 2, 3), as constructed (every tap its own random weight): its logits on
        # x_small, then on x_small with every pixel at and after each of CAUSAL_PIXELS flipped
        with _seeded(x["seed"], 54):
            model = cls(*P1_SMALL)
        images = x["x_small"].clone()
        with torch.no_grad():
            outs = [_detached(model(images.clone()))]
            for i, j in CAUSAL_PIXELS:
                flipped = images.clone().flatten(1)
                flipped[:, i * 10 + j:] = 1 - flipped[:, i * 10 + j:]
                outs.append(_detached(model(flipped.view_as(images))))
        return outs

    def without_gradient():
        model = _load_params(cls(*P1_SMALL), x["small_upper"], f"PixelCNN{P1_SMALL}")
        return _without_gradient(model, model(x["x_small"].clone()))

    def state():
        with _seeded(x["seed"], 55):
            return _state_names(cls(*P1_SMALL))

    return {"without_gradient": attempt(_stated, without_gradient), "state": attempt(state),
            "small_upper": attempt(_stated, logits, P1_SMALL, x["small_upper"], x["x_small"]),
            "default_upper": attempt(_stated, logits, (), x["default_upper"], x["x_default"]),
            "small_full": attempt(_stated, logits, P1_SMALL, x["small_full"], x["x_small"]),
            "default_full": attempt(_stated, logits, (), x["default_full"], x["x_default"]),
            "later_changed": attempt(later_changed)}


def _stack_matches(v, ref, key, image_key, args):
    torch, w = _torch(), working(v)
    out = as_stated(getattr(w, key))
    shape = tuple(w.inputs[image_key].shape)
    asserts.assert_tensor(out, f"PixelCNN{args}(x) (one logit per pixel)", shape=shape)
    want = ref[key]
    if not torch.allclose(out, want, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            f"PixelCNN{args} with parameters copied in (its k x k taps above the centre row only, which every mask "
            f"keeps) should give the logits of the docstring's stack: MaskedConv2d('A', 1, channels, 7), ReLU, n_layers "
            f"x [MaskedConv2d('B', ...), ReLU], MaskedConv2d('B', channels, 1, 1); they are "
            f"{asserts.off_by(out.detach(), want)} (the layers, their order, the ReLUs or the padding differ)")


@points(1)
def test_small_stack_as_stated(v, ref):
    _stack_matches(v, ref, "small_upper", "x_small", P1_SMALL)
    _gradients_reach(working(v).without_gradient, "PixelCNN(4, 2, 3)", "every layer's weights")
    # the names a weights file holds: the stated layers in self.net, each convolution a MaskedConv2d with its mask
    _assert_names(working(v).state, tuple(_layout_pixelcnn(*P1_SMALL)), "PixelCNN(4, 2, 3)",
                  "keep the docstring's layers, every convolution a MaskedConv2d (the 1x1 output layer too), in "
                  "this order in self.net = nn.Sequential(...): the weights file is read by these names")


@points(1)
def test_default_stack_as_stated(v, ref):
    _stack_matches(v, ref, "default_upper", "x_default", "()")


@points(1.25)
def test_masks_of_the_stack_as_stated(v, ref):
    # PixelCNN(4, 2, 3) with parameters copied onto every tap: the masks decide the logits, mask A in the first
    # layer and mask B in every later one (against the grader's logits, recorded with the kit)
    torch, w = _torch(), working(v)
    out = as_stated(w.small_full)
    asserts.assert_tensor(out, "PixelCNN(4, 2, 3)(x) (one logit per pixel)", shape=tuple(w.inputs.x_small.shape))
    want = ref["small_full"]
    if not torch.allclose(out, want, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            f"PixelCNN(4, 2, 3) with parameters copied onto every tap should give the logits of the stated stack, "
            f"mask A in the first layer and mask B in every later one (the 1x1 output layer included); they are off by "
            f"up to {float((out - want).abs().max()):.3g}")


CAUSAL_PIXELS = ((0, 0), (3, 2), (6, 7), (9, 9))  # on the 10 x 10 images of x_small


@points(0.5)
def test_causal_as_a_whole(v, ref):
    # PixelCNN(4, 2, 3) as your constructor builds it: flipping the pixels at and after (i, j) in raster order must
    # leave the logits at every pixel up to (i, j) as they were
    torch = _torch()
    outs = v.later_changed
    base = outs[0]
    asserts.assert_tensor(base, "PixelCNN(4, 2, 3)(x) (one logit per pixel)", shape=(2, 1, 10, 10))
    scale = 1e-5 * (1.0 + float(base.abs().max()))
    for (i, j), out in zip(CAUSAL_PIXELS, outs[1:], strict=True):
        t = i * 10 + j
        moved = (out.flatten(1)[:, :t + 1] - base.flatten(1)[:, :t + 1]).abs().amax(dim=0)
        if float(moved.max()) > scale:
            k = int(torch.nonzero(moved > scale)[0])
            at = "that pixel itself" if k == t else f"pixel ({i}, {j}), after it"
            raise AssertionError(
                f"PixelCNN(4, 2, 3) is not causal as a whole: its logit at pixel ({k // 10}, {k % 10}) changed when "
                f"the pixels from {at} on (raster order) changed; a logit may depend only on the pixels strictly "
                f"before its own (mask A in the first layer, every later layer masked)")


# ---------------------------------------------------------------------- P1 NLL
def _p1_nll_inputs(seed):
    torch, g = _torch(), _gen(seed, 57)
    return {"logits": torch.rand(5, 1, 6, 6, generator=g) * 10 - 5,   # moderate: the confident ones are below
            "x": torch.bernoulli(torch.full((5, 1, 6, 6), 0.4), generator=g),
            "confident_logits": torch.tensor([[[[120.0, -120.0], [30.0, -30.0]]]]),
            "confident_x": torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]])}


def _p1_nll_probe(o, x):
    torch, fn = _torch(), o["bernoulli_nll"]
    return {"uniform": attempt(lambda: _detached(fn(torch.zeros(3, 1, 4, 4), torch.ones(3, 1, 4, 4)))),
            "random": attempt(lambda: _detached(fn(x["logits"].clone(), x["x"].clone()))),
            "confident": attempt(lambda: _detached(fn(x["confident_logits"].clone(), x["confident_x"].clone())))}


@points(0.5)
def test_one_value_per_image(v, ref):
    asserts.assert_tensor(v.uniform, "bernoulli_nll(logits, x) (one NLL per image: sum over C, H, W)", shape=(3,))


@points(0.75)
def test_uniform_logits_cost_log2_per_pixel(v, ref):
    nll = v.uniform.flatten()
    want = 16 * math.log(2)
    got = float(nll[0])
    hint = ""
    if abs(got - math.log(2)) < 1e-4:
        hint = ": that is the mean over the 16 pixels; sum them"
    elif abs(got + want) < 1e-4:
        hint = ": that is the log-likelihood; the NLL is its negative"
    elif abs(got - 16 * 100) < 1e-2 or not math.isfinite(got):
        hint = (": the logits were read as probabilities (logit 0 is p = 1/2, not p = 0); "
                "use binary_cross_entropy_with_logits")
    if not abs(got - want) < 1e-4:
        raise AssertionError(
            f"expected 16 log 2 = {want:.4f} nats for a 4x4 image under logit 0 (p = 1/2 per pixel), "
            f"found {got:.4f}{hint}")


@points(1)
def test_finite_for_very_large_logits(v, ref):
    # logits 120, -120, 30, -30 on pixels 0, 1, 1, 0: the first two confidently wrong (120 nats each), the last two
    # confidently right (about 1e-13 each); sigmoid(120) rounds to 1 in float32, so log(1 - p) would be -inf
    got = v.confident
    asserts.assert_tensor(got, "bernoulli_nll(logits, x) for one 2x2 image", shape=(1,))
    value, fix = float(got[0]), "work from the logits (binary_cross_entropy_with_logits, or softplus)"
    hint = (f": the statement asks for an NLL finite even for very large |logits|; sigmoid then log overflows, {fix}"
            if not math.isfinite(value) else f": each confidently wrong pixel was counted 100 nats, not 120: "
            f"binary_cross_entropy on probabilities clamps its log at -100; {fix}" if abs(value - 200.0) < 1.0 else "")
    if not (math.isfinite(value) and abs(value - 240.0) < 1e-3):
        raise AssertionError(
            f"expected 120 + 120 = 240 nats for logits (120, -120, 30, -30) on pixels (0, 1, 1, 0), found {value:.6g}{hint}")


# ---------------------------------------------------------------------- P1 inpainting
class CopyPrevious:
    """A causal toy model: pixel t is (almost surely) equal to pixel t - 1 in raster order."""

    def __call__(self, x):
        torch = _torch()
        flat = x.flatten(1)
        prev = torch.cat([torch.zeros_like(flat[:, :1]), flat[:, :-1]], dim=1)
        return (40.0 * (2 * prev - 1)).view_as(x)


class CoinFlip:
    """A toy model: every pixel is a fair coin."""

    def __call__(self, x):
        return _torch().zeros_like(x)


class Leaning:
    """A toy model: every pixel is 1 with probability sigmoid(logit), 0.8 by default (logit log 4)."""

    def __init__(self, logit=math.log(4.0)):
        self.logit = logit

    def __call__(self, x):
        return _torch().full_like(x, self.logit)


# A logit of 0.4 is probability sigmoid(0.4) = 0.599 of a 1: sampled, about 60% ones; thresholded at 1/2, all ones;
# with the logit itself taken as the probability, about 40% ones
SLIGHT_LOGIT = 0.4


class PeekNext:
    """A toy model that is not causal: pixel t is (almost surely) equal to pixel t + 1 in raster order. Inpainting
    with it shows whether the hidden pixels of x reach the canvas."""

    def __call__(self, x):
        torch = _torch()
        flat = x.flatten(1)
        nxt = torch.cat([flat[:, 1:], torch.zeros_like(flat[:, :1])], dim=1)
        return (40.0 * (2 * nxt - 1)).view_as(x)


def lower_half_hidden(n, H, W):
    visible = _torch().ones(n, 1, H, W, dtype=_torch().bool)
    visible[:, :, H // 2:] = False
    return visible


def _p1_inpaint_inputs(seed):
    torch, g = _torch(), _gen(seed, 58)

    def coin(*shape):
        return torch.bernoulli(torch.full(shape, 0.5), generator=g)

    kept_visible = lower_half_hidden(4, 6, 6)
    kept_visible[2:, :, :5] = True          # images 0 and 1 hide their lower half, images 2 and 3 their last row
    raster = coin(4, 1, 6, 6)
    raster[:2, 0, 2, 5] = 1.0               # last visible pixel on
    raster[2:, 0, 2, 5] = 0.0               # last visible pixel off
    return {"binary_x": coin(2, 1, 6, 6), "kept_x": coin(4, 1, 6, 6), "kept_visible": kept_visible,
            "irregular_x": coin(8, 1, 7, 7), "irregular_visible": torch.rand(8, 1, 7, 7, generator=g) < 0.6,
            "raster_x": raster, "seed": int(seed) % 100_000}


def _p1_inpaint_probe(o, x):
    torch, fn = _torch(), o["inpaint"]

    def run(model, xs, visible, salt):
        with _seeded(x["seed"], salt):
            try:
                return _detached(fn(model, xs.clone(), visible.clone()))
            except RuntimeError as exc:  # torch.bernoulli given a logit above 1 or below 0
                if "p_in" not in str(exc):
                    raise
                said = str(exc).split("(Could this")[0].strip().rstrip(".")[:120]  # torch's own words, less its plea
                raise RuntimeError(f"{said}: torch.bernoulli takes a probability "
                                   f"in [0, 1], and the model gives logits (turn them into probabilities with "
                                   f"torch.sigmoid)") from None

    return {"binary_out": attempt(run, CoinFlip(), x["binary_x"], lower_half_hidden(2, 6, 6), 1),
            "kept_out": attempt(run, CoinFlip(), x["kept_x"], x["kept_visible"], 2),
            "irregular_out": attempt(lambda: [run(m, x["irregular_x"], x["irregular_visible"], 3 + k)
                                              for k, m in enumerate((CoinFlip(), CopyPrevious()))]),
            "raster_out": attempt(run, CopyPrevious(), x["raster_x"], lower_half_hidden(4, 6, 6), 5),
            # the same images twice, their hidden pixels flipped the second time, with a model that peeks ahead
            "peek_out": attempt(lambda: [run(PeekNext(), xs, lower_half_hidden(4, 6, 6), 8) for xs in (
                x["raster_x"], torch.where(lower_half_hidden(4, 6, 6), x["raster_x"], 1 - x["raster_x"]))]),
            "coin_out": attempt(run, CoinFlip(), torch.zeros(64, 1, 8, 8), lower_half_hidden(64, 8, 8), 6),
            "leaning_out": attempt(run, Leaning(), torch.zeros(64, 1, 8, 8), lower_half_hidden(64, 8, 8), 7),
            "slight_out": attempt(run, Leaning(SLIGHT_LOGIT), torch.zeros(64, 1, 8, 8), lower_half_hidden(64, 8, 8), 9)}


def _assert_filled_in(out, x):
    # a hidden pixel that is still x's own in every image (2^-36 or less for a fair sampler) was never sampled
    if _torch().equal(out, x):
        raise AssertionError("inpaint handed x back unchanged: fill each hidden pixel with a sample from the model")


@points(0.5)
def test_shape_and_binary_values(v, ref):
    out = v.binary_out
    asserts.assert_tensor(out, "inpaint(...)", shape=(2, 1, 6, 6), dtype=v.inputs.binary_x.dtype)  # x's dtype
    _assert_filled_in(out, v.inputs.binary_x)
    values = sorted(set(out.unique().tolist()))
    if not set(values) <= {0.0, 1.0}:
        raise AssertionError(
            f"expected a binary image (values 0 and 1 only), found values {values[:6]} (sample with torch.bernoulli)")


@points(1)
def test_visible_pixels_are_kept(v, ref):
    # images 0 and 1 hide their lower half, images 2 and 3 only their last row
    out, x, visible = v.kept_out, v.inputs.kept_x, v.inputs.kept_visible
    asserts.assert_tensor(out, "inpaint(...)", shape=(4, 1, 6, 6))
    _assert_filled_in(out, x)
    changed = int((out[visible] != x[visible]).sum())
    if changed != 0:
        raise AssertionError(
            f"expected every visible pixel copied unchanged, found {changed} of {int(visible.sum())} changed: "
            f"a pixel hidden in one image may be visible in another, so write a sample only where "
            f"visible is False for that image")


@points(0.5)
def test_visible_pixels_never_change(v, ref):
    x, visible = v.inputs.irregular_x, v.inputs.irregular_visible          # irregular holes
    for out in v.irregular_out:
        if not (out.shape == x.shape and _torch().equal(out[visible], x[visible])):
            raise AssertionError("with irregular holes (a different set per image) inpainting changed a visible pixel")
    _assert_filled_in(v.irregular_out[0], x)  # the fair coin's draw


@points(0.5)
def test_hidden_pixels_are_samples(v, ref):
    # every pixel is 1 with probability 0.8 under the toy model: the 2,048 hidden pixels are Bernoulli(0.8) draws
    # (about 80% ones); a threshold at 1/2 makes them all 1
    torch = _torch()
    out = v.leaning_out
    asserts.assert_tensor(out, "inpaint(...)", shape=(64, 1, 8, 8))
    if not torch.equal(out[:, :, :4], torch.zeros_like(out[:, :, :4])):
        raise AssertionError("the visible upper halves (all 0) changed: only the hidden pixels are sampled")
    share = float(out[:, :, 4:].mean())
    hint = ""
    if share == 1.0:
        # the same with logit 0.4 (probability 0.599) tells a threshold (all ones) from the logit taken as the
        # probability (about 40% ones)
        slight = _maybe(v, "slight_out")
        slight_share = float(slight[:, :, 4:].mean()) if isinstance(slight, torch.Tensor) and slight.shape == out.shape \
            else None
        if slight_share is not None and 0.3 < slight_share < 0.5:
            hint = (": every hidden pixel is 1, and with logit 0.4 (probability 0.599) about 40% are, so the logit "
                    "itself was used as the probability; the model gives logits: draw each pixel with "
                    "torch.bernoulli(torch.sigmoid(logit))")
        else:
            hint = ": every hidden pixel is 1, as a threshold at 1/2 gives; draw each with torch.bernoulli"
    if not 0.74 < share < 0.86:
        raise AssertionError(
            f"with a model that gives every pixel probability 0.8 of being 1, about 80% of the hidden pixels should "
            f"be 1 (each a Bernoulli draw); found {share:.1%}{hint}")


@points(2.5)
def test_sequential_conditioning_in_raster_order(v, ref):
    # the toy model copies the previous pixel (raster order): hidden pixels sampled one at a time, each
    # conditioned on the pixels before it, all repeat the last visible one
    torch, H = _torch(), 6
    out = v.raster_out
    asserts.assert_tensor(out, "inpaint(...)", shape=(4, 1, H, H))
    hidden = out[:, 0, H // 2:]
    if not (torch.equal(hidden[:2], torch.ones_like(hidden[:2])) and torch.equal(hidden[2:], torch.zeros_like(hidden[2:]))):
        raise AssertionError(
            "with a model that copies the previous pixel, every hidden pixel should repeat the last visible one: "
            "sample one pixel at a time in raster order, each from the model run on the canvas so far "
            "(known pixels and those already sampled, never the hidden pixels of x)")
    # the statement: the hidden pixels of x must play no role. With a model that reads the next pixel, inpainting the
    # same images with their hidden pixels flipped must give the same result
    first, second = v.peek_out
    if not torch.equal(first, second):
        raise AssertionError(
            "inpaint's result changed when only the hidden pixels of x changed (with a model that reads later pixels): "
            "the hidden pixels of x must play no role, as a real user would not have them; start the canvas from the "
            "visible pixels only (the hidden ones at 0, say)")


# ---------------------------------------------------------------------- P1 weights file
def _layout_pixelcnn(channels=64, n_layers=5, kernel_size=7) -> dict:
    """``{name: shape}`` of the state dict of the PixelCNN the docstring states (self.net: the convolutions at 0, 2,
    ..., each with its weight, bias and (1, 1, k, k) ``mask`` buffer). Names and shapes only: the network that computes
    with them is the grader's (``file_pixelcnn`` of ``homeworks.hw5_explicit.hidden.references``) or, in a
    self-check, yours."""
    sizes = [(1, channels, 7)] + [(channels, channels, kernel_size)] * n_layers + [(channels, 1, 1)]
    layout = {}
    for k, (cin, cout, size) in enumerate(sizes):
        layout.update({f"net.{2 * k}.weight": (cout, cin, size, size), f"net.{2 * k}.bias": (cout,),
                       f"net.{2 * k}.mask": (1, 1, size, size)})
    return layout


P1_FILE_NETWORK = ("PixelCNN", (), "file_pixelcnn", _layout_pixelcnn)  # common._file_network's network
# The visible point's bar: a point for a file that has been trained, computed here from the file alone and with no
# likelihood formula (that answers P1; the grader's likelihood bar is in the hidden tests). The grading digits' pixels
# a PixelCNN predicts right (logit > 0 exactly where the pixel is 1) given the pixels before them: untrained, or every
# pixel black, 86.7%; copying the pixel above or to the left 93.3-93.7%; one epoch 96.4%, the full run 96.8%.
P1_VISIBLE_BAR_ACCURACY = 0.95


@points(1)
def test_p1_file_is_a_trained_pixelcnn(v, ref):
    # the file in the stated PixelCNN() (its own masks): causal, and at least 95% of 100 training digits' pixels
    # predicted right from the pixels before them
    _file_from_full_mode(v, P1_WEIGHTS_FILE)
    net = _file_network(v, P1_WEIGHTS_FILE, "the P1 training cell", P1_FILE_NETWORK)
    _assert_causal(net)
    share = pixel_accuracy(net, _training_digits(100, scale="binary"))
    if not share >= P1_VISIBLE_BAR_ACCURACY:
        raise AssertionError(
            f"the network in {P1_WEIGHTS_FILE} predicts {share:.1%} of 100 training digits' pixels from the pixels before "
            f"them (logit > 0 exactly where the pixel is 1), where a trained one predicts about 96.5% (untrained: "
            f"about 87%, the share of black pixels): hand in the file the full training run writes")


CHECKS = [
    CheckSpec("p1_masked_conv_tests", names=("MaskedConv2d",),
              visible=(test_type_A_5x5_as_printed, test_type_B_5x5_as_printed, test_the_mask_acts_on_new_weights),
              probe=on_working(_p1_conv_probe), inputs=with_working(_p1_conv_inputs)),
    CheckSpec("p1_model_tests", names=("PixelCNN",),
              visible=(test_small_stack_as_stated, test_default_stack_as_stated, test_masks_of_the_stack_as_stated,
                       test_causal_as_a_whole),
              probe=on_working(_p1_model_probe), inputs=with_working(_p1_model_inputs)),
    CheckSpec("p1_nll_tests", names=("bernoulli_nll",),
              visible=(test_one_value_per_image, test_uniform_logits_cost_log2_per_pixel,
                       test_finite_for_very_large_logits),
              probe=_p1_nll_probe, inputs=_p1_nll_inputs),
    CheckSpec("p1_inpaint_tests", names=("inpaint",),
              visible=(test_shape_and_binary_values, test_visible_pixels_are_kept, test_visible_pixels_never_change,
                       test_hidden_pixels_are_samples, test_sequential_conditioning_in_raster_order),
              probe=_p1_inpaint_probe, inputs=_p1_inpaint_inputs),
    CheckSpec("p1_weights_tests", names=(), visible=(test_p1_file_is_a_trained_pixelcnn,), files=(P1_WEIGHTS_FILE,)),
]
