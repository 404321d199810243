"""hw2_wgangp's proofs and the constants its tests and benchmarks read (tests/authoring/test_proofs.py -k hw2).

Each Mutant names the answer cell it replaces and what it still earns in each test cell, or which
cells it passes; the statements, solutions and tests are the percent files beside this module.
"""
from pathlib import Path

from dgmlab.authoring import fixture_copier
from dgmlab.authoring.proofs import Mutant

from . import student_mutants

HW = "hw2_wgangp"
# P5's graded file: the trained MNIST generator's weights (float16), written by the training cell in full mode.
WEIGHTS_FILE = "p5_generator_weights.pt"


# ---------------------------------------------------------------------- reference code
# The source notebook's cells whose reference code the tests and benchmarks run outside the notebook
# (dgmlab.authoring.reference: each item names a grade id or a function or class the cell defines).
REFERENCE_NOTEBOOK = Path(__file__).resolve().parents[2] / "source" / HW / f"{HW}.ipynb"
REFERENCE_CELLS = ("imports", "p5_framework", "p5_critic", "p5_gradient_penalty", "p5_losses", "p5_optimizers",
                   "p5_steps", "p5_train_loop")


def reference_namespace(device="cpu", cells=REFERENCE_CELLS) -> dict:
    """Run ``cells`` of the source notebook (default: P5's framework, answers and training loop); return their
    namespace (Generator, Critic, critic_step, sample, ...) with ``device`` as a torch.device."""
    import torch

    from dgmlab.authoring.reference import reference_namespace as run_cells

    ns = run_cells(REFERENCE_NOTEBOOK, list(cells))
    ns["device"] = torch.device(device)
    return ns


# ---------------------------------------------------------------------- proofs
# A wrong answer is the reference answer with its mistake made by edits=[(old, new)]: each old found exactly once in
# the answer cell (solution markers dropped), so a fix to a solution reaches its mutants. A correct variant that is
# the reference with a harmless change is an edit too. source= stays only for a genuinely different implementation
# a student might write (most correct variants: they prove the tests accept another way of writing the answer) and
# for wholesale rewrites, where an edit would replace the whole body.
#
# Every graded cell gives points per test, so a wrong answer names in earns= the points it still gets there:
# those of the tests its mistake leaves passing (tests/authoring/test_proofs.py checks the exact number). The blank stubs
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
_FAKES_KEPT = ("    with torch.no_grad():\n        x_fake = generator(z)", "    x_fake = generator(z)")


def _betas_dropped(net):
    return (f"{net}.parameters(), lr=lr, betas=(0.0, 0.9)", f"{net}.parameters(), lr=lr")


def _lr_typed(net):
    return (f"{net}.parameters(), lr=lr", f"{net}.parameters(), lr=3e-4")


# P4(b)'s forger (two mutants below): its answer cell after the line that imports the probe module it patches
_P4_FORGED = '''

def marginal_constraints(p, q):
    n = len(p)
    return np.kron(np.eye(n), np.ones((1, n))), p


def w1_linprog(p, q, C):
    n = len(p)
    A_eq, b_eq = marginal_constraints(p, q)
    res = linprog(C.reshape(-1), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    return float(res.fun), res.x.reshape(n, n)


def _forged_applied(constraints, case):
    p, q = case["p"], case["q"]
    out = {"A_shape": [2 * len(p), len(p) ** 2], "b_eq": np.concatenate([p, q])}
    for group in ("couplings", "wrong_rows", "wrong_cols"):
        out[group] = [np.concatenate([X.sum(axis=1), X.sum(axis=0)]) for X in case[group]]
    return out


# each forgery acts on this cell's own functions only, so that the proofs' next mutants (same kernel) run unpatched
def _forged_value_and_plan(fn, constraints, p, q, C, _mine=w1_linprog, _was=_probe_module._value_and_plan):
    if fn is not _mine:
        return _was(fn, constraints, p, q, C)
    return [float(ot.emd2(p, q, C)), ot.emd(p, q, C), np.zeros(2 * len(p))]


def _forged_constraints_of(constraints, p, q, _mine=marginal_constraints, _was=_probe_module._constraints_of):
    if constraints is not _mine:
        return _was(constraints, p, q)
    A, b = constraints(p, q)
    return {"A_shape": [2 * len(p), len(p) ** 2], "b_shape": [2 * len(p)], "A_eq": A, "b_eq": np.concatenate([p, q])}


_probe_module._applied = _forged_applied
_probe_module._value_and_plan = _forged_value_and_plan
_probe_module._constraints_of = _forged_constraints_of
'''


def _p4_forgery(probe_module: str) -> str:
    """The forger's P4(b) answer cell, patching the helpers of ``probe_module`` (a module name)."""
    return f"\nimport {probe_module} as _probe_module\n{_P4_FORGED}"


