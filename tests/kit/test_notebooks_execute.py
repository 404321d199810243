"""Every source and release notebook passes nbval (``pytest --nbval-lax``) in fast mode.

Each notebook runs in a child ``pytest --nbval-lax`` on a copy of its homework folder in a
temporary directory, so the figures and files a notebook writes never land in the repository,
the notebook's environment (``DGMLAB_FAST=1``, ``DGMLAB_DATA``, no ``NBGRADER_EXECUTION``) is
set for it alone, and the repository's own pytest configuration (and tests/hostile/*.ipynb,
which nbval must never collect) stays out of it. A failure shows nbval's own report.

- source notebooks (the reference solutions): every cell runs clean, and cells marked
  ``# NBVAL_CHECK_OUTPUT`` reproduce the output recorded in the notebook exactly;
- release notebooks (blank): every cell runs clean except those tagged ``raises-exception``
  (test cells, answer cells that run a stub, cells the builder marked ``uses_answers``; see
  dgmlab.grading.preprocessors.TagAnswerDependentCells), and those that raise, raise because
  an answer is missing.

tests/nbval_plugin.py fails the setup cell unless it reported ``mode=fast`` and records each
cell's time and exception.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, shared_data_env
from dgmlab.grading.course import Course
from dgmlab.grading.preprocessors import TagAnswerDependentCells

HOMEWORKS = Course(ROOT).homeworks()
NBVAL = ["--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=600", "-x", "-q", "--color=no",
         "-p", "no:cacheprovider", "-p", "nbval_plugin"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What a tagged cell of a blank release may raise: the stub itself, a test cell's report of failed
# checks (dgmlab.probes.points.TestsFailed), or a name a stubbed cell never got to define.
BLANK_RELEASE_ERRORS = {"NotImplementedError", "TestsFailed", "NameError"}


def run_nbval(notebook: Path, tmp_path: Path, timeout: int = 1800):
    """Run nbval on a copy of ``notebook``'s folder; return (returncode, report text, per-cell rows)."""
    work = tmp_path / "nbval"
    folder = work / notebook.parent.name
    shutil.copytree(notebook.parent, folder,
                    ignore=shutil.ignore_patterns("figures", "artifacts", "*.pt", ".ipynb_checkpoints"))
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")   # the child reads no repo config
    report = tmp_path / "cells.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    env.update(DGMLAB_FAST="1", DGMLAB_NBVAL_REPORT=str(report), **shared_data_env(),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "tests"), env.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-m", "pytest", *NBVAL, str(folder / notebook.name)],
                          cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
    rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    return proc.returncode, ANSI.sub("", proc.stdout + proc.stderr), rows


def assert_nbval_passed(notebook: Path, rc: int, text: str, rows: list) -> None:
    if rc != 0:
        pytest.fail(f"nbval failed on {notebook.relative_to(ROOT)} (exit {rc}); its report:\n{text[-12000:]}",
                    pytrace=False)
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(notebook, as_version=4).cells)
    assert len(rows) == code_cells, f"nbval ran {len(rows)} of {code_cells} code cells:\n{text[-3000:]}"


def summary(rows: list) -> str:
    slow = sorted(rows, key=lambda r: -r["seconds"])[:3]
    return ", ".join(f"Cell {r['cell']} {r['seconds']:.0f} s" for r in slow)


@pytest.mark.slow
@pytest.mark.parametrize("hw", HOMEWORKS)
def test_source_notebook_passes_nbval_in_fast_mode(hw, tmp_path):
    notebook = ROOT / "source" / hw / f"{hw}.ipynb"
    t0 = time.monotonic()
    rc, text, rows = run_nbval(notebook, tmp_path)
    assert_nbval_passed(notebook, rc, text, rows)
    assert not any(r["raised"] for r in rows), "a source cell raised yet nbval passed it: a tag hides an error"
    print(f"source/{hw}: nbval in {time.monotonic() - t0:.0f} s (slowest: {summary(rows)})")


@pytest.mark.slow
@pytest.mark.parametrize("hw", HOMEWORKS)
def test_release_notebook_passes_nbval_in_fast_mode(hw, tmp_path):
    notebook = ROOT / "release" / hw / f"{hw}.ipynb"
    t0 = time.monotonic()
    rc, text, rows = run_nbval(notebook, tmp_path)
    assert_nbval_passed(notebook, rc, text, rows)
    raised = {r["raised"] for r in rows if r["raised"]}
    assert raised <= BLANK_RELEASE_ERRORS, (
        f"release/{hw}: tagged cells raised {sorted(raised - BLANK_RELEASE_ERRORS)}, not just the missing "
        f"answers' errors {sorted(BLANK_RELEASE_ERRORS)}: {[r for r in rows if r['raised'] not in BLANK_RELEASE_ERRORS | {None}]}")
    assert "NotImplementedError" in raised, f"release/{hw}: no cell reached a stub; is the release blank?"
    print(f"release/{hw}: nbval in {time.monotonic() - t0:.0f} s, {sum(bool(r['raised']) for r in rows)} tagged "
          f"cells raised (slowest: {summary(rows)})")


