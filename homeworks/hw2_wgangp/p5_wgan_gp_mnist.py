# %% [markdown]
# # Part II: Implementation (60 points)
#
# ## P5 (38 points): WGAN-GP with residual networks on MNIST
#
# A Wasserstein GAN trains a critic $D$ to approximate
# $W_1(p_{\text{data}}, p_G) = \sup_{\|D\|_L\le1}\mathbb E_{\text{data}}D(x) - \mathbb E_{z}D(G(z))$
# and the generator $G$ to shrink it. The gradient penalty (WGAN-GP) replaces the hard
# 1-Lipschitz constraint by a soft one, evaluated at random points $\hat x$ on segments
# between real and generated images:
#
# $$\mathcal L_D = \mathbb E_z D(G(z)) - \mathbb E_x D(x) + \lambda\,\mathbb E_{\hat x}\big(\|\nabla_{\hat x}D(\hat x)\|_2 - 1\big)^2,
# \qquad \hat x = \epsilon x + (1-\epsilon)G(z),\ \epsilon\sim U[0,1]\ \text{per sample},$$
#
# $$\mathcal L_G = -\mathbb E_z D(G(z)),\qquad \lambda = 10.$$
#
# **Design choices kept from the source course.** The critic has **no BatchNorm**: it couples the
# samples of a batch, so $D(x_i)$ would no longer be a function of $x_i$ alone and the per-sample
# penalty would lose its meaning. Adam runs with $\beta_1 = 0$ (momentum tends to destabilise the
# min-max game), and one critic step alternates with one generator step.
#
# **Architectures.** Both networks are built from the residual block below (conv, BN, ReLU, conv,
# BN, plus a skip connection; BN can be switched off).
# * Generator (given): a linear map of the 128-d seed $z$ to $c\times7\times7$ ($c$ = `capacity`,
#   32 here, 128 in the source course), three residual blocks, bilinear $\times4$ upsampling and
#   conv-BN-ReLU, a final conv to one channel plus a learned per-pixel bias, and a sigmoid.
# * Critic (you write it): a conv embedding, a residual block with stride 4 ($28\to7$), three
#   more residual blocks, and a linear head on the features summed over spatial positions: one
#   real number per image. No BatchNorm anywhere.

# %% locked=true grade_id="p5_framework"
SEED_DIM = 128     # dimension of the generator's input z
LAMBDA = 10.0      # gradient-penalty weight


class ResidualBlock(nn.Module):
    """conv3x3 - (BN) - ReLU - conv3x3 - (BN), plus a skip connection, then ReLU.

    (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)), float32.
    The skip is the identity when shapes allow, else a strided 1x1 conv.
    """

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
    """MNIST generator: z (N, SEED_DIM) float32 -> images (N, 1, 28, 28) float32 in (0, 1)."""

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


# %% [markdown]
# ### P5(a) (6 points): the critic
# Write the critic described above, using `ResidualBlock(..., batchnorm=False)`: a $3\times3$ convolution
# (padding 1; a bias in it is optional) from the image to `capacity` channels and a ReLU, one `ResidualBlock` with stride 4, three more with
# stride 1, and an `nn.Linear(capacity, 1)` head on the features summed over spatial positions. Its input is
# a batch of MNIST images; its output is one score per image. Use exactly these layers (the residual blocks
# in this order, the convolution, the linear layer; the attribute names are yours): given the same weights,
# your critic must give the scores, and the gradients, of the critic described here.

