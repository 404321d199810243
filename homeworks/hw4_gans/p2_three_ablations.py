# %% [markdown]
# ## P2. Three ablations (15 points)
#
# An ablation changes one thing and keeps the rest. Against the P1 baseline we try:
#
# 1. `"wide_generator"`: every hidden width of the generator doubled, **256, 512, 1024**; discriminator as in P1.
# 2. `"deep_discriminator"`: a discriminator with one more hidden layer, **1024, 512, 256, 128** (each with
#    LeakyReLU and dropout); generator as in P1.
# 3. `"d_steps_10"`: the P1 networks, but the discriminator is updated **10 times per generator update**.
#
# ### P2.1 Building each experiment (3 points)
# `make_gan(experiment, latent_dim=100)` returns a fresh `(generator, discriminator, d_steps)` for `"baseline"` and
# the three names above (`d_steps` is 1 except for `"d_steps_10"`) and raises `ValueError` for any other name. Use
# your P1 classes; every experiment's generator takes noise of `latent_dim` columns.

# %% kind="answer" grade_id="p2_make_gan"
EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")


def make_gan(experiment, latent_dim=100):
    """experiment: one of EXPERIMENTS -> (Generator, Discriminator, d_steps: int), freshly initialised."""
    ### BEGIN SOLUTION
    g_widths, d_widths, d_steps = (128, 256, 512), (512, 256, 128), 1
    if experiment == "wide_generator":
        g_widths = (256, 512, 1024)
    elif experiment == "deep_discriminator":
        d_widths = (1024, 512, 256, 128)
    elif experiment == "d_steps_10":
        d_steps = 10
    elif experiment != "baseline":
        raise ValueError(f"unknown experiment {experiment!r}; expected one of {EXPERIMENTS}")
    return Generator(latent_dim, g_widths), Discriminator(d_widths), d_steps
    ### END SOLUTION


# %% kind="tests" grade_id="p2_make_gan_tests"
from dgmlab.probes import check
check("p2_make_gan_tests", make_gan)

# %% [markdown]
# ### P2.2 The training loop (3 points)
#
# **Every batch is one discriminator update**, and **after every `d_steps`-th one** comes one generator update,
# each with fresh noise $z \sim \mathcal N(0, I)$: one row per real image of the batch, `generator.latent_dim`
# columns, on the generator's device; the generator's update gets a $z$ of its own, not the discriminator's. The
# history lists every update's loss of the call, in order, all its epochs included. The count of discriminator
# updates **runs on across the epochs of one call** (it is not reset when an epoch starts), so with `d_steps=10`
# both players see the baseline's data, but the generator moves ten times less often. The runner below calls
# `train_gan` once per epoch (to save a checkpoint after each), so each of its calls counts from 0 and an epoch's
# last few updates may get no generator update: the same rule, one epoch per call. Labels are ignored here.

# %% kind="answer" grade_id="p2_train_gan"
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    """Train in place; return {"d_loss": [float per D update], "g_loss": [float per G update]}."""
    ### BEGIN SOLUTION
    device = next(generator.parameters()).device
    history = {"d_loss": [], "g_loss": []}
    n_d = 0
    bar = tqdm(total=epochs * len(loader), desc=f"GAN (d_steps={d_steps})", disable=not progress)
    for _ in range(epochs):
        for real, _labels in loader:
            real = real.to(device)
            z = torch.randn(real.shape[0], generator.latent_dim, device=device)
            history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
            n_d += 1
            if n_d % d_steps == 0:
                z = torch.randn(real.shape[0], generator.latent_dim, device=device)
                history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))
            bar.update(1)
            if history["g_loss"]:
                bar.set_postfix(d=f"{history['d_loss'][-1]:.3f}", g=f"{history['g_loss'][-1]:.3f}", refresh=False)
    bar.close()
    return history
    ### END SOLUTION


# %% kind="tests" grade_id="p2_train_gan_tests"
from dgmlab.probes import check
check("p2_train_gan_tests", train_gan)

