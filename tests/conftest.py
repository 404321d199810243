import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "datasets"
# Training cells start from runtime.run_seed(): random for students, fixed here (inherited by every kernel and
# child process the tests start), so a test run trains the same networks every time. Tests of run_seed itself
# unset it; the resume tests choose their own seeds.
os.environ.setdefault("DGMLAB_SEED", "0")
# The grader is installed here: its references are handed to the protocol (dgmlab.probes.use_references), so a test
# may judge a graded draw with probes.judge alone (the grader's judge passes them to probes.judge itself).
from dgmlab import probes  # noqa: E402
from dgmlab.grading.references import recorded  # noqa: E402

probes.use_references(recorded.expected_at)
pytest_plugins = ["longest_first"]  # how make test shares the tests between its two workers (tests/longest_first.py)


def load_script(path: Path):
    """The kit's script at ``path`` (tools/, benchmarks/: not packages) as a module named for its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Tests never touch the network: downloads are off unless a test turns them on."""
    monkeypatch.setenv("DGMLAB_OFFLINE", "1")


def homework_builders():
    from dgmlab.authoring import homeworks

    return homeworks(ROOT)


def shared_data_env() -> dict:
    """``DGMLAB_DATA`` pointing at ../shared/datasets when it exists (CI and this machine)."""
    return {"DGMLAB_DATA": str(SHARED_DATA)} if (SHARED_DATA / "MNIST" / "raw").exists() else {}


@pytest.fixture(scope="session")
def dist(tmp_path_factory):
    """dgmlab's wheel and sdist (the student package), built once per test session (`python -m build`: the sdist,
    then the wheel from the sdist), and the grader's wheel (dgmlab-grader, `python -m build --wheel grader`), from a
    copy of what the builds read; the packaging, student-install and Colab tests share them."""
    tmp = tmp_path_factory.mktemp("build")
    tree = tmp / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    # homeworks/ whole, solutions included, so that the packaging tests prove only each homework's checks/ ships
    shutil.copytree(ROOT / "homeworks", tree / "homeworks", ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "grader").mkdir()
    shutil.copy(ROOT / "grader" / "pyproject.toml", tree / "grader" / "pyproject.toml")
    for target in ([str(tree)], ["--wheel", str(tree / "grader")]):  # the student package; the grader's wheel
        res = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp / "dist"), *target],
                             capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return {"wheel": next((tmp / "dist").glob("dgmlab-[0-9]*.whl")),
            "sdist": next((tmp / "dist").glob("dgmlab-[0-9]*.tar.gz")),
            "grader": next((tmp / "dist").glob("dgmlab_grader-*.whl"))}


def half_state(state: dict) -> dict:
    """A state dict as ``dgmlab.artifacts.save_weights`` stores it: floating tensors in float16."""
    return {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}


def with_a_nan(state: dict) -> dict:
    """A copy of ``state`` whose first weight tensor holds a NaN (a diverged run's weights)."""
    state = dict(state)
    key = next(k for k in state if k.endswith("weight"))
    state[key] = state[key].clone()
    state[key].view(-1)[0] = float("nan")
    return state


def assert_earns_every_point(hw: str, spec, data: dict, seed: int) -> None:
    """A probe's ``data`` at ``seed`` earns every visible point of ``spec``'s cell (a self-check on the working seed
    compares with the recorded values, another seed with the grader's references on its draw), and with the grader's
    hidden tests of the cell (:func:`dgmlab.grading.hidden.tests`) every point."""
    from dgmlab import probes
    from dgmlab.grading import hidden

    visible = probes.judge(hw, spec, data, seed)
    assert visible.earned == spec.points - spec.hidden, visible.lines
    graded = probes.judge(hw, spec, data, seed, hidden=hidden.tests(hw, spec.cell))
    assert graded.earned == spec.points, graded.lines


@pytest.fixture
def fast_mode(monkeypatch):
    """dgmlab in fast mode (DGMLAB_FAST=1), whatever an earlier test of this process left: not grading, even where
    the process first imported dgmlab.runtime with NBGRADER_EXECUTION set (grading mode is sticky there)."""
    from dgmlab import runtime

    monkeypatch.setenv(runtime.FAST_ENV, "1")
    monkeypatch.delenv(runtime.GRADING_ENV, raising=False)
    monkeypatch.setattr(runtime, "_GRADING_AT_IMPORT", False)
    assert runtime.mode() == "fast"
    return runtime
