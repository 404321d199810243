# %% [markdown]
# ## P2 (25 points): Real NVP on MNIST
#
# Real NVP (Dinh et al., 2017) stacks **affine coupling layers**: with a binary mask $m$, the masked
# coordinates pass through and set a scale $s$ and shift $t$ for the others,
# $$z = m \odot x + (1 - m) \odot \big(x \odot e^{s(m \odot x)} + t(m \odot x)\big), \qquad
#   \log\left|\det \frac{\partial z}{\partial x}\right| = \sum_i (1 - m_i)\, s_i(m \odot x).$$
# The Jacobian is triangular (a cheap determinant) and the inverse needs no inverse of $s$ or $t$; masks
# alternate so every coordinate changes. Our flow runs data to latent (as in Q2), with a standard normal
# latent and fully connected $s$, $t$ on flattened images.
#
# **Pre-processing.** Pixels $x \in \{0, \tfrac1{255}, \dots, 1\}$ are **dequantised**, $y = (255x + u)/256$ with
# $u \sim \mathcal U[0,1)$, then sent to the real line by the **logit transform**
# $v = \operatorname{logit}(\alpha + (1 - 2\alpha) y)$, $\alpha = 10^{-6}$, which is part of the model: $p(y)$ is
# the density of $y$ under the whole map $y \mapsto v \mapsto z$ (Q2's formulas apply to it). **Bits/dim**:
# $-\log p(y) + D \log 256$, divided by $D \log 2$ (averaged over $u$ it bounds the 8-bit image's negative
# log-probability).
#
# **(4 points)** Dequantisation, and the logit transform with its log-determinant and its inverse.

# %% kind="answer" grade_id="p2_logit"
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


# %% kind="tests" grade_id="p2_logit_tests"
from dgmlab.probes import check
check("p2_logit_tests", dequantize, logit_transform, inverse_logit_transform)


# %% [markdown]
# **(5 points)** The coupling layer. A `tanh` at the end of $s$ keeps early training from blowing up the scales.

# %% kind="answer" grade_id="p2_coupling"
class CouplingLayer(nn.Module):
    """Affine coupling layer in the data -> latent direction (z = f(x), as in Q2).

    mask: (D,) float tensor of 0/1; coordinates with mask 1 pass through unchanged and
    condition the scale s and translation t of the others:
        z = m * x + (1 - m) * (x * exp(s(m * x)) + t(m * x)).
    s and t are fully connected nets D -> hidden -> hidden -> D with ReLU; s ends in tanh.
    forward(x (N, D)) -> (z (N, D), log_det (N,) = log|det dz/dx|); inverse(z (N, D)) -> x (N, D).
    Name the two nets self.s_net and self.t_net, each nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)
    with tanh applied after s_net (the weights file you hand in is read by these names).
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


# %% kind="tests" grade_id="p2_coupling_tests"
from dgmlab.probes import check
check("p2_coupling_tests", CouplingLayer)


# %% [markdown]
# **(5 points)** The full flow, with the given mask helper (a checkerboard for square images).

# %% locked=true grade_id="p2_mask_helper"
def alternating_mask(dim):
    """(dim,) float tensor of 0/1: a checkerboard if dim is a square side^2, else index parity."""
    side = math.isqrt(dim)
    if side * side == dim:
        i, j = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
        return ((i + j) % 2).flatten().float()
    return (torch.arange(dim) % 2).float()


# %% kind="answer" grade_id="p2_realnvp"
class RealNVP(nn.Module):
    """A stack of n_coupling CouplingLayers; layer l uses alternating_mask(dim) if l is even, its complement if odd.

    forward(x (N, D)) -> (z (N, D), log_det (N,)): all layers in order, log-determinants added.
    inverse(z (N, D)) -> x (N, D): the layers' inverses in reverse order.
    log_prob(x (N, D)) -> (N,): log P_w(x) with a standard normal latent (Q2.2).
    sample(n) -> (n, D): inverse of standard normal draws.
    Keep the layers in self.layers = nn.ModuleList(...) (the weights file you hand in is read by these names).
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


# %% kind="tests" grade_id="p2_realnvp_tests"
from dgmlab.probes import check
check("p2_realnvp_tests", RealNVP, CouplingLayer)


# %% [markdown]
# **(3 points)** The log-density of dequantised images $y$ under "logit transform, then flow".

# %% kind="answer" grade_id="p2_log_prob"
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


