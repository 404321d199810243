"""tests/hints.py's rules: each rejects the internal text it names and lets a student's own words through; the
shared message helpers (dgmlab.probes.asserts, dgmlab.probes) produce hints that pass them."""
import numpy as np
import pytest

from dgmlab import probes
from dgmlab.probes import asserts, wire
from dgmlab.probes.points import points_text
from hints import leaks


@pytest.mark.parametrize("hint,rule", [
    ("FAILED test_x: 0 of 1 point. your code raised ValueError (while the check computed small_upper)",
     "the check's machinery"),
    ("FAILED test_x: 0 of 2 points. expected 3, got np.int64(3)", "a numpy repr"),
    ("FAILED test_x: 0 of 2 points. got tensor([1., 2.])", "a torch repr"),
    ("FAILED test_x: 0 of 2 points. homeworks.hw5_explicit.checks could not read it", "a module path of the kit"),
    ("FAILED test_x: 0 of 2 points. _cached failed", "a private name"),
    ("FAILED test_x: 0 of 1 points. wrong", "a plural after 1"),
    ("FAILED test_x: 0 of 2 points; 1 more points are hidden", "a plural after 1"),
])
def test_a_hint_leaking_the_kit_is_rejected(hint, rule):
    assert any(found.startswith(rule) for found in leaks(hint)), leaks(hint)


@pytest.mark.parametrize("hint", [
    "FAILED test_x: 0 of 1 point. log_prob(x) is 0.92 nats off: add the -D/2 log(2 pi) constant",
    "FAILED test_x: 0 of 1.5 points. call super().__init__() first; use torch.tensor(...) for constants",
    "FAILED test_x: 0 of 2 points. expected shape (4, 1, 28, 28), got (4, 28, 28); see dgmlab.check() too",
    "FAILED test_x: 0 of 11 points. x_0 and sigma_1 differ",
    "FAILED test_x: 0 of 1 point. for MNIST use dgmlab.metrics.mnist_score, which needs no download",
])
def test_a_hint_in_the_homeworks_words_passes(hint):
    assert leaks(hint) == []


def test_points_are_in_plain_numbers():
    assert [points_text(x) for x in (1, 1.0, 0.5, 2, 1.004)] == ["1 point", "1 point", "0.5 points", "2 points",
                                                                  "1 point"]


def test_assert_close_names_the_index_in_plain_integers():
    with pytest.raises(asserts.CheckError) as err:
        asserts.assert_close(np.zeros((2, 3)), np.eye(2, 3), name="the plan")
    assert "at index (0, 0)" in str(err.value) and leaks(str(err.value)) == []


def test_a_raised_error_is_said_without_the_checks_machinery():
    with pytest.raises(probes.TestFailure) as err:
        probes.usable("small_upper", wire.Raised("ValueError: shapes differ"))
    assert str(err.value) == "your code raised ValueError: shapes differ" and leaks(str(err.value)) == []


def test_an_exception_is_named_by_its_public_name():
    import torch

    try:
        torch.linalg.cholesky(-torch.eye(2))
    except RuntimeError as exc:
        said = wire.describe_exception(exc)
    assert said.startswith("LinAlgError: ") and leaks(said) == []
