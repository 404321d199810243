"""ZeroUnjudgedTests (autograde): a graded test cell the grader did not judge earns 0."""
from __future__ import annotations

from nbformat import from_dict

from .. import nbgrader_preprocessing
from ..cell_roles import is_graded, is_solution

UNJUDGED = "NotJudgedByTheGrader"  # the error name a test cell the grader did not judge shows


class ZeroUnjudgedTests(nbgrader_preprocessing.NbGraderPreprocessor):
    """Autograde, after ``JudgeTests``: a graded test cell the grader did not judge earns 0.

    nbgrader would read a test cell's score from what the kernel showed (an error: 0; a number:
    partial credit), and the kernel runs the student's code, which can show anything. So every
    graded test cell must be a ``check()`` cell (:mod:`dgmlab.grading.judge.judge` decides those); any other
    gets an error output first, naming why, and nbgrader gives it 0. The course's author sees it in
    the log; a student reads the reason in the feedback.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if (cell.cell_type == "code" and is_graded(cell) and not is_solution(cell)
                and meta.get("grade_id") not in resources.get("dgmlab_judged", ())):
            why = ("this test cell does not call check(), so the grader cannot judge it; it earns 0 "
                   "(tell your instructor)")
            self.log.error("test cell %s earns 0: it is not a check() cell, and a score the kernel shows is never "
                           "trusted (write it as check(\"%s\", ...), see docs/authoring.md)",
                           meta.get("grade_id"), meta.get("grade_id"))
            cell.outputs = [from_dict({"output_type": "error", "ename": UNJUDGED, "evalue": why,
                                       "traceback": [f"{UNJUDGED}: {why}"]})]
        return cell, resources

