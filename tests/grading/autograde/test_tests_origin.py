"""Where dgmlab autograde loads a homework's tests from, and the course's homeworks/<hw>/ that differs from them
(grading/autograde/tests_origin.py)."""
import shutil

from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.autograde.tests_origin import origin

HW = "hw1_wgan"


def _kit_copy(tmp_path):
    """A course folder holding a copy of the kit's homeworks/hw1_wgan/ (what another checkout's course has)."""
    shutil.copytree(ROOT / "homeworks" / HW, tmp_path / "homeworks" / HW,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_kit_homeworks_tests_are_said_to_come_from_the_installed_homeworks_package():
    got = origin(ROOT, HW)  # this checkout is installed editable: its own homeworks/ is what the judge imports
    assert got.where == {"checks": str(ROOT / "homeworks" / HW / "checks"),
                         "hidden": str(ROOT / "homeworks" / HW / "hidden")}
    assert got.differs == []
    assert got.lines() == [f"{HW}: tests loaded: visible checks from {ROOT / 'homeworks' / HW / 'checks'}, hidden "
                           f"tests from {ROOT / 'homeworks' / HW / 'hidden'}"]


def test_a_course_copy_identical_to_the_loaded_tests_gives_no_warning(tmp_path):
    assert origin(_kit_copy(tmp_path), HW).differs == []


def test_a_test_edited_in_the_courses_homeworks_that_is_not_the_one_loaded_is_named(tmp_path):
    course = _kit_copy(tmp_path)
    edited = course / "homeworks" / HW / "hidden" / "q1_normalizing_flows.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# a TA's fix\n", encoding="utf-8")
    (course / "homeworks" / HW / "checks" / "new_part.py").write_text("", encoding="utf-8")
    got = origin(course, HW)
    assert got.differs == ["checks/new_part.py", "hidden/q1_normalizing_flows.py"]
    assert got.lines()[1].startswith(f"WARNING: the course's homeworks/{HW}/ differs from the tests loaded, which are "
                                     "the ones graded (checks/new_part.py, hidden/q1_normalizing_flows.py)")


def test_a_course_homework_whose_built_copy_differs_from_its_homeworks_file_is_named(tmp_path):
    for folder, text in (("homeworks", "HIDDEN = {}  # edited\n"), ("source", "HIDDEN = {}\n")):
        (tmp_path / folder / "hw9_own").mkdir(parents=True)
        (tmp_path / folder / "hw9_own" / "hidden.py").write_text(text, encoding="utf-8")
        (tmp_path / folder / "hw9_own" / "checks.py").write_text("CHECKS = []\n", encoding="utf-8")
    got = origin(tmp_path, "hw9_own")
    assert got.where == {"checks": str(tmp_path / "source" / "hw9_own" / "checks.py"),
                         "hidden": str(tmp_path / "source" / "hw9_own" / "hidden.py")}
    assert got.differs == ["hidden.py"]
    assert got.lines()[1].endswith("(hidden.py): run dgmlab build hw9_own to copy them")


def test_autograde_prints_where_it_loaded_the_tests_from_before_grading(tmp_path, capsys):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    (tmp_path / "source" / HW).mkdir(parents=True)
    shutil.copy(ROOT / "source" / HW / f"{HW}.ipynb", tmp_path / "source" / HW / f"{HW}.ipynb")
    assert cli.main(["--course", str(tmp_path), "autograde", HW]) != 0  # nothing collected yet
    assert f"{HW}: tests loaded: visible checks from {ROOT / 'homeworks' / HW / 'checks'}" in capsys.readouterr().out
