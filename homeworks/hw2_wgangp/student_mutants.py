"""hw2_wgangp's mutants from a careful student's trial (session 81, who had not read the checks): answers a student
wrote whose points or hints the first checks got wrong (proofs.py adds them to MUTANTS)."""
from __future__ import annotations

from dgmlab.authoring.proofs import Mutant

_GP_T, _OPT_T = "p5_gradient_penalty_tests", "p5_optimizers_tests"
STUDENT_MUTANTS = [
    # student s84: the conjugate in a symbol of the student's own named t (no real=True): the same answer, since
    # symbols are matched by name (the visible check had said "still contains ['t']")
    Mutant("p1_conjugate", "correct variant: the conjugate in a fresh sp.Symbol('t')", '''
f_star_kl = sp.exp(sp.Symbol("t") - 1)
''', passes=["p1_conjugate_tests"]),
    # student s81: each sample's gradient through the whole batch (autograd.grad per score), valid but costing the
    # square of the batch: the probe gives it the loop's batch (its visible cell took 117 s of 120)
    Mutant("p5_gradient_penalty", "correct variant: autograd.grad of each sample's score", '''
def gradient_penalty(critic, x_real, x_fake):
    n = x_real.shape[0]
    eps = torch.rand(n, *([1] * (x_real.dim() - 1)), device=x_real.device)
    x_hat = (eps * x_real + (1 - eps) * x_fake).detach().requires_grad_(True)
    scores = critic(x_hat).reshape(n)
    terms = []
    for i in range(n):
        g, = torch.autograd.grad(scores[i], x_hat, create_graph=True, retain_graph=True)
        terms.append((g[i].norm() - 1) ** 2)
    return torch.stack(terms).mean()
''', passes=[_GP_T]),
    # student s81: beta1 = 0 as the statement writes it, which this torch refuses (not both floats)
    Mutant("p5_optimizers", "betas written (0, 0.9)", edits=[
        ("generator.parameters(), lr=lr, betas=(0.0, 0.9)", "generator.parameters(), lr=lr, betas=(0, 0.9)"),
        ("critic.parameters(), lr=lr, betas=(0.0, 0.9)", "critic.parameters(), lr=lr, betas=(0, 0.9)")],
        earns={_OPT_T: 0}, says={_OPT_T: "write each of Adam's betas as a float (0.0, not 0)"}),
]
