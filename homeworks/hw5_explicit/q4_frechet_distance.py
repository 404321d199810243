# %% [markdown]
# ## Q4 (10 points): The Fréchet distance behind FID
#
# Between two Gaussians the Fréchet distance (the squared 2-Wasserstein distance) has a closed form:
# $$D_F\big(\mathcal N(\mu_1, \Sigma_1), \mathcal N(\mu_2, \Sigma_2)\big)
#   = \|\mu_1 - \mu_2\|^2 + \operatorname{tr}\!\big(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1 \Sigma_2)^{1/2}\big).$$
# FID maps real and generated images through a fixed pretrained network $F_\theta$, fits a Gaussian (mean
# and covariance) to each set of features, and reports $D_F$ between the two Gaussians.
#
# **Written (4 points).**
# 1. (1.5) With $n$ i.i.d. test images $x^j \sim P$, how do you estimate the mean and covariance of
#    $z = F_\theta(x)$? And those of $\hat z = F_\theta(\hat x)$, $\hat x \sim P_w$ (our trained model)?
# 2. (1) Write the FID in terms of these estimates.
# 3. (1.5) In the FID paper (Heusel et al., 2017), which network and layer give $F_\theta$, and how many
#    samples do the authors recommend?

# %% [markdown] kind="written" grade_id="q4_written" points=4
# Marks: 1.5, 1, 1.5.
#
# 1. $\hat\mu = \frac1n \sum_j F_\theta(x^j)$ and
#    $\hat\Sigma = \frac1{n-1}\sum_j (F_\theta(x^j)-\hat\mu)(F_\theta(x^j)-\hat\mu)^\top$ (law of large numbers). For
#    the model, draw $m$ samples $\hat x^k \sim P_w$, feed them through the same $F_\theta$, and use the same
#    estimators.
# 2. $\mathrm{FID} = \|\hat\mu - \hat\mu_w\|^2 + \operatorname{tr}\big(\hat\Sigma + \hat\Sigma_w - 2(\hat\Sigma\hat\Sigma_w)^{1/2}\big)$.
# 3. Inception-v3 trained on ImageNet, the 2048-dimensional activations of its last pooling layer (pool3).
#    At least 10,000 samples (they use 50,000), because the estimate is biased for small $n$.

# %% [markdown]
# ### Q4 companion (6 points, autograded): a differentiable Fréchet distance
#
# Write these quantities yourself, in torch, so that autograd can differentiate them, as one needs to use the
# Fréchet distance as a training loss (matching a generator's feature statistics to the data's). Use torch
# operations only, from input to output: no `.detach()`, `.item()`, `.numpy()` or `torch.no_grad()` on the way.
#
# **(2 points)** The estimates of part 1, the mean and the unbiased covariance of the features, in float64, as
# functions of the features that autograd can differentiate.

# %% kind="answer" grade_id="q4_stats"
def feature_statistics(features):
    """The estimates of part 1 (mean, unbiased covariance) of feature vectors, differentiable with respect to them.

    features: (n, d) torch tensor (any floating dtype), one feature vector per row.
    Returns (mu, cov): torch float64 tensors of shapes (d,) and (d, d). A loss computed from mu and cov has a
    gradient with respect to features.
    """
    ### BEGIN SOLUTION
    f = features.to(torch.float64)
    mu = f.mean(dim=0)
    centred = f - mu
    cov = centred.T @ centred / (f.shape[0] - 1)
    return mu, cov
    ### END SOLUTION


# %% kind="tests" grade_id="q4_stats_tests"
from dgmlab.probes import check
check("q4_stats_tests", feature_statistics)


# %% [markdown]
# **(4 points)** The distance itself, as a 0-dimensional float64 torch tensor that autograd can differentiate with
# respect to both means and both covariances. With nearly singular covariances (fewer samples than dimensions) a
# matrix square root of $\Sigma_1\Sigma_2$ can come out complex from round-off: the distance must stay real and
# finite. Hint: $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2} = \operatorname{tr}\big(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\big)^{1/2}$,
# the matrix on the right is symmetric positive semi-definite, and `torch.linalg.eigh` and `torch.linalg.eigvalsh`
# take the eigen-decomposition of a symmetric matrix with a gradient (for distinct eigenvalues).

# %% kind="answer" grade_id="q4_frechet"
def frechet_gaussian(mu1, cov1, mu2, cov2):
    """Frechet distance between N(mu1, cov1) and N(mu2, cov2), differentiable in all four arguments.

    mu1, mu2: (d,) float64 torch tensors; cov1, cov2: (d, d) symmetric positive semi-definite float64 torch tensors.
    Returns a 0-dimensional float64 torch tensor, ||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2)), real
    even when the covariances are (nearly) singular, with a gradient with respect to mu1, cov1, mu2 and cov2.
    """
    ### BEGIN SOLUTION
    # tr (C1 C2)^(1/2) = tr (C1^(1/2) C2 C1^(1/2))^(1/2): the latter matrix is symmetric PSD
    w, v = torch.linalg.eigh((cov1 + cov1.T) / 2)
    root1 = (v * torch.sqrt(torch.clamp(w, min=0))) @ v.T
    middle = root1 @ cov2 @ root1
    tr_sqrt = torch.sqrt(torch.clamp(torch.linalg.eigvalsh((middle + middle.T) / 2), min=0)).sum()
    diff = mu1 - mu2
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt
    ### END SOLUTION


# %% kind="tests" grade_id="q4_frechet_tests"
from dgmlab.probes import check
check("q4_frechet_tests", frechet_gaussian)

