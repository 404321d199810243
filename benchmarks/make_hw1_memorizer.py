"""Write the hw1 proof fixture of a cheat: generator weights tuned so that the graded draw reproduces MNIST digits.

hw1's graded cell draws its 1,000 samples from noise seeded with 0, which the notebook states. A student who
knows that noise can fine-tune a generator so that exactly those 1,000 noise vectors give chosen images. This
script does it with 1,000 MNIST training digits as the chosen images: starting from the genuine epoch-27 weights
(tests/fixtures/hw1_generator_epoch27_f16.pt), Adam (lr 1e-3, 250 of the 1,000 pairs per step) on the squared
error between G(z_i) and digit i, the generator in eval mode as the grader draws. It stops once 100 of the 1,000
drawn images are near-copies (dgmlab.novelty) or after ``--steps``, and saves the weights in float16 as the
notebook does. tests/test_hw1_wgan.py checks that the graded cell gives them 0 points (the near-copy check).

Usage (about 5 minutes on 2 CPU threads):

    DGMLAB_DATA=/work/shared/datasets .venv/bin/python benchmarks/make_hw1_memorizer.py \\
        --out tests/fixtures/hw1_generator_memorizer_f16.pt
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_hw1_wgan import load_reference

ROOT = Path(__file__).resolve().parents[1]
GENUINE = ROOT / "tests" / "fixtures" / "hw1_generator_epoch27_f16.pt"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--copies", type=int, default=100, help="stop once this many drawn images are near-copies")
    args = p.parse_args(argv)

    import torch

    from dgmlab import artifacts, data, novelty

    torch.manual_seed(0)
    ns = load_reference(torch.device("cpu"))
    generator = artifacts.load_weights(ns["Generator"](), torch.load(GENUINE, weights_only=True))  # eval mode
    z = torch.randn(1000, ns["Z_DIM"], generator=torch.Generator().manual_seed(0))  # the graded draw's noise
    digits = data.mnist(train=True, scale="[-1,1]", n=1000).images.reshape(1000, 1, 28, 28)
    opt = torch.optim.Adam(generator.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, 1000, (250,))
        loss = ((generator(z[idx]) - digits[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            with torch.no_grad():
                copies = novelty.find_copies(generator(z), scale="[-1,1]").n_copies
            print(f"step {step}: loss {loss.item():.4f}, {copies} of 1,000 near-copies, "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)
            if copies >= args.copies:
                break
    artifacts.save_weights(generator, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
