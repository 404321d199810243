"""hw4_gans' checks of P0 (p0_runs_top_to_bottom.py): the whole notebook runs; its inputs, probe, visible test and
``CHECKS``.
"""
from __future__ import annotations

from dgmlab.probes import (
    CheckSpec,
    _torch,  # lazy imports
    attempt,
)
from dgmlab.probes.points import points

from .common import BASELINE_FILE, CGAN_FILE, EXPERIMENTS, RESULTS_FILE, _seed_torch, _seeded

# ------------------------------------------------------------------ P0
P0_NAMES = ("Generator", "Discriminator", "discriminator_loss", "generator_loss", "discriminator_step",
            "generator_step", "make_gan", "train_gan", "ConditionalGenerator", "ConditionalDiscriminator",
            "cgan_discriminator_step", "cgan_generator_step", "V_point", "D_star", "second_derivative", "D_star_pi",
            "C_point", "virtual_criterion", "js_divergence", "ot_primal", "ot_dual")


def _p0_inputs(seed):
    return _seeded(seed, 40)


def _p0_probe(o, x):
    import numpy as np

    torch = _torch()
    _seed_torch(x)

    def pieces():
        with torch.no_grad():
            img = o["Generator"]()(torch.randn(2, 100))
            o["Discriminator"]().eval()(img)
            cond = o["ConditionalGenerator"]()(torch.randn(2, 100), torch.arange(2))
            o["ConditionalDiscriminator"]().eval()(cond, torch.arange(2))
        for name in EXPERIMENTS:
            o["make_gan"](name)
        p = np.array([0.5, 0.5])
        float(o["virtual_criterion"](p, p))
        float(o["js_divergence"](p, p))
        o["ot_primal"](p, p, np.eye(2))
        o["ot_dual"](p, p, np.eye(2))
        return True

    return {"defined": len(o), "pieces": attempt(pieces)}


@points(0.25)
def test_everything_is_defined(v, ref):
    if v.defined != len(P0_NAMES):
        raise AssertionError(
            f"expected every answer defined, found {v.defined} of {len(P0_NAMES)} (run every cell in order)")


CHECKS = [
    CheckSpec("p0_tests", hidden_for="every piece run on small inputs, and the results file against the weights", names=P0_NAMES, visible=(test_everything_is_defined,), probe=_p0_probe,
              inputs=_p0_inputs, files=(RESULTS_FILE, BASELINE_FILE, CGAN_FILE)),
]
