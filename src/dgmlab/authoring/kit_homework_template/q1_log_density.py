# %% [markdown]
# ## Q1 (4 points): the Gaussian log density
#
# Write `gaussian_log_density(x, mu, log_sigma)`, the elementwise $\log \mathcal N(x;\mu,\sigma^2)$ with
# $\sigma = e^{\log\sigma}$: $\;-\tfrac12\big(\tfrac{x-\mu}{\sigma}\big)^2 - \log\sigma - \tfrac12\log 2\pi$.

# %% locked=true grade_id="q1_imports"
import math

import torch

from dgmlab.probes import check


# %% kind="answer" grade_id="q1_log_density"
def gaussian_log_density(x, mu, log_sigma):
    """x, mu, log_sigma: float64 tensors of one shape (N,) -> float64 tensor (N,), log N(x; mu, exp(log_sigma)^2)."""
    ### BEGIN SOLUTION
    sigma = torch.exp(log_sigma)
    return -0.5 * ((x - mu) / sigma) ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)
    ### END SOLUTION

# %% kind="tests" grade_id="q1_log_density_tests"
check("q1_log_density_tests", gaussian_log_density)
