"""hw4_gans's mutants of issue 62 from a careful student who had not read the checks (STUDENT-HW4D): each kept every
visible point before, though the statement states what it breaks (proofs.py adds them to MUTANTS). Each now loses a
visible point to a property check that reveals no value (tests/corpora/hw4_gans.json holds the student's own forms).
"""
from __future__ import annotations

from dgmlab.authoring.proofs import Mutant

_D_LAYER = "layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]"
_G_NOISE = "                z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n"
_D_NOISE = "            z = torch.randn(real.shape[0], generator.latent_dim, device=device)\n"

STUDENT_MUTANTS = [
    # P1.4, P3.3: each step changes only its own player; the discriminator's step trains it in training mode whatever
    # mode it found it in
    Mutant("p1_d_step", "never sets training mode (relies on the caller's)",
           edits=[("    discriminator.train()\n    d_opt.zero_grad()\n", "    d_opt.zero_grad()\n")],
           earns={"p1_d_step_tests": 2.75}),
    Mutant("p1_d_step", "fakes not detached, the generator's gradients cleared after",
           edits=[("    with torch.no_grad():\n        fake = generator(z)\n    loss = discriminator_loss(discriminator(real), "
                   "discriminator(fake))", "    loss = discriminator_loss(discriminator(real), discriminator(generator(z)))"),
                  ("    d_opt.step()\n    return loss.item()", "    d_opt.step()\n    generator.zero_grad()\n    return loss.item()")],
           earns={"p1_d_step_tests": 2.75}),
    Mutant("p1_g_step", "leaves the discriminator in eval mode",
           edits=[("    g_opt.zero_grad()\n    loss = generator_loss(discriminator(generator(z)))",
                   "    discriminator.eval()\n    g_opt.zero_grad()\n    loss = generator_loss(discriminator(generator(z)))")],
           earns={"p1_g_step_tests": 2.75}),
    Mutant("p1_g_step", "leaves the discriminator's requires_grad off",
           edits=[("    g_opt.zero_grad()\n    loss = generator_loss(discriminator(generator(z)))",
                   "    discriminator.requires_grad_(False)\n    g_opt.zero_grad()\n"
                   "    loss = generator_loss(discriminator(generator(z)))")],
           earns={"p1_g_step_tests": 2.75}),
    Mutant("p3_cgan_steps", "discriminator step never sets training mode",
           edits=[("    discriminator.train()\n    d_opt.zero_grad()\n", "    d_opt.zero_grad()\n")],
           earns={"p3_cgan_steps_tests": 3.75}),
    Mutant("p3_cgan_steps", "generator step leaves the discriminator frozen",
           edits=[("    g_opt.zero_grad()\n    loss = generator_loss(discriminator(generator(z, labels), labels))",
                   "    discriminator.requires_grad_(False)\n    g_opt.zero_grad()\n"
                   "    loss = generator_loss(discriminator(generator(z, labels), labels))")],
           earns={"p3_cgan_steps_tests": 3.75}),
    # P1.2, P3: the arguments set the sizes and the dropout probability
    Mutant("p3_cond_generator", "embedding of n_classes numbers (embed_dim ignored)",
           edits=[("self.embed = nn.Embedding(n_classes, embed_dim)\n        layers, width_in = [], latent_dim + embed_dim",
                   "self.embed = nn.Embedding(n_classes, n_classes)\n        layers, width_in = [], latent_dim + n_classes")],
           earns={"p3_cond_generator_tests": 3.5}),
    Mutant("p3_cond_discriminator", "no dropout after the last hidden layer",
           edits=[("        for width in widths:\n            " + _D_LAYER,
                   "        for k, width in enumerate(widths):\n            " + _D_LAYER.replace(
                       "nn.Dropout(dropout)]", "] + ([nn.Dropout(dropout)] if k < len(widths) - 1 else [])"))],
           earns={"p3_cond_discriminator_tests": 2.75}),
    Mutant("p3_cond_discriminator", "dropout probability 0.3 hard-coded (the argument ignored)",
           edits=[(_D_LAYER, _D_LAYER.replace("nn.Dropout(dropout)", "nn.Dropout(0.3)"))],
           earns={"p3_cond_discriminator_tests": 3.5}),
    # P2: the statement's table of experiments, fresh networks
    Mutant("p2_make_gan", "d_steps_10 gets the deep discriminator too",
           edits=[("        d_steps = 10", "        d_steps, d_widths = 10, (1024, 512, 256, 128)")],
           earns={"p2_make_gan_tests": 2.75}),
    Mutant("p2_train_gan", "history of the last epoch only",
           edits=[("    for _ in range(epochs):\n", '    for _ in range(epochs):\n        history = {"d_loss": [], "g_loss": []}\n')],
           earns={"p2_train_gan_tests": 2}),
    Mutant("p2_train_gan", "the generator's noise of half the batch",
           edits=[(_G_NOISE, _G_NOISE.replace("real.shape[0]", "real.shape[0] // 2"))],
           earns={"p2_train_gan_tests": 2.5}),
    Mutant("p2_train_gan", "noise drawn on the CPU (no device=)",
           edits=[(_G_NOISE, _G_NOISE.replace(", device=device", "")), (_D_NOISE, _D_NOISE.replace(", device=device", ""))],
           earns={"p2_train_gan_tests": 2.75}),
    # P4(a): V_point is the stated integrand; second_derivative its value at D_star; pi_real = 1/2 is balanced
    Mutant("p4a", "V_point with log d in both terms",
           edits=[("V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)\nD_star = sp.solve(sp.Eq(sp.diff(V_point, d), 0), d)[0]",
                   "V_point = p_data * sp.log(d) + p_g * sp.log(d)\nD_star = p_data / (p_data + p_g)")],
           earns={"p4a_tests": 3.75}),
    Mutant("p4a", "second derivative with a power missing",
           edits=[("second_derivative = sp.simplify(sp.diff(V_point, d, 2).subs(d, D_star))",
                   "second_derivative = -(p_data + p_g) ** 2 / (p_data * p_g)")],
           earns={"p4a_tests": 4.25}),
    Mutant("p4a", "D_star_pi with p_data in both terms (equals pi_real)",
           edits=[("D_star_pi = sp.solve(sp.Eq(sp.diff(V_point_pi, d), 0), d)[0]",
                   "D_star_pi = pi_real * p_data / (pi_real * p_data + (1 - pi_real) * p_data)")],
           earns={"p4a_tests": 2.25}),
    # P5: potentials free in sign (no bound at any size); the docstring's float64 plan
    Mutant("p5_ot_dual", "potentials boxed in [-1000, 1000]",
           edits=[("bounds=(None, None)", "bounds=(-1e3, 1e3)")],
           earns={"p5_ot_dual_tests": 3.5}),
    Mutant("p5_ot_primal", "plan returned as float32",
           edits=[("res.x.reshape(k1, k2)", "res.x.reshape(k1, k2).astype(np.float32)")],
           earns={"p5_ot_primal_tests": 6.5}),
]
