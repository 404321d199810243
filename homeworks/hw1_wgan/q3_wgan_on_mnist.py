# %% [markdown]
# ## Q3. A Wasserstein GAN on MNIST (45 points)
#
# By Kantorovich–Rubinstein duality,
# $W_1(p_{data}, p_g) = \sup_{\|f\|_L\le1} \mathbb E_{p_{data}}[f(x)] - \mathbb E_{p_g}[f(x)]$.
# A WGAN trains a *critic* $f_w$ (no sigmoid: it outputs a real score) to approximate the
# supremum, and the generator $G_\theta$ to decrease the estimate. The critic must stay
# (approximately) 1-Lipschitz; two ways are common:
#
# - **weight clipping** (the original WGAN): after every critic update, clamp every parameter
#   of the critic to $[-c, c]$ (e.g. $c = 0.01$);
# - **gradient penalty** (WGAN-GP): add $\lambda\,\mathbb E_{\hat x}\big[(\|\nabla_{\hat x} f_w(\hat x)\|_2 - 1)^2\big]$
#   to the critic's loss, where $\hat x = \alpha x_{real} + (1-\alpha) x_{fake}$ with one
#   $\alpha \sim U[0,1]$ per sample, and $\lambda = 10$.
#
# The networks (given) are small DCGAN-style nets with three convolutional stages each: the generator
# maps $z$ to a $7\times7$ map and upsamples it twice to $28\times28$; the critic downsamples three times
# and ends in a linear score. The critic uses layer norm, not batch norm: the penalty is taken per sample,
# and batch norm would make each score depend on the rest of the batch. Images are `(N, 1, 28, 28)` in
# $[-1, 1]$; the critic returns scores of shape `(N,)`.

# %% locked=true grade_id="wgan_networks"
Z_DIM = 64


class Generator(nn.Module):
    """z (N, Z_DIM) -> images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self, z_dim=Z_DIM, width=64):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Linear(z_dim, 4 * w * 7 * 7), nn.BatchNorm1d(4 * w * 7 * 7), nn.ReLU(),  # -> (N, 4w * 7 * 7)
            nn.Unflatten(1, (4 * w, 7, 7)),                                           # -> (N, 4w, 7, 7)
            nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1),                 # -> (N, 2w, 14, 14)
            nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),                     # -> (N, w, 28, 28)
            nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 1, 3, padding=1), nn.Tanh())                                 # -> (N, 1, 28, 28)

    def forward(self, z):
        return self.net(z)


class Critic(nn.Module):
    """images (N, 1, 28, 28) -> real-valued scores (N,). No sigmoid, no batch norm (it would break the GP)."""

    def __init__(self, width=64):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(1, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),               # -> (N, w, 14, 14)
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),                              # -> (N, 2w, 7, 7)
            nn.LayerNorm([2 * w, 7, 7]), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1),                          # -> (N, 4w, 4, 4)
            nn.LayerNorm([4 * w, 4, 4]), nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(4 * w * 4 * 4, 1))                                              # -> (N, 1)

    def forward(self, x):
        return self.net(x).squeeze(1)



# %% [markdown]
# **(a) Implement the WGAN optimisation.**
#
# *Losses (5 points).* Both are minimised. The critic minimises
# $\mathbb E[f_w(x_{fake})] - \mathbb E[f_w(x_{real})]$ (so it *raises* real scores), the generator minimises
# $-\mathbb E[f_w(G(z))]$. Use batch means.

# %% kind="answer" grade_id="q3_wgan_losses"
def critic_loss(real_scores, fake_scores):
    """real_scores (N,), fake_scores (M,) float -> 0-d tensor: mean fake score minus mean real score."""
    ### BEGIN SOLUTION
    return fake_scores.mean() - real_scores.mean()
    ### END SOLUTION


def generator_loss(fake_scores):
    """fake_scores (M,) float -> 0-d tensor: minus the mean critic score of generated samples."""
    ### BEGIN SOLUTION
    return -fake_scores.mean()
    ### END SOLUTION


# %% kind="tests" grade_id="q3_wgan_losses_tests"
from dgmlab.probes import check
check("q3_wgan_losses_tests", critic_loss, generator_loss)


# %% [markdown]
# *Gradient penalty (6 points).* `gradient_penalty(critic, real, fake, lam=10.0, alpha=None)`
# returns $\lambda\cdot\frac1N\sum_i(\|\nabla_{\hat x}f_w(\hat x_i)\|_2-1)^2$ as a 0-d tensor. Draw one
# $\alpha_i\sim U[0,1]$ per sample when `alpha` is `None` (otherwise use the given `(N,)` tensor), take the
# gradient norm over all of a sample's pixels, and keep the result differentiable with respect to the
# critic's parameters: the critic is trained on it.

# %% kind="answer" grade_id="q3_gradient_penalty"
def gradient_penalty(critic, real, fake, lam=10.0, alpha=None):
    """critic: module (N, ...) -> (N,); real, fake: float tensors of the same shape (N, ...);
    alpha: optional float tensor (N,) in [0, 1]. Returns a 0-d tensor."""
    ### BEGIN SOLUTION
    n = real.shape[0]
    if alpha is None:
        alpha = torch.rand(n, device=real.device, dtype=real.dtype)
    a = alpha.view(n, *([1] * (real.dim() - 1)))
    x_hat = (a * real.detach() + (1 - a) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.reshape(n, -1).norm(2, dim=1)
    return lam * ((norms - 1) ** 2).mean()
    ### END SOLUTION


# %% kind="tests" grade_id="q3_gradient_penalty_tests"
from dgmlab.probes import check
check("q3_gradient_penalty_tests", gradient_penalty)


# %% [markdown]
# *Weight clipping (3 points).* `clip_weights(critic, c=0.01)` clamps every parameter of the critic
# (weights **and** biases) to $[-c, c]$ **in place**, so the optimizer, which holds references to
# these very tensors, keeps working. It returns `None`.

# %% kind="answer" grade_id="q3_clip_weights"
def clip_weights(critic, c=0.01):
    """Clamp each parameter of `critic` (an nn.Module) to [-c, c] in place; return None."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)
    ### END SOLUTION


