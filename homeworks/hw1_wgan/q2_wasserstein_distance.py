# %% [markdown]
# ## Q2. The Wasserstein distance (35 points)
#
# A GAN can be read as minimising some divergence between the data distribution
# $p_{data}$ and the generator's distribution $p_g$. Here we look at what happens to those
# divergences when the two distributions live on tiny, almost disjoint regions, and why the
# Wasserstein distance behaves better.
#
# Throughout, $p_{data} = \mathcal N(\theta_0, \epsilon^2)$ and
# $p_g = \mathcal N(\theta, \epsilon^2)$: two 1-D Gaussians with the same standard deviation
# $\epsilon > 0$ and means $\theta_0, \theta \in \mathbb R$. The symbols below are the ones to use.

# %% locked=true grade_id="q2_symbols"
x, theta, theta0 = sp.symbols("x theta theta_0", real=True)
eps = sp.symbols("epsilon", positive=True)
sigma_g, sigma_data = sp.symbols("sigma_g sigma_data", positive=True)  # two widths, for Q2(a)


def normal_pdf(x, mean, std):
    """The N(mean, std^2) density as a sympy expression."""
    return sp.exp(-(x - mean) ** 2 / (2 * std ** 2)) / (std * sp.sqrt(2 * sp.pi))


# %% [markdown]
# **(a) (8 points)** The KL divergence between the two Gaussians, derived with sympy. Do it once
# for Gaussians of *different* widths, $p_g = \mathcal N(\theta, \sigma_g^2)$ and
# $p_{data} = \mathcal N(\theta_0, \sigma_{data}^2)$, then specialise. Build three sympy objects:
#
# - `kl_integrand`: the integrand $p_g(x)\,\log\big(p_g(x)/p_{data}(x)\big)$, an expression in `x`, `theta`,
#   `theta0`, `sigma_g` and `sigma_data` (use `normal_pdf`);
# - `kl_general`: its integral over $x \in \mathbb R$, computed by sympy (in `theta`, `theta0`, `sigma_g`,
#   `sigma_data`; no `x` left);
# - `kl_gaussians`: `kl_general` with both widths set to `eps`. It equals
#   $\dfrac{(\theta-\theta_0)^2}{2\epsilon^2}$, the form used in the rest of Q2 (sympy may print it with the
#   square expanded; `sp.factor` writes it as above).
#
# Hint: `sp.expand_log(..., force=True)` turns the log-ratio into a polynomial in `x`,
# and `sp.integrate(..., conds="none")` then takes a second or two.

# %% kind="answer" grade_id="q2_kl_gaussians" check_output=true
### BEGIN SOLUTION
p_g = normal_pdf(x, theta, sigma_g)
p_data = normal_pdf(x, theta0, sigma_data)
kl_integrand = p_g * sp.expand(sp.expand_log(sp.log(p_g / p_data), force=True))
kl_general = sp.simplify(sp.integrate(kl_integrand, (x, -sp.oo, sp.oo), conds="none"))
kl_gaussians = sp.simplify(kl_general.subs({sigma_g: eps, sigma_data: eps}))
### END SOLUTION
kl_gaussians

# %% kind="tests" grade_id="q2_kl_gaussians_tests"
from dgmlab.probes import check
check("q2_kl_gaussians_tests", kl_integrand, kl_general, kl_gaussians)


# %% [markdown]
# **(b) (6 points)** Let both distributions concentrate: $\epsilon \to 0^+$ with
# $\theta \neq \theta_0$. Implement `kl_limits(kl, theta_value, theta0_value)`, the pair
# $\left(\lim_{\epsilon\to0^+} D,\ \lim_{\epsilon\to0^+} \partial D/\partial\theta\right)$ for the expression
# $D$ = `kl` at $\theta$ = `theta_value`, $\theta_0$ = `theta0_value`, with `sp.diff` and `sp.limit`.
# It must work for any expression in `theta`, `theta0` and `eps`, not only the KL of (a).

