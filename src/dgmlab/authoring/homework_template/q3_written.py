# %% [markdown]
# ## Q3 (2 points): why by value?
#
# In two or three sentences: why is Q2 graded by comparing `kl_gauss` with the answer at points rather than by
# checking `sp.simplify(kl_gauss - answer) == 0`?

# %% [markdown] kind="written" grade_id="q3_why_exact" points=2
# Equal expressions come in forms (a log left unexpanded, a Piecewise, erf against erfc) that `simplify` may not
# reduce to 0, or only slowly, so a correct answer could lose its points; a wrong formula that matches at five
# points in each symbol's domain to 1e-12 is practically impossible. Exact numbers are still required, so a
# rounded 0.5 never stands in for 1/2.
# Marking: correct forms that `simplify` may not reduce to 0 (1); a wrong formula matching at the points is
# practically impossible (1).
