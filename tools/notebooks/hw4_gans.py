"""Builder of homework 4: an MLP GAN and its ablations, a conditional GAN, GAN theory, Kantorovich duality.

Adapted from MIT CSAIL 6.S978 Deep Generative Models (Fall 2024), Problem Set 3
(seed ../shared/seeds/003_*.txt). Points as in the seed: P0 1, P1 20, P2 15, P3 15, P4 20, P5 20.

    dgmlab build hw4_gans
    .venv/bin/python -m pytest tests/test_proofs.py -k hw4 -x -q
"""
from pathlib import Path

from dgmlab.authoring import Notebook, fixture_copier

from dgmlab.grading.proofs import STUB, Mutant
from dgmlab.novelty import MAX_COPIES

HW = "hw4_gans"
# Files a full-mode run writes in the homework folder and the autograder grades (docs/hw4_gans.md).
BASELINE_FILE = "baseline_samples_100.pt"   # 100 samples of the trained baseline, float32 (100, 784) in [-1, 1]
CGAN_FILE = "cgan_samples_100.pt"           # {"images": (100, 784), "labels": (100,)}: 10 samples per digit
RESULTS_FILE = "hw4_results.json"           # every experiment's scores (P0 checks it under grading)
MAX_FILE_BYTES = 1_000_000                  # the two sample files are ~315 kB; anything bigger is not read
# Bars of the artifact-graded cells, calibrated by benchmarks/calibrate_hw4_bars.py (docs/hw4_gans.md,
# benchmarks/results/hw4_gans_bars_30.json, hw4_gans_bars_cgan30.json): at each of the last five epochs of a full
# 30-epoch run of the reference, 19 or more of 20 independent 100-sample draws clear them; none of the 20 draws of
# the reference after EARLY_EPOCH epochs does.
BASELINE_SCORE_BAR = 6.75   # epochs 26-30: 20 draws 6.80-8.47, second-lowest >= 6.84; epoch 10: 11 of 20; epoch 2: 3.52-4.23
BASELINE_CLASSES_BAR = 9    # epochs 26-30: every draw shows all 10 digits
CGAN_ACCURACY_BAR = 0.90    # epochs 26-30: 20 draws 0.87-1.00, second-lowest >= 0.90; epoch 10: 5 of 20; epoch 2: 0.37-0.54
EARLY_EPOCH = 2
BASELINE_CALIBRATED_EPOCH = 30
CGAN_CALIBRATED_EPOCH = 30


def build() -> Notebook:
    nb = Notebook(HW)
    _intro(nb)
    _inspection_helpers(nb)
    _p1_generator(nb)
    _p1_discriminator(nb)
    _p1_losses(nb)
    _p1_d_step(nb)
    _p1_g_step(nb)
    _p2_make_gan(nb)
    _p2_train_gan(nb)
    _p2_training(nb)
    _p2_baseline_and_ablations(nb)
    _p2_comparison(nb)
    _p3_cond_generator(nb)
    _p3_cond_discriminator(nb)
    _p3_cgan_steps(nb)
    _p3_training(nb)
    _p4_optimal_discriminator(nb)
    _p4_optimal_discriminator_derivation(nb)
    _p4_criterion(nb)
    _p4_criterion_derivation(nb)
    _p5_dual_derivation(nb)
    _p5_primal(nb)
    _p5_dual(nb)
    _p0(nb)
    nb.fill_point_totals()
    return nb


# ============================================================================ intro
def _intro(nb: Notebook) -> None:
    """The title, what the homework covers and credits, the setup cell and the experiment sizes."""
    nb.md(r'''
        # Homework 4: GANs on MNIST, their theory, and discrete optimal transport

        *Adapted from Problem Set 3 of MIT CSAIL 6.S978 **Deep Generative Models** (Fall 2024). The
        architectures, the experiments and the point split are theirs; the wording, the code scaffold and
        the tests are ours.*

        You will build a small fully connected GAN for MNIST digits, change it in three controlled ways
        and compare, make it conditional on the digit class, then prove (and let sympy and scipy confirm)
        the two classic results about the GAN objective and the duality behind the Wasserstein distance.

        | Problem | Topic | Points |
        |---|---|---|
        | P0 | the notebook runs from top to bottom | 1 |
        | P1 | unconditional GAN: networks, losses, update steps | 20 |
        | P2 | three ablations and their comparison | 15 |
        | P3 | conditional GAN | 15 |
        | P4 | optimal discriminator and the Jensen-Shannon form of the objective | 20 |
        | P5 | Kantorovich duality for discrete optimal transport | 20 |

        **How this notebook runs.** Cells that train are guarded by `dgmlab.runtime.is_grading()`; sizes come
        from `dgmlab.runtime.pick(full=..., fast=...)`. The *full* mode trains every model for the epochs
        given below on all 60,000 digits: best on a GPU (Colab), but these MLPs are small enough for a CPU
        too, only slower (five models, a few minutes each per 10 epochs on a laptop). With `DGMLAB_FAST=1` every
        cell runs on a few hundred digits for a few dozen steps, so you can check the plumbing on a laptop
        CPU in about a minute. The autograder never trains: it tests your functions on small fixed inputs,
        and grades your trained models from three files that full mode saves in the homework folder:
        `baseline_samples_100.pt` (100 samples of your baseline), `cgan_samples_100.pt` (10 samples of each
        digit from your conditional GAN, with the labels asked for) and `hw4_results.json` (every model's
        scores). **Submit these three files together with the notebook.** Figures go to `figures/`, other
        samples to `artifacts/`, next to this notebook (in Colab, on your Google Drive).

        **Points per check, and hidden tests.** The test cell after each answer runs a few visible checks,
        prints the points each one earns (with a hint when it fails) and shows the cell's points as its result.
        Hidden tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} autograded points; each
        test cell says how many of its own. Passing every visible check does not guarantee those.
        **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw4_gans.ipynb` in
        a terminal): it runs every visible check the way the autograder does and lists, per question, the visible
        points earned, the points hidden tests decide, and written answers still empty.

        Write every answer as the function or class asked for, keeping its name and signature.
        ''')
    nb.setup()
    nb.md("Libraries and the experiment sizes used throughout. Read the sizes: they are what *full* mode trains.")
    nb.code('''
        import copy
        import json
        import math
        import time
        from pathlib import Path

        import matplotlib.pyplot as plt
        import numpy as np
        import sympy as sp
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from IPython.display import Markdown, display
        from scipy.optimize import linprog
        from scipy.special import xlogy
        from tqdm import tqdm

        import dgmlab.data
        import dgmlab.plots
        from dgmlab.runtime import is_fast, is_grading, pick, seed_everything

        if is_fast() and device.type == "cpu":
            torch.set_num_threads(1)  # small MLPs on a shared CPU: extra threads only wait for each other
        LATENT_DIM = 100                    # noise dimension of every generator
        FULL_EPOCHS = 30
        EPOCHS = pick(full=FULL_EPOCHS, fast=2)  # passes over the training set per model
        BATCH_SIZE = 64                     # digits per update (full and fast mode)
        N_TRAIN = pick(full=None, fast=640) # None: all 60,000 training digits
        N_EVAL = pick(full=5000, fast=300)  # generated digits scored per model
        LR, BETAS = 5e-4, (0.5, 0.999)      # Adam for both players (2e-4 learns ~4x slower here: docs/hw4_gans.md)
        FIGURES, ARTIFACTS = Path("figures"), Path("artifacts")
        RESULTS = {}                        # filled by the training cells, read by the summary
        # graded files: full mode writes them in the homework folder (submit them), fast mode throw-away copies
        BASELINE_FILE, CGAN_FILE, RESULTS_FILE = (
            pick(full=Path(name), fast=ARTIFACTS / name.replace(".", "_fast.", 1), grading=Path(name))
            for name in ("{BASELINE_FILE}", "{CGAN_FILE}", "{RESULTS_FILE}"))
        '''.replace("{BASELINE_FILE}", BASELINE_FILE).replace("{CGAN_FILE}", CGAN_FILE)
          .replace("{RESULTS_FILE}", RESULTS_FILE), locked=True, grade_id="imports")


def _inspection_helpers(nb: Notebook) -> None:
    """Intro: the helpers the network tests use to see which modules run (students may call them too)."""
    nb.md('''
        The tests inspect your networks by running them and recording which modules are called, in which
        order. Build your networks from `torch.nn` modules (`nn.Linear`, `nn.LeakyReLU`, `nn.Dropout`,
        `nn.Tanh`, `nn.Embedding`) rather than their functional forms so that they can be seen. The helpers
        below are what the tests use; you may call them too.
        ''')
    nb.code('''
        NORM_LAYERS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm,
                       nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm)


        def called_modules(module, *inputs):
            """Run ``module(*inputs)`` without gradients; return (leaf modules in call order, output)."""
            calls, hooks = [], []
            for m in module.modules():
                if not list(m.children()):
                    hooks.append(m.register_forward_hook(lambda mod, args, out: calls.append(mod)))
            try:
                with torch.no_grad():
                    out = module(*inputs)
            finally:
                for h in hooks:
                    h.remove()
            return calls, out


        def linear_shapes(calls):
            """(in_features, out_features) of the nn.Linear modules among ``calls``, in order."""
            return [(m.in_features, m.out_features) for m in calls if isinstance(m, nn.Linear)]


        def count_calls(calls, kind):
            return sum(isinstance(m, kind) for m in calls)


        def leaky_slopes(calls):
            """The slope on negative inputs of each nn.LeakyReLU among ``calls``, measured on a probe."""
            probe = torch.tensor([-2.0, -0.5])
            with torch.no_grad():
                return [float((m(probe) / probe).mean()) for m in calls if isinstance(m, nn.LeakyReLU)]


        def dropout_rates(calls, n=200_000):
            """The share of its inputs each nn.Dropout among ``calls`` zeroes in training mode (measured)."""
            rates = []
            for m in calls:
                if isinstance(m, nn.Dropout):
                    was_training = m.training
                    with torch.no_grad():
                        rates.append(float((m.train()(torch.ones(n)) == 0).float().mean()))
                    m.train(was_training)
            return rates


        class TinyGenerator(nn.Module):
            """A stand-in generator for testing update steps: z (N, 4) -> (N, 784) in (-1, 1)."""
            def __init__(self, n_classes=0):
                super().__init__()
                self.latent_dim, self.n_classes = 4, n_classes
                self.fc = nn.Linear(4 + n_classes, 784)

            def forward(self, z, labels=None):
                if self.n_classes:
                    z = torch.cat([z, F.one_hot(labels, self.n_classes).float()], dim=1)
                return torch.tanh(self.fc(z))


        class TinyDiscriminator(nn.Module):
            """A stand-in discriminator for testing update steps: (N, 784) -> logits (N, 1)."""
            def __init__(self, n_classes=0):
                super().__init__()
                self.n_classes = n_classes
                self.fc = nn.Linear(784 + n_classes, 1)

            def forward(self, x, labels=None):
                x = x.reshape(len(x), -1)
                if self.n_classes:
                    x = torch.cat([x, F.one_hot(labels, self.n_classes).float()], dim=1)
                return self.fc(x)


        class LoggingSGD(torch.optim.SGD):
            """Plain SGD that appends ``tag`` to ``log`` at every step (to count and order updates)."""
            def __init__(self, params, tag, log, lr=0.01):
                super().__init__(params, lr=lr)
                self.tag, self.log = tag, log

            def step(self, closure=None):
                self.log.append(self.tag)
                return super().step(closure)
        ''', locked=True, grade_id="test_helpers")


# ============================================================================ P1
def _p1_generator(nb):
    """P1 (20 points) and P1.1: the generator."""
    nb.md(r'''
        ## P1. An unconditional GAN for MNIST (20 points)

        A GAN trains two networks against each other. The **generator** $G$ turns a noise vector
        $z \sim \mathcal N(0, I_{100})$ into a flattened $28\times 28$ image; the **discriminator** $D$ reads an
        image and outputs a single *logit* $D(x) \in \mathbb R$, whose sigmoid $\sigma(D(x))$ is its belief
        that $x$ is a real digit. Both networks here are plain multilayer perceptrons.

        * **Generator**: fully connected layers of **128, 256 and 512** units, each followed by a LeakyReLU
          (slope 0.2), then a linear layer to 784 outputs and a $\tanh$, so pixels land in $(-1, 1)$ like the
          training data.
        * **Discriminator**: fully connected layers of **512, 256 and 128** units, each followed by a LeakyReLU
          (slope 0.2) and dropout (probability 0.3), then a linear layer to **one logit** (no sigmoid: the
          loss below works on logits).
        * **No normalisation layer** (batch norm or otherwise) in either network, and **dropout only in the
          discriminator**: it regularises the judge, while noise inside the generator would only blur its
          samples.

        Both classes take their hidden widths as an argument; P2 reuses them with other widths.
        ''')
    nb.md("### P1.1 The generator (5 points)")
    nb.answer("p1_generator", '''
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
        ''')
    nb.tests("p1_generator_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_maps_noise_to_flat_images_in_range():
            out = Generator()(torch.randn(16, 100))
            checks.assert_tensor(out, "Generator()(z)", shape=(16, 784), dtype=torch.float32)
            assert out.abs().max() < 1, \\
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
            assert lo < -0.99 and hi > 0.99, \\
                f"expected outputs close to both -1 and 1 once the weights are scaled up 20x, found the range [{lo:.3g}, {hi:.3g}]{hint}"

        ### BEGIN HIDDEN TESTS
        @points(0.75)
        def test_linear_widths_in_call_order():
            calls, _ = called_modules(Generator(), torch.randn(4, 100))
            assert linear_shapes(calls) == [(100, 128), (128, 256), (256, 512), (512, 784)], \\
                "the nn.Linear layers that run in forward do not have the statement's widths in that order"


        @points(0.5)
        def test_latent_dim_and_widths_arguments_are_used():
            calls, _ = called_modules(Generator(latent_dim=8, widths=(16, 32)), torch.randn(4, 8))
            assert linear_shapes(calls) == [(8, 16), (16, 32), (32, 784)], \\
                "Generator ignores its latent_dim or widths arguments"


        @points(0.75)
        def test_leaky_relu_after_each_hidden_layer_and_tanh_output():
            calls, _ = called_modules(Generator(), torch.randn(4, 100))
            assert count_calls(calls, nn.LeakyReLU) == 3, "expected one LeakyReLU after each hidden layer"
            assert count_calls(calls, nn.Tanh) == 1 and isinstance(calls[-1], nn.Tanh), \\
                "the generator must end with a single tanh"
            assert not any(isinstance(m, (nn.Sigmoid, nn.ReLU)) for m in calls), \\
                "the generator uses an activation the statement does not ask for"


        @points(0.5)
        def test_leaky_relu_slope_is_the_statements():
            calls, _ = called_modules(Generator(), torch.randn(4, 100))
            slopes = leaky_slopes(calls)
            assert slopes and all(abs(s - 0.2) < 1e-6 for s in slopes), \\
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
            assert torch.allclose(single[0], batch[0], atol=1e-5), \\
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
        ''')


def _p1_discriminator(nb):
    """P1.2: the discriminator."""
    nb.md("### P1.2 The discriminator (5 points)\nIt must accept images as `(N, 1, 28, 28)` or already flattened `(N, 784)`.")
    nb.answer("p1_discriminator", '''
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
        ''')
    nb.tests("p1_discriminator_tests", points=5, src='''
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
            assert lo < -1 and hi > 1, \\
                (f"expected logits beyond -1 and 1 once the weights are scaled up 10x, found the range [{lo:.3g}, {hi:.3g}]: "
                 "a sigmoid (or tanh) at the end squashes the logit, and the P1.3 loss would apply the sigmoid a second time")

        ### BEGIN HIDDEN TESTS
        @points(1)
        def test_linear_widths_in_call_order():
            calls, _ = called_modules(Discriminator().eval(), torch.randn(4, 784))
            assert linear_shapes(calls) == [(784, 512), (512, 256), (256, 128), (128, 1)], \\
                "the nn.Linear layers that run in forward do not have the statement's widths in that order"


        @points(0.25)
        def test_widths_argument_is_used():
            calls, _ = called_modules(Discriminator(widths=(64, 32, 16, 8)).eval(), torch.randn(4, 784))
            assert linear_shapes(calls) == [(784, 64), (64, 32), (32, 16), (16, 8), (8, 1)], \\
                "Discriminator ignores its widths argument"


        @points(0.5)
        def test_leaky_relu_with_the_statements_slope_on_each_hidden_layer():
            calls, _ = called_modules(Discriminator().eval(), torch.randn(4, 784))
            assert count_calls(calls, nn.LeakyReLU) == 3, "expected one LeakyReLU after each hidden layer"
            slopes = leaky_slopes(calls)
            assert all(abs(s - 0.2) < 1e-6 for s in slopes), \\
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
            assert len(rates) == 3 and all(abs(r - 0.3) < 0.01 for r in rates), \\
                "each hidden layer needs dropout with the statement's probability (measured rates differ)"


        @points(0.25)
        def test_dropout_argument_is_used():
            calls, _ = called_modules(Discriminator(dropout=0.5).eval(), torch.randn(4, 784))
            rates = dropout_rates(calls)
            assert rates and all(abs(r - 0.5) < 0.01 for r in rates), "Discriminator ignores its dropout argument"


        @points(0.75)
        def test_no_normalisation_layers():
            assert not [m for m in Discriminator().modules() if isinstance(m, NORM_LAYERS)], \\
                "the discriminator must not normalise activations"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3.75)
        ''')


def _p1_losses(nb):
    """P1.3: the two losses."""
    nb.md(r'''
        ### P1.3 The two losses (4 points)

        With labels 1 for real and 0 for fake, the discriminator minimises the binary cross-entropy
        $$\mathcal L_D = -\frac1N\sum_{i}\log\sigma(D(x_i)) \;-\; \frac1N\sum_{i}\log\bigl(1-\sigma(D(G(z_i)))\bigr),$$
        i.e. the mean BCE on the real batch **plus** the mean BCE on the fake batch. The minimax game would
        have the generator *minimise* $\log(1-\sigma(D(G(z))))$, whose gradient vanishes exactly when the
        generator is bad and $D$ rejects its samples confidently. Instead we use the **non-saturating**
        generator loss: the generator minimises $-\frac1N\sum_i \log\sigma(D(G(z_i)))$, i.e. BCE of the fake logits
        against the label 1.

        Work on logits with a numerically stable form (`F.binary_cross_entropy_with_logits` or
        `F.softplus`): the loss must stay exact for logits as large as $\pm 30$, where $\sigma$ rounds to 0 or 1
        in float32.
        ''')
    nb.answer("p1_losses", '''
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
        ''')
    nb.tests("p1_losses_tests", points=4, src='''
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
            assert abs(g - log2) < 1e-5, \\
                f"expected generator_loss(0) = log 2 = {log2:.4f}, found {g:.4f}" + hint_g.get(round(g, 4), "")
            hint_d = (": that is half the sum; the statement asks for mean BCE(real) + mean BCE(fake)" if abs(d - log2) < 1e-4
                      else ": BCE(sigmoid(0) = 0.5 taken as a logit) twice: pass logits, not probabilities"
                      if abs(d - 2 * F.softplus(torch.tensor(-0.5)).item()) < 1e-4 else "")
            assert abs(d - 2 * log2) < 1e-5, \\
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
            assert r.grad is not None and f.grad is not None and (r.grad < 0).all() and (f.grad > 0).all(), \\
                "minimising discriminator_loss must raise real logits and lower fake logits"


        @points(0.5)
        def test_generator_gradient_does_not_saturate():
            f = torch.full((4, 1), -5.0, requires_grad=True)
            generator_loss(f).backward()
            assert f.grad is not None and (f.grad < -0.2).all(), \\
                "the generator loss must keep a strong gradient when D confidently rejects fakes (non-saturating form)"
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=2.5)
        ''')


def _p1_d_step(nb):
    """P1.4: one update of the discriminator."""
    nb.md(r'''
        ### P1.4 One update of each player (6 points)

        One step of each player, on a batch of real images and noise passed in by the caller:

        * `discriminator_step`: clear the old gradients, generate fakes from `z` **without** letting gradients
          flow into the generator (`torch.no_grad()` or `.detach()`), compute `discriminator_loss`, back-propagate,
          step `d_opt`. Return the loss as a Python `float`.
        * `generator_step`: clear the old gradients, generate fakes from `z` (this time gradients must reach the
          generator *through* the discriminator), compute `generator_loss`, back-propagate, step `g_opt`.
          Return the loss as a Python `float`.

        Each step must change only its own player's parameters.
        ''')
    nb.answer("p1_d_step", '''
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
        ''')
    nb.tests("p1_d_step_tests", points=3, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.25)
        def test_returns_a_float():
            g, d = TinyGenerator(), TinyDiscriminator()
            out = discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), torch.rand(8, 784), torch.randn(8, 4))
            assert isinstance(out, float), \\
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
            assert abs(out - want) < 1e-5 * (1 + abs(want)), \\
                f"expected the discriminator loss of this batch before the update, {want:.5f}, found {out:.5f}{hint}"


        @points(0.25)
        def test_generator_untouched():
            g, d = TinyGenerator(), TinyDiscriminator()
            before = [p.detach().clone() for p in g.parameters()]
            discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), torch.rand(8, 784), torch.randn(8, 4))
            assert all(torch.equal(p, b) for p, b in zip(g.parameters(), before)), \\
                "expected the generator's parameters unchanged by the discriminator step, found them changed"
            leaked = [p for p in g.parameters() if p.grad is not None and p.grad.abs().sum() > 0]
            assert not leaked, \\
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
        ''')


