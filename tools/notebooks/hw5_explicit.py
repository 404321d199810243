"""Homework 5: explicit generative models (seed 004: ECE1508 Deep Generative Models, Assignment 2).

Written Q1 (15) latent Bayes classifiers, Q2 (10) flow direction, Q3 (15) JS divergence,
Q4 (10) Frechet distance; programming P1 (25) masked-CNN inpainting, P2 (25) Real NVP.
Each written question has autograded companions; the rest is graded by hand.
"""
from __future__ import annotations

from pathlib import Path

from dgmlab.authoring import Notebook, fixture_copier, clean_source as _clean

from dgmlab.grading.proofs import Mutant

HW = "hw5_explicit"
# The files a full-mode run writes in the homework folder and two artifact cells grade (docs/hw5_explicit.md):
# the trained models' state dicts in float16 (dgmlab.artifacts.save_weights).
P1_WEIGHTS_FILE = "p1_pixelcnn_weights.pt"   # PixelCNN() (64 channels, 5 layers of 7x7): ~2.0 MB
P2_WEIGHTS_FILE = "p2_realnvp_weights.pt"    # RealNVP(784, 256, 6): ~11.3 MB
P1_MAX_BYTES = 5_000_000                     # about twice each file: anything bigger is not read
P2_MAX_BYTES = 24_000_000
P1_GRADING_DIGITS = 100   # the first 100 shipped test digits (PixelCNN: ~4-5 s on one CPU thread)
P2_GRADING_DIGITS = 200   # all 200 (Real NVP: well under a second)
# Bars, calibrated by benchmarks/calibrate_hw5_bars.py (docs/hw5_explicit.md, benchmarks/results/hw5_*_bar.json):
# on 20 disjoint subsets of the real test set of the grading set's size, the calibrated checkpoint clears each
# bar on at least 19 and an early checkpoint on none. Real NVP's comes from a full 20-epoch run (hidden 256).
# PixelCNN's is PROVISIONAL: the only run of the full architecture (on a shared CPU) had reached P1_CALIBRATED_STEP
# of its ~4,680 steps; raise it (never lower it) from a finished run.
P2_BPD_BAR = 1.95           # epoch 20: 20/20 subsets clear it (1.870-1.940), grading set 1.892; epoch 2: 0/20 (2.22)
P1_NLL_BAR = 125.0          # step 175: 19/20 subsets clear it (114.97-125.67), grading set 119.8; step 50: 0/20 (186.8)
P1_CALIBRATED_STEP, P1_CALIBRATED_NLL = 175, 119.8   # the grading-set NLL of the calibrated checkpoint
P1_EARLY_STEP, P1_EARLY_NLL = 50, 186.8


def _sub(src: str, old: str, new: str, count: int = 1) -> str:
    """A mutant: ``src`` with ``old`` replaced (``old`` must occur)."""
    src = _clean(src)
    if old not in src:
        raise ValueError(f"mutant text not found: {old!r}")
    return src.replace(old, new, count)


def _strip_markers(src: str) -> str:
    return "\n".join(l for l in _clean(src).splitlines() if "### BEGIN SOLUTION" not in l and "### END SOLUTION" not in l)


# ====================================================================== Q1 answers
Q1_DISC = r'''
def discriminative_posterior(p_y_given_z, F, prior_z, x):
    """Q(y|x) of the latent discriminative classifier, by Bayes' rule through the decoder.

    p_y_given_z: (K, C) float tensor, row z holds P_w(y | z) (rows sum to 1).
    F:           (K,) int64 tensor, F[z] is the index of the data point latent z decodes to.
    prior_z:     (K,) float tensor, the known latent prior P(z).
    x:           (N,) int64 tensor of data indices.
    Returns (N, C) tensor of p_y_given_z's dtype, row n = Q(. | x_n), differentiable
    with respect to p_y_given_z. If no latent decodes to x_n, row n is uniform (1/C).
    """
    ### BEGIN SOLUTION
    decodes = (F[None, :] == x[:, None]).to(p_y_given_z.dtype)      # (N, K): P(x_n | z)
    joint = decodes * prior_z.to(p_y_given_z.dtype)                  # (N, K): P(x_n, z)
    evidence = joint.sum(dim=1, keepdim=True)                        # (N, 1): P(x_n)
    unnormalised = joint @ p_y_given_z                               # (N, C)
    C = p_y_given_z.shape[1]
    safe = evidence.clamp_min(torch.finfo(p_y_given_z.dtype).tiny)
    return torch.where(evidence > 0, unnormalised / safe, torch.full_like(unnormalised, 1.0 / C))
    ### END SOLUTION
'''

Q1_GEN = r'''
def generative_posterior(p_z_given_y, F, prior_y, x):
    """Q'(y|x) of the latent generative classifier, by Bayes' rule through the decoder.

    p_z_given_y: (C, K) float tensor, row y holds P_w(z | y) (rows sum to 1).
    F:           (K,) int64 tensor, F[z] is the index of the data point latent z decodes to.
    prior_y:     (C,) float tensor, the class prior P(y).
    x:           (N,) int64 tensor of data indices.
    Returns (N, C) tensor of p_z_given_y's dtype, row n = Q'(. | x_n), differentiable
    with respect to p_z_given_y. If no latent decodes to x_n, row n is uniform (1/C).
    """
    ### BEGIN SOLUTION
    decodes = (F[None, :] == x[:, None]).to(p_z_given_y.dtype)       # (N, K): P(x_n | z)
    likelihood = decodes @ p_z_given_y.T                             # (N, C): P_w(x_n | y)
    joint = likelihood * prior_y.to(p_z_given_y.dtype)               # (N, C): P_w(x_n, y)
    evidence = joint.sum(dim=1, keepdim=True)
    C = p_z_given_y.shape[0]
    safe = evidence.clamp_min(torch.finfo(p_z_given_y.dtype).tiny)
    return torch.where(evidence > 0, joint / safe, torch.full_like(joint, 1.0 / C))
    ### END SOLUTION
'''

Q1_STEPS = r'''
def discriminative_step(W, F, prior_z, x, y, lr):
    """One gradient-descent step for the latent discriminative classifier.

    W: (K, C) float tensor of logits, P_w(y | z) = softmax(W[z]).
    F, prior_z: as in discriminative_posterior. x, y: (n,) int64 data indices and labels.
    The loss is the empirical risk L(W) = -(1/n) sum_j log Q(y_j | x_j).
    Returns (W_new, loss): W_new (K, C) detached tensor W - lr * dL/dW, loss a Python float L(W).
    """
    ### BEGIN SOLUTION
    W = W.detach().clone().requires_grad_(True)
    Q = discriminative_posterior(torch.softmax(W, dim=1), F, prior_z, x)
    loss = -torch.log(Q[torch.arange(len(y)), y]).mean()
    loss.backward()
    return (W - lr * W.grad).detach(), loss.item()
    ### END SOLUTION


def generative_step(V, F, x, y, lr):
    """One gradient-descent step for the latent generative model P_w(z | y).

    V: (C, K) float tensor of logits, P_w(z | y) = softmax(V[y]).
    F: as above. x, y: (n,) int64 data indices and labels.
    The loss is the negative log-likelihood of the data given the labels,
    L(V) = -(1/n) sum_j log P_w(x_j | y_j), where P_w(x | y) sums P_w(z | y) over the z with F[z] = x.
    Returns (V_new, loss): V_new (C, K) detached tensor V - lr * dL/dV, loss a Python float L(V).
    """
    ### BEGIN SOLUTION
    V = V.detach().clone().requires_grad_(True)
    p_z_given_y = torch.softmax(V, dim=1)                            # (C, K)
    decodes = (F[None, :] == x[:, None]).to(V.dtype)                 # (n, K)
    likelihood = (decodes * p_z_given_y[y]).sum(dim=1)               # (n,): P_w(x_j | y_j)
    loss = -torch.log(likelihood).mean()
    loss.backward()
    return (V - lr * V.grad).detach(), loss.item()
    ### END SOLUTION
'''

# ====================================================================== Q2 answers
Q2_DENSITY = r'''
def flow_density(q, f):
    """Density of x when z = f(x) has density q and f is strictly increasing.

    q: sympy expression in z_sym (the latent density Q(z)).
    f: sympy expression in x_sym (the flow, strictly increasing in x).
    Returns a sympy expression in x_sym: P_w(x).
    """
    ### BEGIN SOLUTION
    return q.subs(z_sym, f) * sp.diff(f, x_sym)
    ### END SOLUTION
'''

Q2_RISK = r'''
def flow_empirical_risk(flow, log_q, x):
    """Maximum-likelihood empirical risk of a flow z = f_w(x) on a batch.

    flow:  callable, flow(x) -> (z, log_det): z (n, d) and log_det (n,) = log|det df_w/dx| at each x_j.
    log_q: callable, log_q(z) -> (n,) log-density of the latent distribution Q at each row of z.
    x:     (n, d) float tensor, the data batch.
    Returns a 0-d tensor: -(1/n) sum_j log P_w(x_j), differentiable through flow.
    """
    ### BEGIN SOLUTION
    z, log_det = flow(x)
    return -(log_q(z) + log_det).mean()
    ### END SOLUTION
'''

# ====================================================================== Q3 answers
Q3_DIV = r'''
def kl_bernoulli(a, b):
    """D_KL(Bern(a) || Bern(b)) in nats, as a sympy expression (a, b sympy numbers or symbols in (0, 1))."""
    ### BEGIN SOLUTION
    a, b = sp.sympify(a), sp.sympify(b)
    return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))
    ### END SOLUTION


def js_bernoulli(a, b):
    """D_JS(Bern(a) || Bern(b)) in nats, as a sympy expression (a, b sympy numbers or symbols in (0, 1))."""
    ### BEGIN SOLUTION
    a, b = sp.sympify(a), sp.sympify(b)
    m = (a + b) / 2
    return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2
    ### END SOLUTION


kl_PQ = kl_bernoulli(theta, sp.Rational(3, 10))   # D_KL(P || Q) as a function of theta
js_PQ = js_bernoulli(theta, sp.Rational(3, 10))   # D_JS(P || Q) as a function of theta
'''

Q3_THETA = r'''
### BEGIN SOLUTION
# KL: solve d/dtheta = 0 exactly; JS: minimise numerically (both are convex in theta)
theta_star_kl = float(sp.solve(sp.diff(kl_PQ, theta), theta)[0])
theta_star_js = float(minimize_scalar(sp.lambdify(theta, js_PQ), bounds=(1e-6, 1 - 1e-6), method="bounded",
                                      options={"xatol": 1e-10}).x)
### END SOLUTION
print(f"theta* (KL) = {theta_star_kl:.4f}   theta* (JS) = {theta_star_js:.4f}")
'''

# ====================================================================== Q4 answers
Q4_STATS = r'''
def feature_statistics(features):
    """Sample mean and unbiased sample covariance of feature vectors.

    features: (n, d) array-like (numpy array or torch tensor), one feature vector per row.
    Returns (mu, cov): mu (d,) and cov (d, d), numpy float64; cov divides by n - 1.
    """
    ### BEGIN SOLUTION
    f = np.asarray(features, dtype=np.float64)
    mu = f.mean(axis=0)
    centred = f - mu
    cov = centred.T @ centred / (f.shape[0] - 1)
    return mu, cov
    ### END SOLUTION
'''

Q4_FD = r'''
def frechet_gaussian(mu1, cov1, mu2, cov2):
    """Frechet distance between N(mu1, cov1) and N(mu2, cov2).

    mu1, mu2: (d,) float arrays; cov1, cov2: (d, d) symmetric positive semi-definite float arrays.
    Returns a Python float, ||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2)), computed in
    float64 and real even when the covariances are (nearly) singular.
    """
    ### BEGIN SOLUTION
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    c1, c2 = np.asarray(cov1, dtype=np.float64), np.asarray(cov2, dtype=np.float64)
    # tr (C1 C2)^(1/2) = tr (C1^(1/2) C2 C1^(1/2))^(1/2): the latter matrix is symmetric PSD
    w, v = np.linalg.eigh((c1 + c1.T) / 2)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root1 @ c2 @ root1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(c1) + np.trace(c2) - 2 * tr_sqrt)
    ### END SOLUTION
'''

# ====================================================================== P1 answers
P1_MASK = r'''
class MaskedConv2d(nn.Conv2d):
    """A 'same'-padded square convolution that only sees pixels before the centre in raster order.

    mask_type 'A' (first layer): kernel taps at the centre and after it are zero.
    mask_type 'B' (later layers): the centre tap is kept, taps after it are zero.
    Images have one channel here, so the mask is the same for every (out, in) channel pair.
    Input (N, in_channels, H, W) float32 -> output (N, out_channels, H, W) float32.
    The mask must act in every forward pass (the weights change during training).
    """

    def __init__(self, mask_type, in_channels, out_channels, kernel_size):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
        self.mask_type = mask_type
        ### BEGIN SOLUTION
        k, c = kernel_size, kernel_size // 2
        mask = torch.ones(k, k)
        mask[c, c + (1 if mask_type == "B" else 0):] = 0   # the centre row, from the centre (A) or after it (B)
        mask[c + 1:, :] = 0                                 # every row below the centre
        self.register_buffer("mask", mask[None, None])
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)
        ### END SOLUTION
'''

P1_MODEL = r'''
class PixelCNN(nn.Module):
    """A masked CNN for binary images: logits of p(x_ij = 1 | pixels before (i, j) in raster order).

    Layers: MaskedConv2d('A', 1, channels, 7) and ReLU; then n_layers times
    [MaskedConv2d('B', channels, channels, kernel_size) and ReLU]; then MaskedConv2d('B', channels, 1, 1).
    forward: x (N, 1, H, W) float32 in {0, 1} -> logits (N, 1, H, W) float32 (any H, W).
    """

    def __init__(self, channels=64, n_layers=5, kernel_size=7):
        super().__init__()
        ### BEGIN SOLUTION
        layers = [MaskedConv2d("A", 1, channels, 7), nn.ReLU()]
        for _ in range(n_layers):
            layers += [MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]
        layers.append(MaskedConv2d("B", channels, 1, 1))
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.net(x)
        ### END SOLUTION
'''

P1_NLL = r'''
def bernoulli_nll(logits, x):
    """Negative log-likelihood of binary images under independent Bernoulli pixels, in nats.

    logits: (N, 1, H, W) float tensor, log-odds of each pixel being 1 (any finite value).
    x:      (N, 1, H, W) float tensor in {0, 1}.
    Returns (N,) float tensor: -sum over pixels of log p(x_ij), finite even for very large |logits|.
    """
    ### BEGIN SOLUTION
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(dim=1)
    ### END SOLUTION
'''

P1_INPAINT = r'''
@torch.no_grad()
def inpaint(model, x, visible):
    """Fill in the hidden pixels of binary images by autoregressive sampling.

    model:   maps (N, 1, H, W) float images to (N, 1, H, W) logits of p(x_ij = 1 | earlier pixels).
    x:       (N, 1, H, W) float tensor in {0, 1}; its hidden pixels must not be looked at.
    visible: (N, 1, H, W) bool tensor, True where the pixel is known.
    Returns (N, 1, H, W) float tensor: the visible pixels of x unchanged, and every hidden pixel
    sampled in raster order from Bernoulli(sigmoid(logit)), conditioned on all pixels before it
    (known or already sampled).
    """
    ### BEGIN SOLUTION
    canvas = torch.where(visible, x, torch.zeros_like(x))
    H, W = x.shape[-2:]
    for i in range(H):
        for j in range(W):
            hidden = ~visible[:, :, i, j]
            if not hidden.any():
                continue
            p = torch.sigmoid(model(canvas)[:, :, i, j])
            sample = torch.bernoulli(p)
            canvas[:, :, i, j] = torch.where(hidden, sample, canvas[:, :, i, j])
    return canvas
    ### END SOLUTION
'''

# ====================================================================== P2 answers
P2_LOGIT = r'''
def dequantize(x):
    """Turn 8-bit pixels into continuous values: x (N, D) float in {0, 1/255, ..., 1}
    -> y (N, D) float in [0, 1), y = (255 x + u) / 256 with u ~ Uniform[0, 1) drawn per pixel."""
    ### BEGIN SOLUTION
    return (torch.round(x * 255) + torch.rand_like(x)) / 256
    ### END SOLUTION


def logit_transform(y, alpha):
    """v = logit(alpha + (1 - 2 alpha) y), elementwise, and its log-determinant.

    y: (N, D) float tensor in [0, 1); alpha: float in (0, 0.5).
    Returns (v, log_det): v (N, D), log_det (N,) = sum_i log |dv_i / dy_i|.
    """
    ### BEGIN SOLUTION
    s = alpha + (1 - 2 * alpha) * y
    v = torch.log(s) - torch.log1p(-s)
    log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)
    return v, log_det
    ### END SOLUTION


def inverse_logit_transform(v, alpha):
    """The inverse of logit_transform: v (N, D) -> y (N, D) in [0, 1)."""
    ### BEGIN SOLUTION
    return (torch.sigmoid(v) - alpha) / (1 - 2 * alpha)
    ### END SOLUTION
'''

P2_COUPLING = r'''
class CouplingLayer(nn.Module):
    """Affine coupling layer in the data -> latent direction (z = f(x), as in Q2).

    mask: (D,) float tensor of 0/1; coordinates with mask 1 pass through unchanged and
    condition the scale s and translation t of the others:
        z = m * x + (1 - m) * (x * exp(s(m * x)) + t(m * x)).
    s and t are fully connected nets D -> hidden -> hidden -> D with ReLU; s ends in tanh.
    forward(x (N, D)) -> (z (N, D), log_det (N,) = log|det dz/dx|); inverse(z (N, D)) -> x (N, D).
    """

    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        ### BEGIN SOLUTION
        def mlp():
            return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, dim))
        self.s_net, self.t_net = mlp(), mlp()
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        m = self.mask
        s = torch.tanh(self.s_net(x * m)) * (1 - m)
        t = self.t_net(x * m) * (1 - m)
        z = x * m + (1 - m) * (x * torch.exp(s) + t)
        return z, s.sum(dim=1)
        ### END SOLUTION

    def inverse(self, z):
        ### BEGIN SOLUTION
        m = self.mask
        s = torch.tanh(self.s_net(z * m)) * (1 - m)
        t = self.t_net(z * m) * (1 - m)
        return z * m + (1 - m) * (z - t) * torch.exp(-s)
        ### END SOLUTION
'''

P2_REALNVP = r'''
class RealNVP(nn.Module):
    """A stack of n_coupling CouplingLayers; layer l uses alternating_mask(dim) if l is even, its complement if odd.

    forward(x (N, D)) -> (z (N, D), log_det (N,)): all layers in order, log-determinants added.
    inverse(z (N, D)) -> x (N, D): the layers' inverses in reverse order.
    log_prob(x (N, D)) -> (N,): log N(z; 0, I) + log_det.
    sample(n) -> (n, D): inverse of standard normal draws.
    """

    def __init__(self, dim, hidden, n_coupling):
        super().__init__()
        self.dim = dim
        ### BEGIN SOLUTION
        m = alternating_mask(dim)
        self.layers = nn.ModuleList(CouplingLayer(dim, hidden, m if l % 2 == 0 else 1 - m)
                                    for l in range(n_coupling))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det
        ### END SOLUTION

    def inverse(self, z):
        ### BEGIN SOLUTION
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z
        ### END SOLUTION

    def log_prob(self, x):
        ### BEGIN SOLUTION
        z, log_det = self(x)
        return -0.5 * (z ** 2).sum(dim=1) - 0.5 * self.dim * math.log(2 * math.pi) + log_det
        ### END SOLUTION

    @torch.no_grad()
    def sample(self, n):
        p = next(self.parameters())
        return self.inverse(torch.randn(n, self.dim, dtype=p.dtype, device=p.device))
'''

P2_LOGPROB = r'''
def log_prob_data(flow, y, alpha):
    """Log-density of dequantised images y under 'logit transform, then flow'.

    flow: callable, flow(v) -> (z, log_det) with z (N, D) and log_det (N,) = log|det dz/dv|; latent N(0, I).
    y:    (N, D) float tensor in [0, 1) (dequantised pixels); alpha: the logit transform's alpha.
    Returns (N,) tensor: log p(y), including the logit transform's log-determinant.
    """
    ### BEGIN SOLUTION
    v, log_det_logit = logit_transform(y, alpha)
    z, log_det_flow = flow(v)
    log_q = -0.5 * (z ** 2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
    return log_q + log_det_flow + log_det_logit
    ### END SOLUTION
'''

P2_BPD = r'''
def bits_per_dim(log_p_y, num_dims):
    """Bits per dimension of 8-bit images from the log-density of their dequantised version.

    log_p_y: (N,) float tensor, log p(y) in nats for y = (255 x + u) / 256 in [0, 1)^D.
    num_dims: int D (784 for MNIST).
    Returns (N,) float tensor: the discrete negative log-likelihood bound -log p(y) + D log 256,
    in bits, divided by D.
    """
    ### BEGIN SOLUTION
    return (-log_p_y / num_dims + math.log(256)) / math.log(2)
    ### END SOLUTION
'''


