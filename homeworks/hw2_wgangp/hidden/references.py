"""hw2_wgangp's grader-side references: what its hidden tests compare a student's work with, and what the visible
tests' recorded values (``homeworks/hw2_wgangp/checks/expected.json``) are made from.

They answer questions of the homework (the convex conjugates by their definition, the gradient penalty of a linear
critic and its gradient, the two losses, Adam's first step, one step of the critic and of the generator on the toys,
the identity coupling's cost, W1 of P4(b)'s problems, the learning-rate schedule, the statement's residual blocks in the networks),
so they live here, outside the student package. The probes' helpers
they build on (the notebook's toy networks, the step's learning rate) stay in :mod:`homeworks.hw2_wgangp.checks`,
which the kernel needs to run a student's code.

:data:`EXPECTED` says, for each converted test cell, what its visible tests compare with: a function of the cell's
inputs drawn from the working seed (:data:`dgmlab.probes.WORKING_SEED`);
:func:`dgmlab.grading.references.recorded.record_expected` records what they give.
"""
from __future__ import annotations

import math

import torch

from dgmlab.grading.references.transport import discrete_w1
from homeworks.hw2_wgangp.checks import (
    BLOCK_SALT,
    CRITIC_SALT,
    GENERATOR_SALT,
    NET_CAPACITY,
    SEED_DIM,
    STEP_LR,
    kit_residual_block,
    normals,
    roles,
    seeded_weights,
    toy_critic,
    toy_generator,
    toy_scores,
)
from homeworks.hw2_wgangp.checks.p5_training_steps import stand_in_critic_loss, stand_in_generator_loss


# ------------------------------------------------------------------ P1(b), P2(b): the conjugates
def numeric_conjugate(f, t: float) -> float:
    """sup_{u > 0} (t u - f(u)) by a bounded numerical search over log u (the definition, not a formula)."""
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda r: -(t * math.exp(r) - f(math.exp(r))), bounds=(-30.0, 30.0), method="bounded",
                          options={"xatol": 1e-12})
    return float(-res.fun)


def kl_conjugate(t: float) -> float:
    """The conjugate of f(u) = u log u at ``t``, by its definition."""
    return numeric_conjugate(lambda u: u * math.log(u), t)


def rkl_conjugate(s: float) -> float:
    """The conjugate of f(u) = -log u at ``s`` (negative), by its definition."""
    return numeric_conjugate(lambda u: -math.log(u), s)


# ------------------------------------------------------------------ P1(c), P2(c): the optimal critics
def optimal_critic_values(x, sign: int):
    """d* at the cell's critic points: p/q (``sign`` +1, the KL critic) or -q/p (``sign`` -1, the reverse KL's)."""
    p, q = normals(x)
    pts = x["critic_points"]
    log_ratio = p.log_prob(pts) - q.log_prob(pts)
    return torch.exp(log_ratio) if sign > 0 else -torch.exp(-log_ratio)


# ------------------------------------------------------------------ P5(a), P6(a): the statement's residual blocks
def given_block_output(seed, i, inp, stride=1, batchnorm=True):
    """What the given ResidualBlock (with ``stride`` and ``batchnorm`` as the statement asks for block ``i``), with
    the check's weights for that block, gives on ``inp`` in eval mode."""
    block = seeded_weights(kit_residual_block(NET_CAPACITY, stride=stride, batchnorm=batchnorm), seed,
                           BLOCK_SALT + i).eval()
    with torch.no_grad():
        return block(inp.clone())


def critic_block_outputs(x) -> list:
    """The critic's four blocks as stated (the first with stride 4, none with BatchNorm) on the check's maps."""
    return [given_block_output(x["seed"], i, x["block_first" if i == 0 else "block_rest"], 4 if i == 0 else 1, False)
            for i in range(4)]


def generator_block_outputs(x) -> list:
    """The CIFAR-10 generator's nine blocks as stated (the given Generator's, with BatchNorm) on the check's map."""
    return [given_block_output(x["seed"], i, x["block_in"]) for i in range(9)]


