"""The in-cell runner: runs this cell's test_* functions, reports briefly, hides tracebacks."""
import sys

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


def test_a_patched_grader_generator_is_detected_and_put_back():
    """hw4's cells draw from dgmlab.artifacts.MLPGenerator, the grader's copy of the specified generator: a notebook
    that rewrites its forward pass (say, to return stored images) fails the cell, and the original is put back."""
    from dgmlab import artifacts

    original = artifacts.MLPGenerator.forward
    artifacts.MLPGenerator.forward = lambda self, z, labels=None: z
    try:
        with pytest.raises(TestsFailed, match="dgmlab.artifacts.MLPGenerator.forward"):
            run_tests({"test_w": lambda: None}, quiet=True)
        assert artifacts.MLPGenerator.forward is original
    finally:
        artifacts.MLPGenerator.forward = original


NETWORK_CELL = """
class Net:
    def forward(self, z):
        return z * 2
"""


def _protected_net(ns):
    """``ns`` after running the locked cell NETWORK_CELL and protecting its class, as hw1's networks cell does."""
    from dgmlab import integrity

    exec(NETWORK_CELL, ns)
    integrity.protect(ns, "Net")
    return ns


def _forget(name):
    from dgmlab import integrity, testing

    integrity._protected.pop(name, None)
    testing._PROTECTED_SHADOW.pop(name, None)


def test_a_method_replaced_on_a_protected_class_fails_the_cell_and_is_put_back():
    ns = _protected_net({})
    original = ns["Net"].forward
    try:
        ns["Net"].forward = lambda self, z: "stored samples"
        with pytest.raises(TestsFailed, match=r"the notebook's Net\.forward"):
            run_tests({"test_x": lambda: None}, quiet=True)
        assert ns["Net"].forward is original
        ns["Net"].__call__ = lambda self, z: "stored samples"  # an added method counts too
        with pytest.raises(TestsFailed, match=r"the notebook's Net\.__call__"):
            run_tests({"test_x": lambda: None}, quiet=True)
        assert "__call__" not in vars(ns["Net"])
    finally:
        _forget("Net")


def test_protecting_a_redefined_name_again_does_not_hide_it():
    """A notebook that redefines a protected class and calls protect() itself is still caught; running the
    locked cell again (the same source) protects the new class and passes."""
    from dgmlab import integrity

    ns = _protected_net({})
    try:
        exec("class Net:\n    def forward(self, z):\n        return 'stored samples'\n", ns)
        integrity.protect(ns, "Net")
        with pytest.raises(TestsFailed, match="the notebook's Net"):
            run_tests({"test_x": lambda: None}, quiet=True)
        _protected_net(ns)  # the locked cell run again
        assert run_tests({"test_x": lambda: None}, quiet=True) is None
    finally:
        _forget("Net")


def test_untouched_functions_pass_the_integrity_check():
    from dgmlab import integrity

    assert integrity.tampered() == []


# ---------------------------------------------------------------- points per test
POINTS_CELL = '''
from dgmlab.testing import points, run_tests

@points(2)
def test_shape():
    assert RESULT["shape"], "expected shape (5,), found (5, 1): did you forget .squeeze(-1)?"

def test_sign():
    assert RESULT["sign"], "the log-density has the wrong sign"

### BEGIN HIDDEN TESTS
def test_hidden_value():
    secret_expected = 0.125
    assert RESULT["value"], "the value at x* is off"

def test_hidden_other():
    assert RESULT["other"], "the density does not integrate to 1"
### END HIDDEN TESTS

run_tests(points=10, hidden=4)
'''


def _points_cell(source=POINTS_CELL, **result):
    """Run ``source`` as a test cell (file name ``cell-under-test``) with RESULT flags; return its Score."""
    from dgmlab.testing import run_tests

    flags = {"shape": True, "sign": True, "value": True, "other": True, **result}
    ns = {"RESULT": flags}
    body = source.replace("run_tests(points=10, hidden=4)", "")
    exec(compile(body, "cell-under-test", "exec"), ns)
    return run_tests(ns, quiet=True, points=10, hidden=4, source=source)


def test_plan_gives_decorated_tests_their_points_and_splits_the_rest_equally():
    from dgmlab.testing import plan

    p = plan(POINTS_CELL, strict=True)
    assert [(s.name, s.points, s.hidden) for s in p.tests] == [
        ("test_shape", 2, False), ("test_sign", 4, False), ("test_hidden_value", 2, True),
        ("test_hidden_other", 2, True)]


