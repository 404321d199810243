import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "datasets"
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Tests never touch the network: downloads are off unless a test turns them on."""
    monkeypatch.setenv("DGMLAB_OFFLINE", "1")


def homework_builders():
    from build_notebooks import builders

    return builders()


def shared_data_env() -> dict:
    """``DGMLAB_DATA`` pointing at ../shared/datasets when it exists (CI and this machine)."""
    return {"DGMLAB_DATA": str(SHARED_DATA)} if (SHARED_DATA / "MNIST" / "raw").exists() else {}
