"""benchmarks/run_full_mode.py: the runner a lent GPU uses for the full modes, exercised in fast mode."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "benchmarks" / "run_full_mode.py"


def _run(*args, fast=True):
    env = {k: v for k, v in os.environ.items() if k not in ("DGMLAB_FAST", "NBGRADER_EXECUTION")}
    return subprocess.run([sys.executable, str(RUNNER), *args] + (["--fast"] if fast else []),
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_runs_every_cell_then_resumes_from_the_notebooks_checkpoints(tmp_path):
    work, out = tmp_path / "work", tmp_path / "out"
    first = _run("hw5_explicit", "--workdir", str(work), "--out", str(out))
    assert first.returncode == 0, first.stderr[-2000:]
    timings = json.loads((out / "timings.json").read_text())
    assert timings["ended"] == "all cells ran" and timings["mode"] == "fast"
    assert [c["cell"] for c in timings["cells"]][:2] == ["setup", "imports"]
    assert all(c["ok"] for c in timings["cells"]) and "p1_train" in [c["cell"] for c in timings["cells"]]
    saved = torch.load(work / "checkpoints" / "p1_pixelcnn_fast.pt", weights_only=True)
    assert {"pixelcnn", "optimizer", "scaler"} <= set(saved["state"])  # the loss scale resumes with the run
    again = _run("hw5_explicit", "--workdir", str(work), "--out", str(out), "--until", "p2_train")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "not training again" in (out / "log.txt").read_text()
    assert json.loads((out / "timings.json").read_text())["ended"] == "stopped before p2_train (--until)"


def test_unknown_until_cell_is_refused_by_name(tmp_path):
    result = _run("hw5_explicit", "--workdir", str(tmp_path / "w"), "--out", str(tmp_path / "o"), "--until", "p9_nothing")
    assert result.returncode != 0 and "no code cell with grade id 'p9_nothing'" in result.stderr


def test_fast_environment_without_fast_flag_is_refused(tmp_path):
    env = dict(os.environ, DGMLAB_FAST="1")
    result = subprocess.run([sys.executable, str(RUNNER), "hw5_explicit", "--workdir", str(tmp_path / "w"),
                             "--out", str(tmp_path / "o")], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0 and "unset NBGRADER_EXECUTION and DGMLAB_FAST" in result.stderr
