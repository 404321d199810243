"""The committed course stays consistent: built notebooks, release/, examples/, packaging, CI."""
import ast
import re
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT, homework_builders
from dgmlab import syntax_tree
from dgmlab.grading.course import Course, release_differences

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python < 3.11
    tomllib = None


def test_every_source_notebook_has_a_builder():
    homeworks = Course(ROOT).homeworks()
    assert sorted(homework_builders()) == homeworks


@pytest.mark.parametrize("builder", sorted((ROOT / "homeworks").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT / "homeworks")))
def test_builders_have_no_invalid_escapes(builder):
    """LaTeX such as '\\log' in a non-raw string is an invalid escape: write that cell as a raw string.
    A folder's percent files compile too (markdown is comments): a syntax error in a code cell shows here."""""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(builder.read_text(encoding="utf-8"), str(builder), "exec")


def test_source_notebooks_hold_no_control_characters():
    """LaTeX such as '\\approx' or '\\beta' in a non-raw builder string becomes a bell or backspace, silently."""
    control = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            found = control.search(cell.source)
            assert not found, (f"{path.name} cell {index}: control character {found.group()!r} near "
                               f"{cell.source[max(0, found.start() - 30):found.end()]!r}; use a raw string in its builder")


@pytest.mark.slow  # builds every homework's notebooks
def test_source_notebooks_match_their_builders():
    res = subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(ROOT), "build", "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.slow
def test_committed_release_matches_generate_assignment():
    assert release_differences(Course(ROOT)) == []


def test_release_notebooks_hold_no_solutions_or_hidden_tests():
    for hw in Course(ROOT).homeworks():
        text = (ROOT / "release" / hw / f"{hw}.ipynb").read_text(encoding="utf-8")
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"release/{hw} contains {marker}"
        assert "# COMPLETE" in text, f"release/{hw} has no # COMPLETE stub"


def test_committed_notebooks_have_no_absolute_paths():
    for path in [*(ROOT / "source").glob("*/*.ipynb"), *(ROOT / "release").glob("*/*.ipynb")]:
        text = path.read_text(encoding="utf-8")
        assert "/work/" not in text and "/root/" not in text and "/home/" not in text, f"{path}: absolute path"


def test_source_notebooks_hold_outputs_only_of_checked_cells():
    """Outputs are stored for nbval's # NBVAL_CHECK_OUTPUT cells only, and every such cell has one."""
    from dgmlab.authoring import is_checked

    checked = 0
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "code":
                continue
            if is_checked(cell):
                checked += 1
                assert cell.outputs and cell.execution_count is not None, \
                    f"{path.name} cell {index}: checked but not recorded (dgmlab build --record-outputs)"
            else:
                assert not cell.outputs and cell.execution_count is None, f"{path.name} cell {index} holds outputs"
            assert "raises-exception" not in cell.metadata.get("tags", []), \
                f"{path.name} cell {index}: a raises-exception tag in a source notebook would hide its errors"
    assert checked >= len(Course(ROOT).homeworks()), "some homework has no checked cell"


def test_release_notebooks_hold_no_outputs_and_tag_every_test_cell():
    for hw in Course(ROOT).homeworks():
        nb = nbformat.read(ROOT / "release" / hw / f"{hw}.ipynb", as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            assert not cell.outputs and cell.execution_count is None, f"release/{hw} cell {index} holds outputs"
            assert "NBVAL_CHECK_OUTPUT" not in cell.source, f"release/{hw} cell {index} keeps the nbval marker"
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                assert "raises-exception" in cell.metadata.get("tags", []), f"release/{hw} test cell {index} untagged"


def test_builder_keeps_recorded_outputs_only_for_unchanged_sources(tmp_path):
    from dgmlab.authoring import Notebook, recorded_outputs

    def build(second_source):
        nb = Notebook("hw9_tiny")
        nb.code("print(1)", check_output=True)
        nb.code(second_source, check_output=True)
        nb.code("print(3)")
        return nb

    nb = build("print(2)")
    assert nb.unrecorded() == [0, 1]
    stdout = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in ("1", "\n")]
    recorded = {"# NBVAL_CHECK_OUTPUT\nprint(1)": (stdout, 7), "# NBVAL_CHECK_OUTPUT\nprint(2)": (stdout[:1], 8)}
    first = nb.save(tmp_path / "first.ipynb", recorded=recorded)
    saved = nbformat.read(first, as_version=4).cells
    assert [c.execution_count for c in saved] == [1, 1, None]
    assert [len(c.outputs) for c in saved] == [1, 1, 0], "consecutive stdout outputs are joined"
    assert saved[0].outputs[0].text == "1\n"
    changed = build("print(2 + 0)")
    changed.save(tmp_path / "second.ipynb", recorded=recorded_outputs(nbformat.read(first, as_version=4)))
    assert changed.unrecorded() == [1], "a cell whose source changed must be recorded again"
    with pytest.raises(ValueError, match="check_output=True"):
        Notebook("hw9_tiny").code("# NBVAL_CHECK_OUTPUT\nprint(1)")


