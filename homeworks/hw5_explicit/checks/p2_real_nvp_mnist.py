"""hw5_explicit P2 (p2_real_nvp_mnist): the logit transform, coupling layers, Real NVP, its likelihood, bits per
dimension and the trained weights file; each cell's inputs, probe, visible tests and CheckSpec."""
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
    NotAsStated,
    _close,
    _detached,
    _gradients_reach,
    _maybe,
    _returned,
    _seeded,
    _seeded_named,
    _stated,
    _without_gradient,
    as_stated,
)


# ====================================================================== P2: logit transform
# v, the inverse and the log-det are each compared with what the grader's references (the printed transform, its
# inverse, autograd's log-det of it) gave on the working inputs, recorded with the kit: no check compares two of the
# student's functions with each other (an identity "transform" with log_det 0 and an identity inverse agree with each
# other and earn nothing).
def _p2_logit_inputs(seed):
    torch, g = _torch(), _gen(seed, 61)
    return {"y35": torch.rand(3, 5, generator=g) * 0.98 + 0.01,
            "y45": torch.rand(4, 5, generator=g, dtype=torch.float64) * 0.98 + 0.01,
            "v64": torch.randn(6, 4, generator=g, dtype=torch.float64) * 4,
            "pixels": torch.randint(0, 256, (200, 10), generator=g).float() / 255, "seed": int(seed) % 100_000}


ALPHAS = (0.05, 1e-6)
TINY_Y = ((0.5, 0.2),)


def _p2_logit_probe(o, x):
    torch = _torch()
    deq, lt, inv = o["dequantize"], o["logit_transform"], o["inverse_logit_transform"]

    def shapes():
        v, log_det = lt(x["y35"].clone(), 0.05)
        return [_detached(v), _detached(log_det)]

    def transformed():
        return [[_detached(t) for t in lt(x["y45"].clone(), alpha)] for alpha in ALPHAS]

    def dequantized():
        with _seeded(x["seed"], 62):
            return [_detached(deq(x["pixels"].clone())), _detached(deq(x["pixels"].clone()))]

    return {"shapes": attempt(shapes), "transformed": attempt(transformed),
            "tiny": attempt(lambda: _detached(lt(torch.tensor(TINY_Y, dtype=torch.float64), 0.05)[1])),
            "inverse": attempt(lambda: [_detached(inv(x["v64"].clone(), a)) for a in ALPHAS]),
            "dequantized": attempt(dequantized)}


@points(0.75)
def test_v_is_the_printed_transform(v, ref):
    torch, w = _torch(), working(v)
    out, log_det = w.shapes
    asserts.assert_tensor(out, "v", shape=(3, 5))
    asserts.assert_tensor(log_det, "log_det (one value per image: sum over the coordinates)", shape=(3,))
    y = w.inputs.y45
    for (got, _), want, alpha in zip(w.transformed, ref["v"], ALPHAS, strict=True):
        asserts.assert_tensor(got, "v", shape=tuple(y.shape))
        if not torch.allclose(got.double(), want, rtol=1e-8, atol=1e-8):
            raise AssertionError(
                f"expected v = logit(alpha + (1 - 2 alpha) y) elementwise (alpha = {alpha:g}); found it "
                f"{asserts.off_by(got.double().detach(), want)}")


@points(0.75)
def test_inverse_undoes_the_printed_transform(v, ref):
    # the y that the printed transform sends to v (float64), recorded with the change of y per unit of v: your
    # inverse may be off from it by at most what moves v by 1e-6 (of its scale)
    torch, w = _torch(), working(v)
    v64, want = w.inputs.v64, ref
    for back, y, slope, alpha in zip(w.inverse, want["inverse"], want["inverse_slope"], ALPHAS, strict=True):
        asserts.assert_tensor(back, "inverse_logit_transform(v)", shape=tuple(v64.shape))
        gap = float(((back.double() - y).abs() / slope).max())
        hint = ""
        if torch.allclose(back.double(), torch.sigmoid(v64), atol=1e-9):
            hint = ": the inverse returns alpha + (1 - 2 alpha) y; undo the squashing too"
        if not gap < 1e-6 * max(1.0, float(v64.abs().max())):
            raise AssertionError(
                f"expected inverse_logit_transform(v) to be the y that logit(alpha + (1 - 2 alpha) y) sends to v in "
                f"float64 (alpha = {alpha:g}); sent through the printed transform it is off from v by about {gap:.3g}"
                f"{hint}")


