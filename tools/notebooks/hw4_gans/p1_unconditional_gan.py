# %% [markdown]
# ## P1. An unconditional GAN for MNIST (20 points)
#
# A GAN trains two networks against each other. The **generator** $G$ turns a noise vector
# $z \sim \mathcal N(0, I_{100})$ into a flattened $28\times 28$ image; the **discriminator** $D$ reads an
# image and outputs a single *logit* $D(x) \in \mathbb R$, whose sigmoid $\sigma(D(x))$ is its belief
# that $x$ is a real digit. Both networks here are plain multilayer perceptrons.
#
# * **Generator**: fully connected layers of **128, 256 and 512** units, each followed by a LeakyReLU
#   (slope 0.2), then a linear layer to 784 outputs and a $\tanh$, so pixels land in $(-1, 1)$ like the
#   training data.
# * **Discriminator**: fully connected layers of **512, 256 and 128** units, each followed by a LeakyReLU
#   (slope 0.2) and dropout (probability 0.3), then a linear layer to **one logit** (no sigmoid: the
#   loss below works on logits).
# * **No normalisation layer** (batch norm or otherwise) in either network, and **dropout only in the
#   discriminator**: it regularises the judge, while noise inside the generator would only blur its
#   samples.
#
# Both classes take their hidden widths as an argument; P2 reuses them with other widths.

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
from dgmlab.testing import points, run_tests
from dgmlab import checks


@points(0.5)
def test_maps_noise_to_flat_images_in_range():
    out = Generator()(torch.randn(16, 100))
    checks.assert_tensor(out, "Generator()(z)", shape=(16, 784), dtype=torch.float32)
    assert out.abs().max() < 1, \
        (f"expected outputs in (-1, 1), like pixels scaled to [-1, 1]; found values up to {float(out.abs().max()):.3g} "
         "in size: the last layer needs a tanh")


@points(0.25)
def test_stores_latent_dim():
    found = getattr(Generator(latent_dim=7), "latent_dim", None)
    assert found == 7, f"expected Generator(latent_dim=7).latent_dim == 7, found {found!r}: keep the argument as self.latent_dim"


@points(0.75)
def test_outputs_span_both_signs_and_saturate():
    g = Generator()
    with torch.no_grad():
        for m in g.modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(20)
        out = g(torch.randn(64, 100))
    lo, hi = float(out.min()), float(out.max())
    hint = (": a sigmoid squashes to (0, 1); the statement asks for a tanh, whose range (-1, 1) matches the data"
            if lo >= 0 else ": does the output pass through a tanh as the last step?")
    assert lo < -0.99 and hi > 0.99, \
        f"expected outputs close to both -1 and 1 once the weights are scaled up 20x, found the range [{lo:.3g}, {hi:.3g}]{hint}"

### BEGIN HIDDEN TESTS
@points(0.75)
def test_linear_widths_in_call_order():
    calls, _ = called_modules(Generator(), torch.randn(4, 100))
    assert linear_shapes(calls) == [(100, 128), (128, 256), (256, 512), (512, 784)], \
        "the nn.Linear layers that run in forward do not have the statement's widths in that order"


@points(0.5)
def test_latent_dim_and_widths_arguments_are_used():
    calls, _ = called_modules(Generator(latent_dim=8, widths=(16, 32)), torch.randn(4, 8))
    assert linear_shapes(calls) == [(8, 16), (16, 32), (32, 784)], \
        "Generator ignores its latent_dim or widths arguments"


@points(0.75)
def test_leaky_relu_after_each_hidden_layer_and_tanh_output():
    calls, _ = called_modules(Generator(), torch.randn(4, 100))
    assert count_calls(calls, nn.LeakyReLU) == 3, "expected one LeakyReLU after each hidden layer"
    assert count_calls(calls, nn.Tanh) == 1 and isinstance(calls[-1], nn.Tanh), \
        "the generator must end with a single tanh"
    assert not any(isinstance(m, (nn.Sigmoid, nn.ReLU)) for m in calls), \
        "the generator uses an activation the statement does not ask for"


@points(0.5)
def test_leaky_relu_slope_is_the_statements():
    calls, _ = called_modules(Generator(), torch.randn(4, 100))
    slopes = leaky_slopes(calls)
    assert slopes and all(abs(s - 0.2) < 1e-6 for s in slopes), \
        "the generator's LeakyReLUs do not have the statement's slope on negative inputs"