def build() -> Notebook:
    nb = Notebook(HW)
    nb.md(r'''
        # Homework 5: Explicit generative models

        Latent-variable classifiers, flows written in the data-to-latent direction, the Jensen-Shannon
        divergence, the Fréchet distance behind FID, and two explicit-likelihood image models: a masked
        CNN (PixelCNN style) that inpaints binarised MNIST digits, and a fully connected Real NVP.

        *Adapted, with thanks, from Assignment 2 ("Explicit Methods for Generation") of ECE1508: Deep
        Generative Models at the University of Toronto (summer 2025). The problems are restated here,
        and companion autograded checks were added; the point split is the original's.*

        | Part | Topic | Points |
        |---|---|---|
        | Q1 | Discriminative and generative classifiers through a decoder | 15 |
        | Q2 | Flows in the data-to-latent direction | 10 |
        | Q3 | Jensen-Shannon divergence | 15 |
        | Q4 | Fréchet distance (FID) | 10 |
        | P1 | Inpainting with a masked CNN | 25 |
        | P2 | Real NVP on MNIST | 25 |

        **How this notebook runs.** Answer cells say `# COMPLETE`; replace the `raise NotImplementedError()`
        with your code. Written answers replace the "Write your answer here" line of the markdown answer cells
        and are graded by hand. Training only runs when you run the notebook yourself (use a GPU for the full
        settings); set `DGMLAB_FAST=1` for a quick smoke run on a CPU.

        **Points per check, and hidden tests.** The test cell after each answer runs a few visible checks,
        prints the points each one earns (with a hint when it fails) and shows the cell's points as its
        result. Hidden tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} autograded
        points; each test cell says how many of its own. Passing every visible check does not guarantee those.
        **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw5_explicit.ipynb`
        in a terminal): it runs every visible check the way the autograder does and lists, per question, the
        visible points earned, the points hidden tests decide, and written answers still empty.
        ''')
    nb.setup()
    nb.md("Libraries used throughout.")
    nb.code(r'''
        import math
        from pathlib import Path

        import numpy as np
        import sympy as sp
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import matplotlib.pyplot as plt
        from scipy.optimize import minimize_scalar
        from tqdm.auto import tqdm

        import dgmlab
        import dgmlab.data
        from dgmlab import plots, runtime

        FIGURES = Path("figures")
        if runtime.is_fast():
            torch.set_num_threads(1)   # fast and grading runs use tiny tensors: extra threads only add overhead
        ''', locked=True, grade_id="imports")
    _q1_written(nb)
    _q1_discriminative(nb)
    _q1_generative(nb)
    _q1_steps(nb)
    _q2(nb)
    _q2_risk(nb)
    _q3_written(nb)
    _q3_divergences(nb)
    _q3_theta_star(nb)
    _q4_written(nb)
    _q4_stats(nb)
    _q4_frechet(nb)
    _p1_masked_conv(nb)
    _p1_model(nb)
    _p1_nll(nb)
    _p1_inpaint(nb)
    _p1_training(nb)
    _p2_logit(nb)
    _p2_coupling(nb)
    _p2_realnvp(nb)
    _p2_log_prob(nb)
    _p2_bpd(nb)
    _p2_training(nb)
    _p2_samples_and_results(nb)
    nb.md(r'''
        ## Closing note

        You have now met both families of explicit models: autoregressive models (the masked CNN), whose
        likelihood is a product of conditionals and whose sampling is sequential, and flows (Real NVP), whose
        likelihood needs an invertible map with a cheap Jacobian and whose sampling is one pass. Q4's
        Fréchet distance is how the next homeworks compare samples from models with no likelihood at all.

        **What to submit.** This notebook, run, and the two files its training cells write in full mode next to
        it: `P1_WEIGHTS_FILE` and `P2_WEIGHTS_FILE` (in Colab, download them from the homework folder on your
        Google Drive). The two cells graded from them (6 points) earn 0 without them.
        '''.replace("P1_WEIGHTS_FILE", P1_WEIGHTS_FILE).replace("P2_WEIGHTS_FILE", P2_WEIGHTS_FILE))
    nb.fill_point_totals()
    return nb


# ---------------------------------------------------------------------- Q1
def _q1_written(nb):
    """Q1 (15 points): classifying through a pretrained decoder, the written parts."""
    nb.md(r'''
        ## Q1 (15 points): Classifying through a pretrained decoder

        Data $x$ carries a label $y$. We cannot encode $x$, but we own a pretrained **decoder**
        $F_\theta$ that turns a latent code $z$ into a data point $x = F_\theta(z)$, and we know the
        latent prior $P(z)$. To keep sums finite, $x$, $z$ and $y$ each take finitely many values,
        so the decoder is deterministic: $P(x \mid z) = \mathbb 1[F_\theta(z) = x]$.

        Two ways to build a classifier on top of the decoder:

        * **discriminative**: a model $P_w(y \mid z)$ that labels latent codes; Bayes' rule through the
          decoder turns it into $Q_{w,\theta}(y \mid x)$;
        * **generative**: a model $P_w(z \mid y)$ of which codes each class produces; Bayes' rule gives
          $Q'_{w,\theta}(y \mid x)$ (you will also need the class prior $P(y)$).

        The labelled data set is $\mathbb D = \{(x^j, y^j)\}_{j=1}^n$.

        **Written parts (9 points, 1.5 each)**, answered in the cells below:

        1. Derive $Q_{w,\theta}(y \mid x)$ from $P_w(y \mid z)$, $P(z)$ and $F_\theta$.
        2. Write, as an algorithm, how to train $P_w(y \mid z)$ on $\mathbb D$ with this formulation.
        3. How does the cost of one training step compare with that of a plain classifier
           $\tilde P_w(y \mid x)$ trained directly on $x$?
        4. Derive $Q'_{w,\theta}(y \mid x)$ from $P_w(z \mid y)$, $P(y)$ and $F_\theta$.
        5. Write the training loop of $P_w(z \mid y)$ on $\mathbb D$ as an algorithm.
        6. Can the generative route $Q'$ have an advantage over the discriminative route $Q$? Explain.
        ''')
    answers = {
        "q1_1": r'''
            The decoder gives $P(x \mid z) = \mathbb 1[F_\theta(z) = x]$, so by Bayes
            $P(z \mid x) = \dfrac{P(z)\,\mathbb 1[F_\theta(z)=x]}{\sum_{z'} P(z')\,\mathbb 1[F_\theta(z')=x]}$.
            Since $y$ depends on $x$ only through $z$ (the chain $y - z - x$),
            $$Q_{w,\theta}(y \mid x) = \sum_z P_w(y \mid z) P(z \mid x)
              = \frac{\sum_{z:\,F_\theta(z)=x} P(z)\,P_w(y \mid z)}{\sum_{z:\,F_\theta(z)=x} P(z)}.$$
            Marks: posterior over $z$ via the indicator (0.5), marginalising $z$ (0.5), normalisation (0.5).''',
        "q1_2": r'''
            Empirical risk $\hat R(w) = -\frac1n \sum_j \log Q_{w,\theta}(y^j \mid x^j)$.
            Precompute for each distinct $x^j$ the set $\mathcal Z(x^j) = \{z : F_\theta(z) = x^j\}$ (one pass of
            the decoder over all $z$). Then repeat: draw a mini-batch; for each sample compute
            $Q(y^j \mid x^j)$ with the formula of part 1 restricted to $\mathcal Z(x^j)$; compute the mean
            negative log; backpropagate into $w$ only ($\theta$ frozen); take an optimiser step; stop when the
            validation risk stops improving. Marks: loss (0.5), decoder-based posterior (0.5), loop with updates of $w$ only (0.5).''',
        "q1_3": r'''
            A plain classifier evaluates $\tilde P_w(y \mid x)$ once per sample. The latent route needs
            $P_w(y \mid z)$ for **every** $z$ that decodes to $x$, i.e. finding those $z$ (a search over the whole,
            exponentially large latent set $|\mathcal Z| = \prod_\ell |\mathcal Z_\ell|$ unless cached) and
            one forward/backward pass of the classifier per such $z$. So one step costs roughly
            $|\{z : F_\theta(z)=x\}|$ times more (plus the decoder search), which is far more expensive.''',
        "q1_4": r'''
            $P_w(x \mid y) = \sum_z P(x \mid z) P_w(z \mid y) = \sum_{z:\,F_\theta(z)=x} P_w(z \mid y)$, and Bayes gives
            $$Q'_{w,\theta}(y \mid x) = \frac{P(y) \sum_{z:\,F_\theta(z)=x} P_w(z \mid y)}
              {\sum_{y'} P(y') \sum_{z:\,F_\theta(z)=x} P_w(z \mid y')}.$$
            $P(y)$ can be estimated by the label frequencies in $\mathbb D$.''',
        "q1_5": r'''
            Maximum likelihood of the pairs: $\hat R(w) = -\frac1n\sum_j \log P_w(x^j \mid y^j)
            = -\frac1n \sum_j \log \sum_{z:\,F_\theta(z)=x^j} P_w(z \mid y^j)$ ($P(y)$ has no parameters; set it to
            the label frequencies). Loop: precompute $\mathcal Z(x^j)$; for each mini-batch sum $P_w(z \mid y^j)$ over
            $\mathcal Z(x^j)$, take the mean negative log, backpropagate into $w$, step; stop on validation
            likelihood. Classify new $x$ with part 4.''',
        "q1_6": r'''
            Yes. $P_w(z \mid y)$ models the data of each class, so it (i) can use unlabelled data too (through
            $P(x) = \sum_y P(y) P_w(x \mid y)$), (ii) tends to need fewer labelled samples when the model is
            right (generative classifiers converge faster, Ng & Jordan), (iii) can generate samples of a class
            through $F_\theta$ and detect inputs with low $P_w(x)$, and (iv) the class prior can be changed
            without retraining. The price: it spends capacity on modelling $z$ and is worse asymptotically when the
            model is misspecified; the discriminative route targets the decision directly.''',
    }
    for i, (gid, text) in enumerate(answers.items(), start=1):
        nb.md(f"**Q1.{i} (1.5 points)** Your answer:")
        nb.written(gid, points=1.5, model_answer=text)


def _q1_discriminative(nb):
    """Q1 companion: the discriminative posterior Q(y|x) in a small discrete world."""
    nb.md(r'''
        ### Q1 companion (6 points, autograded): a small discrete world

        Here everything is a finite table, so the formulas of Q1.1 and Q1.4 can be computed exactly.
        Latent codes are $z \in \{0, \dots, K-1\}$, data points $x \in \{0, \dots, X-1\}$, labels
        $y \in \{0, \dots, C-1\}$; the decoder is an integer table `F` with `F[z]` $= F_\theta(z)$.
        Some $x$ may be the image of no $z$: the model gives them probability zero and the posterior is
        undefined; your functions must then return the uniform distribution $1/C$ (and never crash or
        return NaN). Work with tensors (no Python loops needed) and keep the result differentiable, since
        the training steps below backpropagate through it.
        ''')
    nb.md("An example world to try your functions on.")
    nb.code(r'''
        F_table = torch.tensor([0, 1, 1, 2, 0, 2])          # K = 6 latents decode to X = 4 data points; none gives x = 3
        prior_z = torch.tensor([0.1, 0.2, 0.1, 0.3, 0.2, 0.1])
        p_y_given_z = torch.softmax(torch.randn(6, 3), dim=1)   # C = 3 labels
        p_z_given_y = torch.softmax(torch.randn(3, 6), dim=1)
        prior_y = torch.tensor([0.5, 0.3, 0.2])
        x_example = torch.tensor([0, 1, 2, 3])
        ''', locked=True, grade_id="q1_world")
    nb.md(r"Compute $Q(y \mid x)$ of Q1.1: weight $P_w(y \mid z)$ by $P(z)$ over the codes that decode to $x$, then normalise.")
    nb.answer("q1_discriminative", Q1_DISC)
    nb.tests("q1_discriminative_tests", points=2, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        def _row(t):
            return "[" + ", ".join(f"{v:.4f}" for v in t.tolist()) + "]"


        @points(0.25)
        def test_rows_are_distributions():
            Q = discriminative_posterior(p_y_given_z, F_table, prior_z, x_example)
            checks.assert_tensor(Q, "discriminative_posterior(...)", shape=(4, 3))
            hint = ""
            if not torch.isfinite(Q[3]).all():
                hint = ": the row of x = 3, which no latent decodes to, is NaN or inf (return the uniform 1/C there)"
            assert torch.allclose(Q.sum(dim=1), torch.ones(4)), \
                f"expected every row of Q(y|x) to sum to 1, found row sums {_row(Q.sum(dim=1))}{hint}"


        @points(0.5)
        def test_value_at_x0_of_the_example_world():
            # latents 0 and 4 decode to x = 0, with prior weights 0.1 and 0.2
            got = discriminative_posterior(p_y_given_z, F_table, prior_z, torch.tensor([0]))[0].detach()
            want = (0.1 * p_y_given_z[0] + 0.2 * p_y_given_z[4]) / 0.3
            hint = ""
            if torch.allclose(got, (p_y_given_z[0] + p_y_given_z[4]) / 2, atol=1e-5):
                hint = ": that is the plain average of P_w(y|z) over z = 0 and 4, so the prior P(z) was left out"
            elif torch.allclose(got, 0.1 * p_y_given_z[0] + 0.2 * p_y_given_z[4], atol=1e-5):
                hint = ": that is P(x, y), not yet divided by P(x) = 0.3"
            assert torch.allclose(got, want, atol=1e-5), \
                (f"for x = 0 (latents 0 and 4, prior 0.1 and 0.2) expected Q(y|x) = {_row(want)}, "
                 f"found {_row(got)}{hint}")


        ### BEGIN HIDDEN TESTS
        def _brute(pyz, Fz, pz, x):
            K, C = pyz.shape
            out = torch.zeros(len(x), C, dtype=torch.float64)
            for n, xn in enumerate(x.tolist()):
                zs = [z for z in range(K) if int(Fz[z]) == xn]
                if not zs:
                    out[n] = 1.0 / C
                    continue
                ev = sum(float(pz[z]) for z in zs)
                for c in range(C):
                    out[n, c] = sum(float(pz[z]) * float(pyz[z, c]) for z in zs) / ev
            return out


        @points(0.75)
        def test_matches_enumeration():
            g = torch.Generator().manual_seed(5)
            for K, X, C in [(6, 4, 3), (9, 5, 4)]:
                Fz = torch.randint(0, X - 1, (K,), generator=g)
                pz = torch.rand(K, generator=g, dtype=torch.float64) + 0.05
                pz = pz / pz.sum()
                pyz = torch.softmax(3 * torch.randn(K, C, generator=g, dtype=torch.float64), dim=1)
                x = torch.arange(X - 1)
                checks.assert_close(discriminative_posterior(pyz, Fz, pz, x), _brute(pyz, Fz, pz, x), rtol=1e-7,
                                    atol=1e-9, name="Q(y|x) on a random discrete world")


        @points(0.25)
        def test_unreachable_x_is_uniform():
            Q = discriminative_posterior(p_y_given_z, F_table, prior_z, torch.tensor([3, 0]))
            assert torch.isfinite(Q).all(), "Q(y|x) has NaN or inf for an x that no latent decodes to"
            checks.assert_close(Q[0], torch.full((3,), 1 / 3), name="Q(y|x) for an x no latent decodes to")


        @points(0.25)
        def test_is_differentiable():
            pyz = p_y_given_z.clone().requires_grad_(True)
            discriminative_posterior(pyz, F_table, prior_z, x_example[:3])[:, 0].sum().backward()
            assert pyz.grad is not None and pyz.grad.abs().sum() > 0, "Q(y|x) must be differentiable in P_w(y|z)"
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1.25)
        ''')


def _q1_generative(nb):
    """Q1 companion: the generative posterior Q'(y|x)."""
    nb.md(r"Compute $Q'(y \mid x)$ of Q1.4: the class prior times the probability that class $y$ produces a code decoding to $x$, normalised over $y$.")
    nb.answer("q1_generative", Q1_GEN)
    nb.tests("q1_generative_tests", points=2, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        def _row(t):
            return "[" + ", ".join(f"{v:.4f}" for v in t.tolist()) + "]"


        @points(0.25)
        def test_rows_are_distributions():
            Q = generative_posterior(p_z_given_y, F_table, prior_y, x_example)
            checks.assert_tensor(Q, "generative_posterior(...)", shape=(4, 3))
            hint = ""
            if not torch.isfinite(Q[3]).all():
                hint = ": the row of x = 3, which no latent decodes to, is NaN or inf (return the uniform 1/C there)"
            assert torch.allclose(Q.sum(dim=1), torch.ones(4)), \
                f"expected every row of Q'(y|x) to sum to 1, found row sums {_row(Q.sum(dim=1))}{hint}"


        @points(0.5)
        def test_value_at_x0_of_the_example_world():
            # latents 0 and 4 decode to x = 0: P_w(x = 0 | y) = P_w(z = 0 | y) + P_w(z = 4 | y)
            got = generative_posterior(p_z_given_y, F_table, prior_y, torch.tensor([0]))[0].detach()
            likelihood = p_z_given_y[:, 0] + p_z_given_y[:, 4]
            want = prior_y * likelihood / (prior_y * likelihood).sum()
            hint = ""
            if torch.allclose(got, likelihood / likelihood.sum(), atol=1e-5):
                hint = ": that is P_w(x|y) normalised over y without the class prior P(y)"
            elif torch.allclose(got, prior_y * likelihood, atol=1e-5):
                hint = ": that is P_w(x, y), not yet normalised over y"
            assert torch.allclose(got, want, atol=1e-5), \
                f"for x = 0 (latents 0 and 4) expected Q'(y|x) = {_row(want)}, found {_row(got)}{hint}"


        ### BEGIN HIDDEN TESTS
        def _brute(pzy, Fz, py, x):
            C, K = pzy.shape
            out = torch.zeros(len(x), C, dtype=torch.float64)
            for n, xn in enumerate(x.tolist()):
                joint = [float(py[c]) * sum(float(pzy[c, z]) for z in range(K) if int(Fz[z]) == xn) for c in range(C)]
                ev = sum(joint)
                for c in range(C):
                    out[n, c] = joint[c] / ev if ev > 0 else 1.0 / C
            return out


        @points(0.75)
        def test_matches_enumeration():
            g = torch.Generator().manual_seed(7)
            for K, X, C in [(6, 4, 3), (10, 5, 4)]:
                Fz = torch.randint(0, X - 1, (K,), generator=g)
                py = torch.rand(C, generator=g, dtype=torch.float64) + 0.1
                py = py / py.sum()
                pzy = torch.softmax(3 * torch.randn(C, K, generator=g, dtype=torch.float64), dim=1)
                x = torch.arange(X - 1)
                checks.assert_close(generative_posterior(pzy, Fz, py, x), _brute(pzy, Fz, py, x), rtol=1e-7,
                                    atol=1e-9, name="Q'(y|x) on a random discrete world")


        @points(0.25)
        def test_unreachable_x_is_uniform():
            Q = generative_posterior(p_z_given_y, F_table, prior_y, torch.tensor([3, 1]))
            assert torch.isfinite(Q).all(), "Q'(y|x) has NaN or inf for an x that no latent decodes to"
            checks.assert_close(Q[0], torch.full((3,), 1 / 3), name="Q'(y|x) for an x no latent decodes to")


        @points(0.25)
        def test_is_differentiable():
            pzy = p_z_given_y.clone().requires_grad_(True)
            generative_posterior(pzy, F_table, prior_y, x_example[:3])[:, 0].sum().backward()
            assert pzy.grad is not None and pzy.grad.abs().sum() > 0, "Q'(y|x) must be differentiable in P_w(z|y)"
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1.25)
        ''')


