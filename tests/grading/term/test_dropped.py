"""A dropped student (c.DgmlabTerm.dropped): not listed for grading, absent from the reports and exports, their
folders and gradebook rows kept."""
import csv
import shutil

import nbformat
import pytest

from conftest import ROOT
from dgmlab.grading import course as C
from dgmlab.grading.course import Course, CourseError


def _course(root, dropped='["eve"]') -> Course:
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    with (root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write(f"\nc.DgmlabTerm.dropped = {dropped}\n")
    for sid in ("ada", "eve"):
        (root / "submitted" / sid / "hw1").mkdir(parents=True)
        (root / "submitted" / sid / "hw1" / "hw1.ipynb").write_text("{}", encoding="utf-8")
    (root / "source" / "hw1").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), root / "source" / "hw1" / "hw1.ipynb")
    return Course(root)


def test_a_dropped_student_is_not_listed_for_grading_and_keeps_their_files(tmp_path):
    course = _course(tmp_path)
    assert course.submitted("hw1") == ["ada"] and course.students() == ["ada"]
    assert (tmp_path / "submitted" / "eve" / "hw1" / "hw1.ipynb").read_text(encoding="utf-8") == "{}"


def test_grading_a_dropped_student_by_name_is_refused(tmp_path):
    with pytest.raises(CourseError, match=r"eve dropped the course \(c.DgmlabTerm.dropped"):
        C.autograde(_course(tmp_path), "hw1", students=["eve"])


def test_a_dropped_setting_that_is_not_a_list_is_refused_naming_it(tmp_path):
    with pytest.raises(CourseError, match=r"c.DgmlabTerm.dropped must be a list of student ids"):
        _course(tmp_path, dropped='"eve"').submitted("hw1")


@pytest.mark.slow  # nbgrader makes a gradebook with alembic
def test_a_dropped_student_is_absent_from_the_reports_and_exports_but_kept_in_the_gradebook(tmp_path):
    from nbgrader.api import Gradebook

    from dgmlab.grading.report import analysis as A
    from dgmlab.grading.report import exports as X
    from dgmlab.grading.report import registrar as REG
    from grading.term.test_late_everywhere import CONFIG, HW, _make

    course = _make(tmp_path, CONFIG + '\nc.DgmlabTerm.dropped = ["cy"]\n')
    (tmp_path / "source" / HW).mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "source" / HW / f"{HW}.ipynb")
    data = A.collect(course)
    assert "cy" not in data.roster and "cy" not in {s.student for s in data.submissions}
    assert {s.student for s in data.submissions} == {"ada", "bob", "dee"}
    with X.long_csv(data, tmp_path / "questions.csv").open(encoding="utf-8", newline="") as f:
        assert {row[0] for row in list(csv.reader(f))[1:]} == {"ada", "bob", "dee"}
    path, _ = REG.write(course, "registrar.csv")
    with path.open(encoding="utf-8", newline="") as f:
        assert [r["student_id"] for r in csv.DictReader(f)] == ["ada", "bob", "dee"]
    from dgmlab.grading.report import report as R

    assert "cy" not in {g.student for g in R.grades(course)}
    with R.export_csv(course, "grades.csv").open(encoding="utf-8", newline="") as f:
        assert {r["student_id"] for r in csv.DictReader(f)} == {"ada", "bob", "dee"}
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        assert gb.find_submission(HW, "cy") is not None  # kept, only left out
    assert (tmp_path / "submitted" / "cy" / HW).is_dir()
