"""DeduplicateIds (autograde's sanitizing steps): nbgrader's, without failing a notebook with a copied cell."""
from __future__ import annotations

from .. import nbgrader_preprocessing


class DeduplicateIds(nbgrader_preprocessing.DeduplicateIds):
    """nbgrader's DeduplicateIds, fixed: a duplicated graded cell loses its nbgrader metadata entirely.

    nbgrader 0.9.6 leaves an empty ``nbgrader`` dict on the copy, which its own
    CheckCellMetadata then rejects as "an old version of the metadata format",
    failing the whole submission. A student who copied a test cell gets the
    original graded and the copy ignored instead.
    """

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if "nbgrader" in cell.get("metadata", {}) and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources

