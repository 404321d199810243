"""hw1_wgan's grader-side references: what its visible tests' recorded values (``homeworks/hw1_wgan/checks/
expected.json``) are made from, and what its hidden tests import.

They answer questions of the homework (the flows' densities, the KL by quadrature, the JS by a Riemann sum, the
critic and generator losses, clipping, the first update of the training step, the seeded samples, the interpolation
paths), so they live here, outside the student package. The probes' helpers they build on (the notebook's given
flows, the toy critics and generators, the noise the step is given) stay in :mod:`homeworks.hw1_wgan.checks`, which the
kernel needs to run a student's code.

:data:`EXPECTED` says, for each converted test cell, what its visible tests compare with: a function of the cell's
inputs drawn from the working seed (:data:`dgmlab.probes.WORKING_SEED`);
:func:`dgmlab.grading.references.recorded.record_expected` records what they give.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from homeworks.hw1_wgan.checks import (
    CRITIC_BIAS,
    CRITIC_WEIGHT,
    LINEAR_WEIGHT,
    RUNS,
    STEP_LR,
    linear_critic,
    noise_run,
    normal_pdf,
    small_net,
    smooth_divergence,
    step_noise,
    symbols,
    tiny_batchnorm_generator,
    tiny_critic,
    tiny_generator,
    tiny_sample_generator,
)


# ------------------------------------------------------------------ Q2(a): the KL of two Gaussians
def kl_by_quadrature(t, t0, sg, sd):
    """The KL of N(t, sg^2) from N(t0, sd^2) by numerical quadrature of its definition (scipy)."""
    from scipy import integrate, stats

    p, q = stats.norm(t, sg), stats.norm(t0, sd)
    return integrate.quad(lambda u: p.pdf(u) * (p.logpdf(u) - q.logpdf(u)), t - 14 * sg, t + 14 * sg,
                          points=[t], limit=200)[0]


def kl_integrand_at(t, t0, sg, sd):
    """p_g(x) log(p_g(x) / p_data(x)) at x = 1/3, as a 40-digit sympy Float."""
    s = symbols()
    p_g = normal_pdf(s["x"], s["theta"], s["sigma_g"])
    want = p_g * (sp.log(p_g) - sp.log(normal_pdf(s["x"], s["theta0"], s["sigma_data"])))
    point = {s["x"]: sp.Rational(1, 3), s["theta"]: sp.Rational(str(t)), s["theta0"]: sp.Rational(str(t0)),
             s["sigma_g"]: sp.Rational(str(sg)), s["sigma_data"]: sp.Rational(str(sd))}
    return sp.N(want.subs(point), 40)


# ------------------------------------------------------------------ Q2(d): the JS of two Gaussians
def js_by_riemann_sum(t, t0, s):
    """JS of N(t, s^2) and N(t0, s^2) by a Riemann sum of its definition on a fine grid (numpy; fine for
    moderate s only: plain densities underflow when s is tiny)."""
    u = np.linspace(min(t, t0) - 12 * s, max(t, t0) + 12 * s, 400_001)
    p = np.exp(-0.5 * ((u - t) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    q = np.exp(-0.5 * ((u - t0) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        f = 0.5 * np.where(p > 0, p * np.log(p / m), 0.0) + 0.5 * np.where(q > 0, q * np.log(q / m), 0.0)
    return float(f.sum() * (u[1] - u[0]))


# ------------------------------------------------------------------ Q3(a): the training step's first run
def wgan_first_run(x):
    """The run ``first_critic_step`` (one critic update with SGD, clipping at 10 that never binds, then one generator
    update) by hand: the critic descends mean D(fake) - mean D(real), whose weight gradient for D(x) = w.x + b is
    mean(fake) - mean(real) (and 0 for b); the generator then descends -mean D(G(z)) through the updated critic."""
    run, lr = list(RUNS).index("first_critic_step"), STEP_LR["sgd"]
    gen, real = tiny_generator(x["generator_seed"]), x["batches"][0]
    with torch.no_grad():
        fake = gen(step_noise(x, run, 0, (5, 3)))
    w = torch.tensor(CRITIC_WEIGHT, dtype=torch.float32) - lr * (fake.flatten(1).mean(0) - real.flatten(1).mean(0))
    critic = linear_critic(w, bias=CRITIC_BIAS)
    params = list(gen.parameters())
    grads = torch.autograd.grad(-critic(gen(step_noise(x, run, 1, (5, 3)))).mean(), params)
    return {"critic": [w.unsqueeze(0), torch.tensor([CRITIC_BIAS])],
            "generator": [p.detach() - lr * g for p, g in zip(params, grads, strict=True)]}


def penalty_reference(crit, real, fake, lam, alpha):
    """The gradient penalty as the statement defines it, with the interpolation weights ``alpha`` given."""
    a = alpha.view(-1, 1, 1, 1)
    xh = (a * real + (1 - a) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(crit(xh).sum(), xh, create_graph=True)
    return lam * ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()


def penalty_gradients(x):
    """d penalty / d (the small tanh critic's first weight, its bias, its second weight), lam = 10, alpha given."""
    crit = tiny_critic(x["critic_seed"])
    weights = [crit[1].weight, crit[1].bias, crit[3].weight]  # the last bias does not move the gradient
    out = penalty_reference(crit, x["real7"], x["fake7"], 10.0, x["alpha7"])
    return [g.detach() for g in torch.autograd.grad(out, weights)]


def wgan_run(x, run):
    """The grader's own step for ``run`` (:data:`RUNS`) on the run's toys: the same starting networks, real batches
    and noise; the networks' parameters after it and the losses it returns."""
    lipschitz, opt, kwargs, _preset = RUNS[run]
    n_critic, clip, lam = kwargs.get("n_critic", 2), kwargs.get("clip", 0.01), kwargs.get("lam", 10.0)
    lipschitz = kwargs.get("lipschitz", "gp")
    index, lr = noise_run(run), STEP_LR[opt]
    gen, crit = tiny_generator(x["generator_seed"]), linear_critic(CRITIC_WEIGHT, bias=CRITIC_BIAS)
    make = torch.optim.SGD if opt == "sgd" else torch.optim.Adam
    g_opt, c_opt = make(gen.parameters(), lr=lr), make(crit.parameters(), lr=lr)
    for i in range(n_critic):
        real = x["batches"][i]
        with torch.no_grad():
            fake = gen(step_noise(x, index, i, (5, 3)))
        c_opt.zero_grad()
        c_loss = crit(fake).mean() - crit(real).mean()
        # a linear critic's input gradient is w everywhere: the penalty is lam (|w| - 1)^2 at any interpolate
        penalty = lam * (crit.lin.weight.norm() - 1) ** 2 if lipschitz == "gp" else torch.zeros(())
        (c_loss + penalty).backward()
        c_opt.step()
        if lipschitz == "clip":
            with torch.no_grad():
                for p in crit.parameters():
                    p.clamp_(-clip, clip)
    g_opt.zero_grad()
    g_loss = -crit(gen(step_noise(x, index, n_critic, (5, 3)))).mean()
    g_loss.backward()
    g_opt.step()
    return {"generator": [p.detach() for p in gen.parameters()], "critic": [p.detach() for p in crit.parameters()],
            "out": {"critic_loss": float(c_loss.detach()), "penalty": float(penalty.detach()),
                    "generator_loss": float(g_loss.detach())}}


# ------------------------------------------------------------------ Q3 deliverable (a): seeded samples
def seeded_noise(n, z_dim, seed):
    """The noise the statement asks for: ``torch.randn(n, z_dim)`` from a ``torch.Generator`` seeded with ``seed``."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(int(seed)))


def seeded_toy_images(generator_seed, n, seed):
    """What ``sample_generator`` gives for the probe's toy generator: its eval-mode images of :func:`seeded_noise`."""
    with torch.no_grad():
        return tiny_sample_generator(generator_seed).eval()(seeded_noise(n, 8, seed))


def batchnorm_images(x) -> dict:
    """The probe's generator with BatchNorm: its eval-mode images of the seed_a noise, and its train-mode images of
    z_after (what a generator whose mode was restored gives after sampling)."""
    net = tiny_batchnorm_generator(x["generator_seed"])
    with torch.no_grad():
        return {"eval_mode_samples": net.eval()(seeded_noise(6, 8, x["seed_a"])),
                "train_mode_after": net.train()(x["z_after"])}


# ------------------------------------------------------------------ what the visible tests compare with
def _flow_gradient(x):
    # the affine flow z A^T on a standard normal base: x is N(0, A A^T); d (sum of log-densities) / dA
    A = x["A"].clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(
        torch.distributions.MultivariateNormal(torch.zeros(2), A @ A.T).log_prob(x["five"]).sum(), A)
    return grad


def _expected_flow_log_prob(x) -> dict:
    D = torch.distributions
    return {"on_1d_affine": D.Normal(x["c"], abs(x["a"])).log_prob(x["line"].squeeze(1)),
            "on_2d_exp": D.Independent(D.LogNormal(torch.tensor(x["exp_loc"]), torch.tensor(x["exp_scale"])),
                                       1).log_prob(x["nine"]),
            "gradient": _flow_gradient(x)}


def _expected_flow_sample(x) -> dict:
    # exp(z) with z ~ N(-0.5, 0.5^2): its quantiles are exp of the Gaussian's quantiles
    levels = torch.tensor([0.1, 0.5, 0.9])
    return {"exp_quantiles": torch.exp(-0.5 + 0.5 * torch.distributions.Normal(0.0, 1.0).icdf(levels)).double()}


def _expected_kl_gaussians(x) -> dict:
    return {"integrand": [kl_integrand_at(*p) for p in x["points"]],
            "kl": [kl_by_quadrature(*p) for p in x["points"]]}


def _expected_kl_limits(x) -> dict:
    # a kl continuous at eps = 0: the limits are the values at eps = 0
    s = symbols()
    at = {s["theta"]: x["t"], s["theta0"]: x["t0"]}
    expr = smooth_divergence(x)
    return {"smooth": [expr.subs(at).subs(s["eps"], 0), sp.diff(expr, s["theta"]).subs(at).subs(s["eps"], 0)]}


def _expected_combined(x) -> dict:
    return {"at_a_quarter": math.log(3.0)}  # log(1 - 1/4) - log(1/4)


def _expected_js(x) -> dict:
    return {"moderate": [js_by_riemann_sum(t, t0, s) for t, t0, s in x["moderate"]]}


def _expected_losses(x) -> dict:
    return {"critic_one_pair": -1.0, "generator_one_score": -2.0,
            "critic_unequal_batches": x["fake"].mean() - x["real"].mean(), "generator_batch": -x["three"].mean()}


def _expected_penalty(x) -> dict:
    # a linear critic's input gradient is its weight w at every x_hat: the penalty per unit of lam is (|w| - 1)^2
    # the bowl critic's gradient norm at alpha real + (1 - alpha) fake is 2 alpha: E (2 alpha - 1)^2 over U[0, 1]
    return {"linear_per_lam": float((torch.tensor(LINEAR_WEIGHT).norm() - 1) ** 2), "bowl": 1 / 3,
            "tiny_grads": penalty_gradients(x)}


def _expected_clip(x) -> dict:
    def clamped(c):
        return {name: p.detach().clamp(-c, c) for name, p in small_net(x["scale"]).named_parameters()}
    def stepped():
        # clamp in place, then one SGD step of the optimizer made before clipping
        net = small_net(x["scale"])
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        with torch.no_grad():
            for p in net.parameters():
                p.clamp_(-x["c"], x["c"])
        net(x["batch"]).sum().backward()
        opt.step()
        return {name: p.detach().clone() for name, p in net.named_parameters()}
    return {"clipped_at_0_05": clamped(0.05), "clipped_at_c": clamped(x["c"]), "in_place": stepped()}


def _expected_train_step(x) -> dict:
    return {"first_critic_step": wgan_first_run(x),
            "runs": {"n_critic_3": wgan_run(x, "n_critic_3"), "returns": wgan_run(x, "returns")}}


def _expected_samples(x) -> dict:
    return {"ten": seeded_toy_images(x["generator_seed"], 10, x["seed_b"]),
            "six_of_seed_a": seeded_toy_images(x["generator_seed"], 6, x["seed_a"]),
            "six_of_seed_b": seeded_toy_images(x["generator_seed"], 6, x["seed_b"]),
            **batchnorm_images(x)}


def _expected_interpolate(x) -> dict:
    z0, z1 = x["s0"], x["s1"]
    omega = torch.arccos(torch.dot(z0 / z0.norm(), z1 / z1.norm()).clamp(-1, 1))
    return {"linear_9_steps": ((x["b1"] - x["b0"]) / 8).expand(8, 6).clone(), "slerp_6_angles": (omega / 5).expand(5).clone()}


EXPECTED = {"q1_flow_log_prob_tests": _expected_flow_log_prob, "q1_flow_sample_tests": _expected_flow_sample,
            "q2_kl_gaussians_tests": _expected_kl_gaussians, "q2_kl_limits_tests": _expected_kl_limits,
            "q2_combined_generator_loss_tests": _expected_combined, "q2_js_divergence_tests": _expected_js,
            "q3_wgan_losses_tests": _expected_losses, "q3_gradient_penalty_tests": _expected_penalty,
            "q3_clip_weights_tests": _expected_clip, "q3_train_step_tests": _expected_train_step,
            "q3_samples_tests": _expected_samples, "q3_interpolate_tests": _expected_interpolate}
