"""hw2_wgangp's graded network, compared by what it computes (:mod:`dgmlab.grading.copies.networks`): P5's
generator (the kit's ``given_mnist_generator``), run on fixed noise."""
from dgmlab import artifacts
from dgmlab.grading.copies.networks import KitNetwork, noise
from homeworks.hw2_wgangp.checks import MAX_WEIGHTS_BYTES, SEED_DIM, WEIGHTS, given_mnist_generator


def networks(course) -> list:
    return [KitNetwork("hw2_wgangp", WEIGHTS, MAX_WEIGHTS_BYTES,
                       lambda s: artifacts.load_weights(given_mnist_generator(capacity=32), s),
                       lambda g: g(noise(SEED_DIM)))]
