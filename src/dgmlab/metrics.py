"""Sample-quality metrics that work offline: IS, Fréchet distance, an MNIST classifier score.

Three layers, one interface:

1. Core math, any network: :func:`inception_score` from class probabilities
   (openai/improved-gan's definition) and :func:`frechet_distance` between
   Gaussian statistics from :func:`gaussian_stats` (float64, no
   ``scipy.linalg.sqrtm``).
2. MNIST, offline: a small CNN shipped inside dgmlab (weights and the MNIST
   test set's feature statistics committed with their SHA-256) gives
   :func:`mnist_score` ("MNIST classifier score") and
   :func:`mnist_frechet_distance` ("MNIST classifier Fréchet distance").
3. The standard Inception-v3 IS and FID through torch-fidelity
   (:func:`inception_metrics`), when its weights can be had; otherwise it
   raises :class:`MetricUnavailable` with a message, at once.

Name the numbers honestly: the MNIST classifier score uses *our* 10-class
MNIST network, so it is bounded by 10 and is **not** comparable with the
Inception Scores (Inception-v3, 1008 classes) printed in papers. Likewise the
MNIST classifier Fréchet distance is not an FID. Say which network produced a
number wherever you show it.
"""
from __future__ import annotations

import functools
import hashlib
import os
import threading
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import assets
from .data import _reachable

INCEPTION_WEIGHTS_ENV = "DGMLAB_INCEPTION_WEIGHTS"
OFFLINE_ENV = "DGMLAB_OFFLINE"
CLASSIFIER_FILE = "mnist_classifier.pt"
STATS_FILE = "mnist_test_stats.npz"
SHA_SUFFIX = ".sha256"
FEATURE_DIM = 128

MNIST_SCORE_NAME = "MNIST classifier score (dgmlab MnistClassifier, 10 classes; not an Inception Score)"
MNIST_FD_NAME = "MNIST classifier Fréchet distance (dgmlab MnistClassifier features; not an FID)"
INCEPTION_NAME = "Inception-v3 (torch-fidelity, TF-compatible 2015-12-05 weights)"

_RESTORE_HINT = (
    "Restore it by reinstalling dgmlab (pip install --force-reinstall --no-deps <path or URL of dgmlab>), "
    "or in a checkout of the course repository with `git checkout -- src/dgmlab/assets/`, "
    "or regenerate the classifier and its statistics with `python tools/train_mnist_classifier.py` "
    "(needs real MNIST under $DGMLAB_DATA)."
)


class MetricUnavailable(RuntimeError):
    """The metric cannot be computed here (e.g. no Inception weights offline); the message says why and what to do."""


class AssetError(RuntimeError):
    """A file shipped with dgmlab is missing or does not match its SHA-256; the message says how to restore it."""