@points(0.5)
def test_log_det_on_a_tiny_case(v, ref):
    # v acts coordinate by coordinate, so log|det dv/dy| is the sum of log|dv_i/dy_i|, which the grader read off
    # the printed transform by autograd
    want = ref
    got, first = float(working(v).tiny.flatten()[0]), want["tiny_first_term"]
    want = want["tiny_log_det"]
    hint = ""
    if abs(got + want) < 1e-4:
        hint = ": the log-det has the wrong sign"
    elif abs(got - want - 2 * math.log(1 / 0.9)) < 1e-4:
        hint = ": a constant factor of dv/dy is left out of the log-det"
    elif abs(got - first) < 1e-4:
        hint = ": that is one coordinate's term; sum the log-derivatives over the coordinates"
    if not abs(got - want) < 1e-6:
        raise AssertionError(
            f"log_det should be log|det dv/dy| of v = logit(alpha + (1 - 2 alpha) y), which autograd gives as "
            f"{want:.5f} at y = (1/2, 1/5), alpha = 0.05; found {got:.5f}{hint}")


@points(0.5)
def test_dequantized_values_stay_in_their_bin(v, ref):
    x = v.inputs.pixels
    y, k = v.dequantized[0], _torch().round(x * 255)
    if y.shape != x.shape:
        raise AssertionError("dequantize changed the shape")
    if not ((y >= k / 256) & (y <= (k + 1) / 256)).all():
        raise AssertionError(
            "a dequantised value left its bin: pixel value k/255 must become a value in [k/256, (k+1)/256)")
    # the docstring: u ~ Uniform[0, 1) drawn per pixel, so two calls on the same pixels differ
    again = v.dequantized[1]
    if _torch().equal(y, again):
        raise AssertionError(
            "dequantize gave the same values twice for the same pixels: y = (255 x + u) / 256 with u ~ Uniform[0, 1) "
            "drawn afresh per pixel on each call (torch.rand_like), not a fixed offset")


# ---------------------------------------------------------------------- P2 coupling layer
# The coupling and Real NVP checks put grader-seeded parameters into the student's networks by the names the
# docstrings state (s_net and t_net, each nn.Sequential(Linear, ReLU, Linear, ReLU, Linear), in self.layers for the
# flow) and hand back what they compute on the grader's inputs. The grader compares those outputs with the map the
# statement prints, evaluated on the same parameters (homeworks.hw5_explicit.hidden.references): the visible tests
# with what it gave on the working inputs, recorded with the kit (the inverse with the x it sends to z). No check
# compares two values of the student's code with each other, so a layer that ignores its networks (a constant scale
# and shift) earns nothing.
def stated_coupling_shapes(dim, hidden, prefix=""):
    """``{name: shape}`` of the parameters a CouplingLayer(dim, hidden, mask) has as its docstring states them."""
    shapes = {}
    for net in ("s_net", "t_net"):
        for i, (rows, cols) in zip((0, 2, 4), ((hidden, dim), (hidden, hidden), (dim, hidden)), strict=True):
            shapes[f"{prefix}{net}.{i}.weight"] = (rows, cols)
            shapes[f"{prefix}{net}.{i}.bias"] = (rows,)
    return shapes


def load_named(module, params, what):
    """``module`` (made float64) with each tensor of ``params`` copied into its parameter of that name; a
    NotAsStated error naming what differs when its parameters are not the stated ones."""
    torch = _torch()
    module = module.double()
    mine = dict(module.named_parameters())
    got = {n: tuple(p.shape) for n, p in mine.items()}
    want = {n: tuple(t.shape) for n, t in params.items()}
    if got != want:
        extra = sorted(set(got) - set(want))
        missing = sorted(set(want) - set(got))
        wrong = sorted(n for n in set(got) & set(want) if got[n] != want[n])
        detail = "; ".join(part for part in (
            f"not stated: {', '.join(extra[:4])}{' ...' if len(extra) > 4 else ''}" if extra else "",
            f"missing: {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}" if missing else "",
            f"other shapes: {', '.join(f'{n} {got[n]} (stated {want[n]})' for n in wrong[:3])}" if wrong else "") if part)
        raise NotAsStated(f"{what} does not have the parameters its docstring states ({detail}): s and t are "
                         f"self.s_net and self.t_net, each nn.Sequential(Linear(dim, hidden), ReLU, "
                         f"Linear(hidden, hidden), ReLU, Linear(hidden, dim))")
    with torch.no_grad():
        for name, p in mine.items():
            p.copy_(params[name])
    return module


