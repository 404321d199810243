"""hw5_explicit's proofs and the constants its tests and benchmarks read (tests/authoring/test_proofs.py -k hw5).

Each Mutant names the answer cell it replaces and what it still earns in each test cell, or which
cells it passes; the statements, solutions and tests are the percent files beside this module.
"""
from __future__ import annotations

from pathlib import Path

from dgmlab.authoring import fixture_copier
from dgmlab.authoring.proofs import Mutant

from . import name_mutants, student_mutants
from .equivalent_mutants import EQUIVALENT_MUTANTS  # noqa: F401 - the builder's, with MUTANTS and PARTIAL

HW = "hw5_explicit"
# The files a full-mode run writes in the homework folder and two artifact cells grade (docs/hw5_explicit.md):
# the trained models' state dicts in float16 (dgmlab.artifacts.save_weights).
P1_WEIGHTS_FILE = "p1_pixelcnn_weights.pt"   # PixelCNN() (64 channels, 5 layers of 7x7): ~2.0 MB
P2_WEIGHTS_FILE = "p2_realnvp_weights.pt"    # RealNVP(784, 256, 6): ~11.3 MB
# The PixelCNN's grading-set NLL (first 100 shipped test digits, nats) of the GPU calibration run's final
# checkpoint (tests/fixtures/hw5_genuine_pixelcnn_64_f16.pt) and of its epoch-1 one (hw5_early_pixelcnn_64_f16.pt).
P1_CALIBRATED_STEP, P1_CALIBRATED_NLL = 4680, 61.52
P1_EARLY_STEP, P1_EARLY_NLL = 468, 69.50


# ---------------------------------------------------------------------- reference code
# The source notebook's cells whose reference code the tests and benchmarks run outside the notebook
# (dgmlab.authoring.reference: each item names a grade id or a function or class the cell defines).
REFERENCE_NOTEBOOK = Path(__file__).resolve().parents[2] / "source" / HW / f"{HW}.ipynb"
REFERENCE_CELLS = ("imports", "p1_masked_conv", "p1_model", "p1_nll", "p1_inpaint", "p2_logit", "p2_coupling",
                   "p2_mask_helper", "p2_realnvp", "p2_log_prob", "p2_bpd")


def reference_namespace(cells=REFERENCE_CELLS) -> dict:
    """Run ``cells`` of the source notebook (default: the answers of P1 and P2) in a fresh namespace; return it
    (PixelCNN, bernoulli_nll, RealNVP, ...)."""
    from dgmlab.authoring.reference import reference_namespace as run_cells

    return run_cells(REFERENCE_NOTEBOOK, list(cells))


