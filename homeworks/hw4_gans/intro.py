# %% [markdown]
# # Homework 4: GANs on MNIST, their theory, and discrete optimal transport
#
# You will build a small GAN for MNIST, change it in three controlled ways, make it conditional on the digit,
# then derive the optimal discriminator, the Jensen-Shannon form of the GAN objective, and the duality behind
# the Wasserstein distance. *Adapted from Problem Set 3 of MIT 6.S978 Deep Generative Models (Fall 2024).*
#
# **Problems** (points): P0 runs top to bottom (1); P1 unconditional GAN (20); P2 three ablations (15);
# P3 conditional GAN (15); P4 the GAN objective (20); P5 Kantorovich duality (20). P1 to P5 carry the handout's
# points, split differently inside P4 and P5: here half of P4's 20 points go to sympy and numpy code, and P5's 20
# to the handout's derivation of the dual (6) and two linear programs to code (7 each), which the handout does not ask.
#
# **Points.** Each test cell prints the points your answer earns on its visible tests as you work, and how many more
# the hidden tests decide, and for which requirement. Written answers are marked by hand.
#
# **Hyperparameters are fixed here** (learning rate, epochs, batch size), unlike the handout's "you may need to
# adjust": P0 asks for every model's results after the notebook's 50 epochs. A GPU helps: on a CPU the five 50-epoch
# runs take hours.
#
# **Hand in** this notebook, run top to bottom, the report PDF the handout asks for, and the four files the notebook
# saves in the homework folder (`MyDrive/dgm-course/hw4_gans/` in Colab): `baseline_generator_weights.pt`,
# `baseline_training_record.pt` (the run that made them), `cgan_generator_weights.pt`, `hw4_results.json` (the last
# cell says why).

# %% kind="setup"

# %% [markdown]
# Libraries and the experiment sizes used throughout.

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
FULL_EPOCHS = 50                    # passes over the training set per model
EPOCHS = pick(full=FULL_EPOCHS, fast=2)
BATCH_SIZE = 64                     # digits per update
N_TRAIN = pick(full=None, fast=640) # None: all 60,000 training digits
N_EVAL = pick(full=5000, fast=300)  # generated digits scored per model
LR, BETAS = 5e-4, (0.5, 0.999)      # Adam for both players
AVERAGE_EPOCHS = 2                  # digits are drawn from an average of the generator's last ~2 epochs of weights
FIGURES, ARTIFACTS = Path("figures"), Path("artifacts")
RESULTS = {}                        # filled by the training cells, read by the summary
# the files handed in with the notebook, written in the homework folder
BASELINE_FILE, CGAN_FILE, RESULTS_FILE = (
    pick(full=Path(name), fast=ARTIFACTS / name.replace(".", "_fast.", 1))
    for name in ("baseline_generator_weights.pt", "cgan_generator_weights.pt", "hw4_results.json"))
BASELINE_RECORD = pick(full=Path("baseline_training_record.pt"), fast=ARTIFACTS / "baseline_training_record_fast.pt")

