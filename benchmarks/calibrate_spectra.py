"""The spectral distance (``weight_vectors.spectral_distance``) of each published generator to its disguised copies
(noise rotated, hidden units permuted: ``tests/network_copies.py``), with noise of 0.1 to 0.5 x each weight
matrix's std added, or with every function-keeping rescaling applied on top (``tests/generator_rescaling.py``:
factors exp(U(-a, a)) for each kind of rescaling, a = 1.5 as the red team did, ln 10 and ln 100, saved in float16,
and ln 1000 in bfloat16 (float32 files are over the graded files' size); the largest over 5 seeds, "-" where no
seed's copy loads (float16 overflows, or the kit's network runs to NaN)), and to the kit's other runs of the same
network (tests/fixtures: an independent seed, early checkpoints, memorizers tuned from the published one). Prints a markdown table (benchmarks/results/
copies_calibration.md records it); ``--raw`` compares the spectra of the weights as they are, the signature before
the networks were folded and balanced (``weight_spectra``):

    nice .venv/bin/python benchmarks/calibrate_spectra.py [--raw]
"""
from __future__ import annotations

import argparse
import io
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402

from dgmlab.grading.copies import functional_copies as FC  # noqa: E402
from dgmlab.grading.copies import shared_weights as SW  # noqa: E402
from dgmlab.grading.copies import weight_spectra as WS  # noqa: E402
from dgmlab.grading.layout import Course  # noqa: E402
from generator_rescaling import rescaled_generator  # noqa: E402
from network_copies import permuted_copy, rotated_copy  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
NOISE = (0.0, 0.1, 0.2, 0.3, 0.5)
SPREADS = ((1.5, torch.float16, "e^±1.5 f16"), (math.log(10), torch.float16, "10^±1 f16"),
           (math.log(100), torch.float16, "10^±2 f16"), (math.log(1000), torch.bfloat16, "10^±3 bf16"))
SEEDS = range(1, 6)
CASES = [("hw1_wgan", "hw1_generator_epoch27_f16.pt", ["hw1_generator_epoch05_f16.pt", "hw1_generator_memorizer_f16.pt"]),
         ("hw2_wgangp", "hw2_genuine_generator_f16.pt", ["hw2_early_generator_f16.pt", "hw2_generator_memorizer_f16.pt"]),
         ("hw4_gans", "hw4_genuine_baseline_generator_f16.pt",
          ["hw4_seed2_baseline_generator_f16.pt", "hw4_early_baseline_generator_f16.pt"]),
         ("hw4_gans", "hw4_genuine_cgan_generator_f16.pt", ["hw4_early_cgan_generator_f16.pt"])]


def _bytes(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _noisy(state: dict, sigma: float) -> dict:
    g = torch.Generator().manual_seed(1)
    return {k: (v.float() + sigma * v.float().std() * torch.randn(v.shape, generator=g)).to(v.dtype)
            if v.is_floating_point() and v.dim() >= 2 else v for k, v in state.items()}


def _rescaled(state: dict, seed: int, spread: float, dtype) -> dict:
    wide = {k: v.double() if v.is_floating_point() else v for k, v in state.items()}
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in rescaled_generator(wide, seed, spread).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", action="store_true", help="the weights' own spectra, not the balanced network's")
    raw = parser.parse_args().raw
    if raw:
        original = WS.spectra
        WS.spectra = lambda state, balanced=True: original(state, balanced=False)
    print("| published | " + " | ".join(f"disguised + {s} noise" for s in NOISE) + " | "
          + " | ".join(f"disguised, rescaled {label}" for _, _, label in SPREADS) + " | the kit's other runs |")
    print("|---" * (len(NOISE) + len(SPREADS) + 2) + "|")
    for hw, published, others in CASES:
        networks = FC.kit_networks(Course(ROOT), hw)
        pub = SW.weights_of((FIXTURES / published).read_bytes(), networks)
        state = torch.load(FIXTURES / published, weights_only=True)
        disguised = rotated_copy(permuted_copy(state, 3), 3)
        row = [SW.spectral_distance(SW.weights_of(_bytes(_noisy(disguised, s)), networks), pub) for s in NOISE]
        for a, dtype, _ in SPREADS:
            found = [SW.spectral_distance(SW.weights_of(_bytes(_rescaled(disguised, seed, a, dtype)), networks), pub)
                     for seed in SEEDS]
            row.append(max((d for d in found if d is not None), default=None))
        other = [f"{o.removesuffix('_f16.pt')} {SW.spectral_distance(SW.weights_of((FIXTURES / o).read_bytes(), networks), pub):.3f}"
                 for o in others]
        print(f"| {published.removesuffix('_f16.pt')} | " + " | ".join("-" if d is None else f"{d:.3f}" for d in row) + " | "
              + ", ".join(other) + " |", flush=True)


if __name__ == "__main__":
    main()
