"""The graded draws' seeds of a Gradescope submission (dgmlab.grading.gradescope.seeds): the copy check of its weights
files against the kit's published ones runs in a process of its own, only where there is something to compare."""
import shutil

import pytest

from conftest import ROOT
from dgmlab.grading.autograde import draw_seeds as DS
from dgmlab.grading.gradescope import seeds as SD

KEY = bytes(range(32))
PUBLISHED = "examples/demo_reference/hw5_explicit/p1_pixelcnn_weights.pt"


def test_only_top_level_weights_under_a_published_name_are_compared():
    files = {"p1_pixelcnn_weights.pt": b"a", "mine_weights.pt": b"b", "sub/p1_pixelcnn_weights.pt": b"c",
             "hw5_explicit.ipynb": b"{}"}
    assert SD.compared(files, {"published": [PUBLISHED]}) == {"p1_pixelcnn_weights.pt": b"a"}


def test_nothing_to_compare_starts_no_process(monkeypatch):
    def no_pool(*a, **k):
        raise AssertionError("a process was started with nothing to compare")

    monkeypatch.setattr(SD, "ProcessPoolExecutor", no_pool)
    got = SD.seeds(ROOT, {"hw": "hw5_explicit", "published": [PUBLISHED]}, KEY, {"mine_weights.pt": b"x" * 10}).files
    assert got == DS.seeds_for(KEY, "hw5_explicit", {"mine_weights.pt": b"x" * 10})


@pytest.mark.slow
def test_a_handed_in_copy_of_a_published_file_is_refused_by_the_check_in_its_own_process(monkeypatch, tmp_path):
    grader = tmp_path / "grader"
    (grader / "source" / "hw5_explicit").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", grader)
    shutil.copy(ROOT / "source" / "hw5_explicit" / "hw5_explicit.ipynb", grader / "source" / "hw5_explicit")
    (grader / PUBLISHED).parent.mkdir(parents=True)
    shutil.copy(ROOT / PUBLISHED, grader / PUBLISHED)
    def never_compared_here(*args):
        raise AssertionError("the grader itself compared the file with the published ones")

    monkeypatch.setattr(DS, "copies_refused", never_compared_here)  # this process only; the check's own is fresh
    data = (ROOT / PUBLISHED).read_bytes()
    got = SD.seeds(grader, {"hw": "hw5_explicit", "published": [PUBLISHED]}, KEY, {"p1_pixelcnn_weights.pt": data}).files
    assert PUBLISHED in got["p1_pixelcnn_weights.pt"]["refused"]
