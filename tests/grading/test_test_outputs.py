"""What the grading page reads from a judged cell's outputs (dgmlab.grading.test_outputs.cell_outcome): for hw4's
p4b_steps_tests, a note worth 0, the first step of the student's chain that does not hold, beside p4b_derivation."""
import sympy as sp

from dgmlab import probes
from dgmlab.grading.judge.judge import judged_outputs
from dgmlab.grading.test_outputs import cell_outcome
from homeworks.hw4_gans.checks import symbols


def _judged_cell(steps):
    spec = probes.spec_for("hw4_gans", "p4b_steps_tests")
    got = probes.judge("hw4_gans", spec, {"steps": steps}, 424_242, hidden=())
    return {"outputs": judged_outputs(got.earned, got.lines)}


def test_the_page_reads_the_first_step_that_does_not_hold_without_the_points_prefix():
    p, q = symbols()["p_data"], symbols()["p_g"]
    m = (p + q) / 2
    start = p * sp.log(p / (p + q)) + q * sp.log(q / (p + q))
    wrong = [start, p * sp.log(p / m) + q * sp.log(q / m), -sp.log(4) + p * sp.log(p / m) + q * sp.log(q / m)]
    passed, failed, error = cell_outcome(_judged_cell(wrong))
    assert passed == [] and error == ""
    assert [name for name, _ in failed] == ["test_each_step_equals_the_next"]
    assert failed[0][1].startswith("step 1 -> 2 does not (at p_data = (")


def test_the_page_reads_no_steps_given_for_a_chain_left_out():
    assert cell_outcome(_judged_cell(None))[1] == [("test_each_step_equals_the_next", "no steps given")]