@points(0.5)
def test_no_normalisation():
    g = Generator()
    assert not [m for m in g.modules() if isinstance(m, NORM_LAYERS)], "the generator must not normalise activations"
    for m in g.modules():
        if isinstance(m, nn.Dropout):
            m.eval()  # dropout is another test's business: here only batch statistics
    z = torch.randn(8, 100)
    with torch.no_grad():
        batch, single = g(z), g(z[:1])
    assert torch.allclose(single[0], batch[0], atol=1e-5), \
        "an image must not depend on the other noise vectors of the batch (no batch statistics)"


@points(0.5)
def test_no_dropout():
    g = Generator().train()
    assert not [m for m in g.modules() if isinstance(m, nn.Dropout)], "dropout belongs only in the discriminator"
    z = torch.randn(8, 100)
    with torch.no_grad():
        a, b = g(z), g(z)
    assert torch.equal(a, b), "in training mode the generator must be deterministic given z (no dropout)"
### END HIDDEN TESTS

run_tests(points=5, hidden=3.5)


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
from dgmlab.testing import points, run_tests
from dgmlab import checks


@points(0.5)
def test_one_logit_per_image_for_both_input_shapes():
    d = Discriminator().eval()
    x = torch.rand(10, 1, 28, 28) * 2 - 1
    checks.assert_tensor(d(x.reshape(10, 784)), "Discriminator()(x) for (N,784)", shape=(10, 1))
    try:
        out = d(x)
    except RuntimeError as exc:
        raise AssertionError(f"expected (N, 1, 28, 28) images to be accepted, found an error ({str(exc)[:80]}): "
                             "flatten x to (N, 784) in forward") from None
    checks.assert_tensor(out, "Discriminator()(x) for (N,1,28,28)", shape=(10, 1), dtype=torch.float32)


@points(0.75)
def test_outputs_raw_logits():
    d = Discriminator().eval()
    with torch.no_grad():
        for m in d.modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(10)
        out = d(torch.randn(64, 784))
    lo, hi = float(out.min()), float(out.max())
    assert lo < -1 and hi > 1, \
        (f"expected logits beyond -1 and 1 once the weights are scaled up 10x, found the range [{lo:.3g}, {hi:.3g}]: "
         "a sigmoid (or tanh) at the end squashes the logit, and the P1.3 loss would apply the sigmoid a second time")

### BEGIN HIDDEN TESTS
@points(1)
def test_linear_widths_in_call_order():
    calls, _ = called_modules(Discriminator().eval(), torch.randn(4, 784))
    assert linear_shapes(calls) == [(784, 512), (512, 256), (256, 128), (128, 1)], \
        "the nn.Linear layers that run in forward do not have the statement's widths in that order"


@points(0.25)
def test_widths_argument_is_used():
    calls, _ = called_modules(Discriminator(widths=(64, 32, 16, 8)).eval(), torch.randn(4, 784))
    assert linear_shapes(calls) == [(784, 64), (64, 32), (32, 16), (16, 8), (8, 1)], \
        "Discriminator ignores its widths argument"


@points(0.5)
def test_leaky_relu_with_the_statements_slope_on_each_hidden_layer():
    calls, _ = called_modules(Discriminator().eval(), torch.randn(4, 784))
    assert count_calls(calls, nn.LeakyReLU) == 3, "expected one LeakyReLU after each hidden layer"
    slopes = leaky_slopes(calls)
    assert all(abs(s - 0.2) < 1e-6 for s in slopes), \
        "the discriminator's LeakyReLUs do not have the statement's slope on negative inputs"


@points(0.5)
def test_dropout_in_training_mode_only():
    calls, _ = called_modules(Discriminator().eval(), torch.randn(4, 784))
    assert count_calls(calls, nn.Dropout) >= 1, "the discriminator must use dropout"
    d = Discriminator().train()
    x = torch.randn(32, 784)
    with torch.no_grad():
        a, b = d(x), d(x)
    assert not torch.equal(a, b), "in training mode dropout should make two passes differ"
    d.eval()
    with torch.no_grad():
        a, b = d(x), d(x)
    assert torch.equal(a, b), "in eval mode the discriminator must be deterministic"