def _p1_g_step(nb):
    """P1.4: one update of the generator."""
    nb.answer("p1_g_step", '''
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
        ''')
    nb.tests("p1_g_step_tests", points=3, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.25)
        def test_returns_a_float():
            g, d = TinyGenerator(), TinyDiscriminator()
            out = generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), torch.randn(8, 4))
            assert isinstance(out, float), \\
                f"expected generator_step to return a Python float, found {type(out).__name__} (use loss.item())"


        @points(0.25)
        def test_moves_the_generator():
            g, d = TinyGenerator(), TinyDiscriminator()
            before = [p.detach().clone() for p in g.parameters()]
            generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), torch.randn(8, 4))
            assert any(not torch.equal(p, b) for p, b in zip(g.parameters(), before)), \\
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
            assert abs(out - want) < 1e-5 * (1 + abs(want)), \\
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
        ''')


# ============================================================================ P2
def _p2_make_gan(nb):
    """P2 (15 points) and P2.1: the baseline and its three ablations."""
    nb.md(r'''
        ## P2. Three ablations (15 points)

        An ablation changes one thing and keeps the rest. Against the P1 baseline we try:

        1. `"wide_generator"`: every hidden width of the generator doubled, **256, 512, 1024**; discriminator as in P1.
        2. `"deep_discriminator"`: a discriminator with one more hidden layer, **1024, 512, 256, 128** (each with
           LeakyReLU and dropout); generator as in P1.
        3. `"d_steps_10"`: the P1 networks, but the discriminator is updated **10 times per generator update**.

        ### P2.1 Building each experiment (3 points)
        `make_gan(experiment)` returns a fresh `(generator, discriminator, d_steps)` for `"baseline"` and the three
        names above (`d_steps` is 1 except for `"d_steps_10"`) and raises `ValueError` for any other name. Use
        your P1 classes.
        ''')
    nb.answer("p2_make_gan", '''
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
        ''')
    nb.tests("p2_make_gan_tests", points=3, src='''
        from dgmlab.testing import points, run_tests

        P1_G = [(100, 128), (128, 256), (256, 512), (512, 784)]
        P1_D = [(784, 512), (512, 256), (256, 128), (128, 1)]


        def _shapes(name):
            g, d, k = make_gan(name)
            gc, _ = called_modules(g, torch.randn(2, 100))
            dc, _ = called_modules(d.eval(), torch.randn(2, 784))
            return linear_shapes(gc), linear_shapes(dc), k, g, d


        @points(0.25)
        def test_returns_networks_and_an_int():
            for name in EXPERIMENTS:
                out = make_gan(name)
                assert isinstance(out, tuple) and len(out) == 3, \\
                    f"expected make_gan({name!r}) to return (generator, discriminator, d_steps), found {type(out).__name__}"
                g, d, k = out
                assert isinstance(g, nn.Module) and isinstance(d, nn.Module), \\
                    f"expected two nn.Modules first from make_gan({name!r}), found {type(g).__name__}, {type(d).__name__}"
                assert isinstance(k, int) and k >= 1, f"expected d_steps as a positive int from make_gan({name!r}), found {k!r}"


        @points(0.5)
        def test_baseline_is_p1():
            gs, ds, k, _, _ = _shapes("baseline")
            assert gs == P1_G, f"expected the baseline generator's linear layers {P1_G} (P1), found {gs}"
            assert ds == P1_D, f"expected the baseline discriminator's linear layers {P1_D} (P1), found {ds}"
            assert k == 1, f"expected d_steps = 1 for the baseline (one D update per G update), found {k}"

        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_wide_generator_doubles_only_the_generator():
            gs, ds, k, _, _ = _shapes("wide_generator")
            assert gs == [(100, 256), (256, 512), (512, 1024), (1024, 784)], "wide_generator: generator hidden widths are not doubled"
            assert ds == P1_D, "wide_generator must keep the baseline discriminator"
            assert k == 1, "wide_generator keeps d_steps of the baseline"


        @points(0.5)
        def test_deep_discriminator_adds_a_layer():
            gs, ds, k, _, d = _shapes("deep_discriminator")
            assert ds == [(784, 1024), (1024, 512), (512, 256), (256, 128), (128, 1)], \\
                "deep_discriminator: hidden widths differ from the statement"
            assert gs == P1_G, "deep_discriminator must keep the baseline generator"
            dc, _ = called_modules(d.eval(), torch.randn(2, 784))
            assert count_calls(dc, nn.LeakyReLU) == 4 and count_calls(dc, nn.Dropout) >= 1, \\
                "every hidden layer of the deeper discriminator needs its LeakyReLU (and dropout)"
            assert k == 1, "deep_discriminator keeps d_steps of the baseline"


        @points(0.5)
        def test_d_steps_10_changes_only_the_schedule():
            gs, ds, k, _, _ = _shapes("d_steps_10")
            assert k == 10, "d_steps_10 must update the discriminator 10 times per generator update"
            assert gs == P1_G, "d_steps_10 must keep the baseline generator"
            assert ds == P1_D, "d_steps_10 must keep the baseline discriminator"


        @points(0.25)
        def test_no_norm_layers_and_fresh_networks():
            for name in EXPERIMENTS:
                g, d, _ = make_gan(name)
                assert not [m for m in [*g.modules(), *d.modules()] if isinstance(m, NORM_LAYERS)], f"{name}: no normalisation layers"
            g1, _, _ = make_gan("baseline")
            g2, _, _ = make_gan("baseline")
            assert g1 is not g2, "make_gan must build new networks on every call"


        @points(0.5)
        def test_unknown_name_raises():
            try:
                make_gan("no_such_experiment")
            except ValueError:
                return
            raise AssertionError("make_gan must raise ValueError for an unknown experiment name")
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2.25)
        ''')


def _p2_train_gan(nb):
    """P2.2: the training loop."""
    nb.md(r'''
        ### P2.2 The training loop (3 points)

        `train_gan` runs `epochs` passes over `loader` (which yields `(images, labels)` batches; labels are
        ignored here). **Every batch is one discriminator update** (`discriminator_step` with fresh noise), and
        **after every `d_steps`-th discriminator update** comes one generator update (`generator_step` with
        fresh noise). So an epoch of $B$ batches makes $B$ discriminator updates and $\lfloor B/d_{\text{steps}}\rfloor$
        generator updates: with `d_steps=10` both players see the same data as the baseline, but the generator
        moves ten times less often. Draw noise with `generator.latent_dim` columns on the generator's device.
        Show a `tqdm` progress bar when `progress=True`. Return the per-update losses.
        ''')
    nb.answer("p2_train_gan", '''
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
        ''')
    nb.tests("p2_train_gan_tests", points=3, src='''
        from dgmlab.testing import points, run_tests


        def _run(n_batches, epochs, d_steps):
            log = []
            g, d = TinyGenerator(), TinyDiscriminator()
            loader = [(torch.rand(6, 1, 28, 28) * 2 - 1, torch.zeros(6, dtype=torch.long)) for _ in range(n_batches)]
            hist = train_gan(g, d, LoggingSGD(g.parameters(), "G", log), LoggingSGD(d.parameters(), "D", log),
                             loader, epochs, d_steps=d_steps, progress=False)
            return hist, log


        @points(0.5)
        def test_history_lists_per_update():
            hist, _ = _run(4, 1, 1)
            assert isinstance(hist, dict) and set(hist) >= {"d_loss", "g_loss"}, \\
                f"expected train_gan to return a dict with keys d_loss and g_loss, found {type(hist).__name__}"
            n_d, n_g = len(hist["d_loss"]), len(hist["g_loss"])
            assert n_d == 4 and n_g == 4, \\
                f"expected 4 discriminator and 4 generator losses for 4 batches with d_steps=1, found {n_d} and {n_g}"
            kinds = sorted({type(v).__name__ for v in hist["d_loss"] + hist["g_loss"]})
            assert kinds == ["float"], f"expected the losses as Python floats, found {kinds}"


        @points(0.5)
        def test_players_alternate_discriminator_first():
            _, log = _run(3, 1, 1)
            order = "".join(log)
            hint = ": the generator moves first; each batch starts with the discriminator" if order.startswith("G") else ""
            assert order == "DG" * 3, \\
                f"expected the optimizer steps DGDGDG for 3 batches with d_steps=1, found {order or 'none'}{hint}"

        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_counts_optimizer_steps():
            for n_batches, epochs, d_steps in [(6, 2, 3), (6, 1, 2), (5, 2, 1), (10, 1, 10)]:
                hist, log = _run(n_batches, epochs, d_steps)
                n_d, n_g = log.count("D"), log.count("G")
                assert n_d == n_batches * epochs, f"d_steps={d_steps}: the discriminator must be updated once per batch"
                assert n_g == n_batches * epochs // d_steps, \\
                    f"d_steps={d_steps}: wrong number of generator updates for the number of discriminator updates"
                assert len(hist["d_loss"]) == n_d and len(hist["g_loss"]) == n_g, "the history must hold one loss per update"


        @points(0.5)
        def test_generator_update_follows_d_steps_discriminator_updates():
            _, log = _run(6, 2, 3)
            assert "".join(log) == "DDDG" * 4, "each generator update must come right after d_steps discriminator updates"


        @points(0.5)
        def test_noise_has_a_row_per_real_digit_and_latent_dim_columns():
            import inspect
            shapes, d_step, g_step = [], discriminator_step, generator_step

            def noise_of(step, player):
                def recorded(*args, **kwargs):
                    z = inspect.signature(step).bind(*args, **kwargs).arguments["z"]
                    shapes.append((player, tuple(z.shape)))
                    return step(*args, **kwargs)
                return recorded

            globals()["discriminator_step"], globals()["generator_step"] = noise_of(d_step, "D"), noise_of(g_step, "G")
            try:
                g, d = TinyGenerator(), TinyDiscriminator()  # latent_dim 4, batches of 6
                loader = [(torch.rand(6, 1, 28, 28) * 2 - 1, torch.zeros(6, dtype=torch.long)) for _ in range(2)]
                train_gan(g, d, torch.optim.SGD(g.parameters(), lr=0.01), torch.optim.SGD(d.parameters(), lr=0.01),
                          loader, 1, d_steps=1, progress=False)
            finally:
                globals()["discriminator_step"], globals()["generator_step"] = d_step, g_step
            assert shapes == [("D", (6, 4)), ("G", (6, 4))] * 2, \\
                "each step's noise must be (batch size, generator.latent_dim): one row per real digit of the batch"


        @points(0.25)
        def test_batches_and_noise_go_to_the_generators_device():
            seen, d_step, g_step = [], discriminator_step, generator_step

            def record(player):
                def step(*args, **kwargs):
                    seen.extend((player, a.device.type) for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor))
                    return 0.0
                return step

            globals()["discriminator_step"], globals()["generator_step"] = record("D"), record("G")
            try:  # networks on PyTorch's "meta" device stand in for a GPU: any tensor left on the CPU shows
                g, d = TinyGenerator().to("meta"), TinyDiscriminator().to("meta")
                loader = [(torch.rand(6, 1, 28, 28) * 2 - 1, torch.zeros(6, dtype=torch.long)) for _ in range(2)]
                train_gan(g, d, torch.optim.SGD(g.parameters(), lr=0.01), torch.optim.SGD(d.parameters(), lr=0.01),
                          loader, 1, d_steps=1, progress=False)
            finally:
                globals()["discriminator_step"], globals()["generator_step"] = d_step, g_step
            assert seen and all(device == "meta" for _, device in seen), \\
                "the real batches and the noise must be on the generator's device (next(generator.parameters()).device)"


        @points(0.25)
        def test_both_players_learn():
            log = []
            g, d = TinyGenerator(), TinyDiscriminator()
            g0 = [p.detach().clone() for p in g.parameters()]
            d0 = [p.detach().clone() for p in d.parameters()]
            loader = [(torch.rand(4, 784) * 2 - 1, torch.zeros(4, dtype=torch.long)) for _ in range(2)]
            train_gan(g, d, LoggingSGD(g.parameters(), "G", log), LoggingSGD(d.parameters(), "D", log), loader, 1,
                      d_steps=1, progress=False)
            assert any(not torch.equal(p, q) for p, q in zip(g.parameters(), g0)), "the generator did not change"
            assert any(not torch.equal(p, q) for p, q in zip(d.parameters(), d0)), "the discriminator did not change"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')


