"""hw1_wgan: normalizing flows, Wasserstein distance vs KL/JS, and a Wasserstein GAN on MNIST.

Adapted from seed 000 (CSDS 600 Deep Generative Models, Homework 2, Case Western
Reserve University, instructor Yu Yin). Point split kept: Q1 20, Q2 35, Q3 45.

Build:  dgmlab build hw1_wgan
Prove:  .venv/bin/python -m pytest tests/test_hw1_wgan.py -x -q
        (both it and tests/test_proofs.py -k hw1_wgan first write PROOF_ARTIFACTS,
        genuine generated samples, next to a copy of the notebook for the
        artifact-graded `samples_quality_tests`: see docs/hw1_wgan.md.)
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from dgmlab.authoring import Notebook, fixture_copier

from dgmlab.grading.proofs import Mutant
from dgmlab.novelty import MAX_COPIES

HW = "hw1_wgan"
SAMPLES_FILE = "samples_100.pt"
MAX_FILE_BYTES = 1_000_000  # the graded file is ~315 kB (float64 ~630 kB); anything bigger is not read
# Quality bar of the artifact-graded cell (MNIST classifier score of the 100
# saved samples, dgmlab.metrics.mnist_score, and predicted classes among them).
# Calibrated by benchmarks/calibrate_hw1_bar.py on the 40-epoch reference run (docs/hw1_wgan.md):
# 19 of 20 independent 100-sample draws clear it at each of epochs 36-40; epoch 5 clears it in 0 of 20.
SCORE_BAR = 7.0
CLASSES_BAR = 9


def build() -> Notebook:
    nb = Notebook(HW)
    _intro(nb)
    _q1_written(nb)
    _q1_flow_interface(nb)
    _q1_flow_log_prob(nb)
    _q1_flow_sample(nb)
    _q2_kl(nb)
    _q2_kl_limits(nb)
    _q2_combined_loss(nb)
    _q2_distances(nb)
    _q2_w1(nb)
    _q2_compare(nb)
    _q3_losses(nb)
    _q3_gradient_penalty(nb)
    _q3_clipping(nb)
    _q3_train_step(nb)
    _q3_training(nb)
    _q3_samples(nb)
    _q3_scores(nb)
    _q3_interpolations(nb)
    _q3_graded_samples(nb)
    _closing(nb)
    nb.fill_point_totals()
    return nb


def _intro(nb: Notebook) -> None:
    """The title, what the homework covers, the course it is adapted from, how points and hidden tests work."""
    nb.md(r"""
        # Homework 1: normalizing flows, the Wasserstein distance, and a Wasserstein GAN on MNIST

        *Adapted from Homework 2 of CSDS 600 "Deep Generative Models" (Case Western Reserve
        University, instructor Yu Yin). The questions and the point split (20 / 35 / 45) follow
        that handout; the wording, the code and the tests are ours.*

        **How this notebook works.** Run the setup cell first. Cells marked `# COMPLETE` are yours:
        replace `raise NotImplementedError()` with your code. Markdown cells that say
        *Write your answer here* are graded by hand.

        **Points per check, and hidden tests.** The test cell after each answer runs a few visible checks,
        prints the points each one earns (with a hint when it fails) and shows the cell's points as its
        result. Hidden tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} autograded
        points; each test cell says how many of its own. Passing every visible check does not guarantee those.
        **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw1_wgan.ipynb`
        in a terminal): it runs every visible check the way the autograder does and lists, per question, the
        visible points earned, the points hidden tests decide, and written answers still empty.

        **Modes.** On a GPU (Colab) the notebook runs the full 40-epoch training of Q3. With
        `DGMLAB_FAST=1` it trains a few dozen steps on a small MNIST sample, just to check that the
        code runs. While nbgrader grades the notebook nothing is trained: your functions are tested
        on small fixed inputs, and your trained samples are scored from the file `samples_100.pt`
        that Q3 saves in the homework folder. **Submit that file together with the notebook.**

        **Where your files go.** The setup cell prints the homework folder: on your own machine, this
        notebook's folder; in Colab, `MyDrive/dgm-course/hw1_wgan/` on your Google Drive (Colab asks once for
        access), because Colab's own disk is wiped when the runtime disconnects. Figures, training checkpoints
        and `samples_100.pt` are saved there, and every cell that saves a file prints its full path.
        """)
    nb.setup()
    nb.code("""
        import math
        from pathlib import Path

        import matplotlib.pyplot as plt
        import numpy as np
        import sympy as sp
        import torch
        import torch.nn as nn
        import torch.distributions as D
        from tqdm.auto import tqdm

        import dgmlab
        import dgmlab.data
        from dgmlab import checks, plots, runtime

        if runtime.is_fast():
            torch.set_num_threads(1)  # small models on a shared CPU (CI, grading): one thread is faster
        """, locked=True, grade_id="imports")

    # ------------------------------------------------------------------ Q1


def _q1_written(nb: Notebook) -> None:
    """Q1 (a)-(c): a flow's objective, sampling, and what makes a flow practical (written)."""
    nb.md(r"""
        ## Q1. Normalizing flows (20 points)

        A normalizing flow models data $x \in \mathbb{R}^D$ as $x = f_\theta(z)$, where $z$ has a
        simple base density $p_Z$ (e.g. a standard Gaussian) and $f_\theta$ is a learned map.
        Answer in a few sentences each, using formulas where they help.
        """)
    nb.md(r"""
        **(a) (4 points)** What objective is a flow trained with? Write it for a data set
        $\{x^{(i)}\}_{i=1}^N$ and say where the Jacobian enters.
        """)
    nb.written("q1a", points=4, model_answer=r"""
        Flows are trained by maximum likelihood: maximise $\frac1N\sum_i \log p_\theta(x^{(i)})$ (equivalently
        minimise the negative log-likelihood, i.e. the forward KL from the data distribution to the model).
        The density is exact by the change of variables formula with $z = f_\theta^{-1}(x)$:
        $\log p_\theta(x) = \log p_Z(f_\theta^{-1}(x)) + \log\left|\det \frac{\partial f_\theta^{-1}(x)}{\partial x}\right|
        = \log p_Z(z) - \log\left|\det \frac{\partial f_\theta(z)}{\partial z}\right|$.
        The first term pulls the latent codes towards high base density; the log-determinant term accounts for
        how $f_\theta$ stretches or compresses volume (without it the model could collapse everything to $z=0$).
        Marking: maximum likelihood / NLL (2), the change-of-variables formula with the correct sign of the
        log-determinant (2).
        """)
    nb.md(r"""
        **(b) (4 points)** How do you draw a sample from a trained flow?
        """)
    nb.written("q1b", points=4, model_answer=r"""
        Draw $z \sim p_Z$ (e.g. $z \sim \mathcal N(0, I)$, the same dimension as $x$) and return $x = f_\theta(z)$:
        one forward pass, no iteration and no rejection. If the flow is a composition
        $f = f_K \circ \dots \circ f_1$, apply $f_1$ first. (A temperature $z \sim \mathcal N(0, T^2 I)$ with $T<1$ is a
        common trick for cleaner samples.) Marking: sample from the base (2), push through $f_\theta$, not its
        inverse (2).
        """)
    nb.md(r"""
        **(c) (4 points)** Which properties must $f_\theta$ have for a flow to be practical, and why
        is each needed?
        """)
    nb.written("q1c", points=4, model_answer=r"""
        1. **Invertible (bijective)**, so that every $x$ has exactly one $z = f^{-1}(x)$ and the change of variables
           formula holds; $x$ and $z$ must therefore have the same dimension.
        2. **Differentiable, with a differentiable inverse** (a diffeomorphism), so the Jacobian exists and we can
           train by gradient descent.
        3. **A cheap log-determinant of the Jacobian** (e.g. triangular Jacobians as in coupling or autoregressive
           layers: $O(D)$ instead of the $O(D^3)$ of a general determinant).
        4. **Efficient to evaluate in the direction needed**: the inverse for likelihood training, the forward map
           for sampling (ideally both).
        5. **Expressive enough**, usually by composing many simple invertible layers.
        Marking: invertible (1), differentiable (1), tractable Jacobian determinant (1), efficient
        inverse/forward evaluation or expressivity through composition (1).
        """)


def _q1_flow_interface(nb: Notebook) -> None:
    """Q1 in code: what a flow object is here, and two example flows."""
    nb.md(r"""
        ### Q1 in code

        To exercise these ideas you implement the two operations every flow library provides.
        A flow here is any object with three methods, for a batch of $N$ points in $D$ dimensions:

        - `flow.forward(z)`: $x = f(z)$, shape `(N, D)` to `(N, D)`;
        - `flow.inverse(x)`: $z = f^{-1}(x)$, shape `(N, D)` to `(N, D)`;
        - `flow.log_abs_det_jacobian(z)`: $\log\left|\det \partial f(z) / \partial z\right|$ at each point, shape `(N,)`.

        The base density is a `torch.distributions` object with event shape `(D,)`, so
        `base.log_prob(z)` has shape `(N,)` and `base.sample((n,))` has shape `(n, D)`.
        Two example flows follow (read them; they are used by the tests too).
        """)
    nb.code('''
        class AffineFlow:
            """x = f(z) = z @ A.T + b with A (D, D) and b (D,). Invertible iff det A != 0."""

            def __init__(self, A, b):
                self.A, self.b = torch.as_tensor(A), torch.as_tensor(b)

            def forward(self, z):
                return z @ self.A.T + self.b

            def inverse(self, x):
                # the pseudo-inverse, so a singular A still returns *something*
                return (x - self.b) @ torch.linalg.pinv(self.A).T

            def log_abs_det_jacobian(self, z):
                return torch.linalg.slogdet(self.A)[1].expand(z.shape[0])


        class ExpFlow:
            """x = f(z) = exp(z) elementwise: maps R^D onto the positive orthant."""

            def forward(self, z):
                return torch.exp(z)

            def inverse(self, x):
                return torch.log(x)

            def log_abs_det_jacobian(self, z):
                return z.sum(dim=-1)


        def standard_normal(d, loc=0.0, scale=1.0):
            """A diagonal Gaussian base density on R^d (event shape (d,))."""
            return D.Independent(D.Normal(torch.full((d,), float(loc)), torch.full((d,), float(scale))), 1)
        ''', locked=True, grade_id="flow_classes")


def _q1_flow_log_prob(nb: Notebook) -> None:
    """Q1 (d): the exact log-density of a flow."""
    nb.md(r"""
        **(d) (5 points)** Implement `flow_log_prob(x, flow, base)`, the exact log-density of the
        flow at each row of `x`. The notebook's rule for maps that are not invertible: raise a
        `ValueError` when the round trip $f(f^{-1}(x))$ does not give back `x`
        (to within `1e-4` absolute and relative tolerance) or when the log-determinant is not finite.
        Keep everything in torch so gradients reach the flow's parameters.
        """)
    nb.answer("q1_flow_log_prob", '''
        def flow_log_prob(x, flow, base):
            """Log-density of the flow x = f(z), z ~ base, at each row of x.

            x: float tensor (N, D); flow: has forward / inverse / log_abs_det_jacobian (see above);
            base: torch.distributions.Distribution with event shape (D,).
            Returns a float tensor (N,). Raises ValueError if f is not invertible at x.
            """
            ### BEGIN SOLUTION
            z = flow.inverse(x)
            if not torch.allclose(flow.forward(z), x, rtol=1e-4, atol=1e-4):
                raise ValueError("the flow is not invertible at x: f(f^-1(x)) != x")
            log_det = flow.log_abs_det_jacobian(z)
            if not torch.isfinite(log_det).all():
                raise ValueError("the Jacobian of the flow is singular (log|det J| is not finite)")
            return base.log_prob(z) - log_det
            ### END SOLUTION
        ''')
    nb.tests("q1_flow_log_prob_tests", points=5, src='''
        from dgmlab.testing import points, run_tests

        @points(0.5)
        def test_shape_and_finite_on_a_1d_affine_flow():
            flow = AffineFlow(torch.tensor([[2.0]]), torch.tensor([1.0]))
            out = flow_log_prob(torch.linspace(-3, 3, 7).unsqueeze(1), flow, standard_normal(1))
            checks.assert_tensor(out, "flow_log_prob(x, flow, base)", shape=(7,))
            assert torch.isfinite(out).all(), \\
                (f"expected finite log-densities on an invertible affine flow, found {out.tolist()}: NaN or inf "
                 f"usually means log|det J| was taken of a negative or zero number (use log_abs_det_jacobian)")

        @points(1)
        def test_log_det_on_a_tiny_case():
            # f(z) = 2 z + 1 stretches by 2: at x = 1 (z = 0) the density is N(0; 0, 1) / 2
            flow = AffineFlow(torch.tensor([[2.0]]), torch.tensor([1.0]))
            got = float(flow_log_prob(torch.tensor([[1.0]]), flow, standard_normal(1))[0])
            want = -0.5 * math.log(2 * math.pi) - math.log(2.0)
            hint = ""
            if abs(got - (want + 2 * math.log(2.0))) < 1e-4:
                hint = ": that is log N(0; 0, 1) + log 2, a sign error (subtract log|det J| of f)"
            elif abs(got - (-0.5 * math.log(2 * math.pi) - 0.5 - math.log(2.0))) < 1e-4:
                hint = ": that is the base density at x = 1 instead of at z = f^-1(x) = 0 (invert first)"
            assert abs(got - want) < 1e-5, \\
                f"for f(z) = 2z + 1 at x = 1 expected log N(0; 0, 1) - log 2 = {want:.5f}, found {got:.5f}{hint}"

        ### BEGIN HIDDEN TESTS
        @points(0.5)
        def test_1d_affine_matches_torch_normal():
            flow = AffineFlow(torch.tensor([[2.0]]), torch.tensor([1.0]))
            x = torch.linspace(-3, 3, 7).unsqueeze(1)
            want = D.Normal(1.0, 2.0).log_prob(x.squeeze(1))
            checks.assert_close(flow_log_prob(x, flow, standard_normal(1)), want, rtol=1e-5, atol=1e-5,
                                name="log-density of a 1-D affine flow")

        @points(0.5)
        def test_2d_affine_with_non_standard_base_matches_multivariate_normal():
            A = torch.tensor([[2.0, 0.5], [0.3, 1.5]])
            b = torch.tensor([1.0, -2.0])
            x = torch.randn(11, 2) * 2
            base = standard_normal(2, loc=0.5, scale=0.7)
            want = D.MultivariateNormal(A @ torch.full((2,), 0.5) + b, 0.49 * A @ A.T).log_prob(x)
            checks.assert_close(flow_log_prob(x, AffineFlow(A, b), base), want, rtol=1e-4, atol=1e-4,
                                name="log-density of a 2-D affine flow with a non-standard base (base.log_prob?)")

        @points(0.5)
        def test_1d_exp_flow_matches_torch_lognormal():
            x = torch.tensor([[0.1], [0.5], [1.0], [2.0], [7.0]])
            want = D.LogNormal(0.0, 1.0).log_prob(x.squeeze(1))
            checks.assert_close(flow_log_prob(x, ExpFlow(), standard_normal(1)), want, rtol=1e-5, atol=1e-5,
                                name="log-density of the 1-D exp flow (log|det J| at z = f^-1(x)?)")

        @points(0.75)
        def test_2d_exp_flow_matches_independent_lognormals():
            x = torch.rand(9, 2) * 3 + 0.05
            want = D.Independent(D.LogNormal(torch.full((2,), -0.3), torch.full((2,), 0.8)), 1).log_prob(x)
            got = flow_log_prob(x, ExpFlow(), standard_normal(2, loc=-0.3, scale=0.8))
            checks.assert_close(got, want, rtol=1e-5, atol=1e-5, name="log-density of the 2-D exp flow")

        @points(0.25)
        def test_gradient_reaches_flow_parameters():
            A = torch.tensor([[2.0, 0.5], [0.3, 1.5]], requires_grad=True)
            out = flow_log_prob(torch.randn(5, 2), AffineFlow(A, torch.zeros(2)), standard_normal(2)).sum()
            assert out.requires_grad, \\
                "flow_log_prob's output is detached from the flow's parameters (a .detach(), .item() or numpy step?)"
            out.backward()
            assert A.grad is not None and torch.isfinite(A.grad).all() and A.grad.abs().sum() > 0, \\
                "no gradient reached the flow's parameters"

        @points(0.5)
        def test_singular_flows_are_rejected():
            class Cube:  # f(z) = z^3 is invertible, but its Jacobian vanishes at z = 0
                def forward(self, z):
                    return z ** 3

                def inverse(self, x):
                    return torch.sign(x) * x.abs() ** (1 / 3)

                def log_abs_det_jacobian(self, z):
                    return torch.log(3 * z ** 2).sum(-1)

            cases = [("a singular (non-invertible) affine map", torch.randn(4, 2), standard_normal(2),
                      AffineFlow(torch.tensor([[1.0, 2.0], [2.0, 4.0]]), torch.zeros(2))),
                     ("a flow whose log|det J| is -inf at a point it maps back exactly (z^3 at 0)",
                      torch.tensor([[0.0], [1.0]]), standard_normal(1), Cube())]
            for what, x, base, flow in cases:
                try:
                    flow_log_prob(x, flow, base)
                except ValueError:
                    continue
                raise AssertionError(f"{what} must raise ValueError")

        @points(0.5)
        def test_folding_map_is_rejected():
            class Fold:  # f(z) = |z|: not injective; its "inverse" is the identity
                def forward(self, z):
                    return z.abs()

                def inverse(self, x):
                    return x

                def log_abs_det_jacobian(self, z):
                    return torch.zeros(z.shape[0])

            try:
                flow_log_prob(torch.tensor([[-1.0], [0.5]]), Fold(), standard_normal(1))
            except ValueError:
                return
            raise AssertionError("a map whose round trip f(f^-1(x)) misses x must raise ValueError "
                                 "(a finite log-det does not prove invertibility)")
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3.5)
        ''')


def _q1_flow_sample(nb: Notebook) -> None:
    """Q1 (e): sampling from a flow."""
    nb.md(r"""
        **(e) (3 points)** Implement `flow_sample(n, flow, base)`: draw `n` points from the flow.
        Use `base` for the noise (not `torch.randn`: the base need not be standard).
        """)
    nb.answer("q1_flow_sample", '''
        def flow_sample(n, flow, base):
            """n samples of x = f(z), z ~ base: a float tensor (n, D)."""
            ### BEGIN SOLUTION
            z = base.sample((n,))
            return flow.forward(z)
            ### END SOLUTION
        ''')
    nb.tests("q1_flow_sample_tests", points=3, src='''
        from dgmlab.testing import points, run_tests

        @points(0.5)
        def test_shape():
            out = flow_sample(5, AffineFlow(torch.eye(2), torch.zeros(2)), standard_normal(2))
            checks.assert_tensor(out, "flow_sample(5, flow, base)", shape=(5, 2))

        ### BEGIN HIDDEN TESTS
        @points(1.5)
        def test_2d_affine_samples_have_the_right_mean_and_covariance():
            A = torch.tensor([[2.0, 0.5], [0.3, 1.5]])
            b = torch.tensor([1.0, -2.0])
            x = flow_sample(40000, AffineFlow(A, b), standard_normal(2, loc=0.5, scale=0.7)).double()
            mean = A.double() @ torch.full((2,), 0.5, dtype=torch.float64) + b.double()
            checks.assert_close(x.mean(0), mean, atol=0.04, rtol=0,
                                name="sample mean of the affine flow (noise from base, pushed through flow.forward?)")
            checks.assert_close(torch.cov(x.T), 0.49 * A.double() @ A.double().T, atol=0.08, rtol=0,
                                name="sample covariance of the affine flow")

        @points(1)
        def test_exp_flow_samples_follow_the_lognormal():
            x = flow_sample(40000, ExpFlow(), standard_normal(1, loc=-0.5, scale=0.5)).squeeze(1).double()
            q = torch.quantile(x, torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64))
            want = torch.exp(-0.5 + 0.5 * D.Normal(0.0, 1.0).icdf(torch.tensor([0.1, 0.5, 0.9]))).double()
            checks.assert_close(q, want, rtol=0.03, atol=0, name="quantiles of exp-flow samples")
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2.5)
        ''')

    # ------------------------------------------------------------------ Q2


def _q2_kl(nb: Notebook) -> None:
    """Q2 (a): the KL divergence between two Gaussians, derived with sympy."""
    nb.md(r"""
        ## Q2. The Wasserstein distance (35 points)

        A GAN can be read as minimising some divergence between the data distribution
        $p_{data}$ and the generator's distribution $p_g$. Here we look at what happens to those
        divergences when the two distributions live on tiny, almost disjoint regions, and why the
        Wasserstein distance behaves better.

        Throughout, $p_{data} = \mathcal N(\theta_0, \epsilon^2)$ and
        $p_g = \mathcal N(\theta, \epsilon^2)$: two 1-D Gaussians with the same standard deviation
        $\epsilon > 0$ and means $\theta_0, \theta \in \mathbb R$. The symbols below are the ones to use.
        """)
    nb.code("""
        x, theta, theta0 = sp.symbols("x theta theta_0", real=True)
        eps = sp.symbols("epsilon", positive=True)
        sigma_g, sigma_data = sp.symbols("sigma_g sigma_data", positive=True)  # two widths, for Q2(a)


        def normal_pdf(x, mean, std):
            \"\"\"The N(mean, std^2) density as a sympy expression.\"\"\"
            return sp.exp(-(x - mean) ** 2 / (2 * std ** 2)) / (std * sp.sqrt(2 * sp.pi))
        """, locked=True, grade_id="q2_symbols")
    nb.md(r"""
        **(a) (8 points)** The KL divergence between the two Gaussians, derived with sympy. Do it once
        for Gaussians of *different* widths, $p_g = \mathcal N(\theta, \sigma_g^2)$ and
        $p_{data} = \mathcal N(\theta_0, \sigma_{data}^2)$, then specialise. Build three sympy objects:

        - `kl_integrand`: the integrand $p_g(x)\,\log\big(p_g(x)/p_{data}(x)\big)$, an expression in `x`, `theta`,
          `theta0`, `sigma_g` and `sigma_data` (use `normal_pdf`);
        - `kl_general`: its integral over $x \in \mathbb R$, computed by sympy (in `theta`, `theta0`, `sigma_g`,
          `sigma_data`; no `x` left);
        - `kl_gaussians`: `kl_general` with both widths set to `eps`. It should simplify to
          $\dfrac{(\theta-\theta_0)^2}{2\epsilon^2}$, the form used in the rest of Q2.

        The grade checks the integrand and the general result; typing the equal-width formula above earns
        nothing by itself. Hint: `sp.expand_log(..., force=True)` turns the log-ratio into a polynomial in `x`,
        and `sp.integrate(..., conds="none")` then takes a second or two.
        """)
    nb.answer("q2_kl_gaussians", '''
        ### BEGIN SOLUTION
        p_g = normal_pdf(x, theta, sigma_g)
        p_data = normal_pdf(x, theta0, sigma_data)
        kl_integrand = p_g * sp.expand(sp.expand_log(sp.log(p_g / p_data), force=True))
        kl_general = sp.simplify(sp.integrate(kl_integrand, (x, -sp.oo, sp.oo), conds="none"))
        kl_gaussians = sp.simplify(kl_general.subs({sigma_g: eps, sigma_data: eps}))
        ### END SOLUTION
        kl_gaussians
        ''', check_output=True)
    nb.tests("q2_kl_gaussians_tests", points=8, src='''
        from dgmlab.testing import points, run_tests

        @points(0.5)
        def test_are_expressions_in_the_right_symbols():
            checks.assert_sympy_expr(kl_integrand, "kl_integrand", symbols=[x, theta, theta0, sigma_g, sigma_data])
            assert x in kl_integrand.free_symbols, \\
                "expected kl_integrand to depend on x (it is integrated over x); found no x in it"
            checks.assert_sympy_expr(kl_general, "kl_general", symbols=[theta, theta0, sigma_g, sigma_data])
            checks.assert_sympy_expr(kl_gaussians, "kl_gaussians", symbols=[theta, theta0, eps])

        @points(0.5)
        def test_general_kl_vanishes_for_equal_distributions():
            same = sp.simplify(kl_general.subs({theta: theta0, sigma_g: sigma_data}))
            assert same == 0, \\
                (f"expected kl_general = 0 when theta = theta0 and sigma_g = sigma_data, found {same}: "
                 f"check that p_g and p_data use the same normal_pdf and that the integral is over x")

        @points(1)
        def test_general_kl_is_positive_when_only_the_widths_differ():
            value = sp.N(kl_general.subs({theta: 0, theta0: 0, sigma_g: 1, sigma_data: 2}))
            assert value.is_real and value > 0, \\
                (f"expected kl_general > 0 for equal means and widths sigma_g = 1, sigma_data = 2 (a KL between "
                 f"different distributions is positive), found {value}: a negative value means the log-ratio is "
                 f"upside down (log p_data/p_g) or weighted by p_data; zero means the widths were lost (a form "
                 f"guessed from the equal-width result?)")

        ### BEGIN HIDDEN TESTS
        def _points():
            return [{x: a, theta: t, theta0: t0, sigma_g: sg, sigma_data: sd} for a, t, t0, sg, sd in [
                (sp.Rational(1, 3), 1, 0, 1, 1), (-2, sp.Rational(1, 2), 2, sp.Rational(3, 2), sp.Rational(2, 3)),
                (sp.Rational(7, 4), -1, sp.Rational(1, 5), 2, sp.Rational(1, 2)), (0, 3, -1, sp.Rational(1, 4), 3)]]

        @points(1)
        def test_integrand_is_p_g_times_the_log_ratio():
            p_g_ = normal_pdf(x, theta, sigma_g)
            want = p_g_ * (sp.log(p_g_) - sp.log(normal_pdf(x, theta0, sigma_data)))
            for point in _points():
                gap = abs(complex(sp.N((kl_integrand - want).subs(point), 30)))
                assert gap < 1e-20, "kl_integrand is not p_g(x) log(p_g(x) / p_data(x)) (which density weights the log-ratio?)"

        def _general_kl():
            return sp.log(sigma_data / sigma_g) + (sigma_g ** 2 + (theta - theta0) ** 2) / (2 * sigma_data ** 2) - sp.Rational(1, 2)

        @points(4)
        def test_general_kl_is_exact():
            checks.assert_sympy_equal(kl_general, _general_kl(), "kl_general")

        @points(1)
        def test_equal_widths_give_the_closed_form():
            # the printed equal-width form earns nothing by itself: it counts as the specialisation of kl_general
            checks.assert_sympy_equal(kl_general, _general_kl(), "kl_general (kl_gaussians is graded as its specialisation)")
            checks.assert_sympy_equal(kl_gaussians, (theta - theta0) ** 2 / (2 * eps ** 2), "kl_gaussians")
        ### END HIDDEN TESTS

        run_tests(points=8, hidden=6)
        ''')


def _q2_kl_limits(nb: Notebook) -> None:
    """Q2 (b): the KL divergence and its derivative as both Gaussians concentrate."""
    nb.md(r"""
        **(b) (6 points)** Let both distributions concentrate: $\epsilon \to 0^+$ with
        $\theta \neq \theta_0$. Implement `kl_limits(kl, theta_value, theta0_value)` returning the pair
        $\left(\lim_{\epsilon\to0^+} D_{KL},\ \lim_{\epsilon\to0^+} \partial D_{KL}/\partial\theta\right)$
        at $\theta$ = `theta_value`, $\theta_0$ = `theta0_value`, computed with sympy from the
        expression `kl` (use `sp.diff` and `sp.limit`; the results may be `sp.oo` or `-sp.oo`).
        """)
    nb.answer("q2_kl_limits", '''
        def kl_limits(kl, theta_value, theta0_value):
            """kl: sympy expression in theta, theta0, eps; theta_value, theta0_value: numbers.

            Returns (limit of kl, limit of d kl / d theta) as eps -> 0+, two sympy objects.
            """
            ### BEGIN SOLUTION
            at = {theta: theta_value, theta0: theta0_value}
            dkl = sp.diff(kl, theta)
            return sp.limit(kl.subs(at), eps, 0, "+"), sp.limit(dkl.subs(at), eps, 0, "+")
            ### END SOLUTION


        print("theta = 1, theta0 = 0:", kl_limits(kl_gaussians, 1, 0))
        ''', check_output=True)
    nb.tests("q2_kl_limits_tests", points=6, src='''
        from dgmlab.testing import points, run_tests

        KL_CLOSED_FORM = (theta - theta0) ** 2 / (2 * eps ** 2)

        @points(1)
        def test_returns_two_sympy_objects():
            out = kl_limits(KL_CLOSED_FORM, 1, 0)
            assert isinstance(out, tuple) and len(out) == 2, \\
                (f"expected a pair (KL limit, derivative limit), found {type(out).__name__}"
                 f"{' of length ' + str(len(out)) if isinstance(out, (tuple, list)) else ''}")
            assert all(isinstance(v, sp.Basic) for v in out), \\
                (f"expected two sympy objects (e.g. sp.oo), found {[type(v).__name__ for v in out]}: "
                 f"use sp.limit, not float arithmetic")

        ### BEGIN HIDDEN TESTS
        @points(2)
        def test_kl_diverges_to_plus_infinity():
            for t, t0 in [(1, 0), (-1, 0), (sp.Rational(1, 2), 2)]:
                assert kl_limits(KL_CLOSED_FORM, t, t0)[0] is sp.oo, \\
                    "the KL limit is wrong for theta != theta0 (is the limit taken as eps -> 0 from above?)"

        @points(3)
        def test_derivative_diverges_with_the_sign_of_theta_minus_theta0():
            why = " (differentiate with respect to theta, not eps or theta0)"
            assert kl_limits(KL_CLOSED_FORM, 1, 0)[1] is sp.oo, "the derivative limit for theta > theta0 is wrong" + why
            assert kl_limits(KL_CLOSED_FORM, -1, 0)[1] is sp.oo * -1, \\
                "the derivative limit for theta < theta0 is wrong" + why
            assert kl_limits(KL_CLOSED_FORM, sp.Rational(1, 2), 2)[1] is -sp.oo, \\
                "the derivative limit for theta < theta0 is wrong" + why
        ### END HIDDEN TESTS

        run_tests(points=6, hidden=5)
        ''')


def _q2_combined_loss(nb: Notebook) -> None:
    """Q2 (c): the combined generator loss and its gradient at the optimal discriminator."""
    nb.md(r"""
        **(c) (5 + 3 points)** Consider a GAN whose generator minimises
        $$L_G(\theta;\phi) = \mathbb E_{x\sim p_\theta}\big[\log(1 - D_\phi(x))\big] - \mathbb E_{x\sim p_\theta}\big[\log D_\phi(x)\big],$$
        the sum of the original ("saturating") generator loss and the "non-saturating" one.
        With the discriminator at its optimum $D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$, is the
        behaviour you found in (b) a problem for training $\theta$ with this loss? Explain.

        First the numeric companion (3 points): implement `combined_generator_loss(d_fake)`, the loss above
        estimated from the discriminator's outputs $D(x_i) \in (0,1)$ on a batch of generated samples.
        The cell after it uses it to measure $\partial L_G/\partial\theta$ with $D$ held at $D^*$.
        """)
    nb.answer("q2_combined_generator_loss", '''
        def combined_generator_loss(d_fake):
            """d_fake: float tensor (N,) of D(x_i) in (0, 1) on generated x_i -> 0-d tensor,
            mean log(1 - D) minus mean log D."""
            ### BEGIN SOLUTION
            return torch.log1p(-d_fake).mean() - torch.log(d_fake).mean()
            ### END SOLUTION
        ''')
    nb.tests("q2_combined_generator_loss_tests", points=3, src='''
        from dgmlab.testing import points, run_tests

        @points(0.5)
        def test_returns_a_scalar():
            checks.assert_tensor(combined_generator_loss(torch.full((4,), 0.5)), "combined_generator_loss(d)", shape=())

        @points(0.5)
        def test_value_at_a_single_output():
            got = float(combined_generator_loss(torch.tensor([0.25], dtype=torch.float64)))
            want = math.log(0.75) - math.log(0.25)
            hint = ": the two terms are swapped (a sign error)" if abs(got + want) < 1e-6 else ""
            assert abs(got - want) < 1e-9, \\
                f"for D(x) = 0.25 expected log(1 - 0.25) - log(0.25) = log 3 = {want:.6f}, found {got:.6f}{hint}"

        ### BEGIN HIDDEN TESTS
        @points(1)
        def test_value_on_a_fixed_batch():
            d = torch.tensor([0.1, 0.3, 0.6, 0.95], dtype=torch.float64)
            want = torch.log(1 - d).mean() - torch.log(d).mean()
            checks.assert_close(combined_generator_loss(d), want, rtol=1e-9, atol=1e-12,
                                name="combined_generator_loss(d) on a batch of four (batch means?)")

        @points(1)
        def test_gradient_with_respect_to_d():
            d = torch.tensor([0.2, 0.4, 0.7], dtype=torch.float64, requires_grad=True)
            combined_generator_loss(d).backward()
            assert d.grad is not None, "no gradient flows back to d (detached?)"
            dd = d.detach()
            checks.assert_close(d.grad, (-1 / (1 - dd) - 1 / dd) / 3, rtol=1e-9, atol=1e-12,
                                name="d loss / d D(x_i)")
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')
    nb.code('''
        def optimal_discriminator(x, theta_g, theta_data, std):
            """D*(x) = p_data / (p_data + p_g) for the two Gaussians, computed stably as a sigmoid of the log-ratio."""
            log_ratio = (-(x - theta_data) ** 2 + (x - theta_g) ** 2) / (2 * std ** 2)
            return torch.sigmoid(log_ratio)


        def generator_gradient(loss_fn, theta_value=1.0, theta0_value=0.0, std=1.0, n=2000):
            """dL/dtheta with D frozen at D* (theta enters only through the samples x = theta + std * z)."""
            theta_t = torch.tensor(theta_value, dtype=torch.float64, requires_grad=True)
            z = torch.randn(n, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
            x_fake = theta_t + std * z
            d = optimal_discriminator(x_fake, theta_value, theta0_value, std)
            (grad,) = torch.autograd.grad(loss_fn(d), theta_t)
            return grad.item()


        if not runtime.is_grading():
            print(f"{'eps':>6} {'combined':>12} {'log(1-D) only':>14} {'-log D only':>12} {'(theta-theta0)/eps^2':>21}")
            for s in [1.0, 0.5, 0.2, 0.1, 0.05]:
                print(f"{s:6.2f} {generator_gradient(combined_generator_loss, std=s):12.4g} "
                      f"{generator_gradient(lambda d: torch.log1p(-d).mean(), std=s):14.4g} "
                      f"{generator_gradient(lambda d: -torch.log(d).mean(), std=s):12.4g} {1 / s ** 2:21.4g}")
        ''', uses_answers=True)
    nb.md(r"""
        The table shows $\partial L_G / \partial \theta$ for $\theta = 1$, $\theta_0 = 0$ as $\epsilon$
        shrinks, for the combined loss and for each of its two terms. Use it in your answer.
        """)
    nb.written("q2c", points=5, model_answer=r"""
        Yes. With $D = D^*$, $\log(1-D^*) - \log D^* = \log \frac{p_g}{p_{data}}$, so
        $L_G = \mathbb E_{p_g}[\log p_g / p_{data}] = D_{KL}(p_g\|p_{data})$: this loss *is* the reverse KL of (a),
        and it inherits (b). When the supports barely overlap ($\epsilon\to0$, $\theta\ne\theta_0$) the loss is
        $+\infty$ in the limit and its gradient $(\theta-\theta_0)/\epsilon^2$ blows up: the table shows the
        gradient growing like $1/\epsilon^2$ (1, 4, 25, 100, 400). Training is then unstable: huge, badly scaled
        steps that overshoot $\theta_0$, and in floating point $D^*$ underflows to 0 so $\log D$ becomes $-\infty$ and
        gradients become NaN. Splitting the loss shows why: the saturating term $\log(1-D)$ gives a vanishing gradient
        (the discriminator is confident, $D\approx0$ on fakes), while the non-saturating $-\log D$ term carries the
        exploding one. Neither is a useful, well-scaled signal about how far $p_g$ is from $p_{data}$.
        Marking: identifies the loss with $D_{KL}(p_g\|p_{data})$ at the optimal discriminator or otherwise links it to
        (b) (2); gradient explodes ~ $1/\epsilon^2$ / numerical instability (2); uses the table or the saturating vs
        non-saturating split (1).
        """)


def _q2_distances(nb: Notebook) -> None:
    """Q2 (d): KL, JS and W1 between the same Gaussians; the JS answer."""
    nb.md(r"""
        **(d) (5 + 2 + 6 points)** Now compare three distances between the same two Gaussians as
        $\epsilon \to 0$: KL (from (a)), the Jensen–Shannon divergence
        $$\mathrm{JS}(p_g, p_{data}) = \tfrac12 D_{KL}(p_g\|m) + \tfrac12 D_{KL}(p_{data}\|m),\quad m = \tfrac12(p_g + p_{data}),$$
        and the Wasserstein-1 (earth mover's) distance $W_1$. Use natural logarithms throughout.

        JS has no closed form here, so compute it by quadrature with the helper `gaussian_expectation`
        below, which returns $\mathbb E_{x\sim\mathcal N(\text{mean},\text{std}^2)}[g(x)]$ in float64 and
        is differentiable in `mean`. Work with log-densities (`normal_log_pdf`) and `torch.logaddexp`
        so nothing underflows when $\epsilon$ is tiny. For $W_1$: in one dimension the plan that matches
        quantiles ($F_{p_g}^{-1}(u) \mapsto F_{p_{data}}^{-1}(u)$) is optimal; work out where it sends each point
        here and what it costs.

        Implement `js_divergence(theta, theta0, eps)` (5 points) and `w1_distance(theta, theta0, eps)`
        (2 points); both take float64 0-d tensors (or numbers) and return 0-d tensors differentiable in `theta`.
        """)
    nb.code('''
        def normal_log_pdf(x, mean, std):
            """log N(x; mean, std^2), elementwise, in torch."""
            return -0.5 * ((x - mean) / std) ** 2 - math.log(std) - 0.5 * math.log(2 * math.pi)


        def gaussian_expectation(g, mean, std, n=4001, width=12.0):
            """E[g(X)] for X ~ N(mean, std^2) by the trapezoid rule on mean + std * z, |z| <= width (float64)."""
            z = torch.linspace(-width, width, n, dtype=torch.float64)
            w = torch.exp(-0.5 * z ** 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
            w[0] = w[0] / 2
            w[-1] = w[-1] / 2
            return (w * g(mean + std * z)).sum()
        ''', locked=True, grade_id="q2d_helpers")
    nb.answer("q2_js_divergence", '''
        def js_divergence(theta, theta0, eps):
            """JS(N(theta, eps^2), N(theta0, eps^2)) as a float64 0-d tensor, differentiable in theta."""
            ### BEGIN SOLUTION
            log_p = lambda t: normal_log_pdf(t, theta, eps)    # p_g
            log_q = lambda t: normal_log_pdf(t, theta0, eps)   # p_data
            log_m = lambda t: torch.logaddexp(log_p(t), log_q(t)) - math.log(2.0)
            kl_pm = gaussian_expectation(lambda t: log_p(t) - log_m(t), theta, eps)
            kl_qm = gaussian_expectation(lambda t: log_q(t) - log_m(t), theta0, eps)
            return 0.5 * kl_pm + 0.5 * kl_qm
            ### END SOLUTION
        ''')
    nb.tests("q2_js_divergence_tests", points=5, src='''
        from dgmlab.testing import points, run_tests

        def _t(v, grad=False):
            return torch.tensor(float(v), dtype=torch.float64, requires_grad=grad)

        @points(1)
        def test_zero_for_equal_means():
            out = js_divergence(_t(0.3), _t(0.3), 1.0)
            checks.assert_tensor(out, "js_divergence(...)", shape=())
            got = float(out)
            hint = ""
            if abs(got + math.log(2)) < 1e-4:
                hint = ": that is -log 2, the mixture lost its 1/2 (m = (p_g + p_data) / 2: logaddexp(...) - log 2)"
            assert abs(got) < 1e-8, f"expected JS = 0 for two identical Gaussians, found {got:.6g}{hint}"

        ### BEGIN HIDDEN TESTS
        def _reference_js(t, t0, s):
            from scipy import integrate, stats
            p, q = stats.norm(t, s), stats.norm(t0, s)
            def f(v):
                lp, lq = p.logpdf(v), q.logpdf(v)
                lm = np.logaddexp(lp, lq) - np.log(2)
                return 0.5 * np.exp(lp) * (lp - lm) + 0.5 * np.exp(lq) * (lq - lm)
            lo, hi = min(t, t0) - 12 * s, max(t, t0) + 12 * s
            return integrate.quad(f, lo, hi, points=[t, t0], limit=200)[0]

        @points(1.5)
        def test_value_at_moderate_eps():
            for t, s in [(1.0, 1.0), (-0.7, 0.5), (2.0, 1.5)]:
                checks.assert_close(js_divergence(_t(t), _t(0.0), s), _reference_js(t, 0.0, s), rtol=1e-5,
                                    atol=1e-7, name=f"JS at theta={t}, eps={s}")

        @points(1)
        def test_gradient_at_moderate_eps():
            th = _t(1.0, grad=True)
            js_divergence(th, _t(0.0), 1.0).backward()
            assert th.grad is not None, "no gradient reached theta (detached?)"
            fd = (_reference_js(1.0 + 1e-4, 0.0, 1.0) - _reference_js(1.0 - 1e-4, 0.0, 1.0)) / 2e-4
            checks.assert_close(th.grad, fd, rtol=1e-3, atol=1e-6, name="dJS/dtheta at eps=1")

        @points(1.5)
        def test_saturates_at_log2_with_vanishing_gradient():
            for t in [1.0, -1.0]:
                th = _t(t, grad=True)
                out = js_divergence(th, _t(0.0), 1e-3)
                checks.assert_close(out, math.log(2), atol=1e-6, name="JS as eps -> 0")
                out.backward()
                assert th.grad is not None and abs(th.grad.item()) < 1e-6, \\
                    "dJS/dtheta should vanish as eps -> 0 (theta != theta0)"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=4)
        ''')


def _q2_w1(nb: Notebook) -> None:
    """Q2 (d): W1 between the same Gaussians, and the plot of the three distances."""
    nb.answer("q2_w1_distance", '''
        def w1_distance(theta, theta0, eps):
            """W1(N(theta, eps^2), N(theta0, eps^2)) as a 0-d tensor, differentiable in theta."""
            ### BEGIN SOLUTION
            return torch.abs(torch.as_tensor(theta) - torch.as_tensor(theta0))
            ### END SOLUTION
        ''')
    nb.tests("q2_w1_distance_tests", points=2, src='''
        from dgmlab.testing import points, run_tests

        def _t(v, grad=False):
            return torch.tensor(float(v), dtype=torch.float64, requires_grad=grad)

        @points(0.5)
        def test_zero_for_equal_means():
            checks.assert_close(w1_distance(_t(0.4), _t(0.4), 0.1), 0.0, atol=1e-12, reveal=True,
                                name="W1 of two identical Gaussians (expected 0)")

        ### BEGIN HIDDEN TESTS
        @points(0.75)
        def test_value_is_the_shift_whatever_eps():
            for t, t0, s in [(1.0, 0.0, 1.0), (-2.0, 0.5, 1e-3), (0.3, -0.2, 5.0)]:
                checks.assert_close(w1_distance(_t(t), _t(t0), s), abs(t - t0), rtol=1e-6, atol=1e-9,
                                    name=f"W1 at theta={t}, theta0={t0}, eps={s}")

        @points(0.75)
        def test_gradient_keeps_unit_size_and_sign_as_eps_shrinks():
            for t, sign in [(1.0, 1.0), (-1.0, -1.0)]:
                th = _t(t, grad=True)
                w1_distance(th, _t(0.0), 1e-3).backward()
                assert th.grad is not None, "no gradient reached theta (detached?)"
                checks.assert_close(th.grad, sign, atol=1e-6, name=f"dW1/dtheta at theta={t}")
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1.5)
        ''')
    nb.code(r'''
        if not runtime.is_grading():
            small = 0.1
            grid = torch.linspace(-2, 2, 201, dtype=torch.float64)
            zero = torch.tensor(0.0, dtype=torch.float64)
            kl_v = [float(t ** 2 / (2 * small ** 2)) for t in grid]
            js_v = [js_divergence(t, zero, small).item() for t in grid]
            w1_v = [w1_distance(t, zero, small).item() for t in grid]
            fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
            ax[0].plot(grid, kl_v, label=r"KL$(p_g\|p_{data})$")
            ax[0].set_yscale("log"); ax[0].set_xlabel(r"$\theta$"); ax[0].legend()
            ax[1].plot(grid, js_v, label="JS"); ax[1].plot(grid, w1_v, label="$W_1$")
            ax[1].axhline(math.log(2), ls=":", c="gray", label="log 2"); ax[1].set_xlabel(r"$\theta$"); ax[1].legend()
            fig.suptitle(rf"$N(\theta, \epsilon^2)$ vs $N(0, \epsilon^2)$ with $\epsilon$ = {small}: KL explodes, JS saturates, $W_1$ stays linear")
            Path("figures").mkdir(exist_ok=True)
            fig.savefig("figures/divergences.png", dpi=100, bbox_inches="tight")
            dgmlab.workspace.saved("figures/divergences.png", what="figure saved")
            plt.show()
        ''', uses_answers=True)


def _q2_compare(nb: Notebook) -> None:
    """Q2 (d), written: comparing KL, JS and W1."""
    nb.md(r"""
        Compare KL, JS and $W_1$ in the regime of (b) (and the plot above): their values, their
        gradients with respect to $\theta$, and what each would give a generator trained to minimise it.
        """)
    nb.written("q2d", points=6, model_answer=r"""
        As $\epsilon\to0$ with $\theta\ne\theta_0$:
        - **KL** $= (\theta-\theta_0)^2/2\epsilon^2 \to \infty$, gradient $(\theta-\theta_0)/\epsilon^2 \to \pm\infty$: it
          does point the right way but explodes, and for truly disjoint supports it is infinite everywhere except at
          $\theta=\theta_0$.
        - **JS** $\to \log 2$ for every $\theta\ne\theta_0$ (the distributions are essentially disjoint, so $m$ is
          half of each), and $\partial JS/\partial\theta\to0$: a flat plateau with no signal about which way to move
          (vanishing gradients of the original GAN).
        - **$W_1$** $= |\theta-\theta_0|$ for every $\epsilon$: continuous, it shrinks as the generator gets closer, and
          its gradient is $\pm1$, pointing towards $\theta_0$ with a constant, usable size no matter how concentrated
          the distributions are.
        So KL and JS are useless (infinite or constant) for distributions on low-dimensional, non-overlapping
        supports, which is the typical situation for images, while $W_1$ metrises closeness of distributions and
        gives a gradient everywhere: the motivation of the Wasserstein GAN.
        Marking: KL (2), JS value and gradient (2), W1 value and gradient and the conclusion (2).
        """)

    # ------------------------------------------------------------------ Q3


def _q3_losses(nb: Notebook) -> None:
    """Q3 (a): the networks and the WGAN losses."""
    nb.md(r"""
        ## Q3. A Wasserstein GAN on MNIST (45 points)

        By Kantorovich–Rubinstein duality,
        $W_1(p_{data}, p_g) = \sup_{\|f\|_L\le1} \mathbb E_{p_{data}}[f(x)] - \mathbb E_{p_g}[f(x)]$.
        A WGAN trains a *critic* $f_w$ (no sigmoid: it outputs a real score) to approximate the
        supremum, and the generator $G_\theta$ to decrease the estimate. The critic must stay
        (approximately) 1-Lipschitz; two ways are common:

        - **weight clipping** (the original WGAN): after every critic update, clamp every parameter
          of the critic to $[-c, c]$ (e.g. $c = 0.01$);
        - **gradient penalty** (WGAN-GP): add $\lambda\,\mathbb E_{\hat x}\big[(\|\nabla_{\hat x} f_w(\hat x)\|_2 - 1)^2\big]$
          to the critic's loss, where $\hat x = \alpha x_{real} + (1-\alpha) x_{fake}$ with one
          $\alpha \sim U[0,1]$ per sample, and $\lambda = 10$.

        The networks are small convolutional nets in the style of DCGAN (given). The generator
        maps $z$ to a $7\times7$ feature map and doubles it twice with transposed convolutions
        ($7\to14\to28$); the critic halves the image twice with strided convolutions and ends in a
        linear score. The critic uses layer norm, not batch norm: the gradient penalty is taken
        per sample, and batch norm would make each sample's score depend on the rest of the batch.
        Images are `(N, 1, 28, 28)` in $[-1, 1]$; the critic returns scores of shape `(N,)`.
        """)
    nb.code('''
        Z_DIM = 64


        class Generator(nn.Module):
            """z (N, Z_DIM) -> images (N, 1, 28, 28) in [-1, 1]."""

            def __init__(self, z_dim=Z_DIM, width=64):
                super().__init__()
                self.width = width
                self.project = nn.Sequential(                       # (N, z_dim) -> (N, 2w * 7 * 7)
                    nn.Linear(z_dim, 2 * width * 7 * 7), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU())
                self.upsample = nn.Sequential(
                    nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),   # -> (N, w, 14, 14)
                    nn.BatchNorm2d(width), nn.ReLU(),
                    nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),           # -> (N, 1, 28, 28)
                    nn.Tanh())

            def forward(self, z):
                h = self.project(z).view(-1, 2 * self.width, 7, 7)
                return self.upsample(h)


        class Critic(nn.Module):
            """images (N, 1, 28, 28) -> real-valued scores (N,). No sigmoid, no batch norm (it would break the GP)."""

            def __init__(self, width=32):
                super().__init__()
                self.net = nn.Sequential(
                    nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),          # -> (N, w, 14, 14)
                    nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),                     # -> (N, 2w, 7, 7)
                    nn.LayerNorm([2 * width, 7, 7]), nn.LeakyReLU(0.2),
                    nn.Flatten(),
                    nn.Linear(2 * width * 7 * 7, 1))                                         # -> (N, 1)

            def forward(self, x):
                return self.net(x).squeeze(1)
        ''', locked=True, grade_id="wgan_networks")
    nb.md(r"""
        **(a) Implement the WGAN optimisation.**

        *Losses (5 points).* Both are minimised. The critic minimises
        $\mathbb E[f_w(x_{fake})] - \mathbb E[f_w(x_{real})]$ (so it *raises* real scores), the generator minimises
        $-\mathbb E[f_w(G(z))]$. Use batch means.
        """)
    nb.answer("q3_wgan_losses", '''
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
        ''')
    nb.tests("q3_wgan_losses_tests", points=5, src='''
        from dgmlab.testing import points, run_tests

        @points(0.5)
        def test_scalars():
            checks.assert_tensor(critic_loss(torch.zeros(3), torch.zeros(3)), "critic_loss(...)", shape=())
            checks.assert_tensor(generator_loss(torch.zeros(3)), "generator_loss(...)", shape=())

        @points(0.5)
        def test_critic_loss_sign_on_one_pair():
            got = float(critic_loss(torch.tensor([1.0]), torch.tensor([0.0])))
            assert abs(got - (-1.0)) < 1e-6, \\
                (f"for a real score 1 and a fake score 0 expected critic_loss = 0 - 1 = -1, found {got:g}"
                 + (": a sign error (the critic minimises fake minus real, so it raises real scores)"
                    if abs(got - 1.0) < 1e-6 else ""))

        @points(0.5)
        def test_generator_loss_sign_on_one_score():
            got = float(generator_loss(torch.tensor([2.0])))
            assert abs(got - (-2.0)) < 1e-6, \\
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
        ''')


def _q3_gradient_penalty(nb: Notebook) -> None:
    """Q3 (a): the gradient penalty."""
    nb.md(r"""
        *Gradient penalty (6 points).* `gradient_penalty(critic, real, fake, lam=10.0, alpha=None)`
        returns $\lambda\cdot\frac1N\sum_i(\|\nabla_{\hat x}f_w(\hat x_i)\|_2-1)^2$ as a 0-d tensor. Draw one
        $\alpha_i\sim U[0,1]$ per sample when `alpha` is `None` (otherwise use the given `(N,)` tensor), take the
        gradient norm over all of a sample's pixels, and keep the result differentiable with respect to the
        critic's parameters (`torch.autograd.grad(..., create_graph=True)`): the critic is trained on it.
        """)
    nb.answer("q3_gradient_penalty", '''
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
        ''')
    nb.tests("q3_gradient_penalty_tests", points=6, src='''
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
            assert abs(got) < 1e-5, \\
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
            assert torch.allclose(a, a[:, :1].expand_as(a), atol=1e-4), \\
                "x_hat must use ONE interpolation weight per sample, shared by all its pixels"
            assert ((a[:, 0] >= -1e-5) & (a[:, 0] <= 1 + 1e-5)).all(), "interpolation weights must lie in [0, 1]"
            assert a[:, 0].std() > 0.05, "interpolation weights should be random, one per sample"
        ### END HIDDEN TESTS

        run_tests(points=6, hidden=5)
        ''')


def _q3_clipping(nb: Notebook) -> None:
    """Q3 (a): weight clipping, and which constraint to train with (written)."""
    nb.md(r"""
        *Weight clipping (3 points).* `clip_weights(critic, c=0.01)` clamps every parameter of the critic
        (weights **and** biases) to $[-c, c]$ **in place**, so the optimizer, which holds references to
        these very tensors, keeps working. It returns `None`.
        """)
    nb.answer("q3_clip_weights", '''
        def clip_weights(critic, c=0.01):
            """Clamp each parameter of `critic` (an nn.Module) to [-c, c] in place; return None."""
            ### BEGIN SOLUTION
            with torch.no_grad():
                for p in critic.parameters():
                    p.clamp_(-c, c)
            ### END SOLUTION
        ''')
    nb.tests("q3_clip_weights_tests", points=3, src='''
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
                assert p.abs().max() <= 0.05 + 1e-7, \\
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
            assert all(p.is_leaf and p.requires_grad for p in net.parameters()), \\
                "after clipping, parameters must still be trainable leaf tensors"
            net(torch.ones(2, 3)).sum().backward()
            opt.step()
            assert all(p is q for p, q in zip(net.parameters(), opt.param_groups[0]["params"])), \\
                "the optimizer no longer holds the critic's parameters"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')
    nb.md(r"""
        *Which constraint? (3 points)* The training below uses the gradient penalty. Argue for that
        choice over weight clipping in a few sentences.
        """)
    nb.written("q3_lipschitz", points=3, model_answer=r"""
        Clipping enforces a Lipschitz bound only crudely: the bound depends on $c$ and the architecture, and the critic
        is pushed towards very simple functions (most weights pile up at $\pm c$), which under-uses its capacity and
        gives a poor estimate of $W_1$. Training is very sensitive to $c$: too small and gradients vanish through the
        layers, too large and they explode and the critic takes long to train. The gradient penalty instead constrains
        what matters, the critic's gradient norm, softly and where it matters: the optimal critic has gradient norm 1
        almost everywhere on the lines between coupled real and fake points, which is where $\hat x$ is sampled.
        It trains faster and more stably with standard optimisers such as Adam, at the cost of one double-backward per
        critic step. (It rules out batch norm in the critic, since the penalty is per sample.)
        Marking: a drawback of clipping (capacity / sensitivity to $c$ / vanishing or exploding gradients) (1), what
        the penalty enforces and why on interpolates (1), a practical consequence (stability, Adam, cost) (1).
        """)


# The tests of one training step (Q3 (a)), kept beside the question they grade.
TRAIN_STEP_TESTS = '''
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
        assert isinstance(out.get(k), float), \\
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
    assert "want" in seen, \\
        ("expected a real batch (next(real_batches)) and a generated batch before the critic step, found none: "
         "draw both before c_opt.step()")
    got, want = seen["got"], seen["want"]
    assert got is not None, "expected a gradient on the critic's weights at c_opt.step(), found None (no backward?)"
    hint = ""
    if torch.allclose(got, -want, rtol=1e-4, atol=1e-5):
        hint = ": the opposite sign, so the critic is trained to lower real scores (critic_loss(real, fake) argument order?)"
    assert torch.allclose(got, want, rtol=1e-4, atol=1e-5), \\
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
        assert len(log["yielded"]) == n_critic, \\
            f"with n_critic={n_critic}: {len(log['yielded'])} real batches taken (one per critic update)"
        assert not torch.equal(gen.calls[-1][0], gen.calls[-2][0]), \\
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
    assert all(torch.equal(p, q) for p, q in zip(crit.parameters(), log["crit_at_g"])), \\
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
'''


def _q3_train_step(nb: Notebook) -> None:
    """Q3 (a): one training step."""
    nb.md(r"""
        *One training step (9 points).* `wgan_train_step` performs `n_critic` critic updates followed by
        one generator update:

        - each critic update takes the **next** batch from the iterator `real_batches`, draws one batch of
          fake images of the same size from fresh noise $z\sim\mathcal N(0, I)$ (no gradient into the
          generator), and minimises `critic_loss` plus, when `lipschitz == "gp"`, `gradient_penalty` with
          weight `lam`; when `lipschitz == "clip"`, it calls `clip_weights(critic, clip)` right **after**
          the optimizer step;
        - the generator update draws fresh noise and minimises `generator_loss` through the current critic;
        - each network is changed only by its own optimizer (`c_opt` for the critic, `g_opt` for the
          generator), and gradients never leak from one phase into the other (zero them);
        - return a dict of Python floats: the last `"critic_loss"` (without the penalty), the last
          `"penalty"` (0.0 when clipping) and the `"generator_loss"`;
        - work on the networks' device, `next(generator.parameters()).device`: move each real batch there
          and draw the noise there, so that the step also runs on a GPU (`train_wgan` puts the networks on it).
        """)
    nb.answer("q3_train_step", '''
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
        ''')
    nb.tests("q3_train_step_tests", points=9, src=TRAIN_STEP_TESTS)

    # -------------------------------------------------------------- training


def _q3_training(nb: Notebook) -> None:
    """Q3 (b): the training loop, with checkpoints."""
    nb.md(r"""
        **(b) Training.** The loop below trains for 40 epochs with Adam (learning rate $3\cdot10^{-4}$,
        $\beta = (0, 0.9)$ as in the WGAN-GP paper's algorithm), batch size 64 and 2 critic updates per generator
        update; an epoch is one pass of the critic over the training set. It shows a progress bar, saves a
        sample grid every 5 epochs under `figures/` and plots the loss curves. On a Colab GPU an epoch
        takes a few seconds; on one CPU core about two and a half minutes. Nothing is trained while grading.

        After every epoch it saves a checkpoint, `checkpoints/wgan.pt` in the homework folder. If the runtime
        disconnects, run the notebook's cells again: training continues from the last saved epoch. A finished
        run is loaded, not trained again; to train from the start (say, after changing your training step,
        which the checkpoint notices), call `train_wgan(..., retrain=True)` or delete the file.
        """)
    nb.code('''
        from dgmlab.checkpoint import Checkpoint

        EPOCHS = runtime.pick(full=40, fast=1)
        BATCH_SIZE = 64
        LR = 3e-4
        N_CRITIC = 2
        MAX_STEPS = runtime.pick(full=None, fast=30)  # generator steps per epoch (None: the whole epoch)
        CHECKPOINT = runtime.pick(full="checkpoints/wgan.pt", fast="checkpoints/wgan_fast.pt")  # in the homework folder


        def train_wgan(generator, critic, images, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, n_critic=N_CRITIC,
                       lipschitz="gp", max_steps=MAX_STEPS, grid_every=5, device=device, seed=0,
                       checkpoint=CHECKPOINT, retrain=False):
            """Train in place; returns the history {"critic_loss": [...], "penalty": [...], "generator_loss": [...]}.

            Saves a checkpoint after every epoch (None: don't); called again it resumes from it, and a finished
            run is loaded instead of retrained unless retrain=True.
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
            ckpt = Checkpoint(checkpoint, epochs=epochs, generator=generator, critic=critic, g_opt=g_opt, c_opt=c_opt,
                              shuffle=loader.generator, config=dict(
                                  images=images, batch_size=batch_size, n_critic=n_critic, lipschitz=lipschitz,
                                  max_steps=max_steps, seed=seed, code=[wgan_train_step, critic_loss, generator_loss, gradient_penalty, clip_weights]))
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
                    bar.set_postfix(critic=f"{out['critic_loss']:.3f}", gen=f"{out['generator_loss']:.3f}")
                if epoch % grid_every == 0 or epoch == epochs:
                    with torch.no_grad():
                        generator.eval()
                        grid = generator(fixed_z).cpu()
                        generator.train()
                    plots.image_grid(grid, nrow=8, title=f"epoch {epoch}", save=f"figures/epoch_{epoch:02d}.png")
                    plt.show()
                ckpt.save(epoch, history)
            return history
        ''')
    nb.code('''
        if not runtime.is_grading():
            train_set = dgmlab.data.mnist(train=True, scale="[-1,1]", n=runtime.pick(full=None, fast=1000))
            print(f"training on {len(train_set)} {train_set.source} MNIST images for {EPOCHS} epoch(s)")
            generator, critic = Generator(), Critic()
            history = train_wgan(generator, critic, train_set.images)
            plots.loss_curves(history, save="figures/losses.png")
            plt.show()
        ''', uses_answers=True)

    # ----------------------------------------------------------- deliverables


def _q3_samples(nb: Notebook) -> None:
    """Q3 deliverables (a): 100 samples and the graded file."""
    nb.md(r"""
        ### Deliverables

        **(a) 100 samples (4 points).** `sample_generator(generator, n, z_dim, seed)` returns `n` images
        from seeded noise (use a `torch.Generator` seeded with `seed`, so the same seed gives the same
        images), computed without gradients with the generator in eval mode, restoring the mode it had.
        `save_samples(samples, path)` writes them with `torch.save` as a float32 CPU tensor of shape
        `(N, 1, 28, 28)`, so they can be graded without rerunning your training.
        """)
    nb.answer("q3_samples", '''
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


        def save_samples(samples, path="samples_100.pt"):
            """Save `samples` (N, 1, 28, 28) as a float32 CPU torch tensor at `path`; return the Path."""
            ### BEGIN SOLUTION
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.save(samples.detach().reshape(-1, 1, 28, 28).float().cpu().clone(), path)
            return path
            ### END SOLUTION
        ''')
    nb.tests("q3_samples_tests", points=4, src='''
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
            assert out.min() >= -1 and out.max() <= 1, \\
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
        ''')
    nb.code(f'''
        # Full mode writes the graded file in the homework folder; fast mode writes a throw-away copy.
        SAMPLES_FILE = runtime.pick(full="{SAMPLES_FILE}", fast="figures/samples_100_fast.pt")
        if not runtime.is_grading():
            samples = sample_generator(generator, n=100, seed=0)
            dgmlab.workspace.saved(save_samples(samples, SAMPLES_FILE), graded=runtime.mode() == "full")
            plots.image_grid(samples, nrow=10, title="100 WGAN-GP samples", save="figures/samples_100.png")
            plt.show()
        ''', uses_answers=True)


def _q3_scores(nb: Notebook) -> None:
    """Q3 deliverables (b): scores of the samples."""
    nb.md(r"""
        **(b) Scores (3 points).** The handout asks for the Inception Score. Inception-v3 was trained on
        colour photographs, so on grey 28x28 digits it means little; we report the **MNIST classifier
        score** (the same formula, $\exp\,\mathbb E_x\,D_{KL}(p(y|x)\,\|\,p(y))$, computed with a small
        MNIST classifier shipped in `dgmlab`: real test digits score about 9.9, the maximum is 10) and the
        Fréchet distance in that classifier's feature space, always; and the Inception-v3 score only when
        its weights are available. Implement `evaluate_samples(samples)` with
        `dgmlab.metrics.mnist_score`, `dgmlab.metrics.mnist_frechet_distance` and
        `dgmlab.metrics.inception_metrics`; the last raises `dgmlab.metrics.MetricUnavailable` when the
        weights cannot be had, in which case report `None` and the reason (as a string), without failing.
        """)
    nb.answer("q3_evaluate_samples", '''
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
        ''')
    nb.tests("q3_evaluate_samples_tests", points=3, src='''
        from dgmlab.testing import points, run_tests

        def _real_digits(n=200):
            from dgmlab import data
            return data.mnist(train=False, scale="[-1,1]", source="sample").images[:n]

        @points(1)
        def test_keys_and_types():
            out = evaluate_samples(_real_digits(100))
            assert isinstance(out, dict), f"expected evaluate_samples to return a dict, found {type(out).__name__}"
            for k in ["mnist_score", "mnist_score_std", "mnist_frechet"]:
                assert isinstance(out.get(k), float), \\
                    (f"expected {k!r} to be a Python float, found {type(out.get(k)).__name__}"
                     + (" (the key is missing)" if k not in out else ": convert with float(...)"))
            assert out.get("inception_score") is None or isinstance(out["inception_score"], float), \\
                f"expected 'inception_score' to be a float or None, found {type(out.get('inception_score')).__name__}"
            assert isinstance(out.get("inception_note"), str), \\
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
            assert "no Inception-v3 weights in this test" in out["inception_note"], \
                "'inception_note' must give the reason MetricUnavailable states"
            out = with_inception(lambda images, **kwargs: {"inception_score_mean": 3.25, "inception_score_std": 0.5})
            assert out["inception_score"] == 3.25, \
                "when inception_metrics answers, 'inception_score' must be its 'inception_score_mean'"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')
    nb.code('''
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
        ''', uses_answers=True)


def _q3_interpolations(nb: Notebook) -> None:
    """Q3 deliverables (c): interpolations in latent space."""
    nb.md(r"""
        **(c) Interpolations (5 points).** `interpolate(z0, z1, steps, method)` returns `steps` latent vectors
        from `z0` to `z1` inclusive, as rows of a `(steps, d)` tensor:

        - `"linear"`: $z_t = (1-t) z_0 + t z_1$ for $t$ evenly spaced in $[0, 1]$;
        - `"slerp"` (spherical): with $\Omega$ the angle between $z_0$ and $z_1$,
          $z_t = \frac{\sin((1-t)\Omega)}{\sin\Omega} z_0 + \frac{\sin(t\Omega)}{\sin\Omega} z_1$, which moves at a constant angular speed
          (Gaussian latents concentrate near a sphere, so slerp stays where the generator was trained).
          When $z_0$ and $z_1$ are (nearly) parallel, fall back to linear.

        Any other `method` raises `ValueError`.
        """)
    nb.answer("q3_interpolate", '''
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
        ''')
    nb.tests("q3_interpolate_tests", points=5, src='''
        from dgmlab.testing import points, run_tests

        @points(1)
        def test_shape_and_endpoints_linear():
            z0, z1 = torch.randn(5), torch.randn(5)
            out = interpolate(z0, z1, steps=7)
            checks.assert_tensor(out, "interpolate(z0, z1, 7)", shape=(7, 5))
            checks.assert_close(out[0], z0, atol=1e-6, name="the first row (expected z0)", reveal=True)
            gap = float((out[-1] - z1).norm())
            assert gap < 1e-5, \\
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
        ''')
    nb.code('''
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
        ''', uses_answers=True)


def _q3_graded_samples(nb: Notebook) -> None:
    """Q3: the cell that grades the saved samples."""
    nb.md(rf"""
        ### Graded from your saved samples (7 points)

        This cell grades the file `{SAMPLES_FILE}` that deliverable (a) saved in the homework folder after
        the full training: 100 images `(100, 1, 28, 28)` in $[-1, 1]$. A file in that form, of samples your
        generator drew (see below), earns 2 points; the other 5 come when, in addition, the MNIST
        classifier score of those 100 images, taken as one group
        (`dgmlab.metrics.mnist_score(samples, splits=1)`), is at least **{SCORE_BAR}** and the classifier
        recognises at least **{CLASSES_BAR}** of the 10 digit classes among them. Without the file it earns
        nothing and says so: submit `{SAMPLES_FILE}` with the notebook. The file is read with
        `dgmlab.artifacts` (tensors only, `torch.load(weights_only=True)`; a file over 1 MB is not read, the
        one deliverable (a) writes is about 315 kB). (For scale: 100 random real test
        digits score 9.2 to 9.6 this way, pure noise 1.0; in a 40-epoch run of the reference solution, the
        median of 20 such draws was 6.3 after 5 epochs, 6.9 after 10, 7.3 after 20, 7.7 after 30 and 7.8
        after 40.) In fast mode, which trains too little to write
        the file, a missing file is only reported.

        The samples must be your generator's own. Each one is compared with all 70,000 MNIST digits
        (`dgmlab.novelty.find_copies`; a shift by a pixel or two or added noise does not hide a copy): if more
        than {MAX_COPIES} of the 100 are near-copies of MNIST digits, the file holds dataset images, not generated
        ones, and the whole cell earns 0. A generator that learned the data rather than memorising it is not
        affected: of 10,000 samples of the reference generator, at most 2 were flagged at any checkpoint.
        """)
    nb.tests("q3_samples_quality_tests", points=7, src=f'''
        from dgmlab import artifacts
        from dgmlab.testing import points, run_tests

        GRADED_SAMPLES = Path("{SAMPLES_FILE}")

        def _absent_in_fast_mode():
            # fast mode (CI's smoke run) trains too little to write the graded file: nothing to score there
            return runtime.mode() == "fast" and not GRADED_SAMPLES.exists()

        def _graded_samples():
            """The saved samples and their near-copy report, once they pass every check but quality (else why it earns 0)."""
            saved = artifacts.load(GRADED_SAMPLES, max_bytes={MAX_FILE_BYTES:_}, made_by="the deliverable (a) cell")
            x = artifacts.samples(saved, name="{SAMPLES_FILE}")
            return x, artifacts.require_new(x)

        @points(2)
        def test_saved_samples_are_100_new_images_in_range():
            if _absent_in_fast_mode():
                print("fast mode: no {SAMPLES_FILE} (only full training writes it), so nothing is scored here")
                return
            _, report = _graded_samples()
            print("near-copy check:", report.summary())

        @points(5)
        def test_mnist_classifier_score_above_the_bar():
            from dgmlab import metrics
            if _absent_in_fast_mode():
                return
            x, _ = _graded_samples()  # a file that fails the checks above earns nothing here either
            score, _ = metrics.mnist_score(x, splits=1, scale="[-1,1]")
            classes = metrics.mnist_predict(x, scale="[-1,1]").unique().numel()
            assert float(score) >= {SCORE_BAR}, (
                f"expected an MNIST classifier score of at least {SCORE_BAR}, found {{float(score):.2f}}: below the bar "
                "(a full 40-epoch run clears it; a run stopped early or a generator that lost its tanh may not)")
            assert classes >= {CLASSES_BAR}, \\
                (f"expected at least {CLASSES_BAR} of the 10 digit classes among the saved samples, found {{classes}}: "
                 "the generator covers too few digits (mode collapse)")

        run_tests(points=7)
        ''')


def _closing(nb: Notebook) -> None:
    """What to hand in."""
    nb.md(r"""
        *End of homework 1.* Submit this notebook **and** `samples_100.pt` (and, if you like, the `figures/`
        folder). In Colab, download the notebook (*File -> Download -> .ipynb*) and `samples_100.pt` from the
        homework folder on Google Drive (`MyDrive/dgm-course/hw1_wgan/`); don't submit `checkpoints/`.
        """)



# ---------------------------------------------------------------------- proofs
def _fn(src: str) -> str:
    return src.strip("\n")


# Every graded cell gives points per test, so a wrong answer names in earns= the points it still gets:
# those of the tests its mistake leaves passing (tests/test_proofs.py checks the exact number); the
# blank stubs earn 0 and the correct variants every point (passes=).
# Reference text the edits below change (an edit's old text must occur exactly once in the reference answer).
_ROUND_TRIP_CHECK = '''\
    if not torch.allclose(flow.forward(z), x, rtol=1e-4, atol=1e-4):
        raise ValueError("the flow is not invertible at x: f(f^-1(x)) != x")
'''
_FINITE_CHECK = '''\
    if not torch.isfinite(log_det).all():
        raise ValueError("the Jacobian of the flow is singular (log|det J| is not finite)")
'''
_KL_DENSITIES = "p_g = normal_pdf(x, theta, sigma_g)\np_data = normal_pdf(x, theta0, sigma_data)"
_GENERATOR_UPDATE = '''\
    z = torch.randn(real.shape[0], z_dim, device=device)
    g_opt.zero_grad()
    g_loss = generator_loss(critic(generator(z)))
    g_loss.backward()
    g_opt.step()
'''
_SLERP = '''\
        cos = torch.dot(z0, z1) / (z0.norm() * z1.norm())
        omega = torch.arccos(cos.clamp(-1, 1))
        if omega.abs() > 1e-4:
            s = torch.sin(omega)
            return torch.sin((1 - t) * omega) / s * z0 + torch.sin(t * omega) / s * z1'''

MUTANTS = [
    # Q1 flow_log_prob
    Mutant("q1_flow_log_prob", "sign error: adds log|det J|", edits=[
        ("return base.log_prob(z) - log_det", "return base.log_prob(z) + log_det")],
        earns={"q1_flow_log_prob_tests": 1.75}),
    Mutant("q1_flow_log_prob", "log|det J| evaluated at x instead of z", edits=[
        ("flow.log_abs_det_jacobian(z)", "flow.log_abs_det_jacobian(x)")], earns={"q1_flow_log_prob_tests": 3.75}),
    Mutant("q1_flow_log_prob", "no invertibility check", edits=[(_ROUND_TRIP_CHECK, ""), (_FINITE_CHECK, "")],
           earns={"q1_flow_log_prob_tests": 4}),
    Mutant("q1_flow_log_prob", "checks only the determinant, not the round trip", edits=[(_ROUND_TRIP_CHECK, "")],
           earns={"q1_flow_log_prob_tests": 4.5}),
    Mutant("q1_flow_log_prob", "checks only the round trip, not the determinant", edits=[(_FINITE_CHECK, "")],
           earns={"q1_flow_log_prob_tests": 4.5}),
    Mutant("q1_flow_log_prob", "ignores the base and uses a standard normal", edits=[
        ("base.log_prob(z)", "(-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)")],
        earns={"q1_flow_log_prob_tests": 3.75}),
    Mutant("q1_flow_log_prob", "correct variant: isclose with a looser check order", _fn('''
def flow_log_prob(x, flow, base):
    z = flow.inverse(x)
    log_det = flow.log_abs_det_jacobian(z)
    bad = ~torch.isclose(flow.forward(z), x, rtol=1e-5, atol=1e-5)
    if bad.any() or torch.isinf(log_det).any() or torch.isnan(log_det).any():
        raise ValueError("f is not invertible here")
    return -log_det + base.log_prob(z)
'''), passes=["q1_flow_log_prob_tests"]),
    # Q1 flow_sample
    Mutant("q1_flow_sample", "pushes through the inverse", edits=[("flow.forward(z)", "flow.inverse(z)")],
           earns={"q1_flow_sample_tests": 0.5}),
    Mutant("q1_flow_sample", "standard normal noise instead of the base", edits=[
        ("z = base.sample((n,))", "z = torch.randn(n, base.event_shape[0])")], earns={"q1_flow_sample_tests": 0.5}),
    Mutant("q1_flow_sample", "returns the base samples", edits=[
        ("return flow.forward(z)", "x = flow.forward(z)\n    return z")], earns={"q1_flow_sample_tests": 0.5}),
    Mutant("q1_flow_sample", "correct variant: rsample", _fn('''
def flow_sample(n, flow, base):
    return flow.forward(base.rsample(torch.Size([n])))
'''), passes=["q1_flow_sample_tests"]),
    # Q2 a
    Mutant("q2_kl_gaussians", "variance written as sigma instead of sigma**2", edits=[(_KL_DENSITIES, """\
p_g = sp.exp(-(x - theta) ** 2 / (2 * sigma_g)) / sp.sqrt(2 * sp.pi * sigma_g)
p_data = sp.exp(-(x - theta0) ** 2 / (2 * sigma_data)) / sp.sqrt(2 * sp.pi * sigma_data)""")],
        earns={"q2_kl_gaussians_tests": 2}),
    Mutant("q2_kl_gaussians", "log-ratio the wrong way round (p_data / p_g)", edits=[
        ("sp.log(p_g / p_data)", "sp.log(p_data / p_g)")], earns={"q2_kl_gaussians_tests": 1}),
    Mutant("q2_kl_gaussians", "log-ratio weighted by p_data (the other KL)", edits=[
        ("kl_integrand = p_g *", "kl_integrand = p_data *")], earns={"q2_kl_gaussians_tests": 1}),
    Mutant("q2_kl_gaussians", "drops the 1/2 of the exponent", edits=[(_KL_DENSITIES, """\
p_g = sp.exp(-(x - theta) ** 2 / sigma_g ** 2) / (sigma_g * sp.sqrt(sp.pi))
p_data = sp.exp(-(x - theta0) ** 2 / sigma_data ** 2) / (sigma_data * sp.sqrt(sp.pi))""")],
        earns={"q2_kl_gaussians_tests": 2}),
    # the printed result typed in earns nothing (issue 19): alone, or with a general form guessed from it
    Mutant("q2_kl_gaussians", "typed the printed equal-width result", _fn('''
kl_gaussians = (theta - theta0) ** 2 / (2 * eps ** 2)
'''), earns={"q2_kl_gaussians_tests": 0}),
    Mutant("q2_kl_gaussians", "typed the printed result and a general form guessed from it", _fn('''
kl_integrand = normal_pdf(x, theta, sigma_g) * sp.log(normal_pdf(x, theta, sigma_g) / normal_pdf(x, theta0, sigma_data))
kl_general = (theta - theta0) ** 2 / (2 * sigma_data ** 2)
kl_gaussians = (theta - theta0) ** 2 / (2 * eps ** 2)
'''), earns={"q2_kl_gaussians_tests": 2}),
    Mutant("q2_kl_gaussians", "correct variant: expand the squares by hand", _fn('''
kl_integrand = normal_pdf(x, theta, sigma_g) * (sp.log(sigma_data / sigma_g) - (x - theta) ** 2 / (2 * sigma_g ** 2)
                                                + (x - theta0) ** 2 / (2 * sigma_data ** 2))
kl_general = sp.factor(sp.integrate(sp.expand(kl_integrand), (x, -sp.oo, sp.oo), conds="none"))
kl_gaussians = sp.factor(kl_general.subs({sigma_g: eps, sigma_data: eps}))
'''), passes=["q2_kl_gaussians_tests"]),
    # Q2 b
    Mutant("q2_kl_limits", "differentiates with respect to eps", edits=[("sp.diff(kl, theta)", "sp.diff(kl, eps)")],
           earns={"q2_kl_limits_tests": 3}),
    Mutant("q2_kl_limits", "differentiates with respect to theta0", edits=[("sp.diff(kl, theta)", "sp.diff(kl, theta0)")],
           earns={"q2_kl_limits_tests": 3}),
    Mutant("q2_kl_limits", "takes eps -> infinity", edits=[
        ('sp.limit(kl.subs(at), eps, 0, "+"), sp.limit(dkl.subs(at), eps, 0, "+")',
         "sp.limit(kl.subs(at), eps, sp.oo), sp.limit(dkl.subs(at), eps, sp.oo)")], earns={"q2_kl_limits_tests": 1}),
    Mutant("q2_kl_limits", "correct variant: limit first in theta-symbolic form, then substitute", _fn('''
def kl_limits(kl, theta_value, theta0_value):
    d = sp.diff(kl, theta).subs({theta: theta_value, theta0: theta0_value})
    k = kl.subs({theta: theta_value, theta0: theta0_value})
    return (sp.limit(k, eps, 0, dir="+"), sp.limit(sp.simplify(d), eps, 0, dir="+"))
'''), passes=["q2_kl_limits_tests"]),
    # Q2 c
    Mutant("q2_combined_generator_loss", "terms swapped (sign error)", edits=[
        ("torch.log1p(-d_fake).mean() - torch.log(d_fake).mean()", "torch.log(d_fake).mean() - torch.log1p(-d_fake).mean()")],
        earns={"q2_combined_generator_loss_tests": 0.5}),
    Mutant("q2_combined_generator_loss", "saturating term only", edits=[(" - torch.log(d_fake).mean()", "")],
           earns={"q2_combined_generator_loss_tests": 0.5}),
    Mutant("q2_combined_generator_loss", "sum instead of mean", edits=[
        ("torch.log1p(-d_fake).mean() - torch.log(d_fake).mean()", "torch.log1p(-d_fake).sum() - torch.log(d_fake).sum()")],
        earns={"q2_combined_generator_loss_tests": 1}),
    Mutant("q2_combined_generator_loss", "correct variant: log of the odds", _fn('''
def combined_generator_loss(d_fake):
    return torch.mean(torch.log((1 - d_fake) / d_fake))
'''), passes=["q2_combined_generator_loss_tests"]),
    # Q2 d
    Mutant("q2_js_divergence", "forgets the 1/2 weights", edits=[("0.5 * kl_pm + 0.5 * kl_qm", "kl_pm + kl_qm")],
           earns={"q2_js_divergence_tests": 1}),
    Mutant("q2_js_divergence", "mixture without the 1/2 (log(p+q))", edits=[(" - math.log(2.0)", "")],
           earns={"q2_js_divergence_tests": 1}),
    Mutant("q2_js_divergence", "both expectations taken under p_g", edits=[
        ("log_m(t), theta0, eps)", "log_m(t), theta, eps)")], earns={"q2_js_divergence_tests": 1}),
    Mutant("q2_js_divergence", "correct variant: densities instead of log-densities", _fn('''
def js_divergence(theta, theta0, eps):
    p = lambda t: torch.exp(normal_log_pdf(t, theta, eps))
    q = lambda t: torch.exp(normal_log_pdf(t, theta0, eps))
    m = lambda t: (p(t) + q(t)) / 2
    a = gaussian_expectation(lambda t: torch.log(p(t) / m(t)), theta, eps)
    b = gaussian_expectation(lambda t: torch.log(q(t) / m(t)), theta0, eps)
    return (a + b) / 2
'''), passes=["q2_js_divergence_tests"]),
    Mutant("q2_w1_distance", "squared shift", edits=[
        ("torch.abs(torch.as_tensor(theta) - torch.as_tensor(theta0))", "(torch.as_tensor(theta) - torch.as_tensor(theta0)) ** 2")],
        earns={"q2_w1_distance_tests": 0.5}),
    Mutant("q2_w1_distance", "no absolute value", edits=[
        ("torch.abs(torch.as_tensor(theta) - torch.as_tensor(theta0))", "torch.as_tensor(theta) - torch.as_tensor(theta0)")],
        earns={"q2_w1_distance_tests": 0.5}),
    Mutant("q2_w1_distance", "shift divided by eps", edits=[("torch.as_tensor(theta0))", "torch.as_tensor(theta0)) / eps")],
           earns={"q2_w1_distance_tests": 0.5}),
    Mutant("q2_w1_distance", "correct variant: quantile coupling", _fn('''
def w1_distance(theta, theta0, eps):
    u = torch.linspace(0.001, 0.999, 999, dtype=torch.float64)
    zq = D.Normal(0.0, 1.0).icdf(u)
    return (torch.as_tensor(theta) + eps * zq - torch.as_tensor(theta0) - eps * zq).abs().mean()
'''), passes=["q2_w1_distance_tests"]),
    # Q3 losses
    Mutant("q3_wgan_losses", "critic loss with the sign flipped", edits=[
        ("fake_scores.mean() - real_scores.mean()", "real_scores.mean() - fake_scores.mean()")],
        earns={"q3_wgan_losses_tests": 1.75}),
    Mutant("q3_wgan_losses", "sums instead of means", edits=[
        ("fake_scores.mean() - real_scores.mean()", "fake_scores.sum() - real_scores.sum()"),
        ("return -fake_scores.mean()", "return -fake_scores.sum()")], earns={"q3_wgan_losses_tests": 1.5}),
    Mutant("q3_wgan_losses", "generator loss without the minus sign", edits=[
        ("return -fake_scores.mean()", "return fake_scores.mean()")], earns={"q3_wgan_losses_tests": 2.5}),
    Mutant("q3_wgan_losses", "mean of paired differences (wrong for unequal batches)", edits=[
        ("    return fake_scores.mean() - real_scores.mean()",
         "    n = min(len(real_scores), len(fake_scores))\n    return (fake_scores[:n] - real_scores[:n]).mean()")],
        earns={"q3_wgan_losses_tests": 2.25}),
    Mutant("q3_wgan_losses", "correct variant: torch.mean calls", _fn('''
def critic_loss(real_scores, fake_scores):
    return -(torch.mean(real_scores) - torch.mean(fake_scores))

def generator_loss(fake_scores):
    return torch.mean(-fake_scores)
'''), passes=["q3_wgan_losses_tests"]),
    # Q3 gradient penalty
    Mutant("q3_gradient_penalty", "no create_graph (not differentiable w.r.t. the critic)", edits=[
        (", create_graph=True)", ")")], earns={"q3_gradient_penalty_tests": 4}),
    Mutant("q3_gradient_penalty", "norm over the whole batch", edits=[
        ("    norms = grad.reshape(n, -1).norm(2, dim=1)\n    return lam * ((norms - 1) ** 2).mean()",
         "    return lam * (grad.norm(2) - 1) ** 2")], earns={"q3_gradient_penalty_tests": 1}),
    Mutant("q3_gradient_penalty", "missing the -1 (penalises the squared norm)", edits=[
        ("((norms - 1) ** 2).mean()", "(norms ** 2).mean()")], earns={"q3_gradient_penalty_tests": 1}),
    Mutant("q3_gradient_penalty", "one alpha per pixel (rand_like)", edits=[
        ("        alpha = torch.rand(n, device=real.device, dtype=real.dtype)\n    a = alpha.view(",
         "        a = torch.rand_like(real)\n    else:\n        a = alpha.view(")], earns={"q3_gradient_penalty_tests": 5}),
    Mutant("q3_gradient_penalty", "sum over the batch instead of mean", edits=[
        ("((norms - 1) ** 2).mean()", "((norms - 1) ** 2).sum()")], earns={"q3_gradient_penalty_tests": 2}),
    Mutant("q3_gradient_penalty", "correct variant: torch.lerp, sqrt of summed squares, ones grad_outputs", _fn('''
def gradient_penalty(critic, real, fake, lam=10.0, alpha=None):
    n = real.shape[0]
    if alpha is None:
        alpha = torch.empty(n).uniform_(0, 1)
    w = alpha.reshape(-1, *([1] * (real.dim() - 1))).expand_as(real)
    x_hat = torch.lerp(fake, real, w).detach().requires_grad_()
    scores = critic(x_hat)
    grad = torch.autograd.grad(scores, x_hat, grad_outputs=torch.ones_like(scores), create_graph=True)[0]
    norms = torch.sqrt((grad.view(n, -1) ** 2).sum(dim=1))
    return torch.mean((norms - 1.0) ** 2) * lam
'''), passes=["q3_gradient_penalty_tests"]),
    # Q3 clipping
    Mutant("q3_clip_weights", "clips weights but not biases", edits=[
        ("        for p in critic.parameters():\n            p.clamp_(-c, c)",
         '        for name, p in critic.named_parameters():\n            if name.endswith("weight"):\n'
         "                p.clamp_(-c, c)")], earns={"q3_clip_weights_tests": 0.75}),
    Mutant("q3_clip_weights", "clamps to [0, c]", edits=[("p.clamp_(-c, c)", "p.clamp_(0, c)")],
           earns={"q3_clip_weights_tests": 1.75}),
    Mutant("q3_clip_weights", "replaces the parameters with new ones", _fn('''
def clip_weights(critic, c=0.01):
    for m in critic.modules():
        for name, p in list(m.named_parameters(recurse=False)):
            setattr(m, name, nn.Parameter(p.detach().clamp(-c, c)))
'''), earns={"q3_clip_weights_tests": 2.25}),
    Mutant("q3_clip_weights", "correct variant: p.data.clamp_", _fn('''
def clip_weights(critic, c=0.01):
    for p in critic.parameters():
        p.data.clamp_(min=-c, max=c)
    return None
'''), passes=["q3_clip_weights_tests"]),
    # Q3 training step
    Mutant("q3_train_step", "a generator update after every critic update", edits=[
        (_GENERATOR_UPDATE, textwrap.indent(_GENERATOR_UPDATE, "    "))], earns={"q3_train_step_tests": 3.75}),
    Mutant("q3_train_step", "gradient penalty left out of the critic's loss", edits=[
        ("(c_loss + penalty).backward()", "c_loss.backward()")], earns={"q3_train_step_tests": 6.25}),
    Mutant("q3_train_step", "fake not detached and generator grads not zeroed", edits=[
        ("device = next(generator.parameters()).device\n", "device = next(generator.parameters()).device\n    g_opt.zero_grad()\n"),
        ("        with torch.no_grad():\n            fake = generator(z)", "        fake = generator(z)"),
        ("    g_opt.zero_grad()\n    g_loss", "    g_loss")], earns={"q3_train_step_tests": 6.75}),
    Mutant("q3_train_step", "critic gradients never zeroed", edits=[("        c_opt.zero_grad()\n", "")],
           earns={"q3_train_step_tests": 5.5}),
    Mutant("q3_train_step", "one real batch reused for every critic update", edits=[
        ("    for _ in range(n_critic):\n        real = next(real_batches).to(device)",
         "    real = next(real_batches).to(device)\n    for _ in range(n_critic):")], earns={"q3_train_step_tests": 7.25}),
    Mutant("q3_train_step", "clips before the optimizer step", edits=[
        ('        c_opt.step()\n        if lipschitz == "clip":\n            clip_weights(critic, clip)',
         '        if lipschitz == "clip":\n            clip_weights(critic, clip)\n        c_opt.step()')],
        earns={"q3_train_step_tests": 8.25}),
    Mutant("q3_train_step", "generator gradients not zeroed, noise with one row", edits=[
        ("        z = torch.randn(real.shape[0]", "        z = torch.randn(real.shape[1]"),
        ("    z = torch.randn(real.shape[0], z_dim, device=device)\n    g_opt.zero_grad()\n",
         "    z = torch.randn(real.shape[1], z_dim, device=device)\n")], earns={"q3_train_step_tests": 5.75}),
    Mutant("q3_train_step", "correct variant: noise first, set_to_none, penalty added in place", _fn('''
def wgan_train_step(generator, critic, g_opt, c_opt, real_batches, z_dim=Z_DIM, n_critic=2,
                    lipschitz="gp", lam=10.0, clip=0.01):
    stats = {"penalty": 0.0}
    for k in range(n_critic):
        z = torch.randn(0, z_dim)
        real = next(real_batches)
        z = torch.randn(len(real), z_dim)
        fake = generator(z).detach()
        c_opt.zero_grad(set_to_none=True)
        loss = critic_loss(critic(real), critic(fake))
        stats["critic_loss"] = loss.item()
        if lipschitz == "gp":
            gp = gradient_penalty(critic, real, fake, lam=lam)
            stats["penalty"] = gp.item()
            loss = loss + gp
        loss.backward()
        c_opt.step()
        if lipschitz == "clip":
            clip_weights(critic, c=clip)
    for p in critic.parameters():
        p.requires_grad_(False)
    g_opt.zero_grad(set_to_none=True)
    g_loss = generator_loss(critic(generator(torch.randn(len(real), z_dim))))
    g_loss.backward()
    g_opt.step()
    for p in critic.parameters():
        p.requires_grad_(True)
    stats["generator_loss"] = g_loss.item()
    return stats
'''), passes=["q3_train_step_tests"]),
    # deliverable (a)
    Mutant("q3_samples", "samples keep their graph (no torch.no_grad)", edits=[
        ("        with torch.no_grad():\n            out = generator(z)", "        out = generator(z)")],
        earns={"q3_samples_tests": 3}),
    Mutant("q3_samples", "seed ignored (global RNG)", edits=[
        ("torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))", "torch.randn(n, z_dim)")],
        earns={"q3_samples_tests": 3}),
    Mutant("q3_samples", "leaves the generator in eval mode; saves a numpy array", edits=[
        ("    try:\n        with torch.no_grad():\n            out = generator(z)\n    finally:\n"
         "        generator.train(was_training)", "    with torch.no_grad():\n        out = generator(z)"),
        ("torch.save(samples.detach().reshape(-1, 1, 28, 28).float().cpu().clone(), path)",
         "torch.save(samples.detach().cpu().numpy(), path)")], earns={"q3_samples_tests": 2}),
    Mutant("q3_samples", "correct variant: torch.inference_mode-free, manual_seed on a fresh Generator", _fn('''
def sample_generator(generator, n=100, z_dim=Z_DIM, seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    z = torch.randn((n, z_dim), generator=g)
    mode = generator.training
    generator.train(False)
    with torch.no_grad():
        x = generator(z.to(next(generator.parameters()).device)).view(n, 1, 28, 28).cpu().float()
    generator.train(mode)
    return x

def save_samples(samples, path="samples_100.pt"):
    p = Path(path)
    torch.save(samples.detach().cpu().to(torch.float32).contiguous(), str(p))
    return p
'''), passes=["q3_samples_tests"]),
    # deliverable (b)
    Mutant("q3_evaluate_samples", "mean and std swapped", edits=[
        ("mean, std = metrics.mnist_score(samples)", "std, mean = metrics.mnist_score(samples)")],
        earns={"q3_evaluate_samples_tests": 1.75}),
    Mutant("q3_evaluate_samples", "lets MetricUnavailable escape", edits=[
        ("except metrics.MetricUnavailable as exc:", "except ValueError as exc:")], earns={"q3_evaluate_samples_tests": 0}),
    Mutant("q3_evaluate_samples", "Frechet distance of images rescaled to [0, 255]", edits=[
        ("float(metrics.mnist_frechet_distance(samples))",
         "float(metrics.mnist_frechet_distance(samples * 0.5 + 0.5)) * 1.0 + 1.0")],
        earns={"q3_evaluate_samples_tests": 1.75}),
    Mutant("q3_evaluate_samples", "a fixed note instead of the reason, and an available score dropped", edits=[
        ('inc = metrics.inception_metrics(samples)\n'
         '        out["inception_score"] = float(inc["inception_score_mean"] if "inception_score_mean" in inc\n'
         '                                       else inc["inception_score"])', "metrics.inception_metrics(samples)"),
        ('str(exc) or "Inception-v3 weights are not available"', '"Inception-v3 is not available"')],
        earns={"q3_evaluate_samples_tests": 2.25}),
    Mutant("q3_evaluate_samples", "correct variant: explicit splits and scale, getattr for the note", _fn('''
def evaluate_samples(samples):
    from dgmlab import metrics
    x = samples.detach().cpu()
    m, s = metrics.mnist_score(x, splits=10, scale="[-1,1]")
    fd = metrics.mnist_frechet_distance(x, scale="[-1,1]")
    try:
        res = metrics.inception_metrics(x)
        inc, note = float(res.get("inception_score_mean", res.get("inception_score"))), ""
    except metrics.MetricUnavailable as err:
        inc, note = None, f"Inception-v3 unavailable: {err}"
    return dict(mnist_score=float(m), mnist_score_std=float(s), mnist_frechet=float(fd),
                inception_score=inc, inception_note=note)
'''), passes=["q3_evaluate_samples_tests"]),
    # deliverable (c)
    Mutant("q3_interpolate", "linspace without the last point", edits=[
        ("torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device)",
         "torch.linspace(0, 1, steps + 1, dtype=z0.dtype, device=z0.device)[:-1]")], earns={"q3_interpolate_tests": 1}),
    Mutant("q3_interpolate", "slerp replaced by normalised lerp", edits=[(_SLERP, """\
        lin = (1 - t) * z0 + t * z1
        return lin / lin.norm(dim=1, keepdim=True) * ((1 - t) * z0.norm() + t * z1.norm())""")],
        earns={"q3_interpolate_tests": 3.5}),
    Mutant("q3_interpolate", "slerp without the parallel fallback", edits=[
        ("        if omega.abs() > 1e-4:\n", ""),
        ("            s = torch.sin(omega)\n            return", "        s = torch.sin(omega)\n        return")],
        earns={"q3_interpolate_tests": 4.5}),
    Mutant("q3_interpolate", "unknown method silently treated as linear", edits=[
        ('    if method not in ("linear", "slerp"):\n        raise ValueError(f"method must be \'linear\' or \'slerp\', got {method!r}")\n',
         "")], earns={"q3_interpolate_tests": 4.5}),
    Mutant("q3_interpolate", "correct variant: torch.lerp and a per-step loop for slerp", _fn('''
def interpolate(z0, z1, steps=10, method="linear"):
    if method == "linear":
        t = torch.linspace(0.0, 1.0, steps, dtype=z0.dtype).view(-1, 1)
        return torch.lerp(z0.expand(steps, -1), z1.expand(steps, -1), t)
    if method != "slerp":
        raise ValueError("unknown method")
    u0, u1 = z0 / z0.norm(), z1 / z1.norm()
    om = torch.acos(torch.clamp((u0 * u1).sum(), -1.0, 1.0))
    rows = []
    for i in range(steps):
        t = i / (steps - 1)
        if float(om) < 1e-6:
            rows.append((1 - t) * z0 + t * z1)
        else:
            rows.append((torch.sin((1 - t) * om) * z0 + torch.sin(t * om) * z1) / torch.sin(om))
    return torch.stack(rows)
'''), passes=["q3_interpolate_tests"]),
]

# Labels the demo's partly-wrong submission uses (one wrong answer per question).
PARTIAL = [
    "checks only the determinant, not the round trip",
    "sum instead of mean",
    "missing the -1 (penalises the squared norm)",
    "slerp replaced by normalised lerp",
]


# --------------------------------------------------------------- artifacts
GENUINE_SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "hw1_genuine_samples_100.pt"

# Files the reference needs next to the notebook for every graded cell to pass:
# {file name: function(folder) -> Path}. tests/test_hw1_wgan.py and tests/test_proofs.py use it.
PROOF_ARTIFACTS = {SAMPLES_FILE: fixture_copier(GENUINE_SAMPLES, SAMPLES_FILE)}
ARTIFACT_TESTS = ["q3_samples_quality_tests"]

# Generated mutants (benchmarks/mutation_kill_rates.py, docs/mutation.md) that change no grade, with why.
EQUIVALENT_MUTANTS = {
    "q1_flow_log_prob": {
        "L10 args: `torch.allclose(flow.forward(z), x, rtol=0.0001, atol=0.0001)` -> `torch.allclose(x, "
        "flow.forward(z), rtol=0.0001, atol=0.0001)` (first two arguments swapped)":
            "allclose's relative tolerance is taken of its second argument: either order checks the round trip "
            "to the stated 1e-4",
        "L10 constant: `0.0001` -> `0.0002` (0.0001 -> 0.0002)":
            "a round-trip tolerance of 2e-4 instead of 1e-4: the statement's 1e-4 is a rule of thumb, not a grade",
    },
    "q2_kl_gaussians": {
        "L3 args: `normal_pdf(x, theta, sigma_g)` -> `normal_pdf(theta, x, sigma_g)` (first two arguments swapped)":
            "a normal density is symmetric in its point and its mean",
        "L4 args: `normal_pdf(x, theta0, sigma_data)` -> `normal_pdf(theta0, x, sigma_data)` (first two arguments "
        "swapped)": "a normal density is symmetric in its point and its mean",
        "L5 constant: `True` -> `False` (True -> False)":
            "expand_log(force=False) still splits the logarithm: the symbols are declared positive",
    },
    "q2_js_divergence": {
        "L4 args: `normal_log_pdf(t, theta, eps)` -> `normal_log_pdf(theta, t, eps)` (first two arguments swapped)":
            "a normal density is symmetric in its point and its mean",
        "L5 args: `normal_log_pdf(t, theta0, eps)` -> `normal_log_pdf(theta0, t, eps)` (first two arguments swapped)":
            "a normal density is symmetric in its point and its mean",
        "L6 args: `torch.logaddexp(log_p(t), log_q(t))` -> `torch.logaddexp(log_q(t), log_p(t))` (first two "
        "arguments swapped)": "logaddexp is symmetric",
    },
    "q3_train_step": {
        "L10 delete: `if lipschitz not in ('gp', 'clip'): ...` deleted":
            "the statement defines the step for 'gp' and 'clip' only; rejecting other values is the reference's "
            "courtesy, not asked for",
        "L11 delete: `raise ValueError(f\"lipschitz must be 'gp' or 'clip', got ...` deleted":
            "the same check, its raise replaced by pass",
        "L12 delete: `device = next(generator.parameters()).device` deleted":
            "the global device of the setup cell is then used; tests run on the CPU, where it is the networks' "
            "device, and train_wgan puts the networks on that same device on a GPU",
    },
    "q3_samples": {
        "L5 delete: `device = next(generator.parameters()).device` deleted":
            "the global device of the setup cell is then used: the same device as the generator's in grading "
            "(CPU) and in the notebook's own run",
        "L21 delete: `path.parent.mkdir(parents=True, exist_ok=True)` deleted":
            "the statement does not ask save_samples to create folders; the graded path has none",
        "L21 constant: `True` -> `False` (True -> False)":
            "mkdir(parents=False) differs only for a missing grandparent folder, which no graded path has",
    },
    "q3_interpolate": {
        "L8 args: `torch.dot(z0, z1)` -> `torch.dot(z1, z0)` (first two arguments swapped)": "the dot product is "
                                                                                            "symmetric",
        "L9 constant: `1` -> `2` (1 -> 2)":
            "clamp only guards arccos against rounding beyond [-1, 1]; unclamped, such a cosine gives NaN, NaN > 1e-4 "
            "is False and the linear path is taken, as it is for an angle of 0 (antipodal codes, where slerp is "
            "undefined, are never tested)",
        "L10 compare: `omega.abs() > 0.0001` -> `omega.abs() >= 0.0001` (> -> >=)":
            "the threshold below which slerp falls back to the linear path (they agree there to 1e-8)",
        "L10 constant: `0.0001` -> `0.0002` (0.0001 -> 0.0002)":
            "the same threshold doubled: slerp and the linear path agree to 1e-8 below it",
    },
}
