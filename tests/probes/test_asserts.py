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
    with pytest.raises(asserts.CheckError, match="largest error"):
        asserts.assert_close(torch.tensor([1.0]), torch.tensor([2.0]))


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
