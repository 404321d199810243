"""ruff checks the homeworks' hidden tests and checks as the modules they are: only the percent files (one notebook
cut at its parts) are exempt from undefined and unused names (pyproject.toml's per-file-ignores, a glob over every
homework folder), and `make lint` checks hidden/ and checks/ again with no exemption (ruff's `*` also matches "/")."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

RUFF = Path(sys.executable).with_name("ruff")
UNDEFINED = "x = undefined_name\n"
STRICT = ["--config", "lint.per-file-ignores = {}"]  # the Makefile's second `ruff check` (lint target)


def _codes(path: str, *options: str) -> str:
    """ruff's findings on a module holding an undefined name, as if it were the repository's file ``path``."""
    run = subprocess.run([str(RUFF), "check", *options, "--output-format", "concise", "--stdin-filename", path, "-"],
                         input=UNDEFINED, capture_output=True, text=True, cwd=ROOT)
    return run.stdout


def test_every_homeworks_checks_and_hidden_tests_are_clean_with_no_exemption():
    folders = sorted(str(f.relative_to(ROOT)) for side in ("checks", "hidden") for f in ROOT.glob(f"homeworks/*/{side}"))
    run = subprocess.run([str(RUFF), "check", *STRICT, *folders], capture_output=True, text=True, cwd=ROOT)
    assert folders and run.returncode == 0, run.stdout


@pytest.mark.parametrize("path", ["homeworks/hw3_flows/hidden/q1_change_of_variables.py",
                                  "homeworks/hw5_explicit/checks/p1_masked_cnn_inpainting.py",
                                  "homeworks/hw2_wgangp/hidden/common.py"])
def test_an_undefined_name_in_a_hidden_test_or_a_check_is_reported(path):
    assert "F821" in _codes(path, *STRICT)


@pytest.mark.parametrize("path", ["homeworks/hw3_flows/q1_change_of_variables.py", "homeworks/hw9_new/p2_part.py"])
def test_a_percent_file_of_any_homework_may_use_a_name_an_earlier_cell_defined(path):
    assert "F821" not in _codes(path)
