"""dgmlab release runs nbgrader's GenerateAssignment converter in its own process: the notebooks plain
``nbgrader generate_assignment`` writes, its flags as config, its log's tail when it fails."""
import logging
import os
import shutil
import sys
import threading

import nbformat
import pytest

import tiny_homework as tiny
from conftest import ROOT
from dgmlab.grading import course as C
from dgmlab.grading import nbgrader_app as N

HW = tiny.HW
pytestmark = pytest.mark.slow  # runs nbgrader's converter (and, once, its command line)


def tiny_course(root):
    root.mkdir(exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")  # it sets no install source
    tiny.build(root)
    return C.Course(root)


def test_release_writes_the_bytes_plain_nbgrader_writes(tmp_path):
    ours, plain = tiny_course(tmp_path / "ours"), tiny_course(tmp_path / "plain")
    C.release(ours, local_only=True)
    res = plain.nbgrader("generate_assignment", HW, "--force", "--SetInstallSource.local_only=True")
    assert res.ok, res.output[-2000:]
    assert ours.release_notebook(HW).read_bytes() == plain.release_notebook(HW).read_bytes()


def test_release_leaves_the_process_as_it_found_it(tmp_path, monkeypatch):
    course = tiny_course(tmp_path)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # as in a kernel nbgrader runs
    before = (os.getcwd(), os.environ["PATH"], list(sys.path))
    (res,) = C.release(course, local_only=True)
    assert res.ok and res.args == ["generate_assignment", HW, "--force", "--SetInstallSource.local_only=True"]
    assert (os.getcwd(), os.environ["PATH"], list(sys.path)) == before
    assert os.environ["NBGRADER_EXECUTION"] == "autograde"


def test_the_scratch_release_writes_no_gradebook(tmp_path):
    course = tiny_course(tmp_path)
    res = C._generate_assignment(course, HW, local_only=True, no_db=True)
    assert res.ok and res.args == ["generate_assignment", HW, "--force", "--no-db",
                                   "--SetInstallSource.local_only=True"]
    assert course.release_notebook(HW).exists() and not (tmp_path / "gradebook.db").exists()


def test_release_waits_for_a_converter_running_in_this_process(tmp_path):
    course = tiny_course(tmp_path)
    done = []
    with N.NBGRADER_LOCK:
        worker = threading.Thread(target=lambda: done.append(C.release(course, local_only=True)))
        worker.start()
        worker.join(2.0)
        assert worker.is_alive() and not course.release_notebook(HW).exists()
    worker.join(120)
    assert done and course.release_notebook(HW).exists()


def test_a_failed_release_ends_with_the_tail_of_nbgraders_log(tmp_path):
    course = tiny_course(tmp_path)
    path = course.source_notebook(HW)
    nb = nbformat.read(path, as_version=4)
    graded = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "mean_square_tests")
    nb.cells.append(nbformat.from_dict(dict(graded)))  # a second cell with the same grade id
    nbformat.write(nb, path)
    with pytest.raises(C.CourseError) as err:
        C.release(course, local_only=True)
    message = str(err.value)
    assert message.startswith(f"generate_assignment {HW} failed:\n")
    assert "Notebook failed to validate; the nbgrader metadata may be corrupted." in message  # nbgrader's error
    # the log ends as `nbgrader generate_assignment`'s does: no traceback of the converter's final exception
    assert message.endswith("errors on the above failures.") and "NbGraderException" not in message
    assert not course.release_notebook(HW).exists()


def test_release_ships_a_course_homeworks_checks_file_without_a_warning(tmp_path, capsys, caplog):
    course = tiny_course(tmp_path)
    C.release(course, local_only=True)
    released = sorted(p.name for p in course.folder("release", HW).iterdir() if p.is_file())
    assert released == ["checks.py", f"{HW}.ipynb"]
    assert "WARNING" not in capsys.readouterr().err
    assert not [r for r in caplog.records if r.name == "dgmlab.grading.course" and r.levelno >= logging.WARNING]


