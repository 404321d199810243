"""hw1_wgan's proofs and the constants its tests and benchmarks read (tests/authoring/test_proofs.py -k hw1).

Each Mutant names the answer cell it replaces and what it still earns in each test cell, or which
cells it passes; the statements, solutions and tests are the percent files beside this module.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from dgmlab.authoring import fixture_copier
from dgmlab.authoring.proofs import Mutant

HW = "hw1_wgan"
WEIGHTS_FILE = "generator_weights.pt"  # the graded file: the trained generator's state dict, float16
MAX_FILE_BYTES = 4_000_000  # the graded file is ~3.05 MB (1.5 M float16 parameters); anything bigger is not read


# ---------------------------------------------------------------------- reference code
# The source notebook's cells whose reference code the tests and benchmarks run outside the notebook
# (dgmlab.authoring.reference: each item names a grade id or a function or class the cell defines).
REFERENCE_NOTEBOOK = Path(__file__).resolve().parents[2] / "source" / HW / f"{HW}.ipynb"
REFERENCE_CELLS = ("imports", "wgan_networks", "q3_wgan_losses", "q3_gradient_penalty", "q3_clip_weights",
                   "q3_train_step", "q3_samples", "q3_evaluate_samples", "train_wgan")


def reference_namespace(device="cpu", cells=REFERENCE_CELLS) -> dict:
    """Run ``cells`` of the source notebook (default: the networks, Q3's answers and the training loop) with
    ``device`` set; return their namespace (Generator, Z_DIM, sample_generator, train_wgan, ...)."""
    from dgmlab.authoring.reference import reference_namespace as run_cells

    return run_cells(REFERENCE_NOTEBOOK, list(cells), {"__name__": "hw1_wgan_reference", "device": device})


# ---------------------------------------------------------------------- proofs
def _fn(src: str) -> str:
    return src.strip("\n")


# Every graded cell gives points per test, so a wrong answer names in earns= the points it still gets:
# those of the tests its mistake leaves passing (tests/authoring/test_proofs.py checks the exact number); the
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
# correct routes to Q2(a)'s KL, as students write them from the statement: the integrand as it defines it, then
_KL_INTEGRAND = """
p_g = normal_pdf(x, theta, sigma_g)
p_data = normal_pdf(x, theta0, sigma_data)
kl_integrand = p_g * sp.log(p_g / p_data)
"""
_KL_ROUTES = {
    "the integrand integrated as it stands": "kl_general = sp.integrate(kl_integrand, (x, -sp.oo, sp.oo))",
    "integrated, then sp.simplify (a power of a power in the log)":
        "kl_general = sp.simplify(sp.integrate(kl_integrand, (x, -sp.oo, sp.oo)))",
    "the log expanded first, no conds": "kl_general = sp.integrate(\n"
        "    p_g * sp.expand_log(sp.log(p_g / p_data), force=True), (x, -sp.oo, sp.oo))",
    "sympy.stats expectation under p_g": "from sympy.stats import E, Normal, density\n"
        "X = Normal(\"X\", theta, sigma_g)\n"
        "kl_general = sp.simplify(E(sp.log(density(X)(X)) - sp.log(normal_pdf(X, theta0, sigma_data))))",
    "closed form by hand": "kl_general = (sp.log(sigma_data / sigma_g) + (sigma_g**2 + (theta - theta0)**2) / "
        "(2 * sigma_data**2)\n              - sp.Rational(1, 2))",
    "cross-entropy minus entropy (E-notation)":
        "neg_entropy = sp.integrate(p_g * sp.log(p_g), (x, -sp.oo, sp.oo))\n"
        "cross_entropy = -sp.integrate(p_g * sp.log(p_data), (x, -sp.oo, sp.oo))\n"
        "kl_general = cross_entropy + neg_entropy",
    "substitution x = theta + sigma_g z (an erfc form)": "z = sp.symbols(\"z\", real=True)\n"
        "kl_general = sp.integrate((kl_integrand * sigma_g).subs(x, theta + sigma_g * z), (z, -sp.oo, sp.oo))",
    "integrand simplified first, conds=\"none\", simplified":
        "kl_general = sp.simplify(sp.integrate(sp.simplify(kl_integrand), (x, -sp.oo, sp.oo), conds=\"none\"))",
}
_KL_SPECIALISED = "\nkl_gaussians = sp.simplify(kl_general.subs({sigma_g: eps, sigma_data: eps}))\n"
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
        earns={"q1_flow_log_prob_tests": 0}),
    Mutant("q1_flow_log_prob", "log|det J| evaluated at x instead of z", edits=[
        ("flow.log_abs_det_jacobian(z)", "flow.log_abs_det_jacobian(x)")], earns={"q1_flow_log_prob_tests": 3.5}),
    Mutant("q1_flow_log_prob", "no invertibility check", edits=[(_ROUND_TRIP_CHECK, ""), (_FINITE_CHECK, "")],
           earns={"q1_flow_log_prob_tests": 4}),
    Mutant("q1_flow_log_prob", "checks only the determinant, not the round trip", edits=[(_ROUND_TRIP_CHECK, "")],
           earns={"q1_flow_log_prob_tests": 4}),
    Mutant("q1_flow_log_prob", "checks only the round trip, not the determinant", edits=[(_FINITE_CHECK, "")],
           earns={"q1_flow_log_prob_tests": 4}),
    Mutant("q1_flow_log_prob", "ignores the base and uses a standard normal", edits=[
        ("base.log_prob(z)", "(-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)")],
        earns={"q1_flow_log_prob_tests": 3.25}),
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
    # every route sympy itself takes from the statement to the KL earns every point, whatever form it writes (issue 62):
    # erf/erfc with theta/theta_0 in it (0/0 at theta_0 = 0), log(sigma_data**(2*sigma_data**2)/...) from simplify
    *[Mutant("q2_kl_gaussians", f"correct variant: {label}", _fn(_KL_INTEGRAND + body + _KL_SPECIALISED),
             passes=["q2_kl_gaussians_tests"]) for label, body in _KL_ROUTES.items()],
    # Q2 b
    Mutant("q2_kl_limits", "differentiates with respect to eps", edits=[("sp.diff(kl, theta)", "sp.diff(kl, eps)")],
           earns={"q2_kl_limits_tests": 2.5}),
    Mutant("q2_kl_limits", "differentiates with respect to theta0", edits=[("sp.diff(kl, theta)", "sp.diff(kl, theta0)")],
           earns={"q2_kl_limits_tests": 2.5}),
    # the limits typed in as constants, whatever kl is: only the three checks of the KL's own limits pass
    Mutant("q2_kl_limits", "typed oo and sign(theta - theta0) * oo", _fn('''
def kl_limits(kl, theta_value, theta0_value):
    return sp.oo, sp.sign(theta_value - theta0_value) * sp.oo
'''), earns={"q2_kl_limits_tests": 1.5}),
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
           earns={"q2_js_divergence_tests": 0.5}),
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
           earns={"q2_w1_distance_tests": 1}),
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
         "    return lam * (grad.norm(2) - 1) ** 2")], earns={"q3_gradient_penalty_tests": 0}),
    Mutant("q3_gradient_penalty", "missing the -1 (penalises the squared norm)", edits=[
        ("((norms - 1) ** 2).mean()", "(norms ** 2).mean()")], earns={"q3_gradient_penalty_tests": 0}),
    Mutant("q3_gradient_penalty", "one alpha per pixel (rand_like)", edits=[
        ("        alpha = torch.rand(n, device=real.device, dtype=real.dtype)\n    a = alpha.view(",
         "        a = torch.rand_like(real)\n    else:\n        a = alpha.view(")], earns={"q3_gradient_penalty_tests": 5}),
    Mutant("q3_gradient_penalty", "sum over the batch instead of mean", edits=[
        ("((norms - 1) ** 2).mean()", "((norms - 1) ** 2).sum()")], earns={"q3_gradient_penalty_tests": 0}),
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
         "                p.clamp_(-c, c)")], earns={"q3_clip_weights_tests": 0}),
    Mutant("q3_clip_weights", "clamps to [0, c]", edits=[("p.clamp_(-c, c)", "p.clamp_(0, c)")],
           earns={"q3_clip_weights_tests": 0}),
    Mutant("q3_clip_weights", "clamps a copy (p = p.clamp, not in place)", edits=[
        ("p.clamp_(-c, c)", "p = p.clamp(-c, c)")], earns={"q3_clip_weights_tests": 0}),
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
        (_GENERATOR_UPDATE, textwrap.indent(_GENERATOR_UPDATE, "    "))], earns={"q3_train_step_tests": 4.5}),
    Mutant("q3_train_step", "gradient penalty left out of the critic's loss", edits=[
        ("(c_loss + penalty).backward()", "c_loss.backward()")], earns={"q3_train_step_tests": 5.25}),
    Mutant("q3_train_step", "fake not detached and generator grads not zeroed", edits=[
        ("device = next(generator.parameters()).device\n", "device = next(generator.parameters()).device\n    g_opt.zero_grad()\n"),
        ("        with torch.no_grad():\n            fake = generator(z)", "        fake = generator(z)"),
        ("    g_opt.zero_grad()\n    g_loss", "    g_loss")], earns={"q3_train_step_tests": 2.75}),
    Mutant("q3_train_step", "one critic update short (range(1, n_critic))", edits=[
        ("    for _ in range(n_critic):\n", "    for _ in range(1, n_critic):\n")], earns={"q3_train_step_tests": 0}),
    Mutant("q3_train_step", "critic gradients never zeroed", edits=[("        c_opt.zero_grad()\n", "")],
           earns={"q3_train_step_tests": 3.5}),
    Mutant("q3_train_step", "one real batch reused for every critic update", edits=[
        ("    for _ in range(n_critic):\n        real = next(real_batches).to(device)",
         "    real = next(real_batches).to(device)\n    for _ in range(n_critic):")], earns={"q3_train_step_tests": 4.5}),
    Mutant("q3_train_step", "clips before the optimizer step", edits=[
        ('        c_opt.step()\n        if lipschitz == "clip":\n            clip_weights(critic, clip)',
         '        if lipschitz == "clip":\n            clip_weights(critic, clip)\n        c_opt.step()')],
        earns={"q3_train_step_tests": 7.5}),
    Mutant("q3_train_step", "generator gradients not zeroed, noise with one row", edits=[
        ("        z = torch.randn(real.shape[0]", "        z = torch.randn(real.shape[1]"),
        ("    z = torch.randn(real.shape[0], z_dim, device=device)\n    g_opt.zero_grad()\n",
         "    z = torch.randn(real.shape[1], z_dim, device=device)\n")], earns={"q3_train_step_tests": 0}),
    Mutant("q3_train_step", "correct variant: noise first, set_to_none, penalty added in place", _fn('''
def wgan_train_step(generator, critic, g_opt, c_opt, real_batches, z_dim=Z_DIM, n_critic=2,
                    lipschitz="gp", lam=10.0, clip=0.01):
    stats = {"penalty": 0.0}
    device = next(generator.parameters()).device
    for k in range(n_critic):
        z = torch.randn(0, z_dim, device=device)
        real = next(real_batches).to(device)
        z = torch.randn(len(real), z_dim, device=device)
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
    g_loss = generator_loss(critic(generator(torch.randn(len(real), z_dim, device=device))))
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
        earns={"q3_samples_tests": 1}),
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

def save_samples(samples, path="samples_1000.pt"):
    p = Path(path)
    torch.save(samples.detach().cpu().to(torch.float32).contiguous(), str(p))
    return p
'''), passes=["q3_samples_tests"]),
    # deliverable (b)
    Mutant("q3_evaluate_samples", "mean and std swapped", edits=[
        ("mean, std = metrics.mnist_score(samples)", "std, mean = metrics.mnist_score(samples)")],
        earns={"q3_evaluate_samples_tests": 0.75}),
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
    # wrong but self-consistent (issue 45 item 5): right endpoints and equal steps along its own path; the grader's
    # norm and angle between the endpoints withhold the slerp check's 1.5 (the hidden norm check's 0.5 too)
    Mutant("q3_interpolate", "slerp's directions with the straight line's norms (self-consistent)", edits=[(_SLERP, _SLERP.replace(
        "            return torch.sin((1 - t) * omega) / s * z0 + torch.sin(t * omega) / s * z1", """\
            path = torch.sin((1 - t) * omega) / s * z0 + torch.sin(t * omega) / s * z1
            straight = (1 - t) * z0 + t * z1
            return path / path.norm(dim=1, keepdim=True) * straight.norm(dim=1, keepdim=True)"""))],
        earns={"q3_interpolate_tests": 3}),
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
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
GENUINE_WEIGHTS = FIXTURES / "hw1_generator_epoch27_f16.pt"  # the reference run's generator, epoch 27 (score 8.87)
EARLY_WEIGHTS = FIXTURES / "hw1_generator_epoch05_f16.pt"  # the same run at epoch 5 (score 7.89): under the bar
# the clearly worse run of each graded file, which must not earn full marks (benchmarks/trained_bars.py)
EARLY_ARTIFACTS = {"generator_weights.pt": EARLY_WEIGHTS}
GENUINE_SAMPLES = FIXTURES / "hw1_genuine_samples_1000.pt"  # GENUINE_WEIGHTS' graded draw (seed 0), in float32
# GENUINE_WEIGHTS tuned so that the graded draw's noise gives 1,000 MNIST digits (benchmarks/make_memorizer.py hw1)
MEMORIZER_WEIGHTS = FIXTURES / "hw1_generator_memorizer_f16.pt"

# Files the reference needs next to the notebook for every graded cell to pass:
# {file name: function(folder) -> Path}. tests/probes/test_hw1_wgan.py and tests/authoring/test_proofs.py use it.
PROOF_ARTIFACTS = {WEIGHTS_FILE: fixture_copier(GENUINE_WEIGHTS, WEIGHTS_FILE)}
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
            "the statement does not ask save_samples to create folders; the checks hand it a path in a folder "
            "that exists",
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
