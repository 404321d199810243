"""Where an LMS's secrets come from: never the course folder (copied, zipped and shared with TAs), never a log.

An API token comes from the environment or a file outside the course readable by its owner only (:func:`token`);
the LTI tool's private key is such a file (:func:`secret_file`). A path inside the course is refused, so a secret
cannot travel with a copy of the course.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from ..layout import Course, CourseError


def outside_course(course: Course, path, setting: str) -> Path:
    """``path`` (``~`` expanded) as an absolute path, which must lie outside the course folder: a secret in the
    course would travel with every copy of it."""
    if not str(path or "").strip():
        raise CourseError(f"set {setting} in nbgrader_config.py: a path outside the course folder "
                          "(e.g. ~/.config/dgmlab/...)")
    where = Path(os.path.expanduser(str(path)))
    where = (course.root / where if not where.is_absolute() else where).resolve()
    root = course.root.resolve()
    if where == root or root in where.parents:
        raise CourseError(f"{setting} is {where}, inside the course folder {root}: a secret there travels with "
                          "every copy of the course; move it outside (e.g. ~/.config/dgmlab/) and set the new path")
    return where


def secret_file(course: Course, path, setting: str) -> str:
    """The text of the secret file ``path`` names (stripped): outside the course, readable by its owner only."""
    where = outside_course(course, path, setting)
    if not where.is_file():
        raise CourseError(f"{setting}: no file at {where}")
    mode = stat.S_IMODE(where.stat().st_mode)
    if mode & 0o077:
        raise CourseError(f"{setting}: {where} can be read by others (mode {mode:o}): chmod 600 {where}")
    return where.read_text(encoding="utf-8").strip()


def token(course: Course, env: str, path, setting: str, what: str) -> str:
    """An API token: the environment variable ``env``, else the file ``path`` (``setting``) names."""
    value = os.environ.get(env, "").strip()
    if value:
        return value
    if str(path or "").strip():
        value = secret_file(course, path, setting)
        if value:
            return value
    raise CourseError(f"no {what}: set {env} in the environment, or {setting} to a file outside the course "
                      "(mode 600) that holds it")
