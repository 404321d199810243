"""hw2_wgangp: f-GAN estimates of KL, two properties of W1, and WGAN-GP with residual networks.

Adapted from seed 001 (CSE 599i Generative Models, Homework 3). Points (100):
analysis 40 (written 19, autograded 21), implementation 60 (autograded 48, written 12).
P5's trained MNIST generator is graded from the file it saves (`p5_mnist_samples_tests`; the builder's
PROOF_ARTIFACTS put genuine samples next to the notebook for the proofs; see docs/hw2_wgangp.md).
"""
from pathlib import Path

from dgmlab.authoring import Notebook, fixture_copier

from dgmlab.grading.proofs import Mutant
from dgmlab.novelty import MAX_COPIES

HW = "hw2_wgangp"
# P5's graded file: 100 samples of the trained MNIST generator, written by the training cell in full mode.
SAMPLES_FILE = "p5_mnist_samples_100.pt"
# Bar of p5_mnist_samples_tests (MNIST classifier score of the 100 saved samples, one split, and the digit classes
# among them). PROVISIONAL: calibrated by benchmarks/calibrate_hw2_bar.py on the first 3 epochs of a 40-epoch
# capacity-32 reference run (19 of 20 draws clear it at steps 2574 and 2808; step 234 clears it in 0 of 20;
# docs/hw2_wgangp.md); a finished run would raise it, never lower it.
SCORE_BAR = 6.75
CLASSES_BAR = 9
FULL_CAPACITY = 32  # full mode's width for both P5 and P6 (docs/full_mode.md: fits the Colab hour; the seed's is 128)


def build() -> Notebook:
    nb = Notebook(HW)
    _intro(nb)
    _p1_proof(nb)
    _p1_conjugate(nb)
    _p1_objective(nb)
    _p2_proof(nb)
    _p2_conjugate(nb)
    _p2_objective(nb)
    _p3_proof(nb)
    _p3_costs(nb)
    _p4_proof(nb)
    _p4_linprog(nb)
    _p4_glue(nb)
    _p5_framework(nb)
    _p5_critic(nb)
    _p5_gradient_penalty(nb)
    _p5_gradient_penalty_tests(nb)
    _p5_losses(nb)
    _p5_optimizers(nb)
    _p5_steps(nb)
    _p5_steps_tests(nb)
    _p5_training(nb)
    _p5_report(nb)
    _p5_graded_samples(nb)
    _p6_networks(nb)
    _p6_network_tests(nb)
    _p6_schedule(nb)
    _p6_training(nb)
    _p6_report(nb)
    _closing(nb)
    nb.fill_point_totals()
    return nb


def _intro(nb: Notebook) -> None:
    """The title, what the homework covers, the course it is adapted from, how points and hidden tests work."""
    nb.md(r'''
        # Homework 2: f-GAN bounds, properties of $W_1$, and WGAN-GP with residual networks

        This homework is adapted from Homework 3 of **CSE 599i, *Generative Models***: its problems,
        formulas, architectures and hyper-parameters are kept, restated in our own words, and
        extended with auto-graded companions (sympy, POT and scipy checks, unit tests of the
        WGAN-GP pieces). Credit for the original problems goes to that course.

        **Points (100 in total).**

        | Part | Problem | Written (hand-graded) | Auto-graded | Total |
        |---|---|---|---|---|
        | Analysis | P1 KL as a variational supremum | 5 | 5 | 10 |
        | | P2 reverse KL | 5 | 5 | 10 |
        | | P3 $W_1(p, p_\sigma) \le \sigma\sqrt d$ | 5 | 5 | 10 |
        | | P4 triangle inequality of discrete $W_1$ | 4 | 6 | 10 |
        | Implementation | P5 WGAN-GP on MNIST | 4 | 34 | 38 |
        | | P6 WGAN-GP on CIFAR-10 | 8 | 14 | 22 |
        | | **total** | 31 | 69 | **100** |

        Analysis is 40% of the grade, implementation 60%.

        **How to work.** Fill in every code cell marked `# COMPLETE`, and replace the line *Write your
        answer here* of every written answer cell. Training cells only run outside
        grading; with `DGMLAB_FAST=1` they run a tiny version so you can check the whole
        notebook end to end in a minute or two. Real training (P5, P6) needs a GPU (Colab works).
        **Hand in** this notebook **and** `p5_mnist_samples_100.pt`, the samples P5's full training saves in the
        homework folder (they are graded, 2 points).

        **Points per check, and hidden tests.** Run the test cell below each answer cell: it runs a few visible
        checks, prints the points each one earns (with a hint when it fails) and shows the cell's points as its
        result. Hidden tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} auto-graded
        points; each test cell says how many of its own. Passing every visible check does not guarantee those.
        **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw2_wgangp.ipynb`
        in a terminal): it runs every visible check the way the autograder does and lists, per problem, the
        visible points earned, the points hidden tests decide, and written answers still empty.
        ''')
    nb.setup()
    nb.code('''
        import math
        import copy
        import warnings

        import numpy as np
        import sympy as sp
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import ot
        from scipy.optimize import linprog
        from tqdm.auto import tqdm

        import dgmlab
        import dgmlab.data
        from dgmlab import plots, runtime
        try:
            from dgmlab import metrics
        except ImportError:  # an older dgmlab without the metrics module
            metrics = None
        # float(loss) on a tensor that carries a graph is fine here; silence torch's reminder
        warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True")
        if runtime.is_fast():   # fast and grading mode: small tensors, where extra threads only contend on a busy CPU
            torch.set_num_threads(1)
        ''', locked=True, grade_id="imports")

    # ------------------------------------------------------------------ P1


def _p1_proof(nb: Notebook) -> None:
    """Part I (40 points), P1 (10 points): the KL divergence as a supremum; (a), written."""
    nb.md(r'''
        # Part I: Analysis (40 points)

        Throughout, for a convex $f:(0,\infty)\to\mathbb R$ with $f(1)=0$, the $f$-divergence is
        $D_f(p\,\|\,q) = \mathbb E_{x\sim q}\big[f\big(p(x)/q(x)\big)\big]$, and the convex conjugate
        is $f^*(t) = \sup_{u>0}\,\big(tu - f(u)\big)$. The result from lecture we rely on: for any
        such $f$,

        $$D_f(p\,\|\,q) \;=\; \sup_{T:\mathcal X\to\mathbb R}\; \mathbb E_{x\sim p}[T(x)] - \mathbb E_{x\sim q}\big[f^*(T(x))\big],$$

        and the supremum is reached at $T^*(x) = f'\big(p(x)/q(x)\big)$.

        ## P1 (10 points): the KL divergence as a supremum

        Maximum likelihood was hard for push-forward models because their likelihood is not
        available. An $f$-GAN side-steps this: it estimates a divergence through a critic that
        only needs samples. Here you show that the KL divergence (whose minimisation is maximum
        likelihood) has such a form:

        $$D(p\,\|\,q) \;=\; 1 + \sup_{d:\mathcal X\to(0,\infty)}\Big(\mathbb E_{x\sim p}\log d(x) - \mathbb E_{x\sim q}\, d(x)\Big).$$

        **Suggested route.** Take $f(u) = u\log u$, compute $f^*$, and substitute $T(x) = 1 + \log d(x)$.
        ''')
    nb.md(r'''
        ### P1(a) (5 points, written)
        Prove the identity above. State $f^*$, show where the constant $1$ comes from, and say
        which critic $d^*$ attains the supremum.
        ''')
    nb.written("p1_proof", points=5, model_answer=r'''
        With $f(u) = u\log u$, $D_f(p\|q) = \mathbb E_q[\tfrac pq\log\tfrac pq] = \int p\log\frac pq = D(p\|q)$.
        Conjugate: $g(u) = tu - u\log u$ is concave with $g'(u) = t - \log u - 1 = 0$ at $u = e^{t-1}$, so
        $f^*(t) = te^{t-1} - e^{t-1}(t-1) = e^{t-1}$.
        By the variational formula, $D(p\|q) = \sup_T \mathbb E_p[T] - \mathbb E_q[e^{T-1}]$.
        Every real function $T$ can be written $T = 1 + \log d$ with $d = e^{T-1} > 0$ (a bijection
        between real-valued $T$ and positive $d$), and then $e^{T-1} = d$, so
        $D(p\|q) = \sup_{d>0} \mathbb E_p[1 + \log d] - \mathbb E_q[d] = 1 + \sup_d \mathbb E_p\log d - \mathbb E_q d$.
        The optimum $T^* = f'(p/q) = 1 + \log(p/q)$ gives $d^* = p/q$; check: $1 + \mathbb E_p\log\frac pq - \mathbb E_q\frac pq = 1 + D(p\|q) - 1$.
        Grading: conjugate (2), change of variables incl. that it covers all $T$ (2), optimum (1).
        ''')


