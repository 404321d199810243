# %% [markdown]
# ## Q1 (15 points): Classifying through a pretrained decoder
#
# Data $x$ carries a label $y$. We cannot encode $x$, but we own a pretrained **decoder**
# $F_\theta$ that turns a latent code $z$ into a data point $x = F_\theta(z)$, and we know the
# latent prior $P(z)$. To keep sums finite, $x$, $z$ and $y$ each take finitely many values,
# so the decoder is deterministic: $P(x \mid z) = \mathbb 1[F_\theta(z) = x]$.
#
# Two ways to build a classifier on top of the decoder:
#
# * **discriminative**: a model $P_w(y \mid z)$ that labels latent codes; Bayes' rule through the
#   decoder turns it into $Q_{w,\theta}(y \mid x)$;
# * **generative**: a model $P_w(z \mid y)$ of which codes each class produces; Bayes' rule gives
#   $Q'_{w,\theta}(y \mid x)$ (you will also need the class prior $P(y)$).
#
# The labelled data set is $\mathbb D = \{(x^j, y^j)\}_{j=1}^n$.
#
# **Written parts (9 points, 1.5 each)**, answered in the cells below:
#
# 1. Derive $Q_{w,\theta}(y \mid x)$ from $P_w(y \mid z)$, $P(z)$ and $F_\theta$.
# 2. Write, as an algorithm, how to train $P_w(y \mid z)$ on $\mathbb D$ with this formulation.
# 3. How does the cost of one training step compare with that of a plain classifier
#    $\tilde P_w(y \mid x)$ trained directly on $x$?
# 4. Derive $Q'_{w,\theta}(y \mid x)$ from $P_w(z \mid y)$, $P(y)$ and $F_\theta$.
# 5. Write the training loop of $P_w(z \mid y)$ on $\mathbb D$ as an algorithm.
# 6. Can the generative route $Q'$ have an advantage over the discriminative route $Q$? Explain.

# %% [markdown]
# **Q1.1 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q1_1" points=1.5
# The decoder gives $P(x \mid z) = \mathbb 1[F_\theta(z) = x]$, so by Bayes
# $P(z \mid x) = \dfrac{P(z)\,\mathbb 1[F_\theta(z)=x]}{\sum_{z'} P(z')\,\mathbb 1[F_\theta(z')=x]}$.
# Since $y$ depends on $x$ only through $z$ (the chain $y - z - x$),
# $$Q_{w,\theta}(y \mid x) = \sum_z P_w(y \mid z) P(z \mid x)
#   = \frac{\sum_{z:\,F_\theta(z)=x} P(z)\,P_w(y \mid z)}{\sum_{z:\,F_\theta(z)=x} P(z)}.$$
# Marks: posterior over $z$ via the indicator (0.5), marginalising $z$ (0.5), normalisation (0.5).

# %% [markdown]
# **Q1.2 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q1_2" points=1.5
# Empirical risk $\hat R(w) = -\frac1n \sum_j \log Q_{w,\theta}(y^j \mid x^j)$.
# Precompute for each distinct $x^j$ the set $\mathcal Z(x^j) = \{z : F_\theta(z) = x^j\}$ (one pass of
# the decoder over all $z$). Then repeat: draw a mini-batch; for each sample compute
# $Q(y^j \mid x^j)$ with the formula of part 1 restricted to $\mathcal Z(x^j)$; compute the mean
# negative log; backpropagate into $w$ only ($\theta$ frozen); take an optimiser step; stop when the
# validation risk stops improving. Marks: loss (0.5), decoder-based posterior (0.5), loop with updates of $w$ only (0.5).

# %% [markdown]
# **Q1.3 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q1_3" points=1.5
# A plain classifier evaluates $\tilde P_w(y \mid x)$ once per sample. The latent route needs
# $P_w(y \mid z)$ for **every** $z$ that decodes to $x$, i.e. finding those $z$ (a search over the whole,
# exponentially large latent set $|\mathcal Z| = \prod_\ell |\mathcal Z_\ell|$ unless cached) and
# one forward/backward pass of the classifier per such $z$. So one step costs roughly
# $|\{z : F_\theta(z)=x\}|$ times more (plus the decoder search), which is far more expensive.

# %% [markdown]
# **Q1.4 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q1_4" points=1.5
# $P_w(x \mid y) = \sum_z P(x \mid z) P_w(z \mid y) = \sum_{z:\,F_\theta(z)=x} P_w(z \mid y)$, and Bayes gives
# $$Q'_{w,\theta}(y \mid x) = \frac{P(y) \sum_{z:\,F_\theta(z)=x} P_w(z \mid y)}
#   {\sum_{y'} P(y') \sum_{z:\,F_\theta(z)=x} P_w(z \mid y')}.$$
# $P(y)$ can be estimated by the label frequencies in $\mathbb D$.

