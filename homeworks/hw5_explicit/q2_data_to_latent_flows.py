# %% [markdown]
# ## Q2 (10 points): Flows in the data-to-latent direction
#
# The lectures wrote a flow from latent to data, $x = g_w(z)$. Many codes go the other way: $f_w$ **encodes**,
# $z = f_w(x)$, and $x = f_w^{-1}(z)$ generates. The latent has density $Q(z)$.
#
# **Written (5 points).**
# 1. (1.5) Scalar case, $f_w$ strictly increasing: derive $P_w(x)$ in terms of $Q$ and $f_w$.
# 2. (1) State, without derivation, the $d$-dimensional version.
# 3. (1) Give the maximum-likelihood empirical risk on $\mathbb D = \{x^j\}_{j=1}^n$.
# 4. (1.5) What is the key difference from the lecture's formulas, and why does it matter in practice?

# %% [markdown] kind="written" grade_id="q2_written" points=5
# Marks: 1.5, 1, 1, 1.5.
#
# 1. $F_X(x) = \Pr[f_w(X) \le f_w(x)] = F_Z(f_w(x))$ since $f_w$ is increasing; differentiating,
#    $P_w(x) = Q(f_w(x))\, f_w'(x)$ ($|f_w'(x)|$ for a decreasing map).
# 2. $P_w(x) = Q(f_w(x))\, \left|\det \dfrac{\partial f_w(x)}{\partial x}\right|$.
# 3. $\hat R(w) = -\frac1n \sum_{j=1}^n \Big[\log Q(f_w(x^j)) + \log\left|\det \frac{\partial f_w}{\partial x}(x^j)\right|\Big]$,
#    minimised over $w$.
# 4. The Jacobian appears un-inverted and with a **plus** sign: with $x = g_w(z)$ the lecture had
#    $P_w(x) = Q(g_w^{-1}(x))\,|\det \partial g_w/\partial z|^{-1}$ at $z = g_w^{-1}(x)$. Here training needs only
#    the forward pass $f_w(x)$ and its Jacobian (fast density evaluation, no inversion), while sampling needs
#    $f_w^{-1}$. The two are the same model with $g_w = f_w^{-1}$.

# %% [markdown]
# ### Q2 companion (5 points, autograded)
#
# **(2 points)** Part 1 as a sympy function: `q` is an expression in `z_sym`, the increasing flow `f` one
# in `x_sym` (both symbols are defined in the imports cell); return $P_w(x)$ in `x_sym`.

# %% kind="answer" grade_id="q2_density" check_output=true
def flow_density(q, f):
    """Density of x when z = f(x) has density q and f is strictly increasing.

    q: sympy expression in z_sym (the latent density Q(z)).
    f: sympy expression in x_sym (the flow, strictly increasing in x).
    Returns a sympy expression in x_sym: P_w(x).
    """
    ### BEGIN SOLUTION
    return q.subs(z_sym, f) * sp.diff(f, x_sym)
    ### END SOLUTION


print("P_w(x) for Q = N(0, 1) and f(x) = x**3 + x:", flow_density(standard_normal, x_sym ** 3 + x_sym))

# %% kind="tests" grade_id="q2_density_tests"
from dgmlab.probes import check
check("q2_density_tests", flow_density)


# %% [markdown]
# **(3 points)** Part 3 as a function, on a batch: the flow returns the latent and its log-determinant,
# `log_q` is the latent log-density.

# %% kind="answer" grade_id="q2_risk"
def flow_empirical_risk(flow, log_q, x):
    """Maximum-likelihood empirical risk of a flow z = f_w(x) on a batch.

    flow:  callable, flow(x) -> (z, log_det): z (n, d) and log_det (n,) = log|det df_w/dx| at each x_j.
    log_q: callable, log_q(z) -> (n,) log-density of the latent distribution Q at each row of z.
    x:     (n, d) float tensor, the data batch.
    Returns a 0-d tensor: -(1/n) sum_j log P_w(x_j), differentiable through flow.
    """
    ### BEGIN SOLUTION
    z, log_det = flow(x)
    return -(log_q(z) + log_det).mean()
    ### END SOLUTION


# %% kind="tests" grade_id="q2_risk_tests"
from dgmlab.probes import check
check("q2_risk_tests", flow_empirical_risk)

