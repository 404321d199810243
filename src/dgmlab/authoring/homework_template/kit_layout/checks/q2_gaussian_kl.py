"""Q2's visible tests: ``kl_gauss`` is exact, in mu and sigma only, and 0 only at the standard normal (by value at
points, never ``kl.subs`` or ``simplify``: docs/sympy_answers.md)."""
from dgmlab.probes import CheckSpec, asserts
from dgmlab.probes.points import points

# (mu, sigma) where N(mu, sigma^2) differs from N(0, 1): a KL divergence is positive there and 0 at (0, 1) only
DIFFERENT = ((-1, 1), (0, 2), (0, "1/2"))


@points(1)
def test_is_exact_and_zero_only_at_the_standard_normal(v, ref):
    import cmath

    import sympy as sp

    kl = v.kl_gauss
    if not isinstance(kl, sp.Expr):
        raise AssertionError(f"expected kl_gauss to be a sympy expression, found {type(kl).__name__}")
    names = {s.name for s in kl.free_symbols}
    if not names <= {"mu", "sigma"}:
        raise AssertionError(f"expected kl_gauss in the symbols mu and sigma only, found {sorted(names)}")
    if asserts.has_float(kl):
        raise AssertionError("expected exact numbers in kl_gauss (sp.Rational(1, 2), not 0.5)")

    def at(mu, sigma):
        value = asserts.sympy_number(kl, {"mu": sp.Rational(mu), "sigma": sp.Rational(sigma)}, "kl_gauss")
        if not cmath.isfinite(value):
            raise AssertionError(f"kl_gauss is not a finite number at mu = {mu}, sigma = {sigma}")
        if not abs(value.imag) < 1e-20:
            raise AssertionError(f"kl_gauss is complex at mu = {mu}, sigma = {sigma}: a log of a negative?")
        return value.real

    same = at(0, 1)
    if not abs(same) < 1e-25:
        raise AssertionError(f"expected kl_gauss = 0 at mu = 0, sigma = 1 (N(0, 1) against itself), found "
                             f"{same:.4g}: is a constant term off?")
    for mu, sigma in DIFFERENT:
        found = at(mu, sigma)
        if not found > 1e-20:
            raise AssertionError(
                f"expected kl_gauss > 0 at mu = {mu}, sigma = {sigma}, where N(mu, sigma^2) is not N(0, 1), found "
                f"{found:.4g}: a KL divergence between different distributions is positive")


CHECKS = [
    CheckSpec("q2_gaussian_kl_tests", names=("kl_gauss",), visible=(test_is_exact_and_zero_only_at_the_standard_normal,),
              hidden_for="equality with the closed form"),
]
