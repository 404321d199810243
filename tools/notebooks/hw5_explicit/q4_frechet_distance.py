# %% [markdown]
# ## Q4 (10 points): The Fréchet distance behind FID
#
# For two Gaussians, the Fréchet distance used by FID has a closed form; it is the **squared**
# 2-Wasserstein distance $W_2^2$ between the two Gaussians (so it is in squared feature units, and FID
# compares only the Gaussians fitted to the features, not the feature distributions themselves):
# $$D_F\big(\mathcal N(\mu_1, \Sigma_1), \mathcal N(\mu_2, \Sigma_2)\big)
#   = \|\mu_1 - \mu_2\|^2 + \operatorname{tr}\!\big(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1 \Sigma_2)^{1/2}\big).$$
# FID applies it to features: a fixed pretrained network $F_\theta$ maps real images and generated images
# to feature vectors, each set is summarised by a Gaussian (mean and covariance), and FID is the
# distance between the two Gaussians.
#
# **Written parts (4 points):**
#
# 1. (1.5) With $n$ i.i.d. test images $x^j \sim P$, how do you estimate the mean and covariance of
#    $z = F_\theta(x)$? And those of $\hat z = F_\theta(\hat x)$ with $\hat x \sim P_w$, our trained model?
# 2. (1) Write the FID in terms of these estimates.
# 3. (1.5) In the FID paper (Heusel et al., 2017), which network and which layer give $F_\theta$, and how
#    many samples do the authors recommend?

# %% [markdown]
# **Q4.1 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q4_1" points=1.5
# By the law of large numbers, $\hat\mu = \frac1n \sum_j F_\theta(x^j)$ and
# $\hat\Sigma = \frac1{n-1}\sum_j (F_\theta(x^j)-\hat\mu)(F_\theta(x^j)-\hat\mu)^\top$. For the model, draw
# $m$ samples $\hat x^k \sim P_w$ (e.g. $z\sim$ prior, decode), feed them through the same $F_\theta$ and use
# the same estimators on $F_\theta(\hat x^k)$.

# %% [markdown]
# **Q4.2 (1 point)** Your answer:

# %% [markdown] kind="written" grade_id="q4_2" points=1
# $\mathrm{FID} = \|\hat\mu - \hat\mu_w\|^2 + \operatorname{tr}\big(\hat\Sigma + \hat\Sigma_w - 2(\hat\Sigma\hat\Sigma_w)^{1/2}\big)$.

# %% [markdown]
# **Q4.3 (1.5 points)** Your answer:

# %% [markdown] kind="written" grade_id="q4_3" points=1.5
# Inception-v3 trained on ImageNet; the 2048-dimensional activations of the last pooling layer
# (pool3, before the classifier). The authors recommend at least 10,000 samples (they use 50,000)
# because the estimate is biased for small $n$.

# %% [markdown]
# ### Q4 companion (6 points, autograded)
#
# **(2 points)** The estimates of Q4.1: mean and unbiased covariance (divide by $n-1$) of a set of
# feature vectors, in float64.

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
from dgmlab.testing import points, run_tests
from dgmlab import checks


@points(0.5)
def test_shapes_and_dtype():
    mu, cov = feature_statistics(np.random.default_rng(0).normal(size=(50, 4)))
    assert isinstance(mu, np.ndarray) and mu.shape == (4,), \
        f"expected mu as a numpy array of shape (4,) for 50 samples of dimension 4, found {type(mu).__name__} {np.shape(mu)}"
    hint = " (one row per sample: a (50, 50) covariance means rows and columns were swapped)" \
        if np.shape(cov) == (50, 50) else ""
    assert isinstance(cov, np.ndarray) and cov.shape == (4, 4), \
        f"expected cov as a numpy array of shape (4, 4), found {type(cov).__name__} {np.shape(cov)}{hint}"
    assert mu.dtype == np.float64 and cov.dtype == np.float64, \
        f"expected mu and cov in float64, found {mu.dtype} and {cov.dtype}"


@points(0.5)
def test_values_on_three_points():
    f = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 0.0]])
    mu, cov = feature_statistics(f)
    want = np.array([[4.0, -1.0], [-1.0, 7.0]])
    hint = ""
    if np.shape(cov) == (2, 2) and np.allclose(cov, want * 2 / 3):
        hint = ": that divides by n = 3; the unbiased estimate divides by n - 1 = 2"
    elif np.shape(cov) == (3, 3):
        hint = ": a (3, 3) matrix is the covariance of the rows; each row is one sample (rowvar=False)"
    assert np.allclose(mu, [2.0, 2.0]), f"expected mu = [2, 2] for the points (0, 1), (2, 5), (4, 0), found {mu}"
    assert np.shape(cov) == (2, 2) and np.allclose(cov, want), \
        f"expected cov = {want.tolist()} for the points (0, 1), (2, 5), (4, 0), found {np.round(cov, 4).tolist()}{hint}"


