"""The coordinator's checks before a submission is graded: what it refuses without reading it."""
import nbformat
import pytest

import tiny_homework as tiny
from conftest import ROOT
from dgmlab.grading import course as C
from dgmlab.grading.autograde import coordinator, keys
from dgmlab.grading.autograde.options import RunOptions


def _course_with_an_oversized_submission(root):
    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(text + "\nc.SetInstallSource.local_only = True\n", encoding="utf-8")
    tiny.build(root)
    course = C.Course(root)
    C.release(course)
    folder = root / "submitted" / "flood" / tiny.HW
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / f"{tiny.HW}.ipynb")
    with open(folder / "data.bin", "wb") as f:  # sparse: large on paper, nothing written
        f.truncate(coordinator.MAX_SUBMISSION_BYTES + 1)
    return course


@pytest.mark.slow  # releases a course (nbgrader generate_assignment)
def test_an_oversized_submission_is_refused_before_any_of_it_is_read(tmp_path, monkeypatch):
    course = _course_with_an_oversized_submission(tmp_path)
    read = []
    monkeypatch.setattr(coordinator, "folder_files", lambda folder: read.append(folder) or keys.folder_files(folder))
    [result] = C.autograde(course, tiny.HW, ["flood"], RunOptions(sandbox=False))
    assert result.status == "invalid"
    assert f"more than {coordinator.MAX_SUBMISSION_BYTES // 1024 ** 2} MiB" in result.reason
    assert "graded files only" in result.reason  # says what to do
    assert not read, "the coordinator read the submission's files before refusing it"
