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
# **Design choices kept from the source course.** Two details that matter: the critic has
# **no BatchNorm** (BatchNorm couples the samples of a batch, so $D(x_i)$ is no longer a
# function of $x_i$ alone and the per-sample gradient penalty loses its meaning), and Adam
# runs with $\beta_1 = 0$, $\beta_2 = 0.9$, learning rate $3\cdot10^{-4}$ (momentum tends to
# destabilise the min-max game). One critic step alternates with one generator step; the
# course found that enough (many WGAN implementations use 5 critic steps per generator step).
#
# **Architectures.** Both networks are built from the residual block below
# (conv, BN, ReLU, conv, BN, plus a skip connection; BN can be switched off).
# * Generator (given): a linear map of the 128-d seed $z$ to $c\times7\times7$ ($c$ channels, the
#   `capacity`: the source course's 128; full mode here trains at 32, see *Training on MNIST*), three residual
#   blocks, bilinear $\times4$ upsampling followed by conv-BN-ReLU, a final conv to one channel
#   plus a learned per-pixel bias, and a sigmoid (images in $[0,1]$).
# * Critic (you write it): a conv embedding, a residual block with stride 4 ($28\to7$), three
#   more residual blocks, and a linear head applied to the features summed over the spatial
#   positions, giving one real number per image. No BatchNorm anywhere.

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


def residual_blocks(model):
    """The ResidualBlock modules of a model, in registration order."""
    return [m for m in model.modules() if isinstance(m, ResidualBlock)]


def has_batchnorm(model):
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


dgmlab.integrity.protect(globals(), "Generator", "ResidualBlock", "SEED_DIM")  # P5(g) rebuilds your generator


# %% [markdown]
# ### P5(a) (6 points): the critic
# Write the critic described above, using `ResidualBlock(..., batchnorm=False)`. Its input is
# a batch of MNIST images; its output is one score per image.

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


# %% kind="tests" grade_id="p5_critic_tests" points=6
from dgmlab.testing import points, run_tests
from dgmlab import checks

@points(0.5)
def test_one_score_per_image():
    critic = Critic(capacity=8)
    out = critic(torch.rand(5, 1, 28, 28))
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (5, 1):
        raise AssertionError("expected scores of shape (5,), found (5, 1): squeeze the head's last dimension")
    checks.assert_tensor(out, "critic(x)", shape=(5,), dtype=torch.float32)

