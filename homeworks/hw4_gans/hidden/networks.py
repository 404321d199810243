"""hw4_gans's graded networks, compared by what they compute (:mod:`dgmlab.grading.copies.networks`): the baseline
and conditional generators (``references.mlp_generator``, placed by shape), run on noise drawn from the course key
(the cGAN's with the labels 0-9 in turn)."""
import torch

from dgmlab.grading.copies.networks import N_INPUTS, KitNetwork, noise
from homeworks.hw4_gans.checks import MAX_WEIGHTS_BYTES

from .references import mlp_generator


def networks(course) -> list:
    return [KitNetwork("hw4_gans", name, MAX_WEIGHTS_BYTES,
                       lambda s, c=conditional: mlp_generator(s, in_dim=100, widths=(128, 256, 512),
                                                              embedding=(10, 10) if c else None),
                       (lambda g: g(noise(100), torch.arange(N_INPUTS) % 10)) if conditional else
                       (lambda g: g(noise(100))))
            for name, conditional in (("baseline_generator_weights.pt", False), ("cgan_generator_weights.pt", True))]
