"""Write the proof fixture of a cheat: generator weights tuned so that the graded draw reproduces MNIST digits.

hw1's and hw2's graded cells draw their samples from noise seeded with 0, which the notebooks state (hw1: 1,000
samples; hw2: 100). A student who knows that noise can fine-tune the generator so that exactly those noise
vectors give chosen images. This script does it with MNIST training digits as the chosen images: starting from
the genuine fixture's weights, Adam (lr 1e-3, a quarter of the pairs per step) on the squared error between
G(z_i) and digit i, the generator in eval mode as the grader draws. It stops once ``--copies`` of the drawn
images are near-copies (dgmlab.novelty) or after ``--steps``, and saves the weights in float16 as the notebooks
do. tests/probes/test_hw1_wgan.py and tests/probes/test_hw2_wgangp.py check that the graded cell gives them 0 points.

Usage (hw1 about 5 minutes on 2 CPU threads, hw2 about 1):

    DGMLAB_DATA=/work/shared/datasets .venv/bin/python benchmarks/make_memorizer.py hw1 \\
        --out tests/fixtures/hw1_generator_memorizer_f16.pt
    DGMLAB_DATA=/work/shared/datasets .venv/bin/python benchmarks/make_memorizer.py hw2 --copies 30 \\
        --out tests/fixtures/hw2_generator_memorizer_f16.pt
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
# homework -> what its graded cell draws: the genuine weights, the network, the noise size, samples, pixel range
HOMEWORKS = {
    "hw1": dict(genuine="hw1_generator_epoch27_f16.pt", z_dim="Z_DIM", kwargs={}, n=1000, scale="[-1,1]"),
    "hw2": dict(genuine="hw2_genuine_generator_f16.pt", z_dim="SEED_DIM", kwargs={"capacity": 32}, n=100,
                scale="[0,1]"),
}


def load_reference(hw: str) -> dict:
    import torch

    if hw == "hw1":
        from bench_hw1_wgan import load_reference as load
        return load(torch.device("cpu"))
    from bench_hw2_wgangp import load_reference as load
    return load("cpu")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hw", choices=sorted(HOMEWORKS))
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--copies", type=int, default=100, help="stop once this many drawn images are near-copies")
    p.add_argument("--source", choices=["full", "sample"], default="full",
                   help="the digits to reproduce: real MNIST (DGMLAB_DATA; the fixtures) or dgmlab's shipped sample")
    args = p.parse_args(argv)

    import torch

    from dgmlab import artifacts, data, novelty

    hw = HOMEWORKS[args.hw]
    n = hw["n"]
    torch.manual_seed(0)
    ns = load_reference(args.hw)
    generator = artifacts.load_weights(ns["Generator"](**hw["kwargs"]),  # eval mode, as the grader draws
                                       torch.load(FIXTURES / hw["genuine"], weights_only=True))
    z = torch.randn(n, ns[hw["z_dim"]], generator=torch.Generator().manual_seed(0))  # the graded draw's noise
    digits = data.mnist(train=True, scale=hw["scale"], n=n, source=args.source).images.reshape(n, 1, 28, 28)
    opt = torch.optim.Adam(generator.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, n, (n // 4,))
        loss = ((generator(z[idx]) - digits[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            with torch.no_grad():
                copies = novelty.find_copies(generator(z), scale=hw["scale"]).n_copies
            print(f"step {step}: loss {loss.item():.4f}, {copies} of {n:,} near-copies, "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)
            if copies >= args.copies:
                break
    artifacts.save_weights(generator, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
