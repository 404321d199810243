"""What dgmlab's nbgrader plug-ins (:mod:`dgmlab.grading.preprocessors`) build on, the one module of dgmlab that
imports ``nbgrader.preprocessors`` and ``nbgrader.coursedir``: the classes they subclass or call, and the course's
folders as nbgrader's converters see them. Checked against nbgrader 0.9.6 by
``tests/grading/test_nbgrader_preprocessing.py``, on real notebooks and course folders.

- the base classes: ``NbGraderPreprocessor`` (every plug-in), ``Execute`` (:class:`.TimedExecute`),
  ``DeduplicateIds`` (dgmlab's, which ignores a copied graded cell), ``ClearHiddenTests`` (the hidden regions a
  feedback page leaves out) and ``AssignLatePenalties`` (the late penalty autograding writes);
- :func:`course_directory`: nbgrader's ``CourseDirectory`` for a config (its folders, gradebook URL, ignore globs);
  :func:`default_directory_structure`: the folder layout nbgrader's default is (the only one dgmlab supports);
- :func:`default_preprocessors`: what a converter runs by default, which dgmlab's plug-ins join or replace.

Importing this module loads nbgrader (~5 s cold): a module that the CLI loads imports it inside the function that
needs it. The other two modules that import nbgrader: :mod:`dgmlab.grading.nbgrader_gradebook` (the gradebook) and
:mod:`dgmlab.grading.nbgrader_app` (nbgrader's converters and apps run in this process).
"""
from __future__ import annotations

from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (  # noqa: F401 (the classes dgmlab's plug-ins subclass or call)
    AssignLatePenalties,
    ClearHiddenTests,
    DeduplicateIds,
    Execute,
    NbGraderPreprocessor,
)


def course_directory(config) -> CourseDirectory:
    """nbgrader's ``CourseDirectory`` configured by ``config`` (a traitlets ``Config``), as a converter makes it."""
    return CourseDirectory(config=config)


def default_directory_structure() -> str:
    """nbgrader's default ``c.CourseDirectory.directory_structure`` (``{nbgrader_step}/{student_id}/...``)."""
    return CourseDirectory.class_traits()["directory_structure"].default()


CONVERTERS = {"autograde": Autograde, "generate_feedback": GenerateFeedback}


def default_preprocessors(command: str, trait: str) -> list:
    """The preprocessors nbgrader's ``command`` converter (:data:`CONVERTERS`) runs by default in its list
    ``trait`` (autograde's ``sanitize_preprocessors`` or ``autograde_preprocessors``, generate_feedback's
    ``preprocessors``): classes, or their dotted names."""
    return list(CONVERTERS[command].class_traits()[trait].default())
