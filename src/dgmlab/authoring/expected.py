"""A course's own homework's recorded values: what its visible tests compare with in a student's self-check.

A visible test of ``checks.py`` reads ``ref.<name>`` (:class:`dgmlab.probes.Ref`). The values come from ``EXPECTED`` in
the homework's ``hidden.py`` (``{test cell: fn(inputs) -> {name: value}}``), which the release never gives students:
graded, the grader computes them on its own draw; in a self-check the student's kernel reads them from
``expected.json`` beside ``checks.py``, recorded here by running ``EXPECTED`` on each cell's working-seed inputs
(:func:`dgmlab.grading.references.recorded.record_expected`, as the kit records its own). ``dgmlab build
--record-expected <hw>`` writes ``homeworks/<hw>/expected.json`` (:mod:`dgmlab.probes.wire`'s JSON: data, no code),
``dgmlab build`` copies it to ``source/<hw>/`` with ``checks.py`` and ``hidden.py``, and ``dgmlab build --check``
fails while any of the three copies, or the recorded values, is stale (:func:`problems`).
"""
from __future__ import annotations

from pathlib import Path

from dgmlab import probes
from dgmlab.grading import hidden
from dgmlab.grading.references import recorded
from dgmlab.probes import wire

from .errors import BuildError

# A recording is stale when it is off by more than float noise (a float32 network's outputs move by a few 1e-6 with
# the number of threads); a changed reference or input draw moves them by far more.
RTOL, ATOL = 1e-5, 1e-8


def _values(hw: str) -> dict:
    """``{test cell: {name: value}}``: what the loaded ``hidden.py``'s ``EXPECTED`` gives on the working seed's draw."""
    try:
        return recorded.record_expected(hw)
    except KeyError as exc:  # EXPECTED names a cell checks.py does not have
        raise BuildError(f"{hw}: {exc.args[0]}: name a test cell of checks.py's CHECKS") from None


def record(hw: str, folder: Path | str) -> Path:
    """Write ``folder/expected.json``, the values ``hidden.py``'s ``EXPECTED`` gives for ``hw`` (its checks and hidden
    tests loaded by the build), and return its path; refuses a homework whose hidden.py has nothing to record."""
    folder = Path(folder)
    values = _values(hw)
    if not values:
        raise BuildError(f"{folder / hidden.FILE} defines no EXPECTED, so there is nothing to record: write EXPECTED = "
                         "{\"<test cell>\": fn} there, fn(inputs) -> {name: value} the reference values its tests read "
                         "as ref.<name> (docs/own_homework.md)")
    path = folder / probes.EXPECTED_FILE
    path.write_text(wire.dumps(values) + "\n", encoding="utf-8")
    return path


def _same(a, b) -> bool:
    import torch

    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype == b.dtype
                and a.shape == b.shape and torch.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= ATOL + RTOL * abs(b) or (a != a and b != b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def stale_values(hw: str, folder: Path | str) -> str | None:
    """Why ``folder/expected.json`` is not what ``hidden.py``'s ``EXPECTED`` gives now, or ``None`` (also when
    neither records anything)."""
    path = Path(folder) / probes.EXPECTED_FILE
    now = _values(hw)
    if not path.is_file():
        return f"{path} is missing: record it with dgmlab build --record-expected {hw}" if now else None
    try:
        stored = wire.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return f"{path} cannot be read ({exc}): record it again with dgmlab build --record-expected {hw}"
    if not now:
        return (f"{path} holds recorded values, but hidden.py defines no EXPECTED: delete it, or write EXPECTED "
                f"and run dgmlab build --record-expected {hw}")
    cells = sorted(c for c in set(now) | set(stored) if not _same(stored.get(c), now.get(c)))
    if cells:
        return (f"{path} is stale for {', '.join(cells)} (hidden.py's EXPECTED gives other values on checks.py's "
                f"inputs): run dgmlab build --record-expected {hw}")
    return None


def stale_copies(hw: str, files: dict, source: Path | str) -> list[str]:
    """What in ``source`` (``source/<hw>/``) differs from the course's own files, ``files`` = ``{name there: the
    course's file, or None when it has none}`` (``checks.py``, ``hidden.py``, ``expected.json``): a released
    ``checks.py`` or graded ``hidden.py`` left stale would be handed out or graded silently."""
    out = []
    for name, mine in files.items():
        copy = Path(source) / name
        if mine is not None and Path(mine).is_file():
            if not copy.is_file() or copy.read_bytes() != Path(mine).read_bytes():
                out.append(f"{copy} differs from {mine}: run dgmlab build {hw}")
        elif copy.is_file():
            out.append(f"{copy} is left from an earlier build (the homework has no {name} now): run dgmlab build {hw}")
    return out
