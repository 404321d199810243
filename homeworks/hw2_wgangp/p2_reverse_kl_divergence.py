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

# %% kind="tests" grade_id="p2_conjugate_tests"
from dgmlab.probes import check
check("p2_conjugate_tests", f_star_rkl)


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


# %% kind="tests" grade_id="p2_objective_tests"
from dgmlab.probes import check
check("p2_objective_tests", rkl_objective, rkl_optimal_critic)