def _q1_steps(nb):
    """Q1 companion: one gradient step of each training algorithm."""
    nb.md(r'''
        One gradient step of each training algorithm (Q1.2 and Q1.5). The discriminative model is trained
        on $-\frac1n\sum_j \log Q(y^j \mid x^j)$; the generative model by maximum likelihood of the data given
        the labels, $-\frac1n\sum_j \log P_w(x^j \mid y^j)$. Both are parameterised by logits and a softmax.
        ''')
    nb.answer("q1_steps", Q1_STEPS)
    nb.tests("q1_steps_tests", points=2, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        x_train, y_train = torch.tensor([0, 1, 2, 1, 0]), torch.tensor([0, 2, 1, 2, 0])


        @points(0.25)
        def test_steps_return_tensor_and_float():
            W_new, loss = discriminative_step(torch.zeros(6, 3), F_table, prior_z, x_train, y_train, lr=0.5)
            assert not getattr(W_new, "requires_grad", False), \
                "expected W_new detached from the graph (requires_grad False), found it attached: return (...).detach()"
            checks.assert_tensor(W_new, "W_new", shape=(6, 3), requires_grad=False)
            assert isinstance(loss, float), f"expected the loss as a Python float, found {type(loss).__name__} (use .item())"
            V_new, loss = generative_step(torch.zeros(3, 6), F_table, x_train, y_train, lr=0.5)
            assert not getattr(V_new, "requires_grad", False), \
                "expected V_new detached from the graph (requires_grad False), found it attached: return (...).detach()"
            checks.assert_tensor(V_new, "V_new", shape=(3, 6), requires_grad=False)
            assert isinstance(loss, float), f"expected the loss as a Python float, found {type(loss).__name__} (use .item())"


        @points(0.25)
        def test_loss_at_zero_logits_is_log_3():
            # zero logits: P_w(y|z) = 1/3, so Q(y|x) = 1/3; P_w(z|y) = 1/6 and each x_j has 2 codes, so P_w(x|y) = 1/3
            for name, loss in [("discriminative", discriminative_step(torch.zeros(6, 3), F_table, prior_z, x_train, y_train, lr=0.5)[1]),
                               ("generative", generative_step(torch.zeros(3, 6), F_table, x_train, y_train, lr=0.5)[1])]:
                hint = ""
                if abs(float(loss) - 5 * math.log(3)) < 1e-4:
                    hint = ": that is the sum over the 5 examples, not the mean"
                elif abs(float(loss) + math.log(3)) < 1e-4:
                    hint = ": that is the log-likelihood; the loss is its negative"
                assert abs(float(loss) - math.log(3)) < 1e-5, \
                    f"expected the {name} loss at zero logits to be log 3 = {math.log(3):.5f}, found {float(loss):.5f}{hint}"


        @points(0.5)
        def test_a_small_step_lowers_the_loss():
            g = torch.Generator().manual_seed(0)
            W, V = torch.randn(6, 3, generator=g), torch.randn(3, 6, generator=g)
            W_new, before = discriminative_step(W, F_table, prior_z, x_train, y_train, lr=0.1)
            after = discriminative_step(W_new, F_table, prior_z, x_train, y_train, lr=0.0)[1]
            assert after < before, \
                (f"expected one step with lr = 0.1 to lower the discriminative loss, found {before:.5f} -> {after:.5f}: "
                 f"step against the gradient, W - lr * dL/dW")
            V_new, before = generative_step(V, F_table, x_train, y_train, lr=0.1)
            after = generative_step(V_new, F_table, x_train, y_train, lr=0.0)[1]
            assert after < before, \
                (f"expected one step with lr = 0.1 to lower the generative loss, found {before:.5f} -> {after:.5f}: "
                 f"step against the gradient, V - lr * dL/dV")


        ### BEGIN HIDDEN TESTS
        def _disc_loss(W, Fz, pz, x, y):
            total = 0
            for xn, yn in zip(x.tolist(), y.tolist()):
                zs = [z for z in range(len(Fz)) if int(Fz[z]) == xn]
                total = total - torch.log(sum(pz[z] * torch.softmax(W[z], 0)[yn] for z in zs) / sum(pz[z] for z in zs))
            return total / len(x)


        def _gen_loss(V, Fz, x, y):
            total = 0
            for xn, yn in zip(x.tolist(), y.tolist()):
                p = torch.softmax(V[yn], 0)
                total = total - torch.log(sum(p[z] for z in range(len(Fz)) if int(Fz[z]) == xn))
            return total / len(x)


        def _world(seed):
            g = torch.Generator().manual_seed(seed)
            Fz = torch.tensor([0, 1, 1, 2, 0, 2, 1])
            pz = torch.rand(7, generator=g, dtype=torch.float64) + 0.1
            x = torch.randint(0, 3, (8,), generator=g)
            y = torch.randint(0, 3, (8,), generator=g)
            return g, Fz, pz / pz.sum(), x, y


        @points(0.5)
        def test_discriminative_step_matches_enumeration():
            g, Fz, pz, x, y = _world(1)
            W = torch.randn(7, 3, generator=g, dtype=torch.float64)
            Wr = W.clone().requires_grad_(True)
            ref_loss = _disc_loss(Wr, Fz, pz, x, y)
            ref_loss.backward()
            W_new, loss = discriminative_step(W, Fz, pz, x, y, lr=0.3)
            checks.assert_close(loss, ref_loss.item(), rtol=1e-6, name="the discriminative loss")
            checks.assert_close(W_new, (W - 0.3 * Wr.grad).detach(), rtol=1e-6, atol=1e-8, name="W after one step")


        @points(0.5)
        def test_generative_step_matches_enumeration():
            g, Fz, pz, x, y = _world(2)
            V = torch.randn(3, 7, generator=g, dtype=torch.float64)
            Vr = V.clone().requires_grad_(True)
            ref_loss = _gen_loss(Vr, Fz, x, y)
            ref_loss.backward()
            V_new, loss = generative_step(V, Fz, x, y, lr=0.3)
            checks.assert_close(loss, ref_loss.item(), rtol=1e-6, name="the generative loss")
            checks.assert_close(V_new, (V - 0.3 * Vr.grad).detach(), rtol=1e-6, atol=1e-8, name="V after one step")
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1)
        ''')


# ---------------------------------------------------------------------- Q2
def _q2(nb):
    nb.md(r'''
        ## Q2 (10 points): Flows in the data-to-latent direction

        In the lectures the flow mapped latent to data, $x = g_w(z)$. Many codes go the other way: the
        flow $f_w:\mathbb R^d \to \mathbb R^d$ **encodes**, $z = f_w(x)$, and $x = f_w^{-1}(z)$ generates.
        Redo the lecture's derivation in this direction. The latent has density $Q(z)$.

        **Written parts (5 points):**

        1. (1.5) Scalar case, $f_w$ strictly increasing: derive $P_w(x)$ in terms of $Q$ and $f_w$.
        2. (1) State, without derivation, the $d$-dimensional version.
        3. (1) Give the maximum-likelihood empirical risk on $\mathbb D = \{x^j\}_{j=1}^n$.
        4. (1.5) What is the key difference from the lecture's formulas, and why does it matter in practice?
        ''')
    answers = {
        "q2_1": (1.5, r'''
            $F_X(x) = \Pr[f_w(X') \le f_w(x)] = F_Z(f_w(x))$ because $f_w$ is increasing; differentiating,
            $P_w(x) = Q(f_w(x))\, f_w'(x)$ (and $|f_w'(x)|$ for a decreasing map).'''),
        "q2_2": (1, r'''
            $P_w(x) = Q(f_w(x))\, \left|\det \dfrac{\partial f_w(x)}{\partial x}\right|$.'''),
        "q2_3": (1, r'''
            $\hat R(w) = -\frac1n \sum_{j=1}^n \Big[\log Q(f_w(x^j)) + \log\left|\det \frac{\partial f_w}{\partial x}(x^j)\right|\Big]$,
            minimised over $w$.'''),
        "q2_4": (1.5, r'''
            The Jacobian appears un-inverted and with a **plus** sign: with $x = g_w(z)$ the lecture had
            $P_w(x) = Q(g_w^{-1}(x))\,|\det \partial g_w/\partial z|^{-1}$, i.e. $-\log|\det J_g|$ evaluated at
            $z = g_w^{-1}(x)$. Here training only needs the forward pass $f_w(x)$ and its Jacobian (fast density
            evaluation, no inversion during training), while sampling needs $f_w^{-1}$. Mathematically the two are
            the same model with $g_w = f_w^{-1}$.'''),
    }
    for i, (gid, (pts, text)) in enumerate(answers.items(), start=1):
        nb.md(f"**Q2.{i} ({pts:g} point{'' if pts == 1 else 's'})** Your answer:")
        nb.written(gid, points=pts, model_answer=text)
    nb.md(r'''
        ### Q2 companion (5 points, autograded)

        **(2 points)** Write Q2.1 as a sympy function: given the latent density `q` (an expression in
        `z_sym`) and an increasing flow `f` (an expression in `x_sym`), return $P_w(x)$ as an expression in
        `x_sym`.
        ''')
    nb.code(r'''
        x_sym, z_sym = sp.symbols("x z", real=True)
        standard_normal = sp.exp(-z_sym ** 2 / 2) / sp.sqrt(2 * sp.pi)
        ''', locked=True, grade_id="q2_symbols")
    nb.answer("q2_density", Q2_DENSITY.rstrip() + '\n\n\nprint("P_w(x) for Q = N(0, 1) and f(x) = x**3 + x:", '
                                                  'flow_density(standard_normal, x_sym ** 3 + x_sym))\n',
              check_output=True)
    nb.tests("q2_density_tests", points=2, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.25)
        def test_is_expression_in_x():
            p = flow_density(standard_normal, 2 * x_sym + 1)
            checks.assert_sympy_expr(p, "flow_density(q, f)", symbols=[x_sym])


        @points(0.5)
        def test_value_for_an_affine_flow():
            # z = f(x) = 2x + 1 with Q = N(0, 1): at x = 0, z = 1 and f'(0) = 2
            got = float(sp.N(flow_density(standard_normal, 2 * x_sym + 1).subs(x_sym, 0)))
            phi1 = math.exp(-0.5) / math.sqrt(2 * math.pi)
            hint = ""
            if abs(got - phi1) < 1e-9:
                hint = ": that is Q(f(0)) alone; the density needs the Jacobian factor f'(x)"
            elif abs(got - phi1 / 2) < 1e-9:
                hint = ": that is Q(f(0)) / f'(0), the latent-to-data formula; here z = f(x), so multiply by f'(x)"
            assert abs(got - 2 * phi1) < 1e-9, \
                f"for f(x) = 2x + 1 and Q = N(0, 1) expected P_w(0) = 2 Q(1) = {2 * phi1:.6f}, found {got:.6f}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(0.75)
        def test_exact_for_increasing_flows():
            for f in [x_sym ** 3 + x_sym, sp.sinh(x_sym), 3 * x_sym - 2]:
                expected = standard_normal.subs(z_sym, f) * sp.diff(f, x_sym)
                checks.assert_sympy_equal(flow_density(standard_normal, f), expected, "P_w(x) for an increasing flow")


        @points(0.5)
        def test_integrates_to_one():
            from scipy.integrate import quad
            q = sp.exp(-z_sym) * sp.Heaviside(z_sym)        # Exp(1) latent, f = exp maps R onto (0, inf)
            p = sp.lambdify(x_sym, flow_density(q, sp.exp(x_sym)), "math")
            total = quad(p, -30, 10)[0]
            assert abs(total - 1) < 1e-6, "P_w(x) does not integrate to 1: check the Jacobian factor"
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1.25)
        ''')


