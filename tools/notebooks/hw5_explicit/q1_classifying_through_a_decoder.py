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
from dgmlab.testing import points, run_tests
from dgmlab import checks


def _row(t):
    return "[" + ", ".join(f"{v:.4f}" for v in t.tolist()) + "]"


@points(0.25)
def test_rows_are_distributions():
    Q = discriminative_posterior(p_y_given_z, F_table, prior_z, x_example)
    checks.assert_tensor(Q, "discriminative_posterior(...)", shape=(4, 3))
    hint = ""
    if not torch.isfinite(Q[3]).all():
        hint = ": the row of x = 3, which no latent decodes to, is NaN or inf (return the uniform 1/C there)"
    assert torch.allclose(Q.sum(dim=1), torch.ones(4)), \
        f"expected every row of Q(y|x) to sum to 1, found row sums {_row(Q.sum(dim=1))}{hint}"


@points(0.5)
def test_a_latent_the_prior_never_draws_plays_no_role():
    # latents 0 and 4 decode to x = 0; with P(z = 4) = 0 only latent 0 can have produced x = 0
    prior = prior_z.clone()
    prior[4] = 0.0
    prior = prior / prior.sum()
    got = discriminative_posterior(p_y_given_z, F_table, prior, torch.tensor([0]))[0].detach()
    want = p_y_given_z[0]
    hint = ""
    if torch.allclose(got, (p_y_given_z[0] + p_y_given_z[4]) / 2, atol=1e-5):
        hint = ": latent 4 still counts, so the prior P(z) does not enter your Q"
    elif abs(float(got.sum()) - 1) > 1e-5:
        hint = ": the row does not sum to 1 (normalise over y)"
    assert torch.allclose(got, want, atol=1e-5), \
        (f"with P(z = 4) = 0, only latent 0 decodes to x = 0, so Q(y|x = 0) should be P_w(y|z = 0) = {_row(want)}; "
         f"found {_row(got)}{hint}")


### BEGIN HIDDEN TESTS
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
    g = torch.Generator().manual_seed(5)
    for K, X, C in [(6, 4, 3), (9, 5, 4)]:
        Fz = torch.randint(0, X - 1, (K,), generator=g)
        pz = torch.rand(K, generator=g, dtype=torch.float64) + 0.05
        pz = pz / pz.sum()
        pyz = torch.softmax(3 * torch.randn(K, C, generator=g, dtype=torch.float64), dim=1)
        x = torch.arange(X - 1)
        checks.assert_close(discriminative_posterior(pyz, Fz, pz, x), _brute(pyz, Fz, pz, x), rtol=1e-7,
                            atol=1e-9, name="Q(y|x) on a random discrete world")


@points(0.25)
def test_unreachable_x_is_uniform():
    Q = discriminative_posterior(p_y_given_z, F_table, prior_z, torch.tensor([3, 0]))
    assert torch.isfinite(Q).all(), "Q(y|x) has NaN or inf for an x that no latent decodes to"
    checks.assert_close(Q[0], torch.full((3,), 1 / 3), name="Q(y|x) for an x no latent decodes to")


@points(0.25)
def test_is_differentiable():
    pyz = p_y_given_z.clone().requires_grad_(True)
    discriminative_posterior(pyz, F_table, prior_z, x_example[:3])[:, 0].sum().backward()
    assert pyz.grad is not None and pyz.grad.abs().sum() > 0, "Q(y|x) must be differentiable in P_w(y|z)"
### END HIDDEN TESTS

run_tests(points=2, hidden=1.25)


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
from dgmlab.testing import points, run_tests
from dgmlab import checks


def _row(t):
    return "[" + ", ".join(f"{v:.4f}" for v in t.tolist()) + "]"