@points(1)
def test_no_batchnorm():
    found = [name for name, m in Critic(capacity=8).named_modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert not found, \
        (f"expected no BatchNorm in the critic, found {found}: BatchNorm mixes the samples of a batch, so the "
         f"per-sample gradient penalty loses its meaning (use ResidualBlock(..., batchnorm=False))")

### BEGIN HIDDEN TESTS
@points(2)
def test_scores_do_not_depend_on_the_rest_of_the_batch():
    critic = Critic(capacity=8).train()
    x = torch.rand(6, 1, 28, 28)
    with torch.no_grad():
        full, part = critic(x)[:2], critic(x[:2])
    checks.assert_close(full, part, rtol=1e-4, atol=1e-5,
                        name="scores of the first two images computed with and without the rest of the batch")

@points(0.75)
def test_four_residual_blocks():
    blocks = residual_blocks(Critic(capacity=8))
    assert len(blocks) == 4, "the critic should be built from four residual blocks"

@points(0.75)
def test_first_block_downsamples_by_four():
    blocks = residual_blocks(Critic(capacity=8))
    assert blocks and blocks[0].stride == 4 and all(b.stride == 1 for b in blocks[1:]), \
        "the first residual block should downsample with stride 4 and the others keep the size"

@points(1)
def test_gradient_reaches_every_pixel_and_parameter():
    critic = Critic(capacity=8)
    x = torch.rand(3, 1, 28, 28, requires_grad=True)
    critic(x).sum().backward()
    assert x.grad is not None and bool((x.grad[0].abs().sum() > 0)), "the score does not depend on the input"
    dead = [n for n, p in critic.named_parameters() if p.grad is None]
    assert not dead, "some critic parameters get no gradient from the score (unused layers?)"
### END HIDDEN TESTS

run_tests(points=6, hidden=4.5)


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


# %% locked=true grade_id="p5_toys"
class ToyLinearCritic(nn.Module):
    """D(x) = <w, x> + b on flattened inputs; its input gradient is w everywhere."""

    def __init__(self, dim, norm=1.0):
        super().__init__()
        w = torch.randn(dim)
        self.w = nn.Parameter(norm * w / w.norm())
        self.b = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x.flatten(1) @ self.w + self.b


class ToyGenerator(nn.Module):
    """G(z) = z A + c reshaped to (N, 1, 3, 3)."""

    def __init__(self, seed_dim=3):
        super().__init__()
        self.A = nn.Parameter(torch.randn(seed_dim, 9) * 0.5)
        self.c = nn.Parameter(torch.randn(9) * 0.1)

    def forward(self, z):
        return (z @ self.A + self.c).view(-1, 1, 3, 3)


# %% kind="tests" grade_id="p5_gradient_penalty_tests" points=8
from dgmlab.testing import points, run_tests
from dgmlab import checks

def _linear_hint(got, norm, n):
    # the values of common mistakes for a linear critic with gradient norm `norm` on n samples of 4 pixels
    if abs(got - 10 * (norm - 1) ** 2) < 1e-3 and norm != 1:
        return ": that is lambda times the penalty; return it without the factor lambda"
    if abs(got - norm ** 2) < 1e-3:
        return ": that is E||grad||^2; the '- 1' is missing (penalise (||grad|| - 1)^2)"
    if abs(got - (norm * math.sqrt(n) - 1) ** 2) < 1e-3:
        return ": that is one norm over the whole batch; take each sample's norm (grad.flatten(1).norm(dim=1))"
    if abs(got - n * (norm - 1) ** 2) < 1e-3 and norm != 1:
        return ": that is a sum over the batch; take the mean"
    return (": the norm is over all pixels of one sample (grad.flatten(1).norm(dim=1)), and (norm - 1)^2 "
            "is averaged over the batch")

@points(0.5)
def test_scalar_and_zero_for_a_unit_slope_critic():
    critic = ToyLinearCritic(4, norm=1.0)
    gp = gradient_penalty(critic, torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2))
    checks.assert_tensor(gp, "gradient_penalty(...)", shape=())
    got = float(gp)
    assert abs(got) < 1e-5, \
        (f"a linear critic with gradient norm 1 everywhere has penalty (1 - 1)^2 = 0, "
         f"found {got:.6g}{_linear_hint(got, 1.0, 8)}")

@points(1)
def test_slope_two_critic_gives_one():
    critic = ToyLinearCritic(4, norm=2.0)
    got = float(gradient_penalty(critic, torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2)))
    assert abs(got - 1.0) < 1e-4, \
        (f"a linear critic with gradient norm 2 everywhere has penalty (2 - 1)^2 = 1, "
         f"found {got:.6g}{_linear_hint(got, 2.0, 8)}")

@points(0.5)
def test_penalty_is_connected_to_the_critic():
    critic = ToyLinearCritic(4, norm=2.0)
    gp = gradient_penalty(critic, torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2))
    assert isinstance(gp, torch.Tensor) and gp.requires_grad, \
        (f"expected a penalty that requires grad (it is part of the critic's loss), found requires_grad="
         f"{getattr(gp, 'requires_grad', None)}: take the input gradient with create_graph=True and "
         f"do not detach it or call .item()")

### BEGIN HIDDEN TESTS
class _BowlCritic(nn.Module):
    """D(x) = a/2 ||x - c||^2: its input gradient a (x - c) has norm a ||x - c||."""

    def __init__(self, a, c):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(float(a)))
        self.c = c

    def forward(self, x):
        return 0.5 * self.a * ((x - self.c).flatten(1) ** 2).sum(1)

