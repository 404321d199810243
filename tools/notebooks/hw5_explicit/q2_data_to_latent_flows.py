# %% [markdown]
# ## Q2 (10 points): Flows in the data-to-latent direction
#
# In the lectures the flow mapped latent to data, $x = g_w(z)$. Many codes go the other way: the
# flow $f_w:\mathbb R^d \to \mathbb R^d$ **encodes**, $z = f_w(x)$, and $x = f_w^{-1}(z)$ generates.
# Redo the lecture's derivation in this direction. The latent has density $Q(z)$.
#
# **Written parts (5 points):**
#
# 1. (1.5) Scalar case, $f_w$ strictly increasing: derive $P_w(x)$ in terms of $Q$ and $f_w$.
# 2. (1) State, without derivation, the $d$-dimensional version.
# 3. (1) Give the maximum-likelihood empirical risk on $\mathbb D = \{x^j\}_{j=1}^n$.
# 4. (1.5) What is the key difference from the lecture's formulas, and why does it matter in practice?

# %% [markdown]
# **Q2.1 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q2_1" points=1.5
# $F_X(x) = \Pr[f_w(X') \le f_w(x)] = F_Z(f_w(x))$ because $f_w$ is increasing; differentiating,
# $P_w(x) = Q(f_w(x))\, f_w'(x)$ (and $|f_w'(x)|$ for a decreasing map).

# %% [markdown]
# **Q2.2 (1 point)** Your answer:

# %% [markdown] kind="written" grade_id="q2_2" points=1
# $P_w(x) = Q(f_w(x))\, \left|\det \dfrac{\partial f_w(x)}{\partial x}\right|$.

# %% [markdown]
# **Q2.3 (1 point)** Your answer:

# %% [markdown] kind="written" grade_id="q2_3" points=1
# $\hat R(w) = -\frac1n \sum_{j=1}^n \Big[\log Q(f_w(x^j)) + \log\left|\det \frac{\partial f_w}{\partial x}(x^j)\right|\Big]$,
# minimised over $w$.

# %% [markdown]
# **Q2.4 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q2_4" points=1.5
# The Jacobian appears un-inverted and with a **plus** sign: with $x = g_w(z)$ the lecture had
# $P_w(x) = Q(g_w^{-1}(x))\,|\det \partial g_w/\partial z|^{-1}$, i.e. $-\log|\det J_g|$ evaluated at
# $z = g_w^{-1}(x)$. Here training only needs the forward pass $f_w(x)$ and its Jacobian (fast density
# evaluation, no inversion during training), while sampling needs $f_w^{-1}$. Mathematically the two are
# the same model with $g_w = f_w^{-1}$.

# %% [markdown]
# ### Q2 companion (5 points, autograded)
#
# **(2 points)** Write Q2.1 as a sympy function: given the latent density `q` (an expression in
# `z_sym`) and an increasing flow `f` (an expression in `x_sym`), return $P_w(x)$ as an expression in
# `x_sym`.

# %% locked=true grade_id="q2_symbols"
x_sym, z_sym = sp.symbols("x z", real=True)
standard_normal = sp.exp(-z_sym ** 2 / 2) / sp.sqrt(2 * sp.pi)


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

# %% kind="tests" grade_id="q2_density_tests" points=2
from dgmlab.testing import points, run_tests
from dgmlab import checks


@points(0.25)
def test_is_expression_in_x():
    p = flow_density(standard_normal, 2 * x_sym + 1)
    checks.assert_sympy_expr(p, "flow_density(q, f)", symbols=[x_sym])


@points(0.5)
def test_density_of_an_affine_flow_integrates_to_one():
    from scipy.integrate import quad
    # z = f(x) = 2x + 1 with Q = N(0, 1): P_w is a density on the real line
    p = sp.lambdify(x_sym, flow_density(standard_normal, 2 * x_sym + 1), "math")
    total = quad(p, -20, 20)[0]
    hint = ""
    if abs(total - 0.5) < 1e-6:
        hint = ": the Jacobian factor is missing"
    elif abs(total - 0.25) < 1e-6:
        hint = ": the Jacobian factor enters the wrong way round (here the flow maps data to latent)"
    assert abs(total - 1) < 1e-6, \
        f"for f(x) = 2x + 1 and Q = N(0, 1), P_w(x) should integrate to 1 over x; it integrates to {total:.6f}{hint}"


