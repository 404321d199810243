"""Is a handed-in training record one run? The judge's check of :mod:`dgmlab.checkpoint_record` files.

A trained cell's hand-in carries the run that made it. The record is untrusted: read with
``torch.load(weights_only=True)`` after :func:`dgmlab.weights_files.check` (size, tensor count, no zip tricks),
its structure checked before any number is used. A record is one run when

(a) its last snapshot's kept weights are, tensor for tensor, the graded weights file;
(b) the scores of its snapshots rise as the kit's own runs do (the homework's :class:`Rise`, calibrated on them);
(c) a short segment replayed on the grader's CPU, with the kit's own training step (the homework's hidden
    package, never the student's code), from the replay state the course key picks (:func:`pick`, from the graded
    file's keyed seed) lands where the record's landing says, within the homework's tolerance (:func:`landing_error`).

Anything else, a missing record included, is "needs a look": the verdict says why, the judge keeps it for
``dgmlab report`` (:mod:`dgmlab.grading.report.training_records`), and an instructor decides.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from ... import weights_files

RECORD_FORMAT = "dgmlab-record/1"  # dgmlab.checkpoint_record.RECORD_FORMAT (the student runtime's)
MAX_RECORD_BYTES = 60 * 2**20  # the hw4 baseline's full-mode record is about 45 MB
MAX_ENTRIES = 16
KEPT_NAME = "training_record.pt"  # the verdict the judge keeps per graded file: training_record.pt, ..._cgan.pt
MAX_VERDICT_BYTES = 64 * 1024  # a kept verdict is a few hundred bytes
ONE_RUN, NEEDS_A_LOOK = "one run", "needs a look"


class RecordRefused(ValueError):
    """The record is not one the kit's Checkpoint writes; the message says what is wrong."""


@dataclass(frozen=True)
class Rise:
    """How scores rise along the kit's own runs: the last named snapshot at least ``gain`` above the first, no
    snapshot more than ``drop`` below the best before it, and, where ``most`` is set (a short run's records: fast
    mode), the last one at most ``most`` (calibrated on the kit's runs; the homework's page)."""

    gain: float
    drop: float
    most: float | None = None


@dataclass
class RecordVerdict:
    """The check's outcome for one graded file: ``status`` (:data:`ONE_RUN` or :data:`NEEDS_A_LOOK`) and why."""

    name: str
    status: str
    reasons: list[str] = field(default_factory=list)
    scores: list[tuple[int, float]] = field(default_factory=list)  # (epoch, score) of the snapshots
    replay: str = ""
    cells: list[str] = field(default_factory=list)  # the grade cells whose points wait for a look unless one run

    def line(self) -> str:
        why = "; ".join(self.reasons)
        return f"training record of {self.name}: {self.status}" + (f" ({why})" if why else "") + \
            (f"; {self.replay}" if self.replay and self.status == ONE_RUN else "")

    def to_bytes(self) -> bytes:
        import torch

        buf = io.BytesIO()
        torch.save({"name": self.name, "status": self.status, "reasons": [str(r) for r in self.reasons],
                    "scores": [[int(e), float(s)] for e, s in self.scores], "replay": self.replay,
                    "cells": [str(c) for c in self.cells]}, buf)
        return buf.getvalue()


def is_kept_verdict(name: str) -> bool:
    """Whether the kept file ``name`` is a record verdict (:data:`KEPT_NAME`, or one per graded file after it)."""
    stem = KEPT_NAME.removesuffix(".pt")
    return name == KEPT_NAME or (name.startswith(stem + "_") and name.endswith(".pt"))


def read_verdict(data: bytes) -> dict[str, Any]:
    """A kept verdict's fields (what :meth:`RecordVerdict.to_bytes` wrote); :class:`ValueError` if it is not one."""
    import torch

    if len(data) > MAX_VERDICT_BYTES:
        raise ValueError("too large for a record verdict")
    found = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if not isinstance(found, dict) or not isinstance(found.get("status"), str):
        raise ValueError("not a record verdict")
    return found


def kept_verdicts(kept: dict[str, bytes]) -> list[dict[str, Any]]:
    """The record verdicts among one grading's kept files (one per graded weights file), by file name; one that
    cannot be read is a verdict saying so, which needs a look and names no cell (never skipped)."""
    found = []
    for name in sorted(n for n in (kept or {}) if is_kept_verdict(n)):
        try:
            found.append(read_verdict(kept[name]))
        except Exception as exc:  # noqa: BLE001 - listed, so that someone looks
            found.append({"name": name, "status": NEEDS_A_LOOK, "cells": [],
                          "reasons": [f"its kept verdict cannot be read ({exc})"]})
    return found