def test_plan_rejects_points_that_cannot_add_up():
    from dgmlab.testing import PlanError, plan

    with pytest.raises(PlanError, match="add up to 7"):
        plan(POINTS_CELL.replace("@points(2)", "@points(7)"), strict=True)


def test_plan_of_an_all_or_nothing_cell_is_none():
    from dgmlab.testing import plan

    assert plan("def test_a():\n    pass\nrun_tests()\n") is None


def test_points_cell_earns_the_sum_of_its_passed_tests():
    assert float(_points_cell(sign=False, other=False)) == 4.0  # test_shape 2 + test_hidden_value 2


def test_points_cell_earns_everything_when_all_pass_and_nothing_when_all_fail():
    assert float(_points_cell()) == 10.0
    assert float(_points_cell(shape=False, sign=False, value=False, other=False)) == 0.0


def _points_cell_output(capsys, **result) -> str:
    """What the example cell prints when its tests see ``result`` (run_tests called directly, so nothing raises)."""
    from dgmlab.testing import run_tests

    ns = {"RESULT": {"shape": True, "sign": True, "value": True, "other": True, **result}}
    exec(compile(POINTS_CELL.replace("run_tests(points=10, hidden=4)", ""), "cell-x", "exec"), ns)
    run_tests(ns, points=10, hidden=4, source=POINTS_CELL)
    return capsys.readouterr().out


def test_points_cell_does_not_raise_and_prints_each_tests_points(capsys):
    out = _points_cell_output(capsys, shape=False)
    assert "FAILED test_shape: 0 of 2 points. expected shape (5,), found (5, 1)" in out
    assert "passed test_sign: 4 of 4 points" in out and "8 of 10 points" in out


def test_failed_hidden_test_shows_its_name_and_reason_never_its_source(capsys):
    out = _points_cell_output(capsys, value=False)
    assert "FAILED test_hidden_value: 0 of 2 points (hidden test). the value at x* is off" in out
    assert "secret_expected" not in out and "0.125" not in out


def test_release_cell_says_how_many_points_hidden_tests_decide(capsys):
    from dgmlab.grading.preprocessors import strip_hidden
    from dgmlab.testing import run_tests

    release = "\n".join(line for line in strip_hidden(POINTS_CELL).splitlines() if "hidden tests" not in line)
    ns = {"RESULT": {"shape": True, "sign": True}}
    exec(compile(release.replace("run_tests(points=10, hidden=4)", ""), "cell-r", "exec"), ns)
    score = run_tests(ns, points=10, hidden=4, source=release)
    out = capsys.readouterr().out
    assert float(score) == 6.0 and "4 more points are decided by hidden tests when graded" in out
    assert "dgmlab.check()" in out


def test_points_must_be_written_in_the_cell():
    from dgmlab.testing import run_tests

    ns = {"test_a": lambda: None}
    with pytest.raises(RuntimeError, match="written in the test cell"):
        run_tests(ns, quiet=True, points=10, source="def test_a():\n    pass\nrun_tests()\n")


def test_score_shows_one_number_and_a_signed_bundle():
    from dgmlab.testing import SCORE_MIME

    bundle = _points_cell(sign=False)._repr_mimebundle_()
    assert bundle["text/plain"] == "6" and bundle[SCORE_MIME]["earned"] == 6.0
    assert [t["passed"] for t in bundle[SCORE_MIME]["tests"]] == [True, False, True, True]


def test_a_changed_bundle_no_longer_verifies():
    from dgmlab import testing

    key = "11" * 32
    payload = {"earned": 4.0, "tests": []}
    payload["mac"] = __import__("hmac").new(bytes.fromhex(key), testing.canonical(payload), "sha256").hexdigest()
    assert testing.verify(dict(payload), key)
    assert not testing.verify({**payload, "earned": 10.0}, key)


# ---------------------------------------------------------------- the grader's check of a cell's result
def _graded_cell(source, outputs, points=10):
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    cell.metadata = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": points}}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def _signed_result(score, key_hex):
    from dgmlab import testing

    bundle = dict(score.bundle)
    bundle["mac"] = __import__("hmac").new(bytes.fromhex(key_hex), testing.canonical(bundle), "sha256").hexdigest()
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"text/plain": testing.score_text(float(score)), testing.SCORE_MIME: bundle}}