def _p2_training(nb):
    """P2: the experiment runner that trains and scores each model (the notebook's own run)."""
    nb.md(r'''
        ### Training and scoring the four models

        The cell below trains one experiment with Adam (learning rate $5\cdot 10^{-4}$, $\beta = (0.5, 0.999)$),
        plots its losses and 100 samples, and scores `N_EVAL` samples with the course's **MNIST classifier**
        (`dgmlab.metrics`): the *MNIST classifier score* is the Inception-Score formula
        $\exp\bigl(\mathbb E_x\, \mathrm{KL}(p(y\mid x)\,\|\,p(y))\bigr)$ computed with a small MNIST classifier
        instead of Inception-v3 (10 means confident and evenly spread over the ten digits), and the
        *MNIST Fréchet distance* compares Gaussian fits of that classifier's features on generated and real
        digits (lower is better). Neither is comparable with published IS/FID numbers.

        Each experiment saves a checkpoint after every epoch (`checkpoints/<name>.pt`, in the homework folder: on
        Google Drive in Colab). If the runtime disconnects, run the cells again: training continues from the last
        saved epoch, and finished experiments are loaded, not retrained. To train one again from the start (say,
        after fixing `train_gan`, which the checkpoint notices and refuses), call `run_experiment(name, TRAIN,
        retrain=True)` or delete its file.
        ''')
    nb.code('''
        from dgmlab.checkpoint import Checkpoint

        CHECKPOINTS = Path("checkpoints")   # one file per experiment, in the homework folder


        def load_training_data():
            """MNIST training digits in [-1, 1] (a few hundred in fast mode)."""
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
            seed_everything(0)
            generator, discriminator, d_steps = make_gan(name, LATENT_DIM)
            generator, discriminator = generator.to(device), discriminator.to(device)
            g_opt = torch.optim.Adam(generator.parameters(), lr=LR, betas=BETAS)
            d_opt = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=BETAS)
            loader = data.loader(BATCH_SIZE)
            # A Colab runtime can disconnect during these long runs: train one epoch per train_gan call and save
            # the networks, optimizers, random states and losses after each, so running the cell again continues
            # from the last finished epoch exactly as if it had never stopped. (One call per epoch also means that
            # with d_steps=10 an epoch's last few discriminator updates get no generator update.)
            ckpt = Checkpoint(CHECKPOINTS / f"{name}{pick(full='', fast='_fast')}.pt", epochs=EPOCHS,
                              generator=generator, discriminator=discriminator, g_opt=g_opt, d_opt=d_opt,
                              shuffle=loader.generator, config=dict(data=data, batch_size=BATCH_SIZE, d_steps=d_steps,
                                                                    code=[train_gan, discriminator_step, generator_step]))
            done, history = ckpt.resume({"d_loss": [], "g_loss": []}, retrain=retrain)
            for epoch in range(done + 1, EPOCHS + 1):
                h = train_gan(generator, discriminator, g_opt, d_opt, loader, 1, d_steps=d_steps)
                history["d_loss"] += h["d_loss"]
                history["g_loss"] += h["g_loss"]
                ckpt.save(epoch, history)
            seconds_per_epoch = ckpt.seconds_per_epoch()
            plot_history(name, history, d_steps)
            images = sample(generator, N_EVAL)
            show(dgmlab.plots.image_grid(images[:100], nrow=10, title=f"{name}: samples", save=FIGURES / f"{name}_samples.png"))
            ARTIFACTS.mkdir(exist_ok=True)
            torch.save(images[:100].clone(), ARTIFACTS / f"samples_{name}.pt")
            dgmlab.workspace.saved(ARTIFACTS / f"samples_{name}.pt")
            if name == "baseline":  # the baseline's samples are graded: a copy in the homework folder
                torch.save(images[:100].clone(), BASELINE_FILE)
                dgmlab.workspace.saved(BASELINE_FILE, graded=not is_fast())
            RESULTS[name] = {"epochs": EPOCHS, "seconds_per_epoch": seconds_per_epoch, "d_steps": d_steps,
                             "generator_updates": len(history["g_loss"]), "data": data.source,
                             "final_d_loss": float(np.mean(history["d_loss"][-50:])),
                             "final_g_loss": float(np.mean(history["g_loss"][-50:])), **score(images)}
            save_results()
            print(f"{name}: {seconds_per_epoch:.1f} s/epoch, MNIST classifier score {RESULTS[name]['mnist_score']:.2f}, "
                  f"MNIST FD {RESULTS[name]['mnist_fd']:.2f}")
            return generator
        ''', locked=True, grade_id="experiment_runner")


def _p2_baseline_and_ablations(nb: Notebook) -> None:
    """P2: train the baseline (P1's graded samples), then the three ablations and the results table."""
    nb.md(r'''
        Train the P1 baseline (this is also P1's training run: its loss curves and samples belong to P1).
        What to expect (measured in `docs/hw4_gans.md`): during the first few thousand updates the losses swing
        and the samples are blobs, often mostly one easy digit (a "1"). Then the game settles: the discriminator's
        loss stays a little below $\log 4 \approx 1.39$ (its value when it cannot tell real from fake) and the
        generator's a little above $\log 2 \approx 0.69$. Digits are recognisable after about 5 epochs and their
        strokes keep getting cleaner, with some speckle left at 30 epochs. With a learning rate of
        $2\cdot 10^{-4}$ the same network needed about four times as many updates to get as far.
        ''')
    nb.code('''
        if not is_grading():
            TRAIN = load_training_data()
            print(f"{len(TRAIN)} training digits ({TRAIN.source} MNIST), {EPOCHS} epochs, batch {BATCH_SIZE}")
            baseline_generator = run_experiment("baseline", TRAIN)
        ''', uses_answers=True)
    _baseline_samples_cell(nb)
    nb.md("The three ablations, with the same seed, data and number of epochs.")
    nb.code('''
        if not is_grading():
            for name in EXPERIMENTS[1:]:
                run_experiment(name, TRAIN)
        ''', uses_answers=True)
    nb.code('''
        def results_table(results):
            """A Markdown comparison table of the experiments in ``results``."""
            rows = ["| experiment | MNIST classifier score | MNIST Fréchet distance | G updates | s/epoch | final D loss | final G loss |",
                    "|---|---|---|---|---|---|---|"]
            for name in EXPERIMENTS:
                if name in results:
                    r = results[name]
                    rows.append(f"| {name} | {r['mnist_score']:.2f} ± {r['mnist_score_std']:.2f} | {r['mnist_fd']:.2f} | "
                                f"{r['generator_updates']} | {r['seconds_per_epoch']:.1f} | {r['final_d_loss']:.3f} | {r['final_g_loss']:.3f} |")
            return "\\n".join(rows)


        if not is_grading():
            display(Markdown(results_table(RESULTS)))
        ''', locked=True, grade_id="results_table")


def _p2_comparison(nb):
    """P2.3, written: compare the ablations."""
    nb.md(r'''
        ### P2.3 Compare (6 points, graded by hand)

        Using the table, the loss curves and the sample grids above, compare each ablation with the baseline.
        For each of the three: what changed in the samples and in the scores, what the loss curves show about
        the balance between the two players, and your explanation of why. Say which change you would keep and
        how you would make the `d_steps_10` comparison fairer. (Runs in fast mode are too short to judge: answer
        from a full-mode run.)
        ''')
    nb.written("p2_comparison", points=6, model_answer=r'''
        *Model answer (numbers vary with the run; credit the reasoning).*

        * **Wide generator** (256/512/1024): about 2.2x the generator parameters (roughly 1.4x the time per epoch).
          At equal epochs it usually learns faster than the baseline (in our CPU run: MNIST classifier score 3.5
          against 1.6 and a much lower Fréchet distance after 5 epochs) and the two players stay closer to
          balance (higher D loss, lower G loss): a generator that can move more mass per update keeps up with
          the discriminator. The baseline is more prone to collapsing onto easy digits (many 1s).
        * **Deeper discriminator** (1024/512/256/128): the discriminator wins more easily: its loss sits lower and the
          generator loss higher and noisier. Because the generator uses the non-saturating loss it still gets
          gradients, so samples remain digits, often with more artefacts or less diversity (lower score or higher
          distance) after the same epochs. A stronger judge is not automatically a better teacher.
        * **10 discriminator updates per generator update**: with the same epochs the generator gets a tenth of the
          updates, so its samples are clearly worse (half-formed digits or, as in our run, nearly all "1"s: a score
          near 1 and a much higher distance); the discriminator loss falls towards 0 and the generator loss climbs:
          D is near-optimal and confidently rejects the fakes, and the generator retreats to the one mode it can fake. This schedule is what WGAN critics use, but there the critic's loss is a
          distance estimate that stays informative; with the JS-type loss a near-perfect D gives poor signal.
        * Keep: the baseline (or the wide generator if its gain is worth the time). Fairer `d_steps_10`: compare at an
          equal number of *generator* updates (10x the epochs), or plot quality against wall-clock time.

        Grading: 2 points per ablation (observation with evidence from table/curves/samples: 1; sound explanation: 1).
        ''')


# ============================================================================ P3
def _p3_cond_generator(nb):
    """P3 (15 points) and P3.1: the conditional generator."""
    nb.md(r'''
        ## P3. A conditional GAN (15 points)

        A conditional GAN is told which digit to draw. Both networks receive the class label $y \in \{0,\dots,9\}$
        through a learned **embedding** `nn.Embedding(10, 10)` (one 10-dimensional vector per digit):

        * the **conditional generator** concatenates $[z, e_G(y)]$ (110 numbers) and feeds it to the P1 generator's
          layers (128, 256, 512 units with LeakyReLU, then 784 with $\tanh$);
        * the **conditional discriminator** concatenates the flattened image with its own embedding
          $[x, e_D(y)]$ (794 numbers) and feeds it to the P1 discriminator's layers (512, 256, 128 with LeakyReLU
          and dropout, then one logit).

        The rules of P1 still hold: no normalisation, dropout only in the discriminator. Each network has its own
        embedding.
        ''')
    nb.md("### P3.1 The conditional generator (4 points)")
    nb.answer("p3_cond_generator", '''
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
        ''')
    nb.tests("p3_cond_generator_tests", points=4, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_shapes_and_range():
            out = ConditionalGenerator()(torch.randn(12, 100), torch.arange(12) % 10)
            checks.assert_tensor(out, "ConditionalGenerator()(z, labels)", shape=(12, 784), dtype=torch.float32)
            assert out.abs().max() < 1, \\
                f"expected outputs in (-1, 1), found values up to {float(out.abs().max()):.3g} in size: end with a tanh, as in P1"


        @points(1)
        def test_the_label_changes_the_image():
            g = ConditionalGenerator()
            z = torch.randn(1, 100).repeat(10, 1)
            with torch.no_grad():
                out = g(z, torch.arange(10))
            change = float((out[1:] - out[0]).abs().amax(dim=1).min())
            assert change > 1e-4, \\
                (f"expected a different image for each label with the same z, found two labels whose images differ by at "
                 f"most {change:.2g}: the embedded label must feed the network (concatenate it with z)")

        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_one_embedding_of_the_statements_size():
            calls, _ = called_modules(ConditionalGenerator(), torch.randn(4, 100), torch.arange(4))
            emb = [m for m in calls if isinstance(m, nn.Embedding)]
            assert len(emb) == 1 and emb[0].num_embeddings == 10 and emb[0].embedding_dim == 10, \\
                "the generator must embed the label with one nn.Embedding of the statement's size in forward"


        @points(0.5)
        def test_linear_widths_after_the_concatenation():
            calls, _ = called_modules(ConditionalGenerator(), torch.randn(4, 100), torch.arange(4))
            assert linear_shapes(calls) == [(110, 128), (128, 256), (256, 512), (512, 784)], \\
                "the linear layers must read noise and embedding concatenated, then follow P1's widths"


        @points(0.5)
        def test_activations_as_in_p1():
            calls, _ = called_modules(ConditionalGenerator(), torch.randn(4, 100), torch.arange(4))
            assert count_calls(calls, nn.LeakyReLU) == 3 and isinstance(calls[-1], nn.Tanh), \\
                "LeakyReLU after each hidden layer and a tanh at the end, as in P1"
            assert all(abs(s - 0.2) < 1e-6 for s in leaky_slopes(calls)), \\
                "the LeakyReLUs do not have P1's slope on negative inputs"


        @points(0.5)
        def test_gradient_reaches_the_embedding():
            g = ConditionalGenerator()
            g(torch.randn(6, 100), torch.arange(6)).sum().backward()
            emb = [m for m in g.modules() if isinstance(m, nn.Embedding)]
            assert emb and emb[0].weight.grad is not None and emb[0].weight.grad.abs().sum() > 0, \\
                "no gradient reaches the label embedding: the embedded label must feed the network"


        @points(0.25)
        def test_no_dropout():
            g = ConditionalGenerator().train()
            assert not [m for m in g.modules() if isinstance(m, nn.Dropout)], "the generator must have no dropout"
            z, y = torch.randn(8, 100), torch.arange(8)
            with torch.no_grad():
                assert torch.equal(g(z, y), g(z, y)), "in training mode the generator must be deterministic given z and labels"


        @points(0.25)
        def test_no_normalisation():
            g = ConditionalGenerator()
            assert not [m for m in g.modules() if isinstance(m, NORM_LAYERS)], "the generator must not normalise activations"
            for m in g.modules():
                if isinstance(m, nn.Dropout):
                    m.eval()  # dropout is another test's business: here only batch statistics
            z, y = torch.randn(8, 100), torch.arange(8)
            with torch.no_grad():
                assert torch.allclose(g(z, y)[:1], g(z[:1], y[:1]), atol=1e-5), "an image must not depend on the rest of the batch"
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=2.5)
        ''')


def _p3_cond_discriminator(nb):
    """P3.2: the conditional discriminator."""
    nb.md("### P3.2 The conditional discriminator (4 points)")
    nb.answer("p3_cond_discriminator", '''
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
        ''')
    nb.tests("p3_cond_discriminator_tests", points=4, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_one_logit_per_image():
            d = ConditionalDiscriminator().eval()
            x = torch.rand(6, 1, 28, 28) * 2 - 1
            checks.assert_tensor(d(x.reshape(6, 784), torch.arange(6)), "ConditionalDiscriminator()(x, labels) for flattened x",
                                 shape=(6, 1), dtype=torch.float32)
            checks.assert_tensor(d(x, torch.arange(6)), "ConditionalDiscriminator()(x, labels) for (N,1,28,28)", shape=(6, 1))


        @points(1)
        def test_the_label_changes_the_logit():
            d = ConditionalDiscriminator().eval()
            x = (torch.rand(1, 784) * 2 - 1).repeat(10, 1)
            with torch.no_grad():
                out = d(x, torch.arange(10))
            change = float((out[1:] - out[0]).abs().min())
            assert change > 1e-5, \\
                (f"expected a different logit for each label with the same image, found two labels whose logits differ by "
                 f"{change:.2g}: the embedded label must feed the network (concatenate it with the flattened image)")

        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_one_embedding_of_the_statements_size():
            calls, _ = called_modules(ConditionalDiscriminator().eval(), torch.randn(4, 784), torch.arange(4))
            emb = [m for m in calls if isinstance(m, nn.Embedding)]
            assert len(emb) == 1 and emb[0].num_embeddings == 10 and emb[0].embedding_dim == 10, \\
                "the discriminator must embed the label with one nn.Embedding of the statement's size in forward"


        @points(0.25)
        def test_linear_widths_after_the_concatenation():
            calls, _ = called_modules(ConditionalDiscriminator().eval(), torch.randn(4, 784), torch.arange(4))
            assert linear_shapes(calls) == [(794, 512), (512, 256), (256, 128), (128, 1)], \\
                "the linear layers must read image and embedding concatenated, then follow P1's widths"


        @points(0.5)
        def test_outputs_raw_logits():
            calls, _ = called_modules(ConditionalDiscriminator().eval(), torch.randn(4, 784), torch.arange(4))
            assert not any(isinstance(m, (nn.Sigmoid, nn.Tanh, nn.Softmax)) for m in calls), "return the logit itself"


        @points(0.25)
        def test_leaky_relu_slope_as_in_p1():
            calls, _ = called_modules(ConditionalDiscriminator().eval(), torch.randn(4, 784), torch.arange(4))
            assert count_calls(calls, nn.LeakyReLU) == 3, "expected a LeakyReLU on each hidden layer, as in P1"
            assert all(abs(s - 0.2) < 1e-6 for s in leaky_slopes(calls)), "the LeakyReLUs do not have P1's slope"


        @points(0.25)
        def test_dropout_rate_as_in_p1():
            calls, _ = called_modules(ConditionalDiscriminator().eval(), torch.randn(4, 784), torch.arange(4))
            rates = dropout_rates(calls)
            assert len(rates) == 3 and all(abs(r - 0.3) < 0.01 for r in rates), \\
                "each hidden layer needs dropout with P1's probability (measured rates differ)"


        @points(0.25)
        def test_gradient_reaches_the_embedding():
            d = ConditionalDiscriminator()
            d(torch.randn(6, 784), torch.arange(6)).sum().backward()
            emb = [m for m in d.modules() if isinstance(m, nn.Embedding)]
            assert emb and emb[0].weight.grad is not None and emb[0].weight.grad.abs().sum() > 0, \\
                "no gradient reaches the label embedding: the embedded label must feed the network"


        @points(0.25)
        def test_no_normalisation_layers():
            assert not [m for m in ConditionalDiscriminator().modules() if isinstance(m, NORM_LAYERS)], "no normalisation layers"


        @points(0.25)
        def test_dropout_in_training_mode_only():
            d = ConditionalDiscriminator()
            x, y = torch.randn(32, 784), torch.arange(32) % 10
            with torch.no_grad():
                assert not torch.equal(d.train()(x, y), d(x, y)), "dropout should make two training-mode passes differ"
                assert torch.equal(d.eval()(x, y), d(x, y)), "eval mode must be deterministic"
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=2.5)
        ''')


