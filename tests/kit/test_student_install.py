"""A student's path without the repo: dgmlab built as a wheel, installed into a fresh virtual
environment with only what a student has (the wheel's dependencies, a Jupyter kernel), runs a
homework's source notebook in fast mode from a folder outside the repository."""
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from dgmlab import syntax_tree
from dgmlab.grading.course import Course

# one xdist group with the other fresh-venv file: a venv with torch takes 6 GiB of /tmp, a 12 GiB tmpfs here
FRESH_VENVS = pytest.mark.xdist_group("fresh-venvs")
pytestmark = [pytest.mark.slow, pytest.mark.e2e, FRESH_VENVS]  # make test-e2e (see the Makefile)
PREFERRED = ["hw3_flows", "hw5_explicit", "hw1_wgan"]
# Reference names the student package may define too, each a tool a homework hands students, with the reason its
# question is not answered by it (docs/<hw>.md says the same)
TOOLS = {"frechet_distance": "dgmlab.metrics' FID tool (hw1, hw2, hw4 report it); hw5 Q4 asks for a differentiable "
                             "torch version, which it does not give: wrapping it earns the value points only "
                             "(homeworks/hw5_explicit/proofs.py)"}


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
    # the student's machine: no PYTHONPATH of this checkout (a run from a clone sets one), nothing of nbgrader's
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NBGRADER_EXECUTION", "VIRTUAL_ENV")}
    env.update(DGMLAB_FAST="1", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    py = venv / "bin" / "python"
    run([str(py), "-m", "pip", "install", "--quiet", str(wheel), "ipykernel", "nbclient"], env=env, timeout=1200)
    shown = run([str(venv / "bin" / "dgmlab"), "--help"], env=env, timeout=120).stdout
    listed = set(re.findall(r"^    (\S+)", shown, flags=re.M))  # the commands, as argparse lists them
    assert "check" in listed and "autograde" not in listed, f"a student's `dgmlab --help` lists the grader's:\n{shown}"
    work = tmp_path / "colab"
    shutil.copytree(ROOT / "source" / hw, work, ignore=shutil.ignore_patterns("figures", "*.pt"))
    _without_hidden_tests(work / f"{hw}.ipynb")  # the reference answers, as a student could have written them
    script = textwrap.dedent(f"""
        import dgmlab, nbformat, pathlib
        from nbclient import NotebookClient
        assert "site-packages" in dgmlab.__file__, dgmlab.__file__
        nb = nbformat.read("{hw}.ipynb", as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3").execute()
        print("executed", len(nb.cells), "cells with dgmlab from", dgmlab.__file__)
        """)
    res = run([str(py), "-c", script], cwd=work, env=env, timeout=1200)
    assert "executed" in res.stdout and str(ROOT / "src") not in res.stdout


def reference_names() -> set:
    """The public functions and classes the grader's reference modules (dgmlab.grading.references.*) define."""
    import ast
    import pkgutil

    import dgmlab.grading.references as refs

    names = set()
    for module in pkgutil.iter_modules(refs.__path__):
        source = (Path(refs.__path__[0]) / f"{module.name}.py").read_text(encoding="utf-8")
        names |= {n.name for n in syntax_tree.parse(source).body
                  if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_")}
    return names


def _without_hidden_tests(path):
    """The notebook at ``path`` without its hidden tests, as nbgrader's release leaves a student's copy."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests

    nb = nbformat.read(path, as_version=4)
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    nbformat.write(nb, path)


def test_student_wheel_has_no_grader_and_no_reference(dist, tmp_path):
    """The student package alone (the wheel's files first on the path, its dependencies from this environment, as
    in Colab) has no dgmlab.grading, its grader commands say how instructors get them, and none of the functions
    the grader's checks use as references is defined in it."""
    import ast
    import zipfile

    site = tmp_path / "site"
    with zipfile.ZipFile(dist["wheel"]) as whl:
        whl.extractall(site)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "NBGRADER_EXECUTION")}
    # this environment's editable install of the checkout (a finder that maps dgmlab to src/) is not Colab's: off
    colab = tmp_path / "colab"
    colab.mkdir()
    (colab / "sitecustomize.py").write_text("import sys\nsys.meta_path[:] = [f for f in sys.meta_path if "
                                            "'__editable__' not in getattr(f, '__module__', '')]\n")
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(colab)])
    probe = ("import dgmlab, importlib.util; print(dgmlab.__file__); print(importlib.util.find_spec('dgmlab.grading'))")
    res = run([sys.executable, "-c", probe], env=env, cwd=tmp_path, timeout=300)
    assert res.stdout.split("\n")[:2] == [str(site / "dgmlab" / "__init__.py"), "None"], res.stdout
    cli = subprocess.run([sys.executable, "-m", "dgmlab.cli", "autograde", "hw1_wgan"], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=300)
    assert cli.returncode == 2 and "dgmlab-grader" in cli.stderr, cli.stderr[-2000:]
    references = reference_names()
    assert references, "the grader's references (dgmlab.grading.references) define no function"
    defined = set()
    for path in site.rglob("*.py"):
        tree = syntax_tree.parse(path.read_bytes())
        defined |= {(n.name, path.relative_to(site).as_posix()) for n in ast.walk(tree)
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    assert sorted((n, where) for n, where in defined if n in references and n not in TOOLS) == []
