"""The trust boundary in the code's shape: the contracts in pyproject.toml ([tool.importlinter]) hold.
What a student's notebook imports (dgmlab.probes, dgmlab.wire, dgmlab.checks, ...) never imports the
grader (dgmlab.grading), so nothing that judges can be reached, or replaced, from the kernel's side."""
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "BROKEN" not in res.stdout and "KEPT" in res.stdout
