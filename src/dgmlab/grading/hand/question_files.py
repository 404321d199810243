"""Which question a handed-in PDF or photo belongs to, decided from its file name by one rule (:func:`question_of`).

Crowdmark-style homeworks (hw5's handout) ask for one upload per question: the PDF ``dgmlab pdf`` prints of each
question (``<hw>_<Q>.pdf``: ``hw5_explicit_Q3.pdf``) or a written answer photographed or scanned (``Q3.jpg``,
``q3-page2.png``, ``P2 answer.pdf``). ``dgmlab collect`` keeps such a file under its own (safe) name and says which
question it went under; ``dgmlab grade`` shows it beside that question's written answers only, and a file of no
question beside every written answer, as before.

**The rule.** A label is a question label of the homework as its release notebook's headings have them (``## Q1
...``, ``## P2 ...``: :func:`dgmlab.pdf.questions`; the source notebook's where no release is there yet). A file
name (its extension dropped) names a label when the label is a word of it, in any case, the number possibly with
leading zeros: an ASCII letter not preceded by a letter or digit, then its number, not followed by a digit (``Q3``,
``q03``, ``Q3a``, ``hw5_explicit_Q3``, ``q3-page2``; not ``Q30``, ``aQ3``, ``Assgn2``, ``page2``). The file belongs to
the one label its name names. A name naming two labels (``Q1 and Q2.pdf``), none, or only words that are no label
of the homework (``Q9`` in a homework of four) belongs to no question: it is shown on every question's page, so
nothing is ever hidden by a name. Only ASCII letters and digits make a label: a look-alike (a full-width ``Ｑ３``, a
Cyrillic ``Р2``) is not one (collect's safe names have none left anyway).

Questions and written cells: a written (hand-graded) cell belongs to the question whose heading comes last before it
in the release notebook (:func:`written_questions`); a file of a question that has no written cell is shown on every
page (there is no page of its own to show it on).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ...pdf import questions

WORD = re.compile(r"(?<![A-Za-z0-9])([A-Za-z])0*([0-9]+)(?![0-9])", re.ASCII)


def _canonical(label: str) -> str:
    """``label`` as the rule compares it: its letter upper case, its number without leading zeros."""
    m = re.fullmatch(r"([A-Za-z])0*([0-9]+)", label, re.ASCII)
    return f"{m.group(1).upper()}{int(m.group(2))}" if m else label.upper()


def named_labels(name: str, labels) -> list:
    """The homework's ``labels`` that the file name ``name`` names (:data:`WORD`), in the order of ``labels``."""
    stem = name.rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem[:stem.rindex(".")]
    words = {f"{m.group(1).upper()}{int(m.group(2))}" for m in WORD.finditer(stem)}
    return [label for label in labels if _canonical(label) in words]


def question_of(name: str, labels) -> str | None:
    """The one label of ``labels`` (the homework's question labels) that the file name ``name`` names, else None
    (it names none, or more than one): the module's rule."""
    got = named_labels(name, labels)
    return got[0] if len(got) == 1 else None


def where(name: str, labels) -> str:
    """Which question the file ``name`` goes under, in words, for ``dgmlab collect``'s listing."""
    got = named_labels(name, labels)
    if len(got) == 1:
        return f"under {got[0]}"
    if got:
        return f"names {' and '.join(got)}: shown with every question"
    return "names no question of the homework: shown with every question"


@dataclass
class HomeworkQuestions:
    """A homework's question labels in order and ``{written cell's grade id: its question's label}``."""

    labels: list = field(default_factory=list)
    written: dict = field(default_factory=dict)

    def page_question(self, name: str) -> str | None:
        """The question on whose grading pages the file ``name`` is shown alone (None: every page): its question by
        the rule, when that question has a written cell."""
        label = question_of(name, self.labels)
        return label if label in self.written.values() else None

    def shown_with(self, name: str, grade_id: str) -> bool:
        """Whether the file ``name`` is shown beside the written cell ``grade_id``'s answers."""
        label = self.page_question(name)
        return label is None or self.written.get(grade_id) == label


def written_questions(nb) -> HomeworkQuestions:
    """The question labels of the (release) notebook ``nb`` and the question each written cell (a markdown cell
    with an nbgrader ``grade_id`` and ``grade``) sits in, by the notebook's headings and cell order."""
    qs = questions(nb)
    at = {i: q.label for q in qs for i in q.cells}
    written = {}
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("grade_id") and i in at:
            written[meta["grade_id"]] = at[i]
    return HomeworkQuestions([q.label for q in qs], written)


def homework_questions(course, hw: str) -> HomeworkQuestions:
    """:func:`written_questions` of ``hw``'s release notebook (``release/<hw>/<hw>.ipynb``), else of its source
    notebook; no questions when neither can be read (every file is then shown on every page)."""
    import nbformat

    for path in (Path(course.release_notebook(hw)), Path(course.source_notebook(hw))):
        if path.is_file():
            try:
                return written_questions(nbformat.read(path, as_version=4))
            except Exception:  # noqa: BLE001 - an unreadable notebook: no questions, every file on every page
                continue
    return HomeworkQuestions()
