"""Training that survives a disconnect: save after every epoch, resume by running the cell again.

A training loop uses it like this::

    ckpt = Checkpoint("checkpoints/wgan.pt", epochs=epochs, config=dict(lr=lr, data=images, step=train_step),
                      generator=generator, critic=critic, g_opt=g_opt, c_opt=c_opt, shuffle=loader.generator)
    done, history = ckpt.resume({"loss": []}, retrain=retrain)   # epochs already trained, and their history
    for epoch in range(done + 1, epochs + 1):
        ...                                                         # one epoch of training
        ckpt.save(epoch, history)

What is saved (at the end of every epoch, atomically: a temporary file, then ``os.replace``, so a
kill mid-save leaves the previous checkpoint intact): the ``state_dict`` of every model and
optimizer passed by name (a ``torch.amp.GradScaler``'s loss scale too), the state of every ``torch.Generator``
passed (e.g. a DataLoader's, which decides each epoch's shuffling), the global random states (Python, NumPy, torch CPU and CUDA), the
epoch, the history and a fingerprint of ``config``. Resuming restores all of it at the same epoch
boundary, so an interrupted and resumed run ends with exactly the weights of an uninterrupted one
(on the CPU; GPU kernels need not be deterministic, see ``torch.use_deterministic_algorithms``).

Running the loop again:

- no checkpoint: trains from the start;
- a checkpoint of the same configuration: loads it and trains the remaining epochs (none when the
  run had finished: the finished run is loaded, not retrained);
- a checkpoint of a different configuration (other settings, data, network shapes or training
  code), or one lacking the saved state of something passed: refuses with :class:`CheckpointMismatch`,
  naming what differs, before loading anything; ``retrain=True`` (or deleting the file) starts over and
  replaces it. Nothing is overwritten without being asked. (A GradScaler missing from the file starts
  with a fresh loss scale, with a note: its first few float16 steps may be skipped while it settles.)

Code is compared by its syntax tree: editing a comment or a docstring does not make another run, and the
same code resumes under another Python version (Colab upgrades its Python from time to time).

``record=Record(...)`` (:mod:`dgmlab.checkpoint_record`) also keeps a training record: snapshots of the run at the
epochs it names, in one file beside the checkpoint, written atomically with it, which a trained cell hands in.

The file holds only tensors, numbers, strings, lists and dicts, so it is read back with
``torch.load(..., weights_only=True)``. Relative paths are relative to the working directory, which
``dgmlab.setup(hw)`` made the homework folder (on Google Drive in Colab).
"""
from __future__ import annotations

import ast
import hashlib
import inspect
import random
import sys
import textwrap
import time
import types
from pathlib import Path

from . import syntax_tree
from .checkpoint_record import Record, Trail, save_atomically

FORMAT = "dgmlab-checkpoint/1"


class CheckpointMismatch(RuntimeError):
    """The checkpoint on disk belongs to a run with another configuration."""


class CheckpointError(RuntimeError):
    """The checkpoint on disk cannot be used (unreadable, not a dgmlab checkpoint, or ahead of the run)."""


# --------------------------------------------------------------------------- fingerprints
# Code is fingerprinted by its syntax tree, read from the source: the same code gives the same fingerprint
# under every Python version (Colab upgrades its Python; a student may move between Colab and a laptop),
# and comments, blank lines and docstrings do not count. Python compiles the same source to other
# bytecode from one version to the next, so bytecode is the fallback only where no source can be found
# (code built by exec() of a string, say). Checkpoints written before this scheme (no "fingerprint_scheme"
# key) hold bytecode fingerprints, and are checked against those.
SCHEME = "source/1"


def _code_digest(code: types.CodeType, h) -> None:
    """The bytecode fingerprint (fallback and the scheme of old checkpoints; depends on the Python version)."""
    h.update(code.co_code)
    h.update(repr((code.co_names, code.co_varnames, code.co_freevars, code.co_argcount,
                   code.co_kwonlyargcount)).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_digest(const, h)
        else:
            h.update(_stable_repr(const).encode())


def _source_tree(fn) -> ast.AST | None:
    """The syntax tree of ``fn``'s own definition (a def or a lambda), or None when its source cannot be found."""
    try:
        lines, _ = inspect.getsourcelines(fn)
        tree = syntax_tree.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, ValueError):  # no source; a lambda cut out of a longer statement
        return None
    if fn.__name__ == "<lambda>":
        lambdas = [node for node in ast.walk(tree) if isinstance(node, ast.Lambda)]
        return lambdas[0] if len(lambdas) == 1 else None  # several on its lines: which one is ambiguous
    first = tree.body[0] if tree.body else None
    if isinstance(first, (ast.FunctionDef, ast.AsyncFunctionDef)) and first.name == fn.__name__:
        return first
    return None


