# %% [markdown]
# ## P1. An unconditional GAN for MNIST (20 points)
#
# The **generator** $G$ turns noise $z \sim \mathcal N(0, I_{100})$ into a flattened $28\times 28$ image; the
# **discriminator** $D$ outputs one *logit* $D(x)$, whose sigmoid is its belief that $x$ is real. Both are MLPs.
#
# * **Generator**: fully connected layers of **128, 256 and 512** units, each followed by a LeakyReLU
#   (slope 0.2), then a linear layer to 784 outputs and a $\tanh$, so pixels land in $(-1, 1)$ like the
#   training data.
# * **Discriminator**: fully connected layers of **512, 256 and 128** units, each followed by a LeakyReLU
#   (slope 0.2) and dropout (probability 0.3), then a linear layer to **one logit** (no sigmoid: the
#   loss below works on logits).
# * **No normalisation layer** in either network, and **dropout only in the discriminator** (it regularises
#   the judge; in the generator it would only blur samples).
# * Both are **trained by gradient descent**: `forward` keeps every parameter in the autograd graph (no
#   `torch.no_grad()`, `.detach()` or NumPy inside it); a network no gradient reaches earns no points.
#
# Both classes take their hidden widths as an argument; P2 reuses them.

# %% [markdown]
# ### P1.1 The generator (5 points)

# %% kind="answer" grade_id="p1_generator"
class Generator(nn.Module):
    """MLP generator: noise ``z`` (N, latent_dim) float32 -> images (N, 784) float32 in (-1, 1).

    Hidden layers: for each width w in ``widths``, nn.Linear(previous, w) then nn.LeakyReLU(0.2);
    output: nn.Linear(widths[-1], 784) then nn.Tanh(). No normalisation, no dropout.
    Keeps ``self.latent_dim`` (training code reads it to draw noise).
    """

    def __init__(self, latent_dim=100, widths=(128, 256, 512), out_dim=784):
        super().__init__()
        self.latent_dim = latent_dim
        ### BEGIN SOLUTION
        layers, width_in = [], latent_dim
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2)]
            width_in = width
        layers += [nn.Linear(width_in, out_dim), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, z):
        ### BEGIN SOLUTION
        return self.net(z)
        ### END SOLUTION


# %% kind="tests" grade_id="p1_generator_tests" points=5
from dgmlab.probes import check
check("p1_generator_tests", Generator)

### BEGIN HIDDEN TESTS
from dgmlab.grading.references.hw4_gans import kit_generator
from dgmlab.testing import points

@points(1)
def test_one_image_at_a_time():
    assert_trainable(trainable, "Generator()")
    # four noise vectors one by one: each image as the statement's network gives it (no batch statistics)
    with torch.no_grad():
        want = kit_generator(inputs.params)(inputs.z16[:4])
    checks.assert_close(one_at_a_time, want, rtol=1e-4, atol=1e-5,
                        name="Generator() on one noise vector at a time, with the grader's parameters")


@points(1)
def test_training_mode_changes_nothing():
    assert_trainable(trainable, "Generator()")
    # out16 ran in training mode: no dropout, no batch statistics, the statement's network exactly
    with torch.no_grad():
        want = kit_generator(inputs.params)(inputs.z16)
    checks.assert_close(out16, want, rtol=1e-4, atol=1e-5,
                        name="Generator() in training mode, with the grader's parameters")
### END HIDDEN TESTS

# %% [markdown]
# ### P1.2 The discriminator (5 points)
# It must accept images as `(N, 1, 28, 28)` or already flattened `(N, 784)`.

# %% kind="answer" grade_id="p1_discriminator"
class Discriminator(nn.Module):
    """MLP discriminator: images (N, 1, 28, 28) or (N, 784) float32 -> logits (N, 1) float32.

    For each width w in ``widths``: nn.Linear(previous, w), nn.LeakyReLU(0.2), nn.Dropout(dropout);
    then nn.Linear(widths[-1], 1). No sigmoid at the end, no normalisation.
    """

    def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        ### BEGIN SOLUTION
        layers, width_in = [], in_dim
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width_in = width
        layers.append(nn.Linear(width_in, 1))
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.net(x.reshape(x.shape[0], -1))
        ### END SOLUTION