def _segment_batch(n):
    # fake points all at c (away from the origin, so x_fake's own weight in x_hat matters), real points at
    # distance 2 from c along one direction with unequal pixel values: along a segment the gradient norm of
    # the bowl centred at c is 2 a eps. First three go through a critic that records its input: an x_hat
    # broadcast to another shape (an eps of shape (N, 1, 1) makes it (N, N, 2, 2)) fails here, before
    # n = 20,000 samples would make it tens of gigabytes
    c = torch.tensor([0.5, -0.5, 1.0, 0.25]).view(1, 1, 2, 2)
    direction = torch.tensor([1.6, 1.2, 0.0, 0.0]).view(1, 1, 2, 2)
    signs = torch.where(torch.rand(n, 1, 1, 1) < 0.5, -1.0, 1.0)
    real, fake = c + direction * signs, c.expand(n, 1, 2, 2).clone()
    seen = []

    class _Recorder(nn.Module):
        def forward(self, x):
            seen.append(tuple(x.shape))
            return 0.5 * (x.flatten(1) ** 2).sum(1)

    gradient_penalty(_Recorder(), real[:3], fake[:3])
    assert seen and all(shape == (3, 1, 2, 2) for shape in seen), \
        "the critic is not given x_hat of the shape of x_real (one eps per sample, broadcast over its pixels)"
    return c, real, fake

@points(2.5)
def test_evaluated_at_random_interpolates():
    c, real, fake = _segment_batch(20_000)
    critic = _BowlCritic(1.0, c)
    for _ in range(4):
        gp = float(gradient_penalty(critic, real, fake).detach())
        assert abs(gp - 1 / 3) < 0.03, ("on a critic whose gradient norm changes along the segment from fake to "
                                        "real, the penalty is off: evaluate it at x_hat = eps*x + (1-eps)*G(z) "
                                        "with one eps ~ U[0,1] per sample, norm over all pixels, mean over the batch")

@points(2)
def test_derivative_in_the_critic_parameters():
    # at a = 1/2 every interpolate has gradient norm below 1, so only the two-sided penalty has a derivative here
    c, real, fake = _segment_batch(20_000)
    critic = _BowlCritic(0.5, c)
    gp = gradient_penalty(critic, real, fake)
    assert gp.requires_grad, ("the penalty is not connected to the critic's parameters: was the input gradient "
                              "taken with create_graph=True, and not detached?")
    (g,) = torch.autograd.grad(gp, critic.a)
    assert abs(float(g) + 2 / 3) < 0.05, "the penalty's derivative with respect to the critic's parameters is wrong"

@points(1.5)
def test_no_lambda_inside_and_batch_mean():
    critic = ToyLinearCritic(9, norm=3.0)
    gp = gradient_penalty(critic, torch.randn(5, 1, 3, 3), torch.randn(5, 1, 3, 3))
    checks.assert_close(gp, 4.0, atol=1e-4,
                        name="penalty of a critic with gradient norm 3 (no lambda, mean over the batch)")
### END HIDDEN TESTS

run_tests(points=8, hidden=6)


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


# %% kind="tests" grade_id="p5_losses_tests" points=5
from dgmlab.testing import points, run_tests
from dgmlab import checks

@points(0.5)
def test_scalars():
    critic = ToyLinearCritic(4, norm=1.0)
    real, fake = torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2)
    checks.assert_tensor(critic_loss(critic, real, fake), "critic_loss(...)", shape=())
    checks.assert_tensor(generator_loss(critic, fake), "generator_loss(...)", shape=())

@points(0.75)
def test_critic_loss_when_the_penalty_is_zero():
    critic = ToyLinearCritic(4, norm=1.0)   # gradient norm 1 everywhere: penalty 0
    real, fake = torch.randn(8, 1, 2, 2) + 1.0, torch.randn(8, 1, 2, 2)
    with torch.no_grad():
        d_real, d_fake = critic(real), critic(fake)
    want = float(d_fake.mean() - d_real.mean())
    got = float(critic_loss(critic, real, fake))
    hint = ""
    if abs(got + want) < 1e-4:
        hint = ": the sign is flipped (the critic minimises E D(fake) - E D(real))"
    elif abs(got - float(d_fake.sum() - d_real.sum())) < 1e-4:
        hint = ": that uses sums over the batch; take means"
    assert abs(got - want) < 1e-4, \
        (f"for a critic with gradient norm 1 (penalty 0) expected E D(fake) - E D(real) = {want:.5f}, "
         f"found {got:.5f}{hint}")