# %% kind="tests" grade_id="q3_clip_weights_tests"
from dgmlab.probes import check
check("q3_clip_weights_tests", clip_weights)


# %% [markdown]
# *Which constraint? (3 points)* The training below uses the gradient penalty. Argue for that
# choice over weight clipping in a few sentences.

# %% [markdown] kind="written" grade_id="q3_lipschitz" points=3
# Clipping enforces a Lipschitz bound only crudely: the bound depends on $c$ and the architecture, and the critic
# is pushed towards very simple functions (most weights pile up at $\pm c$), which under-uses its capacity and
# gives a poor estimate of $W_1$. Training is very sensitive to $c$: too small and gradients vanish through the
# layers, too large and they explode and the critic takes long to train. The gradient penalty instead constrains
# what matters, the critic's gradient norm, softly and where it matters: the optimal critic has gradient norm 1
# almost everywhere on the lines between coupled real and fake points, which is where $\hat x$ is sampled.
# It trains faster and more stably with standard optimisers such as Adam, at the cost of one double-backward per
# critic step. (It rules out batch norm in the critic, since the penalty is per sample.)
# Marking: a drawback of clipping (capacity / sensitivity to $c$ / vanishing or exploding gradients) (1), what
# the penalty enforces and why on interpolates (1), a practical consequence (stability, Adam, cost) (1).

# %% [markdown]
# *One training step (9 points).* `wgan_train_step` performs `n_critic` critic updates followed by
# one generator update:
#
# - each critic update takes the **next** batch from the iterator `real_batches`, draws one batch of
#   fake images of the same size from fresh noise $z\sim\mathcal N(0, I)$ (no gradient into the
#   generator), and minimises `critic_loss` plus, when `lipschitz == "gp"`, `gradient_penalty` with
#   weight `lam`; when `lipschitz == "clip"`, it calls `clip_weights(critic, clip)` right **after**
#   the optimizer step;
# - the generator update draws a fresh batch of noise, of the same size as the real batches, and minimises
#   `generator_loss` through the current critic;
# - each network is changed only by its own optimizer (`c_opt` for the critic, `g_opt` for the
#   generator), and gradients never leak from one phase into the other, nor from before the call;
# - return a dict of Python floats: the last `"critic_loss"` (without the penalty), the last
#   `"penalty"` (0.0 when clipping) and the `"generator_loss"`;
# - work on the networks' device, `next(generator.parameters()).device`: move each real batch there
#   and draw the noise there, so that the step also runs on a GPU (`train_wgan` puts the networks on it).