def _p3_cgan_steps(nb):
    """P3.3: the conditional update steps."""
    nb.md(r'''
        ### P3.3 Conditional update steps (4 points)

        The same two steps as in P1, now with labels. In `cgan_discriminator_step` the fakes are generated **for the
        labels of the real batch** and shown to the discriminator **with those same labels** (real images with
        their labels are judged as real, fakes with the labels they were asked to show as fake). In
        `cgan_generator_step` the generator draws digits for the given labels and is scored by the discriminator
        with those labels. Use your P1 losses; return floats.
        ''')
    nb.answer("p3_cgan_steps", '''
        def cgan_discriminator_step(generator, discriminator, d_opt, real, labels, z):
            """real: (N, 1, 28, 28) or (N, 784) float32; labels: (N,) int64; z: (N, latent_dim) float32 -> loss float."""
            ### BEGIN SOLUTION
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
        ''')
    nb.tests("p3_cgan_steps_tests", points=4, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        LABELS = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])


        @points(0.5)
        def test_return_floats():
            g, d = TinyGenerator(10), TinyDiscriminator(10)
            a = cgan_discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), torch.rand(8, 784), LABELS, torch.randn(8, 4))
            b = cgan_generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), torch.randn(8, 4), LABELS)
            assert isinstance(a, float) and isinstance(b, float), \\
                f"expected both steps to return Python floats, found {type(a).__name__} and {type(b).__name__} (use loss.item())"


        @points(0.5)
        def test_discriminator_loss_uses_the_batch_labels():
            g, d = TinyGenerator(10), TinyDiscriminator(10)
            real, z = torch.rand(8, 784) * 2 - 1, torch.randn(8, 4)
            with torch.no_grad():
                want = float(discriminator_loss(d(real, LABELS), d(g(z, LABELS), LABELS)))
            out = cgan_discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), real, LABELS, z)
            assert abs(out - want) < 1e-5 * (1 + abs(want)), \\
                (f"expected the conditional discriminator loss of this batch before the update, {want:.5f}, found {out:.5f}: "
                 "fakes are generated for the batch's labels and judged with those same labels")


        @points(0.5)
        def test_generator_loss_uses_the_requested_labels():
            g, d = TinyGenerator(10), TinyDiscriminator(10)
            z = torch.randn(8, 4)
            with torch.no_grad():
                want = float(generator_loss(d(g(z, LABELS), LABELS)))
            out = cgan_generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), z, LABELS)
            assert abs(out - want) < 1e-5 * (1 + abs(want)), \\
                (f"expected the conditional generator loss of this batch before the update, {want:.5f}, found {out:.5f}: "
                 "the generator draws digits for the given labels and is judged with the same labels")

        ### BEGIN HIDDEN TESTS
        def _discriminator_step(stale):
            g, d = TinyGenerator(10), TinyDiscriminator(10)
            real, y, z = torch.rand(8, 784) * 2 - 1, LABELS, torch.randn(8, 4)
            ref = copy.deepcopy(d)
            with torch.no_grad():
                fake = g(z, y)
            loss = discriminator_loss(ref(real, y), ref(fake, y))  # your P1.3 loss: graded there, not here
            grads = torch.autograd.grad(loss, list(ref.parameters()))
            want = [p.detach() - 0.1 * gr for p, gr in zip(ref.parameters(), grads)]
            g_before = [p.detach().clone() for p in g.parameters()]
            if stale:
                for p in d.parameters():
                    p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
            cgan_discriminator_step(g, d, torch.optim.SGD(d.parameters(), lr=0.1), real, y, z)
            return list(d.parameters()), want, all(torch.equal(p, b) for p, b in zip(g.parameters(), g_before))


        def _generator_step(stale):
            g, d = TinyGenerator(10), TinyDiscriminator(10)
            y, z = torch.tensor([0, 7, 7, 2, 8, 5, 1, 3]), torch.randn(8, 4)
            ref_g, ref_d = copy.deepcopy(g), copy.deepcopy(d)
            loss = generator_loss(ref_d(ref_g(z, y), y))  # your P1.3 loss: graded there, not here
            grads = torch.autograd.grad(loss, list(ref_g.parameters()))
            want = [p.detach() - 0.1 * gr for p, gr in zip(ref_g.parameters(), grads)]
            d_before = [p.detach().clone() for p in d.parameters()]
            if stale:
                for p in g.parameters():
                    p.grad = torch.ones_like(p)  # a stale gradient from an earlier step
            cgan_generator_step(g, d, torch.optim.SGD(g.parameters(), lr=0.1), z, y)
            return list(g.parameters()), want, all(torch.equal(p, b) for p, b in zip(d.parameters(), d_before))


        @points(0.75)
        def test_discriminator_step_uses_the_batch_labels_everywhere():
            got, want, g_unchanged = _discriminator_step(stale=False)
            for p, w in zip(got, want):
                checks.assert_close(p, w, atol=1e-5, rtol=1e-4, name="discriminator parameters after one conditional step")
            assert g_unchanged, "the discriminator step changed the generator"


        @points(0.5)
        def test_discriminator_step_clears_old_gradients():
            got, want, _ = _discriminator_step(stale=True)
            for p, w in zip(got, want):
                checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                                    name="discriminator parameters after a conditional step that follows an earlier one (old gradients cleared?)")


        @points(0.75)
        def test_generator_step_uses_the_requested_labels():
            got, want, d_unchanged = _generator_step(stale=False)
            for p, w in zip(got, want):
                checks.assert_close(p, w, atol=1e-5, rtol=1e-4, name="generator parameters after one conditional step")
            assert d_unchanged, "the generator step changed the discriminator"


        @points(0.5)
        def test_generator_step_clears_old_gradients():
            got, want, _ = _generator_step(stale=True)
            for p, w in zip(got, want):
                checks.assert_close(p, w, atol=1e-5, rtol=1e-4,
                                    name="generator parameters after a conditional step that follows an earlier one (old gradients cleared?)")
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=2.5)
        ''')


def _p3_training(nb):
    """Training the conditional GAN, and its graded samples."""
    nb.md(r'''
        ### Training the conditional GAN

        The loop is the baseline's (`d_steps = 1`) with labels passed along. After training we draw a $10\times 10$
        grid, **one row per digit**, and measure the **conditional accuracy**: the share of generated digits that the
        course's MNIST classifier (`dgmlab.metrics.mnist_predict`) assigns to the label they were generated for.
        ''')
    nb.code('''
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
            seed_everything(0)
            generator = ConditionalGenerator(LATENT_DIM).to(device)
            discriminator = ConditionalDiscriminator().to(device)
            g_opt = torch.optim.Adam(generator.parameters(), lr=LR, betas=BETAS)
            d_opt = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=BETAS)
            loader = data.loader(BATCH_SIZE)
            # As in run_experiment: one epoch per call, a checkpoint after each, so a disconnect costs one epoch at most.
            ckpt = Checkpoint(CHECKPOINTS / f"cgan{pick(full='', fast='_fast')}.pt", epochs=EPOCHS,
                              generator=generator, discriminator=discriminator, g_opt=g_opt, d_opt=d_opt,
                              shuffle=loader.generator, config=dict(data=data, batch_size=BATCH_SIZE,
                                                                    code=[cgan_discriminator_step, cgan_generator_step]))
            done, history = ckpt.resume({"d_loss": [], "g_loss": []}, retrain=retrain)
            for epoch in range(done + 1, EPOCHS + 1):
                h = train_cgan(generator, discriminator, g_opt, d_opt, loader, 1)
                history["d_loss"] += h["d_loss"]
                history["g_loss"] += h["g_loss"]
                ckpt.save(epoch, history)
            seconds_per_epoch = ckpt.seconds_per_epoch()
            plot_history("cgan", history)
            rows = torch.arange(10).repeat_interleave(10)
            grid = sample(generator, 100, rows)
            show(dgmlab.plots.image_grid(grid, nrow=10, title="conditional GAN: row k shows digit k", save=FIGURES / "cgan_grid.png"))
            ARTIFACTS.mkdir(exist_ok=True)
            torch.save({"images": grid, "labels": rows}, CGAN_FILE)  # graded: 10 samples of each requested digit
            dgmlab.workspace.saved(CGAN_FILE, graded=not is_fast())
            acc = conditional_accuracy(generator, N_EVAL // 10)
            RESULTS["cgan"] = {"epochs": EPOCHS, "seconds_per_epoch": seconds_per_epoch, "data": data.source,
                               "conditional_accuracy": acc,
                               **score_conditional(generator, N_EVAL)}
            save_results()
            print(f"conditional GAN: {seconds_per_epoch:.1f} s/epoch, conditional accuracy {acc:.1%}, "
                  f"MNIST classifier score {RESULTS['cgan']['mnist_score']:.2f}")
            return generator
        ''', locked=True, grade_id="cgan_runner")
    nb.code('''
        if not is_grading():
            cgan_generator = run_cgan(TRAIN)
        ''', uses_answers=True)
    _cgan_samples_cell(nb)


# ============================================================================ graded artifacts
def _artifact_header(name: str) -> str:
    """The start of both artifact cells: the graded file (read by dgmlab.artifacts) and fast mode's skip."""
    return f'''
        from dgmlab import artifacts
        from dgmlab.testing import points, run_tests

        GRADED = Path("{name}")


        def _absent_in_fast_mode():
            # fast mode (CI's smoke run) writes only a throw-away copy under artifacts/: nothing to grade here
            return dgmlab.runtime.mode() == "fast" and not GRADED.exists()
        '''


def _baseline_samples_cell(nb: Notebook) -> None:
    nb.md(rf'''
        ### Graded from your baseline's saved samples (3 points)

        The baseline's training cell saves its first 100 samples as `{BASELINE_FILE}` in the homework folder
        (full mode only). The autograder does not train: this cell scores that file. A well-formed file of 100 new
        images (float32 `(100, 784)` in $[-1, 1]$, not all alike, not copied, see below) earns 1 point; the other 2
        come when, in addition, the **MNIST classifier score** of the 100 images taken as one group
        (`dgmlab.metrics.mnist_score(samples, splits=1)`) is at least **{BASELINE_SCORE_BAR}** and the classifier
        recognises at least **{BASELINE_CLASSES_BAR}** of the 10 digits among them. For scale: 100 real test digits
        score about 9.2-9.6 this way and noise 1.0. Of 20 such 100-sample draws of the reference baseline, all
        clear the bar after each of its last five epochs ({BASELINE_CALIBRATED_EPOCH} in all), about half after
        10 epochs and none after {EARLY_EPOCH} epochs (`docs/hw4_gans.md`).

        The samples must be your generator's own: each is compared with all 70,000 MNIST digits
        (`dgmlab.novelty.find_copies`; shifting by a pixel or adding noise does not hide a copy), and a file with
        more than {MAX_COPIES} near-copies earns 0 in both tests. Without the file this cell earns 0 and says so.
        ''')
    nb.tests("p2_baseline_samples_tests", points=3, src=_artifact_header(BASELINE_FILE) + f'''

        def _graded_baseline():
            """The saved samples and their near-copy report, once they pass every check but the bar (else why it earns 0)."""
            saved = artifacts.load(GRADED, max_bytes={MAX_FILE_BYTES:_}, made_by="the training cell of the P1 baseline")
            x = artifacts.samples(saved, name="{BASELINE_FILE}", dtype=torch.float32)
            return x, artifacts.require_new(x)


        @points(1)
        def test_baseline_samples_are_100_new_images_in_range():
            if _absent_in_fast_mode():
                print("fast mode: no {BASELINE_FILE} (only full training writes it), so nothing is graded here")
                return
            _, report = _graded_baseline()
            print("near-copy check:", report.summary())


        @points(2)
        def test_mnist_classifier_score_above_the_bar():
            from dgmlab import metrics
            if _absent_in_fast_mode():
                return
            x, _ = _graded_baseline()  # a file that fails the checks above earns nothing here either
            score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
            classes = metrics.mnist_predict(x, scale="[-1,1]").unique().numel()
            print(f"MNIST classifier score of the 100 samples: {{score:.2f}} (bar {BASELINE_SCORE_BAR}), "
                  f"digits recognised: {{classes}} (need {BASELINE_CLASSES_BAR})")
            assert score >= {BASELINE_SCORE_BAR}, \\
                (f"expected an MNIST classifier score of at least {BASELINE_SCORE_BAR}, found {{score:.2f}}: below the bar "
                 "(a full {BASELINE_CALIBRATED_EPOCH}-epoch run clears it; a run stopped early may not)")
            assert classes >= {BASELINE_CLASSES_BAR}, \\
                (f"expected at least {BASELINE_CLASSES_BAR} of the 10 digit classes among the samples, found {{classes}}: "
                 "the generator covers too few digits (mode collapse)")

        run_tests(points=3)
        ''')


def _cgan_samples_cell(nb: Notebook) -> None:
    nb.md(rf'''
        ### Graded from your conditional samples (3 points)

        The training cell above saves `{CGAN_FILE}` in the homework folder (full mode only): a dict with
        `"images"`, the 100 generated digits `(100, 784)` in $[-1, 1]$, and `"labels"`, the digit each was
        generated for (10 of each digit, `torch.int64`). A well-formed file of new images earns 1 point; the other 2
        come when the **conditional accuracy** of that file, the share of images that the MNIST classifier assigns to the label they were
        generated for, is at least **{CGAN_ACCURACY_BAR:.0%}**. For scale: real test digits with their true labels
        score about 99%, images paired with shuffled labels about 10%. Of 20 such draws of the reference
        conditional GAN, 19 or more clear the bar after each of its last five epochs ({CGAN_CALIBRATED_EPOCH} in all),
        5 after 10 epochs and none after {EARLY_EPOCH} epochs (`docs/hw4_gans.md`). As for the baseline, a file with more than
        {MAX_COPIES} near-copies of MNIST digits earns 0 in both tests.
        ''')
    nb.tests("p3_cgan_samples_tests", points=3, src=_artifact_header(CGAN_FILE) + f'''

        def _graded_labelled():
            """(images, labels, near-copy report) once they pass every check but the bar (else why it earns 0)."""
            saved = artifacts.load(GRADED, max_bytes={MAX_FILE_BYTES:_}, made_by="the training cell of the conditional GAN")
            x, y = artifacts.labelled_samples(saved, name="{CGAN_FILE}", dtype=torch.float32)
            return x, y, artifacts.require_new(x)


        @points(1)
        def test_cgan_samples_are_100_new_labelled_images():
            if _absent_in_fast_mode():
                print("fast mode: no {CGAN_FILE} (only full training writes it), so nothing is graded here")
                return
            _, _, report = _graded_labelled()
            print("near-copy check:", report.summary())


        @points(2)
        def test_conditional_accuracy_above_the_bar():
            from dgmlab import metrics
            if _absent_in_fast_mode():
                return
            x, y, _ = _graded_labelled()  # a file that fails the checks above earns nothing here either
            # a count over 100, exact: a float32 mean would read 89 of 100 as 0.8899999, below a bar of 0.89
            accuracy = int((metrics.mnist_predict(x, scale="[-1,1]") == y).sum()) / len(y)
            print(f"conditional accuracy of the 100 samples: {{accuracy:.0%}} (bar {CGAN_ACCURACY_BAR:.0%})")
            assert accuracy >= {CGAN_ACCURACY_BAR}, \\
                (f"expected a conditional accuracy of at least {CGAN_ACCURACY_BAR:.0%}, found {{accuracy:.0%}}: below the bar "
                 "(are the labels saved in the order the images were generated for?)")

        run_tests(points=3)
        ''')


# ============================================================================ P4
def _p4_optimal_discriminator(nb):
    """P4 (20 points) and P4(a): the optimal discriminator with sympy."""
    nb.md(r'''
        ## P4. What the GAN objective optimises (20 points)

        The original GAN is the two-player game
        $$\min_G \max_D\; V(D, G) = \mathbb E_{x\sim p_{\text{data}}}\bigl[\log D(x)\bigr] + \mathbb E_{z\sim p_z}\bigl[\log\bigl(1 - D(G(z))\bigr)\bigr],$$
        where here $D(x) \in (0, 1)$ is a probability (the sigmoid of the logit in P1). Write $p_g$ for the
        distribution of $G(z)$. Changing variables in the second expectation,
        $V(D, G) = \int \bigl[p_{\text{data}}(x)\log D(x) + p_g(x)\log(1 - D(x))\bigr]\,dx$, and since $D$ can be
        chosen separately at every $x$, the inner maximisation is a one-variable problem at each point.

        In sympy, let the positive symbols `p_data`, `p_g` stand for $p_{\text{data}}(x)$ and $p_g(x)$ at one
        point, and `d` for the value $D(x) \in (0, 1)$.
        ''')
    nb.code('''
        p_data, p_g, d = sp.symbols("p_data p_g d", positive=True)
        pi_real = sp.symbols("pi_real", positive=True)  # P4(a): the share of real images the discriminator sees
        ''', locked=True, grade_id="p4_symbols")
    nb.md(r'''
        ### P4(a) The optimal discriminator, with sympy (5 points)

        Build `V_point`, the integrand above as a function of `d`; find its stationary point `D_star` in terms of
        `p_data` and `p_g` (`sp.diff`, `sp.solve`); and compute `second_derivative`, $\partial^2 V_{\text{point}}/\partial d^2$
        **evaluated at** `D_star`, which shows the stationary point is a maximum.

        Then do the same derivation for a discriminator trained on unbalanced batches: if a share $\pi$ of the
        images it sees are real (the symbol `pi_real`, $0 < \pi < 1$) and $1 - \pi$ are generated, the pointwise
        objective becomes $\pi\, p_{\text{data}} \log d + (1 - \pi)\, p_g \log(1 - d)$. Put its maximiser over
        $d \in (0, 1)$ in `D_star_pi`, an expression in `p_data`, `p_g` and `pi_real`. (The result for $\pi = \tfrac12$
        is printed further down; the grade checks the general one, so copying that result earns nothing.)
        ''')
    nb.answer("p4a", '''
        # V_point: sympy expression in p_data, p_g and d (the integrand of V at one point)
        # D_star: sympy expression in p_data and p_g (where dV_point/dd = 0)
        # second_derivative: sympy expression in p_data and p_g (d^2 V_point / dd^2 at d = D_star)
        # D_star_pi: sympy expression in p_data, p_g and pi_real (the maximiser with a share pi_real of real images)
        ### BEGIN SOLUTION
        V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)
        D_star = sp.solve(sp.Eq(sp.diff(V_point, d), 0), d)[0]
        second_derivative = sp.simplify(sp.diff(V_point, d, 2).subs(d, D_star))
        V_point_pi = pi_real * p_data * sp.log(d) + (1 - pi_real) * p_g * sp.log(1 - d)
        D_star_pi = sp.solve(sp.Eq(sp.diff(V_point_pi, d), 0), d)[0]
        ### END SOLUTION
        print("D_star =", D_star, "   second derivative there:", second_derivative)
        ''', check_output=True)
    nb.tests("p4a_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_expressions_and_symbols():
            checks.assert_sympy_expr(V_point, "V_point", symbols=[p_data, p_g, d])
            checks.assert_sympy_expr(D_star, "D_star", symbols=[p_data, p_g])
            checks.assert_sympy_expr(second_derivative, "second_derivative", symbols=[p_data, p_g])
            checks.assert_sympy_expr(D_star_pi, "D_star_pi", symbols=[p_data, p_g, pi_real])
            assert pi_real in D_star_pi.free_symbols, \\
                f"expected D_star_pi to depend on pi_real (the share of real images), found {D_star_pi}"


        @points(0.5)
        def test_D_star_is_a_stationary_point_of_V_point():
            slope = sp.simplify(sp.diff(V_point, d).subs(d, D_star))
            assert slope == 0, \\
                (f"expected dV_point/dd = 0 at d = D_star, found {slope}: solve sp.diff(V_point, d) = 0 for d "
                 "(a sign slip in the derivative swaps p_data and p_g)")


        @points(0.5)
        def test_D_star_pi_tends_to_one_when_every_image_is_real():
            limit = sp.simplify(sp.limit(D_star_pi, pi_real, 1))
            assert limit == 1, \\
                (f"expected D_star_pi -> 1 as pi_real -> 1 (a discriminator that only sees real images calls everything "
                 f"real), found {limit}: pi_real weighs the p_data term, 1 - pi_real the p_g term")

        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_pointwise_value():
            checks.assert_sympy_equal(V_point, p_data * sp.log(d) + p_g * sp.log(1 - d), "V_point")


        @points(0.5)
        def test_optimal_discriminator_with_its_general_form():
            checks.assert_sympy_equal(D_star, p_data / (p_data + p_g), "D_star")
            # D* is printed further down: its points come only with the general derivation done too
            want_pi = pi_real * p_data / (pi_real * p_data + (1 - pi_real) * p_g)
            assert checks.sympy_equivalent(D_star_pi, want_pi), \\
                "D_star earns its points only together with a correct D_star_pi (the printed result alone earns nothing)"


        @points(0.5)
        def test_second_derivative_at_the_optimum():
            checks.assert_sympy_equal(second_derivative, -(p_data + p_g) ** 3 / (p_data * p_g), "second_derivative")


        @points(0.25)
        def test_second_derivative_is_negative():
            rng = np.random.default_rng(0)
            for a, b in rng.uniform(0.01, 5, size=(20, 2)):
                value = float(second_derivative.subs({p_data: a, p_g: b}))
                assert value < 0, "second_derivative must be negative for positive densities"


        @points(1.75)
        def test_optimal_discriminator_for_unbalanced_batches():
            want = pi_real * p_data / (pi_real * p_data + (1 - pi_real) * p_g)
            checks.assert_sympy_equal(D_star_pi, want, "D_star_pi")
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3.5)
        ''')


