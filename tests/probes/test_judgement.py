"""What a student reads when a value cannot be tested (dgmlab.probes.judgement.usable) or a test's own code meets
torch's error on a student's value (judgement._reason)."""
import pytest

from dgmlab.probes import NotAsAsked, TestFailure, attempt, judgement, usable


def _raises(exc):
    def probe():
        raise exc
    return attempt(probe)


def test_a_probes_own_finding_is_said_as_the_checks_not_as_the_answer_raising():
    value = _raises(NotAsAsked("mu has no gradient with respect to the inputs"))
    with pytest.raises(TestFailure) as failed:
        usable("mu", value)
    assert str(failed.value) == "mu has no gradient with respect to the inputs"


def test_an_error_of_the_answer_is_said_as_raised_by_it():
    with pytest.raises(TestFailure, match="^your code raised TypeError: bad operand"):
        usable("mu", _raises(TypeError("bad operand")))


def test_torchs_dtype_error_names_what_to_keep_in_a_raised_value_and_in_a_tests_own_failure():
    assert judgement.torch_hint("a message of another error") == ""
    with pytest.raises(TestFailure, match="keep the dtype of the inputs"):
        usable("q", _raises(RuntimeError("Double did not match Float")))
    assert "keep the dtype of the inputs" in judgement._reason(RuntimeError("Double did not match Float"))
