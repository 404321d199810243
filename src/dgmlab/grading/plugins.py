"""Platforms as plug-ins: what the grader finds through Python entry points, as nbgrader, otter and pytest find theirs.

Two groups (docs/plugins.md):

- ``dgmlab.lms`` (:data:`LMS`): where submissions come from and marks go to, each a
  :class:`dgmlab.grading.lms.platform.LmsPlatform` (the kit's: ``canvas``, ``moodle``, ``lti``);
- ``dgmlab.clusters`` (:data:`CLUSTERS`): where grading runs, each a
  :class:`dgmlab.grading.autograde.cluster_platforms.ClusterPlatform` (the kit's: ``local``, ``slurm``).

An entry point's name is the name the commands and ``nbgrader_config.py`` use (``dgmlab push --lms blackboard``); its
value is a class the registry makes with no arguments. A course adds a platform by installing a distribution that
declares one (``[project.entry-points."dgmlab.lms"] blackboard = "my_course.blackboard:Blackboard"``): no file of the
kit changes.

The kit's own are declared once, by the grader's wheel (``grader/pyproject.toml``): the student package's wheel holds
no grader, so it declares none. A source checkout installs only the student package (editable), so there the
registry reads the grader wheel's declarations from ``grader/pyproject.toml`` beside ``src/`` (:func:`checkout_entries`).
"""
from __future__ import annotations

import re
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from .layout import CourseError

LMS = "dgmlab.lms"
CLUSTERS = "dgmlab.clusters"
# The plug-in API's version (dgmlab.grading.plugin_api): "major.minor". A minor adds names; a major changes or removes
# one. A plug-in that sets ``api_version`` (the version it was written for) loads only where the major is the same and
# the minor as high: otherwise the registry says which dgmlab-grader it needs.
API_VERSION = "1.0"
# in a source checkout: <checkout>/src/dgmlab/grading/plugins.py, the grader wheel's pyproject in <checkout>/grader/
CHECKOUT_GRADER = Path(__file__).resolve().parents[3] / "grader" / "pyproject.toml"


def checkout_entries(group: str, pyproject: Path = CHECKOUT_GRADER) -> list:
    """The entry points of ``group`` that ``pyproject`` (the grader wheel's, in a source checkout) declares, as
    :class:`EntryPoint` objects; none where there is no such file (the grader installed from its wheel, whose
    metadata holds them). Read line by line (``name = "module:Class"`` under ``[project.entry-points."group"]``), so
    that Python 3.10, without tomllib, reads them too."""
    if not pyproject.is_file():
        return []
    found, inside = [], False
    for line in pyproject.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            inside = line.strip() == f'[project.entry-points."{group}"]'
        elif inside and (m := re.fullmatch(r'\s*([\w.-]+)\s*=\s*"([^"]+)"\s*(#.*)?', line)):
            found.append(EntryPoint(m.group(1), m.group(2), group))
    return found


def _entries(group: str) -> dict:
    """``{name: {value, ...}}`` of the group's installed entry points and, in a checkout, the grader wheel's (a name
    two declare alike, as the grader wheel installed beside a checkout does, is one plug-in)."""
    found: dict = {}
    for ep in [*entry_points(group=group), *checkout_entries(group)]:
        found.setdefault(ep.name, {})[ep.value] = ep
    return found


def names(group: str) -> list:
    """The names of the group's installed plug-ins, sorted."""
    return sorted(_entries(group))


def load(group: str, name: str, base: type, what: str):
    """The plug-in ``name`` of ``group``, made (its class called with no arguments), its ``name`` set to ``name``;
    a :class:`CourseError` that lists the installed ones when there is none of that name, says which two
    distributions disagree when two give the name different classes, and says why when it cannot be loaded or is not
    a ``base``. ``what`` names the kind in messages ("LMS", "cluster")."""
    found = _entries(group)
    if name not in found:
        raise CourseError(f"no {what} plug-in named {name!r} is installed; installed: {', '.join(sorted(found)) or 'none'}"
                          f" (entry points of the group {group}; docs/plugins.md says how to add one)")
    values = found[name]
    if len(values) > 1:
        raise CourseError(f"two installed distributions give the {what} plug-in {name!r} different classes "
                          f"({', '.join(sorted(values))}): uninstall one of them")
    ep = next(iter(values.values()))
    try:
        made = ep.load()()
    except Exception as exc:  # a third party's import or constructor: whatever it raises, say whose it is
        raise CourseError(f"the {what} plug-in {name!r} ({ep.value}) could not be loaded: "
                          f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(made, base):
        raise CourseError(f"the {what} plug-in {name!r} ({ep.value}) is not a {base.__module__}.{base.__name__}: "
                          "subclass it (docs/plugins.md)")
    wrong = api_mismatch(getattr(made, "api_version", None))
    if wrong:
        raise CourseError(f"the {what} plug-in {name!r} ({ep.value}) {wrong}")
    made.name = name
    return made


def api_mismatch(wanted) -> str:
    """Why a plug-in written for the plug-in API ``wanted`` (``"1.0"``; ``None``: it does not say) cannot run on this
    one, :data:`API_VERSION`; ``""`` when it can."""
    if wanted is None:
        return ""
    have = tuple(int(n) for n in API_VERSION.split("."))
    try:
        major, minor = (int(n) for n in str(wanted).split("."))
    except ValueError:
        return f"sets api_version = {wanted!r}: give the plug-in API version it was written for, as \"1.0\""
    if major != have[0] or minor > have[1]:
        return (f"is written for dgmlab's plug-in API {major}.{minor}; this dgmlab-grader has {API_VERSION}: install "
                f"a dgmlab-grader with plug-in API {major}.{minor} or later in {major}.x, or update the plug-in")
    return ""