# %% [markdown]
# ### Training and scoring the four models
#
# The cell below trains one experiment with Adam, plots its losses and samples, and scores them with a small
# **MNIST classifier**: the *MNIST classifier score* is the Inception-Score formula with that classifier
# (10 is best), the *MNIST Fréchet distance* compares its features on generated and real digits (lower is
# better); neither compares with published IS/FID numbers.
#
# Samples come from an exponential moving **average of the generator's weights** over its last
# `AVERAGE_EPOCHS` epochs: a GAN's generator keeps wandering around a good solution, and the average smooths
# that out. Training never reads it.
#
# A checkpoint is saved every epoch (`checkpoints/`): after a disconnect, rerun the cells and training resumes.
# To start one again, call `run_experiment(name, TRAIN, retrain=True)`. The baseline's checkpoint also keeps its
# training record, `baseline_training_record.pt` (snapshots at the epochs below), handed in with its weights: the
# grader checks that the weights come from that one run.

# %% locked=true grade_id="experiment_runner"
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

import dgmlab.artifacts
from dgmlab.checkpoint import Checkpoint
from dgmlab.checkpoint_record import Record

CHECKPOINTS = Path("checkpoints")   # one file per experiment, in the homework folder
RECORD_EPOCHS = pick(full=(5, 10, 20, 30, 40, 50), fast=(1, 2))  # the baseline's record: a snapshot at each,
REPLAY_EPOCHS, REPLAY_STEPS = pick(full=((10, 30), 64), fast=((1,), 8))  # and its whole state at these (~45 MB)


def moving_average(generator, g_opt, updates_per_epoch):
    """A copy of ``generator`` whose weights follow an exponential moving average of the generator's weights,
    updated after every ``g_opt.step()``; it averages over about the last ``AVERAGE_EPOCHS`` epochs of updates.

    Training never reads it: ``train_gan`` runs unchanged, and the runners draw, score and save from it.
    """
    decay = 1 - 1 / (AVERAGE_EPOCHS * updates_per_epoch)
    average = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    g_opt.register_step_post_hook(lambda opt, args, kwargs: average.update_parameters(generator))
    return average


def load_training_data():
    """MNIST training digits in [-1, 1]."""
    return dgmlab.data.mnist(train=True, scale="[-1,1]", n=N_TRAIN)


@torch.no_grad()
def sample(generator, n, labels=None, batch=1000):
    """n generated images (n, 784) on the CPU; labels (n,) for a conditional generator."""
    generator.eval()
    dev = next(generator.parameters()).device
    out = []
    for i in range(0, n, batch):
        z = torch.randn(min(batch, n - i), generator.latent_dim, device=dev)
        if labels is None:
            out.append(generator(z).cpu())
        else:
            out.append(generator(z, labels[i:i + len(z)].to(dev)).cpu())
    generator.train()
    return torch.cat(out)


def score(images):
    """MNIST classifier score (mean, std) and MNIST Frechet distance of generated images (N, 784) in [-1, 1]."""
    from dgmlab import metrics
    mean, std = metrics.mnist_score(images, scale="[-1,1]")
    return {"mnist_score": float(mean), "mnist_score_std": float(std),
            "mnist_fd": float(metrics.mnist_frechet_distance(images, scale="[-1,1]"))}


def show(fig):
    display(fig)
    plt.close(fig)