# %% kind="answer" grade_id="q3_train_step"
def wgan_train_step(generator, critic, g_opt, c_opt, real_batches, z_dim=Z_DIM, n_critic=2,
                    lipschitz="gp", lam=10.0, clip=0.01):
    """One generator update after n_critic critic updates.

    generator: module (N, z_dim) -> (N, ...); critic: module (N, ...) -> (N,);
    g_opt, c_opt: their optimizers; real_batches: iterator of float tensors (N, ...);
    lipschitz: "gp" or "clip". Returns {"critic_loss": float, "penalty": float, "generator_loss": float}.
    """
    ### BEGIN SOLUTION
    if lipschitz not in ("gp", "clip"):
        raise ValueError(f"lipschitz must be 'gp' or 'clip', got {lipschitz!r}")
    device = next(generator.parameters()).device
    for _ in range(n_critic):
        real = next(real_batches).to(device)
        z = torch.randn(real.shape[0], z_dim, device=device)
        with torch.no_grad():
            fake = generator(z)
        c_opt.zero_grad()
        c_loss = critic_loss(critic(real), critic(fake))
        penalty = gradient_penalty(critic, real, fake, lam) if lipschitz == "gp" else torch.zeros(())
        (c_loss + penalty).backward()
        c_opt.step()
        if lipschitz == "clip":
            clip_weights(critic, clip)
    z = torch.randn(real.shape[0], z_dim, device=device)
    g_opt.zero_grad()
    g_loss = generator_loss(critic(generator(z)))
    g_loss.backward()
    g_opt.step()
    return {"critic_loss": c_loss.detach().item(), "penalty": penalty.detach().item(),
            "generator_loss": g_loss.detach().item()}
    ### END SOLUTION


# %% kind="tests" grade_id="q3_train_step_tests"
from dgmlab.probes import check
check("q3_train_step_tests", wgan_train_step)

# %% [markdown]
# **(b) Training.** The loop below trains for 40 epochs with Adam (learning rate $3\cdot10^{-4}$,
# $\beta = (0, 0.9)$ as in the WGAN-GP paper), batch size 64 and 2 critic updates per generator update,
# saving a sample grid every 5 epochs under `figures/`. On a Colab GPU this takes 10-20 minutes.
#
# A GAN's generator keeps moving around a good solution from epoch to epoch, so the loop also keeps the
# **average of the generator's weights over the last 5 epochs** (`torch.optim.swa_utils.AveragedModel`),
# which draws cleaner digits; the cells below use that average. A checkpoint is saved after every epoch
# (`checkpoints/wgan.pt`): if the runtime disconnects, rerun the cells and training resumes;
# `train_wgan(..., retrain=True)` starts over.

# %%
from dgmlab.checkpoint import Checkpoint

EPOCHS = runtime.pick(full=40, fast=1)
BATCH_SIZE = 64
LR = 3e-4
N_CRITIC = 2
MAX_STEPS = runtime.pick(full=None, fast=30)  # generator steps per epoch (None: the whole epoch)
AVERAGE_LAST = 5  # the generator's weights at the end of the last 5 epochs are averaged (all of them if fewer)
CHECKPOINT = runtime.pick(full="checkpoints/wgan.pt", fast="checkpoints/wgan_fast.pt")  # in the homework folder