# %% kind="answer" grade_id="q2_kl_limits" check_output=true
def kl_limits(kl, theta_value, theta0_value):
    """kl: sympy expression in theta, theta0, eps; theta_value, theta0_value: numbers.

    Returns (limit of kl, limit of d kl / d theta) as eps -> 0+, two sympy objects.
    """
    ### BEGIN SOLUTION
    at = {theta: theta_value, theta0: theta0_value}
    dkl = sp.diff(kl, theta)
    return sp.limit(kl.subs(at), eps, 0, "+"), sp.limit(dkl.subs(at), eps, 0, "+")
    ### END SOLUTION


print("theta = 1, theta0 = 0:", kl_limits(kl_gaussians, 1, 0))

# %% kind="tests" grade_id="q2_kl_limits_tests"
from dgmlab.probes import check
check("q2_kl_limits_tests", kl_limits)


# %% [markdown]
# **(c) (3 + 5 points)** Consider a GAN whose generator minimises
# $$L_G(\theta;\phi) = \mathbb E_{x\sim p_\theta}\big[\log(1 - D_\phi(x))\big] - \mathbb E_{x\sim p_\theta}\big[\log D_\phi(x)\big],$$
# the sum of the original ("saturating") generator loss and the "non-saturating" one, with the
# discriminator at its optimum $D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$.
#
# First the numeric companion (3 points): implement `combined_generator_loss(d_fake)`, the loss above
# estimated from the discriminator's outputs $D(x_i) \in (0,1)$ on a batch of generated samples.
# The cell after it uses it to measure $\partial L_G/\partial\theta$ with $D$ held at $D^*$; the written
# question (5 points) follows the table.

# %% kind="answer" grade_id="q2_combined_generator_loss"
def combined_generator_loss(d_fake):
    """d_fake: float tensor (N,) of D(x_i) in (0, 1) on generated x_i -> 0-d tensor,
    mean log(1 - D) minus mean log D."""
    ### BEGIN SOLUTION
    return torch.log1p(-d_fake).mean() - torch.log(d_fake).mean()
    ### END SOLUTION


# %% kind="tests" grade_id="q2_combined_generator_loss_tests"
from dgmlab.probes import check
check("q2_combined_generator_loss_tests", combined_generator_loss)


# %% uses_answers=true
def optimal_discriminator(x, theta_g, theta_data, std):
    """D*(x) = p_data / (p_data + p_g) for the two Gaussians, computed stably as a sigmoid of the log-ratio."""
    log_ratio = (-(x - theta_data) ** 2 + (x - theta_g) ** 2) / (2 * std ** 2)
    return torch.sigmoid(log_ratio)