def _p1_conjugate(nb: Notebook) -> None:
    """P1(b): the conjugate, in sympy."""
    nb.md(r'''
        ### P1(b) (2 points, auto-graded): the conjugate, in sympy
        Set `f_star_kl` to $f^*(t)$ for $f(u) = u\log u$, as a sympy expression in the symbol `t`
        defined below (you may let sympy do the calculus: differentiate, solve, substitute).
        ''')
    nb.code('''
        t = sp.Symbol("t", real=True)        # argument of the conjugate for P1
        s = sp.Symbol("s", negative=True)    # argument of the conjugate for P2 (it is finite only for s < 0)
        u = sp.Symbol("u", positive=True)    # the density ratio p/q
        ''', locked=True, grade_id="symbols")
    nb.answer("p1_conjugate", '''
        # f_star_kl = a sympy expression in t
        ### BEGIN SOLUTION
        _crit = sp.solve(sp.diff(t * u - u * sp.log(u), u), u)[0]
        f_star_kl = sp.simplify((t * u - u * sp.log(u)).subs(u, _crit))
        ### END SOLUTION
        print("f_star_kl =", f_star_kl)
        ''', check_output=True)
    nb.tests("p1_conjugate_tests", points=2, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.25)
        def test_is_an_expression_in_t():
            checks.assert_sympy_expr(f_star_kl, "f_star_kl", symbols=[t])

        @points(0.5)
        def test_value_at_t_equal_to_one():
            value = sp.sympify(f_star_kl).subs(t, 1)
            assert not value.free_symbols, \\
                (f"expected a number at t = 1, found {value}: f_star_kl still contains "
                 f"{sorted(map(str, value.free_symbols))} (substitute the maximising u back into t*u - f(u))")
            got = complex(sp.N(value))
            hint = ""
            if abs(got - math.e) < 1e-9:
                hint = ": that is exp(t) at t = 1; d/du (u log u) = log u + 1, so the maximiser is u = exp(t - 1)"
            elif abs(got) < 1e-9:
                hint = ": that is f(1) = 1 log 1, the function itself rather than its conjugate sup_u (t u - f(u))"
            assert abs(got - 1) < 1e-9, \\
                f"expected f*(1) = sup_u (u - u log u) = 1 (reached at u = 1), found {got.real:.6g}{hint}"

        ### BEGIN HIDDEN TESTS
        @points(0.75)
        def test_equals_the_convex_conjugate():
            checks.assert_sympy_equal(f_star_kl, sp.exp(t - 1), "f_star_kl")

        @points(0.5)
        def test_turns_one_plus_log_d_into_d():
            d = sp.Symbol("d", positive=True)
            value = sp.simplify(f_star_kl.subs(t, 1 + sp.log(d)))
            assert checks.sympy_equivalent(value, d), "f_star_kl(1 + log d) should simplify to d, as the proof uses"
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1.25)
        ''')


def _p1_objective(nb: Notebook) -> None:
    """P1(c): the objective and its optimal critic."""
    nb.md(r'''
        ### P1(c) (3 points, auto-graded): the objective and its optimal critic
        Implement the quantity inside the supremum, estimated from samples, and the optimal
        critic $d^*$. We will check on two 1-D Gaussians that the estimate at $d^*$ matches the
        closed-form KL within Monte-Carlo error, and that other critics score lower.
        ''')
    nb.answer("p1_objective", '''
        def kl_objective(d, x_p, x_q):
            """Monte-Carlo estimate of 1 + E_p[log d(x)] - E_q[d(x)].

            d: callable, float64 tensor (N,) -> positive float64 tensor (N,).
            x_p: float64 tensor (N,), samples of p.  x_q: float64 tensor (M,), samples of q.
            Returns a 0-d float64 tensor.
            """
            ### BEGIN SOLUTION
            return 1.0 + torch.log(d(x_p)).mean() - d(x_q).mean()
            ### END SOLUTION


        def kl_optimal_critic(log_p, log_q):
            """The maximising critic d* of kl_objective.

            log_p, log_q: callables, float64 tensor (N,) -> log-densities, float64 tensor (N,).
            Returns a callable d_star: float64 tensor (N,) -> positive float64 tensor (N,).
            """
            ### BEGIN SOLUTION
            return lambda x: torch.exp(log_p(x) - log_q(x))
            ### END SOLUTION
        ''')
    nb.tests("p1_objective_tests", points=3, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.25)
        def test_constant_critic_gives_zero():
            x = torch.randn(100, dtype=torch.float64)
            value = kl_objective(lambda v: torch.ones_like(v), x, x)
            checks.assert_tensor(value, "kl_objective(...)", shape=())
            got = float(value)
            hint = ""
            if abs(got + 1) < 1e-9:
                hint = ": the constant 1 is missing"
            elif abs(got + 99) < 1e-6:
                hint = ": that is a sum over the 100 samples; the expectations are means"
            assert abs(got) < 1e-9, f"with d = 1 expected 1 + E_p[log 1] - E_q[1] = 0, found {got:.6g}{hint}"

        @points(0.5)
        def test_value_on_two_points():
            x_p = torch.tensor([0.0, 1.0], dtype=torch.float64)
            x_q = torch.tensor([0.0, 0.0], dtype=torch.float64)
            got = float(kl_objective(torch.exp, x_p, x_q))
            want = 1 + 0.5 - 1.0
            hint = ""
            if abs(got - (1 + 0.0 - (1 + math.e) / 2)) < 1e-9:
                hint = ": p and q are swapped (log d is averaged over the samples of p, d over those of q)"
            elif abs(got - (want - 1)) < 1e-9:
                hint = ": the constant 1 is missing"
            elif abs(got - (1 + 1.0 - 2.0)) < 1e-9:
                hint = ": that uses sums; the expectations are means"
            assert abs(got - want) < 1e-9, \\
                (f"for d = exp, x_p = [0, 1], x_q = [0, 0] expected 1 + mean(x_p) - mean(exp(x_q)) = {want:g}, "
                 f"found {got:.6g}{hint}")

        @points(0.25)
        def test_optimal_critic_is_one_when_p_equals_q():
            p = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
            out = kl_optimal_critic(p.log_prob, p.log_prob)(torch.linspace(-2, 2, 5, dtype=torch.float64))
            checks.assert_tensor(out, "d_star(x)", shape=(5,))
            hint = ": d* is the density ratio itself, not its log" if bool((out.abs() < 1e-9).all()) else ""
            assert bool(((out - 1).abs() < 1e-9).all()), \\
                f"when p = q the optimal critic is 1 everywhere; found {[round(float(v), 4) for v in out]}{hint}"

        ### BEGIN HIDDEN TESTS
        def _gaussians():
            f64 = dict(dtype=torch.float64)
            p = torch.distributions.Normal(torch.tensor(0.0, **f64), torch.tensor(1.0, **f64))
            q = torch.distributions.Normal(torch.tensor(0.5, **f64), torch.tensor(1.2, **f64))
            return p, q

        def _kl_closed_form(p, q):
            return float(torch.distributions.kl_divergence(p, q))

        @points(1.25)
        def test_objective_at_optimum_matches_closed_form_kl():
            p, q = _gaussians()
            x_p, x_q = p.sample((100_000,)), q.sample((100_000,))
            d_star = kl_optimal_critic(p.log_prob, q.log_prob)
            value = float(kl_objective(d_star, x_p, x_q))
            se = math.sqrt(float(torch.log(d_star(x_p)).var()) / len(x_p) + float(d_star(x_q).var()) / len(x_q))
            assert math.isfinite(value), "the objective at d* is not finite"
            assert abs(value - _kl_closed_form(p, q)) < 5 * se + 1e-3, \\
                "at d* the objective does not match D(p||q) of two Gaussians within Monte-Carlo error"

        @points(0.75)
        def test_other_critics_score_lower():
            p, q = _gaussians()
            x_p, x_q = p.sample((100_000,)), q.sample((100_000,))
            d_star = kl_optimal_critic(p.log_prob, q.log_prob)
            best = float(kl_objective(d_star, x_p, x_q))
            others = [lambda x: 1.5 * d_star(x), lambda x: 0.6 * d_star(x),
                      lambda x: d_star(x) * torch.exp(0.3 * x), lambda x: torch.ones_like(x)]
            for k, d in enumerate(others):
                assert float(kl_objective(d, x_p, x_q)) < best, \\
                    f"a perturbed critic (number {k}) scores at least as high as d*: check the objective and d*"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')

    # ------------------------------------------------------------------ P2


def _p2_proof(nb: Notebook) -> None:
    """P2 (10 points): the reverse KL divergence; (a), written."""
    nb.md(r'''
        ## P2 (10 points): the reverse KL divergence

        The same machinery gives the *reverse* divergence, with a critic that takes negative values:

        $$D(q\,\|\,p) \;=\; 1 + \sup_{d:\mathcal X\to(-\infty,0)}\Big(\mathbb E_{x\sim p}\, d(x) + \mathbb E_{x\sim q}\log\big(-d(x)\big)\Big).$$

        **Suggested route.** Take $f(u) = -\log u$ (check that $D_f(p\|q)$ is then $D(q\|p)$).

        ### P2(a) (5 points, written)
        Prove the identity. State $f^*$ and its domain, and the optimal critic $d^*$.
        ''')
    nb.written("p2_proof", points=5, model_answer=r'''
        With $f(u) = -\log u$: $D_f(p\|q) = \mathbb E_q[-\log\frac pq] = \int q\log\frac qp = D(q\|p)$.
        Conjugate: $g(u) = tu + \log u$ has $g'(u) = t + 1/u$. For $t \ge 0$, $g$ is unbounded ($f^* = +\infty$),
        so only $t<0$ matters; there $u = -1/t$ and $f^*(t) = -1 + \log(-1/t) = -1 - \log(-t)$.
        Variational formula: $D(q\|p) = \sup_{T<0} \mathbb E_p[T] - \mathbb E_q[-1 - \log(-T)] = 1 + \sup_{d<0}\mathbb E_p d + \mathbb E_q\log(-d)$
        with $d = T$ (critics taking values $\ge 0$ somewhere on a set of positive $q$-mass give $-\infty$, so restricting to $d<0$ loses nothing).
        Optimum $T^* = f'(p/q) = -q/p$, i.e. $d^* = -q/p$; check: $1 - \mathbb E_p\frac qp + \mathbb E_q\log\frac qp = 1 - 1 + D(q\|p)$.
        Grading: conjugate with its domain (2), substitution (2), optimum (1).
        ''')


def _p2_conjugate(nb: Notebook) -> None:
    """P2(b): the conjugate, in sympy."""
    nb.md(r'''
        ### P2(b) (2 points, auto-graded): the conjugate, in sympy
        Set `f_star_rkl` to $f^*(s)$ for $f(u) = -\log u$, as a sympy expression in the symbol `s`
        (declared negative above, the only place where $f^*$ is finite).
        ''')
    nb.answer("p2_conjugate", '''
        # f_star_rkl = a sympy expression in s
        ### BEGIN SOLUTION
        f_star_rkl = -1 - sp.log(-s)
        ### END SOLUTION
        print("f_star_rkl =", f_star_rkl)
        ''', check_output=True)
    nb.tests("p2_conjugate_tests", points=2, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.25)
        def test_is_an_expression_in_s():
            checks.assert_sympy_expr(f_star_rkl, "f_star_rkl", symbols=[s])

        @points(0.5)
        def test_value_at_s_equal_to_minus_one_half():
            value = sp.sympify(f_star_rkl).subs(s, sp.Rational(-1, 2))
            assert not value.free_symbols, \\
                (f"expected a number at s = -1/2, found {value}: f_star_rkl still contains "
                 f"{sorted(map(str, value.free_symbols))} (substitute the maximising u back into s*u - f(u))")
            got = complex(sp.N(value))
            want = math.log(2) - 1
            hint = ""
            if abs(got.imag) > 1e-9:
                hint = ": a complex number, the log of a negative number; s < 0, so the maximiser u = -1/s needs log(-s)"
            elif abs(got.real - (-1 - math.log(2))) < 1e-9:
                hint = ": the sign of the log is flipped; at u = -1/s, log u = -log(-s)"
            elif abs(got.real - math.log(2)) < 1e-9:
                hint = ": the constant is missing (s*u = -1 at the maximiser u = -1/s)"
            found = f"{got.real:.6g}" if abs(got.imag) < 1e-12 else f"{got.real:.6g}{got.imag:+.6g}i"
            assert abs(got - want) < 1e-9, \\
                (f"expected f*(-1/2) = sup_u (-u/2 + log u) = log 2 - 1 = {want:.6f} (at u = 2), "
                 f"found {found}{hint}")

        ### BEGIN HIDDEN TESTS
        @points(0.75)
        def test_equals_the_convex_conjugate():
            checks.assert_sympy_equal(f_star_rkl, -1 - sp.log(-s), "f_star_rkl")

        @points(0.5)
        def test_is_the_supremum_of_s_u_minus_f():
            # the conjugate must dominate s*u - f(u) for every u > 0, with equality somewhere
            for s0 in (-0.3, -1.0, -4.0):
                value = complex(sp.N(f_star_rkl.subs(s, s0)))
                assert abs(value.imag) < 1e-12, "f_star_rkl(s) is not real for s < 0"
                gaps = [value.real - (s0 * u0 + math.log(u0)) for u0 in np.geomspace(0.01, 20, 3000)]
                assert min(gaps) > -1e-9, "f_star_rkl(s) is below s*u - f(u) for some u: it is not the supremum"
                assert min(gaps) < 1e-3, "f_star_rkl(s) is strictly above every s*u - f(u): it is not the supremum"
        ### END HIDDEN TESTS

        run_tests(points=2, hidden=1.25)
        ''')


def _p2_objective(nb: Notebook) -> None:
    """P2(c): the objective and its optimal critic."""
    nb.md(r'''
        ### P2(c) (3 points, auto-graded): the objective and its optimal critic
        Same as P1(c), for the reverse divergence. Remember the critic is negative.
        ''')
    nb.answer("p2_objective", '''
        def rkl_objective(d, x_p, x_q):
            """Monte-Carlo estimate of 1 + E_p[d(x)] + E_q[log(-d(x))].

            d: callable, float64 tensor (N,) -> negative float64 tensor (N,).
            x_p: float64 tensor (N,), samples of p.  x_q: float64 tensor (M,), samples of q.
            Returns a 0-d float64 tensor.
            """
            ### BEGIN SOLUTION
            return 1.0 + d(x_p).mean() + torch.log(-d(x_q)).mean()
            ### END SOLUTION


        def rkl_optimal_critic(log_p, log_q):
            """The maximising critic d* of rkl_objective.

            log_p, log_q: callables, float64 tensor (N,) -> log-densities, float64 tensor (N,).
            Returns a callable d_star: float64 tensor (N,) -> negative float64 tensor (N,).
            """
            ### BEGIN SOLUTION
            return lambda x: -torch.exp(log_q(x) - log_p(x))
            ### END SOLUTION
        ''')
    nb.tests("p2_objective_tests", points=3, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.25)
        def test_constant_critic_gives_zero():
            x = torch.randn(100, dtype=torch.float64)
            value = rkl_objective(lambda v: -torch.ones_like(v), x, x)
            checks.assert_tensor(value, "rkl_objective(...)", shape=())
            got = float(value)
            hint = ""
            if math.isnan(got):
                hint = ": log of a negative critic; the objective takes log(-d)"
            elif abs(got + 1) < 1e-9:
                hint = ": the constant 1 is missing"
            elif abs(got + 99) < 1e-6:
                hint = ": that is a sum over the 100 samples; the expectations are means"
            assert abs(got) < 1e-9, f"with d = -1 expected 1 + E_p[-1] + E_q[log 1] = 0, found {got:.6g}{hint}"

        @points(0.5)
        def test_value_on_two_points():
            x_p = torch.tensor([0.0, 1.0], dtype=torch.float64)
            x_q = torch.tensor([0.0, 2.0], dtype=torch.float64)
            got = float(rkl_objective(lambda v: -torch.exp(v), x_p, x_q))
            want = 1 - (1 + math.e) / 2 + 1.0
            hint = ""
            if math.isnan(got):
                hint = ": log of a negative critic; the objective takes log(-d)"
            elif abs(got - (1 - (1 + math.exp(2)) / 2 + 0.5)) < 1e-9:
                hint = ": p and q are swapped (d is averaged over the samples of p, log(-d) over those of q)"
            elif abs(got - (want - 1)) < 1e-9:
                hint = ": the constant 1 is missing"
            assert abs(got - want) < 1e-9, \\
                (f"for d = -exp, x_p = [0, 1], x_q = [0, 2] expected 1 - mean(exp(x_p)) + mean(x_q) = {want:.6f}, "
                 f"found {got:.6g}{hint}")

        @points(0.25)
        def test_optimal_critic_is_minus_one_when_p_equals_q():
            p = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
            out = rkl_optimal_critic(p.log_prob, p.log_prob)(torch.linspace(-2, 2, 5, dtype=torch.float64))
            checks.assert_tensor(out, "d_star(x)", shape=(5,))
            hint = ": the reverse-KL critic is negative everywhere" if bool((out > 0).all()) else ""
            assert bool(((out + 1).abs() < 1e-9).all()), \\
                f"when p = q the optimal critic is -1 everywhere; found {[round(float(v), 4) for v in out]}{hint}"

        ### BEGIN HIDDEN TESTS
        def _gaussians():
            f64 = dict(dtype=torch.float64)
            p = torch.distributions.Normal(torch.tensor(0.0, **f64), torch.tensor(1.0, **f64))
            q = torch.distributions.Normal(torch.tensor(0.5, **f64), torch.tensor(1.2, **f64))
            return p, q

        @points(1.25)
        def test_objective_at_optimum_matches_closed_form_reverse_kl():
            p, q = _gaussians()
            x_p, x_q = p.sample((100_000,)), q.sample((100_000,))
            d_star = rkl_optimal_critic(p.log_prob, q.log_prob)
            value = float(rkl_objective(d_star, x_p, x_q))
            se = math.sqrt(float(d_star(x_p).var()) / len(x_p) + float(torch.log(-d_star(x_q)).var()) / len(x_q))
            assert math.isfinite(value), "the objective at d* is not finite"
            target = float(torch.distributions.kl_divergence(q, p))
            assert abs(value - target) < 5 * se + 1e-3, \\
                "at d* the objective does not match D(q||p) of two Gaussians within Monte-Carlo error"

        @points(0.75)
        def test_other_critics_score_lower():
            p, q = _gaussians()
            x_p, x_q = p.sample((100_000,)), q.sample((100_000,))
            d_star = rkl_optimal_critic(p.log_prob, q.log_prob)
            best = float(rkl_objective(d_star, x_p, x_q))
            others = [lambda x: 1.5 * d_star(x), lambda x: 0.6 * d_star(x),
                      lambda x: d_star(x) * torch.exp(0.3 * x), lambda x: -torch.ones_like(x)]
            for k, d in enumerate(others):
                assert float(rkl_objective(d, x_p, x_q)) < best, \\
                    f"a perturbed critic (number {k}) scores at least as high as d*: check the objective and d*"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')

    # ------------------------------------------------------------------ P3


