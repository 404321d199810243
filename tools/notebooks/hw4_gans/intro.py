# %% [markdown]
# # Homework 4: GANs on MNIST, their theory, and discrete optimal transport
#
# *Adapted from Problem Set 3 of MIT CSAIL 6.S978 **Deep Generative Models** (Fall 2024). The
# architectures, the experiments and the point split are theirs; the wording, the code scaffold and
# the tests are ours.*
#
# You will build a small fully connected GAN for MNIST digits, change it in three controlled ways
# and compare, make it conditional on the digit class, then prove (and let sympy and scipy confirm)
# the two classic results about the GAN objective and the duality behind the Wasserstein distance.
#
# | Problem | Topic | Points |
# |---|---|---|
# | P0 | the notebook runs from top to bottom | 1 |
# | P1 | unconditional GAN: networks, losses, update steps | 20 |
# | P2 | three ablations and their comparison | 15 |
# | P3 | conditional GAN | 15 |
# | P4 | optimal discriminator and the Jensen-Shannon form of the objective | 20 |
# | P5 | Kantorovich duality for discrete optimal transport | 20 |
#
# **How this notebook runs.** Cells that train are guarded by `dgmlab.runtime.is_grading()`; sizes come
# from `dgmlab.runtime.pick(full=..., fast=...)`. The *full* mode trains every model for the epochs
# given below on all 60,000 digits: best on a GPU (Colab), but these MLPs are small enough for a CPU
# too, only slower (five models, a few minutes each per 10 epochs on a laptop). With `DGMLAB_FAST=1` every
# cell runs on a few hundred digits for a few dozen steps, so you can check the plumbing on a laptop
# CPU in about a minute. The autograder never trains: it tests your functions on small fixed inputs,
# and grades your trained models from three files that full mode saves in the homework folder:
# `baseline_generator_weights.pt` and `cgan_generator_weights.pt` (the weights of your trained baseline and
# conditional generators, from which the grader draws its own samples) and `hw4_results.json` (every
# model's scores). **Submit these three files together with the notebook.** Figures go to `figures/`, other
# samples to `artifacts/`, next to this notebook (in Colab, on your Google Drive).
#
# **Points per check, and hidden tests.** The test cell after each answer runs a few visible checks and
# prints the points each one earns (with a hint when it fails). Hidden tests, run by the grader only when the
# notebook is graded, decide {HIDDEN} of the {AUTO} autograded points; each test cell says how many of its own. Passing every visible check does not guarantee those.
# **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw4_gans.ipynb` in
# a terminal): it runs every visible check the way the autograder does and lists, per question, the visible
# points earned, the points hidden tests decide, and written answers still empty.
#
# Write every answer as the function or class asked for, keeping its name and signature.

# %% kind="setup"

# %% [markdown]
# Libraries and the experiment sizes used throughout. Read the sizes: they are what *full* mode trains.

# %% locked=true grade_id="imports"
import copy
import json
import math
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
import torch
import torch.nn as nn
import torch.nn.functional as F
from IPython.display import Markdown, display
from scipy.optimize import linprog
from scipy.special import xlogy
from tqdm import tqdm

import dgmlab.data
import dgmlab.plots
from dgmlab.runtime import is_fast, is_grading, pick, run_seed, seed_everything

if is_fast() and device.type == "cpu":
    torch.set_num_threads(1)  # small MLPs on a shared CPU: extra threads only wait for each other
LATENT_DIM = 100                    # noise dimension of every generator
FULL_EPOCHS = 50                    # with the generator average, the baseline reaches 8.5 here (docs/hw4_gans.md)
EPOCHS = pick(full=FULL_EPOCHS, fast=2)  # passes over the training set per model
BATCH_SIZE = 64                     # digits per update (full and fast mode)
N_TRAIN = pick(full=None, fast=640) # None: all 60,000 training digits
N_EVAL = pick(full=5000, fast=300)  # generated digits scored per model
LR, BETAS = 5e-4, (0.5, 0.999)      # Adam for both players (2e-4 learns ~4x slower here: docs/hw4_gans.md)
AVERAGE_EPOCHS = 2                  # digits are drawn from an average of the generator's last ~2 epochs of weights
FIGURES, ARTIFACTS = Path("figures"), Path("artifacts")
RESULTS = {}                        # filled by the training cells, read by the summary
# graded files: full mode writes them in the homework folder (submit them), fast mode throw-away copies
BASELINE_FILE, CGAN_FILE, RESULTS_FILE = (
    pick(full=Path(name), fast=ARTIFACTS / name.replace(".", "_fast.", 1), grading=Path(name))
    for name in ("baseline_generator_weights.pt", "cgan_generator_weights.pt", "hw4_results.json"))

# %% [markdown]
# The checks inspect your networks by running them and recording which modules are called, in which
# order. Build your networks from `torch.nn` modules (`nn.Linear`, `nn.LeakyReLU`, `nn.Dropout`,
# `nn.Tanh`, `nn.Embedding`) rather than their functional forms so that they can be seen.
