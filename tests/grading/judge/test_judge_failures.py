"""A judge that cannot judge is the grader's failure, said as such (friction 8 of issue 64's trial): one that does not
start or stops without a verdict fails the notebook's grading with what happened (never a 0 for the student, never
"could not be judged within 180 s"); one whose notebook ran out of time gives 0 with that reason; and the judge
imports the ``homeworks`` of the checkout it grades with, not another one this Python could find."""
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest

import homeworks
from conftest import ROOT
from dgmlab.grading.judge import judge_process
from dgmlab.grading.preprocessors.judge_tests import JudgeTests
from dgmlab.grading.preprocessors.probe_tests import ProbeTests

HW, CELL = "hw3_flows", "q4_generator_losses_tests"
SOURCE = nbformat.read(ROOT / "source" / HW / f"{HW}.ipynb", as_version=4)

# stand-ins for the judge process: the module's name in the command line, as the real one has it (judge_process._parent)
NOT_IMPORTABLE = """
import sys
sys.stderr.write("Traceback (most recent call last):\\n  File x\\nModuleNotFoundError: No module named 'homeworks.hw6_vae'\\n")
sys.exit(1)
"""
SILENT = "import time; time.sleep(600)"
DIES_ON_A_REQUEST = """
import json, os, sys
print(json.dumps({"ready": True}), flush=True)
sys.stdin.readline()
print(json.dumps({"start": "t"}), flush=True)
os._exit(9)
"""


def _notebook():
    source = next(c.source for c in SOURCE.cells if c.metadata.get("nbgrader", {}).get("grade_id") == CELL)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": CELL, "points": 3}
    return ProbeTests(seed=0).preprocess(nb, {"nbgrader": {"assignment": HW}})


@pytest.fixture
def fake_judge(monkeypatch):
    """Make the judge process ``script`` (a Python program) for this test; the real one again afterwards."""
    judge_process.stop()

    def use(script):
        monkeypatch.setattr(judge_process, "command", lambda sandbox, tmp: [
            sys.executable, "-c", textwrap.dedent(script), "dgmlab.grading.judge.judge_process"])
    yield use
    judge_process.stop()


def test_a_judge_that_cannot_import_the_tests_fails_the_grading_with_its_error(fake_judge):
    fake_judge(NOT_IMPORTABLE)
    with pytest.raises(judge_process.JudgeFailed) as failed:
        JudgeTests(isolate=True, timeout=60).preprocess(*_notebook())
    first = str(failed.value).splitlines()[0]  # what the grading's one-line reason shows
    assert "judge process could not start (it ended with status 1)" in first
    assert "ModuleNotFoundError: No module named 'homeworks.hw6_vae'" in first
    assert "within" not in first


def test_a_judge_silent_past_its_start_time_fails_the_grading(fake_judge, monkeypatch):
    fake_judge(SILENT)
    monkeypatch.setattr(judge_process, "START_TIMEOUT", 1.0)
    with pytest.raises(judge_process.JudgeFailed, match="could not start .it was not ready within 1 s"):
        JudgeTests(isolate=True, timeout=60).preprocess(*_notebook())
    assert judge_process._PROCESS is None  # killed


def test_a_judge_that_dies_on_a_notebook_fails_its_grading_and_gives_no_zero(fake_judge):
    fake_judge(DIES_ON_A_REQUEST)
    nb, resources = _notebook()
    with pytest.raises(judge_process.JudgeFailed, match=f"stopped without a verdict for {CELL}, so nothing"):
        JudgeTests(isolate=True, timeout=60).preprocess(nb, resources)
    assert not any(o.get("output_type") == "execute_result" for o in nb.cells[0].outputs)  # no score written


def test_a_notebook_whose_time_ran_out_earns_zero_saying_so(fake_judge):
    fake_judge(SILENT)  # the notebook's 1 s ends before the judge's start time does
    nb, _ = JudgeTests(isolate=True, timeout=1).preprocess(*_notebook())
    text = nb.cells[0].outputs[0].text
    assert text.startswith("0 points: the grader's 1 s for this notebook ran out before this cell was judged")


def test_the_judge_imports_the_homeworks_of_the_checkout_that_grades():
    """In a checkout the judge's PYTHONPATH starts with ``src/`` and the checkout: ``homeworks`` is this one's even
    where another checkout's is what this Python's editable install names (the trial's clone graded with main's)."""
    roots = judge_process.import_roots()
    assert roots[:2] == [str(ROOT / "src"), str(ROOT)]
    sandboxed = judge_process.command(True, "/nonexistent")
    path = sandboxed[sandboxed.index("PYTHONPATH", sandboxed.index("--setenv")) + 1]
    assert path.split(os.pathsep)[:2] == roots
    found = subprocess.run([sys.executable, "-P", "-c", "import homeworks; print(homeworks.__file__)"], cwd="/",
                           env={"PATH": os.environ["PATH"], "PYTHONPATH": path}, capture_output=True, text=True,
                           timeout=60)
    assert found.stdout.strip() == homeworks.__file__


def _error(evalue):
    return [{"output_type": "error", "ename": "ModuleNotFoundError", "evalue": evalue, "traceback": []}]


@pytest.mark.parametrize("name", ["homeworks", "dgmlab"])
def test_a_kernel_that_cannot_import_the_kit_is_said_to_be_the_grading_setup(name):
    """A kernel with no ``homeworks`` or ``dgmlab`` (the trial's two checkouts) is the grader's fault: the reason
    says so, and does not tell the student to rerun the notebook."""
    from dgmlab.grading.judge.cell_verdicts import probe_data
    from dgmlab.probes import wire

    with pytest.raises(wire.WireError) as raised:
        probe_data(_error(f"No module named '{name}'"), CELL)
    assert "grading setup, not of this notebook" in str(raised.value)
    assert "run the notebook from the top" not in str(raised.value)


def test_a_module_of_the_grader_missing_in_the_kernel_is_still_the_notebooks_error():
    """``dgmlab.grading`` is absent from every kernel, as in Colab: a notebook importing it is told to fix it."""
    from dgmlab.grading.judge.cell_verdicts import probe_data
    from dgmlab.probes import wire

    with pytest.raises(wire.WireError) as raised:
        probe_data(_error("No module named 'dgmlab.grading'"), CELL)
    assert "run the notebook from the top" in str(raised.value)


def test_a_check_that_did_not_run_after_an_interrupted_cell_names_that_cell_and_the_time_limit():
    """A TA's trial: the test cell after a cell stopped at its time limit said only "NameError ... run from the top"."""
    from traitlets.config import Config

    nb, resources = _notebook()
    loop = nbformat.v4.new_code_cell("while True:\n    pass")
    loop.outputs = [nbformat.v4.new_output("error", ename="KeyboardInterrupt", evalue="", traceback=[])]
    nb.cells.insert(0, loop)
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="name 'G' is not defined",
                                                 traceback=[])]
    config = Config()
    config.Execute.timeout = 120
    nb, _ = JudgeTests(isolate=False, config=config).preprocess(nb, resources)
    text = nb.cells[1].outputs[0].text
    assert "the check did not run (NameError: name 'G' is not defined)" in text
    assert "An earlier cell (cell 1: 'while True:') was interrupted" in text and "time limit of 120 s" in text


def test_a_check_that_ran_says_nothing_of_an_interrupted_cell():
    cell = nbformat.v4.new_code_cell("check()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1 of 3 points\npassed test_a: 1 of 1\n")]
    JudgeTests()._say_stopped(cell, (0, "while True:"))
    assert cell.outputs[0].text == "1 of 3 points\npassed test_a: 1 of 1\n"