def _p4_optimal_discriminator_derivation(nb):
    """P4(a), written: the derivation."""
    nb.md(r'''
        ### P4(a) Derivation (5 points, graded by hand)

        Derive $D^*_G(x) = \dfrac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}$ by hand: justify why the maximisation
        can be done pointwise, write the first-order condition, and show it is a maximum (second derivative, or
        concavity of $a\log t + b\log(1-t)$ on $(0,1)$). Say what happens where $p_{\text{data}}(x) + p_g(x) = 0$.
        ''')
    nb.written("p4a_derivation", points=5, model_answer=r'''
        Using $x = G(z)$ in the second term (law of the unconscious statistician),
        $V(D,G) = \int \big[p_{\text{data}}(x)\log D(x) + p_g(x)\log(1-D(x))\big]dx$. $D$ is any function, so
        maximising the integral means maximising the integrand separately at each $x$ (no constraint couples
        different points). Fix $x$, write $a = p_{\text{data}}(x) \ge 0$, $b = p_g(x) \ge 0$, $t = D(x)\in(0,1)$ and
        $f(t) = a\log t + b\log(1-t)$.

        $f'(t) = \dfrac{a}{t} - \dfrac{b}{1-t} = 0 \iff a(1-t) = bt \iff t^* = \dfrac{a}{a+b}$ (for $a+b>0$).

        $f''(t) = -\dfrac{a}{t^2} - \dfrac{b}{(1-t)^2} < 0$ for $a + b > 0$, so $f$ is strictly concave and $t^*$ is the
        unique maximiser; at $t^*$, $f''(t^*) = -(a+b)^3/(ab)$. Hence
        $D^*_G(x) = p_{\text{data}}(x)/(p_{\text{data}}(x)+p_g(x))$. Where $a + b = 0$ the point carries no mass
        under either distribution and the value of $D$ there does not matter (outside the union of the supports
        $D^*$ is arbitrary).

        Grading: pointwise argument 1, first-order condition solved 2, maximum shown 1, zero-density case 1.
        ''')


def _p4_criterion(nb):
    """P4(b): the criterion at the optimal discriminator."""
    nb.md(r'''
        ### P4(b) The criterion at the optimal discriminator (5 points)

        Plugging $D^*_G$ into $V$ gives the *virtual training criterion* $C(G) = \max_D V(D, G)$. You will check the
        claim $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}}\,\|\,p_g)$, with
        $\mathrm{JSD}(p\,\|\,q) = \tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m)$, $m = \tfrac12(p+q)$, natural logarithms.

        1. `C_point`: the sympy integrand of $C(G)$ at one point, obtained by **substituting** `D_star` into `V_point`.
        2. For discrete distributions (numpy vectors `p`, `q` of the same length, non-negative, summing to one,
           possibly with zero entries; use $0\log 0 = 0$): `virtual_criterion(p, q)` $= \sum_x$ `C_point` with
           $p_{\text{data}} = p$, $p_g = q$, and `js_divergence(p, q)` in nats. Both return Python floats.
           (`scipy.special.xlogy` handles the zeros.)
        ''')
    nb.answer("p4b", '''
        # C_point: sympy expression in p_data and p_g, V_point with D_star substituted for d
        ### BEGIN SOLUTION
        C_point = V_point.subs(d, D_star)
        ### END SOLUTION


        def virtual_criterion(p, q):
            """p, q: (k,) float64 probability vectors (p plays p_data, q plays p_g) -> float, C(G) = sum over x of C_point."""
            ### BEGIN SOLUTION
            p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
            s = p + q
            return float(np.sum(xlogy(p, p) - xlogy(p, s) + xlogy(q, q) - xlogy(q, s)))
            ### END SOLUTION


        def js_divergence(p, q):
            """p, q: (k,) float64 probability vectors -> float, Jensen-Shannon divergence in nats."""
            ### BEGIN SOLUTION
            p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
            m = (p + q) / 2
            return float(0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m)))
            ### END SOLUTION


        print("C_point =", C_point)
        ''', check_output=True)
    nb.tests("p4b_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_types():
            checks.assert_sympy_expr(C_point, "C_point", symbols=[p_data, p_g])
            p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
            vc, js = virtual_criterion(p, q), js_divergence(p, q)
            assert isinstance(vc, float), f"expected virtual_criterion to return a Python float, found {type(vc).__name__}"
            assert isinstance(js, float), f"expected js_divergence to return a Python float, found {type(js).__name__}"


        @points(0.5)
        def test_equal_distributions():
            p = np.array([0.1, 0.2, 0.3, 0.4])
            checks.assert_close(js_divergence(p, p), 0.0, atol=1e-12, name="js_divergence(p, p)", reveal=True)
            checks.assert_close(virtual_criterion(p, p), -np.log(4), atol=1e-12,
                                name="virtual_criterion(p, p), which the statement says is -log 4,", reveal=True)


        @points(0.5)
        def test_disjoint_supports_give_log_two():
            p, q = np.array([1.0, 0.0]), np.array([0.0, 1.0])
            js = js_divergence(p, q)
            hints = {round(1.0, 4): ": that is 1 bit; give the divergence in nats (natural logarithms)",
                     round(2 * np.log(2), 4): ": that is twice log 2: the two KL terms each need their weight 1/2"}
            found = f"{js:.4f}" if np.isfinite(js) else f"{js} (0 log 0 must count as 0: scipy.special.xlogy)"
            assert np.isfinite(js) and abs(js - np.log(2)) < 1e-9, \\
                (f"expected js_divergence of two distributions on disjoint supports to be log 2 = {np.log(2):.4f} nats, "
                 f"found {found}" + (hints.get(round(js, 4), "") if np.isfinite(js) else ""))

        ### BEGIN HIDDEN TESTS
        def _pairs():
            rng = np.random.default_rng(4)
            for k in (2, 5, 50):
                yield rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
            yield np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.2, 0.3, 0.5])  # zeros on both sides
            yield np.array([1.0, 0.0]), np.array([0.0, 1.0])                      # disjoint supports


        @points(0.75)
        def test_c_point_is_the_substitution():
            checks.assert_sympy_equal(C_point, p_data * sp.log(p_data / (p_data + p_g)) + p_g * sp.log(p_g / (p_data + p_g)), "C_point")


        @points(1)
        def test_js_divergence_in_nats():
            from scipy.spatial.distance import jensenshannon
            for p, q in _pairs():
                checks.assert_close(js_divergence(p, q), jensenshannon(p, q) ** 2, atol=1e-9, name="js_divergence")
                checks.assert_close(js_divergence(p, q), js_divergence(q, p), atol=1e-12, name="js_divergence symmetry")


        @points(1)
        def test_virtual_criterion_values():
            for p, q in _pairs():
                expected = float(np.sum(xlogy(p, 2 * p / (p + q + (p + q == 0))) + xlogy(q, 2 * q / (p + q + (p + q == 0))))) - np.log(4)
                checks.assert_close(virtual_criterion(p, q), expected, atol=1e-9, name="virtual_criterion")


        @points(0.25)
        def test_c_point_sums_to_the_criterion():
            f = sp.lambdify((p_data, p_g), C_point, "numpy")
            for p, q in _pairs():
                if np.all(p > 0) and np.all(q > 0):
                    checks.assert_close(float(np.sum(f(p, q))), virtual_criterion(p, q), atol=1e-9,
                                        name="sum of C_point over the support versus virtual_criterion")


        @points(0.5)
        def test_minimum_only_at_equality():
            rng = np.random.default_rng(5)
            for k in (3, 10):
                p = rng.dirichlet(np.ones(k))
                checks.assert_close(virtual_criterion(p, p), -np.log(4), atol=1e-12, name="virtual_criterion(p, p)")
                for _ in range(5):
                    q = rng.dirichlet(np.ones(k))
                    assert virtual_criterion(p, q) > -np.log(4) + 1e-9, "C(G) must exceed -log 4 when p_g differs from p_data"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3.5)
        ''')


def _p4_criterion_derivation(nb):
    """P4(b), written: the derivation."""
    nb.md(r'''
        ### P4(b) Derivation (5 points, graded by hand)

        Show by hand that $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}}\,\|\,p_g)$, and conclude that the global
        minimum of $C$ is $-\log 4$, reached **if and only if** $p_g = p_{\text{data}}$. Use only the definition of
        KL and the fact that $\mathrm{JSD}\ge 0$ with equality exactly for equal distributions (say why that is).
        ''')
    nb.written("p4b_derivation", points=5, model_answer=r'''
        With $D^*$, $C(G) = \mathbb E_{p_{\text{data}}}\!\left[\log\frac{p_{\text{data}}}{p_{\text{data}}+p_g}\right]
        + \mathbb E_{p_g}\!\left[\log\frac{p_g}{p_{\text{data}}+p_g}\right]$. Write $m = \frac12(p_{\text{data}} + p_g)$,
        so $\frac{p_{\text{data}}}{p_{\text{data}}+p_g} = \frac12\cdot\frac{p_{\text{data}}}{m}$ and likewise for $p_g$:
        $$C(G) = -\log 2 + \mathrm{KL}(p_{\text{data}}\|m) - \log 2 + \mathrm{KL}(p_g\|m) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}}\|p_g).$$
        (Each expectation of the constant $-\log 2$ is $-\log 2$ because the densities integrate to one.)

        KL is non-negative (Jensen: $-\mathrm{KL}(p\|m) = \mathbb E_p\log(m/p) \le \log \mathbb E_p (m/p) \le \log 1 = 0$)
        with equality iff $p = m$ a.e. So $\mathrm{JSD}\ge0$, with equality iff $p_{\text{data}} = m = p_g$. Hence
        $C(G) \ge -\log 4$ with equality iff $p_g = p_{\text{data}}$; there $D^* \equiv \frac12$ and
        $C = \log\frac12 + \log\frac12 = -\log 4$.

        Grading: substitution and rewriting with $m$ 2, the $-\log 4$ constant 1, JSD $\ge 0$ with the equality case 2.
        ''')


# ============================================================================ P5
def _p5_dual_derivation(nb):
    """P5 (20 points) and P5(a), written: the dual of discrete optimal transport."""
    nb.md(r'''
        ## P5. Kantorovich duality for discrete optimal transport (20 points)

        Take two finite sets of sizes $k_1$ and $k_2$, probability vectors $v \in \mathbb R^{k_1}$ and $w \in \mathbb R^{k_2}$
        (non-negative, each summing to one), and a cost matrix $C \in \mathbb R^{k_1\times k_2}$: moving one unit of mass from
        $i$ to $j$ costs $c_{ij}$. A **transport plan** $T \in \mathbb R^{k_1\times k_2}$ says how much mass goes from $i$ to
        $j$; it must be non-negative, its row sums must be $v$ and its column sums $w$. The optimal transport cost is
        the linear program
        $$\mathrm{OT}(v, w; C) = \min_{T} \sum_{i,j} c_{ij}T_{ij}\quad\text{s.t.}\quad T_{ij}\ge 0,\;\; \textstyle\sum_j T_{ij} = v_i,\;\; \sum_i T_{ij} = w_j .$$
        Its **dual** replaces the plan by two *potentials* $\phi\in\mathbb R^{k_1}$, $\psi \in \mathbb R^{k_2}$:
        $$\mathrm{OT}(v, w; C) = \max_{\phi,\psi}\; \sum_i v_i\phi_i + \sum_j w_j\psi_j \quad\text{s.t.}\quad \phi_i + \psi_j \le c_{ij}\ \text{ for all } i, j.$$
        When $C$ is a distance, this is the discrete face of the Kantorovich-Rubinstein duality behind the WGAN critic.

        ### P5(a) Derive the dual (6 points, graded by hand)

        Starting from the primal, introduce a Lagrange multiplier for each equality constraint (and one for each
        $T_{ij}\ge0$), write the Lagrangian, minimise it over $T$, and show that the resulting dual problem is the one
        above. State weak duality (why every feasible $(\phi,\psi)$ gives a lower bound) and the complementary
        slackness condition linking an optimal $T$ with optimal $(\phi, \psi)$.
        ''')
    nb.written("p5_dual_derivation", points=6, model_answer=r'''
        Lagrangian with multipliers $\phi_i$ (row constraints), $\psi_j$ (column constraints) and $\lambda_{ij}\ge0$ for $T_{ij}\ge0$:
        $$L(T,\phi,\psi,\lambda) = \sum_{ij} c_{ij}T_{ij} + \sum_i\phi_i\Big(v_i - \sum_j T_{ij}\Big) + \sum_j\psi_j\Big(w_j - \sum_i T_{ij}\Big) - \sum_{ij}\lambda_{ij}T_{ij}$$
        $$= \sum_i v_i\phi_i + \sum_j w_j\psi_j + \sum_{ij} T_{ij}\,(c_{ij} - \phi_i - \psi_j - \lambda_{ij}).$$
        $L$ is linear in $T$ (unconstrained), so $\inf_T L = \sum_i v_i\phi_i + \sum_j w_j\psi_j$ if
        $c_{ij} - \phi_i - \psi_j - \lambda_{ij} = 0$ for all $i,j$, and $-\infty$ otherwise. The dual maximises this over
        $\phi,\psi$ free and $\lambda\ge0$; eliminating $\lambda_{ij} = c_{ij}-\phi_i-\psi_j \ge 0$ gives
        $\max \sum_i v_i\phi_i + \sum_j w_j\psi_j$ s.t. $\phi_i + \psi_j \le c_{ij}$.

        Weak duality: for feasible $T$ and $(\phi,\psi)$,
        $\sum_{ij}c_{ij}T_{ij} \ge \sum_{ij}(\phi_i+\psi_j)T_{ij} = \sum_i v_i\phi_i + \sum_j w_j\psi_j$ (using $T\ge0$ and the
        marginals). For a feasible, bounded LP strong duality holds (the problem is linear, so no Slater condition is
        needed), so the values are equal. Complementary slackness: $T_{ij}\,(c_{ij}-\phi_i-\psi_j) = 0$ for all $i,j$:
        mass only moves along pairs where the dual constraint is tight.

        Grading: Lagrangian 2, minimisation over $T$ giving the constraint 2, weak duality 1, complementary slackness 1.
        ''')


def _p5_primal(nb):
    """P5(b): the primal as a linear program."""
    nb.md(r'''
        ### P5(b) The primal as a linear program (7 points)

        Implement `ot_primal(v, w, C)` with `scipy.optimize.linprog(..., method="highs")`. Flatten $T$ row by row
        (`T.ravel()`), so $T_{ij}$ is variable $i k_2 + j$; build the $k_1 + k_2$ equality constraints (e.g. with
        `np.kron`) and the bounds. Return the optimal value and the plan reshaped to $(k_1, k_2)$.
        ''')
    nb.answer("p5_ot_primal", '''
        def ot_primal(v, w, C):
            """v: (k1,), w: (k2,) float64 probability vectors; C: (k1, k2) float64 costs.

            Returns (value: float, T: (k1, k2) float64 optimal plan).
            """
            ### BEGIN SOLUTION
            v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
            k1, k2 = C.shape
            rows = np.kron(np.eye(k1), np.ones((1, k2)))   # sum_j T_ij = v_i
            cols = np.kron(np.ones((1, k1)), np.eye(k2))   # sum_i T_ij = w_j
            res = linprog(C.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([v, w]),
                          bounds=(0, None), method="highs")
            if res.status != 0:
                raise RuntimeError(res.message)
            return float(res.fun), res.x.reshape(k1, k2)
            ### END SOLUTION
        ''')
    nb.tests("p5_ot_primal_tests", points=7, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(1)
        def test_small_example_value():
            v, w = np.array([0.5, 0.5]), np.array([0.5, 0.5])
            C = np.array([[0.0, 1.0], [1.0, 0.0]])
            value, _ = ot_primal(v, w, C)
            assert isinstance(value, float), f"expected ot_primal to return the value as a float, found {type(value).__name__}"
            hint = ": that is the most expensive plan; linprog minimises, so pass the costs themselves" if abs(value - 1) < 1e-6 else ""
            assert abs(value) < 1e-9, \\
                (f"expected OT = 0 between identical two-point distributions with zero cost on the diagonal (nothing has "
                 f"to move), found {value:.6g}{hint}")


        @points(0.5)
        def test_small_example_plan_is_a_coupling():
            v, w = np.array([0.5, 0.5]), np.array([0.5, 0.5])
            _, T = ot_primal(v, w, np.array([[0.0, 1.0], [1.0, 0.0]]))
            checks.assert_coupling(T, v, w, name="the plan")

        ### BEGIN HIDDEN TESTS
        def _instances():
            rng = np.random.default_rng(11)
            for k1, k2 in [(3, 3), (4, 7), (8, 5), (1, 4)]:
                v, w = rng.dirichlet(np.ones(k1)), rng.dirichlet(np.ones(k2))
                C = np.abs(rng.normal(size=(k1, 1)) - rng.normal(size=(1, k2))) + rng.uniform(0, 0.5, (k1, k2))
                yield v, w, C


        @points(2)
        def test_plan_is_a_coupling():
            for v, w, C in _instances():
                _, T = ot_primal(v, w, C)
                checks.assert_coupling(T, v, w, atol=1e-8, name=f"the {len(v)}x{len(w)} plan")


        @points(1)
        def test_value_is_the_cost_of_the_plan():
            for v, w, C in _instances():
                value, T = ot_primal(v, w, C)
                checks.assert_close(value, float(np.sum(C * np.asarray(T))), atol=1e-8, name="value versus sum of C*T")


        @points(2.5)
        def test_value_is_optimal():
            for v, w, C in _instances():
                value, _ = ot_primal(v, w, C)
                checks.assert_close(value, checks.discrete_w1(v, w, C), atol=1e-7, name=f"OT value ({len(v)}x{len(w)}) versus POT's ot.emd2")
        ### END HIDDEN TESTS

        run_tests(points=7, hidden=5.5)
        ''')