@points(0.5)
def test_dropout_rate_is_the_statements():
    calls, _ = called_modules(Discriminator().eval(), torch.randn(4, 784))
    rates = dropout_rates(calls)
    assert len(rates) == 3 and all(abs(r - 0.3) < 0.01 for r in rates), \
        "each hidden layer needs dropout with the statement's probability (measured rates differ)"


@points(0.25)
def test_dropout_argument_is_used():
    calls, _ = called_modules(Discriminator(dropout=0.5).eval(), torch.randn(4, 784))
    rates = dropout_rates(calls)
    assert rates and all(abs(r - 0.5) < 0.01 for r in rates), "Discriminator ignores its dropout argument"


@points(0.75)
def test_no_normalisation_layers():
    assert not [m for m in Discriminator().modules() if isinstance(m, NORM_LAYERS)], \
        "the discriminator must not normalise activations"
### END HIDDEN TESTS

run_tests(points=5, hidden=3.75)


# %% [markdown]
# ### P1.3 The two losses (4 points)
#
# With labels 1 for real and 0 for fake, the discriminator minimises the binary cross-entropy
# $$\mathcal L_D = -\frac1N\sum_{i}\log\sigma(D(x_i)) \;-\; \frac1N\sum_{i}\log\bigl(1-\sigma(D(G(z_i)))\bigr),$$
# i.e. the mean BCE on the real batch **plus** the mean BCE on the fake batch. The minimax game would
# have the generator *minimise* $\log(1-\sigma(D(G(z))))$, whose gradient vanishes exactly when the
# generator is bad and $D$ rejects its samples confidently. Instead we use the **non-saturating**
# generator loss: the generator minimises $-\frac1N\sum_i \log\sigma(D(G(z_i)))$, i.e. BCE of the fake logits
# against the label 1.
#
# Work on logits with a numerically stable form (`F.binary_cross_entropy_with_logits` or
# `F.softplus`): the loss must stay exact for logits as large as $\pm 30$, where $\sigma$ rounds to 0 or 1
# in float32.

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
from dgmlab.testing import points, run_tests
from dgmlab import checks


@points(0.5)
def test_scalar_tensors_that_keep_the_graph():
    r = torch.randn(5, 1, requires_grad=True)
    f = torch.randn(5, 1, requires_grad=True)
    checks.assert_tensor(discriminator_loss(r, f), "discriminator_loss", shape=(), requires_grad=True)
    checks.assert_tensor(generator_loss(f), "generator_loss", shape=(), requires_grad=True)


@points(1)
def test_zero_logits_give_log_two_per_term():
    z = torch.zeros(6, 1)
    g, d = float(generator_loss(z)), float(discriminator_loss(z, z))
    log2 = math.log(2)
    hint_g = {round(-log2, 4): ": that is -log 2, the saturating form log(1 - D(G(z))); use -log D(G(z))",
              round(F.softplus(torch.tensor(-0.5)).item(), 4): ": that is BCE of sigmoid(0) = 0.5 taken as a logit: "
                                                                "the sigmoid is applied twice (pass logits, not probabilities)"}
    assert abs(g - log2) < 1e-5, \
        f"expected generator_loss(0) = log 2 = {log2:.4f}, found {g:.4f}" + hint_g.get(round(g, 4), "")
    hint_d = (": that is half the sum; the statement asks for mean BCE(real) + mean BCE(fake)" if abs(d - log2) < 1e-4
              else ": BCE(sigmoid(0) = 0.5 taken as a logit) twice: pass logits, not probabilities"
              if abs(d - 2 * F.softplus(torch.tensor(-0.5)).item()) < 1e-4 else "")
    assert abs(d - 2 * log2) < 1e-5, \
        f"expected discriminator_loss(0, 0) = 2 log 2 = {2 * log2:.4f} (log 2 per term), found {d:.4f}{hint_d}"

### BEGIN HIDDEN TESTS
@points(0.75)
def test_values_on_fixed_logits():
    real = torch.tensor([[2.0], [-1.0], [0.5], [3.0]])
    fake = torch.tensor([[-2.0], [1.5], [0.0], [-0.5]])
    want_d = (-torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()).item()
    want_g = (-torch.log(torch.sigmoid(fake)).mean()).item()
    checks.assert_close(discriminator_loss(real, fake), want_d, rtol=1e-5, name="discriminator_loss on fixed logits")
    checks.assert_close(generator_loss(fake), want_g, rtol=1e-5, name="generator_loss on fixed logits")


