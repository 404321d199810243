"""Proofs of a 0-point cell (a note for the TA, such as hw4's p4b_steps_tests): it passes or fails, and a mutant
may declare what its FAILED line says (Mutant.says), which the outcome then requires."""
from dgmlab.authoring.proofs import Outcome

LINE = "FAILED test_each_step_equals_the_next: 0 of 0 points. steps 1-2 hold; step 2 -> 3 does not (at x = 1: 0 vs 1)"


def test_a_failing_note_is_as_declared_only_when_its_line_says_the_declared_text():
    said = Outcome("a: wrong", "a_tests", "fail", "fail", hints=(LINE,), says="step 2 -> 3 does not")
    other = Outcome("a: wrong", "a_tests", "fail", "fail", hints=(LINE,), says="step 1 -> 2 does not")
    assert said.ok and not other.ok


def test_a_blank_note_earning_zero_is_a_failing_one_not_a_passing_one():
    assert Outcome("a: blank", "a_tests", "earn 0", "fail").ok
    assert not Outcome("a: blank", "a_tests", "earn 0", "pass").ok

