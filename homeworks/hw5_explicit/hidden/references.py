"""hw5_explicit's grader-side references: the formulas its hidden tests and artifact cells grade with.

They answer questions of the homework, so they live here, outside the student package:

- :func:`one_to_one_gradients`: the gradients of Q1's two losses where each x has one latent.
- :func:`stated_divergences`: Q3's KL and JS divergences of the statement's P = Bern(theta) from Q = Bern(0.3).
- :func:`frechet_distance` and :func:`frechet_gradients`: Q4's Fréchet distance between two Gaussians in float64
  numpy, and its gradient in closed form with respect to the means and (positive definite) covariances.
- :func:`bernoulli_nll_nats`: P1's likelihood, the mean NLL in nats per image of binary images under the logits a
  model gives.
- :func:`flow_bits_per_dim`: P2's likelihood, mean bits per dimension of 8-bit images under "logit transform, then
  flow", with one dequantisation draw from a fixed seed.
- :func:`printed_masked_conv`, :func:`stated_stack_upper`: P1.1's 5x5 layers with the masks the statement prints,
  and P1.2's stack for parameters that every mask keeps whole.
- :func:`printed_logit`, :func:`printed_log_det`, :func:`printed_logit_inverse`: P2.1's transform as the statement
  prints it, its log-determinant by autograd, and the y it comes from.
- :func:`statement_coupling`, :func:`statement_coupling_inverse`, :func:`stated_masks`, :func:`statement_flow`,
  :func:`statement_flow_inverse`: P2.2's coupling map and P2.3's stack as the statement and docstrings give them,
  with the stated networks' parameters.

:data:`EXPECTED` says, for each converted test cell, what its visible tests compare with: a function of the cell's
inputs drawn from the working seed (:data:`dgmlab.probes.WORKING_SEED`);
:func:`dgmlab.grading.references.recorded.record_expected` records what they give into
``homeworks/hw5_explicit/checks/expected.json``.

``benchmarks/calibrate_hw5_bars.py`` uses the same functions, so the bars are calibrated on exactly what the
cells compute. The grading digits (:func:`grading_digits`) and the two property checks a graded file must pass
(:func:`check_causal`, :func:`check_log_det`) are here too: they were dgmlab.likelihoods, in the student package,
where they named the graded digits (a student could tune on them) and held the printed logit transform.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F

from homeworks.hw5_explicit.checks import ALPHAS, TINY_Y, alternating_mask


# ---------------------------------------------------------------------- Q1
def one_to_one_gradients(world):
    """The gradients of Q1's two losses at the world's W and V where the decoder F_table is one-to-one: Q(y|x) is then
    P_w(y|z(x)) and P_w(x|y) is P_w(z(x)|y), so the losses are the cross-entropies of W[z(x)] against y and of V[y]
    against z(x)."""
    z_of_x = torch.argsort(world["F_table"])[world["x"]]  # F_table[z] = x, a permutation
    W, V = world["W"].detach().clone().requires_grad_(True), world["V"].detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (dW,) = torch.autograd.grad(F.cross_entropy(W[z_of_x], world["y"]), W)
        (dV,) = torch.autograd.grad(F.cross_entropy(V[world["y"]], z_of_x), V)
    return dW, dV


def _expected_q1_steps(x):
    dW, dV = one_to_one_gradients(x["one_to_one"])
    return {"disc_gradient": dW, "gen_gradient": dV}


# ---------------------------------------------------------------------- Q3
def stated_divergences(theta):
    """D_KL(P || Q) and D_JS(P || Q) for P = Bern(theta), Q = Bern(0.3), as the statement defines them (natural logs,
    JS through the mixture M), from scipy's elementwise relative entropy."""
    from scipy.special import rel_entr

    p, q = np.array([theta, 1 - theta]), np.array([0.3, 0.7])
    m = (p + q) / 2
    return float(rel_entr(p, q).sum()), float(0.5 * rel_entr(p, m).sum() + 0.5 * rel_entr(q, m).sum())


