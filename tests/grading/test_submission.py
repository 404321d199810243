"""A submission's record (dgmlab.grading.submission): its folders worked out once, from the course's config."""
import dataclasses

import pytest

from dgmlab.grading.layout import Course, notebook_problem


def _course(tmp_path, *lines):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + "".join(f"{x}\n" for x in lines))
    return Course(tmp_path)


def test_a_submissions_folders_move_with_the_course_config(tmp_path):
    course = _course(tmp_path, 'c.CourseDirectory.submitted_directory = "handed_in"',
                     'c.CourseDirectory.autograded_directory = "graded"',
                     'c.CourseDirectory.feedback_directory = "returned"')
    sub = course.submission("hw1_x", "ann")
    root = tmp_path.resolve()
    assert (sub.hw, sub.student) == ("hw1_x", "ann")
    assert sub.submitted == root / "handed_in" / "ann" / "hw1_x" == course.folder("submitted", "hw1_x", "ann")
    assert sub.autograded == root / "graded" / "ann" / "hw1_x"
    assert sub.feedback == root / "returned" / "ann" / "hw1_x"
    assert sub.notebook == sub.submitted / "hw1_x.ipynb"


def test_the_graders_own_files_of_a_submission_are_under_dgmlab_and_nothing_handed_in_reaches_them(tmp_path):
    sub = _course(tmp_path).submission("hw1_x", "ann")
    state = tmp_path.resolve() / ".dgmlab"
    assert sub.kept == state / "kept" / "hw1_x" / "ann"
    assert sub.record == state / "grading" / "hw1_x" / "ann.json"
    assert sub.answers == state / "answers" / "hw1_x" / "ann.json"
    assert not any(p.is_relative_to(sub.submitted) for p in (sub.kept, sub.record, sub.answers))


def test_a_submission_record_cannot_be_changed_once_built(tmp_path):
    sub = _course(tmp_path).submission("hw1_x", "ann")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sub.student = "bob"


@pytest.mark.parametrize("data, says", [(b"\xff", "is not UTF-8 text"), (b"{", "is not a valid notebook"),
                                        (b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
                                         "has no cells")])
def test_a_notebook_is_checked_from_its_bytes_with_what_is_wrong(data, says):
    assert says in notebook_problem(data, "hw1_x.ipynb")