@points(0.25)
def test_rows_are_distributions():
    Q = generative_posterior(p_z_given_y, F_table, prior_y, x_example)
    checks.assert_tensor(Q, "generative_posterior(...)", shape=(4, 3))
    hint = ""
    if not torch.isfinite(Q[3]).all():
        hint = ": the row of x = 3, which no latent decodes to, is NaN or inf (return the uniform 1/C there)"
    assert torch.allclose(Q.sum(dim=1), torch.ones(4)), \
        f"expected every row of Q'(y|x) to sum to 1, found row sums {_row(Q.sum(dim=1))}{hint}"


@points(0.5)
def test_a_class_the_prior_never_draws_gets_no_mass():
    # with P(y = 2) = 0, class 2 cannot have produced any x
    prior = torch.tensor([0.5, 0.5, 0.0])
    got = generative_posterior(p_z_given_y, F_table, prior, torch.tensor([0]))[0].detach()
    hint = ""
    if float(got[2]) > 1e-6:
        hint = ": class 2 still gets mass, so the class prior P(y) does not enter your Q'"
    elif abs(float(got.sum()) - 1) > 1e-5:
        hint = ": the row does not sum to 1 (normalise over y)"
    assert float(got[2]) <= 1e-6 and abs(float(got.sum()) - 1) <= 1e-5, \
        (f"with P(y = 2) = 0, Q'(y|x = 0) should give class 2 no mass and still sum to 1 over y; "
         f"found {_row(got)}{hint}")


### BEGIN HIDDEN TESTS
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
    g = torch.Generator().manual_seed(7)
    for K, X, C in [(6, 4, 3), (10, 5, 4)]:
        Fz = torch.randint(0, X - 1, (K,), generator=g)
        py = torch.rand(C, generator=g, dtype=torch.float64) + 0.1
        py = py / py.sum()
        pzy = torch.softmax(3 * torch.randn(C, K, generator=g, dtype=torch.float64), dim=1)
        x = torch.arange(X - 1)
        checks.assert_close(generative_posterior(pzy, Fz, py, x), _brute(pzy, Fz, py, x), rtol=1e-7,
                            atol=1e-9, name="Q'(y|x) on a random discrete world")


@points(0.25)
def test_unreachable_x_is_uniform():
    Q = generative_posterior(p_z_given_y, F_table, prior_y, torch.tensor([3, 1]))
    assert torch.isfinite(Q).all(), "Q'(y|x) has NaN or inf for an x that no latent decodes to"
    checks.assert_close(Q[0], torch.full((3,), 1 / 3), name="Q'(y|x) for an x no latent decodes to")


@points(0.25)
def test_is_differentiable():
    pzy = p_z_given_y.clone().requires_grad_(True)
    generative_posterior(pzy, F_table, prior_y, x_example[:3])[:, 0].sum().backward()
    assert pzy.grad is not None and pzy.grad.abs().sum() > 0, "Q'(y|x) must be differentiable in P_w(z|y)"
### END HIDDEN TESTS

run_tests(points=2, hidden=1.25)


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
from dgmlab.testing import points, run_tests
from dgmlab import checks

x_train, y_train = torch.tensor([0, 1, 2, 1, 0]), torch.tensor([0, 2, 1, 2, 0])


@points(0.25)
def test_steps_return_tensor_and_float():
    W_new, loss = discriminative_step(torch.zeros(6, 3), F_table, prior_z, x_train, y_train, lr=0.5)
    assert not getattr(W_new, "requires_grad", False), \
        "expected W_new detached from the graph (requires_grad False), found it attached: return (...).detach()"
    checks.assert_tensor(W_new, "W_new", shape=(6, 3), requires_grad=False)
    assert isinstance(loss, float), f"expected the loss as a Python float, found {type(loss).__name__} (use .item())"
    V_new, loss = generative_step(torch.zeros(3, 6), F_table, x_train, y_train, lr=0.5)
    assert not getattr(V_new, "requires_grad", False), \
        "expected V_new detached from the graph (requires_grad False), found it attached: return (...).detach()"
    checks.assert_tensor(V_new, "V_new", shape=(3, 6), requires_grad=False)
    assert isinstance(loss, float), f"expected the loss as a Python float, found {type(loss).__name__} (use .item())"


