"""dgmlab.grading.nbgrader_app's uses of nbgrader 0.9.6 (its converters, export plugins, log capture and the readings
its apps make), on real configs, notebooks and files (no mock): each does what the kit relies on. Its config and
converter runs are tested with release and autograding (tests/grading/test_release.py, autograde/)."""
from __future__ import annotations

import datetime
import logging

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from dgmlab.grading import nbgrader_app


def _config(root, hw="hw1"):
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.assignment_id = hw
    return config


def test_the_converters_work_in_the_configured_course(tmp_path):
    for make, name in ((nbgrader_app.autograde_converter, "Autograde"),
                       (nbgrader_app.feedback_converter, "GenerateFeedback")):
        converter = make(_config(tmp_path), None)
        assert type(converter).__name__ == name and converter.coursedir.root == str(tmp_path)


def test_nbgraders_feedback_template_that_dgmlabs_extends_is_where_the_app_says():
    assert (nbgrader_app.formgrader_templates() / "feedback" / "index.html.j2").is_file()


def test_generate_assignment_releases_a_source_notebook_without_its_solution(tmp_path):
    cell = new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "a", "locked": False,
                                 "schema_version": 3}
    (tmp_path / "source" / "hw1").mkdir(parents=True)
    nbformat.write(new_notebook(cells=[cell]), str(tmp_path / "source" / "hw1" / "hw1.ipynb"))
    config = _config(tmp_path)
    config.BaseConverter.force = True
    config.GenerateAssignment.no_database = True
    config.SaveCells.enabled = False
    with nbgrader_app.as_nbgrader_command(tmp_path):
        step = nbgrader_app.generate_assignment(config, ["generate_assignment", "hw1", "--force", "--no-db"])
    assert step.ok, step.output
    released = nbformat.read(str(tmp_path / "release" / "hw1" / "hw1.ipynb"), as_version=4)
    assert "x = 1" not in released.cells[0].source


def test_generate_assignment_of_no_source_fails_with_the_apps_reason_and_no_traceback(tmp_path):
    (tmp_path / "source").mkdir()
    with nbgrader_app.as_nbgrader_command(tmp_path):
        step = nbgrader_app.generate_assignment(_config(tmp_path, "hw7"), ["generate_assignment", "hw7"])
    assert not step.ok and "Traceback" not in step.output


class _App:
    def __init__(self, fails: bool):
        self.log, self.fails = logging.getLogger("test_nbgrader_app"), fails

    def start(self):
        self.log.warning("working")
        if self.fails:
            raise RuntimeError("broken")


def test_start_logged_captures_the_log_of_a_run():
    res = nbgrader_app.start_logged(_App(fails=False))
    assert res["success"] and "working" in res["log"]


def test_start_logged_gives_the_traceback_of_a_failed_run():
    res = nbgrader_app.start_logged(_App(fails=True))
    assert not res["success"] and "RuntimeError: broken" in res["error"]


def test_the_export_plugin_is_nbgraders_csv_unless_the_config_names_one():
    named = nbgrader_app.export_plugin_named(Config())
    assert nbgrader_app.is_nbgrader_csv(nbgrader_app.export_plugin_class(named))


def test_an_export_plugin_named_by_its_dotted_name_is_imported():
    config = Config()
    config.ExportApp.plugin_class = "nbgrader.plugins.export.ExportPlugin"
    plugin = nbgrader_app.export_plugin_class(nbgrader_app.export_plugin_named(config))
    assert nbgrader_app.is_export_plugin(plugin) and not nbgrader_app.is_nbgrader_csv(plugin)


def test_a_class_that_is_no_export_plugin_is_told_apart():
    assert not nbgrader_app.is_export_plugin(dict) and not nbgrader_app.is_export_plugin("a name")


def test_an_export_plugin_that_cannot_be_imported_raises():
    with pytest.raises(ImportError):
        nbgrader_app.export_plugin_class("no_such_module_here.Plugin")


@pytest.mark.parametrize("text, utc", [
    ("2026-11-21T15:00:00+00:00", datetime.datetime(2026, 11, 21, 15, 0)),
    ("2026-11-21T15:00:00+02:00", datetime.datetime(2026, 11, 21, 13, 0)),
    ("2026-11-21 15:00:00", datetime.datetime(2026, 11, 21, 15, 0)),
], ids=["utc", "offset", "no offset"])
def test_a_timestamp_is_read_as_nbgraders_autograde_reads_it(text, utc):
    assert nbgrader_app.nbgrader_utc(text) == utc


def test_a_timestamp_nbgrader_cannot_read_raises():
    with pytest.raises(ValueError):
        nbgrader_app.nbgrader_utc("not a time")


def test_a_file_is_ignored_by_its_name_as_nbgraders_converters_ignore_it(tmp_path):
    (tmp_path / "hidden.py").write_text("")
    (tmp_path / "data.csv").write_text("")
    assert nbgrader_app.ignored_by_nbgrader(tmp_path / "hidden.py", ["hidden.py", "*.pyc"])
    assert not nbgrader_app.ignored_by_nbgrader(tmp_path / "data.csv", ["hidden.py", "*.pyc"])
    assert not nbgrader_app.ignored_by_nbgrader(tmp_path / "hidden.py", None)
