"""The homework's bundle a grading worker gets: the course's config, a gradebook holding only this homework's
cells and the non-notebook files of ``source/<hw>/`` (see :mod:`.cluster`).
"""
from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path

from ... import __version__
from .. import layout
from . import nbgrader_adapter
from .keys import folder_files, ignored_in_source
from .options import RunOptions
from .task_records import Bundle


# ------------------------------------------------------------------ bundle
def db_url(course: layout.Course, config=None) -> str:
    config = config if config is not None else course.config()
    return config.CourseDirectory.get("db_url") or f"sqlite:///{course.root / 'gradebook.db'}"


def course_id(config) -> str:
    return config.CourseDirectory.get("course_id") or "default_course"


def template_gradebook(course: layout.Course, hw: str, path: Path, config=None) -> Path:
    """A new gradebook at ``path`` holding only ``hw``'s definition (no student): what workers grade against."""

    config = config if config is not None else course.config()
    cid = course_id(config)
    url = db_url(course, config)
    if url.startswith("sqlite:///") and Path(url[len("sqlite:///"):]).exists():
        # the schema version the course's gradebook has: nbgrader would otherwise run `alembic` to learn it
        with closing(sqlite3.connect(url[len("sqlite:///"):])) as src, closing(sqlite3.connect(path)) as dst:
            rows = src.execute("SELECT version_num FROM alembic_version").fetchall()
            dst.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            dst.executemany("INSERT INTO alembic_version (version_num) VALUES (?)", rows)
            dst.commit()
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old_path])  # nbgrader runs `alembic`
    try:
        with nbgrader_adapter.open_gradebook(url, cid) as src, nbgrader_adapter.open_gradebook(f"sqlite:///{path}", cid) as dst:
            _copy_assignment(src, dst, hw)
    finally:
        os.environ["PATH"] = old_path
    return path


def _copy_assignment(src, dst, hw: str) -> tuple:
    try:
        return nbgrader_adapter.copy_assignment(src, dst, hw)
    except LookupError:
        raise layout.CourseError(f"{hw} is not in the gradebook: run `dgmlab release {hw}` first") from None


def make_bundle(course: layout.Course, hw: str, options: RunOptions, config=None) -> Bundle:
    """What every worker needs to grade ``hw`` (sent once per worker), with what ``options`` says of grading it
    (the time allowed, feedback, the sandbox and its limits, the cell timeout)."""
    config = config if config is not None else course.config()
    with tempfile.TemporaryDirectory() as tmp:
        gradebook = template_gradebook(course, hw, Path(tmp) / "gradebook.db", config).read_bytes()
        with nbgrader_adapter.open_gradebook(f"sqlite:///{Path(tmp) / 'gradebook.db'}", course_id(config)) as gb:
            notebooks = nbgrader_adapter.notebook_names(gb, hw)  # the only ones graded
    source = {k: v for k, v in folder_files(course.folder("source", hw)).items()
              if not ignored_in_source(k) and not k.endswith(".ipynb")}  # nbgrader copies these over the submission
    return Bundle(hw=hw, version=__version__, config=(course.root / "nbgrader_config.py").read_text("utf-8"),
                  gradebook=gradebook, notebooks=tuple(notebooks), source=source, timeout=options.timeout,
                  feedback=options.feedback,
                  sandbox=options.sandbox if options.sandbox is None else bool(options.sandbox),
                  limits=options.limits, cell_timeout=options.cell_timeout, course_id=course_id(config))