def cells_to_look(kept: dict[str, bytes]) -> set[str]:
    """The grade cells whose points wait until an instructor has looked, from one grading's kept files: those each
    verdict that is not :data:`ONE_RUN` names (a verdict that cannot be read names none: the report lists it)."""
    return {c for v in kept_verdicts(kept) if v["status"] != ONE_RUN for c in v.get("cells", ()) if isinstance(c, str)}


# --------------------------------------------------------------------------- reading
def _need(ok: bool, what: str) -> None:
    if not ok:
        raise RecordRefused(f"not a training record the kit's Checkpoint writes: {what}")


def _entry_ok(entry: Any, previous: Any) -> None:
    _need(isinstance(entry, dict), "a snapshot is not a table")
    for key in ("epoch", "step"):
        _need(isinstance(entry.get(key), int) and entry[key] >= 0, f"a snapshot's {key} is not a whole number")
    _need(isinstance(entry.get("keep"), dict) and isinstance(entry.get("rng"), dict), "a snapshot lacks its state")
    if previous is not None:
        _need(entry["epoch"] > previous["epoch"] and entry["step"] >= previous["step"],
              "its snapshots' epochs and steps do not increase")
    if "state" in entry:
        landing = entry.get("landing")
        _need(isinstance(entry["state"], dict) and isinstance(entry.get("landing_at"), int), "a replay state is torn")
        _need(landing is None or (isinstance(landing, dict) and landing.get("step") == entry["landing_at"]
                                  and isinstance(landing.get("state"), dict)), "a landing is torn")


