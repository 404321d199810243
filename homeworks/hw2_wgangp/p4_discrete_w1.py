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
# Treat the $n^2$ entries of $\pi$ as the unknowns of a linear program, ordered row by row:
# $x$ = `pi.reshape(-1)`, so $x_{in+j} = \pi_{ij}$ (keep this row-major order throughout). Then $W_1(p,q)$ is the minimum of $\langle$`C.reshape(-1)`$, x\rangle$
# over $x \ge 0$ with $A_{\mathrm{eq}}\,x = b_{\mathrm{eq}}$, where the first $n$ rows of $A_{\mathrm{eq}}$ sum
# each row of $\pi$ (to $p$) and the last $n$ each column (to $q$).
#
# - `marginal_constraints(p, q)` returns `(A_eq, b_eq)`, of shapes $(2n, n^2)$ and $(2n,)$. It is right when, for
#   every $n\times n$ matrix $X$, `A_eq @ X.reshape(-1)` is the row sums of $X$ followed by its column sums: then
#   couplings of $(p, q)$ meet `b_eq` and matrices with a wrong row or column sum do not.
# - `w1_linprog(p, q, C)` solves that program, with the constraints `marginal_constraints(p, q)` returns, by
#   `scipy.optimize.linprog(..., method="highs")`, and returns the optimal value and the optimal $n\times n$ plan,
#   which meets those constraints. The question is the linear program it builds as much as its solution: its costs
#   `C.reshape(-1)`, and constraints and bounds that allow exactly the non-negative matrices with row sums $p$ and
#   column sums $q$. A transport library's solver (POT's `ot.emd`) gives the optimal value and plan without
#   formulating anything, so it shows none of the program this question is about.

# %% kind="answer" grade_id="p4_linprog"
def marginal_constraints(p, q):
    """The equality constraints of the transport LP for the row-major flattening x = pi.reshape(-1).

    p, q: float64 numpy arrays (n,), the row and column marginals.
    Returns (A_eq, b_eq): float64 arrays (2n, n*n) and (2n,); A_eq @ pi.reshape(-1) is the n row sums of pi
    followed by its n column sums, and b_eq is p followed by q.
    """
    ### BEGIN SOLUTION
    n = len(p)
    rows = np.kron(np.eye(n), np.ones((1, n)))   # (A x)[i] = sum_j pi[i, j]: x[i*n + j] = pi[i, j]
    cols = np.kron(np.ones((1, n)), np.eye(n))   # (A x)[n + j] = sum_i pi[i, j]
    return np.vstack([rows, cols]), np.concatenate([p, q])
    ### END SOLUTION


def w1_linprog(p, q, C):
    """Discrete W1 by linear programming, with the constraints of marginal_constraints.

    p, q: float64 numpy arrays (n,), non-negative, each summing to 1.
    C: float64 numpy array (n, n), the ground cost c(i, j).
    Returns (value, plan): a Python float and a float64 array (n, n) with row sums p, column sums q.
    """
    ### BEGIN SOLUTION
    n = len(p)
    A_eq, b_eq = marginal_constraints(p, q)
    res = linprog(C.reshape(-1), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    return float(res.fun), res.x.reshape(n, n)
    ### END SOLUTION


# %% kind="tests" grade_id="p4_linprog_tests"
from dgmlab.probes import check
check("p4_linprog_tests", marginal_constraints, w1_linprog)


# %% [markdown]
# ### P4(c) (3 points, auto-graded): the glued coupling
# Implement $\kappa = \pi_p\,\mathrm{diag}(1/r)\,\pi_q$, treating $1/r_z$ as $0$ where $r_z = 0$
# (no NaN may appear). Glued from optimal plans for a metric cost $c$, with or without zeros in $r$,
# $\kappa$ must be a coupling of $(p, q)$ (rows summing to $p$, columns to $q$) with
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


# %% kind="tests" grade_id="p4_glue_tests"
from dgmlab.probes import check
check("p4_glue_tests", glue_couplings)