# %% kind="answer" grade_id="p5_critic"
class Critic(nn.Module):
    """WGAN critic for MNIST: images (N, 1, 28, 28) float32 -> scores (N,) float32. No BatchNorm."""

    def __init__(self, capacity=128):
        super().__init__()
        ### BEGIN SOLUTION
        self.embed = nn.Conv2d(1, capacity, 3, padding=1)
        self.blocks = nn.Sequential(
            ResidualBlock(capacity, stride=4, batchnorm=False),
            *[ResidualBlock(capacity, batchnorm=False) for _ in range(3)])
        self.head = nn.Linear(capacity, 1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        h = self.blocks(F.relu(self.embed(x)))
        return self.head(h.sum(dim=(2, 3))).squeeze(1)
        ### END SOLUTION


# %% kind="tests" grade_id="p5_critic_tests"
from dgmlab.probes import check
check("p5_critic_tests", Critic, ResidualBlock)


# %% [markdown]
# ### P5(b) (8 points): the gradient penalty
# Return $\mathbb E_{\hat x}(\|\nabla_{\hat x}D(\hat x)\|_2-1)^2$ **without** the factor $\lambda$,
# estimated on one batch: draw one $\epsilon\sim U[0,1]$ per sample, form $\hat x$, and take the
# gradient of the critic's scores with respect to $\hat x$ with `torch.autograd.grad`. The
# norm is over all pixels of a sample. The penalty must stay differentiable with respect to
# the critic's parameters (it is part of the critic's loss): think about `create_graph`.

# %% kind="answer" grade_id="p5_gradient_penalty"
def gradient_penalty(critic, x_real, x_fake):
    """Mean over the batch of (||grad_xhat critic(xhat)||_2 - 1)^2 at random interpolates xhat.

    critic: nn.Module, (N, *S) -> (N,).  x_real, x_fake: float32 tensors (N, *S), e.g. S = (1, 28, 28).
    Returns a 0-d float32 tensor, differentiable with respect to the critic's parameters.
    """
    ### BEGIN SOLUTION
    eps = torch.rand(x_real.shape[0], *([1] * (x_real.dim() - 1)), device=x_real.device)
    x_hat = (eps * x_real + (1 - eps) * x_fake).detach().requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
    ### END SOLUTION


# %% kind="tests" grade_id="p5_gradient_penalty_tests"
from dgmlab.probes import check
check("p5_gradient_penalty_tests", gradient_penalty)


# %% [markdown]
# ### P5(c) (5 points): the two losses
# `critic_loss` is $\mathcal L_D$ (with the penalty, weight `lam`), `generator_loss` is
# $\mathcal L_G$. Both are batch means. `critic_loss` receives generated images that are
# already made; whether they carry a graph to the generator is the caller's business.

# %% kind="answer" grade_id="p5_losses"
def critic_loss(critic, x_real, x_fake, lam=LAMBDA):
    """E D(fake) - E D(real) + lam * gradient_penalty.

    x_real, x_fake: float32 tensors (N, *S). Returns a 0-d float32 tensor.
    """
    ### BEGIN SOLUTION
    return critic(x_fake).mean() - critic(x_real).mean() + lam * gradient_penalty(critic, x_real, x_fake)
    ### END SOLUTION


def generator_loss(critic, x_fake):
    """-E D(fake). x_fake: float32 tensor (N, *S) produced by the generator. Returns a 0-d float32 tensor."""
    ### BEGIN SOLUTION
    return -critic(x_fake).mean()
    ### END SOLUTION


# %% kind="tests" grade_id="p5_losses_tests"
from dgmlab.probes import check
check("p5_losses_tests", critic_loss, generator_loss)


# %% [markdown]
# ### P5(d) (3 points): the optimisers
# Return one Adam optimiser for the generator and one for the critic, with the course's
# settings: learning rate $3\cdot10^{-4}$ (the argument `lr`), $\beta_1 = 0$, $\beta_2 = 0.9$.

# %% kind="answer" grade_id="p5_optimizers"
def make_optimizers(generator, critic, lr=3e-4):
    """Returns (opt_g, opt_c): torch.optim.Adam over generator.parameters() and critic.parameters()."""
    ### BEGIN SOLUTION
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.0, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))
    return opt_g, opt_c
    ### END SOLUTION


# %% kind="tests" grade_id="p5_optimizers_tests"
from dgmlab.probes import check
check("p5_optimizers_tests", make_optimizers)


# %% [markdown]
# ### P5(e) (10 points): one critic step, one generator step
# Each step zeroes its optimiser's gradients, computes its loss on the batch, back-propagates
# and steps. The critic step must not change the generator nor leave gradients in its parameters (the
# fakes it scores need no graph), the generator step must not change the critic, and a step must not be
# polluted by gradients left over from the other network's step. Both return the loss as a Python float.

