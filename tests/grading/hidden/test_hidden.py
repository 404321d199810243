"""dgmlab.grading.hidden: each kit homework's hidden tests live in homeworks/<hw>/hidden/, in the visible tests'
convention, and nowhere a kernel or a student can read them."""
import ast
import inspect
import subprocess
import sys

import pytest

from conftest import ROOT
from dgmlab import probes
from dgmlab.grading import hidden
from dgmlab.testing import HIDDEN_BEGIN

KIT = list(probes.KIT_HOMEWORKS)


@pytest.mark.parametrize("hw", KIT)
def test_every_graded_cell_with_hidden_points_has_its_hidden_tests_in_the_graders_package(hw):
    found = hidden.module(hw)
    assert found is not None, f"homeworks/{hw}/hidden/ is missing"
    for spec in probes.specs(hw).values():
        tests = hidden.tests(hw, spec.cell)
        assert bool(tests) == (spec.hidden > 0), spec.cell
        probes.plan(spec, hidden=tests)  # the points add up
    assert set(found.HIDDEN) <= set(probes.specs(hw)), "HIDDEN names a cell that is no test cell"


@pytest.mark.parametrize("hw", KIT)
def test_visible_and_hidden_tests_take_v_and_ref(hw):
    for spec in probes.specs(hw).values():
        for fn in (*spec.visible, *hidden.tests(hw, spec.cell)):
            assert list(inspect.signature(fn).parameters)[:2] == ["v", "ref"], f"{spec.cell}: {fn.__name__}"


@pytest.mark.parametrize("hw", KIT)
def test_no_percent_file_keeps_hidden_tests_as_text(hw):
    for path in (ROOT / "homeworks" / hw).glob("*.py"):
        assert HIDDEN_BEGIN not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("hw", KIT)
def test_hidden_modules_read_no_name_they_do_not_define_or_import(hw):
    """No injected globals: every name a hidden module reads is a builtin or bound in the module (pyflakes' rule)."""
    import builtins

    for path in sorted((ROOT / "homeworks" / hw / "hidden").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound = set(dir(builtins)) | {"__file__", "__name__"}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
        unbound = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                          and n.id not in bound})
        assert not unbound, f"{path.name} reads {unbound}, which it neither defines nor imports"


def test_the_judge_runs_no_cell_text_for_a_kit_homework():
    """A kit homework's hidden tests come from its hidden package: a hidden region added to the instructor's cell is
    never run."""
    from dgmlab.grading.judge import judging

    hw, cell = "hw3_flows", "q4_generator_losses_tests"
    spec = probes.spec_for(hw, cell)
    source = (f"check({cell!r}, saturating_loss, non_saturating_loss)\n{HIDDEN_BEGIN}\n"
              "def test_injected():\n    raise SystemExit('ran')\n### END HIDDEN TESTS\n")
    steps = probes.plan(spec, source, hidden=hidden.tests(hw, cell))
    assert "test_injected" not in [name for name, _, _ in steps]
    assert judging.judge_cell(hw, cell, source, [], 7).results and all(
        name != "test_injected" for name, *_ in judging.judge_cell(hw, cell, source, [], 7).results)


def test_a_kernel_cannot_import_the_hidden_tests():
    """The student package has no dgmlab.grading; a process without the grader finds no hidden tests."""
    code = ("import sys; sys.modules['dgmlab.grading'] = None\n"
            "from dgmlab import probes\n"
            "print(probes._grader_hidden('hw3_flows', 'q1_jacobian_tests'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "None", out.stderr