def train_wgan(generator, critic, images, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, n_critic=N_CRITIC,
               lipschitz="gp", max_steps=MAX_STEPS, grid_every=5, device=device, seed=0,
               checkpoint=CHECKPOINT, retrain=False, average=None, average_last=AVERAGE_LAST):
    """Train in place; returns the history {"critic_loss": [...], "penalty": [...], "generator_loss": [...]}.

    `average` (an `AveragedModel` of `generator`, or None) becomes the mean of the generator's weights at the
    end of each of the last `average_last` epochs. Saves a checkpoint after every epoch (None: don't);
    called again it resumes from it, and a finished run is loaded instead of retrained unless retrain=True.
    """
    runtime.seed_everything(seed)
    generator.to(device).train()
    critic.to(device).train()
    g_opt = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.0, 0.9))
    c_opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))
    loader = torch.utils.data.DataLoader(images, batch_size=batch_size, shuffle=True, drop_last=True,
                                         generator=torch.Generator().manual_seed(seed))
    fixed_z = torch.randn(64, Z_DIM, generator=torch.Generator().manual_seed(1)).to(device)
    # A Colab runtime can disconnect mid-training: after every epoch save the networks, optimizers,
    # random states and losses (in the homework folder), so running this cell again continues from the
    # last finished epoch, exactly as if it had never stopped. The config names what must not change.
    averaged = {} if average is None else {"generator_average": average.to(device)}
    ckpt = Checkpoint(checkpoint, epochs=epochs, generator=generator, critic=critic, g_opt=g_opt, c_opt=c_opt,
                      shuffle=loader.generator, **averaged, config=dict(
                          images=images, batch_size=batch_size, n_critic=n_critic, lipschitz=lipschitz,
                          max_steps=max_steps, seed=seed, average_last=average_last if averaged else None,
                          code=[wgan_train_step, critic_loss, generator_loss, gradient_penalty, clip_weights]))
    done, history = ckpt.resume({"critic_loss": [], "penalty": [], "generator_loss": []}, retrain=retrain)
    for epoch in range(done + 1, epochs + 1):
        batches = iter(loader)
        steps = len(loader) // n_critic if max_steps is None else min(max_steps, len(loader) // n_critic)
        bar = tqdm(range(steps), desc=f"epoch {epoch}/{epochs}", leave=False)
        for _ in bar:
            out = wgan_train_step(generator, critic, g_opt, c_opt, batches, n_critic=n_critic,
                                  lipschitz=lipschitz)
            for k, v in out.items():
                history[k].append(v)
            bar.set_postfix(critic=f"{out['critic_loss']:.3f}", gen=f"{out['generator_loss']:.3f}", refresh=False)
        if epoch % grid_every == 0 or epoch == epochs:
            with torch.no_grad():
                generator.eval()
                grid = generator(fixed_z).cpu()
                generator.train()
            plots.image_grid(grid, nrow=8, title=f"epoch {epoch}", save=f"figures/epoch_{epoch:02d}.png")
            plt.show()
        if average is not None and epoch > epochs - average_last:
            average.update_parameters(generator)  # one more end-of-epoch generator in the mean
        ckpt.save(epoch, history)
    return history


# %% uses_answers=true
from torch.optim.swa_utils import AveragedModel

if not runtime.is_grading():
    train_set = dgmlab.data.mnist(train=True, scale="[-1,1]", n=runtime.pick(full=None, fast=1000))
    print(f"training on {len(train_set)} {train_set.source} MNIST images for {EPOCHS} epoch(s)")
    runtime.seed_everything(runtime.run_seed())  # starting weights of this run's own
    generator, critic = Generator(), Critic()
    average = AveragedModel(generator, use_buffers=True)  # batch norm's running statistics are averaged too
    history = train_wgan(generator, critic, train_set.images, average=average)
    generator = average.module  # from here on: the average of the last epochs' generators (still a Generator)
    plots.loss_curves(history, save="figures/losses.png")
    plt.show()


# %% [markdown]
# ### Deliverables
#
# **(a) Samples (4 points).** `sample_generator(generator, n, z_dim, seed)` returns `n` images
# from seeded noise (use a `torch.Generator` seeded with `seed`, so the same seed gives the same
# images), computed without gradients with the generator in eval mode, restoring the mode it had.
# `save_samples(samples, path)` writes them with `torch.save` as a float32 CPU tensor of shape
# `(N, 1, 28, 28)` at `path` (its folder exists already) and returns the path.

# %% kind="answer" grade_id="q3_samples"
def sample_generator(generator, n=100, z_dim=Z_DIM, seed=0):
    """-> float32 CPU tensor (n, 1, 28, 28) in [-1, 1], not requiring grad; same seed, same samples."""
    ### BEGIN SOLUTION
    was_training = generator.training
    device = next(generator.parameters()).device
    z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    generator.eval()
    try:
        with torch.no_grad():
            out = generator(z)
    finally:
        generator.train(was_training)
    return out.reshape(n, 1, 28, 28).float().cpu()
    ### END SOLUTION


def save_samples(samples, path="samples_1000.pt"):
    """Save `samples` (N, 1, 28, 28) as a float32 CPU torch tensor at `path`; return the Path."""
    ### BEGIN SOLUTION
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(samples.detach().reshape(-1, 1, 28, 28).float().cpu().clone(), path)
    return path
    ### END SOLUTION


