import numpy as np
import pytest
import sympy as sp
import torch

from dgmlab import checks

x, y = sp.symbols("x y")


def test_sympy_equal_accepts_equivalent_forms():
    checks.assert_sympy_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2 + x, 1 + x)


def test_sympy_equal_rejects_without_revealing_answer():
    with pytest.raises(checks.CheckError) as err:
        checks.assert_sympy_equal(x ** 2 / 2, x ** 2 / 4, "kl")
    assert "x**2/4" not in str(err.value) and "not equivalent" in str(err.value)


def test_sympy_equal_names_wrong_symbols():
    with pytest.raises(checks.CheckError, match="depends on"):
        checks.assert_sympy_equal(x + y, 2 * x, "expr")


def test_sympy_expr_rejects_non_sympy_and_extra_symbols():
    with pytest.raises(checks.CheckError, match="sympy expression"):
        checks.assert_sympy_expr(1.5, "expr")
    with pytest.raises(checks.CheckError, match="only"):
        checks.assert_sympy_expr(x + y, "expr", symbols=[x])


def test_assert_close_passes_within_tolerance():
    checks.assert_close(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]))


def test_assert_close_reports_shape_and_error():
    with pytest.raises(checks.CheckError, match="shape"):
        checks.assert_close(torch.zeros(3), torch.zeros(2))
    with pytest.raises(checks.CheckError, match="largest error"):
        checks.assert_close(torch.tensor([1.0]), torch.tensor([2.0]))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_assert_close_fails_when_the_value_to_compare_with_is_not_finite(bad):
    # a forged or broken reference must not let any answer through (red team F10: NaN made err > bound False)
    with pytest.raises(checks.CheckError, match="cannot be checked"):
        checks.assert_close(torch.tensor([1.0, 5.0]), np.array([1.0, bad]))


def test_assert_close_rejects_nan():
    with pytest.raises(checks.CheckError, match="NaN"):
        checks.assert_close(torch.tensor([float("nan")]), torch.tensor([0.0]))


def test_rigged_eq_object_cannot_pass():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        def __bool__(self):
            return True

    with pytest.raises(checks.CheckError, match="must be a torch.Tensor"):
        checks.assert_close(AlwaysEqual(), 1.0)


def test_assert_tensor_flags_detached_results():
    w = torch.ones(2, requires_grad=True)
    checks.assert_tensor(w * 2, "out", shape=(2,), requires_grad=True)
    with pytest.raises(checks.CheckError, match="detached"):
        checks.assert_tensor((w * 2).detach(), "out", requires_grad=True)


def test_linprog_and_emd_agree_on_a_transport_problem():
    a, b = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    cost = np.array([[0.0, 1.0], [1.0, 0.0]])
    A_eq = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]], dtype=float)
    value, plan = checks.linprog_value(cost.ravel(), A_eq=A_eq, b_eq=np.r_[a, b])
    assert value == pytest.approx(0.25)
    assert checks.discrete_w1(a, b, cost) == pytest.approx(0.25)
    checks.assert_coupling(plan.reshape(2, 2), a, b)


def test_infeasible_lp_is_a_clear_error():
    with pytest.raises(checks.CheckError, match="did not solve"):
        checks.linprog_value([1.0], A_eq=[[1.0]], b_eq=[-1.0])


def test_assert_coupling_detects_wrong_marginals():
    with pytest.raises(checks.CheckError, match="column sums"):
        checks.assert_coupling(np.array([[0.5, 0.0], [0.0, 0.5]]), [0.5, 0.5], [0.25, 0.75])
