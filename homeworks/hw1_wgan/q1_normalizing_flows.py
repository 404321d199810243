# %% [markdown]
# ## Q1. Normalizing flows (20 points)
#
# A normalizing flow models data $x \in \mathbb{R}^D$ as $x = f_\theta(z)$, where $z$ has a
# simple base density $p_Z$ (e.g. a standard Gaussian) and $f_\theta$ is a learned map.
# Answer in a few sentences each, using formulas where they help.

# %% [markdown]
# **(a) (4 points)** What objective is a flow trained with? Write it for a data set
# $\{x^{(i)}\}_{i=1}^N$ and say where the Jacobian enters.

# %% [markdown] kind="written" grade_id="q1a" points=4
# Flows are trained by maximum likelihood: maximise $\frac1N\sum_i \log p_\theta(x^{(i)})$ (equivalently
# minimise the negative log-likelihood, i.e. the forward KL from the data distribution to the model).
# The density is exact by the change of variables formula with $z = f_\theta^{-1}(x)$:
# $\log p_\theta(x) = \log p_Z(f_\theta^{-1}(x)) + \log\left|\det \frac{\partial f_\theta^{-1}(x)}{\partial x}\right|
# = \log p_Z(z) - \log\left|\det \frac{\partial f_\theta(z)}{\partial z}\right|$.
# The first term pulls the latent codes towards high base density; the log-determinant term accounts for
# how $f_\theta$ stretches or compresses volume (without it the model could collapse everything to $z=0$).
# Marking: maximum likelihood / NLL (2), the change-of-variables formula with the correct sign of the
# log-determinant (2).

# %% [markdown]
# **(b) (4 points)** How do you draw a sample from a trained flow?

# %% [markdown] kind="written" grade_id="q1b" points=4
# Draw $z \sim p_Z$ (e.g. $z \sim \mathcal N(0, I)$, the same dimension as $x$) and return $x = f_\theta(z)$:
# one forward pass, no iteration and no rejection. If the flow is a composition
# $f = f_K \circ \dots \circ f_1$, apply $f_1$ first. (A temperature $z \sim \mathcal N(0, T^2 I)$ with $T<1$ is a
# common trick for cleaner samples.) Marking: sample from the base (2), push through $f_\theta$, not its
# inverse (2).

# %% [markdown]
# **(c) (4 points)** Which properties must $f_\theta$ have for a flow to be practical, and why
# is each needed?

# %% [markdown] kind="written" grade_id="q1c" points=4
# 1. **Invertible (bijective)**, so that every $x$ has exactly one $z = f^{-1}(x)$ and the change of variables
#    formula holds; $x$ and $z$ must therefore have the same dimension.
# 2. **Differentiable, with a differentiable inverse** (a diffeomorphism), so the Jacobian exists and we can
#    train by gradient descent.
# 3. **A cheap log-determinant of the Jacobian** (e.g. triangular Jacobians as in coupling or autoregressive
#    layers: $O(D)$ instead of the $O(D^3)$ of a general determinant).
# 4. **Efficient to evaluate in the direction needed**: the inverse for likelihood training, the forward map
#    for sampling (ideally both).
# 5. **Expressive enough**, usually by composing many simple invertible layers.
# Marking: invertible (1), differentiable (1), tractable Jacobian determinant (1), efficient
# inverse/forward evaluation or expressivity through composition (1).

# %% [markdown]
# ### Q1 in code
#
# To exercise these ideas you implement the two operations every flow library provides.
# A flow here is any object with three methods, for a batch of $N$ points in $D$ dimensions:
#
# - `flow.forward(z)`: $x = f(z)$, shape `(N, D)` to `(N, D)`;
# - `flow.inverse(x)`: $z = f^{-1}(x)$, shape `(N, D)` to `(N, D)`;
# - `flow.log_abs_det_jacobian(z)`: $\log\left|\det \partial f(z) / \partial z\right|$ at each point, shape `(N,)`.
#
# The base density is a `torch.distributions` object with event shape `(D,)`, so
# `base.log_prob(z)` has shape `(N,)` and `base.sample((n,))` has shape `(n, D)`.
# Two example flows follow (read them: (d) and (e) work with any flow of this form, these included).

# %% locked=true grade_id="flow_classes"
class AffineFlow:
    """x = f(z) = z @ A.T + b with A (D, D) and b (D,). Invertible iff det A != 0."""

    def __init__(self, A, b):
        self.A, self.b = torch.as_tensor(A), torch.as_tensor(b)

    def forward(self, z):
        return z @ self.A.T + self.b

    def inverse(self, x):
        # the pseudo-inverse, so a singular A still returns *something*
        return (x - self.b) @ torch.linalg.pinv(self.A).T

    def log_abs_det_jacobian(self, z):
        return torch.linalg.slogdet(self.A)[1].expand(z.shape[0])


class ExpFlow:
    """x = f(z) = exp(z) elementwise: maps R^D onto the positive orthant."""

    def forward(self, z):
        return torch.exp(z)

    def inverse(self, x):
        return torch.log(x)

    def log_abs_det_jacobian(self, z):
        return z.sum(dim=-1)


def standard_normal(d, loc=0.0, scale=1.0):
    """A diagonal Gaussian base density on R^d (event shape (d,))."""
    return D.Independent(D.Normal(torch.full((d,), float(loc)), torch.full((d,), float(scale))), 1)


# %% [markdown]
# **(d) (5 points)** Implement `flow_log_prob(x, flow, base)`, the exact log-density of the
# flow at each row of `x`. The notebook's rule for maps that are not invertible: raise a
# `ValueError` when the round trip $f(f^{-1}(x))$ does not give back `x`
# (to within `1e-4` absolute and relative tolerance) or when the log-determinant is not finite.
# Keep everything in torch so gradients reach the flow's parameters.

# %% kind="answer" grade_id="q1_flow_log_prob"
def flow_log_prob(x, flow, base):
    """Log-density of the flow x = f(z), z ~ base, at each row of x.

    x: float tensor (N, D); flow: has forward / inverse / log_abs_det_jacobian (see above);
    base: torch.distributions.Distribution with event shape (D,).
    Returns a float tensor (N,). Raises ValueError if f is not invertible at x.
    """
    ### BEGIN SOLUTION
    z = flow.inverse(x)
    if not torch.allclose(flow.forward(z), x, rtol=1e-4, atol=1e-4):
        raise ValueError("the flow is not invertible at x: f(f^-1(x)) != x")
    log_det = flow.log_abs_det_jacobian(z)
    if not torch.isfinite(log_det).all():
        raise ValueError("the Jacobian of the flow is singular (log|det J| is not finite)")
    return base.log_prob(z) - log_det
    ### END SOLUTION


# %% kind="tests" grade_id="q1_flow_log_prob_tests"
from dgmlab.probes import check
check("q1_flow_log_prob_tests", flow_log_prob)


# %% [markdown]
# **(e) (3 points)** Implement `flow_sample(n, flow, base)`: draw `n` points from the flow.
# Use `base` for the noise (not `torch.randn`: the base need not be standard).

# %% kind="answer" grade_id="q1_flow_sample"
def flow_sample(n, flow, base):
    """n samples of x = f(z), z ~ base: a float tensor (n, D)."""
    ### BEGIN SOLUTION
    z = base.sample((n,))
    return flow.forward(z)
    ### END SOLUTION


# %% kind="tests" grade_id="q1_flow_sample_tests"
from dgmlab.probes import check
check("q1_flow_sample_tests", flow_sample)

