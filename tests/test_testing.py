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


def test_patched_comparison_functions_fail_the_cell_and_are_restored():
    import torch

    from dgmlab import checks

    original = torch.allclose
    torch.allclose = lambda *a, **k: True
    ns = {"test_x": lambda: None}
    try:
        with pytest.raises(TestsFailed, match="torch.allclose"):
            run_tests(ns, quiet=True)
    finally:
        assert torch.allclose is original  # run_tests put it back
        torch.allclose = original
    saved = checks.assert_close
    checks.assert_close = lambda *a, **k: None
    with pytest.raises(TestsFailed, match="dgmlab.checks.assert_close"):
        run_tests({"test_y": lambda: None}, quiet=True)
    assert checks.assert_close is saved


def test_patched_tensor_equality_is_detected():
    import torch

    original = torch.Tensor.__eq__
    torch.Tensor.__eq__ = lambda self, other: True
    try:
        with pytest.raises(TestsFailed, match="torch.Tensor.__eq__"):
            run_tests({"test_z": lambda: None}, quiet=True)
    finally:
        torch.Tensor.__eq__ = original


def test_untouched_functions_pass_the_integrity_check():
    from dgmlab import integrity

    assert integrity.tampered() == []