def _p3_proof(nb: Notebook) -> None:
    """P3 (10 points): smoothing moves a distribution by at most sigma sqrt(d); (a), written."""
    nb.md(r'''
        ## P3 (10 points): smoothing moves a distribution by at most $\sigma\sqrt d$

        Let $p$ be a density on $\mathbb R^d$ and $p_\sigma$ the density of $y = x + \varepsilon$ with
        $x\sim p$ and, independently, $\varepsilon\sim\mathcal N(0,\sigma^2 I_d)$. With
        $W_1(p,q) = \inf_{\pi\in\Pi(p,q)}\mathbb E_{(x,y)\sim\pi}\|x-y\|_2$ over all couplings
        $\pi$ of $p$ and $q$:

        ### P3(a) (5 points, written)
        Show that $W_1(p, p_\sigma) \le \sigma\sqrt d$. Then explain in two or three sentences why the
        experiment in P3(b) compares the points $x_i$ with the *same* points moved, $x_i+\varepsilon_i$,
        instead of with an independent sample of $p_\sigma$.
        ''')
    nb.written("p3_proof", points=5, model_answer=r'''
        The joint law of $(x, x+\varepsilon)$ is a coupling of $p$ and $p_\sigma$ (first marginal $p$; second the law of
        $x+\varepsilon$, i.e. $p_\sigma$). So $W_1 \le \mathbb E\|x - (x+\varepsilon)\| = \mathbb E\|\varepsilon\|$.
        By Jensen (or Cauchy-Schwarz), $\mathbb E\|\varepsilon\| \le \sqrt{\mathbb E\|\varepsilon\|^2} = \sqrt{d\sigma^2} = \sigma\sqrt d$.
        (The inequality is strict: $\mathbb E\|\varepsilon\| = \sigma\sqrt2\,\Gamma(\frac{d+1}2)/\Gamma(\frac d2)$, and the
        ratio $\mathbb E\|\varepsilon\|/(\sigma\sqrt d)$ rises towards 1 as $d$ grows.)
        Pairing: the empirical OT cost between two *independent* samples of size $n$ is biased upwards by the sampling
        distance between empirical measures. For laws with enough moments that distance decays like $n^{-1/2}$ when
        $d = 1$, at most like $n^{-1/2}\log n$ when $d = 2$ (for the uniform law on a square its exact order is
        $\sqrt{\log n / n}$), and like $n^{-1/d}$ when $d \ge 3$ (Fournier and Guillin, 2015). That bias would swamp
        the quantity of interest (even $W_1(\hat p_n, \hat p'_n) > 0$ for two samples of the same $p$). With paired points the identity coupling is
        feasible for the two empirical measures, so the exact EMD is a true lower bound on its cost, as in the proof.
        Grading: coupling (2), Jensen (2), pairing argument (1).
        ''')


