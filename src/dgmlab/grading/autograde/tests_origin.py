"""Where ``dgmlab autograde`` takes a homework's tests from, and whether the course's ``homeworks/<hw>/`` differs.

A kit homework's visible checks (``homeworks.<hw>.checks``) and hidden tests (``homeworks.<hw>.hidden``) are
imported by the judge from wherever this Python finds the package ``homeworks`` (a checkout installed editable, or
the grader's wheel); :func:`origin` asks this Python as the judge does (``-P``: no working folder on the path). When
that is not the course's own ``homeworks/<hw>/`` (the grader was installed from another checkout, or from a wheel),
a test edited in the course's folder is not the one graded: each file that differs is named.

A course's own homework is graded from ``source/<hw>/checks.py`` and ``source/<hw>/hidden.py``, which ``dgmlab
build`` copies from ``homeworks/<hw>/``: a copy that differs from its ``homeworks/<hw>/`` file is named the same way.

On a cluster each worker imports its own installation: what is said here is this machine's.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..inert import terminal

SIDES = (("checks", "visible checks"), ("hidden", "hidden tests"))
_FIND = """
import importlib.util, json, sys
out = {}
for side in ("checks", "hidden"):
    try:
        spec = importlib.util.find_spec(f"homeworks.{sys.argv[1]}.{side}")
    except (ImportError, ValueError):
        spec = None
    places = list(spec.submodule_search_locations or []) if spec is not None else []
    out[side] = places[0] if places else None
print(json.dumps(out))
"""


@dataclass
class Origin:
    """Where ``hw``'s tests are loaded from and what in the course's ``homeworks/<hw>/`` differs from them."""

    hw: str
    kit: bool  # a kit homework (imported packages), else a course's own (source/<hw>/*.py)
    where: dict = field(default_factory=dict)  # "checks" / "hidden" -> the folder or file loaded (None: none)
    differs: list = field(default_factory=list)  # paths under homeworks/<hw>/ that differ from what is loaded
    compared: bool = True  # False: the course has no homeworks/<hw>/ to compare with

    def lines(self) -> list:
        loaded = ", ".join(f"{what} from {self.where[side]}" for side, what in SIDES if self.where.get(side))
        out = [terminal(f"{self.hw}: tests loaded: {loaded or 'none found'}")]
        if self.differs:
            fix = ("install the grader from this course's checkout (make venv, or pip install -e . there) or copy "
                   "the change into the folders above" if self.kit else f"run dgmlab build {self.hw} to copy them")
            out.append(terminal(f"WARNING: the course's homeworks/{self.hw}/ differs from the tests loaded, which are "
                                f"the ones graded ({', '.join(self.differs)}): {fix}"))
        return out


def _files(root: Path) -> dict:
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def _differ(mine: Path, loaded: Path, prefix: str) -> list:
    """Files of the folders ``mine`` (the course's) and ``loaded`` that are on one side only or differ."""
    if mine.resolve() == loaded.resolve():
        return []
    a, b = _files(mine), _files(loaded)
    return [f"{prefix}/{name}" for name in sorted(set(a) | set(b))
            if name not in a or name not in b or a[name].read_bytes() != b[name].read_bytes()]


def _kit_places(hw: str) -> dict:
    """``{"checks": folder or None, "hidden": folder or None}`` as this Python's judge imports them."""
    got = subprocess.run([sys.executable, "-P", "-c", _FIND, hw], capture_output=True, text=True, timeout=120)
    if got.returncode != 0:
        raise RuntimeError(f"could not ask {sys.executable} where homeworks.{hw} is: {got.stderr.strip()[-500:]}")
    return json.loads(got.stdout)


def origin(course_root: Path, hw: str, places: dict | None = None) -> Origin:
    """Where ``hw``'s tests are loaded from (``places``: :func:`_kit_places`'s answer, asked when not given)."""
    root = Path(course_root)
    mine = root / "homeworks" / hw
    places = _kit_places(hw) if places is None else places
    if places.get("checks") or places.get("hidden"):  # a kit homework: its packages, wherever installed
        out = Origin(hw, True, {side: places.get(side) for side, _ in SIDES}, compared=mine.is_dir())
        for side, _ in SIDES:
            if out.compared and places.get(side):
                out.differs += _differ(mine / side, Path(places[side]), side)
        return out
    source = root / "source" / hw
    out = Origin(hw, False, {side: str(source / f"{side}.py") if (source / f"{side}.py").is_file() else None
                             for side, _ in SIDES}, compared=mine.is_dir())
    for side, _ in SIDES:
        a, b = mine / f"{side}.py", source / f"{side}.py"
        if out.compared and (a.is_file() or b.is_file()) and (
                not a.is_file() or not b.is_file() or a.read_bytes() != b.read_bytes()):
            out.differs.append(f"{side}.py")
    return out
