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
# ### Q4 companion (6 points, autograded)
#
# **(2 points)** The estimates of part 1: mean and unbiased covariance (divide by $n-1$), in float64.

# %% kind="answer" grade_id="q4_stats"
def feature_statistics(features):
    """Sample mean and unbiased sample covariance of feature vectors.

    features: (n, d) array-like (numpy array or torch tensor), one feature vector per row.
    Returns (mu, cov): mu (d,) and cov (d, d), numpy float64; cov divides by n - 1.
    """
    ### BEGIN SOLUTION
    f = np.asarray(features, dtype=np.float64)
    mu = f.mean(axis=0)
    centred = f - mu
    cov = centred.T @ centred / (f.shape[0] - 1)
    return mu, cov
    ### END SOLUTION


# %% kind="tests" grade_id="q4_stats_tests" points=2
from dgmlab.probes import check
check("q4_stats_tests", feature_statistics)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points

@points(0.5)
def test_values_on_small_sample():
    mu, cov = small
    f = inputs.small
    checks.assert_close(mu, f.mean(axis=0), rtol=1e-12, name="the mean")
    checks.assert_close(cov, np.cov(f, rowvar=False), rtol=1e-10, atol=1e-12,
                        name="the covariance (unbiased, one row per sample)")


@points(0.5)
def test_accepts_torch_float32():
    mu, cov = torch32
    assert isinstance(mu, np.ndarray) and isinstance(cov, np.ndarray), "return numpy arrays for torch input too"
    assert mu.dtype == np.float64 and cov.dtype == np.float64, "convert torch input to float64 numpy"
    checks.assert_close(cov, np.cov(inputs.torch32.double().numpy(), rowvar=False), rtol=1e-6, atol=1e-8,
                        name="the covariance")
### END HIDDEN TESTS


# %% [markdown]
# **(4 points)** The distance itself, in float64. With nearly singular covariances (fewer samples than
# dimensions) a matrix square root of $\Sigma_1\Sigma_2$ can come out complex from round-off: return a real
# number. Hint: $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2} = \operatorname{tr}\big(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\big)^{1/2}$,
# and the matrix on the right is symmetric positive semi-definite.

# %% kind="answer" grade_id="q4_frechet"
def frechet_gaussian(mu1, cov1, mu2, cov2):
    """Frechet distance between N(mu1, cov1) and N(mu2, cov2).

    mu1, mu2: (d,) float arrays; cov1, cov2: (d, d) symmetric positive semi-definite float arrays.
    Returns a Python float, ||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2)), computed in
    float64 and real even when the covariances are (nearly) singular.
    """
    ### BEGIN SOLUTION
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    c1, c2 = np.asarray(cov1, dtype=np.float64), np.asarray(cov2, dtype=np.float64)
    # tr (C1 C2)^(1/2) = tr (C1^(1/2) C2 C1^(1/2))^(1/2): the latter matrix is symmetric PSD
    w, v = np.linalg.eigh((c1 + c1.T) / 2)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root1 @ c2 @ root1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(c1) + np.trace(c2) - 2 * tr_sqrt)
    ### END SOLUTION


# %% kind="tests" grade_id="q4_frechet_tests" points=4
from dgmlab.probes import check
check("q4_frechet_tests", frechet_gaussian)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points

@points(1)
def test_symmetric_and_matches_reference():
    (mu1, c1), (mu2, c2) = inputs.general1, inputs.general2
    d12, d21 = general_12, general_21
    assert abs(d12 - d21) < 1e-8 * max(1.0, abs(d12)), "the distance is not symmetric"
    checks.assert_close(d12, metrics.frechet_distance(mu1, c1, mu2, c2), rtol=1e-6, atol=1e-8,
                        name="the distance for general covariances")


@points(1)
def test_real_for_nearly_singular_covariances():
    (mu1, c1), (mu2, c2) = inputs.singular1, inputs.singular2
    d = singular
    assert isinstance(d, float), f"return a real Python float even for singular covariances, got {type(d).__name__}"
    assert np.isfinite(d) and d >= -1e-8, "the distance is NaN, infinite or negative for singular covariances"
    checks.assert_close(d, metrics.frechet_distance(mu1, c1, mu2, c2), rtol=1e-5, atol=1e-6,
                        name="the distance for singular covariances")
### END HIDDEN TESTS
