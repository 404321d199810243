"""The end of a dgmlab autograde run (grading/autograde/run_summary.py): what was graded now, what was left as it
was, and whether the sandbox was used."""
from dgmlab.grading.autograde.run_summary import sandboxed, summary_lines
from dgmlab.grading.layout import SubmissionResult as Result


def _results(graded=(), unchanged=(), failed=()):
    return ([Result("hw3", s, "graded") for s in graded] + [Result("hw3", s, "graded", skipped=True) for s in unchanged]
            + [Result("hw3", s, "failed", "it crashed") for s in failed])


def test_a_one_student_regrade_counts_one_graded_and_the_rest_unchanged():
    lines = summary_lines(_results(["frank"], ["alice", "bob", "carol", "dave", "erin"]), True)
    assert lines[0] == ("summary: 1 graded, 5 unchanged since their last grading (not graded again; --force "
                        "regrades)")


def test_a_run_that_graded_nothing_new_says_so_and_nothing_of_the_sandbox():
    assert summary_lines(_results(unchanged=["alice", "bob"]), True) == [
        "summary: 2 unchanged since their last grading (not graded again; --force regrades)"]


def test_the_summary_says_whether_the_sandbox_was_used():
    assert summary_lines(_results(["alice"], failed=["bob"]), True) == [
        "summary: 1 failed, 1 graded", "sandbox: bubblewrap: every notebook graded ran inside it"]
    assert summary_lines(_results(["alice"]), False)[1].startswith("sandbox: none: student code ran with this "
                                                                   "account's rights")


def test_the_sandbox_is_used_as_autograde_decides(monkeypatch):
    from dgmlab.grading.isolation import kernel_sandbox as S

    monkeypatch.setattr(S, "available", lambda: (False, "no bwrap"))
    assert (sandboxed(False, True), sandboxed(True, True)) == (False, True)  # the course's choice
    assert sandboxed(None, True) is False  # this machine cannot: autograde warned and graded without
    assert sandboxed(None, False) is True  # a cluster's worker that cannot build it grades nothing
    monkeypatch.setattr(S, "available", lambda: (True, ""))
    assert sandboxed(None, True) is True


def test_a_dropped_students_submission_is_named_as_not_graded():
    lines = summary_lines(_results(["alice"]), True, dropped=["eve"])
    assert lines[-1] == "not graded, dropped the course (c.DgmlabTerm.dropped; their files are kept): eve"


def test_autograde_names_the_dropped_students_whose_submissions_it_did_not_grade(tmp_path, monkeypatch, capsys):
    from dgmlab import cli
    from dgmlab.grading import course as C

    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.DgmlabTerm.dropped = ["eve"]\n')
    for sid in ("alice", "eve"):
        (tmp_path / "submitted" / sid / "hw3").mkdir(parents=True)
    monkeypatch.setattr(C, "autograde", lambda course, hw, *a, **kw: _results(course.submitted(hw)))
    assert cli.main(["--course", str(tmp_path), "autograde", "hw3", "--no-sandbox"]) == 0
    out = capsys.readouterr().out
    assert "summary: 1 graded" in out
    assert "not graded, dropped the course (c.DgmlabTerm.dropped; their files are kept): eve" in out
