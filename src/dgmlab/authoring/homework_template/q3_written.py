# %% [markdown]
# ## Q3 (2 points): why exact?
#
# In two or three sentences: why is Q2 graded by exact symbolic comparison rather than by evaluating
# `kl_gauss` at a few numbers?

# %% [markdown] kind="written" grade_id="q3_why_exact" points=2
# A comparison at a few points passes any expression that agrees there by chance (or one tuned to the points),
# while `simplify(a - b) == 0` proves equality for every mu and sigma > 0; exact rationals also keep a rounded
# constant such as 0.5 from passing as 1/2 only approximately.
