"""The values visible tests compare with are recorded from the grader's references (dgmlab.grading.references),
and the student package holds those values, never the references (homeworks/<hw>/checks/expected.json)."""
import ast
import json
from pathlib import Path

import pytest
import torch

from conftest import ROOT
from dgmlab import probes
from dgmlab.grading.references import recorded
from dgmlab.probes import wire

PROBES = ROOT / "src" / "dgmlab" / "probes"
HOMEWORKS = ("hw1_wgan", "hw2_wgangp", "hw3_flows", "hw4_gans", "hw5_explicit")  # the homeworks whose visible tests compare with recorded values


# A recording is stale when it is off by more than float32 noise: the number of threads a process runs with moves a
# network's float32 outputs by up to about 3e-6 here (1 thread against 2); the visible tests accept rtol 1e-4,
# atol 1e-5, so anything these bounds let through cannot change a grade.
RTOL, ATOL = 1e-5, 1e-5


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype == b.dtype
                and a.shape == b.shape and torch.allclose(a, b, rtol=RTOL, atol=ATOL))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-6 * (1 + abs(b))  # losses of float32 networks: the checks accept 1e-5 (1 + |want|)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_the_recorded_values_are_what_the_references_give_now(hw):
    path = recorded.expected_path(hw)
    assert path.is_file(), f"{path} is missing: python tools/record_expected.py {hw}"
    stored = wire.loads(path.read_text(encoding="utf-8"))
    now = recorded.record_expected(hw)
    assert stored.keys() == now.keys(), f"recorded cells {sorted(stored)}, references give {sorted(now)}"
    stale = [cell for cell in now if not _same(stored[cell], now[cell])]
    assert not stale, f"{path} is stale for {stale}: python tools/record_expected.py {hw}"


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_the_student_package_reads_the_recorded_file_as_plain_json(hw):
    text = recorded.expected_path(hw).read_text(encoding="utf-8")
    stored = wire.loads(text)
    assert isinstance(json.loads(text), dict)  # JSON (dgmlab.probes.wire's kinds): no pickle, no code
    for cell, values in stored.items():
        assert _same(probes.expected(hw, cell), values), cell


def _student_modules() -> dict:
    """``{file: its package, as a list of names}``: dgmlab.probes and the kit's checks (dgmlab.probes.<hw>, kept in
    homeworks/<hw>/checks/)."""
    out = {path: ["dgmlab", "probes"] for path in PROBES.glob("*.py")}
    out.update({path: ["dgmlab", "probes", path.parent.parent.name] for path in ROOT.glob("homeworks/*/checks/*.py")})
    return out


def _imports(path: Path, package: list) -> list[str]:
    """The modules a file of ``package`` imports, absolute (relative imports resolved)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out += [module] + [f"{module}.{a.name}" for a in node.names]
    return out


def test_the_student_probes_import_nothing_from_the_grader():
    modules = _student_modules()
    assert len(modules) > len(HOMEWORKS)
    for path, package in sorted(modules.items()):
        found = [m for m in _imports(path, package) if m == "dgmlab.grading" or m.startswith("dgmlab.grading.")]
        assert not found, f"{path.relative_to(ROOT)} imports {found}: the student package never imports the grader"


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_the_student_probes_hold_none_of_the_moved_references(hw):
    import importlib

    from dgmlab.grading import hidden

    # in the homework's hidden package (homeworks/<hw>/hidden/references.py) once it has one
    references = importlib.import_module(f"dgmlab.grading.hidden.{hw}.references" if hidden.module(hw) is not None
                                         else f"dgmlab.grading.references.{hw}")
    student = importlib.import_module(f"dgmlab.probes.{hw}")
    moved = [name for name, obj in vars(references).items()
             if callable(obj) and getattr(obj, "__module__", None) == references.__name__]
    assert moved, "the reference module defines no reference"
    text = "\n".join(p.read_text() for p in Path(student.__file__).parent.glob("*.py"))  # every module of the package
    left = [name for name in moved if hasattr(student, name) or f"def {name}(" in text]
    assert not left, f"dgmlab.probes.{hw} still holds {left}"


@pytest.mark.parametrize("hw", HOMEWORKS)
def test_the_hidden_tests_import_their_names_from_the_checks(hw):
    import importlib

    student = importlib.import_module(f"dgmlab.probes.{hw}")
    assert not hasattr(student, "context"), f"dgmlab.probes.{hw} hands out names: the hidden tests import them"
    assert not hasattr(probes, "context"), "dgmlab.probes hands out a homework's names: its hidden tests import them"
    hidden = ROOT / "homeworks" / hw / "hidden"
    calls = [f"{path.name}:{node.lineno}" for path in sorted(hidden.glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "context"]
    assert sorted(hidden.glob("q*.py")) or sorted(hidden.glob("p*.py")), f"{hidden} has no part's hidden tests"
    assert not calls, f"{hw}'s hidden tests read names through context(): {calls}; import them from the checks"


def test_a_cell_without_recorded_values_fails_its_visible_test_saying_what_to_do():
    with pytest.raises(probes.TestFailure, match="tools/record_expected.py hw4_gans"):
        probes.expected("hw4_gans", "p4a_tests")  # P4's visible tests compare with no recorded value