### BEGIN HIDDEN TESTS
@points(0.75)
def test_exact_for_increasing_flows():
    for f in [x_sym ** 3 + x_sym, sp.sinh(x_sym), 3 * x_sym - 2]:
        expected = standard_normal.subs(z_sym, f) * sp.diff(f, x_sym)
        checks.assert_sympy_equal(flow_density(standard_normal, f), expected, "P_w(x) for an increasing flow")


@points(0.5)
def test_integrates_to_one():
    from scipy.integrate import quad
    q = sp.exp(-z_sym) * sp.Heaviside(z_sym)        # Exp(1) latent, f = exp maps R onto (0, inf)
    p = sp.lambdify(x_sym, flow_density(q, sp.exp(x_sym)), "math")
    total = quad(p, -30, 10)[0]
    assert abs(total - 1) < 1e-6, "P_w(x) does not integrate to 1: check the Jacobian factor"
### END HIDDEN TESTS

run_tests(points=2, hidden=1.25)


# %% [markdown]
# **(3 points)** Write Q2.3 as a function. The flow returns the latent and its log-Jacobian
# determinant; the latent log-density is a given function. Average over the batch (the risk is a mean).

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


# %% kind="tests" grade_id="q2_risk_tests" points=3
from dgmlab.testing import points, run_tests
from dgmlab import checks


def _std_normal_log_q(z):
    return torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(dim=1)


@points(0.5)
def test_identity_flow_on_zeros():
    identity = lambda x: (x, torch.zeros(x.shape[0]))
    risk = flow_empirical_risk(identity, _std_normal_log_q, torch.zeros(4, 2))
    checks.assert_tensor(risk, "flow_empirical_risk(...)", shape=())
    want = math.log(2 * math.pi)
    hint = ""
    if abs(float(risk) - 4 * want) < 1e-4:
        hint = ": that is the sum over the 4 points; the risk is a mean"
    elif abs(float(risk) + want) < 1e-4:
        hint = ": that is the mean log-likelihood; the risk is its negative"
    assert abs(float(risk) - want) < 1e-5, \
        (f"for the identity flow and N(0, I) in 2-D at x = 0 expected the risk log(2 pi) = {want:.5f}, "
         f"found {float(risk):.5f}{hint}")


@points(1)
def test_the_log_det_counts_once_per_point_with_its_sign():
    # two flows with the same latent z = x / 2 whose log-dets differ by 1 at each of 3 points
    x = torch.zeros(3, 1)
    halve = lambda x: (x / 2, torch.full((x.shape[0],), -math.log(2.0)))
    shifted = lambda x: (x / 2, torch.full((x.shape[0],), 1 - math.log(2.0)))
    before = float(flow_empirical_risk(halve, _std_normal_log_q, x))
    change = float(flow_empirical_risk(shifted, _std_normal_log_q, x)) - before
    hint = ""
    if abs(change - 1) < 1e-4:
        hint = ": the log-determinant enters with the wrong sign"
    elif abs(change) < 1e-4:
        hint = ": the log-determinant the flow returns was left out"
    elif abs(abs(change) - 3) < 1e-4:
        hint = ": the log-determinants are summed over the 3 points; the risk is a mean"
    assert abs(change + 1) < 1e-5, \
        (f"when the flow's log|det| grows by 1 at every point, the risk should change by 1 (one sign, once per "
         f"point, averaged); it changed by {change:+.5f}{hint}")


### BEGIN HIDDEN TESTS
@points(1)
def test_affine_flow_matches_torch_distributions():
    g = torch.Generator().manual_seed(3)
    a = torch.rand(3, generator=g, dtype=torch.float64) * 2 + 0.2     # scales (not 1, so the Jacobian matters)
    b = torch.randn(3, generator=g, dtype=torch.float64)
    flow = lambda x: ((x - b) / a, -torch.log(a).sum().expand(x.shape[0]))
    x = torch.randn(7, 3, generator=g, dtype=torch.float64) * 2
    expected = -torch.distributions.Normal(b, a).log_prob(x).sum(dim=1).mean()
    checks.assert_close(flow_empirical_risk(flow, _std_normal_log_q, x), expected, rtol=1e-8,
                        name="the empirical risk of an affine flow")


@points(0.5)
def test_differentiable():
    a = torch.tensor([2.0, 0.5], requires_grad=True)
    flow = lambda x: (x / a, -torch.log(a).sum().expand(x.shape[0]))
    flow_empirical_risk(flow, _std_normal_log_q, torch.randn(5, 2)).backward()
    assert a.grad is not None, "the risk must be differentiable through the flow's parameters"
### END HIDDEN TESTS

run_tests(points=3, hidden=1.5)