# ------------------------------------------------------------------ P5(a), P6(a): the statement's networks
class _Critic(torch.nn.Module):
    """The statement's critic: conv3x3 + ReLU, a stride-4 block, three blocks, a linear head on the spatial sum
    (``act``/``pool`` other than those only to name a student's slip in a hint; ``embed_bias``: the convolution's
    bias, which the statement leaves optional)."""

    def __init__(self, channels, act=torch.relu, pool="sum", embed_bias=True):
        super().__init__()
        self.embed = torch.nn.Conv2d(channels, NET_CAPACITY, 3, padding=1, bias=embed_bias)
        self.blocks = torch.nn.Sequential(kit_residual_block(NET_CAPACITY, stride=4, batchnorm=False),
                                          *[kit_residual_block(NET_CAPACITY, batchnorm=False) for _ in range(3)])
        self.head = torch.nn.Linear(NET_CAPACITY, 1)
        self.act, self.pool = act, pool

    def forward(self, x):
        h = self.blocks(self.act(self.embed(x)))
        return self.head(getattr(h, self.pool)(dim=(2, 3))).squeeze(1)


def reference_critic(seed, channels, act=torch.relu, pool="sum", embed_bias=True):
    """The statement's critic for ``channels``-channel images with the check's weights for ``seed`` (``embed_bias``:
    with or without the embedding convolution's bias; the other weights are the same either way)."""
    return seeded_weights(_Critic(channels, act, pool, embed_bias), seed, CRITIC_SALT, type(kit_residual_block(1)))


def critic_scores(x, embed_bias=True) -> dict:
    """The statement's critic's scores on the check's five images, and what the usual slips give (named for hints)."""
    channels = x["five"].shape[1]
    variants = {"scores": {}, "mean_pool": {"pool": "mean"}, "no_relu": {"act": lambda h: h},
                "leaky_relu": {"act": torch.nn.functional.leaky_relu}}
    with torch.no_grad():
        return {name: reference_critic(x["seed"], channels, embed_bias=embed_bias, **kw)(x["five"].clone())
                for name, kw in variants.items()}


def critic_gradient_norms(x, embed_bias=True) -> dict:
    """``{role: norm}``: the gradient norm of each parameter of the statement's critic, with the check's weights, for
    the sum of its scores on the check's three images (every parameter gets one)."""
    critic = reference_critic(x["seed"], x["three"].shape[1], embed_bias=embed_bias)
    critic(x["three"].clone()).sum().backward()
    return {r: float(t.grad.norm()) for r, t in roles(critic, type(kit_residual_block(1)))
            if isinstance(t, torch.nn.Parameter)}


class _CifarGenerator(torch.nn.Module):
    """The statement's CIFAR-10 generator: the given Generator from an 8x8 seed map, nine blocks, 3 x 32 x 32."""

    def __init__(self, capacity=NET_CAPACITY):
        super().__init__()
        nn = torch.nn
        self.capacity = capacity
        self.embed = nn.Linear(SEED_DIM, capacity * 8 * 8, bias=False)
        self.embed_bn = nn.BatchNorm2d(capacity)
        self.blocks = nn.Sequential(*[kit_residual_block(capacity) for _ in range(9)])
        self.upsample = nn.Sequential(nn.Upsample(scale_factor=4, mode="bilinear", align_corners=False),
                                      nn.Conv2d(capacity, capacity, 3, padding=1, bias=False),
                                      nn.BatchNorm2d(capacity), nn.ReLU())
        self.to_image = nn.Conv2d(capacity, 3, 3, padding=1, bias=False)
        self.pixel_bias = nn.Parameter(torch.zeros(3, 32, 32))

    def forward(self, z):
        seed_map = torch.relu(self.embed_bn(self.embed(z).view(-1, self.capacity, 8, 8)))
        last_conv = self.to_image(self.upsample(self.blocks(seed_map)))
        return {"images": torch.sigmoid(last_conv + self.pixel_bias), "seed_map": seed_map, "last_conv": last_conv}


def reference_cifar_generator(seed):
    """The statement's CIFAR-10 generator with the check's weights for ``seed``, in train mode (as the probe runs)."""
    return seeded_weights(_CifarGenerator(), seed, GENERATOR_SALT, type(kit_residual_block(1))).train()


def cifar_generator_trace(x) -> dict:
    """The images, the seed map and the last convolution's output of the statement's generator on the check's z."""
    with torch.no_grad():
        return reference_cifar_generator(x["seed"])(x["z4"].clone())


def cifar_generator_gradient_norms(x) -> dict:
    """``{role: norm}``: the gradient norm of each parameter of the statement's generator for the check's weighted sum
    of its images (every parameter gets one)."""
    gen = reference_cifar_generator(x["seed"])
    (gen(x["z4"].clone())["images"] * x["image_weights"]).sum().backward()
    return {r: float(t.grad.norm()) for r, t in roles(gen, type(kit_residual_block(1)))
            if isinstance(t, torch.nn.Parameter)}


