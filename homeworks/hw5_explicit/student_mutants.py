"""hw5_explicit's mutants from a careful student's trial (session 81, who had not read the checks): answers a student
wrote whose points the first checks got wrong or whose hint misled (proofs.py adds them to MUTANTS)."""
from __future__ import annotations

from dgmlab.authoring.proofs import Mutant

STUDENT_MUTANTS = [
    # student s84: the posterior returned in float64 (the docstring: p_y_given_z's dtype); torch's own words named no fix
    Mutant("q1_discriminative", "posterior returned in float64", edits=[
        ("return torch.where(evidence > 0, unnormalised / safe, torch.full_like(unnormalised, 1.0 / C))",
         "return torch.where(evidence > 0, unnormalised / safe, torch.full_like(unnormalised, 1.0 / C)).double()")],
        fails=["q1_discriminative_tests"], says={"q1_discriminative_tests": "keep the dtype of the inputs"}),
    # student s84: sigmoid, then binary_cross_entropy on the probabilities: finite, but its log clamps at -100
    Mutant("p1_nll", "binary_cross_entropy of sigmoid probabilities (clamped at 100 nats)", edits=[
        ('F.binary_cross_entropy_with_logits(logits, x, reduction="none")',
         'F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none")')],
        fails=["p1_nll_tests"], says={"p1_nll_tests": "clamps its log at -100"}),
    # student s84: the optimiser's lowest value returned instead of its minimiser; the hint called it a maximiser
    Mutant("q3_theta_star", "returns the optimiser's fun, not its x", edits=[
        ('options={"xatol": 1e-10}).x)', 'options={"xatol": 1e-10}).fun)')],
        fails=["q3_theta_star_tests"], says={"q3_theta_star_tests": "not the theta where it is reached"}),
    # student s81: Bayes' rule in log space; where no latent decodes to x, log P(x) = -inf and the unused branch's
    # exp(-inf - (-inf)) sends NaN back: the hint names it (it blamed a division that this code does not have)
    Mutant("q1_discriminative", "log-space posterior: NaN gradient at the unreachable x", r'''
def discriminative_posterior(p_y_given_z, F_table, prior_z, x):
    decodes = F_table[None, :] == x[:, None]
    neg_inf = torch.tensor(float("-inf"), dtype=p_y_given_z.dtype)
    log_joint = torch.where(decodes, torch.log(prior_z.to(p_y_given_z.dtype))[None, :], neg_inf)
    log_evidence = torch.logsumexp(log_joint, dim=1, keepdim=True)
    log_un = torch.logsumexp(log_joint[:, :, None] + torch.log(p_y_given_z)[None], dim=1)
    C = p_y_given_z.shape[1]
    return torch.where(torch.isfinite(log_evidence), torch.exp(log_un - log_evidence), torch.full_like(log_un, 1.0 / C))
''', earns={"q1_discriminative_tests": 1.75}, says={"q1_discriminative_tests": "log P(x) = -inf"}),
    # student s81: the loss of the first latent that decodes to each x, not of the posterior over all of them; the
    # visible worlds have one latent an x, so only the hidden tests tell
    Mutant("q1_steps", "discriminative loss of the first latent decoding to x only", edits=[
        ("Q = discriminative_posterior(torch.softmax(W, dim=1), F_table, prior_z, x)",
         "Q = torch.softmax(W, dim=1)[(F_table[None, :] == x[:, None]).to(torch.int64).argmax(dim=1)]")],
        earns={"q1_steps_tests": 1.75}),
]