def generator_gradient(loss_fn, theta_value=1.0, theta0_value=0.0, std=1.0, n=2000):
    """dL/dtheta with D frozen at D* (theta enters only through the samples x = theta + std * z)."""
    theta_t = torch.tensor(theta_value, dtype=torch.float64, requires_grad=True)
    z = torch.randn(n, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x_fake = theta_t + std * z
    d = optimal_discriminator(x_fake, theta_value, theta0_value, std)
    (grad,) = torch.autograd.grad(loss_fn(d), theta_t)
    return grad.item()


if not runtime.is_grading():
    print(f"{'eps':>6} {'dL_G/dtheta':>12}")
    for s in [1.0, 0.5, 0.2, 0.1, 0.05]:
        print(f"{s:6.2f} {generator_gradient(combined_generator_loss, std=s):12.4g}")


# %% [markdown]
# **(c), written (5 points).** With $D$ at $D^*$, is the behaviour you found in (b) a problem for
# training $\theta$ with $L_G$? Explain, using the table above ($\partial L_G / \partial \theta$ at
# $\theta = 1$, $\theta_0 = 0$ as $\epsilon$ shrinks) and what each of the two terms of $L_G$ contributes.

# %% [markdown] kind="written" grade_id="q2c" points=5
# Yes. With $D = D^*$, $\log(1-D^*) - \log D^* = \log \frac{p_g}{p_{data}}$, so
# $L_G = \mathbb E_{p_g}[\log p_g / p_{data}] = D_{KL}(p_g\|p_{data})$: this loss *is* the reverse KL of (a),
# and it inherits (b). When the supports barely overlap ($\epsilon\to0$, $\theta\ne\theta_0$) the loss is
# $+\infty$ in the limit and its gradient $(\theta-\theta_0)/\epsilon^2$ blows up: the table shows the
# gradient growing like $1/\epsilon^2$ (1, 4, 25, 100, 400). Training is then unstable: huge, badly scaled
# steps that overshoot $\theta_0$, and in floating point $D^*$ underflows to 0 so $\log D$ becomes $-\infty$ and
# gradients become NaN. Splitting the loss shows why: the saturating term $\log(1-D)$ gives a vanishing gradient
# (the discriminator is confident, $D\approx0$ on fakes), while the non-saturating $-\log D$ term carries the
# exploding one (the cell above measures each term with `generator_gradient(lambda d: torch.log1p(-d).mean(), std=s)`
# and `generator_gradient(lambda d: -torch.log(d).mean(), std=s)`). Neither is a useful, well-scaled signal about
# how far $p_g$ is from $p_{data}$.
# Marking: identifies the loss with $D_{KL}(p_g\|p_{data})$ at the optimal discriminator or otherwise links it to
# (b) (2); gradient explodes ~ $1/\epsilon^2$ / numerical instability (2); the saturating vs non-saturating split:
# which term vanishes and which explodes (1).

# %% [markdown]
# **(d) (5 + 2 + 6 points)** Now compare three distances between the same two Gaussians as
# $\epsilon \to 0$: KL (from (a)), the Jensen–Shannon divergence
# $$\mathrm{JS}(p_g, p_{data}) = \tfrac12 D_{KL}(p_g\|m) + \tfrac12 D_{KL}(p_{data}\|m),\quad m = \tfrac12(p_g + p_{data}),$$
# and the Wasserstein-1 (earth mover's) distance $W_1$. Use natural logarithms throughout.
#
# JS has no closed form here, so compute it by quadrature with the helper `gaussian_expectation`
# below, which returns $\mathbb E_{x\sim\mathcal N(\text{mean},\text{std}^2)}[g(x)]$ in float64 and
# is differentiable in `mean`. Work with log-densities (`normal_log_pdf`) and `torch.logaddexp`
# so nothing underflows when $\epsilon$ is tiny. For $W_1$, start from its definition,
# $W_1(p, q) = \inf_{\gamma\in\Pi(p, q)} \mathbb E_{(X, Y)\sim\gamma}|X - Y|$, the least expected distance
# over the couplings $\gamma$ of the two distributions.
#
# Implement `js_divergence(theta, theta0, eps)` (5 points) and `w1_distance(theta, theta0, eps)`
# (2 points); both take float64 0-d tensors (or numbers) and return 0-d tensors differentiable in `theta`.

# %% locked=true grade_id="q2d_helpers"
def normal_log_pdf(x, mean, std):
    """log N(x; mean, std^2), elementwise, in torch."""
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std) - 0.5 * math.log(2 * math.pi)