def alternating_mask(dim):
    """The notebook's given mask helper (locked cell p2_mask_helper): a checkerboard if dim is a square, else parity."""
    torch = _torch()
    side = math.isqrt(dim)
    if side * side == dim:
        i, j = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
        return ((i + j) % 2).flatten().float()
    return (torch.arange(dim) % 2).float()


def _coupling_case(g, dim, hidden, mask, n):
    torch = _torch()
    return {"dim": dim, "hidden": hidden, "mask": mask, "params": _seeded_named(g, stated_coupling_shapes(dim, hidden)),
            "x": torch.randn(n, dim, generator=g, dtype=torch.float64),
            "z": torch.randn(n, dim, generator=g, dtype=torch.float64)}


def _random_mask(g, dim):
    """A 0/1 mask with at least one of each, drawn from ``g``."""
    torch = _torch()
    perm = torch.randperm(dim, generator=g)
    mask = torch.zeros(dim)
    mask[perm[: 1 + int(torch.randint(0, dim - 1, (1,), generator=g))]] = 1.0
    return mask


def _p2_coupling_inputs(seed):
    """Three layers with grader-seeded parameters: CouplingLayer(6, 16, mask) with a drawn mask, the D = 2 case with
    mask (1, 0), and CouplingLayer(7, 8, mask) (the hidden tests'); inputs x for forward and z for inverse."""
    torch, g = _torch(), _gen(seed, 63)
    return {"main": _coupling_case(g, 6, 16, _random_mask(g, 6), 8),
            "tiny": _coupling_case(g, 2, 4, torch.tensor([1.0, 0.0]), 4),
            "other": _coupling_case(g, 7, 8, _random_mask(g, 7), 5)}


def _p2_coupling_probe(o, x):
    """The student's CouplingLayer with each case's parameters: (z, log_det) of forward on x, and inverse on z."""
    torch, cls = _torch(), o["CouplingLayer"]

    def layer(case):
        c = x[case]
        return load_named(cls(c["dim"], c["hidden"], c["mask"].clone()), c["params"],
                          f"CouplingLayer({c['dim']}, {c['hidden']}, mask)")

    def forward(case):
        with torch.no_grad():
            z, log_det = layer(case)(x[case]["x"].clone())
        return {"z": _detached(z), "log_det": _detached(log_det)}

    def inverse(case):
        with torch.no_grad():
            return _detached(layer(case).inverse(x[case]["z"].clone()))

    def without_gradient():
        net = layer("main")
        return _without_gradient(net, net(x["main"]["x"].clone()))

    out = {"without_gradient": attempt(_stated, without_gradient)}
    for case in ("main", "tiny", "other"):
        out[f"{case}_forward"] = attempt(_stated, forward, case)
        out[f"{case}_inverse"] = attempt(_stated, inverse, case)
    return out


@points(1.5)
def test_forward_is_the_statements_map(v, ref):
    # CouplingLayer(6, 16, mask) with the grader's parameters in s_net, t_net: z is the map the statement prints
    w, want = working(v), ref
    case = w.inputs.main
    z, _ = _returned(w.main_forward, "forward(x)")
    x, keep = case["x"], case["mask"].bool()
    asserts.assert_tensor(z, "z", shape=tuple(x.shape))
    if _close(z, want["z"]):
        _gradients_reach(w.without_gradient, "CouplingLayer(6, 16, mask)", "s_net and t_net")
        return
    hint = ""
    if not _torch().allclose(z[:, keep], x[:, keep], atol=1e-12):
        hint = ": a coordinate with mask 1 was changed (those pass through)"
    elif (z[:, ~keep] - x[:, ~keep]).abs().max() < 1e-9:
        hint = ": a coordinate with mask 0 was left unchanged"
    elif _close(z, want["z_unmasked_input"]):
        hint = ": s and t see the unmasked coordinates too; feed them m * x"
    elif _close(z, want["z_no_tanh"]):
        hint = ": s has no tanh at its end"
    if not False:
        raise AssertionError(
            f"CouplingLayer(6, 16, mask) with parameters copied into s_net and t_net should give "
            f"z = m x + (1 - m)(x exp(s(m x)) + t(m x)) with s = tanh(s_net(.)); it is "
            f"{asserts.off_by(z.detach(), want['z'])}{hint}")


