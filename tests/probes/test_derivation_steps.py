"""A chain of sympy steps checked step by step (dgmlab.probes.derivation_steps): the first step that does not hold
is named with where it fails, the ends are the question's, and no text is parsed."""
import sympy as sp

from dgmlab.probes.derivation_steps import NO_STEPS, chain_report, expands_to_zero
from dgmlab.probes.sympy_values import number

x = sp.Symbol("x", positive=True)
POINTS = [{x: sp.Rational(1, 3)}, {x: sp.Rational(7, 5)}]
START, END = sp.log(4 * x ** 2), 2 * sp.log(2) + 2 * sp.log(x)


def report(steps, **kw):
    args = dict(start=START, end=END, points=POINTS, evaluate=lambda e, p: number(e, p),
                where=lambda p: f"x = {p[x]}", start_name="log(4 x^2)", end_name="2 log 2 + 2 log x", symbols=(x,))
    return chain_report(steps, **{**args, **kw})


def test_a_chain_whose_steps_all_hold_passes_naming_its_ends():
    assert report([START, sp.log(4) + sp.log(x ** 2), 2 * sp.log(2) + 2 * sp.log(x)]) == (
        True, "steps 1-3 hold, from log(4 x^2) to 2 log 2 + 2 log x")


def test_no_steps_or_an_empty_list_says_no_steps_given():
    assert report(None) == (False, NO_STEPS)
    assert report([]) == (False, NO_STEPS)


def test_the_first_step_that_does_not_hold_is_named_with_the_point_and_both_values():
    holds, message = report([START, sp.log(4) + sp.log(x ** 2), sp.log(2) + 2 * sp.log(x), END])
    assert not holds
    assert message.startswith("steps 1-2 hold; step 2 -> 3 does not (at x = 1/3: -0.81093 vs -1.50408)")


def test_a_step_off_from_the_start_or_the_end_is_named():
    assert report([sp.log(x), sp.log(x)])[1] == ("steps 1-2 hold; step 1 is not log(4 x^2) (at x = 1/3: -1.09861 vs "
                                                 "-0.81093); the last step (2) is not 2 log 2 + 2 log x (at x = 1/3: "
                                                 "-1.09861 vs -0.81093)")


def test_a_step_in_another_symbol_is_refused_naming_it():
    y = sp.Symbol("y")
    assert report([START, START + y - y + sp.log(y)]) == (False, "step 2 uses y: write every step in x only")


def test_a_string_step_is_refused_never_parsed():
    holds, message = report([START, "2*log(2) + 2*log(x)"])
    assert not holds and "step 2" in message and "str" in message


def test_logs_of_products_expand_to_zero_exactly():
    assert expands_to_zero(sp.log(4 * x ** 2) - 2 * sp.log(2) - 2 * sp.log(x))
    assert not expands_to_zero(sp.log(4 * x) - sp.log(x))


def test_a_step_with_a_complex_value_at_a_point_does_not_hold():
    holds, message = report([START, START + sp.log(x - 2) - sp.log(2 - x), END])
    assert not holds
    assert message.startswith("step 1 -> 2 does not (at x = 1/3: -0.81093 vs -0.81093+3.14159i)")
