"""A course's folders are nbgrader's CourseDirectory as nbgrader_config.py sets it, not names of dgmlab's own."""
import pytest

from dgmlab.grading.layout import Course, CourseError


def _course(tmp_path, *lines):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + "".join(f"{x}\n" for x in lines))
    return Course(tmp_path)


def test_folders_are_named_as_the_course_config_names_them(tmp_path):
    course = _course(tmp_path, 'c.CourseDirectory.submitted_directory = "handed_in"',
                     'c.CourseDirectory.source_directory = "masters"')
    (tmp_path / "masters" / "hw1_x").mkdir(parents=True)
    (tmp_path / "masters" / "hw1_x" / "hw1_x.ipynb").write_text("{}")
    (tmp_path / "handed_in" / "ann" / "hw1_x").mkdir(parents=True)
    (tmp_path / "submitted" / "bob" / "hw1_x").mkdir(parents=True)  # the default name: not this course's folder
    assert course.folder("submitted", "hw1_x", "ann") == tmp_path.resolve() / "handed_in" / "ann" / "hw1_x"
    assert course.homeworks() == ["hw1_x"] and course.submitted("hw1_x") == ["ann"]


def test_a_config_whose_relative_root_is_not_the_course_still_roots_it_here(tmp_path, monkeypatch):
    course = _course(tmp_path, 'c.CourseDirectory.root = "."')
    monkeypatch.chdir(tmp_path.parent)
    assert course.folder("autograded", "hw1_x", "ann") == tmp_path.resolve() / "autograded" / "ann" / "hw1_x"


def test_a_changed_directory_structure_is_refused_with_what_to_do(tmp_path):
    course = _course(tmp_path, 'c.CourseDirectory.directory_structure = "{nbgrader_step}/{assignment_id}/{student_id}"')
    with pytest.raises(CourseError, match="directory_structure.*remove the setting"):
        course.folder("submitted", "hw1_x", "ann")


# ----------------------------------------------------------------- why a step failed
def _exception(kind: str, *args):
    from nbclient import exceptions as nbclient_errors
    from nbgrader import api, nbgraderformat

    found = {"DeadKernelError": nbclient_errors.DeadKernelError, "CellTimeoutError": nbclient_errors.CellTimeoutError,
             "SchemaTooOldError": nbgraderformat.SchemaTooOldError, "MissingEntry": api.MissingEntry}
    return found.get(kind, ValueError)(*args)


@pytest.mark.parametrize("kind, args, says", [
    ("DeadKernelError", ("Kernel died",), "the kernel died while running the notebook"),
    ("CellTimeoutError", ("Cell execution timed out",), "a cell ran past its time limit and did not stop"),
    ("SchemaTooOldError", ("old", 1, 3), "the notebook's nbgrader cell metadata is damaged"),
    ("MissingEntry", (), "the notebook does not match this homework's release"),
    ("ValueError", ("bad value\nmore detail",), "ValueError: bad value"),
])
def test_a_failed_conversion_is_explained_by_the_exception_that_failed_it(kind, args, says):
    from dgmlab.grading.nbgrader_app import failure_reason

    reason = failure_reason(_exception(kind, *args))
    assert reason.startswith(says) and "\n" not in reason


class _Converter:
    """A converter shaped as nbgrader's: start() converts each notebook, logs what failed and goes on."""

    def __init__(self, error):
        import logging

        self.log, self.error = logging.getLogger("test-converter"), error

    def convert_single_notebook(self, name):
        raise self.error

    def start(self):
        from nbgrader.converters.base import NbGraderException

        try:
            self.convert_single_notebook("hw9.ipynb")
        except Exception:
            self.log.error("There was an error processing assignment: hw9")
        raise NbGraderException("Please see the the above traceback for details")


def test_a_converters_failure_reason_comes_from_its_exception_not_its_log():
    from nbclient.exceptions import DeadKernelError

    from dgmlab.grading.nbgrader_app import run_converter

    res = run_converter(_Converter(DeadKernelError("Kernel died")), ["autograde", "hw9"])
    assert not res.ok and res.reason.startswith("the kernel died while running the notebook")
    assert "DeadKernelError" not in res.output  # the log never named it: the reason came from the exception


def test_a_step_without_an_exception_gives_the_last_error_line_of_its_log():
    from dgmlab.grading.layout import StepResult

    res = StepResult(["generate_feedback"], 1, "[INFO] start\n[ERROR] feedback took longer than 1 s\n", 1.0)
    assert res.reason == "[ERROR] feedback took longer than 1 s"


def test_a_config_naming_a_grader_class_by_a_path_it_does_not_have_is_refused_with_the_path_it_has(tmp_path):
    course = _course(tmp_path, 'c.Autograde.sanitize_preprocessors = ["dgmlab.grading.judge.JudgeTests"]')
    with pytest.raises(CourseError, match=r"names dgmlab\.grading\.judge\.JudgeTests.*write "
                                          r"dgmlab\.grading\.preprocessors\.judge_tests\.JudgeTests \("):
        course.config()


def test_a_plug_in_named_by_the_module_it_left_is_refused_with_its_module_in_preprocessors(tmp_path):
    course = _course(tmp_path, 'c.Autograde.autograde_preprocessors = '
                               '["dgmlab.grading.autograde.output_limits.LimitOutputBytes"]')
    with pytest.raises(CourseError, match=r"names dgmlab\.grading\.autograde\.output_limits\.LimitOutputBytes.*"
                                          r"write dgmlab\.grading\.preprocessors\.output_bytes\.LimitOutputBytes \("):
        course.config()


def test_the_kits_config_names_only_grader_classes_it_has(tmp_path):
    from conftest import ROOT

    (tmp_path / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text(encoding="utf-8"))
    names = [s for s in str(Course(tmp_path).config()).split("'") if s.startswith("dgmlab.grading.")]
    assert len(names) >= 5  # the judge's, the working folder's, the output limit's, the due date's, install source