@points(0.25)
def test_loss_at_zero_logits_is_log_3():
    # zero logits: P_w(y|z) = 1/3, so Q(y|x) = 1/3; P_w(z|y) = 1/6 and each x_j has 2 codes, so P_w(x|y) = 1/3
    for name, loss in [("discriminative", discriminative_step(torch.zeros(6, 3), F_table, prior_z, x_train, y_train, lr=0.5)[1]),
                       ("generative", generative_step(torch.zeros(3, 6), F_table, x_train, y_train, lr=0.5)[1])]:
        hint = ""
        if abs(float(loss) - 5 * math.log(3)) < 1e-4:
            hint = ": that is the sum over the 5 examples, not the mean"
        elif abs(float(loss) + math.log(3)) < 1e-4:
            hint = ": that is the log-likelihood; the loss is its negative"
        assert abs(float(loss) - math.log(3)) < 1e-5, \
            f"expected the {name} loss at zero logits to be log 3 = {math.log(3):.5f}, found {float(loss):.5f}{hint}"


@points(0.5)
def test_a_small_step_lowers_the_loss():
    g = torch.Generator().manual_seed(0)
    W, V = torch.randn(6, 3, generator=g), torch.randn(3, 6, generator=g)
    W_new, before = discriminative_step(W, F_table, prior_z, x_train, y_train, lr=0.1)
    after = discriminative_step(W_new, F_table, prior_z, x_train, y_train, lr=0.0)[1]
    assert after < before, \
        (f"expected one step with lr = 0.1 to lower the discriminative loss, found {before:.5f} -> {after:.5f}: "
         f"step against the gradient, W - lr * dL/dW")
    V_new, before = generative_step(V, F_table, x_train, y_train, lr=0.1)
    after = generative_step(V_new, F_table, x_train, y_train, lr=0.0)[1]
    assert after < before, \
        (f"expected one step with lr = 0.1 to lower the generative loss, found {before:.5f} -> {after:.5f}: "
         f"step against the gradient, V - lr * dL/dV")


### BEGIN HIDDEN TESTS
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


def _world(seed):
    g = torch.Generator().manual_seed(seed)
    Fz = torch.tensor([0, 1, 1, 2, 0, 2, 1])
    pz = torch.rand(7, generator=g, dtype=torch.float64) + 0.1
    x = torch.randint(0, 3, (8,), generator=g)
    y = torch.randint(0, 3, (8,), generator=g)
    return g, Fz, pz / pz.sum(), x, y


@points(0.5)
def test_discriminative_step_matches_enumeration():
    g, Fz, pz, x, y = _world(1)
    W = torch.randn(7, 3, generator=g, dtype=torch.float64)
    Wr = W.clone().requires_grad_(True)
    ref_loss = _disc_loss(Wr, Fz, pz, x, y)
    ref_loss.backward()
    W_new, loss = discriminative_step(W, Fz, pz, x, y, lr=0.3)
    checks.assert_close(loss, ref_loss.item(), rtol=1e-6, name="the discriminative loss")
    checks.assert_close(W_new, (W - 0.3 * Wr.grad).detach(), rtol=1e-6, atol=1e-8, name="W after one step")


@points(0.5)
def test_generative_step_matches_enumeration():
    g, Fz, pz, x, y = _world(2)
    V = torch.randn(3, 7, generator=g, dtype=torch.float64)
    Vr = V.clone().requires_grad_(True)
    ref_loss = _gen_loss(Vr, Fz, x, y)
    ref_loss.backward()
    V_new, loss = generative_step(V, Fz, x, y, lr=0.3)
    checks.assert_close(loss, ref_loss.item(), rtol=1e-6, name="the generative loss")
    checks.assert_close(V_new, (V - 0.3 * Vr.grad).detach(), rtol=1e-6, atol=1e-8, name="V after one step")
### END HIDDEN TESTS

run_tests(points=2, hidden=1)
