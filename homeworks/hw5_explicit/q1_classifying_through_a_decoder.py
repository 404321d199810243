# %% [markdown]
# ## Q1 (15 points): Classifying through a pretrained decoder
#
# Data $x$ carries a label $y$. We cannot encode $x$, but a pretrained **decoder** $F_\theta$ maps a latent
# code $z$ to $x = F_\theta(z)$, and the prior $P(z)$ is known. $x$, $z$, $y$ take finitely many values, so
# $P(x \mid z) = \mathbb 1[F_\theta(z) = x]$. Two classifiers use the decoder: a **discriminative** one,
# $P_w(y \mid z)$, turned into $Q_{w,\theta}(y \mid x)$ by Bayes' rule, and a **generative** one, $P_w(z \mid y)$
# with the class prior $P(y)$, giving $Q'_{w,\theta}(y \mid x)$. Training data: $\mathbb D = \{(x^j, y^j)\}_{j=1}^n$.
#
# **Written (9 points, 1.5 each).**
# 1. Derive $Q_{w,\theta}(y \mid x)$ from $P_w(y \mid z)$, $P(z)$ and $F_\theta$.
# 2. Write the training of $P_w(y \mid z)$ on $\mathbb D$ as an algorithm.
# 3. How does the cost of one training step compare with a plain classifier $\tilde P_w(y \mid x)$?
# 4. Derive $Q'_{w,\theta}(y \mid x)$ from $P_w(z \mid y)$, $P(y)$ and $F_\theta$.
# 5. Write the training of $P_w(z \mid y)$ on $\mathbb D$ as an algorithm.
# 6. Can the generative route $Q'$ have an advantage over $Q$? Explain.

# %% [markdown] kind="written" grade_id="q1_written" points=9
# Marks: 1.5 per part.
#
# 1. The decoder gives $P(x \mid z) = \mathbb 1[F_\theta(z) = x]$, so
#    $P(z \mid x) = P(z)\,\mathbb 1[F_\theta(z)=x] / \sum_{z'} P(z')\,\mathbb 1[F_\theta(z')=x]$. As $y$ depends on
#    $x$ only through $z$,
#    $Q_{w,\theta}(y \mid x) = \sum_z P_w(y \mid z) P(z \mid x)
#    = \dfrac{\sum_{z:\,F_\theta(z)=x} P(z)\,P_w(y \mid z)}{\sum_{z:\,F_\theta(z)=x} P(z)}$.
#    (0.5 posterior through the indicator, 0.5 marginalising $z$, 0.5 normalisation.)
# 2. Risk $\hat R(w) = -\frac1n \sum_j \log Q_{w,\theta}(y^j \mid x^j)$. Precompute
#    $\mathcal Z(x^j) = \{z : F_\theta(z) = x^j\}$ (one decoder pass over all $z$); then repeat: draw a mini-batch,
#    compute $Q(y^j \mid x^j)$ by part 1 restricted to $\mathcal Z(x^j)$, take the mean negative log,
#    backpropagate into $w$ only ($\theta$ frozen), step; stop when the validation risk stops improving.
#    (0.5 loss, 0.5 decoder-based posterior, 0.5 loop updating $w$ only.)
# 3. A plain classifier evaluates $\tilde P_w(y \mid x)$ once per sample. The latent route needs the $z$ that
#    decode to $x$ (a search over an exponentially large latent set unless cached) and one pass of the
#    classifier per such $z$: about $|\{z : F_\theta(z)=x\}|$ times the cost, plus the search.
# 4. $P_w(x \mid y) = \sum_{z:\,F_\theta(z)=x} P_w(z \mid y)$, so
#    $Q'_{w,\theta}(y \mid x) = \dfrac{P(y) \sum_{z:\,F_\theta(z)=x} P_w(z \mid y)}
#    {\sum_{y'} P(y') \sum_{z:\,F_\theta(z)=x} P_w(z \mid y')}$, with $P(y)$ the label frequencies of $\mathbb D$.
# 5. Maximum likelihood: $\hat R(w) = -\frac1n \sum_j \log \sum_{z \in \mathcal Z(x^j)} P_w(z \mid y^j)$ ($P(y)$ has no
#    parameters). Precompute $\mathcal Z(x^j)$; per mini-batch sum $P_w(z \mid y^j)$ over $\mathcal Z(x^j)$, take the
#    mean negative log, backpropagate into $w$, step; stop on validation likelihood. Classify with part 4.
# 6. Yes. $P_w(z \mid y)$ models each class's data, so it can use unlabelled data (through
#    $P(x) = \sum_y P(y) P_w(x \mid y)$), tends to need fewer labels when the model is right (Ng and Jordan),
#    can generate class samples through $F_\theta$ and flag inputs with low $P_w(x)$, and lets the class prior
#    change without retraining. The price: capacity spent modelling $z$, and worse asymptotic error when the
#    model is misspecified.