def _tree_digest(node, h) -> None:
    """Hash a syntax tree by node types, field names and values, the same way under every Python >= 3.10.

    Fields that are None or empty are left out: newer versions add fields (``type_params`` in 3.12) that
    are empty in code older versions can read. Docstrings are left out; f-string pieces are merged.
    """
    if isinstance(node, ast.AST):
        h.update(type(node).__name__.encode() + b"(")
        for field in node._fields:
            value = getattr(node, field, None)
            if field == "body" and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                value = _without_docstring(value)
            elif field == "values" and isinstance(node, ast.JoinedStr):
                value = _merged_fstring(value)
            if value is None or (isinstance(value, list) and not value):
                continue
            h.update(field.encode() + b"=")
            _tree_digest(value, h)
        h.update(b")")
    elif isinstance(node, list):
        h.update(b"[")
        for item in node:
            _tree_digest(item, h)
            h.update(b",")
        h.update(b"]")
    else:  # an identifier, an operator's constant, a literal
        h.update(_stable_repr(node).encode())


def _without_docstring(body: list) -> list:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return body[1:]
    return body


def _merged_fstring(values: list) -> list:
    """An f-string's pieces with adjacent literal parts joined and empty ones dropped (3.12 splits them otherwise)."""
    merged: list = []
    for value in values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if not value.value:
                continue
            if merged and isinstance(merged[-1], ast.Constant) and isinstance(merged[-1].value, str):
                merged[-1] = ast.Constant(merged[-1].value + value.value)
                continue
        merged.append(value)
    return merged


def _function_digest(fn, h, legacy: bool = False) -> None:
    tree = None if legacy else _source_tree(fn)
    if tree is None:
        _code_digest(fn.__code__, h)
    else:
        _tree_digest(tree, h)


def _stable_repr(value) -> str:
    """repr() that does not depend on the process (sets of strings are ordered by a per-process hash)."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_stable_repr(v) for v in value)) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_stable_repr(v) for v in value) + ")"
    return repr(value)


def _function_fingerprint(fn, legacy: bool = False) -> str:
    fn = getattr(fn, "__func__", fn)
    if not legacy and not hasattr(fn, "__code__") and hasattr(fn, "__wrapped__"):
        fn = inspect.unwrap(fn)  # a decorated function (functools.wraps): the code it wraps
    code = getattr(fn, "__code__", None)
    if code is None:
        return f"{type(fn).__qualname__} {getattr(fn, '__qualname__', '?')}"
    h = hashlib.sha256()
    _function_digest(fn, h, legacy)
    for d in (fn.__defaults__ or ()):
        h.update(repr(_fingerprint(d, legacy)).encode())
    return f"code {getattr(fn, '__qualname__', fn.__name__)} {h.hexdigest()[:16]}"


def _class_code(cls, h, legacy: bool = False) -> None:
    """The code of every method a class defines itself (not torch's own classes)."""
    for klass in cls.__mro__:
        if klass.__module__.startswith(("torch", "builtins")):
            continue
        for name, value in sorted(vars(klass).items()):
            value = getattr(value, "__func__", value)
            if isinstance(value, types.FunctionType):
                h.update(name.encode())
                _function_digest(value, h, legacy)


def _module_fingerprint(module, legacy: bool = False) -> str:
    """Class names, parameter and buffer shapes, and the code of the network's own classes."""
    h = hashlib.sha256()
    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype};".encode())
    for sub in module.modules():
        h.update(type(sub).__qualname__.encode())
    for cls in sorted({type(sub) for sub in module.modules()}, key=lambda c: c.__qualname__):
        _class_code(cls, h, legacy)
    return f"{type(module).__qualname__} {h.hexdigest()[:16]}"