def report_bars(path, labels=None):
    """Print how the generator weights saved at ``path`` fare against the bars of their part: 1,000 images of the P1
    generator (P3's for ``labels``, 100 of each digit) with these weights."""
    from dgmlab import artifacts, metrics
    state = torch.load(path, weights_only=True)
    try:  # the file must hold exactly the stated network's tensors
        artifacts.mlp_tensors(state, in_dim=LATENT_DIM, widths=(128, 256, 512),
                              embedding=None if labels is None else (10, 10), name=f"the weights in {Path(path).name}")
    except artifacts.ArtifactError as exc:
        print(f"{Path(path).name} cannot be scored: {exc}")
        return
    generator = Generator() if labels is None else ConditionalGenerator()
    generator.load_state_dict({k: v.float() for k, v in state.items()})
    z = torch.randn(1000, LATENT_DIM, generator=torch.Generator().manual_seed(0))  # (1000, LATENT_DIM)
    with torch.no_grad():
        x = generator.eval()(z) if labels is None else generator.eval()(z, labels)
    quick = " (quick mode: expect far below the bar; it only shows the code runs)" if is_fast() else ""
    if labels is None:
        score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
        classes = metrics.mnist_predict(x, scale="[-1,1]").unique().numel()
        print(f"1,000 images: MNIST classifier score {float(score):.2f} (bar 8.0), {classes} digit classes (need 9)"
              + quick)
    else:
        accuracy = int((metrics.mnist_predict(x, scale="[-1,1]") == labels).sum()) / len(labels)
        print(f"1,000 images: conditional accuracy {accuracy:.1%} (bar 95%){quick}")


def plot_history(name, history, d_steps=1):
    """Both players' losses on the discriminator-update axis (a G loss is held until its next update)."""
    g = np.repeat(history["g_loss"], d_steps)
    show(dgmlab.plots.loss_curves({"discriminator": history["d_loss"], "generator": g}, title=f"{name}: losses",
                                  xlabel="discriminator update", smooth=25, save=FIGURES / f"{name}_losses.png"))


def save_results():
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(RESULTS, indent=2))
    dgmlab.workspace.saved(RESULTS_FILE, graded=not is_fast())


