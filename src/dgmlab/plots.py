"""Figures the homeworks show: sample grids, interpolation strips, loss curves.

Each function returns a matplotlib ``Figure`` and, given ``save=path``, also
writes it as a PNG (folders created) and prints its full path. Images may be in [-1, 1] or [0, 1];
``(N, C, H, W)`` tensors or arrays, or ``(N, 784)`` for MNIST.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .workspace import saved


def _figure(figsize):
    import matplotlib.pyplot as plt  # headless machines fall back to the Agg backend

    return plt.figure(figsize=figsize)


def to_numpy_images(images) -> np.ndarray:
    """Images as a float array ``(N, H, W, C)`` in [0, 1]."""
    try:
        import torch

        if isinstance(images, torch.Tensor):
            images = images.detach().cpu().float().numpy()
    except ImportError:  # pragma: no cover
        pass
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, 1, 28, 28)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W) or (N, 784), got {x.shape}")
    if x.shape[1] not in (1, 3) and x.shape[-1] in (1, 3):
        x = np.transpose(x, (0, 3, 1, 2))
    if x.min() < -1e-6:  # [-1, 1] -> [0, 1]
        x = (x + 1.0) / 2.0
    return np.clip(np.transpose(x, (0, 2, 3, 1)), 0.0, 1.0)


def _tile(x: np.ndarray, nrow: int, pad: int = 2) -> np.ndarray:
    n, h, w, c = x.shape
    ncol = nrow
    rows = math.ceil(n / ncol)
    canvas = np.ones((rows * (h + pad) + pad, ncol * (w + pad) + pad, c))
    for i in range(n):
        r, k = divmod(i, ncol)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + k * (w + pad): pad + k * (w + pad) + w] = x[i]
    return canvas


def _finish(fig, save):
    if save is not None:
        path = Path(save)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100, bbox_inches="tight")

        saved(path, what="figure saved")
    return fig


def image_grid(images, nrow: int | None = None, title: str | None = None, save=None, scale: float = 0.6):
    """A grid of images (``nrow`` per row; 10 for 100 samples by default)."""
    x = to_numpy_images(images)
    nrow = nrow or max(1, int(math.ceil(math.sqrt(len(x)))))
    canvas = _tile(x, nrow)
    fig = _figure((scale * nrow, scale * math.ceil(len(x) / nrow) + (0.4 if title else 0)))
    ax = fig.add_subplot(111)
    ax.imshow(canvas.squeeze(-1) if canvas.shape[-1] == 1 else canvas, cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return _finish(fig, save)


def interpolation_strip(rows, title: str | None = None, save=None, scale: float = 0.6):
    """Rows of interpolations: ``rows`` has shape ``(R, S, C, H, W)`` (R strips of S steps)."""
    try:
        import torch

        if isinstance(rows, torch.Tensor):
            rows = rows.detach().cpu().float().numpy()
    except ImportError:  # pragma: no cover
        pass
    rows = np.asarray(rows)
    if rows.ndim == 4:
        rows = rows[None]
    if rows.ndim != 5:
        raise ValueError(f"rows must have shape (R, S, C, H, W), got {rows.shape}")
    r, s = rows.shape[:2]
    return image_grid(rows.reshape(r * s, *rows.shape[2:]), nrow=s, title=title, save=save, scale=scale)


def loss_curves(curves: Mapping[str, Sequence[float]], title: str | None = None, xlabel: str = "step",
                ylabel: str = "loss", save=None, smooth: int = 1):
    """One line per named curve; ``smooth`` > 1 adds a moving average."""
    if not curves:
        raise ValueError("loss_curves needs at least one named curve")
    fig = _figure((6, 3.5))
    ax = fig.add_subplot(111)
    for name, values in curves.items():
        v = np.asarray(list(values), dtype=np.float64)
        if smooth > 1 and len(v) >= smooth:
            kernel = np.ones(smooth) / smooth
            ax.plot(v, alpha=0.25)
            ax.plot(np.arange(smooth - 1, len(v)), np.convolve(v, kernel, mode="valid"), label=name,
                    color=ax.lines[-1].get_color())
        else:
            ax.plot(v, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _finish(fig, save)