def _tensor_fingerprint(t) -> str:
    """Shape, dtype and a hash of (a strided subset of at most a million of) the values: cheap even for MNIST."""
    import torch

    flat = t.detach().reshape(-1)
    step = max(1, -(-flat.numel() // 1_000_000))
    sample = flat[::step].to("cpu", copy=True).contiguous()
    h = hashlib.sha256(sample.view(torch.uint8).numpy().tobytes() if sample.numel() else b"")
    return f"tensor{tuple(t.shape)} {t.dtype} {h.hexdigest()[:16]}"


def _fingerprint(value, legacy: bool = False) -> str:
    """A short string that changes when ``value`` would change training (``legacy``: code by its bytecode)."""
    import torch

    if isinstance(value, torch.Tensor):
        return _tensor_fingerprint(value)
    if isinstance(value, torch.nn.Module):
        return _module_fingerprint(value, legacy)
    if isinstance(value, torch.Generator):
        return "torch.Generator " + _tensor_fingerprint(value.get_state())
    images = getattr(value, "images", None)  # a dgmlab.data.ImageSet
    if isinstance(images, torch.Tensor):
        return f"{type(value).__name__} " + _tensor_fingerprint(images)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fingerprint(v, legacy) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_fingerprint(v, legacy)}"
                               for k, v in sorted(value.items(), key=repr)) + "}"
    if callable(value) and not isinstance(value, type):
        return _function_fingerprint(value, legacy)
    if isinstance(value, type):
        h = hashlib.sha256()
        _class_code(value, h, legacy)
        return f"class {value.__qualname__} {h.hexdigest()[:16]}"
    return _stable_repr(value)


def fingerprint_of(value) -> str:
    """What a checkpoint (and a training record) says of ``value`` in its config: e.g. the grader's replay finds the
    training data a record's run used by it."""
    return _fingerprint(value)


