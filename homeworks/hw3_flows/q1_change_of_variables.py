# %% [markdown]
# ## Q1. Change of variables (30 points)
#
# Let $Z \sim \mathcal N_3(0, I)$ and push it through $f:\mathbb R^3\to\mathbb R^3$,
# $$
# X = f(Z) = \Big(z_1,\; z_2\, e^{z_1},\; \big(z_3\, e^{-z_1} + z_1^2\big)^{1/3}\Big),
# $$
# where $t^{1/3}$ is the **real** cube root ($(-8)^{1/3} = -2$). For an invertible, differentiable $f$,
# $$
# p_X(x) = p_Z\big(f^{-1}(x)\big)\,\Big|\det \tfrac{\partial f^{-1}}{\partial x}(x)\Big|
#        = \frac{p_Z(z)}{\big|\det \tfrac{\partial f}{\partial z}(z)\big|}\Bigg|_{z = f^{-1}(x)}.
# $$
# In sympy the real cube root of `u` is `sp.real_root(u, 3)`.

# %% locked=true grade_id="q1_symbols"
z1, z2, z3 = sp.symbols("z1 z2 z3", real=True)
x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)
z = sp.Matrix([z1, z2, z3])
x = sp.Matrix([x1, x2, x3])
X_STAR = {x1: 0, x2: 1, x3: sp.Rational(1, 3)}

# %% [markdown]
# ### Q1(a) (5 points): $f$ and $f^{-1}$ in sympy
#
# The map is triangular, so solve for $z$ one coordinate at a time. Keep numbers exact
# (`sp.Rational(1, 3)`, never `1/3`).

# %% kind="answer" grade_id="q1_f_and_inverse"
# f: 3x1 sp.Matrix in z1, z2, z3;  f_inv: 3x1 sp.Matrix in x1, x2, x3;  f_is_invertible: bool
### BEGIN SOLUTION
f = sp.Matrix([z1, z2 * sp.exp(z1), sp.real_root(z3 * sp.exp(-z1) + z1 ** 2, 3)])
f_inv = sp.Matrix([x1, x2 * sp.exp(-x1), (x3 ** 3 - x1 ** 2) * sp.exp(x1)])
f_is_invertible = True
### END SOLUTION

# %% kind="tests" grade_id="q1_f_and_inverse_tests"
from dgmlab.probes import check
check("q1_f_and_inverse_tests", f, f_inv, f_is_invertible)

# %% [markdown]
# ### Q1(b) (6 points): the Jacobian of $f$ and its determinant
#
# `J_f` is $\big[\partial f_i/\partial z_j\big]$ (of $f$, not $f^{-1}$), and `det_J_f` its determinant.

# %% kind="answer" grade_id="q1_jacobian"
# J_f: 3x3 sp.Matrix in z1, z2, z3;  det_J_f: sympy expression in z1, z2, z3
### BEGIN SOLUTION
J_f = f.jacobian(z).replace(sp.DiracDelta, lambda *args: sp.S.Zero)
det_J_f = J_f.det()
### END SOLUTION

# %% kind="tests" grade_id="q1_jacobian_tests"
from dgmlab.probes import check
check("q1_jacobian_tests", J_f, det_J_f)

# %% [markdown]
# ### Q1(c) (7 points): the density $p_X$ and its exact value at $x^\star$
#
# With $p_Z(z) = (2\pi)^{-3/2} e^{-\|z\|^2/2}$, build $p_X$ in `x1, x2, x3` and its exact value at
# $x^\star = (0, 1, 1/3)$ (`X_STAR`).

# %% kind="answer" grade_id="q1_density" check_output=true
# p_x: sympy expression in x1, x2, x3;  p_x_star: exact sympy number (no floats)
### BEGIN SOLUTION
p_z_of_x = (2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-f_inv.dot(f_inv) / 2)
p_x = p_z_of_x * sp.Abs(f_inv.jacobian(x).det())
p_x_star = sp.simplify(p_x.subs(X_STAR))
### END SOLUTION
print("p_x_star =", p_x_star)