@points(0.5)
def test_batch_mean_not_sum():
    r, f = torch.randn(3, 1), torch.randn(3, 1)
    checks.assert_close(discriminator_loss(r.repeat(4, 1), f.repeat(4, 1)), discriminator_loss(r, f),
                        rtol=1e-5, name="discriminator_loss of a repeated batch")
    checks.assert_close(generator_loss(f.repeat(4, 1)), generator_loss(f), rtol=1e-5,
                        name="generator_loss of a repeated batch")


@points(0.5)
def test_stable_for_large_logits():
    big = torch.tensor([[30.0], [-30.0]])
    checks.assert_close(generator_loss(big), 15.0, rtol=1e-4, name="generator_loss at logits +-30")
    checks.assert_close(discriminator_loss(big, big), 30.0, rtol=1e-4, name="discriminator_loss at logits +-30")


@points(0.25)
def test_discriminator_gradients_push_the_right_way():
    r = torch.zeros(4, 1, requires_grad=True)
    f = torch.zeros(4, 1, requires_grad=True)
    discriminator_loss(r, f).backward()
    assert r.grad is not None and f.grad is not None and (r.grad < 0).all() and (f.grad > 0).all(), \
        "minimising discriminator_loss must raise real logits and lower fake logits"


@points(0.5)
def test_generator_gradient_does_not_saturate():
    f = torch.full((4, 1), -5.0, requires_grad=True)
    generator_loss(f).backward()
    assert f.grad is not None and (f.grad < -0.2).all(), \
        "the generator loss must keep a strong gradient when D confidently rejects fakes (non-saturating form)"
### END HIDDEN TESTS

run_tests(points=4, hidden=2.5)


# %% [markdown]
# ### P1.4 One update of each player (6 points)
#
# One step of each player, on a batch of real images and noise passed in by the caller:
#
# * `discriminator_step`: clear the old gradients, generate fakes from `z` **without** letting gradients
#   flow into the generator (`torch.no_grad()` or `.detach()`), compute `discriminator_loss`, back-propagate,
#   step `d_opt`. Return the loss as a Python `float`.
# * `generator_step`: clear the old gradients, generate fakes from `z` (this time gradients must reach the
#   generator *through* the discriminator), compute `generator_loss`, back-propagate, step `g_opt`.
#   Return the loss as a Python `float`.
#
# Each step must change only its own player's parameters.

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
from dgmlab.testing import points, run_tests
from dgmlab import checks


@points(0.25)
def test_returns_a_float():
    g, d = TinyGenerator(), TinyDiscriminator()
    out = discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), torch.rand(8, 784), torch.randn(8, 4))
    assert isinstance(out, float), \
        f"expected discriminator_step to return a Python float, found {type(out).__name__} (use loss.item())"


@points(0.5)
def test_returns_the_loss_of_this_batch():
    g, d = TinyGenerator(), TinyDiscriminator()
    real, z = torch.rand(8, 784) * 2 - 1, torch.randn(8, 4)
    with torch.no_grad():
        fake = g(z)
        want = float(discriminator_loss(d(real), d(fake)))
        swapped = float(discriminator_loss(d(fake), d(real)))
    out = discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), real, z)
    hint = ": that is the loss with real and fake swapped (reals go first)" if abs(out - swapped) < 1e-5 * (1 + abs(swapped)) else ""
    assert abs(out - want) < 1e-5 * (1 + abs(want)), \
        f"expected the discriminator loss of this batch before the update, {want:.5f}, found {out:.5f}{hint}"


@points(0.25)
def test_generator_untouched():
    g, d = TinyGenerator(), TinyDiscriminator()
    before = [p.detach().clone() for p in g.parameters()]
    discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), torch.rand(8, 784), torch.randn(8, 4))
    assert all(torch.equal(p, b) for p, b in zip(g.parameters(), before)), \
        "expected the generator's parameters unchanged by the discriminator step, found them changed"
    leaked = [p for p in g.parameters() if p.grad is not None and p.grad.abs().sum() > 0]
    assert not leaked, \
        (f"expected no gradient in the generator after the discriminator step, found gradients in {len(leaked)} of its "
         "parameter tensors: make the fakes under torch.no_grad() or .detach() them")

