"""Reading the files a graded cell grades: saved samples and trained weights, checked before use.

A homework that trains is graded from what the student's own run wrote (a file
of generated samples, a state dict of the trained network), never by training
again under grading. These helpers read such a file the one safe way and turn
every way it can be unusable into an ``ArtifactError`` that says what is wrong
and what to hand in instead. ``ArtifactError`` is an ``AssertionError``, so in
a points-per-test cell (:mod:`dgmlab.probes.points`) an unusable file fails the test
with that message, like any wrong answer.

- :func:`load` finds the file, refuses one larger than ``max_bytes`` (before
  reading it) and reads it with ``torch.load(weights_only=True)`` on the CPU:
  tensors and plain containers only, never arbitrary pickled objects.
- :func:`samples` checks a file of ``n`` generated 28x28 images: a float
  tensor (of one given dtype, if the homework fixes it) of shape
  ``(n, 1, 28, 28)`` or ``(n, 784)``, finite, inside the generator's output
  range, not all the same image.
- :func:`labelled_samples` checks a conditional model's file: a dict of such
  ``"images"`` and the int64 ``"labels"`` they were generated for, each class
  asked for equally often.
- :func:`require_new` fails when more than ``novelty.allowed_copies(n)`` of them are
  near-copies of MNIST digits (:func:`dgmlab.novelty.find_copies`); the
  look-up runs once per content, so every test of a cell can call it.
- :func:`load_weights` loads a state dict into the notebook's own
  architecture after checking its names, shapes, dtypes and values, so a file
  for another architecture is refused with the differences listed.
- :func:`mlp_tensors` reads the tensors of an MLP a homework specifies layer by
  layer from a state dict written by the student's implementation of it
  (placed by shape, whatever their names, in :func:`mlp_shapes` order), so the
  samples graded come from the trained weights and the stated architecture.
  Only the layout ships here: what the network computes with them (hw4's
  generator) is the grader's (``homeworks.hw4_gans.hidden.references``), never in
  the student package, where it would answer the homework's network cells.
- :func:`save_weights` writes the file :func:`load_weights` reads: a model's
  state dict in float16 (half the bytes), atomically.
"""
from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from pathlib import Path

import torch

from . import weights_files


class ArtifactError(AssertionError):
    """A graded file is missing or unusable; the message says what to hand in instead."""


