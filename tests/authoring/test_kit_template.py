"""The kit-homework template (`dgmlab new-homework <hw> --kit`), made in a kit checkout of its own (a temporary
folder whose package ``homeworks`` holds only it, first on the path): it is discovered from its folder, is
ruff-clean, builds with its points summed from its tests' @points, and its proofs pass."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

HW = "hw9_kit"
pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # builds and proves a homework in kernels (about 2 minutes)
PROVE = """
import json, shutil, sys
from pathlib import Path
from dgmlab.authoring import homeworks
from dgmlab.authoring.proofs import prove
root, hw = Path(sys.argv[1]), sys.argv[2]
builder = homeworks(root)[hw]
source = builder.build().path
folder = root / "proofs" / hw
shutil.copytree(source.parent, folder)
reference, outcomes = prove(folder / source.name, builder.MUTANTS)
print(json.dumps({"failing": [k for k, (failed, _) in reference.items() if failed],
                  "wrong": [f"{o.mutant} -> {o.test}: expected {o.expected}, got {o.got}" for o in outcomes if not o.ok],
                  "mutants": len(outcomes)}))
"""


def python(root: Path, *args):
    env = {**os.environ, "PYTHONPATH": str(root)}  # its homeworks package, not the checkout's
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """A kit checkout's homeworks package with the template as its one homework, made and built by the commands."""
    root = tmp_path_factory.mktemp("kit")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    (root / "homeworks").mkdir()
    shutil.copy(ROOT / "homeworks" / "__init__.py", root / "homeworks")
    for args in (("new-homework", "--kit", HW), ("build", "--record-expected", "--record-outputs", HW)):
        done = python(root, "-m", "dgmlab.cli", "--course", str(root), *args)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return root


def test_the_template_is_a_kit_homework_found_by_its_folder(kit):
    found = python(kit, "-c", "import homeworks; print(homeworks.names(), homeworks.names(homeworks.HIDDEN))")
    assert found.stdout.split("\n")[0] == f"('{HW}',) ('{HW}',)", found.stderr


def test_its_cells_points_are_their_tests_points_summed(kit):
    checks = kit / "homeworks" / HW / "checks"
    assert json.loads((checks / "points.json").read_text()) == {
        "q1_log_density_tests": {"points": 4, "hidden": 2}, "q2_gaussian_kl_tests": {"points": 3, "hidden": 2}}
    assert (checks / "expected.json").is_file() and (kit / "source" / HW / f"{HW}.ipynb").is_file()


def test_its_proofs_pass(kit):
    done = python(kit, "-c", PROVE, str(kit), HW)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failing"] == [] and result["wrong"] == [] and result["mutants"] >= 9


def test_it_is_ruff_clean_under_the_kits_rules(kit):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or pytest.skip("ruff is not installed")
    done = subprocess.run([ruff, "check", "--config", str(ROOT / "pyproject.toml"), str(kit / "homeworks" / HW)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