# %% kind="answer" grade_id="p5_steps"
def critic_step(generator, critic, opt_c, x_real, z):
    """One update of the critic on a real batch x_real (N, *S) and seeds z (N, SEED_DIM). Returns float."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        x_fake = generator(z)
    opt_c.zero_grad()
    loss = critic_loss(critic, x_real, x_fake)
    loss.backward()
    opt_c.step()
    return loss.item()
    ### END SOLUTION


def generator_step(generator, critic, opt_g, z):
    """One update of the generator on seeds z (N, SEED_DIM). Returns float."""
    ### BEGIN SOLUTION
    opt_g.zero_grad()
    loss = generator_loss(critic, generator(z))
    loss.backward()
    opt_g.step()
    return loss.item()
    ### END SOLUTION


# %% kind="tests" grade_id="p5_critic_step_tests"
from dgmlab.probes import check
check("p5_critic_step_tests", critic_step)


# %% kind="tests" grade_id="p5_generator_step_tests"
from dgmlab.probes import check
check("p5_generator_step_tests", generator_step)


# %% [markdown]
# ### Training on MNIST
# The loop below alternates your two steps for 40 epochs with batches of 64, both networks at
# capacity 32; on a Colab T4 that is roughly 16-25 minutes (a GPU is needed: a CPU takes hours). It
# saves loss curves and a sample grid under `figures/`, and the graded file `p5_generator_weights.pt`
# (the generator's weights, about 0.55 MB) in the homework folder. A checkpoint is saved every epoch
# (`checkpoints/mnist.pt`): after a disconnect, rerun the cells and training resumes;
# `train_wgan_gp(..., retrain=True)` starts over.

# %% locked=true grade_id="p5_train_loop"
from dgmlab.checkpoint import Checkpoint


def train_wgan_gp(generator, critic, images, *, epochs, batch_size, max_steps=None, lr_schedule=None,
                  desc="WGAN-GP", checkpoint=None, retrain=False):
    """Alternate critic_step and generator_step over `images` (an ImageSet); return the loss history.

    With `checkpoint` (a file) it saves after every epoch; called again it resumes from that file, and a
    finished run is loaded instead of retrained unless retrain=True.
    """
    opt_g, opt_c = make_optimizers(generator, critic)
    loader = images.loader(batch_size=batch_size, shuffle=True, seed=0)
    total = epochs * len(loader) if max_steps is None else min(max_steps, epochs * len(loader))
    generator.train(); critic.train()
    # A Colab runtime can disconnect mid-training: after every epoch save the networks, optimizers, random
    # states and losses (in the homework folder), so running the cell again continues from the last finished
    # epoch exactly as if it had never stopped. The config names what must not change in between.
    ckpt = Checkpoint(checkpoint, epochs=epochs, generator=generator, critic=critic, opt_g=opt_g, opt_c=opt_c,
                      shuffle=loader.generator, config=dict(
                          images=images, batch_size=batch_size, total_steps=total, seed_dim=SEED_DIM,
                          lr=None if lr_schedule is None else [lr_schedule(e) for e in range(epochs)],
                          code=[critic_step, generator_step, critic_loss, generator_loss, gradient_penalty]))
    done, history = ckpt.resume({"critic loss": [], "generator loss": []}, retrain=retrain)
    step = len(history["critic loss"])
    with tqdm(total=total, initial=step, desc=desc) as bar:
        for epoch in range(done, epochs):
            if lr_schedule is not None:
                for opt in (opt_g, opt_c):
                    for group in opt.param_groups:
                        group["lr"] = lr_schedule(epoch)
            for x, _ in loader:
                if step >= total:
                    break
                x = x.to(device)
                z = torch.randn(x.shape[0], SEED_DIM, device=device)
                history["critic loss"].append(critic_step(generator, critic, opt_c, x, z))
                z = torch.randn(x.shape[0], SEED_DIM, device=device)
                history["generator loss"].append(generator_step(generator, critic, opt_g, z))
                step += 1
                bar.update(1)
                bar.set_postfix(critic=f"{history['critic loss'][-1]:.3f}",
                                gen=f"{history['generator loss'][-1]:.3f}", refresh=False)
            ckpt.save(epoch + 1, history)
    return history


@torch.no_grad()
def sample(generator, n, batch_size=500, seed=None):
    """n samples from the generator in eval mode, on the CPU.

    With `seed` the noise is drawn on the CPU from that seed, so the same generator gives the same samples on
    any device (the graded file is drawn this way).
    """
    cpu = None if seed is None else torch.Generator().manual_seed(seed)
    generator.eval()
    out = [generator(torch.randn(min(batch_size, n - i), SEED_DIM, generator=cpu).to(device)).cpu()
           for i in range(0, n, batch_size)]
    generator.train()
    return torch.cat(out)


# %% locked=true grade_id="p5_train" uses_answers=true
if not runtime.is_grading():
    import os
    runtime.seed_everything(runtime.run_seed())  # starting weights of this run's own
    mnist_capacity = runtime.pick(full=32, fast=16)
    mnist = dgmlab.data.mnist(train=True, scale="[0,1]", n=runtime.pick(full=None, fast=384))
    print(f"MNIST: {len(mnist)} images ({mnist.source}); capacity {mnist_capacity}")
    G_mnist = Generator(capacity=mnist_capacity).to(device)
    D_mnist = Critic(capacity=mnist_capacity).to(device)
    mnist_history = train_wgan_gp(G_mnist, D_mnist, mnist, epochs=runtime.pick(full=40, fast=1),
                                  batch_size=runtime.pick(full=64, fast=32), desc="WGAN-GP MNIST",
                                  checkpoint=runtime.pick(full="checkpoints/mnist.pt", fast="checkpoints/mnist_fast.pt"))
    plots.loss_curves(mnist_history, title="WGAN-GP on MNIST", smooth=runtime.pick(full=200, fast=5),
                      save="figures/mnist_losses.png")
    mnist_samples = sample(G_mnist, 100)
    plots.image_grid(mnist_samples, nrow=10, title="WGAN-GP samples (MNIST)", save="figures/mnist_samples.png")
    os.makedirs("artifacts", exist_ok=True)
    torch.save(mnist_samples, "artifacts/mnist_samples.pt")
    dgmlab.workspace.saved("artifacts/mnist_samples.pt")
    if runtime.mode() == "full":  # the graded file: written whole (a temporary file, then renamed) or not at all
        dgmlab.workspace.saved(dgmlab.artifacts.save_weights(G_mnist, "p5_generator_weights.pt"), graded=True)

# %% [markdown]
# How good are the samples? Numbers help a little. Below, 1,000 samples are scored with the
# **MNIST classifier score** (the Inception-Score formula applied to the class probabilities of
# a small MNIST classifier shipped with `dgmlab`; it is *not* the Inception Score) and the
# Fréchet distance between the classifier's features on samples and on real test digits.

# %% locked=true grade_id="p5_scores"
if not runtime.is_grading():
    many = sample(G_mnist, runtime.pick(full=10_000, fast=300))
    real = dgmlab.data.mnist(train=False, scale="[0,1]", n=runtime.pick(full=10_000, fast=200)).images
    score, spread = metrics.mnist_score(many)
    real_score, _ = metrics.mnist_score(real)
    print(f"MNIST classifier score: samples {score:.2f} +- {spread:.2f}; real test digits {real_score:.2f} "
          f"(at most 10)")
    print(f"MNIST-classifier Frechet distance to the test set: {metrics.mnist_frechet_distance(many):.2f}")
    print("predicted digit counts:", torch.bincount(metrics.mnist_predict(many), minlength=10).tolist())
    if runtime.is_fast():
        print("(a short run of small networks: a score near 1 is expected; a few hundred images score lower than "
              "10,000, real digits too)")

# %% [markdown]
# ### P5(f) (4 points, written)
# Train for 40 epochs (on a GPU) and include your sample grid and loss curves (the saved
# figures are enough; the samples themselves are graded in P5(g)). Then answer: (i) how good are
# these samples, judged by eye and by the two numbers above, and what can each number *not* see? (ii) What does the critic loss
# (minus the penalty) estimate, and does its curve tell you when to stop?

# %% [markdown] kind="written" grade_id="p5_report" points=4
# (i) After 40 epochs most samples are clearly legible digits with some broken strokes; the MNIST classifier
# score should be close to (a bit below) that of real test digits, and the Fréchet distance small but above
# the real-vs-real value. The score only sees confidence and class balance (a generator memorising one crisp
# digit per class would score perfectly); the Fréchet distance compares two moments of classifier features, so it
# misses fine texture and cannot detect copying of training images.
# (ii) $-(\mathcal L_D - \lambda\,\text{GP}) = \mathbb E D(x) - \mathbb E D(G(z))$ is the critic's estimate of
# $W_1$ (up to how well the critic is trained and how Lipschitz it is). It falls quickly and then flattens; being a
# noisy, one-step-per-update estimate it correlates with sample quality early on but is not a reliable stopping
# rule; one stops on a budget and looks at samples/scores.
# Grading: critical judgement of the numbers (2), W1 estimate interpretation (2). (The 2 points the figures
# had are now P5(g)'s, graded from the saved weights.)

# %% [markdown]
# ### P5(g) (2 points): your trained generator
# Hand in `p5_generator_weights.pt`, which the training cell writes after its 40 epochs: your weights for the
# `Generator(capacity=32)` given above. Its samples should be new digits (not near-copies of MNIST's), legible, and
# cover at least 9 of the 10 classes, as a full run's do: 1,000 samples of one have an MNIST classifier score of
# about 9 (real test digits: 9.7). The cell below scores 1,000 samples drawn from your file.

# %% kind="tests" grade_id="p5_mnist_samples_tests"
from dgmlab.probes import check
check("p5_mnist_samples_tests")


