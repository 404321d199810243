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
# The networks are small convolutional nets in the style of DCGAN (given). The generator
# maps $z$ to a $7\times7$ feature map, doubles it twice with transposed convolutions
# ($7\to14\to28$) and ends in a $3\times3$ convolution to one channel; the critic halves the
# image three times with strided convolutions ($28\to14\to7\to4$) and ends in a linear score.
# Each has three convolutional stages: with two, the digits stayed blurred after 40 epochs.
# The critic uses layer norm, not batch norm: the gradient penalty is taken
# per sample, and batch norm would make each sample's score depend on the rest of the batch.
# Images are `(N, 1, 28, 28)` in $[-1, 1]$; the critic returns scores of shape `(N,)`.

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


dgmlab.integrity.protect(globals(), "Generator", "Z_DIM")  # the graded cell rebuilds your generator from these


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


# %% kind="tests" grade_id="q3_wgan_losses_tests" points=5
from dgmlab.testing import points, run_tests

@points(0.5)
def test_scalars():
    checks.assert_tensor(critic_loss(torch.zeros(3), torch.zeros(3)), "critic_loss(...)", shape=())
    checks.assert_tensor(generator_loss(torch.zeros(3)), "generator_loss(...)", shape=())

@points(0.5)
def test_critic_loss_sign_on_one_pair():
    got = float(critic_loss(torch.tensor([1.0]), torch.tensor([0.0])))
    assert abs(got - (-1.0)) < 1e-6, \
        (f"for a real score 1 and a fake score 0 expected critic_loss = 0 - 1 = -1, found {got:g}"
         + (": a sign error (the critic minimises fake minus real, so it raises real scores)"
            if abs(got - 1.0) < 1e-6 else ""))

@points(0.5)
def test_generator_loss_sign_on_one_score():
    got = float(generator_loss(torch.tensor([2.0])))
    assert abs(got - (-2.0)) < 1e-6, \
        (f"for a fake score 2 expected generator_loss = -2, found {got:g}"
         + (": a sign error (the generator minimises minus the critic's score)" if abs(got - 2.0) < 1e-6 else ""))

### BEGIN HIDDEN TESTS
@points(1.5)
def test_critic_loss_sign_and_mean_with_unequal_batches():
    real = torch.tensor([1.0, 2.0, 3.0, 6.0])
    fake = torch.tensor([-1.0, 0.5])
    checks.assert_close(critic_loss(real, fake), -0.25 - 3.0,
                        name="critic_loss on batches of 4 real and 2 fake scores (a mean of each batch?)")

@points(0.75)
def test_generator_loss_sign_and_mean():
    checks.assert_close(generator_loss(torch.tensor([1.0, 2.0, 6.0])), -3.0,
                        name="generator_loss on a batch of three scores (a batch mean?)")

@points(1.25)
def test_gradients_flow_to_the_scores():
    real = torch.tensor([1.0, 2.0], requires_grad=True)
    fake = torch.tensor([0.5, 0.1, 0.3, 0.2], requires_grad=True)
    critic_loss(real, fake).backward()
    assert real.grad is not None and fake.grad is not None, "critic_loss is detached from its inputs"
    checks.assert_close(real.grad, torch.full((2,), -0.5), name="d critic_loss / d real_scores")
    checks.assert_close(fake.grad, torch.full((4,), 0.25), name="d critic_loss / d fake_scores")
    f2 = torch.tensor([0.5, 0.1], requires_grad=True)
    generator_loss(f2).backward()
    assert f2.grad is not None, "generator_loss is detached from its input"
    checks.assert_close(f2.grad, torch.full((2,), -0.5), name="d generator_loss / d fake_scores")
### END HIDDEN TESTS

run_tests(points=5, hidden=3.5)


# %% [markdown]
# *Gradient penalty (6 points).* `gradient_penalty(critic, real, fake, lam=10.0, alpha=None)`
# returns $\lambda\cdot\frac1N\sum_i(\|\nabla_{\hat x}f_w(\hat x_i)\|_2-1)^2$ as a 0-d tensor. Draw one
# $\alpha_i\sim U[0,1]$ per sample when `alpha` is `None` (otherwise use the given `(N,)` tensor), take the
# gradient norm over all of a sample's pixels, and keep the result differentiable with respect to the
# critic's parameters (`torch.autograd.grad(..., create_graph=True)`): the critic is trained on it.

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


# %% kind="tests" grade_id="q3_gradient_penalty_tests" points=6
from dgmlab.testing import points, run_tests
from dgmlab.toys import LinearCritic  # D(x) = <w, x> + b: input gradient w everywhere

def _tiny_critic():
    torch.manual_seed(3)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 1), nn.Flatten(0))

