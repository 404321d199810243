"""What the latest ``dgmlab collect`` found of each student's hand-in, kept per check and homework in
``.dgmlab/<kind>/<hw>.json`` as ``{student: what is wrong ("" when right)}`` (:mod:`.hand_in_names`,
:mod:`.hand_in_rules`)."""
from __future__ import annotations

import json
import os
from pathlib import Path


def path(course, kind: str, hw: str) -> Path:
    return course.root / ".dgmlab" / kind / f"{hw}.json"


def record(course, kind: str, hw: str, results: dict) -> None:
    """Keep ``results`` of one collect: each student's entry replaces the one before, others' are kept."""
    where = path(course, kind, hw)
    kept = read(course, kind, hw)
    kept.update(results)
    where.parent.mkdir(parents=True, exist_ok=True)
    tmp = where.with_name(f".{where.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(dict(sorted(kept.items())), indent=1, ensure_ascii=True), encoding="utf-8")
    os.replace(tmp, where)


def read(course, kind: str, hw: str) -> dict:
    """What :func:`record` kept (``{}`` if nothing, or if the file is not such a record)."""
    try:
        data = json.loads(path(course, kind, hw).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
