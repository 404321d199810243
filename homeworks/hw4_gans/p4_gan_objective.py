# %% [markdown]
# ## P4. What the GAN objective optimises (20 points)
#
# The original GAN is the two-player game
# $$\min_G \max_D\; V(D, G) = \mathbb E_{x\sim p_{\text{data}}}\bigl[\log D(x)\bigr] + \mathbb E_{z\sim p_z}\bigl[\log\bigl(1 - D(G(z))\bigr)\bigr],$$
# with $D(x) \in (0, 1)$ a probability. With $p_g$ the distribution of $G(z)$,
# $V(D, G) = \int \bigl[p_{\text{data}}(x)\log D(x) + p_g(x)\log(1 - D(x))\bigr]\,dx$. In sympy, the positive
# symbols `p_data`, `p_g` and `d` stand for $p_{\text{data}}(x)$, $p_g(x)$ and $D(x)$ at one point.

# %% locked=true grade_id="p4_symbols"
p_data, p_g, d = sp.symbols("p_data p_g d", positive=True)
pi_real = sp.symbols("pi_real", positive=True)  # P4(a): the share of real images the discriminator sees

# %% [markdown]
# ### P4(a) The optimal discriminator, with sympy (5 points)
#
# `V_point` is the integrand as a function of `d`, `D_star` its stationary point, `second_derivative` its
# second derivative in `d` **at** `D_star`. Then, for unbalanced batches with a share $\pi$ (`pi_real`) of real
# images, the objective becomes $\pi\, p_{\text{data}} \log d + (1 - \pi)\, p_g \log(1 - d)$: put its maximiser in `D_star_pi`.

# %% kind="answer" grade_id="p4a" check_output=true
# V_point: sympy expression in p_data, p_g and d (the integrand of V at one point)
# D_star: sympy expression in p_data and p_g (where dV_point/dd = 0)
# second_derivative: sympy expression in p_data and p_g (d^2 V_point / dd^2 at d = D_star)
# D_star_pi: sympy expression in p_data, p_g and pi_real (the maximiser with a share pi_real of real images)
### BEGIN SOLUTION
V_point = p_data * sp.log(d) + p_g * sp.log(1 - d)
D_star = sp.solve(sp.Eq(sp.diff(V_point, d), 0), d)[0]
second_derivative = sp.simplify(sp.diff(V_point, d, 2).subs(d, D_star))
V_point_pi = pi_real * p_data * sp.log(d) + (1 - pi_real) * p_g * sp.log(1 - d)
D_star_pi = sp.solve(sp.Eq(sp.diff(V_point_pi, d), 0), d)[0]
### END SOLUTION
print("D_star =", D_star, "   second derivative there:", second_derivative)

# %% kind="tests" grade_id="p4a_tests"
from dgmlab.probes import check
check("p4a_tests", V_point, D_star, second_derivative, D_star_pi)

# %% [markdown]
# ### P4(a) Derivation (5 points, graded by hand)
#
# Derive $D^*_G(x) = \dfrac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}$ by hand: justify why the maximisation
# can be done pointwise, write the first-order condition, and show it is a maximum (second derivative, or
# concavity of $a\log t + b\log(1-t)$ on $(0,1)$). Say what happens where $p_{\text{data}}(x) + p_g(x) = 0$.

# %% [markdown] kind="written" grade_id="p4a_derivation" points=5
# Using $x = G(z)$ in the second term (law of the unconscious statistician),
# $V(D,G) = \int \big[p_{\text{data}}(x)\log D(x) + p_g(x)\log(1-D(x))\big]dx$. $D$ is any function, so
# maximising the integral means maximising the integrand separately at each $x$ (no constraint couples
# different points). Fix $x$, write $a = p_{\text{data}}(x) \ge 0$, $b = p_g(x) \ge 0$, $t = D(x)\in(0,1)$ and
# $f(t) = a\log t + b\log(1-t)$.
#
# $f'(t) = \dfrac{a}{t} - \dfrac{b}{1-t} = 0 \iff a(1-t) = bt \iff t^* = \dfrac{a}{a+b}$ (for $a+b>0$).
#
# $f''(t) = -\dfrac{a}{t^2} - \dfrac{b}{(1-t)^2} < 0$ for $a + b > 0$, so $f$ is strictly concave and $t^*$ is the
# unique maximiser; at $t^*$, $f''(t^*) = -(a+b)^3/(ab)$. Hence
# $D^*_G(x) = p_{\text{data}}(x)/(p_{\text{data}}(x)+p_g(x))$. Where $a + b = 0$ the point carries no mass
# under either distribution and the value of $D$ there does not matter (outside the union of the supports
# $D^*$ is arbitrary).
#
# Grading: pointwise argument 1, first-order condition solved 2, maximum shown 1, zero-density case 1.