def _p5_dual(nb):
    """P5(c): the dual as a linear program, and a demonstration."""
    nb.md(r'''
        ### P5(c) The dual as a linear program (7 points)

        Implement `ot_dual(v, w, C)`, also with `linprog` (HiGHS). `linprog` minimises, so maximise by minimising the
        negative objective; the variables are $(\phi, \psi)$ stacked into one vector of length $k_1 + k_2$, free in sign,
        with one inequality $\phi_i + \psi_j \le c_{ij}$ per pair. Return the optimal dual value and the potentials. The
        tests check strong duality against an independent solver, feasibility of your potentials, and complementary
        slackness with an optimal plan.
        ''')
    nb.answer("p5_ot_dual", '''
        def ot_dual(v, w, C):
            """v: (k1,), w: (k2,) float64 probability vectors; C: (k1, k2) float64 costs.

            Returns (value: float, phi: (k1,) float64, psi: (k2,) float64) optimal potentials.
            """
            ### BEGIN SOLUTION
            v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
            k1, k2 = C.shape
            A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))),    # phi_i in row i*k2 + j
                              np.kron(np.ones((k1, 1)), np.eye(k2))])   # psi_j in row i*k2 + j
            res = linprog(-np.concatenate([v, w]), A_ub=A_ub, b_ub=C.ravel(), bounds=(None, None), method="highs")
            if res.status != 0:
                raise RuntimeError(res.message)
            return float(-res.fun), res.x[:k1], res.x[k1:]
            ### END SOLUTION
        ''')
    nb.tests("p5_ot_dual_tests", points=7, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks


        @points(0.5)
        def test_shapes_and_types():
            v, w = np.array([0.2, 0.8]), np.array([0.1, 0.3, 0.6])
            value, phi, psi = ot_dual(v, w, np.arange(6.0).reshape(2, 3))
            assert isinstance(value, float), f"expected ot_dual to return the value as a float, found {type(value).__name__}"
            assert np.shape(phi) == (2,) and np.shape(psi) == (3,), \\
                f"expected phi with k1 = 2 entries and psi with k2 = 3, found shapes {np.shape(phi)} and {np.shape(psi)}"


        @points(1)
        def test_small_example_value():
            v, w = np.array([0.5, 0.5]), np.array([0.5, 0.5])
            C = np.array([[1.0, 3.0], [2.0, 1.0]])
            value, _, _ = ot_dual(v, w, C)
            hints = {-1.0: ": the sign is flipped; linprog minimises, so minimise minus the objective and negate the result",
                     2.5: ": that is the cost of the most expensive plan; the constraints are phi_i + psi_j <= c_ij"}
            assert abs(value - 1) < 1e-7, \\
                (f"expected the dual value 1, the cost of keeping the mass in place, as the primal gives (strong duality), "
                 f"found {value:.6g}" + hints.get(round(value, 6), ""))

        ### BEGIN HIDDEN TESTS
        def _instances():
            rng = np.random.default_rng(23)
            for k1, k2 in [(3, 3), (5, 2), (6, 9), (2, 1)]:
                v, w = rng.dirichlet(np.ones(k1)), rng.dirichlet(np.ones(k2))
                x, y = rng.normal(size=(k1, 2)), rng.normal(size=(k2, 2))
                yield v, w, np.linalg.norm(x[:, None] - y[None], axis=-1)


        @points(2)
        def test_strong_duality():
            for v, w, C in _instances():
                value, _, _ = ot_dual(v, w, C)
                checks.assert_close(value, checks.discrete_w1(v, w, C), atol=1e-7, name=f"dual value ({len(v)}x{len(w)}) versus POT's primal")


        @points(0.5)
        def test_value_is_the_dual_objective():
            for v, w, C in _instances():
                value, phi, psi = ot_dual(v, w, C)
                checks.assert_close(value, float(v @ np.asarray(phi) + w @ np.asarray(psi)), atol=1e-8,
                                    name="returned value versus v.phi + w.psi")


        @points(1.5)
        def test_potentials_are_feasible():
            for v, w, C in _instances():
                _, phi, psi = ot_dual(v, w, C)
                slack = C - np.asarray(phi, float)[:, None] - np.asarray(psi, float)[None, :]
                assert slack.min() > -1e-8, "the potentials violate a dual constraint phi_i + psi_j <= c_ij"


        @points(1.5)
        def test_complementary_slackness():
            import ot
            for v, w, C in _instances():
                _, phi, psi = ot_dual(v, w, C)
                T = ot.emd(v, w, C)
                gap = float(np.sum(T * (C - np.asarray(phi, float)[:, None] - np.asarray(psi, float)[None, :])))
                assert abs(gap) < 1e-7, "complementary slackness fails: mass moves along a pair whose dual constraint is not tight"
        ### END HIDDEN TESTS

        run_tests(points=7, hidden=5.5)
        ''')
    nb.md(r'''
        A quick demonstration of what the tests check, on a random $4\times 6$ instance: both programs give the same
        value, and the plan only moves mass where the dual constraint is tight.
        ''')
    nb.code('''
        rng = np.random.default_rng(0)
        v_demo, w_demo = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(6))
        C_demo = np.abs(rng.normal(size=(4, 1)) - rng.normal(size=(1, 6)))
        primal_value, T_demo = ot_primal(v_demo, w_demo, C_demo)
        dual_value, phi_demo, psi_demo = ot_dual(v_demo, w_demo, C_demo)
        tight = np.isclose(phi_demo[:, None] + psi_demo[None, :], C_demo, atol=1e-9)
        print(f"primal {primal_value:.6f}  dual {dual_value:.6f}")
        print("pairs carrying mass are tight:", bool(np.all(tight[T_demo > 1e-12])))
        ''', uses_answers=True, check_output=True)


# ============================================================================ P0
def _p0(nb: Notebook) -> None:
    nb.md(r'''
        ## P0. The notebook runs from top to bottom (1 point)

        Restart the kernel and run every cell before you submit. The check below confirms that every required
        piece is defined and works on a tiny input; after a training run (fast or full mode) it also checks that
        the results of P1-P3 were recorded. The autograder does not train: it checks `hw4_results.json`, which
        your full-mode run saved in the homework folder, for every model's result after the full 30 epochs.
        ''')
    nb.tests("p0_tests", points=1, src='''
        from dgmlab.testing import points, run_tests


        def _everything_defined():
            """Every answer's name exists (else the reason none of P0's points are earned)."""
            needed = ["Generator", "Discriminator", "discriminator_loss", "generator_loss", "discriminator_step",
                      "generator_step", "make_gan", "train_gan", "ConditionalGenerator", "ConditionalDiscriminator",
                      "cgan_discriminator_step", "cgan_generator_step", "V_point", "D_star", "second_derivative", "D_star_pi",
                      "C_point", "virtual_criterion", "js_divergence", "ot_primal", "ot_dual"]
            missing = [n for n in needed if n not in globals()]
            assert not missing, f"expected every answer defined, found these missing (run every cell in order): {missing}"


        @points(0.25)
        def test_everything_is_defined():
            _everything_defined()

        ### BEGIN HIDDEN TESTS
        @points(0.25)
        def test_pieces_run_on_tiny_inputs():
            with torch.no_grad():
                x = Generator()(torch.randn(2, 100))
                Discriminator().eval()(x)
                ConditionalDiscriminator().eval()(ConditionalGenerator()(torch.randn(2, 100), torch.arange(2)), torch.arange(2))
            for name in EXPERIMENTS:
                make_gan(name)
            p = np.array([0.5, 0.5])
            float(virtual_criterion(p, p))
            float(js_divergence(p, p))
            ot_primal(p, p, np.eye(2))
            ot_dual(p, p, np.eye(2))


        @points(0.5)
        def test_results_recorded_after_training():
            _everything_defined()  # results of a notebook that does not define every answer earn nothing
            if is_grading():
                # the autograder does not train: it reads the results file your full-mode run saved
                assert RESULTS_FILE.exists(), (f"no {RESULTS_FILE} in the homework folder: run every training cell in "
                                               f"full mode and submit {RESULTS_FILE} together with the notebook")
                assert RESULTS_FILE.stat().st_size < 100_000, f"{RESULTS_FILE} is far larger than the notebook writes"
                try:
                    saved = json.loads(RESULTS_FILE.read_text())
                except ValueError as exc:
                    raise AssertionError(f"{RESULTS_FILE} is not valid JSON: {exc}") from None
                for name in (*EXPERIMENTS, "cgan"):
                    r = saved.get(name) if isinstance(saved, dict) else None
                    assert isinstance(r, dict), f"{RESULTS_FILE} records no result for {name}: run its training cell"
                    assert r.get("epochs") == FULL_EPOCHS and r.get("data") == "full", (
                        f"{name} in {RESULTS_FILE} was not trained in full mode ({FULL_EPOCHS} epochs on all MNIST "
                        f"digits): epochs={r.get('epochs')}, data={r.get('data')}")
                    assert isinstance(r.get("mnist_score"), (int, float)) and math.isfinite(r["mnist_score"]), \\
                        f"{name}: the MNIST classifier score in {RESULTS_FILE} is not a finite number"
                assert 0 <= saved["cgan"].get("conditional_accuracy", -1) <= 1, "conditional accuracy must be a share"
                return
            for name in (*EXPERIMENTS, "cgan"):
                assert name in RESULTS, f"no result recorded for {name}: run its training cell"
                assert np.isfinite(RESULTS[name]["mnist_score"]), f"{name}: the MNIST classifier score is not finite"
            assert 0 <= RESULTS["cgan"]["conditional_accuracy"] <= 1, "conditional accuracy must be a share"
            for name in ("baseline_samples", "cgan_grid", "d_steps_10_losses"):
                assert (FIGURES / f"{name}.png").exists(), f"figure {name}.png was not saved"
        ### END HIDDEN TESTS

        run_tests(points=1, hidden=0.75)
        ''')
    nb.md(r'''
        ## Closing note

        What to take away: the GAN losses are two cross-entropies, and the choices around them (which loss the
        generator uses, how strong the discriminator is, how often each player moves) decide whether training
        works; the theory explains the target (at the optimal discriminator the generator minimises a Jensen-Shannon
        divergence) and why that target is hard to learn from when supports barely overlap, which is where the
        optimal-transport view of P5 and the WGAN come in.
        ''')


# ============================================================================ proofs
def _src(text: str) -> str:
    import textwrap
    return textwrap.dedent(text).strip("\n")


_GEN_HEAD = '''
class Generator(nn.Module):
    def __init__(self, latent_dim=100, widths=(128, 256, 512), out_dim=784):
        super().__init__()
        self.latent_dim = latent_dim
'''
_DISC_HEAD = '''
class Discriminator(nn.Module):
    def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
'''


def _generator(body_layers: str, forward: str = "return self.net(z)") -> str:
    return _src(_GEN_HEAD) + "\n" + _indent(body_layers, 8) + "\n\n    def forward(self, z):\n        " + forward


def _discriminator(body_layers: str, forward: str = "return self.net(x.reshape(x.shape[0], -1))") -> str:
    return _src(_DISC_HEAD) + "\n" + _indent(body_layers, 8) + "\n\n    def forward(self, x):\n        " + forward


def _indent(text: str, n: int) -> str:
    return "\n".join((" " * n + line) if line.strip() else "" for line in _src(text).splitlines())


_G_OK = '''
layers, width_in = [], latent_dim
for width in widths:
    layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2)]
    width_in = width
layers += [nn.Linear(width_in, out_dim), nn.Tanh()]
self.net = nn.Sequential(*layers)
'''
_D_OK = '''
layers, width_in = [], in_dim
for width in widths:
    layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
    width_in = width
layers.append(nn.Linear(width_in, 1))
self.net = nn.Sequential(*layers)
'''

_LOSSES_OK_G = '''
def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
'''
_LOSSES_OK_D = '''
def discriminator_loss(real_logits, fake_logits):
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake
'''

_MAKE_GAN = '''
EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")


def make_gan(experiment, latent_dim=100):
    g_widths, d_widths, d_steps = (128, 256, 512), (512, 256, 128), 1
    if experiment == "wide_generator":
        g_widths = {WIDE}
    elif experiment == "deep_discriminator":
        d_widths = {DEEP}
    elif experiment == "d_steps_10":
        d_steps = {DSTEPS}
    elif experiment != "baseline":
        {ELSE}
    return Generator(latent_dim, g_widths), Discriminator({DISC_ARG}), d_steps
'''


def _make_gan(WIDE="(256, 512, 1024)", DEEP="(1024, 512, 256, 128)", DSTEPS="10",
              ELSE="raise ValueError(experiment)", DISC_ARG="d_widths") -> str:
    return _src(_MAKE_GAN.replace("{WIDE}", WIDE).replace("{DEEP}", DEEP).replace("{DSTEPS}", DSTEPS)
                .replace("{ELSE}", ELSE).replace("{DISC_ARG}", DISC_ARG))


_TRAIN = '''
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    device = next(generator.parameters()).device
    history = {"d_loss": [], "g_loss": []}
    n_d = 0
    for _ in range(epochs):
        for real, _labels in loader:
            real = real.to(device)
BODY
    return history
'''


def _train(body: str) -> str:
    return _src(_TRAIN).replace("BODY", _indent(body, 12))


def _train_with_noise(z: str) -> str:
    """The reference loop with one noise draw ``z`` shared by both steps (sharing is allowed: see the correct
    variant below), for the wrong answers that draw ``z`` wrongly."""
    return _train(f'''
        z = {z}
        history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
        n_d += 1
        if n_d % d_steps == 0:
            history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))
        ''')


_CG = '''
class ConditionalGenerator(nn.Module):
    def __init__(self, latent_dim=100, n_classes=10, embed_dim=10, widths=(128, 256, 512), out_dim=784):
        super().__init__()
        self.latent_dim = latent_dim
        self.embed = nn.Embedding(n_classes, embed_dim)
        layers, width_in = [], latent_dim + embed_dim
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2)EXTRA]
            width_in = width
        layers += [nn.Linear(width_in, out_dim), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z, labels):
        FORWARD
