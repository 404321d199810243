"""Grading keys: what a grading of one submission depends on, hashed (a finished grading with the same key is
not run again; see :mod:`.cluster`).
"""
from __future__ import annotations

import hashlib
import json
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


def homework_digest(course: layout.Course, hw: str, refuse_published: bool = True, published=None,
                    draw_key: bytes | None = None) -> str:
    """Hash of what grading ``hw`` depends on besides the submission: ``source/<hw>/``, the config, dgmlab, the
    draw key's fingerprint and, when copies of them are refused, the kit's published weights files, by their bytes'
    SHA-256 (``published``: :func:`~dgmlab.grading.copies.shared_weights.published_weights` when already read;
    else the files are hashed, no network loaded; ``draw_key``: the course's, when read already)."""
    source = folder_files(course.folder("source", hw))
    source = {k: v for k, v in source.items() if not ignored_in_source(k)}
    if refuse_published:
        read = _published_digests(course, hw) if published is None else [(rel, w.digest) for rel, w in published]
        published = {rel: digest.encode() for rel, digest in read}
    else:
        published = "published weights graded"  # the demo's grades are not a course's
    return digest_of(f"dgmlab {__version__}", config_digest(course), source,
                   draw_seeds.fingerprint(course_key(course) if draw_key is None else draw_key),  # a new draw key draws, and grades, anew
                   published)


def _published_digests(course: layout.Course, hw: str) -> list:
    """``[(path relative to the course, SHA-256)]`` of the kit's published weights files that can be read: the
    digests :func:`~dgmlab.grading.copies.shared_weights.published_weights` gives them, without torch."""
    out = []
    for path in published_files(course, hw):
        try:
            out.append((path.relative_to(course.root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()))
        except OSError:
            continue
    return out


# settings of how a run goes, not of what it grades: changing them regrades nothing
RUN_ONLY = {"DgmlabAutograde": ("workers", "cluster", "force", "feedback")}


def config_digest(course: layout.Course) -> str:
    """Hash of the course's loaded config (nbgrader's and dgmlab's settings) without :data:`RUN_ONLY`: a comment or
    a new number of workers in ``nbgrader_config.py`` does not regrade the class; any setting that can change a
    grade (a time limit, the sandbox, the preprocessors) does."""
    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)

    settings = plain(course.config())
    for section, names in RUN_ONLY.items():
        for name in names:
            settings.get(section, {}).pop(name, None)
    return digest_of(json.dumps(settings, sort_keys=True))


def grading_key(course: layout.Course, sub: Submission, hw_digest: str | None = None) -> str:
    """The key of grading the submission ``sub``: same key, same grade (see :mod:`.cluster`)."""
    hw_digest = hw_digest or homework_digest(course, sub.hw)
    return digest_of(hw_digest, folder_files(sub.submitted))


IGNORED_PARTS = (".ipynb_checkpoints", "__pycache__", "figures", "artifacts")


def ignored_in_source(rel: str) -> bool:
    parts = rel.split("/")
    return any(p in IGNORED_PARTS for p in parts) or rel.endswith((".pyc", ".log"))