def _p3_costs(nb: Notebook) -> None:
    """P3(b): exact transport versus the identity coupling, and the plot over d."""
    nb.md(r'''
        ### P3(b) (5 points, auto-graded): exact transport versus the identity coupling
        Given $n$ points $x_i$ (rows of `x`) and noise vectors $\varepsilon_i$ (rows of `eps`), put
        $y_i = x_i + \varepsilon_i$ and return two numbers:

        * the **exact** optimal-transport cost (EMD) between the uniform empirical measures on
          $\{x_i\}$ and $\{y_i\}$ with Euclidean ground cost $\|x_i - y_j\|_2$, computed with POT
          (`ot.dist`, `ot.emd2`; mind which metric `ot.dist` uses by default), and
        * the cost of the identity coupling $x_i \leftrightarrow y_i$, $\frac1n\sum_i\|\varepsilon_i\|_2$.

        The checks verify EMD $\le$ identity cost, and that the identity cost behaves as the
        proof says: below $\sigma\sqrt d$, by the amount Jensen's inequality predicts.
        ''')
    nb.answer("p3_costs", '''
        def smoothing_costs(x, eps):
            """Exact EMD and identity-coupling cost between {x_i} and {x_i + eps_i}.

            x, eps: float64 numpy arrays (n, d).
            Returns (emd, identity_cost): two Python floats.
            """
            ### BEGIN SOLUTION
            y = x + eps
            n = x.shape[0]
            w = np.full(n, 1.0 / n)
            emd = ot.emd2(w, w, ot.dist(x, y, metric="euclidean"))
            identity_cost = np.linalg.norm(eps, axis=1).mean()
            return float(emd), float(identity_cost)
            ### END SOLUTION
        ''')
    nb.tests("p3_costs_tests", points=5, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        def _two_points():
            # x_1 = (0, 0) moves by (3, 4), x_2 = (3, 0) moves by (-3, 0): y = {(3, 4), (0, 0)}
            x = np.array([[0.0, 0.0], [3.0, 0.0]])
            return x, np.array([[3.0, 4.0], [-3.0, 0.0]])

        @points(0.5)
        def test_returns_two_floats_and_zero_without_noise():
            x = np.random.default_rng(0).normal(size=(20, 2))
            out = smoothing_costs(x, np.zeros_like(x))
            assert isinstance(out, tuple) and len(out) == 2, \\
                f"expected a tuple (emd, identity_cost), found {type(out).__name__} {out!r:.80}"
            assert all(isinstance(v, float) for v in out), \\
                f"expected two Python floats, found {[type(v).__name__ for v in out]} (wrap them with float(...))"
            checks.assert_close(np.array(out), np.zeros(2), atol=1e-6, name="costs with eps = 0", reveal=True)

        @points(0.5)
        def test_emd_on_two_points():
            emd, ident = smoothing_costs(*_two_points())
            hint = ""
            if abs(emd - 8.0) < 1e-6:
                hint = (": that is the squared Euclidean cost, ot.dist's default metric; "
                        "pass metric='euclidean'")
            elif abs(emd - 4.0) < 1e-6:
                hint = ": that is the identity-coupling cost; return (emd, identity_cost) in this order"
            assert abs(emd - 2.0) < 1e-6, \\
                (f"expected an EMD of 2 (send x_1 to y_2 at cost 0 and x_2 to y_1 at cost 4, each with mass 1/2), "
                 f"found {emd:.6g}{hint}")

        @points(0.5)
        def test_identity_cost_on_two_points():
            emd, ident = smoothing_costs(*_two_points())
            hint = ""
            if abs(ident - math.sqrt(17.0)) < 1e-6:
                hint = ": that is the root-mean-square length; the identity coupling costs the mean length"
            elif abs(ident - 8.0) < 1e-6:
                hint = ": that is the sum of the lengths; the empirical measures put mass 1/n on each point"
            elif abs(ident - 2.0) < 1e-6:
                hint = ": that is the EMD; return (emd, identity_cost) in this order"
            assert abs(ident - 4.0) < 1e-6, \\
                f"expected an identity-coupling cost of (||(3, 4)|| + ||(-3, 0)||) / 2 = 4, found {ident:.6g}{hint}"

        ### BEGIN HIDDEN TESTS
        def _p_sample(rng, n, d):
            # a lumpy, non-Gaussian p: a two-component mixture with a uniform factor
            centres = np.where(rng.random((n, 1)) < 0.3, -2.0, 1.5)
            return centres + rng.uniform(-0.5, 0.5, size=(n, d))

        @points(1.5)
        def test_emd_is_exact_and_below_identity_cost():
            rng = np.random.default_rng(1)
            sigma = 0.7
            for d in range(1, 6):
                x = _p_sample(rng, 150, d)
                eps = sigma * rng.normal(size=(150, d))
                emd, ident = smoothing_costs(x, eps)
                w = np.full(150, 1 / 150)
                cost = np.linalg.norm(x[:, None, :] - (x + eps)[None, :, :], axis=-1)
                assert abs(emd - checks.discrete_w1(w, w, cost)) < 1e-6, \\
                    f"d={d}: the EMD is not the exact optimal transport cost with Euclidean ground cost"
                assert emd <= np.linalg.norm(eps, axis=1).mean() + 1e-9, f"d={d}: the EMD exceeds the cost of a feasible coupling"

        @points(0.75)
        def test_identity_cost_is_the_mean_length_of_the_moves():
            rng = np.random.default_rng(1)
            for d in range(1, 6):
                x = _p_sample(rng, 150, d)
                eps = 0.7 * rng.normal(size=(150, d))
                _, ident = smoothing_costs(x, eps)
                assert abs(ident - np.linalg.norm(eps, axis=1).mean()) < 1e-9, \\
                    f"d={d}: the identity-coupling cost is not the mean Euclidean length of the moves"

        @points(1.25)
        def test_identity_cost_obeys_jensen():
            rng = np.random.default_rng(2)
            sigma = 1.3
            for d in range(1, 6):
                x = _p_sample(rng, 300, d)
                eps = sigma * rng.normal(size=(300, d))
                _, ident = smoothing_costs(x, eps)
                mean_norm = sigma * math.sqrt(2) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2))
                spread = sigma * math.sqrt(d - (mean_norm / sigma) ** 2) / math.sqrt(300)
                assert ident < sigma * math.sqrt(d) + 3 * spread, f"d={d}: the identity cost is above sigma*sqrt(d)"
                assert abs(ident - mean_norm) < 4 * spread, \\
                    f"d={d}: the identity cost is not close to E||eps||, which sits below sigma*sqrt(d) by Jensen's gap"
        ### END HIDDEN TESTS

        run_tests(points=5, hidden=3.5)
        ''')
    nb.md(r'''
        The cell below runs your function for $d = 1,\dots,5$ on a lumpy two-cluster $p$ and plots
        the EMD, the identity cost and the bound. Expect EMD $<$ identity cost $< \sigma\sqrt d$,
        with the ratio identity$/(\sigma\sqrt d)$ rising towards 1 as $d$ grows.
        ''')
    nb.code('''
        if not runtime.is_grading():
            import matplotlib.pyplot as plt
            rng = np.random.default_rng(0)
            sigma, n = 1.0, runtime.pick(full=1000, fast=200)
            rows = []
            for d in range(1, 6):
                x = np.where(rng.random((n, 1)) < 0.3, -2.0, 1.5) + rng.uniform(-0.5, 0.5, size=(n, d))
                emd, ident = smoothing_costs(x, sigma * rng.normal(size=(n, d)))
                rows.append((d, emd, ident, sigma * math.sqrt(d)))
                print(f"d={d}: EMD={emd:.3f}  identity={ident:.3f}  sigma*sqrt(d)={sigma * math.sqrt(d):.3f}")
            rows = np.array(rows)
            fig, ax = plt.subplots(figsize=(5, 3.2))
            for k, label in [(1, "exact EMD"), (2, "identity coupling"), (3, r"$\\sigma\\sqrt{d}$")]:
                ax.plot(rows[:, 0], rows[:, k], marker="o", label=label)
            ax.set_xticks(range(1, 6)); ax.set_xlabel("dimension d"); ax.set_ylabel("transport cost"); ax.legend(); ax.grid(alpha=0.3)
            fig.tight_layout()
            import os; os.makedirs("figures", exist_ok=True)
            fig.savefig("figures/p3_smoothing.png", dpi=100)
        ''', locked=True, grade_id="p3_demo", uses_answers=True)

    # ------------------------------------------------------------------ P4


def _p4_proof(nb: Notebook) -> None:
    """P4 (10 points): the discrete W1 is a metric; (a), written."""
    nb.md(r'''
        ## P4 (10 points): the discrete $W_1$ is a metric (triangle inequality)

        On a finite space $\{1,\dots,n\}$ with a cost *metric* $c$ (an $n\times n$ matrix), the
        Wasserstein distance between histograms $p, q$ is
        $W_1(p,q) = \min_{\pi\in\Pi(p,q)} \langle c,\pi\rangle$, where $\Pi(p,q)$ is the set of
        non-negative $n\times n$ matrices with row sums $p$ and column sums $q$.

        ### P4(a) (4 points, written)
        Prove $W_1(p,q)\le W_1(p,r) + W_1(r,q)$. Hint: glue optimal plans
        $\pi_p\in\Pi(p,r)$ and $\pi_q\in\Pi(r,q)$ into
        $\kappa = \pi_p\,\mathrm{diag}(1/r)\,\pi_q$; show $\kappa\in\Pi(p,q)$ and
        $\langle\kappa, c\rangle \le W_1(p,r)+W_1(r,q)$ using $c(x,y)\le c(x,z)+c(z,y)$.
        Say what to do where $r_z = 0$.
        ''')
    nb.written("p4_proof", points=4, model_answer=r'''
        Let $Z = \{z: r_z > 0\}$ and $\kappa_{xy} = \sum_{z\in Z} \pi_p(x,z)\pi_q(z,y)/r_z$ (terms with $r_z = 0$ are
        dropped: then $\pi_p(\cdot,z) = 0$ and $\pi_q(z,\cdot) = 0$ because their column/row sums are $r_z = 0$).
        $\kappa \ge 0$. Row sums: $\sum_y\kappa_{xy} = \sum_{z\in Z}\pi_p(x,z)\,r_z/r_z = \sum_z\pi_p(x,z) = p_x$;
        column sums likewise $= q_y$. So $\kappa\in\Pi(p,q)$ and $W_1(p,q)\le\langle\kappa,c\rangle$.
        Then $\langle\kappa,c\rangle = \sum_{x,y,z}\frac{\pi_p(x,z)\pi_q(z,y)}{r_z}c(x,y)
        \le \sum_{x,y,z}\frac{\pi_p(x,z)\pi_q(z,y)}{r_z}\big(c(x,z)+c(z,y)\big)
        = \sum_{x,z}\pi_p(x,z)c(x,z) + \sum_{z,y}\pi_q(z,y)c(z,y) = W_1(p,r)+W_1(r,q)$.
        Grading: valid coupling incl. zeros of $r$ (2), the chain of inequalities (2).
        ''')


def _p4_linprog(nb: Notebook) -> None:
    """P4(b): W1 as a linear program."""
    nb.md(r'''
        ### P4(b) (3 points, auto-graded): $W_1$ as a linear program
        Write $W_1(p,q)$ as a linear program over the $n^2$ entries of $\pi$ and solve it with
        `scipy.optimize.linprog(..., method="highs")`. Build the equality constraints for the
        row sums and the column sums yourself (mind how `reshape` orders the entries). Return the
        optimal value and the optimal plan as an $n\times n$ array.
        ''')
    nb.answer("p4_linprog", '''
        def w1_linprog(p, q, C):
            """Discrete W1 by linear programming.

            p, q: float64 numpy arrays (n,), non-negative, each summing to 1.
            C: float64 numpy array (n, n), the ground cost c(i, j).
            Returns (value, plan): a Python float and a float64 array (n, n) with row sums p, column sums q.
            """
            ### BEGIN SOLUTION
            n = len(p)
            rows = np.kron(np.eye(n), np.ones((1, n)))   # sum_j pi[i, j] = p[i]   (row-major flattening)
            cols = np.kron(np.ones((1, n)), np.eye(n))   # sum_i pi[i, j] = q[j]
            res = linprog(C.reshape(-1), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([p, q]),
                          bounds=(0, None), method="highs")
            return float(res.fun), res.x.reshape(n, n)
            ### END SOLUTION
        ''')
    nb.code('''
        def random_metric_problem(rng, n, zeros_in_r=0):
            """A random metric cost (distances between points in the plane) and three histograms p, q, r."""
            pts = rng.normal(size=(n, 2))
            C = np.linalg.norm(pts[:, None] - pts[None, :], axis=-1)
            p, q, r = (rng.random(n) + 0.05 for _ in range(3))
            r[:zeros_in_r] = 0.0
            return C, p / p.sum(), q / q.sum(), r / r.sum()
        ''', locked=True, grade_id="p4_helpers")
    nb.tests("p4_linprog_tests", points=3, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.25)
        def test_distance_to_itself_is_zero():
            C, p, q, r = random_metric_problem(np.random.default_rng(0), 4)
            value, plan = w1_linprog(p, p, C)
            assert isinstance(value, float), f"expected the value as a Python float, found {type(value).__name__}"
            assert np.asarray(plan).shape == (4, 4), f"expected a 4 x 4 plan, found shape {np.asarray(plan).shape}"
            checks.assert_close(value, 0.0, atol=1e-8, name="W1(p, p)", reveal=True)

        @points(0.75)
        def test_moving_all_mass_from_the_first_point_to_the_second():
            # p = delta_1, q = delta_2 and an asymmetric cost: the only plan sends mass 1 from 1 to 2, at cost C[0, 1] = 1
            p, q = np.array([1.0, 0.0]), np.array([0.0, 1.0])
            C = np.array([[0.0, 1.0], [3.0, 0.0]])
            value, plan = w1_linprog(p, q, C)
            hint = ""
            if abs(value) < 1e-8:
                hint = (": 0 means some marginal is not enforced (both the row sums p and the column sums q must be "
                        "equality constraints: A_eq, b_eq)")
            elif abs(value - 3.0) < 1e-8:
                hint = (": 3 is the cost of the transposed plan; rows of the plan must sum to p and columns to q "
                        "(check the kron order against how reshape flattens the plan)")
            assert abs(value - 1.0) < 1e-8, f"expected W1 = C[0, 1] = 1, found {value:.6g}{hint}"
            assert np.asarray(plan).shape == (2, 2), f"expected a 2 x 2 plan, found shape {np.asarray(plan).shape}"
            got = np.round(np.asarray(plan, dtype=float), 6).tolist()
            assert np.allclose(np.asarray(plan, dtype=float), [[0.0, 1.0], [0.0, 0.0]], atol=1e-8), \\
                f"expected the plan [[0, 1], [0, 0]] (row i sends mass to column j), found {got}"

        ### BEGIN HIDDEN TESTS
        @points(1.25)
        def test_matches_pot_and_returns_a_valid_plan():
            rng = np.random.default_rng(3)
            for n in (3, 5, 8):
                C, p, q, r = random_metric_problem(rng, n)
                value, plan = w1_linprog(p, q, C)
                assert abs(value - checks.discrete_w1(p, q, C)) < 1e-7, \\
                    f"n={n}: the LP value is not the optimal transport cost (check the marginal constraints)"
                checks.assert_coupling(np.asarray(plan), p, q, atol=1e-7, name="the returned plan")
                assert abs(float(np.sum(np.asarray(plan) * C)) - value) < 1e-7, "the plan's cost is not the value"

        @points(0.75)
        def test_asymmetric_cost_orientation():
            # with an asymmetric cost, swapping the roles of p and q changes the answer
            rng = np.random.default_rng(4)
            n = 5
            C = rng.random((n, n)); np.fill_diagonal(C, 0.0)
            p = rng.random(n); p /= p.sum(); q = rng.random(n); q /= q.sum()
            value, plan = w1_linprog(p, q, C)
            assert abs(value - checks.discrete_w1(p, q, C)) < 1e-7, \\
                "with a non-symmetric cost the LP value is wrong: are rows tied to p and columns to q?"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')


def _p4_glue(nb: Notebook) -> None:
    """P4(c): the glued coupling."""
    nb.md(r'''
        ### P4(c) (3 points, auto-graded): the glued coupling
        Implement $\kappa = \pi_p\,\mathrm{diag}(1/r)\,\pi_q$, treating $1/r_z$ as $0$ where $r_z = 0$
        (no NaN may appear). The checks glue optimal plans on random metric costs, some with zeros
        in $r$, and verify that $\kappa$ is a coupling of $(p, q)$ and that
        $W_1(p,q)\le\langle\kappa,c\rangle\le W_1(p,r)+W_1(r,q)$.
        ''')
    nb.answer("p4_glue", '''
        def glue_couplings(pi_p, pi_q, r):
            """kappa = pi_p diag(1/r) pi_q, with 1/0 read as 0.

            pi_p: float64 array (n, n), a coupling of (p, r).  pi_q: float64 array (n, n), a coupling of (r, q).
            r: float64 array (n,), the middle histogram (may contain zeros).
            Returns kappa: float64 array (n, n), a coupling of (p, q).
            """
            ### BEGIN SOLUTION
            inv = np.zeros_like(r)
            inv[r > 0] = 1.0 / r[r > 0]
            return pi_p @ np.diag(inv) @ pi_q
            ### END SOLUTION
        ''')
    nb.tests("p4_glue_tests", points=3, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.5)
        def test_diagonal_plans_glue_to_a_diagonal_plan():
            r = np.array([0.5, 0.5])
            kappa = np.asarray(glue_couplings(np.diag(r), np.diag(r), r), dtype=np.float64)
            hint = ""
            if np.allclose(kappa, np.diag(r ** 2)):
                hint = ": that is pi_p pi_q without the diag(1/r) in between"
            elif np.allclose(kappa, np.diag(r ** 3)):
                hint = ": that is pi_p diag(r) pi_q; the middle factor is diag(1/r)"
            assert np.allclose(kappa, np.diag(r), atol=1e-12), \\
                f"gluing diag(r) with itself should give diag(r) = {np.diag(r).tolist()}, found {kappa.tolist()}{hint}"

        @points(0.5)
        def test_a_zero_in_r_gives_no_nan():
            r = np.array([0.6, 0.4, 0.0])
            kappa = np.asarray(glue_couplings(np.diag(r), np.diag(r), r), dtype=np.float64)
            assert np.all(np.isfinite(kappa)), \\
                (f"expected a finite kappa when r has a zero, found {kappa.tolist()}: read 1/r_z as 0 where r_z = 0 "
                 f"(those rows and columns of the plans are zero anyway)")
            assert np.allclose(kappa, np.diag(r), atol=1e-12), \\
                f"gluing diag(r) with itself should give diag(r) = {np.diag(r).tolist()}, found {kappa.tolist()}"

        ### BEGIN HIDDEN TESTS
        def _glued(rng, n, zeros):
            C, p, q, r = random_metric_problem(rng, n, zeros_in_r=zeros)
            kappa = np.asarray(glue_couplings(ot.emd(p, r, C), ot.emd(r, q, C), r), dtype=np.float64)
            assert np.all(np.isfinite(kappa)), f"n={n}: kappa has NaN or inf (zeros in r: {zeros})"
            return C, p, q, r, kappa

        @points(1)
        def test_valid_coupling_of_optimal_plans():
            rng = np.random.default_rng(5)
            for n in (4, 7):
                C, p, q, r, kappa = _glued(rng, n, 0)
                checks.assert_coupling(kappa, p, q, atol=1e-9, name="kappa")

        @points(0.5)
        def test_valid_coupling_with_zeros_in_r():
            rng = np.random.default_rng(6)
            for n, zeros in [(6, 1), (9, 3)]:
                C, p, q, r, kappa = _glued(rng, n, zeros)
                checks.assert_coupling(kappa, p, q, atol=1e-9, name=f"kappa with {zeros} zeros in r")

        @points(0.5)
        def test_cost_between_the_two_bounds():
            rng = np.random.default_rng(7)
            for n, zeros in [(4, 0), (6, 1), (9, 3)]:
                C, p, q, r, kappa = _glued(rng, n, zeros)
                cost = float(np.sum(kappa * C))
                assert cost <= checks.discrete_w1(p, r, C) + checks.discrete_w1(r, q, C) + 1e-9, \\
                    f"n={n}: <kappa, c> exceeds W1(p, r) + W1(r, q)"
                assert cost >= checks.discrete_w1(p, q, C) - 1e-9, f"n={n}: <kappa, c> is below W1(p, q)"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')

    # ------------------------------------------------------------------ P5


def _p5_framework(nb: Notebook) -> None:
    """Part II (60 points), P5 (38 points): WGAN-GP with residual networks on MNIST; the framework."""
    nb.md(r'''
        # Part II: Implementation (60 points)

        ## P5 (38 points): WGAN-GP with residual networks on MNIST

        A Wasserstein GAN trains a critic $D$ to approximate
        $W_1(p_{\text{data}}, p_G) = \sup_{\|D\|_L\le1}\mathbb E_{\text{data}}D(x) - \mathbb E_{z}D(G(z))$
        and the generator $G$ to shrink it. The gradient penalty (WGAN-GP) replaces the hard
        1-Lipschitz constraint by a soft one, evaluated at random points $\hat x$ on segments
        between real and generated images:

        $$\mathcal L_D = \mathbb E_z D(G(z)) - \mathbb E_x D(x) + \lambda\,\mathbb E_{\hat x}\big(\|\nabla_{\hat x}D(\hat x)\|_2 - 1\big)^2,
        \qquad \hat x = \epsilon x + (1-\epsilon)G(z),\ \epsilon\sim U[0,1]\ \text{per sample},$$

        $$\mathcal L_G = -\mathbb E_z D(G(z)),\qquad \lambda = 10.$$

        **Design choices kept from the source course.** Two details that matter: the critic has
        **no BatchNorm** (BatchNorm couples the samples of a batch, so $D(x_i)$ is no longer a
        function of $x_i$ alone and the per-sample gradient penalty loses its meaning), and Adam
        runs with $\beta_1 = 0$, $\beta_2 = 0.9$, learning rate $3\cdot10^{-4}$ (momentum tends to
        destabilise the min-max game). One critic step alternates with one generator step; the
        course found that enough (many WGAN implementations use 5 critic steps per generator step).

        **Architectures.** Both networks are built from the residual block below
        (conv, BN, ReLU, conv, BN, plus a skip connection; BN can be switched off).
        * Generator (given): a linear map of the 128-d seed $z$ to $c\times7\times7$ ($c$ channels, the
          `capacity`: the source course's 128; full mode here trains at 32, see *Training on MNIST*), three residual
          blocks, bilinear $\times4$ upsampling followed by conv-BN-ReLU, a final conv to one channel
          plus a learned per-pixel bias, and a sigmoid (images in $[0,1]$).
        * Critic (you write it): a conv embedding, a residual block with stride 4 ($28\to7$), three
          more residual blocks, and a linear head applied to the features summed over the spatial
          positions, giving one real number per image. No BatchNorm anywhere.
        ''')
    nb.code('''
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
        ''', locked=True, grade_id="p5_framework")


def _p5_critic(nb: Notebook) -> None:
    """P5(a): the critic."""
    nb.md(r'''
        ### P5(a) (6 points): the critic
        Write the critic described above, using `ResidualBlock(..., batchnorm=False)`. Its input is
        a batch of MNIST images; its output is one score per image.
        ''')
    nb.answer("p5_critic", '''
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
        ''')
    nb.tests("p5_critic_tests", points=6, src='''
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
            assert not found, \\
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
            assert blocks and blocks[0].stride == 4 and all(b.stride == 1 for b in blocks[1:]), \\
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
        ''')


def _p5_gradient_penalty(nb: Notebook) -> None:
    """P5(b): the gradient penalty."""
    nb.md(r'''
        ### P5(b) (8 points): the gradient penalty
        Return $\mathbb E_{\hat x}(\|\nabla_{\hat x}D(\hat x)\|_2-1)^2$ **without** the factor $\lambda$,
        estimated on one batch: draw one $\epsilon\sim U[0,1]$ per sample, form $\hat x$, and take the
        gradient of the critic's scores with respect to $\hat x$ with `torch.autograd.grad`. The
        norm is over all pixels of a sample. The penalty must stay differentiable with respect to
        the critic's parameters (it is part of the critic's loss): think about `create_graph`.
        ''')
    nb.answer("p5_gradient_penalty", '''
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
        ''')
    nb.code('''
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
        ''', locked=True, grade_id="p5_toys")


def _p5_gradient_penalty_tests(nb: Notebook) -> None:
    """P5(b): the tests of the gradient penalty."""
    nb.tests("p5_gradient_penalty_tests", points=8, src='''
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
            assert abs(got) < 1e-5, \\
                (f"a linear critic with gradient norm 1 everywhere has penalty (1 - 1)^2 = 0, "
                 f"found {got:.6g}{_linear_hint(got, 1.0, 8)}")

        @points(1)
        def test_slope_two_critic_gives_one():
            critic = ToyLinearCritic(4, norm=2.0)
            got = float(gradient_penalty(critic, torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2)))
            assert abs(got - 1.0) < 1e-4, \\
                (f"a linear critic with gradient norm 2 everywhere has penalty (2 - 1)^2 = 1, "
                 f"found {got:.6g}{_linear_hint(got, 2.0, 8)}")

        @points(0.5)
        def test_penalty_is_connected_to_the_critic():
            critic = ToyLinearCritic(4, norm=2.0)
            gp = gradient_penalty(critic, torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2))
            assert isinstance(gp, torch.Tensor) and gp.requires_grad, \\
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
            assert seen and all(shape == (3, 1, 2, 2) for shape in seen), \\
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
        ''')


def _p5_losses(nb: Notebook) -> None:
    """P5(c): the two losses."""
    nb.md(r'''
        ### P5(c) (5 points): the two losses
        `critic_loss` is $\mathcal L_D$ (with the penalty, weight `lam`), `generator_loss` is
        $\mathcal L_G$. Both are batch means. `critic_loss` receives generated images that are
        already made; whether they carry a graph to the generator is the caller's business.
        ''')
    nb.answer("p5_losses", '''
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
        ''')
    nb.tests("p5_losses_tests", points=5, src='''
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
            assert abs(got - want) < 1e-4, \\
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
        ''')


def _p5_optimizers(nb: Notebook) -> None:
    """P5(d): the optimisers."""
    nb.md(r'''
        ### P5(d) (3 points): the optimisers
        Return one Adam optimiser for the generator and one for the critic, with the course's
        settings: learning rate $3\cdot10^{-4}$, $\beta_1 = 0$, $\beta_2 = 0.9$. (Write the betas as
        floats, `(0.0, 0.9)`: recent torch versions reject a mix such as `(0, 0.9)`.)
        ''')
    nb.answer("p5_optimizers", '''
        def make_optimizers(generator, critic, lr=3e-4):
            """Returns (opt_g, opt_c): torch.optim.Adam over generator.parameters() and critic.parameters()."""
            ### BEGIN SOLUTION
            opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.0, 0.9))
            opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))
            return opt_g, opt_c
            ### END SOLUTION
        ''')
    nb.tests("p5_optimizers_tests", points=3, src='''
        from dgmlab.testing import points, run_tests

        @points(0.5)
        def test_two_adam_optimisers():
            out = make_optimizers(ToyGenerator(), ToyLinearCritic(9))
            assert isinstance(out, tuple) and len(out) == 2, \\
                f"expected a tuple (opt_g, opt_c), found {type(out).__name__}"
            assert all(isinstance(o, torch.optim.Adam) for o in out), \\
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
            assert held == {id(p) for p in gen.parameters()}, \\
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
                        assert abs(g["lr"] - lr) < 1e-12, \\
                            f"{name}: the learning rate is not the course's default, or the lr argument is ignored"
        ### END HIDDEN TESTS

        run_tests(points=3, hidden=2)
        ''')


def _p5_steps(nb: Notebook) -> None:
    """P5(e): one critic step, one generator step."""
    nb.md(r'''
        ### P5(e) (10 points): one critic step, one generator step
        Each step zeroes its optimiser's gradients, computes its loss on the batch, back-propagates
        and steps. The critic step must not change the generator, the generator step must not
        change the critic, and a step must not be polluted by gradients left over from the other
        network's step. Both return the loss as a Python float.
        ''')
    nb.answer("p5_steps", '''
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
        ''')


def _p5_steps_tests(nb: Notebook) -> None:
    """P5(e): the tests of the critic step and of the generator step."""
    nb.tests("p5_critic_step_tests", points=6, src='''
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
            assert isinstance(loss, float), \\
                f"expected the loss as a Python float, found {type(loss).__name__} (use loss.item())"
            assert not torch.equal(before["w"], critic.w.detach()), \\
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
            assert abs(got - want) < 1e-3, \\
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
        ''')
    nb.tests("p5_generator_step_tests", points=4, src='''
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
            assert isinstance(loss, float), \\
                f"expected the loss as a Python float, found {type(loss).__name__} (use loss.item())"
            assert not torch.equal(before["c"], gen.c.detach()), \\
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
            assert abs(got - want) < 1e-4, \\
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
        ''')


def _p5_training(nb: Notebook) -> None:
    """Training on MNIST, and scoring the samples."""
    nb.md(rf'''
        ### Training on MNIST
        The loop below (given) alternates your two steps over the training set for 40 epochs with
        batches of 64, with both networks at capacity {FULL_CAPACITY} (the source course used 128; at 32 channels
        P5 and P6 together are estimated to fit a one-hour Colab T4 session, at 128 they would not). This needs a
        GPU (on a CPU one iteration takes 1-2 seconds: 10-20 hours for the 40 epochs). In fast mode it
        trains small networks for a few dozen steps on a few hundred digits: the pictures will be
        noise, the point is that every line runs. It saves a loss curve, a grid of 100 samples
        (`figures/`) and the samples themselves (`artifacts/mnist_samples.pt`) in the homework folder (on Google
        Drive in Colab; the setup cell printed where). In full mode it also saves **the graded file**
        `{SAMPLES_FILE}`: 100 samples of the trained generator, `sample(G_mnist, 100, seed=0)`, values in
        $(0, 1)$; hand it in with the notebook. After every epoch it saves a checkpoint
        (`checkpoints/mnist.pt`): if the runtime disconnects, run the cells again and training continues from the
        last saved epoch; a finished run is loaded, not retrained (pass `retrain=True` to `train_wgan_gp`, or delete
        the file, to train from the start; the checkpoint refuses to resume if your steps or settings changed).
        ''')
    nb.code('''
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
                                        gen=f"{history['generator loss'][-1]:.3f}")
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
        ''', locked=True, grade_id="p5_train_loop")
    nb.code('''
        if not runtime.is_grading():
            import os
            runtime.seed_everything(0)
            mnist_capacity = runtime.pick(full=FULL_CAPACITY, fast=16)
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
                torch.save(sample(G_mnist, 100, seed=0), "{SAMPLES_FILE}.tmp")
                os.replace("{SAMPLES_FILE}.tmp", "{SAMPLES_FILE}")
                dgmlab.workspace.saved("{SAMPLES_FILE}", graded=True)
        '''.replace("{SAMPLES_FILE}", SAMPLES_FILE).replace("FULL_CAPACITY", str(FULL_CAPACITY)),
        locked=True, grade_id="p5_train", uses_answers=True)
    nb.md(r'''
        How good are the samples? Numbers help a little. Below, 1,000 samples are scored with the
        **MNIST classifier score** (the Inception-Score formula applied to the class probabilities of
        a small MNIST classifier shipped with `dgmlab`; it is *not* the Inception Score) and the
        Fréchet distance between the classifier's features on samples and on real test digits.
        ''')
    nb.code('''
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
        ''', locked=True, grade_id="p5_scores")


def _p5_graded_samples(nb: Notebook) -> None:
    """P5(g): the cell that grades the saved MNIST samples (2 points, moved from the report's figures)."""
    nb.md(rf'''
        ### P5(g) (2 points): graded from your saved samples
        This cell grades the file `{SAMPLES_FILE}` that the training cell saved in the homework folder after
        the full 40 epochs: 100 images `(100, 1, 28, 28)` in $(0, 1)$. A file in that form, of samples your
        generator drew (see below), earns 0.5 points; the other 1.5 come when, in addition, the MNIST
        classifier score of those 100 images taken as one group (`metrics.mnist_score(samples, splits=1)`) is at
        least **{SCORE_BAR}** and the classifier recognises at least **{CLASSES_BAR}** of the 10 digit classes among
        them. (For scale: 100 random real test digits score 9.2 to 9.6 this way, pure noise 1.0.) Without the file
        the cell earns nothing and says so. In fast mode, which trains too little to write the file, a missing file
        is only reported.

        The samples must be your generator's own: each is compared with all 70,000 MNIST digits
        (`dgmlab.novelty.find_copies`; a shift by a pixel or added noise does not hide a copy). If more than
        {MAX_COPIES} of the 100 are near-copies of MNIST digits, the file holds dataset images, not generated ones, and
        the whole cell earns 0.
        ''')
    nb.tests("p5_mnist_samples_tests", points=2, src=f'''
        from pathlib import Path

        from dgmlab import artifacts
        from dgmlab.testing import points, run_tests

        GRADED_SAMPLES = Path("{SAMPLES_FILE}")


        def _absent_in_fast_mode():
            # fast mode (CI's smoke run) trains too little to write the graded file: nothing to score there
            return runtime.mode() == "fast" and not GRADED_SAMPLES.exists()


        _CHECKED = {{}}  # this run's verdict on the file: both tests need it, the near-copy look-up runs once


        def _graded_samples():
            """The saved samples once they are 100 well-formed new images (else the reason the cell earns 0)."""
            if "x" not in _CHECKED:
                x = artifacts.samples(artifacts.load(GRADED_SAMPLES, max_bytes=1_000_000, made_by="the P5 training cell"),
                                      name="{SAMPLES_FILE}", value_range=(0, 1))
                _CHECKED["report"] = artifacts.require_new(x, scale="[0,1]")
                _CHECKED["x"] = x
            return _CHECKED["x"]


        @points(0.5)
        def test_saved_samples_are_100_new_images_in_range():
            if _absent_in_fast_mode():
                print("fast mode: no {SAMPLES_FILE} (only full training writes it), so nothing is scored here")
                return
            _graded_samples()
            print("near-copy check:", _CHECKED["report"].summary())


        @points(1.5)
        def test_mnist_classifier_score_above_the_bar():
            if _absent_in_fast_mode():
                return
            x = _graded_samples()  # a file that fails the checks above earns nothing here either
            score, _ = metrics.mnist_score(x, splits=1, scale="[0,1]")
            classes = metrics.mnist_predict(x, scale="[0,1]").unique().numel()
            print(f"MNIST classifier score of the 100 saved samples: {{float(score):.2f}} (bar {SCORE_BAR}); "
                  f"digit classes: {{classes}} (bar {CLASSES_BAR})")
            assert float(score) >= {SCORE_BAR}, (
                f"expected an MNIST classifier score of at least {SCORE_BAR}, found {{float(score):.2f}}: below the bar "
                "(a full 40-epoch run clears it; a run stopped early may not)")
            assert classes >= {CLASSES_BAR}, \\
                (f"expected at least {CLASSES_BAR} of the 10 digit classes among the saved samples, found {{classes}}: "
                 "the generator covers too few digits (mode collapse)")


        run_tests(points=2)
        ''')


def _p5_report(nb: Notebook) -> None:
    """P5(f), written: the report."""
    nb.md(r'''
        ### P5(f) (4 points, written)
        Train for 40 epochs (on a GPU) and include your sample grid and loss curves (the saved
        figures are enough; the samples themselves are graded in P5(g)). Then answer: (i) how good are
        these samples, judged by eye and by the two numbers above, and what can each number *not* see? (ii) What does the critic loss
        (minus the penalty) estimate, and does its curve tell you when to stop?
        ''')
    nb.written("p5_report", points=4, model_answer=r'''
        (i) After 40 epochs most samples are clearly legible digits with some broken strokes; the MNIST classifier
        score should be close to (a bit below) that of real test digits, and the Fréchet distance small but above
        the real-vs-real value. The score only sees confidence and class balance (a generator memorising one crisp
        digit per class would score perfectly); the Fréchet distance compares two moments of classifier features, so it
        misses fine texture and cannot detect copying of training images.
        (ii) $-(\mathcal L_D - \lambda\,\text{GP}) = \mathbb E D(x) - \mathbb E D(G(z))$ is the critic's estimate of
        $W_1$ (up to how well the critic is trained and how Lipschitz it is). It falls quickly and then flattens; being a
        noisy, one-step-per-update estimate it correlates with sample quality early on but is not a reliable stopping
        rule; one stops on a budget and looks at samples/scores.
        Grading: critical judgement of the numbers (2), W1 estimate interpretation (2). (The 2 points the figures
        had are now P5(g)'s, graded from the saved samples.)
        ''')

    # ------------------------------------------------------------------ P6


def _p6_networks(nb: Notebook) -> None:
    """P6 (22 points): WGAN-GP on CIFAR-10; (a) the residual generator and critic."""
    nb.md(r'''
        ## P6 (22 points): WGAN-GP on CIFAR-10

        CIFAR-10 images are $3\times32\times32$ colour pictures, harder than digits. Same training
        (your P5 steps and optimisers), with two changes from the source course: the generator gets
        **nine** residual blocks instead of three, and training runs for at least 100 epochs with the
        learning rate cut from $3\cdot10^{-4}$ to $3\cdot10^{-5}$ after epoch 80 (or, with more time,
        300 epochs with the cut after 200). The course reports an Inception Score of about 7.9 after
        100 epochs and 8.2 after 300.

        ### P6(a) (10 points): the minimal changes
        Copy the given `Generator` and your `Critic` into `CifarGenerator` and `CifarCritic` and make
        only the changes the new data need: channel counts (three colours), the spatial sizes
        ($32 = 4\cdot 8$: which seed map size?), and the generator's nine residual blocks. Keep the
        per-pixel bias, the sigmoid, and no BatchNorm in the critic.
        ''')
    nb.answer("p6_models", '''
        class CifarGenerator(nn.Module):
            """CIFAR-10 generator: z (N, SEED_DIM) float32 -> images (N, 3, 32, 32) float32 in (0, 1)."""

            def __init__(self, seed_dim=SEED_DIM, capacity=128):
                super().__init__()
                ### BEGIN SOLUTION
                self.capacity = capacity
                self.embed = nn.Linear(seed_dim, capacity * 8 * 8, bias=False)
                self.embed_bn = nn.BatchNorm2d(capacity)
                self.blocks = nn.Sequential(*[ResidualBlock(capacity) for _ in range(9)])
                self.upsample = nn.Sequential(
                    nn.Upsample(scale_factor=4, mode="bilinear", align_corners=False),
                    nn.Conv2d(capacity, capacity, 3, padding=1, bias=False),
                    nn.BatchNorm2d(capacity), nn.ReLU())
                self.to_image = nn.Conv2d(capacity, 3, 3, padding=1, bias=False)
                self.pixel_bias = nn.Parameter(torch.zeros(3, 32, 32))
                ### END SOLUTION

            def forward(self, z):
                ### BEGIN SOLUTION
                h = F.relu(self.embed_bn(self.embed(z).view(-1, self.capacity, 8, 8)))
                h = self.upsample(self.blocks(h))
                return torch.sigmoid(self.to_image(h) + self.pixel_bias)
                ### END SOLUTION


        class CifarCritic(nn.Module):
            """CIFAR-10 critic: images (N, 3, 32, 32) float32 -> scores (N,) float32. No BatchNorm."""

            def __init__(self, capacity=128):
                super().__init__()
                ### BEGIN SOLUTION
                self.embed = nn.Conv2d(3, capacity, 3, padding=1)
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
        ''')


def _p6_network_tests(nb: Notebook) -> None:
    """P6(a): the tests of the residual generator and of the critic."""
    nb.tests("p6_generator_tests", points=6, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(1)
        def test_output_shape():
            out = CifarGenerator(capacity=8)(torch.randn(4, SEED_DIM))
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else None
            hint = ""
            if shape == (4, 3, 28, 28):
                hint = ": that is MNIST's size; 32 = 4 x 8, so the seed map is 8 x 8 (and the per-pixel bias 32 x 32)"
            elif shape is not None and len(shape) == 4 and shape[1] == 1:
                hint = ": one channel; CIFAR-10 images have three colour channels"
            assert shape == (4, 3, 32, 32), f"expected images of shape (4, 3, 32, 32), found {shape}{hint}"
            checks.assert_tensor(out, "CifarGenerator(z)", shape=(4, 3, 32, 32), dtype=torch.float32)

        @points(0.75)
        def test_pixels_in_the_unit_interval_and_depending_on_z():
            gen = CifarGenerator(capacity=8).eval()
            with torch.no_grad():
                a, b = gen(torch.randn(4, SEED_DIM)), gen(torch.randn(4, SEED_DIM))
            low, high = float(a.min()), float(a.max())
            assert low > 0 and high < 1, \\
                (f"expected pixels in (0, 1) as the sigmoid gives, found values in [{low:.3f}, {high:.3f}]"
                 + (": tanh gives (-1, 1)" if low < 0 else ""))
            assert float((a - b).abs().max()) > 1e-6, "expected different images for different z, found the same ones"

        ### BEGIN HIDDEN TESTS
        @points(1.25)
        def test_nine_residual_blocks():
            assert len(residual_blocks(CifarGenerator(capacity=8))) == 9, \\
                "the CIFAR-10 generator should have nine residual blocks"

        @points(1.5)
        def test_blocks_work_on_an_eight_by_eight_map():
            gen = CifarGenerator(capacity=8)
            blocks = residual_blocks(gen)
            sizes = []
            hooks = [b.register_forward_hook(lambda m, i, o: sizes.append(tuple(o.shape[-2:]))) for b in blocks]
            try:
                gen(torch.randn(2, SEED_DIM))
            finally:
                for h in hooks:
                    h.remove()
            assert sizes and all(sz == (8, 8) for sz in sizes), \\
                "the residual blocks should work on the seed map before upsampling (32 = 4 x its size)"

        @points(1.5)
        def test_learned_per_pixel_bias():
            gen = CifarGenerator(capacity=8)
            shapes = [tuple(p.shape) for p in gen.parameters()]
            assert any(int(np.prod(sh)) == 3 * 32 * 32 and sh[-2:] == (32, 32) for sh in shapes), \\
                "the generator should keep a learned per-pixel bias, now one per colour channel and pixel"
        ### END HIDDEN TESTS

        run_tests(points=6, hidden=4.25)
        ''')
    nb.tests("p6_critic_tests", points=4, src='''
        from dgmlab.testing import points, run_tests
        from dgmlab import checks

        @points(0.75)
        def test_one_score_per_colour_image():
            try:
                out = CifarCritic(capacity=8)(torch.rand(5, 3, 32, 32))
            except RuntimeError as exc:
                raise AssertionError(f"expected scores for a (5, 3, 32, 32) batch, found an error ({str(exc)[:120]}): "
                                     f"does the first convolution read three input channels?") from None
            checks.assert_tensor(out, "CifarCritic(x)", shape=(5,), dtype=torch.float32)

        @points(0.75)
        def test_no_batchnorm():
            found = [name for name, m in CifarCritic(capacity=8).named_modules()
                     if isinstance(m, nn.modules.batchnorm._BatchNorm)]
            assert not found, f"expected no BatchNorm in the CIFAR-10 critic, found {found} (batchnorm=False)"

        ### BEGIN HIDDEN TESTS
        @points(1)
        def test_per_sample_scores():
            critic = CifarCritic(capacity=8).train()
            x = torch.rand(6, 3, 32, 32)
            with torch.no_grad():
                full, part = critic(x)[:2], critic(x[:2])
            checks.assert_close(full, part, rtol=1e-4, atol=1e-5, name="scores computed with and without the rest of the batch")

        @points(0.75)
        def test_same_residual_structure_as_mnist():
            blocks = residual_blocks(CifarCritic(capacity=8))
            assert len(blocks) == 4 and blocks[0].stride == 4 and all(b.stride == 1 for b in blocks[1:]), \\
                "keep the MNIST critic's structure: a stride-4 residual block then three more"

        @points(0.75)
        def test_every_colour_channel_matters():
            critic = CifarCritic(capacity=8)
            x = torch.rand(2, 3, 32, 32, requires_grad=True)
            critic(x).sum().backward()
            per_channel = x.grad.abs().sum(dim=(0, 2, 3))
            assert bool((per_channel > 0).all()), "the score ignores a colour channel"
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=2.5)
        ''')