# %% kind="tests" grade_id="q1_density_tests"
from dgmlab.probes import check
check("q1_density_tests", p_x, p_x_star)

# %% [markdown]
# ### Q1(d) (5 points): the same density with torch autograd
#
# Symbolic Jacobians do not scale to neural networks; autograd does. `flow_log_prob` computes
# $\log p_Z(f^{-1}(x)) + \log\big|\det \partial f^{-1}/\partial x\big|$ for **any** invertible `f_inv`, with the
# Jacobian from autograd (`torch.func.jacrev` or `torch.autograd.functional.jacobian`; a loop over rows is fine).
# A flow is trained through its log-density, so the result must stay differentiable with respect to any parameters
# `f_inv` has.

# %% locked=true grade_id="base_log_prob"
def standard_normal_log_prob(z):
    """log N(z; 0, I) row by row. z: float64 tensor (N, D) -> float64 tensor (N,)."""
    return -0.5 * (z ** 2).sum(dim=1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


# %% kind="answer" grade_id="q1_torch_density"
def f_inv_torch(x):
    """f^{-1} applied to each row. x: float64 tensor (N, 3) -> z: float64 tensor (N, 3)."""
    ### BEGIN SOLUTION
    x1_, x2_, x3_ = x[:, 0], x[:, 1], x[:, 2]
    return torch.stack([x1_, x2_ * torch.exp(-x1_), (x3_ ** 3 - x1_ ** 2) * torch.exp(x1_)], dim=1)
    ### END SOLUTION


def flow_log_prob(x, f_inv, base_log_prob):
    """log p_X(x) by the change of variables, with the Jacobian of f_inv from autograd.

    x: float64 tensor (N, D); f_inv: callable mapping a (N, D) tensor to a (N, D) tensor row by row;
    base_log_prob: callable mapping (N, D) -> (N,). Returns a float64 tensor (N,).
    """
    ### BEGIN SOLUTION
    z = f_inv(x)
    log_dets = []
    for row in x:
        J = torch.autograd.functional.jacobian(lambda v: f_inv(v[None])[0], row, create_graph=True)
        log_dets.append(torch.log(torch.abs(torch.det(J))))
    return base_log_prob(z) + torch.stack(log_dets)
    ### END SOLUTION


# %% kind="tests" grade_id="q1_torch_density_tests"
from dgmlab.probes import check
check("q1_torch_density_tests", f_inv_torch, flow_log_prob)

# %% [markdown]
# **Monte Carlo cross-check** (not graded): the fraction of samples $f(z)$ that land in a small cube around
# $x^\star$, divided by its volume, estimates $p_X(x^\star)$.

# %% uses_answers=true
def f_torch(zb):
    """f applied to each row. zb: float64 tensor (N, 3) -> float64 tensor (N, 3) (real cube root)."""
    u = zb[:, 2] * torch.exp(-zb[:, 0]) + zb[:, 0] ** 2
    return torch.stack([zb[:, 0], zb[:, 1] * torch.exp(zb[:, 0]), torch.sign(u) * u.abs() ** (1 / 3)], dim=1)


if not dgmlab.runtime.is_grading():
    dgmlab.runtime.seed_everything(0)
    n_mc, half = dgmlab.runtime.pick(full=20_000_000, fast=2_000_000), 0.05
    hits = 0
    for start in tqdm(range(0, n_mc, 1_000_000), desc="Monte Carlo"):
        xs = f_torch(torch.randn(min(1_000_000, n_mc - start), 3))
        hits += int(((xs - torch.tensor([0.0, 1.0, 1 / 3])).abs() <= half).all(dim=1).sum())
    mc = hits / n_mc / (2 * half) ** 3
    mc_se = math.sqrt(hits) / n_mc / (2 * half) ** 3  # Poisson standard error
    # detach(): only the value is printed here (the log-density itself stays differentiable, as training needs)
    log_p = flow_log_prob(torch.tensor([[0.0, 1.0, 1 / 3]]), f_inv_torch, standard_normal_log_prob).detach()
    autograd, exact = float(log_p.exp()), float(p_x_star)
    print(f"exact {exact:.5f}   autograd {autograd:.5f}   Monte Carlo {mc:.5f} +- {mc_se:.5f}")
    if not math.isclose(autograd, exact, rel_tol=1e-6):
        print("your exact p_x_star and your flow_log_prob disagree at x*, so one of them is wrong: compare "
              "f_inv_torch with f_inv, and check the log|det| term")

# %% [markdown]
# ### Q1(e) (7 points, written): invertibility and the determinant
#
# (i) Is $f$ a bijection of $\mathbb R^3$, and what goes wrong with the principal cube root? (ii) Give
# $\det \partial f/\partial z$ in closed form, say where $f$ is not differentiable, and why the formula still
# gives $p_X$. (iii) Why $|\det|$ and not $\det$? Give a map where it matters.

# %% [markdown] kind="written" grade_id="q1_written" points=7
# **Invertible.** Given any $x\in\mathbb R^3$ the equations $x = f(z)$ have exactly one solution, solved one
# coordinate at a time because the map is triangular: $z_1 = x_1$; $z_2 = x_2 e^{-x_1}$ (since $e^{z_1}>0$);
# and $x_3^3 = z_3 e^{-z_1} + z_1^2$ gives $z_3 = (x_3^3 - x_1^2)\,e^{x_1}$. Cubing is a bijection of
# $\mathbb R$ whose inverse is the *real* cube root, so $f$ is a bijection of $\mathbb R^3$ with
# $f^{-1}(x) = \big(x_1,\; x_2 e^{-x_1},\; (x_3^3 - x_1^2)e^{x_1}\big)$. With the principal complex root,
# $f$ sends points with $u = z_3e^{-z_1}+z_1^2 < 0$ to complex numbers, so it is not even a map into
# $\mathbb R^3$ there and $f(f^{-1}(x)) \neq x$ when $x_3 < 0$.
#
# **Determinant.** $J_f$ is lower triangular with diagonal $1,\; e^{z_1},\; \tfrac13 |u|^{-2/3} e^{-z_1}$, so
# $\det J_f = \tfrac13 |u|^{-2/3} = \dfrac{1}{3x_3^2}$ at $x = f(z)$; equivalently
# $\det J_{f^{-1}}(x) = 3x_3^2$. $f$ is not differentiable on the surface $u = 0$ (i.e. $x_3 = 0$), where
# the cube root has a vertical tangent. That set has Lebesgue measure zero, and $f^{-1}$ is smooth
# everywhere, so the formula $p_X(x) = p_Z(f^{-1}(x))\,|\det J_{f^{-1}}(x)|$ holds for almost every $x$,
# which is all a density needs. At $x^\star$: $z^\star = (0,1,1/27)$ and
# $p_X(x^\star) = (2\pi)^{-3/2}\exp\!\big(-\tfrac12(1 + \tfrac1{729})\big)\cdot\tfrac13 \approx 0.01283$.
#
# **Why $|\det|$.** Probability mass is $p\,dV$ and volumes are non-negative; $\det$ also records whether
# the map flips orientation. Here $\det J_{f^{-1}} = 3x_3^2 \ge 0$ so the sign never matters, but for the
# reflection $f(z) = -z$ in one dimension $\det = -1$ and dropping $|\cdot|$ would give a negative
# "density" (and a NaN log-density).
#
# **Points (7).** (i) 3: bijection shown by solving triangularly (1), the inverse with the real root (1), the
# principal root leaves $\mathbb R^3$ for $u < 0$ (1). (ii) 3: $\det = \tfrac13|u|^{-2/3} = 1/(3x_3^2)$ (1), not
# differentiable on $u = 0$ (1), a null set so the formula holds almost everywhere (1). (iii) 1: volumes are
# non-negative, with a map of negative determinant (a reflection).