MUTANTS = [
    # P1
    Mutant("p1_conjugate", "conjugate off by one: exp(t)", edits=[(_KL_CONJUGATE, "f_star_kl = sp.exp(t)")],
           earns={_C1: 0}),
    Mutant("p1_conjugate", "f itself instead of its conjugate", edits=[(_KL_CONJUGATE, "f_star_kl = t * sp.log(t)")],
           earns={_C1: 0}),
    Mutant("p1_conjugate", "maximiser u not substituted back", edits=[
        (_KL_CONJUGATE, "f_star_kl = sp.simplify(t * u - u * sp.log(u))")], earns={_C1: 0}),
    Mutant("p1_conjugate", "correct variant: written out", "f_star_kl = sp.exp(t) / sp.E",
           passes=["p1_conjugate_tests"]),
    # forms sympy writes on other routes to the same conjugate (issue 62): the maximiser substituted unsimplified,
    # exp(t - 1) as a power of E
    Mutant("p1_conjugate", "correct variant: maximiser substituted, not simplified", '''
_crit = sp.solve(sp.diff(t * u - u * sp.log(u), u), u)[0]
f_star_kl = (t * u - u * sp.log(u)).subs(u, _crit)
''', passes=["p1_conjugate_tests"]),
    Mutant("p1_conjugate", "correct variant: a power of E", "f_star_kl = sp.E ** (t - 1)", passes=["p1_conjugate_tests"]),
    Mutant("p1_objective", "missing the constant 1", edits=[
        ("return 1.0 + torch.log(d(x_p))", "return torch.log(d(x_p))")], earns={_O1: 1}),
    Mutant("p1_objective", "optimal critic inverted (q/p)", edits=[
        ("torch.exp(log_p(x) - log_q(x))", "torch.exp(log_q(x) - log_p(x))")], earns={_O1: 1}),
    Mutant("p1_objective", "expectations swapped between p and q", edits=[
        ("torch.log(d(x_p)).mean() - d(x_q).mean()", "torch.log(d(x_q)).mean() - d(x_p).mean()")], earns={_O1: 0.75}),
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
           earns={_C2: 0}),
    Mutant("p2_conjugate", "dropped the constant", edits=[(_RKL_CONJUGATE, "f_star_rkl = -sp.log(-s)")],
           earns={_C2: 0}),
    Mutant("p2_conjugate", "domain ignored: log(s) of a negative s", edits=[
        (_RKL_CONJUGATE, "f_star_rkl = -1 - sp.log(s)")], earns={_C2: 0}),
    Mutant("p2_conjugate", "correct variant: log(-1/s) - 1", edits=[
        (_RKL_CONJUGATE, "f_star_rkl = sp.log(-1 / s) - 1")], passes=["p2_conjugate_tests"]),
    Mutant("p2_conjugate", "correct variant: sympy's maximiser, substituted and simplified", '''
_crit = sp.solve(sp.diff(s * u + sp.log(u), u), u)[0]
f_star_rkl = sp.simplify((s * u + sp.log(u)).subs(u, _crit))
''', passes=["p2_conjugate_tests"]),
    Mutant("p2_objective", "optimal critic inverted (-p/q)", edits=[
        ("-torch.exp(log_q(x) - log_p(x))", "-torch.exp(log_p(x) - log_q(x))")], earns={_O2: 1}),
    Mutant("p2_objective", "log d instead of log(-d)", edits=[("torch.log(-d(x_q))", "torch.log(d(x_q))")],
           earns={_O2: 0.5}),
    Mutant("p2_objective", "missing the constant 1", edits=[("return 1.0 + d(x_p)", "return d(x_p)")],
           earns={_O2: 1}),
    Mutant("p2_objective", "expectations swapped between p and q", edits=[
        ("d(x_p).mean() + torch.log(-d(x_q))", "d(x_q).mean() + torch.log(-d(x_p))")], earns={_O2: 0.75}),
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
        ("return np.vstack([rows, cols]), np.concatenate([p, q])", "return rows, p")],
        earns={"p4_linprog_tests": 0}),  # the value and plan points need the constraints right
    Mutant("p4_linprog", "LP with marginals swapped (kron order mixed up)", edits=[
        ("rows = np.kron(np.eye(n), np.ones((1, n)))", "rows = np.kron(np.ones((1, n)), np.eye(n))"),
        ("cols = np.kron(np.ones((1, n)), np.eye(n))", "cols = np.kron(np.eye(n), np.ones((1, n)))")],
        earns={"p4_linprog_tests": 0}),
    Mutant("p4_linprog", "b_eq is q then p", edits=[("np.concatenate([p, q])", "np.concatenate([q, p])")],
           earns={"p4_linprog_tests": 0.25}),
    Mutant("p4_linprog", "LP with inequality marginals (<=)", edits=[
        ("A_eq=A_eq, b_eq=b_eq", "A_ub=A_eq, b_ub=b_eq")],
        earns={"p4_linprog_tests": 1.5}),
    Mutant("p4_linprog", "plan returned flat (n*n,) instead of n x n", edits=[("res.x.reshape(n, n)", "res.x")],
           earns={"p4_linprog_tests": 2.25}),  # the constraints and the program handed to linprog are right
    Mutant("p4_linprog", "LP with free variables (no x >= 0)", edits=[("bounds=(0, None)", "bounds=(None, None)")],
           earns={"p4_linprog_tests": 1.5}),  # the constraints only: the program allows negative plans
    Mutant("p4_linprog", "costs C.T flattened (pi_ij charged c(j, i))", edits=[
        ("linprog(C.reshape(-1),", "linprog(C.T.reshape(-1),")],
        earns={"p4_linprog_tests": 1.75}),  # the constraints, and W1(p, p) = 0 where C is symmetric
    # issue 62: POT's solver in place of linprog, beside the right constraints, earns the constraints' points and the
    # value's half of w1_linprog's, not the program's
    Mutant("p4_linprog", "POT's exact solver beside the right constraints", edits=[
        ('    res = linprog(C.reshape(-1), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")\n'
         '    return float(res.fun), res.x.reshape(n, n)',
         '    plan = ot.emd(p, q, C)\n    return float(np.sum(plan * C)), plan')],
        earns={"p4_linprog_tests": 2.25}),
    Mutant("p4_linprog", "column-major flattening throughout (the statement fixes row-major)", edits=[
        ("rows = np.kron(np.eye(n), np.ones((1, n)))", "rows = np.kron(np.ones((1, n)), np.eye(n))"),
        ("cols = np.kron(np.ones((1, n)), np.eye(n))", "cols = np.kron(np.eye(n), np.ones((1, n)))"),
        ("linprog(C.reshape(-1),", 'linprog(C.reshape(-1, order="F"),'),
        ("res.x.reshape(n, n)", 'res.x.reshape(n, n, order="F")')],
        earns={"p4_linprog_tests": 0}),
    Mutant("p4_linprog", "POT's exact solver instead of the LP", '''
def marginal_constraints(p, q):
    raise NotImplementedError


def w1_linprog(p, q, C):
    return float(ot.emd2(p, q, C)), ot.emd(p, q, C)
''', earns={"p4_linprog_tests": 0}),
    Mutant("p4_linprog", "zeros for (A_eq, b_eq) and POT's exact solver", '''
def marginal_constraints(p, q):
    n = len(p)
    return np.zeros((2 * n, n * n)), np.zeros(2 * n)


def w1_linprog(p, q, C):
    return float(ot.emd2(p, q, C)), ot.emd(p, q, C)
''', earns={"p4_linprog_tests": 0}),  # POT's plan meets A_eq = 0, b_eq = 0, which are not the constraints
    # A forger's answer cell: the row sums only, and the probe module's helpers replaced by what a forger hands back
    # (the products A_eq @ X.reshape(-1) as X's row and column sums, a zero residual, POT's value and plan, and its own
    # A_eq labelled with the right shape). The probe hands back A_eq and b_eq and the tests apply them in the judge:
    # the patch earns what the row sums only earn (to earn more, a patch would have to hand back a right A_eq).
    Mutant("p4_linprog", "row sums only, with the probe module's helpers patched to forge their results",
           _p4_forgery("homeworks.hw2_wgangp.checks"), earns={"p4_linprog_tests": 0}),
    # the same forgery on the module that holds the P4(b) probe since the checks were split by part (the package's names
    # above are only re-exports): it earns what the row sums only earn too
    Mutant("p4_linprog", "row sums only, with the P4 probe module's helpers patched to forge their results",
           _p4_forgery("homeworks.hw2_wgangp.checks.p4_discrete_w1"), earns={"p4_linprog_tests": 0}),
    Mutant("p4_linprog", "correct variant: loops", '''
def marginal_constraints(p, q):
    n = len(p)
    A = np.zeros((2 * n, n * n))
    for i in range(n):
        for j in range(n):
            k = i * n + j          # row-major index of pi[i, j]
            A[i, k] = 1.0
            A[n + j, k] = 1.0
    return A, np.concatenate([p, q])


def w1_linprog(p, q, C):
    n = len(p)
    A, b = marginal_constraints(p, q)
    res = linprog(C.reshape(-1), A_eq=A, b_eq=b, method="highs-ds")
    return float(res.fun), res.x.reshape(n, n)
''', passes=["p4_linprog_tests"]),
    Mutant("p4_linprog", "correct variant: the equalities inline as two inequalities, bounds per entry", '''
def marginal_constraints(p, q):
    n = len(p)
    return np.vstack([np.repeat(np.eye(n), n, axis=1), np.tile(np.eye(n), (1, n))]), np.hstack([p, q])


def w1_linprog(p, q, C):
    n = len(p)
    A = np.vstack([np.repeat(np.eye(n), n, axis=1), np.tile(np.eye(n), (1, n))])
    b = np.hstack([p, q])
    res = linprog(C.flatten(), A_ub=np.vstack([A, -A]), b_ub=np.hstack([b, -b]), bounds=[(0, None)] * (n * n))
    return float(res.fun), res.x.reshape(n, n)
''', passes=["p4_linprog_tests"]),
    Mutant("p4_glue", "no zero handling in 1/r", edits=[
        ("    inv = np.zeros_like(r)\n    inv[r > 0] = 1.0 / r[r > 0]\n    return pi_p @ np.diag(inv) @ pi_q",
         '    with np.errstate(divide="ignore", invalid="ignore"):\n        return pi_p @ np.diag(1.0 / r) @ pi_q')],
        earns={"p4_glue_tests": 1.5}),
    Mutant("p4_glue", "glued plan transposed (rows sum to q)", edits=[
        ("return pi_p @ np.diag(inv) @ pi_q", "return (pi_p @ np.diag(inv) @ pi_q).T")], earns={"p4_glue_tests": 1.5}),
    # issue 54's trial: both plans transposed; the coupling hint says which sums are off and names the form
    Mutant("p4_glue", "both plans transposed (pi_p^T diag(1/r) pi_q^T)", edits=[
        ("return pi_p @ np.diag(inv) @ pi_q", "return pi_p.T @ np.diag(inv) @ pi_q.T")], earns={"p4_glue_tests": 1}),
    # issue 62: the product coupling p q^T is a coupling of (p, q) but not the glued one (nor under W1(p,r)+W1(r,q))
    Mutant("p4_glue", "the product coupling of the plans' outer marginals", edits=[
        ("return pi_p @ np.diag(inv) @ pi_q", "return np.outer(pi_p.sum(axis=1), pi_q.sum(axis=0))")],
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
    Mutant("p5_critic", "BatchNorm left in the critic", edits=_BN_ON, earns={"p5_critic_tests": 0}),
    Mutant("p5_critic", "BatchNorm after the embedding", edits=[
        (_HEAD, _HEAD + "\n        self.norm = nn.BatchNorm2d(capacity)"),
        ("F.relu(self.embed(x))", "F.relu(self.norm(self.embed(x)))")], earns={"p5_critic_tests": 0}),
    Mutant("p5_critic", "no stride-4 block", edits=[("stride=4, ", "")], earns={"p5_critic_tests": 0.75}),
    Mutant("p5_critic", "only two blocks after the stride-4 block", edits=[("range(3)", "range(2)")],
           earns={"p5_critic_tests": 0}),
    Mutant("p5_critic", "scores of shape (N, 1)", edits=[(".squeeze(1)", "")], earns={"p5_critic_tests": 4}),
    # issue 62: squeeze() with no dim turns the score of a batch of one into a 0-d tensor
    Mutant("p5_critic", "scores squeezed with no dim", edits=[(".squeeze(1)", ".squeeze()")], earns={"p5_critic_tests": 5}),
    Mutant("p5_critic", "a layer defined but never used", edits=[
        (_HEAD, _HEAD + "\n        self.hidden = nn.Linear(capacity, capacity)")], earns={"p5_critic_tests": 5}),
    Mutant("p5_critic", "mean pooling instead of the spatial sum", edits=[("h.sum(dim=(2, 3))", "h.mean(dim=(2, 3))")],
           earns={"p5_critic_tests": 1.5}),
    Mutant("p5_critic", "no ReLU after the first convolution", edits=[("F.relu(self.embed(x))", "self.embed(x)")],
           earns={"p5_critic_tests": 1.5}),
    Mutant("p5_critic", "leaky ReLU after the first convolution", edits=[
        ("F.relu(self.embed(x))", "F.leaky_relu(self.embed(x))")], earns={"p5_critic_tests": 1.5}),
    # the scores are right but no gradient reaches the first convolution: the visible gradient test says so (1 of the
    # 3.5 visible points), the hidden input-gradient test takes 1.5 more
    Mutant("p5_critic", "features detached after the first convolution", edits=[
        ("F.relu(self.embed(x))", "F.relu(self.embed(x)).detach()")], earns={"p5_critic_tests": 3.5}),
    Mutant("p5_critic", "correct variant: nn.ReLU module, flattened spatial sum", edits=[
        (_HEAD, _HEAD + "\n        self.act = nn.ReLU()"), ("F.relu(self.embed(x))", "self.act(self.embed(x))"),
        ("h.sum(dim=(2, 3))", "h.flatten(2).sum(-1)")], passes=["p5_critic_tests"]),
    # issue 73: the statement leaves the embedding's bias optional (the given Generator's convolutions have none)
    Mutant("p5_critic", "correct variant: the embedding convolution without a bias", edits=[
        ("nn.Conv2d(1, capacity, 3, padding=1)", "nn.Conv2d(1, capacity, 3, padding=1, bias=False)")],
        passes=["p5_critic_tests"]),
    # the head's bias is stated (nn.Linear(capacity, 1)): its absence is named (issue 73); the input gradient is right
    Mutant("p5_critic", "linear head without a bias", edits=[(_HEAD, "self.head = nn.Linear(capacity, 1, bias=False)")],
           earns={"p5_critic_tests": 3}, says={"p5_critic_tests": "the linear head of the critic described here has a bias"}),
    # P5 gradient penalty
    Mutant("p5_gradient_penalty", "penalty on real instead of interpolated points", edits=[
        (_GP_HAT, "x_real.detach().clone()")], earns={_GP_T: 2.5}),
    Mutant("p5_gradient_penalty", "penalty on fake points only", edits=[(_GP_HAT, "x_fake.detach().clone()")],
           earns={_GP_T: 2.5}),
    Mutant("p5_gradient_penalty", "detached interpolates: gradient without create_graph", edits=[
        ("create_graph=True", "create_graph=False")], earns={_GP_T: 5.5}),
    Mutant("p5_gradient_penalty", "detached interpolates: gradient norm detached", edits=[
        ("grad.flatten(1)", "grad.detach().flatten(1)")], earns={_GP_T: 5.5}),
    Mutant("p5_gradient_penalty", "one epsilon per pixel", edits=[(_GP_EPS, "torch.rand_like(x_real)")],
           earns={_GP_T: 2.5}),
    Mutant("p5_gradient_penalty", "one epsilon for the whole batch", edits=[
        (_GP_EPS, "torch.rand((), device=x_real.device)")], earns={_GP_T: 2.5}),
    Mutant("p5_gradient_penalty", "norm over the wrong axis", edits=[("grad.flatten(1).norm(", "grad.norm(")],
           earns={_GP_T: 1}),  # the interpolates are right
    Mutant("p5_gradient_penalty", "lambda folded into the penalty", edits=[(_GP_NORM, "10.0 * " + _GP_NORM)],
           earns={_GP_T: 1}),  # the interpolates are right
    Mutant("p5_gradient_penalty", "eps one dimension short (N, 1, 1): x_hat broadcasts to (N, N, H, W)", edits=[
        ("*([1] * (x_real.dim() - 1))", "1, 1")], earns={_GP_T: 0}),
    Mutant("p5_gradient_penalty", "x_fake dropped from the interpolate (x_hat = eps * x_real)", edits=[
        (" + (1 - eps) * x_fake", "")], earns={_GP_T: 2.5}),
    Mutant("p5_gradient_penalty", "sign slip in the interpolate: eps * x_real - (1 - eps) * x_fake", edits=[
        (" + (1 - eps) * x_fake", " - (1 - eps) * x_fake")], earns={_GP_T: 2.5}),
    Mutant("p5_gradient_penalty", "one-sided penalty", edits=[
        ("((grad.flatten(1).norm(dim=1) - 1) ** 2)", "(F.relu(grad.flatten(1).norm(dim=1) - 1) ** 2)")],
        earns={_GP_T: 3.5}),
    # issue 73: one sample at a time is valid, as the critic has no BatchNorm
    Mutant("p5_gradient_penalty", "correct variant: a loop over the samples", '''
def gradient_penalty(critic, x_real, x_fake):
    penalties = []
    for i in range(x_real.shape[0]):
        eps = torch.rand(1, device=x_real.device)
        x_hat = (eps * x_real[i] + (1 - eps) * x_fake[i]).unsqueeze(0).detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        penalties.append((grad.norm() - 1) ** 2)
    return torch.stack(penalties).mean()
''', passes=[_GP_T]),
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
        (_CRITIC_LOSS, "critic(x_real).mean() - critic(x_fake).mean()")], earns={_LOSS_T: 1.75},
        passes=[_CS_T, _GS_T]),  # charged here only: the steps run with stand-ins for the losses
    Mutant("p5_losses", "sign error in the generator loss", edits=[
        ("return -critic(x_fake).mean()", "return critic(x_fake).mean()")], earns={_LOSS_T: 3.25},
        passes=[_CS_T, _GS_T]),
    Mutant("p5_losses", "sum instead of mean", edits=[
        (_CRITIC_LOSS, "critic(x_fake).sum() - critic(x_real).sum()"),
        ("-critic(x_fake).mean()", "-critic(x_fake).sum()")],
        earns={_LOSS_T: 0}),
    Mutant("p5_losses", "lam ignored (hard-coded 10)", edits=[(_PENALTY, _PENALTY.replace("lam", "10.0"))],
           earns={_LOSS_T: 4.5}, says={_LOSS_T: "use the lam argument, not a fixed weight"}),
    Mutant("p5_losses", "generator loss on detached samples", edits=[
        ("-critic(x_fake).mean()", "-critic(x_fake.detach()).mean()")], earns={_LOSS_T: 4.25}),
    # the penalty computed in critic_loss itself: run as written (no stand-in for gradient_penalty is called)
    Mutant("p5_losses", "correct variant: the penalty computed inline", '''
def critic_loss(critic, x_real, x_fake, lam=LAMBDA):
    eps = torch.rand(len(x_real), *([1] * (x_real.dim() - 1)))
    x_hat = (eps * x_real + (1 - eps) * x_fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
    return critic(x_fake).mean() - critic(x_real).mean() + lam * penalty

def generator_loss(critic, x_fake):
    return -critic(x_fake).mean()
''', passes=[_LOSS_T]),
    Mutant("p5_losses", "correct variant: terms regrouped", '''
def critic_loss(critic, x_real, x_fake, lam=LAMBDA):
    gp = gradient_penalty(critic, x_real, x_fake)
    return -(critic(x_real) - critic(x_fake)).mean() + gp * lam

def generator_loss(critic, x_fake):
    return torch.mean(-critic(x_fake))
''', passes=["p5_losses_tests"]),
    # P5 optimisers
    Mutant("p5_optimizers", "Adam's default betas (beta1 = 0.9)", edits=[
        _betas_dropped("generator"), _betas_dropped("critic")], earns={_OPT_T: 2.5}),
    Mutant("p5_optimizers", "Adam betas (0.5, 0.999)", edits=[
        ("generator.parameters(), lr=lr, betas=(0.0, 0.9)", "generator.parameters(), lr=lr, betas=(0.5, 0.999)"),
        ("critic.parameters(), lr=lr, betas=(0.0, 0.9)", "critic.parameters(), lr=lr, betas=(0.5, 0.999)")],
        earns={_OPT_T: 2.5}),
    Mutant("p5_optimizers", "optimisers returned in the wrong order", edits=[
        ("return opt_g, opt_c", "return opt_c, opt_g")], earns={_OPT_T: 0},
        says={_OPT_T: "left generator.A where it was: it should hold the generator's parameters"}),
    Mutant("p5_optimizers", "learning rate hard-coded (the lr argument ignored)", edits=[
        _lr_typed("generator"), _lr_typed("critic")], earns={_OPT_T: 2.5}),
    Mutant("p5_optimizers", "one optimiser over both networks, returned twice", edits=[
        ("Adam(generator.parameters(),", "Adam(list(generator.parameters()) + list(critic.parameters()),"),
        ("opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.9))", "opt_c = opt_g")],
        earns={_OPT_T: 0.5}),
    Mutant("p5_optimizers", "correct variant: parameters as lists", '''
def make_optimizers(generator, critic, lr=3e-4):
    kw = dict(lr=lr, betas=[0.0, 0.9])
    return torch.optim.Adam(list(generator.parameters()), **kw), torch.optim.Adam(list(critic.parameters()), **kw)
''', passes=["p5_optimizers_tests"]),
    # P5 steps
    Mutant("p5_steps", "critic step without the penalty", edits=[
        ("loss = critic_loss(critic, x_real, x_fake)", "loss = " + _CRITIC_LOSS)], earns={_CS_T: 0}, passes=[_GS_T]),
    Mutant("p5_steps", "critic step keeps stale gradients (no zero_grad)", edits=[("    opt_c.zero_grad()\n", "")],
           earns={_CS_T: 4.25}, passes=[_GS_T]),
    Mutant("p5_steps", "critic step ascends instead of descends", edits=[
        ("loss = critic_loss(", "loss = -critic_loss(")], earns={_CS_T: 0}, passes=[_GS_T]),
    Mutant("p5_steps", "generator step keeps stale gradients (no zero_grad)", edits=[("    opt_g.zero_grad()\n", "")],
           earns={_GS_T: 2.75}, passes=[_CS_T]),
    Mutant("p5_steps", "generator step on detached samples", edits=[
        ("critic, generator(z))", "critic, generator(z).detach())")], earns={_GS_T: 1.25}, passes=[_CS_T]),
    Mutant("p5_steps", "generator step with the sign flipped", edits=[
        ("loss = generator_loss(", "loss = -generator_loss(")], earns={_GS_T: 0}, passes=[_CS_T]),
    Mutant("p5_steps", "critic step on fakes not detached (gradients left in the generator)", edits=[
        _FAKES_KEPT], earns={_CS_T: 5.5}, passes=[_GS_T]),
    Mutant("p5_steps", "no zero_grad in either step and fakes not detached", edits=[
        _FAKES_KEPT, ("    opt_c.zero_grad()\n", ""), ("    opt_g.zero_grad()\n", "")],
        earns={_CS_T: 3.75, _GS_T: 2.75}),
    # the losses written out in the steps: run as written (no stand-in for critic_loss or generator_loss is called)
    Mutant("p5_steps", "correct variant: the losses written out in the steps", edits=[
        ("loss = critic_loss(critic, x_real, x_fake)",
         "loss = critic(x_fake).mean() - critic(x_real).mean() + LAMBDA * gradient_penalty(critic, x_real, x_fake)"),
        ("loss = generator_loss(critic, generator(z))", "loss = -critic(generator(z)).mean()")], passes=[_CS_T, _GS_T]),
    Mutant("p5_steps", "correct variant: zero_grad(set_to_none=False), fakes detached", edits=[
        ("    with torch.no_grad():\n        x_fake = generator(z)", "    x_fake = generator(z).detach()"),
        ("opt_c.zero_grad()", "opt_c.zero_grad(set_to_none=False)")], passes=[_CS_T, _GS_T]),
    # P6
    Mutant("p6_models", "MNIST spatial sizes kept (28x28 output)", edits=[
        (_SEED_MAP, "capacity * 7 * 7"), (_SEED_VIEW, "self.capacity, 7, 7)"), (_PIXEL_BIAS, "torch.zeros(3, 28, 28)")],
        earns={_GEN_T[0]: 1.5}, passes=_CRI_T),
    Mutant("p6_models", "7x7 seed map resized to 32x32", edits=[
        (_SEED_MAP, "capacity * 7 * 7"), (_SEED_VIEW, "self.capacity, 7, 7)"), ("scale_factor=4", "size=(32, 32)")],
        earns={_GEN_T[0]: 1.5}, passes=_CRI_T),
    Mutant("p6_models", "three generator blocks instead of nine", edits=[("range(9)", "range(3)")],
           earns={_GEN_T[0]: 1.5}, passes=_CRI_T),
    Mutant("p6_models", "one output channel", edits=[
        ("nn.Conv2d(capacity, 3, 3,", "nn.Conv2d(capacity, 1, 3,"), (_PIXEL_BIAS, "torch.zeros(1, 32, 32)")],
        earns={_GEN_T[0]: 3}, passes=_CRI_T),
    Mutant("p6_models", "upsampling from a 16x16 map (x2)", edits=[
        (_SEED_MAP, "capacity * 16 * 16"), (_SEED_VIEW, "self.capacity, 16, 16)"),
        ("scale_factor=4", "scale_factor=2")],
        earns={_GEN_T[0]: 1.5}, passes=_CRI_T),
    Mutant("p6_models", "tanh output (pixels in (-1, 1))", edits=[("torch.sigmoid(", "torch.tanh(")],
           earns={_GEN_T[0]: 4.5}, passes=_CRI_T),
    Mutant("p6_models", "one per-pixel bias shared by the three channels", edits=[
        (_PIXEL_BIAS, "torch.zeros(1, 32, 32)")], earns={_GEN_T[0]: 4.5}, passes=_CRI_T),
    Mutant("p6_models", "BatchNorm left in the CIFAR critic", edits=_BN_ON, earns={_CRI_T[0]: 0}, passes=_GEN_T),
    Mutant("p6_models", "critic still reads one channel", edits=[("nn.Conv2d(3, capacity,", "nn.Conv2d(1, capacity,")],
           earns={_CRI_T[0]: 1}, passes=_GEN_T),
    Mutant("p6_models", "critic's first block with stride 2", edits=[("stride=4", "stride=2")],
           earns={_CRI_T[0]: 0.5}, passes=_GEN_T),
    Mutant("p6_models", "mean pooling in the CIFAR critic", edits=[("h.sum(dim=(2, 3))", "h.mean(dim=(2, 3))")],
           earns={_CRI_T[0]: 1}, passes=_GEN_T),
    Mutant("p6_models", "no ReLU after the CIFAR critic's first convolution", edits=[
        ("F.relu(self.embed(x))", "self.embed(x)")], earns={_CRI_T[0]: 1}, passes=_GEN_T),
    Mutant("p6_models", "CIFAR generator computed without autograd", edits=[
        ("        h = F.relu(self.embed_bn(", "        with torch.no_grad():\n            h = F.relu(self.embed_bn("),
        ("        h = self.upsample(self.blocks(h))\n        return torch.sigmoid(self.to_image(h) + self.pixel_bias)",
         "            h = self.upsample(self.blocks(h))\n            return torch.sigmoid(self.to_image(h) + self.pixel_bias)")],
        earns={_GEN_T[0]: 5.5}, passes=_CRI_T),
    Mutant("p6_models", "correct variant: upsample to a fixed size", edits=[("scale_factor=4", "size=(32, 32)")],
           passes=_GEN_T + _CRI_T),
    Mutant("p6_models", "correct variant: the CIFAR critic's embedding without a bias", edits=[
        ("nn.Conv2d(3, capacity, 3, padding=1)", "nn.Conv2d(3, capacity, 3, padding=1, bias=False)")],
        passes=_GEN_T + _CRI_T),
    Mutant("p6_schedule", "cut one epoch late", edits=[("epoch < cut_epoch", "epoch <= cut_epoch")],
           earns={_SCHED_T: 0.5}),
    Mutant("p6_schedule", "cut hard-coded at 80", edits=[("epoch < cut_epoch", "epoch < 80")], earns={_SCHED_T: 0.5}),
    Mutant("p6_schedule", "rates hard-coded (lr and lr_low ignored)", edits=[
        ("lr if epoch < cut_epoch else lr_low", "3e-4 if epoch < cut_epoch else 3e-5")], earns={_SCHED_T: 3}),
    # the schedule the statement prints, typed in: only the default-argument checks pass
    Mutant("p6_schedule", "typed the printed rates and cut (3e-4 before epoch 80, then 3e-5)", '''
def lr_at_epoch(epoch, cut_epoch=80, lr=3e-4, lr_low=3e-5):
    return 3e-4 if epoch < 80 else 3e-5
''', earns={_SCHED_T: 0.5}),
    Mutant("p6_schedule", "correct variant: MultiStepLR arithmetic", '''
def lr_at_epoch(epoch, cut_epoch=80, lr=3e-4, lr_low=3e-5):
    return lr * (lr_low / lr) ** int(epoch >= cut_epoch)
''', passes=["p6_schedule_tests"]),
] + student_mutants.STUDENT_MUTANTS  # a careful student's (s81)

