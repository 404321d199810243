"""hw3_flows, Q2 (volume-preserving flows): the counter-example density, its normalising k and the bounds on what a
volume-preserving flow can fit.

The part's test cells' inputs, probes, visible tests and ``CheckSpec``s.
"""
from __future__ import annotations

from dgmlab.probes import CheckSpec, _sp, _torch, asserts, attempt, with_working
from dgmlab.probes import seeded_generator as _gen
from dgmlab.probes.points import points

from .common import _randn, slow_digest


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
            "scattered_slope": float(2 + 4 * torch.rand(1, generator=g, dtype=torch.float64)),
            **_square_inputs(g)}


SQUARES_IN_B, SQUARES_IN_THE_FRAME = 2, 3


def _square_inputs(g):
    """Points on the squares {max(|x|, |y|) = s} for radii s in B, in the frame and beyond it (each square's four
    sides, corners included), and points just inside and outside the edges of B and of the frame, with a slope k."""
    torch = _torch()
    slope = float(2 + 4 * torch.rand(1, generator=g, dtype=torch.float64))
    edge = 0.5 + 0.9 / slope
    radii = torch.cat([torch.rand(SQUARES_IN_B, generator=g, dtype=torch.float64) * 0.45 + 0.03,
                       0.5 + (0.05 + 0.9 * torch.rand(SQUARES_IN_THE_FRAME, generator=g, dtype=torch.float64)) * (edge - 0.5),
                       edge + 0.05 + torch.rand(1, generator=g, dtype=torch.float64)])  # in B, in the frame, beyond it
    t = torch.rand(len(radii), 6, generator=g, dtype=torch.float64) * 2 - 1  # where on a side, in [-1, 1]
    s = radii[:, None].expand(-1, 6)
    sides = torch.stack([torch.stack([s, t * s], -1), torch.stack([-s, t * s], -1), torch.stack([t * s, s], -1),
                         torch.stack([t * s, -s], -1)], 1)                       # (radii, 4 sides, 6 points, 2)
    squares = torch.cat([sides.reshape(len(radii), 24, 2), torch.stack([s[:, :1], -s[:, :1]], -1)], 1)  # + a corner
    gap = 1e-7
    direction = torch.rand(4, generator=g, dtype=torch.float64) * 2 * 3.141592653589793
    unit = torch.stack([torch.cos(direction), torch.sin(direction)], 1)
    unit = unit / unit.abs().amax(dim=1, keepdim=True)                          # max(|x|, |y|) = 1
    edges = torch.cat([unit[:2] * (0.5 - gap), unit[:2] * (0.5 + gap), unit[2:] * (edge - gap),
                       unit[2:] * (edge + gap)])
    return {"squares": squares.reshape(-1, 2), "square_count": len(radii), "square_slope": slope,
            "edges": edges, "edge_gap": gap}


def _counter_probe(o, x):
    p_counter = o["p_counter"]
    return {"on_three_points": attempt(p_counter, x["three"], 10.0),
            "on_the_sides": attempt(p_counter, x["sides"], 3.0),
            "on_a_grid": attempt(p_counter, x["grid"], 5.0),
            "on_scattered_points": attempt(p_counter, x["scattered"], x["scattered_slope"]),
            "on_squares": attempt(p_counter, x["squares"], x["square_slope"]),
            "on_the_edges": attempt(p_counter, x["edges"], x["square_slope"])}


@points(0.5)
def test_value_inside_B(v, ref):
    # B is the only region where the printed density is a constant: 0.9 at two points of B
    out = v.on_three_points
    asserts.assert_tensor(out, "p_counter(xy, k)", shape=(3,), dtype=v.inputs.three.dtype)
    inside = v.inputs.three_inside
    asserts.assert_close(out[inside], [0.9, 0.9], name="p_counter at two points inside B")


