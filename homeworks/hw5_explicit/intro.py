# %% [markdown]
# # Homework 5: Explicit generative models
#
# Explicit-likelihood models: classifiers built on a decoder, flows in the data-to-latent direction, the
# Jensen-Shannon and Fréchet distances, then a masked CNN (PixelCNN) that inpaints MNIST digits and a Real NVP.
# *Adapted, with thanks, from Assignment 2 of ECE1508 (University of Toronto, 2025); its point split.*
#
# | Q1 decoder classifiers | Q2 flows | Q3 Jensen-Shannon | Q4 Fréchet | P1 PixelCNN | P2 Real NVP |
# |---|---|---|---|---|---|
# | 15 | 10 | 15 | 10 | 25 | 25 |
#
# **Checks.** Each test cell checks your answers and prints what it finds. Written answers are marked by hand.
#
# **Hand in** this notebook, run, with `p1_pixelcnn_weights.pt` and `p2_realnvp_weights.pt`, which the
# training cells write with the full settings (use a GPU).

# %% kind="setup"

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

x_sym, z_sym = sp.symbols("x z", real=True)                         # Q2
standard_normal = sp.exp(-z_sym ** 2 / 2) / sp.sqrt(2 * sp.pi)
theta = sp.symbols("theta", positive=True)                          # Q3
