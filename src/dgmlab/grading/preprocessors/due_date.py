"""ShowDueDate (generate_assignment): the homework's due date and late policy, first in the release notebook."""
from __future__ import annotations

import nbformat

from .. import nbgrader_preprocessing
from ..term.deadlines import Deadlines, DgmlabDeadlines

CELL_ID = "dgmlab-due-date"


class ShowDueDate(nbgrader_preprocessing.NbGraderPreprocessor):
    """Put a markdown cell first in the release notebook: when the homework is due (the course's
    ``c.DgmlabDeadlines``, in its time zone), what lateness costs, and where an extension shows. Nothing when
    the course sets no due date for the homework (the release is then unchanged)."""

    def preprocess(self, nb, resources):
        hw = resources.get("nbgrader", {}).get("assignment")
        dates = Deadlines(DgmlabDeadlines(parent=self))
        due = dates.due_dates.get(hw)
        nb.cells = [c for c in nb.cells if c.get("id") != CELL_ID]
        if due is None:
            return nb, resources
        local = due.astimezone(dates.tz)
        when = local.strftime("%A %d %B %Y, %H:%M %Z").replace(" 0", " ")
        policy = dates.policy(hw)
        text = (f"**Due: {when}** ({dates.settings.timezone}).\n\n"
                f"Late policy: {policy.name} ({policy.description}); it applies to your final mark, the "
                f"autograded and the hand-graded points together. An extension you were given replaces this date "
                f"for you and shows, with any lateness, in your feedback's grade summary.")
        cell = nbformat.v4.new_markdown_cell(text)
        cell["id"] = CELL_ID
        nb.cells.insert(0, cell)
        return nb, resources
