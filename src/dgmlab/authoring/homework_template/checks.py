"""Visible checks of this homework (released to students with the notebook, so no reference and no answer here:
a value to compare with is recorded as data, the references live in the hidden tests, hidden.py)."""
from dgmlab.probes import CheckSpec, attempt, seeded_generator
from dgmlab.testing import points

# gaussian_log_density on the public input below, recorded from the reference solution (float64)
PUBLIC = {"x": [-1.0, 0.0, 0.5, 2.0], "mu": [0.5, 0.5, 0.5, 0.5], "log_sigma": [0.0, 0.0, 0.5, -0.5]}
RECORDED = [-2.0439385332046727, -1.0439385332046727, -1.4189385332046727, -3.4770055902210983]


def _log_density_inputs(seed):
    import torch

    g = seeded_generator(seed, 1)
    return {"x": torch.randn(6, generator=g, dtype=torch.float64),
            "mu": torch.randn(6, generator=g, dtype=torch.float64),
            "log_sigma": 0.5 * torch.randn(6, generator=g, dtype=torch.float64)}


def _log_density_probe(o, inputs):
    import torch

    public = {k: torch.tensor(v, dtype=torch.float64) for k, v in PUBLIC.items()}
    f = o["gaussian_log_density"]
    return {"on_draw": attempt(f, inputs["x"], inputs["mu"], inputs["log_sigma"]),
            "on_public": attempt(f, public["x"], public["mu"], public["log_sigma"])}


@points(1)
def test_returns_one_float64_value_per_x(v):
    import torch

    assert isinstance(v.on_draw, torch.Tensor) and v.on_draw.shape == v.inputs.x.shape \
        and v.on_draw.dtype == torch.float64, \
        (f"expected a float64 tensor of shape {tuple(v.inputs.x.shape)}, found {type(v.on_draw).__name__} "
         f"{getattr(v.on_draw, 'dtype', '')} {tuple(getattr(v.on_draw, 'shape', ()))}")


@points(1)
def test_matches_the_recorded_values_on_the_public_input(v):
    import torch

    from dgmlab import checks

    checks.assert_close(v.on_public, torch.tensor(RECORDED, dtype=torch.float64), rtol=1e-9, atol=1e-12,
                        name="gaussian_log_density on the public input (a missing -log(sigma) or log(2 pi) term?)")


@points(1)
def test_is_an_exact_expression_in_mu_and_sigma(v):
    import sympy as sp

    from dgmlab import checks

    assert isinstance(v.kl_gauss, sp.Expr), f"expected kl_gauss to be a sympy expression, found {type(v.kl_gauss).__name__}"
    names = {s.name for s in v.kl_gauss.free_symbols}
    assert names <= {"mu", "sigma"}, f"expected kl_gauss in the symbols mu and sigma only, found {sorted(names)}"
    assert not checks.has_float(v.kl_gauss), "expected exact numbers in kl_gauss (sp.Rational(1, 2), not 0.5)"


CHECKS = [
    CheckSpec("q1_log_density_tests", 4, 2, ("gaussian_log_density",),
              visible=(test_returns_one_float64_value_per_x, test_matches_the_recorded_values_on_the_public_input),
              probe=_log_density_probe, inputs=_log_density_inputs),
    CheckSpec("q2_gaussian_kl_tests", 3, 2, ("kl_gauss",), visible=(test_is_an_exact_expression_in_mu_and_sigma,)),
]
