"""Which LMS `dgmlab push <hw>` sends a homework's marks to (grading/lms/lms_config.py) in a term graded partly in
Canvas and partly in Moodle."""
import pytest

from dgmlab.grading.course import Course
from dgmlab.grading.lms import lms_config

TERM = 'c.DgmlabCanvas.assignments = {"hw3_flows": 42, "hw4_gans": 43}\nc.DgmlabMoodle.assignments = {"hw5_explicit": 77}\n'


def _course(tmp_path, extra="") -> Course:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + TERM + extra, encoding="utf-8")
    return Course(tmp_path)


@pytest.mark.parametrize("platform, hw, goes_to", [
    ("canvas", "hw3_flows", "canvas"), ("canvas", "hw5_explicit", "moodle"),
    ("moodle", "hw4_gans", "canvas"), ("moodle", "hw5_explicit", "moodle"),
    ("canvas", "hw1_wgan", "canvas"),  # named by neither: the course's platform (whose push says what to set)
    ("lti", "hw5_explicit", "lti"),  # LTI's line items serve every homework
])
def test_a_homework_goes_to_the_one_lms_whose_assignments_name_it(tmp_path, platform, hw, goes_to):
    course = _course(tmp_path, f'c.DgmlabLms.platform = "{platform}"\n')
    assert lms_config.homework_platform(course, hw) == goes_to


def test_a_homework_both_lmss_name_goes_to_the_courses_platform(tmp_path):
    course = _course(tmp_path, 'c.DgmlabMoodle.assignments = {"hw3_flows": 78}\n')
    assert lms_config.homework_platform(course, "hw3_flows") == "canvas"