# ====================================================================== proofs
# Every graded cell gives points per test, so a wrong answer states in earns= the points it still gets:
# those of the tests its mistake leaves passing (tests/authoring/test_proofs.py checks the exact number); the
# blank stubs earn 0 and the correct variants every point (passes=).
MUTANTS = [
    Mutant("q1_discriminative", "prior P(z) ignored", edits=[("joint = decodes * prior_z.to(p_y_given_z.dtype)", "joint = decodes")],
           earns={"q1_discriminative_tests": 0.75}),
    Mutant("q1_discriminative", "not normalised by P(x)", edits=[("unnormalised / safe", "unnormalised")], earns={"q1_discriminative_tests": 0.5}),
    Mutant("q1_discriminative", "NaN for an x no latent decodes to", edits=[("return torch.where(evidence > 0, unnormalised / safe, torch.full_like(unnormalised, 1.0 / C))", "return unnormalised / evidence")], earns={"q1_discriminative_tests": 1.25}),
    # uniform where P(x) = 0, but divided by P(x) itself: torch.where sends NaN back from the branch it does not take
    Mutant("q1_discriminative", "NaN gradient through the unreachable x's 0/0", edits=[
        ("unnormalised / safe", "unnormalised / evidence")], earns={"q1_discriminative_tests": 1.75}),
    # an answer that knows nothing (tests/probes/test_nothing_installed_answers_a_cell.py): the table handed back
    # earned 0.75 (its row 0 is the zero-prior case's answer, and it has a gradient) until the shapes were checked
    Mutant("q1_discriminative", "hands p_y_given_z back", "def discriminative_posterior(p_y_given_z, F_table, prior_z, x):\n    return p_y_given_z",
           earns={"q1_discriminative_tests": 0}),
    # issue 54 finding 4: a posterior without a gradient earns nothing, as the statement says (was 1.75)
    Mutant("q1_discriminative", "posterior built from detached probabilities", edits=[("unnormalised = joint @ p_y_given_z", "unnormalised = joint @ p_y_given_z.detach()")],
           earns={"q1_discriminative_tests": 0}),
    Mutant("q1_discriminative", "correct variant: explicit loop over data points", r'''
def discriminative_posterior(p_y_given_z, F_table, prior_z, x):
    rows = []
    C = p_y_given_z.shape[1]
    for xn in x.tolist():
        sel = F_table == xn
        if not bool(sel.any()):
            rows.append(torch.full((C,), 1.0 / C, dtype=p_y_given_z.dtype))
            continue
        w = prior_z[sel].to(p_y_given_z.dtype)
        rows.append((w[:, None] * p_y_given_z[sel]).sum(0) / w.sum())
    return torch.stack(rows)
''', passes=["q1_discriminative_tests"]),
    Mutant("q1_generative", "class prior P(y) ignored", edits=[("joint = likelihood * prior_y.to(p_z_given_y.dtype)", "joint = likelihood")],
           earns={"q1_generative_tests": 0.75}),
    Mutant("q1_generative", "not normalised over y", edits=[("joint / safe", "joint")], earns={"q1_generative_tests": 0.5}),
    Mutant("q1_generative", "NaN for an x no latent decodes to", edits=[("return torch.where(evidence > 0, joint / safe, torch.full_like(joint, 1.0 / C))", "return joint / evidence")], earns={"q1_generative_tests": 0.5}),
    # student s60: the classes' likelihood columns reversed kept every visible point (1.25) until the zero-prior case
    # was compared with Bayes' rule; its hint names the reversal
    Mutant("q1_generative", "classes' likelihood columns reversed (indexing slip)", edits=[("likelihood = decodes @ p_z_given_y.T", "likelihood = decodes @ p_z_given_y.T.flip(1)")],
           earns={"q1_generative_tests": 0.75}),
    Mutant("q1_generative", "hands p_z_given_y back", "def generative_posterior(p_z_given_y, F_table, prior_y, x):\n    return p_z_given_y",
           earns={"q1_generative_tests": 0}),
    # issue 54 finding 4: a posterior without a gradient earns nothing, as the statement says (was 1.75)
    Mutant("q1_generative", "likelihood built from detached probabilities", edits=[("likelihood = decodes @ p_z_given_y.T", "likelihood = decodes @ p_z_given_y.detach().T")],
           earns={"q1_generative_tests": 0}),
    # issue 54 (student54's mistake 2): right values, computed in numpy and rebuilt as a tensor (was 1.75 of 2, with
    # a raw RuntimeError as the only hint)
    Mutant("q1_generative", "computed in numpy, returned as a new tensor", r'''
def generative_posterior(p_z_given_y, F_table, prior_y, x):
    P, Fn, py, xn = p_z_given_y.detach().numpy(), F_table.numpy(), prior_y.numpy(), x.numpy()
    C = P.shape[0]
    out = np.zeros((len(xn), C))
    for n, xv in enumerate(xn):
        lik = P[:, Fn == xv].sum(1) * py
        out[n] = lik / lik.sum() if lik.sum() > 0 else np.full(C, 1.0 / C)
    return torch.tensor(out, dtype=p_z_given_y.dtype)
''', earns={"q1_generative_tests": 0}),
    Mutant("q1_steps", "sum instead of mean over the data set", edits=[("loss = -torch.log(Q[torch.arange(len(y)), y]).mean()", "loss = -torch.log(Q[torch.arange(len(y)), y]).sum()")],
           earns={"q1_steps_tests": 1.5}),
    Mutant("q1_steps", "gradient ascent in the generative step", edits=[("return (V - lr * V.grad).detach(), loss.item()", "return (V + lr * V.grad).detach(), loss.item()")],
           earns={"q1_steps_tests": 1}),
    Mutant("q1_steps", "generative model trained on the posterior Q'(y|x) instead of the likelihood", edits=[("likelihood = (decodes * p_z_given_y[y]).sum(dim=1)               # (n,): P_w(x_j | y_j)", "likelihood = generative_posterior(p_z_given_y, F_table, torch.full((V.shape[0],), 1.0 / V.shape[0], dtype=V.dtype), x)[torch.arange(len(y)), y]")],
           earns={"q1_steps_tests": 1.5}),
    # wrong but self-consistent (issue 45 item 5): gradient ascent on the stated loss, reported as descent on its
    # negative, so each step lowers the loss it reports; the grader's own cross-entropy (one-to-one world) rises
    Mutant("q1_steps", "loss sign flipped in the discriminative step: ascends the stated loss (self-consistent)", edits=[
        ("loss = -torch.log(Q[torch.arange(len(y)), y]).mean()", "loss = torch.log(Q[torch.arange(len(y)), y]).mean()")],
        earns={"q1_steps_tests": 1}),
    Mutant("q1_steps", "returns the parameter tensor still attached to the graph", edits=[("return (W - lr * W.grad).detach(), loss.item()", "return W - lr * W.grad, loss.item()")],
           earns={"q1_steps_tests": 1.75}),
    Mutant("q1_steps", "prior P(z) dropped in the discriminative step", edits=[("Q = discriminative_posterior(torch.softmax(W, dim=1), F_table, prior_z, x)", "Q = discriminative_posterior(torch.softmax(W, dim=1), F_table, torch.ones_like(prior_z), x)")],
           earns={"q1_steps_tests": 1.75}),
    # the learning rate left out (W - dL/dW): the move does not double with lr (a visible test since the corpus)
    Mutant("q1_steps", "learning rate ignored in the discriminative step", edits=[
        ("return (W - lr * W.grad).detach(), loss.item()", "return (W - W.grad).detach(), loss.item()")],
        earns={"q1_steps_tests": 1.5}),
    Mutant("q2_density", "Jacobian factor missing", "def flow_density(q, f):\n    return q.subs(z_sym, f)",
           earns={"q2_density_tests": 0.25}),
    Mutant("q2_density", "divides by f' (lecture direction confused)",
           "def flow_density(q, f):\n    return q.subs(z_sym, f) / sp.diff(f, x_sym)", earns={"q2_density_tests": 0.25}),
    Mutant("q2_density", "correct variant: absolute value of f'",
           "def flow_density(q, f):\n    return q.subs(z_sym, f) * sp.Abs(sp.diff(f, x_sym))", passes=["q2_density_tests"]),
    Mutant("q2_density", "correct variant: sp.simplify of the substituted density",
           "def flow_density(q, f):\n    return sp.simplify(q.subs(z_sym, f) * sp.diff(f, x_sym))",
           passes=["q2_density_tests"]),
    # an answer that knows nothing: f handed back is an expression in x (it earned 0.25); a density is nowhere negative
    Mutant("q2_density", "hands f back", "def flow_density(q, f):\n    return f", earns={"q2_density_tests": 0}),
    Mutant("q2_risk", "log-det sign flipped", "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -(log_q(z) - ld).mean()",
           earns={"q2_risk_tests": 1.25}),
    Mutant("q2_risk", "log-det dropped", "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -log_q(z).mean()",
           earns={"q2_risk_tests": 1.25}),
    Mutant("q2_risk", "sum instead of mean", "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -(log_q(z) + ld).sum()",
           earns={"q2_risk_tests": 0.5}),
    Mutant("q2_risk", "risk rebuilt as a new tensor (graph cut)",
           "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return torch.tensor(float(-(log_q(z) + ld).mean()))",
           earns={"q2_risk_tests": 1.75}),
    # the latent density read at the data: a flow that sends the batch to z = 0 shows it (visible since the corpus)
    Mutant("q2_risk", "log_q read at x, not at the latent z = f(x)",
           "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -(log_q(x) + ld).mean()",
           earns={"q2_risk_tests": 2}),
    Mutant("q2_risk", "correct variant: explicit division by n",
           "def flow_empirical_risk(flow, log_q, x):\n    z, ld = flow(x)\n    return -torch.sum(log_q(z) + ld) / x.shape[0]",
           passes=["q2_risk_tests"]),
    Mutant("q3_divergences", "KL in the reverse direction", edits=[("return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))", "return b * sp.log(b / a) + (1 - b) * sp.log((1 - b) / (1 - a))")],
           earns={"q3_kl_tests": 0.25}),
    Mutant("q3_divergences", "JS without the 1/2 weights", edits=[("return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return kl_bernoulli(a, m) + kl_bernoulli(b, m)")],
           earns={"q3_js_tests": 1}),
    # issue 54: JS in bits (its KL in nats) kept every visible point; the bounds check TV^2/2 <= JS <= TV log 2 sees it
    Mutant("q3_divergences", "JS in bits (log base 2), KL in nats", edits=[("return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2 / sp.log(2)")],
           earns={"q3_js_tests": 1}),
    Mutant("q3_divergences", "JS as the symmetrised KL", edits=[("return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return (kl_bernoulli(a, b) + kl_bernoulli(b, a)) / 2")],
           earns={"q3_js_tests": 1}),
    Mutant("q3_divergences", "log base 2", edits=[("return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))", "return a * sp.log(a / b, 2) + (1 - a) * sp.log((1 - a) / (1 - b), 2)")],
           earns={"q3_kl_tests": 0.25, "q3_js_tests": 1}),
    Mutant("q3_divergences", "only the first KL term of JS", edits=[("return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return kl_bernoulli(a, m)")],
           earns={"q3_js_tests": 1}),
    # student s60: the mixture without its 1/2 takes the log of a negative number; the hint says so (it was a raw
    # "TypeError: Cannot convert complex to float")
    Mutant("q3_divergences", "mixture M = a + b, without its 1/2", edits=[("m = (a + b) / 2", "m = a + b")],
           earns={"q3_js_tests": 0.25}),
    # an answer that knows nothing: JS = 0 everywhere earned 0.25 (the hidden bounds check allowed 0)
    Mutant("q3_divergences", "JS 0 everywhere", edits=[("return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return sp.Integer(0)")],
           earns={"q3_js_tests": 0}),
    Mutant("q3_divergences", "KL helper reversed, kl_PQ rescued by swapping its call", edits=[("return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))", "return b * sp.log(b / a) + (1 - b) * sp.log((1 - b) / (1 - a))"), ("kl_PQ = kl_bernoulli(theta, sp.Rational(3, 10))", "kl_PQ = kl_bernoulli(sp.Rational(3, 10), theta)")],
           # its kl_bernoulli(a, b) is D_KL(Bern(b) || Bern(a)): out of the visible bounds check's range (1.5 -> 1.25)
           earns={"q3_kl_tests": 1.25, "q3_js_tests": 1}),
    # wrong but self-consistent (issue 45 item 5): the reference theta* cell then finds 0.7, the minimiser of these
    # kl_PQ and js_PQ
    Mutant("q3_divergences", "Q read as Bern(0.7): kl_PQ and js_PQ, and so theta*, for 0.7 (self-consistent)", edits=[
        ("kl_PQ = kl_bernoulli(theta, sp.Rational(3, 10))", "kl_PQ = kl_bernoulli(theta, sp.Rational(7, 10))"),
        ("js_PQ = js_bernoulli(theta, sp.Rational(3, 10))", "js_PQ = js_bernoulli(theta, sp.Rational(7, 10))")],
        # theta* minimises its own kl_PQ and js_PQ, which the visible check reads (the kit ships no 0.3), and its
        # divergence_minimiser is right: only the hidden theta* = 0.3 tests fail, 1.5 of 2
        earns={"q3_kl_tests": 1.5, "q3_js_tests": 2.5, "q3_theta_star_tests": 1.5}),
    Mutant("q3_divergences", "correct variant: sums over outcomes", r'''
def kl_bernoulli(a, b):
    p, q = [sp.sympify(a), 1 - sp.sympify(a)], [sp.sympify(b), 1 - sp.sympify(b)]
    return sum(pi * sp.log(pi / qi) for pi, qi in zip(p, q))


def js_bernoulli(a, b):
    a, b = sp.sympify(a), sp.sympify(b)
    return sp.Rational(1, 2) * kl_bernoulli(a, (a + b) / 2) + sp.Rational(1, 2) * kl_bernoulli(b, (a + b) / 2)


kl_PQ = kl_bernoulli(theta, sp.Rational(3, 10))
js_PQ = js_bernoulli(theta, sp.Rational(3, 10))
''', passes=["q3_kl_tests", "q3_js_tests"]),
    Mutant("q3_divergences", "correct variant: logs expanded, the JS simplified by sympy", edits=[
        ("return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))",
         "return sp.expand_log(a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b)), force=True)"),
        ("return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2", "return sp.simplify((kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2)")],
        passes=["q3_kl_tests", "q3_js_tests"]),
    # Q = Bern(0.3) in the statement: a minimiser typed from it fails on the other divergences of the check
    Mutant("q3_theta_star", "0.3 typed, read off the statement", edits=[(
        """    f = sp.lambdify(theta, divergence)
    return float(minimize_scalar(f, bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10}).x)""",
        "    return 0.3")], earns={"q3_theta_star_tests": 1}),
    Mutant("q3_theta_star", "complement 1 - 0.3", edits=[(
        """    f = sp.lambdify(theta, divergence)
    return float(minimize_scalar(f, bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10}).x)""",
        "    return 0.7")], earns={"q3_theta_star_tests": 0.25}),
    # issue 54: 0.31 for 0.3 kept every visible point; the minimiser check compares with the student's own divergences
    # a step of 0.002 either side
    Mutant("q3_theta_star", "0.31 typed for the minimiser 0.3", edits=[(
        """    f = sp.lambdify(theta, divergence)
    return float(minimize_scalar(f, bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10}).x)""",
        "    return 0.31")], earns={"q3_theta_star_tests": 0.25}),
    Mutant("q3_theta_star", "the KL's minimiser for every divergence", edits=[(
        "    f = sp.lambdify(theta, divergence)", "    f = sp.lambdify(theta, kl_PQ)")],
        earns={"q3_theta_star_tests": 1}),
    Mutant("q3_theta_star", "grid argmax instead of argmin", edits=[(
        """    f = sp.lambdify(theta, divergence)
    return float(minimize_scalar(f, bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10}).x)""",
        """    grid = np.linspace(0.01, 0.99, 99)
    return float(grid[np.argmax(sp.lambdify(theta, divergence, "numpy")(grid))])""")],
        earns={"q3_theta_star_tests": 0.25}),
    Mutant("q3_theta_star", "grid search with step 0.1", edits=[(
        """    f = sp.lambdify(theta, divergence)
    return float(minimize_scalar(f, bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10}).x)""",
        """    grid = np.linspace(0.05, 0.95, 10)
    return float(grid[np.argmin(sp.lambdify(theta, divergence, "numpy")(grid))])""")],
        earns={"q3_theta_star_tests": 0.25}),
    Mutant("q3_theta_star", "correct variant: the stationary point by sp.solve", edits=[(
        """    f = sp.lambdify(theta, divergence)
    return float(minimize_scalar(f, bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10}).x)""",
        """    roots = [r for r in sp.solve(sp.diff(divergence, theta), theta) if r.is_real and 0 < r < 1]
    return float(min(roots, key=lambda r: float(divergence.subs(theta, r))))""")],
        passes=["q3_theta_star_tests"]),
    Mutant("q3_theta_star", "correct variant: a looser bounded search", edits=[(
        'bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10}',
        'bounds=(1e-4, 1 - 1e-4), method="bounded"')], passes=["q3_theta_star_tests"]),
    # Q4 asks for the student's own torch functions, which autograd differentiates: every value counts only with its
    # graph, so dgmlab.metrics' numpy functions (no gradient) earn nothing, and each gradient is checked too
    Mutant("q4_stats", "biased covariance (divides by n)", edits=[("cov = centred.T @ centred / (f.shape[0] - 1)", "cov = centred.T @ centred / f.shape[0]")],
           earns={"q4_stats_tests": 0.5}),
    Mutant("q4_stats", "covariance of the transposed data", edits=[("cov = centred.T @ centred / (f.shape[0] - 1)", "cov = torch.cov(f)")], earns={"q4_stats_tests": 0}),
    # the statement asks for float64 whatever the input: the visible shape check reads float32 features too
    Mutant("q4_stats", "torch input kept in float32", edits=[("f = features.to(torch.float64)", "f = features")], earns={"q4_stats_tests": 1.25}),
    Mutant("q4_stats", "wraps dgmlab.metrics.gaussian_stats (no gradient)", r"""
from dgmlab import metrics
def feature_statistics(features):
    mu, cov = metrics.gaussian_stats(features.detach().numpy())
    return torch.from_numpy(mu), torch.from_numpy(cov)
""", earns={"q4_stats_tests": 0}),
    # issue 54: the statistics through numpy, detached (the statement forbids it), kept every visible point
    Mutant("q4_stats", "statistics computed through numpy (detached)", r"""
def feature_statistics(features):
    f = features.detach().double().numpy()
    return torch.from_numpy(f.mean(axis=0)), torch.from_numpy(np.cov(f, rowvar=False))
""", earns={"q4_stats_tests": 0}),
    Mutant("q4_stats", "correct variant: torch.cov",
           "def feature_statistics(features):\n    f = features.double()\n    return f.mean(0), torch.cov(f.T)",
           passes=["q4_stats_tests"]),
    Mutant("q4_frechet", "square root through the complex eigenvalues of the product, complex result kept", r"""
def frechet_gaussian(mu1, cov1, mu2, cov2):
    diff = mu1 - mu2
    tr_sqrt = torch.linalg.eigvals(cov1 @ cov2).sqrt().sum()
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt
""", earns={"q4_frechet_tests": 1.5}),
    Mutant("q4_frechet", "elementwise square root of the product", edits=[("tr_sqrt = torch.sqrt(torch.clamp(torch.linalg.eigvalsh((middle + middle.T) / 2), min=0)).sum()", "tr_sqrt = torch.trace(torch.sqrt(torch.abs(cov1 @ cov2)))")], earns={"q4_frechet_tests": 2.25}),
    # issue 54: no clamp of the round-off negative eigenvalues: NaN for nearly singular covariances
    Mutant("q4_frechet", "no eigenvalue clamp (NaN for nearly singular covariances)", edits=[
           ("root1 = (v * torch.sqrt(torch.clamp(w, min=0))) @ v.T", "root1 = (v * torch.sqrt(w)) @ v.T"),
           ("tr_sqrt = torch.sqrt(torch.clamp(torch.linalg.eigvalsh((middle + middle.T) / 2), min=0)).sum()",
            "tr_sqrt = torch.sqrt(torch.linalg.eigvalsh((middle + middle.T) / 2)).sum()")],
           earns={"q4_frechet_tests": 3.5}),
    Mutant("q4_frechet", "missing the factor 2 on the cross term", edits=[("- 2 * tr_sqrt", "- tr_sqrt")], earns={"q4_frechet_tests": 0.25}),
    # an answer that knows nothing: a zero tensor on the inputs' graph earned 0.5 (zero for identical Gaussians)
    Mutant("q4_frechet", "a zero tensor on the inputs' graph", "def frechet_gaussian(mu1, cov1, mu2, cov2):\n    return (mu1 * 0).sum() + (cov1 * 0).sum()",
           earns={"q4_frechet_tests": 0}),
    # student s60: tr (C1 C2)^(1/2) is the sum of the square roots of the eigenvalues of C1 C2 (real and non-negative
    # for covariances), so the complex eigvals with .real taken is right
    Mutant("q4_frechet", "correct variant: square roots of the complex eigenvalues of C1 C2, real part", r"""
def frechet_gaussian(mu1, cov1, mu2, cov2):
    diff = mu1 - mu2
    tr_sqrt = torch.sqrt(torch.linalg.eigvals(cov1 @ cov2)).sum().real
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt
""", passes=["q4_frechet_tests"]),
    # issue 54 finding 5: the cross term through scipy.linalg.sqrtm on .numpy() (the rest in torch) has a graph but no
    # gradient for that term; a value without a gradient earns nothing, as the statement says (was 3.5 of 4)
    Mutant("q4_frechet", "cross term through scipy.linalg.sqrtm on .numpy() (no gradient there)", r"""
import scipy.linalg
def frechet_gaussian(mu1, cov1, mu2, cov2):
    s = scipy.linalg.sqrtm(cov1.detach().numpy() @ cov2.detach().numpy()).real
    return ((mu1 - mu2) ** 2).sum() + torch.trace(cov1 + cov2) - 2 * torch.tensor(np.trace(s))
""", earns={"q4_frechet_tests": 0}),
    Mutant("q4_frechet", "mean distance not squared", edits=[("return diff @ diff +", "return torch.sqrt(diff @ diff) +")], earns={"q4_frechet_tests": 1.25}),
    Mutant("q4_frechet", "wraps dgmlab.metrics.frechet_distance (no gradient)", r"""
from dgmlab import metrics
def frechet_gaussian(mu1, cov1, mu2, cov2):
    value = metrics.frechet_distance(*(t.detach().numpy() for t in (mu1, cov1, mu2, cov2)))
    return torch.tensor(value, dtype=torch.float64)
""", earns={"q4_frechet_tests": 0}),
    Mutant("q4_frechet", "correct variant: nuclear norm of the product of the two square roots", r"""
def _psd_root(c):
    w, v = torch.linalg.eigh((c + c.T) / 2)
    return (v * torch.sqrt(torch.clamp(w, min=0))) @ v.T


def frechet_gaussian(mu1, cov1, mu2, cov2):
    diff = mu1 - mu2
    tr_sqrt = torch.linalg.matrix_norm(_psd_root(cov1) @ _psd_root(cov2), ord="nuc")
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt
""", passes=["q4_frechet_tests"]),
    Mutant("p1_masked_conv", "mask A and B swapped", edits=[('mask[c, c + (1 if mask_type == "B" else 0):] = 0', 'mask[c, c + (1 if mask_type == "A" else 0):] = 0')],
           # the model inherits the swap (its last 1x1 layer, built with mask A, outputs its bias only: constant
           # logits, which the causality check finds causal, .5); p1_weights_tests (3 of 3 with the genuine weights)
           # no longer depends on this class: the grader loads the handed-in file into the kit's own PixelCNN
           earns={"p1_masked_conv_tests": 0, "p1_model_tests": 0.5}),
    Mutant("p1_masked_conv", "centre pixel left in mask A", edits=[('mask[c, c + (1 if mask_type == "B" else 0):] = 0', "mask[c, c + 1:] = 0")],
           earns={"p1_masked_conv_tests": 2}),
    # issue 54 item 2: a layer training cannot change (its output computed outside autograd)
    Mutant("p1_masked_conv", "forward outside autograd (no gradient reaches the weights)", edits=[("return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)", "return F.conv2d(x, (self.weight * self.mask).detach(), self.bias.detach(), padding=self.padding)")],
           earns={"p1_masked_conv_tests": 4, "p1_model_tests": 4}),
    Mutant("p1_masked_conv", "mask applied once at construction only", edits=[
           ('self.register_buffer("mask", mask[None, None])',
            'self.register_buffer("mask", mask[None, None])\n        with torch.no_grad():\n            self.weight.mul_(self.mask)'),
           ("return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)", "return super().forward(x)")],
           earns={"p1_masked_conv_tests": 0}),
    Mutant("p1_masked_conv", "rows below the centre left open", edits=[("mask[c + 1:, :] = 0 ", "pass  ")], earns={"p1_masked_conv_tests": 0}),
    Mutant("p1_masked_conv", "centre hard-coded for a 3x3 kernel", edits=[("k, c = kernel_size, kernel_size // 2", "k, c = kernel_size, 1")], earns={"p1_masked_conv_tests": 0}),
    Mutant("p1_masked_conv", "only the first input channel masked", edits=[("return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)", "w = self.weight.clone()\n        w[:, :1] = w[:, :1] * self.mask[:, :1]\n"
           "        return F.conv2d(x, w, self.bias, padding=self.padding)")], earns={"p1_masked_conv_tests": 0}),
    Mutant("p1_masked_conv", "correct variant: weight masked through a hook-free multiply of a full-shape mask", edits=[('self.register_buffer("mask", mask[None, None])', 'self.register_buffer("mask", mask.expand(out_channels, in_channels, k, k).clone())')],
           passes=["p1_masked_conv_tests", "p1_model_tests"]),
    Mutant("p1_model", "mask B in the first layer", edits=[('layers = [MaskedConv2d("A", 1, channels, 7), nn.ReLU()]', 'layers = [MaskedConv2d("B", 1, channels, 7), nn.ReLU()]')],
           # the visible stack checks' taps sit above the centre row, where masks A and B agree (2); the visible
           # causality check sees the first layer read its own pixel
           earns={"p1_model_tests": 2}),
    Mutant("p1_model", "plain convolution in the hidden layers", edits=[('layers += [MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]', 'layers += [nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2), nn.ReLU()]')],
           earns={"p1_model_tests": 1}),  # issue 62: their masks missing from the state dict cost the small stack's 1
    # causal (only blind), so it keeps the visible causality check's .5
    Mutant("p1_model", "forward outside autograd (no gradient reaches the layers)", edits=[("return self.net(x)", "return self.net(x).detach()")],
           earns={"p1_model_tests": 4}),
    Mutant("p1_model", "mask A in every layer (blind to the pixel just before)", edits=[('layers += [MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]', 'layers += [MaskedConv2d("A", channels, channels, kernel_size), nn.ReLU()]')],
           earns={"p1_model_tests": 2.5}),
    Mutant("p1_model", "n_layers ignored: no hidden layers (found by a generated mutant)", edits=[('layers += [MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]', "pass")],
           earns={"p1_model_tests": 0.5}),  # causal
    Mutant("p1_model", "correct variant: layers appended to self.net one by one, applied in a loop", r'''
class PixelCNN(nn.Module):
    def __init__(self, channels=64, n_layers=5, kernel_size=7):
        super().__init__()
        self.net = nn.Sequential()
        self.net.append(MaskedConv2d("A", 1, channels, 7))
        self.net.append(nn.ReLU())
        for _ in range(n_layers):
            self.net.extend([MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()])
        self.net.append(MaskedConv2d("B", channels, 1, 1))

    def forward(self, x):
        for layer in self.net:
            x = layer(x)
        return x
''', passes=["p1_model_tests"]),
    # not the architecture the docstring states (h + relu(conv(h)) is not the stated stack): the grader's
    # parameters give other logits. It was a correct variant while the checks read gradients only
    Mutant("p1_model", "residual mask-B blocks instead of the stated stack", r'''
class _Res(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.conv = MaskedConv2d("B", c, c, k)

    def forward(self, h):
        return h + torch.relu(self.conv(h))


class PixelCNN(nn.Module):
    def __init__(self, channels=64, n_layers=5, kernel_size=7):
        super().__init__()
        self.first = MaskedConv2d("A", 1, channels, 7)
        self.blocks = nn.Sequential(*[_Res(channels, kernel_size) for _ in range(n_layers)])
        self.out = MaskedConv2d("B", channels, 1, 1)

    def forward(self, x):
        return self.out(self.blocks(torch.relu(self.first(x))))
''', earns={"p1_model_tests": 0.5}),  # causal
    Mutant("p1_nll", "mean over pixels instead of sum", edits=[(".flatten(1).sum(dim=1)", ".flatten(1).mean(dim=1)")],
           earns={"p1_nll_tests": 0.5}),
    Mutant("p1_nll", "log of sigmoid probabilities (overflows)", r'''
def bernoulli_nll(logits, x):
    p = torch.sigmoid(logits)
    return -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)
''', earns={"p1_nll_tests": 2.5}),
    Mutant("p1_nll", "log-likelihood instead of its negative", edits=[("return F.", "return -F.")],
           earns={"p1_nll_tests": 0.5}),
    Mutant("p1_nll", "correct variant: torch.distributions", r'''
def bernoulli_nll(logits, x):
    return -torch.distributions.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(1)
''', passes=["p1_nll_tests"]),
    Mutant("p1_inpaint", "inpainting overwrites visible pixels", edits=[("canvas[:, :, i, j] = torch.where(hidden, sample, canvas[:, :, i, j])", "canvas[:, :, i, j] = sample")],
           earns={"p1_inpaint_tests": 4.5}),
    Mutant("p1_inpaint", "all hidden pixels sampled from one forward pass", r'''
@torch.no_grad()
def inpaint(model, x, visible):
    canvas = torch.where(visible, x, torch.zeros_like(x))
    sample = torch.bernoulli(torch.sigmoid(model(canvas)))
    return torch.where(visible, x, sample)
''', earns={"p1_inpaint_tests": 3.5}),
    Mutant("p1_inpaint", "conditions on the true hidden pixels", edits=[
           ("canvas = torch.where(visible, x, torch.zeros_like(x))", "canvas = x.clone()"),
           ("p = torch.sigmoid(model(canvas)[:, :, i, j])", "p = torch.sigmoid(model(x)[:, :, i, j])")],
           earns={"p1_inpaint_tests": 3.5}),
    # issue 54: the canvas started from x (its hidden pixels included), the model then run on the canvas: with a
    # causal model the same samples, but the statement says the hidden pixels of x play no role
    Mutant("p1_inpaint", "canvas started from x, hidden pixels included", edits=[
           ("canvas = torch.where(visible, x, torch.zeros_like(x))", "canvas = x.clone()")],
           earns={"p1_inpaint_tests": 3.5}),
    # an answer that knows nothing (tests/probes/test_nothing_installed_answers_a_cell.py): x handed back kept every
    # visible pixel and earned 2 of 6 until the visible tests asked for a filled-in hidden pixel
    Mutant("p1_inpaint", "hands x back unchanged", r'''
@torch.no_grad()
def inpaint(model, x, visible):
    return x
''', earns={"p1_inpaint_tests": 0}),
    Mutant("p1_inpaint", "hands the mask back", r'''
@torch.no_grad()
def inpaint(model, x, visible):
    return visible
''', earns={"p1_inpaint_tests": 0}),
    Mutant("p1_inpaint", "thresholds instead of sampling", edits=[("sample = torch.bernoulli(p)", "sample = (p > 0.5).float()")], earns={"p1_inpaint_tests": 4.5}),
    # student s60: the logit taken as the probability got the threshold's hint; a second toy model (logit 0.4) tells
    # them apart, and the hint says the model gives logits
    Mutant("p1_inpaint", "logit clamped and used as the probability (no sigmoid)", edits=[("p = torch.sigmoid(model(canvas)[:, :, i, j])", "p = model(canvas)[:, :, i, j].clamp(0, 1)")],
           earns={"p1_inpaint_tests": 4.5}),
    Mutant("p1_inpaint", "torch.bernoulli on the raw logits", edits=[("p = torch.sigmoid(model(canvas)[:, :, i, j])", "p = model(canvas)[:, :, i, j]")],
           earns={"p1_inpaint_tests": 1.5}),  # the fair coin's logit 0 is a valid probability: those checks pass
    Mutant("p1_inpaint", "correct variant: hidden pixels start at 1/2, visits every pixel", r'''
@torch.no_grad()
def inpaint(model, x, visible):
    canvas = torch.where(visible, x, torch.full_like(x, 0.5))
    N, _, H, W = x.shape
    for t in range(H * W):
        i, j = divmod(t, W)
        s = torch.bernoulli(torch.sigmoid(model(canvas)[:, 0, i, j]))
        canvas[:, 0, i, j] = torch.where(visible[:, 0, i, j], canvas[:, 0, i, j], s)
    return canvas
''', passes=["p1_inpaint_tests"]),
    # wrong but self-consistent for log_prob_data's tiny case (issue 45 item 5): the reference log_prob_data adds this
    # log-det, which the tiny case used to expect; it now expects the printed transform's, so only the shape pays
    Mutant("p2_logit", "log-det sign flipped (logit)", edits=[("log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)", "log_det = -(math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)")],
           earns={"p2_logit_tests": 2.5, "p2_log_prob_tests": 0.5}),
    Mutant("p2_logit", "squashing factor 1 - 2 alpha left out of the log-det", edits=[("log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)", "log_det = (-torch.log(s) - torch.log1p(-s)).sum(dim=1)")], earns={"p2_logit_tests": 2.5}),
    Mutant("p2_logit", "inverse forgets to undo the squashing", edits=[("return (torch.sigmoid(v) - alpha) / (1 - 2 * alpha)", "return torch.sigmoid(v)")], earns={"p2_logit_tests": 3.25}),
    # wrong but self-consistent: each inverse undoes its transform and each log-det is log|dv/dy| of its own v;
    # only the dequantisation (right in both) earns its points
    Mutant("p2_logit", "identity transform, log-det 0, identity inverse (self-consistent)", edits=[
        ("v = torch.log(s) - torch.log1p(-s)", "v = y.clone()"),
        ("log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)",
         "log_det = torch.zeros(y.shape[0], dtype=y.dtype)"),
        ("return (torch.sigmoid(v) - alpha) / (1 - 2 * alpha)", "return v.clone()")], earns={"p2_logit_tests": 1}),
    Mutant("p2_logit", "alpha dropped everywhere: logit(y), its log-det and sigmoid (self-consistent)", edits=[
        ("s = alpha + (1 - 2 * alpha) * y", "s = y"),
        ("log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)",
         "log_det = (-torch.log(s) - torch.log1p(-s)).sum(dim=1)"),
        ("return (torch.sigmoid(v) - alpha) / (1 - 2 * alpha)", "return torch.sigmoid(v)")], earns={"p2_logit_tests": 1}),
    # the docstring states u ~ Uniform[0, 1) per pixel: the visible bin check also asks for fresh noise
    Mutant("p2_logit", "dequantisation without noise", edits=[("return (torch.round(x * 255) + torch.rand_like(x)) / 256", "return (torch.round(x * 255) + 0.5) / 256")],
           earns={"p2_logit_tests": 3}),
    Mutant("p2_logit", "correct variant: log-det via softplus", edits=[("log_det = (math.log(1 - 2 * alpha) - torch.log(s) - torch.log1p(-s)).sum(dim=1)", "log_det = (math.log(1 - 2 * alpha) + F.softplus(v) + F.softplus(-v)).sum(dim=1)")],
           passes=["p2_logit_tests"]),
    Mutant("p2_coupling", "log-det sign flipped (coupling)", edits=[("return z, s.sum(dim=1)", "return z, -s.sum(dim=1)")],
           # the flow inherits the sign; p2_weights_tests (3 of 3 with the genuine weights) no longer depends on this
           # class: the grader loads the handed-in file into the kit's own RealNVP
           earns={"p2_coupling_tests": 3.25, "p2_realnvp_tests": 3}),
    Mutant("p2_coupling", "forward outside autograd (no gradient reaches s_net and t_net)", edits=[("z = x * m + (1 - m) * (x * torch.exp(s) + t)\n        return z, s.sum(dim=1)", "z = x * m + (1 - m) * (x * torch.exp(s) + t)\n        return z.detach(), s.sum(dim=1).detach()")],
           earns={"p2_coupling_tests": 3.5, "p2_realnvp_tests": 3.75}),
    Mutant("p2_coupling", "inverse scales by exp(+s)", edits=[("return z * m + (1 - m) * (z - t) * torch.exp(-s)", "return z * m + (1 - m) * (z - t) * torch.exp(s)")],
           earns={"p2_coupling_tests": 3.25, "p2_realnvp_tests": 3.25}),
    Mutant("p2_coupling", "s and t see the unmasked coordinates too", edits=[("s = torch.tanh(self.s_net(x * m)) * (1 - m)", "s = torch.tanh(self.s_net(x)) * (1 - m)"), ("t = self.t_net(x * m) * (1 - m)", "t = self.t_net(x) * (1 - m)")],
           earns={"p2_coupling_tests": 1.75, "p2_realnvp_tests": 1.75}),  # its inverse (unchanged) is right
    Mutant("p2_coupling", "log-det summed over the masked coordinates", edits=[("return z, s.sum(dim=1)", "return z, (torch.tanh(self.s_net(x * m)) * m).sum(dim=1)")],
           earns={"p2_coupling_tests": 3.25, "p2_realnvp_tests": 3}),
    Mutant("p2_coupling", "one network for s and t (not the stated s_net and t_net)", r'''
class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2 * dim))

    def _st(self, h):
        s, t = self.net(h * self.mask).chunk(2, dim=1)
        return torch.tanh(s) * (1 - self.mask), t * (1 - self.mask)

    def forward(self, x):
        s, t = self._st(x)
        return x * torch.exp(s) + t, s.sum(1)

    def inverse(self, z):
        s, t = self._st(z)
        return (z - t) * torch.exp(-s)
''', earns={"p2_coupling_tests": 0, "p2_realnvp_tests": 0}),
    # wrong but self-consistent: inverse(forward(x)) = x and log_det = log|det| of its own map, and nothing
    # from the networks; the grader's reference (the statement's map on its seeded parameters) gives it 0
    Mutant("p2_coupling", "no networks: a constant scale and shift (self-consistent)", edits=[
        ("s = torch.tanh(self.s_net(x * m)) * (1 - m)", "s = 0.5 * (1 - m) * torch.ones_like(x)"),
        ("t = self.t_net(x * m) * (1 - m)", "t = 0.25 * (1 - m) * torch.ones_like(x)"),
        ("s = torch.tanh(self.s_net(z * m)) * (1 - m)", "s = 0.5 * (1 - m) * torch.ones_like(z)"),
        ("t = self.t_net(z * m) * (1 - m)", "t = 0.25 * (1 - m) * torch.ones_like(z)")],
        earns={"p2_coupling_tests": 0, "p2_realnvp_tests": 0}),
    Mutant("p2_coupling", "no networks at all: a constant scale and shift, no parameters (self-consistent)", r'''
class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())

    def forward(self, x):
        m = self.mask
        return x * m + (1 - m) * (x * math.exp(0.5) + 0.25), (0.5 * (1 - m)).sum().expand(x.shape[0])

    def inverse(self, z):
        m = self.mask
        return z * m + (1 - m) * (z - 0.25) * math.exp(-0.5)
''', earns={"p2_coupling_tests": 0, "p2_realnvp_tests": 0}),
    Mutant("p2_coupling", "correct variant: tanh inside s_net, torch.where on the mask", r'''
class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.s_net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                   nn.Linear(hidden, dim), nn.Tanh())
        self.t_net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                   nn.Linear(hidden, dim))

    def _scale_shift(self, h):
        keep = self.mask.bool()
        s = torch.where(keep, torch.zeros_like(h), self.s_net(h * self.mask))
        t = torch.where(keep, torch.zeros_like(h), self.t_net(h * self.mask))
        return s, t

    def forward(self, x):
        s, t = self._scale_shift(x)
        return x * torch.exp(s) + t, s.sum(dim=-1)

    def inverse(self, z):
        s, t = self._scale_shift(z)
        return (z - t) / torch.exp(s)
''', passes=["p2_coupling_tests", "p2_realnvp_tests"]),
    Mutant("p2_realnvp", "the same mask in every layer", edits=[("CouplingLayer(dim, hidden, m if l % 2 == 0 else 1 - m)", "CouplingLayer(dim, hidden, m)")],
           earns={"p2_realnvp_tests": 0}),
    Mutant("p2_realnvp", "the mask changes every third layer only (found by a generated mutant)", edits=[("m if l % 2 == 0 else 1 - m", "m if l % 3 == 0 else 1 - m")], earns={"p2_realnvp_tests": 0}),
    Mutant("p2_realnvp", "inverse applies the layers in forward order", edits=[("for layer in reversed(self.layers):", "for layer in self.layers:")], earns={"p2_realnvp_tests": 3.25}),
    Mutant("p2_realnvp", "log-det of the last layer only", edits=[("log_det = log_det + ld", "log_det = ld")], earns={"p2_realnvp_tests": 3}),
    Mutant("p2_realnvp", "log-det sign flipped in log_prob", edits=[("math.log(2 * math.pi) + log_det", "math.log(2 * math.pi) - log_det")], earns={"p2_realnvp_tests": 4}),
    # issue 54: log_prob without the standard normal's normaliser (log_prob had no visible test)
    Mutant("p2_realnvp", "log_prob without the -D/2 log 2 pi constant", edits=[("return -0.5 * (z ** 2).sum(dim=1) - 0.5 * self.dim * math.log(2 * math.pi) + log_det", "return -0.5 * (z ** 2).sum(dim=1) + log_det")],
           earns={"p2_realnvp_tests": 4}),
    Mutant("p2_realnvp", "forward outside autograd (no gradient reaches the layers)", edits=[("return x, log_det\n", "return x.detach(), log_det.detach()\n")],
           earns={"p2_realnvp_tests": 3.75}),
    Mutant("p2_realnvp", "identity flow: layers built, never applied (self-consistent)", edits=[
        ("x, ld = layer(x)", "ld = torch.zeros_like(log_det)"), ("z = layer.inverse(z)", "pass")],
        earns={"p2_realnvp_tests": 0}),
    Mutant("p2_realnvp", "correct variant: masks as (m + l) % 2", edits=[("m if l % 2 == 0 else 1 - m", "(m + l) % 2")],
           passes=["p2_realnvp_tests"]),
    Mutant("p2_realnvp", "correct variant: log_prob through torch.distributions", edits=[("return -0.5 * (z ** 2).sum(dim=1) - 0.5 * self.dim * math.log(2 * math.pi) + log_det", "return torch.distributions.Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z).sum(1) + log_det")],
           passes=["p2_realnvp_tests"]),
    Mutant("p2_log_prob", "missing logit-transform Jacobian", edits=[("return log_q + log_det_flow + log_det_logit", "return log_q + log_det_flow")], earns={"p2_log_prob_tests": 0.5}),
    Mutant("p2_log_prob", "flow log-det subtracted", edits=[("return log_q + log_det_flow + log_det_logit", "return log_q - log_det_flow + log_det_logit")],
           earns={"p2_log_prob_tests": 0.5}),
    Mutant("p2_log_prob", "Gaussian normaliser left out", edits=[("log_q = -0.5 * (z ** 2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)", "log_q = -0.5 * (z ** 2).sum(dim=1)")], earns={"p2_log_prob_tests": 0.5}),
    # issue 54 (student54's mistake 18): no normaliser and, from the logit transform, no log(1 - 2 alpha): the hint
    # names both (it said only "found 2.07944")
    Mutant("p2_log_prob", "Gaussian normaliser left out, logit log-det without log(1 - 2 alpha)", edits=[
           ("log_q = -0.5 * (z ** 2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)", "log_q = -0.5 * (z ** 2).sum(dim=1)"),
           ("return log_q + log_det_flow + log_det_logit", "return log_q + log_det_flow + log_det_logit - y.shape[1] * math.log(1 - 2 * alpha)")],
           earns={"p2_log_prob_tests": 0.5}),
    Mutant("p2_bpd", "no log 256 term", edits=[("(-log_p_y / num_dims + math.log(256))", "(-log_p_y / num_dims)")],
           earns={"p2_bpd_tests": 0.5}),
    Mutant("p2_bpd", "sign of log p(y) flipped", edits=[("(-log_p_y / num_dims + math.log(256))", "(log_p_y / num_dims + math.log(256))")],
           earns={"p2_bpd_tests": 1}),
    Mutant("p2_bpd", "nats instead of bits", edits=[(" / math.log(2)", "")], earns={"p2_bpd_tests": 0}),
    Mutant("p2_bpd", "not divided by the number of dimensions", edits=[("(-log_p_y / num_dims + math.log(256))", "(-log_p_y + num_dims * math.log(256))")], earns={"p2_bpd_tests": 0}),
    Mutant("p2_bpd", "correct variant: log2", "def bits_per_dim(log_p_y, num_dims):\n    return 8.0 - log_p_y / (num_dims * math.log(2))",
           passes=["p2_bpd_tests"]),
] + name_mutants.STATE_NAME_MUTANTS + student_mutants.STUDENT_MUTANTS  # issue 62's; a careful student's (s81)
PARTIAL = [
    "mask A and B swapped",
    "missing logit-transform Jacobian",
    "log-det sign flipped (coupling)",
    "inpainting overwrites visible pixels",
    "biased covariance (divides by n)",
]

