# %% [markdown]
# ## P3 (10 points): smoothing moves a distribution by at most $\sigma\sqrt d$
#
# Let $p$ be a density on $\mathbb R^d$ and $p_\sigma$ the density of $y = x + \varepsilon$ with
# $x\sim p$ and, independently, $\varepsilon\sim\mathcal N(0,\sigma^2 I_d)$. With
# $W_1(p,q) = \inf_{\pi\in\Pi(p,q)}\mathbb E_{(x,y)\sim\pi}\|x-y\|_2$ over all couplings
# $\pi$ of $p$ and $q$:
#
# ### P3(a) (5 points, written)
# Show that $W_1(p, p_\sigma) \le \sigma\sqrt d$. Then explain in two or three sentences why the
# experiment in P3(b) compares the points $x_i$ with the *same* points moved, $x_i+\varepsilon_i$,
# instead of with an independent sample of $p_\sigma$.

# %% [markdown] kind="written" grade_id="p3_proof" points=5
# The joint law of $(x, x+\varepsilon)$ is a coupling of $p$ and $p_\sigma$ (first marginal $p$; second the law of
# $x+\varepsilon$, i.e. $p_\sigma$). So $W_1 \le \mathbb E\|x - (x+\varepsilon)\| = \mathbb E\|\varepsilon\|$.
# By Jensen (or Cauchy-Schwarz), $\mathbb E\|\varepsilon\| \le \sqrt{\mathbb E\|\varepsilon\|^2} = \sqrt{d\sigma^2} = \sigma\sqrt d$.
# (The inequality is strict: $\mathbb E\|\varepsilon\| = \sigma\sqrt2\,\Gamma(\frac{d+1}2)/\Gamma(\frac d2)$, and the
# ratio $\mathbb E\|\varepsilon\|/(\sigma\sqrt d)$ rises towards 1 as $d$ grows.)
# Pairing: the empirical OT cost between two *independent* samples of size $n$ is biased upwards by the sampling
# distance between empirical measures. For laws with enough moments that distance decays like $n^{-1/2}$ when
# $d = 1$, at most like $n^{-1/2}\log n$ when $d = 2$ (for the uniform law on a square its exact order is
# $\sqrt{\log n / n}$), and like $n^{-1/d}$ when $d \ge 3$ (Fournier and Guillin, 2015). That bias would swamp
# the quantity of interest (even $W_1(\hat p_n, \hat p'_n) > 0$ for two samples of the same $p$). With paired points the identity coupling is
# feasible for the two empirical measures, so the exact EMD is a true lower bound on its cost, as in the proof.
# Grading: coupling (2), Jensen (2), pairing argument (1).

# %% [markdown]
# ### P3(b) (5 points, auto-graded): exact transport versus the identity coupling
# Given $n$ points $x_i$ (rows of `x`) and noise vectors $\varepsilon_i$ (rows of `eps`), put
# $y_i = x_i + \varepsilon_i$ and return two numbers:
#
# * the **exact** optimal-transport cost (EMD) between the uniform empirical measures on
#   $\{x_i\}$ and $\{y_i\}$ with Euclidean ground cost $\|x_i - y_j\|_2$, computed with POT
#   (`ot.dist`, `ot.emd2`; mind which metric `ot.dist` uses by default), and
# * the cost of the identity coupling $x_i \leftrightarrow y_i$, $\frac1n\sum_i\|\varepsilon_i\|_2$.
#
# The EMD must be the exact optimum (so never above the identity cost), and with Gaussian noise the identity
# cost must respect P3(a)'s bound $\sigma\sqrt d$ up to Monte-Carlo error.

# %% kind="answer" grade_id="p3_costs"
def smoothing_costs(x, eps):
    """Exact EMD and identity-coupling cost between {x_i} and {x_i + eps_i}.

    x, eps: float64 numpy arrays (n, d).
    Returns (emd, identity_cost): two Python floats.
    """
    ### BEGIN SOLUTION
    y = x + eps
    n = x.shape[0]
    w = np.full(n, 1.0 / n)
    emd = ot.emd2(w, w, ot.dist(x, y, metric="euclidean"))
    identity_cost = np.linalg.norm(eps, axis=1).mean()
    return float(emd), float(identity_cost)
    ### END SOLUTION


# %% kind="tests" grade_id="p3_costs_tests"
from dgmlab.probes import check
check("p3_costs_tests", smoothing_costs)


# %% [markdown]
# The cell below runs your function for $d = 1,\dots,5$ on a lumpy two-cluster $p$ and plots
# the EMD, the identity cost and the bound. Expect EMD $<$ identity cost $< \sigma\sqrt d$,
# with the ratio identity$/(\sigma\sqrt d)$ rising towards 1 as $d$ grows.

# %% locked=true grade_id="p3_demo" uses_answers=true
if not runtime.is_grading():
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(0)
    sigma, n = 1.0, runtime.pick(full=1000, fast=200)
    rows = []
    for d in range(1, 6):
        x = np.where(rng.random((n, 1)) < 0.3, -2.0, 1.5) + rng.uniform(-0.5, 0.5, size=(n, d))
        emd, ident = smoothing_costs(x, sigma * rng.normal(size=(n, d)))
        rows.append((d, emd, ident, sigma * math.sqrt(d)))
        print(f"d={d}: EMD={emd:.3f}  identity={ident:.3f}  sigma*sqrt(d)={sigma * math.sqrt(d):.3f}")
    rows = np.array(rows)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for k, label in [(1, "exact EMD"), (2, "identity coupling"), (3, r"$\sigma\sqrt{d}$")]:
        ax.plot(rows[:, 0], rows[:, k], marker="o", label=label)
    ax.set_xticks(range(1, 6)); ax.set_xlabel("dimension d"); ax.set_ylabel("transport cost"); ax.legend(); ax.grid(alpha=0.3)
    fig.tight_layout()
    import os; os.makedirs("figures", exist_ok=True)
    fig.savefig("figures/p3_smoothing.png", dpi=100)
