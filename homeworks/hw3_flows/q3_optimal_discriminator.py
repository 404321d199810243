# %% [markdown]
# ## Q3. The optimal discriminator (15 points)
#
# For a fixed generator with density $p_\theta$, the discriminator $D_\phi : \mathcal X \to (0, 1)$ is trained
# to minimise
# $$
# \mathcal L(\phi;\theta) = -\,\mathbb E_{x\sim p_{\text{data}}}\big[\log D_\phi(x)\big]
#                           -\,\mathbb E_{x\sim p_\theta}\big[\log\big(1 - D_\phi(x)\big)\big].
# $$
# In class we saw that its minimiser is $D^*(x) = \dfrac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_\theta(x)}$; here you prove it.
#
# ### Q3.1 (5 points): a maximiser in sympy
#
# For numbers $a, b > 0$ let $g(D) = a\log D + b\log(1-D)$ on $D \in (0, 1)$. Derive its maximiser `D_star` and
# $g''$ at it. Then **one-sided label smoothing** (Salimans et al., 2016) trains towards
# $1 - \alpha$ on real images instead of $1$, so the objective becomes
# $g_\alpha(D) = a\big[(1-\alpha)\log D + \alpha\log(1-D)\big] + b\log(1-D)$: put its maximiser in `D_star_smoothed`.

# %% locked=true grade_id="q3_symbols"
a, b, D = sp.symbols("a b D", positive=True)
alpha = sp.symbols("alpha", positive=True)  # the label-smoothing amount of Q3.1

# %% kind="answer" grade_id="q3_d_star" check_output=true
# D_star: sympy expression in a, b;  second_derivative_at_D_star: sympy expression in a, b
# D_star_smoothed: sympy expression in a, b, alpha (the maximiser of g_alpha)
### BEGIN SOLUTION
g = a * sp.log(D) + b * sp.log(1 - D)
D_star = sp.solve(sp.diff(g, D), D)[0]
second_derivative_at_D_star = sp.simplify(sp.diff(g, D, 2).subs(D, D_star))
g_alpha = a * ((1 - alpha) * sp.log(D) + alpha * sp.log(1 - D)) + b * sp.log(1 - D)
D_star_smoothed = sp.solve(sp.diff(g_alpha, D), D)[0]
### END SOLUTION
print("D_star =", D_star, "   second derivative there:", second_derivative_at_D_star)

# %% kind="tests" grade_id="q3_d_star_tests"
from dgmlab.probes import check
check("q3_d_star_tests", D_star, second_derivative_at_D_star, D_star_smoothed)

# %% [markdown]
# ### Q3.2 (5 points): a numerical check on discrete distributions
#
# On a finite set the expectations are weighted sums; `D` holds the discriminator's value at each point.

# %% kind="answer" grade_id="q3_discrete_discriminator"
def discriminator_loss(D, p_data, p_g):
    """L = -E_{p_data}[log D] - E_{p_g}[log(1 - D)] on a finite set.

    D, p_data, p_g: float64 numpy arrays (K,); D in (0, 1), p_data and p_g sum to 1. Returns a float.
    """
    ### BEGIN SOLUTION
    return float(-(p_data * np.log(D)).sum() - (p_g * np.log(1 - D)).sum())
    ### END SOLUTION


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)). p_data, p_g: float64 arrays (K,) -> float64 array (K,)."""
    ### BEGIN SOLUTION
    return p_data / (p_data + p_g)
    ### END SOLUTION


# %% kind="tests" grade_id="q3_discrete_discriminator_tests"
from dgmlab.probes import check
check("q3_discrete_discriminator_tests", discriminator_loss, optimal_discriminator)

# %% [markdown]
# ### Q3.3 (5 points, written): the proof
#
# Prove that $D^*$ minimises $\mathcal L$ over all measurable $D : \mathcal X \to (0,1)$. What happens where
# $p_{\text{data}}(x) + p_\theta(x) = 0$?

# %% [markdown] kind="written" grade_id="q3_written" points=5
# Write both expectations as one integral:
# $\mathcal L = -\int \big[p_{\text{data}}(x)\log D(x) + p_\theta(x)\log(1 - D(x))\big]\,dx$. Because $D$ may be
# chosen freely at every $x$, $\mathcal L$ is minimised by maximising the integrand pointwise. Fix $x$ with
# $a = p_{\text{data}}(x)$, $b = p_\theta(x)$, $a + b > 0$, and let $g(D) = a\log D + b\log(1-D)$ on $(0,1)$.
# Then $g'(D) = \frac aD - \frac b{1-D}$, which vanishes only at $D = \frac a{a+b}$, and
# $g''(D) = -\frac a{D^2} - \frac b{(1-D)^2} < 0$, so $g$ is strictly concave and that stationary point is its
# unique global maximiser (at it $g'' = -(a+b)^3/(ab)$). If $b = 0 < a$, $g$ increases towards $D \to 1$,
# consistent with $D^* = 1$; symmetrically $D^* = 0$ if $a = 0 < b$. Hence
# $D^*(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_\theta(x)}$ maximises the integrand at every $x$ and so
# minimises $\mathcal L$. Where $p_{\text{data}} + p_\theta = 0$ the integrand is $0$ for every $D$: $D^*$ is
# arbitrary there (a null set under both distributions), and the minimum is unaffected.
#
# **Points (5).** Pointwise reduction of the integral (1), the stationary point (1), concavity or another argument
# that it is the global maximiser (1), the boundary cases $a = 0$ or $b = 0$ (1), the set where both densities
# vanish (1).