@points(1)
def test_log_det_is_the_statements(v, ref):
    # log|det dz/dx| = sum_i (1 - m_i) s_i(m x); for D = 2, mask (1, 0), that is s_1(x_0) alone
    w, recorded_values = working(v), ref
    for key, case, what in (("main", w.inputs.main, "CouplingLayer(6, 16, mask)"),
                            ("tiny", w.inputs.tiny, "for D = 2 with mask (1, 0), CouplingLayer(2, 4, mask)")):
        _, log_det = _returned(getattr(w, f"{key}_forward"), "forward(x)")
        n = case["x"].shape[0]
        asserts.assert_tensor(log_det, "log_det (one value per example: sum over the coordinates)", shape=(n,))
        want = recorded_values[f"{key}_log_det"]
        if _close(log_det, want):
            continue
        hint = ""
        if _close(log_det, -want):
            hint = ": that is minus the answer (sign error: the forward map's log-det is +sum of s)"
        elif _close(log_det, recorded_values[f"{key}_log_det_masked_sum"]):
            hint = ": that sums s over the masked coordinates; the log-det sums it over those with mask 0"
        if not False:
            raise AssertionError(
                f"{what} with parameters copied in should give log_det = sum over the coordinates with mask 0 of "
                f"s(m x); it is {asserts.off_by(log_det.detach(), want)}{hint}")


@points(1)
def test_inverse_undoes_the_statements_map(v, ref):
    # your inverse must give back the x that the statement's map sends to z (with the same parameters)
    w = working(v)
    back, z, want = as_stated(w.main_inverse), w.inputs.main["z"], ref["inverse"]
    asserts.assert_tensor(back, "inverse(z)", shape=tuple(z.shape))
    gap = float((back.double() - want).abs().max())
    if not gap < 1e-6:
        raise AssertionError(
            f"expected inverse(z) to be the x that the statement's map sends to z (with the same parameters); "
            f"it is off from that x by up to {gap:.3g} (the inverse subtracts t, then multiplies by exp(-s), with s "
            f"and t computed from the masked coordinates, which z shares with x)")


# ---------------------------------------------------------------------- P2 Real NVP
REALNVP_CASES = {"main": (6, 16, 4), "square": (9, 8, 3)}  # RealNVP(dim, hidden, n_coupling): parity, checkerboard


def stated_realnvp_shapes(dim, hidden, n_coupling):
    shapes = {}
    for layer in range(n_coupling):
        shapes.update(stated_coupling_shapes(dim, hidden, prefix=f"layers.{layer}."))
    return shapes


def _p2_realnvp_inputs(seed):
    """RealNVP(6, 16, 4) (parity masks) and RealNVP(9, 8, 3) (checkerboard masks; the hidden tests') with
    grader-seeded parameters in every layer's s_net, t_net; inputs x for forward and log_prob, z for inverse."""
    torch, g = _torch(), _gen(seed, 71)
    out = {}
    for case, (dim, hidden, n) in REALNVP_CASES.items():
        out[case] = {"args": (dim, hidden, n), "params": _seeded_named(g, stated_realnvp_shapes(dim, hidden, n)),
                     "x": torch.randn(5, dim, generator=g, dtype=torch.float64),
                     "z": torch.randn(5, dim, generator=g, dtype=torch.float64)}
    return out


