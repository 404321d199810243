"""A student's path without the repo: dgmlab built as a wheel, installed into a fresh virtual
environment with only what a student has (the wheel's dependencies, a Jupyter kernel), runs a
homework's source notebook in fast mode from a folder outside the repository."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

from dgmlab.grading.course import Course

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # make test-e2e (see the Makefile)
PREFERRED = ["hw3_flows", "hw5_explicit", "hw1_wgan"]


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def test_wheel_in_fresh_venv_runs_a_homework(dist, tmp_path):
    homeworks = Course(ROOT).homeworks()
    if not homeworks:
        pytest.skip("no homework yet")
    hw = next((h for h in PREFERRED if h in homeworks), homeworks[0])
    wheel = dist["wheel"]  # built once per session (conftest.py)
    venv = tmp_path / "student"
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    py = venv / "bin" / "python"
    run([str(py), "-m", "pip", "install", "--quiet", str(wheel), "ipykernel", "nbclient"], timeout=1200)
    work = tmp_path / "colab"
    shutil.copytree(ROOT / "source" / hw, work, ignore=shutil.ignore_patterns("figures", "*.pt"))
    script = textwrap.dedent(f"""
        import dgmlab, nbformat, pathlib
        from nbclient import NotebookClient
        assert "site-packages" in dgmlab.__file__, dgmlab.__file__
        nb = nbformat.read("{hw}.ipynb", as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3").execute()
        print("executed", len(nb.cells), "cells with dgmlab from", dgmlab.__file__)
        """)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NBGRADER_EXECUTION", "VIRTUAL_ENV")}
    env.update(DGMLAB_FAST="1", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    res = run([str(py), "-c", script], cwd=work, env=env, timeout=1200)
    assert "executed" in res.stdout and str(ROOT / "src") not in res.stdout
