# %% [markdown]
# ## Q2 (3 points): the KL divergence to the standard normal
#
# Derive $\mathrm{KL}\big(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1)\big)$ as a sympy expression `kl_gauss`
# in the symbols `mu` and `sigma` below. It is graded by value at points with $\mu$ real and $\sigma > 0$: any
# form equal to the answer there earns the points; write exact numbers (`sp.Rational(1, 2)`, not `0.5`).

# %% locked=true grade_id="q2_symbols"
import sympy as sp

from dgmlab.probes import check

mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)

# %% kind="answer" grade_id="q2_gaussian_kl" check_output=true
# kl_gauss: sympy expression in mu, sigma
### BEGIN SOLUTION
kl_gauss = (sigma ** 2 + mu ** 2 - 1) / 2 - sp.log(sigma)
### END SOLUTION
print("kl_gauss =", kl_gauss)

# %% kind="tests" grade_id="q2_gaussian_kl_tests"
check("q2_gaussian_kl_tests", kl_gauss)
