# %% [markdown]
# ## P3. A conditional GAN (15 points)
#
# A conditional GAN is told which digit to draw: each network embeds the label $y$ with its own
# `nn.Embedding(10, 10)`:
#
# * the **conditional generator** concatenates $[z, e_G(y)]$ (110 numbers) and feeds it to the P1 generator's
#   layers (128, 256, 512 units with LeakyReLU, then 784 with $\tanh$);
# * the **conditional discriminator** concatenates the flattened image with its own embedding
#   $[x, e_D(y)]$ (794 numbers) and feeds it to the P1 discriminator's layers (512, 256, 128 with LeakyReLU
#   and dropout, then one logit).
#
# P1's rules still hold: no normalisation, dropout only in the discriminator, every parameter (the embedding
# too) trained by gradient descent. As in P1, the arguments set the sizes: the embedding has `n_classes` rows of
# `embed_dim` numbers, the hidden layers follow `widths`, the noise has `latent_dim` numbers and the dropout
# probability is `dropout`; the defaults give the networks above.

# %% [markdown]
# ### P3.1 The conditional generator (4 points)

# %% kind="answer" grade_id="p3_cond_generator"
class ConditionalGenerator(nn.Module):
    """z (N, latent_dim) float32 and labels (N,) int64 in 0..n_classes-1 -> images (N, 784) float32 in (-1, 1)."""

    def __init__(self, latent_dim=100, n_classes=10, embed_dim=10, widths=(128, 256, 512), out_dim=784):
        super().__init__()
        self.latent_dim = latent_dim
        ### BEGIN SOLUTION
        self.embed = nn.Embedding(n_classes, embed_dim)
        layers, width_in = [], latent_dim + embed_dim
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2)]
            width_in = width
        layers += [nn.Linear(width_in, out_dim), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, z, labels):
        ### BEGIN SOLUTION
        return self.net(torch.cat([z, self.embed(labels)], dim=1))
        ### END SOLUTION


# %% kind="tests" grade_id="p3_cond_generator_tests"
from dgmlab.probes import check
check("p3_cond_generator_tests", ConditionalGenerator)

# %% [markdown]
# ### P3.2 The conditional discriminator (4 points)

# %% kind="answer" grade_id="p3_cond_discriminator"
class ConditionalDiscriminator(nn.Module):
    """images (N, 1, 28, 28) or (N, 784) float32 and labels (N,) int64 -> logits (N, 1) float32."""

    def __init__(self, n_classes=10, embed_dim=10, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        ### BEGIN SOLUTION
        self.embed = nn.Embedding(n_classes, embed_dim)
        layers, width_in = [], in_dim + embed_dim
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width_in = width
        layers.append(nn.Linear(width_in, 1))
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x, labels):
        ### BEGIN SOLUTION
        return self.net(torch.cat([x.reshape(x.shape[0], -1), self.embed(labels)], dim=1))
        ### END SOLUTION


# %% kind="tests" grade_id="p3_cond_discriminator_tests"
from dgmlab.probes import check
check("p3_cond_discriminator_tests", ConditionalDiscriminator)

# %% [markdown]
# ### P3.3 Conditional update steps (4 points)
#
# The same two steps as in P1, now with labels. In `cgan_discriminator_step` the fakes are generated **for the
# labels of the real batch** and shown to the discriminator **with those same labels** (real images with
# their labels are judged as real, fakes with the labels they were asked to show as fake). In
# `cgan_generator_step` the generator draws digits for the given labels and is scored by the discriminator
# with those labels. Use your P1 losses; return floats.

# %% kind="answer" grade_id="p3_cgan_steps"
def cgan_discriminator_step(generator, discriminator, d_opt, real, labels, z):
    """real: (N, 1, 28, 28) or (N, 784) float32; labels: (N,) int64; z: (N, latent_dim) float32 -> loss float."""
    ### BEGIN SOLUTION
    discriminator.train()
    d_opt.zero_grad()
    with torch.no_grad():
        fake = generator(z, labels)
    loss = discriminator_loss(discriminator(real, labels), discriminator(fake, labels))
    loss.backward()
    d_opt.step()
    return loss.item()
    ### END SOLUTION


def cgan_generator_step(generator, discriminator, g_opt, z, labels):
    """z: (N, latent_dim) float32; labels: (N,) int64 -> loss float (non-saturating)."""
    ### BEGIN SOLUTION
    g_opt.zero_grad()
    loss = generator_loss(discriminator(generator(z, labels), labels))
    loss.backward()
    g_opt.step()
    return loss.item()
    ### END SOLUTION


# %% kind="tests" grade_id="p3_cgan_steps_tests"
from dgmlab.probes import check
check("p3_cgan_steps_tests", cgan_discriminator_step, cgan_generator_step, discriminator_loss, generator_loss)

# %% [markdown]
# ### Training the conditional GAN
#
# The baseline's loop with labels passed along. Afterwards we draw one row per digit and measure the
# **conditional accuracy**: the share of digits the MNIST classifier assigns to the requested label.

