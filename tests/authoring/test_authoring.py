"""`dgmlab build` and `dgmlab examples` on a scratch course holding the fixture homework's builder."""
import shutil

import pytest

from conftest import ROOT
from dgmlab import cli
from dgmlab.authoring import BuildError, homeworks
from dgmlab.authoring.build import build

FIXTURE = ROOT / "tests" / "fixtures" / "tiny_homework.py"


@pytest.fixture
def course(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "homeworks").mkdir(parents=True)
    shutil.copy(FIXTURE, tmp_path / "homeworks" / "hw9_tiny.py")
    shutil.copy(FIXTURE.with_name("tiny_checks.py"), tmp_path / "homeworks")  # the checks it names
    shutil.copy(FIXTURE.with_name("tiny_hidden.py"), tmp_path / "homeworks")  # and its hidden tests
    return tmp_path


def test_build_writes_the_source_notebook_and_check_then_passes(course, capsys):
    assert cli.main(["--course", str(course), "build"]) == 0
    assert (course / "source" / "hw9_tiny" / "hw9_tiny.ipynb").exists()
    assert "wrote source/hw9_tiny/hw9_tiny.ipynb" in capsys.readouterr().out
    assert cli.main(["--course", str(course), "build", "--check"]) == 0


def test_a_builders_test_cell_with_hidden_test_markers_stops_the_build_naming_its_line(course, capsys):
    builder = course / "homeworks" / "hw9_tiny.py"
    text = builder.read_text(encoding="utf-8")
    call = 'check("mean_square_tests", mean_square)\n'
    builder.write_text(text.replace(call, call + "        ### BEGIN HIDDEN TESTS\n        def test_old():\n"
                                    "            pass\n        ### END HIDDEN TESTS\n"), encoding="utf-8")
    line = text[:text.index('nb.tests("mean_square_tests"')].count("\n") + 1  # the builder's call of that cell
    assert cli.main(["--course", str(course), "build"]) == 2
    err = capsys.readouterr().err
    assert f"hw9_tiny.py:{line}: test cell 'mean_square_tests' holds hidden tests between hidden-test markers" in err
    assert "move these tests to hidden.py as test_x(v, ref) functions; see docs/authoring.md" in err
    assert not (course / "source" / "hw9_tiny").exists()


def test_a_test_not_written_v_ref_stops_the_build_saying_what_to_write(course, capsys):
    checks = course / "homeworks" / "tiny_checks.py"
    checks.write_text(checks.read_text(encoding="utf-8").replace("def test_is_an_expression_in_x(v, ref):",
                                                                 "def test_is_an_expression_in_x(v):"), encoding="utf-8")
    assert cli.main(["--course", str(course), "build"]) == 2
    err = capsys.readouterr().err
    assert "hw9_tiny: every visible and hidden test is written test_x(v, ref)" in err
    assert "derivative_tests: test_is_an_expression_in_x in checks.py takes (v): write it " \
           "`def test_is_an_expression_in_x(v, ref):`" in err
    assert not (course / "source" / "hw9_tiny").exists()


def test_build_check_fails_on_a_notebook_edited_by_hand(course, capsys):
    build(course)
    notebook = course / "source" / "hw9_tiny" / "hw9_tiny.ipynb"
    notebook.write_text(notebook.read_text(encoding="utf-8").replace("Tiny fixture", "Edited"), encoding="utf-8")
    before = notebook.read_bytes()
    assert cli.main(["--course", str(course), "build", "--check"]) == 1
    assert "out of date with their builders: ['hw9_tiny']" in capsys.readouterr().err
    assert notebook.read_bytes() == before, "--check must not write"


def test_unknown_homework_is_an_error_naming_the_known_ones(course, capsys):
    assert cli.main(["--course", str(course), "build", "hw7_nope"]) == 2
    assert "no builder for ['hw7_nope']; known: ['hw9_tiny']" in capsys.readouterr().err


def test_a_course_without_builders_says_where_they_go(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    with pytest.raises(BuildError, match="no homeworks/ with homework builders"):
        homeworks(tmp_path)


def test_homework_reads_its_builders_proof_material(course):
    tiny = homeworks(course)["hw9_tiny"]
    assert tiny.MUTANTS and tiny.build().path == course / "source" / "hw9_tiny" / "hw9_tiny.ipynb"


@pytest.mark.slow  # builds and checks example notebooks
def test_examples_check_fails_until_they_are_written(course, capsys):
    from dgmlab.grading import course as C

    build(course)
    C.release(C.Course(course), ["hw9_tiny"], local_only=True)
    assert cli.main(["--course", str(course), "examples", "--check"]) == 1
    assert "examples out of date" in capsys.readouterr().err
    assert cli.main(["--course", str(course), "examples"]) == 0
    assert (course / "examples" / "demo_reference" / "hw9_tiny" / "hw9_tiny.ipynb").exists()
    assert cli.main(["--course", str(course), "examples", "--check"]) == 0


REF_CHECKS = """
from dgmlab.probes import CheckSpec, attempt

def test_x(v, ref):
    assert v.at_one == 2

CHECKS = [CheckSpec("double_tests", 1, 0, ("double",), visible=(test_x,),
                    probe=lambda o, inputs: {"at_one": attempt(o["double"], 1)})]
"""


def _reference_notebook(path):
    from dgmlab.authoring import Notebook

    checks = path.with_name("ref_checks.py")
    checks.write_text(REF_CHECKS, encoding="utf-8")
    nb = Notebook("hw9_ref")
    nb.checks_file(checks)
    nb.setup()
    nb.code("SCALE = 3", locked=True, grade_id="config")
    nb.answer("double", "def double(x):\n    ### BEGIN SOLUTION\n    return SCALE * x - x\n    ### END SOLUTION")
    nb.tests("double_tests", 1, 'check("double_tests", double)')
    nb.code("def train(n):\n    return [double(i) for i in range(n)]")
    nb.code("if not runtime.is_grading():\n    HISTORY = train(3)")
    nb.save(path)
    return path


def test_reference_namespace_runs_cells_named_by_grade_id_or_definition(tmp_path):
    from dgmlab.authoring.reference import reference_namespace

    ns = reference_namespace(_reference_notebook(tmp_path / "nb.ipynb"), ["train", "double", "config"])
    assert ns["train"](3) == [0, 2, 4], "cells run in notebook order, whatever order they are named in"


def test_reference_namespace_by_default_skips_setup_tests_and_training(tmp_path):
    from dgmlab.authoring.reference import reference_cells

    sources = [c.source for c in reference_cells(_reference_notebook(tmp_path / "nb.ipynb"))]
    assert sources[0] == "SCALE = 3" and len(sources) == 3, sources
    assert not any("check(" in s or "is_grading" in s or "dgmlab.setup" in s for s in sources)


def test_reference_cell_that_is_not_there_is_named_in_the_error(tmp_path):
    from dgmlab.authoring.reference import reference_cells

    with pytest.raises(KeyError, match="'sample_generator' \\(0 cells\\)"):
        reference_cells(_reference_notebook(tmp_path / "nb.ipynb"), ["double", "sample_generator"])