def test_release_warns_through_its_logger_of_a_file_left_beside_the_source_notebook(tmp_path, caplog):
    course = tiny_course(tmp_path)
    (course.folder("source", HW) / "scratch.png").write_bytes(b"not for students")
    with caplog.at_level(logging.WARNING, logger="dgmlab.grading.course"):
        C.release(course, local_only=True)
    (record,) = [r for r in caplog.records if r.name == "dgmlab.grading.course"]
    assert record.levelno == logging.WARNING
    assert f"release/{HW}/ also holds release/{HW}/scratch.png" in record.getMessage()


def test_the_release_holds_no_hidden_py_of_a_course_homework(tmp_path):
    course = tiny_course(tmp_path)
    assert (course.folder("source", HW) / "hidden.py").is_file()  # the build put it there, for the grader
    C.release(course, local_only=True)
    assert not any(p.name == "hidden.py" for p in course.folder("release", HW).rglob("*"))
    assert "test_value_on_the_graders_input" not in course.release_notebook(HW).read_text(encoding="utf-8")


def _append(path, text):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _release_refused(course, match):
    """``release`` refuses with a message matching ``match``, and writes no release notebook."""
    with pytest.raises(C.CourseError, match=match):
        C.release(course, local_only=True)
    assert not course.release_notebook(HW).exists()


def test_release_refuses_a_config_under_which_nbgrader_would_copy_hidden_py(tmp_path):
    course = tiny_course(tmp_path)
    _append(course.root / "nbgrader_config.py", '\nc.CourseDirectory.ignore = ["__pycache__"]\n')
    _release_refused(course, r"source/hw9_tiny/hidden.py holds hw9_tiny's hidden tests, but "
                             r"nbgrader_config.py's c.CourseDirectory.ignore .* add 'hidden.py' to "
                             r"c.CourseDirectory.ignore; nothing was released")


def test_release_refuses_a_checks_file_that_holds_hidden_tests(tmp_path):
    course = tiny_course(tmp_path)
    _append(course.folder("source", HW) / "checks.py", "\n### BEGIN HIDDEN TESTS\n")
    _release_refused(course, "checks.py holds 'BEGIN HIDDEN TESTS'.*nothing was released")


def test_release_refuses_a_homework_whose_recorded_values_are_missing(tmp_path):
    course = tiny_course(tmp_path)
    hidden = course.folder("source", HW) / "hidden.py"
    _append(hidden, "\nEXPECTED = {'t_tests': {'value': len}}\n")
    _release_refused(course, r"source/hw9_tiny/hidden.py records values \(EXPECTED\) but "
                             r"source/hw9_tiny/expected.json is missing.*--record-expected hw9_tiny; "
                             r"nothing was released")
    (hidden.parent / "expected.json").write_text("{}", encoding="utf-8")  # recorded: released
    C.release(course, local_only=True)
    assert course.release_notebook(HW).exists()


def test_a_release_that_changes_graded_cells_after_submissions_keeps_the_old_release_and_says_what_to_do(tmp_path):
    """(issue 64's trial, friction 7: nbgrader refused, and release/<hw>/<hw>.ipynb was gone.)"""
    from nbgrader.api import Gradebook

    course = tiny_course(tmp_path)
    C.release(course, local_only=True)
    before = course.release_notebook(HW).read_bytes()
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:  # a submission graded on these cells
        gb.add_student("s1")
        gb.add_submission(HW, "s1")
    path = course.source_notebook(HW)
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "why_sympy"]
    nbformat.write(nb, path)
    with pytest.raises(C.CourseError) as err:
        C.release(course, local_only=True)
    assert course.release_notebook(HW).read_bytes() == before
    last = str(err.value).splitlines()[-1]
    assert last.startswith(f"{HW}'s source notebook adds or removes graded cells") and "make clean-grading" in last
    assert f"release/{HW}/ is kept as it was" in last
