"""`dgmlab check`: its report and its errors (its agreement with the autograder: tests/test_hostile.py)."""
from pathlib import Path

from dgmlab.cli import main
from dgmlab.selfcheck import CellResult, Report, format_report


def _report():
    cells = [CellResult("a_tests", "Q1. Flows (10 points)", 5, 2, 2, 3, False),
             CellResult("b_tests", "Q2. GANs (5 points)", 5, 1, 0, 4, False,
                        ["FAILED test_x: 0 of 1 points. expected 1/2, found 1/3"])]
    return Report(Path("hw.ipynb"), cells, [("Q2. GANs (5 points)", "q2_written")], 12)


def test_report_gives_visible_points_hidden_points_and_failures():
    text = format_report(_report())
    assert text.startswith("hw.ipynb: 2 of 3 visible points; 7 more points are decided by hidden tests")
    assert "!! b_tests: 0 of 1 visible points (+4 decided by hidden tests)" in text
    assert "expected 1/2, found 1/3" in text and "written answers still empty: q2_written" in text


def test_report_of_one_question_leaves_the_others_out():
    text = format_report(_report(), "Q2")
    assert "b_tests" in text and "a_tests" not in text


def test_check_of_a_missing_notebook_is_a_clear_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_check_of_a_file_that_is_not_a_notebook_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "hw.ipynb"
    bad.write_text("{ not json", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    assert "not a readable notebook" in capsys.readouterr().err


def test_graded_files_are_read_from_the_cells_naming_convention():
    from dgmlab.selfcheck import graded_files

    src = ('GRADED = Path("baseline_samples_100.pt")\nGRADED_SAMPLES = Path("samples_100.pt")\n'
           'GRADED_LOG = "log.json"\nOTHER = Path("not_graded.pt")\ndef test_x():\n    GRADED_INNER = Path("no.pt")\n')
    assert graded_files(src) == ["baseline_samples_100.pt", "samples_100.pt", "log.json"]
    assert graded_files("def broken(:\n") == []


def test_report_says_which_graded_files_are_present_or_missing():
    present = CellResult("s_tests", "Q4. Samples", 7, 7, 7, 0, False, files=[("samples_100.pt", 313_000)])
    missing = CellResult("c_tests", "Q4. Samples", 3, 3, 3, 0, False, files=[("cgan_samples_100.pt", None)])
    assert present.ok and not missing.ok, "a missing graded file fails the check even when no visible test ran"
    text = format_report(Report(Path("hw.ipynb"), [present, missing], [], 0))
    assert "graded file samples_100.pt: present (313,000 bytes)" in text
    assert "!! c_tests" in text and "graded file cgan_samples_100.pt: MISSING beside the notebook" in text


def _notebook_grading_a_file(path):
    from dgmlab.authoring import Notebook

    nb = Notebook("hw9_file")
    nb.md("## Q1. A file (2 points)")
    nb.setup()
    nb.tests("file_tests", 2, '''
        from pathlib import Path
        from dgmlab.testing import points, run_tests

        GRADED = Path("answer.txt")

        @points(2)
        def test_the_file_says_42():
            assert GRADED.exists(), "no answer.txt beside the notebook"
            assert GRADED.read_text().strip() == "42", "answer.txt should hold 42"

        run_tests(points=2)
        ''')
    nb.save(path)


def test_check_fails_without_the_graded_file_and_passes_with_it(tmp_path, capsys):
    notebook = tmp_path / "hw.ipynb"
    _notebook_grading_a_file(notebook)
    assert main(["check", str(notebook)]) == 1
    out = capsys.readouterr().out
    assert "graded file answer.txt: MISSING" in out and "no answer.txt beside the notebook" in out
    (tmp_path / "answer.txt").write_text("42\n")
    assert main(["check", str(notebook)]) == 0
    assert "graded file answer.txt: present (3 bytes)" in capsys.readouterr().out


def test_check_runs_in_the_autograders_sandbox_when_there_is_one(tmp_path, capsys):
    import pytest

    from dgmlab.authoring import Notebook
    from dgmlab.grading import sandbox

    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    nb = Notebook("hw9_box")
    nb.md("## Q1. Where am I (1 point)")
    nb.setup()
    nb.tests("box_tests", 1, '''
        import os
        from dgmlab.testing import points, run_tests

        @points(1)
        def test_runs_in_the_sandbox():
            assert os.environ.get("DGMLAB_SANDBOX") == "1", "this kernel is not in the grading sandbox"

        run_tests(points=1)
        ''')
    notebook = nb.save(tmp_path / "hw.ipynb")
    assert main(["check", str(notebook)]) == 0
    assert main(["check", "--no-sandbox", str(notebook)]) == 1
    assert "this kernel is not in the grading sandbox" in capsys.readouterr().out
