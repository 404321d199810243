"""The coordinator's checks before a submission is graded: what it refuses without reading it."""
import nbformat
import pytest

import tiny_homework as tiny
from conftest import ROOT
from dgmlab.grading import course as C
from dgmlab.grading.autograde import coordinator, keys
from dgmlab.grading.autograde.options import RunOptions


def _course_with_an_oversized_submission(root):
    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(text + "\nc.SetInstallSource.local_only = True\n", encoding="utf-8")
    tiny.build(root)
    course = C.Course(root)
    C.release(course)
    folder = root / "submitted" / "flood" / tiny.HW
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / f"{tiny.HW}.ipynb")
    with open(folder / "data.bin", "wb") as f:  # sparse: large on paper, nothing written
        f.truncate(coordinator.MAX_SUBMISSION_BYTES + 1)
    return course


def _hand_in(root, student):
    """``student``'s folder of the tiny homework, holding a notebook of one cell."""
    folder = root / "submitted" / student / tiny.HW
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("1"))
    nbformat.write(nb, folder / f"{tiny.HW}.ipynb")
    return folder


@pytest.mark.slow  # releases a course (nbgrader generate_assignment)
def test_an_oversized_submission_is_refused_before_any_of_it_is_read(tmp_path, monkeypatch):
    course = _course_with_an_oversized_submission(tmp_path)
    read = []
    monkeypatch.setattr(coordinator, "folder_files", lambda folder: read.append(folder) or keys.folder_files(folder))
    [result] = C.autograde(course, tiny.HW, ["flood"], RunOptions(sandbox=False))
    assert result.status == "invalid"
    assert f"more than {coordinator.MAX_SUBMISSION_BYTES // 1024 ** 2} MiB" in result.reason
    assert "graded files only" in result.reason  # says what to do
    assert not read, "the coordinator read the submission's files before refusing it"


@pytest.mark.slow  # releases a course (nbgrader generate_assignment)
def test_a_submission_whose_timestamp_nbgrader_misreads_is_refused_saying_what_to_write(tmp_path):
    course = _course_with_an_oversized_submission(tmp_path)
    folder = _hand_in(tmp_path, "late")
    (folder / "timestamp.txt").write_text("2026-11-21 10:00:00.000000 -0500\n", encoding="utf-8")  # by hand
    planned = coordinator.plan(keys.read_homework(course, tiny.HW), {"late": course.submission(tiny.HW, "late")},
                               RunOptions(sandbox=False), writer=None)
    [result] = planned.known
    assert result.status == "invalid" and not planned.jobs
    assert "nbgrader takes as 2026-11-21 10:08:20 UTC, not the 2026-11-21 15:00:00 UTC" in result.reason
    assert "write 2026-11-21T15:00:00+00:00 in its place" in result.reason


class _Client:
    """What submit asks of a Dask client: it records each task handed out."""

    def __init__(self, events):
        self.events = events

    def submit(self, fn, *args, key, pure):
        self.events.append(("submit", args[1]["student"] if len(args) > 1 else "bundle"))
        return key


def _bundle():
    from dgmlab.grading.autograde.task_records import Bundle

    return Bundle(hw="hwx", version="0", config="", gradebook=b"", notebooks=("hwx",), source={}, timeout=1.0,
                  feedback=False, sandbox=False)


def test_each_jobs_files_and_seeds_are_made_ready_just_before_it_is_handed_out():
    import dataclasses

    from dgmlab.grading.autograde.task_records import Job

    events = []

    def ready(job):
        events.append(("ready", job.student))
        return dataclasses.replace(job, files={"a.ipynb": b"{}"}, draw_seeds={"generator_weights.pt": {"seed": 7}})

    handout = coordinator.Handout(_Client(events), _bundle(), [Job("ada", {}), Job("bob", {})], ready, lambda: 8)
    assert list(handout.top_up()) == []
    assert events == [("submit", "bundle"), ("ready", "ada"), ("submit", "ada"), ("ready", "bob"), ("submit", "bob")]
    assert [j.draw_seeds for j in handout.futures.values()] == [{"generator_weights.pt": {"seed": 7}}] * 2
    assert [j.files for j in handout.futures.values()] == [{}, {}]  # the files went with the task, none kept here