@pytest.mark.slow  # builds every homework's example submissions
def test_examples_match_release_and_source():
    res = subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(ROOT), "examples", "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def _requirements_from_environment_yml():
    lines = (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    reqs = []
    for line in lines[start + 1:]:
        item = line.strip()
        if item.startswith("- ") and not item.startswith("- -e"):
            reqs.append(item[2:].strip())
    return reqs


@pytest.mark.skipif(tomllib is None, reason="needs Python 3.11's tomllib")
def test_environment_yml_and_pyproject_list_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    assert sorted(_requirements_from_environment_yml()) == sorted(wanted)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make demo" in readme
    assert re.search(r"^make test$", ci, re.MULTILINE)


def test_release_folders_hold_only_the_notebook():
    for hw in Course(ROOT).homeworks():
        files = sorted(p.relative_to(ROOT / "release" / hw).as_posix()
                       for p in (ROOT / "release" / hw).rglob("*") if p.is_file())
        own_checks = [name for name in ("checks.py", "expected.json", "points.json")  # a course's own hw: its checks
                      if (ROOT / "source" / hw / "checks.py").is_file() and (ROOT / "source" / hw / name).is_file()]
        assert files == sorted([f"{hw}.ipynb", *own_checks]), \
            f"release/{hw} holds {files}: local outputs leaked into the release"


def _visible_asserts_without_message(source: str) -> list:
    from dgmlab.probes.points import hidden_lines

    hidden = hidden_lines(source)
    return [node.lineno for node in ast.walk(syntax_tree.parse(source))
            if isinstance(node, (ast.Assert, ast.Raise)) and node.lineno not in hidden and (
                isinstance(node, ast.Assert) and node.msg is None  # (ruff's S101 refuses asserts in checks)
                or isinstance(node, ast.Raise) and _bare_assertion_error(node.exc))]


def _bare_assertion_error(exc) -> bool:
    """``raise AssertionError`` or ``raise AssertionError()``: a failure that says nothing."""
    name = exc.func if isinstance(exc, ast.Call) and not exc.args else exc
    return isinstance(name, ast.Name) and name.id == "AssertionError"


def test_every_graded_test_cell_is_a_check_cell_whose_visible_asserts_say_what_failed():
    """Every graded test cell of the course's homeworks is a check() cell (the grader gives any other 0),
    and each visible test of its spec says what failed: a bare assert or AssertionError shows the student only 'an
    assertion failed'."""
    import inspect
    import textwrap

    from dgmlab import probes

    checked, not_check, bare = 0, [], []
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        probes.load_checks(path.stem, path.parent)  # a course's own homework: its checks.py beside the notebook
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if not (cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")):
                continue
            if not probes.cell_call(cell.source):
                not_check.append(f"{path.name} {meta['grade_id']}")
                continue
            checked += 1
            for test in probes.spec_for(path.stem, meta["grade_id"]).visible:
                code = textwrap.dedent(inspect.getsource(test))
                bare += [f"homeworks.{path.stem}.checks.{test.__name__} line {n}"
                         for n in _visible_asserts_without_message(code)]
    assert not not_check, f"test cells that do not call check(): {not_check}"
    assert checked >= 81, f"only {checked} check() cells found"  # hw1 15, hw2 17, hw3 14, hw4 17, hw5 19
    assert not bare, f"visible asserts without a message: {bare}"


def test_bare_assert_detection_sees_visible_asserts_only():
    src = "def test_a():\n    assert x\n### BEGIN HIDDEN TESTS\ndef test_b():\n    assert y\n### END HIDDEN TESTS\n"
    assert _visible_asserts_without_message(src) == [2]


def test_bare_assertion_error_detection_sees_a_raise_that_says_nothing():
    src = ("def test_a():\n    if x:\n        raise AssertionError\n    if y:\n        raise AssertionError()\n"
           "    if z:\n        raise AssertionError('z is set')\n    raise ValueError\n")
    assert _visible_asserts_without_message(src) == [3, 5]


def _unstated_zips(path) -> list[str]:
    """``zip(...)`` calls in ``path`` that do not say ``strict=``: where they sit, and the call."""
    import ast

    source = path.read_text(encoding="utf-8")
    return [f"{path.relative_to(ROOT)}:{node.lineno}: {ast.get_source_segment(source, node)[:80]}"
            for node in ast.walk(syntax_tree.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "zip"
            and not any(k.arg == "strict" for k in node.keywords)]


def test_every_zip_in_a_check_says_whether_lengths_must_match():
    """A check that compares a record with the grader's list through a bare zip() stops at the shorter one, so an
    empty record passed it (red team, second pass: 7/7 for an emptied transport record). Every zip() in the checks
    (probes, dgmlab.probes.asserts, the homeworks' hidden tests) says strict=True, or strict=False where lengths differ by
    design (a list against itself shifted by one)."""
    files = [*sorted((ROOT / "src" / "dgmlab" / "probes").glob("*.py")), ROOT / "src" / "dgmlab" / "checks.py",
             *sorted((ROOT / "homeworks").glob("*/checks/*.py")), *sorted((ROOT / "homeworks").glob("*/hidden/*.py")),
             *sorted(p for p in (ROOT / "homeworks").glob("*/*.py") if p.name not in ("proofs.py", "__init__.py"))]
    unstated = [z for f in files for z in _unstated_zips(f)]
    assert not unstated, "zip() without strict= in a check:\n" + "\n".join(unstated)