@points(1)
def test_scalar_and_zero_for_a_unit_norm_linear_critic():
    crit = LinearCritic(torch.arange(1.0, 5.0) / math.sqrt(30.0))  # weight norm exactly 1
    out = gradient_penalty(crit, torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2))
    checks.assert_tensor(out, "gradient_penalty(...)", shape=())
    got = float(out)
    hint = ""
    if abs(got - 10.0) < 1e-3:
        hint = ": that is lam * ||grad||^2, the '- 1' is missing (penalise (||grad|| - 1)^2)"
    elif abs(got - 10.0 * (math.sqrt(6.0) - 1) ** 2) < 1e-3:
        hint = (": that is one norm over the whole batch of 6; take each sample's norm "
                "(grad.reshape(N, -1).norm(dim=1)), then average")
    assert abs(got) < 1e-5, \
        (f"a linear critic with weight norm 1 has gradient norm 1 everywhere, so expected a penalty of 0, "
         f"found {got:.6g}{hint}")

### BEGIN HIDDEN TESTS
@points(0.5)
def test_linear_critic_value_and_lambda():
    crit = LinearCritic(torch.arange(1.0, 5.0) * 0.5)  # |w| = 0.5 * sqrt(30)
    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    want = (0.5 * math.sqrt(30.0) - 1) ** 2
    checks.assert_close(gradient_penalty(crit, real, fake, lam=10.0), 10 * want, rtol=1e-5,
                        name="penalty of a linear critic, lam=10")
    checks.assert_close(gradient_penalty(crit, real, fake, lam=2.5), 2.5 * want, rtol=1e-5,
                        name="penalty of a linear critic, lam=2.5")

def _reference(crit, real, fake, lam, alpha):
    a = alpha.view(-1, 1, 1, 1)
    xh = (a * real + (1 - a) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(crit(xh).sum(), xh, create_graph=True)
    return lam * ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()

@points(1.5)
def test_nonlinear_critic_matches_reference_with_given_alpha():
    crit = _tiny_critic()
    real, fake = torch.randn(7, 1, 2, 2) * 3, torch.randn(7, 1, 2, 2) * 3
    alpha = torch.linspace(0.05, 0.95, 7)
    checks.assert_close(gradient_penalty(crit, real, fake, lam=10.0, alpha=alpha),
                        _reference(crit, real, fake, 10.0, alpha).detach(), rtol=1e-5, atol=1e-6,
                        name="penalty of a small tanh critic (alpha given)")

@points(2)
def test_differentiable_with_respect_to_the_critic():
    crit = _tiny_critic()
    real, fake = torch.randn(7, 1, 2, 2) * 3, torch.randn(7, 1, 2, 2) * 3
    alpha = torch.linspace(0.05, 0.95, 7)
    out = gradient_penalty(crit, real, fake, lam=10.0, alpha=alpha)
    assert out.requires_grad, "the penalty is not differentiable w.r.t. the critic (create_graph=True?)"
    weights = [crit[1].weight, crit[1].bias, crit[3].weight]  # the last bias does not move the gradient
    got = torch.autograd.grad(out, weights, allow_unused=True)
    want = torch.autograd.grad(_reference(crit, real, fake, 10.0, alpha), weights)
    for g, w in zip(got, want):
        assert g is not None, "a critic parameter gets no gradient from the penalty"
        checks.assert_close(g, w, rtol=1e-4, atol=1e-6, name="d penalty / d critic parameters")

@points(1)
def test_one_alpha_per_sample_between_real_and_fake():
    seen = []
    inner = _tiny_critic()

    class Spy(nn.Module):
        def forward(self, x):
            seen.append(x.detach().clone())
            return inner(x)

    real = torch.randn(8, 1, 2, 2) + 5.0
    fake = torch.randn(8, 1, 2, 2) - 5.0
    gradient_penalty(Spy(), real, fake)
    assert seen, "the critic was never called"
    xh = seen[-1].flatten(1)
    a = (xh - fake.flatten(1)) / (real.flatten(1) - fake.flatten(1))
    assert torch.allclose(a, a[:, :1].expand_as(a), atol=1e-4), \
        "x_hat must use ONE interpolation weight per sample, shared by all its pixels"
    assert ((a[:, 0] >= -1e-5) & (a[:, 0] <= 1 + 1e-5)).all(), "interpolation weights must lie in [0, 1]"
    assert a[:, 0].std() > 0.05, "interpolation weights should be random, one per sample"
### END HIDDEN TESTS

run_tests(points=6, hidden=5)


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


# %% kind="tests" grade_id="q3_clip_weights_tests" points=3
from dgmlab.testing import points, run_tests

def _net():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.linspace(-0.2, 0.2, p.numel()).view_as(p))
    return net

@points(1)
def test_all_parameters_within_bounds():
    net = _net()
    clip_weights(net, c=0.05)
    for name, p in net.named_parameters():
        assert p.abs().max() <= 0.05 + 1e-7, \
            (f"expected every parameter in [-0.05, 0.05] after clip_weights(net, c=0.05), found {name} "
             f"reaching {float(p.abs().max()):.3g}"
             + (": biases are parameters too (critic.parameters())" if name.endswith("bias") else ""))