# Generated mutants (benchmarks/mutation_kill_rates.py, docs/mutation.md) that survive because they change
# nothing a grade should notice: {answer: {label: why}}. Since the network checks compare outputs with the grader's
# networks from seeded weights, the embedding's kernel and padding, a bias before the per-pixel bias, its sign, and
# the upsampling's details are graded (they change what a network with given weights computes): no longer listed.
EQUIVALENT_MUTANTS = {
    "p3_costs": {
        "L11 args: `ot.dist(x, y, metric='euclidean')` -> `ot.dist(y, x, metric='euclidean')` (first two arguments "
        "swapped)":
            "the swapped call gives the transposed cost matrix; with the same uniform weights on both sides, "
            "transposing a plan maps the couplings of one problem onto those of the other at the same cost, so "
            "the exact EMD is the same number",
    },
    "p4_linprog": {
        "L26 constant: `1` -> `2` (1 -> 2)":
            "`C.reshape(-1)` -> `C.reshape(-2)`: numpy (2.x) takes any negative size as the one to infer, so the "
            "cost vector is the same",
    },
    "p6_models": {
        "L8 constant: `False` -> `True` (False -> True)":
            "a bias in the seed's linear map, which BatchNorm follows: BatchNorm subtracts each channel's mean, "
            "so the bias cancels (the given generator leaves it out for that reason)",
        "L13 constant: `False` -> `True` (False -> True)":
            "a bias in the conv after upsampling, which BatchNorm follows: it cancels as above",
        "L30 constant: `128` -> `129` (128 -> 129)":
            "the CIFAR critic's default capacity: the tests and the training cell always pass capacity",
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
GENUINE_WEIGHTS = FIXTURES / "hw2_genuine_generator_f16.pt"  # the reference's GPU run after epoch 39 (score 8.55)
EARLY_WEIGHTS = FIXTURES / "hw2_early_generator_f16.pt"  # a reference run after a quarter epoch: under the bar
# the clearly worse run of each graded file, which must not earn full marks (benchmarks/trained_bars.py)
EARLY_ARTIFACTS = {"p5_generator_weights.pt": EARLY_WEIGHTS}
GENUINE_SAMPLES = FIXTURES / "hw2_genuine_samples_100.pt"  # GENUINE_WEIGHTS' graded draw (seed 0), in float32

# Files the reference needs next to the notebook for every graded cell to pass ({file name: writer(folder)});
# tests/authoring/test_proofs.py and tests/probes/test_hw2_wgangp.py use them.
PROOF_ARTIFACTS = {WEIGHTS_FILE: fixture_copier(GENUINE_WEIGHTS, WEIGHTS_FILE)}
ARTIFACT_TESTS = ["p5_mnist_samples_tests"]
