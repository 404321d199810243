# %% [markdown]
# # Homework 1: normalizing flows, the Wasserstein distance, and a Wasserstein GAN on MNIST
#
# *Adapted from Homework 2 of CSDS 600 "Deep Generative Models" (Case Western Reserve
# University, instructor Yu Yin).*
#
# You will compute a flow's exact likelihood and draw from it, see why KL and JS give a generator
# no useful signal when two distributions barely overlap while the Wasserstein distance does, and
# train a Wasserstein GAN with gradient penalty on MNIST.
#
# **Grading.** Replace `raise NotImplementedError()` in each `# COMPLETE` cell; the test cell after it
# prints the points it gives as you work, with a hint when one fails, and how many more are decided when the
# notebook is graded, and by what. *Write your answer here* cells are graded by hand.
#
# **Hand in** this notebook and `generator_weights.pt`, which Q3 saves in the homework folder.

# %% kind="setup"

# %% locked=true grade_id="imports"
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
import torch
import torch.nn as nn
import torch.distributions as D
from tqdm.auto import tqdm

import dgmlab
import dgmlab.data
from dgmlab import plots, runtime

if runtime.is_fast():
    torch.set_num_threads(1)  # small models: one thread is faster