def gaussian_expectation(g, mean, std, n=4001, width=12.0):
    """E[g(X)] for X ~ N(mean, std^2) by the trapezoid rule on mean + std * z, |z| <= width (float64)."""
    z = torch.linspace(-width, width, n, dtype=torch.float64)
    w = torch.exp(-0.5 * z ** 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    w[0] = w[0] / 2
    w[-1] = w[-1] / 2
    return (w * g(mean + std * z)).sum()


# %% kind="answer" grade_id="q2_js_divergence"
def js_divergence(theta, theta0, eps):
    """JS(N(theta, eps^2), N(theta0, eps^2)) as a float64 0-d tensor, differentiable in theta."""
    ### BEGIN SOLUTION
    log_p = lambda t: normal_log_pdf(t, theta, eps)    # p_g
    log_q = lambda t: normal_log_pdf(t, theta0, eps)   # p_data
    log_m = lambda t: torch.logaddexp(log_p(t), log_q(t)) - math.log(2.0)
    kl_pm = gaussian_expectation(lambda t: log_p(t) - log_m(t), theta, eps)
    kl_qm = gaussian_expectation(lambda t: log_q(t) - log_m(t), theta0, eps)
    return 0.5 * kl_pm + 0.5 * kl_qm
    ### END SOLUTION


# %% kind="tests" grade_id="q2_js_divergence_tests"
from dgmlab.probes import check
check("q2_js_divergence_tests", js_divergence)


# %% kind="answer" grade_id="q2_w1_distance"
def w1_distance(theta, theta0, eps):
    """W1(N(theta, eps^2), N(theta0, eps^2)) as a 0-d tensor, differentiable in theta."""
    ### BEGIN SOLUTION
    return torch.abs(torch.as_tensor(theta) - torch.as_tensor(theta0))
    ### END SOLUTION


# %% kind="tests" grade_id="q2_w1_distance_tests"
from dgmlab.probes import check
check("q2_w1_distance_tests", w1_distance)

# %% uses_answers=true
if not runtime.is_grading():
    small = 0.1
    grid = torch.linspace(-2, 2, 201, dtype=torch.float64)
    zero = torch.tensor(0.0, dtype=torch.float64)
    kl_v = [float(t ** 2 / (2 * small ** 2)) for t in grid]
    js_v = [js_divergence(t, zero, small).item() for t in grid]
    w1_v = [w1_distance(t, zero, small).item() for t in grid]
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    ax[0].plot(grid, kl_v, label=r"KL$(p_g\|p_{data})$")
    ax[0].set_xlabel(r"$\theta$"); ax[0].legend()
    ax[1].plot(grid, js_v, label="JS"); ax[1].plot(grid, w1_v, label="$W_1$")
    ax[1].set_xlabel(r"$\theta$"); ax[1].legend()
    fig.suptitle(rf"$N(\theta, \epsilon^2)$ vs $N(0, \epsilon^2)$ with $\epsilon$ = {small}")
    Path("figures").mkdir(exist_ok=True)
    fig.savefig("figures/divergences.png", dpi=100, bbox_inches="tight")
    dgmlab.workspace.saved("figures/divergences.png", what="figure saved")
    plt.show()

# %% [markdown]
# **(d), written (6 points).** Compare KL, JS and $W_1$ in the regime of (b) (and the plot above): their
# values, their gradients with respect to $\theta$, and what each would give a generator trained to minimise it.

# %% [markdown] kind="written" grade_id="q2d" points=6
# As $\epsilon\to0$ with $\theta\ne\theta_0$:
# - **KL** $= (\theta-\theta_0)^2/2\epsilon^2 \to \infty$, gradient $(\theta-\theta_0)/\epsilon^2 \to \pm\infty$: it
#   does point the right way but explodes, and for truly disjoint supports it is infinite everywhere except at
#   $\theta=\theta_0$.
# - **JS** $\to \log 2$ for every $\theta\ne\theta_0$ (the distributions are essentially disjoint, so $m$ is
#   half of each), and $\partial JS/\partial\theta\to0$: a flat plateau with no signal about which way to move
#   (vanishing gradients of the original GAN).
# - **$W_1$** $= |\theta-\theta_0|$ for every $\epsilon$: continuous, it shrinks as the generator gets closer, and
#   its gradient is $\pm1$, pointing towards $\theta_0$ with a constant, usable size no matter how concentrated
#   the distributions are.
# So KL and JS are useless (infinite or constant) for distributions on low-dimensional, non-overlapping
# supports, which is the typical situation for images, while $W_1$ metrises closeness of distributions and
# gives a gradient everywhere: the motivation of the Wasserstein GAN.
# Marking: KL (2), JS value and gradient (2), W1 value and gradient and the conclusion (2).