def _q2_risk(nb):
    """Q2.3 as code: the empirical risk of a data-to-latent flow."""
    nb.md(r'''
        **(3 points)** Write Q2.3 as a function. The flow returns the latent and its log-Jacobian
        determinant; the latent log-density is a given function. Average over the batch (the risk is a mean).
        ''')
    nb.answer("q2_risk", Q2_RISK)
    nb.tests("q2_risk_tests", points=3, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        def _std_normal_log_q(z):
            return torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(dim=1)


        @points(0.5)
        def test_identity_flow_on_zeros():
            identity = lambda x: (x, torch.zeros(x.shape[0]))
            risk = flow_empirical_risk(identity, _std_normal_log_q, torch.zeros(4, 2))
            checks.assert_tensor(risk, "flow_empirical_risk(...)", shape=())
            want = math.log(2 * math.pi)
            hint = ""
            if abs(float(risk) - 4 * want) < 1e-4:
                hint = ": that is the sum over the 4 points; the risk is a mean"
            elif abs(float(risk) + want) < 1e-4:
                hint = ": that is the mean log-likelihood; the risk is its negative"
            assert abs(float(risk) - want) < 1e-5, \
                (f"for the identity flow and N(0, I) in 2-D at x = 0 expected the risk log(2 pi) = {want:.5f}, "
                 f"found {float(risk):.5f}{hint}")


        @points(1)
        def test_log_det_on_a_tiny_case():
            # z = f(x) = x / 2 in 1-D: log|det df/dx| = -log 2; at x = 0, log Q(0) = -log(2 pi) / 2
            halve = lambda x: (x / 2, torch.full((x.shape[0],), -math.log(2.0)))
            risk = float(flow_empirical_risk(halve, _std_normal_log_q, torch.zeros(3, 1)))
            want = 0.5 * math.log(2 * math.pi) + math.log(2.0)
            hint = ""
            if abs(risk - (0.5 * math.log(2 * math.pi) - math.log(2.0))) < 1e-4:
                hint = ": the log-determinant enters with the wrong sign (risk = -mean[log Q(f(x)) + log|det|])"
            elif abs(risk - 0.5 * math.log(2 * math.pi)) < 1e-4:
                hint = ": the log-determinant the flow returns was left out"
            assert abs(risk - want) < 1e-5, \
                f"for f(x) = x / 2 at x = 0 expected the risk log(2 pi) / 2 + log 2 = {want:.5f}, found {risk:.5f}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(1)
        def test_affine_flow_matches_torch_distributions():
            g = torch.Generator().manual_seed(3)
            a = torch.rand(3, generator=g, dtype=torch.float64) * 2 + 0.2     # scales (not 1, so the Jacobian matters)
            b = torch.randn(3, generator=g, dtype=torch.float64)
            flow = lambda x: ((x - b) / a, -torch.log(a).sum().expand(x.shape[0]))
            x = torch.randn(7, 3, generator=g, dtype=torch.float64) * 2
            expected = -torch.distributions.Normal(b, a).log_prob(x).sum(dim=1).mean()
            checks.assert_close(flow_empirical_risk(flow, _std_normal_log_q, x), expected, rtol=1e-8,
                                name="the empirical risk of an affine flow")


        @points(0.5)
        def test_differentiable():
            a = torch.tensor([2.0, 0.5], requires_grad=True)
            flow = lambda x: (x / a, -torch.log(a).sum().expand(x.shape[0]))
            flow_empirical_risk(flow, _std_normal_log_q, torch.randn(5, 2)).backward()
            assert a.grad is not None, "the risk must be differentiable through the flow's parameters"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=1.5)
        ''')


# ---------------------------------------------------------------------- Q3
def _q3_written(nb):
    """Q3 (15 points): the Jensen-Shannon divergence, the written parts."""
    nb.md(r'''
        ## Q3 (15 points): The Jensen-Shannon divergence

        For distributions $P$ and $Q$ on the same space, let $M = \tfrac12(P + Q)$ pointwise and
        $$D_{\mathrm{JS}}(P \,\|\, Q) = \tfrac12 D_{\mathrm{KL}}(P \,\|\, M) + \tfrac12 D_{\mathrm{KL}}(Q \,\|\, M).$$
        Logarithms are natural (nats) throughout.

        **Written parts (8 points):**

        1. (2) Show that $M$ is a distribution (both defining properties).
        2. (1.5) Can $D_{\mathrm{JS}}$ be negative? Justify.
        3. (1.5) Show that $D_{\mathrm{JS}}(P\|Q) = D_{\mathrm{JS}}(Q\|P)$.
        4. (1) Look at the plot below (part of the companion) and comment: where are the minima, how do the two
           curves differ near $\theta \to 0$ and $\theta \to 1$, and why?
        5. (2) If $P(x) > 0$ and $Q(x) > 0$ everywhere on $\mathbb X$, show that $D_{\mathrm{JS}}(P\|Q) = 0$ if and only
           if $D_{\mathrm{KL}}(P\|Q) = 0$.
        ''')
    answers = {
        "q3_1": (2, r'''
            Non-negativity: $M(x) = \frac12(P(x)+Q(x)) \ge 0$ as a sum of non-negative terms. Normalisation:
            $\sum_x M(x) = \frac12\sum_x P(x) + \frac12 \sum_x Q(x) = \frac12 + \frac12 = 1$ (integrals for densities).'''),
        "q3_2": (1.5, r'''
            No. It is an average of two KL divergences, each $\ge 0$ by Gibbs' inequality (Jensen applied to $-\log$),
            so $D_{\mathrm{JS}} \ge 0$. ($M>0$ wherever $P>0$ or $Q>0$, so both KL terms are finite; $D_{\mathrm{JS}}\le\log 2$.)'''),
        "q3_3": (1.5, r'''
            $M$ is symmetric in $P$ and $Q$; swapping $P$ and $Q$ swaps the two terms of the sum and leaves $M$
            unchanged, so the value is the same.'''),
        "q3_4": (1, r'''
            Both curves reach their minimum 0 at $\theta^* = 0.3$, where $P = Q$. KL is asymmetric and steeper: it
            tends to $\log(1/0.7) \approx 0.357$ as $\theta\to0$ and $\log(1/0.3) \approx 1.204$ as $\theta\to1$. JS is
            smaller, flatter and bounded by $\log 2$, because the mixture $M$ always overlaps both $P$ and $Q$.'''),
        "q3_5": (2, r'''
            Both KL and JS are zero iff $P = Q$. ($\Leftarrow$) If $P=Q$ then $M = P$ and every log-ratio is 0.
            ($\Rightarrow$ for KL) $D_{\mathrm{KL}}(P\|Q)=0$ forces equality in Jensen's inequality, so $Q/P$ is constant,
            hence $P = Q$. ($\Rightarrow$ for JS) $D_{\mathrm{JS}}=0$ forces both non-negative terms to vanish, so
            $P = M$ and $Q = M$, hence $P = Q$. Therefore $D_{\mathrm{JS}} = 0 \iff P = Q \iff D_{\mathrm{KL}} = 0$
            (positivity keeps every term finite).'''),
    }
    for i, (gid, (pts, text)) in enumerate(answers.items(), start=1):
        nb.md(f"**Q3.{i} ({pts:g} point{'' if pts == 1 else 's'})** Your answer:")
        nb.written(gid, points=pts, model_answer=text)


def _q3_divergences(nb):
    """Q3 companion: KL and JS between the two distributions, in sympy."""
    nb.md(r'''
        ### Q3 companion (7 points, autograded)

        Take $P = \mathrm{Bern}(\theta)$ (so $P(1) = \theta$) and $Q = \mathrm{Bern}(0.3)$. Write
        $D_{\mathrm{KL}}(\mathrm{Bern}(a)\,\|\,\mathrm{Bern}(b))$ and $D_{\mathrm{JS}}(\mathrm{Bern}(a)\,\|\,\mathrm{Bern}(b))$
        as sympy expressions; the cell then forms `kl_PQ` $= D_{\mathrm{KL}}(P\|Q)$ and `js_PQ` $= D_{\mathrm{JS}}(P\|Q)$
        as functions of `theta`. KL is worth 2 points, JS 3 points.
        ''')
    nb.code('theta = sp.symbols("theta", positive=True)', locked=True, grade_id="q3_symbols")
    nb.answer("q3_divergences", Q3_DIV.rstrip() + '\nprint("D_KL(P || Q) =", kl_PQ)\nprint("D_JS(P || Q) =", js_PQ)\n',
              check_output=True)
    nb.tests("q3_kl_tests", points=2, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        def _kl(a, b):
            return a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))


        @points(0.25)
        def test_kl_is_expression_in_theta():
            checks.assert_sympy_expr(kl_PQ, "kl_PQ", symbols=[theta])


        @points(0.5)
        def test_kl_at_one_half():
            got = float(sp.N(kl_PQ.subs(theta, sp.Rational(1, 2)), 30))
            want = _kl(0.5, 0.3)
            hint = ""
            if abs(got - _kl(0.3, 0.5)) < 1e-9:
                hint = ": that is D_KL(Q || P); the arguments are in the wrong order"
            elif abs(got - want / math.log(2)) < 1e-9:
                hint = ": that is in bits (log base 2); use the natural log"
            assert abs(got - want) < 1e-9, \
                f"expected D_KL(Bern(1/2) || Bern(0.3)) = {want:.6f} nats at theta = 1/2, found {got:.6f}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(0.75)
        def test_kl_values():
            for t in [sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(9, 10), sp.Rational(3, 10)]:
                got = float(kl_PQ.subs(theta, t).evalf(30))
                assert abs(got - _kl(float(t), 0.3)) < 1e-12, "kl_PQ has the wrong value at some theta"


        @points(0.5)
        def test_kl_is_not_symmetric():
            a, b = sp.Rational(1, 5), sp.Rational(7, 10)
            forward, backward = float(kl_bernoulli(a, b)), float(kl_bernoulli(b, a))
            assert abs(forward - _kl(0.2, 0.7)) < 1e-12, "kl_bernoulli(a, b) must be D_KL(Bern(a) || Bern(b)) (order matters)"
            assert abs(backward - _kl(0.7, 0.2)) < 1e-12, "kl_bernoulli(a, b) must be D_KL(Bern(a) || Bern(b)) (order matters)"
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1.25)
        ''')
    nb.tests("q3_js_tests", points=3, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        def _kl(p, q):
            return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


        def _js(a, b):
            m = (a + b) / 2
            return 0.5 * _kl(a, m) + 0.5 * _kl(b, m)


        @points(0.25)
        def test_js_is_expression_in_theta():
            checks.assert_sympy_expr(js_PQ, "js_PQ", symbols=[theta])


        @points(0.75)
        def test_js_at_one_half():
            got = float(sp.N(js_PQ.subs(theta, sp.Rational(1, 2)), 30))
            want = _js(0.5, 0.3)
            hint = ""
            if abs(got - 2 * want) < 1e-9:
                hint = ": that is twice the answer; each KL term carries a weight 1/2"
            elif abs(got - (_kl(0.5, 0.3) + _kl(0.3, 0.5)) / 2) < 1e-9:
                hint = ": that is the symmetrised KL between P and Q; JS compares each with the mixture M = (P + Q)/2"
            elif abs(got - _kl(0.5, 0.4)) < 1e-9:
                hint = ": that is D_KL(P || M) alone; add D_KL(Q || M) and halve"
            elif abs(got - want / math.log(2)) < 1e-9:
                hint = ": that is in bits (log base 2); use the natural log"
            assert abs(got - want) < 1e-9, \
                f"expected D_JS(Bern(1/2) || Bern(0.3)) = {want:.6f} nats at theta = 1/2, found {got:.6f}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_js_values():
            for t in [sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(9, 10)]:
                got = float(js_PQ.subs(theta, t).evalf(30))
                assert abs(got - _js(float(t), 0.3)) < 1e-12, "js_PQ has the wrong value at some theta"


        @points(0.75)
        def test_js_symmetric_nonnegative_bounded():
            grid = [sp.Rational(k, 20) for k in range(1, 20)]
            for a in grid[::3]:
                for b in grid[::4]:
                    ab, ba = float(js_bernoulli(a, b)), float(js_bernoulli(b, a))
                    assert abs(ab - ba) < 1e-12, "js_bernoulli is not symmetric in its arguments"
                    assert -1e-15 <= ab <= math.log(2) + 1e-12, "js_bernoulli leaves [0, log 2]"


        @points(0.75)
        def test_zero_iff_equal():
            grid = [sp.Rational(k, 10) for k in range(1, 10)]
            for a in grid:
                for b in grid:
                    js, kl = float(js_bernoulli(a, b)), float(kl_bernoulli(a, b))
                    if a == b:
                        assert abs(js) < 1e-14 and abs(kl) < 1e-14, "a divergence is not zero for equal distributions"
                    else:
                        assert js > 1e-6 and kl > 1e-6, "a divergence is zero for different distributions"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')


def _q3_theta_star(nb):
    """Q3 companion: the minimisers of the two divergences."""
    nb.md("Both divergences against $\\theta$ (this plot is what Q3.4 asks you to comment on).")
    nb.code(r'''
        if not runtime.is_grading():   # for you to look at; nothing here is graded automatically
            thetas = np.linspace(0.001, 0.999, 400)
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.plot(thetas, sp.lambdify(theta, kl_PQ, "numpy")(thetas), label=r"$D_{KL}(P\|Q)$")
            ax.plot(thetas, sp.lambdify(theta, js_PQ, "numpy")(thetas), label=r"$D_{JS}(P\|Q)$")
            ax.axhline(math.log(2), ls=":", c="gray", label=r"$\log 2$")
            ax.set_xlabel(r"$\theta$")
            ax.set_ylabel("nats")
            ax.legend()
            ax.grid(alpha=0.3)
            FIGURES.mkdir(exist_ok=True)
            fig.savefig(FIGURES / "q3_divergences.png", dpi=100, bbox_inches="tight")
            dgmlab.workspace.saved(FIGURES / "q3_divergences.png", what="figure saved")
            plt.show()
        ''', locked=True, grade_id="q3_plot", uses_answers=True)
    nb.md(r'''
        **(2 points)** Find the minimisers $\theta^*$ of `kl_PQ` and `js_PQ` over $(0, 1)$, symbolically
        (`sp.solve` on the derivative) or numerically (`minimize_scalar` is imported), and store them as Python
        floats in `theta_star_kl` (the minimiser of `kl_PQ`) and `theta_star_js` (the minimiser of `js_PQ`).
        ''')
    nb.answer("q3_theta_star", Q3_THETA, check_output=True)
    nb.tests("q3_theta_star_tests", points=2, src=r'''
        from dgmlab.testing import points, run_tests


        @points(0.5)
        def test_are_floats_in_unit_interval():
            for name, value in [("theta_star_kl", theta_star_kl), ("theta_star_js", theta_star_js)]:
                assert isinstance(value, (float, int, np.floating)), \
                    f"expected {name} to be a Python float, found {type(value).__name__} (convert with float(...))"
                assert 0 < float(value) < 1, f"expected {name} in (0, 1), found {float(value)}"


        @points(0.5)
        def test_no_grid_point_is_lower():
            # a coarse check: the divergence at your minimiser is no larger than at theta = 0.05, 0.15, ..., 0.95
            grid = [sp.Rational(2 * k + 1, 20) for k in range(10)]
            for name, value, expr in [("theta_star_kl", theta_star_kl, kl_PQ), ("theta_star_js", theta_star_js, js_PQ)]:
                at_star = float(sp.N(expr.subs(theta, float(value))))
                lowest = min(grid, key=lambda t: float(sp.N(expr.subs(theta, t))))
                at_grid = float(sp.N(expr.subs(theta, lowest)))
                hint = ": that looks like a maximiser (argmax) rather than a minimiser" if at_star >= max(
                    float(sp.N(expr.subs(theta, t))) for t in grid) else ""
                assert at_star <= at_grid + 1e-9, \
                    (f"expected the divergence at {name} = {float(value):.4f} to be no larger than on a grid of theta; "
                     f"found {at_star:.5f} there but {at_grid:.5f} at theta = {float(lowest):.2f}{hint}")


        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_kl_minimiser():
            assert abs(float(theta_star_kl) - 0.3) < 1e-4, "theta_star_kl is not the minimiser of D_KL(P||Q)"


        @points(0.5)
        def test_js_minimiser():
            assert abs(float(theta_star_js) - 0.3) < 1e-4, "theta_star_js is not the minimiser of D_JS(P||Q)"
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1)
        ''')


# ---------------------------------------------------------------------- Q4
def _q4_written(nb):
    """Q4 (10 points): the Frechet distance behind FID, the written parts."""
    nb.md(r'''
        ## Q4 (10 points): The Fréchet distance behind FID

        For two Gaussians, the Fréchet distance used by FID has a closed form; it is the **squared**
        2-Wasserstein distance $W_2^2$ between the two Gaussians (so it is in squared feature units, and FID
        compares only the Gaussians fitted to the features, not the feature distributions themselves):
        $$D_F\big(\mathcal N(\mu_1, \Sigma_1), \mathcal N(\mu_2, \Sigma_2)\big)
          = \|\mu_1 - \mu_2\|^2 + \operatorname{tr}\!\big(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1 \Sigma_2)^{1/2}\big).$$
        FID applies it to features: a fixed pretrained network $F_\theta$ maps real images and generated images
        to feature vectors, each set is summarised by a Gaussian (mean and covariance), and FID is the
        distance between the two Gaussians.

        **Written parts (4 points):**

        1. (1.5) With $n$ i.i.d. test images $x^j \sim P$, how do you estimate the mean and covariance of
           $z = F_\theta(x)$? And those of $\hat z = F_\theta(\hat x)$ with $\hat x \sim P_w$, our trained model?
        2. (1) Write the FID in terms of these estimates.
        3. (1.5) In the FID paper (Heusel et al., 2017), which network and which layer give $F_\theta$, and how
           many samples do the authors recommend?
        ''')
    answers = {
        "q4_1": (1.5, r'''
            By the law of large numbers, $\hat\mu = \frac1n \sum_j F_\theta(x^j)$ and
            $\hat\Sigma = \frac1{n-1}\sum_j (F_\theta(x^j)-\hat\mu)(F_\theta(x^j)-\hat\mu)^\top$. For the model, draw
            $m$ samples $\hat x^k \sim P_w$ (e.g. $z\sim$ prior, decode), feed them through the same $F_\theta$ and use
            the same estimators on $F_\theta(\hat x^k)$.'''),
        "q4_2": (1, r'''
            $\mathrm{FID} = \|\hat\mu - \hat\mu_w\|^2 + \operatorname{tr}\big(\hat\Sigma + \hat\Sigma_w - 2(\hat\Sigma\hat\Sigma_w)^{1/2}\big)$.'''),
        "q4_3": (1.5, r'''
            Inception-v3 trained on ImageNet; the 2048-dimensional activations of the last pooling layer
            (pool3, before the classifier). The authors recommend at least 10,000 samples (they use 50,000)
            because the estimate is biased for small $n$.'''),
    }
    for i, (gid, (pts, text)) in enumerate(answers.items(), start=1):
        nb.md(f"**Q4.{i} ({pts:g} point{'' if pts == 1 else 's'})** Your answer:")
        nb.written(gid, points=pts, model_answer=text)


def _q4_stats(nb):
    """Q4 companion: feature statistics."""
    nb.md(r'''
        ### Q4 companion (6 points, autograded)

        **(2 points)** The estimates of Q4.1: mean and unbiased covariance (divide by $n-1$) of a set of
        feature vectors, in float64.
        ''')
    nb.answer("q4_stats", Q4_STATS)
    nb.tests("q4_stats_tests", points=2, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_shapes_and_dtype():
            mu, cov = feature_statistics(np.random.default_rng(0).normal(size=(50, 4)))
            assert isinstance(mu, np.ndarray) and mu.shape == (4,), \
                f"expected mu as a numpy array of shape (4,) for 50 samples of dimension 4, found {type(mu).__name__} {np.shape(mu)}"
            hint = " (one row per sample: a (50, 50) covariance means rows and columns were swapped)" \
                if np.shape(cov) == (50, 50) else ""
            assert isinstance(cov, np.ndarray) and cov.shape == (4, 4), \
                f"expected cov as a numpy array of shape (4, 4), found {type(cov).__name__} {np.shape(cov)}{hint}"
            assert mu.dtype == np.float64 and cov.dtype == np.float64, \
                f"expected mu and cov in float64, found {mu.dtype} and {cov.dtype}"


        @points(0.5)
        def test_values_on_three_points():
            f = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 0.0]])
            mu, cov = feature_statistics(f)
            want = np.array([[4.0, -1.0], [-1.0, 7.0]])
            hint = ""
            if np.shape(cov) == (2, 2) and np.allclose(cov, want * 2 / 3):
                hint = ": that divides by n = 3; the unbiased estimate divides by n - 1 = 2"
            elif np.shape(cov) == (3, 3):
                hint = ": a (3, 3) matrix is the covariance of the rows; each row is one sample (rowvar=False)"
            assert np.allclose(mu, [2.0, 2.0]), f"expected mu = [2, 2] for the points (0, 1), (2, 5), (4, 0), found {mu}"
            assert np.shape(cov) == (2, 2) and np.allclose(cov, want), \
                f"expected cov = {want.tolist()} for the points (0, 1), (2, 5), (4, 0), found {np.round(cov, 4).tolist()}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_values_on_small_sample():
            f = np.random.default_rng(1).normal(size=(6, 3)) * [1.0, 2.0, 0.5] + [1.0, -2.0, 3.0]
            mu, cov = feature_statistics(f)
            checks.assert_close(mu, f.mean(axis=0), rtol=1e-12, name="the mean")
            checks.assert_close(cov, np.cov(f, rowvar=False), rtol=1e-10, atol=1e-12,
                                name="the covariance (unbiased, one row per sample)")


        @points(0.5)
        def test_accepts_torch_float32():
            f = torch.randn(20, 5)
            mu, cov = feature_statistics(f)
            assert mu.dtype == np.float64 and cov.dtype == np.float64, "convert torch input to float64 numpy"
            checks.assert_close(cov, np.cov(f.double().numpy(), rowvar=False), rtol=1e-6, atol=1e-8, name="the covariance")
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1)
        ''')


def _q4_frechet(nb):
    """Q4 companion: the Frechet distance between two Gaussians."""
    nb.md(r'''
        **(4 points)** The Fréchet distance itself. Compute it in float64; the matrix square root of
        $\Sigma_1\Sigma_2$ can come out complex or NaN from round-off when covariances are nearly singular
        (fewer samples than dimensions), so make sure you return a real number. Hint:
        $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2} = \operatorname{tr}\big(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\big)^{1/2}$ and the
        matrix on the right is symmetric positive semi-definite.
        ''')
    nb.answer("q4_frechet", Q4_FD)
    nb.tests("q4_frechet_tests", points=4, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_zero_for_identical_gaussians():
            mu, cov = np.zeros(3), np.diag([1.0, 2.0, 3.0])
            d = frechet_gaussian(mu, cov, mu, cov)
            assert isinstance(d, float), f"expected a Python float, found {type(d).__name__} (convert with float(...))"
            hint = ": that is tr(S) + tr(S) - tr(S), the cross term without its factor 2" if abs(d - 6.0) < 1e-6 else ""
            assert abs(d) < 1e-8, f"expected 0 for two identical Gaussians, found {d:.3g}{hint}"


        @points(0.75)
        def test_one_dimensional_case():
            # N(0, 1) against N(2, 4): |0 - 2|^2 + (1 + 4 - 2 sqrt(1 * 4)) = 4 + 1
            d = frechet_gaussian(np.array([0.0]), np.array([[1.0]]), np.array([2.0]), np.array([[4.0]]))
            hint = ""
            if abs(float(d) - 7.0) < 1e-6:
                hint = ": that is the cross term without its factor 2 (tr(S1 + S2 - 2 (S1 S2)^(1/2)))"
            elif abs(float(d) - 3.0) < 1e-6:
                hint = ": that uses |mu1 - mu2| where the formula has its square"
            elif abs(float(d) - 13.0) < 1e-6:
                hint = ": that is the trace term with a plus sign before 2 (S1 S2)^(1/2)"
            assert abs(float(d) - 5.0) < 1e-8, \
                f"expected D_F(N(0, 1), N(2, 4)) = 4 + 1 = 5, found {float(d):.6g}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(0.75)
        def test_commuting_covariances_closed_form():
            a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 1.0])
            mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
            expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
            checks.assert_close(frechet_gaussian(mu1, np.diag(a), mu2, np.diag(b)), expected, rtol=1e-10,
                                name="the distance for diagonal covariances")


        def _random_stats(seed, n, d):
            f = np.random.default_rng(seed).normal(size=(n, d)) @ np.random.default_rng(seed + 1).normal(size=(d, d))
            return f.mean(axis=0), np.cov(f, rowvar=False)


        @points(1)
        def test_symmetric_and_matches_reference():
            from dgmlab import metrics
            mu1, c1 = _random_stats(10, 200, 6)
            mu2, c2 = _random_stats(20, 200, 6)
            d12, d21 = frechet_gaussian(mu1, c1, mu2, c2), frechet_gaussian(mu2, c2, mu1, c1)
            assert abs(d12 - d21) < 1e-8 * max(1.0, abs(d12)), "the distance is not symmetric"
            checks.assert_close(d12, metrics.frechet_distance(mu1, c1, mu2, c2), rtol=1e-6, atol=1e-8,
                                name="the distance for general covariances")


        @points(1)
        def test_real_for_nearly_singular_covariances():
            mu1, c1 = _random_stats(30, 5, 20)      # 5 samples in 20 dimensions: rank 4
            mu2, c2 = _random_stats(40, 5, 20)
            d = frechet_gaussian(mu1, c1, mu2, c2)
            assert isinstance(d, float), f"return a real Python float even for singular covariances, got {type(d).__name__}"
            assert np.isfinite(d) and d >= -1e-8, "the distance is NaN, infinite or negative for singular covariances"
            from dgmlab import metrics
            checks.assert_close(d, metrics.frechet_distance(mu1, c1, mu2, c2), rtol=1e-5, atol=1e-6,
                                name="the distance for singular covariances")
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=2.75)
        ''')


# ---------------------------------------------------------------------- P1
def _p1_masked_conv(nb):
    """P1 (25 points): inpainting with a masked CNN; the masked convolution."""
    nb.md(r'''
        ## P1 (25 points): Inpainting binarised MNIST with a masked CNN

        An autoregressive model factorises an image in **raster order** (row by row, left to right):
        $p(x) = \prod_{i} p(x_i \mid x_{<i})$. A masked CNN (van den Oord et al., 2016, "PixelCNN") computes all
        these conditionals in one pass by zeroing the convolution taps that would look at the current pixel
        or at later ones. The first layer uses mask **A** (the centre is hidden too: pixel $i$ must not see
        itself); later layers use mask **B** (the centre is allowed: at that depth the centre feature only
        summarises pixels before $i$). For a $5\times5$ kernel:
        $$\text{A} = \begin{bmatrix}1&1&1&1&1\\1&1&1&1&1\\1&1&0&0&0\\0&0&0&0&0\\0&0&0&0&0\end{bmatrix},\qquad
          \text{B} = \begin{bmatrix}1&1&1&1&1\\1&1&1&1&1\\1&1&1&0&0\\0&0&0&0&0\\0&0&0&0&0\end{bmatrix}.$$

        Pixels here are binary ({0, 1}, MNIST thresholded at 0.5), so each conditional is a Bernoulli whose
        logit the network outputs. **Inpainting**: given an image whose lower part is hidden, sample the
        hidden pixels one at a time in raster order, each conditioned on everything before it. Points:
        masked convolution 5, model 5, NLL 4, inpainting 6, graded from your saved weights 3, results (hand-graded) 2.
        ''')
    nb.md("**(5 points)** The masked convolution. Build the mask once (a buffer) and apply it in every forward pass.")
    nb.answer("p1_masked_conv", P1_MASK)
    nb.tests("p1_masked_conv_tests", points=5, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        def _probe_mask(layer, k):
            """The taps a layer uses, read off its response to single-pixel images."""
            with torch.no_grad():
                layer.weight.fill_(1.0)
                layer.bias.zero_()
                taps = torch.zeros(k, k)
                for i in range(k):
                    for j in range(k):
                        img = torch.zeros(1, layer.in_channels, k, k)
                        img[0, 0, i, j] = 1.0
                        taps[i, j] = layer(img)[0, 0, k // 2, k // 2]
            return taps


        @points(0.5)
        def test_shape_is_preserved():
            out = MaskedConv2d("A", 1, 4, 5)(torch.zeros(2, 1, 9, 9))
            checks.assert_tensor(out, "MaskedConv2d('A', 1, 4, 5)(x) (pad by kernel_size // 2)", shape=(2, 4, 9, 9))


        @points(1)
        def test_type_A_3x3_sees_only_earlier_pixels():
            taps = _probe_mask(MaskedConv2d("A", 1, 2, 3), 3)
            want = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
            hint = ""
            if torch.equal(taps, torch.ones(3, 3)):
                hint = (": every tap is used, so the mask does not act in the forward pass "
                        "(multiply the weight by the mask in forward, not once at construction)")
            elif taps[1, 1] != 0 and torch.equal(taps[2], torch.zeros(3)):
                hint = ": the centre is used, which is mask B; mask A hides the centre too"
            elif taps[2].any():
                hint = ": taps in the row below the centre are used; zero every row after the centre"
            assert torch.equal(taps, want), \
                (f"a type-A 3x3 layer should use only the taps before the centre in raster order, "
                 f"{want.int().tolist()}; it uses {taps.int().tolist()}{hint}")


        ### BEGIN HIDDEN TESTS
        def _expected(k, kind):
            m = torch.zeros(k, k)
            c = k // 2
            m[:c] = 1
            m[c, :c + (kind == "B")] = 1
            return m


        @points(1.5)
        def test_mask_A():
            for k in (3, 5, 7):
                taps = _probe_mask(MaskedConv2d("A", 1, 2, k), k)
                assert torch.equal(taps, _expected(k, "A")), f"the taps used by a type-A {k}x{k} layer are wrong"


        @points(1.5)
        def test_mask_B():
            for k in (3, 5, 7):
                taps = _probe_mask(MaskedConv2d("B", 1, 2, k), k)
                assert torch.equal(taps, _expected(k, "B")), f"the taps used by a type-B {k}x{k} layer are wrong"


        @points(0.5)
        def test_masked_taps_get_no_gradient_effect():
            layer = MaskedConv2d("B", 3, 2, 5)
            with torch.no_grad():
                layer.weight.normal_()
            x = torch.randn(1, 3, 5, 5)
            x_later = x.clone()
            x_later[0, :, 2, 3:] += 5.0
            x_later[0, :, 3:, :] -= 5.0
            assert torch.allclose(layer(x)[0, :, 2, 2], layer(x_later)[0, :, 2, 2]), \
                "the output at the centre changes when later pixels change (all input channels must be masked)"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3.5)
        ''')


def _p1_model(nb):
    """P1: the causal model."""
    nb.md(r'''
        **(5 points)** The model. It must be **causal as a whole**: the logit at pixel $(i, j)$ may depend only
        on pixels strictly before $(i, j)$ in raster order. The test checks this with gradients.
        ''')
    nb.answer("p1_model", P1_MODEL)
    nb.tests("p1_model_tests", points=5, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_output_shape():
            out = PixelCNN(channels=8, n_layers=2, kernel_size=3)(torch.zeros(2, 1, 10, 10))
            checks.assert_tensor(out, "PixelCNN(...)(x) (one logit per pixel)", shape=(2, 1, 10, 10))


        @points(1.5)
        def test_one_logit_is_causal():
            model = PixelCNN(channels=8, n_layers=2, kernel_size=3)
            with torch.no_grad():
                for p in model.parameters():
                    p.normal_(0, 0.5)
            x = torch.bernoulli(torch.full((1, 1, 6, 6), 0.5)).requires_grad_(True)
            model(x)[0, 0, 3, 2].backward()
            grad = x.grad[0, 0].abs().flatten()
            later = [divmod(k, 6) for k in torch.nonzero(grad[3 * 6 + 2:]).flatten().add(3 * 6 + 2).tolist()]
            hint = ""
            if later == [(3, 2)]:
                hint = ": only its own pixel leaks, so the first layer must use mask A (centre hidden)"
            elif later:
                hint = ": later pixels leak, so some layer is not masked (every convolution must be a MaskedConv2d)"
            assert not later, \
                (f"the logit at pixel (3, 2) should depend only on pixels before it in raster order; "
                 f"it depends on {later}{hint}")
            hint = ""
            if float(grad.sum()) == 0:
                hint = (": the logits do not depend on the image at all; a 1x1 layer whose mask hides its centre "
                        "(mask A, or a mask B that hides the centre) zeroes everything")
            assert float(grad[:3 * 6 + 2].sum()) > 0, \
                f"the logit at pixel (3, 2) should depend on some earlier pixel; its gradient is zero on all of them{hint}"


        ### BEGIN HIDDEN TESTS
        def _dependence(model, H, W, i, j):
            x = torch.bernoulli(torch.full((1, 1, H, W), 0.5)).requires_grad_(True)
            model(x)[0, 0, i, j].backward()
            return x.grad[0, 0].abs().flatten()


        @points(1.5)
        def test_causal_by_gradients():
            H, W = 8, 8
            model = PixelCNN(channels=8, n_layers=3, kernel_size=3)
            with torch.no_grad():
                for p in model.parameters():
                    p.normal_(0, 0.5)
            for i, j in [(0, 0), (2, 5), (4, 4), (7, 7), (5, 0)]:
                grad = _dependence(model, H, W, i, j)
                pos = i * W + j
                assert float(grad[pos:].sum()) == 0.0, "a logit depends on its own pixel or on a later pixel"
                if pos > 0:
                    assert float(grad[:pos].sum()) > 0, "a logit depends on no earlier pixel at all"


        @points(1.5)
        def test_default_architecture_is_causal():
            model = PixelCNN()
            grad = _dependence(model, 9, 9, 4, 4)
            assert float(grad[4 * 9 + 4:].sum()) == 0.0, "the default PixelCNN is not causal"
            assert float(grad[4 * 9 + 3]) > 0, "the default PixelCNN does not see the pixel just before"
            far = _dependence(model, 20, 20, 19, 10).view(20, 20)
            assert float(far[:10].sum()) > 0, \
                "the default PixelCNN sees no pixel 10 or more rows up: are all its n_layers hidden layers there?"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3)
        ''')


