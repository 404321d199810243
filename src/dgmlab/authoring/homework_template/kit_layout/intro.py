# %% [markdown]
# # Homework: Gaussians, in code and exactly
#
# You will write a Gaussian log density in torch, derive a KL divergence in sympy, and explain in words why
# the derivation is checked by value. {AUTO} points are graded automatically ({HIDDEN} of them by checks that
# run only when the notebook is graded); the written answer is graded by hand.
#
# **Hand in** this notebook, run top to bottom, every answer filled in.

# %% kind="setup"