# %% [markdown]
# **Q1.5 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q1_5" points=1.5
# Maximum likelihood of the pairs: $\hat R(w) = -\frac1n\sum_j \log P_w(x^j \mid y^j)
# = -\frac1n \sum_j \log \sum_{z:\,F_\theta(z)=x^j} P_w(z \mid y^j)$ ($P(y)$ has no parameters; set it to
# the label frequencies). Loop: precompute $\mathcal Z(x^j)$; for each mini-batch sum $P_w(z \mid y^j)$ over
# $\mathcal Z(x^j)$, take the mean negative log, backpropagate into $w$, step; stop on validation
# likelihood. Classify new $x$ with part 4.

# %% [markdown]
# **Q1.6 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q1_6" points=1.5
# Yes. $P_w(z \mid y)$ models the data of each class, so it (i) can use unlabelled data too (through
# $P(x) = \sum_y P(y) P_w(x \mid y)$), (ii) tends to need fewer labelled samples when the model is
# right (generative classifiers converge faster, Ng & Jordan), (iii) can generate samples of a class
# through $F_\theta$ and detect inputs with low $P_w(x)$, and (iv) the class prior can be changed
# without retraining. The price: it spends capacity on modelling $z$ and is worse asymptotically when the
# model is misspecified; the discriminative route targets the decision directly.

# %% [markdown]
# ### Q1 companion (6 points, autograded): a small discrete world
#
# Here everything is a finite table, so the formulas of Q1.1 and Q1.4 can be computed exactly.
# Latent codes are $z \in \{0, \dots, K-1\}$, data points $x \in \{0, \dots, X-1\}$, labels
# $y \in \{0, \dots, C-1\}$; the decoder is an integer table `F` with `F[z]` $= F_\theta(z)$.
# Some $x$ may be the image of no $z$: the model gives them probability zero and the posterior is
# undefined; your functions must then return the uniform distribution $1/C$ (and never crash or
# return NaN). Work with tensors (no Python loops needed) and keep the result differentiable, since
# the training steps below backpropagate through it.

# %% [markdown]
# An example world to try your functions on.

# %% locked=true grade_id="q1_world"
F_table = torch.tensor([0, 1, 1, 2, 0, 2])          # K = 6 latents decode to X = 4 data points; none gives x = 3
prior_z = torch.tensor([0.1, 0.2, 0.1, 0.3, 0.2, 0.1])
p_y_given_z = torch.softmax(torch.randn(6, 3), dim=1)   # C = 3 labels
p_z_given_y = torch.softmax(torch.randn(3, 6), dim=1)
prior_y = torch.tensor([0.5, 0.3, 0.2])
x_example = torch.tensor([0, 1, 2, 3])


# %% [markdown]
# Compute $Q(y \mid x)$ of Q1.1 for each data index in `x`.

# %% kind="answer" grade_id="q1_discriminative"
def discriminative_posterior(p_y_given_z, F, prior_z, x):
    """Q(y|x) of the latent discriminative classifier, by Bayes' rule through the decoder.

    p_y_given_z: (K, C) float tensor, row z holds P_w(y | z) (rows sum to 1).
    F:           (K,) int64 tensor, F[z] is the index of the data point latent z decodes to.
    prior_z:     (K,) float tensor, the known latent prior P(z).
    x:           (N,) int64 tensor of data indices.
    Returns (N, C) tensor of p_y_given_z's dtype, row n = Q(. | x_n), differentiable
    with respect to p_y_given_z. If no latent decodes to x_n, row n is uniform (1/C).
    """
    ### BEGIN SOLUTION
    decodes = (F[None, :] == x[:, None]).to(p_y_given_z.dtype)      # (N, K): P(x_n | z)
    joint = decodes * prior_z.to(p_y_given_z.dtype)                  # (N, K): P(x_n, z)
    evidence = joint.sum(dim=1, keepdim=True)                        # (N, 1): P(x_n)
    unnormalised = joint @ p_y_given_z                               # (N, C)
    C = p_y_given_z.shape[1]
    safe = evidence.clamp_min(torch.finfo(p_y_given_z.dtype).tiny)
    return torch.where(evidence > 0, unnormalised / safe, torch.full_like(unnormalised, 1.0 / C))
    ### END SOLUTION


