"""dgmlab.grading.references.transport: the grader's exact W1 and LP value."""
import numpy as np
import pytest

from dgmlab.grading.references import transport


def test_linprog_and_emd_agree_on_a_transport_problem():
    a, b = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    cost = np.array([[0.0, 1.0], [1.0, 0.0]])
    A_eq = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]], dtype=float)
    value, plan = transport.linprog_value(cost.ravel(), A_eq=A_eq, b_eq=np.r_[a, b])
    assert value == pytest.approx(0.25)
    assert transport.discrete_w1(a, b, cost) == pytest.approx(0.25)
    assert np.allclose(plan.reshape(2, 2).sum(axis=1), a) and np.allclose(plan.reshape(2, 2).sum(axis=0), b)


def test_discrete_w1_normalises_the_histograms():
    cost = np.array([[0.0, 2.0], [2.0, 0.0]])
    assert transport.discrete_w1([2.0, 0.0], [0.0, 5.0], cost) == pytest.approx(2.0)


def test_infeasible_lp_is_a_clear_error():
    with pytest.raises(transport.LinearProgramError, match="did not solve"):
        transport.linprog_value([1.0], A_eq=[[1.0]], b_eq=[-1.0])