# ---------------------------------------------------------------------- artifacts
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
GENUINE_P1_WEIGHTS = FIXTURES / "hw5_genuine_pixelcnn_64_f16.pt"
GENUINE_P2_WEIGHTS = FIXTURES / "hw5_genuine_realnvp_256_f16.pt"
EARLY_P1_WEIGHTS = FIXTURES / "hw5_early_pixelcnn_64_f16.pt"  # the same run after epoch 1: over the bar
# the clearly worse run of each graded file, which must not earn full marks (benchmarks/trained_bars.py)
EARLY_ARTIFACTS = {"p1_pixelcnn_weights.pt": EARLY_P1_WEIGHTS}

# Files the reference needs next to the notebook for every graded cell to pass: the float16 state dicts of the
# reference models of the calibration runs (benchmarks/calibrate_hw5_bars.py). tests/authoring/test_proofs.py and
# tests/probes/test_hw5_explicit.py use it.
PROOF_ARTIFACTS = {P1_WEIGHTS_FILE: fixture_copier(GENUINE_P1_WEIGHTS, P1_WEIGHTS_FILE),
                   P2_WEIGHTS_FILE: fixture_copier(GENUINE_P2_WEIGHTS, P2_WEIGHTS_FILE)}
ARTIFACT_TESTS = ["p1_weights_tests", "p2_weights_tests"]