def test_jobs_go_out_as_many_at_a_time_as_the_capacity_and_the_next_as_one_arrives():
    from dgmlab.grading.autograde.task_records import Job

    events, arriving = [], set()
    jobs = [Job(name, {}) for name in ("ada", "bob", "cy", "di")]
    handout = coordinator.Handout(_Client(events), _bundle(), jobs, lambda job: job, lambda: 2)
    list(handout.top_up(arriving))
    assert [j.student for j in handout.futures.values()] == ["ada", "bob"] and len(arriving) == 2
    handout.futures.pop(next(iter(handout.futures)))  # ada's result arrived
    list(handout.top_up(arriving))
    assert [j.student for j in handout.futures.values()] == ["bob", "cy"] and len(arriving) == 3
    assert events[-1] == ("submit", "cy")


def test_a_job_that_cannot_be_made_ready_fails_alone_with_the_reason_and_the_next_goes_in_its_place():
    from dgmlab.grading.autograde.task_records import Job
    from dgmlab.grading.layout import SubmissionResult

    def ready(job):
        if job.student == "ada":
            raise OSError("disk gone")
        if job.student == "cy":
            return SubmissionResult(tiny.HW, "cy", "invalid", "changed into a broken notebook")
        return job

    jobs = [Job("ada", {}, key="k"), Job("bob", {}), Job("cy", {}), Job("di", {})]
    handout = coordinator.Handout(_Client([]), _bundle(), jobs, ready, lambda: 2)
    failed, invalid = handout.top_up()
    assert [j.student for j in handout.futures.values()] == ["bob", "di"]
    assert (failed.student, failed.status, failed.key) == ("ada", "failed", "k")
    assert "could not be prepared for grading (OSError: disk gone)" in failed.reason
    assert (invalid.student, invalid.status) == ("cy", "invalid")


@pytest.mark.slow  # releases a course (nbgrader generate_assignment)
def test_a_planned_job_holds_no_files_and_reads_them_when_it_goes_out_under_the_key_they_give(tmp_path):
    course = _course_with_an_oversized_submission(tmp_path)
    folder = _hand_in(tmp_path, "ada")
    home, sub = keys.read_homework(course, tiny.HW), course.submission(tiny.HW, "ada")
    [job] = coordinator.plan(home, {"ada": sub}, RunOptions(sandbox=False, force=True), writer=None).jobs
    assert job.files == {} and job.key
    same = coordinator.loaded(sub, job, home.digest, writer=None)
    assert same.key == job.key and set(same.files) == {f"{tiny.HW}.ipynb"}
    (folder / "notes.txt").write_text("added after the plan", encoding="utf-8")
    changed = coordinator.loaded(sub, job, home.digest, writer=None)  # graded as it is now, under its own key
    assert changed.key not in ("", job.key) and changed.files["notes.txt"] == b"added after the plan"
    (folder / f"{tiny.HW}.ipynb").write_text("not a notebook", encoding="utf-8")
    broken = coordinator.loaded(sub, job, home.digest, writer=None)
    assert broken.status == "invalid"


_HOME = keys.Homework("hwx", None, None, "", {}, b"k" * 32)  # read with the course's draw key, not again


def test_the_kits_weights_are_not_read_when_no_submission_hands_in_weights(monkeypatch):
    monkeypatch.setattr(coordinator, "published_weights", lambda *a: pytest.fail("read the kit's weights"))
    assert coordinator._Published(None, _HOME, needed=False)() == []


def test_the_kits_weights_are_read_in_the_background_and_an_error_is_raised_where_they_are_needed(monkeypatch):
    import threading

    main = threading.current_thread()
    seen = []
    monkeypatch.setattr(coordinator, "published_weights", lambda course, hw, key: seen.append(
        threading.current_thread() is main) or [("a.pt", hw, key)])
    assert coordinator._Published(None, _HOME, needed=True)() == [("a.pt", "hwx", b"k" * 32)] and seen == [False]

    def broken(course, hw, key):
        raise OSError("unreadable")

    monkeypatch.setattr(coordinator, "published_weights", broken)
    with pytest.raises(OSError, match="unreadable"):
        coordinator._Published(None, _HOME, needed=True)()


