# %% [markdown]
# # Homework 2: f-GAN bounds, properties of $W_1$, and WGAN-GP with residual networks
#
# *Adapted from Homework 3 of CSE 599i, "Generative Models": its problems, formulas, architectures
# and hyper-parameters, restated in our words.*
#
# Part I (40 points) proves that the KL and reverse KL divergences are suprema over critics and
# that $W_1$ is a well-behaved metric, each with a numerical companion. Part II (60 points)
# builds a WGAN-GP with residual networks and trains it on MNIST and CIFAR-10 (a GPU is needed).
#
# **Your answers.** Replace `raise NotImplementedError()` in each `# COMPLETE` cell; the test cell after it
# tries your answer and prints what it finds, with a hint saying what is wrong when something is. *Write your
# answer here* cells are marked by hand.
#
# **Hand in** this notebook and `p5_generator_weights.pt`, which P5's training saves in the homework
# folder.

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
from dgmlab import metrics, plots, runtime
# float(loss) on a tensor that carries a graph is fine here; silence torch's reminder
warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True")
if runtime.is_fast():   # small tensors: extra threads only contend
    torch.set_num_threads(1)
