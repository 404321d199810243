"""The release notebook shows the homework's due date and late policy (ShowDueDate), in the course's time zone."""
import nbformat
from traitlets.config import Config

from dgmlab.grading.preprocessors.due_date import CELL_ID, ShowDueDate


def _release(config: Config, hw="hw5_explicit"):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Assignment 2")])
    nb, _ = ShowDueDate(config=config).preprocess(nb, {"nbgrader": {"assignment": hw}})
    return nb


def _config(**settings) -> Config:
    c = Config()
    for k, v in settings.items():
        setattr(c.DgmlabDeadlines, k, v)
    return c


def test_the_due_date_and_policy_come_first_in_the_courses_time_zone():
    nb = _release(_config(timezone="America/Toronto", due={"hw5_explicit": "2025-04-01 23:59"},
                          policies={"hw5_explicit": "ten_percent_2days"}))
    first = nb.cells[0]
    assert first.id == CELL_ID and first.cell_type == "markdown"
    assert first.source.startswith("**Due: Tuesday 1 April 2025, 23:59 EDT** (America/Toronto)")
    assert "ten_percent_2days (10% of the mark per day late" in first.source
    assert nb.cells[1].source == "# Assignment 2"


def test_a_homework_without_a_due_date_is_released_unchanged():
    nb = _release(_config(due={"hw4_gans": "2025-03-11 23:59"}))
    assert [c.source for c in nb.cells] == ["# Assignment 2"]


def test_releasing_again_keeps_one_due_date_cell():
    config = _config(due={"hw5_explicit": "2025-04-01 23:59"})
    nb = _release(config)
    nb, _ = ShowDueDate(config=config).preprocess(nb, {"nbgrader": {"assignment": "hw5_explicit"}})
    assert [c.id for c in nb.cells].count(CELL_ID) == 1