def _first_line(exc: BaseException, limit: int = 160) -> str:
    return ((str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__)[:limit]


def _read(path: Path, max_bytes: int, made_by: str) -> bytes:
    if not path.is_file():
        raise ArtifactError(
            f"no {path.name} in the homework folder, so this test earns 0 points: train in full mode, run "
            f"{made_by} (it writes {path.name}) and submit {path.name} together with the notebook")
    size = path.stat().st_size
    if size > max_bytes:
        raise ArtifactError(f"{path.name} is {size:,} bytes, more than the {max_bytes:,} a file of this kind can "
                            f"be; submit the file {made_by} writes, unchanged")
    return path.read_bytes()


def _parse(path: Path, data: bytes, made_by: str):
    try:  # a zip bomb, or a file whose tensors claim more than it holds, is refused before it is unpickled
        weights_files.check(data, path.name, max_bytes=max(len(data), 1))
    except weights_files.RefusedFile as exc:
        raise ArtifactError(str(exc)) from None
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file, or one holding objects other than tensors
        raise ArtifactError(f"{path.name} could not be read with torch.load(weights_only=True) (save tensors "
                            f"with torch.save, as {made_by} does): {_first_line(exc)}") from None


def load(path, *, max_bytes: int, made_by: str = "the notebook's training cell"):
    """The content of the graded file ``path``, read with ``weights_only=True`` (see the module docstring).

    ``made_by`` names what writes the file, for the message when it is missing. (Graded, the grader reads the
    file as it was handed in, with :func:`load_bytes`; this is for the notebook's own cells.)
    """
    path = Path(path)
    data = _read(path, max_bytes, made_by)
    return _parse(path, data, made_by)


def load_bytes(data: bytes, *, name: str, max_bytes: int, made_by: str = "the notebook's training cell"):
    """The content of a graded file handed in as ``data`` (its bytes, read by the grader from the submission,
    never by the student's kernel), read with ``weights_only=True``; ``name`` is the file's name for the
    messages. A file over ``max_bytes`` is refused unread. Kernel-agnostic: no seed, environment or path."""
    if not isinstance(data, (bytes, bytearray)):
        raise ArtifactError(f"{name} could not be read (found {type(data).__name__}, not the file's bytes)")
    if len(data) > max_bytes:
        raise ArtifactError(f"{name} is {len(data):,} bytes, more than the {max_bytes:,} a file of this kind can "
                            f"be; submit the file {made_by} writes, unchanged")
    return _parse(Path(name), bytes(data), made_by)


def samples(x, *, n: int = 100, name: str = "the saved samples", value_range=(-1.0, 1.0),
            dtype: torch.dtype | None = None) -> torch.Tensor:
    """``x`` (a loaded file) as ``(n, 1, 28, 28)`` float32, once it is ``n`` usable generated images.

    ``value_range`` is the generator's output range (``(-1, 1)`` for tanh); a
    file of images rescaled to another range is refused with that said.
    ``dtype``: the one floating dtype the file must have, where the homework
    states it (e.g. ``torch.float32``); by default any floating dtype passes.
    """
    if not isinstance(x, torch.Tensor):
        raise ArtifactError(f"{name} must be a torch tensor (torch.save(tensor, path)), found {type(x).__name__}")
    if not x.is_floating_point():
        raise ArtifactError(f"{name} has dtype {x.dtype}; save the generator's float output, not converted images")
    if dtype is not None and x.dtype != dtype:
        raise ArtifactError(f"{name} has dtype {x.dtype}, expected {dtype}: save the generator's output as the "
                            "notebook does, without converting it")
    if tuple(x.shape) not in [(n, 784), (n, 1, 28, 28)]:
        raise ArtifactError(f"{name} has shape {tuple(x.shape)}, expected ({n}, 1, 28, 28) or ({n}, 784)")
    x = x.detach().float()
    if not torch.isfinite(x).all():
        raise ArtifactError(f"{name} hold NaN or infinite values")
    lo, hi = value_range
    slack = 1e-3 * (hi - lo) / 2
    if x.min() < lo - slack or x.max() > hi + slack:
        raise ArtifactError(
            f"expected {name} in [{lo:g}, {hi:g}] (the generator's output range), found values in "
            f"[{float(x.min()):.3g}, {float(x.max()):.3g}]: save the generator's output, not rescaled images")
    x = x.reshape(n, 1, 28, 28)
    if x.reshape(n, -1).std(dim=0).mean() <= 0.01 * (hi - lo):
        raise ArtifactError(f"the {n} images of {name} are (almost) all the same: a generator not trained yet (or "
                            "trained too briefly), a collapsed one, or one noise vector reused")
    return x


def labelled_samples(obj, *, n: int = 100, classes: int = 10, name: str = "the saved file",
                     **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` from ``obj`` (a loaded file), once it is ``n`` usable conditional samples.

    ``obj`` must be a dict with ``"images"`` (checked by :func:`samples`, which
    takes the remaining keyword arguments) and ``"labels"``, the int64 class
    each image was generated for, shape ``(n,)``, every class ``0 .. classes-1``
    asked for exactly ``n // classes`` times (so a file that asks only for easy
    classes is refused).
    """
    if n % classes:
        raise ValueError(f"n={n} samples cannot ask for each of {classes} classes equally often")
    if not isinstance(obj, dict) or not {"images", "labels"} <= set(obj):
        keys = f" with keys {sorted(map(str, obj))}" if isinstance(obj, dict) else ""
        raise ArtifactError(f'{name} must hold a dict with keys "images" and "labels" (as the training cell saves '
                            f'it), found {type(obj).__name__}{keys}')
    x = samples(obj["images"], n=n, name=f'{name}["images"]', **kwargs)
    y = obj["labels"]
    if not (isinstance(y, torch.Tensor) and y.dtype == torch.int64 and tuple(y.shape) == (n,)):
        found = f"{y.dtype} of shape {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ArtifactError(f'{name}["labels"] must be a torch.int64 tensor of shape ({n},), found {found}')
    counts = torch.bincount(y.clamp(-1, classes) + 1, minlength=classes + 2)  # [below 0, 0 .. classes-1, above]
    if counts[0] or counts[-1] or (counts[1:-1] != n // classes).any():
        outside = f" and {int(counts[0] + counts[-1])} outside 0-{classes - 1}" if counts[0] or counts[-1] else ""
        raise ArtifactError(f"expected the labels to ask for each class 0-{classes - 1} exactly {n // classes} "
                            f"times, found counts {counts[1:-1].tolist()}{outside}")
    return x, y


_REPORTS: OrderedDict = OrderedDict()  # (content digest, scale) -> CopyReport, the last few files looked up


def _copy_report(x: torch.Tensor, scale: str):
    """:func:`dgmlab.novelty.find_copies` of ``x``, computed once per content: the tests of one cell share it."""
    from . import novelty

    x = x.detach().float().cpu().contiguous()
    key = (hashlib.sha256(x.numpy().tobytes()).hexdigest(), tuple(x.shape), scale)
    if key not in _REPORTS:
        _REPORTS[key] = novelty.find_copies(x, scale=scale)
        while len(_REPORTS) > 4:
            _REPORTS.popitem(last=False)
    return _REPORTS[key]


def require_new(x: torch.Tensor, *, scale: str = "[-1,1]", max_copies: int | None = None):
    """The :class:`~dgmlab.novelty.CopyReport` of ``x``; raises when more than ``max_copies`` are near-copies.

    ``max_copies`` defaults to :func:`dgmlab.novelty.allowed_copies` of the file's size (3 of 100, 10 of 1,000).
    The look-up is cached by the content of ``x`` (the last four contents),
    so the tests of a cell that each grade the same file pay for it once, and
    a different file is always looked up afresh.
    """
    from . import novelty

    limit = novelty.allowed_copies(len(x)) if max_copies is None else max_copies
    report = _copy_report(x, scale)
    if report.n_copies > limit:
        raise ArtifactError(
            f"these samples match dataset images, not generated ones: {report.summary()} (at most {limit} may), "
            "so this earns 0 points. Submit the samples your own generator drew.")
    return report


def load_weights(model: torch.nn.Module, state, *, name: str = "the saved weights",
                 constant_buffers: bool = False, remedy: str | None = None) -> torch.nn.Module:
    """``model`` with the state dict ``state`` (a loaded file) in it, after checking it fits ``model``.

    ``remedy`` is what a file that does not fit should hold instead, in the homework's words (a clause starting
    lower case, such as "hand in the weights of Generator(capacity=32)"); by default, the model the notebook
    builds with its default settings.

    Checks: a dict of tensors whose names and shapes are exactly ``model``'s
    (the differences are listed), floating tensors where the model has them
    (float16 and bfloat16 are accepted and read as the model's dtype), every
    value finite. With ``constant_buffers``, every buffer (a mask the
    constructor builds, say) must equal the freshly built ``model``'s, so a
    file cannot replace it. ``model`` is put in eval mode.
    """
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ArtifactError(f"{name} must be a state dict (torch.save(model.state_dict(), path)), "
                            f"found {type(state).__name__}")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} "
                         f"({', '.join(unexpected[:3])}{', ...' if len(unexpected) > 3 else ''})")
        fix = remedy or "save the state dict of the model the notebook builds, with its default settings"
        raise ArtifactError(f"{name} do not fit the notebook's architecture: {'; '.join(parts)}. "
                            f"{fix[:1].upper()}{fix[1:]}")
    converted = {}
    for key, want in expected.items():
        got = state[key]
        if not isinstance(got, torch.Tensor):
            raise ArtifactError(f"{name}: {key} must be a tensor, found {type(got).__name__}")
        if tuple(got.shape) != tuple(want.shape):
            raise ArtifactError(f"{name}: {key} has shape {tuple(got.shape)}, the notebook's architecture has "
                                f"{tuple(want.shape)}; "
                                f"{remedy or 'save the model the notebook builds, with its default settings'}")
        if want.is_floating_point():
            if not got.is_floating_point():
                raise ArtifactError(f"{name}: {key} has dtype {got.dtype}, expected floating point")
            if not torch.isfinite(got).all():
                raise ArtifactError(f"{name}: {key} holds NaN or infinite values (a diverged training run)")
        elif got.dtype != want.dtype:
            raise ArtifactError(f"{name}: {key} has dtype {got.dtype}, expected {want.dtype}")
        converted[key] = got.to(want.dtype)
    if constant_buffers:
        for key, buf in model.named_buffers():
            if key in converted and not torch.equal(converted[key], buf.detach().cpu().to(converted[key].dtype)):
                raise ArtifactError(f"{name}: the buffer {key} differs from the one the notebook's architecture "
                                    "builds (a mask is fixed, not learned); save the trained model's state dict "
                                    "unchanged")
    model.load_state_dict(converted)
    return model.eval()


def mlp_shapes(in_dim: int, widths, out_dim: int, embedding: tuple[int, int] | None = None) -> list[tuple[int, ...]]:
    """The tensor shapes of an MLP a homework specifies, in the order :func:`mlp_tensors` returns them: the label
    embedding ``(classes, dim)`` if any, then each Linear's weight ``(out, in)`` and bias ``(out,)``."""
    shapes, width_in = ([tuple(embedding)] if embedding else []), in_dim + (embedding[1] if embedding else 0)
    for width in (*widths, out_dim):
        shapes += [(width, width_in), (width,)]
        width_in = width
    return shapes


def mlp_tensors(state, *, in_dim: int, widths, out_dim: int = 784, embedding: tuple[int, int] | None = None,
                name: str = "the saved weights", spec: str = "the specified generator") -> list[torch.Tensor]:
    """The tensors of ``state`` in :func:`mlp_shapes` order, as float32, once they are exactly the specified MLP's.

    ``state`` is a state dict saved from the student's implementation of the architecture. Its names are
    the student's choice, so each tensor is placed by its shape, which is unique in such a network (every
    weight matrix, bias and the embedding differ in shape); the file must hold exactly the specified
    network's tensors, floating, finite (float16 is read as float32). Anything else is refused with the
    shapes missing or extra, described as ``spec``.
    """
    shapes = mlp_shapes(in_dim, widths, out_dim, embedding)
    if len(set(shapes)) != len(shapes):
        raise ValueError(f"mlp_tensors: two tensors of {spec} share a shape, so a state dict cannot be placed "
                         "by shape; give the hidden layers different widths")
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ArtifactError(f"{name} must be a state dict (torch.save(model.state_dict(), path)), "
                            f"found {type(state).__name__}")
    for key, got in state.items():
        if not isinstance(got, torch.Tensor):
            raise ArtifactError(f"{name}: {key} must be a tensor, found {type(got).__name__}")
    given = sorted(tuple(t.shape) for t in state.values())
    missing = sorted(set(shapes) - set(given))
    extra = [shape for shape in given if shape not in shapes or given.count(shape) > 1]
    if missing or extra:
        parts = ([f"missing tensors of shape {', '.join(map(str, missing))}"] if missing else []) + \
                ([f"tensors that {spec} does not have: {', '.join(map(str, sorted(set(extra))))}"] if extra else [])
        raise ArtifactError(f"{name} do not fit {spec}: {'; '.join(parts)}. Save the state dict of the generator "
                            "you trained for this part, built with the widths the homework states")
    by_shape = {}
    for key, got in state.items():
        if not got.is_floating_point():
            raise ArtifactError(f"{name}: {key} has dtype {got.dtype}, expected floating point")
        if not torch.isfinite(got).all():
            raise ArtifactError(f"{name}: {key} holds NaN or infinite values (a diverged training run)")
        by_shape[tuple(got.shape)] = got.detach().float()
    return [by_shape[shape] for shape in shapes]


def save_weights(model: torch.nn.Module, path) -> Path:
    """Save ``model``'s state dict to ``path`` with floating tensors in float16, atomically; return the path.

    float16 halves the file (a graded file must stay under nbgrader's size limit) and is read back as the
    model's dtype by :func:`load_weights`. The file is written next to ``path`` first and then renamed over
    it, so an interrupted save never leaves half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)  # e.g. artifacts/ for a fast-mode copy
    state = {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu())
             for k, v in model.state_dict().items()}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)
    return path


__all__ = ["ArtifactError", "load", "samples", "labelled_samples", "require_new", "load_weights", "mlp_shapes",
           "mlp_tensors", "save_weights"]
