# %% [markdown]
# ## Q2. Volume-preserving flows are not universal (35 points)
#
# A flow is **volume-preserving** (VP) when $|\det \partial f_\theta/\partial z| = 1$: it moves probability mass
# but never compresses it. More generally, let $|\det \partial f_\theta/\partial z| = c > 0$ be a constant (one
# per flow). A family is a *universal approximator* if every target density is a limit of its members. We show
# that constant-determinant flows with base $\mathcal N(0, I_2)$ are **not** universal under KL, with Pinsker's
# inequality
# $$
# \delta(p, q) = \sup_{E} |p(E) - q(E)| \;\le\; \sqrt{\tfrac12 D_{\mathrm{KL}}(p\,\|\,q)}.
# $$
#
# **The target.** With $r = \max(|x|, |y|)$ and a slope $k > 0$,
# $$
# p(x, y) = \begin{cases}
# 0.9 & r \le 0.5 \quad\text{(the square } B = [-0.5, 0.5]^2\text{)},\\
# 0.9 - k\,(r - 0.5) & 0.5 \le r \le 0.5 + 0.9/k,\\
# 0 & \text{otherwise.}
# \end{cases}
# $$
# (The original handout writes the outer edge as $0.9k + 0.5$; we read it as $0.5 + 0.9/k$, where $p$ reaches 0.)
# Throughout, $\varepsilon > 0$, $A = \{x : p_\theta(x) \ge 0.9 - \varepsilon\}$ and $\bar A = B \setminus A$.

# %% [markdown]
# ### Q2.1 (7 points): the target density in torch
#
# Mind the signs of $x$ and $y$, and the region beyond the frame.

# %% kind="answer" grade_id="q2_counter_density"
def p_counter(xy, k):
    """The target density p(x, y) with slope k.

    xy: float tensor (N, 2) of points (x, y); k: positive float.
    Returns a float tensor (N,) (same dtype as xy), the density at each point.
    """
    ### BEGIN SOLUTION
    r = xy.abs().amax(dim=1)
    frame = torch.clamp(0.9 - k * (r - 0.5), min=0.0)
    return torch.where(r <= 0.5, torch.full_like(r, 0.9), frame)
    ### END SOLUTION


# %% kind="tests" grade_id="q2_counter_density_tests"
from dgmlab.probes import check
check("q2_counter_density_tests", p_counter)

# %% [markdown]
# ### Q2.2 (5 points): the normalising slope $k$
#
# Find the $k > 0$ for which $p$ integrates to 1, exactly with sympy if you can (a float accurate to about
# six digits is accepted). Hint: $p$ depends only on $r$, and $\{r = s\}$ is a square of side $2s$.

# %% kind="answer" grade_id="q2_normalising_k" check_output=true
# k_value: the normalising slope, a sympy number (or a float accurate to ~1e-6)
### BEGIN SOLUTION
k_sym, s_sym = sp.symbols("k s", positive=True)
frame_mass = sp.integrate((sp.Rational(9, 10) - k_sym * (s_sym - sp.Rational(1, 2))) * 8 * s_sym,
                          (s_sym, sp.Rational(1, 2), sp.Rational(1, 2) + sp.Rational(9, 10) / k_sym))
k_value = sp.solve(sp.Eq(sp.Rational(9, 10) + frame_mass, 1), k_sym)[0]
### END SOLUTION
print("k_value =", k_value)

# %% kind="tests" grade_id="q2_normalising_k_tests"
from dgmlab.probes import check
check("q2_normalising_k_tests", k_value)