### BEGIN HIDDEN TESTS
@points(1.25)
def test_values_inside_the_bounds_are_kept_and_signs_preserved():
    net, ref = _net(), _net()
    clip_weights(net, c=0.05)
    for p, q in zip(net.parameters(), ref.parameters()):
        checks.assert_close(p, q.clamp(-0.05, 0.05), atol=1e-7,
                            name="clipped parameter values (clamped to [-c, c], not [0, c]?)")

@points(0.75)
def test_in_place_so_the_optimizer_still_sees_the_parameters():
    net = _net()
    before = [id(p) for p in net.parameters()]
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    clip_weights(net, c=0.05)
    assert [id(p) for p in net.parameters()] == before, "clip_weights replaced the parameter objects"
    assert all(p.is_leaf and p.requires_grad for p in net.parameters()), \
        "after clipping, parameters must still be trainable leaf tensors"
    net(torch.ones(2, 3)).sum().backward()
    opt.step()
    assert all(p is q for p, q in zip(net.parameters(), opt.param_groups[0]["params"])), \
        "the optimizer no longer holds the critic's parameters"
### END HIDDEN TESTS

run_tests(points=3, hidden=2)


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
# - the generator update draws fresh noise and minimises `generator_loss` through the current critic;
# - each network is changed only by its own optimizer (`c_opt` for the critic, `g_opt` for the
#   generator), and gradients never leak from one phase into the other (zero them);
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


# %% kind="tests" grade_id="q3_train_step_tests" points=9
from dgmlab.testing import points, run_tests
from dgmlab.toys import LinearCritic  # D(x) = <w, x> + b: input gradient w everywhere


