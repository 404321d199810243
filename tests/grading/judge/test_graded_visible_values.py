"""When graded, visible tests read the grading seed's draw and compare it with the grader's references computed in
the judge, never with the working seed's recorded values, which ship in the student package: a kernel that hands
back those values (a forged probe) earns no visible point for them."""
import pytest
import torch

import homeworks
from dgmlab import probes
from dgmlab.grading import hidden
from dgmlab.grading.references import recorded
from dgmlab.probes import wire

GRADING_SEED = 424_242
CONVERTED = [(hw, cell) for hw in homeworks.names()
             for cell in sorted(getattr(recorded.reference_module(hw), "EXPECTED", {}))]


# hw4's network cells first ask whether gradients reach every parameter: the forgery says they do, so what decides is
# only whether the visible tests compare with the recorded values or the judge's
TRAINABLE = {"trainable": {"n": 1, "graph": True, "unreached": 0, "shapes": ""}}


def _visible_earned(judgement) -> float:
    return sum(w for _, w, hidden, ok, _ in judgement.results if ok and not hidden)


def test_a_graded_draw_gives_the_visible_tests_the_grading_seeds_inputs():
    spec = probes.spec_for("hw4_gans", "p1_generator_tests")
    graded, working = probes.make_inputs(spec, GRADING_SEED), probes.make_inputs(spec, probes.WORKING_SEED)
    assert torch.equal(graded["working"]["z16"], graded["z16"])
    assert not torch.equal(graded["working"]["z16"], working["working"]["z16"])


@pytest.mark.slow
@pytest.mark.parametrize("hw,cell", CONVERTED)
def test_handing_back_the_recorded_values_earns_no_visible_point_when_graded(hw, cell):
    spec = probes.spec_for(hw, cell)
    blank = {n: wire.Raised("NotImplementedError") for n in spec.names}
    forged = {**blank, "working": probes.expected(hw, cell), **TRAINABLE}
    tests = hidden.tests(hw, cell)
    graded = probes.judge(hw, spec, forged, GRADING_SEED, expected_at=recorded.expected_at, hidden=tests)
    honest_blank = probes.judge(hw, spec, blank, GRADING_SEED, expected_at=recorded.expected_at, hidden=tests)
    assert _visible_earned(graded) == _visible_earned(honest_blank), graded.lines
    assert graded.earned == honest_blank.earned, graded.lines


def test_the_forgery_is_what_a_self_check_would_accept():
    """The control: on the working seed (a self-check), the same forged data passes the visible tests that read the
    recorded values, so the test above fails if grading ever compared with them again."""
    hw, cell = "hw4_gans", "p1_generator_tests"
    spec = probes.spec_for(hw, cell)
    blank = {n: wire.Raised("NotImplementedError") for n in spec.names}
    forged = probes.judge(hw, spec, {**blank, "working": probes.expected(hw, cell), **TRAINABLE}, probes.WORKING_SEED)
    assert forged.earned > probes.judge(hw, spec, blank, probes.WORKING_SEED).earned
