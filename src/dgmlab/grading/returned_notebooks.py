"""The notebooks a student is given back to rerun: ``feedback/<student>/<hw>/*.ipynb``, hidden tests removed.

Written after feedback by the grading worker (:func:`dgmlab.grading.autograde.worker.grade_submission`) and again by
``dgmlab feedback`` (:mod:`dgmlab.grading.report.current_feedback`). It runs the course's
:class:`~dgmlab.grading.preprocessors.hidden_tests.HideHiddenTests` outside nbgrader, so it sits above the nbgrader
plug-ins, not in :mod:`dgmlab.grading.layout` (which the plug-ins' commands read the course through).
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from .layout import Course
from .preprocessors.hidden_tests import HideHiddenTests


def write_student_notebooks(course: Course, student: str, hw: str) -> list[Path]:
    """Copy ``autograded/<student>/<hw>/*.ipynb`` into ``feedback/<student>/<hw>/``, hidden tests removed.

    The autograded notebook holds the restored hidden tests; this copy (what a
    student may be given back to rerun) has each hidden region replaced by a
    note and test-cell tracebacks cut to their message, like the feedback HTML.
    """
    src = course.folder("autograded", hw, student)
    dest = course.folder("feedback", hw, student)
    written = []
    hide = HideHiddenTests(config=course.config())  # the hidden regions as the course's config marks them
    for path in sorted(src.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nb, _ = hide.preprocess(nb, {})
        dest.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest / path.name)
        written.append(dest / path.name)
    return written
