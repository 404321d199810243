# %% [markdown]
# # Homework 1: normalizing flows, the Wasserstein distance, and a Wasserstein GAN on MNIST
#
# *Adapted from Homework 2 of CSDS 600 "Deep Generative Models" (Case Western Reserve
# University, instructor Yu Yin). The questions and the point split (20 / 35 / 45) follow
# that handout; the wording, the code and the tests are ours.*
#
# **How this notebook works.** Run the setup cell first. Cells marked `# COMPLETE` are yours:
# replace `raise NotImplementedError()` with your code. Markdown cells that say
# *Write your answer here* are graded by hand.
#
# **Points per check, and hidden tests.** The test cell after each answer runs a few visible checks,
# prints the points each one earns (with a hint when it fails) and shows the cell's points as its
# result. Hidden tests, run only when the notebook is graded, decide {HIDDEN} of the {AUTO} autograded
# points; each test cell says how many of its own. Passing every visible check does not guarantee those.
# **Self-check before handing in:** run `dgmlab.check()` in a new cell (or `dgmlab check hw1_wgan.ipynb`
# in a terminal): it runs every visible check the way the autograder does and lists, per question, the
# visible points earned, the points hidden tests decide, and written answers still empty.
#
# **Modes.** On a GPU (Colab) the notebook runs the full 40-epoch training of Q3. With
# `DGMLAB_FAST=1` it trains a few dozen steps on a small MNIST sample, just to check that the
# code runs. While nbgrader grades the notebook nothing is trained: your functions are tested
# on small fixed inputs, and your trained generator is scored from the file `generator_weights.pt`
# that Q3 saves in the homework folder. **Submit that file together with the notebook.**
#
# **Where your files go.** The setup cell prints the homework folder: on your own machine, this
# notebook's folder; in Colab, `MyDrive/dgm-course/hw1_wgan/` on your Google Drive (Colab asks once for
# access), because Colab's own disk is wiped when the runtime disconnects. Figures, training checkpoints
# and `generator_weights.pt` are saved there, and every cell that saves a file prints its full path.

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
from dgmlab import checks, plots, runtime

if runtime.is_fast():
    torch.set_num_threads(1)  # small models on a shared CPU (CI, grading): one thread is faster