@points(0.75)
def test_generator_loss_value():
    critic = ToyLinearCritic(4, norm=1.5)
    fake = torch.randn(8, 1, 2, 2)
    with torch.no_grad():
        d_fake = critic(fake)
    want = float(-d_fake.mean())
    got = float(generator_loss(critic, fake))
    hint = ""
    if abs(got + want) < 1e-5:
        hint = ": the sign is flipped (the generator minimises -E D(G(z)))"
    elif abs(got + float(d_fake.sum())) < 1e-4:
        hint = ": that is a sum over the batch; take the mean"
    assert abs(got - want) < 1e-5, f"expected -E D(fake) = {want:.5f}, found {got:.5f}{hint}"

### BEGIN HIDDEN TESTS
@points(0.5)
def test_critic_loss_value_and_sign():
    critic = ToyLinearCritic(4, norm=1.0)
    real, fake = torch.randn(6, 1, 2, 2) - 0.5, torch.randn(6, 1, 2, 2) + 2.0
    with torch.no_grad():
        want = critic(fake).mean() - critic(real).mean()
    checks.assert_close(critic_loss(critic, real, fake), want, atol=1e-4,
                        name="critic_loss of a 1-Lipschitz linear critic (penalty 0): sign or mean?")

@points(1.25)
def test_critic_loss_includes_the_penalty_times_lambda():
    critic = ToyLinearCritic(4, norm=2.0)   # penalty exactly 1
    real, fake = torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2)
    with torch.no_grad():
        base = critic(fake).mean() - critic(real).mean()
    checks.assert_close(critic_loss(critic, real, fake), base + 10.0, atol=1e-3,
                        name="critic_loss with the default lambda when the penalty is 1")

@points(0.5)
def test_critic_loss_uses_lam():
    critic = ToyLinearCritic(4, norm=2.0)   # penalty exactly 1
    real, fake = torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2)
    with torch.no_grad():
        base = critic(fake).mean() - critic(real).mean()
    checks.assert_close(critic_loss(critic, real, fake, lam=0.5), base + 0.5, atol=1e-3,
                        name="critic_loss with lam=0.5 when the penalty is 1")

@points(0.75)
def test_generator_loss_keeps_the_graph_to_the_samples():
    critic = ToyLinearCritic(4, norm=1.5)
    fake = torch.randn(8, 1, 2, 2, requires_grad=True)
    loss = generator_loss(critic, fake)
    checks.assert_close(loss, -critic(fake).mean(), atol=1e-5, name="generator_loss (sign? mean?)")
    assert loss.requires_grad, "generator_loss must stay differentiable with respect to the fake images"
    (g,) = torch.autograd.grad(loss, fake, allow_unused=True)
    assert g is not None, "generator_loss must stay differentiable with respect to the fake images"
### END HIDDEN TESTS

run_tests(points=5, hidden=3)


# %% [markdown]
# ### P5(d) (3 points): the optimisers
# Return one Adam optimiser for the generator and one for the critic, with the course's
# settings: learning rate $3\cdot10^{-4}$, $\beta_1 = 0$, $\beta_2 = 0.9$. (Write the betas as
# floats, `(0.0, 0.9)`: recent torch versions reject a mix such as `(0, 0.9)`.)

# %% kind="answer" grade_id="p5_optimizers"
def make_optimizers(generator, critic, lr=3e-4):
    """Returns (opt_g, opt_c): torch.optim.Adam over generator.parameters() and critic.parameters()."""
    ### BEGIN SOLUTION
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.0, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))
    return opt_g, opt_c
    ### END SOLUTION


# %% kind="tests" grade_id="p5_optimizers_tests" points=3
from dgmlab.testing import points, run_tests

@points(0.5)
def test_two_adam_optimisers():
    out = make_optimizers(ToyGenerator(), ToyLinearCritic(9))
    assert isinstance(out, tuple) and len(out) == 2, \
        f"expected a tuple (opt_g, opt_c), found {type(out).__name__}"
    assert all(isinstance(o, torch.optim.Adam) for o in out), \
        f"expected two torch.optim.Adam, found {[type(o).__name__ for o in out]}"

