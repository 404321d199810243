"""Q1's hidden tests: ``test_x(v, ref)`` as the visible ones, ``v`` the values on the grader's draw, each with its
``@points(w)`` (the cell's hidden share is their sum)."""
from dgmlab.probes import asserts
from dgmlab.probes.points import points


@points(2)
def test_values_on_a_fresh_draw(v, ref):
    asserts.assert_close(v.log_density, ref.log_density, rtol=1e-9, atol=1e-12, name="gaussian_log_density")


HIDDEN = {"q1_log_density_tests": (test_values_on_a_fresh_draw,)}