# %% kind="tests" grade_id="p2_log_prob_tests"
from dgmlab.probes import check
check("p2_log_prob_tests", log_prob_data, logit_transform)


# %% [markdown]
# **(3 points)** Bits per dimension, from the log-density of dequantised images.

# %% kind="answer" grade_id="p2_bpd"
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


# %% kind="tests" grade_id="p2_bpd_tests"
from dgmlab.probes import check
check("p2_bpd_tests", bits_per_dim)

# %% [markdown]
# ### Training Real NVP on MNIST
#
# Full settings (GPU): all 60,000 training images, `RealNVP(784, 256, 6)` ($s$ and $t$ with two hidden layers
# of 256 units), Adam at $10^{-4}$ (weight decay $10^{-6}$), batch 128, 20 epochs, minimising bits/dim. As in
# P1 the cell resumes from its checkpoint (`P2_RETRAIN = True` starts over), and with the full settings it
# ends by writing **`p2_realnvp_weights.pt`**, the file to hand in.

# %% locked=true grade_id="p2_config"
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


# %% locked=true grade_id="p2_train" uses_answers=true
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
    runtime.seed_everything(runtime.run_seed())  # starting weights of this run's own
    train_gray = dgmlab.data.mnist(train=True, scale="[0,1]", n=P2["n_train"])
    test_gray = dgmlab.data.mnist(train=False, scale="[0,1]", n=P2["n_test"])
    train_flat, test_flat = train_gray.images.flatten(1), test_gray.images.flatten(1)
    real_nvp = RealNVP(784, P2["hidden"], P2["n_coupling"]).to(device)
    optimizer = torch.optim.Adam(real_nvp.parameters(), lr=P2["lr"], weight_decay=1e-6)
    p2_losses, step = [], 0
    loader = torch.utils.data.DataLoader(train_flat, batch_size=P2["batch_size"], shuffle=True, drop_last=True,
                                         generator=torch.Generator().manual_seed(0))
    ckpt = Checkpoint(runtime.pick(full="checkpoints/p2_realnvp.pt", fast="checkpoints/p2_realnvp_fast.pt"),
                      epochs=P2["epochs"], flow=real_nvp, optimizer=optimizer, shuffle=loader.generator,
                      config=dict(P2, data=train_flat, code=[dequantize, log_prob_data, bits_per_dim]))
    done, p2_losses = ckpt.resume([], retrain=P2_RETRAIN)
    step = len(p2_losses)
    for epoch in range(done, P2["epochs"]):
        for xb in tqdm(loader, desc=f"Real NVP epoch {epoch + 1}"):
            yb = dequantize(xb).to(device)
            loss = bits_per_dim(log_prob_data(real_nvp, yb, P2["alpha"]), 784).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            p2_losses.append(loss.item())
            step += 1
            if P2["max_steps"] and step >= P2["max_steps"]:
                break
        ckpt.save(epoch + 1, p2_losses)
    p2_test_bpd = evaluate_bpd(real_nvp, test_flat, P2["alpha"])
    print(f"test bits/dim: {p2_test_bpd:.3f}")
    if runtime.mode() == "full":   # the graded file: float16 state dict, written atomically
        dgmlab.workspace.saved(artifacts.save_weights(real_nvp, "p2_realnvp_weights.pt"), graded=True)
    else:
        print("no weights saved: only the full settings write p2_realnvp_weights.pt")
    plots.loss_curves({"train bits/dim": p2_losses}, title="Real NVP training", ylabel="bits/dim", smooth=10,
                      save=FIGURES / "p2_loss.png")
    plt.show()

# %% [markdown]
# Samples at latent temperature 1 and 0.7, and latent interpolations between pairs of test digits.

# %% locked=true grade_id="p2_samples" uses_answers=true
if not runtime.is_grading():
    runtime.seed_everything(2)
    real_nvp.eval()
    with torch.no_grad():
        z = torch.randn(64, 784, device=device)
        samples = {t: inverse_logit_transform(real_nvp.inverse(t * z), P2["alpha"]).clamp(0, 1) for t in (1.0, 0.7)}
        for t, s in samples.items():
            plots.image_grid(s.view(-1, 1, 28, 28).cpu(), nrow=8, title=f"Real NVP samples, temperature {t}",
                             save=FIGURES / f"p2_samples_t{t}.png")
            plt.show()
        ends = test_flat[:10].to(device) * 255 / 256 + 0.5 / 256       # mid-bin dequantisation
        z_ends, _ = real_nvp(logit_transform(ends, P2["alpha"])[0])
        z_a, z_b = z_ends[0::2], z_ends[1::2]
        steps = torch.linspace(0, 1, 8, device=device)
        path = torch.stack([(1 - w) * z_a + w * z_b for w in steps], dim=1)      # (5, 8, 784)
        images = inverse_logit_transform(real_nvp.inverse(path.reshape(-1, 784)), P2["alpha"]).clamp(0, 1)
        plots.interpolation_strip(images.view(5, 8, 1, 28, 28).cpu(), title="latent interpolations",
                                  save=FIGURES / "p2_interpolations.png")
        plt.show()