def _p2_realnvp_probe(o, x):
    """The student's RealNVP with each case's parameters: forward, inverse, log_prob; its layers' masks and its
    layers' inverses taken in forward order (for the hints only)."""
    torch, cls = _torch(), o["RealNVP"]

    def flow(case):
        c = x[case]
        return load_named(cls(*c["args"]), c["params"], f"RealNVP{c['args']}")

    def forward(case):
        with torch.no_grad():
            z, log_det = flow(case)(x[case]["x"].clone())
        return {"z": _detached(z), "log_det": _detached(log_det)}

    def inverse(case):
        with torch.no_grad():
            return _detached(flow(case).inverse(x[case]["z"].clone()))

    def log_prob(case):
        with torch.no_grad():
            return _detached(flow(case).log_prob(x[case]["x"].clone()))

    def forward_order():  # the layers' inverses applied in forward order: a common slip, for the hint
        f, z = flow("main"), x["main"]["z"].clone()
        with torch.no_grad():
            for layer in f.layers:
                z = layer.inverse(z)
        return _detached(z)

    def without_gradient():
        f = flow("main")
        return _without_gradient(f, f(x["main"]["x"].clone()))

    out = {"masks": attempt(lambda: [_detached(layer.mask) for layer in cls(*x["main"]["args"]).layers]),
           "forward_order": attempt(_stated, forward_order), "without_gradient": attempt(_stated, without_gradient)}
    for case in REALNVP_CASES:
        out[f"{case}_forward"] = attempt(_stated, forward, case)
        out[f"{case}_inverse"] = attempt(_stated, inverse, case)
        out[f"{case}_log_prob"] = attempt(_stated, log_prob, case)
    return out


def _mask_hint(masks, n):
    torch = _torch()
    if not isinstance(masks, list):
        return ""
    if len(masks) != n:
        return f": RealNVP(6, 16, 4) should hold 4 CouplingLayers in self.layers, found {len(masks)}"
    for a, b in zip(masks, masks[1:], strict=False):
        if not torch.equal(a + b, torch.ones_like(a)):
            return ": two consecutive coupling layers do not use complementary masks"
    if not torch.equal(masks[0].float(), alternating_mask(6)):
        return ": the first layer should use alternating_mask(dim), the second its complement"
    return ""


@points(1.25)
def test_flow_is_the_stated_stack(v, ref):
    # RealNVP(6, 16, 4) with the grader's parameters in every layer: z of the docstring's stack of coupling layers
    w = working(v)
    case = w.inputs.main
    z, log_det = _returned(w.main_forward, "RealNVP.forward(x)")
    asserts.assert_tensor(z, "z", shape=(5, 6))
    asserts.assert_tensor(log_det, "log_det (one value per example)", shape=(5,))
    want = ref["z"]
    if _close(z, want):
        _gradients_reach(w.without_gradient, "RealNVP(6, 16, 4)", "every layer's s_net and t_net")
        return
    hint = _mask_hint(_maybe(w, "masks"), 4)
    if not hint and ((z - case["x"]).abs().max(dim=0).values < 1e-6).any():
        hint = ": some coordinates pass through every layer unchanged"
    if not False:
        raise AssertionError(
            f"RealNVP(6, 16, 4) with parameters copied in should give the z of its 4 CouplingLayers in order, "
            f"layer l with alternating_mask(6) if l is even and its complement if odd; it is "
            f"{asserts.off_by(z.detach(), want)}{hint}")


@points(1.25)
def test_flow_inverse_undoes_the_stated_flow(v, ref):
    torch, w = _torch(), working(v)
    back, want = as_stated(w.main_inverse), ref["inverse"]
    asserts.assert_tensor(back, "flow.inverse(z)", shape=(5, 6))
    gap = float((back.double() - want).abs().max())
    hint = ""
    other = _maybe(w, "forward_order")
    if gap >= 1e-6 and isinstance(other, torch.Tensor) and other.shape == back.shape \
            and torch.allclose(back, other, atol=1e-9):
        hint = ": the layers were undone in forward order; undo the last layer first (reversed)"
    if not gap < 1e-6:
        raise AssertionError(
            f"expected flow.inverse(z) to be the x that the stated flow (the same parameters) sends to z; it is "
            f"{asserts.off_by(back.double().detach(), want)} (from that x){hint}")


@points(1)
def test_log_prob_is_the_change_of_variables(v, ref):
    # RealNVP(6, 16, 4) with the grader's parameters: log_prob(x) = log N(z; 0, I) + log|det dz/dx|, the Gaussian's
    # normaliser -D/2 log(2 pi) included
    w = working(v)
    got, want = as_stated(w.main_log_prob), ref["log_prob"]
    asserts.assert_tensor(got, "flow.log_prob(x) (one value per example)", shape=(5,))
    gap = float((got.double() - want).abs().max())
    hint = ""
    if gap >= 1e-6 and float((got.double() - want - 3 * math.log(2 * math.pi)).abs().max()) < 1e-6:
        hint = ": that leaves out the standard normal's normaliser -D/2 log(2 pi) (D = 6)"
    if not gap < 1e-6:
        raise AssertionError(
            f"expected RealNVP(6, 16, 4).log_prob(x) with parameters copied in to be log P_w(x) of "
            f"the stated flow with a standard normal latent (Q2's density, in logs); it is {asserts.off_by(got.double().detach(), want)}{hint}")