# ------------------------------------------------------------------ P3(b): the identity coupling's cost
def identity_coupling_cost(eps) -> float:
    """The cost of moving each x_i to x_i + eps_i with mass 1/n: the mean Euclidean length of the moves."""
    import numpy as np

    return float(np.linalg.norm(eps, axis=1).mean())


# ------------------------------------------------------------------ P4(b): the discrete W1
def discrete_w1_values(x) -> dict:
    """W1 of the cell's problems (rows tied to p, columns to q) by POT's exact solver."""
    C, p, q = x["asym"]
    return {"problems": [discrete_w1(p_, q_, C_) for C_, p_, q_ in x["problems"]],
            "asymmetric": discrete_w1(p, q, C)}


# ------------------------------------------------------------------ P5(b): the gradient penalty of a linear critic
def linear_critic_penalty(norm: float, n: int = 8) -> dict:
    """The gradient penalty E(||grad|| - 1)^2 of a linear critic whose input gradient has norm ``norm`` everywhere,
    on ``n`` samples of 4 pixels, and what the common mistakes give (``None`` where a mistake gives the same)."""
    penalty = (norm - 1) ** 2
    return {"penalty": penalty, "lambda_times": 10 * penalty if norm != 1 else None, "no_minus_one": norm ** 2,
            "batch_norm": (norm * math.sqrt(n) - 1) ** 2, "batch_sum": n * penalty if norm != 1 else None}


def linear_critic_penalty_gradient(w):
    """The gradient in the weights ``w`` of a linear critic's penalty (|w| - 1)^2: 2 (|w| - 1) w / |w|."""
    return 2 * (w.norm() - 1) * w / w.norm()


def _scaled(x, w, norm):
    return x[w] * (x[norm] / x[w].norm())


# ------------------------------------------------------------------ P5(c): the losses on a linear critic
def wasserstein_term(w, real, fake, reduce="mean") -> float:
    """E D(fake) - E D(real) for the toy linear critic ``w`` (``reduce="sum"``: sums, a mistake)."""
    d_real, d_fake = toy_scores(w, real), toy_scores(w, fake)
    return float(getattr(d_fake, reduce)() - getattr(d_real, reduce)())


def generator_term(w, fake, reduce="mean") -> float:
    """-E D(fake) for the toy linear critic ``w`` (``reduce="sum"``: a sum, a mistake)."""
    return float(-getattr(toy_scores(w, fake), reduce)())


# ------------------------------------------------------------------ P5(d): Adam's first step
def adam_steps(x, betas, lr=3e-4) -> dict:
    """Every toy parameter after the cell's steps of Adam with ``betas`` (each network's own optimiser, fed the seed's
    gradients as the probe feeds them)."""
    from homeworks.hw2_wgangp.checks import OPT_STEPS

    before = {"generator.A": x["A"], "generator.c": x["c"], "critic.w": x["w"], "critic.b": torch.zeros(())}
    params = {n: torch.nn.Parameter(t.clone()) for n, t in before.items()}
    opts = [torch.optim.Adam([p for n, p in params.items() if n.startswith(net)], lr=lr, betas=betas)
            for net in ("generator", "critic")]
    for k in range(OPT_STEPS):
        for n, p in params.items():
            p.grad = x["grads"][k][n].clone()
        for opt in opts:
            opt.step()
    return {n: p.detach() for n, p in params.items()}


def adam_first_step(x, lr) -> dict:
    """Every toy parameter after one Adam step with the first of the seed's gradients: -lr * sign(gradient),
    whatever the betas (the bias correction makes m and v the gradient and its square)."""
    before = {"generator.A": x["A"], "generator.c": x["c"], "critic.w": x["w"], "critic.b": torch.zeros(())}
    return {n: b - lr * torch.sign(x["grads"][0][n]) for n, b in before.items()}


# ------------------------------------------------------------------ P5(e): the steps
def _fake(case):
    return (case["z"] @ case["A"] + case["c"]).view(-1, 1, 3, 3)


