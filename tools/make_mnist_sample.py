"""Build src/dgmlab/assets/mnist_sample.npz: a fixed real-MNIST sample shipped with dgmlab.

Usage: DGMLAB_DATA=../shared/datasets python tools/make_mnist_sample.py

Takes 1,000 training and 200 test digits (100 and 20 per class, chosen with a
fixed seed) from MNIST in torchvision's raw layout. MNIST is by Yann LeCun,
Corinna Cortes and Christopher J.C. Burges, made available under the terms of
the Creative Commons Attribution-Share Alike 3.0 licence.
"""
import os
from pathlib import Path

import numpy as np
from torchvision import datasets

PER_CLASS = {"train": 100, "test": 20}
OUT = Path(__file__).resolve().parents[1] / "src" / "dgmlab" / "assets" / "mnist_sample.npz"


def pick(images, labels, per_class, rng):
    idx = np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)])
    idx = rng.permutation(idx)
    return images[idx], labels[idx].astype(np.uint8)


def main():
    root = os.environ.get("DGMLAB_DATA")
    if not root:
        raise SystemExit("set DGMLAB_DATA to the folder holding MNIST/raw (e.g. ../shared/datasets)")
    rng = np.random.default_rng(2024)
    arrays = {}
    for split, train in (("train", True), ("test", False)):
        ds = datasets.MNIST(root, train=train, download=False)
        x, y = pick(ds.data.numpy(), ds.targets.numpy(), PER_CLASS[split], rng)
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = x, y
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