# %% kind="tests" grade_id="q3_samples_tests"
from dgmlab.probes import check
check("q3_samples_tests", sample_generator, save_samples)

# %% [markdown]
# The cell below saves what is graded, `generator_weights.pt` (the averaged generator's weights, about
# 3 MB), in the homework folder after the full run, and scores 1,000 samples with the MNIST classifier in one
# split (1,000 real test digits score 9.7 to 9.8 this way, more than the 9.2 to 9.5 of `evaluate_samples`
# below, which averages ten splits of 100 whose class counts are less even).

# %% uses_answers=true
from dgmlab import artifacts, metrics

GRADED_WEIGHTS = "generator_weights.pt"  # the graded file, in the homework folder (full mode only)
if not runtime.is_grading():
    samples = sample_generator(generator, n=1000, seed=0)
    dgmlab.workspace.saved(save_samples(samples, runtime.pick(full="figures/samples_1000.pt",
                                                              fast="figures/samples_1000_fast.pt")))
    plots.image_grid(samples[:100], nrow=10, title="the first 100 of your 1,000 WGAN-GP samples",
                     save="figures/samples_100.png")
    plt.show()
    if runtime.mode() == "full":
        dgmlab.workspace.saved(artifacts.save_weights(generator, GRADED_WEIGHTS), graded=True)
        score, _ = metrics.mnist_score(samples, splits=1, scale="[-1,1]")
        classes = metrics.mnist_predict(samples, scale="[-1,1]").unique().numel()
        print(f"1,000 samples: MNIST classifier score {float(score):.2f} (bar 8.5), {classes} of 10 digit classes "
              "(an estimate: other samples of the same weights score a little differently)")
    else:
        print(f"no {GRADED_WEIGHTS} saved: only the full 40-epoch run writes it")


# %% [markdown]
# **(b) Scores (3 points).** The handout asks for the Inception Score. Inception-v3 was trained on
# colour photographs, so on grey 28x28 digits it means little; we report the **MNIST classifier
# score** (the same formula, $\exp\,\mathbb E_x\,D_{KL}(p(y|x)\,\|\,p(y))$, computed with a small
# MNIST classifier shipped in `dgmlab`: the 10,000 real test digits score 9.76, the maximum is 10) and the
# Fréchet distance in that classifier's feature space, always; and the Inception-v3 score only when
# its weights are available. Implement `evaluate_samples(samples)` with
# `dgmlab.metrics.mnist_score` (its default ten splits: report their mean and spread),
# `dgmlab.metrics.mnist_frechet_distance` and `dgmlab.metrics.inception_metrics`; the last raises
# `dgmlab.metrics.MetricUnavailable` when it cannot run (torch-fidelity not installed, as in Colab, or its weights
# not to be had), in which case report `None` and the reason (as a string), without failing.

# %% kind="answer" grade_id="q3_evaluate_samples"
def evaluate_samples(samples):
    """samples: float tensor (N, 1, 28, 28) in [-1, 1] -> dict with
    "mnist_score" (float), "mnist_score_std" (float), "mnist_frechet" (float),
    "inception_score" (float or None) and "inception_note" (str: why it is None, else "")."""
    from dgmlab import metrics
    ### BEGIN SOLUTION
    mean, std = metrics.mnist_score(samples)
    out = {"mnist_score": float(mean), "mnist_score_std": float(std),
           "mnist_frechet": float(metrics.mnist_frechet_distance(samples)),
           "inception_score": None, "inception_note": ""}
    try:
        inc = metrics.inception_metrics(samples)
        out["inception_score"] = float(inc["inception_score_mean"] if "inception_score_mean" in inc
                                       else inc["inception_score"])
    except metrics.MetricUnavailable as exc:
        out["inception_note"] = str(exc) or "Inception-v3 weights are not available"
    return out
    ### END SOLUTION


# %% kind="tests" grade_id="q3_evaluate_samples_tests"
from dgmlab.probes import check
check("q3_evaluate_samples_tests", evaluate_samples)