def _p1_nll(nb):
    """P1: the training loss."""
    nb.md(r'''
        **(4 points)** The training loss: the negative log-likelihood of each image, summed over its pixels, in
        nats. Work from logits (not probabilities) so that confident predictions stay finite.
        ''')
    nb.answer("p1_nll", P1_NLL)
    nb.tests("p1_nll_tests", points=4, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_one_value_per_image():
            nll = bernoulli_nll(torch.zeros(3, 1, 4, 4), torch.ones(3, 1, 4, 4))
            checks.assert_tensor(nll, "bernoulli_nll(logits, x) (one NLL per image: sum over C, H, W)", shape=(3,))


        @points(0.75)
        def test_uniform_logits_cost_log2_per_pixel():
            nll = bernoulli_nll(torch.zeros(3, 1, 4, 4), torch.ones(3, 1, 4, 4)).detach().flatten()
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
            assert abs(got - want) < 1e-4, \
                (f"expected 16 log 2 = {want:.4f} nats for a 4x4 image under logit 0 (p = 1/2 per pixel), "
                 f"found {got:.4f}{hint}")


        ### BEGIN HIDDEN TESTS
        @points(1.25)
        def test_matches_torch_distributions():
            g = torch.Generator().manual_seed(0)
            logits = torch.randn(5, 1, 6, 6, generator=g) * 3
            x = torch.bernoulli(torch.full((5, 1, 6, 6), 0.4), generator=g)
            expected = -torch.distributions.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
            checks.assert_close(bernoulli_nll(logits, x), expected, rtol=1e-5, atol=1e-5, name="bernoulli_nll")


        @points(1.5)
        def test_finite_for_confident_logits():
            logits = torch.tensor([[[[120.0, -120.0], [30.0, -30.0]]]])
            x = torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]])
            nll = bernoulli_nll(logits, x)
            assert torch.isfinite(nll).all(), "bernoulli_nll is not finite for large |logits|"
            checks.assert_close(nll, torch.tensor([240.0]), rtol=1e-4, name="bernoulli_nll for confident wrong logits")
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=2.75)
        ''')


def _p1_inpaint(nb):
    """P1: inpainting."""
    nb.md(r'''
        **(6 points)** Inpainting. Visible pixels are copied; hidden ones are sampled in raster order, each from
        the model's conditional given the current canvas. The hidden pixels of `x` must play no role (a real
        user would not have them). Sample (do not threshold): `torch.bernoulli`.
        ''')
    nb.answer("p1_inpaint", P1_INPAINT)
    nb.tests("p1_inpaint_tests", points=6, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        class _CopyPrevious(nn.Module):
            """A causal toy model: pixel t is (almost surely) equal to pixel t - 1 in raster order."""

            def forward(self, x):
                flat = x.flatten(1)
                prev = torch.cat([torch.zeros_like(flat[:, :1]), flat[:, :-1]], dim=1)
                return (40.0 * (2 * prev - 1)).view_as(x)


        class _CoinFlip(nn.Module):
            def forward(self, x):
                return torch.zeros_like(x)


        def _lower_half_hidden(n, H, W):
            visible = torch.ones(n, 1, H, W, dtype=torch.bool)
            visible[:, :, H // 2:] = False
            return visible


        @points(0.5)
        def test_shape_and_binary_values():
            x = torch.bernoulli(torch.full((2, 1, 6, 6), 0.5))
            out = inpaint(_CoinFlip(), x, _lower_half_hidden(2, 6, 6))
            checks.assert_tensor(out, "inpaint(...)", shape=(2, 1, 6, 6))
            values = sorted(set(out.unique().tolist()))
            assert set(values) <= {0.0, 1.0}, \
                f"expected a binary image (values 0 and 1 only), found values {values[:6]} (sample with torch.bernoulli)"


        @points(1)
        def test_visible_pixels_are_kept():
            # images 0 and 1 hide their lower half, images 2 and 3 only their last row
            x = torch.bernoulli(torch.full((4, 1, 6, 6), 0.5), generator=torch.Generator().manual_seed(0))
            visible = _lower_half_hidden(4, 6, 6)
            visible[2:, :, :5] = True
            out = inpaint(_CoinFlip(), x, visible)
            changed = int((out[visible] != x[visible]).sum())
            assert changed == 0, \
                (f"expected every visible pixel copied unchanged, found {changed} of {int(visible.sum())} changed: "
                 f"a pixel hidden in one image may be visible in another, so write a sample only where "
                 f"visible is False for that image")


        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_visible_pixels_never_change():
            g = torch.Generator().manual_seed(1)
            x = torch.bernoulli(torch.full((8, 1, 7, 7), 0.5), generator=g)
            visible = torch.rand(8, 1, 7, 7, generator=g) < 0.6          # irregular holes
            for model in (_CoinFlip(), _CopyPrevious()):
                out = inpaint(model, x, visible)
                assert torch.equal(out[visible], x[visible]), "inpainting changed a visible pixel"


        @points(2.5)
        def test_sequential_conditioning_in_raster_order():
            H = W = 6
            x = torch.bernoulli(torch.full((4, 1, H, W), 0.5), generator=torch.Generator().manual_seed(2))
            x[:2, 0, H // 2 - 1, W - 1] = 1.0      # last visible pixel on
            x[2:, 0, H // 2 - 1, W - 1] = 0.0      # last visible pixel off
            out = inpaint(_CopyPrevious(), x, _lower_half_hidden(4, H, W))
            hidden = out[:, 0, H // 2:]
            assert torch.equal(hidden[:2], torch.ones_like(hidden[:2])) and torch.equal(hidden[2:], torch.zeros_like(hidden[2:])), \
                "hidden pixels are not sampled one at a time in raster order, conditioned on the pixels before them (and only on known or sampled ones)"


        @points(1.5)
        def test_samples_rather_than_thresholds():
            x = torch.zeros(64, 1, 8, 8)
            out = inpaint(_CoinFlip(), x, _lower_half_hidden(64, 8, 8))
            mean = float(out[:, :, 4:].mean())
            assert 0.44 < mean < 0.56, "with p = 1/2 the hidden pixels should be fair coin flips: sample, do not threshold"
        ### END HIDDEN TESTS

        run_tests(points=6, hidden=4.5)
        ''')


def _p1_training(nb):
    """P1: training and inpainting binarised MNIST, and the written results."""
    nb.md(r'''
        ### Training and inpainting binarised MNIST

        Full settings (for a GPU): the whole training set, 64 channels, 5 mask-B layers of $7\times7$, Adam
        (learning rate $10^{-3}$), batch 128, 10 epochs. Fast mode trains a tiny model for a few dozen steps only
        to exercise the code. The test NLL is reported in nats per image (lower is better).

        The training cell saves a checkpoint after every epoch (`checkpoints/p1_pixelcnn.pt` in the homework
        folder: on Google Drive in Colab). If the runtime disconnects, run the cells again: training continues
        from the last saved epoch, and a finished run is loaded, not retrained. Set `P1_RETRAIN = True` in that
        cell (or delete the file) to train from the start; the checkpoint refuses to resume a run whose settings
        or loss function changed. Real NVP below (`checkpoints/p2_realnvp.pt`, `P2_RETRAIN`) works the same way.

        **Graded file.** In full mode the cell ends by saving the trained network's weights (its state dict, in
        float16: half the bytes) as `P1_WEIGHTS_FILE` in the homework folder. Submit it with the notebook: the
        autograder does not train, it scores this file (see "Graded from your saved PixelCNN weights" below).
        '''.replace("P1_WEIGHTS_FILE", P1_WEIGHTS_FILE))
    nb.code(r'''
        P1 = dict(
            n_train=runtime.pick(full=None, fast=512),
            n_test=runtime.pick(full=None, fast=128),
            channels=runtime.pick(full=64, fast=8),
            n_layers=runtime.pick(full=5, fast=1),
            kernel_size=runtime.pick(full=7, fast=3),
            epochs=runtime.pick(full=10, fast=1),
            max_steps=runtime.pick(full=None, fast=30),
            batch_size=runtime.pick(full=128, fast=32),
            lr=1e-3,
        )
        P1
        ''', locked=True, grade_id="p1_config")
    nb.code(r'''
        def evaluate_nll(model, images, batch_size=500):
            """Mean test NLL in nats per image (images (N, 1, 28, 28) in {0, 1})."""
            model.eval()
            total = 0.0
            with torch.no_grad():
                for k in range(0, len(images), batch_size):
                    xb = images[k:k + batch_size].to(device)
                    total += float(bernoulli_nll(model(xb), xb).sum())
            model.train()
            return total / len(images)


        from dgmlab import artifacts
        from dgmlab.checkpoint import Checkpoint

        P1_RETRAIN = False   # True: train again from the start, replacing the checkpoint

        if not runtime.is_grading():
            runtime.seed_everything(0)
            train_bin = dgmlab.data.mnist(train=True, scale="binary", n=P1["n_train"])
            test_bin = dgmlab.data.mnist(train=False, scale="binary", n=P1["n_test"])
            print(f"binarised MNIST ({train_bin.source}): {len(train_bin)} train, {len(test_bin)} test images")
            pixelcnn = PixelCNN(P1["channels"], P1["n_layers"], P1["kernel_size"]).to(device)
            optimizer = torch.optim.Adam(pixelcnn.parameters(), lr=P1["lr"])
            # A Colab runtime can disconnect mid-training: save the network, optimizer, random states and losses
            # after every epoch (in the homework folder), so running this cell again continues from the last
            # finished epoch exactly as if it had never stopped; a finished run is loaded, not retrained.
            ckpt = Checkpoint(runtime.pick(full="checkpoints/p1_pixelcnn.pt", fast="checkpoints/p1_pixelcnn_fast.pt"),
                              epochs=P1["epochs"], pixelcnn=pixelcnn, optimizer=optimizer,
                              config=dict(P1, data=train_bin, code=[bernoulli_nll]))
            done, p1_losses = ckpt.resume([], retrain=P1_RETRAIN)
            step = len(p1_losses)
            # On a GPU the network runs in mixed precision (16-bit floats: faster, less memory) and the loss in
            # float32; the scaler keeps small float16 gradients from rounding to zero. On the CPU both do nothing.
            scaler = runtime.grad_scaler()
            for epoch in range(done, P1["epochs"]):
                for xb, _ in tqdm(train_bin.loader(P1["batch_size"], seed=epoch), desc=f"PixelCNN epoch {epoch + 1}"):
                    xb = xb.to(device)
                    with runtime.autocast():
                        logits = pixelcnn(xb)
                    loss = bernoulli_nll(logits.float(), xb).mean()
                    optimizer.zero_grad()
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    p1_losses.append(loss.item())
                    step += 1
                    if P1["max_steps"] and step >= P1["max_steps"]:
                        break
                ckpt.save(epoch + 1, p1_losses)
            p1_test_nll = evaluate_nll(pixelcnn, test_bin.images)
            print(f"test NLL: {p1_test_nll:.1f} nats per image ({p1_test_nll / 784 / math.log(2):.4f} bits per pixel)")
            if runtime.mode() == "full":   # the graded file: float16 state dict, written atomically
                dgmlab.workspace.saved(artifacts.save_weights(pixelcnn, "P1_WEIGHTS_FILE"), graded=True)
            else:
                print("fast mode: no weights saved (only a full-mode run writes the graded P1_WEIGHTS_FILE)")
            plots.loss_curves({"train NLL (nats/image)": p1_losses}, title="PixelCNN training", ylabel="nats",
                              smooth=10, save=FIGURES / "p1_loss.png")
            plt.show()
        '''.replace("P1_WEIGHTS_FILE", P1_WEIGHTS_FILE), locked=True, grade_id="p1_train", uses_answers=True)
    nb.md("Inpaint the lower half of ten test digits: originals (top), what the model sees (middle, hidden part grey), completions (bottom).")
    nb.code(r'''
        if not runtime.is_grading():
            runtime.seed_everything(1)
            originals = test_bin.images[:10].to(device)
            visible = torch.ones_like(originals, dtype=torch.bool)
            visible[:, :, 14:] = False
            pixelcnn.eval()
            completions = inpaint(pixelcnn, originals, visible)
            shown = torch.where(visible, originals, torch.full_like(originals, 0.5))
            plots.image_grid(torch.cat([originals, shown, completions]).cpu(), nrow=10,
                             title="original / lower half hidden / inpainted", save=FIGURES / "p1_inpainting.png")
            plt.show()
        ''', locked=True, grade_id="p1_inpaint_demo", uses_answers=True)
    _p1_weights_cell(nb)
    nb.md(r'''
        **P1 results (2 points, graded by hand).** Train with the full settings. Report your test NLL in nats per
        image and the binarisation used (here: fixed threshold at 0.5, which is easier than the stochastic
        binarisation of the PixelCNN paper, whose deep model reaches 81.3 nats). Describe the completions: are
        they plausible digits, do they stay consistent with the visible top half, where do they fail? Why can a
        masked CNN with only $3\times3$ or $7\times7$ kernels fail to use some earlier pixels (the "blind spot")?
        ''')
    nb.written("p1_results", points=2, model_answer=r'''
        A good answer reports a test NLL below about 100 nats per image (the reference code with a smaller
        model, 32 channels and four 3x3 mask-B layers, reached 76.9 nats on the 10,000 test digits after 0.9
        epoch on a CPU; see docs/hw5_explicit.md), names the fixed threshold binarisation, and says the completions continue the
        visible strokes into plausible digits, sometimes a different digit class than the original (the top
        half is ambiguous: 7 vs 9, 3 vs 5), with occasional broken strokes far from the boundary. Blind spot:
        stacking masked kernels grows the receptive field up and to the left, but pixels to the upper right of
        the current one beyond the kernel's reach are never seen (the receptive field is a skewed triangle);
        gated PixelCNN fixes this with separate vertical and horizontal stacks. Marks (the NLL itself is graded
        from the saved weights above): figure described honestly, with the NLL and binarisation (1), blind spot (1).''')


