"""One student's submission of one homework, as a record: its gradebook ids and where everything of it lives in a
course (the folder handed in, the autograded and feedback folders, what the hidden tests kept, its grading record
and the answers its hand grades were given on).

:meth:`dgmlab.grading.layout.Course.submission` builds it once from the course's folders; the steps of a grading are
handed it and never work a path out again from (homework, student), so that a folder moved in the course's
``nbgrader_config.py`` moves for every step at once. A grading worker builds its own for its scratch course.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Submission:
    """Where one submission's files are (:meth:`dgmlab.grading.layout.Course.submission`)."""

    hw: str  # the gradebook's assignment
    student: str  # the gradebook's student id
    submitted: Path  # submitted/<student>/<hw>/: as handed in
    autograded: Path  # autograded/<student>/<hw>/: the graded notebooks and what the kernel left
    feedback: Path  # feedback/<student>/<hw>/: the feedback and the returned notebook
    kept: Path  # .dgmlab/kept/<hw>/<student>/: what the hidden tests kept for the dashboard (the grader's alone)
    record: Path  # .dgmlab/grading/<hw>/<student>.json: the last grading's outcome and key
    answers: Path  # .dgmlab/answers/<hw>/<student>.json: the answers the gradebook's hand grades were given on

    @property
    def notebook(self) -> Path:
        """The notebook handed in, ``<hw>.ipynb`` at the top of :attr:`submitted`."""
        return self.submitted / f"{self.hw}.ipynb"