def test_grader_accepts_a_score_run_tests_signed():
    from dgmlab.grading.preprocessors import score_problem

    key = "ab" * 32
    cell = _graded_cell(POINTS_CELL.strip(), [_signed_result(_points_cell(sign=False), key)])
    assert score_problem(cell, key) is None


def test_grader_rejects_a_score_signed_with_another_key():
    from dgmlab.grading.preprocessors import score_problem

    cell = _graded_cell(POINTS_CELL.strip(), [_signed_result(_points_cell(), "cd" * 32)])
    assert "signature" in score_problem(cell, "ab" * 32)


def test_grader_rejects_a_plain_number_in_a_points_cell():
    from dgmlab.grading.preprocessors import score_problem

    forged = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "10"}}
    assert "not a score made by run_tests" in score_problem(_graded_cell(POINTS_CELL.strip(), [forged]), "ab" * 32)


def test_grader_rejects_any_result_in_an_all_or_nothing_cell():
    from dgmlab.grading.preprocessors import score_problem

    forged = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "5"}}
    assert "never does" in score_problem(_graded_cell("def test_a():\n    pass\nrun_tests()", [forged]), None)


def test_grader_rejects_a_second_result_beside_the_score():
    from dgmlab.grading.preprocessors import score_problem

    key = "ab" * 32
    extra = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "10"}}
    cell = _graded_cell(POINTS_CELL.strip(), [extra, _signed_result(_points_cell(sign=False), key)])
    assert "2 results" in score_problem(cell, key)


def test_grader_rejects_a_score_whose_tests_were_all_marked_passed():
    from dgmlab.grading.preprocessors import score_problem
    from dgmlab.testing import SCORE_MIME

    key = "ab" * 32
    result = _signed_result(_points_cell(sign=False), key)
    result["data"]["text/plain"] = "10"  # the number changed, the signed test list not
    assert "sum of the passed" in score_problem(_graded_cell(POINTS_CELL.strip(), [result]), key)
    assert result["data"][SCORE_MIME]["earned"] == 6.0


# ---------------------------------------------------------------- all-or-nothing cells: the signed verdict
AON_CELL = "def test_a():\n    pass\n\ndef test_b():\n    pass\n\nrun_tests()"


def _verdict(key_hex, source=AON_CELL, tests=("test_a", "test_b")):
    from dgmlab import testing

    bundle = {"v": 1, "passed": True, "seq": 1, "cell": testing.cell_digest(source), "tests": list(tests)}
    bundle["mac"] = __import__("hmac").new(bytes.fromhex(key_hex), testing.canonical(bundle), "sha256").hexdigest()
    return {"output_type": "display_data", "metadata": {}, "data": {testing.VERDICT_MIME: bundle}}


def test_grader_accepts_an_all_or_nothing_cell_with_its_signed_verdict():
    from dgmlab.grading.preprocessors import score_problem

    key = "ab" * 32
    assert score_problem(_graded_cell(AON_CELL, [_verdict(key)]), key) is None


def test_grader_rejects_an_all_or_nothing_cell_that_shows_no_verdict():
    """What a replaced ``run_tests`` that checks nothing leaves: no error, no verdict."""
    from dgmlab.grading.preprocessors import score_problem

    assert "no verdict" in score_problem(_graded_cell(AON_CELL, []), "ab" * 32)


def test_grader_rejects_a_verdict_signed_with_another_key():
    from dgmlab.grading.preprocessors import score_problem

    assert "signature" in score_problem(_graded_cell(AON_CELL, [_verdict("cd" * 32)]), "ab" * 32)


def test_grader_rejects_a_verdict_made_by_another_cell():
    from dgmlab.grading.preprocessors import score_problem

    key = "ab" * 32
    other = _verdict(key, source="def test_a():\n    pass\nrun_tests()", tests=("test_a",))
    assert "other code" in score_problem(_graded_cell(AON_CELL, [other]), key)


def test_grader_rejects_a_verdict_that_leaves_out_a_test():
    from dgmlab.grading.preprocessors import score_problem

    key = "ab" * 32
    assert "tests are not" in score_problem(_graded_cell(AON_CELL, [_verdict(key, tests=("test_a",))]), key)


