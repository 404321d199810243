"""dgmlab's command (cli.py): the grader's log reaches the terminal as its prints did."""
import logging
import re

import pytest

from dgmlab import cli


@pytest.fixture()
def dgmlab_log():
    log = logging.getLogger("dgmlab")
    handlers, level, propagate = list(log.handlers), log.level, log.propagate
    yield log
    log.handlers[:], log.level, log.propagate = handlers, level, propagate


def test_a_grader_modules_log_goes_to_stderr_once_as_its_message_alone(dgmlab_log, capsys):
    root = logging.getLogger()
    extra = logging.StreamHandler()  # a library's basicConfig: its line would say the message a second time
    root.addHandler(extra)
    try:
        cli.log_to_stderr()
        cli.log_to_stderr()  # once a process, however often main() runs
        logging.getLogger("dgmlab.grading.autograde.slurm").info("dgmlab: SLURM jobs: 12 running")
        logging.getLogger("dgmlab.grading.autograde.coordinator").warning("dgmlab: ada's hw1 q2 is to grade again")
    finally:
        root.removeHandler(extra)
    captured = capsys.readouterr()
    assert captured.err == "dgmlab: SLURM jobs: 12 running\ndgmlab: ada's hw1 q2 is to grade again\n"
    assert captured.out == ""


def test_the_handler_writes_to_the_stderr_of_the_moment(dgmlab_log, capsys, monkeypatch):
    import io

    cli.log_to_stderr()
    later = io.StringIO()
    monkeypatch.setattr("sys.stderr", later)  # a stream swapped after logging was set up
    logging.getLogger("dgmlab.grading.hand.grade_by_question").warning("no MathJax 2")
    assert later.getvalue() == "no MathJax 2\n"


def test_new_homeworks_help_names_every_file_it_creates(capsys):
    """`dgmlab new-homework --help` says what the command writes: each file of the template, hidden.py included."""
    from dgmlab.authoring.template import template_folder

    with pytest.raises(SystemExit):
        cli.main(["new-homework", "--help"])
    text = capsys.readouterr().out
    files = sorted(p.name for p in template_folder().glob("*.py"))
    assert "hidden.py" in files and all(f"\n  {name} " in text for name in files), text
    assert "never released" in text


def test_new_homeworks_help_describes_the_kit_layout_too(capsys):
    with pytest.raises(SystemExit):
        cli.main(["new-homework", "--help"])
    text = capsys.readouterr().out
    assert "With --kit" in text and "checks/ and hidden/ packages" in text and "docs/authoring.md" in text


def test_a_kit_homeworks_next_steps_write_its_page_first_and_record_outputs_after_the_build():
    """The page's skeleton needs the points the build sums; make notebooks ends with the points tables, which need
    docs/<hw>.md; the template's checked cell needs --record-outputs (the engineer trials' F3, F4 and F2.1)."""
    from dgmlab.authoring.template import kit_next_steps

    text = kit_next_steps("hw6_vae")
    at = {step: text.index(step) for step in ("dgmlab build hw6_vae", "docs/hw6_vae.md", "README.md",
                                               "make notebooks HW=hw6_vae",
                                               "dgmlab build --record-outputs hw6_vae", "test_proofs.py -k hw6_vae")}
    assert list(at.values()) == sorted(at.values()), text


def _help(capsys) -> str:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    return capsys.readouterr().out


def _listed(help_text: str) -> set:
    return set(re.findall(r"^    (\S+)", help_text, flags=re.M))


def test_a_students_help_lists_only_the_students_commands(monkeypatch, capsys):
    monkeypatch.setattr(cli, "grader_installed", lambda: False)  # the student wheel alone (no dgmlab.grading)
    text = _help(capsys)
    assert _listed(text) == set(cli.STUDENT_COMMANDS), text
    assert "dgmlab-grader" in text, "the help says where the other commands come from"


def test_a_grader_command_in_a_students_install_names_the_missing_grader(monkeypatch, capsys):
    monkeypatch.setattr(cli, "grader_installed", lambda: False)

    def report_without_the_grader(args):
        raise ModuleNotFoundError("No module named 'dgmlab.grading'", name="dgmlab.grading")

    monkeypatch.setattr(cli, "cmd_report", report_without_the_grader)
    assert cli.main(["report", "hw3_flows"]) == 2
    assert "dgmlab-grader" in capsys.readouterr().err


def test_an_instructors_help_lists_every_command(capsys):
    assert set(cli.command_parsers()) <= _listed(_help(capsys))


def test_log_level_warning_leaves_out_the_grader_s_info_lines(dgmlab_log, capsys):
    cli.log_to_stderr("warning")
    logging.getLogger("dgmlab.grading.autograde.slurm").info("dgmlab: SLURM jobs: 12 running")
    logging.getLogger("dgmlab.grading.course").warning("WARNING: grading WITHOUT a sandbox")
    assert capsys.readouterr().err == "WARNING: grading WITHOUT a sandbox\n"


def test_log_level_debug_shows_the_grader_s_debug_lines(dgmlab_log, capsys):
    cli.log_to_stderr("debug")
    logging.getLogger("dgmlab.grading.autograde.coordinator").debug("dgmlab: hw1 / ada: graded in 5.0 s")
    assert capsys.readouterr().err == "dgmlab: hw1 / ada: graded in 5.0 s\n"


def test_the_command_line_s_log_level_is_the_one_set(dgmlab_log, capsys):
    assert cli.main(["--log-level", "WARNING", "info"]) == 0  # any case, as logging's own names are written
    assert dgmlab_log.level == logging.WARNING


def test_an_unknown_log_level_is_refused_naming_the_levels(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--log-level", "loud", "info"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "'loud'" in err and all(level in err for level in cli.LOG_LEVELS), err
