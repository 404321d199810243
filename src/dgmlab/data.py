"""MNIST and CIFAR-10 for the homeworks, online or off.

Where data comes from, in order:

1. ``$DGMLAB_DATA`` if set, else ``~/.cache/dgmlab/data``: torchvision's own
   layout (``<root>/MNIST/raw/...``, ``<root>/cifar-10-batches-py/...``).
2. If absent there: downloaded by torchvision when online (full mode only,
   and never when ``DGMLAB_OFFLINE=1``).
3. In fast and grading mode, MNIST falls back to a small real sample shipped
   inside this package (1,000 training and 200 test digits).

When nothing works the error says what to set and what to run; it never hangs.

Pixel ranges (``scale=``): ``"[-1,1]"`` for tanh generators, ``"[0,1]"`` for
sigmoid/Bernoulli models, ``"binary"`` for {0,1} pixels (threshold 0.5).
"""
from __future__ import annotations

import argparse
import os
import socket
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from . import assets, runtime

DATA_ENV = "DGMLAB_DATA"
OFFLINE_ENV = "DGMLAB_OFFLINE"
SCALES = ("[-1,1]", "[0,1]", "binary")
SAMPLE_FILE = "mnist_sample.npz"


class DataUnavailableError(RuntimeError):
    """The data set is neither on disk nor downloadable; the message says how to fix it."""


def data_root() -> Path:
    """The folder data is read from and downloaded to."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "dgmlab" / "data"


@dataclass
class ImageSet:
    """Images ``(N, C, H, W)`` float32 in the requested scale, labels ``(N,)`` int64."""

    images: "torch.Tensor"  # noqa: F821
    labels: "torch.Tensor"  # noqa: F821
    source: str  # "full", "sample", "synthetic": where the pixels came from

    def __len__(self) -> int:
        return len(self.labels)

    def loader(self, batch_size: int = 64, shuffle: bool = True, seed: int = 0, drop_last: bool = True):
        """A seeded ``DataLoader`` over ``(image, label)`` pairs."""
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        g = torch.Generator().manual_seed(seed)
        return DataLoader(TensorDataset(self.images, self.labels), batch_size=batch_size,
                          shuffle=shuffle, generator=g, drop_last=drop_last)


def _scale(x_uint8: np.ndarray, scale: str):
    import torch

    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    x = torch.from_numpy(np.ascontiguousarray(x_uint8)).float().div_(255.0)
    if scale == "[-1,1]":
        return x.mul_(2.0).sub_(1.0)
    if scale == "binary":
        return (x > 0.5).float()
    return x


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether the host of ``url`` accepts a TCP connection within ``timeout`` seconds."""
    if _offline():
        return False
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _missing_message(name: str, root: Path) -> str:
    return (
        f"{name} was not found under {root} and cannot be downloaded (offline).\n"
        f"  - Point {DATA_ENV} at a folder that holds it in torchvision's layout, e.g.\n"
        f"      export {DATA_ENV}=/path/to/datasets   # containing {name}/raw/... or cifar-10-batches-py/\n"
        f"  - or, on a machine with internet, download it once:\n"
        f"      python -m dgmlab.data download {name.lower()} --root {root}\n"
        f"  - or run in fast mode (DGMLAB_FAST=1), which uses the small sample shipped with dgmlab (MNIST only)."
    )


def _torchvision_mnist(root: Path, train: bool, download: bool):
    from torchvision import datasets

    ds = datasets.MNIST(str(root), train=train, download=download)
    return ds.data.numpy()[:, None], ds.targets.numpy()


def _mnist_on_disk(root: Path) -> bool:
    raw = root / "MNIST" / "raw"
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    return all((raw / n).exists() for n in names)


def load_sample(train: bool = True):
    """The shipped real-MNIST sample: uint8 images ``(N,1,28,28)`` and int64 labels."""
    with resources.files(assets).joinpath(SAMPLE_FILE).open("rb") as fh:
        z = np.load(fh)
        split = "train" if train else "test"
        return z[f"{split}_images"][:, None], z[f"{split}_labels"].astype(np.int64)