def _p6_schedule(nb: Notebook) -> None:
    """P6(b): the learning-rate schedule."""
    nb.md(r'''
        ### P6(b) (4 points): the learning-rate schedule
        Return the learning rate for (0-based) epoch `epoch`: `lr` for the first `cut_epoch` epochs
        (epochs `0 .. cut_epoch-1`), `lr_low` from then on. The training loop sets it at the start
        of every epoch.
        ''')
    nb.answer("p6_schedule", '''
        def lr_at_epoch(epoch, cut_epoch=80, lr=3e-4, lr_low=3e-5):
            """Step schedule. epoch: int >= 0. Returns a Python float."""
            ### BEGIN SOLUTION
            return float(lr if epoch < cut_epoch else lr_low)
            ### END SOLUTION
        ''')
    nb.tests("p6_schedule_tests", points=4, src='''
        from dgmlab.testing import points, run_tests

        @points(0.5)
        def test_first_epoch():
            value = lr_at_epoch(0)
            assert isinstance(value, float), f"expected a Python float, found {type(value).__name__}"
            assert abs(value - 3e-4) < 1e-15, f"expected the initial rate 3e-4 at epoch 0, found {value:g}"

        @points(0.5)
        def test_last_epoch_uses_the_low_rate():
            value = lr_at_epoch(99)
            assert abs(value - 3e-5) < 1e-15, \\
                f"expected the low rate 3e-5 at epoch 99 (after the cut at 80), found {value:g}"

        ### BEGIN HIDDEN TESTS
        @points(1.5)
        def test_cut_after_eighty_epochs():
            got = [lr_at_epoch(e) for e in (0, 40, 79, 80, 81, 99)]
            want = [3e-4, 3e-4, 3e-4, 3e-5, 3e-5, 3e-5]
            assert all(abs(g - w) < 1e-15 for g, w in zip(got, want)), \\
                "the 100-epoch schedule is wrong around the cut (80 epochs at the initial rate, then the low one)"

        @points(0.75)
        def test_long_schedule():
            assert abs(lr_at_epoch(199, cut_epoch=200) - 3e-4) < 1e-15 and abs(lr_at_epoch(200, cut_epoch=200) - 3e-5) < 1e-15, \\
                "the 300-epoch schedule (cut after 200) is wrong: is cut_epoch used?"

        @points(0.75)
        def test_custom_rates():
            assert abs(lr_at_epoch(3, cut_epoch=2, lr=1.0, lr_low=0.5) - 0.5) < 1e-15, "lr and lr_low must be used"
            assert abs(lr_at_epoch(1, cut_epoch=2, lr=1.0, lr_low=0.5) - 1.0) < 1e-15, "lr and lr_low must be used"
        ### END HIDDEN TESTS

        run_tests(points=4, hidden=3)
        ''')