# ---------------------------------------------------------------------- P2
def _p2_logit(nb):
    """P2 (25 points): Real NVP on MNIST; dequantisation and the logit transform."""
    nb.md(r'''
        ## P2 (25 points): Real NVP on MNIST

        Real NVP (Dinh, Sohl-Dickstein and Bengio, 2017) builds an invertible map from **affine coupling
        layers**: with a binary mask $m$, the masked coordinates pass through and set a scale $s$ and shift $t$
        for the others,
        $$z = m \odot x + (1 - m) \odot \big(x \odot e^{s(m \odot x)} + t(m \odot x)\big), \qquad
          \log\left|\det \frac{\partial z}{\partial x}\right| = \sum_i (1 - m_i)\, s_i(m \odot x).$$
        The Jacobian is triangular, so its determinant is cheap, and the inverse needs no inversion of $s$ or
        $t$. Alternating the mask between layers lets every coordinate be transformed. We write the flow in
        the data-to-latent direction of Q2, with a standard normal latent, and fully connected $s$ and $t$
        networks acting on flattened $28 \times 28$ images.

        **Pre-processing.** Pixels are 8-bit ($x \in \{0, \tfrac1{255}, \dots, 1\}$), and a density on a
        discrete set is degenerate, so we **dequantise**: $y = (255x + u)/256$ with $u \sim \mathcal U[0,1)$.
        Then the **logit transform** $v = \operatorname{logit}(\alpha + (1 - 2\alpha) y)$ (here $\alpha = 10^{-6}$, the
        value in the code released with the MAF paper for MNIST) maps $[0,1)$ to the whole real line, where a Gaussian latent makes
        sense. It is part of the model, so its log-determinant counts in the likelihood:
        $\log p(y) = \log \mathcal N(z; 0, I) + \log|\det \partial z / \partial v| + \log|\det \partial v / \partial y|$.

        **Bits per dimension.** Write $P(x)$ for the probability the model gives the 8-bit image $x$, i.e. the mass
        of its density on the cell of side $1/256$ that $y$ fills as $u$ varies. *Averaged over the dequantisation
        noise*, $-\log p(y) + D\log 256$ bounds the discrete negative log-likelihood from above:
        $\mathbb E_u\big[-\log p(y)\big] + D\log 256 \ge -\log P(x)$ (Jensen's inequality); for a single draw of $u$
        it need not. Divided by $D \log 2$ it is the bits per dimension reported in papers, usually estimated
        with one noise draw per test image.
        Points: pre-processing 4, coupling layer 5, Real NVP 5, log-likelihood 3, bits/dim 3, graded from your saved
        weights 3, results (hand-graded) 2.
        ''')
    nb.md("**(4 points)** Dequantisation and the logit transform with its log-determinant and inverse.")
    nb.answer("p2_logit", P2_LOGIT)
    nb.tests("p2_logit_tests", points=4, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.25)
        def test_shapes():
            v, log_det = logit_transform(torch.rand(3, 5) * 0.98 + 0.01, 0.05)
            checks.assert_tensor(v, "v", shape=(3, 5))
            checks.assert_tensor(log_det, "log_det (one value per image: sum over the coordinates)", shape=(3,))


        @points(0.5)
        def test_roundtrip():
            y = torch.rand(3, 5) * 0.98 + 0.01
            back = inverse_logit_transform(logit_transform(y, 0.05)[0], 0.05)
            gap = float((back - y).abs().max())
            hint = ""
            if torch.allclose(back, 0.05 + 0.9 * y, atol=1e-5):
                hint = ": the inverse returns alpha + (1 - 2 alpha) y; undo the squashing too"
            assert gap < 1e-5, \
                f"expected inverse_logit_transform(logit_transform(y)) to give back y; found it off by up to {gap:.3g}{hint}"


        @points(0.5)
        def test_log_det_on_a_tiny_case():
            # y = 1/2 in both coordinates, alpha = 0.05: s = 1/2 and dv/dy = 0.9 / (s (1 - s)) = 3.6 per coordinate
            _, log_det = logit_transform(torch.full((1, 2), 0.5), 0.05)
            got, want = float(log_det.flatten()[0]), 2 * math.log(3.6)
            hint = ""
            if abs(got + want) < 1e-4:
                hint = ": that is minus the answer, the log-det of the inverse map (sign error)"
            elif abs(got - 2 * math.log(4.0)) < 1e-4:
                hint = ": that leaves out the factor (1 - 2 alpha) of the squashing y -> alpha + (1 - 2 alpha) y"
            elif abs(got - want / 2) < 1e-4:
                hint = ": that is one coordinate's term; sum the log-derivatives over the coordinates"
            assert abs(got - want) < 1e-5, \
                f"expected log|det dv/dy| = 2 log 3.6 = {want:.5f} at y = (1/2, 1/2), alpha = 0.05; found {got:.5f}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(1)
        def test_log_det_equals_autograd_jacobian():
            y = (torch.rand(4, 5, dtype=torch.float64) * 0.98 + 0.01)
            for alpha in (0.05, 1e-6):
                _, log_det = logit_transform(y, alpha)
                for n in range(4):
                    J = torch.autograd.functional.jacobian(lambda r: logit_transform(r[None], alpha)[0][0], y[n])
                    expected = torch.linalg.slogdet(J)[1]
                    checks.assert_close(log_det[n], expected, rtol=1e-8, atol=1e-8,
                                        name="log_det of the logit transform")


        @points(0.75)
        def test_inverse_in_float64():
            v = torch.randn(6, 4, dtype=torch.float64) * 4
            for alpha in (0.05, 1e-6):
                y = inverse_logit_transform(v, alpha)
                checks.assert_close(logit_transform(y, alpha)[0], v, rtol=1e-7, atol=1e-7,
                                    name="logit_transform(inverse_logit_transform(v))")


        @points(0.5)
        def test_dequantize_range():
            x = torch.randint(0, 256, (200, 10)).float() / 255
            y, k = dequantize(x), torch.round(x * 255)
            assert ((y >= k / 256) & (y <= (k + 1) / 256)).all(), "dequantised values must lie in [k/256, (k+1)/256) for pixel value k/255"


        @points(0.5)
        def test_dequantize_fresh_uniform_noise():
            x = torch.randint(0, 256, (200, 10)).float() / 255
            y1, y2 = dequantize(x), dequantize(x)
            k = torch.round(x * 255)
            assert not torch.equal(y1, y2), "dequantisation must add fresh uniform noise on each call"
            assert abs(float((y1 * 256 - k).mean()) - 0.5) < 0.05, "the dequantisation noise must be uniform on [0, 1)"
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=2.75)
        ''')


def _p2_coupling(nb):
    """P2: the coupling layer."""
    nb.md(r'''
        **(5 points)** The coupling layer. Use `tanh` at the end of $s$ so that early training cannot blow the
        scales up. The tests perturb your weights and check invertibility and the log-determinant against
        autograd's full Jacobian.
        ''')
    nb.answer("p2_coupling", P2_COUPLING)
    nb.tests("p2_coupling_tests", points=5, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        def _layer(dim=6, hidden=16, mask=None):
            mask = torch.tensor([1.0, 0.0] * (dim // 2)) if mask is None else mask
            layer = CouplingLayer(dim, hidden, mask).double()
            with torch.no_grad():
                for p in layer.parameters():
                    p.normal_(0, 0.4)
            return layer


        def _row(t):
            return "[" + ", ".join(f"{v:.4f}" for v in t.tolist()) + "]"


        @points(0.5)
        def test_shapes():
            z, log_det = _layer()(torch.randn(5, 6, dtype=torch.float64))
            checks.assert_tensor(z, "z", shape=(5, 6))
            checks.assert_tensor(log_det, "log_det (one value per example: sum over the coordinates)", shape=(5,))


        @points(1)
        def test_inverse_undoes_forward():
            layer = _layer()
            x = torch.randn(4, 6, dtype=torch.float64)
            gap = float((layer.inverse(layer(x)[0]) - x).abs().max().detach())
            assert gap < 1e-6, \
                (f"expected inverse(forward(x)) to give back x; found it off by up to {gap:.3g} (the inverse "
                 f"subtracts t, then multiplies by exp(-s), with s and t computed from the masked coordinates)")


        @points(1)
        def test_log_det_on_a_tiny_case():
            # D = 2, mask (1, 0): z_0 = x_0 and z_1 = x_1 exp(s) + t with s, t functions of x_0,
            # so the Jacobian is triangular and log|det dz/dx| = log(dz_1/dx_1)
            layer = _layer(dim=2, mask=torch.tensor([1.0, 0.0]))
            x = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
            z, log_det = layer(x)
            slope = torch.autograd.grad(z[:, 1].sum(), x)[0][:, 1]
            want, got = torch.log(slope.abs()).detach(), log_det.detach().flatten()
            hint = ""
            if got.shape == want.shape and torch.allclose(got, -want, atol=1e-6):
                hint = ": that is minus the answer (sign error: the forward map's log-det is +sum of s)"
            assert got.shape == want.shape and torch.allclose(got, want, atol=1e-6), \
                (f"for D = 2 with mask (1, 0) expected log_det = log(dz_1/dx_1) = {_row(want)}, "
                 f"found {_row(got)}{hint}")


        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_invertible():
            layer = _layer()
            x = torch.randn(8, 6, dtype=torch.float64)
            z, _ = layer(x)
            checks.assert_close(layer.inverse(z), x, atol=1e-5, name="inverse(forward(x))")
            checks.assert_close(layer(layer.inverse(x))[0], x, atol=1e-5, name="forward(inverse(z))")


        @points(0.5)
        def test_masked_coordinates_pass_through():
            mask = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
            layer = _layer(mask=mask)
            x = torch.randn(4, 6, dtype=torch.float64)
            z, _ = layer(x)
            keep = mask.bool()
            checks.assert_close(z[:, keep], x[:, keep], atol=1e-12, name="the masked coordinates of z")
            assert (z[:, ~keep] - x[:, ~keep]).abs().min() > 1e-6, "the unmasked coordinates are not transformed"


        @points(1.5)
        def test_log_det_equals_autograd_jacobian():
            layer = _layer(mask=torch.tensor([1.0, 1.0, 0.0, 1.0, 0.0, 0.0]))
            x = torch.randn(3, 6, dtype=torch.float64)
            _, log_det = layer(x)
            for n in range(3):
                J = torch.autograd.functional.jacobian(lambda r: layer(r[None])[0][0], x[n])
                checks.assert_close(log_det[n], torch.linalg.slogdet(J)[1], rtol=1e-8, atol=1e-8,
                                    name="log_det of the coupling layer")
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=2.5)
        ''')


def _p2_realnvp(nb):
    """P2: the full flow."""
    nb.md(r'''
        **(5 points)** The full flow. A mask helper is given: a checkerboard for square images and the parity
        of the index otherwise.
        ''')
    nb.code(r'''
        def alternating_mask(dim):
            """(dim,) float tensor of 0/1: a checkerboard if dim is a square side^2, else index parity."""
            side = math.isqrt(dim)
            if side * side == dim:
                i, j = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
                return ((i + j) % 2).flatten().float()
            return (torch.arange(dim) % 2).float()
        ''', locked=True, grade_id="p2_mask_helper")
    nb.answer("p2_realnvp", P2_REALNVP)
    nb.tests("p2_realnvp_tests", points=5, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        def _flow(dim=6, hidden=16, n=4):
            flow = RealNVP(dim, hidden, n).double()
            with torch.no_grad():
                for p in flow.parameters():
                    p.normal_(0, 0.3)
            return flow


        @points(0.5)
        def test_shapes():
            flow = _flow()
            z, log_det = flow(torch.randn(5, 6, dtype=torch.float64))
            checks.assert_tensor(z, "z", shape=(5, 6))
            checks.assert_tensor(log_det, "log_det (one value per example)", shape=(5,))
            checks.assert_tensor(flow.log_prob(torch.randn(5, 6, dtype=torch.float64)), "log_prob(x)", shape=(5,))


        @points(1)
        def test_inverse_undoes_forward():
            flow = _flow()
            x = torch.randn(4, 6, dtype=torch.float64)
            back = flow.inverse(flow(x)[0])
            gap = float((back - x).abs().max().detach())
            hint = ""
            if gap >= 1e-6 and isinstance(getattr(flow, "layers", None), nn.ModuleList):
                try:  # the same inverses applied in forward order: a common slip
                    z = flow(x)[0]
                    for layer in flow.layers:
                        z = layer.inverse(z)
                    if torch.allclose(back, z, atol=1e-9):
                        hint = ": the layers were undone in forward order; undo the last layer first (reversed)"
                except Exception:
                    pass
            assert gap < 1e-6, f"expected flow.inverse(flow(x)[0]) to give back x; found it off by up to {gap:.3g}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_invertible():
            flow = _flow()
            x = torch.randn(10, 6, dtype=torch.float64)
            checks.assert_close(flow.inverse(flow(x)[0]), x, atol=1e-5, name="inverse(forward(x)) of the flow")


        @points(0.75)
        def test_every_coordinate_is_transformed():
            flow = _flow()
            x = torch.randn(20, 6, dtype=torch.float64)
            z, _ = flow(x)
            moved = (z - x).abs().max(dim=0).values
            assert (moved > 1e-6).all(), "some coordinates pass through every layer unchanged: alternate the masks"


        @points(0.25)
        def test_consecutive_layers_use_complementary_masks():
            layers = [m for m in _flow().modules() if isinstance(m, CouplingLayer)]
            assert len(layers) == 4, "RealNVP(dim, hidden, 4) does not hold 4 coupling layers"
            for a, b in zip(layers, layers[1:]):
                assert torch.equal(a.mask + b.mask, torch.ones_like(a.mask)), \
                    "two consecutive coupling layers do not use complementary masks"


        @points(1)
        def test_log_det_equals_autograd_jacobian():
            flow = _flow()
            x = torch.randn(3, 6, dtype=torch.float64)
            _, log_det = flow(x)
            for n in range(3):
                J = torch.autograd.functional.jacobian(lambda r: flow(r[None])[0][0], x[n])
                checks.assert_close(log_det[n], torch.linalg.slogdet(J)[1], rtol=1e-8, atol=1e-8,
                                    name="log_det of the whole flow")


        @points(1)
        def test_log_prob_is_the_change_of_variables():
            flow = _flow()
            x = torch.randn(3, 6, dtype=torch.float64)
            z, log_det = flow(x)
            expected = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1) + log_det
            checks.assert_close(flow.log_prob(x), expected, rtol=1e-8, atol=1e-8, name="log_prob")
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3.5)
        ''')


def _p2_log_prob(nb):
    """P2: the log-density of dequantised images."""
    nb.md(r'''
        **(3 points)** The log-density of dequantised images $y$ under "logit transform, then flow". Both
        log-determinants count.
        ''')
    nb.answer("p2_log_prob", P2_LOGPROB)
    nb.tests("p2_log_prob_tests", points=3, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_shape():
            identity = lambda v: (v, torch.zeros(v.shape[0], dtype=v.dtype))
            out = log_prob_data(identity, torch.rand(4, 3), 0.05)
            checks.assert_tensor(out, "log_prob_data(...)", shape=(4,))


        @points(1)
        def test_tiny_case():
            # y = 1/2 in 1-D, alpha = 0.05: v = logit(1/2) = 0 and dv/dy = 3.6; the flow z = 2 v has log-det log 2
            double = lambda v: (2 * v, torch.full((v.shape[0],), math.log(2.0), dtype=v.dtype))
            got = float(log_prob_data(double, torch.full((1, 1), 0.5), 0.05).flatten()[0])
            log_normal_0, log_2, log_36 = -0.5 * math.log(2 * math.pi), math.log(2.0), math.log(3.6)
            want = log_normal_0 + log_2 + log_36
            hint = ""
            if abs(got - (log_normal_0 + log_2)) < 1e-4:
                hint = ": the logit transform's log-det (log 3.6) is missing; it is part of the model"
            elif abs(got - (log_normal_0 - log_2 + log_36)) < 1e-4:
                hint = ": the flow's log-det enters with the wrong sign; add log|det dz/dv|"
            elif abs(got - (log_2 + log_36)) < 1e-4:
                hint = ": the Gaussian's normaliser -D log(2 pi) / 2 is missing from log N(z; 0, I)"
            assert abs(got - want) < 1e-5, \
                (f"expected log N(0; 0, 1) + log 2 + log 3.6 = {want:.5f} for y = 1/2, alpha = 0.05 and the "
                 f"flow z = 2 v; found {got:.5f}{hint}")


        ### BEGIN HIDDEN TESTS
        @points(1.5)
        def test_matches_change_of_variables():
            g = torch.Generator().manual_seed(4)
            a = torch.rand(5, generator=g, dtype=torch.float64) + 0.5
            b = torch.randn(5, generator=g, dtype=torch.float64)
            affine = lambda v: ((v - b) / a, -torch.log(a).sum().expand(v.shape[0]))
            y = torch.rand(6, 5, generator=g, dtype=torch.float64) * 0.98 + 0.01
            for alpha in (0.05, 1e-6):
                s = alpha + (1 - 2 * alpha) * y
                v = torch.log(s / (1 - s))
                dv_dy = (1 - 2 * alpha) / (s * (1 - s))
                expected = torch.distributions.Normal(b, a).log_prob(v).sum(1) + torch.log(dv_dy).sum(1)
                checks.assert_close(log_prob_data(affine, y, alpha), expected, rtol=1e-8, atol=1e-8,
                                    name="log p(y) of an affine flow after the logit transform")
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=1.5)
        ''')


