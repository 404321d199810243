"""The trust boundary in the code's shape: import-linter's contracts in pyproject.toml ([tool.importlinter])
hold. What a student's notebook imports (dgmlab.probes, dgmlab.wire, dgmlab.checks, ...) never imports the
grader (dgmlab.grading), directly or through another module, so nothing that judges can be reached or
replaced from the kernel's side; no package of dgmlab imports its way round in a circle; and the grader's
packages, one per command, use only those below them (the judge none)."""
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import ROOT

CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_the_kernel_side_contract_covers_what_a_notebook_imports():
    kernel = next(c for c in CONTRACTS if c["type"] == "forbidden" and "dgmlab.probes" in c["source_modules"])
    assert {"dgmlab.probes", "dgmlab.wire", "dgmlab.checks", "dgmlab.testing", "dgmlab.runtime"} <= \
        set(kernel["source_modules"])
    assert {"dgmlab.grading", "dgmlab.authoring"} <= set(kernel["forbidden_modules"])
    assert "nbgrader" in kernel["forbidden_modules"]  # Colab has no nbgrader: the kernel side never imports it
    assert any(c["type"] == "acyclic_siblings" for c in CONTRACTS)


def test_the_grader_contracts_name_its_command_packages():
    grading = Path(ROOT / "src" / "dgmlab" / "grading")
    layers = next(c for c in CONTRACTS if c["type"] == "layers")
    assert layers["containers"] == ["dgmlab.grading"]
    named = [name.strip() for layer in layers["layers"] for name in layer.split("|")]
    assert named[0] == "lms" and named[-1] == "judge"  # the judge, which decides grades, imports no command
    assert set(named) == {"lms", "report", "hand", "term", "autograde", "copies", "judge"}
    assert all((grading / name / "__init__.py").is_file() for name in named)  # packages, not lists of modules
    readers = next(c for c in CONTRACTS if c["type"] == "forbidden" and "dgmlab.grading.report" in c["source_modules"])
    assert set(readers["source_modules"]) == {f"dgmlab.grading.{p}" for p in ("report", "lms", "hand", "term")}
    assert {"distributed", "dgmlab.grading.autograde.coordinator", "dgmlab.grading.autograde.worker"} <= \
        set(readers["forbidden_modules"])


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in res.stdout