@points(0.5)
def test_the_first_optimiser_holds_the_generator():
    gen, critic = ToyGenerator(), ToyLinearCritic(9)
    opt_g, _ = make_optimizers(gen, critic)
    held = {id(p) for g in opt_g.param_groups for p in g["params"]}
    theirs = {id(p) for p in critic.parameters()}
    hint = ""
    if held == theirs:
        hint = ": those are the critic's; return (opt_g, opt_c) in this order"
    elif held & theirs:
        hint = ": the critic's are among them; give each network its own optimiser"
    assert held == {id(p) for p in gen.parameters()}, \
        (f"expected opt_g to hold exactly the generator's {len(list(gen.parameters()))} parameter tensors, "
         f"found {len(held)} tensors{hint}")

### BEGIN HIDDEN TESTS
@points(0.5)
def test_each_optimiser_holds_exactly_its_network():
    gen, critic = ToyGenerator(), ToyLinearCritic(9)
    opt_g, opt_c = make_optimizers(gen, critic)
    for name, opt, model in [("opt_g", opt_g, gen), ("opt_c", opt_c, critic)]:
        params = {id(p) for g in opt.param_groups for p in g["params"]}
        assert params == {id(p) for p in model.parameters()}, f"{name} does not hold exactly its network's parameters"

@points(1)
def test_betas():
    opt_g, opt_c = make_optimizers(ToyGenerator(), ToyLinearCritic(9))
    for name, opt in [("opt_g", opt_g), ("opt_c", opt_c)]:
        for g in opt.param_groups:
            assert g["betas"][0] == 0.0, f"{name}: beta1 must be 0 (no momentum)"
            assert abs(g["betas"][1] - 0.9) < 1e-12, f"{name}: beta2 is not the course's value"

@points(0.5)
def test_learning_rate():
    for lr, kwargs in [(3e-4, {}), (1e-3, {"lr": 1e-3})]:
        opt_g, opt_c = make_optimizers(ToyGenerator(), ToyLinearCritic(9), **kwargs)
        for name, opt in [("opt_g", opt_g), ("opt_c", opt_c)]:
            for g in opt.param_groups:
                assert abs(g["lr"] - lr) < 1e-12, \
                    f"{name}: the learning rate is not the course's default, or the lr argument is ignored"
### END HIDDEN TESTS

run_tests(points=3, hidden=2)


# %% [markdown]
# ### P5(e) (10 points): one critic step, one generator step
# Each step zeroes its optimiser's gradients, computes its loss on the batch, back-propagates
# and steps. The critic step must not change the generator, the generator step must not
# change the critic, and a step must not be polluted by gradients left over from the other
# network's step. Both return the loss as a Python float.

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


# %% kind="tests" grade_id="p5_critic_step_tests" points=6
from dgmlab.testing import points, run_tests
from dgmlab import checks

def _snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}

@points(0.5)
def test_returns_a_number_and_moves_the_critic():
    gen, critic = ToyGenerator(), ToyLinearCritic(9, norm=3.0)
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-2, betas=(0.0, 0.9))
    before = _snapshot(critic)
    loss = critic_step(gen, critic, opt_c, torch.randn(16, 1, 3, 3), torch.randn(16, 3))
    assert isinstance(loss, float), \
        f"expected the loss as a Python float, found {type(loss).__name__} (use loss.item())"
    assert not torch.equal(before["w"], critic.w.detach()), \
        "expected critic_step to change the critic's weights, found them unchanged (opt_c.step()?)"

@points(1.25)
def test_returns_the_critic_loss_of_the_batch():
    # a linear critic has the same input gradient everywhere, so its penalty (||w|| - 1)^2 = 4 is not random
    gen, critic = ToyGenerator(), ToyLinearCritic(9, norm=3.0)
    x_real, z = torch.randn(16, 1, 3, 3) + 0.5, torch.randn(16, 3)
    with torch.no_grad():
        wasserstein = float(critic(gen(z)).mean() - critic(x_real).mean())
    want = wasserstein + 10.0 * 4.0
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-2, betas=(0.0, 0.9))
    got = critic_step(gen, critic, opt_c, x_real, z)
    hint = ""
    if abs(got - wasserstein) < 1e-3:
        hint = ": that is E D(fake) - E D(real) alone; the gradient penalty (lambda = 10) is missing"
    elif abs(got + want) < 1e-3:
        hint = ": the sign is flipped; the critic minimises L_D (ascending it is a sign error)"
    assert abs(got - want) < 1e-3, \
        (f"expected the critic loss L_D = E D(fake) - E D(real) + 10 * penalty = {want:.4f} on this batch "
         f"(computed before the update), found {got:.4f}{hint}")