def test_a_failing_all_or_nothing_cell_is_left_to_its_error():
    from dgmlab.grading.preprocessors import score_problem

    error = {"output_type": "error", "ename": "TestsFailed", "evalue": "1 of 2", "traceback": []}
    assert score_problem(_graded_cell(AON_CELL, [error]), "ab" * 32) is None


def test_verify_scores_gives_zero_to_an_all_or_nothing_cell_without_its_verdict():
    import nbformat
    from nbgrader.utils import determine_grade

    from dgmlab.grading.preprocessors import VerifyScores

    nb = nbformat.v4.new_notebook(cells=[_graded_cell(AON_CELL, [])])
    nb, _ = VerifyScores().preprocess(nb, {})
    assert determine_grade(nb.cells[0]) == (0, 10.0)


def test_run_tests_shows_a_verdict_the_grader_accepts_only_while_grading(shell, monkeypatch):
    import IPython.display

    from dgmlab import testing
    from dgmlab.grading.preprocessors import score_problem

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    signer = testing._Signer()
    key = signer.announce()
    monkeypatch.setattr(testing, "_signer", signer)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert shell.run_cell(AON_CELL).success
    assert shown == []  # a student's own run shows nothing extra
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert shell.run_cell(AON_CELL).success
    (bundle,) = shown
    output = {"output_type": "display_data", "metadata": {}, "data": bundle}
    assert score_problem(_graded_cell(AON_CELL, [output]), key) is None
    assert bundle[testing.VERDICT_MIME]["tests"] == ["test_a", "test_b"]
    shown.clear()
    assert not shell.run_cell(AON_CELL.replace("pass", "assert False", 1)).success
    assert shown == []  # a failing cell raises and shows no verdict


def test_verify_scores_puts_the_rejection_first_so_nbgrader_gives_zero():
    import nbformat
    from nbgrader.utils import determine_grade

    from dgmlab.grading.preprocessors import VerifyScores

    forged = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "10"}}
    nb = nbformat.v4.new_notebook(cells=[_graded_cell(POINTS_CELL.strip(), [forged])])
    nb, _ = VerifyScores().preprocess(nb, {})
    assert determine_grade(nb.cells[0]) == (0, 10.0)


# ---------------------------------------------------------------- IPython-level tricks (an in-process shell)
@pytest.fixture
def shell(monkeypatch):
    """An IPython shell whose machinery the integrity snapshot recorded, as in a kernel's setup cell."""
    from IPython.core.interactiveshell import InteractiveShell

    from dgmlab import integrity, testing

    sh = InteractiveShell.instance()
    hooks = (sys.displayhook, sys.excepthook)
    monkeypatch.setattr(integrity, "_ipython", {})
    # dgmlab was imported outside the shell; in a kernel the setup cell imports it inside one (where
    # sys.displayhook is the shell's), so record again from inside a cell
    monkeypatch.setattr(integrity, "_originals", {k: v for k, v in integrity._originals.items() if k[0] != "sys"})
    sh.run_cell("import dgmlab.integrity\ndgmlab.integrity.snapshot()")
    monkeypatch.setattr(testing, "_ORIGINALS", integrity._originals)
    monkeypatch.setattr(testing, "_ORIGINALS_COPY", dict(integrity._originals))
    sh.run_cell("from dgmlab.testing import run_tests, points")
    yield sh
    integrity.restore()  # the shell's machinery as recorded, then pytest's own hooks
    sys.displayhook, sys.excepthook = hooks


FAILING_CELL = "def test_fails():\n    assert False, 'wrong answer'\nrun_tests()"


def test_a_custom_exception_handler_cannot_swallow_a_failure(shell):
    shell.run_cell("get_ipython().set_custom_exc((Exception,), lambda *a, **k: print('swallowed'))")
    result = shell.run_cell(FAILING_CELL)
    assert result.error_in_exec is not None and "set_custom_exc" in str(result.error_in_exec)
    assert shell.custom_exceptions == ()


def test_a_post_run_cell_hook_fails_the_cell_and_is_removed(shell):
    shell.run_cell("def show_ten(result):\n    get_ipython().displayhook(10)\n"
                   "get_ipython().events.register('post_run_cell', show_ten)")
    result = shell.run_cell("def test_ok():\n    pass\nrun_tests()")
    assert "post_run_cell" in str(result.error_in_exec)
    assert not shell.events.callbacks["post_run_cell"]