# %% [markdown]
# ### P4(b) The criterion at the optimal discriminator (5 points)
#
# Plugging $D^*_G$ into $V$ gives the *virtual training criterion* $C(G) = \max_D V(D, G)$. Below it is compared
# with the Jensen-Shannon divergence $\mathrm{JSD}(p\,\|\,q) = \tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m)$,
# $m = \tfrac12(p+q)$, natural logarithms: first numerically, then by hand.
#
# 1. `C_point`: the sympy integrand of $C(G)$ at one point, obtained by **substituting** `D_star` into `V_point`.
# 2. For discrete distributions (numpy vectors `p`, `q` of the same length, non-negative, summing to one,
#    possibly with zero entries; use $0\log 0 = 0$): `virtual_criterion(p, q)` $= \sum_x$ `C_point` with
#    $p_{\text{data}} = p$, $p_g = q$, and `js_divergence(p, q)` in nats, from the definition above. Both return
#    Python floats (`scipy.special.xlogy` handles the zeros). Compare the two functions on a few pairs before the
#    derivation.

# %% kind="answer" grade_id="p4b" check_output=true
# C_point: sympy expression in p_data and p_g, V_point with D_star substituted for d
### BEGIN SOLUTION
C_point = V_point.subs(d, D_star)
### END SOLUTION


def virtual_criterion(p, q):
    """p, q: (k,) float64 probability vectors (p plays p_data, q plays p_g) -> float, C(G) = sum over x of C_point."""
    ### BEGIN SOLUTION
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    s = p + q
    return float(np.sum(xlogy(p, p) - xlogy(p, s) + xlogy(q, q) - xlogy(q, s)))
    ### END SOLUTION


def js_divergence(p, q):
    """p, q: (k,) float64 probability vectors -> float, Jensen-Shannon divergence in nats."""
    ### BEGIN SOLUTION
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    m = (p + q) / 2
    return float(0.5 * np.sum(xlogy(p, p) - xlogy(p, m)) + 0.5 * np.sum(xlogy(q, q) - xlogy(q, m)))
    ### END SOLUTION


print("C_point =", C_point)

# %% kind="tests" grade_id="p4b_tests"
from dgmlab.probes import check
check("p4b_tests", C_point, virtual_criterion, js_divergence)

# %% [markdown]
# ### P4(b) Derivation (5 points, graded by hand)
#
# Express $C(G)$ through $\mathrm{JSD}(p_{\text{data}}\,\|\,p_g)$, deriving the relation by hand. Then show that
# $C$ attains its global minimum **if and only if** $p_g = p_{\text{data}}$, and compute $C(G)$ there (it is
# $-\log 4$). Use only the definition of KL and the fact that $\mathrm{JSD}\ge 0$ with equality exactly for equal
# distributions (say why that is).

# %% [markdown] kind="written" grade_id="p4b_derivation" points=5
# With $D^*$, $C(G) = \mathbb E_{p_{\text{data}}}\!\left[\log\frac{p_{\text{data}}}{p_{\text{data}}+p_g}\right]
# + \mathbb E_{p_g}\!\left[\log\frac{p_g}{p_{\text{data}}+p_g}\right]$. Write $m = \frac12(p_{\text{data}} + p_g)$,
# so $\frac{p_{\text{data}}}{p_{\text{data}}+p_g} = \frac12\cdot\frac{p_{\text{data}}}{m}$ and likewise for $p_g$:
# $$C(G) = -\log 2 + \mathrm{KL}(p_{\text{data}}\|m) - \log 2 + \mathrm{KL}(p_g\|m) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}}\|p_g).$$
# (Each expectation of the constant $-\log 2$ is $-\log 2$ because the densities integrate to one.)
#
# KL is non-negative (Jensen: $-\mathrm{KL}(p\|m) = \mathbb E_p\log(m/p) \le \log \mathbb E_p (m/p) \le \log 1 = 0$)
# with equality iff $p = m$ a.e. So $\mathrm{JSD}\ge0$, with equality iff $p_{\text{data}} = m = p_g$. Hence
# $C(G) \ge -\log 4$ with equality iff $p_g = p_{\text{data}}$; there $D^* \equiv \frac12$ and
# $C = \log\frac12 + \log\frac12 = -\log 4$.
#
# Grading: substitution and rewriting with $m$ 2, the $-\log 4$ constant 1, JSD $\ge 0$ with the equality case 2.

# %% [markdown]
# Optionally, also write your chain from $C(G)$ to $-\log 4 + 2\,\mathrm{JSD}$ as the list of steps `derivation_steps()`
# returns, each a sympy expression in the positive symbols `p_data` and `p_g`: its terms with a density are
# integrated over $x$, those without (such as $-\log 4$) are numbers. The TA sees which step does not hold.

# %% kind="answer" grade_id="p4b_steps"
def derivation_steps():
    """Optional: -> list of sympy expressions in p_data and p_g, C(G) first and -log 4 + 2 JSD last."""
    ### BEGIN SOLUTION
    m = (p_data + p_g) / 2
    return [p_data * sp.log(p_data / (p_data + p_g)) + p_g * sp.log(p_g / (p_data + p_g)),
            p_data * (sp.log(p_data / m) - sp.log(2)) + p_g * (sp.log(p_g / m) - sp.log(2)),
            -sp.log(2) * (p_data + p_g) + p_data * sp.log(p_data / m) + p_g * sp.log(p_g / m),
            -sp.log(4) + p_data * sp.log(p_data / m) + p_g * sp.log(p_g / m)]
    ### END SOLUTION

# %% kind="tests" grade_id="p4b_steps_tests"
from dgmlab.probes import check
check("p4b_steps_tests", derivation_steps)