### BEGIN HIDDEN TESTS
def _reference_step(stale):
    gen, critic = ToyGenerator(), ToyLinearCritic(9, norm=3.0)
    x_real, z = torch.randn(16, 1, 3, 3) + 0.5, torch.randn(16, 3)
    reference = copy.deepcopy(critic)
    with torch.no_grad():
        fake = gen(z)
    ref_loss = reference(fake).mean() - reference(x_real).mean() + 10.0 * (reference.w.norm() - 1) ** 2
    ref_loss.backward()
    lr = 1e-2
    opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))
    if stale:
        for p in critic.parameters():   # stale gradients, as a generator step leaves them
            p.grad = 100.0 * torch.randn_like(p)
    gen_before, critic_before = _snapshot(gen), _snapshot(critic)
    critic_step(gen, critic, opt_c, x_real, z)
    for n, p in gen.named_parameters():
        assert torch.equal(p.detach(), gen_before[n]), "critic_step changed the generator"
    for n, p in critic.named_parameters():
        # a fresh Adam moves every parameter by -lr * sign(gradient) on its first step
        want = critic_before[n] - lr * torch.sign(getattr(reference, n).grad)
        checks.assert_close(p.detach(), want, atol=2e-4,
                            name=f"critic parameter {n} after one Adam step (sign of the gradient of L_D, "
                                 "fresh gradients, penalty included?)")

@points(2.5)
def test_update_descends_the_critic_loss_and_leaves_the_generator():
    _reference_step(stale=False)

@points(1.75)
def test_update_ignores_stale_gradients():
    _reference_step(stale=True)
### END HIDDEN TESTS

run_tests(points=6, hidden=4.25)

# %% kind="tests" grade_id="p5_generator_step_tests" points=4
from dgmlab.testing import points, run_tests
from dgmlab import checks

def _snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}

@points(0.5)
def test_returns_a_number_and_moves_the_generator():
    gen, critic = ToyGenerator(), ToyLinearCritic(9, norm=1.0)
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-2, betas=(0.0, 0.9))
    before = _snapshot(gen)
    loss = generator_step(gen, critic, opt_g, torch.randn(16, 3))
    assert isinstance(loss, float), \
        f"expected the loss as a Python float, found {type(loss).__name__} (use loss.item())"
    assert not torch.equal(before["c"], gen.c.detach()), \
        ("expected generator_step to change the generator, found it unchanged: did the gradient reach it "
         "(no .detach() on G(z)), and was opt_g stepped?")

@points(0.75)
def test_returns_the_generator_loss_of_the_batch():
    gen, critic = ToyGenerator(), ToyLinearCritic(9, norm=1.0)
    z = torch.randn(16, 3)
    with torch.no_grad():
        want = float(-critic(gen(z)).mean())
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-2, betas=(0.0, 0.9))
    got = generator_step(gen, critic, opt_g, z)
    hint = ": the sign is flipped; the generator minimises L_G = -E D(G(z))" if abs(got + want) < 1e-4 else ""
    assert abs(got - want) < 1e-4, \
        f"expected L_G = -E D(G(z)) = {want:.4f} on this batch (before the update), found {got:.4f}{hint}"

