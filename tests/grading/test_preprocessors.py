"""The grader side reads a hidden-tests region as nbgrader's ClearHiddenTests marks it: its delimiters as the
course's config sets them, not a second spelling of its own."""
import nbformat
from traitlets.config import Config

from dgmlab.grading.preprocessors import HideHiddenTests, hidden_delimiters
from dgmlab.grading.report.graded_notebooks import test_names as names_of_tests

SOURCE = ("check('q1')\n"
          "def test_shape():\n    pass\n"
          "# SECRET START\n"
          "def test_value():\n    assert secret_value == 3\n"
          "# SECRET STOP\n")


def _config():
    config = Config()
    config.ClearHiddenTests.begin_test_delimeter = "SECRET START"
    config.ClearHiddenTests.end_test_delimeter = "SECRET STOP"
    return config


def _test_cell(source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "q1_tests", "points": 2,
                                 "locked": True, "schema_version": 3}
    return cell


def test_without_a_config_the_delimiters_are_nbgraders_defaults():
    from nbgrader.preprocessors import ClearHiddenTests

    assert hidden_delimiters() == (ClearHiddenTests().begin_test_delimeter, ClearHiddenTests().end_test_delimeter)


def test_feedback_hides_the_region_the_course_config_marks():
    nb = nbformat.v4.new_notebook(cells=[_test_cell(SOURCE)])
    nb, _ = HideHiddenTests(config=_config()).preprocess(nb, {})
    shown = nb.cells[0].source
    assert "secret_value" not in shown and "SECRET" not in shown
    assert "def test_shape" in shown and "(hidden tests: not shown)" in shown


def test_hidden_test_names_follow_the_course_config():
    assert names_of_tests(SOURCE, hidden_delimiters(_config())) == (["test_shape"], ["test_value"])
    assert names_of_tests(SOURCE) == (["test_shape", "test_value"], [])  # nbgrader's default markers: none here
