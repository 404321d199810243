# %% [markdown]
# ## P2 (10 points): the reverse KL divergence
#
# The same machinery gives the *reverse* divergence, with a critic that takes negative values:
#
# $$D(q\,\|\,p) \;=\; 1 + \sup_{d:\mathcal X\to(-\infty,0)}\Big(\mathbb E_{x\sim p}\, d(x) + \mathbb E_{x\sim q}\log\big(-d(x)\big)\Big).$$
#
# **Suggested route.** Take $f(u) = -\log u$ (check that $D_f(p\|q)$ is then $D(q\|p)$).
#
# ### P2(a) (5 points, written)
# Prove the identity. State $f^*$ and its domain, and the optimal critic $d^*$.

# %% [markdown] kind="written" grade_id="p2_proof" points=5
# With $f(u) = -\log u$: $D_f(p\|q) = \mathbb E_q[-\log\frac pq] = \int q\log\frac qp = D(q\|p)$.
# Conjugate: $g(u) = tu + \log u$ has $g'(u) = t + 1/u$. For $t \ge 0$, $g$ is unbounded ($f^* = +\infty$),
# so only $t<0$ matters; there $u = -1/t$ and $f^*(t) = -1 + \log(-1/t) = -1 - \log(-t)$.
# Variational formula: $D(q\|p) = \sup_{T<0} \mathbb E_p[T] - \mathbb E_q[-1 - \log(-T)] = 1 + \sup_{d<0}\mathbb E_p d + \mathbb E_q\log(-d)$
# with $d = T$ (critics taking values $\ge 0$ somewhere on a set of positive $q$-mass give $-\infty$, so restricting to $d<0$ loses nothing).
# Optimum $T^* = f'(p/q) = -q/p$, i.e. $d^* = -q/p$; check: $1 - \mathbb E_p\frac qp + \mathbb E_q\log\frac qp = 1 - 1 + D(q\|p)$.
# Grading: conjugate with its domain (2), substitution (2), optimum (1).

# %% [markdown]
# ### P2(b) (2 points, auto-graded): the conjugate, in sympy
# Set `f_star_rkl` to $f^*(s)$ for $f(u) = -\log u$, as a sympy expression in the symbol `s`
# (declared negative above).

# %% kind="answer" grade_id="p2_conjugate" check_output=true
# f_star_rkl = a sympy expression in s
### BEGIN SOLUTION
f_star_rkl = -1 - sp.log(-s)
### END SOLUTION
print("f_star_rkl =", f_star_rkl)

# %% kind="tests" grade_id="p2_conjugate_tests" points=2
from dgmlab.testing import points, run_tests
from dgmlab import checks

@points(0.25)
def test_is_an_expression_in_s():
    checks.assert_sympy_expr(f_star_rkl, "f_star_rkl", symbols=[s])

@points(0.5)
def test_value_at_s_equal_to_minus_one_half():
    value = sp.sympify(f_star_rkl).subs(s, sp.Rational(-1, 2))
    assert not value.free_symbols, \
        (f"expected a number at s = -1/2, found {value}: f_star_rkl still contains "
         f"{sorted(map(str, value.free_symbols))} (substitute the maximising u back into s*u - f(u))")
    got = complex(sp.N(value))
    hint = ""
    if abs(got.imag) > 1e-9:
        hint = ": a complex number, the log of a negative number (s is negative)"
    elif abs(got.real - (-1 - math.log(2))) < 1e-9:
        hint = ": the log term has the wrong sign"
    elif abs(got.real - math.log(2)) < 1e-9:
        hint = ": a constant term is missing"
    found = f"{got.real:.6g}" if abs(got.imag) < 1e-12 else f"{got.real:.6g}{got.imag:+.6g}i"
    assert abs(got - (math.log(2) - 1)) < 1e-9, \
        f"f_star_rkl at s = -1/2 is {found}, not sup_u (-u/2 + log u){hint}"

### BEGIN HIDDEN TESTS
@points(0.75)
def test_equals_the_convex_conjugate():
    checks.assert_sympy_equal(f_star_rkl, -1 - sp.log(-s), "f_star_rkl")

@points(0.5)
def test_is_the_supremum_of_s_u_minus_f():
    # the conjugate must dominate s*u - f(u) for every u > 0, with equality somewhere
    for s0 in (-0.3, -1.0, -4.0):
        value = complex(sp.N(f_star_rkl.subs(s, s0)))
        assert abs(value.imag) < 1e-12, "f_star_rkl(s) is not real for s < 0"
        gaps = [value.real - (s0 * u0 + math.log(u0)) for u0 in np.geomspace(0.01, 20, 3000)]
        assert min(gaps) > -1e-9, "f_star_rkl(s) is below s*u - f(u) for some u: it is not the supremum"
        assert min(gaps) < 1e-3, "f_star_rkl(s) is strictly above every s*u - f(u): it is not the supremum"
### END HIDDEN TESTS

run_tests(points=2, hidden=1.25)


# %% [markdown]
# ### P2(c) (3 points, auto-graded): the objective and its optimal critic
# Same as P1(c), for the reverse divergence. Remember the critic is negative.

