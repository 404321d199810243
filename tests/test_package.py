"""The dgmlab package as a notebook reads it."""
import subprocess
import sys
from pathlib import Path

import dgmlab
from dgmlab import syntax_tree


def test_a_notebook_reads_any_module_of_the_package_without_importing_it():
    """hw2's training cell called dgmlab.artifacts.save_weights with no import of dgmlab.artifacts: in a fresh
    kernel it raised AttributeError at the end of a full run, and the weights file was never written."""
    code = "import dgmlab; print(dgmlab.artifacts.save_weights.__name__, dgmlab.metrics.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.split() == ["save_weights", "dgmlab.metrics"], out.stderr


def _lazy_modules() -> list:
    """The names ``dgmlab.__getattr__`` imports a module for: its ``match`` statement's cases, each that imports
    ``dgmlab.<the name>`` (a case that imports another module is not counted)."""
    import ast

    tree = syntax_tree.parse(Path(dgmlab.__file__).read_text(encoding="utf-8"))
    getattr_ = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "__getattr__")
    match = next(n for n in getattr_.body if isinstance(n, ast.Match))
    return [case.pattern.value.value for case in match.cases if isinstance(case.pattern, ast.MatchValue)
            and [a.name for n in case.body if isinstance(n, ast.Import) for a in n.names]
            == [f"dgmlab.{case.pattern.value.value}"]]


def test_every_module_the_package_lists_exists_and_no_other_name_is_made_up():
    folder = Path(dgmlab.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "cli", "cli_commands", "runtime", "workspace"}
    modules -= {"checks", "testing"}  # deprecated aliases of dgmlab.probes.asserts and .points: imported by name only
    modules -= {"syntax_tree"}  # the kit's own ast.parse, not for notebooks: imported by name only
    packages = {p.parent.name for p in folder.glob("*/__init__.py")} - {"grading", "authoring", "assets"}
    assert set(_lazy_modules()) == modules | packages
    try:
        dgmlab.no_such_module
    except AttributeError as exc:
        assert "no_such_module" in str(exc)
    else:
        raise AssertionError("an unknown name was read as a module")


def test_setup_in_full_mode_on_the_cpu_gives_torch_the_threads_runtime_picks(tmp_path, monkeypatch):
    import torch

    from dgmlab import workspace

    for name in ("NBGRADER_EXECUTION", "DGMLAB_FAST", "DGMLAB_DEVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(workspace, "_folder", None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dgmlab.runtime, "cpu_threads", lambda: 1)  # a busy shared CPU
    set_to = []
    monkeypatch.setattr(torch, "set_num_threads", set_to.append)
    assert dgmlab.setup("hw3_flows", quiet=True).type == "cpu" and set_to == [1]
