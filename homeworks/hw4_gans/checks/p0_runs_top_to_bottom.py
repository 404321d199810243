"""hw4_gans' checks of P0 (p0_runs_top_to_bottom.py): the whole notebook runs; its inputs, probe, visible test and
``CHECKS``.
"""
from __future__ import annotations

import json
import math

from dgmlab.probes import (
    CheckSpec,
    _torch,  # lazy imports
    attempt,
)
from dgmlab.probes.points import points

from .common import BASELINE_FILE, CGAN_FILE, EXPERIMENTS, FULL_EPOCHS, RESULTS_FILE, _seed_torch, _seeded

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


def _finite_number(value) -> bool:
    """A JSON number a float holds: not ``true``/``false``, not an integer of hundreds of digits."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def results_file_problems(data: bytes) -> list[str]:
    """What ``hw4_results.json`` (its bytes, as handed in) lacks for the hand-in, each said after the file's name
    (``"records no result for cgan: ..."``); ``[]`` when it holds every model's full-mode result. P0's hidden test
    fails on the first; ``dgmlab check`` lists them all (:data:`HAND_IN_FILES`)."""
    if not len(data) < 100_000:
        return ["is far larger than the notebook writes"]
    try:
        saved = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        return [f"is not valid JSON: {exc}"]
    models = (*EXPERIMENTS, "cgan")
    got = {name: saved.get(name) for name in models} if isinstance(saved, dict) else {}
    absent = [name for name in models if not isinstance(got.get(name), dict)]
    out = []
    if absent:
        names = absent[0] if len(absent) == 1 else ", ".join(absent[:-1]) + " and " + absent[-1]
        out.append(f"records no result for {names} ({len(models) - len(absent)} of the {len(models)} models the "
                   f"hand-in needs): run {'its training cell' if len(absent) == 1 else 'their training cells'} "
                   "in full mode")
    for name, r in got.items():
        if name in absent:
            continue
        if not (r.get("epochs") == FULL_EPOCHS and r.get("data") == "full"):
            out.append(f"records {name} not trained in full mode ({FULL_EPOCHS} epochs on all MNIST digits): "
                       f"epochs={r.get('epochs')}, data={r.get('data')}")
        elif not _finite_number(r.get("mnist_score")):
            out.append(f"records an MNIST classifier score for {name} that is not a finite number")
    accuracy = got["cgan"].get("conditional_accuracy") if "cgan" not in absent else 0
    if not (_finite_number(accuracy) and 0 <= accuracy <= 1):
        out.append("records a conditional accuracy for cgan that is not a share (from 0 to 1)")
    return out


HAND_IN_FILES = {RESULTS_FILE: results_file_problems}  # what dgmlab check reads in a handed-in file (dgmlab.handin)

CHECKS = [
    CheckSpec("p0_tests", hidden_for="every piece run on small inputs, and the results file against the weights", names=P0_NAMES, visible=(test_everything_is_defined,), probe=_p0_probe,
              inputs=_p0_inputs, files=(RESULTS_FILE, BASELINE_FILE, CGAN_FILE)),
]
