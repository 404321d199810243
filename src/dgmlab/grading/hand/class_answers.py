"""A homework's handed-in notebooks as the grading page reads them: each read once per version, whole class at once.

A question's page needs every student's answer to that question (to group them: :mod:`.answer_groups`), and, beside
each, what the autograder said of the same problem's code cells (:func:`related_cells`). Each notebook
(``autograded/<student>/<hw>/<hw>.ipynb``, else ``submitted/...``) is parsed once per version (its modification time
and size) as plain JSON (no schema validation: 500 notebooks in about a second) and kept as :class:`Notebook`: the
written answers' sources and attachments and the test cells' outcomes. Nothing in it is evaluated; it is a
student's data, shown only through :mod:`.answers_html` (inert) or as text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..layout import Course
from ..test_outputs import cell_outcome

MAX_NOTEBOOK = 64 * 2 ** 20  # bytes of a notebook read for its answers; a larger one is named, not read
H2 = re.compile(r"^##(?!#)\s*\S")


@dataclass
class Notebook:
    """What a page needs of one student's notebook."""

    written: dict = field(default_factory=dict)  # grade_id -> (source, attachments)
    outcomes: dict = field(default_factory=dict)  # grade_id of a test cell -> (passed, failed, error)
    why: str = ""  # why it could not be read ("" if it was)


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def parse(raw: bytes, name: str) -> Notebook:
    """A :class:`Notebook` of the notebook JSON ``raw`` (named ``name`` in messages)."""
    try:
        nb = json.loads(raw)
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        return Notebook(why=f"{name} could not be read: {type(exc).__name__}")
    out = Notebook()
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell.get("metadata"), dict) else {}
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(gid, str):
            continue
        if cell.get("cell_type") == "markdown" and gid not in out.written:
            attachments = cell.get("attachments")
            out.written[gid] = (_text(cell.get("source")), attachments if isinstance(attachments, dict) else None)
        elif cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            outputs = cell.get("outputs")
            out.outcomes[gid] = cell_outcome({"outputs": outputs if isinstance(outputs, list) else []})
    return out


class ClassNotebooks:
    """The notebooks of ``hw``'s students, each parsed once per version while the server runs."""

    def __init__(self, course: Course, hw: str):
        self.course, self.hw = course, hw
        self._kept: dict = {}  # student -> ((path, mtime_ns, size), Notebook)

    def path(self, student: str) -> Path | None:
        for step in ("autograded", "submitted"):
            p = self.course.folder(step, self.hw, student) / f"{self.hw}.ipynb"
            if p.is_file():
                return p
        return None

    def get(self, student: str) -> Notebook:
        path = self.path(student)
        if path is None:
            return Notebook(why=f"no notebook {self.hw}.ipynb in autograded/ or submitted/ for {student}")
        try:
            st = path.stat()
        except OSError as exc:
            return Notebook(why=f"{path.name} cannot be read ({exc.strerror})")
        stamp = (str(path), st.st_mtime_ns, st.st_size)
        kept = self._kept.get(student)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        if st.st_size > MAX_NOTEBOOK:
            nb = Notebook(why=f"{path.name} is {st.st_size / 2 ** 20:.0f} MiB, more than the page reads "
                              f"({MAX_NOTEBOOK // 2 ** 20} MiB): open it in Jupyter")
        else:
            try:
                nb = parse(path.read_bytes(), path.name)
            except OSError as exc:
                nb = Notebook(why=f"{path.name} cannot be read ({exc.strerror})")
        self._kept[student] = (stamp, nb)
        return nb

    def answers(self, grade_id: str, students) -> dict:
        """``{student: source}`` of written answer ``grade_id`` for each of ``students`` whose notebook has it."""
        out = {}
        for s in students:
            got = self.get(s).written.get(grade_id)
            if got is not None:
                out[s] = got[0]
        return out


def related_cells(source_cells: list) -> dict:
    """``{written grade id: [grade ids of the autograded cells of the same problem]}`` from the source notebook's
    cells (nbformat cells): a problem runs from one level-2 heading (``## Q1. ...``) to the next."""
    sections: list = [[]]
    written: dict = {}
    for cell in source_cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and H2.match(cell.source.lstrip()):
            sections.append([])
        if not meta.get("grade") or not meta.get("grade_id"):
            continue
        if cell.cell_type == "markdown" or meta.get("solution"):
            written[meta["grade_id"]] = sections[-1]
        else:
            sections[-1].append(meta["grade_id"])
    return {gid: list(cells) for gid, cells in written.items()}