def _p6_training(nb: Notebook) -> None:
    """Training on CIFAR-10, and its Inception Score."""
    nb.md(rf'''
        ### Training on CIFAR-10
        Full mode: 100 epochs, batches of 64, the cut after epoch 80, both networks at capacity {FULL_CAPACITY}
        as in P5 (estimated at 20-40 minutes on a Colab T4, not measured; set
        `CIFAR_EPOCHS, CIFAR_CUT = 300, 200` for the long run). Fast mode: there is no CIFAR-10 on the
        CI machines, so `dgmlab.data.cifar10` hands out a small **synthetic** stand-in (smooth random
        colour images) and the loop runs a few steps with tiny networks, exercising the learning-rate
        cut; those pictures mean nothing.
        ''')
    nb.code('''
        CIFAR_EPOCHS, CIFAR_CUT = runtime.pick(full=100, fast=2), runtime.pick(full=80, fast=1)
        if not runtime.is_grading():
            import os
            runtime.seed_everything(0)
            cifar = dgmlab.data.cifar10(train=True, scale="[0,1]", n=runtime.pick(full=None, fast=96))
            cifar_name = "CIFAR-10" if cifar.source == "full" else "synthetic stand-in, not CIFAR-10"
            if cifar.source != "full":
                print("NOTE: training on a synthetic stand-in, not CIFAR-10 (fast mode, no CIFAR-10 on disk)")
            cifar_capacity = runtime.pick(full=FULL_CAPACITY, fast=8)
            G_cifar = CifarGenerator(capacity=cifar_capacity).to(device)
            D_cifar = CifarCritic(capacity=cifar_capacity).to(device)
            cifar_history = train_wgan_gp(G_cifar, D_cifar, cifar, epochs=CIFAR_EPOCHS,
                                          batch_size=runtime.pick(full=64, fast=32),
                                          lr_schedule=lambda e: lr_at_epoch(e, cut_epoch=CIFAR_CUT),
                                          desc="WGAN-GP CIFAR-10",
                                          checkpoint=runtime.pick(full="checkpoints/cifar.pt", fast="checkpoints/cifar_fast.pt"))
            plots.loss_curves(cifar_history, title=f"WGAN-GP losses ({cifar_name})", smooth=runtime.pick(full=200, fast=2),
                              save="figures/cifar_losses.png")
            cifar_samples = sample(G_cifar, 100)
            plots.image_grid(cifar_samples, nrow=10, title=f"WGAN-GP samples ({cifar_name})", save="figures/cifar_samples.png")
            os.makedirs("artifacts", exist_ok=True)
            torch.save(cifar_samples, "artifacts/cifar_samples.pt")
            dgmlab.workspace.saved("artifacts/cifar_samples.pt")
        '''.replace("FULL_CAPACITY", str(FULL_CAPACITY)), locked=True, grade_id="p6_train", uses_answers=True)
    nb.md(r'''
        The **Inception Score** needs the standard Inception-v3 network (through `torch-fidelity`).
        When its weights cannot be had (offline, or not cached), the cell says so and skips; the score
        is never replaced by another network's here.
        ''')
    nb.code('''
        if not runtime.is_grading():
            if metrics is None:
                print("dgmlab.metrics is not available in this dgmlab version: skipping the Inception Score")
            else:
                try:
                    result = metrics.inception_metrics(sample(G_cifar, runtime.pick(full=50_000, fast=100)))
                    print(f"Inception Score (Inception-v3 via torch-fidelity): "
                          f"{result['inception_score_mean']:.2f} +- {result['inception_score_std']:.2f}")
                except metrics.MetricUnavailable as exc:
                    print(f"Inception Score skipped: {exc}")
        ''', locked=True, grade_id="p6_scores", uses_answers=True)


def _p6_report(nb: Notebook) -> None:
    """P6(c), written: the report."""
    nb.md(r'''
        ### P6(c) (8 points, written)
        Include your CIFAR-10 sample grid and loss curves. Report the Inception Score you measured,
        with its spread, the number of samples and the network that computed it (the standard
        Inception-v3 of torch-fidelity; if you could not run it, say so). Compare with the course's
        7.9 (100 epochs): what does a gap of a few tenths mean? Finally explain why the critic needed
        no change beyond its input channels, while the generator did.
        ''')
    nb.written("p6_report", points=8, model_answer=r'''
        Grid and curves attached (2). IS with std over 10 splits of 50,000 samples from Inception-v3
        (pt_inception-2015-12-05 weights via torch-fidelity) around 7.5-8 after 100 epochs (2); differences of a few tenths
        are within run-to-run variance of GAN training and of implementation details (resize, sample count), so only
        larger gaps indicate a real difference (2). The critic ends with a sum over spatial positions, so it accepts
        any image size; a stride-4 block maps 32x32 to 8x8 just as 28x28 to 7x7. Only the number of input channels
        changes. The generator produces a fixed-size output from a fixed-size seed map, so its seed map (8x8), output
        channels (3) and per-pixel bias (3x32x32) must change (2).
        ''')


def _closing(nb: Notebook) -> None:
    """The closing note."""
    nb.md(r'''
        ## Closing note
        You have seen two ways to measure distance between distributions with a critic: the
        $f$-GAN bounds of P1-P2 (exact at $d^*$, estimated from samples) and the Wasserstein
        distance of P3-P6, whose metric structure (P4) and smoothness in the data (P3) are what make
        it a sensible training signal, and whose Lipschitz constraint the gradient penalty enforces.

        **What to hand in:** this notebook **and** `p5_mnist_samples_100.pt` (P5's graded samples, in the homework
        folder; in Colab download both from Google Drive, `MyDrive/dgm-course/hw2_wgangp/`); the `figures/` folder
        if you like; not `checkpoints/`.
        ''')