@points(0.5)
def test_zero_far_beyond_the_frame(v, ref):
    # 0 at a point far beyond the frame and at every grid point beyond it (k = 5)
    out = v.on_three_points
    asserts.assert_tensor(out, "p_counter(xy, k)", shape=(3,))
    far = out[~v.inputs.three_inside]
    clamp = " (negative values: clamp the frame at 0)"
    try:
        asserts.assert_close(far, [0.0], name="p_counter at a point far from B")
    except AssertionError as exc:
        raise AssertionError(f"{exc}{clamp if float(asserts.as_array(far, 'p_counter').min()) < 0 else ''}") from None
    grid = asserts.as_array(v.on_a_grid, "p_counter on a grid")
    if grid.shape != (len(v.inputs.grid),):
        raise AssertionError(f"p_counter on a grid has shape {grid.shape}")
    outside = (v.inputs.grid.abs().amax(dim=1) > 0.5 + 0.9 / 5.0 + 1e-9).numpy()
    hint = clamp if float(grid[outside].min()) < 0 else ""
    if float(abs(grid[outside]).max()) != 0.0:
        raise AssertionError(f"p_counter (k = 5) is non-zero beyond the frame{hint}")


@points(1)
def test_constant_on_each_square_around_the_origin(v, ref):
    # p depends on (x, y) only through r = max(|x|, |y|): equal values all round each square {r = s}, on all four sides
    # (both signs of x and y) and at a corner, for squares in B, in the frame and beyond it; no value is compared
    out = asserts.as_array(v.on_squares, "p_counter on squares around the origin")
    n = v.inputs.square_count
    if out.shape != (len(v.inputs.squares),):
        raise AssertionError(f"p_counter(xy, k) has shape {out.shape} for xy of shape {tuple(v.inputs.squares.shape)}")
    by_square = out.reshape(n, -1)
    spread = by_square.max(axis=1) - by_square.min(axis=1)
    if not (spread <= 1e-12).all():
        raise AssertionError(
            "p_counter takes different values on one square {max(|x|, |y|) = s}: p depends on the point only through "
            "r = max(|x|, |y|) (which norm gives r, and are the signs of x and y handled?)")
    if not (by_square >= 0).all():
        raise AssertionError("p_counter is negative on a square around the origin, but a density is never negative "
                             "(beyond the frame p is 0)")
    frame = by_square[SQUARES_IN_B:SQUARES_IN_B + SQUARES_IN_THE_FRAME]
    if not ((frame > 0) & (frame < 0.9)).all():
        raise AssertionError("p_counter is not strictly between 0 and 0.9 on squares inside the frame, where p ramps "
                             "down from 0.9 to 0")


@points(1)
def test_continuous_at_the_edges(v, ref):
    # the frame's ramp starts at B's value where it meets B (r = 0.5) and reaches 0 at its outer edge r = 0.5 + 0.9/k,
    # as the statement's cases say: just inside and just outside each edge the values must agree to within the slope's
    # change over the gap
    out = asserts.as_array(v.on_the_edges, "p_counter near the edges of B and of the frame")
    if out.shape != (8,):
        raise AssertionError(f"p_counter(xy, k) has shape {out.shape} for xy of shape (8, 2)")
    step = 2 * v.inputs.square_slope * v.inputs.edge_gap + 1e-12
    if not (abs(out[:2] - 0.9) <= 1e-12).all():
        raise AssertionError("p_counter is not 0.9 just inside B's edge (r slightly below 0.5)")
    if not (abs(out[:2] - out[2:4]) <= step).all():
        raise AssertionError(
            "p_counter jumps where the frame meets B (r = 0.5): there the ramp 0.9 - k (r - 0.5) equals B's 0.9")
    if not (abs(out[4:6] - out[6:]) <= step).all() or not (abs(out[6:]) <= 1e-12).all() or not (out[4:6] > 0).all():
        raise AssertionError(
            "p_counter is not continuous at the frame's outer edge r = 0.5 + 0.9/k, where the ramp reaches 0 "
            "(and stays 0 beyond)")


