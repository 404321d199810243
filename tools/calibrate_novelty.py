"""Calibration table of dgmlab.novelty (docs/novelty.md): how genuine samples and copied digits score.

Usage:
    DGMLAB_DATA=/path/to/datasets python tools/calibrate_novelty.py \
        [--generator path/to/generator_epochNN.pt ...] [--n-copies 2000] [--n-genuine 10000]

Rows, each scored exactly as the graded cell scores a file (dgmlab.novelty.find_copies):

- genuine stand-ins: real MNIST digits scored against the other 69,999 (leave-one-out), the best a
  generator that memorised nothing can do (its digits are new draws from the same distribution);
  samples of hw1's old two-stage WGAN-GP generator (weights from --generator files; the three-stage networks'
  samples are counted by dev/probe_hw1_draw_size.py --copies);
- copies: real digits (half training, half test) as they are, shifted by 1 or 2 pixels (zero-padded)
  in 8 directions, with Gaussian noise (std in [-1, 1] units, clamped), both, and stronger edits a
  cheater might try (rotation, scaling, thicker strokes, blur).

For each row: the share of samples flagged, quantiles of the ratio d1/d2, and how many files of 100
samples drawn from the row would fail (more than dgmlab.novelty.MAX_COPIES flagged).
"""
from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from dgmlab import data, novelty


class Generator(nn.Module):
    """hw1_wgan's Generator (source/hw1_wgan/hw1_wgan.ipynb, cell wgan_networks)."""

    def __init__(self, z_dim=64, width=64):
        super().__init__()
        self.width = width
        self.project = nn.Sequential(nn.Linear(z_dim, 2 * width * 7 * 7), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU())
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, z):
        return self.upsample(self.project(z).view(-1, 2 * self.width, 7, 7))


def shift(x, dy, dx):
    """Move images by (dy, dx) pixels, filling with background (what a cheater would do; no wrap-around)."""
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def noisy(x, std, gen):
    """Gaussian noise of ``std`` in [-1, 1] units (std/2 in [0, 1]), clamped to the pixel range."""
    return (x + torch.randn(x.shape, generator=gen) * std / 2).clamp(0, 1)


def affine(x, degrees=0.0, zoom=1.0):
    a = math.radians(degrees)
    theta = torch.tensor([[math.cos(a) / zoom, -math.sin(a) / zoom, 0.0],
                          [math.sin(a) / zoom, math.cos(a) / zoom, 0.0]]).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def thicker(x):
    return F.max_pool2d(x, 3, stride=1, padding=1) * 0.5 + x * 0.5


def blurred(x, sigma):
    return novelty._blur(x, sigma).clamp(0, 1)


def leave_one_out(images, rows, index):
    """find_copies' rule (with its turns) for real digits ``images`` scored against the index without their own row."""
    return novelty.find_copies(images, scale="[0,1]", index=index, exclude=rows)


