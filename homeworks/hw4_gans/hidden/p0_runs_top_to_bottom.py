"""hw4_gans, p0_runs_top_to_bottom: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import json

from dgmlab.probes.points import points
from homeworks.hw4_gans.checks import MEASURE_N, RESULTS_FILE, measured_results
from homeworks.hw4_gans.checks.p0_runs_top_to_bottom import results_file_problems


# ------------------------------------------------------------------ p0_tests
@points(0.25)
def test_pieces_run_on_tiny_inputs(v, ref):
    if v.pieces is not True:
        raise AssertionError("a piece does not run on a tiny input")


@points(0.5)
def test_results_recorded_after_training(v, ref):
    # the autograder does not train: it reads the results file your full-mode run saved
    if RESULTS_FILE not in v.files:
        raise AssertionError(
            f"no {RESULTS_FILE} in the homework folder: run every training cell in "
            f"full mode and submit {RESULTS_FILE} together with the notebook")
    problems = results_file_problems(v.files[RESULTS_FILE])
    if problems:
        raise AssertionError(f"{RESULTS_FILE} {problems[0]}")
    saved = json.loads(v.files[RESULTS_FILE].decode("utf-8"))
    # what cannot be typed: the baseline's and the cGAN's results are those of the weights handed in, measured here
    measured = measured_results(v.files, v.seed_of)
    for name, key, what, tol in [("baseline", "mnist_score", "MNIST classifier score", 0.4),
                                 ("cgan", "conditional_accuracy", "conditional accuracy", 0.02)]:
        recorded = float(saved[name][key])
        if not abs(recorded - measured[name]) <= tol:
            raise AssertionError(
                f"{RESULTS_FILE} records a {what} of {recorded:.3f} for {name}, but the weights handed in give "
                f"{measured[name]:.3f} on a draw of {MEASURE_N:,} images: hand in the results file and the "
                f"weights the same full-mode run saved")


HIDDEN = {
    'p0_tests': (test_pieces_run_on_tiny_inputs, test_results_recorded_after_training),
}
