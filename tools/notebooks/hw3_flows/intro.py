# %% [markdown]
# # Homework 3: change of variables, volume-preserving flows, and the GAN discriminator
#
# You will compute a density through an invertible map, exactly and with autograd; show why flows whose
# Jacobian determinant is constant cannot approximate every density; derive the optimal GAN discriminator;
# and see why a perfect discriminator leaves the generator without a gradient.
#
# Adapted from Assignment 3 of *Deep Generative Models* (Fall 2024, Dr. S. Amini, Sharif University of
# Technology): the facts and formulas are theirs; the wording, code, tests and point split are ours.
#
# | Problem | Topic | Points |
# |---|---|---|
# | Q1 | Change of variables for a 3-D triangular map | 30 |
# | Q2 | Volume-preserving flows are not universal approximators | 35 |
# | Q3 | The optimal GAN discriminator | 15 |
# | Q4 | A perfect discriminator makes the generator's gradient vanish | 20 |
# | | **Total** | **100** |
#
# **Grading.** Code and sympy answers go where a cell says `# COMPLETE`, and the check cell after each
# shows its visible points at once; hidden checks decide {HIDDEN} of the {AUTO} autograded points when the
# notebook is graded. Written answers are graded by hand. **Hand in** this notebook; run `dgmlab.check()`
# in a new cell first to see every visible check at once.

# %% kind="setup"

# %% locked=true grade_id="imports"
import math
import numpy as np
import sympy as sp
import torch
import matplotlib.pyplot as plt
from pathlib import Path
from tqdm.auto import tqdm

torch.set_default_dtype(torch.float64)  # derivations are checked to many digits
if dgmlab.runtime.is_fast():
    torch.set_num_threads(1)  # tiny tensors: one thread is faster on a shared CPU
FIGURES = Path("figures")


# %% [markdown]
# The checks compare sympy expressions by evaluating them exactly (to 40 significant digits) at a set of
# points. `sympy_gap(value, reference, points)` does that and `has_float(expr)` spots a float such as
# `0.333...` in an expression; you may use both yourself.

# %% locked=true grade_id="helpers"
from dgmlab.checks import has_float, sympy_gap
