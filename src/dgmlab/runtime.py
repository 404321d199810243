"""Execution mode, device choice, mixed precision and seeding: what every notebook asks first.

Modes (see README, "Execution modes"):

- ``"grading"``: nbgrader sets ``NBGRADER_EXECUTION`` while it autogrades or
  validates. Notebooks skip training and test on small fixed inputs.
- ``"fast"``: ``DGMLAB_FAST=1``. CI's smoke run: tiny data, a few dozen steps,
  every code path still executes.
- ``"full"``: anything else. What a student runs on a GPU.

Device: :func:`device` picks CUDA when present (then Apple's MPS, then the CPU); grading is
always on the CPU. Threads: :func:`cpu_threads` says how many torch uses on the CPU (one in fast and grading mode; in
full mode the CPUs this process may use that other programs leave idle). Mixed precision: :func:`autocast` and :func:`grad_scaler` turn it on for a
training loop's forward pass on a CUDA GPU (bfloat16 where the GPU computes it natively, else
float16 with loss scaling) and do nothing anywhere else, so CPU results are unchanged.
"""
from __future__ import annotations

import contextlib
import math
import os
import random
import time

FAST_ENV = "DGMLAB_FAST"
GRADING_ENV = "NBGRADER_EXECUTION"
DEVICE_ENV = "DGMLAB_DEVICE"
AMP_ENV = "DGMLAB_AMP"
SEED_ENV = "DGMLAB_SEED"

MODES = ("full", "fast", "grading")
_TRUE = {"1", "true", "yes", "on"}
# Grading mode is sticky: if nbgrader started this process in grading mode, code in the
# notebook cannot leave it by editing os.environ.
_GRADING_AT_IMPORT = bool(os.environ.get(GRADING_ENV))


def mode() -> str:
    """Return the current execution mode: ``"grading"``, ``"fast"`` or ``"full"``.

    Grading wins over fast: a notebook autograded in CI must still skip training.
    Once a process started in grading mode it stays there.
    """
    if _GRADING_AT_IMPORT or os.environ.get(GRADING_ENV):
        return "grading"
    if os.environ.get(FAST_ENV, "").strip().lower() in _TRUE:
        return "fast"
    return "full"


def is_grading() -> bool:
    return mode() == "grading"


def is_fast() -> bool:
    """True in fast *and* grading mode: both must stay small."""
    return mode() in ("fast", "grading")


def pick(full, fast, grading=None):
    """Choose a setting by mode: ``epochs = pick(full=40, fast=1, grading=0)``.

    ``grading`` defaults to ``fast``.
    """
    m = mode()
    if m == "full":
        return full
    if m == "grading" and grading is not None:
        return grading
    return fast


def device(prefer: str | None = None):
    """Return the best available ``torch.device``: cuda, then mps, then cpu.

    ``prefer`` (or the ``DGMLAB_DEVICE`` environment variable) forces one, e.g.
    ``"cpu"``; asking for a device that is not available raises ``RuntimeError``.
    Grading always runs on the CPU so that grades do not depend on the machine.
    """
    import torch

    wanted = prefer or os.environ.get(DEVICE_ENV)
    if wanted is None and is_grading():
        wanted = "cpu"
    if wanted:
        kind = str(wanted).split(":")[0]
        available = {
            "cpu": True,
            "cuda": torch.cuda.is_available(),
            "mps": _mps_available(),
        }
        if kind not in available:
            raise ValueError(f"unknown device {wanted!r}: use 'cuda', 'mps' or 'cpu'")
        if not available[kind]:
            raise RuntimeError(
                f"device {wanted!r} was requested but is not available here; "
                f"unset {DEVICE_ENV} or ask for 'cpu'"
            )
        return torch.device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


THREAD_ENVS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")  # set: the user chose torch's threads, and torch follows them
_torch_threads = None  # torch's own default (the physical cores), read before the first set_num_threads


IDLE_SAMPLE_S = 0.3  # seconds of /proc/stat that cpu_threads reads for the CPUs other programs leave idle


def cpu_threads() -> int:
    """How many threads torch should use on the CPU here (:func:`dgmlab.setup` sets it when the device is the CPU).

    One in fast and grading mode (small models: more threads only contend). In full mode: the CPUs this process may
    use (its affinity, a container's CPU quota), no more than torch's default (the physical cores: a 2-vCPU Colab VM
    has one), and no more than those other programs left idle over :data:`IDLE_SAMPLE_S` (Linux's ``/proc/stat``),
    at least one: on a busy shared CPU, threads that wait for a core slow every step. ``OMP_NUM_THREADS`` or
    ``MKL_NUM_THREADS`` set: torch's current count, left as the user chose it."""
    import torch

    global _torch_threads
    if _torch_threads is None:
        _torch_threads = torch.get_num_threads()
    if is_fast():
        return 1
    if any(os.environ.get(name) for name in THREAD_ENVS):
        return torch.get_num_threads()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    most = min(len(cpus), _torch_threads, _cpu_quota() or len(cpus))
    idle = _idle_cpus(cpus, IDLE_SAMPLE_S)
    return max(1, min(most, math.floor(idle + 0.5) if idle is not None else most))