# ------------------------------------------------------------------ Q2.2, Q2.4
K_DECIMALS = 4  # k is about 17: four decimals is a float "accurate to about six digits"; a mass within 1e-6 of 1


@points(1)
def test_k_is_a_positive_number(v, ref):
    sp = _sp()
    k_value = v.k_value
    if isinstance(k_value, sp.Basic):
        asserts.assert_sympy_expr(k_value, "k_value", symbols=[])
    value = float(asserts.as_array(float(k_value), "k_value"))
    if not value > 0:
        raise AssertionError(f"expected a positive slope k, found {value:.6g}")


@points(3)
def test_density_integrates_to_one(v, ref):
    # k is one number, the answer itself: the kit records a slow digest of the normalising k to K_DECIMALS decimals
    # (hw3_flows.hidden.references), never k; any k within about 5e-5 of it gives it
    if slow_digest(v.k_value, K_DECIMALS) != ref["k_digest"]:
        raise AssertionError(
            "with this k_value p does not integrate to 1 (to about six digits): count B's mass, and the frame's "
            "ring by ring (each square {r = s} has perimeter 8s) from r = 0.5 to where the ramp reaches 0")


def _as_float(value, name):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} must be a number (sympy or float), found {type(value).__name__}") from None


@points(0.5)
def test_are_numbers_between_zero_and_one(v, ref):
    for name in ("p_B", "max_density_vp"):
        value = _as_float(getattr(v, name), name)
        if not 0 < value <= 1:
            raise AssertionError(f"expected {name} to be a number in (0, 1], found {value:.6g}")
    if not _as_float(v.p_B, "p_B") < 1:
        raise AssertionError("p_B is 1, but p also puts mass on the frame around B, so p(B) < 1")


@points(0.25)
def test_bounds_are_positive(v, ref):
    for name in ("tv_lower_bound", "kl_lower_bound"):
        value = _as_float(getattr(v, name), name)
        if not value > 0:
            raise AssertionError(f"expected {name} > 0, found {value:.6g}")


@points(0.25)
def test_kl_bound_is_pinskers_for_your_tv_bound(v, ref):
    # Pinsker's inequality, as the statement writes it, turned into a bound on the KL from tv_lower_bound: the student's
    # own two numbers, to 1e-9 (exact numbers, or floats computed rather than typed)
    tv, kl = _as_float(v.tv_lower_bound, "tv_lower_bound"), _as_float(v.kl_lower_bound, "kl_lower_bound")
    if not abs(kl - 2 * tv ** 2) <= 1e-9 * max(1.0, abs(kl)):
        raise AssertionError(
            "kl_lower_bound is not the bound on the KL that Pinsker's inequality gives for your tv_lower_bound: "
            "solve delta <= sqrt(KL / 2) for KL, and compute the numbers rather than typing them rounded")


CHECKS = [
    CheckSpec("q2_counter_density_tests", hidden_for="the density's values all over the plane", names=("p_counter",),
              visible=(test_value_inside_B, test_zero_far_beyond_the_frame, test_constant_on_each_square_around_the_origin,
                       test_continuous_at_the_edges),
              probe=_counter_probe, inputs=_counter_inputs),
    CheckSpec("q2_normalising_k_tests", hidden_for="the total mass to 1e-6", names=("k_value",),
              visible=(test_k_is_a_positive_number, test_density_integrates_to_one), inputs=with_working(lambda seed: {})),
    CheckSpec("q2_vp_bound_tests", hidden_for="the values of p(B) and of the largest VP density", names=("p_B", "max_density_vp"), visible=(test_are_numbers_between_zero_and_one,)),
    CheckSpec("q2_pinsker_tests", hidden_for="the values of both bounds", names=("tv_lower_bound", "kl_lower_bound"),
              visible=(test_bounds_are_positive, test_kl_bound_is_pinskers_for_your_tv_bound)),
]