# %% [markdown]
# ### Q2.3 (20 points, written): the proof
#
# $p_\theta$ is any flow with base $\mathcal N(0, I_2)$ and $|\det \partial f_\theta/\partial z| = c$.
#
# **(a) (5 points)** Suppose $A = \emptyset$. Show $|p_\theta(\bar A) - p(\bar A)| > 0$ and bound
# $D_{\mathrm{KL}}(p\,\|\,p_\theta)$ below by a positive number. For which $\varepsilon$ and $c$ is $A$ necessarily empty?
#
# **(b) (6 points)** Describe $C = f_\theta^{-1}(A)$ (the base is a standard normal, so $C$ is a disc), relate its
# area to that of $A$, compute the area of $C$, and bound $|A|$ independently of $c$.
#
# **(c) (6 points)** Suppose $A \neq \emptyset$. Find an event $E$ with $|p_\theta(E) - p(E)| > 0$ and a positive
# lower bound on the KL for some $\varepsilon$.
#
# **(d) (3 points)** Why do (a)-(c) show these flows are not universal approximators under KL?

# %% [markdown] kind="written" grade_id="q2_written" points=20
# With $|\det \partial f_\theta/\partial z| = c$, $p_\theta(x) = \mathcal N\big(f_\theta^{-1}(x); 0, I_2\big)/c$, so
# $p_\theta(x) \le \frac{1}{2\pi c}$ for every $x$. Also $p = 0.9$ on $B$, $|B| = 1$, so $p(B) = 0.9$.
#
# **(a)** If $A = \emptyset$ then $p_\theta < 0.9 - \varepsilon$ everywhere and $\bar A = B$. Hence
# $p_\theta(\bar A) = \int_B p_\theta \le 0.9 - \varepsilon$ while $p(\bar A) = 0.9$, so
# $\delta(p, p_\theta) \ge |p(\bar A) - p_\theta(\bar A)| \ge \varepsilon > 0$ and, by Pinsker,
# $D_{\mathrm{KL}}(p\,\|\,p_\theta) \ge 2\delta^2 \ge 2\varepsilon^2 > 0$. $A$ is empty whenever
# $0.9 - \varepsilon > \frac{1}{2\pi c}$, i.e. $\varepsilon < 0.9 - \frac{1}{2\pi c}$, which needs $c > \frac{1}{1.8\pi} \approx 0.18$.
# For $c = 1$ every $\varepsilon < 0.9 - \frac1{2\pi} \approx 0.741$ works and gives $D_{\mathrm{KL}} \ge 2(0.9 - \tfrac1{2\pi})^2 \approx 1.098$
# nats (Q2.4). For small $c$ the flow can exceed $0.9$, $A$ need not be empty, and (b)-(c) are needed.
# **Points (a), 5:** $E = \bar A = B$ (1), the two masses (1), Pinsker solved for KL (1), the range of
# $\varepsilon$ (1) and its dependence on $c$ (1).
#
# **(b)** $C = f_\theta^{-1}(A) = \{z : \mathcal N(z) \ge c\,(0.9-\varepsilon)\}$ because $p_\theta(f_\theta(z)) = \mathcal N(z)/c$.
# By the change of variables, $|A| = \int_C |\det \partial f_\theta/\partial z|\,dz = c\,|C|$. $\mathcal N(z) = \tfrac1{2\pi}e^{-\|z\|^2/2}$,
# so $C$ is the disc $\|z\|^2 \le 2\ln\frac{1}{2\pi c(0.9-\varepsilon)}$ when $2\pi c(0.9-\varepsilon) \le 1$ (else empty), and
# $|A| = c\,|C| = 2\pi c\,\ln\frac{1}{2\pi c(0.9-\varepsilon)} = \frac{u\ln(1/u)}{0.9-\varepsilon}$ with $u = 2\pi c(0.9-\varepsilon) \in (0, 1]$.
# Since $u\ln(1/u) \le 1/e$, $|A| \le \frac{1}{e\,(0.9-\varepsilon)}$ for every $c$. (The cruder
# $1 \ge p_\theta(A) \ge (0.9-\varepsilon)|A|$, i.e. $|A| \le \frac1{0.9-\varepsilon}$, is too weak for (c): it exceeds 1.)
# **Points (b), 6:** $C$ as a super-level set of the Gaussian (1), $|A| = c\,|C|$ by change of variables (2), $C$ a
# disc and its area (1), a bound on $|A|$ free of $c$ that is below 1 for some $\varepsilon$ (2; the cruder bound
# earns 1).
#
# **(c)** Take $E = \bar A = B \setminus A$: there $p = 0.9$ and $p_\theta < 0.9-\varepsilon$, so
# $p(\bar A) - p_\theta(\bar A) \ge \varepsilon\,|\bar A| \ge \varepsilon\,(1 - |A|) \ge \varepsilon\big(1 - \frac{1}{e(0.9-\varepsilon)}\big)$,
# positive for $\varepsilon < 0.9 - 1/e \approx 0.532$. With $\varepsilon = 0.3$: $\delta \ge 0.3\,(1 - \frac{1}{0.6e}) \approx 0.116$ and
# $D_{\mathrm{KL}} \ge 2\delta^2 \approx 0.027$, whatever $c$ and $\theta$. This bound also covers $A = \emptyset$ (then $|A| = 0$).
# For $c = 1$, $E = B$ alone already works, since $A = \emptyset$ for $\varepsilon < 0.741$; the general case needs $\bar A$.
# **Points (c), 6:** the event $\bar A$ (1), $p - p_\theta \ge \varepsilon$ on it (1), $|\bar A| \ge 1 - |A|$ with (b)'s bound
# (2), a valid $\varepsilon$ (1), Pinsker to a number (1). $E = B$ for $c = 1$ alone earns 3.
#
# **(d)** For $\varepsilon = 0.3$, (a) and (c) give $D_{\mathrm{KL}}(p\,\|\,p_\theta) \ge 0.027 > 0$ for every constant-determinant
# flow, so no sequence $p_{\theta_n}$ in the family has $D_{\mathrm{KL}}(p\,\|\,p_{\theta_n}) \to 0$: the family is not universal.
# The reason: such a flow rearranges the Gaussian's mass and rescales all areas by one factor, so its density
# has the Gaussian's profile of values, which cannot be flat at $0.9$ over the whole unit square $B$.
# **Points (d), 3:** a KL bound uniform over the family (1), so no sequence converges (1), with the reason (1).