class _Recorder(nn.Module):
    """Wraps a generator and remembers each call's input and output."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = []

    def forward(self, z):
        out = self.inner(z)
        self.calls.append((z.detach().clone(), out.detach().clone()))
        return out


def _step(*args, **kwargs):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. torch's warning about .item() on a tensor that requires grad
        return wgan_train_step(*args, **kwargs)


def _setup(lipschitz="gp", n_batches=8, opt="sgd"):
    torch.manual_seed(11)
    gen = _Recorder(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Unflatten(1, (1, 2, 2))))
    crit = LinearCritic(torch.linspace(-0.8, 1.2, 4), bias=0.3)
    if opt == "sgd":
        g_opt = torch.optim.SGD(gen.parameters(), lr=0.05)
        c_opt = torch.optim.SGD(crit.parameters(), lr=0.05)
    else:
        g_opt = torch.optim.Adam(gen.parameters(), lr=0.1)
        c_opt = torch.optim.Adam(crit.parameters(), lr=0.1)
    batches = [torch.randn(5, 1, 2, 2) + 0.5 * i for i in range(n_batches)]
    log = {"yielded": [], "c_steps": 0, "g_steps": 0, "problems": [], "crit_at_g": None}

    def it():
        for b in batches:
            log["yielded"].append(b)
            yield b

    gen_start = [p.detach().clone() for p in gen.parameters()]
    c_orig, g_orig = c_opt.step, g_opt.step

    def c_step(*a, **k):
        log["c_steps"] += 1
        if any(not torch.equal(p, q) for p, q in zip(gen.parameters(), gen_start)):
            log["problems"].append("the generator changed during the critic updates")
        if not log["yielded"] or not gen.calls:
            log["problems"].append("a critic update ran without a real batch or a fake batch")
            return c_orig(*a, **k)
        real, fake = log["yielded"][-1], gen.calls[-1][1]
        w = crit.lin.weight.detach()
        want = (fake.flatten(1).mean(0) - real.flatten(1).mean(0)).unsqueeze(0)
        if lipschitz == "gp":
            want = want + 2 * 10.0 * (w.norm() - 1) * w / w.norm()
        got = crit.lin.weight.grad
        if got is None:
            log["problems"].append("the critic has no gradient at its optimizer step")
        elif not torch.allclose(got, want, rtol=1e-4, atol=1e-5):
            log["problems"].append("the critic's gradient at its optimizer step is not that of "
                                   + ("critic_loss + gradient_penalty" if lipschitz == "gp" else "critic_loss")
                                   + " on the current real and fake batches")
        return c_orig(*a, **k)

    def g_step(*a, **k):
        log["g_steps"] += 1
        z = gen.calls[-1][0]
        with torch.enable_grad():
            loss = -crit(gen.inner(z)).mean()
            want = torch.autograd.grad(loss, list(gen.inner.parameters()))
        for p, w in zip(gen.inner.parameters(), want):
            if p.grad is None or not torch.allclose(p.grad, w, rtol=1e-4, atol=1e-6):
                log["problems"].append("the generator's gradient at its optimizer step is not that of "
                                       "generator_loss through the current critic (zeroed? detached?)")
                break
        log["crit_at_g"] = [p.detach().clone() for p in crit.parameters()]
        return g_orig(*a, **k)

    c_opt.step, g_opt.step = c_step, g_step
    return gen, crit, g_opt, c_opt, it(), log


@points(0.5)
def test_returns_floats():
    gen, crit, g_opt, c_opt, it, log = _setup()
    out = _step(gen, crit, g_opt, c_opt, it, z_dim=3)
    assert isinstance(out, dict), f"expected wgan_train_step to return a dict, found {type(out).__name__}"
    for k in ["critic_loss", "penalty", "generator_loss"]:
        assert isinstance(out.get(k), float), \
            (f"expected {k!r} to be a Python float, found {type(out.get(k)).__name__}: "
             f"a tensor needs .item() (which also keeps the history free of autograd graphs)")


@points(1.5)
def test_first_critic_gradient_is_that_of_critic_loss():
    # with clipping (no penalty) and a linear critic f(x) = w.x + b, d critic_loss / dw = mean(fake) - mean(real)
    gen, crit, g_opt, c_opt, it, log = _setup("clip")
    seen, recorded_step = {}, c_opt.step

    def first_step(*a, **k):
        if "got" not in seen:
            grad = crit.lin.weight.grad
            seen["got"] = None if grad is None else grad.detach().clone().squeeze(0)
            if log["yielded"] and gen.calls:
                seen["want"] = gen.calls[-1][1].flatten(1).mean(0) - log["yielded"][-1].flatten(1).mean(0)
        return recorded_step(*a, **k)

    c_opt.step = first_step
    _step(gen, crit, g_opt, c_opt, it, z_dim=3, n_critic=1, lipschitz="clip", clip=10.0)
    assert "got" in seen, "expected c_opt.step() once per critic update, found no critic optimizer step"
    assert "want" in seen, \
        ("expected a real batch (next(real_batches)) and a generated batch before the critic step, found none: "
         "draw both before c_opt.step()")
    got, want = seen["got"], seen["want"]
    assert got is not None, "expected a gradient on the critic's weights at c_opt.step(), found None (no backward?)"
    hint = ""
    if torch.allclose(got, -want, rtol=1e-4, atol=1e-5):
        hint = ": the opposite sign, so the critic is trained to lower real scores (critic_loss(real, fake) argument order?)"
    assert torch.allclose(got, want, rtol=1e-4, atol=1e-5), \
        (f"at the first critic update expected the weight gradient mean(fake) - mean(real) = "
         f"{[round(v, 4) for v in want.tolist()]}, found {[round(v, 4) for v in got.tolist()]}{hint}")

### BEGIN HIDDEN TESTS
@points(1.75)
def test_counts_optimizer_steps_and_batches():
    for n_critic in [2, 3]:
        gen, crit, g_opt, c_opt, it, log = _setup()
        kwargs = {} if n_critic == 2 else {"n_critic": n_critic}
        _step(gen, crit, g_opt, c_opt, it, z_dim=3, **kwargs)
        assert log["c_steps"] == n_critic, f"with n_critic={n_critic}: {log['c_steps']} critic optimizer steps"
        assert log["g_steps"] == 1, f"{log['g_steps']} generator optimizer steps per call (expected one)"
        assert len(log["yielded"]) == n_critic, \
            f"with n_critic={n_critic}: {len(log['yielded'])} real batches taken (one per critic update)"
        assert not torch.equal(gen.calls[-1][0], gen.calls[-2][0]), \
            "the generator update must draw fresh noise, not reuse the last critic update's"
        rows = sorted({tuple(z.shape) for z, _ in gen.calls})
        assert rows == [(5, 3)], (f"each batch of noise must have a row per real image of the batch and z_dim "
                                  f"columns, (5, 3) here; the generator got {rows}")


def _generator_problem(problem):
    return problem.startswith("the generator's gradient")


@points(2.75)
def test_critic_gradients_with_the_penalty():
    gen, crit, g_opt, c_opt, it, log = _setup("gp")
    out = _step(gen, crit, g_opt, c_opt, it, z_dim=3, lipschitz="gp")
    problems = [p for p in log["problems"] if not _generator_problem(p)]
    assert not problems, problems[0]
    assert out["penalty"] > 0, "'penalty' should report the gradient penalty (it is positive here)"


@points(1.5)
def test_generator_gradient_through_the_current_critic():
    gen, crit, g_opt, c_opt, it, log = _setup("gp")
    for p in gen.parameters():  # a gradient left over from an earlier step: the update must not add to it
        p.grad = torch.full_like(p, 7.0)
    _step(gen, crit, g_opt, c_opt, it, z_dim=3, lipschitz="gp")
    assert log["g_steps"] >= 1, "the generator optimizer never stepped"
    problems = [p for p in log["problems"] if _generator_problem(p)]
    assert not problems, problems[0]


@points(0.25)
def test_generator_step_leaves_the_critic_alone():
    gen, crit, g_opt, c_opt, it, log = _setup("gp")
    _step(gen, crit, g_opt, c_opt, it, z_dim=3)
    assert log["crit_at_g"] is not None, "the generator optimizer never stepped"
    assert all(torch.equal(p, q) for p, q in zip(crit.parameters(), log["crit_at_g"])), \
        "the critic changed after the generator's update"


@points(0.75)
def test_clipping_mode():
    gen, crit, g_opt, c_opt, it, log = _setup("clip", opt="adam")
    out = _step(gen, crit, g_opt, c_opt, it, z_dim=3, lipschitz="clip", clip=0.05)
    assert not log["problems"], log["problems"][0]
    for p in crit.parameters():
        assert p.abs().max() <= 0.05 + 1e-7, "with lipschitz='clip' the critic's parameters must end in [-clip, clip]"
    assert out["penalty"] == 0.0, "'penalty' must be 0.0 when clipping"
### END HIDDEN TESTS

run_tests(points=9, hidden=7)

# %% [markdown]
# **(b) Training.** The loop below trains for 40 epochs with Adam (learning rate $3\cdot10^{-4}$,
# $\beta = (0, 0.9)$ as in the WGAN-GP paper's algorithm), batch size 64 and 2 critic updates per generator
# update; an epoch is one pass of the critic over the training set. It shows a progress bar, saves a
# sample grid every 5 epochs under `figures/` and plots the loss curves. On a Colab GPU an epoch
# takes roughly 15-30 seconds (10-20 minutes for the 40); on one CPU core about 11 minutes. Nothing is
# trained while grading.
#
# Adversarial training does not settle on one set of weights: from one epoch to the next the generator
# keeps moving around a good solution. So the loop also keeps the **average of the generator's weights at
# the end of the last 5 epochs** (36 to 40; `torch.optim.swa_utils.AveragedModel`, batch-norm statistics
# averaged too), and the cells below sample, score and save that averaged generator. Averaging changes
# nothing in the training itself. On the reference run it drew cleaner digits than the epoch-40 generator:
# on 10,000 samples the Fréchet distance fell from 3.95 to 1.89 and the MNIST classifier score rose from
# 8.91 to 8.99 (Yazıcı et al., 2019, *The unusual effectiveness of averaging in GAN training*).
#
# After every epoch it saves a checkpoint, `checkpoints/wgan.pt` in the homework folder (the average
# included). If the runtime disconnects, run the notebook's cells again: training continues from the last
# saved epoch. A finished
# run is loaded, not trained again; to train from the start (say, after changing your training step,
# which the checkpoint notices), call `train_wgan(..., retrain=True)` or delete the file.

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
    runtime.seed_everything(runtime.run_seed())  # starting weights of this run's own (DGMLAB_SEED=n repeats a run)
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
# `(N, 1, 28, 28)`.

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


# %% kind="tests" grade_id="q3_samples_tests" points=4
from dgmlab.testing import points, run_tests

class _TinyGen(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.lin = nn.Linear(8, 784)

    def forward(self, z):
        return torch.tanh(self.lin(z)).view(-1, 1, 28, 28)

@points(1)
def test_shape_and_range():
    out = sample_generator(_TinyGen(), n=10, z_dim=8, seed=0)
    checks.assert_tensor(out, "sample_generator(_TinyGen(), n=10, z_dim=8)", shape=(10, 1, 28, 28),
                         dtype=torch.float32)
    assert out.min() >= -1 and out.max() <= 1, \
        (f"expected samples in [-1, 1] (the generator ends in tanh), found values in "
         f"[{float(out.min()):.3g}, {float(out.max()):.3g}]: return the generator's output unscaled")

### BEGIN HIDDEN TESTS
@points(1)
def test_no_gradient_and_mode_restored():
    g = _TinyGen()
    g.train()
    out = sample_generator(g, n=4, z_dim=8, seed=0)
    assert not out.requires_grad, "samples must not require grad (sample under torch.no_grad())"
    assert g.training, "sample_generator must restore the generator's training mode"
    seen = []
    g.register_forward_pre_hook(lambda m, inp: seen.append(m.training))
    sample_generator(g, n=4, z_dim=8, seed=0)
    assert seen and not any(seen), "the generator must be in eval mode while sampling"

@points(1)
def test_seeded():
    g = _TinyGen()
    a = sample_generator(g, n=6, z_dim=8, seed=3)
    torch.randn(100)
    b = sample_generator(g, n=6, z_dim=8, seed=3)
    c = sample_generator(g, n=6, z_dim=8, seed=4)
    checks.assert_close(a, b, atol=0, rtol=0, name="samples drawn twice with the same seed")
    assert (a - c).abs().max() > 1e-3, "different seeds must give different samples"

@points(1)
def test_save_round_trip(tmp="figures/_test_samples.pt"):
    x = torch.rand(100, 1, 28, 28, requires_grad=True) * 2 - 1
    p = save_samples(x, tmp)
    try:
        assert Path(p).exists(), "save_samples must write the file and return its path"
        y = torch.load(p, weights_only=True)
        assert isinstance(y, torch.Tensor), "save a torch tensor (torch.save), not another type"
        checks.assert_tensor(y, "the saved samples", shape=(100, 1, 28, 28), dtype=torch.float32,
                             requires_grad=False)
        checks.assert_close(y, x.detach(), atol=0, rtol=0, name="the saved samples")
    finally:
        Path(tmp).unlink(missing_ok=True)
### END HIDDEN TESTS

run_tests(points=4, hidden=3)

# %% [markdown]
# After full training the cell below saves what is graded: your generator's weights (the average of the
# last 5 epochs), `generator_weights.pt` in the homework folder (the state dict in float16, about 3 MB; see
# "Graded from your trained generator" below). It also saves 1,000 samples under `figures/` for you to look at,
# and scores them the way the grader will (noise from seed 0 here; the autograder draws its 1,000 with a seed
# of its own, see below).

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
        print(f"the graded draw with seed 0: MNIST classifier score {float(score):.2f} (bar 8.5), {classes} of 10 "
              "digit classes; the autograder draws with a seed of its own")
    else:
        print(f"fast mode: no {GRADED_WEIGHTS} saved (only a full-mode run writes the graded file)")


# %% [markdown]
# **(b) Scores (3 points).** The handout asks for the Inception Score. Inception-v3 was trained on
# colour photographs, so on grey 28x28 digits it means little; we report the **MNIST classifier
# score** (the same formula, $\exp\,\mathbb E_x\,D_{KL}(p(y|x)\,\|\,p(y))$, computed with a small
# MNIST classifier shipped in `dgmlab`: real test digits score about 9.9, the maximum is 10) and the
# Fréchet distance in that classifier's feature space, always; and the Inception-v3 score only when
# its weights are available. Implement `evaluate_samples(samples)` with
# `dgmlab.metrics.mnist_score`, `dgmlab.metrics.mnist_frechet_distance` and
# `dgmlab.metrics.inception_metrics`; the last raises `dgmlab.metrics.MetricUnavailable` when the
# weights cannot be had, in which case report `None` and the reason (as a string), without failing.

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


# %% kind="tests" grade_id="q3_evaluate_samples_tests" points=3
from dgmlab.testing import points, run_tests

def _real_digits(n=200):
    from dgmlab import data
    return data.mnist(train=False, scale="[-1,1]", source="sample").images[:n]

@points(1)
def test_keys_and_types():
    out = evaluate_samples(_real_digits(100))
    assert isinstance(out, dict), f"expected evaluate_samples to return a dict, found {type(out).__name__}"
    for k in ["mnist_score", "mnist_score_std", "mnist_frechet"]:
        assert isinstance(out.get(k), float), \
            (f"expected {k!r} to be a Python float, found {type(out.get(k)).__name__}"
             + (" (the key is missing)" if k not in out else ": convert with float(...)"))
    assert out.get("inception_score") is None or isinstance(out["inception_score"], float), \
        f"expected 'inception_score' to be a float or None, found {type(out.get('inception_score')).__name__}"
    assert isinstance(out.get("inception_note"), str), \
        f"expected 'inception_note' to be a string, found {type(out.get('inception_note')).__name__}"

### BEGIN HIDDEN TESTS
@points(1.25)
def test_values_match_dgmlab():
    from dgmlab import metrics
    x = _real_digits(200)
    out = evaluate_samples(x)
    mean, std = metrics.mnist_score(x)
    checks.assert_close(out["mnist_score"], float(mean), rtol=1e-6,
                        name="'mnist_score' (mnist_score returns (mean, std) in that order)")
    checks.assert_close(out["mnist_score_std"], float(std), rtol=1e-6, atol=1e-9, name="'mnist_score_std'")
    checks.assert_close(out["mnist_frechet"], float(metrics.mnist_frechet_distance(x)), rtol=1e-6,
                        name="'mnist_frechet'")

@points(0.75)
def test_inception_unavailable_is_reported_not_raised():
    from dgmlab import metrics
    real_inception = metrics.inception_metrics

    def with_inception(fake):  # inception_metrics as it behaves with and without Inception-v3 weights
        metrics.inception_metrics = fake
        try:
            return evaluate_samples(_real_digits(20))
        finally:
            metrics.inception_metrics = real_inception

    def unavailable(images, **kwargs):
        raise metrics.MetricUnavailable("no Inception-v3 weights in this test")

    out = with_inception(unavailable)
    assert out["inception_score"] is None, "with no Inception weights, 'inception_score' must be None"
    assert "no Inception-v3 weights in this test" in out["inception_note"],                 "'inception_note' must give the reason MetricUnavailable states"
    out = with_inception(lambda images, **kwargs: {"inception_score_mean": 3.25, "inception_score_std": 0.5})
    assert out["inception_score"] == 3.25,                 "when inception_metrics answers, 'inception_score' must be its 'inception_score_mean'"
### END HIDDEN TESTS

run_tests(points=3, hidden=2)

# %% uses_answers=true
if not runtime.is_grading():
    n_eval = runtime.pick(full=1000, fast=200)
    scores = evaluate_samples(sample_generator(generator, n=n_eval, seed=1))
    print(f"MNIST classifier score ({n_eval} samples, dgmlab's MNIST CNN): "
          f"{scores['mnist_score']:.2f} +- {scores['mnist_score_std']:.2f}  (real test digits: about 9.9)")
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


# %% kind="tests" grade_id="q3_interpolate_tests" points=5
from dgmlab.testing import points, run_tests

@points(1)
def test_shape_and_endpoints_linear():
    z0, z1 = torch.randn(5), torch.randn(5)
    out = interpolate(z0, z1, steps=7)
    checks.assert_tensor(out, "interpolate(z0, z1, 7)", shape=(7, 5))
    checks.assert_close(out[0], z0, atol=1e-6, name="the first row (expected z0)", reveal=True)
    gap = float((out[-1] - z1).norm())
    assert gap < 1e-5, \
        (f"expected the last row to be z1, found it {gap:.3g} away from z1: t must run from 0 to 1 "
         f"inclusive (torch.linspace(0, 1, steps) includes both ends)")

### BEGIN HIDDEN TESTS
@points(1)
def test_linear_is_evenly_spaced_on_the_segment():
    z0, z1 = torch.randn(6, dtype=torch.float64), torch.randn(6, dtype=torch.float64)
    out = interpolate(z0, z1, steps=9, method="linear")
    checks.assert_close(out[1:] - out[:-1], ((z1 - z0) / 8).expand(8, 6), atol=1e-9,
                        name="consecutive differences of the linear path")

@points(1.5)
def test_slerp_endpoints_and_constant_angular_speed():
    z0, z1 = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    z1 = z1 * z0.norm() / z1.norm()  # equal norms: then slerp moves at a constant angular speed
    out = interpolate(z0, z1, steps=6, method="slerp")
    checks.assert_tensor(out, "interpolate(..., method='slerp')", shape=(6, 8))
    checks.assert_close(out[0], z0, atol=1e-8, name="first slerp row")
    checks.assert_close(out[-1], z1, atol=1e-8, name="last slerp row")
    u = out / out.norm(dim=1, keepdim=True)
    ang = torch.arccos((u[1:] * u[:-1]).sum(1).clamp(-1, 1))
    checks.assert_close(ang, ang.mean().expand(5), atol=1e-6, name="angles between consecutive slerp steps")

@points(0.5)
def test_slerp_keeps_the_norm_between_equal_norm_vectors():
    z0 = torch.tensor([3.0, 0.0, 0.0], dtype=torch.float64)
    z1 = torch.tensor([0.0, 3.0, 0.0], dtype=torch.float64)
    out = interpolate(z0, z1, steps=5, method="slerp")
    checks.assert_close(out.norm(dim=1), torch.full((5,), 3.0, dtype=torch.float64), atol=1e-8,
                        name="norms along a slerp between orthogonal vectors of norm 3")

@points(0.5)
def test_slerp_of_parallel_vectors_is_finite():
    z0 = torch.tensor([3.0, 4.0], dtype=torch.float64)
    for z1 in [z0.clone(), 2 * z0]:
        out = interpolate(z0, z1, steps=3, method="slerp")
        assert torch.isfinite(out).all(), "slerp between parallel vectors must not return NaN"
        checks.assert_close(out[1], (z0 + z1) / 2, atol=1e-6,
                            name="midpoint of a slerp between parallel vectors")

@points(0.5)
def test_unknown_method_raises():
    try:
        interpolate(torch.zeros(2), torch.ones(2), steps=3, method="cubic")
    except ValueError:
        return
    raise AssertionError("an unknown method must raise ValueError")
### END HIDDEN TESTS

run_tests(points=5, hidden=4)

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
# This cell grades the generator you trained, not a file of images. It reads `generator_weights.pt`, which
# the cell after deliverable (a) saved in the homework folder after the full training, puts the weights in
# the notebook's `Generator`, draws 1,000 samples itself and scores those. A file of images could hold the best
# 1,000 of many draws; weights give the samples your generator draws, no better and no worse. While you work the
# noise comes from seed 0 (as `sample_generator(generator, n=1000, seed=0)`), so you see your score. The
# autograder draws with a seed of its own, made from your file and the course's secret key: the same file always
# gets the same seed, any other file an unrelated one, so weights tuned to one draw gain nothing. A full run
# clears the bar on every draw we tried (figures below).
#
# Weights that fit the notebook's `Generator` and draw new images (see below) earn 2 points. The other 5
# need, in addition, an MNIST classifier score of at least **8.5** for the 1,000 samples taken as one group
# (`dgmlab.metrics.mnist_score(samples, splits=1)`), with all **10** digit classes among them. Without the
# file the cell earns nothing and says so: submit `generator_weights.pt` with the notebook. The file is read
# with `dgmlab.artifacts` (tensors only, `torch.load(weights_only=True)`; it is about 3 MB, and one over
# 4 MB is not read).
#
# Why 1,000 samples and not 100: the score of 100 samples moves by about one point from one draw to the
# next, so a run stopped after 5 epochs sometimes looks finished. With 1,000 samples it does not. For scale,
# from runs of the reference solution: 20 draws of 1,000 samples scored at most 8.04 after 5 epochs, 8.16 to
# 8.45 after 9, at least 8.61 after 25 to 27 epochs, and 8.86 to 9.18 for the average of epochs 36-40 that a
# full run saves; 1,000 real test digits score about 9.7 this way, pure noise 1.0. In fast mode, which trains
# too little to write the file, a missing file is only reported.
#
# The samples must be new images, not MNIST digits the generator learned by heart. Each one is compared with
# all 70,000 MNIST digits (`dgmlab.novelty.find_copies`; a shift by a pixel or two, a turn of up to 25
# degrees or added noise does not hide a copy): if more than 10 of the 1,000 are near-copies of MNIST digits,
# the whole cell earns 0. A generator that learned the data rather than memorising it is not affected: in
# 140 such draws from the reference runs, none had more than 2.

# %% kind="tests" grade_id="q3_samples_quality_tests" points=7
import os

from dgmlab import artifacts
from dgmlab.testing import points, run_tests

GRADED_WEIGHTS = Path("generator_weights.pt")
DASHBOARD_DRAW = Path("graded_draw_100.pt")  # written while autograding: the first 100 samples, for the class dashboard

def _absent_in_fast_mode():
    # fast mode (CI's smoke run) trains too little to write the graded file: nothing to score there
    return runtime.mode() == "fast" and not GRADED_WEIGHTS.exists()

_CHECKED = {}  # this run's verdict on the file: both tests need it, the weights are read and drawn from once

def _graded_samples():
    """The grader's 1,000 samples from the saved weights and their near-copy report, once they pass every
    check but quality (else why this earns 0)."""
    if "x" not in _CHECKED:
        # the draw's seed: 0 while you work; under dgmlab autograde, the autograder's own for this file
        state, seed = artifacts.load_for_draw(GRADED_WEIGHTS, max_bytes=4_000_000,
                                              made_by="the cell after deliverable (a)")
        generator = artifacts.load_weights(Generator(), state, name="the weights in generator_weights.pt")  # eval mode
        z = torch.randn(1000, Z_DIM, generator=torch.Generator().manual_seed(seed))  # (1000, Z_DIM)
        with torch.no_grad():
            x = artifacts.samples(generator(z).float(), n=1000, name="the samples drawn from generator_weights.pt")
        if os.environ.get(runtime.GRADING_ENV) == "autograde":
            torch.save(x[:100].clone(), DASHBOARD_DRAW)
        _CHECKED["report"] = artifacts.require_new(x)
        _CHECKED["x"] = x
    return _CHECKED["x"], _CHECKED["report"]

@points(2)
def test_saved_generator_draws_1000_new_images():
    if _absent_in_fast_mode():
        print("fast mode: no generator_weights.pt (only full training writes it), so nothing is scored here")
        return
    _, report = _graded_samples()
    print("near-copy check:", report.summary())

@points(5)
def test_mnist_classifier_score_above_the_bar():
    from dgmlab import metrics
    if _absent_in_fast_mode():
        return
    x, _ = _graded_samples()  # weights that fail the checks above earn nothing here either
    score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
    classes = metrics.mnist_predict(x, scale="[-1,1]").unique().numel()
    print(f"MNIST classifier score of the 1,000 drawn samples: {float(score):.2f} (bar 8.5); "
          f"digit classes: {classes} (bar 10)")
    assert float(score) >= 8.5, (
        f"expected an MNIST classifier score of at least 8.5, found {float(score):.2f}: below the bar "
        "(a full run clears it; a run stopped early or a generator that lost its tanh may not)")
    assert classes == 10, \
        (f"expected all 10 digit classes among the drawn samples, found {classes}: "
         "the generator covers too few digits (mode collapse)")

run_tests(points=7)

# %% [markdown]
# *End of homework 1.* Submit this notebook **and** `generator_weights.pt` (and, if you like, the `figures/`
# folder). In Colab, download the notebook (*File -> Download -> .ipynb*) and `generator_weights.pt` from the
# homework folder on Google Drive (`MyDrive/dgm-course/hw1_wgan/`); don't submit `checkpoints/`.
