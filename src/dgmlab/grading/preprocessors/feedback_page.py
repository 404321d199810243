"""LeaveOutBrokenParts, ExactScores and SayWhatIsPending (generate_feedback): a feedback page is always made, its
scores are written as every export writes a mark, and it says when hand-graded points are still to come.

nbconvert stops a whole page on one Markdown answer it cannot draw: ``![photo](attachment:none)`` names an
attachment the notebook does not hold ("missing attachment: none"), so the student got no feedback page at all.
:class:`LeaveOutBrokenParts` tries each Markdown cell as the page will draw it; one that fails has each image it
cannot draw replaced by a note saying so, or (should it fail still) is shown as its text, and the page opens with a
note that starts with :data:`LEFT_OUT` and says what was left out: ``dgmlab report`` and ``dgmlab push --feedback``
find such pages by it (:func:`left_out`) and list them.

:class:`ExactScores` (after nbgrader's ``GetGrades``): nbgrader's page rounds each score with Jinja's ``round`` on a
binary float, so 58.275 shows as 58.27 where every export writes 58.28; here each cell's score and the notebook's
total (its cells' scores added exactly, less nbgrader's late penalty) are rounded as
:func:`dgmlab.grading.marks.round_half_up` rounds every mark.
"""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from nbformat.v4 import new_markdown_cell

from .. import nbgrader_preprocessing
from ..marks import exact, round_half_up
from ..nbgrader_gradebook import points_to_grade_by_hand

LEFT_OUT = "Left out of this page:"  # how the page's note starts (plain text: the page is sanitized)

_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?attachment:([^\s)>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?attachment:(\S*?)>?(?:\s.*)?$", re.MULTILINE)


def _draws(source: str, attachments) -> str | None:
    """Why nbconvert's HTML exporter cannot draw the Markdown ``source`` with ``attachments`` (``None``: it can)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    try:
        MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=dict(attachments or {}))).render(source)
    except Exception as exc:  # nbconvert's InvalidNotebook, or whatever else stops the page
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


def _usable(attachments, name: str) -> bool:
    bundle = (attachments or {}).get(name)
    return isinstance(bundle, dict) and bool(bundle)


class LeaveOutBrokenParts(nbgrader_preprocessing.NbGraderPreprocessor):  # enabled, as nbgrader's converters register it
    """For feedback: a Markdown cell the page cannot draw is drawn without what breaks it, and the page says so."""

    def preprocess(self, nb, resources):
        notes = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "markdown" or _draws(cell.source, cell.get("attachments")) is None:
                continue
            attachments = cell.get("attachments") or {}
            missing = []

            def note(m):
                if _usable(attachments, m.group(2)):
                    return m.group(0)
                missing.append(m.group(2))
                return f'*[an image left out here: the notebook holds no attachment "{m.group(2)}"]*'

            source = _IMAGE.sub(note, cell.source)
            source = _DEFINITION.sub(lambda m: "" if not _usable(attachments, m.group(1)) else m.group(0), source)
            where = f"cell {index + 1}"
            why = _draws(source, attachments)
            if why is None:
                notes.append(f"{where}: " + (", ".join(f'the image "attachment:{n}"' for n in missing) or "an image")
                             + " (the notebook holds no such attachment)")
            else:
                fence = "~" * max(4, 1 + max((len(r) for r in re.findall(r"~+", cell.source)), default=0))
                source = f"*[this answer is shown as its text: it could not be drawn ({why})]*\n\n{fence}\n" \
                         f"{cell.source}\n{fence}"
                notes.append(f"{where}: shown as its text ({why})")
            cell.source = source
        if notes:
            nb.cells.insert(0, new_markdown_cell(f"**{LEFT_OUT}** " + "; ".join(notes) + ". The rest of the page is "
                                                 "whole."))
            resources.setdefault("dgmlab", {})["left_out"] = notes
        return nb, resources


class ExactScores(nbgrader_preprocessing.NbGraderPreprocessor):
    """For feedback, after ``GetGrades``: each score on the page rounded half up on its exact decimal value."""

    def preprocess(self, nb, resources):
        total, as_floats, graded = Fraction(0), 0.0, False
        for cell in nb.cells:
            info = cell.get("metadata", {}).get("nbgrader", {})
            if info.get("score") is not None:
                total, as_floats, graded = total + exact(info["score"]), as_floats + float(info["score"]), True
                info["score"] = float(round_half_up(info["score"]))
        page = resources.get("nbgrader", {})
        if page.get("score") is not None:
            late = page.get("late_penalty") or 0
            whole = graded and abs(as_floats - float(late) - float(page["score"])) < 1e-6  # every grade is a cell here
            page["score"] = float(round_half_up(total - exact(late) if whole else page["score"]))
        return nb, resources


NOT_FINAL = "Not final yet:"  # how the page's note on points still to be graded by hand starts


class SayWhatIsPending(nbgrader_preprocessing.NbGraderPreprocessor):
    """For feedback: where written answers still wait for hand grading, the page opens by saying so, so that its
    score (what is graded so far, out of every point) is not read as the mark (TA trial: "Score: 63.0 / 100.0" beside
    a grade summary saying "pending")."""

    def preprocess(self, nb, resources):
        page = resources.get("nbgrader", {})
        if not all(page.get(k) for k in ("db_url", "assignment", "notebook", "student")):
            return nb, resources
        course = nbgrader_preprocessing.course_directory(self.config).course_id
        pending = points_to_grade_by_hand(page["db_url"], course, page["assignment"], page["notebook"],
                                          page["student"])
        if pending > 0:
            nb.cells.insert(0, new_markdown_cell(
                f"**{NOT_FINAL}** {pending:g} points of this notebook wait for your instructor (answers graded by "
                "hand, or a trained result whose training record they look at): the score here is not your mark. "
                "This page is made again once they are done."))
        return nb, resources


def left_out(page: Path) -> str:
    """What the feedback page ``page`` says was left out of it (``""``: nothing)."""
    try:
        text = page.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    at = text.find(LEFT_OUT)
    if at < 0:
        return ""
    end = text.find("The rest of the page is whole", at)
    said = re.sub(r"<[^>]*>", "", text[at + len(LEFT_OUT):end if end > 0 else at + 600])
    return " ".join(said.split()).rstrip(" .")


def feedback_preprocessors(current=None) -> list:
    """``GenerateFeedback.preprocessors`` (``current``, or nbgrader's default) with :class:`LeaveOutBrokenParts`
    first, :class:`ExactScores` and :class:`SayWhatIsPending` last, unless the list already has them."""
    if current is None:
        current = nbgrader_preprocessing.default_preprocessors("generate_feedback", "preprocessors")
    names = [p if isinstance(p, str) else f"{p.__module__}.{p.__name__}" for p in current]
    out = list(current)
    if not any(n.endswith("LeaveOutBrokenParts") for n in names):
        out.insert(0, LeaveOutBrokenParts)
    if not any(n.endswith("ExactScores") for n in names):
        out.append(ExactScores)
    if not any(n.endswith("SayWhatIsPending") for n in names):
        out.append(SayWhatIsPending)
    return out
