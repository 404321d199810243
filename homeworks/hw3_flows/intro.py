# %% [markdown]
# # Homework 3: change of variables, volume-preserving flows, and the GAN discriminator
#
# You will compute a density through an invertible map, by hand and with autograd; show that flows with a
# constant Jacobian determinant are not universal; derive the optimal discriminator; and see why a perfect
# one starves the generator. Adapted from Assignment 3 of *Deep Generative Models*
# (Fall 2024, Dr. S. Amini, Sharif University of Technology).
#
# | Problem | Topic | Points |
# |---|---|---|
# | Q1 | Change of variables | 30 |
# | Q2 | Volume-preserving flows | 35 |
# | Q3 | The optimal discriminator | 15 |
# | Q4 | Vanishing generator gradients | 20 |
#
# **Grading.** Each test cell prints the points it gives as you work, and how many more are decided when the
# notebook is graded, and by what. Written answers are graded by hand.
#
# **Hand in** this notebook, run top to bottom, every answer filled in.

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
# Two helpers you may use: `sympy_gap(value, reference, points)` compares sympy expressions numerically
# at a list of points, and `has_float(expr)` finds floats such as `0.333...` in an expression.

# %% locked=true grade_id="helpers"
from dgmlab.probes.asserts import has_float, sympy_gap
