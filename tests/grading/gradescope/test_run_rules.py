"""run_autograder's rules (dgmlab.grading.gradescope.run): the due time from Gradescope's submission metadata under the
course's minute rule, and a kernel that cannot start failing the autograder, never scoring 0."""
import datetime as dt

import pytest

from dgmlab.grading.autograde.task_records import Bundle, Outcome
from dgmlab.grading.gradescope import handed, late_policy, results, run
from dgmlab.grading.term import late as L

DUE = "2025-03-01T23:59:00.000000-05:00"


def test_a_submission_within_the_due_minute_is_on_time_as_in_the_course():
    due, _ = late_policy.due_date({"assignment": {"due_date": DUE}})
    submitted = dt.datetime.fromisoformat("2025-03-01T23:59:30.123456-05:00")
    assert L.POLICIES["ten_percent_2days"].apply(10.0, submitted, due).final == 10.0
    assert L.POLICIES["ten_percent_2days"].apply(10.0, submitted + dt.timedelta(seconds=30), due).final == 9.0


def test_the_students_own_due_date_in_the_metadata_is_taken_over_the_assignments():
    meta = {"assignment": {"due_date": DUE},
            "users": [{"id": 1, "assignment": {"due_date": "2025-03-03T23:59:00-05:00"}},
                      {"id": 2, "assignment": {"due_date": "2025-03-02T23:59:00-05:00"}}]}
    due, whose = late_policy.due_date(meta)
    assert due == dt.datetime.fromisoformat("2025-03-03T23:59:59-05:00") and "own" in whose


def test_without_the_students_own_date_the_assignments_counts():
    due, whose = late_policy.due_date({"assignment": {"due_date": DUE}, "users": [{"id": 1, "email": "a@b"}]})
    assert due == dt.datetime.fromisoformat("2025-03-01T23:59:59-05:00") and "assignment" in whose


def test_a_kernel_that_never_answered_is_a_grader_failure_not_a_zero():
    graded = Outcome(student="student", status="failed", reason="RuntimeError: Kernel died before replying to "
                                                                 "kernel_info")
    with pytest.raises(results.GraderFailure, match="kernel could not start"):
        results.grader_fault(graded)


def test_a_kernel_killed_by_the_submission_is_the_submissions_failure():
    graded = Outcome(student="student", status="failed", reason="the kernel died while running the notebook "
                                                                 "(os._exit, a crash, or running out of memory)")
    results.grader_fault(graded)  # graded as failed: 0, with the reason


def test_a_grader_failure_writes_no_results_so_gradescope_shows_a_failed_autograder(monkeypatch, tmp_path):
    def fail(root):
        raise results.GraderFailure("the kernel could not start")

    monkeypatch.setattr(run, "grade", fail)
    assert run.main(["--root", str(tmp_path)]) == 1
    assert not (tmp_path / "results" / "results.json").exists()


def test_a_kernel_user_that_could_not_be_stopped_is_a_grader_failure():
    from dgmlab.grading.isolation.processes import SURVIVED

    graded = Outcome(student="student", status="failed", reason=f"RuntimeError: {SURVIVED}: processes [12] of user "
                                                                 "999 outlived 20 rounds of SIGKILL")
    with pytest.raises(results.GraderFailure, match="could not be stopped"):
        results.grader_fault(graded)


def _grade_in_a_stub_tree(monkeypatch, tmp_path) -> dict:
    """run.grade of a stub submission of homework "hw", every step but its own stubbed; returns what the grading
    (the kernel's and the judge's step) found: the metadata's mode and the judge's homeworks."""
    import json
    import os
    import stat

    from dgmlab.grading import layout
    from dgmlab.grading.autograde import draw_seeds as DS
    from dgmlab.grading.autograde import worker
    from dgmlab.grading.gradescope import boundary as B
    from dgmlab.grading.judge.warm_imports import HOMEWORKS_ENV

    grader = handed.grader_dir(tmp_path)
    grader.mkdir(parents=True)
    (grader / "settings.json").write_text(json.dumps({"hw": "hw", "cells": [], "visibility": "visible",
                                                      "sandbox": None, "memory": 1, "file_size": 1,
                                                      "late_policy": "none", "source_folder": "source/hw"}),
                                    encoding="utf-8")
    (grader / "draw.key").write_text("00\n", encoding="utf-8")
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "hw.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / handed.METADATA).write_text('{"previous_submissions": []}', encoding="utf-8")
    (tmp_path / handed.METADATA).chmod(0o644)
    seen = {}

    def grade_submission(bundle, job):
        seen["mode"] = stat.S_IMODE((tmp_path / handed.METADATA).stat().st_mode)
        seen["judge_homeworks"] = os.environ.get(HOMEWORKS_ENV)
        return Outcome(student="student", status="graded", scores={"scores": []})

    monkeypatch.setattr(B, "choose", lambda *a: B.Boundary("none", "no sandbox"))
    monkeypatch.setattr(layout, "notebook_problem", lambda data, name: None)
    monkeypatch.setattr(DS, "seeds_for", lambda *a: {})
    monkeypatch.setattr(DS, "probe_seed", lambda *a: 0)
    stub = Bundle(hw="hw", version="0", config="", gradebook=b"", notebooks=("hw",), source={}, timeout=1.0,
                  feedback=False, sandbox=None)
    monkeypatch.setattr(handed, "worker_bundle", lambda *a: stub)
    monkeypatch.setattr(worker, "grade_submission", grade_submission)
    monkeypatch.delenv(HOMEWORKS_ENV, raising=False)  # and restored after the test, whatever grade sets
    run.grade(tmp_path)
    return seen