# %% [markdown]
# ### Q1 companion (6 points, autograded): a small discrete world
#
# Everything is a table here, so parts 1 and 4 can be computed exactly: latents $z \in \{0..K-1\}$, data
# $x \in \{0..X-1\}$, labels $y \in \{0..C-1\}$, and an integer table `F_table` with `F_table[z]` $= F_\theta(z)$. An $x$
# that no $z$ decodes to has probability zero: return the uniform $1/C$ there. Use tensor operations and keep
# the result differentiable: the training steps backpropagate through it. The cell below is an example world.

# %% locked=true grade_id="q1_world"
F_table = torch.tensor([0, 1, 1, 2, 0, 2])          # K = 6 latents decode to X = 4 data points; none gives x = 3
prior_z = torch.tensor([0.1, 0.2, 0.1, 0.3, 0.2, 0.1])
p_y_given_z = torch.softmax(torch.randn(6, 3), dim=1)   # C = 3 labels
p_z_given_y = torch.softmax(torch.randn(3, 6), dim=1)
prior_y = torch.tensor([0.5, 0.3, 0.2])
x_example = torch.tensor([0, 1, 2, 3])


# %% kind="answer" grade_id="q1_discriminative"
def discriminative_posterior(p_y_given_z, F_table, prior_z, x):
    """Q(y|x) of the latent discriminative classifier, by Bayes' rule through the decoder.

    p_y_given_z: (K, C) float tensor, row z holds P_w(y | z) (rows sum to 1).
    F_table:     (K,) int64 tensor, F_table[z] is the index of the data point latent z decodes to.
    prior_z:     (K,) float tensor, the known latent prior P(z).
    x:           (N,) int64 tensor of data indices.
    Returns (N, C) tensor of p_y_given_z's dtype, row n = Q(. | x_n), differentiable
    with respect to p_y_given_z. If no latent decodes to x_n, row n is uniform (1/C).
    """
    ### BEGIN SOLUTION
    decodes = (F_table[None, :] == x[:, None]).to(p_y_given_z.dtype)      # (N, K): P(x_n | z)
    joint = decodes * prior_z.to(p_y_given_z.dtype)                  # (N, K): P(x_n, z)
    evidence = joint.sum(dim=1, keepdim=True)                        # (N, 1): P(x_n)
    unnormalised = joint @ p_y_given_z                               # (N, C)
    C = p_y_given_z.shape[1]
    safe = evidence.clamp_min(torch.finfo(p_y_given_z.dtype).tiny)
    return torch.where(evidence > 0, unnormalised / safe, torch.full_like(unnormalised, 1.0 / C))
    ### END SOLUTION


# %% kind="tests" grade_id="q1_discriminative_tests"
from dgmlab.probes import check
check("q1_discriminative_tests", discriminative_posterior)


# %% [markdown]
# The generative route, part 4.

