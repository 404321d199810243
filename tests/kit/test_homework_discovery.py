"""A homework is a folder: ``homeworks.names()`` reads the kit's homeworks from ``homeworks/<hw>/`` and every tool,
benchmark and test that goes over them asks it, so a new folder is picked up with no list to edit (issue 64, item 2).
"""
import ast
import sys
from pathlib import Path

import pytest

import homeworks
from conftest import ROOT, load_script
from dgmlab import handin, syntax_tree
from dgmlab.grading.references import recorded

KIT = set(homeworks.names())
# Where naming several homeworks is per-homework data, not a list of the kit (each is optional: a homework left out
# gets a default or is skipped), and why it is not in the homework's own folder yet.
PER_HOMEWORK_DATA = {
    "src/dgmlab/handin.py": "HAND_IN: what each handout asks to hand in; a homework without one gets handin.default",
    "tests/authoring/test_lottery.py": "CI_CELLS: which cells CI grades per homework (the rest take hours)",
    "src/dgmlab/grading/gradescope/measured.py": "MEASURED: the Gradescope bench's peak and time per homework, "
                                                 "written by the bench; one never measured gets no advice",
}


def _kit_ids(nodes) -> set:
    return {n.value for n in nodes if isinstance(n, ast.Constant) and n.value in KIT}


def _chain(node) -> set:
    """The homework ids an ``if hw == ...: elif hw == ...:`` chain starting at ``node`` compares with."""
    found = set()
    while isinstance(node, ast.If):
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            found |= _kit_ids(test.comparators)
        node = node.orelse[0] if len(node.orelse) == 1 else None
    return found


def hand_kept(path: Path) -> list[str]:
    """``line: what`` for each place ``path`` lists every kit homework by hand, keys several in one dict, or
    chooses between several by ``if hw == ...``."""
    tree = syntax_tree.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(KIT) > 1 and _kit_ids(node.elts) == KIT:
            out.append(f"{node.lineno}: a literal of every homework id")
        elif isinstance(node, ast.Dict) and len(_kit_ids(node.keys)) > 1:
            out.append(f"{node.lineno}: a dict keyed by homework ids")
        elif isinstance(node, ast.If) and len(_chain(node)) > 1:
            out.append(f"{node.lineno}: an if/elif chain over homework ids")
    return out


@pytest.fixture
def new_kit(tmp_path, monkeypatch):
    """A kit whose one homework is ``hw9_tiny``: a folder with an empty checks/ and hidden/ package."""
    for side in (homeworks.CHECKS, homeworks.HIDDEN):
        folder = tmp_path / "homeworks" / "hw9_tiny" / side
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("CHECKS = []\n" if side == homeworks.CHECKS else "", encoding="utf-8")
    monkeypatch.setattr(homeworks, "__path__", [str(tmp_path / "homeworks")])
    yield "hw9_tiny"
    for name in [m for m in sys.modules if m.startswith("homeworks.hw9_tiny")]:
        del sys.modules[name]


def test_a_new_folder_is_a_homework_on_both_sides(new_kit):
    assert homeworks.names() == (new_kit,) == homeworks.names(homeworks.HIDDEN)


def test_record_expected_takes_a_new_homework(new_kit, monkeypatch, capsys):
    monkeypatch.setattr(recorded, "write_expected", lambda hw: None)
    tool = load_script(ROOT / "tools" / "record_expected.py")
    assert tool.main([new_kit]) == 0
    assert capsys.readouterr().out.startswith(f"{new_kit}: no recorded values")


def test_a_new_homework_has_the_default_hand_in(new_kit):
    assert handin.of(new_kit) == handin.default(new_kit)
    assert handin.of(new_kit).notebook == f"{new_kit}.ipynb"


def test_no_module_keeps_its_own_list_of_the_homeworks():
    found = {str(path.relative_to(ROOT)): hand_kept(path) for top in ("src", "tools", "benchmarks", "tests")
             for path in sorted((ROOT / top).rglob("*.py")) if "similarity_corpus" not in path.parts}
    found = {path: lines for path, lines in found.items() if lines and path not in PER_HOMEWORK_DATA}
    assert not found, f"use homeworks.names() (or move the data into homeworks/<hw>/): {found}"


def test_the_per_homework_data_allowed_is_still_there():
    """An entry of PER_HOMEWORK_DATA whose file no longer keys several homeworks is dropped, not left to cover."""
    stale = [path for path in PER_HOMEWORK_DATA if not hand_kept(ROOT / path)]
    assert not stale, f"these files no longer key several homeworks: drop them from PER_HOMEWORK_DATA: {stale}"


def test_a_homework_in_two_folders_of_the_package_is_named_once(new_kit, tmp_path, monkeypatch):
    other = tmp_path / "other"
    (other / new_kit / homeworks.CHECKS).mkdir(parents=True)
    (other / new_kit / homeworks.CHECKS / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(homeworks, "__path__", [*homeworks.__path__, str(other)])
    assert homeworks.names() == (new_kit,)