# %% kind="tests" grade_id="p1_discriminator_tests" points=5
from dgmlab.probes import check
check("p1_discriminator_tests", Discriminator)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points


def _kit_train_logits(dropout):
    # the statement's discriminator in training mode, its dropout masks drawn from the seed the probe used
    layers, width_in = [], 784
    for width in (512, 256, 128):
        layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
        width_in = width
    net = load_by_shape(nn.Sequential(*layers, nn.Linear(width_in, 1)), inputs.params, "the kit's discriminator").train()
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(inputs.dropout_seed)
        return net(inputs.x32)


@points(1.25)
def test_dropout_in_training_mode():
    assert_trainable(trainable, "Discriminator()")
    checks.assert_close(train_out, _kit_train_logits(0.3), rtol=1e-4, atol=1e-5,
                        name="Discriminator() in training mode (dropout 0.3 after each hidden layer), same masks")


@points(1)
def test_dropout_argument_is_used():
    assert_trainable(trainable, "Discriminator()")
    checks.assert_close(half_dropout_train_out, _kit_train_logits(0.5), rtol=1e-4, atol=1e-5,
                        name="Discriminator(dropout=0.5) in training mode, same masks")
### END HIDDEN TESTS

# %% [markdown]
# ### P1.3 The two losses (4 points)
#
# With labels 1 for real and 0 for fake, the discriminator minimises
# $$\mathcal L_D = -\frac1N\sum_{i}\log\sigma(D(x_i)) \;-\; \frac1N\sum_{i}\log\bigl(1-\sigma(D(G(z_i)))\bigr).$$
# The minimax generator loss $\log(1-\sigma(D(G(z))))$ has no gradient when $D$ confidently rejects fakes, so the
# generator minimises the **non-saturating** loss $-\frac1N\sum_i \log\sigma(D(G(z_i)))$ instead. Work on logits
# with a stable form (`F.binary_cross_entropy_with_logits` or `F.softplus`): logits reach $\pm 30$.

# %% kind="answer" grade_id="p1_losses"
def discriminator_loss(real_logits, fake_logits):
    """real_logits, fake_logits: (N, 1) float32 logits -> 0-d tensor: mean BCE(real, 1) + mean BCE(fake, 0)."""
    ### BEGIN SOLUTION
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake
    ### END SOLUTION


def generator_loss(fake_logits):
    """fake_logits: (N, 1) float32 logits of generated images -> 0-d tensor: mean BCE(fake, 1) (non-saturating)."""
    ### BEGIN SOLUTION
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    ### END SOLUTION


# %% kind="tests" grade_id="p1_losses_tests" points=4
from dgmlab.probes import check
check("p1_losses_tests", discriminator_loss, generator_loss)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points

@points(0.75)
def test_values_on_fixed_logits():
    real, fake = inputs.real.double(), inputs.fake.double()
    want_d = (-torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()).item()
    want_g = (-torch.log(torch.sigmoid(fake)).mean()).item()
    checks.assert_close(d_values, want_d, rtol=1e-5, name="discriminator_loss on fixed logits")
    checks.assert_close(g_values, want_g, rtol=1e-5, name="generator_loss on fixed logits")


@points(0.5)
def test_batch_mean_not_sum():
    checks.assert_close(d_repeated[0], d_repeated[1], rtol=1e-5, name="discriminator_loss of a repeated batch")
    checks.assert_close(g_repeated[0], g_repeated[1], rtol=1e-5, name="generator_loss of a repeated batch")


@points(0.25)
def test_discriminator_gradients_push_the_right_way():
    r, f = d_grads
    assert r is not None and f is not None and (r < 0).all() and (f > 0).all(), \
        "minimising discriminator_loss must raise real logits and lower fake logits"


