"""hw5_explicit's graded networks, compared by what they compute (:mod:`dgmlab.grading.copies.networks`): P1's
PixelCNN (each pixel's Bernoulli logit) and P2's Real NVP (the latents), on shipped test digits the course key picks (never a
public choice), both listed and refused only as the same network (``SAME``: independent Real NVPs agree up to
0.83)."""
import torch

from dgmlab import artifacts
from dgmlab.grading.copies.networks import SAME, KitNetwork, pick
from homeworks.hw5_explicit.checks import P1_WEIGHTS_FILE, P2_WEIGHTS_FILE

from . import p1_masked_cnn_inpainting as p1
from . import p2_real_nvp_mnist as p2
from .references import grading_digits


def _digits(scale: str) -> torch.Tensor:
    """The shipped test digits the course key picks (:func:`dgmlab.grading.copies.networks.pick`)."""
    return grading_digits(200, scale=scale)[pick(200)]


def _pixel_logits(model):
    """Each pixel's Bernoulli logit given the pixels before it, on the key's binarized digits. (Not its log-likelihood:
    that is dominated by the pixel's own value, the same for every model, and independent models agree 0.88 on it.)"""
    return model(_digits("binary")).float()


def _flow_latents(flow):
    """The latents of the key's digits, dequantized at the middle of each bin, through flow_bits_per_dim's logit."""
    alpha = 1e-6
    digits = _digits("[0,1]")
    y = (torch.round(digits.reshape(len(digits), -1) * 255) + 0.5) / 256
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