### BEGIN HIDDEN TESTS
def _reference_step(stale):
    gen, critic = ToyGenerator(), ToyLinearCritic(9, norm=1.0)
    z = torch.randn(16, 3)
    reference = copy.deepcopy(gen)
    ref_loss = -critic(reference(z)).mean()
    ref_grads = torch.autograd.grad(ref_loss, list(reference.parameters()))
    lr = 1e-2
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.0, 0.9))
    if stale:
        for p in gen.parameters():   # stale gradients, as a critic step leaves them
            p.grad = 100.0 * torch.randn_like(p)
    gen_before, critic_before = _snapshot(gen), _snapshot(critic)
    generator_step(gen, critic, opt_g, z)
    for n, p in critic.named_parameters():
        assert torch.equal(p.detach(), critic_before[n]), "generator_step changed the critic"
    for (n, p), g in zip(gen.named_parameters(), ref_grads):
        checks.assert_close(p.detach(), gen_before[n] - lr * torch.sign(g), atol=2e-4,
                            name=f"generator parameter {n} after one Adam step (sign of the gradient of L_G, "
                                 "fresh gradients, graph through the generator?)")

@points(1.5)
def test_update_descends_the_generator_loss_and_leaves_the_critic():
    _reference_step(stale=False)

@points(1.25)
def test_update_ignores_stale_gradients():
    _reference_step(stale=True)
### END HIDDEN TESTS

run_tests(points=4, hidden=2.75)

# %% [markdown]
# ### Training on MNIST
# The loop below (given) alternates your two steps over the training set for 40 epochs with
# batches of 64, with both networks at capacity 32 (the source course used 128, which would take
# hours). On a Colab T4 this run should take about 16-25 minutes (an estimate; an H100 took 16), and P6's
# CIFAR-10 run another 23-35 (also an estimate): at the slow end that is an hour of training, plus the
# scoring, so plan for a disconnect: a run cut off continues from its last epoch when you run its cell again. This needs a
# GPU (on a CPU one iteration takes 1-2 seconds: 10-20 hours for the 40 epochs). In fast mode it
# trains small networks for a few dozen steps on a few hundred digits: the pictures will be
# noise, the point is that every line runs. It saves a loss curve, a grid of 100 samples
# (`figures/`) and the samples themselves (`artifacts/mnist_samples.pt`) in the homework folder (on Google
# Drive in Colab; the setup cell printed where). In full mode it also saves **the graded file**
# `p5_generator_weights.pt`: the trained generator's weights (its state dict in float16, about 0.55 MB), from
# which P5(g) draws the samples it grades; hand it in with the notebook. After every epoch it saves a checkpoint
# (`checkpoints/mnist.pt`): if the runtime disconnects, run the cells again and training continues from the
# last saved epoch; a finished run is loaded, not retrained (pass `retrain=True` to `train_wgan_gp`, or delete
# the file, to train from the start; the checkpoint refuses to resume if your steps or settings changed).

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
    runtime.seed_everything(runtime.run_seed())  # starting weights of this run's own (DGMLAB_SEED=n repeats a run)
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
    if metrics is None:
        print("dgmlab.metrics is not available in this dgmlab version: skipping the MNIST scores")
    else:
        many = sample(G_mnist, runtime.pick(full=10_000, fast=300))
        real = dgmlab.data.mnist(train=False, scale="[0,1]", n=runtime.pick(full=10_000, fast=200)).images
        score, spread = metrics.mnist_score(many)
        real_score, _ = metrics.mnist_score(real)
        print(f"MNIST classifier score: samples {score:.2f} +- {spread:.2f}; real test digits {real_score:.2f} "
              f"(at most 10)")
        print(f"MNIST-classifier Frechet distance to the test set: {metrics.mnist_frechet_distance(many):.2f}")
        print("predicted digit counts:", torch.bincount(metrics.mnist_predict(many), minlength=10).tolist())
        if runtime.is_fast():
            print("(fast mode: small networks trained for a few dozen steps, so a score near 1 is expected)")

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
# had are now P5(g)'s, graded from the saved samples.)