@points(0.5)
def test_generator_gradient_does_not_saturate():
    assert g_grad is not None and (g_grad < -0.2).all(), \
        "the generator loss must keep a strong gradient when D confidently rejects fakes (non-saturating form)"
### END HIDDEN TESTS

# %% [markdown]
# ### P1.4 One update of each player (6 points)
#
# Each step clears old gradients, computes its loss, back-propagates, steps its own optimizer, and returns
# the loss as a `float`. The discriminator's fakes must not pass gradients to the generator (`.detach()`); the
# generator's gradient must flow *through* the discriminator. Each step changes only its own player.

# %% kind="answer" grade_id="p1_d_step"
def discriminator_step(generator, discriminator, d_opt, real, z):
    """One discriminator update. real: (N, 1, 28, 28) or (N, 784) float32; z: (N, latent_dim) float32.

    Returns the discriminator loss of this batch (before the update) as a float.
    """
    ### BEGIN SOLUTION
    d_opt.zero_grad()
    with torch.no_grad():
        fake = generator(z)
    loss = discriminator_loss(discriminator(real), discriminator(fake))
    loss.backward()
    d_opt.step()
    return loss.item()
    ### END SOLUTION


# %% kind="tests" grade_id="p1_d_step_tests" points=3
from dgmlab.probes import check
check("p1_d_step_tests", discriminator_step, discriminator_loss)

### BEGIN HIDDEN TESTS
from dgmlab.grading.references.hw4_gans import reference_sgd_step
from dgmlab.testing import points

def _d_loss(g, d):
    # the grader's own step: P1.3's discriminator loss on this batch, the fakes detached
    real, fake = d(inputs.real), d(g(inputs.z).detach())
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


@points(1.25)
def test_one_sgd_step_on_the_discriminator_loss():
    for p, w in paired(value(fresh_step, "the step")["after"], reference_sgd_step(inputs, "D", _d_loss),
                        "discriminator parameters after the step"):
        checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                            name="discriminator parameters after one step from the grader's start (one SGD step on the discriminator loss)")

### END HIDDEN TESTS

# %% kind="answer" grade_id="p1_g_step"
def generator_step(generator, discriminator, g_opt, z):
    """One generator update (non-saturating loss). z: (N, latent_dim) float32.

    Returns the generator loss of this batch (before the update) as a float.
    """
    ### BEGIN SOLUTION
    g_opt.zero_grad()
    loss = generator_loss(discriminator(generator(z)))
    loss.backward()
    g_opt.step()
    return loss.item()
    ### END SOLUTION


# %% kind="tests" grade_id="p1_g_step_tests" points=3
from dgmlab.probes import check
check("p1_g_step_tests", generator_step, generator_loss)

### BEGIN HIDDEN TESTS
from dgmlab.grading.references.hw4_gans import reference_sgd_step
from dgmlab.testing import points

def _g_loss(g, d):
    # the grader's own step: P1.3's non-saturating generator loss on this batch
    fake = d(g(inputs.z))
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


@points(1.25)
def test_one_sgd_step_on_the_non_saturating_loss():
    for p, w in paired(value(fresh_step, "the step")["after"], reference_sgd_step(inputs, "G", _g_loss),
                        "generator parameters after the step"):
        checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                            name="generator parameters after one step from the grader's start (one SGD step on the non-saturating loss)")


@points(0.5)
def test_old_gradients_cleared():
    for p, w in paired(value(stale_step, "the step")["after"], reference_sgd_step(inputs, "G", _g_loss),
                        "generator parameters after the step"):
        checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                            name="generator parameters after a step that follows an earlier one (old gradients cleared?)")


@points(0.25)
def test_discriminator_untouched():
    # the discriminator's parameters after the generator step: still the grader's seeded start
    for p, w in paired(value(fresh_step, "the step")["other_after"], inputs.D0, "discriminator parameters after the step"):
        checks.assert_close(p, w, atol=0, rtol=0, name="the discriminator's parameters after the generator step")
### END HIDDEN TESTS