def _p2_bpd(nb):
    """P2: bits per dimension."""
    nb.md("**(3 points)** Bits per dimension from the log-density of dequantised images.")
    nb.answer("p2_bpd", P2_BPD)
    nb.tests("p2_bpd_tests", points=3, src=r'''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(1)
        def test_uniform_density_is_eight_bits():
            got = bits_per_dim(torch.zeros(2), 784)
            checks.assert_tensor(got, "bits_per_dim(log_p_y, D)", shape=(2,))
            value = float(got[0])
            hint = ""
            if abs(value) < 1e-6:
                hint = ": the + D log 256 term (the dequantisation bins of width 1/256) is missing"
            elif abs(value - 8 * math.log(2)) < 1e-4:
                hint = ": that is nats per dimension; divide by log 2 for bits"
            elif abs(value - 784 * 8) < 1e-2:
                hint = ": that is for the whole image; divide by the number of dimensions D"
            assert abs(value - 8.0) < 1e-5, \
                f"expected 8 bits per dimension for log p(y) = 0 (the uniform density on [0, 1)^D), found {value:.5g}{hint}"


        ### BEGIN HIDDEN TESTS
        @points(2)
        def test_fixed_values():
            log_p = torch.tensor([1000.0, -250.0, 2500.0], dtype=torch.float64)
            for D in (784, 100):
                expected = (D * math.log(256) - log_p) / (D * math.log(2))
                checks.assert_close(bits_per_dim(log_p, D), expected, rtol=1e-10, name="bits_per_dim")
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')


def _p2_training(nb):
    """P2: training Real NVP on MNIST (full mode saves a checkpoint every epoch)."""
    nb.md(r'''
        ### Training Real NVP on MNIST

        Full settings (for a GPU): all 60,000 training images, 6 coupling layers with $s$ and $t$ networks of
        two hidden layers of 256 units, Adam (learning rate $10^{-4}$, weight decay $10^{-6}$), batch 128,
        20 epochs. Fast mode: a few hundred images, a tiny flow, a few dozen steps. We minimise bits per
        dimension (the Q2 risk, rescaled), report it on the test set, show samples, and interpolate in latent
        space between test digits.

        **Why 256 hidden units, and the graded file.** In full mode the training cell ends by saving the
        flow's weights (its state dict, in float16) as `P2_WEIGHTS_FILE` in the homework folder, and the
        autograder scores that file (see "Graded from your saved Real NVP weights" below). With 1024 hidden
        units the state dict is about 128 MB in float32, more than the 100 MB per file that nbgrader accepts
        by default when a folder is submitted and collected (bigger files are left out); with 256 it is about
        22.5 MB in float32 and 11 MB as saved. On one CPU thread an epoch at 256 took about a minute, and 20
        epochs reached 1.90 bits/dim on the test set (docs/hw5_explicit.md).
        '''.replace("P2_WEIGHTS_FILE", P2_WEIGHTS_FILE))
    nb.code(r'''
        P2 = dict(
            n_train=runtime.pick(full=None, fast=512),
            n_test=runtime.pick(full=None, fast=128),
            hidden=runtime.pick(full=256, fast=32),
            n_coupling=runtime.pick(full=6, fast=4),
            epochs=runtime.pick(full=20, fast=1),
            max_steps=runtime.pick(full=None, fast=30),
            batch_size=runtime.pick(full=128, fast=64),
            lr=1e-4,
            alpha=1e-6,
        )
        P2
        ''', locked=True, grade_id="p2_config")
    nb.code(r'''
        def evaluate_bpd(flow, images, alpha, batch_size=1000):
            """Mean bits per dimension of (N, 784) images in [0, 1] (one dequantisation draw, seeded)."""
            flow.eval()
            g = torch.Generator().manual_seed(0)
            total = 0.0
            with torch.no_grad():
                for k in range(0, len(images), batch_size):
                    xb = images[k:k + batch_size]
                    yb = ((torch.round(xb * 255) + torch.rand(xb.shape, generator=g)) / 256).to(device)
                    total += float(bits_per_dim(log_prob_data(flow, yb, alpha), xb.shape[1]).sum())
            flow.train()
            return total / len(images)


        from dgmlab import artifacts
        from dgmlab.checkpoint import Checkpoint

        P2_RETRAIN = False   # True: train again from the start, replacing the checkpoint

        if not runtime.is_grading():
            runtime.seed_everything(0)
            train_gray = dgmlab.data.mnist(train=True, scale="[0,1]", n=P2["n_train"])
            test_gray = dgmlab.data.mnist(train=False, scale="[0,1]", n=P2["n_test"])
            train_flat, test_flat = train_gray.images.flatten(1), test_gray.images.flatten(1)
            flow = RealNVP(784, P2["hidden"], P2["n_coupling"]).to(device)
            optimizer = torch.optim.Adam(flow.parameters(), lr=P2["lr"], weight_decay=1e-6)
            p2_losses, step = [], 0
            loader = torch.utils.data.DataLoader(train_flat, batch_size=P2["batch_size"], shuffle=True, drop_last=True,
                                                 generator=torch.Generator().manual_seed(0))
            # As for P1: a checkpoint after every epoch, so running this cell again resumes instead of starting over.
            ckpt = Checkpoint(runtime.pick(full="checkpoints/p2_realnvp.pt", fast="checkpoints/p2_realnvp_fast.pt"),
                              epochs=P2["epochs"], flow=flow, optimizer=optimizer, shuffle=loader.generator,
                              config=dict(P2, data=train_flat, code=[dequantize, log_prob_data, bits_per_dim]))
            done, p2_losses = ckpt.resume([], retrain=P2_RETRAIN)
            step = len(p2_losses)
            for epoch in range(done, P2["epochs"]):
                for xb in tqdm(loader, desc=f"Real NVP epoch {epoch + 1}"):
                    yb = dequantize(xb).to(device)
                    loss = bits_per_dim(log_prob_data(flow, yb, P2["alpha"]), 784).mean()
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    p2_losses.append(loss.item())
                    step += 1
                    if P2["max_steps"] and step >= P2["max_steps"]:
                        break
                ckpt.save(epoch + 1, p2_losses)
            p2_test_bpd = evaluate_bpd(flow, test_flat, P2["alpha"])
            print(f"test bits/dim: {p2_test_bpd:.3f}")
            if runtime.mode() == "full":   # the graded file: float16 state dict, written atomically
                dgmlab.workspace.saved(artifacts.save_weights(flow, "P2_WEIGHTS_FILE"), graded=True)
            else:
                print("fast mode: no weights saved (only a full-mode run writes the graded P2_WEIGHTS_FILE)")
            plots.loss_curves({"train bits/dim": p2_losses}, title="Real NVP training", ylabel="bits/dim", smooth=10,
                              save=FIGURES / "p2_loss.png")
            plt.show()
        '''.replace("P2_WEIGHTS_FILE", P2_WEIGHTS_FILE), locked=True, grade_id="p2_train", uses_answers=True)


def _p2_samples_and_results(nb):
    """P2 after training: samples, interpolations, FID in practice, and the written results."""
    nb.md("Samples (latent temperature 1 and 0.7) and latent-space interpolations between pairs of test digits.")
    nb.code(r'''
        if not runtime.is_grading():
            runtime.seed_everything(2)
            flow.eval()
            with torch.no_grad():
                z = torch.randn(64, 784, device=device)
                samples = {t: inverse_logit_transform(flow.inverse(t * z), P2["alpha"]).clamp(0, 1) for t in (1.0, 0.7)}
                for t, s in samples.items():
                    plots.image_grid(s.view(-1, 1, 28, 28).cpu(), nrow=8, title=f"Real NVP samples, temperature {t}",
                                     save=FIGURES / f"p2_samples_t{t}.png")
                    plt.show()
                ends = test_flat[:10].to(device) * 255 / 256 + 0.5 / 256       # mid-bin dequantisation
                z_ends, _ = flow(logit_transform(ends, P2["alpha"])[0])
                z_a, z_b = z_ends[0::2], z_ends[1::2]
                steps = torch.linspace(0, 1, 8, device=device)
                path = torch.stack([(1 - w) * z_a + w * z_b for w in steps], dim=1)      # (5, 8, 784)
                images = inverse_logit_transform(flow.inverse(path.reshape(-1, 784)), P2["alpha"]).clamp(0, 1)
                plots.interpolation_strip(images.view(5, 8, 1, 28, 28).cpu(), title="latent interpolations",
                                          save=FIGURES / "p2_interpolations.png")
                plt.show()
        ''', locked=True, grade_id="p2_samples", uses_answers=True)
    nb.md(r'''
        **Q4 in practice.** Your `feature_statistics` and `frechet_gaussian` on real features: the 128-dimensional
        penultimate layer of the small MNIST classifier shipped with `dgmlab` stands in for Inception-v3 (which
        is for natural images). The result is an **MNIST classifier Fréchet distance**, not an FID: compare it only
        with numbers computed the same way. `dgmlab.metrics` computes the same quantity as a check, and its
        `mnist_frechet_distance` compares against the statistics of the full MNIST test set.
        ''')
    nb.code(r'''
        if not runtime.is_grading():
            from dgmlab import metrics

            n_eval = runtime.pick(full=10000, fast=200)
            runtime.seed_everything(3)
            with torch.no_grad():
                generated = torch.cat([inverse_logit_transform(flow.inverse(torch.randn(500, 784, device=device)),
                                                               P2["alpha"]).clamp(0, 1).cpu()
                                       for _ in range(math.ceil(n_eval / 500))])[:n_eval]
            feats_real = metrics.mnist_features(test_gray.images[:n_eval], scale="[0,1]")
            feats_gen = metrics.mnist_features(generated, scale="[0,1]")
            yours = frechet_gaussian(*feature_statistics(feats_real), *feature_statistics(feats_gen))
            reference = metrics.frechet_distance(*metrics.gaussian_stats(feats_real), *metrics.gaussian_stats(feats_gen))
            print(f"MNIST classifier Fréchet distance, Real NVP samples vs {len(feats_real)} test digits: "
                  f"{yours:.2f} (yours), {reference:.2f} (dgmlab)")
            print(f"against the full test set's statistics (dgmlab.metrics.mnist_frechet_distance): "
                  f"{metrics.mnist_frechet_distance(generated, scale='[0,1]'):.2f}; "
                  f"real training digits give {metrics.mnist_frechet_distance(train_gray.images[:n_eval], scale='[0,1]'):.2f}")
        ''', locked=True, grade_id="p2_frechet", uses_answers=True)
    _p2_weights_cell(nb)
    nb.md(r'''
        **P2 results (2 points, graded by hand).** Train with the full settings. Report the test bits per
        dimension, show samples and interpolations, and comment: how do samples at temperature 0.7 differ from
        those at 1, and why do fully connected Real NVPs give noisy samples even at good bits/dim? What would
        you change to improve them?
        ''')
    nb.written("p2_results", points=2, model_answer=r'''
        A good answer reports test bits/dim (the reference code with hidden width 256 reached 2.09 after 4 epochs
        on a CPU, see docs/hw5_explicit.md), and observes that samples at
        temperature 1 are noisy, speckled digit-like blobs, while 0.7 gives smoother, more digit-like but less
        varied images (low-temperature sampling trades diversity for quality). Reasons: bits/dim is dominated
        by modelling pixel-level noise and the background; a fully connected flow has no spatial inductive bias
        and spends its capacity on the dequantisation noise. Improvements: convolutional coupling networks with
        checkerboard and channel masks and squeezing (multi-scale architecture), batch/act-norm, more layers,
        variational dequantisation. Marks (the bits/dim itself is graded from the saved weights above): figures and temperature, with the
        number reported (1), cause and fix (1).''')


# ====================================================================== graded weights
def _weights_cell_source(*, graded: str, path: str, max_bytes: int, made_by: str, build: str, what: str,
                         check: str, measure: str, unit: str, bar: float, fmt: str, fail_why: str) -> str:
    """The test cell that scores a saved state dict: 1 point when it loads into the notebook's own
    architecture (dgmlab.artifacts), 2 when the model's likelihood is one (``check``) and its held-in value
    (dgmlab.likelihoods) is at most ``bar``."""
    return f"""
        from dgmlab.testing import points, run_tests
        from dgmlab import artifacts, likelihoods

        {graded} = Path("{path}")
        _LOADED = {{}}  # the model, loaded once for both tests


        def _absent_in_fast_mode():
            # fast mode trains a tiny model and saves no weights: nothing to grade here
            return runtime.mode() == "fast" and not {graded}.exists()


        def _graded_model():
            \"\"\"{build} with the saved weights in it, once they fit (else the reason this cell earns 0).\"\"\"
            if "model" not in _LOADED:
                state = artifacts.load({graded}, max_bytes={max_bytes}, made_by="{made_by}")
                _LOADED["model"] = artifacts.load_weights({build}, state, name="the weights in {path}",
                                                          constant_buffers=True)
            return _LOADED["model"]


        @points(1)
        def test_saved_weights_fit_the_{what}():
            if _absent_in_fast_mode():
                print("fast mode: no {path} (only full training writes it), so nothing is graded here")
                return
            model = _graded_model()
            print(f"{path}: {{sum(p.numel() for p in model.parameters()):,}} parameters loaded into {build}")


        @points(2)
        def test_held_in_{unit.split()[0].replace("/", "_per_")}_below_the_bar():
            if _absent_in_fast_mode():
                return
            model = _graded_model()  # a file that does not fit earns nothing here either
            {check}  # a model whose likelihood is not one earns nothing here
            value = {measure}
            print(f"the saved model on the grading digits: {{value:{fmt}}} {unit} (bar {bar})")
            assert value <= {bar}, (f"expected at most {bar} {unit} on the grading digits, found {{value:{fmt}}}: "
                                    "{fail_why}")

        run_tests(points=3)
        """


def _p1_weights_cell(nb):
    nb.md(rf"""
        ### Graded from your saved PixelCNN weights (3 points)

        The autograder does not train: this cell scores `{P1_WEIGHTS_FILE}`, the file the training cell above
        saves in full mode. It loads the file into `PixelCNN()` (your class, its default settings: 64 channels,
        5 hidden layers of $7\times7$) with `dgmlab.artifacts`: tensors only (`torch.load(weights_only=True)`),
        every name and shape as the model's, finite values, the masks exactly as your constructor builds them.
        That earns 1 point. The other 2 come when the loaded model's NLL on {P1_GRADING_DIGITS} fixed digits (the
        first {P1_GRADING_DIGITS} MNIST test digits shipped with `dgmlab`, binarised at 0.5 like the training
        data) is at most **{P1_NLL_BAR} nats per image** and the loaded network is causal (checked by gradients at
        two pixels: a network that sees the pixel it predicts has no likelihood). The NLL is computed here by
        `dgmlab.likelihoods.bernoulli_nll_nats` from your network's logits, not by your `bernoulli_nll`. For
        scale: an untrained network gives 510-530 nats, the reference after {P1_EARLY_STEP} training steps
        about {P1_EARLY_NLL:.0f}, and after {P1_CALIBRATED_STEP} steps (of the ~4,680 of a full run) about
        {P1_CALIBRATED_NLL:.0f}. This bar is provisional: it was calibrated on a partial run
        (docs/hw5_explicit.md); a full run clears it easily. Without the file this cell earns 0 and says so.
        """)
    nb.tests("p1_weights_tests", points=3, src=_weights_cell_source(
        graded="GRADED_P1_WEIGHTS", path=P1_WEIGHTS_FILE, max_bytes=P1_MAX_BYTES, made_by="the P1 training cell",
        build="PixelCNN()", what="default_pixelcnn", unit="nats per image", check="likelihoods.check_causal(model)", bar=P1_NLL_BAR, fmt=".1f",
        measure=f'likelihoods.bernoulli_nll_nats(model, likelihoods.grading_digits({P1_GRADING_DIGITS}, scale="binary"))',
        fail_why=(f"above the bar (the reference clears it after {P1_CALIBRATED_STEP} training steps): "
                  "train in full mode to the end and submit the weights the training cell saved")))


def _p2_weights_cell(nb):
    nb.md(rf"""
        ### Graded from your saved Real NVP weights (3 points)

        As for P1: this cell scores `{P2_WEIGHTS_FILE}`, which the training cell saves in full mode. Loaded into
        `RealNVP(784, 256, 6)` (your class, the full settings) with `dgmlab.artifacts` (tensors only, names and
        shapes as the model's, finite values, the masks as your constructor builds them), it earns 1 point. The
        other 2 come when the loaded flow's **bits per dimension** on the {P2_GRADING_DIGITS} MNIST test digits
        shipped with `dgmlab` is at most **{P2_BPD_BAR}**, computed here by `dgmlab.likelihoods.flow_bits_per_dim`
        (dequantisation noise from a fixed seed, the logit transform with $\alpha = 10^{{-6}}$, your flow's
        `forward`, a standard normal latent), not by your `log_prob_data` or `bits_per_dim`, once your flow's
        log-determinant on one grading digit matches that of its full Jacobian (autograd, float64). For scale: the
        reference run gives 2.22 after 2 of its 20 epochs, 1.96 after 10 and 1.89 after 20; an untrained flow
        70-85. Without the file this cell earns 0 and says so.
        """)
    nb.tests("p2_weights_tests", points=3, src=_weights_cell_source(
        graded="GRADED_P2_WEIGHTS", path=P2_WEIGHTS_FILE, max_bytes=P2_MAX_BYTES, made_by="the P2 training cell",
        build="RealNVP(784, 256, 6)", what="full_size_realnvp", unit="bits/dim",
        check=f'likelihoods.check_log_det(model, likelihoods.grading_digits(1, scale="[0,1]"))', bar=P2_BPD_BAR, fmt=".3f",
        measure=(f'likelihoods.flow_bits_per_dim(model, likelihoods.grading_digits({P2_GRADING_DIGITS}, '
                 'scale="[0,1]"), alpha=1e-6)'),
        fail_why=("above the bar (the reference run is below it from epoch 11.5 of 20 on): train in full mode "
                  "for all 20 epochs and submit the weights the training cell saved")))


# ====================================================================== proofs
# Every graded cell gives points per test, so a wrong answer states in earns= the points it still gets:
# those of the tests its mistake leaves passing (tests/test_proofs.py checks the exact number); the
# blank stubs earn 0 and the correct variants every point (passes=).
MUTANTS = [
    # ---------------- Q1
    Mutant("q1_discriminative", "prior P(z) ignored", _sub(_strip_markers(Q1_DISC),
           "joint = decodes * prior_z.to(p_y_given_z.dtype)", "joint = decodes"),
           earns={"q1_discriminative_tests": 0.75}),
    Mutant("q1_discriminative", "not normalised by P(x)", _sub(_strip_markers(Q1_DISC),
           "unnormalised / safe", "unnormalised"), earns={"q1_discriminative_tests": 0.5}),
    Mutant("q1_discriminative", "NaN for an x no latent decodes to", _sub(_strip_markers(Q1_DISC),
           "return torch.where(evidence > 0, unnormalised / safe, torch.full_like(unnormalised, 1.0 / C))",
           "return unnormalised / evidence"), earns={"q1_discriminative_tests": 1.5}),
    Mutant("q1_discriminative", "posterior built from detached probabilities", _sub(_strip_markers(Q1_DISC),
           "unnormalised = joint @ p_y_given_z", "unnormalised = joint @ p_y_given_z.detach()"),
           earns={"q1_discriminative_tests": 1.75}),
    Mutant("q1_discriminative", "correct variant: explicit loop over data points", r'''
def discriminative_posterior(p_y_given_z, F, prior_z, x):
    rows = []
    C = p_y_given_z.shape[1]
    for xn in x.tolist():
        sel = F == xn
        if not bool(sel.any()):
            rows.append(torch.full((C,), 1.0 / C, dtype=p_y_given_z.dtype))
            continue
        w = prior_z[sel].to(p_y_given_z.dtype)
        rows.append((w[:, None] * p_y_given_z[sel]).sum(0) / w.sum())
    return torch.stack(rows)
''', passes=["q1_discriminative_tests"]),
    Mutant("q1_generative", "class prior P(y) ignored", _sub(_strip_markers(Q1_GEN),
           "joint = likelihood * prior_y.to(p_z_given_y.dtype)", "joint = likelihood"),
           earns={"q1_generative_tests": 0.75}),
    Mutant("q1_generative", "not normalised over y", _sub(_strip_markers(Q1_GEN),
           "joint / safe", "joint"), earns={"q1_generative_tests": 0.5}),
    Mutant("q1_generative", "NaN for an x no latent decodes to", _sub(_strip_markers(Q1_GEN),
           "return torch.where(evidence > 0, joint / safe, torch.full_like(joint, 1.0 / C))",
           "return joint / evidence"), earns={"q1_generative_tests": 0.75}),
    Mutant("q1_generative", "likelihood built from detached probabilities", _sub(_strip_markers(Q1_GEN),
           "likelihood = decodes @ p_z_given_y.T", "likelihood = decodes @ p_z_given_y.detach().T"),
           earns={"q1_generative_tests": 1.75}),
    Mutant("q1_steps", "sum instead of mean over the data set", _sub(_strip_markers(Q1_STEPS),
           "loss = -torch.log(Q[torch.arange(len(y)), y]).mean()", "loss = -torch.log(Q[torch.arange(len(y)), y]).sum()"),
           earns={"q1_steps_tests": 1.25}),
    Mutant("q1_steps", "gradient ascent in the generative step", _sub(_strip_markers(Q1_STEPS),
           "return (V - lr * V.grad).detach(), loss.item()", "return (V + lr * V.grad).detach(), loss.item()"),
           earns={"q1_steps_tests": 1}),
    Mutant("q1_steps", "generative model trained on the posterior Q'(y|x) instead of the likelihood", _sub(
           _strip_markers(Q1_STEPS),
           "likelihood = (decodes * p_z_given_y[y]).sum(dim=1)               # (n,): P_w(x_j | y_j)",
           "likelihood = generative_posterior(p_z_given_y, F, torch.full((V.shape[0],), 1.0 / V.shape[0], dtype=V.dtype), x)[torch.arange(len(y)), y]"),
           earns={"q1_steps_tests": 1.5}),
    Mutant("q1_steps", "returns the parameter tensor still attached to the graph", _sub(_strip_markers(Q1_STEPS),
           "return (W - lr * W.grad).detach(), loss.item()", "return W - lr * W.grad, loss.item()"),
           earns={"q1_steps_tests": 1.75}),
    Mutant("q1_steps", "prior P(z) dropped in the discriminative step", _sub(_strip_markers(Q1_STEPS),
           "Q = discriminative_posterior(torch.softmax(W, dim=1), F, prior_z, x)",
           "Q = discriminative_posterior(torch.softmax(W, dim=1), F, torch.ones_like(prior_z), x)"),
           earns={"q1_steps_tests": 1.5}),
    # ---------------- Q2
    Mutant("q2_density", "Jacobian factor missing", "def flow_density(q, f):\n    return q.subs(z_sym, f)",
           earns={"q2_density_tests": 0.25}),
    Mutant("q2_density", "divides by f' (lecture direction confused)",
           "def flow_density(q, f):\n    return q.subs(z_sym, f) / sp.diff(f, x_sym)", earns={"q2_density_tests": 0.25}),
    Mutant("q2_density", "correct variant: absolute value of f'",
           "def flow_density(q, f):\n    return q.subs(z_sym, f) * sp.Abs(sp.diff(f, x_sym))", passes=["q2_density_tests"]),
    Mutant("q2_risk", "log-det sign flipped", "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -(log_q(z) - ld).mean()",
           earns={"q2_risk_tests": 1}),
    Mutant("q2_risk", "log-det dropped", "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -log_q(z).mean()",
           earns={"q2_risk_tests": 1}),
    Mutant("q2_risk", "sum instead of mean", "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -(log_q(z) + ld).sum()",
           earns={"q2_risk_tests": 0.5}),
    Mutant("q2_risk", "risk rebuilt as a new tensor (graph cut)",
           "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return torch.tensor(float(-(log_q(z) + ld).mean()))",
           earns={"q2_risk_tests": 1.5}),
    Mutant("q2_risk", "correct variant: explicit division by n",
           "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -torch.sum(log_q(z) + ld) / x.shape[0]",
           passes=["q2_risk_tests"]),
    # ---------------- Q3
    Mutant("q3_divergences", "KL in the reverse direction", _sub(_strip_markers(Q3_DIV),
           "return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))",
           "return b * sp.log(b / a) + (1 - b) * sp.log((1 - b) / (1 - a))"),
           earns={"q3_kl_tests": 0.25}),
    Mutant("q3_divergences", "JS without the 1/2 weights", _sub(_strip_markers(Q3_DIV),
           "return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return kl_bernoulli(a, m) + kl_bernoulli(b, m)"),
           earns={"q3_js_tests": 1}),
    Mutant("q3_divergences", "JS as the symmetrised KL", _sub(_strip_markers(Q3_DIV),
           "return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return (kl_bernoulli(a, b) + kl_bernoulli(b, a)) / 2"),
           earns={"q3_js_tests": 1}),
    Mutant("q3_divergences", "log base 2", _sub(_strip_markers(Q3_DIV),
           "return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))",
           "return a * sp.log(a / b, 2) + (1 - a) * sp.log((1 - a) / (1 - b), 2)"),
           earns={"q3_kl_tests": 0.25, "q3_js_tests": 1}),
    Mutant("q3_divergences", "only the first KL term of JS", _sub(_strip_markers(Q3_DIV),
           "return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return kl_bernoulli(a, m)"),
           earns={"q3_js_tests": 1}),
    Mutant("q3_divergences", "KL helper reversed, kl_PQ rescued by swapping its call", _sub(_sub(_strip_markers(Q3_DIV),
           "return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))",
           "return b * sp.log(b / a) + (1 - b) * sp.log((1 - b) / (1 - a))"),
           "kl_PQ = kl_bernoulli(theta, sp.Rational(3, 10))", "kl_PQ = kl_bernoulli(sp.Rational(3, 10), theta)"),
           earns={"q3_kl_tests": 1.5, "q3_js_tests": 1}),
    Mutant("q3_divergences", "correct variant: sums over outcomes", r'''
def kl_bernoulli(a, b):
    p, q = [sp.sympify(a), 1 - sp.sympify(a)], [sp.sympify(b), 1 - sp.sympify(b)]
    return sum(pi * sp.log(pi / qi) for pi, qi in zip(p, q))


def js_bernoulli(a, b):
    a, b = sp.sympify(a), sp.sympify(b)
    return sp.Rational(1, 2) * kl_bernoulli(a, (a + b) / 2) + sp.Rational(1, 2) * kl_bernoulli(b, (a + b) / 2)


kl_PQ = kl_bernoulli(theta, sp.Rational(3, 10))
js_PQ = js_bernoulli(theta, sp.Rational(3, 10))
''', passes=["q3_kl_tests", "q3_js_tests"]),
    Mutant("q3_theta_star", "complement 1 - 0.3", "theta_star_kl = 0.7\ntheta_star_js = 0.7", earns={"q3_theta_star_tests": 0.5}),
    Mutant("q3_theta_star", "grid argmax instead of argmin", r'''
grid = np.linspace(0.01, 0.99, 99)
theta_star_kl = float(grid[np.argmax(sp.lambdify(theta, kl_PQ, "numpy")(grid))])
theta_star_js = float(grid[np.argmax(sp.lambdify(theta, js_PQ, "numpy")(grid))])
''', earns={"q3_theta_star_tests": 0.5}),
    Mutant("q3_theta_star", "grid search with step 0.1", r'''
grid = np.linspace(0.05, 0.95, 10)
theta_star_kl = float(grid[np.argmin(sp.lambdify(theta, kl_PQ, "numpy")(grid))])
theta_star_js = float(grid[np.argmin(sp.lambdify(theta, js_PQ, "numpy")(grid))])
''', earns={"q3_theta_star_tests": 1}),
    Mutant("q3_theta_star", "correct variant: numerical minimisation", r'''
theta_star_kl = float(minimize_scalar(sp.lambdify(theta, kl_PQ), bounds=(1e-4, 1 - 1e-4), method="bounded", options={"xatol": 1e-9}).x)
theta_star_js = float(minimize_scalar(sp.lambdify(theta, js_PQ), bounds=(1e-4, 1 - 1e-4), method="bounded", options={"xatol": 1e-9}).x)
''', passes=["q3_theta_star_tests"]),
    # ---------------- Q4
    Mutant("q4_stats", "biased covariance (divides by n)", _sub(_strip_markers(Q4_STATS),
           "cov = centred.T @ centred / (f.shape[0] - 1)", "cov = centred.T @ centred / f.shape[0]"),
           earns={"q4_stats_tests": 0.5}),
    Mutant("q4_stats", "covariance of the transposed data", _sub(_strip_markers(Q4_STATS),
           "cov = centred.T @ centred / (f.shape[0] - 1)", "cov = np.cov(f)"), earns={"q4_stats_tests": 0}),
    Mutant("q4_stats", "torch input kept in float32", _sub(_strip_markers(Q4_STATS),
           "f = np.asarray(features, dtype=np.float64)", "f = np.asarray(features)"), earns={"q4_stats_tests": 1.5}),
    Mutant("q4_stats", "correct variant: np.cov",
           "def feature_statistics(features):\n    f = np.asarray(features, dtype=np.float64)\n    return f.mean(0), np.cov(f, rowvar=False)",
           passes=["q4_stats_tests"]),
    Mutant("q4_frechet", "scipy sqrtm with its complex result kept", r'''
from scipy import linalg
def frechet_gaussian(mu1, cov1, mu2, cov2):
    diff = np.asarray(mu1) - np.asarray(mu2)
    return diff @ diff + np.trace(cov1 + cov2 - 2 * linalg.sqrtm(np.asarray(cov1) @ np.asarray(cov2)))
''', earns={"q4_frechet_tests": 3}),
    Mutant("q4_frechet", "elementwise square root of the product", _sub(_strip_markers(Q4_FD),
           "tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()",
           "tr_sqrt = np.trace(np.sqrt(np.abs(c1 @ c2)))"), earns={"q4_frechet_tests": 2}),
    Mutant("q4_frechet", "missing the factor 2 on the cross term", _sub(_strip_markers(Q4_FD),
           "- 2 * tr_sqrt", "- tr_sqrt"), earns={"q4_frechet_tests": 0}),
    Mutant("q4_frechet", "mean distance not squared", _sub(_strip_markers(Q4_FD),
           "return float(diff @ diff +", "return float(np.sqrt(diff @ diff) +"), earns={"q4_frechet_tests": 0.5}),
    Mutant("q4_frechet", "correct variant: scipy sqrtm, real part", r'''
from scipy import linalg
def frechet_gaussian(mu1, cov1, mu2, cov2):
    mu1, mu2, cov1, cov2 = (np.asarray(a, dtype=np.float64) for a in (mu1, mu2, cov1, cov2))
    covmean = linalg.sqrtm(cov1 @ cov2)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(covmean))