def read(data: bytes, name: str) -> dict[str, Any]:
    """The record in ``data`` (a handed-in file's bytes), checked; raises :class:`RecordRefused` saying why not."""
    import torch

    if len(data) > MAX_RECORD_BYTES:
        raise RecordRefused(f"{name} is {len(data):,} bytes, more than the {MAX_RECORD_BYTES:,} a record can be: "
                            "hand in the file the training cell wrote, unchanged")
    try:
        record: dict[str, Any] = weights_files.load(data, name, MAX_RECORD_BYTES)
    except weights_files.RefusedFile as exc:
        raise RecordRefused(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - damaged, or objects other than tensors (weights_only refuses them)
        why = (str(exc).splitlines() or [""])[0][:160] or type(exc).__name__
        raise RecordRefused(f"{name} cannot be read with torch.load(weights_only=True): {why}") from None
    _need(isinstance(record, dict) and record.get("format") == RECORD_FORMAT, f"no {RECORD_FORMAT!r} format")
    entries: Any = record.get("entries")
    _need(isinstance(entries, list) and 0 < len(entries) <= MAX_ENTRIES, f"1 to {MAX_ENTRIES} snapshots expected")
    previous = None
    for entry in entries:
        _entry_ok(entry, previous)
        previous = entry
    history = record.get("history")
    _need(isinstance(history, dict) and all(isinstance(v, torch.Tensor) and v.dim() == 1 for v in history.values()),
          "its loss history is not lists of numbers")
    return record


# --------------------------------------------------------------------------- the three checks
def graded_is_last(record: dict[str, Any], graded: dict[str, Any], keep: str) -> str | None:
    """Why the graded weights (a state dict, float16) are not the record's last snapshot of ``keep``; None if they
    are, tensor for tensor (the averaged model's ``module.`` prefix and step count aside)."""
    import torch

    kept = record["entries"][-1]["keep"].get(keep)
    if not isinstance(kept, dict):
        return f"its last snapshot keeps no {keep}"
    mine = {k.removeprefix("module."): v for k, v in kept.items()
            if isinstance(v, torch.Tensor) and v.is_floating_point()}
    theirs = {k: v for k, v in graded.items() if isinstance(v, torch.Tensor) and v.is_floating_point()}
    if set(mine) != set(theirs):
        return "the graded file's tensors are not those of its last snapshot"
    same = all(mine[k].shape == theirs[k].shape and torch.equal(mine[k].half(), theirs[k].half()) for k in mine)
    return None if same else "the graded weights are not its last snapshot's"


def rise_problems(scores: list[tuple[int, float]], rise: Rise) -> list[str]:
    """Why the (epoch, score) trail does not rise as the kit's runs do (empty: it does)."""
    out = []
    if len(scores) < 2:
        return ["fewer than two snapshots to score"]
    (first_epoch, first), (last_epoch, last) = scores[0], scores[-1]
    if last - first < rise.gain:
        out.append(f"its score rose {last - first:.2f} from epoch {first_epoch} to {last_epoch}, less than the "
                   f"{rise.gain:g} of the kit's runs")
    if rise.most is not None and last > rise.most:
        out.append(f"it is the record of a short run (fast mode), whose generators score up to {rise.most:g}, not "
                   f"{last:.2f}: hand in the record of the run that made the graded file")
    best = first
    for epoch, score in scores[1:]:
        if score < best - rise.drop:
            out.append(f"its score fell to {score:.2f} at epoch {epoch}, more than {rise.drop:g} below {best:.2f}")
        best = max(best, score)
    return out


def pick(seed: int, n: int) -> int:
    """Which of ``n`` replay states the key picks: from ``seed`` (the graded file's keyed draw seed), never public."""
    digest = hashlib.sha256(b"dgmlab training record replay:" + str(int(seed)).encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


def landing_error(start: dict[str, Any], replayed: dict[str, Any], landing: dict[str, Any]) -> float:
    """How far the replay landed from the record's landing, in units of how far the replay moved the networks:
    RMS(replayed - landing) / RMS(replayed - start) over every floating tensor (``inf`` if they do not match).

    A replay is bit-exact only on the thread count and device the run used: elsewhere Adam turns rounding in
    near-zero gradients into whole steps, and other noise (a GPU's generator) moves the networks elsewhere, so an
    honest replay lands within about its own move (at most twice it), a landing of another run many moves away."""
    import torch

    miss = moved = 0.0
    for net, state in landing.items():
        for key, want in state.items():
            if not (isinstance(want, torch.Tensor) and want.is_floating_point()):
                continue
            got, was = replayed.get(net, {}).get(key), start.get(net, {}).get(key)
            if got is None or was is None or got.shape != want.shape or was.shape != want.shape:
                return float("inf")
            miss += float((got.double() - want.double()).pow(2).sum())
            moved += float((got.double() - was.double()).pow(2).sum())
    return (miss / moved) ** 0.5 if moved > 0 else float("inf")


# --------------------------------------------------------------------------- the verdict
def _replay_problems(record: dict[str, Any], seed: int, hooks: Any) -> tuple[list[str], str]:
    """(c): why the keyed replay does not land where the record says (empty: it does), and what it replayed."""
    states = [e for e in record["entries"] if "state" in e and e.get("landing") is not None]
    if not states:
        return ["it holds no replay state with its landing"], ""
    entry = states[pick(seed, len(states))]
    try:
        replayed, _losses = hooks.replay(entry, record)
    except Exception as exc:  # noqa: BLE001 - a state that does not fit the kit's networks, or no data: said
        return [f"the replay from epoch {entry['epoch']} could not start: {str(exc)[:200]}"], ""
    start = {net: entry["state"].get(net, {}) for net in entry["landing"]["state"]}
    error = landing_error(start, replayed, entry["landing"]["state"])
    done = f"replayed {entry['landing_at'] - entry['step']} steps from epoch {entry['epoch']}, off by {error:.1e}"
    out = [] if error <= hooks.tolerance else [
        f"{done}: the replay lands elsewhere than its landing (tolerance {hooks.tolerance:g}): not one run"]
    return out, done


def verdict(name: str, record_bytes: bytes | str | None, graded: dict[str, Any], seed: int,
            hooks: Any) -> RecordVerdict:
    """Whether the record handed in with the graded weights ``name`` (``graded``: their state dict) is one run.

    ``record_bytes``: the record file's bytes, None when none was handed in, or why it was not read; ``seed``: the graded file's keyed
    draw seed; ``hooks``: the homework's hidden side (``record_name``, ``keep``, ``rise(record)``, ``tolerance``,
    ``score(state)``, ``replay(entry, record)``)."""
    if record_bytes is None:
        return RecordVerdict(name, NEEDS_A_LOOK, [f"no training record ({hooks.record_name}) was handed in"],
                             cells=_cells(hooks))
    if isinstance(record_bytes, str):  # the grading worker did not read it (too large, a link): why
        return RecordVerdict(name, NEEDS_A_LOOK, [f"refused: {record_bytes}"], cells=_cells(hooks))
    try:
        record = read(record_bytes, hooks.record_name)
    except RecordRefused as exc:
        return RecordVerdict(name, NEEDS_A_LOOK, [f"refused: {exc}"], cells=_cells(hooks))
    reasons = []
    last = graded_is_last(record, graded, hooks.keep)
    if last:
        reasons.append(last)
    scores = []
    for entry in record["entries"]:
        kept = entry["keep"].get(hooks.keep)
        try:
            scores.append((entry["epoch"], float(hooks.score(kept))))
        except Exception as exc:  # noqa: BLE001 - weights that do not fit the network: said, never scored
            reasons.append(f"its snapshot at epoch {entry['epoch']} cannot be scored: {str(exc)[:160]}")
            break
    else:
        reasons += rise_problems(scores, hooks.rise(record))
    replayed, done = _replay_problems(record, seed, hooks)
    reasons += replayed
    return RecordVerdict(name, NEEDS_A_LOOK if reasons else ONE_RUN, reasons, scores, done, _cells(hooks))


def _cells(hooks: Any) -> list[str]:
    return [str(c) for c in getattr(hooks, "cells", ())]