def run_experiment(name, data, retrain=False):
    """Train experiment ``name`` from P2 on ``data``; plot, score and record it in RESULTS.

    Saves a checkpoint after every epoch; run again, it resumes from it, and a finished experiment is
    loaded instead of retrained unless retrain=True.
    """
    seed_everything(run_seed())  # starting weights of this run's own
    generator, discriminator, d_steps = make_gan(name, LATENT_DIM)
    generator, discriminator = generator.to(device), discriminator.to(device)
    g_opt = torch.optim.Adam(generator.parameters(), lr=LR, betas=BETAS)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=BETAS)
    loader = data.loader(BATCH_SIZE)
    average = moving_average(generator, g_opt, updates_per_epoch=len(loader) // d_steps)
    # A Colab runtime can disconnect during these long runs: train one epoch per train_gan call and save
    # the networks, optimizers, random states and losses after each, so running the cell again continues
    # from the last finished epoch exactly as if it had never stopped. (Each call counts discriminator updates
    # from 0, so with d_steps=10 an epoch's last few discriminator updates get no generator update.)
    record = Record(epochs=RECORD_EPOCHS, replay=REPLAY_EPOCHS, steps=REPLAY_STEPS, keep=("average",),
                    path=BASELINE_RECORD) if name == "baseline" else None
    ckpt = Checkpoint(CHECKPOINTS / f"{name}{pick(full='', fast='_fast')}.pt", epochs=EPOCHS, record=record,
                      generator=generator, discriminator=discriminator, g_opt=g_opt, d_opt=d_opt,
                      average=average, shuffle=loader.generator,
                      config=dict(data=data, batch_size=BATCH_SIZE, d_steps=d_steps,
                                  code=[train_gan, discriminator_step, generator_step]))
    done, history = ckpt.resume({"d_loss": [], "g_loss": []}, retrain=retrain)
    for epoch in range(done + 1, EPOCHS + 1):
        h = train_gan(generator, discriminator, g_opt, d_opt, loader, 1, d_steps=d_steps)
        history["d_loss"] += h["d_loss"]
        history["g_loss"] += h["g_loss"]
        ckpt.save(epoch, history)
    seconds_per_epoch = ckpt.seconds_per_epoch()
    plot_history(name, history, d_steps)
    generator = average.module  # from here on: the averaged generator
    images = sample(generator, N_EVAL)
    show(dgmlab.plots.image_grid(images[:100], nrow=10, title=f"{name}: samples", save=FIGURES / f"{name}_samples.png"))
    ARTIFACTS.mkdir(exist_ok=True)
    torch.save(images[:100].clone(), ARTIFACTS / f"samples_{name}.pt")
    dgmlab.workspace.saved(ARTIFACTS / f"samples_{name}.pt")
    if name == "baseline":  # the baseline's generator is handed in: its weights (float16) in the homework folder
        dgmlab.workspace.saved(dgmlab.artifacts.save_weights(generator, BASELINE_FILE), graded=not is_fast())
        dgmlab.workspace.saved(BASELINE_RECORD, graded=not is_fast())
        report_bars(BASELINE_FILE)
    RESULTS[name] = {"epochs": EPOCHS, "seconds_per_epoch": seconds_per_epoch, "d_steps": d_steps,
                     "generator_updates": len(history["g_loss"]), "data": data.source,
                     "final_d_loss": float(np.mean(history["d_loss"][-50:])),
                     "final_g_loss": float(np.mean(history["g_loss"][-50:])), **score(images)}
    save_results()
    print(f"{name}: {seconds_per_epoch:.1f} s/epoch, MNIST classifier score {RESULTS[name]['mnist_score']:.2f}, "
          f"MNIST FD {RESULTS[name]['mnist_fd']:.2f}")
    return generator


# %% [markdown]
# Train the P1 baseline. Expect blobs (often mostly "1"s) for the first few thousand updates; then the
# discriminator's loss settles a little below $\log 4 \approx 1.39$ (where it cannot tell real from fake), the
# generator's a little above $\log 2$, and digits are recognisable after about 5 epochs. In quick mode (2 epochs on 640
# digits) expect blobs and scores far below the bars: quick mode only shows that the code runs.

# %% uses_answers=true
if not is_grading():
    TRAIN = load_training_data()
    print(f"{len(TRAIN)} training digits ({TRAIN.source} MNIST), {EPOCHS} epochs, batch {BATCH_SIZE}")
    baseline_generator = run_experiment("baseline", TRAIN)

# %% [markdown]
# ### Your baseline's trained generator (3 points)
#
# Hand in `baseline_generator_weights.pt`, saved by the training cell. This part is scored from that file: 1,000
# images of P1's generator with these weights. Weights that fit and draw new, varied digits earn 1 point; 2 more if
# those images have an **MNIST classifier score of at least 8.0** (real digits: about 9.7) and show at least **9** of
# the 10 digits. A generator with more than 10 near-copies of MNIST digits among them earns 0. Hand in
# `baseline_training_record.pt` too, also saved by the training cell: without it, or if it is not the run that made
# the weights, your instructor looks at these points before they count.

# %% kind="tests" grade_id="p2_baseline_samples_tests"
from dgmlab.probes import check
check("p2_baseline_samples_tests")

# %% [markdown]
# The three ablations, with the same seed, data and number of epochs.

# %% uses_answers=true
if not is_grading():
    for name in EXPERIMENTS[1:]:
        run_experiment(name, TRAIN)


# %% locked=true grade_id="results_table"
def results_table(results):
    """A Markdown comparison table of the experiments in ``results``."""
    rows = ["| experiment | MNIST classifier score | MNIST Fréchet distance | G updates | s/epoch | final D loss | final G loss |",
            "|---|---|---|---|---|---|---|"]
    for name in EXPERIMENTS:
        if name in results:
            r = results[name]
            rows.append(f"| {name} | {r['mnist_score']:.2f} ± {r['mnist_score_std']:.2f} | {r['mnist_fd']:.2f} | "
                        f"{r['generator_updates']} | {r['seconds_per_epoch']:.1f} | {r['final_d_loss']:.3f} | {r['final_g_loss']:.3f} |")
    return "\n".join(rows)


if not is_grading():
    display(Markdown(results_table(RESULTS)))

# %% [markdown]
# ### P2.3 Compare (6 points, graded by hand)
#
# From your table, loss curves and samples, compare each ablation with the baseline: what changed in samples
# and scores, what the losses say about the balance between the players, and why. Which change would you keep,
# and how would you make the `d_steps_10` comparison fairer? Answer from your full 50-epoch run.

# %% [markdown] kind="written" grade_id="p2_comparison" points=6
# *Model answer, from the kit's full runs (`docs/hw4_gans.md`: 50 epochs, every model sampled from its averaged
# generator, 5,000 samples). A student's numbers will differ; see the last paragraph.*
#
# | experiment | MNIST classifier score | MNIST Fréchet distance | final D loss / G loss |
# |---|---|---|---|
# | baseline | 8.57 ± 0.15 | 10.1 | 1.31 / 0.85 |
# | wide_generator | 8.53 ± 0.12 | 12.0 | 1.31 / 0.84 |
# | deep_discriminator | 8.72 ± 0.09 | 9.5 | 1.26 / 0.89 |
# | d_steps_10 | 1.70 ± 0.08 | 544 | 0.44 / 2.41 |
#
# * **Wide generator** (256/512/1024: about 2.6x the generator's parameters, about 1.4x the baseline's time per
#   epoch on a CPU): no gain. It stays level with the baseline in score at every checkpoint (8.53 against 8.57
#   after 50 epochs, inside the ± of the score's splits) and ends a little worse in Fréchet distance (12.0
#   against 10.1); the 30-epoch run had it slightly behind (7.84 against 8.02). Its losses sit where the
#   baseline's do: the discriminator's a little below $\log 4$, the generator's a little above $\log 2$.
#   Explanation: the baseline generator already has the capacity for 28x28 digits; what limits the samples is
#   the signal the discriminator gives, which a wider generator does not change, so the extra parameters only
#   cost time.
# * **Deeper discriminator** (1024/512/256/128: about 2.6x the discriminator's parameters, about 1.9x the time
#   per epoch): the best of the four, 8.72 against 8.57 and Fréchet distance 9.5 against 10.1, ahead at every
#   checkpoint from epoch 20 on (8.44 against 8.18 there; 8.40 against 8.02 after 30 epochs in the 30-epoch
#   run). Its loss sits a little lower (1.26 against 1.31) and the generator's a little higher (0.89 against
#   0.85): it wins slightly more often, not enough to starve the generator. Explanation: a more capable
#   discriminator comes closer to the optimal one, so the generator's gradient points more accurately towards
#   the data; dropout and the non-saturating generator loss keep that gradient useful. A stronger judge is a
#   better teacher here as long as it does not win outright (next item).
# * **10 discriminator updates per generator update**: the same data, a tenth of the generator updates (4,650
#   against 46,850). The discriminator wins: its loss stays far below the baseline's (0.2-0.4 against 1.3) and
#   the generator's far above (2.4-4.5 against 0.85), and the samples collapse onto one shape (nearly all "1"s
#   after 30 epochs, score 1.19; 1.70 and Fréchet distance 544 after 50). Fewer updates are not the whole
#   story: after about as many generator updates (5 epochs, 4,685) the baseline's generator already scored 6.08.
#   A near-optimal discriminator rejects every fake confidently, so its signal tells the generator little and
#   the generator retreats to the one mode it can fake. (WGAN critics also take several steps per generator
#   step, but their loss estimates a distance that stays informative.)
# * Keep: the deeper discriminator (better at every checkpoint from epoch 20, for about 1.9x the time); the wide
#   generator costs time for nothing. Fairer `d_steps_10`: compare at an equal number of *generator* updates
#   (10x the epochs), or plot quality against wall-clock time.
#
# Grading: 2 points per ablation (observation with evidence from table/curves/samples: 1; sound explanation: 1).
# Grade what the student's own full run shows, not the numbers above. The baseline, the wide generator and the
# deeper discriminator end within 0.2 of each other (8.53 to 8.72), about the ± over the score's splits, and the
# kit ran each ablation once, so a run that ranks them differently is not wrong: an observation earns its point
# when it matches the student's own table, curves and grids (saying the gap is too small to rank them earns it
# too), and the explanation its point when it fits that observation. An observation that contradicts the student's
# own numbers, or quotes these instead of them, earns 0; so does one from a fast-mode run, which the statement
# rules out. `d_steps_10` ends far below the baseline in every run of the kit.
