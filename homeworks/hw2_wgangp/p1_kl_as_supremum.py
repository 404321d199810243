# %% [markdown]
# # Part I: Analysis (40 points)
#
# Throughout, for a convex $f:(0,\infty)\to\mathbb R$ with $f(1)=0$, the $f$-divergence is
# $D_f(p\,\|\,q) = \mathbb E_{x\sim q}\big[f\big(p(x)/q(x)\big)\big]$, and the convex conjugate
# is $f^*(t) = \sup_{u>0}\,\big(tu - f(u)\big)$. The result from lecture we rely on: for any
# such $f$,
#
# $$D_f(p\,\|\,q) \;=\; \sup_{T:\mathcal X\to\mathbb R}\; \mathbb E_{x\sim p}[T(x)] - \mathbb E_{x\sim q}\big[f^*(T(x))\big],$$
#
# and the supremum is reached at $T^*(x) = f'\big(p(x)/q(x)\big)$.
#
# ## P1 (10 points): the KL divergence as a supremum
#
# Maximum likelihood was hard for push-forward models because their likelihood is not
# available. An $f$-GAN side-steps this: it estimates a divergence through a critic that
# only needs samples. Here you show that the KL divergence (whose minimisation is maximum
# likelihood) has such a form:
#
# $$D(p\,\|\,q) \;=\; 1 + \sup_{d:\mathcal X\to(0,\infty)}\Big(\mathbb E_{x\sim p}\log d(x) - \mathbb E_{x\sim q}\, d(x)\Big).$$
#
# **Suggested route.** Take $f(u) = u\log u$, compute $f^*$, and substitute $T(x) = 1 + \log d(x)$.

# %% [markdown]
# ### P1(a) (5 points, written)
# Prove the identity above. State $f^*$, show where the constant $1$ comes from, and say
# which critic $d^*$ attains the supremum.

# %% [markdown] kind="written" grade_id="p1_proof" points=5
# With $f(u) = u\log u$, $D_f(p\|q) = \mathbb E_q[\tfrac pq\log\tfrac pq] = \int p\log\frac pq = D(p\|q)$.
# Conjugate: $g(u) = tu - u\log u$ is concave with $g'(u) = t - \log u - 1 = 0$ at $u = e^{t-1}$, so
# $f^*(t) = te^{t-1} - e^{t-1}(t-1) = e^{t-1}$.
# By the variational formula, $D(p\|q) = \sup_T \mathbb E_p[T] - \mathbb E_q[e^{T-1}]$.
# Every real function $T$ can be written $T = 1 + \log d$ with $d = e^{T-1} > 0$ (a bijection
# between real-valued $T$ and positive $d$), and then $e^{T-1} = d$, so
# $D(p\|q) = \sup_{d>0} \mathbb E_p[1 + \log d] - \mathbb E_q[d] = 1 + \sup_d \mathbb E_p\log d - \mathbb E_q d$.
# The optimum $T^* = f'(p/q) = 1 + \log(p/q)$ gives $d^* = p/q$; check: $1 + \mathbb E_p\log\frac pq - \mathbb E_q\frac pq = 1 + D(p\|q) - 1$.
# Grading: conjugate (2), change of variables incl. that it covers all $T$ (2), optimum (1).

# %% [markdown]
# ### P1(b) (2 points, auto-graded): the conjugate, in sympy
# Set `f_star_kl` to $f^*(t)$ for $f(u) = u\log u$, as a sympy expression in the symbol `t`
# defined below (you may let sympy do the calculus: differentiate, solve, substitute).

# %% locked=true grade_id="symbols"
t = sp.Symbol("t", real=True)        # argument of the conjugate for P1
s = sp.Symbol("s", negative=True)    # argument of the conjugate for P2 (declared negative)
u = sp.Symbol("u", positive=True)    # the density ratio p/q

# %% kind="answer" grade_id="p1_conjugate" check_output=true
# f_star_kl = a sympy expression in t
### BEGIN SOLUTION
_crit = sp.solve(sp.diff(t * u - u * sp.log(u), u), u)[0]
f_star_kl = sp.simplify((t * u - u * sp.log(u)).subs(u, _crit))
### END SOLUTION
print("f_star_kl =", f_star_kl)

# %% kind="tests" grade_id="p1_conjugate_tests"
from dgmlab.probes import check
check("p1_conjugate_tests", f_star_kl)


# %% [markdown]
# ### P1(c) (3 points, auto-graded): the objective and its optimal critic
# Implement the quantity inside the supremum, estimated from samples, and the optimal
# critic $d^*$. For any two densities (two 1-D Gaussians, say), the estimate at $d^*$ must match the
# closed-form KL within Monte-Carlo error, and other critics must score lower.

# %% kind="answer" grade_id="p1_objective"
def kl_objective(d, x_p, x_q):
    """Monte-Carlo estimate of 1 + E_p[log d(x)] - E_q[d(x)].

    d: callable, float64 tensor (N,) -> positive float64 tensor (N,).
    x_p: float64 tensor (N,), samples of p.  x_q: float64 tensor (M,), samples of q.
    Returns a 0-d float64 tensor.
    """
    ### BEGIN SOLUTION
    return 1.0 + torch.log(d(x_p)).mean() - d(x_q).mean()
    ### END SOLUTION


def kl_optimal_critic(log_p, log_q):
    """The maximising critic d* of kl_objective.

    log_p, log_q: callables, float64 tensor (N,) -> log-densities, float64 tensor (N,).
    Returns a callable d_star: float64 tensor (N,) -> positive float64 tensor (N,).
    """
    ### BEGIN SOLUTION
    return lambda x: torch.exp(log_p(x) - log_q(x))
    ### END SOLUTION


# %% kind="tests" grade_id="p1_objective_tests"
from dgmlab.probes import check
check("p1_objective_tests", kl_objective, kl_optimal_critic)


