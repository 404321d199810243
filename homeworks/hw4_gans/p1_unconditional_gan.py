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
#   `torch.no_grad()`, `.detach()` or NumPy inside it); a network whose parameters no gradient reaches cannot learn, and earns no points.
#
# Both classes take their hidden widths as an argument; P2 reuses them.

# %% [markdown]
# ### P1.1 The generator (5 points)

# %% kind="answer" grade_id="p1_generator"
class Generator(nn.Module):
    """The statement's generator: noise ``z`` (N, latent_dim) float32 -> images (N, 784) float32 in (-1, 1), one
    hidden layer per width in ``widths``.

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


# %% kind="tests" grade_id="p1_generator_tests"
from dgmlab.probes import check
check("p1_generator_tests", Generator)

# %% [markdown]
# ### P1.2 The discriminator (5 points)
# It must accept images as `(N, 1, 28, 28)` or already flattened `(N, 784)`.

# %% kind="answer" grade_id="p1_discriminator"
class Discriminator(nn.Module):
    """The statement's discriminator: images (N, 1, 28, 28) or (N, 784) float32 -> logits (N, 1) float32, one hidden
    layer per width in ``widths``, each with dropout of probability ``dropout`` (active in training mode only).
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


# %% kind="tests" grade_id="p1_discriminator_tests"
from dgmlab.probes import check
check("p1_discriminator_tests", Discriminator)

# %% [markdown]
# ### P1.3 The two losses (4 points)
#
# With labels 1 for real and 0 for fake, the discriminator minimises
# $$\mathcal L_D = -\frac1N\sum_{i}\log\sigma(D(x_i)) \;-\; \frac1N\sum_{i}\log\bigl(1-\sigma(D(G(z_i)))\bigr).$$
# The minimax generator loss $\log(1-\sigma(D(G(z))))$ has no gradient when $D$ confidently rejects fakes, so the
# generator minimises the **non-saturating** loss $-\frac1N\sum_i \log\sigma(D(G(z_i)))$ instead. Compute both
# from the logits in a numerically stable form: logits reach $\pm 30$, where $1-\sigma$ rounds to 0 in float32.

# %% kind="answer" grade_id="p1_losses"
def discriminator_loss(real_logits, fake_logits):
    """real_logits, fake_logits: (N, 1) float32 logits -> 0-d tensor, the discriminator loss L_D above."""
    ### BEGIN SOLUTION
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake
    ### END SOLUTION


def generator_loss(fake_logits):
    """fake_logits: (N, 1) float32 logits of generated images -> 0-d tensor, the non-saturating generator loss."""
    ### BEGIN SOLUTION
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    ### END SOLUTION


# %% kind="tests" grade_id="p1_losses_tests"
from dgmlab.probes import check
check("p1_losses_tests", discriminator_loss, generator_loss)

# %% [markdown]
# ### P1.4 One update of each player (6 points)
#
# Each step clears old gradients, computes its loss, back-propagates, steps its own optimizer, and returns
# the loss as a `float`. The discriminator's fakes must not pass gradients to the generator (`.detach()`); the
# generator's gradient must flow *through* the discriminator. Each step changes only its own player: it leaves the
# other player's parameters, its training or eval mode and its `requires_grad` flags as it found them, and the
# discriminator's step leaves the generator's gradients as they were too (gradients that reach the discriminator
# during the generator's step are for the discriminator's own step to clear). The discriminator learns with its
# dropout on: its step runs it in training mode throughout, whatever mode it found it in, and leaves it in training
# mode.

# %% kind="answer" grade_id="p1_d_step"
def discriminator_step(generator, discriminator, d_opt, real, z):
    """One discriminator update. real: (N, 1, 28, 28) or (N, 784) float32; z: (N, latent_dim) float32.

    Returns the discriminator loss of this batch (before the update) as a float.
    """
    ### BEGIN SOLUTION
    discriminator.train()
    d_opt.zero_grad()
    with torch.no_grad():
        fake = generator(z)
    loss = discriminator_loss(discriminator(real), discriminator(fake))
    loss.backward()
    d_opt.step()
    return loss.item()
    ### END SOLUTION


# %% kind="tests" grade_id="p1_d_step_tests"
from dgmlab.probes import check
check("p1_d_step_tests", discriminator_step, discriminator_loss)

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


# %% kind="tests" grade_id="p1_g_step_tests"
from dgmlab.probes import check
check("p1_g_step_tests", generator_step, generator_loss)