# %% [markdown]
# ### P5(g) (2 points): graded from your trained generator
# This cell grades the generator you trained, not a file of images. It reads `p5_generator_weights.pt`, which
# the training cell saved in the homework folder after the full 40 epochs, puts the weights in the notebook's
# `Generator(capacity=32)` (full mode's size), draws 100 samples itself and scores those: a file of images could
# hold the best 100 of many draws. While you work the noise comes from seed 0 (as `sample(G_mnist, 100, seed=0)`),
# so you see your score; the autograder draws with a seed of its own, made from your file and the course's secret
# key (the same file always gets the same seed, any other file an unrelated one).
# Weights that fit and draw new images (see below) earn 0.5 points; the other 1.5 come when, in addition, the
# MNIST classifier score of those 100 images taken as one group (`metrics.mnist_score(samples, splits=1)`) is at
# least **8.25** and the classifier recognises at least **9** of the 10 digit classes among
# them. (For scale: 100 random real test digits score 9.2 to 9.6 this way, pure noise 1.0.) Of 20 such
# 100-sample draws of the reference solution trained with these settings, all 20 clear the bar after 39 epochs
# and 19 after 20 epochs; none clear it after 3 epochs, nor after a quarter epoch. Without the file
# the cell earns nothing and says so. In fast mode, which trains too little to write the file, a missing file
# is only reported.
#
# The samples must be new images, not MNIST digits learned by heart: each is compared with all 70,000 MNIST
# digits (`dgmlab.novelty.find_copies`; a shift by a pixel, a small turn or added noise does not hide a copy).
# If more than 3 of the 100 are near-copies of MNIST digits, the whole cell earns 0.

# %% kind="tests" grade_id="p5_mnist_samples_tests" points=2
import os
from pathlib import Path

from dgmlab import artifacts
from dgmlab.testing import points, run_tests

GRADED_WEIGHTS = Path("p5_generator_weights.pt")
DASHBOARD_DRAW = Path("graded_draw_100.pt")  # written while autograding: the samples drawn, for the class dashboard


def _absent_in_fast_mode():
    # fast mode (CI's smoke run) trains too little to write the graded file: nothing to score there
    return runtime.mode() == "fast" and not GRADED_WEIGHTS.exists()


_CHECKED = {}  # this run's verdict on the file: both tests need it, the near-copy look-up runs once


def _graded_samples():
    """The grader's 100 samples from the saved weights, once they are well-formed new images (else the reason
    the cell earns 0)."""
    if "x" not in _CHECKED:
        # the draw's seed: 0 while you work; under dgmlab autograde, the autograder's own for this file
        state, seed = artifacts.load_for_draw(GRADED_WEIGHTS, max_bytes=1_000_000, made_by="the P5 training cell")
        generator = artifacts.load_weights(Generator(capacity=32), state,  # full mode's capacity; eval mode
                                           name="the weights in p5_generator_weights.pt")
        z = torch.randn(100, SEED_DIM, generator=torch.Generator().manual_seed(seed))  # (100, SEED_DIM)
        with torch.no_grad():
            x = artifacts.samples(generator(z).float(), name="the samples drawn from p5_generator_weights.pt",
                                  value_range=(0, 1))
        if os.environ.get(runtime.GRADING_ENV) == "autograde":
            torch.save(x.clone(), DASHBOARD_DRAW)
        _CHECKED["report"] = artifacts.require_new(x, scale="[0,1]")
        _CHECKED["x"] = x
    return _CHECKED["x"]


@points(0.5)
def test_saved_generator_draws_100_new_images():
    if _absent_in_fast_mode():
        print("fast mode: no p5_generator_weights.pt (only full training writes it), so nothing is scored here")
        return
    _graded_samples()
    print("near-copy check:", _CHECKED["report"].summary())


@points(1.5)
def test_mnist_classifier_score_above_the_bar():
    if _absent_in_fast_mode():
        return
    x = _graded_samples()  # weights that fail the checks above earn nothing here either
    score, _ = metrics.mnist_score(x, splits=1, scale="[0,1]")
    classes = metrics.mnist_predict(x, scale="[0,1]").unique().numel()
    print(f"MNIST classifier score of the 100 drawn samples: {float(score):.2f} (bar 8.25); "
          f"digit classes: {classes} (bar 9)")
    assert float(score) >= 8.25, (
        f"expected an MNIST classifier score of at least 8.25, found {float(score):.2f}: below the bar "
        "(a full 40-epoch run clears it; a run stopped early may not)")
    assert classes >= 9, \
        (f"expected at least 9 of the 10 digit classes among the drawn samples, found {classes}: "
         "the generator covers too few digits (mode collapse)")


run_tests(points=2)
