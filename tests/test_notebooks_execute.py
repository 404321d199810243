"""Every source notebook (the reference solution) runs top to bottom in fast mode."""
import os
import shutil
import time

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT, shared_data_env

from dgmlab.grading.course import Course

HOMEWORKS = Course(ROOT).homeworks()


def execute(path, env, timeout=600):
    nb = nbformat.read(path, as_version=4)
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("hw", HOMEWORKS)
def test_source_notebook_runs_in_fast_mode(hw, tmp_path):
    folder = tmp_path / hw
    shutil.copytree(ROOT / "source" / hw, folder, ignore=shutil.ignore_patterns("figures", "*.pt"))
    env = {"DGMLAB_FAST": "1", **shared_data_env()}
    env.pop("NBGRADER_EXECUTION", None)
    os.environ.pop("NBGRADER_EXECUTION", None)
    t0 = time.monotonic()
    nb = execute(folder / f"{hw}.ipynb", env)
    seconds = time.monotonic() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert any("mode=fast" in o.get("text", "") for o in setup.outputs), "setup cell did not report fast mode"
    print(f"{hw}: fast mode in {seconds:.0f} s")
