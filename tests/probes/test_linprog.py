"""dgmlab.probes.linprog: the programs a function hands to scipy.optimize.linprog, recorded as data."""
import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import Bounds, linprog

from dgmlab.probes import wire
from dgmlab.probes.linprog import linprog_bounds, recording_linprog


def _solve_with_imported_name(c, A_eq, b_eq):
    return linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=(0, 3), method="highs").fun


def test_a_call_through_an_imported_name_is_recorded_and_still_solved():
    out, calls = recording_linprog(_solve_with_imported_name, [1.0, 2.0], [[1.0, 1.0]], [1.0])
    assert out == pytest.approx(1.0)
    assert len(calls) == 1
    assert calls[0]["c"].tolist() == [1.0, 2.0] and calls[0]["A_eq"].tolist() == [[1.0, 1.0]]
    assert calls[0]["A_ub"] is None and calls[0]["bounds"] == (0, 3) and calls[0]["n"] == 2


def test_linprog_is_restored_after_the_run_even_when_the_function_raises():
    def broken():
        so.linprog([1.0], bounds=(0, 1), method="highs")
        raise RuntimeError("after the solve")

    out, calls = recording_linprog(broken)
    assert isinstance(out, wire.Raised) and len(calls) == 1
    assert so.linprog is linprog and _solve_with_imported_name.__globals__["linprog"] is linprog


def test_arrays_over_max_items_are_recorded_by_shape_only():
    _, calls = recording_linprog(lambda: so.linprog(np.ones(5), A_ub=np.eye(5), b_ub=np.ones(5)), max_items=10)
    assert calls[0]["A_ub"] == {"shape": [5, 5]} and calls[0]["c"].shape == (5,)


def test_bounds_default_to_non_negative_variables():
    lower, upper = linprog_bounds(None, 3)
    assert lower.tolist() == [0.0, 0.0, 0.0] and upper.tolist() == [np.inf] * 3


def test_bounds_per_variable_and_scipy_bounds_read_alike():
    pairs = linprog_bounds([(None, 1), (2, None)], 2)
    scipy_bounds = linprog_bounds(Bounds([-np.inf, 2], [1, np.inf]), 2)
    for got, want in zip(pairs, scipy_bounds, strict=True):
        assert got.tolist() == want.tolist()


def test_bounds_for_another_number_of_variables_are_refused():
    with pytest.raises(ValueError, match="bounds for 3 variables, the program has 2"):
        linprog_bounds([(0, 1)] * 3, 2)