# ---------------------------------------------------------------------- P2 log-likelihood, bits/dim
def _p2_log_prob_inputs(seed):
    torch, g = _torch(), _gen(seed, 81)
    return {"y43": torch.rand(4, 3, generator=g),
            "a": torch.rand(5, generator=g, dtype=torch.float64) + 0.5,
            "b": torch.randn(5, generator=g, dtype=torch.float64),
            "y65": torch.rand(6, 5, generator=g, dtype=torch.float64) * 0.98 + 0.01}


def _p2_log_prob_probe(o, x):
    torch, fn = _torch(), o["log_prob_data"]
    identity = lambda t: (t, torch.zeros(t.shape[0], dtype=t.dtype))  # noqa: E731
    double = lambda t: (2 * t, torch.full((t.shape[0],), math.log(2.0), dtype=t.dtype))  # noqa: E731
    a, b = x["a"], x["b"]
    affine = lambda t: ((t - b) / a, -torch.log(a).sum().expand(t.shape[0]))  # noqa: E731
    half = torch.full((1, 1), 0.5)
    return {"shape": attempt(lambda: _detached(fn(identity, x["y43"].clone(), 0.05))),
            "tiny": attempt(lambda: _detached(fn(double, half.clone(), 0.05))),
            "affine": attempt(lambda: [_detached(fn(affine, x["y65"].clone(), alpha)) for alpha in ALPHAS])}


@points(0.5)
def test_log_prob_shape(v, ref):
    asserts.assert_tensor(v.shape, "log_prob_data(...)", shape=(4,))


@points(1)
def test_tiny_case(v, ref):
    # y = 1/2 in 1-D, alpha = 0.05: v = logit(1/2) = 0, so z = 0 for the flow z = 2 v (log-det log 2); the logit
    # transform's log-det is the printed transform's (what the grader's reference gave at y = 1/2, recorded with the
    # kit), as in the hidden tests, not the one your logit_transform reports
    got = float(asserts.as_array(v.tiny, "log_prob_data(...)").flatten()[0])
    log_normal_0, log_2 = -0.5 * math.log(2 * math.pi), math.log(2.0)
    logit_log_det = ref["logit_log_det_at_half"]
    want = log_normal_0 + log_2 + logit_log_det
    if not abs(got - want) < 1e-5:
        raise AssertionError(
            f"log_prob_data is wrong for y = 1/2, alpha = 0.05 and the flow z = 2 v: expected {want:.5f}, found "
            f"{got:.5f}{_log_prob_hint(got - want, logit_log_det)}")


# What log_prob_data's usual mistakes add to log p(y) in test_tiny_case (D = 1, alpha = 0.05, the flow z = 2 v), and
# how the hint names each, in the statement's words: one or two of them explain the difference found.
def _log_prob_offsets(logit_log_det):
    alpha = 0.05
    return (
        (0.5 * math.log(2 * math.pi), "log N(z; 0, I) is off by the constant D/2 log 2 pi (here D = 1): the standard "
                                      "normal's normalising constant is missing"),
        (-logit_log_det, "the logit transform's log-det is missing; it is part of the model"),
        (-2 * logit_log_det, "the logit transform's log-det enters with the wrong sign (is your logit_transform's "
                             "log|dv/dy|?)"),
        (-math.log(1 - 2 * alpha), "the logit transform's log-det is off by log(1 - 2 alpha), the constant factor of "
                                   "dv/dy (your logit_transform's log-det is used here)"),
        (-2 * math.log(2.0), "the flow's log-det enters with the wrong sign"),
        (-math.log(2.0), "the flow's log-det is missing"),
    )


def _log_prob_hint(diff, logit_log_det):
    offsets = _log_prob_offsets(logit_log_det)
    for k, (a, why) in enumerate(offsets):
        if abs(diff - a) < 1e-4:
            return f": {why}"
        for b, why_b in offsets[k + 1:]:
            if abs(diff - a - b) < 1e-4:
                return f": {why}; and {why_b}"
    return (f" (off by {diff:+.5f}: check each term of log p(y) under the whole map y -> v -> z ("
            f"Q2's density, in logs) against the statement)")