# ---------------------------------------------------------------------- proofs
# A wrong answer is the reference answer with its mistake made by edits=[(old, new)]: each old found exactly once in
# the answer cell (solution markers dropped), so a fix to a solution reaches its mutants. A correct variant that is
# the reference with a harmless change is an edit too. source= stays only for a genuinely different implementation
# a student might write (most correct variants: they prove the tests accept another way of writing the answer) and
# for wholesale rewrites, where an edit would replace the whole body.
#
# Every graded cell gives points per test, so a wrong answer names in earns= the points it still gets there:
# those of the tests its mistake leaves passing (tests/test_proofs.py checks the exact number). The blank stubs
# earn 0 and the correct variants every point (passes=).
_C1, _O1, _C2, _O2 = "p1_conjugate_tests", "p1_objective_tests", "p2_conjugate_tests", "p2_objective_tests"
_GP_T, _LOSS_T, _OPT_T = "p5_gradient_penalty_tests", "p5_losses_tests", "p5_optimizers_tests"
_CS_T, _GS_T, _SCHED_T = "p5_critic_step_tests", "p5_generator_step_tests", "p6_schedule_tests"
_GEN_T = ["p6_generator_tests"]
_CRI_T = ["p6_critic_tests"]

_KL_CONJUGATE = "f_star_kl = sp.simplify((t * u - u * sp.log(u)).subs(u, _crit))"
_RKL_CONJUGATE = "f_star_rkl = -1 - sp.log(-s)"
_GP_EPS = "torch.rand(x_real.shape[0], *([1] * (x_real.dim() - 1)), device=x_real.device)"
_GP_HAT = "(eps * x_real + (1 - eps) * x_fake).detach()"
_GP_NORM = "((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()"
_CRITIC_LOSS = "critic(x_fake).mean() - critic(x_real).mean()"
_PENALTY = " + lam * gradient_penalty(critic, x_real, x_fake)"
_BN_FIRST, _BN_MORE = "ResidualBlock(capacity, stride=4, batchnorm=False)", "ResidualBlock(capacity, batchnorm=False)"
_BN_ON = [(_BN_FIRST, _BN_FIRST.replace("False", "True")), (_BN_MORE, _BN_MORE.replace("False", "True"))]
_HEAD = "self.head = nn.Linear(capacity, 1)"
_SEED_MAP, _SEED_VIEW, _PIXEL_BIAS = "capacity * 8 * 8", "self.capacity, 8, 8)", "torch.zeros(3, 32, 32)"


def _betas_dropped(net):
    return (f"{net}.parameters(), lr=lr, betas=(0.0, 0.9)", f"{net}.parameters(), lr=lr")


def _lr_typed(net):
    return (f"{net}.parameters(), lr=lr", f"{net}.parameters(), lr=3e-4")


MUTANTS = [
    # P1
    Mutant("p1_conjugate", "conjugate off by one: exp(t)", edits=[(_KL_CONJUGATE, "f_star_kl = sp.exp(t)")],
           earns={_C1: 0.25}),
    Mutant("p1_conjugate", "f itself instead of its conjugate", edits=[(_KL_CONJUGATE, "f_star_kl = t * sp.log(t)")],
           earns={_C1: 0.25}),
    Mutant("p1_conjugate", "maximiser u not substituted back", edits=[
        (_KL_CONJUGATE, "f_star_kl = sp.simplify(t * u - u * sp.log(u))")], earns={_C1: 0}),
    Mutant("p1_conjugate", "correct variant: written out", "f_star_kl = sp.exp(t) / sp.E",
           passes=["p1_conjugate_tests"]),
    Mutant("p1_objective", "missing the constant 1", edits=[
        ("return 1.0 + torch.log(d(x_p))", "return torch.log(d(x_p))")], earns={_O1: 1}),
    Mutant("p1_objective", "optimal critic inverted (q/p)", edits=[
        ("torch.exp(log_p(x) - log_q(x))", "torch.exp(log_q(x) - log_p(x))")], earns={_O1: 1}),
    Mutant("p1_objective", "expectations swapped between p and q", edits=[
        ("torch.log(d(x_p)).mean() - d(x_q).mean()", "torch.log(d(x_q)).mean() - d(x_p).mean()")], earns={_O1: 0.5}),
    Mutant("p1_objective", "sum instead of mean", edits=[
        ("torch.log(d(x_p)).mean() - d(x_q).mean()", "torch.log(d(x_p)).sum() - d(x_q).sum()")], earns={_O1: 1}),
    Mutant("p1_objective", "log-ratio as the critic (log p/q instead of p/q)", edits=[
        ("lambda x: torch.exp(log_p(x) - log_q(x))", "lambda x: log_p(x) - log_q(x)")], earns={_O1: 0.75}),
    Mutant("p1_objective", "correct variant: sums divided by counts", '''
def kl_objective(d, x_p, x_q):
    return 1 + torch.sum(torch.log(d(x_p))) / len(x_p) - torch.sum(d(x_q)) / len(x_q)

def kl_optimal_critic(log_p, log_q):
    def d_star(x):
        return log_p(x).exp() / log_q(x).exp()
    return d_star
''', passes=["p1_objective_tests"]),
    # P2
    Mutant("p2_conjugate", "sign slip: -1 + log(-s)", edits=[(_RKL_CONJUGATE, "f_star_rkl = -1 + sp.log(-s)")],
           earns={_C2: 0.25}),
    Mutant("p2_conjugate", "dropped the constant", edits=[(_RKL_CONJUGATE, "f_star_rkl = -sp.log(-s)")],
           earns={_C2: 0.25}),
    Mutant("p2_conjugate", "domain ignored: log(s) of a negative s", edits=[
        (_RKL_CONJUGATE, "f_star_rkl = -1 - sp.log(s)")], earns={_C2: 0.25}),
    Mutant("p2_conjugate", "correct variant: log(-1/s) - 1", edits=[
        (_RKL_CONJUGATE, "f_star_rkl = sp.log(-1 / s) - 1")], passes=["p2_conjugate_tests"]),
    Mutant("p2_objective", "optimal critic p/q instead of -q/p", edits=[
        ("-torch.exp(log_q(x) - log_p(x))", "-torch.exp(log_p(x) - log_q(x))")], earns={_O2: 1}),
    Mutant("p2_objective", "log d instead of log(-d)", edits=[("torch.log(-d(x_q))", "torch.log(d(x_q))")],
           earns={_O2: 0.25}),
    Mutant("p2_objective", "missing the constant 1", edits=[("return 1.0 + d(x_p)", "return d(x_p)")],
           earns={_O2: 1}),
    Mutant("p2_objective", "expectations swapped between p and q", edits=[
        ("d(x_p).mean() + torch.log(-d(x_q))", "d(x_q).mean() + torch.log(-d(x_p))")], earns={_O2: 0.5}),
    Mutant("p2_objective", "correct variant: log-ratio written out", '''
def rkl_objective(d, x_p, x_q):
    return 1 + torch.mean(d(x_p)) + torch.mean(torch.log(torch.abs(d(x_q))))

def rkl_optimal_critic(log_p, log_q):
    return lambda x: -(log_q(x).exp() / log_p(x).exp())
''', passes=["p2_objective_tests"]),
    # P3
    Mutant("p3_costs", "squared Euclidean ground cost (ot.dist default)", edits=[
        ('ot.dist(x, y, metric="euclidean")', "ot.dist(x, y)")], earns={"p3_costs_tests": 3}),
    Mutant("p3_costs", "identity cost as root-mean-square (skips Jensen)", edits=[
        ("np.linalg.norm(eps, axis=1).mean()", "np.sqrt((eps ** 2).sum(1).mean())")], earns={"p3_costs_tests": 2.5}),
    Mutant("p3_costs", "identity cost summed instead of averaged", edits=[
        ("np.linalg.norm(eps, axis=1).mean()", "np.linalg.norm(eps, axis=1).sum()")], earns={"p3_costs_tests": 2.5}),
    Mutant("p3_costs", "the two costs returned in the wrong order", edits=[
        ("return float(emd), float(identity_cost)", "return float(identity_cost), float(emd)")],
        earns={"p3_costs_tests": 0.5}),
    Mutant("p3_costs", "entropic OT (Sinkhorn) instead of the exact EMD", edits=[
        ("emd = ot.emd2(w, w, ", "emd = ot.sinkhorn2(w, w, "), ('metric="euclidean"))', 'metric="euclidean"), 0.05)')],
        earns={"p3_costs_tests": 3}),  # the entropic blur shows even without noise
    Mutant("p3_costs", "correct variant: scipy cdist and empty weights", '''
from scipy.spatial.distance import cdist
def smoothing_costs(x, eps):
    M = cdist(x, x + eps)
    return float(ot.emd2([], [], M)), float(np.sqrt((eps ** 2).sum(axis=1)).mean())
''', passes=["p3_costs_tests"]),
    # P4
    Mutant("p4_linprog", "LP with wrong marginal constraints (row sums only)", edits=[
        ("A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([p, q])", "A_eq=rows, b_eq=p")],
        earns={"p4_linprog_tests": 0.25}),
    Mutant("p4_linprog", "LP with marginals swapped (kron order mixed up)", edits=[
        ("rows = np.kron(np.eye(n), np.ones((1, n)))", "rows = np.kron(np.ones((1, n)), np.eye(n))"),
        ("cols = np.kron(np.ones((1, n)), np.eye(n))", "cols = np.kron(np.eye(n), np.ones((1, n)))")],
        earns={"p4_linprog_tests": 0.25}),
    Mutant("p4_linprog", "LP with inequality marginals (<=)", edits=[
        ("A_eq=np.vstack([rows, cols]), b_eq=", "A_ub=np.vstack([rows, cols]), b_ub=")],
        earns={"p4_linprog_tests": 0.25}),
    Mutant("p4_linprog", "plan returned flat (n*n,) instead of n x n", edits=[("res.x.reshape(n, n)", "res.x")],
           earns={"p4_linprog_tests": 0.75}),
    Mutant("p4_linprog", "correct variant: loops and column-major flattening", '''
def w1_linprog(p, q, C):
    n = len(p)
    A = np.zeros((2 * n, n * n))
    for i in range(n):
        for j in range(n):
            k = j * n + i          # column-major index of pi[i, j]
            A[i, k] = 1.0
            A[n + j, k] = 1.0
    res = linprog(C.reshape(-1, order="F"), A_eq=A, b_eq=np.concatenate([p, q]), method="highs-ds")
    return float(res.fun), res.x.reshape(n, n, order="F")
''', passes=["p4_linprog_tests"]),
    Mutant("p4_glue", "no zero handling in 1/r", edits=[
        ("    inv = np.zeros_like(r)\n    inv[r > 0] = 1.0 / r[r > 0]\n    return pi_p @ np.diag(inv) @ pi_q",
         '    with np.errstate(divide="ignore", invalid="ignore"):\n        return pi_p @ np.diag(1.0 / r) @ pi_q')],
        earns={"p4_glue_tests": 1.5}),
    Mutant("p4_glue", "forgot diag(1/r)", edits=[("pi_p @ np.diag(inv) @ pi_q", "pi_p @ pi_q")],
           earns={"p4_glue_tests": 0}),
    Mutant("p4_glue", "diag(r) instead of diag(1/r)", edits=[("np.diag(inv)", "np.diag(r)")],
           earns={"p4_glue_tests": 0}),
    Mutant("p4_glue", "correct variant: np.divide with where", '''
def glue_couplings(pi_p, pi_q, r):
    scaled = np.divide(pi_p, r[None, :], out=np.zeros_like(pi_p), where=r[None, :] > 0)
    return scaled @ pi_q
''', passes=["p4_glue_tests"]),
    # P5 critic
    Mutant("p5_critic", "BatchNorm left in the critic", edits=_BN_ON, earns={"p5_critic_tests": 3}),
    Mutant("p5_critic", "BatchNorm after the embedding", edits=[
        (_HEAD, _HEAD + "\n        self.norm = nn.BatchNorm2d(capacity)"),
        ("F.relu(self.embed(x))", "F.relu(self.norm(self.embed(x)))")], earns={"p5_critic_tests": 3}),
    Mutant("p5_critic", "no stride-4 block", edits=[("stride=4, ", "")], earns={"p5_critic_tests": 5.25}),
    Mutant("p5_critic", "only two blocks after the stride-4 block", edits=[("range(3)", "range(2)")],
           earns={"p5_critic_tests": 5.25}),
    Mutant("p5_critic", "scores of shape (N, 1)", edits=[(".squeeze(1)", "")], earns={"p5_critic_tests": 5.5}),
    Mutant("p5_critic", "a layer defined but never used", edits=[
        (_HEAD, _HEAD + "\n        self.hidden = nn.Linear(capacity, capacity)")], earns={"p5_critic_tests": 5}),
    Mutant("p5_critic", "correct variant: leaky ReLU embedding, mean pooling", edits=[
        ("F.relu(self.embed(x))", "F.leaky_relu(self.embed(x))"), ("h.sum(dim=(2, 3))", "h.mean(dim=(2, 3))")],
        passes=["p5_critic_tests"]),
    # P5 gradient penalty
    Mutant("p5_gradient_penalty", "penalty on real instead of interpolated points", edits=[
        (_GP_HAT, "x_real.detach().clone()")], earns={_GP_T: 3.5}),
    Mutant("p5_gradient_penalty", "penalty on fake points only", edits=[(_GP_HAT, "x_fake.detach().clone()")],
           earns={_GP_T: 3.5}),
    Mutant("p5_gradient_penalty", "detached interpolates: gradient without create_graph", edits=[
        ("create_graph=True", "create_graph=False")], earns={_GP_T: 5.5}),
    Mutant("p5_gradient_penalty", "detached interpolates: gradient norm detached", edits=[
        ("grad.flatten(1)", "grad.detach().flatten(1)")], earns={_GP_T: 5.5}),
    Mutant("p5_gradient_penalty", "one epsilon for the whole batch", edits=[
        (_GP_EPS, "torch.rand((), device=x_real.device)")], earns={_GP_T: 3.5}),
    Mutant("p5_gradient_penalty", "norm over the wrong axis", edits=[("grad.flatten(1).norm(", "grad.norm(")],
           earns={_GP_T: 0.5}),
    Mutant("p5_gradient_penalty", "lambda folded into the penalty", edits=[(_GP_NORM, "10.0 * " + _GP_NORM)],
           earns={_GP_T: 1}),
    Mutant("p5_gradient_penalty", "eps one dimension short (N, 1, 1): x_hat broadcasts to (N, N, H, W)", edits=[
        ("*([1] * (x_real.dim() - 1))", "1, 1")], earns={_GP_T: 0}),
    Mutant("p5_gradient_penalty", "x_fake dropped from the interpolate (x_hat = eps * x_real)", edits=[
        (" + (1 - eps) * x_fake", "")], earns={_GP_T: 3.5}),
    Mutant("p5_gradient_penalty", "sign slip in the interpolate: eps * x_real - (1 - eps) * x_fake", edits=[
        (" + (1 - eps) * x_fake", " - (1 - eps) * x_fake")], earns={_GP_T: 3.5}),
    Mutant("p5_gradient_penalty", "one-sided penalty", edits=[
        ("((grad.flatten(1).norm(dim=1) - 1) ** 2)", "(F.relu(grad.flatten(1).norm(dim=1) - 1) ** 2)")],
        earns={_GP_T: 3.5}),
    Mutant("p5_gradient_penalty", "correct variant: graph kept, grad_outputs, rand_like", '''
def gradient_penalty(critic, x_real, x_fake):
    eps = torch.rand_like(x_real[:, :1, :1, :1]) if x_real.dim() == 4 else torch.rand(len(x_real), 1)
    x_hat = x_real + eps * (x_fake - x_real); x_hat.requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores, x_hat, grad_outputs=torch.ones_like(scores), create_graph=True)
    return ((grad.reshape(len(grad), -1).pow(2).sum(1).sqrt() - 1) ** 2).mean()
''', passes=["p5_gradient_penalty_tests"]),
    # P5 losses
    Mutant("p5_losses", "missing penalty", edits=[(_PENALTY, "")], earns={_LOSS_T: 3.25}),
    Mutant("p5_losses", "sign error in the critic loss", edits=[
        (_CRITIC_LOSS, "critic(x_real).mean() - critic(x_fake).mean()")], earns={_LOSS_T: 2}),
    Mutant("p5_losses", "sign error in the generator loss", edits=[
        ("return -critic(x_fake).mean()", "return critic(x_fake).mean()")], earns={_LOSS_T: 3.5}),
    Mutant("p5_losses", "sum instead of mean", edits=[
        (_CRITIC_LOSS, "critic(x_fake).sum() - critic(x_real).sum()"),
        ("-critic(x_fake).mean()", "-critic(x_fake).sum()")],
        earns={_LOSS_T: 0.5}),
    Mutant("p5_losses", "lam ignored (hard-coded 10)", edits=[(_PENALTY, _PENALTY.replace("lam", "10.0"))],
           earns={_LOSS_T: 4.5}),
    Mutant("p5_losses", "generator loss on detached samples", edits=[
        ("-critic(x_fake).mean()", "-critic(x_fake.detach()).mean()")], earns={_LOSS_T: 4.25}),
    Mutant("p5_losses", "correct variant: terms regrouped", '''
def critic_loss(critic, x_real, x_fake, lam=LAMBDA):
    gp = gradient_penalty(critic, x_real, x_fake)
    return -(critic(x_real) - critic(x_fake)).mean() + gp * lam

def generator_loss(critic, x_fake):
    return torch.mean(-critic(x_fake))
''', passes=["p5_losses_tests"]),
    # P5 optimisers
    Mutant("p5_optimizers", "Adam's default betas (beta1 = 0.9)", edits=[
        _betas_dropped("generator"), _betas_dropped("critic")], earns={_OPT_T: 2}),
    Mutant("p5_optimizers", "optimisers returned in the wrong order", edits=[
        ("return opt_g, opt_c", "return opt_c, opt_g")], earns={_OPT_T: 2}),
    Mutant("p5_optimizers", "learning rate hard-coded (the lr argument ignored)", edits=[
        _lr_typed("generator"), _lr_typed("critic")], earns={_OPT_T: 2.5}),
    Mutant("p5_optimizers", "one optimiser over both networks, returned twice", edits=[
        ("Adam(generator.parameters(),", "Adam(list(generator.parameters()) + list(critic.parameters()),"),
        ("opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))", "opt_c = opt_g")],
        earns={_OPT_T: 2}),
    Mutant("p5_optimizers", "correct variant: parameters as lists", '''
def make_optimizers(generator, critic, lr=3e-4):
    kw = dict(lr=lr, betas=[0.0, 0.9])
    return torch.optim.Adam(list(generator.parameters()), **kw), torch.optim.Adam(list(critic.parameters()), **kw)
''', passes=["p5_optimizers_tests"]),
    # P5 steps
    Mutant("p5_steps", "critic step without the penalty", edits=[
        ("loss = critic_loss(critic, x_real, x_fake)", "loss = " + _CRITIC_LOSS)], earns={_CS_T: 0.5}, passes=[_GS_T]),
    Mutant("p5_steps", "critic step keeps stale gradients (no zero_grad)", edits=[("    opt_c.zero_grad()\n", "")],
           earns={_CS_T: 4.25}, passes=[_GS_T]),
    Mutant("p5_steps", "critic step ascends instead of descends", edits=[
        ("loss = critic_loss(", "loss = -critic_loss(")], earns={_CS_T: 0.5}, passes=[_GS_T]),
    Mutant("p5_steps", "generator step keeps stale gradients (no zero_grad)", edits=[("    opt_g.zero_grad()\n", "")],
           earns={_GS_T: 2.75}, passes=[_CS_T]),
    Mutant("p5_steps", "generator step on detached samples", edits=[
        ("critic, generator(z))", "critic, generator(z).detach())")], earns={_GS_T: 0.75}, passes=[_CS_T]),
    Mutant("p5_steps", "generator step with the sign flipped", edits=[
        ("loss = generator_loss(", "loss = -generator_loss(")], earns={_GS_T: 0.5}, passes=[_CS_T]),
    Mutant("p5_steps", "correct variant: fake not detached, zero_grad(set_to_none=False)", edits=[
        ("    with torch.no_grad():\n        x_fake = generator(z)", "    x_fake = generator(z)"),
        ("opt_c.zero_grad()", "opt_c.zero_grad(set_to_none=False)")], passes=[_CS_T, _GS_T]),
    # P6
    Mutant("p6_models", "MNIST spatial sizes kept (28x28 output)", edits=[
        (_SEED_MAP, "capacity * 7 * 7"), (_SEED_VIEW, "self.capacity, 7, 7)"), (_PIXEL_BIAS, "torch.zeros(3, 28, 28)")],
        earns={_GEN_T[0]: 2}, passes=_CRI_T),
    Mutant("p6_models", "three generator blocks instead of nine", edits=[("range(9)", "range(3)")],
           earns={_GEN_T[0]: 4.75}, passes=_CRI_T),
    Mutant("p6_models", "one output channel", edits=[
        ("nn.Conv2d(capacity, 3, 3,", "nn.Conv2d(capacity, 1, 3,"), (_PIXEL_BIAS, "torch.zeros(1, 32, 32)")],
        earns={_GEN_T[0]: 3.5}, passes=_CRI_T),
    Mutant("p6_models", "upsampling from a 16x16 map (x2)", edits=[
        (_SEED_MAP, "capacity * 16 * 16"), (_SEED_VIEW, "self.capacity, 16, 16)"),
        ("scale_factor=4", "scale_factor=2")],
        earns={_GEN_T[0]: 4.5}, passes=_CRI_T),
    Mutant("p6_models", "tanh output (pixels in (-1, 1))", edits=[("torch.sigmoid(", "torch.tanh(")],
           earns={_GEN_T[0]: 5.25}, passes=_CRI_T),
    Mutant("p6_models", "one per-pixel bias shared by the three channels", edits=[
        (_PIXEL_BIAS, "torch.zeros(1, 32, 32)")], earns={_GEN_T[0]: 4.5}, passes=_CRI_T),
    Mutant("p6_models", "BatchNorm left in the CIFAR critic", edits=_BN_ON, earns={_CRI_T[0]: 2.25}, passes=_GEN_T),
    Mutant("p6_models", "critic still reads one channel", edits=[("nn.Conv2d(3, capacity,", "nn.Conv2d(1, capacity,")],
           earns={_CRI_T[0]: 1.5}, passes=_GEN_T),
    Mutant("p6_models", "critic's first block with stride 2", edits=[("stride=4", "stride=2")],
           earns={_CRI_T[0]: 3.25}, passes=_GEN_T),
    Mutant("p6_models", "correct variant: upsample to a fixed size, mean pooling in the critic", edits=[
        ("scale_factor=4", "size=(32, 32)"), ("h.sum(dim=(2, 3))", "h.mean(dim=(2, 3))")], passes=_GEN_T + _CRI_T),
    Mutant("p6_schedule", "cut one epoch late", edits=[("epoch < cut_epoch", "epoch <= cut_epoch")],
           earns={_SCHED_T: 1.75}),
    Mutant("p6_schedule", "cut hard-coded at 80", edits=[("epoch < cut_epoch", "epoch < 80")], earns={_SCHED_T: 2.5}),
    Mutant("p6_schedule", "rates hard-coded (lr and lr_low ignored)", edits=[
        ("lr if epoch < cut_epoch else lr_low", "3e-4 if epoch < cut_epoch else 3e-5")], earns={_SCHED_T: 3.25}),
    Mutant("p6_schedule", "correct variant: MultiStepLR arithmetic", '''
def lr_at_epoch(epoch, cut_epoch=80, lr=3e-4, lr_low=3e-5):
    return lr * (lr_low / lr) ** int(epoch >= cut_epoch)
''', passes=["p6_schedule_tests"]),
]