def test_the_kernel_starts_only_once_the_metadata_is_roots_alone(monkeypatch, tmp_path):
    assert _grade_in_a_stub_tree(monkeypatch, tmp_path)["mode"] == 0o600


def test_the_judge_loads_the_graded_homeworks_tests_alone(monkeypatch, tmp_path):
    assert _grade_in_a_stub_tree(monkeypatch, tmp_path)["judge_homeworks"] == "hw"


COURSE = {"hw": "hw3_flows", "late_policy": "ten_percent_2days", "timezone": "America/Toronto",
          "course_due": "2026-11-20T23:59:59-05:00"}


def test_a_gradescope_due_date_other_than_the_courses_is_named_with_what_the_course_gives(tmp_path):
    meta = {"created_at": "2026-11-21T10:00:00-05:00", "assignment": {"due_date": "2026-11-22T23:59:00-05:00"}}
    late, dates = late_policy.late_result(tmp_path, COURSE, 100.0, meta)
    assert not late.reason  # on time by Gradescope's date
    assert "the assignment's due date in Gradescope, 2026-11-22 23:59 EST" in dates
    assert "the course's due date for hw3_flows (c.DgmlabDeadlines.due) differs, 2026-11-20 23:59 EST" in dates
    assert "1 day late" in dates and "90.00" in dates


def test_the_courses_own_due_date_in_gradescope_adds_no_note(tmp_path):
    meta = {"created_at": "2026-11-21T10:00:00-05:00", "assignment": {"due_date": "2026-11-20T23:59:00-05:00"}}
    late, dates = late_policy.late_result(tmp_path, COURSE, 100.0, meta)
    assert late.final == 90.0 and dates == ""


def test_a_judge_that_could_not_judge_is_a_grader_failure_not_a_zero():
    graded = Outcome(student="student", status="failed", reason="JudgeFailed: the grader's judge process could not "
                                                                 "start (it ended with status 1), so nothing was graded")
    with pytest.raises(results.GraderFailure, match="the judge could not judge"):
        results.grader_fault(graded)


def _setup(tmp_path, sandbox, env):
    """setup.sh of a zip written with ``sandbox`` (True: --sandbox), run in a Gradescope-shaped tree with the
    kit's Python (DGMLAB_GRADESCOPE_PYTHON: nothing installed) and ``env``."""
    import json
    import os
    import subprocess
    import sys

    from dgmlab import __version__
    from dgmlab.grading.gradescope.autograder_zip import _scripts

    grader = tmp_path / "source" / "grader"
    grader.mkdir(parents=True)
    (grader / "settings.json").write_text(json.dumps({"version": __version__, "hw": "hw3_flows", "sandbox": sandbox,
                                                      "memory": 2 ** 31, "file_size": 2 ** 28}), encoding="utf-8")
    (tmp_path / "source" / "setup.sh").write_text(_scripts("hw3_flows", [], "dgmlab-grader")["setup.sh"])
    return subprocess.run(["bash", str(tmp_path / "source" / "setup.sh")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DGMLAB_GRADESCOPE_ROOT": str(tmp_path),
                               "DGMLAB_GRADESCOPE_PYTHON": sys.executable, **env})


def test_setup_fails_saying_what_to_do_where_a_sandbox_zip_finds_no_bubblewrap(tmp_path):
    got = _setup(tmp_path, True, {"DGMLAB_GRADESCOPE_BOUNDARY": "user"})  # as where bubblewrap cannot run
    assert got.returncode != 0  # Gradescope shows a failed build at upload, not a failure per submission
    last = got.stdout.strip().splitlines()[-1]
    assert "hw3_flows: ERROR: nothing would be graded here: the course requires the bubblewrap sandbox" in last
    assert "Rebuild the zip without --sandbox" in last and "an image where bubblewrap runs" in last


def test_setup_ends_with_the_grading_wall_where_one_holds(tmp_path):
    got = _setup(tmp_path, False, {"DGMLAB_GRADESCOPE_BOUNDARY": "user"})
    assert got.returncode == 0, got.stderr[-2000:]
    assert "hw3_flows: grading wall: no sandbox: the course grades without it" in got.stdout.strip().splitlines()[-1]


def test_the_grader_validates_notebooks_without_building_the_iri_grammar():
    """jsonschema builds rfc3987_syntax's grammar at import (1.5 s of one core) where it is installed: not here."""
    import subprocess
    import sys

    code = ("import sys\nfrom dgmlab.grading.gradescope import run\nrun.skip_slow_imports()\nimport nbformat\n"
            "nbformat.validate(nbformat.v4.new_notebook())\nprint(sys.modules['rfc3987_syntax'] is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr[-2000:]


def test_the_grader_imports_no_dask_to_learn_it_is_not_a_dask_worker():
    """Gradescope's container runs no Dask: asking whether this is a Dask worker costs no import (12 MiB, 0.2 s)."""
    import subprocess
    import sys

    code = ("import sys\nfrom dgmlab.grading.autograde import nbgrader_run, worker\n"
            "assert nbgrader_run._in_dask_worker() is False\nworker._scratch_base()\n"
            "print('distributed' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]


def test_a_kernel_stopped_for_memory_is_said_in_the_results():
    from dgmlab.grading.gradescope import results as R

    res = R.build([], Outcome(student="student", status="graded", scores={"scores": []}),
                  stopped=(700 * 2 ** 20, 732 * 2 ** 20))
    assert "stopped when the grading held 700 MiB of the container's 732 MiB" in res["output"]
    assert res["extra_data"]["kernel_stopped_for_memory_mib"] == 700
