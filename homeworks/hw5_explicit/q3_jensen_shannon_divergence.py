# %% [markdown]
# ## Q3 (15 points): The Jensen-Shannon divergence
#
# For distributions $P$ and $Q$ on the same space, with the mixture $M = \tfrac12(P + Q)$,
# $$D_{\mathrm{JS}}(P \,\|\, Q) = \tfrac12 D_{\mathrm{KL}}(P \,\|\, M) + \tfrac12 D_{\mathrm{KL}}(Q \,\|\, M)
#   \qquad \text{(natural logarithms, nats).}$$
#
# **Companion first (7 points, autograded).** Take $P = \mathrm{Bern}(\theta)$ ($P(1) = \theta$) and
# $Q = \mathrm{Bern}(0.3)$. Write $D_{\mathrm{KL}}(\mathrm{Bern}(a)\,\|\,\mathrm{Bern}(b))$ (2 points) and
# $D_{\mathrm{JS}}(\mathrm{Bern}(a)\,\|\,\mathrm{Bern}(b))$ (3 points) as sympy expressions; the cell then forms
# `kl_PQ` and `js_PQ` as functions of `theta` (defined in the imports cell).

# %% kind="answer" grade_id="q3_divergences" check_output=true
def kl_bernoulli(a, b):
    """D_KL(Bern(a) || Bern(b)) in nats, as a sympy expression (a, b sympy numbers or symbols in (0, 1))."""
    ### BEGIN SOLUTION
    a, b = sp.sympify(a), sp.sympify(b)
    return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))
    ### END SOLUTION


def js_bernoulli(a, b):
    """D_JS(Bern(a) || Bern(b)) in nats, as a sympy expression (a, b sympy numbers or symbols in (0, 1))."""
    ### BEGIN SOLUTION
    a, b = sp.sympify(a), sp.sympify(b)
    m = (a + b) / 2
    return (kl_bernoulli(a, m) + kl_bernoulli(b, m)) / 2
    ### END SOLUTION


kl_PQ = kl_bernoulli(theta, sp.Rational(3, 10))   # D_KL(P || Q) as a function of theta
js_PQ = js_bernoulli(theta, sp.Rational(3, 10))   # D_JS(P || Q) as a function of theta
print("D_KL(P || Q) =", kl_PQ)
print("D_JS(P || Q) =", js_PQ)

# %% kind="tests" grade_id="q3_kl_tests"
from dgmlab.probes import check
check("q3_kl_tests", kl_PQ, kl_bernoulli)

# %% kind="tests" grade_id="q3_js_tests"
from dgmlab.probes import check
check("q3_js_tests", js_PQ, js_bernoulli, kl_bernoulli)

# %% [markdown]
# **(2 points)** The minimisers over $(0, 1)$ of `kl_PQ` (as `theta_star_kl`) and of `js_PQ` (as `theta_star_js`),
# as Python floats. Write `divergence_minimiser`, which finds the minimiser over $(0, 1)$ of any divergence given
# as a sympy expression in `theta` with one minimum there, symbolically (`sp.solve`) or numerically
# (`minimize_scalar`), to three decimals or better; the cell applies it to `kl_PQ` and `js_PQ`. The cell after the
# test plots both divergences, for written part 4.

# %% kind="answer" grade_id="q3_theta_star" check_output=true
def divergence_minimiser(divergence):
    """The minimiser over (0, 1) of divergence, a sympy expression in theta with one minimum there, as a float."""
    ### BEGIN SOLUTION
    # the divergence is convex in theta here: a bounded scalar search finds its one minimum
    f = sp.lambdify(theta, divergence)
    return float(minimize_scalar(f, bounds=(1e-6, 1 - 1e-6), method="bounded", options={"xatol": 1e-10}).x)
    ### END SOLUTION


theta_star_kl = divergence_minimiser(kl_PQ)
theta_star_js = divergence_minimiser(js_PQ)
print(f"theta* (KL) = {theta_star_kl:.4f}   theta* (JS) = {theta_star_js:.4f}")

# %% kind="tests" grade_id="q3_theta_star_tests"
from dgmlab.probes import check
check("q3_theta_star_tests", divergence_minimiser, theta_star_kl, theta_star_js, kl_PQ, js_PQ)

# %% locked=true grade_id="q3_plot" uses_answers=true
if not runtime.is_grading():   # both divergences against theta (not graded)
    thetas = np.linspace(0.001, 0.999, 400)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(thetas, sp.lambdify(theta, kl_PQ, "numpy")(thetas), label=r"$D_{KL}(P\|Q)$")
    ax.plot(thetas, sp.lambdify(theta, js_PQ, "numpy")(thetas), label=r"$D_{JS}(P\|Q)$")
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel("nats")
    ax.legend()
    ax.grid(alpha=0.3)
    FIGURES.mkdir(exist_ok=True)
    fig.savefig(FIGURES / "q3_divergences.png", dpi=100, bbox_inches="tight")
    dgmlab.workspace.saved(FIGURES / "q3_divergences.png", what="figure saved")
    plt.show()

# %% [markdown]
# **Written (8 points).**
# 1. (2) Show that $M$ is a distribution (both defining properties).
# 2. (1.5) Can $D_{\mathrm{JS}}$ be negative? Justify.
# 3. (1.5) Show that $D_{\mathrm{JS}}(P\|Q) = D_{\mathrm{JS}}(Q\|P)$.
# 4. (1) Comment on the plot above: where are the minima, how do the curves differ as $\theta \to 0$ and
#    $\theta \to 1$, and why?
# 5. (2) If $P(x) > 0$ and $Q(x) > 0$ on all of $\mathbb X$, show that $D_{\mathrm{JS}}(P\|Q) = 0$ if and only if
#    $D_{\mathrm{KL}}(P\|Q) = 0$.

# %% [markdown] kind="written" grade_id="q3_written" points=8
# Marks: 2, 1.5, 1.5, 1, 2.
#
# 1. Non-negativity: $M(x) = \frac12(P(x)+Q(x)) \ge 0$. Normalisation:
#    $\sum_x M(x) = \frac12\sum_x P(x) + \frac12 \sum_x Q(x) = 1$ (integrals for densities).
# 2. No. It averages two KL divergences, each $\ge 0$ by Gibbs' inequality (Jensen on $-\log$). ($M > 0$
#    wherever $P > 0$ or $Q > 0$, so both terms are finite; also $D_{\mathrm{JS}} \le \log 2$.)
# 3. $M$ is symmetric in $P$ and $Q$; swapping them swaps the two terms and leaves $M$ unchanged.
# 4. Both curves reach their minimum 0 at $\theta^* = 0.3$, where $P = Q$. KL is asymmetric and steeper: it
#    tends to $\log(1/0.7) \approx 0.357$ as $\theta\to0$ and $\log(1/0.3) \approx 1.204$ as $\theta\to1$. JS is
#    smaller, flatter and bounded by $\log 2$, because $M$ always overlaps both $P$ and $Q$.
# 5. Both are zero iff $P = Q$. If $P = Q$, then $M = P$ and every log-ratio is 0. $D_{\mathrm{KL}}(P\|Q) = 0$
#    forces equality in Jensen's inequality, so $Q/P$ is constant and $P = Q$. $D_{\mathrm{JS}} = 0$ forces both
#    non-negative terms to vanish, so $P = M = Q$. Hence $D_{\mathrm{JS}} = 0 \iff P = Q \iff D_{\mathrm{KL}} = 0$
#    (positivity keeps every term finite).
