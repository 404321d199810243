"""hw4_gans's proofs and the constants its tests and benchmarks read (tests/authoring/test_proofs.py -k hw4).

Each Mutant names the answer cell it replaces and what it still earns in each test cell, or which
cells it passes; the statements, solutions and tests are the percent files beside this module.
"""
from pathlib import Path

from dgmlab.authoring import fixture_copier
from dgmlab.authoring.proofs import STUB, Mutant

from .step_mutants import STEP_MUTANTS
from .student_mutants import STUDENT_MUTANTS

HW = "hw4_gans"
# Files a full-mode run writes in the homework folder and the autograder grades (docs/hw4_gans.md).
BASELINE_FILE = "baseline_generator_weights.pt"  # the averaged baseline generator's state dict, float16 (1.16 MB)
CGAN_FILE = "cgan_generator_weights.pt"          # the averaged conditional generator's, float16 (1.18 MB)
RESULTS_FILE = "hw4_results.json"                # every experiment's scores (P0 checks it under grading)
MAX_FILE_BYTES = 1_500_000                       # the weight files' limit: float32 weights (2.3 MB) are not read


# ---------------------------------------------------------------------- proofs

# Reference lines that several mutants edit (the old side of their edits):
# P1.1's and P1.2's hidden layers;
_G_LAYER = "layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2)]"
_D_LAYER = "layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]"
# P1.3's two losses, docstring and body;
_G_LOSS = ('    """fake_logits: (N, 1) float32 logits of generated images -> 0-d tensor, the non-saturating generator '
           'loss."""\n'
           "    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))")
_D_LOSS = ('    """real_logits, fake_logits: (N, 1) float32 logits -> 0-d tensor, the discriminator loss L_D above."""\n'
           "    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n"
           "    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))\n"
           "    return real + fake")
# P2.2's progress bar, which the mutants that rewrite the training loop drop: made, and ticked and closed
_BAR_OPEN = '    bar = tqdm(total=epochs * len(loader), desc=f"GAN (d_steps={d_steps})", disable=not progress)\n'
_BAR_TICK = ("            bar.update(1)\n"
             '            if history["g_loss"]:\n'
             """                bar.set_postfix(d=f"{history['d_loss'][-1]:.3f}", g=f"{history['g_loss'][-1]:.3f}", """
             "refresh=False)\n"
             "    bar.close()")
# P4(a)'s and P4(b)'s answers (the mutants whose printed output changes drop the cell's NBVAL_CHECK_OUTPUT note);
_P4A_OUTPUTS = ("# NBVAL_CHECK_OUTPUT\n"
                "# V_point: sympy expression in p_data, p_g and d (the integrand of V at one point)\n"
                "# D_star: sympy expression in p_data and p_g (where dV_point/dd = 0)\n"
                "# second_derivative: sympy expression in p_data and p_g (d^2 V_point / dd^2 at d = D_star)\n"
                "# D_star_pi: sympy expression in p_data, p_g and pi_real (the maximiser with a share pi_real of real "
                "images)\n")
_P4A_SOLVED = ("D_star = sp.solve(sp.Eq(sp.diff(V_point, d), 0), d)[0]\n"
               "second_derivative = sp.simplify(sp.diff(V_point, d, 2).subs(d, D_star))\n"
               "V_point_pi = pi_real * p_data * sp.log(d) + (1 - pi_real) * p_g * sp.log(1 - d)\n"
               "D_star_pi = sp.solve(sp.Eq(sp.diff(V_point_pi, d), 0), d)[0]\n"
               'print("D_star =", D_star, "   second derivative there:", second_derivative)')
_P4B_OUTPUTS = ("# NBVAL_CHECK_OUTPUT\n"
                "# C_point: sympy expression in p_data and p_g, V_point with D_star substituted for d\n")
_P4B_ANSWER_END = ("    return float(0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m)))\n"
                   "\n\n"
                   'print("C_point =", C_point)')
# and P5's two linear programs, after their docstrings
_PRIMAL_LP = ("    rows = np.kron(np.eye(k1), np.ones((1, k2)))   # sum_j T_ij = v_i\n"
              "    cols = np.kron(np.ones((1, k1)), np.eye(k2))   # sum_i T_ij = w_j\n"
              "    res = linprog(C.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([v, w]),\n"
              '                  bounds=(0, None), method="highs")\n'
              "    if res.status != 0:\n"
              "        raise RuntimeError(res.message)\n"
              "    return float(res.fun), res.x.reshape(k1, k2)")
_DUAL_LP = ("    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))),    # phi_i in row i*k2 + j\n"
            "                      np.kron(np.ones((k1, 1)), np.eye(k2))])   # psi_j in row i*k2 + j\n"
            '    res = linprog(-np.concatenate([v, w]), A_ub=A_ub, b_ub=C.ravel(), bounds=(None, None), method="highs")\n'
            "    if res.status != 0:\n"
            "        raise RuntimeError(res.message)\n"
            "    return float(-res.fun), res.x[:k1], res.x[k1:]")