def test_a_float_text_printer_cannot_change_how_a_score_displays(shell):
    shell.run_cell("get_ipython().display_formatter.formatters['text/plain'].for_type(float, "
                   "lambda obj, p, cycle: p.text('10'))")
    shell.run_cell("RESULT = {'shape': True, 'sign': False, 'value': True, 'other': True}")
    score = shell.run_cell(POINTS_CELL).result
    assert float(score) == 6.0 and shell.display_formatter.format(score)[0]["text/plain"] == "6"


def test_sympy_init_printing_does_not_fail_a_test_cell(shell):
    shell.run_cell("import sympy\nsympy.init_printing()")
    result = shell.run_cell("def test_ok():\n    pass\nrun_tests()")
    assert result.error_in_exec is None


def test_a_replaced_text_formatter_fails_the_cell(shell):
    shell.run_cell("from IPython.core.formatters import PlainTextFormatter\n"
                   "get_ipython().display_formatter.formatters['text/plain'] = PlainTextFormatter()")
    result = shell.run_cell("def test_ok():\n    pass\nrun_tests()")
    assert "formatter text/plain" in str(result.error_in_exec)


def test_a_mimebundle_printer_for_scores_fails_the_cell(shell):
    shell.run_cell("from dgmlab.testing import Score\n"
                   "get_ipython().display_formatter.mimebundle_formatter.for_type(Score, "
                   "lambda obj, include=None, exclude=None: {'text/plain': '10'})")
    result = shell.run_cell("def test_ok():\n    pass\nrun_tests()")
    assert "mimebundle printers" in str(result.error_in_exec)


def test_a_replaced_displayhook_fails_the_cell(shell):
    shell.run_cell("hook = get_ipython().displayhook\n_write = hook.write_format_data\n"
                   "hook.write_format_data = lambda data, md=None: _write({**data, 'text/plain': '10'}, md)")
    result = shell.run_cell("def test_ok():\n    pass\nrun_tests()")
    assert "write_format_data" in str(result.error_in_exec)
    assert "write_format_data" not in vars(shell.displayhook)


def test_an_input_transformer_fails_the_cell(shell):
    shell.run_cell("get_ipython().input_transformers_post.append(lambda lines: lines)")
    result = shell.run_cell("def test_ok():\n    pass\nrun_tests()")
    assert "input_transformers_post" in str(result.error_in_exec)
    assert shell.input_transformers_post == []


def test_a_patched_run_tests_or_integrity_module_is_named():
    import dgmlab.integrity as integrity
    import dgmlab.testing as testing

    real_tampered, real_run = integrity.tampered, testing.run_tests
    testing.run_tests = lambda *a, **k: 10
    try:
        assert "dgmlab.testing.run_tests" in real_tampered()
        integrity.tampered = lambda: []
        assert "dgmlab.integrity.tampered" in real_tampered()
    finally:
        testing.run_tests, integrity.tampered = real_run, real_tampered


def test_a_student_function_that_patches_while_tested_fails_the_cell():
    import torch

    original = torch.allclose

    def sneaky():
        torch.allclose = lambda *a, **k: True

    try:
        with pytest.raises(TestsFailed, match="torch.allclose"):
            run_tests({"test_calls_student_code": sneaky}, quiet=True)
        assert torch.allclose is original
    finally:
        torch.allclose = original


def test_patching_the_integrity_module_does_not_switch_the_check_off():
    import torch

    from dgmlab import integrity

    saved, original = integrity.tampered, torch.allclose
    integrity.tampered = lambda: []
    torch.allclose = lambda *a, **k: True
    try:
        with pytest.raises(TestsFailed, match="torch.allclose"):
            run_tests({"test_x": lambda: None}, quiet=True)
    finally:
        integrity.tampered, torch.allclose = saved, original


def test_clearing_the_record_of_originals_is_detected():
    from dgmlab import integrity

    record = dict(integrity._originals)
    integrity._originals.clear()
    try:
        with pytest.raises(TestsFailed, match="record of the originals"):
            run_tests({"test_x": lambda: None}, quiet=True)
        assert integrity._originals == record  # put back
    finally:
        integrity._originals.update(record)