# -- the runner itself, on a tiny notebook (seconds) --------------------------------------------

def _tiny_notebook(folder: Path, setup_prints: str, checked_output: str) -> Path:
    setup = nbformat.v4.new_code_cell(f"print({setup_prints!r})")
    setup.metadata = {"nbgrader": {"grade_id": "setup"}}
    tagged_quiet = nbformat.v4.new_code_cell("x = 1")
    tagged_quiet.metadata = {"tags": ["raises-exception"]}
    tagged_raising = nbformat.v4.new_code_cell("raise NotImplementedError()")
    tagged_raising.metadata = {"tags": ["raises-exception"]}
    checked = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(x + 1)", execution_count=1,
                                        outputs=[nbformat.v4.new_output("stream", name="stdout",
                                                                        text=checked_output)])
    nb = nbformat.v4.new_notebook(cells=[setup, tagged_quiet, tagged_raising, checked],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    path = folder / "tiny" / "tiny.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_runner_passes_tagged_cells_and_shows_nbvals_diff_for_a_changed_output(tmp_path):
    """A tagged cell may raise or not (so one tag serves a blank release); a checked cell whose output
    changed fails with nbval's diff (the notebook stores 3, the cell prints 2)."""
    rc, text, rows = run_nbval(_tiny_notebook(tmp_path / "nb", "dgmlab: mode=fast", "3\n"), tmp_path)
    assert rc != 0
    assert [(r["cell"], r["passed"], r["raised"]) for r in rows] == [
        (0, True, None), (1, True, None), (2, True, "NotImplementedError"), (3, False, None)]
    assert "Cell outputs differ" in text and "'3\\n' == '2\\n'" in text, text


@pytest.mark.parametrize("printed, stops", [("dgmlab: mode=fast device=cpu", False),
                                             ("dgmlab: mode=full device=cpu", True), ("", True)])
def test_plugin_stops_a_notebook_whose_setup_cell_did_not_report_fast_mode(printed, stops, monkeypatch):
    """The check tests/nbval_plugin.py makes after the setup cell (the plugin itself is loaded by the run above)."""
    import types

    import nbval_plugin

    monkeypatch.setenv("DGMLAB_FAST", "1")
    setup = types.SimpleNamespace(cell={"metadata": {"nbgrader": {"grade_id": "setup"}}},
                                  test_outputs=[{"output_type": "stream", "name": "stdout", "text": printed}])
    other = types.SimpleNamespace(cell={"metadata": {}}, test_outputs=setup.test_outputs)
    nbval_plugin._check_fast_mode(other)          # only the setup cell is checked
    if stops:
        with pytest.raises(AssertionError, match="did not report 'mode=fast'"):
            nbval_plugin._check_fast_mode(setup)
    else:
        nbval_plugin._check_fast_mode(setup)


# -- the release tags ----------------------------------------------------------------------------

def _cell(source, nbgrader=None, builder=None):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader is not None:
        cell.metadata["nbgrader"] = nbgrader
    if builder is not None:
        cell.metadata["dgmlab"] = builder
    return cell


def test_release_tags_exactly_the_cells_that_need_answers():
    stub = "# COMPLETE\nraise NotImplementedError()"
    indented = textwrap.indent(stub, "    ")
    cells = {
        "plain": _cell("import torch"),
        "checked plain": _cell("# NBVAL_CHECK_OUTPUT\nprint(1)"),
        "uses answers": _cell("train(model)", builder={"uses_answers": True}),
        "test": _cell('check("t", f)', {"grade": True, "solution": False, "grade_id": "t", "points": 1}),
        "stub at top level": _cell(f"# NBVAL_CHECK_OUTPUT\n{stub}\nprint(kl)", {"grade": False, "solution": True}),
        "stub in a def": _cell(f"@torch.no_grad()\ndef f(x):\n    '''doc'''\n{indented}", {"grade": False, "solution": True}),
        "def then a call": _cell(f"def f(x):\n{indented}\n\n\ny = f(1)", {"grade": False, "solution": True}),
        "stub in a class body": _cell(f"class A:\n{indented}", {"grade": False, "solution": True}),
        "stub in a method": _cell(f"class A(nn.Module):\n    def f(self):\n{textwrap.indent(indented, '    ')}",
                                  {"grade": False, "solution": True}),
    }
    nb = nbformat.v4.new_notebook(cells=list(cells.values()))
    nb, _ = TagAnswerDependentCells().preprocess(nb, {})
    tagged = {name for name, cell in zip(cells, nb.cells) if "raises-exception" in cell.metadata.get("tags", [])}
    assert tagged == {"uses answers", "test", "stub at top level", "def then a call", "stub in a class body"}
    for name, cell in zip(cells, nb.cells):
        assert "NBVAL_CHECK_OUTPUT" not in cell.source, f"{name}: the marker stays in the release"
        assert "dgmlab" not in cell.metadata, f"{name}: builder metadata stays in the release"
    assert nb.cells[1].source == "print(1)"
