"""hw5_explicit's graded networks, compared by what they compute (:mod:`dgmlab.grading.copies.networks`): P1's
PixelCNN (each pixel's Bernoulli logit on fixed digits) and P2's Real NVP (the latents of fixed digits), both listed
and refused only as the same network (``SAME``: independent Real NVPs agree up to 0.83)."""
import torch

from dgmlab import artifacts
from dgmlab.grading.copies.networks import N_INPUTS, SAME, KitNetwork
from homeworks.hw5_explicit.checks import P1_WEIGHTS_FILE, P2_WEIGHTS_FILE

from . import p1_masked_cnn_inpainting as p1
from . import p2_real_nvp_mnist as p2
from .references import grading_digits


def _pixel_logits(model):
    """Each pixel's Bernoulli logit given the pixels before it, on fixed binarized digits. (Not its log-likelihood:
    that is dominated by the pixel's own value, the same for every model, and independent models agree 0.88 on it.)"""
    return model(grading_digits(N_INPUTS, scale="binary")).float()


def _flow_latents(flow):
    """The latents of fixed digits, dequantized at the middle of each bin, through flow_bits_per_dim's logit."""
    alpha = 1e-6
    y = (torch.round(grading_digits(N_INPUTS, scale="[0,1]").reshape(N_INPUTS, -1) * 255) + 0.5) / 256
    s = alpha + (1 - 2 * alpha) * y
    z, _ = flow(torch.log(s) - torch.log1p(-s))
    return z


def networks(course) -> list:
    return [KitNetwork("hw5_explicit", P1_WEIGHTS_FILE, p1.MAX_P1_BYTES,
                       lambda s: artifacts.load_weights(p1._KitPixelCNN(), s, constant_buffers=True),
                       _pixel_logits, refuse=SAME),
            KitNetwork("hw5_explicit", P2_WEIGHTS_FILE, p2.MAX_P2_BYTES,
                       lambda s: artifacts.load_weights(p2._KitRealNVP(784, 256, 6), s, constant_buffers=True),
                       _flow_latents, SAME, SAME)]
