# %% [markdown]
# ## P5. Kantorovich duality for discrete optimal transport (20 points)
#
# With probability vectors $v \in \mathbb R^{k_1}$, $w \in \mathbb R^{k_2}$ and costs $c_{ij}$ of moving a unit of mass from
# $i$ to $j$, the optimal transport cost is a linear program over **plans** $T$:
# $$\mathrm{OT}(v, w; C) = \min_{T} \sum_{i,j} c_{ij}T_{ij}\quad\text{s.t.}\quad T_{ij}\ge 0,\;\; \textstyle\sum_j T_{ij} = v_i,\;\; \sum_i T_{ij} = w_j .$$
# Its **dual** replaces the plan by two *potentials* $\phi\in\mathbb R^{k_1}$, $\psi \in \mathbb R^{k_2}$:
# $$\mathrm{OT}(v, w; C) = \max_{\phi,\psi}\; \sum_i v_i\phi_i + \sum_j w_j\psi_j \quad\text{s.t.}\quad \phi_i + \psi_j \le c_{ij}\ \text{ for all } i, j.$$
# When $C$ is a distance, this is the discrete face of the Kantorovich-Rubinstein duality behind the WGAN critic.
#
# ### P5(a) Derive the dual (6 points, graded by hand)
#
# Derive the dual from the primal's Lagrangian (a multiplier per constraint, $T_{ij}\ge0$ included), minimised
# over $T$. State weak duality and the complementary slackness condition linking optimal $T$ and $(\phi, \psi)$.

# %% [markdown] kind="written" grade_id="p5_dual_derivation" points=6
# Lagrangian with multipliers $\phi_i$ (row constraints), $\psi_j$ (column constraints) and $\lambda_{ij}\ge0$ for $T_{ij}\ge0$:
# $$L(T,\phi,\psi,\lambda) = \sum_{ij} c_{ij}T_{ij} + \sum_i\phi_i\Big(v_i - \sum_j T_{ij}\Big) + \sum_j\psi_j\Big(w_j - \sum_i T_{ij}\Big) - \sum_{ij}\lambda_{ij}T_{ij}$$
# $$= \sum_i v_i\phi_i + \sum_j w_j\psi_j + \sum_{ij} T_{ij}\,(c_{ij} - \phi_i - \psi_j - \lambda_{ij}).$$
# $L$ is linear in $T$ (unconstrained), so $\inf_T L = \sum_i v_i\phi_i + \sum_j w_j\psi_j$ if
# $c_{ij} - \phi_i - \psi_j - \lambda_{ij} = 0$ for all $i,j$, and $-\infty$ otherwise. The dual maximises this over
# $\phi,\psi$ free and $\lambda\ge0$; eliminating $\lambda_{ij} = c_{ij}-\phi_i-\psi_j \ge 0$ gives
# $\max \sum_i v_i\phi_i + \sum_j w_j\psi_j$ s.t. $\phi_i + \psi_j \le c_{ij}$.
#
# Weak duality: for feasible $T$ and $(\phi,\psi)$,
# $\sum_{ij}c_{ij}T_{ij} \ge \sum_{ij}(\phi_i+\psi_j)T_{ij} = \sum_i v_i\phi_i + \sum_j w_j\psi_j$ (using $T\ge0$ and the
# marginals). For a feasible, bounded LP strong duality holds (the problem is linear, so no Slater condition is
# needed), so the values are equal. Complementary slackness: $T_{ij}\,(c_{ij}-\phi_i-\psi_j) = 0$ for all $i,j$:
# mass only moves along pairs where the dual constraint is tight.
#
# Grading: Lagrangian 2, minimisation over $T$ giving the constraint 2, weak duality 1, complementary slackness 1.

# %% [markdown]
# ### P5(b) The primal as a linear program (7 points)
#
# Write the primal yourself as a linear program in $T$ flattened row by row (its costs, the marginal constraints and
# the bounds) and solve it with `scipy.optimize.linprog(..., method="highs")`. Both are asked for, 3.5 points each:
# the linear program you build (its costs, and which plans its constraints and bounds allow), and the optimal plan
# and value.

# %% kind="answer" grade_id="p5_ot_primal"
def ot_primal(v, w, C):
    """v: (k1,), w: (k2,) float64 probability vectors; C: (k1, k2) float64 costs.

    Returns (value: float, T: (k1, k2) float64 optimal plan).
    """
    ### BEGIN SOLUTION
    v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
    k1, k2 = C.shape
    rows = np.kron(np.eye(k1), np.ones((1, k2)))   # sum_j T_ij = v_i
    cols = np.kron(np.ones((1, k1)), np.eye(k2))   # sum_i T_ij = w_j
    res = linprog(C.ravel(), A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([v, w]),
                  bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(res.message)
    return float(res.fun), res.x.reshape(k1, k2)
    ### END SOLUTION


# %% kind="tests" grade_id="p5_ot_primal_tests"
from dgmlab.probes import check
check("p5_ot_primal_tests", ot_primal)

# %% [markdown]
# ### P5(c) The dual as a linear program (7 points)
#
# Write it yourself, again for `linprog`, which minimises: stack $(\phi, \psi)$ into one vector, every potential
# free in sign (none fixed), with one inequality per pair $(i, j)$. As in P5(b), both are asked for, 3.5 points
# each: the linear program you build (its costs, and which potentials its constraints and bounds allow), and the
# optimal potentials and value.

# %% kind="answer" grade_id="p5_ot_dual"
def ot_dual(v, w, C):
    """v: (k1,), w: (k2,) float64 probability vectors; C: (k1, k2) float64 costs.

    Returns (value: float, phi: (k1,) float64, psi: (k2,) float64) optimal potentials.
    """
    ### BEGIN SOLUTION
    v, w, C = np.asarray(v, float), np.asarray(w, float), np.asarray(C, float)
    k1, k2 = C.shape
    A_ub = np.hstack([np.kron(np.eye(k1), np.ones((k2, 1))),    # phi_i in row i*k2 + j
                      np.kron(np.ones((k1, 1)), np.eye(k2))])   # psi_j in row i*k2 + j
    res = linprog(-np.concatenate([v, w]), A_ub=A_ub, b_ub=C.ravel(), bounds=(None, None), method="highs")
    if res.status != 0:
        raise RuntimeError(res.message)
    return float(-res.fun), res.x[:k1], res.x[k1:]
    ### END SOLUTION


# %% kind="tests" grade_id="p5_ot_dual_tests"
from dgmlab.probes import check
check("p5_ot_dual_tests", ot_dual)

# %% [markdown]
# A quick demonstration on a random $4\times 6$ instance: both programs give the same value.

# %% check_output=true uses_answers=true
rng = np.random.default_rng(0)
v_demo, w_demo = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(6))
C_demo = np.abs(rng.normal(size=(4, 1)) - rng.normal(size=(1, 6)))
primal_value, T_demo = ot_primal(v_demo, w_demo, C_demo)
dual_value, phi_demo, psi_demo = ot_dual(v_demo, w_demo, C_demo)
print(f"primal {primal_value:.6f}  dual {dual_value:.6f}")
