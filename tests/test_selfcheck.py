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