def row(name, report):
    """One table row of a CopyReport: flagged share, the unturned ratio's quantiles, the turned ratio's lowest."""
    copied, ratio, n = report.copied, report.ratio, len(report.copied)
    files, files1000 = ([int(copied[i:i + size].sum()) > novelty.allowed_copies(size) for i in range(0, n - n % size, size)]
                        for size in (100, 1000))  # each against the allowance a graded file of that size has
    q = np.quantile(ratio, [0.001, 0.01, 0.5, 0.99])
    qt = np.quantile(report.turned_ratio, [0.001, 0.01])
    return (f"| {name} | {n} | {copied.mean():.2%} | {(report.turned != 0).mean():.2%} | {ratio.min():.2f} | "
            f"{q[0]:.2f} | {q[1]:.2f} | {q[2]:.2f} | {q[3]:.2f} | {report.turned_ratio.min():.2f} | {qt[0]:.2f} | "
            f"{qt[1]:.2f} | {np.median(report.distance):.2f} | {sum(files)} of {len(files)} | "
            f"{sum(files1000)} of {len(files1000)} |")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--generator", action="append", default=[], help="hw1 generator state dict (repeatable)")
    p.add_argument("--n-genuine", type=int, default=10000)
    p.add_argument("--n-copies", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--genuine-only", action="store_true",
                   help="print only the genuine rows (real digits leave-one-out, generators), not the copies")
    args = p.parse_args(argv)
    if not os.environ.get(data.DATA_ENV):
        raise SystemExit(f"set {data.DATA_ENV} to the folder holding MNIST/raw")
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    train = data.mnist(train=True, scale="[0,1]", source="full").images
    test = data.mnist(train=False, scale="[0,1]", source="full").images
    index = novelty.load_index()

    print("| Samples | N | flagged | of which turned | ratio min | ratio 0.1% | ratio 1% | ratio median | ratio 99% "
          "| turned ratio min | turned 0.1% | turned 1% | d1 median | files of 100 failing | files of 1,000 failing |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    half = args.n_genuine // 2
    tr_rows, te_rows = rng.permutation(60000)[:half], rng.permutation(10000)[:args.n_genuine - half]  # test: 10,000 at most
    print(row("real training digits, leave-one-out", leave_one_out(train[tr_rows], tr_rows, index)), flush=True)
    print(row("real test digits, leave-one-out", leave_one_out(test[te_rows], te_rows + 60000, index)), flush=True)
    for path in args.generator:
        g = Generator()
        g.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        g.eval()
        with torch.no_grad():
            x = torch.cat([g(torch.randn(1000, 64, generator=gen)) for _ in range(args.n_genuine // 1000)])
        r = novelty.find_copies(x, scale="[-1,1]")
        print(row(f"WGAN-GP samples, {os.path.basename(path)}", r), flush=True)

    if args.genuine_only:
        return 0
    n2 = args.n_copies // 2
    base = torch.cat([train[rng.permutation(60000)[:n2]], test[rng.permutation(10000)[:args.n_copies - n2]]])
    base = base[torch.as_tensor(rng.permutation(len(base)))]
    dirs = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)]

    def each_dir(s):
        return torch.cat([shift(part, s * dy, s * dx) for part, (dy, dx) in zip(base.chunk(8), dirs)])

    cases = {
        "copies, exact": base,
        "copies shifted 1 px (8 directions)": each_dir(1),
        "copies shifted 2 px (8 directions)": each_dir(2),
        "copies + noise std 0.05": noisy(base, 0.05, gen),
        "copies + noise std 0.1": noisy(base, 0.1, gen),
        "copies + noise std 0.2": noisy(base, 0.2, gen),
        "copies + noise std 0.3": noisy(base, 0.3, gen),
        "copies shifted 1 px + noise 0.1": noisy(each_dir(1), 0.1, gen),
        "copies shifted 2 px + noise 0.1": noisy(each_dir(2), 0.1, gen),
        "copies blurred (sigma 0.7 px)": blurred(base, 0.7),
        "copies with thicker strokes (half a 3x3 dilation)": thicker(base),
        "copies rotated 5 degrees": affine(base, 5),
        "copies rotated 10 degrees": affine(base, 10),
        "copies rotated 15 degrees": affine(base, 15),
        "copies rotated 7 degrees": affine(base, 7),
        "copies rotated 12 degrees": affine(base, 12),
        "copies rotated 20 degrees": affine(base, 20),
        "copies rotated 30 degrees": affine(base, 30),
        "copies rotated 12 degrees + noise 0.1": noisy(affine(base, 12), 0.1, gen),
        "copies zoomed 0.9x": affine(base, zoom=0.9),
        "copies zoomed 1.1x": affine(base, zoom=1.1),
    }
    for name, x in cases.items():
        r = novelty.find_copies(x, scale="[0,1]")
        print(row(name, r), flush=True)

    x100 = test[torch.as_tensor(rng.permutation(10000)[:100])]
    start = time.perf_counter()
    novelty.find_copies(x100, scale="[0,1]")
    print(f"\nfind_copies on 100 samples (index already loaded): {time.perf_counter() - start:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
