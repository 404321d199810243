"""Hand grades across a regrade: what ``dgmlab autograde`` keeps of them and which it reopens.

A regrade (``--force``, a changed notebook, a new draw key) writes new autograded scores; nbgrader's own rule
(SaveAutoGrades) then flags every cell with a hand score as ungraded again (``needs_manual_grade``). dgmlab's is:

- a hand score, rubric choice, comment and extra credit are never touched by a regrade (the gradebook's
  ``manual_score``, ``manual_comment``, ``extra_credit``; ``rubrics/<hw>.json``);
- a cell graded by hand stays graded, unless what was graded changed: the student's answer in a hand-graded cell
  (its source and attachments, compared with the autograded notebook the grade was given on), or the autograded
  score that a hand score overrides on a test cell. The answers are compared by checksum with the ones the
  gradebook's grades were given on (:func:`graded_answers`, kept in ``.dgmlab/answers/<hw>/<student>.json``).
  Such a cell is reopened: its hand score stays, as a start,
  and the TA is told which cells need a look (``dgmlab autograde`` prints them, ``dgmlab grade`` shows them as not
  graded; :mod:`dgmlab.grading.hand.to_grade`);
- a cell with no hand score is flagged as nbgrader does: to grade when the autograder gave it no score; and a test
  cell whose trained result needs a look (its training record missing or not one run,
  :func:`dgmlab.grading.judge.training_record.cells_to_look`) is to grade until someone gives it a hand score.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ..submission import Submission


def _answer_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade_id")) and bool(meta.get("solution") or (meta.get("grade")
                                                                       and cell.get("cell_type") == "markdown"))


def answer_digests(notebook: bytes | str) -> dict:
    """``{grade id: SHA-256}`` of the answer cells (solution cells and markdown grade cells) of a notebook's JSON
    text: the cell's type, source and attachments, so a changed word or pasted image changes it."""
    nb = json.loads(notebook)
    out = {}
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        if isinstance(cell, dict) and _answer_cell(cell):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            text = json.dumps([cell.get("cell_type"), source, cell.get("attachments") or {}], sort_keys=True)
            out[cell["metadata"]["nbgrader"]["grade_id"]] = hashlib.sha256(text.encode()).hexdigest()
    return out


def graded_answers(sub: Submission, notebooks) -> dict:
    """``{notebook name: answer_digests}`` of the answers ``sub``'s grades in the gradebook were given on, read
    before a regrade: what the last grading that wrote the gradebook recorded (:func:`save_answers`), else (a course
    graded before dgmlab kept them) the autograded notebooks ``notebooks`` (names without ``.ipynb``) as they are
    now. A notebook found in neither is left out. (The autograded folder alone is not enough: a grading that failed
    replaces its notebooks and leaves the gradebook as it was.)"""
    try:
        kept = json.loads(sub.answers.read_text(encoding="utf-8"))
        if isinstance(kept, dict) and all(isinstance(v, dict) for v in kept.values()):
            return kept
    except (OSError, ValueError):
        pass
    out = {}
    for name in notebooks:
        path = sub.autograded / f"{name}.ipynb"
        try:
            out[name] = answer_digests(path.read_bytes())
        except (OSError, ValueError):
            continue
    return out


def save_answers(sub: Submission, answers: dict) -> None:
    """Keep ``answers`` (:func:`new_answers`) as the ones ``sub``'s grades are now given on: written once the
    gradebook holds the grading, whole or not at all."""
    path = sub.answers
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(answers, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def new_answers(files: dict, notebooks) -> dict:
    """``{notebook name: answer_digests}`` of a grading's autograded files (``{relative path: bytes}``) for the
    notebooks ``notebooks`` (names without ``.ipynb``)."""
    out = {}
    for name in notebooks:
        data = files.get(f"{name}.ipynb")
        if data is not None:
            try:
                out[name] = answer_digests(data)
            except ValueError:
                continue
    return out


def why_reopened(grade, auto_score, before: dict, after: dict, notebook: str) -> str:
    """Why the hand-graded ``grade`` (nbgrader's ``Grade`` with a ``manual_score``, before the regrade's
    ``auto_score`` is written) is to grade again; ``""`` when its grade stands. ``before``/``after``:
    :func:`graded_answers` of the notebooks the grade was given on and of the regrade's."""
    name = grade.name
    now = after.get(notebook, {}).get(name)
    if now is not None or name in before.get(notebook, {}):  # an answer cell
        if notebook not in before:
            return "no earlier autograded notebook to compare its answer with"
        if before[notebook].get(name) != now:
            return "the answer changed since it was graded"
        return ""
    old = grade.auto_score
    if (old is None) != (auto_score is None) or (old is not None and abs(float(old) - float(auto_score)) > 1e-9):
        return f"its autograded score changed from {_pts(old)} to {_pts(auto_score)} under the hand score"
    return ""


def needs_grading(grade, auto_score, why: str) -> bool:
    """The ``needs_manual_grade`` a regrade leaves on ``grade`` (before its new ``auto_score`` is written), ``why``
    being :func:`why_reopened`'s answer for it (see the module)."""
    if grade.manual_score is None:
        return auto_score is None
    return bool(grade.needs_manual_grade) or bool(why)


@dataclass
class Regrade:
    """The hand grades of one submission across one grading (:func:`regrade`): the answers they were given on
    (``before``), this grading's (``after``), and the cells :meth:`needs_grading` reopened, as
    ``[(notebook, cell, hand score, why)]``."""

    sub: Submission
    before: dict
    after: dict
    reopened: list = field(default_factory=list)
    to_look: frozenset = frozenset()  # test cells whose points wait for an instructor's look (a training record)

    def needs_grading(self, grade, auto_score) -> bool:
        """The policy the gradebook's writer applies to each autograded cell's row ``grade`` (see the module)."""
        if grade.manual_score is None and grade.name in self.to_look:
            return True
        why = "" if grade.manual_score is None else why_reopened(grade, auto_score, self.before, self.after,
                                                                 grade.notebook)
        if why and not grade.needs_manual_grade:
            self.reopened.append((grade.notebook, grade.name, grade.manual_score, why))
        return needs_grading(grade, auto_score, why)

    def save(self) -> None:
        """Keep ``after`` as the answers the gradebook's grades are now given on (:func:`save_answers`)."""
        save_answers(self.sub, self.after)


def regrade(sub: Submission, autograded: dict, notebooks, to_look=frozenset()) -> Regrade:
    """The hand grades of ``sub`` across a grading that writes the autograded files ``autograded`` (``{relative
    path: bytes}``) of ``notebooks``: read before those files replace the ones the grades were given on.
    ``to_look``: test cells that are to grade by hand until someone gives them a hand score."""
    return Regrade(sub, graded_answers(sub, notebooks), new_answers(autograded, notebooks), to_look=frozenset(to_look))


def _pts(x) -> str:
    return "none" if x is None else f"{round(float(x), 4):g}"
