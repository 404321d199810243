"""Grading keys: what a grading of one submission depends on, read once (:class:`Homework`) and hashed (a finished
grading with the same key is not run again; see :mod:`.coordinator`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ... import __version__
from .. import layout
from ..copies.shared_weights import published_files
from ..draw_key import course_key
from ..submission import Submission
from . import draw_seeds

FINAL = ("graded", "invalid", "failed", "timed out")


# ------------------------------------------------------------------ keys
def folder_files(folder: Path) -> dict:
    """``{relative posix path: bytes}`` of the regular files under ``folder`` (links skipped)."""
    out = {}
    if folder.is_dir():
        for p in sorted(folder.rglob("*")):
            if p.is_file() and not p.is_symlink():
                out[p.relative_to(folder).as_posix()] = p.read_bytes()
    return out


def folder_bytes(folder: Path) -> int:
    """Total size of the regular files under ``folder`` (links skipped), from their metadata: nothing is read."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def digest_of(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, dict):
            for name in sorted(part):
                h.update(f"{name}\0{len(part[name])}\0".encode())
                h.update(part[name])
        else:
            data = part if isinstance(part, bytes) else str(part).encode()
            h.update(f"{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


@dataclass(frozen=True)
class Homework:
    """What grading one homework of a course depends on besides the submissions, read once (:func:`read_homework`)
    and handed along: :attr:`digest` keys every grading of it and :func:`.homework_bundle.make_bundle` packs it for
    the workers, from the same bytes."""

    hw: str
    root: Path  # the course's folder
    config: object = field(repr=False)  # nbgrader_config.py, loaded (a traitlets Config)
    config_text: str = field(repr=False)  # nbgrader_config.py as written: a worker's scratch course runs it
    source: dict = field(repr=False)  # {relative path: bytes} of source/<hw>/, less what grading ignores
    draw_key: bytes = field(repr=False)  # the course's (stays in this process: workers get seeds drawn from it)
    published: tuple | None = None  # ((path, SHA-256), ...) of the kit's published weights; None: copies graded

    @property
    def db_url(self) -> str:
        return db_url(self.root, self.config)

    @property
    def course_id(self) -> str:
        return course_id(self.config)

    @property
    def digest(self) -> str:
        """Hash of what grading the homework depends on besides the submission: ``source/<hw>/``, the config
        (:func:`config_digest`), dgmlab, the draw key's fingerprint (a new draw key draws, and grades, anew) and,
        when copies of them are refused, the kit's published weights files by their bytes' SHA-256."""
        published = ({rel: digest.encode() for rel, digest in self.published} if self.published is not None
                     else "published weights graded")  # the demo's grades are not a course's
        return digest_of(f"dgmlab {__version__}", config_digest(self.config), self.source,
                         draw_seeds.fingerprint(self.draw_key), published)


def db_url(root: Path, config) -> str:
    """The course's gradebook (``c.CourseDirectory.db_url``; by default ``gradebook.db`` in ``root``)."""
    return config.CourseDirectory.get("db_url") or f"sqlite:///{root / 'gradebook.db'}"


def course_id(config) -> str:
    return config.CourseDirectory.get("course_id") or "default_course"


def read_homework(course: layout.Course, hw: str, refuse_published: bool = True) -> Homework:
    """``hw`` of ``course`` as a :class:`Homework`: its config, source files, draw key and, when copies of the kit's
    published weights are refused, those files' digests (hashed, no network loaded: the digests
    :func:`~dgmlab.grading.copies.shared_weights.published_weights` gives them)."""
    draw_key = course_key(course)
    config, folder = course.config(), course.folder("source", hw)
    source = {k: v for k, v in folder_files(folder).items() if not ignored_in_source(k)}
    published = tuple(_published_digests(course, hw)) if refuse_published else None
    return Homework(hw, course.root, config, (course.root / "nbgrader_config.py").read_text("utf-8"), source,
                    draw_key, published)


def _published_digests(course: layout.Course, hw: str) -> list:
    """``[(path relative to the course, SHA-256)]`` of the kit's published weights files that can be read."""
    out = []
    for path in published_files(course, hw):
        try:
            out.append((path.relative_to(course.root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()))
        except OSError:
            continue
    return out


# settings of how a run goes, not of what it grades: changing them regrades nothing
RUN_ONLY = {"DgmlabAutograde": ("workers", "cluster", "force", "feedback")}


def config_digest(config) -> str:
    """Hash of the course's loaded ``config`` (nbgrader's and dgmlab's settings) without :data:`RUN_ONLY`: a comment or
    a new number of workers in ``nbgrader_config.py`` does not regrade the class; any setting that can change a
    grade (a time limit, the sandbox, the preprocessors) does."""
    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)

    settings = plain(config)
    for section, names in RUN_ONLY.items():
        for name in names:
            settings.get(section, {}).pop(name, None)
    return digest_of(json.dumps(settings, sort_keys=True))


def grading_key(home: Homework, sub: Submission) -> str:
    """The key of grading the submission ``sub`` of ``home``: same key, same grade (see :mod:`.coordinator`)."""
    return digest_of(home.digest, folder_files(sub.submitted))


IGNORED_PARTS = (".ipynb_checkpoints", "__pycache__", "figures", "artifacts")


def ignored_in_source(rel: str) -> bool:
    parts = rel.split("/")
    return any(p in IGNORED_PARTS for p in parts) or rel.endswith((".pyc", ".log"))