# %% kind="answer" grade_id="p2_objective"
def rkl_objective(d, x_p, x_q):
    """Monte-Carlo estimate of 1 + E_p[d(x)] + E_q[log(-d(x))].

    d: callable, float64 tensor (N,) -> negative float64 tensor (N,).
    x_p: float64 tensor (N,), samples of p.  x_q: float64 tensor (M,), samples of q.
    Returns a 0-d float64 tensor.
    """
    ### BEGIN SOLUTION
    return 1.0 + d(x_p).mean() + torch.log(-d(x_q)).mean()
    ### END SOLUTION


def rkl_optimal_critic(log_p, log_q):
    """The maximising critic d* of rkl_objective.

    log_p, log_q: callables, float64 tensor (N,) -> log-densities, float64 tensor (N,).
    Returns a callable d_star: float64 tensor (N,) -> negative float64 tensor (N,).
    """
    ### BEGIN SOLUTION
    return lambda x: -torch.exp(log_q(x) - log_p(x))
    ### END SOLUTION


# %% kind="tests" grade_id="p2_objective_tests" points=3
from dgmlab.testing import points, run_tests
from dgmlab import checks

@points(0.25)
def test_constant_critic_gives_zero():
    x = torch.randn(100, dtype=torch.float64)
    value = rkl_objective(lambda v: -torch.ones_like(v), x, x)
    checks.assert_tensor(value, "rkl_objective(...)", shape=())
    got = float(value)
    hint = ""
    if math.isnan(got):
        hint = ": log of a negative critic; the objective takes log(-d)"
    elif abs(got + 1) < 1e-9:
        hint = ": the constant 1 is missing"
    elif abs(got + 99) < 1e-6:
        hint = ": that is a sum over the 100 samples; the expectations are means"
    assert abs(got) < 1e-9, f"with d = -1 expected 1 + E_p[-1] + E_q[log 1] = 0, found {got:.6g}{hint}"

@points(0.5)
def test_value_on_two_points():
    x_p = torch.tensor([0.0, 1.0], dtype=torch.float64)
    x_q = torch.tensor([0.0, 2.0], dtype=torch.float64)
    got = float(rkl_objective(lambda v: -torch.exp(v), x_p, x_q))
    want = 1 - (1 + math.e) / 2 + 1.0
    hint = ""
    if math.isnan(got):
        hint = ": log of a negative critic; the objective takes log(-d)"
    elif abs(got - (1 - (1 + math.exp(2)) / 2 + 0.5)) < 1e-9:
        hint = ": p and q are swapped (d is averaged over the samples of p, log(-d) over those of q)"
    elif abs(got - (want - 1)) < 1e-9:
        hint = ": the constant 1 is missing"
    assert abs(got - want) < 1e-9, \
        (f"for d = -exp, x_p = [0, 1], x_q = [0, 2] expected 1 - mean(exp(x_p)) + mean(x_q) = {want:.6f}, "
         f"found {got:.6g}{hint}")

@points(0.25)
def test_optimal_critic_is_minus_one_when_p_equals_q():
    p = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    out = rkl_optimal_critic(p.log_prob, p.log_prob)(torch.linspace(-2, 2, 5, dtype=torch.float64))
    checks.assert_tensor(out, "d_star(x)", shape=(5,))
    hint = ": the reverse-KL critic is negative everywhere" if bool((out > 0).all()) else ""
    assert bool(((out + 1).abs() < 1e-9).all()), \
        f"when p = q the optimal critic is -1 everywhere; found {[round(float(v), 4) for v in out]}{hint}"

### BEGIN HIDDEN TESTS
def _gaussians():
    f64 = dict(dtype=torch.float64)
    p = torch.distributions.Normal(torch.tensor(0.0, **f64), torch.tensor(1.0, **f64))
    q = torch.distributions.Normal(torch.tensor(0.5, **f64), torch.tensor(1.2, **f64))
    return p, q

@points(1.25)
def test_objective_at_optimum_matches_closed_form_reverse_kl():
    p, q = _gaussians()
    x_p, x_q = p.sample((100_000,)), q.sample((100_000,))
    d_star = rkl_optimal_critic(p.log_prob, q.log_prob)
    value = float(rkl_objective(d_star, x_p, x_q))
    se = math.sqrt(float(d_star(x_p).var()) / len(x_p) + float(torch.log(-d_star(x_q)).var()) / len(x_q))
    assert math.isfinite(value), "the objective at d* is not finite"
    target = float(torch.distributions.kl_divergence(q, p))
    assert abs(value - target) < 5 * se + 1e-3, \
        "at d* the objective does not match D(q||p) of two Gaussians within Monte-Carlo error"

@points(0.75)
def test_other_critics_score_lower():
    p, q = _gaussians()
    x_p, x_q = p.sample((100_000,)), q.sample((100_000,))
    d_star = rkl_optimal_critic(p.log_prob, q.log_prob)
    best = float(rkl_objective(d_star, x_p, x_q))
    others = [lambda x: 1.5 * d_star(x), lambda x: 0.6 * d_star(x),
              lambda x: d_star(x) * torch.exp(0.3 * x), lambda x: -torch.ones_like(x)]
    for k, d in enumerate(others):
        assert float(rkl_objective(d, x_p, x_q)) < best, \
            f"a perturbed critic (number {k}) scores at least as high as d*: check the objective and d*"
### END HIDDEN TESTS

run_tests(points=3, hidden=2)
