"""Platforms as plug-ins: what the grader finds through Python entry points, as nbgrader, otter and pytest find theirs.

Two groups (docs/plugins.md):

- ``dgmlab.lms`` (:data:`LMS`): where submissions come from and marks go to, each a
  :class:`dgmlab.grading.lms.platform.LmsPlatform` (the kit's: ``canvas``, ``moodle``, ``lti``);
- ``dgmlab.clusters`` (:data:`CLUSTERS`): where grading runs, each a
  :class:`dgmlab.grading.autograde.clusters.ClusterPlatform` (the kit's: ``local``, ``slurm``).

An entry point's name is the name the commands and ``nbgrader_config.py`` use (``dgmlab push --lms blackboard``); its
value is a class the registry makes with no arguments. A course adds a platform by installing a distribution that
declares one (``[project.entry-points."dgmlab.lms"] blackboard = "my_course.blackboard:Blackboard"``): no file of the
kit changes.
"""
from __future__ import annotations

from importlib.metadata import entry_points

from .layout import CourseError

LMS = "dgmlab.lms"
CLUSTERS = "dgmlab.clusters"


def _entries(group: str) -> dict:
    """``{name: {value, ...}}`` of the group's installed entry points (a name two distributions declare alike, as the
    checkout's and the grader wheel's pyproject do, is one plug-in)."""
    found: dict = {}
    for ep in entry_points(group=group):
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
    made.name = name
    return made