# %% [markdown]
# ### Q2.4 (1 + 2 points): how far can a VP flow get?
#
# What the proof gives for $c = 1$, as numbers: `p_B` $= p(B)$; `max_density_vp`, the largest value any VP flow
# density can take; `tv_lower_bound`, the lower bound on $\delta(p, p_\theta)$ valid for every VP flow that the square
# $B$ alone gives (its mass under $p$ less the most mass a VP flow density can put on it; sharper bounds exist, this
# is the one asked); `kl_lower_bound`, the lower bound on $D_{\mathrm{KL}}(p\,\|\,p_\theta)$ that Pinsker's inequality
# gives from it.

# %% kind="answer" grade_id="q2_vp_bound" check_output=true
# p_B, max_density_vp, tv_lower_bound, kl_lower_bound: sympy numbers or floats
### BEGIN SOLUTION
p_B = sp.Rational(9, 10)
max_density_vp = 1 / (2 * sp.pi)
tv_lower_bound = p_B - max_density_vp * 1
kl_lower_bound = 2 * tv_lower_bound ** 2
### END SOLUTION
print(f"p_B = {p_B}, max density = {max_density_vp}, TV >= {tv_lower_bound}, KL >= {kl_lower_bound}")

# %% kind="tests" grade_id="q2_vp_bound_tests"
from dgmlab.probes import check
check("q2_vp_bound_tests", p_B, max_density_vp)

# %% kind="tests" grade_id="q2_pinsker_tests"
from dgmlab.probes import check
check("q2_pinsker_tests", tv_lower_bound, kl_lower_bound)

# %% [markdown]
# ### Seeing the gap (not graded)
#
# Additive coupling layers (NICE) shift one coordinate by a network of the other, so $|\det| = 1$. Fitted to
# $p$ by maximum likelihood, the learned density should stay below your `max_density_vp` and the Monte Carlo
# KL above your bound.