### BEGIN HIDDEN TESTS
@points(0.5)
def test_values_on_small_sample():
    f = np.random.default_rng(1).normal(size=(6, 3)) * [1.0, 2.0, 0.5] + [1.0, -2.0, 3.0]
    mu, cov = feature_statistics(f)
    checks.assert_close(mu, f.mean(axis=0), rtol=1e-12, name="the mean")
    checks.assert_close(cov, np.cov(f, rowvar=False), rtol=1e-10, atol=1e-12,
                        name="the covariance (unbiased, one row per sample)")


@points(0.5)
def test_accepts_torch_float32():
    f = torch.randn(20, 5)
    mu, cov = feature_statistics(f)
    assert mu.dtype == np.float64 and cov.dtype == np.float64, "convert torch input to float64 numpy"
    checks.assert_close(cov, np.cov(f.double().numpy(), rowvar=False), rtol=1e-6, atol=1e-8, name="the covariance")
### END HIDDEN TESTS

run_tests(points=2, hidden=1)


# %% [markdown]
# **(4 points)** The Fréchet distance itself. Compute it in float64; the matrix square root of
# $\Sigma_1\Sigma_2$ can come out complex or NaN from round-off when covariances are nearly singular
# (fewer samples than dimensions), so make sure you return a real number. Hint:
# $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2} = \operatorname{tr}\big(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\big)^{1/2}$ and the
# matrix on the right is symmetric positive semi-definite.

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
from dgmlab.testing import points, run_tests
from dgmlab import checks


@points(0.5)
def test_zero_for_identical_gaussians():
    mu, cov = np.zeros(3), np.diag([1.0, 2.0, 3.0])
    d = frechet_gaussian(mu, cov, mu, cov)
    assert isinstance(d, float), f"expected a Python float, found {type(d).__name__} (convert with float(...))"
    hint = ": that is tr(S) + tr(S) - tr(S), the cross term without its factor 2" if abs(d - 6.0) < 1e-6 else ""
    assert abs(d) < 1e-8, f"expected 0 for two identical Gaussians, found {d:.3g}{hint}"


@points(0.75)
def test_one_dimensional_case():
    # N(0, 1) against N(2, 4): |0 - 2|^2 + (1 + 4 - 2 sqrt(1 * 4)) = 4 + 1
    d = frechet_gaussian(np.array([0.0]), np.array([[1.0]]), np.array([2.0]), np.array([[4.0]]))
    hint = ""
    if abs(float(d) - 7.0) < 1e-6:
        hint = ": that is the cross term without its factor 2 (tr(S1 + S2 - 2 (S1 S2)^(1/2)))"
    elif abs(float(d) - 3.0) < 1e-6:
        hint = ": that uses |mu1 - mu2| where the formula has its square"
    elif abs(float(d) - 13.0) < 1e-6:
        hint = ": that is the trace term with a plus sign before 2 (S1 S2)^(1/2)"
    assert abs(float(d) - 5.0) < 1e-8, \
        f"expected D_F(N(0, 1), N(2, 4)) = 4 + 1 = 5, found {float(d):.6g}{hint}"


### BEGIN HIDDEN TESTS
@points(0.75)
def test_commuting_covariances_closed_form():
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 1.0])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    checks.assert_close(frechet_gaussian(mu1, np.diag(a), mu2, np.diag(b)), expected, rtol=1e-10,
                        name="the distance for diagonal covariances")


def _random_stats(seed, n, d):
    f = np.random.default_rng(seed).normal(size=(n, d)) @ np.random.default_rng(seed + 1).normal(size=(d, d))
    return f.mean(axis=0), np.cov(f, rowvar=False)


@points(1)
def test_symmetric_and_matches_reference():
    from dgmlab import metrics
    mu1, c1 = _random_stats(10, 200, 6)
    mu2, c2 = _random_stats(20, 200, 6)
    d12, d21 = frechet_gaussian(mu1, c1, mu2, c2), frechet_gaussian(mu2, c2, mu1, c1)
    assert abs(d12 - d21) < 1e-8 * max(1.0, abs(d12)), "the distance is not symmetric"
    checks.assert_close(d12, metrics.frechet_distance(mu1, c1, mu2, c2), rtol=1e-6, atol=1e-8,
                        name="the distance for general covariances")


@points(1)
def test_real_for_nearly_singular_covariances():
    mu1, c1 = _random_stats(30, 5, 20)      # 5 samples in 20 dimensions: rank 4
    mu2, c2 = _random_stats(40, 5, 20)
    d = frechet_gaussian(mu1, c1, mu2, c2)
    assert isinstance(d, float), f"return a real Python float even for singular covariances, got {type(d).__name__}"
    assert np.isfinite(d) and d >= -1e-8, "the distance is NaN, infinite or negative for singular covariances"
    from dgmlab import metrics
    checks.assert_close(d, metrics.frechet_distance(mu1, c1, mu2, c2), rtol=1e-5, atol=1e-6,
                        name="the distance for singular covariances")
### END HIDDEN TESTS

run_tests(points=4, hidden=2.75)
