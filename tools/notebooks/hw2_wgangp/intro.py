# %% [markdown]
# # Homework 2: f-GAN bounds, properties of $W_1$, and WGAN-GP with residual networks
#
# This homework is adapted from Homework 3 of **CSE 599i, *Generative Models***: its problems,
# formulas, architectures and hyper-parameters are kept, restated in our own words, and
# extended with auto-graded companions (sympy, POT and scipy checks, unit tests of the
# WGAN-GP pieces). Credit for the original problems goes to that course.
#
# **Points (100 in total).**
#
# | Part | Problem | Written (hand-graded) | Auto-graded | Total |
# |---|---|---|---|---|
# | Analysis | P1 KL as a variational supremum | 5 | 5 | 10 |
# | | P2 reverse KL | 5 | 5 | 10 |
# | | P3 $W_1(p, p_\sigma) \le \sigma\sqrt d$ | 5 | 5 | 10 |
# | | P4 triangle inequality of discrete $W_1$ | 4 | 6 | 10 |
# | Implementation | P5 WGAN-GP on MNIST | 4 | 34 | 38 |
# | | P6 WGAN-GP on CIFAR-10 | 8 | 14 | 22 |
# | | **total** | 31 | 69 | **100** |
#
# Analysis is 40% of the grade, implementation 60%.
#
# **How to work.** Fill in every code cell marked `# COMPLETE`, and replace the line *Write your
# answer here* of every written answer cell. Training cells only run outside
# grading; with `DGMLAB_FAST=1` they run a tiny version so you can check the whole
# notebook end to end in a minute or two. Real training (P5, P6) needs a GPU (Colab works).
# **Hand in** this notebook **and** `p5_generator_weights.pt`, the generator P5's full training saves in the
# homework folder (it is graded from the samples it draws, 2 points).
#
# **Points per check, and hidden tests.** Run the test cell below each answer cell: it runs a few visible
# checks, prints the points each one earns (with a hint when it fails) and the cell's visible total. Hidden
# tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} auto-graded points; each test cell
# says how many of its own. Passing every visible check does not guarantee those.
# **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw2_wgangp.ipynb`
# in a terminal): it runs every visible check the way the autograder does and lists, per problem, the
# visible points earned, the points hidden tests decide, and written answers still empty.

# %% kind="setup"

# %% locked=true grade_id="imports"
import math
import copy
import warnings

import numpy as np
import sympy as sp
import torch
import torch.nn as nn
import torch.nn.functional as F
import ot
from scipy.optimize import linprog
from tqdm.auto import tqdm

import dgmlab
import dgmlab.data
from dgmlab import plots, runtime
try:
    from dgmlab import metrics
except ImportError:  # an older dgmlab without the metrics module
    metrics = None
# float(loss) on a tensor that carries a graph is fine here; silence torch's reminder
warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True")
if runtime.is_fast():   # fast and grading mode: small tensors, where extra threads only contend on a busy CPU
    torch.set_num_threads(1)
