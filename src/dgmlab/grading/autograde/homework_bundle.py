"""The homework's bundle a grading worker gets: the course's config, a gradebook holding only this homework's
cells and the non-notebook files of ``source/<hw>/`` (see :mod:`.coordinator`).
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
from .keys import Homework, course_id, db_url
from .options import RunOptions
from .task_records import Bundle


# ------------------------------------------------------------------ bundle
def template_gradebook(course: layout.Course, hw: str, path: Path, config=None) -> Path:
    """A new gradebook at ``path`` holding only ``hw``'s definition (no student): what workers grade against."""
    config = config if config is not None else course.config()
    _template(db_url(course.root, config), course_id(config), hw, path)
    return path


def _template(url: str, cid: str, hw: str, path: Path) -> tuple:
    """:func:`template_gradebook` from the course's gradebook at ``url``; returns the names of ``hw``'s notebooks."""
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
            try:
                return nbgrader_adapter.copy_assignment(src, dst, hw)
            except LookupError:
                raise layout.CourseError(f"{hw} is not in the gradebook: run `dgmlab release {hw}` first") from None
    finally:
        os.environ["PATH"] = old_path


def make_bundle(home: Homework, options: RunOptions) -> Bundle:
    """What every worker needs to grade ``home`` (sent once per worker: its config as written, the gradebook holding
    its definition, its source files but the notebooks), with what ``options`` says of grading it (the time allowed,
    feedback, the sandbox and its limits, the cell timeout)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gradebook.db"
        notebooks = _template(home.db_url, home.course_id, home.hw, path)  # the only ones graded
        gradebook = path.read_bytes()
    source = {k: v for k, v in home.source.items() if not k.endswith(".ipynb")}  # nbgrader copies these over it
    return Bundle(hw=home.hw, version=__version__, config=home.config_text, gradebook=gradebook,
                  notebooks=notebooks, source=source, timeout=options.timeout, feedback=options.feedback,
                  sandbox=options.sandbox if options.sandbox is None else bool(options.sandbox),
                  limits=options.limits, cell_timeout=options.cell_timeout, course_id=home.course_id)
