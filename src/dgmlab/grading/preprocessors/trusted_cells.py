"""TrustSourceCells (autograde's sanitizing steps): a submitted cell's nbgrader metadata is rebuilt from the
gradebook, never taken from the submission.

What the student wrote is data, never structure: a cell's grade id, points, kind (answer, test, written
answer, task), lock and checksum are the instructor's, read from the gradebook's source cells of the notebook
(what ``generate_assignment`` stored), and a submitted cell is matched to them by its grade id as nbgrader's
``OverwriteCells`` does. A cell whose grade id is not one of them (a cell the student added with nbgrader
metadata, a formula or escape codes for a grade id, a number, a list), or whose metadata is not even a mapping,
keeps its source and runs as a cell the student added, with no nbgrader metadata: it earns nothing and fails
nothing. nbgrader 0.9.6 instead deleted only the unknown grade id, left the rest, and its own
``CheckCellMetadata`` then failed the whole submission ("the nbgrader metadata may be corrupted").
"""
from __future__ import annotations

from .. import nbgrader_gradebook, nbgrader_preprocessing

NAME = "dgmlab.grading.preprocessors.trusted_cells.TrustSourceCells"
SCHEMA_VERSION = 3  # nbgrader 0.9's cell metadata schema


class TrustSourceCells(nbgrader_preprocessing.NbGraderPreprocessor):
    """Autograde, sanitizing, before ``DeduplicateIds`` and ``OverwriteCells``: every cell's ``nbgrader`` metadata
    is the gradebook's for its grade id, or none (see the module's docstring)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with nbgrader_gradebook.open_gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])  # MissingEntry: not this homework's
            grade = {c.name: float(c.max_score) for c in source.grade_cells}
            task = {c.name: float(c.max_score) for c in source.task_cells}
            solution = {c.name for c in source.solution_cells}
            self._cells = {c.name: {"cell_type": c.cell_type, "locked": bool(c.locked), "checksum": c.checksum,
                                    "grade": c.name in grade, "solution": c.name in solution,
                                    "task": c.name in task, "points": grade.get(c.name, task.get(c.name))}
                           for c in source.source_cells}
        dropped = 0
        for cell in nb.cells:
            dropped += not self._trust(cell)
        if dropped:
            self.log.warning("%d cell(s) carried nbgrader metadata that is not this homework's: run as cells the "
                             "student added", dropped)
        return nb, resources

    def _trust(self, cell) -> bool:
        """Rebuild ``cell``'s nbgrader metadata from the gradebook; False when it had some that matched nothing."""
        meta = cell.get("metadata")
        if not isinstance(meta, dict) or "nbgrader" not in meta:
            return True
        theirs = meta["nbgrader"]
        gid = theirs.get("grade_id") if isinstance(theirs, dict) else None
        known = self._cells.get(gid) if isinstance(gid, str) else None
        if known is None:
            del meta["nbgrader"]
            return False
        ours = {"grade_id": gid, "cell_type": known["cell_type"], "locked": known["locked"],
                "checksum": known["checksum"], "grade": known["grade"], "solution": known["solution"],
                "task": known["task"], "schema_version": SCHEMA_VERSION}
        if known["grade"] or known["task"]:
            ours["points"] = known["points"]
        meta["nbgrader"] = ours
        return True


def trusted_sanitize_preprocessors(current=None) -> list:
    """``Autograde.sanitize_preprocessors`` (``current``, or nbgrader's default) with :class:`TrustSourceCells`
    right after ``ClearOutput`` (first when there is none), unless the list already has it."""
    if current is None:
        current = nbgrader_preprocessing.default_preprocessors("autograde", "sanitize_preprocessors")
    names = [p if isinstance(p, str) else f"{p.__module__}.{p.__name__}" for p in current]
    if any(n.endswith("TrustSourceCells") for n in names):
        return list(current)
    at = next((i + 1 for i, n in enumerate(names) if n.rsplit(".", 1)[-1] == "ClearOutput"), 0)
    return [*current[:at], TrustSourceCells, *current[at:]]