# ---------------------------------------------------------------------- Q4
def _sym_sqrt(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((c + c.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """|mu1 - mu2|^2 + tr(C1 + C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2) in float64: the square root's trace is the sum of
    the square roots of the (clipped) eigenvalues of the symmetric PSD middle matrix, so it is real for singular
    covariances too."""
    m1, m2, c1, c2 = (np.asarray(a, dtype=np.float64) for a in (mu1, mu2, cov1, cov2))
    r1 = _sym_sqrt(c1)
    middle = r1 @ c2 @ r1
    tr_sqrt = float(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum())
    d = m1 - m2
    return float(d @ d + np.trace(c1) + np.trace(c2) - 2 * tr_sqrt)


def frechet_gradients(mu1, cov1, mu2, cov2) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The gradient of :func:`frechet_distance` with respect to (mu1, cov1, mu2, cov2), in closed form, for positive
    definite covariances: 2 (mu1 - mu2), I - T, -2 (mu1 - mu2), I - T^-1, with T = C1^-1/2 (C1^1/2 C2 C1^1/2)^1/2
    C1^-1/2 (the optimal transport map from N(0, C1) to N(0, C2)). The covariance gradients are symmetric: compare
    them with a function's along symmetric directions (a function may read a covariance's lower triangle only)."""
    m1, m2, c1, c2 = (np.asarray(a, dtype=np.float64) for a in (mu1, mu2, cov1, cov2))
    r1 = _sym_sqrt(c1)
    r1_inv = np.linalg.inv(r1)
    t = r1_inv @ _sym_sqrt(r1 @ c2 @ r1) @ r1_inv
    t = (t + t.T) / 2
    eye = np.eye(len(c1))
    d = m1 - m2
    return 2 * d, eye - t, -2 * d, eye - np.linalg.inv(t)


def _expected_frechet(x):
    (m1, c1), (m2, c2) = x["general1"], x["general2"]
    (s1, t1), (s2, t2) = x["singular1"], x["singular2"]
    return {"diagonal": frechet_distance(x["mu1"], np.diag(x["diag_a"]), x["mu2"], np.diag(x["diag_b"])),
            "general": frechet_distance(m1, c1, m2, c2), "singular": frechet_distance(s1, t1, s2, t2)}


# ---------------------------------------------------------------------- P1, P2: the grading digits, two properties
GRADING_SEED = 0  # the grader's dequantisation noise and check_causal's input, fixed so a grade is reproducible


def grading_digits(n: int = 200, scale: str = "binary") -> torch.Tensor:
    """The first ``n`` (<= 200) shipped MNIST test digits, ``(n, 1, 28, 28)`` float32.

    ``scale="binary"``: pixels > 0.5 become 1 (as ``dgmlab.data.mnist(scale="binary")``);
    ``scale="[0,1]"``: 8-bit values divided by 255.
    """
    from dgmlab.data import load_sample

    if scale not in ("binary", "[0,1]"):
        raise ValueError(f"scale must be 'binary' or '[0,1]', got {scale!r}")
    x, _ = load_sample(train=False)
    if not 1 <= n <= len(x):
        raise ValueError(f"n must be between 1 and {len(x)} (the shipped test digits), got {n}")
    x = torch.from_numpy(x[:n].astype("float32") / 255.0).reshape(n, 1, 28, 28)
    return (x > 0.5).float() if scale == "binary" else x


def check_causal(model: torch.nn.Module, positions=((10, 10), (20, 5)), shape=(1, 1, 28, 28)) -> None:
    """Raise ``AssertionError`` unless the logit at each (i, j) of ``positions`` has zero gradient with
    respect to the pixels at and after (i, j) in raster order: otherwise the NLL is not a likelihood
    (a model that sees the pixel it predicts scores near 0 nats)."""
    model.eval()
    x = torch.bernoulli(torch.full(shape, 0.5), generator=torch.Generator().manual_seed(GRADING_SEED))
    x.requires_grad_(True)
    logits = model(x)
    H, W = shape[-2:]
    for i, j in positions:
        (grad,) = torch.autograd.grad(logits[0, 0, i, j], x, retain_graph=True)
        later = grad[0, 0].flatten()[i * W + j:]
        if later.abs().max() > 0:
            k = int(later.abs().argmax()) + i * W + j
            raise AssertionError(f"the model is not causal: its logit at pixel ({i}, {j}) depends on pixel "
                                 f"({k // W}, {k % W}), at or after it in raster order, so its NLL is not a likelihood")


def check_log_det(flow: torch.nn.Module, x: torch.Tensor, alpha: float = 1e-6, tol: float = 0.05) -> None:
    """Raise ``AssertionError`` unless ``flow(v)``'s log-determinant matches ``slogdet`` of autograd's full
    Jacobian dz/dv (float64) for the first image of ``x``, within ``tol`` nats: otherwise the bits/dim
    computed from it is not a likelihood."""
    flow.eval()
    y = (torch.round(x[:1].reshape(1, -1) * 255) + 0.5) / 256
    s = alpha + (1 - 2 * alpha) * y
    v = (torch.log(s) - torch.log1p(-s)).double()
    flow64 = copy.deepcopy(flow).double()
    jac = torch.autograd.functional.jacobian(lambda u: flow64(u.unsqueeze(0))[0][0], v[0], vectorize=True)
    sign, want = torch.linalg.slogdet(jac)
    with torch.no_grad():
        got = float(flow64(v)[1][0])
    if sign <= 0 or abs(got - float(want)) > tol:
        raise AssertionError(f"the flow's log-determinant is {got:.2f} on a grading digit, but the Jacobian's "
                             f"log|det| is {float(want):.2f}: with a wrong log-determinant bits/dim is not a likelihood")


# ---------------------------------------------------------------------- P1, P2: likelihoods of handed-in weights
@torch.no_grad()
def bernoulli_nll_nats(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 100) -> float:
    """Mean over images of -log p(x) in nats, pixels independent Bernoulli given ``model(x)``'s logits.

    ``x``: ``(N, 1, H, W)`` in {0, 1}; ``model(x)`` must return logits of the same shape.
    """
    model.eval()
    total = 0.0
    for k in range(0, len(x), batch_size):
        xb = x[k:k + batch_size]
        logits = model(xb)
        if not isinstance(logits, torch.Tensor) or logits.shape != xb.shape:
            raise AssertionError(f"expected the model to return logits of shape {tuple(xb.shape)}, found "
                                 f"{tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__}")
        total += float(F.binary_cross_entropy_with_logits(logits.float(), xb, reduction="sum"))
    return total / len(x)


@torch.no_grad()
def flow_bits_per_dim(flow: torch.nn.Module, x: torch.Tensor, alpha: float = 1e-6,
                      seed: int = GRADING_SEED, batch_size: int = 200) -> float:
    """Mean bits per dimension of images ``x`` (8-bit values / 255, any shape ``(N, ...)``) under the flow.

    y = (255 x + u) / 256 with u ~ U[0, 1) from ``torch.Generator().manual_seed(seed)``;
    v = logit(alpha + (1 - 2 alpha) y); ``flow(v)`` -> (z, log|det dz/dv|); latent N(0, I);
    bits/dim = (-log p(y) / D + log 256) / log 2.
    """
    flow.eval()
    x = x.reshape(len(x), -1)
    dim = x.shape[1]
    g = torch.Generator().manual_seed(seed)
    total = 0.0
    for k in range(0, len(x), batch_size):
        xb = x[k:k + batch_size]
        y = (torch.round(xb * 255) + torch.rand(xb.shape, generator=g)) / 256
        s = alpha + (1 - 2 * alpha) * y
        v = torch.log(s) - torch.log1p(-s)
        log_det_logit = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)
        out = flow(v)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise AssertionError("expected flow(v) to return (z, log_det), as RealNVP.forward does")
        z, log_det = out
        log_p = -0.5 * (z ** 2).sum(dim=1) - 0.5 * dim * math.log(2 * math.pi) + log_det + log_det_logit
        total += float(((-log_p / dim + math.log(256)) / math.log(2)).sum())
    return total / len(x)


# ---------------------------------------------------------------------- P1.1, P1.2: masked convolutions, the stack
# The 5x5 masks the statement prints (its markdown above MaskedConv2d): what the visible checks' recorded values of
# the masked convolution are made from.
PRINTED_MASKS = {
    "A": ((1, 1, 1, 1, 1), (1, 1, 1, 1, 1), (1, 1, 0, 0, 0), (0, 0, 0, 0, 0), (0, 0, 0, 0, 0)),
    "B": ((1, 1, 1, 1, 1), (1, 1, 1, 1, 1), (1, 1, 1, 0, 0), (0, 0, 0, 0, 0), (0, 0, 0, 0, 0)),
}


def printed_masked_conv(x, weight, bias, kind):
    """A 5x5 masked convolution of type ``kind`` with the statement's printed mask, padded to keep the size."""
    mask = torch.tensor(PRINTED_MASKS[kind], dtype=weight.dtype)
    return F.conv2d(x, weight * mask, bias, padding=2)


def stated_stack_upper(params, x):
    """The logits of the stated stack for parameters whose k x k taps sit above the centre row only: there every
    mask keeps every tap, so the layers are plain 'same' convolutions with a ReLU between (the docstring's order)."""
    h = x
    pairs = list(zip(params[::2], params[1::2], strict=False))
    for n, (w, b) in enumerate(pairs):
        h = F.conv2d(h, w, b, padding=w.shape[-1] // 2)
        if n < len(pairs) - 1:
            h = F.relu(h)
    return h


def stated_mask(k, kind):
    """The k x k mask of type ``kind`` the statement describes: taps above the centre row, and on it those before
    the centre (A) or up to it (B)."""
    m = torch.zeros(k, k)
    c = k // 2
    m[:c] = 1
    m[c, :c + (kind == "B")] = 1
    return m


def stated_stack(params, x):
    """The logits of the docstring's stack, mask A in the first layer and mask B after it, for any parameters."""
    h = x
    pairs = list(zip(params[::2], params[1::2], strict=False))
    for n, (w, b) in enumerate(pairs):
        h = F.conv2d(h, w * stated_mask(w.shape[-1], "A" if n == 0 else "B").to(w.dtype), b, padding=w.shape[-1] // 2)
        if n < len(pairs) - 1:
            h = F.relu(h)
    return h


@torch.no_grad()
def _expected_masked_conv(x):
    return {f"out_{kind}5": [printed_masked_conv(x["x"], w, x[f"b_{kind}5"], kind) for w in x[f"w_{kind}5"]]
            for kind in "AB"}


@torch.no_grad()
def _expected_model(x):
    return {"small_upper": stated_stack_upper(x["small_upper"], x["x_small"]),
            "default_upper": stated_stack_upper(x["default_upper"], x["x_default"]),
            "small_full": stated_stack(x["small_full"], x["x_small"])}


# ---------------------------------------------------------------------- P2.1: the logit transform
def printed_logit(y, alpha):
    """The transform the statement prints, v = logit(alpha + (1 - 2 alpha) y), elementwise."""
    s = alpha + (1 - 2 * alpha) * y
    return torch.log(s) - torch.log1p(-s)


def printed_log_det(y, alpha):
    """sum_i log|dv_i/dy_i| of :func:`printed_logit` at each row of y, by autograd (the transform acts coordinate by
    coordinate, so its Jacobian is diagonal): the grader's route to the log-det, not a formula for it."""
    with torch.enable_grad():
        y = y.detach().clone().double().requires_grad_(True)
        (slopes,) = torch.autograd.grad(printed_logit(y, alpha).sum(), y)
    return torch.log(slopes.abs()).sum(dim=1)


def printed_logit_inverse(v, alpha):
    """``(y, dy/dv)``: the y that :func:`printed_logit` sends to v, in float64, and how fast it moves with v."""
    s = torch.sigmoid(v.double())
    return (s - alpha) / (1 - 2 * alpha), s * (1 - s) / (1 - 2 * alpha)


def _expected_logit(x):
    y45, tiny = x["y45"], torch.tensor(TINY_Y, dtype=torch.float64)
    inverses = [printed_logit_inverse(x["v64"], alpha) for alpha in ALPHAS]
    with torch.enable_grad():
        first = torch.autograd.functional.jacobian(lambda t: printed_logit(t, 0.05), tiny[0]).diagonal()[0]
    return {"v": [printed_logit(y45.double(), alpha) for alpha in ALPHAS],
            "inverse": [y for y, _ in inverses], "inverse_slope": [slope for _, slope in inverses],
            "tiny_log_det": float(printed_log_det(tiny, 0.05)[0]), "tiny_first_term": float(torch.log(first))}


def _expected_log_prob(x):
    return {"logit_log_det_at_half": float(printed_log_det(torch.full((1, 1), 0.5, dtype=torch.float64), 0.05)[0])}


# ---------------------------------------------------------------------- P2.2, P2.3: the coupling layer and the flow
def _stated_mlp(params, name, h):
    h = F.relu(F.linear(h, params[f"{name}.0.weight"], params[f"{name}.0.bias"]))
    h = F.relu(F.linear(h, params[f"{name}.2.weight"], params[f"{name}.2.bias"]))
    return F.linear(h, params[f"{name}.4.weight"], params[f"{name}.4.bias"])


def _scale_shift(params, m, h, prefix, tanh=True):
    s = _stated_mlp(params, f"{prefix}s_net", h)
    s = (torch.tanh(s) if tanh else s) * (1 - m)
    return s, _stated_mlp(params, f"{prefix}t_net", h) * (1 - m)


def statement_coupling(params, mask, x, prefix="", tanh=True, masked_input=True):
    """The map the statement prints, with the stated networks' ``params``: (z, log|det dz/dx|) for x (N, D),
    z = m x + (1 - m)(x exp(s(m x)) + t(m x)), s = tanh(s_net(.)), log|det| = sum_i (1 - m_i) s_i. ``tanh`` and
    ``masked_input`` False give two common slips (no tanh; s, t fed all of x), for the visible checks' hints."""
    m = mask.to(x.dtype)
    s, t = _scale_shift(params, m, x * m if masked_input else x, prefix, tanh)
    return x * m + (1 - m) * (x * torch.exp(s) + t), s.sum(dim=1)


def statement_coupling_inverse(params, mask, z, prefix=""):
    """The x that :func:`statement_coupling` sends to z: the masked coordinates are z's, which give s and t."""
    m = mask.to(z.dtype)
    s, t = _scale_shift(params, m, z * m, prefix)
    return z * m + (1 - m) * (z - t) * torch.exp(-s)


def stated_masks(dim, n_coupling):
    """The masks the RealNVP docstring states: alternating_mask(dim) for even layers, its complement for odd."""
    m = alternating_mask(dim)
    return [m if i % 2 == 0 else 1 - m for i in range(n_coupling)]


def statement_flow(params, masks, x):
    """The stated stack: each layer's statement_coupling (parameters ``layers.<l>.``) in order, log-dets added."""
    log_det = torch.zeros(x.shape[0], dtype=x.dtype)
    for layer, mask in enumerate(masks):
        x, ld = statement_coupling(params, mask, x, prefix=f"layers.{layer}.")
        log_det = log_det + ld
    return x, log_det


def statement_flow_inverse(params, masks, z):
    """The x that :func:`statement_flow` sends to z: the layers' inverses, last layer first."""
    for layer in reversed(range(len(masks))):
        z = statement_coupling_inverse(params, masks[layer], z, prefix=f"layers.{layer}.")
    return z


@torch.no_grad()
def _expected_coupling(x):
    out = {}
    for key in ("main", "tiny"):
        case = x[key]
        params, mask, xs = case["params"], case["mask"], case["x"]
        z, log_det = statement_coupling(params, mask, xs)
        m = mask.double()
        s_all = torch.tanh(_stated_mlp(params, "s_net", xs * m))
        out[f"{key}_log_det"], out[f"{key}_log_det_masked_sum"] = log_det, (s_all * m).sum(dim=1)
        if key == "main":
            out["z"] = z
            out["z_unmasked_input"] = statement_coupling(params, mask, xs, masked_input=False)[0]
            out["z_no_tanh"] = statement_coupling(params, mask, xs, tanh=False)[0]
            out["inverse"] = statement_coupling_inverse(params, mask, case["z"])
    return out


@torch.no_grad()
def _expected_realnvp(x):
    case = x["main"]
    dim, _, n = case["args"]
    masks = stated_masks(dim, n)
    z, log_det = statement_flow(case["params"], masks, case["x"])
    return {"z": z, "inverse": statement_flow_inverse(case["params"], masks, case["z"]),
            "log_prob": torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1) + log_det}


EXPECTED = {"q1_steps_tests": _expected_q1_steps, "q4_frechet_tests": _expected_frechet,
            "p1_masked_conv_tests": _expected_masked_conv, "p1_model_tests": _expected_model,
            "p2_logit_tests": _expected_logit, "p2_coupling_tests": _expected_coupling,
            "p2_realnvp_tests": _expected_realnvp, "p2_log_prob_tests": _expected_log_prob}

__all__ = ["bernoulli_nll_nats", "file_pixelcnn", "file_realnvp", "flow_bits_per_dim", "frechet_distance", "frechet_gradients", "one_to_one_gradients", "printed_log_det",
           "printed_masked_conv", "stated_divergences", "stated_mask", "stated_stack", "stated_stack_upper",
           "printed_logit", "printed_logit_inverse", "stated_masks", "statement_coupling", "statement_coupling_inverse",
           "statement_flow", "statement_flow_inverse"]


# ---------------------------------------------------------------------- P1, P2: the networks a handed-in file is read into
def file_pixelcnn(channels=64, n_layers=5, kernel_size=7) -> torch.nn.Module:
    """The network the PixelCNN docstring states, with its masks left to the file (the visible check of
    ``p1_weights_tests`` loads the handed-in file into it): self.net holds the layers in the stated order, each
    convolution multiplying its weight by its ``mask`` buffer in forward. The masks start at zero and come from the
    file; a file whose masks let a logit see its own pixel or a later one fails the causality check first."""
    nn = torch.nn

    class FileMaskedConv(nn.Conv2d):
        def __init__(self, cin, cout, k):
            super().__init__(cin, cout, k, padding=k // 2)
            self.register_buffer("mask", torch.zeros(1, 1, k, k))

        def forward(self, x):
            return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)

    layers = [FileMaskedConv(1, channels, 7), nn.ReLU()]
    for _ in range(n_layers):
        layers += [FileMaskedConv(channels, channels, kernel_size), nn.ReLU()]
    layers.append(FileMaskedConv(channels, 1, 1))

    class FilePixelCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(*layers)

        def forward(self, x):
            return self.net(x)

    return FilePixelCNN()


def file_realnvp(dim=784, hidden=256, n_coupling=6) -> torch.nn.Module:
    """The flow the statement prints, with the names and shapes the RealNVP and CouplingLayer docstrings state
    (self.layers, each with its ``mask`` buffer and s_net, t_net): z = m x + (1 - m)(x exp(s(m x)) + t(m x)) with
    s = tanh(s_net(.)), log|det| = sum (1 - m) s, layers in order. The masks come from the file (none is built here);
    the visible check of ``p2_weights_tests`` checks the log-determinant against autograd's Jacobian first."""
    nn = torch.nn

    def mlp():
        return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                             nn.Linear(hidden, dim))

    class FileCoupling(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mask", torch.zeros(dim))
            self.s_net, self.t_net = mlp(), mlp()

        def forward(self, x):
            m = self.mask
            s = torch.tanh(self.s_net(x * m)) * (1 - m)
            t = self.t_net(x * m) * (1 - m)
            return x * m + (1 - m) * (x * torch.exp(s) + t), s.sum(dim=1)

    class FileRealNVP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(FileCoupling() for _ in range(n_coupling))

        def forward(self, x):
            log_det = torch.zeros(x.shape[0], dtype=x.dtype)
            for layer in self.layers:
                x, ld = layer(x)
                log_det = log_det + ld
            return x, log_det

    return FileRealNVP()