def test_a_result_s_debug_line_gives_its_phases_and_worker_with_the_name_made_inert():
    from dgmlab.grading.layout import SubmissionResult

    graded = SubmissionResult(tiny.HW, "\x1b[31mada\x1b[0m", "graded", "", 5.04,
                              timings={"queue_wait": 30.0, "kernel_start": 0.61, "imports": 0.01, "cells": 2.31,
                                       "test:q1_tests": 0.5, "tests": 1.0, "total": 36.0}, worker="node1:42")
    line = coordinator._said(graded)  # the worker's phases in order; none under 0.05 s, no single test, no totals
    assert line == (f"dgmlab: {tiny.HW} / ada: graded, nbgrader's autograde step 5.0 s; phases: kernel_start 0.6 s, "
                    "cells 2.3 s, tests 1.0 s; worker node1:42")
    known = SubmissionResult(tiny.HW, "bob", "graded", "", 3.0, skipped=True)
    assert coordinator._said(known) == f"dgmlab: {tiny.HW} / bob: graded, unchanged since graded: not graded again"


def test_a_result_is_said_at_debug_level_only_on_one_line(monkeypatch, tmp_path, caplog):
    from types import SimpleNamespace

    from dgmlab.grading.layout import SubmissionResult

    sub = SimpleNamespace(hw=tiny.HW, student="ada", record=tmp_path / "ada.json")
    result = SubmissionResult(tiny.HW, "ada", "failed", "a cell\nran past its limit", 9.0)
    monkeypatch.setattr(coordinator.log, "propagate", True)  # to caplog, whatever the CLI set on `dgmlab`
    with caplog.at_level("INFO", logger="dgmlab"):
        coordinator._recorded(sub, result, None)
    assert not caplog.records
    with caplog.at_level("DEBUG", logger="dgmlab"):
        coordinator._recorded(sub, result, None)
    assert [r.getMessage() for r in caplog.records] == [f"dgmlab: {tiny.HW} / ada: failed, nbgrader's autograde step 9.0 s: a cell ran past its limit"]


def test_the_instructor_reads_a_refused_files_whole_reason(monkeypatch, caplog):
    from dgmlab.grading.autograde import draw_seeds
    from dgmlab.grading.autograde.task_records import Job

    reason = draw_seeds.refusal("p1_pixelcnn_weights.pt", "weights examples/demo_reference/hw5_explicit/p1.pt")
    monkeypatch.setattr(draw_seeds, "seeds_for", lambda *a: {"p1_pixelcnn_weights.pt": {"refused": reason}})
    monkeypatch.setattr(coordinator.log, "propagate", True)  # to caplog, whatever the CLI set on `dgmlab`
    with caplog.at_level("WARNING", logger="dgmlab"):
        coordinator._seeded(b"k" * 32, "hw5_explicit", Job("ada", {}), None)
    [said] = [r.getMessage() for r in caplog.records]
    assert f"{reason} (docs/novelty.md)" in said  # a TA's trial saw it cut mid-sentence


def test_kernels_start_warm_only_where_the_run_grades_enough_submissions_a_worker():
    import dataclasses

    from dgmlab.grading.autograde.options import WARM_FROM
    from dgmlab.grading.autograde.task_records import Bundle
    from dgmlab.grading.isolation.kernel_sandbox import Limits

    def bundle(warm):
        return Bundle(hw=tiny.HW, version="v", config="", gradebook=b"", notebooks=(tiny.HW,), source={},
                      timeout=60.0, feedback=True, sandbox=None, limits=Limits(warm=warm), cell_timeout=None,
                      course_id="c")

    left = bundle(None)  # the course's default: the run decides
    assert coordinator._warm_or_cold(left, WARM_FROM * 2 - 1, 2).limits.warm is False  # a zygote would not pay
    assert coordinator._warm_or_cold(left, WARM_FROM * 2, 2).limits.warm is True
    assert coordinator._warm_or_cold(left, WARM_FROM, 0).limits.warm is True  # a cluster with no worker yet: one
    warm = coordinator._warm_or_cold(left, 50, 2)
    assert dataclasses.replace(warm, limits=left.limits) == left  # nothing else changes
    assert coordinator._warm_or_cold(bundle(True), 1, 64).limits.warm is True  # what a course sets is kept
    assert coordinator._warm_or_cold(bundle(False), 500, 1).limits.warm is False
