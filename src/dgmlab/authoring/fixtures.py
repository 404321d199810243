"""Proof artifacts: the genuine files a builder's reference needs beside its notebook (``PROOF_ARTIFACTS``).

A graded cell that reads a trained file (samples, weights) can only pass for the reference when a genuine
output of the reference model lies beside the notebook; real MNIST digits cannot stand in (the cells reject
copies). Builders keep those outputs in tests/fixtures (provenance in its README) and declare
``PROOF_ARTIFACTS = {file name: fixture_copier(fixture, file name)}``; tests/authoring/test_proofs.py writes them.
"""
from __future__ import annotations

import shutil
from pathlib import Path


def fixture_copier(src: Path, name: str):
    """A writer ``write(folder) -> Path`` that copies the genuine file ``src`` to ``folder/name``."""
    src = Path(src)

    def write(folder) -> Path:
        if not src.exists():
            raise FileNotFoundError(f"{src} is missing: restore it with git checkout -- tests/fixtures/")
        path = Path(folder) / name
        shutil.copyfile(src, path)
        return path

    write.__doc__ = f"Copy the genuine file {src.name} (tests/fixtures) to ``folder/{name}``."
    return write
