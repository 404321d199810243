"""The references: by test cell, ``fn(inputs) -> {name: value}``, what ``ref.<name>`` reads in its visible and
hidden tests. The grader computes them on its draw; `make notebooks HW=<hw>` records them on the visible tests'
draw into checks/expected.json (the functions themselves are never released)."""
import torch


def expected_log_density(inputs):
    """``ref.log_density`` on the cell's draw (checks/q1_log_density.py's inputs)."""
    x, loc, log_sigma = inputs["x"], inputs["mu"], inputs["log_sigma"]
    return {"log_density": torch.distributions.Normal(loc, log_sigma.exp()).log_prob(x)}


EXPECTED = {"q1_log_density_tests": expected_log_density}