# %% kind="tests" grade_id="q1_discriminative_tests" points=2
from dgmlab.probes import check
check("q1_discriminative_tests", discriminative_posterior)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points

def _brute(pyz, Fz, pz, x):
    K, C = pyz.shape
    out = torch.zeros(len(x), C, dtype=torch.float64)
    for n, xn in enumerate(x.tolist()):
        zs = [z for z in range(K) if int(Fz[z]) == xn]
        if not zs:
            out[n] = 1.0 / C
            continue
        ev = sum(float(pz[z]) for z in zs)
        for c in range(C):
            out[n, c] = sum(float(pz[z]) * float(pyz[z, c]) for z in zs) / ev
    return out


@points(0.75)
def test_matches_enumeration():
    assert len(random_worlds) == len(inputs.worlds), "discriminative_posterior did not answer on every world"
    for got, w in zip(random_worlds, inputs.worlds):
        checks.assert_close(got, _brute(w["probs"], w["F"], w["prior"], w["x"]), rtol=1e-7, atol=1e-9,
                            name="Q(y|x) on a random discrete world")


@points(0.25)
def test_unreachable_x_is_uniform():
    assert torch.isfinite(unreachable).all(), "Q(y|x) has NaN or inf for an x that no latent decodes to"
    checks.assert_close(unreachable[0], torch.full((3,), 1 / 3), name="Q(y|x) for an x no latent decodes to")


@points(0.25)
def test_is_differentiable():
    assert grad_total is not None and grad_total > 0, "Q(y|x) must be differentiable in P_w(y|z)"
### END HIDDEN TESTS


# %% [markdown]
# Compute $Q'(y \mid x)$ of Q1.4 for each data index in `x`.

# %% kind="answer" grade_id="q1_generative"
def generative_posterior(p_z_given_y, F, prior_y, x):
    """Q'(y|x) of the latent generative classifier, by Bayes' rule through the decoder.

    p_z_given_y: (C, K) float tensor, row y holds P_w(z | y) (rows sum to 1).
    F:           (K,) int64 tensor, F[z] is the index of the data point latent z decodes to.
    prior_y:     (C,) float tensor, the class prior P(y).
    x:           (N,) int64 tensor of data indices.
    Returns (N, C) tensor of p_z_given_y's dtype, row n = Q'(. | x_n), differentiable
    with respect to p_z_given_y. If no latent decodes to x_n, row n is uniform (1/C).
    """
    ### BEGIN SOLUTION
    decodes = (F[None, :] == x[:, None]).to(p_z_given_y.dtype)       # (N, K): P(x_n | z)
    likelihood = decodes @ p_z_given_y.T                             # (N, C): P_w(x_n | y)
    joint = likelihood * prior_y.to(p_z_given_y.dtype)               # (N, C): P_w(x_n, y)
    evidence = joint.sum(dim=1, keepdim=True)
    C = p_z_given_y.shape[0]
    safe = evidence.clamp_min(torch.finfo(p_z_given_y.dtype).tiny)
    return torch.where(evidence > 0, joint / safe, torch.full_like(joint, 1.0 / C))
    ### END SOLUTION


# %% kind="tests" grade_id="q1_generative_tests" points=2
from dgmlab.probes import check
check("q1_generative_tests", generative_posterior)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points

def _brute(pzy, Fz, py, x):
    C, K = pzy.shape
    out = torch.zeros(len(x), C, dtype=torch.float64)
    for n, xn in enumerate(x.tolist()):
        joint = [float(py[c]) * sum(float(pzy[c, z]) for z in range(K) if int(Fz[z]) == xn) for c in range(C)]
        ev = sum(joint)
        for c in range(C):
            out[n, c] = joint[c] / ev if ev > 0 else 1.0 / C
    return out


@points(0.75)
def test_matches_enumeration():
    assert len(random_worlds) == len(inputs.worlds), "generative_posterior did not answer on every world"
    for got, w in zip(random_worlds, inputs.worlds):
        checks.assert_close(got, _brute(w["probs"], w["F"], w["prior"], w["x"]), rtol=1e-7, atol=1e-9,
                            name="Q'(y|x) on a random discrete world")


@points(0.25)
def test_unreachable_x_is_uniform():
    assert torch.isfinite(unreachable).all(), "Q'(y|x) has NaN or inf for an x that no latent decodes to"
    checks.assert_close(unreachable[0], torch.full((3,), 1 / 3), name="Q'(y|x) for an x no latent decodes to")


@points(0.25)
def test_is_differentiable():
    assert grad_total is not None and grad_total > 0, "Q'(y|x) must be differentiable in P_w(z|y)"