# %% locked=true grade_id="cgan_runner"
def train_cgan(generator, discriminator, g_opt, d_opt, loader, epochs, progress=True):
    """Train a conditional GAN in place; return {"d_loss": [...], "g_loss": [...]} per update."""
    dev = next(generator.parameters()).device
    history = {"d_loss": [], "g_loss": []}
    bar = tqdm(total=epochs * len(loader), desc="conditional GAN", disable=not progress)
    for _ in range(epochs):
        for real, labels in loader:
            real, labels = real.to(dev), labels.to(dev)
            z = torch.randn(len(real), generator.latent_dim, device=dev)
            history["d_loss"].append(cgan_discriminator_step(generator, discriminator, d_opt, real, labels, z))
            z = torch.randn(len(real), generator.latent_dim, device=dev)
            history["g_loss"].append(cgan_generator_step(generator, discriminator, g_opt, z, labels))
            bar.update(1)
            bar.set_postfix(d=f"{history['d_loss'][-1]:.3f}", g=f"{history['g_loss'][-1]:.3f}", refresh=False)
    bar.close()
    return history


def conditional_accuracy(generator, n_per_class):
    """Share of generated digits that the MNIST classifier assigns to their requested label."""
    from dgmlab import metrics
    labels = torch.arange(10).repeat_interleave(n_per_class)
    predicted = metrics.mnist_predict(sample(generator, len(labels), labels), scale="[-1,1]")
    return float((predicted.cpu() == labels).float().mean())


def score_conditional(generator, n):
    """score() of n conditional samples drawn for labels 0,1,...,9,0,...: every split the score cuts holds every digit."""
    return score(sample(generator, n, torch.arange(10).repeat(n // 10)))


def run_cgan(data, retrain=False):
    """Train, plot, score and record the conditional GAN; resumes from its checkpoint like run_experiment."""
    seed_everything(run_seed())  # starting weights of this run's own
    generator = ConditionalGenerator(LATENT_DIM).to(device)
    discriminator = ConditionalDiscriminator().to(device)
    g_opt = torch.optim.Adam(generator.parameters(), lr=LR, betas=BETAS)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=BETAS)
    loader = data.loader(BATCH_SIZE)
    average = moving_average(generator, g_opt, updates_per_epoch=len(loader))
    # As in run_experiment: one epoch per call, a checkpoint after each, so a disconnect costs one epoch at most.
    ckpt = Checkpoint(CHECKPOINTS / f"cgan{pick(full='', fast='_fast')}.pt", epochs=EPOCHS,
                      generator=generator, discriminator=discriminator, g_opt=g_opt, d_opt=d_opt,
                      average=average, shuffle=loader.generator,
                      config=dict(data=data, batch_size=BATCH_SIZE, code=[cgan_discriminator_step, cgan_generator_step]))
    done, history = ckpt.resume({"d_loss": [], "g_loss": []}, retrain=retrain)
    for epoch in range(done + 1, EPOCHS + 1):
        h = train_cgan(generator, discriminator, g_opt, d_opt, loader, 1)
        history["d_loss"] += h["d_loss"]
        history["g_loss"] += h["g_loss"]
        ckpt.save(epoch, history)
    seconds_per_epoch = ckpt.seconds_per_epoch()
    plot_history("cgan", history)
    generator = average.module  # sampled, scored and saved: the averaged generator, as in run_experiment
    rows = torch.arange(10).repeat_interleave(10)
    grid = sample(generator, 100, rows)
    show(dgmlab.plots.image_grid(grid, nrow=10, title="conditional GAN: row k shows digit k", save=FIGURES / "cgan_grid.png"))
    # handed in: the averaged generator's weights (float16) in the homework folder
    dgmlab.workspace.saved(dgmlab.artifacts.save_weights(generator, CGAN_FILE), graded=not is_fast())
    report_bars(CGAN_FILE, labels=torch.arange(10).repeat_interleave(100))  # 100 of each digit
    acc = conditional_accuracy(generator, N_EVAL // 10)
    RESULTS["cgan"] = {"epochs": EPOCHS, "seconds_per_epoch": seconds_per_epoch, "data": data.source,
                       "conditional_accuracy": acc,
                       **score_conditional(generator, N_EVAL)}
    save_results()
    print(f"conditional GAN: {seconds_per_epoch:.1f} s/epoch, conditional accuracy {acc:.1%}, "
          f"MNIST classifier score {RESULTS['cgan']['mnist_score']:.2f}")
    return generator


# %% uses_answers=true
if not is_grading():
    cgan_generator = run_cgan(TRAIN)

# %% [markdown]
# ### Your trained conditional generator (3 points)
#
# Hand in `cgan_generator_weights.pt`, saved by the training cell. This part is scored from that file: 100 images of
# each digit from the conditional generator ($[z, e_G(y)]$ in that order) with these weights. Weights that fit and
# draw new digits earn 1 point; 2 more if the **conditional accuracy** (digits the MNIST classifier assigns to the
# requested label) is at least **95%** (real digits: 99%). A generator with more than 10 near-copies of MNIST digits
# among them earns 0.

# %% kind="tests" grade_id="p3_cgan_samples_tests"
from dgmlab.probes import check
check("p3_cgan_samples_tests")
