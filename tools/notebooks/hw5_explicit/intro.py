# %% [markdown]
# # Homework 5: Explicit generative models
#
# Latent-variable classifiers, flows written in the data-to-latent direction, the Jensen-Shannon
# divergence, the Fréchet distance behind FID, and two explicit-likelihood image models: a masked
# CNN (PixelCNN style) that inpaints binarised MNIST digits, and a fully connected Real NVP.
#
# *Adapted, with thanks, from Assignment 2 ("Explicit Methods for Generation") of ECE1508: Deep
# Generative Models at the University of Toronto (summer 2025). The problems are restated here,
# and companion autograded checks were added; the point split is the original's.*
#
# | Part | Topic | Points |
# |---|---|---|
# | Q1 | Discriminative and generative classifiers through a decoder | 15 |
# | Q2 | Flows in the data-to-latent direction | 10 |
# | Q3 | Jensen-Shannon divergence | 15 |
# | Q4 | Fréchet distance (FID) | 10 |
# | P1 | Inpainting with a masked CNN | 25 |
# | P2 | Real NVP on MNIST | 25 |
#
# **How this notebook runs.** Answer cells say `# COMPLETE`; replace the `raise NotImplementedError()`
# with your code. Written answers replace the "Write your answer here" line of the markdown answer cells
# and are graded by hand. Training only runs when you run the notebook yourself (use a GPU for the full
# settings); set `DGMLAB_FAST=1` for a quick smoke run on a CPU.
#
# **Points per check, and hidden tests.** The test cell after each answer runs a few visible checks,
# prints the points each one earns (with a hint when it fails) and shows the cell's points as its
# result. Hidden tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} autograded
# points; each test cell says how many of its own. Passing every visible check does not guarantee those.
# **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw5_explicit.ipynb`
# in a terminal): it runs every visible check the way the autograder does and lists, per question, the
# visible points earned, the points hidden tests decide, and written answers still empty.

# %% kind="setup"

# %% [markdown]
# Libraries used throughout.

# %% locked=true grade_id="imports"
import math
from pathlib import Path

import numpy as np
import sympy as sp
import torch
import torch.nn as nn
import torch.nn.functional as F
import matplotlib.pyplot as plt
from scipy.optimize import minimize_scalar
from tqdm.auto import tqdm

import dgmlab
import dgmlab.data
from dgmlab import plots, runtime

FIGURES = Path("figures")
if runtime.is_fast():
    torch.set_num_threads(1)   # fast and grading runs use tiny tensors: extra threads only add overhead