# %% uses_answers=true
if not runtime.is_grading():
    n_eval = runtime.pick(full=1000, fast=200)
    scores = evaluate_samples(sample_generator(generator, n=n_eval, seed=1))
    real = runtime.pick(full="9.2 to 9.5", fast="7.3 to 8.2")  # what real MNIST test digits score this way
    print(f"MNIST classifier score ({n_eval} samples, dgmlab's MNIST CNN, ten splits): "
          f"{scores['mnist_score']:.2f} +- {scores['mnist_score_std']:.2f}  ({n_eval} real test digits: {real})")
    print(f"Frechet distance in the MNIST classifier's features: {scores['mnist_frechet']:.2f}")
    if scores["inception_score"] is None:
        print("Inception-v3 score: not computed:", scores["inception_note"])
    else:
        print(f"Inception Score (Inception-v3, torch-fidelity): {scores['inception_score']:.2f}")


# %% [markdown]
# **(c) Interpolations (5 points).** `interpolate(z0, z1, steps, method)` returns `steps` latent vectors
# from `z0` to `z1` inclusive, as rows of a `(steps, d)` tensor:
#
# - `"linear"`: $z_t = (1-t) z_0 + t z_1$ for $t$ evenly spaced in $[0, 1]$;
# - `"slerp"` (spherical): with $\Omega$ the angle between $z_0$ and $z_1$,
#   $z_t = \frac{\sin((1-t)\Omega)}{\sin\Omega} z_0 + \frac{\sin(t\Omega)}{\sin\Omega} z_1$, which moves at a constant angular speed
#   (Gaussian latents concentrate near a sphere, so slerp stays where the generator was trained).
#   When $z_0$ and $z_1$ are (nearly) parallel, fall back to linear.
#
# Any other `method` raises `ValueError`.

# %% kind="answer" grade_id="q3_interpolate"
def interpolate(z0, z1, steps=10, method="linear"):
    """z0, z1: float tensors (d,); steps >= 2 -> float tensor (steps, d), first row z0, last row z1."""
    ### BEGIN SOLUTION
    if method not in ("linear", "slerp"):
        raise ValueError(f"method must be 'linear' or 'slerp', got {method!r}")
    t = torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device).unsqueeze(1)
    if method == "slerp":
        cos = torch.dot(z0, z1) / (z0.norm() * z1.norm())
        omega = torch.arccos(cos.clamp(-1, 1))
        if omega.abs() > 1e-4:
            s = torch.sin(omega)
            return torch.sin((1 - t) * omega) / s * z0 + torch.sin(t * omega) / s * z1
    return (1 - t) * z0 + t * z1
    ### END SOLUTION


# %% kind="tests" grade_id="q3_interpolate_tests"
from dgmlab.probes import check
check("q3_interpolate_tests", interpolate)

# %% uses_answers=true
if not runtime.is_grading():
    g = torch.Generator().manual_seed(7)
    ends = [(torch.randn(Z_DIM, generator=g), torch.randn(Z_DIM, generator=g)) for _ in range(3)]
    generator.eval()
    with torch.no_grad():
        rows = torch.stack([generator(interpolate(a, b, steps=10, method=m).to(device)).cpu()
                            for a, b in ends for m in ("linear", "slerp")])
    generator.train()
    plots.interpolation_strip(rows, title="rows: linear / slerp for 3 pairs of latent vectors",
                              save="figures/interpolations.png")
    plt.show()

# %% [markdown]
# ### Graded from your trained generator (7 points)
#
# This part is scored from `generator_weights.pt`: 1,000 samples of the `Generator` given above with your weights,
# scored by the MNIST classifier (1,000 real test digits score 9.7 to 9.8). A trained generator (an MNIST
# classifier score of at least **5** over the 1,000, with at least 8 digit classes present) earns 2 points (the
# test cell below shows it); a score of at least **8.5**, with all 10 digit classes present, earns the other 5. If more than 10 samples are near-copies of MNIST digits, the
# cell earns 0.

# %% kind="tests" grade_id="q3_samples_quality_tests"
from dgmlab.probes import check
check("q3_samples_quality_tests")  # graded from generator_weights.pt as you hand it in

# %% [markdown]
# *End of homework 1.* Hand in this notebook (in Colab, File > Download > .ipynb; Drive keeps it in
# `MyDrive/Colab Notebooks/`) and `generator_weights.pt` (from the homework folder, `MyDrive/dgm-course/hw1_wgan/`
# in Colab), not `checkpoints/`.