MUTANTS = [
    # ---------------------------------------------------------------- P1 generator
    Mutant("p1_generator", "BatchNorm added to the generator", edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2)]')],
        earns={"p1_generator_tests": 0}),
    Mutant("p1_generator", "dropout in the generator", edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(0.3)]')], earns={"p1_generator_tests": 0}),
    Mutant("p1_generator", "sigmoid output instead of tanh", edits=[('layers += [nn.Linear(width_in, out_dim), nn.Tanh()]', 'layers += [nn.Linear(width_in, out_dim), nn.Sigmoid()]')],
           earns={"p1_generator_tests": 0}),
    Mutant("p1_generator", "widths reversed (512, 256, 128)", edits=[('for width in widths:', 'for width in widths[::-1]:')],
           earns={"p1_generator_tests": 0}),
    Mutant("p1_generator", "ReLU instead of LeakyReLU", edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width), nn.ReLU()]')],
           earns={"p1_generator_tests": 0}),
    Mutant("p1_generator", "blank generator also fails P0", STUB, earns={"p1_generator_tests": 0, "p0_tests": 0}),
    Mutant("p1_generator", "LeakyReLU with PyTorch's default slope 0.01", edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width), nn.LeakyReLU()]')], earns={"p1_generator_tests": 0}),
    Mutant("p1_generator", "functional LeakyReLU at its default slope 0.01", edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width)]'), ('return self.net(z)', 'for layer in self.net[:-2]:\n            z = F.leaky_relu(layer(z))\n        return torch.tanh(self.net[-2](z))')], earns={"p1_generator_tests": 0}),
    Mutant("p1_generator", "correct variant: functional F.leaky_relu(h, 0.2)", edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width)]'), ('return self.net(z)', 'for layer in self.net[:-2]:\n            z = F.leaky_relu(layer(z), 0.2)\n        return torch.tanh(self.net[-2](z))')], passes=["p1_generator_tests"]),
    Mutant("p1_generator", "widths argument ignored (always 128, 256, 512)", edits=[('for width in widths:', 'for width in (128, 256, 512):')], earns={"p1_generator_tests": 4}),
    Mutant("p1_generator", "correct variant: ModuleList, one shared LeakyReLU(0.2)", r'''
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
''', passes=["p1_generator_tests"]),
    # ---------------------------------------------------------------- P1 discriminator
    Mutant("p1_discriminator", "sigmoid at the end (applied twice with the logit loss)", edits=[('layers.append(nn.Linear(width_in, 1))', 'layers += [nn.Linear(width_in, 1), nn.Sigmoid()]')],
        earns={"p1_discriminator_tests": 0}),
    Mutant("p1_discriminator", "no dropout", edits=[(_D_LAYER, _G_LAYER)],
           earns={"p1_discriminator_tests": 2.75}),
    Mutant("p1_discriminator", "BatchNorm added to the discriminator", edits=[(_D_LAYER, 'layers += [nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]')],
        earns={"p1_discriminator_tests": 0}),
    Mutant("p1_discriminator", "hard-coded widths (ignores the argument)", edits=[('for width in widths:', 'for width in (512, 256, 128):')], earns={"p1_discriminator_tests": 4}),
    Mutant("p1_discriminator", "does not flatten (N,1,28,28)", edits=[('return self.net(x.reshape(x.shape[0], -1))', 'return self.net(x)')],
           earns={"p1_discriminator_tests": 3.25}),
    Mutant("p1_discriminator", "LeakyReLU with PyTorch's default slope 0.01", edits=[(_D_LAYER, 'layers += [nn.Linear(width_in, width), nn.LeakyReLU(), nn.Dropout(dropout)]')], earns={"p1_discriminator_tests": 0}),
    Mutant("p1_discriminator", "dropout probability 0.5 (PyTorch's default) instead of 0.3", edits=[(_D_LAYER, 'layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout()]')], earns={"p1_discriminator_tests": 3.25}),
    Mutant("p1_discriminator", "dropout argument ignored (always 0.3)", edits=[(_D_LAYER, 'layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(0.3)]')], earns={"p1_discriminator_tests": 4}),
    Mutant("p1_discriminator", "correct variant: dropout before the activation, Flatten module", edits=[('return self.net(x.reshape(x.shape[0], -1))', 'return self.net(x)'),
        (_D_LAYER, 'layers += [nn.Linear(width_in, width), nn.Dropout(dropout), nn.LeakyReLU(0.2)]'),
        ('layers, width_in = [], in_dim', 'layers, width_in = [nn.Flatten()], in_dim')], passes=["p1_discriminator_tests"]),
    # ---------------------------------------------------------------- P1 losses
    Mutant("p1_losses", "sigmoid applied twice (sigmoid before the logit loss)", edits=[(_G_LOSS, '    p = torch.sigmoid(fake_logits)\n    return F.binary_cross_entropy_with_logits(p, torch.ones_like(p))')], earns={"p1_losses_tests": 1.75}),
    Mutant("p1_losses", "saturating generator loss log(1 - D(G(z)))", edits=[(_G_LOSS, '    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))')], earns={"p1_losses_tests": 1.75}),
    Mutant("p1_losses", "real/fake labels swapped", edits=[(_D_LOSS, '    return (F.binary_cross_entropy_with_logits(real_logits, torch.zeros_like(real_logits))\n            + F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)))')], earns={"p1_losses_tests": 3.25}),
    Mutant("p1_losses", "sum over the batch instead of mean", edits=[(_D_LOSS, '    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits), reduction="sum")\n            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits), reduction="sum"))')], earns={"p1_losses_tests": 2}),
    Mutant("p1_losses", "unstable sigmoid + BCE on probabilities", edits=[(_G_LOSS, '    return F.binary_cross_entropy(torch.sigmoid(fake_logits), torch.ones_like(fake_logits))'),
        (_D_LOSS, '    return (F.binary_cross_entropy(torch.sigmoid(real_logits), torch.ones_like(real_logits))\n            + F.binary_cross_entropy(torch.sigmoid(fake_logits), torch.zeros_like(fake_logits)))')], earns={"p1_losses_tests": 3.5}),
    Mutant("p1_losses", "log of sigmoid in both losses (-inf at the logits of 30 the statement warns of)", edits=[(_G_LOSS, '    return -torch.log(torch.sigmoid(fake_logits)).mean()'),
        (_D_LOSS, '    return -torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()')],
           earns={"p1_losses_tests": 3.5}),
    Mutant("p1_losses", "detached losses", edits=[(_G_LOSS, '    return F.binary_cross_entropy_with_logits(fake_logits.detach(), torch.ones_like(fake_logits))'),
        (_D_LOSS, '    real_logits, fake_logits = real_logits.detach(), fake_logits.detach()\n    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))')], earns={"p1_losses_tests": 2}),
    Mutant("p1_losses", "half the sum in the discriminator loss (the average of the two terms)", edits=[('return real + fake', 'return (real + fake) / 2')], earns={"p1_losses_tests": 2.25}),
    Mutant("p1_losses", "correct variant: softplus forms", r'''
def discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits):
    return F.softplus(-fake_logits).mean()
''', passes=["p1_losses_tests"]),
    # ---------------------------------------------------------------- P1 steps
    Mutant("p1_d_step", "forgets zero_grad", edits=[('    discriminator.train()\n    d_opt.zero_grad()\n', '    discriminator.train()\n')], earns={"p1_d_step_tests": 2.25}),
    Mutant("p1_d_step", "fakes not detached (gradients leak into G)", edits=[('    with torch.no_grad():\n        fake = generator(z)\n    loss = discriminator_loss(discriminator(real), discriminator(fake))', '    loss = discriminator_loss(discriminator(real), discriminator(generator(z)))')], earns={"p1_d_step_tests": 2.75}),
    Mutant("p1_d_step", "real and fake swapped", edits=[('loss = discriminator_loss(discriminator(real), discriminator(fake))', 'loss = discriminator_loss(discriminator(fake), discriminator(real))')], earns={"p1_d_step_tests": 0.75}),
    Mutant("p1_d_step", "returns the loss recomputed after the update", edits=[('    return loss.item()', '    with torch.no_grad():\n        return discriminator_loss(discriminator(real), discriminator(fake)).item()')], earns={"p1_d_step_tests": 2.5}),
    Mutant("p1_d_step", "updates by hand with lr 0.1, the optimizer's step never taken",
           edits=[('    d_opt.step()\n', '    with torch.no_grad():\n        for p in discriminator.parameters():\n            p -= 0.1 * p.grad\n')],
           earns={"p1_d_step_tests": 1.25}),
    Mutant("p1_d_step", "discriminator in eval mode (dropout off) for its update", edits=[('    d_opt.zero_grad()\n    with torch.no_grad():\n        fake = generator(z)\n', '    discriminator.eval()\n    d_opt.zero_grad()\n    with torch.no_grad():\n        fake = generator(z)\n')], earns={"p1_d_step_tests": 2.75}),
    Mutant("p1_d_step", "discriminator left in eval mode after its update", edits=[('    d_opt.step()\n    return loss.item()', '    d_opt.step()\n    discriminator.eval()\n    return loss.item()')], earns={"p1_d_step_tests": 2.75}),
    Mutant("p1_d_step", "correct variant: detach, loss computed after a second forward", r'''
def discriminator_step(generator, discriminator, d_opt, real, z):
    discriminator.train()
    fake = generator(z).detach()
    discriminator.zero_grad()
    loss = discriminator_loss(discriminator(real), discriminator(fake))
    loss.backward()
    d_opt.step()
    return float(loss.detach())
''', passes=["p1_d_step_tests"]),
    Mutant("p1_g_step", "fake detached in the generator step", edits=[('loss = generator_loss(discriminator(generator(z)))', 'loss = generator_loss(discriminator(generator(z).detach()))')], earns={"p1_g_step_tests": 1}),
    Mutant("p1_g_step", "minimax (saturating) loss in the step", edits=[('    loss = generator_loss(discriminator(generator(z)))', '    logits = discriminator(generator(z))\n    loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))')], earns={"p1_g_step_tests": 0.75}),
    Mutant("p1_g_step", "forgets zero_grad", edits=[('    """One generator update (non-saturating loss). z: (N, latent_dim) float32.\n\n    Returns the generator loss of this batch (before the update) as a float.\n    """\n    g_opt.zero_grad()\n', '')], earns={"p1_g_step_tests": 2.5}),
    Mutant("p1_g_step", "correct variant: generator.zero_grad()", r'''
def generator_step(generator, discriminator, g_opt, z):
    generator.zero_grad(set_to_none=True)
    fake = generator(z)
    loss = generator_loss(discriminator(fake))
    loss.backward()
    g_opt.step()
    return loss.detach().item()
''', passes=["p1_g_step_tests"]),
    Mutant("p2_make_gan", "wide generator widens the discriminator instead", edits=[('        raise ValueError(f"unknown experiment {experiment!r}; expected one of {EXPERIMENTS}")\n    return Generator(latent_dim, g_widths), Discriminator(d_widths), d_steps', "        raise ValueError(experiment)\n    return Generator(latent_dim, g_widths), Discriminator((1024, 512, 256) if experiment == 'wide_generator' else d_widths), d_steps"),
        ('g_widths = (256, 512, 1024)', 'g_widths = (128, 256, 512)')],
        earns={"p2_make_gan_tests": 2.75}),
    Mutant("p2_make_gan", "deeper discriminator appends a smaller layer", edits=[('raise ValueError(f"unknown experiment {experiment!r}; expected one of {EXPERIMENTS}")', 'raise ValueError(experiment)'),
        ('d_widths = (1024, 512, 256, 128)', 'd_widths = (512, 256, 128, 64)')],
           earns={"p2_make_gan_tests": 2.5}),
    Mutant("p2_make_gan", "deep discriminator without its 128 layer, widths (1024, 512, 256)",
           edits=[('d_widths = (1024, 512, 256, 128)', 'd_widths = (1024, 512, 256)')], earns={"p2_make_gan_tests": 2.5}),
    Mutant("p2_make_gan", "d_steps left at 1", edits=[('raise ValueError(f"unknown experiment {experiment!r}; expected one of {EXPERIMENTS}")', 'raise ValueError(experiment)'),
        ('d_steps = 10', 'd_steps = 1')], earns={"p2_make_gan_tests": 2.75}),
    Mutant("p2_make_gan", "unknown names fall back to the baseline", edits=[('raise ValueError(f"unknown experiment {experiment!r}; expected one of {EXPERIMENTS}")', 'pass')], earns={"p2_make_gan_tests": 2.5}),
    Mutant("p2_make_gan", "the same networks returned on every call (built once)", edits=[('    """experiment: one of EXPERIMENTS -> (Generator, Discriminator, d_steps: int), freshly initialised."""\n    g_widths, d_widths, d_steps = (128, 256, 512), (512, 256, 128), 1\n    if experiment == "wide_generator":\n        g_widths = (256, 512, 1024)\n    elif experiment == "deep_discriminator":\n        d_widths = (1024, 512, 256, 128)\n    elif experiment == "d_steps_10":\n        d_steps = 10\n    elif experiment != "baseline":\n        raise ValueError(f"unknown experiment {experiment!r}; expected one of {EXPERIMENTS}")\n    return Generator(latent_dim, g_widths), Discriminator(d_widths), d_steps', '    settings = {"baseline": ((128, 256, 512), (512, 256, 128), 1),\n                "wide_generator": ((256, 512, 1024), (512, 256, 128), 1),\n                "deep_discriminator": ((128, 256, 512), (1024, 512, 256, 128), 1),\n                "d_steps_10": ((128, 256, 512), (512, 256, 128), 10)}\n    if experiment not in settings:\n        raise ValueError(experiment)\n    if experiment not in _BUILT:\n        g, d, k = settings[experiment]\n        _BUILT[experiment] = (Generator(latent_dim, g), Discriminator(d), k)\n    return _BUILT[experiment]'),
        ('EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")', 'EXPERIMENTS = ("baseline", "wide_generator", "deep_discriminator", "d_steps_10")\n_BUILT = {}')], earns={"p2_make_gan_tests": 2.5}),
    Mutant("p2_make_gan", "latent_dim argument ignored (the generator always reads 100 columns)", edits=[('return Generator(latent_dim, g_widths)', 'return Generator(100, g_widths)')], earns={"p2_make_gan_tests": 2.75}),
    Mutant("p2_make_gan", "dropout switched off in every experiment's discriminator",
           edits=[('Discriminator(d_widths), d_steps', 'Discriminator(d_widths, dropout=0.0), d_steps')],
           earns={"p2_make_gan_tests": 1.5}),
    Mutant("p2_make_gan", "correct variant: table of settings", r'''
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
''', passes=["p2_make_gan_tests"]),
    Mutant("p2_train_gan", "ignores d_steps (G every batch)", edits=[('            n_d += 1\n            if n_d % d_steps == 0:\n                z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n                history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))\n' + _BAR_TICK, '            history["g_loss"].append(generator_step(generator, discriminator, g_opt, torch.randn_like(z)))'),
        (_BAR_OPEN, '')], earns={"p2_train_gan_tests": 1.5}),
    Mutant("p2_train_gan", "d_steps updates on the same batch, G every batch", edits=[('                history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))\n' + _BAR_TICK, '                history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))\n            history["g_loss"].append(generator_step(generator, discriminator, g_opt, torch.randn_like(z)))'),
        ('            z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n            history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))\n            n_d += 1\n            if n_d % d_steps == 0:', '            for _ in range(d_steps):'),
        (_BAR_OPEN, '')], earns={"p2_train_gan_tests": 1.5}),
    Mutant("p2_train_gan", "off by one: G after the 1st, d_steps+1-th, ... D update, not the d_steps-th",
           edits=[('if n_d % d_steps == 0:', 'if (n_d - 1) % d_steps == 0:')], earns={"p2_train_gan_tests": 2}),
    Mutant("p2_train_gan", "generator updated before the discriminator", edits=[('            if n_d % d_steps == 0:\n                z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n                history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))\n' + _BAR_TICK + "\n", ''),
        ('            z = torch.randn(real.shape[0], generator.latent_dim, device=device)', '            z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n            if n_d % d_steps == 0:\n                history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))'),
        (_BAR_OPEN, '')], earns={"p2_train_gan_tests": 1}),
    # its history lists losses of no update, not what the steps returned: the history point (0.5) is lost too since
    # P2.2 compares the history with the grader's replay (it used to check counts and types only)
    Mutant("p2_train_gan", "generator never trained", edits=[('                z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n                history["g_loss"].append(generator_step(generator, discriminator, g_opt, z))\n' + _BAR_TICK, '                history["g_loss"].append(generator_loss(discriminator(generator(z))).item())'),
        (_BAR_OPEN, '')], earns={"p2_train_gan_tests": 0}),
    Mutant("p2_train_gan", "noise of shape (latent_dim, batch): arguments of randn swapped",
           edits=[(_BAR_TICK + "\n", ''),
        ('                z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n', ''),
        ('z = torch.randn(real.shape[0], generator.latent_dim, device=device)', 'z = torch.randn(generator.latent_dim, real.shape[0], device=device)'),
        (_BAR_OPEN, '')], earns={"p2_train_gan_tests": 0.5}),
    Mutant("p2_train_gan", "noise batch taken from the channel dimension (real.shape[1])",
           edits=[(_BAR_TICK + "\n", ''),
        ('                z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n', ''),
        ('z = torch.randn(real.shape[0], generator.latent_dim, device=device)', 'z = torch.randn(real.shape[1], generator.latent_dim, device=device)'),
        (_BAR_OPEN, '')], earns={"p2_train_gan_tests": 2.5}),
    Mutant("p2_train_gan", "real batches left where the loader put them (no .to(device))",
           edits=[(_BAR_TICK + "\n", ''),
        ('history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))', 'history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real.cpu(), z))'),
        (_BAR_OPEN, '')], earns={"p2_train_gan_tests": 2.75}),
    Mutant("p2_train_gan", "d_steps counted within each epoch (counter reset at each epoch's start)",
           edits=[('    for _ in range(epochs):\n        for real, _labels in loader:',
                   '    for _ in range(epochs):\n        n_d = 0\n        for real, _labels in loader:')],
           earns={"p2_train_gan_tests": 2}),
    Mutant("p2_train_gan", "the discriminator's z handed to the generator's step too (no fresh noise)",
           edits=[('                z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n                history["g_loss"]',
                   '                history["g_loss"]')],
           earns={"p2_train_gan_tests": 2.5}),
    Mutant("p2_train_gan", "correct variant: randn_like noise for G, counter reset after each G update", r'''
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    device = next(generator.parameters()).device
    history = {"d_loss": [], "g_loss": []}
    n_d = 0
    for _ in range(epochs):
        for real, _labels in loader:
            real = real.to(device)
            z = torch.randn(real.shape[0], generator.latent_dim, device=device)
            history["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, z))
            n_d += 1
            if n_d == d_steps:
                n_d = 0
                history["g_loss"].append(generator_step(generator, discriminator, g_opt, torch.randn_like(z)))
    return history
''', passes=["p2_train_gan_tests"]),
    Mutant("p2_train_gan", "correct variant: the two steps bound as default arguments", r'''
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True,
              d_step=discriminator_step, g_step=generator_step):
    device = next(generator.parameters()).device
    history = {"d_loss": [], "g_loss": []}
    n_d = 0
    for _ in range(epochs):
        for real, _labels in loader:
            real = real.to(device)
            z = torch.randn(real.shape[0], generator.latent_dim, device=device)
            history["d_loss"].append(d_step(generator, discriminator, d_opt, real, z))
            n_d += 1
            if n_d % d_steps == 0:
                z = torch.randn(real.shape[0], generator.latent_dim, device=device)
                history["g_loss"].append(g_step(generator, discriminator, g_opt, z))
    return history
''', passes=["p2_train_gan_tests"]),
    Mutant("p3_cond_generator", "labels ignored (embedding computed, not used)",
           edits=[('        return self.net(torch.cat([z, self.embed(labels)], dim=1))', '        e = self.embed(labels)\n        return self.net(torch.cat([z, torch.zeros_like(e)], dim=1))')],
           earns={"p3_cond_generator_tests": 0}),
    Mutant("p3_cond_generator", "dropout in the conditional generator", edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(0.3)]')],
           earns={"p3_cond_generator_tests": 0}),
    Mutant("p3_cond_generator", "BatchNorm in the conditional generator",
           edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2)]')],
           earns={"p3_cond_generator_tests": 0}),
    Mutant("p3_cond_generator", "one-hot labels instead of an embedding",
           edits=[('return self.net(torch.cat([z, self.embed(labels)], dim=1))', 'return self.net(torch.cat([z, F.one_hot(labels, 10).float()], dim=1))')],
           earns={"p3_cond_generator_tests": 0}),
    Mutant("p3_cond_generator", "LeakyReLU with PyTorch's default slope 0.01",
           edits=[(_G_LAYER, 'layers += [nn.Linear(width_in, width), nn.LeakyReLU()]')], earns={"p3_cond_generator_tests": 0}),
    Mutant("p3_cond_generator", "embedding first in the concatenation, [e(y), z] (the statement and the graded file read [z, e(y)])",
           edits=[('return self.net(torch.cat([z, self.embed(labels)], dim=1))', 'return self.net(torch.cat((self.embed(labels), z), 1))')],
           earns={"p3_cond_generator_tests": 0}),  # 1.5 until the hidden tests took only the stated order
    Mutant("p3_cond_generator", "correct variant: torch.hstack of [z, e(y)]",
           edits=[('return self.net(torch.cat([z, self.embed(labels)], dim=1))', 'return self.net(torch.hstack((z, self.embed(labels))))')],
           passes=["p3_cond_generator_tests"]),
    Mutant("p3_cond_discriminator", "labels ignored", edits=[('return self.net(torch.cat([x.reshape(x.shape[0], -1), self.embed(labels)], dim=1))', 'return self.net(torch.cat([x.reshape(x.shape[0], -1), self.embed(torch.zeros_like(labels))], dim=1))'),
        ('        layers.append(nn.Linear(width_in, 1))', '        layers.append(nn.Linear(width_in, 1))\n        pass')],
           earns={"p3_cond_discriminator_tests": 0}),
    Mutant("p3_cond_discriminator", "sigmoid at the end", edits=[('        layers.append(nn.Linear(width_in, 1))', '        layers.append(nn.Linear(width_in, 1))\n        layers.append(nn.Sigmoid())')],
           earns={"p3_cond_discriminator_tests": 0}),
    Mutant("p3_cond_discriminator", "BatchNorm in the conditional discriminator", edits=[('        layers.append(nn.Linear(width_in, 1))', '        layers.append(nn.Linear(width_in, 1))\n        pass'),
        (_D_LAYER, 'layers += [nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]')],
           earns={"p3_cond_discriminator_tests": 0}),
    Mutant("p3_cond_discriminator", "dropout probability 0.5 instead of 0.3",
           edits=[('        layers.append(nn.Linear(width_in, 1))', '        layers.append(nn.Linear(width_in, 1))\n        pass'),
        (_D_LAYER, 'layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(0.5)]')], earns={"p3_cond_discriminator_tests": 2.75}),
    Mutant("p3_cond_discriminator", "embedding before the image ([e_D(y), x]; the statement reads [x, e_D(y)])",
           edits=[('return self.net(torch.cat([x.reshape(x.shape[0], -1), self.embed(labels)], dim=1))', 'return self.net(torch.cat([self.embed(labels), x.flatten(1)], 1))'),
        ('        layers.append(nn.Linear(width_in, 1))', '        layers.append(nn.Linear(width_in, 1))\n        pass')],
           earns={"p3_cond_discriminator_tests": 2.5}),
    Mutant("p3_cgan_steps", "fakes judged with random labels", edits=[('loss = discriminator_loss(discriminator(real, labels), discriminator(fake, labels))', 'loss = discriminator_loss(discriminator(real, labels), discriminator(fake, torch.randint_like(labels, 10)))')],
           earns={"p3_cgan_steps_tests": 2.75}),
    Mutant("p3_cgan_steps", "fakes generated for random labels", edits=[('fake = generator(z, labels)', 'fake = generator(z, torch.randint_like(labels, 10))')],
           earns={"p3_cgan_steps_tests": 2.75}),
    Mutant("p3_cgan_steps", "generator draws other labels than the ones judged", edits=[('loss = generator_loss(discriminator(generator(z, labels), labels))', 'loss = generator_loss(discriminator(generator(z, torch.randint_like(labels, 10)), labels))')],
           earns={"p3_cgan_steps_tests": 2.5}),
    Mutant("p3_cgan_steps", "discriminator's old gradients never cleared", edits=[('    discriminator.train()\n    d_opt.zero_grad()\n', '    discriminator.train()\n')],
           earns={"p3_cgan_steps_tests": 3.5}),
    Mutant("p3_cgan_steps", "generator's old gradients never cleared", edits=[('    """z: (N, latent_dim) float32; labels: (N,) int64 -> loss float (non-saturating)."""\n    g_opt.zero_grad()\n', '')],
           earns={"p3_cgan_steps_tests": 3.25}),
    Mutant("p3_cgan_steps", "correct variant: detach and softplus losses written inline", r'''
def cgan_discriminator_step(generator, discriminator, d_opt, real, labels, z):
    discriminator.train(True)
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
''', passes=["p3_cgan_steps_tests"]),
    # wrong but self-consistent (issue 45 item 5): its D_star is the stationary point of its own V_point; the
    # stated integrand's derivative at the grader's densities withholds that half point
    Mutant("p4a", "densities swapped in the integrand", edits=[('# NBVAL_CHECK_OUTPUT\n# V_point: sympy expression in p_data, p_g and d (the integrand of V at one point)\n# D_star: sympy expression in p_data and p_g (where dV_point/dd = 0)\n# second_derivative: sympy expression in p_data and p_g (d^2 V_point / dd^2 at d = D_star)\n# D_star_pi: sympy expression in p_data, p_g and pi_real (the maximiser with a share pi_real of real images)\nV_point = p_data * sp.log(d) + p_g * sp.log(1 - d)\nD_star = sp.solve(sp.Eq(sp.diff(V_point, d), 0), d)[0]\nsecond_derivative = sp.simplify(sp.diff(V_point, d, 2).subs(d, D_star))\nV_point_pi = pi_real * p_data * sp.log(d) + (1 - pi_real) * p_g * sp.log(1 - d)\nD_star_pi = sp.solve(sp.Eq(sp.diff(V_point_pi, d), 0), d)[0]\nprint("D_star =", D_star, "   second derivative there:", second_derivative)', 'V_point = p_g * sp.log(d) + p_data * sp.log(1 - d)\nD_star = sp.solve(sp.diff(V_point, d), d)[0]\nsecond_derivative = sp.diff(V_point, d, 2).subs(d, D_star)\nD_star_pi = sp.solve(sp.diff(pi_real * p_g * sp.log(d) + (1 - pi_real) * p_data * sp.log(1 - d), d), d)[0]')], earns={"p4a_tests": 1}),
    Mutant("p4a", "second derivative not evaluated at D*", edits=[(_P4A_SOLVED, 'D_star = sp.solve(sp.diff(V_point, d), d)[0]\nsecond_derivative = sp.diff(V_point, d, 2)\nD_star_pi = sp.solve(sp.diff(pi_real * p_data * sp.log(d) + (1 - pi_real) * p_g * sp.log(1 - d), d), d)[0]'),
        (_P4A_OUTPUTS, '')], earns={"p4a_tests": 3.75}),
    Mutant("p4a", "first derivative sign slip in D*", edits=[(_P4A_SOLVED, 'D_star = p_g / (p_data + p_g)\nsecond_derivative = sp.diff(V_point, d, 2).subs(d, D_star)\nD_star_pi = (1 - pi_real) * p_g / (pi_real * p_data + (1 - pi_real) * p_g)'),
        (_P4A_OUTPUTS, '')], earns={"p4a_tests": 1.25}),
    # the printed D* copied in earns nothing (issue 19): reused for the weighted case, or weights misplaced
    Mutant("p4a", "copied D* from the statement and reused it for unbalanced batches", edits=[(_P4A_SOLVED, 'D_star = p_data / (p_data + p_g)\nsecond_derivative = sp.diff(V_point, d, 2).subs(d, D_star)\nD_star_pi = D_star + 0 * pi_real'),
        (_P4A_OUTPUTS, '')], earns={"p4a_tests": 1.75}),
    Mutant("p4a", "copied D* and put the batch shares on the wrong densities", edits=[(_P4A_SOLVED, 'D_star = p_data / (p_data + p_g)\nsecond_derivative = sp.diff(V_point, d, 2).subs(d, D_star)\nD_star_pi = (1 - pi_real) * p_data / ((1 - pi_real) * p_data + pi_real * p_g)'),
        (_P4A_OUTPUTS, '')], earns={"p4a_tests": 2.25}),
    Mutant("p4a", "correct variant: by hand, unsimplified", r'''
V_point = sp.log(d) * p_data + sp.log(1 - d) * p_g
D_star = 1 / (1 + p_g / p_data)
second_derivative = -p_data / D_star**2 - p_g / (1 - D_star)**2
D_star_pi = 1 / (1 + (1 - pi_real) * p_g / (pi_real * p_data))
''', passes=["p4a_tests"]),
    Mutant("p4a", "correct variant: sympy's forms, substituted unsimplified, factored", r'''
V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)
D_star = sp.solve(sp.diff(V_point, d), d)[0]
second_derivative = sp.diff(V_point, d, 2).subs(d, D_star)
V_point_pi = sp.expand(pi_real * p_data * sp.log(d) + (1 - pi_real) * p_g * sp.log(1 - d))
D_star_pi = sp.factor(sp.solve(sp.diff(V_point_pi, d), d)[0])
'''.strip("\n"), passes=["p4a_tests"]),
    Mutant("p4b", "JSD without the 1/2 weights", edits=[(_P4B_ANSWER_END, '    return float(np.sum(xlogy(p, p) - xlogy(p, m)) + np.sum(xlogy(q, q) - xlogy(q, m)))'),
        (_P4B_OUTPUTS, '')],
           earns={"p4b_tests": 3.5}),
    Mutant("p4b", "JSD in bits (log base 2)", edits=[(_P4B_ANSWER_END, '    return float((0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m))) / np.log(2))'),
        (_P4B_OUTPUTS, '')],
           earns={"p4b_tests": 3.5}),
    Mutant("p4b", "D* swapped inside C (uses p_g/(p_data+p_g))", edits=[(_P4B_ANSWER_END, '    return float(0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m)))'),
        ('return float(np.sum(xlogy(p, p) - xlogy(p, s) + xlogy(q, q) - xlogy(q, s)))', 'return float(np.sum(xlogy(p, q) - xlogy(p, s) + xlogy(q, p) - xlogy(q, s)))'),
        ('# NBVAL_CHECK_OUTPUT\n# C_point: sympy expression in p_data and p_g, V_point with D_star substituted for d\nC_point = V_point.subs(d, D_star)', 'C_point = V_point.subs(d, p_g / (p_data + p_g))')], earns={"p4b_tests": 2.25}),
    Mutant("p4b", "np.log in virtual_criterion (no 0 log 0 = 0: nan at a zero entry)", edits=[
        ('return float(np.sum(xlogy(p, p) - xlogy(p, s) + xlogy(q, q) - xlogy(q, s)))', 'return float(np.sum(p * np.log(p / s) + q * np.log(q / s)))')],
           earns={"p4b_tests": 3.5}),
    Mutant("p4b", "0 log 0 not handled (np.log)", edits=[(_P4B_ANSWER_END, '    return float(0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)))'),
        ('return float(np.sum(xlogy(p, p) - xlogy(p, s) + xlogy(q, q) - xlogy(q, s)))', 'return float(np.sum(p * np.log(p / s) + q * np.log(q / s)))'),
        (_P4B_OUTPUTS, '')], earns={"p4b_tests": 2.5}),
    Mutant("p4b", "KL(p||q) used as the divergence", edits=[(_P4B_ANSWER_END, '    return float(np.sum(xlogy(p, p) - xlogy(p, q)))'),
        (_P4B_OUTPUTS, '')],
           earns={"p4b_tests": 3.5}),
    Mutant("p4b", "C_point with D = 1/2 substituted instead of D*", edits=[(_P4B_ANSWER_END, '    return float(0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m)))'),
        ('# NBVAL_CHECK_OUTPUT\n# C_point: sympy expression in p_data and p_g, V_point with D_star substituted for d\nC_point = V_point.subs(d, D_star)', 'C_point = V_point.subs(d, sp.Rational(1, 2))')],
           earns={"p4b_tests": 4}),
    Mutant("p4b", "correct variant: scipy.special.rel_entr", r'''
from scipy.special import rel_entr

C_point = V_point.subs(d, D_star)


def virtual_criterion(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    s = p + q
    return float(-np.log(4) + np.sum(rel_entr(p, (p + q) / 2) + rel_entr(q, (p + q) / 2)))


def js_divergence(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    m = (p + q) / 2
    return float(0.5 * np.sum(rel_entr(p, m)) + 0.5 * np.sum(rel_entr(q, m)))
''', passes=["p4b_tests"]),
    Mutant("p4b", "correct variant: C_point simplified (sympy writes powers of powers in the log)", edits=[
        ("C_point = V_point.subs(d, D_star)", "C_point = sp.simplify(V_point.subs(d, D_star))")], passes=["p4b_tests"]),
    Mutant("p5_ot_primal", "no non-negativity bound on T", edits=[(_PRIMAL_LP, '    rows = np.kron(np.eye(k1), np.ones((1, k2)))\n    cols = np.kron(np.ones((1, k1)), np.eye(k2))\n    res = linprog(C.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([v, w]), bounds=(None, None), method="highs")\n    return float( res.fun), res.x.reshape(k1, k2)')], earns={"p5_ot_primal_tests": 0}),
    Mutant("p5_ot_primal", "marginals swapped", edits=[(_PRIMAL_LP, '    rows = np.kron(np.eye(k1), np.ones((1, k2)))\n    cols = np.kron(np.ones((1, k1)), np.eye(k2))\n    res = linprog(C.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([w, v]) if len(v) != len(w) else np.concatenate([v, w[::-1]]), bounds=(0, None), method="highs")\n    return float( res.fun), res.x.reshape(k1, k2)')],
           earns={"p5_ot_primal_tests": 0}),
    Mutant("p5_ot_primal", "maximises the cost", edits=[(_PRIMAL_LP, '    rows = np.kron(np.eye(k1), np.ones((1, k2)))\n    cols = np.kron(np.ones((1, k1)), np.eye(k2))\n    res = linprog(-C.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([v, w]), bounds=(0, None), method="highs")\n    return float(- res.fun), res.x.reshape(k1, k2)')], earns={"p5_ot_primal_tests": 0}),
    Mutant("p5_ot_primal", "plan reshaped column by column (T_ij read as variable j k1 + i)",
           edits=[(_PRIMAL_LP, '    rows = np.kron(np.eye(k1), np.ones((1, k2)))\n    cols = np.kron(np.ones((1, k1)), np.eye(k2))\n    res = linprog(C.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([v, w]), bounds=(0, None), method="highs")\n    return float( res.fun), res.x.reshape(k2, k1).T')], earns={"p5_ot_primal_tests": 5.5}),
    Mutant("p5_ot_primal", "correct variant: constraints built with loops", r'''
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
''', passes=["p5_ot_primal_tests"]),
    Mutant("p5_ot_dual", "dual constraint with the wrong sign (phi_i + psi_j >= c_ij), minimised", edits=[(_DUAL_LP, '    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])\n    res = linprog(np.concatenate([v, w]), A_ub=-A_ub, b_ub=-C.ravel(), bounds=(None, None), method="highs")\n    return float( res.fun), res.x[:k1], res.x[k1:]')], earns={"p5_ot_dual_tests": 0}),
    Mutant("p5_ot_dual", "dual constraint with the wrong sign, maximised", edits=[(_DUAL_LP, '    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])\n    res = linprog(-np.concatenate([v, w]), A_ub=-A_ub, b_ub=-C.ravel(), bounds=(None, None), method="highs")\n    return float(- res.fun), res.x[:k1], res.x[k1:]')],
           earns={"p5_ot_dual_tests": 0}),
    Mutant("p5_ot_dual", "potentials forced non-negative", edits=[(_DUAL_LP, '    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])\n    res = linprog(-np.concatenate([v, w]), A_ub=A_ub, b_ub=C.ravel(), bounds=(0, None), method="highs")\n    return float(- res.fun), res.x[:k1], res.x[k1:]')], earns={"p5_ot_dual_tests": 0}),
    Mutant("p5_ot_dual", "forgot that linprog minimises", edits=[(_DUAL_LP, '    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])\n    res = linprog(np.concatenate([v, w]), A_ub=A_ub, b_ub=C.ravel(), bounds=(None, None), method="highs")\n    return float( res.fun), res.x[:k1], res.x[k1:]')],
           earns={"p5_ot_dual_tests": 0}),
    Mutant("p5_ot_dual", "value not negated back (returns the minimised -objective)", edits=[('    if res.status != 0:\n        raise RuntimeError(res.message)\n    return float(-res.fun), res.x[:k1], res.x[k1:]', '    return float( res.fun), res.x[:k1], res.x[k1:]'),
        ('    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))),    # phi_i in row i*k2 + j\n                      np.kron(np.ones((k1, 1)), np.eye(k2))])   # psi_j in row i*k2 + j', '    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))), np.kron(np.ones((k1, 1)), np.eye(k2))])')],
           earns={"p5_ot_dual_tests": 5.5}),
    # red team F3 (/tmp/redteam/hw4_ot.py): a feasible answer that is not optimal earned 4.5 of 7 (primal) and
    # 3.5 of 7 (dual) while the visible checks read feasibility only; they now compare with POT's optimum
    Mutant("p5_ot_primal", "red team F3: north-west corner coupling (feasible, no LP)", r'''
def ot_primal(v, w, C):
    v, w = np.asarray(v, float).copy(), np.asarray(w, float).copy()
    T = np.zeros((len(v), len(w)))
    i = j = 0
    while i < len(v) and j < len(w):
        m = min(v[i], w[j])
        T[i, j] += m
        v[i] -= m
        w[j] -= m
        if v[i] <= 1e-15:
            i += 1
        else:
            j += 1
    return float(np.sum(C * T)), T
''', earns={"p5_ot_primal_tests": 0}),
    Mutant("p5_ot_dual", "red team F3: phi = 0, psi = column minima (feasible, no LP)", r'''
def ot_dual(v, w, C):
    v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
    phi, psi = np.zeros(len(v)), C.min(axis=0)
    return float(v @ phi + w @ psi), phi, psi
''', earns={"p5_ot_dual_tests": 0}),
    Mutant("p5_ot_dual", "blank dual also fails P0", STUB, earns={"p5_ot_dual_tests": 0, "p0_tests": 0}),
    Mutant("p5_ot_dual", "correct variant: psi first in the variable vector", r'''
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
''', passes=["p5_ot_dual_tests"]),
    # ---------------------------------------------------------------- trainable means trainable (issue 54 item 2)
    # A network whose forward pass leaves autograd, or a step that never updates its player, earns none of its cell.
    Mutant("p1_generator", "forward under torch.no_grad() (nothing can train it)",
           edits=[('        return self.net(z)', '        with torch.no_grad():\n            return self.net(z)')],
           earns={"p1_generator_tests": 0}),
    Mutant("p1_generator", "forward by the student package's dgmlab.artifacts.mlp_forward", r'''
import dgmlab.artifacts


class Generator(nn.Module):
    def __init__(self, latent_dim=100, widths=(128, 256, 512), out_dim=784):
        super().__init__()
        self.latent_dim = latent_dim
        dims = [latent_dim, *widths, out_dim]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, z):
        tensors = [t for layer in self.layers for t in (layer.weight, layer.bias)]
        return dgmlab.artifacts.mlp_forward(tensors, z)
''', earns={"p1_generator_tests": 0}),
    Mutant("p1_discriminator", "logits through numpy (detached from the graph)",
           edits=[('return self.net(x.reshape(x.shape[0], -1))',
                   'return torch.from_numpy(self.net(x.reshape(x.shape[0], -1)).detach().numpy())')],
           earns={"p1_discriminator_tests": 0}),
    Mutant("p3_cond_generator", "label embedding detached (never trained)",
           edits=[('return self.net(torch.cat([z, self.embed(labels)], dim=1))',
                   'return self.net(torch.cat([z, self.embed(labels).detach()], dim=1))')],
           earns={"p3_cond_generator_tests": 0}),
    Mutant("p3_cond_discriminator", "forward under torch.no_grad()",
           edits=[('        return self.net(torch.cat([x.reshape(x.shape[0], -1), self.embed(labels)], dim=1))',
                   '        with torch.no_grad():\n'
                   '            return self.net(torch.cat([x.reshape(x.shape[0], -1), self.embed(labels)], dim=1))')],
           earns={"p3_cond_discriminator_tests": 0}),
    Mutant("p1_d_step", "forgets loss.backward() (the discriminator never moves)",
           edits=[('    loss.backward()\n    d_opt.step()', '    d_opt.step()')], earns={"p1_d_step_tests": 0}),
    Mutant("p1_g_step", "forgets loss.backward() (the generator never moves)",
           edits=[('    loss.backward()\n    g_opt.step()', '    g_opt.step()')], earns={"p1_g_step_tests": 1}),
    Mutant("p3_cgan_steps", "generator step forgets loss.backward()",
           edits=[('    loss.backward()\n    g_opt.step()', '    g_opt.step()')], earns={"p3_cgan_steps_tests": 0.75}),
    Mutant("p3_cgan_steps", "fakes not detached in the discriminator step (gradients leak into G)",
           edits=[('    with torch.no_grad():\n        fake = generator(z, labels)\n', '    fake = generator(z, labels)\n')],
           earns={"p3_cgan_steps_tests": 3.25}),
] + STEP_MUTANTS + STUDENT_MUTANTS  # issue 62: a careful student's mistakes that kept every visible point before

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
        "L7 logic: `not progress` -> `progress`":
            "only shows the bar when asked not to (on stderr); the training is the same. Killed while the tests ran in "
            "the kernel (stderr in a test cell failed it there); the grader reads the probe's data, not the cell's "
            "output, and nbgrader's IgnorePattern drops stderr anyway",
        "L13 arith: `n_d += 1` -> `n_d -= 1` (+= -> -=)":
            "Python's % has the sign of the divisor, so -k % d_steps == 0 exactly when k % d_steps == 0: the same "
            "updates in the same order",
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
GENUINE_BASELINE = FIXTURES / "hw4_genuine_baseline_generator_f16.pt"  # reference run's average after 50 epochs
GENUINE_CGAN = FIXTURES / "hw4_genuine_cgan_generator_f16.pt"
EARLY_BASELINE = FIXTURES / "hw4_early_baseline_generator_f16.pt"      # the same run's average after 5 epochs
EARLY_CGAN = FIXTURES / "hw4_early_cgan_generator_f16.pt"
# the clearly worse run of each graded file, which must not earn full marks (benchmarks/trained_bars.py)
EARLY_ARTIFACTS = {"baseline_generator_weights.pt": EARLY_BASELINE, "cgan_generator_weights.pt": EARLY_CGAN}
GENUINE_RESULTS = FIXTURES / "hw4_results.json"


# Files the reference needs next to the notebook for every graded cell to pass, all genuine outputs of the
# reference solution trained in full mode (real MNIST digits cannot stand in: the cells reject copies).
# {file name: function(folder) -> Path}. tests/probes/test_hw4_gans.py and tests/authoring/test_proofs.py use it.
PROOF_ARTIFACTS = {BASELINE_FILE: fixture_copier(GENUINE_BASELINE, BASELINE_FILE),
                   CGAN_FILE: fixture_copier(GENUINE_CGAN, CGAN_FILE),
                   RESULTS_FILE: fixture_copier(GENUINE_RESULTS, RESULTS_FILE)}
ARTIFACT_TESTS = ["p2_baseline_samples_tests", "p3_cgan_samples_tests", "p0_tests"]
