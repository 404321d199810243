# %% [markdown]
# # Homework 3: change of variables, volume-preserving flows, and the GAN discriminator
#
# This homework is adapted from Assignment 3 of *Deep Generative Models* (Fall 2024, Dr. S. Amini,
# Electrical Engineering Department, Sharif University of Technology). The facts and formulas are theirs;
# the wording, the code, the tests and the point split (theirs gives none) are ours.
#
# | Problem | Topic | Points |
# |---|---|---|
# | Q1 | Change of variables for a 3-D triangular map | 30 |
# | Q2 | Volume-preserving flows are not universal approximators | 35 |
# | Q3 | The optimal GAN discriminator | 15 |
# | Q4 | A perfect discriminator makes the generator's gradient vanish | 20 |
# | | **Total** | **100** |
#
# **How this notebook works.** Code answers go where a cell says `# COMPLETE`; derivations are built as
# `sympy` expressions so they can be checked exactly. Written answers (marked *written*) are graded by
# hand: write them in Markdown with LaTeX. Run the setup cell first.
#
# **Points per check, and hidden tests.** Each graded test cell runs its visible checks, prints the
# points each one earns (with a hint when it fails) and shows the cell's points as its result. Hidden
# tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} autograded points; each
# test cell says how many of its own. Passing every visible check does not guarantee those.
# **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw3_flows.ipynb`
# in a terminal): it runs every visible check the way the autograder does and lists, per question, the
# visible points earned, the points hidden tests decide, and written answers still empty.
#
# Modes: with `DGMLAB_FAST=1` the short training run in Q2 uses a few dozen steps; while the notebook
# is graded nothing is trained.

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
