"""ruff checks the homeworks' hidden tests and checks as the modules they are: only the percent files (one notebook
cut at its parts) are exempt from undefined and unused names (pyproject.toml's per-file-ignores)."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

RUFF = Path(sys.executable).with_name("ruff")
UNDEFINED = "x = undefined_name\n"


def _codes(path: str) -> str:
    """ruff's findings on a module holding an undefined name, as if it were the repository's file ``path``."""
    run = subprocess.run([str(RUFF), "check", "--output-format", "concise", "--stdin-filename", path, "-"],
                         input=UNDEFINED, capture_output=True, text=True, cwd=ROOT)
    return run.stdout


@pytest.mark.parametrize("path", ["homeworks/hw3_flows/hidden/q1_change_of_variables.py",
                                  "homeworks/hw5_explicit/checks/p1_masked_cnn_inpainting.py",
                                  "homeworks/hw2_wgangp/hidden/common.py"])
def test_an_undefined_name_in_a_hidden_test_or_a_check_is_reported(path):
    assert "F821" in _codes(path)


def test_a_percent_file_may_use_a_name_an_earlier_cell_defined():
    assert "F821" not in _codes("homeworks/hw3_flows/q1_change_of_variables.py")