# %%
def sample_counter(n, k, generator=None):
    """n samples of p_counter(., k) by rejection from the bounding square: float64 tensor (n, 2)."""
    edge = 0.5 + 0.9 / k
    out = []
    while sum(len(o) for o in out) < n:
        cand = (torch.rand(2 * n, 2, generator=generator) * 2 - 1) * edge
        keep = torch.rand(2 * n, generator=generator) * 0.9 < p_counter(cand, k)
        out.append(cand[keep])
    return torch.cat(out)[:n]


class AdditiveCoupling(torch.nn.Module):
    """x_b = z_b + m(z_a) on one coordinate, the other unchanged: |det J| = 1 exactly."""

    def __init__(self, shift_second, hidden=64):
        super().__init__()
        self.shift_second = shift_second
        self.m = torch.nn.Sequential(torch.nn.Linear(1, hidden), torch.nn.Tanh(),
                                     torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                                     torch.nn.Linear(hidden, 1))

    def inverse(self, xb):
        """(N, 2) data-side points -> (N, 2) latent-side points."""
        a, b = (xb[:, :1], xb[:, 1:]) if self.shift_second else (xb[:, 1:], xb[:, :1])
        b = b - self.m(a)
        return torch.cat([a, b], 1) if self.shift_second else torch.cat([b, a], 1)


class VolumePreservingFlow(torch.nn.Module):
    def __init__(self, n_layers=8, hidden=64):
        super().__init__()
        self.layers = torch.nn.ModuleList([AdditiveCoupling(i % 2 == 0, hidden) for i in range(n_layers)])

    def log_prob(self, xb):
        """log p_theta(x) = log N(f^{-1}(x)); the log-determinant is exactly 0. (N, 2) -> (N,)."""
        zb = xb
        for layer in reversed(self.layers):
            zb = layer.inverse(zb)
        return standard_normal_log_prob(zb)


# %% uses_answers=true
if not dgmlab.runtime.is_grading():
    dgmlab.runtime.seed_everything(0)
    K = float(k_value)
    steps = dgmlab.runtime.pick(full=3000, fast=40)
    flow = VolumePreservingFlow(n_layers=dgmlab.runtime.pick(full=8, fast=4))
    opt = torch.optim.Adam(flow.parameters(), lr=2e-3)
    losses = []
    for step in tqdm(range(steps), desc="VP flow"):
        batch = sample_counter(512, K)
        loss = -flow.log_prob(batch).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())

    g = torch.linspace(-0.8, 0.8, 161)
    grid = torch.cartesian_prod(g, g)
    with torch.no_grad():
        learned = flow.log_prob(grid).exp().reshape(161, 161)
        target = p_counter(grid, K).reshape(161, 161)
        test = sample_counter(20_000, K)
        kl_mc = float((p_counter(test, K).log() - flow.log_prob(test)).mean())
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, img, title in [(axes[0], target, "target p"), (axes[1], learned, "VP flow p_theta")]:
        im = ax.imshow(img.T.numpy(), origin="lower", extent=(-0.8, 0.8, -0.8, 0.8), vmin=0, vmax=0.9)
        ax.set_title(title)
    fig.colorbar(im, ax=axes[:2].tolist())
    axes[2].plot(losses)
    axes[2].set_xlabel("step")
    axes[2].set_ylabel("negative log-likelihood")
    FIGURES.mkdir(exist_ok=True)
    fig.savefig(FIGURES / "vp_flow_vs_target.png", dpi=100, bbox_inches="tight")
    dgmlab.workspace.saved(FIGURES / "vp_flow_vs_target.png", what="figure saved")
    plt.show()
    # whether the learned density stays under your ceiling, as the text above says it should
    if bool(learned.max() <= float(max_density_vp) * (1 + 1e-6)):
        print("the learned density stays at or below your max_density_vp everywhere on the grid")
    else:
        print("the learned density goes above your max_density_vp on the grid, which no VP flow's density can: "
              "max_density_vp is too small")
    print(f"Monte Carlo KL(p || p_theta) = {kl_mc:.3f} (your bound {float(kl_lower_bound):.3f})")