### BEGIN HIDDEN TESTS
def _one_step(stale):
    g, d = TinyGenerator(), TinyDiscriminator()
    real, z = torch.rand(8, 784) * 2 - 1, torch.randn(8, 4)
    ref = copy.deepcopy(d)
    with torch.no_grad():
        fake = g(z)
    loss = discriminator_loss(ref(real), ref(fake))  # your P1.3 loss: graded there, not here
    grads = torch.autograd.grad(loss, list(ref.parameters()))
    want = [p.detach() - 0.1 * gr for p, gr in zip(ref.parameters(), grads)]
    if stale:
        for p in d.parameters():
            p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
    discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), real, z)
    return list(d.parameters()), want


@points(1.25)
def test_one_sgd_step_on_the_discriminator_loss():
    got, want = _one_step(stale=False)
    for p, w in zip(got, want):
        checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                            name="discriminator parameters after the step (one SGD step on discriminator_loss)")


@points(0.75)
def test_old_gradients_cleared():
    got, want = _one_step(stale=True)
    for p, w in zip(got, want):
        checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                            name="discriminator parameters after a step that follows an earlier one (old gradients cleared?)")
### END HIDDEN TESTS

run_tests(points=3, hidden=2)


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
from dgmlab.testing import points, run_tests
from dgmlab import checks


@points(0.25)
def test_returns_a_float():
    g, d = TinyGenerator(), TinyDiscriminator()
    out = generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), torch.randn(8, 4))
    assert isinstance(out, float), \
        f"expected generator_step to return a Python float, found {type(out).__name__} (use loss.item())"


@points(0.25)
def test_moves_the_generator():
    g, d = TinyGenerator(), TinyDiscriminator()
    before = [p.detach().clone() for p in g.parameters()]
    generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), torch.randn(8, 4))
    assert any(not torch.equal(p, b) for p, b in zip(g.parameters(), before)), \
        ("expected the generator's parameters to change after its step, found them unchanged: "
         "is the fake batch detached, so no gradient reaches the generator?")


@points(0.5)
def test_returns_the_non_saturating_loss_of_this_batch():
    g, d = TinyGenerator(), TinyDiscriminator()
    z = torch.randn(8, 4)
    with torch.no_grad():
        logits = d(g(z))
        want = float(generator_loss(logits))  # your P1.3 loss: graded there, not here
        saturating = float(-F.softplus(logits).mean())
    out = generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), z)
    hint = (": that is the saturating loss log(1 - D(G(z))); the generator minimises -log D(G(z))"
            if abs(out - saturating) < 1e-5 * (1 + abs(saturating)) else "")
    assert abs(out - want) < 1e-5 * (1 + abs(want)), \
        f"expected the non-saturating generator loss of this batch before the update, {want:.5f}, found {out:.5f}{hint}"

### BEGIN HIDDEN TESTS
def _one_step(stale):
    g, d = TinyGenerator(), TinyDiscriminator()
    z = torch.randn(8, 4)
    ref_g, ref_d = copy.deepcopy(g), copy.deepcopy(d)
    loss = generator_loss(ref_d(ref_g(z)))  # your P1.3 loss: graded there, not here
    grads = torch.autograd.grad(loss, list(ref_g.parameters()))
    want = [p.detach() - 0.1 * gr for p, gr in zip(ref_g.parameters(), grads)]
    if stale:
        for p in g.parameters():
            p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
    generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), z)
    return list(g.parameters()), want


@points(1.25)
def test_one_sgd_step_on_the_non_saturating_loss():
    got, want = _one_step(stale=False)
    for p, w in zip(got, want):
        checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                            name="generator parameters after the step (one SGD step on generator_loss)")


@points(0.5)
def test_old_gradients_cleared():
    got, want = _one_step(stale=True)
    for p, w in zip(got, want):
        checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                            name="generator parameters after a step that follows an earlier one (old gradients cleared?)")


@points(0.25)
def test_discriminator_untouched():
    g, d = TinyGenerator(), TinyDiscriminator()
    before = [p.detach().clone() for p in d.parameters()]
    generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), torch.randn(8, 4))
    assert all(torch.equal(p, b) for p, b in zip(d.parameters(), before)), "the generator step changed the discriminator"
### END HIDDEN TESTS

run_tests(points=3, hidden=2)
