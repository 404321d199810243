# %% [markdown]
# ## P4 (10 points): the discrete $W_1$ is a metric (triangle inequality)
#
# On a finite space $\{1,\dots,n\}$ with a cost *metric* $c$ (an $n\times n$ matrix), the
# Wasserstein distance between histograms $p, q$ is
# $W_1(p,q) = \min_{\pi\in\Pi(p,q)} \langle c,\pi\rangle$, where $\Pi(p,q)$ is the set of
# non-negative $n\times n$ matrices with row sums $p$ and column sums $q$.
#
# ### P4(a) (4 points, written)
# Prove $W_1(p,q)\le W_1(p,r) + W_1(r,q)$. Hint: glue optimal plans
# $\pi_p\in\Pi(p,r)$ and $\pi_q\in\Pi(r,q)$ into
# $\kappa = \pi_p\,\mathrm{diag}(1/r)\,\pi_q$; show $\kappa\in\Pi(p,q)$ and
# $\langle\kappa, c\rangle \le W_1(p,r)+W_1(r,q)$ using $c(x,y)\le c(x,z)+c(z,y)$.
# Say what to do where $r_z = 0$.

# %% [markdown] kind="written" grade_id="p4_proof" points=4
# Let $Z = \{z: r_z > 0\}$ and $\kappa_{xy} = \sum_{z\in Z} \pi_p(x,z)\pi_q(z,y)/r_z$ (terms with $r_z = 0$ are
# dropped: then $\pi_p(\cdot,z) = 0$ and $\pi_q(z,\cdot) = 0$ because their column/row sums are $r_z = 0$).
# $\kappa \ge 0$. Row sums: $\sum_y\kappa_{xy} = \sum_{z\in Z}\pi_p(x,z)\,r_z/r_z = \sum_z\pi_p(x,z) = p_x$;
# column sums likewise $= q_y$. So $\kappa\in\Pi(p,q)$ and $W_1(p,q)\le\langle\kappa,c\rangle$.
# Then $\langle\kappa,c\rangle = \sum_{x,y,z}\frac{\pi_p(x,z)\pi_q(z,y)}{r_z}c(x,y)
# \le \sum_{x,y,z}\frac{\pi_p(x,z)\pi_q(z,y)}{r_z}\big(c(x,z)+c(z,y)\big)
# = \sum_{x,z}\pi_p(x,z)c(x,z) + \sum_{z,y}\pi_q(z,y)c(z,y) = W_1(p,r)+W_1(r,q)$.
# Grading: valid coupling incl. zeros of $r$ (2), the chain of inequalities (2).

# %% [markdown]
# ### P4(b) (3 points, auto-graded): $W_1$ as a linear program
# Write $W_1(p,q)$ as a linear program over the $n^2$ entries of $\pi$ and solve it with
# `scipy.optimize.linprog(..., method="highs")`. Build the equality constraints for the
# row sums and the column sums yourself (mind how `reshape` orders the entries). Return the
# optimal value and the optimal plan as an $n\times n$ array.

# %% kind="answer" grade_id="p4_linprog"
def w1_linprog(p, q, C):
    """Discrete W1 by linear programming.

    p, q: float64 numpy arrays (n,), non-negative, each summing to 1.
    C: float64 numpy array (n, n), the ground cost c(i, j).
    Returns (value, plan): a Python float and a float64 array (n, n) with row sums p, column sums q.
    """
    ### BEGIN SOLUTION
    n = len(p)
    rows = np.kron(np.eye(n), np.ones((1, n)))   # sum_j pi[i, j] = p[i]   (row-major flattening)
    cols = np.kron(np.ones((1, n)), np.eye(n))   # sum_i pi[i, j] = q[j]
    res = linprog(C.reshape(-1), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([p, q]),
                  bounds=(0, None), method="highs")
    return float(res.fun), res.x.reshape(n, n)
    ### END SOLUTION


# %% kind="tests" grade_id="p4_linprog_tests" points=3
from dgmlab.probes import check
check("p4_linprog_tests", w1_linprog)

### BEGIN HIDDEN TESTS
# No hidden test: the LP's value and plan are compared with POT's exact solver (a route that is not the answer) by the
# visible tests, on the grading seed's problems when graded.
### END HIDDEN TESTS


# %% [markdown]
# ### P4(c) (3 points, auto-graded): the glued coupling
# Implement $\kappa = \pi_p\,\mathrm{diag}(1/r)\,\pi_q$, treating $1/r_z$ as $0$ where $r_z = 0$
# (no NaN may appear). The checks glue optimal plans on random metric costs, some with zeros
# in $r$, and verify that $\kappa$ is a coupling of $(p, q)$ and that
# $W_1(p,q)\le\langle\kappa,c\rangle\le W_1(p,r)+W_1(r,q)$.

# %% kind="answer" grade_id="p4_glue"
def glue_couplings(pi_p, pi_q, r):
    """kappa = pi_p diag(1/r) pi_q, with 1/0 read as 0.

    pi_p: float64 array (n, n), a coupling of (p, r).  pi_q: float64 array (n, n), a coupling of (r, q).
    r: float64 array (n,), the middle histogram (may contain zeros).
    Returns kappa: float64 array (n, n), a coupling of (p, q).
    """
    ### BEGIN SOLUTION
    inv = np.zeros_like(r)
    inv[r > 0] = 1.0 / r[r > 0]
    return pi_p @ np.diag(inv) @ pi_q
    ### END SOLUTION


# %% kind="tests" grade_id="p4_glue_tests" points=3
from dgmlab.probes import check
check("p4_glue_tests", glue_couplings)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points
def _glued(group, kappas):
    cases = inputs[group]
    assert len(kappas) == len(cases), "glue_couplings was not run on every case"
    for case, kappa in zip(cases, kappas, strict=True):
        kappa = np.asarray(kappa, dtype=np.float64)
        assert np.all(np.isfinite(kappa)), f"n={len(case['r'])}: kappa has NaN or inf (zeros in r: {case['zeros']})"
        yield case, kappa

@points(1)
def test_valid_coupling_of_optimal_plans():
    for case, kappa in _glued("valid", valid):
        checks.assert_coupling(kappa, case["p"], case["q"], atol=1e-9, name="kappa")

@points(0.5)
def test_valid_coupling_with_zeros_in_r():
    for case, kappa in _glued("zeros", zeros):
        checks.assert_coupling(kappa, case["p"], case["q"], atol=1e-9, name=f"kappa with {case['zeros']} zeros in r")

@points(0.5)
def test_cost_between_the_two_bounds():
    for case, kappa in _glued("bounds", bounds):
        C, p, q, r = case["C"], case["p"], case["q"], case["r"]
        cost = float(np.sum(kappa * C))
        assert cost <= checks.discrete_w1(p, r, C) + checks.discrete_w1(r, q, C) + 1e-9, \
            f"n={len(r)}: <kappa, c> exceeds W1(p, r) + W1(r, q)"
        assert cost >= checks.discrete_w1(p, q, C) - 1e-9, f"n={len(r)}: <kappa, c> is below W1(p, q)"
### END HIDDEN TESTS


