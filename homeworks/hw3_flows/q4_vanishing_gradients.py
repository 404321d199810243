# %% [markdown]
# ## Q4. A perfect discriminator makes the generator's gradient vanish (20 points)
#
# Write $D_\phi(x) = \sigma\big(h_\phi(x)\big)$ with logits $h_\phi$. In the minimax game the generator minimises the
# *saturating* loss
# $$
# L_G(\theta;\phi) = \mathbb E_{z\sim\mathcal N(0, I)}\Big[\log\Big(1 - \sigma\big(h_\phi(G_\theta(z))\big)\Big)\Big].
# $$
# A perfect discriminator has $D_\phi(G_\theta(z)) \to 0$, i.e. $h_\phi(G_\theta(z)) \to -\infty$. We show that
# $\nabla_\theta L_G \to 0$ then, unlike for the *non-saturating* loss $-\mathbb E_z\big[\log\sigma(h_\phi(G_\theta(z)))\big]$.
#
# ### Q4.1 (4 + 3 points): the derivative with respect to the logit
#
# `d_saturating` $= \frac{d}{dh}\log(1 - \sigma(h))$ and `d_non_saturating` $= \frac{d}{dh}\big(-\log\sigma(h)\big)$, each with its
# limit in the perfect-discriminator regime (`sp.limit`, `sp.oo`).

# %% locked=true grade_id="q4_symbols"
h = sp.symbols("h", real=True)
sigma = 1 / (1 + sp.exp(-h))

# %% kind="answer" grade_id="q4_logit_derivatives" check_output=true
# d_saturating, d_non_saturating: sympy expressions in h;  limit_saturating, limit_non_saturating: sympy numbers
### BEGIN SOLUTION
d_saturating = sp.diff(sp.log(1 - sigma), h)
limit_saturating = sp.limit(d_saturating, h, -sp.oo)
d_non_saturating = sp.diff(-sp.log(sigma), h)
limit_non_saturating = sp.limit(d_non_saturating, h, -sp.oo)
### END SOLUTION
print(f"limits as h -> -oo: saturating {limit_saturating}, non-saturating {limit_non_saturating}")

# %% kind="tests" grade_id="q4_saturating_tests"
from dgmlab.probes import check
check("q4_saturating_tests", d_saturating, limit_saturating)

# %% kind="tests" grade_id="q4_non_saturating_tests"
from dgmlab.probes import check
check("q4_non_saturating_tests", d_non_saturating, limit_non_saturating)

# %% [markdown]
# ### Q4.2 (3 points): the two generator losses in torch
#
# Each maps the logits of a batch of fakes to the mean loss. A confident discriminator's logits are far from 0, so both must
# give the loss's value for logits of any size (try $\pm 1000$), neither infinite nor clamped. Any torch function may be
# used; `torch.nn.functional.logsigmoid` keeps them stable.

# %% kind="answer" grade_id="q4_generator_losses"
def saturating_loss(logits):
    """mean of log(1 - sigmoid(logits)). logits: float tensor (N,) -> 0-d tensor (differentiable)."""
    ### BEGIN SOLUTION
    return torch.nn.functional.logsigmoid(-logits).mean()
    ### END SOLUTION


def non_saturating_loss(logits):
    """mean of -log(sigmoid(logits)). logits: float tensor (N,) -> 0-d tensor (differentiable)."""
    ### BEGIN SOLUTION
    return -torch.nn.functional.logsigmoid(logits).mean()
    ### END SOLUTION


# %% kind="tests" grade_id="q4_generator_losses_tests"
from dgmlab.probes import check
check("q4_generator_losses_tests", saturating_loss, non_saturating_loss)

# %% [markdown]
# ### Q4.3 (5 points): the generator's gradient as the discriminator gets perfect
#
# The norm of the gradient over all the generator's parameters, the same however often it is called. Below, a
# linear discriminator $h(x) = w^\top x + c$ grows more certain that fakes are fake as its bias $c$ drops.

# %% kind="answer" grade_id="q4_grad_norm"
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    """||grad_theta loss_fn(discriminator_logits(generator(z)))||_2 over generator.parameters().

    generator: torch.nn.Module mapping (N, d_z) -> (N, d_x); discriminator_logits: callable (N, d_x) -> (N,);
    z: float64 tensor (N, d_z); loss_fn: callable (N,) logits -> 0-d tensor. Returns a Python float.
    """
    ### BEGIN SOLUTION
    params = [p for p in generator.parameters() if p.requires_grad]
    loss = loss_fn(discriminator_logits(generator(z)))
    grads = torch.autograd.grad(loss, params)
    return float(torch.sqrt(sum((g ** 2).sum() for g in grads)))
    ### END SOLUTION


