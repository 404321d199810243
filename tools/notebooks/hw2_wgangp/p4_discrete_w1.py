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


# %% locked=true grade_id="p4_helpers"
def random_metric_problem(rng, n, zeros_in_r=0):
    """A random metric cost (distances between points in the plane) and three histograms p, q, r."""
    pts = rng.normal(size=(n, 2))
    C = np.linalg.norm(pts[:, None] - pts[None, :], axis=-1)
    p, q, r = (rng.random(n) + 0.05 for _ in range(3))
    r[:zeros_in_r] = 0.0
    return C, p / p.sum(), q / q.sum(), r / r.sum()


# %% kind="tests" grade_id="p4_linprog_tests" points=3
from dgmlab.testing import points, run_tests
from dgmlab import checks

@points(0.25)
def test_distance_to_itself_is_zero():
    C, p, q, r = random_metric_problem(np.random.default_rng(0), 4)
    value, plan = w1_linprog(p, p, C)
    assert isinstance(value, float), f"expected the value as a Python float, found {type(value).__name__}"
    assert np.asarray(plan).shape == (4, 4), f"expected a 4 x 4 plan, found shape {np.asarray(plan).shape}"
    checks.assert_close(value, 0.0, atol=1e-8, name="W1(p, p)", reveal=True)

@points(0.75)
def test_moving_all_mass_from_the_first_point_to_the_second():
    # p = delta_1, q = delta_2 and an asymmetric cost: the only plan sends mass 1 from 1 to 2, at cost C[0, 1] = 1
    p, q = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    C = np.array([[0.0, 1.0], [3.0, 0.0]])
    value, plan = w1_linprog(p, q, C)
    hint = ""
    if abs(value) < 1e-8:
        hint = (": 0 means some marginal is not enforced (both the row sums p and the column sums q must be "
                "equality constraints: A_eq, b_eq)")
    elif abs(value - 3.0) < 1e-8:
        hint = (": 3 is the cost of the transposed plan; rows of the plan must sum to p and columns to q "
                "(check the kron order against how reshape flattens the plan)")
    assert abs(value - 1.0) < 1e-8, f"expected W1 = C[0, 1] = 1, found {value:.6g}{hint}"
    assert np.asarray(plan).shape == (2, 2), f"expected a 2 x 2 plan, found shape {np.asarray(plan).shape}"
    got = np.round(np.asarray(plan, dtype=float), 6).tolist()
    assert np.allclose(np.asarray(plan, dtype=float), [[0.0, 1.0], [0.0, 0.0]], atol=1e-8), \
        f"expected the plan [[0, 1], [0, 0]] (row i sends mass to column j), found {got}"

### BEGIN HIDDEN TESTS
@points(1.25)
def test_matches_pot_and_returns_a_valid_plan():
    rng = np.random.default_rng(3)
    for n in (3, 5, 8):
        C, p, q, r = random_metric_problem(rng, n)
        value, plan = w1_linprog(p, q, C)
        assert abs(value - checks.discrete_w1(p, q, C)) < 1e-7, \
            f"n={n}: the LP value is not the optimal transport cost (check the marginal constraints)"
        checks.assert_coupling(np.asarray(plan), p, q, atol=1e-7, name="the returned plan")
        assert abs(float(np.sum(np.asarray(plan) * C)) - value) < 1e-7, "the plan's cost is not the value"

@points(0.75)
def test_asymmetric_cost_orientation():
    # with an asymmetric cost, swapping the roles of p and q changes the answer
    rng = np.random.default_rng(4)
    n = 5
    C = rng.random((n, n)); np.fill_diagonal(C, 0.0)
    p = rng.random(n); p /= p.sum(); q = rng.random(n); q /= q.sum()
    value, plan = w1_linprog(p, q, C)
    assert abs(value - checks.discrete_w1(p, q, C)) < 1e-7, \
        "with a non-symmetric cost the LP value is wrong: are rows tied to p and columns to q?"
### END HIDDEN TESTS

run_tests(points=3, hidden=2)


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
from dgmlab.testing import points, run_tests
from dgmlab import checks

@points(0.5)
def test_diagonal_plans_glue_to_a_diagonal_plan():
    r = np.array([0.5, 0.5])
    kappa = np.asarray(glue_couplings(np.diag(r), np.diag(r), r), dtype=np.float64)
    hint = ""
    if np.allclose(kappa, np.diag(r ** 2)):
        hint = ": that is pi_p pi_q without the diag(1/r) in between"
    elif np.allclose(kappa, np.diag(r ** 3)):
        hint = ": that is pi_p diag(r) pi_q; the middle factor is diag(1/r)"
    assert np.allclose(kappa, np.diag(r), atol=1e-12), \
        f"gluing diag(r) with itself should give diag(r) = {np.diag(r).tolist()}, found {kappa.tolist()}{hint}"

@points(0.5)
def test_a_zero_in_r_gives_no_nan():
    r = np.array([0.6, 0.4, 0.0])
    kappa = np.asarray(glue_couplings(np.diag(r), np.diag(r), r), dtype=np.float64)
    assert np.all(np.isfinite(kappa)), \
        f"expected a finite kappa when r has a zero, found {kappa.tolist()}: read 1/r_z as 0 where r_z = 0"
    assert np.allclose(kappa, np.diag(r), atol=1e-12), \
        f"gluing diag(r) with itself should give diag(r) = {np.diag(r).tolist()}, found {kappa.tolist()}"

### BEGIN HIDDEN TESTS
def _glued(rng, n, zeros):
    C, p, q, r = random_metric_problem(rng, n, zeros_in_r=zeros)
    kappa = np.asarray(glue_couplings(ot.emd(p, r, C), ot.emd(r, q, C), r), dtype=np.float64)
    assert np.all(np.isfinite(kappa)), f"n={n}: kappa has NaN or inf (zeros in r: {zeros})"
    return C, p, q, r, kappa

@points(1)
def test_valid_coupling_of_optimal_plans():
    rng = np.random.default_rng(5)
    for n in (4, 7):
        C, p, q, r, kappa = _glued(rng, n, 0)
        checks.assert_coupling(kappa, p, q, atol=1e-9, name="kappa")

@points(0.5)
def test_valid_coupling_with_zeros_in_r():
    rng = np.random.default_rng(6)
    for n, zeros in [(6, 1), (9, 3)]:
        C, p, q, r, kappa = _glued(rng, n, zeros)
        checks.assert_coupling(kappa, p, q, atol=1e-9, name=f"kappa with {zeros} zeros in r")

@points(0.5)
def test_cost_between_the_two_bounds():
    rng = np.random.default_rng(7)
    for n, zeros in [(4, 0), (6, 1), (9, 3)]:
        C, p, q, r, kappa = _glued(rng, n, zeros)
        cost = float(np.sum(kappa * C))
        assert cost <= checks.discrete_w1(p, r, C) + checks.discrete_w1(r, q, C) + 1e-9, \
            f"n={n}: <kappa, c> exceeds W1(p, r) + W1(r, q)"
        assert cost >= checks.discrete_w1(p, q, C) - 1e-9, f"n={n}: <kappa, c> is below W1(p, q)"
### END HIDDEN TESTS

run_tests(points=3, hidden=2)
