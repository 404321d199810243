"""hw3_flows, q2_volume_preserving_flows: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import math

import torch

from dgmlab.probes import asserts
from dgmlab.probes.points import points


# ------------------------------------------------------------------ q2_counter_density_tests
def _reference_p(points, k):
    r = points.abs().amax(dim=1)
    return torch.where(r <= 0.5, torch.full_like(r, 0.9), torch.clamp(0.9 - k * (r - 0.5), min=0.0))

@points(1.5)
def test_values_on_all_four_sides_and_corners(v, ref):
    asserts.assert_close(v.on_the_sides, _reference_p(v.inputs.sides, 3.0), atol=1e-9,
                        name="p_counter(xy, k=3) at points on each side of B, corners included")

@points(2.5)
def test_values_all_over_the_plane(v, ref):
    # points drawn over B, the frame and beyond, with a drawn slope: against the printed density
    asserts.assert_close(v.on_scattered_points, _reference_p(v.inputs.scattered, v.inputs.scattered_slope), atol=1e-9,
                        name="p_counter at points in B, in the frame and beyond it")


# ------------------------------------------------------------------ q2_normalising_k_tests
@points(1)
def test_total_mass_is_one(v, ref):
    k_ = float(v.k_value)
    t = 0.9 / k_
    mass = 0.9 + 1.2 * t ** 2 + 1.8 * t
    if not abs(mass - 1.0) < 1e-6:
        raise AssertionError(
            "with this k the density does not integrate to 1 (count all four sides of the frame, and B)")


# ------------------------------------------------------------------ q2_vp_bound_tests
@points(0.25)
def test_mass_of_B(v, ref):
    if not abs(float(v.p_B) - 0.9) < 1e-9:
        raise AssertionError("p_B is not the mass of the unit square under p")

@points(0.25)
def test_largest_vp_density(v, ref):
    if not abs(float(v.max_density_vp) - 1 / (2 * math.pi)) < 1e-9:
        raise AssertionError("max_density_vp is not the peak of a VP flow density with a 2-D standard normal base")


# ------------------------------------------------------------------ q2_pinsker_tests
@points(0.75)
def test_total_variation_bound(v, ref):
    if not abs(float(v.tv_lower_bound) - (0.9 - 1 / (2 * math.pi))) < 1e-9:
        raise AssertionError("tv_lower_bound is not p(B) minus the most mass a VP flow can put on B")

@points(0.75)
def test_pinsker_kl_bound(v, ref):
    tv = 0.9 - 1 / (2 * math.pi)
    if not abs(float(v.kl_lower_bound) - 2 * tv ** 2) < 1e-9:
        raise AssertionError(
            "kl_lower_bound does not follow from Pinsker's inequality (solve delta <= sqrt(KL/2) for KL)")


HIDDEN = {
    'q2_counter_density_tests': (test_values_on_all_four_sides_and_corners, test_values_all_over_the_plane),
    'q2_normalising_k_tests': (test_total_mass_is_one,),
    'q2_vp_bound_tests': (test_mass_of_B, test_largest_vp_density),
    'q2_pinsker_tests': (test_total_variation_bound, test_pinsker_kl_bound),
}