''', passes=["q4_frechet_tests"]),
    # ---------------- P1
    Mutant("p1_masked_conv", "mask A and B swapped", _sub(_strip_markers(P1_MASK),
           'mask[c, c + (1 if mask_type == "B" else 0):] = 0', 'mask[c, c + (1 if mask_type == "A" else 0):] = 0'),
           # the model inherits the leak, and the genuine weights' masks are not the ones this class builds
           earns={"p1_masked_conv_tests": 1, "p1_model_tests": 0.5, "p1_weights_tests": 0}),
    Mutant("p1_masked_conv", "centre pixel left in mask A", _sub(_strip_markers(P1_MASK),
           'mask[c, c + (1 if mask_type == "B" else 0):] = 0', "mask[c, c + 1:] = 0"),
           earns={"p1_masked_conv_tests": 2.5}),
    Mutant("p1_masked_conv", "mask applied once at construction only", _sub(_strip_markers(P1_MASK),
           'self.register_buffer("mask", mask[None, None])',
           'self.register_buffer("mask", mask[None, None])\n        with torch.no_grad():\n            self.weight.mul_(self.mask)').replace(
           "return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)", "return super().forward(x)"),
           earns={"p1_masked_conv_tests": 0.5}),
    Mutant("p1_masked_conv", "rows below the centre left open", _sub(_strip_markers(P1_MASK),
           "mask[c + 1:, :] = 0 ", "pass  "), earns={"p1_masked_conv_tests": 0.5}),
    Mutant("p1_masked_conv", "centre hard-coded for a 3x3 kernel", _sub(_strip_markers(P1_MASK),
           "k, c = kernel_size, kernel_size // 2", "k, c = kernel_size, 1"), earns={"p1_masked_conv_tests": 2}),
    Mutant("p1_masked_conv", "only the first input channel masked", _sub(_strip_markers(P1_MASK),
           "return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)",
           "w = self.weight.clone()\n        w[:, :1] = w[:, :1] * self.mask[:, :1]\n"
           "        return F.conv2d(x, w, self.bias, padding=self.padding)"), earns={"p1_masked_conv_tests": 4.5}),
    Mutant("p1_masked_conv", "correct variant: weight masked through a hook-free multiply of a full-shape mask", _sub(
           _strip_markers(P1_MASK), 'self.register_buffer("mask", mask[None, None])',
           'self.register_buffer("mask", mask.expand(out_channels, in_channels, k, k).clone())'),
           passes=["p1_masked_conv_tests", "p1_model_tests"]),
    Mutant("p1_model", "mask B in the first layer", _sub(_strip_markers(P1_MODEL),
           'layers = [MaskedConv2d("A", 1, channels, 7), nn.ReLU()]', 'layers = [MaskedConv2d("B", 1, channels, 7), nn.ReLU()]'),
           earns={"p1_model_tests": 0.5}),
    Mutant("p1_model", "plain convolution in the hidden layers", _sub(_strip_markers(P1_MODEL),
           'layers += [MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]',
           'layers += [nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2), nn.ReLU()]'),
           earns={"p1_model_tests": 0.5}),
    Mutant("p1_model", "mask A in every layer (blind to the pixel just before)", _sub(_strip_markers(P1_MODEL),
           'layers += [MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]',
           'layers += [MaskedConv2d("A", channels, channels, kernel_size), nn.ReLU()]'),
           earns={"p1_model_tests": 3.5}),
    Mutant("p1_model", "n_layers ignored: no hidden layers (found by a generated mutant)", _sub(_strip_markers(P1_MODEL),
           'layers += [MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]', "pass"),
           earns={"p1_model_tests": 3.5}),
    Mutant("p1_model", "correct variant: residual mask-B blocks", r'''
class _Res(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.conv = MaskedConv2d("B", c, c, k)

    def forward(self, h):
        return h + torch.relu(self.conv(h))


class PixelCNN(nn.Module):
    def __init__(self, channels=64, n_layers=5, kernel_size=7):
        super().__init__()
        self.first = MaskedConv2d("A", 1, channels, 7)
        self.blocks = nn.Sequential(*[_Res(channels, kernel_size) for _ in range(n_layers)])
        self.out = MaskedConv2d("B", channels, 1, 1)

    def forward(self, x):
        return self.out(self.blocks(torch.relu(self.first(x))))
''', passes=["p1_model_tests"]),
    Mutant("p1_nll", "mean over pixels instead of sum", _sub(_strip_markers(P1_NLL), ".flatten(1).sum(dim=1)", ".flatten(1).mean(dim=1)"),
           earns={"p1_nll_tests": 0.5}),
    Mutant("p1_nll", "log of sigmoid probabilities (overflows)", r'''
def bernoulli_nll(logits, x):
    p = torch.sigmoid(logits)
    return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)
''', earns={"p1_nll_tests": 2.5}),
    Mutant("p1_nll", "log-likelihood instead of its negative", _sub(_strip_markers(P1_NLL), "return F.", "return -F."),
           earns={"p1_nll_tests": 0.5}),
    Mutant("p1_nll", "correct variant: torch.distributions", r'''
def bernoulli_nll(logits, x):
    return -torch.distributions.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
''', passes=["p1_nll_tests"]),
    Mutant("p1_inpaint", "inpainting overwrites visible pixels", _sub(_strip_markers(P1_INPAINT),
           "canvas[:, :, i, j] = torch.where(hidden, sample, canvas[:, :, i, j])", "canvas[:, :, i, j] = sample"),
           earns={"p1_inpaint_tests": 4.5}),
    Mutant("p1_inpaint", "all hidden pixels sampled from one forward pass", r'''
@torch.no_grad()
def inpaint(model, x, visible):
    canvas = torch.where(visible, x, torch.zeros_like(x))
    sample = torch.bernoulli(torch.sigmoid(model(canvas)))
    return torch.where(visible, x, sample)
''', earns={"p1_inpaint_tests": 3.5}),
    Mutant("p1_inpaint", "conditions on the true hidden pixels", _sub(_strip_markers(P1_INPAINT),
           "canvas = torch.where(visible, x, torch.zeros_like(x))", "canvas = x.clone()").replace(
           "p = torch.sigmoid(model(canvas)[:, :, i, j])", "p = torch.sigmoid(model(x)[:, :, i, j])"),
           earns={"p1_inpaint_tests": 3.5}),
    Mutant("p1_inpaint", "thresholds instead of sampling", _sub(_strip_markers(P1_INPAINT),
           "sample = torch.bernoulli(p)", "sample = (p > 0.5).float()"), earns={"p1_inpaint_tests": 4.5}),
    Mutant("p1_inpaint", "correct variant: hidden pixels start at 1/2, visits every pixel", r'''
@torch.no_grad()
def inpaint(model, x, visible):
    canvas = torch.where(visible, x, torch.full_like(x, 0.5))
    N, _, H, W = x.shape
    for t in range(H * W):
        i, j = divmod(t, W)
        s = torch.bernoulli(torch.sigmoid(model(canvas)[:, 0, i, j]))
        canvas[:, 0, i, j] = torch.where(visible[:, 0, i, j], canvas[:, 0, i, j], s)
    return canvas
''', passes=["p1_inpaint_tests"]),
    # ---------------- P2
    Mutant("p2_logit", "log-det sign flipped (logit)", _sub(_strip_markers(P2_LOGIT),
           "log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)",
           "log_det = -(math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)"),
           earns={"p2_logit_tests": 2.5}),
    Mutant("p2_logit", "squashing factor 1 - 2 alpha left out of the log-det", _sub(_strip_markers(P2_LOGIT),
           "log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)",
           "log_det = (-torch.log(s) - torch.log1p(-s)).sum(dim=1)"), earns={"p2_logit_tests": 2.5}),
    Mutant("p2_logit", "inverse forgets to undo the squashing", _sub(_strip_markers(P2_LOGIT),
           "return (torch.sigmoid(v) - alpha) / (1 - 2 * alpha)", "return torch.sigmoid(v)"), earns={"p2_logit_tests": 2.75}),
    Mutant("p2_logit", "dequantisation without noise", _sub(_strip_markers(P2_LOGIT),
           "return (torch.round(x * 255) + torch.rand_like(x)) / 256", "return (torch.round(x * 255) + 0.5) / 256"),
           earns={"p2_logit_tests": 3.5}),
    Mutant("p2_logit", "correct variant: log-det via softplus", _sub(_strip_markers(P2_LOGIT),
           "log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)",
           "log_det = (math.log(1 - 2 * alpha) + F.softplus(v) + F.softplus(-v)).sum(dim=1)"),
           passes=["p2_logit_tests"]),
    Mutant("p2_coupling", "log-det sign flipped (coupling)", _sub(_strip_markers(P2_COUPLING),
           "return z, s.sum(dim=1)", "return z, -s.sum(dim=1)"),
           # the flow inherits the sign; the genuine weights still load but score wrongly
           earns={"p2_coupling_tests": 2.5, "p2_realnvp_tests": 4, "p2_weights_tests": 1}),
    Mutant("p2_coupling", "inverse scales by exp(+s)", _sub(_strip_markers(P2_COUPLING),
           "return z * m + (1 - m) * (z - t) * torch.exp(-s)", "return z * m + (1 - m) * (z - t) * torch.exp(s)"),
           earns={"p2_coupling_tests": 3.5}),
    Mutant("p2_coupling", "s and t see the unmasked coordinates too", _sub(_sub(_strip_markers(P2_COUPLING),
           "s = torch.tanh(self.s_net(x * m)) * (1 - m)", "s = torch.tanh(self.s_net(x)) * (1 - m)"),
           "t = self.t_net(x * m) * (1 - m)", "t = self.t_net(x) * (1 - m)"), earns={"p2_coupling_tests": 1}),
    Mutant("p2_coupling", "log-det summed over the masked coordinates", _sub(_strip_markers(P2_COUPLING),
           "return z, s.sum(dim=1)", "return z, (torch.tanh(self.s_net(x * m)) * m).sum(dim=1)"),
           earns={"p2_coupling_tests": 2.5}),
    Mutant("p2_coupling", "correct variant: one network for s and t", r'''
class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2 * dim))

    def _st(self, h):
        s, t = self.net(h * self.mask).chunk(2, dim=1)
        return torch.tanh(s) * (1 - self.mask), t * (1 - self.mask)

    def forward(self, x):
        s, t = self._st(x)
        return x * torch.exp(s) + t, s.sum(1)

    def inverse(self, z):
        s, t = self._st(z)
        return (z - t) * torch.exp(-s)
''', passes=["p2_coupling_tests"]),
    Mutant("p2_realnvp", "the same mask in every layer", _sub(_strip_markers(P2_REALNVP),
           "CouplingLayer(dim, hidden, m if l % 2 == 0 else 1 - m)", "CouplingLayer(dim, hidden, m)"),
           earns={"p2_realnvp_tests": 4}),
    Mutant("p2_realnvp", "the mask changes every third layer only (found by a generated mutant)", _sub(_strip_markers(P2_REALNVP),
           "m if l % 2 == 0 else 1 - m", "m if l % 3 == 0 else 1 - m"), earns={"p2_realnvp_tests": 4.75}),
    Mutant("p2_realnvp", "inverse applies the layers in forward order", _sub(_strip_markers(P2_REALNVP),
           "for layer in reversed(self.layers):", "for layer in self.layers:"), earns={"p2_realnvp_tests": 3.5}),
    Mutant("p2_realnvp", "log-det of the last layer only", _sub(_strip_markers(P2_REALNVP),
           "log_det = log_det + ld", "log_det = ld"), earns={"p2_realnvp_tests": 4}),
    Mutant("p2_realnvp", "log-det sign flipped in log_prob", _sub(_strip_markers(P2_REALNVP),
           "math.log(2 * math.pi) + log_det", "math.log(2 * math.pi) - log_det"), earns={"p2_realnvp_tests": 4}),
    Mutant("p2_realnvp", "correct variant: log_prob through torch.distributions", _sub(_strip_markers(P2_REALNVP),
           "return -0.5 * (z ** 2).sum(dim=1) - 0.5 * self.dim * math.log(2 * math.pi) + log_det",
           "return torch.distributions.Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z).sum(1) + log_det"),
           passes=["p2_realnvp_tests"]),
    Mutant("p2_log_prob", "missing logit-transform Jacobian", _sub(_strip_markers(P2_LOGPROB),
           "return log_q + log_det_flow + log_det_logit", "return log_q + log_det_flow"), earns={"p2_log_prob_tests": 0.5}),
    Mutant("p2_log_prob", "flow log-det subtracted", _sub(_strip_markers(P2_LOGPROB),
           "return log_q + log_det_flow + log_det_logit", "return log_q - log_det_flow + log_det_logit"),
           earns={"p2_log_prob_tests": 0.5}),
    Mutant("p2_log_prob", "Gaussian normaliser left out", _sub(_strip_markers(P2_LOGPROB),
           "log_q = -0.5 * (z ** 2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)",
           "log_q = -0.5 * (z ** 2).sum(dim=1)"), earns={"p2_log_prob_tests": 0.5}),
    Mutant("p2_bpd", "no log 256 term", _sub(_strip_markers(P2_BPD), "(-log_p_y / num_dims + math.log(256))", "(-log_p_y / num_dims)"),
           earns={"p2_bpd_tests": 0}),
    Mutant("p2_bpd", "nats instead of bits", _sub(_strip_markers(P2_BPD), " / math.log(2)", ""), earns={"p2_bpd_tests": 0}),
    Mutant("p2_bpd", "not divided by the number of dimensions", _sub(_strip_markers(P2_BPD),
           "(-log_p_y / num_dims + math.log(256))", "(-log_p_y + num_dims * math.log(256))"), earns={"p2_bpd_tests": 0}),
    Mutant("p2_bpd", "correct variant: log2", "def bits_per_dim(log_p_y, num_dims):\n    return 8.0 - log_p_y / (num_dims * math.log(2))",
           passes=["p2_bpd_tests"]),
]

# Generated mutants (benchmarks/mutation_kill_rates.py, docs/mutation.md) that survive because they change
# nothing a grade should notice, each with the reason; the kill rate leaves them out.
EQUIVALENT_MUTANTS = {
    "q3_divergences": {
        "L5 delete: `a, b = (sp.sympify(a), sp.sympify(b))` deleted":
            "sympify only converts: for the documented inputs (sympy numbers or symbols; Python floats too) every "
            "operation below already gives the same sympy expression",
        "L13 delete: `a, b = (sp.sympify(a), sp.sympify(b))` deleted":
            "the same in js_bernoulli: m = (a + b) / 2 and kl_bernoulli give the same expression without it",
    },
    "q3_theta_star": {
        "L5 constant: `1e-06` -> `2e-06` (1e-06 -> 2e-06)":
            "a search bound of 2e-6 instead of 1e-6 (either end): the minimiser 0.3 is far inside both",
        "L5 arith: `1 - 1e-06` -> `1 + 1e-06` (- -> +)":
            "the bounded search only evaluates inside the bracket, where JS is convex with its minimum at 0.3; "
            "the changed end is never evaluated",
        "L6 constant: `1e-10` -> `2e-10` (1e-10 -> 2e-10)": "a tolerance of 2e-10 still finds 0.3 far within 1e-4",
    },
    "q4_frechet": {
        "L9 delete: `mu1, mu2 = (np.asarray(mu1, dtype=np.float64), np.asarray...` deleted":
            "the means are documented as float arrays (every caller passes float64 numpy arrays), for which "
            "mu1 - mu2 is the same without the conversion; only out-of-contract Python lists would differ",
        "L13 args: `np.clip(w, 0, None)` -> `np.clip(0, w, None)` (first two arguments swapped)":
            "np.clip(0, w, None) = max(0, w) elementwise, broadcast to w's shape: the same array as np.clip(w, 0, None)",
        "L15 args: `np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, N...` -> `np.clip(0, "
        "np.linalg.eigvalsh((middle + middle.T) / 2), N...` (first two arguments swapped)":
            "the same identity: np.clip(0, e, None) = max(0, e) = np.clip(e, 0, None)",
    },
    "p1_inpaint": {
        "L18 delete: `if not hidden.any(): ...` deleted":
            "skipping positions where every image is visible only saves forward passes: torch.where keeps "
            "visible pixels anyway",
        "L19 delete: `continue` deleted": "the same skip, undone: torch.where keeps visible pixels anyway",
        "L14 sign: `-2` -> `2`": "x.shape[2:] and x.shape[-2:] are both (H, W) for the documented (N, 1, H, W) input",
    },
    "p2_coupling": {
        "L16 args: `nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linea...` -> `nn.Sequential(nn.ReLU(), "
        "nn.Linear(dim, hidden), nn.Linea...` (first two arguments swapped)":
            "s and t may be any functions of the masked coordinates: a ReLU before the first linear layer "
            "changes what they can express, not invertibility or the log-det",
        "L25 arith: `1 - m` -> `1 + m` (- -> +)":
            "t is used only through (1 - m) * (... + t), so its masked coordinates never reach z",
        "L33 arith: `1 - m` -> `1 + m` (- -> +)":
            "in the inverse, s is used only through (1 - m) * ... * exp(-s), so its masked coordinates never "
            "reach x (tanh keeps exp(-s) finite)",
        "L34 arith: `1 - m` -> `1 + m` (- -> +)": "the same for t in the inverse",
    },
    "p2_realnvp": {
        "L15 compare: `l % 2 == 0` -> `l % 2 != 0` (== -> !=)":
            "the stack starts with the complement mask and still alternates: the same family of flows (which "
            "parity comes first is a convention)",
        "L15 constant: `0` -> `1` (0 -> 1)": "l % 2 == 1: the same swap of which mask comes first",
    },
}

PARTIAL = [
    "mask A and B swapped",
    "missing logit-transform Jacobian",
    "log-det sign flipped (coupling)",
    "inpainting overwrites visible pixels",
    "biased covariance (divides by n)",
]


# ---------------------------------------------------------------------- artifacts
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
GENUINE_P1_WEIGHTS = FIXTURES / "hw5_genuine_pixelcnn_64_f16.pt"
GENUINE_P2_WEIGHTS = FIXTURES / "hw5_genuine_realnvp_256_f16.pt"


# Files the reference needs next to the notebook for every graded cell to pass: the float16 state dicts of the
# reference models of the calibration runs (benchmarks/calibrate_hw5_bars.py). tests/test_proofs.py and
# tests/test_hw5_explicit.py use it.
PROOF_ARTIFACTS = {P1_WEIGHTS_FILE: fixture_copier(GENUINE_P1_WEIGHTS, P1_WEIGHTS_FILE),
                   P2_WEIGHTS_FILE: fixture_copier(GENUINE_P2_WEIGHTS, P2_WEIGHTS_FILE)}
ARTIFACT_TESTS = ["p1_weights_tests", "p2_weights_tests"]
