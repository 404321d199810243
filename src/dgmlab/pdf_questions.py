"""The questions of a homework notebook, each with its cells, for ``dgmlab pdf``'s PDF per question: by the
notebook's own ``## Q1 ...`` headings (:func:`questions`), or by the release notebook's heading cells found in a
submission by their cell ids (:func:`questions_as_released`; the rules are in :mod:`dgmlab.pdf`)."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

QUESTION_HEADING = re.compile(r"^##\s+([A-Z][0-9]+)(?![0-9A-Za-z])")
ENDING_HEADING = re.compile(r"^#{1,2}\s")


@dataclass
class Question:
    label: str  # "Q1", "P2"
    title: str  # the heading line without its hashes
    cells: list = field(default_factory=list)  # indices into the notebook's cells


def _student_cell(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _headings(source: str) -> list[str]:
    """The ``#`` and ``##`` heading lines of a markdown cell's ``source``, stripped, in order."""
    return [line.strip() for line in source.splitlines() if ENDING_HEADING.match(line)]


def _decides(source: str, current):
    """The question a markdown cell leaves open: its last ``#``/``##`` heading decides (a question's label, or None
    for another heading); ``current`` when it has none."""
    for line in source.splitlines():
        m = QUESTION_HEADING.match(line)
        if m:
            current = m.group(1)
        elif ENDING_HEADING.match(line):
            current = None
    return current


def questions(nb) -> list[Question]:
    """The notebook's questions in order, found by its own headings, each with the indices of its cells (its
    heading cell first; a cell holding a part's heading and then a question's belongs to the question). Two
    headings with one label make one question. For a student's own notebook; the instructor's PDFs take the
    questions of the release notebook (:func:`questions_as_released`)."""
    found: dict[str, Question] = {}
    current = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and not _student_cell(cell):
            for line in cell.source.splitlines():  # the cell's last '#'/'##' heading decides
                m = QUESTION_HEADING.match(line)
                if m:
                    current = found.setdefault(m.group(1), Question(m.group(1), line.lstrip("#").strip()))
                elif ENDING_HEADING.match(line):
                    current = None
        if current is not None:
            current.cells.append(i)
    return list(found.values())


@dataclass
class Boundary:
    """A heading cell of the release notebook: the question it opens (None: it ends the one before) and its
    heading lines, which the submission's cell of the same id must still hold."""
    label: str | None
    headings: list


def release_questions(release) -> tuple[list[Question], dict]:
    """The release notebook's questions (label and title, no cells) in order, and its heading cells by cell id
    (:class:`Boundary`). Only cells the instructor wrote count (not nbgrader solution cells)."""
    found: dict[str, Question] = {}
    bounds: dict[str, Boundary] = {}
    for cell in release.cells:
        if cell.cell_type != "markdown" or _student_cell(cell):
            continue
        heads = _headings(cell.source)
        if not heads:
            continue
        label = _decides(cell.source, None)
        for head in heads:
            m = QUESTION_HEADING.match(head)
            if m:
                found.setdefault(m.group(1), Question(m.group(1), head.lstrip("#").strip()))
        if cell.get("id"):
            bounds[cell.id] = Boundary(label, heads)
    return list(found.values()), bounds


def questions_as_released(release, nb) -> tuple[list[Question], dict]:
    """The release notebook's questions with the indices of ``nb``'s cells in each, and the labels of those whose
    heading cell ``nb`` lacks, each with why. A question starts at the release's heading cell, found in ``nb`` by
    its cell id (one cell of that id only) and still holding the release's heading lines, and ends at the next
    such heading cell; a cell ``nb`` adds, whatever headings it holds, is in the question it sits in. A heading
    cell whose id ``nb`` holds twice starts nothing (which one the instructor wrote cannot be told)."""
    wanted, bounds = release_questions(release)
    found = {q.label: q for q in wanted}
    times = Counter(cell.get("id") for cell in nb.cells)
    current = None
    for i, cell in enumerate(nb.cells):
        bound = bounds.get(cell.get("id"))
        if bound is not None and times[cell.id] == 1 and cell.cell_type == "markdown":
            lines = {line.strip() for line in cell.source.splitlines()}
            if all(head in lines for head in bound.headings):
                current = bound.label
        if current is not None:
            found[current].cells.append(i)
    missing = {}
    for q in wanted:
        if not q.cells:
            ids = [key for key, b in bounds.items() if b.label == q.label]
            twice = [key for key in ids if times[key] > 1]
            why = (f"its heading cell's id {twice[0]} is on {times[twice[0]]} cells of the submission" if twice
                   else "it is deleted, or its heading changed")
            missing[q.label] = (f"the submission lacks its heading cell as released ({', '.join(ids) or 'no id'}: "
                                f"{q.title!r}): {why}; its cells are in the whole PDF")
    return [q for q in wanted if q.cells], missing