def critic_step_loss(case) -> dict:
    """The critic loss of a step's batch on the toys (a linear critic: its penalty (||w|| - 1)^2 is the same
    everywhere): ``{"wasserstein": E D(fake) - E D(real), "loss": that + 10 * penalty}``."""
    wasserstein = float(toy_scores(case["w"], _fake(case)).mean() - toy_scores(case["w"], case["x_real"]).mean())
    return {"wasserstein": wasserstein, "loss": wasserstein + 10.0 * float((case["w"].norm() - 1) ** 2)}


def generator_step_loss(case) -> float:
    """The generator loss -E D(G(z)) of a step's batch on the toys."""
    return float(-toy_scores(case["w"], _fake(case)).mean())


def critic_after_step(case, stale: bool = False) -> dict:
    """The critic's parameters after one fresh Adam step on its loss from ``case``: -lr * sign(gradient) (``stale``:
    the slip of a step that adds its gradient to the stale one, for a hint)."""
    fake = _fake(case)
    w, b = case["w"].clone().requires_grad_(True), torch.zeros((), requires_grad=True)
    loss = (fake.flatten(1) @ w + b).mean() - (case["x_real"].flatten(1) @ w + b).mean() + 10.0 * (w.norm() - 1) ** 2
    grads = dict(zip("wb", torch.autograd.grad(loss, [w, b]), strict=True))
    if stale:
        grads = {n: g + case["stale_critic"][n] for n, g in grads.items()}
    return {"w": (case["w"] - STEP_LR * torch.sign(grads["w"])).detach(),
            "b": (torch.zeros(()) - STEP_LR * torch.sign(grads["b"])).detach()}


def generator_after_step(case, stale: bool = False) -> dict:
    """The generator's parameters after one fresh Adam step on its loss from ``case``: -lr * sign(gradient) (``stale``:
    the slip of a step that adds its gradient to the stale one, for a hint)."""
    A, c = case["A"].clone().requires_grad_(True), case["c"].clone().requires_grad_(True)
    loss = -(((case["z"] @ A + c).view(-1, 1, 3, 3)).flatten(1) @ case["w"]).mean()
    grads = dict(zip("Ac", torch.autograd.grad(loss, [A, c]), strict=True))
    if stale:
        grads = {n: g + case["stale_gen"][n] for n, g in grads.items()}
    return {n: (case[n] - STEP_LR * torch.sign(grads[n])).detach() for n in "Ac"}


def stood_in_step(case, network: str, stale: bool = False) -> dict:
    """A step of ``network`` ("critic" or "generator") on the toys from ``case`` whose loss is the stand-in the probe
    puts in place of the notebook's loss function (checks/p5_training_steps.py): ``{"loss": its value before the
    update, "params": the parameters after one fresh Adam step, -lr * sign(gradient)}`` (``stale``: the slip of a
    step that adds its gradient to the stale one, for a hint)."""
    gen, critic = toy_generator(case["A"], case["c"]), toy_critic(case["w"])
    if network == "critic":
        with torch.no_grad():
            fake = gen(case["z"])
        loss, params, stale_key = stand_in_critic_loss(critic, case["x_real"], fake), critic, "stale_critic"
    else:
        loss, params, stale_key = stand_in_generator_loss(critic, gen(case["z"])), gen, "stale_gen"
    named = dict(params.named_parameters())
    grads = dict(zip(named, torch.autograd.grad(loss, list(named.values())), strict=True))
    if stale:
        grads = {n: g + case[stale_key][n] for n, g in grads.items()}
    return {"loss": float(loss.detach()), "params": {n: (p - STEP_LR * torch.sign(grads[n])).detach() for n, p in named.items()}}


# ------------------------------------------------------------------ P6(b): the schedule
def scheduled_rate(epoch, cut_epoch=80, lr=3e-4, lr_low=3e-5) -> float:
    """The learning rate at ``epoch``: ``lr`` before the cut, ``lr_low`` from epoch ``cut_epoch`` on."""
    return lr if epoch < cut_epoch else lr_low


# ------------------------------------------------------------------ what the visible tests compare with
def _expected_kl_conjugate(x) -> dict:
    return {"at_points": [kl_conjugate(t) for t in x["points"]]}


def _expected_rkl_conjugate(x) -> dict:
    return {"at_points": [rkl_conjugate(s) for s in x["points"]]}


def _expected_critic(x) -> dict:
    return {"blocks": critic_block_outputs(x), **critic_scores(x),
            "without_embed_bias": critic_scores(x, embed_bias=False)}