# ------------------------------------------------------------------ core math
def _as_float64(value, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().to(torch.float64).numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a torch.Tensor or numpy array of numbers, got {type(value).__name__}") from exc
    return arr


def inception_score(probs, splits: int = 10) -> tuple[float, float]:
    """Inception Score of class probabilities ``probs`` ``(N, K)``: ``(mean, std)`` over ``splits``.

    The definition of openai/improved-gan (Salimans et al., 2016): the rows are
    cut, in order, into ``splits`` parts; each part scores
    ``exp(mean_i KL(p(y|x_i) || p(y)))`` with ``p(y)`` that part's mean row;
    the result is the mean and standard deviation of the part scores.
    One-hot rows spread evenly over ``K`` classes score ``K``; identical rows
    score 1. The score is only as meaningful as the network that produced
    ``probs``: say which one it was. Rows sorted by class (samples of a
    conditional generator drawn label by label) make each part hold one class
    and score near 1: interleave or shuffle them first.

    ``probs``: torch tensor or numpy array of probabilities (rows sum to 1;
    pass ``softmax(logits, dim=1)``, not logits). Computed in float64.
    """
    p = _as_float64(probs, "probs")
    if p.ndim != 2:
        raise ValueError(f"probs must have shape (N, K) (one row of class probabilities per sample), got {p.shape}")
    n, k = p.shape
    if not isinstance(splits, (int, np.integer)) or splits < 1:
        raise ValueError(f"splits must be a positive integer, got {splits!r}")
    if n < splits:
        raise ValueError(f"probs has {n} rows but splits={splits}: pass at least {splits} samples or fewer splits")
    if not np.all(np.isfinite(p)):
        raise ValueError("probs contains NaN or inf: check the network's output")
    if p.min() < 0 or np.abs(p.sum(axis=1) - 1.0).max() > 1e-3:
        raise ValueError(
            f"probs must be probabilities (non-negative rows summing to 1; got min {p.min():.3g}, "
            f"row sums in [{p.sum(axis=1).min():.4g}, {p.sum(axis=1).max():.4g}]): "
            "pass softmax(logits, dim=1), not logits"
        )
    from scipy.special import rel_entr  # p*log(p/q), 0 where p == 0

    scores = []
    for i in range(splits):
        part = p[i * n // splits:(i + 1) * n // splits]
        marginal = part.mean(axis=0, keepdims=True)
        kl = rel_entr(part, marginal).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def gaussian_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` (unbiased, like pytorch-fid) of ``features`` ``(N, D)``, float64."""
    f = _as_float64(features, "features")
    if f.ndim != 2:
        raise ValueError(f"features must have shape (N, D) (one row per sample), got {f.shape}")
    if f.shape[0] < 2:
        raise ValueError(f"need at least 2 feature rows for a covariance, got {f.shape[0]}")
    if not np.all(np.isfinite(f)):
        raise ValueError("features contain NaN or inf")
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False))


def _psd_sqrt(c: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix (eigenvalues clipped at 0)."""
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """Fréchet (2-Wasserstein squared) distance between ``N(mu1, cov1)`` and ``N(mu2, cov2)``.

    ``|mu1 - mu2|^2 + tr(C1) + tr(C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2)``, in float64.
    The trace of the square root is the sum of the square roots of the
    eigenvalues of the symmetric PSD matrix ``C1^1/2 C2 C1^1/2`` (``eigh``,
    tiny negative round-off clipped to 0), so nearly singular covariances give
    a finite real number. With Inception-v3 pool features this is the FID.
    """
    m1, m2 = _as_float64(mu1, "mu1"), _as_float64(mu2, "mu2")
    c1, c2 = _as_float64(cov1, "cov1"), _as_float64(cov2, "cov2")
    if m1.ndim != 1 or m1.shape != m2.shape:
        raise ValueError(f"mu1 and mu2 must be vectors of the same length, got shapes {m1.shape} and {m2.shape}")
    d = m1.shape[0]
    for name, c in (("cov1", c1), ("cov2", c2)):
        if c.shape != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}) to match the means, got {c.shape}")
    for name, a in (("mu1", m1), ("mu2", m2), ("cov1", c1), ("cov2", c2)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or inf")
    c1 = (c1 + c1.T) / 2
    c2 = (c2 + c2.T) / 2
    s1 = _psd_sqrt(c1)
    middle = s1 @ c2 @ s1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    tr_sqrt = np.sqrt(np.clip(eig, 0.0, None)).sum()
    diff = m1 - m2
    value = diff @ diff + np.trace(c1) + np.trace(c2) - 2.0 * tr_sqrt
    return float(max(value, 0.0))


# ------------------------------------------------------------------ MNIST classifier
class MnistClassifier(nn.Module):
    """Small CNN for 28x28 MNIST digits in [0, 1]: ``forward`` gives logits ``(N, 10)``,
    ``features`` the penultimate ``(N, 128)`` activations used for the Fréchet distance."""

    MEAN, STD = 0.1307, 0.3081  # MNIST training-set pixel statistics

    def __init__(self, feature_dim: int = FEATURE_DIM):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),   # 14x14
            nn.Conv2d(16, 32, 5, padding=2, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 7x7
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),  # 3x3
            nn.Flatten(),
            nn.Linear(64 * 3 * 3, feature_dim), nn.ReLU(),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations ``(N, feature_dim)`` of images ``(N, 1, 28, 28)`` in [0, 1]."""
        return self.body((x - self.MEAN) / self.STD)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, 10)`` of images ``(N, 1, 28, 28)`` in [0, 1]."""
        return self.head(self.dropout(self.features(x)))


def _asset(name: str) -> Path:
    return Path(str(resources.files(assets).joinpath(name)))


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_asset(path) -> Path:
    """Check ``path`` against ``<path>.sha256`` (``sha256sum`` format); raise :class:`AssetError` if not equal."""
    path = Path(path)
    sha_path = path.with_name(path.name + SHA_SUFFIX)
    if not path.exists():
        raise AssetError(f"{path} is missing. {_RESTORE_HINT}")
    if not sha_path.exists():
        raise AssetError(f"{sha_path} (the SHA-256 of {path.name}) is missing. {_RESTORE_HINT}")
    words = sha_path.read_text().split()
    expected = words[0].lower() if words else "(nothing)"
    actual = file_sha256(path)
    if actual != expected:
        raise AssetError(
            f"{path} is corrupt or was modified: its SHA-256 is {actual}, but {sha_path.name} says {expected}. "
            f"{_RESTORE_HINT}"
        )
    return path


def load_mnist_classifier(path=None) -> MnistClassifier:
    """Load (after checking its SHA-256) the shipped classifier, or the one at ``path``; eval mode, CPU."""
    path = verify_asset(path if path is not None else _asset(CLASSIFIER_FILE))
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = MnistClassifier()
    model.load_state_dict(state)
    model.requires_grad_(False)
    return model.to(memory_format=torch.channels_last).eval()  # channels_last: ~1.5x faster convs and pools on CPU


@functools.lru_cache(maxsize=1)
def mnist_classifier() -> MnistClassifier:
    """The MNIST classifier shipped with dgmlab (eval mode, CPU, loaded once and cached).

    ``model(x)`` gives logits ``(N, 10)``; ``model.features(x)`` the penultimate
    ``(N, 128)`` features; ``x`` is ``(N, 1, 28, 28)`` in [0, 1] (use
    :func:`mnist_images` to convert other layouts). Do not train it in place.
    """
    return load_mnist_classifier()


def load_reference_stats(path=None) -> tuple[np.ndarray, np.ndarray]:
    """``(mu, cov)`` (float64) of the classifier's features on the 10,000 MNIST test images, SHA-256 checked."""
    path = verify_asset(path if path is not None else _asset(STATS_FILE))
    with np.load(path) as z:
        return z["mu"].astype(np.float64), z["cov"].astype(np.float64)


@functools.lru_cache(maxsize=1)
def _reference_stats_cached():
    return load_reference_stats()


_SHAPE_HINT = "pass a tensor of shape (N, 1, 28, 28) or (N, 784), e.g. x.view(-1, 1, 28, 28)"


def mnist_images(images, scale: str | None = None) -> torch.Tensor:
    """Check MNIST-like ``images`` and return them as float32 CPU ``(N, 1, 28, 28)`` in [0, 1], detached.

    Accepts torch tensors (or numpy arrays) of shape ``(N, 1, 28, 28)`` or
    ``(N, 784)``. Float pixels in [0, 1] (sigmoid/Bernoulli models) or [-1, 1]
    (tanh generators) are told apart by their minimum: anything below 0 means
    [-1, 1]. Pass ``scale="[0,1]"`` or ``scale="[-1,1]"`` to say it yourself.
    uint8 tensors are read as 0..255. Anything else raises ``ValueError``
    saying what is wrong.
    """
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(np.ascontiguousarray(images))
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__}; {_SHAPE_HINT}")
    x = images.detach().cpu()
    n = x.shape[0] if x.dim() else 0
    if x.dim() == 2 and x.shape[1] == 784:
        x = x.reshape(n, 1, 28, 28)
    elif not (x.dim() == 4 and tuple(x.shape[1:]) == (1, 28, 28)):
        raise ValueError(f"images have shape {tuple(x.shape)}, which is not an MNIST batch: {_SHAPE_HINT}")
    if n == 0:
        raise ValueError("images is empty (N = 0): pass at least one image")
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    if x.is_complex() or not x.is_floating_point():
        raise ValueError(f"images have dtype {x.dtype}; pass float pixels in [0, 1] or [-1, 1] (or uint8 0..255)")
    x = x.float()
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).flatten(1).any(1).sum())
        raise ValueError(f"images contain NaN or inf ({bad} of {n} images): check the generator's output before scoring")
    lo, hi = float(x.min()), float(x.max())
    tol = 1e-3
    if scale is None:
        if lo >= -tol and hi <= 1 + tol:
            scale = "[0,1]"
        elif lo >= -1 - tol and hi <= 1 + tol:
            scale = "[-1,1]"
        else:
            hint = (" (they look like 0..255 pixel values: divide by 255)" if hi > 1 + tol and lo >= -tol and hi <= 255
                    else "")
            raise ValueError(
                f"image pixels range over [{lo:.4g}, {hi:.4g}]{hint}; pass pixels in [0, 1] "
                "(sigmoid/Bernoulli outputs) or in [-1, 1] (tanh outputs)"
            )
    if scale == "[-1,1]":
        if lo < -1 - tol or hi > 1 + tol:
            raise ValueError(f"scale='[-1,1]' but pixels range over [{lo:.4g}, {hi:.4g}]")
        x = (x + 1.0) / 2.0
    elif scale == "[0,1]":
        if lo < -tol or hi > 1 + tol:
            raise ValueError(f"scale='[0,1]' but pixels range over [{lo:.4g}, {hi:.4g}]")
    else:
        raise ValueError(f"scale must be None (detect), '[0,1]' or '[-1,1]', got {scale!r}")
    return x.clamp_(0.0, 1.0)


def _batched(fn, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    with torch.no_grad():
        return torch.cat([fn(x[i:i + batch_size].contiguous(memory_format=torch.channels_last))
                          for i in range(0, len(x), batch_size)])


def mnist_probs(images, batch_size: int = 500, scale: str | None = None) -> torch.Tensor:
    """Class probabilities ``(N, 10)`` of the shipped MNIST classifier."""
    x = mnist_images(images, scale)
    return torch.softmax(_batched(mnist_classifier(), x, batch_size).double(), dim=1)


def mnist_features(images, batch_size: int = 500, scale: str | None = None) -> torch.Tensor:
    """Penultimate features ``(N, 128)`` of the shipped MNIST classifier."""
    x = mnist_images(images, scale)
    return _batched(mnist_classifier().features, x, batch_size)


def mnist_predict(images, batch_size: int = 500, scale: str | None = None) -> torch.Tensor:
    """Predicted digit labels (``torch.int64``, shape ``(N,)``) of the shipped MNIST classifier."""
    x = mnist_images(images, scale)
    return _batched(mnist_classifier(), x, batch_size).argmax(dim=1)


def mnist_score(images, splits: int = 10, batch_size: int = 500, scale: str | None = None) -> tuple[float, float]:
    """MNIST classifier score: :func:`inception_score` of the shipped MNIST classifier's probabilities.

    Between 1 and 10 (the 10,000 real MNIST test digits score 9.76, see
    docs/metrics.md). It is *not* an Inception Score: do not compare it with
    papers' numbers. Report it as "MNIST classifier score".
    """
    return inception_score(mnist_probs(images, batch_size, scale), splits=splits)


def mnist_frechet_distance(images, batch_size: int = 500, scale: str | None = None) -> float:
    """Fréchet distance between the shipped classifier's features of ``images`` and of the MNIST test set.

    The reference statistics (10,000 test images) ship with dgmlab. Lower is
    better; the test set itself is near 0. It is *not* an FID (no Inception
    network): report it as "MNIST classifier Fréchet distance". Needs at least
    2 images; use a few thousand for a stable value (it is biased upwards for
    small N).
    """
    mu, cov = gaussian_stats(mnist_features(images, batch_size, scale))
    ref_mu, ref_cov = _reference_stats_cached()
    return frechet_distance(mu, cov, ref_mu, ref_cov)


def mnist_metrics(images, splits: int = 10, batch_size: int = 500, scale: str | None = None) -> dict:
    """Both MNIST figures from one pass of the shipped classifier (half the time of two calls).

    Returns ``{"mnist_score_mean", "mnist_score_std", "mnist_fd"}``, equal to
    :func:`mnist_score` and :func:`mnist_frechet_distance`: the MNIST
    classifier score and Fréchet distance, not Inception Score or FID.
    """
    x = mnist_images(images, scale)
    feats = _batched(mnist_classifier().features, x, batch_size)
    with torch.no_grad():
        probs = torch.softmax(mnist_classifier().head(feats).double(), dim=1)
    mean, std = inception_score(probs, splits=splits)
    mu, cov = gaussian_stats(feats)
    ref_mu, ref_cov = _reference_stats_cached()
    return {"mnist_score_mean": mean, "mnist_score_std": std, "mnist_fd": frechet_distance(mu, cov, ref_mu, ref_cov)}


# ------------------------------------------------------------------ Inception-v3 via torch-fidelity
_INCEPTION_URL_FALLBACK = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
)


def _inception_url() -> str:
    try:
        from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
        return URL_INCEPTION_V3
    except Exception:  # pragma: no cover - torch-fidelity layout changed
        return _INCEPTION_URL_FALLBACK


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _unavailable_message(reason: str) -> str:
    url = _inception_url()
    return (
        f"Inception-v3 IS/FID is unavailable here: {reason}.\n"
        f"  - Online, torch-fidelity downloads the weights itself on first use (unset {OFFLINE_ENV}).\n"
        f"  - Offline, download them once elsewhere from\n      {url}\n"
        f"    and point {INCEPTION_WEIGHTS_ENV} at the file: export {INCEPTION_WEIGHTS_ENV}=/path/to/{url.rsplit('/', 1)[-1]}\n"
        f"  - For MNIST use dgmlab.metrics.mnist_score / mnist_frechet_distance, which need no download."
    )


def inception_weights_path() -> str | None:
    """Where Inception-v3 weights will come from, without touching the network unless it must.

    Returns a local file (``$DGMLAB_INCEPTION_WEIGHTS``, or torch-fidelity's
    file in the torch hub cache) or ``None`` when torch-fidelity should
    download them. Raises :class:`MetricUnavailable` when the variable names a
    missing file (no network is tried), when ``DGMLAB_OFFLINE`` is set and
    no local copy exists, or when the download host cannot be reached.
    """
    env = os.environ.get(INCEPTION_WEIGHTS_ENV, "").strip()
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise MetricUnavailable(_unavailable_message(f"{INCEPTION_WEIGHTS_ENV}={env} but there is no file there"))
        return str(p)
    url = _inception_url()
    cached = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    if cached.is_file():
        return str(cached)
    if _offline():
        raise MetricUnavailable(_unavailable_message(
            f"{OFFLINE_ENV} is set, {INCEPTION_WEIGHTS_ENV} is not, and no copy is in the torch hub cache ({cached})"))
    if not _reachable_within(url, seconds=3.0):
        raise MetricUnavailable(_unavailable_message(f"{url.split('/')[2]} cannot be reached (offline?)"))
    return None


def _reachable_within(url: str, seconds: float) -> bool:
    """Whether ``url``'s host accepts a TCP connection, deciding within ``seconds`` even if DNS hangs.

    ``socket.create_connection``'s timeout does not cover name resolution, so
    the probe runs in a daemon thread that is abandoned when time is up.
    """
    answer = []
    probe = threading.Thread(target=lambda: answer.append(_reachable(url, timeout=seconds)), daemon=True)
    probe.start()
    probe.join(seconds + 0.5)
    return bool(answer and answer[0])


class _Uint8Images(torch.utils.data.Dataset):
    def __init__(self, x: torch.Tensor):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


def _to_uint8_rgb(images, name: str) -> torch.Tensor:
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(np.ascontiguousarray(images))
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, C, H, W), got {type(images).__name__}")
    x = images.detach().cpu()
    if x.dim() != 4 or x.shape[1] not in (1, 3) or x.shape[0] < 2:
        raise ValueError(f"{name} has shape {tuple(x.shape)}; pass (N, 3, H, W) or (N, 1, H, W) images with N >= 2")
    if x.dtype != torch.uint8:
        if not x.is_floating_point():
            raise ValueError(f"{name} has dtype {x.dtype}; pass float pixels in [0, 1] or [-1, 1], or uint8")
        x = x.float()
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} contains NaN or inf")
        lo, hi = float(x.min()), float(x.max())
        if lo >= -1e-3 and hi <= 1 + 1e-3:
            pass
        elif lo >= -1 - 1e-3 and hi <= 1 + 1e-3:
            x = (x + 1) / 2
        else:
            raise ValueError(f"{name} pixels range over [{lo:.4g}, {hi:.4g}]; pass [0, 1] or [-1, 1] floats, or uint8")
        x = (x.clamp(0, 1) * 255).round().to(torch.uint8)
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    return x.contiguous()


def inception_metrics(images, reference=None, *, splits: int = 10, batch_size: int = 64,
                      device=None, verbose: bool = False) -> dict:
    """Standard Inception-v3 Inception Score (and FID against ``reference``) through torch-fidelity.

    ``images`` (and ``reference``): tensors ``(N, 3, H, W)`` or ``(N, 1, H, W)``
    (grey is repeated to RGB), floats in [0, 1] or [-1, 1] or uint8; they are
    quantised to uint8 as torch-fidelity expects and resized by its
    TF-compatible Inception-v3 (weights ``pt_inception-2015-12-05``), with
    ``splits`` splits for the IS. Returns ``{"inception_score_mean",
    "inception_score_std"}`` plus ``"fid"`` when ``reference`` is given.

    Weights: ``$DGMLAB_INCEPTION_WEIGHTS`` (a local file), else torch's hub
    cache, else torch-fidelity's own download when online. When none can be
    had it raises :class:`MetricUnavailable` at once, with what to do; catch it
    to skip the cell. On 28x28 grey digits these numbers mean little: prefer
    :func:`mnist_score` for MNIST.
    """
    x1 = _to_uint8_rgb(images, "images")
    x2 = _to_uint8_rgb(reference, "reference") if reference is not None else None
    try:
        import torch_fidelity
    except ImportError as exc:
        raise MetricUnavailable(
            "Inception-v3 IS/FID needs torch-fidelity, which is not installed: pip install 'torch-fidelity==0.4.0'"
        ) from exc
    weights = inception_weights_path()
    dev = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    kwargs = dict(
        input1=_Uint8Images(x1), isc=True, isc_splits=splits, batch_size=batch_size,
        cuda=dev.type == "cuda", cache=False, verbose=verbose,
        save_cpu_ram=True,  # in-process loading: the images are already in memory, no DataLoader workers
        feature_extractor="inception-v3-compat", feature_extractor_weights_path=weights,
    )
    if x2 is not None:
        kwargs.update(input2=_Uint8Images(x2), fid=True)
    out = torch_fidelity.calculate_metrics(**kwargs)
    result = {
        "inception_score_mean": float(out["inception_score_mean"]),
        "inception_score_std": float(out["inception_score_std"]),
    }
    if x2 is not None:
        result["fid"] = float(out["frechet_inception_distance"])
    return result


__all__ = [
    "MetricUnavailable", "AssetError", "inception_score", "gaussian_stats", "frechet_distance",
    "MnistClassifier", "mnist_classifier", "load_mnist_classifier", "load_reference_stats", "mnist_images",
    "mnist_probs", "mnist_features", "mnist_predict", "mnist_score", "mnist_frechet_distance", "mnist_metrics",
    "inception_weights_path", "inception_metrics", "verify_asset", "file_sha256",
    "MNIST_SCORE_NAME", "MNIST_FD_NAME", "INCEPTION_NAME",
]
