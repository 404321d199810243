"""dgmlab.grading.hidden: each kit homework's hidden tests live in homeworks/<hw>/hidden/, in the visible tests'
convention, and nowhere a kernel or a student can read them."""
import ast
import inspect
import subprocess
import sys

import pytest

from conftest import ROOT
from dgmlab import probes, syntax_tree
from dgmlab.grading import hidden
from dgmlab.probes.points import HIDDEN_BEGIN

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
        tree = syntax_tree.parse(path.read_text(encoding="utf-8"))
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
    from dgmlab.grading.judge import cell_verdicts

    hw, cell = "hw3_flows", "q4_generator_losses_tests"
    spec = probes.spec_for(hw, cell)
    source = (f"check({cell!r}, saturating_loss, non_saturating_loss)\n{HIDDEN_BEGIN}\n"
              "def test_injected():\n    raise SystemExit('ran')\n### END HIDDEN TESTS\n")
    steps = probes.plan(spec, hidden=hidden.tests(hw, cell))
    assert "test_injected" not in [name for name, _, _ in steps]
    assert cell_verdicts.judge_cell(hw, cell, source, [], 7).results and all(
        name != "test_injected" for name, *_ in cell_verdicts.judge_cell(hw, cell, source, [], 7).results)


def test_the_student_side_judges_without_importing_the_grader():
    """dgmlab.probes judges a self-check with the visible tests alone: it never imports dgmlab.grading, so a student's
    kernel, which has no grader, has no way to its hidden tests."""
    code = ("import sys\n"
            "from dgmlab import probes\n"
            "spec = probes.spec_for('hw3_flows', 'q4_generator_losses_tests')\n"
            "probes.judge('hw3_flows', spec, {}, 0)\n"
            "print(sorted(m for m in sys.modules if m.startswith('dgmlab.grading')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


# ------------------------------------------------------------------ a course's own homework: hidden.py
COURSE_HW = "hw8_course"
COURSE_HIDDEN = """
from dgmlab.probes.points import points

@points(1)
def test_a(v, ref):
    assert v.y == 1, "y is not 1"

HIDDEN = {"y_tests": (test_a,)}
"""


def test_a_course_homeworks_hidden_py_gives_its_tests_by_cell(tmp_path):
    (tmp_path / hidden.FILE).write_text(COURSE_HIDDEN, encoding="utf-8")
    try:
        assert hidden.load(COURSE_HW, tmp_path)
        assert [f.__name__ for f in hidden.tests(COURSE_HW, "y_tests")] == ["test_a"]
        assert hidden.tests(COURSE_HW, "other_tests") == ()
    finally:
        hidden.forget(COURSE_HW)


def test_a_course_homework_without_hidden_py_has_no_hidden_tests(tmp_path):
    hidden.load_text(COURSE_HW, COURSE_HIDDEN)
    assert not hidden.load(COURSE_HW, tmp_path)  # no hidden.py there: the ones loaded before are forgotten
    assert hidden.tests(COURSE_HW, "y_tests") == ()


def test_a_course_hidden_py_without_hidden_is_refused_with_what_to_write():
    with pytest.raises(ValueError, match=r"source/hw8_course/hidden.py defines no HIDDEN: write HIDDEN = "):
        hidden.load_text(COURSE_HW, "def test_a(v, ref):\n    pass\n")
    assert hidden.tests(COURSE_HW, "y_tests") == ()


def test_a_kit_homework_takes_no_course_hidden_py():
    with pytest.raises(KeyError, match="not a course's own homework"):
        hidden.load_text("hw3_flows", COURSE_HIDDEN)