# %% [markdown]
# **Q4 in practice.** Your `feature_statistics` and `frechet_gaussian` on features of the small MNIST classifier
# shipped with `dgmlab`: an **MNIST classifier Fréchet distance**, not an FID, comparable only with numbers
# computed the same way.

# %% locked=true grade_id="p2_frechet" uses_answers=true
if not runtime.is_grading():
    from dgmlab import metrics

    n_eval = runtime.pick(full=10000, fast=200)
    runtime.seed_everything(3)
    with torch.no_grad():
        generated = torch.cat([inverse_logit_transform(real_nvp.inverse(torch.randn(500, 784, device=device)),
                                                       P2["alpha"]).clamp(0, 1).cpu()
                               for _ in range(math.ceil(n_eval / 500))])[:n_eval]
    feats_real = metrics.mnist_features(test_gray.images[:n_eval], scale="[0,1]")
    feats_gen = metrics.mnist_features(generated, scale="[0,1]")
    yours = float(frechet_gaussian(*feature_statistics(torch.as_tensor(feats_real)),
                                   *feature_statistics(torch.as_tensor(feats_gen))))
    reference = metrics.frechet_distance(*metrics.gaussian_stats(feats_real), *metrics.gaussian_stats(feats_gen))
    print(f"MNIST classifier Fréchet distance, Real NVP samples vs {len(feats_real)} test digits: "
          f"{yours:.2f} (yours), {reference:.2f} (dgmlab)")
    print(f"against the full test set's statistics (dgmlab.metrics.mnist_frechet_distance): "
          f"{metrics.mnist_frechet_distance(generated, scale='[0,1]'):.2f}; "
          f"real training digits give {metrics.mnist_frechet_distance(train_gray.images[:n_eval], scale='[0,1]'):.2f}")

# %% [markdown]
# ### Your trained Real NVP (3 points)
#
# Hand in `p2_realnvp_weights.pt`, which the training cell writes after its 20 epochs with the full settings,
# unchanged: the weights of the stated `RealNVP(784, 256, 6)`, with its masks as the architecture builds them. The
# flow must report its Jacobian's log-determinant and be trained to the end: a full run gives about 1.89 bits/dim
# on MNIST test digits (10 epochs: 1.96; untrained: 70-85) and sends training digits to latents of mean square about
# 0.3 per coordinate (untrained: 30-90). The cell below measures both on 200 digits.

# %% kind="tests" grade_id="p2_weights_tests"
from dgmlab.probes import check
check("p2_weights_tests")  # reads p2_realnvp_weights.pt from the homework folder

# %% [markdown]
# **P2 results (2 points, written).** Report the test bits/dim, show samples and interpolations, and comment:
# how do samples at temperature 0.7 differ from those at 1, and why are a fully connected Real NVP's samples
# noisy even at good bits/dim? What would you change to improve them?

# %% [markdown] kind="written" grade_id="p2_results" points=2
# A good answer reports test bits/dim of about 1.9 after the full 20 epochs (the reference's full runs: 1.90-1.91
# on the 10,000 test digits, 1.89-1.90 on the 200 grading digits, where the bar is 1.95),
# and observes that samples at temperature 1 are noisy, speckled digit-like blobs, while 0.7 gives smoother,
# more digit-like but less
# varied images (low-temperature sampling trades diversity for quality). Reasons: bits/dim is dominated
# by modelling pixel-level noise and the background; a fully connected flow has no spatial inductive bias
# and spends its capacity on the dequantisation noise. Improvements: convolutional coupling networks with
# checkerboard and channel masks and squeezing (multi-scale architecture), batch/act-norm, more layers,
# variational dequantisation. Marks (the bits/dim itself is graded from the saved weights above): figures and temperature, with the
# number reported (1), cause and fix (1). The number reported is the one the student's own full run printed, not
# its closeness to the reference's.
