"""A course's own homework writes a cell's points once too: each test's ``@points``, the total and hidden share their
sums (``dgmlab build`` writes them into ``points.json`` beside ``checks.py``, released with it). An older
``checks.py`` whose CheckSpec still gives ``points``/``hidden`` keeps working when they equal the sums, and is told
what to delete when they do not."""
import json
import shutil

import pytest

from dgmlab import probes
from dgmlab.grading import hidden
from dgmlab.probes.points import PlanError

HW = "hw8_course"
TESTS = '''from dgmlab.probes import CheckSpec
from dgmlab.probes.points import points


@points(1)
def test_visible(v, ref):
    pass


def test_unweighted(v, ref):
    pass
'''
HIDDEN = '''from dgmlab.probes.points import points


@points(2)
def test_hidden(v, ref):
    pass


HIDDEN = {"q1_tests": (test_hidden,)}
'''


@pytest.fixture
def course():
    """Load a course's own checks.py (given its CHECKS line) and hidden.py as ``HW``; forget them afterwards."""
    def load(checks: str):
        probes.load_checks_text(HW, TESTS + checks)
        hidden.load_text(HW, HIDDEN)
        return probes.derive_points(HW, lambda cell: hidden.tests(HW, cell))

    yield load
    probes._course_checks.pop(HW, None)
    probes._points.pop(HW, None)
    probes._specs_cache.pop(HW, None)
    hidden.forget(HW)


def test_a_course_spec_without_points_is_worth_its_tests_points_summed(course):
    table = course('CHECKS = [CheckSpec("q1_tests", names=("x",), visible=(test_visible,))]\n')
    assert table == {"q1_tests": {"points": 3, "hidden": 2}}
    probes.use_points(HW, table)
    spec = probes.spec_for(HW, "q1_tests")
    assert (spec.points, spec.hidden) == (3, 2)


def test_an_older_course_spec_giving_the_same_points_still_works(course):
    table = course('CHECKS = [CheckSpec("q1_tests", 3, 2, names=("x",), visible=(test_visible,))]\n')
    assert table == {"q1_tests": {"points": 3, "hidden": 2}}
    assert (probes.spec_for(HW, "q1_tests").points, probes.spec_for(HW, "q1_tests").hidden) == (3, 2)


def test_an_older_course_spec_giving_other_points_is_refused_saying_what_to_delete(course):
    with pytest.raises(PlanError, match=r"'q1_tests': its CheckSpec in checks\.py gives points=4, hidden=2, but its "
                                        r"tests' @points add up to 3 \(2 hidden\): delete points= and hidden="):
        course('CHECKS = [CheckSpec("q1_tests", 4, 2, names=("x",), visible=(test_visible,))]\n')


def test_an_older_course_spec_whose_tests_carry_no_points_keeps_the_points_it_gives(course):
    table = course('CHECKS = [CheckSpec("q1_tests", 5, 2, names=("x",), visible=(test_visible, test_unweighted))]\n')
    assert table == {"q1_tests": {"points": 5, "hidden": 2}}


def test_a_self_check_reads_the_points_file_beside_checks_py(tmp_path):
    (tmp_path / probes.CHECKS_FILE).write_text(
        TESTS + 'CHECKS = [CheckSpec("q1_tests", names=("x",), visible=(test_visible,))]\n', encoding="utf-8")
    (tmp_path / probes.POINTS_FILE).write_text(json.dumps({"q1_tests": {"points": 3, "hidden": 2}}))
    try:
        probes.load_checks(HW, tmp_path)
        assert (probes.spec_for(HW, "q1_tests").points, probes.spec_for(HW, "q1_tests").hidden) == (3, 2)
        (tmp_path / probes.POINTS_FILE).unlink()
        probes.load_checks(HW, tmp_path)
        with pytest.raises(KeyError, match=f"dgmlab build {HW}"):
            probes.spec_for(HW, "q1_tests")
    finally:
        probes._course_checks.pop(HW, None)
        probes._points.pop(HW, None)
        probes._course_expected.pop(HW, None)


def test_the_build_writes_the_sums_beside_checks_py(tmp_path):
    from dgmlab.authoring.percent import build_homework
    from dgmlab.authoring.template import template_folder

    folder = shutil.copytree(template_folder(), tmp_path / "homeworks" / HW)
    try:
        nb = build_homework(HW, folder)
        assert nb.points_file == (folder / probes.POINTS_FILE, {"q1_log_density_tests": {"points": 4, "hidden": 2},
                                                              "q2_gaussian_kl_tests": {"points": 3, "hidden": 2}})
        assert nb.points() == 9  # 4 + 3 by the tests, 2 written
    finally:
        probes._course_checks.pop(HW, None)
        probes._points.pop(HW, None)
        probes._specs_cache.pop(HW, None)
        hidden.forget(HW)
