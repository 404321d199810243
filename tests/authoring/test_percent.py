"""dgmlab.authoring.percent: homework source as jupytext percent files, read into the same notebook."""
import shutil
import textwrap

import pytest

from conftest import ROOT
from dgmlab.authoring import BuildError, homeworks
from dgmlab.authoring.build import build
from dgmlab.authoring.notebook import CHECK_MARKER, Notebook
from dgmlab.authoring.percent import PercentError, add_part, build_homework, parts

FIXTURE = ROOT / "tests" / "fixtures" / "tiny_homework.py"

EVERY_KIND = '''\
# %% [markdown]
# # Title with $\\log p(x)$

# %% kind="setup"

# %% locked=true grade_id="symbols" check_output=true
print(1 + 1)

# %% kind="answer" grade_id="q1_square"
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION

# %% kind="tests" grade_id="q1_square_tests" points=2
check("q1_square_tests", square)

# %% [markdown] kind="written" grade_id="q1a" points=3
# Because the square is even.

# %%
x = square(4)
'''


KINDS_CHECKS = """
from dgmlab.probes import CheckSpec, attempt

def test_square(v, ref):
    assert v.at_three == 9

CHECKS = [CheckSpec("q1_square_tests", 2, 1, ("square",), visible=(test_square,),
                    probe=lambda o, inputs: {"at_three": attempt(o["square"], 3),
                                             "at_minus_two": attempt(o["square"], -2)})]
"""


KINDS_HIDDEN = """
def test_negative(v, ref):
    assert v.at_minus_two == 4, "square(-2) is not 4"

HIDDEN = {"q1_square_tests": (test_negative,)}
"""


