"""hw5_explicit's graded test cells: what each hands the grader and its visible tests.

The hidden tests are the grader's (``homeworks/hw5_explicit/hidden/``, never in the student package); they read
the values each probe returns as the visible tests do, ``test_x(v, ref)``. Nothing here answers a question: the
probes call the student's functions and classes on inputs (and on toy models and flows of their own that are not
answers), and keep what comes back; the visible tests check form and easy cases and compare values on the working
seed's inputs with ``ref``, what the grader's references gave on them, recorded with the kit.

One module per part, named as its percent file (its inputs, probes, visible tests and CheckSpecs), and
:mod:`.common` for what several parts use; :data:`CHECKS` lists every part's cells in notebook order.
"""
from __future__ import annotations

from . import (
    p1_masked_cnn_inpainting,
    p2_real_nvp_mnist,
    p2_weights_file,
    q1_classifying_through_a_decoder,
    q2_data_to_latent_flows,
    q3_jensen_shannon_divergence,
    q4_frechet_distance,
)
from .common import P1_WEIGHTS_FILE, P2_WEIGHTS_FILE, as_stated, symbols
from .p1_masked_cnn_inpainting import P1_VISIBLE_BAR_ACCURACY, _layout_pixelcnn
from .p2_real_nvp_mnist import ALPHAS, TINY_Y, alternating_mask
from .p2_weights_file import P2_VISIBLE_BAR_LOG_DET, P2_VISIBLE_BAR_Z2, _layout_realnvp

CHECKS = [*q1_classifying_through_a_decoder.CHECKS, *q2_data_to_latent_flows.CHECKS,
          *q3_jensen_shannon_divergence.CHECKS, *q4_frechet_distance.CHECKS, *p1_masked_cnn_inpainting.CHECKS,
          *p2_real_nvp_mnist.CHECKS, *p2_weights_file.CHECKS]

__all__ = ["ALPHAS", "CHECKS", "P1_VISIBLE_BAR_ACCURACY", "P1_WEIGHTS_FILE", "P2_VISIBLE_BAR_LOG_DET",
           "P2_VISIBLE_BAR_Z2", "P2_WEIGHTS_FILE", "TINY_Y", "_layout_pixelcnn", "_layout_realnvp", "alternating_mask",
           "as_stated", "symbols"]
