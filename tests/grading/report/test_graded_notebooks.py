"""What an autograded test cell says (report/graded_notebooks.py), as the grade summary, the dashboard and the
LMS comment read it."""
import nbformat

from dgmlab.grading.report.graded_notebooks import cell_outcome

DID_NOT_RUN = ("the check did not run (NameError: name 'f' is not defined): run the notebook from the top and fix "
               "the first error")


def _cell(*texts):
    cell = nbformat.v4.new_code_cell("check()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in texts]
    cell.outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": "0"}, execution_count=1))
    return cell


def test_a_check_that_did_not_run_gives_the_judges_reason_as_the_feedback_does():
    # a blank notebook's cell: no test ran, so the judge's one line says why
    assert cell_outcome(_cell(f"0 of 5 points: {DID_NOT_RUN}\n")) == ([], [], DID_NOT_RUN)


def test_failed_tests_keep_their_own_reasons_and_no_cell_reason_is_invented():
    passed, failed, error = cell_outcome(_cell("passed test_shape\n", "FAILED test_value: 0 of 2 points. off by 1\n"))
    assert (passed, failed, error) == (["test_shape"], [("test_value", "off by 1")], "")


def test_a_failed_tests_reason_loses_its_points_prefix_for_one_point_too():
    _, failed, _ = cell_outcome(_cell("FAILED test_scalar: 0 of 1 point. your code raised NotImplementedError\n"))
    assert failed == [("test_scalar", "your code raised NotImplementedError")]
