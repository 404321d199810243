"""`dgmlab check` agrees with the autograder on the visible points of real submissions (issue 18).

The demo's partly wrong submissions of two homeworks (wrong answers, failing
visible checks, a missing graded file) are graded by `dgmlab autograde` and checked by `dgmlab check`;
every graded test cell must get the same visible points both ways. tests/grading/test_hostile.py does the same
for the hostile corpus (in the e2e tier)."""
import shutil

import nbformat
import pytest

from conftest import ROOT
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.selfcheck import check_notebook, visible_points

pytestmark = pytest.mark.slow
CASES = [("hw1_wgan", "demo_partial"), ("hw5_explicit", "demo_partial")]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("agreement")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    course = C.Course(root)
    for hw, student in CASES:
        shutil.copytree(ROOT / "source" / hw, root / "source" / hw, ignore=shutil.ignore_patterns("figures", "*.pt"))
        C.release(course, [hw], local_only=True)  # the shipped config sets no install source
        shutil.copytree(ROOT / "examples" / student / hw, root / "submitted" / student / hw)
        results = C.autograde(course, hw, [student], RunOptions(workers=1, feedback=False, timeout=600))
        assert [r.status for r in results] == ["graded"], [(r.status, r.reason) for r in results]
    return course


@pytest.mark.parametrize("hw,student", CASES)
def test_self_check_gives_each_cell_the_autograders_visible_points(course, hw, student):
    graded = nbformat.read(course.root / "autograded" / student / hw / f"{hw}.ipynb", as_version=4)
    autograder = visible_points(graded)
    report = check_notebook(course.root / "submitted" / student / hw / f"{hw}.ipynb")
    mine = {c.grade_id: c.visible_earned for c in report.cells}
    assert mine == autograder
    assert not report.ok, "the partly wrong submission fails some visible check"
    assert 0 < sum(mine.values()) < sum(c.visible_points for c in report.cells)
