"""Hidden tests of this homework: the grader's alone. `dgmlab build` copies this file to source/<hw>/hidden.py, the
grader runs it on each submission's values, and the release never gives it to students (so the references may
live here).

Each test is ``test_x(v, ref)``, written as the visible ones in checks.py: ``v.<name>`` the probe's values on the
grader's draw, ``v.inputs`` that draw, ``ref`` the grader's side (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them
by test cell, in order; each carries its points, ``@points(w)``, which add up to the cell's hidden share.

``EXPECTED`` (optional) gives, by test cell, the reference values on a draw of the cell's inputs, ``fn(inputs) ->
{name: value}``: what ``ref.<name>`` reads in its visible and hidden tests. The grader computes them on its draw;
``dgmlab build --record-expected <hw>`` records them on the visible tests' draw into expected.json, the data a
student's self-check compares with (the functions themselves are never released).
"""
import sympy as sp
import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points

mu = sp.Symbol("mu", real=True)  # as the locked cell q2_symbols defines them
sigma = sp.Symbol("sigma", positive=True)


# ------------------------------------------------------------------ q1_log_density_tests
def expected_log_density(inputs):
    """The reference on the cell's draw (checks.py's inputs): ``ref.log_density``."""
    x, loc, log_sigma = inputs["x"], inputs["mu"], inputs["log_sigma"]
    return {"log_density": torch.distributions.Normal(loc, log_sigma.exp()).log_prob(x)}


@points(2)
def test_values_on_a_fresh_draw(v, ref):
    asserts.assert_close(v.log_density, ref.log_density, rtol=1e-9, atol=1e-12,
                         name="gaussian_log_density")


# ------------------------------------------------------------------ q2_gaussian_kl_tests
@points(2)
def test_equals_the_closed_form_exactly(v, ref):
    value = asserts.as_sympy(v.kl_gauss, "kl_gauss")
    if asserts.has_float(value):
        raise AssertionError("kl_gauss holds a float: write exact numbers (sp.Rational(1, 2), not 0.5)")
    reference = (sigma ** 2 + mu ** 2 - 1) / 2 - sp.log(sigma)
    # by value at points in each symbol's domain (docs/sympy_answers.md): every form sympy writes for it is equal
    if not asserts.sympy_equivalent(value, reference):
        raise AssertionError(
            "kl_gauss is not KL(N(mu, sigma^2) || N(0, 1)) (check the constant and which distribution comes first)")


HIDDEN = {
    "q1_log_density_tests": (test_values_on_a_fresh_draw,),
    "q2_gaussian_kl_tests": (test_equals_the_closed_form_exactly,),
}
EXPECTED = {"q1_log_density_tests": expected_log_density}
