"""The in-cell runner: runs this cell's test_* functions, reports briefly, hides tracebacks."""
import pytest

from dgmlab.testing import TestsFailed, run_tests


def test_runs_tests_and_removes_them():
    ran = []
    ns = {"test_a": lambda: ran.append("a")}
    exec("def test_b():\n    ran.append('b')\n", {"ran": ran}, ns)
    run_tests(ns, quiet=True)
    assert sorted(ran) == ["a", "b"] and "test_a" not in ns and "test_b" not in ns


def test_failure_report_names_test_and_message():
    ns = {}
    exec("def test_sign():\n    assert False, 'the loss has the wrong sign'\n"
         "def test_ok():\n    pass\n", ns)
    with pytest.raises(TestsFailed) as err:
        run_tests(ns, quiet=True)
    assert "1 of 2 checks failed" in str(err.value) and "test_sign: the loss has the wrong sign" in str(err.value)


def test_rendered_traceback_is_only_the_report():
    ns = {}
    exec("def test_hidden():\n    secret = 42\n    assert secret == 41, 'value is off'\n", ns)
    with pytest.raises(TestsFailed) as err:
        run_tests(ns, quiet=True)
    rendered = "\n".join(err.value._render_traceback_())
    assert "secret" not in rendered and "value is off" in rendered


def test_non_assertion_errors_are_reported_by_type():
    ns = {}
    exec("def test_stub():\n    raise NotImplementedError()\n", ns)
    with pytest.raises(TestsFailed, match="NotImplementedError"):
        run_tests(ns, quiet=True)


def test_sys_exit_inside_a_test_is_a_failure_not_an_exit():
    ns = {}
    exec("import sys\ndef test_exit():\n    sys.exit(0)\n", ns)
    with pytest.raises(TestsFailed, match="SystemExit"):
        run_tests(ns, quiet=True)


def test_a_cell_without_tests_does_not_pass():
    with pytest.raises(RuntimeError, match="no test_"):
        run_tests({}, quiet=True)


def test_returns_none_so_nbgrader_cannot_read_a_score():
    assert run_tests({"test_x": lambda: None}, quiet=True) is None


def test_each_test_starts_from_the_same_seed():
    import torch

    draws = []
    ns = {"test_1": lambda: draws.append(torch.rand(1).item()), "test_2": lambda: draws.append(torch.rand(1).item())}
    run_tests(ns, quiet=True)
    assert draws[0] == draws[1]
