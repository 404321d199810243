"""The sandbox's own check: it is only offered where the grader can reach what a kernel makes inside it."""
import shutil

import pytest

from dgmlab.grading import sandbox


def _bwrap():
    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    return shutil.which("bwrap")


def test_the_grader_reads_a_file_made_in_the_sandboxs_own_tmpfs():
    assert sandbox._inside_unreachable(_bwrap()) is None


def test_a_sandbox_whose_inside_the_grader_cannot_read_is_not_offered(monkeypatch):
    _bwrap()
    # what a setuid bwrap leaves: no readable /proc/<pid>/root (here, one that shows nothing)
    monkeypatch.setattr(sandbox, "sandbox_root", lambda proc, timeout=10.0: "/nonexistent-root")
    monkeypatch.setattr(sandbox, "_inside_unreachable",
                        lambda bwrap, timeout=0.5, probe=sandbox._inside_unreachable: probe(bwrap, timeout))
    usable, why = sandbox.available()
    assert not usable and "setuid bwrap" in why and "/proc/<pid>/root" in why
