import re

import numpy as np
import pytest
import sympy as sp
import torch

from dgmlab.probes import asserts

x, y = sp.symbols("x y")


def test_sympy_equal_accepts_equivalent_forms():
    asserts.assert_sympy_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2 + x, 1 + x)


def test_sympy_equal_rejects_without_revealing_answer():
    with pytest.raises(asserts.CheckError) as err:
        asserts.assert_sympy_equal(x ** 2 / 2, x ** 2 / 4, "kl")
    assert "x**2/4" not in str(err.value) and "not equivalent" in str(err.value)


def test_sympy_equal_names_wrong_symbols():
    with pytest.raises(asserts.CheckError, match="depends on"):
        asserts.assert_sympy_equal(x + y, 2 * x, "expr")


def test_sympy_expr_rejects_non_sympy_and_extra_symbols():
    with pytest.raises(asserts.CheckError, match="sympy expression"):
        asserts.assert_sympy_expr(1.5, "expr")
    with pytest.raises(asserts.CheckError, match="only"):
        asserts.assert_sympy_expr(x + y, "expr", symbols=[x])


def test_assert_close_passes_within_tolerance():
    asserts.assert_close(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]))


def test_assert_close_reports_shape_and_error():
    with pytest.raises(asserts.CheckError, match="shape"):
        asserts.assert_close(torch.zeros(3), torch.zeros(2))
    with pytest.raises(asserts.CheckError, match="off by"):
        asserts.assert_close(torch.tensor([1.0]), torch.tensor([2.0]))


def _close_message(got, want, **kw) -> str:
    with pytest.raises(asserts.CheckError) as err:
        asserts.assert_close(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), **kw)
    return str(err.value)


# expected values of very different sizes and signs: a message that depends on them beyond a power of ten leaks them
WANTS = [np.array([2.33, -0.7, 5.1]), np.array([-0.0123, 4.0, 1.0]), np.array([871.0, 3.3, -12.0]),
         np.array([1e-3, 2e-3, -7e-3])]


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?%?", text)


def test_assert_close_says_the_same_for_an_answer_of_zeros_whatever_the_expected_value():
    # red team s60 F3: "largest error 2.33 (tolerance 2.33e-09)" for zeros was |want| on the grader's draw
    said = {_close_message(np.zeros(3), want, rtol=1e-9, atol=1e-12, name="the density") for want in WANTS}
    assert len(said) == 1, said
    assert said == {"the density is not close to the expected value at index (0,): off by as much as the expected "
                    "value itself or more (allowed: rtol=1e-09, atol=1e-12)"}


def test_assert_close_says_the_same_for_answers_off_by_the_same_relative_error():
    for off in (3e-2, 4e-4):
        said = {_close_message(want * (1 + off), want, rtol=1e-5, atol=1e-9) for want in WANTS}
        assert len(said) == 1, said


def test_assert_close_gives_an_error_only_to_a_power_of_ten():
    # a fixed answer against expected values that differ by less than a factor of ten: the message changes at
    # most in the power of ten it names, and holds no number but the index, the tolerances and powers of ten
    for want in (1.004, 1.04, 1.4, 2.5, 9.0, -3.0, 0.0):
        said = _close_message([1.0, 1.0], [1.0, want], rtol=1e-5, atol=1e-6)
        assert all(n in {"1", "0", "10", "100", "0.1", "1e-05", "1e-06"} or re.fullmatch(r"1e-?\d+|[\d.]+%", n)
                   for n in _numbers(said.split("index", 1)[1])), said
        assert "at index (1,)" in said and str(want) not in said.replace("1e-05", "").replace("1e-06", "")
    assert _close_message([1.0], [1.004]) != _close_message([1.0], [1.4])  # still says how far off, coarsely


def test_assert_close_names_no_index_for_a_single_number():
    # careful-student trial (issue 62): a 0-d tensor's hint said "at index ()"
    for got, want in ((torch.tensor(1.0), np.float64(2.0)), (1.0, 2.0)):
        for reveal in (False, True):
            said = _close_message(got, want, reveal=reveal)
            assert "index" not in said and "()" not in said, said
            assert said.startswith("the answer is not close to the expected value: "), said
    assert "at index (0,)" in _close_message([1.0], [2.0])  # a one-element array still has its index


def test_assert_close_calls_a_0d_shape_a_single_number():
    assert _close_message(2.0, [1.0, 2.0]) == "the answer is a single number, expected shape (2,)"
    assert _close_message([1.0, 2.0], 2.0) == "the answer has shape (2,), expected a single number"
    assert _close_message([1.0, 2.0], [1.0, 2.0, 3.0]) == "the answer has shape (2,), expected shape (3,)"


def test_assert_close_reveals_got_and_expected_only_when_asked():
    assert "expected 2.33" in _close_message([0.0], [2.33], reveal=True)
    assert "2.33" not in _close_message([0.0], [2.33])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_assert_close_fails_when_the_value_to_compare_with_is_not_finite(bad):
    # a forged or broken reference must not let any answer through (red team F10: NaN made err > bound False)
    with pytest.raises(asserts.CheckError, match="cannot be checked"):
        asserts.assert_close(torch.tensor([1.0, 5.0]), np.array([1.0, bad]))


def test_assert_close_rejects_nan():
    with pytest.raises(asserts.CheckError, match="NaN"):
        asserts.assert_close(torch.tensor([float("nan")]), torch.tensor([0.0]))


def test_rigged_eq_object_cannot_pass():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        def __bool__(self):
            return True

    with pytest.raises(asserts.CheckError, match="must be a torch.Tensor"):
        asserts.assert_close(AlwaysEqual(), 1.0)


def test_assert_tensor_flags_detached_results():
    w = torch.ones(2, requires_grad=True)
    asserts.assert_tensor(w * 2, "out", shape=(2,), requires_grad=True)
    with pytest.raises(asserts.CheckError, match="detached"):
        asserts.assert_tensor((w * 2).detach(), "out", requires_grad=True)


def test_the_student_package_computes_no_transport_cost():
    """The exact W1 and LP solves answer hw2 P3(b)/P4(b) and hw4 P5: they are the grader's, not dgmlab.probes.asserts'."""
    assert not hasattr(asserts, "discrete_w1") and not hasattr(asserts, "linprog_value")


def test_assert_coupling_detects_wrong_marginals():
    with pytest.raises(asserts.CheckError, match="column sums"):
        asserts.assert_coupling(np.array([[0.5, 0.0], [0.0, 0.5]]), [0.5, 0.5], [0.25, 0.75])


def test_off_by_says_the_same_for_an_answer_of_zeros_whatever_the_expected_value():
    said = {asserts.off_by(np.zeros(3), want) for want in WANTS} | {asserts.off_by(0.0, 2.33), asserts.off_by(0.0, -871.0)}
    assert said == {"off by as much as the expected value itself or more"}


def test_off_by_gives_the_relative_error_only_to_a_power_of_ten():
    assert {asserts.off_by(want * 1.03, want) for want in WANTS} == {"off by 1% to 10% of the expected value"}
    assert asserts.off_by(torch.tensor([1.0]), torch.tensor([1.004])) == "off by 0.1% to 1% of the expected value"
