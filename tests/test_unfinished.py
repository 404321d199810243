"""dgmlab.unfinished: whether a saved notebook was run and which written answers are blank, in the student's words
(careful-student trial, issue 62: `dgmlab check` said "missing from the hand-in: nothing" for a notebook never run,
its written answers still the template's line)."""
import copy

import nbformat
import pytest

from conftest import ROOT
from dgmlab import unfinished


def _release(hw):
    return nbformat.read(ROOT / "release" / hw / f"{hw}.ipynb", as_version=4)


def _run(nb):
    """``nb`` as a student's Run all leaves it: every code cell numbered, every test cell with an output."""
    nb = copy.deepcopy(nb)
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
    return nb


def _written(nb):
    return [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]


def _fill(nb, text="My answer: the determinant is constant."):
    nb = copy.deepcopy(nb)
    for cell in _written(nb):
        cell.source = text
    return nb


def test_a_notebook_never_run_is_said_not_run_and_its_outputs_missing():
    said, missing = unfinished.lines(unfinished.of(_fill(_release("hw3_flows"))))
    assert said[0].startswith("  !! the notebook has not been run: no cell has an output. Run all its cells")
    assert missing == ["the notebook's outputs (run it)"]


def test_blank_written_answers_are_named_as_the_notebook_names_their_questions():
    got = unfinished.of(_run(_release("hw3_flows")))
    assert got.blank == ("Q1(e)", "Q2.3", "Q3.3", "Q4.4") and got.written == 4
    said, missing = unfinished.lines(got)
    assert "  !! written answers still blank: Q1(e), Q2.3, Q3.3 and Q4.4" in said[1]
    assert missing == ["the written answers to Q1(e), Q2.3, Q3.3 and Q4.4"]
    assert not any(word in " ".join(said + missing) for word in ("grade", "_written", "probe", "nbgrader"))


def test_a_written_answer_under_several_parts_of_one_question_is_named_by_its_part():
    assert unfinished.of(_release("hw1_wgan")).blank == ("Q1 (a)", "Q1 (b)", "Q1 (c)", "Q2 (c)", "Q2 (d)", "Q3")


@pytest.mark.parametrize("text, blank", [(unfinished.TEXT_STUB, True), ("", True), ("  \n", True),
                                         (unfinished.TEXT_STUB + "\n\nThe map is a bijection.", False),
                                         ("The map is a bijection.", False)])
def test_a_written_answer_is_blank_only_with_nothing_but_the_template_line(text, blank):
    assert unfinished.is_blank(text) is blank


def test_a_run_notebook_with_every_answer_written_lacks_nothing():
    said, missing = unfinished.lines(unfinished.of(_fill(_run(_release("hw3_flows")))))
    assert said == ["  ok the notebook has been run (its outputs are saved)",
                    "  ok every written answer is filled in (4)"] and missing == []


def test_test_cells_left_unrun_in_a_run_notebook_are_named():
    nb = _fill(_run(_release("hw3_flows")))
    for cell in nb.cells:  # Run all stopped at an error in Q3.1: nothing after it ran
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith(("q3", "q4")) and cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    got = unfinished.of(nb)
    assert got.ran and got.tests_not_run == ("Q3.1", "Q3.2", "Q4.1", "Q4.2", "Q4.3")
    said, missing = unfinished.lines(got)
    assert said[0].startswith("  !! the test cells of Q3.1, Q3.2, Q4.1, Q4.2 and Q4.3 have no output")
    assert missing == ["the outputs of the test cells of Q3.1, Q3.2, Q4.1, Q4.2 and Q4.3"]


def test_blank_written_answers_a_handout_lets_hand_in_on_paper_are_not_missing():
    said, missing = unfinished.lines(unfinished.of(_run(_release("hw5_explicit"))), on_paper=True)
    assert said[1].startswith("  -- written answers still blank in the notebook: Q1, Q2, Q3, Q4, P1 and P2")
    assert "handwritten" in said[1] and missing == []


def test_a_cell_with_mangled_metadata_is_read_as_an_ungraded_cell():
    nb = _run(_release("hw3_flows"))
    cells = _written(nb)
    cells[0].metadata = ["not", "a", "mapping"]
    cells[1].metadata["nbgrader"] = "a string"
    assert unfinished.of(nb).blank == ("Q3.3", "Q4.4")


def test_the_template_line_is_the_one_the_release_writes_in_written_answers():
    from traitlets.config import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert config.ClearSolutions.text_stub == unfinished.TEXT_STUB


def test_a_notebook_left_in_quick_mode_is_said_so_and_its_full_run_missing():
    nb = _fill(_release("hw3_flows"))
    nb.cells.insert(0, nbformat.v4.new_code_cell("%env DGMLAB_FAST=1"))
    said, missing = unfinished.lines(unfinished.of(_run(nb)))
    assert said[1].startswith("  !! the notebook sets DGMLAB_FAST (cell 1): it runs in quick mode")
    assert missing == ["a run with the full settings (the notebook sets DGMLAB_FAST)"]


def test_a_notebook_run_with_the_full_settings_is_not_said_quick():
    said, missing = unfinished.lines(unfinished.of(_run(_fill(_release("hw3_flows")))))
    assert not [line for line in said if "DGMLAB_FAST" in line] and missing == []


def _setup_said_quick(nb):
    """``nb`` whose setup cell's saved output says it ran in quick mode; returns the setup cell's number (from 1)."""
    setup = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    nb.cells[setup].outputs = [nbformat.v4.new_output("stream", name="stdout", text="dgmlab mode=fast device=cpu\n")]
    return setup + 1


def test_a_notebook_whose_setup_printed_quick_mode_is_said_quick():
    nb = _run(_fill(_release("hw3_flows")))
    setup = _setup_said_quick(nb)
    said, missing = unfinished.lines(unfinished.of(nb))
    assert said[1].startswith(f"  !! the setup cell (cell {setup}) printed mode=fast: the notebook ran in quick mode")
    assert missing == ["a run with the full settings (the notebook ran in quick mode)"]


def test_only_the_cell_that_sets_quick_mode_is_named_not_the_setup_cell_that_ran_in_it():
    nb = _run(_fill(_release("hw3_flows")))  # careful-student trial: "sets DGMLAB_FAST (cell 2 and 3)"
    nb.cells.insert(1, nbformat.v4.new_code_cell('import os\nos.environ["DGMLAB_FAST"] = "1"'))
    _setup_said_quick(nb)
    said, _ = unfinished.lines(unfinished.of(nb))
    assert said[1].startswith("  !! the notebook sets DGMLAB_FAST (cell 2): it runs in quick mode")


def test_a_cell_that_only_reads_quick_mode_is_not_said_to_set_it():
    nb = _run(_fill(_release("hw3_flows")))
    nb.cells.insert(1, nbformat.v4.new_code_cell('import os\nprint(os.environ.get("DGMLAB_FAST", "0"))'))
    assert unfinished.of(nb).quick == ()
