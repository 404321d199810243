"""Build src/dgmlab/assets/mnist_novelty_index.npz (and its .sha256): the reference of dgmlab.novelty.

Usage: DGMLAB_DATA=/path/to/datasets python tools/build_novelty_index.py

Cleans all 70,000 MNIST digits (60,000 training, then 10,000 test) as
dgmlab.novelty.clean does, and stores their top principal components and each
digit's coordinates on them as int8 (dgmlab.novelty.build_index). Deterministic:
the same MNIST files give the same bytes. Needs real MNIST in torchvision's raw
layout under $DGMLAB_DATA. MNIST is by Yann LeCun, Corinna Cortes and
Christopher J.C. Burges, made available under the terms of the Creative Commons
Attribution-Share Alike 3.0 licence; the index is derived from it.
"""
import hashlib
import io
import os
import time
from pathlib import Path

import numpy as np
import torch

from dgmlab import data, novelty

OUT = Path(__file__).resolve().parents[1] / "src" / "dgmlab" / "assets" / novelty.INDEX_FILE


def main():
    if not os.environ.get(data.DATA_ENV):
        raise SystemExit(f"set {data.DATA_ENV} to the folder holding MNIST/raw (e.g. ../shared/datasets)")
    torch.set_num_threads(1)
    start = time.time()
    images = torch.cat([data.mnist(train=train, scale="[0,1]", source="full").images for train in (True, False)])
    if len(images) != 70_000:
        raise SystemExit(f"expected 70,000 MNIST digits, found {len(images)}")
    arrays = novelty.build_index(images)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # uncompressed: int8 codes barely compress, and np.savez is byte-stable
    OUT.write_bytes(buf.getvalue())
    sha = hashlib.sha256(OUT.read_bytes()).hexdigest()
    OUT.with_name(OUT.name + ".sha256").write_text(f"{sha}  {OUT.name}\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB, {novelty.COMPONENTS} components explaining "
          f"{float(arrays['explained']):.1%} of the cleaned digits' variance) in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