# %% kind="answer" grade_id="q1_generative"
def generative_posterior(p_z_given_y, F_table, prior_y, x):
    """Q'(y|x) of the latent generative classifier, by Bayes' rule through the decoder.

    p_z_given_y: (C, K) float tensor, row y holds P_w(z | y) (rows sum to 1).
    F_table:     (K,) int64 tensor, F_table[z] is the index of the data point latent z decodes to.
    prior_y:     (C,) float tensor, the class prior P(y).
    x:           (N,) int64 tensor of data indices.
    Returns (N, C) tensor of p_z_given_y's dtype, row n = Q'(. | x_n), differentiable
    with respect to p_z_given_y. If no latent decodes to x_n, row n is uniform (1/C).
    """
    ### BEGIN SOLUTION
    decodes = (F_table[None, :] == x[:, None]).to(p_z_given_y.dtype)       # (N, K): P(x_n | z)
    likelihood = decodes @ p_z_given_y.T                             # (N, C): P_w(x_n | y)
    joint = likelihood * prior_y.to(p_z_given_y.dtype)               # (N, C): P_w(x_n, y)
    evidence = joint.sum(dim=1, keepdim=True)
    C = p_z_given_y.shape[0]
    safe = evidence.clamp_min(torch.finfo(p_z_given_y.dtype).tiny)
    return torch.where(evidence > 0, joint / safe, torch.full_like(joint, 1.0 / C))
    ### END SOLUTION


# %% kind="tests" grade_id="q1_generative_tests"
from dgmlab.probes import check
check("q1_generative_tests", generative_posterior)


# %% [markdown]
# One gradient step of each training algorithm (parts 2 and 5): each step computes the loss its algorithm
# minimises on the $n$ pairs $(x^j, y^j)$ (a mean over the pairs, not a sum) and moves the logits against its
# gradient; both models are logits passed through a softmax.

# %% kind="answer" grade_id="q1_steps"
def discriminative_step(W, F_table, prior_z, x, y, lr):
    """One gradient-descent step for the latent discriminative classifier.

    W: (K, C) float tensor of logits, P_w(y | z) = softmax(W[z]).
    F_table, prior_z: as in discriminative_posterior. x, y: (n,) int64 data indices and labels.
    The loss L(W) is the empirical risk your algorithm of part 2 minimises, a mean over the n pairs.
    Returns (W_new, loss): W_new (K, C) detached tensor W - lr * dL/dW, loss a Python float L(W).
    """
    ### BEGIN SOLUTION
    W = W.detach().clone().requires_grad_(True)
    Q = discriminative_posterior(torch.softmax(W, dim=1), F_table, prior_z, x)
    loss = -torch.log(Q[torch.arange(len(y)), y]).mean()
    loss.backward()
    return (W - lr * W.grad).detach(), loss.item()
    ### END SOLUTION


def generative_step(V, F_table, x, y, lr):
    """One gradient-descent step for the latent generative model P_w(z | y).

    V: (C, K) float tensor of logits, P_w(z | y) = softmax(V[y]).
    F_table: as above. x, y: (n,) int64 data indices and labels.
    The loss L(V) is the empirical risk your algorithm of part 5 minimises, a mean over the n pairs.
    Returns (V_new, loss): V_new (C, K) detached tensor V - lr * dL/dV, loss a Python float L(V).
    """
    ### BEGIN SOLUTION
    V = V.detach().clone().requires_grad_(True)
    p_z_given_y = torch.softmax(V, dim=1)                            # (C, K)
    decodes = (F_table[None, :] == x[:, None]).to(V.dtype)                 # (n, K)
    likelihood = (decodes * p_z_given_y[y]).sum(dim=1)               # (n,): P_w(x_j | y_j)
    loss = -torch.log(likelihood).mean()
    loss.backward()
    return (V - lr * V.grad).detach(), loss.item()
    ### END SOLUTION


# %% kind="tests" grade_id="q1_steps_tests"
from dgmlab.probes import check
check("q1_steps_tests", discriminative_step, generative_step)

