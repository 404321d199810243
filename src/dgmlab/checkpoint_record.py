"""A training record: the trail of snapshots a :class:`dgmlab.checkpoint.Checkpoint` keeps of its run, in one file.

A trained cell's hand-in carries the run that made it: ``Checkpoint(..., record=Record(...))`` writes, beside the
weights, one file holding at each epoch of ``epochs`` a snapshot (the epoch, the step: optimizer steps taken so
far, all optimizers counted; the global random states; the epoch's mean losses; the state of the ``keep`` objects,
float16: what the grader scores along the run) and at each epoch of ``replay`` the run's whole state (float32, what
a replay starts from) plus its ``landing``: the networks' weights ``steps`` optimizer steps later (float32). The
file ends with the whole loss history and the checkpoint's fingerprint of the run's config (its data, say). The grader checks that the record is one run
(:mod:`dgmlab.grading.judge.training_record`).

The trail is written at each ``save`` that adds to it, atomically as the checkpoint is (a temporary file, then
``os.replace``), and read back on resume, so a run interrupted and resumed in Colab writes the record an
uninterrupted one would. It holds only tensors, numbers, strings, lists and dicts (``torch.load(weights_only=True)``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

RECORD_FORMAT = "dgmlab-record/1"


@dataclass(frozen=True)
class Record:
    """What a run's record keeps: snapshots at ``epochs``, whole states at ``replay`` (each with its landing
    ``steps`` optimizer steps later), the ``keep`` objects' state (by the Checkpoint's names) in every snapshot;
    ``path``: the record file (default: the checkpoint's with ``.record.pt``)."""

    epochs: tuple = ()
    replay: tuple = ()
    steps: int = 32
    keep: tuple = ()
    path: str | os.PathLike | None = None


def _half(state):
    """``state`` (a state_dict, nested) with floating tensors in float16 on the CPU."""
    import torch

    if isinstance(state, torch.Tensor):
        t = state.detach().cpu()
        return t.half() if t.is_floating_point() else t.clone()
    if isinstance(state, dict):
        return {k: _half(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return [_half(v) for v in state]
    return state


def _cpu(state):
    """``state`` copied to the CPU as is (float32 stays float32)."""
    import torch

    if isinstance(state, torch.Tensor):
        return state.detach().to("cpu", copy=True)
    if isinstance(state, dict):
        return {k: _cpu(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return [_cpu(v) for v in state]
    return state


def state_of(obj):
    """The saved state of one object a Checkpoint holds (a network, an optimizer, a ``torch.Generator``)."""
    import torch

    return obj.get_state() if isinstance(obj, torch.Generator) else obj.state_dict()


class Trail:
    """The record of one Checkpoint's run (see the module docstring); the Checkpoint calls :meth:`resumed` and
    :meth:`saved`, and the optimizers' step hooks count the steps."""

    def __init__(self, plan: Record, checkpoint_path, state: dict, fingerprint: dict | None = None):
        import torch

        for name in plan.keep:
            if name not in state:
                raise ValueError(f"Record(keep=...): {name!r} is not one of the Checkpoint's objects {sorted(state)}")
        if plan.steps < 1:
            raise ValueError("Record(steps=...) must be at least 1")
        self.plan = plan
        self.path = (Path(plan.path).expanduser().absolute() if plan.path is not None
                     else checkpoint_path.with_name(checkpoint_path.stem + ".record.pt"))
        self.state = state
        self.fingerprint = dict(fingerprint or {})  # the checkpoint's: what the run's config was (its data)
        self.entries: list = []
        self.step = 0
        self._pending = None  # the replay entry waiting for its landing
        self._dirty = False  # a landing taken since the record was last written
        for obj in state.values():
            if isinstance(obj, torch.optim.Optimizer):
                obj.register_step_post_hook(self._stepped)

    def _networks(self) -> dict:
        import torch

        return {name: obj for name, obj in self.state.items()
                if isinstance(obj, torch.nn.Module) and name not in self.plan.keep}

    def _stepped(self, *_args) -> None:
        self.step += 1
        entry = self._pending
        if entry is not None and self.step == entry["landing_at"]:
            entry["landing"] = {"step": self.step,
                                "state": {name: _cpu(m.state_dict()) for name, m in self._networks().items()}}
            self._pending = None
            self._dirty = True

    def resumed(self, done: int, step: int, fresh: bool) -> None:
        """The run starts at epoch ``done`` (0: from the start, the record replaced), ``step`` steps taken."""
        import torch

        self.step, self.entries, self._pending = int(step), [], None
        if fresh or done == 0 or not self.path.exists():
            return
        try:
            data = torch.load(self.path, map_location="cpu", weights_only=True)
            entries = list(data["entries"]) if data.get("format") == RECORD_FORMAT else []
        except Exception:  # noqa: BLE001 - an unreadable record restarts its trail; the checkpoint decides the run
            entries = []
        self.entries = [e for e in entries if int(e["epoch"]) <= done]
        last = self.entries[-1] if self.entries else None
        if last is not None and "landing_at" in last and last.get("landing") is None and self.step < last["landing_at"]:
            self._pending = last

    def saved(self, epoch: int, history, rng: dict) -> None:
        """After the Checkpoint saved ``epoch``: add its snapshot when named, and write the record when it changed."""
        if epoch in self.plan.epochs or epoch in self.plan.replay:
            self.entries.append(self._snapshot(epoch, history, rng))
            self._dirty = True
        if self._dirty:
            self._write(history)
            self._dirty = False

    def _snapshot(self, epoch: int, history, rng: dict) -> dict:
        entry = {"epoch": int(epoch), "step": self.step, "rng": rng,
                 "losses": {str(k): [len(v), float(sum(v[-100:]) / max(1, len(v[-100:])))]
                            for k, v in dict(history).items()},
                 "keep": {name: _half(state_of(self.state[name])) for name in self.plan.keep}}
        if epoch in self.plan.replay:
            entry["state"] = {name: _cpu(state_of(obj)) for name, obj in self.state.items() if name not in self.plan.keep}
            entry["landing_at"] = self.step + int(self.plan.steps)
            entry["landing"] = None
            self._pending = entry
        return entry

    def _write(self, history) -> None:
        import torch

        data = {"format": RECORD_FORMAT, "entries": self.entries, "fingerprint": self.fingerprint,
                "history": {str(k): torch.tensor([float(x) for x in v], dtype=torch.float32)
                            for k, v in dict(history).items()},
                "torch": str(torch.__version__)}
        save_atomically(data, self.path)


def save_atomically(data: dict, path: Path) -> None:
    """``torch.save(data)`` to ``path`` through a temporary file and ``os.replace``: a kill mid-save leaves the file
    before it whole (the checkpoint's and the record's saves)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