def _expected_mnist_critic(x) -> dict:
    out = {**_expected_critic(x), "gradient_norms": critic_gradient_norms(x)}
    out["without_embed_bias"]["gradient_norms"] = critic_gradient_norms(x, embed_bias=False)
    return out


def _expected_cifar_generator(x) -> dict:
    return {"blocks": generator_block_outputs(x), "seed_map": cifar_generator_trace(x)["seed_map"],
            "gradient_norms": cifar_generator_gradient_norms(x)}


def _expected_costs(x) -> dict:
    return {"identity_costs": [identity_coupling_cost(eps) for _, eps in x["emd_cases"]]}


def _expected_schedule(x) -> dict:
    return {"custom": [scheduled_rate(*call) for call in x["custom"]],
            "random_epochs": [scheduled_rate(e, 100 + e % 7) for e in x["epochs"]]}


def _expected_penalty(x) -> dict:
    return {"unit_slope": linear_critic_penalty(1.0), "slope_two": linear_critic_penalty(x["norm_b"]),
            "slope_three": linear_critic_penalty(x["norm_c"])["penalty"],
            "connected": linear_critic_penalty_gradient(_scaled(x, "w_two", "norm_b"))}


def _expected_losses(x) -> dict:
    return {"zero_penalty": {"loss": wasserstein_term(x["w_unit"], x["zero_real"], x["zero_fake"]),
                             "with_sums": wasserstein_term(x["w_unit"], x["zero_real"], x["zero_fake"], "sum")},
            "generator": {"loss": generator_term(x["w_mid"], x["gen_fake"]),
                          "with_sums": generator_term(x["w_mid"], x["gen_fake"], "sum")},
            "with_lam": wasserstein_term(x["w_two"], x["lam_real"], x["lam_fake"]) + 0.5}


def _expected_optimizers(x) -> dict:
    return {"default_lr": adam_first_step(x, 3e-4), "lr_1e-3": adam_first_step(x, 1e-3),
            "betas": adam_steps(x, (0.0, 0.9)), "betas_default": adam_steps(x, (0.9, 0.999)),
            "betas_dcgan": adam_steps(x, (0.5, 0.999))}


def _expected_critic_step(x) -> dict:
    stood_in = {"batch": {"loss": stood_in_step(x["batch"], "critic")["loss"]},
                "fresh_critic": stood_in_step(x["fresh"], "critic")["params"],
                "stale_critic": stood_in_step(x["stale"], "critic")["params"],
                "stale_kept": stood_in_step(x["stale"], "critic", stale=True)["params"]}
    return {"batch": critic_step_loss(x["batch"]), "fresh_critic": critic_after_step(x["fresh"]),
            "stale_critic": critic_after_step(x["stale"]), "stale_kept": critic_after_step(x["stale"], stale=True),
            "stand_in": stood_in}


def _expected_generator_step(x) -> dict:
    stood_in = {"batch_loss": stood_in_step(x["batch"], "generator")["loss"],
                "fresh_generator": stood_in_step(x["fresh"], "generator")["params"],
                "stale_generator": stood_in_step(x["stale"], "generator")["params"],
                "stale_kept": stood_in_step(x["stale"], "generator", stale=True)["params"]}
    return {"batch_loss": generator_step_loss(x["batch"]), "fresh_generator": generator_after_step(x["fresh"]),
            "stale_generator": generator_after_step(x["stale"]),
            "stale_kept": generator_after_step(x["stale"], stale=True), "stand_in": stood_in}


EXPECTED = {"p1_conjugate_tests": _expected_kl_conjugate, "p2_conjugate_tests": _expected_rkl_conjugate,
            "p1_objective_tests": lambda x: {"critic_at_points": optimal_critic_values(x, 1)},
            "p2_objective_tests": lambda x: {"critic_at_points": optimal_critic_values(x, -1)},
            "p3_costs_tests": _expected_costs, "p4_linprog_tests": discrete_w1_values,
            "p6_schedule_tests": _expected_schedule,
            "p5_critic_tests": _expected_mnist_critic, "p6_critic_tests": _expected_critic,
            "p6_generator_tests": _expected_cifar_generator,
            "p5_gradient_penalty_tests": _expected_penalty, "p5_losses_tests": _expected_losses,
            "p5_optimizers_tests": _expected_optimizers,
            "p5_critic_step_tests": _expected_critic_step, "p5_generator_step_tests": _expected_generator_step}
