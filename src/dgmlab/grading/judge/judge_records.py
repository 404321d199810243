"""What the judge is asked and what it answers, as records (:mod:`.judging` judges, :mod:`.judge_process` carries).

- :class:`JudgeRequest`: one notebook's check() cells and all their judging reads: the homework, the grader's seed,
  the instructor's cells, a course's ``checks.py`` and ``hidden.py`` as text, the handed-in files' bytes, the graded
  draws' seeds, the course's hidden-test markers.
- :class:`CellToJudge`: one of its cells: grade id, the instructor's source, what the kernel showed.
- :class:`Verdict`: the judge's answer for one cell: the points, the report's lines, the files its hidden tests kept.

Inside a process they are these frozen records. Between the grading worker and the judge's process they travel as
JSON lines in wire form (:meth:`~JudgeRequest.to_wire`, :meth:`~JudgeRequest.from_wire`): bytes as base64, a file
that was not read as ``{"refused": why}``. ``from_wire`` reads a line its own process did not make: a key the record
does not have, a missing one or a value of the wrong type is a :class:`ValueError` naming it, before any judging.
"""
from __future__ import annotations

import base64
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


def _known(cls: type, wire: object, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """``wire`` (a dict) checked against ``cls``'s fields: a key it does not have, or a ``required`` one missing, is a
    ValueError naming it."""
    if not isinstance(wire, dict):
        raise ValueError(f"a {cls.__name__} travels as a dict, not {type(wire).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(str(k)[:80] for k in set(wire) - names)[:10]
    if unknown:
        raise ValueError(f"a {cls.__name__} has no {', '.join(unknown)} (it has {', '.join(sorted(names))}): "
                         "the grading worker and its judge must run the same dgmlab")
    missing = [name for name in required if name not in wire]
    if missing:
        raise ValueError(f"a {cls.__name__} needs {', '.join(missing)}")
    return dict(wire)


def _typed(cls: type, name: str, value: Any, types: type | tuple[type, ...], what: str) -> Any:
    """``value`` if it is one of ``types`` (never a bool for a number), else a ValueError naming ``cls``'s field."""
    types = types if isinstance(types, tuple) else (types,)
    if isinstance(value, types) and not (isinstance(value, bool) and bool not in types):
        return value
    raise ValueError(f"a {cls.__name__}'s {name} must be {what}, not {type(value).__name__}")


def _texts(cls: type, name: str, value: Any, what: str = "a list of strings") -> list[str]:
    value = _typed(cls, name, value, (list, tuple), what)
    if not all(isinstance(x, str) for x in value):
        raise ValueError(f"a {cls.__name__}'s {name} must be {what}")
    return list(value)


def _table(cls: type, name: str, value: Any, types: type | tuple[type, ...], what: str) -> dict[str, Any]:
    """A dict of string keys and values of ``types`` (``what`` says which, for the error)."""
    value = _typed(cls, name, value, dict, f"a dict of {what}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, types) or isinstance(item, bool):
            raise ValueError(f"a {cls.__name__}'s {name} must be a dict of {what}; {str(key)[:80]!r} is not")
    return dict(value)


def _given(wire: dict[str, Any], name: str, default: Any) -> Any:
    """``wire[name]``, or ``default`` where it is absent or null (an optional field)."""
    value = wire.get(name)
    return default if value is None else value


def _base64(cls: type, name: str, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ValueError(f"a {cls.__name__}'s {name} is not base64 ({exc})") from None


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class CellToJudge:
    """One check() test cell of a notebook, as the judge reads it."""

    gid: str  # its grade id
    source: str  # the instructor's cell (never run: only to say that it still holds hidden tests as text)
    outputs: tuple[dict[str, Any], ...] = ()  # what the kernel showed in it: notebook outputs as plain dicts (the
    # probe data among them)

    def to_wire(self) -> dict[str, Any]:
        return {"gid": self.gid, "source": self.source, "outputs": [dict(o) for o in self.outputs]}

    @classmethod
    def from_wire(cls, wire: object) -> CellToJudge:
        wire = _known(cls, wire, ("gid", "source", "outputs"))
        outputs = _typed(cls, "outputs", wire["outputs"], (list, tuple), "a list of notebook outputs")
        if not all(isinstance(o, dict) for o in outputs):
            raise ValueError(f"a {cls.__name__}'s outputs must be a list of dicts (notebook outputs)")
        return cls(_typed(cls, "gid", wire["gid"], str, "a string"),
                   _typed(cls, "source", wire["source"], str, "a string"), tuple(outputs))


@dataclass(frozen=True)
class JudgeRequest:
    """A notebook's check() cells and all their judging reads (assembled by
    :class:`dgmlab.grading.preprocessors.judge_tests.JudgeTests`, judged by :func:`.cell_verdicts.judge_each`)."""

    hw: str
    seed: int  # the grader's seed: the inputs each cell is judged on are made from it
    cells: tuple[CellToJudge, ...]  # in the notebook's order
    references: dict[str, str] = field(default_factory=dict)  # {grade id: source}: the instructor's cells
    # (cell_verdicts.Reference)
    checks: str = ""  # a course's own homework: its checks.py from source/<hw>/, as text ("": a kit homework)
    hidden: str = ""  # and its hidden.py ("": none; a kit homework's hidden tests are in the grader's wheel)
    files: dict[str, bytes | str] = field(default_factory=dict)  # {name: bytes as handed in, or str: why it was not
    # read}
    seeds: dict[str, int | str] = field(default_factory=dict)  # {file: its graded draw's seed, or "refused: why"}
    # (handed_seeds)
    delimiters: tuple[str, ...] | None = None  # the course's hidden-test markers, only to say a cell still holds some

    def to_wire(self) -> dict[str, Any]:
        return {"hw": self.hw, "seed": self.seed, "cells": [c.to_wire() for c in self.cells],
                "references": dict(self.references), "checks": self.checks, "hidden": self.hidden,
                "files": {name: _encode(v) if isinstance(v, bytes) else {"refused": str(v)}
                          for name, v in self.files.items()},
                "seeds": dict(self.seeds), "delimiters": None if self.delimiters is None else list(self.delimiters)}

    @classmethod
    def from_wire(cls, wire: object) -> JudgeRequest:
        wire = _known(cls, wire, ("hw", "seed", "cells"))
        cells = _typed(cls, "cells", wire["cells"], (list, tuple), "a list of cells")
        files: dict[str, bytes | str] = {}
        for name, v in _table(cls, "files", _given(wire, "files", {}), (str, dict),
                              'base64 or {"refused": why}').items():
            if isinstance(v, str):
                files[name] = _base64(cls, f"file {name}", v)
            elif set(v) == {"refused"} and isinstance(v["refused"], str):
                files[name] = v["refused"]
            else:
                raise ValueError(f'a {cls.__name__}\'s file {name} must be base64 or {{"refused": why}}')
        delimiters = wire.get("delimiters")
        return cls(hw=_typed(cls, "hw", wire["hw"], str, "a string"),
                   seed=_typed(cls, "seed", wire["seed"], int, "an integer"),
                   cells=tuple(CellToJudge.from_wire(c) for c in cells),
                   references=_table(cls, "references", _given(wire, "references", {}), str, "grade id: source"),
                   checks=_typed(cls, "checks", _given(wire, "checks", ""), str, "text"),
                   hidden=_typed(cls, "hidden", _given(wire, "hidden", ""), str, "text"),
                   files=files, seeds=_table(cls, "seeds", _given(wire, "seeds", {}), (int, str),
                                             'file: seed or "refused: why"'),
                   delimiters=None if delimiters is None else tuple(_texts(cls, "delimiters", delimiters)))


@dataclass(frozen=True)
class Verdict:
    """The judge's answer for one cell (the grading worker bounds the points by the cell's:
    :func:`dgmlab.grading.judge.judge.bounded`)."""

    gid: str
    earned: float
    lines: tuple[str, ...]  # the report a student reads, line by line
    kept: dict[str, bytes] = field(default_factory=dict)  # {name: bytes}: what its hidden tests kept for the dashboard

    def to_wire(self) -> dict[str, Any]:
        return {"gid": self.gid, "earned": float(self.earned), "lines": list(self.lines),
                "kept": {name: _encode(data) for name, data in self.kept.items()}}

    @classmethod
    def from_wire(cls, wire: object) -> Verdict:
        wire = _known(cls, wire, ("gid", "earned", "lines"))
        earned = _typed(cls, "earned", wire["earned"], (int, float), "a number")
        if not math.isfinite(earned):
            raise ValueError(f"a {cls.__name__}'s earned must be a finite number, not {earned}")
        kept = _table(cls, "kept", _given(wire, "kept", {}), str, "name: base64")
        return cls(_typed(cls, "gid", wire["gid"], str, "a string"), float(earned),
                   tuple(_texts(cls, "lines", wire["lines"])),
                   {name: _base64(cls, f"kept file {name}", text) for name, text in kept.items()})