# Generated mutants (benchmarks/mutation_kill_rates.py, docs/mutation.md) that survive because they change
# nothing a grade should notice: {answer: {label: why}}.
EQUIVALENT_MUTANTS = {
    "p3_costs": {
        "L11 args: `ot.dist(x, y, metric='euclidean')` -> `ot.dist(y, x, metric='euclidean')` (first two arguments "
        "swapped)":
            "the swapped call gives the transposed cost matrix; with the same uniform weights on both sides, "
            "transposing a plan maps the couplings of one problem onto those of the other at the same cost, so "
            "the exact EMD is the same number",
    },
    "p4_linprog": {
        "L12 constant: `1` -> `2` (1 -> 2)":
            "`C.reshape(-1)` -> `C.reshape(-2)`: numpy (2.x) takes any negative size as the one to infer, so the "
            "cost vector is the same",
    },
    "p5_critic": {
        "L7 constant: `3` -> `4` (3 -> 4)":
            "the embedding conv's kernel 3 -> 4: the statement leaves the embedding's kernel free; the map is "
            "27 x 27, the stride-4 block makes it 7 x 7 and the spatial sum feeds the head as before",
        "L7 constant: `1` -> `2` (1 -> 2)":
            "the embedding conv's padding 1 -> 2 (its input-channel 1 -> 2 is killed: MNIST has one channel): the "
            "statement leaves the padding free; the map is 30 x 30, 8 x 8 after the stride-4 block, and the "
            "spatial sum makes the head independent of the size",
    },
    "p6_models": {
        "L8 constant: `False` -> `True` (False -> True)":
            "a bias in the seed's linear map, which BatchNorm follows: BatchNorm subtracts each channel's mean, "
            "so the bias cancels (the given generator leaves it out for that reason)",
        "L13 constant: `False` -> `True` (False -> True)":
            "a bias in the conv after upsampling, which BatchNorm follows: it cancels as above",
        "L15 constant: `False` -> `True` (False -> True)":
            "a per-channel bias in the last conv next to the learned per-pixel bias, which already contains "
            "every per-channel constant: the same set of generators",
        "L23 arith: `self.to_image(h) + self.pixel_bias` -> `self.to_image(h) - self.pixel_bias` (+ -> -)":
            "the learned per-pixel bias starts at zero and enters with the opposite sign: the same generators, "
            "trained with b -> -b",
        "L30 constant: `128` -> `129` (128 -> 129)":
            "the CIFAR critic's default capacity: the tests and the training cell always pass capacity",
        "L33 constant: `3` -> `4` (3 -> 4)":
            "the CIFAR critic's embedding kernel 3 -> 4 (its input channels 3 -> 4 is killed): the statement leaves "
            "the embedding free, and the spatial sum makes the head independent of the 31 x 31 map",
        "L33 constant: `1` -> `2` (1 -> 2)":
            "the CIFAR critic's embedding padding 1 -> 2: free as above (34 x 34, 9 x 9 after the stride-4 block)",
        # Not the same function, but not what P6(a) grades (the changes the new data need: channels, seed map,
        # nine blocks, per-pixel bias); counted apart in docs/mutation.md.
        "L12 constant: `False` -> `True` (False -> True)":
            "(a harmless deviation, not an equivalent) bilinear x4 upsampling with align_corners=True instead of "
            "the given generator's False: a slightly different interpolation grid, still 8 x 8 -> 32 x 32",
        "L11 args: `nn.Sequential(nn.Upsample(scale_factor=4, mode='bilinear'...` -> `nn.Sequential(nn.Conv2d("
        "capacity, capacity, 3, padding=1,...` (first two arguments swapped)":
            "(a harmless deviation, not an equivalent) the 3 x 3 conv before the x4 upsampling instead of after: "
            "a cheaper variant of the given block, same shapes, still trainable",
    },
}

# labels the demo's partly-wrong submission uses
PARTIAL = [
    "optimal critic inverted (q/p)",
    "squared Euclidean ground cost (ot.dist default)",
    "penalty on real instead of interpolated points",
    "BatchNorm left in the critic",
    "cut one epoch late",
]


# --------------------------------------------------------------- artifacts
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
GENUINE_SAMPLES = FIXTURES / "hw2_genuine_samples_100.pt"

# Files the reference needs next to the notebook for every graded cell to pass ({file name: writer(folder)});
# tests/test_proofs.py and tests/test_hw2_wgangp.py use them.
PROOF_ARTIFACTS = {SAMPLES_FILE: fixture_copier(GENUINE_SAMPLES, SAMPLES_FILE)}
ARTIFACT_TESTS = ["p5_mnist_samples_tests"]