# %% locked=true grade_id="q4_setup"
W_DISC = torch.tensor([1.5, -0.5])
OFFSETS = [0.0, -2.0, -4.0, -8.0, -12.0, -16.0]  # lower bias = more certain that fakes are fake


def make_discriminator(c):
    """A fixed linear discriminator h(x) = w.x + c on 2-D samples: (N, 2) -> (N,) logits."""
    return lambda xb: xb @ W_DISC + c


def make_generator(seed=0):
    """A tiny generator G_theta(z) = A z + b on 2-D noise (float64)."""
    torch.manual_seed(seed)
    return torch.nn.Linear(2, 2)


# %% kind="tests" grade_id="q4_grad_norm_tests"
from dgmlab.probes import check
check("q4_grad_norm_tests", generator_grad_norm)

# %% [markdown]
# Both gradient norms, with your functions, as the discriminator grows certain; Q4.4 asks why.

# %% uses_answers=true
if not dgmlab.runtime.is_grading():
    dgmlab.runtime.seed_everything(0)
    gen, zz = make_generator(0), torch.randn(256, 2)
    offsets = np.linspace(0, -16, 17)
    sat = [generator_grad_norm(gen, make_discriminator(c), zz, saturating_loss) for c in offsets]
    ns = [generator_grad_norm(gen, make_discriminator(c), zz, non_saturating_loss) for c in offsets]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogy(offsets, sat, "o-", label="saturating: log(1 - D(G(z)))")
    ax.semilogy(offsets, ns, "s-", label="non-saturating: -log D(G(z))")
    ax.invert_xaxis()
    ax.set_xlabel("discriminator bias c (more negative = more certain fakes are fake)")
    ax.set_ylabel("||grad_theta L_G||")
    ax.legend()
    ax.grid(alpha=0.3)
    FIGURES.mkdir(exist_ok=True)
    fig.savefig(FIGURES / "vanishing_gradient.png", dpi=100, bbox_inches="tight")
    dgmlab.workspace.saved(FIGURES / "vanishing_gradient.png", what="figure saved")
    plt.show()

# %% [markdown]
# ### Q4.4 (5 points, written): why the gradient vanishes
#
# Write $\nabla_\theta L_G$ with the chain rule in terms of $\sigma(h_\phi(G_\theta(z)))$ and show it tends to $0$ for
# a perfect discriminator, stating your assumptions on $\nabla_x h_\phi$ and $\partial G_\theta/\partial\theta$. Why does
# the non-saturating loss keep a gradient?

# %% [markdown] kind="written" grade_id="q4_written" points=5
# Let $h = h_\phi(G_\theta(z))$. Since $\frac{d}{dh}\log(1-\sigma(h)) = -\sigma(h)$, the chain rule gives
# $$
# \nabla_\theta L_G = \mathbb E_z\Big[-\sigma(h)\;\big(\partial_\theta G_\theta(z)\big)^{\!\top}\nabla_x h_\phi\big(G_\theta(z)\big)\Big].
# $$
# A perfect discriminator has $D_\phi(G_\theta(z)) = \sigma(h) \to 0$, i.e. $h \to -\infty$, for (almost) every $z$.
# If $\|\nabla_x h_\phi\|\,\|\partial_\theta G_\theta\|$ stays bounded (or even grows more slowly than $e^{-h}$,
# e.g. polynomially, as when the logits are scaled up), then the integrand is bounded in norm by
# $\sigma(h)\cdot C \approx e^{h} C \to 0$, and by dominated convergence $\nabla_\theta L_G \to 0$: the generator
# receives no signal exactly when it is worst. The non-saturating loss $-\mathbb E_z[\log\sigma(h)]$ pushes the
# generator the same way (both losses decrease as $h$ grows), but $\frac{d}{dh}(-\log\sigma(h)) = -(1-\sigma(h)) \to -1$,
# so its gradient is
# $-\mathbb E_z\big[(1-\sigma(h))(\partial_\theta G)^\top\nabla_x h\big] \approx -\mathbb E_z\big[(\partial_\theta G)^\top\nabla_x h\big]$,
# which does not vanish as the discriminator becomes confident. The torch experiment shows both: the saturating norm
# decays like $e^{c}$ as the bias $c$ decreases, the non-saturating norm levels off.
#
# **Points (5).** The chain rule with the factor $-\sigma(h)$ (2), the assumption that keeps the other factors
# bounded and the limit (1), the non-saturating factor $-(1-\sigma(h)) \to -1$ (1), that it does not vanish, tied
# to the plot or the argument (1).