def _p2_bpd_inputs(seed):
    torch, g = _torch(), _gen(seed, 82)
    return {"log_p": (torch.rand(3, generator=g, dtype=torch.float64) * 6000 - 3000)}


def _p2_bpd_probe(o, x):
    torch, fn = _torch(), o["bits_per_dim"]
    return {"uniform": attempt(lambda: _detached(fn(torch.zeros(2), 784))),
            "likelier": attempt(lambda: _detached(fn(torch.tensor([-100.0, 0.0, 100.0]), 784))),
            "values": attempt(lambda: [_detached(fn(x["log_p"].clone(), D)) for D in (784, 100)])}


@points(1)
def test_uniform_density_is_eight_bits(v, ref):
    got = v.uniform
    asserts.assert_tensor(got, "bits_per_dim(log_p_y, D)", shape=(2,))
    value = float(got[0])
    hint = ""
    if abs(value) < 1e-6:
        hint = ": the + D log 256 term (the dequantisation bins of width 1/256) is missing"
    elif abs(value - 8 * math.log(2)) < 1e-4:
        hint = ": that is nats per dimension; divide by log 2 for bits"
    elif abs(value - 784 * 8) < 1e-2:
        hint = ": that is for the whole image; divide by the number of dimensions D"
    if not abs(value - 8.0) < 1e-5:
        raise AssertionError(
            f"expected 8 bits per dimension for log p(y) = 0 (the uniform density on [0, 1)^D), found {value:.5g}{hint}")


@points(0.5)
def test_a_likelier_image_costs_fewer_bits(v, ref):
    # bits/dim is a negative log-likelihood: it falls as log p(y) rises
    got = v.likelier
    asserts.assert_tensor(got, "bits_per_dim(log_p_y, D)", shape=(3,))
    values = [float(t) for t in got]
    if not values[0] > values[1] > values[2]:
        raise AssertionError(
            f"expected fewer bits per dimension for a likelier image: for log p(y) = -100, 0, 100 found "
            f"{', '.join(f'{t:.5g}' for t in values)}; bits/dim counts -log p(y), with its minus sign")
    # and by as much as the statement's division says: 100 nats more, 100 / (D log 2) bits per dimension fewer
    step = 100 / (784 * math.log(2))
    for drop in (values[0] - values[1], values[1] - values[2]):
        if not abs(drop - step) < 1e-6 * step:
            raise AssertionError(
                f"100 nats more of log p(y) should cost 100 / (D log 2) = {step:.5g} fewer bits per dimension "
                f"(D = 784), found {drop:.5g} fewer: check the division by D and the conversion from nats to bits")


CHECKS = [
    CheckSpec("p2_logit_tests", names=("dequantize", "logit_transform", "inverse_logit_transform"),
              visible=(test_v_is_the_printed_transform, test_inverse_undoes_the_printed_transform,
                       test_log_det_on_a_tiny_case, test_dequantized_values_stay_in_their_bin),
              probe=on_working(_p2_logit_probe), inputs=with_working(_p2_logit_inputs)),
    CheckSpec("p2_coupling_tests", names=("CouplingLayer",),
              visible=(test_forward_is_the_statements_map, test_log_det_is_the_statements,
                       test_inverse_undoes_the_statements_map),
              probe=on_working(_p2_coupling_probe), inputs=with_working(_p2_coupling_inputs)),
    CheckSpec("p2_realnvp_tests", names=("RealNVP", "CouplingLayer"),
              visible=(test_flow_is_the_stated_stack, test_flow_inverse_undoes_the_stated_flow,
                       test_log_prob_is_the_change_of_variables),
              probe=on_working(_p2_realnvp_probe), inputs=with_working(_p2_realnvp_inputs)),
    CheckSpec("p2_log_prob_tests", names=("log_prob_data", "logit_transform"),
              visible=(test_log_prob_shape, test_tiny_case), probe=_p2_log_prob_probe, inputs=_p2_log_prob_inputs),
    CheckSpec("p2_bpd_tests", names=("bits_per_dim",),
              visible=(test_uniform_density_is_eight_bits, test_a_likelier_image_costs_fewer_bits),
              probe=_p2_bpd_probe, inputs=_p2_bpd_inputs),
]