def _cpu_quota() -> int | None:
    """The CPUs a cgroup v2 quota (``docker --cpus``) allows, rounded up, or ``None`` (no quota, not Linux)."""
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
        return None if quota == "max" else max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        return None


def _cpu_times(cpus) -> tuple[int, int] | None:
    """(idle, total) clock ticks of ``cpus`` so far, from ``/proc/stat``, or ``None`` where there is none."""
    try:
        with open("/proc/stat") as f:
            rows = [line.split() for line in f if line.startswith("cpu") and line[3].isdigit()]
    except OSError:
        return None
    wanted = {f"cpu{c}" for c in cpus}
    ticks = [[int(x) for x in row[1:9]] for row in rows if row[0] in wanted]  # user .. steal
    return (sum(t[3] + t[4] for t in ticks), sum(sum(t) for t in ticks)) if ticks else None  # idle + iowait


def _idle_cpus(cpus, sample: float) -> float | None:
    """How many of ``cpus`` other programs left idle over ``sample`` seconds (this process sleeps meanwhile)."""
    before = _cpu_times(cpus)
    if before is None:
        return None
    time.sleep(sample)
    after = _cpu_times(cpus)
    total = after[1] - before[1] if after else 0
    return len(cpus) * (after[0] - before[0]) / total if total > 0 else None


def amp_dtype(dev=None):
    """The reduced precision :func:`autocast` uses on ``dev`` (default: :func:`device`), or ``None``.

    On a CUDA GPU: ``torch.bfloat16`` where the GPU has native bfloat16 (Ampere and newer: A100,
    L4, H100), else ``torch.float16`` (a T4, Colab's free GPU), which needs :func:`grad_scaler`.
    ``None`` (plain float32) on the CPU and MPS, while grading, and when ``DGMLAB_AMP=0``.
    """
    import torch

    dev = torch.device(dev) if dev is not None else device()
    off = os.environ.get(AMP_ENV, "").strip().lower() in {"0", "false", "no", "off"}
    if dev.type != "cuda" or is_grading() or off:
        return None
    try:
        native_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    except TypeError:  # torch < 2.4 has no including_emulation and reports native support only
        native_bf16 = torch.cuda.is_bf16_supported()
    return torch.bfloat16 if native_bf16 else torch.float16


def autocast(dev=None):
    """Mixed precision for the forward pass of a training step: ``with runtime.autocast(): out = model(x)``.

    ``torch.autocast`` with :func:`amp_dtype` on a CUDA GPU; a context that does nothing elsewhere
    (CPU, MPS, grading, ``DGMLAB_AMP=0``), so CPU results stay bit for bit what they were. Compute the
    loss outside the block on ``out.float()``. Not for gradient penalties (a double backward) or a
    flow's log-determinant, whose precision matters: the homeworks keep those in float32.
    """
    dtype = amp_dtype(dev)
    if dtype is None:
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cuda", dtype=dtype)


def grad_scaler(dev=None):
    """A ``GradScaler`` for :func:`autocast`: it scales the loss when the forward pass runs in float16
    (so small gradients do not round to zero) and passes everything through unchanged otherwise::

        scaler.scale(loss).backward(); scaler.step(optimizer); scaler.update()
    """
    import torch

    enabled = amp_dtype(dev) == torch.float16
    if hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int = 0, deterministic: bool | None = None) -> int:
    """Seed Python, NumPy and torch (CPU and all GPUs) with one call.

    ``deterministic`` (default: on in grading mode) also asks torch for
    deterministic kernels, so a grade is the same on every rerun.
    Returns the seed so it can be logged.
    """
    import numpy as np
    import torch

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic is None:
        deterministic = is_grading()
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        if hasattr(torch.backends, "cudnn"):
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
    return seed


def run_seed() -> int:
    """The seed a training run starts its networks from: a fresh random one, or ``DGMLAB_SEED`` when set.

    Each student's networks then start from weights of their own, so two students' trained networks are
    unrelated unless one was copied (``dgmlab.grading.copies.shared_weights`` reports those). A resumed run needs no
    seed: its checkpoint holds the weights and every random state. Set ``DGMLAB_SEED`` (tests, benchmarks,
    reproducing a run) to start from the same weights every time.
    """
    text = os.environ.get(SEED_ENV, "").strip()
    if not text:
        return random.SystemRandom().randrange(2**31)
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{SEED_ENV}={text!r} is not an integer: set it to a whole number (e.g. 0) "
                         "or unset it for a random seed") from None


def describe() -> str:
    """One line for the setup cell: mode, device (and mixed precision on a GPU, torch's threads on the CPU), torch
    version."""
    import torch

    dev = device()
    amp = amp_dtype(dev)
    precision = f" mixed-precision={str(amp).replace('torch.', '')}" if amp is not None else ""
    threads = f" threads={torch.get_num_threads()}" if dev.type == "cpu" else ""
    return f"dgmlab: mode={mode()} device={dev}{precision}{threads} torch={torch.__version__}"