# --------------------------------------------------------------------------- random states
def _rng_state() -> dict:
    import numpy as np
    import torch

    name, key, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    state = {
        "python": random.getstate(),
        "numpy": [name, [int(k) for k in key], int(pos), int(has_gauss), float(gauss)],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    return state


def _set_rng_state(state: dict) -> str | None:
    """Restore the global random states; return a warning when the CUDA part cannot be restored."""
    import numpy as np
    import torch

    random.setstate(_as_tuple(state["python"]))
    name, key, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, np.asarray(key, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    cuda = list(state.get("cuda") or [])
    if torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    elif cuda or torch.cuda.is_available():
        return ("the checkpoint was saved on another kind of machine (GPU vs CPU): training resumes, but the "
                "result will not be bit-for-bit the one an uninterrupted run would have given")
    return None


def _as_tuple(x):
    return tuple(_as_tuple(v) for v in x) if isinstance(x, (list, tuple)) else x


# --------------------------------------------------------------------------- the checkpoint
class Checkpoint:
    """Save a training run after every epoch and resume it; see the module docstring.

    ``path``: the checkpoint file (``None``: train without saving; resume() then always starts over).
    ``epochs``: the number of epochs the run will train in all.
    ``config``: what must not change between the run and its resumption (settings, the data, the
    training functions); a dict of values, tensors, ImageSets, networks or functions (fingerprinted
    by their code). The networks and optimizers in ``state`` are fingerprinted too (shapes, classes).
    ``**state``: by name, every object whose state the run needs: networks and optimizers
    (``state_dict``/``load_state_dict``), a mixed-precision ``GradScaler`` (its loss scale; a checkpoint
    without one, or from a scaler that was off, starts it afresh) and ``torch.Generator``s
    (``get_state``/``set_state``).
    """

    def __init__(self, path, *, epochs: int, config: dict | None = None, quiet: bool = False,
                 record: Record | None = None, **state):
        import torch

        if not state:
            raise TypeError("Checkpoint(...) needs the networks and optimizers to save, by name: "
                            "Checkpoint(path, epochs=..., generator=generator, g_opt=g_opt, ...)")
        for name, obj in state.items():
            if not (isinstance(obj, torch.Generator) or
                    (hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict"))):
                raise TypeError(f"Checkpoint: {name}={type(obj).__name__} cannot be saved: pass networks, optimizers "
                                "(anything with state_dict/load_state_dict) or torch.Generator objects")
        if not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"Checkpoint: epochs must be a whole number >= 0, got {epochs!r}")
        self.path = None if path is None else Path(path).expanduser().absolute()
        self.epochs = epochs
        self.state = state
        self.quiet = quiet
        self.config = dict(config or {})
        self.fingerprint = self._fingerprints()
        self.epoch_seconds: list[float] = []  # wall-clock seconds of every epoch trained, across resumptions
        self._resumed = False
        self._clock = None
        self.trail = None
        if record is not None and self.path is not None:
            self.trail = Trail(record, self.path, state, self.fingerprint)

    def _fingerprints(self, legacy: bool = False) -> dict:
        """What identifies this run: the config's values and the networks', optimizers' and generators' setup."""
        import torch

        fingerprint = {str(k): _fingerprint(v, legacy) for k, v in self.config.items()}
        fingerprint.update({f"{k} (shapes and code)": _fingerprint(v, legacy) for k, v in self.state.items()
                            if isinstance(v, torch.nn.Module)})
        fingerprint.update({f"{k} (optimizer settings)": _optimizer_fingerprint(v, legacy)
                            for k, v in self.state.items() if isinstance(v, torch.optim.Optimizer)})
        fingerprint.update({f"{k} (random generator's seed)": _fingerprint(v) for k, v in self.state.items()
                            if isinstance(v, torch.Generator)})
        return fingerprint

    # -- reading
    def _say(self, text: str) -> None:
        if not self.quiet:
            print(text)

    def _how_to_start_over(self) -> str:
        return (f"To start over, set retrain=True where the training is started (it then replaces the file) or delete "
                f"{self.path}; to keep that run, move the file elsewhere first.")

    def load(self) -> dict:
        """The checkpoint file's content (read with ``weights_only=True``); raises CheckpointError if unusable."""
        import torch

        try:
            data = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as exc:
            detail = (str(exc).strip().splitlines() or [""])[-1][:300]
            raise CheckpointError(f"cannot read the checkpoint {self.path} ({type(exc).__name__}: {detail}). "
                                  + self._how_to_start_over()) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CheckpointError(f"{self.path} is not a dgmlab training checkpoint. " + self._how_to_start_over())
        return data

    def resume(self, history, retrain: bool = False):
        """Load the checkpoint if there is one; return ``(epochs_done, history)``.

        ``history`` is the fresh history the loop starts with; it is returned unchanged when training
        starts over. Raises :class:`CheckpointMismatch` when the checkpoint belongs to another run.
        """
        self._resumed = True
        self._clock = time.perf_counter()
        if self.path is None:
            return 0, history
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):  # left by a save that was killed
            stale.unlink(missing_ok=True)
        if not self.path.exists() or retrain:
            self._say(f"checkpoint: none yet; training from the start and saving after every epoch to {self.path}"
                      if not self.path.exists() else
                      f"checkpoint: retrain=True, so training starts over and {self.path} will be replaced")
            if self.trail is not None:
                self.trail.resumed(0, 0, fresh=True)
            return 0, history
        data = self.load()
        legacy = data.get("fingerprint_scheme") != SCHEME  # saved by a dgmlab that fingerprinted bytecode
        mine = self._fingerprints(legacy=True) if legacy else self.fingerprint
        differs = sorted(k for k in set(mine) | set(data["fingerprint"]) if mine.get(k) != data["fingerprint"].get(k))
        if differs:
            saved_under = data.get("python")
            version_note = ""
            if legacy and any("code" in k or "code " in str(mine.get(k)) for k in differs):
                version_note = ("This checkpoint was written by an older dgmlab, which compared code by its bytecode: "
                                "under another Python version the same code looks different, so if you did not change "
                                "that code, resume it with the Python version that saved it. ")
            elif saved_under and saved_under != _python_version():
                version_note = f"(It was saved under Python {saved_under}, this is {_python_version()}.) "
            raise CheckpointMismatch(
                f"the checkpoint {self.path} was saved by a different run: these differ from this run: "
                f"{', '.join(differs)}. It is not used and not overwritten. " + version_note
                + self._how_to_start_over())
        done = int(data["epoch"])
        if done > self.epochs:
            raise CheckpointError(f"the checkpoint {self.path} has {done} epochs, more than the {self.epochs} this "
                                  "run asks for. " + self._how_to_start_over())
        missing = [name for name, obj in self.state.items()
                   if data["state"].get(name) is None and not _is_grad_scaler(obj)]
        if missing:  # checked before anything is loaded, so a refused checkpoint changes nothing
            raise CheckpointMismatch(f"the checkpoint {self.path} has no saved state for {', '.join(missing)}: it was "
                                     "saved by another training loop (or an older version of this notebook's). "
                                     "It is not used and not overwritten. "
                                     + self._how_to_start_over())
        notes = []
        for name, obj in self.state.items():
            saved = data["state"].get(name)
            if _is_grad_scaler(obj) and not saved:
                # saved before scalers were checkpointed, or by a scaler that was off (a run begun on the CPU)
                if obj.is_enabled():
                    notes.append(f"{name} (the mixed-precision loss scale) was not saved; it starts afresh, so the "
                                 "first few float16 steps may be skipped while it settles")
            elif hasattr(obj, "set_state") and not hasattr(obj, "load_state_dict"):
                obj.set_state(saved)
            else:
                obj.load_state_dict(saved)
        warning = _set_rng_state(data["rng"])
        if self.trail is not None:
            self.trail.resumed(done, int(data.get("step", 0)), fresh=False)
        self.epoch_seconds = [float(s) for s in data.get("epoch_seconds", [])]
        if done == self.epochs:
            self._say(f"checkpoint: the finished run ({done} epoch{'' if done == 1 else 's'}) was loaded from {self.path}; not training "
                      "again (pass retrain=True, or delete the file, to train from the start)")
        else:
            self._say(f"checkpoint: resuming after epoch {done} of {self.epochs} from {self.path}")
        for note in notes + ([warning] if warning else []):
            self._say(f"checkpoint: note: {note}")
        return done, data["history"]

    # -- writing
    def save(self, epoch: int, history) -> None:
        """Save everything after ``epoch`` (atomically: a temporary file, then ``os.replace``)."""
        import torch

        if not self._resumed:
            raise RuntimeError("call Checkpoint.resume(...) before the loop and save(...) at the end of each epoch")
        now = time.perf_counter()
        self.epoch_seconds.append(now - self._clock)
        self._clock = now
        if self.path is None:
            return
        data = {
            "format": FORMAT,
            "epoch": int(epoch),
            "epochs": self.epochs,
            "fingerprint": self.fingerprint,
            "fingerprint_scheme": SCHEME,
            "python": _python_version(),
            "state": {name: (obj.get_state() if isinstance(obj, torch.Generator) else obj.state_dict())
                      for name, obj in self.state.items()},
            "rng": _rng_state(),
            "history": history,
            "epoch_seconds": list(self.epoch_seconds),
            "step": self.trail.step if self.trail is not None else 0,
            "saved_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "torch": str(torch.__version__),
        }
        save_atomically(data, self.path)
        if self.trail is not None:
            self.trail.saved(epoch, history, data["rng"])

    def seconds_per_epoch(self) -> float:
        """Mean wall-clock seconds of the epochs trained so far (across resumptions); nan before any."""
        return sum(self.epoch_seconds) / len(self.epoch_seconds) if self.epoch_seconds else float("nan")


def _is_grad_scaler(obj) -> bool:
    """A mixed-precision loss scaler: ``torch.amp.GradScaler`` (``torch.cuda.amp``'s is one since torch 2.3), or
    ``torch.cuda.amp.GradScaler`` on older torch, as ``runtime.grad_scaler`` makes them."""
    import torch

    return isinstance(obj, getattr(torch.amp, "GradScaler", None) or torch.cuda.amp.GradScaler)


def _python_version() -> str:
    return "%d.%d.%d" % sys.version_info[:3]


def _optimizer_fingerprint(opt, legacy: bool = False) -> str:
    groups = [{k: _fingerprint(v, legacy) for k, v in g.items() if k != "params"} | {"n_params": len(g["params"])}
              for g in opt.param_groups]
    return f"{type(opt).__qualname__} {groups!r}"
