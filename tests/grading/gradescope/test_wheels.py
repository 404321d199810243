"""--wheels DIR: the zip takes the folder's dgmlab and dgmlab-grader wheels of this version, or refuses naming what
is missing and how to build it (`make wheels`)."""
import pytest

from dgmlab.grading import course as C
from dgmlab.grading.gradescope import wheels


def _touch(folder, *names):
    for name in names:
        (folder / name).write_bytes(b"")


def test_a_folder_with_both_wheels_of_the_version_gives_them_in_order(tmp_path):
    _touch(tmp_path, "dgmlab_grader-1.2.0-py3-none-any.whl", "dgmlab-1.2.0-py3-none-any.whl",
           "dgmlab-1.1.0-py3-none-any.whl")
    assert [p.name for p in wheels.pick(tmp_path, "1.2.0")] == ["dgmlab-1.2.0-py3-none-any.whl",
                                                                "dgmlab_grader-1.2.0-py3-none-any.whl"]


def test_a_folder_missing_the_grader_wheel_is_refused_with_how_to_build_it(tmp_path):
    _touch(tmp_path, "dgmlab-1.2.0-py3-none-any.whl", "dgmlab_grader-1.1.0-py3-none-any.whl")
    with pytest.raises(C.CourseError) as err:
        wheels.pick(tmp_path, "1.2.0")
    assert "holds no dgmlab-grader wheel of version 1.2.0" in str(err.value)
    assert "`make wheels`" in str(err.value)
