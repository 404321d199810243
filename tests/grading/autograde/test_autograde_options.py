"""`dgmlab autograde`'s settings live in nbgrader_config.py (c.DgmlabAutograde), next to nbgrader's own; a flag
overrides its setting. The kernel manager the grader's TimedExecute uses is named there too."""
import os

import pytest
from traitlets.config import Config

from dgmlab import cli
from dgmlab.grading import course as C
from dgmlab.grading.autograde.options import RunOptions, autograde_options, run_options
from dgmlab.grading.layout import Course, CourseError


def _course(tmp_path, *lines):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + "".join(f"{x}\n" for x in lines))
    return Course(tmp_path)


def test_settings_come_from_the_course_config_and_flags_override_them(tmp_path):
    course = _course(tmp_path, "c.DgmlabAutograde.timeout = 60", "c.DgmlabAutograde.workers = 3",
                     "c.DgmlabAutograde.feedback = False")
    opts = autograde_options(course, timeout=None, workers=5, feedback=None)
    assert (opts.timeout, opts.workers, opts.feedback) == (60.0, 5, False)


def test_a_course_that_sets_nothing_grades_with_the_run_options_defaults(tmp_path):
    """The defaults live in RunOptions: the settings read theirs from it (workers None: one per CPU core)."""
    assert run_options(autograde_options(_course(tmp_path))) == RunOptions(workers=os.cpu_count() or 1)


def test_a_setting_of_the_wrong_type_is_an_error_naming_it(tmp_path):
    course = _course(tmp_path, 'c.DgmlabAutograde.workers = "two"')
    with pytest.raises(CourseError, match="DgmlabAutograde.*workers"):
        autograde_options(course)


def test_the_command_grades_with_the_config_settings_unless_a_flag_says(tmp_path, monkeypatch):
    _course(tmp_path, "c.DgmlabAutograde.timeout = 42", "c.DgmlabAutograde.force = True",
            "c.DgmlabAutograde.memory = 2", 'c.DgmlabAutograde.cluster = "tcp://scheduler:8786"')
    calls = []
    monkeypatch.setattr(C, "autograde", lambda *a, **kw: calls.append(kw) or [])
    assert cli.main(["--course", str(tmp_path), "autograde", "hw1_x", "--no-feedback", "--workers", "2"]) == 0
    options = calls[0]["options"]
    assert (options.timeout, options.force, options.workers, options.feedback) == (42.0, True, 2, False)
    assert options.limits.memory == 2 * 1024 ** 3 and options.refuse_published is True
    assert calls[0]["cluster"] == "tcp://scheduler:8786"


def test_the_grader_kernel_manager_is_the_one_the_config_names():
    from dgmlab.grading.isolation.kernels import GradingKernelManager
    from dgmlab.grading.preprocessors import TimedExecute

    class Sub(GradingKernelManager):
        pass

    config = Config()
    config.TimedExecute.kernel_manager_class = Sub
    assert TimedExecute(config=config).kernel_manager_class is Sub
    assert TimedExecute().kernel_manager_class is GradingKernelManager


def test_a_kernel_manager_that_is_not_the_sandboxed_one_is_refused():
    from dgmlab.grading.preprocessors import TimedExecute

    config = Config()
    config.TimedExecute.kernel_manager_class = "jupyter_client.manager.AsyncKernelManager"
    with pytest.raises(ValueError, match="GradingKernelManager"):
        TimedExecute(config=config)


def test_the_kits_config_names_the_sandboxed_kernel_manager():
    from conftest import ROOT
    from dgmlab.grading.isolation.kernels import GradingKernelManager
    from dgmlab.grading.preprocessors import TimedExecute

    config = Course(ROOT).config()
    assert TimedExecute(config=config).kernel_manager_class is GradingKernelManager
    assert config.TimedExecute.kernel_manager_class == "dgmlab.grading.isolation.kernels.GradingKernelManager"


def test_a_course_that_sets_warm_kernels_grades_with_them(tmp_path):
    """c.DgmlabAutograde.warm_kernels reaches the kernel's limits, which travel with the bundle to each worker."""
    options = run_options(autograde_options(_course(tmp_path, "c.DgmlabAutograde.warm_kernels = True")))
    assert options.limits.warm is True
    (tmp_path / "other").mkdir()
    assert run_options(autograde_options(_course(tmp_path / "other"))).limits.warm is RunOptions().limits.warm


def test_the_command_writes_a_log_line_above_its_progress_bar_never_into_it(tmp_path, monkeypatch, capsys):
    import logging

    from dgmlab.grading.layout import SubmissionResult

    _course(tmp_path)
    for student in ("ada", "bob"):
        (tmp_path / "submitted" / student / "hw1_x").mkdir(parents=True)

    def grade(course, hw, students, options, cluster, progress, grader=None):
        for student in ("ada", "bob"):
            logging.getLogger("dgmlab.grading.autograde.coordinator").warning(f"dgmlab: said of {student}")
            progress(SubmissionResult(hw, student, "graded", "", 1.0))
        return []

    monkeypatch.setattr(C, "autograde", grade)
    assert cli.main(["--course", str(tmp_path), "autograde", "hw1_x", "--no-sandbox"]) == 0
    lines = [line.rsplit("\r", 1)[-1] for line in capsys.readouterr().err.split("\n")]  # as a terminal shows them
    assert "dgmlab: said of ada" in lines and "dgmlab: said of bob" in lines, lines


@pytest.fixture
def sandbox_is(monkeypatch):
    def set_to(usable):
        monkeypatch.setattr(C.kernel_sandbox, "available", lambda: (usable, "" if usable else "bwrap: ENOSPC"))
    return set_to


def test_where_the_sandbox_works_the_run_is_sandboxed_and_the_course_remembers_it(tmp_path, sandbox_is):
    sandbox_is(True)
    assert C._sandbox_or_why_not(_course(tmp_path), RunOptions()).sandbox is True
    assert (tmp_path / ".dgmlab" / C.SANDBOXED).exists()


def test_a_course_never_sandboxed_here_grades_unsandboxed_with_a_warning(tmp_path, sandbox_is, caplog):
    sandbox_is(False)
    assert C._sandbox_or_why_not(_course(tmp_path), RunOptions()).sandbox is False
    assert "WITHOUT a sandbox: bwrap: ENOSPC" in caplog.text


def test_a_sandbox_that_worked_here_and_fails_now_is_refused_not_given_up(tmp_path, sandbox_is):
    """(an attacker's trial used up the machine's user namespaces from a kernel: two gradings started meanwhile
    fell back to no sandbox, silently but for a warning)"""
    course = _course(tmp_path)
    sandbox_is(True)
    C._sandbox_or_why_not(course, RunOptions())
    sandbox_is(False)
    with pytest.raises(CourseError, match="ran sandboxed here before, but the sandbox fails now: bwrap: ENOSPC"):
        C._sandbox_or_why_not(course, RunOptions())
    assert C._sandbox_or_why_not(course, RunOptions(sandbox=False)).sandbox is False  # --no-sandbox, on purpose
