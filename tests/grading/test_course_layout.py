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