'''


def _cg(extra="", forward="return self.net(torch.cat([z, self.embed(labels)], dim=1))") -> str:
    return _src(_CG).replace("EXTRA", extra).replace("FORWARD", forward)


_CD = '''
class ConditionalDiscriminator(nn.Module):
    def __init__(self, n_classes=10, embed_dim=10, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        self.embed = nn.Embedding(n_classes, embed_dim)
        layers, width_in = [], in_dim + embed_dim
        for width in widths:
            layers += [nn.Linear(width_in, width)NORM, nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width_in = width
        layers.append(nn.Linear(width_in, 1))
        LAST
        self.net = nn.Sequential(*layers)

    def forward(self, x, labels):
        FORWARD
'''


def _cd(norm="", last="pass", forward="return self.net(torch.cat([x.reshape(x.shape[0], -1), self.embed(labels)], dim=1))") -> str:
    return _src(_CD).replace("NORM", norm).replace("LAST", last).replace("FORWARD", forward)


_CSTEPS = '''
def cgan_discriminator_step(generator, discriminator, d_opt, real, labels, z):
    d_opt.zero_grad()
    with torch.no_grad():
        fake = generator(z, FAKE_LABELS)
    loss = discriminator_loss(discriminator(real, labels), discriminator(fake, JUDGE_LABELS))
    loss.backward()
    d_opt.step()
    return loss.item()


def cgan_generator_step(generator, discriminator, g_opt, z, labels):
    g_opt.zero_grad()
    loss = generator_loss(discriminator(generator(z, GEN_LABELS), labels))
    loss.backward()
    g_opt.step()
    return loss.item()
'''


def _csteps(fake="labels", judge="labels", gen="labels") -> str:
    return _src(_CSTEPS).replace("FAKE_LABELS", fake).replace("JUDGE_LABELS", judge).replace("GEN_LABELS", gen)


_P4B = '''
C_point = CPOINT


def virtual_criterion(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    s = p + q
    return float(VC)


def js_divergence(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    m = (p + q) / 2
    return float(JS)
'''


def _p4b(cpoint="V_point.subs(d, D_star)",
         vc="np.sum(xlogy(p, p) - xlogy(p, s) + xlogy(q, q) - xlogy(q, s))",
         js="0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m))") -> str:
    return _src(_P4B).replace("CPOINT", cpoint).replace("VC", vc).replace("JS", js)


_PRIMAL = '''
def ot_primal(v, w, C):
    v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
    k1, k2 = C.shape
    rows = np.kron(np.eye(k1), np.ones((1, k2)))
    cols = np.kron(np.ones((1, k1)), np.eye(k2))
    res = linprog(OBJ, A_eq=np.vstack([rows, cols]), b_eq=BEQ, bounds=BOUNDS, method="highs")
    return float(SIGN res.fun), res.x.reshape(k1, k2)
'''


def _primal(obj="C.ravel()", beq="np.concatenate([v, w])", bounds="(0, None)", sign="") -> str:
    return _src(_PRIMAL).replace("OBJ", obj).replace("BEQ", beq).replace("BOUNDS", bounds).replace("SIGN", sign)


_DUAL = '''
def ot_dual(v, w, C):
    v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
    k1, k2 = C.shape
    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])
    res = linprog(OBJ, A_ub=CONSTRAINT, b_ub=RHS, bounds=BOUNDS, method="highs")
    return float(SIGN res.fun), res.x[:k1], res.x[k1:]
'''


def _dual(obj="-np.concatenate([v, w])", constraint="A_ub", rhs="C.ravel()", bounds="(None, None)", sign="-") -> str:
    return _src(_DUAL).replace("OBJ", obj).replace("CONSTRAINT", constraint).replace("RHS", rhs) \
        .replace("BOUNDS", bounds).replace("SIGN", sign)


MUTANTS = [
    # ---------------------------------------------------------------- P1 generator
    Mutant("p1_generator", "BatchNorm added to the generator", _generator(_G_OK.replace(
        "nn.Linear(width_in, width), nn.LeakyReLU(0.2)", "nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2)")),
        earns={"p1_generator_tests": 4.5}),
    Mutant("p1_generator", "dropout in the generator", _generator(_G_OK.replace(
        "nn.LeakyReLU(0.2)]", "nn.LeakyReLU(0.2), nn.Dropout(0.3)]")), earns={"p1_generator_tests": 4.5}),
    Mutant("p1_generator", "sigmoid output instead of tanh", _generator(_G_OK.replace("nn.Tanh()", "nn.Sigmoid()")),
           earns={"p1_generator_tests": 3.5}),
    Mutant("p1_generator", "widths reversed (512, 256, 128)", _generator(_G_OK.replace("for width in widths", "for width in widths[::-1]")),
           earns={"p1_generator_tests": 3.75}),
    Mutant("p1_generator", "ReLU instead of LeakyReLU", _generator(_G_OK.replace("nn.LeakyReLU(0.2)", "nn.ReLU()")),
           earns={"p1_generator_tests": 3.75}),
    Mutant("p1_generator", "blank generator also fails P0", STUB, earns={"p1_generator_tests": 0, "p0_tests": 0}),
    Mutant("p1_generator", "LeakyReLU with PyTorch's default slope 0.01", _generator(_G_OK.replace(
        "nn.LeakyReLU(0.2)", "nn.LeakyReLU()")), earns={"p1_generator_tests": 4.5}),
    Mutant("p1_generator", "widths argument ignored (always 128, 256, 512)", _generator(_G_OK.replace(
        "for width in widths", "for width in (128, 256, 512)")), earns={"p1_generator_tests": 4.5}),
    Mutant("p1_generator", "correct variant: ModuleList, one shared LeakyReLU(0.2)", _src('''
        class Generator(nn.Module):
            def __init__(self, latent_dim=100, widths=(128, 256, 512), out_dim=784):
                super().__init__()
                self.latent_dim = latent_dim
                dims = [latent_dim, *widths]
                self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
                self.act = nn.LeakyReLU(0.2)
                self.out = nn.Linear(dims[-1], out_dim)
                self.squash = nn.Tanh()

            def forward(self, z):
                for layer in self.hidden:
                    z = self.act(layer(z))
                return self.squash(self.out(z))
        '''), passes=["p1_generator_tests"]),
    # ---------------------------------------------------------------- P1 discriminator
    Mutant("p1_discriminator", "sigmoid at the end (applied twice with the logit loss)", _discriminator(_D_OK.replace(
        "layers.append(nn.Linear(width_in, 1))", "layers += [nn.Linear(width_in, 1), nn.Sigmoid()]")),
        earns={"p1_discriminator_tests": 4.25}),
    Mutant("p1_discriminator", "no dropout", _discriminator(_D_OK.replace(", nn.Dropout(dropout)", "")),
           earns={"p1_discriminator_tests": 3.75}),
    Mutant("p1_discriminator", "BatchNorm added to the discriminator", _discriminator(_D_OK.replace(
        "nn.Linear(width_in, width), nn.LeakyReLU", "nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.LeakyReLU")),
        earns={"p1_discriminator_tests": 4.25}),
    Mutant("p1_discriminator", "hard-coded widths (ignores the argument)", _discriminator(_D_OK.replace(
        "for width in widths", "for width in (512, 256, 128)")), earns={"p1_discriminator_tests": 4.75}),
    Mutant("p1_discriminator", "does not flatten (N,1,28,28)", _discriminator(_D_OK, forward="return self.net(x)"),
           earns={"p1_discriminator_tests": 4.5}),
    Mutant("p1_discriminator", "LeakyReLU with PyTorch's default slope 0.01", _discriminator(_D_OK.replace(
        "nn.LeakyReLU(0.2)", "nn.LeakyReLU()")), earns={"p1_discriminator_tests": 4.5}),
    Mutant("p1_discriminator", "dropout probability 0.5 (PyTorch's default) instead of 0.3", _discriminator(_D_OK.replace(
        "nn.Dropout(dropout)", "nn.Dropout()")), earns={"p1_discriminator_tests": 4.5}),
    Mutant("p1_discriminator", "dropout argument ignored (always 0.3)", _discriminator(_D_OK.replace(
        "nn.Dropout(dropout)", "nn.Dropout(0.3)")), earns={"p1_discriminator_tests": 4.75}),
    Mutant("p1_discriminator", "correct variant: dropout before the activation, Flatten module", _src('''
        class Discriminator(nn.Module):
            def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
                super().__init__()
                layers, width_in = [nn.Flatten()], in_dim
                for width in widths:
                    layers += [nn.Linear(width_in, width), nn.Dropout(dropout), nn.LeakyReLU(0.2)]
                    width_in = width
                layers.append(nn.Linear(width_in, 1))
                self.net = nn.Sequential(*layers)

            def forward(self, x):
                return self.net(x)
        '''), passes=["p1_discriminator_tests"]),
    # ---------------------------------------------------------------- P1 losses
    Mutant("p1_losses", "sigmoid applied twice (sigmoid before the logit loss)", _src(_LOSSES_OK_D) + "\n\n\n" + _src('''
        def generator_loss(fake_logits):
            p = torch.sigmoid(fake_logits)
            return F.binary_cross_entropy_with_logits(p, torch.ones_like(p))
        '''), earns={"p1_losses_tests": 1.25}),
    Mutant("p1_losses", "saturating generator loss log(1 - D(G(z)))", _src(_LOSSES_OK_D) + "\n\n\n" + _src('''
        def generator_loss(fake_logits):
            return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        '''), earns={"p1_losses_tests": 1.25}),
    Mutant("p1_losses", "real/fake labels swapped", _src('''
        def discriminator_loss(real_logits, fake_logits):
            return (F.binary_cross_entropy_with_logits(real_logits, torch.zeros_like(real_logits))
                    + F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)))
        ''') + "\n\n\n" + _src(_LOSSES_OK_G), earns={"p1_losses_tests": 3}),
    Mutant("p1_losses", "sum over the batch instead of mean", _src('''
        def discriminator_loss(real_logits, fake_logits):
            return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits), reduction="sum")
                    + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits), reduction="sum"))
        ''') + "\n\n\n" + _src(_LOSSES_OK_G), earns={"p1_losses_tests": 1.25}),
    Mutant("p1_losses", "unstable sigmoid + BCE on probabilities", _src('''
        def discriminator_loss(real_logits, fake_logits):
            return (F.binary_cross_entropy(torch.sigmoid(real_logits), torch.ones_like(real_logits))
                    + F.binary_cross_entropy(torch.sigmoid(fake_logits), torch.zeros_like(fake_logits)))


        def generator_loss(fake_logits):
            return F.binary_cross_entropy(torch.sigmoid(fake_logits), torch.ones_like(fake_logits))
        '''), earns={"p1_losses_tests": 3.5}),
    Mutant("p1_losses", "detached losses", _src('''
        def discriminator_loss(real_logits, fake_logits):
            real_logits, fake_logits = real_logits.detach(), fake_logits.detach()
            return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                    + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


        def generator_loss(fake_logits):
            return F.binary_cross_entropy_with_logits(fake_logits.detach(), torch.ones_like(fake_logits))
        '''), earns={"p1_losses_tests": 2.75}),
    Mutant("p1_losses", "half the sum in the discriminator loss (the average of the two terms)", _src('''
        def discriminator_loss(real_logits, fake_logits):
            real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
            return (real + fake) / 2
        ''') + "\n\n\n" + _src(_LOSSES_OK_G), earns={"p1_losses_tests": 1.75}),
    Mutant("p1_losses", "correct variant: softplus forms", _src('''
        def discriminator_loss(real_logits, fake_logits):
            return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


        def generator_loss(fake_logits):
            return F.softplus(-fake_logits).mean()
        '''), passes=["p1_losses_tests"]),
    # ---------------------------------------------------------------- P1 steps
    Mutant("p1_d_step", "forgets zero_grad", _src('''
        def discriminator_step(generator, discriminator, d_opt, real, z):
            with torch.no_grad():
                fake = generator(z)
            loss = discriminator_loss(discriminator(real), discriminator(fake))
            loss.backward()
            d_opt.step()
            return loss.item()
        '''), earns={"p1_d_step_tests": 2.25}),
    Mutant("p1_d_step", "fakes not detached (gradients leak into G)", _src('''
        def discriminator_step(generator, discriminator, d_opt, real, z):
            d_opt.zero_grad()
            loss = discriminator_loss(discriminator(real), discriminator(generator(z)))
            loss.backward()
            d_opt.step()
            return loss.item()
        '''), earns={"p1_d_step_tests": 2.75}),
    Mutant("p1_d_step", "real and fake swapped", _src('''
        def discriminator_step(generator, discriminator, d_opt, real, z):
            d_opt.zero_grad()
            with torch.no_grad():
                fake = generator(z)
            loss = discriminator_loss(discriminator(fake), discriminator(real))
            loss.backward()
            d_opt.step()
            return loss.item()
        '''), earns={"p1_d_step_tests": 0.5}),
    Mutant("p1_d_step", "returns the loss recomputed after the update", _src('''
        def discriminator_step(generator, discriminator, d_opt, real, z):
            d_opt.zero_grad()
            with torch.no_grad():
                fake = generator(z)
            loss = discriminator_loss(discriminator(real), discriminator(fake))
            loss.backward()
            d_opt.step()
            with torch.no_grad():
                return discriminator_loss(discriminator(real), discriminator(fake)).item()
        '''), earns={"p1_d_step_tests": 2.5}),
    Mutant("p1_d_step", "correct variant: detach, loss computed after a second forward", _src('''
        def discriminator_step(generator, discriminator, d_opt, real, z):
            fake = generator(z).detach()
            discriminator.zero_grad()
            loss = discriminator_loss(discriminator(real), discriminator(fake))
            loss.backward()
            d_opt.step()
            return float(loss.detach())
        '''), passes=["p1_d_step_tests"]),
    Mutant("p1_g_step", "fake detached in the generator step", _src('''
        def generator_step(generator, discriminator, g_opt, z):
            g_opt.zero_grad()
            loss = generator_loss(discriminator(generator(z).detach()))
            loss.backward()
            g_opt.step()
            return loss.item()
        '''), earns={"p1_g_step_tests": 1}),
    Mutant("p1_g_step", "minimax (saturating) loss in the step", _src('''
        def generator_step(generator, discriminator, g_opt, z):
            g_opt.zero_grad()
            logits = discriminator(generator(z))
            loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
            loss.backward()
            g_opt.step()
            return loss.item()
        '''), earns={"p1_g_step_tests": 0.75}),
    Mutant("p1_g_step", "forgets zero_grad", _src('''
        def generator_step(generator, discriminator, g_opt, z):
            loss = generator_loss(discriminator(generator(z)))
            loss.backward()
            g_opt.step()
            return loss.item()
        '''), earns={"p1_g_step_tests": 2.5}),
    Mutant("p1_g_step", "correct variant: generator.zero_grad()", _src('''
        def generator_step(generator, discriminator, g_opt, z):
            generator.zero_grad(set_to_none=True)
            fake = generator(z)
            loss = generator_loss(discriminator(fake))
            loss.backward()
            g_opt.step()
            return loss.detach().item()
        '''), passes=["p1_g_step_tests"]),
    # ---------------------------------------------------------------- P2
    Mutant("p2_make_gan", "wide generator widens the discriminator instead", _make_gan(
        WIDE="(128, 256, 512)", DISC_ARG="(1024, 512, 256) if experiment == 'wide_generator' else d_widths"),
        earns={"p2_make_gan_tests": 2.5}),
    Mutant("p2_make_gan", "deeper discriminator appends a smaller layer", _make_gan(DEEP="(512, 256, 128, 64)"),
           earns={"p2_make_gan_tests": 2.5}),
    Mutant("p2_make_gan", "d_steps left at 1", _make_gan(DSTEPS="1"), earns={"p2_make_gan_tests": 2.5}),
    Mutant("p2_make_gan", "unknown names fall back to the baseline", _make_gan(ELSE="pass"), earns={"p2_make_gan_tests": 2.5}),
    Mutant("p2_make_gan", "the same networks returned on every call (built once)", _src('''
        EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")
        _BUILT = {}


        def make_gan(experiment, latent_dim=100):
            settings = {"baseline": ((128, 256, 512), (512, 256, 128), 1),
                        "wide_generator": ((256, 512, 1024), (512, 256, 128), 1),
                        "deep_discriminator": ((128, 256, 512), (1024, 512, 256, 128), 1),
                        "d_steps_10": ((128, 256, 512), (512, 256, 128), 10)}
            if experiment not in settings:
                raise ValueError(experiment)
            if experiment not in _BUILT:
                g, d, k = settings[experiment]
                _BUILT[experiment] = (Generator(latent_dim, g), Discriminator(d), k)
            return _BUILT[experiment]
        '''), earns={"p2_make_gan_tests": 2.75}),
    Mutant("p2_make_gan", "correct variant: table of settings", _src('''
        EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")
        _SETTINGS = {"baseline": ((128, 256, 512), (512, 256, 128), 1),
                     "wide_generator": ((256, 512, 1024), (512, 256, 128), 1),
                     "deep_discriminator": ((128, 256, 512), (1024, 512, 256, 128), 1),
                     "d_steps_10": ((128, 256, 512), (512, 256, 128), 10)}


        def make_gan(experiment, latent_dim=100):
            if experiment not in _SETTINGS:
                raise ValueError(experiment)
            g, d, k = _SETTINGS[experiment]
            return Generator(latent_dim=latent_dim, widths=g), Discriminator(widths=d), k
        '''), passes=["p2_make_gan_tests"]),
    Mutant("p2_train_gan", "ignores d_steps (G every batch)", _train('''
        z = torch.randn(real.shape[0], generator.latent_dim, device=device)
        history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
        history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))
        '''), earns={"p2_train_gan_tests": 2}),
    Mutant("p2_train_gan", "d_steps updates on the same batch, G every batch", _train('''
        for _ in range(d_steps):
            z = torch.randn(real.shape[0], generator.latent_dim, device=device)
            history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
        history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))
        '''), earns={"p2_train_gan_tests": 2}),
    Mutant("p2_train_gan", "generator updated before the discriminator", _train('''
        z = torch.randn(real.shape[0], generator.latent_dim, device=device)
        if n_d % d_steps == 0:
            history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))
        history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
        n_d += 1
        '''), earns={"p2_train_gan_tests": 1.5}),
    Mutant("p2_train_gan", "generator never trained", _train('''
        z = torch.randn(real.shape[0], generator.latent_dim, device=device)
        history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
        n_d += 1
        if n_d % d_steps == 0:
            history["g_loss"].append(generator_loss(discriminator(generator(z))).item())
        '''), earns={"p2_train_gan_tests": 0.5}),
    Mutant("p2_train_gan", "noise of shape (latent_dim, batch): arguments of randn swapped",
           _train_with_noise("torch.randn(generator.latent_dim, real.shape[0], device=device)"), earns={"p2_train_gan_tests": 0.5}),
    Mutant("p2_train_gan", "noise batch taken from the channel dimension (real.shape[1])",
           _train_with_noise("torch.randn(real.shape[1], generator.latent_dim, device=device)"), earns={"p2_train_gan_tests": 2.5}),
    Mutant("p2_train_gan", "real batches left where the loader put them (no .to(device))",
           _train('''
        z = torch.randn(real.shape[0], generator.latent_dim, device=device)
        history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real.cpu(), z))
        n_d += 1
        if n_d % d_steps == 0:
            z = torch.randn(real.shape[0], generator.latent_dim, device=device)
            history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))
        '''), earns={"p2_train_gan_tests": 2.75}),
    Mutant("p2_train_gan", "correct variant: same noise for both steps, counter reset after each G update", _train('''
        z = torch.randn(real.shape[0], generator.latent_dim, device=device)
        history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
        n_d += 1
        if n_d == d_steps:
            n_d = 0
            history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))
        '''), passes=["p2_train_gan_tests"]),
    # ---------------------------------------------------------------- P3
    Mutant("p3_cond_generator", "labels ignored (embedding computed, not used)",
           _cg(forward="e = self.embed(labels)\n        return self.net(torch.cat([z, torch.zeros_like(e)], dim=1))"),
           earns={"p3_cond_generator_tests": 2.5}),
    Mutant("p3_cond_generator", "dropout in the conditional generator", _cg(extra=", nn.Dropout(0.3)"),
           earns={"p3_cond_generator_tests": 3.75}),
    Mutant("p3_cond_generator", "BatchNorm in the conditional generator",
           _cg().replace("nn.Linear(width_in, width), nn.LeakyReLU(0.2)", "nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2)"),
           earns={"p3_cond_generator_tests": 3.75}),
    Mutant("p3_cond_generator", "one-hot labels instead of an embedding",
           _cg(forward="return self.net(torch.cat([z, F.one_hot(labels, 10).float()], dim=1))"),
           earns={"p3_cond_generator_tests": 3}),
    Mutant("p3_cond_generator", "LeakyReLU with PyTorch's default slope 0.01",
           _cg().replace("nn.LeakyReLU(0.2)", "nn.LeakyReLU()"), earns={"p3_cond_generator_tests": 3.5}),
    Mutant("p3_cond_generator", "correct variant: embedding first in the concatenation",
           _cg(forward="return self.net(torch.cat((self.embed(labels), z), 1))"), passes=["p3_cond_generator_tests"]),
    Mutant("p3_cond_discriminator", "labels ignored", _cd(forward="return self.net(torch.cat([x.reshape(x.shape[0], -1), self.embed(torch.zeros_like(labels))], dim=1))"),
           earns={"p3_cond_discriminator_tests": 3}),
    Mutant("p3_cond_discriminator", "sigmoid at the end", _cd(last="layers.append(nn.Sigmoid())"),
           earns={"p3_cond_discriminator_tests": 3.5}),
    Mutant("p3_cond_discriminator", "BatchNorm in the conditional discriminator", _cd(norm=", nn.BatchNorm1d(width)"),
           earns={"p3_cond_discriminator_tests": 3.75}),
    Mutant("p3_cond_discriminator", "dropout probability 0.5 instead of 0.3",
           _cd().replace("nn.Dropout(dropout)", "nn.Dropout(0.5)"), earns={"p3_cond_discriminator_tests": 3.75}),
    Mutant("p3_cond_discriminator", "correct variant: embedding before the image",
           _cd(forward="return self.net(torch.cat([self.embed(labels), x.flatten(1)], 1))"),
           passes=["p3_cond_discriminator_tests"]),
    Mutant("p3_cgan_steps", "fakes judged with random labels", _csteps(judge="torch.randint_like(labels, 10)"),
           earns={"p3_cgan_steps_tests": 2.25}),
    Mutant("p3_cgan_steps", "fakes generated for random labels", _csteps(fake="torch.randint_like(labels, 10)"),
           earns={"p3_cgan_steps_tests": 2.25}),
    Mutant("p3_cgan_steps", "generator draws other labels than the ones judged", _csteps(gen="torch.randint_like(labels, 10)"),
           earns={"p3_cgan_steps_tests": 2.25}),
    Mutant("p3_cgan_steps", "discriminator's old gradients never cleared", _csteps().replace("    d_opt.zero_grad()\n", ""),
           earns={"p3_cgan_steps_tests": 3.5}),
    Mutant("p3_cgan_steps", "generator's old gradients never cleared", _csteps().replace("    g_opt.zero_grad()\n", ""),
           earns={"p3_cgan_steps_tests": 3.5}),
    Mutant("p3_cgan_steps", "correct variant: detach and softplus losses written inline", _src('''
        def cgan_discriminator_step(generator, discriminator, d_opt, real, labels, z):
            discriminator.zero_grad()
            fake = generator(z, labels).detach()
            loss = F.softplus(-discriminator(real, labels)).mean() + F.softplus(discriminator(fake, labels)).mean()
            loss.backward()
            d_opt.step()
            return loss.item()


        def cgan_generator_step(generator, discriminator, g_opt, z, labels):
            generator.zero_grad()
            loss = F.softplus(-discriminator(generator(z, labels), labels)).mean()
            loss.backward()
            g_opt.step()
            return loss.item()
        '''), passes=["p3_cgan_steps_tests"]),
    # ---------------------------------------------------------------- P4
    Mutant("p4a", "densities swapped in the integrand", _src('''
        V_point = p_g * sp.log(d) + p_data * sp.log(1 - d)
        D_star = sp.solve(sp.diff(V_point, d), d)[0]
        second_derivative = sp.diff(V_point, d, 2).subs(d, D_star)
        D_star_pi = sp.solve(sp.diff(pi_real * p_g * sp.log(d) + (1 - pi_real) * p_data * sp.log(1 - d), d), d)[0]
        '''), earns={"p4a_tests": 2.25}),
    Mutant("p4a", "second derivative not evaluated at D*", _src('''
        V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)
        D_star = sp.solve(sp.diff(V_point, d), d)[0]
        second_derivative = sp.diff(V_point, d, 2)
        D_star_pi = sp.solve(sp.diff(pi_real * p_data * sp.log(d) + (1 - pi_real) * p_g * sp.log(1 - d), d), d)[0]
        '''), earns={"p4a_tests": 3.75}),
    Mutant("p4a", "first derivative sign slip in D*", _src('''
        V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)
        D_star = p_g / (p_data + p_g)
        second_derivative = sp.diff(V_point, d, 2).subs(d, D_star)
        D_star_pi = (1 - pi_real) * p_g / (pi_real * p_data + (1 - pi_real) * p_g)
        '''), earns={"p4a_tests": 1.25}),
    # the printed D* copied in earns nothing (issue 19): reused for the weighted case, or weights misplaced
    Mutant("p4a", "copied D* from the statement and reused it for unbalanced batches", _src('''
        V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)
        D_star = p_data / (p_data + p_g)
        second_derivative = sp.diff(V_point, d, 2).subs(d, D_star)
        D_star_pi = D_star + 0 * pi_real
        '''), earns={"p4a_tests": 1.75}),
    Mutant("p4a", "copied D* and put the batch shares on the wrong densities", _src('''
        V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)
        D_star = p_data / (p_data + p_g)
        second_derivative = sp.diff(V_point, d, 2).subs(d, D_star)
        D_star_pi = (1 - pi_real) * p_data / ((1 - pi_real) * p_data + pi_real * p_g)
        '''), earns={"p4a_tests": 2.25}),
    Mutant("p4a", "correct variant: by hand, unsimplified", _src('''
        V_point = sp.log(d) * p_data + sp.log(1 - d) * p_g
        D_star = 1 / (1 + p_g / p_data)
        second_derivative = -p_data / D_star**2 - p_g / (1 - D_star)**2
        D_star_pi = 1 / (1 + (1 - pi_real) * p_g / (pi_real * p_data))
        '''), passes=["p4a_tests"]),
    Mutant("p4b", "JSD without the 1/2 weights", _p4b(js="np.sum(xlogy(p, p) - xlogy(p, m)) + np.sum(xlogy(q, q) - xlogy(q, m))"),
           earns={"p4b_tests": 3.5}),
    Mutant("p4b", "JSD in bits (log base 2)", _p4b(js="(0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m))) / np.log(2)"),
           earns={"p4b_tests": 3.5}),
    Mutant("p4b", "D* swapped inside C (uses p_g/(p_data+p_g))", _p4b(
        cpoint="V_point.subs(d, p_g / (p_data + p_g))",
        vc="np.sum(xlogy(p, q) - xlogy(p, s) + xlogy(q, p) - xlogy(q, s))"), earns={"p4b_tests": 2.75}),
    Mutant("p4b", "0 log 0 not handled (np.log)", _p4b(
        vc="np.sum(p * np.log(p / s) + q * np.log(q / s))",
        js="0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m))"), earns={"p4b_tests": 2.5}),
    Mutant("p4b", "KL(p||q) used as the divergence", _p4b(js="np.sum(xlogy(p, p) - xlogy(p, q))"),
           earns={"p4b_tests": 3.5}),
    Mutant("p4b", "C_point with D = 1/2 substituted instead of D*", _p4b(cpoint="V_point.subs(d, sp.Rational(1, 2))"),
           earns={"p4b_tests": 4}),
    Mutant("p4b", "correct variant: scipy.special.rel_entr", _p4b(
        vc="-np.log(4) + np.sum(rel_entr(p, (p + q) / 2) + rel_entr(q, (p + q) / 2))",
        js="0.5 * np.sum(rel_entr(p, m)) + 0.5 * np.sum(rel_entr(q, m))").replace(
        "C_point =", "from scipy.special import rel_entr\n\nC_point =", 1), passes=["p4b_tests"]),
    # ---------------------------------------------------------------- P5
    Mutant("p5_ot_primal", "no non-negativity bound on T", _primal(bounds="(None, None)"), earns={"p5_ot_primal_tests": 0}),
    Mutant("p5_ot_primal", "marginals swapped", _primal(beq="np.concatenate([w, v]) if len(v) != len(w) else np.concatenate([v, w[::-1]])"),
           earns={"p5_ot_primal_tests": 1.5}),
    Mutant("p5_ot_primal", "maximises the cost", _primal(obj="-C.ravel()", sign="-"), earns={"p5_ot_primal_tests": 3.5}),
    Mutant("p5_ot_primal", "plan reshaped column by column (T_ij read as variable j k1 + i)",
           _primal().replace("res.x.reshape(k1, k2)", "res.x.reshape(k2, k1).T"), earns={"p5_ot_primal_tests": 4}),
    Mutant("p5_ot_primal", "correct variant: constraints built with loops", _src('''
        def ot_primal(v, w, C):
            C = np.asarray(C, dtype=np.float64)
            k1, k2 = C.shape
            A = np.zeros((k1 + k2, k1 * k2))
            for i in range(k1):
                for j in range(k2):
                    A[i, i * k2 + j] = 1
                    A[k1 + j, i * k2 + j] = 1
            res = linprog(C.flatten(), A_eq=A, b_eq=np.r_[v, w], bounds=[(0, None)] * (k1 * k2), method="highs")
            return float(res.fun), res.x.reshape(k1, k2)
        '''), passes=["p5_ot_primal_tests"]),
    Mutant("p5_ot_dual", "dual constraint with the wrong sign (phi_i + psi_j >= c_ij), minimised", _dual(
        obj="np.concatenate([v, w])", constraint="-A_ub", rhs="-C.ravel()", sign=""), earns={"p5_ot_dual_tests": 1}),
    Mutant("p5_ot_dual", "dual constraint with the wrong sign, maximised", _dual(constraint="-A_ub", rhs="-C.ravel()"),
           earns={"p5_ot_dual_tests": 0}),
    Mutant("p5_ot_dual", "potentials forced non-negative", _dual(bounds="(0, None)"), earns={"p5_ot_dual_tests": 3.5}),
    Mutant("p5_ot_dual", "forgot that linprog minimises", _dual(obj="np.concatenate([v, w])", sign=""),
           earns={"p5_ot_dual_tests": 0}),
    Mutant("p5_ot_dual", "value not negated back (returns the minimised -objective)", _dual(sign=""),
           earns={"p5_ot_dual_tests": 3.5}),
    Mutant("p5_ot_dual", "blank dual also fails P0", STUB, earns={"p5_ot_dual_tests": 0, "p0_tests": 0}),
    Mutant("p5_ot_dual", "correct variant: psi first in the variable vector", _src('''
        def ot_dual(v, w, C):
            C = np.asarray(C, dtype=np.float64)
            k1, k2 = C.shape
            A = np.zeros((k1 * k2, k1 + k2))
            for i in range(k1):
                for j in range(k2):
                    A[i * k2 + j, j] = 1        # psi_j
                    A[i * k2 + j, k2 + i] = 1   # phi_i
            res = linprog(-np.r_[w, v], A_ub=A, b_ub=C.reshape(-1), bounds=[(None, None)] * (k1 + k2), method="highs")
            return -float(res.fun), res.x[k2:], res.x[:k2]
        '''), passes=["p5_ot_dual_tests"]),
]

PARTIAL = [
    "sigmoid applied twice (sigmoid before the logit loss)",
    "ignores d_steps (G every batch)",
    "labels ignored (embedding computed, not used)",
    "JSD without the 1/2 weights",
    "dual constraint with the wrong sign (phi_i + psi_j >= c_ij), minimised",
]


# Generated mutants (docs/mutation.md) that survive because they change nothing a grade should notice, with the
# reason; benchmarks/mutation_kill_rates.py leaves them out of the kill rate. Keys are the labels it prints.
_BAR = "only the progress bar changes (the tests pass progress=False, so it is disabled); the training is the same"
_SPEC = ("the statement and docstring give numpy float64 arrays, which is what the tests pass; the conversion only "
         "helps other inputs")
_STATUS = ("every valid input is feasible and bounded (the product coupling v w^T is a plan; weak duality bounds the "
           "dual), so HiGHS always succeeds and the check never fires; on an infeasible input res.x is None and the "
           "next line raises anyway")
EQUIVALENT_MUTANTS = {
    "p2_train_gan": {
        "L20 delete: `bar.close()` deleted": _BAR,
        "L17 delete: `bar.update(1)` deleted": _BAR,
        "L18 delete: `if history['g_loss']: ...` deleted": _BAR,
        "L19 delete: `bar.set_postfix(d=f\"{history['d_loss'][-1]:.3f}\", g=f\"{hi...` deleted": _BAR,
        "L7 arith: `epochs * len(loader)` -> `epochs / len(loader)` (* -> /)": _BAR,
        "L17 constant: `1` -> `2` (1 -> 2)": _BAR,
        "L19 constant: `False` -> `True` (False -> True)": _BAR + " (refresh= of a disabled bar)",
        "L13 arith: `n_d += 1` -> `n_d -= 1` (+= -> -=)":
            "Python's % has the sign of the divisor, so -k % d_steps == 0 exactly when k % d_steps == 0: the same "
            "updates in the same order",
        "L15 delete: `z = torch.randn(real.shape[0], generator.latent_dim, devi...` deleted":
            "the generator step then reuses the discriminator step's fresh noise of the same shape, which the "
            "statement allows (a declared correct variant in MUTANTS)",
    },
    "p3_cond_generator": {
        "L8 args: `nn.Embedding(n_classes, embed_dim)` -> `nn.Embedding(embed_dim, n_classes)` (first two arguments swapped)":
            "n_classes and embed_dim are both 10, so the embedding is the same",
    },
    "p3_cond_discriminator": {
        "L7 args: `nn.Embedding(n_classes, embed_dim)` -> `nn.Embedding(embed_dim, n_classes)` (first two arguments swapped)":
            "n_classes and embed_dim are both 10, so the embedding is the same",
    },
    "p4a": {
        "L8 args: `sp.Eq(sp.diff(V_point, d), 0)` -> `sp.Eq(0, sp.diff(V_point, d))` (first two arguments swapped)":
            "an equation with its sides swapped has the same solutions",
        "L11 args: `sp.Eq(sp.diff(V_point_pi, d), 0)` -> `sp.Eq(0, sp.diff(V_point_pi, d))` (first two arguments swapped)":
            "an equation with its sides swapped has the same solutions",
    },
    "p4b": {
        "L11 delete: `p, q = (np.asarray(p, dtype=np.float64), np.asarray(q, dt...` deleted": _SPEC,
        "L20 delete: `p, q = (np.asarray(p, dtype=np.float64), np.asarray(q, dt...` deleted": _SPEC,
    },
    "p5_ot_primal": {
        "L7 delete: `v, w, C = (np.asarray(v, float), np.asarray(w, float), np...` deleted": _SPEC,
        "L13 delete: `if res.status != 0: ...` deleted": _STATUS,
        "L14 delete: `raise RuntimeError(res.message)` deleted": _STATUS,
    },
    "p5_ot_dual": {
        "L7 delete: `v, w, C = (np.asarray(v, float), np.asarray(w, float), np...` deleted": _SPEC,
        "L12 delete: `if res.status != 0: ...` deleted": _STATUS,
        "L13 delete: `raise RuntimeError(res.message)` deleted": _STATUS,
    },
}

# --------------------------------------------------------------- artifacts
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
GENUINE_BASELINE = FIXTURES / "hw4_genuine_baseline_samples_100.pt"
GENUINE_CGAN = FIXTURES / "hw4_genuine_cgan_samples_100.pt"
GENUINE_RESULTS = FIXTURES / "hw4_results.json"


# Files the reference needs next to the notebook for every graded cell to pass, all genuine outputs of the
# reference solution trained in full mode (real MNIST digits cannot stand in: the cells reject copies).
# {file name: function(folder) -> Path}. tests/test_hw4_gans.py and tests/test_proofs.py use it.
PROOF_ARTIFACTS = {BASELINE_FILE: fixture_copier(GENUINE_BASELINE, BASELINE_FILE),
                   CGAN_FILE: fixture_copier(GENUINE_CGAN, CGAN_FILE),
                   RESULTS_FILE: fixture_copier(GENUINE_RESULTS, RESULTS_FILE)}
ARTIFACT_TESTS = ["p2_baseline_samples_tests", "p3_cgan_samples_tests", "p0_tests"]
