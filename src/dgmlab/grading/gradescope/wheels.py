"""The wheels a Gradescope zip carries: dgmlab and dgmlab-grader, built from the checkout this dgmlab runs from
(``python -m pip wheel`` of the checkout and of its ``grader/``), or taken from a folder (``--wheels DIR``).

``setup.sh`` installs these files by path, so the image's grader is the one that wrote the zip (its hidden tests
and references included), and takes only their published dependencies (torch, nbgrader, ...) from the package
index. The checkout is copied first (its sources, not its ``build/`` folders), so no stale build output of an
earlier build enters a wheel.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dgmlab

from .. import layout

NAMES = ("dgmlab", "dgmlab_grader")  # the wheels' file-name prefixes (PEP 427: '-' in a name becomes '_')
COPIED = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "src", "homeworks", "grader/pyproject.toml")


def checkout() -> Path | None:
    """The source checkout this dgmlab is imported from (``src/dgmlab`` under it), or ``None`` (a wheel install)."""
    root = Path(dgmlab.__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "grader" / "pyproject.toml").is_file():
        return root
    return None


def wheel_version(path: Path) -> tuple[str, str]:
    """``(name, version)`` of a wheel from its file name (``name-version-...whl``)."""
    name, version = path.name.split("-")[:2]
    return name, version


def pick(folder: Path, version: str) -> list:
    """The dgmlab and dgmlab-grader wheels of ``version`` in ``folder``; refuses a folder missing either."""
    found = {}
    for path in sorted(Path(folder).glob("*.whl")):
        name, v = wheel_version(path)
        if name in NAMES and v == version:
            found[name] = path
    missing = [n.replace("_", "-") for n in NAMES if n not in found]
    if missing:
        raise layout.CourseError(f"{folder} holds no {' nor '.join(missing)} wheel of version {version}: build them with "
                            f"`make wheels` in the checkout (dist/), or "
                            f"leave out --wheels (the zip then builds them from this checkout)")
    return [found[n] for n in NAMES]


def build(dest: Path, version: str) -> list:
    """Build the dgmlab and dgmlab-grader wheels of this checkout into ``dest``; returns their paths."""
    root = checkout()
    if root is None:
        raise layout.CourseError("dgmlab is installed from a wheel, not run from a checkout, so the zip cannot build its "
                            "wheels: pass --wheels DIR (a folder holding the dgmlab and dgmlab-grader wheels of "
                            f"version {version}) or --pip SPEC (what setup.sh installs from the package index)")
    with tempfile.TemporaryDirectory(prefix="dgmlab-wheels-") as tmp:
        copy = Path(tmp) / "checkout"
        skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
        for rel in COPIED:
            src = root / rel
            if src.is_dir():
                shutil.copytree(src, copy / rel, ignore=skip)
            elif src.is_file():
                (copy / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, copy / rel)
        # offline where this environment has setuptools (the build backend); else pip fetches it as usual
        isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", str(dest), str(copy),
               str(copy / "grader")]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if res.returncode != 0:
            tail = "\n".join((res.stderr or res.stdout).strip().splitlines()[-8:])
            raise layout.CourseError(f"building the dgmlab wheels from {root} failed:\n{tail}")
    return pick(dest, version)
