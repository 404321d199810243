"""The hidden-unit distance (``weight_vectors.unit_distance``, ``hidden_units``) of each published generator to its
disguised copies and to the kit's other runs of the same network. Prints a markdown table
(benchmarks/results/copies_calibration.md records it):

    nice .venv/bin/python benchmarks/calibrate_spectra.py [--draws 32] [--seeds 1 2 3]

"Disguised": noise rotated and units permuted (``tests/network_copies.py``), every function-keeping rescaling
(``tests/generator_rescaling.py``, factors exp(U(-a, a)), saved in float16), and the red team's third round
(``tests/sacrificed_units.py``): hw4's tensors renamed, one constant unit per hidden layer (hw4), one dead channel
with huge kernels (hw1, hw2); and the fourth round's (ATTACK4, finding 1) for hw4: every image drawn 1 pixel over
(the output layer's rows rolled by (1, 1), the rows rolled in drawing background). Each column is the largest distance over ``--seeds``; "+ noise s": noise of s x each
weight matrix's std added to the rotated, permuted copy (a copy that no longer computes the same). "Other runs":
tests/fixtures' independent seed, early checkpoints and memorizers (tests/fixtures/README.md), the smallest.
"""
from __future__ import annotations

import argparse
import io
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402

from dgmlab.grading.copies import functional_copies as FC  # noqa: E402
from dgmlab.grading.copies import hidden_units as HU  # noqa: E402
from dgmlab.grading.copies import shared_weights as SW  # noqa: E402
from dgmlab.grading.layout import Course  # noqa: E402
from generator_rescaling import rescaled_generator  # noqa: E402
from network_copies import permuted_copy, rotated_copy  # noqa: E402
from sacrificed_units import constant_units, dead_channel, renamed  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
NOISE = (0.1, 0.2, 0.3)
CASES = [("hw1_wgan", "hw1_generator_epoch27_f16.pt", ["hw1_generator_epoch05_f16.pt", "hw1_generator_memorizer_f16.pt"]),
         ("hw2_wgangp", "hw2_genuine_generator_f16.pt", ["hw2_early_generator_f16.pt", "hw2_generator_memorizer_f16.pt"]),
         ("hw4_gans", "hw4_genuine_baseline_generator_f16.pt",
          ["hw4_seed2_baseline_generator_f16.pt", "hw4_early_baseline_generator_f16.pt"]),
         ("hw4_gans", "hw4_genuine_cgan_generator_f16.pt", ["hw4_early_cgan_generator_f16.pt"])]


def _bytes(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _f16(state: dict) -> dict:
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def _wide(state: dict) -> dict:
    return {k: v.double() if v.is_floating_point() else v for k, v in state.items()}


def _noisy(state: dict, sigma: float) -> dict:
    g = torch.Generator().manual_seed(1)
    return {k: (v.float() + sigma * v.float().std() * torch.randn(v.shape, generator=g)).to(v.dtype)
            if v.is_floating_point() and v.dim() >= 2 else v for k, v in state.items()}


def _one_pixel_over(state: dict, seed: int) -> dict:
    """hw4's generator drawing each image 1 row down and 1 column right (ATTACK4's w/hw4_shift.py)."""
    out = dict(state)
    rows, bias = state["net.6.weight"].reshape(28, 28, -1), state["net.6.bias"].reshape(28, 28)
    rows, bias = torch.roll(rows, (1, 1), (0, 1)).clone(), torch.roll(bias, (1, 1), (0, 1)).clone()
    rows[0], rows[:, 0], bias[0], bias[:, 0] = 0, 0, -5, -5
    out["net.6.weight"], out["net.6.bias"] = rows.reshape(784, -1), bias.reshape(784)
    return out


def disguises(hw: str, state: dict) -> dict:
    """{column: function (seed) -> state} of the function-keeping disguises that apply to ``hw``'s generator."""
    def base(seed, spread=1.5, sacrifice=None):
        s = rescaled_generator(rotated_copy(permuted_copy(_wide(state), seed), seed), seed, spread)
        return s if sacrifice is None else sacrifice(s, seed)

    out = {"rotated, permuted, e^±1.5": lambda seed: _f16(base(seed)),
           "rotated, permuted, 10^±2": lambda seed: _f16(base(seed, math.log(100)))}
    if hw == "hw4_gans":
        out["1a: + renamed"] = lambda seed: renamed(_f16(base(seed)))
        out["1b: + constant units"] = lambda seed: _f16(base(seed, sacrifice=constant_units))
        out["4: + 1 px over"] = lambda seed: _f16(base(seed, sacrifice=_one_pixel_over))
    else:
        out["1c: + dead channel"] = lambda seed: _f16(base(seed, sacrifice=dead_channel))
    return out


def row(hw: str, published: str, others: list, seeds) -> tuple[dict, dict]:
    networks = FC.kit_networks(Course(ROOT), hw)
    pub = SW.weights_of((FIXTURES / published).read_bytes(), networks)
    state = torch.load(FIXTURES / published, weights_only=True)

    def dist(s: dict) -> float | None:
        return SW.unit_distance(SW.weights_of(_bytes(s), networks), pub)

    copies = {name: max((d for seed in seeds if (d := dist(make(seed))) is not None), default=None)
              for name, make in disguises(hw, state).items()}
    noisy = {f"+ noise {s}": dist(_noisy(rotated_copy(permuted_copy(state, 3), 3), s)) for s in NOISE}
    own = {o.removesuffix("_f16.pt"): SW.unit_distance(SW.weights_of((FIXTURES / o).read_bytes(), networks), pub)
           for o in others}
    return copies | noisy, own


def _f(d) -> str:
    return "-" if d is None else f"{d:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=HU.DRAWS, help="batches of 64 noise vectors per signature")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="disguise seeds")
    args = parser.parse_args()
    HU.DRAWS = args.draws
    torch.set_num_threads(1)
    print(f"{args.draws * 64} draws, UNITS_COPY = {SW.UNITS_COPY}, disguise seeds {args.seeds}\n")
    header = None
    for hw, published, others in CASES:
        start = time.time()
        copies, own = row(hw, published, others, args.seeds)
        exact = [d for k, d in copies.items() if "noise" not in k and d is not None]
        if header is None:
            header = ["published", "copies' worst", "other runs' best"]
            print("| " + " | ".join(header) + " | disguises (worst of seeds) | + weight noise (s x std) | "
                  "the kit's other runs | seconds |")
            print("|---" * 7 + "|")
        print(f"| {published.removesuffix('_f16.pt')} | {_f(max(exact, default=None))} | {_f(min((d for d in own.values() if d is not None), default=None))} | "
              + ", ".join(f"{k} {_f(d)}" for k, d in copies.items() if "noise" not in k) + " | "
              + ", ".join(f"{k.removeprefix('+ noise ')} {_f(d)}" for k, d in copies.items() if "noise" in k)
              + " | " + ", ".join(f"{k} {_f(d)}" for k, d in own.items()) + f" | {time.time() - start:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
