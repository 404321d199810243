"""The Gradescope zip on a clean image, from the zip alone (tests/fixtures/gradescope_image.py): the zip built as
`dgmlab gradescope` builds it (carrying the dgmlab and dgmlab-grader wheels of this checkout), `setup.sh` run as root
in a fresh root with no checkout and no kit environment, pip offline from a folder of wheels standing in for the
package index (DGMLAB_GRADESCOPE_WHEELHOUSE, or one made once where pip's find-links hold a CPU torch), then
`run_autograder` for the reference, the blank, a late and two hostile submissions: with the kernel as an unprivileged
user (DGMLAB_GRADESCOPE_BOUNDARY=user), and with bubblewrap where the machine has it (or
DGMLAB_GRADESCOPE_TEST_BWRAP names a bwrap binary for the image)."""
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions
from dgmlab.grading.gradescope.autograder_zip import write_autograder
from gradescope_image import run_image, usable, zip_names
from gradescope_image import wheelhouse as make_wheelhouse

pytestmark = [pytest.mark.e2e]
HW = "hw3_flows"
DUE = "2025-03-01T23:59:00+00:00"
SUBMISSIONS = {
    "reference": (ROOT / "examples" / "demo_reference" / HW / f"{HW}.ipynb",
                  {"created_at": "2025-03-01T23:59:30+00:00", "assignment": {"due_date": DUE}}),
    "blank": (ROOT / "examples" / "demo_blank" / HW / f"{HW}.ipynb", None),
    "late": (ROOT / "examples" / "demo_reference" / HW / f"{HW}.ipynb",
             {"created_at": "2025-03-02T04:59:00+00:00", "assignment": {"due_date": DUE}}),
    "hostile": (ROOT / "tests" / "hostile" / "replants_links_after_the_kernel.ipynb", None),
    # Gradescope's metadata may hold earlier results, hidden tests' included: the kernel must not read it
    "metadata": (ROOT / "tests" / "hostile" / "reads_gradescope_metadata.ipynb",
                 {"created_at": "2025-03-01T12:00:00+00:00", "assignment": {"due_date": DUE},
                  "previous_submissions": [{"submission_time": "2025-03-01T11:00:00+00:00", "score": "63.0",
                                            "results": {"tests": [{"name": "q3_d_star_tests", "output": "hidden"}]}}]}),
}


@pytest.fixture(scope="module")
def wheelhouse():
    why = usable()
    if why:
        pytest.skip(f"no clean image here: {why}")
    folder, why = make_wheelhouse()
    if folder is None:
        pytest.skip(f"no folder of wheels for an offline image: {why}")
    return folder


@pytest.fixture(scope="module")
def built(wheelhouse, tmp_path_factory):
    root = tmp_path_factory.mktemp("gradescope_clean_course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write('\nc.DgmlabDeadlines.policy = "ten_percent_2days"\n')
    shutil.copytree(ROOT / "source" / HW, root / "source" / HW, ignore=shutil.ignore_patterns("figures", "*.pt"))
    course = C.Course(root)
    C.release(course, [HW], local_only=True)
    t0 = time.time()
    path = write_autograder(course, HW, root / "gradescope" / f"{HW}.zip",
                            RunOptions(timeout=600, sandbox=None, cell_timeout=60))
    return course, path, time.time() - t0


BWRAP_ENV = "DGMLAB_GRADESCOPE_TEST_BWRAP"  # a bwrap binary for the image where the machine has none installed


@pytest.fixture(scope="module", params=["user", "bubblewrap"])
def image(request, built, wheelhouse, tmp_path_factory):
    bwrap = Path(os.environ[BWRAP_ENV]) if os.environ.get(BWRAP_ENV) else None
    if request.param == "bubblewrap" and bwrap is None and not Path("/usr/bin/bwrap").exists():
        pytest.skip(f"the image's /usr (the machine's) has no bubblewrap, and {BWRAP_ENV} names none")
    env = {"DGMLAB_GRADESCOPE_BOUNDARY": "user"} if request.param == "user" else {}
    _, zip_path, _ = built
    found = run_image(tmp_path_factory.mktemp(f"gradescope_image_{request.param}"), zip_path, wheelhouse,
                      SUBMISSIONS, env, bwrap=bwrap if request.param == "bubblewrap" else None)
    assert found["rc"] == 0, found["stdout"] + found["stderr"] + found["setup_log"][-3000:]
    return request.param, found


def _auto(results):
    return [t for t in results["tests"] if "graded by hand" not in t.get("tags", [])]


def test_the_zip_carries_the_wheels_of_this_checkout(built):
    from dgmlab import __version__

    _, zip_path, _ = built
    wheels = sorted(n for n in zip_names(zip_path) if n.startswith("wheels/"))
    assert [re.sub(r"-py3-none-any\.whl$", "", w) for w in wheels] == [
        f"wheels/dgmlab-{__version__}", f"wheels/dgmlab_grader-{__version__}"]


def test_setup_installs_from_the_zip_alone_and_says_which_wall_holds(image):
    wall, found = image
    log = found["setup_log"]
    assert "dgmlab_grader-" in log and "Successfully installed" in log
    assert "cannot access" not in log and "nothing would be graded" not in log
    expected = "unprivileged user dgmlab-kernel" if wall == "user" else "bubblewrap sandbox"
    assert f"grading wall: {expected}" in log or expected in log


def test_the_reference_earns_every_autograded_point(image):
    _, found = image
    res = found["reference"]["results"]
    assert res is not None, found["reference"]["log"][-3000:]
    auto = _auto(res)
    assert auto and all(t["score"] == t["max_score"] > 0 for t in auto)
    # handed in at 23:59:30 for a 23:59 due time: on time, as in the course (the whole minute counts)
    assert res["score"] == sum(t["score"] for t in auto) and "Late:" not in res["output"]


def test_the_blank_earns_less_than_the_reference(image):
    _, found = image
    blank, ref = found["blank"]["results"], found["reference"]["results"]
    assert blank is not None, found["blank"]["log"][-3000:]
    assert blank["score"] < ref["score"]


def test_a_late_submission_loses_the_courses_penalty(image):
    _, found = image
    late, ref = found["late"]["results"], found["reference"]["results"]
    assert late is not None and "Late:" in late["output"]
    assert late["score"] == pytest.approx(0.9 * ref["score"])  # ten_percent_2days, day 1
    assert "autograded points only" in late["output"] and late["extra_data"]["late_factor"] == 0.9


def test_a_process_replanting_links_after_the_kernel_changes_no_root_file(image):
    wall, found = image
    hostile = found["hostile"]
    assert hostile["results"] is not None, hostile["log"][-3000:]
    assert hostile["before"] == hostile["after"], (hostile["before"], hostile["after"])
    assert "/etc/shadow 640 root" in hostile["after"] and "draw.key 600 root" in hostile["after"]
    assert not [line for line in hostile["ps"].splitlines() if line.startswith("dgmlab-")], hostile["ps"]
    assert all(t["score"] == t["max_score"] for t in _auto(hostile["results"]))  # its answers are the reference's


def test_the_kernel_cannot_read_the_metadatas_earlier_results(image):
    _, found = image
    res = found["metadata"]["results"]
    assert res is not None, found["metadata"]["log"][-3000:]
    assert all(t["score"] == t["max_score"] for t in _auto(res))  # its answer is wrong only where it read the file
