"""hw1_wgan's graded network, compared by what it computes (:mod:`dgmlab.grading.copies.networks`): Q3's generator,
in the architecture of the instructor's locked ``wgan_networks`` cell, run on noise drawn from the course key."""
from dgmlab import artifacts
from dgmlab.grading.copies.networks import KitNetwork, instructor_names, noise
from homeworks.hw1_wgan.checks import MAX_WEIGHTS_BYTES, WEIGHTS_FILE


def networks(course) -> list:
    kit = instructor_names(course, "hw1_wgan", "wgan_networks")
    if not kit or "Generator" not in kit:  # the course holds no such cell: its architecture is unknown
        return []
    return [KitNetwork("hw1_wgan", WEIGHTS_FILE, MAX_WEIGHTS_BYTES,
                       lambda s: artifacts.load_weights(kit["Generator"](), s), lambda g: g(noise(kit["Z_DIM"])))]
