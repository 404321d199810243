"""dgmlab.grading.nbgrader_preprocessing, what dgmlab's nbgrader plug-ins build on, against nbgrader 0.9.6 on real
notebooks and configs (no mock): each class and function it gives does what the plug-ins rely on."""
from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from dgmlab.grading import nbgrader_preprocessing


def _graded(source, gid, solution=False):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": not solution, "solution": solution, "grade_id": gid, "points": 1,
                                 "locked": False, "schema_version": 3}
    return cell


def test_the_base_of_every_plug_in_runs_preprocess_cell_on_each_cell():
    class Count(nbgrader_preprocessing.NbGraderPreprocessor):
        def preprocess_cell(self, cell, resources, index):
            resources["seen"].append(index)
            return cell, resources

    _, resources = Count().preprocess(new_notebook(cells=[new_code_cell("a"), new_code_cell("b")]), {"seen": []})
    assert resources["seen"] == [0, 1]


def test_deduplicate_ids_keeps_the_last_cell_of_a_repeated_grade_id():
    nb = new_notebook(cells=[_graded("first", "q1"), _graded("second", "q1")])
    nb, _ = nbgrader_preprocessing.DeduplicateIds().preprocess(nb, {})
    assert [c.metadata["nbgrader"].get("grade_id") for c in nb.cells] == [None, "q1"]


def test_clear_hidden_tests_removes_the_hidden_region_of_a_test_cell():
    source = "assert x == 1\n### BEGIN HIDDEN TESTS\nassert x != 2\n### END HIDDEN TESTS"
    nb, _ = nbgrader_preprocessing.ClearHiddenTests().preprocess(new_notebook(cells=[_graded(source, "t")]), {})
    assert nb.cells[0].source == "assert x == 1"


def test_execute_is_nbgraders_preprocessor_that_runs_a_notebook():
    assert nbgrader_preprocessing.Execute.__module__ == "nbgrader.preprocessors.execute"
    assert issubclass(nbgrader_preprocessing.Execute, nbgrader_preprocessing.NbGraderPreprocessor)


def test_assign_late_penalties_takes_its_plugin_from_the_config():
    from nbgrader.plugins import LateSubmissionPlugin

    class Fixed(LateSubmissionPlugin):
        pass

    config = Config()
    config.AssignLatePenalties.plugin_class = Fixed
    late = nbgrader_preprocessing.AssignLatePenalties(config=config)
    late.init_plugin()
    assert type(late.plugin_inst) is Fixed


def test_course_directory_is_rooted_and_named_by_the_config(tmp_path):
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.course_id = "course101"
    config.CourseDirectory.ignore = ["hidden.py"]
    directory = nbgrader_preprocessing.course_directory(config)
    assert (directory.root, directory.course_id, directory.ignore) == (str(tmp_path), "course101", ["hidden.py"])
    assert directory.db_url == f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert directory.format_path("submitted", "ada", "hw1") == str(tmp_path / "submitted" / "ada" / "hw1")


def test_the_default_directory_structure_is_step_student_homework():
    assert nbgrader_preprocessing.default_directory_structure() == "{nbgrader_step}/{student_id}/{assignment_id}"


def test_autograde_sanitizes_then_runs_its_default_preprocessors():
    names = [p.__name__ for p in nbgrader_preprocessing.default_preprocessors("autograde", "sanitize_preprocessors")]
    assert names[:2] == ["ClearOutput", "DeduplicateIds"]
    run = nbgrader_preprocessing.default_preprocessors("autograde", "autograde_preprocessors")
    assert run[0] is nbgrader_preprocessing.Execute and nbgrader_preprocessing.AssignLatePenalties in run


def test_generate_feedbacks_default_preprocessors_read_the_grades_first():
    names = [p.__name__ for p in nbgrader_preprocessing.default_preprocessors("generate_feedback", "preprocessors")]
    assert names[0] == "GetGrades"


def test_a_default_list_is_a_copy_a_plug_in_may_change():
    first = nbgrader_preprocessing.default_preprocessors("autograde", "sanitize_preprocessors")
    first.clear()
    assert nbgrader_preprocessing.default_preprocessors("autograde", "sanitize_preprocessors")



def test_cell_metadata_is_validated_as_jsonschema_validates_it_with_the_schema_checked_once(monkeypatch):
    import jsonschema
    from nbgrader.nbgraderformat import MetadataValidator, common

    assert isinstance(common.jsonschema, nbgrader_preprocessing.SchemaCheckedOnce)  # what importing the adapter gave nbgrader
    schema = MetadataValidator().schema
    good = {"schema_version": 3, "grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "q1"}
    bad = {**good, "points": "two", "grade": "yes"}
    checked = []
    monkeypatch.setattr(jsonschema.Draft4Validator, "check_schema",
                        classmethod(lambda cls, s: checked.append(s)))
    once = nbgrader_preprocessing.SchemaCheckedOnce()
    for _ in range(3):
        once.validate(good, MetadataValidator().schema)  # a fresh copy of the schema each time, as nbgrader reads it
    assert len(checked) == 1
    with pytest.raises(jsonschema.ValidationError) as ours:
        once.validate(bad, schema)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(bad, schema)
    assert (ours.value.message, list(ours.value.path)) == (theirs.value.message, list(theirs.value.path))


def test_a_notebook_with_damaged_cell_metadata_still_fails_nbgraders_check(tmp_path):
    from nbgrader.nbgraderformat import ValidationError
    from nbgrader.preprocessors import CheckCellMetadata

    nb = new_notebook()
    cell = new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": False, "locked": True,
                                 "points": "two", "grade_id": "q1"}
    nb.cells.append(cell)
    with pytest.raises(ValidationError, match="nbgrader metadata may be corrupted"):
        CheckCellMetadata().preprocess(nb, {})
