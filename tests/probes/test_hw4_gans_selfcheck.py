"""hw4's two cells graded from handed-in weights give the same points in the notebook's own test cell and in
`dgmlab check`, on the kit's real weights (slow: two kernels per file pair).

The notebook's test cell judges in the kernel; `dgmlab check` judges outside it, where the notebook's Generator does
not exist: both must judge the same draw (trial4: `dgmlab check` gave 0 of 3 with "run the cell that defines
Generator first" to weights the test cell gave 1 of 3).
"""
import re
import shutil

import nbformat
import pytest

from conftest import homework_builders, shared_data_env

BUILDER = homework_builders().get("hw4_gans")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(BUILDER is None, reason="no hw4_gans builder")]

CELLS = ("setup", "imports", "p1_generator", "p2_baseline_samples_tests", "p3_cond_generator", "p3_cgan_samples_tests")
FILE_CELLS = ("p2_baseline_samples_tests", "p3_cgan_samples_tests")


def _notebook(folder):
    """The reference notebook cut to what the two file cells need: setup, imports and both generators."""
    nb = BUILDER.build().nb
    keep = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in CELLS]
    assert len(keep) == len(CELLS)
    nb.cells = keep
    path = folder / "hw4_gans.ipynb"
    nbformat.write(nb, path)
    return path


def _in_notebook(path, monkeypatch) -> dict:
    """``{cell: (earned, sorted FAILED test names)}`` printed by the file cells run as a student runs them."""
    from nbclient import NotebookClient

    for name in ("NBGRADER_EXECUTION", "DGMLAB_FAST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DGMLAB_OFFLINE", "1")
    for k, v in shared_data_env().items():
        monkeypatch.setenv(k, v)
    nb = nbformat.read(path, 4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    out = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in FILE_CELLS:
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            earned = sum(float(w) for w in re.findall(r"^passed \w+: ([\d.]+) of", text, re.M))
            out[gid] = (earned, sorted(re.findall(r"^FAILED (\w+):", text, re.M)))
    return out


def _dgmlab_check(path, monkeypatch) -> dict:
    from dgmlab import selfcheck

    monkeypatch.setenv("DGMLAB_OFFLINE", "1")
    for k, v in shared_data_env().items():
        monkeypatch.setenv(k, v)
    report = selfcheck.check_notebook(path, sandbox=False)
    return {c.grade_id: (c.visible_earned, sorted(re.match(r"FAILED (\w+):", f).group(1) for f in c.failures))
            for c in report.cells if c.grade_id in FILE_CELLS}


@pytest.mark.parametrize("baseline, cgan, earned", [
    (BUILDER.GENUINE_BASELINE, BUILDER.GENUINE_CGAN, 3),
    (BUILDER.EARLY_BASELINE, BUILDER.EARLY_CGAN, None),
], ids=["genuine", "early"])
def test_dgmlab_check_and_the_notebooks_test_cell_agree_on_real_weights(tmp_path, monkeypatch, baseline, cgan,
                                                                        earned):
    path = _notebook(tmp_path)
    shutil.copy(baseline, tmp_path / BUILDER.BASELINE_FILE)
    shutil.copy(cgan, tmp_path / BUILDER.CGAN_FILE)
    in_notebook = _in_notebook(path, monkeypatch)
    checked = _dgmlab_check(path, monkeypatch)
    assert set(in_notebook) == set(FILE_CELLS), in_notebook
    assert checked == in_notebook
    if earned is not None:  # the reference run's weights earn every point, in both
        assert all(e == earned and not failed for e, failed in checked.values()), checked
    else:  # the same run stopped at 5 of 50 epochs: the file's point, not the bar's
        assert all(0 < e < 3 for e, _ in checked.values()), checked