def _part(tmp_path, text, name="q1.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def test_every_cell_kind_becomes_its_notebook_cell(tmp_path):
    (tmp_path / "checks.py").write_text(KINDS_CHECKS, encoding="utf-8")  # the homework's own check specs
    (tmp_path / "hidden.py").write_text(KINDS_HIDDEN, encoding="utf-8")  # and hidden tests
    nb = build_homework("hw9_kinds", tmp_path, [_part(tmp_path, EVERY_KIND).name])
    cells = nb.nb.cells
    assert [c.cell_type for c in cells] == ["markdown", "code", "code", "code", "code", "markdown", "code"]
    assert cells[0].source == "# Title with $\\log p(x)$" and _nbgrader(cells[0])["locked"]
    assert _nbgrader(cells[1])["grade_id"] == "setup" and "dgmlab.setup(\"hw9_kinds\")" in cells[1].source
    assert cells[2].source == f"{CHECK_MARKER}\nprint(1 + 1)" and _nbgrader(cells[2])["grade_id"] == "symbols"
    assert _nbgrader(cells[3])["solution"] and _nbgrader(cells[3])["grade_id"] == "q1_square"
    assert _nbgrader(cells[4])["points"] == 2 and _nbgrader(cells[4])["grade"]
    assert cells[4].source == 'check("q1_square_tests", square)'
    assert _nbgrader(cells[5])["points"] == 3 and "### BEGIN SOLUTION\nBecause the square is even." in cells[5].source
    assert cells[6].source == "x = square(4)" and not _nbgrader(cells[6])


def test_a_courses_test_cell_without_points_in_its_header_takes_its_specs(tmp_path):
    (tmp_path / "checks.py").write_text(KINDS_CHECKS, encoding="utf-8")
    (tmp_path / "hidden.py").write_text(KINDS_HIDDEN, encoding="utf-8")
    text = EVERY_KIND.replace('grade_id="q1_square_tests" points=2', 'grade_id="q1_square_tests"')
    nb = build_homework("hw9_kinds", tmp_path, [_part(tmp_path, text).name])
    assert _nbgrader(nb.nb.cells[4])["points"] == 2


def test_a_courses_header_points_that_differ_from_its_spec_are_refused(tmp_path):
    (tmp_path / "checks.py").write_text(KINDS_CHECKS, encoding="utf-8")
    (tmp_path / "hidden.py").write_text(KINDS_HIDDEN, encoding="utf-8")
    text = EVERY_KIND.replace('grade_id="q1_square_tests" points=2', 'grade_id="q1_square_tests" points=3')
    with pytest.raises(PercentError, match="the cell is worth 3 points, its spec .* 2: make them equal"):
        build_homework("hw9_kinds", tmp_path, [_part(tmp_path, text).name])


@pytest.mark.parametrize("header, message", [
    ('# %% kind="solution" grade_id="a"', "unknown kind='solution' for a code cell"),
    ('# %% kind="tests" points=2', "a tests cell needs grade_id"),
    ('# %% points=3', "points not allowed on a plain code cell"),
    ('# %% kind="tests" grade_id="a_tests" points="six"', "points='six' must be a number"),
    ('# %% [markdown] kind="answer" grade_id="a"', "unknown kind='answer' for a markdown cell"),
])
def test_a_bad_header_names_the_file_the_line_and_the_fix(tmp_path, header, message):
    path = _part(tmp_path, f"# %% [markdown]\n# Title\n\n{header}\nx = 1\nrun_tests()\n")
    with pytest.raises(PercentError, match=r"q1\.py:4: ") as err:
        add_part(Notebook("hw9_x"), path)
    assert message in str(err.value)


def test_text_before_the_first_marker_is_refused(tmp_path):
    path = _part(tmp_path, "x = 1\n\n# %%\ny = 2\n")
    with pytest.raises(PercentError, match="text before the first '# %%' marker"):
        add_part(Notebook("hw9_x"), path)


def test_an_answer_without_solution_markers_is_refused_with_its_line(tmp_path):
    path = _part(tmp_path, '# %% [markdown]\n# T\n\n# %% kind="answer" grade_id="a"\nx = 1\n')
    with pytest.raises(PercentError, match=r"q1\.py:4: answer cell 'a' needs ### BEGIN SOLUTION"):
        add_part(Notebook("hw9_x"), path)


def test_a_setup_cell_with_a_body_is_refused(tmp_path):
    path = _part(tmp_path, '# %% kind="setup"\nimport os\n')
    with pytest.raises(PercentError, match="the setup cell is made by dgmlab; leave its body empty"):
        add_part(Notebook("hw9_x"), path)


def test_hidden_test_markers_in_a_test_cell_stop_the_build_with_the_file_and_line(tmp_path):
    (tmp_path / "checks.py").write_text(KINDS_CHECKS, encoding="utf-8")
    (tmp_path / "hidden.py").write_text(KINDS_HIDDEN, encoding="utf-8")
    text = EVERY_KIND.replace('check("q1_square_tests", square)\n', 'check("q1_square_tests", square)\n'
                              '### BEGIN HIDDEN TESTS\ndef test_old():\n    assert at_minus_two == 4\n'
                              '### END HIDDEN TESTS\n')
    with pytest.raises(PercentError, match=r"q1\.py:17: a hidden-test marker in a test cell; move these tests to "
                                           r"hidden\.py as test_x\(v, ref\) functions; see docs/authoring\.md"):
        build_homework("hw9_kinds", tmp_path, [_part(tmp_path, text).name])


def test_hidden_points_without_a_hidden_py_stop_the_build_saying_where_they_go(tmp_path):
    (tmp_path / "checks.py").write_text(KINDS_CHECKS, encoding="utf-8")  # 1 of the cell's 2 points is hidden
    with pytest.raises(PercentError, match=r"q1\.py:\d+: .*1 points go to hidden tests but the cell has none.*"
                                           r"this homework has no hidden\.py"):
        build_homework("hw9_kinds", tmp_path, [_part(tmp_path, EVERY_KIND).name])


def test_a_part_listed_but_missing_is_named(tmp_path):
    with pytest.raises(PercentError, match="has no part 'q9.py'"):
        build_homework("hw9_x", tmp_path, ["q9.py"])


def test_a_folders_parts_are_intro_then_questions_then_problems_each_by_number(tmp_path):
    for name in ("p2_b.py", "q10_j.py", "p1_a.py", "q2_b.py", "intro.py", "q1_a.py", "proofs.py", "checks.py",
                 "notes.py", "q3.py"):
        (tmp_path / name).write_text("", encoding="utf-8")
    assert parts(tmp_path) == ["intro.py", "q1_a.py", "q2_b.py", "q10_j.py", "p1_a.py", "p2_b.py"]


def test_two_parts_with_one_number_are_refused_by_name(tmp_path):
    for name in ("q1_a.py", "q1_b.py"):
        (tmp_path / name).write_text("", encoding="utf-8")
    with pytest.raises(PercentError, match=r"two parts have one number \(q1_a\.py, q1_b\.py\)"):
        parts(tmp_path)


@pytest.fixture
def course(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    folder = tmp_path / "homeworks" / "hw9_kinds"
    folder.mkdir(parents=True)
    # no checked cell here: building one needs its output recorded by running it
    (folder / "q1_kinds.py").write_text(EVERY_KIND.replace(" check_output=true", ""), encoding="utf-8")
    (folder / "checks.py").write_text(KINDS_CHECKS, encoding="utf-8")
    (folder / "hidden.py").write_text(KINDS_HIDDEN, encoding="utf-8")
    (folder / "proofs.py").write_text("MUTANTS = []\n", encoding="utf-8")
    (folder / "__init__.py").write_text('"""hw9_kinds: one part of every kind."""\n', encoding="utf-8")
    return tmp_path


def test_dgmlab_build_finds_a_homework_folder_and_its_proofs(course):
    found = homeworks(course)
    assert list(found) == ["hw9_kinds"] and found["hw9_kinds"].MUTANTS == []
    assert build(course, check=False) == 0 and build(course, check=True) == 0
    assert (course / "source" / "hw9_kinds" / "hw9_kinds.ipynb").exists()


def test_a_homework_folder_whose_init_builds_itself_is_still_built_so(course):
    # a course's homework made before its parts were found in the folder: PARTS and build() in __init__.py
    folder = course / "homeworks" / "hw9_kinds"
    (folder / "q1_kinds.py").rename(folder / "kinds.py")
    (folder / "__init__.py").write_text(
        "from pathlib import Path\nfrom dgmlab.authoring.percent import build_homework\n"
        "from .proofs import MUTANTS\nPARTS = ['kinds.py']\n\n"
        "def build():\n    return build_homework('hw9_kinds', Path(__file__).parent, PARTS)\n", encoding="utf-8")
    assert build(course, check=False) == 0 and build(course, check=True) == 0


def test_a_homework_folder_without_init_is_an_error_saying_what_goes_there(course):
    (course / "homeworks" / "hw9_kinds" / "__init__.py").unlink()
    with pytest.raises(BuildError, match="has no __init__.py: a homework folder describes itself there"):
        homeworks(course)


def test_a_builder_file_and_a_folder_of_one_homework_are_refused(course):
    shutil.copy(FIXTURE, course / "homeworks" / "hw9_kinds.py")
    with pytest.raises(BuildError, match="hw9_kinds has both a builder file and a folder"):
        homeworks(course)


def test_dgmlab_build_reports_a_bad_header_without_a_traceback(course, capsys):
    from dgmlab import cli

    part = course / "homeworks" / "hw9_kinds" / "q1_kinds.py"
    part.write_text(part.read_text(encoding="utf-8").replace(' points=2', ' points="two"'), encoding="utf-8")
    assert cli.main(["--course", str(course), "build"]) == 2
    err = capsys.readouterr().err
    assert "q1_kinds.py:" in err and "points='two' must be a number" in err and "Traceback" not in err


def test_the_build_puts_a_course_homeworks_hidden_py_beside_the_source_notebook(course):
    assert build(course, check=False) == 0
    source = course / "source" / "hw9_kinds"
    assert (source / "hidden.py").read_text(encoding="utf-8") == KINDS_HIDDEN
    assert (source / "checks.py").read_text(encoding="utf-8") == KINDS_CHECKS
