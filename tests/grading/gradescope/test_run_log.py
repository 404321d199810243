"""run_autograder's messages (dgmlab.grading.gradescope.run): the grader's loggers, INFO and up, on stdout, the
message alone, where Gradescope shows them to the instructor."""
import logging

import pytest

from dgmlab.grading.gradescope import run


@pytest.fixture
def dgmlab_logger():
    top = logging.getLogger("dgmlab")
    saved = (list(top.handlers), top.level, top.propagate)
    top.handlers[:] = []  # as in run_autograder's own process (another test may have run `dgmlab`'s main)
    yield top
    top.handlers[:] = saved[0]
    top.setLevel(saved[1])
    top.propagate = saved[2]


def test_the_graders_messages_reach_stdout_alone_and_once(dgmlab_logger, capsys):
    run.log_to_stdout()
    run.log_to_stdout()  # main may be called again in one process: still one handler
    logging.getLogger("dgmlab.grading.gradescope.run").info("dgmlab: isolation: %s", "the bubblewrap sandbox")
    logging.getLogger("dgmlab.grading.autograde.worker").debug("not shown")
    captured = capsys.readouterr()
    assert captured.out == "dgmlab: isolation: the bubblewrap sandbox\n"
    assert captured.err == ""
