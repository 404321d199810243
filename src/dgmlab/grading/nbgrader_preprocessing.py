"""What dgmlab's nbgrader plug-ins (:mod:`dgmlab.grading.preprocessors`) build on, the one module of dgmlab that
imports ``nbgrader.preprocessors`` and ``nbgrader.coursedir``: the classes they subclass or call, and the course's
folders as nbgrader's converters see them. Checked against nbgrader 0.9.6 by
``tests/grading/test_nbgrader_preprocessing.py``, on real notebooks and course folders.

- the base classes: ``NbGraderPreprocessor`` (every plug-in), ``Execute`` (:class:`.TimedExecute`),
  ``DeduplicateIds`` (dgmlab's, which ignores a copied graded cell), ``ClearHiddenTests`` (the hidden regions a
  feedback page leaves out) and ``AssignLatePenalties`` (the late penalty autograding writes);
- :func:`course_directory`: nbgrader's ``CourseDirectory`` for a config (its folders, gradebook URL, ignore globs);
  :func:`default_directory_structure`: the folder layout nbgrader's default is (the only one dgmlab supports);
- :func:`default_preprocessors`: what a converter runs by default, which dgmlab's plug-ins join or replace;
- :class:`SchemaCheckedOnce`: what nbgrader's cell-metadata validator calls as ``jsonschema`` once this module is
  imported: the same verdicts, nbgrader's schema checked and compiled once rather than at every cell.

Importing this module loads nbgrader (~5 s cold): a module that the CLI loads imports it inside the function that
needs it. The other two modules that import nbgrader: :mod:`dgmlab.grading.nbgrader_gradebook` (the gradebook) and
:mod:`dgmlab.grading.nbgrader_app` (nbgrader's converters and apps run in this process).
"""
from __future__ import annotations

import json

import jsonschema
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import common as nbgrader_format
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


class SchemaCheckedOnce:
    """``jsonschema`` as nbgrader's cell-metadata validator (``nbgrader.nbgraderformat.common``, run by
    ``CheckCellMetadata``, twice a notebook autograded) uses it: ``validate(instance, schema)`` raises what
    ``jsonschema.validate`` raises (the best match of the same errors), but checks each schema against its metaschema
    and compiles it once, not at every cell: that check was 0.16 s of a hw3 grading's 2.3 (cProfile over six warm
    gradings in a worker; each notebook reads nbgrader's schema file again, so schemas are told apart by content)."""

    ValidationError = jsonschema.ValidationError

    def __init__(self) -> None:
        self._compiled: dict[str, jsonschema.protocols.Validator] = {}

    def validate(self, instance, schema) -> None:
        key = json.dumps(schema, sort_keys=True)
        validator = self._compiled.get(key)
        if validator is None:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._compiled[key] = cls(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    def __getattr__(self, name: str):  # anything else nbgrader may use, as jsonschema has it
        return getattr(jsonschema, name)


if not isinstance(nbgrader_format.jsonschema, SchemaCheckedOnce):
    nbgrader_format.jsonschema = SchemaCheckedOnce()
