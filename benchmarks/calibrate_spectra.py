"""The spectral distance (``weight_vectors.spectral_distance``) of each published generator to its disguised copies
(noise rotated, hidden units permuted: ``tests/network_copies.py``), with noise of 0.1 to 0.5 x each weight
matrix's std added, and to the kit's other runs of the same network (tests/fixtures: an independent seed, early
checkpoints, memorizers tuned from the published one). Prints a markdown table (benchmarks/results/
copies_calibration.md records it):

    nice .venv/bin/python benchmarks/calibrate_spectra.py
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402

from dgmlab.grading.copies import functional_copies as FC  # noqa: E402
from dgmlab.grading.copies import shared_weights as SW  # noqa: E402
from dgmlab.grading.layout import Course  # noqa: E402
from network_copies import permuted_copy, rotated_copy  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
NOISE = (0.0, 0.1, 0.2, 0.3, 0.5)
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


def main() -> None:
    print("| published | " + " | ".join(f"disguised + {s} noise" for s in NOISE) + " | the kit's other runs |")
    print("|---" * (len(NOISE) + 2) + "|")
    for hw, published, others in CASES:
        networks = FC.kit_networks(Course(ROOT), hw)
        pub = SW.weights_of((FIXTURES / published).read_bytes(), networks)
        state = torch.load(FIXTURES / published, weights_only=True)
        disguised = rotated_copy(permuted_copy(state, 3), 3)
        row = [SW.spectral_distance(SW.weights_of(_bytes(_noisy(disguised, s)), networks), pub) for s in NOISE]
        other = [f"{o.removesuffix('_f16.pt')} {SW.spectral_distance(SW.weights_of((FIXTURES / o).read_bytes(), networks), pub):.3f}"
                 for o in others]
        print(f"| {published.removesuffix('_f16.pt')} | " + " | ".join(f"{d:.3f}" for d in row) + " | "
              + ", ".join(other) + " |", flush=True)


if __name__ == "__main__":
    main()