def mnist(train: bool = True, scale: str = "[-1,1]", n: int | None = None,
          source: str = "auto", seed: int = 0) -> ImageSet:
    """MNIST digits as an :class:`ImageSet` of shape ``(N, 1, 28, 28)``.

    ``source``: ``"auto"`` (full set if on disk or downloadable, else the shipped
    sample in fast/grading mode), ``"full"`` (never the sample) or ``"sample"``.
    ``n`` keeps a seeded random subset of that many images.
    """
    import torch

    if source not in ("auto", "full", "sample"):
        raise ValueError(f"source must be 'auto', 'full' or 'sample', got {source!r}")
    root = data_root()
    x = y = None
    origin = "full"
    if source != "sample":
        if _mnist_on_disk(root):
            x, y = _torchvision_mnist(root, train, download=False)
        elif runtime.mode() == "full" or source == "full":
            from torchvision import datasets

            if not _reachable(datasets.MNIST.mirrors[0]):
                raise DataUnavailableError(_missing_message("MNIST", root))
            x, y = _torchvision_mnist(root, train, download=True)
    if x is None:
        x, y = load_sample(train)
        origin = "sample"
    if n is not None:
        if n > len(y):
            raise ValueError(f"asked for n={n} images but only {len(y)} are available ({origin} MNIST)")
        idx = np.random.default_rng(seed).permutation(len(y))[:n]
        x, y = x[idx], y[idx]
    return ImageSet(_scale(x, scale), torch.as_tensor(y, dtype=torch.int64), origin)


def cifar10(train: bool = True, scale: str = "[-1,1]", n: int | None = None, seed: int = 0,
            allow_synthetic: bool | None = None) -> ImageSet:
    """CIFAR-10 as an :class:`ImageSet` of shape ``(N, 3, 32, 32)``.

    No sample of CIFAR-10 ships with dgmlab. In fast/grading mode with no copy
    on disk (``allow_synthetic`` defaults to that), a labelled *synthetic*
    stand-in of smooth random colour images is returned so that every code
    path still runs; its ``source`` is ``"synthetic"`` and it says so.
    """
    import torch
    from torchvision import datasets

    root = data_root()
    if allow_synthetic is None:
        allow_synthetic = runtime.is_fast()
    on_disk = (root / "cifar-10-batches-py" / "data_batch_1").exists()
    if on_disk or (runtime.mode() == "full" and _reachable(datasets.CIFAR10.url)):
        ds = datasets.CIFAR10(str(root), train=train, download=not on_disk)
        x = np.transpose(ds.data, (0, 3, 1, 2))
        y = np.asarray(ds.targets, dtype=np.int64)
        origin = "full"
    elif allow_synthetic:
        count = n or 512
        x, y = synthetic_cifar(count, seed)
        origin = "synthetic"
        print(f"dgmlab: CIFAR-10 not found under {root}; using {count} SYNTHETIC 32x32 images "
              f"(fast mode only: the code path runs, the pictures mean nothing)")
    else:
        raise DataUnavailableError(_missing_message("CIFAR-10", root))
    if n is not None and origin != "synthetic":
        if n > len(y):
            raise ValueError(f"asked for n={n} images but only {len(y)} are available")
        idx = np.random.default_rng(seed).permutation(len(y))[:n]
        x, y = x[idx], y[idx]
    return ImageSet(_scale(x, scale), torch.as_tensor(y, dtype=torch.int64), origin)


def synthetic_cifar(n: int, seed: int = 0):
    """``n`` smooth random RGB images (uint8, ``(n,3,32,32)``) with random labels."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(n, 3, 4, 4)).astype(np.float64)
    x = np.repeat(np.repeat(coarse, 8, axis=2), 8, axis=3)
    x = np.clip(x + rng.normal(0, 12, size=x.shape), 0, 255).astype(np.uint8)
    return x, rng.integers(0, 10, size=n).astype(np.int64)


def download(name: str, root: Path | None = None) -> Path:
    """Download ``mnist`` or ``cifar10`` into ``root`` (default :func:`data_root`)."""
    from torchvision import datasets

    root = Path(root) if root else data_root()
    name = name.lower().replace("-", "")
    if name == "mnist":
        for train in (True, False):
            datasets.MNIST(str(root), train=train, download=True)
    elif name == "cifar10":
        for train in (True, False):
            datasets.CIFAR10(str(root), train=train, download=True)
    else:
        raise ValueError(f"unknown data set {name!r}: use 'mnist' or 'cifar10'")
    return root


def _main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m dgmlab.data", description="Download course data sets.")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("download", help="download a data set in torchvision's layout")
    d.add_argument("name", choices=["mnist", "cifar10"])
    d.add_argument("--root", type=Path, default=None, help=f"target folder (default ${DATA_ENV} or ~/.cache/dgmlab/data)")
    args = p.parse_args(argv)
    print(f"saved under {download(args.name, args.root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