### END HIDDEN TESTS


# %% [markdown]
# One gradient step of each training algorithm (Q1.2 and Q1.5). The discriminative model is trained
# on $-\frac1n\sum_j \log Q(y^j \mid x^j)$; the generative model by maximum likelihood of the data given
# the labels, $-\frac1n\sum_j \log P_w(x^j \mid y^j)$. Both are parameterised by logits and a softmax.

# %% kind="answer" grade_id="q1_steps"
def discriminative_step(W, F, prior_z, x, y, lr):
    """One gradient-descent step for the latent discriminative classifier.

    W: (K, C) float tensor of logits, P_w(y | z) = softmax(W[z]).
    F, prior_z: as in discriminative_posterior. x, y: (n,) int64 data indices and labels.
    The loss is the empirical risk L(W) = -(1/n) sum_j log Q(y_j | x_j).
    Returns (W_new, loss): W_new (K, C) detached tensor W - lr * dL/dW, loss a Python float L(W).
    """
    ### BEGIN SOLUTION
    W = W.detach().clone().requires_grad_(True)
    Q = discriminative_posterior(torch.softmax(W, dim=1), F, prior_z, x)
    loss = -torch.log(Q[torch.arange(len(y)), y]).mean()
    loss.backward()
    return (W - lr * W.grad).detach(), loss.item()
    ### END SOLUTION


def generative_step(V, F, x, y, lr):
    """One gradient-descent step for the latent generative model P_w(z | y).

    V: (C, K) float tensor of logits, P_w(z | y) = softmax(V[y]).
    F: as above. x, y: (n,) int64 data indices and labels.
    The loss is the negative log-likelihood of the data given the labels,
    L(V) = -(1/n) sum_j log P_w(x_j | y_j), with P_w(x | y) as in Q1.4.
    Returns (V_new, loss): V_new (C, K) detached tensor V - lr * dL/dV, loss a Python float L(V).
    """
    ### BEGIN SOLUTION
    V = V.detach().clone().requires_grad_(True)
    p_z_given_y = torch.softmax(V, dim=1)                            # (C, K)
    decodes = (F[None, :] == x[:, None]).to(V.dtype)                 # (n, K)
    likelihood = (decodes * p_z_given_y[y]).sum(dim=1)               # (n,): P_w(x_j | y_j)
    loss = -torch.log(likelihood).mean()
    loss.backward()
    return (V - lr * V.grad).detach(), loss.item()
    ### END SOLUTION


# %% kind="tests" grade_id="q1_steps_tests" points=2
from dgmlab.probes import check
check("q1_steps_tests", discriminative_step, generative_step)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points

def _disc_loss(W, Fz, pz, x, y):
    total = 0
    for xn, yn in zip(x.tolist(), y.tolist()):
        zs = [z for z in range(len(Fz)) if int(Fz[z]) == xn]
        total = total - torch.log(sum(pz[z] * torch.softmax(W[z], 0)[yn] for z in zs) / sum(pz[z] for z in zs))
    return total / len(x)


def _gen_loss(V, Fz, x, y):
    total = 0
    for xn, yn in zip(x.tolist(), y.tolist()):
        p = torch.softmax(V[yn], 0)
        total = total - torch.log(sum(p[z] for z in range(len(Fz)) if int(Fz[z]) == xn))
    return total / len(x)


@points(0.5)
def test_discriminative_step_matches_enumeration():
    w = inputs.disc_world
    Wr = w["W"].clone().requires_grad_(True)
    ref_loss = _disc_loss(Wr, w["F"], w["prior_z"], w["x"], w["y"])
    ref_loss.backward()
    checks.assert_close(disc_world_step["loss"], ref_loss.item(), rtol=1e-6, name="the discriminative loss")
    checks.assert_close(disc_world_step["new"], (w["W"] - 0.3 * Wr.grad).detach(), rtol=1e-6, atol=1e-8,
                        name="W after one step")


@points(0.5)
def test_generative_step_matches_enumeration():
    w = inputs.gen_world
    Vr = w["V"].clone().requires_grad_(True)
    ref_loss = _gen_loss(Vr, w["F"], w["x"], w["y"])
    ref_loss.backward()
    checks.assert_close(gen_world_step["loss"], ref_loss.item(), rtol=1e-6, name="the generative loss")
    checks.assert_close(gen_world_step["new"], (w["V"] - 0.3 * Vr.grad).detach(), rtol=1e-6, atol=1e-8,
                        name="V after one step")
### END HIDDEN TESTS
