"""Visible checks of this homework (released to students with the notebook, so no reference and no answer here:
what a visible test compares with is ``ref``, the values hidden.py's ``EXPECTED`` gives on the test's inputs,
recorded into expected.json beside this file by ``dgmlab build --record-expected <hw>`` and computed by the
grader when graded).

Each test carries its points, ``@points(w)``, the one place they are written: a cell is worth its visible and hidden
tests' points summed, its hidden share hidden.py's, which ``dgmlab build`` writes into points.json beside this file
(released with it: a student's kernel has no hidden.py to sum), so a ``CheckSpec`` gives neither and the notebook's
test cell header needs no ``points=``."""
from dgmlab.probes import CheckSpec, attempt, on_working, seeded_generator, with_working, working
from dgmlab.probes.points import points


def _log_density_inputs(seed):
    import torch

    g = seeded_generator(seed, 1)
    return {"x": torch.randn(6, generator=g, dtype=torch.float64),
            "mu": torch.randn(6, generator=g, dtype=torch.float64),
            "log_sigma": 0.5 * torch.randn(6, generator=g, dtype=torch.float64)}


def _log_density_probe(o, inputs):
    return {"log_density": attempt(o["gaussian_log_density"], inputs["x"], inputs["mu"], inputs["log_sigma"])}


@points(1)
def test_returns_one_float64_value_per_x(v, ref):
    import torch

    value = v.log_density
    if not (isinstance(value, torch.Tensor) and value.shape == v.inputs.x.shape and value.dtype == torch.float64):
        raise AssertionError(
            f"expected a float64 tensor of shape {tuple(v.inputs.x.shape)}, found {type(value).__name__} "
            f"{getattr(value, 'dtype', '')} {tuple(getattr(value, 'shape', ()))}")


# working(v): the values on this test's own draw (the working seed's in a self-check, compared with the recorded
# values in expected.json; the grader's draw when graded, compared with what hidden.py's EXPECTED gives on it)
@points(1)
def test_matches_the_reference_values(v, ref):
    from dgmlab.probes import asserts

    asserts.assert_close(working(v).log_density, ref.log_density, rtol=1e-9, atol=1e-12,
                        name="gaussian_log_density (a missing -log(sigma) or log(2 pi) term?)")


# (mu, sigma) where N(mu, sigma^2) differs from N(0, 1): a KL divergence is positive there and 0 at (0, 1) only
DIFFERENT = ((-1, 1), (0, 2), (0, "1/2"))


@points(1)
def test_is_exact_and_zero_only_at_the_standard_normal(v, ref):
    import cmath

    import sympy as sp

    from dgmlab.probes import asserts

    kl = v.kl_gauss
    if not isinstance(kl, sp.Expr):
        raise AssertionError(f"expected kl_gauss to be a sympy expression, found {type(kl).__name__}")
    names = {s.name for s in kl.free_symbols}
    if not names <= {"mu", "sigma"}:
        raise AssertionError(f"expected kl_gauss in the symbols mu and sigma only, found {sorted(names)}")
    if asserts.has_float(kl):
        raise AssertionError("expected exact numbers in kl_gauss (sp.Rational(1, 2), not 0.5)")

    def at(mu, sigma):  # by value, whatever form sympy wrote it in (docs/sympy_answers.md), never kl.subs(...)
        value = asserts.sympy_number(kl, {"mu": sp.Rational(mu), "sigma": sp.Rational(sigma)}, "kl_gauss")
        if not cmath.isfinite(value):
            raise AssertionError(f"kl_gauss is not a finite number at mu = {mu}, sigma = {sigma}")
        if not abs(value.imag) < 1e-20:
            raise AssertionError(f"kl_gauss is complex at mu = {mu}, sigma = {sigma}: a log of a negative?")
        return value.real

    same = at(0, 1)
    if not abs(same) < 1e-25:
        raise AssertionError(
            f"expected kl_gauss = 0 at mu = 0, sigma = 1 (N(0, 1) against itself), found {same:.4g}: "
            "is a constant term off?")
    for mu, sigma in DIFFERENT:
        found = at(mu, sigma)
        if not found > 1e-20:
            raise AssertionError(
                f"expected kl_gauss > 0 at mu = {mu}, sigma = {sigma}, where N(mu, sigma^2) is not N(0, 1), found "
                f"{found:.4g}: a KL divergence between different distributions is positive")


CHECKS = [
    CheckSpec("q1_log_density_tests", names=("gaussian_log_density",),
              visible=(test_returns_one_float64_value_per_x, test_matches_the_reference_values),
              probe=on_working(_log_density_probe), inputs=with_working(_log_density_inputs)),
    CheckSpec("q2_gaussian_kl_tests", names=("kl_gauss",), visible=(test_is_exact_and_zero_only_at_the_standard_normal,)),
]
