"""hw3_flows, Q2 (volume-preserving flows): the counter-example density, its normalising k and the bounds on what a
volume-preserving flow can fit.

The part's test cells' inputs, probes, visible tests and ``CheckSpec``s.
"""
from __future__ import annotations

from dgmlab.probes import CheckSpec, _sp, _torch, asserts, attempt
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import _randn


# ------------------------------------------------------------------ Q2.1
def _counter_inputs(seed):
    torch, g = _torch(), _gen(seed, 2)
    sides = torch.tensor([[0.7, 0.1], [-0.7, 0.3], [0.2, 0.7], [-0.1, -0.75], [0.65, -0.6], [-0.75, -0.75],
                          [0.45, -0.45], [0.9, 0.0], [0.0, -0.95], [0.3, 0.79]], dtype=torch.float64)
    extra = torch.rand(6, 2, generator=g, dtype=torch.float64) * 2 - 1
    lin = torch.linspace(-1.5, 1.5, 61, dtype=torch.float64)
    inside = torch.rand(2, 2, generator=g, dtype=torch.float64) * 0.9 - 0.45      # in B
    far = (2 + 3 * torch.rand(1, 2, generator=g, dtype=torch.float64)) * torch.sign(_randn(g, 1, 2))  # beyond
    mirror = torch.rand(5, 2, generator=g, dtype=torch.float64) * 1.4 - 0.7
    order = torch.randperm(3, generator=g)
    return {"three": torch.cat([inside, far])[order], "three_inside": (order < 2),
            "sides": torch.cat([sides, extra]), "grid": torch.cartesian_prod(lin, lin), "mirror": mirror,
            # points all over B, the frame and beyond it (the hidden tests' seeded comparison), and their slope
            "scattered": torch.rand(60, 2, generator=g, dtype=torch.float64) * 2.4 - 1.2,
            "scattered_slope": float(2 + 4 * torch.rand(1, generator=g, dtype=torch.float64))}


def _counter_probe(o, x):
    p_counter = o["p_counter"]
    return {"on_three_points": attempt(p_counter, x["three"], 10.0),
            "on_the_sides": attempt(p_counter, x["sides"], 3.0),
            "on_a_grid": attempt(p_counter, x["grid"], 5.0),
            "on_scattered_points": attempt(p_counter, x["scattered"], x["scattered_slope"])}


@points(0.5)
def test_value_inside_B(v, ref):
    # B is the only region where the printed density is a constant: 0.9 at the grader's seeded points in B
    out = v.on_three_points
    asserts.assert_tensor(out, "p_counter(xy, k)", shape=(3,))
    inside = v.inputs.three_inside
    asserts.assert_close(out[inside], [0.9, 0.9], name="p_counter at the seeded points inside B")


@points(0.5)
def test_zero_far_beyond_the_frame(v, ref):
    # 0 at the grader's seeded point far beyond the frame and at every grid point beyond it (k = 5)
    out = v.on_three_points
    asserts.assert_tensor(out, "p_counter(xy, k)", shape=(3,))
    far = out[~v.inputs.three_inside]
    clamp = " (negative values: clamp the frame at 0)"
    try:
        asserts.assert_close(far, [0.0], name="p_counter at the seeded point far from B")
    except AssertionError as exc:
        raise AssertionError(f"{exc}{clamp if float(asserts.as_array(far, 'p_counter').min()) < 0 else ''}") from None
    grid = asserts.as_array(v.on_a_grid, "p_counter on a grid")
    if grid.shape != (len(v.inputs.grid),):
        raise AssertionError(f"p_counter on a grid has shape {grid.shape}")
    outside = (v.inputs.grid.abs().amax(dim=1) > 0.5 + 0.9 / 5.0 + 1e-9).numpy()
    hint = clamp if float(grid[outside].min()) < 0 else ""
    if float(abs(grid[outside]).max()) != 0.0:
        raise AssertionError(f"p_counter (k = 5) is non-zero beyond the frame{hint}")


# ------------------------------------------------------------------ Q2.2, Q2.3
def test_k_is_a_positive_number(v, ref):
    sp = _sp()
    k_value = v.k_value
    if isinstance(k_value, sp.Basic):
        asserts.assert_sympy_expr(k_value, "k_value", symbols=[])
    value = float(asserts.as_array(float(k_value), "k_value"))
    if not value > 0:
        raise AssertionError(f"expected a positive slope k, found {value:.6g}")


def _as_float(value, name):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} must be a number (sympy or float), found {type(value).__name__}") from None


def test_are_numbers_between_zero_and_one(v, ref):
    for name in ("p_B", "max_density_vp"):
        value = _as_float(getattr(v, name), name)
        if not 0 < value <= 1:
            raise AssertionError(f"expected {name} to be a number in (0, 1], found {value:.6g}")


def test_bounds_are_positive(v, ref):
    for name in ("tv_lower_bound", "kl_lower_bound"):
        value = _as_float(getattr(v, name), name)
        if not value > 0:
            raise AssertionError(f"expected {name} > 0, found {value:.6g}")


CHECKS = [
    CheckSpec("q2_counter_density_tests", hidden=6, names=("p_counter",),
              visible=(test_value_inside_B, test_zero_far_beyond_the_frame),
              probe=_counter_probe, inputs=_counter_inputs),
    CheckSpec("q2_normalising_k_tests", hidden=4, names=("k_value",), visible=(test_k_is_a_positive_number,)),
    CheckSpec("q2_vp_bound_tests", hidden=0.5, names=("p_B", "max_density_vp"), visible=(test_are_numbers_between_zero_and_one,)),
    CheckSpec("q2_pinsker_tests", hidden=1.5, names=("tv_lower_bound", "kl_lower_bound"), visible=(test_bounds_are_positive,)),
]
