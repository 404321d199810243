"""Q2's hidden test: ``kl_gauss`` equals the closed form by value at points in each symbol's domain
(docs/sympy_answers.md), whatever form sympy wrote it in."""
import sympy as sp

from dgmlab.probes import asserts
from dgmlab.probes.points import points

mu = sp.Symbol("mu", real=True)  # as the locked cell q2_symbols defines them
sigma = sp.Symbol("sigma", positive=True)


@points(2)
def test_equals_the_closed_form(v, ref):
    value = asserts.as_sympy(v.kl_gauss, "kl_gauss")
    if asserts.has_float(value):
        raise AssertionError("kl_gauss holds a float: write exact numbers (sp.Rational(1, 2), not 0.5)")
    if not asserts.sympy_equivalent(value, (sigma ** 2 + mu ** 2 - 1) / 2 - sp.log(sigma)):
        raise AssertionError(
            "kl_gauss is not KL(N(mu, sigma^2) || N(0, 1)) (check the constant and which distribution comes first)")


HIDDEN = {"q2_gaussian_kl_tests": (test_equals_the_closed_form,)}
