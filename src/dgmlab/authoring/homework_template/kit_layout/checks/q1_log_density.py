"""Q1's visible tests (in the student wheel, so no reference and no answer here: what a visible test compares with
is ``ref``, what hidden/references.py's ``EXPECTED`` gives on the test's inputs, recorded into checks/expected.json
by `make notebooks HW=<hw>` and computed by the grader when graded). Each test carries its points, ``@points(w)``;
the cell's total and hidden share are their sums (checks/points.json), so the CheckSpec gives neither."""
from dgmlab.probes import CheckSpec, asserts, attempt, on_working, seeded_generator, with_working, working
from dgmlab.probes.points import points


def _inputs(seed):
    import torch

    g = seeded_generator(seed, 1)
    return {"x": torch.randn(6, generator=g, dtype=torch.float64),
            "mu": torch.randn(6, generator=g, dtype=torch.float64),
            "log_sigma": 0.5 * torch.randn(6, generator=g, dtype=torch.float64)}


def _probe(o, inputs):
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
# values; the grader's draw when graded, compared with what the references give on it)
@points(1)
def test_matches_the_reference_values(v, ref):
    asserts.assert_close(working(v).log_density, ref.log_density, rtol=1e-9, atol=1e-12,
                         name="gaussian_log_density (a missing -log(sigma) or log(2 pi) term?)")


CHECKS = [
    CheckSpec("q1_log_density_tests", names=("gaussian_log_density",),
              visible=(test_returns_one_float64_value_per_x, test_matches_the_reference_values),
              probe=on_working(_probe), inputs=with_working(_inputs), hidden_for="the values on a fresh draw"),
]
